//! SPEC-level rules of `oc tag` and tag deletion that differ from a naive
//! port: an alias never crosses streams, and a tag is deleted only by its
//! full `<stream>:<tag>` name.

use imagestream::ops::tag::{TagCommand, TagError};
use imagestream::ports::Subject;
use imagestream::reference::{ImageReference, Namespace, StreamName, TagName};
use imagestream::service::{ImageStreams, ServiceError};
use imagestream::stream::{ImageStream, SpecTag, TagSource};

fn ns(s: &str) -> Namespace {
    Namespace::parse(s).unwrap()
}

fn admin() -> Subject {
    Subject::system_admin()
}

const ACROSS: &str = "cannot set alias across different Image Streams";

#[test]
fn an_alias_from_another_namespace_is_refused() {
    for current in ["default", "other"] {
        // The source names another namespace than the destination's.
        let dest = if current == "default" {
            "python:3.6"
        } else {
            "default/python:3.6"
        };
        let cmd = TagCommand::new(["other/python:3.6", dest]).alias(true);
        let done = cmd.complete(&ns(current)).unwrap();
        let err = done.validate().unwrap_err();
        assert!(matches!(err, TagError::Invalid(_)), "{err:?}");
        assert_eq!(err.to_string(), ACROSS, "current namespace {current}");
    }
    // The same stream, named with its namespace, is still an alias.
    let done = TagCommand::new(["default/python:3.6", "python:latest"])
        .alias(true)
        .complete(&ns("default"))
        .unwrap();
    done.validate().unwrap();
    // Another stream in the same namespace was refused already (oc).
    let err = TagCommand::new(["ruby:3.6", "python:latest"])
        .alias(true)
        .complete(&ns("default"))
        .unwrap()
        .validate()
        .unwrap_err();
    assert_eq!(err.to_string(), ACROSS);
}

#[test]
fn through_the_service_a_refused_alias_writes_nothing() {
    let service = ImageStreams::in_memory();
    let other = ImageStream::new(ns("other"), StreamName::parse("python").unwrap()).unwrap();
    service.create(&admin(), other).unwrap();
    let cmd = TagCommand::new(["other/python:3.6", "python:3.6"]).alias(true);
    let failure = service.tag(&admin(), &ns("default"), &cmd).unwrap_err();
    assert_eq!(failure.to_string(), ACROSS);
    assert!(
        service
            .get(
                &admin(),
                &ns("default"),
                &StreamName::parse("python").unwrap()
            )
            .is_err(),
        "no destination stream was created"
    );
}

/// `default/app` with `latest` and `v1` as spec tags.
fn with_app() -> ImageStreams {
    let service = ImageStreams::in_memory();
    let mut is = ImageStream::new(ns("default"), StreamName::parse("app").unwrap()).unwrap();
    let ctx = imagestream::stream::SpecContext::new(imagestream::chrono::Utc::now());
    for tag in ["latest", "v1"] {
        let from = ImageReference::parse(&format!("quay.io/app:{tag}")).unwrap();
        is.set_spec_tag(
            TagName::parse(tag).unwrap(),
            SpecTag::new(TagSource::DockerImage(from)),
            &ctx,
        )
        .unwrap();
    }
    service.create(&admin(), is).unwrap();
    service
}

fn spec_tags(service: &ImageStreams) -> Vec<String> {
    service
        .get(&admin(), &ns("default"), &StreamName::parse("app").unwrap())
        .unwrap()
        .value
        .spec_tags()
        .map(|(t, _)| t.to_string())
        .collect()
}

#[test]
fn delete_tag_needs_name_and_tag() {
    let service = with_app();
    for bad in ["app", "app:", ":latest", "app:a:b"] {
        let err = service
            .delete_tag(&admin(), &ns("default"), bad)
            .unwrap_err();
        assert!(matches!(err, ServiceError::BadRequest(_)), "{bad}: {err:?}");
        assert_eq!(
            err.to_string(),
            "ImageStreamTags must be retrieved with <name>:<tag>",
            "{bad}"
        );
        assert_eq!(
            spec_tags(&service),
            ["latest", "v1"],
            "{bad}: nothing deleted"
        );
    }
    service
        .delete_tag(&admin(), &ns("default"), "app:latest")
        .unwrap();
    assert_eq!(spec_tags(&service), ["v1"]);
    // `oc tag -d app` still means app:latest: oc sends the full name.
    let done = service
        .tag(
            &admin(),
            &ns("default"),
            &TagCommand::new(["app:v1"]).delete(true),
        )
        .unwrap();
    assert_eq!(done[0].to_string(), "Deleted tag default/app:v1.");
    assert!(spec_tags(&service).is_empty());
}
