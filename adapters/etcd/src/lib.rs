//! etcd behind `imagestream`'s ports: [`EtcdStore`] is a
//! [`StreamStore`](imagestream::ports::StreamStore) and
//! [`ImageStore`](imagestream::ports::ImageStore), and [`EtcdLease`] (from
//! [`EtcdStore::lease`]) a [`Lease`](imagestream::ports::Lease), on etcd v3 (tested against etcd
//! 3.4, one node and a three-member cluster): durable, shared by any number
//! of processes and machines.
//!
//! ```no_run
//! // no_run: needs an etcd server listening on 127.0.0.1:2379.
//! use imagestream::ports::StreamStore;
//! use imagestream::reference::{Namespace, StreamName};
//! use imagestream::stream::ImageStream;
//! use imagestream_etcd::{EtcdConfig, EtcdStore};
//!
//! let store = EtcdStore::connect(&["http://127.0.0.1:2379"], EtcdConfig::new())?;
//! let is = ImageStream::new(Namespace::parse("test")?, StreamName::parse("app")?)?;
//! let created = store.create(is)?;
//! assert_eq!(created.value.metadata().resource_version, created.resource_version.to_string());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! A stream is not one value: its head (metadata, spec and status without
//! tags) is one key, and each tag's spec and history is another, so a
//! write sends only the tags that changed and a stream may be far larger
//! than etcd's request limit (1.5 MiB by default), which OpenShift's own
//! one-key layout cannot store. The keys, and why a reader always sees
//! one whole version, are described on the layout below the prefix:
//!
//! | key under the prefix | value |
//! |---|---|
//! | `streams/<ns>/<name>` | the head: the stream without tags, and `bucket -> bucket id` |
//! | `tags/<ns>/<name>/<uid>/~<bucket>/<bucket id>` | one of at most 256 buckets of the manifest: `tag -> [blob id, checksum]` for the tags whose name hashes to it (immutable) |
//! | `tags/<ns>/<name>/<uid>/<tag>/<blob id>` | one tag's spec and history (immutable) |
//! | `images/<digest>` | an image |
//! | `revision` | rewritten by every stream write: where the change log ends |
//! | `leases/<name>` | a lease's holder, attached to an etcd lease |
//!
//! Values are the JSON of the `api` types.
//!
//! # Versions
//!
//! A stream's resource version is its head's etcd `mod_revision`: every
//! write of a stream rewrites the head, in one transaction that compares
//! the revision the writer read (`create` compares `create_revision == 0`).
//! So resource versions are etcd revisions: strictly increasing across the
//! whole store, and comparable with [`changes_since`](imagestream::ports::StreamStore::changes_since).
//! The store sets the server-side fields as the API server does: `create`
//! assigns a new uid (a random UUID) and `creationTimestamp` (from the
//! configured [`Clock`]) and drops a client's
//! `deletionTimestamp`; `update` keeps the stored uid and timestamps.
//!
//! A write larger than one etcd request (more than
//! [`EtcdConfig::max_txn_ops`] keys or [`EtcdConfig::max_txn_bytes`]
//! bytes) first stages its new tag blobs and buckets under fresh keys no
//! head names yet, then commits the head; a writer that loses the race removes what
//! it staged. Blobs a commit made obsolete are removed in the same
//! transaction when they fit, else right after it.
//!
//! # Changes
//!
//! [`changes_since`](imagestream::ports::StreamStore::changes_since) reads
//! etcd's history: a watch from the next revision over the heads and the
//! `revision` key, up to that key's last write (which every stream write
//! ends with), each head's tags read at the change's revision. Nothing is
//! kept between calls, so a caller resumes after any disconnect by passing
//! the last revision it handled. A revision etcd compacted away is
//! [`StoreError::Compacted`](imagestream::ports::StoreError::Compacted)
//! with the current revision: re-list, then resume from there. (A
//! continued `list` whose first page's revision was compacted meanwhile is
//! `Compacted` too; there etcd does not say where it compacted, and
//! `oldest` is the current revision.)
//!
//! # Cache
//!
//! The store keeps the last version of recently used streams (see
//! [`EtcdConfig::cached_streams`]). A cached stream is served only while
//! its head's `mod_revision` in etcd is the cached one, which one small
//! request checks, so it is never stale; an update asks the cached version
//! which tags changed
//! ([`ImageStream::tags_changed_since`](imagestream::stream::ImageStream::tags_changed_since),
//! which costs what changed) and encodes and sends only those, their
//! buckets and the head. Without a cached version (another process wrote
//! last) the update reads the head and its buckets, not the tags, and
//! sends the tags whose encoding differs.
//!
//! # Performance
//!
//! `benches/etcd.rs` runs the same operations on `MemoryStore` and on a
//! single-member etcd 3.4 it starts (loopback, the 2-core development
//! machine, shared with a CI run; the mapping rows from a second run of
//! the `mapping` group alone):
//!
//! | operation | memory | etcd | etcd / memory |
//! |---|---|---|---|
//! | update, 1 writer (mean) | 1.5 µs | 1.6 ms | |
//! | update, 8 writers (wall time per update) | 1.9 µs | 2.2 ms | |
//! | update p50 / p99, 1 writer | 1.2 / 5.4 µs | 1.1 / 5.6 ms | |
//! | update p50 / p99, 8 writers | 0.8 / 3.0 µs | 3.5 / 12.9 ms | |
//! | updates/s, 1 / 8 writers | 358,000 / 853,000 | 730 / 1,900 | |
//! | mapping into 10 tags (read, add an event, write) | 5.1 µs | 1.94 ms | |
//! | mapping into 10,000 tags | 12.7 µs | 2.53 ms | |
//! | 10,000 tags / 10 tags | 2.5× | **1.3×** (goal ≤ 3×) | |
//!
//! A mapping into a 10,000-tag stream (each tag 10 events, capped at 11 so
//! the stream keeps its size over the run) sends one tag's blob, one
//! manifest bucket (about 40 entries) and the head (at most 256 bucket
//! ids), and encodes nothing else: the changed tag comes from
//! [`ImageStream::tags_changed_since`](imagestream::stream::ImageStream::tags_changed_since)
//! against the cached version. Before the bucketed manifest, the head
//! carried an entry per tag and the update converted the whole stream to
//! the wire: 16× (5.3 ms against 86 ms); before the cache, the mapping read
//! and decoded the whole stream each time: 1.4 s.
//!
//! # Failures
//!
//! Each call retries through etcd being unreachable or electing a leader
//! for [`EtcdConfig::retry_for`], then returns
//! [`StoreError::Unavailable`](imagestream::ports::StoreError::Unavailable).
//! A commit whose answer was lost is recognised on retry by the write id it
//! stored, so an acknowledged write is never reported as a conflict and a
//! write is never applied twice.
//!
//! # Threads and async programs
//!
//! etcd's client is async; the adapter runs it on a current-thread tokio
//! runtime on a thread of its own, and every port method hands its call
//! over and waits on a channel. So the blocking ports work from plain
//! threads and also from inside a tokio runtime (no nested `block_on`, no
//! panic). An async program should still call them through
//! `tokio::task::spawn_blocking` (as with any blocking I/O), so that its
//! workers keep running other tasks while etcd answers:
//!
//! ```no_run
//! # // no_run: needs an etcd server.
//! # async fn f(store: std::sync::Arc<imagestream_etcd::EtcdStore>) -> Result<(), Box<dyn std::error::Error>> {
//! use imagestream::ports::StreamStore;
//! use imagestream::reference::Namespace;
//!
//! let ns = Namespace::parse("test")?;
//! let page = tokio::task::spawn_blocking(move || store.list(&ns, Some(50), None)).await??;
//! # let _ = page; Ok(()) }
//! ```
//!
//! # Leases
//!
//! [`Lease`](imagestream::ports::Lease) is etcd's election recipe: a lease
//! key created only if absent (`create_revision == 0`), attached to an etcd
//! lease of the requested ttl (whole seconds, rounded up); the key's
//! `create_revision` is the term. A holder that stops renewing
//! loses the key when etcd expires its lease, and the next `acquire` of
//! another replica wins.

