//! What a document is, decided by reading it: [`sniff`] and [`sniff_reader`].
//!
//! Rules, in order:
//! 1. A UTF-8 byte-order mark and whitespace are skipped. Empty input, or input whose
//!    first other byte is not `<`, is [`Sniffed::NotXml`]: the caller tries its text
//!    grammars (`cpuid -r`, `/proc/cpuinfo`).
//! 2. Otherwise the markup is read token by token with the same lexer and the same rules
//!    as parsing (no DTD, references, well-formed and balanced tags, UTF-8), skipping
//!    comments and processing instructions, so text inside a comment never counts.
//! 3. The **form** is the first element's name ([`Form`]); any other name is a wrapper
//!    (`<cpuTest>`, `<hosts>`), whose first child names the form of what it wraps.
//! 4. The **architecture** is the first of these, below the optional wrapper:
//!    `cpu/arch` (a host `<cpu>`), `capabilities/host/cpu/arch`, `domainCapabilities/arch`,
//!    `domain/os/type/@arch`, `cpudata/@arch`. Text is taken trimmed; empty counts as
//!    absent.
//! 5. Reading stops as soon as both are known, or when the first definition element
//!    closes (a guest `<cpu>` names no architecture), or at the end of the input. A
//!    million-host pool is therefore read only up to its first host's `</arch>`.
//!
//! Memory is bounded: the window holds one token (at most [`crate::Limits::max_bytes`]),
//! so a 100 KiB comment before the root is read through, not kept.
use crate::error::{ErrorKind, XmlError};
use crate::lex::{LexError, Lexer, Tok};
use crate::text::{attr_value, push_cdata, push_text};
use crate::Limits;
use std::io::BufRead;

/// The form of an XML document, from its first element (below an optional wrapper).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Form {
    /// `<cpu>`: a guest or host CPU definition (several may follow).
    Cpu,
    /// `<domain>`: domain XML.
    Domain,
    /// `<capabilities>`: `virsh capabilities`.
    Capabilities,
    /// `<domainCapabilities>`: `virsh domcapabilities`.
    DomainCapabilities,
    /// `<cpudata>`: a CPUID/MSR/PVR dump.
    CpuData,
    /// Any other root element, e.g. `<cpuTest>`: a wrapper. `first` is the form of its
    /// first child element, if it has one.
    Wrapper {
        /// The wrapper's element name.
        name: String,
        /// The form of the first element inside it.
        first: Option<Box<Form>>,
    },
}

impl Form {
    fn of(name: &str) -> Option<Form> {
        Some(match name {
            "cpu" => Form::Cpu,
            "domain" => Form::Domain,
            "capabilities" => Form::Capabilities,
            "domainCapabilities" => Form::DomainCapabilities,
            "cpudata" => Form::CpuData,
            _ => return None,
        })
    }

    /// The form inside an optional wrapper.
    pub fn unwrapped(&self) -> Option<&Form> {
        match self {
            Form::Wrapper { first, .. } => first.as_deref(),
            f => Some(f),
        }
    }
}

/// What [`sniff`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// Not XML: the first byte after a byte-order mark and whitespace is not `<`.
    NotXml,
    /// An XML document.
    Xml {
        /// The root element's name, e.g. `cpu`, `cpuTest`, `domainCapabilities`.
        root: String,
        /// Its form.
        form: Form,
        /// The architecture the document names (see the module docs), e.g. `x86_64`.
        arch: Option<String>,
    },
}

/// Where an architecture may be named: a path below the optional wrapper, and whether it
/// is the path's text (`None`) or an attribute of its last element.
const ARCH_PATHS: &[(&[&str], Option<&str>)] = &[
    (&["cpu", "arch"], None),
    (&["capabilities", "host", "cpu", "arch"], None),
    (&["domainCapabilities", "arch"], None),
    (&["domain", "os", "type"], Some("arch")),
    (&["cpudata"], Some("arch")),
];

/// [`sniff_reader`] over bytes in memory.
///
/// # Errors
/// As [`sniff_reader`].
pub fn sniff(bytes: &[u8]) -> Result<Sniffed, XmlError> {
    sniff_reader(bytes)
}

