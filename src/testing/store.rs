//! The [`StreamStore`]/[`ImageStore`] contract, written once: every
//! implementation (the crate's [`MemoryStore`](crate::ports::MemoryStore),
//! the etcd adapter, yours) runs the same checks.
//!
//! ```
//! use imagestream::ports::MemoryStore;
//!
//! // Each check gets a fresh, empty store from the closure.
//! imagestream::testing::store::run(MemoryStore::new);
//! // Compaction: here the store forgets on its own (a one-entry log).
//! imagestream::testing::store::compaction(&MemoryStore::with_log_capacity(1), |_| {});
//! ```
//!
//! # Panics
//!
//! Every function here panics when the store breaks the contract, with a
//! message saying which rule; that is how a test fails.

#![allow(clippy::missing_panics_doc, clippy::too_many_lines)] // test code: panics are the point

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::api;
use crate::ports::{ImageStore, StoreChange, StoreError, StreamStore};
use crate::reference::{Algorithm, Digest, Namespace, StreamName};
use crate::stream::{Content, ImageStream, ImageWrite};

fn ns(s: &str) -> Namespace {
    Namespace::parse(s).expect("a valid namespace literal")
}

fn name(s: &str) -> StreamName {
    StreamName::parse(s).expect("a valid stream name literal")
}

/// An empty stream `namespace/name`.
#[must_use]
pub fn stream(namespace: &str, stream_name: &str) -> ImageStream {
    ImageStream::new(ns(namespace), name(stream_name)).expect("a short qualified name")
}

fn at(secs: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(1_500_000_000 + secs, 0)
}

/// A stream that uses every part of the wire a store must keep: labels,
/// annotations, a lookup policy, spec tags of each source kind, histories
/// with several events, and a condition.
#[must_use]
pub fn rich_stream(namespace: &str, stream_name: &str) -> ImageStream {
    let mut wire = api::ImageStream {
        api_version: api::API_VERSION.into(),
        kind: "ImageStream".into(),
        ..api::ImageStream::default()
    };
    wire.metadata.name = stream_name.into();
    wire.metadata.namespace = namespace.into();
    wire.metadata.generation = 3;
    wire.metadata.labels = BTreeMap::from([("app".into(), "web".into())]);
    wire.metadata.annotations =
        BTreeMap::from([("openshift.io/display-name".into(), "Web \"app\"".into())]);
    wire.spec.lookup_policy.local = true;
    wire.status.docker_image_repository = format!("172.30.1.1:5000/{namespace}/{stream_name}");
    let mut external = api::TagReference {
        name: "3.6".into(),
        from: Some(api::ObjectReference::new("DockerImage", "python:3.6")),
        generation: Some(2),
        annotations: Some(BTreeMap::from([("tags".into(), "builder".into())])),
        ..api::TagReference::default()
    };
    external.import_policy.scheduled = true;
    external.reference_policy.type_ = "Local".into();
    let alias = api::TagReference {
        name: "latest".into(),
        from: Some(api::ObjectReference::new("ImageStreamTag", "3.6")),
        generation: Some(3),
        ..api::TagReference::default()
    };
    wire.spec.tags = vec![external, alias];
    let event = |n: i64, generation: i64| {
        let d = Digest::of_sha256(format!("{stream_name}/{n}").as_bytes());
        api::TagEvent {
            created: at(n),
            docker_image_reference: format!("python@{d}"),
            image: d.to_string(),
            generation,
        }
    };
    wire.status.tags = vec![
        api::NamedTagEventList {
            tag: "3.6".into(),
            items: vec![event(3, 2), event(2, 2), event(1, 1)],
            conditions: vec![api::TagEventCondition {
                type_: "ImportSuccess".into(),
                status: "False".into(),
                last_transition_time: at(4),
                reason: "NotFound".into(),
                message: "you may not have access to the container image".into(),
                generation: 2,
            }],
        },
        api::NamedTagEventList {
            tag: "latest".into(),
            items: vec![event(3, 3)],
            conditions: Vec::new(),
        },
    ];
    ImageStream::try_from(wire).expect("the rich stream is valid")
}

/// Runs every check of the contract, each against a fresh, empty store
/// from `make`.
pub fn run<S: StreamStore + ImageStore>(mut make: impl FnMut() -> S) {
    create_get_update_conflict(&make());
    server_set_fields(&make());
    round_trip(&make());
    contending_writers(&make());
    delete_with_uid(&make());
    paging(&make());
    changes_since(&make());
    images(&make());
    image_content(&make());
    namespaces(&make());
}

