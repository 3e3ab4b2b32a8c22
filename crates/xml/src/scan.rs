//! The document walk: finds the CPU elements of a document and reads them in the same pass.
//!
//! The scanner takes tokens from the [`Lexer`], keeps the stack of open element names (in
//! one reused string, so opening an element allocates nothing) and enforces the
//! document-wide rules:
//!
//! * start and end tags balance and match;
//! * nesting depth ≤ `max_depth`; element count ≤ `max_elements` (in the whole input, or
//!   per selected element for the streaming reader);
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
//! Every token inside a selected element goes to its reader (`cpu::CpuBuilder`,
//! `cpudata::DataBuilder`) as borrowed bytes; the definition is complete at the element's
//! end tag. Only the selected element's bytes stay in memory (the lexer is pinned at its
//! start), so memory is bounded by the largest selected element, whatever the length of
//! the file.
//!
//! Inside a selected element the stricter rules of a standalone XML document also hold
//! (they are what a tree parser of that element alone would refuse): no control
//! characters or U+FFFE/U+FFFF, no `--` inside comments, no `]]>` in text, no XML
//! declaration, XML 1.0 names, and every namespace prefix declared inside the element.
//! Their first violation is reported when the element ends, before any libvirt rule,
//! unless a lexical or nesting error comes first. Elements in a namespace are not CPU data.
use crate::cpu::{CpuBuilder, Resolve, ResolvedCpu, Tag};
use crate::cpudata::DataBuilder;
use crate::error::{ErrorKind, XmlError};
use crate::lex::{flag, Attr, LexError, Lexed, Lexer, Tok};
use crate::model::{CpuData, CpuDef, Pos};
use crate::text::{is_xml_name, non_xml_char, pos_after, push_text};
use crate::Limits;
use std::io::BufRead;

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
enum Kind {
    /// A `<cpu>` element.
    Cpu,
    /// A domcapabilities `<mode name='host-model'>`, read as a `<cpu>` without attributes.
    HostModelMode,
    /// A `<cpudata>` element.
    CpuData,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Cpu => "cpu",
            Kind::HostModelMode => "mode",
            Kind::CpuData => "cpudata",
        }
    }
}

/// A definition read from the input.
pub(crate) enum Item {
    Cpu(CpuDef),
    /// A CPU read with a resolver.
    Resolved(ResolvedCpu),
    Data(CpuData),
}

/// The selected element being read.
struct Open {
    /// Absolute input offset of its start tag.
    start: u64,
    pos: Pos,
    /// Stack depth outside it.
    depth: usize,
    kind: Kind,
    elements: usize,
}

/// The standalone-document rules inside a selected element (see the module docs).
#[derive(Default)]
struct Strict {
    error: Option<XmlError>,
    /// Namespace declarations in scope: (level declared at, prefix, or "" for the default
    /// namespace, whether the URI is empty).
    ns: Vec<(usize, String, bool)>,
}

impl Strict {
    fn reset(&mut self) {
        self.error = None;
        self.ns.clear();
    }

