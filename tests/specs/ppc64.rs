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
use cpucompat_catalog::embedded;
use cpucompat_lattice::Relation;
use cpucompat_ppc64::{pvr_of_data, qmp, Cpu, LibvirtMap, Ppc64, Pvr, QemuTable};
use cpucompat_xml::{parse_cpudata, parse_cpus, write_cpu};
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

fn rel(r: Relation) -> Result<Rel, String> {
    match r {
        Relation::Identical => Ok(Rel::Identical),
        Relation::Incompatible => Ok(Rel::Incompatible),
        other => Err(format!("ppc64 compare gave {other:?}")),
    }
}

fn read(case: &Case, rel_path: &str) -> Result<String, String> {
    let root = case
        .path
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "ppc64"))
        .unwrap_or(Path::new("."));
    std::fs::read_to_string(root.join(rel_path)).map_err(|e| format!("{rel_path}: {e}"))
}

/// The CPUs of a file: every `<cpu>`, or the host a `<cpudata>` dump decodes to.
fn load(ctx: &Ppc64, case: &Case, file: &str) -> Result<Vec<Cpu>, String> {
    let text = read(case, file)?;
    if text.contains("<cpudata") {
        let data = parse_cpudata(&text).map_err(|e| format!("{file}: {e}"))?;
        let pvr = pvr_of_data(&data).map_err(|e| format!("{file}: {e}"))?;
        let d = ctx.decode(pvr).map_err(|e| format!("{file}: {e}"))?;
        return Ok(vec![d.cpu(false)]);
    }
    let defs = parse_cpus(&text).map_err(|e| format!("{file}: {e}"))?;
    Ok(defs.into_iter().map(Cpu::from_def).collect())
}

fn one(ctx: &Ppc64, case: &Case, file: &str) -> Result<Cpu, String> {
    load(ctx, case, file)?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{file}: no CPU"))
}

fn check_compare(ctx: &Ppc64, host: &Cpu, guest: &Cpu, expect: &Expect) -> Result<(), String> {
    let got = ctx.compare(host, guest);
    match (expect, got) {
        (Expect::Relation(r), Ok(v)) if rel(v.relation())? == *r => Ok(()),
        (Expect::Verdict { result, reasons }, Ok(v)) => {
            let got: Vec<String> = v
                .reasons()
                .iter()
                .map(|r| format!("{}: {r}", r.rule()))
                .collect();
            if rel(v.relation())? == *result && &got == reasons {
                Ok(())
            } else {
                Err(format!(
                    "expected {result:?} {reasons:#?}\ngot {:?} {got:#?}",
                    v.relation()
                ))
            }
        }
        (Expect::Error(msg), Err(e)) if e.to_string() == *msg => Ok(()),
        (Expect::Relation(r), got) => Err(format!("expected {r:?}, got {got:?}")),
        (Expect::Error(m), got) => Err(format!("expected error '{m}', got {got:?}")),
        (_, got) => Err(format!("expectation does not fit a compare; got {got:?}")),
    }
}

/// Checks one `ppc64` case.
pub fn check(case: &Case) -> Result<(), String> {
    let spec: Ppc64Case = case.ron()?;
    let compiled = match spec.catalog.as_str() {
        "default" => embedded::ppc64(),
        "libvirt-11.3" => embedded::ppc64_libvirt_11_3(),
        other => return Err(format!("unknown catalog '{other}'")),
    };
    let map = LibvirtMap::from_compiled(compiled).map_err(|e| e.to_string())?;
    let table = QemuTable::for_version(Some(&spec.qemu)).map_err(|e| e.to_string())?;
    let ctx = Ppc64::new(&map, table);
    match (&spec.op, &spec.expect) {
        (Op::Compare { host, guest }, expect) => {
            let host = one(&ctx, case, host)?;
            let guest = one(&ctx, case, guest)?;
            check_compare(&ctx, &host, &guest, expect)
        }
        (Op::Update { host, guest }, Expect::Updated { xml, then }) => {
            let host = one(&ctx, case, host)?;
            let guest = one(&ctx, case, guest)?;
            let updated = ctx.update(&guest.def);
            // Compared as values (both sides normalized): the XML writer prints a bare
            // `<cpu mode='host-model'/>` as `<model fallback='allow'/>`, which libvirt's
            // update output for guest-compat-none does not show; the value is the same.
            let want = parse_cpus(xml).map_err(|e| format!("expected xml: {e}"))?;
            let want = want.first().ok_or("expected xml: no cpu")?;
            if want.normalized() != updated.normalized() {
                return Err(format!(
                    "updated guest differs:\nwant {}\ngot  {}",
                    write_cpu(want),
                    write_cpu(&updated)
                ));
            }
            check_compare(&ctx, &host, &Cpu::from_def(updated), then)
        }
        (Op::Baseline { inputs }, expect) => {
            let mut cpus = Vec::new();
            for f in inputs {
                cpus.extend(load(&ctx, case, f)?.into_iter().map(|c| c.def));
            }
            match (ctx.baseline(&cpus), expect) {
                (Ok(b), Expect::Xml(x)) => {
                    expect_text(case, x, &write_cpu(&b))?;
                    for c in &cpus {
                        let v = ctx
                            .compare(&Cpu::from_def(c.clone()), &Cpu::from_def(b.clone()))
                            .map_err(|e| format!("input vs baseline: {e}"))?;
                        if !v.is_compatible() {
                            return Err(format!("an input does not run the baseline: {v:?}"));
                        }
                    }
                    Ok(())
                }
                (Err(e), Expect::Error(m)) if e.to_string() == *m => Ok(()),
                (got, _) => Err(format!("unexpected baseline outcome {got:?}")),
            }
        }
        (Op::CompatBaseline { hosts }, expect) => {
            let mut cpus = Vec::new();
            for f in hosts {
                cpus.extend(load(&ctx, case, f)?);
            }
            match (ctx.compat_baseline(&cpus), expect) {
                (Ok(b), Expect::Xml(x)) => {
                    expect_text(case, x, &write_cpu(b.def()))?;
                    for h in &cpus {
                        let v = ctx
                            .compare(h, &Cpu::from_def(b.def().clone()))
                            .map_err(|e| format!("host vs baseline: {e}"))?;
                        if !v.is_compatible() {
                            return Err(format!("a host does not run the baseline: {v:?}"));
                        }
                    }
                    Ok(())
                }
                (Err(e), Expect::Error(m)) if e.to_string() == *m => Ok(()),
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
        ) => check_qmp(case, table, commands, transcript, skip),
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
            let pvr = Pvr::parse(pvr).map_err(|e| e.to_string())?;
            let d = ctx.decode(pvr).map_err(|e| e.to_string())?;
            let got_modes: Vec<String> = d
                .compat_modes
                .iter()
                .map(|m| m.name().to_string())
                .collect();
            let got = (
                d.model.name().to_string(),
                d.model.vendor().map(str::to_string),
                d.class.map(|c| c.name().to_string()),
                d.family.map(|f| f.name().to_string()),
                got_modes,
            );
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
        (Op::Decode { pvr }, Expect::Error(msg)) => {
            let pvr = Pvr::parse(pvr).map_err(|e| e.to_string())?;
            match ctx.decode(pvr) {
                Err(e) if e.to_string() == *msg => Ok(()),
                got => Err(format!("expected error '{msg}', got {got:?}")),
            }
        }
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
    table: &'static QemuTable,
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
    let out = qmp::transcript(table, &input);
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
