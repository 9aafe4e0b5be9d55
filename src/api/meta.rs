//! The subset of Kubernetes `ObjectMeta` that image objects use.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::time::{self, is_zero, null_as_default};

/// Standard object metadata (`metadata`), the fields image objects use.
///
/// Field order follows the Go struct, so output diffs against
/// `oc get -o json` stay small. `creationTimestamp` is always written
/// (`null` when unset), as Kubernetes does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectMeta {
    /// The object's name, unique within its namespace.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// A prefix the server completes into a unique name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub generate_name: String,
    /// The namespace (project); empty for cluster-scoped objects such as
    /// images.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Deprecated self link. Also read from `selflink`, the spelling of the
    /// OpenShift documentation's example.
    #[serde(skip_serializing_if = "String::is_empty", alias = "selflink")]
    pub self_link: String,
    /// The server-assigned unique id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// Opaque version for optimistic concurrency.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    /// Generation of the desired state; bumped by the server on spec changes.
    #[serde(skip_serializing_if = "is_zero")]
    pub generation: i64,
    /// When the object was created; `null` when unset.
    #[serde(with = "time")]
    pub creation_timestamp: Option<DateTime<Utc>>,
    /// When deletion was requested; omitted when unset.
    #[serde(with = "time", skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<DateTime<Utc>>,
    /// Labels.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub annotations: BTreeMap<String, String>,
}

/// A reference to another object (`from` of a spec tag or an import).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectReference {
    /// `DockerImage`, `ImageStreamTag` or `ImageStreamImage`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The namespace of the referent; empty means the referrer's.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// The referent's name: a pull spec, `stream:tag` or `stream@id`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The referent's uid.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// The referent's API version.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// The referent's resource version.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    /// A field path within the referent.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field_path: String,
}

impl ObjectReference {
    /// A reference of `kind` to `name` (in the referrer's namespace).
    #[must_use]
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            name: name.into(),
            ..Self::default()
        }
    }
}

/// A reference by name only (`to` of an image import).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LocalObjectReference {
    /// The name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// A Kubernetes `Status` (result of an import).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Status {
    /// `Success` or `Failure`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// A human-readable description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// A machine-readable reason (`NotFound`, `Unauthorized`, …).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The HTTP status code.
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub code: i32,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero_i32(n: &i32) -> bool {
    *n == 0
}

/// `apiVersion` of the image API objects.
pub const API_VERSION: &str = "image.openshift.io/v1";
