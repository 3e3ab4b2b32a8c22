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
//! Reading goes through the crate's pull [`Reader`] (the one-pass lexer): the same rules
//! as the rest of the crate — no DTD, no entity other than the predefined ones,
//! [`Limits`] on size, depth and element count — and time linear in the input. A
//! document that is not well formed is reported as such before any complaint about its
//! content, wherever the two are.
use crate::error::XmlError;
use crate::model::{CpuDef, Pos};
use crate::reader::{Element, Event, Reader};
use crate::Limits;
use std::borrow::Cow;

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
///
/// # Errors
/// Input that is not well-formed XML, breaks a [`Limits`] bound, has another root, or
/// does not say what the module documentation requires; at its line and column.
pub fn parse_hypervisor(text: &str) -> Result<HypervisorDoc, XmlError> {
    let limits = Limits::default();
    read_document(text, &limits, |r| {
        let root = root(r)?;
        match root.name.as_str() {
            "qemuCaps" => Ok((HypervisorDoc::Cache(read_qemu_caps(r, &root)?), false)),
            "domainCapabilities" => {
                let (d, host_model) = read_domain_caps(r, &root)?;
                Ok((HypervisorDoc::DomainCaps(d), host_model))
            }
            other => Err(XmlError::invalid(
                root.pos,
                format!(
                    "expected <qemuCaps> (libvirt's QEMU capabilities cache) or \
                     <domainCapabilities>, found <{other}>"
                ),
            )),
        }
    })
    .and_then(|(doc, host_model)| match doc {
        HypervisorDoc::DomainCaps(d) if host_model => Ok(HypervisorDoc::DomainCaps(
            with_host_model(d, text, &limits)?,
        )),
        doc => Ok(doc),
    })
}

/// Reads a `<qemuCaps>` document with the default [`Limits`].
///
/// # Errors
/// As [`parse_hypervisor`]; another root element is an error.
pub fn parse_qemu_caps(text: &str) -> Result<QemuCaps, XmlError> {
    parse_qemu_caps_with(text, &Limits::default())
}

/// [`parse_qemu_caps`] with explicit limits.
///
/// # Errors
/// As [`parse_qemu_caps`].
pub fn parse_qemu_caps_with(text: &str, limits: &Limits) -> Result<QemuCaps, XmlError> {
    read_document(text, limits, |r| {
        let root = root(r)?;
        expect_root(&root, "qemuCaps")?;
        read_qemu_caps(r, &root)
    })
}

/// Reads a `<domainCapabilities>` document with the default [`Limits`].
///
/// # Errors
/// As [`parse_hypervisor`]; another root element is an error.
pub fn parse_domain_caps(text: &str) -> Result<DomainCaps, XmlError> {
    parse_domain_caps_with(text, &Limits::default())
}

/// [`parse_domain_caps`] with explicit limits.
///
/// # Errors
/// As [`parse_domain_caps`].
pub fn parse_domain_caps_with(text: &str, limits: &Limits) -> Result<DomainCaps, XmlError> {
    let (d, host_model) = read_document(text, limits, |r| {
        let root = root(r)?;
        expect_root(&root, "domainCapabilities")?;
        read_domain_caps(r, &root)
    })?;
    if host_model {
        return with_host_model(d, text, limits);
    }
    Ok(d)
}

/// The reader over `text`, handed to `read`; a document that is not well formed is
/// reported as such before anything `read` found wrong with its content (the whole input
/// is read either way).
fn read_document<T>(
    text: &str,
    limits: &Limits,
    read: impl FnOnce(&mut Reader<&[u8]>) -> Result<T, XmlError>,
) -> Result<T, XmlError> {
    let mut r = Reader::from_text(text, *limits);
    let got = read(&mut r);
    r.finish()?;
    got
}

/// The root element: its name and position.
struct Root {
    name: String,
    pos: Pos,
}

fn root(r: &mut Reader<&[u8]>) -> Result<Root, XmlError> {
    loop {
        match r.next_event()? {
            Some(Event::Start(e)) => {
                return Ok(Root {
                    name: e.local_name().to_string(),
                    pos: e.pos(),
                })
            }
            Some(_) => {}
            // the reader reports a document without elements itself
            None => return Err(XmlError::syntax(Pos::default(), "no element found")),
        }
    }
}

fn expect_root(root: &Root, name: &str) -> Result<(), XmlError> {
    if root.name == name {
        return Ok(());
    }
    Err(XmlError::invalid(
        root.pos,
        format!("expected a <{name}> element, found <{}>", root.name),
    ))
}

