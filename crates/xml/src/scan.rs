//! A small lexical scanner that finds the CPU elements of a document without building it.
//!
//! The scanner reads markup token by token (text, comment, processing instruction,
//! CDATA, start tag, end tag), keeps a stack of open element names and tracks the line
//! and column of every byte. It enforces the document-wide rules that must hold before
//! any tree is built:
//!
//! * no `<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, `<!ATTLIST` or `<!NOTATION` (no DTD);
//! * no entity references except `&lt; &gt; &amp; &apos; &quot;` and `&#N;`/`&#xN;`;
//! * start and end tags balance and match;
//! * nesting depth ≤ `max_depth`; element count ≤ `max_elements`;
//! * no text outside elements (several top-level elements are allowed, so that files made
//!   by concatenating `virsh` outputs read as they are).
//!
//! It selects the elements that are CPU definitions by their path from the top (`W` is an
//! optional wrapper of any other name, e.g. `<cpuTest>` or `<container>`):
//!
//! | path                                   | what                                   |
//! |----------------------------------------|----------------------------------------|
//! | `[W]/cpu`                              | bare `<cpu>`, `virsh cpu-baseline` files |
//! | `[W]/domain/cpu`                       | domain XML                              |
//! | `[W]/capabilities/host/cpu`            | `virsh capabilities`                    |
//! | `[W]/domainCapabilities/cpu/mode[@name='host-model'][@supported='yes']` | domcapabilities |
//! | `cpudata` (top level)                  | a CPUID/MSR/PVR dump (dump mode only)   |
//!
//! Each selected element's bytes (only those) are kept and handed, one at a time, to the
//! tree parser (roxmltree, DTDs disallowed, node limit set); everything else is dropped as
//! soon as it is scanned. Memory is therefore bounded by the largest selected element,
//! whatever the length of the file.
use crate::error::{ErrorKind, XmlError};
use crate::model::Pos;
use crate::Limits;
use std::io::BufRead;

/// A running line/column position.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tracker {
    line: u32,
    col: u32,
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

    /// Moves past `bytes` (columns count characters: UTF-8 continuation bytes are skipped).
    pub(crate) fn advance(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                self.line = self.line.saturating_add(1);
                self.col = 1;
            } else if b & 0xC0 != 0x80 {
                self.col = self.col.saturating_add(1);
            }
        }
    }

    /// The position `off` bytes further on.
    pub(crate) fn at(mut self, bytes: &[u8], off: usize) -> Pos {
        self.advance(&bytes[..off.min(bytes.len())]);
        self.pos()
    }
}

/// One lexical token.
#[derive(Debug)]
enum Token {
    /// Character data; the offset of its first non-whitespace byte, if any.
    Text { solid: Option<usize> },
    /// Comment or processing instruction.
    Other,
    /// `<![CDATA[...]]>`.
    CData,
    /// `<name attr='v' ...>` or `<name .../>`.
    Start {
        name: String,
        attrs: Vec<(String, String)>,
        empty: bool,
    },
    /// `</name>`.
    End { name: String },
}

/// A scan failure at a byte offset from the token start.
type ScanErr = (usize, ErrorKind);

fn syn(off: usize, msg: impl Into<String>) -> ScanErr {
    (off, ErrorKind::Syntax(msg.into()))
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80
}

