//! What-if: how a pool changes when hosts are added or removed, and what that does to its
//! guests.
//!
//! A guest's reach in a pool ([`reach`]):
//!
//! ```text
//! starts     the hosts it starts on (place)
//! targets    from the start host that leaves it the most room, how many other hosts its
//!            live CPU migrates to (migrate: the live CPU is computed on that start host)
//! ```
//!
//! and the verdict of a change, before → after:
//!
//! | status | when |
//! | --- | --- |
//! | `cannot-start` | it started somewhere before and starts nowhere after |
//! | `loses-migration-targets` | it still starts, had a migration target before and has none after |
//! | `can-start` | it started nowhere before and starts somewhere after |
//! | `fewer-hosts` / `more-hosts` | it starts on fewer / more hosts |
//! | `unchanged` | otherwise |
use super::classes::{ClassId, Fleet};
use super::hasse::runs;
use super::place::live_cpu;
use super::pool::{PoolOptions, PoolReport};
use crate::error::Error;
use crate::Cpu;
use serde::Serialize;

/// A guest's reach in a pool (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Reach {
    /// Hosts it starts on.
    pub starts: usize,
    /// The most hosts it can migrate to from one start host.
    pub targets: usize,
}

impl Reach {
    /// Whether it can migrate at all.
    pub fn migrates(&self) -> bool {
        self.targets > 0
    }
}

/// A guest's reach in `fleet`.
///
/// # Errors
/// CPUs of another engine; a guest that cannot be judged.
pub fn reach(fleet: &Fleet, guest: &Cpu) -> Result<Reach, Error> {
    let engine = fleet.engine();
    let classes: Vec<_> = fleet.classes().collect();
    let mut out = Reach::default();
    // Start hosts often carry the same live CPU (a custom guest's is its own
    // definition): each distinct live CPU is judged once.
    let mut judged: std::collections::HashMap<String, usize> = Default::default();
    for s in &classes {
        let judge = engine.for_host(s.cpu())?;
        let g = if engine.arch() == crate::Arch::S390x {
            judge.cpu(guest.definition().clone())?
        } else {
            guest.clone()
        };
        if !judge.compare(s.cpu(), &g)?.runs() {
            continue;
        }
        out.starts += s.len();
        let Ok((live, _)) = live_cpu(engine, guest, s.cpu()) else {
            continue;
        };
        let key = live.to_xml();
        let t = match judged.get(&key) {
            Some(&t) => t,
            None => {
                let mut t = 0usize;
                for c in &classes {
                    if runs(engine, c.cpu(), &live)? {
                        t += c.len();
                    }
                }
                judged.insert(key, t);
                t
            }
        };
        // The start host itself is not a target (it runs its own live CPU).
        out.targets = out.targets.max(t.saturating_sub(1));
    }
    Ok(out)
}

/// What a change does to one guest.
#[derive(Clone, Debug, Serialize)]
pub struct GuestImpact {
    /// Where it was read.
    pub name: Option<String>,
    /// Its model.
    pub model: Option<String>,
    /// Reach before.
    pub before: Reach,
    /// Reach after.
    pub after: Reach,
    /// The verdict (see the module documentation).
    pub status: &'static str,
}

/// A pool in one line.
#[derive(Clone, Debug, Serialize)]
pub struct PoolSummary {
    /// Hosts.
    pub hosts: usize,
    /// Classes.
    pub classes: usize,
    /// The baseline's model.
    pub baseline_model: Option<String>,
    /// Why there is no baseline.
    pub baseline_error: Option<String>,
    /// The baseline's features.
    pub features: Vec<String>,
    /// The baseline's x86-64 level.
    pub x86_level: Option<String>,
    /// The compat mode (POWER).
    pub compat_mode: Option<String>,
    /// The cluster mode.
    pub cluster_mode: Option<String>,
}

impl PoolSummary {
    fn of(r: &PoolReport) -> PoolSummary {
        let b = r.baseline();
        PoolSummary {
            hosts: r.hosts(),
            classes: r.classes().len(),
            baseline_model: b.and_then(|b| b.model()).map(str::to_string),
            baseline_error: r.baseline_error().map(str::to_string),
            features: b.map(|b| b.features().to_vec()).unwrap_or_default(),
            x86_level: b.and_then(|b| b.x86_level()).map(|l| l.to_string()),
            compat_mode: b.and_then(|b| b.compat_mode()).map(str::to_string),
            cluster_mode: r.cluster_mode().map(|c| c.model.clone()),
        }
    }
}

/// A pool before and after a change.
#[derive(Clone, Debug, Serialize)]
pub struct WhatIf {
    /// The pool before.
    pub before: PoolSummary,
    /// The pool after.
    pub after: PoolSummary,
    /// Classes that appear.
    pub new_classes: Vec<ClassId>,
    /// Classes that disappear.
    pub gone_classes: Vec<ClassId>,
    /// Baseline features gained.
    pub gained: Vec<String>,
    /// Baseline features lost.
    pub lost: Vec<String>,
    /// Every guest asked about.
    pub guests: Vec<GuestImpact>,
}

impl WhatIf {
    /// Compares two pools decided by the same engine (`after` usually a changed copy of
    /// `before`, so class numbers match), and the reach of each guest in both.
    ///
    /// # Errors
    /// As [`PoolReport::new`] and [`reach`].
    pub fn new(before: &Fleet, after: &Fleet, guests: &[Cpu]) -> Result<WhatIf, Error> {
        let opts = PoolOptions {
            skip_without: true,
            ..PoolOptions::default()
        };
        let b = PoolReport::new(before, &opts)?;
        let a = PoolReport::new(after, &opts)?;
        let ids = |f: &Fleet| f.classes().map(|c| c.id()).collect::<Vec<_>>();
        let (bi, ai) = (ids(before), ids(after));
        let (bs, as_) = (PoolSummary::of(&b), PoolSummary::of(&a));
        let gained = as_
            .features
            .iter()
            .filter(|f| !bs.features.contains(f))
            .cloned()
            .collect();
        let lost = bs
            .features
            .iter()
            .filter(|f| !as_.features.contains(f))
            .cloned()
            .collect();
        let mut impacts = Vec::with_capacity(guests.len());
        for g in guests {
            let rb = reach(before, g)?;
            let ra = reach(after, g)?;
            let status = if rb.starts > 0 && ra.starts == 0 {
                "cannot-start"
            } else if rb.migrates() && !ra.migrates() {
                "loses-migration-targets"
            } else if rb.starts == 0 && ra.starts > 0 {
                "can-start"
            } else if ra.starts < rb.starts {
                "fewer-hosts"
            } else if ra.starts > rb.starts {
                "more-hosts"
            } else {
                "unchanged"
            };
            impacts.push(GuestImpact {
                name: g.input().map(str::to_string),
                model: g.model().map(str::to_string),
                before: rb,
                after: ra,
                status,
            });
        }
        Ok(WhatIf {
            new_classes: ai.iter().copied().filter(|c| !bi.contains(c)).collect(),
            gone_classes: bi.iter().copied().filter(|c| !ai.contains(c)).collect(),
            before: bs,
            after: as_,
            gained,
            lost,
            guests: impacts,
        })
    }
}
