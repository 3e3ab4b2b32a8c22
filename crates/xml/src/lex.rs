//! The lexer: bytes in, tokens out, in one pass with linear cost.
//!
//! [`Lexer`] reads a `BufRead` into a window, cuts the next token (text, comment,
//! processing instruction, CDATA, start tag, end tag) and hands it out as offsets into that
//! window together with its line and column. Nothing is copied or allocated per token:
//! attribute names and values are ranges of the token ([`Attr`]).
//!
//! Rules checked here, for every token of the input:
//! * no `<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, `<!ATTLIST`, `<!NOTATION` (no DTD);
//! * references are only `&lt; &gt; &amp; &apos; &quot;` and `&#N;`/`&#xN;` of XML
//!   characters, in text and attribute values;
//! * tags are well formed (names, `=`, quotes, no `<` in values, no attribute twice);
//! * the input is UTF-8 (validated block by block as it is read; the error names the first
//!   bad byte, when the token holding it is reached).
//!
//! **Linear time.** Positions advance token by token ([`Tracker`]). A token that is not
//! complete in the window is cut again after more bytes arrive; each refill at least
//! doubles what is pending once the pending bytes exceed one read, so a token of `n` bytes
//! is cut `O(log n)` times and costs `O(n)` overall. Searches use `memchr`.
//!
//! **Bounded memory.** Bytes before the current token are dropped at each refill unless a
//! caller pins them ([`Lexer::pin`]: the element being read). Without `whole`, a pinned
//! span or a pending token may not exceed [`Limits::max_bytes`]: [`Lexed`] refills stop at
//! the limit and report [`LexError::Overflow`].
use crate::error::{ErrorKind, XmlError};
use crate::model::Pos;
use crate::text::{is_name_char, is_name_start, Tracker};
use crate::Limits;
use std::io::BufRead;

/// An attribute of a start tag: byte ranges of its name and (raw) value in the token.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attr {
    pub(crate) name: (u32, u32),
    pub(crate) value: (u32, u32),
    /// The value has no reference, tab, newline or carriage return: it is its own
    /// decoded form.
    pub(crate) plain: bool,
}

impl Attr {
    pub(crate) fn name<'t>(&self, tok: &'t [u8]) -> &'t [u8] {
        &tok[self.name.0 as usize..self.name.1 as usize]
    }

    pub(crate) fn value<'t>(&self, tok: &'t [u8]) -> &'t [u8] {
        &tok[self.value.0 as usize..self.value.1 as usize]
    }
}

/// One lexical token; names are ranges of the token bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Character data; `solid`: the offset of its first non-whitespace byte, if any.
    Text { solid: Option<usize> },
    /// `<!-- ... -->`.
    Comment,
    /// `<?target ...?>`.
    Pi,
    /// `<![CDATA[...]]>`.
    CData,
    /// `<name attr='v' ...>` or `<name .../>`: the name is `tok[1..name_end]`.
    Start { name_end: usize, empty: bool },
    /// `</name>`: the name is `tok[2..name_end]`.
    End { name_end: usize },
}

/// What a token holds that needs a closer look (bit flags of [`Lexed::flags`]).
pub(crate) mod flag {
    /// Text: a `]` (maybe `]]>`).
    pub(crate) const BRACKET: u8 = 1;
    /// Start tag: a name with `:` or a non-ASCII byte, or an `xmlns` attribute.
    pub(crate) const NAMES: u8 = 2;
    /// Any token: a control character or a non-ASCII byte (maybe a character XML
    /// forbids, and columns are not bytes).
    pub(crate) const SUSPECT: u8 = 4;
    /// Any token: may hold a newline (the lexer's own bookkeeping).
    pub(crate) const NEWLINE: u8 = 8;
}

/// A token and where it is: `buf[start..start + len]` of the lexer's window.
///
/// A start or end tag may come with the whitespace-only text before it (the indentation
/// of pretty-printed XML): `buf[start - ws..start]`, a text token of its own in all but
/// name, handed over in the same call to save a round trip per line.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lexed {
    pub(crate) tok: Tok,
    pub(crate) start: usize,
    pub(crate) len: usize,
    /// [`flag`] bits (of the token, not of the whitespace before it).
    pub(crate) flags: u8,
    /// Bytes of whitespace-only text just before `start`.
    pub(crate) ws: usize,
}

