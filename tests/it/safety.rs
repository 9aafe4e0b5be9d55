//! Refusals write nothing and reveal nothing; races never lose or revert a
//! write; retries land; status needs its subresource (SPEC §13).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use imagestream::api;
use imagestream::chrono::{TimeZone, Utc};
use imagestream::ops::tag::{FlagError, TagCommand, TagError};
use imagestream::ports::{
    ImageStore, ImportRequest, ImportedImage, ManualClock, MemoryStore, Page, Rbac, Registry,
    RegistryError, Resource, StaticRegistry, StoreChange, StoreError, Stored, StreamStore, Subject,
    TagList, Verb,
};
use imagestream::reference::{
    Digest, ImageReference, Namespace, ReferenceError, StreamName, TagName,
};
use imagestream::service::{BadRequest, Conflict, ImageStreams, ServiceError};
use imagestream::stream::{
    ImageStream, ImageWrite, ImportPolicy, PruneOptions, SpecContext, SpecTag, TagEvent, TagSource,
};
use insta::assert_snapshot;

use crate::util::hooked::Hooked;

fn ns(s: &str) -> Namespace {
    Namespace::parse(s).unwrap()
}

fn name(s: &str) -> StreamName {
    StreamName::parse(s).unwrap()
}

fn tag(s: &str) -> TagName {
    TagName::parse(s).unwrap()
}

fn admin() -> Subject {
    Subject::system_admin()
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap(),
    ))
}

fn on<S: StreamStore + ImageStore, R: Registry>(
    store: Arc<S>,
    registry: Arc<R>,
) -> ImageStreams<S, R, Rbac, ManualClock> {
    ImageStreams::new(store, registry, Arc::new(Rbac::new()), clock())
}

fn service() -> ImageStreams<MemoryStore, StaticRegistry, Rbac, ManualClock> {
    on(
        Arc::new(MemoryStore::new()),
        Arc::new(StaticRegistry::new()),
    )
}

fn external(tag_name: &str, from: &str) -> (TagName, SpecTag) {
    (
        tag(tag_name),
        SpecTag::new(TagSource::DockerImage(ImageReference::parse(from).unwrap())),
    )
}

// --- point 7: authorize before reading ---------------------------------

