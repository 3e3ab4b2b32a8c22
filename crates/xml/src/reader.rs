//! A generic pull reader over the crate's one-pass lexer: start tags, end tags and text,
//! each with its position, for XML documents that are not CPU definitions (libvirt's QEMU
//! capabilities cache, domcapabilities, libvirt `cpu_map` files).
//!
//! [`Reader::next_event`] hands out one [`Event`] at a time, borrowed from the lexer's window:
//! nothing is copied or allocated per event, attribute values are decoded only when asked
//! for ([`Element::attr`]), and positions come from the lexer's running tracker, so the
//! whole read is linear in the input. Comments and processing instructions are checked
//! and skipped; CDATA sections are text. An empty element `<a/>` gives a start event
//! ([`Element::is_empty`]) and then an end event, so a consumer sees every element
//! closed the same way.
//!
//! Rules, checked as the bytes come (the first violation is the error, at its position):
//!
//! * the lexer's: no DTD, only the predefined entities and character references, well
//!   formed tags, UTF-8;
//! * the document's: start and end tags balance; one root element (or, with
//!   [`Reader::fragments`], any number of top-level elements); no text outside the root
//!   but whitespace (which is reported, as text); an XML declaration only at the very
//!   start;
//! * a standalone document's: no control characters or U+FFFE/U+FFFF, no `--` inside a
//!   comment, no `]]>` in text, XML 1.0 names, every namespace prefix declared;
//! * [`Limits`]: the input's size ([`ErrorKind::TooLarge`], at the first byte beyond the
//!   limit), the nesting depth and the number of elements, at the start tag that
//!   exceeds them. Memory is bounded by the largest single token, itself at most
//!   `max_bytes`.
//!
//! After an error the reader is done: every later call returns `Ok(None)`.
//!
//! ```
//! use cpucompat_xml::{Event, Limits, Reader};
//!
//! let mut r = Reader::from_text("<a x='1'>\n  <b/>hi</a>", Limits::default());
//! let mut seen = Vec::new();
//! while let Some(ev) = r.next_event()? {
//!     if let Event::Start(e) = ev {
//!         seen.push(format!("{} at {}:{}", e.name(), e.pos().line, e.pos().column));
//!     }
//! }
//! assert_eq!(seen, ["a at 1:1", "b at 2:3"]);
//!
//! let mut bad = Reader::from_text("<a><b></a>", Limits::default());
//! assert_eq!(
//!     bad.finish().unwrap_err().to_string(),
//!     "1:7: expected </b> (opened at 1:4), found </a>"
//! );
//! # Ok::<(), cpucompat_xml::XmlError>(())
//! ```
use crate::error::{ErrorKind, XmlError};
use crate::lex::{flag, Attr, LexError, Lexed, Lexer, Tok};
use crate::model::Pos;
use crate::text::{
    attr_value, is_xml_name, name_end, non_xml_char, pos_after, push_cdata, push_text, Tracker,
};
use crate::Limits;
use std::borrow::Cow;
use std::io::BufRead;

