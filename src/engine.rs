//! [`Engine`]: one architecture's adapter over one catalog, behind one typed API.
//!
//! The engine is the library's one door. It owns the adapter (x86, POWER or s390x) and
//! its catalog, turns inputs into checked [`Cpu`]s, and answers compare, baseline,
//! models, expand and decode with the contract's shared result types. Every operation is
//! the adapter's (nothing is decided here): the engine only dispatches, streams, and
//! names the input an error is about.
use crate::cpu::{foreign, AnyCpu, Cpu, Origin, Wrap};
use crate::error::{Error, ErrorKind};
use crate::input::{self, Form, Input};
use cpucompat_catalog::Compiled;
use cpucompat_contract::{
    Adapter, Arch, BaselineOptions, Comparison, Expansion, ModelInfo, ModelUsability,
};
use cpucompat_xml::model::{CpuData, CpuDef, CpuKind, Pos};
use std::path::PathBuf;
use std::sync::Arc;

/// Which libvirt `cpu_map` an x86 or POWER engine decides with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CpuMap {
    /// libvirt 12.8.0's map, embedded (the default).
    #[default]
    Libvirt12_8,
    /// libvirt 11.3.0's map, embedded: the one libvirt's own test outcomes were computed
    /// with.
    Libvirt11_3,
    /// A libvirt `cpu_map` directory (holding `index.xml`), read when the engine is built.
    Dir(PathBuf),
}

/// Which QEMU release's tables an s390x or POWER engine decides with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Qemu {
    /// The newest tables cpucompat carries (the default).
    #[default]
    Newest,
    /// QEMU 7.2 (Debian 12's).
    V7_2,
}

impl Qemu {
    /// Reads a release as written on a command line: `newest`, `master`, `10.2`, `7.2`,
    /// `7.2.22` ...; `None` for a release cpucompat has no tables of.
    pub fn from_name(v: &str) -> Option<Qemu> {
        match v {
            "newest" | "master" | "10.2" | "10.2.50" => Some(Qemu::Newest),
            _ if v == "7.2" || v.starts_with("7.2.") => Some(Qemu::V7_2),
            _ => None,
        }
    }
}

/// Builds an [`Engine`]: the architecture, then the catalog choices that apply to it.
#[derive(Clone, Debug)]
pub struct EngineBuilder {
    arch: Arch,
    cpu_map: Option<CpuMap>,
    qemu: Option<Qemu>,
}

impl EngineBuilder {
    /// Decide with this libvirt `cpu_map` (x86 and POWER).
    #[must_use]
    pub fn cpu_map(mut self, map: CpuMap) -> EngineBuilder {
        self.cpu_map = Some(map);
        self
    }

    /// Decide with this QEMU release's tables (s390x and POWER).
    #[must_use]
    pub fn qemu(mut self, qemu: Qemu) -> EngineBuilder {
        self.qemu = Some(qemu);
        self
    }

    /// The engine.
    ///
    /// # Errors
    /// A choice that does not apply to the architecture ([`ErrorKind::Argument`]), or a
    /// `cpu_map` directory that cannot be read or is inconsistent (its file, line and
    /// column).
    pub fn build(self) -> Result<Engine, Error> {
        let inner = match self.arch {
            Arch::X86 => {
                if self.qemu.is_some() {
                    return Err(Error::new(
                        ErrorKind::Argument,
                        "x86 decides with libvirt's cpu_map alone: a QEMU release does not apply",
                    ));
                }
                let cat = compiled(self.cpu_map.unwrap_or_default(), Arch::X86)?;
                Inner::X86(cpucompat_x86::X86::new(cat))
            }
            Arch::Ppc64 => {
                let cat = compiled(self.cpu_map.unwrap_or_default(), Arch::Ppc64)?;
                let map = cpucompat_ppc64::LibvirtMap::from_compiled(&cat)
                    .map_err(|e| Error::from(cpucompat_contract::Error::from(e)))?;
                let table = match self.qemu.unwrap_or_default() {
                    Qemu::Newest => cpucompat_ppc64::QemuTable::newest(),
                    Qemu::V7_2 => cpucompat_ppc64::QemuTable::v7_2(),
                }
                .map_err(|e| Error::from(cpucompat_contract::Error::from(e)))?;
                Inner::Ppc64(cpucompat_ppc64::Ppc64::new(Arc::new(map), table))
            }
            Arch::S390x => {
                if self.cpu_map.is_some() {
                    return Err(Error::new(
                        ErrorKind::Argument,
                        "s390x models come from QEMU's tables: a libvirt cpu_map does not apply",
                    ));
                }
                let release = match self.qemu.unwrap_or_default() {
                    Qemu::Newest => cpucompat_s390x::Release::Newest,
                    Qemu::V7_2 => cpucompat_s390x::Release::Qemu72,
                };
                Inner::S390x(cpucompat_s390x::Engine::tcg(release))
            }
        };
        Ok(Engine::assemble(inner))
    }
}

