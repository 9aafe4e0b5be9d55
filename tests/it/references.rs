//! Reference parsing conformance: the upstream Go test tables, kept as data
//! in `tests/fixtures/references/`, plus the behaviour of each accessor.

use crate::util;

use imagestream::reference::{
    AnyReference, Digest, DockerReference, ErrorKind, ImageReference, parse_any, parse_docker_ref,
    parse_named,
};

fn docker_field(r: &DockerReference, k: &str) -> String {
    match k {
        "name" => r.name().to_owned(),
        "domain" => r.domain().unwrap_or_default().to_owned(),
        "path" => r.path().to_owned(),
        "tag" => r.tag().unwrap_or_default().to_owned(),
        "digest" => r.digest().map(ToString::to_string).unwrap_or_default(),
        "string" => r.to_string(),
        "familiar" => r.familiar(),
        "familiar_name" => r.familiar_name().to_owned(),
        other => panic!("unknown field {other}"),
    }
}

#[test]
fn distribution_strict_table() {
    let cases = util::load(include_str!("../fixtures/references/strict.txt"));
    assert!(cases.len() > 100);
    util::run("strict.txt", &cases, DockerReference::parse, docker_field);
    // Parse's String() is the input for every accepted case.
    for c in &cases {
        if let Ok(r) = DockerReference::parse(&c.input) {
            assert_eq!(r.to_string(), c.input);
        }
    }
}

#[test]
fn distribution_normalized_table() {
    let cases = util::load(include_str!("../fixtures/references/normalized.txt"));
    assert!(cases.len() > 80);
    util::run(
        "normalized.txt",
        &cases,
        DockerReference::parse_normalized,
        docker_field,
    );
}

#[test]
fn openshift_table() {
    let cases = util::load(include_str!("../fixtures/references/openshift.txt"));
    assert!(cases.len() > 50);
    util::run(
        "openshift.txt",
        &cases,
        ImageReference::parse,
        |r, k| match k {
            "registry" => r.registry().unwrap_or_default().to_owned(),
            "namespace" => r.namespace().unwrap_or_default().to_owned(),
            "name" => r.name().to_owned(),
            "tag" => r.tag().unwrap_or_default().to_owned(),
            "id" => r.id().unwrap_or_default().to_owned(),
            "exact" => r.exact(),
            "string" => r.to_string(),
            "as_str" => r.as_str().to_owned(),
            other => panic!("unknown field {other}"),
        },
    );
}

const SHA: &str = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";

#[test]
fn parse_any_reference() {
    // normalize_test.go TestParseAnyReference
    let hex = &SHA[7..];
    for (input, want) in [
        ("redis", "docker.io/library/redis"),
        ("redis:latest", "docker.io/library/redis:latest"),
        (
            "docker.io/library/redis:latest",
            "docker.io/library/redis:latest",
        ),
        ("dmcgowan/myapp", "docker.io/dmcgowan/myapp"),
        (
            "docker.io/mcgowan/myapp:latest",
            "docker.io/mcgowan/myapp:latest",
        ),
        ("dbcc1", "docker.io/library/dbcc1"),
    ] {
        let r = parse_any(input).unwrap();
        assert!(matches!(r, AnyReference::Named(_)), "{input}");
        assert_eq!(r.to_string(), want);
    }
    for input in [hex, SHA] {
        let r = parse_any(input).unwrap();
        assert_eq!(r, AnyReference::Digest(SHA.parse().unwrap()), "{input}");
    }
    let short = &hex[..63];
    assert_eq!(
        parse_any(short).unwrap().to_string(),
        format!("docker.io/library/{short}")
    );
    let at = format!("redis@{SHA}");
    assert_eq!(
        parse_any(&at).unwrap().to_string(),
        format!("docker.io/library/{at}")
    );
}

#[test]
fn parse_docker_ref_table() {
    // normalize_test.go TestParseDockerRef
    for (input, want) in [
        ("nginx", "docker.io/library/nginx:latest"),
        ("docker.io/library/nginx", "docker.io/library/nginx:latest"),
        ("nginx:latest", "docker.io/library/nginx:latest"),
        (
            &format!("nginx@{SHA}") as &str,
            &format!("docker.io/library/nginx@{SHA}") as &str,
        ),
        (
            &format!("nginx:latest@{SHA}"),
            &format!("docker.io/library/nginx@{SHA}"),
        ),
        ("docker.io/library/nginx:4.0", "docker.io/library/nginx:4.0"),
        ("gcr.io/library/nginx", "gcr.io/library/nginx:latest"),
        ("localhost/library/nginx", "localhost/library/nginx:latest"),
        ("localhost/nginx", "localhost/nginx:latest"),
        ("index.docker.io/nginx", "docker.io/library/nginx:latest"),
        (
            "registry-1.docker.io/library/nginx",
            "registry-1.docker.io/library/nginx:latest",
        ),
    ] {
        let r = parse_docker_ref(input).unwrap();
        assert_eq!(r.to_string(), want, "{input}");
        assert_eq!(DockerReference::parse(want).unwrap(), r, "{input}");
    }
}

#[test]
fn parse_named_requires_canonical() {
    // normalize_test.go TestParseNamed
    assert!(parse_named("docker.io/library/foo").is_ok());
    assert!(parse_named("example.com/foo").is_ok());
    let e = parse_named("docker.io/foo").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NameNotCanonical);
    assert_eq!(e.to_string(), "repository name must be canonical");
    assert_eq!(
        parse_named("foo").unwrap_err().to_string(),
        "repository name must be canonical"
    );
    assert_eq!(
        parse_named("Foo").unwrap_err().to_string(),
        "invalid reference format: repository name (library/Foo) must be lowercase"
    );
}

