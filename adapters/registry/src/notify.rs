//! The integrated registry's side of image streams (seed §6.6): the
//! registry notifies pushes, and each pushed manifest becomes an
//! `ImageStreamMapping` of its `namespace/stream` repository.
//!
//! - [`Envelope::parse`] reads distribution's notification envelopes
//!   (`{"events": [...]}`, media type [`EVENTS_MEDIA_TYPE`]).
//! - [`Receiver`] turns `push` events of manifests into mappings and
//!   ingests them through the service.
//! - [`Endpoint`] is the small blocking HTTP server the registry posts to,
//!   authenticated by a shared secret.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use imagestream::api;
use imagestream::chrono::{DateTime, Utc};
use imagestream::ports::{
    Attributes, Authorizer, Clock, Decision, ImageStore, ImportRequest, Registry, Resource,
    StreamStore, Subject, Verb,
};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName};
use imagestream::service::{BadRequest, ImageStreams, ServiceError};
use imagestream::stream::{ImageStream, ImportMode, MANAGED_IMAGE_ANNOTATION};
use serde::Deserialize;

use crate::client::{RegistryClient, api_image};
use crate::manifest;

/// The media type of notification envelopes.
pub const EVENTS_MEDIA_TYPE: &str = "application/vnd.docker.distribution.events.v1+json";

/// The largest envelope the endpoint reads (1 MiB).
pub const MAX_ENVELOPE_BYTES: u64 = 1024 * 1024;

/// How many event ids a receiver remembers to drop redeliveries.
pub const DEFAULT_SEEN_CAPACITY: usize = 4096;

/// A notification envelope could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid notification envelope: {reason}")]
pub struct EnvelopeError {
    /// serde's message (with line and column).
    pub reason: String,
}

/// What happened in an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A blob or manifest was pushed.
    Push,
    /// A blob or manifest was pulled.
    Pull,
    /// A blob was mounted from another repository.
    Mount,
    /// A manifest or tag was deleted.
    Delete,
    /// Any other action, as sent.
    Other(String),
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "push" => Self::Push,
            "pull" => Self::Pull,
            "mount" => Self::Mount,
            "delete" => Self::Delete,
            _ => Self::Other(s),
        })
    }
}

/// What an event is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Target {
    /// The content's media type.
    pub media_type: String,
    /// Its size.
    pub size: i64,
    /// Its digest (unchecked text).
    pub digest: String,
    /// Its length (as `size`).
    pub length: i64,
    /// The repository (`namespace/stream` on the integrated registry).
    pub repository: String,
    /// Where the content can be fetched.
    pub url: String,
    /// The tag pushed, empty for a push by digest.
    pub tag: String,
}

/// The request that caused an event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The request id.
    pub id: String,
    /// The client's address.
    pub addr: String,
    /// The host the client asked for.
    pub host: String,
    /// The HTTP method.
    pub method: String,
    /// The client's user agent.
    pub useragent: String,
}

/// Who caused an event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Actor {
    /// The authenticated user, if any.
    pub name: String,
}

/// One registry event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// The event's unique id (redeliveries repeat it).
    pub id: String,
    /// When it happened.
    #[serde(default)]
    pub timestamp: Option<DateTime<Utc>>,
    /// What happened.
    pub action: Action,
    /// To what.
    #[serde(default)]
    pub target: Target,
    /// The request.
    #[serde(default)]
    pub request: RequestRecord,
    /// By whom.
    #[serde(default)]
    pub actor: Actor,
}

/// A notification envelope: the events of one delivery.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Envelope {
    /// The events, in the registry's order.
    pub events: Vec<Event>,
}

impl Envelope {
    /// Parses an envelope.
    ///
    /// ```
    /// use imagestream_registry::notify::{Action, Envelope};
    ///
    /// let e = Envelope::parse(br#"{"events":[{"id":"e1","action":"push",
    ///   "target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":"ns/app","tag":"v1",
    ///   "digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}}]}"#)?;
    /// assert_eq!(e.events[0].action, Action::Push);
    /// assert_eq!(e.events[0].target.tag, "v1");
    /// assert!(Envelope::parse(b"{").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        serde_json::from_slice(bytes).map_err(|e| EnvelopeError {
            reason: e.to_string(),
        })
    }
}

/// What a receiver did with one event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The pushed manifest was mapped into `namespace/stream:tag`.
    Mapped {
        /// The namespace.
        namespace: Namespace,
        /// The stream.
        stream: StreamName,
        /// The tag.
        tag: String,
        /// The image (its verified manifest digest).
        image: Digest,
    },
    /// A push by digest (no tag): the image was stored, no tag moved.
    Stored {
        /// The image.
        image: Digest,
    },
    /// An event id already handled (a redelivery).
    Duplicate(String),
    /// A push older than one already mapped for the same tag (delivered
    /// out of order): the tag is left where the newer push put it.
    Stale(String),
    /// Not a manifest push into a `namespace/stream` repository.
    Ignored {
        /// The event id.
        id: String,
        /// Why.
        why: &'static str,
    },
    /// Mapping failed; the event is not remembered, so a redelivery
    /// retries it.
    Failed {
        /// The event id.
        id: String,
        /// What went wrong.
        error: String,
    },
}

