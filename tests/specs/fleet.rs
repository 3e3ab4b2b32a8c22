//! Spec checker for `specs/cases/fleet`: pools, placements, migrations, what-ifs and
//! upgrade checks, through the public `cpucompat::fleet` API.
//!
//! ```text
//! FleetCase(
//!     arch: Some("x86_64"),          // default: the architecture the inputs name
//!     cpu_map: Some("libvirt-11.3"), // default: the embedded 12.8 map
//!     qemu: Some("7.2"),             // default: QEMU's newest tables
//!     op: <Op>,
//!     expect: Text(r#"..."#) | Error("message"),
//! )
//!
//! Op := Place(guest: FILE, hosts: [FILE, ...], level: None | Some("v3"))
//!     | Migrate(guest: FILE, from: FILE, to: [FILE, ...], level: ..., tsc_frequency: bool)
//!     | Pool(hosts: [FILE, ...], level: ..., split: None | Some(K),
//!            add: [FILE, ...], remove: ["C3" | FILE, ...], guests: [FILE, ...])
//!     | Upgrade(from: "11.3", to: "12.8", guests: [FILE, ...], hosts: [FILE, ...])
//! ```
//!
//! Files are relative to `specs/cases`. The expected text is a digest of the library's
//! answer written by this checker (one line per host, class or model; rules with their
//! messages), compared exactly; `CPUCOMPAT_BLESS=1` rewrites it.
use crate::common::{expect_text, Case};
use cpucompat::fleet::{
    self, Fleet, PlaceOptions, Placement, PoolOptions, PoolReport, UpgradeCheck, WhatIf, X86Level,
};
use cpucompat::{Arch, CpuMap, Engine, Input, Qemu};
use serde::Deserialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
pub struct FleetCase {
    #[serde(default)]
    arch: Option<String>,
    #[serde(default)]
    cpu_map: Option<String>,
    #[serde(default)]
    qemu: Option<String>,
    op: Op,
    expect: Expect,
}

#[derive(Deserialize)]
pub enum Op {
    Place {
        guest: String,
        hosts: Vec<String>,
        #[serde(default)]
        level: Option<String>,
    },
    Migrate {
        guest: String,
        from: String,
        to: Vec<String>,
        #[serde(default)]
        level: Option<String>,
        #[serde(default)]
        tsc_frequency: bool,
    },
    Pool {
        hosts: Vec<String>,
        #[serde(default)]
        level: Option<String>,
        #[serde(default)]
        split: Option<usize>,
        #[serde(default)]
        add: Vec<String>,
        #[serde(default)]
        remove: Vec<String>,
        #[serde(default)]
        guests: Vec<String>,
    },
    Upgrade {
        from: String,
        to: String,
        #[serde(default)]
        guests: Vec<String>,
        #[serde(default)]
        hosts: Vec<String>,
    },
}

#[derive(Deserialize)]
pub enum Expect {
    Text(String),
    Error(String),
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/cases")
}

fn path(f: &str) -> PathBuf {
    root().join(f)
}

/// A name as the library gives it (an absolute path), relative to `specs/cases`.
fn rel(name: &str) -> String {
    name.replace(&format!("{}/", root().display()), "")
}

fn level(l: &Option<String>) -> Result<Option<X86Level>, String> {
    l.as_deref()
        .map(|t| X86Level::from_name(t).ok_or_else(|| format!("bad level {t}")))
        .transpose()
}

fn engine(case: &FleetCase, files: &[&String]) -> Result<Engine, String> {
    let arch = match &case.arch {
        Some(a) => Arch::from_name(a).ok_or_else(|| format!("bad arch {a}"))?,
        None => {
            let mut inputs: Vec<Input> = files.iter().map(|f| Input::path(path(f))).collect();
            cpucompat::detect_arch(&mut inputs)
                .map_err(|e| e.to_string())?
                .unwrap_or(Arch::X86)
        }
    };
    let mut b = Engine::builder(arch);
    if let Some(m) = &case.cpu_map {
        b = b.cpu_map(match m.as_str() {
            "libvirt-11.3" => CpuMap::Libvirt11_3,
            _ => CpuMap::Libvirt12_8,
        });
    }
    if let Some(q) = &case.qemu {
        b = b.qemu(Qemu::from_name(q).ok_or_else(|| format!("bad qemu {q}"))?);
    }
    b.build().map_err(|e| e.to_string())
}

