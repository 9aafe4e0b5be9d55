//! Image stream mappings (§10): what the integrated registry sends after a
//! push, ingested through the service: the stream must exist, images keep
//! their stored content, the managed-image rewrite, followers, conflicts,
//! and the manifest check this crate adds.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use imagestream::api;
use imagestream::chrono::{TimeZone, Utc};
use imagestream::ports::{
    ImageStore, ManualClock, MemoryStore, Rbac, StaticRegistry, StreamStore, Subject,
};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::service::{ImageStreams, ServiceError};
use imagestream::stream::{ImageStream, MANAGED_IMAGE_ANNOTATION, SpecTag, TagEvent, TagSource};

use crate::util::hooked;
use hooked::Hooked;

const SEED_MAPPING: &str = include_str!("../fixtures/seed_mapping.yaml");

fn ns(s: &str) -> Namespace {
    Namespace::parse(s).unwrap()
}

fn name(s: &str) -> StreamName {
    StreamName::parse(s).unwrap()
}

fn admin() -> Subject {
    Subject::system_admin()
}

type Service<S = MemoryStore> = ImageStreams<S, StaticRegistry, Rbac, ManualClock>;

fn service_on<S: StreamStore + ImageStore>(store: Arc<S>) -> Service<S> {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2016, 1, 29, 13, 41, 0).unwrap());
    ImageStreams::new(
        store,
        Arc::new(StaticRegistry::new()),
        Arc::new(Rbac::new()),
        Arc::new(clock),
    )
    .with_internal_registry("172.30.56.218:5000")
}

fn seed_mapping() -> api::ImageStreamMapping {
    let mut m: api::ImageStreamMapping = serde_saphyr::from_str(SEED_MAPPING).unwrap();
    // The seed omits the image's name; the registry sends it.
    m.image.metadata.name =
        "sha256:47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d".into();
    m
}

/// A mapping of image `n` into `test/<stream>:<tag>`.
fn mapping(stream: &str, tag: &str, n: u8) -> (api::ImageStreamMapping, Digest) {
    let d = Digest::of_sha256(&[n]);
    let mut m = api::ImageStreamMapping::default();
    m.metadata.name = stream.into();
    m.metadata.namespace = "test".into();
    m.tag = tag.into();
    m.image.metadata.name = d.to_string();
    m.image.docker_image_reference = format!("172.30.56.218:5000/test/{stream}@{d}");
    (m, d)
}

fn stream(svc: &Service<impl StreamStore + ImageStore>, s: &str) -> ImageStream {
    svc.get(&admin(), &ns("test"), &name(s)).unwrap().value
}

#[test]
fn the_seed_mapping_needs_its_stream_then_tags_the_image() {
    let svc = service_on(Arc::new(MemoryStore::new()));
    let err = svc.create_mapping(&admin(), seed_mapping()).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"imagestreams.image.openshift.io "origin-ruby-sample" not found"#
    );
    assert!(
        svc.store().list_images().unwrap().is_empty(),
        "nothing stored"
    );
    svc.create(
        &admin(),
        ImageStream::new(ns("test"), name("origin-ruby-sample")).unwrap(),
    )
    .unwrap();
    svc.create_mapping(&admin(), seed_mapping()).unwrap();
    let is = stream(&svc, "origin-ruby-sample");
    let current = is.history("latest").unwrap().current().unwrap();
    assert_eq!(
        current.pull_spec().as_str(),
        "172.30.56.218:5000/test/origin-ruby-sample@sha256:47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d"
    );
    assert_eq!(current.generation(), is.generation());
    assert_eq!(
        current.created(),
        Some(Utc.with_ymd_and_hms(2016, 1, 29, 13, 41, 0).unwrap())
    );
    let image = svc.image(&admin(), &current.image().unwrap()).unwrap();
    assert_eq!(image.docker_image_layers.len(), 7);
    // The same mapping again changes nothing.
    let before = svc
        .get(&admin(), &ns("test"), &name("origin-ruby-sample"))
        .unwrap();
    svc.create_mapping(&admin(), seed_mapping()).unwrap();
    let after = svc
        .get(&admin(), &ns("test"), &name("origin-ruby-sample"))
        .unwrap();
    assert_eq!(before.resource_version, after.resource_version);
}

