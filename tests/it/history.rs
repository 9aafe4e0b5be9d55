//! Tag history, tracking, generations, resolution, rollback, deletion and
//! pruning (SPEC §3-§5; openshift-semantics.md §5-§9, §11.4, §12, §17).
//! Table cases carried over from OpenShift's `helpers_test.go`
//! (`TestAddTagEventToImageStream`, `TestUpdateTrackingTags`, `TestResolveImageID`)
//! with real digests where the Go tests use placeholder strings.

use std::num::NonZeroUsize;

use imagestream::chrono::{DateTime, TimeDelta, TimeZone, Utc};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::stream::{
    AddOutcome, FollowError, ImageStream, PruneOptions, ReferencePolicy, RollbackTarget,
    SpecContext, SpecTag, TagEvent, TagSource,
};
use imagestream::{api, stream};
use insta::assert_snapshot;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2017, 9, 29, 13, 40, 11).unwrap()
}

fn tag(s: &str) -> TagName {
    TagName::parse(s).unwrap()
}

fn digest(n: u8) -> Digest {
    Digest::parse(&format!("sha256:{}", format!("{n:02x}").repeat(32))).unwrap()
}

/// An event for image `n` pushed to `repo`.
fn ev(repo: &str, n: u8, generation: i64) -> TagEvent {
    let d = digest(n);
    TagEvent::new(
        ImageReference::parse(&format!("{repo}@{d}")).unwrap(),
        Some(d),
        generation,
        t0(),
    )
}

/// An event whose pull spec is a tag (not the digest).
fn ev_ref(reference: &str, image: Option<u8>, generation: i64) -> TagEvent {
    TagEvent::new(
        ImageReference::parse(reference).unwrap(),
        image.map(digest),
        generation,
        t0(),
    )
}

fn new_stream() -> ImageStream {
    ImageStream::new(
        Namespace::parse("ns").unwrap(),
        StreamName::parse("ruby").unwrap(),
    )
    .unwrap()
}

fn ist(name: &str) -> SpecTag {
    let (stream, t) = match name.split_once(':') {
        Some((s, t)) => (Some(StreamName::parse(s).unwrap()), t),
        None => (None, name),
    };
    SpecTag::new(TagSource::ImageStreamTag {
        namespace: None,
        stream,
        tag: tag(t),
    })
}

fn ctx() -> SpecContext<'static> {
    SpecContext::new(t0())
}

/// Every other stream exists, empty.
fn any_stream(ns: &Namespace, name: &StreamName) -> Option<ImageStream> {
    ImageStream::new(ns.clone(), name.clone()).ok()
}

fn ctx_any() -> SpecContext<'static> {
    SpecContext::new(t0()).with_lookup(&any_stream)
}

fn images(is: &ImageStream, t: &str) -> Vec<String> {
    is.history(t)
        .map(|h| h.iter().map(|e| e.image_str().to_owned()).collect())
        .unwrap_or_default()
}

// --- §5: adding an event -------------------------------------------------

