//! [`EtcdStore`]: the ports on etcd.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, DeleteOptions, EventType, GetOptions, KeyValue,
    KvClient, LeaseClient, Txn, TxnOp, TxnOpResponse, TxnResponse, WatchClient, WatchOptions,
};
use imagestream::api;
use imagestream::ports::{ImageStore, Page, StoreChange, StoreError, Stored, StreamStore};
use imagestream::reference::{Digest, Namespace, StreamName};
use imagestream::stream::{ImageStream, ImageWrite, seal_image};
use tokio::time::Instant;

use crate::layout::{self, Head, HeadWrite, Keys, Manifest};
use crate::{ConnectError, EtcdConfig};
use imagestream_blocking::Runtime;

/// The largest message the adapter accepts from etcd (a stream is read in
/// one response, and may be tens of MiB).
const MAX_DECODE: usize = 1 << 30;

/// Streams, images and leases in etcd. Cheap to clone (one connection and
/// one runtime thread, shared); see the [crate docs](crate) for the layout
/// and the threading model.
#[derive(Clone)]
pub struct EtcdStore {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) conn: Conn,
    pub(crate) keys: Keys,
    pub(crate) config: EtcdConfig,
    /// The last version of recently used streams this store read or wrote,
    /// by head key: a hit needs only the head's revision from etcd.
    cache: Mutex<BTreeMap<String, Arc<Cached>>>,
    // Dropped last: the connection's tasks live on it.
    runtime: Runtime,
}

/// The clients, cloned into each call.
#[derive(Clone)]
pub(crate) struct Conn {
    pub(crate) kv: KvClient,
    pub(crate) watch: WatchClient,
    pub(crate) lease: LeaseClient,
}

impl Conn {
    pub(crate) fn get(
        &self,
        key: impl Into<Vec<u8>>,
        options: Option<GetOptions>,
    ) -> impl Future<Output = Result<etcd_client::GetResponse, etcd_client::Error>> + Send + 'static
    {
        let (mut kv, key) = (self.kv.clone(), key.into());
        async move { kv.get(key, options).await }
    }

    pub(crate) fn watch(
        &self,
        key: impl Into<Vec<u8>>,
        options: WatchOptions,
    ) -> impl Future<Output = Result<etcd_client::WatchStream, etcd_client::Error>> + Send + 'static
    {
        let (mut watch, key) = (self.watch.clone(), key.into());
        async move { watch.watch(key, Some(options)).await }
    }

    pub(crate) fn txn(
        &self,
        txn: Txn,
    ) -> impl Future<Output = Result<TxnResponse, etcd_client::Error>> + Send + 'static {
        let mut kv = self.kv.clone();
        async move { kv.txn(txn).await }
    }

    pub(crate) fn grant(
        &self,
        ttl: i64,
        options: Option<etcd_client::LeaseGrantOptions>,
    ) -> impl Future<Output = Result<etcd_client::LeaseGrantResponse, etcd_client::Error>> + Send + 'static
    {
        let mut lease = self.lease.clone();
        async move { lease.grant(ttl, options).await }
    }

    pub(crate) fn time_to_live(
        &self,
        id: i64,
    ) -> impl Future<Output = Result<etcd_client::LeaseTimeToLiveResponse, etcd_client::Error>>
    + Send
    + 'static {
        let mut lease = self.lease.clone();
        async move { lease.time_to_live(id, None).await }
    }

    pub(crate) fn keep_alive(
        &self,
        id: i64,
    ) -> impl Future<
        Output = Result<
            (etcd_client::LeaseKeeper, etcd_client::LeaseKeepAliveStream),
            etcd_client::Error,
        >,
    > + Send
    + 'static {
        let mut lease = self.lease.clone();
        async move { lease.keep_alive(id).await }
    }
}

impl std::fmt::Debug for EtcdStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdStore")
            .field("prefix", &self.inner.keys.prefix())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

pub(crate) fn unavailable(e: &etcd_client::Error) -> StoreError {
    StoreError::Unavailable(format!("etcd: {e}"))
}

fn is_compacted(e: &etcd_client::Error) -> bool {
    matches!(e, etcd_client::Error::GRpcStatus(s) if s.message().contains("compacted"))
}

fn is_future(e: &etcd_client::Error) -> bool {
    matches!(e, etcd_client::Error::GRpcStatus(s) if s.message().contains("future revision"))
}

/// Whether trying again may help (etcd down, restarting, or electing).
fn retriable(e: &etcd_client::Error) -> bool {
    use tonic::Code;
    match e {
        etcd_client::Error::GRpcStatus(s) => !matches!(
            s.code(),
            Code::InvalidArgument
                | Code::FailedPrecondition
                | Code::OutOfRange
                | Code::PermissionDenied
                | Code::Unauthenticated
                | Code::ResourceExhausted
                | Code::Unimplemented
                | Code::NotFound
                | Code::AlreadyExists
        ),
        etcd_client::Error::TransportError(_)
        | etcd_client::Error::IoError(_)
        | etcd_client::Error::WatchError(_)
        | etcd_client::Error::LeaseKeepAliveError(_) => true,
        _ => false,
    }
}

/// Runs `op` until it succeeds, fails for good, or `deadline` passes.
pub(crate) async fn retry<T, F, Fut>(deadline: Instant, mut op: F) -> Result<T, etcd_client::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, etcd_client::Error>>,
{
    let mut pause = Duration::from_millis(20);
    loop {
        match op().await {
            Err(e) if retriable(&e) && Instant::now() + pause < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(500));
            }
            other => return other,
        }
    }
}

fn rev(r: i64) -> u64 {
    u64::try_from(r).unwrap_or(0)
}

fn irev(r: u64) -> i64 {
    i64::try_from(r).unwrap_or(i64::MAX)
}

fn not_found(name: &str) -> StoreError {
    StoreError::NotFound {
        resource: "imagestreams",
        name: name.to_owned(),
    }
}

/// Whether head `value` was stored by write `write`.
fn is_write(value: &[u8], write: &str) -> bool {
    serde_json::from_slice::<HeadWrite>(value).is_ok_and(|h| h.write == write)
}

