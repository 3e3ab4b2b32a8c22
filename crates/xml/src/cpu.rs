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

    /// The decoded value of attribute `name` as bytes, borrowed when the value needs no
    /// decoding.
    pub(crate) fn attr_bytes(&self, name: &str) -> Option<std::borrow::Cow<'a, [u8]>> {
        let a = self
            .attrs
            .iter()
            .find(|a| a.name(self.bytes) == name.as_bytes())?;
        let raw = a.value(self.bytes);
        if a.plain {
            return Some(std::borrow::Cow::Borrowed(raw));
        }
        Some(match attr_value(raw) {
            std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
            std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.into_bytes()),
        })
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

/// Looks a feature name up in a catalog's index as the `<feature>` is read (see
/// [`ResolvedCpu`]): the decoded name's bytes in, the catalog's index out, `None` for a
/// name the catalog does not know. It must answer as an exact lookup by name would.
pub type Resolve<'r> = &'r dyn Fn(&[u8]) -> Option<u32>;

/// A `<feature>` name as read with a [`Resolve`]r.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FeatureName {
    /// The index the resolver gave it.
    Known(u32),
    /// A name the resolver does not know, as written (decoded).
    Unknown(String),
}

/// A `<feature>` read with a [`Resolve`]r: its name (by index when known), `policy=`
/// (`None` when absent, and always for a host) and position.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResolvedFeature {
    /// The name.
    pub name: FeatureName,
    /// `policy=`, if given (never for a host).
    pub policy: Option<Policy>,
    /// Where `<feature>` stood.
    pub pos: Pos,
}

/// A CPU definition read with its feature names looked up in a catalog's index as they
/// were read ([`crate::CpuReader::next_resolved`]): the same definition as the reader
/// gives without a resolver, but no string is made for a known feature name.
///
/// ```
/// use cpucompat_xml::{CpuReader, FeatureName};
///
/// let xml = "<cpu><arch>x86_64</arch><model>Haswell</model>
///              <feature name='vmx'/><feature name='nope'/></cpu>";
/// let names = ["svm", "vmx"];
/// let resolve = |n: &[u8]| names.iter().position(|k| k.as_bytes() == n).map(|i| i as u32);
/// let cpu = CpuReader::new(xml.as_bytes()).next_resolved(&resolve).unwrap()?;
/// assert_eq!(cpu.features()[0].name, FeatureName::Known(1));
/// assert_eq!(cpu.features()[1].name, FeatureName::Unknown("nope".into()));
/// let def = cpu.into_def(|i| names[i as usize]);
/// assert_eq!(def.features[0].name, "vmx");
/// # Ok::<(), cpucompat_xml::XmlError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedCpu {
    /// The definition without its features.
    head: CpuDef,
    features: Vec<ResolvedFeature>,
}

impl ResolvedCpu {
    /// The definition, without its `<feature>` elements (`features` is empty).
    pub fn head(&self) -> &CpuDef {
        &self.head
    }

    /// The `<feature>` elements, in document order.
    pub fn features(&self) -> &[ResolvedFeature] {
        &self.features
    }

    /// A definition read without a resolver: every feature unknown.
    pub(crate) fn from_def(mut def: CpuDef) -> ResolvedCpu {
        let features = std::mem::take(&mut def.features)
            .into_iter()
            .map(|f| ResolvedFeature {
                name: FeatureName::Unknown(f.name),
                policy: f.policy,
                pos: f.pos,
            })
            .collect();
        ResolvedCpu {
            head: def,
            features,
        }
    }

    pub(crate) fn set_arch(&mut self, arch: Option<String>) {
        self.head.arch = arch;
    }

    /// The definition without its features, and the features.
    pub fn into_parts(self) -> (CpuDef, Vec<ResolvedFeature>) {
        (self.head, self.features)
    }

    /// The whole definition, each known feature named by `name` (the inverse of the
    /// resolver the definition was read with): equal to what the reader gives without a
    /// resolver.
    pub fn into_def<'n>(self, name: impl Fn(u32) -> &'n str) -> CpuDef {
        let features = self
            .features
            .into_iter()
            .map(|f| Feature {
                name: match f.name {
                    FeatureName::Known(i) => name(i).to_string(),
                    FeatureName::Unknown(s) => s,
                },
                policy: f.policy,
                pos: f.pos,
            })
            .collect();
        CpuDef {
            features,
            ..self.head
        }
    }
}

/// How a `<feature>` of the element being read is named: by the resolver's index, by
/// a range of the builder's name bytes, or not at all (after a fault decided the error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Id(u32),
    Text(u32, u32),
    Missing,
}

