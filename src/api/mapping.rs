//! `ImageStreamMapping`: what the registry sends when an image is pushed.

use serde::{Deserialize, Serialize};

use super::image::Image;
use super::meta::ObjectMeta;

/// Tags `image` into the stream named by `metadata` as `tag`, creating the
/// image if it does not exist. Create-only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageStreamMapping {
    /// `image.openshift.io/v1` (older documents say `v1`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `ImageStreamMapping`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The stream's name and namespace.
    pub metadata: ObjectMeta,
    /// The image to tag.
    pub image: Image,
    /// The tag to set.
    pub tag: String,
}
