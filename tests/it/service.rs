//! The service over the in-memory ports: operations, views, the seed's
//! access rule, conflict retries and a concurrency stress test.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use imagestream::api;
use imagestream::chrono::{TimeZone, Utc};
use imagestream::ports::{
    ImageStore, ManualClock, MemoryStore, Page, Rbac, StaticRegistry, StoreChange, StoreError,
    Stored, StreamStore, Subject,
};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::service::{ImageStreams, ServiceError};
use imagestream::stream::{
    ImageStream, PruneOptions, ReferencePolicy, RollbackTarget, SpecTag, TagEvent, TagSource,
};
use insta::assert_snapshot;

use crate::util::hooked;
use hooked::Hooked;

fn ns(s: &str) -> Namespace {
    Namespace::parse(s).unwrap()
}

fn name(s: &str) -> StreamName {
    StreamName::parse(s).unwrap()
}

fn admin() -> Subject {
    Subject::system_admin()
}

type Service = ImageStreams<MemoryStore, StaticRegistry, Rbac, ManualClock>;

fn service() -> Service {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap());
    ImageStreams::new(
        Arc::new(MemoryStore::new()),
        Arc::new(StaticRegistry::new()),
        Arc::new(Rbac::new()),
        Arc::new(clock),
    )
    .with_internal_registry("172.30.1.1:5000")
}

/// Pushes image `n` to `test/python:<tag>` and stores the image.
fn push(svc: &Service, tag: &str, n: u8) -> Digest {
    let d = Digest::of_sha256(&[n]);
    let mut image = api::Image::default();
    image.metadata.name = d.to_string();
    image.docker_image_reference = format!("172.30.1.1:5000/test/python@{d}");
    image.docker_image_manifest = "{}".into();
    svc.store().create_image_if_absent(image).unwrap();
    let pull_spec = ImageReference::parse(&format!("172.30.1.1:5000/test/python@{d}")).unwrap();
    let at = svc.clock().now_for_tests();
    svc.update(&admin(), &ns("test"), &name("python"), |is| {
        is.add_event(
            &TagName::parse(tag)?,
            TagEvent::new(pull_spec.clone(), Some(d.clone()), 1, at),
        );
        Ok(())
    })
    .unwrap();
    d
}

trait NowForTests {
    fn now_for_tests(&self) -> imagestream::chrono::DateTime<Utc>;
}

impl NowForTests for ManualClock {
    fn now_for_tests(&self) -> imagestream::chrono::DateTime<Utc> {
        imagestream::ports::Clock::now(self)
    }
}

fn with_python() -> Service {
    let svc = service();
    let mut is = ImageStream::new(ns("test"), name("python")).unwrap();
    let mut wire = api::ImageStream::from(&is);
    wire.metadata.labels.insert("app".into(), "web".into());
    is = ImageStream::try_from(wire).unwrap();
    let stored = svc.create(&admin(), is).unwrap();
    assert_eq!(stored.value.generation(), 1);
    assert_eq!(
        stored.value.status_repository(),
        "172.30.1.1:5000/test/python"
    );
    svc
}

