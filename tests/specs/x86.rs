//! Spec checker for `specs/cases/x86`.
use crate::common::Case;

/// Checks one `x86` case.
pub fn check(case: &Case) -> Result<(), String> {
    Err(format!("no x86 checker yet for {}", case.path.display()))
}
