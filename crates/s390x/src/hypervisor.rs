//! libvirt 11.3's QEMU driver on s390x: `virsh hypervisor-cpu-baseline` and
//! `hypervisor-cpu-compare`, computed from a capabilities cache
//! ([`cpucompat_xml::qemucaps`]) and QEMU's model tables ([`Engine`]) instead of a QMP
//! helper process.
//!
//! libvirt decides nothing on s390x: it turns each `<cpu>` into a QEMU model and asks a
//! QMP-only QEMU (`-machine none,accel=kvm:tcg`, so `--machine` changes nothing). A
//! `<cpu>` becomes `{name: <model>, props}` where props exist only when the CPU lists
//! features: `require`, `force` and policy-less (host-type) features are `true`,
//! `disable`, `forbid`, `optional` `false`; QEMU applies them in its dictionary order
//! ([`crate::qdict`]).
//!
//! **Baseline** ([`hypervisor_baseline`]), in libvirt's order:
//!
//! 1. QEMU has no CPU definitions for the accelerator → "QEMU 'BINARY' does not support
//!    any CPU models for virttype 'V'"; QEMU lacks `query-cpu-model-baseline` or
//!    `query-cpu-model-expansion` → "computing baseline hypervisor CPU is not supported
//!    for arch s390x";
//! 2. for each CPU in order: it names a model ("no CPU model specified at index N") that
//!    QEMU lists ("CPU model 'X' not supported by hypervisor"); features are not checked;
//! 3. the fold, keeping only `true` properties of each answer:
//!
//!    ```text
//!    B = cpus[0]
//!    for c in cpus[1..]:  R = query-cpu-model-baseline(B, c)       (a -base name + delta)
//!                         B = R.name + [p ∈ R.props | p = true]      (false ones are lost)
//!    --features:          E = full expansion of B,  features = sorted(true props of E)
//!    one CPU:             E = static expansion of B, features = true props of E, in order
//!    else:                features = B's props, in QEMU's reply order
//!    ```
//!
//!    so a base feature an input disabled is invisible (one CPU) or comes back (several
//!    CPUs, when QEMU keeps the definition and reports it `false`);
//! 4. the answer is a **host-type** `<cpu>`: `<model>X-base</model>` and `<feature
//!    name=>`s without policy (group names included); `--migratable` changes nothing;
//!    `<maxphysaddr>` follows the x86 rule ([`cpucompat_xml::qemucaps::baseline_maxphysaddr`]).
//!
//! Where libvirt 11.3 fails badly, this module reports a clear error instead:
//! * any QEMU error inside the fold (a feature QEMU does not know or that is too new for
//!   the model, no baseline definition) reaches `virsh` as "An error occurred, but the
//!   cause is unknown": here [`HypervisorError::Qemu`] names the CPU and QEMU's message;
//! * a QEMU error in the final expansion (one CPU whose features QEMU refuses, e.g.
//!   `z9BC-base` + `require exrl`) crashes libvirtd 11.3 (NULL dereference): here it is
//!   refused as invalid input ([`HypervisorError::Invalid`]).
//!
//! **Compare** ([`hypervisor_compare`]): needs the host-model (a `<hostCPU>` of an s390x
//! host: on any other host every compare fails, "QEMU 'BINARY' does not support reporting
//! CPU model for virttype 'V'") and `query-cpu-model-comparison` ("comparing with the
//! hypervisor CPU is not supported for arch s390x"). A CPU without a model is `host` in
//! `host-passthrough` mode, `max` in `maximum` mode, else "cpu parameter is missing a model
//! name". QEMU compares the host-model (A) with the CPU (B): `identical` → identical,
//! `superset` → superset, `subset` and `incompatible` → incompatible.
use crate::catalog::Release;
use crate::error::ModelError;
use crate::model::{CpuModel, Engine, Prop, PropValue};
use cpucompat_lattice::Relation;
use cpucompat_xml::model::{CpuDef, CpuKind, Feature, Mode, ModelRef, Policy, Pos};
use cpucompat_xml::qemucaps::{Accel, QemuCaps};

