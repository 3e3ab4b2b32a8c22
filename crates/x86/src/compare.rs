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
//! first in [`Comparison::reasons`], each with its [`Rule`]):
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
//! `exact`. A host without a model is incompatible with everything ("unknown host CPU",
//! libvirt's answer without `--error`). Guests of the other modes:
//!
//! * `host-model`: the guest is first made concrete, [`X86::update`] against the host's
//!   *migratable* copy ([`X86::copy_migratable`]), as libvirt's update tests and QEMU
//!   driver do; so identical, or superset on a host with `invtsc`;
//! * `host-passthrough` / `maximum`: the same against the full host (libvirt itself leaves
//!   these to the hypervisor): identical unless the guest's own features say otherwise.
use cpucompat_contract::{Comparison, Reason, Rule, Verdict};
use cpucompat_lattice::{compare, FeatureSet, Flat, Level, Point, Relation, Requirement, Tag};
use cpucompat_xml::model::{
    CpuDef, CpuKind, Fallback, Feature, Match, Mode, ModelRef, Policy, Pos,
};

use crate::{named_model, X86Error, X86};

/// The flat lattice of arch and vendor, as tags: the host's value is `SAME`, a guest value
/// equal to it is `SAME` too, any other is `OTHER` (equality is all a flat lattice knows).
const SAME: Tag = Tag(0);
const OTHER: Tag = Tag(1);

/// The guest's sets by policy (model data counts as require).
#[derive(Default)]
struct Policies {
    force: cpucompat_lattice::FeatureSet,
    require: cpucompat_lattice::FeatureSet,
    optional: cpucompat_lattice::FeatureSet,
    disable: cpucompat_lattice::FeatureSet,
    forbid: cpucompat_lattice::FeatureSet,
}

/// What a checked guest asks of a host, in sets (see the module documentation): made once
/// per guest, so comparing one guest with many hosts looks up no name.
#[derive(Clone, Debug)]
pub(crate) struct Asks {
    /// `(model ∪ require) − force − optional − disable`.
    required: FeatureSet,
    /// `forbid`.
    forbidden: FeatureSet,
    /// `force ∪ optional ∪ disable`.
    ignored: FeatureSet,
    strict: bool,
    /// The guest names no architecture, or an x86 one.
    arch_ok: bool,
    /// The rules of [`X86::compute`] apply as they are: a custom-mode guest or a
    /// host-type definition, and a host with a named model.
    direct: bool,
}

impl X86 {
    /// What a checked guest asks (its policies, as [`X86::compute`] reads them).
    fn asks(&self, guest: &crate::Cpu) -> Asks {
        let def = guest.head();
        let is_guest = def.kind == CpuKind::Guest;
        let mut p = Policies::default();
        if let Some(m) = guest.facts.model {
            p.require = self.cat.models()[m as usize].features;
        }
        guest.for_each_feature(self, |b, policy| {
            let set = match policy {
                Policy::Force => &mut p.force,
                Policy::Require => &mut p.require,
                Policy::Optional => &mut p.optional,
                Policy::Disable => &mut p.disable,
                Policy::Forbid => &mut p.forbid,
            };
            set.insert(b);
        });
        Asks {
            required: p.require - p.force - p.optional - p.disable,
            forbidden: p.forbid,
            ignored: p.force | p.optional | p.disable,
            strict: is_guest && def.match_ == Some(Match::Strict),
            arch_ok: def
                .arch
                .as_deref()
                .is_none_or(|a| matches!(a, "x86_64" | "i686")),
            direct: !is_guest || def.mode == Mode::Custom,
        }
    }

    /// [`X86::compare`] of two checked CPUs in sets, when the guest runs: the same
    /// answer, made without reading a name (the host's set and the guest's [`Asks`] were
    /// computed when they were checked and on the guest's first compare). `None` when the
    /// guest does not run, or another rule applies (no host model, a guest of another
    /// mode, architecture or vendor): [`X86::compare`] then explains it.
    pub(crate) fn compare_checked(
        &self,
        host: &crate::Cpu,
        guest: &crate::Cpu,
    ) -> Option<Comparison> {
        let a = guest.asks.get_or_init(|| Box::new(self.asks(guest)));
        if !a.direct || !a.arch_ok || host.facts.model.is_none() {
            return None;
        }
        let vendor_ok = match (guest.facts.vendor, host.facts.vendor) {
            (None, _) => true,
            (Some(g), Some(h)) if g != crate::adapter::UNKNOWN_VENDOR => g == h,
            _ => host.head().vendor == guest.head().vendor,
        };
        let have = host.features();
        let missing = a.required - *have;
        let forbidden = a.forbidden & *have;
        let extra = *have - a.required - a.ignored;
        if !vendor_ok
            || !missing.is_empty()
            || !forbidden.is_empty()
            || (a.strict && !extra.is_empty())
        {
            return None;
        }
        Some(match self.static_names {
            Some(name) => Comparison::runs_with_extra(extra, name),
            None => {
                let verdict = if extra.is_empty() {
                    Verdict::Identical
                } else {
                    Verdict::Superset
                };
                Comparison::new(
                    verdict,
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                    self.names(&extra),
                )
            }
        })
    }