/// [`StreamStore::namespaces`]: a store that can enumerate namespaces
/// lists each namespace holding a stream once, sorted, and forgets one
/// whose last stream is gone; a store that cannot says so
/// ([`StoreError::Unavailable`]).
pub fn namespaces<S: StreamStore>(store: &S) {
    match store.namespaces() {
        Err(StoreError::Unavailable(_)) => return,
        Err(e) => panic!("namespaces() on an empty store failed: {e}"),
        Ok(empty) => assert!(empty.is_empty(), "an empty store has no namespaces"),
    }
    for (n, s) in [("b", "x"), ("a", "x"), ("b", "y"), ("c", "x")] {
        store.create(stream(n, s)).unwrap();
    }
    assert_eq!(
        store.namespaces().unwrap(),
        [ns("a"), ns("b"), ns("c")],
        "each namespace once, sorted"
    );
    store.delete(&ns("a"), &name("x"), None).unwrap();
    assert_eq!(
        store.namespaces().unwrap(),
        [ns("b"), ns("c")],
        "a namespace without streams is gone"
    );
}

/// Create, get, update with the version read, and the conflicts a stale
/// version gets.
pub fn create_get_update_conflict<S: StreamStore>(store: &S) {
    let ns = ns("test");
    let name = name("app");
    assert!(
        matches!(store.get(&ns, &name), Err(StoreError::NotFound { .. })),
        "an absent stream is NotFound"
    );
    let created = store.create(stream("test", "app")).unwrap();
    assert_eq!(
        created.value.metadata().resource_version,
        created.resource_version.to_string(),
        "the metadata carries the resource version"
    );
    assert!(
        !created.value.metadata().uid.is_empty(),
        "a uid is assigned"
    );
    let e = store.create(stream("test", "app")).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"imagestreams.image.openshift.io "app" already exists"#
    );
    let got = store.get(&ns, &name).unwrap();
    assert_eq!(got, created, "get returns what create returned");
    let updated = store
        .update(got.value.clone(), got.resource_version)
        .unwrap();
    assert!(
        updated.resource_version > got.resource_version,
        "versions strictly increase"
    );
    assert_eq!(
        updated.value.metadata().uid,
        created.value.metadata().uid,
        "the uid is kept"
    );
    assert_eq!(store.get(&ns, &name).unwrap(), updated);
    let stale = store
        .update(got.value.clone(), got.resource_version)
        .unwrap_err();
    assert_eq!(
        stale,
        StoreError::Conflict {
            resource: "imagestreams",
            name: "app".into(),
            expected: got.resource_version,
            actual: updated.resource_version,
        },
        "a stale version is a conflict naming both versions"
    );
    assert_eq!(
        stale.to_string(),
        r#"Operation cannot be fulfilled on imagestreams.image.openshift.io "app": the object has been modified; please apply your changes to the latest version and try again"#
    );
    // A version from the future is as wrong as one from the past.
    assert!(matches!(
        store.update(got.value, updated.resource_version + 1_000),
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store.get(&ns, &name).unwrap(),
        updated,
        "a refused update wrote nothing"
    );
    assert!(matches!(
        store.update(stream("test", "nope"), 1),
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        matches!(
            store.get(&ns, &self::name("nope")),
            Err(StoreError::NotFound { .. })
        ),
        "an update of an absent stream does not create it"
    );
}

/// The uid and resource version are the store's: a client's are ignored
/// on create, and the stored uid survives an update that sends another.
pub fn server_set_fields<S: StreamStore>(store: &S) {
    let mut wire = api::ImageStream::from(&stream("test", "forged"));
    wire.metadata.uid = "forged-uid".into();
    wire.metadata.resource_version = "424242".into();
    wire.metadata.deletion_timestamp = at(978_393_600);
    wire.metadata.deletion_grace_period_seconds = Some(30);
    let mine = ImageStream::try_from(wire).expect("the forged stream is valid");
    let created = store.create(mine).unwrap();
    assert_eq!(
        created.value.metadata().deletion_timestamp,
        None,
        "a create carries no deletion request"
    );
    assert_eq!(created.value.metadata().deletion_grace_period_seconds, None);
    assert_ne!(
        created.value.metadata().uid,
        "forged-uid",
        "the store assigns the uid"
    );
    assert_eq!(
        created.value.metadata().resource_version,
        created.resource_version.to_string()
    );
    let other = store.create(stream("test", "other")).unwrap();
    assert_ne!(
        other.value.metadata().uid,
        created.value.metadata().uid,
        "uids are unique"
    );
    let mut changed = created.value.clone();
    changed.set_uid("another-forged-uid".into());
    let updated = store.update(changed, created.resource_version).unwrap();
    assert_eq!(
        updated.value.metadata().uid,
        created.value.metadata().uid,
        "an update keeps the stored uid"
    );
}

/// Everything a stream holds comes back equal, through create, update and
/// get.
pub fn round_trip<S: StreamStore>(store: &S) {
    let created = store.create(rich_stream("test", "rich")).unwrap();
    let got = store.get(&ns("test"), &name("rich")).unwrap();
    assert_eq!(got, created, "a rich stream round-trips");
    assert_eq!(
        got.value.history("3.6").map(crate::stream::TagHistory::len),
        Some(3)
    );
    let mut edited = got.value.clone();
    edited.set_annotation("note", "changed".into());
    let updated = store.update(edited, got.resource_version).unwrap();
    let again = store.get(&ns("test"), &name("rich")).unwrap();
    assert_eq!(again, updated);
    assert_eq!(
        again
            .value
            .metadata()
            .annotations
            .get("note")
            .map(String::as_str),
        Some("changed")
    );
    assert_eq!(
        api::ImageStream::from(&again.value).spec,
        api::ImageStream::from(&created.value).spec,
        "the spec is unchanged by an annotation update"
    );
}

/// Writers that race on one stream, each retrying on conflict: every
/// acknowledged update is there in the end, none lost.
pub fn contending_writers<S: StreamStore>(store: &S) {
    const WRITERS: usize = 4;
    const EACH: usize = 8;
    let ns = ns("race");
    let name = name("counter");
    store.create(stream("race", "counter")).unwrap();
    let conflicts = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let (ns, name, conflicts) = (&ns, &name, &conflicts);
            scope.spawn(move || {
                for i in 0..EACH {
                    loop {
                        let cur = store.get(ns, name).unwrap();
                        let mut next = cur.value.clone();
                        next.set_annotation(&format!("w{w}-{i}"), "done".into());
                        match store.update(next, cur.resource_version) {
                            Ok(_) => break,
                            Err(StoreError::Conflict { .. }) => {
                                conflicts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            Err(e) => panic!("writer {w}: {e}"),
                        }
                    }
                }
            });
        }
    });
    let end = store.get(&ns, &name).unwrap();
    let written = end
        .value
        .metadata()
        .annotations
        .keys()
        .filter(|k| k.starts_with('w'))
        .count();
    assert_eq!(
        written,
        WRITERS * EACH,
        "no lost update ({} conflicts retried)",
        conflicts.into_inner()
    );
}

