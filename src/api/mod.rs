//! The wire: plain serde structs of `image.openshift.io/v1`.
//!
//! These types mirror OpenShift's JSON field for field: exact names, Go's
//! field order, and Go's rules for what is omitted and what is written as
//! `null` (a non-`omitempty` list or pointer is `null` when empty; a
//! struct is always written; a zero time is `null`). Reading is lenient:
//! unknown fields are ignored, `null` lists are empty, times are any RFC
//! 3339 and are kept in UTC with whole seconds, as the server stores them.
//!
//! The wire holds no invariants: a stream with a malformed pull spec or a
//! duplicate tag still reads, so it can be inspected and repaired. The
//! domain model, [`crate::stream`], holds the invariants; the conversions
//! between the two (`TryFrom<api::ImageStream> for stream::ImageStream`,
//! `From<&stream::ImageStream> for api::ImageStream`) are the only place
//! where one becomes the other, and the former reports every field error
//! at once, with OpenShift's messages.
//!
//! No serializer is built in: use any serde format. The tests use
//! `serde_json` and `serde-saphyr` (a maintained, pure-Rust YAML crate
//! that rejects duplicate keys and reports line and column).
//!
//! The seed chapter's two objects:
//!
//! ```
//! use imagestream::api;
//!
//! let stream: api::ImageStream =
//!     serde_saphyr::from_str(include_str!("../../tests/fixtures/seed_imagestream.yaml"))?;
//! assert_eq!(stream.metadata.resource_version, "633");
//! assert_eq!(stream.status.tags[0].items.len(), 2);
//! let json = serde_json::to_string(&stream)?;
//! assert!(json.contains(r#""lookupPolicy":{"local":false}"#)); // structs are always written
//!
//! let mapping: api::ImageStreamMapping =
//!     serde_saphyr::from_str(include_str!("../../tests/fixtures/seed_mapping.yaml"))?;
//! let metadata = mapping.image.docker_image_metadata.as_ref().expect("present");
//! assert_eq!(metadata.api_version, "1.0"); // the old spelling reads too
//! assert_eq!(metadata.size, 441_976_279);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

/// The per-stream history limit
/// ([`stream::ImageStream::set_history_limit`](crate::stream::ImageStream::set_history_limit)):
/// a positive integer, in decimal, under [`ANNOTATION_PREFIX`]. Read when a
/// stream is converted from the wire (an invalid value is a field error)
/// and written whenever the limit is set, so the limit survives the wire.
pub const HISTORY_LIMIT_ANNOTATION: &str = "imagestream.rs/history-limit";

/// A spec tag's policy (`TagPolicy` in `stream`, with the `policy`
/// feature): which of many tags the spec tag follows, e.g.
/// `semver >=3.6 <4`. Kept in the spec tag's own annotations under
/// [`ANNOTATION_PREFIX`]; checked when a stream is read (an invalid policy
/// is a field error on `spec.tags[<tag>].annotations[imagestream.rs/policy]`).
pub const POLICY_ANNOTATION: &str = "imagestream.rs/policy";

/// The last choice a spec tag's policy made, written by the controller
/// when it pins the chosen image: `<chosen tag> <pinned source>`, e.g.
/// `3.9.2 docker.io/library/app@sha256:…`.
pub const POLICY_CHOICE_ANNOTATION: &str = "imagestream.rs/policy-choice";

/// A hold on a spec tag (`stream::Hold`): policies and scheduled imports
/// leave the tag alone until it is released or expires. Lines `by <who>`,
/// `until <RFC 3339 time>` (optional) and `reason <why>`.
pub const HOLD_ANNOTATION: &str = "imagestream.rs/hold";

mod image;
mod import;
mod mapping;
mod meta;
mod stream;
pub(crate) mod time;
mod value;
mod views;

pub use image::{
    DockerConfig, DockerImageMetadata, Empty, Image, ImageLayer, ImageManifest, ImageSignature,
};
pub use import::{
    ImageImportSpec, ImageImportStatus, ImageStreamImport, ImageStreamImportSpec,
    ImageStreamImportStatus, RepositoryImportSpec, RepositoryImportStatus,
};
pub use mapping::ImageStreamMapping;
pub use meta::{
    API_VERSION, ListMeta, LocalObjectReference, ManagedFieldsEntry, ObjectMeta, ObjectReference,
    OwnerReference, Status, StatusCause, StatusDetails,
};
pub use stream::{
    ImageLookupPolicy, ImageStream, ImageStreamSpec, ImageStreamStatus, NamedTagEventList,
    TagEvent, TagEventCondition, TagImportPolicy, TagReference, TagReferencePolicy,
};
pub use value::Value;
pub use views::{ImageStreamImage, ImageStreamTag, ImageTag};

/// The prefix of every annotation holding the crate's own state on the
/// wire (SPEC §13): history limits ([`HISTORY_LIMIT_ANNOTATION`]), content
/// state ([`CONTENT_VERIFIED_ANNOTATION`]), tag policies
/// ([`POLICY_ANNOTATION`], [`POLICY_CHOICE_ANNOTATION`]) and holds
/// ([`HOLD_ANNOTATION`]).
/// Never under `openshift.io`, so OpenShift and `oc` round-trip such
/// annotations untouched, never read them, and no OpenShift key is ever
/// shadowed.
///
/// ```
/// use imagestream::api::{ANNOTATION_PREFIX, CONTENT_VERIFIED_ANNOTATION};
///
/// assert!(CONTENT_VERIFIED_ANNOTATION.starts_with(ANNOTATION_PREFIX));
/// ```
pub const ANNOTATION_PREFIX: &str = "imagestream.rs/";

/// On a stored [`Image`]: `"true"` when its manifest hashes to its name,
/// `"false"` when it came without one. The store writes it (a client's
/// value is overwritten); see [`crate::stream::Content`].
pub const CONTENT_VERIFIED_ANNOTATION: &str = "imagestream.rs/content-verified";
