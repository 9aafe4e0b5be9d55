//! The scheduled import controller's scheduler (§15.2), as a pure data
//! structure driven by the caller's clock.
//!
//! Streams sit in `buckets + 1` buckets visited round-robin, one visit
//! every `interval / buckets`, so each stream comes up about once per
//! interval (15 minutes by default). When a bucket is visited, each of its
//! streams is due for an import if the import limiter has a token (60 per
//! minute, burst 120, by default) and is skipped until its next turn
//! otherwise; either way it moves to the bucket just behind the current
//! one.
//!
//! ```
//! use imagestream::chrono::{TimeDelta, Utc};
//! use imagestream::ops::schedule::{ScheduleConfig, Scheduler};
//!
//! let start = Utc::now();
//! let mut s: Scheduler<&str, u64> = Scheduler::new(ScheduleConfig::default(), start)?;
//! s.add("default/python", 1);
//! let mut seen = Vec::new();
//! for minute in 0..=15 {
//!     let due = s.due(start + TimeDelta::minutes(minute));
//!     seen.extend(due.import.into_iter().map(|(k, _)| (minute, k)));
//! }
//! assert_eq!(seen.len(), 1, "once per 15 minutes: {seen:?}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! After a gap in the caller's clock (a suspended process, a stalled
//! loop) the missed visits are not replayed one by one: one call visits
//! each bucket whose time came at most once, returns each stream at most
//! once, and the limiter is refilled for the time that really passed (so
//! at most its burst goes through). A call costs O(streams due), however
//! long the gap.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::checked;

/// A [`ScheduleConfig`] the scheduler cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// The interval leaves no time between bucket visits.
    #[error(
        "invalid schedule interval {interval}: it must be positive and at least {buckets} ns (one per bucket)"
    )]
    Interval {
        /// The interval given.
        interval: TimeDelta,
        /// The buckets it is divided into.
        buckets: usize,
    },
}

/// The scheduler's settings (OpenShift's `ImageImportControllerConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScheduleConfig {
    /// How often a stream comes up (`scheduledImageImportMinimumIntervalSeconds`,
    /// default 900 s).
    pub interval: TimeDelta,
    /// Imports allowed per minute, with a burst of twice as many
    /// (`maxScheduledImageImportsPerMinute`, default 60); 0 means no limit.
    pub max_per_minute: u32,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            interval: TimeDelta::seconds(900),
            max_per_minute: 60,
        }
    }
}

impl ScheduleConfig {
    /// With another interval.
    #[must_use]
    pub fn interval(mut self, interval: TimeDelta) -> Self {
        self.interval = interval;
        self
    }

    /// With another import rate (0: unlimited).
    #[must_use]
    pub fn max_per_minute(mut self, max: u32) -> Self {
        self.max_per_minute = max;
        self
    }

    /// The number of buckets: 8 for intervals over an hour, 2 under ten
    /// minutes, else 4 (the scheduler adds one more, the current one).
    #[must_use]
    pub fn buckets(&self) -> usize {
        if self.interval > TimeDelta::hours(1) {
            8
        } else if self.interval < TimeDelta::minutes(10) {
            2
        } else {
            4
        }
    }
}

/// A token bucket on the caller's clock, in exact integer arithmetic:
/// `count` tokens per `period`, one token being `period` microseconds'
/// worth of units, so refills never round.
#[derive(Debug, Clone)]
struct TokenBucket {
    count: i128,
    /// One token, in units (the period in microseconds).
    unit: i128,
    /// The most units held (the burst).
    cap: i128,
    units: i128,
    at: DateTime<Utc>,
}

impl TokenBucket {
    /// `count` tokens per `period`, at most `burst` held; full at `now`.
    fn new(count: u32, period: TimeDelta, burst: u32, now: DateTime<Utc>) -> Self {
        let unit = (checked::nanos(period) / 1000).max(1);
        let cap = unit * i128::from(burst.max(1));
        Self {
            count: i128::from(count),
            unit,
            cap,
            units: cap,
            at: now,
        }
    }

