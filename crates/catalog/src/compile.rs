//! Validation and compilation of a [`Catalog`] into a [`Compiled`] index.
//!
//! Compilation assigns feature `i` of the catalog the lattice bit `i` (so ascending bit
//! order is catalog order), resolves vendors to indices, and resolves every model through
//! libvirt's inheritance rules. For a model `M` with parent `P` (already resolved):
//!
//! ```text
//! vendor(M)     = own vendor            if written, else vendor(P)
//! signatures(M) = own signatures        if any are written, else signatures(P)
//! data(M)       = (data(P) − removed(P)) ∪ own features
//! removed(M)    = own removed='yes' features      (recorded only, never in data)
//! added(M)      = own added='yes' features        (recorded only, never in data)
//! alias(M)      ⇔ M has a parent and writes no vendor, signature, feature, removed,
//!                 added feature or PVR of its own
//! ```
//!
//! When `M` is an alias, `M.alias_of = P` and, if `P` has no canonical name yet,
//! `P.canonical = M`: the first alias in catalog order wins (libvirt's data never points
//! two aliases at one model; the rule makes the result independent of file order beyond
//! that). Parents may appear after their children in the catalog; inheritance cycles are
//! an error naming the chain.
//!
//! Validation rejects: empty names or names with control characters; duplicate vendor,
//! feature (including aliases colliding with names) and model names; two features with one
//! location; CPUID/MSR bits above 31; MSR registers other than EAX/EDX; locations on a
//! catalog that is not x86's; x86 vendor strings that are not 12 ASCII characters;
//! unknown feature, vendor or parent names; a feature listed twice in one model; stepping
//! ranges outside `0..=15` or reversed; PVR values with bits outside their mask; more than
//! [`FeatureSet::CAPACITY`] features, or more than 65535 aliases of one feature.
//!
//! A compiled catalog holds its text and lists as `Cow<'static, _>` and its name lookups
//! in [`NameIndex`]es: the embedded catalogs are statics the build script wrote (borrowed
//! throughout, nothing built at start-up), one compiled at run time owns its values.
use crate::error::CatalogError;
use crate::index::{IndexBuilder, NameIndex};
use crate::schema::{Alias, Arch, Catalog, Decode, Location, Model, Pvr, Reg, Signature};
use cpucompat_lattice::{Bit, FeatureSet};
use std::borrow::Cow;
use std::collections::HashMap;

/// FxHash for the `HashSet`s of names the importer keeps while reading (see
/// `crate::index` for the hash itself).
#[derive(Clone, Copy, Default)]
pub(crate) struct NameHasher(u64);

impl std::hash::Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 ^= crate::index::hash(bytes);
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A compiled feature: index `i` in [`Compiled::features`] is lattice bit `i`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureInfo {
    /// The canonical name.
    pub name: Cow<'static, str>,
    /// Where its bit lives.
    pub location: Location,
    /// `false` for features that block migration.
    pub migratable: bool,
    /// Other names.
    pub aliases: Cow<'static, [Alias]>,
}

/// A compiled vendor: index `i` in [`Compiled::vendors`] is vendor id `i`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorInfo {
    /// The name used in CPU XML, e.g. `Intel`.
    pub name: Cow<'static, str>,
    /// The x86 CPUID leaf-0 string, e.g. `GenuineIntel`; `None` on other architectures.
    pub string: Option<Cow<'static, str>>,
}

/// A compiled model, with inheritance resolved (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    /// The name.
    pub name: Cow<'static, str>,
    /// The vendor id, own or inherited.
    pub vendor: Option<usize>,
    /// The model data: inherited minus the parent's removed features, plus own features.
    /// Never holds this model's own removed or added features (unless also listed plainly).
    pub features: FeatureSet,
    /// Own `removed='yes'` features, in file order.
    pub removed: Cow<'static, [Bit]>,
    /// Own `added='yes'` features.
    pub added: FeatureSet,
    /// Signatures: own, else inherited.
    pub signatures: Cow<'static, [Signature]>,
    /// Own `<decode>` flags.
    pub decode: Option<Decode>,
    /// Own `<check partial='compat'/>`.
    pub check_compat: bool,
    /// The parent model's index.
    pub parent: Option<usize>,
    /// `Some(parent)` when this model is a pure alias of its parent.
    pub alias_of: Option<usize>,
    /// `Some(alias)`: the first model that is a pure alias of this one.
    pub canonical: Option<usize>,
    /// POWER PVR patterns (own).
    pub pvrs: Cow<'static, [Pvr]>,
}

