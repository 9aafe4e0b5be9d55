//! [`KubeStore`]: the store ports over a Kubernetes API server.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use imagestream::api;
use imagestream::ports::{ImageStore, Page, StoreChange, StoreError, Stored, StreamStore};
use imagestream::reference::{Digest, Namespace, StreamName};
use imagestream::stream::{ImageStream as Stream, ImageWrite, seal_image};
use kube::api::{
    Api, DeleteParams, ListParams, PostParams, Preconditions, WatchEvent, WatchParams,
};
use kube::{Client, Config};

use crate::resources::{Image, ImageStream};
use imagestream_blocking::Runtime;

/// How a [`KubeStore`] talks to its server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct KubeStoreConfig {
    /// The longest a [`changes_since`](StreamStore::changes_since) call
    /// reads its watch (the client ends it then, and asks the server for
    /// the same as `timeoutSeconds`, at least 1, at most 290). Default 5 s.
    pub watch_timeout: Duration,
    /// Once a watch has shown this store's own last write, how long it
    /// may stay quiet before the call returns what it has. An API server
    /// replays the changes after a version at once, from its watch cache,
    /// so a pause means the replay is over. Default 100 ms.
    pub watch_settle: Duration,
    /// The most changes one `changes_since` call returns (the caller
    /// resumes from the last). Default 10,000.
    pub max_changes: usize,
    /// Items per request when the store lists everything itself
    /// (`namespaces`, `list_images`). Default 500.
    pub page_size: u32,
}

impl Default for KubeStoreConfig {
    fn default() -> Self {
        Self {
            watch_timeout: Duration::from_secs(5),
            watch_settle: Duration::from_millis(100),
            max_changes: 10_000,
            page_size: 500,
        }
    }
}

impl KubeStoreConfig {
    /// The defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`watch_timeout`](Self::watch_timeout).
    #[must_use]
    pub fn watch_timeout(mut self, timeout: Duration) -> Self {
        self.watch_timeout = timeout;
        self
    }

    /// Sets [`watch_settle`](Self::watch_settle).
    #[must_use]
    pub fn watch_settle(mut self, quiet: Duration) -> Self {
        self.watch_settle = quiet;
        self
    }

    /// Sets [`max_changes`](Self::max_changes) (at least 1).
    #[must_use]
    pub fn max_changes(mut self, changes: usize) -> Self {
        self.max_changes = changes.max(1);
        self
    }

    /// Sets [`page_size`](Self::page_size) (at least 1).
    #[must_use]
    pub fn page_size(mut self, items: u32) -> Self {
        self.page_size = items.max(1);
        self
    }
}

