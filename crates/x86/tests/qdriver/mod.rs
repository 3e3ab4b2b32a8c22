//! The QEMU-driver oracle and the case generator, shared by the live differential test
//! (`diff_qemu_driver.rs`) and the offline replay of recorded answers (`qemu_driver.rs`).
//!
//! * [`Case`]: one `virsh hypervisor-cpu-compare` or `hypervisor-cpu-baseline` call: the
//!   command, `--virttype`, the flags and the input file's text. The file is always named
//!   `cpu.xml` (virsh quotes it in its messages).
//! * [`virsh`]: runs a case through `virsh -c qemu:///system` (a thread pool, since each
//!   call mostly waits on the daemon); [`ours`]: computes it with the adapter from a
//!   capabilities cache and renders it as virsh prints it. Both give an [`Outcome`]:
//!   exit status, stdout and stderr with surrounding blank space trimmed.
//! * [`compare_cases`], [`baseline_cases`]: the generated inputs (fixed seeds), built from
//!   the catalog and the hypervisor's own lists (host-model features, blockers).
//! * [`write_jsonl`]/[`read_jsonl`]: the recorded answers in `specs/qemu-driver/`.
//!
//! How virsh prints (libvirt 11.3), `FILE` as given:
//!
//! ```text
//! compare ok:    stdout "CPU described in FILE is identical to the CPU provided by
//!                hypervisor on the host" | "The CPU provided by hypervisor on the host is
//!                a superset of CPU described in FILE"                            exit 0
//! incompatible:  stdout "CPU described in FILE is incompatible with the CPU provided by
//!                hypervisor on the host"                                         exit 1
//! --error:       stderr "error: Failed to compare hypervisor CPU with FILE"
//!                       "error: the CPU is incompatible with host CPU: DETAIL"   exit 1
//! errors:        compare: "error: Failed to compare hypervisor CPU with FILE" + "error: MSG";
//!                baseline: "error: MSG"                                          exit 1
//! warning:       stderr "error: using host CPU definition as input may provide incorrect
//!                results", once per CPU of the file with a <feature> without policy=,
//!                before anything else (it is not an error)
//! ```
#![allow(dead_code)]
use cpucompat_catalog::Compiled;
use cpucompat_x86::{HypervisorBaselineOptions, QemuHost, X86};
use cpucompat_xml::qemucaps::{self, Accel};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The input file name every case uses.
pub const FILE: &str = "cpu.xml";

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

    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Which virsh command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    Compare,
    Baseline,
}

/// One virsh call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub cmd: Cmd,
    /// `kvm` or `qemu`.
    pub virttype: String,
    /// `--error`, `--features`, `--migratable`.
    pub flags: Vec<String>,
    /// The text of `cpu.xml`.
    pub input: String,
    /// Where the case came from (for messages).
    pub label: String,
}

impl Case {
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    fn virsh_args(&self) -> Vec<String> {
        let mut v = vec![
            "-c".to_string(),
            "qemu:///system".to_string(),
            match self.cmd {
                Cmd::Compare => "hypervisor-cpu-compare",
                Cmd::Baseline => "hypervisor-cpu-baseline",
            }
            .to_string(),
            "--virttype".to_string(),
            self.virttype.clone(),
            "--arch".to_string(),
            "x86_64".to_string(),
        ];
        v.extend(self.flags.iter().cloned());
        v.push(FILE.to_string());
        v
    }
}

/// What a run printed, blank space around stdout and stderr trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub exit: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    fn new(exit: i32, stdout: &str, stderr: &str) -> Outcome {
        Outcome {
            exit,
            stdout: stdout.trim().to_string(),
            stderr: stderr.trim().to_string(),
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
            if !v.contains("libvirt 11.3.") {
                return Some(format!("not libvirt 11.3: {}", v.trim()));
            }
            None
        }
    }
}

/// Runs every case through virsh, `threads` at a time, in a private temporary directory
/// per worker; the outcomes in case order.
pub fn virsh(cases: &[Case], threads: usize) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; cases.len()]);
    // One directory per call: the tests of one binary run at the same time.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::SeqCst);
    let base =
        std::env::temp_dir().join(format!("cpucompat-qdriver-{}-{call}", std::process::id()));
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

