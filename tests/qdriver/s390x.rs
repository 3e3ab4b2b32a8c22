//! s390x: libvirt 11.3's QEMU driver for `qemu-system-s390x` (QEMU 7.2, TCG, on this
//! x86_64 host): `virsh hypervisor-cpu-baseline` and `hypervisor-cpu-compare --arch s390x
//! --virttype qemu`. Each baseline starts a QMP helper QEMU in the daemon (about 2 s of
//! mostly waiting).
//!
//! Inputs libvirtd 11.3 crashes on (one CPU whose features QEMU refuses) are answered by
//! the library with an error whose libvirt text is the client's view of the crash ("End of
//! file while reading data"); [`ours`] reports them as `Err` and they are never sent.
use super::{print_baseline, print_compare, warnings, Cmd, Outcome, Rng};
use crate::support::s390x::Names;
use cpucompat::{Accel, BaselineOptions, Engine, Hypervisor, Input};
use serde_json::{json, Value};
use std::path::Path;

/// One virsh call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub cmd: Cmd,
    pub flags: Vec<String>,
    pub input: String,
    pub label: String,
}

impl Case {
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// virsh's arguments, without the file.
    pub fn virsh_args(&self) -> Vec<String> {
        let mut v: Vec<String> = [self.cmd.virsh(), "--arch", "s390x", "--virttype", "qemu"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(self.flags.iter().cloned());
        v
    }
}

/// The s390x engine of QEMU 7.2's tables (what the cache's QEMU is).
pub fn engine_7_2() -> Engine {
    Engine::builder(cpucompat::Arch::S390x)
        .qemu(cpucompat::Qemu::V7_2)
        .build()
        .expect("the 7.2 tables")
}

/// The TCG accelerator of an s390x cache written on this (x86_64) host.
pub fn host<'e>(engine: &'e Engine, cache: &str) -> Hypervisor<'e> {
    engine
        .hypervisor(
            Input::from_text("s390x.qemucaps.xml", cache.to_string()),
            Some(Accel::Tcg),
        )
        .expect("an s390x hypervisor")
}

/// The libvirt text of the library's "libvirtd 11.3 crashes on this input" answer.
pub const CRASH: &str = "End of file while reading data";

/// What our side answers: the outcome, or `Err` (the library's message) when the input
/// would crash libvirtd 11.3 (never sent to virsh).
pub fn ours(host: &Hypervisor<'_>, case: &Case) -> Result<Outcome, String> {
    let cpus = match cpucompat::xml::parse_cpus(&case.input) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::new(1, "", &format!("error: XML error: {e}"))),
    };
    let warn = warnings(&cpus);
    let input = || Input::from_text(super::FILE, case.input.clone());
    Ok(match case.cmd {
        Cmd::Compare => print_compare(host.compare(input()), false, &warn),
        Cmd::Baseline => {
            let opts = BaselineOptions {
                expand_features: case.has("--features"),
                migratable: case.has("--migratable"),
            };
            let r = host.baseline([input()], &opts);
            if let Err(e) = &r {
                if e.libvirt_message().is_some_and(|m| m.starts_with(CRASH)) {
                    return Err(e.to_string());
                }
            }
            print_baseline(r, &warn)
        }
    })
}

/// Equal, or both XML parse errors (libvirt's parser words them differently).
pub fn agree(theirs: &Outcome, mine: &Outcome) -> bool {
    if theirs == mine {
        return true;
    }
    let parse_error = |o: &Outcome| o.exit == 1 && o.stderr.contains("XML error");
    parse_error(theirs) && parse_error(mine)
}

const POLICIES: [Option<&str>; 6] = [
    Some("require"),
    Some("disable"),
    Some("force"),
    Some("forbid"),
    Some("optional"),
    None,
];

/// The names a model may switch on, in QEMU's walk order (whole groups first), then every
/// single feature of it; empty for a name the engine does not know.
fn inside(engine: &Engine, names: &Names, model: &str) -> Vec<String> {
    let Ok(cpu) = engine.parse(&format!("<cpu><model>{model}</model></cpu>")) else {
        return Vec::new();
    };
    let (Ok(mut ceiling), Ok(point)) = (engine.ceiling(&cpu), engine.point(&cpu)) else {
        return Vec::new();
    };
    if model == "qemu" {
        // QEMU lets the qemu model enable whatever the TCG max model has.
        ceiling |= point.features;
    }
    let features = engine.feature_names(&ceiling);
    let mut out = names.compressed(&features);
    out.extend(features);
    out
}

