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
//! Compilation checks every name and turns lists into [`FeatureSet`]s; any mistake is a
//! [`CatalogError`] naming the file, line and column.
use crate::error::CatalogError;
use cpucompat_lattice::{Bit, FeatureSet};
use serde::Deserialize;
use std::collections::HashMap;

/// How a feature is indicated to the machine (QEMU's `S390FeatType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[allow(dead_code)]
pub enum Kind {
    /// An STFL/STFLE facility bit (bit 0 = most significant bit of byte 0).
    Stfl,
    /// SCLP configuration-characteristics bit.
    SclpConfChar,
    /// SCLP configuration-characteristics-extension bit.
    SclpConfCharExt,
    /// SCLP facility byte 134 bit.
    SclpFac134,
    /// SCLP per-CPU bit.
    SclpCpu,
    /// No bit of its own.
    Misc,
    /// PERFORM LOCKED OPERATION function code.
    Plo,
    /// PERFORM TIMING FACILITY FUNCTION function code.
    Ptff,
    /// CPACF KMAC query bit.
    Kmac,
    /// CPACF KMC query bit.
    Kmc,
    /// CPACF KM query bit.
    Km,
    /// CPACF KIMD query bit.
    Kimd,
    /// CPACF KLMD query bit.
    Klmd,
    /// CPACF PCKMO query bit.
    Pckmo,
    /// CPACF KMCTR query bit.
    Kmctr,
    /// CPACF KMF query bit.
    Kmf,
    /// CPACF KMO query bit.
    Kmo,
    /// CPACF PCC query bit.
    Pcc,
    /// CPACF PPNO/PRNO query bit.
    Ppno,
    /// CPACF KMA query bit.
    Kma,
    /// CPACF KDSA query bit.
    Kdsa,
    /// SORTL function code.
    Sortl,
    /// DFLTCC function code.
    Dfltcc,
    /// Ultravisor guest feature bit.
    UvFeatGuest,
    /// PFCR function code.
    Pfcr,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    qemu: String,
    source: String,
    features: Vec<RawFeature>,
    groups: Vec<RawGroup>,
    ignored_base: Vec<String>,
    deprecated: Vec<String>,
    max: RawMax,
    #[serde(default)]
    listing: Vec<String>,
    models: Vec<RawModel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeature {
    name: String,
    kind: Kind,
    bit: Option<u16>,
    desc: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: String,
    desc: String,
    members: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMax {
    #[serde(rename = "type")]
    cpu_type: u16,
    gen: u8,
    ga: u8,
    features: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: String,
    #[serde(rename = "type")]
    cpu_type: u16,
    gen: u8,
    ga: u8,
    mha_pow: u8,
    hmfai: u32,
    desc: String,
    base: Vec<String>,
    default: Vec<String>,
    full: Vec<String>,
}

/// A catalog compiled by the build script into plain data (see [`Catalog::to_rust`]).
#[doc(hidden)]
pub struct Parts {
    /// The release.
    pub release: &'static str,
    /// The source.
    pub source: &'static str,
    /// `(name, kind, bit, desc)` in bitmap order.
    pub features: &'static [(&'static str, Kind, Option<u16>, &'static str)],
    /// `(name, desc, members)`.
    pub groups: &'static [(&'static str, &'static str, [u64; 8])],
    /// `(name, type, gen, ga, mha_pow, hmfai, desc, base, default, full)`.
    #[allow(clippy::type_complexity)]
    pub defs: &'static [(
        &'static str,
        u16,
        u8,
        u8,
        u8,
        u32,
        &'static str,
        [u64; 8],
        [u64; 8],
        [u64; 8],
    )],
    /// Ignored base features.
    pub ignored_base: [u64; 8],
    /// Deprecated features.
    pub deprecated: [u64; 8],
    /// The max model: definition index and features.
    pub max: (usize, [u64; 8]),
    /// The listing order.
    pub listing: &'static [&'static str],
}