/// The two accelerators of an x86 cache, as [`QemuHost`]s on an x86_64 host.
pub fn hosts(x86: &X86, cache_text: &str) -> Vec<(String, QemuHost)> {
    let caps = qemucaps::parse_qemu_caps(cache_text).expect("the cache parses");
    [Accel::Kvm, Accel::Tcg]
        .into_iter()
        .map(|a| {
            (
                a.virttype().to_string(),
                x86.qemu_host(&caps, a, "x86_64", None).expect("a host"),
            )
        })
        .collect()
}

const WARNING: &str = "error: using host CPU definition as input may provide incorrect results";

/// virsh's own input rule (`vshExtractCPUDefXMLs`): the file holds `<cpu>` elements at
/// top level, or is a domain, capabilities or domain capabilities document. cpucompat's
/// reader also takes wrapper elements (`<cpuTest>`, `<cpus>`); virsh refuses them.
pub fn virsh_refuses(input: &str) -> Option<Outcome> {
    let mut rest = input.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("<?") {
            rest = r.split_once("?>").map_or("", |(_, t)| t);
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.split_once("-->").map_or("", |(_, t)| t);
        } else {
            break;
        }
    }
    let name: String = rest
        .strip_prefix('<')
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
        .collect();
    if matches!(
        name.as_str(),
        "cpu" | "domain" | "capabilities" | "domainCapabilities"
    ) {
        return None;
    }
    Some(Outcome::new(
        1,
        "",
        &format!(
            "error: File '{FILE}' does not contain any <cpu> element or valid domain XML, \
             host capabilities XML, or domain capabilities XML"
        ),
    ))
}

/// The case computed by the adapter and printed as virsh prints it.
pub fn ours(x86: &X86, host: &QemuHost, case: &Case) -> Outcome {
    if let Some(refused) = virsh_refuses(&case.input) {
        return refused;
    }
    let mut err = String::new();
    let cpus = match cpucompat_xml::parse_cpus(&case.input) {
        Ok(c) => c,
        Err(e) => {
            let prefix = if case.cmd == Cmd::Compare {
                format!("error: Failed to compare hypervisor CPU with {FILE}\n")
            } else {
                String::new()
            };
            return Outcome::new(1, "", &format!("{prefix}error: XML error: {e}"));
        }
    };
    for c in &cpus {
        if c.features.iter().any(|f| f.policy.is_none()) {
            err.push_str(WARNING);
            err.push('\n');
        }
    }
    match case.cmd {
        Cmd::Compare => {
            let fail = |msg: String| {
                Outcome::new(
                    1,
                    "",
                    &format!(
                        "{err}error: Failed to compare hypervisor CPU with {FILE}\nerror: {msg}"
                    ),
                )
            };
            match x86.hypervisor_compare(host, &cpus[0]) {
                Err(e) => fail(e.libvirt_text()),
                Ok(r) => {
                    let c = r.comparison;
                    match c.verdict() {
                        cpucompat_x86::Verdict::Incompatible if case.has("--error") => {
                            let detail = match c.reasons().first() {
                                Some(r) => format!(": {}", r.message()),
                                None => String::new(),
                            };
                            fail(format!("the CPU is incompatible with host CPU{detail}"))
                        }
                        cpucompat_x86::Verdict::Incompatible => Outcome::new(
                            1,
                            &format!("CPU described in {FILE} is incompatible with the CPU provided by hypervisor on the host"),
                            &err,
                        ),
                        cpucompat_x86::Verdict::Identical => Outcome::new(
                            0,
                            &format!("CPU described in {FILE} is identical to the CPU provided by hypervisor on the host"),
                            &err,
                        ),
                        _ => Outcome::new(
                            0,
                            &format!("The CPU provided by hypervisor on the host is a superset of CPU described in {FILE}"),
                            &err,
                        ),
                    }
                }
            }
        }
        Cmd::Baseline => {
            let opts = HypervisorBaselineOptions {
                expand_features: case.has("--features"),
                migratable: case.has("--migratable"),
            };
            let limits = qemucaps::maxphysaddr_limits(&case.input).expect("parsed once already");
            match x86.hypervisor_baseline(host, &cpus, &opts) {
                Err(e) => Outcome::new(1, "", &format!("{err}error: {}", e.libvirt_text())),
                Ok(cpu) => Outcome::new(
                    0,
                    &qemucaps::write_cpu_with_maxphysaddr(
                        &cpu,
                        qemucaps::baseline_maxphysaddr(&limits),
                    ),
                    &err,
                ),
            }
        }
    }
}

