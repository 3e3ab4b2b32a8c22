//! The facade's error: one line, naming the file (and line and column when known).
use std::fmt;

/// An error of the engine facade; every variant prints as one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad command line.
    #[error("{0}")]
    Usage(String),
    /// A file could not be read.
    #[error("{path}: cannot read: {}", io_message(.source))]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A file's content is wrong.
    #[error("{}", Located(.path, .line, .column, .message))]
    Input {
        /// The file.
        path: String,
        /// 1-based line, 0 when unknown.
        line: u32,
        /// 1-based column, 0 when unknown.
        column: u32,
        /// What was wrong, lowercase.
        message: String,
    },
    /// A decision could not be made (e.g. CPUs are incompatible for a baseline).
    #[error("{0}")]
    Decision(String),
}

/// An I/O error in lowercase, without the OS error number: "no such file or directory".
fn io_message(e: &std::io::Error) -> String {
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

struct Located<'a>(&'a String, &'a u32, &'a u32, &'a String);

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.1, self.2) {
            (0, _) => write!(f, "{}: {}", self.0, self.3),
            (l, 0) => write!(f, "{}:{}: {}", self.0, l, self.3),
            (l, c) => write!(f, "{}:{}:{}: {}", self.0, l, c, self.3),
        }
    }
}

impl Error {
    /// A usage error.
    pub fn usage(msg: String) -> Error {
        Error::Usage(msg)
    }

    /// An input error at a position.
    pub fn input(path: &str, line: u32, column: u32, message: impl Into<String>) -> Error {
        Error::Input {
            path: path.to_string(),
            line,
            column,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_one_lowercase_line() {
        let e = Error::Io {
            path: "host.xml".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert_eq!(e.to_string(), "host.xml: cannot read: entity not found");
        let e = Error::Io {
            path: "host.xml".into(),
            source: std::io::Error::from_raw_os_error(2),
        };
        assert_eq!(
            e.to_string(),
            "host.xml: cannot read: no such file or directory"
        );
    }

    #[test]
    fn input_errors_name_what_they_know() {
        assert_eq!(
            Error::input("a.xml", 3, 7, "bad").to_string(),
            "a.xml:3:7: bad"
        );
        assert_eq!(
            Error::input("a.xml", 3, 0, "bad").to_string(),
            "a.xml:3: bad"
        );
        assert_eq!(Error::input("a.xml", 0, 0, "bad").to_string(), "a.xml: bad");
    }
}