fn is_name_char(b: u8) -> bool {
    is_name_start(b) || b.is_ascii_digit() || b == b'-' || b == b'.'
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Checks the entity and character references of text or an attribute value.
fn check_refs(s: &[u8], base: usize) -> Result<(), ScanErr> {
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'&' {
            i += 1;
            continue;
        }
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
        i = end + 1;
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

/// Reads a name at `s[i..]`; returns its end.
fn name_end(s: &[u8], i: usize) -> usize {
    let mut j = i;
    if j < s.len() && is_name_start(s[j]) {
        j += 1;
        while j < s.len() && is_name_char(s[j]) {
            j += 1;
        }
    }
    j
}

/// Reads one token at the start of `s`. `Ok(None)`: more bytes are needed.
fn token(s: &[u8], eof: bool) -> Result<Option<(Token, usize)>, ScanErr> {
    let more = |msg: &str| -> Result<Option<(Token, usize)>, ScanErr> {
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
        let end = match s.iter().position(|&b| b == b'<') {
            Some(e) => e,
            None if eof => s.len(),
            None => return Ok(None),
        };
        let text = &s[..end];
        check_refs(text, 0)?;
        let solid = text.iter().position(|&b| !is_space(b));
        return Ok(Some((Token::Text { solid }, end)));
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
                    Some(e) => Ok(Some((Token::Other, e + 3))),
                    None => more("unexpected end of input inside a comment"),
                };
            }
            if s.starts_with(b"<![CDATA[") {
                return match find(s, 9, b"]]>") {
                    Some(e) => Ok(Some((Token::CData, e + 3))),
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
            Some(e) => Ok(Some((Token::Other, e + 2))),
            None => more("unexpected end of input inside a processing instruction"),
        },
        b'/' => {
            let Some(e) = s.iter().position(|&b| b == b'>') else {
                return more("unexpected end of input inside an end tag");
            };
            let ne = name_end(s, 2);
            if ne == 2 {
                return Err(syn(2, "expected an element name after '</'"));
            }
            if !s[ne..e].iter().all(|&b| is_space(b)) {
                return Err(syn(ne, "expected '>' to close the end tag"));
            }
            let name = String::from_utf8_lossy(&s[2..ne]).into_owned();
            Ok(Some((Token::End { name }, e + 1)))
        }
        _ => start_tag(s, eof),
    }
}

fn start_tag(s: &[u8], eof: bool) -> Result<Option<(Token, usize)>, ScanErr> {
    let ne = name_end(s, 1);
    if ne == 1 {
        return Err(syn(1, "expected an element name after '<'"));
    }
    let name = String::from_utf8_lossy(&s[1..ne]).into_owned();
    let mut attrs: Vec<(String, String)> = Vec::new();
    let mut i = ne;
    let need_more = |eof: bool| {
        if eof {
            Err(syn(
                0,
                format!("unexpected end of input inside the <{name}> tag"),
            ))
        } else {
            Ok(None)
        }
    };
    loop {
        let ws = i;
        while i < s.len() && is_space(s[i]) {
            i += 1;
        }
        if i >= s.len() {
            return need_more(eof);
        }
        match s[i] {
            b'>' => {
                return Ok(Some((
                    Token::Start {
                        name,
                        attrs,
                        empty: false,
                    },
                    i + 1,
                )))
            }
            b'/' => {
                if i + 1 >= s.len() {
                    return need_more(eof);
                }
                if s[i + 1] != b'>' {
                    return Err(syn(i, "expected '/>' or '>'"));
                }
                return Ok(Some((
                    Token::Start {
                        name,
                        attrs,
                        empty: true,
                    },
                    i + 2,
                )));
            }
            _ => {}
        }
        if i == ws {
            return Err(syn(i, "expected whitespace, '>' or '/>'"));
        }
        let an = name_end(s, i);
        if an == i {
            return Err(syn(i, "expected an attribute name, '>' or '/>'"));
        }
        let aname = String::from_utf8_lossy(&s[i..an]).into_owned();
        let at_name = i;
        i = an;
        while i < s.len() && is_space(s[i]) {
            i += 1;
        }
        if i >= s.len() {
            return need_more(eof);
        }
        if s[i] != b'=' {
            return Err(syn(
                i,
                format!("expected '=' after attribute name '{aname}'"),
            ));
        }
        i += 1;
        while i < s.len() && is_space(s[i]) {
            i += 1;
        }
        if i >= s.len() {
            return need_more(eof);
        }
        let q = s[i];
        if q != b'\'' && q != b'"' {
            return Err(syn(
                i,
                format!("expected a quoted value for attribute '{aname}'"),
            ));
        }
        let Some(close) = s[i + 1..].iter().position(|&b| b == q).map(|p| p + i + 1) else {
            return need_more(eof);
        };
        let val = &s[i + 1..close];
        if let Some(lt) = val.iter().position(|&b| b == b'<') {
            return Err(syn(
                i + 1 + lt,
                format!("'<' is not allowed in the value of attribute '{aname}'"),
            ));
        }
        check_refs(val, i + 1)?;
        if attrs.iter().any(|(n, _)| *n == aname) {
            return Err(syn(at_name, format!("attribute '{aname}' is given twice")));
        }
        attrs.push((aname, String::from_utf8_lossy(val).into_owned()));
        i = close + 1;
    }
}

/// What the scanner looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// CPU definitions (see the table in the module docs).
    Cpus,
    /// A top-level `<cpudata>`.
    CpuData,
}