fn read(engine: &Engine, files: &[String]) -> Result<Fleet, cpucompat::Error> {
    let inputs: Vec<Input> = files.iter().map(|f| Input::path(path(f))).collect();
    Fleet::read(engine, inputs)
}

fn run(case: &FleetCase) -> Result<String, cpucompat::Error> {
    let files: Vec<&String> = match &case.op {
        Op::Place { guest, hosts, .. } => std::iter::once(guest).chain(hosts).collect(),
        Op::Migrate {
            guest, from, to, ..
        } => [guest, from].into_iter().chain(to).collect(),
        Op::Pool { hosts, add, .. } => hosts.iter().chain(add).collect(),
        Op::Upgrade { guests, hosts, .. } => guests.iter().chain(hosts).collect(),
    };
    let arg = |m: String| cpucompat::Error::new(cpucompat::ErrorKind::Argument, m);
    let engine = match &case.op {
        Op::Upgrade { .. } => None,
        _ => Some(engine(case, &files).map_err(arg)?),
    };
    match &case.op {
        Op::Place {
            guest,
            hosts,
            level: l,
        } => {
            let engine = engine.as_ref().ok_or_else(|| arg("no engine".into()))?;
            let fleet = read(engine, hosts)?;
            let g = fleet.read_guest(Input::path(path(guest)))?;
            let opts = PlaceOptions {
                level: level(l).map_err(arg)?,
                tsc_frequency: false,
            };
            Ok(placement(&fleet::place(&g, &fleet, &opts)?))
        }
        Op::Migrate {
            guest,
            from,
            to,
            level: l,
            tsc_frequency,
        } => {
            let engine = engine.as_ref().ok_or_else(|| arg("no engine".into()))?;
            let source = engine.read_one(Input::path(path(from)))?;
            let g = engine
                .for_host(&source)?
                .read_one(Input::path(path(guest)))?;
            let fleet = read(engine, to)?;
            let opts = PlaceOptions {
                level: level(l).map_err(arg)?,
                tsc_frequency: *tsc_frequency,
            };
            Ok(placement(&fleet::migrate(&g, &source, &fleet, &opts)?))
        }
        Op::Pool {
            hosts,
            level: l,
            split,
            add,
            remove,
            guests,
        } => {
            let engine = engine.as_ref().ok_or_else(|| arg("no engine".into()))?;
            let before = read(engine, hosts)?;
            let mut after = before.clone();
            after.add_inputs(add.iter().map(|f| Input::path(path(f))).collect::<Vec<_>>())?;
            for r in remove {
                match fleet::ClassId::parse(r) {
                    Some(id) => after.remove_class(id)?,
                    None => after.remove_input(&path(r).display().to_string())?,
                };
            }
            let opts = PoolOptions {
                level: level(l).map_err(arg)?,
                split: *split,
                ..PoolOptions::default()
            };
            let report = PoolReport::new(&after, &opts)?;
            let mut s = String::new();
            if !add.is_empty() || !remove.is_empty() || !guests.is_empty() {
                let gs = guests
                    .iter()
                    .map(|g| before.read_guest(Input::path(path(g))))
                    .collect::<Result<Vec<_>, _>>()?;
                s.push_str(&what_if(&WhatIf::new(&before, &after, &gs)?));
            }
            s.push_str(&pool(&report));
            Ok(s)
        }
        Op::Upgrade {
            from,
            to,
            guests,
            hosts,
        } => {
            let side = |v: &str| -> Result<Engine, cpucompat::Error> {
                let arch = match &case.arch {
                    Some(a) => Arch::from_name(a).ok_or_else(|| arg(format!("bad arch {a}")))?,
                    None => Arch::X86,
                };
                let b = Engine::builder(arch);
                match v {
                    "11.3" => b.cpu_map(CpuMap::Libvirt11_3).build(),
                    "12.8" => b.cpu_map(CpuMap::Libvirt12_8).build(),
                    q => b
                        .qemu(Qemu::from_name(q).ok_or_else(|| arg(format!("bad version {q}")))?)
                        .build(),
                }
            };
            let gs: Vec<PathBuf> = guests.iter().map(|g| path(g)).collect();
            let hs: Vec<PathBuf> = hosts.iter().map(|h| path(h)).collect();
            Ok(upgrade(&fleet::upgrade_check(
                &side(from)?,
                &side(to)?,
                &gs,
                &hs,
            )?))
        }
    }
}

