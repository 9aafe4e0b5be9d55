//! Operations that fail change nothing: annotation triggers are applied
//! all or nothing, and a digest-pinned import answered with another
//! digest records a failure instead of the image.

use imagestream::chrono::{TimeZone, Utc};
use imagestream::ops::import::{
    IMPORT_SUCCESS, ImportResult, TagImport, apply_import, plan_import,
};
use imagestream::ops::trigger::{
    AnnotationTrigger, Container, PodImages, TriggerError, update_annotated_images,
};
use imagestream::reference::{Digest, ImageReference, IsTagName, Namespace, StreamName, TagName};
use imagestream::stream::{ImageStream, SpecContext, SpecTag, TagSource};

fn ns() -> Namespace {
    Namespace::parse("demo").unwrap()
}

fn pod() -> PodImages {
    let mut pod = PodImages::default();
    pod.containers.push(Container::new("web", "web:1"));
    pod.containers.push(Container::new("proxy", "proxy:1"));
    pod.init_containers.push(Container::new("init", "init:1"));
    pod
}

#[test]
fn an_annotation_trigger_error_rewrites_no_container() {
    let resolve = |_: &Namespace, istag: &IsTagName| Some(format!("registry/{istag}"));
    // The first two triggers resolve and would set images; the third names
    // a container that does not exist (or a path that is not valid).
    for bad in [
        "spec.template.spec.containers[7].image",
        r#"spec.template.spec.containers[?(@.name==\"nope\")].image"#,
        "spec.template.spec.containers[x].image",
    ] {
        let json = format!(
            r#"[
            {{"from":{{"kind":"ImageStreamTag","name":"app:prod"}},"fieldPath":"spec.template.spec.containers[0].image"}},
            {{"from":{{"kind":"ImageStreamTag","name":"app:prod"}},"fieldPath":"spec.template.spec.initContainers[0].image"}},
            {{"from":{{"kind":"ImageStreamTag","name":"app:prod"}},"fieldPath":"{bad}"}}
        ]"#
        );
        let triggers: Vec<AnnotationTrigger> = serde_json::from_str(&json).unwrap();
        let mut p = pod();
        let err = update_annotated_images(&ns(), &triggers, "spec.template.spec", &mut p, &resolve)
            .unwrap_err();
        assert!(
            matches!(
                err,
                TriggerError::NoSuchContainer(_) | TriggerError::InvalidFieldPath(_)
            ),
            "{err}"
        );
        assert_eq!(p, pod(), "{bad}: no container may be rewritten on error");
    }
    // Without the bad trigger both images are set.
    let json = r#"[
        {"from":{"kind":"ImageStreamTag","name":"app:prod"},"fieldPath":"spec.template.spec.containers[0].image"},
        {"from":{"kind":"ImageStreamTag","name":"app:prod"},"fieldPath":"spec.template.spec.initContainers[0].image"}
    ]"#;
    let triggers: Vec<AnnotationTrigger> = serde_json::from_str(json).unwrap();
    let mut p = pod();
    assert!(
        update_annotated_images(&ns(), &triggers, "spec.template.spec", &mut p, &resolve).unwrap()
    );
    assert_eq!(p.containers[0].image, "registry/app:prod");
    assert_eq!(p.init_containers[0].image, "registry/app:prod");
    assert_eq!(p.containers[1].image, "proxy:1");
}

/// `demo/app` with `pinned` importing `quay.io/app/web@<a>`.
fn pinned_stream(a: &Digest) -> (ImageStream, TagImport) {
    let mut is = ImageStream::new(ns(), StreamName::parse("app").unwrap()).unwrap();
    let from = ImageReference::parse(&format!("quay.io/app/web@{a}")).unwrap();
    let now = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    is.set_spec_tag(
        TagName::parse("pinned").unwrap(),
        SpecTag::new(TagSource::DockerImage(from)),
        &SpecContext::new(now),
    )
    .unwrap();
    let plan = plan_import(&is);
    assert_eq!(plan.len(), 1);
    (is, plan[0].clone())
}

fn answer(digest: &Digest) -> ImportResult {
    let mut image = imagestream::api::Image::default();
    image.metadata.name = digest.to_string();
    image.docker_image_reference = format!("quay.io/app/web@{digest}");
    ImportResult::Imported(Box::new(image))
}

#[test]
fn a_pinned_import_answered_with_another_digest_is_a_failure() {
    let a = Digest::of_sha256(b"image A");
    let b = Digest::of_sha256(b"image B");
    let (mut is, request) = pinned_stream(&a);
    let now = Utc.with_ymd_and_hms(2024, 1, 1, 0, 5, 0).unwrap();
    let ctx = SpecContext::new(now);
    assert!(
        apply_import(&mut is, &[(request.clone(), answer(&b))], &ctx)
            .unwrap()
            .changed()
    );
    let history = is.history("pinned").expect("the failure is recorded");
    assert!(history.current().is_none(), "image B is not recorded");
    let condition = &history.conditions()[0];
    assert_eq!(condition.type_, IMPORT_SUCCESS);
    assert_eq!(condition.status, "False");
    assert!(
        condition.message.contains(a.as_str()) && condition.message.contains(b.as_str()),
        "{}",
        condition.message
    );
    // The failure reset the tag's spec generation, so an answer to the old
    // plan is dropped; an import planned for the tag as it now is records
    // the right answer and clears the condition.
    assert!(
        !apply_import(&mut is, &[(request.clone(), answer(&a))], &ctx)
            .unwrap()
            .changed()
    );
    let mut request = request;
    request.planned_for = Some(is.spec_tag("pinned").unwrap().clone());
    assert!(
        apply_import(&mut is, &[(request, answer(&a))], &ctx)
            .unwrap()
            .changed()
    );
    let history = is.history("pinned").unwrap();
    assert_eq!(history.current().unwrap().image_str(), a.as_str());
    assert!(history.conditions().is_empty());
}

#[test]
fn through_the_service_a_pinned_import_answered_with_another_digest_stores_nothing() {
    use imagestream::ports::{ImageStore, ImportedImage, Subject};
    use imagestream::service::ImageStreams;

    let service = ImageStreams::in_memory();
    let admin = Subject::system_admin();
    let a = Digest::of_sha256(b"image A");
    let (is, request) = pinned_stream(&a);
    service.create(&admin, is).unwrap();
    // The registry answers the pinned reference with image B.
    let b = ImportedImage::of_manifest(
        r#"{"image":"B"}"#,
        "application/vnd.oci.image.manifest.v1+json",
    );
    let b_digest = b.digest.clone();
    service.registry().insert(&request.from, b);
    let app = StreamName::parse("app").unwrap();
    service.import(&admin, &ns(), &app).unwrap();
    let stored = service.get(&admin, &ns(), &app).unwrap().value;
    let history = stored.history("pinned").unwrap();
    assert!(history.current().is_none(), "B is not the tag's image");
    assert_eq!(history.conditions()[0].reason, "BadRequest");
    assert_eq!(
        history.conditions()[0].message,
        format!(
            "invalid image \"quay.io/app/web@{a}\": the registry answered with {b_digest}, not the requested digest {a}"
        )
    );
    assert!(
        service.store().list_images().unwrap().is_empty(),
        "image B is not stored"
    );
}
