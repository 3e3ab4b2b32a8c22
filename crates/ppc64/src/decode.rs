//! Decode: a raw PVR to libvirt's model and vendor, QEMU's class and family, and the
//! compat modes that family supports.
//!
//! ```text
//! libvirt model = first map model with pvr & mask = value      (none: error)
//! QEMU class    = class with this exact PVR, else the first whose pvr_match accepts it
//! family        = the family whose processor versions hold pvr & server_mask
//! ```
//!
//! As a host `<cpu>`: `<arch>ppc64</arch>`, the model and its vendor (libvirt's host
//! decode has no features on POWER). As a guest: a custom guest, `match='exact'`, the
//! model with `fallback='forbid'`.
use crate::{
    empty_def, model_ref, CompatMode, Cpu, Error, Family, LibvirtModel, Ppc64, Pvr, QemuModel,
};
use cpucompat_xml::model::{CpuData, CpuDataItem, CpuKind, Fallback, Match, Mode};

/// What a PVR decodes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The PVR.
    pub pvr: Pvr,
    /// libvirt's model.
    pub model: &'a LibvirtModel,
    /// QEMU's class, if any.
    pub class: Option<&'a QemuModel>,
    /// QEMU's family, if any.
    pub family: Option<&'a Family>,
    /// The compat modes the family supports, oldest first.
    pub compat_modes: Vec<&'a CompatMode>,
}

impl Decoded<'_> {
    /// The decoded CPU as a host (`guest = false`) or guest definition.
    pub fn cpu(&self, guest: bool) -> Cpu {
        let mut def = if guest {
            let mut d = empty_def(CpuKind::Guest, Mode::Custom);
            d.match_ = Some(Match::Exact);
            d
        } else {
            let mut d = empty_def(CpuKind::Host, Mode::Custom);
            d.arch = Some("ppc64".to_string());
            d
        };
        let mut m = model_ref(self.model.name());
        if guest {
            m.fallback = Some(Fallback::Forbid);
        }
        def.model = Some(m);
        def.vendor = self.model.vendor().map(str::to_string);
        Cpu {
            def,
            pvr: Some(self.pvr),
        }
    }
}

/// The PVR of a `<cpudata arch='ppc64'>` dump: its first `<pvr value=>`.
///
/// # Errors
/// [`Error::NoPvrInData`] when the dump holds no `<pvr>` item.
pub fn pvr_of_data(data: &CpuData) -> Result<Pvr, Error> {
    data.items
        .iter()
        .find_map(|i| match i {
            CpuDataItem::Pvr { value } => Some(Pvr::new(*value)),
            _ => None,
        })
        .ok_or(Error::NoPvrInData)
}

impl Ppc64 {
    /// Decodes a PVR: see the module documentation.
    ///
    /// # Errors
    /// [`Error::UnknownPvr`] when no model of the map matches the PVR.
    pub fn decode(&self, pvr: Pvr) -> Result<Decoded<'_>, Error> {
        let model = self.map.model_for_pvr(pvr).ok_or(Error::UnknownPvr(pvr))?;
        let family = self.qemu.family_of_pvr(pvr);
        let compat_modes = family.map_or_else(Vec::new, |f| {
            self.qemu
                .compat_modes()
                .iter()
                .filter(|m| self.qemu.supports(f, m))
                .collect()
        });
        Ok(Decoded {
            pvr,
            model,
            class: self.qemu.class_for_pvr(pvr),
            family,
            compat_modes,
        })
    }
}
