//! Unit tests of the protocol: framing, envelope errors word for word, negotiation.
use super::*;

/// A monitor with one command, `echo`, which returns its required string `text`.
struct Echo;

impl Monitor for Echo {
    fn version(&self) -> (u32, u32, u32) {
        (7, 2, 0)
    }
    fn package(&self) -> String {
        "test".into()
    }
    fn execute(&mut self, command: &str, args: &Args<'_>) -> Result<Reply, QmpError> {
        match command {
            "echo" => {
                let t = args.required_str("text")?;
                args.finish()?;
                Ok(Reply::value(&Value::String(t.into())))
            }
            other => Err(QmpError::not_found(other)),
        }
    }
}

const CAPS: &str = r#"{"execute":"qmp_capabilities"}"#;

fn serve_bytes(input: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    serve(&mut Session::new(Echo), input, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.ends_with("\r\n"));
    text.split_terminator("\r\n").map(str::to_string).collect()
}

fn generic(desc: &str) -> String {
    format!(r#"{{"error": {{"class": "GenericError", "desc": "{desc}"}}}}"#)
}

#[test]
fn greeting_has_qemus_shape() {
    assert_eq!(
        Session::new(Echo).greeting(),
        r#"{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "test"}, "capabilities": ["oob"]}}"#
    );
}

#[test]
fn non_utf8_line_gets_an_error_and_the_session_goes_on() {
    let mut input = format!("{CAPS}\n").into_bytes();
    input.extend_from_slice(b"{\"execute\":\xff}\n");
    input.extend_from_slice(b"{\"execute\":\"echo\",\"arguments\":{\"text\":\"a\xfe\"}}\n");
    input.extend_from_slice(b"{\"execute\":\"echo\",\"arguments\":{\"text\":\"ok\"}}\n");
    let out = serve_bytes(&input);
    assert_eq!(out.len(), 5);
    assert_eq!(out[2], generic("JSON parse error, expecting value"));
    assert_eq!(out[3], r#"{"return": "a\uFFFD"}"#);
    assert_eq!(out[4], r#"{"return": "ok"}"#);
}

#[test]
fn overlong_line_gets_an_error_and_the_session_goes_on() {
    let mut input = format!("{CAPS}\n").into_bytes();
    input.extend(std::iter::repeat_n(b' ', MAX_LINE + 10));
    input.extend_from_slice(b"\n{\"execute\":\"echo\",\"arguments\":{\"text\":\"x\"}}\n");
    let out = serve_bytes(&input);
    assert_eq!(out.len(), 4);
    assert_eq!(out[2], generic("JSON token size limit exceeded"));
    assert_eq!(out[3], r#"{"return": "x"}"#);
}

#[test]
fn a_line_of_max_length_is_read() {
    let mut input = format!("{CAPS}\n").into_bytes();
    let cmd = br#"{"execute":"echo","arguments":{"text":"y"}}"#;
    input.extend(std::iter::repeat_n(b' ', MAX_LINE - cmd.len()));
    input.extend_from_slice(cmd);
    input.push(b'\n');
    assert_eq!(serve_bytes(&input)[2], r#"{"return": "y"}"#);
}

#[test]
fn blank_lines_get_no_reply_and_crlf_is_a_line_end() {
    let out = serve_bytes(
        format!("\n  \r\n{CAPS}\r\n\t\n{{\"execute\":\"echo\",\"arguments\":{{\"text\":\"z\"}}}}")
            .as_bytes(),
    );
    assert_eq!(out[1..], [r#"{"return": {}}"#, r#"{"return": "z"}"#]);
}

#[test]
fn quit_ends_the_session() {
    let out = serve_bytes(
        format!("{CAPS}\n{{\"execute\":\"quit\",\"id\":\"q\"}}\n{{\"execute\":\"echo\"}}\n")
            .as_bytes(),
    );
    assert_eq!(
        out[1..],
        [r#"{"return": {}}"#, r#"{"return": {}, "id": "q"}"#]
    );
}

#[test]
fn envelope_errors_are_qemus_word_for_word() {
    let mut s = Session::new(Echo);
    s.line(CAPS);
    let cases = [
        ("[1]", generic("QMP input must be a JSON object")),
        ("3", generic("QMP input must be a JSON object")),
        (r#"{"execute":"echo","foo":1}"#, generic("QMP input member 'foo' is unexpected")),
        (r#"{"exec-oob":"echo"}"#, generic("QMP input member 'exec-oob' is unexpected")),
        (r#"{"arguments":{}}"#, generic("QMP input lacks member 'execute'")),
        (r#"{"execute":1}"#, generic("QMP input member 'execute' must be a string")),
        (r#"{"execute":"echo","arguments":[]}"#, generic("QMP input member 'arguments' must be an object")),
        (r#"{"execute":"echo","execute":"echo"}"#, generic("JSON parse error, duplicate key")),
        (r#"{"execute" "echo"}"#, generic("JSON parse error, missing : in object pair")),
        (r#"{"execute":nonsense}"#, generic("JSON parse error, invalid keyword 'nonsense'")),
        (r#"{"execute":}"#, generic("JSON parse error, expecting value")),
        (r#"{"execute":"echo"}"#, generic("Parameter 'text' is missing")),
        (r#"{"execute":"echo","arguments":{"text":1}}"#, generic("Invalid parameter type for 'text', expected: string")),
        (r#"{"execute":"echo","arguments":{"text":"a","b":2}}"#, generic("Parameter 'b' is unexpected")),
        (r#"{'execute':'echo','arguments':{'text':'it\'s'}}"#, r#"{"return": "it's"}"#.to_string()),
        (r#"{"execute":"nope","id":[1, "a"]}"#, r#"{"id": [1, "a"], "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}"#.to_string()),
        (r#"{"execute":1,"id":5}"#, r#"{"id": 5, "error": {"class": "GenericError", "desc": "QMP input member 'execute' must be a string"}}"#.to_string()),
    ];
    for (line, want) in cases {
        assert_eq!(s.line(line).unwrap(), want, "{line}");
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
    assert_eq!(
        s.line(r#"{"execute":"qmp_capabilities","id":7}"#).unwrap(),
        r#"{"id": 7, "error": {"class": "CommandNotFound", "desc": "Capabilities negotiation is already complete, command ignored"}}"#
    );
    assert_eq!(
        s.line(r#"{"execute":"query-version"}"#).unwrap(),
        r#"{"return": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "test"}}"#
    );
    assert!(!s.has_quit());
}