#[test]
fn error_kinds_and_offsets() {
    let cases: &[(&str, ErrorKind, usize)] = &[
        ("", ErrorKind::NameEmpty, 0),
        ("a//b", ErrorKind::InvalidFormat, 2),
        ("foo:", ErrorKind::InvalidFormat, 4),
        ("foo bar", ErrorKind::InvalidFormat, 3),
        ("foo/Bar", ErrorKind::NameContainsUppercase, 4),
        ("\u{212a}ubuntu", ErrorKind::NameContainsUppercase, 0),
        (
            "foo@sha256:abcdefabcdefabcdefabcdefabcdefab",
            ErrorKind::DigestInvalidLength,
            43,
        ),
    ];
    for &(input, kind, offset) in cases {
        let e = DockerReference::parse(input).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (kind, offset), "{input:?}: {e}");
    }
    let long = "a".repeat(300);
    let e = DockerReference::parse(&long).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::NameTooLong, 255));
    let e = ImageReference::parse(&format!("foo@md5:{}", "a".repeat(32))).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::DigestUnsupported, 4));
    let e = DockerReference::parse_normalized(&"a".repeat(64)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdentifierNotAllowed);
    assert_eq!(e.subject(), Some("a".repeat(64).as_str()));
}

#[test]
fn image_reference_methods() {
    // library-go DockerImageReference methods, references.md §4.3
    let p = |s: &str| ImageReference::parse(s).unwrap();
    let id = &SHA;

    assert_eq!(
        p("foo").docker_client_defaults().as_str(),
        "docker.io/library/foo:latest"
    );
    assert_eq!(
        p("quay.io/a/b").docker_client_defaults().as_str(),
        "quay.io/a/b:latest"
    );
    assert_eq!(
        p("docker.io/library/foo:latest").minimal().as_str(),
        "docker.io/library/foo"
    );
    assert_eq!(p("foo:v1").minimal().as_str(), "foo:v1");
    assert_eq!(
        p("index.docker.io/library/foo:latest")
            .daemon_minimal()
            .as_str(),
        "docker.io/foo"
    );
    assert_eq!(
        p("registry-1.docker.io/library/foo:v1")
            .daemon_minimal()
            .as_str(),
        "docker.io/foo:v1"
    );
    assert_eq!(
        p("quay.io/library/foo").daemon_minimal().as_str(),
        "quay.io/library/foo"
    );
    assert_eq!(
        p("docker.io/a/b").as_v2().as_str(),
        "registry-1.docker.io/a/b"
    );
    assert_eq!(
        p("index.docker.io/a/b").as_v2().as_str(),
        "registry-1.docker.io/a/b"
    );
    assert_eq!(p("quay.io/a/b").as_v2().as_str(), "quay.io/a/b");
    let tagged = p(&format!("quay.io/a/b:t@{id}"));
    assert_eq!(tagged.most_specific().as_str(), format!("quay.io/a/b@{id}"));
    assert_eq!(tagged.as_repository().as_str(), "quay.io/a/b");
    assert_eq!(tagged.repository_name(), "a/b");
    assert_eq!(tagged.name_string(), format!("b@{id}"));
    assert_eq!(tagged.exact(), format!("quay.io/a/b@{id}"));
    assert_eq!(p("foo:v1").most_specific().as_str(), "foo:v1");
    assert_eq!(p("docker.io/foo").to_string(), "docker.io/library/foo");
    assert_eq!(p("docker.io/foo").exact(), "docker.io/foo");
    assert_eq!(
        p("registry-1.docker.io/foo:v1").to_string(),
        "registry-1.docker.io/library/foo:v1"
    );
    assert!(p("foo").equivalent(&p("docker.io/library/foo:latest")));
    assert!(!p("foo").equivalent(&p("docker.io/library/foo:v2")));
    assert_ne!(p("foo"), p("docker.io/library/foo:latest"));
    assert_eq!(
        p(&format!("foo@{id}")).digest(),
        Some(Digest::parse(id).unwrap())
    );
    let upper = format!("foo@sha256:{}", "A".repeat(64));
    assert_eq!(p(&upper).digest(), None);
    assert_eq!(p(&upper).id().map(str::len), Some(71));
    // Display honours width and alignment.
    assert_eq!(format!("{:>8}|", p("a/b")), "     a/b|");
}

#[test]
fn serde_uses_the_validating_parser() {
    let r: ImageReference = serde_json::from_str("\"quay.io/a/b:c\"").unwrap();
    assert_eq!(r.tag(), Some("c"));
    assert_eq!(serde_json::to_string(&r).unwrap(), "\"quay.io/a/b:c\"");
    let e = serde_json::from_str::<ImageReference>("\"a//b\"").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid value \"a//b\": invalid reference format at line 1 column 6"
    );
    let d: DockerReference = serde_json::from_str("\"Foo/bar\"").unwrap();
    assert_eq!(d.domain(), Some("Foo"));
    let e = serde_json::from_str::<Digest>("\"sha256:abc\"").unwrap_err();
    assert!(
        e.to_string().contains("invalid checksum digest length"),
        "{e}"
    );
}
