//! Spec checker for `specs/cases/catalog`.
use crate::common::Case;

/// Checks one `catalog` case.
pub fn check(case: &Case) -> Result<(), String> {
    Err(format!(
        "no catalog checker yet for {}",
        case.path.display()
    ))
}
