//! Reading one `<cpu>` element into a [`CpuDef`], following libvirt's rules.
//!
//! * Kind: a `<cpu>` with an `<arch>` child is a **host** CPU, one without is a **guest**
//!   CPU. `<arch>` together with a `match=` attribute is an error.
//! * Host: the `mode=` attribute is an error, `<model>` (with a name) is mandatory,
//!   `match=`/`check=` are not read, `<model fallback= vendor_id=>` are not read, and every
//!   `<feature policy=>` is ignored (`policy` stays `None`: a host has what it lists).
//! * Guest: `mode=` ∈ {custom (default), host-model, host-passthrough, maximum};
//!   `match=` ∈ {minimum, exact, strict} (kept as written, default exact);
//!   `check=` ∈ {none, partial, full}; `<model fallback=>` ∈ {allow, forbid};
//!   `vendor_id=` exactly 12 characters; `<feature policy=>` ∈ {force, require,
//!   optional, disable, forbid} (kept as written, default require).
//!   A `<feature>` without a named `<model>` in custom mode is an error.
//! * Both: `<vendor>` needs a named `<model>`; the same feature name twice is an error;
//!   `<arch>`, `<model>`, `<vendor>`, `<signature>`, `<microcode>`, `<topology>` may
//!   appear once each; other children (`<pages>`, `<counter>`, `<cache>`, `<numa>`,
//!   `<maxphysaddr>`, ...) are not CPU-model data and are skipped.
//! * A domcapabilities `<mode name='host-model'>` reads as a `<cpu>` without attributes,
//!   as `virsh` reads it: a guest, mode custom.
//!
//! Nothing here checks names against a catalog: that is the adapters' business.
use crate::error::XmlError;
use crate::model::{
    Check, CpuDef, CpuKind, Fallback, Feature, Match, Mode, ModelRef, Policy, Pos, Signature,
    Topology,
};
use crate::tree::{text_of, Locator};
use roxmltree::Node;

fn attr_enum<T: Copy>(
    n: Node,
    loc: &Locator,
    name: &str,
    table: &[(&str, T)],
) -> Result<Option<T>, XmlError> {
    let Some(v) = n.attribute(name) else {
        return Ok(None);
    };
    match table.iter().find(|(k, _)| *k == v) {
        Some((_, t)) => Ok(Some(*t)),
        None => {
            let allowed: Vec<&str> = table.iter().map(|(k, _)| *k).collect();
            Err(XmlError::invalid(
                loc.attr(n, name),
                format!(
                    "invalid {name}='{v}' on <{}>: expected one of {}",
                    n.tag_name().name(),
                    allowed.join(", ")
                ),
            ))
        }
    }
}

/// A decimal unsigned attribute.
pub(crate) fn attr_num<T: std::str::FromStr>(
    n: Node,
    loc: &Locator,
    name: &str,
    required: bool,
) -> Result<Option<T>, XmlError> {
    match n.attribute(name) {
        None if required => Err(XmlError::invalid(
            loc.node(n),
            format!(
                "<{}> is missing the '{name}' attribute",
                n.tag_name().name()
            ),
        )),
        None => Ok(None),
        Some(v) => match v.parse::<T>() {
            Ok(x) if v.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(x)),
            _ => Err(XmlError::invalid(
                loc.attr(n, name),
                format!(
                    "invalid {name}='{v}' on <{}>: expected an unsigned decimal number",
                    n.tag_name().name()
                ),
            )),
        },
    }
}

const MODES: &[(&str, Mode)] = &[
    ("custom", Mode::Custom),
    ("host-model", Mode::HostModel),
    ("host-passthrough", Mode::HostPassthrough),
    ("maximum", Mode::Maximum),
];
const MATCHES: &[(&str, Match)] = &[
    ("minimum", Match::Minimum),
    ("exact", Match::Exact),
    ("strict", Match::Strict),
];
const CHECKS: &[(&str, Check)] = &[
    ("none", Check::None),
    ("partial", Check::Partial),
    ("full", Check::Full),
];
const FALLBACKS: &[(&str, Fallback)] = &[("allow", Fallback::Allow), ("forbid", Fallback::Forbid)];
const POLICIES: &[(&str, Policy)] = &[
    ("force", Policy::Force),
    ("require", Policy::Require),
    ("optional", Policy::Optional),
    ("disable", Policy::Disable),
    ("forbid", Policy::Forbid),
];

