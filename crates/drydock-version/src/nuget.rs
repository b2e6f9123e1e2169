//! nuget versions (in progress).

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

fn todo(v: &str) -> VersionError {
    VersionError::invalid(Scheme::ALL[0], v, "not implemented yet")
}

pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    Err(todo(v))
}

pub(crate) fn compare(a: &str, _b: &str) -> Result<Ordering, VersionError> {
    Err(todo(a))
}
pub(crate) fn in_range(v: &str, _r: &str) -> Result<bool, VersionError> { Err(todo(v)) }
