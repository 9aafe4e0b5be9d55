//! The ports' in-memory defaults: the store conformance suite, clocks,
//! the static registry, and the authorization matrix.

use imagestream::chrono::{TimeDelta, TimeZone, Utc};
use imagestream::ports::{
    Attributes, Authorizer, Clock, Decision, ImportRequest, ImportedImage, ManualClock,
    MemoryStore, Rbac, Registry, RegistryError, Resource, StaticRegistry, Subject, SystemClock,
    Verb,
};
use imagestream::reference::{Digest, ImageReference, Namespace};

#[test]
fn memory_store_passes_the_conformance_suite() {
    imagestream::testing::store::run(MemoryStore::new);
}

#[test]
fn the_change_log_is_compacted() {
    use imagestream::ports::{StoreError, StreamStore};
    use imagestream::reference::StreamName;
    use imagestream::stream::ImageStream;
    let store = MemoryStore::with_log_capacity(3);
    let ns = Namespace::parse("test").unwrap();
    let mut stored = store
        .create(ImageStream::new(ns.clone(), StreamName::parse("a").unwrap()).unwrap())
        .unwrap();
    for _ in 0..4 {
        stored = store
            .update(stored.value.clone(), stored.resource_version)
            .unwrap();
    }
    // Revisions 1..=5 were written; the last 3 (3, 4, 5) are kept.
    assert_eq!(store.changes_since(2).unwrap().len(), 3);
    let e = store.changes_since(1).unwrap_err();
    assert_eq!(
        e,
        StoreError::Compacted {
            requested: 1,
            oldest: 2,
            current: 5
        }
    );
    assert_eq!(
        e.to_string(),
        "required revision 1 has been compacted (oldest kept: 2, current: 5)"
    );
}

#[test]
fn clocks() {
    let t = Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap();
    let c = ManualClock::new(t);
    assert_eq!(c.now(), t);
    c.advance(TimeDelta::seconds(90));
    assert_eq!(c.now(), t + TimeDelta::seconds(90));
    c.set(t);
    assert_eq!(c.now(), t);
    let now = SystemClock.now();
    assert_eq!(
        now.timestamp_subsec_nanos(),
        0,
        "whole seconds, as the wire"
    );
    assert!(now > t);
}

#[test]
fn static_registry() {
    let r = StaticRegistry::new();
    let python = ImageReference::parse("python:3.6").unwrap();
    let d = Digest::of_sha256(b"python");
    r.insert(
        &python,
        ImportedImage::new(d.clone(), "application/vnd.oci.image.manifest.v1+json"),
    );
    // Docker defaults apply to lookups.
    let full = ImageReference::parse("docker.io/library/python:3.6").unwrap();
    assert_eq!(r.resolve(&ImportRequest::new(full)).unwrap().digest, d);
    let missing = ImageReference::parse("quay.io/a/b:1").unwrap();
    let e = r.resolve(&ImportRequest::new(missing.clone())).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"dockerimage.image.openshift.io "quay.io/a/b:1" not found"#
    );
    assert_eq!(e.reason(), "NotFound");
    r.fail(
        &missing,
        RegistryError::Unauthorized {
            reference: missing.as_str().into(),
        },
    );
    let e = r.resolve(&ImportRequest::new(missing.clone())).unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.reason()),
        (
            r#"you may not have access to the container image "quay.io/a/b:1""#,
            "Unauthorized"
        )
    );
    let limited = RegistryError::RateLimited {
        retry_after: Some(std::time::Duration::from_secs(30)),
    };
    assert_eq!(
        (limited.to_string().as_str(), limited.reason()),
        (
            "toomanyrequests: rate limit exceeded, retry after 30s",
            "TooManyRequests"
        )
    );
    let down = RegistryError::Unreachable {
        registry: "quay.io".into(),
        reason: "dial tcp: i/o timeout".into(),
    };
    assert_eq!(
        down.to_string(),
        r#"Get "https://quay.io/v2/": dial tcp: i/o timeout"#
    );
}

