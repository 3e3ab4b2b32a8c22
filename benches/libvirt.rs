//! cpucompat against libvirt, side by side in one run: the baseline of the same pool files
//! of real hosts, from XML, in-process on both sides.
//!
//! * libvirt: `virConnectBaselineCPU` on `test:///default`, timed inside the small C
//!   program `benches/libvirt/baseline.c` (built here against the installed libvirt with
//!   `cc` and `pkg-config`); the file is cut into its `<cpu>` elements before the clock
//!   starts, as `virsh` cuts it before it calls the API.
//! * cpucompat: `Engine::read_pool` + `Engine::baseline` over the same file's bytes, held
//!   in memory (read, checked and folded inside the timing).
//!
//! For each pool size the two run in turn, round by round (cpucompat's median of a few
//! runs, then one timed libvirt call); each side's median over the rounds is printed with
//! its min beside it, and the ratio libvirt / cpucompat is the median of the rounds'
//! ratios (paired, so a drift in the machine's speed does not move it). Both answers are compared:
//! libvirt's XML must be cpucompat's. The sizes and medians are also written to
//! `target/bench/baseline-sizes.csv`, which `benches/plot.py` turns into the log-log plot
//! of `BENCHMARKS.md`.
//!
//! Run: `cargo bench --bench libvirt` (`-- --quick` for 2, 18 and 1,000 hosts only). It
//! exits with status 1 when libvirt's baseline XML differs from cpucompat's for any size.
//! Without a C compiler, `pkg-config` or libvirt's headers, the libvirt side is skipped
//! with the reason printed. Wall-clock, so a bench that prints, never a test that asserts.
use cpucompat::{Arch, BaselineOptions, Engine, Input};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The pool of `n` hosts: the 1,000 of `benches/data/hosts-1000.xml`, cycled.
fn pool_file(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join(format!("pool-{n}.xml"));
    if path.exists() {
        return path;
    }
    let text = std::fs::read_to_string(Path::new(ROOT).join("benches/data/hosts-1000.xml"))
        .expect("benches/data/hosts-1000.xml");
    let cpus: Vec<&str> = text
        .split_inclusive("</cpu>\n")
        .filter(|c| c.contains("<cpu>"))
        .collect();
    let mut out = String::with_capacity(text.len() / 1000 * n + 1);
    for c in cpus.iter().cycle().take(n) {
        out.push_str(c);
    }
    std::fs::write(&path, out).expect("write pool");
    path
}

/// Builds the C harness; the reason when it cannot be built.
fn harness(dir: &Path) -> Result<PathBuf, String> {
    let exe = dir.join("libvirt-baseline");
    let src = Path::new(ROOT).join("benches/libvirt/baseline.c");
    let flags = Command::new("pkg-config")
        .args(["--cflags", "--libs", "libvirt"])
        .output()
        .map_err(|e| format!("pkg-config: {e}"))?;
    if !flags.status.success() {
        return Err("pkg-config does not know libvirt (is libvirt-dev installed?)".into());
    }
    let flags = String::from_utf8_lossy(&flags.stdout).into_owned();
    let out = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&exe)
        .arg(&src)
        .args(flags.split_whitespace())
        .output()
        .map_err(|e| format!("cc: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cc failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("")
        ));
    }
    Ok(exe)
}

