//! Byte-level helpers shared by the scanner and the element readers: positions, XML
//! names, and the decoding of attribute values and character data.
//!
//! **Positions.** A [`Tracker`] is a running 1-based line and column. Advancing over a
//! slice costs one pass: the lines are the `\n` bytes, and after the last `\n` the column
//! counts characters, i.e. bytes that are not UTF-8 continuation bytes (`10xxxxxx`).
//! Both counts are branch-free loops the compiler vectorizes, so tracking every token of
//! a document is linear in its length.
//!
//! **Decoding** (XML 1.0 §2.11, §3.3.3, with roxmltree's treatment of references):
//! * character data: a literal `\r\n` or lone `\r` becomes `\n`; `&lt; &gt; &amp; &apos;
//!   &quot;` and character references give their character unchanged (a `&#13;` stays a
//!   carriage return; as in roxmltree, so do a literal `\r` directly before a reference
//!   and the literal byte right after one);
//! * attribute values: a literal `\t`, `\n` or `\r` becomes a space (`\r\n` one space);
//!   references give their character unchanged, so `&#10;` keeps a newline.
//!
//! References were checked by the scanner before any decoding, so decoding trusts them.
use crate::model::Pos;

/// A running line/column position.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tracker {
    line: u32,
    col: u32,
}

/// Lines and characters of a slice: (`\n` count, characters after the last `\n` or in
/// the whole slice when there is none, whether there was a `\n`).
fn count(bytes: &[u8]) -> (usize, usize, bool) {
    match memchr::memrchr(b'\n', bytes) {
        None => (0, chars(bytes), false),
        Some(last) => {
            let lines = bytes[..=last].iter().filter(|&&b| b == b'\n').count();
            (lines, chars(&bytes[last + 1..]), true)
        }
    }
}

/// Characters in a slice of UTF-8: the bytes that are not continuation bytes.
fn chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

impl Tracker {
    pub(crate) fn start() -> Tracker {
        Tracker { line: 1, col: 1 }
    }

    pub(crate) fn pos(self) -> Pos {
        Pos {
            line: self.line,
            column: self.col,
        }
    }

    /// Moves past `bytes` (columns count characters).
    pub(crate) fn advance(&mut self, bytes: &[u8]) {
        let (lines, cols, newline) = count(bytes);
        let cols = u32::try_from(cols).unwrap_or(u32::MAX);
        if newline {
            self.line = self
                .line
                .saturating_add(u32::try_from(lines).unwrap_or(u32::MAX));
            self.col = cols.saturating_add(1);
        } else {
            self.col = self.col.saturating_add(cols);
        }
    }

    /// Moves past `n` bytes that are ASCII and hold no newline.
    pub(crate) fn columns(&mut self, n: usize) {
        self.col = self
            .col
            .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
    }

    /// Moves past ASCII bytes holding `lines` newlines, the last one `after` bytes from
    /// the end (so the column becomes `after`).
    pub(crate) fn lines(&mut self, lines: u32, after: usize) {
        self.line = self.line.saturating_add(lines);
        self.col = u32::try_from(after).unwrap_or(u32::MAX);
    }

    /// The position `off` bytes further on.
    pub(crate) fn at(mut self, bytes: &[u8], off: usize) -> Pos {
        self.advance(&bytes[..off.min(bytes.len())]);
        self.pos()
    }
}

/// The position `off` bytes after `base`, through `bytes` (which start at `base`).
pub(crate) fn pos_after(base: Pos, bytes: &[u8], off: usize) -> Pos {
    Tracker {
        line: base.line,
        col: base.column,
    }
    .at(bytes, off)
}

pub(crate) fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80
}

pub(crate) fn is_name_char(b: u8) -> bool {
    is_name_start(b) || b.is_ascii_digit() || b == b'-' || b == b'.'
}

/// Reads a name at `s[i..]` (bytewise: any byte ≥ 0x80 is a name byte); returns its end.
pub(crate) fn name_end(s: &[u8], i: usize) -> usize {
    let mut j = i;
    if j < s.len() && is_name_start(s[j]) {
        j += 1;
        while j < s.len() && is_name_char(s[j]) {
            j += 1;
        }
    }
    j
}

