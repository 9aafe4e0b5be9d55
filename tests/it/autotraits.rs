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
