//! `oc describe` output: the seed chapter's samples byte for byte, go-units
//! and describer cases as data, snapshots of a rich stream, and laws.

use imagestream::api;
use imagestream::chrono::{DateTime, TimeDelta, TimeZone, Utc};
use imagestream::describe::{
    ImageStreamRow, ImageStreamTagRow, Style, describe_image, describe_image_stream,
    describe_image_stream_tag, get_image_stream_tags, get_image_streams, human_duration,
    human_size, prioritize_tags, tabwrite, tags_up_to_width,
};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::stream::{ImageStream, SpecContext, SpecTag, TagEvent, TagSource};
use insta::assert_snapshot;
use proptest::prelude::*;

const DIGEST: &str = "sha256:49c18358df82f4577386404991c51a9559f243e0b1bdc366df250123456789ab";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2017, 10, 2, 17, 10, 0).unwrap()
}

fn tag(s: &str) -> TagName {
    TagName::parse(s).unwrap()
}

/// The stream of the seed's 6.7.1: `python` with tag 3.5 imported from
/// `centos/python-35-centos7`, created `created_ago` before `now`.
fn seed_python(created_ago: TimeDelta, event_ago: TimeDelta) -> ImageStream {
    let mut wire = api::ImageStream::from(
        &ImageStream::new(
            Namespace::parse("default").unwrap(),
            StreamName::parse("python").unwrap(),
        )
        .unwrap(),
    );
    wire.metadata.annotations.insert(
        "openshift.io/image.dockerRepositoryCheck".into(),
        "2017-10-02T17:05:11Z".into(),
    );
    wire.metadata.creation_timestamp = Some(now() - created_ago);
    wire.status.docker_image_repository = "docker-registry.default.svc:5000/default/python".into();
    let mut is = ImageStream::try_from(wire).unwrap();
    let source = SpecTag::new(TagSource::DockerImage(
        ImageReference::parse("centos/python-35-centos7").unwrap(),
    ));
    is.set_spec_tag(tag("3.5"), source, &SpecContext::new(now() - created_ago))
        .unwrap();
    let spec = ImageReference::parse(&format!("centos/python-35-centos7@{DIGEST}")).unwrap();
    is.add_event(
        &tag("3.5"),
        TagEvent::new(
            spec,
            Some(Digest::parse(DIGEST).unwrap()),
            2,
            now() - event_ago,
        ),
    );
    is
}

#[test]
fn seed_describe_is_python() {
    let is = seed_python(TimeDelta::seconds(75), TimeDelta::seconds(75));
    let expected = include_str!("../fixtures/describe/seed_is_python.txt");
    assert_eq!(describe_image_stream(&is, now(), Style::Classic), expected);
}

#[test]
fn seed_describe_is_python_after_oc_tag() {
    // `oc tag python:3.5 python:latest` pins latest to the image of 3.5.
    let mut is = seed_python(TimeDelta::seconds(330), TimeDelta::seconds(330));
    let pin = SpecTag::new(TagSource::ImageStreamImage {
        namespace: None,
        stream: Some(StreamName::parse("python").unwrap()),
        id: DIGEST.into(),
    });
    is.set_spec_tag(
        tag("latest"),
        pin,
        &SpecContext::new(now() - TimeDelta::seconds(80)),
    )
    .unwrap();
    let expected = include_str!("../fixtures/describe/seed_is_python_after_tag.txt");
    assert_eq!(describe_image_stream(&is, now(), Style::Classic), expected);
}

