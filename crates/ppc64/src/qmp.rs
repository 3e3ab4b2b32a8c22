//! A QMP session in QEMU's shapes for ppc64: greeting, `qmp_capabilities`,
//! `query-cpu-definitions` (the POWER5+-and-later server CPUs of a [`QemuTable`]),
//! `quit`, and QEMU's errors for everything else.
//!
//! Input is one JSON object per line. Replies follow QEMU 7.2 as observed:
//!
//! ```text
//! greeting                  {"QMP": {"version": {"qemu": {"micro", "minor", "major"}, "package"}, "capabilities": ["oob"]}}
//! success                   {"return": R}            + "id" after it when the command had one
//! failure                   {"error": {"class", "desc"}}   + "id" before it
//! before qmp_capabilities   CommandNotFound "Expecting capabilities negotiation with 'qmp_capabilities'"
//! query-cpu-model-*         the table's ModelCommands: CommandNotFound (7.2) or GenericError (newest)
//! anything else             CommandNotFound "The command X has not been found"
//! ```
//!
//! JSON is printed as QEMU prints it (`", "` and `": "` separators). A line that is not
//! JSON at all is bad input: an error naming line and column, and no reply is printed.
use crate::qemu::{ModelCommands, QemuTable};
use serde_json::{json, Map, Value};

/// A QMP input line that is not JSON.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: invalid JSON: {message}")]
pub struct QmpError {
    /// 1-based input line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What the JSON parser said.
    pub message: String,
}

/// Prints a JSON value as QEMU does: `{"a": 1, "b": [true, "x"]}`.
pub fn to_qemu_json(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                write_value(out, item);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The `query-cpu-definitions` reply value of a table.
pub fn cpu_definitions(table: &QemuTable) -> Value {
    Value::Array(
        table
            .cpu_definitions()
            .into_iter()
            .map(|d| {
                json!({"name": d.name, "typename": d.typename, "static": false, "deprecated": false})
            })
            .collect(),
    )
}

/// The greeting QEMU prints on connect.
pub fn greeting(table: &QemuTable) -> Value {
    let (major, minor, micro) = table.qmp_version();
    json!({"QMP": {"version": {"qemu": {"micro": micro, "minor": minor, "major": major},
        "package": "cpucompat"}, "capabilities": ["oob"]}})
}

fn error(class: &str, desc: String) -> Value {
    json!({"error": {"class": class, "desc": desc}})
}

fn with_id(reply: Value, id: Option<&Value>) -> Value {
    let Some(id) = id else {
        return reply;
    };
    let Value::Object(body) = reply else {
        return reply;
    };
    let mut out = Map::new();
    if body.contains_key("error") {
        out.insert("id".into(), id.clone());
        out.extend(body);
    } else {
        out.extend(body);
        out.insert("id".into(), id.clone());
    }
    Value::Object(out)
}

const MEMBERS: [&str; 4] = ["execute", "arguments", "id", "exec-oob"];

/// One QMP session over `input`; returns everything QEMU would print, greeting first.
/// Stops after `quit`.
pub fn session(table: &QemuTable, input: &str) -> Result<String, QmpError> {
    let mut out = to_qemu_json(&greeting(table));
    out.push('\n');
    let mut negotiated = false;
    for (n, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line).map_err(|e| {
            let text = e.to_string();
            let message = match text.rfind(" at line ") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            QmpError {
                line: n + 1,
                column: e.column(),
                message,
            }
        })?;
        let (reply, quit) = answer(table, &value, &mut negotiated);
        out.push_str(&to_qemu_json(&reply));
        out.push('\n');
        if quit {
            break;
        }
    }
    Ok(out)
}