/// Delete with and without the uid precondition; a re-created stream is a
/// new object.
pub fn delete_with_uid<S: StreamStore>(store: &S) {
    let ns = ns("test");
    let name = name("app");
    let created = store.create(stream("test", "app")).unwrap();
    let uid = created.value.metadata().uid.clone();
    let e = store.delete(&ns, &name, Some("not-the-uid")).unwrap_err();
    assert_eq!(
        e,
        StoreError::UidMismatch {
            expected: "not-the-uid".into(),
            actual: uid.clone()
        }
    );
    assert_eq!(
        e.to_string(),
        format!("Precondition failed: UID in precondition: not-the-uid, UID in object meta: {uid}")
    );
    assert_eq!(
        store.get(&ns, &name).unwrap(),
        created,
        "a refused delete deletes nothing"
    );
    store.delete(&ns, &name, Some(&uid)).unwrap();
    assert!(matches!(
        store.get(&ns, &name),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete(&ns, &name, None),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.update(created.value.clone(), created.resource_version),
        Err(StoreError::NotFound { .. })
    ));
    // Re-created, it is a new object: a new uid, and the old uid no longer
    // deletes it.
    let again = store.create(stream("test", "app")).unwrap();
    assert!(again.resource_version > created.resource_version);
    assert_ne!(again.value.metadata().uid, uid, "a new object, a new uid");
    assert!(matches!(
        store.delete(&ns, &name, Some(&uid)),
        Err(StoreError::UidMismatch { .. })
    ));
    store.delete(&ns, &name, None).unwrap();
}

