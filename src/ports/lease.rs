//! Leases, as a port: which replica of a controller does the work.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::clock::Clock;

/// A lease held: what [`Lease::acquire`] hands out and the other calls
/// take back.
///
/// `token` is a fencing token: it strictly increases each time the lease
/// changes hands, so a write stamped with it can be refused once a newer
/// holder exists.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeaseGrant {
    /// The lease's name (one per controller, say `imagestream-controller`).
    pub name: String,
    /// Who holds it (a replica's identity).
    pub holder: String,
    /// How long it lasts without a renewal.
    pub ttl: Duration,
    /// The fencing token of this tenure.
    pub token: u64,
}

impl LeaseGrant {
    /// A grant (for [`Lease`] implementations).
    #[must_use]
    pub fn new(name: String, holder: String, ttl: Duration, token: u64) -> Self {
        Self {
            name,
            holder,
            ttl,
            token,
        }
    }
}

/// Why a lease operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LeaseError {
    /// The lease lapsed or passed to another holder: stop working.
    #[error("lease {name:?} is no longer held by {holder:?}")]
    Lost {
        /// The lease's name.
        name: String,
        /// The holder that lost it.
        holder: String,
    },
    /// A time to live the backend cannot keep.
    #[error("lease {name:?}: invalid ttl {ttl:?}: must be between 1 s and {max:?}")]
    InvalidTtl {
        /// The lease's name.
        name: String,
        /// The ttl asked for.
        ttl: Duration,
        /// The longest ttl allowed.
        max: Duration,
    },
    /// An empty lease name or holder.
    #[error("lease name and holder must not be empty (name {name:?}, holder {holder:?})")]
    Empty {
        /// The name given.
        name: String,
        /// The holder given.
        holder: String,
    },
    /// The backend failed.
    #[error("lease backend unavailable: {0}")]
    Unavailable(String),
}

/// The longest ttl [`MemoryLease`] accepts (one day); etcd's own limit is
/// larger.
pub const MAX_LEASE_TTL: Duration = Duration::from_secs(86_400);

/// A named, expiring lease: at most one holder at a time, for controllers
/// that run in several replicas.
///
/// The protocol: every replica calls [`acquire`](Lease::acquire) with its
/// identity; the one that gets a grant works and calls
/// [`renew`](Lease::renew) well within the ttl (a third of it is usual);
/// the others retry `acquire` now and then and take over once the holder's
/// ttl lapses without a renewal. A holder that gets
/// [`LeaseError::Lost`] (or `false` from [`is_leader`](Lease::is_leader))
/// stops working at once. [`release`](Lease::release) hands the lease over
/// without waiting for the ttl.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// use imagestream::chrono::{TimeDelta, TimeZone, Utc};
/// use imagestream::ports::{Lease, LeaseError, ManualClock, MemoryLease};
///
/// let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()));
/// let lease = MemoryLease::new(clock.clone());
/// let ttl = Duration::from_secs(15);
/// let a = lease.acquire("controller", "replica-a", ttl)?.expect("free");
/// assert!(lease.acquire("controller", "replica-b", ttl)?.is_none(), "a holds it");
/// clock.advance(TimeDelta::seconds(10));
/// lease.renew(&a)?;
/// clock.advance(TimeDelta::seconds(16));
/// // a did not renew in time: b takes over, a learns it lost the lease.
/// let b = lease.acquire("controller", "replica-b", ttl)?.expect("lapsed");
/// assert!(b.token > a.token);
/// assert!(matches!(lease.renew(&a), Err(LeaseError::Lost { .. })));
/// assert!(!lease.is_leader(&a)? && lease.is_leader(&b)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Lease: Send + Sync {
    /// Takes the lease `name` for `holder` for `ttl` if it is free (never
    /// held, released, or lapsed); `None` while another holder has it. A
    /// holder acquiring a lease it still holds gets its current grant back
    /// (renewed).
    ///
    /// # Errors
    ///
    /// [`LeaseError::InvalidTtl`], [`LeaseError::Empty`], or a backend
    /// failure.
    fn acquire(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<LeaseGrant>, LeaseError>;

    /// Extends the grant by its ttl from now.
    ///
    /// # Errors
    ///
    /// [`LeaseError::Lost`] when it lapsed or passed to another holder, or a
    /// backend failure.
    fn renew(&self, grant: &LeaseGrant) -> Result<(), LeaseError>;

    /// Gives the lease up now (nothing happens if it was lost already).
    ///
    /// # Errors
    ///
    /// A backend failure.
    fn release(&self, grant: &LeaseGrant) -> Result<(), LeaseError>;

    /// Whether `grant` is the lease's current tenure (held, not lapsed).
    ///
    /// # Errors
    ///
    /// A backend failure.
    fn is_leader(&self, grant: &LeaseGrant) -> Result<bool, LeaseError>;

    /// Who holds `name` now, if anyone.
    ///
    /// # Errors
    ///
    /// A backend failure.
    fn holder(&self, name: &str) -> Result<Option<String>, LeaseError>;
}

