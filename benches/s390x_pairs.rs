//! The 11,552 pairwise s390x queries of QEMU 7.2 (every ordered pair of its 76 models
//! through `query-cpu-model-comparison` and `query-cpu-model-baseline`), answered by
//! cpucompat in-process (QMP text in, QMP text out) and by one `qemu-system-s390x` process,
//! side by side. Prints both times and their ratio; the target is under 1 %.
//!
//! Run: `cargo bench --bench s390x_pairs` (the QEMU side is skipped with a note when the
//! binary is absent). Wall-clock, so a bench that prints, never a test that asserts.
use cpucompat_s390x::{session, Catalog, Engine, Release};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn queries() -> Vec<String> {
    let cat = Catalog::embedded(Release::Qemu72);
    let mut names = Vec::new();
    for d in cat.definitions() {
        names.push(d.name.clone());
        names.push(format!("{}-base", d.name));
    }
    let mut q = Vec::new();
    for a in &names {
        for b in &names {
            for cmd in ["query-cpu-model-comparison", "query-cpu-model-baseline"] {
                q.push(format!(
                    r#"{{"execute":"{cmd}","arguments":{{"modela":{{"name":"{a}"}},"modelb":{{"name":"{b}"}}}}}}"#
                ));
            }
        }
    }
    q
}

fn ours(lines: &[String]) -> (Duration, usize) {
    let t = Instant::now();
    let mut s = session(Engine::tcg(Release::Qemu72));
    s.line(r#"{"execute":"qmp_capabilities"}"#);
    let mut bytes = 0;
    for l in lines {
        bytes += s.line(l).map_or(0, |r| r.len());
    }
    (t.elapsed(), bytes)
}

fn qemu(lines: &[String]) -> Option<(Duration, Duration)> {
    let spawn = || {
        Command::new("qemu-system-s390x")
            .args([
                "-nodefaults",
                "-nographic",
                "-display",
                "none",
                "-machine",
                "none",
            ])
            .args([
                "-accel", "tcg", "-serial", "none", "-monitor", "none", "-qmp", "stdio",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()
    };
    let run = |lines: &[String]| -> Option<Duration> {
        let t = Instant::now();
        let mut child = spawn()?;
        let mut stdin = child.stdin.take()?;
        let text: String = std::iter::once(r#"{"execute":"qmp_capabilities"}"#.to_string())
            .chain(lines.iter().cloned())
            .chain(std::iter::once(r#"{"execute":"quit"}"#.to_string()))
            .map(|l| l + "\n")
            .collect();
        let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
        let replies = BufReader::new(child.stdout.take()?)
            .lines()
            .map_while(Result::ok)
            .filter(|l| l.starts_with("{\"return\"") || l.starts_with("{\"error\""))
            .count();
        let _ = writer.join();
        let _ = child.wait();
        assert_eq!(replies, lines.len() + 2, "one QEMU reply per command");
        Some(t.elapsed())
    };
    let total = run(lines)?;
    let startup = run(&[])?;
    Some((total, startup))
}

fn main() {
    let lines = queries();
    println!("s390x pairwise queries: {}", lines.len());
    // Warm the embedded catalog, then take the best of five in-process runs.
    let _ = ours(&lines[..10]);
    let mut best = Duration::MAX;
    let mut bytes = 0;
    for _ in 0..5 {
        let (d, b) = ours(&lines);
        best = best.min(d);
        bytes = b;
    }
    println!(
        "cpucompat (in-process): {:>10.2} ms  ({:.2} µs/query, {bytes} reply bytes)",
        best.as_secs_f64() * 1e3,
        best.as_secs_f64() * 1e6 / lines.len() as f64
    );
    let Some((total, startup)) = qemu(&lines) else {
        println!("qemu side skipped: qemu-system-s390x is not installed");
        return;
    };
    println!(
        "qemu-system-s390x 7.2:  {:>10.2} ms  (of which {:.2} ms start-up and quit)",
        total.as_secs_f64() * 1e3,
        startup.as_secs_f64() * 1e3
    );
    println!(
        "ratio cpucompat/qemu:   {:>10.3} %  (excluding QEMU start-up: {:.3} %)",
        100.0 * best.as_secs_f64() / total.as_secs_f64(),
        100.0 * best.as_secs_f64() / (total - startup.min(total)).as_secs_f64().max(1e-9)
    );
}