/// The reply to one command, and whether the session ends.
fn answer(table: &QemuTable, cmd: &Value, negotiated: &mut bool) -> (Value, bool) {
    let Value::Object(obj) = cmd else {
        return (
            error("GenericError", "QMP input must be a JSON object".into()),
            false,
        );
    };
    let id = obj.get("id");
    let reply = |v: Value| with_id(v, id);
    if let Some(k) = obj.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
        return (
            reply(error(
                "GenericError",
                format!("QMP input member '{k}' is unexpected"),
            )),
            false,
        );
    }
    let name = match obj.get("execute") {
        None => {
            return (
                reply(error(
                    "GenericError",
                    "QMP input lacks member 'execute'".into(),
                )),
                false,
            )
        }
        Some(Value::String(s)) => s.as_str(),
        Some(_) => {
            return (
                reply(error(
                    "GenericError",
                    "QMP input member 'execute' must be a string".into(),
                )),
                false,
            )
        }
    };
    let args = match obj.get("arguments") {
        None => Map::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(_) => {
            return (
                reply(error(
                    "GenericError",
                    "QMP input member 'arguments' must be an object".into(),
                )),
                false,
            )
        }
    };
    if !*negotiated {
        if name == "qmp_capabilities" {
            *negotiated = true;
            return (reply(json!({"return": {}})), false);
        }
        return (
            reply(error(
                "CommandNotFound",
                "Expecting capabilities negotiation with 'qmp_capabilities'".into(),
            )),
            false,
        );
    }
    let unexpected = |args: &Map<String, Value>| {
        args.keys().next().map(|k| {
            reply(error(
                "GenericError",
                format!("Parameter '{k}' is unexpected"),
            ))
        })
    };
    match name {
        "qmp_capabilities" => (
            reply(error(
                "CommandNotFound",
                "Capabilities negotiation is already complete, command ignored".into(),
            )),
            false,
        ),
        "query-cpu-definitions" => match unexpected(&args) {
            Some(e) => (e, false),
            None => (reply(json!({"return": cpu_definitions(table)})), false),
        },
        "quit" => (reply(json!({"return": {}})), true),
        "query-cpu-model-expansion" | "query-cpu-model-comparison" | "query-cpu-model-baseline" => {
            let what = name.trim_start_matches("query-cpu-model-");
            let e = match table.model_commands() {
                ModelCommands::CommandNotFound => not_found(name),
                ModelCommands::GenericError => error(
                    "GenericError",
                    format!("CPU model {what} is not supported on this target"),
                ),
            };
            (reply(e), false)
        }
        other => (reply(not_found(other)), false),
    }
}

fn not_found(name: &str) -> Value {
    error(
        "CommandNotFound",
        format!("The command {name} has not been found"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(table: &QemuTable, lines: &[&str]) -> Vec<String> {
        session(table, &lines.join("\n"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn qemu_json_spacing() {
        let v = json!({"return": [{"a": 1, "b": [true, null]}], "id": "x"});
        assert_eq!(
            to_qemu_json(&v),
            r#"{"return": [{"a": 1, "b": [true, null]}], "id": "x"}"#
        );
    }

    #[test]
    fn negotiation_and_ids_follow_qemu() {
        let t = QemuTable::v7_2().unwrap();
        let out = run(
            t,
            &[
                r#"{"execute":"query-cpu-definitions"}"#,
                r#"{"execute":"qmp_capabilities","id":1}"#,
                r#"{"execute":"qmp_capabilities","id":7}"#,
                r#"{"foo":1}"#,
                r#"[1]"#,
                r#"{"execute":"query-cpu-model-baseline","id":"x"}"#,
                r#"{"execute":"quit"}"#,
                r#"{"execute":"never-reached"}"#,
            ],
        );
        assert_eq!(
            out[1..],
            [
                r#"{"error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}"#,
                r#"{"return": {}, "id": 1}"#,
                r#"{"id": 7, "error": {"class": "CommandNotFound", "desc": "Capabilities negotiation is already complete, command ignored"}}"#,
                r#"{"error": {"class": "GenericError", "desc": "QMP input member 'foo' is unexpected"}}"#,
                r#"{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}"#,
                r#"{"id": "x", "error": {"class": "CommandNotFound", "desc": "The command query-cpu-model-baseline has not been found"}}"#,
                r#"{"return": {}}"#,
            ]
        );
    }

    #[test]
    fn newest_stubs_answer_generic_error() {
        let t = QemuTable::newest().unwrap();
        let out = run(
            t,
            &[
                r#"{"execute":"qmp_capabilities"}"#,
                r#"{"execute":"query-cpu-model-expansion","arguments":{"type":"full","model":{"name":"power9"}}}"#,
                r#"{"execute":"no-such"}"#,
            ],
        );
        assert_eq!(
            out[2],
            r#"{"error": {"class": "GenericError", "desc": "CPU model expansion is not supported on this target"}}"#
        );
        assert_eq!(
            out[3],
            r#"{"error": {"class": "CommandNotFound", "desc": "The command no-such has not been found"}}"#
        );
    }

    #[test]
    fn definitions_list_aliases_then_classes() {
        let v = cpu_definitions(QemuTable::newest().unwrap());
        let names: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(names[0], "power11");
        assert!(!names.contains(&"power5gs"));
        assert!(names.contains(&"power9_v2.2"));
        assert_eq!(v[0]["typename"], "power11_v2.0-powerpc64-cpu");
    }

    #[test]
    fn non_json_line_is_an_error_with_position() {
        let e = session(
            QemuTable::v7_2().unwrap(),
            "{\"execute\":\"quit\"}\n  nonsense\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (2, 4));
        assert_eq!(
            e.to_string(),
            "line 2, column 4: invalid JSON: expected ident"
        );
    }
}