/// One step of a document.
#[derive(Debug)]
pub enum Event<'r> {
    /// A start tag (or an empty-element tag, followed by its [`Event::End`]).
    Start(Element<'r>),
    /// An end tag.
    End(EndTag<'r>),
    /// Character data or a CDATA section.
    Text(Text<'r>),
}

/// A start tag: its name, attributes and position.
#[derive(Debug)]
pub struct Element<'r> {
    name: &'r [u8],
    bytes: &'r [u8],
    attrs: &'r [Attr],
    pos: Pos,
    depth: usize,
    empty: bool,
    foreign: bool,
}

impl<'r> Element<'r> {
    /// The name as written (with its prefix, if any).
    pub fn name(&self) -> &'r str {
        utf8(self.name)
    }

    /// The name without its namespace prefix.
    pub fn local_name(&self) -> &'r str {
        local(self.name())
    }

    /// Where the tag's `<` is.
    pub fn pos(&self) -> Pos {
        self.pos
    }

    /// The nesting level: 1 for a top-level element.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Whether the tag is an empty-element tag `<a/>` (its end event follows at once).
    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// Whether the element is in a namespace (a prefixed name, or a non-empty default
    /// namespace declared on it or an ancestor).
    pub fn in_namespace(&self) -> bool {
        self.foreign
    }

    fn find(&self, name: &str) -> Option<&'r Attr> {
        self.attrs
            .iter()
            .find(|a| a.name(self.bytes) == name.as_bytes())
    }

    /// The decoded value of attribute `name` (exactly that name, prefix included),
    /// borrowed when it needs no decoding.
    pub fn attr(&self, name: &str) -> Option<Cow<'r, str>> {
        let a = self.find(name)?;
        Some(decoded(a, self.bytes))
    }

    /// Where attribute `name` starts (its name).
    pub fn attr_pos(&self, name: &str) -> Option<Pos> {
        let a = self.find(name)?;
        Some(pos_after(self.pos, self.bytes, a.name.0 as usize))
    }

    /// Where the value of attribute `name` starts (after the quote).
    pub fn value_pos(&self, name: &str) -> Option<Pos> {
        let a = self.find(name)?;
        Some(pos_after(self.pos, self.bytes, a.value.0 as usize))
    }

    /// Every attribute in document order: name as written and decoded value.
    pub fn attrs(&self) -> impl Iterator<Item = (&'r str, Cow<'r, str>)> + '_ {
        let bytes = self.bytes;
        self.attrs
            .iter()
            .map(move |a| (utf8(a.name(bytes)), decoded(a, bytes)))
    }
}

/// An end tag (also the end of an empty-element tag, at that tag's position).
#[derive(Debug)]
pub struct EndTag<'r> {
    name: &'r [u8],
    pos: Pos,
    depth: usize,
}

impl<'r> EndTag<'r> {
    /// The name as written.
    pub fn name(&self) -> &'r str {
        utf8(self.name)
    }

    /// The name without its namespace prefix.
    pub fn local_name(&self) -> &'r str {
        local(self.name())
    }

    /// Where the tag's `<` is.
    pub fn pos(&self) -> Pos {
        self.pos
    }

    /// The nesting level of the element it closes: 1 for a top-level element.
    pub fn depth(&self) -> usize {
        self.depth
    }
}

/// A run of character data, or a CDATA section.
#[derive(Debug)]
pub struct Text<'r> {
    raw: &'r [u8],
    cdata: bool,
    pos: Pos,
    whitespace: bool,
}

impl<'r> Text<'r> {
    /// Where the text starts.
    pub fn pos(&self) -> Pos {
        self.pos
    }

    /// Whether it is a CDATA section.
    pub fn is_cdata(&self) -> bool {
        self.cdata
    }

    /// Whether it is character data of spaces, tabs and line ends only.
    pub fn is_whitespace(&self) -> bool {
        self.whitespace
    }

    /// Appends the decoded text: references replaced, line ends normalized to `\n`.
    pub fn push_to(&self, out: &mut String) {
        if self.cdata {
            push_cdata(out, self.raw);
        } else {
            push_text(out, self.raw);
        }
    }

    /// The decoded text.
    pub fn decoded(&self) -> String {
        let mut s = String::with_capacity(self.raw.len());
        self.push_to(&mut s);
        s
    }
}

fn utf8(b: &[u8]) -> &str {
    // The lexer validated every token it handed out.
    std::str::from_utf8(b).unwrap_or("")
}

fn local(name: &str) -> &str {
    match name.split_once(':') {
        Some((p, l)) if !p.is_empty() => l,
        _ => name,
    }
}

fn decoded<'r>(a: &Attr, bytes: &'r [u8]) -> Cow<'r, str> {
    let raw = a.value(bytes);
    if a.plain {
        if let Ok(s) = std::str::from_utf8(raw) {
            return Cow::Borrowed(s);
        }
    }
    attr_value(raw)
}

/// A tag to hand out after the whitespace text before it, or the end of an empty element.
#[derive(Clone, Copy)]
enum Pending {
    /// The lexed tag (its whitespace already reported).
    Tag(Lexed),
    /// The end event of the empty element just reported.
    EmptyEnd,
}

