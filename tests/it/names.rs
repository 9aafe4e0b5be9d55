//! OpenShift names: tags, streams, namespaces, `stream:tag`, `stream@id`.
//! Messages are OpenShift's (openshift-semantics.md §3.1, §4.1, §4.9).

use imagestream::reference::{
    ErrorKind, IsImageName, IsTagName, Namespace, StreamName, TagName, split_image_stream_tag,
};
use insta::assert_snapshot;
use proptest::prelude::*;

fn err<T: std::fmt::Debug>(r: Result<T, imagestream::reference::ReferenceError>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn tag_names() {
    for good in ["latest", "3.6.0", "_x", "A", "v1-rc.2", &"a".repeat(128)] {
        assert_eq!(TagName::parse(good).unwrap(), good);
    }
    assert_snapshot!(err(TagName::parse(".hidden")), @r#"invalid tag ".hidden" format, tags must start with an alphanumeric character followed by alphanumeric, '.' or '-' characters, and have a maximum of 128 characters"#);
    assert_snapshot!(err(TagName::parse("a/b")), @r#"invalid tag "a/b" format, tags must start with an alphanumeric character followed by alphanumeric, '.' or '-' characters, and have a maximum of 128 characters"#);
    for bad in ["", "-a", "t\u{e2}g", "a:b", &"a".repeat(129)] {
        let e = TagName::parse(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidTag, "{bad:?}");
    }
    assert_eq!(TagName::parse(&"a".repeat(129)).unwrap_err().offset(), 128);
    assert_eq!(TagName::latest(), "latest");
}

#[test]
fn stream_names() {
    for good in ["python", "origin-ruby-sample", "a.b_c-d", "0"] {
        assert_eq!(StreamName::parse(good).unwrap(), good);
    }
    assert_snapshot!(err(StreamName::parse(".")), @"may not be '.'");
    assert_snapshot!(err(StreamName::parse("..")), @"may not be '..'");
    assert_snapshot!(err(StreamName::parse("a/b")), @"may not contain '/'");
    assert_snapshot!(err(StreamName::parse("a%b/c")), @"may not contain '/', may not contain '%'");
    assert_snapshot!(err(StreamName::parse("Python")), @r#"must match "[a-z0-9]+(?:[._-][a-z0-9]+)*""#);
    for bad in ["", "a__b", "-a", "a-", "a..b"] {
        assert_eq!(
            StreamName::parse(bad).unwrap_err().kind(),
            ErrorKind::InvalidStreamName
        );
    }
    assert!(StreamName::parse(&"a".repeat(253)).is_ok());
    assert_snapshot!(err(StreamName::parse(&"a".repeat(254))), @"'namespace/name' cannot be longer than 255 characters");
    let ns = Namespace::parse(&"n".repeat(63)).unwrap();
    assert!(
        StreamName::parse(&"b".repeat(191))
            .unwrap()
            .check_qualified(&ns)
            .is_ok()
    );
    assert!(
        StreamName::parse(&"b".repeat(192))
            .unwrap()
            .check_qualified(&ns)
            .is_err()
    );
}

#[test]
fn namespaces() {
    for good in ["test", "openshift", "my-project", "0", &"a".repeat(63)] {
        assert_eq!(Namespace::parse(good).unwrap(), good);
    }
    assert_snapshot!(err(Namespace::parse("My_ns")), @"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
    assert_snapshot!(err(Namespace::parse(&"a".repeat(64))), @"must be no more than 63 characters");
    assert_snapshot!(err(Namespace::parse(&format!("-{}", "a".repeat(64)))), @"must be no more than 63 characters; a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
    for bad in ["", "a.b", "a-", "-a", "A"] {
        assert_eq!(
            Namespace::parse(bad).unwrap_err().kind(),
            ErrorKind::InvalidNamespace
        );
    }
}

#[test]
fn istag_strict() {
    let t = IsTagName::parse("python:3.5").unwrap();
    assert_eq!((t.name(), t.tag()), ("python", "3.5"));
    assert_eq!(t.to_string(), "python:3.5");
    assert_eq!(t, "python:3.5");
    assert_snapshot!(err(IsTagName::parse("python@sha256:abc")), @r#""python@sha256:abc" is an image stream image, not an image stream tag"#);
    assert_snapshot!(err(IsTagName::parse("python")), @r#"expected exactly one : delimiter in the istag "python""#);
    assert_snapshot!(err(IsTagName::parse("a:b:c")), @r#"expected exactly one : delimiter in the istag "a:b:c""#);
    assert_snapshot!(err(IsTagName::parse(":3.5")), @r#"image stream tag name ":3.5" must have a name and a tag"#);
    assert_snapshot!(err(IsTagName::parse("python:")), @r#"image stream tag name "python:" must have a name and a tag"#);
    assert_snapshot!(err(IsTagName::parse("Python:3")), @r#"must match "[a-z0-9]+(?:[._-][a-z0-9]+)*""#);
    let e = IsTagName::parse("python:.x").unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidTag, 7));
}

#[test]
fn istag_lenient_and_destination() {
    assert_eq!(split_image_stream_tag("foo"), ("foo", "latest", false));
    assert_eq!(split_image_stream_tag("foo:"), ("foo", "latest", true));
    assert_eq!(split_image_stream_tag("a:b:c"), ("a", "b:c", true));
    assert_eq!(IsTagName::parse_lenient("foo").unwrap(), "foo:latest");
    assert_eq!(IsTagName::parse_lenient("foo:").unwrap(), "foo:latest");
    assert!(IsTagName::parse_lenient("a:b:c").is_err());
    assert_eq!(IsTagName::parse_destination("foo:").unwrap(), "foo:latest");
    assert_snapshot!(err(IsTagName::parse_destination("python")), @r#""python" must be of the form <stream_name>:<tag>"#);
}

#[test]
fn isimage() {
    let i = IsImageName::parse("python@sha256:3c87c5").unwrap();
    assert_eq!((i.name(), i.id()), ("python", "sha256:3c87c5"));
    assert_eq!(i.to_string(), "python@sha256:3c87c5");
    assert_eq!(IsImageName::parse("python@3c87").unwrap().id(), "3c87");
    assert_snapshot!(err(IsImageName::parse("python")), @r#"expected exactly one @ in the isimage name "python""#);
    assert_snapshot!(err(IsImageName::parse("a@b@c")), @r#"expected exactly one @ in the isimage name "a@b@c""#);
    assert_snapshot!(err(IsImageName::parse("@sha256:1")), @r#"image stream image name "@sha256:1" must have a name and ID"#);
    assert_snapshot!(err(IsImageName::parse("a@sha 1")), @r#"invalid image id "sha 1": must be a digest or a digest prefix ([A-Za-z0-9+._:=-])"#);
    assert_snapshot!(err(IsImageName::parse("a@\"x\n")), @r#"invalid image id "\"x\n": must be a digest or a digest prefix ([A-Za-z0-9+._:=-])"#);
}

#[test]
fn names_serialize_as_strings() {
    let t: IsTagName = serde_json::from_str("\"python:3.6\"").unwrap();
    assert_eq!(serde_json::to_string(&t).unwrap(), "\"python:3.6\"");
    let e = serde_json::from_str::<TagName>("\"-x\"")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("invalid value \"-x\": invalid tag \"-x\" format"),
        "{e}"
    );
    let n: Namespace = serde_json::from_str("\"test\"").unwrap();
    assert_eq!(n.as_ref(), "test");
    assert_eq!(String::from(n), "test");
}

proptest! {
    #[test]
    fn tag_names_round_trip(s in "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}") {
        let t = TagName::parse(&s).unwrap();
        prop_assert_eq!(t.to_string().parse::<TagName>().unwrap(), t);
    }

    #[test]
    fn stream_and_namespace_round_trip(
        s in "[a-z0-9]{1,5}(?:[._-][a-z0-9]{1,5}){0,4}",
        ns in "[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?",
        tag in "[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}",
    ) {
        let stream = StreamName::parse(&s).unwrap();
        let namespace = Namespace::parse(&ns).unwrap();
        prop_assert!(stream.check_qualified(&namespace).is_ok());
        let istag = IsTagName::new(stream.clone(), TagName::parse(&tag).unwrap());
        prop_assert_eq!(IsTagName::parse(&istag.to_string()).unwrap(), istag);
        let isimage = IsImageName::parse(&format!("{s}@sha256:{tag}")).unwrap();
        prop_assert_eq!(IsImageName::parse(&isimage.to_string()).unwrap(), isimage);
    }

    #[test]
    fn name_parsers_never_panic(s in "\\PC{0,40}") {
        let _ = TagName::parse(&s);
        let _ = StreamName::parse(&s);
        let _ = Namespace::parse(&s);
        let _ = IsTagName::parse(&s);
        let _ = IsTagName::parse_lenient(&s);
        let _ = IsTagName::parse_destination(&s);
        let _ = IsImageName::parse(&s);
    }
}
