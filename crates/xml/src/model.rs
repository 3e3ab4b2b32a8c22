//! The values the XML layer produces: libvirt CPU definitions and CPUID dumps.
//!
//! These are plain data, mirroring libvirt's `virCPUDef` and `<cpudata>`; they decide
//! nothing. Every element that later layers may reject (a model name, a feature name)
//! carries the [`Pos`] it was read from, so an "unknown feature" error can name line and
//! column.

/// A 1-based line and column in the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub column: u32,
}

/// Whether a `<cpu>` describes a host (it has `<arch>`) or a guest (it has none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CpuKind {
    /// A host CPU: `<arch>` present; feature policies are ignored (all required).
    Host,
    /// A guest CPU: policies count.
    Guest,
}

/// libvirt's `<cpu mode=>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// `custom` (the default).
    #[default]
    Custom,
    /// `host-model`.
    HostModel,
    /// `host-passthrough`.
    HostPassthrough,
    /// `maximum`.
    Maximum,
}

/// libvirt's `<cpu match=>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Match {
    /// `minimum`.
    Minimum,
    /// `exact` (the default).
    #[default]
    Exact,
    /// `strict`.
    Strict,
}

/// libvirt's `<cpu check=>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Check {
    /// `none`.
    None,
    /// `partial`.
    Partial,
    /// `full`.
    Full,
}

/// libvirt's `<model fallback=>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Fallback {
    /// `allow` (the default).
    #[default]
    Allow,
    /// `forbid`.
    Forbid,
}

/// libvirt's `<feature policy=>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Policy {
    /// `force`: claimed supported whatever the host says.
    Force,
    /// `require` (the default for guests).
    Require,
    /// `optional`: used if the host has it.
    Optional,
    /// `disable`: hidden from the guest.
    Disable,
    /// `forbid`: the host must not have it.
    Forbid,
}

impl Policy {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Force => "force",
            Policy::Require => "require",
            Policy::Optional => "optional",
            Policy::Disable => "disable",
            Policy::Forbid => "forbid",
        }
    }
}

/// `<model>`: the named CPU model.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModelRef {
    /// The model name, e.g. `Skylake-Client-IBRS`; empty when `<model>` only carries
    /// attributes (`<model fallback='forbid'/>` in a host-model guest). Use
    /// [`CpuDef::model_name`] to get `None` then.
    pub name: String,
    /// `fallback=`, if given.
    pub fallback: Option<Fallback>,
    /// `vendor_id=`, if given.
    pub vendor_id: Option<String>,
    /// Where `<model>` stood.
    pub pos: Pos,
}

/// `<feature>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Feature {
    /// The feature name as written.
    pub name: String,
    /// `policy=`; `None` when absent (host CPUs, or the guest default `require`).
    pub policy: Option<Policy>,
    /// Where `<feature>` stood.
    pub pos: Pos,
}

/// `<signature family= model= stepping=>` (host CPUs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Signature {
    /// CPU family.
    pub family: u32,
    /// CPU model number.
    pub model: u32,
    /// Stepping, if given.
    pub stepping: Option<u32>,
}

/// `<topology>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Topology {
    /// `sockets=`.
    pub sockets: u32,
    /// `dies=` (default 1).
    pub dies: Option<u32>,
    /// `clusters=` (default 1).
    pub clusters: Option<u32>,
    /// `cores=`.
    pub cores: u32,
    /// `threads=`.
    pub threads: u32,
}

/// One libvirt `<cpu>` element, parsed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CpuDef {
    /// Host or guest, from the presence of `<arch>` (libvirt's rule).
    pub kind: CpuKind,
    /// `mode=` (guests).
    pub mode: Mode,
    /// `match=` if written (guests).
    pub match_: Option<Match>,
    /// `check=` if written (guests).
    pub check: Option<Check>,
    /// `<arch>` text (hosts). A domcapabilities host-model definition (a guest) carries the
    /// document's `domainCapabilities/arch`; libvirt does not write it back for a guest
    /// ([`CpuDef::normalized`] drops it), and the kind stays guest.
    pub arch: Option<String>,
    /// `<model>`.
    pub model: Option<ModelRef>,
    /// `<vendor>` text.
    pub vendor: Option<String>,
    /// `<signature>` (hosts).
    pub signature: Option<Signature>,
    /// `<microcode version=>` (hosts).
    pub microcode: Option<u64>,
    /// `<topology>`.
    pub topology: Option<Topology>,
    /// `<feature>` elements in document order.
    pub features: Vec<Feature>,
    /// Where `<cpu>` stood.
    pub pos: Pos,
}

impl ModelRef {
    /// A `<model>` naming `name`, not read from any text.
    pub fn named(name: &str, fallback: Option<Fallback>) -> ModelRef {
        ModelRef {
            name: name.to_string(),
            fallback,
            vendor_id: None,
            pos: Pos::default(),
        }
    }
}

impl Feature {
    /// A `<feature>` not read from any text.
    pub fn new(name: &str, policy: Option<Policy>) -> Feature {
        Feature {
            name: name.to_string(),
            policy,
            pos: Pos::default(),
        }
    }
}

