//! Differential test of the QMP protocol: each case is a byte stream fed, unchanged, to the
//! live `qemu-system-s390x` 7.2 (`-machine none -accel tcg -qmp stdio`) and to
//! `cpucompat qmp --arch s390x --qemu-version 7.2`; the two outputs must be the same lines.
//!
//! Cases: the stream (requests over several lines, several on one line, bytes between
//! values, error tokens and recovery, closers that do not match), QEMU's parser errors,
//! UTF-8 and escape rules, nesting limit, number types and echoed `id`s, capabilities
//! negotiation with `enable` and OOB (`exec-oob`), `quit` in the middle of a line,
//! unexpected arguments, and s390x CPU-model commands arriving in those shapes.
//!
//! Every case is followed by the same trailer on both sides: `\n\xff\n`, which ends any
//! value still open with an error token (so QEMU never waits), then `qmp_capabilities` and
//! `quit`.
//!
//! Comparison, line by line as text (stricter than as JSON values: key order and number
//! formats count, and a reply may hold QEMU's `inf`), with three tolerances:
//! 1. the `package` string (greeting, `query-version`) is QEMU's build string on one side
//!    and cpucompat's on the other: both are replaced by `*`;
//! 2. QEMU's events (`SHUTDOWN` after `quit`, with a timestamp) are dropped;
//! 3. cases that enable OOB and send `exec-oob` are compared as multisets, because QEMU
//!    answers `exec-oob` requests at once on its I/O thread, possibly before in-band
//!    requests read earlier.
//!
//! Skips, with a printed reason, when the binary is absent or is not QEMU 7.2.
//! Large-input limits (64 MiB per message, 2 Mi tokens) are measured once by hand (QEMU
//! reads its monitor one byte at a time: a 64 MiB case takes it about 10 minutes) and are
//! unit tests in `crates/qmp`.
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const QEMU: &str = "qemu-system-s390x";
const CAPS: &[u8] = b"{\"execute\":\"qmp_capabilities\"}\n";
const TRAILER: &[u8] = b"\n\xff\n{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n";

struct Case {
    name: String,
    input: Vec<u8>,
    unordered: bool,
}

/// A case after negotiation.
fn neg(name: &str, body: &[u8]) -> Case {
    let mut input = CAPS.to_vec();
    input.extend_from_slice(body);
    Case {
        name: name.to_string(),
        input,
        unordered: false,
    }
}

/// A case from the first byte (no negotiation first).
fn raw(name: &str, body: &[u8]) -> Case {
    Case {
        name: name.to_string(),
        input: body.to_vec(),
        unordered: false,
    }
}

