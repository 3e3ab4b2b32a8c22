//! Issue 8: for every spec case (`specs/cases/{x86,ppc64,s390x,catalog}/**`), the
//! library's answer and the command line's JSON are the same value.
//!
//! Each case's operation runs twice: through the `cpucompat` library's public API (the
//! calls `tests/specs/*.rs` make) and through the binary with `--format json`; the two are
//! compared as JSON values, and so are failures (the binary's one error line is
//! `cpucompat: error: ` and the library error's text, exit status 2):
//!
//! | operation | library | binary | value |
//! | --- | --- | --- | --- |
//! | compare | `Engine::read_one`, `for_host`, `compare` | `compare H G --format json` (exit 0 runs, 1 not) | `Comparison` |
//! | baseline | `Engine::read`, `baseline` | `baseline FILES [--features] [--migratable] --format json` | `Cpu::to_json` |
//! | POWER compat baseline | `Ppc64Ext::compat_baseline` | `baseline --compat --format json` | `Cpu::to_json` |
//! | decode (x86 dump, POWER PVR) | `X86Ext::read_dump` + `decode_with`, `Ppc64Ext::decode_pvr` | `decode [--as guest] [--hypervisor-models M] --format json`, `decode --pvr` | `Cpu::to_json` (host and guest for a PVR) |
//! | models of a decoded x86 host | `Engine::decode`, `usability` | `models DUMP --format json` | the `ModelUsability` list |
//! | expand (catalog cases) | `Engine::expand` | `expand M --format json` | `Expansion` |
//! | cpu_map import (catalog cases) | `import_cpu_map` | `catalog import` | the RON text or the error |
//! | QMP (s390x, POWER) | `serve_qmp` | `qmp` | every reply |
//!
//! Cases whose operation has no command (libvirt's update and guest-CPU operations, the
//! x86 signature, QEMU's POWER compat table and `max-cpu-compat`, inline RON catalogs) are
//! listed as "library only" with the reason. The counts are printed; every compared case
//! must be equal.
mod support;

use cpucompat::{import_cpu_map, Arch, BaselineOptions, CpuKind, CpuMap, Engine, Input, Qemu};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One side's answer: a JSON value, a text (import), or an error line.
#[derive(Debug, PartialEq)]
enum Answer {
    Json(Value),
    Text(String),
    Error(String),
}

fn lib_err(e: &cpucompat::Error) -> Answer {
    Answer::Error(format!("cpucompat: error: {e}\n"))
}

/// The binary's answer: JSON on success (exit 0, or 1 for an incompatible compare), the
/// error line on exit 2.
fn cli(args: &[&str], stdin: Option<&str>) -> (i32, Answer) {
    let run = support::cpucompat(None, args, stdin);
    let answer = match run.code {
        0 | 1 => match serde_json::from_str(&run.stdout) {
            Ok(v) => Answer::Json(v),
            Err(_) => Answer::Text(run.stdout),
        },
        2 if run.stdout.is_empty() => Answer::Error(run.stderr),
        c => Answer::Text(format!(
            "exit {c}\nstdout: {}\nstderr: {}",
            run.stdout, run.stderr
        )),
    };
    (run.code, answer)
}

fn json<T: serde::Serialize>(v: &T) -> Answer {
    Answer::Json(serde_json::to_value(v).expect("serializable"))
}

/// What the test found.
#[derive(Default)]
struct Tally {
    /// Cases run both ways.
    compared: usize,
    /// Of them, equal in every comparison.
    equal: usize,
    /// Comparisons (a case may make several).
    comparisons: usize,
    /// Per area.
    per_area: BTreeMap<String, usize>,
    /// Comparisons by the kind of answer the library gave.
    kinds: BTreeMap<&'static str, usize>,
    /// Library-only cases by reason.
    library_only: BTreeMap<&'static str, Vec<String>>,
    differences: Vec<String>,
}

/// One case's comparisons.
struct Pairs {
    pairs: Vec<(String, Answer, Answer)>,
}

impl Pairs {
    fn new() -> Pairs {
        Pairs { pairs: Vec::new() }
    }

    fn push(&mut self, what: impl Into<String>, lib: Answer, cli: Answer) {
        self.pairs.push((what.into(), lib, cli));
    }
}