/// A compiled libvirt catalog for `arch`.
fn compiled(map: CpuMap, arch: Arch) -> Result<Arc<Compiled>, Error> {
    use cpucompat_catalog::embedded;
    Ok(match (map, arch) {
        (CpuMap::Libvirt12_8, Arch::X86) => embedded::x86().clone(),
        (CpuMap::Libvirt11_3, Arch::X86) => embedded::x86_libvirt_11_3().clone(),
        (CpuMap::Libvirt12_8, _) => embedded::ppc64().clone(),
        (CpuMap::Libvirt11_3, _) => embedded::ppc64_libvirt_11_3().clone(),
        (CpuMap::Dir(dir), arch) => {
            let a = match arch {
                Arch::X86 => cpucompat_catalog::Arch::X86,
                _ => cpucompat_catalog::Arch::Ppc64,
            };
            Arc::new(Compiled::load_cpu_map(&dir, a).map_err(crate::catalog::error)?)
        }
    })
}

#[derive(Clone)]
pub(crate) enum Inner {
    X86(cpucompat_x86::X86),
    Ppc64(cpucompat_ppc64::Ppc64),
    S390x(cpucompat_s390x::Engine<'static>),
}

impl Inner {
    /// Which catalogs this engine's CPUs belong to: engines over the same catalogs share
    /// CPUs.
    fn identity(&self) -> usize {
        match self {
            Inner::X86(a) => a.catalog() as *const Compiled as usize,
            Inner::Ppc64(a) => {
                (a.map() as *const _ as usize) ^ (a.qemu() as *const _ as usize).rotate_left(7)
            }
            Inner::S390x(a) => a.catalog() as *const _ as usize,
        }
    }
}

/// Runs `$body` with `$a` bound to the engine's adapter, whatever its type.
macro_rules! with_adapter {
    ($engine:expr, $a:ident => $body:expr) => {
        match &$engine.inner {
            Inner::X86($a) => $body,
            Inner::Ppc64($a) => $body,
            Inner::S390x($a) => $body,
        }
    };
}

/// One architecture's decisions over one catalog: the library's entry point.
///
/// ```
/// use cpucompat::{Arch, Engine};
///
/// let engine = Engine::new(Arch::X86)?;
/// let host = engine.parse("<cpu><arch>x86_64</arch><model>Skylake-Client</model></cpu>")?;
/// let guest = engine.parse("<cpu mode='custom' match='exact'><model>Haswell</model></cpu>")?;
/// assert!(engine.compare(&host, &guest)?.runs());
/// # Ok::<(), cpucompat::Error>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Inner,
    id: usize,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("arch", &self.arch())
            .field("catalog", &self.catalog())
            .finish()
    }
}

impl Engine {
    /// An engine for `arch` with the default catalogs (libvirt 12.8's cpu_map, QEMU's
    /// newest tables).
    ///
    /// # Errors
    /// None with the embedded catalogs; the signature matches [`EngineBuilder::build`].
    pub fn new(arch: Arch) -> Result<Engine, Error> {
        Engine::builder(arch).build()
    }

