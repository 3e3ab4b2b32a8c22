//! libvirt's QEMU driver: `hypervisor-cpu-compare` and `hypervisor-cpu-baseline` against
//! the description of one host's hypervisor.
//!
//! The answers that matter in production (Nova's live-migration check, KubeVirt's and
//! OpenStack's baselines) come from libvirt's QEMU driver, which does not compare with a
//! host `<cpu>` but with what QEMU says it can give a guest on that host. A host of a fleet
//! is described by files an operator can copy off it:
//!
//! * libvirt's QEMU capabilities cache (`/var/cache/libvirt/qemu/capabilities/*.xml`,
//!   root `<qemuCaps>`): everything libvirt knows (host CPU expansions per accelerator,
//!   QEMU's CPU definitions with usability and blockers, the feature filter);
//! * or `virsh domcapabilities` output, which lacks QEMU's own model names (`max`,
//!   `base`, `host`), QEMU's blocker order and the baseline's feature filter: answers
//!   agree on verdicts except for those names, and baselines may keep features QEMU does
//!   not know (see [`Hypervisor::limitations`]).
//!
//! The rules are the adapters' (`crates/x86`: `hvhost`, `hvcompare`, `hvbaseline`;
//! `crates/s390x`: `hypervisor`), checked against libvirtd 11.3 with QEMU 7.2. Inputs are
//! read as libvirt reads them: definitions are taken as written (no catalog check before
//! the rules run), the first CPU of a file is compared, every CPU of every file goes into a
//! baseline. Errors carry the exact text `virsh` prints ([`Error::libvirt_message`]).
use crate::cpu::Cpu;
use crate::engine::{Engine, Inner};
use crate::error::{Error, ErrorKind};
use crate::input::{self, Input};
use cpucompat_contract::{BaselineOptions, Comparison, Reason, Rule, Verdict};
use cpucompat_xml::model::{CpuDef, Pos};
use cpucompat_xml::qemucaps::{HypervisorDoc, Usable};
use serde::Serialize;

pub use cpucompat_xml::qemucaps::Accel;

/// One host's hypervisor (QEMU binary and accelerator), as libvirt's QEMU driver sees it;
/// read with [`Engine::hypervisor`].
pub struct Hypervisor<'e> {
    engine: &'e Engine,
    name: String,
    domcaps: bool,
    inner: HvInner,
}

enum HvInner {
    X86(Box<cpucompat_x86::QemuHost>),
    S390x(cpucompat_s390x::hypervisor::S390Host),
}

impl std::fmt::Debug for Hypervisor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hypervisor")
            .field("input", &self.name)
            .field("accel", &self.accel())
            .finish()
    }
}

/// Which of libvirt's checks decided a [`HypervisorComparison`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Route {
    /// x86: QEMU calls the model usable and the CPU only disables features.
    UsableShortcut,
    /// x86: libvirt's own feature arithmetic against the hypervisor's host-model.
    Compat,
    /// x86: QEMU's blockers of the model plus the CPU's explicit `require` features.
    Unusable,
    /// s390x: QEMU's `query-cpu-model-comparison` of the host-model with the CPU.
    Qemu,
}

/// The answer of [`Hypervisor::compare`]: the comparison, and which check decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HypervisorComparison {
    #[serde(flatten)]
    comparison: Comparison,
    route: Route,
}

impl HypervisorComparison {
    /// The comparison.
    pub fn comparison(&self) -> &Comparison {
        &self.comparison
    }

    /// Which check decided.
    pub fn route(&self) -> Route {
        self.route
    }
}

/// The answer of [`Hypervisor::baseline`]: libvirt's printed CPU (x86: a guest
/// `<cpu mode='custom' match='exact'>` with `fallback='forbid'`; s390x: a bare host-type
/// `<cpu>` naming a `-base` model), with `<maxphysaddr>` when every input had a limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HypervisorBaseline {
    def: CpuDef,
    maxphysaddr: Option<u32>,
}

impl HypervisorBaseline {
    /// The definition.
    pub fn definition(&self) -> &CpuDef {
        &self.def
    }

    /// The `<maxphysaddr mode='passthrough' limit=N/>` the result carries, if any.
    pub fn maxphysaddr(&self) -> Option<u32> {
        self.maxphysaddr
    }

    /// The XML `virsh hypervisor-cpu-baseline` prints.
    pub fn to_xml(&self) -> String {
        cpucompat_xml::qemucaps::write_cpu_with_maxphysaddr(&self.def, self.maxphysaddr)
    }

