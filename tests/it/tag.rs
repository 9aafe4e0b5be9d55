//! `oc tag` (§18): argument parsing, pinning, every validation message and
//! the per-destination messages, pure and through the service.

use imagestream::chrono::{TimeZone, Utc};
use imagestream::ops::tag::{SourceKind, TagCommand, TagError, TagStep};
use imagestream::ports::Subject;
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::service::ImageStreams;
use imagestream::stream::{ImageStream, ReferencePolicy, TagEvent, TagSource};

fn ns(s: &str) -> Namespace {
    Namespace::parse(s).unwrap()
}

fn admin() -> Subject {
    Subject::system_admin()
}

/// `default/python` with `3.5` pointing at an image, imported by digest.
fn with_python() -> (ImageStreams, Digest) {
    let service = ImageStreams::in_memory();
    let d = Digest::of_sha256(b"python 3.5");
    let python = StreamName::parse("python").unwrap();
    let is = ImageStream::new(ns("default"), python.clone()).unwrap();
    service.create(&admin(), is).unwrap();
    let spec = ImageReference::parse(&format!("centos/python-35-centos7@{d}")).unwrap();
    let at = Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap();
    // The server resets status on create; the import lands afterwards.
    service
        .update(&admin(), &ns("default"), &python, |is| {
            is.add_event(
                &TagName::parse("3.5")?,
                TagEvent::new(spec.clone(), Some(d.clone()), 1, at),
            );
            Ok(())
        })
        .unwrap();
    (service, d)
}