    fn fail(&mut self, pos: Pos, msg: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(XmlError::syntax(pos, msg));
        }
    }

    /// Checks the characters of a token flagged suspect; `pos`: where it starts.
    fn chars(&mut self, bytes: &[u8], pos: impl Fn() -> Pos) {
        if self.error.is_some() {
            return;
        }
        if let Some((off, c)) = non_xml_char(bytes) {
            let p = pos_after(pos(), bytes, off);
            self.fail(p, format!("character U+{c:04X} is not allowed in XML"));
        }
    }

    fn comment(&mut self, bytes: &[u8], pos: impl Fn() -> Pos) {
        let body = &bytes[4..bytes.len() - 3];
        if memchr::memmem::find(body, b"--").is_some() || body.ends_with(b"-") {
            self.fail(pos(), "comment contains '--'");
        }
    }

    /// `]]>` in text: reported where the text ends, as a tree parser finds it.
    fn text(&mut self, bytes: &[u8], pos: impl Fn() -> Pos) {
        if memchr::memmem::find(bytes, b"]]>").is_some() {
            let p = pos_after(pos(), bytes, bytes.len());
            self.fail(p, "']]>' is not allowed inside a character data");
        }
    }

    fn pi(&mut self, bytes: &[u8], pos: impl Fn() -> Pos) {
        if bytes.starts_with(b"<?xml ") {
            self.fail(pos(), "unexpected XML declaration");
            return;
        }
        let end = crate::text::name_end(bytes, 2);
        let ok = end > 2 && std::str::from_utf8(&bytes[2..end]).is_ok_and(is_xml_name);
        if !ok {
            self.fail(pos_after(pos(), bytes, 2), "invalid name token");
        }
    }

    /// Declares the namespaces of a start tag at `level` and checks its names; returns
    /// whether the element is in a namespace. `special`: the lexer saw a name with `:` or
    /// a non-ASCII byte, or an `xmlns` attribute (else there is nothing to do).
    fn start(&mut self, level: usize, tag: &Tag, special: bool) -> bool {
        if !special {
            return !self.ns.is_empty() && self.foreign(b"");
        }
        for a in tag.attrs {
            let name = a.name(tag.bytes);
            let prefix = match name {
                b"xmlns" => "",
                _ => match name.strip_prefix(b"xmlns:") {
                    Some(p) => std::str::from_utf8(p).unwrap_or(""),
                    None => continue,
                },
            };
            let empty = a.value.0 == a.value.1;
            self.ns.push((level, prefix.to_string(), empty));
        }
        let tag_name = std::str::from_utf8(tag.name).unwrap_or("");
        if self.error.is_some() {
            return self.foreign(tag.name);
        }
        if !is_xml_name(tag_name) {
            self.fail(pos_after(tag.pos, tag.bytes, 1), "invalid name token");
        }
        for a in tag.attrs {
            let name = std::str::from_utf8(a.name(tag.bytes)).unwrap_or("");
            if !is_xml_name(name) {
                self.fail(
                    pos_after(tag.pos, tag.bytes, a.name.0 as usize),
                    "invalid name token",
                );
            }
            if let Some(p) = prefix(name) {
                if p != "xmlns" && p != "xml" && !self.declared(p) {
                    let at = pos_after(tag.pos, tag.bytes, a.name.0 as usize);
                    self.fail(at, format!("unknown namespace prefix '{p}'"));
                }
            }
        }
        if let Some(p) = prefix(tag_name) {
            if p != "xml" && !self.declared(p) {
                let at = pos_after(tag.pos, tag.bytes, 1);
                self.fail(at, format!("unknown namespace prefix '{p}'"));
            }
        }
        self.foreign(tag.name)
    }

    fn declared(&self, prefix: &str) -> bool {
        self.ns.iter().rev().any(|(_, p, _)| p == prefix)
    }

    /// Whether an element name is in a namespace.
    fn foreign(&self, name: &[u8]) -> bool {
        let prefixed = name.iter().skip(1).any(|&b| b == b':');
        if self.ns.is_empty() || prefixed {
            return prefixed;
        }
        self.ns
            .iter()
            .rev()
            .find(|(_, p, _)| p.is_empty())
            .is_some_and(|(_, _, empty)| !empty)
    }

    /// Leaves `level`: its declarations go out of scope.
    fn end(&mut self, level: usize) {
        while self.ns.last().is_some_and(|(l, _, _)| *l >= level) {
            self.ns.pop();
        }
    }
}

/// The namespace prefix of a name (`p` of `p:local`; a leading `:` is not a prefix).
fn prefix(name: &str) -> Option<&str> {
    name.split_once(':')
        .map(|(p, _)| p)
        .filter(|p| !p.is_empty())
}

/// Finds and reads the selected elements of a byte stream, one at a time.
pub(crate) struct Scanner<R> {
    lex: Lexer<R>,
    limits: Limits,
    whole: bool,
    target: Target,
    /// Names of the open elements, concatenated.
    names: Vec<u8>,
    /// Open elements: where each name ends in `names`, and where the element starts.
    stack: Vec<(usize, Pos)>,
    elements: usize,
    open: Option<Open>,
    found: usize,
    first_root: Option<(String, Pos)>,
    done: bool,
    cpu: CpuBuilder,
    data: DataBuilder,
    strict: Strict,
    /// `domainCapabilities/arch`, for the host-model definitions after it.
    doc_arch: Option<String>,
    /// Whether the text being read is `domainCapabilities/arch`.
    in_doc_arch: bool,
}

impl<R: BufRead> Scanner<R> {
    pub(crate) fn new(src: R, limits: Limits, whole: bool, target: Target) -> Scanner<R> {
        Scanner {
            lex: Lexer::new(src, limits, whole),
            limits,
            whole,
            target,
            names: Vec::new(),
            stack: Vec::new(),
            elements: 0,
            open: None,
            found: 0,
            first_root: None,
            done: false,
            cpu: CpuBuilder::default(),
            data: DataBuilder::default(),
            strict: Strict::default(),
            doc_arch: None,
            in_doc_arch: false,
        }
    }