/// Where the reader is in the document.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Nothing but the prolog read so far.
    Prolog,
    /// Inside the root (or, with fragments, after the first top-level element).
    Body,
    /// The root ended (a document, not fragments): only comments, PIs and whitespace.
    Epilog,
    /// The end of the input, or an error.
    Done,
}

/// The pull reader; see the module documentation.
pub struct Reader<R> {
    lex: Lexer<R>,
    limits: Limits,
    fragments: bool,
    /// An error found before reading (the input's size).
    early: Option<XmlError>,
    /// Names of the open elements, concatenated.
    names: Vec<u8>,
    /// Open elements: where each name ends in `names`, and where the element starts.
    stack: Vec<(usize, Pos)>,
    elements: usize,
    stage: Stage,
    pending: Option<Pending>,
    /// Namespace declarations in scope: (depth declared at, prefix or "" for the default
    /// namespace, whether the URI is empty).
    ns: Vec<(usize, String, bool)>,
    /// The first top-level element's name.
    root: Option<String>,
    /// Whether any token has been read (an XML declaration must be the first).
    started: bool,
    /// Whether the start tag being reported is in a namespace.
    foreign: bool,
    /// The empty-element tag being reported: its window offset and name end.
    last_start: (usize, usize),
}

impl<'a> Reader<&'a [u8]> {
    /// A reader over a whole text; a text larger than [`Limits::max_bytes`] is refused at
    /// once (the first event is the error, at the first byte beyond the limit).
    pub fn from_text(text: &'a str, limits: Limits) -> Reader<&'a [u8]> {
        let mut r = Reader::new(text.as_bytes(), limits);
        if text.len() > limits.max_bytes {
            let pos = Tracker::start().at(text.as_bytes(), limits.max_bytes);
            r.early = Some(XmlError::new(
                pos,
                ErrorKind::TooLarge {
                    limit: limits.max_bytes,
                },
            ));
        }
        r
    }
}

impl<R: BufRead> Reader<R> {
    /// A reader over a byte stream, with `limits` on the whole input.
    pub fn new(src: R, limits: Limits) -> Reader<R> {
        Reader {
            lex: Lexer::new(src, limits, false),
            limits,
            fragments: false,
            early: None,
            names: Vec::new(),
            stack: Vec::new(),
            elements: 0,
            stage: Stage::Prolog,
            pending: None,
            ns: Vec::new(),
            root: None,
            started: false,
            foreign: false,
            last_start: (0, 1),
        }
    }

    /// Accepts any number of top-level elements (files made by concatenating documents),
    /// instead of exactly one root.
    pub fn fragments(mut self) -> Reader<R> {
        self.fragments = true;
        self
    }

    /// The number of open elements.
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    fn fail<T>(&mut self, e: XmlError) -> Result<T, XmlError> {
        self.stage = Stage::Done;
        self.pending = None;
        Err(e)
    }

    /// The next event, `Ok(None)` at the end of a well-formed input.
    ///
    /// # Errors
    /// The first violation of the rules in the module documentation, at its position.
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>, XmlError> {
        if let Some(e) = self.early.take() {
            return self.fail(e);
        }
        loop {
            if self.stage == Stage::Done {
                return Ok(None);
            }
            let lexed = match self.pending.take() {
                Some(Pending::EmptyEnd) => return Ok(Some(self.close_empty())),
                Some(Pending::Tag(l)) => l,
                None => match self.lex.next() {
                    Ok(Some(l)) => {
                        if let Err(e) = self.check_size(&l) {
                            return self.fail(e);
                        }
                        if l.ws > 0 {
                            // the whitespace first, the tag at the next call
                            self.pending = Some(Pending::Tag(Lexed { ws: 0, ..l }));
                            let raw = &self.lex.buf()[l.start - l.ws..l.start];
                            self.started = true;
                            return Ok(Some(Event::Text(Text {
                                raw,
                                cdata: false,
                                pos: self.lex.ws_pos,
                                whitespace: true,
                            })));
                        }
                        l
                    }
                    Ok(None) => return self.end_of_input(),
                    Err(LexError::Xml(e)) => return self.fail(e),
                    Err(LexError::Overflow) => {
                        let e = self.too_large();
                        return self.fail(e);
                    }
                },
            };
            match self.check(&lexed) {
                Err(e) => return self.fail(e),
                Ok(false) => continue,
                Ok(true) => {}
            }
            return match lexed.tok {
                Tok::Start { .. } => Ok(Some(self.start_event(&lexed))),
                Tok::End { .. } => Ok(Some(self.end_event(&lexed))),
                _ => Ok(Some(self.text_event(&lexed))),
            };
        }
    }