impl CpuDef {
    /// A definition with no model, vendor, signature or features: where a computed CPU
    /// starts.
    pub fn empty(kind: CpuKind, mode: Mode) -> CpuDef {
        CpuDef {
            kind,
            mode,
            match_: None,
            check: None,
            arch: None,
            model: None,
            vendor: None,
            signature: None,
            microcode: None,
            topology: None,
            features: Vec::new(),
            pos: Pos::default(),
        }
    }

    /// `<cpu mode='custom' match='exact'><model fallback=F>MODEL</model></cpu>`: the shape of
    /// every computed guest CPU (baselines, expansions, guest decodes).
    pub fn custom_guest(model: &str, fallback: Fallback) -> CpuDef {
        CpuDef {
            match_: Some(Match::Exact),
            model: Some(ModelRef::named(model, Some(fallback))),
            ..CpuDef::empty(CpuKind::Guest, Mode::Custom)
        }
    }

    /// The named model, if `<model>` has a (non-empty) name.
    pub fn model_name(&self) -> Option<&str> {
        self.model
            .as_ref()
            .map(|m| m.name.as_str())
            .filter(|n| !n.is_empty())
    }

    /// The value that writing this definition (libvirt's formatting) and reading it back
    /// gives, with every position set to zero. This is the "same value" of the round-trip
    /// law `parse(write(c)) == c.normalized()` (positions aside):
    /// * hosts: mode custom, no match/check, no `fallback=`/`vendor_id=`, no policies;
    /// * guests: `match` made explicit (exact) when custom with a named model, else
    ///   dropped; `<model>` kept when custom or host-model with a name, or host-model
    ///   (then `fallback` made explicit, `allow`), `fallback`/`vendor_id` kept only in
    ///   those cases where libvirt writes them; `<vendor>` kept in custom and host-model;
    ///   every feature policy made explicit (`require`).
    pub fn normalized(&self) -> CpuDef {
        let mut c = self.clone();
        c.pos = Pos::default();
        let guest = c.kind == CpuKind::Guest;
        let named = c.model_name().is_some();
        let formats_model = !guest || matches!(c.mode, Mode::Custom | Mode::HostModel);
        let formats_fallback =
            guest && (c.mode == Mode::HostModel || (c.mode == Mode::Custom && named));
        if guest {
            c.arch = None;
            c.match_ = (c.mode == Mode::Custom && named).then(|| c.match_or_default());
        } else {
            c.mode = Mode::Custom;
            c.match_ = None;
            c.check = None;
        }
        let keep_name = formats_model && named;
        c.model = match c.model.take() {
            Some(mut m) if keep_name || formats_fallback => {
                if !keep_name {
                    m.name.clear();
                }
                if formats_fallback {
                    m.fallback = Some(m.fallback.unwrap_or_default());
                } else {
                    m.fallback = None;
                    m.vendor_id = None;
                }
                m.pos = Pos::default();
                Some(m)
            }
            None if guest && c.mode == Mode::HostModel => Some(ModelRef {
                name: String::new(),
                fallback: Some(Fallback::Allow),
                vendor_id: None,
                pos: Pos::default(),
            }),
            _ => None,
        };
        if !formats_model {
            c.vendor = None;
        }
        for f in &mut c.features {
            f.pos = Pos::default();
            f.policy = guest.then(|| f.policy.unwrap_or(Policy::Require));
        }
        c
    }

    /// The effective match (`exact` when not written).
    pub fn match_or_default(&self) -> Match {
        self.match_.unwrap_or_default()
    }

    /// The effective policy of a feature: hosts ignore policies (all required), guests
    /// default to `require`.
    pub fn policy_of(&self, f: &Feature) -> Policy {
        match self.kind {
            CpuKind::Host => Policy::Require,
            CpuKind::Guest => f.policy.unwrap_or(Policy::Require),
        }
    }
}

/// One item of a CPUID/MSR dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CpuDataItem {
    /// `<cpuid eax_in= ecx_in= eax= ebx= ecx= edx=>`.
    Cpuid {
        /// Leaf (`eax_in`).
        leaf: u32,
        /// Sub-leaf (`ecx_in`).
        subleaf: u32,
        /// Output registers `[eax, ebx, ecx, edx]`.
        regs: [u32; 4],
    },
    /// `<msr index= eax= edx=>`.
    Msr {
        /// MSR index.
        index: u32,
        /// Low half.
        eax: u32,
        /// High half.
        edx: u32,
    },
    /// `<pvr value=>` (ppc64 dumps).
    Pvr {
        /// The processor version register.
        value: u32,
    },
}

/// A `<cpudata arch=>` dump.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct CpuData {
    /// `arch=` (`x86`, `ppc64`, ...).
    pub arch: String,
    /// Items in document order.
    pub items: Vec<CpuDataItem>,
}

impl CpuData {
    /// The registers `[eax, ebx, ecx, edx]` of the first `<cpuid>` item for this leaf and
    /// sub-leaf, if the dump has one.
    pub fn cpuid(&self, leaf: u32, subleaf: u32) -> Option<[u32; 4]> {
        self.items.iter().find_map(|i| match *i {
            CpuDataItem::Cpuid {
                leaf: l,
                subleaf: s,
                regs,
            } if l == leaf && s == subleaf => Some(regs),
            _ => None,
        })
    }
}
