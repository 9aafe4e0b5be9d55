//! Leadership among replicas, as a port.
//!
//! A controller that runs in several replicas must do its work in one of
//! them at a time. Each replica asks the [`Lease`] to hold it; the one that
//! holds it works and renews it well within the time to live; the others
//! keep asking, and one of them takes over once the holder's lease lapses
//! (it crashed, hung or lost its connection) or is released.
//!
//! The lease is fenced by a **term**: every change of holder increments it,
//! so work stamped with an old term can be recognised as stale.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};

use super::Clock;

/// A lease held: who, since which change of holder, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Held {
    /// The holder's identity (a replica's name).
    pub holder: String,
    /// Incremented on every change of holder; never reused.
    pub term: u64,
    /// When the lease lapses unless renewed.
    pub expires_at: DateTime<Utc>,
}

impl Held {
    /// A lease held by `holder` in `term` until `expires_at`.
    #[must_use]
    pub fn new(holder: impl Into<String>, term: u64, expires_at: DateTime<Utc>) -> Self {
        Self {
            holder: holder.into(),
            term,
            expires_at,
        }
    }
}

/// Why a lease operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LeaseError {
    /// The lease is no longer `holder`'s: it lapsed and another replica
    /// took it, or it was released. Stop working and acquire again.
    #[error("lease lost: {holder:?} no longer holds term {term}")]
    Lost {
        /// The replica that thought it held the lease.
        holder: String,
        /// The term it held.
        term: u64,
    },
    /// A time to live that is zero, negative or too large to add to now.
    #[error("invalid lease time to live {ttl:?}: it must be positive and representable")]
    InvalidTtl {
        /// The time to live asked for.
        ttl: TimeDelta,
    },
    /// The backend failed; whether the lease is held is unknown.
    #[error("lease backend unavailable: {0}")]
    Unavailable(String),
}

/// One lease shared by the replicas of a controller.
///
/// Implementations must be linearizable: at any instant at most one holder's
/// lease is unexpired, and a renewal of a lapsed or taken lease fails with
/// [`LeaseError::Lost`]. [`MemoryLease`] is the in-process default; the etcd
/// adapter provides one backed by etcd leases.
pub trait Lease: Send + Sync {
    /// Tries to take the lease for `holder` for `ttl`. Returns the lease if
    /// `holder` holds it now (newly taken, or already held: then it is
    /// renewed), `None` if another holder's lease is unexpired.
    ///
    /// # Errors
    ///
    /// [`LeaseError::InvalidTtl`], or a backend failure.
    fn try_acquire(&self, holder: &str, ttl: TimeDelta) -> Result<Option<Held>, LeaseError>;

    /// Extends `held` by `ttl` from now.
    ///
    /// # Errors
    ///
    /// [`LeaseError::Lost`] when the lease lapsed and was taken, or was
    /// released; [`LeaseError::InvalidTtl`]; a backend failure.
    fn renew(&self, held: &Held, ttl: TimeDelta) -> Result<Held, LeaseError>;

    /// Gives the lease up, so another replica can take it at once. Releasing
    /// a lease no longer held is not an error.
    ///
    /// # Errors
    ///
    /// A backend failure.
    fn release(&self, held: &Held) -> Result<(), LeaseError>;

    /// The current, unexpired holder, if any.
    ///
    /// # Errors
    ///
    /// A backend failure.
    fn holder(&self) -> Result<Option<Held>, LeaseError>;

    /// Whether `holder` holds the lease now.
    ///
    /// # Errors
    ///
    /// A backend failure.
    fn is_leader(&self, holder: &str) -> Result<bool, LeaseError> {
        Ok(self.holder()?.is_some_and(|h| h.holder == holder))
    }
}

/// A lease in this process, timed by a [`Clock`]: for replicas that are
/// threads, and for tests (with a [`ManualClock`](super::ManualClock)).
///
/// ```
/// use std::sync::Arc;
/// use imagestream::chrono::{TimeDelta, TimeZone, Utc};
/// use imagestream::ports::{Lease, ManualClock, MemoryLease};
///
/// let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap()));
/// let lease = MemoryLease::new(clock.clone());
/// let ttl = TimeDelta::seconds(15);
/// let a = lease.try_acquire("a", ttl)?.expect("free");
/// assert!(lease.try_acquire("b", ttl)?.is_none()); // a holds it
/// clock.advance(TimeDelta::seconds(16)); // a stops renewing
/// let b = lease.try_acquire("b", ttl)?.expect("lapsed");
/// assert_eq!(b.term, a.term + 1);
/// assert!(lease.renew(&a, ttl).is_err()); // a learns it lost the lease
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct MemoryLease<C: ?Sized = dyn Clock> {
    clock: Arc<C>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    current: Option<Held>,
    last_term: u64,
}

