//! Issue #10, points 1 and 2: `describe` on hostile shapes. A cell of a
//! million tabs is laid out on a 64 KiB thread stack (the tabwriter no
//! longer recurses per column), and long tracking chains are resolved
//! once for the whole stream: every tag of a 20,000-tag chain is an alias
//! of its root, and creating such a stream finishes (it took a walk per
//! tag before, quadratic and cubic).

use imagestream::api;
use imagestream::chrono::{DateTime, TimeZone, Utc};
use imagestream::describe::{Style, describe_image_stream, tabwrite};
use imagestream::reference::TagName;
use imagestream::stream::{FollowErrorKind, ImageStream, SpecContext, SpecError};
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
}

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn a_million_tabs_in_one_cell_on_a_64_kib_stack() {
    let tabs = "\t".repeat(1_000_000);
    let out = on_small_stack(move || tabwrite(&format!("Label:\tx{tabs}y\nnext:\tz\n")));
    assert!(out.starts_with("Label:\tx\t"), "{}", &out[..20]);
    assert!(out.ends_with("y\nnext:\tz\n"));
    // Each empty column is one tab wide: the tabs stay tabs, one each.
    assert_eq!(out.matches('\t').count(), 1_000_000 + 2);
}

#[test]
fn a_label_of_a_million_tabs_describes_on_a_64_kib_stack() {
    let json = serde_json::json!({
        "metadata": {"name": "app", "namespace": "default",
                     "labels": {"evil": "\t".repeat(1_000_000)},
                     "annotations": {"env": "A=\t\t\tB"}},
    });
    let wire: api::ImageStream = serde_json::from_value(json).unwrap();
    let is = ImageStream::try_from(wire).unwrap();
    let out = on_small_stack(move || describe_image_stream(&is, now(), Style::Classic));
    assert!(out.starts_with("Name:\t\t\tapp\n"), "{}", &out[..40]);
    assert!(out.contains("evil="));
    assert!(out.matches('\t').count() >= 1_000_000);
}

/// A stream whose spec is the chain t1 -> t0, t2 -> t1, ..., t0 external.
fn chain(n: usize) -> api::ImageStream {
    let tags: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let from = if i == 0 {
                serde_json::json!({"kind": "DockerImage", "name": "busybox:1"})
            } else {
                serde_json::json!({"kind": "ImageStreamTag", "name": format!("t{}", i - 1)})
            };
            serde_json::json!({"name": format!("t{i}"), "from": from, "reference": i == 0})
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "app", "namespace": "default"},
        "spec": {"tags": tags},
    }))
    .unwrap()
}

#[test]
fn a_20000_tag_chain_is_created_and_described() {
    let n = 20_000;
    let mut is = ImageStream::try_from(chain(n)).unwrap();
    let changes = is.prepare_for_create(&SpecContext::new(now())).unwrap();
    // The root's reference event, followed down the whole chain.
    assert_eq!(changes.histories_changed.len(), n);
    let tracking = is.tracking();
    let last = format!("t{}", n - 1);
    let f = tracking.follow(&last).unwrap();
    assert_eq!(f.tag, "t0");
    assert!(f.multiple);
    assert_eq!(is.follow_tag_reference(&last).unwrap().tag, "t0");
    let out = describe_image_stream(&is, now(), Style::Classic);
    // One tag block, the root's; every other tag is listed as its alias.
    assert_eq!(
        out.matches("\nt").count(),
        1,
        "one tag block: {}",
        &out[..400]
    );
    assert!(
        out.contains("\nt0 (t1, t10, t100, t1000, "),
        "{}",
        &out[..400]
    );
    // Every other tag is listed once, as an alias of t0.
    assert_eq!(out.matches(", t").count(), n - 2);
    assert!(out.contains(&format!(", {last},")));
}

#[test]
fn a_long_circle_is_refused_naming_it() {
    let mut wire = chain(5_000);
    // Close the circle: t0 tracks the last tag.
    wire.spec.tags[0].from = Some(api::ObjectReference {
        kind: "ImageStreamTag".into(),
        name: "t4999".into(),
        ..api::ObjectReference::default()
    });
    let mut is = ImageStream::try_from(wire).unwrap();
    let err = is.prepare_for_create(&SpecContext::new(now())).unwrap_err();
    let SpecError::Circular(c) = err else {
        panic!("{err:?}")
    };
    assert_eq!(c.chain.len(), 5_001);
    assert_eq!(c.chain.first(), c.chain.last());
    assert_eq!(
        is.tracking().follow("t10").map_err(|e| e.kind()),
        Err(FollowErrorKind::Circular)
    );
}

/// A random spec of tracking tags: tag i tracks `targets[i]` (a tag of the
/// stream, maybe missing, maybe itself) or holds an external source.
fn random_stream(targets: &[Option<u8>]) -> ImageStream {
    let tags: Vec<serde_json::Value> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let from = match t {
                None => serde_json::json!({"kind": "DockerImage", "name": "busybox:1"}),
                Some(200..) => serde_json::json!({"kind": "ImageStreamTag", "name": "other:x"}),
                Some(t) => serde_json::json!({"kind": "ImageStreamTag", "name": format!("t{t}")}),
            };
            serde_json::json!({"name": format!("t{i}"), "from": from})
        })
        .collect();
    let wire: api::ImageStream = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "app", "namespace": "default"},
        "spec": {"tags": tags},
    }))
    .unwrap();
    ImageStream::try_from(wire).unwrap()
}

proptest! {
    /// The one-pass resolution answers exactly as a walk per tag does,
    /// for every tag and for names that are not tags.
    #[test]
    fn tracking_agrees_with_following_each_tag(
        targets in proptest::collection::vec(proptest::option::of(0u8..=210), 0..40),
    ) {
        let is = random_stream(&targets);
        let tracking = is.tracking();
        for i in 0..targets.len() + 3 {
            let name = format!("t{i}");
            prop_assert_eq!(tracking.follow(&name), is.follow_tag_reference(&name));
            let on_circle = tracking.circle(&name);
            if let Some(c) = &on_circle {
                prop_assert_eq!(c.chain.first().map(TagName::as_str), Some(name.as_str()));
                prop_assert_eq!(c.chain.first(), c.chain.last());
                prop_assert_eq!(is.follow_tag_reference(&name).map_err(|e| e.kind()), Err(FollowErrorKind::Circular));
            }
        }
    }
}

/// Work grows linearly with the chain: a deterministic measure (heap
/// allocations, counted by the test binary's allocator) instead of a
/// timing. A walk per tag with a set of its own, as before, made this
/// quadratic (about 100 times more allocations for 10 times the tags).
#[test]
fn creating_and_describing_a_chain_allocate_linearly() {
    use crate::util::alloc::allocations;
    let create = |n: usize| {
        let mut is = ImageStream::try_from(chain(n)).unwrap();
        let (count, result) = allocations(|| is.prepare_for_create(&SpecContext::new(now())));
        result.unwrap();
        (count, is)
    };
    let (small, small_is) = create(1_000);
    let (large, large_is) = create(10_000);
    println!("create allocations: {small} for 1,000 tags, {large} for 10,000");
    assert!(
        large <= 12 * small,
        "create: {large} allocations for 10,000 tags vs {small} for 1,000"
    );
    let (small, _) = allocations(|| describe_image_stream(&small_is, now(), Style::Classic));
    let (large, _) = allocations(|| describe_image_stream(&large_is, now(), Style::Classic));
    assert!(
        large <= 12 * small,
        "describe: {large} allocations for 10,000 tags vs {small} for 1,000"
    );
}
