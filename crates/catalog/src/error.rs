//! The catalog layer's error: reading, importing, validating and compiling catalogs.
//!
//! Every message is one lowercase line. Syntax errors (RON or XML) name the file, the
//! 1-based line and column, and what was expected; validation errors name the model,
//! feature or vendor at fault, since a catalog value no longer carries positions.
use thiserror::Error;

impl CatalogError {
    /// A RON error of the text named `file`.
    pub(crate) fn at(file: &str, e: crate::ron::Error) -> CatalogError {
        CatalogError::Input {
            file: file.to_string(),
            line: e.pos.line,
            column: e.pos.column,
            message: e.message,
        }
    }
}

/// Why a catalog could not be read, imported or compiled.
#[derive(Debug, Error)]
pub enum CatalogError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file's text is wrong at a position (RON syntax, XML syntax, or a cpu_map element
    /// that does not say what it must).
    #[error("{file}:{line}:{column}: {message}")]
    Input {
        /// The file.
        file: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// What was wrong or expected, lowercase.
        message: String,
    },
    /// A catalog read from a file failed validation; `file` names the file (for a cpu_map
    /// directory, its `index.xml`).
    #[error("{file}: {source}")]
    InFile {
        /// The file.
        file: String,
        /// The validation error.
        #[source]
        source: Box<CatalogError>,
    },
    /// A cpu_map directory does not describe the requested architecture.
    #[error("{file}: no <arch name='{arch}'> element")]
    NoArch {
        /// The index file.
        file: String,
        /// The libvirt arch name looked for.
        arch: String,
    },
    /// A name is empty or holds control characters.
    #[error("bad {what} name '{name}': expected a non-empty name without control characters")]
    BadName {
        /// `vendor`, `feature`, `alias` or `model`.
        what: &'static str,
        /// The name (escaped for printing).
        name: String,
    },
    /// Two vendors share a name.
    #[error("duplicate vendor '{0}'")]
    DuplicateVendor(String),
    /// Two features (or a feature and an alias) share a name.
    #[error("duplicate feature '{0}'")]
    DuplicateFeature(String),
    /// Two models share a name.
    #[error("duplicate model '{0}'")]
    DuplicateModel(String),
    /// A model lists the same feature twice (in its features, removed or added lists).
    #[error("model '{model}': feature '{feature}' listed twice")]
    DuplicateModelFeature {
        /// The model.
        model: String,
        /// The feature.
        feature: String,
    },
    /// Two features claim the same bit.
    #[error("features '{first}' and '{second}' have the same location")]
    SharedLocation {
        /// The earlier feature.
        first: String,
        /// The later feature.
        second: String,
    },
    /// A bit position is outside its register or space.
    #[error("feature '{feature}': bit {bit} is out of range, expected 0..={max}")]
    BadBit {
        /// The feature.
        feature: String,
        /// The bit given.
        bit: u32,
        /// The largest valid bit.
        max: u32,
    },
    /// An MSR feature names a register other than `Eax` or `Edx`.
    #[error("feature '{feature}': msr register must be Eax or Edx, not {reg}")]
    BadMsrReg {
        /// The feature.
        feature: String,
        /// The register given.
        reg: String,
    },
    /// A feature's location kind does not belong to the catalog's architecture (only x86
    /// catalogs have features with locations).
    #[error("feature '{feature}': a {kind} location does not fit a {arch} catalog")]
    WrongLocation {
        /// The feature.
        feature: String,
        /// `cpuid` or `msr`.
        kind: &'static str,
        /// The catalog's architecture.
        arch: &'static str,
    },
    /// An x86 vendor string is not 12 ASCII characters (or a non-x86 vendor has one).
    #[error("vendor '{vendor}': {message}")]
    BadVendor {
        /// The vendor.
        vendor: String,
        /// What is wrong.
        message: String,
    },
    /// A model names a feature the catalog does not define.
    #[error("model '{model}': unknown feature '{feature}'")]
    UnknownFeature {
        /// The model.
        model: String,
        /// The feature name.
        feature: String,
    },
    /// A model names a vendor the catalog does not define.
    #[error("model '{model}': unknown vendor '{vendor}'")]
    UnknownVendor {
        /// The model.
        model: String,
        /// The vendor name.
        vendor: String,
    },
    /// A model's parent is not in the catalog.
    #[error("model '{model}': unknown parent model '{parent}'")]
    UnknownParent {
        /// The model.
        model: String,
        /// The parent name.
        parent: String,
    },
    /// Models inherit from each other in a cycle; the chain starts and ends with one model.
    #[error("model inheritance cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
    /// A signature's stepping range is empty or beyond 15.
    #[error("model '{model}': bad stepping range {lo}-{hi}, expected lo <= hi <= 15")]
    BadStepping {
        /// The model.
        model: String,
        /// Range start.
        lo: u8,
        /// Range end.
        hi: u8,
    },
    /// A PVR value has bits outside its mask, so it can never match.
    #[error("model '{model}': pvr value {value:#010x} has bits outside mask {mask:#010x}")]
    BadPvr {
        /// The model.
        model: String,
        /// The value.
        value: u32,
        /// The mask.
        mask: u32,
    },
    /// A feature with more aliases than an index entry can number.
    #[error("feature '{feature}': {count} aliases, at most 65535 are allowed")]
    TooManyAliases {
        /// The feature.
        feature: String,
        /// Its aliases.
        count: usize,
    },
    /// More features than a feature set holds.
    #[error("{count} features do not fit a feature set of {capacity}")]
    TooManyFeatures {
        /// Features in the catalog.
        count: usize,
        /// The capacity.
        capacity: usize,
    },
}
