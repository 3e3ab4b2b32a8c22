//! Unit tests of the protocol: the stream, envelope errors word for word, negotiation,
//! capabilities and OOB, `id` echoing. Every expected reply is QEMU 7.2's.
use super::*;
use crate::fuzzing::Echo;

const CAPS: &str = r#"{"execute":"qmp_capabilities"}"#;

fn serve_bytes(input: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    serve(&mut Session::new(Echo), input, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.ends_with("\r\n"));
    text.split_terminator("\r\n").map(str::to_string).collect()
}

/// The replies after the greeting and the negotiation.
fn after_caps(input: &[u8]) -> Vec<String> {
    let mut s = Session::new(Echo);
    assert_eq!(s.replies(CAPS.as_bytes()), [r#"{"return": {}}"#]);
    s.replies(input)
}

fn generic(desc: &str) -> String {
    format!(r#"{{"error": {{"class": "GenericError", "desc": "{desc}"}}}}"#)
}

fn version(id: Option<&str>) -> String {
    let v = r#"{"return": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "fuzz"}"#;
    match id {
        Some(id) => format!(r#"{v}, "id": {id}}}"#),
        None => format!("{v}}}"),
    }
}

#[test]
fn greeting_has_qemus_shape() {
    assert_eq!(
        Session::new(Echo).greeting(),
        r#"{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "fuzz"}, "capabilities": ["oob"]}}"#
    );
}

#[test]
fn requests_are_read_from_a_stream_not_lines() {
    let out = serve_bytes(
        b"{\"execute\":\n\"qmp_capabilities\"\n}{\"execute\":\"query-version\"} {\"execute\":\"query-version\", \"id\": 1}\n",
    );
    assert_eq!(
        out[1..],
        [
            r#"{"return": {}}"#.to_string(),
            version(None),
            version(Some("1"))
        ]
    );
}

#[test]
fn bytes_between_values_get_qemus_errors() {
    let v = r#"{"execute":"query-version"}"#;
    let cases: [(String, Vec<String>); 8] = [
        (
            format!("{v} junk {v}"),
            vec![
                version(None),
                generic("JSON parse error, invalid keyword 'junk'"),
                version(None),
            ],
        ),
        (
            "3 4\n".into(),
            vec![generic("QMP input must be a JSON object"); 2],
        ),
        (
            "Nonsense\n".into(),
            vec![generic("JSON parse error, stray 'N'")],
        ),
        (
            "{\"a\":@}".into(),
            vec![
                generic("JSON parse error, stray '@'"),
                generic("JSON parse error, expecting value"),
            ],
        ),
        (
            "{\"a\":1}}".into(),
            vec![
                generic("QMP input member 'a' is unexpected"),
                generic("JSON parse error, expecting value"),
            ],
        ),
        (
            format!("\x0b{v}"),
            vec![generic("JSON parse error, stray '\\u000B'"), version(None)],
        ),
        (
            format!("\x0c{v}"),
            vec![generic("JSON parse error, stray '\\f'"), version(None)],
        ),
        (
            "@,1\n".into(),
            vec![
                generic("JSON parse error, stray '@'"),
                generic("JSON parse error, expecting value"),
                generic("QMP input must be a JSON object"),
            ],
        ),
    ];
    for (input, want) in cases {
        assert_eq!(after_caps(input.as_bytes()), want, "{input:?}");
    }
    assert_eq!(
        after_caps(b"\xff{\"execute\":\"query-version\"}"),
        [generic("JSON parse error, stray '\\uFFFD'"), version(None)]
    );
    assert_eq!(
        after_caps(b"{\"a\":\"\xff\"}"),
        [
            generic("JSON parse error, stray '\\\"\\uFFFD'"),
            generic("JSON parse error, expecting value")
        ]
    );
    assert_eq!(after_caps(b"\x00"), [generic("JSON parse error, stray ''")]);
}

#[test]
fn strings_and_escapes_get_qemus_errors() {
    let cases: [(&[u8], &str); 7] = [
        (
            b"{\"a\":\"\\uffff\"}",
            "JSON parse error, \\\\uffff is not a valid Unicode character",
        ),
        (
            b"{\"a\":\"\\u12\"}",
            "JSON parse error, \\\\u12\\\" is not a valid Unicode character",
        ),
        (
            b"{\"a\":\"\\x\"}",
            "JSON parse error, invalid escape sequence in string",
        ),
        (
            b"{\"a\":\"\xc3\x28\"}",
            "JSON parse error, invalid UTF-8 sequence in string",
        ),
        (
            b"{\"a\":\"\xef\xbf\xbf\"}",
            "JSON parse error, invalid UTF-8 sequence in string",
        ),
        (b"{\"a\":\"\t\"}", "JSON parse error, stray '\\\"\\t'"),
        (
            b"{\"a\":\"\xc0\x80\"}",
            "QMP input member 'a' is unexpected",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(
            after_caps(input)[0],
            generic(want),
            "{}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn limits_are_qemus() {
    let mut deep = b"{\"execute\":\"query-version\",\"id\":".to_vec();
    deep.extend(vec![b'['; 1023]);
    deep.extend(vec![b']'; 1023]);
    deep.push(b'}');
    let out = after_caps(&deep);
    assert_eq!(out.len(), 1);
    assert!(out[0].ends_with("]]]}"), "{}", &out[0][..80]);

    let mut deeper = b"{\"execute\":\"query-version\",\"id\":".to_vec();
    deeper.extend(vec![b'['; 1024]);
    deeper.extend(b"1]]]}");
    let out = after_caps(&deeper);
    let mut want = vec![generic("JSON nesting depth limit exceeded")];
    want.push(generic("QMP input must be a JSON object"));
    want.extend(vec![generic("JSON parse error, expecting value"); 4]);
    assert_eq!(out, want);
}

#[test]
fn token_count_limit_is_qemus() {
    // 7 + 1 + 2n + 3 tokens: with n = 1048570, 2 Mi - 1 tokens; 20 more are too many, and
    // QEMU refuses token 2 Mi + 1 (a "1"), then reads the 18 after it as new messages.
    let body = |n: usize| {
        let mut v = b"{\"execute\":\"query-version\",\"id\":[".to_vec();
        v.extend(b"1,".repeat(n));
        v.extend(b"1]}");
        v
    };
    let out = after_caps(&body(1048570));
    assert_eq!(out.len(), 1);
    assert!(out[0].starts_with(r#"{"return": "#));
    let out = after_caps(&body(1048580));
    let mut want = vec![generic("JSON token count limit exceeded")];
    for _ in 0..8 {
        want.push(generic("JSON parse error, expecting value"));
        want.push(generic("QMP input must be a JSON object"));
    }
    want.extend(vec![generic("JSON parse error, expecting value"); 2]);
    assert_eq!(out, want);
}

#[test]
fn token_size_limit_is_qemus() {
    // 32 bytes of tokens, a string of len + 2, and "}": QEMU refuses the token that brings
    // the message to 64 MiB.
    let body = |len: usize| {
        let mut v = b"{\"execute\":\"query-version\",\"id\":\"".to_vec();
        v.extend(vec![b'a'; len]);
        v.extend(b"\"}");
        v
    };
    let fits = MAX_TOKEN_SIZE - 36;
    let out = after_caps(&body(fits));
    assert_eq!(out.len(), 1);
    assert!(out[0].starts_with(r#"{"return": "#));
    let size = generic("JSON token size limit exceeded");
    assert_eq!(after_caps(&body(fits + 1)), std::slice::from_ref(&size));
    let expecting = generic("JSON parse error, expecting value");
    assert_eq!(after_caps(&body(fits + 2)), [size, expecting]);
}

#[test]
fn a_token_beyond_the_size_limit_is_cut_and_lexing_starts_afresh() {
    let mut input = b"\"".to_vec();
    input.extend(vec![b'a'; MAX_TOKEN_SIZE + 5]);
    input.extend(b"\"\n{\"execute\":\"query-version\"}");
    assert_eq!(
        after_caps(&input),
        [
            generic("JSON token size limit exceeded"),
            generic("JSON parse error, invalid keyword 'aaaaa'"),
            generic("JSON parse error, stray '\\\"\\n'"),
            version(None),
        ]
    );
}

#[test]
fn echoed_ids_are_written_back_as_qemu_writes_them() {
    let cases = [
        ("-0", "0"),
        ("-0.0", "-0"),
        ("1e5", "100000"),
        ("0.1", "0.10000000000000001"),
        ("1e400", "inf"),
        ("18446744073709551616", "1.8446744073709552e+19"),
        (
            r#"{"b":1,"a":2,"c":[1,{"z":0,"y":1}]}"#,
            r#"{"a": 2, "b": 1, "c": [1, {"y": 1, "z": 0}]}"#,
        ),
        (
            r#""\u00e9\ud83d\ude00\u0000\/""#,
            r#""\u00E9\uD83D\uDE00\u0000/""#,
        ),
        (
            r#"{"\u0000":1,"a":2,"b":3,"c":4}"#,
            r#"{"\u0000": 1, "a": 2, "b": 3, "c": 4}"#,
        ),
    ];
    for (id, want) in cases {
        let out = after_caps(format!(r#"{{"execute":"query-version","id":{id}}}"#).as_bytes());
        assert_eq!(out, [version(Some(want))], "{id}");
    }
}

#[test]
fn envelope_errors_are_qemus_word_for_word() {
    let cases = [
        ("[1]", generic("QMP input must be a JSON object")),
        ("3\n", generic("QMP input must be a JSON object")),
        (r#"{"execute":"echo","foo":1}"#, generic("QMP input member 'foo' is unexpected")),
        (r#"{"exec-oob":"echo"}"#, generic("QMP input member 'exec-oob' is unexpected")),
        (r#"{"arguments":{}}"#, generic("QMP input lacks member 'execute'")),
        (r#"{"execute":1}"#, generic("QMP input member 'execute' must be a string")),
        (r#"{"execute":"echo","arguments":[]}"#, generic("QMP input member 'arguments' must be an object")),
        (r#"{"arguments":1,"foo":2}"#, generic("QMP input member 'arguments' must be an object")),
        (r#"{"execute":"echo","execute":"echo"}"#, generic("JSON parse error, duplicate key")),
        (r#"{"execute" "echo"}"#, generic("JSON parse error, missing : in object pair")),
        (r#"{"execute":nonsense}"#, generic("JSON parse error, invalid keyword 'nonsense'")),
        (r#"{"execute":}"#, generic("JSON parse error, expecting value")),
        (r#"{"execute":"echo"}"#, generic("Parameter 'text' is missing")),
        (r#"{"execute":"echo","arguments":{"text":1}}"#, generic("Invalid parameter type for 'text', expected: string")),
        (r#"{"execute":"echo","arguments":{"text":"a","b":2}}"#, generic("Parameter 'b' is unexpected")),
        (r#"{'execute':'echo','arguments':{'text':'it\'s'}}"#, r#"{"return": "it's"}"#.to_string()),
        (r#"{"execute":"nope","id":[1, "a"]}"#, r#"{"id": [1, "a"], "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}"#.to_string()),
        (r#"{"execute":"a\u0000b"}"#, r#"{"error": {"class": "CommandNotFound", "desc": "The command a\u0000b has not been found"}}"#.to_string()),
        (r#"{"execute":1,"id":5}"#, r#"{"id": 5, "error": {"class": "GenericError", "desc": "QMP input member 'execute' must be a string"}}"#.to_string()),
    ];
    for (line, want) in cases {
        assert_eq!(after_caps(line.as_bytes()), [want], "{line}");
    }
}

#[test]
fn negotiation_comes_first_and_once() {
    let mut s = Session::new(Echo);
    let not_yet = r#"{"error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}"#;
    assert_eq!(
        s.line(r#"{"execute":"echo","arguments":{"text":"a"}}"#)
            .unwrap(),
        not_yet
    );
    assert_eq!(s.line(r#"{"execute":"query-version"}"#).unwrap(), not_yet);
    assert_eq!(
        s.line(r#"{"execute":"qmp_capabilities","arguments":{"x":1}}"#)
            .unwrap(),
        generic("Parameter 'x' is unexpected")
    );
    assert_eq!(
        s.line(r#"{"execute":"qmp_capabilities","id":1}"#).unwrap(),
        r#"{"return": {}, "id": 1}"#
    );
    assert!(!s.oob_enabled());
    assert_eq!(
        s.line(r#"{"execute":"qmp_capabilities","id":7}"#).unwrap(),
        r#"{"id": 7, "error": {"class": "CommandNotFound", "desc": "Capabilities negotiation is already complete, command ignored"}}"#
    );
    assert_eq!(
        s.line(r#"{"execute":"qmp_capabilities","arguments":{"enable":["foo"]}}"#)
            .unwrap(),
        generic("Parameter 'null' does not accept value 'foo'")
    );
    assert_eq!(
        s.line(r#"{"execute":"query-version"}"#).unwrap(),
        version(None)
    );
    assert!(!s.has_quit());
}

#[test]
fn capabilities_are_qemus() {
    let refused = [
        (
            r#"{"enable":["foo"]}"#,
            "Parameter 'null' does not accept value 'foo'",
        ),
        (
            r#"{"enable":["oob","foo"]}"#,
            "Parameter 'null' does not accept value 'foo'",
        ),
        (
            r#"{"enable":["foo",1]}"#,
            "Parameter 'null' does not accept value 'foo'",
        ),
        (
            r#"{"enable":[1,"foo"]}"#,
            "Invalid parameter type for 'enable[0]', expected: string",
        ),
        (
            r#"{"enable":["oob",[]]}"#,
            "Invalid parameter type for 'enable[1]', expected: string",
        ),
        (
            r#"{"enable":"oob"}"#,
            "Invalid parameter type for 'enable', expected: array",
        ),
        (
            r#"{"enable":null}"#,
            "Invalid parameter type for 'enable', expected: array",
        ),
        (
            r#"{"x":1,"enable":["foo"]}"#,
            "Parameter 'null' does not accept value 'foo'",
        ),
        (r#"{"enable":["oob"],"x":1}"#, "Parameter 'x' is unexpected"),
    ];
    for (args, want) in refused {
        let mut s = Session::new(Echo);
        let line = format!(r#"{{"execute":"qmp_capabilities","arguments":{args}}}"#);
        assert_eq!(s.line(&line).unwrap(), generic(want), "{args}");
        // Still not negotiated.
        assert!(s
            .line(r#"{"execute":"query-version"}"#)
            .unwrap()
            .contains("Expecting capabilities"));
    }
    for (args, oob) in [
        ("[]", false),
        (r#"["oob"]"#, true),
        (r#"["oob","oob"]"#, true),
    ] {
        let mut s = Session::new(Echo);
        let line = format!(r#"{{"execute":"qmp_capabilities","arguments":{{"enable":{args}}}}}"#);
        assert_eq!(s.line(&line).unwrap(), r#"{"return": {}}"#);
        assert_eq!(s.oob_enabled(), oob, "{args}");
        assert_eq!(
            s.line(r#"{"execute":"query-version"}"#).unwrap(),
            version(None)
        );
    }
}

#[test]
fn exec_oob_is_checked_as_qemu_checks_it() {
    let mut s = Session::new(Echo);
    s.line(r#"{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}"#);
    let cases = [
        (r#"{"exec-oob":"query-version"}"#, generic("The command query-version does not support OOB")),
        (r#"{"exec-oob":"echo","id":3}"#, r#"{"id": 3, "error": {"class": "GenericError", "desc": "The command echo does not support OOB"}}"#.to_string()),
        (r#"{"exec-oob":"qmp_capabilities","arguments":{"x":1}}"#, generic("The command qmp_capabilities does not support OOB")),
        (r#"{"exec-oob":"nosuch"}"#, r#"{"error": {"class": "CommandNotFound", "desc": "The command nosuch has not been found"}}"#.to_string()),
        (r#"{"exec-oob":1}"#, generic("QMP input member 'exec-oob' must be a string")),
        (r#"{"exec-oob":"query-version","execute":"query-version"}"#, generic("QMP input member 'execute' clashes with 'exec-oob'")),
        (r#"{"exec-oob":"query-version","arguments":[]}"#, generic("QMP input member 'arguments' must be an object")),
        (r#"{"id":1}"#, r#"{"id": 1, "error": {"class": "GenericError", "desc": "QMP input lacks member 'execute'"}}"#.to_string()),
    ];
    for (line, want) in cases {
        assert_eq!(s.line(line).unwrap(), want, "{line}");
    }
}

#[test]
fn quit_ends_the_session_mid_chunk() {
    let out = serve_bytes(
        format!("{CAPS}\n{{\"execute\":\"quit\",\"id\":\"q\"}}{{\"execute\":\"echo\"}}\n")
            .as_bytes(),
    );
    assert_eq!(
        out[1..],
        [r#"{"return": {}}"#, r#"{"return": {}, "id": "q"}"#]
    );
}

#[test]
fn an_open_request_at_the_end_gets_no_reply() {
    let out = serve_bytes(format!("{CAPS}\n{{\"execute\":\"echo\",").as_bytes());
    assert_eq!(out.len(), 2);
    let out = serve_bytes(format!("{CAPS}\n\n  \r\n\t\n").as_bytes());
    assert_eq!(out.len(), 2);
}

#[test]
fn the_fast_path_sees_whole_ascii_requests_only() {
    struct Fast(Vec<String>);
    impl Monitor for Fast {
        fn version(&self) -> (u32, u32, u32) {
            (7, 2, 22)
        }
        fn package(&self) -> String {
            String::new()
        }
        fn has_command(&self, _: &str) -> bool {
            false
        }
        fn execute(&mut self, command: &str, _: &Args<'_>) -> Result<Reply, QmpError> {
            Err(QmpError::not_found(command))
        }
        fn fast(&mut self, request: &str) -> Option<Result<Reply, QmpError>> {
            self.0.push(request.to_string());
            None
        }
    }
    let mut s = Session::new(Fast(Vec::new()));
    s.replies(b"{\"execute\":\"x\"}");
    let plain = "{\"a\":\n [true, {\"b\": \"c d\"}]}";
    let other = "{\"a\": 1} {'a': x} {\"\\u0041\": x} {\"\u{e9}\": x} [\"\t\"] \"a\" true ";
    let replies = s.replies(format!("{CAPS}{plain}{other}").as_bytes());
    assert_eq!(replies.len(), 1 + 1 + 8);
    s.replies(b"{\"x\":");
    s.replies(b"y}");
    assert_eq!(s.monitor().0, [plain]);
}