fn seed_image() -> api::Image {
    let mut image = api::Image::default();
    image.metadata.name = DIGEST.into();
    image.metadata.creation_timestamp = Some(now() - TimeDelta::seconds(150));
    image.docker_image_reference = format!("centos/python-35-centos7@{DIGEST}");
    let layer = |size: i64, n: u8| api::ImageLayer {
        name: Digest::of_sha256(&[n]).to_string(),
        size,
        media_type: "application/vnd.docker.image.rootfs.diff.tar.gzip".into(),
    };
    image.docker_image_layers = vec![
        layer(2_898_000, 1),
        layer(0, 2),
        layer(176_042_000, 3),
        layer(72_260_000, 4),
        layer(0, 5),
    ];
    let mut config = api::DockerConfig {
        entrypoint: vec!["container-entrypoint".into()],
        cmd: vec![
            "/bin/sh".into(),
            "-c".into(),
            "$STI_SCRIPTS_PATH/usage".into(),
        ],
        working_dir: "/opt/app-root/src".into(),
        user: "1001".into(),
        ..Default::default()
    };
    config
        .exposed_ports
        .insert("8080/tcp".into(), api::Empty::default());
    config.labels.insert("build-date".into(), "20170801".into());
    image.docker_image_metadata = Some(api::DockerImageMetadata {
        created: Some(now() - TimeDelta::days(15)),
        architecture: "amd64".into(),
        size: 251_200_000,
        config: Some(config),
        ..Default::default()
    });
    image
}

#[test]
fn seed_describe_istag_python_latest() {
    let istag = api::ImageStreamTag {
        image: seed_image(),
        ..Default::default()
    };
    let expected = include_str!("../fixtures/describe/seed_istag_python_latest.txt");
    assert_eq!(
        describe_image_stream_tag(&istag, now(), Style::Classic),
        expected
    );
}

#[test]
fn current_style_image() {
    let mut image = seed_image();
    image
        .docker_image_metadata
        .as_mut()
        .unwrap()
        .config
        .as_mut()
        .unwrap()
        .env = vec!["PATH=/usr/bin".into(), "HOME=/opt/app-root/src".into()];
    assert_snapshot!(describe_image(&image, DIGEST, now(), Style::Current));
}

#[test]
fn go_units_human_size() {
    // docker/go-units size_test.go TestHumanSize
    for (bytes, want) in [
        (1000.0, "1kB"),
        (1024.0, "1.024kB"),
        (1_000_000.0, "1MB"),
        (1_048_576.0, "1.049MB"),
        (2e6, "2MB"),
        (3.42e9, "3.42GB"),
        (5.372e12, "5.372TB"),
        (2.22e15, "2.22PB"),
        (1e13 * 1e15, "1e+04YB"),
        (0.0, "0B"),
        (999_999.0, "1000kB"),
        (251_200_000.0, "251.2MB"),
    ] {
        assert_eq!(human_size(bytes, Style::Current), want, "{bytes}");
    }
    assert_eq!(human_size(2_898_000.0, Style::Classic), "2.898 MB");
    assert_eq!(human_size(72_260_000.0, Style::Classic), "72.26 MB");
}

#[test]
fn go_units_human_duration() {
    // docker/go-units duration_test.go TestHumanDuration
    let (s, m, h, d) = (
        TimeDelta::seconds(1),
        TimeDelta::minutes(1),
        TimeDelta::hours(1),
        TimeDelta::days(1),
    );
    let (week, month, year) = (d * 7, d * 30, d * 365);
    let cases = [
        (TimeDelta::milliseconds(450), "Less than a second"),
        (s, "1 second"),
        (s * 45, "45 seconds"),
        (s * 46, "46 seconds"),
        (s * 59, "59 seconds"),
        (s * 60, "About a minute"),
        (m, "About a minute"),
        (m * 3, "3 minutes"),
        (m * 35, "35 minutes"),
        (m * 35 + s * 40, "35 minutes"),
        (m * 45, "45 minutes"),
        (m * 45 + s * 40, "45 minutes"),
        (m * 46, "46 minutes"),
        (m * 59, "59 minutes"),
        (h, "About an hour"),
        (h + m * 29, "About an hour"),
        (h + m * 31, "2 hours"),
        (h + m * 59, "2 hours"),
        (h * 3, "3 hours"),
        (h * 3 + m * 29, "3 hours"),
        (h * 3 + m * 31, "4 hours"),
        (h * 3 + m * 59, "4 hours"),
        (h * 3 + m * 60, "4 hours"),
        (h * 24, "24 hours"),
        (d + h * 12, "36 hours"),
        (d * 2, "2 days"),
        (d * 7, "7 days"),
        (d * 13 + h * 5, "13 days"),
        (week * 2, "2 weeks"),
        (week * 2 + d * 4, "2 weeks"),
        (week * 3, "3 weeks"),
        (week * 4, "4 weeks"),
        (week * 4 + d * 3, "4 weeks"),
        (month, "4 weeks"),
        (month + week * 2, "6 weeks"),
        (month * 2, "2 months"),
        (month * 2 + week * 2, "2 months"),
        (month * 3, "3 months"),
        (month * 3 + week, "3 months"),
        (month * 5 + week * 2, "5 months"),
        (month * 13, "13 months"),
        (month * 23, "23 months"),
        (month * 24, "24 months"),
        (month * 24 + week * 2, "2 years"),
        (year * 3 + month * 2, "3 years"),
        (-s, "Less than a second"),
    ];
    for (d, want) in cases {
        assert_eq!(human_duration(d), want, "{d:?}");
    }
}