    /// The JSON form of the definition (`maxphysaddr` added when present).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = cpucompat_xml::cpu_to_json(&self.def);
        if let (Some(m), Some(o)) = (self.maxphysaddr, v.as_object_mut()) {
            o.insert(
                "maxphysaddr".into(),
                serde_json::json!({"mode": "passthrough", "limit": m}),
            );
        }
        v
    }
}

impl Engine {
    /// Reads a hypervisor description: libvirt's QEMU capabilities cache (`<qemuCaps>`) or
    /// `virsh domcapabilities` (`<domainCapabilities>`), for the accelerator `accel`
    /// (default: `kvm` when the cache says QEMU can use it, else `tcg`; a domcapabilities
    /// document is for the accelerator it was made for).
    ///
    /// The cache is paired with this engine's catalog (use the `cpu_map` of the host it
    /// came from: libvirt recomputes the host-model from it); the host is taken to be of the
    /// architecture the cache's host data names, else this machine's.
    ///
    /// # Errors
    /// An unreadable or malformed file; a description for another architecture than the
    /// engine's; `kvm` asked of a QEMU without KVM; s390x without a model table for the
    /// cache's QEMU version.
    pub fn hypervisor(&self, input: Input, accel: Option<Accel>) -> Result<Hypervisor<'_>, Error> {
        let (name, text) = input.read_text()?;
        let doc = cpucompat_xml::qemucaps::parse_hypervisor(&text)
            .map_err(|e| input::xml_error(&name, &e))?;
        let here = |e: cpucompat_contract::Error| Error::from(e).about(&name, Pos::default());
        let (inner, domcaps) = match (&self.inner, &doc) {
            (Inner::X86(x), HypervisorDoc::Cache(caps)) => {
                let accel = accel.unwrap_or_else(|| default_accel(caps));
                let host = x
                    .qemu_host(caps, accel, &host_arch(caps), None)
                    .map_err(|e| here(e.into()))?;
                (HvInner::X86(Box::new(host)), false)
            }
            (Inner::X86(x), HypervisorDoc::DomainCaps(dc)) => {
                let host = x.qemu_host_from_domcaps(dc).map_err(|e| here(e.into()))?;
                check_accel(&name, accel, host.accel())?;
                (HvInner::X86(Box::new(host)), true)
            }
            (Inner::S390x(_), HypervisorDoc::Cache(caps)) => {
                let accel = accel.unwrap_or_else(|| default_accel(caps));
                let host = cpucompat_s390x::hypervisor::S390Host::new(
                    caps,
                    accel,
                    &host_arch(caps),
                    None,
                )
                .map_err(|e| here(e.into()))?;
                (HvInner::S390x(host), false)
            }
            (Inner::S390x(_), HypervisorDoc::DomainCaps(_)) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "an s390x hypervisor is read from libvirt's capabilities cache: domcapabilities lacks QEMU's version and model list",
                )
                .in_file(&name, 0, 0))
            }
            (Inner::Ppc64(_), _) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "libvirt's QEMU driver has no hypervisor-cpu-compare or -baseline for ppc64",
                )
                .in_file(&name, 0, 0))
            }
        };
        Ok(Hypervisor {
            engine: self,
            name,
            domcaps,
            inner,
        })
    }
}

/// The guest architecture a hypervisor description is for (its `<arch>`), leaving the
/// input readable from the start.
///
/// # Errors
/// An unreadable or malformed description; an architecture cpucompat does not decide.
pub fn hypervisor_arch(input: &mut Input) -> Result<Option<cpucompat_contract::Arch>, Error> {
    let taken = std::mem::replace(input, Input::from_bytes("", Vec::new()));
    let (name, text) = taken.read_text()?;
    let doc =
        cpucompat_xml::qemucaps::parse_hypervisor(&text).map_err(|e| input::xml_error(&name, &e));
    *input = Input::from_text(name.clone(), text);
    let arch = match doc? {
        HypervisorDoc::Cache(c) => c.arch,
        HypervisorDoc::DomainCaps(d) => d.arch,
    };
    crate::input::known_arch(&name, &arch, Pos::default()).map(Some)
}

