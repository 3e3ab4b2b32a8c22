//! Status codes and the calling thread's last error.
//!
//! Every entry point returns a [`cpucompat_status`]: `CPUCOMPAT_OK` (0) or a negative code
//! naming the kind of failure (libgit2's convention). The details of the last failure on
//! the calling thread are kept in thread-local storage and read with
//! [`crate::cpucompat_error_last`]: the code, the kind as a word, the message, the input
//! the error is about and the line and column in it, and the whole one-line text
//! (`FILE:LINE:COL: message`, as the command line prints it). They stay valid until the
//! next failing call on the same thread (a successful call leaves them in place) or
//! [`crate::cpucompat_error_clear`].
use std::cell::RefCell;
use std::ffi::{c_char, CString};

/// What a call returned: `CPUCOMPAT_OK` or the kind of failure.
///
/// The library's error kinds come first (`-1` to `-8`, in the order of
/// `cpucompat::ErrorKind`), then the interface's own: a null pointer, an argument that is
/// not UTF-8, and an internal failure (a panic caught at the boundary).
#[repr(C)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum cpucompat_status {
    /// Success.
    CPUCOMPAT_OK = 0,
    /// An input could not be read.
    CPUCOMPAT_EIO = -1,
    /// An input is not what it should be: malformed XML or text (including bytes that are
    /// not UTF-8), too large, an unexpected form.
    CPUCOMPAT_ESYNTAX = -2,
    /// A model, feature, vendor or compat-mode name the catalog does not know.
    CPUCOMPAT_EUNKNOWN_NAME = -3,
    /// A definition that cannot be used as given.
    CPUCOMPAT_EINVALID = -4,
    /// The inputs have no common answer (a baseline of incompatible CPUs).
    CPUCOMPAT_ENO_ANSWER = -5,
    /// The architecture, or the chosen catalog, has no such operation or option.
    CPUCOMPAT_EUNSUPPORTED = -6,
    /// A catalog (cpu_map directory, table) is broken.
    CPUCOMPAT_ECATALOG = -7,
    /// An argument is wrong: an unknown architecture, QEMU release, format or flag.
    CPUCOMPAT_EARGUMENT = -8,
    /// A pointer argument that must not be null is null.
    CPUCOMPAT_ENULL = -9,
    /// A NUL-terminated string argument (a name, an option) is not UTF-8.
    CPUCOMPAT_EUTF8 = -10,
    /// An internal error: a panic was caught at the boundary (please report it).
    CPUCOMPAT_EINTERNAL = -11,
}

impl cpucompat_status {
    /// The library error kind's code.
    pub(crate) fn of(kind: cpucompat::ErrorKind) -> cpucompat_status {
        use cpucompat::ErrorKind as K;
        match kind {
            K::Io => cpucompat_status::CPUCOMPAT_EIO,
            K::Syntax => cpucompat_status::CPUCOMPAT_ESYNTAX,
            K::UnknownName => cpucompat_status::CPUCOMPAT_EUNKNOWN_NAME,
            K::Invalid => cpucompat_status::CPUCOMPAT_EINVALID,
            K::NoAnswer => cpucompat_status::CPUCOMPAT_ENO_ANSWER,
            K::Unsupported => cpucompat_status::CPUCOMPAT_EUNSUPPORTED,
            K::Catalog => cpucompat_status::CPUCOMPAT_ECATALOG,
            K::Argument => cpucompat_status::CPUCOMPAT_EARGUMENT,
            // A kind added to the library later reads as "invalid" until it has a code.
            _ => cpucompat_status::CPUCOMPAT_EINVALID,
        }
    }

    /// The kind as one lowercase word (`syntax`, `null`, `internal` ...), as a C string.
    pub(crate) fn word(self) -> &'static std::ffi::CStr {
        use cpucompat_status as S;
        match self {
            S::CPUCOMPAT_OK => c"ok",
            S::CPUCOMPAT_EIO => c"io",
            S::CPUCOMPAT_ESYNTAX => c"syntax",
            S::CPUCOMPAT_EUNKNOWN_NAME => c"unknown-name",
            S::CPUCOMPAT_EINVALID => c"invalid",
            S::CPUCOMPAT_ENO_ANSWER => c"no-answer",
            S::CPUCOMPAT_EUNSUPPORTED => c"unsupported",
            S::CPUCOMPAT_ECATALOG => c"catalog",
            S::CPUCOMPAT_EARGUMENT => c"argument",
            S::CPUCOMPAT_ENULL => c"null",
            S::CPUCOMPAT_EUTF8 => c"utf8",
            S::CPUCOMPAT_EINTERNAL => c"internal",
        }
    }
}

/// A failure of the interface, before it is stored: the code and the library's fields.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: cpucompat_status,
    pub(crate) message: String,
    pub(crate) file: Option<String>,
    pub(crate) line: u32,
    pub(crate) column: u32,
}

