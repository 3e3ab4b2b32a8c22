//! The s390x model algebra: models, IBC, comparison, baseline, expansion, runnability.
//!
//! A CPU model is a definition (type, generation, GA) plus a feature set. Definitions form
//! a chain ordered by `(generation, GA)` ([`Level::pair`]); the machine type (EC or BC,
//! e.g. z13 vs z13s) is ignored by the order. Feature sets are ordered by inclusion.
//!
//! **Named models.** `X-base` = X's base set (static, never changes), `X` = X's default
//! set, `qemu` = the latest `qemu` model, `max` = everything the accelerator offers (the
//! host model under KVM, the TCG max model otherwise), `host` = the host model (KVM only).
//! Properties then switch features or whole groups on and off, in QEMU's dictionary order
//! (see [`crate::qdict`]); a feature may be switched on only if the definition's full set
//! has it, a group only if the full set has one of its members.
//!
//! **IBC** (instruction blocking control) = `((gen - 10) << 4) + GA` for gen >= 10, else 0.
//!
//! **Comparison** of A with B:
//!
//! ```text
//! gen  = relation of (A.gen, A.ga) to (B.gen, B.ga) on the chain
//! feat = identical if A = B, subset if A ⊂ B, superset if A ⊃ B, else incompatible
//! result = combine(gen, feat)        (cpucompat_lattice::combine)
//! responsible = "type" if gen ≠ identical, then names(A - B), then names(B - A)
//! ```
//!
//! **Baseline** of A and B: features `F = A ∩ B`; the level is the older of the two (same
//! generation: the lower GA, and the machine type only if both have the same); then the
//! newest definition at or below that level whose base set (ignoring a few optional
//! subfunctions) lies within `F` is chosen ([`Engine::find_definition`]); none is an error.
//! The result is that definition with `F ∩ full`.
//!
//! **Names of a set** (QEMU's `s390_feat_bitmap_to_ascii`): walk the groups in order and
//! name every group wholly inside the set, removing its members; then name the remaining
//! features in bit order. QEMU builds its reply lists by prepending, so lists come out in
//! the reverse of this walk; dictionaries come out in [`crate::qdict`] order.
use crate::catalog::{Catalog, Release};
use crate::error::ModelError;
use cpucompat_lattice::{combine, FeatureSet, Level, Relation};

/// A CPU model: a definition and a feature set. Built only by an [`Engine`], so the
/// definition index always belongs to the engine's catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CpuModel {
    def: usize,
    features: FeatureSet,
}

impl CpuModel {
    /// The definition's index in the catalog.
    pub fn definition(&self) -> usize {
        self.def
    }

    /// The features.
    pub fn features(&self) -> &FeatureSet {
        &self.features
    }
}

/// Which kind of named model a name resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Named {
    /// `X-base`: static.
    Static(usize),
    /// `X`: the default set.
    Default(usize),
    /// `qemu`.
    Qemu,
    /// `max`.
    Max,
    /// `host` (only with a host model).
    Host,
}

/// A named model, resolved: the model and the set that properties may switch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// What the name is.
    pub named: Named,
    /// The model before properties.
    pub model: CpuModel,
    /// Features that may be switched on.
    pub ceiling: FeatureSet,
}

/// The QOM type name of a model name, e.g. `z14-base-s390x-cpu`.
pub fn typename(name: &str) -> String {
    format!("{name}-s390x-cpu")
}

/// One property of a model request: a feature or group name and a value.
#[derive(Clone, Debug, PartialEq)]
pub struct Prop {
    /// The property name.
    pub name: String,
    /// The value.
    pub value: PropValue,
}

/// The JSON type of a property value, as far as the CPU object cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropValue {
    /// `true` / `false`: what features and groups take.
    Bool(bool),
    /// A non-negative integer.
    Uint(u64),
    /// A string.
    Str,
    /// Anything else (null, negative or fractional number, list, object).
    Other,
}

impl From<bool> for PropValue {
    fn from(b: bool) -> PropValue {
        PropValue::Bool(b)
    }
}

