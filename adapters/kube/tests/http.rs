//! What `KubeStore` and `kube::Api` send over HTTP, as the mock API server
//! records it: paths, verbs, query parameters and bodies.

mod support;

use std::time::Duration;

use imagestream::api;
use imagestream::ports::{ImageStore, StoreChange, StoreError, StreamStore};
use imagestream::reference::{Digest, Namespace, StreamName};
use imagestream::stream::{ImageStream, ImageWrite};
use imagestream_kube::{KubeStoreConfig, kube};
use support::{Behaviour, MockApiServer, Request};

const STREAMS: &str = "/apis/image.openshift.io/v1/namespaces/test/imagestreams";

fn ns(s: &str) -> Namespace {
    Namespace::parse(s).unwrap()
}

fn name(s: &str) -> StreamName {
    StreamName::parse(s).unwrap()
}

fn stream(n: &str) -> ImageStream {
    ImageStream::new(ns("test"), name(n)).unwrap()
}

fn only(requests: &[Request], method: &str) -> Vec<Request> {
    requests
        .iter()
        .filter(|r| r.method == method)
        .cloned()
        .collect()
}

#[test]
fn create_posts_the_object_without_server_fields() {
    let server = MockApiServer::start();
    let store = server.store();
    let mut forged = api::ImageStream::from(&stream("app"));
    forged.metadata.uid = "client-uid".into();
    forged.metadata.resource_version = "99".into();
    let created = store
        .create(ImageStream::try_from(forged).unwrap())
        .unwrap();
    let posts = only(&server.requests(), "POST");
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].path, STREAMS);
    let body = posts[0].body.as_ref().expect("a body");
    assert_eq!(body["apiVersion"], "image.openshift.io/v1");
    assert_eq!(body["kind"], "ImageStream");
    assert_eq!(body["metadata"]["name"], "app");
    assert_eq!(body["metadata"]["namespace"], "test");
    assert!(body["metadata"].get("resourceVersion").is_none(), "{body}");
    assert!(body["metadata"].get("uid").is_none(), "{body}");
    // The server's fields come back.
    assert_eq!(created.resource_version, 2, "etcd's first write");
    assert!(created.value.metadata().uid.starts_with("6d1d5a4e-"));
    assert!(created.value.metadata().creation_timestamp.is_some());
}

#[test]
fn update_puts_with_the_version_read_and_a_conflict_names_the_servers() {
    let server = MockApiServer::start();
    let store = server.store();
    let created = store.create(stream("app")).unwrap();
    let updated = store
        .update(created.value.clone(), created.resource_version)
        .unwrap();
    let puts = only(&server.requests(), "PUT");
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0].path, format!("{STREAMS}/app"));
    let body = puts[0].body.as_ref().unwrap();
    assert_eq!(body["metadata"]["resourceVersion"], "2");
    assert!(
        body["metadata"].get("uid").is_none(),
        "the server keeps the stored uid"
    );
    server.clear_requests();
    let stale = store
        .update(created.value, created.resource_version)
        .unwrap_err();
    assert_eq!(
        stale,
        StoreError::Conflict {
            resource: "imagestreams",
            name: "app".into(),
            expected: 2,
            actual: updated.resource_version,
        }
    );
    let methods: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        methods,
        [format!("PUT {STREAMS}/app"), format!("GET {STREAMS}/app")],
        "the 409, then a read of the version the server has"
    );
}

#[test]
fn delete_sends_the_uid_precondition() {
    let server = MockApiServer::start();
    let store = server.store();
    let created = store.create(stream("app")).unwrap();
    let uid = created.value.metadata().uid.clone();
    assert_eq!(
        store.delete(&ns("test"), &name("app"), Some("nope")),
        Err(StoreError::UidMismatch {
            expected: "nope".into(),
            actual: uid.clone()
        })
    );
    store.delete(&ns("test"), &name("app"), Some(&uid)).unwrap();
    let deletes = only(&server.requests(), "DELETE");
    assert_eq!(deletes.len(), 2);
    assert_eq!(deletes[1].path, format!("{STREAMS}/app"));
    assert_eq!(
        deletes[1].body.as_ref().unwrap()["preconditions"]["uid"],
        uid.as_str()
    );
    store.create(stream("b")).unwrap();
    store.delete(&ns("test"), &name("b"), None).unwrap();
    let last = only(&server.requests(), "DELETE").pop().unwrap();
    assert!(
        last.body.as_ref().is_none_or(|b| b
            .get("preconditions")
            .is_none_or(serde_json::Value::is_null)),
        "no precondition without a uid: {:?}",
        last.body
    );
}

