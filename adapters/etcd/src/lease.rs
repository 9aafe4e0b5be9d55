//! [`Lease`] on etcd: a key created only if absent, attached to an etcd
//! lease of the ttl; its `create_revision` is the fencing token.

use std::time::Duration;

use etcd_client::{Compare, CompareOp, PutOptions, Txn, TxnOp, TxnOpResponse};
use imagestream::ports::{Lease, LeaseError, LeaseGrant, StoreError};

use crate::store::{EtcdStore, retry, unavailable};

/// The longest ttl asked of etcd (a year; etcd's own maximum is larger).
const MAX_TTL: Duration = Duration::from_secs(365 * 86_400);

#[allow(clippy::needless_pass_by_value)] // used as `map_err(lease_error)`
fn lease_error(e: StoreError) -> LeaseError {
    LeaseError::Unavailable(e.to_string())
}

fn checked(name: &str, holder: &str, ttl: Duration) -> Result<i64, LeaseError> {
    if name.is_empty() || holder.is_empty() || name.contains('/') {
        return Err(LeaseError::Empty {
            name: name.to_owned(),
            holder: holder.to_owned(),
        });
    }
    if ttl < Duration::from_secs(1) || ttl > MAX_TTL {
        return Err(LeaseError::InvalidTtl {
            name: name.to_owned(),
            ttl,
            max: MAX_TTL,
        });
    }
    // Whole seconds, rounded up; bounded by MAX_TTL above.
    let secs = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
    Ok(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// What the lease key holds now: `(holder, create_revision, etcd lease id)`.
type Current = Option<(String, u64, i64)>;

impl EtcdStore {
    fn lease_key_state(&self, name: &str) -> Result<Current, LeaseError> {
        let key = self.inner.keys.lease(name);
        self.call(move |c, deadline| async move {
            let mut resp = retry(deadline, || c.get(key.clone(), None))
                .await
                .map_err(|e| unavailable(&e))?;
            Ok(resp.take_kvs().into_iter().next().map(|kv| {
                (
                    String::from_utf8_lossy(kv.value()).into_owned(),
                    u64::try_from(kv.create_revision()).unwrap_or(0),
                    kv.lease(),
                )
            }))
        })
        .map_err(lease_error)
    }

    /// Keeps etcd lease `id` alive once; its remaining ttl (0: expired).
    fn keep_alive_once(&self, id: i64) -> Result<i64, LeaseError> {
        self.call(move |c, deadline| async move {
            let (mut keeper, mut stream) = retry(deadline, || c.keep_alive(id))
                .await
                .map_err(|e| unavailable(&e))?;
            keeper.keep_alive().await.map_err(|e| unavailable(&e))?;
            let resp = stream.message().await.map_err(|e| unavailable(&e))?;
            Ok(resp.map_or(0, |r| r.ttl()))
        })
        .map_err(lease_error)
    }
}

impl Lease for EtcdStore {
    fn acquire(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<LeaseGrant>, LeaseError> {
        let secs = checked(name, holder, ttl)?;
        let key = self.inner.keys.lease(name);
        let value = holder.to_owned();
        let outcome = self
            .call(move |mut c, deadline| async move {
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
                let kv = resp.op_responses().into_iter().find_map(|r| match r {
                    TxnOpResponse::Get(mut g) => g.take_kvs().into_iter().next(),
                    _ => None,
                });
                let current = kv.map(|kv| {
                    (
                        String::from_utf8_lossy(kv.value()).into_owned(),
                        u64::try_from(kv.create_revision()).unwrap_or(0),
                        kv.lease(),
                    )
                });
                let ours = current.as_ref().is_some_and(|c| c.2 == id);
                if !ours {
                    // Not used: give it back (it would expire anyway).
                    let _ = c.lease.revoke(id).await;
                }
                Ok(current)
            })
            .map_err(lease_error)?;
        match outcome {
            Some((h, token, id)) if h == holder => {
                // Our own (new, or held from before: renew it).
                if self.keep_alive_once(id)? <= 0 {
                    return Ok(None);
                }
                Ok(Some(LeaseGrant::new(name.to_owned(), h, ttl, token)))
            }
            _ => Ok(None),
        }
    }

    fn renew(&self, grant: &LeaseGrant) -> Result<(), LeaseError> {
        let lost = || LeaseError::Lost {
            name: grant.name.clone(),
            holder: grant.holder.clone(),
        };
        match self.lease_key_state(&grant.name)? {
            Some((h, token, id)) if token == grant.token && h == grant.holder => {
                if self.keep_alive_once(id)? > 0 {
                    Ok(())
                } else {
                    Err(lost())
                }
            }
            _ => Err(lost()),
        }
    }

    fn release(&self, grant: &LeaseGrant) -> Result<(), LeaseError> {
        let key = self.inner.keys.lease(&grant.name);
        let token = i64::try_from(grant.token).unwrap_or(i64::MAX);
        self.call(move |mut c, deadline| async move {
            // Delete the key only if it is still this tenure's, and give
            // the etcd lease back.
            let txn = Txn::new()
                .when([Compare::create_revision(
                    key.clone(),
                    CompareOp::Equal,
                    token,
                )])
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
                let _ = c.lease.revoke(kv.lease()).await;
            }
            Ok(())
        })
        .map_err(lease_error)
    }

    fn is_leader(&self, grant: &LeaseGrant) -> Result<bool, LeaseError> {
        Ok(self
            .lease_key_state(&grant.name)?
            .is_some_and(|(h, token, _)| token == grant.token && h == grant.holder))
    }

    fn holder(&self, name: &str) -> Result<Option<String>, LeaseError> {
        Ok(self.lease_key_state(name)?.map(|(h, _, _)| h))
    }
}