    /// A builder, to choose the catalogs.
    ///
    /// ```
    /// use cpucompat::{Arch, CpuMap, Engine, Qemu};
    /// let x86 = Engine::builder(Arch::X86).cpu_map(CpuMap::Libvirt11_3).build()?;
    /// let s390x = Engine::builder(Arch::S390x).qemu(Qemu::V7_2).build()?;
    /// assert!(Engine::builder(Arch::S390x).cpu_map(CpuMap::Libvirt11_3).build().is_err());
    /// # Ok::<(), cpucompat::Error>(())
    /// ```
    pub fn builder(arch: Arch) -> EngineBuilder {
        EngineBuilder {
            arch,
            cpu_map: None,
            qemu: None,
        }
    }

    /// The architecture.
    pub fn arch(&self) -> Arch {
        with_adapter!(self, a => Adapter::arch(a))
    }

    /// The catalog and tables this engine decides with, one line.
    pub fn catalog(&self) -> String {
        with_adapter!(self, a => Adapter::catalog(a))
    }

    /// Checks a parsed definition against the catalog.
    ///
    /// # Errors
    /// An unknown model or feature (at the position the definition carries), or a
    /// definition of another architecture.
    pub fn cpu(&self, def: CpuDef) -> Result<Cpu, Error> {
        self.check(def, None)
    }

    fn check(&self, def: CpuDef, input: Option<&Arc<str>>) -> Result<Cpu, Error> {
        let origin = input.map(|i| Origin {
            input: i.clone(),
            pos: def.pos,
        });
        let pos = def.pos;
        fn go<A: Wrap>(a: &A, def: CpuDef) -> Result<AnyCpu, cpucompat_contract::Error> {
            a.cpu(def).map(A::wrap)
        }
        let inner = with_adapter!(self, a => go(a, def)).map_err(|e| {
            let e = Error::from(e);
            match input {
                Some(i) => e.about(i, pos),
                None => e,
            }
        })?;
        Ok(self.own(inner, origin))
    }

    pub(crate) fn assemble(inner: Inner) -> Engine {
        let id = inner.identity();
        Engine { inner, id }
    }

    fn own(&self, inner: AnyCpu, origin: Option<Origin>) -> Cpu {
        Cpu {
            inner,
            engine: self.id,
            origin,
        }
    }

    /// The first CPU definition of an XML text (any form: bare `<cpu>`, domain,
    /// capabilities, domcapabilities), checked. The text is named `<string>` in errors.
    ///
    /// ```
    /// let engine = cpucompat::Engine::new(cpucompat::Arch::X86)?;
    /// let host = engine.parse("<cpu><arch>x86_64</arch><model>Haswell</model></cpu>")?;
    /// assert_eq!(host.model(), Some("Haswell"));
    /// let err = engine.parse("<cpu>\n  <model>Haswel</model>\n</cpu>").unwrap_err();
    /// assert_eq!(err.to_string(), "<string>:2:3: unknown CPU model Haswel");
    /// # Ok::<(), cpucompat::Error>(())
    /// ```
    ///
    /// # Errors
    /// Malformed XML, no CPU definition, or a name the catalog does not know; each with
    /// its line and column.
    pub fn parse(&self, xml: &str) -> Result<Cpu, Error> {
        self.read_one(Input::from_text("<string>", xml))
    }

    /// Every CPU of an input, in order: CPU definitions in any XML form, or a dump
    /// (`<cpudata>`, `cpuid -r` text, POWER `/proc/cpuinfo`, QEMU's s390x host-model
    /// JSON) decoded as a host.
    ///
    /// # Errors
    /// An unreadable or malformed input, an input without a CPU, or a name the catalog
    /// does not know: each naming the input and, where it has one, the position.
    pub fn read(&self, input: Input) -> Result<Vec<Cpu>, Error> {
        let (name, opened) = input.into_opened()?;
        let name: Arc<str> = name.into();
        match opened {
            input::Opened::Cpus(stream, first) => {
                let mut out = Vec::new();
                if let Some(d) = first {
                    out.push(self.check(d, Some(&name))?);
                }
                for d in *stream {
                    let d = d.map_err(|e| input::xml_error(&name, &e))?;
                    out.push(self.check(d, Some(&name))?);
                }
                if out.is_empty() {
                    return Err(Error::new(ErrorKind::Syntax, "no <cpu> element found")
                        .in_file(&name, 0, 0));
                }
                Ok(out)
            }
            input::Opened::Text(text) => Ok(vec![self.decode_text(&name, &text, CpuKind::Host)?]),
        }
    }

