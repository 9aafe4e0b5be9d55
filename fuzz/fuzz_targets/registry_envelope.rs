//! Registry notification envelopes: no panic on any input; whatever
//! parses has typed events whose pushes of manifests classify without a
//! panic either.
#![no_main]

use imagestream_registry::notify::{Action, Envelope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match Envelope::parse(data) {
        Ok(envelope) => {
            for event in &envelope.events {
                if event.action == Action::Push {
                    // Every push names its target's fields (possibly empty).
                    let _ = (
                        &event.target.repository,
                        &event.target.tag,
                        &event.target.digest,
                    );
                }
            }
        }
        Err(e) => assert!(e.to_string().starts_with("invalid notification envelope: ")),
    }
});
