//! Differential test: cpucompat's s390x QMP answers against the real `qemu-system-s390x`
//! 7.2 (`-machine none -accel tcg`), every answer equal as a JSON value.
//!
//! Queries: `query-cpu-definitions`; every ordered pair of the 76 models of 7.2 (38
//! definitions and their `-base` forms) through comparison and baseline; every model
//! (plus `qemu` and `max`) through static and full expansion; 2,400 generated queries with
//! random feature and group toggles (fixed seed), a few unknown names among them; and a
//! handful of protocol errors.
//!
//! Tolerated difference (counted, printed): a query whose props set a group and one of its
//! members at once, because QEMU applies props in its hash-table order. cpucompat applies
//! them in the same order, so in practice these agree too; should QEMU's hashing ever
//! differ, only those queries may differ.
//!
//! One long-running QEMU process answers everything over stdin/stdout (QMP); a writer
//! thread feeds it while the test reads. cpucompat answers the same byte stream through
//! the library's public API (`Engine::s390x().serve_qmp`, QEMU 7.2's tables); the names
//! the queries use come from the committed catalog data (`specs/catalog/s390x-7.2.ron`).
//! Skips, with a printed reason, when the binary is absent or is not QEMU 7.2.
mod support;

use cpucompat::{Arch, Engine, Qemu};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use support::s390x::Names;
use support::Rng;

const QEMU: &str = "qemu-system-s390x";

fn model(name: &str, props: Option<Value>) -> Value {
    match props {
        Some(p) => json!({"name": name, "props": p}),
        None => json!({"name": name}),
    }
}

/// Whether a props object sets a group and one of its members at once.
fn group_and_member(cat: &Names, props: &Value) -> bool {
    props.as_object().is_some_and(|m| cat.group_and_member(m))
}

struct Query {
    line: String,
    conflict: bool,
}

fn queries(cat: &Names) -> (Vec<Query>, [usize; 4]) {
    let names = cat.models();
    let mut q = Vec::new();
    let plain = |v: Value| Query {
        line: v.to_string(),
        conflict: false,
    };
    q.push(plain(json!({"execute": "query-cpu-definitions"})));
    let mut counts = [0usize; 4];
    for a in &names {
        for b in &names {
            for cmd in ["query-cpu-model-comparison", "query-cpu-model-baseline"] {
                q.push(plain(json!({"execute": cmd, "arguments":
                    {"modela": {"name": a}, "modelb": {"name": b}}})));
                counts[0] += 1;
            }
        }
    }
    let mut all = names.clone();
    all.push("qemu".into());
    all.push("max".into());
    for n in &all {
        for ty in ["static", "full"] {
            q.push(plain(json!({"execute": "query-cpu-model-expansion",
                "arguments": {"type": ty, "model": {"name": n}}})));
            counts[1] += 1;
        }
    }
    let mut rng = Rng(0x5339_0C0F_FEE5_2024);
    let toggles = cat.toggles();
    let pick_model = |rng: &mut Rng| -> (Value, bool) {
        let name = match rng.below(40) {
            0 => "nosuch-model".to_string(),
            1 => "qemu".to_string(),
            2 => "max".to_string(),
            _ => names[rng.below(names.len())].clone(),
        };
        if rng.below(5) == 0 {
            return (model(&name, None), false);
        }
        let mut props = serde_json::Map::new();
        for _ in 0..1 + rng.below(6) {
            let t = if rng.below(60) == 0 {
                "nosuch-prop".to_string()
            } else {
                toggles[rng.below(toggles.len())].clone()
            };
            props.insert(t, Value::Bool(rng.below(2) == 0));
        }
        let props = Value::Object(props);
        let conflict = group_and_member(cat, &props);
        (model(&name, Some(props)), conflict)
    };
    for _ in 0..2400 {
        let (line, conflict) = match rng.below(4) {
            0 | 1 => {
                let (m, c) = pick_model(&mut rng);
                let ty = if rng.below(2) == 0 { "static" } else { "full" };
                (
                    json!({"execute": "query-cpu-model-expansion",
                        "arguments": {"type": ty, "model": m}}),
                    c,
                )
            }
            k => {
                let (a, ca) = pick_model(&mut rng);
                let (b, cb) = pick_model(&mut rng);
                let cmd = if k == 2 {
                    "query-cpu-model-comparison"
                } else {
                    "query-cpu-model-baseline"
                };
                (
                    json!({"execute": cmd, "arguments": {"modela": a, "modelb": b}}),
                    ca || cb,
                )
            }
        };
        q.push(Query {
            line: line.to_string(),
            conflict,
        });
        counts[2] += 1;
    }
    for bad in [
        r#"{"execute": "nosuch"}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "bogus", "model": {"name": "z14"}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"model": {"name": "z14"}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": "z14", "props": {"vx": 1}}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": "z14", "props": []}}}"#,
        r#"{"execute": "query-cpu-model-comparison", "arguments": {"modela": {"name": "z14"}}}"#,
        r#"{"execute": "query-cpu-model-baseline", "arguments": {"modela": {"name": 1}, "modelb": {"name": "z13"}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": "z14", "x": 1}}}"#,
        r#"{"execute": "query-cpu-definitions", "id": "abc"}"#,
        r#"{"execute": "query-cpu-definitions", "arguments": {"a": 1}}"#,
        r#"{"execute": 42}"#,
        r#"{"foo": "bar"}"#,
        r#"{"id": 7}"#,
        r#"[1, 2]"#,
        r#"{"execute": "qmp_capabilities"}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": "z13", "props": {"msa9": true}}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": "z14", "props": {"vx": true, "vx": false}}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": "z14", "props": {"type": true}}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": "z14", "props": {"parent_bus": true}}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": "z14", "props": {"memory": true}}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": "z14", "props": {"start-powered-off": true, "vx": false}}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": "z14", "props": {"core-id": true}}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": "z14", "props": {"core-id": 1, "msa9": true}}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": "z14", "props": {"description": "x"}}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": "z14", "props": {"hotpluggable": false, "nosuch": true}}}}"#,
        r#"{'execute': 'query-cpu-model-comparison', 'arguments': {'modela': {'name': 'z13'}, 'modelb': {'name': 'z14', 'props': {'vx': false}}}}"#,
        r#"{"execute": "query-cpu-model-expansion", "arguments": {"type": "static", "model": {"name": 'z"1\'3'}}}"#,
        r#"{"execute": }"#,
        r#"{"a" 1}"#,
        r#"nonsense"#,
    ] {
        q.push(Query {
            line: bad.to_string(),
            conflict: false,
        });
        counts[3] += 1;
    }
    (q, counts)
}

