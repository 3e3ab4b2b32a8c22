//! QEMU's JSON parser: the tokens of one message ([`crate::reader`]) into a [`QObject`].
//!
//! Rules (QEMU 7.2, observed). Only the first error counts; every message reads
//! `JSON parse error, ...`:
//!
//! ```text
//! value    { → object, [ → list, string, integer, float, keyword
//!          true/false/null, any other word   "invalid keyword 'W'"
//!          anything else (} ] : , or none)    "expecting value"
//! object   {} , or pairs separated by ,       after a pair, not , or }: "expected separator in dict"
//! pair     key = a value                      a value that is not a string: "key is not a string in object"
//!          then :                             "missing : in object pair"
//!          then a value, then the key must be new: "duplicate key"
//! list     [] , or values separated by ,      after a value, not , or ]: "expected separator in list"
//! ```
//!
//! Strings, in double or single quotes, are read byte by byte:
//!
//! ```text
//! \" \' \\ \/ \b \f \n \r \t   the character
//! \uXXXX                       4 hex digits (either case), else "\uABCD is not a valid Unicode
//!                              character" with the 4 bytes after \u as they are
//! \uD800-\uDBFF + \uDC00-\uDFFF  one character beyond U+FFFF; a lead surrogate without a
//!                              trail one is refused with its own 4 digits
//! a code point that is a surrogate or a noncharacter (U+FDD0..U+FDEF, U+xxFFFE/F):
//!                              "\uABCD is not a valid Unicode character" (a pair: "\uABCD\uEF01")
//! \ and anything else          "invalid escape sequence in string"
//! other bytes                  one UTF-8 sequence by QEMU's rules (crate::utf8; C0 80 is
//!                              U+0000), else "invalid UTF-8 sequence in string"
//! ```
//!
//! `\u0000` is accepted (a string may hold U+0000). Numbers follow [`crate::qobject`].
//! The streamer hands on only messages that end where a value ends or a closer does not
//! match, so the parser never sees tokens after a complete value.
use crate::qobject::QObject;
use crate::reader::{Kind, Tokens};
use crate::{utf8, QmpError};
use std::collections::HashSet;

/// Parses one message's tokens as QEMU does.
///
/// # Errors
/// A `GenericError` [`QmpError`] "JSON parse error, ..." with the first rule the tokens
/// break (see the module documentation: "expecting value", "invalid keyword 'W'",
/// "duplicate key", an invalid escape, surrogate or UTF-8 sequence, ...).
pub fn parse(tokens: Tokens<'_>) -> Result<QObject, QmpError> {
    let mut p = Parser { tokens, pos: 0 };
    p.value()
        .map_err(|m| QmpError::generic(format!("JSON parse error, {m}")))
}

struct Parser<'a> {
    tokens: Tokens<'a>,
    pos: usize,
}

type Res<T> = Result<T, String>;

impl<'a> Parser<'a> {
    fn next(&mut self) -> Option<(Kind, &'a [u8])> {
        let t = self.tokens.get(self.pos);
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn peek(&self) -> Option<Kind> {
        self.tokens.get(self.pos).map(|t| t.0)
    }

    fn value(&mut self) -> Res<QObject> {
        let Some((kind, text)) = self.next() else {
            return Err("expecting value".into());
        };
        match kind {
            Kind::LCurly => self.object(),
            Kind::LSquare => self.list(),
            Kind::String => string(text).map(QObject::Str),
            Kind::Integer => Ok(integer(text)),
            Kind::Float => Ok(QObject::Double(float(text))),
            Kind::Keyword => match text {
                b"true" => Ok(QObject::Bool(true)),
                b"false" => Ok(QObject::Bool(false)),
                b"null" => Ok(QObject::Null),
                // Keywords are lowercase ASCII.
                w => Err(format!("invalid keyword '{}'", String::from_utf8_lossy(w))),
            },
            _ => Err("expecting value".into()),
        }
    }

    fn object(&mut self) -> Res<QObject> {
        let mut members: Vec<(String, QObject)> = Vec::new();
        let mut keys: HashSet<String> = HashSet::new();
        if self.peek() == Some(Kind::RCurly) {
            self.pos += 1;
            return Ok(QObject::Dict(members));
        }
        loop {
            let key = match self.value()? {
                QObject::Str(k) => k,
                _ => return Err("key is not a string in object".into()),
            };
            if self.next().map(|t| t.0) != Some(Kind::Colon) {
                return Err("missing : in object pair".into());
            }
            let v = self.value()?;
            if !keys.insert(key.clone()) {
                return Err("duplicate key".into());
            }
            members.push((key, v));
            match self.next().map(|t| t.0) {
                Some(Kind::Comma) => {}
                Some(Kind::RCurly) => return Ok(QObject::Dict(members)),
                _ => return Err("expected separator in dict".into()),
            }
        }
    }

    fn list(&mut self) -> Res<QObject> {
        let mut items = Vec::new();
        if self.peek() == Some(Kind::RSquare) {
            self.pos += 1;
            return Ok(QObject::List(items));
        }
        loop {
            items.push(self.value()?);
            match self.next().map(|t| t.0) {
                Some(Kind::Comma) => {}
                Some(Kind::RSquare) => return Ok(QObject::List(items)),
                _ => return Err("expected separator in list".into()),
            }
        }
    }
}

/// An integer literal: i64, else u64 (non-negative), else a double.
fn integer(text: &[u8]) -> QObject {
    // The lexer made it ASCII digits with an optional '-'.
    let s = std::str::from_utf8(text).unwrap_or("0");
    if let Ok(i) = s.parse::<i64>() {
        QObject::Int(i)
    } else if let Ok(u) = s.parse::<u64>() {
        QObject::Uint(u)
    } else {
        QObject::Double(float(text))
    }
}

/// A number literal as a double (correctly rounded; ±inf beyond range).
fn float(text: &[u8]) -> f64 {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0)
}

