//! Every public type is `Send + Sync + Unpin` (and stays so).

use imagestream::reference::*;

fn error<T: std::error::Error + Send + Sync + 'static>() {}

fn assert_auto<T: Send + Sync + Unpin + std::fmt::Debug + Clone>() {}

#[test]
fn public_types_are_send_sync() {
    assert_auto::<ImageReference>();
    assert_auto::<DockerReference>();
    assert_auto::<AnyReference>();
    assert_auto::<Digest>();
    assert_auto::<Algorithm>();
    assert_auto::<TagName>();
    assert_auto::<StreamName>();
    assert_auto::<Namespace>();
    assert_auto::<IsTagName>();
    assert_auto::<IsImageName>();
    assert_auto::<ReferenceError>();
    assert_auto::<ErrorKind>();
    error::<ReferenceError>();
    error::<imagestream::Error>();
    // Tag policies and holds.
    assert_auto::<imagestream::stream::TagPolicy>();
    assert_auto::<imagestream::stream::Hold>();
    assert_auto::<imagestream::stream::Platform>();
    assert_auto::<imagestream::ops::policy::Candidate>();
    assert_auto::<imagestream::ops::policy::Explanation>();
    assert_auto::<imagestream::ops::policy::PolicyReport>();
    assert_auto::<imagestream::ops::policy::Pinned>();
    error::<imagestream::stream::PolicyError>();
    error::<imagestream::stream::HoldError>();
    error::<imagestream::stream::NoSpecTag>();
    error::<imagestream::ops::policy::PinError>();
}

#[test]
fn debug_is_compact_and_never_empty() {
    let r = ImageReference::parse("quay.io/a/b:c").unwrap();
    assert_eq!(
        format!("{r:?}"),
        r#"ImageReference { registry: "quay.io", namespace: "a", name: "b", tag: "c" }"#
    );
    let d = DockerReference::parse("a/b").unwrap();
    assert_eq!(format!("{d:?}"), "DockerReference(a/b)");
    assert_eq!(
        format!("{:?}", TagName::parse("x").unwrap()),
        r#"TagName("x")"#
    );
    assert_eq!(
        format!("{:?}", IsTagName::parse("s:t").unwrap()),
        "IsTagName(s:t)"
    );
}