/// One architecture's catalog, validated and indexed. Built only by [`Compiled::compile`]
/// (directly, through [`Compiled::load_cpu_map`], or by the build script for the embedded
/// catalogs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    pub(crate) arch: Arch,
    pub(crate) source: Cow<'static, str>,
    pub(crate) features: Cow<'static, [FeatureInfo]>,
    /// Entry `i`: feature `i`.
    pub(crate) feature_index: NameIndex,
    /// Entry `a << 16 | i`: alias `a` of feature `i`.
    pub(crate) alias_index: NameIndex,
    pub(crate) vendors: Cow<'static, [VendorInfo]>,
    pub(crate) vendor_index: NameIndex,
    pub(crate) models: Cow<'static, [ModelInfo]>,
    pub(crate) model_index: NameIndex,
    pub(crate) blockers: FeatureSet,
}

/// The name of alias entry `e` (`a << 16 | i`) of `features`.
fn alias_name(features: &[FeatureInfo], e: u32) -> &str {
    features
        .get((e & 0xffff) as usize)
        .and_then(|f| f.aliases.get((e >> 16) as usize))
        .map_or("", |a| &a.name)
}

impl Compiled {
    /// Validates `cat` and compiles it.
    ///
    /// # Errors
    /// The first rule of the module documentation `cat` breaks, naming the vendor,
    /// feature or model at fault.
    pub fn compile(cat: &Catalog) -> Result<Compiled, CatalogError> {
        let (vendors, vendor_index) = compile_vendors(cat)?;
        let (features, feature_index, alias_index) = compile_features(cat)?;
        let mut models = IndexBuilder::new(cat.models.len());
        for (i, m) in cat.models.iter().enumerate() {
            check_name("model", &m.name)?;
            if models
                .insert(i as u32, |e| cat.models[e as usize].name.as_str())
                .is_some()
            {
                return Err(CatalogError::DuplicateModel(m.name.clone()));
            }
        }
        let model_index = models.finish();
        let resolved = Resolver {
            cat,
            features: &features,
            feature_index: &feature_index,
            vendors: &vendors,
            vendor_index: &vendor_index,
            model_index: &model_index,
        }
        .resolve_all()?;
        let mut blockers = FeatureSet::EMPTY;
        for (i, f) in features.iter().enumerate() {
            if !f.migratable {
                blockers.insert(bit(i)?);
            }
        }
        Ok(Compiled {
            arch: cat.arch,
            source: Cow::Owned(cat.source.clone()),
            features: Cow::Owned(features),
            feature_index,
            alias_index,
            vendors: Cow::Owned(vendors),
            vendor_index,
            models: Cow::Owned(resolved),
            model_index,
            blockers,
        })
    }

    /// The architecture.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// Where the data came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every feature; index `i` is lattice bit `i`, in catalog order.
    pub fn features(&self) -> &[FeatureInfo] {
        &self.features
    }

    /// The bit of a feature, by its exact canonical name only (libvirt's x86 driver does not
    /// accept aliases in CPU definitions).
    #[inline]
    pub fn feature(&self, name: &str) -> Option<Bit> {
        let e = self.feature_index.get(name, |e| {
            self.features.get(e as usize).map_or("", |f| &f.name)
        })?;
        Bit::new(e as usize).ok()
    }

    /// The bit of a feature by canonical name or any alias.
    pub fn feature_by_alias(&self, name: &str) -> Option<Bit> {
        self.feature(name).or_else(|| {
            let e = self
                .alias_index
                .get(name, |e| alias_name(&self.features, e))?;
            Bit::new((e & 0xffff) as usize).ok()
        })
    }

    /// The feature at a location (a CPUID or MSR bit), if the catalog names one there; a
    /// walk over the features.
    pub fn feature_at(&self, location: &Location) -> Option<Bit> {
        let i = self.features.iter().position(|f| f.location == *location)?;
        Bit::new(i).ok()
    }

    /// The canonical name of a bit; the empty string for a bit beyond this catalog.
    pub fn feature_name(&self, bit: Bit) -> &str {
        self.try_feature_name(bit).unwrap_or("")
    }

    /// The canonical name of a bit, if the bit belongs to this catalog.
    pub fn try_feature_name(&self, bit: Bit) -> Option<&str> {
        self.features.get(bit.index()).map(|f| &*f.name)
    }

