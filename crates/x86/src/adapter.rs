//! The x86 side of the adapter contract ([`cpucompat_contract::Adapter`]).
//!
//! A [`Cpu`] is a definition whose every name the catalog knows, with the feature set it
//! denotes computed once (its policy −1 view, [`X86::features_of`]):
//!
//! ```text
//! Cpu(def) exists  ⇔  def.model ∈ catalog (when named) ∧ every <feature> ∈ catalog
//! set(Cpu) = model data, then require/force add, disable/forbid remove (document order)
//! ```
//!
//! Names are checked exactly as libvirt looks them up (no aliases), every feature whatever
//! its policy (libvirt fails on an unknown optional feature too), each error at the line
//! and column of the element that names it. The contract's operations then call the
//! libvirt-rule implementations of the other modules on the checked definition.
//!
//! A definition's `<arch>` is read as libvirt reads it: a *guest* of another architecture
//! compares incompatible ("CPU arch A does not match host arch"); a CPU in a host role (a
//! compare's host, a baseline input, a host judged by `usability`) must be x86
//! ([`cpucompat_contract::check_host_arch`]).
use crate::{named_model, X86Error, X86};
use cpucompat_catalog::Compiled;
use cpucompat_catalog::FeatureSet;
use cpucompat_contract::{
    check_host_arch, Adapter, Arch, BaselineOptions, Comparison, Details, Error, ErrorKind,
    Expansion, ModelInfo, ModelUsability, GUEST, HOST,
};
use cpucompat_lattice::{Bit, Flat, Level, Point, Tag};
use cpucompat_xml::model::{CpuData, CpuDef, CpuKind, Fallback, Feature, Policy};
use cpucompat_xml::{FeatureName, ResolvedCpu, ResolvedFeature};
use std::sync::{Arc, OnceLock};

/// An x86 CPU definition checked against the catalog.
///
/// Besides the set it denotes, a checked CPU keeps what the baseline fold and compare read
/// of it in catalog terms (model index, vendor index, whether its `<arch>` names another
/// architecture), next to the set: folding a pool of checked CPUs looks up no name.
///
/// A CPU read with the catalog's resolver ([`X86::check_resolved`]) keeps its features by
/// bit and names them only when its definition is first asked for.
#[derive(Clone, Debug)]
pub struct Cpu {
    set: FeatureSet,
    pub(crate) facts: Facts,
    /// The definition; for a CPU read resolved, without its features.
    head: CpuDef,
    named: Option<Box<Named>>,
    /// What it asks of a host as a guest, made on its first compare as one.
    pub(crate) asks: OnceLock<Box<crate::compare::Asks>>,
}

/// The features of a CPU read resolved, and its whole definition once asked for.
#[derive(Clone, Debug)]
struct Named {
    /// Every `<feature>` in document order, as read (every name known: checked).
    features: Vec<ResolvedFeature>,
    cat: Arc<Compiled>,
    full: OnceLock<CpuDef>,
}

impl Named {
    fn def(&self, head: &CpuDef) -> CpuDef {
        CpuDef {
            features: self
                .features
                .iter()
                .map(|f| Feature {
                    name: match &f.name {
                        FeatureName::Known(i) => Bit::new(*i as usize)
                            .map(|b| self.cat.feature_name(b))
                            .unwrap_or_default()
                            .to_string(),
                        FeatureName::Unknown(n) => n.clone(),
                    },
                    policy: f.policy,
                    pos: f.pos,
                })
                .collect(),
            ..head.clone()
        }
    }
}

impl PartialEq for Cpu {
    fn eq(&self, other: &Cpu) -> bool {
        self.set == other.set && self.facts == other.facts && self.def() == other.def()
    }
}

impl Eq for Cpu {}