    /// Reads to the end of the input, checking it: after a consumer found what it needed
    /// (or an error of its own), the rest must still be well formed.
    ///
    /// # Errors
    /// The first violation of the rules in the rest of the input.
    pub fn finish(&mut self) -> Result<(), XmlError> {
        while self.next_event()?.is_some() {}
        Ok(())
    }

    /// Skips the rest of the element whose start tag was the last event, through its end
    /// tag.
    ///
    /// # Errors
    /// A violation of the rules inside it.
    pub fn skip_element(&mut self) -> Result<(), XmlError> {
        let mut open = 1usize;
        while let Some(ev) = self.next_event()? {
            match ev {
                Event::Start(_) => open += 1,
                Event::End(_) => {
                    open -= 1;
                    if open == 0 {
                        return Ok(());
                    }
                }
                Event::Text(_) => {}
            }
        }
        Ok(())
    }

    /// The next child of the element whose start tag was the last event (or of the
    /// current element, between its children), handed to `f` while its start tag is at
    /// hand: `Some(f(start))`, after which the child's content follows; `None` once the
    /// element's end tag is read. Text between children is skipped.
    ///
    /// # Errors
    /// A violation of the rules up to that child or end tag.
    pub fn next_child<T>(
        &mut self,
        f: impl FnOnce(&Element<'_>) -> T,
    ) -> Result<Option<T>, XmlError> {
        loop {
            match self.next_event()? {
                Some(Event::Start(e)) => return Ok(Some(f(&e))),
                Some(Event::Text(_)) => {}
                Some(Event::End(_)) | None => return Ok(None),
            }
        }
    }

    /// The position of the first byte beyond `max_bytes`.
    fn too_large(&self) -> XmlError {
        let i = self.lex.relative(self.limits.max_bytes as u64);
        XmlError::new(
            self.lex.pos_at(i),
            ErrorKind::TooLarge {
                limit: self.limits.max_bytes,
            },
        )
    }

    fn check_size(&self, l: &Lexed) -> Result<(), XmlError> {
        if self.lex.absolute(l.start + l.len) > self.limits.max_bytes as u64 {
            return Err(self.too_large());
        }
        Ok(())
    }

    fn end_of_input(&mut self) -> Result<Option<Event<'_>>, XmlError> {
        let pos = self.lex.pos();
        if let Some(&(_, opos)) = self.stack.last() {
            let msg = format!(
                "unexpected end of input: <{}> opened at {}:{} is not closed",
                utf8(self.name_at(self.stack.len() - 1)),
                opos.line,
                opos.column
            );
            return self.fail(XmlError::syntax(pos, msg));
        }
        if self.root.is_none() {
            return self.fail(XmlError::syntax(pos, "no element found"));
        }
        self.stage = Stage::Done;
        Ok(None)
    }

    fn name_at(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.stack[i - 1].0 };
        &self.names[start..self.stack[i].0]
    }

