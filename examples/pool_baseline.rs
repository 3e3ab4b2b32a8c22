//! A pool's baseline: the richest guest CPU every host of a pool can run, streamed.
//!
//! ```text
//! cargo run --example pool_baseline -- [--arch ARCH] [--cpu-map DIR|libvirt-11.3] [--features] [--migratable] FILE|DIR...
//! ```
//!
//! Each `FILE` holds one or more host CPUs (`<cpu>` elements, `virsh capabilities`, a
//! `<cpudata>` or `cpuid -r` dump, ...); a directory stands for every `*.xml` file in it.
//! The hosts are read one `<cpu>` at a time ([`Engine::read_pool`]), so a file of a
//! million hosts is never held in memory, and folded by [`Engine::baseline`]. On success
//! the baseline's libvirt XML goes to stdout and `baseline of N CPUs` to stderr (exit 0);
//! an unreadable host or a pool without a common CPU prints one error line naming the
//! input and position (exit 2), and nothing on stdout.
//!
//! Only the `cpucompat` library's public API is used.
use cpucompat::{Arch, BaselineOptions, CpuMap, Engine, Error, Input};
use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    arch: Option<Arch>,
    cpu_map: Option<CpuMap>,
    opts: BaselineOptions,
    files: Vec<PathBuf>,
}

fn usage(why: &str) -> String {
    format!(
        "{why}\nusage: pool_baseline [--arch ARCH] [--cpu-map DIR|libvirt-11.3] [--features] [--migratable] FILE|DIR..."
    )
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        arch: None,
        cpu_map: None,
        opts: BaselineOptions::default(),
        files: Vec::new(),
    };
    let mut it = std::env::args_os().skip(1);
    while let Some(x) = it.next() {
        match x.to_str() {
            Some("--arch") => {
                let v = it.next().ok_or_else(|| usage("--arch needs a value"))?;
                let v = v.to_string_lossy();
                a.arch = Some(
                    Arch::from_name(&v)
                        .ok_or_else(|| usage(&format!("unknown architecture {v}")))?,
                );
            }
            Some("--cpu-map") => {
                let v = it.next().ok_or_else(|| usage("--cpu-map needs a value"))?;
                a.cpu_map = Some(if v == "libvirt-11.3" {
                    CpuMap::Libvirt11_3
                } else {
                    CpuMap::Dir(v.into())
                });
            }
            Some("--features") => a.opts.expand_features = true,
            Some("--migratable") => a.opts.migratable = true,
            _ => a.files.push(PathBuf::from(x)),
        }
    }
    if a.files.is_empty() {
        return Err(usage("at least one host file is needed"));
    }
    Ok(a)
}

/// The pool's files: each file named, and every `*.xml` of each directory named, sorted.
fn pool_files(named: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
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

fn run(a: &Args, files: Vec<PathBuf>) -> Result<(String, usize), Error> {
    // The architecture: `--arch`, else the one the inputs name (they must agree), else
    // x86. Sniffing reads each input only up to its first CPU.
    let mut inputs: Vec<Input> = files.iter().map(Input::path).collect();
    let arch = match a.arch {
        Some(x) => x,
        None => cpucompat::detect_arch(&mut inputs)?.unwrap_or(Arch::X86),
    };
    let mut b = Engine::builder(arch);
    if let Some(m) = &a.cpu_map {
        b = b.cpu_map(m.clone());
    }
    let engine = b.build()?;
    let baseline = engine.baseline(engine.read_pool(inputs), &a.opts)?;
    Ok((baseline.to_xml(), baseline.inputs()))
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("pool_baseline: {e}");
            return ExitCode::from(2);
        }
    };
    let files = match pool_files(&a.files) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("pool_baseline: error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&a, files) {
        Ok((xml, n)) => {
            print!("{xml}");
            eprintln!("baseline of {n} CPUs");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pool_baseline: error: {e}");
            ExitCode::from(2)
        }
    }
}