/// The 4 bytes after a `\u` as QEMU prints them (fewer at the end of the token).
fn four(b: &[u8]) -> String {
    utf8::lossy(&b[..b.len().min(4)])
}

/// Four hex digits, if they are.
fn hex4(b: &[u8]) -> Option<u32> {
    let d = b.get(..4)?;
    d.iter().try_fold(0u32, |acc, &c| {
        char::from(c).to_digit(16).map(|v| acc * 16 + v)
    })
}

/// A string token's value.
fn string(token: &[u8]) -> Res<String> {
    // The token is quote, body, quote.
    let body = &token[1..token.len().saturating_sub(1).max(1)];
    // The closing quote stays visible to `\u` messages, as in QEMU's token text.
    let with_quote = &token[1..];
    let mut out = String::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if b != b'\\' {
            let (cp, n) = utf8::decode(&body[i..]);
            match cp.and_then(char::from_u32) {
                Some(c) => out.push(c),
                None => return Err("invalid UTF-8 sequence in string".into()),
            }
            i += n;
            continue;
        }
        let Some(&e) = body.get(i + 1) else {
            return Err("invalid escape sequence in string".into());
        };
        i += 2;
        let c = match e {
            b'"' => '"',
            b'\'' => '\'',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let rest = &with_quote[i..];
                let Some(mut cp) = hex4(rest) else {
                    return Err(format!(
                        "\\u{} is not a valid Unicode character",
                        four(rest)
                    ));
                };
                let mut shown = format!("\\u{}", four(rest));
                i += 4;
                if (0xD800..=0xDBFF).contains(&cp) && body[i..].starts_with(b"\\u") {
                    if let Some(trail @ 0xDC00..=0xDFFF) = hex4(&body[i + 2..]) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (trail - 0xDC00);
                        shown.push_str(&format!("\\u{}", four(&body[i + 2..])));
                        i += 6;
                    }
                }
                match char::from_u32(cp).filter(|_| utf8::is_valid(cp)) {
                    Some(c) => c,
                    None => return Err(format!("{shown} is not a valid Unicode character")),
                }
            }
            _ => return Err("invalid escape sequence in string".into()),
        };
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::{Message, Reader, Sink};
    use std::ops::ControlFlow;

    struct First(Option<Result<QObject, String>>);

    impl Sink for First {
        fn quick(&mut self, _: &str) -> Option<ControlFlow<()>> {
            None
        }
        fn message(&mut self, m: Message<'_>) -> ControlFlow<()> {
            self.0 = Some(match m {
                Message::Value(tokens) => parse(tokens).map_err(|e| e.desc),
                Message::Error(e) => Err(e.desc),
            });
            ControlFlow::Break(())
        }
    }

    /// Parses the first message of `text`.
    fn p(text: &[u8]) -> Result<QObject, String> {
        let mut input = text.to_vec();
        input.push(b'\n');
        let mut first = First(None);
        let _ = Reader::new().feed(&input, &mut first);
        first.0.unwrap_or(Err("no message".into()))
    }

    fn err(m: &str) -> Result<QObject, String> {
        Err(format!("JSON parse error, {m}"))
    }

    fn s(v: &str) -> Result<QObject, String> {
        Ok(QObject::Str(v.into()))
    }

    /// Each message as QEMU 7.2 answered it.
    #[test]
    fn structure_errors_are_qemus() {
        let cases: [(&[u8], Result<QObject, String>); 16] = [
            (b"{\"a\":}", err("expecting value")),
            (b"{\"a\" \"x\"}", err("missing : in object pair")),
            (b"nonsense", err("invalid keyword 'nonsense'")),
            (b"}", err("expecting value")),
            (b"[1,]", err("expecting value")),
            (b"{\"a\":1,}", err("expecting value")),
            (b"{,}", err("expecting value")),
            (b"{1:2}", err("key is not a string in object")),
            (b"{null:1}", err("key is not a string in object")),
            (b"{nul:1}", err("invalid keyword 'nul'")),
            (b"{\"a\":1 \"b\":2}", err("expected separator in dict")),
            (b"[1 2]", err("expected separator in list")),
            (b"[1}", err("expected separator in list")),
            (b"{\"a\":1,\"a\":2 3}", err("duplicate key")),
            (b"{\"a\":1,\"a\":}", err("expecting value")),
            (b"{\"a\":1,\"a\" 2}", err("missing : in object pair")),
        ];
        for (text, want) in cases {
            assert_eq!(p(text), want, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn strings_follow_qemus_escape_and_utf8_rules() {
        let cases: [(&[u8], Result<QObject, String>); 22] = [
            (
                b"\"\\uffff\"",
                err("\\uffff is not a valid Unicode character"),
            ),
            (
                b"\"\\ufdd0\"",
                err("\\ufdd0 is not a valid Unicode character"),
            ),
            (
                b"\"\\ud800\"",
                err("\\ud800 is not a valid Unicode character"),
            ),
            (
                b"\"\\udc00\"",
                err("\\udc00 is not a valid Unicode character"),
            ),
            (
                b"\"\\ud83d\\uzzzz\"",
                err("\\ud83d is not a valid Unicode character"),
            ),
            (
                b"\"\\ud83d\\u0041\"",
                err("\\ud83d is not a valid Unicode character"),
            ),
            (
                b"\"\\udbff\\udfff\"",
                err("\\udbff\\udfff is not a valid Unicode character"),
            ),
            (
                b"\"\\u12\"",
                err("\\u12\" is not a valid Unicode character"),
            ),
            (b"'\\u1'", err("\\u1' is not a valid Unicode character")),
            (
                b"\"\\u123\xc3\xa9\"",
                err("\\u123\u{FFFD} is not a valid Unicode character"),
            ),
            (
                b"\"\\u12g4\"",
                err("\\u12g4 is not a valid Unicode character"),
            ),
            (b"\"\\x\"", err("invalid escape sequence in string")),
            (b"\"\\\x7f\"", err("invalid escape sequence in string")),
            (b"\"\xc3\x28\"", err("invalid UTF-8 sequence in string")),
            (b"\"\xef\xbf\xbf\"", err("invalid UTF-8 sequence in string")),
            (b"\"\xe0\x80\x80\"", err("invalid UTF-8 sequence in string")),
            (b"\"\xc0\x80\"", s("\0")),
            (b"\"\\u0000\"", s("\0")),
            (b"\"\\uD83D\\uDe00\"", s("\u{1F600}")),
            (
                b"\"\\'\\/\\b\\f\\n\\r\\t\\\"\\\\\"",
                s("'/\u{8}\u{c}\n\r\t\"\\"),
            ),
            (b"'b\"c\\''", s("b\"c'")),
            (b"\"\x7f\xf4\x8f\xbf\xbd\"", s("\u{7f}\u{10FFFD}")),
        ];
        for (text, want) in cases {
            assert_eq!(p(text), want, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn numbers_take_qemus_types() {
        let n = |t: &[u8]| p(t).unwrap();
        assert_eq!(n(b"-0"), QObject::Int(0));
        assert_eq!(n(b"-9223372036854775808"), QObject::Int(i64::MIN));
        assert_eq!(n(b"18446744073709551615"), QObject::Uint(u64::MAX));
        assert_eq!(
            n(b"18446744073709551616"),
            QObject::Double(1.8446744073709552e19)
        );
        assert_eq!(
            n(b"-9223372036854775809"),
            QObject::Double(-(2f64.powi(63)))
        );
        assert_eq!(n(b"1e400"), QObject::Double(f64::INFINITY));
        assert_eq!(n(b"1E+5"), QObject::Double(1e5));
        assert_eq!(n(b"1e-400"), QObject::Double(0.0));
    }
}
