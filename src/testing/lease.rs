//! The [`Lease`] contract, written once: the in-memory
//! [`MemoryLease`](crate::ports::MemoryLease) and the etcd adapter's lease
//! run the same checks. Expiry is left to each implementation's own tests
//! (it needs that implementation's notion of time).
//!
//! ```
//! use std::sync::Arc;
//!
//! use imagestream::ports::{MemoryLease, SystemClock};
//!
//! imagestream::testing::lease::run(|| MemoryLease::new(Arc::new(SystemClock)));
//! ```
//!
//! # Panics
//!
//! Every function here panics when the lease breaks the contract.

#![allow(clippy::missing_panics_doc)] // test code: panics are the point

use std::time::Duration;

use crate::ports::{Lease, LeaseError};

/// Runs every check, each against a fresh lease backend from `make`.
pub fn run<L: Lease>(mut make: impl FnMut() -> L) {
    one_holder_at_a_time(&make());
    release_hands_over(&make());
    independent_names(&make());
    bad_arguments(&make());
}

const TTL: Duration = Duration::from_secs(30);

/// At most one holder; the holder may acquire again and renew.
pub fn one_holder_at_a_time<L: Lease>(lease: &L) {
    assert_eq!(
        lease.holder("ctl").unwrap(),
        None,
        "nobody holds a new lease"
    );
    let a = lease
        .acquire("ctl", "replica-a", TTL)
        .unwrap()
        .expect("a free lease is granted");
    assert_eq!((a.name.as_str(), a.holder.as_str()), ("ctl", "replica-a"));
    assert!(lease.is_leader(&a).unwrap());
    assert_eq!(lease.holder("ctl").unwrap().as_deref(), Some("replica-a"));
    assert_eq!(
        lease.acquire("ctl", "replica-b", TTL).unwrap(),
        None,
        "a held lease is not granted to another holder"
    );
    lease.renew(&a).unwrap();
    let again = lease
        .acquire("ctl", "replica-a", TTL)
        .unwrap()
        .expect("the holder gets its grant back");
    assert_eq!(again.token, a.token, "the same tenure");
    assert!(lease.is_leader(&a).unwrap());
    lease.release(&a).unwrap();
}

/// Release hands the lease over at once; the released grant is dead.
pub fn release_hands_over<L: Lease>(lease: &L) {
    let a = lease.acquire("ctl", "replica-a", TTL).unwrap().unwrap();
    lease.release(&a).unwrap();
    assert!(!lease.is_leader(&a).unwrap(), "released");
    assert_eq!(lease.holder("ctl").unwrap(), None);
    let b = lease
        .acquire("ctl", "replica-b", TTL)
        .unwrap()
        .expect("a released lease is free");
    assert!(b.token > a.token, "fencing tokens increase across tenures");
    assert!(lease.is_leader(&b).unwrap());
    assert!(!lease.is_leader(&a).unwrap());
    assert_eq!(
        lease.renew(&a),
        Err(LeaseError::Lost {
            name: "ctl".into(),
            holder: "replica-a".into()
        }),
        "a released grant cannot be renewed"
    );
    lease.release(&a).unwrap();
    assert!(
        lease.is_leader(&b).unwrap(),
        "releasing a dead grant leaves the new holder alone"
    );
    lease.release(&b).unwrap();
}

/// Leases of different names do not interfere.
pub fn independent_names<L: Lease>(lease: &L) {
    let a = lease.acquire("one", "replica-a", TTL).unwrap().unwrap();
    let b = lease.acquire("two", "replica-b", TTL).unwrap().unwrap();
    assert!(lease.is_leader(&a).unwrap() && lease.is_leader(&b).unwrap());
    assert_eq!(lease.holder("one").unwrap().as_deref(), Some("replica-a"));
    assert_eq!(lease.holder("two").unwrap().as_deref(), Some("replica-b"));
    lease.release(&a).unwrap();
    assert!(lease.is_leader(&b).unwrap());
    lease.release(&b).unwrap();
}

/// Empty names and unusable ttls are typed errors.
pub fn bad_arguments<L: Lease>(lease: &L) {
    assert!(matches!(
        lease.acquire("", "replica-a", TTL),
        Err(LeaseError::Empty { .. })
    ));
    assert!(matches!(
        lease.acquire("ctl", "", TTL),
        Err(LeaseError::Empty { .. })
    ));
    assert!(matches!(
        lease.acquire("ctl", "replica-a", Duration::ZERO),
        Err(LeaseError::InvalidTtl { .. })
    ));
    assert_eq!(lease.holder("ctl").unwrap(), None, "nothing was taken");
}
