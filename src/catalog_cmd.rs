//! `cpucompat catalog import --cpu-map DIR`: print the RON catalog of a libvirt cpu_map.
use crate::{Error, Output};
use std::path::Path;

/// `cpucompat catalog import --cpu-map DIR`.
pub fn catalog_import(dir: &Path, arch: &str) -> Result<Output, Error> {
    Err(Error::usage(format!(
        "catalog import {} ({arch}): not available yet",
        dir.display()
    )))
}