fn placement(p: &Placement) -> String {
    let mut s = String::new();
    let g = p.guest();
    let _ = write!(s, "guest: {}", g.mode);
    if let Some(m) = &g.model {
        let _ = write!(s, " {m}");
    }
    if let Some(l) = g.x86_level {
        let _ = write!(s, " (x86-64-{l})");
    }
    s.push('\n');
    if let Some(src) = p.source() {
        let state = if !src.starts {
            "does not start"
        } else if !src.reasons.is_empty() {
            "refuses to migrate it"
        } else {
            "starts"
        };
        let _ = writeln!(
            s,
            "source: {}: {state}",
            rel(src.name.as_deref().unwrap_or("-"))
        );
        for r in &src.reasons {
            let _ = writeln!(s, "  {r}");
        }
    }
    for w in p.warnings() {
        let _ = writeln!(s, "warning: {w}");
    }
    for t in p.targets() {
        for h in &t.hosts {
            let verdict = match (t.fits, t.verdict) {
                (true, Some(v)) => format!("fits ({v})"),
                (true, None) => "fits".to_string(),
                (false, _) => "no".to_string(),
            };
            let level = t
                .x86_level
                .map_or_else(String::new, |l| format!(" [x86-64-{l}]"));
            let _ = writeln!(s, "{}: {verdict}{level}", rel(&h));
            if !(t.reasons.len() == 1
                && matches!(t.reasons[0].rule.as_str(), "source" | "libvirt-invtsc"))
            {
                for r in &t.reasons {
                    let _ = writeln!(s, "  {r}");
                }
            }
        }
    }
    s
}

fn pool(r: &PoolReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} hosts in {} classes", r.hosts(), r.classes().len());
    match r.baseline() {
        Some(b) => {
            let _ = write!(s, "baseline: {}", b.model().unwrap_or("-"));
            if let Some(m) = b.compat_mode() {
                let _ = write!(s, " (compat mode {m})");
            }
            let _ = write!(s, ", {} features", b.features().len());
            if let Some(l) = b.x86_level() {
                let _ = write!(s, ", x86-64-{l}");
            }
            s.push('\n');
        }
        None => {
            let _ = writeln!(
                s,
                "baseline: none: {}",
                rel(r.baseline_error().unwrap_or("-"))
            );
        }
    }
    let _ = writeln!(
        s,
        "cluster mode: {}",
        r.cluster_mode().map_or("none", |c| c.model.as_str())
    );
    let held: Vec<String> = r.held_down_by().iter().map(|c| c.to_string()).collect();
    let _ = writeln!(s, "held down by: {}", held.join(" "));
    for c in r.classes() {
        let hosts: Vec<String> = c.hosts.iter().map(|h| rel(&h)).collect();
        let _ = writeln!(
            s,
            "{} [{}]: {}, {} features{}, runs {}",
            c.id,
            hosts.join(", "),
            c.model.as_deref().unwrap_or("-"),
            c.features,
            c.x86_level
                .map_or_else(String::new, |l| format!(", x86-64-{l}")),
            c.runs.as_deref().unwrap_or("-")
        );
        if let Some(m) = &c.below_level {
            let _ = writeln!(s, "  below the level, lacks: {}", m.join(", "));
        }
        if let Some(w) = &c.without {
            if !w.gained.is_empty() {
                let _ = writeln!(
                    s,
                    "  without it +{}: {}",
                    w.gained.len(),
                    w.gained.join(", ")
                );
            }
            if let Some(m) = &w.cluster_mode {
                let _ = writeln!(s, "  without it the cluster mode is {m}");
            }
            if let Some(e) = &w.baseline_error {
                let _ = writeln!(s, "  without it still no baseline: {}", rel(e));
            }
            if !w.blocks.is_empty() {
                let _ = writeln!(s, "  it alone blocks: {}", w.blocks.join(", "));
            }
        }
    }
    if let Some(sp) = r.split() {
        let _ = writeln!(
            s,
            "split {} ({}):",
            sp.k,
            if sp.exact { "exact" } else { "heuristic" }
        );
        for p in &sp.pools {
            let ids: Vec<String> = p.classes.iter().map(|c| c.to_string()).collect();
            let base = match &p.baseline {
                Some(b) => format!(
                    "{} ({} features)",
                    b.model().unwrap_or("-"),
                    b.features().len()
                ),
                None => format!("none: {}", p.baseline_error.as_deref().unwrap_or("-")),
            };
            let _ = writeln!(s, "  {}: {base}", ids.join(" "));
        }
    }
    if let Some(p) = r.platforms() {
        let _ = writeln!(s, "runs everywhere: {}", p.runs_everywhere);
        if let Some(n) = &p.nova {
            let _ = writeln!(s, "nova cpu_models: {}", n.cpu_models.join(","));
            let _ = writeln!(
                s,
                "nova cpu_model_extra_flags: {}",
                n.cpu_model_extra_flags.join(",")
            );
        }
        if let Some(k) = &p.kubevirt {
            if let Some(w) = &k.warning {
                let _ = writeln!(s, "kubevirt warning: {w}");
            }
        }
        s.push_str(&p.libvirt);
    }
    s
}

