//! Differential tests against a real `qemu-system-ppc64` (Debian `qemu-system-ppc`).
//!
//! Skipped, with the reason printed, when the binary is absent or is not QEMU 7.2 (our
//! tables are newest upstream and 7.2; only 7.2 has a binary to compare against here).
//!
//! 1. `query-cpu-definitions` under `-machine none`: our `cpucompat qmp --arch ppc64
//!    --qemu-version 7.2` reply equals QEMU's, as JSON values, on the POWER5+-and-later
//!    entries (names `power<digit>...`: the server CPUs this project models; QEMU also
//!    lists ~400 embedded and desktop PowerPC CPUs, which it does not). Order included.
//! 2. The CPU-model commands and an unknown command fail with the same error values.
//! 3. `-machine pseries,max-cpu-compat=M -cpu C` for every class `C` of the 7.2 table and
//!    every mode `M` (plus `power11` and `power5`, which 7.2 does not know): QEMU starts
//!    exactly when our table says the family supports the mode, and when it does not it
//!    prints the message we predict.
//!
//! cpucompat is the binary (`cpucompat qmp`) for 1–2 and the library's public API for 3
//! (`Engine::ppc64().qemu()`, the QEMU table the engine decides with).
//!
//! Deliberate difference: our greeting reports `"package": "cpucompat"` and micro 0, not
//! Debian's package string; the greeting is not compared.
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

const QEMU: &str = "qemu-system-ppc64";

/// The installed QEMU's version line, or why the test is skipped.
fn qemu_7_2() -> Result<(), String> {
    let out = Command::new(QEMU)
        .arg("--version")
        .output()
        .map_err(|e| format!("{QEMU} not runnable ({e}); apt-get install qemu-system-ppc"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if text.contains("version 7.2") {
        Ok(())
    } else {
        Err(format!(
            "{QEMU} is not 7.2 ({}); our comparable table is 7.2's",
            text.lines().next().unwrap_or("")
        ))
    }
}

/// Runs a QMP session; returns the replies (events and greeting dropped) and stderr.
fn qemu_session(args: &[&str], commands: &[&str]) -> (Vec<Value>, String) {
    let mut child = Command::new(QEMU)
        .args([
            "-nodefaults",
            "-nographic",
            "-display",
            "none",
            "-serial",
            "none",
            "-monitor",
            "none",
            "-qmp",
            "stdio",
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn qemu");
    {
        let stdin = child.stdin.as_mut().expect("stdin");
        let text = session_text(commands);
        let _ = stdin.write_all(text.as_bytes());
    }
    let out = child.wait_with_output().expect("qemu output");
    let replies = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("QMP").is_none() && v.get("event").is_none())
        .collect();
    (replies, String::from_utf8_lossy(&out.stderr).to_string())
}

/// A whole QMP session: negotiation, `commands`, quit; one command per line.
fn session_text(commands: &[&str]) -> String {
    let mut text = String::from("{\"execute\":\"qmp_capabilities\"}\n");
    for c in commands {
        text.push_str(c);
        text.push('\n');
    }
    text.push_str("{\"execute\":\"quit\"}\n");
    text
}

/// Our replies to the same commands.
fn our_session(commands: &[&str]) -> Vec<Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cpucompat"))
        .args(["qmp", "--arch", "ppc64", "--qemu-version", "7.2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn cpucompat");
    {
        let stdin = child.stdin.as_mut().expect("stdin");
        let text = session_text(commands);
        stdin.write_all(text.as_bytes()).expect("write");
    }
    let out = child.wait_with_output().expect("cpucompat output");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("our reply is JSON"))
        .filter(|v| v.get("QMP").is_none())
        .collect()
}

fn power_servers(v: &Value) -> Vec<Value> {
    v["return"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| {
            e["name"]
                .as_str()
                .and_then(|n| n.strip_prefix("power"))
                .and_then(|r| r.chars().next())
                .is_some_and(|c| c.is_ascii_digit())
        })
        .cloned()
        .collect()
}

#[test]
fn qmp_answers_equal_qemu_7_2() {
    if let Err(why) = qemu_7_2() {
        eprintln!("skipped: {why}");
        return;
    }
    let commands = [
        r#"{"execute":"query-cpu-definitions"}"#,
        r#"{"execute":"query-cpu-model-expansion","arguments":{"type":"full","model":{"name":"power9"}}}"#,
        r#"{"execute":"query-cpu-model-comparison","arguments":{"modela":{"name":"power9"},"modelb":{"name":"power8"}}}"#,
        r#"{"execute":"query-cpu-model-baseline","arguments":{"modela":{"name":"power9"},"modelb":{"name":"power8"}},"id":3}"#,
        r#"{"execute":"no-such-command"}"#,
    ];
    let (theirs, _) = qemu_session(&["-machine", "none", "-accel", "tcg"], &commands);
    let ours = our_session(&commands);
    assert_eq!(
        theirs.len(),
        ours.len(),
        "reply counts: {theirs:?} vs {ours:?}"
    );
    // qmp_capabilities and quit
    assert_eq!(theirs[0], ours[0]);
    assert_eq!(theirs.last(), ours.last());
    let (t, o) = (power_servers(&theirs[1]), power_servers(&ours[1]));
    assert_eq!(t.len(), 19, "QEMU 7.2 lists 19 POWER5+-and-later entries");
    assert_eq!(t, o, "query-cpu-definitions, POWER5+ and later");
    for i in 2..theirs.len() - 1 {
        assert_eq!(theirs[i], ours[i], "reply to {}", commands[i - 1]);
    }
}

#[test]
fn max_cpu_compat_matches_qemu_7_2() {
    if let Err(why) = qemu_7_2() {
        eprintln!("skipped: {why}");
        return;
    }
    let engine = cpucompat::Engine::builder(cpucompat::Arch::Ppc64)
        .qemu(cpucompat::Qemu::V7_2)
        .build()
        .expect("the 7.2 tables");
    let table = engine.ppc64().expect("a ppc64 engine").qemu();
    let mut modes: Vec<String> = table
        .compat_modes()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    modes.extend(["power11".to_string(), "power5".to_string()]);
    let mut runs = 0;
    let mut mismatches = Vec::new();
    for class in table.models() {
        for mode in &modes {
            let machine = format!("pseries,max-cpu-compat={mode}");
            let (replies, stderr) = qemu_session(
                &[
                    "-machine",
                    &machine,
                    "-cpu",
                    class.name(),
                    "-accel",
                    "tcg",
                    "-S",
                    "-m",
                    "512",
                ],
                &[],
            );
            runs += 1;
            let started = !replies.is_empty();
            let ours = table.max_cpu_compat(class.name(), mode);
            match (&ours, started) {
                (Ok(_), true) => {}
                (Err(e), false) if stderr.contains(&e.qemu_message()) => {}
                _ => mismatches.push(format!(
                    "-cpu {} max-cpu-compat={mode}: qemu started={started} stderr={:?}; ours={ours:?}",
                    class.name(),
                    stderr.lines().last().unwrap_or("")
                )),
            }
        }
    }
    eprintln!("max-cpu-compat runs: {runs}");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
