//! Spec checker for `specs/cases/ppc64`: libvirt 11.3's ppc64 cputest cases, QEMU 7.2's
//! observed behaviour, and our compat-mode rules, as data.
//!
//! Every file holds one case (`libvirt/` and `qemu/max-cpu-compat/` are written by
//! `specs/cases/ppc64/convert.py`; the rest by hand):
//!
//! ```text
//! Ppc64Case(
//!     catalog: "libvirt-11.3",     // or "default": the embedded libvirt 12.8 map
//!     qemu: "7.2",                 // or "newest" (default)
//!     op: <Op>,
//!     expect: <Expect>,
//! )
//!
//! Op := Compare(host: FILE, guest: FILE)       // FILE: a <cpu> file or a <cpudata> dump
//!     | Update(host: FILE, guest: FILE)        // libvirt's update, then compare
//!     | Baseline(inputs: [FILE, ...])          // libvirt's baseline of every <cpu>
//!     | CompatBaseline(hosts: [FILE, ...])     // our compat-mode baseline
//!     | CompatTable(families: ["POWER6", ...]) // every (compat mode, host family) pair
//!     | MaxCpuCompat(cpu: "power9", compat: Some("power8") | None)
//!     | Qmp(commands: FILE, transcript: FILE, skip: [(index, "why"), ...])
//!     | Decode(pvr: "0x004e1202")
//!
//! Expect := Relation(Identical|Incompatible)
//!         | Verdict(result: Identical|Incompatible, reasons: ["rule: message", ...])
//!         | Error("message")                       // no decision, this exact message
//!         | Updated(xml: "<cpu ...", then: <Expect>)   // compared as normalized values
//!         | Xml("<cpu ...")                        // libvirt's text, exactly
//!         | Runs(mode: "power8")                   // "" = raw mode
//!         | QemuError("QEMU's message")
//!         | Supported([("power6", ["POWER7", ...]), ...])  // mode → families that run it
//!         | Transcript                             // replies equal the transcript's
//!         | Decoded(model, vendor, class, family, modes)
//! ```
//!
//! Successful `Baseline` cases also check what libvirt's `cpuTestBaseline` checks: each
//! input compares IDENTICAL with the result. `CompatBaseline` cases check that every host
//! runs the result. `Qmp` cases compare `query-cpu-definitions` on the POWER5+-and-later
//! entries only (names `power<digit>...`), every other reply in full.
use crate::common::{expect_text, Case};
use cpucompat::ppc64::QemuTable;
use cpucompat::{Arch, BaselineOptions, Comparison, Cpu, CpuMap, Engine, Input, Qemu, Verdict};
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

#[derive(Deserialize)]
struct Ppc64Case {
    #[serde(default = "default_str")]
    catalog: String,
    #[serde(default = "newest")]
    qemu: String,
    op: Op,
    expect: Expect,
}

fn default_str() -> String {
    "default".into()
}

fn newest() -> String {
    "newest".into()
}

#[derive(Deserialize)]
enum Op {
    Compare {
        host: String,
        guest: String,
    },
    Update {
        host: String,
        guest: String,
    },
    Baseline {
        inputs: Vec<String>,
    },
    CompatBaseline {
        hosts: Vec<String>,
    },
    CompatTable {
        families: Vec<String>,
    },
    MaxCpuCompat {
        cpu: String,
        compat: Option<String>,
    },
    Qmp {
        commands: String,
        transcript: String,
        skip: Vec<(usize, String)>,
    },
    Decode {
        pvr: String,
    },
}

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
enum Rel {
    Identical,
    Incompatible,
}

#[derive(Deserialize)]
enum Expect {
    Relation(Rel),
    Verdict {
        result: Rel,
        reasons: Vec<String>,
    },
    Error(String),
    Updated {
        xml: String,
        then: Box<Expect>,
    },
    Xml(String),
    Runs {
        mode: String,
    },
    QemuError(String),
    Supported(Vec<(String, Vec<String>)>),
    Transcript,
    Decoded {
        model: String,
        vendor: Option<String>,
        class: Option<String>,
        family: Option<String>,
        modes: Vec<String>,
    },
}

fn rel(v: Verdict) -> Result<Rel, String> {
    match v {
        Verdict::Identical => Ok(Rel::Identical),
        Verdict::Incompatible => Ok(Rel::Incompatible),
        other => Err(format!("ppc64 compare gave {other:?}")),
    }
}

fn path(case: &Case, rel_path: &str) -> std::path::PathBuf {
    let root = case
        .path
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "ppc64"))
        .unwrap_or(Path::new("."));
    root.join(rel_path)
}

fn read(case: &Case, rel_path: &str) -> Result<String, String> {
    std::fs::read_to_string(path(case, rel_path)).map_err(|e| format!("{rel_path}: {e}"))
}

/// The CPUs of a file: every `<cpu>`, or the host a `<cpudata>` dump decodes to; a load
/// error is a case outcome (its message).
fn load(engine: &Engine, case: &Case, file: &str) -> Result<Vec<Cpu>, String> {
    engine
        .read(Input::path(path(case, file)))
        .map_err(|e| e.message().to_string())
}

