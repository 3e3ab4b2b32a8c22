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
    pub fn baseline_iter<I, B>(&self, cpus: I, opts: &BaselineOptions) -> Result<CpuDef, X86Error>
    where
        I: IntoIterator<Item = B>,
        B: std::borrow::Borrow<CpuDef>,
    {
        let mut it = cpus.into_iter().enumerate();
        let (_, first) = it.next().ok_or(X86Error::NoCpus)?;
        let first = first.borrow();
        if named_model(first).is_none() {
            return Err(X86Error::NoModel {
                index: 0,
                pos: known(first.pos),
            });
        }
        let mut base = self.features_of(first)?;
        let mut vendor = match &first.vendor {
            Some(v) => Some(self.cat.vendor(v).ok_or_else(|| X86Error::UnknownVendor {
                name: v.clone(),
                pos: known(first.pos),
            })?),
            None => None,
        };
        let mut output_vendor = first.vendor.is_some();
        let mut names: Vec<String> = first.model.iter().map(|m| m.name.clone()).collect();
        for (index, cpu) in it {
            let cpu = cpu.borrow();
            if named_model(cpu).is_none() {
                return Err(X86Error::NoModel {
                    index,
                    pos: known(cpu.pos),
                });
            }
            let set = self.features_of(cpu)?;
            let model_vendor = cpu.model.as_ref().and_then(|m| {
                self.cat
                    .model(&m.name)
                    .and_then(|i| self.cat.models()[i].vendor)
            });
            if let (Some(v), Some(mv), Some(m)) = (&cpu.vendor, model_vendor, &cpu.model) {
                if *v != self.vendor_name(mv) {
                    return Err(X86Error::ModelVendorMismatch {
                        model_vendor: self.vendor_name(mv).to_string(),
                        model: m.name.clone(),
                        vendor: v.clone(),
                        pos: known(cpu.pos),
                    });
                }
            }
            let named = match &cpu.vendor {
                Some(v) => Some(v.as_str()),
                None => {
                    output_vendor = false;
                    model_vendor.map(|mv| self.vendor_name(mv))
                }
            };
            if let Some(vn) = named {
                match vendor {
                    None => {
                        vendor =
                            Some(self.cat.vendor(vn).ok_or_else(|| X86Error::UnknownVendor {
                                name: vn.to_string(),
                                pos: known(cpu.pos),
                            })?)
                    }
                    Some(v) if self.vendor_name(v) != vn => {
                        return Err(X86Error::VendorsDoNotMatch)
                    }
                    Some(_) => {}
                }
            }
            base &= set;
            if let Some(m) = &cpu.model {
                if !names.contains(&m.name) {
                    names.push(m.name.clone());
                }
            }
        }
        if let Some(known) = opts.hypervisor.as_ref().and_then(|h| h.known_features()) {
            let allowed: FeatureSet = known.iter().filter_map(|n| self.cat.feature(n)).collect();
            base &= allowed;
        }
        if base.is_empty() {
            return Err(X86Error::Incompatible);
        }
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
        if !output_vendor {
            cpu.vendor = None;
        }
        if opts.expand_features {
            cpu = self.expand(&cpu)?;
        }
        Ok(cpu)
    }

    /// Every feature a definition implies, sorted by name (`virCPUExpandFeatures`).
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
