//! The x86 adapter's errors: one variant per way an input can be wrong.
//!
//! Messages follow libvirt's wording with a lowercase first letter ("unknown CPU model
//! Bogus", "CPU vendors do not match"); they never repeat a position: [`X86Error::pos`]
//! gives the line and column separately, so the caller can print `FILE:LINE:COL: message`.
use cpucompat_xml::model::Pos;

/// Why the x86 adapter could not answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum X86Error {
    /// A `<model>` name the catalog does not know.
    #[error("unknown CPU model {name}")]
    UnknownModel {
        /// The name as written.
        name: String,
        /// Where `<model>` stood, if it came from XML.
        pos: Option<Pos>,
    },
    /// A `<feature>` name the catalog does not know (names match exactly, no aliases).
    #[error("unknown CPU feature {name}")]
    UnknownFeature {
        /// The name as written.
        name: String,
        /// Where `<feature>` stood, if it came from XML.
        pos: Option<Pos>,
    },
    /// A `<vendor>` name the catalog does not know.
    #[error("unknown CPU vendor {name}")]
    UnknownVendor {
        /// The name as written.
        name: String,
        /// Where the `<cpu>` stood, if it came from XML.
        pos: Option<Pos>,
    },
    /// A definition that needs a model has none.
    #[error("no CPU model specified at index {index}")]
    NoModel {
        /// Index of the CPU in the input list.
        index: usize,
        /// Where the `<cpu>` stood, if it came from XML.
        pos: Option<Pos>,
    },
    /// An explicit vendor contradicts the vendor of the CPU's model.
    #[error("CPU vendor {model_vendor} of model {model} differs from vendor {vendor}")]
    ModelVendorMismatch {
        /// The vendor of the model.
        model_vendor: String,
        /// The model.
        model: String,
        /// The explicit vendor.
        vendor: String,
        /// Where the `<cpu>` stood, if it came from XML.
        pos: Option<Pos>,
    },
    /// A relative guest (host-model, `match='minimum'`, optional features) needs a host
    /// CPU with a model.
    #[error("unknown host CPU model")]
    UnknownHostCpu,
    /// A guest with `fallback='forbid'` names a model the hypervisor does not offer.
    #[error("CPU model {name} is not supported by hypervisor")]
    ModelNotSupported {
        /// The model.
        name: String,
        /// Where `<model>` stood, if it came from XML.
        pos: Option<Pos>,
    },
    /// Baseline over CPUs of different vendors.
    #[error("CPU vendors do not match")]
    VendorsDoNotMatch,
    /// Baseline whose intersection is empty.
    #[error("CPUs are incompatible")]
    Incompatible,
    /// Baseline of nothing.
    #[error("no CPUs given")]
    NoCpus,
    /// No catalog model can express the data (e.g. a host decode where every model needs
    /// a disabled feature, or a catalog with no usable model).
    #[error("cannot find suitable CPU model for given data")]
    NoSuitableModel,
    /// Raw data of another architecture.
    #[error("CPU data for arch '{0}' is not x86 data")]
    DataArch(String),
    /// A QMP reply that is not JSON, or not the expected shape.
    #[error("invalid QMP reply: {message}")]
    Qmp {
        /// What was wrong.
        message: String,
        /// Line and column in the JSON text, when known.
        pos: Option<Pos>,
    },
    /// A transcript of QMP replies without a `query-cpu-definitions` answer.
    #[error("no query-cpu-definitions reply found")]
    NoDefinitions,
    /// A line of `cpuid -r` output that is not what it should be.
    #[error("bad cpuid -r output: expected {expected}")]
    CpuidText {
        /// What was expected at that point.
        expected: String,
        /// Where.
        pos: Pos,
    },
    /// A transcript of QMP replies without a `query-cpu-model-expansion` answer.
    #[error("no query-cpu-model-expansion reply found")]
    NoExpansion,
    /// `cpuid -r` text without a single leaf line.
    #[error("no CPUID leaves found in cpuid -r output")]
    NoCpuidLeaves,
    /// A hypervisor description (capabilities cache, domcapabilities) for guests of
    /// another architecture.
    #[error("the hypervisor description is for {arch} guests, not x86")]
    HypervisorArch {
        /// The description's guest architecture.
        arch: String,
    },
    /// `--virttype kvm` with a QEMU that has no KVM here (libvirt's words).
    #[error("the accel '{virttype}' is not supported by '{emulator}' on this host")]
    AccelNotSupported {
        /// The virttype asked for.
        virttype: String,
        /// The emulator binary.
        emulator: String,
    },
    /// A machine type the emulator does not have for that accelerator (libvirt's words).
    #[error("the machine '{machine}' is not supported by emulator '{emulator}'")]
    MachineNotSupported {
        /// The machine type asked for.
        machine: String,
        /// The emulator binary.
        emulator: String,
    },
    /// `hypervisor-cpu-compare` without a host-model CPU for the accelerator (a non-native
    /// guest arch, no `<hostCPU>` in the cache, or a host-model that failed to decode).
    #[error("QEMU '{emulator}' does not support reporting CPU model for virttype '{virttype}'")]
    NoHostModel {
        /// The emulator binary.
        emulator: String,
        /// The virttype (`kvm`, `qemu`).
        virttype: String,
    },
    /// `hypervisor-cpu-baseline` with an empty CPU definition list for the accelerator.
    #[error("QEMU '{emulator}' does not support any CPU models for virttype '{virttype}'")]
    NoHypervisorModels {
        /// The emulator binary.
        emulator: String,
        /// The virttype (`kvm`, `qemu`).
        virttype: String,
    },
    /// `hypervisor-cpu-compare` of a model QEMU defines but the catalog lacks (`max`,
    /// `base`, `host`): libvirt cannot tell which check applies.
    #[error("unknown CPU model {name}")]
    NotInCatalog {
        /// The model.
        name: String,
        /// Where `<model>` stood, if it came from XML.
        pos: Option<Pos>,
    },
}

