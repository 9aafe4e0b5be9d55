//! One validation path for typed and wire spec tags: `set_spec_tag` and
//! `update_spec` run the wire's tag-reference checks (§4.3), so whatever
//! the domain accepts survives the wire.

use imagestream::api;
use imagestream::chrono::{DateTime, TimeZone, Utc};
use imagestream::ports::Subject;
use imagestream::reference::{ImageReference, Namespace, StreamName, TagName};
use imagestream::service::{ImageStreams, ServiceError};
use imagestream::stream::{
    ImageStream, ImportMode, ImportPolicy, ReferencePolicy, SpecContext, SpecError, SpecTag,
    TagEvent, TagSource,
};
use proptest::prelude::*;

fn ns(s: &str) -> Namespace {
    Namespace::parse(s).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap()
}

const SCHEDULED: &str = "spec.tags[follow].importPolicy.scheduled: Invalid value: true: only tags pointing to Docker repositories may be scheduled for background import";

fn scheduled_istag() -> SpecTag {
    SpecTag::new(TagSource::ImageStreamTag {
        namespace: None,
        stream: None,
        tag: TagName::parse("latest").unwrap(),
    })
    .with_import_policy(ImportPolicy::default().scheduled(true))
}

#[test]
fn a_scheduled_import_of_an_image_stream_tag_is_refused() {
    let mut is = ImageStream::new(ns("demo"), StreamName::parse("app").unwrap()).unwrap();
    let before = is.clone();
    let err = is
        .set_spec_tag(
            TagName::parse("follow").unwrap(),
            scheduled_istag(),
            &SpecContext::new(now()),
        )
        .unwrap_err();
    assert!(matches!(err, SpecError::Invalid(_)), "{err:?}");
    assert_eq!(err.to_string(), SCHEDULED);
    assert_eq!(is, before, "nothing changed");
    // The wire refuses the same stream with the same message.
    let mut wire = api::ImageStream::from(&is);
    let mut tag = api::TagReference {
        name: "follow".into(),
        from: Some(api::ObjectReference::new("ImageStreamTag", "latest")),
        ..Default::default()
    };
    tag.import_policy.scheduled = true;
    wire.spec.tags.push(tag);
    assert_eq!(
        ImageStream::try_from(wire).unwrap_err().to_string(),
        SCHEDULED
    );
    // Unscheduled, the same source is a tracking tag.
    is.set_spec_tag(
        TagName::parse("follow").unwrap(),
        scheduled_istag().with_import_policy(ImportPolicy::default()),
        &SpecContext::new(now()),
    )
    .unwrap();
}

#[test]
fn through_the_service_too() {
    let service = ImageStreams::in_memory();
    let admin = Subject::system_admin();
    let app = StreamName::parse("app").unwrap();
    service
        .create(&admin, ImageStream::new(ns("demo"), app.clone()).unwrap())
        .unwrap();
    let err = service
        .set_spec_tag(
            &admin,
            &ns("demo"),
            &app,
            &TagName::parse("follow").unwrap(),
            &scheduled_istag(),
        )
        .unwrap_err();
    assert!(matches!(err, ServiceError::Invalid(_)), "{err:?}");
    assert_eq!(err.to_string(), SCHEDULED);
    let stored = service.get(&admin, &ns("demo"), &app).unwrap().value;
    assert!(stored.spec_tag("follow").is_none());
    // And on create.
    let mut is = ImageStream::new(ns("demo"), StreamName::parse("other").unwrap()).unwrap();
    let mut wire = api::ImageStream::from(&is);
    wire.spec.tags.push(api::TagReference {
        name: "follow".into(),
        from: Some(api::ObjectReference::new("DockerImage", "quay.io/a/b:1")),
        ..Default::default()
    });
    is = ImageStream::try_from(wire).unwrap();
    service.create(&admin, is).unwrap();
}

#[test]
fn an_image_stream_image_without_an_id_is_refused() {
    let mut is = ImageStream::new(ns("demo"), StreamName::parse("app").unwrap()).unwrap();
    let spec = SpecTag::new(TagSource::ImageStreamImage {
        namespace: None,
        stream: None,
        id: "".into(),
    });
    let err = is
        .set_spec_tag(TagName::parse("t").unwrap(), spec, &SpecContext::new(now()))
        .unwrap_err();
    assert_eq!(err.to_string(), "spec.tags[t].from.name: Required value");
}

