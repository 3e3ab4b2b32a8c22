//! QEMU's dictionary order and JSON text, so replies match QEMU's byte for byte.
//!
//! QEMU keeps JSON objects in a `QDict`: a hash table of 512 buckets, each a list with the
//! newest entry first. Iteration (and so both the order in which `props` are applied and
//! the key order of every reply object) is: buckets ascending, newest entry first within a
//! bucket. The bucket of a key is
//!
//! ```text
//! h = 0x238F13AF * len(key)
//! for each byte c at position i: h += c << (i * 5 % 24)          (32-bit wrapping)
//! bucket = (1103515243 * h + 12345) mod 2^32 mod 512
//! ```
//!
//! over the key's bytes as QEMU stores them (modified UTF-8: U+0000 is `C0 80`).
//!
//! Replies are written as QEMU writes them: `{"key": value, ...}` with `": "` and `", "`,
//! non-ASCII and control characters escaped as `\uXXXX`.
use serde_json::Value;
use std::fmt::Write;

const BUCKETS: u32 = 512;

/// The bucket of a key in QEMU's `QDict`, hashed over the key's modified UTF-8 bytes
/// (U+0000 as `C0 80`, see [`crate::utf8`]).
pub fn bucket(key: &str) -> u32 {
    let b = key.as_bytes();
    let mut v: u32 = 0x238F_13AFu32.wrapping_mul(b.len() as u32);
    for (i, &c) in b.iter().enumerate() {
        if c == 0 {
            let modified: Vec<u8> = crate::utf8::modified_bytes(key).collect();
            return bucket_of(&modified);
        }
        v = v.wrapping_add((c as u32) << ((i * 5) % 24));
    }
    finish(v)
}

fn bucket_of(b: &[u8]) -> u32 {
    let mut v: u32 = 0x238F_13AFu32.wrapping_mul(b.len() as u32);
    for (i, &c) in b.iter().enumerate() {
        v = v.wrapping_add((c as u32) << ((i * 5) % 24));
    }
    finish(v)
}

fn finish(v: u32) -> u32 {
    1_103_515_243u32.wrapping_mul(v).wrapping_add(12345) % BUCKETS
}

/// Reorders keys given in insertion order into QEMU's iteration order. A key inserted
/// twice keeps its first position (QEMU replaces the value in place).
pub fn order<K: AsRef<str>>(inserted: Vec<K>) -> Vec<K> {
    let keep: Vec<bool> = if inserted.len() <= 16 {
        (0..inserted.len())
            .map(|i| {
                !inserted[..i]
                    .iter()
                    .any(|k| k.as_ref() == inserted[i].as_ref())
            })
            .collect()
    } else {
        let mut seen = std::collections::HashSet::with_capacity(inserted.len());
        inserted.iter().map(|k| seen.insert(k.as_ref())).collect()
    };
    let mut v: Vec<(u32, usize, K)> = inserted
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep[*i])
        .map(|(i, k)| (bucket(k.as_ref()), i, k))
        .collect();
    v.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    v.into_iter().map(|(_, _, k)| k).collect()
}

/// The positions of distinct keys (given in insertion order) in QEMU's iteration order:
/// buckets ascending, newest first within a bucket.
pub fn order_indices(keys: &[&str]) -> Vec<usize> {
    let mut v: Vec<(u32, usize)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (bucket(k), i))
        .collect();
    v.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    v.into_iter().map(|(_, i)| i).collect()
}

/// Builds a JSON object whose key order is QEMU's, from entries in insertion order.
pub fn object(entries: Vec<(String, Value)>) -> Value {
    let mut values: std::collections::HashMap<String, Value> = Default::default();
    let mut keys = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        if !values.contains_key(&k) {
            keys.push(k.clone());
        }
        values.insert(k, v);
    }
    let mut map = serde_json::Map::new();
    for k in order(keys) {
        if let Some(v) = values.remove(&k) {
            map.insert(k, v);
        }
    }
    Value::Object(map)
}

/// Writes an object from `(key, rendered JSON value)` entries given in insertion order
/// (keys unique), keys in QEMU's order: the fast path for replies.
pub fn write_object(out: &mut String, entries: &[(&str, &str)]) {
    let mut idx: Vec<(u32, usize)> = entries
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (bucket(k), i))
        .collect();
    idx.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    out.push('{');
    for (n, (_, i)) in idx.iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        let (k, v) = entries[*i];
        write_string(out, k);
        out.push_str(": ");
        out.push_str(v);
    }
    out.push('}');
}

/// [`write_object`] into a new string.
pub fn object_text(entries: &[(&str, &str)]) -> String {
    let mut s = String::new();
    write_object(&mut s, entries);
    s
}

/// Renders a list of strings.
pub fn list_text(items: &[&str]) -> String {
    let mut out = String::with_capacity(items.len() * 12 + 2);
    out.push('[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_string(&mut out, x);
    }
    out.push(']');
    out
}

/// Renders one string.
pub fn string_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_string(&mut out, s);
    out
}

/// Writes a value as QEMU's QMP monitor does (object keys in the value's own order).
pub fn to_text(v: &Value) -> String {
    let mut s = String::new();
    write_value(&mut s, v);
    s
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_string(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, x);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, k);
                out.push_str(": ");
                write_value(out, x);
            }
            out.push('}');
        }
    }
}

/// Writes one string as QEMU does: `\"`, `\\`, `\b \f \n \r \t`, printable ASCII as
/// itself, every other character as `\uXXXX` (uppercase hex; a UTF-16 surrogate pair beyond
/// U+FFFF).
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (' '..'\u{7f}').contains(&c) => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{u:04X}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_reproduce_an_observed_qemu_reply_order() {
        // Key order of QEMU 7.2's `query-version` reply and of a comparison reply.
        let keys = order(vec!["major", "minor", "micro"]);
        assert_eq!(keys, vec!["micro", "minor", "major"]);
        let keys = order(vec!["result", "responsible-properties"]);
        assert_eq!(keys, vec!["result", "responsible-properties"]);
    }

    #[test]
    fn text_matches_qemu_spacing_and_escapes() {
        let v = serde_json::json!({"a": [1, true, null], "b": {}, "c": "x\u{0}é"});
        assert_eq!(
            to_text(&v),
            r#"{"a": [1, true, null], "b": {}, "c": "x\u0000\u00E9"}"#
        );
    }
}
