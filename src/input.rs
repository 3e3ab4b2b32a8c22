//! Inputs: where CPU descriptions come from, how their form is recognised, and how they
//! are read exactly once.
//!
//! An [`Input`] is a named source: a file, standard input, a string or any reader. Every
//! input is read once, front to back, so pipes and process substitutions work like
//! files. Recognising the architecture before an engine exists ([`Input::arch`]) reads
//! only as far as the first CPU definition and keeps those bytes; reading the input
//! afterwards replays them before the rest.
//!
//! The form is recognised by reading the document, not by searching its text:
//!
//! ```text
//! skip a UTF-8 byte-order mark and white space, then
//!   '<'  → XML: the root element (after comments and processing instructions) is
//!          <cpudata> → a CPUID/MSR/PVR dump; anything else → CPU definitions
//!          (bare <cpu>, several, any wrapper, domain, capabilities, domcapabilities)
//!   '{'  → JSON: QEMU's s390x host model {"name": ..., "props": {...}}
//!   else → text: `cpuid -r` output (a "CPU n:" header or a "0x… 0x…: eax=…" line first)
//!                or a POWER /proc/cpuinfo (a "revision : … (pvr XXXX XXXX)" line)
//! ```
//!
//! The architecture of an input: its first CPU definition's `<arch>` (an architecture
//! cpucompat does not decide is an error, at its position), else the `arch=` of a
//! `<cpudata>` dump, else what its model name says (`z…`/`gen…` models are s390x's,
//! `POWER…`/`power…` POWER's), else none (any architecture may read it).
use crate::error::{Error, ErrorKind};
use cpucompat_contract::Arch;
use cpucompat_xml::model::{CpuDef, Pos};
use cpucompat_xml::{Form as SniffedForm, Sniffed};
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

/// The largest input read whole, in bytes (streamed pools have no overall limit; each
/// CPU element is bounded by the XML reader's limits instead).
pub const MAX_INPUT: u64 = 64 << 20;

/// How far [`Input::arch`] reads a text (non-XML) input to recognise it.
const TEXT_HEAD: u64 = 64 << 10;

/// A named source of CPU descriptions.
pub struct Input {
    name: String,
    source: Source,
}

enum Source {
    Path(PathBuf),
    Stdin,
    Bytes(Vec<u8>),
    Reader(Box<dyn Read + Send>),
    /// Opened, with the bytes already read kept in front of the rest.
    Replay(Cursor<Vec<u8>>, Box<dyn BufRead + Send>),
    /// CPU definitions being read, the first already parsed.
    Xml(Box<CpuStream>, Option<CpuDef>),
}

/// The streaming reader of an input's CPU definitions.
pub(crate) type CpuStream = cpucompat_xml::CpuReader<Box<dyn BufRead + Send>>;

/// An input, opened and recognised: CPU definitions to stream, or a text to read whole.
pub(crate) enum Opened {
    /// CPU definitions: the first (when already read), then the rest of the stream.
    Cpus(Box<CpuStream>, Option<CpuDef>),
    /// A dump or another non-definition form, read whole.
    Text(String),
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input").field("name", &self.name).finish()
    }
}

/// What kind of text an input holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// CPU definitions in XML.
    Cpus,
    /// A `<cpudata>` dump.
    CpuData,
    /// QEMU JSON (an s390x host model).
    Json,
    /// `cpuid -r` text.
    CpuidText,
    /// A POWER `/proc/cpuinfo`.
    Cpuinfo,
}

impl Input {
    /// A file; `-` is standard input (named `<stdin>` in messages).
    pub fn path(path: impl AsRef<Path>) -> Input {
        let path = path.as_ref();
        if path.as_os_str() == "-" {
            return Input::stdin();
        }
        Input {
            name: path.display().to_string(),
            source: Source::Path(path.to_path_buf()),
        }
    }

    /// Standard input, named `<stdin>`.
    pub fn stdin() -> Input {
        Input {
            name: "<stdin>".into(),
            source: Source::Stdin,
        }
    }

    /// A text held in memory, named `name` in messages.
    pub fn from_text(name: impl Into<String>, text: impl Into<String>) -> Input {
        Input {
            name: name.into(),
            source: Source::Bytes(text.into().into_bytes()),
        }
    }