#[test]
fn add_event_table() {
    // (name, next pull spec, next image, expected history (ref, image) newest first, changed)
    type Case<'a> = (&'a str, &'a str, u8, &'a [(&'a str, u8)], AddOutcome);
    let cases: &[Case<'_>] = &[
        (
            "same ref and image",
            "repo:ref",
            1,
            &[("repo:ref", 1)],
            AddOutcome::Unchanged,
        ),
        (
            "same ref, different image",
            "repo:ref",
            2,
            &[("repo:ref", 2)],
            AddOutcome::Rewritten,
        ),
        (
            "different ref, same image",
            "repo:newref",
            1,
            &[("repo:newref", 1)],
            AddOutcome::Rewritten,
        ),
        (
            "different ref, different image",
            "repo:newref",
            2,
            &[("repo:newref", 2), ("repo:ref", 1)],
            AddOutcome::Pushed,
        ),
    ];
    for (name, next_ref, next_image, expected, outcome) in cases {
        let mut h = stream::TagHistory::default();
        assert_eq!(
            h.add(ev_ref("repo:ref", Some(1), 0)),
            AddOutcome::Pushed,
            "nil entry"
        );
        let later = TagEvent::new(
            ImageReference::parse(next_ref).unwrap(),
            Some(digest(*next_image)),
            0,
            t0() + TimeDelta::hours(1),
        );
        assert_eq!(h.add(later), *outcome, "{name}");
        let got: Vec<(String, String)> = h
            .iter()
            .map(|e| (e.pull_spec().as_str().to_owned(), e.image_str().to_owned()))
            .collect();
        let want: Vec<(String, String)> = expected
            .iter()
            .map(|(r, i)| ((*r).to_owned(), digest(*i).to_string()))
            .collect();
        assert_eq!(got, want, "{name}");
        // In-place rewrites keep the original `created`.
        assert_eq!(h.get(h.len() - 1).unwrap().created(), Some(t0()), "{name}");
    }
}

#[test]
fn generation_only_and_conditions() {
    let wire_with_condition = r#"{"metadata":{"name":"ruby","namespace":"ns"},"status":{"tags":[{"tag":"latest","items":[
        {"created":"2017-09-29T13:40:11Z","dockerImageReference":"repo:ref","image":"","generation":1}],
        "conditions":[{"type":"ImportSuccess","status":"False","reason":"NotFound","generation":2}]}]}}"#;
    let mut is = ImageStream::try_from(
        serde_json::from_str::<api::ImageStream>(wire_with_condition).unwrap(),
    )
    .unwrap();
    let latest = tag("latest");
    assert_eq!(is.history("latest").unwrap().conditions().len(), 1);
    // Same ref, same (no) image, same generation: nothing, conditions kept.
    assert!(!is.add_event(&latest, ev_ref("repo:ref", None, 1)));
    assert_eq!(is.history("latest").unwrap().conditions().len(), 1);
    // Generation only: updated in place, conditions cleared.
    assert!(is.add_event(&latest, ev_ref("repo:ref", None, 3)));
    let h = is.history("latest").unwrap();
    assert_eq!((h.len(), h.current().unwrap().generation()), (1, 3));
    assert!(h.conditions().is_empty());
}

#[test]
fn retagging_an_older_image_pushes_a_new_copy() {
    let mut is = new_stream();
    let t = tag("t");
    for n in [1, 2, 1] {
        is.add_event(&t, ev("repo", n, 1));
    }
    assert_eq!(
        images(&is, "t"),
        [digest(1), digest(2), digest(1)].map(|d| d.to_string())
    );
}

// --- §7: tracking ---------------------------------------------------------