/// `n` generated pools of 1–4 CPUs named from QEMU's list with 0–3 features or groups
/// (mostly within the model's full set), each baselined plain and with `--features`, and
/// one compare per pool.
pub fn cases(engine: &Engine, host: &Hypervisor<'_>, seed: u64, n: usize) -> Vec<Case> {
    let names: Vec<String> = host.definitions().into_iter().map(|d| d.0).collect();
    let catalog = Names::load("7.2", engine);
    let all_toggles = catalog.toggles();
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    for i in 0..n {
        let size = 1 + rng.below(4);
        let mut text = String::new();
        let maxphys = rng.chance(10);
        for _ in 0..size {
            let name = names[rng.below(names.len())].clone();
            let inside = inside(engine, &catalog, &name);
            let mut cpu = format!("<cpu>\n  <model>{name}</model>\n");
            if maxphys && rng.chance(90) {
                cpu.push_str(&format!(
                    "  <maxphysaddr mode='passthrough' limit='{}'/>\n",
                    36 + rng.below(17)
                ));
            }
            let mut used: Vec<String> = Vec::new();
            for _ in 0..rng.below(4) {
                let f = if !inside.is_empty() && rng.chance(85) {
                    inside[rng.below(inside.len())].clone()
                } else {
                    all_toggles[rng.below(all_toggles.len())].clone()
                };
                if used.contains(&f) {
                    continue;
                }
                let policy = if rng.chance(60) {
                    Some("require")
                } else {
                    POLICIES[rng.below(POLICIES.len())]
                };
                match policy {
                    Some(p) => cpu.push_str(&format!("  <feature policy='{p}' name='{f}'/>\n")),
                    None => cpu.push_str(&format!("  <feature name='{f}'/>\n")),
                }
                used.push(f);
            }
            cpu.push_str("</cpu>\n");
            text.push_str(&cpu);
        }
        for flags in [vec![], vec!["--features".to_string()]] {
            out.push(Case {
                cmd: Cmd::Baseline,
                flags,
                input: text.clone(),
                label: format!("pool #{i}"),
            });
        }
        out.push(Case {
            cmd: Cmd::Compare,
            flags: vec![],
            input: text,
            label: format!("pool #{i}"),
        });
    }
    out
}

/// Hand-written pools for the rules' edges (reference examples), baselined plain and with
/// `--features`, compared once.
pub const EDGE: &[&str] = &[
    "<cpu><model>z13</model></cpu>\n<cpu><model>z14</model></cpu>",
    "<cpu><model>z13</model><feature policy='disable' name='dfppc'/></cpu>",
    "<cpu><model>z13</model><feature policy='disable' name='km-dea'/></cpu>\n<cpu><model>z13</model></cpu>",
    "<cpu><model>z13</model><feature policy='disable' name='dfppc'/></cpu>\n<cpu><model>z13</model></cpu>",
    "<cpu><model>z14</model><feature policy='disable' name='vx'/></cpu>\n<cpu><model>gen15a</model></cpu>",
    "<cpu><model>z13-base</model><feature name='vx'/><feature name='msa5'/></cpu>",
    "<cpu><model>z9BC-base</model></cpu>\n<cpu><model>z13</model><feature policy='require' name='exrl'/></cpu>",
    "<cpu><model>z13</model></cpu>\n<cpu mode='host-model'/>",
    "<cpu><model>nosuch</model></cpu>",
    "<cpu><model>qemu</model></cpu>\n<cpu><model>max</model></cpu>",
    "<cpu mode='host-passthrough'/>",
    "<cpu><model>gen16a</model><maxphysaddr mode='passthrough' limit='40'/></cpu>\n\
     <cpu><model>gen15b</model><maxphysaddr mode='passthrough' limit='44'/></cpu>",
    "<cpu><model>z14</model><feature policy='require' name='nosuch-prop'/></cpu>\n<cpu><model>z13</model></cpu>",
];

/// The edge pools as cases.
pub fn edge_cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (i, input) in EDGE.iter().enumerate() {
        for flags in [vec![], vec!["--features".to_string()]] {
            out.push(Case {
                cmd: Cmd::Baseline,
                flags,
                input: format!("{input}\n"),
                label: format!("edge #{i}"),
            });
        }
        out.push(Case {
            cmd: Cmd::Compare,
            flags: vec![],
            input: format!("{input}\n"),
            label: format!("edge #{i}"),
        });
    }
    out
}

/// Every case the tests run: the edges, then 120 generated pools (seed 21).
pub fn all_cases(engine: &Engine, host: &Hypervisor<'_>) -> Vec<Case> {
    let mut all = edge_cases();
    all.extend(cases(engine, host, 21, 120));
    all
}

/// Writes cases and virsh's outcomes, one JSON line per case.
pub fn write_jsonl(path: &Path, cases: &[Case], outcomes: &[Outcome]) {
    let mut s = String::new();
    for (c, o) in cases.iter().zip(outcomes) {
        let v = json!({
            "cmd": c.cmd.name(),
            "flags": c.flags,
            "label": c.label,
            "input": c.input,
            "exit": o.exit,
            "stdout": o.stdout,
            "stderr": o.stderr,
        });
        s.push_str(&v.to_string());
        s.push('\n');
    }
    std::fs::write(path, s).expect("write recorded answers");
}

/// Reads recorded cases and outcomes.
pub fn read_jsonl(name: &str) -> Vec<(Case, Outcome)> {
    super::specs_file(name)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("a JSON line");
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (
                Case {
                    cmd: if s("cmd") == "compare" {
                        Cmd::Compare
                    } else {
                        Cmd::Baseline
                    },
                    flags: v["flags"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|f| f.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    input: s("input"),
                    label: s("label"),
                },
                Outcome {
                    exit: v["exit"].as_i64().unwrap_or(-1) as i32,
                    stdout: s("stdout"),
                    stderr: s("stderr"),
                },
            )
        })
        .collect()
}