    /// Compares a guest (or host-type) definition with a host definition.
    ///
    /// # Errors
    /// An unknown model, feature or vendor name, once the architecture and vendor checks have
    /// passed (a mismatch there is a reason, not an error).
    pub fn compare(&self, host: &CpuDef, guest: &CpuDef) -> Result<Comparison, X86Error> {
        if named_model(host).is_none() {
            let r = Reason::new(Rule::LibvirtHost, "unknown host CPU", None);
            return Ok(Comparison::new(
                Verdict::Incompatible,
                vec![r],
                vec![],
                vec![],
                vec![],
            ));
        }
        if guest.kind == CpuKind::Guest {
            match guest.mode {
                Mode::Custom => {}
                Mode::HostModel => {
                    let updated = self.update(guest, &self.copy_migratable(host))?;
                    return self.compare(host, &updated);
                }
                Mode::HostPassthrough | Mode::Maximum => {
                    let mut as_host_model = guest.clone();
                    as_host_model.mode = Mode::HostModel;
                    let updated = self.update(&as_host_model, host)?;
                    return self.compare(host, &updated);
                }
            }
        }
        self.compute(host, guest)
    }

    /// libvirt's `x86Compute` of a host with a named model and a definition taken as it
    /// is written: the mode is not looked at (a host-model or host-passthrough guest is its
    /// model, if any, plus its features). This is what the QEMU driver's compat check runs.
    pub(crate) fn compute(&self, host: &CpuDef, guest: &CpuDef) -> Result<Comparison, X86Error> {
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
            arch: SAME,
            vendor: if host.vendor.is_some() {
                Flat::Is(SAME)
            } else {
                Flat::Any
            },
            level: Level::BOTTOM,
            features: host_set,
        };
        let required = p.require - p.force - p.optional - p.disable;
        let req = Requirement {
            arch: if arch_ok { SAME } else { OTHER },
            vendor: match &guest.vendor {
                None => Flat::Any,
                Some(_) if vendor_ok => Flat::Is(SAME),
                Some(_) => Flat::Is(OTHER),
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
            let msg = format!("CPU arch {a} does not match host arch");
            reasons.push(Reason::new(Rule::LibvirtArch, msg, Some(guest.pos)));
        }
        if !vendor_ok {
            let v = guest.vendor.as_deref().unwrap_or_default();
            let msg = format!("host CPU vendor does not match required CPU vendor {v}");
            reasons.push(Reason::new(Rule::LibvirtVendor, msg, Some(guest.pos)));
        }
        if !cmp.forbidden.is_empty() {
            let msg = format!(
                "Host CPU provides forbidden features: {}",
                self.names(&cmp.forbidden).join(", ")
            );
            let at = self.first_mention(guest, &cmp.forbidden);
            reasons.push(Reason::new(Rule::LibvirtForbidden, msg, at));
        }
        if !cmp.missing.is_empty() {
            let msg = format!(
                "Host CPU does not provide required features: {}",
                self.names(&cmp.missing).join(", ")
            );
            let at = self.first_mention(guest, &cmp.missing);
            reasons.push(Reason::new(Rule::LibvirtMissing, msg, at));
        }
        if req.strict && cmp.missing.is_empty() && !cmp.extra.is_empty() {
            let msg = format!(
                "Host CPU does not strictly match guest CPU: Extra features: {}",
                self.names(&cmp.extra).join(", ")
            );
            reasons.push(Reason::new(Rule::LibvirtStrict, msg, Some(guest.pos)));
        }
        let verdict = match cmp.verdict() {
            _ if !reasons.is_empty() => Verdict::Incompatible,
            Relation::Identical => Verdict::Identical,
            _ => Verdict::Superset,
        };
        Ok(Comparison::new(
            verdict,
            reasons,
            self.names(&cmp.missing),
            self.names(&cmp.forbidden),
            self.names(&cmp.extra),
        ))
    }

