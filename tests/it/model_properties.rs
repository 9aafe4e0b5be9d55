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

#[test]
fn duplicate_keys_are_refused_by_the_yaml_reader() {
    let yaml = "metadata:\n  name: a\n  name: b\n";
    let e = serde_saphyr::from_str::<api::ImageStream>(yaml)
        .unwrap_err()
        .to_string();
    assert!(e.contains("duplicate"), "{e}");
}