/// The next child of the element being read, classified by `f` while its start tag is at
/// hand: `Some` for a child element in no namespace (children in a namespace are skipped),
/// `None` at the element's end.
fn child<T>(r: &mut Reader<&[u8]>, f: impl FnOnce(&Element) -> T) -> Result<Option<T>, XmlError> {
    let mut f = Some(f);
    loop {
        let got = r.next_child(|e| (!e.in_namespace()).then(|| f.take().map(|f| f(e))))?;
        match got {
            None => return Ok(None),
            Some(Some(t)) => return Ok(t),
            Some(None) => r.skip_element()?,
        }
    }
}

/// `<{element}> is missing the '{name}' attribute`.
fn required(e: &Element, name: &str) -> Result<String, XmlError> {
    match e.attr(name) {
        Some(v) => Ok(v.into_owned()),
        None => Err(XmlError::invalid(
            e.pos(),
            format!("<{}> is missing the '{name}' attribute", e.local_name()),
        )),
    }
}

/// `invalid {name}='{value}' on <{element}>: expected {expected}`, at the attribute.
fn bad_value(e: &Element, name: &str, value: &str, expected: &str) -> XmlError {
    XmlError::invalid(
        e.attr_pos(name).unwrap_or(e.pos()),
        format!(
            "invalid {name}='{value}' on <{}>: expected {expected}",
            e.local_name()
        ),
    )
}

fn accel(e: &Element) -> Result<Accel, XmlError> {
    let v = required(e, "type")?;
    Accel::from_cache(&v).ok_or_else(|| bad_value(e, "type", &v, "one of kvm, tcg, hvf"))
}

fn yes_no(e: &Element, name: &str) -> Result<Option<bool>, XmlError> {
    match e.attr(name).as_deref() {
        None => Ok(None),
        Some("yes") => Ok(Some(true)),
        Some("no") => Ok(Some(false)),
        Some(v) => Err(bad_value(e, name, v, "yes or no")),
    }
}

fn usable(e: &Element) -> Result<Usable, XmlError> {
    match e.attr("usable").as_deref() {
        None | Some("unknown") => Ok(Usable::Unknown),
        Some("yes") => Ok(Usable::Yes),
        Some("no") => Ok(Usable::No),
        Some(v) => Err(bad_value(e, "usable", v, "one of yes, no, unknown")),
    }
}

/// The text of the element whose start tag was just read, which must hold only text
/// (comments and processing instructions aside); `name` is its name.
fn text_of(r: &mut Reader<&[u8]>, name: &str) -> Result<String, XmlError> {
    let mut s = String::new();
    loop {
        match r.next_event()? {
            Some(Event::Text(t)) => t.push_to(&mut s),
            Some(Event::Start(c)) => {
                return Err(XmlError::invalid(
                    c.pos(),
                    format!("<{name}> may contain only text, found <{}>", c.local_name()),
                ))
            }
            Some(Event::End(_)) | None => return Ok(s),
        }
    }
}

/// What a child of `<qemuCaps>` is.
enum CacheItem {
    Emulator,
    Arch,
    Version(Pos),
    Package,
    Flag(Result<String, XmlError>),
    CpuData(Option<String>),
    HostCpu(Pos, Result<Accel, XmlError>, HostCpuHead),
    Cpu(CpuHead),
    Machine(Result<MachineType, XmlError>),
    Other,
}

/// What the start tag of a `<hostCPU>` says (checked in libvirt's order after its accel).
struct HostCpuHead {
    model: Result<String, XmlError>,
    migratability: Result<bool, XmlError>,
}

/// What the start tag of a cache `<cpu>` says; checked after its blockers.
struct CpuHead {
    accel: Result<Accel, XmlError>,
    name: Result<String, XmlError>,
    typename: Option<String>,
    usable: Result<Usable, XmlError>,
    deprecated: Result<Option<bool>, XmlError>,
    pos: Pos,
}