impl Tally {
    fn record(&mut self, case: &str, area: &str, pairs: Pairs) {
        assert!(!pairs.pairs.is_empty(), "{case}: nothing compared");
        self.compared += 1;
        *self.per_area.entry(area.to_string()).or_default() += 1;
        let mut same = true;
        for (what, lib, cli) in pairs.pairs {
            self.comparisons += 1;
            let kind = match &lib {
                Answer::Json(_) => "json",
                Answer::Text(_) => "text",
                Answer::Error(_) => "error",
            };
            *self.kinds.entry(kind).or_default() += 1;
            if lib != cli {
                same = false;
                self.differences.push(format!(
                    "{case} ({what}):\n  library: {lib:?}\n  binary:  {cli:?}"
                ));
            }
        }
        if same {
            self.equal += 1;
        }
    }

    fn library_only(&mut self, case: &str, why: &'static str) {
        self.library_only
            .entry(why)
            .or_default()
            .push(case.to_string());
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/cases")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "ron") {
            out.push(p);
        }
    }
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

// ----------------------------------------------------------------------------------------
// x86

#[derive(Deserialize)]
struct X86Case {
    #[serde(default = "default_str")]
    catalog: String,
    op: X86Op,
}

fn default_str() -> String {
    "default".into()
}

#[derive(Deserialize, Clone, Copy)]
enum Kind {
    Host,
    Guest,
}

#[derive(Deserialize)]
enum X86Op {
    Decode {
        kind: Kind,
        dump: String,
        models: Option<String>,
    },
    Signature {},
    Compare {
        host: String,
        guest: String,
    },
    Baseline {
        inputs: Vec<String>,
        features: bool,
        migratable: bool,
    },
    Update {},
    GuestCpu {},
}

/// The command-line options naming an engine's catalogs.
fn engine_args(arch: &str, map: &str, qemu: Option<&str>) -> Vec<String> {
    let mut v = vec!["--arch".to_string(), arch.to_string()];
    if map == "libvirt-11.3" {
        v.extend(["--cpu-map".to_string(), "libvirt-11.3".to_string()]);
    }
    if let Some(q) = qemu {
        v.extend(["--qemu-version".to_string(), q.to_string()]);
    }
    v
}

fn with(args: &[&str], engine: &[String], tail: &[String]) -> Vec<String> {
    args.iter()
        .map(|a| a.to_string())
        .chain(engine.iter().cloned())
        .chain(tail.iter().cloned())
        .collect()
}

fn run_cli(args: &[String]) -> (i32, Answer) {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    cli(&a, None)
}

/// compare: the library's `Comparison` (and whether it runs) against the binary's.
fn compare_pair(pairs: &mut Pairs, engine: &Engine, eargs: &[String], host: &Path, guest: &Path) {
    let lib = engine.read_one(Input::path(host)).and_then(|h| {
        let e = engine.for_host(&h)?;
        let g = e.read_one(Input::path(guest))?;
        e.compare(&h, &g)
    });
    let (code, cli_answer) = run_cli(&with(
        &["compare"],
        eargs,
        &[s(host), s(guest), "--format".into(), "json".into()],
    ));
    let (lib_answer, lib_code) = match &lib {
        Ok(c) => (json(c), i32::from(!c.runs())),
        Err(e) => (lib_err(e), 2),
    };
    pairs.push("compare", lib_answer, cli_answer);
    pairs.push(
        "compare exit status",
        Answer::Json(lib_code.into()),
        Answer::Json(code.into()),
    );
}

/// baseline: the library's CPU JSON against the binary's.
fn baseline_pair(
    pairs: &mut Pairs,
    engine: &Engine,
    eargs: &[String],
    inputs: &[PathBuf],
    opts: &BaselineOptions,
) {
    let lib = inputs
        .iter()
        .try_fold(Vec::new(), |mut all, p| {
            all.extend(engine.read(Input::path(p))?);
            Ok::<_, cpucompat::Error>(all)
        })
        .and_then(|cpus| engine.baseline(&cpus, opts));
    let mut tail: Vec<String> = inputs.iter().map(|p| s(p)).collect();
    if opts.expand_features {
        tail.push("--features".into());
    }
    if opts.migratable {
        tail.push("--migratable".into());
    }
    tail.extend(["--format".into(), "json".into()]);
    let (_, cli_answer) = run_cli(&with(&["baseline"], eargs, &tail));
    let lib_answer = match &lib {
        Ok(b) => Answer::Json(b.cpu().to_json()),
        Err(e) => lib_err(e),
    };
    pairs.push("baseline", lib_answer, cli_answer);
}

