//! Fleet planning at scale: `pool` over one file of N real Intel hosts (default 100,000,
//! written by `benches/data/make-pool.sh`), measured with `/usr/bin/time -v`: wall-clock
//! seconds and peak resident memory for the text report, the JSON report (every host
//! named) and `--split 2`. Peak memory is a bound, not a speed: the bench fails when a run
//! needs 64 MiB or more.
//!
//! Run: `cargo bench --bench fleet` (`CPUCOMPAT_FLEET_HOSTS=1000000` for another size;
//! skips with a note when `/usr/bin/time` or bash is absent).
use std::path::Path;
use std::process::Command;

/// The peak memory bound, in KiB.
const BOUND_KIB: u64 = 64 * 1024;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = env!("CARGO_BIN_EXE_cpucompat");
    if !Path::new("/usr/bin/time").exists() {
        println!("fleet bench skipped: /usr/bin/time is not installed");
        return;
    }
    let n: usize = std::env::var("CPUCOMPAT_FLEET_HOSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("cpucompat-fleet-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let pool = dir.join("pool.xml");
    let made = Command::new("bash")
        .arg(root.join("benches/data/make-pool.sh"))
        .arg(n.to_string())
        .arg(&pool)
        .arg(exe)
        .current_dir(root)
        .status();
    if !made.is_ok_and(|s| s.success()) {
        println!("fleet bench skipped: make-pool.sh could not write the pool");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let size = std::fs::metadata(&pool).map_or(0, |m| m.len());
    println!("pool of {n} hosts: {:.1} MB", size as f64 / 1e6);
    println!(
        "{:<28} {:>10} {:>12} {:>12}",
        "command", "seconds", "peak KiB", "output B"
    );
    let mut over = Vec::new();
    for extra in [&[][..], &["--format", "json"], &["--split", "2"]] {
        let out = Command::new("/usr/bin/time")
            .arg("-v")
            .arg(exe)
            .arg("pool")
            .arg(&pool)
            .args(extra)
            .output()
            .expect("run /usr/bin/time");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let field = |name: &str| {
            stderr
                .lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let kib: u64 = field("Maximum resident set size (kbytes):")
            .parse()
            .unwrap_or(0);
        let wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss):");
        let secs: f64 = wall
            .rsplit(':')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0)
            + wall
                .split(':')
                .rev()
                .nth(1)
                .and_then(|m| m.parse::<f64>().ok())
                .unwrap_or(0.0)
                * 60.0;
        let name = format!("pool {}", extra.join(" "));
        println!(
            "{:<28} {:>10.2} {:>12} {:>12}",
            name.trim_end(),
            secs,
            kib,
            out.stdout.len()
        );
        if !out.status.success() || kib >= BOUND_KIB {
            over.push(format!("{name}: exit {:?}, {kib} KiB", out.status.code()));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if !over.is_empty() {
        eprintln!(
            "over the {BOUND_KIB} KiB bound or failed: {}",
            over.join("; ")
        );
        std::process::exit(1);
    }
}