    /// The set of every feature of this catalog.
    pub fn all_features(&self) -> FeatureSet {
        // The length was checked against the capacity at compile time.
        FeatureSet::universe(self.features.len()).unwrap_or(FeatureSet::EMPTY)
    }

    /// Every vendor; index is the vendor id.
    pub fn vendors(&self) -> &[VendorInfo] {
        &self.vendors
    }

    /// A vendor id by name.
    pub fn vendor(&self, name: &str) -> Option<usize> {
        self.vendor_index
            .get(name, |e| {
                self.vendors.get(e as usize).map_or("", |v| &v.name)
            })
            .map(|e| e as usize)
    }

    /// Every model, in catalog (`index.xml`) order.
    pub fn models(&self) -> &[ModelInfo] {
        &self.models
    }

    /// A model index by exact name.
    #[inline]
    pub fn model(&self, name: &str) -> Option<usize> {
        self.model_index
            .get(name, |e| {
                self.models.get(e as usize).map_or("", |m| &m.name)
            })
            .map(|e| e as usize)
    }

    /// Features with `migratable = false`.
    pub fn migration_blockers(&self) -> FeatureSet {
        self.blockers
    }

    /// The names of the features of `set`, in catalog order; bits beyond the catalog are
    /// skipped.
    pub fn names(&self, set: &FeatureSet) -> Vec<&str> {
        set.iter()
            .filter_map(|b| self.try_feature_name(b))
            .collect()
    }
}

fn bit(i: usize) -> Result<Bit, CatalogError> {
    Bit::new(i).map_err(|_| CatalogError::TooManyFeatures {
        count: i + 1,
        capacity: FeatureSet::CAPACITY,
    })
}

/// A name must be non-empty and free of control characters.
pub(crate) fn check_name(what: &'static str, name: &str) -> Result<(), CatalogError> {
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(CatalogError::BadName {
            what,
            name: name.escape_debug().to_string(),
        });
    }
    Ok(())
}

fn arch_name(arch: Arch) -> &'static str {
    match arch {
        Arch::X86 => "x86",
        Arch::Ppc64 => "ppc64",
        Arch::S390x => "s390x",
    }
}

type VendorTables = (Vec<VendorInfo>, NameIndex);

fn compile_vendors(cat: &Catalog) -> Result<VendorTables, CatalogError> {
    let mut vendors = Vec::with_capacity(cat.vendors.len());
    let mut index = IndexBuilder::new(cat.vendors.len());
    for (i, v) in cat.vendors.iter().enumerate() {
        check_name("vendor", &v.name)?;
        match (&v.string, cat.arch) {
            (Some(s), Arch::X86) if s.len() != 12 || !s.is_ascii() => {
                return Err(CatalogError::BadVendor {
                    vendor: v.name.clone(),
                    message: format!(
                        "cpuid vendor string '{}' must be 12 ascii characters",
                        s.escape_debug()
                    ),
                })
            }
            (None, Arch::X86) => {
                return Err(CatalogError::BadVendor {
                    vendor: v.name.clone(),
                    message: "an x86 vendor needs its cpuid vendor string".into(),
                })
            }
            (Some(_), arch) if arch != Arch::X86 => {
                return Err(CatalogError::BadVendor {
                    vendor: v.name.clone(),
                    message: format!("a {} vendor has no cpuid string", arch_name(arch)),
                })
            }
            _ => {}
        }
        if index
            .insert(i as u32, |e| cat.vendors[e as usize].name.as_str())
            .is_some()
        {
            return Err(CatalogError::DuplicateVendor(v.name.clone()));
        }
        vendors.push(VendorInfo {
            name: Cow::Owned(v.name.clone()),
            string: v.string.clone().map(Cow::Owned),
        });
    }
    Ok((vendors, index.finish()))
}

type FeatureTables = (Vec<FeatureInfo>, NameIndex, NameIndex);