    /// The document and standalone rules for one token; `Ok(false)`: nothing to report
    /// (a comment or processing instruction).
    fn check(&mut self, l: &Lexed) -> Result<bool, XmlError> {
        let first = !self.started;
        self.started = true;
        let bytes = &self.lex.buf()[l.start..l.start + l.len];
        let at = || self.lex.pos_at(l.start);
        if l.flags & flag::SUSPECT != 0 {
            if let Some((off, c)) = non_xml_char(bytes) {
                return Err(XmlError::syntax(
                    pos_after(at(), bytes, off),
                    format!("character U+{c:04X} is not allowed in XML"),
                ));
            }
        }
        match l.tok {
            Tok::Comment => {
                let body = &bytes[4..bytes.len() - 3];
                if memchr::memmem::find(body, b"--").is_some() || body.ends_with(b"-") {
                    return Err(XmlError::syntax(at(), "comment contains '--'"));
                }
                Ok(false)
            }
            Tok::Pi => {
                let end = name_end(bytes, 2);
                let target = utf8(&bytes[2..end]);
                if target.eq_ignore_ascii_case("xml") {
                    let decl = target == "xml"
                        && first
                        && bytes.get(end).is_some_and(|b| b.is_ascii_whitespace());
                    if !decl {
                        return Err(XmlError::syntax(at(), "unexpected XML declaration"));
                    }
                } else if end == 2 || !is_xml_name(target) {
                    return Err(XmlError::syntax(
                        pos_after(at(), bytes, 2),
                        "invalid name token",
                    ));
                }
                Ok(false)
            }
            Tok::Text { solid } => {
                if self.stack.is_empty() {
                    if let Some(off) = solid {
                        return Err(XmlError::syntax(
                            self.lex.pos_at(l.start + off),
                            "text outside any element",
                        ));
                    }
                }
                if l.flags & flag::BRACKET != 0 && memchr::memmem::find(bytes, b"]]>").is_some() {
                    return Err(XmlError::syntax(
                        pos_after(at(), bytes, bytes.len()),
                        "']]>' is not allowed inside a character data",
                    ));
                }
                Ok(true)
            }
            Tok::CData => {
                if self.stack.is_empty() {
                    return Err(XmlError::syntax(at(), "CDATA section outside any element"));
                }
                Ok(true)
            }
            Tok::Start { name_end, .. } => {
                let pos = at();
                if self.stage == Stage::Epilog {
                    let root = self.root.as_deref().unwrap_or("");
                    return Err(XmlError::syntax(
                        pos,
                        format!(
                            "a second root element <{}>: the document's root <{root}> has ended",
                            utf8(&bytes[1..name_end])
                        ),
                    ));
                }
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
                if self.elements > self.limits.max_elements {
                    return Err(XmlError::new(
                        pos,
                        ErrorKind::TooManyElements {
                            limit: self.limits.max_elements,
                        },
                    ));
                }
                self.foreign = if l.flags & flag::NAMES != 0 || !self.ns.is_empty() {
                    self.namespaces(l, depth, pos)?
                } else {
                    false
                };
                Ok(true)
            }
            Tok::End { name_end } => {
                let name = &bytes[2..name_end];
                let Some(&(_, opos)) = self.stack.last() else {
                    return Err(XmlError::syntax(
                        at(),
                        format!("end tag </{}> has no matching start tag", utf8(name)),
                    ));
                };
                let top = self.stack.len() - 1;
                if self.name_at(top) != name {
                    return Err(XmlError::syntax(
                        at(),
                        format!(
                            "expected </{}> (opened at {}:{}), found </{}>",
                            utf8(self.name_at(top)),
                            opos.line,
                            opos.column,
                            utf8(name)
                        ),
                    ));
                }
                Ok(true)
            }
        }
    }