impl Failure {
    /// A failure of the interface's own (null, UTF-8, argument, internal), about no input.
    pub(crate) fn new(code: cpucompat_status, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            file: None,
            line: 0,
            column: 0,
        }
    }

    /// The one-line text: `FILE:LINE:COL: message`, with what is known.
    fn text(&self) -> String {
        match (&self.file, self.line, self.column) {
            (None, ..) => self.message.clone(),
            (Some(f), 0, _) => format!("{f}: {}", self.message),
            (Some(f), l, 0) => format!("{f}:{l}: {}", self.message),
            (Some(f), l, c) => format!("{f}:{l}:{c}: {}", self.message),
        }
    }
}

impl From<cpucompat::Error> for Failure {
    fn from(e: cpucompat::Error) -> Failure {
        Failure {
            code: cpucompat_status::of(e.kind()),
            message: e.message().to_string(),
            file: e.file().map(str::to_string),
            line: e.line(),
            column: e.column(),
        }
    }
}

/// The details of the last failure on the calling thread (see [`crate::cpucompat_error_last`]).
///
/// Every string is NUL-terminated UTF-8 owned by the library; `file` is null when the error
/// is about no input in particular. `line` and `column` are 1-based, 0 when unknown.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug)]
pub struct cpucompat_error {
    /// The status the failing call returned.
    pub code: cpucompat_status,
    /// The kind as one lowercase word: `io`, `syntax`, `unknown-name`, `invalid`,
    /// `no-answer`, `unsupported`, `catalog`, `argument`, `null`, `utf8`, `internal`.
    pub kind: *const c_char,
    /// What went wrong, without the input's name and position.
    pub message: *const c_char,
    /// The input the error is about, as the caller named it; null when none.
    pub file: *const c_char,
    /// The 1-based line in that input (0 when unknown).
    pub line: u32,
    /// The 1-based column in that line (0 when unknown).
    pub column: u32,
    /// The whole error on one line: `FILE:LINE:COL: message`.
    pub text: *const c_char,
}

/// A stored error: the strings the public struct points into, kept alive with it.
struct Stored {
    public: cpucompat_error,
    _message: CString,
    _file: Option<CString>,
    _text: CString,
}

thread_local! {
    static LAST: RefCell<Option<Box<Stored>>> = const { RefCell::new(None) };
}

/// A C string of `s`; a NUL byte inside (which only hostile input can put in a message)
/// reads as `\0`.
pub(crate) fn c_string(s: &str) -> CString {
    owned_c_string(s.to_string())
}

/// [`c_string`] of an owned string, reusing its buffer when it holds no NUL byte.
pub(crate) fn owned_c_string(s: String) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let s = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\\0");
        CString::new(s).unwrap_or_default()
    })
}

/// Stores `f` as the calling thread's last error and returns its code.
pub(crate) fn set_last(f: Failure) -> cpucompat_status {
    let message = c_string(&f.message);
    let file = f.file.as_deref().map(c_string);
    let text = c_string(&f.text());
    // The heap buffers of the CStrings do not move when the CStrings are moved into
    // `Stored`, so the pointers taken here stay valid as long as the `Stored` lives.
    let public = cpucompat_error {
        code: f.code,
        kind: f.code.word().as_ptr(),
        message: message.as_ptr(),
        file: file.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
        line: f.line,
        column: f.column,
        text: text.as_ptr(),
    };
    let stored = Box::new(Stored {
        public,
        _message: message,
        _file: file,
        _text: text,
    });
    LAST.with(|l| *l.borrow_mut() = Some(stored));
    f.code
}

/// A pointer to the calling thread's last error, or null.
pub(crate) fn last() -> *const cpucompat_error {
    LAST.with(|l| {
        l.borrow()
            .as_ref()
            .map_or(std::ptr::null(), |s| &s.public as *const cpucompat_error)
    })
}

/// Forgets the calling thread's last error.
pub(crate) fn clear() {
    LAST.with(|l| *l.borrow_mut() = None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_name_what_they_know() {
        let f = |file: Option<&str>, line, column| Failure {
            code: cpucompat_status::CPUCOMPAT_ESYNTAX,
            message: "bad".into(),
            file: file.map(str::to_string),
            line,
            column,
        };
        assert_eq!(f(Some("a.xml"), 3, 7).text(), "a.xml:3:7: bad");
        assert_eq!(f(Some("a.xml"), 3, 0).text(), "a.xml:3: bad");
        assert_eq!(f(Some("a.xml"), 0, 0).text(), "a.xml: bad");
        assert_eq!(f(None, 3, 7).text(), "bad");
    }

    #[test]
    fn nul_bytes_in_messages_are_shown_not_cut() {
        assert_eq!(c_string("a\0b").to_bytes(), b"a\\0b");
    }

    #[test]
    fn every_kind_has_its_code() {
        use cpucompat::ErrorKind as K;
        let codes: Vec<i32> = [
            K::Io,
            K::Syntax,
            K::UnknownName,
            K::Invalid,
            K::NoAnswer,
            K::Unsupported,
            K::Catalog,
            K::Argument,
        ]
        .into_iter()
        .map(|k| cpucompat_status::of(k) as i32)
        .collect();
        assert_eq!(codes, [-1, -2, -3, -4, -5, -6, -7, -8]);
        for k in [K::Io, K::Syntax, K::UnknownName, K::NoAnswer, K::Argument] {
            assert_eq!(
                cpucompat_status::of(k).word().to_str().unwrap_or(""),
                k.as_str()
            );
        }
    }
}
