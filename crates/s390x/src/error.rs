//! Errors of the s390x adapter, one type per layer.
//!
//! * [`CatalogError`]: a catalog file is malformed (file, line, column, what).
//! * [`ModelError`]: a model request cannot be answered; the messages are QEMU's own, word
//!   for word, because QMP clients (libvirt) match on them.
//! * [`HostModelError`]: a `--host-model` file cannot be used.

/// A catalog file is malformed: the catalog layer's one error type, which reads and
/// checks the s390x tables.
pub use cpucompat_catalog::CatalogError;

/// A model request QEMU would refuse, with QEMU's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// No CPU class of that name.
    #[error("The CPU definition '{0}' is unknown.")]
    UnknownModel(String),
    /// A property the CPU class does not have.
    #[error("Property '{typename}.{property}' not found")]
    UnknownProperty {
        /// The QOM type, e.g. `z14-s390x-cpu`.
        typename: String,
        /// The property.
        property: String,
    },
    /// A property value of the wrong JSON type.
    #[error("Invalid parameter type for '{0}', expected: boolean")]
    NotBoolean(String),
    /// A string property given another JSON type.
    #[error("Invalid parameter type for '{0}', expected: string")]
    NotString(String),
    /// An integer property given another JSON type.
    #[error("Parameter '{0}' expects uint64")]
    NotUint(String),
    /// A read-only property of the CPU object.
    #[error("Property '{typename}.{property}' is not writable")]
    ReadOnly {
        /// The QOM type.
        typename: String,
        /// The property.
        property: String,
    },
    /// Enabling a feature beyond the definition's full set.
    #[error(
        "Feature '{feature}' is not available for CPU model '{model}', it was introduced with later models."
    )]
    FeatureTooNew {
        /// The feature.
        feature: String,
        /// The definition name.
        model: String,
    },
    /// Enabling a group none of whose members the definition's full set has.
    #[error(
        "Group '{group}' is not available for CPU model '{model}', it was introduced with later models."
    )]
    GroupTooNew {
        /// The group.
        group: String,
        /// The definition name.
        model: String,
    },
    /// Baseline found no definition whose base set the common features satisfy.
    #[error("No compatible CPU model could be created as important base features are disabled")]
    NoBaseline,
    /// An expansion type other than static or full.
    #[error("The requested expansion type is not supported.")]
    ExpansionType,
}

/// A `--host-model` file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostModelError {
    /// Not JSON.
    #[error("{file}:{line}:{column}: {message}")]
    Json {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// JSON, but not a CPU model `{"name": ..., "props": {...}}`.
    #[error("{file}: expected a cpu model object {{\"name\": string, \"props\": {{name: bool}}}}")]
    Shape {
        /// The file.
        file: String,
    },
    /// The model itself is refused.
    #[error("{file}: {source}")]
    Model {
        /// The file.
        file: String,
        /// Why.
        source: ModelError,
    },
}
