//! Issue 15: writes cost what they change. `set_spec_tag` takes a path
//! that touches only the tag set (its checks, its tracking chain, its
//! followers); it must do exactly what the strategy does with the whole
//! spec (`update_spec` with that one tag changed): same stream, same
//! outcome, same error. And copies of a stream share their unchanged
//! tags, so a version costs what it changed.

use std::collections::BTreeMap;

use imagestream::api;
use imagestream::chrono::{TimeZone, Utc};
use imagestream::ports::{MemoryStore, StreamStore};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::stream::{ImageStream, SpecContext, SpecTag, TagEvent};
use proptest::prelude::*;

use crate::util::workloads as support;

const TAGS: [&str; 6] = ["a", "b", "c", "d", "e", "latest"];

fn tag(i: usize) -> TagName {
    TagName::parse(TAGS[i]).unwrap()
}

/// A spec tag: 0 external, 1 tracking another tag, 2 a reference tag,
/// 3 a pin on an image of the stream, 4 tracking with generation 0
/// (re-resolve). Built from the wire, the way a client sends it.
fn spec(kind: u8, target: usize, version: u8) -> SpecTag {
    let (from_kind, name) = match kind {
        1 | 4 => ("ImageStreamTag", TAGS[target].to_owned()),
        3 => (
            "ImageStreamImage",
            format!("s@{}", Digest::of_sha256(&[version % 3])),
        ),
        _ => ("DockerImage", format!("quay.io/org/app:v{version}")),
    };
    let mut wire = api::ImageStream::default();
    wire.metadata.name = "s".into();
    wire.metadata.namespace = "ns".into();
    wire.spec.tags.push(api::TagReference {
        name: "x".into(),
        from: Some(api::ObjectReference::new(from_kind, name)),
        reference: kind == 2,
        generation: (kind == 4).then_some(0),
        ..Default::default()
    });
    let is = ImageStream::try_from(wire).unwrap();
    is.spec_tag("x").cloned().unwrap()
}

fn push(image: u8) -> TagEvent {
    let d = Digest::of_sha256(&[image]);
    let pull_spec = ImageReference::parse(&format!("172.30.1.1:5000/ns/s@{d}")).unwrap();
    TagEvent::new(
        pull_spec,
        Some(d),
        1,
        Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap(),
    )
}

#[derive(Debug, Clone)]
enum Op {
    Set {
        tag: usize,
        kind: u8,
        target: usize,
        version: u8,
    },
    Push {
        tag: usize,
        image: u8,
    },
    Remove {
        tag: usize,
    },
    Delete {
        tag: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..6usize, 0..5u8, 0..6usize, 0..4u8)
            .prop_map(|(tag, kind, target, version)| Op::Set { tag, kind, target, version }),
        3 => (0..6usize, 0..3u8).prop_map(|(tag, image)| Op::Push { tag, image }),
        1 => (0..6usize).prop_map(|tag| Op::Remove { tag }),
        1 => (0..6usize).prop_map(|tag| Op::Delete { tag }),
    ]
}

/// The follower lists of every tag.
fn followers(is: &ImageStream) -> BTreeMap<String, Vec<String>> {
    TAGS.iter()
        .map(|t| {
            let f = is.followers(t).iter().map(ToString::to_string).collect();
            ((*t).to_owned(), f)
        })
        .collect()
}

proptest! {
    #[test]
    fn setting_one_tag_is_the_strategy_on_the_whole_spec(
        ops in prop::collection::vec(op(), 1..40),
        from_wire in any::<bool>(),
    ) {
        let mut is = ImageStream::new(Namespace::parse("ns").unwrap(), StreamName::parse("s").unwrap()).unwrap();
        let ctx = SpecContext::new(Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).unwrap());
        for (step, op) in ops.iter().enumerate() {
            if from_wire && step % 5 == 0 {
                // As read from the store: the spec is not yet known clean.
                is = ImageStream::try_from(api::ImageStream::from(&is)).unwrap();
            }
            match *op {
                Op::Set { tag: t, kind, target, version } => {
                    let s = spec(kind, target, version);
                    let mut whole = is.clone();
                    let mut next: BTreeMap<TagName, SpecTag> = whole
                        .spec_tags()
                        .map(|(t, s)| (t.clone(), s.clone()))
                        .collect();
                    next.insert(tag(t), s.clone());
                    let expected = whole.update_spec(next, &ctx);
                    let before = is.clone();
                    let got = is.set_spec_tag(tag(t), s, &ctx);
                    prop_assert_eq!(&got, &expected, "step {} {:?}", step, op);
                    prop_assert_eq!(&is, &whole, "step {} {:?}", step, op);
                    prop_assert_eq!(followers(&is), followers(&whole));
                    if got.is_err() {
                        prop_assert_eq!(&is, &before, "an error changes nothing");
                    }
                }
                Op::Push { tag: t, image } => {
                    is.add_tag_event(&tag(t), push(image));
                }
                Op::Remove { tag: t } => {
                    is.remove_spec_tag(TAGS[t]);
                }
                Op::Delete { tag: t } => {
                    let had = is.history(TAGS[t]).and_then(|h| h.current()).is_some();
                    if let Ok(changes) = is.delete_tag(TAGS[t]) {
                        prop_assert_eq!(changes.moved().len(), usize::from(had));
                    }
                }
            }
            // The follower map kept in step equals one rebuilt from the spec.
            let rebuilt = ImageStream::try_from(api::ImageStream::from(&is)).unwrap();
            prop_assert_eq!(followers(&is), followers(&rebuilt));
        }
    }
}

#[test]
fn a_thousand_one_tag_versions_cost_about_one_stream() {
    let store = MemoryStore::new();
    let stream = ImageStream::try_from(support::big_stream(2_000, 2)).unwrap();
    let whole = stream.approximate_size();
    let mut current = store.create(stream).unwrap();
    let log_after_create = store.log_bytes();
    for i in 0..1_000u16 {
        let mut next = current.value.clone();
        let t = TagName::parse(&format!("tag-{:05}", i * 2)).unwrap();
        assert!(next.add_event(&t, push((i % 200) as u8 + 10)));
        current = store.update(next, current.resource_version).unwrap();
    }
    let per_version = (store.log_bytes() - log_after_create) / 1_000;
    // Each version adds its metadata and the one history it changed (and
    // the chunk list), not the stream.
    assert!(
        per_version * 20 < whole,
        "{per_version} bytes a version, {whole} a stream"
    );
    // All 1,000 versions are kept: the budget counts what they add.
    assert_eq!(
        store
            .changes_since(current.resource_version - 1_000)
            .unwrap()
            .len(),
        1_000
    );
}
