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
use cpucompat_catalog::FeatureSet;
use cpucompat_contract::{
    check_host_arch, Adapter, Arch, BaselineOptions, Comparison, Details, Error, ErrorKind,
    Expansion, ModelInfo, ModelUsability, GUEST, HOST,
};
use cpucompat_lattice::{Flat, Level, Point, Tag};
use cpucompat_xml::model::{CpuData, CpuDef, CpuKind, Fallback, Feature, Policy};

/// An x86 CPU definition checked against the catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cpu {
    def: CpuDef,
    set: FeatureSet,
}

impl Cpu {
    /// The definition.
    pub fn def(&self) -> &CpuDef {
        &self.def
    }

    /// The features it denotes (bit `i` is catalog feature `i`).
    pub fn features(&self) -> &FeatureSet {
        &self.set
    }

    /// The definition, given back.
    pub fn into_def(self) -> CpuDef {
        self.def
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
        for f in &def.features {
            if def.policy_of(f) == Policy::Optional {
                self.feature(&f.name, f.pos)?;
            }
        }
        Ok(Cpu { def, set })
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
        let mut seen = 0usize;
        let mut foreign = None;
        let defs = cpus.map_while(|c| {
            seen += 1;
            match check_host_arch(&c.def, Arch::X86) {
                Ok(()) => Some(c.def),
                Err(e) => {
                    foreign = Some(e.input(seen - 1));
                    None
                }
            }
        });
        let result = self.baseline_iter(defs, opts);
        if let Some(e) = foreign {
            return Err(e);
        }
        let def = result.map_err(|e| {
            let about_current = matches!(
                e,
                X86Error::UnknownVendor { .. }
                    | X86Error::ModelVendorMismatch { .. }
                    | X86Error::VendorsDoNotMatch
            );
            let e = Error::from(e);
            match (about_current, e.input_index()) {
                (true, None) if seen > 0 => e.input(seen - 1),
                _ => e,
            }
        })?;
        self.check(def)
    }

    fn model_info(&self, i: usize) -> ModelInfo {
        let models = self.cat.models();
        let m = &models[i];
        ModelInfo::new(
            m.name.clone(),
            m.vendor.map(|v| self.vendor_name(v).to_string()),
            m.canonical.map(|c| models[c].name.clone()),
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
        cpu.def.clone()
    }

    fn compare(&self, host: &Cpu, guest: &Cpu) -> Result<Comparison, Error> {
        check_host_arch(&host.def, Arch::X86).map_err(|e| e.input(HOST))?;
        X86::compare(self, &host.def, &guest.def).map_err(|e| {
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
        check_host_arch(&host.def, Arch::X86)?;
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
        check_host_arch(&host.def, Arch::X86)?;
        let model = named_model(&host.def).ok_or(X86Error::UnknownHostCpu)?;
        let mut def = CpuDef::custom_guest(&model.name, Fallback::Allow);
        def.vendor = host.def.vendor.clone();
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
        let vendor = match cpu.def.vendor.as_deref() {
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
