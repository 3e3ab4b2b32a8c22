//! The converter that writes `specs/catalog/*.ron` from libvirt's cpu_map directories.
//!
//! Ignored by default: it reads `../shared/data` (or `$CPUCOMPAT_LIBVIRT_DATA`), which
//! tests must never depend on. Run it by hand after changing the importer or the writer:
//!
//! ```text
//! cargo test -p cpucompat-catalog --test regenerate -- --ignored
//! ```
//!
//! The same bytes come from `cpucompat catalog import --cpu-map DIR [--catalog-arch ppc64]`.
use cpucompat_catalog::{import_cpu_map, to_ron, Arch};
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    match std::env::var_os("CPUCOMPAT_LIBVIRT_DATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

#[test]
#[ignore = "reads ../shared/data; run by hand to regenerate specs/catalog"]
fn regenerate_committed_catalogs() {
    let data = data_dir();
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/catalog");
    for (dir, arch, out) in [
        ("libvirt-cpu_map-12.8.0", Arch::X86, "x86.ron"),
        ("libvirt-cpu_map-12.8.0", Arch::Ppc64, "ppc64.ron"),
        ("libvirt-cpu_map", Arch::X86, "x86-libvirt-11.3.ron"),
        ("libvirt-cpu_map", Arch::Ppc64, "ppc64-libvirt-11.3.ron"),
    ] {
        let cat = import_cpu_map(&data.join(dir), arch).unwrap();
        cpucompat_catalog::Compiled::compile(&cat).unwrap();
        std::fs::write(specs.join(out), to_ron(&cat)).unwrap();
        eprintln!(
            "{out}: {} vendors, {} features, {} models",
            cat.vendors.len(),
            cat.features.len(),
            cat.models.len()
        );
    }
}