fn x86_engine(map: &str) -> Engine {
    let m = match map {
        "libvirt-11.3" => CpuMap::Libvirt11_3,
        _ => CpuMap::Libvirt12_8,
    };
    Engine::builder(Arch::X86).cpu_map(m).build().unwrap()
}

fn x86(t: &mut Tally, name: &str, text: &str) {
    let case: X86Case = ron::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let dir = root().join("x86");
    let engine = x86_engine(&case.catalog);
    let eargs = engine_args("x86_64", &case.catalog, None);
    let mut pairs = Pairs::new();
    match &case.op {
        X86Op::Decode { kind, dump, models } => {
            let ext = engine.x86().unwrap();
            let dump = dir.join(dump);
            let kind_flag = match kind {
                Kind::Host => "host",
                Kind::Guest => "guest",
            };
            let cpu_kind = match kind {
                Kind::Host => CpuKind::Host,
                Kind::Guest => CpuKind::Guest,
            };
            let hv = models
                .as_ref()
                .map(|m| ext.hypervisor_models(Input::path(dir.join(m))));
            let lib = match hv.transpose() {
                Ok(hv) => ext
                    .read_dump(Input::path(&dump))
                    .and_then(|data| ext.decode_with(&data, cpu_kind, hv.as_ref())),
                Err(e) => Err(e),
            };
            let mut tail = vec![s(&dump), "--as".into(), kind_flag.into()];
            if let Some(m) = models {
                tail.extend(["--hypervisor-models".into(), s(&dir.join(m))]);
            }
            tail.extend(["--format".into(), "json".into()]);
            let (_, cli_answer) = run_cli(&with(&["decode"], &eargs, &tail));
            let lib_answer = match &lib {
                Ok(c) => Answer::Json(c.to_json()),
                Err(e) => lib_err(e),
            };
            pairs.push("decode", lib_answer, cli_answer);
            if matches!(kind, Kind::Host) && models.is_none() {
                // The models of this host: the usability list.
                let lib = engine
                    .read_one(Input::path(&dump))
                    .and_then(|h| engine.usability(&h));
                let (_, cli_answer) = run_cli(&with(
                    &["models"],
                    &eargs,
                    &[s(&dump), "--format".into(), "json".into()],
                ));
                let lib_answer = match &lib {
                    Ok(l) => json(l),
                    Err(e) => lib_err(e),
                };
                pairs.push("models of the host", lib_answer, cli_answer);
            }
        }
        X86Op::Signature {} => {
            return t.library_only(name, "the masked CPUID signature has no command");
        }
        X86Op::Compare { host, guest } => {
            compare_pair(
                &mut pairs,
                &engine,
                &eargs,
                &dir.join(host),
                &dir.join(guest),
            );
        }
        X86Op::Baseline {
            inputs,
            features,
            migratable,
        } => {
            let inputs: Vec<PathBuf> = inputs.iter().map(|i| dir.join(i)).collect();
            let opts = BaselineOptions {
                expand_features: *features,
                migratable: *migratable,
            };
            baseline_pair(&mut pairs, &engine, &eargs, &inputs, &opts);
        }
        X86Op::Update {} => {
            return t.library_only(name, "libvirt's update of a guest CPU has no command");
        }
        X86Op::GuestCpu {} => {
            return t.library_only(name, "libvirt's guest-CPU computation has no command");
        }
    }
    t.record(name, "x86", pairs);
}

// ----------------------------------------------------------------------------------------
// ppc64

#[derive(Deserialize)]
struct Ppc64Case {
    #[serde(default = "default_str")]
    catalog: String,
    #[serde(default = "newest")]
    qemu: String,
    op: Ppc64Op,
}

