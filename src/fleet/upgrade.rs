//! Upgrade check: what moving from one catalog to another (libvirt's cpu_map 11.3 → 12.8,
//! QEMU 7.2's s390x or POWER tables → the newest) does to named models and to guests.
//!
//! ```text
//! catalog diff   every model of both catalogs, expanded by each (Engine::expand):
//!                changed  = same name, different features or details (POWER: PVRs,
//!                           family, compat modes; s390x: definition, generation, GA …)
//!                added / dropped = names of one catalog only
//!                renamed  = a dropped and an added model with the same expansion
//! per guest      its model's change, the features its definition denotes before and
//!                after (by name), and its reach (see the what-if module) on the given
//!                hosts under each catalog; hosts it no longer starts on, with the rules
//!                that fail
//! ```
//!
//! Each side reads every input itself: a dump decodes differently under another map (the
//! 12.8 map moved 68 `vmx-*` features to the other half of their MSR), and a guest naming
//! a model the new catalog dropped is reported, not an error.
use super::classes::Fleet;
use super::place::Obstacle;
use super::whatif::{reach, Reach};
use crate::error::{Error, ErrorKind};
use crate::{Cpu, Engine, Input};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One model whose expansion differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModelChange {
    /// The model.
    pub model: String,
    /// Features only the new catalog gives it.
    pub added: Vec<String>,
    /// Features only the old catalog gives it.
    pub removed: Vec<String>,
    /// Other facts that differ, `field: old → new`.
    pub details: Vec<String>,
}

/// How two catalogs' named models differ.
#[derive(Clone, Debug, Serialize)]
pub struct CatalogDiff {
    /// The old catalog.
    pub from: String,
    /// The new catalog.
    pub to: String,
    /// Models in both whose expansion changed.
    pub changed: Vec<ModelChange>,
    /// Models only in the new catalog.
    pub added: Vec<String>,
    /// Models only in the old catalog.
    pub dropped: Vec<String>,
    /// `(old, new)`: a dropped model with the same expansion as an added one.
    pub renamed: Vec<(String, String)>,
}

fn detail_diff(a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return if a == b {
            Vec::new()
        } else {
            vec![format!("details: {a} → {b}")]
        };
    };
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let show = |v: Option<&serde_json::Value>| match v {
                None | Some(serde_json::Value::Null) => "(none)".to_string(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Array(a)) if a.is_empty() => "(none)".to_string(),
                Some(serde_json::Value::Array(a)) => a
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(" "),
                Some(v) => v.to_string(),
            };
            format!("{k}: {} → {}", show(a.get(k)), show(b.get(k)))
        })
        .collect()
}

/// The named models of two engines, compared.
///
/// # Errors
/// A catalog model its own engine cannot expand.
pub fn catalog_diff(from: &Engine, to: &Engine) -> Result<CatalogDiff, Error> {
    if from.arch() != to.arch() {
        return Err(Error::new(
            ErrorKind::Argument,
            "an upgrade check compares two catalogs of one architecture",
        ));
    }
    let expand = |e: &Engine| -> Result<BTreeMap<String, (Vec<String>, serde_json::Value)>, Error> {
        let mut m = BTreeMap::new();
        for info in e.models() {
            let x = e.expand(info.name())?;
            let details = serde_json::to_value(x.details()).unwrap_or_default();
            let mut features = x.features().to_vec();
            features.sort();
            m.insert(info.name().to_string(), (features, details));
        }
        Ok(m)
    };
    let order = |e: &Engine| {
        e.models()
            .iter()
            .map(|m| m.name().to_string())
            .collect::<Vec<_>>()
    };
    let (a, b) = (expand(from)?, expand(to)?);
    let mut changed = Vec::new();
    for name in order(from) {
        let (Some((fa, da)), Some((fb, db))) = (a.get(&name), b.get(&name)) else {
            continue;
        };
        let added: Vec<String> = fb.iter().filter(|f| !fa.contains(f)).cloned().collect();
        let removed: Vec<String> = fa.iter().filter(|f| !fb.contains(f)).cloned().collect();
        let details = detail_diff(da, db);
        if !added.is_empty() || !removed.is_empty() || !details.is_empty() {
            changed.push(ModelChange {
                model: name,
                added,
                removed,
                details,
            });
        }
    }
    let mut added: Vec<String> = order(to)
        .into_iter()
        .filter(|n| !a.contains_key(n))
        .collect();
    let mut dropped: Vec<String> = order(from)
        .into_iter()
        .filter(|n| !b.contains_key(n))
        .collect();
    let mut renamed = Vec::new();
    dropped.retain(|d| {
        let Some(x) = a.get(d) else { return true };
        match added.iter().position(|n| b.get(n) == Some(x)) {
            Some(i) => {
                renamed.push((d.clone(), added.remove(i)));
                false
            }
            None => true,
        }
    });
    Ok(CatalogDiff {
        from: from.catalog(),
        to: to.catalog(),
        changed,
        added,
        dropped,
        renamed,
    })
}

/// A host a guest no longer starts on, and why.
#[derive(Clone, Debug, Serialize)]
pub struct LostHost {
    /// The host.
    pub host: String,
    /// The rules that fail under the new catalog.
    pub reasons: Vec<Obstacle>,
}

