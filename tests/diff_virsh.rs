//! Differential test: `cpucompat baseline` against the real `virsh cpu-baseline`.
//!
//! Pools of real CPUs (the host `<cpu>` definitions libvirt decoded from 45 real CPUID
//! dumps, `specs/cases/x86/data/x86_64-cpuid-*-host.xml`) are generated from a fixed seed:
//! 2 to 4 distinct CPUs of one vendor, each CPU losing 1 to 3 random features half of the
//! time; 20 more pools mix vendors and drop `<vendor>` from random CPUs (libvirt's vendor
//! rules and its "CPU vendors do not match" failure). Every pool is baselined twice by each side, plain and with `--features`:
//!
//! ```text
//! virsh -c test:///default cpu-baseline [--features] POOL.xml
//! cpucompat baseline [--features] --cpu-map /usr/share/libvirt/cpu_map POOL.xml
//! ```
//!
//! and the answers must name the same model, vendor and fallback and the same set of
//! (feature, policy) pairs. Feature *order* is not compared: libvirt lists features in its
//! own `x86_features.xml` order, which differs between releases.
//!
//! Both sides use the cpu_map installed with virsh (Debian bookworm ships libvirt 9.0,
//! whose map differs from the 11.3 one the spec cases use), so the CPUs are first reduced to
//! what that map knows: a versioned model name of 11.3 that is a pure alias
//! (`Skylake-Server-v2` = `Skylake-Server-IBRS`, same data) is replaced by the name it
//! aliases, a CPU whose model has no such name is left out of the pools, and features the
//! map does not know are dropped (both printed). The test driver parses the inputs
//! as host CPUs and applies no QEMU feature filter; `cpucompat baseline` does neither either.
//!
//! Skips, printing why, when `virsh` or the cpu_map directory is absent (CI installs
//! `libvirt-clients` and `libvirt-daemon`).
mod support;

use cpucompat::xml::model::{CpuDef, Fallback};
use cpucompat::{Arch, CpuMap, Engine, Expansion};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use support::Rng;

const SEED: u64 = 0x6370_7563_6f6d_7061; // "cpucompa"
const POOLS: usize = 50;
/// Further pools that mix vendors and drop `<vendor>` elements, to exercise libvirt's
/// vendor rules (only the first CPU's explicit vendor counts; later CPUs' models stand in).
const EDGE_POOLS: usize = 20;
const CPU_MAP: &str = "/usr/share/libvirt/cpu_map";

/// A real CPU reduced to what the installed cpu_map knows.
#[derive(Clone)]
struct Host {
    label: String,
    model: String,
    vendor: Option<String>,
    features: Vec<String>,
}

impl Host {
    fn xml(&self) -> String {
        let mut s = format!(
            "<cpu>\n  <arch>x86_64</arch>\n  <model>{}</model>\n",
            self.model
        );
        if let Some(v) = &self.vendor {
            s.push_str(&format!("  <vendor>{v}</vendor>\n"));
        }
        for f in &self.features {
            s.push_str(&format!("  <feature name='{f}'/>\n"));
        }
        s.push_str("</cpu>\n");
        s
    }
}

/// What is compared of a baseline answer.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    model: Option<String>,
    vendor: Option<String>,
    fallback: Option<Fallback>,
    features: BTreeSet<(String, String)>,
}

fn answer(xml: &str) -> Result<Answer, String> {
    let cpus = cpucompat::xml::parse_cpus(xml).map_err(|e| format!("{e}\n{xml}"))?;
    let [cpu] = cpus.as_slice() else {
        return Err(format!("not one <cpu>:\n{xml}"));
    };
    Ok(summary(cpu))
}

fn summary(cpu: &CpuDef) -> Answer {
    Answer {
        model: cpu.model.as_ref().map(|m| m.name.clone()),
        vendor: cpu.vendor.clone(),
        fallback: cpu.model.as_ref().and_then(|m| m.fallback),
        features: cpu
            .features
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    f.policy.map(|p| p.as_str()).unwrap_or("").to_string(),
                )
            })
            .collect(),
    }
}

fn have_virsh() -> bool {
    Command::new("virsh")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The installed map as the library reads it, and its feature names.
struct Map {
    engine: Engine,
    features: BTreeSet<String>,
}

fn hosts(map: &Map) -> Vec<Host> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/cases/x86/data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("x86_64-cpuid-") && n.ends_with("-host.xml"))
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let label = f.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&f).unwrap();
        let cpus = cpucompat::xml::parse_cpus(&text).unwrap();
        let cpu = &cpus[0];
        let Some(model) = known_model(map, &cpu.model.as_ref().unwrap().name) else {
            eprintln!("  left out {label}: no model of {CPU_MAP} has its model's data");
            continue;
        };
        let (known, unknown): (Vec<String>, Vec<String>) = cpu
            .features
            .iter()
            .map(|f| f.name.clone())
            .partition(|n| map.features.contains(n));
        if !unknown.is_empty() {
            eprintln!("  {label}: dropped features unknown to {CPU_MAP}: {unknown:?}");
        }
        out.push(Host {
            label,
            model,
            vendor: cpu.vendor.clone(),
            features: known,
        });
    }
    out
}

