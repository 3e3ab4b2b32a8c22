//! The bad-input corpus (`tests/bad-input/`): every case of `cases.ron` runs the real
//! `cpucompat` binary once and must fail the way the project's rules say bad input fails:
//! exit status 2, nothing on stdout, exactly one line on stderr,
//! `cpucompat: error: ` followed by the case's expected first words (which name the file
//! and, where it has one, the position), no panic, under 3 s of CPU time and a 200 MiB
//! address-space limit (`ulimit -t 3 -v 204800`: a case past either is killed, and fails).
//!
//! Inputs are small committed files, or made at test time in a temporary directory: the
//! huge ones (100k-deep nesting, a 100 MB attribute, a 2-million-feature element), a
//! directory, a socket (unreadable even for root), a file without read permission,
//! `/dev/zero`, a missing path. In `args` and `expect`, `{0}`, `{1}` ... stand for the
//! case's inputs, in order.
//!
//! A case marked `pending` states behaviour the binary does not have yet: it is run, must
//! still fail its expectation (the runner prints how), and fails the test the day it
//! passes, so the mark is removed.
use serde::Deserialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where an input comes from.
#[derive(Deserialize, Debug)]
enum Source {
    /// A committed file under `tests/bad-input/`.
    File(String),
    /// `<cpu>` holding `n` levels of nested elements.
    Deep(usize),
    /// A `<model>` whose `name` attribute holds `n` bytes.
    BigAttribute(usize),
    /// A host `<cpu>` with `n` `<feature>` elements, cycling over real feature names.
    Features(usize),
    /// A host `<cpu>` with `n` distinct unknown features `f0`, `f1` ....
    UnknownFeatures(usize),
    /// A directory.
    Directory,
    /// A Unix socket: opening it fails with ENXIO, whoever runs the test.
    Socket,
    /// A committed file copied under another name (`(file, name)`).
    Renamed(String, String),
    /// A committed file copied without read permission (skipped when running as root).
    Unreadable(String),
    /// A path that does not exist.
    Missing,
    /// A path used as is (`/dev/zero`).
    Path(String),
}

/// One case.
#[derive(Deserialize, Debug)]
struct Case {
    name: String,
    args: Vec<String>,
    #[serde(default)]
    inputs: Vec<Source>,
    #[serde(default)]
    stdin: Option<String>,
    /// The exit status (2 unless said).
    #[serde(default = "two")]
    exit: i32,
    /// The start of stderr after `cpucompat: error: `; `None`: stderr is empty.
    expect: Option<String>,
    /// A text stdout must contain; `None`: stdout is empty.
    #[serde(default)]
    stdout: Option<String>,
    /// Why the binary does not do this yet.
    #[serde(default)]
    pending: Option<String>,
}

fn two() -> i32 {
    2
}

const FEATURES: [&str; 8] = [
    "avx", "sse4.2", "aes", "avx2", "bmi1", "bmi2", "fma", "movbe",
];

/// Writes `n` copies of `unit(i)` between `head` and `tail`, buffered.
fn write_big(path: &Path, head: &str, n: usize, unit: impl Fn(usize) -> String, tail: &str) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    w.write_all(head.as_bytes()).unwrap();
    for i in 0..n {
        w.write_all(unit(i).as_bytes()).unwrap();
    }
    w.write_all(tail.as_bytes()).unwrap();
    w.flush().unwrap();
}

/// Makes one input in `dir`; `None` when it cannot be made meaningful here.
fn materialize(src: &Source, dir: &Path, i: usize) -> Result<PathBuf, String> {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input");
    let p = dir.join(format!("input{i}"));
    match src {
        Source::File(name) => {
            let p = dir.join(name);
            std::fs::copy(committed.join(name), &p).unwrap();
            Ok(p)
        }
        Source::Deep(n) => {
            let p = p.with_extension("xml");
            let tail = format!("{}\n</cpu>\n", "</a>".repeat(*n));
            write_big(&p, "<cpu>\n", *n, |_| "<a>".into(), &tail);
            Ok(p)
        }
        Source::BigAttribute(n) => {
            let p = p.with_extension("xml");
            let chunk = "a".repeat(1 << 16);
            let f = std::fs::File::create(&p).unwrap();
            let mut w = std::io::BufWriter::new(f);
            w.write_all(b"<cpu>\n  <model name='").unwrap();
            let mut left = *n;
            while left > 0 {
                let k = left.min(chunk.len());
                w.write_all(&chunk.as_bytes()[..k]).unwrap();
                left -= k;
            }
            w.write_all(b"'>Haswell</model>\n</cpu>\n").unwrap();
            Ok(p)
        }
        Source::Features(n) => {
            let p = p.with_extension("xml");
            write_big(
                &p,
                "<cpu>\n  <arch>x86_64</arch>\n  <model>Haswell</model>\n",
                *n,
                |i| format!("  <feature name='{}'/>\n", FEATURES[i % FEATURES.len()]),
                "</cpu>\n",
            );
            Ok(p)
        }
        Source::UnknownFeatures(n) => {
            let p = p.with_extension("xml");
            write_big(
                &p,
                "<cpu>\n  <arch>x86_64</arch>\n  <model>Haswell</model>\n",
                *n,
                |i| format!("  <feature policy='require' name='f{i}'/>\n"),
                "</cpu>\n",
            );
            Ok(p)
        }
        Source::Renamed(name, to) => {
            let p = dir.join(to);
            std::fs::copy(committed.join(name), &p).unwrap();
            Ok(p)
        }
        Source::Directory => {
            std::fs::create_dir_all(&p).unwrap();
            Ok(p)
        }
        Source::Socket => {
            let _ = std::fs::remove_file(&p);
            // The listener is dropped at once; the socket file stays, and opening it fails.
            std::os::unix::net::UnixListener::bind(&p).unwrap();
            Ok(p)
        }
        Source::Unreadable(name) => {
            use std::os::unix::fs::PermissionsExt;
            let p = dir.join(name);
            std::fs::copy(committed.join(name), &p).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
            if std::fs::read(&p).is_ok() {
                return Err("running with the right to read any file (root)".into());
            }
            Ok(p)
        }
        Source::Missing => Ok(dir.join("does-not-exist.xml")),
        Source::Path(path) => Ok(PathBuf::from(path)),
    }
}