/// The CPU object's properties that are not features (QEMU 7.2's `qom-list-properties`
/// of an s390x CPU type) and how setting them fails or is ignored.
fn other_property(
    typename: impl Fn() -> String,
    name: &str,
    value: PropValue,
) -> Option<Result<(), ModelError>> {
    let read_only = || ModelError::ReadOnly {
        typename: typename(),
        property: name.to_string(),
    };
    Some(match name {
        "type" | "parent_bus" | "hotplugged" | "hotpluggable" | "legacy-memory" | "description"
        | "crash-information" => Err(read_only()),
        "memory" if value != PropValue::Str => Err(ModelError::NotString(name.to_string())),
        "start-powered-off" => match value {
            PropValue::Bool(_) => Ok(()),
            _ => Err(ModelError::NotBoolean(name.to_string())),
        },
        "core-id" => match value {
            PropValue::Uint(v) if v <= u64::from(u32::MAX) => Ok(()),
            PropValue::Uint(_) | PropValue::Str | PropValue::Bool(_) | PropValue::Other => {
                Err(ModelError::NotUint(name.to_string()))
            }
        },
        _ => return None,
    })
}

/// The outcome of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison<'c> {
    /// How A relates to B.
    pub result: Relation,
    /// The properties that make them differ, in QEMU's reply order.
    pub responsible: Vec<&'c str>,
}

/// One entry of `query-cpu-definitions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefinitionInfo {
    /// The model name.
    pub name: String,
    /// The QOM type name.
    pub typename: String,
    /// Whether the model is static (`-base`).
    pub is_static: bool,
    /// Whether the model is migration-safe.
    pub migration_safe: bool,
    /// Why it cannot run with this accelerator/host, in QEMU's order; empty = runnable.
    pub unavailable: Vec<String>,
}

/// A static or full expansion: a `-base` name and properties in QEMU's insertion order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expansion<'c> {
    /// Always `<definition>-base`.
    pub name: String,
    /// `(property, value)` in insertion order.
    pub props: Vec<(&'c str, bool)>,
    /// Deprecated properties (newest release only), in QEMU's reply order.
    pub deprecated: Vec<&'c str>,
}

/// The model algebra over one catalog, with an optional KVM host model.
#[derive(Clone, Debug)]
pub struct Engine<'c> {
    cat: &'c Catalog,
    release: Release,
    host: Option<CpuModel>,
}

