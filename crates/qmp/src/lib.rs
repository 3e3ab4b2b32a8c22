//! QEMU's QMP monitor protocol, shared by the architectures that answer QMP (s390x,
//! ppc64). An architecture implements [`Monitor`] (its version, its package string, its
//! commands); this crate does everything around the commands, as QEMU 7.2 does (every rule
//! observed on the live `qemu-system-s390x` 7.2.22, `tests/diff_qmp_protocol.rs`):
//!
//! 1. **stream** ([`reader`]): the input is a byte stream, not lines. QEMU's lexer and
//!    streamer cut it into messages: a request may span lines, and one line may hold
//!    several; bytes that are not JSON are error tokens, each refused with
//!    `JSON parse error, stray '...'`, after which the lexer skips to the next
//!    structural or control byte. Limits per message: 64 MiB of tokens, 2 Mi tokens,
//!    nesting 1024; a message beyond one is refused with QEMU's error and the rest of it
//!    is read as new messages. Every message gets exactly one reply; a message still open
//!    at the end of the input gets none (QEMU waits for more; with OOB enabled it may also
//!    drop requests read but not yet run when its input ends, which cpucompat answers).
//! 2. **JSON** ([`json`], [`utf8`]): QEMU's parser (single quotes, duplicate keys refused,
//!    its escape and UTF-8 rules, its messages `JSON parse error, ...`) into a
//!    [`QObject`]; numbers keep QEMU's types ([`qobject`]).
//! 3. **envelope**: the request must be an object, else "QMP input must be a JSON object".
//!    Its members are checked in QEMU's dictionary order ([`qdict::order`]): `execute` a
//!    string ("QMP input member 'execute' must be a string"), `exec-oob` (only once OOB is
//!    enabled, else "QMP input member 'exec-oob' is unexpected") a string, `arguments` an
//!    object ("QMP input member 'arguments' must be an object"), `id` anything, any other
//!    member "QMP input member 'X' is unexpected"; then both `execute` and `exec-oob`:
//!    "QMP input member 'execute' clashes with 'exec-oob'"; neither: "QMP input lacks
//!    member 'execute'".
//! 4. **`id`**: echoed in the reply, success or error, whenever the request is an object;
//!    written back as QEMU writes the value it parsed (dictionary key order, `%.17g`
//!    doubles: `-0.0` is `-0`, `1e5` is `100000`, `1e400` is `inf`).
//! 5. **negotiation**: until `qmp_capabilities` succeeds, every other command gets
//!    `CommandNotFound` "Expecting capabilities negotiation with 'qmp_capabilities'". Its
//!    optional `enable` is a list of capabilities: `oob` (offered in the greeting) enables
//!    out-of-band execution, repeats are fine; another string gets "Parameter 'null' does
//!    not accept value 'X'", another type `Invalid parameter type for 'enable[i]',
//!    expected: string` (or "... for 'enable', expected: array"). Afterwards
//!    `qmp_capabilities` (arguments checked first) gets `CommandNotFound` "Capabilities
//!    negotiation is already complete, command ignored".
//! 6. **commands**: a command the monitor does not have gets `CommandNotFound` "The command
//!    X has not been found"; `exec-oob` of one it has gets "The command X does not support
//!    OOB" (no command here allows OOB). `qmp_capabilities`, `quit` and `query-version`
//!    are answered here; every other command goes to [`Monitor::execute`]. Arguments are
//!    read with [`Args`], QEMU's input visitor: members in schema order, then "Parameter
//!    'X' is unexpected".
//! 7. **replies**: `{"return": R}` or `{"error": {"class": C, "desc": D}}`, plus `"id"`,
//!    keys in QEMU's dictionary order, written as QEMU writes JSON ([`qdict`]), each
//!    ended by `\r\n` and flushed ([`serve`]). After `quit`'s reply the session ends and the
//!    rest of the input is not read.
//!
//! A [`Monitor`] may offer a fast path ([`Monitor::fast`]) for a request of the plain shape
//! ([`reader::quick`]: strings without escapes, words, structure; read whole from one chunk)
//! after negotiation; it must answer exactly as the general path would, or decline.
mod args;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod ghash;
pub mod json;
pub mod qdict;
pub mod qobject;
pub mod reader;
pub mod utf8;

pub use args::Args;
pub use qobject::QObject;
pub use reader::{MAX_NESTING, MAX_TOKEN_COUNT, MAX_TOKEN_SIZE};

