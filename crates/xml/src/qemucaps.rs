//! What a libvirt host knows about its QEMU: the QEMU capabilities cache (`<qemuCaps>`)
//! and `virsh domcapabilities` (`<domainCapabilities>`), read into plain values.
//!
//! libvirt's QEMU driver answers `hypervisor-cpu-compare` and `hypervisor-cpu-baseline`
//! from what it once asked QEMU and keeps in `/var/cache/libvirt/qemu/capabilities/
//! <hash>.xml`, one file per emulator binary. This module reads such a file (copied off a
//! host, root-only there) and, for the parts it has, the domcapabilities document an
//! unprivileged user can get. It decides nothing: the adapters do.
//!
//! What is read from `<qemuCaps>` (everything else — machines' NUMA flags, GIC, SEV, ... —
//! is skipped):
//!
//! | element | value |
//! |---|---|
//! | `<emulator>`, `<arch>` (required) | [`QemuCaps::emulator`], [`QemuCaps::arch`] |
//! | `<version>` | QEMU's version as libvirt stores it, `major·10⁶ + minor·10³ + micro` |
//! | `<package>` | the distribution's QEMU package string |
//! | `<flag name=>` | QEMU capabilities, in file order |
//! | `<cpudata arch=>` | only its `arch`: the host's CPU family (x86 caches only) |
//! | `<hostCPU type= model= migratability=>` | per accelerator, QEMU's expansion of `host`/`max`: every `<property name= type= value= [migratable=]>` in file order |
//! | `<cpu type= name= typename= usable= [deprecated=]>` | per accelerator, one QEMU CPU definition with its `<blocker name=>`s in QEMU's order, duplicates kept |
//! | `<machine type= name= [alias=]>` | per accelerator, the machine types (for libvirt's machine check) |
//!
//! `type` is the accelerator as the cache spells it: `kvm`, `tcg` or `hvf` ([`Accel`];
//! `virsh --virttype qemu` selects `tcg`). A `<property>` of `type='boolean'` has
//! `value='true'|'false'`, `number` a signed decimal, `string` any text; `migratable` is
//! `yes`/`no`. `usable` is `yes`, `no` or `unknown`.
//!
//! From `<domainCapabilities>` ([`DomainCaps`]): `<path>`, `<domain>` (the virttype),
//! `<machine>`, `<arch>`, the host-model `<mode>` when `supported='yes'` (read by the
//! crate's CPU reader, as `virsh` reads it: a guest `<cpu>` without attributes) and the
//! `custom` mode's `<model usable= vendor= canonical= deprecated=>` list with the
//! `<blockers model=>` that follow.
//!
//! What domcapabilities cannot tell, compared with the cache:
//!
//! * QEMU's definitions whose names libvirt's `cpu_map` lacks (`max`, `base`, and `host`
//!   under KVM): they are left out of the custom list, so the compare shortcut for them
//!   cannot be taken;
//! * the blockers' order and duplicates: domcapabilities sorts and de-duplicates them, so
//!   the unusable check's message may list them differently (the verdict is the same);
//! * the `<hostCPU>` property names (the baseline's feature filter: the features this QEMU
//!   knows) and their `migratable` marks: without them a baseline may keep features QEMU
//!   does not know, and `--migratable` falls back to the `cpu_map`'s marks;
//! * the QEMU version, the flags and the machine list.
//!
//! Safety: the same rules as the rest of the crate — no DTD, no entity other than the
//! predefined ones, [`Limits`] on size, depth and element count — and time linear in the
//! input (positions are found through one table of line starts).
use crate::error::{ErrorKind, XmlError};
use crate::model::{CpuDef, Pos};
use crate::Limits;
use roxmltree::Node;

/// A QEMU accelerator as the capabilities cache names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Accel {
    /// `kvm` (`virsh --virttype kvm`).
    Kvm,
    /// `tcg` (`virsh --virttype qemu`).
    Tcg,
    /// `hvf` (macOS).
    Hvf,
}

impl Accel {
    /// The name in the cache's `type=` attributes.
    pub fn cache_name(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
            Accel::Hvf => "hvf",
        }
    }

    /// The name `virsh --virttype` takes and libvirt's messages print.
    pub fn virttype(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "qemu",
            Accel::Hvf => "hvf",
        }
    }

    /// The accelerator of a virttype (`kvm`, `qemu`, `hvf`); `tcg` is accepted too.
    pub fn from_virttype(s: &str) -> Option<Accel> {
        match s {
            "kvm" => Some(Accel::Kvm),
            "qemu" | "tcg" => Some(Accel::Tcg),
            "hvf" => Some(Accel::Hvf),
            _ => None,
        }
    }

    fn from_cache(s: &str) -> Option<Accel> {
        match s {
            "kvm" => Some(Accel::Kvm),
            "tcg" => Some(Accel::Tcg),
            "hvf" => Some(Accel::Hvf),
            _ => None,
        }
    }
}

/// QEMU's answer to "can this definition run here".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Usable {
    /// `usable='yes'`: no blockers.
    Yes,
    /// `usable='no'`: see the blockers.
    No,
    /// `usable='unknown'`: QEMU did not say.
    Unknown,
}

/// The value of a `<hostCPU>` property.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PropValue {
    /// `type='boolean'`.
    Boolean(bool),
    /// `type='number'`.
    Number(i64),
    /// `type='string'`.
    String(String),
}