impl X86Error {
    /// The line and column the error points at, when the input gave one.
    pub fn pos(&self) -> Option<Pos> {
        let p = match self {
            X86Error::UnknownModel { pos, .. }
            | X86Error::UnknownFeature { pos, .. }
            | X86Error::UnknownVendor { pos, .. }
            | X86Error::NoModel { pos, .. }
            | X86Error::ModelVendorMismatch { pos, .. }
            | X86Error::ModelNotSupported { pos, .. }
            | X86Error::NotInCatalog { pos, .. }
            | X86Error::Qmp { pos, .. } => *pos,
            X86Error::CpuidText { pos, .. } => Some(*pos),
            _ => None,
        };
        p.filter(|p| p.line != 0)
    }
}

impl X86Error {
    /// The error as libvirt 11.3's QEMU driver reports it (`virsh` prints it after
    /// `error: `): its error class and its own capitalisation, for tools that must print
    /// exactly what `virsh hypervisor-cpu-compare`/`-baseline` print. Errors libvirt has
    /// no counterpart for (data and QMP input errors) keep cpucompat's text.
    pub fn libvirt_text(&self) -> String {
        let unsupported = "Operation not supported: ";
        let invalid = "invalid argument: ";
        let internal = "internal error: ";
        let failed = "operation failed: ";
        match self {
            X86Error::UnknownModel { name, .. } => format!("{internal}Unknown CPU model {name}"),
            X86Error::UnknownFeature { name, .. } => {
                format!("{internal}Unknown CPU feature {name}")
            }
            X86Error::UnknownVendor { name, .. } => format!("{failed}Unknown CPU vendor {name}"),
            X86Error::NoModel { .. }
            | X86Error::AccelNotSupported { .. }
            | X86Error::MachineNotSupported { .. }
            | X86Error::NotInCatalog { .. } => format!("{invalid}{self}"),
            X86Error::ModelVendorMismatch { .. }
            | X86Error::VendorsDoNotMatch
            | X86Error::Incompatible => format!("{failed}{self}"),
            X86Error::NoSuitableModel => {
                format!("{internal}Cannot find suitable CPU model for given data")
            }
            X86Error::NoHostModel { .. } | X86Error::NoHypervisorModels { .. } => {
                format!("{unsupported}{self}")
            }
            X86Error::ModelNotSupported { name, .. } => format!(
                "unsupported configuration: CPU model {name} is not supported by hypervisor"
            ),
            other => other.to_string(),
        }
    }
}

/// A position from XML, or `None` for values built in code (line 0).
pub(crate) fn known(pos: Pos) -> Option<Pos> {
    (pos.line != 0).then_some(pos)
}
