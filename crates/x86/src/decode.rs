//! Decode: raw CPU data → the model that expresses it with the shortest feature list
//! (libvirt's `x86Decode` and `x86DecodeUseCandidate`).
//!
//! With `D` the data's features, every catalog model `M` is a candidate, visited **newest
//! first** (reverse catalog order). A candidate is skipped when a hypervisor model list is
//! given and does not name it, or when both the data's and the model's vendor are known and
//! differ. Otherwise it expresses the data as
//!
//! ```text
//! require  = D − M
//! disable  = (M − D) ∪ (B − require)        B = the hypervisor's blockers of M
//! removed  = M's removed features not already listed        (guest decode only)
//! ```
//!
//! listed as: require in catalog order, then disable in catalog order, then the removed
//! ones (as disable) in the model file's order. A hypervisor blocker is disabled even when
//! the data has it, unless it is an extra (required) feature.
//!
//! Selection (`x86DecodeUseCandidate`), first rule that decides wins:
//!
//! 1. host decode needs `decode host='on'`, guest decode `decode guest='on'`;
//! 2. host decode rejects a candidate that disables anything (a host is a superset of its
//!    model);
//! 3. a candidate that is the single preferred model (a baseline whose inputs all name it)
//!    is taken and the walk stops;
//! 4. the first acceptable candidate is taken;
//! 5. signature lock-in (only when the data has a leaf-1 signature): a candidate whose
//!    signature list matches the CPU's family/model(/stepping) beats one that does not, and
//!    once a matching one is held, non-matching candidates cannot replace it;
//! 6. otherwise the lower score wins; ties keep the candidate visited first.
//!
//! The score of a list of `n` features with `d` disabled (libvirt 11.3's loop over the list
//! stops early, so only the first `c = ⌈d/2⌉` disabled features are charged, the k-th one
//! `2 + k`):
//!
//! ```text
//! penalty = Σ_{k=0}^{c−1} (2 + k)         score = (n − c) + penalty
//! ```
//!
//! A candidate wins with a lower score, or an equal score and a lower penalty, or — when it
//! is one of the preferred models — with a lower penalty alone. Finally, under `migratable`,
//! features with `migratable='no'` are dropped from the list, whatever their policy.
use cpucompat_lattice::{Bit, FeatureSet};
use cpucompat_xml::model::{
    CpuData, CpuDef, CpuKind, Fallback, Feature, Match, Mode, ModelRef, Policy, Pos, Signature,
};

use crate::data::{signature_fields, Detected};
use crate::{HypervisorModels, X86Error, X86};

/// The outcome of a decode, before it becomes a `<cpu>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Decoded {
    pub model: usize,
    pub vendor: Option<usize>,
    pub signature: u32,
    /// In output order; policies are `Require` or `Disable`.
    pub features: Vec<(Bit, Policy)>,
}

/// What a decode is asked for.
pub(crate) struct Request<'a> {
    pub kind: CpuKind,
    pub hv: Option<&'a HypervisorModels>,
    pub preferred: &'a [String],
    pub migratable: bool,
}

struct Candidate {
    model: usize,
    required: FeatureSet,
    disabled: FeatureSet,
    score: usize,
    penalty: usize,
}

/// libvirt 11.3's score of a list of `n` features of which `d` are disabled:
/// `(score, penalty)`.
pub fn score(n: usize, d: usize) -> (usize, usize) {
    let charged = d.div_ceil(2);
    let penalty: usize = (0..charged).map(|k| 2 + k).sum();
    (n - charged + penalty, penalty)
}

impl X86 {
    /// Decodes raw CPUID/MSR data as a host (`<cpu>` with `<arch>`, model, vendor,
    /// signature and the extra features) or a guest (`mode='custom' match='exact'`,
    /// `fallback='forbid'`, require/disable features), optionally restricted to a
    /// hypervisor's model list (with its blockers).
    ///
    /// # Errors
    /// [`X86Error::DataArch`] for data of another architecture (an `arch` other than x86,
    /// or PVR items); [`X86Error::NoSuitableModel`] when no candidate is left (vendor,
    /// decode flags, the hypervisor's list, or, for a host, every model would disable a
    /// feature).
    pub fn decode(
        &self,
        data: &CpuData,
        kind: CpuKind,
        hv: Option<&HypervisorModels>,
    ) -> Result<CpuDef, X86Error> {
        let det = self.detect(data)?;
        let req = Request {
            kind,
            hv,
            preferred: &[],
            migratable: false,
        };
        let d = self.decode_detected(&det, &req)?;
        Ok(self.decoded_def(&d, kind, Fallback::Forbid))
    }