#[test]
fn list_passes_limit_and_continue_through() {
    let server = MockApiServer::start();
    let store = server.store();
    for n in ["a", "b", "c"] {
        store.create(stream(n)).unwrap();
    }
    server.clear_requests();
    let first = store.list(&ns("test"), Some(2), None).unwrap();
    let token = first.continue_token.clone().expect("a second page");
    let second = store.list(&ns("test"), Some(2), Some(&token)).unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.continue_token, None);
    let gets = only(&server.requests(), "GET");
    assert_eq!(gets[0].path, STREAMS);
    assert_eq!(gets[0].query.get("limit").map(String::as_str), Some("2"));
    assert_eq!(gets[0].query.get("continue"), None);
    assert_eq!(gets[1].query.get("continue"), Some(&token));
    // A token the server refuses (400) is the caller's error.
    assert_eq!(
        store.list(&ns("test"), None, Some("zz")),
        Err(StoreError::InvalidContinue("zz".into()))
    );
    // One the server has compacted away (410) too: start over.
    server.compact();
    assert_eq!(
        store.list(&ns("test"), Some(2), Some(&token)),
        Err(StoreError::InvalidContinue(token))
    );
}

#[test]
fn changes_since_watches_every_namespace_from_the_revision() {
    let server = MockApiServer::start();
    let store = server.store_with(KubeStoreConfig::new().watch_timeout(Duration::from_secs(7)));
    let a = store.create(stream("a")).unwrap();
    server.clear_requests();
    assert_eq!(
        store.changes_since(0).unwrap(),
        [StoreChange::Created(a.clone())]
    );
    let watch = server
        .requests()
        .into_iter()
        .find(|r| r.query.contains_key("watch"))
        .expect("a watch");
    assert_eq!(watch.path, "/apis/image.openshift.io/v1/imagestreams");
    let q = |k: &str| watch.query.get(k).map(String::as_str);
    assert_eq!(q("watch"), Some("true"));
    assert_eq!(
        q("resourceVersion"),
        Some("1"),
        "0 is sent as etcd's first revision"
    );
    assert_eq!(q("timeoutSeconds"), Some("7"));
    assert_eq!(q("allowWatchBookmarks"), Some("true"));
    // Nothing new: no watch at all, the list's version says so.
    server.clear_requests();
    assert!(store.changes_since(a.resource_version).unwrap().is_empty());
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.query.contains_key("watch")),
        "caught up without a watch"
    );
}

#[test]
fn a_watch_ends_when_the_replay_pauses_after_the_stores_own_writes() {
    // As on a real server: the revision moved past the last stream change
    // (another resource was written), and no bookmark comes before the
    // watch's timeout. The call returns once the replay has shown this
    // store's last write and paused, long before the timeout.
    let server = MockApiServer::start();
    let store = server.store_with(KubeStoreConfig::new().watch_timeout(Duration::from_secs(60)));
    let a = store.create(stream("a")).unwrap();
    let b = store.create(stream("b")).unwrap();
    server.bump_revision();
    let started = std::time::Instant::now();
    assert_eq!(
        store.changes_since(1).unwrap(),
        [StoreChange::Created(a), StoreChange::Created(b.clone())]
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "ended by the pause, not the 60 s timeout ({:?})",
        started.elapsed()
    );
    // Changes by another client come too (here: in the same replay).
    let other = server.store();
    let c = other.create(stream("c")).unwrap();
    server.bump_revision();
    let changes = store.changes_since(b.resource_version).unwrap();
    assert_eq!(changes, [StoreChange::Created(c)]);
}