impl<C: Clock + ?Sized> MemoryLease<C> {
    /// A free lease timed by `clock`.
    #[must_use]
    pub fn new(clock: Arc<C>) -> Self {
        Self {
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn expiry(&self, ttl: TimeDelta) -> Result<(DateTime<Utc>, DateTime<Utc>), LeaseError> {
        let now = self.clock.now();
        if ttl <= TimeDelta::zero() {
            return Err(LeaseError::InvalidTtl { ttl });
        }
        now.checked_add_signed(ttl)
            .map(|at| (now, at))
            .ok_or(LeaseError::InvalidTtl { ttl })
    }
}

impl<C: Clock + ?Sized> Lease for MemoryLease<C> {
    fn try_acquire(&self, holder: &str, ttl: TimeDelta) -> Result<Option<Held>, LeaseError> {
        let (now, expires_at) = self.expiry(ttl)?;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let term = match &state.current {
            Some(h) if h.expires_at > now && h.holder != holder => return Ok(None),
            Some(h) if h.expires_at > now => h.term,
            _ => state.last_term.saturating_add(1),
        };
        state.last_term = term;
        let held = Held::new(holder, term, expires_at);
        state.current = Some(held.clone());
        Ok(Some(held))
    }

    fn renew(&self, held: &Held, ttl: TimeDelta) -> Result<Held, LeaseError> {
        let (now, expires_at) = self.expiry(ttl)?;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut state.current {
            Some(h) if h.term == held.term && h.holder == held.holder && h.expires_at > now => {
                h.expires_at = expires_at;
                Ok(h.clone())
            }
            _ => Err(LeaseError::Lost {
                holder: held.holder.clone(),
                term: held.term,
            }),
        }
    }

    fn release(&self, held: &Held) -> Result<(), LeaseError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state
            .current
            .as_ref()
            .is_some_and(|h| h.term == held.term && h.holder == held.holder)
        {
            state.current = None;
        }
        Ok(())
    }

    fn holder(&self) -> Result<Option<Held>, LeaseError> {
        let now = self.clock.now();
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(state.current.clone().filter(|h| h.expires_at > now))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::ports::ManualClock;

    fn setup() -> (Arc<ManualClock>, MemoryLease<ManualClock>) {
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap(),
        ));
        (clock.clone(), MemoryLease::new(clock))
    }

    #[test]
    fn one_holder_at_a_time_and_takeover_after_lapse() {
        let (clock, lease) = setup();
        let ttl = TimeDelta::seconds(10);
        let a = lease.try_acquire("a", ttl).unwrap().unwrap();
        assert_eq!(a.term, 1);
        assert!(lease.is_leader("a").unwrap());
        assert!(lease.try_acquire("b", ttl).unwrap().is_none());
        clock.advance(TimeDelta::seconds(9));
        let a = lease.renew(&a, ttl).unwrap();
        clock.advance(TimeDelta::seconds(9));
        assert!(lease.try_acquire("b", ttl).unwrap().is_none(), "renewed");
        clock.advance(TimeDelta::seconds(2));
        assert_eq!(lease.holder().unwrap(), None, "lapsed");
        let b = lease.try_acquire("b", ttl).unwrap().unwrap();
        assert_eq!(b.term, 2);
        assert_eq!(
            lease.renew(&a, ttl),
            Err(LeaseError::Lost {
                holder: "a".into(),
                term: 1
            })
        );
        assert!(!lease.is_leader("a").unwrap());
    }

    #[test]
    fn reacquiring_keeps_the_term_and_release_frees_at_once() {
        let (_, lease) = setup();
        let ttl = TimeDelta::seconds(10);
        let a = lease.try_acquire("a", ttl).unwrap().unwrap();
        assert_eq!(lease.try_acquire("a", ttl).unwrap().unwrap().term, a.term);
        lease.release(&a).unwrap();
        let b = lease.try_acquire("b", ttl).unwrap().unwrap();
        assert_eq!(b.term, a.term + 1);
        lease.release(&a).unwrap(); // stale release: no effect
        assert!(lease.is_leader("b").unwrap());
        // A lapsed holder coming back gets a new term.
        lease.release(&b).unwrap();
        let a2 = lease.try_acquire("a", ttl).unwrap().unwrap();
        assert_eq!(a2.term, b.term + 1);
    }

    #[test]
    fn lease_types_are_send_sync() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<MemoryLease>();
        send_sync::<Held>();
        send_sync::<LeaseError>();
        let _: &dyn Lease = &setup().1;
    }

    #[test]
    fn bad_ttls_are_typed_errors() {
        let (clock, lease) = setup();
        for ttl in [TimeDelta::zero(), TimeDelta::seconds(-1), TimeDelta::MAX] {
            assert_eq!(
                lease.try_acquire("a", ttl),
                Err(LeaseError::InvalidTtl { ttl })
            );
        }
        clock.set(DateTime::<Utc>::MAX_UTC);
        assert!(matches!(
            lease.try_acquire("a", TimeDelta::seconds(1)),
            Err(LeaseError::InvalidTtl { .. })
        ));
    }
}
