//! Why service operations fail: typed causes, OpenShift's messages.

use std::sync::Arc;

use crate::ops::tag::{TagError, TagOutcome};
use crate::ports::{Forbidden, StoreError};
use crate::reference::{ReferenceError, TagName};
use crate::stream::{IsTagSpecError, ResolveError, RollbackError, SpecError, ValidationError};

/// Why a service operation failed, with OpenShift's messages. Each variant
/// holds its typed cause, reachable through `source()` or by matching.
#[derive(Debug, Clone, thiserror::Error)]
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
    /// A write lost its race, or an id matched more than one image.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The subject may not do this (boxed: it names everything).
    #[error(transparent)]
    Forbidden(Box<Forbidden>),
    /// Field errors.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A malformed request (a bad `istag` or `isimage` name, a bad
    /// namespace or stream name).
    #[error(transparent)]
    BadRequest(#[from] BadRequest),
    /// A spec change refused (a tracking circle).
    #[error(transparent)]
    Spec(SpecError),
    /// A rollback refused (revision out of range, no image to pin).
    #[error(transparent)]
    Rollback(RollbackError),
    /// The store failed (an outage, a bad continue token; not a conflict).
    #[error(transparent)]
    Store(StoreError),
    /// `oc tag` refused its arguments.
    #[error(transparent)]
    Tag(#[from] TagError),
    /// The caller's own change (in [`ImageStreams::update`](super::ImageStreams::update))
    /// refused, with the caller's error.
    #[error(transparent)]
    Rejected(Arc<dyn std::error::Error + Send + Sync>),
}

/// A write that did not land, or an ambiguous id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Conflict {
    /// Every attempt the retry budget allowed lost its race; nothing was
    /// written. Displays the last conflict (Kubernetes' message).
    #[error("{last}")]
    Exhausted {
        /// How many writes were tried.
        attempts: usize,
        /// The last conflict the store reported.
        #[source]
        last: StoreError,
    },
    /// A write lost its race and the stream read again no longer meets the
    /// write's precondition (`create_mapping`: the tag moved to another
    /// image meanwhile). Displays the conflict, as OpenShift returns it.
    #[error("{last}")]
    Moved {
        /// The tag whose current entry moved.
        tag: TagName,
        /// The conflict that made the write read again.
        #[source]
        last: StoreError,
    },
    /// A write made against the resource version the caller named lost
    /// its race; it is not retried. Displays the conflict.
    #[error("{last}")]
    Stale {
        /// The conflict the store reported.
        #[source]
        last: StoreError,
    },
    /// A precondition of the request does not hold (Kubernetes'
    /// `NewConflict`): `Operation cannot be fulfilled on
    /// <resource>.image.openshift.io "<name>": <reason>`.
    #[error("Operation cannot be fulfilled on {resource}.image.openshift.io {name:?}: {reason}")]
    Precondition {
        /// The resource (`imagestreamtags`).
        resource: &'static str,
        /// The object's name.
        name: String,
        /// Why, in Kubernetes' words.
        reason: String,
    },
    /// An image id prefix matches more than one image.
    #[error(transparent)]
    Ambiguous(ResolveError),
    /// A request named the resource version it was made against, and the
    /// stream has moved on (`POST imagestreamimports` with
    /// `metadata.resourceVersion`).
    #[error("the image stream was updated from {asked:?} to {current:?}")]
    ResourceVersion {
        /// The version the request named.
        asked: String,
        /// The stream's version now.
        current: String,
    },
}

/// A malformed request, with the server's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadRequest {
    /// An `istag` name that is not `<name>:<tag>`.
    #[error("ImageStreamTags must be retrieved with <name>:<tag>")]
    IsTagName(#[source] ReferenceError),
    /// An `isimage` name that is not `<name>@<id>`.
    #[error("ImageStreamImages must be retrieved with <name>@<id>")]
    IsImageName(#[source] ReferenceError),
    /// An `imagetag` name that is not `<name>:<tag>`.
    #[error("ImageTags must be retrieved with <name>:<tag>")]
    ImageTagName(#[source] ReferenceError),
    /// A namespace or stream name that does not parse.
    #[error(transparent)]
    Name(ReferenceError),
    /// An `ImageStreamTag` update that cannot become a spec tag.
    #[error(transparent)]
    IsTagSpec(IsTagSpecError),
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

impl ServiceError {
    /// The caller's own error, as [`ImageStreams::update`](super::ImageStreams::update)
    /// received it, if this is one.
    #[must_use]
    pub fn rejected(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            Self::Rejected(e) => Some(&**e),
            _ => None,
        }
    }
}

impl From<Forbidden> for ServiceError {
    fn from(e: Forbidden) -> Self {
        Self::Forbidden(Box::new(e))
    }
}

impl From<StoreError> for ServiceError {
    /// Not found and already exists become the service's own; a conflict
    /// that reaches here was not retried (one attempt).
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { resource, name } => Self::NotFound { resource, name },
            StoreError::AlreadyExists { resource, name } => Self::AlreadyExists { resource, name },
            last @ StoreError::Conflict { .. } => {
                Self::Conflict(Conflict::Exhausted { attempts: 1, last })
            }
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
            RollbackError::Image(a @ ResolveError::Ambiguous { .. }) => {
                Self::Conflict(Conflict::Ambiguous(a))
            }
            RollbackError::Spec(s) => s.into(),
            other => Self::Rollback(other),
        }
    }
}
