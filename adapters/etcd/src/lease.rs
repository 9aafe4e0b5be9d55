//! [`Lease`] on etcd: a key created only if absent, attached to an etcd
//! lease of the ttl; the key's `create_revision` is the term.

use etcd_client::{Compare, CompareOp, PutOptions, Txn, TxnOp, TxnOpResponse};
use imagestream::chrono::{TimeDelta, Utc};
use imagestream::ports::{Held, Lease, LeaseError, StoreError};

use crate::store::{EtcdStore, retry, unavailable};

/// The longest ttl asked of etcd (a year; etcd's own maximum is larger).
const MAX_TTL_SECS: i64 = 365 * 86_400;

/// One named lease in etcd, shared by every replica that opens the same
/// name on the same prefix. From [`EtcdStore::lease`].
///
/// The term of a tenure is the lease key's `create_revision` (an etcd
/// revision: it grows with every new holder). The ttl is etcd's, in whole
/// seconds rounded up, fixed when a holder takes the lease: a renewal
/// restores it (etcd keeps a lease's ttl), whatever ttl the renewal names.
/// `expires_at` is this process's estimate (its clock plus what etcd says
/// is left); etcd's own expiry is what counts.
#[derive(Debug, Clone)]
pub struct EtcdLease {
    store: EtcdStore,
    key: String,
}