#[test]
fn a_watch_stops_at_a_bookmark_past_the_listed_revision() {
    let server = MockApiServer::start_with(Behaviour {
        bookmark_after_replay: true,
        ..Behaviour::default()
    });
    // A long settle and timeout: returning at once shows the bookmark
    // ended it.
    let store = server.store_with(
        KubeStoreConfig::new()
            .watch_timeout(Duration::from_secs(120))
            .watch_settle(Duration::from_secs(60)),
    );
    let a = store.create(stream("a")).unwrap();
    server.bump_revision();
    let started = std::time::Instant::now();
    assert_eq!(store.changes_since(1).unwrap(), [StoreChange::Created(a)]);
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_call_returns_at_most_max_changes_and_the_next_resumes() {
    let server = MockApiServer::start();
    let store = server.store_with(KubeStoreConfig::new().max_changes(2));
    let made: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|n| store.create(stream(n)).unwrap())
        .collect();
    let first = store.changes_since(0).unwrap();
    assert_eq!(first.len(), 2);
    let rest = store.changes_since(first[1].resource_version()).unwrap();
    assert_eq!(rest, [StoreChange::Created(made[2].clone())]);
}

#[test]
fn on_openshift_the_status_goes_to_the_subresource_at_the_version_written() {
    let server = MockApiServer::start_with(Behaviour {
        status_subresource: true,
        ..Behaviour::default()
    });
    let store = server.store();
    let created = store
        .create(imagestream::testing::store::rich_stream("test", "app"))
        .unwrap();
    let requests = server.requests();
    let post = &requests[0];
    assert_eq!(
        (post.method.as_str(), post.path.as_str()),
        ("POST", STREAMS)
    );
    let status_put = &requests[1];
    assert_eq!(status_put.method, "PUT");
    assert_eq!(status_put.path, format!("{STREAMS}/app/status"));
    let body = status_put.body.as_ref().unwrap();
    assert_eq!(
        body["metadata"]["resourceVersion"], "2",
        "at the version the create returned"
    );
    assert_eq!(body["status"]["tags"][0]["tag"], "3.6");
    assert_eq!(created.resource_version, 3);
    assert_eq!(
        created
            .value
            .history("3.6")
            .map(imagestream::stream::TagHistory::len),
        Some(3)
    );
}

