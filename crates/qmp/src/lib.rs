//! QEMU's QMP monitor protocol, shared by the architectures that answer QMP (s390x,
//! ppc64). An architecture implements [`Monitor`] (its version, its package string, its
//! commands); this crate does everything around the commands, as QEMU 7.2 does:
//!
//! 1. **framing** ([`serve`]): the greeting first; then each input line (bytes up to `\n`,
//!    a `\r` before it dropped) is one request and gets at most one reply line, ended by
//!    `\r\n` and flushed before the next line is read. Blank lines get no reply. Bytes that
//!    are not UTF-8 are decoded lossily, so such a line gets an error reply and the session
//!    goes on. A line longer than [`MAX_LINE`] bytes is skipped to its end and answered
//!    with `JSON token size limit exceeded`. The session ends after `quit` or at the end
//!    of the input.
//! 2. **JSON** ([`parse_json`]): QEMU's parser (single quotes, duplicate keys refused); a
//!    line that is not JSON gets `GenericError` "JSON parse error, ..." and the session
//!    goes on.
//! 3. **envelope**: the request must be an object, else "QMP input must be a JSON object".
//!    Its members are checked in QEMU's dictionary order ([`qdict::order`]): `execute` a
//!    string ("QMP input member 'execute' must be a string"), `arguments` an object
//!    ("QMP input member 'arguments' must be an object"), `id` anything, any other member
//!    "QMP input member 'X' is unexpected"; then "QMP input lacks member 'execute'".
//! 4. **`id`**: echoed in the reply, success or error, whenever the request is an object.
//! 5. **negotiation**: until `qmp_capabilities` succeeds, every other command gets
//!    `CommandNotFound` "Expecting capabilities negotiation with 'qmp_capabilities'";
//!    afterwards `qmp_capabilities` gets `CommandNotFound` "Capabilities negotiation is
//!    already complete, command ignored".
//! 6. **commands of the protocol**: `qmp_capabilities`, `quit` and `query-version` are
//!    answered here; every other command goes to [`Monitor::execute`], whose unknown
//!    commands answer [`QmpError::not_found`]. Arguments are read with [`Args`], QEMU's
//!    input visitor: members in schema order, then "Parameter 'X' is unexpected".
//! 7. **replies**: `{"return": R}` or `{"error": {"class": C, "desc": D}}`, plus `"id"`,
//!    keys in QEMU's dictionary order, written as QEMU writes JSON ([`qdict`]).
//!
//! A [`Monitor`] may offer a fast path ([`Monitor::fast`]) for well-formed lines after
//! negotiation; it must answer exactly as the general path would, or decline.
mod args;
mod json;
pub mod qdict;

pub use args::Args;
pub use json::parse_json;

use serde_json::{Map, Value};
use std::io::{self, BufRead, Write};

/// The longest request line read, in bytes (without its `\n`).
pub const MAX_LINE: usize = 16 << 20;

/// QEMU's error classes as QMP replies carry them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// `GenericError`: everything but unknown commands.
    GenericError,
    /// `CommandNotFound`: unknown commands, and commands before negotiation.
    CommandNotFound,
}

impl ErrorClass {
    /// The class as QEMU spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::GenericError => "GenericError",
            ErrorClass::CommandNotFound => "CommandNotFound",
        }
    }
}

/// A QMP error reply: class and QEMU's description.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{desc}")]
pub struct QmpError {
    /// The class.
    pub class: ErrorClass,
    /// QEMU's message, word for word.
    pub desc: String,
}

impl QmpError {
    /// A `GenericError`.
    pub fn generic(desc: impl Into<String>) -> QmpError {
        QmpError {
            class: ErrorClass::GenericError,
            desc: desc.into(),
        }
    }

    /// A `CommandNotFound` with a given description.
    pub fn command_not_found(desc: impl Into<String>) -> QmpError {
        QmpError {
            class: ErrorClass::CommandNotFound,
            desc: desc.into(),
        }
    }

