//! The embedded default catalogs, compiled at build time.
//!
//! `x86()` and `ppc64()` are libvirt 12.8.0's cpu_map; the `_libvirt_11_3` variants are
//! libvirt 11.3.0's, against which libvirt's own test expectations were computed.
//!
//! `build.rs` validates and compiles `specs/catalog/*.ron` with this crate's compiler and
//! writes each result as a Rust static [`Compiled`]: string literals, feature-set words,
//! indices and the [`crate::NameIndex`] slots, all borrowed. So at run time no catalog text
//! is parsed, no inheritance is resolved and nothing is built: the first call wraps the
//! static in an `Arc` (a shallow copy of a few words). A broken committed catalog fails
//! the build. A test checks that each embedded catalog equals the run-time compilation of
//! its committed RON file.
//!
//! `ppc64_qemu()` and `ppc64_qemu_7_2()` are QEMU's POWER tables (newest upstream, 7.2),
//! read and checked by [`crate::ppc64_qemu::Table::from_ron`] in `build.rs` and written as
//! statics the same way, as are `s390x_qemu()` and `s390x_qemu_7_2()`, QEMU's s390x tables
//! ([`crate::s390x_qemu::Table::from_ron`]).
use crate::compile::{FeatureInfo, ModelInfo, VendorInfo};
use crate::index::NameIndex;
use crate::schema::{Alias, Arch, Decode, Location, Pvr, Reg, Signature};
use crate::Compiled;
use cpucompat_lattice::{Bit, FeatureSet};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// A bit of the generated tables; the build script writes only bits below the capacity
/// (a bit beyond it would stop the compilation, never a run).
const fn bit(i: u16) -> Bit {
    match Bit::new(i as usize) {
        Ok(b) => b,
        Err(_) => panic!("embedded catalog: bit beyond the feature-set capacity"),
    }
}

include!(concat!(env!("OUT_DIR"), "/embedded_data.rs"));

macro_rules! embedded {
    ($(#[$doc:meta])* $name:ident, $raw:ident) => {
        $(#[$doc])*
        pub fn $name() -> &'static Arc<Compiled> {
            static CELL: OnceLock<Arc<Compiled>> = OnceLock::new();
            CELL.get_or_init(|| Arc::new($raw.clone()))
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

/// The QEMU POWER tables written by `build.rs`.
mod ppc64_qemu_data {
    use crate::ppc64_qemu::{Alias, CompatMode, Family, Model, ModelCommands, PvrMatch, Table};
    use std::borrow::Cow;
    include!(concat!(env!("OUT_DIR"), "/ppc64_qemu_data.rs"));
}

/// QEMU's newest upstream POWER table (`specs/catalog/ppc64-qemu.ron`).
pub fn ppc64_qemu() -> &'static crate::ppc64_qemu::Table {
    &ppc64_qemu_data::PPC64_QEMU
}

/// QEMU 7.2's POWER table (`specs/catalog/ppc64-qemu-7.2.ron`).
pub fn ppc64_qemu_7_2() -> &'static crate::ppc64_qemu::Table {
    &ppc64_qemu_data::PPC64_QEMU_7_2
}

/// The QEMU s390x tables written by `build.rs`.
mod s390x_qemu_data {
    use crate::s390x_qemu::{Definition, Feature, Group, Kind, Table};
    use cpucompat_lattice::FeatureSet;
    use std::borrow::Cow;
    include!(concat!(env!("OUT_DIR"), "/s390x_qemu_data.rs"));
}

/// QEMU's newest upstream s390x table (`specs/catalog/s390x.ron`).
pub fn s390x_qemu() -> &'static crate::s390x_qemu::Table {
    &s390x_qemu_data::S390X_QEMU
}

/// QEMU 7.2's s390x table (`specs/catalog/s390x-7.2.ron`).
pub fn s390x_qemu_7_2() -> &'static crate::s390x_qemu::Table {
    &s390x_qemu_data::S390X_QEMU_7_2
}