    /// The first CPU of an input (what `virsh` compares), checked; the whole input must
    /// be well-formed.
    ///
    /// # Errors
    /// As [`Engine::read`].
    pub fn read_one(&self, input: Input) -> Result<Cpu, Error> {
        let name = input.name().to_string();
        self.read(input)?.into_iter().next().ok_or_else(|| {
            Error::new(ErrorKind::Syntax, "no <cpu> element found").in_file(&name, 0, 0)
        })
    }

    /// Decodes a dump as a host or guest CPU: a `<cpudata>` XML dump, `cpuid -r` text
    /// (x86), a POWER `/proc/cpuinfo`.
    ///
    /// # Errors
    /// An input that is not a dump, data of another architecture, data no model can
    /// express; s390x has no dumps.
    pub fn decode(&self, input: Input, kind: CpuKind) -> Result<Cpu, Error> {
        let (name, opened) = input.into_opened()?;
        let name: Arc<str> = name.into();
        match opened {
            input::Opened::Text(text) => self.decode_text(&name, &text, kind),
            input::Opened::Cpus(..) => Err(Error::new(
                ErrorKind::Syntax,
                "expected a CPU dump (<cpudata>, cpuid -r text or /proc/cpuinfo), not CPU definitions",
            )
            .in_file(&name, 1, 1)),
        }
    }

    /// Decodes raw data (a CPUID/MSR or PVR dump) as a host or guest CPU.
    ///
    /// # Errors
    /// Data of another architecture, or data no model can express.
    pub fn decode_data(&self, data: &CpuData, kind: CpuKind) -> Result<Cpu, Error> {
        let inner = with_adapter!(self, a => decode_with(a, data, kind))?;
        Ok(self.own(inner, None))
    }