fn cases() -> Vec<Case> {
    let v = br#"{"execute":"query-version"}"#;
    let mut c = vec![
        // The stream: no lines.
        neg("request over lines", b"{\"execute\":\n\"query-version\"\n,\n\"id\"\n:\n7}"),
        neg("requests on one line", b"{\"execute\":\"query-version\"}{\"execute\":\"query-version\",\"id\":1} {\"execute\":\"query-version\"}\t{\"id\":2}"),
        neg("crlf and blank lines", b"\r\n\r\n{\"execute\":\"query-version\"}\r\n  \r\n\t\n"),
        neg("junk between values", &[v.as_slice(), b" junk ", v].concat()),
        neg("scalars", b"3 4 \"str\" 'str' true false null [] {} [1,{}]\n-5 0 1.5e3 "),
        neg("stray bytes", &[b"Nonsense\n@\n%\n\x00\n\x01".as_slice(), v, b"\x0b", v, b"\x0c", v, b"\x7f\n\xff", v, b"\xfe\n\xc3\xa9\n"].concat()),
        neg("recovery stops", b"@ 1\n@\t1\n@\r1\n@,1\n@:1\n@\"1\"\n@'1'\n@[1]\n@]1 \n@{}\n@}1 \n@\x001 \n@\x1f1 \n@\x7f1 \n@\xfe1 \n@\xfd1 \n"),
        neg("closers", b"}\n]\n{\"a\":1}}\n[}\n{]\n[1}\n{\"a\":[1}]\n{\"a\" 1]\n{\"a\":1]\n[[}\n"),
        neg("number errors", b"01 \n1.}\n.5 \n+1 \n-}\n1e}\n1e+}\n-01 \n00 \n1.5.3 \n12a \n-\n0a\n[01]\n"),
        neg("keywords", b"truE \nnull1 \nnul \ntru\x01e\n[true,false,null,nonsense]\n"),
        neg("parser errors", br#"{"execute":} {"execute" "x"} [1,] {"a":1,} {,} {1:2} {null:1} {nul:1} {"a"} {"a":1 "b":2} [1 2] {{}:1} {[]:1}"#),
        neg("duplicate keys", br#"{"a":1,"a":2,"b" 3} {"a":1,"b" 3,"a":2} {"a":1,"a":} {"a":1,"a":2 3} {"execute":"query-version","id":1,"id":2} {"\u0000":1,"\u0000":2}"#),
        neg("an open value is dropped by an error", b"{\"execute\":\"query-version\",\"id\":[1,2"),
        neg("an open string is ended by a line end", b"{\"execute\":\"query-version\",\"id\":\"abc\n"),
        // Strings: UTF-8 and escapes.
        neg("invalid utf-8 in strings", b"{\"a\":\"\xc3\x28\"} {\"a\":\"\xed\xa0\x80\"} {\"a\":\"\xef\xbf\xbf\"} {\"a\":\"\xc1\xbf\"} {\"a\":\"\xe0\x80\x80\"} {\"a\":\"\xf4\x90\x80\x80\"} {\"a\":\"\xf8\x88\x80\x80\x80\"} {\"a\":\"\xef\xb7\x90\"} {\"a\":\"\x80\"} {\"a\":\"\xf0\x9f\xbf\xbe\"} {\"a\":\"\xfc\x84\x80\x80\x80\x80\"}"),
        neg("valid utf-8 in strings", b"{\"a\":\"\xc0\x80\"} {\"a\":\"\x7f\"} {\"a\":\"\xf0\x9f\x98\x80\"} {\"execute\":\"query-version\",\"id\":\"\xf4\x8f\xbf\xbd\xef\xbf\xbd\xc3\xa9\"}"),
        neg("bytes refused inside strings", b"{\"a\":\"\xff\"}\n{\"a\":\"\x01\"}\n{\"a\":\"\t\"}\n{\"a\":\"\xfe\"}\n\"\\\x01\"\n\"a\x00b\"\n"),
        neg("stray text of invalid bytes", b"\"\xc3\x28\xff\n\"\xe2\x82\xff\n\"\xe2\x82(\xff\n\"\xf0\x9f\x98\xff\n\"\xc0\x80\xff\n\"\x80\x80\xff\n\"\x7f\xff\n\"a\\\xff\n\"\xdf\xff\n"),
        neg("unicode escapes", br#"{"a":"\uffff"} {"a":"\ufffe"} {"a":"\ufdd0"} {"a":"\ufdef"} {"a":"\ud800"} {"a":"\udc00"} {"a":"\u12"} {"a":"\u12g4"} {"a":"\u"} {'a':'\u1'} {"a":"\ud83d\uzzzz"} {"a":"\ud83d\u"} {"a":"\ud83d\ud83d\ude00"} {"a":"\ud83d\u0000"} {"a":"\ud83f\udfff"} {"a":"\udbff\udfff"} {"a":"\ud83d\\"}"#),
        neg("unicode escapes with raw bytes", b"{\"a\":\"\\u123\xc3\xa9\"} {\"a\":\"\\u12\xc3\xa9\"}"),
        neg("other escapes", b"{\"a\":\"\\x\"} {\"\\x\":1} {\"a\":\"\\\x7f\"} {\"a\":\"\\\xfd\"} {\"a\":\"\\\x80\"} {\"a\":\"\\u0000\"}"),
        neg("escapes echoed", br#"{"execute":"query-version","id":"\'\/\b\f\n\r\t\"\\"} {"execute":"query-version","id":"\u00e9\u0080\u07ff\u0800\uFFFD\ufdf0\uD83D\uDe00\udbff\udffd"} {'execute':'query-version','id':'\'\"'} {"execute":"query-version","id":"%s"}"#),
        neg("single quotes", br#"{'execute':'query-version','id':'it\'s'} {'a':'b"c'} {'a':"b'c"}"#),
        // Numbers and echoed ids.
        neg("number ids", br#"{"execute":"query-version","id":[-0,-0.0,0.0,1.0,1e5,1E5,1e+5,0.1,1.5e300,1e-5,1e-4,1.25e-5,5e-324,1e16,1e17,1e21,1e400,-1e400,1e-400,123e-2,0.5,18446744073709551615,18446744073709551616,-9223372036854775808,-9223372036854775809,123456789012345678,12345678901234567890,100000000000000000000]}"#),
        neg("object ids in qdict order", br#"{"execute":"query-version","id":{"b":1,"a":2,"c":[1,{"z":0,"y":1}],"execute":3,"id":{"id":1},"\u0000":4,"\u00e9":5,"e":6}}"#),
        neg("ids on errors", br#"{"execute":"nope","id":[1,"a"]} {"execute":1,"id":5} {"id":{}} {"execute":"query-version","arguments":[],"id":null} {"execute":"query-version","foo":1,"id":true}"#),
        // Nesting.
        neg("nesting 1024", &[b"{\"execute\":\"query-version\",\"id\":".as_slice(), &[b'['; 1023], &[b']'; 1023], b"}"].concat()),
        neg("nesting 1025", &[b"{\"execute\":\"query-version\",\"id\":".as_slice(), &[b'['; 1024], b"1]]]}"].concat()),
        neg("nesting of objects", &[b"{\"execute\":\"query-version\",\"id\":".as_slice(), &b"{\"a\":".repeat(1023), b"1", &[b'}'; 1023], b"}"].concat()),
        neg("nesting beyond, then closers", &[&[b'['; 1025][..], &[b']'; 4], &[b'['; 1024], &[b'}'; 4]].concat()),
        // The envelope.
        neg("envelope", br#"[1] 3 {"execute":"query-version","foo":1} {"exec-oob":"query-version"} {"arguments":{}} {"execute":1} {"execute":"query-version","arguments":[]} {"arguments":1,"foo":2} {"foo":2,"arguments":1} {"execute":"a\u0000b"} {"execute":""} {"execute":"query-version","a\u0000":1}"#),
        neg("unknown commands", "{\"execute\":\"nosuch\"} {\"execute\":\"\u{e9}\"}".as_bytes()),
        neg("quit in the middle of a line", b"{\"execute\":\"query-version\"}{\"execute\":\"quit\",\"id\":\"q\"}{\"execute\":\"query-version\"}\n{\"execute\":\"query-version\"}\n"),
        // Negotiation.
        raw("commands before negotiation", br#"{"execute":"query-version"} {"execute":"query-cpu-definitions","id":1} junk {"execute":"qmp_capabilities","arguments":{"x":1}} {"execute":"qmp_capabilities","id":2} {"execute":"qmp_capabilities","id":3} {"execute":"query-version"}"#),
        raw("exec-oob before negotiation", br#"{"exec-oob":"qmp_capabilities"} {"exec-oob":"qmp_capabilities","arguments":{"enable":["oob"]}} {"execute":"qmp_capabilities","exec-oob":"x"}"#),
        neg("exec-oob without oob", br#"{"exec-oob":"query-version"} {"exec-oob":"query-version","id":1}"#),
        neg("capabilities after negotiation", br#"{"execute":"qmp_capabilities","arguments":{"enable":["foo"]}} {"execute":"qmp_capabilities","arguments":{"enable":["oob"]}} {"execute":"qmp_capabilities","arguments":{"enable":["oob",1]}} {"execute":"qmp_capabilities","arguments":{"enable":[],"id":1}} {"execute":"query-version","arguments":{"enable":[]}}"#),
        // Unexpected arguments: the first of GLib's hash table.
        neg("unexpected arguments", br#"{"execute":"query-cpu-definitions","arguments":{"a":1,"b":2,"c":3}} {"execute":"query-cpu-model-expansion","arguments":{"model":{"name":"z13"},"type":"static","x":1,"y":2}} {"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"z13","x":1,"y":2}}} {"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"z13"},"modelb":null,"modela":null}}"#),
        neg("null members the fast path must not take", br#"{"execute":"query-cpu-model-comparison","arguments":{"modela":{"name":"z13"},"modelb":{"name":"z14"},"type":null}} {"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"z13"},"modela":null}} {"execute":"query-cpu-model-baseline","arguments":{"modela":{"name":"z13"},"modelb":{"name":"z14"},"model":null}} {"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"z13","props":null}}} {"execute":"query-cpu-model-expansion","arguments":{"type":null,"model":{"name":"z13"}}}"#),
        // CPU-model commands in stream shapes.
        neg("model commands over lines", b"{\"execute\":\"query-cpu-model-expansion\",\n\"arguments\":{\"type\":\"full\",\n\"model\":{\"name\":\"z13\"}}}{\"execute\":\"query-cpu-model-comparison\",\"arguments\":{\"modela\":{\"name\":\"z13\"},\"modelb\":{\"name\":\"z14\"}}} {\"execute\":\"query-cpu-model-baseline\",\"arguments\":{\"modela\":{\"name\":\"z13\"},\"modelb\":{\"name\":\"z14\"}},\"id\":1e5}"),
        neg("model props of every type", br#"{"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"z14","props":{"vx":1e400}}}} {"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"z14","props":{"vx":-0.0}}}} {"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"z14","props":{"vx":true,"\u0000":1}}}} {"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"z\u0000"}}} {"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"z14","props":{"core-id":1e400}}}} {"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"z14","props":{"core-id":1.0}}}} {"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"z14","props":{"vx":true,"vx":false}}}}"#),
        neg("model commands with ids and escapes", br#"{"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"z14","props":{"vx":false}}},"id":{"b":[1,-0.0],"a":"\u00e9"}} {"execute":"query-cpu-model-comparison","arguments":{"modela":{"name":"z\u0031\u0034"},"modelb":{"name":"z13"}}} {'execute':'query-cpu-model-baseline','arguments':{'modela':{'name':'z14'},'modelb':{'name':'z13-base'}}}"#),
    ];

    // Capabilities: each a fresh session.
    for (i, args) in [
        r#"{"enable":[]}"#,
        r#"{"enable":["oob"]}"#,
        r#"{"enable":["oob","oob"]}"#,
        r#"{"enable":["foo"]}"#,
        r#"{"enable":["oob","foo"]}"#,
        r#"{"enable":["foo",1]}"#,
        r#"{"enable":[1,"foo"]}"#,
        r#"{"enable":"oob"}"#,
        r#"{"enable":null}"#,
        r#"{"enable":{}}"#,
        r#"{"enable":[[]]}"#,
        r#"{"enable":["oob"],"x":1}"#,
        r#"{"x":1,"enable":["foo"]}"#,
    ]
    .iter()
    .enumerate()
    {
        let line = format!(
            "{{\"execute\":\"qmp_capabilities\",\"arguments\":{args}}}\n{{\"execute\":\"query-version\"}}\n"
        );
        c.push(raw(&format!("capabilities {i}: {args}"), line.as_bytes()));
    }

    // OOB: answered at once by QEMU's I/O thread, so compared as multisets.
    let oob = br#"{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}
{"exec-oob":"query-version"}
{"exec-oob":"qmp_capabilities","id":3}
{"exec-oob":"nosuch"}
{"exec-oob":1}
{"exec-oob":"query-version","execute":"query-version"}
{"execute":"query-version","exec-oob":1}
{"exec-oob":"query-version","arguments":[]}
{"id":1}
{"exec-oob":"qmp_capabilities","arguments":{"x":1}}
{"exec-oob":"query-cpu-definitions","id":"d"}
{"exec-oob":"query-cpu-model-expansion","arguments":{"type":"full","model":{"name":"z13"}}}
{"execute":"query-version","id":"in-band"}
"#;
    c.push(Case {
        name: "oob".into(),
        input: oob.to_vec(),
        unordered: true,
    });
    c
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

/// Runs a program with `input` on stdin; everything it prints, or why not.
fn run(cmd: &mut Command, input: Vec<u8>) -> Result<Vec<u8>, String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    // The input stays open until the output ends: at the end of its input, QEMU with OOB
    // enabled drops requests it has read but not yet run.
    let (done, wait) = mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
        let _ = wait.recv();
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        let _ = tx.send(out);
    });
    let out = match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(out) => out,
        Err(_) => {
            let _ = done.send(());
            let _ = child.kill();
            let _ = child.wait();
            return Err("no end of output within 120 s".into());
        }
    };
    let _ = done.send(());
    let _ = writer.join();
    let _ = child.wait();
    Ok(out)
}

/// The output's lines, events dropped and `package` strings replaced by `*`.
fn lines(out: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(out);
    text.split("\r\n")
        .filter(|l| !l.is_empty() && !l.contains("\"event\": "))
        .map(|l| match l.find("\"package\": \"") {
            Some(i) => {
                let start = i + "\"package\": \"".len();
                let end = l[start..].find('"').map_or(l.len(), |n| start + n);
                format!("{}*{}", &l[..start], &l[end..])
            }
            None => l.to_string(),
        })
        .collect()
}

#[test]
fn protocol_answers_equal_qemu_7_2() {
    if let Err(why) = qemu_is_72() {
        eprintln!("skipping diff_qmp_protocol: {why}");
        return;
    }
    let cases = cases();
    let mut failures = Vec::new();
    let mut replies = 0;
    for case in &cases {
        let mut input = case.input.clone();
        input.extend_from_slice(TRAILER);
        let theirs = run(
            Command::new(QEMU).args([
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
            ]),
            input.clone(),
        );
        let ours = run(
            Command::new(env!("CARGO_BIN_EXE_cpucompat")).args([
                "qmp",
                "--arch",
                "s390x",
                "--qemu-version",
                "7.2",
            ]),
            input,
        );
        let (mut theirs, mut ours) = match (theirs, ours) {
            (Ok(t), Ok(o)) => (lines(&t), lines(&o)),
            (t, o) => {
                failures.push(format!(
                    "{}: qemu {:?}, cpucompat {:?}",
                    case.name,
                    t.err(),
                    o.err()
                ));
                continue;
            }
        };
        if case.unordered {
            theirs.sort();
            ours.sort();
        }
        replies += theirs.len();
        if theirs != ours {
            let first = theirs
                .iter()
                .zip(&ours)
                .position(|(a, b)| a != b)
                .unwrap_or(theirs.len().min(ours.len()));
            failures.push(format!(
                "{}: {} lines from qemu, {} from cpucompat; first difference at line {first}:\n qemu: {}\n ours: {}",
                case.name,
                theirs.len(),
                ours.len(),
                theirs.get(first).map_or("(none)", |s| &s[..s.len().min(400)]),
                ours.get(first).map_or("(none)", |s| &s[..s.len().min(400)]),
            ));
        }
    }
    eprintln!(
        "diff_qmp_protocol: {} cases, {} lines from qemu, {} cases differ",
        cases.len(),
        replies,
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