fn compile_features(cat: &Catalog) -> Result<FeatureTables, CatalogError> {
    if cat.features.len() > FeatureSet::CAPACITY {
        return Err(CatalogError::TooManyFeatures {
            count: cat.features.len(),
            capacity: FeatureSet::CAPACITY,
        });
    }
    let mut features = Vec::with_capacity(cat.features.len());
    let mut names = IndexBuilder::new(cat.features.len());
    let mut locations: HashMap<Location, usize, std::hash::BuildHasherDefault<NameHasher>> =
        HashMap::with_capacity_and_hasher(cat.features.len(), Default::default());
    let name = |e: u32| cat.features[e as usize].name.as_str();
    for (i, f) in cat.features.iter().enumerate() {
        check_name("feature", &f.name)?;
        bit(i)?;
        if names.insert(i as u32, name).is_some() {
            return Err(CatalogError::DuplicateFeature(f.name.clone()));
        }
        check_location(cat.arch, &f.name, &f.location)?;
        if let Some(first) = locations.insert(f.location, i) {
            return Err(CatalogError::SharedLocation {
                first: cat.features[first].name.clone(),
                second: f.name.clone(),
            });
        }
        if f.aliases.len() > usize::from(u16::MAX) {
            return Err(CatalogError::TooManyAliases {
                feature: f.name.clone(),
                count: f.aliases.len(),
            });
        }
        features.push(FeatureInfo {
            name: Cow::Owned(f.name.clone()),
            location: f.location,
            migratable: f.migratable,
            aliases: Cow::Owned(f.aliases.clone()),
        });
    }
    let names = names.finish();
    // Aliases may not collide with any canonical name or with each other. A feature may
    // list the same alias under two sources (`qemu` and `linux`).
    let count = features.iter().map(|f| f.aliases.len()).sum();
    let mut aliases = IndexBuilder::new(count);
    for (i, f) in features.iter().enumerate() {
        for (a, al) in f.aliases.iter().enumerate() {
            check_name("alias", &al.name)?;
            let e = (a as u32) << 16 | i as u32;
            let clash = names.get(&al.name, name).is_some()
                || aliases
                    .insert(e, |e| alias_name(&features, e))
                    .is_some_and(|other| other & 0xffff != i as u32);
            if clash {
                return Err(CatalogError::DuplicateFeature(al.name.to_string()));
            }
        }
    }
    Ok((features, names, aliases.finish()))
}

fn check_location(arch: Arch, feature: &str, loc: &Location) -> Result<(), CatalogError> {
    let kind = match loc {
        Location::Cpuid { .. } => "cpuid",
        Location::Msr { .. } => "msr",
    };
    if arch != Arch::X86 {
        return Err(CatalogError::WrongLocation {
            feature: feature.to_string(),
            kind,
            arch: arch_name(arch),
        });
    }
    match loc {
        Location::Cpuid { bit, .. } | Location::Msr { bit, .. } if *bit > 31 => {
            Err(CatalogError::BadBit {
                feature: feature.to_string(),
                bit: u32::from(*bit),
                max: 31,
            })
        }
        Location::Msr { reg, .. } if !matches!(reg, Reg::Eax | Reg::Edx) => {
            Err(CatalogError::BadMsrReg {
                feature: feature.to_string(),
                reg: format!("{reg:?}"),
            })
        }
        _ => Ok(()),
    }
}

struct Resolver<'a> {
    cat: &'a Catalog,
    features: &'a [FeatureInfo],
    feature_index: &'a NameIndex,
    vendors: &'a [VendorInfo],
    vendor_index: &'a NameIndex,
    model_index: &'a NameIndex,
}

/// Resolution state of one model during the depth-first walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Todo,
    Active,
    Done,
}

