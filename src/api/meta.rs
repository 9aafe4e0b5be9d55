//! Kubernetes `ObjectMeta`: every standard field, and any other field kept
//! as it came.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Value;
use super::time::{self, is_zero, null_as_default};

/// Standard object metadata (`metadata`): every field of Kubernetes'
/// `metav1.ObjectMeta`, and any field it does not know in
/// [`extra`](Self::extra), so an object read from a cluster and written
/// back keeps its finalizers, owners, managed fields and whatever a newer
/// server adds (SPEC §13, "Metadata is lossless").
///
/// Field order follows the Go struct, so output diffs against
/// `oc get -o json` stay small. `creationTimestamp` is always written
/// (`null` when unset), as Kubernetes does.
///
/// ```
/// use imagestream::api::ObjectMeta;
///
/// let json = r#"{"name":"app","finalizers":["x/y"],"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"c","uid":"u","controller":true}],"futureField":{"a":1}}"#;
/// let meta: ObjectMeta = serde_json::from_str(json)?;
/// assert_eq!(meta.finalizers, ["x/y"]);
/// assert!(meta.extra.contains_key("futureField"));
/// let back = serde_json::to_string(&meta)?;
/// assert!(back.contains(r#""futureField":{"a":1}"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    /// When deletion was requested; omitted when unset. Set by the
    /// server only: a store ignores a client's.
    #[serde(with = "time", skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<DateTime<Utc>>,
    /// Seconds the object has to terminate gracefully once deletion was
    /// requested; set by the server with `deletionTimestamp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
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
    /// The objects this one depends on (garbage collection).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub owner_references: Vec<OwnerReference>,
    /// What must happen before the object is deleted.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub finalizers: Vec<String>,
    /// Server-side apply's record of which manager owns which fields.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub managed_fields: Vec<ManagedFieldsEntry>,
    /// Every other field, as it came (written after the standard ones; a
    /// key here that names a standard field would be written twice, so
    /// reading never puts one here).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// An owner of an object (`metadata.ownerReferences[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OwnerReference {
    /// The owner's API version.
    pub api_version: String,
    /// The owner's kind.
    pub kind: String,
    /// The owner's name.
    pub name: String,
    /// The owner's uid.
    pub uid: String,
    /// Whether the owner is the managing controller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controller: Option<bool>,
    /// Whether the owner cannot be deleted before this object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_owner_deletion: Option<bool>,
    /// Any other field, as it came.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One manager's fields (`metadata.managedFields[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ManagedFieldsEntry {
    /// The manager's name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub manager: String,
    /// `Apply` or `Update`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub operation: String,
    /// The API version of the fields' schema.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// When the fields were last changed.
    #[serde(with = "time", skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    /// The format of `fieldsV1` (`FieldsV1`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fields_type: String,
    /// The fields, as a JSON object (`Some(Value::Null)` for an explicit
    /// `null`, `None` when absent).
    #[serde(
        rename = "fieldsV1",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub fields_v1: Option<Value>,
    /// The subresource the fields were written through.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subresource: String,
    /// Any other field, as it came.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A present field as `Some`, even when it is `null` (absent is the
/// field's default, `None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl ObjectMeta {
    /// A rough count of the bytes the metadata holds (for memory budgets).
    #[must_use]
    pub fn approximate_size(&self) -> usize {
        let strings = |m: &BTreeMap<String, String>| -> usize {
            m.iter()
                .map(|(k, v)| k.len() + v.len() + 2 * std::mem::size_of::<String>())
                .sum()
        };
        std::mem::size_of::<Self>()
            + self.name.len()
            + self.generate_name.len()
            + self.namespace.len()
            + self.self_link.len()
            + self.uid.len()
            + self.resource_version.len()
            + strings(&self.labels)
            + strings(&self.annotations)
            + self.finalizers.iter().map(String::len).sum::<usize>()
            + self
                .owner_references
                .iter()
                .map(|o| std::mem::size_of::<OwnerReference>() + o.name.len() + o.uid.len())
                .sum::<usize>()
            + self
                .managed_fields
                .iter()
                .map(|m| {
                    std::mem::size_of::<ManagedFieldsEntry>()
                        + m.fields_v1.as_ref().map_or(0, Value::approximate_size)
                })
                .sum::<usize>()
            + self
                .extra
                .iter()
                .map(|(k, v)| k.len() + v.approximate_size())
                .sum::<usize>()
    }
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

/// A Kubernetes `Status` (`metav1.Status`: the result of an import).
///
/// Written as Go writes it: `kind` and `apiVersion` when set, `metadata`
/// always (Go's `omitempty` never omits a struct, so an import's
/// `status.images[].status` reads `{"metadata":{},"status":"Success"}`),
/// `details` when present.
///
/// ```
/// use imagestream::api::Status;
///
/// let ok = r#"{"metadata":{},"status":"Success"}"#;
/// assert_eq!(serde_json::to_string(&serde_json::from_str::<Status>(ok)?)?, ok);
/// assert_eq!(serde_json::to_string(&Status::default())?, r#"{"metadata":{}}"#);
/// let failed = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"m","reason":"NotFound","details":{"name":"x","kind":"images","causes":[{"reason":"FieldValueInvalid","field":"spec"}],"retryAfterSeconds":2},"code":404}"#;
/// let status: Status = serde_json::from_str(failed)?;
/// assert_eq!(status.details.as_ref().map(|d| d.causes.len()), Some(1));
/// assert_eq!(serde_json::to_string(&status)?, failed);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Status {
    /// `Status`, when the server writes the type (a top-level status).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `v1`, with `kind`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// List metadata (empty in an import's statuses).
    pub metadata: ListMeta,
    /// `Success` or `Failure`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// A human-readable description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// A machine-readable reason (`NotFound`, `Unauthorized`, …).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// More about the failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<StatusDetails>,
    /// The HTTP status code.
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub code: i32,
}

/// List metadata (`metav1.ListMeta`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListMeta {
    /// Deprecated self link.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub self_link: String,
    /// The list's resource version.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    /// The token for the next page.
    #[serde(rename = "continue", skip_serializing_if = "String::is_empty")]
    pub continue_: String,
    /// How many items the list has beyond this page, when the server says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_item_count: Option<i64>,
}

/// What a failed [`Status`] is about (`metav1.StatusDetails`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatusDetails {
    /// The object's name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The object's API group.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// The object's kind (or resource).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The object's uid.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// The individual causes.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub causes: Vec<StatusCause>,
    /// Seconds to wait before retrying.
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub retry_after_seconds: i32,
}

/// One cause of a failure (`metav1.StatusCause`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatusCause {
    /// A machine-readable cause (`FieldValueInvalid`, …).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// A human-readable description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The field at fault, e.g. `spec.tags[0].name`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero_i32(n: &i32) -> bool {
    *n == 0
}

/// `apiVersion` of the image API objects.
pub const API_VERSION: &str = "image.openshift.io/v1";