/// Whether two outcomes agree: equal, or both XML parse errors (libvirt's parser words
/// them differently; the generated inputs are well-formed, the corpus ones too).
pub fn agree(theirs: &Outcome, mine: &Outcome) -> bool {
    if theirs == mine {
        return true;
    }
    let parse_error = |o: &Outcome| {
        o.exit == 1
            && o.stdout.is_empty()
            && (o.stderr.contains("error: XML error")
                || o.stderr.contains("unsupported configuration"))
    };
    parse_error(theirs) && parse_error(mine) && mine.stderr.contains("XML error")
}

// ----------------------------------------------------------------------------------------
// Inputs.

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('\'', "&apos;")
}

/// A CPU to be written as XML (so that policy-less features and host-type CPUs can be
/// written exactly as wanted).
#[derive(Clone, Debug, Default)]
pub struct GenCpu {
    pub arch: Option<String>,
    pub mode: Option<&'static str>,
    pub match_: Option<&'static str>,
    pub model: Option<String>,
    pub fallback: Option<&'static str>,
    pub vendor: Option<String>,
    pub maxphysaddr: Option<u32>,
    /// (name, policy attribute)
    pub features: Vec<(String, Option<&'static str>)>,
}

impl GenCpu {
    pub fn xml(&self) -> String {
        let mut s = String::from("<cpu");
        if let Some(m) = self.mode {
            s.push_str(&format!(" mode='{m}'"));
        }
        if let Some(m) = self.match_ {
            s.push_str(&format!(" match='{m}'"));
        }
        s.push_str(">\n");
        if let Some(a) = &self.arch {
            s.push_str(&format!("  <arch>{}</arch>\n", xml_escape(a)));
        }
        if let Some(m) = &self.model {
            match self.fallback {
                Some(f) => s.push_str(&format!(
                    "  <model fallback='{f}'>{}</model>\n",
                    xml_escape(m)
                )),
                None => s.push_str(&format!("  <model>{}</model>\n", xml_escape(m))),
            }
        }
        if let Some(v) = &self.vendor {
            s.push_str(&format!("  <vendor>{}</vendor>\n", xml_escape(v)));
        }
        if let Some(n) = self.maxphysaddr {
            s.push_str(&format!(
                "  <maxphysaddr mode='passthrough' limit='{n}'/>\n"
            ));
        }
        for (name, policy) in &self.features {
            match policy {
                Some(p) => s.push_str(&format!(
                    "  <feature policy='{p}' name='{}'/>\n",
                    xml_escape(name)
                )),
                None => s.push_str(&format!("  <feature name='{}'/>\n", xml_escape(name))),
            }
        }
        s.push_str("</cpu>\n");
        s
    }
}

const POLICIES: [&str; 5] = ["force", "require", "optional", "disable", "forbid"];
const VENDORS: [&str; 3] = ["Intel", "AMD", "Hygon"];

/// Names to draw features from: the host-model's features (both accelerators), every
/// blocker, the catalog's features.
struct Pools {
    models: Vec<String>,
    features: Vec<String>,
    host_model: Vec<String>,
}

impl Pools {
    fn new(cat: &Compiled, hosts: &[(String, QemuHost)]) -> Pools {
        let mut host_model: Vec<String> = Vec::new();
        for (_, h) in hosts {
            if let Some(m) = h.host_model() {
                for f in &m.features {
                    if !host_model.contains(&f.name) {
                        host_model.push(f.name.clone());
                    }
                }
            }
        }
        Pools {
            models: cat.models().iter().map(|m| m.name.to_string()).collect(),
            features: cat.features().iter().map(|f| f.name.to_string()).collect(),
            host_model,
        }
    }