/// Why a hypervisor command cannot be answered. Messages are libvirt's where libvirt has
/// one (lowercase where libvirt starts a sentence); [`HypervisorError::libvirt_text`] gives
/// the exact text `virsh` prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HypervisorError {
    /// A description for guests of another architecture.
    #[error("the hypervisor description is for {arch} guests, not s390x")]
    Arch {
        /// Its guest architecture.
        arch: String,
    },
    /// `kvm` asked of a QEMU without KVM.
    #[error("the accel '{virttype}' is not supported by '{emulator}' on this host")]
    AccelNotSupported {
        /// The virttype.
        virttype: String,
        /// The emulator binary.
        emulator: String,
    },
    /// A machine type the emulator lacks.
    #[error("the machine '{machine}' is not supported by emulator '{emulator}'")]
    MachineNotSupported {
        /// The machine type.
        machine: String,
        /// The emulator binary.
        emulator: String,
    },
    /// No QEMU model table for the cache's QEMU version.
    #[error("no s390x model table for QEMU {version}: cpucompat has 7.2 and the newest (10.x)")]
    NoTable {
        /// The version, `major.minor.micro`.
        version: String,
    },
    /// Compare without a host-model.
    #[error("QEMU '{emulator}' does not support reporting CPU model for virttype '{virttype}': {reason}")]
    NoHostModel {
        /// The emulator binary.
        emulator: String,
        /// The virttype.
        virttype: String,
        /// What is missing.
        reason: String,
    },
    /// Compare with a QEMU lacking `query-cpu-model-comparison`.
    #[error("comparing with the hypervisor CPU is not supported for arch s390x: QEMU lacks query-cpu-model-comparison")]
    NoComparison,
    /// Baseline without CPU definitions.
    #[error("QEMU '{emulator}' does not support any CPU models for virttype '{virttype}'")]
    NoModels {
        /// The emulator binary.
        emulator: String,
        /// The virttype.
        virttype: String,
    },
    /// Baseline with a QEMU lacking a command.
    #[error(
        "computing baseline hypervisor CPU is not supported for arch s390x: QEMU lacks {command}"
    )]
    NoBaseline {
        /// The missing QMP command.
        command: String,
    },
    /// A baseline input without a model.
    #[error("no CPU model specified at index {index}")]
    NoModel {
        /// The CPU's index.
        index: usize,
        /// Where the `<cpu>` stood.
        pos: Pos,
    },
    /// A model QEMU does not list.
    #[error("CPU model '{name}' not supported by hypervisor")]
    ModelNotSupported {
        /// The model.
        name: String,
        /// Where `<model>` stood.
        pos: Pos,
    },
    /// A compare input without a model, neither host-passthrough nor maximum.
    #[error("cpu parameter is missing a model name")]
    MissingModelName {
        /// Where the `<cpu>` stood.
        pos: Pos,
    },
    /// QEMU refused a request inside the baseline fold or the compare (libvirt loses the
    /// message: "An error occurred, but the cause is unknown").
    #[error("QEMU refused the {what}: {source}")]
    Qemu {
        /// Which request: e.g. "baseline with CPU 2 (z9BC)".
        what: String,
        /// QEMU's message.
        source: ModelError,
    },
    /// Input that crashes libvirtd 11.3: QEMU refuses the final expansion of a single CPU.
    #[error("invalid input: QEMU refuses the CPU {model}: {source} (libvirt 11.3's daemon crashes on this input)")]
    Invalid {
        /// The CPU's model.
        model: String,
        /// QEMU's message.
        source: ModelError,
    },
    /// The cache's host CPU is not a model QEMU's tables can build.
    #[error("the cache's host CPU {model} is not a valid model: {source}")]
    HostCpu {
        /// Its model name.
        model: String,
        /// Why.
        source: ModelError,
    },
}