/// Why the lexer stopped.
#[derive(Debug)]
pub(crate) enum LexError {
    /// A located error.
    Xml(XmlError),
    /// Without `whole`: the pinned span or the pending token outgrew `max_bytes`.
    Overflow,
}

impl From<XmlError> for LexError {
    fn from(e: XmlError) -> LexError {
        LexError::Xml(e)
    }
}

/// Byte classes for the hot loops (one table lookup per byte).
const NAME: u8 = 1;
const SPACE: u8 = 2;
/// `<` or `&`: must be looked at in an attribute value.
const VALUE_STOP: u8 = 4;
/// `:` or a non-ASCII byte in a name.
const NAME_SPECIAL: u8 = 8;
/// Tab, newline, carriage return: decoded in attribute values.
const VALUE_WS: u8 = 16;
/// `&` or `]` in text.
const TEXT_MARK: u8 = 32;
/// `\n`.
const NL: u8 = 64;
/// A control character other than tab, newline and carriage return, or a non-ASCII byte.
const ODD: u8 = 128;

const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut k = 0;
        if c.is_ascii_alphanumeric()
            || c == b'_'
            || c == b':'
            || c == b'-'
            || c == b'.'
            || c >= 0x80
        {
            k |= NAME;
        }
        if c == b':' || c >= 0x80 {
            k |= NAME_SPECIAL;
        }
        if c == b' ' || c == b'\t' || c == b'\r' || c == b'\n' {
            k |= SPACE;
        }
        if c == b'\t' || c == b'\r' || c == b'\n' {
            k |= VALUE_WS;
        }
        if c == b'<' || c == b'&' {
            k |= VALUE_STOP;
        }
        if c == b'&' || c == b']' {
            k |= TEXT_MARK;
        }
        if c == b'\n' {
            k |= NL;
        }
        if (c < 0x20 && c != b'\t' && c != b'\n' && c != b'\r') || c >= 0x80 {
            k |= ODD;
        }
        t[b] = k;
        b += 1;
    }
    t
};

/// Reads a name at `s[i..]`; returns its end and the union of its bytes' classes.
#[inline]
fn name_at(s: &[u8], i: usize) -> (usize, u8) {
    let mut classes = 0;
    match s.get(i) {
        Some(&b) if is_name_start(b) => {}
        _ => return (i, 0),
    }
    let n = s[i..]
        .iter()
        .position(|&b| {
            let c = CLASS[b as usize];
            if c & NAME == 0 {
                return true;
            }
            classes |= c;
            false
        })
        .unwrap_or(s.len() - i);
    (i + n, classes)
}

#[inline]
fn space(b: u8) -> bool {
    CLASS[b as usize] & SPACE != 0
}

/// A scan failure at a byte offset from the token start.
type ScanErr = (usize, ErrorKind);

fn syn(off: usize, msg: impl Into<String>) -> ScanErr {
    (off, ErrorKind::Syntax(msg.into()))
}

/// Checks the entity and character references of text or an attribute value.
fn check_refs(s: &[u8], base: usize) -> Result<(), ScanErr> {
    let mut from = 0;
    while let Some(p) = memchr::memchr(b'&', &s[from..]) {
        let i = from + p;
        let end = s[i + 1..]
            .iter()
            .take(64)
            .position(|&b| b == b';')
            .map(|p| p + i + 1);
        let Some(end) = end else {
            return Err(syn(
                base + i,
                "'&' must start an entity or character reference (write &amp; for a literal '&')",
            ));
        };
        let name = &s[i + 1..end];
        let ok = match name {
            b"lt" | b"gt" | b"amp" | b"apos" | b"quot" => true,
            [b'#', b'x', hex @ ..] => char_ref(hex, 16),
            [b'#', dec @ ..] => char_ref(dec, 10),
            _ => {
                let shown = String::from_utf8_lossy(name).into_owned();
                if name.first().is_some_and(|&b| is_name_start(b))
                    && name.iter().all(|&b| is_name_char(b))
                {
                    return Err((base + i, ErrorKind::UnknownEntity(shown)));
                }
                return Err(syn(base + i, format!("malformed reference '&{shown};'")));
            }
        };
        if !ok {
            return Err(syn(
                base + i,
                format!(
                    "invalid character reference '&{};'",
                    String::from_utf8_lossy(name)
                ),
            ));
        }
        from = end + 1;
    }
    Ok(())
}

