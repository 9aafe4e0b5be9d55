//! Exponential backoff with jitter for failed imports, on a deterministic
//! pseudo-random sequence (no `rand`: a replayable run needs a seed, not
//! entropy).

use std::time::Duration;

use chrono::TimeDelta;

/// How long a stream whose import failed waits before it is asked for
/// again: `initial · 2^(failures − 1)`, at most `max`, jittered uniformly
/// into its upper half, and never sooner than a registry's `Retry-After`
/// (itself capped at `max_retry_after`).
///
/// ```
/// use imagestream::chrono::TimeDelta;
/// use imagestream::controller::{Backoff, Jitter};
///
/// let backoff = Backoff::default();
/// let mut jitter = Jitter::new(7);
/// let third = backoff.delay(3, None, &mut jitter);
/// assert!(third >= TimeDelta::seconds(20) && third <= TimeDelta::seconds(40));
/// // A registry that says "retry after 10 minutes" is believed.
/// let limited = backoff.delay(1, Some(std::time::Duration::from_secs(600)), &mut jitter);
/// assert!(limited >= TimeDelta::minutes(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backoff {
    /// The delay after the first failure (default 10 s).
    pub initial: TimeDelta,
    /// The longest delay backoff alone gives (default 15 minutes, one
    /// scheduled interval).
    pub max: TimeDelta,
    /// The longest `Retry-After` honoured (default one hour): a registry
    /// asking for more is asked again after this.
    pub max_retry_after: TimeDelta,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: TimeDelta::seconds(10),
            max: TimeDelta::minutes(15),
            max_retry_after: TimeDelta::hours(1),
        }
    }
}

impl Backoff {
    /// With another first delay.
    #[must_use]
    pub fn initial(mut self, initial: TimeDelta) -> Self {
        self.initial = initial;
        self
    }

    /// With another longest delay.
    #[must_use]
    pub fn max(mut self, max: TimeDelta) -> Self {
        self.max = max;
        self
    }

    /// With another cap on `Retry-After`.
    #[must_use]
    pub fn max_retry_after(mut self, max: TimeDelta) -> Self {
        self.max_retry_after = max;
        self
    }

    /// The nominal delay after `failures` consecutive failures (at least
    /// one), before jitter: `initial · 2^(failures − 1)`, at most `max`.
    /// Saturating: no configuration or count overflows; non-positive
    /// settings count as one microsecond.
    #[must_use]
    pub fn nominal(&self, failures: u32) -> TimeDelta {
        let initial = micros(self.initial);
        let max = micros(self.max).max(initial);
        let shift = failures.saturating_sub(1).min(62);
        TimeDelta::microseconds(initial.saturating_mul(1_i64 << shift).min(max))
    }

    /// The delay to wait after `failures` consecutive failures: the
    /// nominal delay `d` jittered into `[d/2, d]`, raised to `retry_after`
    /// (capped at `max_retry_after`) when the registry gave one.
    #[must_use]
    pub fn delay(
        &self,
        failures: u32,
        retry_after: Option<Duration>,
        jitter: &mut Jitter,
    ) -> TimeDelta {
        let d = micros(self.nominal(failures));
        let half = d / 2;
        // `d - half + 1` is at least 1 since `d >= 1`.
        // Never zero: a retry is always later than the failure.
        let jittered = half.saturating_add(jitter.below(d - half + 1)).max(1);
        let asked = retry_after.map_or(0, |r| {
            i64::try_from(r.as_micros())
                .unwrap_or(i64::MAX)
                .min(micros(self.max_retry_after))
        });
        TimeDelta::microseconds(jittered.max(asked))
    }
}

/// A delay in microseconds, at least one, saturating.
fn micros(d: TimeDelta) -> i64 {
    d.num_microseconds().unwrap_or(i64::MAX).max(1)
}

/// A deterministic pseudo-random sequence (SplitMix64): each controller
/// seeds its own, so replicas spread their retries while a test replays
/// exactly.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// The sequence for `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`0` when `n <= 0`).
    pub fn below(&mut self, n: i64) -> i64 {
        match u64::try_from(n) {
            // The remainder is below `n`, which fits in an i64.
            Ok(n) if n > 0 => i64::try_from(self.next_u64() % n).unwrap_or(0),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_jitters_into_the_upper_half() {
        let b = Backoff::default();
        let mut j = Jitter::new(1);
        let mut previous = TimeDelta::zero();
        for failures in 1..=20 {
            let nominal = b.nominal(failures);
            let d = b.delay(failures, None, &mut j);
            assert!(
                d * 2 >= nominal && d <= nominal,
                "{failures}: {d} of {nominal}"
            );
            // Delays never shrink until the cap: [d/2, d] then [d, 2d].
            if nominal < b.max {
                assert!(d >= previous, "{failures}: {d} after {previous}");
            }
            previous = d;
        }
        assert_eq!(b.nominal(1), TimeDelta::seconds(10));
        assert_eq!(b.nominal(3), TimeDelta::seconds(40));
        assert_eq!(
            b.nominal(7),
            TimeDelta::minutes(10) + TimeDelta::seconds(40)
        );
        assert_eq!(b.nominal(8), TimeDelta::minutes(15));
        assert_eq!(b.nominal(u32::MAX), TimeDelta::minutes(15));
    }

    #[test]
    fn retry_after_is_honoured_up_to_its_cap() {
        let b = Backoff::default();
        let mut j = Jitter::new(2);
        let d = b.delay(1, Some(Duration::from_secs(120)), &mut j);
        assert_eq!(d, TimeDelta::seconds(120));
        let d = b.delay(1, Some(Duration::from_secs(1 << 40)), &mut j);
        assert_eq!(d, TimeDelta::hours(1));
        let d = b.delay(1, Some(Duration::MAX), &mut j);
        assert_eq!(d, TimeDelta::hours(1));
    }

    #[test]
    fn odd_settings_saturate_instead_of_panicking() {
        let b = Backoff::default()
            .initial(TimeDelta::seconds(-5))
            .max(TimeDelta::MAX)
            .max_retry_after(TimeDelta::MIN);
        let mut j = Jitter::new(3);
        for failures in [0, 1, 2, 63, 64, u32::MAX] {
            let d = b.delay(failures, Some(Duration::MAX), &mut j);
            assert!(d > TimeDelta::zero(), "{failures}: {d}");
        }
        let tiny = Backoff::default()
            .initial(TimeDelta::zero())
            .max(TimeDelta::zero());
        for _ in 0..20 {
            assert_eq!(tiny.delay(1, None, &mut j), TimeDelta::microseconds(1));
        }
    }

    #[test]
    fn the_sequence_is_deterministic_per_seed() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut j = Jitter::new(9);
                move |_| j.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut j = Jitter::new(9);
                move |_| j.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(Jitter::new(10).next_u64(), a[0]);
        assert_eq!(Jitter::new(0).below(0), 0);
        assert_eq!(Jitter::new(0).below(-3), 0);
        assert!((0..100).all(|s| Jitter::new(s).below(7) < 7));
    }
}