    /// QEMU's answer to an unknown command: "The command X has not been found".
    pub fn not_found(command: &str) -> QmpError {
        QmpError::command_not_found(format!("The command {command} has not been found"))
    }
}

/// The `return` value of a successful command, as JSON text in QEMU's format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply(String);

impl Reply {
    /// `{}`, the reply of commands that return nothing.
    pub fn empty() -> Reply {
        Reply("{}".into())
    }

    /// A value written as QEMU writes it (object keys in the value's own order).
    pub fn value(v: &Value) -> Reply {
        Reply(qdict::to_text(v))
    }

    /// Text already written in QEMU's format (see [`qdict`]).
    pub fn text(text: String) -> Reply {
        Reply(text)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an architecture answers; the protocol around it is [`Session`]'s.
pub trait Monitor {
    /// QEMU's version `(major, minor, micro)` as the greeting and `query-version` give it.
    fn version(&self) -> (u32, u32, u32);
    /// The `package` string of the greeting and `query-version`.
    fn package(&self) -> String;
    /// Runs one command after negotiation (never `qmp_capabilities`, `quit` or
    /// `query-version`). Unknown commands answer [`QmpError::not_found`].
    fn execute(&mut self, command: &str, args: &Args<'_>) -> Result<Reply, QmpError>;
    /// A fast path for a whole line after negotiation: `None` to decline (the general path
    /// then answers); an answer must equal the general path's for the same line without
    /// `id`.
    fn fast(&mut self, _line: &str) -> Option<Result<Reply, QmpError>> {
        None
    }
}

/// One monitor session: the negotiation state and a [`Monitor`].
#[derive(Debug)]
pub struct Session<M> {
    monitor: M,
    negotiated: bool,
    quit: bool,
}

impl<M: Monitor> Session<M> {
    /// A new session, before negotiation.
    pub fn new(monitor: M) -> Session<M> {
        Session {
            monitor,
            negotiated: false,
            quit: false,
        }
    }

    /// The monitor.
    pub fn monitor(&self) -> &M {
        &self.monitor
    }

    /// Whether `quit` was executed.
    pub fn has_quit(&self) -> bool {
        self.quit
    }

    /// The greeting line QEMU prints first (without the line end).
    pub fn greeting(&self) -> String {
        let v = qdict::object(vec![(
            "QMP".into(),
            qdict::object(vec![
                ("version".into(), self.version()),
                ("capabilities".into(), Value::Array(vec!["oob".into()])),
            ]),
        )]);
        qdict::to_text(&v)
    }

    fn version(&self) -> Value {
        let (major, minor, micro) = self.monitor.version();
        qdict::object(vec![
            (
                "qemu".into(),
                qdict::object(vec![
                    ("major".into(), major.into()),
                    ("minor".into(), minor.into()),
                    ("micro".into(), micro.into()),
                ]),
            ),
            ("package".into(), Value::String(self.monitor.package())),
        ])
    }

    /// Answers one input line (without its line end); `None` for a blank line.
    pub fn line(&mut self, line: &str) -> Option<String> {
        if line.trim().is_empty() {
            return None;
        }
        if self.negotiated {
            if let Some(r) = self.monitor.fast(line) {
                return Some(reply_text(r, None));
            }
        }
        Some(match parse_json(line) {
            Err(e) => reply_text(Err(e), None),
            Ok(v) => self.request(&v),
        })
    }

    /// Answers one parsed request with a reply line (without the line end).
    pub fn request(&mut self, req: &Value) -> String {
        let Value::Object(obj) = req else {
            return reply_text(
                Err(QmpError::generic("QMP input must be a JSON object")),
                None,
            );
        };
        let id = obj.get("id").map(qdict::to_text);
        let r = self.dispatch(obj);
        reply_text(r, id.as_deref())
    }

    fn dispatch(&mut self, obj: &Map<String, Value>) -> Result<Reply, QmpError> {
        let (command, args) = envelope(obj)?;
        let empty = Map::new();
        let args = Args::new(args.unwrap_or(&empty));
        if !self.negotiated {
            if command != "qmp_capabilities" {
                return Err(QmpError::command_not_found(
                    "Expecting capabilities negotiation with 'qmp_capabilities'",
                ));
            }
            args.finish()?;
            self.negotiated = true;
            return Ok(Reply::empty());
        }
        match command {
            "qmp_capabilities" => {
                args.finish()?;
                Err(QmpError::command_not_found(
                    "Capabilities negotiation is already complete, command ignored",
                ))
            }
            "quit" => {
                args.finish()?;
                self.quit = true;
                Ok(Reply::empty())
            }
            "query-version" => {
                args.finish()?;
                Ok(Reply::value(&self.version()))
            }
            other => self.monitor.execute(other, &args),
        }
    }
}

/// A JSON object.
type Object = Map<String, Value>;

/// Checks a request object's members; gives the command and its arguments.
fn envelope(obj: &Object) -> Result<(&str, Option<&Object>), QmpError> {
    let mut command = None;
    let mut args = None;
    for key in qdict::order(obj.keys().collect()) {
        match (key.as_str(), &obj[key.as_str()]) {
            ("execute", Value::String(s)) => command = Some(s.as_str()),
            ("execute", _) => {
                return Err(QmpError::generic(
                    "QMP input member 'execute' must be a string",
                ))
            }
            ("arguments", Value::Object(a)) => args = Some(a),
            ("arguments", _) => {
                return Err(QmpError::generic(
                    "QMP input member 'arguments' must be an object",
                ))
            }
            ("id", _) => {}
            (other, _) => {
                return Err(QmpError::generic(format!(
                    "QMP input member '{other}' is unexpected"
                )))
            }
        }
    }
    let command = command.ok_or_else(|| QmpError::generic("QMP input lacks member 'execute'"))?;
    Ok((command, args))
}

/// A reply line: `{"return": R}` or `{"error": {"class", "desc"}}`, plus `id` (rendered
/// JSON) when given, keys in QEMU's order.
pub fn reply_text(r: Result<Reply, QmpError>, id: Option<&str>) -> String {
    let err;
    let mut entries = Vec::with_capacity(2);
    match &r {
        Ok(ret) => entries.push(("return", ret.as_str())),
        Err(e) => {
            let class = qdict::string_text(e.class.as_str());
            let desc = qdict::string_text(&e.desc);
            err = qdict::object_text(&[("class", class.as_str()), ("desc", desc.as_str())]);
            entries.push(("error", err.as_str()));
        }
    }
    if let Some(id) = id {
        entries.push(("id", id));
    }
    qdict::object_text(&entries)
}

/// Runs a session over a byte stream: the greeting, then one reply per non-blank line,
/// each ended by `\r\n` and flushed; stops after `quit` or at the end of the input.
/// Only I/O errors end it early.
pub fn serve<M: Monitor, R: BufRead, W: Write>(
    session: &mut Session<M>,
    mut input: R,
    mut output: W,
) -> io::Result<()> {
    write!(output, "{}\r\n", session.greeting())?;
    output.flush()?;
    let mut buf = Vec::new();
    while !session.has_quit() {
        buf.clear();
        let n = io::Read::take(&mut input, MAX_LINE as u64 + 1).read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        let reply = if buf.last() != Some(&b'\n') && buf.len() > MAX_LINE {
            skip_line(&mut input)?;
            Some(reply_text(
                Err(QmpError::generic("JSON token size limit exceeded")),
                None,
            ))
        } else {
            if buf.last() == Some(&b'\n') {
                buf.pop();
                if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
            }
            session.line(&String::from_utf8_lossy(&buf))
        };
        if let Some(reply) = reply {
            write!(output, "{reply}\r\n")?;
            output.flush()?;
        }
    }
    Ok(())
}

/// Consumes input up to and including the next `\n` (or to the end), holding no more than
/// one buffer of it.
fn skip_line<R: BufRead>(input: &mut R) -> io::Result<()> {
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(());
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = chunk.len();
                input.consume(n);
            }
        }
    }
}

#[cfg(test)]
mod tests;
