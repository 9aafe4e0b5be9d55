//! Content is what the digest says (SPEC §13): an image mapped without a
//! manifest cannot squat a digest; the genuine push or an import that
//! fetched the manifest replaces it; a manifest that does not hash to its
//! name (any algorithm) is refused.

use std::sync::Arc;

use imagestream::api;
use imagestream::chrono::{TimeZone, Utc};
use imagestream::describe::{Style, describe_image, describe_image_stream_tag};
use imagestream::ports::{
    ImageStore, ImportedImage, ManualClock, MemoryStore, Rbac, StaticRegistry, Subject,
};
use imagestream::reference::{Algorithm, Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::service::{ImageStreams, ServiceError};
use imagestream::stream::{Content, ImageStream, SpecTag, TagSource};

type Service = ImageStreams<MemoryStore, StaticRegistry, Rbac, ManualClock>;

fn ns(s: &str) -> Namespace {
    Namespace::parse(s).unwrap()
}

fn name(s: &str) -> StreamName {
    StreamName::parse(s).unwrap()
}

fn admin() -> Subject {
    Subject::system_admin()
}

/// Streams `evil/app` and `prod/app`; `mallory` may edit `evil`, the
/// registry (`system:admin` here) pushes into `prod`.
fn service() -> Service {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap());
    let svc = ImageStreams::new(
        Arc::new(MemoryStore::new()),
        Arc::new(StaticRegistry::new()),
        Arc::new(Rbac::new()),
        Arc::new(clock),
    );
    for n in ["evil", "prod"] {
        svc.create(&admin(), ImageStream::new(ns(n), name("app")).unwrap())
            .unwrap();
    }
    svc.authorizer().bind("mallory", "edit", &ns("evil"));
    svc
}

const MANIFEST: &str =
    r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#;

fn genuine_config() -> api::DockerImageMetadata {
    api::DockerImageMetadata {
        author: "the vendor".into(),
        architecture: "amd64".into(),
        ..Default::default()
    }
}

