//! The embedded default catalogs, compiled at build time.
//!
//! `x86()` and `ppc64()` are libvirt 12.8.0's cpu_map; the `_libvirt_11_3` variants are
//! libvirt 11.3.0's, against which libvirt's own test expectations were computed.
//!
//! `build.rs` validates and compiles `specs/catalog/*.ron` with this crate's compiler and
//! writes the result as Rust statics (`RawCompiled`: string literals, feature-set words,
//! model and feature indices). So at run time no catalog text is parsed and no inheritance
//! is resolved: the first call turns the statics into owned values and builds the name
//! indexes, once, into a `OnceLock`. A test checks that each embedded catalog equals the
//! run-time compilation of its committed RON file.
use crate::compile::{FeatureInfo, ModelInfo, VendorInfo};
use crate::schema::{Alias, Arch, Decode, Location, Pvr, Reg, Signature};
use crate::Compiled;
use cpucompat_lattice::{Bit, FeatureSet};
use std::sync::{Arc, OnceLock};

/// A compiled catalog as generated Rust statics.
pub(crate) struct RawCompiled {
    arch: Arch,
    source: &'static str,
    /// `(name, cpuid string)`.
    vendors: &'static [(&'static str, Option<&'static str>)],
    features: &'static [RawFeature],
    models: &'static [RawModel],
}

enum RawLocation {
    Cpuid {
        leaf: u32,
        subleaf: u32,
        reg: Reg,
        bit: u8,
    },
    Msr {
        index: u32,
        reg: Reg,
        bit: u8,
    },
    // Facility, Bit and None occur only in s390x catalogs, which are not embedded here;
    // the variants keep the generator total.
    #[allow(dead_code)]
    Facility(u16),
    #[allow(dead_code)]
    Bit {
        space: &'static str,
        bit: u16,
    },
    #[allow(dead_code)]
    None,
}

struct RawFeature {
    name: &'static str,
    location: RawLocation,
    migratable: bool,
    /// `(name, source)`.
    aliases: &'static [(&'static str, &'static str)],
}

/// `(family, model, stepping ranges)`.
type RawSignature = (u32, u32, &'static [(u8, u8)]);

struct RawModel {
    name: &'static str,
    vendor: Option<usize>,
    features: [u64; WORDS],
    removed: &'static [u16],
    added: [u64; WORDS],
    signatures: &'static [RawSignature],
    /// `(host, guest)`.
    decode: Option<(bool, bool)>,
    check_compat: bool,
    parent: Option<usize>,
    alias_of: Option<usize>,
    canonical: Option<usize>,
    /// `(value, mask)`.
    pvrs: &'static [(u32, u32)],
}

/// Words of a [`FeatureSet`].
const WORDS: usize = FeatureSet::CAPACITY / 64;

include!(concat!(env!("OUT_DIR"), "/embedded_data.rs"));

impl RawLocation {
    fn to_location(&self) -> Location {
        match self {
            RawLocation::Cpuid {
                leaf,
                subleaf,
                reg,
                bit,
            } => Location::Cpuid {
                leaf: *leaf,
                subleaf: *subleaf,
                reg: *reg,
                bit: *bit,
            },
            RawLocation::Msr { index, reg, bit } => Location::Msr {
                index: *index,
                reg: *reg,
                bit: *bit,
            },
            RawLocation::Facility(n) => Location::Facility(*n),
            RawLocation::Bit { space, bit } => Location::Bit {
                space: space.to_string(),
                bit: *bit,
            },
            RawLocation::None => Location::None,
        }
    }
}

impl RawCompiled {
    fn build(&self) -> Compiled {
        let vendors = self
            .vendors
            .iter()
            .map(|(name, string)| VendorInfo {
                name: name.to_string(),
                string: string.map(str::to_string),
            })
            .collect();
        let features = self
            .features
            .iter()
            .map(|f| FeatureInfo {
                name: f.name.to_string(),
                location: f.location.to_location(),
                migratable: f.migratable,
                aliases: f
                    .aliases
                    .iter()
                    .map(|(name, source)| Alias {
                        name: name.to_string(),
                        source: source.to_string(),
                    })
                    .collect(),
            })
            .collect();
        let models = self
            .models
            .iter()
            .map(|m| ModelInfo {
                name: m.name.to_string(),
                vendor: m.vendor,
                features: FeatureSet::from_words(m.features),
                removed: m
                    .removed
                    .iter()
                    .filter_map(|&b| Bit::new(usize::from(b)).ok())
                    .collect(),
                added: FeatureSet::from_words(m.added),
                signatures: m
                    .signatures
                    .iter()
                    .map(|&(family, model, steppings)| Signature {
                        family,
                        model,
                        steppings: steppings.to_vec(),
                    })
                    .collect(),
                decode: m.decode.map(|(host, guest)| Decode { host, guest }),
                check_compat: m.check_compat,
                parent: m.parent,
                alias_of: m.alias_of,
                canonical: m.canonical,
                pvrs: m
                    .pvrs
                    .iter()
                    .map(|&(value, mask)| Pvr { value, mask })
                    .collect(),
            })
            .collect();
        Compiled::from_parts(
            self.arch,
            self.source.to_string(),
            vendors,
            features,
            models,
        )
    }
}

macro_rules! embedded {
    ($(#[$doc:meta])* $name:ident, $raw:ident) => {
        $(#[$doc])*
        pub fn $name() -> &'static Arc<Compiled> {
            static CELL: OnceLock<Arc<Compiled>> = OnceLock::new();
            CELL.get_or_init(|| Arc::new($raw.build()))
        }
    };
}

embedded!(
    /// x86 models of libvirt 12.8.0 (the default).
    x86,
    X86
);
embedded!(
    /// ppc64 models of libvirt 12.8.0 (the default).
    ppc64,
    PPC64
);
embedded!(
    /// x86 models of libvirt 11.3.0.
    x86_libvirt_11_3,
    X86_LIBVIRT_11_3
);
embedded!(
    /// ppc64 models of libvirt 11.3.0.
    ppc64_libvirt_11_3,
    PPC64_LIBVIRT_11_3
);
