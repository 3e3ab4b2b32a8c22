//! Baseline: the richest CPU every input can run (`virCPUx86Baseline`), and feature
//! expansion (`virCPUx86ExpandFeatures`).
//!
//! Baseline is the lattice meet of the inputs' policy −1 views, presented as a model:
//!
//! ```text
//! base = features(cpus[0]) ∩ features(cpus[1]) ∩ …          (plain intersection)
//! base = base ∩ hypervisor-known features                     (when the hypervisor lists them)
//! base = ∅  →  "CPUs are incompatible"
//! result = guest decode of (base, vendor) preferring the inputs' model names
//! ```
//!
//! Vendor rules (order-dependent, as in libvirt): only `cpus[0]`'s *explicit* `<vendor>` is
//! read for it (an unknown name is an error); for every later CPU its explicit vendor, or
//! else its model's vendor, stands in — an explicit vendor contradicting the model's is an
//! error, and two different vendors are "CPU vendors do not match". The vendor found steers
//! the decode, but the output names a vendor only when every input named one explicitly.
//! The meet carries no signature, so decode chooses by score alone (plus the preferred
//! models). `fallback='forbid'` when exactly one distinct input model was named and the
//! result is that model, `allow` otherwise. `migratable` drops non-migratable features
//! from the result list; `expand_features` then lists every feature (see
//! [`X86::expand`]).
//!
//! Expansion: the model's features (as `require` for a guest, plain for a host), then each
//! explicit feature of the definition sets the policy of its entry or is appended (a guest
//! keeps only `require` and `disable` ones), then — guest only — the model's removed
//! features are appended as `disable` unless listed; finally everything is sorted by name
//! (byte order).
use cpucompat_lattice::FeatureSet;
use cpucompat_xml::model::{CpuDef, CpuKind, Fallback, Feature, Policy, Pos};

use crate::data::Detected;
use crate::decode::Request;
use crate::error::known;
use crate::{named_model, HypervisorModels, X86Error, X86};

/// The state of a streaming baseline: the meet so far and what the vendor rules and the
/// presentation need (see the module documentation).
pub(crate) struct Meet {
    /// Inputs folded so far.
    pub(crate) count: usize,
    base: FeatureSet,
    /// The vendor found so far (catalog index).
    vendor: Option<usize>,
    /// Whether every input so far named its vendor explicitly.
    output_vendor: bool,
    /// The inputs' distinct models (catalog indices), in order of first appearance.
    models: Vec<usize>,
    /// `models` as a bit set over the catalog's models.
    seen: Vec<u64>,
}

impl Meet {
    pub(crate) fn new(x: &X86) -> Meet {
        Meet {
            count: 0,
            base: FeatureSet::EMPTY,
            vendor: None,
            output_vendor: false,
            models: Vec::new(),
            seen: vec![0; x.cat.models().len().div_ceil(64)],
        }
    }
}

/// How to compute a baseline.
#[derive(Clone, Debug, Default)]
pub struct BaselineOptions {
    /// List every feature of the result (`virsh cpu-baseline --features`).
    pub expand_features: bool,
    /// Drop non-migratable features (`--migratable`).
    pub migratable: bool,
    /// Restrict the result to a hypervisor's models (and, when the hypervisor reported
    /// them, to the features it knows).
    pub hypervisor: Option<HypervisorModels>,
}

impl X86 {
    /// The baseline of a pool of CPU definitions.
    ///
    /// # Errors
    /// [`X86Error::NoModel`] for a definition without a model, an unknown model, feature or
    /// vendor name, a vendor mismatch in the pool, and [`X86Error::Incompatible`] when the pool
    /// has nothing in common.
    pub fn baseline(&self, cpus: &[CpuDef], opts: &BaselineOptions) -> Result<CpuDef, X86Error> {
        if let Some((index, cpu)) = cpus
            .iter()
            .enumerate()
            .find(|(_, c)| named_model(c).is_none())
        {
            return Err(X86Error::NoModel {
                index,
                pos: known(cpu.pos),
            });
        }
        self.baseline_iter(cpus, opts)
    }

    /// The baseline of a stream of CPU definitions, in `O(1)` memory: a pool of a million
    /// hosts is folded one definition at a time. Same rules and errors as
    /// [`X86::baseline`], except that a definition without a model is reported when the
    /// fold reaches it.
    ///
    /// # Errors
    /// As [`X86::baseline`].
    pub fn baseline_iter<I, B>(&self, cpus: I, opts: &BaselineOptions) -> Result<CpuDef, X86Error>
    where
        I: IntoIterator<Item = B>,
        B: std::borrow::Borrow<CpuDef>,
    {
        let mut meet = Meet::new(self);
        for cpu in cpus {
            let cpu = cpu.borrow();
            let index = meet.count;
            let Some(m) = named_model(cpu) else {
                return Err(X86Error::NoModel {
                    index,
                    pos: known(cpu.pos),
                });
            };
            let set = self.features_of(cpu)?;
            let model = self.model_index(&m.name, m.pos)?;
            let vendor = cpu.vendor.as_deref().map(|v| {
                self.cat
                    .vendor(v)
                    .map_or(crate::adapter::UNKNOWN_VENDOR, |i| i as u32)
            });
            self.meet_step(&mut meet, cpu, &set, model, vendor)?;
        }
        self.meet_finish(meet, opts)
    }

