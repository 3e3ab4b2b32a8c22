//! The adapters' error: why no answer could be given, what kind of failure it is, and where
//! in the input definition it points.
//!
//! An incompatible guest is not an error: it is a [`crate::Comparison`] whose verdict says
//! so. An error means the question had no answer: a name the catalog does not know, a
//! definition that cannot be read as asked, a pool without a common CPU, an operation the
//! architecture does not have. Messages are one lowercase line (libvirt's and QEMU's own
//! wording where they have one) and never repeat the position: [`Error::pos`] carries the
//! line and column in the definition's source, and the input index says which CPU of a
//! stream it was, so the caller can print `FILE:LINE:COL: message`.
use cpucompat_xml::model::Pos;

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A model, feature, vendor or compat-mode name the catalog does not know.
    UnknownName,
    /// A definition or raw data that cannot be used as given (no model where one is needed,
    /// a vendor contradicting its model, a malformed dump, data of another architecture).
    Invalid,
    /// The inputs have no common answer (a baseline over incompatible CPUs or vendors).
    NoAnswer,
    /// The architecture or the chosen catalog has no such operation or option.
    Unsupported,
    /// A catalog or table the adapter was given is inconsistent.
    Catalog,
}

impl ErrorKind {
    /// A short lowercase name: `unknown-name`, `invalid`, `no-answer`, `unsupported`,
    /// `catalog`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::UnknownName => "unknown-name",
            ErrorKind::Invalid => "invalid",
            ErrorKind::NoAnswer => "no-answer",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Catalog => "catalog",
        }
    }
}

/// Why an adapter could not answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    pos: Option<Pos>,
    input: Option<usize>,
    libvirt: Option<String>,
}

impl Error {
    /// An error of `kind` with a one-line lowercase message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            pos: None,
            input: None,
            libvirt: None,
        }
    }

    /// The same error, with the exact text libvirt (`virsh`) prints for it, when cpucompat
    /// answers a question as libvirt does (`invalid argument: ...`, `internal error: ...`).
    #[must_use]
    pub fn with_libvirt(mut self, text: impl Into<String>) -> Error {
        self.libvirt = Some(text.into());
        self
    }

    /// The exact text libvirt prints for this error, when known.
    pub fn libvirt_message(&self) -> Option<&str> {
        self.libvirt.as_deref()
    }

    /// The same error, pointing at `pos` in the definition's source (a position of line 0
    /// means "not from a text" and is dropped).
    #[must_use]
    pub fn at(mut self, pos: Pos) -> Error {
        self.pos = (pos.line != 0).then_some(pos);
        self
    }

    /// The same error, about input number `index` (0-based) of a stream of CPUs.
    #[must_use]
    pub fn input(mut self, index: usize) -> Error {
        self.input = Some(index);
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The line and column in the definition's source, when the input came from text.
    pub fn pos(&self) -> Option<Pos> {
        self.pos
    }

    /// Which CPU of a stream the error is about, when it is about one.
    pub fn input_index(&self) -> Option<usize> {
        self.input
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_from_no_text_are_dropped() {
        let e = Error::new(ErrorKind::UnknownName, "unknown CPU model Foo").at(Pos::default());
        assert_eq!(e.pos(), None);
        let p = Pos { line: 3, column: 7 };
        let e = e.at(p).input(2);
        assert_eq!(e.pos(), Some(p));
        assert_eq!(e.input_index(), Some(2));
        assert_eq!(e.to_string(), "unknown CPU model Foo");
        assert_eq!(e.kind().as_str(), "unknown-name");
    }
}
