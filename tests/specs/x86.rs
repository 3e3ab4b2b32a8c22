//! Spec checker for `specs/cases/x86`: libvirt 11.3's x86 CPU test corpus, as data.
//!
//! Every file holds one case (input paths are relative to `specs/cases/x86`), converted from libvirt's `tests/cputestdata` by
//! `tools/x86-convert/convert.py` (inputs copied verbatim to `specs/cases/x86/data/`,
//! expected output inlined as libvirt's exact text):
//!
//! ```text
//! X86Case(
//!     catalog: "libvirt-11.3",            // or "default" (the embedded libvirt 12.8 map)
//!     op: <Op>,
//!     expect: <Expect>,
//! )
//!
//! Op := Decode(kind: Host|Guest, dump: "data/<cpudata>.xml", models: None | Some("data/<qmp>.json"))
//!         // x86Decode of a <cpudata> dump; `models` = QEMU's query-cpu-definitions transcript
//!         // (model list + unavailable-features blockers)
//!     | Signature(dump: "data/<cpudata>.xml")
//!         // the .sig text: masked CPUID[1].EAX in hex, family, model, stepping
//!     | Compare(host: "data/<cpu>.xml", guest: "data/<cpu>.xml")
//!     | Baseline(inputs: ["data/<file>.xml", ...], features: bool, migratable: bool)
//!         // every <cpu> of every input file, in order
//!     | Update(host: "data/<cpu>.xml", guest: "data/<cpu>.xml")
//!         // virCPUUpdate of the guest against the host's migratable copy
//!     | GuestCpu(host: ..., guest: ..., models: None | Some(["Model", ...]))
//!         // cputest's guestcpu test: compare (incompatible fails), update against the
//!         // host, translate to the hypervisor's model list (no blockers)
//!
//! Expect := Xml(r#"<cpu>...</cpu>\n"#)   // the result printed as libvirt XML, compared exactly
//!         | Text(r#"..."#)                // compared exactly
//!         | Relation(Identical|Superset|Incompatible)
//!         | Error(None | Some("message")) // the operation fails (with exactly this message)
//!         | Differs(libvirt: <Expect>, ours: <Expect>, reason: "...")
//!             // a deliberate difference: `ours` is checked, libvirt's answer is kept for
//!             // the record and the reason is listed in the README
//! ```
//!
//! Besides the expected output, every successful `Baseline` case also checks what
//! libvirt's `cpuTestBaseline` checks: each input CPU compares IDENTICAL or SUPERSET with
//! the result (the baseline is always compatible). Decode cases also check that the result
//! prints and re-parses to the same value.
//!
//! Texts compared exactly can be re-blessed with `CPUCOMPAT_BLESS=1` (for `Differs`, the
//! `ours` text only).
use crate::common::{expect_text, Case};
use cpucompat::x86::HypervisorModels;
use cpucompat::{
    Arch, BaselineOptions, Cpu, CpuData, CpuDef, CpuKind, CpuMap, Engine, Input, Verdict, X86Ext,
};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
pub struct X86Case {
    #[serde(default = "default_catalog")]
    catalog: String,
    op: Op,
    expect: Expect,
}

fn default_catalog() -> String {
    "default".into()
}

#[derive(Deserialize, Clone, Copy)]
pub enum Kind {
    Host,
    Guest,
}

#[derive(Deserialize)]
pub enum Op {
    Decode {
        kind: Kind,
        dump: String,
        models: Option<String>,
    },
    Signature {
        dump: String,
    },
    Compare {
        host: String,
        guest: String,
    },
    Baseline {
        inputs: Vec<String>,
        features: bool,
        migratable: bool,
    },
    Update {
        host: String,
        guest: String,
    },
    GuestCpu {
        host: String,
        guest: String,
        models: Option<Vec<String>>,
    },
}

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rel {
    Identical,
    Superset,
    Incompatible,
}

#[derive(Deserialize)]
enum Expect {
    Xml(String),
    Text(String),
    Relation(Rel),
    Error(Option<String>),
    Differs {
        #[allow(dead_code)]
        libvirt: Box<Expect>,
        ours: Box<Expect>,
        #[allow(dead_code)]
        reason: String,
    },
}

