//! The work queue (one entry per stream) and the controller's sleep: a
//! wake-up shared by the queue and the stop handle, and [`Waiter`]s that
//! sleep on the system clock or move a [`ManualClock`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};

use crate::ports::{Clock, ManualClock};
use crate::reference::{Namespace, StreamName};
use crate::stream::ImageStream;

/// A stream, by namespace and name: what the controller queues, schedules
/// and reports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct StreamKey {
    /// The namespace.
    pub namespace: Namespace,
    /// The stream's name.
    pub name: StreamName,
}

impl StreamKey {
    /// The key of `namespace/name`.
    #[must_use]
    pub fn new(namespace: Namespace, name: StreamName) -> Self {
        Self { namespace, name }
    }

    /// The key of `stream`.
    #[must_use]
    pub fn of(stream: &ImageStream) -> Self {
        Self::new(stream.namespace().clone(), stream.name().clone())
    }
}

impl fmt::Display for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// What is asked of a queued stream; asks for the same stream merge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // independent asks, merged by OR
pub(crate) struct Work {
    /// Import the tags whose spec generation moved (`needsImport`).
    pub(crate) spec: bool,
    /// Ask for every scheduled tag again (its turn, or a registry
    /// notification).
    pub(crate) scheduled: bool,
    /// Ask again for the tags whose import failed (a backoff ran out).
    pub(crate) retry: bool,
    /// Evaluate the triggers watching the stream (an object changed).
    pub(crate) triggers: bool,
}

impl Work {
    pub(crate) const SPEC: Self = Self {
        spec: true,
        scheduled: false,
        retry: false,
        triggers: false,
    };
    pub(crate) const SCHEDULED: Self = Self {
        spec: false,
        scheduled: true,
        retry: false,
        triggers: false,
    };
    pub(crate) const RETRY: Self = Self {
        spec: false,
        scheduled: false,
        retry: true,
        triggers: false,
    };
    pub(crate) const TRIGGERS: Self = Self {
        spec: false,
        scheduled: false,
        retry: false,
        triggers: true,
    };

    /// Whether it asks for imports.
    pub(crate) fn imports(self) -> bool {
        self.spec || self.scheduled || self.retry
    }

    pub(crate) fn merge(&mut self, other: Self) {
        self.spec |= other.spec;
        self.scheduled |= other.scheduled;
        self.retry |= other.retry;
        self.triggers |= other.triggers;
    }
}

/// The wake-up the controller sleeps on: set by [`Queue::enqueue`] and by
/// [`Stop::stop`].
#[derive(Debug, Default)]
pub struct Wake {
    state: Mutex<WakeState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct WakeState {
    stopped: bool,
    woken: bool,
}

impl Wake {
    fn lock(&self) -> MutexGuard<'_, WakeState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes a sleeping controller (work arrived).
    pub fn wake(&self) {
        self.lock().woken = true;
        self.changed.notify_all();
    }

    /// Asks the controller to stop, waking it.
    pub fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_all();
    }

    /// Whether a stop was asked for.
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.lock().stopped
    }

    /// Takes a pending wake-up: whether one (or a stop) came since the last
    /// call.
    pub fn take(&self) -> bool {
        let mut state = self.lock();
        std::mem::take(&mut state.woken) || state.stopped
    }

    /// Blocks for at most `timeout` of real time, returning at once when
    /// woken or stopped. Returns whether it was woken or stopped.
    pub fn sleep(&self, timeout: std::time::Duration) -> bool {
        let state = self.lock();
        let (mut state, _) = self
            .changed
            .wait_timeout_while(state, timeout, |s| !s.woken && !s.stopped)
            .unwrap_or_else(PoisonError::into_inner);
        std::mem::take(&mut state.woken) || state.stopped
    }
}

/// Stops a running controller ([`Controller::run`](super::Controller::run)
/// returns after the tick in progress). Cheap to clone, thread-safe.
#[derive(Debug, Clone)]
pub struct Stop(pub(crate) Arc<Wake>);

impl Stop {
    /// Asks the controller to stop.
    pub fn stop(&self) {
        self.0.stop();
    }

    /// Whether a stop was asked for.
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.0.is_stopped()
    }
}

/// The controller's queue, as a handle for other threads: a registry
/// notification receiver calls [`enqueue`](Self::enqueue) and the stream is
/// synced at the next tick, as its scheduled turn would (every scheduled
/// tag asked for again, plus any tag whose spec moved). One entry per
/// stream: asking twice before the tick is one sync. Cheap to clone,
/// thread-safe.
#[derive(Debug, Clone)]
pub struct Queue {
    items: Arc<Mutex<BTreeMap<StreamKey, Work>>>,
    wake: Arc<Wake>,
}