fn qemu_is_72() -> Result<(), String> {
    let out = Command::new(QEMU)
        .arg("--version")
        .output()
        .map_err(|e| format!("{QEMU} not runnable: {e}"))?;
    let v = String::from_utf8_lossy(&out.stdout);
    if v.contains("version 7.2") {
        Ok(())
    } else {
        Err(format!(
            "{QEMU} is not QEMU 7.2: {}",
            v.lines().next().unwrap_or("")
        ))
    }
}

/// Sends every line to one QEMU process and returns its replies, in order.
fn ask_qemu(lines: &[String]) -> Vec<Value> {
    let mut child = Command::new(QEMU)
        .args([
            "-nodefaults",
            "-nographic",
            "-display",
            "none",
            "-machine",
            "none",
            "-accel",
            "tcg",
            "-serial",
            "none",
            "-monitor",
            "none",
            "-qmp",
            "stdio",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn qemu");
    let mut stdin = child.stdin.take().expect("stdin");
    let text: String = std::iter::once(r#"{"execute":"qmp_capabilities"}"#.to_string())
        .chain(lines.iter().cloned())
        .chain(std::iter::once(r#"{"execute":"quit"}"#.to_string()))
        .map(|l| l + "\n")
        .collect();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(text.as_bytes());
    });
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut replies = Vec::new();
    for line in stdout.lines() {
        let line = line.expect("read qemu");
        let v: Value = serde_json::from_str(line.trim()).expect("qemu json");
        if v.get("QMP").is_some() || v.get("event").is_some() {
            continue;
        }
        replies.push(v);
    }
    writer.join().expect("writer");
    let _ = child.wait();
    // Drop the qmp_capabilities reply and the quit reply.
    assert_eq!(replies.len(), lines.len() + 2, "one reply per command");
    replies.pop();
    replies.remove(0);
    replies
}

#[test]
fn qmp_answers_equal_qemu_7_2() {
    if let Err(why) = qemu_is_72() {
        eprintln!("skipping diff_qemu_s390x: {why}");
        return;
    }
    let engine = Engine::builder(Arch::S390x)
        .qemu(Qemu::V7_2)
        .build()
        .expect("the 7.2 tables");
    let cat = Names::load("7.2", &engine);
    let (qs, counts) = queries(&cat);
    let lines: Vec<String> = qs.iter().map(|q| q.line.clone()).collect();
    let t = std::time::Instant::now();
    let theirs = ask_qemu(&lines);
    let qemu_time = t.elapsed();
    let t = std::time::Instant::now();
    let ours = support::serve_qmp(&engine, &lines);
    let our_time = t.elapsed();
    let mut tolerated = 0;
    let mut failures = Vec::new();
    let mut conflicts = 0;
    for ((q, a), b) in qs.iter().zip(&ours).zip(&theirs) {
        if q.conflict {
            conflicts += 1;
        }
        if a == b {
            continue;
        }
        if q.conflict {
            tolerated += 1;
            continue;
        }
        if failures.len() < 5 {
            failures.push(format!("query: {}\n ours: {a}\nqemu: {b}", q.line));
        } else {
            failures.push(String::new());
        }
    }
    eprintln!(
        "diff_qemu_s390x: {} queries ({} pairwise, {} expansions, {} random, {} protocol); \
         {} set a group and a member ({} of them differed, tolerated); \
         qemu {:?}, cpucompat {:?}",
        qs.len(),
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        conflicts,
        tolerated,
        qemu_time,
        our_time
    );
    assert!(
        failures.is_empty(),
        "{} answers differ from QEMU 7.2:\n{}",
        failures.len(),
        failures
            .iter()
            .filter(|f| !f.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
