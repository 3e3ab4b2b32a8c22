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
//!   `<maxphysaddr>`, ...) are not CPU-model data and are skipped, and so are children in
//!   an XML namespace.
//! * A domcapabilities `<mode name='host-model'>` reads as a `<cpu>` without attributes,
//!   as `virsh` reads it: a guest, mode custom; its `arch` is the document's
//!   `domainCapabilities/arch`, when that came first.
//!
//! **One pass.** The scanner hands every tag and text of the element to a [`CpuBuilder`]
//! as it reads them; the builder keeps what each child means (decoded values, or the
//! error it would give) and decides at the end tag. The checks are then applied in one
//! fixed order, so the error reported for a definition with several faults is always the
//! same: a child given twice; the `<cpu>` attributes; `<arch>`; `<model>` (its text, then
//! `vendor_id`, then `fallback`); a host without a model name; `<vendor>`; `<signature>`,
//! `<microcode>`, `<topology>` (attributes in the order they are listed in
//! [`Signature`]/[`Topology`]); a feature without a model; then the first faulty
//! `<feature>` in document order (missing name, then policy, then repeated name).
//! Repeated feature names are found with a hash set of indices into the features read so
//! far, reused from one element to the next: nothing is allocated per feature beyond its
//! name.
//!
//! Nothing here checks names against a catalog: that is the adapters' business.
use crate::error::XmlError;
use crate::lex::Attr;
use crate::model::{
    Check, CpuDef, CpuKind, Fallback, Feature, Match, Mode, ModelRef, Policy, Pos, Signature,
    Topology,
};
use crate::text::{attr_value, pos_after, push_cdata, push_text};

/// A start tag as the builders see it.
#[derive(Clone, Copy)]
pub(crate) struct Tag<'a> {
    /// The element name as written (with its prefix, if any).
    pub(crate) name: &'a [u8],
    /// The whole tag.
    pub(crate) bytes: &'a [u8],
    pub(crate) attrs: &'a [Attr],
    /// Where the tag starts.
    pub(crate) pos: Pos,
}

impl<'a> Tag<'a> {
    /// The raw value of attribute `name` and the attribute's offset in the tag.
    pub(crate) fn raw(&self, name: &str) -> Option<(&'a [u8], usize)> {
        self.attrs
            .iter()
            .find(|a| a.name(self.bytes) == name.as_bytes())
            .map(|a| (a.value(self.bytes), a.name.0 as usize))
    }

    /// The decoded value of attribute `name`.
    pub(crate) fn attr(&self, name: &str) -> Option<std::borrow::Cow<'a, str>> {
        let a = self
            .attrs
            .iter()
            .find(|a| a.name(self.bytes) == name.as_bytes())?;
        let raw = a.value(self.bytes);
        if a.plain {
            if let Ok(s) = std::str::from_utf8(raw) {
                return Some(std::borrow::Cow::Borrowed(s));
            }
        }
        Some(attr_value(raw))
    }

    /// The decoded value of attribute `name` as a new string (one allocation when the
    /// value needs no decoding).
    pub(crate) fn attr_string(&self, name: &str) -> Option<String> {
        let a = self
            .attrs
            .iter()
            .find(|a| a.name(self.bytes) == name.as_bytes())?;
        let raw = a.value(self.bytes);
        if a.plain {
            if let Ok(s) = String::from_utf8(raw.to_vec()) {
                return Some(s);
            }
        }
        Some(attr_value(raw).into_owned())
    }

    /// The value of attribute `name` looked up in `table`, comparing bytes when the value
    /// needs no decoding.
    fn attr_enum_fast<T: Copy>(
        &self,
        elem: &str,
        name: &str,
        table: &[(&str, T)],
    ) -> Option<Result<T, XmlError>> {
        let a = self
            .attrs
            .iter()
            .find(|a| a.name(self.bytes) == name.as_bytes())?;
        if a.plain {
            let raw = a.value(self.bytes);
            if let Some((_, t)) = table.iter().find(|(k, _)| k.as_bytes() == raw) {
                return Some(Ok(*t));
            }
        }
        attr_enum(self, elem, name, table)
    }

    /// Where attribute `name` starts (the tag's position if absent).
    pub(crate) fn attr_pos(&self, name: &str) -> Pos {
        match self.raw(name) {
            Some((_, off)) => pos_after(self.pos, self.bytes, off),
            None => self.pos,
        }
    }

    /// The element name as text.
    pub(crate) fn name_str(&self) -> std::borrow::Cow<'a, str> {
        String::from_utf8_lossy(self.name)
    }

    /// The local name (after the prefix).
    pub(crate) fn local(&self) -> std::borrow::Cow<'a, str> {
        let local = match self.name.iter().rposition(|&b| b == b':') {
            Some(i) => &self.name[i + 1..],
            None => self.name,
        };
        String::from_utf8_lossy(local)
    }
}

