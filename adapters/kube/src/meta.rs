//! `metadata` both ways: `imagestream`'s [`api::ObjectMeta`] and
//! k8s-openapi's [`ObjectMeta`](K8sMeta).
//!
//! Every field k8s-openapi's type has, ours has too, so
//! [`from_k8s`] loses nothing. Ours also keeps fields no Kubernetes
//! release it knows has (its `extra` maps, at the top and in each owner
//! reference and managed-fields entry); [`to_k8s`] cannot put those
//! anywhere, and [`Residue`] keeps them so [`merge`](Residue::merge)
//! gives the original back. [`Object`](crate::Object) does that for you.
//!
//! Two representational differences, both invisible on the wire the API
//! server writes: k8s-openapi tells an absent string, list or map (`None`)
//! from an empty one (`Some("")`), ours does not (the server omits both);
//! and `generation: 0` is absent in ours. k8s-openapi's times (jiff's)
//! end at `9999-12-30T22:00:00.999999999Z`, a day before RFC 3339's and
//! Go's: a later time saturates there in [`to_k8s`], and [`Residue`] keeps
//! the original, so a cluster's `9999-12-31T23:59:59Z` comes back as it
//! was.

use std::collections::BTreeMap;

use imagestream::api::{self, Value};
use imagestream::chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    FieldsV1, ManagedFieldsEntry, ObjectMeta as K8sMeta, OwnerReference, Time,
};
use k8s_openapi::jiff::Timestamp;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// Ours into k8s-openapi's: every field both have. What only ours can
/// hold (the `extra` maps) is left out; keep it with [`Residue::of`].
///
/// ```
/// use imagestream::api;
///
/// let mut ours = api::ObjectMeta::default();
/// ours.name = "python".into();
/// ours.namespace = "ci".into();
/// ours.labels.insert("app".into(), "web".into());
/// let theirs = imagestream_kube::meta::to_k8s(&ours);
/// assert_eq!(theirs.name.as_deref(), Some("python"));
/// assert_eq!(theirs.uid, None); // empty is absent
/// assert_eq!(imagestream_kube::meta::from_k8s(&theirs), ours);
/// ```
#[must_use]
pub fn to_k8s(meta: &api::ObjectMeta) -> K8sMeta {
    K8sMeta {
        annotations: map(&meta.annotations),
        creation_timestamp: meta.creation_timestamp.map(time_to_k8s),
        deletion_grace_period_seconds: meta.deletion_grace_period_seconds,
        deletion_timestamp: meta.deletion_timestamp.map(time_to_k8s),
        finalizers: list(&meta.finalizers),
        generate_name: string(&meta.generate_name),
        generation: (meta.generation != 0).then_some(meta.generation),
        labels: map(&meta.labels),
        managed_fields: (!meta.managed_fields.is_empty()).then(|| {
            meta.managed_fields
                .iter()
                .map(|m| ManagedFieldsEntry {
                    api_version: string(&m.api_version),
                    fields_type: string(&m.fields_type),
                    fields_v1: m.fields_v1.as_ref().map(|v| FieldsV1(value_to_json(v))),
                    manager: string(&m.manager),
                    operation: string(&m.operation),
                    subresource: string(&m.subresource),
                    time: m.time.map(time_to_k8s),
                })
                .collect()
        }),
        name: string(&meta.name),
        namespace: string(&meta.namespace),
        owner_references: (!meta.owner_references.is_empty()).then(|| {
            meta.owner_references
                .iter()
                .map(|o| OwnerReference {
                    api_version: o.api_version.clone(),
                    block_owner_deletion: o.block_owner_deletion,
                    controller: o.controller,
                    kind: o.kind.clone(),
                    name: o.name.clone(),
                    uid: o.uid.clone(),
                })
                .collect()
        }),
        resource_version: string(&meta.resource_version),
        self_link: string(&meta.self_link),
        uid: string(&meta.uid),
    }
}

