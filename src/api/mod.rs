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
//! ```
//! use imagestream::api;
//!
//! let yaml = r#"
//! apiVersion: image.openshift.io/v1
//! kind: ImageStream
//! metadata:
//!   name: origin-ruby-sample
//!   namespace: test
//! status:
//!   dockerImageRepository: 172.30.56.218:5000/test/origin-ruby-sample
//!   tags:
//!   - tag: latest
//!     items:
//!     - created: 2017-09-29T13:40:11Z
//!       dockerImageReference: 172.30.56.218:5000/test/origin-ruby-sample@sha256:909de62d1f609a717ec433cc25ca5cf00941545c83a01fb31527771e1fab3fc5
//!       generation: 1
//!       image: sha256:909de62d1f609a717ec433cc25ca5cf00941545c83a01fb31527771e1fab3fc5
//! "#;
//! let wire: api::ImageStream = serde_saphyr::from_str(yaml)?;
//! assert_eq!(wire.status.tags[0].items.len(), 1);
//! let json = serde_json::to_string(&wire)?;
//! assert!(json.contains(r#""lookupPolicy":{"local":false}"#)); // structs are always written
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
pub use views::{ImageStreamImage, ImageStreamTag};
