//! Arbitrary valid streams (the public `strategy::api_image_stream`)
//! survive domain -> api -> JSON/YAML -> api -> domain unchanged;
//! arbitrary wire streams never panic the conversion.

use imagestream::strategy::{StreamSize, api_image_stream};
use imagestream::{api, stream};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn domain_round_trips_through_json_and_yaml(wire in api_image_stream(StreamSize::new(6, 4))) {
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// A store that keeps tags apart (the etcd adapter) rebuilds the wire
    /// form from the pieces, and writes only the tags
    /// `tags_changed_since` lists: it must never miss a changed tag.
    #[test]
    fn pieces_rebuild_the_wire_and_changes_are_never_missed(
        wire in api_image_stream(StreamSize::new(6, 3)),
        edits in prop::collection::vec((0usize..8, 0u8..3, any::<u32>()), 0..4),
    ) {
        let before = stream::ImageStream::try_from(wire).unwrap();
        let mut pieces = before.to_wire_without_tags();
        prop_assert!(pieces.spec.tags.is_empty() && pieces.status.tags.is_empty());
        for tag in before.tag_names() {
            let (spec, status) = before.tag_to_wire(tag.as_str());
            prop_assert!(spec.is_some() || status.is_some(), "{} has a part", tag);
            pieces.spec.tags.extend(spec);
            pieces.status.tags.extend(status);
        }
        prop_assert_eq!(&pieces, &api::ImageStream::from(&before));
        prop_assert!(before.tags_changed_since(&before).is_empty());

        let mut after = before.clone();
        for (pick, op, n) in edits {
            let names: Vec<String> = after.tag_names().iter().map(ToString::to_string).collect();
            let tag = names.get(pick).cloned().unwrap_or_else(|| format!("new{pick}"));
            match op {
                0 => {
                    let d = imagestream::reference::Digest::of_sha256(&n.to_be_bytes());
                    let spec = imagestream::reference::ImageReference::parse(
                        &format!("172.30.1.1:5000/ns/app@{d}"),
                    ).unwrap();
                    let at = imagestream::chrono::DateTime::from_timestamp(1_600_000_000, 0).unwrap();
                    let event = stream::TagEvent::new(spec, Some(d), 1, at);
                    after.add_event(&imagestream::reference::TagName::parse(&tag).unwrap(), event);
                }
                1 => { let _ = after.delete_tag(&tag); }
                _ => after.set_annotation("edited", n.to_string()),
            }
        }
        let listed: Vec<String> =
            after.tags_changed_since(&before).iter().map(ToString::to_string).collect();
        let mut all: Vec<String> = before
            .tag_names()
            .into_iter()
            .chain(after.tag_names())
            .map(ToString::to_string)
            .collect();
        all.sort();
        all.dedup();
        for tag in all {
            if before.tag_to_wire(&tag) != after.tag_to_wire(&tag) {
                prop_assert!(listed.contains(&tag), "{} changed but is not listed: {:?}", tag, listed);
            }
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