/// k8s-openapi's into ours: every field.
#[must_use]
pub fn from_k8s(meta: &K8sMeta) -> api::ObjectMeta {
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    api::ObjectMeta {
        name: s(&meta.name),
        generate_name: s(&meta.generate_name),
        namespace: s(&meta.namespace),
        self_link: s(&meta.self_link),
        uid: s(&meta.uid),
        resource_version: s(&meta.resource_version),
        generation: meta.generation.unwrap_or(0),
        creation_timestamp: meta.creation_timestamp.as_ref().map(time_from_k8s),
        deletion_timestamp: meta.deletion_timestamp.as_ref().map(time_from_k8s),
        deletion_grace_period_seconds: meta.deletion_grace_period_seconds,
        labels: meta.labels.clone().unwrap_or_default(),
        annotations: meta.annotations.clone().unwrap_or_default(),
        finalizers: meta.finalizers.clone().unwrap_or_default(),
        owner_references: meta
            .owner_references
            .iter()
            .flatten()
            .map(|o| api::OwnerReference {
                api_version: o.api_version.clone(),
                kind: o.kind.clone(),
                name: o.name.clone(),
                uid: o.uid.clone(),
                controller: o.controller,
                block_owner_deletion: o.block_owner_deletion,
                extra: BTreeMap::new(),
            })
            .collect(),
        managed_fields: meta
            .managed_fields
            .iter()
            .flatten()
            .map(|m| api::ManagedFieldsEntry {
                manager: s(&m.manager),
                operation: s(&m.operation),
                api_version: s(&m.api_version),
                time: m.time.as_ref().map(time_from_k8s),
                fields_type: s(&m.fields_type),
                fields_v1: m.fields_v1.as_ref().map(|f| value_from_json(&f.0)),
                subresource: s(&m.subresource),
                extra: BTreeMap::new(),
            })
            .collect(),
        extra: BTreeMap::new(),
    }
}

/// What of our metadata k8s-openapi's cannot hold: the unknown fields at
/// the top, and those of each owner reference and managed-fields entry
/// (matched back by position and identity, so entries added, removed or
/// reordered in between simply get none), and the times past
/// k8s-openapi's last (restored only while the saturated time stands).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Residue {
    extra: BTreeMap<String, Value>,
    /// `creationTimestamp`, when k8s-openapi's range cannot hold it.
    creation: Option<DateTime<Utc>>,
    /// `deletionTimestamp`, likewise.
    deletion: Option<DateTime<Utc>>,
    /// (uid, extra) per owner reference, by position.
    owners: Vec<(String, BTreeMap<String, Value>)>,
    /// What each managed-fields entry keeps, by position.
    managers: Vec<KeptManager>,
}

/// The residue of one managed-fields entry, and what identifies it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct KeptManager {
    manager: String,
    operation: String,
    time: Option<DateTime<Utc>>,
    extra: BTreeMap<String, Value>,
}

impl Residue {
    /// The parts of `meta` that [`to_k8s`] leaves out.
    #[must_use]
    pub fn of(meta: &api::ObjectMeta) -> Self {
        let owners = meta
            .owner_references
            .iter()
            .map(|o| (o.uid.clone(), o.extra.clone()))
            .collect::<Vec<_>>();
        let managers = meta
            .managed_fields
            .iter()
            .map(|m| KeptManager {
                manager: m.manager.clone(),
                operation: m.operation.clone(),
                time: unheld(m.time),
                extra: m.extra.clone(),
            })
            .collect::<Vec<_>>();
        let creation = unheld(meta.creation_timestamp);
        let deletion = unheld(meta.deletion_timestamp);
        let nothing = meta.extra.is_empty()
            && creation.is_none()
            && deletion.is_none()
            && owners.iter().all(|(_, e)| e.is_empty())
            && managers
                .iter()
                .all(|m| m.extra.is_empty() && m.time.is_none());
        if nothing {
            return Self::default();
        }
        Self {
            extra: meta.extra.clone(),
            creation,
            deletion,
            owners,
            managers,
        }
    }

