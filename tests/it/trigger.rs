//! Image change triggers (§15.3): deployments, builds and the
//! `image.openshift.io/triggers` annotation, evaluated against streams.

use imagestream::chrono::Utc;
use imagestream::ops::trigger::{
    AnnotationTrigger, BuildTrigger, Container, DeploymentTrigger, PodImages, TagResolver,
    TriggerError, build_causes, resolver, update_annotated_images, update_deployment_images,
};
use imagestream::reference::{Digest, ImageReference, IsTagName, Namespace, StreamName, TagName};
use imagestream::stream::{
    ImageStream, ReferencePolicy, SpecContext, SpecTag, TagEvent, TagSource,
};

fn ns() -> Namespace {
    Namespace::parse("demo").unwrap()
}

fn istag(s: &str) -> IsTagName {
    IsTagName::parse(s).unwrap()
}

/// `demo/app` with `prod` at image `v`.
fn app(v: &str) -> (ImageStream, String) {
    let mut is = ImageStream::new(ns(), StreamName::parse("app").unwrap()).unwrap();
    let d = Digest::of_sha256(v.as_bytes());
    let spec = ImageReference::parse(&format!("quay.io/org/app@{d}")).unwrap();
    is.add_event(
        &TagName::parse("prod").unwrap(),
        TagEvent::new(spec.clone(), Some(d), 1, Utc::now()),
    );
    (is, spec.as_str().to_owned())
}

fn pod() -> PodImages {
    let mut pod = PodImages::default();
    pod.containers.push(Container::new("web", "old"));
    pod.containers.push(Container::new("sidecar", "proxy:1"));
    pod.init_containers.push(Container::new("migrate", "old"));
    pod
}

#[test]
fn deployments_roll_out_resolved_images_once() {
    let (is, v1) = app("v1");
    let streams = [is];
    let resolve = resolver(&streams, None);
    let mut triggers = [DeploymentTrigger::new(
        istag("app:prod"),
        &["web", "migrate"],
    )];
    let mut p = pod();
    assert!(update_deployment_images(
        &ns(),
        &mut triggers,
        &mut p,
        &resolve
    ));
    assert_eq!(triggers[0].last_triggered_image, v1);
    assert_eq!(p.containers[0].image, v1);
    assert_eq!(p.init_containers[0].image, v1);
    assert_eq!(p.containers[1].image, "proxy:1", "not listed");
    assert!(
        !update_deployment_images(&ns(), &mut triggers, &mut p, &resolve),
        "no change twice"
    );
}

#[test]
fn a_deployment_waits_until_every_automatic_trigger_resolved_once() {
    let (is, _) = app("v1");
    let streams = [is];
    let resolve = resolver(&streams, None);
    let mut triggers = [
        DeploymentTrigger::new(istag("app:prod"), &["web"]),
        DeploymentTrigger::new(istag("app:missing"), &["sidecar"]),
    ];
    let mut p = pod();
    assert!(!update_deployment_images(
        &ns(),
        &mut triggers,
        &mut p,
        &resolve
    ));
    assert_eq!(p, pod(), "nothing changes while one trigger never resolved");
    // Once it has a last image, an unresolved trigger keeps it.
    triggers[1].last_triggered_image = "proxy:2".into();
    assert!(update_deployment_images(
        &ns(),
        &mut triggers,
        &mut p,
        &resolve
    ));
    assert_eq!(p.containers[1].image, "proxy:2");
    // A manual trigger never acts.
    let mut manual = [DeploymentTrigger::new(istag("app:prod"), &["web"])];
    manual[0].automatic = false;
    let mut p = pod();
    assert!(!update_deployment_images(
        &ns(),
        &mut manual,
        &mut p,
        &resolve
    ));
}

#[test]
fn builds_start_for_new_images_of_unpaused_triggers() {
    let (is, v1) = app("v1");
    let streams = [is];
    let resolve = resolver(&streams, None);
    let mut fresh = BuildTrigger::new(istag("app:prod"));
    let causes = build_causes(&ns(), std::slice::from_ref(&fresh), &resolve);
    assert_eq!(causes.len(), 1);
    assert_eq!(
        (causes[0].image.as_str(), causes[0].message()),
        (v1.as_str(), "Image change")
    );
    fresh.last_triggered_image_id.clone_from(&v1);
    let mut paused = BuildTrigger::new(istag("app:prod"));
    paused.paused = true;
    let unresolved = BuildTrigger::new(istag("app:missing"));
    assert!(build_causes(&ns(), &[fresh, paused, unresolved], &resolve).is_empty());
}