impl Resolver<'_> {
    fn resolve_all(&self) -> Result<Vec<ModelInfo>, CatalogError> {
        let n = self.cat.models.len();
        let mut state = vec![State::Todo; n];
        let mut out: Vec<Option<ModelInfo>> = vec![None; n];
        for start in 0..n {
            // Walk up the parent chain iteratively, then resolve top-down.
            let mut chain = Vec::new();
            let mut cur = Some(start);
            while let Some(i) = cur {
                match state[i] {
                    State::Done => break,
                    State::Active => {
                        let from = chain.iter().position(|&c| c == i).unwrap_or(0);
                        let mut names: Vec<String> = chain[from..]
                            .iter()
                            .map(|&c: &usize| self.cat.models[c].name.clone())
                            .collect();
                        names.push(self.cat.models[i].name.clone());
                        return Err(CatalogError::Cycle(names));
                    }
                    State::Todo => {
                        state[i] = State::Active;
                        chain.push(i);
                        cur = self.parent_of(i)?;
                    }
                }
            }
            for &i in chain.iter().rev() {
                let parent = self.parent_of(i)?;
                let info = self.resolve(i, parent.and_then(|p| out[p].as_ref()))?;
                out[i] = Some(info);
                state[i] = State::Done;
            }
        }
        let mut models: Vec<ModelInfo> = out.into_iter().flatten().collect();
        // Canonical names: the first alias (in catalog order) of each model.
        for i in 0..models.len() {
            if let Some(p) = models[i].alias_of {
                if models[p].canonical.is_none() {
                    models[p].canonical = Some(i);
                }
            }
        }
        Ok(models)
    }

    fn parent_of(&self, i: usize) -> Result<Option<usize>, CatalogError> {
        let m = &self.cat.models[i];
        match &m.parent {
            None => Ok(None),
            Some(p) => match self
                .model_index
                .get(p, |e| self.cat.models[e as usize].name.as_str())
            {
                Some(j) => Ok(Some(j as usize)),
                None => Err(CatalogError::UnknownParent {
                    model: m.name.clone(),
                    parent: p.clone(),
                }),
            },
        }
    }

    fn lookup(&self, m: &Model, name: &str) -> Result<Bit, CatalogError> {
        self.feature_index
            .get(name, |e| &self.features[e as usize].name)
            .and_then(|e| Bit::new(e as usize).ok())
            .ok_or_else(|| CatalogError::UnknownFeature {
                model: m.name.clone(),
                feature: name.to_string(),
            })
    }

    fn resolve(&self, i: usize, parent: Option<&ModelInfo>) -> Result<ModelInfo, CatalogError> {
        let m = &self.cat.models[i];
        let parent_index = self.parent_of(i)?;
        // Canonical names and bits correspond one to one: a name seen twice is a bit seen
        // twice.
        let mut seen = FeatureSet::EMPTY;
        let mut own = FeatureSet::EMPTY;
        let mut removed = Vec::new();
        let mut added = FeatureSet::EMPTY;
        for (list, kind) in [(&m.features, 0), (&m.removed, 1), (&m.added, 2)] {
            for name in list {
                let b = self.lookup(m, name)?;
                if !seen.insert(b) {
                    return Err(CatalogError::DuplicateModelFeature {
                        model: m.name.clone(),
                        feature: name.clone(),
                    });
                }
                match kind {
                    0 => {
                        own.insert(b);
                    }
                    1 => removed.push(b),
                    _ => {
                        added.insert(b);
                    }
                }
            }
        }
        let vendor = match &m.vendor {
            Some(v) => Some(
                self.vendor_index
                    .get(v, |e| &self.vendors[e as usize].name)
                    .map(|e| e as usize)
                    .ok_or_else(|| CatalogError::UnknownVendor {
                        model: m.name.clone(),
                        vendor: v.clone(),
                    })?,
            ),
            None => parent.and_then(|p| p.vendor),
        };
        for s in &m.signatures {
            for &(lo, hi) in s.steppings.iter() {
                if lo > hi || hi > 15 {
                    return Err(CatalogError::BadStepping {
                        model: m.name.clone(),
                        lo,
                        hi,
                    });
                }
            }
        }
        for p in &m.pvrs {
            if p.value & !p.mask != 0 {
                return Err(CatalogError::BadPvr {
                    model: m.name.clone(),
                    value: p.value,
                    mask: p.mask,
                });
            }
        }
        let signatures = match parent {
            Some(p) if m.signatures.is_empty() => p.signatures.to_vec(),
            _ => m.signatures.clone(),
        };
        let mut features = match parent {
            Some(p) => {
                let mut inherited = p.features;
                for &r in p.removed.iter() {
                    inherited.remove(r);
                }
                inherited
            }
            None => FeatureSet::EMPTY,
        };
        features = features.join(&own);
        let is_alias = parent.is_some()
            && m.vendor.is_none()
            && m.signatures.is_empty()
            && m.features.is_empty()
            && m.removed.is_empty()
            && m.added.is_empty()
            && m.pvrs.is_empty();
        Ok(ModelInfo {
            name: Cow::Owned(m.name.clone()),
            vendor,
            features,
            removed: Cow::Owned(removed),
            added,
            signatures: Cow::Owned(signatures),
            decode: m.decode,
            check_compat: m.check_compat,
            parent: parent_index,
            alias_of: if is_alias { parent_index } else { None },
            canonical: None,
            pvrs: Cow::Owned(m.pvrs.clone()),
        })
    }
}