mod layout;
mod lease;
mod store;

use std::sync::Arc;
use std::time::Duration;

use imagestream::ports::{Clock, SystemClock};

pub use lease::EtcdLease;
pub use store::EtcdStore;

/// How an [`EtcdStore`] talks to etcd.
#[derive(Clone)]
pub struct EtcdConfig {
    pub(crate) prefix: String,
    pub(crate) request_timeout: Duration,
    pub(crate) retry_for: Duration,
    pub(crate) max_txn_ops: usize,
    pub(crate) max_txn_bytes: usize,
    pub(crate) cached_streams: usize,
    pub(crate) clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for EtcdConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdConfig")
            .field("prefix", &self.prefix)
            .field("request_timeout", &self.request_timeout)
            .field("retry_for", &self.retry_for)
            .field("max_txn_ops", &self.max_txn_ops)
            .field("max_txn_bytes", &self.max_txn_bytes)
            .field("cached_streams", &self.cached_streams)
            .finish_non_exhaustive()
    }
}

impl Default for EtcdConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl EtcdConfig {
    /// The defaults: prefix `/imagestream/`, 5 s per request, retries for
    /// 20 s, etcd's default limits (128 operations, and 1 MiB of values so
    /// a request stays below its 1.5 MiB), 32 cached streams, the system
    /// clock.
    #[must_use]
    pub fn new() -> Self {
        Self {
            prefix: "/imagestream/".into(),
            request_timeout: Duration::from_secs(5),
            retry_for: Duration::from_secs(20),
            max_txn_ops: 128,
            max_txn_bytes: 1 << 20,
            cached_streams: 32,
            clock: Arc::new(SystemClock),
        }
    }

