//! The catalogs compiled in at build time (`build.rs` renders `specs/catalog/s390x*.ron`
//! as plain data after validating them), turned into [`Catalog`]s on first use.
use crate::catalog::{Catalog, Kind, Parts, Release};
use std::sync::OnceLock;

include!(concat!(env!("OUT_DIR"), "/s390x_catalogs.rs"));

impl Catalog {
    /// The embedded catalog of a release (built once, then shared; no text is parsed).
    pub fn embedded(release: Release) -> &'static Catalog {
        static NEWEST_CATALOG: OnceLock<Catalog> = OnceLock::new();
        static QEMU72_CATALOG: OnceLock<Catalog> = OnceLock::new();
        match release {
            Release::Newest => NEWEST_CATALOG.get_or_init(|| Catalog::from_parts(&NEWEST)),
            Release::Qemu72 => QEMU72_CATALOG.get_or_init(|| Catalog::from_parts(&QEMU72)),
        }
    }
}
