//! The schema and reader of QEMU's s390x model tables (`specs/catalog/s390x.ron`, newest
//! upstream, and `specs/catalog/s390x-7.2.ron`). The rules QEMU applies to them live in
//! the s390x adapter (`cpucompat_s390x`); this module reads, checks and compiles the data.
//!
//! A table lists, in QEMU's own order:
//!
//! * every **feature** with how the machine indicates it (its [`Kind`] and bit number,
//!   `None` for `MISC` features). The list order is QEMU's enum order, which is the bitmap
//!   order: feature `i` of the list is [`Bit`] `i`.
//! * the **groups** (`msa4`, `plo`, ...): a group names a non-empty set of features.
//! * every **definition** (`z13`: type 0x2964, generation 13, GA 1, ...) with its *base*,
//!   *default* and *full* sets; lists may name features or whole groups.
//! * the TCG `max` model: a definition's (type, gen, GA) and a set; the features QEMU
//!   ignores in base sets, the deprecated ones; optionally the `query-cpu-definitions`
//!   listing order.
//!
//! # Reading
//! [`Table::from_ron`] goes through the crate's one RON reader. Every syntax or schema
//! error and every failed check is a [`CatalogError::Input`] at the line and column of the
//! value at fault. The checks:
//!
//! ```text
//! features                      at most FeatureSet::CAPACITY, names unique
//! group names                   unique among features and groups; members features, ≥ 1
//! set lists                     feature or group names
//! model names                   unique; base ⊆ default ⊆ full
//! models                        at least one
//! max (type, gen, ga)           some definition's
//! listing entries               qemu, max, a model or a model's -base
//! ```
//!
//! The build script reads both committed tables this way and writes them as statics
//! ([`crate::embedded::s390x_qemu`], [`crate::embedded::s390x_qemu_7_2`]), so a broken
//! committed table fails the build and run time parses no text.
use crate::error::CatalogError;
use crate::ron::{self, Pos, Value};
use cpucompat_lattice::{Bit, FeatureSet};
use std::borrow::Cow;

/// How a feature is indicated to the machine (QEMU's `S390FeatType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

const KINDS: [(&str, Kind); 25] = [
    ("Stfl", Kind::Stfl),
    ("SclpConfChar", Kind::SclpConfChar),
    ("SclpConfCharExt", Kind::SclpConfCharExt),
    ("SclpFac134", Kind::SclpFac134),
    ("SclpCpu", Kind::SclpCpu),
    ("Misc", Kind::Misc),
    ("Plo", Kind::Plo),
    ("Ptff", Kind::Ptff),
    ("Kmac", Kind::Kmac),
    ("Kmc", Kind::Kmc),
    ("Km", Kind::Km),
    ("Kimd", Kind::Kimd),
    ("Klmd", Kind::Klmd),
    ("Pckmo", Kind::Pckmo),
    ("Kmctr", Kind::Kmctr),
    ("Kmf", Kind::Kmf),
    ("Kmo", Kind::Kmo),
    ("Pcc", Kind::Pcc),
    ("Ppno", Kind::Ppno),
    ("Kma", Kind::Kma),
    ("Kdsa", Kind::Kdsa),
    ("Sortl", Kind::Sortl),
    ("Dfltcc", Kind::Dfltcc),
    ("UvFeatGuest", Kind::UvFeatGuest),
    ("Pfcr", Kind::Pfcr),
];

/// One feature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feature {
    /// The QOM property name, e.g. `vxeh`.
    pub name: Cow<'static, str>,
    /// How it is indicated.
    pub kind: Kind,
    /// Its bit number in its space; `None` for `MISC` features.
    pub bit: Option<u16>,
    /// QEMU's description.
    pub desc: Cow<'static, str>,
}

/// One group of features.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The QOM property name, e.g. `msa4`.
    pub name: Cow<'static, str>,
    /// Its description.
    pub desc: Cow<'static, str>,
    /// The members (bits of [`Table::features`]).
    pub members: FeatureSet,
}

/// One CPU definition (a row of QEMU's model table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    /// The name, e.g. `z13`.
    pub name: Cow<'static, str>,
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
    pub desc: Cow<'static, str>,
    /// The static `-base` set.
    pub base: FeatureSet,
    /// The default set of this release.
    pub default: FeatureSet,
    /// Everything that may be enabled on this definition.
    pub full: FeatureSet,
}