fn char_ref(digits: &[u8], radix: u32) -> bool {
    let Ok(s) = std::str::from_utf8(digits) else {
        return false;
    };
    if s.is_empty() || !s.chars().all(|c| c.is_digit(radix)) {
        return false;
    }
    match u32::from_str_radix(s, radix).ok().and_then(char::from_u32) {
        Some(c) => {
            matches!(c, '\t' | '\n' | '\r') || c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}'
        }
        None => false,
    }
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    memchr::memmem::find(&hay[from..], needle).map(|p| p + from)
}

/// A cut token: what it is, its length, its [`flag`] bits.
type Cut = Option<(Tok, usize, u8)>;

/// Cuts one token at the start of `s`. `Ok(None)`: more bytes are needed.
/// `counted`: for short text, its newlines and the offset of the last one.
fn token(
    s: &[u8],
    eof: bool,
    attrs: &mut Vec<Attr>,
    counted: &mut Option<(u32, usize)>,
) -> Result<Cut, ScanErr> {
    *counted = None;
    let more = |msg: &str| -> Result<Cut, ScanErr> {
        if eof {
            Err(syn(0, msg))
        } else {
            Ok(None)
        }
    };
    let Some(&first) = s.first() else {
        return more("unexpected end of input");
    };
    if first != b'<' {
        // Short text (the indentation between tags) by hand, long text by memchr.
        let mut marks = 0;
        let mut solid = None;
        let mut end = None;
        let mut lines = 0u32;
        let mut last_nl = 0;
        for (i, &b) in s.iter().enumerate().take(64) {
            if b == b'<' {
                end = Some(i);
                break;
            }
            let c = CLASS[b as usize];
            marks |= c;
            if c & NL != 0 {
                lines += 1;
                last_nl = i;
            }
            if solid.is_none() && c & SPACE == 0 {
                solid = Some(i);
            }
        }
        let end = match end {
            Some(e) => e,
            None => {
                let e = match memchr::memchr(b'<', s) {
                    Some(e) => e,
                    None if eof => s.len(),
                    None => return Ok(None),
                };
                let text = &s[..e];
                marks = TEXT_MARK | NL | ODD;
                solid = text.iter().position(|&b| !space(b));
                e
            }
        };
        let text = &s[..end];
        let mut flags = if marks & NL != 0 { flag::NEWLINE } else { 0 };
        if marks & ODD != 0 {
            flags |= flag::SUSPECT;
        }
        // short text: the loop counted its lines, the tracker need not
        *counted = (marks & TEXT_MARK == 0 && lines > 0).then_some((lines, last_nl));
        if marks & TEXT_MARK != 0 {
            check_refs(text, 0)?;
            if memchr::memchr(b']', text).is_some() {
                flags |= flag::BRACKET;
            }
        }
        return Ok(Some((Tok::Text { solid }, end, flags)));
    }
    if s.len() < 2 {
        return more("unexpected end of input after '<'");
    }
    match s[1] {
        b'!' => {
            if s.len() < 10 && !eof {
                return Ok(None);
            }
            if s.starts_with(b"<!--") {
                return match find(s, 4, b"-->") {
                    Some(e) => Ok(Some((Tok::Comment, e + 3, flag::NEWLINE | flag::SUSPECT))),
                    None => more("unexpected end of input inside a comment"),
                };
            }
            if s.starts_with(b"<![CDATA[") {
                return match find(s, 9, b"]]>") {
                    Some(e) => Ok(Some((Tok::CData, e + 3, flag::NEWLINE | flag::SUSPECT))),
                    None => more("unexpected end of input inside a CDATA section"),
                };
            }
            for decl in [
                &b"<!DOCTYPE"[..],
                b"<!ENTITY",
                b"<!ELEMENT",
                b"<!ATTLIST",
                b"<!NOTATION",
            ] {
                if s.starts_with(decl) {
                    return Err((0, ErrorKind::Dtd));
                }
            }
            Err(syn(0, "malformed markup after '<!'"))
        }
        b'?' => match find(s, 2, b"?>") {
            Some(e) => Ok(Some((Tok::Pi, e + 2, flag::NEWLINE | flag::SUSPECT))),
            None => more("unexpected end of input inside a processing instruction"),
        },
        b'/' => {
            let Some(e) = memchr::memchr(b'>', s) else {
                return more("unexpected end of input inside an end tag");
            };
            let (ne, classes) = name_at(s, 2);
            if ne == 2 {
                return Err(syn(2, "expected an element name after '</'"));
            }
            if !s[ne..e].iter().all(|&b| space(b)) {
                return Err(syn(ne, "expected '>' to close the end tag"));
            }
            let mut flags = if classes & ODD != 0 { flag::SUSPECT } else { 0 };
            if e > ne {
                flags |= flag::NEWLINE;
            }
            Ok(Some((Tok::End { name_end: ne }, e + 1, flags)))
        }
        _ => start_tag(s, eof, attrs),
    }
}