/// libvirt's median and min nanoseconds, and its XML.
fn libvirt(exe: &Path, file: &Path, reps: usize) -> Result<(f64, f64, String), String> {
    let out = Command::new(exe)
        .arg(file)
        .arg(reps.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |k: &str| -> Result<f64, String> {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("no {k} in {line:?}"))
    };
    Ok((
        field("median_ns=")?,
        field("min_ns=")?,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// cpucompat's median and min nanoseconds, and its XML.
fn ours(engine: &Engine, bytes: &'static [u8], reps: usize) -> (f64, f64, String) {
    let opts = BaselineOptions::default();
    let run = || {
        let pool = engine.read_pool([Input::from_reader("pool.xml", bytes)]);
        engine.baseline(pool, &opts).expect("baseline")
    };
    let xml = run().to_xml();
    let mut ns: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(run());
            t.elapsed().as_nanos() as f64
        })
        .collect();
    ns.sort_by(f64::total_cmp);
    (ns[reps / 2], ns[0], xml)
}

fn human(ns: f64) -> String {
    match ns {
        n if n >= 1e9 => format!("{:.2} s", n / 1e9),
        n if n >= 1e6 => format!("{:.2} ms", n / 1e6),
        n => format!("{:.1} µs", n / 1e3),
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let dir = Path::new(ROOT).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let engine = Engine::new(Arch::X86).expect("x86 engine");
    let lv = harness(&dir);
    if let Err(why) = &lv {
        println!("libvirt side skipped: {why}");
    }
    // (hosts, cpucompat runs, libvirt runs; 0: not run)
    let sizes: &[(usize, usize, usize)] = if quick {
        &[(2, 105, 21), (18, 55, 11), (1_000, 21, 7)]
    } else {
        &[
            (2, 205, 41),
            (18, 105, 21),
            (100, 55, 11),
            (1_000, 33, 11),
            (10_000, 15, 5),
            (100_000, 5, 0),
        ]
    };
    println!(
        "{:>8} {:>10} {:>12} {:>12} {:>12} {:>12} {:>9}",
        "hosts", "MB", "cpucompat", "(min)", "libvirt", "(min)", "ratio"
    );
    let mut csv = String::from("hosts,bytes,cpucompat_ns,libvirt_ns,ratio\n");
    let mut differs = false;
    for &(n, reps, lv_reps) in sizes {
        let file = pool_file(&dir, n);
        let bytes: &'static [u8] =
            Box::leak(std::fs::read(&file).expect("pool").into_boxed_slice());
        // Rounds, in turn: cpucompat's median of a few runs, then one libvirt process (one
        // untimed call, then one timed). The ratio is taken round by round and its median
        // printed: pairing keeps it meaningful when the machine's speed drifts (other
        // users' load), as whole-process A/B timing does.
        let rounds = lv_reps.max(1);
        let per_round = (reps / rounds).max(3);
        let mut our_ns = Vec::new();
        let mut their_ns = Vec::new();
        let mut ratios = Vec::new();
        for _ in 0..rounds {
            let (us, _, our_xml) = ours(&engine, bytes, per_round);
            our_ns.push(us);
            if let (Ok(exe), true) = (&lv, lv_reps > 0) {
                match libvirt(exe, &file, 1) {
                    Ok((med, _, xml)) => {
                        if xml.trim_end() != our_xml.trim_end() {
                            println!("{n} hosts: libvirt's baseline differs from cpucompat's:\n{xml}\n{our_xml}");
                            differs = true;
                        }
                        their_ns.push(med);
                        ratios.push(med / us);
                    }
                    Err(e) => println!("{n} hosts: libvirt failed: {e}"),
                }
            }
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied()
        };
        let min = |v: &[f64]| v.iter().copied().reduce(f64::min);
        let us_min = min(&our_ns).unwrap_or(0.0);
        let lv_min = min(&their_ns);
        let us = median(&mut our_ns).unwrap_or(0.0);
        let them = median(&mut their_ns);
        let ratio = median(&mut ratios);
        println!(
            "{:>8} {:>10.2} {:>12} {:>12} {:>12} {:>12} {:>9}",
            n,
            bytes.len() as f64 / 1e6,
            human(us),
            human(us_min),
            them.map_or("-".into(), human),
            lv_min.map_or("-".into(), human),
            ratio.map_or("-".into(), |r| format!("{r:.0}x"))
        );
        csv.push_str(&format!(
            "{n},{},{us:.0},{},{}\n",
            bytes.len(),
            them.map_or(String::new(), |m| format!("{m:.0}")),
            ratio.map_or(String::new(), |r| format!("{r:.1}"))
        ));
    }
    let out = dir.join("baseline-sizes.csv");
    std::fs::write(&out, csv).expect("csv");
    println!("wrote {}", out.display());
    if differs {
        eprintln!("libvirt's baseline differs from cpucompat's (see above)");
        std::process::exit(1);
    }
}
