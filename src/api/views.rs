//! The `istag` and `isimage` views of a stream.

use serde::{Deserialize, Serialize};

use super::image::Image;
use super::meta::ObjectMeta;
use super::stream::{ImageLookupPolicy, NamedTagEventList, TagEventCondition, TagReference};

/// `ImageStreamTag` (`istag`, named `<stream>:<tag>`): one tag's spec,
/// current image and conditions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageStreamTag {
    /// `image.openshift.io/v1`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `ImageStreamTag`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Standard metadata; `name` is `<stream>:<tag>`.
    pub metadata: ObjectMeta,
    /// The spec tag; `null` when the tag has no spec.
    pub tag: Option<TagReference>,
    /// The generation of the current status event.
    pub generation: i64,
    /// The stream's lookup policy.
    pub lookup_policy: ImageLookupPolicy,
    /// The tag's conditions.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "super::time::null_as_default"
    )]
    pub conditions: Vec<TagEventCondition>,
    /// The current image.
    pub image: Image,
}

/// `ImageStreamImage` (`isimage`, named `<stream>@<id>`): an image as seen
/// through a stream. Get only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageStreamImage {
    /// `image.openshift.io/v1`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `ImageStreamImage`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Standard metadata; `name` is `<stream>@<id>`.
    pub metadata: ObjectMeta,
    /// The image.
    pub image: Image,
}

/// `ImageTag` (`imagetags`, named `<stream>:<tag>`; openshift/api
/// `image/v1`): a newer view of one tag than [`ImageStreamTag`], holding
/// its spec, its whole status (history and conditions) and, when read
/// singly, its current image. Each part is `null` when absent: a tag may
/// have a spec and no status (not imported yet), a status and no spec (a
/// push), and no image (a reference tag, or a list).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageTag {
    /// `image.openshift.io/v1`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `ImageTag`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The stream's metadata, with `name` set to `<stream>:<tag>`.
    pub metadata: ObjectMeta,
    /// The spec tag, if the tag has one.
    pub spec: Option<TagReference>,
    /// The status tag (history and conditions), if the tag has one.
    pub status: Option<NamedTagEventList>,
    /// The current image, with the pull spec resolved for the reference
    /// policy and without manifest and config; `None` in lists and for
    /// tags without an image.
    pub image: Option<Image>,
}
