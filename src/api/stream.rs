//! `ImageStream` and its parts (`image.openshift.io/v1`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::meta::{ObjectMeta, ObjectReference};
use super::time::{self, is_false, null_as_default, null_vec};

/// An image stream: a named, versioned view of container images.
///
/// Read leniently (unknown fields ignored, `null` lists accepted) and
/// written the way the server writes it (tags sorted by name, Go's field
/// order and null rules); see [`ImageStream::normalize`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageStream {
    /// `image.openshift.io/v1` (older documents say `v1`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `ImageStream`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// The desired state: spec tags and the lookup policy.
    pub spec: ImageStreamSpec,
    /// The observed state: tag histories.
    pub status: ImageStreamStatus,
}

/// The desired state of an image stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageStreamSpec {
    /// Whether short references in this namespace resolve through the
    /// stream. Always written.
    pub lookup_policy: ImageLookupPolicy,
    /// Deprecated: an external repository the whole stream is backed by.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub docker_image_repository: String,
    /// The spec tags.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub tags: Vec<TagReference>,
}

/// `spec.lookupPolicy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageLookupPolicy {
    /// Short references (`mysql`, `php:latest`) resolve to the image.
    pub local: bool,
}

/// A spec tag: where a tag's image comes from and how it is imported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TagReference {
    /// The tag name.
    pub name: String,
    /// Annotations; written as `null` when unset.
    pub annotations: Option<BTreeMap<String, String>>,
    /// The source: `DockerImage`, `ImageStreamTag` or `ImageStreamImage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<ObjectReference>,
    /// Use the source as given; never import it.
    #[serde(skip_serializing_if = "is_false")]
    pub reference: bool,
    /// The stream generation this tag was last changed at; written as
    /// `null` when unset. 0 asks for a re-import.
    pub generation: Option<i64>,
    /// How the tag is imported. Always written.
    pub import_policy: TagImportPolicy,
    /// How the tag's pull spec is resolved. Always written.
    pub reference_policy: TagReferencePolicy,
}

/// `importPolicy` of a spec tag or an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TagImportPolicy {
    /// Allow plain HTTP and unverified TLS.
    #[serde(skip_serializing_if = "is_false")]
    pub insecure: bool,
    /// Re-import periodically.
    #[serde(skip_serializing_if = "is_false")]
    pub scheduled: bool,
    /// `Legacy` or `PreserveOriginal` (empty means the cluster default).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub import_mode: String,
}

/// `referencePolicy` of a spec tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TagReferencePolicy {
    /// `Source` or `Local` (empty is defaulted to `Source` by the server).
    #[serde(rename = "type")]
    pub type_: String,
}

/// The observed state of an image stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageStreamStatus {
    /// Where images can be pushed to add them to this stream. Always written.
    pub docker_image_repository: String,
    /// The same, from outside the cluster.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub public_docker_image_repository: String,
    /// Per-tag histories.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub tags: Vec<NamedTagEventList>,
}

/// One tag's history (`status.tags[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NamedTagEventList {
    /// The tag name.
    pub tag: String,
    /// The history, newest first; item 0 is the current image. Written as
    /// `null` when empty (a tag with only a failure condition).
    #[serde(with = "null_vec")]
    pub items: Vec<TagEvent>,
    /// Import conditions.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub conditions: Vec<TagEventCondition>,
}

/// One entry of a tag's history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TagEvent {
    /// When the entry was created; `null` when unset.
    #[serde(with = "time")]
    pub created: Option<DateTime<Utc>>,
    /// The pull spec of the image.
    pub docker_image_reference: String,
    /// The image name (a digest); empty for reference tags.
    pub image: String,
    /// The stream generation that produced this entry.
    pub generation: i64,
}

/// A condition on a tag (only `ImportSuccess` exists).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TagEventCondition {
    /// `ImportSuccess`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// When the status last changed; `null` when unset.
    #[serde(with = "time")]
    pub last_transition_time: Option<DateTime<Utc>>,
    /// Why, in one word.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Why, for a human.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The stream generation this condition applies to.
    pub generation: i64,
}

impl ImageStream {
    /// Applies the server's output rules in place: spec and status tags
    /// sorted by name, a duplicate name keeping its last entry (§2.7), and
    /// an empty reference policy defaulted to `Source` (§2.8).
    pub fn normalize(&mut self) {
        dedup_last_wins(&mut self.spec.tags, |t| &t.name);
        dedup_last_wins(&mut self.status.tags, |t| &t.tag);
        for t in &mut self.spec.tags {
            if t.reference_policy.type_.is_empty() {
                "Source".clone_into(&mut t.reference_policy.type_);
            }
        }
    }
}

/// Sorts by key; for equal keys only the last in input order survives.
/// Input that is already sorted and unique (what servers write) is left
/// alone without allocating.
pub(crate) fn dedup_last_wins<T>(v: &mut Vec<T>, key: impl Fn(&T) -> &str) {
    if v.windows(2).all(|w| key(&w[0]) < key(&w[1])) {
        return;
    }
    let mut by_key: BTreeMap<String, T> = BTreeMap::new();
    for item in v.drain(..) {
        by_key.insert(key(&item).to_owned(), item);
    }
    v.extend(by_key.into_values());
}
