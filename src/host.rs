//! This machine, as an engine sees it: [`Engine::host`], [`Engine::host_view`].
//!
//! Two views of an x86 machine, as libvirt has them:
//!
//! * [`HostView::Host`] (`virsh capabilities`): the CPUID instruction, plus the feature
//!   MSRs by libvirt's rule (`/dev/cpu/0/msr` when readable, else KVM's feature-MSR
//!   interface on `/dev/kvm`), decoded as a host CPU; also decoded as a guest CPU (what a
//!   `host-model` guest starts from), and every catalog model judged against it;
//! * [`HostView::Kvm`] (`virsh domcapabilities --virttype kvm`): the host-model a KVM guest
//!   gets, computed from `KVM_GET_SUPPORTED_CPUID` and KVM's feature MSRs with QEMU 7.2's
//!   rules for what it passes to a guest, decoded the way libvirt decodes QEMU's host CPU.
//!
//! The report says which sources were read, and why any was not. POWER reads the PVR
//! from `/proc/cpuinfo`. s390x needs KVM on s390x, which cpucompat cannot read; it answers
//! from a host-model file instead ([`crate::S390xExt::with_host_model`]).
use crate::cpu::Cpu;
use crate::engine::{Engine, Inner};
use crate::error::{Error, ErrorKind};
use crate::ext::PvrInfo;
use crate::input::Input;
use cpucompat_contract::{Arch, ModelUsability};
use cpucompat_xml::model::CpuKind;
use serde_json::{json, Value};

/// Which view of this machine a [`HostReport`] gives (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HostView {
    /// The host CPU, as `virsh capabilities` reports it.
    #[default]
    Host,
    /// The host-model a KVM guest gets, as `virsh domcapabilities --virttype kvm` reports
    /// it (x86).
    Kvm,
}

impl HostView {
    /// `host` or `kvm`.
    pub fn as_str(self) -> &'static str {
        match self {
            HostView::Host => "host",
            HostView::Kvm => "kvm",
        }
    }
}

/// A report on this machine (see [`Engine::host`]).
#[derive(Clone, Debug)]
pub struct HostReport {
    view: HostView,
    arch: Arch,
    catalog: String,
    cpu: Cpu,
    guest: Option<Cpu>,
    features: Vec<String>,
    models: Vec<ModelUsability>,
    pvr: Option<PvrInfo>,
    sources: Vec<String>,
    skipped: Vec<(String, String)>,
}

impl HostReport {
    /// Which view this is.
    pub fn view(&self) -> HostView {
        self.view
    }

    /// Sources that could not be read, with the reason (e.g. `/dev/kvm`: permission
    /// denied).
    pub fn skipped(&self) -> &[(String, String)] {
        &self.skipped
    }

    /// The architecture.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// The catalog the report was decided with.
    pub fn catalog(&self) -> &str {
        &self.catalog
    }

    /// This machine's CPU as a host definition.
    pub fn cpu(&self) -> &Cpu {
        &self.cpu
    }

    /// The same data decoded as a guest CPU (x86): what a `host-model` guest starts from.
    pub fn guest(&self) -> Option<&Cpu> {
        self.guest.as_ref()
    }

    /// Every feature this machine offers, in catalog order.
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// Every catalog model, usable here or not.
    pub fn models(&self) -> &[ModelUsability] {
        &self.models
    }

    /// What its PVR decodes to (POWER).
    pub fn pvr(&self) -> Option<&PvrInfo> {
        self.pvr.as_ref()
    }

    /// What was read to make the report (`cpuid instruction`, `/dev/kvm feature msrs`,
    /// `/dev/cpu/0/msr`, `/dev/kvm supported cpuid`, `/proc/cpuinfo`).
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// The report as JSON: `arch`, `catalog`, `sources`, `vendor`, `signature`, `model`,
    /// `extra_features`, `guest_model`, `guest_features`, `features`, `models` (and `pvr`
    /// on POWER).
    pub fn to_json(&self) -> Value {
        let def = self.cpu.definition();
        let mut v = json!({
            "view": self.view.as_str(),
            "arch": self.arch.as_str(),
            "catalog": self.catalog,
            "sources": self.sources,
            "skipped": self.skipped.iter().map(|(s, why)| json!({"source": s, "reason": why})).collect::<Vec<_>>(),
            "vendor": def.vendor,
            "signature": def.signature.map(|s| json!({
                "family": s.family, "model": s.model, "stepping": s.stepping,
            })),
            "model": def.model_name(),
            "extra_features": def.features.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
            "guest_model": self.guest.as_ref().and_then(|g| g.model().map(str::to_string)),
            "guest_features": self.guest.as_ref().map(|g| g.definition().features.iter().map(|f| json!({
                "name": f.name,
                "policy": f.policy.map(|p| p.as_str()),
            })).collect::<Vec<_>>()),
            "features": self.features,
            "models": self.models,
        });
        if let (Some(p), Some(obj)) = (&self.pvr, v.as_object_mut()) {
            obj.insert(
                "pvr".into(),
                json!({
                    "pvr": p.pvr.to_string(),
                    "model": p.model,
                    "vendor": p.vendor,
                    "qemu_class": p.qemu_class,
                    "family": p.family,
                    "dd": format!("{}.{}", p.pvr.dd_major(), p.pvr.dd_minor()),
                    "compat_modes": p.compat_modes,
                }),
            );
        }
        v
    }
}

