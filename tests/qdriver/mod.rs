//! libvirt 11.3's QEMU driver as an oracle (`virsh hypervisor-cpu-compare` and
//! `hypervisor-cpu-baseline`), shared by the live differential tests and the offline
//! replays of recorded answers, for x86 ([`x86`]) and s390x ([`s390x`]).
//!
//! Our side goes through the `cpucompat` library's public API only: definitions as written
//! by [`cpucompat::xml::parse_cpus`], a [`cpucompat::Hypervisor`] read with
//! [`cpucompat::Engine::hypervisor`], its answers printed as `virsh` prints them, errors with
//! [`cpucompat::Error::libvirt_message`].
//!
//! An [`Outcome`] is what one run printed: exit status, stdout and stderr with surrounding
//! blank space trimmed. The input file is always named [`FILE`] (virsh quotes it).
//!
//! How virsh prints (libvirt 11.3), `FILE` as given:
//!
//! ```text
//! compare ok:    stdout "CPU described in FILE is identical to the CPU provided by
//!                hypervisor on the host" | "The CPU provided by hypervisor on the host is
//!                a superset of CPU described in FILE"                            exit 0
//! incompatible:  stdout "CPU described in FILE is incompatible with the CPU provided by
//!                hypervisor on the host"                                         exit 1
//! --error:       stderr "error: Failed to compare hypervisor CPU with FILE"
//!                       "error: the CPU is incompatible with host CPU: DETAIL"   exit 1
//! errors:        compare: "error: Failed to compare hypervisor CPU with FILE" + "error: MSG";
//!                baseline: "error: MSG"                                          exit 1
//! warning:       stderr "error: using host CPU definition as input may provide incorrect
//!                results", once per CPU of the file with a <feature> without policy=,
//!                before anything else (it is not an error)
//! ```
#![allow(dead_code)]
pub mod s390x;
pub mod x86;

use cpucompat::xml::model::CpuDef;
use cpucompat::{HypervisorComparison, Verdict};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The input file name every case uses.
pub const FILE: &str = "cpu.xml";

/// virsh's warning for a CPU with a `<feature>` without `policy=`.
pub const WARNING: &str = "error: using host CPU definition as input may provide incorrect results";

/// splitmix64, so every run generates the same inputs.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True `percent` times in 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Which virsh command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    Compare,
    Baseline,
}

impl Cmd {
    /// The name in the recorded files.
    pub fn name(self) -> &'static str {
        match self {
            Cmd::Compare => "compare",
            Cmd::Baseline => "baseline",
        }
    }

    /// The virsh command.
    pub fn virsh(self) -> &'static str {
        match self {
            Cmd::Compare => "hypervisor-cpu-compare",
            Cmd::Baseline => "hypervisor-cpu-baseline",
        }
    }
}

/// What a run printed, blank space around stdout and stderr trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub exit: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    pub fn new(exit: i32, stdout: &str, stderr: &str) -> Outcome {
        Outcome {
            exit,
            stdout: stdout.trim().to_string(),
            stderr: stderr.trim().to_string(),
        }
    }
}

/// Why virsh cannot be asked, if it cannot.
pub fn virsh_unavailable() -> Option<String> {
    match Command::new("virsh")
        .args(["-c", "qemu:///system", "version"])
        .output()
    {
        Err(e) => Some(format!("`virsh` is not runnable: {e}")),
        Ok(o) if !o.status.success() => Some(format!(
            "`virsh -c qemu:///system version` failed (start the daemon: `libvirtd -d`): {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Ok(o) => {
            let v = String::from_utf8_lossy(&o.stdout);
            (!v.contains("libvirt 11.3.")).then(|| format!("not libvirt 11.3: {}", v.trim()))
        }
    }
}

/// Runs `virsh -c qemu:///system ARGS FILE` for every `(args, input)`, `threads` at a
/// time (each call mostly waits on the daemon), each worker in a private temporary
/// directory holding `FILE`; the outcomes in order.
pub fn virsh(calls: &[(Vec<String>, String)], threads: usize) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; calls.len()]);
    // One directory per call: the tests of one binary run at the same time.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::SeqCst);
    let base =
        std::env::temp_dir().join(format!("cpucompat-qdriver-{}-{call}", std::process::id()));
    std::thread::scope(|s| {
        for w in 0..threads.max(1) {
            let dir = base.join(format!("w{w}"));
            let (next, out) = (&next, &out);
            s.spawn(move || {
                std::fs::create_dir_all(&dir).expect("temp dir");
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some((args, input)) = calls.get(i) else {
                        break;
                    };
                    std::fs::write(dir.join(FILE), input).expect("write input");
                    let o = Command::new("virsh")
                        .args(["-c", "qemu:///system"])
                        .args(args)
                        .arg(FILE)
                        .current_dir(&dir)
                        .output()
                        .expect("run virsh");
                    let outcome = Outcome::new(
                        o.status.code().unwrap_or(-1),
                        &String::from_utf8_lossy(&o.stdout),
                        &String::from_utf8_lossy(&o.stderr),
                    );
                    out.lock().expect("lock")[i] = Some(outcome);
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&base);
    out.into_inner()
        .expect("lock")
        .into_iter()
        .map(|o| o.expect("every call ran"))
        .collect()
}

/// The capabilities cache libvirtd wrote for `emulator`, if readable.
pub fn live_cache(emulator: &str) -> Option<PathBuf> {
    let dir = Path::new("/var/cache/libvirt/qemu/capabilities");
    let needle = format!("<emulator>{emulator}</emulator>");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    entries
        .into_iter()
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(&needle)))
}

/// The repository's `specs/qemu-driver` directory.
pub fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/qemu-driver")
}

