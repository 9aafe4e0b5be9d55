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
//! let mut s: Scheduler<&str, u64> = Scheduler::new(ScheduleConfig::default(), start);
//! s.add("default/python", 1);
//! let mut seen = Vec::new();
//! for minute in 0..=15 {
//!     let due = s.due(start + TimeDelta::minutes(minute));
//!     seen.extend(due.import.into_iter().map(|(k, _)| (minute, k)));
//! }
//! assert_eq!(seen.len(), 1, "once per 15 minutes: {seen:?}");
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

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
        let unit = i128::from(period.num_microseconds().unwrap_or(i64::MAX).max(1));
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
            let elapsed = i128::from((now - self.at).num_microseconds().unwrap_or(i64::MAX));
            self.units = (self.units + elapsed * self.count).min(self.cap);
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
    values: BTreeMap<K, (usize, V)>,
    position: usize,
    /// When the current bucket is visited.
    next_visit: DateTime<Utc>,
    /// The time between visits: the interval over the buckets.
    step: TimeDelta,
    imports: Option<TokenBucket>,
}

impl<K: Ord + Clone, V: Clone + PartialEq> Scheduler<K, V> {
    /// An empty scheduler starting at `now`.
    #[must_use]
    pub fn new(config: ScheduleConfig, now: DateTime<Utc>) -> Self {
        let buckets = config.buckets();
        // Buckets are 2, 4 or 8.
        let step = config.interval / i32::try_from(buckets).unwrap_or(1);
        let imports = (config.max_per_minute > 0).then(|| {
            let max = config.max_per_minute;
            TokenBucket::new(max, TimeDelta::minutes(1), max.saturating_mul(2), now)
        });
        Self {
            buckets: vec![Vec::new(); buckets + 1],
            counts: vec![0; buckets + 1],
            values: BTreeMap::new(),
            position: 0,
            next_visit: now,
            step: step.max(TimeDelta::microseconds(1)),
            imports,
        }
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
        if let Some((_, v)) = self.values.get_mut(&key) {
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
        self.values.insert(key, (target, value));
    }

    /// Unschedules `key` if its value is `value` (a stream replaced since
    /// is left alone). Returns whether it was removed.
    pub fn remove(&mut self, key: &K, value: &V) -> bool {
        match self.values.get(key) {
            Some((bucket, v)) if v == value => {
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
        if let Some((bucket, _)) = self.values.get_mut(key) {
            self.counts[*bucket] -= 1;
            *bucket = behind;
            self.place(key.clone(), behind);
        }
    }

    /// Visits every bucket whose time has come by `now` (one every
    /// `interval / buckets`, the first at the start), as OpenShift's loop
    /// does waiting on its bucket limiter: each stream in a visited bucket
    /// is due for import if the import limiter has a token at that time,
    /// else skipped; both move just behind the current bucket.
    pub fn due(&mut self, now: DateTime<Utc>) -> Due<K, V> {
        let mut due = Due {
            import: Vec::new(),
            skipped: Vec::new(),
        };
        while self.next_visit <= now {
            let at = self.next_visit;
            self.next_visit = at + self.step;
            let here = self.position;
            let visited = std::mem::take(&mut self.buckets[here]);
            let behind = self.behind();
            for key in visited {
                // Stale copies: removed, or moved elsewhere (or already
                // handled in this visit).
                let Some((bucket, value)) = self.values.get_mut(&key).filter(|(b, _)| *b == here)
                else {
                    continue;
                };
                *bucket = behind;
                let value = value.clone();
                self.counts[here] -= 1;
                let allowed = self.imports.as_mut().is_none_or(|l| l.take(at));
                self.place(key.clone(), behind);
                if allowed {
                    due.import.push((key, value));
                } else {
                    due.skipped.push((key, value));
                }
            }
            self.position = (self.position + 1) % self.buckets.len();
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
