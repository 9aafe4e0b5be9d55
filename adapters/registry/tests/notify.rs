//! Push notifications from a real docker-registry into image stream
//! mappings: a push creates the mapping (and the history entry) within a
//! bounded wait, replays and reorderings change nothing, pushes by digest
//! store the image only, and unauthenticated posts are refused.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use imagestream::ports::{MemoryStore, Rbac, Subject, SystemClock};
use imagestream::reference::{Digest, Namespace, StreamName};
use imagestream::service::ImageStreams;
use imagestream::stream::MANAGED_IMAGE_ANNOTATION;
use imagestream_registry::notify::{Endpoint, Envelope, EnvelopeHandler, Outcome, Receiver};
use imagestream_registry::{ClientConfig, RegistryClient};
use support::{OCI_INDEX, OCI_MANIFEST, Options, Pusher, TestRegistry};

type Service = ImageStreams<MemoryStore, RegistryClient, Rbac, SystemClock>;
type Recv = Receiver<MemoryStore, RegistryClient, Rbac, SystemClock>;

const SECRET: &str = "notify-secret-1";

/// Hands envelopes to the receiver and keeps them for replays.
struct Recording {
    receiver: Arc<Recv>,
    seen: Mutex<Vec<Envelope>>,
}

impl EnvelopeHandler for Recording {
    fn handle(&self, envelope: &Envelope) -> bool {
        self.seen.lock().unwrap().push(envelope.clone());
        self.receiver.handle(envelope)
    }
}

struct Setup {
    registry: TestRegistry,
    service: Arc<Service>,
    receiver: Arc<Recv>,
    recording: Arc<Recording>,
    endpoint: Endpoint,
}

fn setup() -> Setup {
    let port = support::free_port();
    let addr = format!("127.0.0.1:{port}");
    let client = Arc::new(RegistryClient::new(ClientConfig::new()));
    let service = Arc::new(ImageStreams::new(
        Arc::new(MemoryStore::new()),
        Arc::new(RegistryClient::new(ClientConfig::new())),
        Arc::new(Rbac::new()),
        Arc::new(SystemClock),
    ));
    let receiver = Arc::new(
        Receiver::new(
            service.clone(),
            client,
            addr.clone(),
            Subject::system_admin(),
        )
        .insecure(true),
    );
    let recording = Arc::new(Recording {
        receiver: receiver.clone(),
        seen: Mutex::new(Vec::new()),
    });
    let endpoint = Endpoint::start("127.0.0.1:0", SECRET, recording.clone()).unwrap();
    let registry = TestRegistry::start_with(&Options {
        notify: Some((
            format!("http://{}/notify", endpoint.addr()),
            format!("Bearer {SECRET}"),
        )),
        port: Some(port),
        ..Options::default()
    });
    Setup {
        registry,
        service,
        receiver,
        recording,
        endpoint,
    }
}