/// A stream with everything a tag block can show.
fn rich_stream() -> ImageStream {
    let json = format!(
        r#"{{"metadata":{{"name":"rich","namespace":"demo","creationTimestamp":"2017-09-01T00:00:00Z",
        "labels":{{"app":"web","tier":"front"}},"annotations":{{"description":"A rich stream","openshift.io/generated-by":"test"}}}},
        "spec":{{"lookupPolicy":{{"local":true}},"tags":[
          {{"name":"latest","from":{{"kind":"ImageStreamTag","name":"3.6"}},"generation":3}},
          {{"name":"stable","from":{{"kind":"ImageStreamTag","name":"rich:latest"}},"generation":3}},
          {{"name":"3.6","from":{{"kind":"DockerImage","name":"quay.io/org/py:3.6"}},"importPolicy":{{"scheduled":true,"insecure":true}},
            "referencePolicy":{{"type":"Local"}},"generation":4,
            "annotations":{{"description":"Python 3.6","tags":"builder,python","supports":"python:3.6,python","sampleRepo":"https://example.com/app.git"}}}},
          {{"name":"3.5","from":{{"kind":"DockerImage","name":"quay.io/org/py:3.5"}},"generation":2}},
          {{"name":"ref","from":{{"kind":"DockerImage","name":"quay.io/org/py:ref"}},"reference":true,"generation":2}},
          {{"name":"cross","from":{{"kind":"ImageStreamTag","namespace":"other","name":"base:1"}},"generation":2}},
          {{"name":"pinned","from":{{"kind":"ImageStreamImage","name":"rich@{d1}"}},"generation":2}},
          {{"name":"nosource","generation":2}}]}},
        "status":{{"dockerImageRepository":"172.30.1.1:5000/demo/rich","publicDockerImageRepository":"registry.example.com/demo/rich","tags":[
          {{"tag":"3.6","items":[
            {{"created":"2017-10-02T16:50:00Z","dockerImageReference":"quay.io/org/py:3.6","image":"{d2}","generation":3}},
            {{"created":"2017-09-20T10:00:00Z","dockerImageReference":"quay.io/org/py@{d1}","image":"{d1}","generation":2}}],
           "conditions":[{{"type":"ImportSuccess","status":"False","reason":"NotFound","message":"dockerimage.image.openshift.io \"quay.io/org/py:3.6\" not found","lastTransitionTime":"2017-10-02T17:00:00Z","generation":4}}]}},
          {{"tag":"latest","items":[{{"created":"2017-10-02T16:50:00Z","dockerImageReference":"quay.io/org/py:3.6","image":"{d2}","generation":3}}]}},
          {{"tag":"ref","items":[{{"created":"2017-10-02T09:00:00Z","dockerImageReference":"quay.io/org/py:ref","image":"","generation":2}}]}},
          {{"tag":"pushed","items":[{{"created":"2017-10-01T09:00:00Z","dockerImageReference":"172.30.1.1:5000/demo/rich@{d3}","image":"{d3}","generation":1}}]}}]}}}}"#,
        d1 = Digest::of_sha256(b"1"),
        d2 = Digest::of_sha256(b"2"),
        d3 = Digest::of_sha256(b"3"),
    );
    ImageStream::try_from(serde_json::from_str::<api::ImageStream>(&json).unwrap()).unwrap()
}

#[test]
fn rich_stream_snapshots() {
    let is = rich_stream();
    assert_snapshot!(
        "rich_classic",
        describe_image_stream(&is, now(), Style::Classic)
    );
    assert_snapshot!(
        "rich_current",
        describe_image_stream(&is, now(), Style::Current)
    );
}

