//! Differential test against the live oracle: `virsh hypervisor-cpu-compare` and
//! `hypervisor-cpu-baseline` of libvirt 11.3 (with QEMU 7.2, x86_64 emulator, under KVM
//! and TCG) against the library's [`cpucompat::Hypervisor`] read from the capabilities
//! cache the running daemon wrote (read in the same test), with the installed `cpu_map`
//! (`Engine::builder(Arch::X86).cpu_map(CpuMap::Dir(..))`). Every answer must be the same:
//! exit status, stdout and stderr. Public API only.
//!
//! Inputs (fixed seeds, `qdriver::x86::all_compare_cases`/`all_baseline_cases`): 300
//! generated CPUs (any model, QEMU-only and unknown names, every mode, match and policy,
//! features drawn from the host-model and the model's blockers) plus every CPU file of the
//! x86 corpus, each under both virttypes, a quarter with `--error`; 150 generated pools of
//! 1–5 CPUs (vendors, host-type CPUs, corpus hosts, `maxphysaddr`, features every CPU
//! requires), plain and `--features`, half also `--migratable`.
//!
//! Skips, printing why, when `virsh -c qemu:///system` does not answer (start the daemon
//! with `libvirtd -d`), is not libvirt 11.3, or the cache or the cpu_map is unreadable.
//! With `CPUCOMPAT_RECORD=1` the cache and virsh's answers are written to
//! `specs/qemu-driver/` for the offline replay (`qemu_driver_x86.rs`).
mod qdriver;
mod support;

use cpucompat::{Arch, CpuMap, Engine};
use qdriver::x86::{self, Case};
use qdriver::Tally;

const EMULATOR: &str = "/usr/bin/qemu-system-x86_64";
const CPU_MAP: &str = "/usr/share/libvirt/cpu_map";
const THREADS: usize = 6;

struct Live {
    engine: Engine,
    cache: String,
}

fn live() -> Option<Live> {
    if let Some(why) = qdriver::virsh_unavailable() {
        eprintln!("skipped: {why}");
        return None;
    }
    // Make the daemon (re)validate its cache for the emulator before reading it.
    let _ = std::process::Command::new("virsh")
        .args(["-c", "qemu:///system", "domcapabilities"])
        .args(["--virttype", "kvm", "--arch", "x86_64"])
        .output();
    let Some(path) = qdriver::live_cache(EMULATOR) else {
        eprintln!("skipped: no readable capabilities cache for {EMULATOR} (run as root)");
        return None;
    };
    let cache = std::fs::read_to_string(&path).ok()?;
    let engine = match Engine::builder(Arch::X86)
        .cpu_map(CpuMap::Dir(CPU_MAP.into()))
        .build()
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("skipped: {e}");
            return None;
        }
    };
    eprintln!("cache: {}", path.display());
    Some(Live { engine, cache })
}

fn run(live: &Live, cases: &[Case], what: &str, record: &str) {
    let hosts = x86::hosts(&live.engine, &live.cache);
    let t = std::time::Instant::now();
    let calls: Vec<(Vec<String>, String)> = cases
        .iter()
        .map(|c| (c.virsh_args(), c.input.clone()))
        .collect();
    let theirs = qdriver::virsh(&calls, THREADS);
    eprintln!("{what}: virsh took {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let mut tally = Tally::default();
    for (case, theirs) in cases.iter().zip(&theirs) {
        let mine = x86::ours(&x86::host_of(&hosts, case).hv, case);
        tally.add(&case.describe(), x86::agree(theirs, &mine), theirs, &mine);
    }
    eprintln!("{what}: cpucompat took {:?}", t.elapsed());
    eprintln!("{what}: {}", x86::coverage(&hosts, cases));
    if std::env::var_os("CPUCOMPAT_RECORD").is_some() {
        let dir = qdriver::specs_dir();
        x86::write_jsonl(&dir.join(record), cases, &theirs);
        std::fs::write(dir.join("x86_64-qemu-7.2.qemucaps.xml"), &live.cache).expect("write cache");
        eprintln!("recorded {record}");
    }
    tally.check(what);
}

#[test]
fn hypervisor_cpu_compare_equals_virsh() {
    let Some(live) = live() else { return };
    let hosts = x86::hosts(&live.engine, &live.cache);
    let cases = x86::all_compare_cases(&live.engine, &hosts);
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
    let hosts = x86::hosts(&live.engine, &live.cache);
    let cases = x86::all_baseline_cases(&live.engine, &hosts);
    run(
        &live,
        &cases,
        "x86 hypervisor-cpu-baseline",
        "x86_64-baseline.jsonl",
    );
}
