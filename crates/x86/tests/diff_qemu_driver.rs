//! Differential test against the live oracle: `virsh hypervisor-cpu-compare` and
//! `hypervisor-cpu-baseline` of libvirt 11.3 (with QEMU 7.2, x86_64 emulator, under KVM
//! and TCG) against [`X86::hypervisor_compare`] and [`X86::hypervisor_baseline`] computed
//! from the capabilities cache the running daemon wrote, read in the same test, and the
//! installed `cpu_map`. Every answer must be the same: exit status, stdout and stderr.
//!
//! Inputs (fixed seeds, `qdriver::compare_cases`/`baseline_cases`): 300 generated CPUs
//! (any model, QEMU-only and unknown names, every mode, match and policy, features drawn
//! from the host-model and the model's blockers) plus every CPU file of the x86 corpus,
//! each under both virttypes, a quarter with `--error`; 150 generated pools of 1–5 CPUs
//! (vendors, host-type CPUs, corpus hosts, `maxphysaddr`, features every CPU requires),
//! plain and `--features`, half also `--migratable`.
//!
//! Skips, printing why, when `virsh -c qemu:///system` does not answer (start the daemon
//! with `libvirtd -d`), is not libvirt 11.3, or the cache or the cpu_map is unreadable.
//! With `CPUCOMPAT_RECORD=1` the cache and virsh's answers are written to
//! `specs/qemu-driver/` for the offline replay (`qemu_driver.rs`).
mod qdriver;

use cpucompat_catalog::{Arch, Compiled};
use cpucompat_x86::X86;
use qdriver::{Case, Tally};
use std::path::Path;

const EMULATOR: &str = "/usr/bin/qemu-system-x86_64";
const CPU_MAP: &str = "/usr/share/libvirt/cpu_map";
const THREADS: usize = 6;

struct Live {
    cat: std::sync::Arc<Compiled>,
    cache: String,
}

fn live() -> Option<Live> {
    if let Some(why) = qdriver::virsh_unavailable() {
        eprintln!("skipped: {why}");
        return None;
    }
    // Make the daemon (re)validate its cache for the emulator before reading it.
    let _ = std::process::Command::new("virsh")
        .args([
            "-c",
            "qemu:///system",
            "domcapabilities",
            "--virttype",
            "kvm",
        ])
        .args(["--arch", "x86_64"])
        .output();
    let Some(path) = qdriver::live_cache(EMULATOR) else {
        eprintln!("skipped: no readable capabilities cache for {EMULATOR} (run as root)");
        return None;
    };
    let cache = std::fs::read_to_string(&path).ok()?;
    let cat = match Compiled::load_cpu_map(Path::new(CPU_MAP), Arch::X86) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("skipped: {CPU_MAP}: {e}");
            return None;
        }
    };
    eprintln!("cache: {}", path.display());
    Some(Live {
        cat: cat.into(),
        cache,
    })
}

fn run(live: &Live, cases: &[Case], what: &str, record: &str) {
    let x86 = X86::new(live.cat.clone());
    let hosts = qdriver::hosts(&x86, &live.cache);
    let t = std::time::Instant::now();
    let theirs = qdriver::virsh(cases, THREADS);
    eprintln!("{what}: virsh took {:?}", t.elapsed());
    let mut tally = Tally::default();
    for (case, theirs) in cases.iter().zip(&theirs) {
        let host = &hosts
            .iter()
            .find(|(v, _)| *v == case.virttype)
            .expect("virttype")
            .1;
        let mine = qdriver::ours(&x86, host, case);
        tally.add(case, theirs, &mine);
    }
    eprintln!("{what}: {}", qdriver::coverage(&x86, &hosts, cases));
    if std::env::var_os("CPUCOMPAT_RECORD").is_some() {
        let dir = qdriver::specs_dir();
        qdriver::write_jsonl(&dir.join(record), cases, &theirs);
        std::fs::write(dir.join("x86_64-qemu-7.2.qemucaps.xml"), &live.cache).expect("write cache");
        eprintln!("recorded {record}");
    }
    tally.check(what);
}

fn corpus_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/cases/x86/data")
}

#[test]
fn hypervisor_cpu_compare_equals_virsh() {
    let Some(live) = live() else { return };
    let x86 = X86::new(live.cat.clone());
    let hosts = qdriver::hosts(&x86, &live.cache);
    let mut corpus = qdriver::corpus(&corpus_dir());
    corpus.extend(qdriver::documents());
    let mut cases = qdriver::edge_cases(&hosts, qdriver::Cmd::Compare);
    cases.extend(qdriver::compare_cases(&live.cat, &hosts, 101, 300, &corpus));
    run(
        &live,
        &cases,
        "x86 hypervisor-cpu-compare",
        "x86_64-compare.jsonl",
    );
}

#[test]
fn hypervisor_cpu_baseline_equals_virsh() {
    let Some(live) = live() else { return };
    let x86 = X86::new(live.cat.clone());
    let hosts = qdriver::hosts(&x86, &live.cache);
    let corpus_hosts = qdriver::corpus_hosts(&corpus_dir());
    let mut cases = qdriver::edge_cases(&hosts, qdriver::Cmd::Baseline);
    cases.extend(qdriver::baseline_cases(
        &live.cat,
        &hosts,
        202,
        150,
        &corpus_hosts,
    ));
    run(
        &live,
        &cases,
        "x86 hypervisor-cpu-baseline",
        "x86_64-baseline.jsonl",
    );
}
