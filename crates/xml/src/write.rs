//! Writing a [`CpuDef`] as libvirt formats it (`virCPUDefFormat`).
//!
//! Rules (guest = [`CpuKind::Guest`]):
//! * `<cpu>` attributes, guests only: `mode=` when the mode is not custom or a model is
//!   named; `match=` (default exact) when custom with a named model; `check=` when set.
//! * Children, in this order, indented by two spaces: `<arch>` (hosts);
//!   `<model>` — written when (custom or host-model) with a name, or when a guest is
//!   host-model, or custom with a name; it carries `fallback=` (default allow) and
//!   `vendor_id=` on guests in those two cases, and the name as text in custom/host-model,
//!   else it is empty (`<model fallback='allow'/>`); `<vendor>` (custom or host-model);
//!   `<signature family= model= [stepping=]/>`; `<microcode version=/>`;
//!   `<topology sockets= [dies=] [clusters=] cores= threads=/>`; then the features in
//!   order: `<feature policy='P' name='N'/>` on guests (policy default require),
//!   `<feature name='N'/>` on hosts.
//! * No children: `<cpu .../>`.
//!
//! [`CpuDef::normalized`] is exactly what survives this projection, so
//! `parse(write(c)) == c.normalized()` up to positions.
use crate::model::{CpuDef, CpuKind, Fallback, Match, Mode, Policy};
use std::fmt::Write;

/// Escapes text or a single-quoted attribute value. Tab, newline and carriage return
/// become character references, so attribute-value normalization cannot alter them.
pub(crate) fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '\'' => o.push_str("&apos;"),
            '"' => o.push_str("&quot;"),
            '\t' => o.push_str("&#9;"),
            '\n' => o.push_str("&#10;"),
            '\r' => o.push_str("&#13;"),
            c => o.push(c),
        }
    }
    o
}

/// Whether libvirt formats the model name and vendor for this CPU.
pub(crate) fn formats_model(cpu: &CpuDef) -> bool {
    cpu.kind == CpuKind::Host || matches!(cpu.mode, Mode::Custom | Mode::HostModel)
}

/// Whether libvirt formats `fallback=` for this CPU.
pub(crate) fn formats_fallback(cpu: &CpuDef) -> bool {
    cpu.kind == CpuKind::Guest
        && (cpu.mode == Mode::HostModel || (cpu.mode == Mode::Custom && cpu.model_name().is_some()))
}

/// Formats one CPU definition as libvirt does, with a trailing newline.
pub fn write_cpu(cpu: &CpuDef) -> String {
    let guest = cpu.kind == CpuKind::Guest;
    let mut head = String::from("<cpu");
    if guest {
        if cpu.mode != Mode::Custom || cpu.model_name().is_some() {
            let m = match cpu.mode {
                Mode::Custom => "custom",
                Mode::HostModel => "host-model",
                Mode::HostPassthrough => "host-passthrough",
                Mode::Maximum => "maximum",
            };
            let _ = write!(head, " mode='{m}'");
        }
        if cpu.mode == Mode::Custom && cpu.model_name().is_some() {
            let m = match cpu.match_or_default() {
                Match::Minimum => "minimum",
                Match::Exact => "exact",
                Match::Strict => "strict",
            };
            let _ = write!(head, " match='{m}'");
        }
        if let Some(c) = cpu.check {
            let c = match c {
                crate::model::Check::None => "none",
                crate::model::Check::Partial => "partial",
                crate::model::Check::Full => "full",
            };
            let _ = write!(head, " check='{c}'");
        }
    }
    let mut body = String::new();
    if !guest {
        if let Some(a) = &cpu.arch {
            let _ = writeln!(body, "  <arch>{}</arch>", escape(a));
        }
    }
    let fm = formats_model(cpu);
    let ff = formats_fallback(cpu);
    let name = cpu.model_name().filter(|_| fm);
    if name.is_some() || ff {
        body.push_str("  <model");
        if ff {
            let fb = cpu
                .model
                .as_ref()
                .and_then(|m| m.fallback)
                .unwrap_or_default();
            let fb = match fb {
                Fallback::Allow => "allow",
                Fallback::Forbid => "forbid",
            };
            let _ = write!(body, " fallback='{fb}'");
            if let Some(v) = cpu.model.as_ref().and_then(|m| m.vendor_id.as_deref()) {
                let _ = write!(body, " vendor_id='{}'", escape(v));
            }
        }
        match name {
            Some(n) => {
                let _ = writeln!(body, ">{}</model>", escape(n));
            }
            None => body.push_str("/>\n"),
        }
    }
    if fm {
        if let Some(v) = &cpu.vendor {
            let _ = writeln!(body, "  <vendor>{}</vendor>", escape(v));
        }
    }
    if let Some(s) = cpu.signature {
        let _ = write!(
            body,
            "  <signature family='{}' model='{}'",
            s.family, s.model
        );
        if let Some(st) = s.stepping {
            let _ = write!(body, " stepping='{st}'");
        }
        body.push_str("/>\n");
    }
    if let Some(m) = cpu.microcode {
        let _ = writeln!(body, "  <microcode version='{m}'/>");
    }
    if let Some(t) = cpu.topology {
        let _ = write!(body, "  <topology sockets='{}'", t.sockets);
        if let Some(d) = t.dies {
            let _ = write!(body, " dies='{d}'");
        }
        if let Some(c) = t.clusters {
            let _ = write!(body, " clusters='{c}'");
        }
        let _ = writeln!(body, " cores='{}' threads='{}'/>", t.cores, t.threads);
    }
    for f in &cpu.features {
        if guest {
            let p = f.policy.unwrap_or(Policy::Require).as_str();
            let _ = writeln!(body, "  <feature policy='{p}' name='{}'/>", escape(&f.name));
        } else {
            let _ = writeln!(body, "  <feature name='{}'/>", escape(&f.name));
        }
    }
    if body.is_empty() {
        head.push_str("/>\n");
        head
    } else {
        head.push_str(">\n");
        head.push_str(&body);
        head.push_str("</cpu>\n");
        head
    }
}
