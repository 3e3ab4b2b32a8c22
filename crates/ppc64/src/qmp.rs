//! The ppc64 commands of a QMP monitor, answered as `qemu-system-ppc64` answers them.
//!
//! The protocol around them (framing, QEMU's JSON, the envelope, negotiation, `id`,
//! `qmp_capabilities`, `query-version`, `quit`, error replies, the greeting) is
//! [`cpucompat_qmp`]'s; this module is the [`cpucompat_qmp::Monitor`] of a [`QemuTable`].
//! Its rules, QEMU 7.2 as observed:
//!
//! ```text
//! version                   the table's QMP version; package "cpucompat"
//! query-cpu-definitions     the POWER5+-and-later server CPUs: {"name", "typename", "static": false, "deprecated": false}
//! query-cpu-model-*         the table's ModelCommands: CommandNotFound (7.2) or GenericError (newest)
//!                           "CPU model W is not supported on this target"
//! anything else             CommandNotFound "The command X has not been found"
//! ```
use crate::qemu::{ModelCommands, QemuTable};
use cpucompat_qmp::{Args, QmpError, Reply};
use serde_json::{json, Value};

/// A monitor session over the ppc64 monitor.
pub type Session = cpucompat_qmp::Session<Monitor>;

/// The ppc64 commands over a QEMU table.
#[derive(Clone, Copy, Debug)]
pub struct Monitor {
    table: &'static QemuTable,
}

impl Monitor {
    /// The monitor of a table.
    pub fn new(table: &'static QemuTable) -> Monitor {
        Monitor { table }
    }
}

/// A session over a table, before negotiation.
pub fn session(table: &'static QemuTable) -> Session {
    Session::new(Monitor::new(table))
}

/// Runs one whole session over `input` and returns everything QEMU would print, greeting
/// first, each line ended by `\r\n` (see [`cpucompat_qmp::serve`]).
pub fn transcript(table: &'static QemuTable, input: &str) -> String {
    let mut out = Vec::new();
    // Writing to a Vec and reading from a slice cannot fail.
    let _ = cpucompat_qmp::serve(&mut session(table), input.as_bytes(), &mut out);
    String::from_utf8_lossy(&out).into_owned()
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

impl cpucompat_qmp::Monitor for Monitor {
    fn version(&self) -> (u32, u32, u32) {
        self.table.qmp_version()
    }

    fn package(&self) -> String {
        "cpucompat".into()
    }

    fn has_command(&self, command: &str) -> bool {
        match command {
            "query-cpu-definitions" => true,
            "query-cpu-model-expansion"
            | "query-cpu-model-comparison"
            | "query-cpu-model-baseline" => {
                self.table.model_commands() == ModelCommands::GenericError
            }
            _ => false,
        }
    }

    fn execute(&mut self, command: &str, args: &Args<'_>) -> Result<Reply, QmpError> {
        match command {
            "query-cpu-definitions" => {
                args.finish()?;
                Ok(Reply::value(&cpu_definitions(self.table)))
            }
            "query-cpu-model-expansion"
            | "query-cpu-model-comparison"
            | "query-cpu-model-baseline" => Err(match self.table.model_commands() {
                ModelCommands::CommandNotFound => QmpError::not_found(command),
                ModelCommands::GenericError => QmpError::generic(format!(
                    "CPU model {} is not supported on this target",
                    command.trim_start_matches("query-cpu-model-")
                )),
            }),
            other => Err(QmpError::not_found(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(table: &'static QemuTable, lines: &[&str]) -> Vec<String> {
        transcript(table, &lines.join("\n"))
            .lines()
            .map(str::to_string)
            .collect()
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
        // A dead alias for `-cpu`, but listed (QEMU 10.0's reply, tests/diff_qemu10.rs).
        assert!(names.contains(&"power5gs"));
        assert!(names.contains(&"power9_v2.2"));
        assert_eq!(v[0]["typename"], "power11_v2.0-powerpc64-cpu");
    }

    #[test]
    fn non_json_line_gets_a_parse_error_and_the_session_goes_on() {
        let out = transcript(
            QemuTable::v7_2().unwrap(),
            "{\"execute\":\"qmp_capabilities\"}\n  nonsense\n{\"execute\":\"query-version\"}\n",
        );
        let lines: Vec<&str> = out.split_terminator("\r\n").collect();
        assert_eq!(
            lines[2..],
            [
                r#"{"error": {"class": "GenericError", "desc": "JSON parse error, invalid keyword 'nonsense'"}}"#,
                r#"{"return": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "cpucompat"}}"#,
            ]
        );
    }
}