fn forged_config() -> api::DockerImageMetadata {
    api::DockerImageMetadata {
        author: "mallory".into(),
        architecture: "amd64".into(),
        config: Some(api::DockerConfig {
            env: vec!["LD_PRELOAD=/tmp/evil.so".into()],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A mapping of image `d` into `namespace/app:latest`, with `manifest`
/// (empty for none) and `config`.
fn mapping(
    namespace: &str,
    d: &Digest,
    manifest: &str,
    config: api::DockerImageMetadata,
) -> api::ImageStreamMapping {
    let mut m = api::ImageStreamMapping::default();
    m.metadata.name = "app".into();
    m.metadata.namespace = namespace.into();
    m.tag = "latest".into();
    m.image.metadata.name = d.to_string();
    m.image.docker_image_reference = format!("172.30.1.1:5000/{namespace}/app@{d}");
    m.image.docker_image_manifest = manifest.into();
    m.image.docker_image_metadata = Some(config);
    m
}

fn istag(svc: &Service, namespace: &str) -> api::ImageStreamTag {
    svc.image_stream_tag(&admin(), &ns(namespace), "app:latest")
        .unwrap()
}

fn state(image: &api::Image) -> &str {
    &image.metadata.annotations[api::CONTENT_VERIFIED_ANNOTATION]
}

#[test]
fn a_mapping_without_manifest_cannot_squat_a_digest() {
    let svc = service();
    let d = Digest::of_sha256(MANIFEST.as_bytes());
    // The attack: mallory, with edit in evil, maps D first, without the
    // manifest and with a forged config.
    svc.create_mapping(
        &Subject::user("mallory"),
        mapping("evil", &d, "", forged_config()),
    )
    .unwrap();
    let seen = istag(&svc, "evil");
    assert_eq!(seen.image.docker_image_metadata, Some(forged_config()));
    assert_eq!(state(&seen.image), "false", "stored unverified");

    // The genuine push of D into prod, with the manifest hashing to D.
    svc.create_mapping(&admin(), mapping("prod", &d, MANIFEST, genuine_config()))
        .unwrap();
    let prod = istag(&svc, "prod");
    assert_eq!(
        prod.image.docker_image_metadata,
        Some(genuine_config()),
        "prod sees the genuine content"
    );
    assert_eq!(state(&prod.image), "true");
    assert!(
        prod.image.docker_image_manifest.is_empty(),
        "views clear it"
    );
    // The image is cluster-wide: evil's tag now shows the genuine content.
    assert_eq!(
        istag(&svc, "evil").image.docker_image_metadata,
        Some(genuine_config())
    );

    // A second unverified mapping replaces nothing.
    svc.create_mapping(
        &Subject::user("mallory"),
        mapping("evil", &d, "", forged_config()),
    )
    .unwrap();
    let stored = svc.store().get_image(&d).unwrap();
    assert_eq!(stored.docker_image_metadata, Some(genuine_config()));
    assert_eq!(Content::of_stored(&stored), Content::Verified);

    // describe shows the state.
    let now = Utc.with_ymd_and_hms(2024, 5, 1, 13, 0, 0).unwrap();
    let text = describe_image_stream_tag(&istag(&svc, "prod"), now, Style::Classic);
    assert!(text.contains("\nContent:\tverified\n"), "{text}");
    assert!(!text.contains(api::CONTENT_VERIFIED_ANNOTATION), "{text}");
}

#[test]
fn the_genuine_push_first_stays() {
    let svc = service();
    let d = Digest::of_sha256(MANIFEST.as_bytes());
    svc.create_mapping(&admin(), mapping("prod", &d, MANIFEST, genuine_config()))
        .unwrap();
    assert_eq!(state(&istag(&svc, "prod").image), "true");
    // The squatter comes second, with or without a claim of verification.
    let mut squat = mapping("evil", &d, "", forged_config());
    squat
        .image
        .metadata
        .annotations
        .insert(api::CONTENT_VERIFIED_ANNOTATION.into(), "true".into());
    svc.create_mapping(&Subject::user("mallory"), squat)
        .unwrap();
    for n in ["evil", "prod"] {
        assert_eq!(
            istag(&svc, n).image.docker_image_metadata,
            Some(genuine_config()),
            "{n}"
        );
    }
}

#[test]
fn a_client_claim_or_a_spec_annotation_cannot_mark_content_verified() {
    let svc = service();
    let d = Digest::of_sha256(MANIFEST.as_bytes());
    let mut squat = mapping("evil", &d, "", forged_config());
    squat
        .image
        .metadata
        .annotations
        .insert(api::CONTENT_VERIFIED_ANNOTATION.into(), "true".into());
    svc.create_mapping(&Subject::user("mallory"), squat)
        .unwrap();
    assert_eq!(state(&istag(&svc, "evil").image), "false");
    // A spec tag annotation is merged into the istag's image, but not over
    // the content state.
    svc.update(&admin(), &ns("evil"), &name("app"), |is| {
        let mut wire = api::ImageStream::from(&*is);
        let mut tag = api::TagReference {
            name: "latest".into(),
            ..Default::default()
        };
        tag.annotations = Some(
            [(
                api::CONTENT_VERIFIED_ANNOTATION.to_owned(),
                "true".to_owned(),
            )]
            .into(),
        );
        wire.spec.tags = vec![tag];
        *is = ImageStream::try_from(wire)?;
        Ok(())
    })
    .unwrap();
    let seen = istag(&svc, "evil");
    assert_eq!(
        seen.metadata.annotations[api::CONTENT_VERIFIED_ANNOTATION],
        "true",
        "the istag's own metadata carries the spec annotation"
    );
    assert_eq!(state(&seen.image), "false", "its image does not");
    let text = describe_image(&seen.image, d.as_str(), Utc::now(), Style::Current);
    assert!(
        text.contains("Content:\tunverified (no manifest checked)"),
        "{text}"
    );
}

#[test]
fn an_import_that_fetched_the_manifest_replaces_a_squatted_image() {
    let svc = service();
    let upstream =
        ImportedImage::of_manifest(MANIFEST, "application/vnd.oci.image.manifest.v1+json");
    let d = upstream.digest.clone();
    svc.create_mapping(
        &Subject::user("mallory"),
        mapping("evil", &d, "", forged_config()),
    )
    .unwrap();
    let from = ImageReference::parse("quay.io/vendor/app:1.0").unwrap();
    let mut answer = upstream;
    answer.config = Some(genuine_config());
    svc.registry().insert(&from, answer);
    svc.set_spec_tag(
        &admin(),
        &ns("prod"),
        &name("app"),
        &TagName::parse("latest").unwrap(),
        &SpecTag::new(TagSource::DockerImage(from)),
    )
    .unwrap();
    let imported = svc.import(&admin(), &ns("prod"), &name("app")).unwrap();
    assert_eq!(imported.asked.len(), 1);
    let prod = istag(&svc, "prod");
    assert_eq!(prod.image.metadata.name, d.as_str());
    assert_eq!(prod.image.docker_image_metadata, Some(genuine_config()));
    assert_eq!(state(&prod.image), "true");
    // The stored image is the verified one now.
    let stored = svc.store().get_image(&d).unwrap();
    assert_eq!(Content::of_stored(&stored), Content::Verified);
}

#[test]
fn an_import_answer_whose_manifest_hashes_elsewhere_is_a_failure() {
    let svc = service();
    let from = ImageReference::parse("quay.io/vendor/app:1.0").unwrap();
    let mut lying =
        ImportedImage::of_manifest(MANIFEST, "application/vnd.oci.image.manifest.v1+json");
    lying.manifest.push(' ');
    let d = lying.digest.clone();
    svc.registry().insert(&from, lying);
    svc.set_spec_tag(
        &admin(),
        &ns("prod"),
        &name("app"),
        &TagName::parse("latest").unwrap(),
        &SpecTag::new(TagSource::DockerImage(from)),
    )
    .unwrap();
    svc.import(&admin(), &ns("prod"), &name("app")).unwrap();
    let is = svc.get(&admin(), &ns("prod"), &name("app")).unwrap().value;
    let history = is.history("latest").unwrap();
    assert!(history.current().is_none());
    assert_eq!(history.conditions()[0].reason, "BadRequest");
    assert!(
        history.conditions()[0].message.contains("hashes to"),
        "{}",
        history.conditions()[0].message
    );
    assert!(svc.store().get_image(&d).is_err(), "nothing stored");
}

#[test]
fn every_algorithm_is_verified_on_mapping() {
    for alg in [Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512] {
        let svc = service();
        // A name of this algorithm with a manifest that is not its content.
        let d = Digest::of(alg, b"some other manifest");
        let err = svc
            .create_mapping(&admin(), mapping("prod", &d, MANIFEST, genuine_config()))
            .unwrap_err();
        assert!(matches!(err, ServiceError::Invalid(_)), "{alg}: {err:?}");
        assert!(
            err.to_string().contains(&format!(
                "image.dockerImageManifest: Invalid value: \"{}\"",
                Digest::of(alg, MANIFEST.as_bytes())
            )),
            "{alg}: {err}"
        );
        assert!(svc.store().get_image(&d).is_err(), "{alg}: nothing stored");
        assert!(svc.store().list_images().unwrap().is_empty());
        // The right manifest for that name is stored verified.
        let d = Digest::of(alg, MANIFEST.as_bytes());
        svc.create_mapping(&admin(), mapping("prod", &d, MANIFEST, genuine_config()))
            .unwrap();
        assert_eq!(state(&istag(&svc, "prod").image), "true", "{alg}");
    }
}

/// One write to the image store: a name (of three), and whether it comes
/// with the genuine manifest, none, or a wrong one; `tag` tells writes
/// apart.
#[derive(Debug, Clone)]
struct Put {
    name: usize,
    manifest: Option<bool>,
    tag: u8,
}

fn put() -> impl proptest::strategy::Strategy<Value = Put> {
    use proptest::prelude::*;
    (0usize..3, prop::option::of(any::<bool>()), any::<u8>()).prop_map(|(name, manifest, tag)| {
        Put {
            name,
            manifest,
            tag,
        }
    })
}

proptest::proptest! {
    /// The content rule as a model: per name, the stored image is the first
    /// verified write if there was one, else the first write; wrong
    /// manifests are refused and change nothing.
    #[test]
    fn the_store_follows_the_content_rule(puts in proptest::collection::vec(put(), 0..24)) {
        let manifests = [r#"{"n":0}"#, r#"{"n":1}"#, r#"{"n":2}"#];
        let algs = [Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512];
        let names: Vec<Digest> = (0..3).map(|i| Digest::of(algs[i], manifests[i].as_bytes())).collect();
        let store = MemoryStore::new();
        // Per name: (tag of the kept write, verified).
        let mut model: [Option<(u8, bool)>; 3] = [None; 3];
        for p in &puts {
            let mut image = api::Image::default();
            image.metadata.name = names[p.name].to_string();
            image.docker_image_reference = format!("r/{}", p.tag);
            match p.manifest {
                Some(true) => image.docker_image_manifest = manifests[p.name].into(),
                Some(false) => image.docker_image_manifest = "{}".into(),
                None => {}
            }
            let result = store.put_image(image);
            match p.manifest {
                Some(false) => proptest::prop_assert!(result.is_err()),
                verified => {
                    let verified = verified.is_some();
                    proptest::prop_assert!(result.is_ok());
                    let slot = &mut model[p.name];
                    match slot {
                        None => *slot = Some((p.tag, verified)),
                        Some((_, false)) if verified => *slot = Some((p.tag, true)),
                        Some(_) => {}
                    }
                }
            }
        }
        for (i, expected) in model.iter().enumerate() {
            match (expected, store.get_image(&names[i])) {
                (None, Err(_)) => {}
                (Some((tag, verified)), Ok(stored)) => {
                    proptest::prop_assert_eq!(&stored.docker_image_reference, &format!("r/{tag}"));
                    let state = if *verified { Content::Verified } else { Content::Unverified };
                    proptest::prop_assert_eq!(Content::of_stored(&stored), state);
                }
                (e, got) => proptest::prop_assert!(false, "name {i}: expected {e:?}, got {got:?}"),
            }
        }
    }
}

#[test]
fn the_image_store_port_stays_object_safe() {
    let store: Arc<dyn ImageStore> = Arc::new(MemoryStore::new());
    let mut image = api::Image::default();
    image.metadata.name = Digest::of_sha256(MANIFEST.as_bytes()).to_string();
    image.docker_image_manifest = MANIFEST.into();
    assert_eq!(
        store.put_image(image).unwrap(),
        imagestream::stream::ImageWrite::Created
    );
}

#[test]
fn describe_shows_the_content_state() {
    let svc = service();
    let d = Digest::of_sha256(MANIFEST.as_bytes());
    svc.create_mapping(
        &Subject::user("mallory"),
        mapping("evil", &d, "", forged_config()),
    )
    .unwrap();
    let now = Utc.with_ymd_and_hms(2024, 5, 1, 13, 0, 0).unwrap();
    let isimage = svc
        .image_stream_image(&admin(), &ns("evil"), &format!("app@{d}"))
        .unwrap();
    insta::assert_snapshot!(
        "describe_unverified_image",
        describe_image(&isimage.image, d.as_str(), now, Style::Classic)
    );
    svc.create_mapping(&admin(), mapping("prod", &d, MANIFEST, genuine_config()))
        .unwrap();
    let isimage = svc
        .image_stream_image(&admin(), &ns("prod"), &format!("app@{d}"))
        .unwrap();
    insta::assert_snapshot!(
        "describe_verified_image",
        describe_image(&isimage.image, d.as_str(), now, Style::Classic)
    );
}