/// After a commit whose answer was lost and whose retry found the head
/// moved: the revision of our write if it is the version that followed the
/// one we read (`after`; `None` for a create: the head's first version).
async fn our_version(
    c: &Conn,
    head_key: &str,
    after: Option<u64>,
    current: Option<&KeyValue>,
    write: &str,
    deadline: Instant,
) -> Result<Option<u64>, StoreError> {
    let unknown = |why: &str| {
        StoreError::Unavailable(format!(
            "etcd: the outcome of a write to {head_key:?} is unknown: {why}"
        ))
    };
    let Some(after) = after else {
        // A create: the head's first version is at its create revision.
        let Some(kv) = current else { return Ok(None) };
        let at = kv.create_revision();
        let opts = GetOptions::new().with_revision(at);
        return match retry(deadline, || c.get(head_key.to_owned(), Some(opts.clone()))).await {
            Ok(r) => Ok(r
                .kvs()
                .first()
                .filter(|kv| is_write(kv.value(), write))
                .map(|_| rev(at))),
            Err(e) if is_compacted(&e) => Err(unknown("history compacted")),
            Err(e) => Err(unavailable(&e)),
        };
    };
    let opts = WatchOptions::new().with_start_revision(irev(after.saturating_add(1)));
    let mut stream = retry(deadline, || c.watch(head_key.to_owned(), opts.clone()))
        .await
        .map_err(|e| unavailable(&e))?;
    loop {
        let Some(msg) = stream.message().await.map_err(|e| unavailable(&e))? else {
            return Err(unknown("the watch ended"));
        };
        if msg.compact_revision() > 0 {
            return Err(unknown("history compacted"));
        }
        if let Some(ev) = msg.events().first() {
            return Ok(ev
                .kv()
                .filter(|kv| ev.event_type() == EventType::Put && is_write(kv.value(), write))
                .map(|kv| rev(kv.mod_revision())));
        }
    }
}

fn header_revision(resp: &TxnResponse) -> u64 {
    resp.header().map_or(0, |h| rev(h.revision()))
}

/// The `i`th response of a transaction, as the key-values of a get.
fn got(resp: &TxnResponse, i: usize) -> Vec<KeyValue> {
    match resp.op_responses().into_iter().nth(i) {
        Some(TxnOpResponse::Get(mut g)) => g.take_kvs(),
        _ => Vec::new(),
    }
}

/// The tags a write of `stream` may change: with `prev` (the version the
/// stored manifest describes) those it lists as changed, else every tag of
/// the stream and of the manifest.
fn candidates(
    stream: &ImageStream,
    prev: Option<&ImageStream>,
    manifest: &Manifest,
) -> Vec<String> {
    if let Some(prev) = prev {
        return stream
            .tags_changed_since(prev)
            .into_iter()
            .map(ToString::to_string)
            .collect();
    }
    let mut all: Vec<String> = stream
        .tag_names()
        .into_iter()
        .map(ToString::to_string)
        .collect();
    all.extend(manifest.values().flat_map(|b| b.keys().cloned()));
    all.sort_unstable();
    all.dedup();
    all
}

/// One stream as stored at `version`: its head and its domain value.
struct Cached {
    version: u64,
    head: Head,
    manifest: Manifest,
    stream: ImageStream,
}

/// A write, cut into what must be staged first and what commits it.
struct Plan {
    /// New blobs: key, value.
    staged: Vec<(String, Vec<u8>)>,
    /// The head's new value.
    head: Vec<u8>,
    /// Blobs the commit makes obsolete.
    obsolete: Vec<String>,
    write: String,
    /// The head written (for the cache).
    value: Head,
    /// The manifest written (for the cache).
    manifest: Manifest,
}