fn run(service: &ImageStreams, cmd: &TagCommand) -> Vec<String> {
    service
        .tag(&admin(), &ns("default"), cmd)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn error(service: &ImageStreams, cmd: &TagCommand) -> String {
    service
        .tag(&admin(), &ns("default"), cmd)
        .unwrap_err()
        .to_string()
}

/// The stream `namespace/name` as stored.
fn stream_in(service: &ImageStreams, namespace: &str, name: &str) -> ImageStream {
    service
        .get(&admin(), &ns(namespace), &StreamName::parse(name).unwrap())
        .unwrap()
        .value
}

fn spec_source(service: &ImageStreams, stream: &str, tag: &str) -> TagSource {
    let is = stream_in(service, "default", stream);
    is.spec_tag(tag).unwrap().source().unwrap().clone()
}

#[test]
fn the_documented_examples() {
    let (service, d) = with_python();
    // oc tag python:3.5 python:latest: the istag is pinned to its image.
    assert_eq!(
        run(&service, &TagCommand::new(["python:3.5", "python:latest"])),
        [format!("Tag python:latest set to python@{d}.")]
    );
    assert!(matches!(
        spec_source(&service, "python", "latest"),
        TagSource::ImageStreamImage { id, .. } if &*id == d.as_str()
    ));
    assert_eq!(
        run(
            &service,
            &TagCommand::new(["docker.io/python:3.6.0", "python:3.6"])
        ),
        ["Tag python:3.6 set to docker.io/python:3.6.0."]
    );
    let scheduled = TagCommand::new(["docker.io/python:3.6.0", "python:3.6"]).scheduled(true);
    assert_eq!(
        run(&service, &scheduled),
        ["Tag python:3.6 set to import docker.io/python:3.6.0 periodically."]
    );
    let is = stream_in(&service, "default", "python");
    assert!(is.spec_tag("3.6").unwrap().import_policy().scheduled);
    // Tagging again without --scheduled removes the periodic check.
    run(
        &service,
        &TagCommand::new(["docker.io/python:3.6.0", "python:3.6"]),
    );
    let is = stream_in(&service, "default", "python");
    assert!(!is.spec_tag("3.6").unwrap().import_policy().scheduled);
    assert_eq!(
        run(&service, &TagCommand::new(["python:3.5"]).delete(true)),
        ["Deleted tag default/python:3.5."]
    );
    assert!(is.history("3.5").is_some());
    let after = stream_in(&service, "default", "python");
    assert!(after.history("3.5").is_none() && after.spec_tag("3.5").is_none());
}

#[test]
fn aliases_track_and_destinations_elsewhere_say_so() {
    let (service, _) = with_python();
    let alias = TagCommand::new(["python:3.5", "python:stable"]).alias(true);
    assert_eq!(
        run(&service, &alias),
        ["Tag python:stable set up to track python:3.5."]
    );
    assert!(matches!(
        spec_source(&service, "python", "stable"),
        TagSource::ImageStreamTag { namespace: None, tag, .. } if tag == "3.5"
    ));
    // Another namespace: the stream is created, the message names it, the
    // scheduled wording lacks "import", and an istag source keeps its
    // namespace explicitly.
    let out = run(
        &service,
        &TagCommand::new(["docker.io/busybox:1", "other/box:1", "other/box:2"]).scheduled(true),
    );
    assert_eq!(
        out,
        [
            "Tag other/box:1 set to docker.io/busybox:1 periodically.",
            "Tag other/box:2 set to docker.io/busybox:1 periodically."
        ]
    );
    let out = run(
        &service,
        &TagCommand::new(["python:3.5", "other/py:3.5"]).alias(false),
    );
    assert_eq!(out.len(), 1);
    assert!(
        out[0].starts_with("Tag other/py:3.5 set to python@sha256:"),
        "{out:?}"
    );
    let other = stream_in(&service, "other", "py");
    assert!(matches!(
        other.spec_tag("3.5").unwrap().source().unwrap(),
        TagSource::ImageStreamImage { namespace: Some(n), .. } if n == "default"
    ));
}

#[test]
fn flags_shape_the_spec_tag() {
    let (service, _) = with_python();
    run(
        &service,
        &TagCommand::new(["quay.io/org/app:v1", "app:v1"])
            .reference(true)
            .reference_policy("local")
            .import_mode("PreserveOriginal")
            .insecure(true),
    );
    let is = stream_in(&service, "default", "app");
    let spec = is.spec_tag("v1").unwrap();
    assert!(spec.reference());
    assert_eq!(spec.reference_policy(), ReferencePolicy::Local);
    assert!(spec.import_policy().insecure);
    assert_eq!(
        spec.import_policy().import_mode.as_str(),
        "PreserveOriginal"
    );
    // A reference tag gets its image-less entry at once.
    assert_eq!(
        is.history("v1")
            .unwrap()
            .current()
            .unwrap()
            .pull_spec()
            .as_str(),
        "quay.io/org/app:v1"
    );
}

#[test]
fn source_kinds_are_detected_or_mapped() {
    let here = ns("default");
    let kind = |cmd: TagCommand| cmd.complete(&here).unwrap().kind();
    let d = Digest::of_sha256(b"x");
    assert_eq!(
        kind(TagCommand::new(["python:3.5", "a:b"])),
        Some(SourceKind::ImageStreamTag)
    );
    assert_eq!(
        kind(TagCommand::new([format!("python@{d}"), "a:b".into()])),
        Some(SourceKind::ImageStreamImage)
    );
    assert_eq!(
        kind(TagCommand::new(["docker.io/python:3.6.0", "a:b"])),
        Some(SourceKind::DockerImage)
    );
    assert_eq!(
        kind(TagCommand::new(["python", "a:b"])),
        Some(SourceKind::DockerImage)
    );
    for flag in [
        "DOCKER",
        "dockerimage",
        "IsTag",
        "imagestreamtag",
        "isimage",
        "ImageStreamImage",
    ] {
        assert!(SourceKind::from_flag(flag).is_ok(), "{flag}");
    }
    // myns/python:3.5 is pinned from myns; library/ means the current one.
    let done = TagCommand::new(["myns/python:3.5", "a:b"])
        .complete(&here)
        .unwrap();
    assert_eq!(done.source_stream().unwrap().0, "myns");
    let done = TagCommand::new(["library/python:3.5", "a:b"])
        .source_kind("istag")
        .complete(&here)
        .unwrap();
    assert_eq!(done.source().unwrap().exact(), "default/python:3.5");
    assert!(
        TagCommand::new(["python:3.5", "a:b"])
            .alias(true)
            .complete(&here)
            .unwrap()
            .source_stream()
            .is_none()
    );
}

#[test]
#[allow(clippy::too_many_lines)] // one table of cases
fn every_argument_and_flag_message() {
    let (service, _) = with_python();
    let d = Digest::of_sha256(b"x");
    let cases: Vec<(TagCommand, &str)> = vec![
        (
            TagCommand::new(Vec::<String>::new()),
            "you must specify a source and at least one destination or one or more tags to delete",
        ),
        (
            TagCommand::new(["python:3.5", "a:b"]).source_kind("image"),
            r#"invalid source "image"; valid values are docker, dockerimage, imagestreamimage, imagestreamtag, isimage, istag"#,
        ),
        (
            TagCommand::new(["quay.io/a:1", "a:b"]).source_kind("istag"),
            "server in SOURCE is only allowed when providing a container image",
        ),
        (
            TagCommand::new(["python", "a:b"]).source_kind("istag"),
            "--source=ImageStreamTag requires a valid <name>:<tag> in SOURCE",
        ),
        (
            TagCommand::new(["python:3.5", "a:b"]).source_kind("isimage"),
            "--source=ImageStreamImage requires a valid <name>@<id> in SOURCE",
        ),
        (
            TagCommand::new(["python:9", "a:b"]),
            r#""python:9" is not currently pointing to an image, cannot use it as the source of a tag"#,
        ),
        (
            TagCommand::new(["python:3.5", "a/b/c:d"]),
            r#"invalid image stream "a/b/c:d""#,
        ),
        (
            TagCommand::new(["python:3.5", "/b:c"]),
            r#"invalid namespace "" for image stream "/b:c""#,
        ),
        (
            TagCommand::new(["python:3.5", "a/"]),
            r#"invalid name "" for image stream "a/""#,
        ),
        (
            TagCommand::new(["a:b"]).delete(true).alias(true),
            "--alias and --delete may not be both specified",
        ),
        (
            TagCommand::new(["docker.io/a:1", "a:b"]).reference_policy("Local"),
            "reference policy must be set to 'source' or 'local'",
        ),
        (
            TagCommand::new(["a:b"]).delete(true).source_kind("docker"),
            "cannot specify a source kind when deleting",
        ),
        (
            TagCommand::new(["a:b"]).delete(true).scheduled(true),
            "cannot set flags for importing images when deleting a tag",
        ),
        (
            TagCommand::new(["a:b"]).delete(true).import_mode("Legacy"),
            "cannot specify an import mode when deleting",
        ),
        (
            TagCommand::new(["docker.io/a:1"]),
            "at least a destination is required",
        ),
        (
            TagCommand::new(Vec::<String>::new()).delete(true),
            "at least a destination is required",
        ),
        (
            TagCommand::new([format!("python@{d}"), "a:b".into()]).scheduled(true),
            "only container images can have importing flags set",
        ),
        (
            TagCommand::new(["docker.io/a:1", "a:b"])
                .alias(true)
                .insecure(true),
            "cannot set a container image tag as an alias and also set import flags",
        ),
        (
            TagCommand::new(["python:3.5", "other:b"]).alias(true),
            "cannot set alias across different Image Streams",
        ),
        (
            TagCommand::new(["python:3.5", "ns2/python:b"]).alias(true),
            "cannot set alias across different Image Streams",
        ),
        (
            TagCommand::new(["python:3.5", "python"]).alias(true),
            r#""python" must be of the form <stream_name>:<tag>"#,
        ),
        (
            TagCommand::new(["docker.io/a:1", "a:b"]).import_mode("legacy"),
            "valid ImportMode values are Legacy or PreserveOriginal",
        ),
        (
            TagCommand::new(["docker.io/a:1", "a"]),
            r#""a" must be of the form <stream_name>:<tag>"#,
        ),
        (
            TagCommand::new(["docker.io/a:1", "a:.bad"]),
            r#"invalid tag ".bad" format, tags must start with an alphanumeric character followed by alphanumeric, '.' or '-' characters, and have a maximum of 128 characters"#,
        ),
    ];
    for (cmd, expected) in cases {
        assert_eq!(error(&service, &cmd), expected, "{cmd:?}");
    }
    assert!(matches!(
        TagCommand::new(["", "a:b"]).complete(&ns("default")),
        Err(TagError::InvalidSource(_))
    ));
}

#[test]
fn tag_stops_at_the_first_bad_destination_keeping_what_it_did() {
    let (service, _) = with_python();
    let failure = service
        .tag(
            &admin(),
            &ns("default"),
            &TagCommand::new(["docker.io/a:1", "a:one", "a", "a:three"]),
        )
        .unwrap_err();
    assert_eq!(
        failure.to_string(),
        r#""a" must be of the form <stream_name>:<tag>"#
    );
    let done: Vec<String> = failure.done.iter().map(ToString::to_string).collect();
    assert_eq!(done, ["Tag a:one set to docker.io/a:1."]);
    let is = stream_in(&service, "default", "a");
    assert!(is.spec_tag("three").is_none());
    // A tag with an invalid name can still be deleted (validateTag is not
    // applied), and the deletion of a missing tag is the server's not found.
    let err = error(&service, &TagCommand::new(["a:nope"]).delete(true));
    assert_eq!(
        err,
        r#"imagestreamtags.image.openshift.io "a:nope" not found"#
    );
}

#[test]
fn steps_are_pure_and_pinning_reads_the_source_stream() {
    let (service, d) = with_python();
    let here = ns("default");
    let mut done = TagCommand::new(["python:3.5", "python:latest"])
        .complete(&here)
        .unwrap();
    let (source_ns, source_name) = done.source_stream().unwrap();
    let source = service
        .get(&admin(), &source_ns, &source_name)
        .unwrap()
        .value;
    done.pin(&source).unwrap();
    assert!(done.source_stream().is_none(), "pinned once");
    done.validate().unwrap();
    let steps: Vec<TagStep> = done.steps().collect::<Result<_, _>>().unwrap();
    let TagStep::Set { tag, spec, .. } = &steps[0] else {
        panic!("a set step: {steps:?}");
    };
    assert_eq!(tag, "latest");
    assert_eq!(
        spec.generation(),
        None,
        "the server keeps the old generation"
    );
    assert_eq!(
        steps[0].outcome().to_string(),
        format!("Tag python:latest set to python@{d}.")
    );
    // An external image forces an import with generation 0.
    let done = TagCommand::new(["docker.io/a:1", "a:b"])
        .complete(&here)
        .unwrap();
    let steps: Vec<TagStep> = done.steps().collect::<Result<_, _>>().unwrap();
    let TagStep::Set { spec, .. } = &steps[0] else {
        panic!("a set step");
    };
    assert_eq!(spec.generation(), Some(0));
}

#[test]
fn pinning_an_image_less_tag_tags_its_pull_spec() {
    let service = ImageStreams::in_memory();
    run(
        &service,
        &TagCommand::new(["quay.io/org/app:v1", "app:ref"]).reference(true),
    );
    assert_eq!(
        run(&service, &TagCommand::new(["app:ref", "app:copy"])),
        ["Tag app:copy set to quay.io/org/app:v1."]
    );
    assert!(matches!(
        spec_source(&service, "app", "copy"),
        TagSource::DockerImage(r) if r.as_str() == "quay.io/org/app:v1"
    ));
}