#[test]
fn hidden_alias_histories_still_count_as_unique_images() {
    let mut is = rich_stream();
    let d4 = Digest::of_sha256(b"4");
    let spec = ImageReference::parse(&format!("quay.io/org/py@{d4}")).unwrap();
    is.add_event(
        &tag("latest"),
        TagEvent::new(spec, Some(d4.clone()), 5, now()),
    );
    let out = describe_image_stream(&is, now(), Style::Current);
    assert!(out.contains("3.6 (latest, stable)\n"), "{out}");
    assert!(!out.contains(d4.as_str()), "aliases have no block: {out}");
    assert!(out.contains("Unique Images:\t\t5\n"), "{out}");
}

#[test]
fn describer_details() {
    // formatAnnotations: Description first; aliases in their target's header;
    // the unique-image count includes one for image-less entries.
    let out = describe_image_stream(&rich_stream(), now(), Style::Current);
    assert!(out.contains("Description:\t\tA rich stream\n"), "{out}");
    assert!(out.contains("3.6 (latest, stable)\n"), "{out}");
    assert!(out.contains("Unique Images:\t\t4\n"), "{out}");
    assert!(out.contains("Tags:\t\t\t9\n"), "{out}");
    assert!(out.contains("  ~ importing latest image ...\n"), "{out}");
    let mut tags = vec!["other", "3.5", "latest"];
    prioritize_tags(&mut tags);
    assert_eq!(tags, ["latest", "3.5", "other"]);
    // An image without layers shows its size as the layer size (current).
    let mut image = seed_image();
    image.docker_image_layers.clear();
    let out = describe_image(&image, DIGEST, now(), Style::Current);
    assert!(out.contains("Layer Size:\t251.2MB\n"), "{out}");
    // A zero Created time prints Go's saturated age.
    image.docker_image_metadata.as_mut().unwrap().created = None;
    let out = describe_image(&image, DIGEST, now(), Style::Current);
    assert!(out.contains("Image Created:\t292 years ago\n"), "{out}");
}

proptest! {
    #[test]
    fn human_duration_is_monotone(a in 0i64..200_000_000, b in 0i64..200_000_000) {
        let rank = |s: &str| -> (u8, i64) {
            let n = s.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(1);
            let unit = match s {
                "Less than a second" => 0,
                _ if s.contains("second") => 1,
                _ if s.contains("minute") => 2,
                _ if s.contains("hour") => 3,
                _ if s.contains("day") => 4,
                _ if s.contains("week") => 5,
                _ if s.contains("month") => 6,
                _ => 7,
            };
            (unit, n)
        };
        let (lo, hi) = (a.min(b), a.max(b));
        let (x, y) = (human_duration(TimeDelta::seconds(lo)), human_duration(TimeDelta::seconds(hi)));
        prop_assert!(rank(&x) <= rank(&y), "{} ({}) > {} ({})", x, lo, y, hi);
    }

    #[test]
    fn tabwriter_output_resplits_into_the_same_cells(lines in prop::collection::vec(prop::collection::vec("[a-z :/.é]{0,20}", 1..4), 0..8)) {
        let text: String = lines.iter().fold(String::new(), |mut acc, cells| {
            acc.push_str(&cells.join("\t"));
            acc.push('\n');
            acc
        });
        let out = tabwrite(&text);
        let back: Vec<Vec<String>> = out
            .lines()
            .map(|l| l.split('\t').filter(|c| !c.is_empty()).map(str::to_owned).collect())
            .collect();
        let want: Vec<Vec<String>> = lines
            .iter()
            .map(|cells| cells.iter().filter(|c| !c.is_empty()).cloned().collect())
            .collect();
        prop_assert_eq!(back, want);
        prop_assert_eq!(out.lines().count(), lines.len());
    }
}