/// What an operation produced.
pub enum Outcome {
    Text(String),
    Relation(Rel),
    Error(String),
}

/// Checks one `x86` case, through the library's public API only.
pub fn check(case: &Case) -> Result<(), String> {
    let spec: X86Case = case.ron()?;
    let engine = engine(&spec.catalog)?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/cases/x86");
    let outcome = run(&engine, &dir, &spec.op)?;
    let mut expect = &spec.expect;
    while let Expect::Differs { ours, .. } = expect {
        expect = ours;
    }
    match (expect, outcome) {
        (Expect::Xml(want) | Expect::Text(want), Outcome::Text(got)) => {
            expect_text(case, want, &got)
        }
        (Expect::Relation(want), Outcome::Relation(got)) if *want == got => Ok(()),
        (Expect::Error(None), Outcome::Error(_)) => Ok(()),
        (Expect::Error(Some(want)), Outcome::Error(got)) => expect_text(case, want, &got),
        (_, Outcome::Text(got)) => Err(format!("unexpected result:\n{got}")),
        (_, Outcome::Relation(got)) => Err(format!("unexpected relation {got:?}")),
        (_, Outcome::Error(got)) => Err(format!("unexpected error: {got}")),
    }
}

/// The engine of a case's catalog.
pub fn engine(name: &str) -> Result<Engine, String> {
    let map = match name {
        "libvirt-11.3" => CpuMap::Libvirt11_3,
        "default" | "libvirt-12.8" => CpuMap::Libvirt12_8,
        other => return Err(format!("unknown catalog '{other}'")),
    };
    Engine::builder(Arch::X86)
        .cpu_map(map)
        .build()
        .map_err(|e| e.to_string())
}

fn ext(engine: &Engine) -> Result<X86Ext<'_>, String> {
    engine.x86().ok_or_else(|| "not an x86 engine".to_string())
}

fn input(dir: &Path, rel: &str) -> Input {
    Input::path(dir.join(rel))
}

fn load_data(engine: &Engine, dir: &Path, rel: &str) -> Result<CpuData, String> {
    ext(engine)?
        .read_dump(input(dir, rel))
        .map_err(|e| e.to_string())
}

/// Every CPU of a file, or the error reading it gave (a case outcome).
fn load_cpus(engine: &Engine, dir: &Path, rel: &str) -> Result<Vec<Cpu>, cpucompat::Error> {
    engine.read(input(dir, rel))
}

fn load_cpu(engine: &Engine, dir: &Path, rel: &str) -> Result<Cpu, cpucompat::Error> {
    let mut cpus = load_cpus(engine, dir, rel)?;
    if cpus.len() != 1 {
        return Err(cpucompat::Error::new(
            cpucompat::ErrorKind::Syntax,
            format!("{rel}: {} <cpu> elements, expected 1", cpus.len()),
        ));
    }
    Ok(cpus.remove(0))
}

fn relation(v: Verdict) -> Rel {
    match v {
        Verdict::Identical => Rel::Identical,
        Verdict::Superset => Rel::Superset,
        Verdict::Incompatible => Rel::Incompatible,
    }
}

/// An operation's error as a case outcome: its message, without file or position.
fn failed(e: cpucompat::Error) -> Outcome {
    Outcome::Error(e.message().to_string())
}