impl Catalog {
    /// Builds a catalog from build-time data (already validated by [`Catalog::parse`]).
    #[doc(hidden)]
    pub fn from_parts(p: &Parts) -> Catalog {
        let features: Vec<Feature> = p
            .features
            .iter()
            .map(|&(name, kind, bit, desc)| Feature {
                name: name.to_string(),
                kind,
                bit,
                desc: desc.to_string(),
            })
            .collect();
        let by_name = features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((f.name.clone(), Bit::new(i).ok()?)))
            .collect();
        let groups: Vec<Group> = p
            .groups
            .iter()
            .map(|&(name, desc, w)| Group {
                name: name.to_string(),
                desc: desc.to_string(),
                members: FeatureSet::from_words(w),
            })
            .collect();
        let group_by_name = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.name.clone(), i))
            .collect();
        let defs: Vec<Definition> = p
            .defs
            .iter()
            .map(|d| Definition {
                name: d.0.to_string(),
                cpu_type: d.1,
                gen: d.2,
                ga: d.3,
                mha_pow: d.4,
                hmfai: d.5,
                desc: d.6.to_string(),
                base: FeatureSet::from_words(d.7),
                default: FeatureSet::from_words(d.8),
                full: FeatureSet::from_words(d.9),
            })
            .collect();
        let def_by_name = defs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.clone(), i))
            .collect();
        Catalog {
            release: p.release.to_string(),
            source: p.source.to_string(),
            features,
            by_name,
            groups,
            group_by_name,
            defs,
            def_by_name,
            ignored_base: FeatureSet::from_words(p.ignored_base),
            deprecated: FeatureSet::from_words(p.deprecated),
            max: MaxModel {
                def: p.max.0,
                features: FeatureSet::from_words(p.max.1),
            },
            listing: p.listing.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Renders the catalog as the Rust expression of a [`Parts`] (used by the build
    /// script to embed the catalogs).
    #[doc(hidden)]
    pub fn to_rust(&self) -> String {
        use std::fmt::Write as _;
        let w = |s: &FeatureSet| format!("{:?}", s.words());
        let mut o = String::from("Parts {\n");
        let _ = writeln!(o, "    release: {:?},", self.release);
        let _ = writeln!(o, "    source: {:?},", self.source);
        o.push_str("    features: &[\n");
        for f in &self.features {
            let _ = writeln!(
                o,
                "        ({:?}, Kind::{:?}, {:?}, {:?}),",
                f.name, f.kind, f.bit, f.desc
            );
        }
        o.push_str("    ],\n    groups: &[\n");
        for g in &self.groups {
            let _ = writeln!(
                o,
                "        ({:?}, {:?}, {}),",
                g.name,
                g.desc,
                w(&g.members)
            );
        }
        o.push_str("    ],\n    defs: &[\n");
        for d in &self.defs {
            let _ = writeln!(
                o,
                "        ({:?}, {}, {}, {}, {}, {}, {:?}, {}, {}, {}),",
                d.name,
                d.cpu_type,
                d.gen,
                d.ga,
                d.mha_pow,
                d.hmfai,
                d.desc,
                w(&d.base),
                w(&d.default),
                w(&d.full)
            );
        }
        o.push_str("    ],\n");
        let _ = writeln!(o, "    ignored_base: {},", w(&self.ignored_base));
        let _ = writeln!(o, "    deprecated: {},", w(&self.deprecated));
        let _ = writeln!(o, "    max: ({}, {}),", self.max.def, w(&self.max.features));
        let _ = writeln!(o, "    listing: &{:?},", self.listing);
        o.push('}');
        o
    }

    /// Parses and validates a catalog; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Catalog, CatalogError> {
        let raw: RawCatalog = ron::from_str(text).map_err(|e| CatalogError::Syntax {
            file: file.to_string(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })?;
        let at = |needle: &str| locate(text, needle);
        let bad = |needle: &str, message: String| {
            let (line, column) = at(needle);
            CatalogError::Invalid {
                file: file.to_string(),
                line,
                column,
                message,
            }
        };
        if raw.features.len() > FeatureSet::CAPACITY {
            return Err(bad(
                "features:",
                format!(
                    "{} features exceed the capacity of {}",
                    raw.features.len(),
                    FeatureSet::CAPACITY
                ),
            ));
        }
        let mut features = Vec::with_capacity(raw.features.len());
        let mut by_name = HashMap::new();
        for (i, f) in raw.features.into_iter().enumerate() {
            let bit = Bit::new(i).map_err(|e| bad("features:", e.to_string()))?;
            if by_name.insert(f.name.clone(), bit).is_some() {
                return Err(bad(
                    &format!("\"{}\"", f.name),
                    format!("duplicate feature '{}'", f.name),
                ));
            }
            features.push(Feature {
                name: f.name,
                kind: f.kind,
                bit: f.bit,
                desc: f.desc,
            });
        }
        let feature_set = |names: &[String], groups: &[Group], gidx: &HashMap<String, usize>| {
            let mut s = FeatureSet::EMPTY;
            for n in names {
                if let Some(b) = by_name.get(n) {
                    s.insert(*b);
                } else if let Some(g) = gidx.get(n) {
                    s |= groups[*g].members;
                } else {
                    return Err(bad(
                        &format!("\"{n}\""),
                        format!("unknown feature or group '{n}'"),
                    ));
                }
            }
            Ok(s)
        };
        let mut groups: Vec<Group> = Vec::new();
        let mut group_by_name = HashMap::new();
        for g in raw.groups {
            if by_name.contains_key(&g.name) || group_by_name.contains_key(&g.name) {
                return Err(bad(
                    &format!("name: \"{}\"", g.name),
                    format!("duplicate feature or group '{}'", g.name),
                ));
            }
            let members = feature_set(&g.members, &[], &HashMap::new())?;
            if members.is_empty() {
                return Err(bad(
                    &format!("name: \"{}\"", g.name),
                    format!("group '{}' has no members", g.name),
                ));
            }
            group_by_name.insert(g.name.clone(), groups.len());
            groups.push(Group {
                name: g.name,
                desc: g.desc,
                members,
            });
        }
        let mut defs: Vec<Definition> = Vec::new();
        let mut def_by_name = HashMap::new();
        for m in raw.models {
            if def_by_name.contains_key(&m.name) {
                return Err(bad(
                    &format!("name: \"{}\"", m.name),
                    format!("duplicate model '{}'", m.name),
                ));
            }
            let base = feature_set(&m.base, &groups, &group_by_name)?;
            let default = feature_set(&m.default, &groups, &group_by_name)?;
            let full = feature_set(&m.full, &groups, &group_by_name)?;
            if !base.is_subset(&default) || !default.is_subset(&full) {
                return Err(bad(
                    &format!("name: \"{}\"", m.name),
                    format!(
                        "model '{}': base must be within default, default within full",
                        m.name
                    ),
                ));
            }
            def_by_name.insert(m.name.clone(), defs.len());
            defs.push(Definition {
                name: m.name,
                cpu_type: m.cpu_type,
                gen: m.gen,
                ga: m.ga,
                mha_pow: m.mha_pow,
                hmfai: m.hmfai,
                desc: m.desc,
                base,
                default,
                full,
            });
        }
        if defs.is_empty() {
            return Err(bad("models:", "the catalog has no models".into()));
        }
        let ignored_base = feature_set(&raw.ignored_base, &groups, &group_by_name)?;
        let deprecated = feature_set(&raw.deprecated, &groups, &group_by_name)?;
        let max_features = feature_set(&raw.max.features, &groups, &group_by_name)?;
        let max_def = defs
            .iter()
            .position(|d| {
                d.cpu_type == raw.max.cpu_type && d.gen == raw.max.gen && d.ga == raw.max.ga
            })
            .ok_or_else(|| bad("max:", "the max model names no definition".into()))?;
        let cat = Catalog {
            release: raw.qemu,
            source: raw.source,
            features,
            by_name,
            groups,
            group_by_name,
            defs,
            def_by_name,
            ignored_base,
            deprecated,
            max: MaxModel {
                def: max_def,
                features: max_features,
            },
            listing: raw.listing,
        };
        for n in &cat.listing {
            if n != "qemu" && n != "max" && cat.static_or_default(n).is_none() {
                return Err(bad(
                    &format!("\"{n}\""),
                    format!("listing names unknown model '{n}'"),
                ));
            }
        }
        Ok(cat)
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

/// Line and column (1-based) of the first occurrence of `needle`, or (0, 0).
fn locate(text: &str, needle: &str) -> (usize, usize) {
    match text.find(needle) {
        Some(at) => {
            let before = &text[..at];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (line, column)
        }
        None => (0, 0),
    }
}