#[test]
fn upstream_format_image_stream_tags() {
    // oc pkg/helpers/describe/describer_test.go TestFormatImageStreamTags
    let json = r#"{"metadata":{"name":"repo","namespace":"ns"},
      "spec":{"tags":[
        {"name":"spec1","from":{"kind":"ImageStreamTag","namespace":"foo","name":"bar:latest"}},
        {"name":"spec2","from":{"kind":"ImageStreamImage","namespace":"mysql","name":"latest@sha256:e52c6534db85036dabac5e71ff14e720db94def2d90f986f3548425ea27b3719"}},
        {"name":"spec3","from":{"kind":"DockerImage","name":"mysql"},"importPolicy":{"scheduled":true},"generation":3,"referencePolicy":{"type":"Local"}},
        {"name":"spec4","from":{"kind":"DockerImage","name":"mysql:2"},"reference":true},
        {"name":"spec5"}]},
      "status":{"tags":[
        {"tag":"default","items":[
          {"created":"2015-03-24T09:38:00Z","dockerImageReference":"registry:5000/foo/bar@sha256:4bd26aef1ce78b4f05ede83496276f11e3343441574ca1ce89dffd146c708c16","image":"sha256:4bd26aef1ce78b4f05ede83496276f11e3343441574ca1ce89dffd146c708c16"},
          {"created":"2015-03-23T07:15:00Z","dockerImageReference":"registry:5000/foo/bar@sha256:062b80555a5dd7f5d58e78b266785a399277ff8c3e402ce5fa5d8571788e6bad","image":"sha256:062b80555a5dd7f5d58e78b266785a399277ff8c3e402ce5fa5d8571788e6bad"}]},
        {"tag":"spec1","items":[{"created":"2015-03-24T09:38:00Z","dockerImageReference":"registry:5000/foo/bar@sha256:4bd26aef1ce78b4f05ede83496276f11e3343441574ca1ce89dffd146c708c16","image":"sha256:4bd26aef1ce78b4f05ede83496276f11e3343441574ca1ce89dffd146c708c16"}]},
        {"tag":"spec2","items":[{"created":"2015-03-24T09:38:00Z","dockerImageReference":"mysql:latest","image":"sha256:e52c6534db85036dabac5e71ff14e720db94def2d90f986f3548425ea27b3719"}]},
        {"tag":"spec3","conditions":[{"type":"ImportSuccess","status":"False","reason":"NotFound","message":"Image not found due to error"}],
         "items":[{"created":"2015-03-24T09:38:00Z","dockerImageReference":"mysql:latest","image":"sha256:e52c6534db85036dabac5e71ff14e720db94def2d90f986f3548425ea27b3719","generation":2}]}]}}"#;
    let is =
        ImageStream::try_from(serde_json::from_str::<api::ImageStream>(json).unwrap()).unwrap();
    let out = describe_image_stream(&is, now(), Style::Current);
    for s in [
        "no spec tag",
        "tag without source image",
        // The Go test tabwrites the tags section alone; in a full describe
        // these lines share a block with the longer meta labels.
        "Unique Images:\t\t3",
        "Tags:\t\t\t6",
        "* registry:5000/foo/bar@sha256:4bd26",
        "registry:5000/foo/bar@sha256:062b80",
        "tagged from foo/bar:latest",
        "tagged from mysql/latest@sha256:e52c65",
        "updates automatically from registry mysql",
        "reference to registry mysql:2",
        "prefer registry pullthrough when referencing this tag",
        "~ importing latest image ...",
        "! error: Import failed (NotFound): Image not found due to error",
    ] {
        assert!(out.contains(s), "expected {s:?} in:\n{out}");
    }
}

