//! Imports through the service (`ImageStreams`) with the real client
//! against docker-registry 2.8: by tag and by digest, both import modes,
//! scheduled re-imports, OpenShift's failure conditions, and a secured
//! registry reached with the importing namespace's pull secret.

mod support;

use std::sync::Arc;

use imagestream::ops::tag::TagCommand;
use imagestream::ports::{MemoryPullSecrets, MemoryStore, PullSecret, Rbac, Subject, SystemClock};
use imagestream::reference::{Namespace, StreamName};
use imagestream::service::ImageStreams;
use imagestream_registry::{ClientConfig, RegistryClient};
use support::{OCI_INDEX, OCI_MANIFEST, Options, Pusher, TestRegistry};

type Service = ImageStreams<MemoryStore, RegistryClient, Rbac, SystemClock>;

fn service(client: RegistryClient) -> Service {
    ImageStreams::new(
        Arc::new(MemoryStore::new()),
        Arc::new(client),
        Arc::new(Rbac::new()),
        Arc::new(SystemClock),
    )
}

fn tag(
    service: &Service,
    ns: &Namespace,
    from: &str,
    to: &str,
    command: impl Fn(TagCommand) -> TagCommand,
) {
    let admin = Subject::system_admin();
    service
        .tag(
            &admin,
            ns,
            &command(TagCommand::new([from, to]).insecure(true)),
        )
        .unwrap();
}

/// (current image, history length, condition reason and message) of a tag.
fn state(
    service: &Service,
    ns: &Namespace,
    stream: &str,
    tag: &str,
) -> (Option<String>, usize, Option<(String, String)>) {
    let s = service
        .get(
            &Subject::system_admin(),
            ns,
            &StreamName::parse(stream).unwrap(),
        )
        .unwrap();
    let Some(h) = s.value.history(tag) else {
        return (None, 0, None);
    };
    (
        h.current().map(|e| e.image_str().to_owned()),
        h.len(),
        h.conditions()
            .first()
            .map(|c| (c.reason.clone(), c.message.clone())),
    )
}

#[test]
fn imports_by_tag_and_digest_in_both_modes_and_picks_up_a_repushed_tag() {
    let registry = TestRegistry::start();
    let push = Pusher::new(&registry);
    let v1 = push.image("team/app", Some("v1"), "amd64", OCI_MANIFEST);
    let (index, _, amd, _) = push.index("team/multi", "latest", OCI_INDEX);
    let service = service(RegistryClient::new(ClientConfig::new()));
    let admin = Subject::system_admin();
    let ns = Namespace::parse("test").unwrap();
    let app = StreamName::parse("app").unwrap();
    let addr = &registry.addr;

    tag(
        &service,
        &ns,
        &format!("{addr}/team/app:v1"),
        "app:v1",
        |c| c.scheduled(true),
    );
    tag(
        &service,
        &ns,
        &format!("{addr}/team/app@{}", v1.digest),
        "app:pinned",
        |c| c,
    );
    tag(
        &service,
        &ns,
        &format!("{addr}/team/multi:latest"),
        "app:legacy",
        |c| c.import_mode("Legacy"),
    );
    tag(
        &service,
        &ns,
        &format!("{addr}/team/multi:latest"),
        "app:kept",
        |c| c.import_mode("PreserveOriginal"),
    );
    let done = service.import(&admin, &ns, &app).unwrap();
    assert_eq!(done.asked.len(), 4);
    assert_eq!(
        state(&service, &ns, "app", "v1"),
        (Some(v1.digest.to_string()), 1, None)
    );
    assert_eq!(
        state(&service, &ns, "app", "pinned").0,
        Some(v1.digest.to_string())
    );
    assert_eq!(
        state(&service, &ns, "app", "legacy").0,
        Some(amd.digest.to_string())
    );
    assert_eq!(
        state(&service, &ns, "app", "kept").0,
        Some(index.to_string())
    );
    // The stored images carry the registry's content.
    let image = service.image(&admin, &v1.digest).unwrap();
    assert_eq!(
        image.docker_image_reference,
        format!("{addr}/team/app@{}", v1.digest)
    );
    assert_eq!(image.docker_image_layers.len(), 2);
    let meta = image.docker_image_metadata.unwrap();
    assert_eq!(meta.id, v1.config_digest.to_string());
    let kept = service.image(&admin, &index).unwrap();
    assert_eq!(kept.docker_image_manifests.len(), 2);
    assert_eq!(kept.docker_image_manifests[1].architecture, "amd64");

    // Unchanged: a scheduled import writes nothing new.
    service.import_scheduled(&admin, &ns, &app).unwrap();
    assert_eq!(state(&service, &ns, "app", "v1").1, 1);
    // Re-pushed: the scheduled import picks the new image up.
    let v2 = push.image("team/app", Some("v1"), "amd64", OCI_MANIFEST);
    service.import_scheduled(&admin, &ns, &app).unwrap();
    assert_eq!(
        state(&service, &ns, "app", "v1"),
        (Some(v2.digest.to_string()), 2, None)
    );
}

