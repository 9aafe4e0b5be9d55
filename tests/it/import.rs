//! Importing external tags (§14, §15.1, §15.2) through the service and a
//! static registry: what is planned, how answers become entries and
//! conditions, and when nothing is written.

use std::sync::Arc;

use imagestream::chrono::{TimeDelta, TimeZone, Utc};
use imagestream::describe::{Style, describe_image_stream};
use imagestream::ops::import::{
    REPOSITORY_CHECK_ANNOTATION, is_scheduled, plan_import, plan_scheduled_import,
};
use imagestream::ports::{
    ImageStore, ImportedImage, ManualClock, MemoryStore, Rbac, RegistryError, StaticRegistry,
    Subject,
};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::service::{ImageStreams, ServiceError};
use imagestream::stream::{ImageStream, ImportPolicy, SpecTag, TagEvent, TagSource};

type Service = ImageStreams<MemoryStore, StaticRegistry, Rbac, ManualClock>;

fn ns() -> Namespace {
    Namespace::parse("default").unwrap()
}

fn python() -> StreamName {
    StreamName::parse("python").unwrap()
}

fn admin() -> Subject {
    Subject::system_admin()
}

fn reference(s: &str) -> ImageReference {
    ImageReference::parse(s).unwrap()
}

fn service() -> Service {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap());
    let svc = ImageStreams::new(
        Arc::new(MemoryStore::new()),
        Arc::new(StaticRegistry::new()),
        Arc::new(Rbac::new()),
        Arc::new(clock),
    );
    svc.create(&admin(), ImageStream::new(ns(), python()).unwrap())
        .unwrap();
    svc
}

fn set_tag(svc: &Service, tag: &str, from: &str, scheduled: bool) {
    let spec = SpecTag::new(TagSource::DockerImage(reference(from)))
        .with_import_policy(ImportPolicy::default().scheduled(scheduled));
    svc.set_spec_tag(
        &admin(),
        &ns(),
        &python(),
        &TagName::parse(tag).unwrap(),
        &spec,
    )
    .unwrap();
}

fn publish(svc: &Service, from: &str, content: &[u8]) -> Digest {
    let d = Digest::of_sha256(content);
    svc.registry().insert(
        &reference(from),
        ImportedImage::new(
            d.clone(),
            "application/vnd.docker.distribution.manifest.v2+json",
        ),
    );
    d
}

fn stream(svc: &Service) -> ImageStream {
    svc.get(&admin(), &ns(), &python()).unwrap().value
}

fn version(svc: &Service) -> u64 {
    svc.get(&admin(), &ns(), &python())
        .unwrap()
        .resource_version
}

#[test]
fn a_first_import_tags_the_digest_at_the_new_generation() {
    let svc = service();
    set_tag(&svc, "3.5", "centos/python-35-centos7", false);
    assert_eq!(plan_import(&stream(&svc)).len(), 1);
    let d = publish(&svc, "centos/python-35-centos7", b"3.5");
    let generation = stream(&svc).generation();
    let done = svc.import(&admin(), &ns(), &python()).unwrap();
    assert_eq!(done.len(), 1);
    let is = stream(&svc);
    let current = is.history("3.5").unwrap().current().unwrap();
    assert_eq!(
        current.pull_spec().as_str(),
        format!("centos/python-35-centos7@{d}")
    );
    assert_eq!(current.generation(), generation + 1);
    assert_eq!(is.generation(), generation + 1);
    assert_eq!(
        is.spec_tag("3.5").unwrap().generation(),
        Some(generation + 1)
    );
    assert_eq!(
        is.metadata().annotations[REPOSITORY_CHECK_ANNOTATION],
        "2017-10-02T17:05:11Z"
    );
    let image = svc.store().get_image(&d).unwrap();
    assert_eq!(
        image.docker_image_reference,
        format!("centos/python-35-centos7@{d}")
    );
    // Observed: nothing more to plan, and describe shows no pending import.
    assert!(plan_import(&is).is_empty());
    let text = describe_image_stream(&is, Utc::now(), Style::Classic);
    assert!(!text.contains("importing latest image"), "{text}");
}