    fn blockers<'a>(hosts: &'a [(String, QemuHost)], model: &str) -> Vec<&'a str> {
        let mut v: Vec<&str> = Vec::new();
        for (_, h) in hosts {
            if let Some(d) = h.definition(model) {
                for b in &d.blockers {
                    if !v.contains(&b.as_str()) {
                        v.push(b);
                    }
                }
            }
        }
        v
    }

    fn feature(&self, rng: &mut Rng, blockers: &[&str]) -> String {
        match rng.below(100) {
            0..=39 if !self.host_model.is_empty() => rng.pick(&self.host_model).clone(),
            40..=69 if !blockers.is_empty() => rng.pick(blockers).to_string(),
            70..=72 => rng
                .pick(&["no-such-feature", "osxsave", "cmt", "mbm_local"])
                .to_string(),
            _ => rng.pick(&self.features).clone(),
        }
    }
}

fn push_feature(cpu: &mut GenCpu, name: String, policy: Option<&'static str>) {
    if !cpu.features.iter().any(|(n, _)| *n == name) {
        cpu.features.push((name, policy));
    }
}

/// The host-model of one accelerator as a custom CPU, sometimes with one change (a
/// feature dropped or its policy flipped, or `match='strict'`).
fn host_model_copy(rng: &mut Rng, hosts: &[(String, QemuHost)]) -> String {
    let (_, host) = rng.pick(hosts);
    let Some(model) = host.host_model() else {
        return "<cpu mode='host-model'/>\n".to_string();
    };
    let mut cpu = model.clone();
    match rng.below(5) {
        0 if !cpu.features.is_empty() => {
            let k = rng.below(cpu.features.len());
            cpu.features.remove(k);
        }
        1 if !cpu.features.is_empty() => {
            let k = rng.below(cpu.features.len());
            let f = &mut cpu.features[k];
            f.policy = Some(match f.policy {
                Some(cpucompat_xml::Policy::Disable) => cpucompat_xml::Policy::Require,
                _ => cpucompat_xml::Policy::Disable,
            });
        }
        2 => cpu.match_ = Some(cpucompat_xml::Match::Strict),
        _ => {}
    }
    cpucompat_xml::write_cpu(&cpu)
}

/// `n` generated compare inputs (each run under both virttypes, a quarter with `--error`),
/// then every CPU file of the x86 corpus (`specs/cases/x86/data`: the first CPU of each is
/// what virsh compares).
pub fn compare_cases(
    cat: &Compiled,
    hosts: &[(String, QemuHost)],
    seed: u64,
    n: usize,
    corpus: &[(String, String)],
) -> Vec<Case> {
    let pools = Pools::new(cat, hosts);
    let mut rng = Rng(seed);
    let mut inputs: Vec<(String, String)> = Vec::new();
    for i in 0..n {
        let mut c = GenCpu::default();
        let host_type = rng.chance(6);
        if host_type {
            c.arch = Some(if rng.chance(85) { "x86_64" } else { "ia64" }.to_string());
        } else {
            c.mode = match rng.below(100) {
                0..=6 => Some("host-model"),
                7..=12 => Some("host-passthrough"),
                13..=16 => Some("maximum"),
                17..=40 => None,
                _ => Some("custom"),
            };
            if matches!(c.mode, None | Some("custom")) {
                c.match_ = match rng.below(10) {
                    0 | 1 => Some("minimum"),
                    2..=4 => Some("strict"),
                    5..=7 => Some("exact"),
                    _ => None,
                };
            }
        }
        let custom = matches!(c.mode, None | Some("custom"));
        let with_model = host_type || custom || rng.chance(50);
        if with_model {
            c.model = Some(match rng.below(100) {
                0..=3 => rng.pick(&["max", "base", "host"]).to_string(),
                4 => "NoSuchModel".to_string(),
                _ => rng.pick(&pools.models).clone(),
            });
            if !host_type && rng.chance(20) {
                c.fallback = Some(if rng.chance(50) { "allow" } else { "forbid" });
            }
            if rng.chance(10) {
                c.vendor = Some(rng.pick(&VENDORS).to_string());
            }
        }
        let blockers = c
            .model
            .as_deref()
            .map(|m| Pools::blockers(hosts, m))
            .unwrap_or_default();
        if with_model && !host_type && !blockers.is_empty() && rng.chance(12) {
            // Disable every blocker: the unusable check's superset.
            for b in &blockers {
                push_feature(&mut c, b.to_string(), Some("disable"));
            }
        }
        let nf = if with_model || !custom {
            rng.below(5)
        } else {
            0
        };
        for _ in 0..nf {
            let name = pools.feature(&mut rng, &blockers);
            let policy = if host_type || rng.chance(5) {
                None
            } else {
                Some(*rng.pick(&POLICIES))
            };
            push_feature(&mut c, name, policy);
        }
        inputs.push((format!("generated #{i}"), c.xml()));
        if rng.chance(10) {
            inputs.push((
                format!("host-model copy #{i}"),
                host_model_copy(&mut rng, hosts),
            ));
        }
    }
    inputs.extend(corpus.iter().cloned());
    let mut cases = Vec::new();
    for (label, input) in inputs {
        let error = rng.chance(25);
        for (virttype, _) in hosts {
            cases.push(Case {
                cmd: Cmd::Compare,
                virttype: virttype.clone(),
                flags: if error {
                    vec!["--error".into()]
                } else {
                    vec![]
                },
                input: input.clone(),
                label: label.clone(),
            });
        }
    }
    cases
}