fn one(engine: &Engine, case: &Case, file: &str) -> Result<Cpu, String> {
    load(engine, case, file)?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{file}: no CPU"))
}

fn check_compare(got: Result<Comparison, String>, expect: &Expect) -> Result<(), String> {
    match (expect, got) {
        (Expect::Relation(r), Ok(v)) if rel(v.verdict())? == *r => Ok(()),
        (Expect::Verdict { result, reasons }, Ok(v)) => {
            let got: Vec<String> = v.reasons().iter().map(|r| r.to_string()).collect();
            if rel(v.verdict())? == *result && &got == reasons {
                Ok(())
            } else {
                Err(format!(
                    "expected {result:?} {reasons:#?}\ngot {:?} {got:#?}",
                    v.verdict()
                ))
            }
        }
        (Expect::Error(msg), Err(e)) if e == *msg => Ok(()),
        (Expect::Relation(r), got) => Err(format!("expected {r:?}, got {got:?}")),
        (Expect::Error(m), got) => Err(format!("expected error '{m}', got {got:?}")),
        (_, got) => Err(format!("expectation does not fit a compare; got {got:?}")),
    }
}

fn compare(engine: &Engine, case: &Case, host: &str, guest: &str) -> Result<Comparison, String> {
    let host = one(engine, case, host)?;
    let guest = one(engine, case, guest)?;
    engine
        .compare(&host, &guest)
        .map_err(|e| e.message().to_string())
}

/// Checks one `ppc64` case.
pub fn check(case: &Case) -> Result<(), String> {
    let spec: Ppc64Case = case.ron()?;
    let map = match spec.catalog.as_str() {
        "default" => CpuMap::Libvirt12_8,
        "libvirt-11.3" => CpuMap::Libvirt11_3,
        other => return Err(format!("unknown catalog '{other}'")),
    };
    let qemu = Qemu::from_name(&spec.qemu).ok_or(format!("unknown QEMU {}", spec.qemu))?;
    let engine = Engine::builder(Arch::Ppc64)
        .cpu_map(map)
        .qemu(qemu)
        .build()
        .map_err(|e| e.to_string())?;
    let ext = engine.ppc64().ok_or("not a ppc64 engine")?;
    let table = ext.qemu();
    match (&spec.op, &spec.expect) {
        (Op::Compare { host, guest }, expect) => {
            check_compare(compare(&engine, case, host, guest), expect)
        }
        (Op::Update { host, guest }, Expect::Updated { xml, then }) => {
            let host = one(&engine, case, host)?;
            let guest = one(&engine, case, guest)?;
            let updated = ext.update(&guest).map_err(|e| e.to_string())?;
            // Compared as values (both sides normalized): the XML writer prints a bare
            // `<cpu mode='host-model'/>` as `<model fallback='allow'/>`, which libvirt's
            // update output for guest-compat-none does not show; the value is the same.
            let want = engine
                .read(Input::from_text("<expected>", xml.as_str()))
                .map_err(|e| format!("expected xml: {e}"))?;
            let want = want.first().ok_or("expected xml: no cpu")?;
            if want.definition().normalized() != updated.definition().normalized() {
                return Err(format!(
                    "updated guest differs:\nwant {}\ngot  {}",
                    want.to_xml(),
                    updated.to_xml()
                ));
            }
            let got = engine
                .compare(&host, &updated)
                .map_err(|e| e.message().to_string());
            check_compare(got, then)
        }
        (Op::Baseline { inputs }, expect) => {
            let mut cpus = Vec::new();
            for f in inputs {
                cpus.extend(load(&engine, case, f)?);
            }
            match (engine.baseline(&cpus, &BaselineOptions::default()), expect) {
                (Ok(b), Expect::Xml(x)) => {
                    expect_text(case, x, &b.to_xml())?;
                    for c in &cpus {
                        let v = engine
                            .compare(c, b.cpu())
                            .map_err(|e| format!("input vs baseline: {e}"))?;
                        if !v.runs() {
                            return Err(format!("an input does not run the baseline: {v:?}"));
                        }
                    }
                    Ok(())
                }
                (Err(e), Expect::Error(m)) if e.message() == *m => Ok(()),
                (got, _) => Err(format!("unexpected baseline outcome {got:?}")),
            }
        }
        (Op::CompatBaseline { hosts }, expect) => {
            let mut cpus = Vec::new();
            for f in hosts {
                cpus.extend(load(&engine, case, f)?);
            }
            match (ext.compat_baseline(&cpus), expect) {
                (Ok((_, b)), Expect::Xml(x)) => {
                    expect_text(case, x, &b.to_xml())?;
                    for h in &cpus {
                        let v = engine
                            .compare(h, &b)
                            .map_err(|e| format!("host vs baseline: {e}"))?;
                        if !v.runs() {
                            return Err(format!("a host does not run the baseline: {v:?}"));
                        }
                    }
                    Ok(())
                }
                (Err(e), Expect::Error(m)) if e.message() == *m => Ok(()),
                (got, _) => Err(format!("unexpected compat baseline outcome {got:?}")),
            }
        }
        (Op::CompatTable { families }, Expect::Supported(rows)) => {
            let mut errors = Vec::new();
            let mut modes: Vec<&str> = table.compat_modes().iter().map(|m| m.name()).collect();
            for (mode, _) in rows {
                if !modes.contains(&mode.as_str()) {
                    modes.push(mode);
                }
            }
            for mode in modes {
                let table: &QemuTable = table;
                let want: &[String] = rows
                    .iter()
                    .find(|(m, _)| m == mode)
                    .map_or(&[], |(_, f)| f.as_slice());
                for fam in families {
                    let got = match (table.compat_mode(mode), table.family(fam)) {
                        (Some(m), Some(f)) => table.supports(f, m),
                        _ => false,
                    };
                    if got != want.contains(fam) {
                        errors.push(format!("{mode} on {fam}: expected {}, got {got}", !got));
                    }
                }
            }
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors.join("\n"))
            }
        }
        (Op::MaxCpuCompat { cpu, compat }, expect) => {
            let got = match compat {
                None => table
                    .class_by_name(cpu)
                    .map(|_| String::new())
                    .ok_or_else(|| format!("unknown cpu {cpu}")),
                Some(c) => table
                    .max_cpu_compat(cpu, c)
                    .map(|m| m.name().to_string())
                    .map_err(|e| e.qemu_message()),
            };
            match (expect, got) {
                (Expect::Runs { mode }, Ok(m)) if *mode == m => Ok(()),
                (Expect::QemuError(msg), Err(e)) if *msg == e => Ok(()),
                (_, got) => Err(format!("unexpected outcome {got:?}")),
            }
        }
        (
            Op::Qmp {
                commands,
                transcript,
                skip,
            },
            Expect::Transcript,
        ) => check_qmp(case, &engine, commands, transcript, skip),
        (
            Op::Decode { pvr },
            Expect::Decoded {
                model,
                vendor,
                class,
                family,
                modes,
            },
        ) => {
            let d = ext.decode_pvr(pvr).map_err(|e| e.to_string())?;
            let got = (d.model, d.vendor, d.qemu_class, d.family, d.compat_modes);
            let want = (
                model.clone(),
                vendor.clone(),
                class.clone(),
                family.clone(),
                modes.clone(),
            );
            if got == want {
                Ok(())
            } else {
                Err(format!("expected {want:?}\ngot      {got:?}"))
            }
        }
        (Op::Decode { pvr }, Expect::Error(msg)) => match ext.decode_pvr(pvr) {
            Err(e) if e.message() == *msg => Ok(()),
            got => Err(format!("expected error '{msg}', got {got:?}")),
        },
        _ => Err("this expectation does not fit this operation".into()),
    }
}