/// What a checked CPU is in catalog terms (computed once, by [`X86::check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Facts {
    /// Catalog index of the named model (`None`: no named model).
    pub(crate) model: Option<u32>,
    /// The explicit `<vendor>`: `None` when absent, else its catalog index
    /// ([`UNKNOWN_VENDOR`] when the catalog does not know the name).
    pub(crate) vendor: Option<u32>,
    /// `<arch>` names something other than x86 (see [`check_host_arch`]).
    pub(crate) foreign_arch: bool,
}

/// [`Facts::vendor`] of a vendor name the catalog does not know.
pub(crate) const UNKNOWN_VENDOR: u32 = u32::MAX;

impl Cpu {
    /// The definition.
    pub fn def(&self) -> &CpuDef {
        match &self.named {
            None => &self.head,
            Some(n) => n.full.get_or_init(|| n.def(&self.head)),
        }
    }

    /// The definition without its features when read resolved: what the rules that do
    /// not read feature names use.
    pub(crate) fn head(&self) -> &CpuDef {
        &self.head
    }

    /// Every `<feature>` with its bit and its policy as the rules read it (a host's are
    /// all `require`), in document order, without naming any.
    pub(crate) fn for_each_feature(&self, x: &X86, mut f: impl FnMut(Bit, Policy)) {
        let host = self.head.kind == CpuKind::Host;
        let policy = |p: Option<Policy>| {
            if host {
                Policy::Require
            } else {
                p.unwrap_or(Policy::Require)
            }
        };
        match &self.named {
            Some(n) => {
                for r in &n.features {
                    if let FeatureName::Known(i) = r.name {
                        if let Ok(b) = Bit::new(i as usize) {
                            f(b, policy(r.policy));
                        }
                    }
                }
            }
            None => {
                for r in &self.head.features {
                    // checked: every name is in the catalog
                    if let Ok(b) = x.feature(&r.name, r.pos) {
                        f(b, policy(r.policy));
                    }
                }
            }
        }
    }

    /// The features it denotes (bit `i` is catalog feature `i`).
    pub fn features(&self) -> &FeatureSet {
        &self.set
    }

    /// The definition, given back.
    pub fn into_def(self) -> CpuDef {
        match self.named {
            None => self.head,
            Some(n) => {
                let mut n = *n;
                match n.full.take() {
                    Some(d) => d,
                    None => n.def(&self.head),
                }
            }
        }
    }
}

impl From<X86Error> for Error {
    fn from(e: X86Error) -> Error {
        let kind = match &e {
            X86Error::UnknownModel { .. }
            | X86Error::UnknownFeature { .. }
            | X86Error::UnknownVendor { .. } => ErrorKind::UnknownName,
            X86Error::VendorsDoNotMatch
            | X86Error::Incompatible
            | X86Error::NoCpus
            | X86Error::NoSuitableModel => ErrorKind::NoAnswer,
            X86Error::ModelNotSupported { .. } => ErrorKind::Unsupported,
            _ => ErrorKind::Invalid,
        };
        let index = match &e {
            X86Error::NoModel { index, .. } => Some(*index),
            _ => None,
        };
        let mut out = Error::new(kind, e.to_string()).with_libvirt(e.libvirt_text());
        if let Some(p) = e.pos() {
            out = out.at(p);
        }
        if let Some(i) = index {
            out = out.input(i);
        }
        out
    }
}