/// `n` generated baseline pools of 1–5 CPUs, each run plain and `--features` under both
/// virttypes, half of them also `--migratable` and `--features --migratable`.
pub fn baseline_cases(
    cat: &Compiled,
    hosts: &[(String, QemuHost)],
    seed: u64,
    n: usize,
    corpus_hosts: &[String],
) -> Vec<Case> {
    let pools = Pools::new(cat, hosts);
    let mut rng = Rng(seed);
    let vendor_of = |m: &str| {
        cat.model(m)
            .and_then(|i| cat.models()[i].vendor)
            .map(|v| cat.vendors()[v].name.to_string())
    };
    let by_vendor = |v: &str| -> Vec<String> {
        cat.models()
            .iter()
            .filter(|m| m.vendor.map(|i| cat.vendors()[i].name.as_ref()) == Some(v))
            .map(|m| m.name.to_string())
            .collect()
    };
    let intel = by_vendor("Intel");
    let amd = by_vendor("AMD");
    let mut cases = Vec::new();
    for i in 0..n {
        let size = 1 + rng.below(5);
        let shared = if rng.chance(15) {
            Some(
                rng.pick(&["invtsc", "osxsave", "cmt", "sha512", "arch-capabilities"])
                    .to_string(),
            )
        } else {
            None
        };
        let maxphys = rng.chance(15);
        let family = match rng.below(10) {
            0..=4 => &intel,
            5..=7 => &amd,
            _ => &pools.models,
        };
        let mut text = String::new();
        for k in 0..size {
            if !corpus_hosts.is_empty() && rng.chance(15) {
                let h: &String = rng.pick(corpus_hosts);
                text.push_str(h);
                continue;
            }
            let model = match rng.below(100) {
                0 => None,
                1 => Some("NoSuchModel".to_string()),
                2 => Some("max".to_string()),
                _ => Some(rng.pick(family).clone()),
            };
            let mut c = GenCpu {
                model,
                ..GenCpu::default()
            };
            if rng.chance(8) {
                c.arch = Some("x86_64".to_string());
            } else if rng.chance(70) {
                c.mode = Some("custom");
                c.match_ = Some("exact");
            }
            if let Some(m) = &c.model {
                if rng.chance(35) {
                    c.vendor = if rng.chance(90) {
                        vendor_of(m).or_else(|| Some(rng.pick(&VENDORS).to_string()))
                    } else {
                        Some(rng.pick(&VENDORS).to_string())
                    };
                }
            }
            if maxphys && (k > 0 || rng.chance(90)) && rng.chance(90) {
                c.maxphysaddr = Some(36 + rng.below(17) as u32);
            }
            let blockers = c
                .model
                .as_deref()
                .map(|m| Pools::blockers(hosts, m))
                .unwrap_or_default();
            if c.model.is_some() {
                for _ in 0..rng.below(5) {
                    let name = pools.feature(&mut rng, &blockers);
                    let policy = if c.arch.is_some() {
                        None
                    } else if rng.chance(65) {
                        Some("require")
                    } else {
                        Some("disable")
                    };
                    push_feature(&mut c, name, policy);
                }
                if let Some(s) = &shared {
                    let policy = if c.arch.is_some() {
                        None
                    } else {
                        Some("require")
                    };
                    push_feature(&mut c, s.clone(), policy);
                }
            }
            text.push_str(&c.xml());
        }
        let mut flag_sets: Vec<Vec<String>> = vec![vec![], vec!["--features".into()]];
        if rng.chance(50) {
            flag_sets.push(vec!["--migratable".into()]);
            flag_sets.push(vec!["--features".into(), "--migratable".into()]);
        }
        for flags in flag_sets {
            for (virttype, _) in hosts {
                cases.push(Case {
                    cmd: Cmd::Baseline,
                    virttype: virttype.clone(),
                    flags: flags.clone(),
                    input: text.clone(),
                    label: format!("pool #{i}"),
                });
            }
        }
    }
    cases
}

