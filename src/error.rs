//! The crate-wide error: one variant per error family, for embedders that
//! call several layers in one function and want one `?`.

use crate::ops::tag::TagError;
use crate::ops::trigger::TriggerError;
use crate::ports::{RegistryError, StoreError};
use crate::reference::ReferenceError;
use crate::service::{ServiceError, TagFailure};
use crate::stream::{FollowError, ResolveError, RollbackError, SpecError, ValidationError};

/// Any error this crate returns. Every family converts into it with `?`
/// and stays itself inside: match the variant, or follow `source()`
/// (each variant is transparent, so `Display` and `source()` are the
/// family's own).
///
/// ```
/// use imagestream::reference::{DockerReference, Namespace, StreamName};
/// use imagestream::stream::ImageStream;
///
/// fn stream(ns: &str, name: &str, from: &str) -> Result<ImageStream, imagestream::Error> {
///     let _ = DockerReference::parse(from)?; // a ReferenceError
///     Ok(ImageStream::new(Namespace::parse(ns)?, StreamName::parse(name)?)?)
/// }
/// let err = stream("test", "app", "Upper").unwrap_err();
/// assert!(err.as_reference().is_some());
/// assert_eq!(err.to_string(), "repository name must be lowercase");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A reference, digest or name did not parse.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// A wire object failed validation (field errors).
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A spec change was refused.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A tag, image or id did not resolve.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// A tracking chain could not be followed.
    #[error(transparent)]
    Follow(#[from] FollowError),
    /// A rollback was refused.
    #[error(transparent)]
    Rollback(#[from] RollbackError),
    /// `oc tag` refused its arguments.
    #[error(transparent)]
    Tag(#[from] TagError),
    /// A trigger definition was refused.
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A service operation failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// `oc tag` through the service stopped at an error.
    #[error(transparent)]
    TagFailure(#[from] TagFailure),
    /// A tag policy did not parse.
    #[cfg(feature = "policy")]
    #[error(transparent)]
    Policy(#[from] crate::stream::PolicyError),
    /// A tag policy's choice could not be pinned.
    #[cfg(feature = "policy")]
    #[error(transparent)]
    Pin(#[from] crate::ops::policy::PinError),
    /// A hold did not parse.
    #[error(transparent)]
    Hold(#[from] crate::stream::HoldError),
    /// A hold or policy was asked of a tag without spec tag.
    #[error(transparent)]
    NoSpecTag(#[from] crate::stream::NoSpecTag),
}

impl Error {
    /// The reference error, if this is one.
    #[must_use]
    pub fn as_reference(&self) -> Option<&ReferenceError> {
        match self {
            Self::Reference(e) => Some(e),
            _ => None,
        }
    }

    /// The service error, if this is one.
    #[must_use]
    pub fn as_service(&self) -> Option<&ServiceError> {
        match self {
            Self::Service(e) => Some(e),
            Self::TagFailure(f) => Some(&f.error),
            _ => None,
        }
    }
}