fn cache_item(e: &Element) -> CacheItem {
    match e.name() {
        "emulator" => CacheItem::Emulator,
        "arch" => CacheItem::Arch,
        "version" => CacheItem::Version(e.pos()),
        "package" => CacheItem::Package,
        "flag" => CacheItem::Flag(required(e, "name")),
        "cpudata" => CacheItem::CpuData(e.attr("arch").map(Cow::into_owned)),
        "hostCPU" => CacheItem::HostCpu(
            e.pos(),
            accel(e),
            HostCpuHead {
                model: required(e, "model"),
                migratability: yes_no(e, "migratability").and_then(|m| {
                    m.ok_or_else(|| {
                        XmlError::invalid(
                            e.pos(),
                            "<hostCPU> is missing the 'migratability' attribute",
                        )
                    })
                }),
            },
        ),
        "cpu" => CacheItem::Cpu(CpuHead {
            accel: accel(e),
            name: required(e, "name"),
            typename: e.attr("typename").map(Cow::into_owned),
            usable: usable(e),
            deprecated: yes_no(e, "deprecated"),
            pos: e.pos(),
        }),
        "machine" => CacheItem::Machine(accel(e).and_then(|accel| {
            Ok(MachineType {
                accel,
                name: required(e, "name")?,
                alias: e.attr("alias").map(Cow::into_owned),
            })
        })),
        _ => CacheItem::Other,
    }
}

fn read_qemu_caps(r: &mut Reader<&[u8]>, root: &Root) -> Result<QemuCaps, XmlError> {
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
    while let Some(item) = child(r, cache_item)? {
        match item {
            CacheItem::Emulator => emulator = Some(text_of(r, "emulator")?),
            CacheItem::Arch => arch = Some(text_of(r, "arch")?),
            CacheItem::Version(pos) => {
                let t = text_of(r, "version")?;
                let v = t.trim();
                caps.version = Some(
                    v.parse::<u64>()
                        .ok()
                        .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| {
                            XmlError::invalid(
                                pos,
                                format!(
                                    "invalid <version> '{v}': expected an unsigned decimal number"
                                ),
                            )
                        })?,
                );
            }
            CacheItem::Package => caps.package = Some(text_of(r, "package")?),
            CacheItem::Flag(name) => {
                caps.flags.push(name?);
                r.skip_element()?;
            }
            CacheItem::CpuData(a) => {
                caps.host_data_arch = a;
                r.skip_element()?;
            }
            CacheItem::HostCpu(pos, accel, head) => {
                let accel = accel?;
                if let Some(first) = caps.host_cpus.iter().find(|h| h.accel == accel) {
                    return Err(XmlError::invalid(
                        pos,
                        format!(
                            "a second <hostCPU type='{}'> (first at {}:{})",
                            accel.cache_name(),
                            first.pos.line,
                            first.pos.column
                        ),
                    ));
                }
                caps.host_cpus.push(read_host_cpu(r, pos, accel, head)?);
            }
            CacheItem::Cpu(head) => {
                let accel = head.accel?;
                let mut blockers = Vec::new();
                while let Some(blocker) =
                    child(r, |b| (b.name() == "blocker").then(|| required(b, "name")))?
                {
                    if let Some(name) = blocker {
                        blockers.push(name?);
                    }
                    r.skip_element()?;
                }
                caps.definitions.push(CpuDefinition {
                    accel,
                    name: head.name?,
                    typename: head.typename,
                    usable: head.usable?,
                    deprecated: head.deprecated?.unwrap_or(false),
                    blockers,
                    pos: head.pos,
                });
            }
            CacheItem::Machine(m) => {
                caps.machines.push(m?);
                r.skip_element()?;
            }
            CacheItem::Other => r.skip_element()?,
        }
    }
    caps.emulator = non_empty(root, emulator, "emulator")?;
    caps.arch = non_empty(root, arch, "arch")?;
    Ok(caps)
}

fn non_empty(root: &Root, v: Option<String>, name: &str) -> Result<String, XmlError> {
    match v {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(_) => Err(XmlError::invalid(root.pos, format!("<{name}> is empty"))),
        None => Err(XmlError::invalid(
            root.pos,
            format!("<{}> has no <{name}>", root.name),
        )),
    }
}

/// A `<property>` of a `<hostCPU>`, checked in libvirt's order.
fn property(p: &Element) -> Result<HostCpuProperty, XmlError> {
    let name = required(p, "name")?;
    let ty = required(p, "type")?;
    let raw = required(p, "value")?;
    let value = match ty.as_str() {
        "boolean" => match raw.as_str() {
            "true" => PropValue::Boolean(true),
            "false" => PropValue::Boolean(false),
            v => return Err(bad_value(p, "value", v, "true or false")),
        },
        "number" => PropValue::Number(
            raw.parse::<i64>()
                .map_err(|_| bad_value(p, "value", &raw, "a decimal number"))?,
        ),
        "string" => PropValue::String(raw),
        v => return Err(bad_value(p, "type", v, "one of boolean, number, string")),
    };
    Ok(HostCpuProperty {
        name,
        value,
        migratable: yes_no(p, "migratable")?,
        pos: p.pos(),
    })
}

