//! The s390x commands: glue between the command line and the `cpucompat-s390x` adapter.
//!
//! Inputs are libvirt `<cpu>` XML (any form the XML layer reads; the first `<cpu>` for a
//! host or guest, every `<cpu>` for a baseline) or a QEMU host model as JSON
//! (`{"name": "gen15a-base", "props": {...}}`, what `query-cpu-model-expansion` of `host`
//! returns under KVM). Every command computes its whole answer before printing it.
//!
//! * `compare HOST GUEST`: what `virsh hypervisor-cpu-compare` decides: QEMU's comparison
//!   of the host model (A) with the guest (B); `identical` and `superset` run (exit 0),
//!   `subset` and `incompatible` do not (exit 1).
//! * `baseline FILE...`: what `virsh hypervisor-cpu-baseline` returns: QEMU baselines
//!   folded pairwise, a single CPU statically expanded, `--features` fully expanded; props
//!   that are `false` are kept as `disable` features.
//! * `models [HOST]`: `query-cpu-definitions` with unavailable features, against the host
//!   (KVM) or the TCG max model.
//! * `expand MODEL`: the model's definition data and every feature it enables.
//! * `qmp`: a QMP monitor (see `cpucompat_s390x::qmp`).
use crate::cli::{BaselineArgs, Common, CompareArgs, ExpandArgs, Format, ModelsArgs, QmpArgs};
use crate::input::{self, display, read};
use crate::{Error, Output};
use cpucompat_lattice::Relation;
use cpucompat_s390x::{libvirt, CpuModel, Engine, Release};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// `cpucompat host`.
pub fn host(_c: &Common) -> Result<Output, Error> {
    Err(Error::usage(
        "host: reading this machine's s390x CPU needs KVM on s390x; use `models HOST` with a \
         host model file"
            .into(),
    ))
}

/// The release of `--qemu-version` (default: the newest data).
fn release(c: &Common) -> Result<Release, Error> {
    match &c.qemu_version {
        None => Ok(Release::Newest),
        Some(v) => Release::parse(v).ok_or_else(|| {
            Error::usage(format!(
                "unknown QEMU version '{v}' for s390x; expected 7.2 or 10.2 (newest)"
            ))
        }),
    }
}

/// The CPU models of one input file, in document order.
fn load(engine: &Engine<'_>, path: &Path, all: bool) -> Result<Vec<CpuModel>, Error> {
    let name = display(path);
    let text = read(path)?;
    if text.trim_start().starts_with('{') {
        let m = cpucompat_s390x::parse_host_model(engine, &name, &text)
            .map_err(|e| Error::usage(e.to_string()))?;
        return Ok(vec![m]);
    }
    let cpus = cpucompat_xml::parse_cpus(&text).map_err(|e| {
        let pos = e.pos();
        Error::input(&name, pos.line, pos.column, e.message())
    })?;
    if cpus.is_empty() {
        return Err(Error::input(&name, 0, 0, "no <cpu> element found"));
    }
    let take = if all { cpus.len() } else { 1 };
    cpus.iter()
        .take(take)
        .map(|cpu| {
            libvirt::model_of(engine, cpu)
                .map_err(|e| Error::input(&name, e.pos.line, e.pos.column, e.message))
        })
        .collect()
}

fn first(engine: &Engine<'_>, path: &Path) -> Result<CpuModel, Error> {
    load(engine, path, false)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::input(&display(path), 0, 0, "no <cpu> element found"))
}

/// `cpucompat compare HOST GUEST`.
pub fn compare(c: &Common, a: &CompareArgs) -> Result<Output, Error> {
    let tcg = Engine::tcg(release(c)?);
    let host = first(&tcg, &a.host)?;
    let engine = tcg.with_host(host);
    let guest = first(&engine, &a.guest)?;
    let cmp = engine.compare(&host, &guest);
    let verdict = libvirt::verdict(cmp.result);
    let stdout = match c.format {
        Some(Format::Json) => {
            let v = json!({
                "result": verdict.as_str(),
                "qemu-result": cmp.result.as_str(),
                "responsible-properties": cmp.responsible,
            });
            crate::render::json_text(&v)
        }
        _ => {
            let mut s = format!("{}\n", verdict.as_str());
            let _ = writeln!(s, "qemu result: {}", cmp.result.as_str());
            if !cmp.responsible.is_empty() {
                let _ = writeln!(s, "responsible properties: {}", cmp.responsible.join(", "));
            }
            s
        }
    };
    Ok(Output {
        stdout,
        exit: u8::from(verdict == Relation::Incompatible),
    })
}