impl HypervisorError {
    /// The text `virsh` prints after `error: ` for the same input (libvirt's error class
    /// and capitalisation); for [`HypervisorError::Invalid`] what the client says when the
    /// daemon dies.
    pub fn libvirt_text(&self) -> String {
        let unsupported = "Operation not supported: ";
        let invalid = "invalid argument: ";
        match self {
            HypervisorError::NoHostModel {
                emulator, virttype, ..
            } => format!(
                "{unsupported}QEMU '{emulator}' does not support reporting CPU model for virttype '{virttype}'"
            ),
            HypervisorError::NoComparison => format!(
                "{unsupported}comparing with the hypervisor CPU is not supported for arch s390x"
            ),
            HypervisorError::NoModels { .. } => format!("{unsupported}{self}"),
            HypervisorError::NoBaseline { .. } => format!(
                "{unsupported}computing baseline hypervisor CPU is not supported for arch s390x"
            ),
            HypervisorError::AccelNotSupported { .. }
            | HypervisorError::MachineNotSupported { .. }
            | HypervisorError::NoModel { .. }
            | HypervisorError::ModelNotSupported { .. }
            | HypervisorError::MissingModelName { .. } => format!("{invalid}{self}"),
            HypervisorError::Qemu { .. } => "An error occurred, but the cause is unknown".into(),
            HypervisorError::Invalid { .. } => {
                "End of file while reading data: Input/output error".into()
            }
            other => other.to_string(),
        }
    }

    /// Where in the input XML, when the error is about one place.
    pub fn pos(&self) -> Option<Pos> {
        match self {
            HypervisorError::NoModel { pos, .. }
            | HypervisorError::ModelNotSupported { pos, .. }
            | HypervisorError::MissingModelName { pos } => Some(*pos).filter(|p| p.line != 0),
            _ => None,
        }
    }
}

/// The QEMU release whose tables answer for a cache's `<version>`: 7.2.x is
/// [`Release::Qemu72`], 10.x the newest tables (checked against QEMU 10.0 by
/// `tests/diff_qemu10.rs`).
///
/// # Errors
/// [`HypervisorError::NoTable`] for a `<version>` other than 7.2.x and 10.x, or a cache
/// without one.
pub fn release_for(caps: &QemuCaps) -> Result<Release, HypervisorError> {
    match caps.version_triple() {
        Some((7, 2, _)) => Ok(Release::Qemu72),
        Some((10, _, _)) => Ok(Release::Newest),
        Some((a, b, c)) => Err(HypervisorError::NoTable {
            version: format!("{a}.{b}.{c}"),
        }),
        None => Err(HypervisorError::NoTable {
            version: "(no <version>)".into(),
        }),
    }
}

/// One s390x emulator and accelerator, as libvirt's QEMU driver sees them.
#[derive(Clone, Debug)]
pub struct S390Host {
    emulator: String,
    accel: Accel,
    release: Release,
    names: Vec<String>,
    baseline: bool,
    expansion: bool,
    comparison: bool,
    /// The host-model as QEMU's model: `<hostCPU model=>` and its boolean properties.
    host_model: Option<(String, Vec<Prop>)>,
    /// Why there is no host-model.
    no_host_model: String,
}

