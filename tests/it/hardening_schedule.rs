//! Issue #10, point 3: after a gap in the caller's clock the scheduler
//! does not replay the visits it missed; an interval of zero is refused
//! when the scheduler is built; times near the end of `DateTime` saturate.

use std::collections::BTreeSet;

use imagestream::chrono::{DateTime, TimeDelta, Utc};
use imagestream::ops::schedule::{ScheduleConfig, ScheduleError, Scheduler};
use proptest::prelude::*;

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

#[test]
fn a_day_long_gap_returns_each_stream_once_and_at_most_the_burst() {
    let mut s = Scheduler::new(ScheduleConfig::default(), start()).unwrap();
    for k in 0..1000u32 {
        s.add(k, 0);
    }
    // The first visit (of the empty current bucket) at the start.
    assert!(s.due(start()).import.is_empty());
    let due = s.due(start() + TimeDelta::days(1));
    let keys: BTreeSet<u32> = due
        .import
        .iter()
        .chain(&due.skipped)
        .map(|(k, _)| *k)
        .collect();
    assert_eq!(
        keys.len(),
        due.import.len() + due.skipped.len(),
        "a stream came up twice in one call"
    );
    assert_eq!(keys.len(), 1000, "every stream had its turn");
    // The limiter refilled on the real elapsed day: its burst, no more.
    assert_eq!(due.import.len(), 120);
    // The next visit is the first one after `now`, not one of the past.
    assert!(s.next_visit() > start() + TimeDelta::days(1));
    assert!(s.next_visit() <= start() + TimeDelta::days(1) + TimeDelta::seconds(225));
    // Right after, nothing is due twice: the next call sees the next
    // bucket only.
    let again = s.due(s.next_visit());
    assert!(again.import.len() + again.skipped.len() <= 250);
}

#[test]
fn a_gap_without_a_limit_still_returns_each_stream_once() {
    let config = ScheduleConfig::default().max_per_minute(0);
    let mut s = Scheduler::new(config, start()).unwrap();
    for k in 0..1000u32 {
        s.add(k, 0);
    }
    let due = s.due(start() + TimeDelta::days(1));
    assert_eq!(due.import.len(), 1000);
    let keys: BTreeSet<u32> = due.import.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys.len(), 1000);
    // And the cadence resumes: each stream once per interval afterwards.
    let mut seen = Vec::new();
    let from = s.next_visit();
    for minute in 0..15 {
        let due = s.due(from + TimeDelta::minutes(minute));
        seen.extend(due.import.into_iter().map(|(k, _)| k));
    }
    let distinct: BTreeSet<u32> = seen.iter().copied().collect();
    assert_eq!(
        seen.len(),
        distinct.len(),
        "once per interval after the gap"
    );
}

#[test]
fn a_zero_or_negative_interval_is_refused() {
    for interval in [
        TimeDelta::zero(),
        TimeDelta::seconds(-5),
        TimeDelta::nanoseconds(1),
    ] {
        let config = ScheduleConfig::default().interval(interval);
        let err = Scheduler::<u32, u32>::new(config, start()).unwrap_err();
        assert!(matches!(err, ScheduleError::Interval { .. }), "{err:?}");
        assert!(
            err.to_string().contains("invalid schedule interval"),
            "{err}"
        );
    }
    // The shortest interval that leaves a nanosecond per bucket works, and
    // a 10 s gap is one round of visits, not ten billion.
    let config = ScheduleConfig::default()
        .interval(TimeDelta::nanoseconds(3))
        .max_per_minute(0);
    let mut s = Scheduler::new(config, start()).unwrap();
    s.add(1, 0);
    let due = s.due(start() + TimeDelta::seconds(10));
    assert_eq!(due.import.len(), 1);
}

#[test]
fn the_end_of_time_saturates() {
    let end = DateTime::<Utc>::MAX_UTC;
    let mut s = Scheduler::new(ScheduleConfig::default(), end - TimeDelta::seconds(10)).unwrap();
    s.add(1, 0);
    for _ in 0..3 {
        let _ = s.due(end);
    }
    assert_eq!(s.next_visit(), end);
    // A call before the saturated visit time returns nothing.
    assert!(s.due(end - TimeDelta::seconds(1)).import.is_empty());
}

proptest! {
    /// Whatever the calls' times, one call never returns a stream twice,
    /// and with no limit every stream comes up within one interval plus
    /// one visit of any call at least that long after the previous one.
    #[test]
    fn each_stream_at_most_once_per_call(
        gaps in proptest::collection::vec(0i64..200_000, 1..20),
        n in 1u32..60,
    ) {
        let config = ScheduleConfig::default().max_per_minute(0);
        let mut s = Scheduler::new(config, start()).unwrap();
        for k in 0..n {
            s.add(k, 0);
        }
        let mut now = start();
        for gap in gaps {
            now += TimeDelta::seconds(gap);
            let due = s.due(now);
            let keys: BTreeSet<u32> = due.import.iter().map(|(k, _)| *k).collect();
            prop_assert_eq!(keys.len(), due.import.len());
            if gap >= 900 + 225 {
                prop_assert_eq!(keys.len(), n as usize);
            }
        }
    }
}