/// `cpucompat baseline FILE...`.
pub fn baseline(c: &Common, a: &BaselineArgs) -> Result<Output, Error> {
    let engine = Engine::tcg(release(c)?);
    let mut cpus = Vec::new();
    for f in &a.files {
        cpus.extend(load(&engine, f, true)?);
    }
    let Some((first, rest)) = cpus.split_first() else {
        return Err(Error::usage("baseline: no CPUs given".into()));
    };
    let mut acc = *first;
    for m in rest {
        acc = engine
            .baseline(&acc, m)
            .map_err(|e| Error::Decision(e.to_string()))?;
    }
    let e = if a.features {
        engine.expand_full(&acc)
    } else {
        engine.expand_static(&acc)
    };
    let stdout = match c.format {
        Some(Format::Json) => {
            let props: serde_json::Map<String, Value> = e
                .props
                .iter()
                .map(|(k, v)| (k.to_string(), Value::Bool(*v)))
                .collect();
            let v = json!({"name": e.name, "props": props});
            crate::render::json_text(&v)
        }
        _ => cpucompat_xml::write_cpu(&libvirt::cpu_of(&e)),
    };
    Ok(Output::ok(stdout))
}

/// `cpucompat models [HOST]`.
pub fn models(c: &Common, a: &ModelsArgs) -> Result<Output, Error> {
    let mut engine = Engine::tcg(release(c)?);
    if let Some(h) = &a.host {
        let host = first(&engine, h)?;
        engine = engine.with_host(host);
    }
    let defs = engine.definitions();
    let stdout = match c.format {
        Some(Format::Json) => {
            let v: Vec<Value> = defs
                .iter()
                .map(|d| {
                    json!({
                        "name": d.name,
                        "usable": d.unavailable.is_empty(),
                        "static": d.is_static,
                        "migration-safe": d.migration_safe,
                        "blockers": d.unavailable,
                    })
                })
                .collect();
            crate::render::json_text(&Value::from(v))
        }
        _ => {
            let mut s = String::new();
            for d in &defs {
                let usable = if d.unavailable.is_empty() {
                    "yes"
                } else {
                    "no"
                };
                let _ = write!(s, "{:<16} {usable}", d.name);
                if !d.unavailable.is_empty() {
                    let _ = write!(s, "  {}", d.unavailable.join(" "));
                }
                s.push('\n');
            }
            s
        }
    };
    Ok(Output::ok(stdout))
}

/// `cpucompat expand MODEL`.
pub fn expand(c: &Common, a: &ExpandArgs) -> Result<Output, Error> {
    let engine = Engine::tcg(release(c)?);
    let m = engine
        .build(&a.model, &[])
        .map_err(|e| Error::usage(e.to_string()))?;
    let cat = engine.catalog();
    let d = cat.definition(m.definition());
    let features: Vec<&str> = m
        .features()
        .iter()
        .map(|b| cat.feature(b).name.as_str())
        .collect();
    let stdout = match c.format {
        Some(Format::Json) => {
            let v = json!({
                "name": a.model,
                "definition": d.name,
                "type": format!("{:#06x}", d.cpu_type),
                "generation": d.gen,
                "ga": d.ga,
                "ibc": format!("{:#04x}", d.ibc()),
                "description": d.desc,
                "static": engine.expand_static(&m).name,
                "features": features,
            });
            crate::render::json_text(&v)
        }
        Some(Format::Xml) => cpucompat_xml::write_cpu(&libvirt::cpu_of(&engine.expand_static(&m))),
        _ => {
            let mut s = format!(
                "{} ({}): type {:#06x}, generation {}, GA {}, IBC {:#04x}, {} features\n",
                a.model,
                d.desc,
                d.cpu_type,
                d.gen,
                d.ga,
                d.ibc(),
                features.len()
            );
            for f in features {
                s.push_str(f);
                s.push('\n');
            }
            s
        }
    };
    Ok(Output::ok(stdout))
}

/// The engine: TCG, or KVM on the `--host-model` host.
fn engine(c: &Common, host_model: Option<&Path>) -> Result<Engine<'static>, Error> {
    let engine = Engine::tcg(release(c)?);
    match host_model {
        None => Ok(engine),
        Some(p) => {
            let text = input::read(p)?;
            let host = cpucompat_s390x::parse_host_model(&engine, &input::display(p), &text)
                .map_err(|e| Error::usage(e.to_string()))?;
            Ok(engine.with_host(host))
        }
    }
}

/// `cpucompat qmp`: a QMP monitor on stdin/stdout, replies streamed as they are computed.
pub fn qmp(c: &Common, a: &QmpArgs) -> Result<Output, Error> {
    let engine = engine(c, a.host_model.as_deref())?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    cpucompat_s390x::serve(engine, stdin.lock(), stdout.lock()).map_err(|source| Error::Io {
        path: "<stdio>".into(),
        source,
    })?;
    Ok(Output::ok(String::new()))
}