impl S390Host {
    /// Reads one accelerator of an s390x cache written on a host of `host_arch`, with an
    /// optional `--machine` (checked, otherwise unused).
    ///
    /// # Errors
    /// [`HypervisorError::Arch`] for a cache of another guest architecture;
    /// [`HypervisorError::AccelNotSupported`] for `kvm` when QEMU lacks the `kvm` flag;
    /// [`HypervisorError::MachineNotSupported`] for a `machine` that is neither a machine
    /// type nor an alias of the accelerator; [`HypervisorError::NoTable`] as
    /// [`release_for`]. A missing host-model is not an error here (compare reports it).
    pub fn new(
        caps: &QemuCaps,
        accel: Accel,
        host_arch: &str,
        machine: Option<&str>,
    ) -> Result<S390Host, HypervisorError> {
        if caps.arch != "s390x" {
            return Err(HypervisorError::Arch {
                arch: caps.arch.clone(),
            });
        }
        if accel == Accel::Kvm && !caps.has_flag("kvm") {
            return Err(HypervisorError::AccelNotSupported {
                virttype: accel.virttype().into(),
                emulator: caps.emulator.clone(),
            });
        }
        if let Some(m) = machine {
            if !caps
                .machines_for(accel)
                .any(|t| t.name == m || t.alias.as_deref() == Some(m))
            {
                return Err(HypervisorError::MachineNotSupported {
                    machine: m.into(),
                    emulator: caps.emulator.clone(),
                });
            }
        }
        let release = release_for(caps)?;
        let native = host_arch == "s390x";
        let info = caps.host_cpu(accel);
        let host_model = match info {
            Some(h) if native => Some((
                h.model.clone(),
                crate::qdict::order(h.props.iter().map(|p| p.name.as_str()).collect())
                    .into_iter()
                    .filter_map(|k| {
                        let p = h.props.iter().find(|p| p.name == k)?;
                        match p.value {
                            cpucompat_xml::qemucaps::PropValue::Boolean(b) => Some(Prop {
                                name: k.to_string(),
                                value: PropValue::Bool(b),
                            }),
                            _ => None,
                        }
                    })
                    .collect(),
            )),
            _ => None,
        };
        let no_host_model = if !native {
            format!("s390x guests are not native to the host ({host_arch}), so libvirt has no host-model")
        } else if info.is_none() {
            format!(
                "the capabilities cache has no <hostCPU type='{}'>",
                accel.cache_name()
            )
        } else {
            String::new()
        };
        Ok(S390Host {
            emulator: caps.emulator.clone(),
            accel,
            release,
            names: caps
                .definitions_for(accel)
                .map(|d| d.name.clone())
                .collect(),
            baseline: caps.has_flag("query-cpu-model-baseline"),
            expansion: caps.has_flag("query-cpu-model-expansion"),
            comparison: caps.has_flag("query-cpu-model-comparison"),
            host_model,
            no_host_model,
        })
    }

    /// The QEMU release whose tables answer.
    pub fn release(&self) -> Release {
        self.release
    }

    /// The accelerator.
    pub fn accel(&self) -> Accel {
        self.accel
    }

    /// QEMU's CPU definition names for the accelerator, in the cache's order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The engine that answers as this QEMU: its release's tables, with the host-model as
    /// `host`/`max` under KVM.
    ///
    /// # Errors
    /// [`HypervisorError::HostCpu`] under KVM when QEMU's tables refuse the cache's
    /// `<hostCPU>` model or one of its boolean properties (unknown, or too new for the
    /// model).
    pub fn engine(&self) -> Result<Engine<'static>, HypervisorError> {
        let engine = Engine::tcg(self.release);
        match (&self.host_model, self.accel) {
            (Some((name, props)), Accel::Kvm) => {
                let m = engine
                    .build(name, props)
                    .map_err(|source| HypervisorError::HostCpu {
                        model: name.clone(),
                        source,
                    })?;
                Ok(engine.with_host(m))
            }
            _ => Ok(engine),
        }
    }
}

/// A `<cpu>` as the QMP model libvirt sends: the name, and props (QEMU's application
/// order) only when the CPU lists features.
fn qmp_props(cpu: &CpuDef) -> Vec<Prop> {
    let names: Vec<&str> = cpu.features.iter().map(|f| f.name.as_str()).collect();
    crate::qdict::order(names)
        .into_iter()
        .filter_map(|k| cpu.features.iter().find(|f| f.name == k))
        .map(|f| Prop {
            name: f.name.clone(),
            value: PropValue::Bool(matches!(cpu.policy_of(f), Policy::Require | Policy::Force)),
        })
        .collect()
}