/// One `<feature>` of the element being read.
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: Key,
    policy: Option<Policy>,
    pos: Pos,
}

/// A feature fault: its index among the `<feature>` children, its rank within one
/// feature (0 missing name, 1 policy, 2 repeated name) and the error.
type Fault = (usize, u8, XmlError);

/// An open-addressing set of feature indices, keyed by the feature names kept as bytes.
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

/// The name bytes of a `Text` entry.
fn text_of<'a>(names: &'a [u8], e: &Entry) -> &'a [u8] {
    match e.key {
        Key::Text(a, b) => names.get(a as usize..b as usize).unwrap_or_default(),
        _ => &[],
    }
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

    fn probe(slots: &[u32], feats: &[Entry], names: &[u8], name: &[u8]) -> (usize, Option<usize>) {
        let mask = slots.len() - 1;
        // the high bits of the product depend on every byte of the name
        let mut i = fx(name).rotate_left(26) as usize & mask;
        loop {
            match slots[i] {
                0 => return (i, None),
                s => {
                    let idx = s as usize - 1;
                    if feats.get(idx).is_some_and(|f| text_of(names, f) == name) {
                        return (i, Some(idx));
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// The index of an earlier feature named `name`, or inserts `index`.
    fn insert(
        &mut self,
        feats: &[Entry],
        names: &[u8],
        name: &[u8],
        index: usize,
    ) -> Option<usize> {
        if self.slots.is_empty() {
            self.slots = vec![0; 64];
        }
        if (self.len + 1) * 2 > self.slots.len() {
            let mut grown = vec![0u32; self.slots.len() * 2];
            for &s in self.slots.iter().filter(|&&s| s != 0) {
                if let Some(f) = feats.get(s as usize - 1) {
                    let (i, _) = NameSet::probe(&grown, feats, names, text_of(names, f));
                    grown[i] = s;
                }
            }
            self.slots = grown;
        }
        let (i, found) = NameSet::probe(&self.slots, feats, names, name);
        if found.is_none() {
            self.slots[i] = u32::try_from(index + 1).unwrap_or(u32::MAX);
            self.len += 1;
        }
        found
    }
}

/// The resolver's indices seen in the element being read, as a bit set.
#[derive(Default)]
struct IdSet {
    words: Vec<u64>,
    any: bool,
}

impl IdSet {
    fn clear(&mut self) {
        if self.any {
            self.words.iter_mut().for_each(|w| *w = 0);
            self.any = false;
        }
    }

    /// Inserts `id`; whether it was there.
    fn insert(&mut self, id: u32) -> bool {
        let (w, bit) = ((id / 64) as usize, 1u64 << (id % 64));
        if w >= self.words.len() {
            // a resolver's indices are a catalog's: small
            self.words.resize((w + 1).next_power_of_two(), 0);
        }
        self.any = true;
        let had = self.words[w] & bit != 0;
        self.words[w] |= bit;
        had
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
    /// The `<feature>` children so far (reused from one element to the next).
    features: Vec<Entry>,
    /// The bytes of the names of `Key::Text` features.
    names: Vec<u8>,
    /// Whether names are looked up with a resolver (see [`ResolvedCpu`]).
    resolving: bool,
    first_feature: Option<Pos>,
    fault: Option<Fault>,
    policy_fault: Option<Fault>,
    seen: NameSet,
    seen_ids: IdSet,
}

impl CpuBuilder {
    /// Starts an element: a `<cpu>` (`attributes`) or a domcapabilities `<mode>`.
    /// `resolving`: feature names will be looked up with a resolver ([`Resolve`]).
    pub(crate) fn begin(&mut self, attributes: bool, resolving: bool, tag: &Tag) {
        self.attributes = attributes;
        self.resolving = resolving;
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
        self.features.clear();
        if self.names.len() > 1 << 16 {
            // after a huge element, do not keep its size for every small one
            self.names = Vec::new();
        }
        self.names.clear();
        self.first_feature = None;
        self.fault = None;
        self.policy_fault = None;
        self.seen.clear();
        self.seen_ids.clear();
        if attributes {
            self.mode = root_attr(tag, "mode", MODES);
            self.match_ = root_attr(tag, "match", MATCHES);
            self.check = root_attr(tag, "check", CHECKS);
        }
    }

    /// A start tag at `level` (1: a direct child). `foreign`: it is in an XML namespace.
    /// `resolve`: the resolver of a resolving read.
    pub(crate) fn start(
        &mut self,
        level: usize,
        tag: &Tag,
        foreign: bool,
        resolve: Option<Resolve<'_>>,
    ) {
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
                self.feature(tag, resolve);
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

    fn feature(&mut self, tag: &Tag, resolve: Option<Resolve<'_>>) {
        let index = self.features.len();
        if self.first_feature.is_none() {
            self.first_feature = Some(tag.pos);
        }
        let missing = Entry {
            key: Key::Missing,
            policy: None,
            pos: tag.pos,
        };
        if self.fault.is_some() {
            // an earlier feature already decides the error
            self.features.push(missing);
            return;
        }
        let decoded = tag.attr_bytes("name");
        let name: &[u8] = match &decoded {
            Some(s) if !s.is_empty() => s,
            _ => {
                self.fault = Some((
                    index,
                    0,
                    XmlError::invalid(tag.pos, "<feature> is missing the 'name' attribute"),
                ));
                self.features.push(missing);
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
        self.add_feature(name, policy, tag.pos, resolve);
    }

    /// `<feature name='NAME'/>` (a non-empty name, no other attribute) at `pos`, as
    /// [`CpuBuilder::start`] reads it at level 1: the scanner's fast path.
    pub(crate) fn plain_feature(&mut self, name: &[u8], pos: Pos, resolve: Option<Resolve<'_>>) {
        if self.first_feature.is_none() {
            self.first_feature = Some(pos);
        }
        if self.fault.is_some() {
            self.features.push(Entry {
                key: Key::Missing,
                policy: None,
                pos,
            });
            return;
        }
        self.add_feature(name, None, pos, resolve);
    }

    /// A feature with a name: looked up (when resolving), checked for repetition, kept.
    #[inline]
    fn add_feature(
        &mut self,
        name: &[u8],
        policy: Option<Policy>,
        pos: Pos,
        resolve: Option<Resolve<'_>>,
    ) {
        let index = self.features.len();
        let id = match (resolve, self.resolving) {
            (Some(r), true) => r(name),
            _ => None,
        };
        let (key, first) = match id {
            Some(id) => {
                let first = if self.seen_ids.insert(id) {
                    self.features.iter().position(|e| e.key == Key::Id(id))
                } else {
                    None
                };
                (Key::Id(id), first)
            }
            None => {
                let a = self.names.len();
                self.names.extend_from_slice(name);
                let r = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
                let key = Key::Text(r(a), r(self.names.len()));
                let first = self.seen.insert(&self.features, &self.names, name, index);
                (key, first)
            }
        };
        if let Some(first) = first {
            let p = self.features[first].pos;
            self.fault = Some((
                index,
                2,
                XmlError::invalid(
                    pos,
                    format!(
                        "feature '{}' specified more than once (first at {}:{})",
                        String::from_utf8_lossy(name),
                        p.line,
                        p.column
                    ),
                ),
            ));
        }
        self.features.push(Entry { key, policy, pos });
    }

    /// Whether the element being read is read with a resolver.
    pub(crate) fn is_resolving(&self) -> bool {
        self.resolving
    }

    /// The definition read with a resolver (see [`ResolvedCpu`]), or the first error.
    pub(crate) fn finish_resolved(&mut self) -> Result<ResolvedCpu, XmlError> {
        let head = self.finish_head()?;
        let host = head.kind == CpuKind::Host;
        let features = self
            .features
            .iter()
            .map(|e| ResolvedFeature {
                name: match e.key {
                    Key::Id(i) => FeatureName::Known(i),
                    _ => FeatureName::Unknown(
                        String::from_utf8_lossy(text_of(&self.names, e)).into_owned(),
                    ),
                },
                policy: if host { None } else { e.policy },
                pos: e.pos,
            })
            .collect();
        Ok(ResolvedCpu { head, features })
    }

    /// The definition, or the first error in the order of the module docs.
    pub(crate) fn finish(&mut self) -> Result<CpuDef, XmlError> {
        let mut def = self.finish_head()?;
        let host = def.kind == CpuKind::Host;
        def.features = self
            .features
            .iter()
            .map(|e| Feature {
                // the bytes were read as UTF-8: lossless
                name: String::from_utf8_lossy(text_of(&self.names, e)).into_owned(),
                policy: if host { None } else { e.policy },
                pos: e.pos,
            })
            .collect();
        Ok(def)
    }

    /// The definition without its features, or the first error in the order of the
    /// module docs.
    fn finish_head(&mut self) -> Result<CpuDef, XmlError> {
        self.inside = None;
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
            features: Vec::new(),
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