/// The CPU files of the x86 corpus (`specs/cases/x86/data`, not the CPUID dumps), by
/// name, as `(label, text)`.
pub fn corpus(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("corpus file");
        if text.contains("<cpudata") || !text.contains("<cpu") {
            continue;
        }
        let name = f.file_name().expect("name").to_string_lossy().into_owned();
        out.push((format!("corpus {name}"), text));
    }
    out
}

/// Whole documents virsh takes as compare input: this host's domcapabilities (their
/// host-model `<mode>`) and `virsh capabilities` (its host `<cpu>`), from
/// `specs/qemu-driver`.
pub fn documents() -> Vec<(String, String)> {
    [
        "x86_64-kvm.domcaps.xml",
        "x86_64-qemu.domcaps.xml",
        "x86_64-capabilities.xml",
    ]
    .iter()
    .map(|f| {
        let text = std::fs::read_to_string(specs_dir().join(f)).expect("specs document");
        (format!("document {f}"), text)
    })
    .collect()
}

/// Hand-written compare inputs for the rules' edges (reference examples), each run under
/// both virttypes with and without `--error`.
pub const EDGE_COMPARE: &[&str] = &[
    "<cpu><model>max</model></cpu>",
    "<cpu><model>max</model><feature policy='require' name='sse2'/></cpu>",
    "<cpu><model>base</model><feature policy='disable' name='sse2'/></cpu>",
    "<cpu><model>host</model></cpu>",
    "<cpu><arch>ia64</arch><model>Penryn</model></cpu>",
    "<cpu match='strict'><model>qemu64</model></cpu>",
    "<cpu><model>qemu64</model><vendor>Intel</vendor></cpu>",
    "<cpu><model>Haswell-v1</model><feature policy='require' name='no-such-feature'/></cpu>",
    "<cpu><model>Haswell</model><feature policy='require' name='no-such-feature'/></cpu>",
    "<cpu><model>GraniteRapids</model></cpu>",
    "<cpu><model>qemu64</model><feature policy='require' name='osxsave'/></cpu>",
    "<cpu><model>Denverton</model></cpu>",
    "<cpu><model>KnightsMill</model><feature policy='disable' name='avx512f'/></cpu>",
    "<cpu><model>NoSuchModel</model></cpu>",
    "<cpu mode='host-model'/>",
    "<cpu mode='host-passthrough'><feature policy='forbid' name='sse2'/></cpu>",
    "<cpu><model>EPYC-v1</model><feature policy='force' name='pni'/><feature policy='optional' name='svm'/></cpu>",
    "<cpu><feature policy='require' name='sse2'/></cpu>",
    "<cpu><model>qemu64</model><feature policy='require' name='sse2'/><feature policy='disable' name='sse2'/></cpu>",
    "<cpu><model>qemu64</model></cpu>\n<cpu><model>Haswell</model></cpu>",
];