#[test]
fn every_source_line_variant() {
    let mut is = ImageStream::new(
        Namespace::parse("ns").unwrap(),
        StreamName::parse("s").unwrap(),
    )
    .unwrap();
    let ctx = SpecContext::new(now());
    let ist = |t: &str| TagSource::ImageStreamTag {
        namespace: None,
        stream: None,
        tag: tag(t),
    };
    let isi = TagSource::ImageStreamImage {
        namespace: None,
        stream: Some(StreamName::parse("s").unwrap()),
        id: "sha256:abc".into(),
    };
    let ext = || TagSource::DockerImage(ImageReference::parse("quay.io/a/b:1").unwrap());
    let scheduled = imagestream::stream::ImportPolicy::default().scheduled(true);
    let specs = [
        (
            "a1",
            SpecTag::new(ist("x")).with_reference(true),
            "  reference to x\n",
        ),
        (
            "a2",
            SpecTag::new(ist("x")).with_import_policy(scheduled),
            "  updates automatically from x\n",
        ),
        (
            "a3",
            SpecTag::new(isi.clone()).with_reference(true),
            "  reference to image s@sha256:abc\n",
        ),
        ("a4", SpecTag::new(isi), "  tagged from s@sha256:abc\n"),
        (
            "a5",
            SpecTag::new(ext()).with_reference(true),
            "  reference to registry quay.io/a/b:1\n",
        ),
        (
            "a6",
            SpecTag::new(ext()).with_import_policy(scheduled.insecure(true)),
            "  updates automatically from registry quay.io/a/b:1\n    will use insecure HTTPS or HTTP connections\n",
        ),
        ("a7", SpecTag::new(ext()), "  tagged from quay.io/a/b:1\n"),
    ];
    for (name, spec, _) in &specs {
        // the pinned image does not exist: the spec is set without events
        let _ = is.set_spec_tag(tag(name), spec.clone(), &ctx);
    }
    let out = describe_image_stream(&is, now(), Style::Classic);
    for (name, _, line) in &specs {
        if is.spec_tag(name).is_some() {
            assert!(
                out.contains(&format!("{name}\n{line}")),
                "{name}: {line:?} in\n{out}"
            );
        }
    }
    assert!(
        is.spec_tag("a4").is_none(),
        "an unresolvable pin is refused"
    );
}

#[test]
fn manifest_list_image() {
    let mut image = seed_image();
    image.docker_image_layers.clear();
    image.docker_image_manifest_media_type = "application/vnd.oci.image.index.v1+json".into();
    image.docker_image_manifests = ["amd64", "arm64", "ppc64le"]
        .iter()
        .enumerate()
        .map(|(i, arch)| api::ImageManifest {
            digest: Digest::of_sha256(arch.as_bytes()).to_string(),
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            manifest_size: 1000 + i64::try_from(i).unwrap(),
            architecture: (*arch).into(),
            os: "linux".into(),
            variant: String::new(),
        })
        .collect();
    assert_snapshot!(describe_image(&image, DIGEST, now(), Style::Current));
}

#[test]
fn history_lines_print_the_stored_pull_spec() {
    // oc prints event.DockerImageReference verbatim: no `library/` added.
    let json = r#"{"metadata":{"name":"s","namespace":"ns"},"status":{"tags":[{"tag":"t","items":[
        {"created":"2017-10-02T17:00:00Z","dockerImageReference":"docker.io/python:3.6","image":"","generation":1}]}]}}"#;
    let is =
        ImageStream::try_from(serde_json::from_str::<api::ImageStream>(json).unwrap()).unwrap();
    let out = describe_image_stream(&is, now(), Style::Current);
    assert!(
        out.contains("  * docker.io/python:3.6\n      10 minutes ago\n"),
        "{out}"
    );
}

/// A stream whose tags were last updated `ages` seconds before `now()`.
fn stream_with_tags(tags: &[(&str, i64)]) -> ImageStream {
    let mut is = ImageStream::new(
        Namespace::parse("ns").unwrap(),
        StreamName::parse("app").unwrap(),
    )
    .unwrap();
    for (name, age) in tags {
        let d = Digest::of_sha256(name.as_bytes());
        let spec = ImageReference::parse(&format!("quay.io/org/app@{d}")).unwrap();
        is.add_event(
            &tag(name),
            TagEvent::new(spec, Some(d), 1, now() - TimeDelta::seconds(*age)),
        );
    }
    is
}