impl<'c> Engine<'c> {
    /// An engine answering as QEMU with TCG (`max` = the TCG max model).
    pub fn tcg(release: Release) -> Engine<'static> {
        Engine {
            cat: Catalog::embedded(release),
            release,
            host: None,
        }
    }

    /// An engine over any catalog.
    pub fn with_catalog(cat: &'c Catalog, release: Release) -> Engine<'c> {
        Engine {
            cat,
            release,
            host: None,
        }
    }

    /// The same engine answering as QEMU under KVM on a host with `host` as host model.
    #[must_use]
    pub fn with_host(mut self, host: CpuModel) -> Engine<'c> {
        self.host = Some(host);
        self
    }

    /// The catalog.
    pub fn catalog(&self) -> &'c Catalog {
        self.cat
    }

    /// The release.
    pub fn release(&self) -> Release {
        self.release
    }

    /// The host model, when answering as KVM.
    pub fn host(&self) -> Option<&CpuModel> {
        self.host.as_ref()
    }

    /// Builds a model from a definition and a set, clipped to the universe.
    pub fn model(&self, def: usize, features: FeatureSet) -> Option<CpuModel> {
        (def < self.cat.definitions().len()).then(|| CpuModel {
            def,
            features: features & self.cat.all(),
        })
    }

    /// The level of a model on the (generation, GA) chain.
    pub fn level(&self, m: &CpuModel) -> Level {
        let d = self.cat.definition(m.def);
        Level::pair(d.gen as u16, d.ga as u16)
    }

    /// The IBC of a model.
    pub fn ibc(&self, m: &CpuModel) -> u16 {
        self.cat.definition(m.def).ibc()
    }

    /// The `qemu` model.
    pub fn qemu_model(&self) -> CpuModel {
        let mx = self.cat.max_model();
        CpuModel {
            def: mx.def,
            features: mx.features,
        }
    }

    /// The `max` model: the host model under KVM, the TCG max model otherwise.
    pub fn max_model(&self) -> CpuModel {
        self.host.unwrap_or_else(|| self.qemu_model())
    }

    /// Resolves a model name as QEMU's CPU class lookup does.
    ///
    /// # Errors
    /// [`ModelError::UnknownModel`] for a name that is neither `qemu`, `max` nor a catalog
    /// definition (plain or `-base`), and for `host` when the engine has no host model
    /// (TCG).
    pub fn resolve(&self, name: &str) -> Result<Resolved, ModelError> {
        let unknown = || ModelError::UnknownModel(name.to_string());
        let (named, model) = match name {
            "qemu" => (Named::Qemu, self.qemu_model()),
            "max" => (Named::Max, self.max_model()),
            "host" => (Named::Host, self.host.ok_or_else(unknown)?),
            _ => match self.cat.resolve_named(name).ok_or_else(unknown)? {
                (i, true) => (
                    Named::Static(i),
                    CpuModel {
                        def: i,
                        features: self.cat.definition(i).base,
                    },
                ),
                (i, false) => (
                    Named::Default(i),
                    CpuModel {
                        def: i,
                        features: self.cat.definition(i).default,
                    },
                ),
            },
        };
        let mut ceiling = self.cat.definition(model.def).full;
        if named == Named::Qemu {
            // QEMU copies the definition of the qemu model and lets it enable whatever
            // the TCG max model has.
            ceiling |= self.cat.max_model().features;
        }
        Ok(Resolved {
            named,
            model,
            ceiling,
        })
    }

    /// Applies properties in the given order to the model resolved from `name`; the first
    /// failing one is the error.
    ///
    /// # Errors
    /// The first property that fails, with QEMU's message: [`ModelError::UnknownProperty`]
    /// for a name that is no feature, group or CPU property; [`ModelError::ReadOnly`] for a
    /// read-only CPU property (`type`, `parent_bus`, ...); [`ModelError::NotBoolean`],
    /// [`ModelError::NotString`] or [`ModelError::NotUint`] for a value of the wrong type;
    /// [`ModelError::FeatureTooNew`] for enabling a feature beyond the definition's full
    /// set, [`ModelError::GroupTooNew`] for a group none of whose members it has (for
    /// `qemu`, the TCG max model's features count too).
    pub fn apply(&self, name: &str, r: &Resolved, props: &[Prop]) -> Result<CpuModel, ModelError> {
        let mut m = r.model;
        let def_name = &self.cat.definition(m.def).name;
        for p in props {
            let (members, is_group) = if let Some(b) = self.cat.feature_bit(&p.name) {
                (FeatureSet::single(b), false)
            } else if let Some(g) = self.cat.group(&p.name) {
                (g.members, true)
            } else {
                match other_property(|| typename(name), &p.name, p.value) {
                    Some(Ok(())) => continue,
                    Some(Err(e)) => return Err(e),
                    None => {
                        return Err(ModelError::UnknownProperty {
                            typename: typename(name),
                            property: p.name.clone(),
                        })
                    }
                }
            };
            match p.value {
                PropValue::Uint(_) | PropValue::Str | PropValue::Other => {
                    return Err(ModelError::NotBoolean(p.name.clone()))
                }
                PropValue::Bool(true) => {
                    let ok = if is_group {
                        !members.is_disjoint(&r.ceiling)
                    } else {
                        members.is_subset(&r.ceiling)
                    };
                    if !ok {
                        return Err(if is_group {
                            ModelError::GroupTooNew {
                                group: p.name.clone(),
                                model: def_name.clone(),
                            }
                        } else {
                            ModelError::FeatureTooNew {
                                feature: p.name.clone(),
                                model: def_name.clone(),
                            }
                        });
                    }
                    m.features |= members;
                }
                PropValue::Bool(false) => m.features -= members,
            }
        }
        Ok(m)
    }

    /// Resolves a name and applies properties.
    ///
    /// # Errors
    /// As [`Engine::resolve`], then as [`Engine::apply`].
    pub fn build(&self, name: &str, props: &[Prop]) -> Result<CpuModel, ModelError> {
        let r = self.resolve(name)?;
        self.apply(name, &r, props)
    }

    /// The names of a set in QEMU's walk order: whole groups first, then single features.
    pub fn names(&self, set: &FeatureSet) -> Vec<&'c str> {
        let cat: &'c Catalog = self.cat;
        let mut left = *set;
        let mut out = Vec::new();
        if left.is_empty() {
            return out;
        }
        for g in cat.groups() {
            if g.members.is_subset(&left) {
                left -= g.members;
                out.push(g.name.as_str());
            }
        }
        out.extend(left.iter().map(|b| cat.feature(b).name.as_str()));
        out
    }

    /// QEMU's `s390_find_cpu_def`: walk the table in release order, stop at the first
    /// definition newer than (gen, GA) or (with `features`) whose base set, minus the
    /// ignored base features, is not within `features`; return the exact (type, GA) match,
    /// else the last of the same type, else the last one passed.
    pub fn find_definition(
        &self,
        cpu_type: u16,
        gen: u8,
        ga: u8,
        features: Option<&FeatureSet>,
    ) -> Option<usize> {
        let defs = self.cat.definitions();
        let (mut gen, mut ga) = (gen, ga);
        if gen == 0 {
            ga = 0;
            if cpu_type != 0 {
                gen = defs
                    .iter()
                    .find(|d| d.cpu_type == cpu_type)
                    .map_or(0, |d| d.gen);
            }
        }
        let mut same_type = None;
        let mut last = None;
        for (i, d) in defs.iter().enumerate() {
            if gen != 0 && (d.gen > gen || (d.gen == gen && ga != 0 && d.ga > ga)) {
                break;
            }
            if let Some(f) = features {
                let missing = d.base - *f - *self.cat.ignored_base();
                if !missing.is_empty() {
                    break;
                }
            }
            if d.cpu_type == cpu_type && d.ga == ga {
                return Some(i);
            }
            if d.cpu_type == cpu_type {
                same_type = Some(i);
            }
            last = Some(i);
        }
        same_type.or(last)
    }

    /// QEMU's `query-cpu-model-comparison` of A with B.
    pub fn compare(&self, a: &CpuModel, b: &CpuModel) -> Comparison<'c> {
        let gen = self.level(a).relation(self.level(b));
        let mut walk: Vec<&'c str> = Vec::new();
        if gen != Relation::Identical {
            walk.push("type");
        }
        let missing = a.features - b.features;
        let added = b.features - a.features;
        let feat = match (missing.is_empty(), added.is_empty()) {
            (true, true) => Relation::Identical,
            (true, false) => Relation::Subset,
            (false, true) => Relation::Superset,
            (false, false) => Relation::Incompatible,
        };
        walk.extend(self.names(&missing));
        walk.extend(self.names(&added));
        walk.reverse();
        Comparison {
            result: combine(gen, feat),
            responsible: walk,
        }
    }

    /// QEMU's `query-cpu-model-baseline` of A and B.
    ///
    /// # Errors
    /// [`ModelError::NoBaseline`] when the walk passes no definition: the oldest one is
    /// already newer than the older model, or its base set (minus the ignored base
    /// features) is not within the common features.
    pub fn baseline(&self, a: &CpuModel, b: &CpuModel) -> Result<CpuModel, ModelError> {
        let features = a.features & b.features;
        let da = self.cat.definition(a.def);
        let db = self.cat.definition(b.def);
        let (cpu_type, gen, ga) = if da.gen == db.gen {
            let t = if da.cpu_type == db.cpu_type {
                da.cpu_type
            } else {
                0
            };
            (t, da.gen, da.ga.min(db.ga))
        } else if da.gen > db.gen {
            (db.cpu_type, db.gen, db.ga)
        } else {
            (da.cpu_type, da.gen, da.ga)
        };
        let def = self
            .find_definition(cpu_type, gen, ga, Some(&features))
            .ok_or(ModelError::NoBaseline)?;
        Ok(CpuModel {
            def,
            features: features & self.cat.definition(def).full,
        })
    }

    /// Static expansion: `<def>-base` and the changes against the base set (removed base
    /// features as `false` first, then additions as `true`).
    pub fn expand_static(&self, m: &CpuModel) -> Expansion<'c> {
        let d = self.cat.definition(m.def);
        let mut props: Vec<(&'c str, bool)> = Vec::new();
        props.extend(
            self.names(&(d.base - m.features))
                .into_iter()
                .map(|n| (n, false)),
        );
        props.extend(
            self.names(&(m.features - d.base))
                .into_iter()
                .map(|n| (n, true)),
        );
        let deprecated = self.deprecated_props(*self.cat.deprecated() & m.features);
        Expansion {
            name: format!("{}-base", d.name),
            props,
            deprecated,
        }
    }

    /// Full expansion: `<def>-base` and every feature as `true` or `false`, both sides
    /// group-compressed.
    pub fn expand_full(&self, m: &CpuModel) -> Expansion<'c> {
        let d = self.cat.definition(m.def);
        let mut props: Vec<(&'c str, bool)> = Vec::new();
        props.extend(self.names(&m.features).into_iter().map(|n| (n, true)));
        let off = self.cat.all() - m.features;
        props.extend(self.names(&off).into_iter().map(|n| (n, false)));
        let deprecated = self.deprecated_props(*self.cat.deprecated());
        Expansion {
            name: format!("{}-base", d.name),
            props,
            deprecated,
        }
    }

    fn deprecated_props(&self, set: FeatureSet) -> Vec<&'c str> {
        let mut v = self.names(&set);
        v.reverse();
        v
    }

    /// Why `m` cannot run where `max` is the most the accelerator/host offers, in QEMU's
    /// order (`type` last): empty means runnable.
    pub fn unavailable(&self, max: &CpuModel, m: &CpuModel) -> Vec<String> {
        let mut walk = Vec::new();
        if self.level(max) < self.level(m) {
            walk.push("type".to_string());
        }
        walk.extend(
            self.names(&(m.features - max.features))
                .into_iter()
                .map(str::to_string),
        );
        walk.reverse();
        walk
    }

    /// Whether `m` runs on this accelerator/host: its level is not newer than `max`'s and
    /// its features are within `max`'s.
    pub fn runnable(&self, m: &CpuModel) -> bool {
        let max = self.max_model();
        self.level(m) <= self.level(&max) && m.features.is_subset(&max.features)
    }

    /// Every CPU class, in the release's listing order, with its unavailable features.
    pub fn definitions(&self) -> Vec<DefinitionInfo> {
        let max = self.max_model();
        let mut names: Vec<String> = if self.cat.listing().is_empty() {
            let mut v: Vec<String> = Vec::new();
            for d in self.cat.definitions() {
                v.push(format!("{}-base", d.name));
                v.push(d.name.clone());
            }
            v.push("qemu".into());
            v.push("max".into());
            v
        } else {
            self.cat.listing().to_vec()
        };
        if self.host.is_some() && !names.iter().any(|n| n == "host") {
            names.push("host".into());
        }
        names
            .into_iter()
            .filter_map(|n| {
                let r = self.resolve(&n).ok()?;
                let (is_static, migration_safe) = match r.named {
                    Named::Static(_) => (true, true),
                    Named::Default(_) | Named::Qemu => (false, true),
                    Named::Max | Named::Host => (false, false),
                };
                Some(DefinitionInfo {
                    unavailable: self.unavailable(&max, &r.model),
                    typename: typename(&n),
                    name: n,
                    is_static,
                    migration_safe,
                })
            })
            .collect()
    }
}
