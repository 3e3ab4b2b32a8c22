//! libvirt CPU XML in and out: guest and host `<cpu>`, capabilities, domain XML,
//! domcapabilities, `<cpudata>` dumps, files of many `<cpu>` elements.
//!
//! Parsing produces the values of [`model`]; it decides nothing (model and feature names
//! are the adapters' business). Reading is **one pass** over the bytes, in three layers:
//!
//! 1. `lex`: cuts tokens out of a window over the input, checks the lexical safety rules
//!    (no DTD, only the predefined entities and character references, well-formed tags,
//!    UTF-8) and tracks line and column in O(1) per token;
//! 2. `scan`: the document walk: balanced tags, [`Limits`] on size, depth and element
//!    count, and which elements are CPU definitions (by their path); every token inside
//!    one goes, as borrowed bytes, to
//! 3. `cpu` / `cpudata`: element readers that decode libvirt's rules as the tokens come
//!    and decide at the end tag, in a fixed order of checks.
//!
//! Nothing is parsed twice, no tree is built, and nothing is allocated per element beyond
//! the values returned (feature names, model, vendor). The whole is linear in the input.
//! [`parse_cpus`] and the streaming [`CpuReader`] are the same machine; the reader keeps
//! only one `<cpu>` element in memory at a time. Errors carry the 1-based line and column
//! ([`XmlError::pos`]); a leading byte-order mark takes no column. Writing ([`write_cpu`],
//! [`write_cpudata`]) follows libvirt's formatting byte for byte, and `parse(write(c))`
//! equals [`CpuDef::normalized`]. [`sniff`] tells what a document is (its form and the
//! architecture it names) by reading only as far as needed. [`qemucaps`] reads what
//! libvirt knows about a QEMU binary: its capabilities cache (`<qemuCaps>`) and `virsh
//! domcapabilities`.
//!
//! **Why our own lexer.** roxmltree builds a tree of the whole input (so each CPU element
//! was parsed a second time after the scan cut it out), and its `text_pos_at` rescans the
//! text from the start, which made positions quadratic. quick-xml streams, but its
//! positions are byte offsets (line and column would need a second pass over the bytes),
//! and the refusals this crate owes (DTD events, unknown entities, the standalone-document
//! rules inside CPU elements, exact messages) would still be our own checks around it.
//! The lexer here is ~800 lines, `memchr` finds the ends of long runs, and the crate stays
//! `unsafe`-free.
pub mod model;
pub mod qemucaps;
pub mod reader;

mod cpu;
mod cpudata;
mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod json;
mod lex;
mod scan;
mod sniff;
mod text;
mod write;

pub use cpu::{FeatureName, Resolve, ResolvedCpu, ResolvedFeature};
pub use cpudata::write_cpudata;
pub use error::{ErrorKind, XmlError};
pub use json::{cpu_from_json, cpu_to_json, cpudata_to_json};
pub use model::*;
pub use reader::{Element, EndTag, Event, Reader, Text};
pub use write::write_cpu;

pub use sniff::{sniff, sniff_reader, Form, Sniffed};

use scan::{Item, Scanner, Target};
use std::io::BufRead;

/// Resource limits on untrusted input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest input in bytes ([`parse_cpus`], [`parse_cpudata`]); for [`CpuReader`], the
    /// largest single CPU element (or piece of markup). Default 16 MiB.
    pub max_bytes: usize,
    /// Deepest element nesting. Default 64.
    pub max_depth: u32,
    /// Most elements in the input ([`parse_cpus`], [`parse_cpudata`]); for [`CpuReader`],
    /// in one CPU element. Default 1 000 000.
    pub max_elements: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 16 << 20,
            max_depth: 64,
            max_elements: 1_000_000,
        }
    }
}

fn check_size(text: &str, limits: &Limits) -> Result<(), XmlError> {
    if text.len() > limits.max_bytes {
        let pos = text::Tracker::start().at(text.as_bytes(), limits.max_bytes);
        return Err(XmlError::new(
            pos,
            ErrorKind::TooLarge {
                limit: limits.max_bytes,
            },
        ));
    }
    Ok(())
}