/// Paging: sorted by name, `limit` at a time, no duplicates, other
/// namespaces excluded; writes between pages never make a stream that
/// lived throughout appear twice or not at all.
pub fn paging<S: StreamStore>(store: &S) {
    for n in ["e", "a", "d", "b", "c"] {
        store.create(stream("one", n)).unwrap();
    }
    store.create(stream("two", "z")).unwrap();
    store.create(stream("one-x", "a")).unwrap();
    let ns = ns("one");
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let page = store.list(&ns, Some(2), token.as_deref()).unwrap();
        sizes.push(page.items.len());
        names.extend(page.items.iter().map(|s| s.value.name().to_string()));
        for s in &page.items {
            assert_eq!(s.value.namespace(), &ns);
            assert_eq!(
                s.value.metadata().resource_version,
                s.resource_version.to_string()
            );
        }
        if sizes.len() == 1 {
            // Between pages: a stream before the cursor is created and one
            // after it is updated.
            store.create(stream("one", "aa")).unwrap();
            let c = store.get(&ns, &name("c")).unwrap();
            store.update(c.value, c.resource_version).unwrap();
        }
        match page.continue_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(
        names,
        ["a", "b", "c", "d", "e"],
        "sorted, each exactly once, other namespaces excluded"
    );
    assert_eq!(sizes, [2, 2, 1], "limit items per page");
    let all = store.list(&ns, None, None).unwrap();
    assert_eq!(all.items.len(), 6);
    assert_eq!(all.continue_token, None);
    let exact = store.list(&ns, Some(6), None).unwrap();
    assert_eq!(exact.items.len(), 6);
    assert!(
        store
            .list(&ns, Some(100), None)
            .unwrap()
            .continue_token
            .is_none(),
        "no token when everything fit"
    );
    assert!(
        store
            .list(&self::ns("empty"), None, None)
            .unwrap()
            .items
            .is_empty(),
        "an empty namespace lists nothing"
    );
    assert!(matches!(
        store.list(&ns, None, Some("Not A Token")),
        Err(StoreError::InvalidContinue(_))
    ));
}

/// The change log: every write after a revision, in order, each with the
/// value written.
pub fn changes_since<S: StreamStore>(store: &S) {
    let a = store.create(stream("w", "a")).unwrap();
    let b = store.create(rich_stream("w", "b")).unwrap();
    let a2 = store.update(a.value.clone(), a.resource_version).unwrap();
    store.delete(&ns("w"), &name("b"), None).unwrap();
    let b2 = store.create(stream("w", "b")).unwrap();
    let all = store.changes_since(0).unwrap();
    let versions: Vec<u64> = all.iter().map(StoreChange::resource_version).collect();
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "in order: {versions:?}"
    );
    assert_eq!(all.len(), 5, "every write, once: {all:?}");
    assert_eq!(all[0], StoreChange::Created(a.clone()));
    assert_eq!(all[1], StoreChange::Created(b.clone()));
    assert_eq!(all[2], StoreChange::Updated(a2.clone()));
    assert!(
        matches!(&all[3], StoreChange::Deleted { namespace, name, resource_version }
            if namespace.as_str() == "w" && name.as_str() == "b"
            && *resource_version > a2.resource_version && *resource_version < b2.resource_version),
        "{:?}",
        all[3]
    );
    assert_eq!(all[4], StoreChange::Created(b2.clone()));
    // From each point, exactly the rest.
    for (i, v) in versions.iter().enumerate() {
        assert_eq!(
            store.changes_since(*v).unwrap(),
            all[i + 1..],
            "changes after {v}"
        );
    }
    assert!(store.changes_since(b2.resource_version).unwrap().is_empty());
    // Between two versions (say, a version another object took).
    assert_eq!(
        store.changes_since(a2.resource_version).unwrap().len(),
        2,
        "only what came after"
    );
}

/// Compaction: after `compact` made the store forget the changes up to its
/// current revision, asking for them is [`StoreError::Compacted`] with the
/// revision to resume from, never a silent gap; from there, changes flow
/// again. `store` must be fresh.
pub fn compaction<S: StreamStore>(store: &S, compact: impl FnOnce(&S)) {
    let first = store.create(stream("c", "s")).unwrap();
    let mut last = first.clone();
    for _ in 0..4 {
        last = store
            .update(last.value.clone(), last.resource_version)
            .unwrap();
    }
    compact(store);
    match store.changes_since(first.resource_version) {
        Err(StoreError::Compacted {
            requested,
            oldest,
            current,
        }) => {
            assert_eq!(requested, first.resource_version);
            assert!(oldest >= first.resource_version, "oldest {oldest}");
            assert_eq!(
                current, last.resource_version,
                "the revision to resume from"
            );
            assert!(
                store.changes_since(oldest).is_ok(),
                "the oldest kept revision is usable"
            );
        }
        other => panic!("changes after a compacted revision: {other:?}"),
    }
    assert!(
        store
            .changes_since(last.resource_version)
            .unwrap()
            .is_empty(),
        "resuming from the current revision works"
    );
    let next = store
        .update(last.value.clone(), last.resource_version)
        .unwrap();
    assert_eq!(
        store.changes_since(last.resource_version).unwrap(),
        [StoreChange::Updated(next)]
    );
}

