//! The scheduled import scheduler (§15.2): cadence, bucket counts, the
//! import limiter, delay and conditional removal.

use imagestream::chrono::{DateTime, TimeDelta, Utc};
use imagestream::ops::schedule::{ScheduleConfig, Scheduler};
use proptest::prelude::*;

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

/// Runs the scheduler second by second for `seconds`, returning each
/// import as (second, key).
fn run(s: &mut Scheduler<u32, u32>, seconds: i64) -> Vec<(i64, u32)> {
    let mut out = Vec::new();
    for t in 0..=seconds {
        for (k, _) in s.due(start() + TimeDelta::seconds(t)).import {
            out.push((t, k));
        }
    }
    out
}

#[test]
fn a_stream_comes_up_once_per_interval() {
    let mut s = Scheduler::new(ScheduleConfig::default(), start());
    s.add(7, 0);
    let seen = run(&mut s, 2 * 3600);
    let times: Vec<i64> = seen.iter().map(|(t, _)| *t).collect();
    // 5 buckets, one visit every 225 s: every 900 s after the first.
    assert_eq!(times, [900, 1800, 2700, 3600, 4500, 5400, 6300, 7200]);
    assert_eq!(s.next_visit(), start() + TimeDelta::seconds(7200 + 225));
}

#[test]
fn bucket_counts_follow_the_interval() {
    let config = |mins| ScheduleConfig::default().interval(TimeDelta::minutes(mins));
    assert_eq!(config(15).buckets(), 4);
    assert_eq!(config(120).buckets(), 8);
    assert_eq!(config(5).buckets(), 2);
    // Two buckets (three with the current one) over five minutes.
    let mut s = Scheduler::new(config(5), start());
    s.add(1, 0);
    let times: Vec<i64> = run(&mut s, 900).iter().map(|(t, _)| *t).collect();
    assert_eq!(times, [300, 600, 900]);
}

#[test]
fn new_streams_spread_over_the_buckets() {
    let mut s = Scheduler::new(ScheduleConfig::default().max_per_minute(0), start());
    for k in 0..8 {
        s.add(k, 0);
    }
    let seen = run(&mut s, 900);
    let mut per_visit = std::collections::BTreeMap::new();
    for (t, _) in &seen {
        *per_visit.entry(*t).or_insert(0) += 1;
    }
    // Four non-current buckets, two streams each, the furthest first.
    assert_eq!(
        per_visit.values().copied().collect::<Vec<_>>(),
        [2, 2, 2, 2]
    );
    assert_eq!(s.len(), 8);
}

#[test]
fn the_import_limiter_skips_streams_until_their_next_turn() {
    let mut s = Scheduler::new(ScheduleConfig::default().max_per_minute(6), start());
    for k in 0..100 {
        s.add(k, 0);
    }
    // The first visit with streams (225 s) has the burst: 12 tokens.
    let mut imported = 0;
    let mut skipped = 0;
    for t in 0..=225 {
        let due = s.due(start() + TimeDelta::seconds(t));
        imported += due.import.len();
        skipped += due.skipped.len();
    }
    assert_eq!((imported, skipped), (12, 13));
    // Unlimited: all of them.
    let mut s = Scheduler::new(ScheduleConfig::default().max_per_minute(0), start());
    for k in 0..100 {
        s.add(k, 0);
    }
    assert_eq!(run(&mut s, 900).len(), 100);
}

#[test]
fn delay_add_and_conditional_remove() {
    let mut s = Scheduler::new(ScheduleConfig::default(), start());
    s.add(1, 10);
    assert!(s.contains(&1));
    // Re-adding updates the value only.
    s.add(1, 11);
    assert!(!s.remove(&1, &10), "a stale value does not remove");
    assert!(s.contains(&1));
    // Delay: after a regular import, the next turn is a full cycle away.
    let _ = s.due(start() + TimeDelta::seconds(225));
    s.delay(&1);
    let seen: Vec<i64> = (226..=2000)
        .flat_map(|t| {
            s.due(start() + TimeDelta::seconds(t))
                .import
                .into_iter()
                .map(move |_| t)
        })
        .collect();
    // Behind the current bucket (position 2 after the visit at 225 s):
    // visits at 450, 675, 900 and 1125 s come first.
    assert_eq!(seen.first(), Some(&1350), "{seen:?}");
    assert!(s.remove(&1, &11));
    assert!(s.is_empty());
}

proptest! {
    #[test]
    fn every_stream_comes_up_every_interval(keys in prop::collection::btree_set(0u32..1000, 1..60), offset in 0i64..900) {
        let mut s = Scheduler::new(ScheduleConfig::default().max_per_minute(0), start());
        let _ = s.due(start() + TimeDelta::seconds(offset));
        for k in &keys {
            s.add(*k, 0);
        }
        let mut times: std::collections::BTreeMap<u32, Vec<i64>> = std::collections::BTreeMap::new();
        for t in offset..offset + 3600 {
            for (k, _) in s.due(start() + TimeDelta::seconds(t)).import {
                times.entry(k).or_default().push(t);
            }
        }
        prop_assert_eq!(times.len(), keys.len());
        for ts in times.values() {
            // The first turn within an interval and a visit of the add,
            // then exactly one interval apart.
            prop_assert!(ts[0] - offset <= 900 + 225, "{:?}", ts);
            prop_assert!(ts.windows(2).all(|w| w[1] - w[0] == 900), "{:?}", ts);
        }
    }
}

#[test]
fn removed_readded_and_delayed_streams_come_up_once_per_turn() {
    let mut s = Scheduler::new(ScheduleConfig::default().max_per_minute(0), start());
    for k in 0..4 {
        s.add(k, 0);
    }
    // Remove and add again (it may land in the same bucket as its stale
    // copy), delay another twice: each still comes up once per cycle.
    assert!(s.remove(&0, &0));
    s.add(0, 1);
    s.delay(&1);
    s.delay(&1);
    assert!(s.remove(&2, &0));
    let seen = run(&mut s, 3 * 900);
    for k in [0, 1, 3] {
        let times: Vec<i64> = seen
            .iter()
            .filter(|(_, x)| *x == k)
            .map(|(t, _)| *t)
            .collect();
        assert!(
            times.windows(2).all(|w| w[1] - w[0] == 900),
            "{k}: {times:?}"
        );
        assert!((2..=3).contains(&times.len()), "{k}: {times:?}");
    }
    assert!(seen.iter().all(|(_, k)| *k != 2), "removed");
    assert_eq!(s.len(), 3);
}