/// What the upgrade does to one guest.
#[derive(Clone, Debug, Serialize)]
pub struct GuestUpgrade {
    /// Where it was read.
    pub name: String,
    /// Its model.
    pub model: Option<String>,
    /// Its model's change, if the model changed.
    pub model_change: Option<ModelChange>,
    /// Why the new catalog cannot read it (a dropped model …).
    pub invalid_after: Option<String>,
    /// Features its definition denotes only after.
    pub features_added: Vec<String>,
    /// Features its definition denotes only before.
    pub features_removed: Vec<String>,
    /// Its reach on the hosts before.
    pub before: Reach,
    /// Its reach on the hosts after.
    pub after: Option<Reach>,
    /// Hosts it started on before and does not after.
    pub lost_hosts: Vec<LostHost>,
    /// Hosts it starts on only after.
    pub gained_hosts: Vec<String>,
    /// `ok`, `changed` (the model or features changed, every host still takes it),
    /// `cannot-start`, `loses-migration-targets`, `fewer-hosts`, `invalid`.
    pub status: &'static str,
}

/// An upgrade check.
#[derive(Clone, Debug, Serialize)]
pub struct UpgradeCheck {
    /// The catalogs compared.
    pub catalogs: CatalogDiff,
    /// How many hosts were given.
    pub hosts: usize,
    /// Every guest.
    pub guests: Vec<GuestUpgrade>,
}

impl UpgradeCheck {
    /// Whether no guest is worse off (no `cannot-start`, `loses-migration-targets`,
    /// `fewer-hosts` or `invalid`).
    pub fn all_well(&self) -> bool {
        self.guests
            .iter()
            .all(|g| matches!(g.status, "ok" | "changed"))
    }
}

/// Per host name: whether the guest starts there, and why not.
fn starts_by_host(fleet: &Fleet, guest: &Cpu) -> Result<BTreeMap<String, Vec<Obstacle>>, Error> {
    let engine = fleet.engine();
    let mut out = BTreeMap::new();
    for c in fleet.classes() {
        let judge = engine.for_host(c.cpu())?;
        let g = if engine.arch() == crate::Arch::S390x {
            judge.cpu(guest.definition().clone())?
        } else {
            guest.clone()
        };
        let cmp = judge.compare(c.cpu(), &g)?;
        let reasons: Vec<Obstacle> = cmp
            .reasons()
            .iter()
            .map(|r| Obstacle {
                rule: r.rule().as_str().to_string(),
                message: r.message().to_string(),
            })
            .collect();
        for h in &fleet.host_names(c) {
            out.insert(h, reasons.clone());
        }
    }
    Ok(out)
}

/// Checks guests (files holding a guest `<cpu>` or a domain) and their hosts (any host
/// form) under two engines' catalogs.
///
/// # Errors
/// Two engines of different architectures; an unreadable input; a guest or host the old
/// catalog cannot read; a host the new catalog cannot read.
pub fn upgrade_check(
    from: &Engine,
    to: &Engine,
    guests: &[PathBuf],
    hosts: &[PathBuf],
) -> Result<UpgradeCheck, Error> {
    let diff = catalog_diff(from, to)?;
    let read_hosts = |e: &Engine| {
        let inputs: Vec<Input> = hosts.iter().map(Input::path).collect();
        Fleet::read(e, inputs)
    };
    let (hb, ha) = (read_hosts(from)?, read_hosts(to)?);
    let mut out = Vec::with_capacity(guests.len());
    for path in guests {
        let old = hb.read_guest(Input::path(path))?;
        let name = path.display().to_string();
        let model = old.model().map(str::to_string);
        let model_change = model
            .as_ref()
            .and_then(|m| diff.changed.iter().find(|c| &c.model == m).cloned());
        let before = reach(&hb, &old)?;
        let new = match ha.read_guest(Input::path(path)) {
            Ok(c) => c,
            Err(e) if e.kind() == ErrorKind::UnknownName => {
                out.push(GuestUpgrade {
                    name,
                    model,
                    model_change,
                    invalid_after: Some(e.to_string()),
                    features_added: Vec::new(),
                    features_removed: Vec::new(),
                    before,
                    after: None,
                    lost_hosts: Vec::new(),
                    gained_hosts: Vec::new(),
                    status: "invalid",
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        let (fa, fb) = (from.features(&old)?, to.features(&new)?);
        let features_added: Vec<String> = fb.iter().filter(|f| !fa.contains(f)).cloned().collect();
        let features_removed: Vec<String> =
            fa.iter().filter(|f| !fb.contains(f)).cloned().collect();
        let after = reach(&ha, &new)?;
        let (sb, sa) = (starts_by_host(&hb, &old)?, starts_by_host(&ha, &new)?);
        let lost_hosts: Vec<LostHost> = sb
            .iter()
            .filter(|(h, r)| r.is_empty() && sa.get(*h).is_some_and(|x| !x.is_empty()))
            .map(|(h, _)| LostHost {
                host: h.clone(),
                reasons: sa.get(h).cloned().unwrap_or_default(),
            })
            .collect();
        let gained_hosts: Vec<String> = sa
            .iter()
            .filter(|(h, r)| r.is_empty() && sb.get(*h).is_some_and(|x| !x.is_empty()))
            .map(|(h, _)| h.clone())
            .collect();
        let status = if before.starts > 0 && after.starts == 0 {
            "cannot-start"
        } else if before.migrates() && !after.migrates() {
            "loses-migration-targets"
        } else if !lost_hosts.is_empty() {
            "fewer-hosts"
        } else if model_change.is_some()
            || !features_added.is_empty()
            || !features_removed.is_empty()
        {
            "changed"
        } else {
            "ok"
        };
        out.push(GuestUpgrade {
            name,
            model,
            model_change,
            invalid_after: None,
            features_added,
            features_removed,
            before,
            after: Some(after),
            lost_hosts,
            gained_hosts,
            status,
        });
    }
    Ok(UpgradeCheck {
        catalogs: diff,
        hosts: hb.hosts(),
        guests: out,
    })
}