/// Leases in memory, expiring on a [`Clock`]'s time (a
/// [`ManualClock`](super::ManualClock) makes expiry a test's decision).
/// For replicas that are threads of one process; across processes use a
/// shared backend (the etcd adapter's lease).
pub struct MemoryLease {
    clock: Arc<dyn Clock>,
    inner: Mutex<MemoryLeases>,
}

#[derive(Debug, Default)]
struct MemoryLeases {
    last_token: u64,
    held: BTreeMap<String, Tenure>,
}

#[derive(Debug)]
struct Tenure {
    holder: String,
    token: u64,
    expires: DateTime<Utc>,
}

impl std::fmt::Debug for MemoryLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryLease")
            .field("leases", &*self.lock())
            .finish_non_exhaustive()
    }
}

impl MemoryLease {
    /// Leases expiring on `clock`'s time.
    #[must_use]
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, MemoryLeases> {
        // Every write replaces whole entries: a panic elsewhere cannot leave
        // one half-written.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Checks a name, holder and ttl; returns the ttl as a chrono delta.
fn checked(name: &str, holder: &str, ttl: Duration) -> Result<TimeDelta, LeaseError> {
    if name.is_empty() || holder.is_empty() {
        return Err(LeaseError::Empty {
            name: name.to_owned(),
            holder: holder.to_owned(),
        });
    }
    if ttl < Duration::from_secs(1) || ttl > MAX_LEASE_TTL {
        return Err(LeaseError::InvalidTtl {
            name: name.to_owned(),
            ttl,
            max: MAX_LEASE_TTL,
        });
    }
    TimeDelta::from_std(ttl).map_err(|_| LeaseError::InvalidTtl {
        name: name.to_owned(),
        ttl,
        max: MAX_LEASE_TTL,
    })
}

impl Lease for MemoryLease {
    fn acquire(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<LeaseGrant>, LeaseError> {
        let delta = checked(name, holder, ttl)?;
        let now = self.clock.now();
        let mut g = self.lock();
        let token = match g.held.get(name) {
            Some(t) if t.expires > now && t.holder != holder => return Ok(None),
            Some(t) if t.expires > now => t.token,
            _ => {
                g.last_token += 1;
                g.last_token
            }
        };
        g.held.insert(
            name.to_owned(),
            Tenure {
                holder: holder.to_owned(),
                token,
                expires: now + delta,
            },
        );
        Ok(Some(LeaseGrant::new(
            name.to_owned(),
            holder.to_owned(),
            ttl,
            token,
        )))
    }

    fn renew(&self, grant: &LeaseGrant) -> Result<(), LeaseError> {
        let delta = checked(&grant.name, &grant.holder, grant.ttl)?;
        let now = self.clock.now();
        let mut g = self.lock();
        match g.held.get_mut(&grant.name) {
            Some(t) if t.token == grant.token && t.expires > now => {
                t.expires = now + delta;
                Ok(())
            }
            _ => Err(LeaseError::Lost {
                name: grant.name.clone(),
                holder: grant.holder.clone(),
            }),
        }
    }

    fn release(&self, grant: &LeaseGrant) -> Result<(), LeaseError> {
        let mut g = self.lock();
        if g.held
            .get(&grant.name)
            .is_some_and(|t| t.token == grant.token)
        {
            g.held.remove(&grant.name);
        }
        Ok(())
    }

    fn is_leader(&self, grant: &LeaseGrant) -> Result<bool, LeaseError> {
        let now = self.clock.now();
        Ok(self
            .lock()
            .held
            .get(&grant.name)
            .is_some_and(|t| t.token == grant.token && t.expires > now))
    }

    fn holder(&self, name: &str) -> Result<Option<String>, LeaseError> {
        let now = self.clock.now();
        Ok(self
            .lock()
            .held
            .get(name)
            .filter(|t| t.expires > now)
            .map(|t| t.holder.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::ManualClock;
    use chrono::TimeZone;

    fn setup() -> (Arc<ManualClock>, MemoryLease) {
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        ));
        let lease = MemoryLease::new(clock.clone());
        (clock, lease)
    }

    #[test]
    fn expiry_is_exactly_the_ttl_after_the_last_renewal() {
        let (clock, lease) = setup();
        let ttl = Duration::from_secs(10);
        let a = lease.acquire("l", "a", ttl).unwrap().unwrap();
        clock.advance(TimeDelta::seconds(9));
        assert!(lease.is_leader(&a).unwrap());
        lease.renew(&a).unwrap();
        clock.advance(TimeDelta::seconds(9));
        assert!(lease.is_leader(&a).unwrap(), "renewed 9 s ago");
        assert_eq!(lease.holder("l").unwrap().as_deref(), Some("a"));
        clock.advance(TimeDelta::seconds(1));
        assert!(!lease.is_leader(&a).unwrap(), "lapsed at exactly the ttl");
        assert_eq!(lease.holder("l").unwrap(), None);
        assert_eq!(
            lease.renew(&a).unwrap_err().to_string(),
            r#"lease "l" is no longer held by "a""#
        );
    }

    #[test]
    fn reacquiring_keeps_the_token_and_a_lapsed_holder_gets_a_new_one() {
        let (clock, lease) = setup();
        let ttl = Duration::from_secs(10);
        let a = lease.acquire("l", "a", ttl).unwrap().unwrap();
        let again = lease.acquire("l", "a", ttl).unwrap().unwrap();
        assert_eq!(again.token, a.token);
        clock.advance(TimeDelta::seconds(11));
        let later = lease.acquire("l", "a", ttl).unwrap().unwrap();
        assert!(later.token > a.token, "a new tenure");
        assert!(!lease.is_leader(&a).unwrap(), "the old grant is fenced off");
    }

    #[test]
    fn bad_arguments_are_typed_errors() {
        let (_, lease) = setup();
        assert_eq!(
            lease
                .acquire("l", "a", Duration::from_millis(10))
                .unwrap_err()
                .to_string(),
            r#"lease "l": invalid ttl 10ms: must be between 1 s and 86400s"#
        );
        assert!(matches!(
            lease.acquire("", "a", Duration::from_secs(5)),
            Err(LeaseError::Empty { .. })
        ));
        assert!(matches!(
            lease.acquire("l", "a", Duration::MAX),
            Err(LeaseError::InvalidTtl { .. })
        ));
    }

    #[test]
    fn releasing_a_lost_grant_leaves_the_new_holder_alone() {
        let (clock, lease) = setup();
        let ttl = Duration::from_secs(5);
        let a = lease.acquire("l", "a", ttl).unwrap().unwrap();
        clock.advance(TimeDelta::seconds(6));
        let b = lease.acquire("l", "b", ttl).unwrap().unwrap();
        lease.release(&a).unwrap();
        assert!(lease.is_leader(&b).unwrap());
        lease.release(&b).unwrap();
        assert_eq!(lease.holder("l").unwrap(), None);
    }
}
