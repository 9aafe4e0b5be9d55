//! Issue #10, point 20: wherever a namespace and a name are joined, the
//! qualified `namespace/name` must fit 255 characters, even when each part
//! is valid alone. `oc tag` with such a source stream used to complete and
//! then fail to build the stream (the `tag_command` fuzz target's crash).

use imagestream::ops::tag::{TagCommand, TagError};
use imagestream::reference::{Namespace, StreamName};
use imagestream::stream::ImageStream;
use proptest::prelude::*;

fn here() -> Namespace {
    Namespace::parse("default").unwrap()
}

#[test]
fn a_source_stream_too_long_with_its_namespace_is_refused() {
    let long = "a".repeat(250);
    // Valid alone: 250 <= 255.
    assert!(StreamName::parse(&long).is_ok());
    // (`default/<250>` is refused earlier, by the reference grammar's
    // own 255-character limit on the whole name.)
    for source in [format!("{long}:latest"), format!("{long}:1.0")] {
        let err = TagCommand::new(vec![source.clone(), "dest:t".into()])
            .complete(&here())
            .unwrap_err();
        assert!(matches!(err, TagError::Name(_)), "{source}: {err:?}");
        assert!(
            err.to_string()
                .contains("cannot be longer than 255 characters"),
            "{err}"
        );
    }
    // An image stream image source is joined the same way.
    let image = format!("{long}@sha256:{}", "a".repeat(64));
    let err = TagCommand::new(vec![image, "dest:t".into()])
        .complete(&here())
        .unwrap_err();
    assert!(matches!(err, TagError::Name(_)), "{err:?}");
    // An external image of that name is not a stream: allowed.
    assert!(
        TagCommand::new(vec![format!("quay.io/{}:1", &long[..240]), "dest:t".into()])
            .complete(&here())
            .is_ok()
    );
}

#[test]
fn a_destination_too_long_with_its_namespace_is_refused() {
    let long = "b".repeat(250);
    let done = TagCommand::new(vec!["quay.io/app:1".into(), format!("{long}:t")])
        .complete(&here())
        .unwrap();
    done.validate().unwrap();
    let step = done.steps().next().unwrap();
    let err = step.unwrap_err();
    assert!(matches!(err, TagError::Name(_)), "{err:?}");
}

proptest! {
    /// Whatever the name's length, a completed command's source stream can
    /// be built.
    #[test]
    fn completed_source_streams_can_be_built(len in 1usize..=255, ns_len in 1usize..=63) {
        let ns = Namespace::parse(&"n".repeat(ns_len)).unwrap();
        let source = format!("{}:latest", "s".repeat(len));
        if let Ok(done) = TagCommand::new(vec![source, "d:t".into()]).complete(&ns)
            && let Some((ns, name)) = done.source_stream()
        {
            prop_assert!(ImageStream::new(ns, name).is_ok());
        }
    }
}