#[test]
fn update_tracking_tags_table() {
    struct Case {
        name: &'static str,
        tracking: &'static [&'static str],
        non_tracking: &'static [&'static str],
        from: &'static str,
        expected: &'static [&'static str],
    }
    let cases = [
        Case {
            name: "no tracking",
            tracking: &[],
            non_tracking: &[],
            from: "2.0",
            expected: &[],
        },
        Case {
            name: "from name different",
            tracking: &["latest"],
            non_tracking: &[],
            from: "otherstream:2.0",
            expected: &[],
        },
        Case {
            name: "stream name in from name",
            tracking: &["latest"],
            non_tracking: &[],
            from: "ruby:2.0",
            expected: &["latest"],
        },
        Case {
            name: "1 tracking, 1 not",
            tracking: &["latest"],
            non_tracking: &["other"],
            from: "2.0",
            expected: &["latest"],
        },
        Case {
            name: "multiple tracking, multiple not",
            tracking: &["latest1", "latest2"],
            non_tracking: &["other1", "other2"],
            from: "2.0",
            expected: &["latest1", "latest2"],
        },
    ];
    for c in cases {
        let mut is = new_stream();
        for t in c.tracking {
            is.set_spec_tag(tag(t), ist(c.from), &ctx_any()).unwrap();
        }
        for t in c.non_tracking {
            is.set_spec_tag(tag(t), SpecTag::default(), &ctx()).unwrap();
        }
        for t in ["2.0", "3.0"] {
            is.add_event(&tag(t), ev("ns/ruby", 1, 1));
        }
        is.add_event(&tag("2.0"), ev("ns/ruby", 2, 1));
        let updated: Vec<&str> = c
            .tracking
            .iter()
            .chain(c.non_tracking)
            .copied()
            .filter(|t| images(&is, t).first() == Some(&digest(2).to_string()))
            .collect();
        assert_eq!(updated, c.expected, "{}", c.name);
        assert_eq!(images(&is, "3.0"), [digest(1).to_string()], "{}", c.name);
    }
    // Another namespace is another stream.
    let mut is = new_stream();
    let other_ns = SpecTag::new(TagSource::ImageStreamTag {
        namespace: Some(Namespace::parse("other").unwrap()),
        stream: None,
        tag: tag("2.0"),
    });
    is.set_spec_tag(tag("latest"), other_ns, &ctx_any())
        .unwrap();
    is.add_event(&tag("2.0"), ev("ns/ruby", 2, 1));
    assert!(is.history("latest").is_none());
    // ImageStreamImage sources do not track.
    let mut is = new_stream();
    is.add_event(&tag("2.0"), ev("ns/ruby", 1, 1));
    let isi = SpecTag::new(TagSource::ImageStreamImage {
        namespace: None,
        stream: None,
        id: digest(1).as_str().into(),
    });
    is.set_spec_tag(tag("latest"), isi, &ctx()).unwrap();
    is.add_event(&tag("2.0"), ev("ns/ruby", 2, 1));
    assert_eq!(images(&is, "latest"), [digest(1).to_string()]);
}

#[test]
fn tracking_is_transitive_deterministic_and_cycle_safe() {
    let mut is = new_stream();
    // c -> b -> a, and d -> a
    is.set_spec_tag(tag("b"), ist("a"), &ctx()).unwrap();
    is.set_spec_tag(tag("c"), ist("b"), &ctx()).unwrap();
    is.set_spec_tag(tag("d"), ist("ruby:a"), &ctx()).unwrap();
    is.add_event(&tag("a"), ev("ns/ruby", 7, 2));
    for t in ["a", "b", "c", "d"] {
        assert_eq!(images(&is, t), [digest(7).to_string()], "{t}");
        assert_eq!(
            is.history(t).unwrap().current(),
            is.history("a").unwrap().current(),
            "{t}"
        );
    }
    assert_eq!(is.followers("a"), [&tag("b"), &tag("d")]);
    // Closing a circle is refused, naming the tags.
    let e = is.set_spec_tag(tag("a"), ist("c"), &ctx()).unwrap_err();
    assert_snapshot!(e, @"reference tag is circular: a -> c -> b -> a");
    assert!(is.spec_tag("a").is_none(), "nothing changed");
    // A stream read from the wire with a circle loads, and propagation stops.
    let wire = r#"{"metadata":{"name":"ruby","namespace":"ns"},"spec":{"tags":[
        {"name":"x","from":{"kind":"ImageStreamTag","name":"y"}},
        {"name":"y","from":{"kind":"ImageStreamTag","name":"x"}}]}}"#;
    let mut looped =
        ImageStream::try_from(serde_json::from_str::<api::ImageStream>(wire).unwrap()).unwrap();
    assert!(looped.add_event(&tag("x"), ev("ns/ruby", 1, 1)));
    assert_eq!(images(&looped, "y"), [digest(1).to_string()]);
    assert_eq!(
        looped.follow_tag_reference("x").unwrap_err(),
        FollowError::Circular
    );
}