/// The expected grants, as data: role -> (resource, verbs).
const MATRIX: &[(&str, &[(Resource, &str)])] = &[
    (
        "view",
        &[
            (Resource::ImageStreams, "glw"),
            (Resource::ImageStreamTags, "glw"),
            (Resource::ImageStreamImages, "glw"),
            (Resource::ImageStreamMappings, "glw"),
        ],
    ),
    (
        "edit",
        &[
            (Resource::ImageStreams, "glwcud"),
            (Resource::ImageStreamTags, "glwcud"),
            (Resource::ImageStreamImages, "glw"),
            (Resource::ImageStreamMappings, "glwcud"),
            (Resource::ImageStreamImports, "c"),
            (Resource::ImageStreamLayers, "gu"),
        ],
    ),
    (
        "admin",
        &[
            (Resource::ImageStreams, "glwcud"),
            (Resource::ImageStreamTags, "glwcud"),
            (Resource::ImageStreamImages, "glw"),
            (Resource::ImageStreamMappings, "glwcud"),
            (Resource::ImageStreamImports, "c"),
            (Resource::ImageStreamLayers, "gu"),
        ],
    ),
    ("system:image-puller", &[(Resource::ImageStreamLayers, "g")]),
    (
        "system:image-pusher",
        &[(Resource::ImageStreamLayers, "gu")],
    ),
];

fn letter(v: Verb) -> char {
    match v {
        Verb::Get => 'g',
        Verb::List => 'l',
        Verb::Watch => 'w',
        Verb::Create => 'c',
        Verb::Update => 'u',
        _ => 'd',
    }
}

#[test]
fn authorization_matrix() {
    let rbac = Rbac::new();
    let ns = Namespace::parse("team").unwrap();
    let other = Namespace::parse("other").unwrap();
    for (role, grants) in MATRIX {
        let user = format!("user-{role}");
        rbac.bind(&user, role, &ns);
        let who = Subject::user(&user);
        for resource in Resource::ALL {
            for verb in Verb::ALL {
                let expected = grants
                    .iter()
                    .any(|(r, verbs)| *r == resource && verbs.contains(letter(verb)));
                let expected = expected && !resource.cluster_scoped();
                let got = rbac.check(&Attributes::new(&who, verb, resource).in_namespace(&ns))
                    == Decision::Allow;
                assert_eq!(
                    got,
                    expected,
                    "{role} {} {}",
                    verb.as_str(),
                    resource.as_str()
                );
                // A namespaced binding grants nothing elsewhere.
                assert_ne!(
                    rbac.check(&Attributes::new(&who, verb, resource).in_namespace(&other)),
                    Decision::Allow,
                    "{role} in another namespace"
                );
            }
        }
    }
    // Cluster roles apply everywhere, images included.
    rbac.bind_cluster("auditor", "cluster-reader");
    let auditor = Subject::user("auditor");
    for resource in Resource::ALL {
        for verb in Verb::ALL {
            let expected = matches!(verb, Verb::Get | Verb::List | Verb::Watch);
            assert_eq!(
                rbac.check(&Attributes::new(&auditor, verb, resource).in_namespace(&other))
                    == Decision::Allow,
                expected
            );
        }
    }
    assert_eq!(
        rbac.check(&Attributes::new(
            &Subject::system_admin(),
            Verb::Delete,
            Resource::Images
        )),
        Decision::Allow
    );
    // Groups count.
    rbac.bind("devs", "edit", &ns);
    assert_eq!(
        rbac.check(
            &Attributes::new(
                &Subject::user("carol").in_group("devs"),
                Verb::Update,
                Resource::ImageStreams
            )
            .in_namespace(&ns)
        ),
        Decision::Allow
    );
    assert!(matches!(
        rbac.check(
            &Attributes::new(
                &Subject::user("carol"),
                Verb::Update,
                Resource::ImageStreams
            )
            .in_namespace(&ns)
        ),
        Decision::Deny(_)
    ));
}