    /// Whether there is nothing to keep (the usual case).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// `meta` (from [`from_k8s`]) with the kept fields put back.
    #[must_use]
    pub fn merge(&self, mut meta: api::ObjectMeta) -> api::ObjectMeta {
        if self.is_empty() {
            return meta;
        }
        for (key, value) in &self.extra {
            meta.extra
                .entry(key.clone())
                .or_insert_with(|| value.clone());
        }
        restore(&mut meta.creation_timestamp, self.creation);
        restore(&mut meta.deletion_timestamp, self.deletion);
        for (owner, (uid, extra)) in meta.owner_references.iter_mut().zip(&self.owners) {
            if &owner.uid == uid {
                owner.extra.clone_from(extra);
            }
        }
        for (entry, kept) in meta.managed_fields.iter_mut().zip(&self.managers) {
            if entry.manager == kept.manager && entry.operation == kept.operation {
                entry.extra.clone_from(&kept.extra);
                restore(&mut entry.time, kept.time);
            }
        }
        meta
    }
}

/// `t` as it comes back from k8s-openapi's range.
fn saturated(t: DateTime<Utc>) -> DateTime<Utc> {
    time_from_k8s(&time_to_k8s(t))
}

/// `t` when k8s-openapi cannot hold it (it would come back saturated).
fn unheld(t: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    t.filter(|t| saturated(*t) != *t)
}

/// Puts the kept time back, unless the saturated one was changed since.
fn restore(slot: &mut Option<DateTime<Utc>>, kept: Option<DateTime<Utc>>) {
    if let Some(kept) = kept
        && *slot == Some(saturated(kept))
    {
        *slot = Some(kept);
    }
}

fn string(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn list(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn map(m: &BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    (!m.is_empty()).then(|| m.clone())
}

/// A chrono time as k8s-openapi's (jiff), saturating outside jiff's range
/// (`-009999-01-02T01:59:59Z` to `9999-12-30T22:00:00.999999999Z`;
/// [`Residue`] keeps what saturated).
#[must_use]
pub fn time_to_k8s(t: DateTime<Utc>) -> Time {
    // chrono splits a time into floored seconds and non-negative
    // nanoseconds; jiff truncates toward zero: go through the total.
    let total = i128::from(t.timestamp()) * NANOS + i128::from(t.timestamp_subsec_nanos());
    Time(Timestamp::from_nanosecond(total).unwrap_or(if total < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    }))
}

/// k8s-openapi's time (jiff) as chrono's: jiff's range is inside
/// chrono's, so nothing is lost.
#[must_use]
pub fn time_from_k8s(t: &Time) -> DateTime<Utc> {
    let total = t.0.as_nanosecond();
    let secs = i64::try_from(total.div_euclid(NANOS)).unwrap_or_default();
    // rem_euclid of 10^9 is in 0..10^9, which fits a u32.
    let nanos = u32::try_from(total.rem_euclid(NANOS)).unwrap_or_default();
    DateTime::from_timestamp(secs, nanos).unwrap_or_default()
}

const NANOS: i128 = 1_000_000_000;

/// Our JSON value as `serde_json`'s. A float JSON cannot write (NaN, an
/// infinity; only YAML has them) becomes `null`, as `serde_json` writes it.
#[must_use]
pub fn value_to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Unsigned(n) => serde_json::Value::from(*n),
        Value::Negative(n) => serde_json::Value::from(*n),
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(value_to_json).collect()),
        Value::Object(o) => serde_json::Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), value_to_json(v)))
                .collect(),
        ),
    }
}

/// `serde_json`'s value as ours, number kinds kept.
#[must_use]
pub fn value_from_json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::Unsigned(u)
            } else if let Some(i) = n.as_i64() {
                Value::Negative(i)
            } else {
                Value::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(value_from_json).collect()),
        serde_json::Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), value_from_json(v)))
                .collect(),
        ),
    }
}

/// k8s-openapi's metadata, written exactly as ours writes the same fields
/// (field order, omissions, times), without converting it first: how an
/// [`Object`](crate::Object) without residue serializes.
pub(crate) struct View<'a>(pub(crate) &'a K8sMeta);

