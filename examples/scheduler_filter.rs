//! A scheduler's filter: which hosts of a fleet can run this guest, and why not the others.
//!
//! ```text
//! cargo run --example scheduler_filter -- [--arch ARCH] [--cpu-map DIR|libvirt-11.3] GUEST HOST|DIR...
//! ```
//!
//! `GUEST` is any libvirt CPU form (a `<cpu>`, a domain XML); each `HOST` is a host CPU
//! file (`<cpu>`, `virsh capabilities`, a `<cpudata>` or `cpuid -r` dump, ...), and a
//! directory stands for every `*.xml` file in it. One line per host: `runs (identical |
//! superset)`, `does not run` followed by the reasons, or `skipped` with the error that
//! made the host unreadable (one bad host does not stop the filter). Exit status: 0 when
//! some host runs the guest, 1 when none does, 2 for an unreadable guest or bad arguments.
//!
//! Only the `cpucompat` library's public API is used: [`Engine`] (built for the guest's
//! architecture), [`Engine::read_one`], [`Engine::for_host`] (s390x judges guests against
//! the host as QEMU's host model) and [`Engine::compare`].
use cpucompat::{Arch, CpuMap, Engine, Error, Input};
use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    arch: Option<Arch>,
    cpu_map: Option<CpuMap>,
    guest: PathBuf,
    hosts: Vec<PathBuf>,
}

fn usage(why: &str) -> String {
    format!(
        "{why}\nusage: scheduler_filter [--arch ARCH] [--cpu-map DIR|libvirt-11.3] GUEST HOST|DIR..."
    )
}

fn args() -> Result<Args, String> {
    let mut arch = None;
    let mut cpu_map = None;
    let mut files = Vec::new();
    let mut it = std::env::args_os().skip(1);
    while let Some(a) = it.next() {
        match a.to_str() {
            Some("--arch") => {
                let v = it.next().ok_or_else(|| usage("--arch needs a value"))?;
                let v = v.to_string_lossy();
                arch = Some(
                    Arch::from_name(&v)
                        .ok_or_else(|| usage(&format!("unknown architecture {v}")))?,
                );
            }
            Some("--cpu-map") => {
                let v = it.next().ok_or_else(|| usage("--cpu-map needs a value"))?;
                cpu_map = Some(if v == "libvirt-11.3" {
                    CpuMap::Libvirt11_3
                } else {
                    CpuMap::Dir(v.into())
                });
            }
            _ => files.push(PathBuf::from(a)),
        }
    }
    if files.len() < 2 {
        return Err(usage("a guest and at least one host are needed"));
    }
    let guest = files.remove(0);
    Ok(Args {
        arch,
        cpu_map,
        guest,
        hosts: files,
    })
}

/// The host files: each file named, and every `*.xml` of each directory named, sorted.
fn host_files(named: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in named {
        if p.is_dir() {
            let mut in_dir: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "xml"))
                .collect();
            in_dir.sort();
            out.extend(in_dir);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// The engine for the guest: `--arch`, else the architecture the guest names, else x86.
fn engine(a: &Args, guest: &mut Input) -> Result<Engine, Error> {
    let arch = match a.arch {
        Some(x) => x,
        None => guest.arch()?.unwrap_or(Arch::X86),
    };
    let mut b = Engine::builder(arch);
    if let Some(m) = &a.cpu_map {
        b = b.cpu_map(m.clone());
    }
    b.build()
}

/// One host's answer, as the lines to print; whether the guest runs there.
fn judge(engine: &Engine, guest: &(String, String), host: &PathBuf) -> (bool, Vec<String>) {
    let name = host.display().to_string();
    let answer = (|| {
        let h = engine.read_one(Input::path(host))?;
        let on_host = engine.for_host(&h)?;
        let g = on_host.read_one(Input::from_text(guest.0.clone(), guest.1.clone()))?;
        on_host.compare(&h, &g)
    })();
    match answer {
        Ok(c) if c.runs() => (true, vec![format!("{name}: runs ({})", c.verdict())]),
        Ok(c) => {
            let mut lines = vec![format!("{name}: does not run")];
            lines.extend(c.reasons().iter().map(|r| format!("  - {r}")));
            (false, lines)
        }
        Err(e) => (false, vec![format!("{name}: skipped: {e}")]),
    }
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("scheduler_filter: {e}");
            return ExitCode::from(2);
        }
    };
    let hosts = match host_files(&a.hosts) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("scheduler_filter: error: {e}");
            return ExitCode::from(2);
        }
    };
    // The guest is checked once, then its text is judged against every host.
    let prepared = (|| {
        let mut input = Input::path(&a.guest);
        let engine = engine(&a, &mut input)?;
        engine.read_one(input)?;
        let name = a.guest.display().to_string();
        let text = std::fs::read_to_string(&a.guest)
            .map_err(|e| Error::new(cpucompat::ErrorKind::Io, format!("{name}: {e}")))?;
        Ok::<_, Error>((engine, (name, text)))
    })();
    let (engine, guest) = match prepared {
        Ok(p) => p,
        Err(e) => {
            eprintln!("scheduler_filter: error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut runs = 0;
    let mut out = String::new();
    for h in &hosts {
        let (ok, lines) = judge(&engine, &guest, h);
        runs += usize::from(ok);
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "{runs} of {} hosts can run {}\n",
        hosts.len(),
        guest.0
    ));
    print!("{out}");
    if runs > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
