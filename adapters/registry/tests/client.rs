//! The client against a real `docker-registry` 2.8: resolve by tag and by
//! digest, manifest lists in both import modes, tag listing, and the
//! failures OpenShift shows as conditions.

mod support;

use imagestream::ports::{ImportRequest, Registry, RegistryError};
use imagestream::reference::{Digest, ImageReference};
use imagestream::stream::ImportMode;
use imagestream_registry::{ClientConfig, Platform, RegistryClient};
use support::{DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, Pusher, TestRegistry};

fn request(s: &str) -> ImportRequest {
    ImportRequest::new(ImageReference::parse(s).unwrap()).insecure(true)
}

#[test]
fn resolves_tags_and_digests_with_verified_content_in_two_requests() {
    let registry = TestRegistry::start();
    let push = Pusher::new(&registry);
    let client = RegistryClient::new(ClientConfig::new());
    for (tag, media_type) in [("oci", OCI_MANIFEST), ("docker", DOCKER_MANIFEST)] {
        let pushed = push.image("team/app", Some(tag), "amd64", media_type);
        let before = client.requests();
        let image = client
            .resolve(&request(&format!("{}/team/app:{tag}", registry.addr)))
            .unwrap();
        assert_eq!(image.digest, pushed.digest);
        assert_eq!(image.media_type, media_type);
        let layers: Vec<_> = image
            .layers
            .iter()
            .map(|l| (l.name.clone(), l.size))
            .collect();
        let expected: Vec<_> = pushed
            .layers
            .iter()
            .map(|(d, n)| (d.to_string(), i64::try_from(*n).unwrap()))
            .collect();
        assert_eq!(layers, expected);
        assert!(
            image.layers[0].media_type.contains("layer")
                || image.layers[0].media_type.contains("rootfs")
        );
        let meta = image.config.as_ref().unwrap();
        assert_eq!(meta.id, pushed.config_digest.to_string());
        assert_eq!(meta.architecture, "amd64");
        assert_eq!(meta.author, "tests");
        let env = &meta.config.as_ref().unwrap().env;
        assert_eq!(env, &[format!("MARKER={}", pushed.marker)]);
        // Manifest and config, nothing else (plain HTTP learned once).
        let used = client.requests() - before;
        assert!(used <= 3, "{used} requests");
        let before = client.requests();
        let by_digest = client
            .resolve(&request(&format!(
                "{}/team/app@{}",
                registry.addr, pushed.digest
            )))
            .unwrap();
        assert_eq!(by_digest, image);
        assert_eq!(client.requests() - before, 2, "manifest and config");
    }
}

#[test]
fn manifest_lists_in_both_import_modes() {
    let registry = TestRegistry::start();
    let push = Pusher::new(&registry);
    let client = RegistryClient::new(ClientConfig::new());
    for (tag, media_type) in [("oci", OCI_INDEX), ("docker", DOCKER_LIST)] {
        let (index, _, amd, arm) = push.index("multi/arch", tag, media_type);
        let reference = format!("{}/multi/arch:{tag}", registry.addr);
        // Legacy (and unset, the cluster default): linux/amd64.
        for mode in [ImportMode::Legacy, ImportMode::Unset] {
            let image = client
                .resolve(&request(&reference).import_mode(mode))
                .unwrap();
            assert_eq!(image.digest, amd.digest, "{mode:?}");
            assert_eq!(image.config.unwrap().architecture, "amd64");
            assert!(image.manifests.is_empty());
        }
        // PreserveOriginal: the index itself with its children.
        let kept = client
            .resolve(&request(&reference).import_mode(ImportMode::PreserveOriginal))
            .unwrap();
        assert_eq!(kept.digest, index);
        assert_eq!(kept.media_type, media_type);
        assert!(kept.layers.is_empty() && kept.config.is_none());
        let children: Vec<_> = kept
            .manifests
            .iter()
            .map(|m| {
                (
                    m.digest.clone(),
                    m.os.clone(),
                    m.architecture.clone(),
                    m.variant.clone(),
                )
            })
            .collect();
        assert_eq!(
            children,
            [
                (
                    arm.digest.to_string(),
                    "linux".into(),
                    "arm64".into(),
                    "v8".into()
                ),
                (
                    amd.digest.to_string(),
                    "linux".into(),
                    "amd64".into(),
                    String::new()
                ),
            ]
        );
        assert_eq!(
            kept.manifests[1].manifest_size,
            i64::try_from(amd.manifest.len()).unwrap()
        );
        // A configured preferred platform wins.
        let arm_client = RegistryClient::new(
            ClientConfig::new().preferred_platform(Platform::new("linux", "arm64")),
        );
        let image = arm_client.resolve(&request(&reference)).unwrap();
        assert_eq!(image.digest, arm.digest);
        let none = RegistryClient::new(
            ClientConfig::new().preferred_platform(Platform::new("windows", "amd64")),
        );
        let e = none.resolve(&request(&reference)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "invalid image \"{reference}\": the manifest list has no manifest for windows/amd64"
            )
        );
    }
}

