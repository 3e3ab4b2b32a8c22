//! Architecture-specific operations, as typed extensions of an [`Engine`].
//!
//! What only one architecture has stays reachable without strings: [`Engine::x86`]
//! (QEMU's model lists with blockers, libvirt's update and guest-CPU translation, the
//! CPUID signature), [`Engine::ppc64`] (the compat-mode baseline, PVR decoding, QEMU's
//! compat table, a QMP monitor), [`Engine::s390x`] (QEMU under KVM with a host model, a
//! QMP monitor). Each returns `None` on an engine of another architecture.
use crate::cpu::{AnyCpu, Cpu};
use crate::engine::{Baseline, Engine, Inner};
use crate::error::{Error, ErrorKind};
use crate::input::{self, Form, Input};
use crate::pool::{self, PoolItem};
use cpucompat_xml::model::{CpuData, CpuKind, Pos, Signature};
use std::io::{BufRead, Write};

pub use cpucompat_ppc64::{CompatBaseline, CompatMode, Pvr, QemuTable};
pub use cpucompat_x86::HypervisorModels;

impl Engine {
    /// The x86 extension, on an x86 engine.
    pub fn x86(&self) -> Option<X86Ext<'_>> {
        match &self.inner {
            Inner::X86(a) => Some(X86Ext {
                engine: self,
                x86: a,
            }),
            _ => None,
        }
    }

    /// The POWER extension, on a ppc64 engine.
    pub fn ppc64(&self) -> Option<Ppc64Ext<'_>> {
        match &self.inner {
            Inner::Ppc64(a) => Some(Ppc64Ext {
                engine: self,
                ppc: a,
            }),
            _ => None,
        }
    }

    /// The s390x extension, on an s390x engine.
    pub fn s390x(&self) -> Option<S390xExt<'_>> {
        match &self.inner {
            Inner::S390x(a) => Some(S390xExt {
                engine: self,
                s390x: a,
            }),
            _ => None,
        }
    }
}

/// x86-only operations (see [`Engine::x86`]).
#[derive(Clone, Copy, Debug)]
pub struct X86Ext<'e> {
    engine: &'e Engine,
    x86: &'e cpucompat_x86::X86,
}

