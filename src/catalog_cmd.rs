//! `cpucompat catalog import --cpu-map DIR [--catalog-arch x86|ppc64]`: print the RON
//! catalog of a libvirt cpu_map directory, byte for byte what `specs/catalog/` commits.
use crate::{Error, Output};
use cpucompat_catalog::{import_cpu_map, to_ron, Arch, CatalogError, Compiled};
use std::path::Path;

/// `cpucompat catalog import --cpu-map DIR`: imports, validates (compiles) and prints.
pub fn catalog_import(dir: &Path, arch: &str) -> Result<Output, Error> {
    let arch = match arch {
        "x86" | "x86_64" | "i686" => Arch::X86,
        "ppc64" | "ppc64le" => Arch::Ppc64,
        other => {
            return Err(Error::usage(format!(
                "unknown catalog architecture '{other}'; expected x86 or ppc64"
            )))
        }
    };
    let cat = import_cpu_map(dir, arch).map_err(catalog_error)?;
    // What the importer could not place on an element (e.g. a cycle) names the index.
    let index = dir.join("index.xml").display().to_string();
    Compiled::compile(&cat).map_err(|e| Error::input(&index, 0, 0, e.to_string()))?;
    Ok(Output::ok(to_ron(&cat)))
}

/// Maps a catalog error to the facade's error, keeping file, line and column.
pub fn catalog_error(e: CatalogError) -> Error {
    match e {
        CatalogError::Input {
            file,
            line,
            column,
            message,
        } => Error::input(&file, line, column, message),
        CatalogError::Io { path, source } => Error::Io { path, source },
        other => Error::Usage(other.to_string()),
    }
}