#[test]
fn follow_tag_reference_messages() {
    let mut is = new_stream();
    is.set_spec_tag(
        tag("src"),
        SpecTag::new(TagSource::DockerImage(
            ImageReference::parse("python:3.6").unwrap(),
        )),
        &ctx(),
    )
    .unwrap();
    is.set_spec_tag(tag("alias"), ist("src"), &ctx()).unwrap();
    is.set_spec_tag(tag("alias2"), ist("ruby:alias"), &ctx())
        .unwrap();
    is.set_spec_tag(tag("dangling"), ist("missing"), &ctx())
        .unwrap();
    is.set_spec_tag(tag("elsewhere"), ist("python:3.6"), &ctx_any())
        .unwrap();
    let f = is.follow_tag_reference("alias2").unwrap();
    assert_eq!((f.tag.as_str(), f.multiple), ("src", true));
    assert!(!is.follow_tag_reference("src").unwrap().multiple);
    assert_snapshot!(is.follow_tag_reference("dangling").unwrap_err(), @"reference tag is not found");
    assert_snapshot!(is.follow_tag_reference("elsewhere").unwrap_err(), @"reference tag points to another imagestream");
    assert_snapshot!(is.follow_tag_reference("nope").unwrap_err(), @"reference tag is not found");
}

// --- §8, §9: generations and spec changes ---------------------------------

#[test]
fn generations_follow_the_strategy() {
    let mut is = new_stream();
    let python = SpecTag::new(TagSource::DockerImage(
        ImageReference::parse("python:3.6").unwrap(),
    ));
    is.set_spec_tag(tag("3.6"), python.clone(), &ctx()).unwrap();
    let created = is.prepare_for_create(&ctx()).unwrap();
    assert_eq!((created.generation, is.generation()), (1, 1));
    assert_eq!(is.spec_tag("3.6").unwrap().generation(), Some(1));
    assert!(
        is.history("3.6").is_none(),
        "an external image waits for import"
    );

    // Re-sending the same spec changes nothing.
    let same = is.set_spec_tag(tag("3.6"), python.clone(), &ctx()).unwrap();
    assert!(!same.generation_bumped);
    assert_eq!(is.generation(), 1);

    // Kind-preserving changes that are not "changed": scheduled, insecure, policy.
    let mut policy = python.clone().with_reference_policy(ReferencePolicy::Local);
    policy = policy.with_import_policy(
        stream::ImportPolicy::default()
            .scheduled(true)
            .insecure(true),
    );
    let r = is.set_spec_tag(tag("3.6"), policy.clone(), &ctx()).unwrap();
    assert!(r.generation_bumped, "the spec differs");
    assert_eq!(is.generation(), 2);
    assert_eq!(
        is.spec_tag("3.6").unwrap().generation(),
        Some(1),
        "not tagRefChanged: generation kept"
    );

    // A new source is changed: the tag takes the new stream generation.
    let other = SpecTag::new(TagSource::DockerImage(
        ImageReference::parse("python:3.7").unwrap(),
    ));
    is.set_spec_tag(tag("3.6"), other.clone(), &ctx()).unwrap();
    assert_eq!(
        (is.generation(), is.spec_tag("3.6").unwrap().generation()),
        (3, Some(3))
    );

    // Generation 0 forces a re-import: bumped, and the tag gets the new one.
    is.set_spec_tag(tag("3.6"), other.with_generation(Some(0)), &ctx())
        .unwrap();
    assert_eq!(
        (is.generation(), is.spec_tag("3.6").unwrap().generation()),
        (4, Some(4))
    );
}