/// Runs one operation; `Err` is a broken case, an `Outcome::Error` an expected failure.
pub fn run(engine: &Engine, dir: &Path, op: &Op) -> Result<Outcome, String> {
    let x86 = ext(engine)?;
    Ok(match op {
        Op::Decode { kind, dump, models } => {
            let data = load_data(engine, dir, dump)?;
            let hv = match models {
                Some(m) => Some(
                    x86.hypervisor_models(input(dir, m))
                        .map_err(|e| e.to_string())?,
                ),
                None => None,
            };
            match x86.decode_with(&data, cpu_kind(*kind), hv.as_ref()) {
                Ok(cpu) => {
                    let text = cpu.to_xml();
                    round_trip(engine, cpu.definition(), &text)?;
                    Outcome::Text(text)
                }
                Err(e) => failed(e),
            }
        }
        Op::Signature { dump } => {
            let data = load_data(engine, dir, dump)?;
            signature(x86, &data)
        }
        Op::Compare { host, guest } => {
            let pair = load_cpu(engine, dir, host)
                .and_then(|h| Ok((h, load_cpu(engine, dir, guest)?)))
                .and_then(|(h, g)| engine.compare(&h, &g));
            match pair {
                Ok(c) => Outcome::Relation(relation(c.verdict())),
                Err(e) => failed(e),
            }
        }
        Op::Baseline {
            inputs,
            features,
            migratable,
        } => {
            let mut cpus = Vec::new();
            for i in inputs {
                match load_cpus(engine, dir, i) {
                    Ok(c) => cpus.extend(c),
                    Err(e) => return Ok(failed(e)),
                }
            }
            let opts = BaselineOptions {
                expand_features: *features,
                migratable: *migratable,
            };
            match engine.baseline(&cpus, &opts) {
                Ok(b) => {
                    // libvirt's cpuTestBaseline: every input runs the baseline.
                    for (i, input) in cpus.iter().enumerate() {
                        let c = engine
                            .compare(input, b.cpu())
                            .map_err(|e| format!("input {i} vs baseline: {e}"))?;
                        if !c.runs() {
                            return Err(format!(
                                "input {i} does not run the baseline: {:?}",
                                c.reasons()
                            ));
                        }
                    }
                    Outcome::Text(b.to_xml())
                }
                Err(e) => failed(e),
            }
        }
        Op::Update { host, guest } => {
            let r = load_cpu(engine, dir, host)
                .and_then(|h| Ok((h, load_cpu(engine, dir, guest)?)))
                .and_then(|(h, g)| x86.update(&g, &h));
            match r {
                Ok(cpu) => Outcome::Text(cpu.to_xml()),
                Err(e) => failed(e),
            }
        }
        Op::GuestCpu {
            host,
            guest,
            models,
        } => {
            let hv = models.as_ref().map(|list| {
                HypervisorModels::new(list.iter().map(|m| (m.clone(), Vec::<String>::new())))
            });
            let r = load_cpu(engine, dir, host)
                .and_then(|h| Ok((h, load_cpu(engine, dir, guest)?)))
                .and_then(|(h, g)| x86.guest_cpu(&h, &g, hv.as_ref()));
            match r {
                Ok(cpu) => Outcome::Text(cpu.to_xml()),
                Err(e) => failed(e),
            }
        }
    })
}

fn cpu_kind(k: Kind) -> CpuKind {
    match k {
        Kind::Host => CpuKind::Host,
        Kind::Guest => CpuKind::Guest,
    }
}

/// Printing a decoded CPU and parsing it back gives the same definition (positions aside).
fn round_trip(engine: &Engine, cpu: &CpuDef, text: &str) -> Result<(), String> {
    let back = engine
        .read(Input::from_text("<decoded>", text))
        .map_err(|e| format!("re-parse: {e}"))?;
    let [back] = back.as_slice() else {
        return Err("re-parse gave other than one <cpu>".into());
    };
    let strip = |c: &CpuDef| {
        let mut c = c.clone();
        c.pos = Default::default();
        if let Some(m) = &mut c.model {
            m.pos = Default::default();
        }
        for f in &mut c.features {
            f.pos = Default::default();
        }
        c
    };
    if strip(back.definition()) != strip(cpu) {
        return Err(format!(
            "print/parse round trip differs:\n{cpu:?}\n{:?}",
            back.definition()
        ));
    }
    Ok(())
}

/// The `.sig` text: CPUID[1].EAX masked with libvirt's SIGNATURE_MASK (reserved bits
/// cleared, processor type kept) in hex, then the family/model/stepping the host decode
/// derived from it.
fn signature(x86: X86Ext<'_>, data: &CpuData) -> Outcome {
    let (eax, sig) = match x86.signature(data) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let Some(stepping) = sig.stepping else {
        return Outcome::Error("host decode gave no stepping".into());
    };
    Outcome::Text(format!(
        "{:06x}\n{:<9}{:>4} (0x{:02x})\n{:<9}{:>4} (0x{:02x})\n{:<9}{:>4} (0x{:02x})\n",
        eax,
        "family:",
        sig.family,
        sig.family,
        "model:",
        sig.model,
        sig.model,
        "stepping:",
        stepping,
        stepping
    ))
}
