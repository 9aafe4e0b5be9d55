//! API objects and the domain stream: the seed's YAML fixtures, JSON/YAML
//! round trips, null handling, validation messages, hostile inputs.

use imagestream::{api, stream};
use insta::{assert_snapshot, assert_yaml_snapshot};

const SEED_STREAM: &str = include_str!("../fixtures/seed_imagestream.yaml");
const SEED_MAPPING: &str = include_str!("../fixtures/seed_mapping.yaml");

fn seed_stream() -> api::ImageStream {
    serde_saphyr::from_str(SEED_STREAM).expect("the seed's ImageStream reads")
}

#[test]
fn seed_image_stream_reads_converts_and_writes_back() {
    let wire = seed_stream();
    assert_eq!(wire.metadata.name, "origin-ruby-sample");
    assert_eq!(wire.metadata.resource_version, "633");
    assert_eq!(
        wire.metadata.self_link,
        "/oapi/v1/namespaces/test/imagestreams/origin-ruby-sample"
    );
    assert_eq!(wire.status.tags[0].items.len(), 2);

    let domain = stream::ImageStream::try_from(wire.clone()).expect("valid");
    let back = api::ImageStream::from(&domain);
    assert_eq!(back, wire, "domain -> api is lossless");

    // Through both text formats and back, still equal.
    let json = serde_json::to_string_pretty(&back).unwrap();
    assert_eq!(
        serde_json::from_str::<api::ImageStream>(&json).unwrap(),
        wire
    );
    let yaml = serde_saphyr::to_string(&back).unwrap();
    assert_eq!(
        serde_saphyr::from_str::<api::ImageStream>(&yaml).unwrap(),
        wire
    );
    assert_snapshot!("seed_imagestream_json", json);
    assert_snapshot!("seed_imagestream_yaml", yaml);
}

