//! The s390x model catalog of one QEMU release: its RON schema, validation, and compilation
//! to bitmaps.
//!
//! A catalog (`specs/catalog/s390x*.ron`) lists, in QEMU's own order:
//!
//! * every **feature** with how the machine indicates it (its [`Kind`]: an STFLE facility
//!   bit numbered from the most significant bit of byte 0, an SCLP bit, a PLO/PTFF/CPACF/
//!   SORTL/DFLTCC subfunction bit, or nothing for `MISC` features). The list order is QEMU's
//!   enum order, which is the bitmap order: feature `i` of the list is [`Bit`] `i`. Output
//!   that QEMU builds by walking its bitmap is therefore reproduced by walking ours.
//! * the **groups** (`msa4`, `plo`, ...): a group names a set of features; it is "on" when
//!   every member is on.
//! * every **definition** (`z13`: type 0x2964, generation 13, GA 1, ...) with its *base*
//!   (static, never changes between releases), *default* (this release's `z13`) and *full*
//!   (everything the hardware has, the ceiling for enabling features) sets. Lists may name
//!   whole groups.
//! * the TCG `max` model (the latest `qemu` model): a definition's (type, gen, GA) and a set.
//!
//! The schema, the reading and the checks (every name known, base ⊆ default ⊆ full, ...)
//! belong to the catalog crate (`cpucompat_catalog::s390x_qemu`), whose one RON reader
//! turns lists into [`FeatureSet`]s and any mistake into a [`CatalogError`] naming the
//! file, line and column. Its build script embeds both committed tables as statics; this
//! module indexes a checked table by name ([`Catalog::embedded`] at first use, or
//! [`Catalog::parse`] for other text) and answers the adapter's questions about it.
use cpucompat_catalog::s390x_qemu::Table;
use cpucompat_catalog::CatalogError;
use cpucompat_lattice::{Bit, FeatureSet};
use std::collections::HashMap;

pub use cpucompat_catalog::s390x_qemu::Kind;

/// Which QEMU release's data to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Release {
    /// The newest upstream data (QEMU 10.2 development tree).
    #[default]
    Newest,
    /// QEMU 7.2, what Debian 12 ships.
    Qemu72,
}

impl Release {
    /// Parses `--qemu-version`: `7.2` (or `7.2.x`), or `10.2`/`newest`/`latest`.
    pub fn parse(v: &str) -> Option<Release> {
        match v {
            "7.2" => Some(Release::Qemu72),
            v if v.starts_with("7.2.") => Some(Release::Qemu72),
            "newest" | "latest" | "master" | "10.2" => Some(Release::Newest),
            v if v.starts_with("10.2.") => Some(Release::Newest),
            _ => None,
        }
    }
}

/// One feature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feature {
    /// The QOM property name, e.g. `vxeh`.
    pub name: String,
    /// How it is indicated.
    pub kind: Kind,
    /// Its bit number in its space; `None` for `MISC` features.
    pub bit: Option<u16>,
    /// QEMU's description.
    pub desc: String,
}

/// One group of features.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The QOM property name, e.g. `msa4`.
    pub name: String,
    /// Its description.
    pub desc: String,
    /// The members.
    pub members: FeatureSet,
}

/// One CPU definition (a row of QEMU's model table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    /// The name, e.g. `z13`.
    pub name: String,
    /// The machine type, e.g. 0x2964.
    pub cpu_type: u16,
    /// The hardware generation.
    pub gen: u8,
    /// The EC GA level.
    pub ga: u8,
    /// Maximum host address power.
    pub mha_pow: u8,
    /// Hypervisor-managed facilities.
    pub hmfai: u32,
    /// The description.
    pub desc: String,
    /// The static `-base` set.
    pub base: FeatureSet,
    /// The default set of this release.
    pub default: FeatureSet,
    /// Everything that may be enabled on this definition.
    pub full: FeatureSet,
}

impl Definition {
    /// Instruction blocking control: `((gen - 10) << 4) + GA` from z10 on, else 0.
    pub fn ibc(&self) -> u16 {
        if self.gen >= 10 {
            (((self.gen - 10) as u16) << 4) + self.ga as u16
        } else {
            0
        }
    }
}

/// The TCG `max` model of a release: which definition and which features.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaxModel {
    /// Index of its definition.
    pub def: usize,
    /// Its features.
    pub features: FeatureSet,
}

/// A compiled catalog: everything QEMU's answers depend on.
#[derive(Clone, Debug)]
pub struct Catalog {
    release: String,
    source: String,
    features: Vec<Feature>,
    by_name: HashMap<String, Bit>,
    groups: Vec<Group>,
    group_by_name: HashMap<String, usize>,
    defs: Vec<Definition>,
    def_by_name: HashMap<String, usize>,
    ignored_base: FeatureSet,
    deprecated: FeatureSet,
    max: MaxModel,
    listing: Vec<String>,
}