/// Options of [`hypervisor_baseline`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BaselineOptions {
    /// `--features`: list every enabled feature, sorted by name.
    pub expand_features: bool,
    /// `--migratable`: accepted, changes nothing on s390x.
    pub migratable: bool,
}

/// `virsh hypervisor-cpu-baseline` on s390x (see the module docs): a host-type `<cpu>`.
///
/// # Errors
/// In libvirt's order: [`HypervisorError::NoModels`] when QEMU lists no CPU definition for
/// the accelerator; [`HypervisorError::NoBaseline`] when it lacks
/// `query-cpu-model-baseline` or `query-cpu-model-expansion`; [`HypervisorError::NoModel`]
/// for the first CPU without a model (index 0 when `cpus` is empty);
/// [`HypervisorError::ModelNotSupported`] for a model QEMU does not list;
/// [`HypervisorError::HostCpu`] as [`S390Host::engine`]; [`HypervisorError::Qemu`] for a
/// QEMU refusal inside the fold or in the final expansion of several CPUs (unknown or
/// too-new feature, no baseline definition); [`HypervisorError::Invalid`] when QEMU refuses
/// the expansion of a single CPU.
pub fn hypervisor_baseline(
    host: &S390Host,
    cpus: &[CpuDef],
    opts: &BaselineOptions,
) -> Result<CpuDef, HypervisorError> {
    if host.names.is_empty() {
        return Err(HypervisorError::NoModels {
            emulator: host.emulator.clone(),
            virttype: host.accel.virttype().into(),
        });
    }
    for (ok, command) in [
        (host.baseline, "query-cpu-model-baseline"),
        (host.expansion, "query-cpu-model-expansion"),
    ] {
        if !ok {
            return Err(HypervisorError::NoBaseline {
                command: command.into(),
            });
        }
    }
    let mut names = Vec::with_capacity(cpus.len());
    for (index, cpu) in cpus.iter().enumerate() {
        let Some(name) = cpu.model_name() else {
            return Err(HypervisorError::NoModel {
                index,
                pos: cpu.pos,
            });
        };
        if !host.names.iter().any(|n| n == name) {
            return Err(HypervisorError::ModelNotSupported {
                name: name.into(),
                pos: cpu.model.as_ref().map_or(cpu.pos, |m| m.pos),
            });
        }
        names.push(name);
    }
    let Some((first, rest)) = cpus.split_first() else {
        return Err(HypervisorError::NoModel {
            index: 0,
            pos: Pos::default(),
        });
    };
    let engine = host.engine()?;
    let build = |name: &str, props: &[Prop], what: &dyn Fn() -> String| {
        engine
            .build(name, props)
            .map_err(|source| HypervisorError::Qemu {
                what: what(),
                source,
            })
    };
    // B: a name and its true props, in QEMU's reply order.
    let mut b_name = names[0].to_string();
    let mut b_props = qmp_props(first);
    for (i, cpu) in rest.iter().enumerate() {
        let index = i + 1;
        let what = || format!("baseline with CPU {index} ({})", names[index]);
        let a = build(&b_name, &b_props, &what)?;
        let c = build(names[index], &qmp_props(cpu), &what)?;
        let r = engine
            .baseline(&a, &c)
            .map_err(|source| HypervisorError::Qemu {
                what: what(),
                source,
            })?;
        let e = engine.expand_static(&r);
        b_props = true_props(&e);
        b_name = e.name;
    }
    let features: Vec<String> = if opts.expand_features || cpus.len() == 1 {
        let m: CpuModel = engine.build(&b_name, &b_props).map_err(|source| {
            if cpus.len() == 1 {
                HypervisorError::Invalid {
                    model: b_name.clone(),
                    source,
                }
            } else {
                HypervisorError::Qemu {
                    what: "final expansion".into(),
                    source,
                }
            }
        })?;
        if opts.expand_features {
            let e = engine.expand_full(&m);
            b_name = e.name.clone();
            let mut v: Vec<String> = e
                .props
                .iter()
                .filter(|p| p.1)
                .map(|p| p.0.to_string())
                .collect();
            v.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
            v
        } else {
            let e = engine.expand_static(&m);
            b_name = e.name.clone();
            true_props(&e).into_iter().map(|p| p.name).collect()
        }
    } else {
        b_props.into_iter().map(|p| p.name).collect()
    };
    Ok(CpuDef {
        model: Some(ModelRef::named(&b_name, None)),
        features: features.iter().map(|f| Feature::new(f, None)).collect(),
        ..CpuDef::empty(CpuKind::Host, Mode::Custom)
    })
}

