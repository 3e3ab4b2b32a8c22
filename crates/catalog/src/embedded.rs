//! The embedded default catalogs, compiled once on first use.
//!
//! `x86()` and `ppc64()` are libvirt 12.8.0's cpu_map; the `_libvirt_11_3` variants are
//! libvirt 11.3.0's, against which libvirt's own test expectations were computed.
use crate::{Catalog, Compiled};
use std::sync::OnceLock;

fn build(text: &str, file: &str) -> Compiled {
    // The committed files are checked by this crate's tests; a broken one is a build bug.
    #[allow(clippy::expect_used)]
    let cat = Catalog::from_ron(text, file).expect("embedded catalog parses");
    #[allow(clippy::expect_used)]
    Compiled::compile(&cat).expect("embedded catalog compiles")
}

macro_rules! embedded {
    ($(#[$doc:meta])* $name:ident, $file:literal) => {
        $(#[$doc])*
        pub fn $name() -> &'static Compiled {
            static CELL: OnceLock<Compiled> = OnceLock::new();
            CELL.get_or_init(|| {
                build(
                    include_str!(concat!("../../../specs/catalog/", $file)),
                    $file,
                )
            })
        }
    };
}

embedded!(
    /// x86 models of libvirt 12.8.0 (the default).
    x86,
    "x86.ron"
);
embedded!(
    /// ppc64 models of libvirt 12.8.0 (the default).
    ppc64,
    "ppc64.ron"
);
embedded!(
    /// x86 models of libvirt 11.3.0.
    x86_libvirt_11_3,
    "x86-libvirt-11.3.ron"
);
embedded!(
    /// ppc64 models of libvirt 11.3.0.
    ppc64_libvirt_11_3,
    "ppc64-libvirt-11.3.ron"
);