#[derive(Debug, Default)]
struct State {
    seen: BTreeSet<String>,
    order: VecDeque<String>,
    newest: BTreeMap<(String, String), DateTime<Utc>>,
}

impl State {
    fn remember(&mut self, id: &str, capacity: usize) {
        if self.seen.insert(id.to_owned()) {
            self.order.push_back(id.to_owned());
            while self.order.len() > capacity {
                if let Some(old) = self.order.pop_front() {
                    self.seen.remove(&old);
                }
            }
        }
    }
}

/// Turns pushes into image stream mappings, as OpenShift's integrated
/// registry does on a manifest `PUT`: the manifest is fetched back from the
/// registry by its digest and verified, the image is annotated as managed
/// (`openshift.io/image.managed: "true"`) with pull spec
/// `<registry>/<namespace>/<stream>@<digest>`, and the mapping is created
/// as `subject` (the registry's identity). A missing stream is created
/// first, as the integrated registry auto-provisions it.
///
/// - Redeliveries (same event id) change nothing.
/// - Out-of-order deliveries: a push older (by event timestamp) than one
///   already mapped for the same tag does not move the tag back.
/// - A push by digest (no tag; e.g. the children of a manifest list): the
///   integrated registry sends a mapping with an empty tag, which the API
///   server's validation refuses (`tag: Required value`); what remains is
///   the image, so the receiver stores the verified image and moves no
///   tag.
/// - Pulls, deletes, mounts and blob pushes are ignored.
pub struct Receiver<S, R, A, C> {
    service: Arc<ImageStreams<S, R, A, C>>,
    client: Arc<RegistryClient>,
    registry: String,
    insecure: bool,
    subject: Subject,
    capacity: usize,
    state: Mutex<State>,
}

impl<S, R, A, C> std::fmt::Debug for Receiver<S, R, A, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("registry", &self.registry)
            .field("insecure", &self.insecure)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl<S, R, A, C> Receiver<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// A receiver for the registry at `registry` (`host[:port]`, as the
    /// registry's pull specs name it), fetching with `client` and writing
    /// through `service` as `subject`.
    #[must_use]
    pub fn new(
        service: Arc<ImageStreams<S, R, A, C>>,
        client: Arc<RegistryClient>,
        registry: impl Into<String>,
        subject: Subject,
    ) -> Self {
        Self {
            service,
            client,
            registry: registry.into(),
            insecure: false,
            subject,
            capacity: DEFAULT_SEEN_CAPACITY,
            state: Mutex::default(),
        }
    }

    /// Fetch manifests over plain HTTP or unverified TLS.
    #[must_use]
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// Handles every event of `envelope`, in order.
    pub fn receive(&self, envelope: &Envelope) -> Vec<Outcome> {
        envelope.events.iter().map(|e| self.one(e)).collect()
    }

    fn one(&self, event: &Event) -> Outcome {
        let id = event.id.clone();
        if self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .seen
            .contains(&id)
        {
            return Outcome::Duplicate(id);
        }
        let outcome = self.map(event);
        if !matches!(outcome, Outcome::Failed { .. }) {
            self.state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remember(&id, self.capacity);
        }
        outcome
    }

    fn map(&self, event: &Event) -> Outcome {
        let id = event.id.clone();
        let failed = |error: String| Outcome::Failed {
            id: id.clone(),
            error,
        };
        let (namespace, stream, digest) = match classify(event) {
            Ok(v) => v,
            Err(o) => return *o,
        };
        let t = &event.target;
        let key = (t.repository.clone(), t.tag.clone());
        if !t.tag.is_empty()
            && let (Some(at), Some(newest)) = (
                event.timestamp,
                self.state
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .newest
                    .get(&key)
                    .copied(),
            )
            && at < newest
        {
            return Outcome::Stale(id);
        }
        let pull_spec = format!("{}/{}@{digest}", self.registry, t.repository);
        let reference = match ImageReference::parse(&pull_spec) {
            Ok(r) => r,
            Err(e) => return failed(format!("invalid pull spec {pull_spec:?}: {e}")),
        };
        let request = ImportRequest::new(reference.clone())
            .insecure(self.insecure)
            .import_mode(ImportMode::PreserveOriginal);
        let fetched = match self.client.fetch(&request) {
            Ok(f) => f,
            Err(e) => return failed(e.to_string()),
        };
        let mut image = api_image(&reference, &fetched, self.service.clock().now());
        image
            .metadata
            .annotations
            .insert(MANAGED_IMAGE_ANNOTATION.to_owned(), "true".to_owned());
        if t.tag.is_empty() {
            // The image alone: the subject must be allowed to create images.
            if let Decision::Deny(reason) = self.service.authorizer().check(
                &Attributes::new(&self.subject, Verb::Create, Resource::Images)
                    .named(digest.as_str()),
            ) {
                return failed(format!(
                    "{} may not create images: {reason}",
                    self.subject.name()
                ));
            }
            return match self.service.store().put_image(image) {
                Ok(_) => Outcome::Stored { image: digest },
                Err(e) => failed(e.to_string()),
            };
        }
        let mapping = api::ImageStreamMapping {
            api_version: api::API_VERSION.to_owned(),
            kind: "ImageStreamMapping".to_owned(),
            metadata: api::ObjectMeta {
                name: stream.to_string(),
                namespace: namespace.to_string(),
                ..api::ObjectMeta::default()
            },
            image,
            tag: t.tag.clone(),
        };
        let result = self.create_mapping(&namespace, &stream, mapping);
        match result {
            Ok(()) => {
                if let Some(at) = event.timestamp {
                    let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                    let newest = state.newest.entry(key).or_insert(at);
                    *newest = (*newest).max(at);
                }
                Outcome::Mapped {
                    namespace,
                    stream,
                    tag: t.tag.clone(),
                    image: digest,
                }
            }
            Err(e) => failed(e.to_string()),
        }
    }

    /// Creates the mapping, creating a missing stream first (the
    /// integrated registry's auto-provisioning).
    fn create_mapping(
        &self,
        namespace: &Namespace,
        stream: &StreamName,
        mapping: api::ImageStreamMapping,
    ) -> Result<(), ServiceError> {
        match self
            .service
            .create_mapping(&self.subject, mapping.clone())
            .map(drop)
        {
            Err(ServiceError::NotFound {
                resource: "imagestreams",
                ..
            }) => {
                let created = ImageStream::new(namespace.clone(), stream.clone())
                    .map_err(|e| ServiceError::from(BadRequest::Name(e)))
                    .and_then(|s| self.service.create(&self.subject, s).map(|_| ()));
                match created {
                    Ok(()) | Err(ServiceError::AlreadyExists { .. }) => self
                        .service
                        .create_mapping(&self.subject, mapping)
                        .map(drop),
                    Err(e) => Err(e),
                }
            }
            other => other,
        }
    }
}

