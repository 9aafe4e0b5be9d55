//! Issue #10, point 4: arithmetic on outside values (a generation read
//! from the wire, a revision, clock times, ages) returns a typed error or
//! saturates as documented; it never wraps or panics. Integration tests
//! build with the dev profile, whose overflow checks are on, so an
//! unchecked `+ 1` here would panic rather than wrap unnoticed.

use imagestream::api;
use imagestream::chrono::{DateTime, TimeDelta, TimeZone, Utc};
use imagestream::describe::{Style, describe_image_stream, human_duration};
use imagestream::ops::import::{ImportResult, apply_import, plan_import};
use imagestream::ports::{Clock, ManualClock};
use imagestream::stream::{
    ImageStream, RollbackError, RollbackTarget, SpecContext, SpecError, SpecTag, TagHistory,
    TagSource,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
}

/// A stream decoded from the wire at generation `generation`, with one
/// imported tag `t` (two entries) and one external spec tag `ext`.
fn stream_at(generation: i64) -> ImageStream {
    let json = serde_json::json!({
        "kind": "ImageStream",
        "apiVersion": "image.openshift.io/v1",
        "metadata": {"name": "app", "namespace": "default", "generation": generation},
        "spec": {"tags": [
            {"name": "t", "from": {"kind": "DockerImage", "name": "busybox:1"}},
            {"name": "ext", "from": {"kind": "DockerImage", "name": "busybox:2"}}
        ]},
        "status": {"dockerImageRepository": "r/default/app", "tags": [
            {"tag": "t", "items": [
                {"created": "2024-01-01T00:00:00Z", "dockerImageReference": format!("busybox@sha256:{}", "b".repeat(64)), "image": format!("sha256:{}", "b".repeat(64)), "generation": 1},
                {"created": "2023-01-01T00:00:00Z", "dockerImageReference": format!("busybox@sha256:{}", "a".repeat(64)), "image": format!("sha256:{}", "a".repeat(64)), "generation": 1}
            ]}
        ]}
    });
    let wire: api::ImageStream = serde_json::from_value(json).unwrap();
    ImageStream::try_from(wire).unwrap()
}

fn ctx() -> SpecContext<'static> {
    SpecContext::new(now())
}

#[test]
fn spec_changes_at_the_largest_generation_are_refused_unchanged() {
    let mut is = stream_at(i64::MAX);
    let before = is.clone();
    let spec = SpecTag::new(TagSource::DockerImage("busybox:3".parse().unwrap()));
    let err = is
        .set_spec_tag("new".parse().unwrap(), spec, &ctx())
        .unwrap_err();
    assert!(matches!(err, SpecError::Generation(_)), "{err:?}");
    assert!(err.to_string().contains("9223372036854775807"), "{err}");
    assert_eq!(is, before, "a refused change writes nothing");

    let next = before
        .spec_tags()
        .map(|(t, s)| (t.clone(), s.clone()))
        .filter(|(t, _)| t != "ext")
        .collect();
    assert!(matches!(
        is.update_spec(next, &ctx()),
        Err(SpecError::Generation(_))
    ));
    assert_eq!(is, before);

    let err = is
        .rollback(&"t".parse().unwrap(), &RollbackTarget::Revision(1), now())
        .unwrap_err();
    assert!(
        matches!(err, RollbackError::Spec(SpecError::Generation(_))),
        "{err:?}"
    );
    assert_eq!(is, before);
}

#[test]
fn an_import_at_the_largest_generation_is_refused_unchanged() {
    let mut is = stream_at(i64::MAX);
    let before = is.clone();
    let plan = plan_import(&is);
    assert!(!plan.is_empty());
    let results: Vec<_> = plan
        .into_iter()
        .map(|r| {
            (
                r,
                ImportResult::Failed {
                    reason: "NotFound".into(),
                    message: "gone".into(),
                },
            )
        })
        .collect();
    let err = apply_import(&mut is, &results, &ctx()).unwrap_err();
    assert!(matches!(err, SpecError::Generation(_)), "{err:?}");
    assert_eq!(is, before);
}

#[test]
fn removals_at_the_largest_generation_saturate() {
    let mut is = stream_at(i64::MAX);
    assert!(is.remove_spec_tag("ext").is_some());
    assert_eq!(is.generation(), i64::MAX);
    is.delete_tag("t").unwrap();
    assert_eq!(is.generation(), i64::MAX);
    // One below the limit still counts up.
    let mut is = stream_at(i64::MAX - 1);
    assert!(is.remove_spec_tag("ext").is_some());
    assert_eq!(is.generation(), i64::MAX);
}

#[test]
fn history_lookups_past_the_end_are_none() {
    let is = stream_at(1);
    let h: &TagHistory = is.history("t").unwrap();
    assert!(h.get(usize::MAX).is_none());
    assert!(h.get(usize::MAX - 1).is_none());
    assert!(h.get(1).is_some());
    let err = stream_at(1)
        .rollback(
            &"t".parse().unwrap(),
            &RollbackTarget::Revision(usize::MAX),
            now(),
        )
        .unwrap_err();
    assert!(
        matches!(err, RollbackError::RevisionOutOfRange { .. }),
        "{err:?}"
    );
}

#[test]
fn the_manual_clock_saturates_at_the_end_of_time() {
    let clock = ManualClock::new(DateTime::<Utc>::MAX_UTC - TimeDelta::seconds(1));
    clock.advance(TimeDelta::days(1));
    assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
    clock.advance(TimeDelta::MAX);
    assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
    let clock = ManualClock::new(DateTime::<Utc>::MIN_UTC + TimeDelta::seconds(1));
    clock.advance(TimeDelta::MIN);
    assert_eq!(clock.now(), DateTime::<Utc>::MIN_UTC);
}

#[test]
fn ages_beyond_go_durations_saturate_like_oc() {
    // Go: time.Since saturates at 1<<63-1 ns; HumanDuration prints
    // int(d.Hours()/24/365) = 292 years.
    assert_eq!(human_duration(TimeDelta::days(365 * 2024)), "292 years");
    assert_eq!(human_duration(TimeDelta::MAX), "292 years");
    assert_eq!(
        human_duration(TimeDelta::nanoseconds(i64::MAX)),
        "292 years"
    );
    assert_eq!(human_duration(TimeDelta::days(365 * 200)), "200 years");
    assert_eq!(human_duration(TimeDelta::MIN), "Less than a second");
    // And in describe, for a creation time of year 1.
    let json = serde_json::json!({
        "metadata": {"name": "app", "namespace": "default",
                     "creationTimestamp": "0001-01-01T00:00:00Z"},
    });
    let wire: api::ImageStream = serde_json::from_value(json).unwrap();
    let is = ImageStream::try_from(wire).unwrap();
    let out = describe_image_stream(&is, now(), Style::Classic);
    assert!(out.contains("292 years ago"), "{out}");
    // A creation time at the end of `DateTime` (in the future) is fine too.
    let far = describe_image_stream(&is, DateTime::<Utc>::MIN_UTC, Style::Classic);
    assert!(far.contains("Less than a second ago"), "{far}");
}
