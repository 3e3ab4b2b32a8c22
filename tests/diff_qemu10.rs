//! Differential tests against QEMU 10.0 (`/opt/qemu-10.0/usr/bin`, Debian's
//! 10.0.2 backport): cpucompat's **newest** tables answer as QEMU 10.0 does.
//!
//! * s390x: one `qemu-system-s390x -machine none -accel tcg` session against the
//!   library's monitor over the newest table (`Engine::builder(Arch::S390x)` with
//!   `Qemu::Newest`, `Engine::s390x().serve_qmp`; names from `specs/catalog/s390x.ron`), every reply
//!   equal as a JSON value: `query-cpu-definitions`; comparison and baseline of every
//!   ordered pair of the 80 models (40 definitions and their `-base` forms); static and
//!   full expansion of every model plus `qemu` and `max`; 2,400 seeded random queries
//!   (feature and group toggles, a few unknown names).
//! * ppc64: `query-cpu-definitions` of `qemu-system-ppc64 -machine none` against the
//!   binary's `cpucompat qmp --arch ppc64` (newest table), on the POWER5+-and-later entries
//!   (names `power<digit>...`).
//!
//! Documented differences (counted and printed, everything else must be equal):
//! * `deprecated-props`: QEMU 10.0 adds `"deprecated-props": []` to an expansion or
//!   baseline reply even when no enabled feature is deprecated; the newest QEMU (and the
//!   newest table) leave the key out then. Only an *empty* list is tolerated.
//! * a query whose props set a group and one of its members at once: applied in QEMU's
//!   hash order, as QEMU does (as in `diff_qemu_s390x.rs`; in practice these agree too).
//! * `query-cpu-definitions` order (s390x and ppc64): QEMU lists CPU classes in the order
//!   of its QOM type hash table (`object_class_get_list`), which depends on every type
//!   registered in that binary; the set changes between releases, so the newest tables'
//!   order (QEMU 10.2's) is not 10.0's. The entries themselves (every field) must be
//!   equal; the order is compared and its difference printed, not asserted. (ppc64's alias
//!   entries come first in the reverse of QEMU's alias table, in every release, and are
//!   equal in order too.)
//!
//! Each test skips, printing why, when its binary is missing or is not QEMU 10.0.
mod support;

use cpucompat::{Arch, Engine, Qemu};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use support::s390x::Names;
use support::Rng;

const S390X: &str = "/opt/qemu-10.0/usr/bin/qemu-system-s390x";
const PPC64: &str = "/opt/qemu-10.0/usr/bin/qemu-system-ppc64";

fn is_10_0(binary: &str) -> Result<(), String> {
    let out = Command::new(binary)
        .arg("--version")
        .output()
        .map_err(|e| format!("{binary} not runnable: {e}"))?;
    let v = String::from_utf8_lossy(&out.stdout);
    if v.contains("version 10.0") {
        Ok(())
    } else {
        Err(format!(
            "{binary} is not QEMU 10.0: {}",
            v.lines().next().unwrap_or("")
        ))
    }
}

/// One QMP session with `binary -machine none -accel tcg`: the replies to `lines`, in
/// order (greeting, events, negotiation and quit dropped).
fn ask_qemu(binary: &str, lines: &[String]) -> Vec<Value> {
    let mut child = Command::new(binary)
        .args(["-nodefaults", "-nographic", "-display", "none"])
        .args(["-machine", "none", "-accel", "tcg"])
        .args(["-serial", "none", "-monitor", "none", "-qmp", "stdio"])
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
    let mut replies = Vec::new();
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let v: Value = serde_json::from_str(line.expect("read qemu").trim()).expect("qemu json");
        if v.get("QMP").is_none() && v.get("event").is_none() {
            replies.push(v);
        }
    }
    writer.join().expect("writer");
    let _ = child.wait();
    assert_eq!(replies.len(), lines.len() + 2, "one reply per command");
    replies.pop();
    replies.remove(0);
    replies
}

struct Query {
    line: String,
    conflict: bool,
}

