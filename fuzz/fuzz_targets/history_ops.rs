//! Arbitrary operation sequences on one stream: never panic, and keep the
//! invariants (lossless wire round trip, rollback makes its target current,
//! histories only shrink by delete, prune or limit, followers match their
//! source right after it changes).
#![no_main]

use std::num::NonZeroUsize;

use arbitrary::Arbitrary;
use imagestream::chrono::{DateTime, TimeDelta};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::stream::{
    ImageStream, PruneOptions, RollbackTarget, SpecContext, SpecTag, TagEvent, TagSource,
};
use imagestream::{api, stream};
use libfuzzer_sys::fuzz_target;

const TAGS: [&str; 6] = ["a", "b", "c", "latest", "v1.0", "_x"];

#[derive(Debug, Arbitrary)]
enum Op {
    Add {
        tag: u8,
        image: u8,
        tagged_ref: bool,
        generation: u8,
    },
    Alias {
        tag: u8,
        target: u8,
        scheduled: bool,
    },
    Pin {
        tag: u8,
        prefix: u8,
        scheduled: bool,
    },
    External {
        tag: u8,
        reference: bool,
    },
    Rollback {
        tag: u8,
        revision: u8,
    },
    RollbackId {
        tag: u8,
        prefix: u8,
    },
    Delete {
        tag: u8,
    },
    RemoveSpec {
        tag: u8,
    },
    Prune {
        keep: u8,
        minutes: u16,
    },
    Limit {
        max: u8,
    },
    Resolve {
        prefix: u8,
    },
}

fn name(i: u8) -> TagName {
    // The input only picks one of the constant, valid names.
    TagName::parse(TAGS[usize::from(i) % TAGS.len()]).expect("valid")
}

fn digest(n: u8) -> Digest {
    // 64 hex digits whatever `n` is.
    Digest::parse(&format!("sha256:{}", format!("{:02x}", n % 16).repeat(32))).expect("valid")
}

fuzz_target!(|ops: Vec<Op>| {
    let Ok(mut is) = ImageStream::new(
        Namespace::parse("ns").unwrap(),
        StreamName::parse("s").unwrap(),
    ) else {
        return;
    };
    let t0 = DateTime::from_timestamp(1_600_000_000, 0).unwrap();
    let ctx = SpecContext::new(t0);
    for op in ops.into_iter().take(64) {
        match op {
            Op::Add {
                tag,
                image,
                tagged_ref,
                generation,
            } => {
                let d = digest(image);
                let spec = if tagged_ref {
                    format!("reg.local/ns/s:t{image}")
                } else {
                    format!("reg.local/ns/s@{d}")
                };
                let t = name(tag);
                let changed = is.add_event(
                    &t,
                    TagEvent::new(
                        ImageReference::parse(&spec).unwrap(),
                        Some(d),
                        i64::from(generation),
                        t0,
                    ),
                );
                if changed {
                    let current = is.latest_tagged_image(t.as_str()).cloned();
                    for f in is.followers(t.as_str()) {
                        let fc = is.latest_tagged_image(f.as_str());
                        // a follower has the same pull spec and image as its source
                        // (unless it is on a circle that came back to it)
                        if let (Some(c), Some(fc)) = (&current, fc)
                            && is.follow_tag_reference(f.as_str()).is_ok()
                        {
                            assert_eq!(
                                (fc.pull_spec(), fc.image_str()),
                                (c.pull_spec(), c.image_str())
                            );
                        }
                    }
                }
            }
            // A scheduled import of a stream source is refused by the
            // domain as by the wire (one validation path), so the round
            // trip below holds whatever the flags.
            Op::Alias {
                tag,
                target,
                scheduled,
            } => {
                let s = SpecTag::new(TagSource::ImageStreamTag {
                    namespace: None,
                    stream: None,
                    tag: name(target),
                })
                .with_import_policy(stream::ImportPolicy::default().scheduled(scheduled));
                let _ = is.set_spec_tag(name(tag), s, &ctx);
            }
            Op::Pin {
                tag,
                prefix,
                scheduled,
            } => {
                let s = SpecTag::new(TagSource::ImageStreamImage {
                    namespace: None,
                    stream: None,
                    id: digest(prefix).hex()[..4].into(),
                })
                .with_import_policy(stream::ImportPolicy::default().scheduled(scheduled));
                let _ = is.set_spec_tag(name(tag), s, &ctx);
            }
            Op::External { tag, reference } => {
                let s = SpecTag::new(TagSource::DockerImage(
                    ImageReference::parse("quay.io/a/b:1").unwrap(),
                ))
                .with_reference(reference);
                let _ = is.set_spec_tag(name(tag), s, &ctx);
            }
            Op::Rollback { tag, revision } => {
                let t = name(tag);
                let target = is
                    .history(t.as_str())
                    .and_then(|h| h.get(usize::from(revision % 8)))
                    .and_then(TagEvent::image);
                if is
                    .rollback(&t, &RollbackTarget::Revision(usize::from(revision % 8)), t0)
                    .is_ok()
                {
                    assert_eq!(
                        is.latest_tagged_image(t.as_str()).and_then(TagEvent::image),
                        target
                    );
                }
            }
            Op::RollbackId { tag, prefix } => {
                let _ = is.rollback(
                    &name(tag),
                    &RollbackTarget::Image(digest(prefix).hex()[..2].to_owned()),
                    t0,
                );
            }
            Op::Delete { tag } => {
                let _ = is.delete_tag(name(tag).as_str());
            }
            Op::RemoveSpec { tag } => {
                let before = is.history(name(tag).as_str()).map(stream::TagHistory::len);
                is.remove_spec_tag(name(tag).as_str());
                assert_eq!(
                    is.history(name(tag).as_str()).map(stream::TagHistory::len),
                    before
                );
            }
            Op::Prune { keep, minutes } => {
                let opts = PruneOptions::default()
                    .keep_tag_revisions(usize::from(keep % 5))
                    .keep_younger_than(TimeDelta::minutes(i64::from(minutes)));
                let _ = is.prune(&opts, t0 + TimeDelta::days(1), |_| false, |_| false);
            }
            Op::Limit { max } => {
                let _ = is.set_history_limit(NonZeroUsize::new(usize::from(max % 6)));
            }
            Op::Resolve { prefix } => {
                let _ = is.resolve_image(&digest(prefix).hex()[..3]);
                let _ = is.resolve_recent_pull_spec(TAGS[usize::from(prefix) % TAGS.len()], false);
            }
        }
        // The wire round trip is lossless at every step.
        let wire = api::ImageStream::from(&is);
        let back = ImageStream::try_from(wire)
            .unwrap_or_else(|e| panic!("law: our own output converts: {e}"));
        assert_eq!(api::ImageStream::from(&back), api::ImageStream::from(&is));
        for (_, h) in is.histories() {
            assert!(is.history_limit().is_none_or(|l| h.len() <= l.get()));
        }
    }
});