#[test]
fn update_of_version_zero_is_a_conflict_without_a_write() {
    let server = MockApiServer::start();
    let store = server.store();
    let created = store.create(stream("app")).unwrap();
    server.clear_requests();
    assert_eq!(
        store.update(created.value.clone(), 0),
        Err(StoreError::Conflict {
            resource: "imagestreams",
            name: "app".into(),
            expected: 0,
            actual: created.resource_version,
        })
    );
    assert!(only(&server.requests(), "PUT").is_empty(), "nothing sent");
    assert!(matches!(
        store.update(stream("absent"), 0),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn a_stream_the_server_holds_but_openshift_would_refuse_is_an_error_naming_it() {
    let server = MockApiServer::start();
    let store = server.store();
    let mut bad = api::ImageStream::default();
    bad.metadata.name = "bad".into();
    bad.spec.tags.push(api::TagReference {
        name: "no/slashes".into(),
        ..api::TagReference::default()
    });
    let client = store.client().clone();
    store
        .block_on(async move {
            kube::Api::<imagestream_kube::ImageStream>::namespaced(client, "test")
                .create(&kube::api::PostParams::default(), &bad.into())
                .await
        })
        .unwrap()
        .unwrap();
    let e = store.get(&ns("test"), &name("bad")).unwrap_err();
    let message = e.to_string();
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
    assert!(message.contains("test/bad"), "{message}");
    assert!(message.contains("no/slashes"), "{message}");
    // A list holding it says the same, rather than skipping it.
    assert!(store.list(&ns("test"), None, None).is_err());
}

#[test]
fn kube_api_gets_a_stream_by_name() {
    let server = MockApiServer::start();
    let store = server.store();
    let mut python = imagestream::testing::store::rich_stream("test", "python");
    python.set_annotation("by", "store".into());
    let created = store.create(python).unwrap();
    let client = store.client().clone();
    let got = store
        .block_on(async move {
            kube::Api::<imagestream_kube::ImageStream>::namespaced(client, "test")
                .get("python")
                .await
        })
        .unwrap()
        .unwrap();
    assert_eq!(got.metadata.name.as_deref(), Some("python"));
    assert_eq!(
        got.metadata.resource_version,
        Some(created.resource_version.to_string())
    );
    assert_eq!(got.status.tags.len(), 2);
    assert_eq!(
        ImageStream::try_from(got.into_inner()).unwrap(),
        created.value,
        "kube's object is the store's stream"
    );
    let gets = only(&server.requests(), "GET");
    assert_eq!(gets.last().unwrap().path, format!("{STREAMS}/python"));
}

#[test]
fn images_are_cluster_scoped_and_replaced_at_the_version_read() {
    let server = MockApiServer::start();
    let store = server.store();
    let manifest = r#"{"schemaVersion":2,"layers":[]}"#;
    let d = Digest::of_sha256(manifest.as_bytes());
    let mut unverified = api::Image::default();
    unverified.metadata.name = d.to_string();
    assert_eq!(
        store.put_image(unverified.clone()).unwrap(),
        ImageWrite::Created
    );
    let posts = only(&server.requests(), "POST");
    assert_eq!(posts[0].path, "/apis/image.openshift.io/v1/images");
    assert_eq!(posts[0].body.as_ref().unwrap()["kind"], "Image");
    server.clear_requests();
    let mut verified = unverified;
    verified.docker_image_manifest = manifest.into();
    assert_eq!(store.put_image(verified).unwrap(), ImageWrite::Replaced);
    let methods: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let at = format!("/apis/image.openshift.io/v1/images/{d}");
    assert_eq!(
        methods,
        [
            "POST /apis/image.openshift.io/v1/images".to_owned(),
            format!("GET {at}"),
            format!("PUT {at}")
        ]
    );
    let put = only(&server.requests(), "PUT").pop().unwrap();
    assert_eq!(
        put.body.unwrap()["metadata"]["resourceVersion"],
        "2",
        "a compare-and-swap on the version read"
    );
}

#[test]
fn create_mapping_posts_the_mapping_and_reads_the_status_openshift_answers() {
    let server = MockApiServer::start();
    let store = server.store();
    let d = Digest::of_sha256(b"pushed");
    let mut mapping = api::ImageStreamMapping::default();
    mapping.metadata.name = "app".into();
    mapping.metadata.namespace = "test".into();
    mapping.tag = "latest".into();
    mapping.image.metadata.name = d.to_string();
    let client = store.client().clone();
    let sent = imagestream_kube::ImageStreamMapping::new(mapping.clone());
    let status = store
        .block_on(async move { imagestream_kube::create_mapping(&client, &sent).await })
        .unwrap()
        .unwrap();
    assert_eq!(status.status, "Success");
    assert_eq!(status.kind, "Status");
    let post = only(&server.requests(), "POST").pop().unwrap();
    assert_eq!(
        post.path,
        "/apis/image.openshift.io/v1/namespaces/test/imagestreammappings"
    );
    let body = post.body.unwrap();
    assert_eq!(body["kind"], "ImageStreamMapping");
    assert_eq!(body["tag"], "latest");
    assert_eq!(body["image"]["metadata"]["name"], d.as_str());
    // Without a namespace there is nowhere to send it.
    mapping.metadata.namespace.clear();
    let client = store.client().clone();
    let e = store
        .block_on(async move { imagestream_kube::create_mapping(&client, &mapping.into()).await })
        .unwrap()
        .unwrap_err();
    assert!(e.to_string().contains("namespace"), "{e}");
}

#[test]
fn namespaces_lists_metadata_only_in_pages() {
    let server = MockApiServer::start();
    let store = server.store_with(KubeStoreConfig::new().page_size(2));
    for (n, s) in [("b", "x"), ("a", "x"), ("b", "y"), ("c", "x"), ("a", "y")] {
        store
            .create(ImageStream::new(ns(n), name(s)).unwrap())
            .unwrap();
    }
    server.clear_requests();
    assert_eq!(store.namespaces().unwrap(), [ns("a"), ns("b"), ns("c")]);
    let lists = only(&server.requests(), "GET");
    assert_eq!(lists.len(), 3, "five streams, two a page");
    for r in &lists {
        assert_eq!(r.path, "/apis/image.openshift.io/v1/imagestreams");
        assert!(
            r.accept.contains("as=PartialObjectMetadataList"),
            "metadata only: {}",
            r.accept
        );
    }
}
