//! Why service operations fail.

use crate::ops::tag::{TagError, TagOutcome};
use crate::ports::{Forbidden, StoreError};
use crate::stream::{ResolveError, RollbackError, SpecError, ValidationError};

/// Why a service operation failed, with OpenShift's messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// No such object.
    #[error("{resource}.image.openshift.io \"{name}\" not found")]
    NotFound {
        /// The resource (`imagestreams`, `imagestreamtags`, …).
        resource: &'static str,
        /// The object's name as asked for.
        name: String,
    },
    /// The object exists already.
    #[error("{resource}.image.openshift.io \"{name}\" already exists")]
    AlreadyExists {
        /// The resource.
        resource: &'static str,
        /// The object's name.
        name: String,
    },
    /// A version conflict that retries did not resolve, or an ambiguous id.
    #[error("{0}")]
    Conflict(String),
    /// The subject may not do this (boxed: it names everything).
    #[error(transparent)]
    Forbidden(Box<Forbidden>),
    /// Field errors.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A malformed request (a bad `istag` or `isimage` name).
    #[error("{0}")]
    BadRequest(String),
    /// A spec change refused (a tracking circle).
    #[error(transparent)]
    Spec(SpecError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// `oc tag` refused its arguments.
    #[error(transparent)]
    Tag(#[from] TagError),
}

/// `oc tag` stopped at an error; what it did before is kept, as `oc`
/// prints each destination's message as it goes.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
#[non_exhaustive]
pub struct TagFailure {
    /// The destinations done before the error, in order.
    pub done: Vec<TagOutcome>,
    /// The error.
    #[source]
    pub error: ServiceError,
}

impl From<Forbidden> for ServiceError {
    fn from(e: Forbidden) -> Self {
        Self::Forbidden(Box::new(e))
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { resource, name } => Self::NotFound { resource, name },
            StoreError::AlreadyExists { resource, name } => Self::AlreadyExists { resource, name },
            c @ StoreError::Conflict { .. } => Self::Conflict(c.to_string()),
            other => Self::Store(other),
        }
    }
}

impl From<SpecError> for ServiceError {
    fn from(e: SpecError) -> Self {
        match e {
            SpecError::Invalid(v) => Self::Invalid(v),
            other => Self::Spec(other),
        }
    }
}

impl From<RollbackError> for ServiceError {
    fn from(e: RollbackError) -> Self {
        match e {
            RollbackError::UnknownTag { stream, tag } => Self::NotFound {
                resource: "imagestreamtags",
                name: format!("{stream}:{tag}"),
            },
            RollbackError::Image(ResolveError::Ambiguous { .. }) => Self::Conflict(e.to_string()),
            RollbackError::Spec(s) => s.into(),
            other => Self::BadRequest(other.to_string()),
        }
    }
}