/// A push of a manifest into `namespace/stream`, or why the event is
/// not one.
fn classify(event: &Event) -> Result<(Namespace, StreamName, Digest), Box<Outcome>> {
    let ignored = |why| {
        Box::new(Outcome::Ignored {
            id: event.id.clone(),
            why,
        })
    };
    if event.action != Action::Push {
        return Err(ignored("not a push"));
    }
    let t = &event.target;
    let media_type = t.media_type.split(';').next().unwrap_or("").trim();
    if ![
        manifest::DOCKER_MANIFEST,
        manifest::DOCKER_MANIFEST_LIST,
        manifest::OCI_MANIFEST,
        manifest::OCI_INDEX,
    ]
    .contains(&media_type)
    {
        return Err(ignored("not a manifest"));
    }
    let Some((ns, name)) = t.repository.split_once('/') else {
        return Err(ignored("not a namespace/stream repository"));
    };
    let (Ok(namespace), Ok(stream)) = (Namespace::parse(ns), StreamName::parse(name)) else {
        return Err(ignored("not a namespace/stream repository"));
    };
    let digest = Digest::parse(&t.digest).map_err(|e| {
        Box::new(Outcome::Failed {
            id: event.id.clone(),
            error: format!("invalid digest {:?}: {e}", t.digest),
        })
    })?;
    Ok((namespace, stream, digest))
}

/// What the [`Endpoint`] hands envelopes to.
pub trait EnvelopeHandler: Send + Sync {
    /// Handles an authenticated, parsed envelope; `false` asks the
    /// registry to deliver it again (the endpoint answers 503).
    fn handle(&self, envelope: &Envelope) -> bool;
}

impl<S, R, A, C> EnvelopeHandler for Receiver<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    fn handle(&self, envelope: &Envelope) -> bool {
        !self
            .receive(envelope)
            .iter()
            .any(|o| matches!(o, Outcome::Failed { .. }))
    }
}

/// The endpoint could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}: {reason}")]
pub struct EndpointError {
    addr: String,
    reason: String,
}