/// One `<property>` of a `<hostCPU>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostCpuProperty {
    /// QEMU's property name (QEMU spelling).
    pub name: String,
    /// Its value.
    pub value: PropValue,
    /// `migratable=`: `Some(false)` marks a feature QEMU enables only when migratability is
    /// ignored.
    pub migratable: Option<bool>,
    /// Where the `<property>` stood.
    pub pos: Pos,
}

/// A `<hostCPU>`: QEMU's expansion of its host (KVM) or maximum (TCG) CPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostCpuInfo {
    /// The accelerator.
    pub accel: Accel,
    /// `model=`: the name QEMU reported (`base` for QEMU 7.2 on x86).
    pub model: String,
    /// `migratability='yes'`: QEMU reported which properties are migratable.
    pub migratability: bool,
    /// The properties in file order.
    pub props: Vec<HostCpuProperty>,
    /// Where the `<hostCPU>` stood.
    pub pos: Pos,
}

/// A `<cpu>` of the cache: one QEMU CPU definition for one accelerator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuDefinition {
    /// The accelerator.
    pub accel: Accel,
    /// The definition name (`Haswell`, `Haswell-v1`, `max`, `z13-base`, ...).
    pub name: String,
    /// `typename=`, when given.
    pub typename: Option<String>,
    /// `usable=`.
    pub usable: Usable,
    /// `deprecated='yes'`.
    pub deprecated: bool,
    /// The `<blocker name=>`s in QEMU's order, duplicates kept, QEMU spelling.
    pub blockers: Vec<String>,
    /// Where the `<cpu>` stood.
    pub pos: Pos,
}

/// A `<machine>` of the cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineType {
    /// The accelerator.
    pub accel: Accel,
    /// `name=`.
    pub name: String,
    /// `alias=`, when given.
    pub alias: Option<String>,
}

/// libvirt's QEMU capabilities cache of one emulator binary, as far as CPU questions go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QemuCaps {
    /// `<emulator>`: the binary's path (libvirt's messages quote it).
    pub emulator: String,
    /// `<arch>`: the guest architecture (`x86_64`, `i686`, `s390x`, ...).
    pub arch: String,
    /// `<version>`: `major·10⁶ + minor·10³ + micro`.
    pub version: Option<u64>,
    /// `<package>`.
    pub package: Option<String>,
    /// `<flag name=>`s in file order.
    pub flags: Vec<String>,
    /// The `arch=` of `<cpudata>`: the host's CPU family, when the cache holds host data.
    pub host_data_arch: Option<String>,
    /// `<hostCPU>` per accelerator, in file order.
    pub host_cpus: Vec<HostCpuInfo>,
    /// Every `<cpu>`, in file order (all accelerators).
    pub definitions: Vec<CpuDefinition>,
    /// Every `<machine>`, in file order (all accelerators).
    pub machines: Vec<MachineType>,
}

impl QemuCaps {
    /// Whether QEMU has the capability `name` (`<flag name=>`).
    pub fn has_flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }

    /// The `<hostCPU>` of an accelerator.
    pub fn host_cpu(&self, accel: Accel) -> Option<&HostCpuInfo> {
        self.host_cpus.iter().find(|h| h.accel == accel)
    }

    /// The CPU definitions of an accelerator, in QEMU's order.
    pub fn definitions_for(&self, accel: Accel) -> impl Iterator<Item = &CpuDefinition> {
        self.definitions.iter().filter(move |d| d.accel == accel)
    }

    /// The machine types of an accelerator.
    pub fn machines_for(&self, accel: Accel) -> impl Iterator<Item = &MachineType> {
        self.machines.iter().filter(move |m| m.accel == accel)
    }

    /// `(major, minor, micro)` of [`QemuCaps::version`].
    pub fn version_triple(&self) -> Option<(u32, u32, u32)> {
        self.version.map(|v| {
            (
                (v / 1_000_000) as u32,
                (v / 1000 % 1000) as u32,
                (v % 1000) as u32,
            )
        })
    }
}

/// One `<model>` of domcapabilities' `custom` mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomCapsModel {
    /// The model name.
    pub name: String,
    /// `usable=`.
    pub usable: Usable,
    /// `vendor=`, when given (`unknown` is kept as written).
    pub vendor: Option<String>,
    /// `canonical=`, when given.
    pub canonical: Option<String>,
    /// `deprecated='yes'`.
    pub deprecated: bool,
    /// The blockers of the following `<blockers model=>` element: sorted and de-duplicated
    /// by libvirt, libvirt spelling.
    pub blockers: Vec<String>,
    /// Where the `<model>` stood.
    pub pos: Pos,
}

/// `virsh domcapabilities`, as far as CPU questions go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainCaps {
    /// `<path>`: the emulator binary.
    pub path: Option<String>,
    /// `<domain>`: the virttype (`kvm`, `qemu`).
    pub domain: String,
    /// `<machine>`.
    pub machine: Option<String>,
    /// `<arch>`.
    pub arch: String,
    /// The host-model `<mode>` when `supported='yes'`: a guest `<cpu>` (mode custom, as
    /// `virsh` reads it).
    pub host_model: Option<CpuDef>,
    /// The `custom` mode's models in document order, when that mode is supported.
    pub custom_models: Vec<DomCapsModel>,
}

/// A hypervisor description: a capabilities cache or a domcapabilities document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HypervisorDoc {
    /// `<qemuCaps>`.
    Cache(QemuCaps),
    /// `<domainCapabilities>`.
    DomainCaps(DomainCaps),
}