/// Whether a name (already valid bytewise) is an XML 1.0 `Name` character by character:
/// non-ASCII characters must lie in the `NameStartChar`/`NameChar` ranges.
pub(crate) fn is_xml_name(name: &str) -> bool {
    if name.is_ascii() {
        return true;
    }
    let start = |c: char| {
        c.is_ascii_alphabetic()
            || c == '_'
            || c == ':'
            || matches!(c as u32,
                0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x2FF | 0x370..=0x37D | 0x37F..=0x1FFF
                | 0x200C..=0x200D | 0x2070..=0x218F | 0x2C00..=0x2FEF | 0x3001..=0xD7FF
                | 0xF900..=0xFDCF | 0xFDF0..=0xFFFD | 0x10000..=0xEFFFF)
    };
    let rest = |c: char| {
        start(c)
            || c.is_ascii_digit()
            || c == '-'
            || c == '.'
            || matches!(c as u32, 0xB7 | 0x300..=0x36F | 0x203F..=0x2040)
    };
    let mut it = name.chars();
    it.next().is_some_and(start) && it.all(rest)
}

/// The first character that XML 1.0 does not allow (a control character other than tab,
/// newline and carriage return, or U+FFFE/U+FFFF) in UTF-8 `bytes`: its offset and value.
pub(crate) fn non_xml_char(bytes: &[u8]) -> Option<(usize, u32)> {
    let suspicious = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF;
    if !bytes.iter().any(|&b| suspicious(b)) {
        return None;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') {
            return Some((i, u32::from(b)));
        }
        if b == 0xEF && bytes.get(i + 1) == Some(&0xBF) {
            if let Some(&c @ (0xBE | 0xBF)) = bytes.get(i + 2) {
                return Some((i, 0xFFC0 + u32::from(c & 0x3F)));
            }
        }
        i += 1;
    }
    None
}

/// The character a checked reference body (between `&` and `;`) stands for.
fn reference(body: &[u8]) -> Option<char> {
    match body {
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"amp" => Some('&'),
        b"apos" => Some('\''),
        b"quot" => Some('"'),
        [b'#', b'x', hex @ ..] => std::str::from_utf8(hex)
            .ok()
            .and_then(|s| u32::from_str_radix(s, 16).ok())
            .and_then(char::from_u32),
        [b'#', dec @ ..] => std::str::from_utf8(dec)
            .ok()
            .and_then(|s| s.parse::<u32>().ok())
            .and_then(char::from_u32),
        _ => None,
    }
}

/// Splits `s` at its first reference: (literal bytes before it, its character, the rest).
fn next_reference(s: &[u8]) -> Option<(&[u8], char, &[u8])> {
    let amp = memchr::memchr(b'&', s)?;
    let semi = memchr::memchr(b';', &s[amp..])? + amp;
    let c = reference(&s[amp + 1..semi]).unwrap_or(char::REPLACEMENT_CHARACTER);
    Some((&s[..amp], c, &s[semi + 1..]))
}