/// A streaming baseline over checked CPUs, fed by reference: [`X86::baseline_fold`].
///
/// It applies the rules of [`X86::baseline_iter`] to what [`X86::check`] computed (the
/// set, the model and vendor indices), so folding a CPU looks up no name and copies
/// nothing but its feature words. An error about one CPU carries its index in the stream.
///
/// ```
/// use cpucompat_x86::{BaselineOptions, X86};
/// use cpucompat_xml::parse_cpus;
///
/// let x86 = X86::new(cpucompat_catalog::embedded::x86().clone());
/// let xml = "<cpu><arch>x86_64</arch><model>Skylake-Client</model></cpu>
///            <cpu><arch>x86_64</arch><model>Haswell</model></cpu>";
/// let cpus = parse_cpus(xml)?
///     .into_iter()
///     .map(|d| x86.check(d))
///     .collect::<Result<Vec<_>, _>>()?;
/// let opts = BaselineOptions::default();
/// let mut fold = x86.baseline_fold(&opts);
/// for c in &cpus {
///     fold.push(c)?;
/// }
/// assert_eq!(fold.finish()?.def().model_name(), Some("Haswell"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BaselineFold<'a> {
    x86: &'a X86,
    opts: &'a crate::BaselineOptions,
    meet: crate::baseline::Meet,
}

impl BaselineFold<'_> {
    /// Folds one CPU in.
    ///
    /// # Errors
    /// A CPU of another architecture, without a model, or whose vendor contradicts its
    /// model or the pool's (each with the CPU's index in the stream).
    pub fn push(&mut self, cpu: &Cpu) -> Result<(), Error> {
        let index = self.meet.count;
        if cpu.facts.foreign_arch {
            check_host_arch(&cpu.head, Arch::X86).map_err(|e| e.input(index))?;
        }
        let Some(model) = cpu.facts.model else {
            return Err(X86Error::NoModel {
                index,
                pos: crate::error::known(cpu.head.pos),
            }
            .into());
        };
        self.x86
            .meet_step(
                &mut self.meet,
                &cpu.head,
                &cpu.set,
                model as usize,
                cpu.facts.vendor,
            )
            .map_err(|e| Error::from(e).input(index))
    }

    /// How many CPUs were folded in.
    pub fn count(&self) -> usize {
        self.meet.count
    }

    /// The baseline CPU.
    ///
    /// # Errors
    /// No CPU, nothing in common, or no model to present the result with.
    pub fn finish(self) -> Result<Cpu, Error> {
        let def = self.x86.meet_finish(self.meet, self.opts)?;
        self.x86.check(def)
    }
}

impl X86 {
    /// Checks a definition's names against the catalog (see the module documentation).
    ///
    /// # Errors
    /// An unknown model or feature, at its position; a definition of another
    /// architecture.
    pub fn check(&self, def: CpuDef) -> Result<Cpu, Error> {
        // `features_of` looks up the model and every feature it uses; the optional ones
        // (which it skips) are looked up here, so every name is checked once.
        let set = self.features_of(&def)?;
        if def.kind == CpuKind::Guest {
            for f in &def.features {
                if f.policy == Some(Policy::Optional) {
                    self.feature(&f.name, f.pos)?;
                }
            }
        }
        let model = named_model(&def).and_then(|m| self.index.model(m.name.as_bytes()));
        let facts = self.facts(&def, model);
        Ok(Cpu {
            set,
            facts,
            head: def,
            named: None,
            asks: OnceLock::new(),
        })
    }

    fn facts(&self, def: &CpuDef, model: Option<usize>) -> Facts {
        Facts {
            model: model.map(|i| i as u32),
            vendor: def.vendor.as_deref().map(|v| {
                self.index
                    .vendor(v.as_bytes())
                    .map_or(UNKNOWN_VENDOR, |i| i as u32)
            }),
            foreign_arch: def
                .arch
                .as_deref()
                .is_some_and(|a| Arch::from_name(a) != Some(Arch::X86)),
        }
    }

