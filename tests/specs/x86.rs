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
use cpucompat_catalog::{embedded, Compiled};
use cpucompat_lattice::Relation;
use cpucompat_x86::{BaselineOptions, HypervisorModels, X86};
use cpucompat_xml::model::{CpuData, CpuDef, CpuKind};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct X86Case {
    #[serde(default = "default_catalog")]
    catalog: String,
    op: Op,
    expect: Expect,
}

fn default_catalog() -> String {
    "default".into()
}

#[derive(Deserialize, Clone, Copy)]
enum Kind {
    Host,
    Guest,
}

#[derive(Deserialize)]
enum Op {
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
enum Rel {
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
enum Outcome {
    Text(String),
    Relation(Rel),
    Error(String),
}

/// Checks one `x86` case.
pub fn check(case: &Case) -> Result<(), String> {
    let spec: X86Case = case.ron()?;
    let cat = catalog(&spec.catalog)?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/cases/x86");
    let x86 = X86::new(cat);
    let outcome = run(&x86, &dir, &spec.op)?;
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

fn catalog(name: &str) -> Result<&'static Compiled, String> {
    match name {
        "libvirt-11.3" => Ok(embedded::x86_libvirt_11_3()),
        "default" | "libvirt-12.8" => Ok(embedded::x86()),
        other => Err(format!("unknown catalog '{other}'")),
    }
}

fn read(dir: &Path, rel: &str) -> Result<String, String> {
    std::fs::read_to_string(dir.join(rel)).map_err(|e| format!("{rel}: {e}"))
}

fn load_data(dir: &Path, rel: &str) -> Result<CpuData, String> {
    cpucompat_xml::parse_cpudata(&read(dir, rel)?).map_err(|e| format!("{rel}: {e}"))
}

fn load_cpus(dir: &Path, rel: &str) -> Result<Vec<CpuDef>, String> {
    cpucompat_xml::parse_cpus(&read(dir, rel)?).map_err(|e| format!("{rel}: {e}"))
}

fn load_cpu(dir: &Path, rel: &str) -> Result<CpuDef, String> {
    let mut cpus = load_cpus(dir, rel)?;
    if cpus.len() != 1 {
        return Err(format!("{rel}: {} <cpu> elements, expected 1", cpus.len()));
    }
    Ok(cpus.remove(0))
}

fn relation(r: Relation) -> Result<Rel, String> {
    match r {
        Relation::Identical => Ok(Rel::Identical),
        Relation::Superset => Ok(Rel::Superset),
        Relation::Incompatible => Ok(Rel::Incompatible),
        Relation::Subset => Err("compare answered 'subset', which libvirt never does".into()),
    }
}

fn run(x86: &X86<'_>, dir: &Path, op: &Op) -> Result<Outcome, String> {
    Ok(match op {
        Op::Decode { kind, dump, models } => {
            let data = load_data(dir, dump)?;
            let hv = match models {
                Some(m) => Some(
                    HypervisorModels::from_qmp_json(&read(dir, m)?)
                        .map_err(|e| format!("{m}: {e}"))?,
                ),
                None => None,
            };
            let kind = match kind {
                Kind::Host => CpuKind::Host,
                Kind::Guest => CpuKind::Guest,
            };
            match x86.decode(&data, kind, hv.as_ref()) {
                Ok(cpu) => {
                    let text = cpucompat_xml::write_cpu(&cpu);
                    round_trip(&cpu, &text)?;
                    Outcome::Text(text)
                }
                Err(e) => Outcome::Error(e.to_string()),
            }
        }
        Op::Signature { dump } => {
            let data = load_data(dir, dump)?;
            signature(x86, &data)?
        }
        Op::Compare { host, guest } => {
            let host = load_cpu(dir, host)?;
            let guest = load_cpu(dir, guest)?;
            match x86.compare(&host, &guest) {
                Ok(c) => Outcome::Relation(relation(c.result)?),
                Err(e) => Outcome::Error(e.to_string()),
            }
        }
        Op::Baseline {
            inputs,
            features,
            migratable,
        } => {
            let mut cpus = Vec::new();
            for i in inputs {
                cpus.extend(load_cpus(dir, i)?);
            }
            let opts = BaselineOptions {
                expand_features: *features,
                migratable: *migratable,
                hypervisor: None,
            };
            match x86.baseline(&cpus, &opts) {
                Ok(cpu) => {
                    // libvirt's cpuTestBaseline: every input runs the baseline.
                    for (i, input) in cpus.iter().enumerate() {
                        let c = x86
                            .compare(input, &cpu)
                            .map_err(|e| format!("input {i} vs baseline: {e}"))?;
                        if !matches!(c.result, Relation::Identical | Relation::Superset) {
                            return Err(format!(
                                "input {i} does not run the baseline: {:?} {:?}",
                                c.result, c.reasons
                            ));
                        }
                    }
                    Outcome::Text(cpucompat_xml::write_cpu(&cpu))
                }
                Err(e) => Outcome::Error(e.to_string()),
            }
        }
        Op::Update { host, guest } => {
            let host = load_cpu(dir, host)?;
            let guest = load_cpu(dir, guest)?;
            match x86.update(&guest, &x86.copy_migratable(&host)) {
                Ok(cpu) => Outcome::Text(cpucompat_xml::write_cpu(&cpu)),
                Err(e) => Outcome::Error(e.to_string()),
            }
        }
        Op::GuestCpu {
            host,
            guest,
            models,
        } => {
            let host = load_cpu(dir, host)?;
            let guest = load_cpu(dir, guest)?;
            match guest_cpu(x86, &host, &guest, models.as_deref()) {
                Ok(cpu) => Outcome::Text(cpucompat_xml::write_cpu(&cpu)),
                Err(e) => Outcome::Error(e),
            }
        }
    })
}

fn guest_cpu(
    x86: &X86<'_>,
    host: &CpuDef,
    guest: &CpuDef,
    models: Option<&[String]>,
) -> Result<CpuDef, String> {
    let c = x86.compare(host, guest).map_err(|e| e.to_string())?;
    if c.result == Relation::Incompatible {
        return Err(format!("incompatible: {}", c.reasons.join("; ")));
    }
    let cpu = x86.update(guest, host).map_err(|e| e.to_string())?;
    match models {
        None => Ok(cpu),
        Some(list) => {
            let hv = HypervisorModels::new(list.iter().map(|m| (m.clone(), Vec::<String>::new())));
            x86.translate(&cpu, &hv).map_err(|e| e.to_string())
        }
    }
}

/// Printing a decoded CPU and parsing it back gives the same definition (positions aside).
fn round_trip(cpu: &CpuDef, text: &str) -> Result<(), String> {
    let back = cpucompat_xml::parse_cpus(text).map_err(|e| format!("re-parse: {e}"))?;
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
    if strip(back) != strip(cpu) {
        return Err(format!(
            "print/parse round trip differs:\n{cpu:?}\n{back:?}"
        ));
    }
    Ok(())
}

/// The `.sig` text: CPUID[1].EAX masked with libvirt's SIGNATURE_MASK (reserved bits
/// cleared, processor type kept) in hex, then the family/model/stepping the adapter's host
/// decode derived from it.
fn signature(x86: &X86<'_>, data: &CpuData) -> Result<Outcome, String> {
    let eax = data
        .cpuid(1, 0)
        .map(|r| r[0])
        .ok_or("dump has no CPUID leaf 1")?;
    let cpu = match x86.decode(data, CpuKind::Host, None) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::Error(e.to_string())),
    };
    let sig = cpu.signature.ok_or("host decode gave no signature")?;
    let stepping = sig.stepping.ok_or("host decode gave no stepping")?;
    Ok(Outcome::Text(format!(
        "{:06x}\n{:<9}{:>4} (0x{:02x})\n{:<9}{:>4} (0x{:02x})\n{:<9}{:>4} (0x{:02x})\n",
        eax & cpucompat_x86::SIGNATURE_MASK,
        "family:",
        sig.family,
        sig.family,
        "model:",
        sig.model,
        sig.model,
        "stepping:",
        stepping,
        stepping
    )))
}
