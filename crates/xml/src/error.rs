//! The XML layer's error: what went wrong and where (1-based line and column).
//!
//! Every error carries a [`Pos`]; the facade adds the file name, so the user sees
//! `FILE:LINE:COLUMN: message`. Messages are lowercase and stable (tests assert them
//! word for word).
use crate::model::Pos;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The whole input is larger than [`crate::Limits::max_bytes`].
    #[error("input is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// One element read by the streaming reader (or one text run) exceeds the byte limit.
    #[error("<{name}> element is larger than {limit} bytes")]
    ElementTooLarge {
        /// The element's name.
        name: String,
        /// The limit.
        limit: usize,
    },
    /// Elements nest deeper than [`crate::Limits::max_depth`].
    #[error("elements nested deeper than {limit} levels")]
    TooDeep {
        /// The limit.
        limit: u32,
    },
    /// More elements than [`crate::Limits::max_elements`].
    #[error("more than {limit} elements")]
    TooManyElements {
        /// The limit.
        limit: usize,
    },
    /// A `<!DOCTYPE` or `<!ENTITY` declaration.
    #[error("doctype and entity declarations are not allowed")]
    Dtd,
    /// An entity reference other than the five predefined ones or a character reference.
    #[error("unknown entity reference '&{0};': only &lt; &gt; &amp; &apos; &quot; and character references are allowed")]
    UnknownEntity(String),
    /// The bytes are not UTF-8.
    #[error("input is not valid UTF-8")]
    NotUtf8,
    /// The text is not well-formed XML.
    #[error("{0}")]
    Syntax(String),
    /// Well-formed XML that is not a valid CPU definition or dump.
    #[error("{0}")]
    Invalid(String),
    /// No CPU definition in the input.
    #[error("{0}")]
    NoCpu(String),
    /// Reading the input failed.
    #[error("read error: {0}")]
    Io(String),
}

/// An error of the XML layer, at a position; displays as `LINE:COLUMN: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{}: {kind}", pos.line, pos.column)]
pub struct XmlError {
    pos: Pos,
    kind: ErrorKind,
}

impl XmlError {
    /// An error of `kind` at `pos`.
    pub fn new(pos: Pos, kind: ErrorKind) -> XmlError {
        XmlError { pos, kind }
    }

    /// A not-a-valid-definition error.
    pub(crate) fn invalid(pos: Pos, msg: impl Into<String>) -> XmlError {
        XmlError::new(pos, ErrorKind::Invalid(msg.into()))
    }

    /// A not-well-formed error.
    pub(crate) fn syntax(pos: Pos, msg: impl Into<String>) -> XmlError {
        XmlError::new(pos, ErrorKind::Syntax(msg.into()))
    }

    /// Where (1-based line and column).
    pub fn pos(&self) -> Pos {
        self.pos
    }

    /// What.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The message without the position.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }
}