/// What a selected element is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChunkKind {
    /// A `<cpu>` element.
    Cpu,
    /// A domcapabilities `<mode name='host-model'>`, read as a `<cpu>` without attributes.
    HostModelMode,
    /// A `<cpudata>` element.
    CpuData,
}

/// The text of one selected element and where it starts.
pub(crate) struct Chunk {
    pub(crate) text: String,
    pub(crate) pos: Pos,
    pub(crate) kind: ChunkKind,
}

struct Open {
    start: usize,
    pos: Pos,
    depth: usize,
    kind: ChunkKind,
    name: String,
    elements: usize,
}

/// Finds the selected elements of a byte stream, one at a time.
pub(crate) struct Scanner<R> {
    src: R,
    limits: Limits,
    /// Limits apply to the whole input (`true`) or to each selected element (`false`).
    whole: bool,
    target: Target,
    buf: Vec<u8>,
    at: usize,
    tracker: Tracker,
    eof: bool,
    stack: Vec<(String, Pos)>,
    elements: usize,
    open: Option<Open>,
    found: usize,
    first_root: Option<(String, Pos)>,
    done: bool,
    /// Whether a leading byte-order mark has been looked for.
    bom_checked: bool,
}

/// How many bytes are read from the source at a time.
const READ_SIZE: usize = 64 * 1024;

impl<R: BufRead> Scanner<R> {
    pub(crate) fn new(src: R, limits: Limits, whole: bool, target: Target) -> Scanner<R> {
        Scanner {
            src,
            limits,
            whole,
            target,
            buf: Vec::new(),
            at: 0,
            tracker: Tracker::start(),
            eof: false,
            stack: Vec::new(),
            elements: 0,
            open: None,
            found: 0,
            first_root: None,
            done: false,
            bom_checked: false,
        }
    }

    /// How many elements have been selected so far.
    pub(crate) fn found(&self) -> usize {
        self.found
    }

    fn fail(&mut self, e: XmlError) -> Option<Result<Chunk, XmlError>> {
        self.done = true;
        Some(Err(e))
    }

