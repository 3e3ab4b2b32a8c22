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
use crate::error::XmlError;
use crate::model::{CpuData, CpuDataItem};
use crate::tree::Locator;
use roxmltree::Node;
use std::fmt::Write;

fn hex(n: Node, loc: &Locator, name: &str) -> Result<u32, XmlError> {
    let Some(v) = n.attribute(name) else {
        return Err(XmlError::invalid(
            loc.node(n),
            format!(
                "<{}> is missing the '{name}' attribute",
                n.tag_name().name()
            ),
        ));
    };
    let digits = v
        .strip_prefix("0x")
        .or_else(|| v.strip_prefix("0X"))
        .unwrap_or(v);
    match u32::from_str_radix(digits, 16) {
        Ok(x) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(x),
        _ => Err(XmlError::invalid(
            loc.attr(n, name),
            format!(
                "invalid {name}='{v}' on <{}>: expected a 32-bit hexadecimal number",
                n.tag_name().name()
            ),
        )),
    }
}

/// Reads a `<cpudata>` element.
pub(crate) fn read_cpudata(n: Node, loc: &Locator) -> Result<CpuData, XmlError> {
    let arch = match n.attribute("arch") {
        Some(a) if !a.is_empty() => a.to_string(),
        _ => {
            return Err(XmlError::invalid(
                loc.node(n),
                "<cpudata> is missing the 'arch' attribute",
            ))
        }
    };
    let mut items = Vec::new();
    for c in n.children() {
        if c.is_text() && c.text().is_some_and(|t| !t.trim().is_empty()) {
            return Err(XmlError::invalid(
                loc.node(c),
                "unexpected text in <cpudata>",
            ));
        }
        if !c.is_element() {
            continue;
        }
        let item = match c.tag_name().name() {
            "cpuid" => CpuDataItem::Cpuid {
                leaf: hex(c, loc, "eax_in")?,
                subleaf: hex(c, loc, "ecx_in")?,
                regs: [
                    hex(c, loc, "eax")?,
                    hex(c, loc, "ebx")?,
                    hex(c, loc, "ecx")?,
                    hex(c, loc, "edx")?,
                ],
            },
            "msr" => CpuDataItem::Msr {
                index: hex(c, loc, "index")?,
                eax: hex(c, loc, "eax")?,
                edx: hex(c, loc, "edx")?,
            },
            "pvr" => {
                if c.attribute("mask").is_some() {
                    hex(c, loc, "mask")?;
                }
                CpuDataItem::Pvr {
                    value: hex(c, loc, "value")?,
                }
            }
            other => {
                return Err(XmlError::invalid(
                    loc.node(c),
                    format!("unexpected <{other}> in <cpudata>: expected <cpuid>, <msr> or <pvr>"),
                ))
            }
        };
        items.push(item);
    }
    Ok(CpuData { arch, items })
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