/// Decides what a document is by reading as little of it as needed (see the module docs).
/// Errors are those of parsing, in the part read.
///
/// # Errors
/// An [`XmlError`] for the first parse error in the part read, or a read failure.
pub fn sniff_reader<R: BufRead>(mut src: R) -> Result<Sniffed, XmlError> {
    // Rule 1: a BOM and whitespace, then '<' or not.
    let mut skipped: Vec<u8> = Vec::new();
    let mut bom = true;
    loop {
        let chunk = match src.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let pos = crate::text::Tracker::start().at(&skipped, skipped.len());
                return Err(XmlError::new(pos, ErrorKind::Io(e.to_string())));
            }
        };
        let Some(&b) = chunk.first() else {
            return Ok(Sniffed::NotXml);
        };
        const BOM: &[u8; 3] = b"\xEF\xBB\xBF";
        if bom && skipped.len() < 3 {
            if b == BOM[skipped.len()] {
                skipped.push(b);
                src.consume(1);
                continue;
            }
            if !skipped.is_empty() {
                // a partial byte-order mark is not whitespace
                return Ok(Sniffed::NotXml);
            }
        }
        bom = false;
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            skipped.push(b);
            src.consume(1);
            continue;
        }
        if b != b'<' {
            return Ok(Sniffed::NotXml);
        }
        break;
    }
    // The lexer sees the skipped bytes again, so positions count them.
    let input = std::io::Read::chain(std::io::Cursor::new(skipped), src);
    let limits = Limits::default();
    let mut lex = Lexer::new(std::io::BufReader::new(input), limits, false);
    let mut stack: Vec<String> = Vec::new();
    let mut opened: Vec<crate::model::Pos> = Vec::new();
    let mut root: Option<String> = None;
    let mut wrapped: Option<Form> = None;
    let mut arch: Option<String> = None;
    let mut text: Option<String> = None;
    let done = |root: &Option<String>, wrapped: &Option<Form>, arch: &Option<String>| {
        let Some(r) = root else { return false };
        let form_known = Form::of(r).is_some() || wrapped.is_some();
        form_known && arch.is_some()
    };
    loop {
        let l = match lex.next() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(LexError::Xml(e)) => return Err(e),
            Err(LexError::Overflow) => {
                return Err(XmlError::new(
                    lex.pos(),
                    ErrorKind::Syntax(format!(
                        "markup or text larger than {} bytes",
                        limits.max_bytes
                    )),
                ))
            }
        };
        if l.ws > 0 {
            if let Some(t) = text.as_mut() {
                push_text(t, &lex.buf()[l.start - l.ws..l.start]);
            }
        }
        let bytes = &lex.buf()[l.start..l.start + l.len];
        match l.tok {
            Tok::Text { solid } => {
                if let (Some(off), true) = (solid, stack.is_empty()) {
                    let pos = lex.pos_at(l.start + off);
                    return Err(XmlError::syntax(pos, "text outside any element"));
                }
                if let Some(t) = text.as_mut() {
                    push_text(t, bytes);
                }
            }
            Tok::CData => {
                if stack.is_empty() {
                    return Err(XmlError::syntax(
                        lex.pos_at(l.start),
                        "CDATA section outside any element",
                    ));
                }
                if let Some(t) = text.as_mut() {
                    push_cdata(t, &bytes[9..l.len - 3]);
                }
            }
            Tok::Comment | Tok::Pi => {}
            Tok::Start { name_end, empty } => {
                let name = String::from_utf8_lossy(&bytes[1..name_end]).into_owned();
                if stack.len() + 1 > limits.max_depth as usize {
                    return Err(XmlError::new(
                        lex.pos_at(l.start),
                        ErrorKind::TooDeep {
                            limit: limits.max_depth,
                        },
                    ));
                }
                if root.is_none() {
                    root = Some(name.clone());
                } else if stack.len() == 1 && wrapped.is_none() {
                    if let Some(r) = &root {
                        if Form::of(r).is_none() {
                            wrapped = Some(Form::of(&name).unwrap_or(Form::Wrapper {
                                name: name.clone(),
                                first: None,
                            }));
                        }
                    }
                }
                stack.push(name);
                opened.push(lex.pos_at(l.start));
                let path = below_wrapper(&stack);
                for (p, attr) in ARCH_PATHS {
                    if arch.is_some() || path != *p {
                        continue;
                    }
                    match attr {
                        Some(a) => {
                            let v = lex.attrs.iter().find(|x| x.name(bytes) == a.as_bytes());
                            if let Some(v) = v {
                                let v = attr_value(v.value(bytes));
                                if !v.trim().is_empty() {
                                    arch = Some(v.trim().to_string());
                                }
                            }
                        }
                        None => text = Some(String::new()),
                    }
                }
                if empty {
                    stack.pop();
                    opened.pop();
                    if let Some(t) = text.take() {
                        if !t.trim().is_empty() && arch.is_none() {
                            arch = Some(t.trim().to_string());
                        }
                    }
                }
                if done(&root, &wrapped, &arch) {
                    break;
                }
            }
            Tok::End { name_end } => {
                let name = &bytes[2..name_end];
                match stack.last() {
                    Some(open) if open.as_bytes() == name => {}
                    Some(open) => {
                        let o = opened.last().copied().unwrap_or_default();
                        return Err(XmlError::syntax(
                            lex.pos_at(l.start),
                            format!(
                                "expected </{open}> (opened at {}:{}), found </{}>",
                                o.line,
                                o.column,
                                String::from_utf8_lossy(name)
                            ),
                        ));
                    }
                    None => {
                        return Err(XmlError::syntax(
                            lex.pos_at(l.start),
                            format!(
                                "end tag </{}> has no matching start tag",
                                String::from_utf8_lossy(name)
                            ),
                        ))
                    }
                }
                if let Some(t) = text.take() {
                    if !t.trim().is_empty() && arch.is_none() {
                        arch = Some(t.trim().to_string());
                    }
                }
                stack.pop();
                opened.pop();
                if done(&root, &wrapped, &arch) {
                    break;
                }
                // the first definition is over: what it did not say, the rest does not
                let wrapper = root.as_deref().is_some_and(|r| Form::of(r).is_none());
                if stack.len() == usize::from(wrapper) {
                    break;
                }
            }
        }
    }
    let Some(root) = root else {
        return Err(XmlError::new(
            lex.pos(),
            ErrorKind::NoCpu("no XML element found".to_string()),
        ));
    };
    let form = match Form::of(&root) {
        Some(f) => f,
        None => Form::Wrapper {
            name: root.clone(),
            first: wrapped.map(Box::new),
        },
    };
    Ok(Sniffed::Xml { root, form, arch })
}

/// The open elements' names below the optional wrapper.
fn below_wrapper(stack: &[String]) -> Vec<&str> {
    let skip = usize::from(stack.first().is_some_and(|r| Form::of(r).is_none()));
    stack.iter().skip(skip).map(String::as_str).collect()
}