fn start_tag(s: &[u8], eof: bool, attrs: &mut Vec<Attr>) -> Result<Cut, ScanErr> {
    attrs.clear();
    let (ne, mut classes) = name_at(s, 1);
    if ne == 1 {
        return Err(syn(1, "expected an element name after '<'"));
    }
    let need_more = |eof: bool| {
        if eof {
            Err(syn(
                0,
                format!(
                    "unexpected end of input inside the <{}> tag",
                    String::from_utf8_lossy(&s[1..ne])
                ),
            ))
        } else {
            Ok(None)
        }
    };
    let mut i = ne;
    let mut lines = 0;
    loop {
        let ws = i;
        while i < s.len() && space(s[i]) {
            lines |= CLASS[s[i] as usize];
            i += 1;
        }
        if i >= s.len() {
            return need_more(eof);
        }
        let done = |empty: bool, len: usize| {
            let mut flags = if classes & NAME_SPECIAL != 0 {
                flag::NAMES
            } else {
                0
            };
            if lines & NL != 0 {
                flags |= flag::NEWLINE;
            }
            if classes & ODD != 0 {
                flags |= flag::SUSPECT;
            }
            Ok(Some((
                Tok::Start {
                    name_end: ne,
                    empty,
                },
                len,
                flags,
            )))
        };
        match s[i] {
            b'>' => return done(false, i + 1),
            b'/' => {
                if i + 1 >= s.len() {
                    return need_more(eof);
                }
                if s[i + 1] != b'>' {
                    return Err(syn(i, "expected '/>' or '>'"));
                }
                return done(true, i + 2);
            }
            _ => {}
        }
        if i == ws {
            return Err(syn(i, "expected whitespace, '>' or '/>'"));
        }
        let (an, c) = name_at(s, i);
        if an == i {
            return Err(syn(i, "expected an attribute name, '>' or '/>'"));
        }
        let aname = &s[i..an];
        classes |= c;
        if aname == b"xmlns" {
            classes |= NAME_SPECIAL;
        }
        let at_name = i;
        i = an;
        while i < s.len() && space(s[i]) {
            lines |= CLASS[s[i] as usize];
            i += 1;
        }
        if i >= s.len() {
            return need_more(eof);
        }
        let shown = || String::from_utf8_lossy(aname);
        if s[i] != b'=' {
            return Err(syn(
                i,
                format!("expected '=' after attribute name '{}'", shown()),
            ));
        }
        i += 1;
        while i < s.len() && space(s[i]) {
            lines |= CLASS[s[i] as usize];
            i += 1;
        }
        if i >= s.len() {
            return need_more(eof);
        }
        let q = s[i];
        if q != b'\'' && q != b'"' {
            return Err(syn(
                i,
                format!("expected a quoted value for attribute '{}'", shown()),
            ));
        }
        let mut close = i + 1;
        let mut marks = 0;
        while close < s.len() && s[close] != q {
            marks |= CLASS[s[close] as usize];
            close += 1;
        }
        if close >= s.len() {
            return need_more(eof);
        }
        lines |= marks;
        classes |= marks & ODD;
        let val = &s[i + 1..close];
        if marks & VALUE_STOP != 0 {
            if let Some(lt) = memchr::memchr(b'<', val) {
                return Err(syn(
                    i + 1 + lt,
                    format!("'<' is not allowed in the value of attribute '{}'", shown()),
                ));
            }
            check_refs(val, i + 1)?;
        }
        if attrs.iter().any(|a| a.name(s) == aname) {
            return Err(syn(
                at_name,
                format!("attribute '{}' is given twice", shown()),
            ));
        }
        // Tags longer than 4 GiB cannot reach here: inputs are limited far below that.
        let r = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        attrs.push(Attr {
            name: (r(at_name), r(an)),
            value: (r(i + 1), r(close)),
            plain: marks & (VALUE_STOP | VALUE_WS) == 0,
        });
        i = close + 1;
    }
}

