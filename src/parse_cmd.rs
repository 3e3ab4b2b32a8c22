//! `cpucompat parse FILE`: read any CPU XML form, print the definitions found, normalized.
use crate::cli::{Common, ParseArgs};
use crate::input::display;
use crate::{Error, Output};

/// `cpucompat parse FILE`.
pub fn parse_command(_common: &Common, args: &ParseArgs) -> Result<Output, Error> {
    Err(Error::usage(format!(
        "parse {}: not available yet",
        display(&args.file)
    )))
}
