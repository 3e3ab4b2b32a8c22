//! The catalogs embedded at build time: the catalog crate's build script reads and checks
//! `specs/catalog/s390x*.ron` and writes them as statics
//! (`cpucompat_catalog::embedded::s390x_qemu`, `s390x_qemu_7_2`); they are indexed into
//! [`Catalog`]s on first use, without parsing text.
use crate::catalog::{Catalog, Release};
use std::sync::OnceLock;

impl Catalog {
    /// The embedded catalog of a release (built once, then shared; no text is parsed).
    pub fn embedded(release: Release) -> &'static Catalog {
        static NEWEST_CATALOG: OnceLock<Catalog> = OnceLock::new();
        static QEMU72_CATALOG: OnceLock<Catalog> = OnceLock::new();
        match release {
            Release::Newest => NEWEST_CATALOG
                .get_or_init(|| Catalog::from_checked(cpucompat_catalog::embedded::s390x_qemu())),
            Release::Qemu72 => QEMU72_CATALOG.get_or_init(|| {
                Catalog::from_checked(cpucompat_catalog::embedded::s390x_qemu_7_2())
            }),
        }
    }
}