/// Byte classes of the quick path ([`quick`]): plain ASCII only.
const Q_NAME: u8 = 1;
const Q_START: u8 = 2;
/// Printable ASCII that an attribute value holds as it is (no `<`, `&` or quote).
const Q_VALUE: u8 = 4;

const QUICK: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        let mut k = 0;
        if c.is_ascii_alphabetic() || c == b'_' {
            k |= Q_START | Q_NAME;
        }
        if c.is_ascii_digit() || c == b'-' || c == b'.' {
            k |= Q_NAME;
        }
        if c >= 0x20 && c < 0x7f && c != b'<' && c != b'&' && c != b'\'' && c != b'"' {
            k |= Q_VALUE;
        }
        t[b] = k;
        b += 1;
    }
    t
};

/// What [`quick`] cut: the tag, its length, the whitespace before it, and the newlines in
/// that whitespace (count, offset of the last).
struct Quick {
    tok: Tok,
    len: usize,
    ws: usize,
    lines: u32,
    last_nl: usize,
}

/// The common case of pretty-printed libvirt XML, cut in one go: spaces and newlines,
/// then a start or end tag that is complete in `s` and plain ASCII throughout (names of
/// letters, digits, `_`, `-`, `.`; attributes written `name='value'` or `name="value"`
/// with single spaces before them and printable values without `<`, `&`, tab or newline;
/// no `xmlns`). Such a tag needs none of the checks of [`token`] beyond the ones made
/// here (a repeated attribute), carries no [`flag`], and has its columns as its bytes.
/// Anything else returns `None` and goes the general way, which then decides (and finds
/// any error) exactly as before.
#[inline]
fn quick(s: &[u8], attrs: &mut Vec<Attr>) -> Option<Quick> {
    let (ws, lines, last_nl) = blank(s)?;
    let t = &s[ws..];
    let class = |k: usize| t.get(k).map_or(0, |&b| QUICK[b as usize]);
    if *t.get(1)? == b'/' {
        if class(2) & Q_START == 0 {
            return None;
        }
        let mut k = 3;
        while class(k) & Q_NAME != 0 {
            k += 1;
        }
        return (*t.get(k)? == b'>').then_some(Quick {
            tok: Tok::End { name_end: k },
            len: k + 1,
            ws,
            lines,
            last_nl,
        });
    }
    if class(1) & Q_START == 0 {
        return None;
    }
    let mut k = 2;
    while class(k) & Q_NAME != 0 {
        k += 1;
    }
    let name_end = k;
    attrs.clear();
    loop {
        match *t.get(k)? {
            b'>' => {
                return Some(Quick {
                    tok: Tok::Start {
                        name_end,
                        empty: false,
                    },
                    len: k + 1,
                    ws,
                    lines,
                    last_nl,
                })
            }
            b'/' if *t.get(k + 1)? == b'>' => {
                return Some(Quick {
                    tok: Tok::Start {
                        name_end,
                        empty: true,
                    },
                    len: k + 2,
                    ws,
                    lines,
                    last_nl,
                })
            }
            b' ' => k += 1,
            _ => return None,
        }
        let at_name = k;
        if class(k) & Q_START == 0 {
            return None;
        }
        k += 1;
        while class(k) & Q_NAME != 0 {
            k += 1;
        }
        let an = k;
        let q = *t.get(k + 1)?;
        if t[k] != b'=' || (q != b'\'' && q != b'"') {
            return None;
        }
        k += 2;
        let v = k;
        k = value_end(t, k, q)?;
        let aname = &t[at_name..an];
        if (aname.len() == 5 && aname == b"xmlns") || attrs.iter().any(|a| a.name(t) == aname) {
            return None;
        }
        // Tags longer than 4 GiB cannot reach here: inputs are limited far below that.
        let r = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        attrs.push(Attr {
            name: (r(at_name), r(an)),
            value: (r(v), r(k)),
            plain: true,
        });
        k += 1;
    }
}

/// Spaces and newlines, then `<`: their length, the newlines among them and the offset of
/// the last one.
#[inline]
fn blank(s: &[u8]) -> Option<(usize, u32, usize)> {
    let mut i = 0;
    let mut lines = 0u32;
    let mut last_nl = 0;
    loop {
        match *s.get(i)? {
            b' ' => {}
            b'\n' => {
                lines += 1;
                last_nl = i;
            }
            b'<' => return Some((i, lines, last_nl)),
            _ => return None,
        }
        i += 1;
    }
}

