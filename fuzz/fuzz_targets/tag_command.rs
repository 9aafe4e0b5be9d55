//! Arbitrary `oc tag` arguments and flags: completing, pinning against a
//! fixed stream, validating and planning never panic, and every step of a
//! valid command has a message.
#![no_main]

use imagestream::chrono::DateTime;
use imagestream::ops::tag::TagCommand;
use imagestream::reference::{Digest, ImageReference, Namespace, TagName};
use imagestream::stream::{ImageStream, TagEvent};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.split('\0');
    let kind = parts.next().unwrap_or_default().to_owned();
    let args: Vec<String> = parts.map(str::to_owned).collect();
    let mut cmd = TagCommand::new(args)
        .delete(flags & 1 != 0)
        .alias(flags & 2 != 0)
        .reference(flags & 4 != 0)
        .scheduled(flags & 8 != 0)
        .insecure(flags & 16 != 0);
    if flags & 32 != 0 {
        cmd = cmd.source_kind(kind.clone());
    }
    if flags & 64 != 0 {
        cmd = cmd.reference_policy(kind.clone());
    }
    if flags & 128 != 0 {
        cmd = cmd.import_mode(kind);
    }
    let here = Namespace::parse("default").expect("valid");
    let Ok(mut done) = cmd.complete(&here) else {
        return;
    };
    if let Some((ns, name)) = done.source_stream() {
        // Every source stream has one tag, `latest`, with one image.
        // `complete` checks the qualified name of a stream source, so a
        // source stream can always be built; a failure is a bug it reports.
        let mut is = ImageStream::new(ns.clone(), name.clone()).unwrap_or_else(|e| {
            panic!("complete() accepted source stream {ns}/{name}, which cannot exist: {e}")
        });
        let d = Digest::of_sha256(b"image");
        let spec = ImageReference::parse(&format!("quay.io/app@{d}")).expect("valid");
        let at = DateTime::from_timestamp(0, 0).expect("in range");
        is.add_event(
            &TagName::parse("latest").expect("valid"),
            TagEvent::new(spec, Some(d), 1, at),
        );
        if done.pin(&is).is_err() {
            return;
        }
    }
    if done.validate().is_err() {
        return;
    }
    for step in done.steps() {
        let Ok(step) = step else { break };
        assert!(!step.outcome().to_string().is_empty());
    }
});
