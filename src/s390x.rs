//! The s390x commands: glue between the command line and the `cpucompat-s390x` adapter.
use crate::cli::{BaselineArgs, Common, CompareArgs, DecodeArgs, ExpandArgs, ModelsArgs, QmpArgs};
use crate::{Error, Output};

fn unsupported(what: &str) -> Result<Output, Error> {
    Err(Error::usage(format!(
        "{what} is not supported for s390x yet"
    )))
}

/// `cpucompat host`.
pub fn host(_c: &Common) -> Result<Output, Error> {
    unsupported("host")
}

/// `cpucompat compare`.
pub fn compare(_c: &Common, _a: &CompareArgs) -> Result<Output, Error> {
    unsupported("compare")
}

/// `cpucompat baseline`.
pub fn baseline(_c: &Common, _a: &BaselineArgs) -> Result<Output, Error> {
    unsupported("baseline")
}

/// `cpucompat decode`.
pub fn decode(_c: &Common, _a: &DecodeArgs) -> Result<Output, Error> {
    unsupported("decode")
}

/// `cpucompat models`.
pub fn models(_c: &Common, _a: &ModelsArgs) -> Result<Output, Error> {
    unsupported("models")
}

/// `cpucompat expand`.
pub fn expand(_c: &Common, _a: &ExpandArgs) -> Result<Output, Error> {
    unsupported("expand")
}

/// `cpucompat qmp`.
pub fn qmp(_c: &Common, _a: &QmpArgs) -> Result<Output, Error> {
    unsupported("qmp")
}