    pub(crate) fn decode_detected(
        &self,
        det: &Detected,
        req: &Request<'_>,
    ) -> Result<Decoded, X86Error> {
        let models = self.cat.models();
        let sig = (det.signature != 0).then(|| signature_fields(det.signature));
        let sig_matches = |m: usize| {
            sig.is_some_and(|(family, model, stepping)| {
                models[m].signatures.iter().any(|s| {
                    s.family == family
                        && s.model == model
                        && (s.steppings.is_empty()
                            || s.steppings
                                .iter()
                                .any(|&(lo, hi)| (lo as u32..=hi as u32).contains(&stepping)))
                })
            })
        };
        let mut best: Option<Candidate> = None;
        for (i, m) in models.iter().enumerate().rev() {
            let blockers = match req.hv {
                Some(hv) => match hv.blockers(&m.name) {
                    Some(b) => self.blocker_set(b),
                    None => continue,
                },
                None => FeatureSet::EMPTY,
            };
            if let (Some(v), Some(mv)) = (det.vendor, m.vendor) {
                if v != mv {
                    continue;
                }
            }
            let allowed = match (req.kind, m.decode) {
                (_, None) => true,
                (CpuKind::Host, Some(d)) => d.host,
                (CpuKind::Guest, Some(d)) => d.guest,
            };
            if !allowed {
                continue;
            }
            let required = det.features - m.features;
            let disabled = (m.features - det.features) | (blockers - required);
            if req.kind == CpuKind::Host && !disabled.is_empty() {
                continue;
            }
            // Removed features become disables only when not already listed.
            let mut removed = FeatureSet::EMPTY;
            if req.kind == CpuKind::Guest {
                for &r in m.removed.iter() {
                    if !required.contains(r) && !disabled.contains(r) {
                        removed.insert(r);
                    }
                }
            }
            let d = disabled.len() + removed.len();
            let (score, penalty) = score(required.len() + d, d);
            let cand = Candidate {
                model: i,
                required,
                disabled,
                score,
                penalty,
            };
            if req.preferred.len() == 1 && req.preferred[0] == m.name {
                best = Some(cand);
                break;
            }
            let Some(cur) = &best else {
                best = Some(cand);
                continue;
            };
            let take = if sig.is_some() && sig_matches(cur.model) && !sig_matches(i) {
                false
            } else if sig.is_some() && sig_matches(i) && !sig_matches(cur.model) {
                true
            } else {
                let preferred = req.preferred.iter().any(|p| *p == m.name);
                cand.score < cur.score
                    || (cand.score == cur.score && cand.penalty < cur.penalty)
                    || (preferred && cand.penalty < cur.penalty)
            };
            if take {
                best = Some(cand);
            }
        }
        let best = best.ok_or(X86Error::NoSuitableModel)?;
        // Required in catalog order, disabled in catalog order, then the removed features
        // (guest decode) in the model file's order.
        let mut features: Vec<(Bit, Policy)> = best
            .required
            .iter()
            .map(|b| (b, Policy::Require))
            .chain(best.disabled.iter().map(|b| (b, Policy::Disable)))
            .collect();
        if req.kind == CpuKind::Guest {
            for &r in models[best.model].removed.iter() {
                if !features.iter().any(|&(b, _)| b == r) {
                    features.push((r, Policy::Disable));
                }
            }
        }
        if req.migratable {
            features.retain(|(b, _)| !self.non_migratable.contains(*b));
        }
        Ok(Decoded {
            model: best.model,
            vendor: det.vendor,
            signature: det.signature,
            features,
        })
    }

    /// Blocker names (libvirt names) as a set; names the catalog does not know are ignored.
    fn blocker_set(&self, names: &[String]) -> FeatureSet {
        names.iter().filter_map(|n| self.cat.feature(n)).collect()
    }

    /// A decode as a `<cpu>`: host form (arch, model, vendor, signature, plain features)
    /// or guest form (`mode='custom' match='exact'`, fallback, policies).
    pub(crate) fn decoded_def(&self, d: &Decoded, kind: CpuKind, fallback: Fallback) -> CpuDef {
        let model = &self.cat.models()[d.model];
        let host = kind == CpuKind::Host;
        let signature = if host && d.signature != 0 {
            let (family, model, stepping) = signature_fields(d.signature);
            (family != 0).then_some(Signature {
                family,
                model,
                stepping: Some(stepping),
            })
        } else {
            None
        };
        CpuDef {
            kind,
            mode: Mode::Custom,
            match_: (!host).then_some(Match::Exact),
            check: None,
            arch: host.then(|| "x86_64".to_string()),
            model: Some(ModelRef {
                name: model.name.to_string(),
                fallback: (!host).then_some(fallback),
                vendor_id: None,
                pos: Pos::default(),
            }),
            vendor: d.vendor.map(|v| self.vendor_name(v).to_string()),
            signature,
            microcode: None,
            topology: None,
            features: d
                .features
                .iter()
                .map(|&(b, p)| Feature {
                    name: self.cat.feature_name(b).to_string(),
                    policy: (!host).then_some(p),
                    pos: Pos::default(),
                })
                .collect(),
            pos: Pos::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::score;

    #[test]
    fn score_charges_only_the_first_half_of_the_disabled_features() {
        // No disabled feature: the score is the length.
        assert_eq!(score(28, 0), (28, 0));
        // d = 1 and d = 2 charge one feature (2).
        assert_eq!(score(5, 1), (6, 2));
        assert_eq!(score(5, 2), (6, 2));
        // The reference's worked example: Opteron_G4 with 14 require + 4 disable.
        assert_eq!(score(18, 4), (21, 5));
        // d = 10 charges 5 features: 2+3+4+5+6 = 20.
        assert_eq!(score(10, 10), (25, 20));
    }
}