/// Image streams and images in a Kubernetes API server that serves
/// `image.openshift.io/v1`: a [`StreamStore`] and an [`ImageStore`].
///
/// Resource versions are the server's (etcd revisions, so numbers; a
/// server whose versions are not is an error). The server sets uids,
/// creation times and versions; updates are `PUT`s with the version read
/// (409 "the object has been modified" is [`StoreError::Conflict`]);
/// deletes carry a uid precondition. Errors are read by their reason, not
/// only their code: a 409 from a quota or a 404 for a resource the server
/// does not serve is [`StoreError::Unavailable`] with the server's
/// message, not `AlreadyExists` or `NotFound`.
///
/// # Changes
///
/// [`changes_since`](StreamStore::changes_since) is a watch of every
/// namespace from the given version. It returns the changes in order, up
/// to where it stopped: at a change or bookmark at the version a list
/// reported when the call began, once the watch has shown this store's
/// own last write and then paused for
/// [`watch_settle`](KubeStoreConfig::watch_settle) (the server replays
/// from its watch cache at once), after
/// [`max_changes`](KubeStoreConfig::max_changes), or at
/// [`watch_timeout`](KubeStoreConfig::watch_timeout). Nothing is ever
/// skipped (a watch is ordered, and the caller resumes from the last
/// change it got); a change by another client can arrive one call later.
/// A version the server no longer keeps (410 Gone, as a status or an
/// ERROR event) is [`StoreError::Compacted`]. Version 0 is sent as 1
/// (etcd's first revision, the empty store): the API reads a watch from
/// `"0"` as "from any point".
///
/// `changes_since` and `namespaces` list and watch image streams in all
/// namespaces: the client needs `list` and `watch` on `imagestreams` at
/// cluster scope.
///
/// # Status
///
/// The store writes whole objects. A server that stores what it is sent
/// (the image API as a custom resource, the mock in this crate's tests)
/// keeps each write as one version. OpenShift's API server keeps its own
/// status on a create or update of a stream and takes one only through
/// `imagestreams/status`; when a write comes back with a status other
/// than the one sent, the store writes the status there, at the version
/// the first write returned. What is stored is then what was sent, but as
/// two versions: a watcher sees both, and if the second write fails (a
/// writer raced in between, no permission on `imagestreams/status`) the
/// call fails with [`StoreError::Unavailable`] saying the stream was
/// written without its status. (OpenShift also assigns spec tag
/// generations itself.)
///
/// # Blocking
///
/// Every call is bounded by the client's timeouts: set
/// `read_timeout`/`connect_timeout` on the [`Config`] (kube's defaults
/// are 295 s and 30 s); `changes_since` by
/// [`watch_timeout`](KubeStoreConfig::watch_timeout) too.
///
/// The calls block: the store runs its own tokio runtime on a thread it
/// owns, so it works from plain threads and from inside an async program
/// (where, as any blocking call, it belongs in `spawn_blocking`).
pub struct KubeStore {
    client: Client,
    config: KubeStoreConfig,
    runtime: Runtime,
    /// The version of this store's last stream write: a watch must reach
    /// it before `changes_since` may return.
    last_written: Arc<AtomicU64>,
}

impl std::fmt::Debug for KubeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeStore")
            .field("default_namespace", &self.client.default_namespace())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

const STREAMS: &str = "imagestreams";
const IMAGES: &str = "images";

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn lost(e: imagestream_blocking::RunError) -> StoreError {
    StoreError::Unavailable(format!("kube store: {e}"))
}

/// The status of a failed API call, if the server answered with one.
fn status(e: &kube::Error) -> Option<&kube::core::Status> {
    match e {
        kube::Error::Api(s) => Some(s),
        _ => None,
    }
}

fn code(e: &kube::Error) -> Option<u16> {
    status(e).map(|s| s.code)
}

fn reason(e: &kube::Error) -> &str {
    status(e).map_or("", |s| s.reason.as_str())
}

fn message(e: &kube::Error) -> &str {
    status(e).map_or("", |s| s.message.as_str())
}

/// A 404 about the object `name` itself, not about the resource (a server
/// that does not serve the image API answers 404 too, with a message like
/// "the server could not find the requested resource").
fn object_not_found(e: &kube::Error, name: &str) -> bool {
    let Some(s) = status(e) else { return false };
    s.code == 404
        && (s.details.as_ref().is_some_and(|d| d.name == name)
            || s.message.ends_with(&format!("\"{name}\" not found")))
}

/// A 409 because the version sent is not the stored one (not a quota's
/// or another object's conflict).
fn modified(e: &kube::Error) -> bool {
    code(e) == Some(409) && message(e).contains("the object has been modified")
}

/// A 409 because a uid precondition failed.
fn precondition_failed(e: &kube::Error) -> bool {
    code(e) == Some(409) && message(e).starts_with("Precondition failed")
}

/// A 409 because the object exists.
fn already_exists(e: &kube::Error) -> bool {
    code(e) == Some(409) && reason(e) == "AlreadyExists"
}

/// A resource version as a number.
fn version(rv: Option<&str>, what: &str) -> Result<u64, StoreError> {
    let rv = rv.unwrap_or_default();
    rv.parse().map_err(|_| {
        StoreError::Unavailable(format!(
            "the server's resourceVersion {rv:?} of {what} is not a number (this store needs etcd-style versions)"
        ))
    })
}

