//! `include/cpucompat.h` is what cbindgen generates from the crate now: the test fails when
//! the committed header is stale. `CPUCOMPAT_BLESS=1` rewrites it.
use std::path::Path;

#[test]
fn the_committed_header_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .with_src(dir.join("src/error.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    let fresh = String::from_utf8(fresh).expect("UTF-8 header");
    let path = dir.join("include/cpucompat.h");
    if std::env::var("CPUCOMPAT_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &fresh).expect("write the header");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/cpucompat.h is stale: regenerate it with \
         `CPUCOMPAT_BLESS=1 cargo test -p cpucompat-capi --test header`"
    );
    for name in [
        "cpucompat_engine_new",
        "cpucompat_compare",
        "cpucompat_baseline",
        "cpucompat_models",
        "cpucompat_expand",
        "cpucompat_decode",
        "cpucompat_string_free",
        "cpucompat_error_last",
        "CPUCOMPAT_EINTERNAL",
        "CPUCOMPAT_BASELINE_MIGRATABLE",
    ] {
        assert!(fresh.contains(name), "the header declares {name}");
    }
}