/// Every CPU definition in `text`, in document order, with the default [`Limits`].
///
/// Accepts a bare `<cpu>`, several `<cpu>` at top level or in any wrapper element
/// (`<cpuTest>`, `<container>`), domain XML (`domain/cpu`), `virsh capabilities`
/// (`capabilities/host/cpu`) and domain capabilities (the supported host-model `<mode>`,
/// read as a guest `<cpu>`). No definition at all is an error.
///
/// # Errors
/// An [`XmlError`] with line and column for input that is not well formed, refused (DTD,
/// entities, limits) or not CPU XML, and when no definition is found.
pub fn parse_cpus(text: &str) -> Result<Vec<CpuDef>, XmlError> {
    parse_cpus_with(text, &Limits::default())
}

/// [`parse_cpus`] with explicit limits.
///
/// # Errors
/// As [`parse_cpus`], with `limits` instead of the defaults.
pub fn parse_cpus_with(text: &str, limits: &Limits) -> Result<Vec<CpuDef>, XmlError> {
    check_size(text, limits)?;
    CpuReader::scoped(text.as_bytes(), *limits, true).collect()
}

/// The `<cpudata>` dump in `text` (the top-level element), with the default [`Limits`].
///
/// # Errors
/// An [`XmlError`] with line and column for input that is not well formed, refused, or not a
/// `<cpudata>` document.
pub fn parse_cpudata(text: &str) -> Result<CpuData, XmlError> {
    parse_cpudata_with(text, &Limits::default())
}

/// [`parse_cpudata`] with explicit limits.
///
/// # Errors
/// As [`parse_cpudata`], with `limits` instead of the defaults.
pub fn parse_cpudata_with(text: &str, limits: &Limits) -> Result<CpuData, XmlError> {
    check_size(text, limits)?;
    let mut sc = Scanner::new(text.as_bytes(), *limits, true, Target::CpuData);
    let mut out = None;
    while let Some(item) = sc.next_item(None) {
        if let Item::Data(d) = item? {
            out = Some(d);
        }
    }
    match out {
        Some(d) => Ok(d),
        None => Err(XmlError::new(
            model::Pos { line: 1, column: 1 },
            ErrorKind::NoCpu("no <cpudata> element found".to_string()),
        )),
    }
}

/// Reads CPU definitions one at a time from a byte stream, keeping only the current
/// `<cpu>` element in memory: a file of a million host CPUs is never held whole.
///
/// Accepts the same forms as [`parse_cpus`]. Limits apply per CPU element
/// ([`Limits::max_bytes`], [`Limits::max_elements`]) and to the nesting depth. After an
/// error the iterator ends.
pub struct CpuReader<R: BufRead> {
    scanner: Scanner<R>,
    failed: bool,
}

impl<R: BufRead> CpuReader<R> {
    /// A reader with the default [`Limits`].
    pub fn new(src: R) -> CpuReader<R> {
        CpuReader::with_limits(src, Limits::default())
    }

    /// A reader with explicit limits (applied per CPU element).
    pub fn with_limits(src: R, limits: Limits) -> CpuReader<R> {
        CpuReader::scoped(src, limits, false)
    }

    fn scoped(src: R, limits: Limits, whole: bool) -> CpuReader<R> {
        CpuReader {
            scanner: Scanner::new(src, limits, whole, Target::Cpus),
            failed: false,
        }
    }

    /// The next CPU definition with its feature names looked up by `resolve` as they are
    /// read (see [`ResolvedCpu`]): no string is made for a name `resolve` knows. Reads and
    /// refuses exactly as the iterator does; the two may be mixed.
    pub fn next_resolved(
        &mut self,
        resolve: &dyn Fn(&[u8]) -> Option<u32>,
    ) -> Option<Result<ResolvedCpu, XmlError>> {
        if self.failed {
            return None;
        }
        let r = loop {
            match self.scanner.next_item(Some(resolve))? {
                Ok(Item::Resolved(c)) => break Ok(c),
                Ok(Item::Cpu(c)) => break Ok(ResolvedCpu::from_def(c)),
                Ok(Item::Data(_)) => continue,
                Err(e) => break Err(e),
            }
        };
        self.failed = r.is_err();
        Some(r)
    }

    /// How many CPU elements have been found so far.
    pub fn count_so_far(&self) -> usize {
        self.scanner.found()
    }
}

impl<R: BufRead> Iterator for CpuReader<R> {
    type Item = Result<CpuDef, XmlError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let r = loop {
            match self.scanner.next_item(None)? {
                Ok(Item::Cpu(c)) => break Ok(c),
                Ok(Item::Data(_) | Item::Resolved(_)) => continue,
                Err(e) => break Err(e),
            }
        };
        self.failed = r.is_err();
        Some(r)
    }
}