/// A checked table: every rule of the module documentation holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub(crate) release: Cow<'static, str>,
    pub(crate) source: Cow<'static, str>,
    pub(crate) features: Cow<'static, [Feature]>,
    pub(crate) groups: Cow<'static, [Group]>,
    pub(crate) definitions: Cow<'static, [Definition]>,
    pub(crate) ignored_base: FeatureSet,
    pub(crate) deprecated: FeatureSet,
    pub(crate) max_definition: usize,
    pub(crate) max_features: FeatureSet,
    pub(crate) listing: Cow<'static, [Cow<'static, str>]>,
}

impl Table {
    /// Reads and checks a table; `file` names the text in errors.
    ///
    /// # Errors
    /// [`CatalogError::Input`] at the first syntax, schema or consistency error.
    pub fn from_ron(text: &str, file: &str) -> Result<Table, CatalogError> {
        ron::parse(text)
            .and_then(|v| read(&v))
            .map_err(|e| CatalogError::at(file, e))
    }

    /// The QEMU release, e.g. `7.2`.
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
    /// Every group, in QEMU's order.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }
    /// Every definition, in release order.
    pub fn definitions(&self) -> &[Definition] {
        &self.definitions
    }
    /// Base features QEMU does not insist on when choosing a definition.
    pub fn ignored_base(&self) -> FeatureSet {
        self.ignored_base
    }
    /// Features QEMU reports as deprecated.
    pub fn deprecated(&self) -> FeatureSet {
        self.deprecated
    }
    /// The TCG `max` model: the index of its definition and its features.
    pub fn max_model(&self) -> (usize, FeatureSet) {
        (self.max_definition, self.max_features)
    }
    /// The order `query-cpu-definitions` lists models in (empty: table order).
    pub fn listing(&self) -> &[Cow<'static, str>] {
        &self.listing
    }
}

fn err<T>(pos: Pos, message: String) -> ron::Result<T> {
    Err(ron::Error { pos, message })
}

fn text(v: &Value) -> ron::Result<Cow<'static, str>> {
    v.string().map(Cow::Owned)
}

/// A list of feature or group names as a set.
fn set(v: &Value, features: &[Feature], groups: &[Group]) -> ron::Result<FeatureSet> {
    let mut s = FeatureSet::EMPTY;
    for n in v.list()? {
        let name = n.string()?;
        if let Some(i) = features.iter().position(|f| f.name == name) {
            match Bit::new(i) {
                Ok(b) => {
                    s.insert(b);
                }
                Err(e) => return err(n.pos, e.to_string()),
            }
        } else if let Some(g) = groups.iter().find(|g| g.name == name) {
            s |= g.members;
        } else {
            return err(n.pos, format!("unknown feature or group '{name}'"));
        }
    }
    Ok(s)
}