/// Whether a `query-cpu-definitions` entry is a POWER5+-or-later server CPU.
pub fn is_power_server(entry: &Value) -> bool {
    let name = entry["name"].as_str().unwrap_or("");
    name.strip_prefix("power")
        .and_then(|r| r.chars().next())
        .is_some_and(|c| c.is_ascii_digit())
}

fn check_qmp(
    case: &Case,
    engine: &Engine,
    commands: &str,
    transcript: &str,
    skip: &[(usize, String)],
) -> Result<(), String> {
    let cmds: Vec<String> = read(case, commands)?
        .lines()
        .map(|l| l.trim_start_matches("> ").to_string())
        .filter(|l| !l.trim().is_empty())
        .collect();
    let want: Vec<Value> = read(case, transcript)?
        .lines()
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{transcript}: {e}")))
        .collect::<Result<_, _>>()?;
    if want.len() != cmds.len() {
        return Err(format!("{} commands, {} replies", cmds.len(), want.len()));
    }
    let input = format!(
        "{{\"execute\":\"qmp_capabilities\"}}\n{}\n",
        cmds.join("\n")
    );
    let mut out = Vec::new();
    engine
        .ppc64()
        .ok_or("not a ppc64 engine")?
        .serve_qmp(input.as_bytes(), &mut out)
        .map_err(|e| e.to_string())?;
    let out = String::from_utf8_lossy(&out);
    let got: Vec<Value> = out
        .lines()
        .skip(2) // greeting, qmp_capabilities
        .map(|l| serde_json::from_str(l).map_err(|e| format!("our reply: {e}")))
        .collect::<Result<_, _>>()?;
    let mut errors = Vec::new();
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        if skip.iter().any(|(k, _)| *k == i) {
            continue;
        }
        let filter = |v: &Value| -> Value {
            match v.get("return").and_then(Value::as_array) {
                Some(a) if cmds[i].contains("query-cpu-definitions") => {
                    Value::Array(a.iter().filter(|e| is_power_server(e)).cloned().collect())
                }
                _ => v.clone(),
            }
        };
        if filter(w) != filter(g) {
            errors.push(format!(
                "command {i} ({}):\nwant {}\ngot  {}",
                cmds[i],
                filter(w),
                filter(g)
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}
