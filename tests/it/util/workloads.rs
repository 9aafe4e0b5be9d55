//! Generated workloads shared by the tests and the benches (which include
//! this file).

#![allow(dead_code, unreachable_pub, clippy::cast_possible_wrap)] // small generated counts

use imagestream::api;
use imagestream::chrono::DateTime;
use imagestream::reference::Digest;

/// A realistic wire stream: `tags` tags, each with a scheduled external
/// spec tag and a history of `events` pushes into the internal registry.
pub fn big_stream(tags: usize, events: usize) -> api::ImageStream {
    let mut s = api::ImageStream {
        api_version: api::API_VERSION.into(),
        kind: "ImageStream".into(),
        ..Default::default()
    };
    s.metadata.name = "origin-ruby-sample".into();
    s.metadata.namespace = "test".into();
    s.metadata.generation = events as i64;
    s.status.docker_image_repository = "172.30.56.218:5000/test/origin-ruby-sample".into();
    for t in 0..tags {
        let name = format!("tag-{t:05}");
        let mut spec = api::TagReference {
            name: name.clone(),
            from: Some(api::ObjectReference::new(
                "DockerImage",
                format!("quay.io/org/app:{name}"),
            )),
            generation: Some(1),
            ..Default::default()
        };
        spec.import_policy.scheduled = true;
        spec.reference_policy.type_ = "Source".into();
        s.spec.tags.push(spec);
        let items = (0..events)
            .rev()
            .map(|e| {
                let digest = Digest::of_sha256(format!("{t}/{e}").as_bytes());
                api::TagEvent {
                    created: DateTime::from_timestamp(1_500_000_000 + (t * events + e) as i64, 0),
                    docker_image_reference: format!(
                        "172.30.56.218:5000/test/origin-ruby-sample@{digest}"
                    ),
                    image: digest.to_string(),
                    generation: e as i64 + 1,
                }
            })
            .collect();
        s.status.tags.push(api::NamedTagEventList {
            tag: name,
            items,
            conditions: Vec::new(),
        });
    }
    s
}

use imagestream::reference::{ImageReference, Namespace, StreamName, TagName};
use imagestream::stream::{self, ImageStream, SpecContext, SpecTag, TagEvent, TagSource};
use std::collections::BTreeMap;

/// The digest of image `n`.
pub fn digest_n(n: u64) -> Digest {
    Digest::of_sha256(&n.to_le_bytes())
}

/// An event pushing image `n` into the integrated registry.
pub fn push_event(n: u64) -> TagEvent {
    let d = digest_n(n);
    let spec = ImageReference::parse(&format!("172.30.56.218:5000/test/app@{d}")).expect("valid");
    TagEvent::new(
        spec,
        Some(d),
        1,
        DateTime::from_timestamp(1_600_000_000, 0).expect("valid"),
    )
}

/// A domain stream: `plain` tags with `events` pushes each, plus `aliases`
/// tags tracking them in chains of up to 5 (alias i tracks plain tag i
/// when i % 5 == 0, else alias i - 1).
pub fn history_stream(plain: usize, aliases: usize, events: usize) -> ImageStream {
    let mut is = ImageStream::new(
        Namespace::parse("test").unwrap(),
        StreamName::parse("app").unwrap(),
    )
    .unwrap();
    let mut spec = BTreeMap::new();
    for i in 0..aliases {
        let target = if i % 5 == 0 {
            format!("p{i:05}")
        } else {
            format!("z{:05}", i - 1)
        };
        let tag = TagName::parse(&target).unwrap();
        spec.insert(
            TagName::parse(&format!("z{i:05}")).unwrap(),
            SpecTag::new(TagSource::ImageStreamTag {
                namespace: None,
                stream: None,
                tag,
            }),
        );
    }
    let ctx = SpecContext::new(DateTime::from_timestamp(1_600_000_000, 0).unwrap());
    is.update_spec(spec, &ctx).expect("no circles");
    let mut n = 0u64;
    for e in 0..events {
        for t in 0..plain {
            let _ = e;
            is.add_event(&TagName::parse(&format!("p{t:05}")).unwrap(), push_event(n));
            n += 1;
        }
    }
    is
}

/// OpenShift's `ResolveImageID` helper: a scan of every entry of every
/// tag, collecting the matching images.
pub fn naive_resolve<'a>(is: &'a ImageStream, id: &str) -> Vec<&'a str> {
    let mut found: Vec<&str> = Vec::new();
    for (_, h) in is.histories() {
        for e in h.iter() {
            let image = e.image_str();
            if (image.starts_with(id)
                || image
                    .split_once(':')
                    .is_some_and(|(_, hex)| hex.starts_with(id)))
                && !found.contains(&image)
            {
                found.push(image);
            }
        }
    }
    found
}

/// A history as OpenShift's helpers keep it: a newest-first list that
/// grows by prepending (copying every entry).
pub type NaiveHistory = Vec<(String, String, i64)>;

/// §5 on a newest-first list, prepending by copying.
pub fn naive_add(items: &mut NaiveHistory, next: (String, String, i64)) -> bool {
    match items.first_mut() {
        None => items.push(next),
        Some(prev) if prev.0 == next.0 && prev.1 == next.1 => {
            if prev.2 == next.2 {
                return false;
            }
            prev.2 = next.2;
        }
        Some(prev) if prev.0 == next.0 || prev.1 == next.1 => *prev = next,
        Some(_) => items.insert(0, next),
    }
    true
}

/// The naive form of a domain stream's histories.
pub fn naive_histories(is: &ImageStream) -> BTreeMap<String, NaiveHistory> {
    is.histories()
        .map(|(t, h)| {
            (
                t.to_string(),
                h.iter()
                    .map(|e| {
                        (
                            e.pull_spec().as_str().to_owned(),
                            e.image_str().to_owned(),
                            e.generation(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

/// Keeps the type in use for the benches that only build streams.
pub fn _touch(_: &stream::TagHistory) {}