/// The `true` props of an expansion, in QEMU's reply order.
fn true_props(e: &crate::model::Expansion<'_>) -> Vec<Prop> {
    crate::qdict::order(e.props.iter().map(|p| p.0).collect())
        .into_iter()
        .filter(|k| e.props.iter().any(|p| p.0 == *k && p.1))
        .map(|k| Prop {
            name: k.to_string(),
            value: PropValue::Bool(true),
        })
        .collect()
}

/// `virsh hypervisor-cpu-compare` on s390x (see the module docs): how the host-model
/// relates to `cpu` (identical, superset or incompatible).
///
/// # Errors
/// [`HypervisorError::NoHostModel`] without a host-model (a non-s390x host, or no
/// `<hostCPU>` for the accelerator); [`HypervisorError::NoComparison`] when QEMU lacks
/// `query-cpu-model-comparison`; [`HypervisorError::MissingModelName`] for a CPU without a
/// model that is neither host-passthrough nor maximum; [`HypervisorError::HostCpu`] as
/// [`S390Host::engine`]; [`HypervisorError::Qemu`] when QEMU refuses the host-model or the
/// CPU (unknown model or feature, a feature too new for the model).
pub fn hypervisor_compare(host: &S390Host, cpu: &CpuDef) -> Result<Relation, HypervisorError> {
    let Some((host_name, host_props)) = &host.host_model else {
        return Err(HypervisorError::NoHostModel {
            emulator: host.emulator.clone(),
            virttype: host.accel.virttype().into(),
            reason: host.no_host_model.clone(),
        });
    };
    if !host.comparison {
        return Err(HypervisorError::NoComparison);
    }
    let name = match (cpu.model_name(), cpu.mode) {
        (Some(n), _) => n,
        (None, Mode::HostPassthrough) => "host",
        (None, Mode::Maximum) => "max",
        (None, _) => return Err(HypervisorError::MissingModelName { pos: cpu.pos }),
    };
    let engine = host.engine()?;
    let qemu = |what: &str, source| HypervisorError::Qemu {
        what: what.into(),
        source,
    };
    let a = engine
        .build(host_name, host_props)
        .map_err(|e| qemu("host-model", e))?;
    let b = engine
        .build(name, &qmp_props(cpu))
        .map_err(|e| qemu("comparison", e))?;
    Ok(crate::libvirt::verdict(engine.compare(&a, &b).result))
}

impl From<HypervisorError> for cpucompat_contract::Error {
    fn from(e: HypervisorError) -> cpucompat_contract::Error {
        use cpucompat_contract::ErrorKind as K;
        let kind = match &e {
            HypervisorError::Arch { .. }
            | HypervisorError::NoTable { .. }
            | HypervisorError::NoHostModel { .. }
            | HypervisorError::NoComparison
            | HypervisorError::NoModels { .. }
            | HypervisorError::NoBaseline { .. } => K::Unsupported,
            HypervisorError::ModelNotSupported { .. } => K::UnknownName,
            _ => K::Invalid,
        };
        let mut out =
            cpucompat_contract::Error::new(kind, e.to_string()).with_libvirt(e.libvirt_text());
        if let Some(p) = e.pos() {
            out = out.at(p);
        }
        if let HypervisorError::NoModel { index, .. } = e {
            out = out.input(index);
        }
        out
    }
}