/// Reads a `<qemuCaps>` or `<domainCapabilities>` document, with the default [`Limits`].
pub fn parse_hypervisor(text: &str) -> Result<HypervisorDoc, XmlError> {
    let limits = Limits::default();
    let doc = Doc::parse(text, &limits)?;
    let root = doc.tree.root_element();
    match root.tag_name().name() {
        "qemuCaps" => Ok(HypervisorDoc::Cache(read_qemu_caps(&doc, root)?)),
        "domainCapabilities" => Ok(HypervisorDoc::DomainCaps(read_domain_caps(
            &doc, root, text, &limits,
        )?)),
        other => Err(XmlError::new(
            doc.pos(root.range().start),
            ErrorKind::Invalid(format!(
                "expected <qemuCaps> (libvirt's QEMU capabilities cache) or \
                 <domainCapabilities>, found <{other}>"
            )),
        )),
    }
}

/// Reads a `<qemuCaps>` document with the default [`Limits`].
pub fn parse_qemu_caps(text: &str) -> Result<QemuCaps, XmlError> {
    parse_qemu_caps_with(text, &Limits::default())
}

/// [`parse_qemu_caps`] with explicit limits.
pub fn parse_qemu_caps_with(text: &str, limits: &Limits) -> Result<QemuCaps, XmlError> {
    let doc = Doc::parse(text, limits)?;
    let root = doc.tree.root_element();
    doc.expect_root(root, "qemuCaps")?;
    read_qemu_caps(&doc, root)
}

/// Reads a `<domainCapabilities>` document with the default [`Limits`].
pub fn parse_domain_caps(text: &str) -> Result<DomainCaps, XmlError> {
    parse_domain_caps_with(text, &Limits::default())
}

/// [`parse_domain_caps`] with explicit limits.
pub fn parse_domain_caps_with(text: &str, limits: &Limits) -> Result<DomainCaps, XmlError> {
    let doc = Doc::parse(text, limits)?;
    let root = doc.tree.root_element();
    doc.expect_root(root, "domainCapabilities")?;
    read_domain_caps(&doc, root, text, limits)
}

/// The element [`maxphysaddr_limits`] wraps a file of several top-level elements in.
const WRAPPER: &str = "cpucompat-wrapper";

/// A parsed document and a table of line starts, for positions in linear time.
struct Doc<'a> {
    tree: roxmltree::Document<'a>,
    /// The input (positions refer to it).
    text: &'a str,
    /// Byte offset of the start of every line of `text`.
    lines: Vec<usize>,
    /// When the tree was built from `text` with a wrapper start tag inserted: where, and
    /// its length.
    shift: Option<(usize, usize)>,
}