/// An RFC 3339 time as ours writes it: whole seconds, `Z`.
struct Rfc3339<'a>(&'a Time);

impl Serialize for Rfc3339<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The core's own format (its `time` module).
        s.serialize_str(
            &time_from_k8s(self.0).to_rfc3339_opts(imagestream::chrono::SecondsFormat::Secs, true),
        )
    }
}

fn some_text(o: Option<&String>) -> Option<&String> {
    o.filter(|s| !s.is_empty())
}

impl Serialize for View<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = self.0;
        let mut map = s.serialize_map(None)?;
        for (key, value) in [
            ("name", &m.name),
            ("generateName", &m.generate_name),
            ("namespace", &m.namespace),
            ("selfLink", &m.self_link),
            ("uid", &m.uid),
            ("resourceVersion", &m.resource_version),
        ] {
            if let Some(v) = some_text(value.as_ref()) {
                map.serialize_entry(key, v)?;
            }
        }
        if let Some(g) = m.generation.filter(|g| *g != 0) {
            map.serialize_entry("generation", &g)?;
        }
        map.serialize_entry(
            "creationTimestamp",
            &m.creation_timestamp.as_ref().map(Rfc3339),
        )?;
        if let Some(t) = &m.deletion_timestamp {
            map.serialize_entry("deletionTimestamp", &Rfc3339(t))?;
        }
        if let Some(g) = m.deletion_grace_period_seconds {
            map.serialize_entry("deletionGracePeriodSeconds", &g)?;
        }
        for (key, value) in [("labels", &m.labels), ("annotations", &m.annotations)] {
            if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                map.serialize_entry(key, v)?;
            }
        }
        if let Some(owners) = m.owner_references.as_ref().filter(|v| !v.is_empty()) {
            map.serialize_entry("ownerReferences", &Owners(owners))?;
        }
        if let Some(f) = m.finalizers.as_ref().filter(|v| !v.is_empty()) {
            map.serialize_entry("finalizers", f)?;
        }
        if let Some(managers) = m.managed_fields.as_ref().filter(|v| !v.is_empty()) {
            map.serialize_entry("managedFields", &Managers(managers))?;
        }
        map.end()
    }
}

struct Owners<'a>(&'a [OwnerReference]);

impl Serialize for Owners<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|o| {
            // Ours writes the four names always, the two flags when set.
            OwnerView(o)
        }))
    }
}

struct OwnerView<'a>(&'a OwnerReference);

impl Serialize for OwnerView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("apiVersion", &o.api_version)?;
        map.serialize_entry("kind", &o.kind)?;
        map.serialize_entry("name", &o.name)?;
        map.serialize_entry("uid", &o.uid)?;
        if let Some(c) = o.controller {
            map.serialize_entry("controller", &c)?;
        }
        if let Some(b) = o.block_owner_deletion {
            map.serialize_entry("blockOwnerDeletion", &b)?;
        }
        map.end()
    }
}

struct Managers<'a>(&'a [ManagedFieldsEntry]);

impl Serialize for Managers<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(ManagerView))
    }
}

struct ManagerView<'a>(&'a ManagedFieldsEntry);

impl Serialize for ManagerView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut map = s.serialize_map(None)?;
        for (key, value) in [
            ("manager", &e.manager),
            ("operation", &e.operation),
            ("apiVersion", &e.api_version),
        ] {
            if let Some(v) = some_text(value.as_ref()) {
                map.serialize_entry(key, v)?;
            }
        }
        if let Some(t) = &e.time {
            map.serialize_entry("time", &Rfc3339(t))?;
        }
        if let Some(v) = some_text(e.fields_type.as_ref()) {
            map.serialize_entry("fieldsType", v)?;
        }
        if let Some(f) = &e.fields_v1 {
            map.serialize_entry("fieldsV1", &f.0)?;
        }
        if let Some(v) = some_text(e.subresource.as_ref()) {
            map.serialize_entry("subresource", v)?;
        }
        map.end()
    }
}