#[test]
fn tag_ref_changed_rules() {
    let is = new_stream();
    let a = SpecTag::new(TagSource::DockerImage(
        ImageReference::parse("a/b:1").unwrap(),
    ))
    .with_generation(Some(2));
    let as_ist = SpecTag::new(TagSource::ImageStreamTag {
        namespace: None,
        stream: Some(StreamName::parse("a").unwrap()),
        tag: tag("1"),
    });
    assert!(
        !is.tag_ref_changed(&a, &SpecTag::default()),
        "no source: never changed"
    );
    assert!(
        is.tag_ref_changed(&SpecTag::default(), &a),
        "no old source counts as empty"
    );
    assert!(
        !is.tag_ref_changed(
            &a,
            &a.clone()
                .with_import_policy(stream::ImportPolicy::default().scheduled(true))
        )
    );
    assert!(!is.tag_ref_changed(&a, &a.clone().with_reference_policy(ReferencePolicy::Local)));
    assert!(is.tag_ref_changed(&a, &a.clone().with_reference(true)));
    assert!(
        is.tag_ref_changed(&a, &a.clone().with_generation(Some(0))),
        "generation reset"
    );
    assert!(!is.tag_ref_changed(&a, &a.clone().with_generation(Some(5))));
    let b = SpecTag::new(TagSource::DockerImage(
        ImageReference::parse("a:1").unwrap(),
    ));
    assert!(
        !is.tag_ref_changed(&b, &as_ist),
        "a kind change alone is not a change (same name)"
    );
}