    /// Bytes held in memory, named `name` in messages.
    pub fn from_bytes(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Input {
        Input {
            name: name.into(),
            source: Source::Bytes(bytes.into()),
        }
    }

    /// Any reader, named `name` in messages; read once.
    pub fn from_reader(name: impl Into<String>, reader: impl Read + Send + 'static) -> Input {
        Input {
            name: name.into(),
            source: Source::Reader(Box::new(reader)),
        }
    }

    /// The name used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Opens the source as a buffered reader.
    pub(crate) fn open(self) -> Result<(String, Box<dyn BufRead + Send>), Error> {
        let reader: Box<dyn BufRead + Send> = match self.source {
            Source::Path(p) => {
                let f = std::fs::File::open(&p).map_err(|e| Error::read(&self.name, e))?;
                if f.metadata().is_ok_and(|m| m.is_dir()) {
                    return Err(Error::new(ErrorKind::Io, "cannot read: is a directory")
                        .in_file(&self.name, 0, 0));
                }
                Box::new(BufReader::with_capacity(64 << 10, f))
            }
            Source::Stdin => Box::new(BufReader::new(std::io::stdin())),
            Source::Bytes(b) => Box::new(Cursor::new(b)),
            Source::Reader(r) => Box::new(BufReader::new(r)),
            Source::Replay(head, rest) => Box::new(head.chain(rest)),
            Source::Xml(..) => {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    "expected a CPU dump or text, not CPU definitions",
                )
                .in_file(&self.name, 1, 1))
            }
        };
        Ok((self.name, reader))
    }

    /// Opens and recognises the input: XML CPU definitions are streamed, any other form is
    /// read whole (bounded by [`MAX_INPUT`]).
    pub(crate) fn into_opened(self) -> Result<(String, Opened), Error> {
        if let Source::Xml(reader, first) = self.source {
            return Ok((self.name, Opened::Cpus(reader, first)));
        }
        let (name, reader) = self.open()?;
        let (sniffed, reader) = sniff_stream(&name, reader)?;
        if is_definitions(&sniffed) {
            let stream = Box::new(cpucompat_xml::CpuReader::new(reader));
            return Ok((name, Opened::Cpus(stream, None)));
        }
        let (name, text) = Input::from_reader(name, reader).read_text()?;
        Ok((name, Opened::Text(text)))
    }

    /// Reads the whole input (at most [`MAX_INPUT`] bytes) as UTF-8 text.
    pub(crate) fn read_text(self) -> Result<(String, String), Error> {
        let (name, reader) = self.open()?;
        let mut buf = Vec::new();
        reader
            .take(MAX_INPUT + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::read(&name, e))?;
        if buf.len() as u64 > MAX_INPUT {
            return Err(Error::new(
                ErrorKind::Syntax,
                format!("input is larger than {MAX_INPUT} bytes"),
            )
            .in_file(&name, 0, 0));
        }
        match String::from_utf8(buf) {
            Ok(t) => Ok((name, t)),
            Err(e) => {
                let bad = e.utf8_error().valid_up_to();
                let p = line_col(&e.as_bytes()[..bad]);
                Err(Error::new(ErrorKind::Syntax, "not UTF-8 text")
                    .in_file(&name, p.line, p.column))
            }
        }
    }

    /// Recognises the input's architecture (see the module documentation), reading as
    /// far as its first CPU definition; the input stays readable from the start.
    ///
    /// # Errors
    /// An unreadable input, malformed text before the first definition, or an
    /// architecture cpucompat does not decide.
    pub fn arch(&mut self) -> Result<Option<Arch>, Error> {
        if let Source::Xml(_, first) = &self.source {
            return match first {
                Some(def) => def_arch(&self.name, def),
                None => Ok(None),
            };
        }
        let placeholder = Input::from_bytes("", Vec::new());
        let me = std::mem::replace(self, placeholder);
        let (name, reader) = me.open()?;
        let (sniffed, reader) = sniff_stream(&name, reader)?;
        if is_definitions(&sniffed) {
            // CPU definitions: parse the first one now (for its position and model) and
            // keep it for whoever reads the input.
            let mut stream = Box::new(cpucompat_xml::CpuReader::new(reader));
            let first = match stream.next() {
                Some(Ok(def)) => Some(def),
                Some(Err(e)) => return Err(xml_error(&name, &e)),
                None => None,
            };
            let named = match &sniffed {
                Ok(Sniffed::Xml { arch: Some(a), .. }) => Some(a.clone()),
                _ => None,
            };
            let arch = match (&named, &first) {
                (Some(a), first) => {
                    let pos = first.as_ref().map_or(Pos { line: 1, column: 1 }, |d| d.pos);
                    Some(known_arch(&name, a, pos)?)
                }
                (None, Some(def)) => def_arch(&name, def)?,
                (None, None) => None,
            };
            *self = Input {
                name,
                source: Source::Xml(stream, first),
            };
            return Ok(arch);
        }
        let mut rec = Recorder {
            inner: reader,
            seen: Vec::new(),
        };
        let found = match &sniffed {
            Ok(Sniffed::Xml { arch: Some(a), .. }) => {
                known_arch(&name, a, Pos { line: 1, column: 1 }).map(Some)
            }
            Ok(Sniffed::Xml { .. }) => Ok(None),
            _ => text_arch(&name, &mut rec),
        };
        let Recorder { inner, seen } = rec;
        *self = Input {
            name,
            source: Source::Replay(Cursor::new(seen), inner),
        };
        found
    }
}