fn current(
    service: &Service,
    ns: &str,
    stream: &str,
    tag: &str,
) -> Option<(String, usize, String)> {
    let s = service
        .get(
            &Subject::system_admin(),
            &Namespace::parse(ns).unwrap(),
            &StreamName::parse(stream).unwrap(),
        )
        .ok()?;
    let h = s.value.history(tag)?;
    let e = h.current()?;
    Some((e.image_str().to_owned(), h.len(), e.pull_spec().to_string()))
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn post(endpoint: &Endpoint, auth: Option<&str>, body: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent
        .post(format!("http://{}/notify", endpoint.addr()))
        .content_type("application/vnd.docker.distribution.events.v1+json");
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    req.send(body).unwrap().status().as_u16()
}

fn push_event(id: &str, repo: &str, tag: &str, digest: &Digest, at: &str) -> String {
    format!(
        r#"{{"id":"{id}","timestamp":"{at}","action":"push","target":{{"mediaType":"{OCI_MANIFEST}","digest":"{digest}","repository":"{repo}","tag":"{tag}"}}}}"#
    )
}

#[test]
fn a_push_becomes_a_mapping_and_replays_change_nothing() {
    let s = setup();
    let push = Pusher::new(&s.registry);
    // The stream does not exist: the receiver provisions it.
    let pushed = push.image("team/app", Some("v1"), "amd64", OCI_MANIFEST);
    let (image, len, pull_spec) = wait_for("the mapping of team/app:v1", || {
        current(&s.service, "team", "app", "v1")
    });
    assert_eq!((image, len), (pushed.digest.to_string(), 1));
    assert_eq!(
        pull_spec,
        format!("{}/team/app@{}", s.registry.addr, pushed.digest)
    );
    let stored = s
        .service
        .image(&Subject::system_admin(), &pushed.digest)
        .unwrap();
    assert_eq!(
        stored
            .metadata
            .annotations
            .get(MANAGED_IMAGE_ANNOTATION)
            .map(String::as_str),
        Some("true")
    );
    assert_eq!(
        stored.docker_image_manifest.as_bytes(),
        pushed.manifest.as_slice()
    );
    assert_eq!(
        stored.docker_image_metadata.unwrap().id,
        pushed.config_digest.to_string()
    );

    // A second push of the tag: a second history entry.
    let v2 = push.image("team/app", Some("v1"), "amd64", OCI_MANIFEST);
    wait_for("the second mapping", || {
        current(&s.service, "team", "app", "v1")
            .filter(|(i, n, _)| *i == v2.digest.to_string() && *n == 2)
    });

    // An index: the children pushed by digest are stored without moving a
    // tag; the index is mapped under its tag.
    let (index, _, amd, arm) = push.index("team/multi", "latest", OCI_INDEX);
    wait_for("the index mapping", || {
        current(&s.service, "team", "multi", "latest").filter(|(i, _, _)| *i == index.to_string())
    });
    for child in [&amd, &arm] {
        let image = wait_for("the stored child", || {
            s.service
                .image(&Subject::system_admin(), &child.digest)
                .ok()
        });
        assert_eq!(
            image.docker_image_manifest.as_bytes(),
            child.manifest.as_slice()
        );
    }
    let multi = s
        .service
        .get(
            &Subject::system_admin(),
            &Namespace::parse("team").unwrap(),
            &StreamName::parse("multi").unwrap(),
        )
        .unwrap();
    assert_eq!(
        multi.value.history("latest").unwrap().len(),
        1,
        "children moved no tag"
    );

    // Replaying everything the registry sent changes nothing.
    let before = s
        .service
        .get(
            &Subject::system_admin(),
            &Namespace::parse("team").unwrap(),
            &StreamName::parse("app").unwrap(),
        )
        .unwrap()
        .resource_version;
    let envelopes = s.recording.seen.lock().unwrap().clone();
    assert!(!envelopes.is_empty());
    for envelope in &envelopes {
        for outcome in s.receiver.receive(envelope) {
            assert!(matches!(outcome, Outcome::Duplicate(_)), "{outcome:?}");
        }
    }
    let after = s
        .service
        .get(
            &Subject::system_admin(),
            &Namespace::parse("team").unwrap(),
            &StreamName::parse("app").unwrap(),
        )
        .unwrap()
        .resource_version;
    assert_eq!(before, after);
    assert_eq!(current(&s.service, "team", "app", "v1").unwrap().1, 2);
}

#[test]
fn reordered_deliveries_pulls_deletes_and_unauthenticated_posts() {
    let s = setup();
    let push = Pusher::new(&s.registry);
    // Two images pushed by digest only (stored, no tag).
    let old = push.image("team/re", None, "amd64", OCI_MANIFEST);
    let new = push.image("team/re", None, "amd64", OCI_MANIFEST);
    let newer = push_event("n-1", "team/re", "t", &new.digest, "2030-01-01T00:00:02Z");
    let older = push_event("o-1", "team/re", "t", &old.digest, "2030-01-01T00:00:01Z");
    // Delivered newest first: the older one does not move the tag back.
    let auth = format!("Bearer {SECRET}");
    assert_eq!(
        post(
            &s.endpoint,
            Some(&auth),
            &format!(r#"{{"events":[{newer}]}}"#)
        ),
        200
    );
    assert_eq!(
        post(
            &s.endpoint,
            Some(&auth),
            &format!(r#"{{"events":[{older}]}}"#)
        ),
        200
    );
    let (image, len, _) = current(&s.service, "team", "re", "t").unwrap();
    assert_eq!((image, len), (new.digest.to_string(), 1));
    // Redelivered: a duplicate.
    let envelope = Envelope::parse(format!(r#"{{"events":[{newer}]}}"#).as_bytes()).unwrap();
    assert_eq!(
        s.receiver.receive(&envelope),
        [Outcome::Duplicate("n-1".into())]
    );

    // Pulls and deletes are ignored; other repositories' shapes too.
    let d = &new.digest;
    let others = format!(
        r#"{{"events":[
        {{"id":"p","action":"pull","target":{{"mediaType":"{OCI_MANIFEST}","digest":"{d}","repository":"team/re","tag":"x"}}}},
        {{"id":"d","action":"delete","target":{{"digest":"{d}","repository":"team/re"}}}},
        {{"id":"b","action":"push","target":{{"mediaType":"application/octet-stream","digest":"{d}","repository":"team/re"}}}},
        {{"id":"r","action":"push","target":{{"mediaType":"{OCI_MANIFEST}","digest":"{d}","repository":"flat","tag":"x"}}}}]}}"#
    );
    let outcomes = s
        .receiver
        .receive(&Envelope::parse(others.as_bytes()).unwrap());
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Ignored { .. })),
        "{outcomes:?}"
    );
    assert!(current(&s.service, "team", "re", "x").is_none());

    // A digest the registry does not have: the mapping fails (503, so the
    // registry would redeliver) and nothing is written.
    let missing = push_event(
        "m-1",
        "team/re",
        "m",
        &Digest::of_sha256(b"missing"),
        "2030-01-01T00:00:03Z",
    );
    assert_eq!(
        post(
            &s.endpoint,
            Some(&auth),
            &format!(r#"{{"events":[{missing}]}}"#)
        ),
        503
    );
    assert!(current(&s.service, "team", "re", "m").is_none());

    // Unauthenticated or wrongly authenticated posts: 401, nothing written.
    let sneaky = push_event(
        "s-1",
        "team/re",
        "sneaky",
        &new.digest,
        "2030-01-01T00:00:04Z",
    );
    let body = format!(r#"{{"events":[{sneaky}]}}"#);
    assert_eq!(post(&s.endpoint, None, &body), 401);
    assert_eq!(post(&s.endpoint, Some("Bearer wrong"), &body), 401);
    assert_eq!(post(&s.endpoint, Some(SECRET), &body), 401);
    assert!(current(&s.service, "team", "re", "sneaky").is_none());
    // Bad JSON: 400.
    assert_eq!(post(&s.endpoint, Some(&auth), "{not json"), 400);
    // The same event, authenticated, does map (the refusal was the header).
    assert_eq!(post(&s.endpoint, Some(&auth), &body), 200);
    assert_eq!(
        current(&s.service, "team", "re", "sneaky").unwrap().0,
        new.digest.to_string()
    );
}

#[test]
fn a_receiver_without_rights_writes_nothing() {
    let s = setup();
    let push = Pusher::new(&s.registry);
    let image = push.image("team/locked", None, "amd64", OCI_MANIFEST);
    let intruder = Receiver::new(
        s.service.clone(),
        Arc::new(RegistryClient::new(ClientConfig::new())),
        s.registry.addr.clone(),
        Subject::user("intruder"),
    )
    .insecure(true);
    let events = format!(
        r#"{{"events":[{},{}]}}"#,
        push_event(
            "x-1",
            "team/locked",
            "v1",
            &image.digest,
            "2030-01-01T00:00:01Z"
        ),
        push_event(
            "x-2",
            "team/locked",
            "",
            &image.digest,
            "2030-01-01T00:00:02Z"
        ),
    );
    let outcomes = intruder.receive(&Envelope::parse(events.as_bytes()).unwrap());
    assert!(
        outcomes.iter().all(|o| matches!(o, Outcome::Failed { .. })),
        "{outcomes:?}"
    );
    assert!(current(&s.service, "team", "locked", "v1").is_none());
    let Outcome::Failed { error, .. } = &outcomes[1] else {
        unreachable!()
    };
    assert!(
        error.starts_with("intruder may not create images"),
        "{error}"
    );
}