impl<'e> X86Ext<'e> {
    fn get<'c>(&self, cpu: &'c Cpu) -> Result<&'c cpucompat_x86::Cpu, Error> {
        self.engine.unwrap::<cpucompat_x86::X86>(cpu)
    }

    pub(crate) fn check_unlocated(&self, def: cpucompat_xml::model::CpuDef) -> Result<Cpu, Error> {
        self.own(def)
    }

    fn own(&self, def: cpucompat_xml::model::CpuDef) -> Result<Cpu, Error> {
        let c = self.x86.check(def)?;
        Ok(self.engine.wrap_owned(AnyCpu::X86(c)))
    }

    /// QEMU's `query-cpu-definitions` reply (or a QMP transcript holding one): the
    /// hypervisor's models and what blocks each.
    ///
    /// # Errors
    /// An unreadable input, or JSON that holds no such reply (at its position).
    pub fn hypervisor_models(&self, input: Input) -> Result<HypervisorModels, Error> {
        let (name, text) = input.read_text()?;
        HypervisorModels::from_qmp_json(&text).map_err(|e| {
            Error::from(cpucompat_contract::Error::from(e)).about(&name, Pos::default())
        })
    }

    /// A CPUID/MSR dump: `<cpudata>` XML or `cpuid -r` text.
    ///
    /// # Errors
    /// An input of another form, or malformed.
    pub fn read_dump(&self, input: Input) -> Result<CpuData, Error> {
        let (name, text) = input.read_text()?;
        match input::form_of(&name, &text)? {
            Form::CpuData => {
                cpucompat_xml::parse_cpudata(&text).map_err(|e| input::xml_error(&name, &e))
            }
            Form::CpuidText => cpucompat_x86::parse_cpuid_r(&text).map_err(|e| {
                Error::from(cpucompat_contract::Error::from(e)).about(&name, Pos::default())
            }),
            _ => Err(Error::new(
                ErrorKind::Syntax,
                "expected a CPUID dump: <cpudata> XML or `cpuid -r` text",
            )
            .in_file(&name, 1, 1)),
        }
    }

    /// Decodes a dump as a host or guest CPU, restricted to a hypervisor's models (whose
    /// blockers a guest decode disables) when given: libvirt's host-model CPU.
    ///
    /// # Errors
    /// Data no (allowed) model can express.
    pub fn decode_with(
        &self,
        data: &CpuData,
        kind: CpuKind,
        models: Option<&HypervisorModels>,
    ) -> Result<Cpu, Error> {
        let def = self
            .x86
            .decode(data, kind, models)
            .map_err(cpucompat_contract::Error::from)?;
        self.own(def)
    }

    /// CPUID leaf 1's signature (family, model, stepping) and its EAX masked as libvirt
    /// keeps it.
    ///
    /// # Errors
    /// A dump without leaf 1, or one no model can express.
    pub fn signature(&self, data: &CpuData) -> Result<(u32, Signature), Error> {
        let eax = data
            .cpuid(1, 0)
            .map(|r| r[0])
            .ok_or_else(|| Error::new(ErrorKind::Invalid, "the dump has no CPUID leaf 1"))?;
        let cpu = self.decode_with(data, CpuKind::Host, None)?;
        let sig = cpu
            .definition()
            .signature
            .ok_or_else(|| Error::new(ErrorKind::Invalid, "the dump gives no signature"))?;
        Ok((eax & cpucompat_x86::SIGNATURE_MASK, sig))
    }

    /// The baseline of a pool with every x86 option: [`crate::BaselineOptions`] plus a
    /// hypervisor's model list (candidates restricted to its models, blockers disabled,
    /// features restricted to those it knows).
    ///
    /// # Errors
    /// As [`Engine::baseline`].
    pub fn baseline_with<I>(
        &self,
        cpus: I,
        opts: &crate::BaselineOptions,
        models: Option<HypervisorModels>,
    ) -> Result<Baseline, Error>
    where
        I: IntoIterator,
        I::Item: PoolItem,
    {
        let opts = cpucompat_x86::BaselineOptions {
            expand_features: opts.expand_features,
            migratable: opts.migratable,
            hypervisor: models,
        };
        pool::fold::<cpucompat_x86::X86, _, _>(self.engine, cpus.into_iter(), |f| {
            self.x86.baseline_checked(f, &opts)
        })
    }

    /// What a guest becomes when it starts on a host (libvirt's `virCPUUpdate` against the
    /// host's migratable copy, as the QEMU driver does): optional features resolved,
    /// host-model and `match='minimum'` guests made concrete, removed features disabled.
    ///
    /// # Errors
    /// A relative guest on a host without a model; CPUs of another engine.
    pub fn update(&self, guest: &Cpu, host: &Cpu) -> Result<Cpu, Error> {
        let (g, h) = (self.get(guest)?, self.get(host)?);
        let def = self
            .x86
            .update(g.def(), &self.x86.copy_migratable(h.def()))
            .map_err(|e| guest.locate(cpucompat_contract::Error::from(e).into()))?;
        self.own(def)
    }

    /// libvirt's guest CPU for a start on `host` (its cputest "guestcpu"): the guest must
    /// run on the host, is updated against the full host, then translated to a model the
    /// hypervisor has when `models` is given.
    ///
    /// # Errors
    /// An incompatible guest (its reasons), or no model of the list fits.
    pub fn guest_cpu(
        &self,
        host: &Cpu,
        guest: &Cpu,
        models: Option<&HypervisorModels>,
    ) -> Result<Cpu, Error> {
        let c = self.engine.compare(host, guest)?;
        if !c.runs() {
            let reasons: Vec<String> = c
                .reasons()
                .iter()
                .map(|r| r.message().to_string())
                .collect();
            return Err(guest.locate(Error::new(
                ErrorKind::NoAnswer,
                format!("incompatible: {}", reasons.join("; ")),
            )));
        }
        let (g, h) = (self.get(guest)?, self.get(host)?);
        let mut def = self
            .x86
            .update(g.def(), h.def())
            .map_err(cpucompat_contract::Error::from)?;
        if let Some(m) = models {
            def = self
                .x86
                .translate(&def, m)
                .map_err(cpucompat_contract::Error::from)?;
        }
        self.own(def)
    }

    /// A guest CPU of one model with every feature listed (model features `require`,
    /// removed ones `disable`, sorted by name): what `virsh cpu-baseline --features` prints
    /// for one CPU of the model.
    ///
    /// # Errors
    /// A model the catalog does not know.
    pub fn expanded_model(&self, model: &str) -> Result<Cpu, Error> {
        let cpu = cpucompat_xml::model::CpuDef::custom_guest(
            model,
            cpucompat_xml::model::Fallback::Forbid,
        );
        let def = self
            .x86
            .expand(&cpu)
            .map_err(cpucompat_contract::Error::from)?;
        self.own(def)
    }

    /// This machine's CPUID (and the feature MSRs it can read), or `None` off x86.
    pub fn probe(&self) -> Option<CpuData> {
        cpucompat_x86::probe_host()
    }
}

