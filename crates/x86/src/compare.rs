//! Compare: can a guest definition run on a host (libvirt's `x86Compute`)?
//!
//! The host is a point (its policy −1 view, [`X86::features_of`]); the guest is a
//! [`Requirement`] built from its policies, and the answer is the lattice order test
//! [`cpucompat_lattice::compare`]:
//!
//! ```text
//! host      = features(host)
//! required  = (model ∪ require) − force − optional − disable
//! forbidden = forbid
//! ignored   = force ∪ optional ∪ disable
//! extra     = host − required − ignored
//! ```
//!
//! libvirt's checks, in its order (the first failing one is libvirt's message and comes
//! first in [`X86Comparison::reasons`]):
//!
//! 1. a guest `<arch>` other than `i686`/`x86_64` → incompatible, "CPU arch A does not match
//!    host arch";
//! 2. a guest `<vendor>` the host does not have → incompatible, "host CPU vendor does not
//!    match required CPU vendor V" (a guest naming no vendor fits any host);
//! 3. unknown model or feature names (in the order libvirt looks them up: host, then the
//!    guest's force, require + model, optional, disable, forbid features) → error;
//! 4. `forbidden ∩ host ≠ ∅` → "Host CPU provides forbidden features: …";
//! 5. `required − host ≠ ∅` → "Host CPU does not provide required features: …";
//! 6. identical when `extra = ∅`, else superset — and a superset is incompatible for a
//!    `match='strict'` guest, "Host CPU does not strictly match guest CPU: Extra features: …".
//!
//! Feature lists print in catalog order, joined with ", ". `match='minimum'` compares like
//! `exact`. Guests without a model:
//!
//! * `host-passthrough` / `maximum`: the guest is the host itself, with its explicit
//!   features applied (so, without features, identical);
//! * `host-model`: the guest is the host's *migratable* definition (non-migratable features
//!   dropped, as libvirt builds it from `virCPUCopyMigratable`), with the guest's features
//!   re-applied by policy (libvirt's `x86UpdateHostModel`); so identical, or superset on a
//!   host with `invtsc`.
use cpucompat_lattice::{compare, Flat, Level, Point, Relation, Requirement, Tag};
use cpucompat_xml::model::{CpuDef, CpuKind, Feature, Match, Mode, ModelRef, Policy, Pos};

use crate::{X86Error, X86};

/// The answer of [`X86::compare`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct X86Comparison {
    /// `Identical`, `Superset` or `Incompatible` (libvirt's three values).
    pub result: Relation,
    /// libvirt-like messages; empty unless incompatible; the first is libvirt's own.
    pub reasons: Vec<String>,
    /// Required features the host lacks, catalog order.
    pub missing: Vec<String>,
    /// Forbidden features the host has, catalog order.
    pub forbidden: Vec<String>,
    /// Host features the guest neither requires nor mentions, catalog order.
    pub extra: Vec<String>,
}

const X86_ARCH: Tag = Tag(0);
const OTHER_ARCH: Tag = Tag(1);

/// The guest's sets by policy (model data counts as require).
#[derive(Default)]
struct Policies {
    force: cpucompat_lattice::FeatureSet,
    require: cpucompat_lattice::FeatureSet,
    optional: cpucompat_lattice::FeatureSet,
    disable: cpucompat_lattice::FeatureSet,
    forbid: cpucompat_lattice::FeatureSet,
}