#[test]
fn tags_changed_events() {
    let mut is = new_stream();
    // A reference tag gets an image-less event at once.
    let reference = SpecTag::new(TagSource::DockerImage(
        ImageReference::parse("python:3.6").unwrap(),
    ))
    .with_reference(true);
    let changes = is.set_spec_tag(tag("ref"), reference, &ctx()).unwrap();
    assert_eq!(changes.histories_changed, [tag("ref")]);
    let e = is.history("ref").unwrap().current().unwrap();
    assert_eq!(
        (e.pull_spec().as_str(), e.image(), e.generation()),
        ("python:3.6", None, 1)
    );
    assert!(
        is.image_stream_tag("ref").is_err(),
        "istag hides image-less tags"
    );
    assert_snapshot!(is.image_stream_tag("ref").unwrap_err(), @r#"imagestreamtags.image.openshift.io "ruby:ref" not found"#);

    // Same-stream ImageStreamTag: resolved at once.
    is.add_event(&tag("src"), ev("172.30.1.1:5000/ns/ruby", 3, 1));
    is.set_spec_tag(tag("copy"), ist("src"), &ctx()).unwrap();
    assert_eq!(images(&is, "copy"), [digest(3).to_string()]);

    // ImageStreamImage by id prefix, and its errors.
    let pin = |id: &str| {
        SpecTag::new(TagSource::ImageStreamImage {
            namespace: None,
            stream: None,
            id: id.into(),
        })
    };
    is.set_spec_tag(tag("pinned"), pin(&digest(3).hex()[..12]), &ctx())
        .unwrap();
    assert_eq!(images(&is, "pinned"), [digest(3).to_string()]);
    let e = is
        .set_spec_tag(tag("bad"), pin("ffff"), &ctx())
        .unwrap_err();
    assert_snapshot!(e, @r#"spec.tags[bad].from.name: Invalid value: "ffff": error generating tag event: imagestreamimage.image.openshift.io "ffff" not found"#);

    // Another stream: through the lookup, copied once (not followed later),
    // and pulled through this stream when it lives in the integrated registry.
    let mut python = ImageStream::new(
        Namespace::parse("ns").unwrap(),
        StreamName::parse("python").unwrap(),
    )
    .unwrap();
    python.add_event(&tag("3.6"), ev("172.30.1.1:5000/ns/python", 9, 1));
    let lookup = move |ns: &Namespace, name: &StreamName| {
        (ns.as_str() == "ns" && name.as_str() == "python").then(|| python.clone())
    };
    let with_lookup = ctx()
        .with_lookup(&lookup)
        .with_internal_registry("172.30.1.1:5000");
    is.set_spec_tag(tag("py"), ist("python:3.6"), &with_lookup)
        .unwrap();
    let e = is.history("py").unwrap().current().unwrap();
    assert_eq!(
        e.pull_spec().as_str(),
        format!("172.30.1.1:5000/ns/ruby@{}", digest(9)),
        "rewritten to this stream"
    );
    let e = is
        .set_spec_tag(tag("gone"), ist("missing:1"), &with_lookup)
        .unwrap_err();
    assert_snapshot!(e, @r#"spec.tags[gone].from.name: Not found: "missing:1""#);
}

// --- §6, §12: resolution ----------------------------------------------------

#[test]
fn resolve_image_id_table() {
    let mut is = new_stream();
    let d1 =
        Digest::parse("sha256:3c87c572822935df60f0f5d3665bd376841a7fcfeb806b5f212de6a00e9a7b25")
            .unwrap();
    let d2 =
        Digest::parse("sha256:3c87c572822935df60f0f5d3665bd376841a7fcfeb806b5f212de6a00e9a7b26")
            .unwrap();
    assert!(!is.image_index_built());
    assert_snapshot!(is.resolve_image(d1.hex()).unwrap_err(), @r#"imagestreamimage.image.openshift.io "3c87c572822935df60f0f5d3665bd376841a7fcfeb806b5f212de6a00e9a7b25" not found"#);
    assert!(is.image_index_built(), "built by the first lookup");
    let push = |d: &Digest| {
        TagEvent::new(
            ImageReference::parse(&format!("repo@{d}")).unwrap(),
            Some(d.clone()),
            1,
            t0(),
        )
    };
    is.add_event(&tag("tag1"), push(&d1));
    for q in [d1.hex(), d1.as_str(), "3c87c5728", "sha256:3c87"] {
        assert_eq!(
            is.resolve_image(q).unwrap().image(),
            Some(d1.clone()),
            "{q}"
        );
    }
    is.add_event(&tag("tag2"), push(&d2));
    assert_snapshot!(is.resolve_image("3c87").unwrap_err(), @r#"Operation cannot be fulfilled on imagestreamimage.image.openshift.io "3c87": multiple images match the prefix "3c87": sha256:3c87c572822935df60f0f5d3665bd376841a7fcfeb806b5f212de6a00e9a7b25, sha256:3c87c572822935df60f0f5d3665bd376841a7fcfeb806b5f212de6a00e9a7b26"#);
    assert_eq!(
        is.resolve_image(d2.as_str()).unwrap().image(),
        Some(d2.clone())
    );
    // The index follows deletions.
    is.delete_tag("tag2").unwrap();
    assert_eq!(is.resolve_image("3c87").unwrap().image(), Some(d1));
}

#[test]
fn pull_spec_resolution() {
    let wire = r#"{"metadata":{"name":"ruby","namespace":"ns"},
      "spec":{"tags":[
        {"name":"local","referencePolicy":{"type":"Local"},"from":{"kind":"DockerImage","name":"quay.io/a/b:1"},"generation":2},
        {"name":"pending","from":{"kind":"DockerImage","name":"quay.io/a/b:2"},"generation":3},
        {"name":"pending-ist","from":{"kind":"ImageStreamTag","name":"local"},"generation":3},
        {"name":"ext","from":{"kind":"DockerImage","name":"quay.io/a/b:3"},"generation":1}]},
      "status":{"dockerImageRepository":"172.30.1.1:5000/ns/ruby","publicDockerImageRepository":"registry.example.com/ns/ruby","tags":[
        {"tag":"local","items":[{"dockerImageReference":"quay.io/a/b@sha256:0101010101010101010101010101010101010101010101010101010101010101","image":"sha256:0101010101010101010101010101010101010101010101010101010101010101","generation":2}]},
        {"tag":"pending","items":[{"dockerImageReference":"quay.io/a/b:2","image":"sha256:0202020202020202020202020202020202020202020202020202020202020202","generation":1}]},
        {"tag":"pending-ist","items":[{"dockerImageReference":"quay.io/a/b:9","image":"","generation":1}]}]}}"#;
    let is =
        ImageStream::try_from(serde_json::from_str::<api::ImageStream>(wire).unwrap()).unwrap();
    assert_eq!(
        is.resolve_pull_spec("local").unwrap(),
        format!("172.30.1.1:5000/ns/ruby@{}", digest(1))
    );
    assert_eq!(is.resolve_pull_spec("pending").unwrap(), "quay.io/a/b:2");
    assert_eq!(
        is.latest_tagged_image("")
            .map(imagestream::stream::TagEvent::generation),
        None,
        "'' is latest"
    );
    // Pending import: newest falls back to the external source, recent
    // returns the old image and says a newer one is pending.
    assert_eq!(
        is.resolve_newest_pull_spec("pending", false).unwrap(),
        ("quay.io/a/b:2".to_owned(), false)
    );
    assert_eq!(
        is.resolve_recent_pull_spec("pending", false).unwrap(),
        ("quay.io/a/b:2".to_owned(), true)
    );
    assert_snapshot!(is.resolve_newest_pull_spec("pending-ist", false).unwrap_err(), @"the pull spec cannot be determined yet");
    // No event at all: the source for external tags, else the repository.
    assert_eq!(
        is.resolve_recent_pull_spec("ext", false).unwrap().0,
        "quay.io/a/b:3"
    );
    assert_eq!(
        is.resolve_recent_pull_spec("other", false).unwrap().0,
        "172.30.1.1:5000/ns/ruby:other"
    );
    assert_eq!(
        is.resolve_recent_pull_spec("other", true).unwrap().0,
        "registry.example.com/ns/ruby:other"
    );
    assert_snapshot!(new_stream().resolve_recent_pull_spec("x", false).unwrap_err(), @"no image repository has been set on the image stream status");
}

// --- rollback, delete, prune, limits ----------------------------------------

#[test]
fn rollback_pins_and_pushes() {
    let mut is = new_stream();
    let latest = tag("latest");
    is.set_spec_tag(tag("follower"), ist("latest"), &ctx())
        .unwrap();
    for n in 1..=3 {
        is.add_event(&latest, ev("172.30.1.1:5000/ns/ruby", n, 1));
    }
    is.rollback(&latest, &RollbackTarget::Revision(2), t0())
        .unwrap();
    assert_eq!(
        images(&is, "latest")[0],
        digest(1).to_string(),
        "pushed on top"
    );
    assert_eq!(is.history("latest").unwrap().len(), 4);
    match is.spec_tag("latest").unwrap().source().unwrap() {
        TagSource::ImageStreamImage { stream, id, .. } => {
            assert_eq!(
                (stream.as_ref().map(StreamName::as_str), &**id),
                (Some("ruby"), digest(1).as_str())
            );
        }
        other => panic!("not pinned: {other:?}"),
    }
    assert_eq!(
        images(&is, "follower")[0],
        digest(1).to_string(),
        "followers follow"
    );
    assert_eq!(
        is.resolve_pull_spec("latest").unwrap(),
        format!("172.30.1.1:5000/ns/ruby@{}", digest(1))
    );
    // By id prefix.
    is.rollback(
        &latest,
        &RollbackTarget::Image(digest(2).hex()[..8].to_owned()),
        t0(),
    )
    .unwrap();
    assert_eq!(images(&is, "latest")[0], digest(2).to_string());
    // Errors.
    assert_snapshot!(is.rollback(&tag("nope"), &RollbackTarget::Revision(0), t0()).unwrap_err(), @r#"imagestreamtags.image.openshift.io "ruby:nope" not found"#);
    assert_snapshot!(is.rollback(&latest, &RollbackTarget::Revision(9), t0()).unwrap_err(), @"revision 9 of tag latest does not exist: the history has 5 entries");
    assert_snapshot!(is.rollback(&latest, &RollbackTarget::Image("sha256:".into()), t0()).unwrap_err(), @r#"Operation cannot be fulfilled on imagestreamimage.image.openshift.io "sha256:": multiple images match the prefix "sha256:": sha256:0101010101010101010101010101010101010101010101010101010101010101, sha256:0202020202020202020202020202020202020202020202020202020202020202, sha256:0303030303030303030303030303030303030303030303030303030303030303"#);
}

#[test]
fn delete_and_remove_spec() {
    let mut is = new_stream();
    is.set_spec_tag(tag("f"), ist("t"), &ctx()).unwrap();
    is.add_event(&tag("t"), ev("r", 1, 1));
    is.remove_spec_tag("f");
    assert!(
        is.history("f").is_some(),
        "removing the spec keeps the history"
    );
    is.set_spec_tag(tag("f"), ist("t"), &ctx()).unwrap();
    is.delete_tag("t").unwrap();
    assert!(is.history("t").is_none() && is.spec_tag("t").is_none());
    assert_eq!(
        images(&is, "f"),
        [digest(1).to_string()],
        "followers keep their history"
    );
    assert_snapshot!(is.delete_tag("t").unwrap_err(), @r#"imagestreamtags.image.openshift.io "ruby:t" not found"#);
}

#[test]
fn prune_rules() {
    let mut wire = api::ImageStream::from(&new_stream());
    wire.metadata.creation_timestamp = Some(t0() - TimeDelta::days(30));
    let mut is = ImageStream::try_from(wire).unwrap();
    let old = |n: u8, days: i64| {
        TagEvent::new(
            ImageReference::parse(&format!("r@{}", digest(n))).unwrap(),
            Some(digest(n)),
            1,
            t0() - TimeDelta::days(days),
        )
    };
    for n in 1..=6 {
        is.add_event(&tag("t"), old(n, 10 - i64::from(n)));
    }
    let now = t0();
    let young = TagEvent::new(
        ImageReference::parse(&format!("r@{}", digest(7))).unwrap(),
        Some(digest(7)),
        1,
        now - TimeDelta::minutes(5),
    );
    is.add_event(&tag("t"), young);
    // revisions: 0 = 7 (young), 1 = 6, 2 = 5, 3 = 4, 4 = 3, 5 = 2, 6 = 1; image 2 in use.
    let removed = is.prune(
        &PruneOptions::default(),
        now,
        |_| false,
        |d| *d == digest(2),
    );
    let got: Vec<(usize, String)> = removed
        .iter()
        .map(|p| (p.revision, p.event.image_str().to_owned()))
        .collect();
    assert_eq!(
        got,
        [
            (3, digest(4).to_string()),
            (4, digest(3).to_string()),
            (6, digest(1).to_string())
        ]
    );
    assert_eq!(
        images(&is, "t"),
        [7, 6, 5, 2].map(|n| digest(n).to_string())
    );
    // A young stream is left alone.
    let mut young_stream = ImageStream::try_from({
        let mut w = api::ImageStream::from(&is);
        w.metadata.creation_timestamp = Some(now - TimeDelta::minutes(1));
        w
    })
    .unwrap();
    assert!(
        young_stream
            .prune(
                &PruneOptions::default().keep_tag_revisions(0),
                now,
                |_| false,
                |_| false
            )
            .is_empty()
    );
}

#[test]
fn history_limit_caps_every_add() {
    let mut is = new_stream();
    for n in 1..=5 {
        is.add_event(&tag("t"), ev("r", n, 1));
    }
    let dropped = is.set_history_limit(NonZeroUsize::new(2));
    assert_eq!(dropped.len(), 3);
    is.add_event(&tag("t"), ev("r", 6, 1));
    assert_eq!(images(&is, "t"), [6, 5].map(|n| digest(n).to_string()));
    assert!(
        is.resolve_image(digest(1).as_ref()).is_err(),
        "the index forgot dropped entries"
    );
}
