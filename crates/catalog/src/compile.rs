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
//! location; CPUID/MSR bits above 31; MSR registers other than EAX/EDX; locations that do
//! not belong to the architecture; x86 vendor strings that are not 12 ASCII characters;
//! unknown feature, vendor or parent names; a feature listed twice in one model; stepping
//! ranges outside `0..=15` or reversed; PVR values with bits outside their mask; more than
//! [`FeatureSet::CAPACITY`] features.
use crate::error::CatalogError;
use crate::schema::{Alias, Arch, Catalog, Decode, Location, Model, Pvr, Reg, Signature};
use cpucompat_lattice::{Bit, FeatureSet};
use std::collections::{HashMap, HashSet};

/// The name indexes of a [`Compiled`] catalog (features, aliases, vendors, models): a
/// hash map keyed by `String` and looked up by `&str` (no allocation), hashed with
/// [`NameHasher`] instead of SipHash. The keys are catalog names, not attacker-chosen in
/// bulk, so a keyed hash buys nothing here, while every feature of every CPU read is
/// looked up at least once.
type NameIndex<T> = HashMap<String, T, std::hash::BuildHasherDefault<NameHasher>>;

/// FxHash (the Firefox/rustc hash): per 8-byte word `h = (rotl(h, 5) ^ w) · K`, finished
/// by a rotation. A catalog name of up to 16 bytes hashes in two or three multiplications.
#[derive(Clone, Copy, Default)]
pub(crate) struct NameHasher(u64);

impl std::hash::Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(K);
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(K);
        }
        self.0 = h;
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        // The product's high bits depend on every input bit, its low bits only on the low
        // input bytes; the table takes its bucket from the low bits, so bring the high
        // ones down (as rustc-hash 2 does).
        self.0.rotate_left(26)
    }
}

/// A compiled feature: index `i` in [`Compiled::features`] is lattice bit `i`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureInfo {
    /// The canonical name.
    pub name: String,
    /// Where its bit lives.
    pub location: Location,
    /// `false` for features that block migration.
    pub migratable: bool,
    /// Other names.
    pub aliases: Vec<Alias>,
}

/// A compiled vendor: index `i` in [`Compiled::vendors`] is vendor id `i`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorInfo {
    /// The name used in CPU XML, e.g. `Intel`.
    pub name: String,
    /// The x86 CPUID leaf-0 string, e.g. `GenuineIntel`; `None` on other architectures.
    pub string: Option<String>,
}

/// A compiled model, with inheritance resolved (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    /// The name.
    pub name: String,
    /// The vendor id, own or inherited.
    pub vendor: Option<usize>,
    /// The model data: inherited minus the parent's removed features, plus own features.
    /// Never holds this model's own removed or added features (unless also listed plainly).
    pub features: FeatureSet,
    /// Own `removed='yes'` features, in file order.
    pub removed: Vec<Bit>,
    /// Own `added='yes'` features.
    pub added: FeatureSet,
    /// Signatures: own, else inherited.
    pub signatures: Vec<Signature>,
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
    pub pvrs: Vec<Pvr>,
}

/// One architecture's catalog, validated and indexed. Built only by [`Compiled::compile`]
/// (directly, through [`Compiled::load_cpu_map`], or by the embedded catalogs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    arch: Arch,
    source: String,
    features: Vec<FeatureInfo>,
    feature_index: NameIndex<Bit>,
    alias_index: NameIndex<Bit>,
    vendors: Vec<VendorInfo>,
    vendor_index: NameIndex<usize>,
    models: Vec<ModelInfo>,
    model_index: NameIndex<usize>,
    location_index: HashMap<Location, Bit>,
    blockers: FeatureSet,
}

impl Compiled {
    /// Validates `cat` and compiles it.
    pub fn compile(cat: &Catalog) -> Result<Compiled, CatalogError> {
        let (vendors, vendor_index) = compile_vendors(cat)?;
        let (features, feature_index) = compile_features(cat)?;
        let mut model_index = HashMap::with_capacity(cat.models.len());
        for (i, m) in cat.models.iter().enumerate() {
            check_name("model", &m.name)?;
            if model_index.insert(m.name.clone(), i).is_some() {
                return Err(CatalogError::DuplicateModel(m.name.clone()));
            }
        }
        let models = Resolver {
            cat,
            feature_index: &feature_index,
            vendor_index: &vendor_index,
            model_index: &model_index,
        }
        .resolve_all()?;
        Ok(Compiled::from_parts(
            cat.arch,
            cat.source.clone(),
            vendors,
            features,
            models,
        ))
    }

