//! Model catalogs: the RON schema, validation, compilation to a name-to-bit index, the
//! embedded default catalogs, and the importer of a libvirt `cpu_map` directory.
pub mod schema;
