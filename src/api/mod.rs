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

mod image;
mod import;
mod mapping;
mod meta;
mod stream;
pub(crate) mod time;
mod views;

pub use image::{
    DockerConfig, DockerImageMetadata, Empty, Image, ImageLayer, ImageManifest, ImageSignature,
};
pub use import::{
    ImageImportSpec, ImageImportStatus, ImageStreamImport, ImageStreamImportSpec,
    ImageStreamImportStatus, RepositoryImportSpec, RepositoryImportStatus,
};
pub use mapping::ImageStreamMapping;
pub use meta::{API_VERSION, LocalObjectReference, ObjectMeta, ObjectReference, Status};
pub use stream::{
    ImageLookupPolicy, ImageStream, ImageStreamSpec, ImageStreamStatus, NamedTagEventList,
    TagEvent, TagEventCondition, TagImportPolicy, TagReference, TagReferencePolicy,
};
pub use views::{ImageStreamImage, ImageStreamTag, ImageTag};