impl<'a> Doc<'a> {
    fn parse(text: &'a str, limits: &Limits) -> Result<Doc<'a>, XmlError> {
        Doc::parse_in(text, text, None, limits)
    }

    /// Parses `source`, which is `text` or `text` with a wrapper start tag of `shift.1`
    /// bytes inserted at byte `shift.0` (and its end tag appended), so that a file of
    /// several top-level elements reads as one document; positions refer to `text`.
    fn parse_in(
        source: &'a str,
        text: &'a str,
        shift: Option<(usize, usize)>,
        limits: &Limits,
    ) -> Result<Doc<'a>, XmlError> {
        let lines: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        if text.len() > limits.max_bytes {
            return Err(XmlError::new(
                position(text, &lines, limits.max_bytes),
                ErrorKind::TooLarge {
                    limit: limits.max_bytes,
                },
            ));
        }
        let nodes = limits
            .max_elements
            .saturating_mul(4)
            .saturating_add(16)
            .min(u32::MAX as usize) as u32;
        let opts = roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: nodes,
            ..Default::default()
        };
        let tree = match roxmltree::Document::parse_with_options(source, opts) {
            Ok(t) => t,
            Err(e) => {
                let p = e.pos();
                let kind = match &e {
                    roxmltree::Error::DtdDetected => ErrorKind::Dtd,
                    roxmltree::Error::UnknownEntityReference(name, _) => {
                        ErrorKind::UnknownEntity(name.clone())
                    }
                    roxmltree::Error::NodesLimitReached => ErrorKind::TooManyElements {
                        limit: limits.max_elements,
                    },
                    other => {
                        let s = other.to_string();
                        let at = format!(" at {}", other.pos());
                        let s = s.replacen(&at, "", 1);
                        // The wrapper is ours: its end tag is where the input ends.
                        ErrorKind::Syntax(s.replace(&format!("'{WRAPPER}'"), "the end of input"))
                    }
                };
                let mut pos = Pos {
                    line: p.row,
                    column: p.col,
                };
                if let Some((at, len)) = shift {
                    let inserted = position(text, &lines, at);
                    if pos.line == inserted.line && pos.column > inserted.column {
                        pos.column = pos.column.saturating_sub(len as u32).max(1);
                    }
                    // An error in the wrapper's end tag, appended to the last line, is at
                    // the end of the input.
                    let end = position(text, &lines, text.len());
                    if (pos.line, pos.column) > (end.line, end.column) {
                        pos = end;
                    }
                }
                return Err(XmlError::new(pos, kind));
            }
        };
        let d = Doc {
            tree,
            text,
            lines,
            shift,
        };
        let wrapper = u32::from(shift.is_some());
        // Depth and element count, in one walk in document order (a parent comes before
        // its children, so its depth is known when they are met).
        let mut depth: Vec<u32> = vec![0; d.tree.descendants().count()];
        let mut elements = 0usize;
        for n in d.tree.descendants().filter(|n| n.is_element()) {
            let here = n.parent().map_or(0, |p| depth[p.id().get_usize()]) + 1;
            depth[n.id().get_usize()] = here;
            elements += 1;
            if here > limits.max_depth + wrapper {
                return Err(XmlError::new(
                    d.pos(n.range().start),
                    ErrorKind::TooDeep {
                        limit: limits.max_depth,
                    },
                ));
            }
            if elements > limits.max_elements + wrapper as usize {
                return Err(XmlError::new(
                    d.pos(n.range().start),
                    ErrorKind::TooManyElements {
                        limit: limits.max_elements,
                    },
                ));
            }
        }
        Ok(d)
    }

    fn pos(&self, offset: usize) -> Pos {
        let offset = match self.shift {
            Some((at, len)) if offset >= at => offset.saturating_sub(len).max(at),
            _ => offset,
        };
        position(self.text, &self.lines, offset)
    }

    fn node(&self, n: Node) -> Pos {
        self.pos(n.range().start)
    }

    fn attr_pos(&self, n: Node, name: &str) -> Pos {
        match n.attribute_node(name) {
            Some(a) => self.pos(a.range().start),
            None => self.node(n),
        }
    }

    fn expect_root(&self, root: Node, name: &str) -> Result<(), XmlError> {
        if root.tag_name().name() == name {
            return Ok(());
        }
        Err(XmlError::new(
            self.node(root),
            ErrorKind::Invalid(format!(
                "expected a <{name}> element, found <{}>",
                root.tag_name().name()
            )),
        ))
    }

    fn invalid(&self, n: Node, msg: impl Into<String>) -> XmlError {
        XmlError::new(self.node(n), ErrorKind::Invalid(msg.into()))
    }

    fn required_attr<'n>(&self, n: Node<'n, 'n>, name: &str) -> Result<&'n str, XmlError> {
        n.attribute(name).ok_or_else(|| {
            self.invalid(
                n,
                format!(
                    "<{}> is missing the '{name}' attribute",
                    n.tag_name().name()
                ),
            )
        })
    }

    fn bad_value(&self, n: Node, name: &str, value: &str, expected: &str) -> XmlError {
        XmlError::new(
            self.attr_pos(n, name),
            ErrorKind::Invalid(format!(
                "invalid {name}='{value}' on <{}>: expected {expected}",
                n.tag_name().name()
            )),
        )
    }

    fn accel(&self, n: Node) -> Result<Accel, XmlError> {
        let v = self.required_attr(n, "type")?;
        Accel::from_cache(v).ok_or_else(|| self.bad_value(n, "type", v, "one of kvm, tcg, hvf"))
    }

    fn yes_no(&self, n: Node, name: &str) -> Result<Option<bool>, XmlError> {
        match n.attribute(name) {
            None => Ok(None),
            Some("yes") => Ok(Some(true)),
            Some("no") => Ok(Some(false)),
            Some(v) => Err(self.bad_value(n, name, v, "yes or no")),
        }
    }

    fn usable(&self, n: Node) -> Result<Usable, XmlError> {
        match n.attribute("usable") {
            None | Some("unknown") => Ok(Usable::Unknown),
            Some("yes") => Ok(Usable::Yes),
            Some("no") => Ok(Usable::No),
            Some(v) => Err(self.bad_value(n, "usable", v, "one of yes, no, unknown")),
        }
    }

    /// The text of an element that holds only text.
    fn text_of(&self, n: Node) -> Result<String, XmlError> {
        let mut s = String::new();
        for c in n.children() {
            if c.is_element() {
                return Err(XmlError::new(
                    self.node(c),
                    ErrorKind::Invalid(format!(
                        "<{}> may contain only text, found <{}>",
                        n.tag_name().name(),
                        c.tag_name().name()
                    )),
                ));
            }
            if c.is_text() {
                s.push_str(c.text().unwrap_or_default());
            }
        }
        Ok(s)
    }
}

/// A byte offset as a 1-based line and column (in characters), through the table of line
/// starts: a binary search and a walk over one line.
fn position(text: &str, lines: &[usize], offset: usize) -> Pos {
    let offset = offset.min(text.len());
    let line = lines.partition_point(|&s| s <= offset).max(1);
    let start = lines[line - 1];
    let column = text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
    Pos {
        line: line as u32,
        column: column as u32,
    }
}

fn elements<'a, 'input>(n: Node<'a, 'input>) -> impl Iterator<Item = Node<'a, 'input>> {
    n.children()
        .filter(|c| c.is_element() && c.tag_name().namespace().is_none())
}