#[test]
fn an_unchanged_scheduled_import_writes_nothing_and_a_new_digest_moves_the_tag() {
    let svc = service();
    set_tag(&svc, "3.6", "docker.io/python:3.6", true);
    let first = publish(&svc, "docker.io/python:3.6", b"v1");
    svc.import(&admin(), &ns(), &python()).unwrap();
    assert!(is_scheduled(&stream(&svc)));
    assert_eq!(plan_scheduled_import(&stream(&svc)).len(), 1);
    let before = version(&svc);
    svc.import_scheduled(&admin(), &ns(), &python()).unwrap();
    assert_eq!(version(&svc), before, "no change, no write");
    // Upstream moves: the next scheduled import records the new digest.
    let second = publish(&svc, "docker.io/python:3.6", b"v2");
    svc.import_scheduled(&admin(), &ns(), &python()).unwrap();
    let is = stream(&svc);
    let history = is.history("3.6").unwrap();
    let images: Vec<&str> = history.iter().map(TagEvent::image_str).collect();
    assert_eq!(images, [second.as_str(), first.as_str()]);
    assert_eq!(history.current().unwrap().generation(), is.generation());
}

#[test]
fn failures_become_conditions_and_keep_the_entries() {
    let svc = service();
    set_tag(&svc, "3.6", "docker.io/python:3.6", true);
    let d = publish(&svc, "docker.io/python:3.6", b"v1");
    svc.import(&admin(), &ns(), &python()).unwrap();
    svc.registry().fail(
        &reference("docker.io/python:3.6"),
        RegistryError::Unauthorized {
            reference: "docker.io/python:3.6".into(),
        },
    );
    svc.import_scheduled(&admin(), &ns(), &python()).unwrap();
    let is = stream(&svc);
    let history = is.history("3.6").unwrap();
    assert_eq!(history.current().unwrap().image_str(), d.as_str(), "kept");
    let condition = &history.conditions()[0];
    assert_eq!(
        (
            condition.type_.as_str(),
            condition.status.as_str(),
            condition.reason.as_str()
        ),
        ("ImportSuccess", "False", "Unauthorized")
    );
    assert_eq!(
        condition.message,
        r#"you may not have access to the container image "docker.io/python:3.6""#
    );
    assert_eq!(condition.generation, is.generation());
    let text = describe_image_stream(&is, Utc::now(), Style::Classic);
    assert!(
        text.contains("  ! error: Import failed (Unauthorized): you may not have access"),
        "{text}"
    );
    // The same failure again is not rewritten.
    let before = version(&svc);
    svc.import_scheduled(&admin(), &ns(), &python()).unwrap();
    assert_eq!(version(&svc), before);
    // A success clears the condition.
    publish(&svc, "docker.io/python:3.6", b"v2");
    svc.import_scheduled(&admin(), &ns(), &python()).unwrap();
    assert!(stream(&svc).history("3.6").unwrap().conditions().is_empty());
}

#[test]
fn a_tag_that_never_imported_has_only_its_condition() {
    let svc = service();
    set_tag(&svc, "gone", "docker.io/library/nothing:1", false);
    svc.import(&admin(), &ns(), &python()).unwrap();
    let is = stream(&svc);
    let history = is.history("gone").unwrap();
    assert!(history.is_empty());
    assert_eq!(history.conditions()[0].reason, "NotFound");
    assert_eq!(
        history.conditions()[0].message,
        r#"dockerimage.image.openshift.io "docker.io/library/nothing:1" not found"#
    );
}

#[test]
fn followers_of_an_imported_tag_follow_and_digests_stop_being_scheduled() {
    let svc = service();
    set_tag(&svc, "3.6", "docker.io/python:3.6", false);
    let follow = SpecTag::new(TagSource::ImageStreamTag {
        namespace: None,
        stream: None,
        tag: TagName::parse("3.6").unwrap(),
    });
    svc.set_spec_tag(
        &admin(),
        &ns(),
        &python(),
        &TagName::parse("latest").unwrap(),
        &follow,
    )
    .unwrap();
    let d = publish(&svc, "docker.io/python:3.6", b"v1");
    svc.import(&admin(), &ns(), &python()).unwrap();
    let is = stream(&svc);
    assert_eq!(
        is.history("latest").unwrap().current().unwrap().image_str(),
        d.as_str()
    );
    // A scheduled digest reference is scheduled only until it succeeds.
    let pinned = format!("docker.io/python@{d}");
    set_tag(&svc, "pinned", &pinned, true);
    svc.registry().insert(
        &reference(&pinned),
        ImportedImage::new(
            d.clone(),
            "application/vnd.docker.distribution.manifest.v2+json",
        ),
    );
    let waiting = stream(&svc);
    assert!(is_scheduled(&waiting));
    svc.import(&admin(), &ns(), &python()).unwrap();
    let is = stream(&svc);
    assert_eq!(
        is.history("pinned")
            .unwrap()
            .current()
            .unwrap()
            .pull_spec()
            .as_str(),
        pinned
    );
    assert!(!is_scheduled(&is));
}

