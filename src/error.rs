//! The crate-wide error.

use crate::reference::ReferenceError;

/// Any error this crate returns; each module's own error converts into it
/// with `?`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A reference, digest or name did not parse.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
}

impl Error {
    /// The reference error, if this is one.
    #[must_use]
    pub fn as_reference(&self) -> Option<&ReferenceError> {
        match self {
            Self::Reference(e) => Some(e),
        }
    }
}