/// What a POWER PVR decodes to (see [`Ppc64Ext::decode_pvr`]).
#[derive(Clone, Debug)]
pub struct PvrInfo {
    /// The PVR.
    pub pvr: Pvr,
    /// libvirt's model.
    pub model: String,
    /// Its vendor.
    pub vendor: Option<String>,
    /// QEMU's CPU class, if any.
    pub qemu_class: Option<String>,
    /// QEMU's server family, if any.
    pub family: Option<String>,
    /// The compat modes the family runs, oldest first.
    pub compat_modes: Vec<String>,
    /// The PVR as a host CPU.
    pub host: Cpu,
    /// The PVR as a guest CPU.
    pub guest: Cpu,
}

/// POWER-only operations (see [`Engine::ppc64`]).
#[derive(Clone, Copy, Debug)]
pub struct Ppc64Ext<'e> {
    engine: &'e Engine,
    ppc: &'e cpucompat_ppc64::Ppc64,
}

impl<'e> Ppc64Ext<'e> {
    fn get<'c>(&self, cpu: &'c Cpu) -> Result<&'c cpucompat_ppc64::Cpu, Error> {
        self.engine.unwrap::<cpucompat_ppc64::Ppc64>(cpu)
    }

    /// QEMU's table this engine decides with (compat modes, families, classes).
    pub fn qemu(&self) -> &'static QemuTable {
        self.ppc.qemu()
    }

    /// Decodes a PVR written as text (`0x004e1202`, `004e 1202`).
    ///
    /// # Errors
    /// Text that is not a PVR ([`ErrorKind::Argument`]), or a PVR no map model matches.
    pub fn decode_pvr(&self, text: &str) -> Result<PvrInfo, Error> {
        let pvr = Pvr::parse(text).map_err(|e| {
            Error::new(
                ErrorKind::Argument,
                cpucompat_contract::Error::from(e).message(),
            )
        })?;
        self.decode(pvr)
    }

    /// Decodes a PVR.
    ///
    /// # Errors
    /// A PVR no map model matches.
    pub fn decode(&self, pvr: Pvr) -> Result<PvrInfo, Error> {
        let d = self
            .ppc
            .decode(pvr)
            .map_err(cpucompat_contract::Error::from)?;
        let wrap = |c: cpucompat_ppc64::Cpu| self.engine.wrap_owned(AnyCpu::Ppc64(c));
        Ok(PvrInfo {
            pvr,
            model: d.model.name().to_string(),
            vendor: d.model.vendor().map(str::to_string),
            qemu_class: d.class.map(|c| c.name().to_string()),
            family: d.family.map(|f| f.name().to_string()),
            compat_modes: d
                .compat_modes
                .iter()
                .map(|m| m.name().to_string())
                .collect(),
            host: wrap(d.cpu(false)),
            guest: wrap(d.cpu(true)),
        })
    }

    /// The PVR a CPU carries (one decoded from a dump or a PVR).
    ///
    /// # Errors
    /// A CPU of another engine.
    pub fn pvr_of(&self, cpu: &Cpu) -> Result<Option<Pvr>, Error> {
        Ok(self.get(cpu)?.pvr())
    }

    /// The highest compat mode every host of a pool supports, as a `host-model` guest
    /// naming it; streamed.
    ///
    /// # Errors
    /// The stream's first error; a host whose family QEMU cannot place; no shared mode.
    pub fn compat_baseline<I>(&self, hosts: I) -> Result<(CompatBaseline, Cpu), Error>
    where
        I: IntoIterator,
        I::Item: PoolItem,
    {
        let mut first_error = None;
        let mut last: Option<Cpu> = None;
        let cpus = hosts.into_iter().map_while(|item| match item.into_cpu() {
            Ok(c) => match self.get(&c) {
                Ok(p) => {
                    let p = p.clone();
                    last = Some(c);
                    Some(p)
                }
                Err(e) => {
                    first_error = Some(e);
                    None
                }
            },
            Err(e) => {
                first_error = Some(e);
                None
            }
        });
        let result = self.ppc.compat_baseline_iter(cpus);
        if let Some(e) = first_error {
            return Err(e);
        }
        let b = result.map_err(|e| {
            let err = Error::from(cpucompat_contract::Error::from(e));
            match (&last, err.kind()) {
                (Some(c), ErrorKind::NoAnswer) => c.locate(err),
                _ => err,
            }
        })?;
        let cpu = self.ppc.check(b.def().clone())?;
        Ok((b, self.engine.wrap_owned(AnyCpu::Ppc64(cpu))))
    }

    /// libvirt's update of a guest for a start (`match='exact'` made explicit, a written
    /// model's fallback defaulted).
    ///
    /// # Errors
    /// A CPU of another engine.
    pub fn update(&self, guest: &Cpu) -> Result<Cpu, Error> {
        let g = self.get(guest)?;
        let def = self.ppc.update(g.def());
        let c = self.ppc.check(def)?.with_pvr(g.pvr());
        Ok(self.engine.wrap_owned(AnyCpu::Ppc64(c)))
    }

    /// A QMP monitor answering as `qemu-system-ppc64` (`query-cpu-definitions` and the
    /// model commands), one reply per request, until `quit` or the end of the input.
    ///
    /// # Errors
    /// A failed read or write.
    pub fn serve_qmp(&self, input: impl BufRead, output: impl Write) -> Result<(), Error> {
        let mut session = cpucompat_ppc64::qmp::session(self.ppc.qemu());
        cpucompat_qmp::serve(&mut session, input, output).map_err(qmp_io)
    }
}

