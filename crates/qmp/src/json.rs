//! QEMU's JSON, as its QMP parser reads one request line.
//!
//! Rules (QEMU 7.2's parser, observed):
//!
//! 1. a line is one JSON value; anything after it is an error;
//! 2. strings may be in single quotes (`'a'`, with `\'` inside); they read as if in double
//!    quotes;
//! 3. an object that names a key twice is refused: `JSON parse error, duplicate key`;
//! 4. errors read `JSON parse error, ...`: `missing : in object pair`, `invalid keyword 'w'`
//!    for a bare word where a value belongs, else `expecting value`.
//!
//! The strict reader runs first; only when it fails and the line holds a `'` is the line
//! requoted and read again, so well-formed double-quoted input costs one pass.
use crate::QmpError;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Parses one line of JSON as QEMU's parser would accept it (QEMU also takes strings in
/// single quotes); errors carry QEMU's text.
pub fn parse_json(line: &str) -> Result<Value, QmpError> {
    let strict = |text: &str| {
        let mut de = serde_json::Deserializer::from_str(text);
        <StrictValue as serde::Deserialize>::deserialize(&mut de)
            .and_then(|v| de.end().map(|_| v.0))
    };
    match strict(line) {
        Ok(v) => Ok(v),
        Err(e) => match requote(line).map(|l| strict(&l)) {
            Some(Ok(v)) => Ok(v),
            _ => Err(json_error(line, &e)),
        },
    }
}

/// Rewrites single-quoted strings as double-quoted ones; `None` when there are none.
fn requote(line: &str) -> Option<String> {
    if !line.contains('\'') {
        return None;
    }
    let mut out = String::with_capacity(line.len() + 8);
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                while let Some(d) = chars.next() {
                    out.push(d);
                    match d {
                        '\\' => out.push(chars.next()?),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '\'' => {
                out.push('"');
                loop {
                    match chars.next()? {
                        '\\' => match chars.next()? {
                            '\'' => out.push('\''),
                            e => {
                                out.push('\\');
                                out.push(e);
                            }
                        },
                        '"' => out.push_str("\\\""),
                        '\'' => break,
                        d => out.push(d),
                    }
                }
                out.push('"');
            }
            c => out.push(c),
        }
    }
    Some(out)
}

fn json_error(line: &str, e: &serde_json::Error) -> QmpError {
    let msg = e.to_string();
    if msg.starts_with("duplicate key") {
        return QmpError::generic("JSON parse error, duplicate key");
    }
    if msg.starts_with("expected `:`") {
        return QmpError::generic("JSON parse error, missing : in object pair");
    }
    // A bare word where a value belongs: QEMU names the keyword.
    // serde_json's column counts bytes; step back to a character boundary.
    let mut start = e.column().saturating_sub(1).min(line.len());
    while !line.is_char_boundary(start) {
        start -= 1;
    }
    let word_start = line[..start]
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_ascii_alphanumeric())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word: String = line[word_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    if !word.is_empty()
        && word.starts_with(|c: char| c.is_ascii_alphabetic())
        && !["true", "false", "null"].contains(&word.as_str())
    {
        return QmpError::generic(format!("JSON parse error, invalid keyword '{word}'"));
    }
    QmpError::generic("JSON parse error, expecting value")
}

/// A JSON value that refuses duplicate object keys, as QEMU's parser does.
struct StrictValue(Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::new();
        while let Some(StrictValue(x)) = seq.next_element()? {
            v.push(x);
        }
        Ok(Value::Array(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let StrictValue(v) = map.next_value()?;
            if m.insert(k, v).is_some() {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(Value::Object(m))
    }
}
