//! The in-memory store: linearizable (one lock), strictly increasing
//! resource versions, no lost update.

use std::collections::BTreeMap;
use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::api;
use crate::reference::{Digest, Namespace, StreamName};
use crate::stream::{ImageStream, ImageWrite, seal_image};

use super::Clock;
use super::store::{ImageStore, Page, StoreChange, StoreError, Stored, StreamStore};

/// Streams and images in memory. Every operation takes one lock, so the
/// store is linearizable; resource versions come from one counter, so
/// they strictly increase across all writes; an update with a stale
/// version is a [`StoreError::Conflict`], so no update is ever lost.
///
/// Each version of a stream is one shared snapshot (an `Arc`): the map and
/// the change log hold the same allocation, and the lock is released
/// before a copy is made for a caller. Copies of an [`ImageStream`] share
/// every tag they have not changed, so handing one out costs a few
/// reference counts, and a thousand versions of a stream that differ in
/// one tag each hold about one stream plus a thousand changed tags.
///
/// The change log behind [`StreamStore::changes_since`] keeps at most the
/// last [`DEFAULT_LOG_CAPACITY`] changes and at most
/// [`DEFAULT_LOG_BYTES`] of superseded snapshots (estimated with
/// [`ImageStream::approximate_size`] for a created stream and
/// [`ImageStream::approximate_size_beyond`] the version it replaces for
/// an update, since versions share the tags they do not change; see
/// [`MemoryStore::with_log_capacity`] and [`MemoryStore::with_log_bytes`]);
/// older revisions are [`StoreError::Compacted`], as in etcd. The newest
/// change is always kept.
///
/// Like the API server, the store sets the server's fields on create: a
/// fresh `uid`, the `resourceVersion`, no `deletionTimestamp` or
/// `deletionGracePeriodSeconds`, and, given a clock
/// ([`MemoryStore::with_clock`]), the `creationTimestamp` (without one,
/// the caller stamps it: [`ImageStreams::create`](crate::service::ImageStreams::create)
/// does, from its clock, whatever the client sent). An update keeps the
/// stored `uid`, `creationTimestamp` and deletion fields.
pub struct MemoryStore {
    inner: Mutex<Inner>,
    log_capacity: usize,
    log_bytes: usize,
    clock: Option<Arc<dyn Clock>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("log_capacity", &self.log_capacity)
            .field("log_bytes", &self.log_bytes)
            .field("has_clock", &self.clock.is_some())
            .finish_non_exhaustive()
    }
}

/// How many changes a [`MemoryStore`] keeps for `changes_since` by default.
pub const DEFAULT_LOG_CAPACITY: usize = 1_000;

/// How many bytes of stream snapshots a [`MemoryStore`]'s change log keeps
/// by default (32 MiB): 1,000 updates of a 1,000-tag stream would
/// otherwise hold 1,000 full copies of it.
pub const DEFAULT_LOG_BYTES: usize = 32 * 1024 * 1024;

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            inner: Mutex::default(),
            log_capacity: DEFAULT_LOG_CAPACITY,
            log_bytes: DEFAULT_LOG_BYTES,
            clock: None,
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    /// The revision before the oldest change kept.
    compacted: u64,
    revision: u64,
    next_uid: u64,
    /// Each version is one shared snapshot: the map and the log hold the
    /// same allocation.
    streams: BTreeMap<Namespace, BTreeMap<StreamName, Arc<Stored<ImageStream>>>>,
    images: BTreeMap<Box<str>, api::Image>,
    log: VecDeque<LogEntry>,
    /// The estimated bytes of the log's snapshots.
    log_size: usize,
}

impl Inner {
    fn stream(
        &self,
        namespace: &Namespace,
        name: &StreamName,
    ) -> Option<&Arc<Stored<ImageStream>>> {
        self.streams
            .get(namespace)
            .and_then(|names| names.get(name))
    }

    fn insert(
        &mut self,
        (namespace, name): (Namespace, StreamName),
        stored: Arc<Stored<ImageStream>>,
    ) {
        self.streams
            .entry(namespace)
            .or_default()
            .insert(name, stored);
    }

    fn remove(&mut self, namespace: &Namespace, name: &StreamName) {
        if let Some(names) = self.streams.get_mut(namespace) {
            names.remove(name);
            if names.is_empty() {
                self.streams.remove(namespace);
            }
        }
    }
}

#[derive(Debug)]
enum LogEntry {
    Created(Arc<Stored<ImageStream>>, usize),
    Updated(Arc<Stored<ImageStream>>, usize),
    Deleted(Namespace, StreamName, u64),
}