/// `kvm` when QEMU can use it on the host the cache was written on, else `tcg`.
fn default_accel(caps: &cpucompat_xml::qemucaps::QemuCaps) -> Accel {
    if caps.has_flag("kvm") && caps.host_cpu(Accel::Kvm).is_some() {
        Accel::Kvm
    } else {
        Accel::Tcg
    }
}

/// The architecture of the host a cache was written on.
fn host_arch(caps: &cpucompat_xml::qemucaps::QemuCaps) -> String {
    caps.host_data_arch
        .as_deref()
        .and_then(cpucompat_contract::Arch::from_name)
        .map_or_else(
            || std::env::consts::ARCH.to_string(),
            |a| a.as_str().to_string(),
        )
}

fn check_accel(name: &str, asked: Option<Accel>, doc: Accel) -> Result<(), Error> {
    match asked {
        Some(a) if a != doc => Err(Error::new(
            ErrorKind::Argument,
            format!(
                "this domcapabilities document is for virttype '{}', not '{}'",
                doc.virttype(),
                a.virttype()
            ),
        )
        .in_file(name, 0, 0)),
        _ => Ok(()),
    }
}

impl Hypervisor<'_> {
    fn x86(&self) -> Result<&cpucompat_x86::X86, Error> {
        match &self.engine.inner {
            Inner::X86(x) => Ok(x),
            _ => Err(not_x86()),
        }
    }

    /// The accelerator.
    pub fn accel(&self) -> Accel {
        match &self.inner {
            HvInner::X86(h) => h.accel(),
            HvInner::S390x(h) => h.accel(),
        }
    }

    /// The input the description was read from.
    pub fn input(&self) -> &str {
        &self.name
    }

    /// What cannot be known from this description (empty for a capabilities cache).
    pub fn limitations(&self) -> Vec<&'static str> {
        if !self.domcaps {
            return vec![];
        }
        vec![
            "QEMU's own model names (max, base, host) are not listed: their usable shortcut cannot be taken",
            "blockers are sorted and de-duplicated: incompatibility messages may list them in another order",
            "QEMU's property list is missing: baselines are not filtered to the features this QEMU knows",
            "QEMU's migratability marks are missing: --migratable uses the catalog's marks",
        ]
    }

    /// The host-model CPU of this hypervisor (what `host-model` guests get), x86 only.
    pub fn host_model(&self) -> Option<Cpu> {
        match &self.inner {
            HvInner::X86(h) => {
                let def = h.host_model()?.clone();
                let x = self.engine.x86()?;
                x.check_unlocated(def).ok()
            }
            HvInner::S390x(_) => None,
        }
    }

    /// QEMU's CPU definitions for this accelerator: name, usable, blockers (x86).
    pub fn definitions(&self) -> Vec<(String, Option<bool>, Vec<String>)> {
        match &self.inner {
            HvInner::X86(h) => h
                .definitions()
                .iter()
                .map(|d| {
                    let usable = match d.usable {
                        Usable::Yes => Some(true),
                        Usable::No => Some(false),
                        Usable::Unknown => None,
                    };
                    (d.name.clone(), usable, d.blockers.clone())
                })
                .collect(),
            HvInner::S390x(h) => h
                .names()
                .iter()
                .map(|n| (n.clone(), None, vec![]))
                .collect(),
        }
    }

    /// `virsh hypervisor-cpu-compare` of the first CPU of `input`.
    ///
    /// # Errors
    /// As [`Hypervisor::compare_definition`], and input errors.
    pub fn compare(&self, input: Input) -> Result<HypervisorComparison, Error> {
        let name = input.name().to_string();
        let defs = read_defs(input)?;
        let def = defs.into_iter().next().ok_or_else(|| {
            Error::new(ErrorKind::Syntax, "no <cpu> element found").in_file(&name, 0, 0)
        })?;
        self.compare_definition(&def)
            .map_err(|e| e.about(&name, def.pos))
    }

    /// `virsh hypervisor-cpu-compare` of a definition: libvirt 11.3's QEMU driver's
    /// answer (x86: usable shortcut, compat or unusable check; s390x: QEMU's comparison of
    /// the host-model with the CPU).
    ///
    /// # Errors
    /// No host-model for this accelerator (e.g. a guest architecture not native to the
    /// host); names the rules look up and do not find; QEMU refusing the CPU (s390x).
    pub fn compare_definition(&self, def: &CpuDef) -> Result<HypervisorComparison, Error> {
        match &self.inner {
            HvInner::X86(h) => {
                let r = self
                    .x86()?
                    .hypervisor_compare(h, def)
                    .map_err(|e| Error::from(cpucompat_contract::Error::from(e)))?;
                let route = match r.route {
                    cpucompat_x86::CompareRoute::UsableShortcut => Route::UsableShortcut,
                    cpucompat_x86::CompareRoute::Compat => Route::Compat,
                    cpucompat_x86::CompareRoute::Unusable => Route::Unusable,
                };
                Ok(HypervisorComparison {
                    comparison: r.comparison,
                    route,
                })
            }
            HvInner::S390x(h) => {
                let rel = cpucompat_s390x::hypervisor::hypervisor_compare(h, def)
                    .map_err(|e| Error::from(cpucompat_contract::Error::from(e)))?;
                let (verdict, reasons) = match rel {
                    cpucompat_lattice::Relation::Identical => (Verdict::Identical, vec![]),
                    cpucompat_lattice::Relation::Superset => (Verdict::Superset, vec![]),
                    _ => (
                        Verdict::Incompatible,
                        vec![Reason::new(
                            Rule::QemuFeatures,
                            "the CPU is incompatible with host CPU",
                            Some(def.pos),
                        )],
                    ),
                };
                Ok(HypervisorComparison {
                    comparison: Comparison::new(verdict, reasons, vec![], vec![], vec![]),
                    route: Route::Qemu,
                })
            }
        }
    }

    /// `virsh hypervisor-cpu-baseline` of every CPU of every input (x86: QEMU's feature
    /// filter, its whole model list as candidates with blockers disabled, forced
    /// `fallback='forbid'`; s390x: QEMU's baselines folded, true properties only, a
    /// host-type `-base` CPU); `<maxphysaddr>` when every input has one.
    ///
    /// # Errors
    /// Input errors; a CPU without a model (its index); no common CPU; QEMU refusing a
    /// CPU (s390x, with QEMU's message where libvirt loses it).
    pub fn baseline<I>(
        &self,
        inputs: I,
        opts: &BaselineOptions,
    ) -> Result<HypervisorBaseline, Error>
    where
        I: IntoIterator<Item = Input>,
    {
        let mut defs = Vec::new();
        let mut limits = Vec::new();
        let mut origin: Vec<(String, Pos)> = Vec::new();
        for i in inputs {
            let (name, text) = i.read_text()?;
            let parsed =
                cpucompat_xml::parse_cpus(&text).map_err(|e| input::xml_error(&name, &e))?;
            let l = cpucompat_xml::qemucaps::maxphysaddr_limits(&text)
                .map_err(|e| input::xml_error(&name, &e))?;
            limits.extend(l);
            origin.extend(parsed.iter().map(|d| (name.clone(), d.pos)));
            defs.extend(parsed);
        }
        let located = |e: cpucompat_contract::Error| {
            let o = e.input_index().and_then(|i| origin.get(i)).cloned();
            let err = Error::from(e);
            match o {
                Some((file, pos)) => err.about(&file, pos),
                None => err,
            }
        };
        let def = match &self.inner {
            HvInner::X86(h) => {
                let x = self.x86()?;
                let o = cpucompat_x86::HypervisorBaselineOptions {
                    expand_features: opts.expand_features,
                    migratable: opts.migratable,
                };
                x.hypervisor_baseline(h, &defs, &o)
                    .map_err(|e| located(e.into()))?
            }
            HvInner::S390x(h) => {
                let o = cpucompat_s390x::hypervisor::BaselineOptions {
                    expand_features: opts.expand_features,
                    migratable: opts.migratable,
                };
                cpucompat_s390x::hypervisor::hypervisor_baseline(h, &defs, &o)
                    .map_err(|e| located(e.into()))?
            }
        };
        Ok(HypervisorBaseline {
            def,
            maxphysaddr: cpucompat_xml::qemucaps::baseline_maxphysaddr(&limits),
        })
    }
}

fn not_x86() -> Error {
    Error::new(ErrorKind::Invalid, "not an x86 engine")
}

/// Every CPU definition of an input, as written (no catalog check).
fn read_defs(input: Input) -> Result<Vec<CpuDef>, Error> {
    match crate::input::read_definitions(input)? {
        crate::Definitions::Cpus(c) => Ok(c),
        crate::Definitions::Dump(_) => Err(Error::new(
            ErrorKind::Syntax,
            "expected CPU definitions, not a <cpudata> dump",
        )),
    }
}