/// The end of a plain attribute value starting at `t[k]` and closed by `q`.
#[inline]
fn value_end(t: &[u8], mut k: usize, q: u8) -> Option<usize> {
    loop {
        let b = *t.get(k)?;
        if b == q {
            return Some(k);
        }
        if QUICK[b as usize] & Q_VALUE == 0 {
            return None;
        }
        k += 1;
    }
}

/// `<feature name='` as two overlapping little-endian words (bytes 0..8 and 7..15).
const FEATURE_TAG: (u64, u64) = {
    let b = b"<feature name='";
    let mut w0 = 0u64;
    let mut w1 = 0u64;
    let mut i = 0;
    while i < 8 {
        w0 |= (b[i] as u64) << (8 * i);
        w1 |= (b[i + 7] as u64) << (8 * i);
        i += 1;
    }
    (w0, w1)
};

/// What [`Lexer::quick_feature`] cut.
pub(crate) struct QuickFeature {
    /// Window offsets of the name (the value of `name=`).
    pub(crate) name: (usize, usize),
    /// Where `<feature` is.
    pub(crate) pos: Pos,
}

/// How many bytes are read from the source at a time, at least.
const READ_SIZE: usize = 64 * 1024;

/// The token reader over a byte stream.
pub(crate) struct Lexer<R> {
    src: R,
    limits: Limits,
    /// Limits apply to the whole input (`true`) or to each pinned span (`false`).
    whole: bool,
    buf: Vec<u8>,
    /// Absolute offset of `buf[0]` in the input.
    base: u64,
    at: usize,
    /// The position of `buf[tracked]`: the start of the last token cut.
    tracker: Tracker,
    tracked: usize,
    /// The last token cut: its length and whether its columns are its bytes (no newline,
    /// ASCII), for advancing `tracker` past it in O(1).
    last: (usize, bool),
    /// For the last token, if ASCII text whose newlines the cutter counted: how many, and
    /// the offset of the last one.
    counted: Option<(u32, usize)>,
    eof: bool,
    /// `buf[..validated]` is UTF-8 (or holds `bad`).
    validated: usize,
    /// The first byte that is not UTF-8, if seen.
    bad: Option<usize>,
    /// Absolute offset below which nothing may be dropped.
    pin: std::cell::Cell<Option<u64>>,
    bom_checked: bool,
    /// Attributes of the last start tag.
    pub(crate) attrs: Vec<Attr>,
    /// Where the whitespace handed over with the last tag ([`Lexed::ws`]) starts.
    pub(crate) ws_pos: Pos,
}

impl<R: BufRead> Lexer<R> {
    pub(crate) fn new(src: R, limits: Limits, whole: bool) -> Lexer<R> {
        Lexer {
            src,
            limits,
            whole,
            buf: Vec::new(),
            base: 0,
            at: 0,
            tracker: Tracker::start(),
            tracked: 0,
            last: (0, true),
            counted: None,
            eof: false,
            validated: 0,
            bad: None,
            pin: std::cell::Cell::new(None),
            bom_checked: false,
            attrs: Vec::new(),
            ws_pos: Pos { line: 1, column: 1 },
        }
    }

    /// The window the offsets of [`Lexed`] refer to.
    pub(crate) fn buf(&self) -> &[u8] {
        &self.buf
    }

    /// The absolute input offset of window offset `i`.
    pub(crate) fn absolute(&self, i: usize) -> u64 {
        self.base + i as u64
    }

    /// The window offset of absolute offset `a` (which must still be in the window).
    pub(crate) fn relative(&self, a: u64) -> usize {
        usize::try_from(a.saturating_sub(self.base)).unwrap_or(usize::MAX)
    }

    /// Keeps every byte from window offset `i` on until [`Lexer::unpin`].
    pub(crate) fn pin(&self, i: usize) {
        self.pin.set(Some(self.absolute(i)));
    }

    pub(crate) fn unpin(&self) {
        self.pin.set(None);
    }