/// Images: stored by the content rule, sorted, named by digest; an
/// unverified image never replaces a stored one.
pub fn images<S: ImageStore>(store: &S) {
    let d = Digest::of_sha256(b"image");
    let mut image = api::Image::default();
    image.metadata.name = d.to_string();
    image.docker_image_reference = format!("quay.io/a/b@{d}");
    assert_eq!(store.put_image(image.clone()).unwrap(), ImageWrite::Created);
    let mut changed = image.clone();
    changed.docker_image_reference = "other/ref".into();
    assert_eq!(
        store.put_image(changed).unwrap(),
        ImageWrite::Kept,
        "exists"
    );
    let stored = store.get_image(&d).unwrap();
    assert_eq!(
        stored.docker_image_reference, image.docker_image_reference,
        "unverified never replaces: the stored one is kept"
    );
    assert_eq!(Content::of_stored(&stored), Content::Unverified);
    assert_eq!(
        store
            .get_image(&Digest::of_sha256(b"none"))
            .unwrap_err()
            .to_string(),
        format!(
            r#"images.image.openshift.io "{}" not found"#,
            Digest::of_sha256(b"none")
        )
    );
    let mut bad = api::Image::default();
    bad.metadata.name = "not-a-digest".into();
    assert_eq!(
        store.put_image(bad),
        Err(StoreError::InvalidImageName("not-a-digest".into()))
    );
    let mut names = vec![d.to_string()];
    for n in [b"x".as_slice(), b"y", b"z"] {
        let mut more = api::Image::default();
        more.metadata.name = Digest::of_sha256(n).to_string();
        names.push(more.metadata.name.clone());
        assert_eq!(store.put_image(more).unwrap(), ImageWrite::Created);
    }
    names.sort();
    let listed: Vec<String> = store
        .list_images()
        .unwrap()
        .into_iter()
        .map(|i| i.metadata.name)
        .collect();
    assert_eq!(listed, names, "every image, sorted by name");
}

/// The content rule (SPEC §13): the store stamps the state itself,
/// verified replaces unverified, nothing replaces verified, a manifest
/// that does not hash to the name (any algorithm) is refused.
pub fn image_content<S: ImageStore>(store: &S) {
    let manifest = r#"{"schemaVersion":2,"layers":[]}"#;
    for alg in [Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512] {
        let d = Digest::of(alg, manifest.as_bytes());
        let mut forged = api::Image::default();
        forged.metadata.name = d.to_string();
        forged.docker_image_reference = "evil/forged".into();
        // A client cannot claim verification.
        Content::Verified.stamp(&mut forged);
        assert_eq!(store.put_image(forged).unwrap(), ImageWrite::Created);
        let stored = store.get_image(&d).unwrap();
        assert_eq!(Content::of_stored(&stored), Content::Unverified, "{alg}");

        let mut genuine = api::Image::default();
        genuine.metadata.name = d.to_string();
        genuine.docker_image_reference = "prod/genuine".into();
        genuine.docker_image_manifest = manifest.into();
        let mut wrong = genuine.clone();
        wrong.docker_image_manifest.push(' ');
        assert!(
            matches!(
                store.put_image(wrong),
                Err(StoreError::InvalidImageContent { .. })
            ),
            "{alg}: a manifest hashing elsewhere is refused"
        );
        assert_eq!(
            store.put_image(genuine.clone()).unwrap(),
            ImageWrite::Replaced,
            "{alg}"
        );
        let stored = store.get_image(&d).unwrap();
        assert_eq!(stored.docker_image_reference, "prod/genuine");
        assert_eq!(Content::of_stored(&stored), Content::Verified);
        assert_eq!(
            stored.metadata.annotations[api::CONTENT_VERIFIED_ANNOTATION],
            "true"
        );
        // Nothing replaces verified content, verified or not.
        let mut again = genuine.clone();
        again.docker_image_reference = "other/again".into();
        assert_eq!(store.put_image(again.clone()).unwrap(), ImageWrite::Kept);
        again.docker_image_manifest.clear();
        assert_eq!(store.put_image(again).unwrap(), ImageWrite::Kept);
        assert_eq!(
            store.get_image(&d).unwrap().docker_image_reference,
            "prod/genuine"
        );
    }
}
