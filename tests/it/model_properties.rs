//! Arbitrary valid streams survive domain -> api -> JSON/YAML -> api ->
//! domain unchanged; arbitrary wire streams never panic the conversion.

use chrono::{DateTime, Utc};
use imagestream::{api, stream};
use proptest::prelude::*;

fn tag_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_][A-Za-z0-9_.-]{0,8}"
}

fn digest() -> impl Strategy<Value = String> {
    "[a-f0-9]{64}".prop_map(|h| format!("sha256:{h}"))
}

fn time() -> impl Strategy<Value = Option<DateTime<Utc>>> {
    prop::option::of(
        (0i64..4_000_000_000).prop_map(|s| DateTime::from_timestamp(s, 0).expect("in range")),
    )
}

fn pull_spec() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["", "quay.io/", "172.30.1.1:5000/", "docker.io/"]),
        "[a-z0-9]{1,6}(/[a-z0-9]{1,6}){0,2}",
        prop::option::of("[a-z0-9][a-z0-9.-]{0,5}"),
        prop::option::of(digest()),
    )
        .prop_map(|(reg, path, tag, id)| {
            let mut s = format!("{reg}{path}");
            if let Some(t) = tag {
                s = format!("{s}:{t}");
            }
            if let Some(d) = id {
                s = format!("{s}@{d}");
            }
            s
        })
}

fn source() -> impl Strategy<Value = Option<api::ObjectReference>> {
    prop::option::of(prop_oneof![
        pull_spec().prop_map(|p| api::ObjectReference::new("DockerImage", p)),
        (prop::option::of("[a-z]{1,5}"), tag_name()).prop_map(|(s, t)| api::ObjectReference::new(
            "ImageStreamTag",
            s.map_or(t.clone(), |s| format!("{s}:{t}"))
        )),
        (
            "[a-z]{1,5}",
            "[a-f0-9]{6,64}",
            prop::option::of("[a-z][a-z0-9-]{0,6}[a-z]")
        )
            .prop_map(|(s, id, ns)| {
                let mut r =
                    api::ObjectReference::new("ImageStreamImage", format!("{s}@sha256:{id}"));
                r.namespace = ns.unwrap_or_default();
                r
            }),
    ])
}

fn spec_tag() -> impl Strategy<Value = api::TagReference> {
    (
        tag_name(),
        source(),
        any::<(bool, bool, bool)>(),
        prop::option::of(0i64..20),
        prop::sample::select(vec!["", "Legacy", "PreserveOriginal"]),
        prop::sample::select(vec!["Source", "Local"]),
        prop::option::of(prop::collection::btree_map(
            "[a-z]{1,4}",
            "[ -~]{0,8}",
            0..3,
        )),
    )
        .prop_map(
            |(
                name,
                from,
                (reference, insecure, scheduled),
                generation,
                mode,
                policy,
                annotations,
            )| {
                let scheduled = scheduled && from.as_ref().is_some_and(|f| f.kind == "DockerImage");
                let mut t = api::TagReference {
                    name,
                    from,
                    reference,
                    generation,
                    annotations,
                    ..Default::default()
                };
                t.import_policy = api::TagImportPolicy {
                    insecure,
                    scheduled,
                    import_mode: mode.into(),
                };
                t.reference_policy.type_ = policy.into();
                t
            },
        )
}

fn history() -> impl Strategy<Value = api::NamedTagEventList> {
    (
        tag_name(),
        prop::collection::vec(
            (time(), pull_spec(), prop::option::of(digest()), 0i64..10),
            0..5,
        ),
        prop::collection::vec((time(), "[A-Za-z]{0,6}", 0i64..5), 0..2),
    )
        .prop_map(|(tag, items, conditions)| api::NamedTagEventList {
            tag,
            items: items
                .into_iter()
                .map(|(created, r, image, generation)| api::TagEvent {
                    created,
                    docker_image_reference: r,
                    image: image.unwrap_or_default(),
                    generation,
                })
                .collect(),
            conditions: conditions
                .into_iter()
                .map(|(t, reason, generation)| api::TagEventCondition {
                    type_: "ImportSuccess".into(),
                    status: "False".into(),
                    last_transition_time: t,
                    reason,
                    message: String::new(),
                    generation,
                })
                .collect(),
        })
}

fn wire_stream() -> impl Strategy<Value = api::ImageStream> {
    (
        "[a-z0-9]{1,8}([.-][a-z0-9]{1,4}){0,2}",
        "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?",
        time(),
        0i64..50,
        prop::collection::btree_map("[a-z/.]{1,8}", "[ -~]{0,10}", 0..3),
        any::<bool>(),
        prop::collection::vec(spec_tag(), 0..6),
        prop::collection::vec(history(), 0..6),
    )
        .prop_map(
            |(name, namespace, created, generation, labels, local, tags, statuses)| {
                let mut w = api::ImageStream {
                    api_version: api::API_VERSION.into(),
                    kind: "ImageStream".into(),
                    ..Default::default()
                };
                w.metadata = api::ObjectMeta {
                    name,
                    namespace,
                    creation_timestamp: created,
                    generation,
                    labels: labels.clone(),
                    annotations: labels,
                    ..Default::default()
                };
                w.spec.lookup_policy.local = local;
                w.spec.tags = tags;
                w.status.docker_image_repository = "172.30.1.1:5000/ns/s".into();
                w.status.tags = statuses;
                w
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn domain_round_trips_through_json_and_yaml(wire in wire_stream()) {
        let domain = stream::ImageStream::try_from(wire).unwrap();
        let back = api::ImageStream::from(&domain);
        let json = serde_json::to_string(&back).unwrap();
        let from_json: api::ImageStream = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&from_json, &back);
        prop_assert_eq!(stream::ImageStream::try_from(from_json).unwrap(), domain.clone());
        let yaml = serde_saphyr::to_string(&back).unwrap();
        let from_yaml: api::ImageStream = serde_saphyr::from_str(&yaml).unwrap();
        prop_assert_eq!(stream::ImageStream::try_from(from_yaml).unwrap(), domain);
    }

    #[test]
    fn conversion_never_panics(json in prop::collection::vec(prop::sample::select(vec![
        "{", "}", "[", "]", ",", ":", "\"metadata\"", "\"name\"", "\"s\"", "\"status\"", "\"tags\"",
        "\"items\"", "\"tag\"", "\"dockerImageReference\"", "\"a//b\"", "null", "1", "\"spec\"",
        "\"from\"", "\"kind\"", "\"ImageStreamTag\"", "\"namespace\"", "\"ns\"",
    ]), 0..60)) {
        let text = json.concat();
        if let Ok(wire) = serde_json::from_str::<api::ImageStream>(&text)
            && let Ok(domain) = stream::ImageStream::try_from(wire) {
                let back = api::ImageStream::from(&domain);
                prop_assert_eq!(stream::ImageStream::try_from(back).unwrap(), domain);
            }
    }
}

#[test]
fn duplicate_keys_are_refused_by_the_yaml_reader() {
    let yaml = "metadata:\n  name: a\n  name: b\n";
    let e = serde_saphyr::from_str::<api::ImageStream>(yaml)
        .unwrap_err()
        .to_string();
    assert!(e.contains("duplicate"), "{e}");
}