    fn decode_text(&self, name: &Arc<str>, text: &str, kind: CpuKind) -> Result<Cpu, Error> {
        let here = |e: cpucompat_contract::Error| Error::from(e).about(name, Pos::default());
        let origin = Some(Origin {
            input: name.clone(),
            pos: Pos::default(),
        });
        let inner = match (&self.inner, input::form_of(name, text)?) {
            (Inner::S390x(a), Form::Json) => {
                let m = cpucompat_s390x::parse_host_model(a, name, text)
                    .map_err(|e| crate::ext::host_model_error(name, e))?;
                AnyCpu::S390x(a.cpu_of_model(m))
            }
            (_, Form::Json) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "QEMU's JSON host model is an s390x input, not {}",
                        self.arch()
                    ),
                )
                .in_file(name, 1, 1))
            }
            (_, Form::CpuData) => {
                let data =
                    cpucompat_xml::parse_cpudata(text).map_err(|e| input::xml_error(name, &e))?;
                with_adapter!(self, a => decode_with(a, &data, kind)).map_err(here)?
            }
            (Inner::X86(a), Form::CpuidText) => {
                let data = cpucompat_x86::parse_cpuid_r(text)
                    .map_err(|e| here(cpucompat_contract::Error::from(e)))?;
                AnyCpu::X86(Adapter::decode(a, &data, kind).map_err(here)?)
            }
            (Inner::Ppc64(a), Form::Cpuinfo) => {
                let (pvr, _) = cpucompat_ppc64::Pvr::from_cpuinfo(text)
                    .map_err(|e| here(cpucompat_contract::Error::from(e)))?;
                AnyCpu::Ppc64(a.decode_cpu(pvr, kind).map_err(here)?)
            }
            (_, form) => {
                let what = match form {
                    Form::CpuidText => "`cpuid -r` text is an x86 dump",
                    _ => "/proc/cpuinfo text is read for POWER only",
                };
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("{what}, not {}", self.arch()),
                )
                .in_file(name, 1, 1));
            }
        };
        Ok(self.own(inner, origin))
    }

    /// The CPUs of several inputs, read one definition at a time: a file of a million
    /// hosts is never held in memory. Items are checked as they are read; after the first
    /// error the stream ends.
    pub fn read_pool<I>(&self, inputs: I) -> crate::Pool<'_>
    where
        I: IntoIterator<Item = Input>,
        I::IntoIter: 'static,
    {
        crate::Pool::new(self, Box::new(inputs.into_iter()))
    }

    pub(crate) fn check_in(&self, def: CpuDef, input: &Arc<str>) -> Result<Cpu, Error> {
        self.check(def, Some(input))
    }

    pub(crate) fn decode_in(&self, input: &Arc<str>, text: &str) -> Result<Cpu, Error> {
        self.decode_text(input, text, CpuKind::Host)
    }

    /// The adapter's CPU inside `cpu`, if this engine checked it.
    pub(crate) fn unwrap<'c, A: Wrap>(&self, cpu: &'c Cpu) -> Result<&'c A::Cpu, Error> {
        match A::get(&cpu.inner) {
            Some(c) if cpu.engine == self.id => Ok(c),
            _ => Err(foreign(cpu, self.arch())),
        }
    }

    /// Can `guest` run on `host`?
    ///
    /// An incompatible guest is an answer, not an error: see [`Comparison::runs`] and
    /// [`Comparison::reasons`].
    ///
    /// # Errors
    /// A CPU read by another engine; a guest relative to a host that names no model.
    pub fn compare(&self, host: &Cpu, guest: &Cpu) -> Result<Comparison, Error> {
        fn go<A: Wrap>(e: &Engine, a: &A, host: &Cpu, guest: &Cpu) -> Result<Comparison, Error> {
            let h = e.unwrap::<A>(host)?;
            let g = e.unwrap::<A>(guest)?;
            a.compare(h, g).map_err(|err| {
                let about = if err.input_index() == Some(cpucompat_contract::HOST) {
                    host
                } else {
                    guest
                };
                about.locate(err.into())
            })
        }
        with_adapter!(self, a => go(self, a, host, guest))
    }

    /// The richest guest CPU every CPU of a pool runs, streamed: any iterator of
    /// [`Cpu`]s, `&Cpu`s or `Result<Cpu, Error>`s (such as [`Engine::read_pool`]).
    ///
    /// # Errors
    /// The first input error of the stream; or no common CPU (different vendors or
    /// models, nothing in common), naming the CPU where the fold failed; or an option the
    /// architecture does not have.
    pub fn baseline<I>(&self, cpus: I, opts: &BaselineOptions) -> Result<Baseline, Error>
    where
        I: IntoIterator,
        I::Item: crate::PoolItem,
    {
        crate::pool::baseline(self, cpus.into_iter(), opts)
    }

    /// Every catalog model, in catalog order.
    pub fn models(&self) -> Vec<ModelInfo> {
        with_adapter!(self, a => Adapter::models(a))
    }

    /// Every catalog model as seen from `host`: usable or not, and what blocks it.
    ///
    /// # Errors
    /// A CPU read by another engine; a host that cannot be judged.
    pub fn usability(&self, host: &Cpu) -> Result<Vec<ModelUsability>, Error> {
        fn go<A: Wrap>(e: &Engine, a: &A, host: &Cpu) -> Result<Vec<ModelUsability>, Error> {
            let h = e.unwrap::<A>(host)?;
            a.usability(h).map_err(|err| host.locate(err.into()))
        }
        with_adapter!(self, a => go(self, a, host))
    }

    /// A named model's full definition.
    ///
    /// # Errors
    /// A model the catalog does not know.
    pub fn expand(&self, model: &str) -> Result<Expansion, Error> {
        with_adapter!(self, a => Adapter::expand(a, model)).map_err(Error::from)
    }

    /// The guest that asks a host for exactly what it is (what a guest started with the
    /// host's CPU carries to a migration target).
    ///
    /// # Errors
    /// A CPU read by another engine, or a host without a model.
    pub fn guest_of(&self, host: &Cpu) -> Result<Cpu, Error> {
        fn go<A: Wrap>(e: &Engine, a: &A, host: &Cpu) -> Result<AnyCpu, Error> {
            let h = e.unwrap::<A>(host)?;
            a.guest_of(h)
                .map(A::wrap)
                .map_err(|err| host.locate(err.into()))
        }
        let inner = with_adapter!(self, a => go(self, a, host))?;
        Ok(self.own(inner, None))
    }

    /// The engine that judges guests against `host`: on s390x, QEMU under KVM with `host`
    /// as the host model (so `host-passthrough`, `host-model` and `max` guests read as
    /// that CPU, as libvirt's `hypervisor-cpu-compare` does); elsewhere this engine.
    ///
    /// # Errors
    /// A CPU read by another engine.
    pub fn for_host(&self, host: &Cpu) -> Result<Engine, Error> {
        match &self.inner {
            Inner::S390x(a) => {
                let h = self.unwrap::<cpucompat_s390x::Engine<'static>>(host)?;
                Ok(Engine::assemble(Inner::S390x(
                    a.clone().with_host(*h.model()),
                )))
            }
            _ => Ok(self.clone()),
        }
    }

    /// The names of the features a CPU denotes (x86: catalog order; s390x: bit order;
    /// POWER: none).
    ///
    /// # Errors
    /// A CPU read by another engine.
    pub fn features(&self, cpu: &Cpu) -> Result<Vec<String>, Error> {
        fn go<A: Wrap>(e: &Engine, a: &A, cpu: &Cpu) -> Result<Vec<String>, Error> {
            let c = e.unwrap::<A>(cpu)?;
            Ok(a.feature_names(&a.point(c).features))
        }
        with_adapter!(self, a => go(self, a, cpu))
    }

    /// The lattice point of a CPU (architecture, vendor, level, features): what the laws
    /// are stated over.
    ///
    /// # Errors
    /// A CPU read by another engine.
    pub fn point(&self, cpu: &Cpu) -> Result<cpucompat_lattice::Point, Error> {
        fn go<A: Wrap>(e: &Engine, a: &A, cpu: &Cpu) -> Result<cpucompat_lattice::Point, Error> {
            Ok(a.point(e.unwrap::<A>(cpu)?))
        }
        with_adapter!(self, a => go(self, a, cpu))
    }

    /// Every feature a CPU at `cpu`'s level may have (see the adapter contract).
    ///
    /// # Errors
    /// A CPU read by another engine.
    pub fn ceiling(&self, cpu: &Cpu) -> Result<cpucompat_lattice::FeatureSet, Error> {
        fn go<A: Wrap>(
            e: &Engine,
            a: &A,
            cpu: &Cpu,
        ) -> Result<cpucompat_lattice::FeatureSet, Error> {
            Ok(a.ceiling(e.unwrap::<A>(cpu)?))
        }
        with_adapter!(self, a => go(self, a, cpu))
    }

    /// Every feature name of the catalog, in catalog order (none on POWER).
    pub fn all_features(&self) -> Vec<String> {
        fn go<A: Wrap>(a: &A) -> Vec<String> {
            a.feature_names(&a.universe())
        }
        with_adapter!(self, a => go(a))
    }

    /// The names of a set of this engine's features.
    pub fn feature_names(&self, set: &cpucompat_lattice::FeatureSet) -> Vec<String> {
        with_adapter!(self, a => Adapter::feature_names(a, set))
    }

    pub(crate) fn wrap_owned(&self, inner: AnyCpu) -> Cpu {
        self.own(inner, None)
    }
}

fn decode_with<A: Wrap>(
    a: &A,
    data: &CpuData,
    kind: CpuKind,
) -> Result<AnyCpu, cpucompat_contract::Error> {
    a.decode(data, kind).map(A::wrap)
}

/// The result of [`Engine::baseline`]: a guest CPU every input runs.
#[derive(Clone, Debug)]
pub struct Baseline {
    pub(crate) cpu: Cpu,
    pub(crate) inputs: usize,
}

impl Baseline {
    /// The baseline CPU (a guest definition).
    pub fn cpu(&self) -> &Cpu {
        &self.cpu
    }

    /// The baseline CPU, given back.
    pub fn into_cpu(self) -> Cpu {
        self.cpu
    }

    /// How many CPUs the pool had.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// libvirt's XML of the baseline CPU.
    pub fn to_xml(&self) -> String {
        self.cpu.to_xml()
    }
}