fn s390x_queries(cat: &Names) -> (Vec<Query>, [usize; 3]) {
    let names = cat.models();
    let plain = |v: Value| Query {
        line: v.to_string(),
        conflict: false,
    };
    let mut q = vec![plain(json!({"execute": "query-cpu-definitions"}))];
    let mut counts = [0usize; 3];
    for a in &names {
        for b in &names {
            for cmd in ["query-cpu-model-comparison", "query-cpu-model-baseline"] {
                q.push(plain(json!({"execute": cmd, "arguments":
                    {"modela": {"name": a}, "modelb": {"name": b}}})));
                counts[0] += 1;
            }
        }
    }
    for n in names.iter().map(String::as_str).chain(["qemu", "max"]) {
        for ty in ["static", "full"] {
            q.push(plain(json!({"execute": "query-cpu-model-expansion",
                "arguments": {"type": ty, "model": {"name": n}}})));
            counts[1] += 1;
        }
    }
    let toggles = cat.toggles();
    let conflict = |props: &serde_json::Map<String, Value>| cat.group_and_member(props);
    let mut rng = Rng(0x0010_0000_5339_0C0F);
    let model = |rng: &mut Rng| -> (Value, bool) {
        let name = match rng.below(40) {
            0 => "nosuch-model".to_string(),
            1 => "qemu".to_string(),
            2 => "max".to_string(),
            _ => names[rng.below(names.len())].clone(),
        };
        if rng.below(5) == 0 {
            return (json!({"name": name}), false);
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
        let c = conflict(&props);
        (json!({"name": name, "props": props}), c)
    };
    for _ in 0..2400 {
        let (v, c) = match rng.below(4) {
            0 | 1 => {
                let (m, c) = model(&mut rng);
                let ty = if rng.below(2) == 0 { "static" } else { "full" };
                (
                    json!({"execute": "query-cpu-model-expansion",
                        "arguments": {"type": ty, "model": m}}),
                    c,
                )
            }
            k => {
                let (a, ca) = model(&mut rng);
                let (b, cb) = model(&mut rng);
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
            line: v.to_string(),
            conflict: c,
        });
        counts[2] += 1;
    }
    (q, counts)
}

/// QEMU 10.0's reply without an empty `deprecated-props` list; whether one was removed.
fn without_empty_deprecated(v: &Value) -> (Value, bool) {
    let mut v = v.clone();
    let removed = match v.get_mut("return").and_then(Value::as_object_mut) {
        Some(r) if r.get("deprecated-props") == Some(&json!([])) => {
            r.remove("deprecated-props");
            true
        }
        _ => false,
    };
    (v, removed)
}

#[test]
fn s390x_newest_table_answers_as_qemu_10_0() {
    if let Err(why) = is_10_0(S390X) {
        eprintln!("skipped: {why}");
        return;
    }
    let engine = Engine::builder(Arch::S390x)
        .qemu(Qemu::Newest)
        .build()
        .expect("the newest tables");
    let cat = Names::load("newest", &engine);
    let (qs, counts) = s390x_queries(&cat);
    let lines: Vec<String> = qs.iter().map(|q| q.line.clone()).collect();
    let t = std::time::Instant::now();
    let theirs = ask_qemu(S390X, &lines);
    let qemu_time = t.elapsed();
    let ours = support::serve_qmp(&engine, &lines);
    let (mut empty_deprecated, mut conflicts, mut tolerated) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut definitions_order = "equal";
    for ((q, a), b) in qs.iter().zip(&ours).zip(&theirs) {
        if q.line.contains("query-cpu-definitions") && a != b {
            // Same entries, QEMU's type hash-table order (see the module docs).
            let sorted = |v: &Value| {
                let mut l = v["return"].as_array().cloned().unwrap_or_default();
                l.sort_by_key(|e| e["name"].as_str().unwrap_or_default().to_string());
                l
            };
            if sorted(a) == sorted(b) {
                definitions_order = "differs (type hash-table order), entries equal";
                continue;
            }
        }
        let (b, removed) = without_empty_deprecated(b);
        if removed {
            empty_deprecated += 1;
        }
        if q.conflict {
            conflicts += 1;
        }
        if *a == b {
            continue;
        }
        if q.conflict {
            tolerated += 1;
            continue;
        }
        failures.push(format!("query: {}\n ours: {a}\nqemu: {b}", q.line));
    }
    eprintln!(
        "diff_qemu10 s390x: {} queries ({} pairwise, {} expansions, {} random); {} replies \
         carried an empty deprecated-props list (QEMU 10.0 only, tolerated); {} set a group \
         and a member ({} of them differed, tolerated); query-cpu-definitions order {}; {} \
         different; qemu {:?}",
        qs.len(),
        counts[0],
        counts[1],
        counts[2],
        empty_deprecated,
        conflicts,
        tolerated,
        definitions_order,
        failures.len(),
        qemu_time
    );
    assert!(
        failures.is_empty(),
        "{} answers differ from QEMU 10.0:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
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
fn ppc64_newest_table_lists_what_qemu_10_0_lists() {
    if let Err(why) = is_10_0(PPC64) {
        eprintln!("skipped: {why}");
        return;
    }
    let theirs = ask_qemu(
        PPC64,
        &[r#"{"execute":"query-cpu-definitions"}"#.to_string()],
    );
    let theirs = power_servers(&theirs[0]);
    let run = support::cpucompat(
        None,
        &["qmp", "--arch", "ppc64"],
        Some("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-cpu-definitions\"}\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let reply: Value = run
        .stdout
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .nth(2)
        .map(|l| serde_json::from_str(l).expect("our reply is JSON"))
        .expect("a reply to query-cpu-definitions");
    let ours = power_servers(&reply);
    let key = |v: &Value| v["name"].as_str().unwrap_or_default().to_string();
    let mut sorted_theirs = theirs.clone();
    sorted_theirs.sort_by_key(key);
    let mut sorted_ours = ours.clone();
    sorted_ours.sort_by_key(key);
    assert_eq!(
        sorted_ours, sorted_theirs,
        "the POWER5+-and-later entries (order aside)"
    );
    let names = |v: &[Value]| v.iter().map(key).collect::<Vec<_>>();
    eprintln!(
        "diff_qemu10 ppc64: {} POWER5+-and-later entries equal; order {}",
        ours.len(),
        if theirs == ours {
            "equal too".to_string()
        } else {
            format!(
                "differs (type hash-table order):\n  qemu 10.0: {:?}\n  newest:    {:?}",
                names(&theirs),
                names(&ours)
            )
        }
    );
}
