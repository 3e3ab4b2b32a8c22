//! The s390x QEMU-driver oracle and case generator, shared by the live differential test
//! (`diff_qemu_driver.rs`) and the offline replay (`qemu_driver.rs`).
//!
//! A [`Case`] is one `virsh hypervisor-cpu-baseline` or `hypervisor-cpu-compare` call
//! (`--arch s390x --virttype qemu`) on a file named `cpu.xml`; [`virsh`] runs cases
//! through `virsh -c qemu:///system` on a thread pool (each baseline starts a QMP helper
//! QEMU in the daemon, about 2 s of mostly waiting); [`ours`] computes them with
//! `cpucompat_s390x::hypervisor` and prints them as virsh does. Outcomes are exit status,
//! stdout and stderr with surrounding blank space trimmed.
//!
//! virsh's printing: baseline `error: MSG` (exit 1) or the `<cpu>` (exit 0); compare
//! `error: Failed to compare hypervisor CPU with cpu.xml` + `error: MSG`; a CPU with a
//! `<feature>` without `policy=` first gets `error: using host CPU definition as input may
//! provide incorrect results` (a warning).
#![allow(dead_code)]
use cpucompat_s390x::hypervisor::{self, BaselineOptions, HypervisorError, S390Host};
use cpucompat_s390x::Engine;
use cpucompat_xml::qemucaps;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub const FILE: &str = "cpu.xml";
const WARNING: &str = "error: using host CPU definition as input may provide incorrect results";