#[test]
fn tags_up_to_width_follows_print_tags_up_to_width() {
    // Newest first, ties by name; all fit in 40 columns.
    let is = stream_with_tags(&[("b", 10), ("a", 10), ("latest", 5)]);
    assert_eq!(tags_up_to_width(&is, 40), "latest,a,b");
    // The first tag is always shown, however long.
    let long = "x".repeat(60);
    let is = stream_with_tags(&[(&long, 1), ("y", 2)]);
    assert_eq!(tags_up_to_width(&is, 40), format!("{long} + 1 more..."));
    // 8 tags of 4 chars (5 columns each) fill 40 exactly.
    let names: Vec<String> = (0..9).map(|i| format!("t{i:03}")).collect();
    let aged: Vec<(&str, i64)> = names.iter().map(|n| (n.as_str(), 1)).collect();
    let is = stream_with_tags(&aged);
    assert_eq!(
        tags_up_to_width(&is, 40),
        "t000,t001,t002,t003,t004,t005,t006,t007 + 1 more..."
    );
    // The ragged-edge rule: 28 columns used (12 left, more than 40/4),
    // and a 12-char tag ends at 41 columns (within 125%): it is kept.
    let is = stream_with_tags(&[
        ("aaaaaaaaaaaaaa", 1),
        ("bbbbbbbbbbbb", 2),
        ("cccccccccccc", 3),
        ("d", 4),
    ]);
    assert_eq!(
        tags_up_to_width(&is, 40),
        "aaaaaaaaaaaaaa,bbbbbbbbbbbb,cccccccccccc + 1 more..."
    );
    // Without room left over (only 10 = 40/4), the overflowing tag goes.
    let is = stream_with_tags(&[
        ("aaaaaaaaaaaaaa", 1),
        ("bbbbbbbbbbbbbbbb", 2),
        ("cccccccccccc", 3),
    ]);
    assert_eq!(
        tags_up_to_width(&is, 40),
        "aaaaaaaaaaaaaa,bbbbbbbbbbbbbbbb + 1 more..."
    );
    let empty = stream_with_tags(&[]);
    assert_eq!(tags_up_to_width(&empty, 40), "");
}

#[test]
fn oc_get_is_and_istag_tables() {
    let is = rich_stream();
    let row = ImageStreamRow::new(&is, now());
    assert_eq!(row.image_repository, "registry.example.com/demo/rich");
    assert_eq!(row.tags, "3.6,latest,ref,pushed");
    assert_eq!(row.updated, "20 minutes ago");
    assert_snapshot!("oc_get_is", get_image_streams([&is, &rich_stream()], now()));

    let istag = api::ImageStreamTag {
        metadata: api::ObjectMeta {
            name: "python:latest".into(),
            creation_timestamp: Some(now() - TimeDelta::seconds(90)),
            ..Default::default()
        },
        image: seed_image(),
        ..Default::default()
    };
    let row = ImageStreamTagRow::new(&istag, now());
    assert_eq!(row.updated, "About a minute ago");
    assert_eq!(row.image_reference, istag.image.docker_image_reference);
    let narrow = get_image_stream_tags([&istag], now(), false);
    let wide = get_image_stream_tags([&istag], now(), true);
    assert!(
        narrow.starts_with("NAME            IMAGE REFERENCE"),
        "{narrow}"
    );
    assert!(!narrow.contains("IMAGE NAME"), "{narrow}");
    assert!(
        wide.lines()
            .nth(1)
            .unwrap()
            .ends_with(&istag.image.metadata.name),
        "{wide}"
    );
    assert_snapshot!("oc_get_istag_wide", wide);
}

proptest! {
    #[test]
    fn tags_up_to_width_shows_at_least_one_and_counts_the_rest(
        tags in prop::collection::btree_map("[a-z][a-z0-9.-]{0,24}", 0i64..100_000, 0..12),
        width in 0usize..80,
    ) {
        let aged: Vec<(&str, i64)> = tags.iter().map(|(t, a)| (t.as_str(), *a)).collect();
        let out = tags_up_to_width(&stream_with_tags(&aged), width);
        let (shown, hidden) = match out.split_once(" + ") {
            Some((s, rest)) => (s, rest.trim_end_matches(" more...").parse::<usize>().unwrap()),
            None => (out.as_str(), 0),
        };
        let shown: Vec<&str> = if shown.is_empty() { vec![] } else { shown.split(',').collect() };
        prop_assert_eq!(shown.len() + hidden, tags.len());
        prop_assert!(tags.is_empty() || !shown.is_empty());
        // Beyond the first tag, the shown list stays within 125% of the width.
        if shown.len() > 1 {
            prop_assert!(shown.iter().map(|t| t.len() + 1).sum::<usize>() <= width + width / 4 + 1);
        }
    }
}