fn newest() -> String {
    "newest".into()
}

#[derive(Deserialize)]
enum Ppc64Op {
    Compare { host: String, guest: String },
    Update {},
    Baseline { inputs: Vec<String> },
    CompatBaseline { hosts: Vec<String> },
    CompatTable {},
    MaxCpuCompat {},
    Qmp { commands: String },
    Decode { pvr: String },
}

fn ppc64(t: &mut Tally, name: &str, text: &str, path: &Path) {
    let case: Ppc64Case = ron::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let dir = path
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "ppc64"))
        .unwrap()
        .to_path_buf();
    let map = match case.catalog.as_str() {
        "libvirt-11.3" => CpuMap::Libvirt11_3,
        _ => CpuMap::Libvirt12_8,
    };
    let engine = Engine::builder(Arch::Ppc64)
        .cpu_map(map)
        .qemu(Qemu::from_name(&case.qemu).unwrap())
        .build()
        .unwrap();
    let ext = engine.ppc64().unwrap();
    let eargs = engine_args("ppc64", &case.catalog, Some(&case.qemu));
    let mut pairs = Pairs::new();
    match &case.op {
        Ppc64Op::Compare { host, guest } => {
            compare_pair(
                &mut pairs,
                &engine,
                &eargs,
                &dir.join(host),
                &dir.join(guest),
            );
        }
        Ppc64Op::Update {} => {
            return t.library_only(name, "libvirt's update of a guest CPU has no command");
        }
        Ppc64Op::Baseline { inputs } => {
            let inputs: Vec<PathBuf> = inputs.iter().map(|i| dir.join(i)).collect();
            baseline_pair(
                &mut pairs,
                &engine,
                &eargs,
                &inputs,
                &BaselineOptions::default(),
            );
        }
        Ppc64Op::CompatBaseline { hosts } => {
            let hosts: Vec<PathBuf> = hosts.iter().map(|i| dir.join(i)).collect();
            let lib = hosts
                .iter()
                .try_fold(Vec::new(), |mut all, p| {
                    all.extend(engine.read(Input::path(p))?);
                    Ok::<_, cpucompat::Error>(all)
                })
                .and_then(|cpus| ext.compat_baseline(&cpus));
            let mut tail: Vec<String> = hosts.iter().map(|p| s(p)).collect();
            tail.extend(["--compat".into(), "--format".into(), "json".into()]);
            let (_, cli_answer) = run_cli(&with(&["baseline"], &eargs, &tail));
            let lib_answer = match &lib {
                Ok((_, cpu)) => Answer::Json(cpu.to_json()),
                Err(e) => lib_err(e),
            };
            pairs.push("compat baseline", lib_answer, cli_answer);
        }
        Ppc64Op::CompatTable {} => {
            return t.library_only(name, "QEMU's POWER compat table has no command");
        }
        Ppc64Op::MaxCpuCompat {} => {
            return t.library_only(name, "QEMU's max-cpu-compat check has no command");
        }
        Ppc64Op::Qmp { commands } => {
            let lines: Vec<String> = std::fs::read_to_string(dir.join(commands))
                .unwrap()
                .lines()
                .map(|l| l.trim_start_matches("> ").to_string())
                .filter(|l| !l.trim().is_empty())
                .collect();
            qmp_pairs(&mut pairs, &engine, &eargs, &lines, None);
        }
        Ppc64Op::Decode { pvr } => {
            let lib = ext.decode_pvr(pvr);
            for (as_, flag) in [("host", "host"), ("guest", "guest")] {
                let (_, cli_answer) = run_cli(&with(
                    &["decode"],
                    &eargs,
                    &[
                        "--pvr".into(),
                        pvr.clone(),
                        "--as".into(),
                        flag.into(),
                        "--format".into(),
                        "json".into(),
                    ],
                ));
                let lib_answer = match &lib {
                    Ok(info) if as_ == "host" => Answer::Json(info.host.to_json()),
                    Ok(info) => Answer::Json(info.guest.to_json()),
                    Err(e) => lib_err(e),
                };
                pairs.push(format!("decode --pvr as {as_}"), lib_answer, cli_answer);
            }
        }
    }
    t.record(name, "ppc64", pairs);
}

