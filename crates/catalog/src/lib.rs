//! Model catalogs: the RON schema, validation, compilation to a name-to-bit index, the
//! embedded default catalogs, and the importer of a libvirt `cpu_map` directory.
//!
//! The flow is `cpu_map XML --import--> Catalog --to_ron--> specs/catalog/*.ron`, committed;
//! at build time `build.rs` validates and compiles the RON files and writes the compiled
//! form as Rust statics ([`embedded`]); at run time a [`Catalog`] read from RON or imported
//! from a cpu_map directory given on the command line is validated and compiled the same
//! way. The [`Compiled`] index is what the architecture adapters query: feature names to
//! lattice bits and back (bit `i` = feature `i` of the catalog), vendors, and models with
//! libvirt's inheritance resolved (see the `compile` module for the rules).
//!
//! QEMU's POWER tables (`specs/catalog/ppc64-qemu*.ron`) go the same way through the same
//! RON reader: [`ppc64_qemu`] holds their schema and checks, `build.rs` embeds them
//! ([`embedded::ppc64_qemu`], [`embedded::ppc64_qemu_7_2`]), and so do QEMU's s390x
//! tables (`specs/catalog/s390x*.ron`, [`s390x_qemu`], [`embedded::s390x_qemu`],
//! [`embedded::s390x_qemu_7_2`]).
mod compile;
pub mod embedded;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
mod import;
mod index;
mod load;
pub mod ppc64_qemu;
mod ron;
mod ron_io;
pub mod s390x_qemu;
pub mod schema;

pub use compile::{Compiled, FeatureInfo, ModelInfo, VendorInfo};
pub use cpucompat_lattice::{Bit, FeatureSet};
pub use error::CatalogError;
pub use import::import_cpu_map;
pub use index::NameIndex;
pub use ron_io::{to_ron, WIDTH};
pub use schema::*;