    fn refill(&mut self, now: DateTime<Utc>) {
        if now > self.at {
            // Microseconds; a span of `DateTime`s is far below i128's range.
            let elapsed = checked::nanos(now - self.at) / 1000;
            self.units = self
                .units
                .saturating_add(elapsed.saturating_mul(self.count))
                .min(self.cap);
            self.at = now;
        }
    }

    fn take(&mut self, now: DateTime<Utc>) -> bool {
        self.refill(now);
        if self.units >= self.unit {
            self.units -= self.unit;
            true
        } else {
            false
        }
    }
}

/// What one call to [`Scheduler::due`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Due<K, V> {
    /// Streams to import now.
    pub import: Vec<(K, V)>,
    /// Streams whose turn came without an import token: they wait for
    /// their next turn.
    pub skipped: Vec<(K, V)>,
}

/// The scheduled import scheduler: keys (streams) with a value (what the
/// controller saw: uid and resource version), in rotating buckets.
#[derive(Debug, Clone)]
pub struct Scheduler<K, V> {
    /// Keys per bucket, appended in O(1). A key moved or removed leaves a
    /// stale copy behind; `values` says where each key really is, and a
    /// visit drops the copies that are not there.
    buckets: Vec<Vec<K>>,
    /// How many keys really are in each bucket.
    counts: Vec<usize>,
    /// Per key: its bucket, its value, and the last [`due`](Self::due)
    /// call that returned it.
    values: BTreeMap<K, (usize, V, u64)>,
    position: usize,
    /// When the current bucket is visited.
    next_visit: DateTime<Utc>,
    /// The time between visits: the interval over the buckets.
    step: TimeDelta,
    imports: Option<TokenBucket>,
    /// How many `due` calls were made.
    call: u64,
}

impl<K: Ord + Clone, V: Clone + PartialEq> Scheduler<K, V> {
    /// An empty scheduler starting at `now`.
    ///
    /// # Errors
    ///
    /// [`ScheduleError::Interval`] when the interval is zero, negative, or
    /// too short to divide among the buckets.
    pub fn new(config: ScheduleConfig, now: DateTime<Utc>) -> Result<Self, ScheduleError> {
        let buckets = config.buckets();
        // Buckets are 2, 4 or 8.
        let step = checked::nanos(config.interval) / i128::from(buckets as u8);
        if step <= 0 {
            return Err(ScheduleError::Interval {
                interval: config.interval,
                buckets,
            });
        }
        let imports = (config.max_per_minute > 0).then(|| {
            let max = config.max_per_minute;
            TokenBucket::new(max, TimeDelta::minutes(1), max.saturating_mul(2), now)
        });
        Ok(Self {
            buckets: vec![Vec::new(); buckets + 1],
            counts: vec![0; buckets + 1],
            values: BTreeMap::new(),
            position: 0,
            next_visit: now,
            step: checked::from_nanos(step),
            imports,
            call: 0,
        })
    }

    /// How many streams are scheduled.
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether nothing is scheduled.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Whether `key` is scheduled.
    #[must_use]
    pub fn contains(&self, key: &K) -> bool {
        self.values.contains_key(key)
    }

    /// Schedules `key`, or updates its value if it is scheduled. A new key
    /// goes into the emptiest bucket other than the current one, the one
    /// furthest ahead of the current position on a tie.
    pub fn add(&mut self, key: K, value: V) {
        if let Some((_, v, _)) = self.values.get_mut(&key) {
            *v = value;
            return;
        }
        let n = self.buckets.len();
        // Distance ahead of the current bucket: 1 (next) to n - 1 (behind).
        let target = (1..n)
            .map(|ahead| (self.position + ahead) % n)
            .min_by_key(|&b| (self.counts[b], n - self.distance(b)))
            .unwrap_or(0);
        self.place(key.clone(), target);
        self.values.insert(key, (target, value, 0));
    }