/// splitmix64.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    Compare,
    Baseline,
}

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

    fn virsh_args(&self) -> Vec<String> {
        let mut v: Vec<String> = [
            "-c",
            "qemu:///system",
            match self.cmd {
                Cmd::Compare => "hypervisor-cpu-compare",
                Cmd::Baseline => "hypervisor-cpu-baseline",
            },
            "--arch",
            "s390x",
            "--virttype",
            "qemu",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(self.flags.iter().cloned());
        v.push(FILE.into());
        v
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub exit: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    pub fn new(exit: i32, stdout: &str, stderr: &str) -> Outcome {
        Outcome {
            exit,
            stdout: stdout.trim().into(),
            stderr: stderr.trim().into(),
        }
    }
}

/// Why virsh cannot be asked, if it cannot.
pub fn virsh_unavailable() -> Option<String> {
    match Command::new("virsh")
        .args(["-c", "qemu:///system", "version"])
        .output()
    {
        Err(e) => Some(format!("`virsh` is not runnable: {e}")),
        Ok(o) if !o.status.success() => Some(format!(
            "`virsh -c qemu:///system version` failed (start the daemon: `libvirtd -d`): {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Ok(o) => {
            let v = String::from_utf8_lossy(&o.stdout);
            (!v.contains("libvirt 11.3.")).then(|| format!("not libvirt 11.3: {}", v.trim()))
        }
    }
}

/// Runs the cases through virsh, `threads` at a time.
pub fn virsh(cases: &[Case], threads: usize) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; cases.len()]);
    // One directory per call: the tests of one binary run at the same time.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::SeqCst);
    let base = std::env::temp_dir().join(format!(
        "cpucompat-s390x-qdriver-{}-{call}",
        std::process::id()
    ));
    std::thread::scope(|s| {
        for w in 0..threads.max(1) {
            let dir = base.join(format!("w{w}"));
            let (next, out) = (&next, &out);
            s.spawn(move || {
                std::fs::create_dir_all(&dir).expect("temp dir");
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(i) else { break };
                    std::fs::write(dir.join(FILE), &case.input).expect("write input");
                    let o = Command::new("virsh")
                        .args(case.virsh_args())
                        .current_dir(&dir)
                        .output()
                        .expect("run virsh");
                    let outcome = Outcome::new(
                        o.status.code().unwrap_or(-1),
                        &String::from_utf8_lossy(&o.stdout),
                        &String::from_utf8_lossy(&o.stderr),
                    );
                    out.lock().expect("lock")[i] = Some(outcome);
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&base);
    out.into_inner()
        .expect("lock")
        .into_iter()
        .map(|o| o.expect("every case ran"))
        .collect()
}

/// The capabilities cache libvirtd wrote for `emulator`, if readable.
pub fn live_cache(emulator: &str) -> Option<PathBuf> {
    let dir = Path::new("/var/cache/libvirt/qemu/capabilities");
    let needle = format!("<emulator>{emulator}</emulator>");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    entries
        .into_iter()
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(&needle)))
}

/// The TCG accelerator of an s390x cache written on an x86_64 host.
pub fn host(cache_text: &str) -> S390Host {
    let caps = qemucaps::parse_qemu_caps(cache_text).expect("the cache parses");
    S390Host::new(&caps, qemucaps::Accel::Tcg, "x86_64", None).expect("an s390x host")
}

/// What our side predicts: the outcome, or `Err` when the input would crash libvirtd 11.3
/// (never sent to virsh).
pub fn ours(host: &S390Host, case: &Case) -> Result<Outcome, HypervisorError> {
    let cpus = match cpucompat_xml::parse_cpus(&case.input) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::new(1, "", &format!("error: XML error: {e}"))),
    };
    let mut err = String::new();
    for c in &cpus {
        if c.features.iter().any(|f| f.policy.is_none()) {
            err.push_str(WARNING);
            err.push('\n');
        }
    }
    Ok(match case.cmd {
        Cmd::Compare => match hypervisor::hypervisor_compare(host, &cpus[0]) {
            Err(e) => Outcome::new(
                1,
                "",
                &format!(
                    "{err}error: Failed to compare hypervisor CPU with {FILE}\nerror: {}",
                    e.libvirt_text()
                ),
            ),
            Ok(cpucompat_lattice::Relation::Identical) => Outcome::new(
                0,
                &format!("CPU described in {FILE} is identical to the CPU provided by hypervisor on the host"),
                &err,
            ),
            Ok(cpucompat_lattice::Relation::Superset) => Outcome::new(
                0,
                &format!("The CPU provided by hypervisor on the host is a superset of CPU described in {FILE}"),
                &err,
            ),
            Ok(_) => Outcome::new(
                1,
                &format!("CPU described in {FILE} is incompatible with the CPU provided by hypervisor on the host"),
                &err,
            ),
        },
        Cmd::Baseline => {
            let opts = BaselineOptions {
                expand_features: case.has("--features"),
                migratable: case.has("--migratable"),
            };
            match hypervisor::hypervisor_baseline(host, &cpus, &opts) {
                Err(e @ HypervisorError::Invalid { .. }) => return Err(e),
                Err(e) => Outcome::new(1, "", &format!("{err}error: {}", e.libvirt_text())),
                Ok(cpu) => {
                    let limits = qemucaps::maxphysaddr_limits(&case.input).expect("parsed");
                    Outcome::new(
                        0,
                        &qemucaps::write_cpu_with_maxphysaddr(
                            &cpu,
                            qemucaps::baseline_maxphysaddr(&limits),
                        ),
                        &err,
                    )
                }
            }
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

/// `n` generated pools of 1–4 CPUs named from QEMU's list with 0–3 features or groups
/// (mostly within the model's full set), each baselined plain and with `--features`, and
/// one compare per pool.
pub fn cases(host: &S390Host, seed: u64, n: usize) -> Vec<Case> {
    let engine: Engine<'static> = host.engine().expect("engine");
    let cat = engine.catalog();
    let names = host.names();
    let mut rng = Rng(seed);
    let all_toggles: Vec<String> = cat
        .features()
        .iter()
        .map(|f| f.name.clone())
        .chain(cat.groups().iter().map(|g| g.name.clone()))
        .collect();
    let mut out = Vec::new();
    for i in 0..n {
        let size = 1 + rng.below(4);
        let mut text = String::new();
        let maxphys = rng.chance(10);
        for _ in 0..size {
            let name = names[rng.below(names.len())].clone();
            let inside: Vec<String> = match engine.resolve(&name) {
                Ok(r) => engine
                    .names(&r.ceiling)
                    .into_iter()
                    .map(str::to_string)
                    .chain(r.ceiling.iter().map(|b| cat.feature(b).name.clone()))
                    .collect(),
                Err(_) => Vec::new(),
            };
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

/// Writes cases and virsh's outcomes, one JSON line per case.
pub fn write_jsonl(path: &Path, cases: &[Case], outcomes: &[Outcome]) {
    let mut s = String::new();
    for (c, o) in cases.iter().zip(outcomes) {
        let v = json!({
            "cmd": if c.cmd == Cmd::Compare { "compare" } else { "baseline" },
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
pub fn read_jsonl(path: &Path) -> Vec<(Case, Outcome)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
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

pub fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/qemu-driver")
}
