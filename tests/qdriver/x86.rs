//! x86: libvirt 11.3's QEMU driver for `qemu-system-x86_64` (QEMU 7.2), under KVM
//! (`--virttype kvm`) and TCG (`--virttype qemu`).
//!
//! * [`Case`]: one `virsh hypervisor-cpu-compare` or `hypervisor-cpu-baseline` call.
//! * [`hosts`]: the two accelerators of a capabilities cache as [`Hypervisor`]s;
//!   [`ours`]: a case answered by the library and printed as virsh prints it.
//! * [`compare_cases`], [`baseline_cases`]: the generated inputs (fixed seeds), built from
//!   the engine's catalog (`Engine::models`, `Engine::all_features`) and the hypervisor's
//!   own lists (host-model features, QEMU's blockers).
//! * [`write_jsonl`]/[`read_jsonl`]: the recorded answers in `specs/qemu-driver/`.
use super::{print_baseline, print_compare, warnings, Cmd, Outcome, Rng, FILE};
use cpucompat::xml::model::{Match, Policy};
use cpucompat::{Accel, BaselineOptions, Engine, Hypervisor, Input};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

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

    /// virsh's arguments, without the file.
    pub fn virsh_args(&self) -> Vec<String> {
        let mut v: Vec<String> = [self.cmd.virsh(), "--virttype", &self.virttype]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(["--arch".to_string(), "x86_64".to_string()]);
        v.extend(self.flags.iter().cloned());
        v
    }

    /// How a difference names the case.
    pub fn describe(&self) -> String {
        format!(
            "{} ({:?} --virttype {} {:?})\ninput:\n{}",
            self.label, self.cmd, self.virttype, self.flags, self.input
        )
    }
}

/// One accelerator of the host: its virttype, the hypervisor, and QEMU's definitions
/// (name, usable, blockers).
pub struct Host<'e> {
    pub virttype: String,
    pub hv: Hypervisor<'e>,
    pub definitions: Vec<(String, Option<bool>, Vec<String>)>,
}

/// libvirt 11.3's map, embedded.
pub fn engine_11_3() -> Engine {
    Engine::builder(cpucompat::Arch::X86)
        .cpu_map(cpucompat::CpuMap::Libvirt11_3)
        .build()
        .expect("the embedded 11.3 map")
}

/// A hypervisor of the committed or live cache text.
pub fn hypervisor<'e>(engine: &'e Engine, cache: &str, accel: Accel) -> Hypervisor<'e> {
    engine
        .hypervisor(
            Input::from_text("x86_64.qemucaps.xml", cache.to_string()),
            Some(accel),
        )
        .expect("a hypervisor")
}

/// The two accelerators of an x86 cache (KVM first, as virsh's virttypes `kvm`, `qemu`).
pub fn hosts<'e>(engine: &'e Engine, cache: &str) -> Vec<Host<'e>> {
    [Accel::Kvm, Accel::Tcg]
        .into_iter()
        .map(|a| {
            let hv = hypervisor(engine, cache, a);
            Host {
                virttype: a.virttype().to_string(),
                definitions: hv.definitions(),
                hv,
            }
        })
        .collect()
}

/// The host of a case's virttype.
pub fn host_of<'a, 'e>(hosts: &'a [Host<'e>], case: &Case) -> &'a Host<'e> {
    hosts
        .iter()
        .find(|h| h.virttype == case.virttype)
        .expect("a host of the case's virttype")
}

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

