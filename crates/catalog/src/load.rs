//! Loading a [`Compiled`] catalog from files: a libvirt cpu_map directory or a RON file.
use crate::{import::import_cpu_map, Arch, Catalog, CatalogError, Compiled};
use std::path::Path;

impl Compiled {
    /// Imports the libvirt cpu_map directory `dir` for `arch` and compiles it.
    pub fn load_cpu_map(dir: &Path, arch: Arch) -> Result<Compiled, CatalogError> {
        Compiled::compile(&import_cpu_map(dir, arch)?)
    }

    /// Reads and compiles a RON catalog file.
    pub fn load_ron(path: &Path) -> Result<Compiled, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Compiled::compile(&Catalog::from_ron(&text, &path.display().to_string())?)
    }
}