use reader::{Message, Reader};
use serde_json::Value;
use std::io::{self, BufRead, Write};
use std::ops::ControlFlow;

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
    /// Whether the monitor has a command (besides `qmp_capabilities`, `quit` and
    /// `query-version`): an unknown command is `CommandNotFound` before anything else.
    fn has_command(&self, command: &str) -> bool;
    /// Runs one command after negotiation (never `qmp_capabilities`, `quit` or
    /// `query-version`). Unknown commands answer [`QmpError::not_found`].
    ///
    /// # Errors
    /// The command's own refusal, as QEMU words it (usually a `GenericError`: missing,
    /// mistyped or unexpected arguments, a model QEMU refuses); [`QmpError::not_found`] for
    /// a command the monitor does not have.
    fn execute(&mut self, command: &str, args: &Args<'_>) -> Result<Reply, QmpError>;
    /// A fast path for the text of one whole request of the plain shape after negotiation
    /// ([`reader::quick`]: ASCII strings without escapes, lowercase words, structure):
    /// `None` to decline (the general path then answers); an answer must equal the general
    /// path's for the same request.
    fn fast(&mut self, _request: &str) -> Option<Result<Reply, QmpError>> {
        None
    }
}

/// One monitor session: the stream reader, the negotiation state and a [`Monitor`].
#[derive(Debug)]
pub struct Session<M> {
    reader: Reader,
    state: State<M>,
}

#[derive(Debug)]
struct State<M> {
    monitor: M,
    negotiated: bool,
    oob: bool,
    quit: bool,
}

impl<M: Monitor> Session<M> {
    /// A new session, before negotiation.
    pub fn new(monitor: M) -> Session<M> {
        Session {
            reader: Reader::new(),
            state: State {
                monitor,
                negotiated: false,
                oob: false,
                quit: false,
            },
        }
    }

    /// The monitor.
    pub fn monitor(&self) -> &M {
        &self.state.monitor
    }

    /// Whether `quit` was executed.
    pub fn has_quit(&self) -> bool {
        self.state.quit
    }

    /// Whether negotiation enabled out-of-band execution (`"enable": ["oob"]`).
    pub fn oob_enabled(&self) -> bool {
        self.state.oob
    }

    /// The greeting line QEMU prints first (without the line end).
    pub fn greeting(&self) -> String {
        let v = qdict::object(vec![(
            "QMP".into(),
            qdict::object(vec![
                ("version".into(), self.state.version()),
                ("capabilities".into(), Value::Array(vec!["oob".into()])),
            ]),
        )]);
        qdict::to_text(&v)
    }

    /// Reads a chunk of the input stream, handing each reply (without its line end) to
    /// `emit` as soon as it is computed. State carries over to the next chunk; after `quit`
    /// nothing more is read. Stops at the first error of `emit`.
    ///
    /// # Errors
    /// Only the first error `emit` returns: reading stops there and the error is handed
    /// back. Protocol errors are replies, not errors.
    pub fn feed<E>(
        &mut self,
        input: &[u8],
        mut emit: impl FnMut(String) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.state.quit {
            return Ok(());
        }
        let mut sink = Answer {
            state: &mut self.state,
            emit: &mut emit,
            result: Ok(()),
        };
        let _ = self.reader.feed(input, &mut sink);
        sink.result
    }

    /// The replies to a chunk of the input stream (see [`Session::feed`]).
    pub fn replies(&mut self, input: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        let _ = self.feed(input, |r| {
            out.push(r);
            Ok::<(), std::convert::Infallible>(())
        });
        out
    }

    /// Reads one line of input (`text` and a `\n`): its replies joined by `\r\n` as they
    /// appear on the wire (without the last line end), `None` when there are none (a blank
    /// line, or a request not yet complete). A line holding one request gets its reply.
    pub fn line(&mut self, text: &str) -> Option<String> {
        let mut input = Vec::with_capacity(text.len() + 1);
        input.extend_from_slice(text.as_bytes());
        input.push(b'\n');
        let replies = self.replies(&input);
        (!replies.is_empty()).then(|| replies.join("\r\n"))
    }
}

impl<M: Monitor> State<M> {
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

    /// The reply to one message of the stream.
    fn answer(&mut self, m: Message<'_>) -> String {
        match m {
            Message::Error(e) => reply_text(Err(e), None),
            Message::Value(tokens) => match json::parse(tokens) {
                Err(e) => reply_text(Err(e), None),
                Ok(v) => self.request(&v),
            },
        }
    }

    /// Answers one parsed request with a reply line (without the line end).
    fn request(&mut self, req: &QObject) -> String {
        let QObject::Dict(members) = req else {
            return reply_text(
                Err(QmpError::generic("QMP input must be a JSON object")),
                None,
            );
        };
        let id = req.get("id").map(QObject::to_text);
        let r = self.dispatch(members);
        reply_text(r, id.as_deref())
    }