    /// Assembles a compiled catalog from parts that [`Compiled::compile`] produced (here or,
    /// for the embedded catalogs, in `build.rs`), building the name and location indexes.
    /// Validation is not repeated: the parts must come from a successful compilation.
    pub(crate) fn from_parts(
        arch: Arch,
        source: String,
        vendors: Vec<VendorInfo>,
        features: Vec<FeatureInfo>,
        models: Vec<ModelInfo>,
    ) -> Compiled {
        let bits = || {
            features
                .iter()
                .enumerate()
                .filter_map(|(i, f)| Bit::new(i).ok().map(|b| (b, f)))
        };
        let feature_index = bits().map(|(b, f)| (f.name.clone(), b)).collect();
        let alias_index = bits()
            .flat_map(|(b, f)| f.aliases.iter().map(move |a| (a.name.clone(), b)))
            .collect();
        let location_index = bits()
            .filter(|(_, f)| f.location != Location::None)
            .map(|(b, f)| (f.location.clone(), b))
            .collect();
        let mut blockers = FeatureSet::EMPTY;
        for (b, _) in bits().filter(|(_, f)| !f.migratable) {
            blockers.insert(b);
        }
        let vendor_index = vendors
            .iter()
            .enumerate()
            .map(|(i, v)| (v.name.clone(), i))
            .collect();
        let model_index = models
            .iter()
            .enumerate()
            .map(|(i, m)| (m.name.clone(), i))
            .collect();
        Compiled {
            arch,
            source,
            features,
            feature_index,
            alias_index,
            vendors,
            vendor_index,
            models,
            model_index,
            location_index,
            blockers,
        }
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
    pub fn feature(&self, name: &str) -> Option<Bit> {
        self.feature_index.get(name).copied()
    }

    /// The bit of a feature by canonical name or any alias.
    pub fn feature_by_alias(&self, name: &str) -> Option<Bit> {
        self.feature(name)
            .or_else(|| self.alias_index.get(name).copied())
    }

    /// The feature at a location (a CPUID or MSR bit, a facility, ...), if the catalog
    /// names one there.
    pub fn feature_at(&self, location: &Location) -> Option<Bit> {
        self.location_index.get(location).copied()
    }

    /// The canonical name of a bit; the empty string for a bit beyond this catalog.
    pub fn feature_name(&self, bit: Bit) -> &str {
        self.try_feature_name(bit).unwrap_or("")
    }

    /// The canonical name of a bit, if the bit belongs to this catalog.
    pub fn try_feature_name(&self, bit: Bit) -> Option<&str> {
        self.features.get(bit.index()).map(|f| f.name.as_str())
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
        self.vendor_index.get(name).copied()
    }

    /// Every model, in catalog (`index.xml`) order.
    pub fn models(&self) -> &[ModelInfo] {
        &self.models
    }

    /// A model index by exact name.
    pub fn model(&self, name: &str) -> Option<usize> {
        self.model_index.get(name).copied()
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

type VendorTables = (Vec<VendorInfo>, HashMap<String, usize>);

fn compile_vendors(cat: &Catalog) -> Result<VendorTables, CatalogError> {
    let mut vendors = Vec::with_capacity(cat.vendors.len());
    let mut index = HashMap::with_capacity(cat.vendors.len());
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
        if index.insert(v.name.clone(), i).is_some() {
            return Err(CatalogError::DuplicateVendor(v.name.clone()));
        }
        vendors.push(VendorInfo {
            name: v.name.clone(),
            string: v.string.clone(),
        });
    }
    Ok((vendors, index))
}

type FeatureTables = (Vec<FeatureInfo>, HashMap<String, Bit>);

fn compile_features(cat: &Catalog) -> Result<FeatureTables, CatalogError> {
    if cat.features.len() > FeatureSet::CAPACITY {
        return Err(CatalogError::TooManyFeatures {
            count: cat.features.len(),
            capacity: FeatureSet::CAPACITY,
        });
    }
    let mut features = Vec::with_capacity(cat.features.len());
    let mut names: HashMap<String, Bit> = HashMap::with_capacity(cat.features.len());
    let mut aliases: HashMap<String, Bit> = HashMap::new();
    let mut locations: HashMap<&Location, &str> = HashMap::with_capacity(cat.features.len());
    for (i, f) in cat.features.iter().enumerate() {
        check_name("feature", &f.name)?;
        let b = bit(i)?;
        if names.insert(f.name.clone(), b).is_some() || aliases.contains_key(&f.name) {
            return Err(CatalogError::DuplicateFeature(f.name.clone()));
        }
        check_location(cat.arch, &f.name, &f.location)?;
        if f.location != Location::None {
            if let Some(first) = locations.insert(&f.location, &f.name) {
                return Err(CatalogError::SharedLocation {
                    first: first.to_string(),
                    second: f.name.clone(),
                });
            }
        }
        features.push(FeatureInfo {
            name: f.name.clone(),
            location: f.location.clone(),
            migratable: f.migratable,
            aliases: f.aliases.clone(),
        });
    }
    // Aliases may not collide with any canonical name or with each other. A feature may
    // list the same alias under two sources (`qemu` and `linux`).
    for (i, f) in cat.features.iter().enumerate() {
        let b = bit(i)?;
        for a in &f.aliases {
            check_name("alias", &a.name)?;
            let clash = names.contains_key(&a.name)
                || aliases.get(&a.name).is_some_and(|&other| other != b);
            if clash {
                return Err(CatalogError::DuplicateFeature(a.name.clone()));
            }
            aliases.insert(a.name.clone(), b);
        }
    }
    Ok((features, names))
}

fn check_location(arch: Arch, feature: &str, loc: &Location) -> Result<(), CatalogError> {
    let (kind, ok) = match loc {
        Location::Cpuid { .. } => ("cpuid", arch == Arch::X86),
        Location::Msr { .. } => ("msr", arch == Arch::X86),
        Location::Facility(_) => ("facility", arch == Arch::S390x),
        Location::Bit { .. } => ("bit", arch == Arch::S390x),
        Location::None => ("none", arch == Arch::S390x),
    };
    if !ok {
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
        Location::Bit { space, .. } => check_name("bit space", space),
        _ => Ok(()),
    }
}

struct Resolver<'a> {
    cat: &'a Catalog,
    feature_index: &'a HashMap<String, Bit>,
    vendor_index: &'a HashMap<String, usize>,
    model_index: &'a HashMap<String, usize>,
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
            Some(p) => match self.model_index.get(p) {
                Some(&j) => Ok(Some(j)),
                None => Err(CatalogError::UnknownParent {
                    model: m.name.clone(),
                    parent: p.clone(),
                }),
            },
        }
    }

    fn lookup(&self, m: &Model, name: &str) -> Result<Bit, CatalogError> {
        self.feature_index
            .get(name)
            .copied()
            .ok_or_else(|| CatalogError::UnknownFeature {
                model: m.name.clone(),
                feature: name.to_string(),
            })
    }

    fn resolve(&self, i: usize, parent: Option<&ModelInfo>) -> Result<ModelInfo, CatalogError> {
        let m = &self.cat.models[i];
        let parent_index = self.parent_of(i)?;
        let mut seen: HashSet<&str> = HashSet::new();
        let mut own = FeatureSet::EMPTY;
        let mut removed = Vec::new();
        let mut added = FeatureSet::EMPTY;
        for (list, kind) in [(&m.features, 0), (&m.removed, 1), (&m.added, 2)] {
            for name in list {
                let b = self.lookup(m, name)?;
                if !seen.insert(name) {
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
            Some(v) => Some(self.vendor_index.get(v).copied().ok_or_else(|| {
                CatalogError::UnknownVendor {
                    model: m.name.clone(),
                    vendor: v.clone(),
                }
            })?),
            None => parent.and_then(|p| p.vendor),
        };
        for s in &m.signatures {
            for &(lo, hi) in &s.steppings {
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
            Some(p) if m.signatures.is_empty() => p.signatures.clone(),
            _ => m.signatures.clone(),
        };
        let mut features = match parent {
            Some(p) => {
                let mut inherited = p.features;
                for &r in &p.removed {
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
            name: m.name.clone(),
            vendor,
            features,
            removed,
            added,
            signatures,
            decode: m.decode,
            check_compat: m.check_compat,
            parent: parent_index,
            alias_of: if is_alias { parent_index } else { None },
            canonical: None,
            pvrs: m.pvrs.clone(),
        })
    }
}
