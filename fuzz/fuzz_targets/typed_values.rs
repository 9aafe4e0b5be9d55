//! The crate's own types as fuzz input (feature `arbitrary`): every value
//! arrives valid, so the fuzzer spends its time past the parsers. Laws:
//! values print and parse back equal, derived references stay valid,
//! a stream converts to the wire and back unchanged, describes without
//! panicking, and resolves every image it holds by its full digest.
#![no_main]

use imagestream::chrono::DateTime;
use imagestream::describe::{Style, describe_image_stream};
use imagestream::reference::{DockerReference, ImageReference, IsImageName, IsTagName};
use imagestream::{api, stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (
    ImageReference,
    DockerReference,
    IsTagName,
    IsImageName,
    api::ImageStream
)| {
    let (r, d, ist, isi, wire) = input;
    assert_eq!(ImageReference::parse(r.as_str()).ok(), Some(r.clone()), "{r:?}");
    let pinned = r.docker_client_defaults().most_specific();
    if !pinned.name().is_empty() && r.registry().is_some() {
        assert!(ImageReference::parse(pinned.as_str()).is_ok(), "{pinned:?} from {r:?}");
    }
    assert_eq!(DockerReference::parse(&d.to_string()).ok(), Some(d.clone()));
    assert_eq!(DockerReference::parse(d.trim_named().as_str()).ok(), Some(d.trim_named()));
    assert_eq!(IsTagName::parse(&ist.to_string()).ok(), Some(ist));
    assert_eq!(IsImageName::parse(&isi.to_string()).ok(), Some(isi));

    let domain = stream::ImageStream::try_from(wire.clone())
        .unwrap_or_else(|e| panic!("law: an arbitrary stream is valid: {e}\n{wire:?}"));
    assert_eq!(api::ImageStream::from(&domain), wire);
    let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let text = describe_image_stream(&domain, now, Style::Current);
    assert!(text.starts_with("Name:"), "{text}");
    for (_, history) in domain.histories() {
        for event in history.iter() {
            if let Some(digest) = event.image() {
                let found = domain
                    .resolve_image(digest.as_str())
                    .unwrap_or_else(|e| panic!("law: {digest} is in the stream: {e}"));
                assert_eq!(found.image(), Some(digest));
            }
        }
    }
});