/// A stream as the server sent it, checked.
fn stored_stream(object: ImageStream) -> Result<Stored<Stream>, StoreError> {
    let wire = object.into_inner();
    let name = format!("{}/{}", wire.metadata.namespace, wire.metadata.name);
    let rv = version(Some(&wire.metadata.resource_version), &name)?;
    let stream = Stream::try_from(wire).map_err(|e| {
        StoreError::Unavailable(format!("the server's image stream {name} is invalid: {e}"))
    })?;
    Ok(Stored::new(stream, rv))
}

/// The wire form to send: server-set fields cleared (a create must not
/// carry a resourceVersion; the server keeps the stored uid).
fn outgoing(stream: &Stream, resource_version: Option<u64>) -> ImageStream {
    let mut wire = api::ImageStream::from(stream);
    clear_server_fields(&mut wire.metadata);
    wire.metadata.resource_version = resource_version.map(|v| v.to_string()).unwrap_or_default();
    ImageStream::new(wire)
}

/// The fields only a server sets: a create must not carry a version, and
/// the server keeps the stored uid and deletion state.
fn clear_server_fields(meta: &mut api::ObjectMeta) {
    meta.uid.clear();
    meta.resource_version.clear();
    meta.deletion_timestamp = None;
    meta.deletion_grace_period_seconds = None;
}

/// How a write failed: the write itself, or the status write after it.
enum WriteError {
    /// The object write was refused (nothing written).
    Object(kube::Error),
    /// The object was written (at this version), its status was not.
    Status(String, kube::Error),
}

/// The status, written through `imagestreams/status` when the server
/// kept its own on the write of the object (OpenShift's API server does:
/// a create computes the status, an update keeps the old one), at the
/// version that write returned. A server that stored the status as sent
/// costs nothing more.
async fn status_follows(
    api: &Api<ImageStream>,
    mut sent: ImageStream,
    written: ImageStream,
) -> Result<ImageStream, WriteError> {
    if written.status == sent.status {
        return Ok(written);
    }
    let name = written.metadata.name.clone().unwrap_or_default();
    let at = written
        .metadata
        .resource_version
        .clone()
        .unwrap_or_default();
    sent.metadata.resource_version = Some(at.clone());
    api.replace_status(&name, &PostParams::default(), &sent)
        .await
        .map_err(|e| WriteError::Status(at, e))
}

/// Why an update did not land.
enum Refused {
    /// The write failed (see [`WriteError`]).
    Write(WriteError),
    /// The version was not the expected one: the stream as read now.
    Stale(Result<Box<ImageStream>, kube::Error>),
}

fn status_not_written(name: &str, at: &str, e: &kube::Error) -> StoreError {
    StoreError::Unavailable(format!(
        "imagestreams.image.openshift.io \"{name}\" was written at resourceVersion {at}, but its status was not (imagestreams/status: {e}); read it again before retrying"
    ))
}

/// `Precondition failed: UID in precondition: X, UID in object meta: Y` → Y.
fn uid_in_object_meta(message: &str) -> Option<&str> {
    message
        .split_once("UID in object meta: ")
        .map(|(_, rest)| rest.trim())
}

/// `too old resource version: 5 (12)` → 12 (the server's oldest kept).
fn oldest_kept(message: &str) -> Option<u64> {
    let (_, rest) = message.rsplit_once('(')?;
    rest.strip_suffix(')')?.trim().parse().ok()
}

/// Makes sure rustls has a process-wide crypto provider before a client is
/// built. rustls picks one itself only when exactly one of its `ring` and
/// `aws-lc-rs` features is on; a program whose other dependencies enable
/// `aws-lc-rs` (tonic, oci clients, …) besides this crate's `ring` would
/// otherwise fail to build any TLS client. One already installed stays.
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Err: another thread installed one in between, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