/// What sniffing found; `Err(())` when the sniffer refused the start of the input.
type SniffResult = Result<Sniffed, ()>;

/// What the start of a stream says it is ([`cpucompat_xml::sniff_reader`]), and the
/// stream again from its first byte. A sniffing error is kept: the full reading reports it
/// in its own words.
fn sniff_stream(
    name: &str,
    reader: Box<dyn BufRead + Send>,
) -> Result<(SniffResult, Box<dyn BufRead + Send>), Error> {
    let mut rec = Recorder {
        inner: reader,
        seen: Vec::new(),
    };
    let sniffed = cpucompat_xml::sniff_reader(&mut rec).map_err(|_| ());
    if let Err(()) = &sniffed {
        // Make sure an I/O failure is reported as one.
        rec.fill_buf().map_err(|e| Error::read(name, e))?;
    }
    let Recorder { inner, seen } = rec;
    Ok((sniffed, Box::new(Cursor::new(seen).chain(inner))))
}

/// Whether a sniffed input holds CPU definitions (XML that is not a `<cpudata>` dump; XML
/// the sniffer refused is read as definitions, whose reader reports the fault).
fn is_definitions(s: &SniffResult) -> bool {
    match s {
        Ok(Sniffed::NotXml) => false,
        Ok(Sniffed::Xml { form, .. }) => form.unwrapped() != Some(&SniffedForm::CpuData),
        Err(()) => true,
    }
}

/// The architecture several inputs name ([`Input::arch`] of each, in order): the first one
/// named; `None` when none names one.
///
/// # Errors
/// An input error, or two inputs naming different architectures (the second is named).
pub fn detect_arch(inputs: &mut [Input]) -> Result<Option<Arch>, Error> {
    let mut found: Option<(Arch, String)> = None;
    for i in inputs.iter_mut() {
        let Some(a) = i.arch()? else {
            continue;
        };
        match &found {
            None => found = Some((a, i.name().to_string())),
            Some((b, first)) if *b != a => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!(
                    "{a} CPU, but {first} holds {b} CPUs: one command decides for one architecture"
                ),
                )
                .in_file(i.name(), 0, 0))
            }
            Some(_) => {}
        }
    }
    Ok(found.map(|(a, _)| a))
}

/// What [`read_definitions`] found: CPU definitions, or one dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Definitions {
    /// Every CPU definition, in document order.
    Cpus(Vec<cpucompat_xml::model::CpuDef>),
    /// A `<cpudata>` dump.
    Dump(cpucompat_xml::model::CpuData),
}

/// Every CPU definition of an XML input (any form), or its `<cpudata>` dump, as parsed:
/// no catalog is consulted (the `parse` linter).
///
/// # Errors
/// An unreadable input, malformed XML, or no CPU definition.
pub fn read_definitions(input: Input) -> Result<Definitions, Error> {
    let (name, text) = input.read_text()?;
    match form_of(&name, &text)? {
        Form::CpuData => cpucompat_xml::parse_cpudata(&text)
            .map(Definitions::Dump)
            .map_err(|e| xml_error(&name, &e)),
        Form::Cpus => cpucompat_xml::parse_cpus(&text)
            .map(Definitions::Cpus)
            .map_err(|e| xml_error(&name, &e)),
        _ => Err(Error::new(ErrorKind::Syntax, "expected CPU XML").in_file(&name, 1, 1)),
    }
}

/// A reader that keeps every byte consumed from it.
struct Recorder {
    inner: Box<dyn BufRead + Send>,
    seen: Vec<u8>,
}

