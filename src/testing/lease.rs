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
//! // Each check gets a fresh, free lease from the closure.
//! imagestream::testing::lease::run(|| MemoryLease::new(Arc::new(SystemClock)));
//! ```
//!
//! # Panics
//!
//! Every function here panics when the lease breaks the contract.

#![allow(clippy::missing_panics_doc)] // test code: panics are the point

use chrono::TimeDelta;

use crate::ports::{Lease, LeaseError};

/// Runs every check, each against a fresh, free lease from `make`.
pub fn run<L: Lease>(mut make: impl FnMut() -> L) {
    one_holder_at_a_time(&make());
    release_hands_over(&make());
    bad_ttls(&make());
}

fn ttl() -> TimeDelta {
    TimeDelta::seconds(30)
}

/// At most one holder; the holder may acquire again (same term) and renew.
pub fn one_holder_at_a_time<L: Lease>(lease: &L) {
    assert_eq!(lease.holder().unwrap(), None, "nobody holds a new lease");
    let a = lease
        .try_acquire("replica-a", ttl())
        .unwrap()
        .expect("a free lease is granted");
    assert_eq!(a.holder, "replica-a");
    assert!(lease.is_leader("replica-a").unwrap());
    assert!(!lease.is_leader("replica-b").unwrap());
    assert_eq!(
        lease.holder().unwrap().map(|h| (h.holder, h.term)),
        Some(("replica-a".to_owned(), a.term))
    );
    assert_eq!(
        lease.try_acquire("replica-b", ttl()).unwrap(),
        None,
        "a held lease is not granted to another holder"
    );
    let renewed = lease.renew(&a, ttl()).unwrap();
    assert_eq!(renewed.term, a.term, "a renewal is the same term");
    assert!(
        renewed.expires_at >= a.expires_at,
        "and lasts at least as long"
    );
    let again = lease
        .try_acquire("replica-a", ttl())
        .unwrap()
        .expect("the holder gets its lease back");
    assert_eq!(again.term, a.term, "the same term");
    lease.release(&again).unwrap();
    assert_eq!(lease.holder().unwrap(), None, "released");
}

/// Release hands the lease over at once; the released holder is fenced off.
pub fn release_hands_over<L: Lease>(lease: &L) {
    let a = lease.try_acquire("replica-a", ttl()).unwrap().unwrap();
    lease.release(&a).unwrap();
    assert!(!lease.is_leader("replica-a").unwrap(), "released");
    let b = lease
        .try_acquire("replica-b", ttl())
        .unwrap()
        .expect("a released lease is free");
    assert!(b.term > a.term, "terms increase across holders");
    assert!(lease.is_leader("replica-b").unwrap());
    assert_eq!(
        lease.renew(&a, ttl()),
        Err(LeaseError::Lost {
            holder: "replica-a".into(),
            term: a.term
        }),
        "a released lease cannot be renewed"
    );
    lease.release(&a).unwrap();
    assert!(
        lease.is_leader("replica-b").unwrap(),
        "releasing a stale lease leaves the new holder alone"
    );
    lease.release(&b).unwrap();
}

/// Zero and negative times to live are typed errors and take nothing.
pub fn bad_ttls<L: Lease>(lease: &L) {
    for ttl in [TimeDelta::zero(), TimeDelta::seconds(-1)] {
        assert_eq!(
            lease.try_acquire("replica-a", ttl),
            Err(LeaseError::InvalidTtl { ttl })
        );
    }
    assert_eq!(lease.holder().unwrap(), None, "nothing was taken");
}
