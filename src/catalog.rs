//! Catalogs as the library reports them: one mapping of catalog errors (the same broken
//! `cpu_map` reads the same way whichever operation loaded it), and the `cpu_map`
//! importer behind `cpucompat catalog import`.
use crate::error::{Error, ErrorKind};
use cpucompat_catalog::{CatalogError, Compiled};
use cpucompat_contract::Arch;
use std::path::Path;

/// A catalog error as the library's: a file error keeps its position, a file that cannot
/// be read is an I/O error, everything else names the catalog file.
pub(crate) fn error(e: CatalogError) -> Error {
    match e {
        CatalogError::Input {
            file,
            line,
            column,
            message,
        } => Error::new(ErrorKind::Catalog, message).in_file(&file, line, column),
        CatalogError::Io { path, source } => Error::read(&path, source),
        CatalogError::InFile { file, source } => {
            Error::new(ErrorKind::Catalog, source.to_string()).in_file(&file, 0, 0)
        }
        CatalogError::NoArch { ref file, .. } => {
            let msg = e.to_string();
            let msg = msg
                .strip_prefix(&format!("{file}: "))
                .unwrap_or(&msg)
                .to_string();
            Error::new(ErrorKind::Catalog, msg).in_file(file, 0, 0)
        }
        other => Error::new(ErrorKind::Catalog, other.to_string()),
    }
}

/// The RON catalog of a libvirt `cpu_map` directory, for `arch` (x86 or POWER): exactly
/// the bytes `specs/catalog/` commits. The catalog is validated (compiled) before it is
/// printed.
///
/// # Errors
/// An unreadable or inconsistent directory (file, line and column where known); an
/// architecture without a libvirt map (s390x).
pub fn import_cpu_map(dir: &Path, arch: Arch) -> Result<String, Error> {
    let a = match arch {
        Arch::X86 => cpucompat_catalog::Arch::X86,
        Arch::Ppc64 => cpucompat_catalog::Arch::Ppc64,
        Arch::S390x => {
            return Err(Error::new(
                ErrorKind::Argument,
                "s390x models come from QEMU's tables, not a libvirt cpu_map",
            ))
        }
    };
    let cat = cpucompat_catalog::import_cpu_map(dir, a).map_err(error)?;
    Compiled::compile(&cat).map_err(|e| {
        error(CatalogError::InFile {
            file: dir.join("index.xml").display().to_string(),
            source: Box::new(e),
        })
    })?;
    Ok(cpucompat_catalog::to_ron(&cat))
}