impl Read for Recorder {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Recorder {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = n.min(buf.len());
            self.seen.extend_from_slice(&buf[..n]);
        }
        self.inner.consume(n);
    }
}

/// The architecture a text input's grammar names: `cpuid -r` is x86's, a POWER
/// `/proc/cpuinfo` ppc64's, QEMU's JSON host model s390x's (read within [`TEXT_HEAD`]).
fn text_arch(name: &str, r: &mut Recorder) -> Result<Option<Arch>, Error> {
    let mut text = Vec::new();
    (&mut *r)
        .take(TEXT_HEAD)
        .read_to_end(&mut text)
        .map_err(|e| Error::read(name, e))?;
    Ok(match text_form(&text) {
        Some(Form::CpuidText) => Some(Arch::X86),
        Some(Form::Cpuinfo) => Some(Arch::Ppc64),
        Some(Form::Json) => Some(Arch::S390x),
        _ => None,
    })
}

/// The architecture a definition names, by `<arch>` or by its model name.
pub(crate) fn def_arch(name: &str, def: &CpuDef) -> Result<Option<Arch>, Error> {
    if let Some(a) = def.arch.as_deref() {
        return known_arch(name, a, def.pos).map(Some);
    }
    Ok(def.model_name().and_then(arch_of_model_name))
}

/// An architecture name cpucompat decides, or an error at `pos`.
pub(crate) fn known_arch(name: &str, arch: &str, pos: Pos) -> Result<Arch, Error> {
    Arch::from_name(arch).ok_or_else(|| {
        Error::new(
            ErrorKind::Unsupported,
            format!(
                "cannot decide for CPUs of {} architecture: cpucompat decides x86_64, ppc64 and s390x",
                arch
            ),
        )
        .in_file(name, pos.line, pos.column)
    })
}

/// The architecture a model name belongs to, when the name says: s390x models are `z…`
/// and `gen…` followed by a digit, POWER models `POWER<digit>…`,
/// `power<digit>…` (compat levels) or `POWERPC_…`; x86 model names are neither.
pub fn arch_of_model_name(model: &str) -> Option<Arch> {
    let digit_after = |p: &str| {
        model
            .strip_prefix(p)
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    };
    if digit_after("z") || digit_after("gen") {
        Some(Arch::S390x)
    } else if digit_after("POWER") || digit_after("power") || model.starts_with("POWERPC_") {
        Some(Arch::Ppc64)
    } else {
        None
    }
}

/// Skips a UTF-8 byte-order mark and ASCII white space.
pub(crate) fn skip_bom_ws(bytes: &[u8]) -> &[u8] {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

/// The form of a whole input.
pub(crate) fn form_of(name: &str, text: &str) -> Result<Form, Error> {
    let form = match cpucompat_xml::sniff(text.as_bytes()) {
        Ok(Sniffed::Xml { form, .. }) if form.unwrapped() == Some(&SniffedForm::CpuData) => {
            Some(Form::CpuData)
        }
        Ok(Sniffed::Xml { .. }) | Err(_) => Some(Form::Cpus),
        Ok(Sniffed::NotXml) => text_form(text.as_bytes()),
    };
    form.ok_or_else(|| {
        let what = if skip_bom_ws(text.as_bytes()).is_empty() {
            "empty input"
        } else {
            "unrecognised input"
        };
        Error::new(
            ErrorKind::Syntax,
            format!(
                "{what}: expected CPU XML, a <cpudata> dump, `cpuid -r` text, a POWER /proc/cpuinfo or QEMU's JSON host model"
            ),
        )
        .in_file(name, 1, 1)
    })
}

/// `cpuid -r`, a POWER `/proc/cpuinfo` or JSON, by the grammar of the first line that is
/// one of theirs.
fn text_form(text: &[u8]) -> Option<Form> {
    let text = String::from_utf8_lossy(skip_bom_ws(text));
    if text.starts_with('{') {
        return Some(Form::Json);
    }
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with("CPU") && t.ends_with(':') || (t.starts_with("0x") && t.contains(": eax="))
        {
            return Some(Form::CpuidText);
        }
        if let Some((key, value)) = t.split_once(':') {
            if key.trim() == "revision" && value.contains("(pvr ") {
                return Some(Form::Cpuinfo);
            }
            // A cpuinfo line: keep looking for its revision line.
            if !key.trim().is_empty() && !key.trim().contains(char::is_control) {
                continue;
            }
        }
        return None;
    }
    None
}