fn read_host_cpu(
    r: &mut Reader<&[u8]>,
    pos: Pos,
    accel: Accel,
    head: HostCpuHead,
) -> Result<HostCpuInfo, XmlError> {
    let model = head.model?;
    let migratability = head.migratability?;
    let mut props = Vec::new();
    while let Some(prop) = child(r, |p| (p.name() == "property").then(|| property(p)))? {
        if let Some(p) = prop {
            props.push(p?);
        }
        r.skip_element()?;
    }
    Ok(HostCpuInfo {
        accel,
        model,
        migratability,
        props,
        pos,
    })
}

/// What a child of `<domainCapabilities>` is.
enum DomItem {
    Path,
    Domain,
    Machine,
    Arch,
    Cpu,
    Other,
}

/// The domcapabilities document but its host model, and whether that mode is supported.
fn read_domain_caps(r: &mut Reader<&[u8]>, root: &Root) -> Result<(DomainCaps, bool), XmlError> {
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
    loop {
        let item = child(r, |e| match e.name() {
            "path" => DomItem::Path,
            "domain" => DomItem::Domain,
            "machine" => DomItem::Machine,
            "arch" => DomItem::Arch,
            "cpu" => DomItem::Cpu,
            _ => DomItem::Other,
        })?;
        let Some(item) = item else {
            break;
        };
        match item {
            DomItem::Path => out.path = Some(text_of(r, "path")?.trim().to_string()),
            DomItem::Domain => domain = Some(text_of(r, "domain")?),
            DomItem::Machine => out.machine = Some(text_of(r, "machine")?.trim().to_string()),
            DomItem::Arch => arch = Some(text_of(r, "arch")?),
            DomItem::Cpu => loop {
                // (is a <mode>, supported, name)
                let mode = child(r, |m| {
                    (m.name() == "mode").then(|| {
                        (
                            m.attr("supported").as_deref() == Some("yes"),
                            m.attr("name").map(Cow::into_owned),
                        )
                    })
                })?;
                let Some(mode) = mode else {
                    break;
                };
                match mode {
                    Some((supported, Some(name))) if name == "host-model" => {
                        host_model_supported |= supported;
                        r.skip_element()?;
                    }
                    Some((true, Some(name))) if name == "custom" => {
                        out.custom_models = read_custom_models(r)?;
                    }
                    _ => r.skip_element()?,
                }
            },
            DomItem::Other => r.skip_element()?,
        }
    }
    out.domain = non_empty(root, domain, "domain")?;
    out.arch = non_empty(root, arch, "arch")?;
    Ok((out, host_model_supported))
}

/// The host-model `<mode>` of a domcapabilities document, read by the crate's CPU reader,
/// which selects exactly that element.
fn with_host_model(mut d: DomainCaps, text: &str, limits: &Limits) -> Result<DomainCaps, XmlError> {
    let mut cpus = crate::parse_cpus_with(text, limits)?;
    if !cpus.is_empty() {
        d.host_model = Some(cpus.swap_remove(0));
    }
    Ok(d)
}

/// What a child of the custom `<mode>` is.
enum CustomItem {
    Model(ModelHead),
    Blockers(Pos, Result<String, XmlError>),
    Other,
}

/// The start tag of a custom `<model>`; its attributes are checked after its text.
struct ModelHead {
    usable: Result<Usable, XmlError>,
    vendor: Option<String>,
    canonical: Option<String>,
    deprecated: Result<Option<bool>, XmlError>,
    pos: Pos,
}