#[test]
fn memory_store_reports_compaction() {
    imagestream::testing::store::compaction(&MemoryStore::with_log_capacity(1), |_| {});
}

#[test]
fn memory_lease_passes_the_conformance_suite() {
    imagestream::testing::lease::run(|| {
        imagestream::ports::MemoryLease::new(std::sync::Arc::new(SystemClock))
    });
}

#[test]
fn static_registry_passes_the_registry_conformance_suite() {
    use imagestream::testing::registry::{Script, run};
    for host in [
        "registry.example.com",
        "localhost:5000",
        "docker.io",
        "[::1]:5000",
    ] {
        if ImageReference::parse(&format!("{host}/a")).is_err() {
            // OpenShift's references have no IPv6 hosts.
            continue;
        }
        run(&Script::new(host), |script| {
            let registry = StaticRegistry::new();
            script.load(&registry);
            registry
        });
    }
}

/// The registry suite fails a registry that ignores the cap or answers
/// for references it was never given.
#[test]
fn the_registry_suite_catches_a_broken_registry() {
    use imagestream::ports::TagList;
    use imagestream::testing::registry::{Script, lists_tags_with_a_cap, missing_is_not_found};

    struct NoCap(StaticRegistry);
    impl Registry for NoCap {
        fn resolve(&self, r: &ImportRequest) -> Result<ImportedImage, RegistryError> {
            self.0
                .resolve(r)
                .or_else(|_| Ok(ImportedImage::new(Digest::of_sha256(b"any"), "m")))
        }
        fn list_tags(&self, r: &ImportRequest, _cap: usize) -> Result<TagList, RegistryError> {
            self.0.list_tags(r, usize::MAX)
        }
    }
    let script = Script::new("quay.io");
    let registry = NoCap(StaticRegistry::new());
    script.load(&registry.0);
    let caught = |f: &dyn Fn()| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err();
    assert!(
        caught(&|| lists_tags_with_a_cap(&script, &registry)),
        "a cap ignored"
    );
    assert!(
        caught(&|| missing_is_not_found(&script, &registry)),
        "a missing image served"
    );
}

#[test]
fn static_registry_lists_tags_up_to_the_cap() {
    let r = StaticRegistry::new();
    for tag in ["b", "a", "c"] {
        let reference = ImageReference::parse(&format!("python:{tag}")).unwrap();
        r.insert(
            &reference,
            ImportedImage::new(Digest::of_sha256(tag.as_bytes()), "m"),
        );
    }
    // A digest reference is not a tag.
    let by_digest = ImageReference::parse(&format!("python@{}", Digest::of_sha256(b"x"))).unwrap();
    r.insert(&by_digest, ImportedImage::new(Digest::of_sha256(b"x"), "m"));
    let repo = ImportRequest::new(ImageReference::parse("docker.io/library/python").unwrap());
    let all = r.list_tags(&repo, 10).unwrap();
    assert_eq!(
        (all.tags, all.truncated),
        (["a", "b", "c"].map(String::from).to_vec(), false)
    );
    let two = r.list_tags(&repo, 2).unwrap();
    assert_eq!(
        (two.tags, two.truncated),
        (["a", "b"].map(String::from).to_vec(), true)
    );
    let missing = ImportRequest::new(ImageReference::parse("quay.io/a/b").unwrap());
    assert_eq!(r.list_tags(&missing, 5).unwrap_err().reason(), "NotFound");
    let locked = ImageReference::parse("quay.io/private/app").unwrap();
    r.fail(
        &locked,
        RegistryError::Unauthorized {
            reference: locked.as_str().into(),
        },
    );
    let e = r.list_tags(&ImportRequest::new(locked), 5).unwrap_err();
    assert_eq!(e.reason(), "Unauthorized");
}