#[test]
fn a_refused_tag_does_not_say_whether_the_stream_exists() {
    let svc = service();
    svc.create(
        &admin(),
        ImageStream::new(ns("default"), name("there")).unwrap(),
    )
    .unwrap();
    let nobody = Subject::user("nobody");
    let refuse = |dest: &str| {
        let failure = svc
            .tag(
                &nobody,
                &ns("default"),
                &TagCommand::new(["docker.io/python:3.6", dest]),
            )
            .unwrap_err();
        let ServiceError::Forbidden(f) = &failure.error else {
            panic!("not a denial: {failure}");
        };
        assert_eq!(
            (f.verb, f.resource),
            (Verb::Update, Resource::ImageStreamTags)
        );
        failure.to_string().replace(dest, "<dest>")
    };
    let missing = refuse("missing:t");
    let existing = refuse("there:t");
    assert_eq!(missing, existing, "the same refusal either way");
    assert_snapshot!(missing, @r#"imagestreamtags.image.openshift.io "<dest>" is forbidden: User "nobody" cannot update resource "imagestreamtags" in API group "image.openshift.io" in the namespace "default""#);
}

// --- point 8: a refused tag writes nothing -----------------------------

#[test]
fn a_refused_alias_leaves_no_stream_behind() {
    let svc = service();
    let failure = svc
        .tag(
            &admin(),
            &ns("default"),
            &TagCommand::new(["app:t", "app:t"]).alias(true),
        )
        .unwrap_err();
    assert!(
        failure.to_string().contains("reference tag is circular"),
        "{failure}"
    );
    assert!(failure.done.is_empty());
    let err = svc.get(&admin(), &ns("default"), &name("app")).unwrap_err();
    assert!(matches!(err, ServiceError::NotFound { .. }), "{err}");
    // A good tag on a missing stream still creates it, tag set in one write.
    let start = svc.store().revision();
    svc.tag(
        &admin(),
        &ns("default"),
        &TagCommand::new(["docker.io/python:3.6", "app:t"]),
    )
    .unwrap();
    let changes = svc.store().changes_since(start).unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    let StoreChange::Created(created) = &changes[0] else {
        panic!("{changes:?}");
    };
    assert!(created.value.spec_tag("t").is_some());
}

// --- point 19: a denied create does not name the object ----------------

#[test]
fn a_denied_create_leaves_the_name_out() {
    let svc = service();
    let rbac = svc.authorizer();
    rbac.bind("u", "view", &ns("test"));
    let err = svc
        .create(
            &Subject::user("u"),
            ImageStream::new(ns("test"), name("secret-name")).unwrap(),
        )
        .unwrap_err();
    assert_snapshot!(err, @r#"imagestreams.image.openshift.io is forbidden: User "u" cannot create resource "imagestreams" in API group "image.openshift.io" in the namespace "test""#);
}

// --- point 18: status needs imagestreams/status ------------------------

fn foreign_event() -> TagEvent {
    let d = Digest::of_sha256(b"someone else's image");
    let spec = ImageReference::parse(&format!("172.30.1.1:5000/other/app@{d}")).unwrap();
    TagEvent::new(
        spec,
        Some(d),
        1,
        Utc.with_ymd_and_hms(2017, 1, 1, 0, 0, 0).unwrap(),
    )
}

#[test]
fn a_plain_update_drops_status_without_the_status_subresource() {
    let svc = service();
    svc.create(&admin(), ImageStream::new(ns("test"), name("app")).unwrap())
        .unwrap();
    svc.authorizer().bind("editor", "edit", &ns("test"));
    let editor = Subject::user("editor");
    let ((), stored) = svc
        .update(&editor, &ns("test"), &name("app"), |is| {
            is.add_event(&tag("latest"), foreign_event());
            is.set_annotation("note", "kept".into());
            Ok(())
        })
        .unwrap();
    assert!(stored.value.history("latest").is_none(), "status dropped");
    assert_eq!(stored.value.metadata().annotations["note"], "kept");
    // Spec changes still write the events they imply (a reference tag).
    let ((), stored) = svc
        .update(&editor, &ns("test"), &name("app"), |is| {
            let (t, spec) = external("ref", "docker.io/app:1");
            is.set_spec_tag(t, spec.with_reference(true), &SpecContext::new(Utc::now()))?;
            Ok(())
        })
        .unwrap();
    assert_eq!(
        stored
            .value
            .history("ref")
            .map(imagestream::stream::TagHistory::len),
        Some(1)
    );

    // The escape hatch: a role with update imagestreams/status.
    let mut rbac = Rbac::new();
    rbac.define_role(
        "status-writer",
        [
            (Verb::Update, Resource::ImageStreams),
            (Verb::Update, Resource::ImageStreamStatus),
        ],
    );
    rbac.bind("controller", "status-writer", &ns("test"));
    let svc = ImageStreams::new(
        Arc::new(MemoryStore::new()),
        Arc::new(StaticRegistry::new()),
        Arc::new(rbac),
        clock(),
    );
    svc.create(&admin(), ImageStream::new(ns("test"), name("app")).unwrap())
        .unwrap();
    let ((), stored) = svc
        .update(
            &Subject::user("controller"),
            &ns("test"),
            &name("app"),
            |is| {
                is.add_event(&tag("latest"), foreign_event());
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(
        stored
            .value
            .history("latest")
            .map(imagestream::stream::TagHistory::len),
        Some(1)
    );
}

#[test]
fn pruning_is_the_image_pruners() {
    let svc = service();
    svc.create(&admin(), ImageStream::new(ns("test"), name("app")).unwrap())
        .unwrap();
    svc.authorizer().bind("editor", "edit", &ns("test"));
    let prune = |who: &str| {
        svc.prune(
            &Subject::user(who),
            &ns("test"),
            &name("app"),
            &PruneOptions::default(),
            |_| false,
            |_| false,
        )
    };
    let err = prune("editor").unwrap_err();
    assert_snapshot!(err, @r#"imagestreams.image.openshift.io "app" is forbidden: User "editor" cannot update resource "imagestreams/status" in API group "image.openshift.io" in the namespace "test""#);
    svc.authorizer()
        .bind_cluster("system:serviceaccount:pruner", "system:image-pruner");
    prune("system:serviceaccount:pruner").unwrap();
}

// --- point 9: an import never reverts a spec change --------------------

/// A registry that, while answering, lets a user move the tag `3.6` to
/// another source (the race between planning and applying an import).
struct Racing {
    inner: StaticRegistry,
    store: Arc<MemoryStore>,
    armed: AtomicBool,
}

impl Registry for Racing {
    fn resolve(&self, request: &ImportRequest) -> Result<ImportedImage, RegistryError> {
        if self.armed.swap(false, Ordering::SeqCst) {
            let mut theirs = self.store.get(&ns("test"), &name("py")).unwrap();
            let (t, spec) = external("3.6", "quay.io/mine/python:3.6");
            theirs
                .value
                .set_spec_tag(t, spec, &SpecContext::new(Utc::now()))
                .unwrap();
            self.store
                .update(theirs.value, theirs.resource_version)
                .unwrap();
        }
        self.inner.resolve(request)
    }

    fn list_tags(&self, request: &ImportRequest, cap: usize) -> Result<TagList, RegistryError> {
        self.inner.list_tags(request, cap)
    }
}

#[test]
fn an_import_racing_a_spec_change_does_not_revert_it() {
    let store = Arc::new(MemoryStore::new());
    let registry = Arc::new(Racing {
        inner: StaticRegistry::new(),
        store: store.clone(),
        armed: AtomicBool::new(false),
    });
    let d = Digest::of_sha256(b"docker.io python 3.6");
    registry.inner.insert(
        &ImageReference::parse("docker.io/python:3.6").unwrap(),
        ImportedImage::new(
            d.clone(),
            "application/vnd.docker.distribution.manifest.v2+json",
        ),
    );
    let svc = on(store.clone(), registry.clone());
    svc.create(&admin(), ImageStream::new(ns("test"), name("py")).unwrap())
        .unwrap();
    let (t, spec) = external("3.6", "docker.io/python:3.6");
    svc.set_spec_tag(&admin(), &ns("test"), &name("py"), &t, &spec)
        .unwrap();
    registry.armed.store(true, Ordering::SeqCst);
    let imported = svc.import(&admin(), &ns("test"), &name("py")).unwrap();
    assert_eq!(imported.asked.len(), 1);
    let is = svc.get(&admin(), &ns("test"), &name("py")).unwrap().value;
    let source = is.spec_tag("3.6").and_then(SpecTag::source).unwrap();
    assert_eq!(
        source.name(),
        "quay.io/mine/python:3.6",
        "the user's change stays"
    );
    assert!(is.history("3.6").is_none(), "the stale answer was dropped");
    assert!(imported.changes.images_created.is_empty());
    assert!(
        matches!(store.get_image(&d), Err(StoreError::NotFound { .. })),
        "no image is stored for a dropped answer"
    );
}

// --- point 10: retries land; an exhausted budget leaves nothing ---------

/// 8 writers × 500 updates of one stream: every call lands, each exactly
/// once (each write bumps the generation by one, so the generations a
/// writer gets back are its writes' places in version order). The
/// stream carries 50 other tags, so each read-modify-write takes a while.
fn eight_writers(svc: &Arc<ImageStreams<MemoryStore, StaticRegistry, Rbac, ManualClock>>) {
    const THREADS: usize = 8;
    const UPDATES: usize = 500;
    svc.create(
        &admin(),
        ImageStream::new(ns("test"), name("busy")).unwrap(),
    )
    .unwrap();
    let ((), stored) = svc
        .update(&admin(), &ns("test"), &name("busy"), |is| {
            let mut spec: std::collections::BTreeMap<_, _> = is
                .spec_tags()
                .map(|(t, s)| (t.clone(), s.clone()))
                .collect();
            for n in 0..50 {
                let (t, s) = external(&format!("other{n}"), &format!("docker.io/other:{n}"));
                spec.insert(t, s);
            }
            is.update_spec(spec, &SpecContext::new(Utc::now()))?;
            Ok(())
        })
        .unwrap();
    let first = stored.value.generation();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let svc = Arc::clone(svc);
            std::thread::spawn(move || {
                let mut generations = Vec::with_capacity(UPDATES);
                for i in 0..UPDATES {
                    let (tg, spec) = external(&format!("t{t}"), &format!("docker.io/app:{i}"));
                    let changes = svc
                        .set_spec_tag(&admin(), &ns("test"), &name("busy"), &tg, &spec)
                        .map_err(|e| format!("writer {t} update {i}: {e}"))?;
                    generations.push(changes.generation);
                }
                Ok::<_, String>(generations)
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in threads {
        let generations = t.join().unwrap().unwrap();
        assert!(
            generations.windows(2).all(|w| w[0] < w[1]),
            "a writer's updates land in its order"
        );
        all.extend(generations);
    }
    all.sort_unstable();
    let expected: Vec<i64> = (1..=i64::try_from(THREADS * UPDATES).unwrap())
        .map(|n| first + n)
        .collect();
    assert_eq!(all, expected, "every update landed exactly once");
    let is = svc.get(&admin(), &ns("test"), &name("busy")).unwrap().value;
    for t in 0..THREADS {
        let source = is.spec_tag(&format!("t{t}")).and_then(SpecTag::source);
        assert_eq!(
            source.map(TagSource::name),
            Some(format!("docker.io/app:{}", UPDATES - 1))
        );
    }
}

#[test]
fn eight_writers_on_one_stream_all_land_in_order() {
    eight_writers(&Arc::new(ImageStreams::new(
        Arc::new(MemoryStore::new()),
        Arc::new(StaticRegistry::new()),
        Arc::new(Rbac::new()),
        clock(),
    )));
}

/// A clock that records the pauses asked of it instead of sleeping.
struct Recording {
    now: imagestream::chrono::DateTime<Utc>,
    pauses: std::sync::Mutex<Vec<std::time::Duration>>,
}

impl imagestream::ports::Clock for Recording {
    fn now(&self) -> imagestream::chrono::DateTime<Utc> {
        self.now
    }
    fn sleep(&self, pause: std::time::Duration) {
        self.pauses.lock().unwrap().push(pause);
    }
}

#[test]
fn the_default_budget_outlasts_thirty_lost_races_with_growing_pauses() {
    let left = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let losses = left.clone();
    let store = Arc::new(Hooked::new(Box::new(move |_, s, v| {
        losses
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .ok()
            .map(|_| StoreError::Conflict {
                resource: "imagestreams",
                name: s.name().to_string(),
                expected: v,
                actual: v + 1,
            })
    })));
    let clock = Arc::new(Recording {
        now: Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap(),
        pauses: std::sync::Mutex::new(Vec::new()),
    });
    let svc = ImageStreams::new(
        store,
        Arc::new(StaticRegistry::new()),
        Arc::new(Rbac::new()),
        clock.clone(),
    );
    svc.create(&admin(), ImageStream::new(ns("test"), name("app")).unwrap())
        .unwrap();
    left.store(30, Ordering::SeqCst);
    let (t, spec) = external("t", "docker.io/app:1");
    svc.set_spec_tag(&admin(), &ns("test"), &name("app"), &t, &spec)
        .unwrap();
    let pauses = clock.pauses.lock().unwrap().clone();
    assert_eq!(pauses.len(), 30, "one pause before each retry");
    for (n, pause) in pauses.iter().enumerate() {
        let bound = std::time::Duration::from_micros(100)
            .saturating_mul(1 << n.min(20))
            .min(std::time::Duration::from_millis(5));
        assert!(*pause <= bound, "retry {}: {pause:?} > {bound:?}", n + 1);
    }
    // The first five are bounded by 0.1 + 0.2 + 0.4 + 0.8 + 1.6 ms; ten
    // draws up to 5 ms each sum below that with probability ~1e-9.
    let early: std::time::Duration = pauses[..5].iter().sum();
    let late: std::time::Duration = pauses[20..].iter().sum();
    assert!(early <= std::time::Duration::from_micros(3100), "{early:?}");
    assert!(
        late > std::time::Duration::from_micros(3100),
        "pauses grow: {late:?}"
    );
}

fn always_conflicting() -> Hooked {
    Hooked::new(Box::new(|_, s, v| {
        Some(StoreError::Conflict {
            resource: "imagestreams",
            name: s.name().to_string(),
            expected: v,
            actual: v + 1,
        })
    }))
}

fn mapping(stream: &str, content: &[u8]) -> (api::ImageStreamMapping, Digest) {
    let d = Digest::of_sha256(content);
    let mut m = api::ImageStreamMapping::default();
    m.metadata.namespace = "test".into();
    m.metadata.name = stream.into();
    m.tag = "latest".into();
    m.image.metadata.name = d.to_string();
    m.image.docker_image_reference = format!("172.30.1.1:5000/test/{stream}@{d}");
    (m, d)
}

#[test]
fn an_exhausted_budget_stores_no_image() {
    let store = Arc::new(always_conflicting());
    let registry = Arc::new(StaticRegistry::new());
    let svc = on(store.clone(), registry.clone()).with_max_attempts(3);
    svc.create(&admin(), ImageStream::new(ns("test"), name("app")).unwrap())
        .unwrap();

    let (m, d) = mapping("app", b"pushed");
    let err = svc.create_mapping(&admin(), m).unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::Conflict(Conflict::Exhausted { attempts: 3, .. })
        ),
        "{err:?}"
    );
    assert!(matches!(
        store.get_image(&d),
        Err(StoreError::NotFound { .. })
    ));

    let from = ImageReference::parse("docker.io/python:3.6").unwrap();
    let imported = Digest::of_sha256(b"imported");
    registry.insert(
        &from,
        ImportedImage::new(
            imported.clone(),
            "application/vnd.docker.distribution.manifest.v2+json",
        ),
    );
    // The spec tag is written straight to the inner store (every service
    // write conflicts).
    let mut is = store.inner.get(&ns("test"), &name("app")).unwrap();
    let (t, spec) = external("3.6", from.as_str());
    is.value
        .set_spec_tag(
            t,
            spec.with_import_policy(ImportPolicy::default()),
            &SpecContext::new(Utc::now()),
        )
        .unwrap();
    store.inner.update(is.value, is.resource_version).unwrap();
    let err = svc.import(&admin(), &ns("test"), &name("app")).unwrap_err();
    assert!(matches!(err, ServiceError::Conflict(_)), "{err:?}");
    assert!(matches!(
        store.get_image(&imported),
        Err(StoreError::NotFound { .. })
    ));
}

// --- one error story -----------------------------------------------------

/// A caller's own error, for `update`.
#[derive(Debug)]
struct Mine;

impl std::fmt::Display for Mine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not today")
    }
}

impl std::error::Error for Mine {}

#[test]
fn causes_are_typed_and_reachable_through_source() {
    let svc = service();
    // A bad istag name: the server's message, the parse error as source.
    let err = svc
        .image_stream_tag(&admin(), &ns("test"), "no-tag")
        .unwrap_err();
    assert_snapshot!(err, @"ImageStreamTags must be retrieved with <name>:<tag>");
    assert!(matches!(
        err,
        ServiceError::BadRequest(BadRequest::IsTagName(_))
    ));
    let cause = std::iter::successors(Some(&err as &dyn std::error::Error), |c| c.source())
        .find_map(|c| c.downcast_ref::<ReferenceError>());
    assert!(cause.is_some(), "source() reaches the ReferenceError");

    // The caller's own error in update comes back as itself.
    svc.create(&admin(), ImageStream::new(ns("test"), name("app")).unwrap())
        .unwrap();
    let err = svc
        .update(&admin(), &ns("test"), &name("app"), |_| {
            Err::<(), _>(Mine.into())
        })
        .unwrap_err();
    assert!(
        err.rejected()
            .is_some_and(<dyn std::error::Error + Send + Sync>::is::<Mine>),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "not today");

    // oc's flag errors are typed values with oc's message.
    let failure = svc
        .tag(
            &admin(),
            &ns("test"),
            &TagCommand::new(["app:t"]).alias(true).delete(true),
        )
        .unwrap_err();
    assert!(matches!(
        failure.error,
        ServiceError::Tag(TagError::Invalid(FlagError::AliasAndDelete))
    ));
    assert_snapshot!(failure, @"--alias and --delete may not be both specified");
}

/// A store whose namespace `down` is unreachable.
struct PartlyDown(MemoryStore);

impl StreamStore for PartlyDown {
    fn get(&self, n: &Namespace, s: &StreamName) -> Result<Stored<ImageStream>, StoreError> {
        if n.as_str() == "down" {
            return Err(StoreError::Unavailable("etcd is down".into()));
        }
        self.0.get(n, s)
    }
    fn list(
        &self,
        n: &Namespace,
        l: Option<usize>,
        t: Option<&str>,
    ) -> Result<Page<Stored<ImageStream>>, StoreError> {
        self.0.list(n, l, t)
    }
    fn create(&self, s: ImageStream) -> Result<Stored<ImageStream>, StoreError> {
        self.0.create(s)
    }
    fn update(&self, s: ImageStream, v: u64) -> Result<Stored<ImageStream>, StoreError> {
        self.0.update(s, v)
    }
    fn delete(&self, n: &Namespace, s: &StreamName, u: Option<&str>) -> Result<(), StoreError> {
        self.0.delete(n, s, u)
    }
    fn changes_since(&self, r: u64) -> Result<Vec<StoreChange>, StoreError> {
        self.0.changes_since(r)
    }
}

impl ImageStore for PartlyDown {
    fn get_image(&self, d: &Digest) -> Result<api::Image, StoreError> {
        self.0.get_image(d)
    }
    fn put_image(&self, i: api::Image) -> Result<ImageWrite, StoreError> {
        self.0.put_image(i)
    }
    fn list_images(&self) -> Result<Vec<api::Image>, StoreError> {
        self.0.list_images()
    }
}

#[test]
fn a_store_outage_is_not_reported_as_not_found() {
    let svc = on(
        Arc::new(PartlyDown(MemoryStore::new())),
        Arc::new(StaticRegistry::new()),
    );
    svc.create(&admin(), ImageStream::new(ns("test"), name("app")).unwrap())
        .unwrap();
    let from = SpecTag::new(TagSource::ImageStreamTag {
        namespace: Some(ns("down")),
        stream: Some(name("base")),
        tag: tag("latest"),
    });
    let err = svc
        .set_spec_tag(&admin(), &ns("test"), &name("app"), &tag("base"), &from)
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::Store(StoreError::Unavailable(_))),
        "{err:?}"
    );
    let is = svc.get(&admin(), &ns("test"), &name("app")).unwrap().value;
    assert!(is.spec_tag("base").is_none(), "nothing written");
}

/// One service operation on the stream named by its argument.
type Op<'a> = Box<dyn Fn(&str) -> Result<(), ServiceError> + 'a>;

/// The class behind point 7: every operation refuses a subject without
/// rights the same way whether its stream exists or not.
#[test]
#[allow(clippy::too_many_lines)] // one table row per service operation
fn every_refusal_is_the_same_whether_the_stream_exists_or_not() {
    let svc = service();
    svc.create(
        &admin(),
        ImageStream::new(ns("test"), name("there")).unwrap(),
    )
    .unwrap();
    let nobody = Subject::user("nobody");
    let d = Digest::of_sha256(b"x");
    let svc = &svc;
    let nobody = &nobody;
    let ops: Vec<(&str, Op<'_>)> = vec![
        (
            "get",
            Box::new(|s| svc.get(nobody, &ns("test"), &name(s)).map(drop)),
        ),
        (
            "delete",
            Box::new(|s| svc.delete(nobody, &ns("test"), &name(s), None)),
        ),
        (
            "update",
            Box::new(|s| {
                svc.update(nobody, &ns("test"), &name(s), |_| Ok(()))
                    .map(drop)
            }),
        ),
        (
            "set_spec_tag",
            Box::new(|s| {
                let (t, spec) = external("t", "docker.io/app:1");
                svc.set_spec_tag(nobody, &ns("test"), &name(s), &t, &spec)
                    .map(drop)
            }),
        ),
        (
            "rollback",
            Box::new(|s| {
                svc.rollback(
                    nobody,
                    &ns("test"),
                    &name(s),
                    &tag("t"),
                    &imagestream::stream::RollbackTarget::Revision(1),
                )
                .map(drop)
            }),
        ),
        (
            "delete_tag",
            Box::new(|s| {
                svc.delete_tag(nobody, &ns("test"), &format!("{s}:t"))
                    .map(drop)
            }),
        ),
        (
            "prune",
            Box::new(|s| {
                svc.prune(
                    nobody,
                    &ns("test"),
                    &name(s),
                    &PruneOptions::default(),
                    |_| false,
                    |_| false,
                )
                .map(drop)
            }),
        ),
        (
            "import",
            Box::new(|s| svc.import(nobody, &ns("test"), &name(s)).map(drop)),
        ),
        (
            "import_scheduled",
            Box::new(|s| {
                svc.import_scheduled(nobody, &ns("test"), &name(s))
                    .map(drop)
            }),
        ),
        (
            "image_stream_tag",
            Box::new(|s| {
                svc.image_stream_tag(nobody, &ns("test"), &format!("{s}:t"))
                    .map(drop)
            }),
        ),
        (
            "image_stream_image",
            Box::new(|s| {
                svc.image_stream_image(nobody, &ns("test"), &format!("{s}@{d}"))
                    .map(drop)
            }),
        ),
        (
            "create_mapping",
            Box::new(|s| svc.create_mapping(nobody, mapping(s, b"x").0).map(drop)),
        ),
        (
            "tag",
            Box::new(|s| {
                svc.tag(
                    nobody,
                    &ns("test"),
                    &TagCommand::new(["docker.io/app:1", &format!("{s}:t")]),
                )
                .map(drop)
                .map_err(|f| f.error)
            }),
        ),
    ];
    for (op, run) in &ops {
        let refuse = |s: &str| {
            let err = run(s).unwrap_err();
            assert!(
                matches!(err, ServiceError::Forbidden(_)),
                "{op} on {s}: {err}"
            );
            err.to_string().replace(s, "<name>")
        };
        assert_eq!(refuse("missing"), refuse("there"), "{op}");
    }
}