/// Reads a `<cpu>` (or, with `attributes == false`, a domcapabilities `<mode>`).
pub(crate) fn read_cpu(n: Node, loc: &Locator, attributes: bool) -> Result<CpuDef, XmlError> {
    let pos = loc.node(n);
    // Children, by name; each singleton at most once.
    let mut arch: Option<Node> = None;
    let mut model: Option<Node> = None;
    let mut vendor: Option<Node> = None;
    let mut signature: Option<Node> = None;
    let mut microcode: Option<Node> = None;
    let mut topology: Option<Node> = None;
    let mut features: Vec<Node> = Vec::new();
    for c in n.children().filter(|c| c.is_element()) {
        if c.tag_name().namespace().is_some() {
            continue;
        }
        let slot = match c.tag_name().name() {
            "arch" => &mut arch,
            "model" => &mut model,
            "vendor" => &mut vendor,
            "signature" => &mut signature,
            "microcode" => &mut microcode,
            "topology" => &mut topology,
            "feature" => {
                features.push(c);
                continue;
            }
            _ => continue,
        };
        if let Some(first) = slot {
            let p = loc.node(*first);
            return Err(XmlError::invalid(
                loc.node(c),
                format!(
                    "<{}> given twice in <cpu> (first at {}:{})",
                    c.tag_name().name(),
                    p.line,
                    p.column
                ),
            ));
        }
        *slot = Some(c);
    }

    let kind = if arch.is_some() {
        CpuKind::Host
    } else {
        CpuKind::Guest
    };
    let (mode, match_, check) = match kind {
        _ if !attributes => (Mode::Custom, None, None),
        CpuKind::Host => {
            if n.attribute("match").is_some() {
                return Err(XmlError::invalid(
                    loc.attr(n, "match"),
                    "a <cpu> with <arch> is a host CPU and cannot have a 'match' attribute",
                ));
            }
            if n.attribute("mode").is_some() {
                return Err(XmlError::invalid(
                    loc.attr(n, "mode"),
                    "a <cpu> with <arch> is a host CPU and cannot have a 'mode' attribute",
                ));
            }
            (Mode::Custom, None, None)
        }
        CpuKind::Guest => (
            attr_enum(n, loc, "mode", MODES)?.unwrap_or_default(),
            attr_enum(n, loc, "match", MATCHES)?,
            attr_enum(n, loc, "check", CHECKS)?,
        ),
    };

    let arch = match arch {
        Some(a) => {
            let t = text_of(a, loc)?;
            if t.trim().is_empty() {
                return Err(XmlError::invalid(loc.node(a), "<arch> is empty"));
            }
            Some(t)
        }
        None => None,
    };

    let model = match model {
        Some(m) => {
            let name = text_of(m, loc)?;
            let name = if name.trim().is_empty() {
                String::new()
            } else {
                name
            };
            let (fallback, vendor_id) = match kind {
                CpuKind::Host => (None, None),
                CpuKind::Guest => {
                    let vid = m.attribute("vendor_id").map(str::to_string);
                    if let Some(v) = &vid {
                        if v.chars().count() != 12 {
                            return Err(XmlError::invalid(
                                loc.attr(m, "vendor_id"),
                                format!(
                                    "invalid vendor_id='{v}': it must be exactly 12 characters long"
                                ),
                            ));
                        }
                    }
                    (attr_enum(m, loc, "fallback", FALLBACKS)?, vid)
                }
            };
            Some(ModelRef {
                name,
                fallback,
                vendor_id,
                pos: loc.node(m),
            })
        }
        None => None,
    };
    let named = model.as_ref().is_some_and(|m| !m.name.is_empty());
    if kind == CpuKind::Host && !named {
        let p = model.as_ref().map_or(pos, |m| m.pos);
        return Err(XmlError::invalid(
            p,
            "a <cpu> with <arch> is a host CPU and needs a <model> name",
        ));
    }

    let vendor = match vendor {
        Some(v) => {
            if !named {
                return Err(XmlError::invalid(
                    loc.node(v),
                    "<vendor> needs a <model> name",
                ));
            }
            let t = text_of(v, loc)?;
            if t.trim().is_empty() {
                return Err(XmlError::invalid(loc.node(v), "<vendor> is empty"));
            }
            Some(t)
        }
        None => None,
    };

    let signature = match signature {
        Some(s) => Some(Signature {
            family: attr_num(s, loc, "family", true)?.unwrap_or_default(),
            model: attr_num(s, loc, "model", true)?.unwrap_or_default(),
            stepping: attr_num(s, loc, "stepping", false)?,
        }),
        None => None,
    };
    let microcode = match microcode {
        Some(m) => attr_num(m, loc, "version", true)?,
        None => None,
    };
    let topology = match topology {
        Some(t) => {
            let get = |name: &str, required: bool| -> Result<Option<u32>, XmlError> {
                let v: Option<u32> = attr_num(t, loc, name, required)?;
                if v == Some(0) {
                    return Err(XmlError::invalid(
                        loc.attr(t, name),
                        format!("invalid {name}='0' on <topology>: it must be at least 1"),
                    ));
                }
                Ok(v)
            };
            Some(Topology {
                sockets: get("sockets", true)?.unwrap_or(1),
                dies: get("dies", false)?,
                clusters: get("clusters", false)?,
                cores: get("cores", true)?.unwrap_or(1),
                threads: get("threads", true)?.unwrap_or(1),
            })
        }
        None => None,
    };

    if !features.is_empty() && kind == CpuKind::Guest && mode == Mode::Custom && !named {
        return Err(XmlError::invalid(
            loc.node(features[0]),
            "<feature> needs a <model> name in a custom-mode CPU",
        ));
    }
    let mut out: Vec<Feature> = Vec::with_capacity(features.len());
    let mut seen: std::collections::HashMap<String, Pos> = Default::default();
    for f in features {
        let fpos = loc.node(f);
        let name = match f.attribute("name") {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => {
                return Err(XmlError::invalid(
                    fpos,
                    "<feature> is missing the 'name' attribute",
                ))
            }
        };
        let policy = match kind {
            CpuKind::Host => None,
            CpuKind::Guest => attr_enum(f, loc, "policy", POLICIES)?,
        };
        if let Some(first) = seen.get(&name) {
            return Err(XmlError::invalid(
                fpos,
                format!(
                    "feature '{name}' specified more than once (first at {}:{})",
                    first.line, first.column
                ),
            ));
        }
        seen.insert(name.clone(), fpos);
        out.push(Feature {
            name,
            policy,
            pos: fpos,
        });
    }

    Ok(CpuDef {
        kind,
        mode,
        match_,
        check,
        arch,
        model,
        vendor,
        signature,
        microcode,
        topology,
        features: out,
        pos,
    })
}
