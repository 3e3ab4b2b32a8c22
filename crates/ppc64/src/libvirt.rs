//! libvirt's view of POWER: the ppc64 `cpu_map` (models with vendors and PVR patterns),
//! legacy model names, and the compat levels a `host-model` guest may name.
//!
//! * A PVR decodes to the **first** model in map order with `pvr & mask = value`.
//! * Four legacy names are read as their family: `POWER7_v2.1`, `POWER7_v2.3` and
//!   `POWER7+_v2.1` as `POWER7`, `POWER8_v1.0` as `POWER8` (other names are not touched,
//!   so `POWER8E_v1.0` stays unknown).
//! * Compat levels: libvirt accepts `power<N>` on a `POWER<N'>` host when both numbers lie
//!   in its supported range and `N ≤ N'`. The range is not hard-coded here: it is the
//!   range of the `POWER<N>` models of the map, which gives libvirt 11.3's 6..=10 for the
//!   11.3 map and 6..=11 for 12.8's (which adds POWER11). `power7+` is not of the form
//!   `power<N>` and is refused, as libvirt does.
use crate::{Error, Pvr};
use cpucompat_catalog::schema::{Arch, Catalog};
use cpucompat_catalog::Compiled;

/// A libvirt ppc64 model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibvirtModel {
    name: String,
    vendor: Option<String>,
    pvrs: Vec<(u32, u32)>,
}

impl LibvirtModel {
    /// A model: name, vendor, and PVR patterns `(value, mask)`.
    pub fn new(name: impl Into<String>, vendor: Option<String>, pvrs: Vec<(u32, u32)>) -> Self {
        LibvirtModel {
            name: name.into(),
            vendor,
            pvrs,
        }
    }
    /// The name, e.g. `POWER9`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The vendor, e.g. `IBM`.
    pub fn vendor(&self) -> Option<&str> {
        self.vendor.as_deref()
    }
    /// The PVR patterns `(value, mask)`.
    pub fn pvrs(&self) -> &[(u32, u32)] {
        &self.pvrs
    }
    /// Whether one of the patterns matches `pvr`.
    pub fn matches(&self, pvr: Pvr) -> bool {
        self.pvrs.iter().any(|&(v, m)| pvr.matches(v, m))
    }
    /// `N` for a model named `POWER<N>`.
    pub fn generation(&self) -> Option<u32> {
        power_number(&self.name, "POWER")
    }
}

/// The ppc64 part of a libvirt `cpu_map`, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibvirtMap {
    source: String,
    vendors: Vec<String>,
    models: Vec<LibvirtModel>,
    compat_range: Option<(u32, u32)>,
}

/// libvirt's legacy model names and what they mean.
pub const LEGACY_NAMES: [(&str, &str); 4] = [
    ("POWER7_v2.1", "POWER7"),
    ("POWER7_v2.3", "POWER7"),
    ("POWER7+_v2.1", "POWER7"),
    ("POWER8_v1.0", "POWER8"),
];

/// Reads a legacy model name as libvirt does; other names are returned unchanged.
pub fn convert_legacy(name: &str) -> &str {
    LEGACY_NAMES
        .iter()
        .find(|(old, _)| *old == name)
        .map_or(name, |(_, new)| new)
}

