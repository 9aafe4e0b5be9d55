//! Time, as a port.

use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

/// Where the service reads the time (the domain never does).
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;

    /// Waits `pause` (the service's backoff between conflicting writes).
    /// The default sleeps the calling thread; an async runtime or a
    /// simulation may wait its own way.
    fn sleep(&self, pause: std::time::Duration) {
        std::thread::sleep(pause);
    }
}

/// The system clock, truncated to whole seconds (what the wire keeps).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        use chrono::SubsecRound;
        Utc::now().trunc_subsecs(0)
    }
}

/// A clock that moves only when told to: for tests, examples and replays.
///
/// ```
/// use imagestream::chrono::{TimeDelta, TimeZone, Utc};
/// use imagestream::ports::{Clock, ManualClock};
///
/// let clock = ManualClock::new(Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap());
/// clock.advance(TimeDelta::minutes(15));
/// assert_eq!(clock.now().to_rfc3339(), "2017-10-02T17:20:11+00:00");
/// ```
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock stopped at `now`.
    #[must_use]
    pub fn new(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now))
    }

    /// Sets the time.
    pub fn set(&self, now: DateTime<Utc>) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = now;
    }

    /// Moves the time forward by `by`, saturating at
    /// [`DateTime::<Utc>::MAX_UTC`] (and [`DateTime::<Utc>::MIN_UTC`] for a
    /// negative `by`).
    pub fn advance(&self, by: TimeDelta) {
        let mut t = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *t = crate::checked::add_time(*t, by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
