//! Start-up latency of the release binary: `models` and `expand` must answer in well under
//! 5 ms, which needs the embedded catalogs compiled at build time (no catalog text parsed at
//! start-up). Wall-clock, so a bench that prints, never a test that asserts.
//!
//! Run: `cargo bench --bench startup`.
use std::process::Command;
use std::time::{Duration, Instant};

fn measure(args: &[&str], runs: usize) -> (Duration, Duration) {
    let exe = env!("CARGO_BIN_EXE_cpucompat");
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let out = Command::new(exe)
            .args(args)
            .output()
            .expect("run cpucompat");
        times.push(t.elapsed());
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    times.sort();
    (times[runs / 2], times[runs * 95 / 100])
}

fn main() {
    let runs = 200;
    println!("{:<40} {:>10} {:>10}", "command", "median", "p95");
    for args in [
        &["models"][..],
        &["expand", "Skylake-Client-v2", "--format", "json"][..],
        &["expand", "SapphireRapids"][..],
        &["--version"][..],
    ] {
        let (median, p95) = measure(args, runs);
        println!(
            "{:<40} {:>8.2}ms {:>8.2}ms",
            args.join(" "),
            median.as_secs_f64() * 1e3,
            p95.as_secs_f64() * 1e3
        );
    }
}
