//! `metadata` both ways, over generated values: ours → k8s-openapi's →
//! ours is the identity (the residue keeps what only ours holds), and an
//! `Object`'s JSON is the `api` object's own.

use std::collections::BTreeMap;

use imagestream::api::{self, ManagedFieldsEntry, ObjectMeta, OwnerReference, Value};
use imagestream::chrono::{DateTime, Utc};
use imagestream::strategy::{StreamSize, api_image_stream};
use imagestream_kube::meta::{Residue, from_k8s, time_from_k8s, time_to_k8s, to_k8s};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z0-9./-]{1,12}"]
}

fn time() -> impl Strategy<Value = Option<DateTime<Utc>>> {
    // Years 0001..=9999, whole seconds and nanoseconds both; one in four
    // in the last two days, across the end of k8s-openapi's range
    // (9999-12-30T22:00:00.999999999Z), which the residue covers.
    let at = |(s, n)| DateTime::from_timestamp(s, n).expect("in chrono's range");
    option::of(prop_oneof![
        3 => (-62_135_596_800_i64..253_402_300_799, 0u32..1_000_000_000).prop_map(at),
        1 => (253_402_128_000_i64..=253_402_300_799, 0u32..1_000_000_000).prop_map(at),
    ])
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::Unsigned),
        (i64::MIN..0).prop_map(Value::Negative),
        (-1e9f64..1e9).prop_map(Value::Float),
        "[a-z]{0,5}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::Array),
            btree_map("[a-z]{1,4}", inner, 0..3).prop_map(Value::Object),
        ]
    })
}

fn extra() -> impl Strategy<Value = BTreeMap<String, Value>> {
    prop_oneof![
        3 => Just(BTreeMap::new()),
        1 => btree_map("x[a-z]{1,5}", value(), 1..3),
    ]
}

fn owner() -> impl Strategy<Value = OwnerReference> {
    (
        text(),
        text(),
        text(),
        text(),
        option::of(any::<bool>()),
        option::of(any::<bool>()),
        extra(),
    )
        .prop_map(
            |(api_version, kind, name, uid, controller, block, extra)| OwnerReference {
                api_version,
                kind,
                name,
                uid,
                controller,
                block_owner_deletion: block,
                extra,
            },
        )
}

fn manager() -> impl Strategy<Value = ManagedFieldsEntry> {
    (
        text(),
        text(),
        text(),
        time(),
        text(),
        option::of(value()),
        text(),
        extra(),
    )
        .prop_map(
            |(
                manager,
                operation,
                api_version,
                time,
                fields_type,
                fields_v1,
                subresource,
                extra,
            )| {
                ManagedFieldsEntry {
                    manager,
                    operation,
                    api_version,
                    time,
                    fields_type,
                    fields_v1,
                    subresource,
                    extra,
                }
            },
        )
}