    /// The catalog's feature index for [`cpucompat_xml::CpuReader::next_resolved`]: the bit
    /// of a feature by its exact name.
    pub fn resolver(&self) -> impl Fn(&[u8]) -> Option<u32> + '_ {
        move |name| self.index.feature(name).map(|b| b.index() as u32)
    }

    /// Checks a definition read with [`X86::resolver`]: the same CPU, and the same errors
    /// in the same order, as [`X86::check`] of the whole definition, without naming the
    /// features (they are named only if the definition is asked for).
    ///
    /// # Errors
    /// As [`X86::check`].
    pub fn check_resolved(&self, cpu: ResolvedCpu) -> Result<Cpu, Error> {
        let (head, read) = cpu.into_parts();
        let model = match named_model(&head) {
            Some(m) => Some(self.model_index(&m.name, m.pos)?),
            None => None,
        };
        let mut set = model.map_or(FeatureSet::EMPTY, |i| self.cat.models()[i].features);
        let guest = head.kind == CpuKind::Guest;
        let policy = |f: &ResolvedFeature| if guest { f.policy } else { None };
        // the common case: every name known (read resolved), so no error is possible
        let mut slow = false;
        for f in &read {
            let b = match f.name {
                FeatureName::Known(i) => Bit::new(i as usize).ok(),
                FeatureName::Unknown(_) => None,
            };
            let Some(b) = b else {
                slow = true;
                break;
            };
            match policy(f) {
                Some(Policy::Optional) => {}
                None | Some(Policy::Force | Policy::Require) => {
                    set.insert(b);
                }
                Some(Policy::Disable | Policy::Forbid) => {
                    set.remove(b);
                }
            }
        }
        let mut read = read;
        if slow {
            // names the resolver did not know: looked up (or refused) in `check`'s order
            set = model.map_or(FeatureSet::EMPTY, |i| self.cat.models()[i].features);
            let bit = |f: &ResolvedFeature| -> Result<Bit, X86Error> {
                match &f.name {
                    FeatureName::Known(i) => {
                        Bit::new(*i as usize).map_err(|_| X86Error::UnknownFeature {
                            name: i.to_string(),
                            pos: crate::error::known(f.pos),
                        })
                    }
                    FeatureName::Unknown(n) => self.feature(n, f.pos),
                }
            };
            let mut optional = false;
            for f in &read {
                match policy(f).unwrap_or(Policy::Require) {
                    Policy::Optional => optional = true,
                    Policy::Force | Policy::Require => {
                        set.insert(bit(f)?);
                    }
                    Policy::Disable | Policy::Forbid => {
                        set.remove(bit(f)?);
                    }
                }
            }
            if optional {
                for f in &read {
                    if policy(f) == Some(Policy::Optional) {
                        bit(f)?;
                    }
                }
            }
            for f in &mut read {
                if matches!(f.name, FeatureName::Unknown(_)) {
                    let b = bit(f)?;
                    f.name = FeatureName::Known(b.index() as u32);
                }
            }
        }
        let features = read;
        let facts = self.facts(&head, model);
        Ok(Cpu {
            set,
            facts,
            head,
            named: Some(Box::new(Named {
                features,
                cat: self.cat.clone(),
                full: OnceLock::new(),
            })),
            asks: OnceLock::new(),
        })
    }

    /// A streaming baseline over checked CPUs with every x86 option (see
    /// [`BaselineFold`]).
    pub fn baseline_fold<'a>(&'a self, opts: &'a crate::BaselineOptions) -> BaselineFold<'a> {
        BaselineFold {
            x86: self,
            opts,
            meet: crate::baseline::Meet::new(self),
        }
    }

    /// The baseline of a stream of checked CPUs, with every x86 option (a hypervisor's
    /// model list included). An error about one CPU carries its index in the stream.
    ///
    /// # Errors
    /// As [`X86::baseline_iter`].
    pub fn baseline_checked(
        &self,
        cpus: &mut dyn Iterator<Item = Cpu>,
        opts: &crate::BaselineOptions,
    ) -> Result<Cpu, Error> {
        let mut fold = self.baseline_fold(opts);
        for c in cpus {
            fold.push(&c)?;
        }
        fold.finish()
    }

    fn model_info(&self, i: usize) -> ModelInfo {
        let models = self.cat.models();
        let m = &models[i];
        ModelInfo::new(
            m.name.clone(),
            m.vendor.map(|v| self.vendor_name(v).to_string()),
            m.canonical.map(|c| models[c].name.to_string()),
        )
    }
}