    fn start_event(&mut self, l: &Lexed) -> Event<'_> {
        let (name_end, empty) = match l.tok {
            Tok::Start { name_end, empty } => (name_end, empty),
            _ => (1, true),
        };
        let pos = self.lex.pos_at(l.start);
        let depth = self.stack.len() + 1;
        let bytes = &self.lex.buf()[l.start..l.start + l.len];
        let name = &bytes[1..name_end];
        self.stage = Stage::Body;
        if self.root.is_none() {
            self.root = Some(utf8(name).to_string());
        }
        self.names.extend_from_slice(name);
        self.stack.push((self.names.len(), pos));
        if empty {
            self.pending = Some(Pending::EmptyEnd);
            self.last_start = (l.start, name_end);
        }
        Event::Start(Element {
            name,
            bytes,
            attrs: &self.lex.attrs,
            pos,
            depth,
            empty,
            foreign: self.foreign,
        })
    }

    /// Declares the namespaces of a start tag at `depth` and checks its names; returns
    /// whether the element is in a namespace.
    fn namespaces(&mut self, l: &Lexed, depth: usize, pos: Pos) -> Result<bool, XmlError> {
        let Tok::Start { name_end, .. } = l.tok else {
            return Ok(false);
        };
        let bytes = &self.lex.buf()[l.start..l.start + l.len];
        let attrs: &[Attr] = &self.lex.attrs;
        let name = utf8(&bytes[1..name_end]);
        if l.flags & flag::NAMES != 0 {
            for a in attrs {
                let an = a.name(bytes);
                let prefix = match an {
                    b"xmlns" => "",
                    _ => match an.strip_prefix(b"xmlns:") {
                        Some(p) => utf8(p),
                        None => continue,
                    },
                };
                self.ns
                    .push((depth, prefix.to_string(), a.value.0 == a.value.1));
            }
            if !is_xml_name(name) {
                return Err(XmlError::syntax(
                    pos_after(pos, bytes, 1),
                    "invalid name token",
                ));
            }
            for a in attrs {
                let an = utf8(a.name(bytes));
                let at = || pos_after(pos, bytes, a.name.0 as usize);
                if !is_xml_name(an) {
                    return Err(XmlError::syntax(at(), "invalid name token"));
                }
                if let Some(p) = prefix(an) {
                    if p != "xmlns" && p != "xml" && !self.declared(p) {
                        return Err(XmlError::syntax(
                            at(),
                            format!("unknown namespace prefix '{p}'"),
                        ));
                    }
                }
            }
            if let Some(p) = prefix(name) {
                if p != "xml" && !self.declared(p) {
                    return Err(XmlError::syntax(
                        pos_after(pos, bytes, 1),
                        format!("unknown namespace prefix '{p}'"),
                    ));
                }
                return Ok(true);
            }
        }
        Ok(self
            .ns
            .iter()
            .rev()
            .find(|(_, p, _)| p.is_empty())
            .is_some_and(|(_, _, empty)| !empty))
    }

    fn declared(&self, prefix: &str) -> bool {
        self.ns.iter().rev().any(|(_, p, _)| p == prefix)
    }

    /// Pops the top element; returns its depth and name range in `names`.
    fn pop(&mut self) -> (usize, usize) {
        let depth = self.stack.len();
        let from = if depth > 1 {
            self.stack[depth - 2].0
        } else {
            0
        };
        self.stack.pop();
        while self.ns.last().is_some_and(|(d, _, _)| *d >= depth) {
            self.ns.pop();
        }
        if self.stack.is_empty() && !self.fragments {
            self.stage = Stage::Epilog;
        }
        (depth, from)
    }

    fn close_empty(&mut self) -> Event<'_> {
        let pos = self.stack.last().map_or(Pos::default(), |s| s.1);
        let (depth, from) = self.pop();
        self.names.truncate(from);
        // The window still holds the empty-element tag: no token was cut since.
        let (start, name_end) = self.last_start;
        let name = self
            .lex
            .buf()
            .get(start + 1..start + name_end)
            .unwrap_or(&[]);
        Event::End(EndTag { name, pos, depth })
    }

    fn end_event(&mut self, l: &Lexed) -> Event<'_> {
        let pos = self.lex.pos_at(l.start);
        let (depth, from) = self.pop();
        self.names.truncate(from);
        let Tok::End { name_end } = l.tok else {
            unreachable!("end_event is called for end tags only")
        };
        let bytes = &self.lex.buf()[l.start..l.start + l.len];
        Event::End(EndTag {
            name: &bytes[2..name_end],
            pos,
            depth,
        })
    }

    fn text_event(&self, l: &Lexed) -> Event<'_> {
        let bytes = &self.lex.buf()[l.start..l.start + l.len];
        let pos = self.lex.pos_at(l.start);
        match l.tok {
            Tok::CData => Event::Text(Text {
                raw: &bytes[9..bytes.len() - 3],
                cdata: true,
                pos,
                whitespace: false,
            }),
            Tok::Text { solid } => Event::Text(Text {
                raw: bytes,
                cdata: false,
                pos,
                whitespace: solid.is_none(),
            }),
            _ => Event::Text(Text {
                raw: &[],
                cdata: false,
                pos,
                whitespace: true,
            }),
        }
    }
}

