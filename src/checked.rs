//! Arithmetic on outside values (SPEC §13, issue #10 point 4): a
//! generation, a time or a duration read from the wire or a clock may sit
//! at its type's limit, so every sum over one goes through these helpers,
//! which saturate or report, and never wrap or panic.

use chrono::{DateTime, TimeDelta, Utc};

/// `t + d`, saturated at [`DateTime::<Utc>::MAX_UTC`] and
/// [`DateTime::<Utc>::MIN_UTC`].
pub(crate) fn add_time(t: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(if d < TimeDelta::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// `d` in nanoseconds, exactly: every `TimeDelta` fits an `i128`.
pub(crate) fn nanos(d: TimeDelta) -> i128 {
    i128::from(d.num_seconds()) * 1_000_000_000 + i128::from(d.subsec_nanos())
}

/// `n` nanoseconds as a `TimeDelta`, saturated at [`TimeDelta::MAX`] and
/// [`TimeDelta::MIN`].
pub(crate) fn from_nanos(n: i128) -> TimeDelta {
    let secs = n.div_euclid(1_000_000_000);
    let sub = n.rem_euclid(1_000_000_000);
    i64::try_from(secs)
        .ok()
        .and_then(|s| TimeDelta::new(s, u32::try_from(sub).unwrap_or(0)))
        .unwrap_or(if n < 0 {
            TimeDelta::MIN
        } else {
            TimeDelta::MAX
        })
}

/// `generation + 1`, or `None` at `i64::MAX`.
pub(crate) fn next_generation(generation: i64) -> Option<i64> {
    generation.checked_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_saturate() {
        let max = DateTime::<Utc>::MAX_UTC;
        assert_eq!(add_time(max, TimeDelta::seconds(1)), max);
        assert_eq!(add_time(max, TimeDelta::MAX), max);
        let min = DateTime::<Utc>::MIN_UTC;
        assert_eq!(add_time(min, TimeDelta::MIN), min);
        let t = DateTime::from_timestamp(0, 0).unwrap_or(min);
        assert_eq!(add_time(t, TimeDelta::seconds(1)).timestamp(), 1);
    }

    #[test]
    fn nanos_round_trip_at_the_limits() {
        for d in [
            TimeDelta::MAX,
            TimeDelta::MIN,
            TimeDelta::zero(),
            TimeDelta::nanoseconds(-1),
            TimeDelta::new(5, 7).unwrap_or_default(),
        ] {
            assert_eq!(from_nanos(nanos(d)), d);
        }
        assert_eq!(from_nanos(i128::MAX), TimeDelta::MAX);
        assert_eq!(from_nanos(i128::MIN), TimeDelta::MIN);
    }

    #[test]
    fn generations_stop_at_the_limit() {
        assert_eq!(next_generation(1), Some(2));
        assert_eq!(next_generation(i64::MAX), None);
    }
}