#[test]
fn annotation_triggers_set_container_images() {
    let (is, v1) = app("v1");
    let streams = [is];
    let resolve = resolver(&streams, None);
    let json = r#"[
        {"from":{"kind":"ImageStreamTag","name":"app:prod"},"fieldPath":"spec.template.spec.containers[?(@.name==\"web\")].image"},
        {"from":{"kind":"ImageStreamTag","name":"app:prod","namespace":"demo"},"fieldPath":"spec.template.spec.initContainers[0].image"},
        {"from":{"kind":"ImageStreamTag","name":"app:prod"},"fieldPath":"spec.template.spec.containers[1].image","paused":true},
        {"from":{"kind":"DockerImage","name":"app:prod"},"fieldPath":"spec.template.spec.containers[3].image"},
        {"from":{"kind":"ImageStreamTag","name":"app:missing"},"fieldPath":"spec.template.spec.containers[0].image"}
    ]"#;
    let triggers: Vec<AnnotationTrigger> = serde_json::from_str(json).unwrap();
    // The unresolved tag on containers[0] is skipped; the first set it.
    let mut p = pod();
    let changed =
        update_annotated_images(&ns(), &triggers, "spec.template.spec", &mut p, &resolve).unwrap();
    assert!(changed);
    assert_eq!(p.containers[0].image, v1);
    assert_eq!(p.init_containers[0].image, v1);
    assert_eq!(p.containers[1].image, "proxy:1", "paused");
    let again =
        update_annotated_images(&ns(), &triggers, "spec.template.spec", &mut p, &resolve).unwrap();
    assert!(!again);
}

#[test]
fn annotation_trigger_errors() {
    let resolve = |_: &Namespace, _: &IsTagName| Some("img".to_owned());
    let parse = |json: &str| serde_json::from_str::<Vec<AnnotationTrigger>>(json).unwrap();
    let run = |triggers: &[AnnotationTrigger]| {
        update_annotated_images(&ns(), triggers, "spec.template.spec", &mut pod(), &resolve)
    };
    let dup = parse(
        r#"[{"from":{"kind":"ImageStreamTag","name":"a:b"},"fieldPath":"spec.template.spec.containers[0].image"},
            {"from":{"kind":"ImageStreamTag","name":"c:d"},"fieldPath":"spec.template.spec.containers[0].image"}]"#,
    );
    assert_eq!(run(&dup), Err(TriggerError::Duplicate));
    assert_eq!(
        TriggerError::Duplicate.to_string(),
        "duplicate triggers are not allowed"
    );
    let bad = parse(
        r#"[{"from":{"kind":"ImageStreamTag","name":"a:b"},"fieldPath":"spec.template.spec.containers[x].image"}]"#,
    );
    assert_eq!(
        run(&bad).unwrap_err().to_string(),
        "field path is not valid: spec.template.spec.containers[x].image"
    );
    let missing = parse(
        r#"[{"from":{"kind":"ImageStreamTag","name":"a:b"},"fieldPath":"spec.template.spec.containers[?(@.name==\"db\")].image"}]"#,
    );
    assert_eq!(
        run(&missing).unwrap_err().to_string(),
        r#"no such container: spec.template.spec.containers[?(@.name=="db")].image"#
    );
    // Outside the pod spec: ignored.
    let outside =
        parse(r#"[{"from":{"kind":"ImageStreamTag","name":"a:b"},"fieldPath":"metadata.name"}]"#);
    assert_eq!(run(&outside), Ok(false));
}

#[test]
fn local_tags_resolve_through_the_internal_registry() {
    let (mut is, _) = app("v1");
    let spec = SpecTag::new(TagSource::DockerImage(
        ImageReference::parse("quay.io/org/app:prod").unwrap(),
    ))
    .with_reference_policy(ReferencePolicy::Local);
    is.set_spec_tag(
        TagName::parse("prod").unwrap(),
        spec,
        &SpecContext::new(Utc::now()),
    )
    .unwrap();
    let d = is
        .history("prod")
        .unwrap()
        .current()
        .unwrap()
        .image_str()
        .to_owned();
    let streams = [is];
    let with_host = resolver(&streams, Some("172.30.1.1:5000"));
    assert_eq!(
        with_host.resolve(&ns(), &istag("app:prod")),
        Some(format!("172.30.1.1:5000/demo/app@{d}"))
    );
}
