//! Spec checker for `specs/cases/ppc64`.
use crate::common::Case;

/// Checks one `ppc64` case.
pub fn check(case: &Case) -> Result<(), String> {
    Err(format!("no ppc64 checker yet for {}", case.path.display()))
}