#[test]
fn failures_become_openshift_conditions_and_pull_secrets_fix_the_secured_step() {
    let registry = TestRegistry::start_with(&Options {
        htpasswd: Some(("dev".into(), "pw".into())),
        ..Options::default()
    });
    let push = Pusher::with(
        format!("http://{}", registry.addr),
        None,
        Some(("dev", "pw")),
    );
    let pushed = push.image("secured/app", Some("v1"), "amd64", OCI_MANIFEST);
    let secrets = Arc::new(MemoryPullSecrets::new());
    let service =
        service(RegistryClient::new(ClientConfig::new()).with_pull_secrets(secrets.clone()));
    let admin = Subject::system_admin();
    let ns = Namespace::parse("secure-ns").unwrap();
    let addr = &registry.addr;
    let app = StreamName::parse("app").unwrap();

    let from = format!("{addr}/secured/app:v1");
    tag(&service, &ns, &from, "app:v1", |c| c.scheduled(true));
    service.import(&admin, &ns, &app).unwrap();
    assert_eq!(
        state(&service, &ns, "app", "v1"),
        (
            None,
            0,
            Some((
                "Unauthorized".into(),
                format!("you may not have access to the container image \"{from}\"")
            ))
        )
    );
    // The chapter's secured-registry step: a pull secret in the namespace;
    // the next scheduled import succeeds.
    let auth = base64_auth("dev", "pw");
    secrets.insert(
        &ns,
        PullSecret::new(
            "registry",
            format!(r#"{{"auths":{{"{addr}":{{"auth":"{auth}"}}}}}}"#),
        ),
    );
    service.import_scheduled(&admin, &ns, &app).unwrap();
    let (current, len, condition) = state(&service, &ns, "app", "v1");
    assert_eq!(
        (current, len, condition),
        (Some(pushed.digest.to_string()), 1, None)
    );

    // A missing tag: NotFound, the image stays.
    let missing = format!("{addr}/secured/app:v9");
    tag(&service, &ns, &missing, "app:v9", |c| c);
    service.import(&admin, &ns, &app).unwrap();
    assert_eq!(
        state(&service, &ns, "app", "v9").2,
        Some((
            "NotFound".into(),
            format!("dockerimage.image.openshift.io \"{missing}\" not found")
        ))
    );
}

#[test]
fn a_corrupted_manifest_becomes_a_bad_request_condition_and_stores_nothing() {
    let registry = TestRegistry::start();
    let push = Pusher::new(&registry);
    let image = push.image("team/app", Some("bad"), "amd64", OCI_MANIFEST);
    let hex = image.digest.hex();
    let blob = registry.root().join(format!(
        "data/docker/registry/v2/blobs/sha256/{}/{hex}/data",
        &hex[..2]
    ));
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes.push(b'\n');
    std::fs::write(&blob, bytes).unwrap();
    let service = service(RegistryClient::new(ClientConfig::new()));
    let ns = Namespace::parse("test").unwrap();
    let from = format!("{}/team/app:bad", registry.addr);
    tag(&service, &ns, &from, "app:bad", |c| c);
    service
        .import(
            &Subject::system_admin(),
            &ns,
            &StreamName::parse("app").unwrap(),
        )
        .unwrap();
    assert_eq!(
        state(&service, &ns, "app", "bad"),
        (
            None,
            0,
            Some((
                "BadRequest".into(),
                format!(
                    "invalid image \"{from}\": the manifest does not match the digest {} the registry sent",
                    image.digest
                )
            ))
        )
    );
    assert!(
        service
            .image(&Subject::system_admin(), &image.digest)
            .is_err()
    );
}

fn base64_auth(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}