impl LogEntry {
    fn resource_version(&self) -> u64 {
        match self {
            Self::Created(s, _) | Self::Updated(s, _) => s.resource_version,
            Self::Deleted(_, _, v) => *v,
        }
    }

    /// The snapshot's estimated size.
    fn bytes(&self) -> usize {
        match self {
            Self::Created(_, n) | Self::Updated(_, n) => *n,
            Self::Deleted(..) => std::mem::size_of::<Self>(),
        }
    }

    /// A copy that shares the snapshot (cheap: taken under the lock).
    fn share(&self) -> Self {
        match self {
            Self::Created(s, n) => Self::Created(Arc::clone(s), *n),
            Self::Updated(s, n) => Self::Updated(Arc::clone(s), *n),
            Self::Deleted(ns, name, v) => Self::Deleted(ns.clone(), name.clone(), *v),
        }
    }

    /// The change as the trait reports it (a copy, sharing the tags: taken after the
    /// lock is released).
    fn into_change(self) -> StoreChange {
        match self {
            Self::Created(s, _) => StoreChange::Created(unshare(s)),
            Self::Updated(s, _) => StoreChange::Updated(unshare(s)),
            Self::Deleted(namespace, name, v) => StoreChange::Deleted {
                namespace,
                name,
                resource_version: v,
            },
        }
    }
}

/// The value of a shared snapshot: moved out when nothing else holds it,
/// else copied.
fn unshare(s: Arc<Stored<ImageStream>>) -> Stored<ImageStream> {
    Arc::try_unwrap(s).unwrap_or_else(|s| (*s).clone())
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store keeping the last `capacity` changes (at least one).
    #[must_use]
    pub fn with_log_capacity(capacity: usize) -> Self {
        Self {
            log_capacity: capacity.max(1),
            ..Self::default()
        }
    }

    /// This store, keeping at most `bytes` of snapshots in its change log
    /// (the newest change is kept whatever its size).
    #[must_use]
    pub fn with_log_bytes(mut self, bytes: usize) -> Self {
        self.log_bytes = bytes;
        self
    }

    /// This store, stamping `creationTimestamp` from `clock` on create.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    fn record(&self, g: &mut Inner, change: LogEntry) {
        g.log_size = g.log_size.saturating_add(change.bytes());
        g.log.push_back(change);
        while g.log.len() > self.log_capacity || (g.log_size > self.log_bytes && g.log.len() > 1) {
            let Some(old) = g.log.pop_front() else { break };
            g.log_size = g.log_size.saturating_sub(old.bytes());
            g.compacted = old.resource_version();
        }
    }

    /// The estimated bytes of snapshots the change log holds.
    #[must_use]
    pub fn log_bytes(&self) -> usize {
        self.lock().log_size
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave Inner half-written:
        // every write builds its new value first and inserts it last.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The store's current revision (the last resource version issued).
    #[must_use]
    pub fn revision(&self) -> u64 {
        self.lock().revision
    }
}

fn not_found(name: &StreamName) -> StoreError {
    StoreError::NotFound {
        resource: "imagestreams",
        name: name.to_string(),
    }
}

impl StreamStore for MemoryStore {
    fn get(
        &self,
        namespace: &Namespace,
        name: &StreamName,
    ) -> Result<Stored<ImageStream>, StoreError> {
        let shared = self
            .lock()
            .streams
            .get(namespace)
            .and_then(|names| names.get(name))
            .map(Arc::clone)
            .ok_or_else(|| not_found(name))?;
        // Copied once the lock is released.
        Ok((*shared).clone())
    }

