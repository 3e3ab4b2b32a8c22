//! `<cpudata arch=>` dumps: reading and writing.
//!
//! Items, in document order:
//! * `<cpuid eax_in= ecx_in= eax= ebx= ecx= edx=/>`: a CPUID leaf/sub-leaf and its four
//!   output registers;
//! * `<msr index= eax= edx=/>`: a model-specific register (low and high halves);
//! * `<pvr value= [mask=]/>`: a POWER processor version register (the mask, if any, is
//!   not kept).
//!
//! Every number is hexadecimal with an optional `0x` prefix (libvirt writes `0x%08x`,
//! and reads any hexadecimal form) and must fit 32 bits. All attributes are mandatory
//! except `mask`.
//!
//! Reading is one pass, like `<cpu>` (see `cpu.rs`): the scanner hands each child to a
//! [`DataBuilder`], which turns it into an item at once and keeps the first error in
//! document order; the missing `arch=` of `<cpudata>` itself comes before any of them.
//! Text that is not whitespace is an error at the start of its text node (a run of text
//! and CDATA between two pieces of markup).
use crate::cpu::Tag;
use crate::error::XmlError;
use crate::model::{CpuData, CpuDataItem, Pos};
use crate::text::{push_cdata, push_text};
use std::fmt::Write;

fn hex(tag: &Tag, name: &str) -> Result<u32, XmlError> {
    let Some(v) = tag.attr(name) else {
        return Err(XmlError::invalid(
            tag.pos,
            format!("<{}> is missing the '{name}' attribute", tag.local()),
        ));
    };
    let digits = v
        .strip_prefix("0x")
        .or_else(|| v.strip_prefix("0X"))
        .unwrap_or(&v);
    match u32::from_str_radix(digits, 16) {
        Ok(x) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(x),
        _ => Err(XmlError::invalid(
            tag.attr_pos(name),
            format!(
                "invalid {name}='{v}' on <{}>: expected a 32-bit hexadecimal number",
                tag.local()
            ),
        )),
    }
}

fn item(tag: &Tag) -> Result<CpuDataItem, XmlError> {
    Ok(match &*tag.local() {
        "cpuid" => CpuDataItem::Cpuid {
            leaf: hex(tag, "eax_in")?,
            subleaf: hex(tag, "ecx_in")?,
            regs: [
                hex(tag, "eax")?,
                hex(tag, "ebx")?,
                hex(tag, "ecx")?,
                hex(tag, "edx")?,
            ],
        },
        "msr" => CpuDataItem::Msr {
            index: hex(tag, "index")?,
            eax: hex(tag, "eax")?,
            edx: hex(tag, "edx")?,
        },
        "pvr" => {
            if tag.raw("mask").is_some() {
                hex(tag, "mask")?;
            }
            CpuDataItem::Pvr {
                value: hex(tag, "value")?,
            }
        }
        other => {
            return Err(XmlError::invalid(
                tag.pos,
                format!("unexpected <{other}> in <cpudata>: expected <cpuid>, <msr> or <pvr>"),
            ))
        }
    })
}

/// Reads one `<cpudata>` from the scanner's events.
#[derive(Default)]
pub(crate) struct DataBuilder {
    pos: Pos,
    arch: Option<String>,
    items: Vec<CpuDataItem>,
    error: Option<XmlError>,
    /// The text node being read: where it starts and whether it holds non-whitespace.
    run: Option<(Pos, bool)>,
}

impl DataBuilder {
    pub(crate) fn begin(&mut self, tag: &Tag) {
        self.pos = tag.pos;
        self.arch = tag
            .attr("arch")
            .filter(|a| !a.is_empty())
            .map(|a| a.into_owned());
        self.items = Vec::new();
        self.error = None;
        self.run = None;
    }

    /// Ends the current text node.
    fn end_run(&mut self) {
        if let Some((pos, true)) = self.run.take() {
            if self.error.is_none() {
                self.error = Some(XmlError::invalid(pos, "unexpected text in <cpudata>"));
            }
        }
    }

    /// Any markup ends a text node.
    pub(crate) fn markup(&mut self) {
        self.end_run();
    }

    pub(crate) fn start(&mut self, level: usize, tag: &Tag) {
        self.end_run();
        if level != 1 || self.error.is_some() {
            return;
        }
        match item(tag) {
            Ok(i) => self.items.push(i),
            Err(e) => self.error = Some(e),
        }
    }

    /// Character data with `level` elements open; `pos` gives where the token starts.
    pub(crate) fn text(&mut self, level: usize, raw: &[u8], cdata: bool, pos: impl Fn() -> Pos) {
        if level != 1 {
            return;
        }
        let run = self.run.get_or_insert_with(|| (pos(), false));
        if run.1 {
            return;
        }
        let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        if raw.iter().all(blank) {
            return;
        }
        let mut s = String::new();
        if cdata {
            push_cdata(&mut s, raw);
        } else {
            push_text(&mut s, raw);
        }
        if !s.trim().is_empty() {
            run.1 = true;
        }
    }

    pub(crate) fn finish(&mut self) -> Result<CpuData, XmlError> {
        self.end_run();
        let Some(arch) = self.arch.take() else {
            return Err(XmlError::invalid(
                self.pos,
                "<cpudata> is missing the 'arch' attribute",
            ));
        };
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        Ok(CpuData {
            arch,
            items: std::mem::take(&mut self.items),
        })
    }
}

/// Formats a dump as libvirt does.
pub fn write_cpudata(d: &CpuData) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "<cpudata arch='{}'>", crate::write::escape(&d.arch));
    for item in &d.items {
        let _ = match *item {
            CpuDataItem::Cpuid {
                leaf,
                subleaf,
                regs,
            } => writeln!(
                s,
                "  <cpuid eax_in='0x{leaf:08x}' ecx_in='0x{subleaf:02x}' eax='0x{:08x}' ebx='0x{:08x}' ecx='0x{:08x}' edx='0x{:08x}'/>",
                regs[0], regs[1], regs[2], regs[3]
            ),
            CpuDataItem::Msr { index, eax, edx } => writeln!(
                s,
                "  <msr index='0x{index:x}' edx='0x{edx:08x}' eax='0x{eax:08x}'/>"
            ),
            CpuDataItem::Pvr { value } => writeln!(s, "  <pvr value='0x{value:08x}'/>"),
        };
    }
    s.push_str("</cpudata>\n");
    s
}