    /// Reads more bytes; drops what is no longer needed first.
    fn fill(&mut self) -> Result<(), XmlError> {
        let keep = self.open.as_ref().map_or(self.at, |o| o.start);
        if keep > 0 {
            self.buf.drain(..keep);
            self.at -= keep;
            if let Some(o) = self.open.as_mut() {
                o.start = 0;
            }
        }
        let pending = self.buf.len();
        if !self.whole && pending > self.limits.max_bytes {
            let e = match &self.open {
                Some(o) => XmlError::new(
                    o.pos,
                    ErrorKind::ElementTooLarge {
                        name: o.name.clone(),
                        limit: self.limits.max_bytes,
                    },
                ),
                None => XmlError::new(
                    self.tracker.pos(),
                    ErrorKind::Syntax(format!(
                        "markup or text larger than {} bytes",
                        self.limits.max_bytes
                    )),
                ),
            };
            return Err(e);
        }
        let chunk = match self.src.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => {
                return Err(XmlError::new(
                    self.tracker.pos(),
                    ErrorKind::Io(e.to_string()),
                ))
            }
        };
        if chunk.is_empty() {
            self.eof = true;
            return Ok(());
        }
        let n = chunk.len().min(READ_SIZE);
        self.buf.extend_from_slice(&chunk[..n]);
        self.src.consume(n);
        Ok(())
    }

    fn selects(&self, name: &str, attrs: &[(String, String)]) -> Option<ChunkKind> {
        if self.target == Target::CpuData {
            return (self.stack.is_empty() && name == "cpudata").then_some(ChunkKind::CpuData);
        }
        if self.stack.len() > 3 {
            return None;
        }
        let names: Vec<&str> = self.stack.iter().map(|(n, _)| n.as_str()).collect();
        let mut p = &names[..];
        if let Some(first) = p.first() {
            if !matches!(
                *first,
                "cpu" | "domain" | "capabilities" | "domainCapabilities"
            ) {
                p = &p[1..];
            }
        }
        let attr = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        match (p, name) {
            ([], "cpu") | (["domain"], "cpu") | (["capabilities", "host"], "cpu") => {
                Some(ChunkKind::Cpu)
            }
            (["domainCapabilities", "cpu"], "mode")
                if attr("name") == Some("host-model") && attr("supported") == Some("yes") =>
            {
                Some(ChunkKind::HostModelMode)
            }
            _ => None,
        }
    }

    /// The next selected element, or an error, or `None` at the end.
    pub(crate) fn next_chunk(&mut self) -> Option<Result<Chunk, XmlError>> {
        loop {
            if self.done {
                return None;
            }
            if self.at >= self.buf.len() {
                if !self.eof {
                    if let Err(e) = self.fill() {
                        return self.fail(e);
                    }
                    continue;
                }
                return self.finish();
            }
            if !self.bom_checked {
                // A UTF-8 byte-order mark may open the input; it takes no column.
                if self.buf.len() < 3 && !self.eof {
                    if let Err(e) = self.fill() {
                        return self.fail(e);
                    }
                    continue;
                }
                self.bom_checked = true;
                if self.buf.starts_with(b"\xEF\xBB\xBF") {
                    self.at = 3;
                }
                continue;
            }
            let step = token(&self.buf[self.at..], self.eof);
            let (tok, len) = match step {
                Ok(Some(t)) => t,
                Ok(None) => {
                    if let Err(e) = self.fill() {
                        return self.fail(e);
                    }
                    continue;
                }
                Err((off, kind)) => {
                    let pos = self.tracker.at(&self.buf[self.at..], off);
                    return self.fail(XmlError::new(pos, kind));
                }
            };
            let tok_bytes = &self.buf[self.at..self.at + len];
            if std::str::from_utf8(tok_bytes).is_err() {
                let valid = match std::str::from_utf8(tok_bytes) {
                    Err(e) => e.valid_up_to(),
                    Ok(_) => 0,
                };
                let pos = self.tracker.at(tok_bytes, valid);
                return self.fail(XmlError::new(pos, ErrorKind::NotUtf8));
            }
            let pos = match tok {
                Token::Text { solid: Some(off) } => self.tracker.at(tok_bytes, off),
                _ => self.tracker.pos(),
            };
            match self.on_token(tok, pos) {
                Err(e) => return self.fail(e),
                Ok(complete) => {
                    let start = self.at;
                    self.tracker.advance(&self.buf[start..start + len]);
                    self.at += len;
                    if complete {
                        if let Some(o) = self.open.take() {
                            self.found += 1;
                            let text =
                                String::from_utf8_lossy(&self.buf[o.start..self.at]).into_owned();
                            return Some(Ok(Chunk {
                                text,
                                pos: o.pos,
                                kind: o.kind,
                            }));
                        }
                    }
                }
            }
        }
    }

    /// Applies one token; `Ok(true)` when it completes the selected element.
    fn on_token(&mut self, tok: Token, pos: Pos) -> Result<bool, XmlError> {
        match tok {
            Token::Text { solid } => {
                if solid.is_some() && self.stack.is_empty() {
                    return Err(XmlError::syntax(pos, "text outside any element"));
                }
                Ok(false)
            }
            Token::CData => {
                if self.stack.is_empty() {
                    return Err(XmlError::syntax(pos, "CDATA section outside any element"));
                }
                Ok(false)
            }
            Token::Other => Ok(false),
            Token::Start { name, attrs, empty } => {
                let depth = self.stack.len() + 1;
                if depth > self.limits.max_depth as usize {
                    return Err(XmlError::new(
                        pos,
                        ErrorKind::TooDeep {
                            limit: self.limits.max_depth,
                        },
                    ));
                }
                self.elements += 1;
                if let Some(o) = self.open.as_mut() {
                    o.elements += 1;
                }
                let count = if self.whole {
                    self.elements
                } else {
                    self.open.as_ref().map_or(0, |o| o.elements)
                };
                if count > self.limits.max_elements {
                    return Err(XmlError::new(
                        pos,
                        ErrorKind::TooManyElements {
                            limit: self.limits.max_elements,
                        },
                    ));
                }
                if self.stack.is_empty() && self.first_root.is_none() {
                    self.first_root = Some((name.clone(), pos));
                }
                if self.open.is_none() {
                    if let Some(kind) = self.selects(&name, &attrs) {
                        if self.target == Target::CpuData && self.found > 0 {
                            return Err(XmlError::invalid(pos, "more than one <cpudata> element"));
                        }
                        self.open = Some(Open {
                            start: self.at,
                            pos,
                            depth: self.stack.len(),
                            kind,
                            name: name.clone(),
                            elements: 1,
                        });
                        if empty {
                            return Ok(true);
                        }
                    }
                }
                if !empty {
                    self.stack.push((name, pos));
                }
                Ok(false)
            }
            Token::End { name } => {
                let Some((open, opos)) = self.stack.pop() else {
                    return Err(XmlError::syntax(
                        pos,
                        format!("end tag </{name}> has no matching start tag"),
                    ));
                };
                if open != name {
                    return Err(XmlError::syntax(
                        pos,
                        format!(
                            "expected </{open}> (opened at {}:{}), found </{name}>",
                            opos.line, opos.column
                        ),
                    ));
                }
                Ok(self
                    .open
                    .as_ref()
                    .is_some_and(|o| o.depth == self.stack.len()))
            }
        }
    }

    fn finish(&mut self) -> Option<Result<Chunk, XmlError>> {
        let pos = self.tracker.pos();
        if let Some((name, opos)) = self.stack.last() {
            let msg = format!(
                "unexpected end of input: <{name}> opened at {}:{} is not closed",
                opos.line, opos.column
            );
            return self.fail(XmlError::syntax(pos, msg));
        }
        if self.found == 0 {
            let e = match (&self.first_root, self.target) {
                (None, _) => {
                    XmlError::new(pos, ErrorKind::NoCpu("no XML element found".to_string()))
                }
                (Some((root, rpos)), Target::Cpus) => XmlError::new(
                    *rpos,
                    ErrorKind::NoCpu(if root == "cpudata" {
                        "no <cpu> element found: this is a <cpudata> dump".to_string()
                    } else {
                        format!(
                            "no <cpu> element found in <{root}>: expected <cpu> elements, \
                             domain XML, capabilities or domain capabilities"
                        )
                    }),
                ),
                (Some((root, rpos)), Target::CpuData) => XmlError::new(
                    *rpos,
                    ErrorKind::NoCpu(format!("expected a <cpudata> element, found <{root}>")),
                ),
            };
            return self.fail(e);
        }
        self.done = true;
        None
    }
}