/// Hand-written baseline pools for the rules' edges, run plain, `--features` and
/// `--migratable` under both virttypes.
pub const EDGE_BASELINE: &[&str] = &[
    "<cpu><model>Haswell</model><feature policy='require' name='invtsc'/></cpu>\n\
     <cpu><model>Skylake-Client</model><feature policy='require' name='invtsc'/></cpu>",
    "<cpu><model>max</model></cpu>",
    "<cpu><model>GraniteRapids</model></cpu>",
    "<cpu><model>Haswell</model></cpu>\n<cpu mode='host-model'/>",
    "<cpu><model>Opteron_G1</model></cpu>\n<cpu><model>Penryn</model><vendor>Intel</vendor></cpu>",
    "<cpu><model>Penryn</model><vendor>Intel</vendor></cpu>\n<cpu><model>Opteron_G1</model></cpu>",
    "<cpu><model>Penryn</model><vendor>AMD</vendor></cpu>",
    "<cpu><model>qemu64</model><feature policy='require' name='osxsave'/><feature policy='require' name='cmt'/></cpu>",
    "<cpu><model>qemu64</model><feature policy='require' name='no-such-feature'/></cpu>",
    "<cpu><model>Haswell</model><maxphysaddr mode='passthrough' limit='42'/></cpu>\n\
     <cpu><model>Broadwell</model><maxphysaddr mode='passthrough' limit='39'/></cpu>",
    "<cpu><model>Haswell</model><maxphysaddr mode='passthrough' limit='42'/></cpu>\n\
     <cpu><model>Broadwell</model></cpu>",
    "<cpu><arch>x86_64</arch><model>EPYC</model><vendor>AMD</vendor><feature name='invtsc'/></cpu>",
    "<cpu><model>486</model></cpu>\n<cpu><model>EPYC-Rome</model></cpu>",
];

/// The edge cases as [`Case`]s for the virttypes of `hosts`.
pub fn edge_cases(hosts: &[(String, QemuHost)], cmd: Cmd) -> Vec<Case> {
    let (inputs, flag_sets): (&[&str], Vec<Vec<String>>) = match cmd {
        Cmd::Compare => (EDGE_COMPARE, vec![vec![], vec!["--error".into()]]),
        Cmd::Baseline => (
            EDGE_BASELINE,
            vec![
                vec![],
                vec!["--features".into()],
                vec!["--migratable".into()],
            ],
        ),
    };
    let mut cases = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        for flags in &flag_sets {
            for (virttype, _) in hosts {
                cases.push(Case {
                    cmd,
                    virttype: virttype.clone(),
                    flags: flags.clone(),
                    input: format!("{input}\n"),
                    label: format!("edge #{i}"),
                });
            }
        }
    }
    cases
}

/// The first `<cpu>...</cpu>` of every `-host.xml` of the corpus, as text.
pub fn corpus_hosts(dir: &Path) -> Vec<String> {
    corpus(dir)
        .into_iter()
        .filter(|(l, _)| l.ends_with("-host.xml"))
        .filter_map(|(_, t)| {
            let start = t.find("<cpu")?;
            let end = t.find("</cpu>")? + "</cpu>".len();
            Some(format!("{}\n", &t[start..end]))
        })
        .collect()
}