/// The name under which the installed map knows a model of libvirt 11.3: the model itself,
/// or a model of the installed map with the same data (vendor and features, as
/// `Engine::expand` resolves them), as the one a versioned name (`Skylake-Server-v2`) is
/// a pure alias of.
fn known_model(map: &Map, name: &str) -> Option<String> {
    if map.engine.expand(name).is_ok() {
        return Some(name.to_string());
    }
    let new = Engine::builder(Arch::X86)
        .cpu_map(CpuMap::Libvirt11_3)
        .build()
        .ok()?;
    let data = |e: &Expansion| {
        (
            e.model().vendor().map(str::to_string),
            e.features().to_vec(),
        )
    };
    let want = data(&new.expand(name).ok()?);
    map.engine
        .models()
        .iter()
        .find(|m| map.engine.expand(m.name()).is_ok_and(|e| data(&e) == want))
        .map(|m| m.name().to_string())
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

#[test]
fn virsh_cpu_baseline_agrees_on_generated_pools() {
    if !have_virsh() {
        eprintln!(
            "skipped: `virsh` is not installed (apt-get install libvirt-clients libvirt-daemon)"
        );
        return;
    }
    let map = Path::new(CPU_MAP);
    if !map.join("index.xml").exists() {
        eprintln!("skipped: {CPU_MAP}/index.xml is absent (apt-get install libvirt-daemon)");
        return;
    }
    let engine = Engine::builder(Arch::X86)
        .cpu_map(CpuMap::Dir(map.to_path_buf()))
        .build()
        .unwrap();
    let features = engine.all_features().into_iter().collect();
    let all = hosts(&Map { engine, features });
    let mut by_vendor: BTreeMap<String, Vec<Host>> = BTreeMap::new();
    for h in all {
        by_vendor
            .entry(h.vendor.clone().unwrap_or_default())
            .or_default()
            .push(h);
    }
    let vendors: Vec<&Vec<Host>> = by_vendor.values().filter(|v| v.len() >= 2).collect();
    let everyone: Vec<Host> = by_vendor.values().flatten().cloned().collect();
    assert!(!vendors.is_empty(), "no vendor has two usable CPUs");

    let tmp = std::env::temp_dir().join(format!("cpucompat-diff-virsh-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut rng = Rng(SEED);
    let (mut runs, mut equal, mut both_failed) = (0usize, 0usize, 0usize);
    let mut models: BTreeMap<String, usize> = BTreeMap::new();
    let mut differences = Vec::new();
    for pool in 0..POOLS + EDGE_POOLS {
        let edge = pool >= POOLS;
        let group = if edge {
            &everyone
        } else {
            vendors[rng.below(vendors.len())]
        };
        let n = if edge {
            2 + rng.below(2)
        } else {
            (2 + rng.below(3)).min(group.len())
        };
        let mut picked: Vec<usize> = Vec::new();
        while picked.len() < n {
            let i = rng.below(group.len());
            if !picked.contains(&i) {
                picked.push(i);
            }
        }
        let mut text = String::new();
        let mut labels = Vec::new();
        for &i in &picked {
            let mut h = group[i].clone();
            if edge && rng.below(2) == 0 {
                h.vendor = None;
            }
            if rng.below(2) == 0 && !h.features.is_empty() {
                for _ in 0..1 + rng.below(3) {
                    if h.features.is_empty() {
                        break;
                    }
                    let k = rng.below(h.features.len());
                    h.features.remove(k);
                }
            }
            labels.push(format!(
                "{} ({} features{})",
                h.label,
                h.features.len(),
                if h.vendor.is_none() {
                    ", no vendor"
                } else {
                    ""
                }
            ));
            text.push_str(&h.xml());
        }
        let file = tmp.join(format!("pool-{pool:02}.xml"));
        std::fs::write(&file, &text).unwrap();
        for expand in [false, true] {
            runs += 1;
            let mut virsh = Command::new("virsh");
            virsh.args(["-c", "test:///default", "cpu-baseline"]);
            let mut ours = Command::new(env!("CARGO_BIN_EXE_cpucompat"));
            ours.args(["baseline", "--cpu-map", CPU_MAP]);
            if expand {
                virsh.arg("--features");
                ours.arg("--features");
            }
            virsh.arg(&file);
            ours.arg(&file);
            let theirs = run(&mut virsh).map(|x| answer(&x));
            let mine = run(&mut ours).map(|x| answer(&x));
            let same = match (&theirs, &mine) {
                (Ok(Ok(a)), Ok(Ok(b))) => {
                    *models
                        .entry(a.model.clone().unwrap_or_default())
                        .or_default() += 1;
                    a == b
                }
                // Both fail, for the same reason: virsh prints libvirt's message after
                // "error: operation failed: ", cpucompat after "cpucompat: error: " and
                // the file and position of the CPU where the fold failed.
                (Err(v), Err(c)) => {
                    both_failed += 1;
                    let reason = c.strip_prefix("cpucompat: error: ").unwrap_or(c);
                    let reason = match reason.split_once(".xml:") {
                        Some((_, rest)) => rest.split_once(": ").map_or(rest, |(_, m)| m),
                        None => reason,
                    };
                    v.contains(reason)
                }
                _ => false,
            };
            if same {
                equal += 1;
            } else {
                differences.push(format!(
                    "pool {pool} (--features: {expand}) {labels:?}\n  virsh:     {theirs:?}\n  cpucompat: {mine:?}"
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    eprintln!(
        "virsh differential: {} pools, {runs} baselines, {equal} equal ({both_failed} of \
         them failing on both sides), {} different; result models: {models:?}",
        POOLS + EDGE_POOLS,
        differences.len()
    );
    assert!(
        differences.is_empty(),
        "{} of {runs} baselines differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
