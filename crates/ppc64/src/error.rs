//! The adapter's errors: one enum, lowercase one-line messages, tested word for word.
//!
//! An [`Error`] means "no decision could be made" (libvirt's `VIR_CPU_COMPARE_ERROR`, a
//! failed baseline, input that names nothing known). An incompatible guest is not an
//! error: it is a [`crate::Verdict`] with reasons.
use crate::Pvr;

/// Why a ppc64 operation could not decide.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A PVR text could not be read.
    #[error("invalid PVR '{0}': expected up to 8 hex digits such as 0x004e1202")]
    BadPvr(String),
    /// The PVR of a `/proc/cpuinfo` `revision` line could not be read; 1-based line and
    /// column of the PVR text.
    #[error("invalid PVR '{text}': expected up to 8 hex digits such as 0x004e1202")]
    BadPvrAt {
        /// The PVR text.
        text: String,
        /// The line of the `revision` line.
        line: u32,
        /// The column where the PVR text starts.
        column: u32,
    },
    /// Baseline inputs name different models.
    #[error("CPUs are incompatible: model {found} differs from {first}")]
    BaselineModels {
        /// The first CPU's model.
        first: String,
        /// The differing model.
        found: String,
    },
    /// A compat-mode baseline over hosts sharing no mode.
    #[error("no compatibility mode is supported by every host")]
    BaselineNoCompat,
    /// A host whose family QEMU cannot place (compat-mode baseline).
    #[error("host CPU {0} has no QEMU family, so its compat modes are unknown")]
    HostFamilyUnknown(String),
    /// A `host-model` guest names a compat level on a host that has none.
    #[error("host CPU {0} does not support compatibility modes")]
    HostWithoutCompat(String),
    /// A broken libvirt ppc64 map.
    #[error("cpu map {source_name}: {message}")]
    Map {
        /// Where the map came from.
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// A `<cpudata>` dump without a `<pvr>`.
    #[error("the ppc64 CPU data holds no <pvr value=...> element")]
    NoPvrInData,
    /// `/proc/cpuinfo` text without a PVR.
    #[error("no 'revision : ... (pvr XXXX XXXX)' line found: not a POWER /proc/cpuinfo")]
    NoPvrInCpuinfo,
    /// A CPU that names no model where one is needed.
    #[error("the {0} CPU names no model")]
    NoModel(&'static str),
    /// Baseline of nothing.
    #[error("no CPUs given")]
    NoCpus,
    /// A broken embedded or loaded QEMU table.
    #[error("qemu table {table}: {message}")]
    Table {
        /// The table file.
        table: String,
        /// What is wrong.
        message: String,
    },
    /// A `host-model` compat level libvirt does not know.
    #[error("unknown compatibility mode {0}")]
    UnknownCompatMode(String),
    /// A model name not in the catalog.
    #[error("unknown CPU model {0}")]
    UnknownModel(String),
    /// No catalog model matches a PVR.
    #[error("no CPU model matches PVR {0}")]
    UnknownPvr(Pvr),
    /// `--qemu-version` names a release we hold no table for.
    #[error("unknown QEMU version '{0}' for ppc64: expected 7.2 or newest")]
    UnknownQemuVersion(String),
    /// A vendor not in the catalog.
    #[error("unknown CPU vendor {0}")]
    UnknownVendor(String),
    /// Baseline inputs with different vendors.
    #[error("CPU vendors do not match")]
    VendorsDiffer,
    /// A baseline input whose vendor is not its model's.
    #[error("CPU vendor {vendor} differs from vendor {model_vendor} of model {model}")]
    VendorOfModel {
        /// The model.
        model: String,
        /// The model's vendor.
        model_vendor: String,
        /// The CPU's vendor.
        vendor: String,
    },
}