fn what_if(w: &WhatIf) -> String {
    let mut s = String::new();
    let side = |p: &fleet::PoolSummary| {
        format!(
            "{} hosts, {} classes, baseline {} ({} features), cluster mode {}",
            p.hosts,
            p.classes,
            p.baseline_model.as_deref().unwrap_or("none"),
            p.features.len(),
            p.cluster_mode.as_deref().unwrap_or("none")
        )
    };
    let _ = writeln!(s, "before: {}", side(&w.before));
    let _ = writeln!(s, "after: {}", side(&w.after));
    let ids = |v: &[fleet::ClassId]| {
        v.iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = writeln!(
        s,
        "new classes: {}; gone: {}",
        ids(&w.new_classes),
        ids(&w.gone_classes)
    );
    let _ = writeln!(s, "gained: {}", w.gained.join(", "));
    let _ = writeln!(s, "lost: {}", w.lost.join(", "));
    for g in &w.guests {
        let _ = writeln!(
            s,
            "guest {}: {} (starts {} → {}, targets {} → {})",
            rel(g.name.as_deref().unwrap_or("-")),
            g.status,
            g.before.starts,
            g.after.starts,
            g.before.targets,
            g.after.targets
        );
    }
    s.push_str("--\n");
    s
}

fn upgrade(u: &UpgradeCheck) -> String {
    let mut s = String::new();
    let c = &u.catalogs;
    let _ = writeln!(s, "{} → {}", c.from, c.to);
    for m in &c.changed {
        let _ = writeln!(
            s,
            "changed {}: +[{}] -[{}]",
            m.model,
            m.added.join(", "),
            m.removed.join(", ")
        );
        for d in &m.details {
            let _ = writeln!(s, "  {d}");
        }
    }
    let _ = writeln!(s, "added: {}", c.added.join(", "));
    let _ = writeln!(s, "dropped: {}", c.dropped.join(", "));
    for g in &u.guests {
        let after = g.after.map_or_else(
            || "-".to_string(),
            |r| format!("{}/{}", r.starts, r.targets),
        );
        let _ = writeln!(
            s,
            "guest {}: {} (starts/targets {}/{} → {after})",
            rel(&g.name),
            g.status,
            g.before.starts,
            g.before.targets
        );
        if let Some(e) = &g.invalid_after {
            let _ = writeln!(s, "  invalid after: {}", rel(e));
        }
        if !g.features_added.is_empty() || !g.features_removed.is_empty() {
            let _ = writeln!(
                s,
                "  features +[{}] -[{}]",
                g.features_added.join(", "),
                g.features_removed.join(", ")
            );
        }
        for h in &g.lost_hosts {
            let why: Vec<String> = h.reasons.iter().map(|r| r.to_string()).collect();
            let _ = writeln!(s, "  lost {}: {}", rel(&h.host), why.join("; "));
        }
        for h in &g.gained_hosts {
            let _ = writeln!(s, "  gained {}", rel(h));
        }
    }
    s
}

pub fn check(case: &Case) -> Result<(), String> {
    let c: FleetCase = case.ron()?;
    let got = run(&c);
    match (&c.expect, got) {
        (Expect::Text(want), Ok(text)) => expect_text(case, want, &text),
        (Expect::Error(want), Err(e)) => {
            let msg = rel(&e.to_string());
            expect_text(case, want, &msg)
        }
        (Expect::Text(_), Err(e)) => Err(format!("expected a result, got error: {e}")),
        (Expect::Error(want), Ok(text)) => Err(format!("expected error {want}, got:\n{text}")),
    }
}
