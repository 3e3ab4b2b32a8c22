//! The x86 commands: glue between the command line and the `cpucompat-x86` adapter.
//!
//! Every command reads its inputs whole (bounded, see [`crate::input`]), turns them into
//! values, asks the adapter, and renders the answer into one string; nothing is printed
//! before the whole answer exists, so a failure never leaves partial output.
//!
//! Inputs:
//! * a *host* (`compare HOST`, `models HOST`) is any of: a host `<cpu>` (or the `<cpu>` of
//!   `virsh capabilities`, or any CPU XML form the XML layer reads: the first `<cpu>` is
//!   used), a `<cpudata>` CPUID dump, or `cpuid -r` text. Dumps are decoded as a host CPU
//!   first (libvirt's host-type decode), so the host's features are exactly the data's.
//! * a *guest* is a guest `<cpu>` or a domain XML; the first `<cpu>` is used.
//! * `baseline` reads every `<cpu>` of every file, in order. The CPUs keep the type their
//!   XML gives them (a `<cpu>` with `<arch>` is a host CPU, whose feature policies count as
//!   required; one without is a guest CPU whose policies count), as libvirt's
//!   `hypervisor-cpu-baseline` does; `virsh cpu-baseline` only accepts host CPUs.
//!
//! Before a decision every input CPU is resolved against the catalog on its own, so an
//! unknown model or feature is reported with the file, line and column it came from.
//!
//! The catalog is the embedded libvirt 12.8 map, or `--cpu-map DIR` (a libvirt `cpu_map`
//! directory imported at start-up).
use crate::cli::{
    BaselineArgs, Common, CompareArgs, DecodeArgs, DecodeAs, ExpandArgs, Format, ModelsArgs,
};
use crate::input::xml_error;
use crate::input::{display, read};
use crate::render::{json_text, render_cpu};
use crate::{Error, Output};
use cpucompat_catalog::{embedded, Compiled};
use cpucompat_lattice::Relation;
use cpucompat_x86::{BaselineOptions, HypervisorModels, X86Comparison, X86Error, X86};
use cpucompat_xml::model::{CpuData, CpuDef, CpuKind, Fallback, Policy};
use cpucompat_xml::CpuReader;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::Path;

/// Runs `f` with the catalog the command line selects.
fn with_catalog<T>(c: &Common, f: impl FnOnce(&Compiled) -> Result<T, Error>) -> Result<T, Error> {
    match &c.cpu_map {
        Some(dir) => {
            let cat = Compiled::load_cpu_map(dir, cpucompat_catalog::Arch::X86)
                .map_err(|e| Error::input(&dir.display().to_string(), 0, 0, e.to_string()))?;
            f(&cat)
        }
        None => f(embedded::x86()),
    }
}

/// An adapter error about the contents of `file`.
fn x86_err(file: &str, e: X86Error) -> Error {
    let pos = e.pos().unwrap_or_default();
    Error::input(file, pos.line, pos.column, e.to_string())
}

/// An adapter error about no file in particular (a decision that could not be made).
fn decision(e: X86Error) -> Error {
    Error::Decision(e.to_string())
}

/// Whether `text` is XML (its first non-blank character is `<`).
fn is_xml(text: &str) -> bool {
    text.trim_start().starts_with('<')
}

/// Reads a CPUID dump: libvirt `<cpudata>` XML or `cpuid -r` text.
fn load_dump(path: &Path) -> Result<CpuData, Error> {
    let name = display(path);
    let text = read(path)?;
    if is_xml(&text) {
        cpucompat_xml::parse_cpudata(&text).map_err(|e| xml_error(&name, &e))
    } else {
        cpucompat_x86::parse_cpuid_r(&text).map_err(|e| x86_err(&name, e))
    }
}

/// Reads every `<cpu>` of a file; an error when there is none.
fn load_cpus(path: &Path) -> Result<Vec<CpuDef>, Error> {
    let name = display(path);
    let text = read(path)?;
    let cpus = cpucompat_xml::parse_cpus(&text).map_err(|e| xml_error(&name, &e))?;
    if cpus.is_empty() {
        return Err(Error::input(&name, 0, 0, "no <cpu> element found"));
    }
    Ok(cpus)
}

