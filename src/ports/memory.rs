//! The in-memory store: linearizable (one lock), strictly increasing
//! resource versions, no lost update.

use std::collections::BTreeMap;
use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::api;
use crate::reference::{Digest, Namespace, StreamName};
use crate::stream::ImageStream;

use super::store::{ImageStore, Page, StoreChange, StoreError, Stored, StreamStore};

/// Streams and images in memory. Every operation takes one lock, so the
/// store is linearizable; resource versions come from one counter, so
/// they strictly increase across all writes; an update with a stale
/// version is a [`StoreError::Conflict`], so no update is ever lost.
///
/// The change log behind [`StreamStore::changes_since`] keeps the last
/// [`DEFAULT_LOG_CAPACITY`] changes (see [`MemoryStore::with_log_capacity`]);
/// older revisions are [`StoreError::Compacted`], as in etcd.
#[derive(Debug)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    log_capacity: usize,
}

/// How many changes a [`MemoryStore`] keeps for `changes_since` by default.
pub const DEFAULT_LOG_CAPACITY: usize = 1_000;

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            inner: Mutex::default(),
            log_capacity: DEFAULT_LOG_CAPACITY,
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
    Created(Arc<Stored<ImageStream>>),
    Updated(Arc<Stored<ImageStream>>),
    Deleted(Namespace, StreamName, u64),
}

impl LogEntry {
    fn resource_version(&self) -> u64 {
        match self {
            Self::Created(s) | Self::Updated(s) => s.resource_version,
            Self::Deleted(_, _, v) => *v,
        }
    }

    fn to_change(&self) -> StoreChange {
        match self {
            Self::Created(s) => StoreChange::Created((**s).clone()),
            Self::Updated(s) => StoreChange::Updated((**s).clone()),
            Self::Deleted(namespace, name, v) => StoreChange::Deleted {
                namespace: namespace.clone(),
                name: name.clone(),
                resource_version: *v,
            },
        }
    }
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

    fn record(&self, g: &mut Inner, change: LogEntry) {
        g.log.push_back(change);
        while g.log.len() > self.log_capacity {
            if let Some(old) = g.log.pop_front() {
                g.compacted = old.resource_version();
            }
        }
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
        self.lock()
            .streams
            .get(namespace)
            .and_then(|names| names.get(name))
            .map(|s| (**s).clone())
            .ok_or_else(|| not_found(name))
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
        let mut items: Vec<Stored<ImageStream>> = g
            .streams
            .get(namespace)
            .map(|names| {
                names
                    .range((start, Bound::Unbounded))
                    .take(limit.saturating_add(1))
                    .map(|(_, v)| (**v).clone())
                    .collect()
            })
            .unwrap_or_default();
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
        if stream.metadata().uid.is_empty() {
            stream.set_uid(format!("00000000-0000-4000-8000-{:012x}", g.next_uid));
        }
        stream.set_resource_version(rv);
        let stored = Arc::new(Stored::new(stream, rv));
        g.insert(key, Arc::clone(&stored));
        self.record(&mut g, LogEntry::Created(Arc::clone(&stored)));
        Ok((*stored).clone())
    }

    fn update(
        &self,
        mut stream: ImageStream,
        expected_version: u64,
    ) -> Result<Stored<ImageStream>, StoreError> {
        let mut g = self.lock();
        let key = (stream.namespace().clone(), stream.name().clone());
        let current = g.stream(&key.0, &key.1).ok_or_else(|| not_found(&key.1))?;
        if current.resource_version != expected_version {
            return Err(StoreError::Conflict {
                resource: "imagestreams",
                name: key.1.to_string(),
                expected: expected_version,
                actual: current.resource_version,
            });
        }
        let uid = current.value.metadata().uid.clone();
        g.revision += 1;
        let rv = g.revision;
        stream.set_uid(uid);
        stream.set_resource_version(rv);
        let stored = Arc::new(Stored::new(stream, rv));
        g.insert(key, Arc::clone(&stored));
        self.record(&mut g, LogEntry::Updated(Arc::clone(&stored)));
        // Only the caller's copy is a deep clone; the store shares one.
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
            });
        }
        // The log is in version order: binary search for the start.
        let start = g.log.partition_point(|c| c.resource_version() <= revision);
        Ok(g.log.range(start..).map(LogEntry::to_change).collect())
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

    fn create_image_if_absent(&self, image: api::Image) -> Result<bool, StoreError> {
        let name = Digest::parse(&image.metadata.name)
            .map_err(|_| StoreError::InvalidImageName(image.metadata.name.clone()))?;
        let mut g = self.lock();
        if g.images.contains_key(name.as_str()) {
            return Ok(false);
        }
        g.images.insert(name.as_str().into(), image);
        Ok(true)
    }

    fn list_images(&self) -> Result<Vec<api::Image>, StoreError> {
        Ok(self.lock().images.values().cloned().collect())
    }
}