#[test]
fn an_existing_image_keeps_its_content_and_managed_images_move_to_the_stream() {
    let svc = service_on(Arc::new(MemoryStore::new()));
    for s in ["app", "newrepo"] {
        svc.create(&admin(), ImageStream::new(ns("test"), name(s)).unwrap())
            .unwrap();
    }
    let (first, d) = mapping("app", "v1", 1);
    svc.create_mapping(&admin(), first).unwrap();
    // TestAddExistingImageWithNewTag: the stored image keeps its reference,
    // the event uses the mapping's.
    let (mut again, _) = mapping("app", "v2", 1);
    again.image.docker_image_reference = format!("elsewhere.io/app@{d}");
    again
        .image
        .docker_image_layers
        .push(api::ImageLayer::default());
    svc.create_mapping(&admin(), again).unwrap();
    let stored = svc.image(&admin(), &d).unwrap();
    assert_eq!(
        stored.docker_image_reference,
        format!("172.30.56.218:5000/test/app@{d}")
    );
    assert!(
        stored.docker_image_layers.is_empty(),
        "content is immutable"
    );
    let v2 = stream(&svc, "app");
    assert_eq!(
        v2.history("v2")
            .unwrap()
            .current()
            .unwrap()
            .pull_spec()
            .as_str(),
        format!("elsewhere.io/app@{d}")
    );
    // TestAddExistingImageOverridingDockerImageReference: a managed image
    // that already exists is recorded under the target stream's repository.
    let (mut managed, _) = mapping("newrepo", "latest", 1);
    managed.image.docker_image_reference = format!("elsewhere.io/app@{d}");
    managed
        .image
        .metadata
        .annotations
        .insert(MANAGED_IMAGE_ANNOTATION.into(), "true".into());
    svc.create_mapping(&admin(), managed).unwrap();
    assert_eq!(
        stream(&svc, "newrepo")
            .history("latest")
            .unwrap()
            .current()
            .unwrap()
            .pull_spec()
            .as_str(),
        format!("172.30.56.218:5000/test/newrepo@{d}")
    );
}

#[test]
fn followers_of_the_mapped_tag_follow() {
    let svc = service_on(Arc::new(MemoryStore::new()));
    svc.create(&admin(), ImageStream::new(ns("test"), name("app")).unwrap())
        .unwrap();
    let track = |tag: &str| {
        SpecTag::new(TagSource::ImageStreamTag {
            namespace: None,
            stream: None,
            tag: TagName::parse(tag).unwrap(),
        })
    };
    for (tag, target) in [("a", "2.0"), ("b", "2.0"), ("c", "other")] {
        svc.set_spec_tag(
            &admin(),
            &ns("test"),
            &name("app"),
            &TagName::parse(tag).unwrap(),
            &track(target),
        )
        .unwrap();
    }
    let (m, d) = mapping("app", "2.0", 9);
    svc.create_mapping(&admin(), m).unwrap();
    let is = stream(&svc, "app");
    for tag in ["2.0", "a", "b"] {
        assert_eq!(
            is.history(tag).unwrap().current().unwrap().image_str(),
            d.as_str(),
            "{tag}"
        );
    }
    assert!(is.history("c").is_none(), "not a follower");
}

