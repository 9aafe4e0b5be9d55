//! Arbitrary bytes as JSON: never panic; whatever converts to the domain
//! round-trips through the wire unchanged, and describes (`oc describe`,
//! `oc get`) without panicking.
#![no_main]

use imagestream::chrono::DateTime;
use imagestream::describe::{Style, describe_image_stream, get_image_streams};
use imagestream::{api, stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(wire) = serde_json::from_slice::<api::ImageStream>(data) else {
        return;
    };
    let _ = serde_json::to_vec(&wire).expect("a read object writes");
    let Ok(domain) = stream::ImageStream::try_from(wire) else {
        return;
    };
    let back = api::ImageStream::from(&domain);
    let text = serde_json::to_vec(&back).expect("writes");
    let again: api::ImageStream = serde_json::from_slice(&text).expect("own output reads");
    assert_eq!(again, back);
    assert_eq!(
        stream::ImageStream::try_from(again).expect("own output converts"),
        domain
    );
    let _ = domain.consistency_report();
    let now = DateTime::from_timestamp(1_700_000_000, 0).expect("in range");
    for style in [Style::Classic, Style::Current] {
        let text = describe_image_stream(&domain, now, style);
        assert!(text.starts_with("Name:") && text.ends_with('\n'), "{text}");
    }
    let table = get_image_streams([&domain], now);
    assert!(
        table.starts_with("NAME ") && table.ends_with('\n'),
        "{table}"
    );
});