fn read_qemu_caps(doc: &Doc, root: Node) -> Result<QemuCaps, XmlError> {
    let mut emulator = None;
    let mut arch = None;
    let mut caps = QemuCaps {
        emulator: String::new(),
        arch: String::new(),
        version: None,
        package: None,
        flags: Vec::new(),
        host_data_arch: None,
        host_cpus: Vec::new(),
        definitions: Vec::new(),
        machines: Vec::new(),
    };
    for c in elements(root) {
        match c.tag_name().name() {
            "emulator" => emulator = Some(doc.text_of(c)?),
            "arch" => arch = Some(doc.text_of(c)?),
            "version" => {
                let t = doc.text_of(c)?;
                let v = t.trim();
                caps.version = Some(
                    v.parse::<u64>()
                        .ok()
                        .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| {
                            doc.invalid(
                                c,
                                format!(
                                    "invalid <version> '{v}': expected an unsigned decimal number"
                                ),
                            )
                        })?,
                );
            }
            "package" => caps.package = Some(doc.text_of(c)?),
            "flag" => caps.flags.push(doc.required_attr(c, "name")?.to_string()),
            "cpudata" => caps.host_data_arch = c.attribute("arch").map(str::to_string),
            "hostCPU" => {
                let accel = doc.accel(c)?;
                if let Some(first) = caps.host_cpus.iter().find(|h| h.accel == accel) {
                    return Err(doc.invalid(
                        c,
                        format!(
                            "a second <hostCPU type='{}'> (first at {}:{})",
                            accel.cache_name(),
                            first.pos.line,
                            first.pos.column
                        ),
                    ));
                }
                caps.host_cpus.push(read_host_cpu(doc, c, accel)?);
            }
            "cpu" => {
                let accel = doc.accel(c)?;
                let mut blockers = Vec::new();
                for b in elements(c) {
                    if b.tag_name().name() == "blocker" {
                        blockers.push(doc.required_attr(b, "name")?.to_string());
                    }
                }
                caps.definitions.push(CpuDefinition {
                    accel,
                    name: doc.required_attr(c, "name")?.to_string(),
                    typename: c.attribute("typename").map(str::to_string),
                    usable: doc.usable(c)?,
                    deprecated: doc.yes_no(c, "deprecated")?.unwrap_or(false),
                    blockers,
                    pos: doc.node(c),
                });
            }
            "machine" => caps.machines.push(MachineType {
                accel: doc.accel(c)?,
                name: doc.required_attr(c, "name")?.to_string(),
                alias: c.attribute("alias").map(str::to_string),
            }),
            _ => {}
        }
    }
    caps.emulator = non_empty(doc, root, emulator, "emulator")?;
    caps.arch = non_empty(doc, root, arch, "arch")?;
    Ok(caps)
}

fn non_empty(doc: &Doc, root: Node, v: Option<String>, name: &str) -> Result<String, XmlError> {
    match v {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(_) => Err(doc.invalid(root, format!("<{name}> is empty"))),
        None => Err(doc.invalid(
            root,
            format!("<{}> has no <{name}>", root.tag_name().name()),
        )),
    }
}

fn read_host_cpu(doc: &Doc, n: Node, accel: Accel) -> Result<HostCpuInfo, XmlError> {
    let model = doc.required_attr(n, "model")?.to_string();
    let migratability = doc
        .yes_no(n, "migratability")?
        .ok_or_else(|| doc.invalid(n, "<hostCPU> is missing the 'migratability' attribute"))?;
    let mut props = Vec::new();
    for p in elements(n) {
        if p.tag_name().name() != "property" {
            continue;
        }
        let name = doc.required_attr(p, "name")?.to_string();
        let ty = doc.required_attr(p, "type")?;
        let raw = doc.required_attr(p, "value")?;
        let value = match ty {
            "boolean" => match raw {
                "true" => PropValue::Boolean(true),
                "false" => PropValue::Boolean(false),
                v => return Err(doc.bad_value(p, "value", v, "true or false")),
            },
            "number" => PropValue::Number(
                raw.parse::<i64>()
                    .map_err(|_| doc.bad_value(p, "value", raw, "a decimal number"))?,
            ),
            "string" => PropValue::String(raw.to_string()),
            v => return Err(doc.bad_value(p, "type", v, "one of boolean, number, string")),
        };
        props.push(HostCpuProperty {
            name,
            value,
            migratable: doc.yes_no(p, "migratable")?,
            pos: doc.node(p),
        });
    }
    Ok(HostCpuInfo {
        accel,
        model,
        migratability,
        props,
        pos: doc.node(n),
    })
}