impl KubeStore {
    /// A store on the server `config` names (see
    /// [`Config::infer`](kube::Config::infer) for a kubeconfig, or
    /// [`Config::new`](kube::Config::new) for a URL).
    ///
    /// # Errors
    ///
    /// When the runtime thread cannot start or the client cannot be built
    /// from `config` (a TLS setting it cannot load, say).
    pub fn connect(config: Config, options: KubeStoreConfig) -> Result<Self, StoreError> {
        ensure_crypto_provider();
        let runtime = Runtime::start("imagestream-kube").map_err(unavailable)?;
        // The client spawns its connection tasks on the runtime it is
        // built in: build it on ours.
        let client = runtime
            .run(async move { Client::try_from(config) })
            .map_err(lost)?
            .map_err(unavailable)?;
        Ok(Self {
            client,
            config: options,
            runtime,
            last_written: Arc::new(AtomicU64::new(0)),
        })
    }

    /// A store on the cluster of the local kubeconfig (or the in-cluster
    /// service account), as `kubectl` would pick it.
    ///
    /// # Errors
    ///
    /// When no configuration is found, or as [`connect`](Self::connect).
    pub fn infer(options: KubeStoreConfig) -> Result<Self, StoreError> {
        ensure_crypto_provider();
        let runtime = Runtime::start("imagestream-kube").map_err(unavailable)?;
        let client = runtime
            .run(async move {
                let config = Config::infer().await.map_err(unavailable)?;
                Client::try_from(config).map_err(unavailable)
            })
            .map_err(lost)??;
        Ok(Self {
            client,
            config: options,
            runtime,
            last_written: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The client, for calls of your own (on the store's runtime: call it
    /// from [`block_on`](Self::block_on) or your own runtime).
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs `future` on the store's runtime and waits for it.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the runtime has shut down.
    pub fn block_on<T, F>(&self, future: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        self.runtime.run(future).map_err(lost)
    }

    fn streams(&self, namespace: &str) -> Api<ImageStream> {
        Api::namespaced(self.client.clone(), namespace)
    }

    fn all_streams(&self) -> Api<ImageStream> {
        Api::all(self.client.clone())
    }

    fn images(&self) -> Api<Image> {
        Api::all(self.client.clone())
    }

    /// The server's current version, as a list reports it (of at most
    /// one item's metadata).
    async fn current(api: &Api<ImageStream>) -> Result<u64, StoreError> {
        let list = api
            .list_metadata(&ListParams::default().limit(1))
            .await
            .map_err(unavailable)?;
        version(list.metadata.resource_version.as_deref(), "a list")
    }

    #[allow(clippy::too_many_lines)] // one loop over one stream, read top to bottom
    async fn watch(
        api: Api<ImageStream>,
        revision: u64,
        own: u64,
        config: KubeStoreConfig,
    ) -> Result<Vec<StoreChange>, StoreError> {
        let current = Self::current(&api).await?;
        if revision >= current {
            return Ok(Vec::new());
        }
        // This store's own writes must show before the call may return.
        let must_see = own.min(current).max(revision);
        let from = revision.max(1);
        let compacted = |message: &str, current: u64| StoreError::Compacted {
            requested: revision,
            oldest: oldest_kept(message).unwrap_or(current).max(revision),
            current,
        };
        let seconds = u32::try_from(config.watch_timeout.as_secs())
            .unwrap_or(u32::MAX)
            .clamp(1, 290);
        let mut params = WatchParams::default().timeout(seconds);
        params.bookmarks = true;
        let deadline = tokio::time::Instant::now() + config.watch_timeout;
        let events =
            match tokio::time::timeout_at(deadline, api.watch(&params, &from.to_string())).await {
                Err(_) => return Ok(Vec::new()),
                Ok(Ok(events)) => events,
                Ok(Err(e)) if code(&e) == Some(410) => {
                    return Err(compacted(message(&e), current));
                }
                Ok(Err(e)) => return Err(unavailable(e)),
            };
        let mut events = std::pin::pin!(events);
        let mut changes = Vec::new();
        let mut reached = revision;
        loop {
            // Until our own last write shows, wait up to the deadline;
            // after, only as long as the replay keeps coming.
            let until = if reached >= must_see {
                deadline.min(tokio::time::Instant::now() + config.watch_settle)
            } else {
                deadline
            };
            let event = match tokio::time::timeout_at(until, events.next()).await {
                Err(_) | Ok(None) => break,
                Ok(Some(event)) => event.map_err(unavailable)?,
            };
            reached = match event {
                WatchEvent::Added(o) => {
                    let s = stored_stream(o)?;
                    let rv = s.resource_version;
                    changes.push(StoreChange::Created(s));
                    rv
                }
                WatchEvent::Modified(o) => {
                    let s = stored_stream(o)?;
                    let rv = s.resource_version;
                    changes.push(StoreChange::Updated(s));
                    rv
                }
                WatchEvent::Deleted(o) => {
                    let wire = o.into_inner();
                    let name = format!("{}/{}", wire.metadata.namespace, wire.metadata.name);
                    let resource_version = version(Some(&wire.metadata.resource_version), &name)?;
                    let namespace = Namespace::parse(&wire.metadata.namespace)
                        .map_err(|e| unavailable(format!("deleted stream {name}: {e}")))?;
                    let stream = StreamName::parse(&wire.metadata.name)
                        .map_err(|e| unavailable(format!("deleted stream {name}: {e}")))?;
                    changes.push(StoreChange::Deleted {
                        namespace,
                        name: stream,
                        resource_version,
                    });
                    resource_version
                }
                WatchEvent::Bookmark(b) => {
                    version(Some(&b.metadata.resource_version), "a bookmark")?
                }
                WatchEvent::Error(s) if s.code == 410 => {
                    return Err(compacted(&s.message, current));
                }
                WatchEvent::Error(s) => return Err(unavailable(format!("watch: {}", s.message))),
            }
            .max(reached);
            if reached >= current || changes.len() >= config.max_changes {
                break;
            }
        }
        Ok(changes)
    }

    /// Notes a stream write of this store (so its watch waits for it).
    fn wrote(&self, stored: &Stored<Stream>) {
        self.last_written
            .fetch_max(stored.resource_version, Ordering::SeqCst);
    }
}

fn not_found(resource: &'static str, name: &str) -> StoreError {
    StoreError::NotFound {
        resource,
        name: name.to_owned(),
    }
}

impl StreamStore for KubeStore {
    fn get(&self, namespace: &Namespace, name: &StreamName) -> Result<Stored<Stream>, StoreError> {
        let api = self.streams(namespace.as_str());
        let key = name.to_string();
        let got = self.block_on(async move { api.get(&key).await })?;
        match got {
            Ok(o) => stored_stream(o),
            Err(e) if object_not_found(&e, name.as_str()) => Err(not_found(STREAMS, name.as_str())),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn list(
        &self,
        namespace: &Namespace,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<Page<Stored<Stream>>, StoreError> {
        let api = self.streams(namespace.as_str());
        let mut params = ListParams::default();
        if let Some(limit) = limit {
            params = params.limit(u32::try_from(limit).unwrap_or(u32::MAX).max(1));
        }
        if let Some(token) = continue_token {
            params = params.continue_token(token);
        }
        let listed = self.block_on(async move { api.list(&params).await })?;
        let list = match listed {
            Ok(list) => list,
            // 400: not a token of this server's; 410: one it has compacted
            // away. Either way: start the list again.
            Err(e) if continue_token.is_some() && matches!(code(&e), Some(400 | 410)) => {
                return Err(StoreError::InvalidContinue(
                    continue_token.unwrap_or_default().to_owned(),
                ));
            }
            Err(e) => return Err(unavailable(e)),
        };
        let items = list
            .items
            .into_iter()
            .map(stored_stream)
            .collect::<Result<Vec<_>, _>>()?;
        let token = list.metadata.continue_.filter(|t| !t.is_empty());
        Ok(Page::new(items, token))
    }

    fn create(&self, stream: Stream) -> Result<Stored<Stream>, StoreError> {
        let api = self.streams(stream.namespace().as_str());
        let body = outgoing(&stream, None);
        let created = self.block_on(async move {
            let created = api
                .create(&PostParams::default(), &body)
                .await
                .map_err(WriteError::Object)?;
            status_follows(&api, body, created).await
        })?;
        let name = stream.name().as_str();
        match created {
            Ok(o) => {
                let stored = stored_stream(o)?;
                self.wrote(&stored);
                Ok(stored)
            }
            Err(WriteError::Object(e)) if already_exists(&e) => Err(StoreError::AlreadyExists {
                resource: STREAMS,
                name: name.to_owned(),
            }),
            Err(WriteError::Object(e)) => Err(unavailable(e)),
            Err(WriteError::Status(at, e)) => Err(status_not_written(name, &at, &e)),
        }
    }

    fn update(&self, stream: Stream, expected_version: u64) -> Result<Stored<Stream>, StoreError> {
        let api = self.streams(stream.namespace().as_str());
        let name = stream.name().to_string();
        let key = name.clone();
        let body = outgoing(&stream, Some(expected_version));
        let written = self.block_on(async move {
            // No stored object is at version 0, and OpenShift refuses an
            // update without a version (422) rather than call it a
            // conflict: only the read below is needed then.
            if expected_version != 0 {
                match api.replace(&key, &PostParams::default(), &body).await {
                    Ok(replaced) => {
                        return status_follows(&api, body, replaced)
                            .await
                            .map_err(Refused::Write);
                    }
                    Err(e) if !modified(&e) => return Err(Refused::Write(WriteError::Object(e))),
                    Err(_) => {}
                }
            }
            // Not at the version expected: the version it has now, for the
            // error.
            Err(Refused::Stale(api.get(&key).await.map(Box::new)))
        })?;
        match written {
            Ok(o) => {
                let stored = stored_stream(o)?;
                self.wrote(&stored);
                Ok(stored)
            }
            Err(Refused::Stale(Ok(now))) => Err(StoreError::Conflict {
                resource: STREAMS,
                name,
                expected: expected_version,
                actual: version(now.metadata.resource_version.as_deref(), "a stream")?,
            }),
            Err(Refused::Stale(Err(e)) | Refused::Write(WriteError::Object(e)))
                if object_not_found(&e, &name) =>
            {
                Err(not_found(STREAMS, &name))
            }
            Err(Refused::Stale(Err(e)) | Refused::Write(WriteError::Object(e))) => {
                Err(unavailable(e))
            }
            Err(Refused::Write(WriteError::Status(at, e))) => {
                Err(status_not_written(&name, &at, &e))
            }
        }
    }

    fn delete(
        &self,
        namespace: &Namespace,
        name: &StreamName,
        uid: Option<&str>,
    ) -> Result<(), StoreError> {
        let api = self.streams(namespace.as_str());
        let mut params = DeleteParams::default();
        if let Some(uid) = uid {
            params.preconditions = Some(Preconditions {
                uid: Some(uid.to_owned()),
                resource_version: None,
            });
        }
        let key = name.to_string();
        let deleted = self.block_on(async move { api.delete(&key, &params).await })?;
        match deleted {
            Ok(either) => {
                // A server that answers with the object says the deletion's
                // version; one that answers with a Status does not.
                if let Some(rv) = either
                    .left()
                    .and_then(|o| o.metadata.resource_version.and_then(|v| v.parse().ok()))
                {
                    self.last_written.fetch_max(rv, Ordering::SeqCst);
                }
                Ok(())
            }
            Err(e) if object_not_found(&e, name.as_str()) => Err(not_found(STREAMS, name.as_str())),
            Err(e) if uid.is_some() && precondition_failed(&e) => Err(StoreError::UidMismatch {
                expected: uid.unwrap_or_default().to_owned(),
                actual: uid_in_object_meta(message(&e))
                    .unwrap_or_default()
                    .to_owned(),
            }),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn changes_since(&self, revision: u64) -> Result<Vec<StoreChange>, StoreError> {
        let api = self.all_streams();
        let own = self.last_written.load(Ordering::SeqCst);
        self.block_on(Self::watch(api, revision, own, self.config.clone()))?
    }

    fn namespaces(&self) -> Result<Vec<Namespace>, StoreError> {
        let api = self.all_streams();
        let page = self.config.page_size;
        let names = self.block_on(async move {
            let mut names = BTreeSet::new();
            let mut params = ListParams::default().limit(page);
            loop {
                // Only the metadata: the namespaces are all it needs.
                let list = api.list_metadata(&params).await.map_err(unavailable)?;
                for item in &list.items {
                    if let Some(ns) = &item.metadata.namespace {
                        names.insert(ns.clone());
                    }
                }
                match list.metadata.continue_.filter(|t| !t.is_empty()) {
                    Some(token) => params = params.continue_token(&token),
                    None => return Ok::<_, StoreError>(names),
                }
            }
        })??;
        names
            .into_iter()
            .map(|n| Namespace::parse(&n).map_err(|e| unavailable(format!("namespace {n:?}: {e}"))))
            .collect()
    }
}

/// How many times `put_image` decides again after losing a race.
const IMAGE_ATTEMPTS: usize = 8;

impl ImageStore for KubeStore {
    fn get_image(&self, name: &Digest) -> Result<api::Image, StoreError> {
        let api = self.images();
        let key = name.to_string();
        match self.block_on(async move { api.get(&key).await })? {
            Ok(o) => Ok(o.into_inner()),
            Err(e) if object_not_found(&e, name.as_str()) => Err(not_found(IMAGES, name.as_str())),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn put_image(&self, image: api::Image) -> Result<ImageWrite, StoreError> {
        let (name, content, mut image) = seal_image(image).map_err(StoreError::from)?;
        clear_server_fields(&mut image.metadata);
        let api = self.images();
        let key = name.to_string();
        self.block_on(async move {
            // Create, or decide against what is there and swap it in at
            // the version read; a racing writer means deciding again, a
            // bounded number of times.
            for _ in 0..IMAGE_ATTEMPTS {
                match api.create(&PostParams::default(), &Image::new(image.clone())).await {
                    Ok(_) => return Ok(ImageWrite::Created),
                    Err(e) if already_exists(&e) => {}
                    Err(e) => return Err(unavailable(e)),
                }
                let stored = match api.get(&key).await {
                    Ok(stored) => stored,
                    // Deleted in between: create again.
                    Err(e) if object_not_found(&e, &key) => continue,
                    Err(e) => return Err(unavailable(e)),
                };
                let write = content.write_over(Some(&stored.to_inner()));
                if write == ImageWrite::Kept {
                    return Ok(write);
                }
                let mut replacement = Image::new(image.clone());
                replacement
                    .metadata
                    .resource_version
                    .clone_from(&stored.metadata.resource_version);
                match api.replace(&key, &PostParams::default(), &replacement).await {
                    Ok(_) => return Ok(write),
                    Err(e) if modified(&e) || object_not_found(&e, &key) => {}
                    Err(e) => return Err(unavailable(e)),
                }
            }
            Err(StoreError::Unavailable(format!(
                "images.image.openshift.io \"{key}\" kept changing: no decision held in {IMAGE_ATTEMPTS} attempts"
            )))
        })?
    }

    fn list_images(&self) -> Result<Vec<api::Image>, StoreError> {
        let api = self.images();
        let page = self.config.page_size;
        let mut images = self.block_on(async move {
            let mut images = Vec::new();
            let mut params = ListParams::default().limit(page);
            loop {
                let list = api.list(&params).await.map_err(unavailable)?;
                images.extend(list.items.into_iter().map(Image::into_inner));
                match list.metadata.continue_.filter(|t| !t.is_empty()) {
                    Some(token) => params = params.continue_token(&token),
                    None => return Ok::<_, StoreError>(images),
                }
            }
        })??;
        images.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        Ok(images)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_read_as_the_api_server_writes_them() {
        assert_eq!(
            uid_in_object_meta(
                "Precondition failed: UID in precondition: a, UID in object meta: b-c"
            ),
            Some("b-c")
        );
        assert_eq!(oldest_kept("too old resource version: 5 (12)"), Some(12));
        assert_eq!(oldest_kept("too old resource version: 5"), None);
        assert!(matches!(
            version(Some("x1"), "it"),
            Err(StoreError::Unavailable(m)) if m.contains("\"x1\"")
        ));
        assert_eq!(version(Some("17"), "it"), Ok(17));
    }
}