/// Checks every name a CPU uses against the catalog, so that an unknown model or feature is
/// reported with the file, line and column it came from (libvirt's words: "unknown CPU
/// model", "unknown CPU feature"; names are matched exactly, aliases are not accepted).
/// Every feature counts, whatever its policy: libvirt fails on an unknown optional feature
/// too.
fn validate(cat: &Compiled, file: &str, cpu: &CpuDef) -> Result<(), Error> {
    if let Some(m) = &cpu.model {
        if cat.model(&m.name).is_none() {
            return Err(Error::input(
                file,
                m.pos.line,
                m.pos.column,
                format!("unknown CPU model {}", m.name),
            ));
        }
    }
    for f in &cpu.features {
        if cat.feature(&f.name).is_none() {
            return Err(Error::input(
                file,
                f.pos.line,
                f.pos.column,
                format!("unknown CPU feature {}", f.name),
            ));
        }
    }
    Ok(())
}

/// Reads a host: a CPU XML form, a `<cpudata>` dump or `cpuid -r` text.
fn load_host(cat: &Compiled, x86: &X86<'_>, path: &Path) -> Result<CpuDef, Error> {
    let name = display(path);
    let text = read(path)?;
    let cpu = if is_xml(&text) && !text.contains("<cpudata") {
        let mut cpus = cpucompat_xml::parse_cpus(&text).map_err(|e| xml_error(&name, &e))?;
        if cpus.is_empty() {
            return Err(Error::input(&name, 0, 0, "no <cpu> element found"));
        }
        cpus.swap_remove(0)
    } else {
        let data = if is_xml(&text) {
            cpucompat_xml::parse_cpudata(&text).map_err(|e| xml_error(&name, &e))?
        } else {
            cpucompat_x86::parse_cpuid_r(&text).map_err(|e| x86_err(&name, e))?
        };
        x86.decode(&data, CpuKind::Host, None)
            .map_err(|e| x86_err(&name, e))?
    };
    validate(cat, &name, &cpu)?;
    Ok(cpu)
}

/// Reads QEMU's `query-cpu-definitions` reply (or a transcript holding one).
fn load_hv(path: Option<&Path>) -> Result<Option<HypervisorModels>, Error> {
    match path {
        None => Ok(None),
        Some(p) => {
            let name = display(p);
            let text = read(p)?;
            HypervisorModels::from_qmp_json(&text)
                .map(Some)
                .map_err(|e| x86_err(&name, e))
        }
    }
}

/// The facts of the live host, for `host` and the no-argument report.
struct HostReport {
    cpu: CpuDef,
    /// The same data decoded as a guest CPU (what a `host-model` guest would start from).
    guest: CpuDef,
    features: Vec<String>,
    models: Vec<cpucompat_x86::ModelUsability>,
}

fn host_report(x86: &X86<'_>, cat: &Compiled, data: &CpuData) -> Result<HostReport, Error> {
    let cpu = x86
        .decode(data, CpuKind::Host, None)
        .map_err(|e| x86_err("<host CPUID>", e))?;
    let set = x86.features_of(&cpu).map_err(decision)?;
    let features = cat.names(&set).into_iter().map(str::to_string).collect();
    let models = x86.runnable_models(&cpu).map_err(decision)?;
    let guest = x86
        .decode(data, CpuKind::Guest, None)
        .map_err(|e| x86_err("<host CPUID>", e))?;
    Ok(HostReport {
        cpu,
        guest,
        features,
        models,
    })
}

/// `cpucompat host` (and `cpucompat` with no arguments): report on this machine.
pub fn host(c: &Common) -> Result<Output, Error> {
    let data = cpucompat_x86::probe_host().ok_or_else(|| {
        Error::Decision("cannot read this machine's CPUID: not an x86 processor".into())
    })?;
    with_catalog(c, |cat| {
        let x86 = X86::new(cat);
        let r = host_report(&x86, cat, &data)?;
        let out = match c.format {
            Some(Format::Xml) => cpucompat_xml::write_cpu(&r.cpu),
            Some(Format::Json) => json_text(&host_json(&r)),
            None | Some(Format::Text) => host_text(cat, &r),
        };
        Ok(Output::ok(out))
    })
}

