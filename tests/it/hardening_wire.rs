//! Issue #10, point 17: the crate's own state survives the wire. The
//! per-stream history limit is kept in an annotation under the crate's
//! own prefix (not OpenShift's), and a registry-only `DockerImage` source
//! (`quay.io:443`) round-trips losslessly.

use std::num::NonZeroUsize;

use imagestream::api::{self, ANNOTATION_PREFIX, HISTORY_LIMIT_ANNOTATION};
use imagestream::chrono::{TimeZone, Utc};
use imagestream::reference::ImageReference;
use imagestream::stream::{ImageStream, SpecContext, SpecTag, TagSource};
use proptest::prelude::*;

fn ctx() -> SpecContext<'static> {
    SpecContext::new(Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap())
}

fn through_json(is: &ImageStream) -> ImageStream {
    let text = serde_json::to_string(&api::ImageStream::from(is)).unwrap();
    ImageStream::try_from(serde_json::from_str::<api::ImageStream>(&text).unwrap()).unwrap()
}

fn through_yaml(is: &ImageStream) -> ImageStream {
    let text = serde_saphyr::to_string(&api::ImageStream::from(is)).unwrap();
    ImageStream::try_from(serde_saphyr::from_str::<api::ImageStream>(&text).unwrap()).unwrap()
}

#[test]
fn the_annotation_is_ours_not_openshifts() {
    assert!(HISTORY_LIMIT_ANNOTATION.starts_with(ANNOTATION_PREFIX));
    assert!(!ANNOTATION_PREFIX.contains("openshift.io"));
}

#[test]
fn the_history_limit_survives_the_wire() {
    let mut is = ImageStream::new("default".parse().unwrap(), "app".parse().unwrap()).unwrap();
    let three = NonZeroUsize::new(3).unwrap();
    is.set_history_limit(Some(three));
    assert_eq!(
        is.metadata()
            .annotations
            .get(HISTORY_LIMIT_ANNOTATION)
            .map(String::as_str),
        Some("3")
    );
    for back in [through_json(&is), through_yaml(&is)] {
        assert_eq!(back.history_limit(), Some(three));
        assert_eq!(back, is);
    }
    is.set_history_limit(None);
    assert!(
        !is.metadata()
            .annotations
            .contains_key(HISTORY_LIMIT_ANNOTATION)
    );
    assert_eq!(through_json(&is).history_limit(), None);
}

#[test]
fn an_invalid_history_limit_is_a_field_error() {
    for bad in ["0", "-1", "x", "", "03", "+3", "99999999999999999999999"] {
        let json = serde_json::json!({
            "metadata": {"name": "app", "namespace": "default",
                         "annotations": {HISTORY_LIMIT_ANNOTATION: bad}},
        });
        let wire: api::ImageStream = serde_json::from_value(json).unwrap();
        let err = ImageStream::try_from(wire).unwrap_err().to_string();
        assert!(err.contains(HISTORY_LIMIT_ANNOTATION), "{bad:?}: {err}");
        assert!(err.contains("positive integer"), "{bad:?}: {err}");
    }
}

#[test]
fn a_registry_only_source_round_trips() {
    for text in ["quay.io:443", "quay.io", "localhost:5000"] {
        let mut is = ImageStream::new("default".parse().unwrap(), "app".parse().unwrap()).unwrap();
        let source = TagSource::DockerImage(ImageReference::parse(text).unwrap());
        is.set_spec_tag("t".parse().unwrap(), SpecTag::new(source), &ctx())
            .unwrap();
        let wire = api::ImageStream::from(&is);
        assert_eq!(
            wire.spec.tags[0].from.as_ref().map(|f| f.name.as_str()),
            Some(text)
        );
        for back in [through_json(&is), through_yaml(&is)] {
            assert_eq!(back, is, "{text}");
            let Some(TagSource::DockerImage(r)) = back.spec_tag("t").and_then(SpecTag::source)
            else {
                panic!("{text}: source lost");
            };
            assert_eq!(r.as_str(), text);
            assert_eq!(r.registry(), Some(text));
        }
    }
    // And as a reference tag, whose event carries the pull spec.
    let json = serde_json::json!({
        "metadata": {"name": "app", "namespace": "default"},
        "spec": {"tags": [{"name": "r", "reference": true,
                           "from": {"kind": "DockerImage", "name": "quay.io:443"}}]},
    });
    let mut is =
        ImageStream::try_from(serde_json::from_value::<api::ImageStream>(json).unwrap()).unwrap();
    is.prepare_for_create(&ctx()).unwrap();
    let wire = api::ImageStream::from(&is);
    assert_eq!(
        wire.status.tags[0].items[0].docker_image_reference,
        "quay.io:443"
    );
    assert_eq!(through_json(&is), is);
    assert_eq!(through_yaml(&is), is);
}

proptest! {
    #[test]
    fn any_history_limit_survives_the_wire(n in 1usize..=usize::MAX) {
        let mut is = ImageStream::new("default".parse().unwrap(), "app".parse().unwrap()).unwrap();
        let n = NonZeroUsize::new(n).unwrap();
        is.set_history_limit(Some(n));
        prop_assert_eq!(through_json(&is).history_limit(), Some(n));
    }
}