fn read_custom_models(r: &mut Reader<&[u8]>) -> Result<Vec<DomCapsModel>, XmlError> {
    let mut models: Vec<DomCapsModel> = Vec::new();
    loop {
        let item = child(r, |c| match c.name() {
            "model" => CustomItem::Model(ModelHead {
                usable: usable(c),
                vendor: c.attr("vendor").map(Cow::into_owned),
                canonical: c.attr("canonical").map(Cow::into_owned),
                deprecated: yes_no(c, "deprecated"),
                pos: c.pos(),
            }),
            "blockers" => CustomItem::Blockers(c.pos(), required(c, "model")),
            _ => CustomItem::Other,
        })?;
        let Some(item) = item else {
            break;
        };
        match item {
            CustomItem::Model(head) => {
                let name = text_of(r, "model")?.trim().to_string();
                if name.is_empty() {
                    return Err(XmlError::invalid(head.pos, "<model> is empty"));
                }
                models.push(DomCapsModel {
                    name,
                    usable: head.usable?,
                    vendor: head.vendor,
                    canonical: head.canonical,
                    deprecated: head.deprecated?.unwrap_or(false),
                    blockers: Vec::new(),
                    pos: head.pos,
                });
            }
            CustomItem::Blockers(pos, model) => {
                let model = model?;
                let Some(m) = models.iter_mut().rev().find(|m| m.name == model) else {
                    return Err(XmlError::invalid(
                        pos,
                        format!("<blockers model='{model}'> follows no <model> of that name"),
                    ));
                };
                while let Some(feature) =
                    child(r, |f| (f.name() == "feature").then(|| required(f, "name")))?
                {
                    if let Some(name) = feature {
                        m.blockers.push(name?);
                    }
                    r.skip_element()?;
                }
            }
            CustomItem::Other => r.skip_element()?,
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
///
/// # Errors
/// Input that is not well-formed XML or breaks a [`Limits`] bound, or a bad
/// `<maxphysaddr>` of a selected definition; at its line and column.
pub fn maxphysaddr_limits(text: &str) -> Result<Vec<Option<u32>>, XmlError> {
    let limits = Limits::default();
    let mut r = Reader::from_text(text, limits).fragments();
    let mut out = Vec::new();
    // The open elements' names, `None` for an element in a namespace.
    let mut path: Vec<Option<String>> = Vec::new();
    // The selected definition being read: its depth, and whether its <maxphysaddr> was met.
    let mut open: Option<(usize, bool)> = None;
    let mut first_error: Option<XmlError> = None;
    while let Some(ev) = r.next_event()? {
        match ev {
            Event::Text(_) => {}
            Event::End(_) => {
                path.pop();
                if open.is_some_and(|(d, _)| d > path.len()) {
                    let (_, seen) = open.take().unwrap_or((0, false));
                    if !seen {
                        out.push(None);
                    }
                }
            }
            Event::Start(e) => {
                let name = (!e.in_namespace()).then(|| e.name().to_string());
                match open {
                    Some((d, false))
                        if e.depth() == d + 1 && name.as_deref() == Some("maxphysaddr") =>
                    {
                        open = Some((d, true));
                        match maxphysaddr(&e) {
                            Ok(limit) => out.push(limit),
                            Err(err) => {
                                first_error.get_or_insert(err);
                                out.push(None);
                            }
                        }
                    }
                    Some(_) => {}
                    None => {
                        path.push(name);
                        if selects(&path, &e) {
                            open = Some((path.len(), false));
                        }
                        continue;
                    }
                }
                path.push(name);
            }
        }
        if first_error.is_some() {
            // the rest must still be well formed
            r.finish()?;
            break;
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Whether the element just opened at the end of `path` is a CPU definition the crate's
/// CPU reader selects (see `scan`): `[W]/cpu`, `[W]/domain/cpu`,
/// `[W]/capabilities/host/cpu`, `[W]/domainCapabilities/cpu/mode[host-model, supported]`.
fn selects(path: &[Option<String>], e: &Element) -> bool {
    let names: Option<Vec<&str>> = path.iter().map(|n| n.as_deref()).collect();
    let Some(names) = names else {
        return false;
    };
    let from = match names.first() {
        Some(&("cpu" | "domain" | "capabilities" | "domainCapabilities")) | None => 0,
        Some(_) => 1,
    };
    match &names[from.min(names.len())..] {
        ["cpu"] | ["domain", "cpu"] | ["capabilities", "host", "cpu"] => true,
        ["domainCapabilities", "cpu", "mode"] => {
            e.attr("name").as_deref() == Some("host-model")
                && e.attr("supported").as_deref() == Some("yes")
        }
        _ => false,
    }
}

/// The `limit=` of a `<maxphysaddr>`, after checking its attributes.
fn maxphysaddr(m: &Element) -> Result<Option<u32>, XmlError> {
    match required(m, "mode")?.as_str() {
        "passthrough" | "emulate" => {}
        v => return Err(bad_value(m, "mode", v, "passthrough or emulate")),
    }
    let mut limit = None;
    for name in ["bits", "limit"] {
        if let Some(v) = m.attr(name) {
            let n = v
                .parse::<u32>()
                .ok()
                .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| bad_value(m, name, &v, "an unsigned decimal number"))?;
            if name == "limit" {
                limit = Some(n);
            }
        }
    }
    Ok(limit)
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