fn host_json(r: &HostReport) -> Value {
    json!({
        "vendor": r.cpu.vendor,
        "signature": r.cpu.signature.map(|s| json!({
            "family": s.family, "model": s.model, "stepping": s.stepping,
        })),
        "model": r.cpu.model.as_ref().map(|m| m.name.clone()),
        "extra_features": r.cpu.features.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
        "guest_model": r.guest.model.as_ref().map(|m| m.name.clone()),
        "guest_features": r.guest.features.iter().map(|f| json!({
            "name": f.name,
            "policy": f.policy.map(|p| p.as_str()),
        })).collect::<Vec<_>>(),
        "features": r.features,
        "models": r.models.iter().map(usability_json).collect::<Vec<_>>(),
    })
}

fn host_text(cat: &Compiled, r: &HostReport) -> String {
    let mut s = String::new();
    let cpu = &r.cpu;
    let _ = writeln!(s, "architecture:  x86_64");
    let _ = writeln!(
        s,
        "vendor:        {}",
        cpu.vendor.as_deref().unwrap_or("(unknown)")
    );
    if let Some(sig) = cpu.signature {
        let step = sig
            .stepping
            .map(|v| v.to_string())
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            s,
            "signature:     family {} model {} stepping {}",
            sig.family, sig.model, step
        );
    }
    let model = cpu
        .model
        .as_ref()
        .map(|m| m.name.as_str())
        .unwrap_or("(none)");
    let _ = writeln!(
        s,
        "host model:    {model} + {} features",
        cpu.features.len()
    );
    let (plus, minus): (Vec<_>, Vec<_>) = r
        .guest
        .features
        .iter()
        .partition(|f| f.policy != Some(Policy::Disable));
    let _ = writeln!(
        s,
        "guest model:   {} + {} features - {} features",
        r.guest
            .model
            .as_ref()
            .map(|m| m.name.as_str())
            .unwrap_or("(none)"),
        plus.len(),
        minus.len()
    );
    let _ = writeln!(s, "catalog:       {}", cat.source());
    let _ = writeln!(s, "features:      {}", r.features.len());
    wrap_names(&mut s, &r.features);
    let usable = r.models.iter().filter(|m| m.usable).count();
    let _ = writeln!(s, "runnable models: {usable} of {} usable", r.models.len());
    models_table(&mut s, &r.models);
    s
}

/// Feature names, indented and wrapped at 100 columns.
fn wrap_names(s: &mut String, names: &[String]) {
    let mut line = String::from("  ");
    for n in names {
        if line.len() + n.len() + 1 > 100 && line.len() > 2 {
            let _ = writeln!(s, "{}", line.trim_end());
            line = String::from("  ");
        }
        line.push_str(n);
        line.push(' ');
    }
    if line.len() > 2 {
        let _ = writeln!(s, "{}", line.trim_end());
    }
}

fn models_table(s: &mut String, models: &[cpucompat_x86::ModelUsability]) {
    let width = models.iter().map(|m| m.name.len()).max().unwrap_or(0);
    for m in models {
        if m.usable {
            let _ = writeln!(s, "  {:<width$}  yes", m.name);
        } else {
            let _ = writeln!(s, "  {:<width$}  no   {}", m.name, m.blockers.join(", "));
        }
    }
}

fn usability_json(m: &cpucompat_x86::ModelUsability) -> Value {
    json!({
        "name": m.name,
        "usable": m.usable,
        "blockers": m.blockers,
        "vendor": m.vendor,
        "canonical": m.canonical,
    })
}

/// `cpucompat compare HOST GUEST`.
pub fn compare(c: &Common, a: &CompareArgs) -> Result<Output, Error> {
    with_catalog(c, |cat| {
        let x86 = X86::new(cat);
        let host = load_host(cat, &x86, &a.host)?;
        let gname = display(&a.guest);
        let guest = load_cpus(&a.guest)?.swap_remove(0);
        validate(cat, &gname, &guest)?;
        let cmp = x86.compare(&host, &guest).map_err(decision)?;
        let exit = match cmp.result {
            Relation::Identical | Relation::Superset => 0,
            Relation::Subset | Relation::Incompatible => 1,
        };
        let stdout = match c.format {
            Some(Format::Json) => json_text(&compare_json(&cmp)),
            None | Some(Format::Text) => compare_text(&cmp, &display(&a.host), &gname),
            Some(Format::Xml) => {
                return Err(Error::usage("compare prints text or json, not xml".into()))
            }
        };
        Ok(Output { stdout, exit })
    })
}