fn read(v: &Value) -> ron::Result<Table> {
    let o = v.obj("Catalog")?;
    o.only(&[
        "qemu",
        "source",
        "features",
        "groups",
        "ignored_base",
        "deprecated",
        "max",
        "listing",
        "models",
    ])?;
    let release = text(o.req("qemu")?)?;
    let source = text(o.req("source")?)?;

    let fv = o.req("features")?;
    let flist = fv.list()?;
    if flist.len() > FeatureSet::CAPACITY {
        return err(
            fv.pos,
            format!(
                "{} features exceed the capacity of {}",
                flist.len(),
                FeatureSet::CAPACITY
            ),
        );
    }
    let mut features: Vec<Feature> = Vec::with_capacity(flist.len());
    for v in flist {
        let f = v.obj("Feature")?;
        f.only(&["name", "kind", "bit", "desc"])?;
        let nv = f.req("name")?;
        let name = text(nv)?;
        if features.iter().any(|o| o.name == name) {
            return err(nv.pos, format!("duplicate feature '{name}'"));
        }
        let names: Vec<&str> = KINDS.iter().map(|(n, _)| *n).collect();
        let kind_name = f.req("kind")?.unit(&names)?;
        let kind = KINDS
            .iter()
            .find(|(n, _)| *n == kind_name)
            .map_or(Kind::Misc, |(_, k)| *k);
        features.push(Feature {
            name,
            kind,
            bit: f.req("bit")?.option()?.map(|b| b.uint("u16")).transpose()?,
            desc: text(f.req("desc")?)?,
        });
    }

    let mut groups: Vec<Group> = Vec::new();
    for v in o.req("groups")?.list()? {
        let g = v.obj("Group")?;
        g.only(&["name", "desc", "members"])?;
        let nv = g.req("name")?;
        let name = text(nv)?;
        if features.iter().any(|f| f.name == name) || groups.iter().any(|o| o.name == name) {
            return err(nv.pos, format!("duplicate feature or group '{name}'"));
        }
        let members = set(g.req("members")?, &features, &[])?;
        if members.is_empty() {
            return err(nv.pos, format!("group '{name}' has no members"));
        }
        groups.push(Group {
            name,
            desc: text(g.req("desc")?)?,
            members,
        });
    }

    let mut definitions: Vec<Definition> = Vec::new();
    let mv = o.req("models")?;
    for v in mv.list()? {
        let m = v.obj("Model")?;
        m.only(&[
            "name", "type", "gen", "ga", "mha_pow", "hmfai", "desc", "base", "default", "full",
        ])?;
        let nv = m.req("name")?;
        let name = text(nv)?;
        if definitions.iter().any(|d| d.name == name) {
            return err(nv.pos, format!("duplicate model '{name}'"));
        }
        let cpu_type = m.req("type")?.uint("u16")?;
        let gen = m.req("gen")?.uint("u8")?;
        let ga = m.req("ga")?.uint("u8")?;
        let mha_pow = m.req("mha_pow")?.uint("u8")?;
        let hmfai = m.req("hmfai")?.uint("u32")?;
        let desc = text(m.req("desc")?)?;
        let base = set(m.req("base")?, &features, &groups)?;
        let default = set(m.req("default")?, &features, &groups)?;
        let full = set(m.req("full")?, &features, &groups)?;
        if !base.is_subset(&default) || !default.is_subset(&full) {
            return err(
                nv.pos,
                format!("model '{name}': base must be within default, default within full"),
            );
        }
        definitions.push(Definition {
            name,
            cpu_type,
            gen,
            ga,
            mha_pow,
            hmfai,
            desc,
            base,
            default,
            full,
        });
    }
    if definitions.is_empty() {
        return err(mv.pos, "the catalog has no models".into());
    }
    let ignored_base = set(o.req("ignored_base")?, &features, &groups)?;
    let deprecated = set(o.req("deprecated")?, &features, &groups)?;

    let xv = o.req("max")?;
    let x = xv.obj("Max")?;
    x.only(&["type", "gen", "ga", "features"])?;
    let (t, g, a): (u16, u8, u8) = (
        x.req("type")?.uint("u16")?,
        x.req("gen")?.uint("u8")?,
        x.req("ga")?.uint("u8")?,
    );
    let max_features = set(x.req("features")?, &features, &groups)?;
    let Some(max_definition) = definitions
        .iter()
        .position(|d| d.cpu_type == t && d.gen == g && d.ga == a)
    else {
        return err(xv.pos, "the max model names no definition".into());
    };

    let mut listing = Vec::new();
    if let Some(lv) = o.get("listing") {
        for n in lv.list()? {
            let name = n.string()?;
            let stem = name.strip_suffix("-base").unwrap_or(&name);
            let known = name == "qemu"
                || name == "max"
                || definitions.iter().any(|d| d.name == name || d.name == stem);
            if !known {
                return err(n.pos, format!("listing names unknown model '{name}'"));
            }
            listing.push(Cow::Owned(name));
        }
    }

    Ok(Table {
        release,
        source,
        features: features.into(),
        groups: groups.into(),
        definitions: definitions.into(),
        ignored_base,
        deprecated,
        max_definition,
        max_features,
        listing: listing.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tables_equal_the_committed_files() {
        let newest = include_str!("../../../specs/catalog/s390x.ron");
        let old = include_str!("../../../specs/catalog/s390x-7.2.ron");
        assert_eq!(
            crate::embedded::s390x_qemu(),
            &Table::from_ron(newest, "s390x.ron").unwrap()
        );
        let old = Table::from_ron(old, "s390x-7.2.ron").unwrap();
        assert_eq!(crate::embedded::s390x_qemu_7_2(), &old);
        assert_eq!(old.features().len(), 312);
        assert_eq!(old.listing().len(), 78);
    }
}