    /// How many elements have been selected so far.
    pub(crate) fn found(&self) -> usize {
        self.found
    }

    fn fail(&mut self, e: XmlError) -> Option<Result<Item, XmlError>> {
        self.done = true;
        Some(Err(e))
    }

    fn name_at(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.stack[i - 1].0 };
        &self.names[start..self.stack[i].0]
    }

    /// The stack's names after the optional wrapper.
    fn path_start(&self) -> usize {
        match self.stack.first() {
            Some(_)
                if !matches!(
                    self.name_at(0),
                    b"cpu" | b"domain" | b"capabilities" | b"domainCapabilities"
                ) =>
            {
                1
            }
            _ => 0,
        }
    }

    fn path_is(&self, want: &[&str]) -> bool {
        let from = self.path_start();
        self.stack.len() == from + want.len()
            && want
                .iter()
                .enumerate()
                .all(|(k, w)| self.name_at(from + k) == w.as_bytes())
    }

    fn selects(&self, name: &[u8], tag: &Tag) -> Option<Kind> {
        if self.target == Target::CpuData {
            return (self.stack.is_empty() && name == b"cpudata").then_some(Kind::CpuData);
        }
        if self.stack.len() > 3 {
            return None;
        }
        match name {
            b"cpu"
                if self.path_is(&[])
                    || self.path_is(&["domain"])
                    || self.path_is(&["capabilities", "host"]) =>
            {
                Some(Kind::Cpu)
            }
            b"mode"
                if self.path_is(&["domainCapabilities", "cpu"])
                    && tag.attr("name").as_deref() == Some("host-model")
                    && tag.attr("supported").as_deref() == Some("yes") =>
            {
                Some(Kind::HostModelMode)
            }
            _ => None,
        }
    }

    /// The next selected definition, or an error, or `None` at the end. With `resolve`,
    /// a CPU's feature names are looked up as they are read ([`Item::Resolved`]).
    pub(crate) fn next_item(
        &mut self,
        resolve: Option<Resolve<'_>>,
    ) -> Option<Result<Item, XmlError>> {
        loop {
            if self.done {
                return None;
            }
            if self.at_cpu_child() {
                if let Some(q) = self.lex.quick_feature() {
                    if let Err(e) = self.on_quick_feature(q, resolve) {
                        return self.fail(e);
                    }
                    continue;
                }
            }
            let lexed = match self.lex.next() {
                Ok(Some(l)) => l,
                Ok(None) => return self.finish(),
                Err(LexError::Xml(e)) => return self.fail(e),
                Err(LexError::Overflow) => {
                    let e = match &self.open {
                        Some(o) => XmlError::new(
                            o.pos,
                            ErrorKind::ElementTooLarge {
                                name: o.kind.name().to_string(),
                                limit: self.limits.max_bytes,
                            },
                        ),
                        None => XmlError::new(
                            self.lex.pos(),
                            ErrorKind::Syntax(format!(
                                "markup or text larger than {} bytes",
                                self.limits.max_bytes
                            )),
                        ),
                    };
                    return self.fail(e);
                }
            };
            match self.on_token(lexed, resolve) {
                Err(e) => return self.fail(e),
                Ok(Some(item)) => return Some(Ok(item)),
                Ok(None) => {}
            }
        }
    }

    /// Whether the next token would be a direct child of a selected `<cpu>` (or
    /// host-model `<mode>`) with no namespace declared: where [`Lexer::quick_feature`]
    /// may cut it.
    #[inline]
    fn at_cpu_child(&self) -> bool {
        match &self.open {
            Some(o) => {
                o.kind != Kind::CpuData
                    && self.stack.len() == o.depth + 1
                    && self.strict.ns.is_empty()
            }
            None => false,
        }
    }

    /// `<feature name='NAME'/>` as a direct child of a `<cpu>` (see
    /// [`Scanner::at_cpu_child`]): exactly what [`Scanner::on_token`] does for that tag
    /// and the whitespace before it there (the whitespace is not in a text child, the
    /// tag is plain ASCII in no namespace, and it is empty), without a [`Tag`].
    fn on_quick_feature(
        &mut self,
        q: crate::lex::QuickFeature,
        resolve: Option<Resolve<'_>>,
    ) -> Result<(), XmlError> {
        let depth = self.stack.len() + 1;
        if depth > self.limits.max_depth as usize {
            return Err(XmlError::new(
                q.pos,
                ErrorKind::TooDeep {
                    limit: self.limits.max_depth,
                },
            ));
        }
        self.elements += 1;
        let count = match self.open.as_mut() {
            Some(o) => {
                o.elements += 1;
                if self.whole {
                    self.elements
                } else {
                    o.elements
                }
            }
            None => self.elements,
        };
        if count > self.limits.max_elements {
            return Err(XmlError::new(
                q.pos,
                ErrorKind::TooManyElements {
                    limit: self.limits.max_elements,
                },
            ));
        }
        let name = &self.lex.buf()[q.name.0..q.name.1];
        self.cpu.plain_feature(name, q.pos, resolve);
        self.cpu.end(1);
        self.data.markup();
        Ok(())
    }

    /// Whitespace-only text before a tag (see [`Lexed`]): what a text token of it does.
    fn on_ws(&mut self, from: usize, to: usize) {
        let level = self
            .open
            .as_ref()
            .map(|o| (o.kind, self.stack.len() - o.depth));
        let bytes = &self.lex.buf()[from..to];
        match level {
            // whitespace changes nothing in a dump (no error, no item)
            Some((Kind::CpuData, _)) => {}
            Some((_, level)) => self.cpu.text(level, bytes, false),
            None if self.in_doc_arch => {
                if let Some(a) = self.doc_arch.as_mut() {
                    push_text(a, bytes);
                }
            }
            None => {}
        }
    }

    /// Applies one token; a definition when it completes the selected element.
    fn on_token(
        &mut self,
        l: Lexed,
        resolve: Option<Resolve<'_>>,
    ) -> Result<Option<Item>, XmlError> {
        let Lexed {
            tok,
            start,
            len,
            flags,
            ws,
        } = l;
        if ws > 0 {
            self.on_ws(start - ws, start);
        }
        let lex = &self.lex;
        let bytes = &lex.buf()[start..start + len];
        let attrs: &[Attr] = &lex.attrs;
        let at = || lex.pos_at(start);
        // The open-element count inside the selected element.
        let level = self.open.as_ref().map(|o| self.stack.len() - o.depth);
        if level.is_some() && flags & flag::SUSPECT != 0 {
            self.strict.chars(bytes, at);
        }
        match tok {
            Tok::Text { solid } => {
                if let (Some(off), true) = (solid, self.stack.is_empty()) {
                    let pos = lex.pos_at(start + off);
                    return Err(XmlError::syntax(pos, "text outside any element"));
                }
                if let Some(level) = level {
                    if flags & flag::BRACKET != 0 {
                        self.strict.text(bytes, at);
                    }
                    match self.open.as_ref().map(|o| o.kind) {
                        Some(Kind::CpuData) => self.data.text(level, bytes, false, at),
                        _ => self.cpu.text(level, bytes, false),
                    }
                } else if self.in_doc_arch {
                    if let Some(a) = self.doc_arch.as_mut() {
                        push_text(a, bytes);
                    }
                }
                Ok(None)
            }
            Tok::CData => {
                if self.stack.is_empty() {
                    return Err(XmlError::syntax(at(), "CDATA section outside any element"));
                }
                let body = &bytes[9..len - 3];
                if let Some(level) = level {
                    match self.open.as_ref().map(|o| o.kind) {
                        Some(Kind::CpuData) => self.data.text(level, body, true, at),
                        _ => self.cpu.text(level, body, true),
                    }
                } else if self.in_doc_arch {
                    if let Some(a) = self.doc_arch.as_mut() {
                        crate::text::push_cdata(a, body);
                    }
                }
                Ok(None)
            }
            Tok::Comment | Tok::Pi => {
                if level.is_some() {
                    if tok == Tok::Comment {
                        self.strict.comment(bytes, at);
                    } else {
                        self.strict.pi(bytes, at);
                    }
                    self.data.markup();
                }
                Ok(None)
            }
            Tok::Start { name_end, empty } => {
                let pos = at();
                let name = &bytes[1..name_end];
                let tag = Tag {
                    name,
                    bytes,
                    attrs,
                    pos,
                };
                let special = flags & flag::NAMES != 0;
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
                    self.first_root = Some((tag.name_str().into_owned(), pos));
                }
                let mut level = level;
                if self.open.is_none() {
                    if let Some(kind) = self.selects(name, &tag) {
                        if self.target == Target::CpuData && self.found > 0 {
                            return Err(XmlError::invalid(pos, "more than one <cpudata> element"));
                        }
                        self.open = Some(Open {
                            start: lex.absolute(start),
                            pos,
                            depth: self.stack.len(),
                            kind,
                            elements: 1,
                        });
                        lex.pin(start);
                        self.strict.reset();
                        if flags & flag::SUSPECT != 0 {
                            self.strict.chars(bytes, at);
                        }
                        self.strict.start(0, &tag, special);
                        let resolving = resolve.is_some();
                        match kind {
                            Kind::CpuData => self.data.begin(&tag),
                            Kind::Cpu => self.cpu.begin(true, resolving, &tag),
                            Kind::HostModelMode => self.cpu.begin(false, resolving, &tag),
                        }
                        if empty {
                            return self.complete(start + len).map(Some);
                        }
                        level = None;
                    } else if name == b"arch" && self.path_is(&["domainCapabilities"]) {
                        self.doc_arch = Some(String::new());
                        self.in_doc_arch = !empty;
                    } else if name == b"domainCapabilities" && self.path_is(&[]) {
                        self.doc_arch = None;
                    }
                }
                if let Some(level) = level {
                    let foreign = self.strict.start(level, &tag, special);
                    match self.open.as_ref().map(|o| o.kind) {
                        Some(Kind::CpuData) => self.data.start(level, &tag),
                        _ => self.cpu.start(level, &tag, foreign, resolve),
                    }
                    if empty {
                        self.strict.end(level);
                        self.cpu.end(level);
                        self.data.markup();
                    }
                }
                if !empty {
                    self.names.extend_from_slice(name);
                    self.stack.push((self.names.len(), pos));
                }
                Ok(None)
            }
            Tok::End { name_end } => {
                let name = &bytes[2..name_end];
                let Some(&(_, opos)) = self.stack.last() else {
                    return Err(XmlError::syntax(
                        at(),
                        format!(
                            "end tag </{}> has no matching start tag",
                            String::from_utf8_lossy(name)
                        ),
                    ));
                };
                let top = self.stack.len() - 1;
                if self.name_at(top) != name {
                    return Err(XmlError::syntax(
                        at(),
                        format!(
                            "expected </{}> (opened at {}:{}), found </{}>",
                            String::from_utf8_lossy(self.name_at(top)),
                            opos.line,
                            opos.column,
                            String::from_utf8_lossy(name)
                        ),
                    ));
                }
                let from = if top == 0 { 0 } else { self.stack[top - 1].0 };
                self.names.truncate(from);
                self.stack.pop();
                self.in_doc_arch = false;
                if let Some(o) = &self.open {
                    let level = self.stack.len() - o.depth;
                    if level == 0 {
                        return self.complete(start + len).map(Some);
                    }
                    self.strict.end(level);
                    self.cpu.end(level);
                    self.data.markup();
                }
                Ok(None)
            }
        }
    }

    /// The selected element ended at window offset `end`.
    fn complete(&mut self, end: usize) -> Result<Item, XmlError> {
        let Some(o) = self.open.take() else {
            return Err(XmlError::invalid(self.lex.pos(), "no element is open"));
        };
        self.lex.unpin();
        self.found += 1;
        let size = self.lex.absolute(end) - o.start;
        if !self.whole && size > self.limits.max_bytes as u64 {
            return Err(XmlError::new(
                o.pos,
                ErrorKind::ElementTooLarge {
                    name: o.kind.name().to_string(),
                    limit: self.limits.max_bytes,
                },
            ));
        }
        if let Some(e) = self.strict.error.take() {
            return Err(e);
        }
        let resolving = self.cpu.is_resolving();
        match o.kind {
            Kind::CpuData => self.data.finish().map(Item::Data),
            Kind::Cpu if resolving => self.cpu.finish_resolved().map(Item::Resolved),
            Kind::Cpu => self.cpu.finish().map(Item::Cpu),
            Kind::HostModelMode => {
                let arch = self.doc_arch.clone().filter(|a| !a.trim().is_empty());
                if resolving {
                    self.cpu.finish_resolved().map(|mut c| {
                        c.set_arch(arch);
                        Item::Resolved(c)
                    })
                } else {
                    self.cpu.finish().map(|mut c| {
                        c.arch = arch;
                        Item::Cpu(c)
                    })
                }
            }
        }
    }

    fn finish(&mut self) -> Option<Result<Item, XmlError>> {
        let pos = self.lex.pos();
        if let Some(&(_, opos)) = self.stack.last() {
            let msg = format!(
                "unexpected end of input: <{}> opened at {}:{} is not closed",
                String::from_utf8_lossy(self.name_at(self.stack.len() - 1)),
                opos.line,
                opos.column
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