impl Adapter for X86 {
    type Cpu = Cpu;

    fn arch(&self) -> Arch {
        Arch::X86
    }

    fn catalog(&self) -> String {
        self.cat.source().to_string()
    }

    fn cpu(&self, def: CpuDef) -> Result<Cpu, Error> {
        self.check(def)
    }

    fn decode(&self, data: &CpuData, kind: CpuKind) -> Result<Cpu, Error> {
        let def = X86::decode(self, data, kind, None)?;
        self.check(def)
    }

    fn definition(&self, cpu: &Cpu) -> CpuDef {
        cpu.def().clone()
    }

    fn compare(&self, host: &Cpu, guest: &Cpu) -> Result<Comparison, Error> {
        check_host_arch(&host.head, Arch::X86).map_err(|e| e.input(HOST))?;
        if let Some(c) = self.compare_checked(host, guest) {
            return Ok(c);
        }
        X86::compare(self, host.def(), guest.def()).map_err(|e| {
            let about_host = matches!(e, X86Error::UnknownHostCpu);
            Error::from(e).input(if about_host { HOST } else { GUEST })
        })
    }

    fn baseline(
        &self,
        cpus: &mut dyn Iterator<Item = Cpu>,
        opts: &BaselineOptions,
    ) -> Result<Cpu, Error> {
        let opts = crate::BaselineOptions {
            expand_features: opts.expand_features,
            migratable: opts.migratable,
            hypervisor: None,
        };
        self.baseline_checked(cpus, &opts)
    }

    fn models(&self) -> Vec<ModelInfo> {
        (0..self.cat.models().len())
            .map(|i| self.model_info(i))
            .collect()
    }

    fn usability(&self, host: &Cpu) -> Result<Vec<ModelUsability>, Error> {
        check_host_arch(&host.head, Arch::X86)?;
        Ok(self
            .cat
            .models()
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let blockers = self.names(&(m.features - host.set));
                ModelUsability::new(self.model_info(i), blockers)
            })
            .collect())
    }

    fn expand(&self, model: &str) -> Result<Expansion, Error> {
        let i = self.model_index(model, Default::default())?;
        let features = self.names(&self.cat.models()[i].features);
        Ok(Expansion::new(self.model_info(i), features, Details::X86))
    }

    fn guest_of(&self, host: &Cpu) -> Result<Cpu, Error> {
        check_host_arch(&host.head, Arch::X86)?;
        let model = named_model(&host.head).ok_or(X86Error::UnknownHostCpu)?;
        let mut def = CpuDef::custom_guest(&model.name, Fallback::Allow);
        def.vendor = host.head.vendor.clone();
        let have = self.model_features(&model.name, model.pos)?;
        def.features = self
            .names(&(host.set - have))
            .iter()
            .map(|n| Feature::new(n, Some(Policy::Require)))
            .chain(
                self.names(&(have - host.set))
                    .iter()
                    .map(|n| Feature::new(n, Some(Policy::Disable))),
            )
            .collect();
        self.check(def)
    }

    fn point(&self, cpu: &Cpu) -> Point {
        let vendor = match cpu.head.vendor.as_deref() {
            None => Flat::Any,
            Some(v) => Flat::Is(Tag(self.cat.vendor(v).map_or(u32::MAX, |i| i as u32))),
        };
        Point {
            arch: Tag(0),
            vendor,
            level: Level::BOTTOM,
            features: cpu.set,
        }
    }

    fn ceiling(&self, _cpu: &Cpu) -> FeatureSet {
        self.cat.all_features()
    }

    fn universe(&self) -> FeatureSet {
        self.cat.all_features()
    }

    fn feature_names(&self, set: &FeatureSet) -> Vec<String> {
        self.names(set)
    }
}