impl X86<'_> {
    /// Compares a guest (or host-type) definition with a host definition.
    pub fn compare(&self, host: &CpuDef, guest: &CpuDef) -> Result<X86Comparison, X86Error> {
        if host.model.is_none() {
            return Ok(X86Comparison {
                result: Relation::Incompatible,
                reasons: vec!["unknown host CPU".into()],
                missing: vec![],
                forbidden: vec![],
                extra: vec![],
            });
        }
        if guest.kind == CpuKind::Guest && guest.mode != Mode::Custom {
            let updated = self.update_host_model(guest, host)?;
            return self.compare(host, &updated);
        }
        let arch_ok = guest
            .arch
            .as_deref()
            .is_none_or(|a| matches!(a, "x86_64" | "i686"));
        let vendor_ok = match &guest.vendor {
            None => true,
            Some(v) => host.vendor.as_deref() == Some(v.as_str()),
        };
        let resolved = self.resolve(host, guest);
        let (host_set, p) = match resolved {
            Ok(r) => r,
            // libvirt looks names up only after the arch and vendor checks passed.
            Err(e) if arch_ok && vendor_ok => return Err(e),
            Err(_) => Default::default(),
        };
        let point = Point {
            arch: X86_ARCH,
            vendor: match &host.vendor {
                Some(v) => Flat::Is(Tag(vendor_tag(v))),
                None => Flat::Any,
            },
            level: Level::BOTTOM,
            features: host_set,
        };
        let required = p.require - p.force - p.optional - p.disable;
        let req = Requirement {
            arch: if arch_ok { X86_ARCH } else { OTHER_ARCH },
            vendor: match &guest.vendor {
                Some(v) if vendor_ok => point.vendor,
                Some(v) => Flat::Is(Tag(vendor_tag(v) ^ 1)),
                None => Flat::Any,
            },
            level: Level::BOTTOM,
            required,
            forbidden: p.forbid,
            ignored: p.force | p.optional | p.disable,
            strict: guest.kind == CpuKind::Guest && guest.match_ == Some(Match::Strict),
        };
        let cmp = compare(&point, &req);
        let mut reasons = Vec::new();
        if !arch_ok {
            let a = guest.arch.as_deref().unwrap_or_default();
            reasons.push(format!("CPU arch {a} does not match host arch"));
        }
        if !vendor_ok {
            let v = guest.vendor.as_deref().unwrap_or_default();
            reasons.push(format!(
                "host CPU vendor does not match required CPU vendor {v}"
            ));
        }
        if !cmp.forbidden.is_empty() {
            reasons.push(format!(
                "Host CPU provides forbidden features: {}",
                self.names(&cmp.forbidden).join(", ")
            ));
        }
        if !cmp.missing.is_empty() {
            reasons.push(format!(
                "Host CPU does not provide required features: {}",
                self.names(&cmp.missing).join(", ")
            ));
        }
        if req.strict && cmp.missing.is_empty() && !cmp.extra.is_empty() {
            reasons.push(format!(
                "Host CPU does not strictly match guest CPU: Extra features: {}",
                self.names(&cmp.extra).join(", ")
            ));
        }
        let result = if !reasons.is_empty() || !cmp.is_compatible() {
            Relation::Incompatible
        } else {
            cmp.verdict()
        };
        Ok(X86Comparison {
            result,
            reasons,
            missing: self.names(&cmp.missing),
            forbidden: self.names(&cmp.forbidden),
            extra: self.names(&cmp.extra),
        })
    }

    /// The host's set and the guest's sets by policy, looking names up in libvirt's order.
    fn resolve(
        &self,
        host: &CpuDef,
        guest: &CpuDef,
    ) -> Result<(cpucompat_lattice::FeatureSet, Policies), X86Error> {
        let host_set = self.features_of(host)?;
        let mut p = Policies::default();
        if guest.kind == CpuKind::Guest {
            p.force = self.explicit(guest, Policy::Force)?;
        }
        p.require = match &guest.model {
            Some(m) => self.model_features(&m.name, m.pos)?,
            None => Default::default(),
        } | self.explicit(guest, Policy::Require)?;
        if guest.kind == CpuKind::Guest {
            p.optional = self.explicit(guest, Policy::Optional)?;
            p.disable = self.explicit(guest, Policy::Disable)?;
            p.forbid = self.explicit(guest, Policy::Forbid)?;
        }
        Ok((host_set, p))
    }

    /// A `host-model` / `host-passthrough` / `maximum` guest made concrete against `host`:
    /// the host's model, vendor and features (all `require`; non-migratable ones dropped
    /// for `host-model`), then the guest's features applied by policy in document order.
    pub fn update_host_model(&self, guest: &CpuDef, host: &CpuDef) -> Result<CpuDef, X86Error> {
        let mut set = self.features_of(host)?;
        if guest.mode == Mode::HostModel {
            set -= self.non_migratable;
        }
        let host_model = host.model.as_ref().map(|m| {
            self.cat
                .model(&m.name)
                .map_or(Default::default(), |i| self.cat.models()[i].features)
        });
        let extra = set - host_model.unwrap_or_default();
        let mut features: Vec<Feature> = self
            .names(&extra)
            .into_iter()
            .map(|name| Feature {
                name,
                policy: Some(Policy::Require),
                pos: Pos::default(),
            })
            .collect();
        // Model features the host definition removed must stay removed.
        if let Some(m) = host_model {
            for name in self.names(&(m - set)) {
                features.push(Feature {
                    name,
                    policy: Some(Policy::Disable),
                    pos: Pos::default(),
                });
            }
        }
        for f in &guest.features {
            let policy = guest.policy_of(f);
            match features.iter_mut().find(|g| g.name == f.name) {
                Some(g) => g.policy = Some(policy),
                None => features.push(Feature {
                    name: f.name.clone(),
                    policy: Some(policy),
                    pos: f.pos,
                }),
            }
        }
        Ok(CpuDef {
            kind: CpuKind::Guest,
            mode: Mode::Custom,
            match_: Some(Match::Exact),
            check: guest.check,
            arch: None,
            model: host.model.as_ref().map(|m| ModelRef {
                name: m.name.clone(),
                fallback: None,
                vendor_id: None,
                pos: m.pos,
            }),
            vendor: host.vendor.clone(),
            signature: None,
            microcode: None,
            topology: guest.topology,
            features,
            pos: guest.pos,
        })
    }
}

/// A vendor name as a lattice tag: equal names, equal tags (FNV-1a, even values only, so
/// `tag ^ 1` is a tag no name has).
fn vendor_tag(name: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h & !1
}