fn relation_name(r: Relation) -> &'static str {
    match r {
        // libvirt has three answers; a host below the guest cannot run it.
        Relation::Subset => "incompatible",
        r => r.as_str(),
    }
}

fn compare_json(cmp: &X86Comparison) -> Value {
    json!({
        "result": relation_name(cmp.result),
        "reasons": cmp.reasons,
        "missing": cmp.missing,
        "forbidden": cmp.forbidden,
        "extra": cmp.extra,
    })
}

fn compare_text(cmp: &X86Comparison, host: &str, guest: &str) -> String {
    let mut s = match cmp.result {
        Relation::Identical => {
            format!("CPU described in {guest} is identical to host CPU {host}\n")
        }
        Relation::Superset => {
            format!("Host CPU {host} is a superset of CPU described in {guest}\n")
        }
        Relation::Subset | Relation::Incompatible => {
            format!("CPU described in {guest} is incompatible with host CPU {host}\n")
        }
    };
    for r in &cmp.reasons {
        let _ = writeln!(s, "  {r}");
    }
    if cmp.result == Relation::Superset && cmp.reasons.is_empty() && !cmp.extra.is_empty() {
        let _ = writeln!(
            s,
            "  Host CPU has features the guest does not use: {}",
            cmp.extra.join(", ")
        );
    }
    s
}

/// `cpucompat baseline FILE...`: the CPUs are streamed, one `<cpu>` element at a time, into
/// the adapter's fold ([`X86::baseline_iter`]), so a pool file of a million hosts is never
/// held in memory.
pub fn baseline(c: &Common, a: &BaselineArgs) -> Result<Output, Error> {
    if a.compat {
        return Err(Error::usage("--compat is a ppc64 option".into()));
    }
    with_catalog(c, |cat| {
        let x86 = X86::new(cat);
        let opts = BaselineOptions {
            expand_features: a.features,
            migratable: a.migratable,
            hypervisor: load_hv(a.hypervisor_models.as_deref())?,
        };
        let mut pool = Pool {
            cat,
            files: a.files.iter(),
            current: None,
            error: None,
        };
        let result = x86.baseline_iter(&mut pool, &opts);
        // An input error stops the stream early: it explains the result, so it wins.
        if let Some(e) = pool.error {
            return Err(e);
        }
        let cpu = result.map_err(decision)?;
        Ok(Output::ok(render_cpu(c, &cpu)?))
    })
}

/// The `<cpu>` elements of several files, in order, read one at a time and checked against
/// the catalog. The first error (unreadable file, bad XML, unknown name, a file without any
/// `<cpu>`) ends the stream and is kept in `error`.
struct Pool<'a> {
    cat: &'a Compiled,
    files: std::slice::Iter<'a, std::path::PathBuf>,
    current: Option<PoolFile>,
    error: Option<Error>,
}

/// The file a [`Pool`] is reading.
struct PoolFile {
    /// Its name in messages.
    name: String,
    reader: CpuReader<Box<dyn BufRead>>,
    /// How many CPUs it gave so far.
    count: usize,
}

impl Iterator for Pool<'_> {
    type Item = CpuDef;

    fn next(&mut self) -> Option<CpuDef> {
        loop {
            if self.error.is_some() {
                return None;
            }
            if self.current.is_none() {
                let path = self.files.next()?;
                let name = display(path);
                let src: Box<dyn BufRead> = if path.as_os_str() == "-" {
                    Box::new(std::io::stdin().lock())
                } else {
                    match std::fs::File::open(path) {
                        Ok(f) => Box::new(std::io::BufReader::new(f)),
                        Err(source) => {
                            self.error = Some(Error::Io { path: name, source });
                            return None;
                        }
                    }
                };
                self.current = Some(PoolFile {
                    name,
                    reader: CpuReader::new(src),
                    count: 0,
                });
            }
            let PoolFile {
                name,
                reader,
                count,
            } = self.current.as_mut()?;
            match reader.next() {
                Some(Ok(cpu)) => {
                    *count += 1;
                    if let Err(e) = validate(self.cat, name, &cpu) {
                        self.error = Some(e);
                        return None;
                    }
                    return Some(cpu);
                }
                Some(Err(e)) => {
                    self.error = Some(xml_error(name, &e));
                    return None;
                }
                None if *count == 0 => {
                    self.error = Some(Error::input(name, 0, 0, "no <cpu> element found"));
                    return None;
                }
                None => self.current = None,
            }
        }
    }
}