/// A committed file of `specs/qemu-driver`.
pub fn specs_file(name: &str) -> String {
    let path = specs_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// virsh's warnings for the CPUs of a file: one per CPU with a policy-less feature.
pub fn warnings(cpus: &[CpuDef]) -> String {
    let mut err = String::new();
    for c in cpus {
        if c.features.iter().any(|f| f.policy.is_none()) {
            err.push_str(WARNING);
            err.push('\n');
        }
    }
    err
}

/// The text virsh prints for an error cpucompat answered as libvirt does; an error
/// without libvirt's text is printed so that it never agrees with virsh.
pub fn libvirt_text(e: &cpucompat::Error) -> String {
    match e.libvirt_message() {
        Some(t) => t.to_string(),
        None => format!("(no libvirt text) {e}"),
    }
}

/// `virsh hypervisor-cpu-compare`'s printing of an answer; `warn` goes first on stderr.
pub fn print_compare(
    r: Result<HypervisorComparison, cpucompat::Error>,
    error_flag: bool,
    warn: &str,
) -> Outcome {
    let fail = |msg: String| {
        Outcome::new(
            1,
            "",
            &format!("{warn}error: Failed to compare hypervisor CPU with {FILE}\nerror: {msg}"),
        )
    };
    match r {
        Err(e) => fail(libvirt_text(&e)),
        Ok(r) => {
            let c = r.comparison();
            match c.verdict() {
                Verdict::Incompatible if error_flag => {
                    let detail = match c.reasons().first() {
                        Some(r) => format!(": {}", r.message()),
                        None => String::new(),
                    };
                    fail(format!("the CPU is incompatible with host CPU{detail}"))
                }
                Verdict::Incompatible => Outcome::new(
                    1,
                    &format!("CPU described in {FILE} is incompatible with the CPU provided by hypervisor on the host"),
                    warn,
                ),
                Verdict::Identical => Outcome::new(
                    0,
                    &format!("CPU described in {FILE} is identical to the CPU provided by hypervisor on the host"),
                    warn,
                ),
                Verdict::Superset => Outcome::new(
                    0,
                    &format!("The CPU provided by hypervisor on the host is a superset of CPU described in {FILE}"),
                    warn,
                ),
            }
        }
    }
}

/// `virsh hypervisor-cpu-baseline`'s printing of an answer.
pub fn print_baseline(
    r: Result<cpucompat::HypervisorBaseline, cpucompat::Error>,
    warn: &str,
) -> Outcome {
    match r {
        Err(e) => Outcome::new(1, "", &format!("{warn}error: {}", libvirt_text(&e))),
        Ok(b) => Outcome::new(0, &b.to_xml(), warn),
    }
}

/// Counts and the first few differences of a comparison run.
#[derive(Default)]
pub struct Tally {
    pub cases: usize,
    pub equal: usize,
    pub differences: Vec<String>,
}

impl Tally {
    /// One case: equal when `agree` says so.
    pub fn add(&mut self, label: &str, agree: bool, theirs: &Outcome, mine: &Outcome) {
        self.cases += 1;
        if agree {
            self.equal += 1;
        } else {
            self.differences
                .push(format!("{label}\nvirsh: {theirs:?}\nours:  {mine:?}"));
        }
    }

    /// Prints the counts and fails on any difference (`CPUCOMPAT_DIFFS=FILE` writes them
    /// all).
    pub fn check(&self, what: &str) {
        eprintln!("{what}: {} cases, {} equal", self.cases, self.equal);
        if let Some(path) = std::env::var_os("CPUCOMPAT_DIFFS") {
            let _ = std::fs::write(path, self.differences.join("\n\n"));
        }
        assert!(
            self.differences.is_empty(),
            "{what}: {} of {} differ; first ones:\n{}",
            self.differences.len(),
            self.cases,
            self.differences
                .iter()
                .take(6)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n\n")
        );
    }
}