fn meta() -> impl Strategy<Value = ObjectMeta> {
    (
        (text(), text(), text(), text(), text(), text(), any::<i64>()),
        (time(), time(), option::of(any::<i64>())),
        (
            btree_map("[a-z]{1,6}", text(), 0..3),
            btree_map("[a-z./]{1,8}", text(), 0..3),
            vec(owner(), 0..3),
            vec("[a-z/.]{1,8}", 0..3),
            vec(manager(), 0..3),
            extra(),
        ),
    )
        .prop_map(|(s, t, m)| ObjectMeta {
            name: s.0,
            generate_name: s.1,
            namespace: s.2,
            self_link: s.3,
            uid: s.4,
            resource_version: s.5,
            generation: s.6,
            creation_timestamp: t.0,
            deletion_timestamp: t.1,
            deletion_grace_period_seconds: t.2,
            labels: m.0,
            annotations: m.1,
            owner_references: m.2,
            finalizers: m.3,
            managed_fields: m.4,
            extra: m.5,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn ours_to_k8s_and_back_is_the_identity(m in meta()) {
        let theirs = to_k8s(&m);
        prop_assert_eq!(Residue::of(&m).merge(from_k8s(&theirs)), m.clone());
        // And k8s-openapi's, as we make it, comes back unchanged.
        prop_assert_eq!(to_k8s(&from_k8s(&theirs)), theirs);
        // Without the residue, only the unknown fields are gone, and
        // times past k8s-openapi's range saturate.
        let saturate = |t: &mut Option<DateTime<Utc>>| {
            *t = t.map(|t| time_from_k8s(&time_to_k8s(t)));
        };
        let mut known = m;
        known.extra.clear();
        saturate(&mut known.creation_timestamp);
        saturate(&mut known.deletion_timestamp);
        known.owner_references.iter_mut().for_each(|o| o.extra.clear());
        known.managed_fields.iter_mut().for_each(|e| {
            e.extra.clear();
            saturate(&mut e.time);
        });
        prop_assert_eq!(from_k8s(&to_k8s(&known)), known);
    }

    #[test]
    fn an_objects_json_is_the_api_objects(
        wire in api_image_stream(StreamSize::new(3, 2)),
        m in meta(),
    ) {
        let mut wire = wire;
        // Times in JSON are whole seconds (as the server writes them).
        let whole = |t: Option<DateTime<Utc>>| t.and_then(|t| DateTime::from_timestamp(t.timestamp(), 0));
        wire.metadata = m;
        wire.metadata.creation_timestamp = whole(wire.metadata.creation_timestamp);
        wire.metadata.deletion_timestamp = whole(wire.metadata.deletion_timestamp);
        for e in &mut wire.metadata.managed_fields {
            e.time = whole(e.time);
        }
        let object = imagestream_kube::ImageStream::new(wire.clone());
        // Byte for byte: same fields, same order (with and without a
        // residue, which take different paths).
        let ours = serde_json::to_string(&wire).unwrap();
        let text = serde_json::to_string(&object).unwrap();
        prop_assert_eq!(&text, &ours);
        let theirs: serde_json::Value = serde_json::from_str(&text).unwrap();
        let back: imagestream_kube::ImageStream = serde_json::from_value(theirs).unwrap();
        prop_assert_eq!(api::ImageStream::from(back), wire);
    }
}

#[test]
fn times_outside_rfc_3339_saturate_instead_of_failing() {
    let far = DateTime::<Utc>::MAX_UTC;
    let t = imagestream_kube::meta::time_to_k8s(far);
    assert_eq!(t.0, imagestream_kube::k8s_openapi::jiff::Timestamp::MAX);
    let early = DateTime::<Utc>::MIN_UTC;
    let t = imagestream_kube::meta::time_to_k8s(early);
    assert_eq!(t.0, imagestream_kube::k8s_openapi::jiff::Timestamp::MIN);
}

#[test]
fn a_time_past_k8s_openapis_range_comes_back_as_the_cluster_sent_it() {
    // Go and RFC 3339 go to 9999-12-31T23:59:59Z; jiff stops 26 hours
    // before. The residue keeps the original.
    let json = r#"{"apiVersion":"image.openshift.io/v1","kind":"ImageStream","metadata":{"name":"a","creationTimestamp":"9999-12-31T23:59:59Z","deletionTimestamp":"9999-12-30T22:00:01Z","managedFields":[{"manager":"m","operation":"Update","time":"9999-12-31T00:00:00Z"}]},"spec":{"lookupPolicy":{"local":false}},"status":{"dockerImageRepository":""}}"#;
    let object: imagestream_kube::ImageStream = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_string(&object).unwrap(), json);
    let ours: api::ImageStream = serde_json::from_str(json).unwrap();
    assert_eq!(object.to_inner(), ours);
    // k8s-openapi's field holds the saturated time...
    let saturated = object.metadata.creation_timestamp.as_ref().unwrap();
    assert_eq!(
        saturated.0,
        imagestream_kube::k8s_openapi::jiff::Timestamp::MAX
    );
    // ...and a time set there since wins over the kept one.
    let mut changed = object.clone();
    changed.metadata.creation_timestamp =
        Some(time_to_k8s(DateTime::from_timestamp(0, 0).unwrap()));
    assert_eq!(
        changed.to_inner().metadata.creation_timestamp,
        DateTime::from_timestamp(0, 0)
    );
    assert_eq!(
        changed.to_inner().metadata.deletion_timestamp,
        ours.metadata.deletion_timestamp,
        "the other kept time stays"
    );
}