impl EtcdStore {
    /// Connects to etcd at `endpoints` (`http://host:port`, several for a
    /// cluster). The connection is made lazily: an unreachable etcd shows
    /// at the first call, as [`StoreError::Unavailable`].
    pub fn connect<E: AsRef<str>>(
        endpoints: &[E],
        config: EtcdConfig,
    ) -> Result<Self, ConnectError> {
        let runtime = Runtime::start("imagestream-etcd")?;
        let eps: Vec<String> = endpoints.iter().map(|e| e.as_ref().to_owned()).collect();
        let options = ConnectOptions::new()
            .with_connect_timeout(config.request_timeout)
            .with_timeout(config.request_timeout)
            .with_keep_alive(Duration::from_secs(2), config.request_timeout);
        let for_call = eps.clone();
        let client = runtime
            .run(async move { Client::connect(for_call, Some(options)).await })
            .map_err(|e| ConnectError::Connect {
                endpoints: eps.clone(),
                reason: e.to_string(),
            })?
            .map_err(|e| ConnectError::Connect {
                endpoints: eps.clone(),
                reason: e.to_string(),
            })?;
        let conn = Conn {
            kv: client
                .kv_client()
                .max_decoding_message_size(MAX_DECODE)
                .max_encoding_message_size(MAX_DECODE),
            watch: client.watch_client().max_decoding_message_size(MAX_DECODE),
            lease: client.lease_client(),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                conn,
                keys: Keys::new(&config.prefix),
                config,
                cache: Mutex::default(),
                runtime,
            }),
        })
    }

    /// Runs `f` with the clients on the runtime thread, under the call's
    /// overall deadline.
    pub(crate) fn call<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(Conn, Instant) -> Fut,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let c = &self.inner.config;
        let budget = c.retry_for + c.request_timeout;
        let conn = self.inner.conn.clone();
        // The deadline is taken on the runtime thread, when the call starts.
        let retry_for = c.retry_for;
        let started = std::time::Instant::now();
        let fut = f(conn, Instant::from_std(started + retry_for));
        self.inner
            .runtime
            .run(async move {
                tokio::time::timeout(budget, fut).await.unwrap_or_else(|_| {
                    Err(StoreError::Unavailable(format!(
                        "etcd: no answer within {budget:?}"
                    )))
                })
            })
            .unwrap_or_else(|e| Err(StoreError::Unavailable(format!("etcd: {e}"))))
    }

    /// The revision of the last stream write (0 when there was none).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`].
    pub fn revision(&self) -> Result<u64, StoreError> {
        let key = self.inner.keys.marker();
        self.call(move |c, deadline| async move {
            let resp = retry(deadline, || c.get(key.clone(), None))
                .await
                .map_err(|e| unavailable(&e))?;
            Ok(resp.kvs().first().map_or(0, |kv| rev(kv.mod_revision())))
        })
    }

    /// Compacts etcd's history up to `revision` (physically), so
    /// [`StreamStore::changes_since`] earlier than it is
    /// [`StoreError::Compacted`]. etcd's history is the whole cluster's:
    /// this affects every user of it.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`], also when `revision` is compacted
    /// already or in the future.
    pub fn compact(&self, revision: u64) -> Result<(), StoreError> {
        self.call(move |mut c, _| async move {
            c.kv.compact(
                irev(revision),
                Some(etcd_client::CompactionOptions::new().with_physical()),
            )
            .await
            .map_err(|e| unavailable(&e))?;
            Ok(())
        })
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<Cached>>> {
        // Entries are replaced whole: a panic elsewhere leaves none half-set.
        self.inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn cached(&self, key: &str) -> Option<Arc<Cached>> {
        self.cache().get(key).cloned()
    }

    fn remember(&self, key: &str, entry: Cached) {
        let capacity = self.inner.config.cached_streams;
        let mut cache = self.cache();
        if capacity == 0 {
            return;
        }
        while cache.len() >= capacity && !cache.contains_key(key) {
            cache.pop_first();
        }
        cache.insert(key.to_owned(), Arc::new(entry));
    }

    fn forget(&self, key: &str) {
        self.cache().remove(key);
    }

    /// The head's `mod_revision` (the stream's version), without its value.
    fn head_version(&self, key: &str) -> Result<Option<u64>, StoreError> {
        let k = key.to_owned();
        self.call(move |c, deadline| async move {
            let opts = GetOptions::new().with_keys_only();
            let resp = retry(deadline, || c.get(k.clone(), Some(opts.clone())))
                .await
                .map_err(|e| unavailable(&e))?;
            Ok(resp.kvs().first().map(|kv| rev(kv.mod_revision())))
        })
    }

    /// The stream, from the cache when its version is still the stored
    /// one, else read whole (head and blobs at one revision).
    fn read(
        &self,
        ns: &Namespace,
        name: &StreamName,
    ) -> Result<Option<Stored<ImageStream>>, StoreError> {
        let head_key = self.inner.keys.head(ns, name);
        if let Some(hit) = self.cached(&head_key) {
            match self.head_version(&head_key)? {
                Some(v) if v == hit.version => {
                    return Ok(Some(Stored::new(hit.stream.clone(), v)));
                }
                None => {
                    self.forget(&head_key);
                    return Ok(None);
                }
                Some(_) => {}
            }
        }
        let read = self.read_whole(ns, name)?;
        let Some(cached) = read else {
            self.forget(&head_key);
            return Ok(None);
        };
        let stored = Stored::new(cached.stream.clone(), cached.version);
        self.remember(&head_key, cached);
        Ok(Some(stored))
    }

    /// Reads the head of a stream and all its blobs at one revision.
    fn read_whole(&self, ns: &Namespace, name: &StreamName) -> Result<Option<Cached>, StoreError> {
        let keys = &self.inner.keys;
        let head_key = keys.head(ns, name);
        let tags = format!("{}tags/{ns}/{name}/", keys.prefix());
        let hk = head_key.clone();
        let (head, blobs) = self.call(move |c, deadline| async move {
            let txn = || {
                Txn::new().and_then([
                    TxnOp::get(hk.clone(), None),
                    TxnOp::get(tags.clone(), Some(GetOptions::new().with_prefix())),
                ])
            };
            let resp = retry(deadline, || c.txn(txn()))
                .await
                .map_err(|e| unavailable(&e))?;
            Ok((got(&resp, 0).into_iter().next(), got(&resp, 1)))
        })?;
        let Some(head) = head else {
            return Ok(None);
        };
        let version = rev(head.mod_revision());
        let blobs: BTreeMap<&[u8], &[u8]> = blobs.iter().map(|kv| (kv.key(), kv.value())).collect();
        let decoded = layout::decode_head(&head_key, head.value())?;
        let (stream, manifest) = layout::assemble(keys, &head_key, &decoded, version, |k| {
            blobs.get(k.as_bytes()).copied()
        })?;
        Ok(Some(Cached {
            version,
            head: decoded,
            manifest,
            stream,
        }))
    }

    /// The plan of a write of `stream` over `old` (the stored head and
    /// manifest, if any).
    ///
    /// With `prev` (the domain value `old` describes), only the tags
    /// [`ImageStream::tags_changed_since`] lists are encoded: the rest keep
    /// their blobs, and only the buckets holding a changed tag are
    /// rewritten. Without it every tag is encoded, and a tag whose encoding
    /// matches the stored checksum keeps its blob.
    fn plan(
        &self,
        stream: &ImageStream,
        old: Option<(&Head, &Manifest)>,
        prev: Option<&ImageStream>,
    ) -> Result<Plan, StoreError> {
        let keys = &self.inner.keys;
        let max = self.inner.config.max_txn_bytes;
        let head_stream = layout::head_stream(stream);
        let meta = &head_stream.metadata;
        let (ns, name, uid) = (meta.namespace.clone(), meta.name.clone(), meta.uid.clone());
        let (ns, name, uid) = (&ns, &name, &uid);
        let write = layout::write_id();
        let empty = Manifest::new();
        let (old_head, old_manifest) = match old {
            Some((h, m)) => (Some(h), m),
            None => (None, &empty),
        };
        let candidates = candidates(stream, prev, old_manifest);
        let mut manifest = old_manifest.clone();
        let mut dirty = std::collections::BTreeSet::new();
        let mut staged = Vec::new();
        let mut obsolete = Vec::new();
        // The old blob of `tag`, if the old manifest has one.
        let old_entry = |tag: &str| {
            old_manifest
                .get(&layout::bucket_of(tag))
                .and_then(|b| b.get(tag))
        };
        for tag in candidates {
            let b = layout::bucket_of(&tag);
            let previous = old_entry(&tag);
            let Some(json) = layout::encode_tag(stream, &tag)? else {
                // Gone from the stream.
                if let Some((id, _)) = previous {
                    obsolete.push(keys.blob(ns, name, uid, &tag, id));
                    if let Some(bucket) = manifest.get_mut(&b) {
                        Arc::make_mut(bucket).remove(&tag);
                    }
                    dirty.insert(b);
                }
                continue;
            };
            let sum = layout::checksum(&json);
            if previous.is_some_and(|(_, old_sum)| *old_sum == sum) {
                continue;
            }
            if json.len() > max {
                return Err(StoreError::Unavailable(format!(
                    "tag {tag:?} of {ns}/{name} is {} bytes of JSON, more than one etcd request may carry ({max} bytes)",
                    json.len(),
                )));
            }
            if let Some((id, _)) = previous {
                obsolete.push(keys.blob(ns, name, uid, &tag, id));
            }
            staged.push((keys.blob(ns, name, uid, &tag, &write), json));
            Arc::make_mut(manifest.entry(b).or_default()).insert(tag, (write.clone(), sum));
            dirty.insert(b);
        }
        let mut buckets = old_head.map(|h| h.buckets.clone()).unwrap_or_default();
        for b in dirty {
            if let Some(id) = buckets.remove(&b) {
                obsolete.push(keys.bucket(ns, name, uid, b, &id));
            }
            match manifest.get(&b) {
                Some(bucket) if !bucket.is_empty() => {
                    let json = layout::encode_bucket(bucket)?;
                    if json.len() > max {
                        return Err(StoreError::Unavailable(format!(
                            "bucket {b:02x} of the manifest of {ns}/{name} ({} tags) is {} bytes, more than one etcd request may carry ({max} bytes)",
                            bucket.len(),
                            json.len(),
                        )));
                    }
                    staged.push((keys.bucket(ns, name, uid, b, &write), json));
                    buckets.insert(b, write.clone());
                }
                _ => {
                    manifest.remove(&b);
                }
            }
        }
        let value = Head {
            stream: head_stream,
            buckets,
            write: write.clone(),
        };
        let head = layout::encode_head(&value)?;
        if head.len() > max {
            return Err(StoreError::Unavailable(format!(
                "the head of {ns}/{name} is {} bytes, more than one etcd request may carry ({max} bytes)",
                head.len(),
            )));
        }
        Ok(Plan {
            staged,
            head,
            obsolete,
            write,
            value,
            manifest,
        })
    }

    /// Cuts `ops` (puts or deletes) into transactions within the limits.
    fn batches(&self, ops: Vec<(String, Option<Vec<u8>>)>, reserve: usize) -> Vec<Vec<TxnOp>> {
        let (max_ops, max_bytes) = (
            self.inner.config.max_txn_ops.saturating_sub(reserve).max(1),
            self.inner.config.max_txn_bytes,
        );
        let mut out = Vec::new();
        let mut cur: Vec<TxnOp> = Vec::new();
        let mut bytes = 0;
        for (key, value) in ops {
            let size = key.len() + value.as_ref().map_or(0, Vec::len);
            if !cur.is_empty() && (cur.len() >= max_ops || bytes + size > max_bytes) {
                out.push(std::mem::take(&mut cur));
                bytes = 0;
            }
            bytes += size;
            cur.push(match value {
                Some(v) => TxnOp::put(key, v, None),
                None => TxnOp::delete(key, None),
            });
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out
    }

    /// Writes `plan` guarded by the head's `create_revision == 0` (`after`
    /// is `None`) or `mod_revision == after`. `Ok(Ok(revision))` when it
    /// committed, `Ok(Err(current head))` when the guard failed.
    #[allow(clippy::too_many_lines)] // one protocol: stage, commit, resolve a lost answer, clean up
    fn commit(
        &self,
        head_key: &str,
        after: Option<u64>,
        plan: Plan,
    ) -> Result<Result<u64, Option<KeyValue>>, StoreError> {
        let guard = match after {
            None => Compare::create_revision(head_key.to_owned(), CompareOp::Equal, 0),
            Some(expected) => {
                Compare::mod_revision(head_key.to_owned(), CompareOp::Equal, irev(expected))
            }
        };
        let Plan {
            staged,
            head,
            obsolete,
            write,
            value: _,
            manifest: _,
        } = plan;
        let marker = self.inner.keys.marker();
        let (max_ops, max_bytes) = (
            self.inner.config.max_txn_ops,
            self.inner.config.max_txn_bytes,
        );
        let staged_bytes: usize = staged.iter().map(|(k, v)| k.len() + v.len()).sum();
        let obsolete_bytes: usize = obsolete.iter().map(String::len).sum();
        // One transaction when everything fits; else stage, then commit.
        let single = staged.len() + obsolete.len() + 2 <= max_ops
            && staged_bytes + obsolete_bytes + head.len() <= max_bytes;
        let (inline_puts, to_stage) = if single {
            (staged, Vec::new())
        } else {
            (Vec::new(), staged)
        };
        let staged_keys: Vec<String> = to_stage.iter().map(|(k, _)| k.clone()).collect();
        let stage_batches =
            self.batches(to_stage.into_iter().map(|(k, v)| (k, Some(v))).collect(), 0);
        // Obsolete blobs: in the commit when they fit, the rest after it.
        let room = max_ops.saturating_sub(inline_puts.len() + 2);
        let mut obsolete = obsolete;
        let later = if obsolete.len() > room {
            obsolete.split_off(room)
        } else {
            Vec::new()
        };
        let later_batches = self.batches(later.into_iter().map(|k| (k, None)).collect(), 0);
        let cleanup = self.batches(staged_keys.into_iter().map(|k| (k, None)).collect(), 0);
        let head_key = head_key.to_owned();
        self.call(move |c, deadline| async move {
            for batch in stage_batches {
                retry(deadline, || c.txn(Txn::new().and_then(batch.clone())))
                    .await
                    .map_err(|e| unavailable(&e))?;
            }
            let mut ops: Vec<TxnOp> = inline_puts
                .into_iter()
                .map(|(k, v)| TxnOp::put(k, v, None))
                .collect();
            ops.push(TxnOp::put(head_key.clone(), head, None));
            ops.push(TxnOp::put(marker, Vec::new(), None));
            ops.extend(obsolete.into_iter().map(|k| TxnOp::delete(k, None)));
            let txn = Txn::new()
                .when([guard])
                .and_then(ops)
                .or_else([TxnOp::get(head_key.clone(), None)]);
            let mut ambiguous = false;
            let mut pause = Duration::from_millis(20);
            let outcome = loop {
                match c.txn(txn.clone()).await {
                    Ok(resp) if resp.succeeded() => break Ok(header_revision(&resp)),
                    Ok(resp) => {
                        let current = got(&resp, 0).into_iter().next();
                        if let Some(kv) = &current
                            && is_write(kv.value(), &write)
                        {
                            break Ok(rev(kv.mod_revision()));
                        }
                        // An earlier attempt may have committed, its answer
                        // lost, and another writer written since: look at
                        // the version right after the one we read.
                        if ambiguous
                            && let Some(r) = our_version(
                                &c,
                                &head_key,
                                after,
                                current.as_ref(),
                                &write,
                                deadline,
                            )
                            .await?
                        {
                            break Ok(r);
                        }
                        break Err(current);
                    }
                    Err(e) if retriable(&e) && Instant::now() + pause < deadline => {
                        ambiguous = true;
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_millis(500));
                    }
                    // The outcome is unknown: report it, and leave the
                    // staged blobs (the head may name them).
                    Err(e) => return Err(unavailable(&e)),
                }
            };
            let leftovers = if outcome.is_ok() {
                later_batches
            } else {
                cleanup
            };
            for batch in leftovers {
                // Best effort: nothing names these blobs any more.
                let _ = retry(deadline, || c.txn(Txn::new().and_then(batch.clone()))).await;
            }
            Ok(outcome)
        })
    }

    /// The head of a stream, its manifest (the buckets it names, read at
    /// the head's revision, without the tags' blobs) and its version.
    fn head_and_manifest(
        &self,
        ns: &Namespace,
        name: &StreamName,
    ) -> Result<Option<(Head, Manifest, u64)>, StoreError> {
        let keys = self.inner.keys.clone();
        let key = keys.head(ns, name);
        let k = key.clone();
        let read = self.call(move |c, deadline| async move {
            let resp = retry(deadline, || c.get(k.clone(), None))
                .await
                .map_err(|e| unavailable(&e))?;
            let at = resp
                .header()
                .map_or(0, etcd_client::ResponseHeader::revision);
            let Some(kv) = resp.kvs().first() else {
                return Ok(None);
            };
            let head = layout::decode_head(&k, kv.value())?;
            let m = &head.stream.metadata;
            // Bucket keys sort after every tag's (`~` follows the
            // characters of tag names): one range holds them all.
            let buckets = format!("{}~", keys.blobs(&m.namespace, &m.name, &m.uid));
            let opts = GetOptions::new().with_prefix().with_revision(at);
            let mut got = retry(deadline, || c.get(buckets.clone(), Some(opts.clone())))
                .await
                .map_err(|e| unavailable(&e))?;
            Ok(Some((head, rev(kv.mod_revision()), got.take_kvs())))
        })?;
        let Some((head, version, kvs)) = read else {
            return Ok(None);
        };
        let values: BTreeMap<&[u8], &[u8]> = kvs.iter().map(|kv| (kv.key(), kv.value())).collect();
        let m = &head.stream.metadata;
        let mut manifest = Manifest::new();
        for (&b, id) in &head.buckets {
            let bucket_key = self.inner.keys.bucket(&m.namespace, &m.name, &m.uid, b, id);
            let json = values.get(bucket_key.as_bytes()).ok_or_else(|| {
                StoreError::Unavailable(format!(
                    "stored value at {key:?} is unreadable: {bucket_key:?} is missing"
                ))
            })?;
            manifest.insert(b, Arc::new(layout::decode_bucket(&bucket_key, json)?));
        }
        Ok(Some((head, manifest, version)))
    }

    /// Commits `plan`, the write of `stream` (see [`commit`](Self::commit)
    /// for `after`), and caches the version it stored.
    fn write(
        &self,
        head_key: &str,
        after: Option<u64>,
        mut stream: ImageStream,
        mut plan: Plan,
    ) -> Result<Result<Stored<ImageStream>, Option<KeyValue>>, StoreError> {
        let head = std::mem::take(&mut plan.value);
        let manifest = std::mem::take(&mut plan.manifest);
        Ok(self.commit(head_key, after, plan)?.map(|version| {
            stream.set_resource_version(version);
            self.remember(
                head_key,
                Cached {
                    version,
                    head,
                    manifest,
                    stream: stream.clone(),
                },
            );
            Stored::new(stream, version)
        }))
    }

    fn head_of(
        &self,
        ns: &Namespace,
        name: &StreamName,
    ) -> Result<Option<(Head, u64)>, StoreError> {
        let key = self.inner.keys.head(ns, name);
        let k = key.clone();
        let kv = self.call(move |c, deadline| async move {
            let mut resp = retry(deadline, || c.get(k.clone(), None))
                .await
                .map_err(|e| unavailable(&e))?;
            Ok(resp.take_kvs().into_iter().next())
        })?;
        kv.map(|kv| {
            Ok((
                layout::decode_head(&key, kv.value())?,
                rev(kv.mod_revision()),
            ))
        })
        .transpose()
    }
}

impl StreamStore for EtcdStore {
    fn get(
        &self,
        namespace: &Namespace,
        name: &StreamName,
    ) -> Result<Stored<ImageStream>, StoreError> {
        self.read(namespace, name)?
            .ok_or_else(|| not_found(name.as_str()))
    }

    fn list(
        &self,
        namespace: &Namespace,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<Page<Stored<ImageStream>>, StoreError> {
        let bad = || StoreError::InvalidContinue(continue_token.unwrap_or_default().to_owned());
        let (at, after) = match continue_token {
            None => (0, None),
            Some(t) => {
                let (r, n) = t.split_once('/').ok_or_else(bad)?;
                let r: u64 = r.parse().map_err(|_| bad())?;
                (r, Some(StreamName::parse(n).map_err(|_| bad())?))
            }
        };
        let keys = self.inner.keys.clone();
        let heads = keys.heads(namespace);
        let start = match &after {
            Some(n) => format!("{}\0", keys.head(namespace, n)).into_bytes(),
            None => heads.clone().into_bytes(),
        };
        let end = layout::prefix_end(&heads);
        let limit = limit.map(|l| l.max(1));
        let fetch = limit.map_or(0, |l| {
            i64::try_from(l.saturating_add(1)).unwrap_or(i64::MAX)
        });
        let k2 = keys.clone();
        let token = continue_token.unwrap_or_default().to_owned();
        let result = self.call(move |c, deadline| async move {
            let opts = GetOptions::new()
                .with_range(end.clone())
                .with_limit(fetch)
                .with_revision(irev(at));
            let resp = retry(deadline, || c.get(start.clone(), Some(opts.clone()))).await;
            let mut resp = match resp {
                Ok(r) => r,
                Err(e) if is_compacted(&e) => return Ok(Err(())),
                Err(e) if is_future(&e) => return Err(StoreError::InvalidContinue(token)),
                Err(e) => return Err(unavailable(&e)),
            };
            let revision = resp.header().map_or(0, |h| rev(h.revision()));
            let heads = resp.take_kvs();
            // The blobs of these streams, at the same revision: one range
            // from the smallest blob prefix to the end of the largest.
            let mut prefixes = Vec::new();
            for kv in &heads {
                let key = String::from_utf8_lossy(kv.key()).into_owned();
                let h = layout::decode_head(&key, kv.value())?;
                let m = &h.stream.metadata;
                prefixes.push(k2.blobs(&m.namespace, &m.name, &m.uid));
            }
            let blobs = match (prefixes.iter().min(), prefixes.iter().max()) {
                (Some(lo), Some(hi)) => {
                    let opts = GetOptions::new()
                        .with_range(layout::prefix_end(hi))
                        .with_revision(irev(revision));
                    let lo = lo.clone();
                    match retry(deadline, || c.get(lo.clone(), Some(opts.clone()))).await {
                        Ok(mut r) => r.take_kvs(),
                        Err(e) if is_compacted(&e) => return Ok(Err(())),
                        Err(e) => return Err(unavailable(&e)),
                    }
                }
                _ => Vec::new(),
            };
            Ok(Ok((revision, heads, blobs)))
        })?;
        let Ok((revision, heads, blobs)) = result else {
            let current = self.revision()?;
            return Err(StoreError::Compacted {
                requested: at,
                oldest: current,
                current,
            });
        };
        let blobs: BTreeMap<&[u8], &[u8]> = blobs.iter().map(|kv| (kv.key(), kv.value())).collect();
        let mut items = Vec::with_capacity(heads.len());
        for kv in &heads {
            let key = String::from_utf8_lossy(kv.key()).into_owned();
            let head = layout::decode_head(&key, kv.value())?;
            let version = rev(kv.mod_revision());
            let (stream, _) = layout::assemble(&keys, &key, &head, version, |k| {
                blobs.get(k.as_bytes()).copied()
            })?;
            items.push(Stored::new(stream, version));
        }
        let more = limit.is_some_and(|l| items.len() > l);
        if let Some(l) = limit {
            items.truncate(l);
        }
        let token = more
            .then(|| {
                items
                    .last()
                    .map(|s| format!("{revision}/{}", s.value.name()))
            })
            .flatten();
        Ok(Page::new(items, token))
    }

    fn create(&self, stream: ImageStream) -> Result<Stored<ImageStream>, StoreError> {
        let mut stream = stream;
        // The server's fields are the server's, whatever the client sent:
        // a new uid, the store's time, no deletion request.
        stream.set_system_fields(layout::uid(), 0, Some(self.inner.config.clock.now()), None);
        let head_key = self.inner.keys.head(stream.namespace(), stream.name());
        let name = stream.name().to_string();
        let plan = self.plan(&stream, None, None)?;
        self.write(&head_key, None, stream, plan)?
            .map_err(|_| StoreError::AlreadyExists {
                resource: "imagestreams",
                name,
            })
    }

    fn update(
        &self,
        mut stream: ImageStream,
        expected_version: u64,
    ) -> Result<Stored<ImageStream>, StoreError> {
        let (ns, name) = (stream.namespace().clone(), stream.name().clone());
        let head_key = self.inner.keys.head(&ns, &name);
        // The stored head: from the cache when its version is current (then
        // unchanged tags are found by comparing values, not encodings).
        let hit = self.cached(&head_key);
        let fresh = match &hit {
            Some(hit) => match self.head_version(&head_key)? {
                None => {
                    self.forget(&head_key);
                    return Err(not_found(name.as_str()));
                }
                Some(v) => v == hit.version,
            },
            None => false,
        };
        let (old, old_manifest, actual, prev) = if let (true, Some(hit)) = (fresh, hit) {
            (
                hit.head.clone(),
                hit.manifest.clone(),
                hit.version,
                Some(hit),
            )
        } else {
            let (old, manifest, v) = self
                .head_and_manifest(&ns, &name)?
                .ok_or_else(|| not_found(name.as_str()))?;
            (old, manifest, v, None)
        };
        if actual != expected_version {
            return Err(StoreError::Conflict {
                resource: "imagestreams",
                name: name.to_string(),
                expected: expected_version,
                actual,
            });
        }
        // The server's fields are the stored ones.
        let meta = &old.stream.metadata;
        stream.set_uid(meta.uid.clone());
        if let Some(at) = meta.creation_timestamp {
            stream.set_creation_timestamp(at);
        }
        let plan = self.plan(
            &stream,
            Some((&old, &old_manifest)),
            prev.as_ref().map(|p| &p.stream),
        )?;
        match self.write(&head_key, Some(expected_version), stream, plan)? {
            Ok(stored) => Ok(stored),
            Err(None) => Err(not_found(name.as_str())),
            Err(Some(current)) => Err(StoreError::Conflict {
                resource: "imagestreams",
                name: name.to_string(),
                expected: expected_version,
                actual: rev(current.mod_revision()),
            }),
        }
    }

    fn delete(
        &self,
        namespace: &Namespace,
        name: &StreamName,
        uid: Option<&str>,
    ) -> Result<(), StoreError> {
        let head_key = self.inner.keys.head(namespace, name);
        let started = std::time::Instant::now();
        loop {
            if started.elapsed() > self.inner.config.retry_for {
                return Err(StoreError::Unavailable(format!(
                    "etcd: the delete of {namespace}/{name} raced with other writers for {:?}",
                    self.inner.config.retry_for
                )));
            }
            let (head, version) = self
                .head_of(namespace, name)?
                .ok_or_else(|| not_found(name.as_str()))?;
            let stored_uid = head.stream.metadata.uid.clone();
            if let Some(expected) = uid
                && expected != stored_uid
            {
                return Err(StoreError::UidMismatch {
                    expected: expected.to_owned(),
                    actual: stored_uid,
                });
            }
            let blobs = self
                .inner
                .keys
                .blobs(namespace.as_str(), name.as_str(), &stored_uid);
            let marker = self.inner.keys.marker();
            let hk = head_key.clone();
            let deleted = self.call(move |c, deadline| async move {
                let txn = Txn::new()
                    .when([Compare::mod_revision(
                        hk.clone(),
                        CompareOp::Equal,
                        irev(version),
                    )])
                    .and_then([
                        TxnOp::delete(hk.clone(), None),
                        TxnOp::delete(blobs.clone(), Some(DeleteOptions::new().with_prefix())),
                        TxnOp::put(marker.clone(), Vec::new(), None),
                    ])
                    .or_else([TxnOp::get(hk.clone(), None)]);
                let resp = retry(deadline, || c.txn(txn.clone()))
                    .await
                    .map_err(|e| unavailable(&e))?;
                // Not deleted: the stream moved (re-read and re-check), or
                // it is gone (a lost answer to our own delete, or another
                // deleter: either way it is deleted).
                Ok(resp.succeeded() || got(&resp, 0).is_empty())
            })?;
            if deleted {
                self.forget(&head_key);
                return Ok(());
            }
        }
    }

    /// The namespaces holding streams, sorted: one keys-only read per
    /// namespace, each skipping past the namespace found before (so the
    /// cost follows the namespaces, not the streams).
    fn namespaces(&self) -> Result<Vec<Namespace>, StoreError> {
        let keys = self.inner.keys.clone();
        self.call(move |c, deadline| async move {
            let end = layout::prefix_end(&keys.all_heads());
            let mut start = keys.all_heads().into_bytes();
            let mut found = Vec::new();
            loop {
                let opts = GetOptions::new()
                    .with_range(end.clone())
                    .with_limit(1)
                    .with_keys_only();
                let mut resp = retry(deadline, || c.get(start.clone(), Some(opts.clone())))
                    .await
                    .map_err(|e| unavailable(&e))?;
                let Some(kv) = resp.take_kvs().into_iter().next() else {
                    return Ok(found);
                };
                let Some((ns, _)) = keys.parse_head(kv.key()) else {
                    // Not a head this adapter wrote: step past the key.
                    start = kv.key().to_vec();
                    start.push(0);
                    continue;
                };
                start = layout::prefix_end(&keys.heads(&ns));
                found.push(ns);
            }
        })
    }

    fn changes_since(&self, revision: u64) -> Result<Vec<StoreChange>, StoreError> {
        let keys = self.inner.keys.clone();
        let marker = keys.marker();
        let end = layout::prefix_end(&keys.all_heads());
        let raw = self.call(move |c, deadline| async move {
            let resp = retry(deadline, || c.get(marker.clone(), None))
                .await
                .map_err(|e| unavailable(&e))?;
            let last = resp.kvs().first().map_or(0, |kv| rev(kv.mod_revision()));
            if last <= revision {
                return Ok(Ok((last, Vec::new())));
            }
            // The marker and the heads are one key range (`revision` sorts
            // right before `streams/`): watch it from the next revision
            // until the marker's last write, which every stream write ends
            // with, comes by.
            let opts = WatchOptions::new()
                .with_range(end.clone())
                .with_start_revision(irev(revision.saturating_add(1)));
            let mut watch = retry(deadline, || c.watch(marker.clone(), opts.clone()))
                .await
                .map_err(|e| unavailable(&e))?;
            let mut events = Vec::new();
            loop {
                let Some(msg) = watch.message().await.map_err(|e| unavailable(&e))? else {
                    return Err(StoreError::Unavailable(
                        "etcd: the watch ended early".into(),
                    ));
                };
                if msg.compact_revision() > 0 {
                    return Ok(Err(rev(msg.compact_revision())));
                }
                if msg.canceled() {
                    return Err(StoreError::Unavailable(format!(
                        "etcd: watch canceled: {}",
                        msg.cancel_reason()
                    )));
                }
                let mut done = false;
                for ev in msg.events() {
                    let Some(kv) = ev.kv() else { continue };
                    let r = rev(kv.mod_revision());
                    if r > last {
                        break;
                    }
                    // The events of one revision come in one message.
                    done |= r == last;
                    if kv.key() != marker.as_bytes() {
                        events.push((ev.event_type(), kv.clone()));
                    }
                }
                if done {
                    break;
                }
            }
            drop(watch);
            Ok(Ok((last, events)))
        })?;
        let (_, events) = match raw {
            Ok(ok) => ok,
            Err(compacted) => {
                let current = self.revision()?;
                return Err(StoreError::Compacted {
                    requested: revision,
                    oldest: compacted.saturating_sub(1),
                    current,
                });
            }
        };
        let mut changes = Vec::with_capacity(events.len());
        for (kind, kv) in events {
            let Some((ns, name)) = keys.parse_head(kv.key()) else {
                continue;
            };
            let version = rev(kv.mod_revision());
            if kind == EventType::Delete {
                changes.push(StoreChange::Deleted {
                    namespace: ns,
                    name,
                    resource_version: version,
                });
                continue;
            }
            let stream = self.read_at(&keys, &kv, version)?;
            let stored = Stored::new(stream, version);
            changes.push(if kv.version() == 1 {
                StoreChange::Created(stored)
            } else {
                StoreChange::Updated(stored)
            });
        }
        Ok(changes)
    }
}

/// Drops a client's `deletionTimestamp` (the server's to set; the domain
/// type has no setter, so through the wire, only when one is there).
impl EtcdStore {
    /// The stream of head `kv` (as of `version`), its blobs read at that
    /// revision.
    fn read_at(&self, keys: &Keys, kv: &KeyValue, version: u64) -> Result<ImageStream, StoreError> {
        let head_key = String::from_utf8_lossy(kv.key()).into_owned();
        let head = layout::decode_head(&head_key, kv.value())?;
        let m = &head.stream.metadata;
        let prefix = keys.blobs(&m.namespace, &m.name, &m.uid);
        let blobs = self.call(move |c, deadline| async move {
            let opts = GetOptions::new().with_prefix().with_revision(irev(version));
            match retry(deadline, || c.get(prefix.clone(), Some(opts.clone()))).await {
                Ok(mut r) => Ok(Ok(r.take_kvs())),
                Err(e) if is_compacted(&e) => Ok(Err(())),
                Err(e) => Err(unavailable(&e)),
            }
        })?;
        let Ok(blobs) = blobs else {
            let current = self.revision()?;
            return Err(StoreError::Compacted {
                requested: version,
                oldest: current,
                current,
            });
        };
        let blobs: BTreeMap<&[u8], &[u8]> = blobs.iter().map(|kv| (kv.key(), kv.value())).collect();
        layout::assemble(keys, &head_key, &head, version, |k| {
            blobs.get(k.as_bytes()).copied()
        })
        .map(|(stream, _)| stream)
    }
}

impl ImageStore for EtcdStore {
    fn get_image(&self, name: &Digest) -> Result<api::Image, StoreError> {
        let key = self.inner.keys.image(name.as_str());
        let k = key.clone();
        let kv = self.call(move |c, deadline| async move {
            let mut resp = retry(deadline, || c.get(k.clone(), None))
                .await
                .map_err(|e| unavailable(&e))?;
            Ok(resp.take_kvs().into_iter().next())
        })?;
        let kv = kv.ok_or_else(|| StoreError::NotFound {
            resource: "images",
            name: name.to_string(),
        })?;
        serde_json::from_slice(kv.value()).map_err(|e| {
            StoreError::Unavailable(format!("stored value at {key:?} is unreadable: {e}"))
        })
    }

    /// The content rule of [`ImageStore::put_image`], atomically: the
    /// stored image is read with its revision, the rule decides, and the
    /// write is a transaction on that revision (absent: created nowhere
    /// else meanwhile; replaced: not modified meanwhile). A lost race reads
    /// again and decides again.
    fn put_image(&self, image: api::Image) -> Result<ImageWrite, StoreError> {
        let (name, content, image) = seal_image(image)?;
        let key = self.inner.keys.image(name.as_str());
        let json = serde_json::to_vec(&image)
            .map_err(|e| StoreError::Unavailable(format!("cannot encode image {name}: {e}")))?;
        self.call(move |c, deadline| async move {
            loop {
                let mut resp = retry(deadline, || c.get(key.clone(), None))
                    .await
                    .map_err(|e| unavailable(&e))?;
                let stored = resp.take_kvs().into_iter().next();
                let (existing, guard) = match &stored {
                    None => (
                        None,
                        Compare::create_revision(key.clone(), CompareOp::Equal, 0),
                    ),
                    Some(kv) => {
                        let existing: api::Image =
                            serde_json::from_slice(kv.value()).map_err(|e| {
                                StoreError::Unavailable(format!(
                                    "stored value at {key:?} is unreadable: {e}"
                                ))
                            })?;
                        let guard =
                            Compare::mod_revision(key.clone(), CompareOp::Equal, kv.mod_revision());
                        (Some(existing), guard)
                    }
                };
                let write = content.write_over(existing.as_ref());
                if write == ImageWrite::Kept {
                    return Ok(write);
                }
                let txn = Txn::new().when([guard]).and_then([TxnOp::put(
                    key.clone(),
                    json.clone(),
                    None,
                )]);
                let resp = retry(deadline, || c.txn(txn.clone()))
                    .await
                    .map_err(|e| unavailable(&e))?;
                if resp.succeeded() {
                    return Ok(write);
                }
                // Another writer got there first (or a retried write of
                // ours landed): decide again on what is stored now.
                if Instant::now() >= deadline {
                    return Err(StoreError::Unavailable(format!(
                        "image {key:?} kept changing while it was written"
                    )));
                }
            }
        })
    }

    fn list_images(&self) -> Result<Vec<api::Image>, StoreError> {
        let prefix = self.inner.keys.images();
        let kvs = self.call(move |c, deadline| async move {
            let opts = GetOptions::new().with_prefix();
            let mut resp = retry(deadline, || c.get(prefix.clone(), Some(opts.clone())))
                .await
                .map_err(|e| unavailable(&e))?;
            Ok(resp.take_kvs())
        })?;
        kvs.iter()
            .map(|kv| {
                serde_json::from_slice(kv.value()).map_err(|e| {
                    StoreError::Unavailable(format!(
                        "stored value at {:?} is unreadable: {e}",
                        String::from_utf8_lossy(kv.key())
                    ))
                })
            })
            .collect()
    }
}