    fn list(
        &self,
        namespace: &Namespace,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<Page<Stored<ImageStream>>, StoreError> {
        let after = match continue_token {
            None => None,
            Some(t) => {
                Some(StreamName::parse(t).map_err(|_| StoreError::InvalidContinue(t.to_owned()))?)
            }
        };
        let g = self.lock();
        let limit = limit.unwrap_or(usize::MAX).max(1);
        // Names after the continue token, in order: O(log n + limit).
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let shared: Vec<Arc<Stored<ImageStream>>> = g
            .streams
            .get(namespace)
            .map(|names| {
                names
                    .range((start, Bound::Unbounded))
                    .take(limit.saturating_add(1))
                    .map(|(_, v)| Arc::clone(v))
                    .collect()
            })
            .unwrap_or_default();
        drop(g);
        // Copied once the lock is released.
        let mut items: Vec<Stored<ImageStream>> = shared.iter().map(|s| (**s).clone()).collect();
        let more = items.len() > limit;
        items.truncate(limit);
        let token = more
            .then(|| items.last().map(|s| s.value.name().to_string()))
            .flatten();
        Ok(Page::new(items, token))
    }

    fn create(&self, mut stream: ImageStream) -> Result<Stored<ImageStream>, StoreError> {
        let mut g = self.lock();
        let key = (stream.namespace().clone(), stream.name().clone());
        if g.stream(&key.0, &key.1).is_some() {
            return Err(StoreError::AlreadyExists {
                resource: "imagestreams",
                name: key.1.to_string(),
            });
        }
        g.revision += 1;
        g.next_uid += 1;
        let rv = g.revision;
        // The server's fields are the server's: whatever the client sent.
        let created = self
            .clock
            .as_ref()
            .map(|c| c.now())
            .or(stream.metadata().creation_timestamp);
        stream.set_system_fields(
            format!("00000000-0000-4000-8000-{:012x}", g.next_uid),
            rv,
            created,
            None,
        );
        let bytes = stream.approximate_size();
        let stored = Arc::new(Stored::new(stream, rv));
        g.insert(key, Arc::clone(&stored));
        self.record(&mut g, LogEntry::Created(Arc::clone(&stored), bytes));
        drop(g);
        Ok((*stored).clone())
    }

    fn update(
        &self,
        mut stream: ImageStream,
        expected_version: u64,
    ) -> Result<Stored<ImageStream>, StoreError> {
        let mut g = self.lock();
        let key = (stream.namespace().clone(), stream.name().clone());
        let current = Arc::clone(g.stream(&key.0, &key.1).ok_or_else(|| not_found(&key.1))?);
        if current.resource_version != expected_version {
            return Err(StoreError::Conflict {
                resource: "imagestreams",
                name: key.1.to_string(),
                expected: expected_version,
                actual: current.resource_version,
            });
        }
        let kept = current.value.metadata();
        let uid = kept.uid.clone();
        let created = kept.creation_timestamp;
        let deletion = (kept.deletion_timestamp, kept.deletion_grace_period_seconds);
        g.revision += 1;
        let rv = g.revision;
        stream.set_system_fields(uid, rv, created, Some(deletion));
        // Versions share every tag they do not change: the log holds
        // what this one adds beyond the version it replaces.
        let bytes = stream.approximate_size_beyond(&current.value);
        let stored = Arc::new(Stored::new(stream, rv));
        g.insert(key, Arc::clone(&stored));
        self.record(&mut g, LogEntry::Updated(Arc::clone(&stored), bytes));
        // The caller's copy shares the store's snapshot's tags.
        drop(g);
        Ok((*stored).clone())
    }

    fn delete(
        &self,
        namespace: &Namespace,
        name: &StreamName,
        uid: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let current = g.stream(namespace, name).ok_or_else(|| not_found(name))?;
        if let Some(expected) = uid {
            let actual = &current.value.metadata().uid;
            if actual != expected {
                return Err(StoreError::UidMismatch {
                    expected: expected.to_owned(),
                    actual: actual.clone(),
                });
            }
        }
        g.remove(namespace, name);
        g.revision += 1;
        let rv = g.revision;
        self.record(
            &mut g,
            LogEntry::Deleted(namespace.clone(), name.clone(), rv),
        );
        Ok(())
    }

    fn namespaces(&self) -> Result<Vec<Namespace>, StoreError> {
        Ok(self.lock().streams.keys().cloned().collect())
    }

    fn changes_since(&self, revision: u64) -> Result<Vec<StoreChange>, StoreError> {
        let g = self.lock();
        if revision < g.compacted {
            return Err(StoreError::Compacted {
                requested: revision,
                oldest: g.compacted,
                current: g.revision,
            });
        }
        // The log is in version order: binary search for the start.
        let start = g.log.partition_point(|c| c.resource_version() <= revision);
        let shared: Vec<LogEntry> = g.log.range(start..).map(LogEntry::share).collect();
        drop(g);
        // Writers go on while the versions are copied.
        Ok(shared.into_iter().map(LogEntry::into_change).collect())
    }
}

impl ImageStore for MemoryStore {
    fn get_image(&self, name: &Digest) -> Result<api::Image, StoreError> {
        self.lock()
            .images
            .get(name.as_str())
            .cloned()
            .ok_or_else(|| StoreError::NotFound {
                resource: "images",
                name: name.to_string(),
            })
    }

    fn put_image(&self, image: api::Image) -> Result<ImageWrite, StoreError> {
        // Checking and hashing happen before the lock is taken.
        let (name, content, image) = seal_image(image)?;
        let mut g = self.lock();
        let write = content.write_over(g.images.get(name.as_str()));
        if write != ImageWrite::Kept {
            g.images.insert(name.as_str().into(), image);
        }
        Ok(write)
    }

    fn list_images(&self) -> Result<Vec<api::Image>, StoreError> {
        Ok(self.lock().images.values().cloned().collect())
    }
}
