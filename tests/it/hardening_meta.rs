//! Issue #10, point 5: metadata is lossless. Any JSON object placed under
//! `metadata` (every standard `metav1.ObjectMeta` field, and fields this
//! crate does not know) survives decode -> domain -> encode unchanged, in
//! every API type that has metadata.

use imagestream::{api, stream};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Any JSON value, three levels deep at most.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-zA-Z.:/_-]{0,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const STANDARD: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "selflink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

fn time() -> impl Strategy<Value = String> {
    (0i64..4_000_000_000).prop_map(|s| {
        imagestream::chrono::DateTime::from_timestamp(s, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    })
}

/// A `metadata` object for `name` in `namespace`: each standard field
/// present or not (with a value of its type, not its zero, which is
/// omitted on write), and unknown fields of any value.
#[allow(clippy::too_many_lines)] // one field per line, in ObjectMeta's order
fn metadata(name: &'static str, namespace: &'static str) -> impl Strategy<Value = Value> {
    let owner = (
        "[a-z/0-9]{1,8}",
        "[A-Z][a-z]{0,8}",
        "[a-z]{1,8}",
        "[a-f0-9-]{1,12}",
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        proptest::collection::btree_map("x[a-z]{0,6}", any_json(), 0..2),
    )
        .prop_map(|(v, k, n, u, c, b, extra)| {
            let mut o = json!({"apiVersion": v, "kind": k, "name": n, "uid": u});
            if let Some(c) = c {
                o["controller"] = json!(c);
            }
            if let Some(b) = b {
                o["blockOwnerDeletion"] = json!(b);
            }
            for (k, v) in extra {
                o[k] = v;
            }
            o
        });
    let managed = (
        "[a-z-]{1,10}",
        prop_oneof![Just("Apply"), Just("Update")],
        proptest::option::of(time()),
        proptest::option::of(any_json()),
        proptest::option::of("status|scale"),
    )
        .prop_map(|(m, op, t, fields, sub)| {
            let mut o = json!({"manager": m, "operation": op, "apiVersion": "image.openshift.io/v1", "fieldsType": "FieldsV1"});
            if let Some(t) = t {
                o["time"] = json!(t);
            }
            if let Some(f) = fields {
                o["fieldsV1"] = f;
            }
            if let Some(s) = sub {
                o["subresource"] = json!(s);
            }
            o
        });
    (
        (
            proptest::option::of("[a-z]{1,8}-"),
            proptest::option::of("/apis/[a-z/]{1,20}"),
            proptest::option::of("[a-f0-9-]{1,36}"),
            proptest::option::of("[1-9][0-9]{0,8}"),
            proptest::option::of(prop_oneof![1i64..i64::MAX, i64::MIN..0]),
            proptest::option::of(time()),
            proptest::option::of(time()),
            proptest::option::of(any::<i64>()),
        ),
        (
            proptest::collection::btree_map("[a-z./]{1,10}", ".{0,10}", 0..3),
            proptest::collection::btree_map("[a-z./]{1,10}", ".{0,10}", 0..3),
            proptest::collection::vec(owner, 0..3),
            proptest::collection::vec("[a-z./]{1,12}", 0..3),
            proptest::collection::vec(managed, 0..3),
            proptest::collection::btree_map("[a-zA-Z_]{1,12}", any_json(), 0..4),
        ),
    )
        .prop_map(
            move |(
                (generate, link, uid, rv, generation, created, deleted, grace),
                (labels, annotations, owners, finalizers, managed, unknown),
            )| {
                let mut m = Map::new();
                m.insert("name".into(), json!(name));
                m.insert("namespace".into(), json!(namespace));
                let mut put = |k: &str, v: Option<Value>| {
                    if let Some(v) = v {
                        m.insert(k.into(), v);
                    }
                };
                put("generateName", generate.map(Value::from));
                put("selfLink", link.map(Value::from));
                put("uid", uid.map(Value::from));
                put("resourceVersion", rv.map(Value::from));
                put("generation", generation.map(Value::from));
                put("deletionTimestamp", deleted.map(Value::from));
                put("deletionGracePeriodSeconds", grace.map(Value::from));
                put("labels", (!labels.is_empty()).then(|| json!(labels)));
                put(
                    "annotations",
                    (!annotations.is_empty()).then(|| json!(annotations)),
                );
                put(
                    "ownerReferences",
                    (!owners.is_empty()).then(|| json!(owners)),
                );
                put(
                    "finalizers",
                    (!finalizers.is_empty()).then(|| json!(finalizers)),
                );
                put(
                    "managedFields",
                    (!managed.is_empty()).then(|| json!(managed)),
                );
                // Written always, `null` when unset.
                m.insert(
                    "creationTimestamp".into(),
                    created.map_or(Value::Null, Value::from),
                );
                for (k, v) in unknown {
                    if !STANDARD.contains(&k.as_str()) {
                        m.insert(k, v);
                    }
                }
                Value::Object(m)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn image_stream_metadata_survives_the_domain(meta in metadata("app", "default")) {
        let input = json!({
            "kind": "ImageStream",
            "apiVersion": "image.openshift.io/v1",
            "metadata": meta,
            "spec": {"tags": [{"name": "t", "from": {"kind": "DockerImage", "name": "busybox:1"}}]},
        });
        let wire: api::ImageStream = serde_json::from_value(input.clone()).unwrap();
        let domain = stream::ImageStream::try_from(wire).unwrap();
        let out = serde_json::to_value(api::ImageStream::from(&domain)).unwrap();
        prop_assert_eq!(&out["metadata"], &input["metadata"]);
        // And through YAML, the other format the crate is read from.
        let yaml = serde_saphyr::to_string(&api::ImageStream::from(&domain)).unwrap();
        let again: api::ImageStream = serde_saphyr::from_str(&yaml).unwrap();
        prop_assert_eq!(&serde_json::to_value(&again).unwrap()["metadata"], &input["metadata"]);
    }

    #[test]
    fn mapping_and_image_metadata_survive_the_domain(
        meta in metadata("app", "default"),
        image_meta in metadata("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef", ""),
    ) {
        let mut image_meta = image_meta;
        // Images are cluster-scoped: no namespace written.
        image_meta.as_object_mut().unwrap().remove("namespace");
        let input = json!({
            "kind": "ImageStreamMapping",
            "apiVersion": "image.openshift.io/v1",
            "metadata": meta,
            "image": {
                "metadata": image_meta,
                "dockerImageReference": "quay.io/a/b@sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
            },
            "tag": "latest",
        });
        let wire: api::ImageStreamMapping = serde_json::from_value(input.clone()).unwrap();
        let domain = stream::ImageStreamMapping::try_from(wire).unwrap();
        let out = serde_json::to_value(api::ImageStreamMapping::from(&domain)).unwrap();
        prop_assert_eq!(&out["metadata"], &input["metadata"]);
        prop_assert_eq!(&out["image"]["metadata"], &input["image"]["metadata"]);
        let stored = serde_json::to_value(domain.image_to_store()).unwrap();
        prop_assert_eq!(&stored["metadata"], &input["image"]["metadata"]);
    }

    #[test]
    fn view_metadata_survives_decode_and_encode(meta in metadata("app:t", "default")) {
        let istag: api::ImageStreamTag =
            serde_json::from_value(json!({"metadata": meta.clone()})).unwrap();
        prop_assert_eq!(&serde_json::to_value(&istag).unwrap()["metadata"], &meta);
        let isimage: api::ImageStreamImage =
            serde_json::from_value(json!({"metadata": meta.clone()})).unwrap();
        prop_assert_eq!(&serde_json::to_value(&isimage).unwrap()["metadata"], &meta);
        let import: api::ImageStreamImport =
            serde_json::from_value(json!({"metadata": meta.clone()})).unwrap();
        prop_assert_eq!(&serde_json::to_value(&import).unwrap()["metadata"], &meta);
    }
}

#[test]
fn finalizers_and_owners_survive_a_read_and_write() {
    let input = json!({
        "metadata": {
            "name": "app", "namespace": "default", "creationTimestamp": null,
            "finalizers": ["example.com/keep"],
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "d", "uid": "1", "controller": true}],
            "managedFields": [{"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}],
            "deletionGracePeriodSeconds": 30,
            "someFutureField": {"nested": [1, 2.5, "x"]},
        },
    });
    let wire: api::ImageStream = serde_json::from_value(input.clone()).unwrap();
    assert_eq!(wire.metadata.finalizers, ["example.com/keep"]);
    assert_eq!(wire.metadata.owner_references[0].kind, "Deployment");
    assert_eq!(wire.metadata.deletion_grace_period_seconds, Some(30));
    assert!(wire.metadata.extra.contains_key("someFutureField"));
    let domain = stream::ImageStream::try_from(wire).unwrap();
    let out = serde_json::to_value(api::ImageStream::from(&domain)).unwrap();
    assert_eq!(out["metadata"], input["metadata"]);
}
