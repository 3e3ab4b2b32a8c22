//! The library's one error type: what kind of failure, which input, where in it, and the
//! underlying cause.
//!
//! Every error displays as one lowercase line: `FILE:LINE:COL: message` when the input and
//! position are known, `FILE:LINE: message` or `FILE: message` with less, and `message`
//! alone when no input is involved (a bad argument, a catalog without the model asked
//! for). Inputs are named as the caller named them (a path, `<stdin>`, or the name given
//! to [`crate::Input::from_str`]).
use std::fmt;

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An input could not be read, or output could not be written.
    Io,
    /// An input is not what it should be: malformed XML or text, too large, too deep, a
    /// DTD, an unexpected form.
    Syntax,
    /// A model, feature, vendor or compat-mode name the catalog does not know.
    UnknownName,
    /// A definition that cannot be used as given (no model where one is needed, data of
    /// another architecture, a CPU read by another engine).
    Invalid,
    /// The inputs have no common answer (a baseline of incompatible CPUs).
    NoAnswer,
    /// The architecture, or the chosen catalog, has no such operation or option.
    Unsupported,
    /// A catalog (cpu_map directory, table) is broken.
    Catalog,
    /// An argument is wrong: an unknown architecture or QEMU release, a CPU read by
    /// another engine, an option that does not apply.
    Argument,
}

impl ErrorKind {
    /// A short lowercase name: `io`, `syntax`, `unknown-name`, `invalid`, `no-answer`,
    /// `unsupported`, `catalog`, `argument`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Syntax => "syntax",
            ErrorKind::UnknownName => "unknown-name",
            ErrorKind::Invalid => "invalid",
            ErrorKind::NoAnswer => "no-answer",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Catalog => "catalog",
            ErrorKind::Argument => "argument",
        }
    }
}

/// Why cpucompat could not answer; see the module documentation for how it prints.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    file: Option<String>,
    line: u32,
    column: u32,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    libvirt: Option<String>,
}

/// The longest name quoted back in a message, in characters; longer ones are cut.
pub(crate) const MAX_QUOTED: usize = 120;

/// `message` with every overlong token cut to [`MAX_QUOTED`] characters plus `...`, so that
/// a 10 MB model name is not echoed back whole.
fn cut(message: String) -> String {
    if message.len() <= 4 * MAX_QUOTED {
        return message;
    }
    let mut out = String::with_capacity(4 * MAX_QUOTED);
    for (i, word) in message.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.chars().count() > MAX_QUOTED {
            out.extend(word.chars().take(MAX_QUOTED));
            out.push_str("...");
        } else {
            out.push_str(word);
        }
    }
    out
}