fn attr_enum<T: Copy>(
    tag: &Tag,
    elem: &str,
    name: &str,
    table: &[(&str, T)],
) -> Option<Result<T, XmlError>> {
    let v = tag.attr(name)?;
    Some(match table.iter().find(|(k, _)| *k == v) {
        Some((_, t)) => Ok(*t),
        None => {
            let allowed: Vec<&str> = table.iter().map(|(k, _)| *k).collect();
            Err(XmlError::invalid(
                tag.attr_pos(name),
                format!(
                    "invalid {name}='{v}' on <{elem}>: expected one of {}",
                    allowed.join(", ")
                ),
            ))
        }
    })
}

/// A decimal unsigned attribute.
pub(crate) fn attr_num<T: std::str::FromStr>(
    tag: &Tag,
    name: &str,
    required: bool,
) -> Result<Option<T>, XmlError> {
    match tag.attr(name) {
        None if required => Err(XmlError::invalid(
            tag.pos,
            format!("<{}> is missing the '{name}' attribute", tag.local()),
        )),
        None => Ok(None),
        Some(v) => match v.parse::<T>() {
            Ok(x) if v.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(x)),
            _ => Err(XmlError::invalid(
                tag.attr_pos(name),
                format!(
                    "invalid {name}='{v}' on <{}>: expected an unsigned decimal number",
                    tag.local()
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

/// A child that holds text (`<arch>`, `<model>`, `<vendor>`).
struct TextChild {
    name: &'static str,
    pos: Pos,
    text: String,
    /// The first element inside it: "may contain only text".
    nested: Option<XmlError>,
}

impl TextChild {
    fn new(name: &'static str, pos: Pos) -> TextChild {
        TextChild {
            name,
            pos,
            text: String::new(),
            nested: None,
        }
    }

    /// Its text, or the error of an element inside it.
    fn take_text(&mut self) -> Result<String, XmlError> {
        match self.nested.take() {
            Some(e) => Err(e),
            None => Ok(std::mem::take(&mut self.text)),
        }
    }
}

/// Which text child the builder is inside.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Arch,
    Model,
    Vendor,
}

/// An attribute of `<cpu>` as read, for the kind-dependent checks at the end.
struct RootAttr<T> {
    pos: Pos,
    value: Result<T, XmlError>,
}

fn root_attr<T: Copy>(tag: &Tag, name: &str, table: &[(&str, T)]) -> Option<RootAttr<T>> {
    attr_enum(tag, "cpu", name, table).map(|value| RootAttr {
        pos: tag.attr_pos(name),
        value,
    })
}

/// A feature fault: its index among the `<feature>` children, its rank within one
/// feature (0 missing name, 1 policy, 2 repeated name) and the error.
type Fault = (usize, u8, XmlError);

/// An open-addressing set of feature indices, keyed by feature name.
#[derive(Default)]
struct NameSet {
    /// `index + 1` of a feature, 0 when free; the length is a power of two.
    slots: Vec<u32>,
    len: usize,
}

/// FxHash (rustc's hash) over 8-byte words: a few instructions per feature name.
fn fx(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h: u64 = 0;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w) ^ rest.len() as u64).wrapping_mul(K);
    }
    h
}

impl NameSet {
    fn clear(&mut self) {
        if self.slots.len() > 1024 {
            // after a huge element, do not pay its size again for every small one
            self.slots = vec![0; 64];
        } else if self.len > 0 {
            self.slots.iter_mut().for_each(|s| *s = 0);
        }
        self.len = 0;
    }

    fn probe(slots: &[u32], feats: &[Feature], name: &str) -> (usize, Option<usize>) {
        let mask = slots.len() - 1;
        // the high bits of the product depend on every byte of the name
        let mut i = fx(name.as_bytes()).rotate_left(26) as usize & mask;
        loop {
            match slots[i] {
                0 => return (i, None),
                s => {
                    let idx = s as usize - 1;
                    if feats.get(idx).is_some_and(|f| f.name == name) {
                        return (i, Some(idx));
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// The index of an earlier feature named `name`, or inserts `index`.
    fn insert(&mut self, feats: &[Feature], name: &str, index: usize) -> Option<usize> {
        if self.slots.is_empty() {
            self.slots = vec![0; 64];
        }
        if (self.len + 1) * 2 > self.slots.len() {
            let mut grown = vec![0u32; self.slots.len() * 2];
            for &s in self.slots.iter().filter(|&&s| s != 0) {
                if let Some(f) = feats.get(s as usize - 1) {
                    let (i, _) = NameSet::probe(&grown, feats, &f.name);
                    grown[i] = s;
                }
            }
            self.slots = grown;
        }
        let (i, found) = NameSet::probe(&self.slots, feats, name);
        if found.is_none() {
            self.slots[i] = u32::try_from(index + 1).unwrap_or(u32::MAX);
            self.len += 1;
        }
        found
    }
}

/// Reads one `<cpu>` (or domcapabilities `<mode>`) from the scanner's events.
#[derive(Default)]
pub(crate) struct CpuBuilder {
    attributes: bool,
    pos: Pos,
    mode: Option<RootAttr<Mode>>,
    match_: Option<RootAttr<Match>>,
    check: Option<RootAttr<Check>>,
    arch: Option<TextChild>,
    model: Option<TextChild>,
    /// `<model vendor_id=>` (decoded, with its position) and `fallback=`.
    vendor_id: Option<(String, Pos)>,
    fallback: Option<Result<Fallback, XmlError>>,
    vendor: Option<TextChild>,
    signature: Option<(Pos, Result<Signature, XmlError>)>,
    microcode: Option<(Pos, Result<Option<u64>, XmlError>)>,
    topology: Option<(Pos, Result<Topology, XmlError>)>,
    /// The first child given twice.
    twice: Option<XmlError>,
    /// Which text child is open (its content is at level 2).
    inside: Option<Slot>,
    features: Vec<Feature>,
    first_feature: Option<Pos>,
    fault: Option<Fault>,
    policy_fault: Option<Fault>,
    seen: NameSet,
    /// Features of the previous element: the capacity to start with.
    last_count: usize,
}

impl CpuBuilder {
    /// Starts an element: a `<cpu>` (`attributes`) or a domcapabilities `<mode>`.
    pub(crate) fn begin(&mut self, attributes: bool, tag: &Tag) {
        self.attributes = attributes;
        self.pos = tag.pos;
        self.mode = None;
        self.match_ = None;
        self.check = None;
        self.arch = None;
        self.model = None;
        self.vendor_id = None;
        self.fallback = None;
        self.vendor = None;
        self.signature = None;
        self.microcode = None;
        self.topology = None;
        self.twice = None;
        self.inside = None;
        self.features = Vec::with_capacity(self.last_count);
        self.first_feature = None;
        self.fault = None;
        self.policy_fault = None;
        self.seen.clear();
        if attributes {
            self.mode = root_attr(tag, "mode", MODES);
            self.match_ = root_attr(tag, "match", MATCHES);
            self.check = root_attr(tag, "check", CHECKS);
        }
    }

    /// A start tag at `level` (1: a direct child). `foreign`: it is in an XML namespace.
    pub(crate) fn start(&mut self, level: usize, tag: &Tag, foreign: bool) {
        if level == 2 {
            if let Some(slot) = self.inside {
                let child = self.slot(slot);
                if child.nested.is_none() {
                    child.nested = Some(XmlError::invalid(
                        tag.pos,
                        format!(
                            "<{}> may contain only text, found <{}>",
                            child.name,
                            tag.local()
                        ),
                    ));
                }
            }
            return;
        }
        if level != 1 || foreign {
            return;
        }
        let name = match tag.name {
            b"feature" => {
                self.feature(tag);
                return;
            }
            b"arch" => "arch",
            b"model" => "model",
            b"vendor" => "vendor",
            b"signature" => "signature",
            b"microcode" => "microcode",
            b"topology" => "topology",
            _ => return,
        };
        let taken = match name {
            "arch" => self.arch.is_some(),
            "model" => self.model.is_some(),
            "vendor" => self.vendor.is_some(),
            "signature" => self.signature.is_some(),
            "microcode" => self.microcode.is_some(),
            _ => self.topology.is_some(),
        };
        if taken {
            if self.twice.is_none() {
                let first = match name {
                    "arch" => self.arch.as_ref().map(|c| c.pos),
                    "model" => self.model.as_ref().map(|c| c.pos),
                    "vendor" => self.vendor.as_ref().map(|c| c.pos),
                    "signature" => self.signature.as_ref().map(|c| c.0),
                    "microcode" => self.microcode.as_ref().map(|c| c.0),
                    _ => self.topology.as_ref().map(|c| c.0),
                }
                .unwrap_or_default();
                self.twice = Some(XmlError::invalid(
                    tag.pos,
                    format!(
                        "<{name}> given twice in <cpu> (first at {}:{})",
                        first.line, first.column
                    ),
                ));
            }
            return;
        }
        match name {
            "arch" => {
                self.arch = Some(TextChild::new("arch", tag.pos));
                self.inside = Some(Slot::Arch);
            }
            "model" => {
                self.model = Some(TextChild::new("model", tag.pos));
                self.inside = Some(Slot::Model);
                self.vendor_id = tag
                    .attr("vendor_id")
                    .map(|v| (v.into_owned(), tag.attr_pos("vendor_id")));
                self.fallback = attr_enum(tag, "model", "fallback", FALLBACKS);
            }
            "vendor" => {
                self.vendor = Some(TextChild::new("vendor", tag.pos));
                self.inside = Some(Slot::Vendor);
            }
            "signature" => self.signature = Some((tag.pos, signature(tag))),
            "microcode" => self.microcode = Some((tag.pos, attr_num(tag, "version", true))),
            "topology" => self.topology = Some((tag.pos, topology(tag))),
            _ => {}
        }
    }

    fn slot(&mut self, slot: Slot) -> &mut TextChild {
        let child = match slot {
            Slot::Arch => &mut self.arch,
            Slot::Model => &mut self.model,
            Slot::Vendor => &mut self.vendor,
        };
        child.get_or_insert_with(|| TextChild::new("", Pos::default()))
    }

    /// An end tag that leaves `level` elements open in this one.
    pub(crate) fn end(&mut self, level: usize) {
        if level <= 1 {
            self.inside = None;
        }
    }

    /// Character data (`cdata`: a CDATA section) with `level` elements open.
    pub(crate) fn text(&mut self, level: usize, raw: &[u8], cdata: bool) {
        if level != 2 {
            return;
        }
        if let Some(slot) = self.inside {
            let child = self.slot(slot);
            if cdata {
                push_cdata(&mut child.text, raw);
            } else {
                push_text(&mut child.text, raw);
            }
        }
    }

    fn feature(&mut self, tag: &Tag) {
        let index = self.features.len();
        if self.first_feature.is_none() {
            self.first_feature = Some(tag.pos);
        }
        if self.fault.is_some() {
            // an earlier feature already decides the error
            self.features.push(Feature::new("", None));
            return;
        }
        let name = match tag.attr_string("name") {
            Some(s) if !s.is_empty() => s,
            _ => {
                self.fault = Some((
                    index,
                    0,
                    XmlError::invalid(tag.pos, "<feature> is missing the 'name' attribute"),
                ));
                self.features.push(Feature::new("", None));
                return;
            }
        };
        let policy = match tag.attr_enum_fast("feature", "policy", POLICIES) {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                if self.policy_fault.is_none() {
                    self.policy_fault = Some((index, 1, e));
                }
                None
            }
        };
        if let Some(first) = self.seen.insert(&self.features, &name, index) {
            let p = self.features[first].pos;
            self.fault = Some((
                index,
                2,
                XmlError::invalid(
                    tag.pos,
                    format!(
                        "feature '{name}' specified more than once (first at {}:{})",
                        p.line, p.column
                    ),
                ),
            ));
        }
        self.features.push(Feature {
            name,
            policy,
            pos: tag.pos,
        });
    }

    /// The definition, or the first error in the order of the module docs.
    pub(crate) fn finish(&mut self) -> Result<CpuDef, XmlError> {
        self.inside = None;
        self.last_count = self.features.len().min(1024);
        if let Some(e) = self.twice.take() {
            return Err(e);
        }
        let kind = if self.arch.is_some() {
            CpuKind::Host
        } else {
            CpuKind::Guest
        };
        let (mode, match_, check) = match kind {
            _ if !self.attributes => (Mode::Custom, None, None),
            CpuKind::Host => {
                if let Some(a) = &self.match_ {
                    return Err(XmlError::invalid(
                        a.pos,
                        "a <cpu> with <arch> is a host CPU and cannot have a 'match' attribute",
                    ));
                }
                if let Some(a) = &self.mode {
                    return Err(XmlError::invalid(
                        a.pos,
                        "a <cpu> with <arch> is a host CPU and cannot have a 'mode' attribute",
                    ));
                }
                (Mode::Custom, None, None)
            }
            CpuKind::Guest => (
                self.mode
                    .take()
                    .map(|a| a.value)
                    .transpose()?
                    .unwrap_or_default(),
                self.match_.take().map(|a| a.value).transpose()?,
                self.check.take().map(|a| a.value).transpose()?,
            ),
        };

        let arch = match self.arch.as_mut() {
            Some(a) => {
                let t = a.take_text()?;
                if t.trim().is_empty() {
                    return Err(XmlError::invalid(a.pos, "<arch> is empty"));
                }
                Some(t)
            }
            None => None,
        };

        let model = match self.model.as_mut() {
            Some(m) => {
                let name = m.take_text()?;
                let name = if name.trim().is_empty() {
                    String::new()
                } else {
                    name
                };
                let (fallback, vendor_id) = match kind {
                    CpuKind::Host => (None, None),
                    CpuKind::Guest => {
                        let vid = self.vendor_id.take();
                        if let Some((v, p)) = &vid {
                            if v.chars().count() != 12 {
                                return Err(XmlError::invalid(
                                    *p,
                                    format!(
                                        "invalid vendor_id='{v}': it must be exactly 12 characters long"
                                    ),
                                ));
                            }
                        }
                        (self.fallback.take().transpose()?, vid.map(|(v, _)| v))
                    }
                };
                Some(ModelRef {
                    name,
                    fallback,
                    vendor_id,
                    pos: m.pos,
                })
            }
            None => None,
        };
        let named = model.as_ref().is_some_and(|m| !m.name.is_empty());
        if kind == CpuKind::Host && !named {
            let p = model.as_ref().map_or(self.pos, |m| m.pos);
            return Err(XmlError::invalid(
                p,
                "a <cpu> with <arch> is a host CPU and needs a <model> name",
            ));
        }

        let vendor = match self.vendor.as_mut() {
            Some(v) => {
                if !named {
                    return Err(XmlError::invalid(v.pos, "<vendor> needs a <model> name"));
                }
                let t = v.take_text()?;
                if t.trim().is_empty() {
                    return Err(XmlError::invalid(v.pos, "<vendor> is empty"));
                }
                Some(t)
            }
            None => None,
        };

        let signature = self.signature.take().map(|s| s.1).transpose()?;
        let microcode = self.microcode.take().map(|m| m.1).transpose()?.flatten();
        let topology = self.topology.take().map(|t| t.1).transpose()?;

        if let Some(first) = self.first_feature {
            if kind == CpuKind::Guest && mode == Mode::Custom && !named {
                return Err(XmlError::invalid(
                    first,
                    "<feature> needs a <model> name in a custom-mode CPU",
                ));
            }
        }
        let policy_fault = match kind {
            CpuKind::Host => None,
            CpuKind::Guest => self.policy_fault.take(),
        };
        let fault = match (self.fault.take(), policy_fault) {
            (Some(a), Some(b)) => Some(if (b.0, b.1) < (a.0, a.1) { b } else { a }),
            (a, b) => a.or(b),
        };
        if let Some((_, _, e)) = fault {
            return Err(e);
        }
        let mut features = std::mem::take(&mut self.features);
        if kind == CpuKind::Host {
            for f in &mut features {
                f.policy = None;
            }
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
            features,
            pos: self.pos,
        })
    }
}

fn signature(tag: &Tag) -> Result<Signature, XmlError> {
    Ok(Signature {
        family: attr_num(tag, "family", true)?.unwrap_or_default(),
        model: attr_num(tag, "model", true)?.unwrap_or_default(),
        stepping: attr_num(tag, "stepping", false)?,
    })
}

fn topology(tag: &Tag) -> Result<Topology, XmlError> {
    let get = |name: &str, required: bool| -> Result<Option<u32>, XmlError> {
        let v: Option<u32> = attr_num(tag, name, required)?;
        if v == Some(0) {
            return Err(XmlError::invalid(
                tag.attr_pos(name),
                format!("invalid {name}='0' on <topology>: it must be at least 1"),
            ));
        }
        Ok(v)
    };
    Ok(Topology {
        sockets: get("sockets", true)?.unwrap_or(1),
        dies: get("dies", false)?,
        clusters: get("clusters", false)?,
        cores: get("cores", true)?.unwrap_or(1),
        threads: get("threads", true)?.unwrap_or(1),
    })
}