/// What the cases exercised: per compare route and verdict, per baseline outcome.
pub fn coverage(x86: &X86, hosts: &[(String, QemuHost)], cases: &[Case]) -> String {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for case in cases {
        let host = &hosts
            .iter()
            .find(|(v, _)| *v == case.virttype)
            .expect("virttype")
            .1;
        let key = match (
            virsh_refuses(&case.input),
            cpucompat_xml::parse_cpus(&case.input),
        ) {
            (Some(_), _) => "refused by virsh".to_string(),
            (None, Err(_)) => "XML error".to_string(),
            (None, Ok(cpus)) => match case.cmd {
                Cmd::Compare => match x86.hypervisor_compare(host, &cpus[0]) {
                    Ok(r) => format!("{:?} {:?}", r.route, r.comparison.verdict()),
                    Err(_) => "error".to_string(),
                },
                Cmd::Baseline => {
                    let opts = HypervisorBaselineOptions::default();
                    match x86.hypervisor_baseline(host, &cpus, &opts) {
                        Ok(_) => "baseline".to_string(),
                        Err(_) => "error".to_string(),
                    }
                }
            },
        };
        *counts.entry(key).or_default() += 1;
    }
    format!("{counts:?}")
}

// ----------------------------------------------------------------------------------------
// Recorded answers.

fn cmd_name(c: Cmd) -> &'static str {
    match c {
        Cmd::Compare => "compare",
        Cmd::Baseline => "baseline",
    }
}

/// Writes cases and virsh's outcomes as JSON lines, one line per input:
/// `{"cmd", "label", "input", "runs": [{"virttype", "flags", "exit", "stdout", "stderr"}]}`
/// (consecutive cases of the same input share a line).
pub fn write_jsonl(path: &Path, cases: &[Case], outcomes: &[Outcome]) {
    let mut lines: Vec<Value> = Vec::new();
    let mut last: Option<(Cmd, &str, &str)> = None;
    for (c, o) in cases.iter().zip(outcomes) {
        let run = json!({
            "virttype": c.virttype,
            "flags": c.flags,
            "exit": o.exit,
            "stdout": o.stdout,
            "stderr": o.stderr,
        });
        let key = (c.cmd, c.label.as_str(), c.input.as_str());
        match lines.last_mut() {
            Some(line) if last == Some(key) => {
                line["runs"].as_array_mut().expect("runs").push(run);
            }
            _ => lines.push(json!({
                "cmd": cmd_name(c.cmd),
                "label": c.label,
                "input": c.input,
                "runs": [run],
            })),
        }
        last = Some(key);
    }
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text).expect("write recorded answers");
}

/// Reads recorded cases and outcomes (see [`write_jsonl`]).
pub fn read_jsonl(path: &Path) -> Vec<(Case, Outcome)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
        let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
        for run in v["runs"].as_array().into_iter().flatten() {
            let case = Case {
                cmd: if s(&v, "cmd") == "compare" {
                    Cmd::Compare
                } else {
                    Cmd::Baseline
                },
                virttype: s(run, "virttype"),
                flags: run["flags"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|f| f.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                input: s(&v, "input"),
                label: s(&v, "label"),
            };
            let outcome = Outcome {
                exit: run["exit"].as_i64().unwrap_or(-1) as i32,
                stdout: s(run, "stdout"),
                stderr: s(run, "stderr"),
            };
            out.push((case, outcome));
        }
    }
    out
}

/// The repository's `specs/qemu-driver` directory.
pub fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/qemu-driver")
}

/// Counts and the first few differences of a comparison run.
#[derive(Default)]
pub struct Tally {
    pub cases: usize,
    pub equal: usize,
    pub differences: Vec<String>,
}

impl Tally {
    pub fn add(&mut self, case: &Case, theirs: &Outcome, mine: &Outcome) {
        self.cases += 1;
        if agree(theirs, mine) {
            self.equal += 1;
        } else {
            self.differences.push(format!(
                "{} ({:?} --virttype {} {:?})\ninput:\n{}virsh: {theirs:?}\nours:  {mine:?}",
                case.label, case.cmd, case.virttype, case.flags, case.input
            ));
        }
    }

    pub fn check(&self, what: &str) {
        eprintln!("{what}: {} cases, {} equal", self.cases, self.equal);
        if let Some(path) = std::env::var_os("CPUCOMPAT_DIFFS") {
            let _ = std::fs::write(path, self.differences.join("\n\n"));
        }
        assert!(
            self.differences.is_empty(),
            "{what}: {} of {} differ; first ones:\n{}",
            self.differences.len(),
            self.cases,
            self.differences
                .iter()
                .take(6)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n\n")
        );
    }
}
