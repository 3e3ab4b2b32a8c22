//! [`Cpu`]: a CPU definition an [`crate::Engine`] has checked, whatever its architecture.
//!
//! A `Cpu` wraps the adapter's checked value (x86: the definition and the feature set it
//! denotes; POWER: the definition and its PVR; s390x: QEMU's model and its definition),
//! remembers which engine checked it (a feature set means something only with its
//! catalog) and where it was read, for messages.
use crate::error::{Error, ErrorKind};
use cpucompat_contract::{Adapter, Arch};
use cpucompat_xml::model::{CpuDef, CpuKind, Pos};
use std::sync::Arc;

/// A CPU definition checked by an [`crate::Engine`]: every name it uses is in the engine's
/// catalog. Build one with [`crate::Engine::read`], [`crate::Engine::parse`],
/// [`crate::Engine::cpu`] or [`crate::Engine::decode`]; use it only with engines of the
/// same catalog.
#[derive(Clone, Debug)]
pub struct Cpu {
    pub(crate) inner: AnyCpu,
    pub(crate) engine: usize,
    pub(crate) origin: Option<Origin>,
}

/// Where a CPU was read: the input's name and the position of its `<cpu>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) input: Arc<str>,
    pub(crate) pos: Pos,
}

#[derive(Clone, Debug)]
pub(crate) enum AnyCpu {
    X86(cpucompat_x86::Cpu),
    Ppc64(cpucompat_ppc64::Cpu),
    S390x(cpucompat_s390x::Cpu),
}

impl Cpu {
    /// The architecture.
    pub fn arch(&self) -> Arch {
        match self.inner {
            AnyCpu::X86(_) => Arch::X86,
            AnyCpu::Ppc64(_) => Arch::Ppc64,
            AnyCpu::S390x(_) => Arch::S390x,
        }
    }

    /// The libvirt definition.
    pub fn definition(&self) -> &CpuDef {
        match &self.inner {
            AnyCpu::X86(c) => c.def(),
            AnyCpu::Ppc64(c) => c.def(),
            AnyCpu::S390x(c) => c.def(),
        }
    }

    /// The feature words it denotes, by reference (x86 and s390x; POWER has none): bit
    /// `i` is feature `i` of its engine's catalog ([`crate::Engine::feature_names`] names
    /// them). What a loop over many CPUs reads.
    pub fn features(&self) -> Option<&cpucompat_lattice::FeatureSet> {
        match &self.inner {
            AnyCpu::X86(c) => Some(c.features()),
            AnyCpu::Ppc64(_) => None,
            AnyCpu::S390x(c) => Some(c.model().features()),
        }
    }

    /// The model it names, if any.
    pub fn model(&self) -> Option<&str> {
        self.definition().model_name()
    }

    /// Whether it is a host CPU (a definition with `<arch>`, or decoded as a host).
    pub fn is_host(&self) -> bool {
        self.definition().kind == CpuKind::Host
    }

    /// libvirt's XML, as `virsh` prints it.
    pub fn to_xml(&self) -> String {
        cpucompat_xml::write_cpu(self.definition())
    }

    /// The JSON form of the definition (see `cpucompat_xml::cpu_to_json`).
    pub fn to_json(&self) -> serde_json::Value {
        cpucompat_xml::cpu_to_json(self.definition())
    }

    /// The input it was read from, as named in messages.
    pub fn input(&self) -> Option<&str> {
        self.origin.as_ref().map(|o| &*o.input)
    }

    /// The line and column of its `<cpu>` in that input (line 0 when not from XML).
    pub fn pos(&self) -> Pos {
        self.origin.as_ref().map(|o| o.pos).unwrap_or_default()
    }

    /// An error about this CPU: named after its input when it has one.
    pub(crate) fn locate(&self, e: Error) -> Error {
        match &self.origin {
            Some(o) => e.about(&o.input, o.pos),
            None => e,
        }
    }
}

/// An adapter whose CPUs a [`Cpu`] can hold.
pub(crate) trait Wrap: Adapter {
    fn wrap(c: Self::Cpu) -> AnyCpu;
    fn get(c: &AnyCpu) -> Option<&Self::Cpu>;
    fn take(c: AnyCpu) -> Option<Self::Cpu>;
}

macro_rules! wrap {
    ($adapter:ty, $variant:ident) => {
        impl Wrap for $adapter {
            fn wrap(c: Self::Cpu) -> AnyCpu {
                AnyCpu::$variant(c)
            }
            fn get(c: &AnyCpu) -> Option<&Self::Cpu> {
                match c {
                    AnyCpu::$variant(c) => Some(c),
                    _ => None,
                }
            }
            fn take(c: AnyCpu) -> Option<Self::Cpu> {
                match c {
                    AnyCpu::$variant(c) => Some(c),
                    _ => None,
                }
            }
        }
    };
}

wrap!(cpucompat_x86::X86, X86);
wrap!(cpucompat_ppc64::Ppc64, Ppc64);
wrap!(cpucompat_s390x::Engine<'static>, S390x);

/// "this CPU was read by another engine": using a CPU with an engine of another
/// architecture or catalog.
pub(crate) fn foreign(cpu: &Cpu, arch: Arch) -> Error {
    let what = if cpu.arch() == arch {
        "an engine with another catalog".to_string()
    } else {
        format!("the {} engine", cpu.arch())
    };
    cpu.locate(Error::new(
        ErrorKind::Argument,
        format!("this CPU was read by {what}; read it with this {arch} engine"),
    ))
}