/// The 1-based line and column just after `before` (columns count characters).
pub(crate) fn line_col(before: &[u8]) -> Pos {
    let (mut line, mut column) = (1u32, 1u32);
    for &b in before {
        if b == b'\n' {
            line = line.saturating_add(1);
            column = 1;
        } else if b & 0xC0 != 0x80 {
            column = column.saturating_add(1);
        }
    }
    Pos { line, column }
}

/// An XML-layer error in input `name`.
pub(crate) fn xml_error(name: &str, e: &cpucompat_xml::XmlError) -> Error {
    let p = e.pos();
    Error::new(ErrorKind::Syntax, e.message())
        .in_file(name, p.line, p.column)
        .caused_by(e.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arch(text: &str) -> Result<Option<Arch>, String> {
        let mut i = Input::from_text("t", text);
        let a = i.arch().map_err(|e| e.to_string())?;
        // The input is still readable from the start: the definitions, or the whole text.
        match i.into_opened().map_err(|e| e.to_string())?.1 {
            Opened::Text(back) => assert_eq!(back, text),
            Opened::Cpus(rest, first) => {
                let all: Vec<CpuDef> = first.into_iter().chain(rest.map(|d| d.unwrap())).collect();
                assert_eq!(all, cpucompat_xml::parse_cpus(text).unwrap());
            }
        }
        Ok(a)
    }

    #[test]
    fn architecture_is_read_from_the_document() {
        assert_eq!(
            arch("<cpu><arch>ppc64</arch><model>POWER9</model></cpu>"),
            Ok(Some(Arch::Ppc64))
        );
        assert_eq!(
            arch("\u{feff}<cpu><arch>x86_64</arch><model>Penryn</model></cpu>"),
            Ok(Some(Arch::X86))
        );
        assert_eq!(arch("<cpu><model>z13</model></cpu>"), Ok(Some(Arch::S390x)));
        assert_eq!(arch("<cpu><model>Haswell</model></cpu>"), Ok(None));
        // Words inside comments change nothing.
        let c = "<!-- <cpudata arch='ppc64'> <arch>s390x</arch> -->\n<cpu><arch>x86_64</arch><model>Penryn</model></cpu>";
        assert_eq!(arch(c), Ok(Some(Arch::X86)));
        // An architecture after a long comment is still found.
        let long = format!(
            "<!-- {} -->\n<cpu><arch>ppc64</arch><model>POWER8</model></cpu>",
            "x".repeat(200_000)
        );
        assert_eq!(arch(&long), Ok(Some(Arch::Ppc64)));
        assert_eq!(
            arch("<cpudata arch='ppc64'><pvr value='0x004e1202'/></cpudata>"),
            Ok(Some(Arch::Ppc64))
        );
        assert_eq!(arch("CPU 0:\n   0x00000000 0x00: eax=0x00000016 ebx=0x756e6547 ecx=0x6c65746e edx=0x49656e69\n"), Ok(Some(Arch::X86)));
        assert_eq!(
            arch("processor\t: 0\ncpu\t\t: POWER9\nrevision\t: 2.2 (pvr 004e 1202)\n"),
            Ok(Some(Arch::Ppc64))
        );
        assert_eq!(
            arch("{\"name\": \"z13\", \"props\": {}}"),
            Ok(Some(Arch::S390x))
        );
    }

    #[test]
    fn foreign_architectures_are_refused_where_they_are_written() {
        assert_eq!(
            arch("<cpu>\n  <arch>sparc64</arch><model>Penryn</model></cpu>"),
            Err("t:1:1: cannot decide for CPUs of sparc64 architecture: cpucompat decides x86_64, ppc64 and s390x".into())
        );
    }

    #[test]
    fn a_domain_names_its_architecture() {
        let d = "<domain type='kvm'><os><type arch='ppc64' machine='pseries'>hvm</type></os>\n<cpu mode='host-model'/></domain>";
        assert_eq!(arch(d), Ok(Some(Arch::Ppc64)));
        let bad = "<domain type='kvm'><os><type arch='aarch64'>hvm</type></os><cpu mode='host-passthrough'/></domain>";
        assert_eq!(
            arch(bad),
            Err("t:1:60: cannot decide for CPUs of aarch64 architecture: cpucompat decides x86_64, ppc64 and s390x".into())
        );
    }
}
