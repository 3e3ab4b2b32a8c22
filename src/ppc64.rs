//! The ppc64 commands: glue between the command line and the `cpucompat-ppc64` adapter.
//!
//! Every command reads its inputs whole, turns them into values, asks the adapter and
//! renders one string; nothing is printed before the whole answer exists.
//!
//! Inputs: a CPU file is any CPU XML form the XML layer reads (the first `<cpu>` is used,
//! `baseline` uses all), a `<cpudata arch='ppc64'>` dump, or a POWER `/proc/cpuinfo` text
//! (its `revision : ... (pvr XXXX XXXX)` line). A dump or cpuinfo decodes to a host CPU
//! that keeps its PVR, so QEMU's raw-mode PVR rule can apply when it is the *guest* of a
//! compare (a raw-mode guest running with that source host's PVR).
//!
//! Names are checked before any decision, with the file, line and column they came from:
//! a host's model must be in the map; a custom guest's model too (after libvirt's legacy
//! renaming); a `host-model` guest's model must be a compat level libvirt accepts.
//!
//! Catalogs: the embedded libvirt 12.8 map or `--cpu-map DIR`; QEMU's newest table or
//! `--qemu-version 7.2`.
use crate::cli::{
    BaselineArgs, Common, CompareArgs, DecodeArgs, DecodeAs, ExpandArgs, Format, ModelsArgs,
    QmpArgs,
};
use crate::input::xml_error;
use crate::input::{display, read};
use crate::render::{json_text, render_cpu};
use crate::{Error, Output};
use cpucompat_catalog::{embedded, Compiled};
use cpucompat_ppc64::{
    convert_legacy, model_name, pvr_of_data, qmp, Cpu, LibvirtMap, Ppc64, Pvr, QemuTable,
};
use cpucompat_xml::model::{CpuDef, CpuKind, Mode};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// Runs `f` with the libvirt map and QEMU table the command line selects.
fn with_ctx<T>(c: &Common, f: impl FnOnce(Ppc64<'_>) -> Result<T, Error>) -> Result<T, Error> {
    let table = QemuTable::for_version(c.qemu_version.as_deref())
        .map_err(|e| Error::usage(e.to_string()))?;
    let loaded;
    let compiled: &Compiled = match &c.cpu_map {
        Some(dir) => {
            loaded = Compiled::load_cpu_map(dir, cpucompat_catalog::Arch::Ppc64)
                .map_err(|e| Error::input(&dir.display().to_string(), 0, 0, e.to_string()))?;
            &loaded
        }
        None => embedded::ppc64(),
    };
    let map = LibvirtMap::from_compiled(compiled).map_err(|e| Error::Decision(e.to_string()))?;
    f(Ppc64::new(&map, table))
}

fn decision(e: cpucompat_ppc64::Error) -> Error {
    Error::Decision(e.to_string())
}

/// The PVR of a non-XML text: `/proc/cpuinfo`.
fn cpuinfo_pvr(name: &str, text: &str) -> Result<Pvr, Error> {
    Pvr::from_cpuinfo(text)
        .map(|(p, _)| p)
        .map_err(|e| Error::input(name, 0, 0, e.to_string()))
}

/// The PVR of a dump file: `<cpudata>` or `/proc/cpuinfo`; `None` for other XML.
fn dump_pvr(name: &str, text: &str) -> Result<Option<Pvr>, Error> {
    if !text.trim_start().starts_with('<') {
        return cpuinfo_pvr(name, text).map(Some);
    }
    if !text.contains("<cpudata") {
        return Ok(None);
    }
    let data = cpucompat_xml::parse_cpudata(text).map_err(|e| xml_error(name, &e))?;
    pvr_of_data(&data)
        .map(Some)
        .map_err(|e| Error::input(name, 0, 0, e.to_string()))
}

/// Every CPU of a file (see the module documentation), checked.
fn load(ctx: &Ppc64<'_>, path: &Path) -> Result<Vec<Cpu>, Error> {
    let name = display(path);
    let text = read(path)?;
    if let Some(pvr) = dump_pvr(&name, &text)? {
        let d = ctx
            .decode(pvr)
            .map_err(|e| Error::input(&name, 0, 0, e.to_string()))?;
        return Ok(vec![d.cpu(false)]);
    }
    let defs = cpucompat_xml::parse_cpus(&text).map_err(|e| xml_error(&name, &e))?;
    if defs.is_empty() {
        return Err(Error::input(&name, 0, 0, "no <cpu> element found"));
    }
    for d in &defs {
        validate(ctx, &name, d)?;
    }
    Ok(defs.into_iter().map(Cpu::from_def).collect())
}

fn load_one(ctx: &Ppc64<'_>, path: &Path) -> Result<Cpu, Error> {
    let mut cpus = load(ctx, path)?;
    Ok(cpus.swap_remove(0))
}

/// Checks the names a CPU uses, reporting where they stand.
fn validate(ctx: &Ppc64<'_>, file: &str, cpu: &CpuDef) -> Result<(), Error> {
    let (Some(m), Some(name)) = (&cpu.model, model_name(cpu)) else {
        return Ok(());
    };
    let at = |msg: String| Err(Error::input(file, m.pos.line, m.pos.column, msg));
    match (cpu.kind, cpu.mode) {
        (CpuKind::Guest, Mode::HostModel) => {
            if ctx.map().compat_level(name).is_none() {
                return at(format!("unknown compatibility mode {name}"));
            }
        }
        (CpuKind::Guest, Mode::HostPassthrough | Mode::Maximum) => {}
        (CpuKind::Guest, Mode::Custom) => {
            if ctx.map().model(convert_legacy(name)).is_none() {
                return at(format!("unknown CPU model {name}"));
            }
        }
        (CpuKind::Host, _) => {
            if ctx.map().model(name).is_none() {
                return at(format!("unknown CPU model {name}"));
            }
        }
    }
    Ok(())
}

/// `cpucompat host`: this machine's PVR, from `/proc/cpuinfo`, decoded; the text report
/// ends with the models a custom guest may name here.
pub fn host(c: &Common) -> Result<Output, Error> {
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let pvr = Pvr::from_cpuinfo(&text).map(|(p, _)| p).map_err(|_| {
        Error::Decision("cannot read this machine's PVR: not a POWER processor".into())
    })?;
    let mut c = c.clone();
    c.format = Some(c.format.unwrap_or(Format::Text));
    with_ctx(&c, |ctx| {
        let mut out = decode_pvr(&c, &ctx, pvr, DecodeAs::Host)?;
        if c.format == Some(Format::Text) {
            // The runnable models: custom guests of each map model that compare identical.
            let host = ctx.decode(pvr).map_err(decision)?.cpu(false);
            let mut usable = Vec::new();
            for m in ctx.map().models() {
                let v = ctx
                    .compare(&host, &Cpu::guest_named(m.name()))
                    .map_err(decision)?;
                if v.is_compatible() {
                    usable.push(m.name());
                }
            }
            let _ = writeln!(out.stdout, "usable models: {}", usable.join(" "));
        }
        Ok(out)
    })
}

/// `cpucompat compare HOST GUEST`.
pub fn compare(c: &Common, a: &CompareArgs) -> Result<Output, Error> {
    with_ctx(c, |ctx| {
        let host = load_one(&ctx, &a.host)?;
        let guest = load_one(&ctx, &a.guest)?;
        let v = ctx.compare(&host, &guest).map_err(decision)?;
        let reasons: Vec<String> = v
            .reasons()
            .iter()
            .map(|r| format!("{}: {r}", r.rule()))
            .collect();
        let result = v.relation().as_str();
        let stdout = match c.format {
            Some(Format::Json) => json_text(&json!({
                "result": result,
                "reasons": reasons,
                "missing": [],
                "forbidden": [],
                "extra": [],
            })),
            None | Some(Format::Text) => {
                let (h, g) = (display(&a.host), display(&a.guest));
                let mut s = if v.is_compatible() {
                    format!("CPU described in {g} is identical to host CPU {h}\n")
                } else {
                    format!("CPU described in {g} is incompatible with host CPU {h}\n")
                };
                for r in &reasons {
                    let _ = writeln!(s, "  {r}");
                }
                s
            }
            Some(Format::Xml) => {
                return Err(Error::usage("compare prints text or json, not xml".into()))
            }
        };
        Ok(Output {
            stdout,
            exit: if v.is_compatible() { 0 } else { 1 },
        })
    })
}

/// `cpucompat baseline FILE...` (libvirt's), or with `--compat` the compat-mode baseline.
pub fn baseline(c: &Common, a: &BaselineArgs) -> Result<Output, Error> {
    if a.features || a.migratable || a.hypervisor_models.is_some() {
        return Err(Error::usage(
            "ppc64 models have no features: --features, --migratable and --hypervisor-models do not apply".into(),
        ));
    }
    with_ctx(c, |ctx| {
        let mut cpus = Vec::new();
        for f in &a.files {
            cpus.extend(load(&ctx, f)?);
        }
        if a.compat {
            let b = ctx.compat_baseline(&cpus).map_err(decision)?;
            let out = match c.format {
                Some(Format::Text) => format!(
                    "{} (ISA {}, logical PVR {}, at most {} threads per core)\n",
                    b.mode().name(),
                    b.mode().isa(),
                    b.mode().logical_pvr(),
                    b.mode().max_vthreads()
                ),
                _ => render_cpu(c, b.def())?,
            };
            return Ok(Output::ok(out));
        }
        let defs: Vec<CpuDef> = cpus.into_iter().map(|c| c.def).collect();
        let b = ctx.baseline(&defs).map_err(decision)?;
        Ok(Output::ok(render_cpu(c, &b)?))
    })
}

fn decode_pvr(c: &Common, ctx: &Ppc64<'_>, pvr: Pvr, as_: DecodeAs) -> Result<Output, Error> {
    let d = ctx.decode(pvr).map_err(decision)?;
    let cpu = d.cpu(as_ == DecodeAs::Guest);
    let modes: Vec<&str> = d.compat_modes.iter().map(|m| m.name()).collect();
    let out = match c.format {
        None | Some(Format::Xml) => cpucompat_xml::write_cpu(&cpu.def),
        Some(Format::Json) => json_text(&json!({
            "pvr": pvr.to_string(),
            "model": d.model.name(),
            "vendor": d.model.vendor(),
            "qemu_class": d.class.map(|m| m.name()),
            "family": d.family.map(|f| f.name()),
            "dd": format!("{}.{}", pvr.dd_major(), pvr.dd_minor()),
            "compat_modes": modes,
        })),
        Some(Format::Text) => {
            let mut s = String::new();
            let _ = writeln!(s, "pvr:           {pvr}");
            let _ = writeln!(s, "model:         {}", d.model.name());
            let _ = writeln!(s, "vendor:        {}", d.model.vendor().unwrap_or("(none)"));
            let _ = writeln!(
                s,
                "qemu class:    {}",
                d.class.map_or("(none)", |m| m.name())
            );
            let _ = writeln!(
                s,
                "family:        {}",
                d.family.map_or("(none)", |f| f.name())
            );
            let _ = writeln!(s, "dd level:      {}.{}", pvr.dd_major(), pvr.dd_minor());
            let _ = writeln!(s, "compat modes:  {}", modes.join(" "));
            s
        }
    };
    Ok(Output::ok(out))
}

/// `cpucompat decode DUMP` or `decode --pvr PVR`.
pub fn decode(c: &Common, a: &DecodeArgs) -> Result<Output, Error> {
    if a.hypervisor_models.is_some() {
        return Err(Error::usage(
            "--hypervisor-models does not apply to ppc64".into(),
        ));
    }
    with_ctx(c, |ctx| {
        let pvr = match &a.pvr {
            Some(p) => Pvr::parse(p).map_err(|e| Error::usage(e.to_string()))?,
            None => {
                let name = display(&a.dump);
                let text = read(&a.dump)?;
                dump_pvr(&name, &text)?.ok_or_else(|| {
                    Error::input(
                        &name,
                        0,
                        0,
                        "expected a <cpudata> dump or /proc/cpuinfo text",
                    )
                })?
            }
        };
        decode_pvr(c, &ctx, pvr, a.as_)
    })
}

/// `cpucompat models [HOST]`: the map's models, or which of them a host runs.
pub fn models(c: &Common, a: &ModelsArgs) -> Result<Output, Error> {
    with_ctx(c, |ctx| {
        let host = match &a.host {
            Some(h) => Some(load_one(&ctx, h)?),
            None => None,
        };
        let mut rows = Vec::new();
        for m in ctx.map().models() {
            let blocker = match &host {
                None => None,
                Some(h) => {
                    let v = ctx
                        .compare(h, &Cpu::guest_named(m.name()))
                        .map_err(decision)?;
                    Some(v.reasons().first().map(|r| r.to_string()))
                }
            };
            rows.push((m, blocker));
        }
        let out = match c.format {
            Some(Format::Json) => json_text(&Value::Array(
                rows.iter()
                    .map(|(m, b)| {
                        json!({
                            "name": m.name(),
                            "vendor": m.vendor(),
                            "pvrs": m.pvrs().iter().map(|(v, k)| format!("{v:#010x}/{k:#010x}")).collect::<Vec<_>>(),
                            "usable": b.as_ref().map(|b| b.is_none()),
                            "blocker": b.clone().flatten(),
                        })
                    })
                    .collect(),
            )),
            None | Some(Format::Text) => {
                let mut s = String::new();
                for (m, b) in &rows {
                    let pvrs: Vec<String> =
                        m.pvrs().iter().map(|(v, _)| format!("{v:#010x}")).collect();
                    let _ = write!(
                        s,
                        "{:<16} {:<10} {}",
                        m.name(),
                        m.vendor().unwrap_or("-"),
                        pvrs.join(",")
                    );
                    match b {
                        None => {}
                        Some(None) => s.push_str("  usable"),
                        Some(Some(r)) => {
                            let _ = write!(s, "  blocked: {r}");
                        }
                    }
                    s.push('\n');
                }
                s
            }
            Some(Format::Xml) => {
                return Err(Error::usage("models prints text or json, not xml".into()))
            }
        };
        Ok(Output::ok(out))
    })
}

/// `cpucompat expand MODEL`: POWER models have no features; prints the model's PVRs, its
/// QEMU family and the compat modes that family runs.
pub fn expand(c: &Common, a: &ExpandArgs) -> Result<Output, Error> {
    with_ctx(c, |ctx| {
        let name = convert_legacy(&a.model);
        let m = ctx
            .map()
            .model(name)
            .ok_or_else(|| Error::Decision(format!("unknown CPU model {}", a.model)))?;
        let family = ctx.host_family(&Cpu::host_named(m.name()));
        let modes: Vec<&str> = family.map_or_else(Vec::new, |f| {
            ctx.qemu()
                .compat_modes()
                .iter()
                .filter(|md| ctx.qemu().supports(f, md))
                .map(|md| md.name())
                .collect()
        });
        let pvrs: Vec<String> = m
            .pvrs()
            .iter()
            .map(|(v, k)| format!("{v:#010x}/{k:#010x}"))
            .collect();
        let out = match c.format {
            Some(Format::Json) => json_text(&json!({
                "model": m.name(),
                "vendor": m.vendor(),
                "pvrs": pvrs,
                "features": [],
                "family": family.map(|f| f.name()),
                "compat_modes": modes,
            })),
            None | Some(Format::Text) => {
                let mut s = String::new();
                let _ = writeln!(s, "model:         {}", m.name());
                let _ = writeln!(s, "vendor:        {}", m.vendor().unwrap_or("(none)"));
                let _ = writeln!(s, "pvrs:          {}", pvrs.join(" "));
                let _ = writeln!(
                    s,
                    "features:      (none: POWER models have no feature bits)"
                );
                let _ = writeln!(
                    s,
                    "qemu family:   {}",
                    family.map_or("(none)", |f| f.name())
                );
                let _ = writeln!(s, "compat modes:  {}", modes.join(" "));
                s
            }
            Some(Format::Xml) => {
                return Err(Error::usage("expand prints text or json for ppc64".into()))
            }
        };
        Ok(Output::ok(out))
    })
}

/// `cpucompat qmp --arch ppc64`: a QMP monitor on stdin/stdout, replies streamed line by
/// line as they are computed (the protocol is `cpucompat_qmp::serve`'s).
pub fn qmp(c: &Common, a: &QmpArgs) -> Result<Output, Error> {
    if a.host_model.is_some() {
        return Err(Error::usage("--host-model is an s390x option".into()));
    }
    let table = QemuTable::for_version(c.qemu_version.as_deref())
        .map_err(|e| Error::usage(e.to_string()))?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    cpucompat_qmp::serve(&mut qmp::session(table), stdin.lock(), stdout.lock()).map_err(
        |source| Error::Io {
            path: "<stdio>".into(),
            source,
        },
    )?;
    Ok(Output::ok(String::new()))
}