/// `text` on one line: control characters (a newline inside a quoted name or file name)
/// written as escapes (`\n`, `\t`, `\u{1b}`), so that an error is always one line.
fn one_line(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl Error {
    /// An error of `kind` about no input in particular.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: one_line(cut(message.into())),
            file: None,
            line: 0,
            column: 0,
            source: None,
            libvirt: None,
        }
    }

    /// The exact text libvirt (`virsh`) prints for this error, when cpucompat answered a
    /// question the way libvirt does (e.g. `invalid argument: unknown CPU model max`).
    pub fn libvirt_message(&self) -> Option<&str> {
        self.libvirt.as_deref()
    }

    /// The same error, about input `file` at `line` and `column` (0 when unknown).
    #[must_use]
    pub(crate) fn in_file(mut self, file: &str, line: u32, column: u32) -> Error {
        self.file = Some(one_line(file.to_string()));
        self.line = line;
        self.column = if line == 0 { 0 } else { column };
        self
    }

    /// The same error, with its underlying cause.
    #[must_use]
    pub(crate) fn caused_by(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        self.source = Some(Box::new(source));
        self
    }

    /// A failed read of `file`: "FILE: cannot read: no such file or directory".
    pub(crate) fn read(file: &str, e: std::io::Error) -> Error {
        Error::new(ErrorKind::Io, format!("cannot read: {}", io_message(&e)))
            .in_file(file, 0, 0)
            .caused_by(e)
    }

    /// A failed write: "cannot write output: broken pipe".
    pub fn write(e: std::io::Error) -> Error {
        Error::new(
            ErrorKind::Io,
            format!("cannot write output: {}", io_message(&e)),
        )
        .caused_by(e)
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without file and position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The input the error is about, as the caller named it.
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    /// The 1-based line in that input (0 when unknown).
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The 1-based column in that line (0 when unknown).
    pub fn column(&self) -> u32 {
        self.column
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line, self.column) {
            (None, ..) => write!(f, "{}", self.message),
            (Some(file), 0, _) => write!(f, "{file}: {}", self.message),
            (Some(file), l, 0) => write!(f, "{file}:{l}: {}", self.message),
            (Some(file), l, c) => write!(f, "{file}:{l}:{c}: {}", self.message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|b| b.as_ref() as &(dyn std::error::Error + 'static))
    }
}

/// An adapter error, as the library's: same kind and message, the position kept when the
/// input had one.
impl From<cpucompat_contract::Error> for Error {
    fn from(e: cpucompat_contract::Error) -> Error {
        let kind = match e.kind() {
            cpucompat_contract::ErrorKind::UnknownName => ErrorKind::UnknownName,
            cpucompat_contract::ErrorKind::NoAnswer => ErrorKind::NoAnswer,
            cpucompat_contract::ErrorKind::Unsupported => ErrorKind::Unsupported,
            cpucompat_contract::ErrorKind::Catalog => ErrorKind::Catalog,
            _ => ErrorKind::Invalid,
        };
        let mut out = Error::new(kind, e.message());
        out.libvirt = e.libvirt_message().map(str::to_string);
        if let Some(p) = e.pos() {
            out.line = p.line;
            out.column = p.column;
        }
        out.caused_by(e)
    }
}

impl Error {
    /// Names the input an adapter error is about (keeping the position it carries, or
    /// using `fallback` when it has none).
    pub(crate) fn about(mut self, file: &str, fallback: cpucompat_xml::model::Pos) -> Error {
        if self.file.is_none() {
            self.file = Some(one_line(file.to_string()));
            if self.line == 0 {
                self.line = fallback.line;
                self.column = fallback.column;
            }
        }
        self
    }
}

/// An I/O error in lowercase, without the OS error number: "no such file or directory".
pub(crate) fn io_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => &text[..i],
        None => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_one_lowercase_line() {
        let e = Error::read(
            "host.xml",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        assert_eq!(e.to_string(), "host.xml: cannot read: entity not found");
        let e = Error::read("host.xml", std::io::Error::from_raw_os_error(2));
        assert_eq!(
            e.to_string(),
            "host.xml: cannot read: no such file or directory"
        );
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(std::error::Error::source(&e).is_some());
        let w = Error::write(std::io::Error::from_raw_os_error(32));
        assert_eq!(w.to_string(), "cannot write output: broken pipe");
    }

    #[test]
    fn input_errors_name_what_they_know() {
        let e = |l, c| Error::new(ErrorKind::Syntax, "bad").in_file("a.xml", l, c);
        assert_eq!(e(3, 7).to_string(), "a.xml:3:7: bad");
        assert_eq!(e(3, 0).to_string(), "a.xml:3: bad");
        assert_eq!(e(0, 7).to_string(), "a.xml: bad");
        assert_eq!(Error::new(ErrorKind::Argument, "bad").to_string(), "bad");
    }

    /// Found by the `engine_read` fuzz target: an XML error quoting input across a line
    /// break printed as two lines.
    #[test]
    fn messages_and_file_names_stay_on_one_line() {
        let e = Error::new(ErrorKind::Syntax, "malformed reference '&>\n ;'")
            .in_file("a\nb.xml", 2, 17);
        assert_eq!(
            e.to_string(),
            "a\\nb.xml:2:17: malformed reference '&>\\n ;'"
        );
        let e = Error::new(ErrorKind::UnknownName, "unknown CPU model Has\twell\u{1b}");
        assert_eq!(e.to_string(), "unknown CPU model Has\\twell\\u{1b}");
    }

    #[test]
    fn long_names_are_cut() {
        let name = "x".repeat(10_000);
        let e = Error::new(ErrorKind::UnknownName, format!("unknown CPU model {name}"));
        assert_eq!(
            e.message(),
            format!("unknown CPU model {}...", "x".repeat(MAX_QUOTED))
        );
    }
}
