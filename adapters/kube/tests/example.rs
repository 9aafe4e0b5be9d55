//! The `describe` example's offline part, against the mock API server.

mod support;

#[path = "../examples/describe.rs"]
#[allow(dead_code, unreachable_pub)] // its `main` is the example's
mod example;

use imagestream::chrono::{DateTime, Utc};
use imagestream::ports::StreamStore;
use support::Served;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_500_000_100, 0).unwrap()
}

#[test]
fn the_example_lists_the_namespace_and_describes_one_stream() {
    let served = Served::new();
    // More than one page of the example's 100.
    for i in 0..105 {
        served
            .create(imagestream::testing::store::stream(
                "ci",
                &format!("s{i:03}"),
            ))
            .unwrap();
    }
    served
        .create(imagestream::testing::store::rich_stream("ci", "python"))
        .unwrap();
    served
        .create(imagestream::testing::store::stream("other", "hidden"))
        .unwrap();
    let mut out = Vec::new();
    example::run(&served, "ci", Some("python"), now(), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("NAME"), "{out}");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with('s')).count(),
        105,
        "every page"
    );
    assert!(lines.iter().any(|l| l.starts_with("python ")), "{out}");
    assert!(!out.contains("hidden"), "only the namespace");
    let description = out
        .split_once("\n\n")
        .expect("a blank line before the description")
        .1;
    let expected = imagestream::describe::describe_image_stream(
        &served
            .get(
                &imagestream::reference::Namespace::parse("ci").unwrap(),
                &imagestream::reference::StreamName::parse("python").unwrap(),
            )
            .unwrap()
            .value,
        now(),
        imagestream::describe::Style::Current,
    );
    assert_eq!(description, expected);
    assert!(description.starts_with("Name:"), "{description}");
}

#[test]
fn the_example_says_so_when_the_namespace_is_empty_and_names_a_bad_stream() {
    let served = Served::new();
    let mut out = Vec::new();
    example::run(&served, "empty", None, now(), &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "No resources found in empty namespace.\n"
    );
    served
        .create(imagestream::testing::store::stream("ci", "a"))
        .unwrap();
    let e = example::run(&served, "ci", Some("Not_A_Name"), now(), &mut Vec::new()).unwrap_err();
    assert!(e.to_string().contains("Not_A_Name"), "{e}");
    let e = example::run(&served, "ci", Some("absent"), now(), &mut Vec::new()).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"imagestreams.image.openshift.io "absent" not found"#
    );
}