#[test]
fn importing_needs_create_imagestreamimports() {
    let svc = service();
    set_tag(&svc, "3.6", "docker.io/python:3.6", false);
    svc.authorizer().bind("viewer", "view", &ns());
    let err = svc
        .import(&Subject::user("viewer"), &ns(), &python())
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden(_)), "{err}");
    // Time passes between imports; the annotation records the last one.
    publish(&svc, "docker.io/python:3.6", b"v1");
    svc.clock().advance(TimeDelta::minutes(15));
    svc.import(&admin(), &ns(), &python()).unwrap();
    assert_eq!(
        stream(&svc).metadata().annotations[REPOSITORY_CHECK_ANNOTATION],
        "2017-10-02T17:20:11Z"
    );
}

mod laws {
    use imagestream::api;
    use imagestream::chrono::{DateTime, TimeDelta};
    use imagestream::ops::import::{
        ImportResult, TagImport, apply_import, imported_image, plan_scheduled_import,
    };
    use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
    use imagestream::stream::{
        ImageStream, ImportPolicy, SpecContext, SpecTag, TagHistory, TagSource,
    };
    use proptest::prelude::*;

    /// One scheduled import round: for each of three tags, image `n` or a
    /// failure with reason `r`.
    type Round = Vec<Result<u8, u8>>;

    fn round() -> impl Strategy<Value = Round> {
        prop::collection::vec(
            prop_oneof![(0u8..4).prop_map(Ok), (0u8..2).prop_map(Err)],
            3,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn imports_keep_the_stream_consistent(rounds in prop::collection::vec(round(), 1..12)) {
            let start = DateTime::from_timestamp(1_600_000_000, 0).unwrap();
            let mut is = ImageStream::new(Namespace::parse("ns").unwrap(), StreamName::parse("s").unwrap()).unwrap();
            let ctx = SpecContext::new(start);
            for t in ["a", "b", "c"] {
                let from = ImageReference::parse(&format!("quay.io/org/{t}:1")).unwrap();
                let spec = SpecTag::new(TagSource::DockerImage(from))
                    .with_import_policy(ImportPolicy::default().scheduled(true));
                is.set_spec_tag(TagName::parse(t).unwrap(), spec, &ctx).unwrap();
            }
            for (i, round) in (1i64..).zip(&rounds) {
                let now = start + TimeDelta::minutes(15 * i);
                let ctx = SpecContext::new(now);
                let requests: Vec<TagImport> = plan_scheduled_import(&is);
                prop_assert_eq!(requests.len(), 3);
                let results: Vec<(TagImport, ImportResult)> = requests
                    .into_iter()
                    .zip(round)
                    .map(|(r, outcome)| {
                        let result = match outcome {
                            Ok(n) => {
                                let d = Digest::of_sha256(&[*n]);
                                ImportResult::Imported(Box::new(imported_image(
                                    &r.from, &d, "", Vec::new(), None::<api::DockerImageMetadata>, Vec::new(), now,
                                )))
                            }
                            Err(reason) => ImportResult::Failed {
                                reason: format!("Reason{reason}"),
                                message: String::new(),
                            },
                        };
                        (r, result)
                    })
                    .collect();
                let before = is.clone();
                let wrote = apply_import(&mut is, &results, &ctx).unwrap();
                if !wrote {
                    prop_assert_eq!(&is, &before, "no write means no change");
                }
                prop_assert!(is.generation() >= before.generation());
                prop_assert!(is.consistency_report().is_empty(), "{:?}", is.consistency_report());
                for (request, outcome) in results.iter().map(|(r, o)| (r, o)) {
                    let tag = request.tag.as_str();
                    let spec_generation = is.spec_tag(tag).unwrap().generation().unwrap();
                    prop_assert!(spec_generation <= is.generation());
                    let history = is.history(tag).unwrap();
                    match outcome {
                        // A success leaves nothing pending and no condition.
                        ImportResult::Imported(image) => {
                            prop_assert!(is.latest_observed_generation(tag) >= spec_generation);
                            prop_assert!(history.conditions().is_empty());
                            prop_assert_eq!(history.current().unwrap().image_str(), image.metadata.name.as_str());
                        }
                        // A failure leaves one condition and the entries.
                        ImportResult::Failed { reason, .. } => {
                            prop_assert_eq!(history.conditions().len(), 1);
                            prop_assert_eq!(&history.conditions()[0].reason, reason);
                            prop_assert_eq!(history.len(), before.history(tag).map_or(0, TagHistory::len));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}