#[test]
fn a_manifest_must_hash_to_the_image_name() {
    let svc = service_on(Arc::new(MemoryStore::new()));
    svc.create(&admin(), ImageStream::new(ns("test"), name("app")).unwrap())
        .unwrap();
    let manifest = r#"{"schemaVersion":2}"#;
    let (mut wrong, d) = mapping("app", "latest", 1);
    wrong.image.docker_image_manifest = manifest.into();
    let err = svc.create_mapping(&admin(), wrong).unwrap_err();
    let actual = Digest::of_sha256(manifest.as_bytes());
    assert_eq!(
        err.to_string(),
        format!(
            r#"image.dockerImageManifest: Invalid value: "{actual}": the manifest's digest does not match the image name {d}"#
        )
    );
    assert!(svc.store().list_images().unwrap().is_empty());
    assert!(stream(&svc, "app").history("latest").is_none());
    // The right name is accepted.
    let (mut right, _) = mapping("app", "latest", 1);
    right.image.docker_image_manifest = manifest.into();
    right.image.metadata.name = actual.to_string();
    right.image.docker_image_reference = format!("172.30.56.218:5000/test/app@{actual}");
    svc.create_mapping(&admin(), right).unwrap();
    // Without a reference, the integrated registry's is filled in.
    let (mut bare, d2) = mapping("app", "bare", 2);
    bare.image.docker_image_reference.clear();
    svc.create_mapping(&admin(), bare).unwrap();
    assert_eq!(
        stream(&svc, "app")
            .history("bare")
            .unwrap()
            .current()
            .unwrap()
            .pull_spec()
            .as_str(),
        format!("172.30.56.218:5000/test/app@{d2}")
    );
}

#[test]
fn mappings_are_authorized_in_their_namespace() {
    let svc = service_on(Arc::new(MemoryStore::new()));
    svc.create(&admin(), ImageStream::new(ns("test"), name("app")).unwrap())
        .unwrap();
    svc.authorizer().bind("viewer", "view", &ns("test"));
    let (m, _) = mapping("app", "latest", 1);
    let err = svc
        .create_mapping(&Subject::user("viewer"), m.clone())
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden(_)), "{err}");
    svc.authorizer().bind("builder", "edit", &ns("test"));
    svc.create_mapping(&Subject::user("builder"), m).unwrap();
}

/// A store whose next update loses a race (when `armed`): another writer
/// gets in first, moving `latest` to another image or only tagging
/// `other`.
fn racing(moves_latest: bool, armed: Arc<AtomicBool>) -> Hooked {
    Hooked::new(Box::new(move |inner, s, _| {
        if !armed.swap(false, Ordering::SeqCst) {
            return None;
        }
        let mut theirs = match inner.get(s.namespace(), s.name()) {
            Ok(t) => t,
            Err(e) => return Some(e),
        };
        let d = Digest::of_sha256(b"theirs");
        let spec = ImageReference::parse(&format!("quay.io/x@{d}")).unwrap();
        let at = Utc.with_ymd_and_hms(2016, 1, 1, 0, 0, 0).unwrap();
        let tag = if moves_latest { "latest" } else { "other" };
        theirs.value.add_event(
            &TagName::parse(tag).unwrap(),
            TagEvent::new(spec, Some(d), 1, at),
        );
        inner.update(theirs.value, theirs.resource_version).err()
    }))
}

#[test]
fn a_lost_race_is_retried_only_while_the_tag_has_not_moved() {
    for moves_latest in [false, true] {
        let armed = Arc::new(AtomicBool::new(false));
        let svc = service_on(Arc::new(racing(moves_latest, armed.clone())));
        svc.create(&admin(), ImageStream::new(ns("test"), name("app")).unwrap())
            .unwrap();
        // A first image on latest, so the race has a previous event.
        let (first, _) = mapping("app", "latest", 1);
        svc.create_mapping(&admin(), first).unwrap();
        armed.store(true, Ordering::SeqCst);
        let (second, d) = mapping("app", "latest", 2);
        let result = svc.create_mapping(&admin(), second);
        let is = stream(&svc, "app");
        let current = is.history("latest").unwrap().current().unwrap();
        let theirs = Digest::of_sha256(b"theirs");
        if moves_latest {
            // TestCreateRetryConflictTagDiff: the conflict is returned.
            let err = result.unwrap_err();
            assert!(matches!(err, ServiceError::Conflict(_)), "{err}");
            assert_eq!(current.image_str(), theirs.as_str());
        } else {
            // TestCreateRetryConflictNoTagDiff: read again, retried.
            result.unwrap();
            assert_eq!(current.image_str(), d.as_str());
            assert!(is.history("other").is_some(), "the other write is kept");
        }
    }
}
