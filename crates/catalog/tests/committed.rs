//! The committed catalogs in `specs/catalog/`: their counts, their byte-exact
//! re-serialization, and the embedded (build-time) catalogs equal to them.
use cpucompat_catalog::{embedded, to_ron, Arch, Catalog, Compiled};
use std::path::Path;

fn read(name: &str) -> (String, Catalog) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../specs/catalog")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let cat = Catalog::from_ron(&text, name).unwrap();
    (text, cat)
}

const FILES: [&str; 4] = [
    "x86.ron",
    "ppc64.ron",
    "x86-libvirt-11.3.ron",
    "ppc64-libvirt-11.3.ron",
];

#[test]
fn committed_catalogs_have_libvirts_counts() {
    // (file, arch, vendors, features, models)
    for (file, arch, vendors, features, models) in [
        ("x86.ron", Arch::X86, 4, 400, 176),
        ("ppc64.ron", Arch::Ppc64, 2, 0, 8),
        ("x86-libvirt-11.3.ron", Arch::X86, 3, 364, 150),
        ("ppc64-libvirt-11.3.ron", Arch::Ppc64, 2, 0, 7),
    ] {
        let (_, cat) = read(file);
        assert_eq!(cat.arch, arch, "{file}");
        assert_eq!(
            (cat.vendors.len(), cat.features.len(), cat.models.len()),
            (vendors, features, models),
            "{file}: (vendors, features, models)"
        );
    }
}

#[test]
fn reserializing_a_committed_catalog_gives_the_same_bytes() {
    for file in FILES {
        let (text, cat) = read(file);
        assert!(to_ron(&cat) == text, "{file}: to_ron differs from the file");
    }
}

#[test]
fn embedded_catalogs_equal_the_committed_files() {
    for (file, emb) in [
        ("x86.ron", embedded::x86()),
        ("ppc64.ron", embedded::ppc64()),
        ("x86-libvirt-11.3.ron", embedded::x86_libvirt_11_3()),
        ("ppc64-libvirt-11.3.ron", embedded::ppc64_libvirt_11_3()),
    ] {
        let (_, cat) = read(file);
        let compiled = Compiled::compile(&cat).unwrap();
        assert_eq!(compiled.source(), cat.source, "{file}");
        assert!(compiled == **emb, "{file}: embedded catalog differs");
    }
}

#[test]
fn committed_x86_features_split_into_libvirts_cpuid_and_msr_counts() {
    use cpucompat_catalog::Location;
    // (file, cpuid features, msr features, aliases, non-migratable)
    for (file, cpuid, msr, aliases, blockers) in [
        ("x86.ron", 281, 119, 26, 2),
        ("x86-libvirt-11.3.ron", 250, 114, 26, 2),
    ] {
        let (_, cat) = read(file);
        let count =
            |f: fn(&Location) -> bool| cat.features.iter().filter(|x| f(&x.location)).count();
        assert_eq!(
            count(|l| matches!(l, Location::Cpuid { .. })),
            cpuid,
            "{file}"
        );
        assert_eq!(count(|l| matches!(l, Location::Msr { .. })), msr, "{file}");
        let a: usize = cat.features.iter().map(|f| f.aliases.len()).sum();
        assert_eq!(a, aliases, "{file}");
        let b = cat.features.iter().filter(|f| !f.migratable).count();
        assert_eq!(b, blockers, "{file}");
    }
}
