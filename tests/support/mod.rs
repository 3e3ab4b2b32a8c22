//! Shared by the binary-level tests (`cli_*.rs`, `diff_*.rs`): running the real
//! `cpucompat` binary, checking its one-line errors, and a deterministic generator.
#![allow(dead_code)]
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// What one run of the binary did.
pub struct Run {
    /// Exit status (-1 when killed by a signal).
    pub code: i32,
    /// Everything on stdout.
    pub stdout: String,
    /// Everything on stderr.
    pub stderr: String,
}

/// Runs `cpucompat ARGS` (in `dir` when given) with `stdin` as its input.
pub fn cpucompat(dir: Option<&Path>, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cpucompat"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let mut child = cmd.spawn().expect("spawn cpucompat");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).expect("write stdin");
        }
    }
    let out = child.wait_with_output().expect("wait for cpucompat");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Asserts the run failed with exit 2, printed nothing on stdout, and said exactly
/// `cpucompat: error: {message}` on stderr.
pub fn assert_error(r: &Run, message: &str) {
    assert_eq!(r.code, 2, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "", "no partial output");
    assert_eq!(r.stderr, format!("cpucompat: error: {message}\n"));
}

/// splitmix64: a small deterministic generator, so every run builds the same inputs.
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

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub mod cases;
pub mod s390x;

/// The library's QMP monitor (`Engine::s390x().serve_qmp` or `Engine::ppc64().serve_qmp`)
/// on one byte stream: negotiation, then `lines`, one per line; the replies to `lines`, in
/// order, as JSON values (greeting and negotiation dropped). Panics unless there is exactly
/// one reply per line.
pub fn serve_qmp(engine: &cpucompat::Engine, lines: &[String]) -> Vec<serde_json::Value> {
    let mut input = String::from("{\"execute\":\"qmp_capabilities\"}\n");
    for l in lines {
        input.push_str(l);
        input.push('\n');
    }
    let mut out = Vec::new();
    match (engine.s390x(), engine.ppc64()) {
        (Some(s), _) => s.serve_qmp(input.as_bytes(), &mut out),
        (None, Some(p)) => p.serve_qmp(input.as_bytes(), &mut out),
        (None, None) => panic!("qmp is served for s390x and ppc64"),
    }
    .expect("qmp session");
    let text = String::from_utf8(out).expect("utf-8 replies");
    let replies: Vec<serde_json::Value> = text
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON reply"))
        .filter(|v: &serde_json::Value| v.get("QMP").is_none())
        .collect();
    assert_eq!(replies.len(), lines.len() + 1, "one reply per command");
    replies[1..].to_vec()
}