/// Appends UTF-8 bytes known to be valid to a string.
fn push_bytes(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(s) => out.push_str(s),
        // The scanner validated every token; a split inside a character cannot happen
        // because splits are at ASCII bytes.
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// Appends a decoded attribute value.
pub(crate) fn push_attr_value(out: &mut String, raw: &[u8]) {
    if memchr::memchr3(b'&', b'\t', b'\n', raw).is_none() && memchr::memchr(b'\r', raw).is_none() {
        push_bytes(out, raw);
        return;
    }
    let mut rest = raw;
    loop {
        let (lit, c, tail) = match next_reference(rest) {
            Some((lit, c, tail)) => (lit, Some(c), tail),
            None => (rest, None, &[][..]),
        };
        let mut start = 0;
        for (i, &b) in lit.iter().enumerate() {
            if matches!(b, b'\t' | b'\n' | b'\r') {
                push_bytes(out, &lit[start..i]);
                start = i + 1;
                // `\r\n` is one line end, hence one space.
                if !(b == b'\r' && lit.get(i + 1) == Some(&b'\n')) {
                    out.push(' ');
                }
            }
        }
        push_bytes(out, &lit[start..]);
        match c {
            Some(c) => out.push(c),
            None => return,
        }
        rest = tail;
    }
}

/// A decoded attribute value, borrowed when nothing needs decoding.
pub(crate) fn attr_value(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    if memchr::memchr3(b'&', b'\t', b'\n', raw).is_none() && memchr::memchr(b'\r', raw).is_none() {
        if let Ok(s) = std::str::from_utf8(raw) {
            return std::borrow::Cow::Borrowed(s);
        }
    }
    let mut s = String::with_capacity(raw.len());
    push_attr_value(&mut s, raw);
    std::borrow::Cow::Owned(s)
}

/// Appends decoded character data (a text token).
pub(crate) fn push_text(out: &mut String, raw: &[u8]) {
    if memchr::memchr2(b'&', b'\r', raw).is_none() {
        push_bytes(out, raw);
        return;
    }
    // roxmltree's text buffer, byte by byte: a literal `\r` becomes `\n` when the next
    // byte is pushed (and is dropped before a `\n`) or at the end of the token; a
    // reference's character, and the literal byte right after it, are pushed unchanged.
    let mut buf: Vec<u8> = Vec::with_capacity(raw.len());
    let mut as_is = false;
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'&' {
            if let Some(semi) = memchr::memchr(b';', &raw[i..]) {
                let c = reference(&raw[i + 1..i + semi]).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut tmp = [0u8; 4];
                buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                as_is = true;
                i += semi + 1;
                continue;
            }
        }
        i += 1;
        let at_end = i == raw.len();
        if as_is {
            buf.push(b);
            as_is = false;
        } else if buf.last() == Some(&b'\r') {
            if let Some(last) = buf.last_mut() {
                *last = b'\n';
            }
            if at_end && b == b'\r' {
                buf.push(b'\n');
            } else if b != b'\n' {
                buf.push(b);
            }
        } else if at_end && b == b'\r' {
            buf.push(b'\n');
        } else {
            buf.push(b);
        }
    }
    push_bytes(out, &buf);
}

/// Appends CDATA content: each `\r\n` or lone `\r` becomes `\n`, nothing else changes.
pub(crate) fn push_cdata(out: &mut String, raw: &[u8]) {
    let mut rest = raw;
    while let Some(r) = memchr::memchr(b'\r', rest) {
        push_bytes(out, &rest[..r]);
        out.push('\n');
        rest = if rest.get(r + 1) == Some(&b'\n') {
            &rest[r + 2..]
        } else {
            &rest[r + 1..]
        };
    }
    push_bytes(out, rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_counts_lines_and_characters() {
        let mut t = Tracker::start();
        t.advance("ab\ncdé".as_bytes());
        assert_eq!(t.pos(), Pos { line: 2, column: 4 });
        t.advance(b"xy");
        assert_eq!(t.pos(), Pos { line: 2, column: 6 });
        t.advance(b"\n\n");
        assert_eq!(t.pos(), Pos { line: 4, column: 1 });
    }

    #[test]
    fn decoding_follows_xml_line_end_and_attribute_rules() {
        let mut s = String::new();
        push_attr_value(&mut s, b"a\tb\r\nc&#10;&amp;");
        assert_eq!(s, "a b c\n&");
        let mut s = String::new();
        push_text(&mut s, b"a\r\nb\rc&#13;d&lt;");
        assert_eq!(s, "a\nb\nc\rd<");
        let mut s = String::new();
        push_cdata(&mut s, b"a\r\nb\rc");
        assert_eq!(s, "a\nb\nc");
    }

    #[test]
    fn names_and_characters_follow_xml_1_0() {
        assert!(is_xml_name("feature"));
        assert!(is_xml_name("élan"));
        assert!(!is_xml_name("\u{00D7}x"));
        assert_eq!(non_xml_char(b"ab\x01"), Some((2, 1)));
        assert_eq!(non_xml_char("a\u{FFFE}".as_bytes()), Some((1, 0xFFFE)));
        assert_eq!(non_xml_char("a\u{FEFF}\t".as_bytes()), None);
    }
}