    /// Where a guest names one of `set`: its first `<feature>` in the set, else its
    /// `<model>` (whose data brought the features in).
    fn first_mention(&self, guest: &CpuDef, set: &FeatureSet) -> Option<Pos> {
        guest
            .features
            .iter()
            .find(|f| self.cat.feature(&f.name).is_some_and(|b| set.contains(b)))
            .map(|f| f.pos)
            .or_else(|| guest.model.as_ref().map(|m| m.pos))
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
        p.require = match named_model(guest) {
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

    /// A copy of a definition without its non-migratable features (libvirt's
    /// `virCPUCopyMigratable`): what a `host-model` guest is built from.
    pub fn copy_migratable(&self, cpu: &CpuDef) -> CpuDef {
        let mut copy = cpu.clone();
        copy.features.retain(|f| {
            self.cat
                .feature(&f.name)
                .is_none_or(|b| !self.non_migratable.contains(b))
        });
        copy
    }

    /// A guest made concrete against a host for a fresh start (libvirt's `virCPUUpdate`
    /// with removed features disabled):
    ///
    /// * `host-passthrough` / `maximum` guests and host definitions are returned unchanged;
    /// * `optional` features become `require` when the host has them, else `disable`;
    /// * `host-model` and `match='minimum'` guests become the host's model and features
    ///   (in the host's order, as `require`), the guest's own features re-applied by policy
    ///   (libvirt's `x86UpdateHostModel`); `host-model` takes the host's vendor, `minimum`
    ///   keeps the guest's; the result is `mode='custom' match='exact'`;
    /// * the model's removed features not listed are appended as `disable`.
    ///
    /// Pass the host through [`X86::copy_migratable`] first to get what libvirt gives QEMU.
    ///
    /// # Errors
    /// [`X86Error::UnknownHostCpu`] when a host-model guest meets a host without a model,
    /// and an unknown model or feature name in either definition.
    pub fn update(&self, guest: &CpuDef, host: &CpuDef) -> Result<CpuDef, X86Error> {
        if guest.kind == CpuKind::Host
            || matches!(guest.mode, Mode::HostPassthrough | Mode::Maximum)
        {
            return Ok(guest.clone());
        }
        let mut out = guest.clone();
        let relative = guest.mode == Mode::HostModel
            || guest.match_ == Some(Match::Minimum)
            || guest
                .features
                .iter()
                .any(|f| guest.policy_of(f) == Policy::Optional);
        if relative {
            let host_model = named_model(host).ok_or(X86Error::UnknownHostCpu)?;
            let have = self.features_of(host)?;
            for f in &mut out.features {
                if guest.policy_of(f) == Policy::Optional {
                    let bit = self.feature(&f.name, f.pos)?;
                    f.policy = Some(if have.contains(bit) {
                        Policy::Require
                    } else {
                        Policy::Disable
                    });
                }
            }
            if guest.mode == Mode::HostModel || guest.match_ == Some(Match::Minimum) {
                let mut features: Vec<Feature> = host
                    .features
                    .iter()
                    .map(|f| Feature {
                        name: f.name.clone(),
                        policy: Some(host.policy_of(f)),
                        pos: f.pos,
                    })
                    .collect();
                for f in &out.features {
                    match features.iter_mut().find(|g| g.name == f.name) {
                        Some(g) => g.policy = f.policy,
                        None => features.push(f.clone()),
                    }
                }
                let fallback = guest.model.as_ref().and_then(|m| m.fallback);
                out.model = Some(ModelRef {
                    name: host_model.name.clone(),
                    fallback,
                    vendor_id: guest.model.as_ref().and_then(|m| m.vendor_id.clone()),
                    pos: host_model.pos,
                });
                out.features = features;
                if guest.mode == Mode::HostModel {
                    out.vendor = host.vendor.clone();
                }
                out.mode = Mode::Custom;
                out.match_ = Some(Match::Exact);
            }
        }
        if let Some(m) = named_model(&out).and_then(|m| self.cat.model(&m.name)) {
            for &r in self.cat.models()[m].removed.iter() {
                let name = self.cat.feature_name(r);
                if !out.features.iter().any(|f| f.name == name) {
                    out.features.push(Feature {
                        name: name.to_string(),
                        policy: Some(Policy::Disable),
                        pos: Pos::default(),
                    });
                }
            }
        }
        if let Some(m) = &mut out.model {
            m.fallback.get_or_insert(Fallback::Allow);
        }
        // libvirt's parser defaults dies and clusters to 1, and prints them.
        if let Some(t) = &mut out.topology {
            t.dies.get_or_insert(1);
            t.clusters.get_or_insert(1);
        }
        Ok(out)
    }
}
