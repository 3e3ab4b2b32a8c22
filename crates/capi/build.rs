//! Writes the pkg-config files next to the built library, in `target/<profile>/pkgconfig/`:
//!
//! * `cpucompat-uninstalled.pc`: the library in this build tree and the committed header,
//!   for building against a checkout (`PKG_CONFIG_PATH=target/release/pkgconfig
//!   pkg-config --cflags --libs cpucompat-uninstalled`);
//! * `cpucompat.pc`: an installed layout under `$CPUCOMPAT_PREFIX` (default `/usr/local`):
//!   `lib/libcpucompat_c.{so,a}`, `include/cpucompat.h`.
use std::path::{Path, PathBuf};

fn pc(prefix: &str, libdir: &str, includedir: &str, version: &str) -> String {
    format!(
        "prefix={prefix}\n\
         libdir={libdir}\n\
         includedir={includedir}\n\
         \n\
         Name: cpucompat\n\
         Description: Virtual-CPU compatibility decisions for x86, POWER and s390x (C interface)\n\
         Version: {version}\n\
         Libs: -L${{libdir}} -lcpucompat_c\n\
         Libs.private: -lpthread -ldl -lm -lrt -lutil -lgcc_s\n\
         Cflags: -I${{includedir}}\n"
    )
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CPUCOMPAT_PREFIX");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    // OUT_DIR is target/[TRIPLE/]PROFILE/build/cpucompat-capi-HASH/out.
    let Some(profile_dir) = std::env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .and_then(|o| o.ancestors().nth(3).map(Path::to_path_buf))
    else {
        return;
    };
    let dir = profile_dir.join("pkgconfig");
    if std::fs::create_dir_all(&dir).is_err() {
        println!("cargo:warning=cannot create {}", dir.display());
        return;
    }
    let prefix = std::env::var("CPUCOMPAT_PREFIX").unwrap_or_else(|_| "/usr/local".into());
    let files = [
        (
            "cpucompat-uninstalled.pc",
            pc(
                &profile_dir.display().to_string(),
                "${prefix}",
                &manifest.join("include").display().to_string(),
                &version,
            ),
        ),
        (
            "cpucompat.pc",
            pc(&prefix, "${prefix}/lib", "${prefix}/include", &version),
        ),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str())
            && std::fs::write(&path, text).is_err()
        {
            println!("cargo:warning=cannot write {}", path.display());
        }
    }
}