/// `cpucompat decode DUMP --as host|guest`.
pub fn decode(c: &Common, a: &DecodeArgs) -> Result<Output, Error> {
    if a.pvr.is_some() {
        return Err(Error::usage("--pvr is a ppc64 option".into()));
    }
    with_catalog(c, |cat| {
        let x86 = X86::new(cat);
        let data = load_dump(&a.dump)?;
        let hv = load_hv(a.hypervisor_models.as_deref())?;
        let kind = match a.as_ {
            DecodeAs::Host => CpuKind::Host,
            DecodeAs::Guest => CpuKind::Guest,
        };
        let cpu = x86
            .decode(&data, kind, hv.as_ref())
            .map_err(|e| x86_err(&display(&a.dump), e))?;
        Ok(Output::ok(render_cpu(c, &cpu)?))
    })
}

/// `cpucompat models [HOST]`.
pub fn models(c: &Common, a: &ModelsArgs) -> Result<Output, Error> {
    with_catalog(c, |cat| {
        let x86 = X86::new(cat);
        match &a.host {
            Some(h) => {
                let host = load_host(cat, &x86, h)?;
                let list = x86.runnable_models(&host).map_err(decision)?;
                let stdout = match c.format {
                    Some(Format::Json) => {
                        json_text(&Value::Array(list.iter().map(usability_json).collect()))
                    }
                    None | Some(Format::Text) => {
                        let mut s = String::new();
                        models_table(&mut s, &list);
                        s
                    }
                    Some(Format::Xml) => {
                        return Err(Error::usage("models prints text or json, not xml".into()))
                    }
                };
                Ok(Output::ok(stdout))
            }
            None => catalog_models(c, cat),
        }
    })
}

/// The catalog's models with vendor and canonical name.
fn catalog_models(c: &Common, cat: &Compiled) -> Result<Output, Error> {
    let rows: Vec<(String, Option<String>, Option<String>)> = cat
        .models()
        .iter()
        .map(|m| {
            let vendor = m
                .vendor
                .and_then(|v| cat.vendors().get(v))
                .map(|v| v.name.clone());
            let canonical = m
                .canonical
                .and_then(|i| cat.models().get(i))
                .map(|t| t.name.clone());
            (m.name.clone(), vendor, canonical)
        })
        .collect();
    let stdout = match c.format {
        Some(Format::Json) => json_text(&Value::Array(
            rows.iter()
                .map(|(n, v, k)| json!({"name": n, "vendor": v, "canonical": k}))
                .collect(),
        )),
        None | Some(Format::Text) => {
            let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
            let mut s = String::new();
            for (n, v, k) in &rows {
                let line = format!(
                    "{n:<w$}  {:<8}  {}",
                    v.as_deref().unwrap_or("-"),
                    k.as_deref()
                        .map(|k| format!("canonical {k}"))
                        .unwrap_or_default()
                );
                let _ = writeln!(s, "{}", line.trim_end());
            }
            s
        }
        Some(Format::Xml) => {
            return Err(Error::usage("models prints text or json, not xml".into()))
        }
    };
    Ok(Output::ok(stdout))
}

/// `cpucompat expand MODEL`.
pub fn expand(c: &Common, a: &ExpandArgs) -> Result<Output, Error> {
    with_catalog(c, |cat| {
        let x86 = X86::new(cat);
        let stdout = match c.format {
            Some(Format::Xml) => {
                // What `virsh cpu-baseline --features` prints for one CPU of this model.
                let cpu = CpuDef::custom_guest(&a.model, Fallback::Forbid);
                let cpu = x86.expand(&cpu).map_err(decision)?;
                cpucompat_xml::write_cpu(&cpu)
            }
            Some(Format::Json) => {
                let features = x86.expand_model(&a.model).map_err(decision)?;
                json_text(&json!({"model": a.model, "features": features}))
            }
            None | Some(Format::Text) => {
                let features = x86.expand_model(&a.model).map_err(decision)?;
                let mut s = String::new();
                for f in features {
                    let _ = writeln!(s, "{f}");
                }
                s
            }
        };
        Ok(Output::ok(stdout))
    })
}
