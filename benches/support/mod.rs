//! Generated workloads shared by the benches and the memory test.

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