impl Queue {
    pub(crate) fn new(wake: Arc<Wake>) -> Self {
        Self {
            items: Arc::default(),
            wake,
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<StreamKey, Work>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `namespace/name` for a sync and wakes the controller.
    pub fn enqueue(&self, namespace: Namespace, name: StreamName) {
        self.push(StreamKey::new(namespace, name), Work::SCHEDULED);
        self.wake.wake();
    }

    /// Has the triggers watching `namespace/name` evaluated at the next
    /// tick (without an import): call it when an object with triggers on
    /// that stream is created or changed, as OpenShift's trigger controller
    /// reacts to its objects.
    pub fn triggers_changed(&self, namespace: Namespace, name: StreamName) {
        self.push(StreamKey::new(namespace, name), Work::TRIGGERS);
        self.wake.wake();
    }

    /// How many streams are queued.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is queued.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    pub(crate) fn push(&self, key: StreamKey, work: Work) {
        self.lock().entry(key).or_default().merge(work);
    }

    pub(crate) fn take_all(&self) -> BTreeMap<StreamKey, Work> {
        std::mem::take(&mut *self.lock())
    }
}

/// How [`Controller::run`](super::Controller::run) sleeps between ticks.
pub trait Waiter {
    /// Sleeps until `deadline`, or less when `wake` is woken or stopped.
    fn wait_until(&self, deadline: DateTime<Utc>, wake: &Wake);
}

/// Sleeps in real time (the system clock), woken early by the queue or
/// the stop handle.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemWaiter;

impl Waiter for SystemWaiter {
    fn wait_until(&self, deadline: DateTime<Utc>, wake: &Wake) {
        let left = deadline - crate::ports::SystemClock.now();
        if let Ok(left) = left.to_std() {
            wake.sleep(left);
        }
    }
}

/// Simulated time: "sleeping" moves a [`ManualClock`] to the deadline at
/// once, and the run stops when it would sleep past `horizon` (the clock
/// is then left at the horizon). For tests and examples: an hour of a
/// controller's life runs in milliseconds, deterministically.
#[derive(Debug)]
pub struct ManualWaiter {
    clock: Arc<ManualClock>,
    horizon: DateTime<Utc>,
}

impl ManualWaiter {
    /// Moves `clock`, stopping the run at `horizon`.
    #[must_use]
    pub fn new(clock: Arc<ManualClock>, horizon: DateTime<Utc>) -> Self {
        Self { clock, horizon }
    }
}

impl Waiter for ManualWaiter {
    fn wait_until(&self, deadline: DateTime<Utc>, wake: &Wake) {
        if wake.take() {
            return;
        }
        let to = deadline.min(self.horizon);
        if self.clock.now() < to {
            self.clock.set(to);
        }
        if deadline >= self.horizon {
            wake.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{TimeDelta, TimeZone};

    use super::*;

    fn key(name: &str) -> StreamKey {
        StreamKey::new(
            Namespace::parse("ns").unwrap(),
            StreamName::parse(name).unwrap(),
        )
    }

    #[test]
    fn asks_for_one_stream_merge_into_one_entry() {
        let wake = Arc::new(Wake::default());
        let q = Queue::new(wake.clone());
        q.push(key("a"), Work::SPEC);
        q.push(key("a"), Work::RETRY);
        q.enqueue(key("b").namespace, key("b").name);
        q.enqueue(key("b").namespace, key("b").name);
        assert_eq!(q.len(), 2);
        assert!(wake.take(), "enqueue wakes");
        assert!(!wake.take(), "a wake-up is taken once");
        let all = q.take_all();
        assert_eq!(
            all[&key("a")],
            Work {
                spec: true,
                scheduled: false,
                retry: true,
                triggers: false,
            }
        );
        assert_eq!(all[&key("b")], Work::SCHEDULED);
        assert!(q.is_empty());
        assert_eq!(key("a").to_string(), "ns/a");
    }

    #[test]
    fn sleep_returns_early_when_stopped() {
        let wake = Arc::new(Wake::default());
        assert!(!wake.sleep(Duration::from_millis(1)), "timed out");
        let stop = Stop(wake.clone());
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            stop.stop();
        });
        let started = std::time::Instant::now();
        assert!(wake.sleep(Duration::from_secs(30)));
        assert!(started.elapsed() < Duration::from_secs(10));
        t.join().unwrap();
        assert!(wake.is_stopped());
    }

    #[test]
    fn the_manual_waiter_jumps_the_clock_and_stops_at_the_horizon() {
        let start = Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let waiter = ManualWaiter::new(clock.clone(), start + TimeDelta::minutes(10));
        let wake = Wake::default();
        waiter.wait_until(start + TimeDelta::minutes(3), &wake);
        assert_eq!(clock.now(), start + TimeDelta::minutes(3));
        assert!(!wake.is_stopped());
        // A deadline in the past leaves the clock alone.
        waiter.wait_until(start, &wake);
        assert_eq!(clock.now(), start + TimeDelta::minutes(3));
        // A wake-up pending: no sleep at all.
        wake.wake();
        waiter.wait_until(start + TimeDelta::minutes(5), &wake);
        assert_eq!(clock.now(), start + TimeDelta::minutes(3));
        waiter.wait_until(start + TimeDelta::hours(1), &wake);
        assert_eq!(clock.now(), start + TimeDelta::minutes(10));
        assert!(wake.is_stopped());
    }
}
