//! The RON schema of a model catalog: what `specs/catalog/*.ron` files hold.
//!
//! A catalog mirrors what a libvirt `cpu_map` (or QEMU's model table) says, close to the
//! source: models name their parent and their own features; inheritance, aliases and
//! removed/added features are resolved later, by compilation (see `compile`). The field
//! order here is the field order of the committed RON files.
//!
//! The value types a compiled catalog shares with the schema ([`Alias`], [`Signature`],
//! [`Location`], [`Decode`], [`Pvr`]) hold `Cow<'static, _>` where they hold text or lists,
//! so that the build script can write the embedded catalogs as statics.
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Which architecture a catalog describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Arch {
    /// x86 (i686 / x86_64).
    X86,
    /// 64-bit POWER.
    Ppc64,
    /// s390x.
    S390x,
}

/// A whole catalog file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// The architecture.
    pub arch: Arch,
    /// Where the data came from, e.g. `libvirt 12.8.0 cpu_map`.
    pub source: String,
    /// Vendors in source order.
    pub vendors: Vec<Vendor>,
    /// Features in source order (the order libvirt prints them in).
    pub features: Vec<Feature>,
    /// Models in source order (libvirt's `index.xml` order).
    pub models: Vec<Model>,
}

/// A vendor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vendor {
    /// The name used in CPU XML, e.g. `Intel`.
    pub name: String,
    /// The x86 CPUID leaf-0 string, e.g. `GenuineIntel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string: Option<String>,
}

/// Where an x86 feature lives in the raw CPU data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Location {
    /// An x86 CPUID output bit.
    Cpuid {
        /// `eax_in`.
        leaf: u32,
        /// `ecx_in`.
        subleaf: u32,
        /// The output register.
        reg: Reg,
        /// Bit 0..=31, Lsb0.
        bit: u8,
    },
    /// An x86 MSR bit.
    Msr {
        /// MSR index.
        index: u32,
        /// `Eax` (low half) or `Edx` (high half).
        reg: Reg,
        /// Bit 0..=31, Lsb0.
        bit: u8,
    },
}

/// An x86 register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reg {
    /// EAX.
    Eax,
    /// EBX.
    Ebx,
    /// ECX.
    Ecx,
    /// EDX.
    Edx,
}

/// Another name of a feature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    /// The other name.
    pub name: Cow<'static, str>,
    /// Who uses it: `qemu`, `linux`.
    pub source: Cow<'static, str>,
}

/// A feature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feature {
    /// The canonical name.
    pub name: String,
    /// Where its bit lives.
    pub location: Location,
    /// `false` for features that block migration (`invtsc`, `xsaves` in libvirt 11.3).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub migratable: bool,
    /// Other names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<Alias>,
}

/// An x86 model signature: family, model and optional stepping ranges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// CPU family.
    pub family: u32,
    /// CPU model.
    pub model: u32,
    /// Stepping ranges `(lo, hi)` inclusive; empty means every stepping.
    #[serde(default, skip_serializing_if = "<[_]>::is_empty")]
    pub steppings: Cow<'static, [(u8, u8)]>,
}

/// libvirt's `<decode host= guest=>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decode {
    /// Usable as the result of a host-type decode.
    pub host: bool,
    /// Usable as the result of a guest-type decode.
    pub guest: bool,
}

/// A POWER processor version register pattern: matches `pvr` when `pvr & mask == value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pvr {
    /// Value after masking.
    pub value: u32,
    /// Mask.
    pub mask: u32,
}

/// A model, as its source file writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    /// The name, e.g. `Skylake-Client-v2`.
    pub name: String,
    /// The model it inherits from (`<model name=>` inside a libvirt model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Own vendor, if written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// `<decode>` flags (x86).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decode: Option<Decode>,
    /// `<check partial='compat'/>` (x86).
    #[serde(default, skip_serializing_if = "is_false")]
    pub check_compat: bool,
    /// Own signatures; when non-empty they replace the parent's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<Signature>,
    /// Own features, in source order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// `removed='yes'` features: not part of this model, subtracted from children.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
    /// `added='yes'` features: not part of the model data, tolerated by checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    /// POWER PVR patterns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pvrs: Vec<Pvr>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}