/// A stream in namespace `other` with `base:latest` pointing at an image,
/// for cross-namespace sources.
fn other_stream() -> ImageStream {
    let mut base = ImageStream::new(ns("other"), StreamName::parse("base").unwrap()).unwrap();
    let d = imagestream::reference::Digest::of_sha256(b"base");
    base.add_event(
        &TagName::parse("latest").unwrap(),
        TagEvent::new(
            ImageReference::parse(&format!("quay.io/base@{d}")).unwrap(),
            Some(d),
            1,
            now(),
        ),
    );
    base
}

fn source() -> impl Strategy<Value = TagSource> {
    let tag = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,6}";
    let ns = prop::option::of(prop::sample::select(vec!["demo", "other"]));
    let stream = prop::option::of(prop::sample::select(vec!["app", "base"]));
    prop_oneof![
        (
            prop::sample::select(vec!["", "quay.io/", "quay.io:443/", "localhost:5000/"]),
            "[a-z0-9]{1,5}(/[a-z0-9]{1,5}){0,1}",
            prop::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,5}"),
        )
            .prop_filter_map("a reference", |(reg, path, tag)| {
                let text = tag.map_or(format!("{reg}{path}"), |t| format!("{reg}{path}:{t}"));
                ImageReference::parse(&text)
                    .ok()
                    .map(TagSource::DockerImage)
            }),
        (ns.clone(), stream.clone(), tag).prop_map(|(n, s, t)| TagSource::ImageStreamTag {
            namespace: n.map(|n| Namespace::parse(n).unwrap()),
            stream: s.map(|s| StreamName::parse(s).unwrap()),
            tag: TagName::parse(&t).unwrap(),
        }),
        (ns, stream, "[ -~]{0,12}").prop_map(|(n, s, id)| TagSource::ImageStreamImage {
            namespace: n.map(|n| Namespace::parse(n).unwrap()),
            stream: s.map(|s| StreamName::parse(s).unwrap()),
            id: id.into(),
        }),
    ]
}

fn spec_tag() -> impl Strategy<Value = SpecTag> {
    (
        source(),
        any::<(bool, bool, bool, bool)>(),
        prop::sample::select(vec![
            ImportMode::Unset,
            ImportMode::Legacy,
            ImportMode::PreserveOriginal,
        ]),
        prop::option::of(0i64..4),
    )
        .prop_map(
            |(src, (reference, scheduled, insecure, local), mode, generation)| {
                SpecTag::new(src)
                    .with_reference(reference)
                    .with_import_policy(
                        ImportPolicy::default()
                            .scheduled(scheduled)
                            .insecure(insecure)
                            .import_mode(mode),
                    )
                    .with_reference_policy(if local {
                        ReferencePolicy::Local
                    } else {
                        ReferencePolicy::Source
                    })
                    .with_generation(generation)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any stream the domain accepts round-trips through the wire (and
    /// JSON) unchanged.
    #[test]
    fn any_accepted_stream_round_trips_through_the_wire(
        tags in prop::collection::vec(("[a-z0-9]{1,3}", spec_tag()), 1..6)
    ) {
        let base = other_stream();
        let lookup = move |n: &Namespace, s: &StreamName| {
            (n.as_str() == "other" && s.as_str() == "base").then(|| base.clone())
        };
        let ctx = SpecContext::new(now()).with_lookup(&lookup);
        let mut is = ImageStream::new(ns("demo"), StreamName::parse("app").unwrap()).unwrap();
        let mut accepted = 0;
        for (name, spec) in tags {
            if is.set_spec_tag(TagName::parse(&name).unwrap(), spec, &ctx).is_ok() {
                accepted += 1;
            }
        }
        let wire = api::ImageStream::from(&is);
        let json = serde_json::to_string(&wire).unwrap();
        let read: api::ImageStream = serde_json::from_str(&json).unwrap();
        let back = ImageStream::try_from(read);
        prop_assert!(back.is_ok(), "{accepted} accepted tags, then: {:?}\n{json}", back.err());
        let back = back.unwrap();
        prop_assert_eq!(&back, &is);
        prop_assert_eq!(api::ImageStream::from(&back), wire);
    }
}
