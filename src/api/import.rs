//! `ImageStreamImport`: ask the server to import images into a stream.

use serde::{Deserialize, Serialize};

use super::image::Image;
use super::meta::{LocalObjectReference, ObjectMeta, ObjectReference, Status};
use super::stream::{ImageStream, TagImportPolicy, TagReferencePolicy};
use super::time::{is_false, null_as_default};

/// An import request and, once run, its results. Create-only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageStreamImport {
    /// `image.openshift.io/v1`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `ImageStreamImport`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The target stream's name and namespace.
    pub metadata: ObjectMeta,
    /// What to import.
    pub spec: ImageStreamImportSpec,
    /// What was imported.
    pub status: ImageStreamImportStatus,
}

/// What to import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageStreamImportSpec {
    /// Write the results into the stream (false: dry run).
    pub import: bool,
    /// A whole repository to import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<RepositoryImportSpec>,
    /// Single images to import.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub images: Vec<ImageImportSpec>,
}

/// One image to import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageImportSpec {
    /// The source (kind `DockerImage`).
    pub from: ObjectReference,
    /// The tag to write; defaults to the source's tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<LocalObjectReference>,
    /// How to import.
    pub import_policy: TagImportPolicy,
    /// How to resolve the result.
    pub reference_policy: TagReferencePolicy,
    /// Return the manifest too.
    #[serde(skip_serializing_if = "is_false")]
    pub include_manifest: bool,
}

/// A repository to import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RepositoryImportSpec {
    /// The source (kind `DockerImage`, no tag or id).
    pub from: ObjectReference,
    /// How to import.
    pub import_policy: TagImportPolicy,
    /// How to resolve the results.
    pub reference_policy: TagReferencePolicy,
    /// Return the manifests too.
    #[serde(skip_serializing_if = "is_false")]
    pub include_manifest: bool,
}

/// The results of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageStreamImportStatus {
    /// The stream after the import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import: Option<ImageStream>,
    /// The repository import's result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<RepositoryImportStatus>,
    /// Each image import's result, in spec order.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub images: Vec<ImageImportStatus>,
}

/// One image import's result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageImportStatus {
    /// Success or the failure.
    pub status: Status,
    /// The imported image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// The tag written.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tag: String,
    /// For manifest lists: the children.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub manifests: Vec<Image>,
}

/// A repository import's result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RepositoryImportStatus {
    /// Success or the failure.
    pub status: Status,
    /// Each image's result.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub images: Vec<ImageImportStatus>,
    /// Tags not imported because of the limit.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub additional_tags: Vec<String>,
}