impl Catalog {
    /// Reads and checks a catalog in the RON schema of `specs/catalog/s390x*.ron`; `file`
    /// names it in errors.
    ///
    /// # Errors
    /// [`CatalogError::Input`] at the first syntax, schema or consistency error.
    pub fn parse(file: &str, text: &str) -> Result<Catalog, CatalogError> {
        Table::from_ron(text, file).map(|t| Catalog::from_checked(&t))
    }

    /// This module's indexed view of a checked catalog table.
    pub(crate) fn from_checked(t: &Table) -> Catalog {
        let features: Vec<Feature> = t
            .features()
            .iter()
            .map(|f| Feature {
                name: f.name.to_string(),
                kind: f.kind,
                bit: f.bit,
                desc: f.desc.to_string(),
            })
            .collect();
        let by_name = features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((f.name.clone(), Bit::new(i).ok()?)))
            .collect();
        let groups: Vec<Group> = t
            .groups()
            .iter()
            .map(|g| Group {
                name: g.name.to_string(),
                desc: g.desc.to_string(),
                members: g.members,
            })
            .collect();
        let group_by_name = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.name.clone(), i))
            .collect();
        let defs: Vec<Definition> = t
            .definitions()
            .iter()
            .map(|d| Definition {
                name: d.name.to_string(),
                cpu_type: d.cpu_type,
                gen: d.gen,
                ga: d.ga,
                mha_pow: d.mha_pow,
                hmfai: d.hmfai,
                desc: d.desc.to_string(),
                base: d.base,
                default: d.default,
                full: d.full,
            })
            .collect();
        let def_by_name = defs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.clone(), i))
            .collect();
        let (def, max_features) = t.max_model();
        Catalog {
            release: t.release().to_string(),
            source: t.source().to_string(),
            features,
            by_name,
            groups,
            group_by_name,
            defs,
            def_by_name,
            ignored_base: t.ignored_base(),
            deprecated: t.deprecated(),
            max: MaxModel {
                def,
                features: max_features,
            },
            listing: t.listing().iter().map(|n| n.to_string()).collect(),
        }
    }

    fn static_or_default(&self, name: &str) -> Option<(usize, bool)> {
        if let Some(&i) = self.def_by_name.get(name) {
            return Some((i, false));
        }
        let stem = name.strip_suffix("-base")?;
        self.def_by_name.get(stem).map(|&i| (i, true))
    }

    /// The release, e.g. `7.2`.
    pub fn release(&self) -> &str {
        &self.release
    }

    /// Where the data came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every feature, in bitmap order.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// The feature at `bit`.
    pub fn feature(&self, bit: Bit) -> &Feature {
        &self.features[bit.index()]
    }

    /// The bit of a feature name.
    pub fn feature_bit(&self, name: &str) -> Option<Bit> {
        self.by_name.get(name).copied()
    }

    /// Every group, in QEMU's order.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// A group by name.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.group_by_name.get(name).map(|&i| &self.groups[i])
    }

    /// Every definition, in release order.
    pub fn definitions(&self) -> &[Definition] {
        &self.defs
    }

    /// A definition by index.
    pub fn definition(&self, i: usize) -> &Definition {
        &self.defs[i]
    }

    /// A definition's index by name (`z13`, not `z13-base`).
    pub fn definition_index(&self, name: &str) -> Option<usize> {
        self.def_by_name.get(name).copied()
    }

    /// Resolves a model name: `X` (default set) or `X-base` (static base set).
    pub fn resolve_named(&self, name: &str) -> Option<(usize, bool)> {
        self.static_or_default(name)
    }

    /// Base features QEMU does not insist on when choosing a definition.
    pub fn ignored_base(&self) -> &FeatureSet {
        &self.ignored_base
    }

    /// Features QEMU reports as deprecated.
    pub fn deprecated(&self) -> &FeatureSet {
        &self.deprecated
    }

    /// The TCG `max` model (also the `qemu` model of the newest machine).
    pub fn max_model(&self) -> &MaxModel {
        &self.max
    }

    /// The universe: every feature.
    pub fn all(&self) -> FeatureSet {
        // The length was checked against the capacity at parse time.
        FeatureSet::universe(self.features.len()).unwrap_or(FeatureSet::EMPTY)
    }

    /// The order `query-cpu-definitions` lists models in (empty: table order).
    pub fn listing(&self) -> &[String] {
        &self.listing
    }

    /// Parses a list of feature or group names into a set.
    ///
    /// # Errors
    /// The first name that is neither a feature nor a group of this catalog.
    pub fn set_of<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<FeatureSet, String> {
        let mut s = FeatureSet::EMPTY;
        for n in names {
            if let Some(b) = self.feature_bit(n) {
                s.insert(b);
            } else if let Some(g) = self.group(n) {
                s |= g.members;
            } else {
                return Err(n.to_string());
            }
        }
        Ok(s)
    }
}
