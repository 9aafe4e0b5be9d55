//! The `StreamStore`/`ImageStore` contract, written once: run it against
//! any implementation (`MemoryStore` here; a later etcd adapter too).

use imagestream::api;
use imagestream::ports::{ImageStore, StoreChange, StoreError, StreamStore};
use imagestream::reference::{Digest, Namespace, StreamName};
use imagestream::stream::ImageStream;

fn stream(ns: &str, name: &str) -> ImageStream {
    ImageStream::new(
        Namespace::parse(ns).unwrap(),
        StreamName::parse(name).unwrap(),
    )
    .unwrap()
}

/// Runs every check against a fresh store from `make`.
pub(crate) fn run<S: StreamStore + ImageStore>(make: impl Fn() -> S) {
    create_get_update_conflict(&make());
    delete_with_uid(&make());
    paging(&make());
    changes_since(&make());
    images(&make());
}

fn create_get_update_conflict<S: StreamStore>(store: &S) {
    let ns = Namespace::parse("test").unwrap();
    let name = StreamName::parse("app").unwrap();
    assert!(matches!(
        store.get(&ns, &name),
        Err(StoreError::NotFound { .. })
    ));
    let created = store.create(stream("test", "app")).unwrap();
    assert_eq!(
        created.value.metadata().resource_version,
        created.resource_version.to_string()
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
    assert_eq!(got, created);
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
    let stale = store.update(got.value, got.resource_version).unwrap_err();
    assert!(
        matches!(stale, StoreError::Conflict { expected, actual, .. } if expected == got.resource_version && actual == updated.resource_version)
    );
    assert_eq!(
        stale.to_string(),
        r#"Operation cannot be fulfilled on imagestreams.image.openshift.io "app": the object has been modified; please apply your changes to the latest version and try again"#
    );
    assert!(matches!(
        store.update(stream("test", "nope"), 1),
        Err(StoreError::NotFound { .. })
    ));
}

fn delete_with_uid<S: StreamStore>(store: &S) {
    let ns = Namespace::parse("test").unwrap();
    let name = StreamName::parse("app").unwrap();
    let created = store.create(stream("test", "app")).unwrap();
    let e = store.delete(&ns, &name, Some("not-the-uid")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("Precondition failed: UID in precondition: not-the-uid"),
        "{e}"
    );
    store
        .delete(&ns, &name, Some(&created.value.metadata().uid))
        .unwrap();
    assert!(matches!(
        store.delete(&ns, &name, None),
        Err(StoreError::NotFound { .. })
    ));
    // Re-created, it is a new object.
    let again = store.create(stream("test", "app")).unwrap();
    assert!(again.resource_version > created.resource_version);
}

fn paging<S: StreamStore>(store: &S) {
    for n in ["e", "a", "d", "b", "c"] {
        store.create(stream("one", n)).unwrap();
    }
    store.create(stream("two", "z")).unwrap();
    let ns = Namespace::parse("one").unwrap();
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store.list(&ns, Some(2), token.as_deref()).unwrap();
        pages += 1;
        names.extend(page.items.iter().map(|s| s.value.name().to_string()));
        match page.continue_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(
        names,
        ["a", "b", "c", "d", "e"],
        "sorted, no duplicates, other namespaces excluded"
    );
    assert_eq!(pages, 3);
    assert_eq!(store.list(&ns, None, None).unwrap().items.len(), 5);
    assert!(
        store
            .list(&Namespace::parse("empty").unwrap(), None, None)
            .unwrap()
            .items
            .is_empty()
    );
    assert!(matches!(
        store.list(&ns, None, Some("Not A Token")),
        Err(StoreError::InvalidContinue(_))
    ));
}

fn changes_since<S: StreamStore>(store: &S) {
    let a = store.create(stream("w", "a")).unwrap();
    let b = store.create(stream("w", "b")).unwrap();
    let a2 = store.update(a.value.clone(), a.resource_version).unwrap();
    store
        .delete(
            &Namespace::parse("w").unwrap(),
            &StreamName::parse("b").unwrap(),
            None,
        )
        .unwrap();
    let all = store.changes_since(0).unwrap();
    let versions: Vec<u64> = all.iter().map(StoreChange::resource_version).collect();
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "in order: {versions:?}"
    );
    assert!(matches!(&all[0], StoreChange::Created(s) if s == &a));
    assert!(matches!(&all[1], StoreChange::Created(s) if s == &b));
    assert!(matches!(&all[2], StoreChange::Updated(s) if s == &a2));
    assert!(matches!(&all[3], StoreChange::Deleted { name, .. } if name.as_str() == "b"));
    let after = store.changes_since(a2.resource_version).unwrap();
    assert_eq!(after.len(), 1, "only what came after");
    assert!(
        store
            .changes_since(after[0].resource_version())
            .unwrap()
            .is_empty()
    );
}

fn images<S: ImageStore>(store: &S) {
    let d = Digest::of_sha256(b"image");
    let mut image = api::Image::default();
    image.metadata.name = d.to_string();
    image.docker_image_reference = format!("quay.io/a/b@{d}");
    assert!(store.create_image_if_absent(image.clone()).unwrap());
    let mut changed = image.clone();
    changed.docker_image_reference = "other/ref".into();
    assert!(!store.create_image_if_absent(changed).unwrap(), "exists");
    assert_eq!(
        store.get_image(&d).unwrap(),
        image,
        "immutable: the stored one is kept"
    );
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
    assert!(matches!(
        store.create_image_if_absent(bad),
        Err(StoreError::InvalidImageName(_))
    ));
    assert_eq!(store.list_images().unwrap().len(), 1);
}