/// The namespace prefix of a name (`p` of `p:local`; a leading `:` is not a prefix).
fn prefix(name: &str) -> Option<&str> {
    name.split_once(':')
        .map(|(p, _)| p)
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event as a line: `<name@L:C>`, `</name@L:C>`, `"text"@L:C`.
    fn events(text: &str) -> Result<Vec<String>, String> {
        events_of(Reader::from_text(text, Limits::default()))
    }

    fn events_of<R: BufRead>(mut r: Reader<R>) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        loop {
            match r.next_event() {
                Ok(Some(Event::Start(e))) => {
                    let attrs: Vec<String> =
                        e.attrs().map(|(n, v)| format!(" {n}={v:?}")).collect();
                    out.push(format!(
                        "<{}{}@{}:{}{}>",
                        e.name(),
                        attrs.concat(),
                        e.pos().line,
                        e.pos().column,
                        if e.in_namespace() { " ns" } else { "" }
                    ))
                }
                Ok(Some(Event::End(e))) => out.push(format!(
                    "</{}@{}:{}>",
                    e.name(),
                    e.pos().line,
                    e.pos().column
                )),
                Ok(Some(Event::Text(t))) => out.push(format!(
                    "{:?}@{}:{}",
                    t.decoded(),
                    t.pos().line,
                    t.pos().column
                )),
                Ok(None) => return Ok(out),
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    #[test]
    fn events_come_with_their_positions() {
        let got =
            events("<?xml version='1.0'?>\n<a x='1&amp;2'>\n  <b/>t&lt;<![CDATA[c]]>\n</a>\n")
                .unwrap();
        assert_eq!(
            got,
            [
                "\"\\n\"@1:22",
                "<a x=\"1&2\"@2:1>",
                "\"\\n  \"@2:16",
                "<b@3:3>",
                "</b@3:3>",
                "\"t<\"@3:7",
                "\"c\"@3:12",
                "\"\\n\"@3:25",
                "</a@4:1>",
                "\"\\n\"@4:5",
            ]
        );
    }

    #[test]
    fn a_tiny_buffer_reads_the_same_events() {
        let text = "<r>\n  <é a='b'>x&#10;y</é>\n  <!-- c -->\n  <e z=\"1\"/>\n</r>";
        let whole = events(text).unwrap();
        let tiny = std::io::BufReader::with_capacity(3, text.as_bytes());
        assert_eq!(
            events_of(Reader::new(tiny, Limits::default())).unwrap(),
            whole
        );
    }

    #[test]
    fn attribute_positions_are_their_names_and_values() {
        let mut r = Reader::from_text("<r>\n <e  a='1'\n   b=\"2\"/></r>", Limits::default());
        let _ = r.next_event();
        let _ = r.next_event();
        let Ok(Some(Event::Start(e))) = r.next_event() else {
            panic!("no start tag");
        };
        assert_eq!(e.attr_pos("a"), Some(Pos { line: 2, column: 6 }));
        assert_eq!(e.value_pos("b"), Some(Pos { line: 3, column: 7 }));
        assert_eq!(e.attr_pos("c"), None);
        assert_eq!(e.depth(), 2);
        assert!(e.is_empty());
    }

    #[test]
    fn namespaces_are_tracked_and_checked() {
        assert_eq!(
            events("<r xmlns:p='u'><p:a/><b xmlns='v'><c/></b><d/></r>").unwrap(),
            [
                "<r xmlns:p=\"u\"@1:1>",
                "<p:a@1:16 ns>",
                "</p:a@1:16>",
                "<b xmlns=\"v\"@1:22 ns>",
                "<c@1:35 ns>",
                "</c@1:35>",
                "</b@1:39>",
                "<d@1:43>",
                "</d@1:43>",
                "</r@1:47>",
            ]
        );
        assert_eq!(
            events("<r>\n<q:a/></r>").unwrap_err(),
            "2:2: unknown namespace prefix 'q'"
        );
    }

    #[test]
    fn documents_break_the_rules_at_a_position() {
        for (text, want) in [
            ("<a><b></a>", "1:7: expected </b> (opened at 1:4), found </a>"),
            ("<a/><b/>", "1:5: a second root element <b>: the document's root <a> has ended"),
            ("x<a/>", "1:1: text outside any element"),
            ("<a/>\n y", "2:2: text outside any element"),
            ("</a>", "1:1: end tag </a> has no matching start tag"),
            ("<a>\n<b>", "2:4: unexpected end of input: <b> opened at 2:1 is not closed"),
            ("", "1:1: no element found"),
            ("<!-- only -->", "1:14: no element found"),
            ("<a><!-- x -- y --></a>", "1:4: comment contains '--'"),
            ("<a>]]></a>", "1:7: ']]>' is not allowed inside a character data"),
            ("<a/><?xml version='1.0'?>", "1:5: unexpected XML declaration"),
            ("<a>\u{1}</a>", "1:4: character U+0001 is not allowed in XML"),
            ("<!DOCTYPE a><a/>", "1:1: doctype and entity declarations are not allowed"),
            (
                "<a>&x;</a>",
                "1:4: unknown entity reference '&x;': only &lt; &gt; &amp; &apos; &quot; and character references are allowed",
            ),
        ] {
            assert_eq!(events(text).unwrap_err(), want, "{text:?}");
        }
    }

    #[test]
    fn fragments_allow_several_top_level_elements() {
        let r = Reader::from_text("<a/>\n<b/>", Limits::default()).fragments();
        assert_eq!(
            events_of(r).unwrap(),
            ["<a@1:1>", "</a@1:1>", "\"\\n\"@1:5", "<b@2:1>", "</b@2:1>"]
        );
    }

    #[test]
    fn limits_hold_for_texts_and_streams() {
        let limits = |max_bytes, max_depth, max_elements| Limits {
            max_bytes,
            max_depth,
            max_elements,
        };
        let deep = format!("{}{}", "<a>".repeat(5), "</a>".repeat(5));
        let r = Reader::from_text(&deep, limits(1000, 4, 100));
        assert_eq!(
            events_of(r).unwrap_err(),
            "1:13: elements nested deeper than 4 levels"
        );
        let r = Reader::from_text("<a><b/><b/></a>", limits(1000, 4, 2));
        assert_eq!(events_of(r).unwrap_err(), "1:8: more than 2 elements");
        let text = "<a>\n<b/>\n</a>";
        let r = Reader::from_text(text, limits(6, 4, 100));
        assert_eq!(
            events_of(r).unwrap_err(),
            "2:3: input is larger than 6 bytes"
        );
        let stream = Reader::new(text.as_bytes(), limits(6, 4, 100));
        assert_eq!(
            events_of(stream).unwrap_err(),
            "2:3: input is larger than 6 bytes"
        );
        let long = format!("<a>{}</a>", "x".repeat(200_000));
        let stream = Reader::new(long.as_bytes(), limits(100_000, 4, 100));
        assert_eq!(
            events_of(stream).unwrap_err(),
            "1:100001: input is larger than 100000 bytes"
        );
    }

    #[test]
    fn skip_and_finish_check_what_they_pass() {
        let mut r = Reader::from_text("<a><b><c/>t</b><d/></a>", Limits::default());
        assert!(matches!(r.next_event(), Ok(Some(Event::Start(_)))));
        assert!(matches!(r.next_event(), Ok(Some(Event::Start(_)))));
        r.skip_element().unwrap();
        assert!(matches!(r.next_event(), Ok(Some(Event::Start(e))) if e.name() == "d"));
        r.finish().unwrap();
        let mut r = Reader::from_text("<a><b></c></a>", Limits::default());
        assert!(matches!(r.next_event(), Ok(Some(Event::Start(_)))));
        assert_eq!(
            r.finish().unwrap_err().to_string(),
            "1:7: expected </b> (opened at 1:4), found </c>"
        );
        assert!(matches!(r.next_event(), Ok(None)), "done after an error");
    }
}