    /// The position of window offset `i`, at or after the start of the last token cut.
    pub(crate) fn pos_at(&self, i: usize) -> Pos {
        let mut t = self.tracker;
        if i > self.tracked {
            let end = i.min(self.buf.len());
            t.advance(&self.buf[self.tracked..end]);
        }
        t.pos()
    }

    /// Moves the tracker past the last token cut.
    fn commit(&mut self) {
        let (len, simple) = self.last;
        if len == 0 {
            return;
        }
        if simple {
            self.tracker.columns(len);
        } else if let Some((lines, last_nl)) = self.counted {
            self.tracker.lines(lines, len - last_nl);
        } else {
            self.tracker
                .advance(&self.buf[self.tracked..self.tracked + len]);
        }
        self.tracked += len;
        self.last = (0, true);
    }

    /// The position of the next byte.
    pub(crate) fn pos(&self) -> Pos {
        self.pos_at(self.at)
    }

    /// Validates the bytes read since the last call.
    fn validate(&mut self) {
        if self.bad.is_some() || self.validated >= self.buf.len() {
            return;
        }
        match std::str::from_utf8(&self.buf[self.validated..]) {
            Ok(_) => self.validated = self.buf.len(),
            Err(e) => {
                let upto = self.validated + e.valid_up_to();
                if e.error_len().is_none() && !self.eof {
                    // an incomplete character at the end: wait for the rest
                    self.validated = upto;
                } else {
                    self.bad = Some(upto);
                    self.validated = self.buf.len();
                }
            }
        }
    }

    /// After a cut whitespace-only text, also cuts the start or end tag after it if it is
    /// complete in the window: (token, total length, its flags, whitespace length).
    fn with_tag(&mut self, tok: Tok, len: usize, flags: u8) -> (Tok, usize, u8, usize) {
        let alone = (tok, len, flags, 0);
        if tok != (Tok::Text { solid: None }) || flags & flag::SUSPECT != 0 {
            return alone;
        }
        let rest = &self.buf[self.at + len..];
        if rest.first() != Some(&b'<') || matches!(rest.get(1), Some(b'!' | b'?') | None) {
            return alone;
        }
        let counted = self.counted;
        let mut unused = None;
        match token(rest, self.eof, &mut self.attrs, &mut unused) {
            Ok(Some((t @ (Tok::Start { .. } | Tok::End { .. }), n, f))) => {
                self.counted = counted;
                (t, len + n, f, len)
            }
            _ => {
                self.counted = counted;
                alone
            }
        }
    }