impl EtcdStore {
    /// The lease `name` (say `imagestream-controller`) of this store's
    /// prefix.
    #[must_use]
    pub fn lease(&self, name: &str) -> EtcdLease {
        EtcdLease {
            store: self.clone(),
            key: self.inner.keys.lease(name),
        }
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(lease_error)`
fn lease_error(e: StoreError) -> LeaseError {
    LeaseError::Unavailable(e.to_string())
}

fn seconds(ttl: TimeDelta) -> Result<i64, LeaseError> {
    if ttl <= TimeDelta::zero() || ttl.num_seconds() >= MAX_TTL_SECS {
        return Err(LeaseError::InvalidTtl { ttl });
    }
    // Whole seconds, rounded up (bounded above).
    let whole = ttl.num_seconds();
    Ok(if ttl > TimeDelta::seconds(whole) {
        whole + 1
    } else {
        whole
    })
}

/// The lease key now: holder, term (`create_revision`), etcd lease id.
#[derive(Debug)]
struct Current {
    holder: String,
    term: u64,
    lease: i64,
}

impl Current {
    fn of(kv: &etcd_client::KeyValue) -> Self {
        Self {
            holder: String::from_utf8_lossy(kv.value()).into_owned(),
            term: u64::try_from(kv.create_revision()).unwrap_or(0),
            lease: kv.lease(),
        }
    }
}

impl EtcdLease {
    fn current(&self) -> Result<Option<Current>, LeaseError> {
        let key = self.key.clone();
        self.store
            .call(move |c, deadline| async move {
                let resp = retry(deadline, || c.get(key.clone(), None))
                    .await
                    .map_err(|e| unavailable(&e))?;
                Ok(resp.kvs().first().map(Current::of))
            })
            .map_err(lease_error)
    }

    /// Keeps etcd lease `id` alive once; the seconds etcd says are left
    /// (0: it expired).
    fn keep_alive(&self, id: i64) -> Result<i64, LeaseError> {
        self.store
            .call(move |c, deadline| async move {
                let (mut keeper, mut stream) = retry(deadline, || c.keep_alive(id))
                    .await
                    .map_err(|e| unavailable(&e))?;
                keeper.keep_alive().await.map_err(|e| unavailable(&e))?;
                let resp = stream.message().await.map_err(|e| unavailable(&e))?;
                Ok(resp.map_or(0, |r| r.ttl()))
            })
            .map_err(lease_error)
    }

    /// The seconds etcd lease `id` has left (0 or less: gone).
    fn remaining(&self, id: i64) -> Result<i64, LeaseError> {
        self.store
            .call(move |c, deadline| async move {
                let resp = retry(deadline, || c.time_to_live(id))
                    .await
                    .map_err(|e| unavailable(&e))?;
                Ok(resp.ttl())
            })
            .map_err(lease_error)
    }

    fn held(&self, cur: Current, left: i64) -> Held {
        let now = self.store.inner.config.clock.now();
        let expires_at = now
            .checked_add_signed(TimeDelta::seconds(left))
            .unwrap_or(chrono_max());
        Held::new(cur.holder, cur.term, expires_at)
    }
}

fn chrono_max() -> imagestream::chrono::DateTime<Utc> {
    imagestream::chrono::DateTime::<Utc>::MAX_UTC
}

impl Lease for EtcdLease {
    fn try_acquire(&self, holder: &str, ttl: TimeDelta) -> Result<Option<Held>, LeaseError> {
        let secs = seconds(ttl)?;
        let key = self.key.clone();
        let value = holder.to_owned();
        let current = self
            .store
            .call(move |c, deadline| async move {
                let granted = retry(deadline, || c.grant(secs, None))
                    .await
                    .map_err(|e| unavailable(&e))?;
                let id = granted.id();
                let txn = Txn::new()
                    .when([Compare::create_revision(key.clone(), CompareOp::Equal, 0)])
                    .and_then([
                        TxnOp::put(
                            key.clone(),
                            value.clone(),
                            Some(PutOptions::new().with_lease(id)),
                        ),
                        TxnOp::get(key.clone(), None),
                    ])
                    .or_else([TxnOp::get(key.clone(), None)]);
                let resp = retry(deadline, || c.txn(txn.clone()))
                    .await
                    .map_err(|e| unavailable(&e))?;
                let current = resp.op_responses().into_iter().find_map(|r| match r {
                    TxnOpResponse::Get(g) => g.kvs().first().map(Current::of),
                    _ => None,
                });
                if current.as_ref().is_none_or(|cur| cur.lease != id) {
                    // Not used: give it back (it would expire anyway).
                    let mut lease = c.lease.clone();
                    let _ = lease.revoke(id).await;
                }
                Ok(current)
            })
            .map_err(lease_error)?;
        match current {
            Some(cur) if cur.holder == holder => {
                // Ours: newly taken, or held from before (then renewed).
                let left = self.keep_alive(cur.lease)?;
                Ok((left > 0).then(|| self.held(cur, left)))
            }
            _ => Ok(None),
        }
    }

    fn renew(&self, held: &Held, ttl: TimeDelta) -> Result<Held, LeaseError> {
        seconds(ttl)?;
        let lost = || LeaseError::Lost {
            holder: held.holder.clone(),
            term: held.term,
        };
        match self.current()? {
            Some(cur) if cur.term == held.term && cur.holder == held.holder => {
                let left = self.keep_alive(cur.lease)?;
                if left > 0 {
                    Ok(self.held(cur, left))
                } else {
                    Err(lost())
                }
            }
            _ => Err(lost()),
        }
    }

    fn release(&self, held: &Held) -> Result<(), LeaseError> {
        let key = self.key.clone();
        let term = i64::try_from(held.term).unwrap_or(i64::MAX);
        let holder = held.holder.clone();
        self.store
            .call(move |c, deadline| async move {
                // Delete the key only if it is still this tenure's, and
                // give its etcd lease back.
                let txn = Txn::new()
                    .when([
                        Compare::create_revision(key.clone(), CompareOp::Equal, term),
                        Compare::value(key.clone(), CompareOp::Equal, holder.clone()),
                    ])
                    .and_then([
                        TxnOp::get(key.clone(), None),
                        TxnOp::delete(key.clone(), None),
                    ]);
                let resp = retry(deadline, || c.txn(txn.clone()))
                    .await
                    .map_err(|e| unavailable(&e))?;
                if let Some(TxnOpResponse::Get(g)) = resp.op_responses().into_iter().next()
                    && let Some(kv) = g.kvs().first()
                {
                    let mut lease = c.lease.clone();
                    let _ = lease.revoke(kv.lease()).await;
                }
                Ok(())
            })
            .map_err(lease_error)
    }

    fn holder(&self) -> Result<Option<Held>, LeaseError> {
        let Some(cur) = self.current()? else {
            return Ok(None);
        };
        let left = self.remaining(cur.lease)?;
        Ok((left > 0).then(|| self.held(cur, left)))
    }
}
