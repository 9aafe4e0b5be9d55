//! Arbitrary bytes as YAML: never panic; whatever converts to the domain
//! round-trips through the wire unchanged.
#![no_main]

use imagestream::{api, stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(wire) = serde_saphyr::from_str::<api::ImageStream>(text) else {
        return;
    };
    let Ok(domain) = stream::ImageStream::try_from(wire) else {
        return;
    };
    let back = api::ImageStream::from(&domain);
    // Laws: our own output writes, reads back and converts.
    let yaml = serde_saphyr::to_string(&back)
        .unwrap_or_else(|e| panic!("law: our output writes: {e}: {back:?}"));
    let again: api::ImageStream = serde_saphyr::from_str(&yaml)
        .unwrap_or_else(|e| panic!("own output {yaml:?} does not read: {e}"));
    assert_eq!(again, back);
    let converted = stream::ImageStream::try_from(again)
        .unwrap_or_else(|e| panic!("law: our output {yaml:?} converts: {e}"));
    assert_eq!(converted, domain);
});