#[test]
fn create_get_list_delete() {
    let svc = with_python();
    let e = svc
        .create(
            &admin(),
            ImageStream::new(ns("test"), name("python")).unwrap(),
        )
        .unwrap_err();
    assert_snapshot!(e, @r#"imagestreams.image.openshift.io "python" already exists"#);
    let got = svc.get(&admin(), &ns("test"), &name("python")).unwrap();
    assert_eq!(
        got.value
            .metadata()
            .creation_timestamp
            .map(|t| t.to_rfc3339()),
        Some("2017-10-02T17:05:11+00:00".into())
    );
    svc.create(
        &admin(),
        ImageStream::new(ns("test"), name("ruby")).unwrap(),
    )
    .unwrap();
    let page: Page<Stored<ImageStream>> = svc.list(&admin(), &ns("test"), Some(1), None).unwrap();
    assert_eq!(page.items[0].value.name().as_str(), "python");
    let next = svc
        .list(
            &admin(),
            &ns("test"),
            Some(1),
            page.continue_token.as_deref(),
        )
        .unwrap();
    assert_eq!(
        (next.items[0].value.name().as_str(), next.continue_token),
        ("ruby", None)
    );
    svc.delete(&admin(), &ns("test"), &name("ruby"), None)
        .unwrap();
    assert_snapshot!(svc.get(&admin(), &ns("test"), &name("ruby")).unwrap_err(), @r#"imagestreams.image.openshift.io "ruby" not found"#);
}

#[test]
fn istag_and_isimage_views() {
    let svc = with_python();
    let d1 = push(&svc, "3.5", 1);
    let local = SpecTag::new(TagSource::DockerImage(
        ImageReference::parse("python:3.5").unwrap(),
    ))
    .with_reference_policy(ReferencePolicy::Local);
    svc.set_spec_tag(
        &admin(),
        &ns("test"),
        &name("python"),
        &TagName::parse("3.5").unwrap(),
        &local,
    )
    .unwrap();
    let istag = svc
        .image_stream_tag(&admin(), &ns("test"), "python:3.5")
        .unwrap();
    assert_eq!(istag.metadata.name, "python:3.5");
    assert_eq!(istag.metadata.labels["app"], "web", "the stream's labels");
    assert_eq!(
        istag.metadata.creation_timestamp,
        Some(Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap())
    );
    assert_eq!(istag.image.metadata.name, d1.as_str());
    assert_eq!(
        istag.image.docker_image_reference,
        format!("172.30.1.1:5000/test/python@{d1}"),
        "Local: pulled through the stream"
    );
    assert!(
        istag.image.docker_image_manifest.is_empty(),
        "manifest cleared"
    );
    assert_eq!(
        istag
            .tag
            .as_ref()
            .map(|t| t.reference_policy.type_.as_str()),
        Some("Local")
    );
    assert_snapshot!(svc.image_stream_tag(&admin(), &ns("test"), "python:3.6").unwrap_err(), @r#"imagestreamtags.image.openshift.io "python:3.6" not found"#);
    assert_snapshot!(svc.image_stream_tag(&admin(), &ns("test"), "python").unwrap_err(), @"ImageStreamTags must be retrieved with <name>:<tag>");

    let isimage = svc
        .image_stream_image(
            &admin(),
            &ns("test"),
            &format!("python@{}", &d1.hex()[..10]),
        )
        .unwrap();
    assert_eq!(isimage.image.metadata.name, d1.as_str());
    assert_snapshot!(svc.image_stream_image(&admin(), &ns("test"), "python@0000").unwrap_err(), @r#"imagestreamimages.image.openshift.io "python@0000" not found"#);
    assert_snapshot!(svc.image_stream_image(&admin(), &ns("test"), "python").unwrap_err(), @"ImageStreamImages must be retrieved with <name>@<id>");
    let d2 = push(&svc, "3.6", 2);
    let common: String = d1
        .hex()
        .chars()
        .zip(d2.hex().chars())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a)
        .collect();
    let e = svc
        .image_stream_image(&admin(), &ns("test"), &format!("python@sha256:{common}"))
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Conflict(ref m) if m.contains("multiple images match the prefix")),
        "{e}"
    );
}

#[test]
fn the_seeds_access_rule() {
    // "Users that lack permission to read or list images on the cluster level
    // can still retrieve the images tagged in a project using imagestreams."
    let svc = with_python();
    let d = push(&svc, "latest", 7);
    svc.create(
        &admin(),
        ImageStream::new(ns("other"), name("secret")).unwrap(),
    )
    .unwrap();
    svc.authorizer().bind("alice", "view", &ns("test"));
    let alice = Subject::user("alice");
    let istag = svc
        .image_stream_tag(&alice, &ns("test"), "python:latest")
        .unwrap();
    assert_eq!(
        istag.image.metadata.name,
        d.as_str(),
        "the image, through the istag"
    );
    let isimage = svc
        .image_stream_image(&alice, &ns("test"), &format!("python@{d}"))
        .unwrap();
    assert_eq!(
        isimage.image.metadata.name,
        d.as_str(),
        "and through the isimage"
    );
    assert_snapshot!(svc.image(&alice, &d).unwrap_err(), @r#"images.image.openshift.io "sha256:ca358758f6d27e6cf45272937977a748fd88391db679ceda7dc7bf1f005ee879" is forbidden: User "alice" cannot get resource "images" in API group "image.openshift.io" at the cluster scope"#);
    assert_snapshot!(svc.get(&alice, &ns("other"), &name("secret")).unwrap_err(), @r#"imagestreams.image.openshift.io "secret" is forbidden: User "alice" cannot get resource "imagestreams" in API group "image.openshift.io" in the namespace "other""#);
    assert_snapshot!(svc.delete(&alice, &ns("test"), &name("python"), None).unwrap_err(), @r#"imagestreams.image.openshift.io "python" is forbidden: User "alice" cannot delete resource "imagestreams" in API group "image.openshift.io" in the namespace "test""#);
    assert_eq!(svc.image(&admin(), &d).unwrap().metadata.name, d.as_str());
}

#[test]
fn rollback_delete_tag_and_prune() {
    let svc = with_python();
    let d1 = push(&svc, "latest", 1);
    push(&svc, "latest", 2);
    let latest = TagName::parse("latest").unwrap();
    svc.rollback(
        &admin(),
        &ns("test"),
        &name("python"),
        &latest,
        &RollbackTarget::Revision(1),
    )
    .unwrap();
    let is = svc
        .get(&admin(), &ns("test"), &name("python"))
        .unwrap()
        .value;
    assert_eq!(is.latest_tagged_image("latest").unwrap().image(), Some(d1));
    assert_snapshot!(svc.rollback(&admin(), &ns("test"), &name("python"), &TagName::parse("nope").unwrap(), &RollbackTarget::Revision(0)).unwrap_err(), @r#"imagestreamtags.image.openshift.io "python:nope" not found"#);
    let pruned = svc
        .prune(
            &admin(),
            &ns("test"),
            &name("python"),
            &PruneOptions::default().keep_tag_revisions(1),
            |_| false,
            |_| false,
        )
        .unwrap();
    assert!(pruned.is_empty(), "the stream is younger than 60 minutes");
    svc.delete_tag(&admin(), &ns("test"), "python:latest")
        .unwrap();
    assert_snapshot!(svc.delete_tag(&admin(), &ns("test"), "python:latest").unwrap_err(), @r#"imagestreamtags.image.openshift.io "python:latest" not found"#);
}

#[test]
fn conflicts_are_retried_up_to_the_bound() {
    // Answers the next `conflicts` updates with a conflict.
    let conflicts = Arc::new(AtomicUsize::new(0));
    let left = conflicts.clone();
    let store = Arc::new(Hooked::new(Box::new(move |_, s, v| {
        left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .ok()
            .map(|_| StoreError::Conflict {
                resource: "imagestreams",
                name: s.name().to_string(),
                expected: v,
                actual: v + 1,
            })
    })));
    let svc = ImageStreams::new(
        store.clone(),
        Arc::new(StaticRegistry::new()),
        Arc::new(Rbac::new()),
        Arc::new(ManualClock::new(Utc::now())),
    );
    svc.create(&admin(), ImageStream::new(ns("test"), name("app")).unwrap())
        .unwrap();
    let runs = AtomicUsize::new(0);
    conflicts.store(9, Ordering::SeqCst);
    svc.update(&admin(), &ns("test"), &name("app"), |_| {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok(())
    })
    .unwrap();
    assert_eq!(
        runs.load(Ordering::SeqCst),
        10,
        "nine conflicts, then it lands"
    );
    conflicts.store(10, Ordering::SeqCst);
    let e = svc
        .update(&admin(), &ns("test"), &name("app"), |_| Ok(()))
        .unwrap_err();
    assert_snapshot!(e, @r#"Operation cannot be fulfilled on imagestreams.image.openshift.io "app": the object has been modified; please apply your changes to the latest version and try again"#);
}

#[test]
fn concurrent_updates_all_land_exactly_once() {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap());
    let svc = Arc::new(ImageStreams::new(
        Arc::new(MemoryStore::with_log_capacity(10_000)),
        Arc::new(StaticRegistry::new()),
        Arc::new(Rbac::new()),
        Arc::new(clock),
    ));
    svc.create(
        &admin(),
        ImageStream::new(ns("test"), name("busy")).unwrap(),
    )
    .unwrap();
    let start = svc.store().revision();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let svc = Arc::clone(&svc);
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    svc.update(&admin(), &ns("test"), &name("busy"), |is| {
                        let meta = is.metadata();
                        let total: u64 =
                            meta.annotations.get("total").map_or(Ok(0), |v| v.parse())?;
                        let mine: u64 = meta
                            .annotations
                            .get(&format!("t{t}"))
                            .map_or(Ok(0), |v| v.parse())?;
                        is.set_annotation("total", (total + 1).to_string());
                        is.set_annotation(&format!("t{t}"), (mine + 1).to_string());
                        Ok(())
                    })
                    .expect("lands within the retry bound");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let is = svc.get(&admin(), &ns("test"), &name("busy")).unwrap().value;
    assert_eq!(is.metadata().annotations["total"], "8000");
    for t in 0..8 {
        assert_eq!(
            is.metadata().annotations[&format!("t{t}")],
            "1000",
            "thread {t}"
        );
    }
    let changes = svc.store().changes_since(start).unwrap();
    assert_eq!(changes.len(), 8000, "one write per update");
    let mut last = start;
    for (i, c) in changes.iter().enumerate() {
        let StoreChange::Updated(s) = c else {
            panic!("{c:?}")
        };
        assert!(s.resource_version > last, "strictly increasing");
        last = s.resource_version;
        assert_eq!(
            s.value.metadata().annotations["total"],
            (i + 1).to_string(),
            "replayed in order"
        );
    }
}

#[test]
fn cross_namespace_sources_need_pull_access_there() {
    let svc = with_python();
    let d = push(&svc, "latest", 3);
    svc.create(&admin(), ImageStream::new(ns("mine"), name("app")).unwrap())
        .unwrap();
    svc.authorizer().bind("bob", "edit", &ns("mine"));
    let bob = Subject::user("bob");
    let base = TagName::parse("base").unwrap();
    let from = |stream: &str| {
        SpecTag::new(TagSource::ImageStreamTag {
            namespace: Some(ns("test")),
            stream: Some(name(stream)),
            tag: TagName::parse("latest").unwrap(),
        })
    };
    let err = svc
        .set_spec_tag(&bob, &ns("mine"), &name("app"), &base, &from("python"))
        .unwrap_err();
    assert_snapshot!(err, @r#"spec.tags[base].from: Forbidden: test/python: "no role bound to bob grants get on imagestreams/layers" """#);
    // A stream that does not exist is refused the same way: the answer
    // does not tell bob what exists in a namespace he cannot read.
    let missing = svc
        .set_spec_tag(&bob, &ns("mine"), &name("app"), &base, &from("nothing"))
        .unwrap_err();
    assert!(
        missing.to_string().contains("Forbidden: test/nothing"),
        "{missing}"
    );
    // Allowed to pull there, bob can tag it, and the tag resolves.
    svc.authorizer()
        .bind("bob", "system:image-puller", &ns("test"));
    svc.set_spec_tag(&bob, &ns("mine"), &name("app"), &base, &from("python"))
        .unwrap();
    let app = svc.get(&bob, &ns("mine"), &name("app")).unwrap().value;
    let current = app.history("base").and_then(|h| h.current()).unwrap();
    assert_eq!(current.image_str(), d.as_str());
}