#[test]
fn seed_stream_consistency_report() {
    let domain = stream::ImageStream::try_from(seed_stream()).unwrap();
    let report: Vec<String> = domain
        .consistency_report()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_yaml_snapshot!(report, @r#"
    - "status.tags[latest].items[0]: dockerImageReference points at sha256:47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d but image is sha256:909de62d1f609a717ec433cc25ca5cf00941545c83a01fb31527771e1fab3fc5"
    - "status.tags[latest].items[0]: created 2017-09-02T10:15:09Z is older than the entry below it (2017-09-29T13:40:11Z)"
    - "status.tags[latest].items[0]: generation 2 is newer than the stream's generation 1"
    - "status.tags[latest].items[1]: dockerImageReference points at sha256:909de62d1f609a717ec433cc25ca5cf00941545c83a01fb31527771e1fab3fc5 but image is sha256:47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d"
    "#);
}

#[test]
fn seed_mapping_reads_validates_and_round_trips() {
    let m: api::ImageStreamMapping =
        serde_saphyr::from_str(SEED_MAPPING).expect("the seed's mapping reads");
    assert_eq!(m.tag, "latest");
    assert_eq!(m.metadata.creation_timestamp, None);
    assert_eq!(m.image.docker_image_layers.len(), 7);
    assert_eq!(m.image.docker_image_layers[1].size, 196_634_330);
    let meta = m.image.docker_image_metadata.as_ref().unwrap();
    assert_eq!(meta.api_version, "1.0");
    assert_eq!(meta.size, 441_976_279);
    let config = meta.config.as_ref().unwrap();
    assert_eq!(config.labels["build-date"], "2015-12-23");
    assert_eq!(config.user, "1001");
    assert!(config.exposed_ports.contains_key("8080/tcp"));
    // As printed, the seed's mapping lacks the image's name: OpenShift
    // refuses it, and so does the exact validator.
    assert_snapshot!(stream::validate_image_stream_mapping(&m).unwrap_err().to_string(), @"image.metadata.name: Required value: name or generateName is required");
    // The domain takes the name from the pull spec's digest, and keeps the
    // wire object as received.
    let domain = stream::ImageStreamMapping::try_from(m.clone()).expect("converts");
    assert_eq!(
        domain.image_name().as_str(),
        "sha256:47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d"
    );
    assert_eq!(
        (
            domain.namespace().as_str(),
            domain.stream().as_str(),
            domain.tag().as_str()
        ),
        ("test", "origin-ruby-sample", "latest")
    );
    assert_eq!(api::ImageStreamMapping::from(&domain), m);

    let json = serde_json::to_string_pretty(&m).unwrap();
    assert_eq!(
        serde_json::from_str::<api::ImageStreamMapping>(&json).unwrap(),
        m
    );
    let yaml = serde_saphyr::to_string(&m).unwrap();
    assert_eq!(
        serde_saphyr::from_str::<api::ImageStreamMapping>(&yaml).unwrap(),
        m
    );
    assert_snapshot!("seed_mapping_json", json);
}

#[test]
fn go_null_and_omitempty_rules() {
    let mut wire = api::ImageStream::default();
    wire.metadata.name = "s".into();
    wire.metadata.namespace = "ns".into();
    wire.spec.tags.push(api::TagReference {
        name: "a".into(),
        ..Default::default()
    });
    wire.status.tags.push(api::NamedTagEventList {
        tag: "a".into(),
        ..Default::default()
    });
    let json = serde_json::to_string(&wire).unwrap();
    assert_snapshot!(json, @r#"{"metadata":{"name":"s","namespace":"ns","creationTimestamp":null},"spec":{"lookupPolicy":{"local":false},"tags":[{"name":"a","annotations":null,"generation":null,"importPolicy":{},"referencePolicy":{"type":""}}]},"status":{"dockerImageRepository":"","tags":[{"tag":"a","items":null}]}}"#);
}

#[test]
fn lenient_reading() {
    let json = r#"{
        "metadata": {"name": "s", "namespace": "ns", "unknown": 1, "labels": null},
        "spec": {"tags": null, "future": {"x": 1}},
        "status": {"tags": [{"tag": "t", "items": null, "conditions": null},
                            {"tag": "u", "items": [{"created": "2017-09-02T12:15:09.123+02:00",
                              "dockerImageReference": "a/b:c", "image": "", "generation": 3}]}]}
    }"#;
    let wire: api::ImageStream = serde_json::from_str(json).unwrap();
    assert!(wire.spec.tags.is_empty());
    let created = wire.status.tags[1].items[0].created.unwrap();
    assert_eq!(
        created.to_rfc3339(),
        "2017-09-02T10:15:09+00:00",
        "UTC, whole seconds"
    );
    let is = stream::ImageStream::try_from(wire).unwrap();
    assert!(is.history("t").unwrap().is_empty());
    assert_eq!(is.history("u").unwrap().current().unwrap().image(), None);
}

#[test]
fn docker_image_metadata_variants() {
    for (version, key) in [
        ("1.0", "Id"),
        ("image.openshift.io/1.0", "Id"),
        ("1.0", "id"),
    ] {
        let json = format!(
            r#"{{"kind":"DockerImage","apiVersion":"{version}","{key}":"abc","created":null,"container_config":{{"Cmd":["sh"]}}}}"#
        );
        let meta: api::DockerImageMetadata = serde_json::from_str(&json).unwrap();
        assert_eq!(meta.id, "abc", "{json}");
        assert_eq!(meta.api_version, version);
    }
    let lower: api::DockerImageMetadata =
        serde_json::from_str(r#"{"id":"x","parent":"p","docker_version":"1.8","container_config":{"Cmd":["sh"]},"size":3}"#).unwrap();
    assert_eq!(
        (
            lower.parent.as_str(),
            lower.docker_version.as_str(),
            lower.size
        ),
        ("p", "1.8", 3)
    );
    assert_eq!(lower.container_config.cmd, ["sh"]);
}

#[test]
fn output_sorts_tags_and_the_last_duplicate_wins() {
    let mut wire = seed_stream();
    let tag = |name: &str, image: &str| api::TagReference {
        name: name.into(),
        from: Some(api::ObjectReference::new("DockerImage", image)),
        ..Default::default()
    };
    wire.spec.tags = vec![tag("b", "x/b:1"), tag("a", "x/a:1"), tag("b", "x/b:2")];
    let is = stream::ImageStream::try_from(wire).unwrap();
    let back = api::ImageStream::from(&is);
    let names: Vec<_> = back
        .spec
        .tags
        .iter()
        .map(|t| (t.name.as_str(), t.from.as_ref().unwrap().name.as_str()))
        .collect();
    assert_eq!(names, [("a", "x/a:1"), ("b", "x/b:2")]);
    assert_eq!(
        back.spec.tags[0].reference_policy.type_, "Source",
        "defaulted"
    );
}

fn invalid(mutate: impl FnOnce(&mut api::ImageStream)) -> String {
    let mut wire = seed_stream();
    mutate(&mut wire);
    stream::ImageStream::try_from(wire).unwrap_err().to_string()
}

fn spec_tag(kind: &str, name: &str) -> api::TagReference {
    api::TagReference {
        name: "t".into(),
        from: Some(api::ObjectReference::new(kind, name)),
        ..Default::default()
    }
}

#[test]
fn stream_validation_messages() {
    assert_snapshot!(invalid(|w| w.metadata.name.clear()), @"metadata.name: Required value: name or generateName is required");
    assert_snapshot!(invalid(|w| w.metadata.name = "a/b%".into()), @r#"[metadata.name: Invalid value: "a/b%": may not contain '/', metadata.name: Invalid value: "a/b%": may not contain '%']"#);
    assert_snapshot!(invalid(|w| w.metadata.name = "Ruby".into()), @r#"metadata.name: Invalid value: "Ruby": must match "[a-z0-9]+(?:[._-][a-z0-9]+)*""#);
    assert_snapshot!(invalid(|w| w.metadata.namespace.clear()), @"metadata.namespace: Required value");
    assert_snapshot!(invalid(|w| w.metadata.namespace = "Test".into()), @r#"metadata.namespace: Invalid value: "Test": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"#);
    assert_snapshot!(invalid(|w| { w.metadata.namespace = "n".repeat(63); w.metadata.name = "b".repeat(192); }), @r#"metadata.name: Invalid value: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 'namespace/name' cannot be longer than 255 characters"#);
    assert_snapshot!(invalid(|w| w.spec.docker_image_repository = "a//b".into()), @r#"spec.dockerImageRepository: Invalid value: "a//b": invalid reference format"#);
    assert_snapshot!(invalid(|w| w.spec.docker_image_repository = "a/b:tag".into()), @r#"spec.dockerImageRepository: Invalid value: "a/b:tag": the repository name may not contain a tag"#);
    assert_snapshot!(invalid(|w| w.spec.docker_image_repository = format!("a/b@sha256:{}", "f".repeat(64))), @r#"spec.dockerImageRepository: Invalid value: "a/b@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff": the repository name may not contain an ID"#);
    assert_snapshot!(invalid(|w| w.spec.tags.push(spec_tag("DockerImage", ""))), @"spec.tags[t].from.name: Required value");
    assert_snapshot!(invalid(|w| w.spec.tags.push(spec_tag("DockerImage", "abc@badid"))), @r#"spec.tags[t].from.name: Invalid value: "abc@badid": invalid reference format"#);
    assert_snapshot!(invalid(|w| w.spec.tags.push(spec_tag("Image", "x"))), @"spec.tags[t].from.kind: Required value: valid values are 'DockerImage', 'ImageStreamImage', 'ImageStreamTag'");
    assert_snapshot!(invalid(|w| { let mut t = spec_tag("ImageStreamTag", "s:1"); t.import_policy.scheduled = true; w.spec.tags.push(t); }), @"spec.tags[t].importPolicy.scheduled: Invalid value: true: only tags pointing to Docker repositories may be scheduled for background import");
    assert_snapshot!(invalid(|w| w.spec.tags.push(spec_tag("ImageStreamTag", "a:b:c"))), @r#"spec.tags[t].from.name: Invalid value: "a:b:c": must be of the form <tag>, <repo>:<tag>, <id>, or <repo>@<id>"#);
    assert_snapshot!(invalid(|w| { let mut t = spec_tag("DockerImage", "x/y"); t.reference_policy.type_ = "Remote".into(); w.spec.tags.push(t); }), @r#"spec.tags[t].referencePolicy.type: Invalid value: "Remote": valid values are "Source", "Local""#);
    assert_snapshot!(invalid(|w| { let mut t = spec_tag("DockerImage", "x/y"); t.import_policy.import_mode = "All".into(); w.spec.tags.push(t); }), @r#"spec.tags[t].importPolicy.importMode: Invalid value: "All": invalid import mode, valid modes are '', 'Legacy', 'PreserveOriginal'"#);
    assert_snapshot!(invalid(|w| w.status.tags[0].items[1].docker_image_reference.clear()), @"status.tags[latest].items[1].dockerImageReference: Required value");
    assert_snapshot!(invalid(|w| w.status.tags[0].items[0].docker_image_reference = "http://x/y".into()), @r#"status.tags[latest].items[0].dockerImageReference: Invalid value: "http://x/y": invalid reference format"#);
    assert_snapshot!(invalid(|w| w.status.tags[0].items[0].image = "sha256:abc".into()), @r#"status.tags[latest].items[0].image: Invalid value: "sha256:abc": invalid checksum digest length"#);
    assert_snapshot!(invalid(|w| w.status.tags[0].tag = "a/b".into()), @r#"status.tags[a/b]: Invalid value: "a/b": invalid tag "a/b" format, tags must start with an alphanumeric character followed by alphanumeric, '.' or '-' characters, and have a maximum of 128 characters"#);
}

#[test]
fn every_error_is_reported_at_once() {
    let e = stream::ImageStream::try_from({
        let mut w = seed_stream();
        w.metadata.namespace.clear();
        w.spec.tags.push(spec_tag("DockerImage", "a//b"));
        w.status.tags[0].items[0].image = "md5:x".into();
        w
    })
    .unwrap_err();
    let paths: Vec<_> = e
        .errors()
        .iter()
        .map(imagestream::stream::FieldError::path)
        .collect();
    assert_eq!(
        paths,
        [
            "metadata.namespace",
            "spec.tags[t].from.name",
            "status.tags[latest].items[0].image"
        ]
    );
}

#[test]
fn other_object_validation() {
    let mut m: api::ImageStreamMapping = serde_saphyr::from_str(SEED_MAPPING).unwrap();
    m.tag.clear();
    m.image.metadata.name.clear();
    assert_snapshot!(stream::validate_image_stream_mapping(&m).unwrap_err().to_string(), @"[tag: Required value, image.metadata.name: Required value: name or generateName is required]");
    m.metadata.name.clear();
    m.tag = "latest".into();
    m.image.metadata.name = "sha256:x".into();
    assert_snapshot!(stream::validate_image_stream_mapping(&m).unwrap_err().to_string(), @"[name: Required value, dockerImageRepository: Required value]");

    let mut image = api::Image::default();
    image.metadata.name = "sha256:abc".into();
    image.docker_image_reference = "a/b".into();
    image.docker_image_layers.push(api::ImageLayer::default());
    image.docker_image_manifests.push(api::ImageManifest {
        digest: "sha256:x".into(),
        media_type: "bad".into(),
        manifest_size: -1,
        ..Default::default()
    });
    assert_snapshot!(stream::validate_image(&image).unwrap_err().to_string(), @r#"[dockerImageManifests[0].digest: Invalid value: "sha256:x": digest does not conform with OCI image specification, dockerImageManifests[0].mediaType: Invalid value: "bad": media type does not conform to RFC6838, dockerImageManifests[0].architecture: Required value, dockerImageManifests[0].os: Required value, dockerImageManifests[0].manifestSize: Invalid value: -1: manifest size cannot be negative, dockerImageLayers: Invalid value: 1 layers: dockerImageLayers should not be set when dockerImageManifests is set]"#);

    let mut isi = api::ImageStreamImport::default();
    isi.metadata.name = "s".into();
    isi.metadata.namespace = "ns".into();
    assert_snapshot!(stream::validate_image_stream_import(&isi).unwrap_err().to_string(), @r#"spec.images: Invalid value: "null": you must specify at least one image or a repository import"#);
    isi.spec.images.push(api::ImageImportSpec {
        from: api::ObjectReference::new("ImageStreamTag", "x:y"),
        ..Default::default()
    });
    isi.spec.repository = Some(api::RepositoryImportSpec {
        from: api::ObjectReference::new("DockerImage", "quay.io/a/b:1"),
        ..Default::default()
    });
    assert_snapshot!(stream::validate_image_stream_import(&isi).unwrap_err().to_string(), @r#"[spec.images[0].from.kind: Invalid value: "ImageStreamTag": only DockerImage is supported, spec.repository.from.name: Invalid value: "quay.io/a/b:1": you must specify an image repository, not a tag or ID]"#);

    let mut istag = api::ImageStreamTag::default();
    istag.metadata.name = "s:t".into();
    istag.tag = Some(api::TagReference {
        annotations: Some([("a".to_owned(), "b".to_owned())].into()),
        ..Default::default()
    });
    let old = api::ImageStreamTag {
        metadata: api::ObjectMeta {
            name: "s:t".into(),
            labels: [("x".to_owned(), "y".to_owned())].into(),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_snapshot!(stream::validate_image_stream_tag(&istag, Some(&old)).unwrap_err().to_string(), @r#"[tag.annotations: Invalid value: "{\"a\": \"b\"}": tag annotations must not be provided or must be equal to the object meta annotations, metadata: Invalid value: "": may not update fields other than metadata.annotations]"#);
}

#[test]
fn hostile_inputs_fail_fast_with_clear_errors() {
    let start = std::time::Instant::now();
    let deep = format!("{}{}", "[".repeat(5_000_000), "]".repeat(5_000_000));
    // Typed decoding refuses the nesting where a string is due, so it never
    // gets deep: the recursion limit is not even reached.
    let e = serde_json::from_str::<api::ImageStream>(&deep).unwrap_err();
    assert_snapshot!(e, @"invalid type: sequence, expected a string at line 1 column 1");
    let nested = format!(
        r#"{{"metadata":{{"labels":{{"a":{}}}}}}}"#,
        "[".repeat(10_000)
    );
    assert_snapshot!(serde_json::from_str::<api::ImageStream>(&nested).unwrap_err(), @"invalid type: sequence, expected a string at line 1 column 27");
    let bomb = (0..9)
        .map(|i| {
            let (name, prev) = ((b'a' + i) as char, (b'a' + i - u8::from(i > 0)) as char);
            if i == 0 {
                "a: &a [x,x,x,x,x,x,x,x,x,x]".to_owned()
            } else {
                format!(
                    "{name}: &{name} [{}]",
                    vec![format!("*{prev}"); 10].join(",")
                )
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\nmetadata:\n  labels: *i\n";
    // 10^9 nodes if expanded; serde-saphyr's default budget stops at 250,001.
    let e = serde_saphyr::from_str::<api::ImageStream>(&bomb)
        .unwrap_err()
        .to_string();
    assert_snapshot!(e.lines().next().unwrap_or_default(), @"error: line 6 column 11: budget breached: Nodes { nodes: 250001 }");
    let deep_yaml = format!("metadata: {}{}", "[".repeat(100_000), "]".repeat(100_000));
    let e = serde_saphyr::from_str::<api::ImageStream>(&deep_yaml)
        .unwrap_err()
        .to_string();
    assert_snapshot!(e.lines().next().unwrap_or_default(), @"error: line 1 column 11: expected mapping start");
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
}
