//! The CI regression gate: instruction counts (callgrind), which do not drift with machine
//! load the way seconds do. Each entry of `benches/instructions.ron` is a command line of the
//! release binary and its budget; the gate fails when a command needs more than its budget
//! plus 10 %. `CPUCOMPAT_BLESS=1` rewrites the budgets with the measured counts.
//!
//! Run: `cargo bench --bench gate` (skips with a note when valgrind is absent).
use std::path::Path;
use std::process::{Command, Stdio};

#[derive(serde::Deserialize, serde::Serialize)]
struct Entry {
    name: String,
    args: Vec<String>,
    #[serde(default)]
    stdin: Option<String>,
    budget: u64,
}

fn instructions(exe: &str, root: &Path, e: &Entry) -> Result<u64, String> {
    let mut cmd = Command::new("valgrind");
    cmd.current_dir(root)
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null", exe])
        .args(&e.args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match &e.stdin {
        Some(f) => {
            cmd.stdin(std::fs::File::open(root.join(f)).map_err(|err| format!("{f}: {err}"))?)
        }
        None => cmd.stdin(Stdio::null()),
    };
    let out = cmd.output().map_err(|err| err.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("no instruction count in valgrind output:\n{stderr}"))
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if Command::new("valgrind").arg("--version").output().is_err() {
        println!("gate skipped: valgrind is not installed");
        return;
    }
    let exe = env!("CARGO_BIN_EXE_cpucompat");
    let path = root.join("benches/instructions.ron");
    let text = std::fs::read_to_string(&path).expect("read benches/instructions.ron");
    let mut entries: Vec<Entry> = ron::from_str(&text).expect("parse benches/instructions.ron");
    let bless = std::env::var("CPUCOMPAT_BLESS").is_ok_and(|v| v == "1");
    let mut failed = Vec::new();
    println!(
        "{:<36} {:>14} {:>14} {:>8}",
        "command", "instructions", "budget", "ratio"
    );
    for e in &mut entries {
        let n = match instructions(exe, root, e) {
            Ok(n) => n,
            Err(err) => {
                failed.push(format!("{}: {err}", e.name));
                continue;
            }
        };
        let ratio = n as f64 / e.budget.max(1) as f64;
        println!("{:<36} {:>14} {:>14} {:>7.3}x", e.name, n, e.budget, ratio);
        if bless {
            e.budget = n;
        } else if ratio > 1.10 {
            failed.push(format!(
                "{}: {n} instructions, budget {} (+10 % allowed)",
                e.name, e.budget
            ));
        }
    }
    if bless {
        let pretty = ron::ser::PrettyConfig::new().struct_names(false);
        let out = ron::ser::to_string_pretty(&entries, pretty).expect("serialize budgets");
        std::fs::write(&path, out + "\n").expect("write budgets");
        println!("budgets rewritten");
    }
    if !failed.is_empty() {
        eprintln!("instruction-count gate failed:\n{}", failed.join("\n"));
        std::process::exit(1);
    }
}