/// s390x-only operations (see [`Engine::s390x`]).
#[derive(Clone, Copy, Debug)]
pub struct S390xExt<'e> {
    engine: &'e Engine,
    s390x: &'e cpucompat_s390x::Engine<'static>,
}

impl<'e> S390xExt<'e> {
    /// An engine answering as QEMU under KVM on a host whose host model (QEMU's
    /// `query-cpu-model-expansion` of `host`, as JSON) is `input`.
    ///
    /// # Errors
    /// An unreadable input, JSON that is not a CPU model, or a model QEMU refuses.
    pub fn with_host_model(&self, input: Input) -> Result<Engine, Error> {
        let (name, text) = input.read_text()?;
        let host = cpucompat_s390x::parse_host_model(self.s390x, &name, &text)
            .map_err(|e| host_model_error(&name, e))?;
        let kvm = self.s390x.clone().with_host(host);
        Ok(Engine::from_inner(Inner::S390x(kvm)))
    }

    /// A model as QEMU's static expansion (`<def>-base` plus the features that differ),
    /// as a CPU.
    ///
    /// # Errors
    /// A model QEMU does not know.
    pub fn static_model(&self, model: &str) -> Result<Cpu, Error> {
        let m = self
            .s390x
            .build(model, &[])
            .map_err(cpucompat_contract::Error::from)?;
        Ok(self
            .engine
            .wrap_owned(AnyCpu::S390x(self.s390x.cpu_of_model(m))))
    }

    /// QEMU's `query-cpu-definitions`: every CPU class with what makes it unavailable.
    pub fn definitions(&self) -> Vec<cpucompat_s390x::DefinitionInfo> {
        self.s390x.definitions()
    }

    /// A QMP monitor answering as `qemu-system-s390x` (the four CPU-model commands), one
    /// reply per request, until `quit` or the end of the input.
    ///
    /// # Errors
    /// A failed read or write.
    pub fn serve_qmp(&self, input: impl BufRead, output: impl Write) -> Result<(), Error> {
        cpucompat_s390x::serve(self.s390x.clone(), input, output).map_err(qmp_io)
    }
}

fn qmp_io(e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("qmp: {}", crate::error::io_message(&e)),
    )
    .caused_by(e)
}

/// A host-model file error, named after the file.
pub(crate) fn host_model_error(name: &str, e: cpucompat_s390x::HostModelError) -> Error {
    use cpucompat_s390x::HostModelError as H;
    match e {
        H::Json {
            line,
            column,
            message,
            ..
        } => Error::new(ErrorKind::Syntax, message).in_file(name, line as u32, column as u32),
        H::Shape { .. } => Error::new(
            ErrorKind::Syntax,
            "expected a cpu model object {\"name\": string, \"props\": {name: bool}}",
        )
        .in_file(name, 0, 0),
        H::Model { source, .. } => {
            Error::from(cpucompat_contract::Error::from(source)).about(name, Pos::default())
        }
    }
}

impl Engine {
    pub(crate) fn from_inner(inner: Inner) -> Engine {
        Engine::assemble(inner)
    }
}