/// `N` when `name` is `prefix` followed by decimal digits only.
fn power_number(name: &str, prefix: &str) -> Option<u32> {
    let digits = name.strip_prefix(prefix)?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl LibvirtMap {
    /// A map from vendors and models in map order. Every model's vendor must be listed
    /// and model names must be unique.
    ///
    /// # Errors
    /// [`Error::Map`] for a model name given twice or a model whose vendor is not listed.
    pub fn new(
        source: impl Into<String>,
        vendors: Vec<String>,
        models: Vec<LibvirtModel>,
    ) -> Result<LibvirtMap, Error> {
        let source = source.into();
        let bad = |message: String| Error::Map {
            source_name: source.clone(),
            message,
        };
        for (i, m) in models.iter().enumerate() {
            if models[..i].iter().any(|o| o.name == m.name) {
                return Err(bad(format!("duplicate model '{}'", m.name)));
            }
            if let Some(v) = &m.vendor {
                if !vendors.contains(v) {
                    return Err(bad(format!(
                        "model '{}' names unknown vendor '{v}'",
                        m.name
                    )));
                }
            }
        }
        let gens = models.iter().filter_map(LibvirtModel::generation);
        let compat_range = gens.clone().min().zip(gens.max());
        Ok(LibvirtMap {
            source,
            vendors,
            models,
            compat_range,
        })
    }

    /// The ppc64 map of a catalog (`Arch::Ppc64`).
    ///
    /// # Errors
    /// [`Error::Map`] for a catalog of another architecture; then as [`LibvirtMap::new`].
    pub fn from_catalog(catalog: &Catalog) -> Result<LibvirtMap, Error> {
        if catalog.arch != Arch::Ppc64 {
            return Err(Error::Map {
                source_name: catalog.source.clone(),
                message: format!("catalog is for {:?}, not ppc64", catalog.arch),
            });
        }
        LibvirtMap::new(
            catalog.source.clone(),
            catalog.vendors.iter().map(|v| v.name.clone()).collect(),
            catalog
                .models
                .iter()
                .map(|m| {
                    LibvirtModel::new(
                        m.name.clone(),
                        m.vendor.clone(),
                        m.pvrs.iter().map(|p| (p.value, p.mask)).collect(),
                    )
                })
                .collect(),
        )
    }

    /// The ppc64 map of a compiled catalog (`embedded::ppc64()`, a loaded cpu_map).
    ///
    /// # Errors
    /// [`Error::Map`] for a catalog of another architecture; then as [`LibvirtMap::new`].
    pub fn from_compiled(catalog: &Compiled) -> Result<LibvirtMap, Error> {
        if catalog.arch() != Arch::Ppc64 {
            return Err(Error::Map {
                source_name: catalog.source().to_string(),
                message: format!("catalog is for {:?}, not ppc64", catalog.arch()),
            });
        }
        let vendors = catalog.vendors();
        LibvirtMap::new(
            catalog.source(),
            vendors.iter().map(|v| v.name.to_string()).collect(),
            catalog
                .models()
                .iter()
                .map(|m| {
                    LibvirtModel::new(
                        m.name.to_string(),
                        m.vendor
                            .and_then(|i| vendors.get(i))
                            .map(|v| v.name.to_string()),
                        m.pvrs.iter().map(|p| (p.value, p.mask)).collect(),
                    )
                })
                .collect(),
        )
    }

    /// Where the map came from, e.g. `libvirt 11.3.0 cpu_map`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The models in map order.
    pub fn models(&self) -> &[LibvirtModel] {
        &self.models
    }

    /// The vendors.
    pub fn vendors(&self) -> &[String] {
        &self.vendors
    }

    /// The model named exactly `name`.
    pub fn model(&self, name: &str) -> Option<&LibvirtModel> {
        self.models.iter().find(|m| m.name == name)
    }

    /// The first model (map order) whose PVR patterns match.
    pub fn model_for_pvr(&self, pvr: Pvr) -> Option<&LibvirtModel> {
        self.models.iter().find(|m| m.matches(pvr))
    }

    /// The `power<N>` range a `host-model` guest may name: that of the map's `POWER<N>`.
    pub fn compat_range(&self) -> Option<(u32, u32)> {
        self.compat_range
    }

    /// libvirt's compat check of a `host-model` guest naming `compat` on a host of model
    /// `host_model`: `Ok(true)` when the level is not newer than the host,
    /// `Ok(false)` when it is, an error for a host or level outside the range.
    ///
    /// # Errors
    /// [`Error::HostWithoutCompat`] for a host model that is not `POWER<N>` within the
    /// map's range; [`Error::UnknownCompatMode`] for a level that is not `power<N>` within
    /// it (`power7+` included).
    pub fn compat_fits(&self, host_model: &str, compat: &str) -> Result<bool, Error> {
        let in_range = |n: u32| self.compat_range.is_some_and(|(lo, hi)| lo <= n && n <= hi);
        let host = power_number(host_model, "POWER")
            .filter(|&n| in_range(n))
            .ok_or_else(|| Error::HostWithoutCompat(host_model.to_string()))?;
        let level = self
            .compat_level(compat)
            .ok_or_else(|| Error::UnknownCompatMode(compat.to_string()))?;
        Ok(level <= host)
    }

    /// `N` for a compat level `power<N>` libvirt accepts.
    pub fn compat_level(&self, compat: &str) -> Option<u32> {
        power_number(compat, "power")
            .filter(|&n| self.compat_range.is_some_and(|(lo, hi)| lo <= n && n <= hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> LibvirtMap {
        LibvirtMap::new(
            "test",
            vec!["IBM".into()],
            vec![
                LibvirtModel::new(
                    "POWER6",
                    Some("IBM".into()),
                    vec![(0x003e_0000, 0xffff_0000)],
                ),
                LibvirtModel::new(
                    "POWER7",
                    Some("IBM".into()),
                    vec![(0x003f_0000, 0xffff_0000)],
                ),
                LibvirtModel::new(
                    "POWER10",
                    Some("IBM".into()),
                    vec![(0x0080_0000, 0xffff_0000)],
                ),
                LibvirtModel::new("POWERPC_e5500", None, vec![(0x8024_0000, 0xffff_0000)]),
            ],
        )
        .unwrap()
    }

    #[test]
    fn embedded_maps_bound_compat_levels_by_their_models() {
        let old =
            LibvirtMap::from_compiled(cpucompat_catalog::embedded::ppc64_libvirt_11_3()).unwrap();
        assert_eq!(old.compat_range(), Some((6, 10)));
        let new = LibvirtMap::from_compiled(cpucompat_catalog::embedded::ppc64()).unwrap();
        assert_eq!(new.compat_range(), Some((6, 11)));
        assert_eq!(
            new.model_for_pvr(Pvr::new(0x0082_1200)).unwrap().name(),
            "POWER11"
        );
        assert_eq!(new.model("POWER9").unwrap().vendor(), Some("IBM"));
    }

    #[test]
    fn legacy_names_map_to_families_only_for_the_four_known() {
        assert_eq!(convert_legacy("POWER7_v2.3"), "POWER7");
        assert_eq!(convert_legacy("POWER7+_v2.1"), "POWER7");
        assert_eq!(convert_legacy("POWER8_v1.0"), "POWER8");
        assert_eq!(convert_legacy("POWER8E_v1.0"), "POWER8E_v1.0");
    }

    #[test]
    fn compat_range_comes_from_the_map() {
        let m = map();
        assert_eq!(m.compat_range(), Some((6, 10)));
        assert!(m.compat_fits("POWER7", "power6").unwrap());
        assert!(!m.compat_fits("POWER7", "power10").unwrap());
        assert_eq!(
            m.compat_fits("POWER7", "power7+").unwrap_err().to_string(),
            "unknown compatibility mode power7+"
        );
        assert_eq!(
            m.compat_fits("POWER7", "power11").unwrap_err().to_string(),
            "unknown compatibility mode power11"
        );
        assert_eq!(
            m.compat_fits("POWERPC_e5500", "power6")
                .unwrap_err()
                .to_string(),
            "host CPU POWERPC_e5500 does not support compatibility modes"
        );
    }

    #[test]
    fn pvr_decodes_to_first_matching_model() {
        let m = map();
        assert_eq!(
            m.model_for_pvr(Pvr::new(0x003f_0203)).unwrap().name(),
            "POWER7"
        );
        assert!(m.model_for_pvr(Pvr::new(0x004e_1202)).is_none());
    }

    #[test]
    fn unknown_vendor_in_map_is_an_error() {
        let e = LibvirtMap::new(
            "t",
            vec![],
            vec![LibvirtModel::new("POWER9", Some("IBM".into()), vec![])],
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "cpu map t: model 'POWER9' names unknown vendor 'IBM'"
        );
    }
}
