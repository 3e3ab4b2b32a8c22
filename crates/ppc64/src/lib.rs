//! The POWER (ppc64) adapter: PVR decoding, architecture compat levels, libvirt's compare,
//! baseline and update, QEMU's migration rules, and QEMU's `query-cpu-definitions`.
//!
//! POWER has no feature bits. A CPU is named by its PVR (value/mask patterns name the
//! family), and a newer CPU runs a guest in an older *compat mode*. The modes form a chain
//! (`power6 < power7 < power7+ < power8 < power9 < power10 < power11`) mapped onto
//! [`cpucompat_lattice::Level`]: a compat-mode baseline is the chain meet.
//!
//! Two sources of rules meet here:
//! * **libvirt** ([`libvirt`]): a custom model fits only a host of the same model name; a
//!   `host-model` guest may name a compat level not newer than the host's; baseline needs
//!   one model for all CPUs.
//! * **QEMU** ([`qemu`]): a guest in compat mode `M` runs on any host whose family supports
//!   `M`; a raw-mode guest only on a host whose class matches its PVR (same family, and for
//!   POWER9/10/11 the same DD class); a compat mode caps threads per core.
//!
//! [`Ppc64`] applies both: libvirt's verdict first (it stops at its first failure, as
//! libvirt does), then every QEMU rule that the inputs let it evaluate. Each failure is a
//! [`Reason`] naming its rule.
#![forbid(unsafe_code)]

mod adapter;
mod baseline;
mod compare;
mod decode;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod libvirt;
mod pvr;
pub mod qemu;
pub mod qmp;

pub use baseline::CompatBaseline;
pub use compare::{Reason, Verdict};
pub use decode::{pvr_of_data, Decoded};
pub use error::Error;
pub use libvirt::{convert_legacy, LibvirtMap, LibvirtModel};
pub use pvr::Pvr;
pub use qemu::{CompatMode, Family, QemuModel, QemuTable};

use cpucompat_xml::model::{CpuDef, CpuKind, Mode, ModelRef};
use std::sync::Arc;

/// A CPU as the adapter sees it: a libvirt definition, plus the raw PVR when it came from
/// a PVR (a `<cpudata>` dump, `--pvr`, `/proc/cpuinfo`).
///
/// Definitions read from text become `Cpu`s through [`Ppc64::check`] (the adapter
/// contract's `cpu`), which refuses names the map does not know; [`Cpu::host_named`] and
/// [`Cpu::guest_named`] build the shapes the rules themselves use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cpu {
    def: CpuDef,
    pvr: Option<Pvr>,
}

impl Cpu {
    /// A CPU known only by its definition (names are resolved when a rule needs them).
    pub fn from_def(def: CpuDef) -> Cpu {
        Cpu { def, pvr: None }
    }

    /// A host CPU of this model (`<arch>ppc64</arch>`, the model, no vendor).
    pub fn host_named(model: &str) -> Cpu {
        let mut def = empty_def(CpuKind::Host, Mode::Custom);
        def.arch = Some("ppc64".to_string());
        def.model = Some(model_ref(model));
        Cpu::from_def(def)
    }

    /// A custom guest of this model (`match='exact'`).
    pub fn guest_named(model: &str) -> Cpu {
        let mut def = empty_def(CpuKind::Guest, Mode::Custom);
        def.match_ = Some(cpucompat_xml::model::Match::Exact);
        def.model = Some(model_ref(model));
        Cpu::from_def(def)
    }

    /// The same CPU, running with this PVR (a raw-mode guest carries its source's PVR).
    #[must_use]
    pub fn with_pvr(mut self, pvr: Option<Pvr>) -> Cpu {
        self.pvr = pvr;
        self
    }

    /// The definition.
    pub fn def(&self) -> &CpuDef {
        &self.def
    }

    /// The PVR, when known.
    pub fn pvr(&self) -> Option<Pvr> {
        self.pvr
    }

    /// The model name, when one is written and not empty.
    pub fn model_name(&self) -> Option<&str> {
        model_name(&self.def)
    }
}

/// The model name of a definition, when one is written and not empty.
pub fn model_name(def: &CpuDef) -> Option<&str> {
    def.model
        .as_ref()
        .map(|m| m.name.as_str())
        .filter(|n| !n.is_empty())
}

/// A definition with no model, vendor or features: the start of every built CPU.
pub(crate) fn empty_def(kind: CpuKind, mode: Mode) -> CpuDef {
    CpuDef::empty(kind, mode)
}

/// A `<model>` element with this name.
pub(crate) fn model_ref(name: &str) -> ModelRef {
    ModelRef::named(name, None)
}

/// The decision context: a libvirt ppc64 map and a QEMU table.
#[derive(Clone, Debug)]
pub struct Ppc64 {
    map: Arc<LibvirtMap>,
    qemu: &'static QemuTable,
}

impl Ppc64 {
    /// A context deciding with libvirt's `map` and QEMU's `qemu` table.
    pub fn new(map: Arc<LibvirtMap>, qemu: &'static QemuTable) -> Ppc64 {
        Ppc64 { map, qemu }
    }

    /// The libvirt map.
    pub fn map(&self) -> &LibvirtMap {
        &self.map
    }

    /// The QEMU table.
    pub fn qemu(&self) -> &'static QemuTable {
        self.qemu
    }

    /// The QEMU family of a host: by its PVR when known, else through its libvirt
    /// model's PVR patterns; `None` for CPUs QEMU has no server family for (POWER6, e5500).
    pub fn host_family(&self, host: &Cpu) -> Option<&'static Family> {
        if let Some(pvr) = host.pvr {
            return self.qemu.family_of_pvr(pvr);
        }
        let model = self.map.model(convert_legacy(host.model_name()?))?;
        model
            .pvrs()
            .iter()
            .find_map(|&(value, _)| self.qemu.family_of_pvr(Pvr::new(value)))
    }
}