    /// Drops what is no longer needed, then reads more bytes.
    fn fill(&mut self) -> Result<(), LexError> {
        let keep = match self.pin.get() {
            Some(p) => self.relative(p).min(self.at),
            None => self.at,
        };
        if keep > 0 {
            self.buf.drain(..keep);
            self.base += keep as u64;
            self.at -= keep;
            self.tracked -= keep;
            self.validated -= keep;
            self.bad = self.bad.map(|b| b - keep);
        }
        let pending = self.buf.len();
        if !self.whole && pending > self.limits.max_bytes {
            return Err(LexError::Overflow);
        }
        // Geometric growth: a long token is cut again only after its pending bytes double.
        let mut want = if pending >= READ_SIZE { pending } else { 1 };
        // what may still be read before the pinned span or pending token is too large
        let allowed = self.limits.max_bytes.saturating_add(1) - pending;
        if !self.whole {
            want = want.min(allowed).max(1);
        }
        let mut got = 0;
        while got < want {
            let chunk = match self.src.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let pos = self.pos();
                    return Err(LexError::Xml(XmlError::new(
                        pos,
                        ErrorKind::Io(e.to_string()),
                    )));
                }
            };
            if chunk.is_empty() {
                self.eof = true;
                break;
            }
            let room = if self.whole {
                usize::MAX
            } else {
                allowed - got
            };
            let n = chunk.len().min(room).min(READ_SIZE.max(want - got));
            self.buf.extend_from_slice(&chunk[..n]);
            self.src.consume(n);
            got += n;
            if room == n {
                break;
            }
        }
        self.validate();
        Ok(())
    }

    /// libvirt's most common line, cut in one go when it is next and complete in the
    /// window: spaces and newlines, then exactly `<feature name='NAME'/>` with a non-empty
    /// plain NAME (see [`quick`]: printable ASCII without `<`, `&` or quotes). The lexer
    /// moves past it as past the same tag cut by [`Lexer::next`] (which also leaves
    /// [`Lexer::attrs`] as they were: the caller reads only the name). `None` changes
    /// nothing.
    pub(crate) fn quick_feature(&mut self) -> Option<QuickFeature> {
        if !self.bom_checked {
            return None;
        }
        let s = self.buf.get(self.at..)?;
        let (ws, lines, last_nl) = blank(s)?;
        let t = &s[ws..];
        let word = |k: usize| -> Option<u64> {
            let b: [u8; 8] = t.get(k..k + 8)?.try_into().ok()?;
            Some(u64::from_le_bytes(b))
        };
        if (word(0)?, word(7)?) != FEATURE_TAG {
            return None;
        }
        let end = value_end(t, 15, b'\'')?;
        if end == 15 || t.get(end + 1..end + 3)? != b"/>" {
            return None;
        }
        self.commit();
        if ws > 0 {
            if lines > 0 {
                self.tracker.lines(lines, ws - last_nl);
            } else {
                self.tracker.columns(ws);
            }
            self.tracked += ws;
            self.at += ws;
        }
        let start = self.at;
        let len = end + 3;
        self.at += len;
        self.last = (len, true);
        self.counted = None;
        Some(QuickFeature {
            name: (start + 15, start + end),
            pos: self.tracker.pos(),
        })
    }

    /// The next token, or `None` at the end of the input.
    pub(crate) fn next(&mut self) -> Result<Option<Lexed>, LexError> {
        self.commit();
        if self.bom_checked {
            // ASCII only, so no byte of it can be the first that is not UTF-8.
            if let Some(q) = self
                .buf
                .get(self.at..)
                .and_then(|s| quick(s, &mut self.attrs))
            {
                if q.ws > 0 {
                    if q.lines > 0 {
                        self.tracker.lines(q.lines, q.ws - q.last_nl);
                    } else {
                        self.tracker.columns(q.ws);
                    }
                    self.tracked += q.ws;
                    self.at += q.ws;
                }
                let start = self.at;
                self.at += q.len;
                self.last = (q.len, true);
                self.counted = None;
                return Ok(Some(Lexed {
                    tok: q.tok,
                    start,
                    len: q.len,
                    flags: 0,
                    ws: q.ws,
                }));
            }
        }
        loop {
            if self.at >= self.buf.len() {
                if self.eof {
                    return Ok(None);
                }
                self.fill()?;
                continue;
            }
            if !self.bom_checked {
                // A UTF-8 byte-order mark may open the input; it takes no column.
                if self.buf.len() < 3 && !self.eof {
                    self.fill()?;
                    continue;
                }
                self.bom_checked = true;
                if self.buf.starts_with(b"\xEF\xBB\xBF") {
                    self.at = 3;
                    self.tracked = 3;
                }
                continue;
            }
            let s = &self.buf[self.at..];
            let (tok, len, flags) = match token(s, self.eof, &mut self.attrs, &mut self.counted) {
                Ok(Some(t)) => t,
                Ok(None) => {
                    self.fill()?;
                    continue;
                }
                Err((off, kind)) => {
                    let base = self.pos();
                    let pos = crate::text::pos_after(base, &self.buf[self.at..], off);
                    return Err(LexError::Xml(XmlError::new(pos, kind)));
                }
            };
            let (tok, len, flags, ws) = self.with_tag(tok, len, flags);
            let start = self.at;
            if let Some(bad) = self.bad {
                if bad < start + len {
                    let base = self.pos();
                    let pos = crate::text::pos_after(base, &self.buf[start..], bad - start);
                    return Err(LexError::Xml(XmlError::new(pos, ErrorKind::NotUtf8)));
                }
            }
            let (start, len) = if ws > 0 {
                // the whitespace is committed at once: the tag's position is the tracker's
                self.ws_pos = self.tracker.pos();
                match self.counted.take() {
                    Some((lines, last_nl)) => self.tracker.lines(lines, ws - last_nl),
                    None => self.tracker.columns(ws),
                }
                self.tracked += ws;
                self.at += ws;
                (start + ws, len - ws)
            } else {
                (start, len)
            };
            self.at += len;
            self.last = (len, flags & (flag::SUSPECT | flag::NEWLINE) == 0);
            if flags & flag::SUSPECT != 0 {
                self.counted = None;
            }
            return Ok(Some(Lexed {
                tok,
                start,
                len,
                flags,
                ws,
            }));
        }
    }
}