#[test]
fn missing_images_unreachable_registries_and_corrupt_manifests_become_openshift_conditions() {
    let registry = TestRegistry::start();
    let push = Pusher::new(&registry);
    let pushed = push.image("team/app", Some("v1"), "amd64", OCI_MANIFEST);
    let client = RegistryClient::new(ClientConfig::new());

    let missing_tag = format!("{}/team/app:nope", registry.addr);
    let e = client.resolve(&request(&missing_tag)).unwrap_err();
    assert_eq!(
        (e.to_string(), e.reason()),
        (
            format!("dockerimage.image.openshift.io \"{missing_tag}\" not found"),
            "NotFound"
        )
    );
    let missing_repo = format!("{}/team/none:v1", registry.addr);
    assert!(matches!(
        client.resolve(&request(&missing_repo)),
        Err(RegistryError::NotFound { .. })
    ));

    // A digest that is not the manifest's: the registry has no such
    // manifest (404).
    let other = Digest::of_sha256(b"other");
    let e = client
        .resolve(&request(&format!("{}/team/app@{other}", registry.addr)))
        .unwrap_err();
    assert_eq!(e.reason(), "NotFound");

    // Too large for the cap.
    let small = RegistryClient::new(ClientConfig::new().max_manifest_bytes(64));
    let e = small
        .resolve(&request(&format!("{}/team/app:v1", registry.addr)))
        .unwrap_err();
    assert_eq!(e.reason(), "BadRequest");
    assert!(
        e.to_string().contains("larger than the 64 bytes allowed"),
        "{e}"
    );

    // Nobody listening.
    let closed = format!("127.0.0.1:{}/a/b:c", support::free_port());
    let e = client.resolve(&request(&closed)).unwrap_err();
    assert!(matches!(e, RegistryError::Unreachable { .. }), "{e:?}");
    assert_eq!(e.reason(), "InternalError");
    // Secure by default: a plain-HTTP registry is not spoken to without `insecure`.
    let e = client
        .resolve(&ImportRequest::new(
            ImageReference::parse(&format!("{}/team/app:v1", registry.addr)).unwrap(),
        ))
        .unwrap_err();
    assert!(matches!(e, RegistryError::Unreachable { .. }), "{e:?}");

    // Corrupt the stored manifest on disk: the registry still says the old
    // digest, the bytes no longer match it.
    let data = registry_blob_path(&registry, &pushed.digest);
    let mut bytes = std::fs::read(&data).unwrap();
    let at = bytes.iter().position(|&b| b == b'{').unwrap();
    bytes.insert(at + 1, b' ');
    std::fs::write(&data, bytes).unwrap();
    let reference = format!("{}/team/app:v1", registry.addr);
    let e = client.resolve(&request(&reference)).unwrap_err();
    assert_eq!(e.reason(), "BadRequest");
    assert_eq!(
        e.to_string(),
        format!(
            "invalid image \"{reference}\": the manifest does not match the digest {} the registry sent",
            pushed.digest
        )
    );
}

fn registry_blob_path(registry: &TestRegistry, digest: &Digest) -> std::path::PathBuf {
    let hex = digest.hex();
    let root = support_root(registry);
    root.join(format!(
        "data/docker/registry/v2/blobs/sha256/{}/{hex}/data",
        &hex[..2]
    ))
}

fn support_root(registry: &TestRegistry) -> std::path::PathBuf {
    registry.root().to_path_buf()
}

#[test]
fn lists_250_tags_in_full_and_caps() {
    let registry = TestRegistry::start();
    let push = Pusher::new(&registry);
    let image = push.image("many/tags", Some("t000"), "amd64", OCI_MANIFEST);
    for i in 1..250 {
        push.manifest(
            "many/tags",
            &format!("t{i:03}"),
            OCI_MANIFEST,
            &image.manifest,
        );
    }
    let client = RegistryClient::new(ClientConfig::new());
    let repo = request(&format!("{}/many/tags", registry.addr));
    let all = client.list_tags(&repo, 1000).unwrap();
    assert!(!all.truncated);
    let mut tags = all.tags.clone();
    tags.sort();
    let expected: Vec<_> = (0..250).map(|i| format!("t{i:03}")).collect();
    assert_eq!(tags, expected);
    // Registry 2.8 ignores `n` and answers in one page: the cap is ours.
    let capped = client.list_tags(&repo, 50).unwrap();
    assert_eq!((capped.tags.len(), capped.truncated), (50, true));
    let e = client
        .list_tags(&request(&format!("{}/no/such", registry.addr)), 10)
        .unwrap_err();
    assert_eq!(e.reason(), "NotFound");
}

/// The port's conformance suite (`imagestream::testing::registry`), the
/// same checks `StaticRegistry` passes, against a real registry holding
/// the script's repositories. Its scripted failures (rate limits, broken
/// registries) cannot be staged on a real server; the tests above cover
/// those answers.
#[test]
fn passes_the_registry_conformance_suite() {
    use imagestream::ports::ImportedImage;
    use imagestream::testing::registry::{
        Script, lists_tags_with_a_cap, missing_is_not_found, resolves_by_tag_and_digest,
    };

    let registry = TestRegistry::start();
    let push = Pusher::new(&registry);
    let mut script = Script::new(&registry.addr);
    script.insecure = true;
    for (reference, image) in &mut script.images {
        let repo = reference.as_repository();
        let path = repo.as_str().split_once('/').map(|(_, p)| p).unwrap();
        let pushed = push.image(path, reference.tag(), "amd64", OCI_MANIFEST);
        *image = ImportedImage::new(pushed.digest, OCI_MANIFEST);
    }
    let client = RegistryClient::new(ClientConfig::new());
    resolves_by_tag_and_digest(&script, &client);
    missing_is_not_found(&script, &client);
    lists_tags_with_a_cap(&script, &client);
}
