//! Differential test against the live oracle: libvirt 11.3's `virsh
//! hypervisor-cpu-baseline` and `hypervisor-cpu-compare` for the s390x emulator (QEMU 7.2,
//! TCG, on this x86_64 host) against the library's [`cpucompat::Hypervisor`] read from the
//! capabilities cache the running daemon wrote (read in the same test), with QEMU 7.2's
//! tables. Baselines must be byte for byte virsh's, errors libvirt's texts (QEMU errors
//! inside the fold are "An error occurred, but the cause is unknown" there, a clear error
//! here); every compare is E1 on a non-s390x host. Public API only.
//!
//! 120 generated pools (fixed seed) of 1–4 CPUs from QEMU's 78 names with 0–3 features or
//! groups and every policy, each baselined plain and with `--features`, one compare each.
//! Inputs the library predicts to crash libvirtd 11.3 (one CPU whose features QEMU
//! refuses) are counted and never sent.
//!
//! Skips, printing why, when `virsh -c qemu:///system` does not answer (`libvirtd -d`), is
//! not libvirt 11.3, or the cache is unreadable. `CPUCOMPAT_RECORD=1` writes the cache and
//! virsh's answers to `specs/qemu-driver/` for the offline replay (`qemu_driver_s390x.rs`).
mod qdriver;
mod support;

use qdriver::s390x::{self, Case};
use qdriver::{Cmd, Outcome};

const EMULATOR: &str = "/usr/bin/qemu-system-s390x";
const THREADS: usize = 8;

#[test]
fn hypervisor_cpu_baseline_and_compare_equal_virsh() {
    if let Some(why) = qdriver::virsh_unavailable() {
        eprintln!("skipped: {why}");
        return;
    }
    let _ = std::process::Command::new("virsh")
        .args(["-c", "qemu:///system", "domcapabilities", "--arch", "s390x"])
        .args(["--virttype", "qemu"])
        .output();
    let Some(path) = qdriver::live_cache(EMULATOR) else {
        eprintln!("skipped: no readable capabilities cache for {EMULATOR} (run as root)");
        return;
    };
    let cache = std::fs::read_to_string(&path).expect("cache");
    let engine = s390x::engine_7_2();
    let host = s390x::host(&engine, &cache);
    let mut crashes = Vec::new();
    let mut cases: Vec<Case> = Vec::new();
    let mut mine: Vec<Outcome> = Vec::new();
    for c in s390x::all_cases(&engine, &host) {
        match s390x::ours(&host, &c) {
            Ok(o) => {
                cases.push(c);
                mine.push(o);
            }
            Err(e) => crashes.push(format!("{}: {e}", c.label)),
        }
    }
    let t = std::time::Instant::now();
    let calls: Vec<(Vec<String>, String)> = cases
        .iter()
        .map(|c| (c.virsh_args(), c.input.clone()))
        .collect();
    let theirs = qdriver::virsh(&calls, THREADS);
    eprintln!(
        "s390x: virsh took {:?} for {} calls",
        t.elapsed(),
        cases.len()
    );
    if theirs
        .iter()
        .any(|o| o.stderr.contains("End of file while reading data"))
    {
        panic!("libvirtd died during the test: restart it with `libvirtd -d`");
    }
    let mut differences = Vec::new();
    let (mut baselines, mut opaque, mut compares) = (0, 0, 0);
    for ((c, a), b) in cases.iter().zip(&theirs).zip(&mine) {
        match c.cmd {
            Cmd::Compare => compares += 1,
            Cmd::Baseline if a.exit == 0 => baselines += 1,
            Cmd::Baseline if a.stderr.contains("cause is unknown") => opaque += 1,
            _ => {}
        }
        if !s390x::agree(a, b) {
            differences.push(format!(
                "{} {:?}:\n{}virsh: {a:?}\nours:  {b:?}",
                c.label, c.flags, c.input
            ));
        }
    }
    if std::env::var_os("CPUCOMPAT_RECORD").is_some() {
        let dir = qdriver::specs_dir();
        s390x::write_jsonl(&dir.join("s390x-baseline.jsonl"), &cases, &theirs);
        std::fs::write(dir.join("s390x-qemu-7.2.qemucaps.xml"), &cache).expect("write cache");
    }
    eprintln!(
        "s390x hypervisor commands: {} cases, {} equal ({baselines} baselines, {opaque} \
         opaque QEMU errors, {compares} compares); {} predicted libvirtd crashes not sent: {crashes:?}",
        cases.len(),
        cases.len() - differences.len(),
        crashes.len()
    );
    assert!(
        differences.is_empty(),
        "{} of {} differ:\n{}",
        differences.len(),
        cases.len(),
        differences
            .iter()
            .take(6)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
