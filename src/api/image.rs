//! `Image` (cluster-scoped) and its metadata.

// Docker's `ExposedPorts` and `Volumes` are maps whose values are `{}`.
#![allow(clippy::zero_sized_map_values)]

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::meta::ObjectMeta;
use super::time::{self, is_false, is_zero, null_as_default};

/// An image: its name is its manifest digest (`sha256:…`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Image {
    /// `image.openshift.io/v1`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `Image`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Standard metadata; `name` is the digest.
    pub metadata: ObjectMeta,
    /// Where the image can be pulled from.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub docker_image_reference: String,
    /// The image's config, as Docker describes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker_image_metadata: Option<DockerImageMetadata>,
    /// The metadata's version; empty means `1.0`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub docker_image_metadata_version: String,
    /// The raw manifest JSON (usually cleared by the server).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub docker_image_manifest: String,
    /// Layers, oldest first (not set for manifest lists).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub docker_image_layers: Vec<ImageLayer>,
    /// Signatures.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub signatures: Vec<ImageSignature>,
    /// Raw signatures (base64 on the wire).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub docker_image_signatures: Vec<String>,
    /// The manifest's media type.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub docker_image_manifest_media_type: String,
    /// The raw config JSON (usually cleared by the server).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub docker_image_config: String,
    /// For manifest lists: the child manifests.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub docker_image_manifests: Vec<ImageManifest>,
}

/// One layer of an image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageLayer {
    /// The layer's digest.
    pub name: String,
    /// Its size in bytes.
    pub size: i64,
    /// Its media type.
    pub media_type: String,
}

/// One child manifest of a manifest list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageManifest {
    /// The child's digest.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// Its manifest's size in bytes.
    pub manifest_size: i64,
    /// CPU architecture (`amd64`, …).
    pub architecture: String,
    /// Operating system (`linux`, …).
    pub os: String,
    /// CPU variant (`v8`, …).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub variant: String,
}

/// An image signature (the fields `oc describe` shows).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageSignature {
    /// Standard metadata; `name` is `<image>@<signature id>`.
    pub metadata: ObjectMeta,
    /// The signature type (`atomic`).
    #[serde(rename = "type")]
    pub type_: String,
    /// The signature blob (base64 on the wire).
    pub content: String,
    /// The identity the signature claims.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_identity: String,
    /// Claims of the signature.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub signed_claims: BTreeMap<String, String>,
    /// When the signature was created.
    #[serde(with = "time", skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
}

/// Docker's image description (`dockerImageMetadata`), version 1.0.
///
/// Reads `apiVersion: "1.0"` (old documents), `image.openshift.io/1.0`
/// (today's server) and the pre-0.12 lowercase keys (`id`, `parent`,
/// `container_config`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DockerImageMetadata {
    /// `DockerImage`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `image.openshift.io/1.0` or `1.0`.
    #[serde(rename = "apiVersion", skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// The image id (config digest hex).
    #[serde(rename = "Id", alias = "id")]
    pub id: String,
    /// The parent image id.
    #[serde(
        rename = "Parent",
        alias = "parent",
        skip_serializing_if = "String::is_empty"
    )]
    pub parent: String,
    /// A comment.
    #[serde(
        rename = "Comment",
        alias = "comment",
        skip_serializing_if = "String::is_empty"
    )]
    pub comment: String,
    /// When the image was built; `null` when unset.
    #[serde(rename = "Created", alias = "created", with = "time")]
    pub created: Option<DateTime<Utc>>,
    /// The build container.
    #[serde(
        rename = "Container",
        alias = "container",
        skip_serializing_if = "String::is_empty"
    )]
    pub container: String,
    /// The build container's config. Always written.
    #[serde(rename = "ContainerConfig", alias = "container_config")]
    pub container_config: DockerConfig,
    /// The Docker version that built it.
    #[serde(
        rename = "DockerVersion",
        alias = "docker_version",
        skip_serializing_if = "String::is_empty"
    )]
    pub docker_version: String,
    /// The author.
    #[serde(
        rename = "Author",
        alias = "author",
        skip_serializing_if = "String::is_empty"
    )]
    pub author: String,
    /// The runtime config.
    #[serde(
        rename = "Config",
        alias = "config",
        skip_serializing_if = "Option::is_none"
    )]
    pub config: Option<DockerConfig>,
    /// The CPU architecture.
    #[serde(
        rename = "Architecture",
        alias = "architecture",
        skip_serializing_if = "String::is_empty"
    )]
    pub architecture: String,
    /// The image size in bytes, as the server computes it.
    #[serde(rename = "Size", alias = "size", skip_serializing_if = "is_zero")]
    pub size: i64,
}

/// An empty JSON object (the values of `ExposedPorts` and `Volumes`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// A container config, as Docker 1.x describes it (every key optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(clippy::struct_excessive_bools, clippy::zero_sized_map_values)] // mirrors Docker's JSON (`{}` values)
pub struct DockerConfig {
    /// Hostname.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    /// Domain name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domainname: String,
    /// User.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Memory limit.
    #[serde(skip_serializing_if = "is_zero")]
    pub memory: i64,
    /// Memory plus swap limit.
    #[serde(skip_serializing_if = "is_zero")]
    pub memory_swap: i64,
    /// CPU shares.
    #[serde(skip_serializing_if = "is_zero")]
    pub cpu_shares: i64,
    /// CPU set.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cpuset: String,
    /// Attach stdin.
    #[serde(skip_serializing_if = "is_false")]
    pub attach_stdin: bool,
    /// Attach stdout.
    #[serde(skip_serializing_if = "is_false")]
    pub attach_stdout: bool,
    /// Attach stderr.
    #[serde(skip_serializing_if = "is_false")]
    pub attach_stderr: bool,
    /// Port specs.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub port_specs: Vec<String>,
    /// Exposed ports (`8080/tcp`).
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub exposed_ports: BTreeMap<String, Empty>,
    /// Allocate a TTY.
    #[serde(skip_serializing_if = "is_false")]
    pub tty: bool,
    /// Keep stdin open.
    #[serde(skip_serializing_if = "is_false")]
    pub open_stdin: bool,
    /// Close stdin after one attach.
    #[serde(skip_serializing_if = "is_false")]
    pub stdin_once: bool,
    /// Environment (`KEY=value`).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub env: Vec<String>,
    /// Command.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub cmd: Vec<String>,
    /// DNS servers.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub dns: Vec<String>,
    /// The image the container ran.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image: String,
    /// Volumes.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub volumes: BTreeMap<String, Empty>,
    /// Volumes from another container.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub volumes_from: String,
    /// Working directory.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    /// Entrypoint.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub entrypoint: Vec<String>,
    /// Networking disabled.
    #[serde(skip_serializing_if = "is_false")]
    pub network_disabled: bool,
    /// Security options.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub security_opts: Vec<String>,
    /// Build triggers.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub on_build: Vec<String>,
    /// Labels.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub labels: BTreeMap<String, String>,
}