fn substitute(text: &str, inputs: &[PathBuf]) -> String {
    let mut out = text.to_string();
    for (i, p) in inputs.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), &p.display().to_string());
    }
    out
}

/// [`substitute`] as an error line shows the paths: control characters escaped.
fn substitute_shown(text: &str, inputs: &[PathBuf]) -> String {
    let mut out = text.to_string();
    for (i, p) in inputs.iter().enumerate() {
        let shown: String = p
            .display()
            .to_string()
            .chars()
            .map(|c| match c.is_control() {
                true => c.escape_default().to_string(),
                false => c.to_string(),
            })
            .collect();
        out = out.replace(&format!("{{{i}}}"), &shown);
    }
    out
}

/// What one run did.
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    wall: Duration,
}

/// Runs the binary under `ulimit -t 3 -v 204800`, killed after a minute of wall-clock
/// time (a hang).
fn run(args: &[String], stdin: Option<&str>) -> Outcome {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -t 3 && ulimit -v 204800 && exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_cpucompat"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn sh");
    let mut input = child.stdin.take().expect("stdin");
    let text = stdin.unwrap_or("").to_string();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(text.as_bytes());
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let pid = child.id();
    let waiter = std::thread::spawn(move || {
        let out = child.wait_with_output();
        let _ = tx.send(());
        out
    });
    if rx.recv_timeout(Duration::from_secs(60)).is_err() {
        // A hang: kill the process (its pid is the exec'd binary's).
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
    let out = waiter.join().expect("waiter").expect("wait");
    let _ = writer.join();
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        wall: start.elapsed(),
    }
}

/// Checks one outcome against its case; the first mismatch, if any.
fn check(case: &Case, o: &Outcome, inputs: &[PathBuf]) -> Result<(), String> {
    let short = |t: &str| -> String {
        if t.len() <= 300 {
            return t.to_string();
        }
        let mut cut = 300;
        while !t.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}... ({} bytes)", &t[..cut], t.len())
    };
    if o.code != Some(case.exit) {
        return Err(format!(
            "exit {:?} (want {}): killed by a limit or a signal when None; stderr {:?}",
            o.code, case.exit, o.stderr
        ));
    }
    if o.stderr.contains("panicked") {
        return Err(format!("panic: {}", o.stderr));
    }
    match &case.stdout {
        None if !o.stdout.is_empty() => {
            return Err(format!("stdout not empty: {:?}", short(&o.stdout)))
        }
        Some(want) if !o.stdout.contains(want.as_str()) => {
            return Err(format!("stdout lacks {want:?}: {:?}", short(&o.stdout)))
        }
        _ => {}
    }
    match &case.expect {
        None if !o.stderr.is_empty() => Err(format!("stderr not empty: {:?}", o.stderr)),
        None => Ok(()),
        Some(want) => {
            let want = format!("cpucompat: error: {}", substitute_shown(want, inputs));
            let lines = o.stderr.lines().count();
            if lines != 1 || !o.stderr.ends_with('\n') {
                Err(format!("stderr is {lines} lines: {:?}", o.stderr))
            } else if !o.stderr.starts_with(&want) {
                Err(format!(
                    "stderr {:?} does not start with {want:?}",
                    o.stderr
                ))
            } else {
                Ok(())
            }
        }
    }
}

#[test]
fn every_bad_input_is_one_located_error_line_with_exit_2() {
    let text = include_str!("bad-input/cases.ron");
    let cases: Vec<Case> = ron::from_str(text).unwrap_or_else(|e| panic!("cases.ron: {e}"));
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bad-input");
    let mut failures = Vec::new();
    let mut names = std::collections::HashSet::new();
    for case in &cases {
        assert!(names.insert(&case.name), "case {} twice", case.name);
        let dir = root.join(&case.name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let inputs: Result<Vec<PathBuf>, String> = case
            .inputs
            .iter()
            .enumerate()
            .map(|(i, s)| materialize(s, &dir, i))
            .collect();
        let inputs = match inputs {
            Ok(i) => i,
            Err(why) => {
                println!("{}: skipped: {why}", case.name);
                continue;
            }
        };
        let args: Vec<String> = case.args.iter().map(|a| substitute(a, &inputs)).collect();
        let o = run(&args, case.stdin.as_deref());
        let result = check(case, &o, &inputs);
        println!(
            "{}: {:.2} s wall, {}",
            case.name,
            o.wall.as_secs_f64(),
            o.stderr.trim_end()
        );
        match (&case.pending, result) {
            (None, Ok(())) => {}
            (None, Err(e)) => failures.push(format!("{}: {e}", case.name)),
            (Some(why), Err(e)) => println!("{}: pending ({why}): {e}", case.name),
            (Some(_), Ok(())) => failures.push(format!(
                "{}: passes now: remove its `pending` mark in cases.ron",
                case.name
            )),
        }
        // Generated inputs can be large: remove them as soon as the case is done.
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