/// The case answered by the library and printed as virsh prints it.
pub fn ours(host: &Hypervisor<'_>, case: &Case) -> Outcome {
    if let Some(refused) = virsh_refuses(&case.input) {
        return refused;
    }
    let cpus = match cpucompat::xml::parse_cpus(&case.input) {
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
    let warn = warnings(&cpus);
    let input = || Input::from_text(FILE, case.input.clone());
    match case.cmd {
        Cmd::Compare => print_compare(host.compare(input()), case.has("--error"), &warn),
        Cmd::Baseline => {
            let opts = BaselineOptions {
                expand_features: case.has("--features"),
                migratable: case.has("--migratable"),
            };
            print_baseline(host.baseline([input()], &opts), &warn)
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

/// Names to draw from: the catalog's models and features, the host-model's features (both
/// accelerators).
struct Pools {
    models: Vec<String>,
    features: Vec<String>,
    host_model: Vec<String>,
}

impl Pools {
    fn new(engine: &Engine, hosts: &[Host<'_>]) -> Pools {
        let mut host_model: Vec<String> = Vec::new();
        for h in hosts {
            if let Some(m) = h.hv.host_model() {
                for f in &m.definition().features {
                    if !host_model.contains(&f.name) {
                        host_model.push(f.name.clone());
                    }
                }
            }
        }
        Pools {
            models: engine
                .models()
                .iter()
                .map(|m| m.name().to_string())
                .collect(),
            features: engine.all_features(),
            host_model,
        }
    }

    /// QEMU's blockers of a model, on either accelerator.
    fn blockers<'a>(hosts: &'a [Host<'_>], model: &str) -> Vec<&'a str> {
        let mut v: Vec<&str> = Vec::new();
        for h in hosts {
            if let Some((_, _, blockers)) = h.definitions.iter().find(|(n, _, _)| n == model) {
                for b in blockers {
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
fn host_model_copy(rng: &mut Rng, hosts: &[Host<'_>]) -> String {
    let host = rng.pick(hosts);
    let Some(model) = host.hv.host_model() else {
        return "<cpu mode='host-model'/>\n".to_string();
    };
    let mut cpu = model.definition().clone();
    match rng.below(5) {
        0 if !cpu.features.is_empty() => {
            let k = rng.below(cpu.features.len());
            cpu.features.remove(k);
        }
        1 if !cpu.features.is_empty() => {
            let k = rng.below(cpu.features.len());
            let f = &mut cpu.features[k];
            f.policy = Some(match f.policy {
                Some(Policy::Disable) => Policy::Require,
                _ => Policy::Disable,
            });
        }
        2 => cpu.match_ = Some(Match::Strict),
        _ => {}
    }
    cpucompat::xml::write_cpu(&cpu)
}

/// `n` generated compare inputs (each run under both virttypes, a quarter with `--error`),
/// then every file of `corpus` (the first CPU of each is what virsh compares).
pub fn compare_cases(
    engine: &Engine,
    hosts: &[Host<'_>],
    seed: u64,
    n: usize,
    corpus: &[(String, String)],
) -> Vec<Case> {
    let pools = Pools::new(engine, hosts);
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
        for h in hosts {
            cases.push(Case {
                cmd: Cmd::Compare,
                virttype: h.virttype.clone(),
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
    engine: &Engine,
    hosts: &[Host<'_>],
    seed: u64,
    n: usize,
    corpus_hosts: &[String],
) -> Vec<Case> {
    let pools = Pools::new(engine, hosts);
    let models = engine.models();
    let mut rng = Rng(seed);
    let vendor_of = |m: &str| {
        models
            .iter()
            .find(|i| i.name() == m)
            .and_then(|i| i.vendor().map(str::to_string))
    };
    let by_vendor = |v: &str| -> Vec<String> {
        models
            .iter()
            .filter(|m| m.vendor() == Some(v))
            .map(|m| m.name().to_string())
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
            for h in hosts {
                cases.push(Case {
                    cmd: Cmd::Baseline,
                    virttype: h.virttype.clone(),
                    flags: flags.clone(),
                    input: text.clone(),
                    label: format!("pool #{i}"),
                });
            }
        }
    }
    cases
}

/// The repository's x86 corpus (`specs/cases/x86/data`).
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/cases/x86/data")
}

/// The CPU files of the x86 corpus (not the CPUID dumps), by name, as `(label, text)`.
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
    .map(|f| (format!("document {f}"), super::specs_file(f)))
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
pub fn edge_cases(hosts: &[Host<'_>], cmd: Cmd) -> Vec<Case> {
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
            for h in hosts {
                cases.push(Case {
                    cmd,
                    virttype: h.virttype.clone(),
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

/// Every compare case the tests run: the edges, then 300 generated (seed 101) and the
/// corpus with the whole documents.
pub fn all_compare_cases(engine: &Engine, hosts: &[Host<'_>]) -> Vec<Case> {
    let mut corpus = corpus(&corpus_dir());
    corpus.extend(documents());
    let mut cases = edge_cases(hosts, Cmd::Compare);
    cases.extend(compare_cases(engine, hosts, 101, 300, &corpus));
    cases
}

/// Every baseline case the tests run: the edges, then 150 generated pools (seed 202).
pub fn all_baseline_cases(engine: &Engine, hosts: &[Host<'_>]) -> Vec<Case> {
    let corpus_hosts = corpus_hosts(&corpus_dir());
    let mut cases = edge_cases(hosts, Cmd::Baseline);
    cases.extend(baseline_cases(engine, hosts, 202, 150, &corpus_hosts));
    cases
}

/// What the cases exercised: per compare route and verdict, per baseline outcome.
pub fn coverage(hosts: &[Host<'_>], cases: &[Case]) -> String {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for case in cases {
        let host = &host_of(hosts, case).hv;
        let key = match (
            virsh_refuses(&case.input),
            cpucompat::xml::parse_cpus(&case.input),
        ) {
            (Some(_), _) => "refused by virsh".to_string(),
            (None, Err(_)) => "XML error".to_string(),
            (None, Ok(cpus)) => match case.cmd {
                Cmd::Compare => match host.compare_definition(&cpus[0]) {
                    Ok(r) => format!("{:?} {:?}", r.route(), r.comparison().verdict()),
                    Err(_) => "error".to_string(),
                },
                Cmd::Baseline => {
                    let input = Input::from_text(FILE, case.input.clone());
                    match host.baseline([input], &BaselineOptions::default()) {
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
                "cmd": c.cmd.name(),
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
pub fn read_jsonl(name: &str) -> Vec<(Case, Outcome)> {
    let text = super::specs_file(name);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}:{}: {e}", i + 1));
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
