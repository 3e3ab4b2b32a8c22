//! Loading a [`Compiled`] catalog from files: a libvirt cpu_map directory or a RON file.
use crate::{import::import_cpu_map, Arch, Catalog, CatalogError, Compiled};
use std::path::Path;

impl Compiled {
    /// Imports the libvirt cpu_map directory `dir` for `arch` and compiles it.
    /// Validation errors the importer could not place on an element (cycles, bits) name
    /// the directory's `index.xml`.
    ///
    /// # Errors
    /// [`CatalogError::Io`] when a file cannot be read, a positioned error for XML the importer
    /// refuses, and the compiler's validation errors (unknown names, cycles, bad bits).
    pub fn load_cpu_map(dir: &Path, arch: Arch) -> Result<Compiled, CatalogError> {
        let cat = import_cpu_map(dir, arch)?;
        Compiled::compile(&cat).map_err(|e| within(&dir.join("index.xml"), e))
    }

    /// Reads and compiles a RON catalog file.
    ///
    /// # Errors
    /// [`CatalogError::Io`] when the file cannot be read, a positioned error for RON the reader
    /// refuses, and the compiler's validation errors named with the file.
    pub fn load_ron(path: &Path) -> Result<Compiled, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let cat = Catalog::from_ron(&text, &path.display().to_string())?;
        Compiled::compile(&cat).map_err(|e| within(path, e))
    }
}

/// Names the file of a validation error.
fn within(path: &Path, e: CatalogError) -> CatalogError {
    match e {
        e
        @ (CatalogError::Input { .. } | CatalogError::Io { .. } | CatalogError::InFile { .. }) => e,
        e => CatalogError::InFile {
            file: path.display().to_string(),
            source: Box::new(e),
        },
    }
}