    /// Folds one input into the meet: `model` is the catalog index of its named model,
    /// `vendor` its explicit vendor's index (see [`crate::adapter::Facts`]). Every name
    /// was looked up before; only the error messages read the definition.
    pub(crate) fn meet_step(
        &self,
        meet: &mut Meet,
        cpu: &CpuDef,
        set: &FeatureSet,
        model: usize,
        explicit: Option<u32>,
    ) -> Result<(), X86Error> {
        let unknown = |name: &str| X86Error::UnknownVendor {
            name: name.to_string(),
            pos: known(cpu.pos),
        };
        let written = || cpu.vendor.as_deref().unwrap_or_default();
        if meet.count == 0 {
            meet.vendor = match explicit {
                Some(crate::adapter::UNKNOWN_VENDOR) => return Err(unknown(written())),
                Some(v) => Some(v as usize),
                None => None,
            };
            meet.output_vendor = explicit.is_some();
            meet.base = *set;
        } else {
            let model_vendor = self.cat.models()[model].vendor;
            if let (Some(v), Some(mv)) = (explicit, model_vendor) {
                if v as usize != mv {
                    return Err(X86Error::ModelVendorMismatch {
                        model_vendor: self.vendor_name(mv).to_string(),
                        model: self.cat.models()[model].name.to_string(),
                        vendor: written().to_string(),
                        pos: known(cpu.pos),
                    });
                }
            }
            let named = match explicit {
                Some(v) => Some(v),
                None => {
                    meet.output_vendor = false;
                    model_vendor.map(|mv| mv as u32)
                }
            };
            if let Some(vn) = named {
                match meet.vendor {
                    None if vn == crate::adapter::UNKNOWN_VENDOR => return Err(unknown(written())),
                    None => meet.vendor = Some(vn as usize),
                    Some(v) if v as u32 != vn => return Err(X86Error::VendorsDoNotMatch),
                    Some(_) => {}
                }
            }
            meet.base &= *set;
        }
        meet.count += 1;
        let (word, bit) = (model / 64, 1u64 << (model % 64));
        if meet.seen[word] & bit == 0 {
            meet.seen[word] |= bit;
            meet.models.push(model);
        }
        Ok(())
    }

    /// The baseline CPU of a finished meet (see the module documentation).
    pub(crate) fn meet_finish(
        &self,
        meet: Meet,
        opts: &BaselineOptions,
    ) -> Result<CpuDef, X86Error> {
        if meet.count == 0 {
            return Err(X86Error::NoCpus);
        }
        let mut base = meet.base;
        let vendor = meet.vendor;
        if let Some(known) = opts.hypervisor.as_ref().and_then(|h| h.known_features()) {
            let allowed: FeatureSet = known.iter().filter_map(|n| self.cat.feature(n)).collect();
            base &= allowed;
        }
        if base.is_empty() {
            return Err(X86Error::Incompatible);
        }
        let names: Vec<String> = meet
            .models
            .iter()
            .map(|&m| self.cat.models()[m].name.to_string())
            .collect();
        let det = Detected {
            features: base,
            vendor,
            signature: 0,
        };
        let req = Request {
            kind: CpuKind::Guest,
            hv: opts.hypervisor.as_ref(),
            preferred: &names,
            migratable: opts.migratable,
        };
        let decoded = self.decode_detected(&det, &req)?;
        let model_name = &self.cat.models()[decoded.model].name;
        let fallback = if names.len() == 1 && names[0] == *model_name {
            Fallback::Forbid
        } else {
            Fallback::Allow
        };
        let mut cpu = self.decoded_def(&decoded, CpuKind::Guest, fallback);
        if !meet.output_vendor {
            cpu.vendor = None;
        }
        if opts.expand_features {
            cpu = self.expand(&cpu)?;
        }
        Ok(cpu)
    }

    /// Every feature a definition implies, sorted by name (`virCPUExpandFeatures`).
    ///
    /// # Errors
    /// [`X86Error::NoModel`] for a definition without a model, and an unknown model or feature
    /// name.
    pub fn expand(&self, cpu: &CpuDef) -> Result<CpuDef, X86Error> {
        let model = named_model(cpu).ok_or(X86Error::NoModel {
            index: 0,
            pos: known(cpu.pos),
        })?;
        let mi = self.model_index(&model.name, model.pos)?;
        let info = &self.cat.models()[mi];
        let host = cpu.kind == CpuKind::Host;
        let policy = |p: Policy| (!host).then_some(p);
        let mut features: Vec<Feature> = self
            .names(&info.features)
            .into_iter()
            .map(|name| Feature {
                name,
                policy: policy(Policy::Require),
                pos: Pos::default(),
            })
            .collect();
        for f in &cpu.features {
            let p = cpu.policy_of(f);
            if !host && !matches!(p, Policy::Require | Policy::Disable) {
                continue;
            }
            let p = if host { None } else { Some(p) };
            match features.iter_mut().find(|g| g.name == f.name) {
                Some(g) => g.policy = p,
                None => features.push(Feature {
                    name: f.name.clone(),
                    policy: p,
                    pos: f.pos,
                }),
            }
        }
        if !host {
            for &r in info.removed.iter() {
                let name = self.cat.feature_name(r);
                if !features.iter().any(|g| g.name == name) {
                    features.push(Feature {
                        name: name.to_string(),
                        policy: Some(Policy::Disable),
                        pos: Pos::default(),
                    });
                }
            }
        }
        features.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Ok(CpuDef {
            features,
            ..cpu.clone()
        })
    }
}