/// QMP: every reply of the library's monitor against the binary's `qmp`.
fn qmp_pairs(
    pairs: &mut Pairs,
    engine: &Engine,
    eargs: &[String],
    lines: &[String],
    host_model: Option<&Path>,
) {
    let lib = support::serve_qmp(engine, lines);
    let mut args = with(&["qmp"], eargs, &[]);
    if let Some(h) = host_model {
        args.extend(["--host-model".into(), s(h)]);
    }
    let mut stdin = String::from("{\"execute\":\"qmp_capabilities\"}\n");
    for l in lines {
        stdin.push_str(l);
        stdin.push('\n');
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = support::cpucompat(None, &a, Some(&stdin));
    assert_eq!(run.code, 0, "qmp: {}", run.stderr);
    let replies: Vec<Value> = run
        .stdout
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON reply"))
        .filter(|v: &Value| v.get("QMP").is_none())
        .skip(1)
        .collect();
    pairs.push(
        "qmp reply count",
        Answer::Json(lib.len().into()),
        Answer::Json(replies.len().into()),
    );
    for (i, (l, c)) in lib.into_iter().zip(replies).enumerate() {
        pairs.push(format!("qmp reply {i}"), Answer::Json(l), Answer::Json(c));
    }
}

// ----------------------------------------------------------------------------------------
// s390x

#[derive(Deserialize)]
struct QmpCase {
    qemu_version: String,
    host_model: Option<String>,
    command: String,
}

fn s390x(t: &mut Tally, name: &str, text: &str, tmp: &Path) {
    let case: QmpCase = ron::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let qemu = Qemu::from_name(&case.qemu_version).unwrap();
    let mut engine = Engine::builder(Arch::S390x).qemu(qemu).build().unwrap();
    let eargs = engine_args("s390x", "", Some(&case.qemu_version));
    let host_file = case.host_model.as_ref().map(|h| {
        let f = tmp.join("host-model.json");
        std::fs::write(&f, h).unwrap();
        engine = engine
            .s390x()
            .unwrap()
            .with_host_model(Input::from_text("host_model", h.as_str()))
            .unwrap();
        f
    });
    let mut pairs = Pairs::new();
    qmp_pairs(
        &mut pairs,
        &engine,
        &eargs,
        std::slice::from_ref(&case.command),
        host_file.as_deref(),
    );
    t.record(name, "s390x", pairs);
}

// ----------------------------------------------------------------------------------------
// catalog

#[derive(Deserialize)]
struct CatalogCase {
    catalog: Source,
    expect: CatalogExpect,
}

#[derive(Deserialize)]
enum Source {
    Embedded(String),
    Ron(#[allow(dead_code)] String),
    CpuMap { dir: String, arch: CatArch },
}

#[derive(Deserialize, Clone, Copy)]
enum CatArch {
    X86,
    Ppc64,
}

#[derive(Deserialize)]
enum CatalogExpect {
    Models(Vec<ModelName>),
    Error(#[allow(dead_code)] String),
    Text(#[allow(dead_code)] String),
}

#[derive(Deserialize)]
struct ModelName {
    model: String,
}

fn catalog(t: &mut Tally, name: &str, text: &str, path: &Path) {
    let case: CatalogCase = ron::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut pairs = Pairs::new();
    // (arch, the engine's map, the command line's engine options)
    let (arch, map, eargs) = match &case.catalog {
        Source::Ron(_) => {
            return t.library_only(name, "an inline RON catalog has no command-line form");
        }
        Source::Embedded(e) => match e.as_str() {
            "x86" => (
                Arch::X86,
                CpuMap::Libvirt12_8,
                engine_args("x86_64", "", None),
            ),
            "ppc64" => (
                Arch::Ppc64,
                CpuMap::Libvirt12_8,
                engine_args("ppc64", "", None),
            ),
            "x86-libvirt-11.3" => (
                Arch::X86,
                CpuMap::Libvirt11_3,
                engine_args("x86_64", "libvirt-11.3", None),
            ),
            "ppc64-libvirt-11.3" => (
                Arch::Ppc64,
                CpuMap::Libvirt11_3,
                engine_args("ppc64", "libvirt-11.3", None),
            ),
            other => panic!("{name}: no embedded catalog {other}"),
        },
        Source::CpuMap { dir, arch } => {
            // Relative to the package root, as the spec harness names it in messages.
            let base = path.parent().unwrap();
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            let dir = base.strip_prefix(root).unwrap_or(base).join(dir);
            let (a, an) = match arch {
                CatArch::X86 => (Arch::X86, "x86"),
                CatArch::Ppc64 => (Arch::Ppc64, "ppc64"),
            };
            // The importer, both ways (every CpuMap case).
            let lib = match import_cpu_map(&dir, a) {
                Ok(text) => Answer::Text(text),
                Err(e) => lib_err(&e),
            };
            let run = support::cpucompat(
                None,
                &[
                    "catalog",
                    "import",
                    "--cpu-map",
                    &s(&dir),
                    "--catalog-arch",
                    an,
                ],
                None,
            );
            let cli_answer = match run.code {
                0 => Answer::Text(run.stdout),
                2 if run.stdout.is_empty() => Answer::Error(run.stderr),
                c => Answer::Text(format!("exit {c}: {}", run.stderr)),
            };
            pairs.push("catalog import", lib, cli_answer);
            let arch_name = if a == Arch::X86 { "x86_64" } else { "ppc64" };
            let eargs = vec![
                "--arch".to_string(),
                arch_name.to_string(),
                "--cpu-map".to_string(),
                s(&dir),
            ];
            (a, CpuMap::Dir(dir), eargs)
        }
    };
    if let CatalogExpect::Models(models) = &case.expect {
        let engine = Engine::builder(arch).cpu_map(map).build();
        for m in models {
            let lib = match &engine {
                Ok(e) => match e.expand(&m.model) {
                    Ok(x) => json(&x),
                    Err(err) => lib_err(&err),
                },
                Err(err) => lib_err(err),
            };
            let (_, cli_answer) = run_cli(&with(
                &["expand", &m.model],
                &eargs,
                &["--format".into(), "json".into()],
            ));
            pairs.push(format!("expand {}", m.model), lib, cli_answer);
        }
    }
    t.record(name, "catalog", pairs);
}

#[test]
fn every_spec_case_answers_the_same_through_the_library_and_the_binary() {
    let root = root();
    let tmp = std::env::temp_dir().join(format!("cpucompat-spec-cli-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut files = Vec::new();
    collect(&root, &mut files);
    let mut t = Tally::default();
    let started = std::time::Instant::now();
    for path in &files {
        let rel = path.strip_prefix(&root).unwrap();
        let name = rel.to_string_lossy().into_owned();
        let area = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(path).unwrap();
        match area.as_str() {
            "x86" => x86(&mut t, &name, &text),
            "ppc64" => ppc64(&mut t, &name, &text, path),
            "s390x" => s390x(&mut t, &name, &text, &tmp),
            "catalog" => catalog(&mut t, &name, &text, path),
            _ => {} // xml: parsing and printing, no decision to compare; fleet: see below
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let only: usize = t.library_only.values().map(Vec::len).sum();
    eprintln!(
        "spec cases through library and binary: {} compared ({} comparisons {:?}) {:?}, {} \
         equal, {} different; {only} library only; {:?}",
        t.compared,
        t.comparisons,
        t.kinds,
        t.per_area,
        t.equal,
        t.differences.len(),
        started.elapsed()
    );
    for (why, cases) in &t.library_only {
        eprintln!("  library only ({}): {why}", cases.len());
    }
    assert!(
        t.differences.is_empty(),
        "{} of {} comparisons differ:\n{}",
        t.differences.len(),
        t.comparisons,
        t.differences
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    // Every case of these areas is accounted for.
    assert_eq!(
        t.compared + only,
        files
            .iter()
            .filter(|p| {
                // xml: parsing and printing only; fleet: its own command-line tests
                // (tests/fleet_*.rs) hold the binary against the library's fleet answers.
                let rel = p.strip_prefix(&root).unwrap();
                !rel.starts_with("xml") && !rel.starts_with("fleet")
            })
            .count()
    );
    assert!(t.compared >= 237, "{} cases compared", t.compared);
}