/// A small blocking HTTP endpoint for the registry's notifications: `POST`
/// with `Authorization: Bearer <secret>` (set in the registry's
/// `notifications.endpoints[].headers`); anything without the secret gets
/// 401 and reaches nothing. A bad envelope gets 400, one the handler could
/// not finish 503 (the registry retries), else 200. Stops on drop.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use imagestream_registry::notify::{Endpoint, Envelope, EnvelopeHandler};
///
/// #[derive(Default)]
/// struct Count(AtomicUsize);
/// impl EnvelopeHandler for Count {
///     fn handle(&self, envelope: &Envelope) -> bool {
///         self.0.fetch_add(envelope.events.len(), Ordering::SeqCst);
///         true
///     }
/// }
///
/// let count = Arc::new(Count::default());
/// let endpoint = Endpoint::start("127.0.0.1:0", "s3cret", count.clone())?;
/// // The registry's config: notifications.endpoints[].url = http://<addr>/,
/// // headers: {Authorization: ["Bearer s3cret"]}.
/// assert!(endpoint.addr().ip().is_loopback());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Endpoint {
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    addr: SocketAddr,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Compares without an early exit, so the time taken does not reveal how
/// much of the secret matched.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Endpoint {
    /// Listens on `addr` (e.g. `127.0.0.1:0`) in a thread of its own.
    pub fn start(
        addr: &str,
        secret: &str,
        handler: Arc<dyn EnvelopeHandler>,
    ) -> Result<Self, EndpointError> {
        let server = tiny_http::Server::http(addr).map_err(|e| EndpointError {
            addr: addr.to_owned(),
            reason: e.to_string(),
        })?;
        let bound = server.server_addr().to_ip().ok_or_else(|| EndpointError {
            addr: addr.to_owned(),
            reason: "not an IP listener".into(),
        })?;
        let server = Arc::new(server);
        let expected = format!("Bearer {secret}");
        let s = server.clone();
        let thread = std::thread::spawn(move || {
            for request in s.incoming_requests() {
                serve(request, &expected, &*handler);
            }
        });
        Ok(Self {
            server,
            thread: Some(thread),
            addr: bound,
        })
    }

    /// The address listened on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

fn serve(mut request: tiny_http::Request, expected: &str, handler: &dyn EnvelopeHandler) {
    let authorized = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .is_some_and(|h| same(h.value.as_bytes(), expected.as_bytes()));
    let status = if !authorized {
        401
    } else if *request.method() != tiny_http::Method::Post {
        405
    } else {
        let mut body = Vec::new();
        let read = request
            .as_reader()
            .take(MAX_ENVELOPE_BYTES + 1)
            .read_to_end(&mut body);
        if read.is_err() {
            400
        } else if body.len() as u64 > MAX_ENVELOPE_BYTES {
            413
        } else {
            match Envelope::parse(&body) {
                Ok(envelope) => {
                    if handler.handle(&envelope) {
                        200
                    } else {
                        503
                    }
                }
                Err(_) => 400,
            }
        }
    };
    let _ = request.respond(tiny_http::Response::empty(status));
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_parse_into_typed_events() {
        let json = br#"{"events":[{"id":"a","timestamp":"2024-01-02T03:04:05.123456789Z","action":"push",
            "target":{"mediaType":"application/octet-stream","size":3,"digest":"sha256:x","length":3,"repository":"ns/app","url":"http://r/v2/ns/app/blobs/sha256:x"},
            "request":{"id":"r1","addr":"1.2.3.4:5","host":"r","method":"PUT","useragent":"ua"},"actor":{"name":"dev"},"source":{"addr":"h:5000","instanceID":"i"}},
            {"id":"b","action":"weird"}]}"#;
        let e = Envelope::parse(json).unwrap();
        assert_eq!(e.events.len(), 2);
        let a = &e.events[0];
        assert_eq!(a.action, Action::Push);
        assert_eq!(a.target.repository, "ns/app");
        assert_eq!(a.request.method, "PUT");
        assert_eq!(a.actor.name, "dev");
        assert_eq!(
            a.timestamp.unwrap().to_rfc3339(),
            "2024-01-02T03:04:05.123456789+00:00"
        );
        assert_eq!(e.events[1].action, Action::Other("weird".into()));
        for bad in [
            &b"{"[..],
            b"[]",
            br#"{"events":[{"action":"push"}]}"#,
            br#"{"events":[{"id":"x","action":1}]}"#,
        ] {
            let err = Envelope::parse(bad).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("invalid notification envelope: "),
                "{err}"
            );
        }
    }

    #[test]
    fn secrets_compare_fully() {
        assert!(same(b"Bearer s", b"Bearer s"));
        assert!(!same(b"Bearer s", b"Bearer t"));
        assert!(!same(b"Bearer", b"Bearer s"));
    }

    #[test]
    fn seen_ids_are_bounded() {
        let mut s = State::default();
        for i in 0..10 {
            s.remember(&i.to_string(), 3);
        }
        assert_eq!(s.seen.len(), 3);
        assert!(s.seen.contains("9") && !s.seen.contains("6"));
    }
}