impl Engine {
    /// A report on the machine this program runs on, as `virsh capabilities` sees it.
    ///
    /// # Errors
    /// A machine of another architecture than the engine's (it cannot be read), or s390x
    /// (cpucompat cannot read KVM's host model there).
    pub fn host(&self) -> Result<HostReport, Error> {
        self.host_view(HostView::Host)
    }

    /// A report on this machine in the given view (see the module documentation).
    ///
    /// # Errors
    /// As [`Engine::host`]; for [`HostView::Kvm`], a machine whose `/dev/kvm` cannot be
    /// read, or an architecture other than x86.
    pub fn host_view(&self, view: HostView) -> Result<HostReport, Error> {
        match (&self.inner, view) {
            (Inner::X86(_), _) => {
                let rec = cpucompat_x86::HostRecord::live().ok_or_else(|| not_this(Arch::X86))?;
                self.x86_report(&rec, view)
            }
            (Inner::Ppc64(_), HostView::Host) => self.ppc64_host(),
            (Inner::S390x(_), HostView::Host) => Err(Error::new(
                ErrorKind::Unsupported,
                "reading this machine's s390x CPU needs KVM on s390x; use `models HOST` with a host model file",
            )),
            (_, HostView::Kvm) => Err(Error::new(
                ErrorKind::Unsupported,
                "the KVM host-model view is computed for x86 hosts",
            )),
        }
    }

    /// A report on a recorded machine (a host record JSON, as `cpucompat` writes them: the
    /// CPUID walk, KVM's answers, MSR values), so a host can be judged where it is not.
    ///
    /// # Errors
    /// An unreadable or malformed record; an engine other than x86.
    pub fn host_record(&self, input: Input, view: HostView) -> Result<HostReport, Error> {
        let (name, text) = input.read_text()?;
        let rec = cpucompat_x86::HostRecord::from_json(&text).map_err(|e| {
            let p = e.pos().unwrap_or_default();
            Error::new(ErrorKind::Syntax, e.to_string()).in_file(&name, p.line, p.column)
        })?;
        match &self.inner {
            Inner::X86(_) => self.x86_report(&rec, view),
            _ => Err(Error::new(
                ErrorKind::Unsupported,
                "host records are x86 CPUID and KVM answers",
            )
            .in_file(&name, 0, 0)),
        }
    }

    fn x86_report(
        &self,
        rec: &cpucompat_x86::HostRecord,
        view: HostView,
    ) -> Result<HostReport, Error> {
        let Inner::X86(x) = &self.inner else {
            return Err(not_this(Arch::X86));
        };
        let ext = self.x86().ok_or_else(|| not_this(Arch::X86))?;
        let named = |e: Error| e.about("<this machine's CPUID>", Default::default());
        let (cpu, guest, sources, skipped) = match view {
            HostView::Host => {
                let probe = x.host_probe_from(rec);
                let sources = probe.sources().iter().map(|s| s.to_string()).collect();
                let skipped = probe
                    .skipped()
                    .iter()
                    .map(|(s, why)| (s.to_string(), why.clone()))
                    .collect();
                let data = probe.into_data();
                let cpu = ext.decode_with(&data, CpuKind::Host, None).map_err(named)?;
                let guest = ext
                    .decode_with(&data, CpuKind::Guest, None)
                    .map_err(named)?;
                (cpu, Some(guest), sources, skipped)
            }
            HostView::Kvm => {
                let def = x.kvm_host_model(rec).map_err(|e| {
                    Error::new(ErrorKind::Unsupported, format!("kvm host-model: {e}"))
                })?;
                let cpu = ext.check_unlocated(def)?;
                let sources = vec![
                    "cpuid instruction".to_string(),
                    "/dev/kvm supported cpuid".to_string(),
                    "/dev/kvm feature msrs".to_string(),
                ];
                (cpu, None, sources, vec![])
            }
        };
        let features = self.features(&cpu)?;
        let models = self.usability(&cpu)?;
        Ok(HostReport {
            view,
            arch: Arch::X86,
            catalog: self.catalog(),
            cpu,
            guest,
            features,
            models,
            pvr: None,
            sources,
            skipped,
        })
    }

    fn ppc64_host(&self) -> Result<HostReport, Error> {
        let ext = self.ppc64().ok_or_else(|| not_this(Arch::Ppc64))?;
        let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let (pvr, _) =
            cpucompat_ppc64::Pvr::from_cpuinfo(&text).map_err(|_| not_this(Arch::Ppc64))?;
        let info = ext.decode(pvr)?;
        let models = self.usability(&info.host)?;
        Ok(HostReport {
            view: HostView::Host,
            arch: Arch::Ppc64,
            catalog: self.catalog(),
            cpu: info.host.clone(),
            guest: Some(info.guest.clone()),
            features: vec![],
            models,
            pvr: Some(info),
            sources: vec!["/proc/cpuinfo".to_string()],
            skipped: vec![],
        })
    }
}

fn not_this(arch: Arch) -> Error {
    let what = match arch {
        Arch::X86 => "CPUID: not an x86 processor",
        _ => "PVR: not a POWER processor",
    };
    Error::new(
        ErrorKind::Unsupported,
        format!("cannot read this machine's {what}"),
    )
}
