//! The embedded default catalogs, compiled once on first use.
//!
//! `x86()` and `ppc64()` are libvirt 12.8.0's cpu_map; the `_libvirt_11_3` variants are
//! libvirt 11.3.0's, against which libvirt's own test expectations were computed.
//!
//! `build.rs` turns `specs/catalog/*.ron` into Rust statics (`RawCatalog`: string
//! literals and plain values), so no catalog text is parsed at run time. On first use a
//! static becomes a [`Catalog`] and is compiled ([`Compiled::compile`]) into a
//! `OnceLock`. A test checks that each embedded catalog equals the compilation of its
//! committed RON file.
use crate::schema::{
    Alias, Arch, Catalog, Decode, Feature, Location, Model, Pvr, Reg, Signature, Vendor,
};
use crate::Compiled;
use std::sync::OnceLock;

/// A catalog as generated Rust statics.
pub(crate) struct RawCatalog {
    arch: Arch,
    source: &'static str,
    vendors: &'static [RawVendor],
    features: &'static [RawFeature],
    models: &'static [RawModel],
}

struct RawVendor {
    name: &'static str,
    string: Option<&'static str>,
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
    // Facility, Bit and None are generated only for s390x catalogs, which are not embedded
    // here; the variants keep the generator total.
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
    aliases: &'static [(&'static str, &'static str)],
}

struct RawSignature {
    family: u32,
    model: u32,
    steppings: &'static [(u8, u8)],
}

struct RawModel {
    name: &'static str,
    parent: Option<&'static str>,
    vendor: Option<&'static str>,
    decode: Option<Decode>,
    check_compat: bool,
    signatures: &'static [RawSignature],
    features: &'static [&'static str],
    removed: &'static [&'static str],
    added: &'static [&'static str],
    pvrs: &'static [Pvr],
}

include!(concat!(env!("OUT_DIR"), "/embedded_data.rs"));

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

impl RawCatalog {
    /// The catalog value these statics describe.
    fn to_catalog(&self) -> Catalog {
        Catalog {
            arch: self.arch,
            source: self.source.to_string(),
            vendors: self
                .vendors
                .iter()
                .map(|v| Vendor {
                    name: v.name.to_string(),
                    string: v.string.map(str::to_string),
                })
                .collect(),
            features: self
                .features
                .iter()
                .map(|f| Feature {
                    name: f.name.to_string(),
                    location: match &f.location {
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
                    },
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
                .collect(),
            models: self
                .models
                .iter()
                .map(|m| Model {
                    name: m.name.to_string(),
                    parent: m.parent.map(str::to_string),
                    vendor: m.vendor.map(str::to_string),
                    decode: m.decode,
                    check_compat: m.check_compat,
                    signatures: m
                        .signatures
                        .iter()
                        .map(|s| Signature {
                            family: s.family,
                            model: s.model,
                            steppings: s.steppings.to_vec(),
                        })
                        .collect(),
                    features: strings(m.features),
                    removed: strings(m.removed),
                    added: strings(m.added),
                    pvrs: m.pvrs.to_vec(),
                })
                .collect(),
        }
    }

    fn compile(&self) -> Compiled {
        // The statics come from committed files that this crate's tests compile; a file
        // that does not compile fails those tests before it can ship.
        #[allow(clippy::expect_used)]
        Compiled::compile(&self.to_catalog()).expect("embedded catalog compiles")
    }
}

macro_rules! embedded {
    ($(#[$doc:meta])* $name:ident, $catalog:ident, $raw:ident) => {
        $(#[$doc])*
        pub fn $name() -> &'static Compiled {
            static CELL: OnceLock<Compiled> = OnceLock::new();
            CELL.get_or_init(|| $raw.compile())
        }

        /// The catalog value behind the function of the same stem, uncompiled.
        pub fn $catalog() -> Catalog {
            $raw.to_catalog()
        }
    };
}

embedded!(
    /// x86 models of libvirt 12.8.0 (the default).
    x86,
    x86_catalog,
    X86
);
embedded!(
    /// ppc64 models of libvirt 12.8.0 (the default).
    ppc64,
    ppc64_catalog,
    PPC64
);
embedded!(
    /// x86 models of libvirt 11.3.0.
    x86_libvirt_11_3,
    x86_libvirt_11_3_catalog,
    X86_LIBVIRT_11_3
);
embedded!(
    /// ppc64 models of libvirt 11.3.0.
    ppc64_libvirt_11_3,
    ppc64_libvirt_11_3_catalog,
    PPC64_LIBVIRT_11_3
);