    /// The key prefix every key of this store starts with (a `/` is added
    /// when missing). Stores with different prefixes share nothing.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long one etcd request may take.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long a call keeps retrying while etcd is unreachable or has no
    /// leader.
    #[must_use]
    pub fn retry_for(mut self, duration: Duration) -> Self {
        self.retry_for = duration;
        self
    }

    /// The most operations one transaction may hold (etcd's
    /// `--max-txn-ops`; at least 4).
    #[must_use]
    pub fn max_txn_ops(mut self, ops: usize) -> Self {
        self.max_txn_ops = ops.max(4);
        self
    }

    /// The most value bytes one transaction may carry (below etcd's
    /// `--max-request-bytes`; at least 64 KiB).
    #[must_use]
    pub fn max_txn_bytes(mut self, bytes: usize) -> Self {
        self.max_txn_bytes = bytes.max(64 << 10);
        self
    }

    /// How many streams the store keeps decoded (0: none). A cached stream
    /// is used only while its head's revision in etcd is the cached one
    /// (one small request checks), so a read of an unchanged stream does
    /// not fetch and decode its tags again, and an update encodes only the
    /// tags whose values changed.
    #[must_use]
    pub fn cached_streams(mut self, streams: usize) -> Self {
        self.cached_streams = streams;
        self
    }

    /// The clock `creationTimestamp` comes from (the service's clock, to
    /// keep one notion of now).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// Why [`EtcdStore::connect`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The adapter's runtime thread could not start.
    #[error("cannot start the etcd client runtime: {0}")]
    Runtime(#[from] std::io::Error),
    /// The endpoints were rejected.
    #[error("cannot connect to etcd at {endpoints:?}: {reason}")]
    Connect {
        /// The endpoints given.
        endpoints: Vec<String>,
        /// etcd's client's reason.
        reason: String,
    },
}