fn read_domain_caps(
    doc: &Doc,
    root: Node,
    text: &str,
    limits: &Limits,
) -> Result<DomainCaps, XmlError> {
    let mut out = DomainCaps {
        path: None,
        domain: String::new(),
        machine: None,
        arch: String::new(),
        host_model: None,
        custom_models: Vec::new(),
    };
    let mut domain = None;
    let mut arch = None;
    let mut host_model_supported = false;
    for c in elements(root) {
        match c.tag_name().name() {
            "path" => out.path = Some(doc.text_of(c)?.trim().to_string()),
            "domain" => domain = Some(doc.text_of(c)?),
            "machine" => out.machine = Some(doc.text_of(c)?.trim().to_string()),
            "arch" => arch = Some(doc.text_of(c)?),
            "cpu" => {
                for mode in elements(c).filter(|m| m.tag_name().name() == "mode") {
                    let supported = mode.attribute("supported") == Some("yes");
                    match mode.attribute("name") {
                        Some("host-model") => host_model_supported |= supported,
                        Some("custom") if supported => {
                            out.custom_models = read_custom_models(doc, mode)?
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    out.domain = non_empty(doc, root, domain, "domain")?;
    out.arch = non_empty(doc, root, arch, "arch")?;
    if host_model_supported {
        // The crate's CPU reader selects exactly this <mode> in a domcapabilities document.
        let mut cpus = crate::parse_cpus_with(text, limits)?;
        if !cpus.is_empty() {
            out.host_model = Some(cpus.swap_remove(0));
        }
    }
    Ok(out)
}

fn read_custom_models(doc: &Doc, mode: Node) -> Result<Vec<DomCapsModel>, XmlError> {
    let mut models: Vec<DomCapsModel> = Vec::new();
    for c in elements(mode) {
        match c.tag_name().name() {
            "model" => {
                let name = doc.text_of(c)?.trim().to_string();
                if name.is_empty() {
                    return Err(doc.invalid(c, "<model> is empty"));
                }
                models.push(DomCapsModel {
                    name,
                    usable: doc.usable(c)?,
                    vendor: c.attribute("vendor").map(str::to_string),
                    canonical: c.attribute("canonical").map(str::to_string),
                    deprecated: doc.yes_no(c, "deprecated")?.unwrap_or(false),
                    blockers: Vec::new(),
                    pos: doc.node(c),
                });
            }
            "blockers" => {
                let model = doc.required_attr(c, "model")?;
                let Some(m) = models.iter_mut().rev().find(|m| m.name == model) else {
                    return Err(doc.invalid(
                        c,
                        format!("<blockers model='{model}'> follows no <model> of that name"),
                    ));
                };
                for f in elements(c).filter(|f| f.tag_name().name() == "feature") {
                    m.blockers.push(doc.required_attr(f, "name")?.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(models)
}

/// The `limit=` of each CPU definition's `<maxphysaddr>`, in the order [`crate::parse_cpus`]
/// returns the definitions (`None`: no `<maxphysaddr>` or no `limit=`).
///
/// [`CpuDef`] does not carry `<maxphysaddr>`; libvirt's hypervisor baseline needs only
/// its `limit`: when every input has one above 0 the result gets the smallest
/// ([`write_cpu_with_maxphysaddr`]). `mode=` must be `passthrough` or `emulate`, `limit=`
/// and `bits=` unsigned decimal numbers, as libvirt's parser requires.
pub fn maxphysaddr_limits(text: &str) -> Result<Vec<Option<u32>>, XmlError> {
    let limits = Limits::default();
    // Several top-level <cpu> elements are allowed: read them inside a wrapper, inserted
    // after the XML declaration if there is one.
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut at = text.len() - body.len();
    if body.starts_with("<?xml") {
        if let Some(end) = body.find("?>") {
            at += end + 2;
        }
    }
    let open = format!("<{WRAPPER}>");
    let source = format!("{}{open}{}</{WRAPPER}>", &text[..at], &text[at..]);
    let doc = Doc::parse_in(&source, text, Some((at, open.len())), &limits)?;
    let mut out = Vec::new();
    let mut visit = |cpu: Node| -> Result<(), XmlError> {
        let mut limit = None;
        if let Some(m) = elements(cpu).find(|c| c.tag_name().name() == "maxphysaddr") {
            match doc.required_attr(m, "mode")? {
                "passthrough" | "emulate" => {}
                v => return Err(doc.bad_value(m, "mode", v, "passthrough or emulate")),
            }
            for name in ["bits", "limit"] {
                if let Some(v) = m.attribute(name) {
                    let n = v
                        .parse::<u32>()
                        .ok()
                        .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| doc.bad_value(m, name, v, "an unsigned decimal number"))?;
                    if name == "limit" {
                        limit = Some(n);
                    }
                }
            }
        }
        out.push(limit);
        Ok(())
    };
    // The paths the crate's CPU reader selects (see `scan`): [W]/cpu, [W]/domain/cpu,
    // [W]/capabilities/host/cpu, [W]/domainCapabilities/cpu/mode[host-model, supported].
    let top: Vec<Node> = elements(doc.tree.root_element()).collect();
    for t in top {
        let scope: Vec<Node> = match t.tag_name().name() {
            "cpu" | "domain" | "capabilities" | "domainCapabilities" => vec![t],
            _ => elements(t).collect(),
        };
        for s in scope {
            match s.tag_name().name() {
                "cpu" => visit(s)?,
                "domain" => {
                    for c in elements(s).filter(|c| c.tag_name().name() == "cpu") {
                        visit(c)?;
                    }
                }
                "capabilities" => {
                    for h in elements(s).filter(|c| c.tag_name().name() == "host") {
                        for c in elements(h).filter(|c| c.tag_name().name() == "cpu") {
                            visit(c)?;
                        }
                    }
                }
                "domainCapabilities" => {
                    for c in elements(s).filter(|c| c.tag_name().name() == "cpu") {
                        for m in elements(c).filter(|m| {
                            m.tag_name().name() == "mode"
                                && m.attribute("name") == Some("host-model")
                                && m.attribute("supported") == Some("yes")
                        }) {
                            visit(m)?;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// The `<maxphysaddr limit=>` of a hypervisor baseline: the smallest limit when every input
/// CPU has one above 0, else none (libvirt 11.3, `hypervisor-cpu-baseline`).
pub fn baseline_maxphysaddr(limits: &[Option<u32>]) -> Option<u32> {
    let mut min: Option<u32> = None;
    for l in limits {
        match l {
            Some(n) if *n > 0 => min = Some(min.map_or(*n, |m| m.min(*n))),
            _ => return None,
        }
    }
    min
}

/// [`crate::write_cpu`] with `<maxphysaddr mode='passthrough' limit='N'/>` where libvirt
/// formats it: after the model, vendor, signature and topology, before the features.
pub fn write_cpu_with_maxphysaddr(cpu: &CpuDef, limit: Option<u32>) -> String {
    let text = crate::write_cpu(cpu);
    let Some(n) = limit else {
        return text;
    };
    let line = format!("  <maxphysaddr mode='passthrough' limit='{n}'/>\n");
    if let Some(i) = text.find("\n  <feature ") {
        let mut s = text;
        s.insert_str(i + 1, &line);
        return s;
    }
    if let Some(i) = text.rfind("</cpu>\n") {
        let mut s = text;
        s.insert_str(i, &line);
        return s;
    }
    // `<cpu .../>`: no children yet.
    let head = text.trim_end().trim_end_matches("/>");
    format!("{head}>\n{line}</cpu>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CACHE: &str = "<qemuCaps>
  <emulator>/usr/bin/qemu-system-x86_64</emulator>
  <flag name='kvm'/>
  <flag name='cpu-unavailable-features'/>
  <version>7002022</version>
  <package>Debian 1:7.2+dfsg-7</package>
  <cpudata arch='x86'>
    <cpuid eax_in='0x00000000' ecx_in='0x00000000' eax='0x10' ebx='0' ecx='0' edx='0'/>
  </cpudata>
  <arch>x86_64</arch>
  <hostCPU type='kvm' model='base' migratability='yes'>
    <property name='pclmulqdq' type='boolean' value='true' migratable='yes'/>
    <property name='invtsc' type='boolean' value='true' migratable='no'/>
    <property name='vmx' type='boolean' value='false'/>
    <property name='family' type='number' value='25'/>
    <property name='vendor' type='string' value='AuthenticAMD'/>
  </hostCPU>
  <cpu type='kvm' name='max' typename='max-x86_64-cpu' usable='yes'/>
  <cpu type='kvm' name='EPYC' typename='EPYC-x86_64-cpu' usable='no' deprecated='yes'>
    <blocker name='mpx'/>
    <blocker name='pku'/>
    <blocker name='mpx'/>
  </cpu>
  <cpu type='tcg' name='qemu64' usable='unknown'/>
  <machine type='tcg' name='pc-q35-7.2' alias='q35' maxCpus='288'/>
</qemuCaps>
";

    #[test]
    fn a_cache_reads_into_values() {
        let c = parse_qemu_caps(CACHE).unwrap();
        assert_eq!(c.emulator, "/usr/bin/qemu-system-x86_64");
        assert_eq!(c.arch, "x86_64");
        assert_eq!(c.version_triple(), Some((7, 2, 22)));
        assert!(c.has_flag("cpu-unavailable-features"));
        assert!(!c.has_flag("tcg"));
        assert_eq!(c.host_data_arch.as_deref(), Some("x86"));
        let h = c.host_cpu(Accel::Kvm).unwrap();
        assert_eq!(h.model, "base");
        assert!(h.migratability);
        assert_eq!(h.props.len(), 5);
        assert_eq!(h.props[1].migratable, Some(false));
        assert_eq!(h.props[2].migratable, None);
        assert_eq!(h.props[3].value, PropValue::Number(25));
        assert_eq!(
            h.props[4].value,
            PropValue::String("AuthenticAMD".to_string())
        );
        assert_eq!(
            h.props[0].pos,
            Pos {
                line: 12,
                column: 5
            }
        );
        assert!(c.host_cpu(Accel::Tcg).is_none());
        let kvm: Vec<&CpuDefinition> = c.definitions_for(Accel::Kvm).collect();
        assert_eq!(kvm.len(), 2);
        assert_eq!(kvm[1].blockers, ["mpx", "pku", "mpx"]);
        assert!(kvm[1].deprecated);
        assert_eq!(kvm[1].usable, Usable::No);
        let tcg: Vec<&CpuDefinition> = c.definitions_for(Accel::Tcg).collect();
        assert_eq!(tcg[0].usable, Usable::Unknown);
        assert_eq!(tcg[0].typename, None);
        assert_eq!(
            c.machines_for(Accel::Tcg).next().unwrap().alias.as_deref(),
            Some("q35")
        );
    }

    fn err(text: &str) -> String {
        match parse_hypervisor(text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn bad_caches_are_positioned_errors() {
        assert_eq!(
            err("<qemuCaps>\n  <arch>x86_64</arch>\n</qemuCaps>"),
            "1:1: <qemuCaps> has no <emulator>"
        );
        assert_eq!(
            err("<qemuCaps><emulator>q</emulator><arch>x</arch>\n  <cpu type='xen' name='a'/></qemuCaps>"),
            "2:8: invalid type='xen' on <cpu>: expected one of kvm, tcg, hvf"
        );
        assert_eq!(
            err("<qemuCaps><emulator>q</emulator><arch>x</arch><hostCPU type='kvm' model='m' migratability='yes'>\n<property name='a' type='boolean' value='yes'/></hostCPU></qemuCaps>"),
            "2:35: invalid value='yes' on <property>: expected true or false"
        );
        assert_eq!(
            err("<qemuCaps><emulator>q</emulator><arch>x</arch><version>7.2</version></qemuCaps>"),
            "1:47: invalid <version> '7.2': expected an unsigned decimal number"
        );
        assert_eq!(
            err("<qemuCaps><emulator>q</emulator><arch>x</arch><hostCPU type='tcg' model='m' migratability='yes'/><hostCPU type='tcg' model='m' migratability='yes'/></qemuCaps>"),
            "1:98: a second <hostCPU type='tcg'> (first at 1:47)"
        );
        assert_eq!(
            err("<cpu><model>x</model></cpu>"),
            "1:1: expected <qemuCaps> (libvirt's QEMU capabilities cache) or <domainCapabilities>, found <cpu>"
        );
        assert_eq!(
            err("<!DOCTYPE x [<!ENTITY a 'b'>]><qemuCaps/>"),
            "1:1: doctype and entity declarations are not allowed"
        );
        assert_eq!(
            err("<qemuCaps><emulator>&a;</emulator></qemuCaps>"),
            "1:21: unknown entity reference '&a;': only &lt; &gt; &amp; &apos; &quot; and character references are allowed"
        );
    }

    #[test]
    fn limits_hold() {
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        let e = parse_qemu_caps(&deep).unwrap_err();
        assert_eq!(
            e.to_string(),
            "1:193: elements nested deeper than 64 levels"
        );
        let small = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        let e = parse_qemu_caps_with(CACHE, &small).unwrap_err();
        assert_eq!(e.to_string(), "1:11: input is larger than 10 bytes");
        let few = Limits {
            max_elements: 12,
            ..Limits::default()
        };
        let e = parse_qemu_caps_with(CACHE, &few).unwrap_err();
        assert_eq!(e.to_string(), "14:5: more than 12 elements");
    }

    const DOMCAPS: &str = "<domainCapabilities>
  <path>/usr/bin/qemu-system-x86_64</path>
  <domain>qemu</domain>
  <machine>pc-i440fx-7.2</machine>
  <arch>x86_64</arch>
  <cpu>
    <mode name='host-passthrough' supported='no'/>
    <mode name='host-model' supported='yes'>
      <model fallback='forbid'>EPYC</model>
      <vendor>AMD</vendor>
      <maxphysaddr mode='passthrough' limit='48'/>
      <feature policy='require' name='x2apic'/>
    </mode>
    <mode name='custom' supported='yes'>
      <model usable='yes' vendor='unknown' canonical='486-v1'>486</model>
      <model usable='no' vendor='Intel' deprecated='yes'>Broadwell</model>
      <blockers model='Broadwell'>
        <feature name='abm'/>
        <feature name='adx'/>
      </blockers>
    </mode>
  </cpu>
</domainCapabilities>
";

    #[test]
    fn domcapabilities_read_into_values() {
        let HypervisorDoc::DomainCaps(d) = parse_hypervisor(DOMCAPS).unwrap() else {
            panic!("not domcaps");
        };
        assert_eq!(d.domain, "qemu");
        assert_eq!(d.arch, "x86_64");
        assert_eq!(d.machine.as_deref(), Some("pc-i440fx-7.2"));
        let hm = d.host_model.unwrap();
        assert_eq!(hm.model_name(), Some("EPYC"));
        assert_eq!(hm.features.len(), 1);
        assert_eq!(d.custom_models.len(), 2);
        assert_eq!(d.custom_models[0].canonical.as_deref(), Some("486-v1"));
        assert_eq!(d.custom_models[1].blockers, ["abm", "adx"]);
        assert!(d.custom_models[1].deprecated);
        assert_eq!(
            err("<domainCapabilities><domain>kvm</domain><arch>x</arch><cpu><mode name='custom' supported='yes'><blockers model='x'/></mode></cpu></domainCapabilities>"),
            "1:96: <blockers model='x'> follows no <model> of that name"
        );
        assert_eq!(maxphysaddr_limits(DOMCAPS).unwrap(), [Some(48)]);
    }

    #[test]
    fn maxphysaddr_limits_follow_the_cpu_reader() {
        let text =
            "<cpus>\n<cpu><model>a</model><maxphysaddr mode='passthrough' limit='39'/></cpu>\n\
                    <cpu><model>b</model></cpu>\n\
                    <cpu><model>c</model><maxphysaddr mode='emulate' bits='42'/></cpu></cpus>";
        assert_eq!(crate::parse_cpus(text).unwrap().len(), 3);
        assert_eq!(maxphysaddr_limits(text).unwrap(), [Some(39), None, None]);
        let e =
            maxphysaddr_limits("<cpu><model>a</model><maxphysaddr mode='x'/></cpu>").unwrap_err();
        assert_eq!(
            e.to_string(),
            "1:35: invalid mode='x' on <maxphysaddr>: expected passthrough or emulate"
        );
        let e = maxphysaddr_limits(
            "<cpu><model>a</model><maxphysaddr mode='emulate' limit='-1'/></cpu>",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "1:50: invalid limit='-1' on <maxphysaddr>: expected an unsigned decimal number"
        );
    }

    #[test]
    fn a_baseline_keeps_the_smallest_limit_only_when_every_cpu_has_one() {
        assert_eq!(
            baseline_maxphysaddr(&[Some(48), Some(39), Some(46)]),
            Some(39)
        );
        assert_eq!(baseline_maxphysaddr(&[Some(48), None]), None);
        assert_eq!(baseline_maxphysaddr(&[Some(48), Some(0)]), None);
        assert_eq!(baseline_maxphysaddr(&[]), None);
    }

    #[test]
    fn maxphysaddr_is_written_before_the_features() {
        let mut cpu = CpuDef::custom_guest("Haswell", crate::Fallback::Forbid);
        assert_eq!(
            write_cpu_with_maxphysaddr(&cpu, Some(39)),
            "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Haswell</model>\n  \
             <maxphysaddr mode='passthrough' limit='39'/>\n</cpu>\n"
        );
        cpu.features
            .push(crate::Feature::new("vmx", Some(crate::Policy::Require)));
        assert_eq!(
            write_cpu_with_maxphysaddr(&cpu, Some(39)),
            "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Haswell</model>\n  \
             <maxphysaddr mode='passthrough' limit='39'/>\n  <feature policy='require' name='vmx'/>\n</cpu>\n"
        );
        assert_eq!(
            write_cpu_with_maxphysaddr(&cpu, None),
            crate::write_cpu(&cpu)
        );
    }
}