    fn dispatch(&mut self, members: &[(String, QObject)]) -> Result<Reply, QmpError> {
        let env = envelope(members, self.oob)?;
        let args_map = env.args.map(qobject::to_map).unwrap_or_default();
        let args = Args::new(&args_map);
        if !self.negotiated {
            if env.command != "qmp_capabilities" {
                return Err(QmpError::command_not_found(
                    "Expecting capabilities negotiation with 'qmp_capabilities'",
                ));
            }
            let oob = capabilities(&args)?;
            args.finish()?;
            self.negotiated = true;
            self.oob = oob;
            return Ok(Reply::empty());
        }
        let own = matches!(env.command, "qmp_capabilities" | "quit" | "query-version");
        if !own && !self.monitor.has_command(env.command) {
            return Err(QmpError::not_found(env.command));
        }
        if env.oob {
            return Err(QmpError::generic(format!(
                "The command {} does not support OOB",
                env.command
            )));
        }
        match env.command {
            "qmp_capabilities" => {
                capabilities(&args)?;
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

/// Hands the reader's messages to the state and the replies to `emit`.
struct Answer<'s, M, F, E> {
    state: &'s mut State<M>,
    emit: &'s mut F,
    result: Result<(), E>,
}

impl<M: Monitor, F: FnMut(String) -> Result<(), E>, E> Answer<'_, M, F, E> {
    fn send(&mut self, reply: String) -> ControlFlow<()> {
        if let Err(e) = (self.emit)(reply) {
            self.result = Err(e);
            return ControlFlow::Break(());
        }
        if self.state.quit {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

impl<M: Monitor, F: FnMut(String) -> Result<(), E>, E> reader::Sink for Answer<'_, M, F, E> {
    fn quick(&mut self, request: &str) -> Option<ControlFlow<()>> {
        if !self.state.negotiated {
            return None;
        }
        let r = self.state.monitor.fast(request)?;
        Some(self.send(reply_text(r, None)))
    }

    fn message(&mut self, m: Message<'_>) -> ControlFlow<()> {
        let reply = self.state.answer(m);
        self.send(reply)
    }
}

/// `qmp_capabilities`' optional `enable`: whether it enables OOB.
fn capabilities(args: &Args<'_>) -> Result<bool, QmpError> {
    let Some(enable) = args.get("enable") else {
        return Ok(false);
    };
    let Value::Array(items) = enable else {
        return Err(args.wrong_type("enable", "array"));
    };
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) if s == "oob" => {}
            Value::String(s) => {
                return Err(QmpError::generic(format!(
                    "Parameter 'null' does not accept value '{s}'"
                )))
            }
            _ => return Err(args.wrong_type(&format!("enable[{i}]"), "string")),
        }
    }
    Ok(!items.is_empty())
}

/// A request's envelope: the command, whether it came as `exec-oob`, its arguments.
struct Envelope<'a> {
    command: &'a str,
    oob: bool,
    args: Option<&'a [(String, QObject)]>,
}

/// Checks a request object's members in QEMU's dictionary order.
fn envelope(members: &[(String, QObject)], oob_enabled: bool) -> Result<Envelope<'_>, QmpError> {
    let unexpected = |k: &str| QmpError::generic(format!("QMP input member '{k}' is unexpected"));
    let mut execute = None;
    let mut exec_oob = None;
    let mut args = None;
    let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    for i in qdict::order_indices(&keys) {
        let (key, value) = &members[i];
        match (key.as_str(), value) {
            ("execute", QObject::Str(s)) => execute = Some(s.as_str()),
            ("execute", _) => {
                return Err(QmpError::generic(
                    "QMP input member 'execute' must be a string",
                ))
            }
            ("exec-oob", _) if !oob_enabled => return Err(unexpected("exec-oob")),
            ("exec-oob", QObject::Str(s)) => exec_oob = Some(s.as_str()),
            ("exec-oob", _) => {
                return Err(QmpError::generic(
                    "QMP input member 'exec-oob' must be a string",
                ))
            }
            ("arguments", QObject::Dict(a)) => args = Some(a.as_slice()),
            ("arguments", _) => {
                return Err(QmpError::generic(
                    "QMP input member 'arguments' must be an object",
                ))
            }
            ("id", _) => {}
            (other, _) => return Err(unexpected(other)),
        }
    }
    let (command, oob) = match (execute, exec_oob) {
        (Some(_), Some(_)) => {
            return Err(QmpError::generic(
                "QMP input member 'execute' clashes with 'exec-oob'",
            ))
        }
        (Some(c), None) => (c, false),
        (None, Some(c)) => (c, true),
        (None, None) => return Err(QmpError::generic("QMP input lacks member 'execute'")),
    };
    Ok(Envelope { command, oob, args })
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

/// Runs a session over a byte stream: the greeting, then the replies, each ended by
/// `\r\n` and flushed as soon as it is computed; stops after `quit` or at the end of the
/// input. Only I/O errors end it early.
///
/// # Errors
/// An I/O error writing or flushing the greeting or a reply, or reading the input
/// (`Interrupted` reads are retried). Protocol errors are replies, not errors.
pub fn serve<M: Monitor, R: BufRead, W: Write>(
    session: &mut Session<M>,
    mut input: R,
    mut output: W,
) -> io::Result<()> {
    write!(output, "{}\r\n", session.greeting())?;
    output.flush()?;
    while !session.has_quit() {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        session.feed(chunk, |reply| {
            write!(output, "{reply}\r\n")?;
            output.flush()
        })?;
        input.consume(n);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