    /// Unschedules `key` if its value is `value` (a stream replaced since
    /// is left alone). Returns whether it was removed.
    pub fn remove(&mut self, key: &K, value: &V) -> bool {
        match self.values.get(key) {
            Some((bucket, v, _)) if v == value => {
                self.counts[*bucket] -= 1;
                self.values.remove(key);
                true
            }
            _ => false,
        }
    }

    /// Moves `key` to the bucket just behind the current one, so its next
    /// turn is a whole interval away (after a regular import of it).
    pub fn delay(&mut self, key: &K) {
        let behind = self.behind();
        if let Some((bucket, _, _)) = self.values.get_mut(key) {
            self.counts[*bucket] -= 1;
            *bucket = behind;
            self.place(key.clone(), behind);
        }
    }

    /// Visits every bucket whose time has come by `now` (one every
    /// `interval / buckets`, the first at the start), as OpenShift's loop
    /// does waiting on its bucket limiter: each stream in a visited bucket
    /// is due for import if the import limiter has a token, else skipped;
    /// both move just behind the current bucket.
    ///
    /// After a gap, the visits missed are not replayed: each bucket is
    /// visited at most once per call and each stream returned at most once;
    /// the limiter is refilled for the time really elapsed up to `now`.
    /// The cost is O(streams due), whatever the gap. Near
    /// [`DateTime::<Utc>::MAX_UTC`] the next visit saturates there.
    pub fn due(&mut self, now: DateTime<Utc>) -> Due<K, V> {
        let mut due = Due {
            import: Vec::new(),
            skipped: Vec::new(),
        };
        if self.next_visit > now {
            return due;
        }
        self.call += 1;
        let call = self.call;
        let n = self.buckets.len();
        // How many visits were due by `now`, exactly, without looping over
        // them.
        let step = checked::nanos(self.step);
        let missed = checked::nanos(now - self.next_visit) / step + 1;
        self.next_visit = checked::add_time(
            self.next_visit,
            checked::from_nanos(missed.saturating_mul(step)),
        );
        // Only the last round of visits matters: an earlier visit of a
        // bucket would only move its streams to where the last one does.
        let visits = usize::try_from(missed).unwrap_or(usize::MAX);
        let skip = visits.saturating_sub(n) % n;
        self.position = (self.position + skip) % n;
        if let Some(limiter) = self.imports.as_mut() {
            limiter.refill(now);
        }
        for _ in 0..visits.min(n) {
            let here = self.position;
            let visited = std::mem::take(&mut self.buckets[here]);
            let behind = self.behind();
            for key in visited {
                // Stale copies: removed, or moved elsewhere.
                let Some((bucket, value, seen)) =
                    self.values.get_mut(&key).filter(|(b, _, _)| *b == here)
                else {
                    continue;
                };
                if *seen == call {
                    // Returned earlier in this call and placed here since:
                    // it stays for its next turn.
                    self.buckets[here].push(key);
                    continue;
                }
                *bucket = behind;
                *seen = call;
                let value = value.clone();
                self.counts[here] -= 1;
                let allowed = self.imports.as_mut().is_none_or(|l| l.take(now));
                self.place(key.clone(), behind);
                if allowed {
                    due.import.push((key, value));
                } else {
                    due.skipped.push((key, value));
                }
            }
            self.position = (self.position + 1) % n;
        }
        due
    }

    /// When the next bucket is visited.
    #[must_use]
    pub fn next_visit(&self) -> DateTime<Utc> {
        self.next_visit
    }

    fn place(&mut self, key: K, bucket: usize) {
        self.buckets[bucket].push(key);
        self.counts[bucket] += 1;
    }

    fn behind(&self) -> usize {
        (self.position + self.buckets.len() - 1) % self.buckets.len()
    }

    fn distance(&self, bucket: usize) -> usize {
        (bucket + self.buckets.len() - self.position) % self.buckets.len()
    }
}
