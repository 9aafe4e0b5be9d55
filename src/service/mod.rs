//! The service: every operation run against the ports, with authorization
//! and conflict retries. This is what embedders and the examples use.
//!
//! Every operation authorizes first (one [`Attributes`] value per
//! question), before it reads anything, so a refusal never depends on
//! whether the object exists; then it reads, runs the pure domain
//! operation, and writes with the version it read. A lost race is retried
//! with jittered exponential backoff within a [`RetryPolicy`]; an
//! exhausted budget is [`Conflict::Exhausted`] and nothing is written.
//! Images (from mappings and imports) are stored only after the stream
//! write landed, so a refused or failed write leaves none behind. Writes
//! return a [`Changes`]: which tags' current images moved (for triggers),
//! the images stored, what was pruned.
//!
//! ```
//! use imagestream::chrono::{TimeZone, Utc};
//! use imagestream::ports::Subject;
//! use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
//! use imagestream::service::ImageStreams;
//! use imagestream::stream::{ImageStream, TagEvent};
//!
//! let service = ImageStreams::in_memory();
//! let admin = Subject::system_admin();
//! let ns = Namespace::parse("test")?;
//! let stream = ImageStream::new(ns.clone(), StreamName::parse("app")?)?;
//! service.create(&admin, stream)?;
//!
//! // Push an image into the stream (a read-modify-write, retried on conflict).
//! let image = Digest::of_sha256(b"layer");
//! let pull_spec = ImageReference::parse(&format!("172.30.1.1:5000/test/app@{image}"))?;
//! let at = Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap();
//! service.update(&admin, &ns, &StreamName::parse("app")?, |is| {
//!     is.add_event(&TagName::parse("latest")?, TagEvent::new(pull_spec.clone(), Some(image.clone()), 1, at));
//!     Ok(())
//! })?;
//! let stored = service.get(&admin, &ns, &StreamName::parse("app")?)?;
//! assert_eq!(stored.value.history("latest").unwrap().len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod imports;
mod mappings;
mod streams;
mod tags;
mod views;

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::ports::{
    Attributes, Authorizer, Clock, Decision, ImageStore, MemoryStore, Rbac, Registry, Resource,
    StaticRegistry, StoreError, Stored, StreamStore, Subject, SystemClock, Verb,
};
use crate::reference::{Namespace, StreamName, TagName};
use crate::stream::{
    Changes, ImageStream, PullDenied, SourceAccess, SpecContext, StreamLookup, TagEvent,
};

pub use error::{BadRequest, Conflict, ServiceError, TagFailure};
pub use imports::Imported;

/// How many times a read-modify-write is tried by default on version
/// conflicts (see [`RetryPolicy`]).
pub const DEFAULT_MAX_ATTEMPTS: usize = 60;

/// How conflicting writes are retried: up to `max_attempts` writes, the
/// n-th retry after a random pause in `[0, min(max_delay, base_delay ×
/// 2ⁿ)]` ("full jitter"), taken through [`Clock::sleep`].
///
/// The default (60 attempts, 100 µs doubling up to 5 ms, so at most about
/// 0.3 s of pauses) lets 8 writers contending on one stream land 500
/// updates each.
///
/// ```
/// use std::time::Duration;
/// use imagestream::service::{ImageStreams, RetryPolicy};
///
/// let patient = RetryPolicy::default()
///     .max_attempts(200)
///     .delays(Duration::from_micros(50), Duration::from_millis(20));
/// let service = ImageStreams::in_memory().with_retry(patient);
/// assert_eq!(service.retry_policy().attempts(), 200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: usize,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_delay: Duration::from_micros(100),
            max_delay: Duration::from_millis(5),
        }
    }
}

impl RetryPolicy {
    /// At most `attempts` writes (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: usize) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first retry's pause bound and the cap (`max` is raised to
    /// `base` if lower). Zero delays retry at once.
    #[must_use]
    pub fn delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// The attempt budget.
    #[must_use]
    pub fn attempts(&self) -> usize {
        self.max_attempts
    }

    /// The pause before retry `n` (1-based), drawn from `jitter`.
    fn pause(&self, n: usize, jitter: &mut Jitter) -> Duration {
        let shift = u32::try_from(n.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(20);
        let bound = self
            .base_delay
            .saturating_mul(1 << shift)
            .min(self.max_delay);
        let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(jitter.next() % nanos.saturating_add(1))
    }
}

/// A xorshift64 generator seeded per write from the standard library's
/// per-process random hasher keys: jitter without a `rand` dependency.
struct Jitter(u64);

impl Jitter {
    fn new() -> Self {
        Self(RandomState::new().hash_one(0x5eed_u64) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// What a write expects of the stream when it reads it again after losing
/// a race (as a ref edit carries its expected previous value): the retry
/// is made only while the expectation holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Retry over whatever the winner wrote.
    Anything,
    /// Retry only while `tag`'s current entry has this pull spec and image
    /// (generation and time aside); `None`: the tag had no entry, and any
    /// state is retried over.
    TagAt {
        tag: TagName,
        current: Option<(String, String)>,
    },
}

impl Expect {
    /// `tag` must stay where `stream` has it now.
    pub(crate) fn tag_unmoved(stream: &ImageStream, tag: &TagName) -> Self {
        Self::TagAt {
            tag: tag.clone(),
            current: stream
                .latest_tagged_image(tag.as_str())
                .map(|e| (e.pull_spec().as_str().to_owned(), e.image_str().to_owned())),
        }
    }

    /// `Err` (the conflict to return) when `stream`, read again after
    /// `last`, no longer meets the expectation.
    fn check(&self, stream: &ImageStream, last: StoreError) -> Result<StoreError, Conflict> {
        match self {
            Self::TagAt {
                tag,
                current: Some((pull_spec, image)),
            } => {
                let now = stream.latest_tagged_image(tag.as_str());
                if now.is_some_and(|e: &TagEvent| {
                    e.pull_spec().as_str() == pull_spec && e.image_str() == image
                }) {
                    Ok(last)
                } else {
                    Err(Conflict::Moved {
                        tag: tag.clone(),
                        last,
                    })
                }
            }
            _ => Ok(last),
        }
    }
}

/// Reads other streams from the store, for spec tags that reference them.
/// A store failure other than "not found" is kept, and the operation
/// returns it instead of reporting the stream as missing.
struct StoreLookup<'a, S> {
    store: &'a S,
    failure: OnceLock<StoreError>,
}

impl<'a, S: StreamStore> StoreLookup<'a, S> {
    fn new(store: &'a S) -> Self {
        Self {
            store,
            failure: OnceLock::new(),
        }
    }

    /// The store failure met by a lookup, if any.
    fn check(&self) -> Result<(), ServiceError> {
        match self.failure.get() {
            Some(e) => Err(ServiceError::Store(e.clone())),
            None => Ok(()),
        }
    }
}

impl<S: StreamStore> StreamLookup for StoreLookup<'_, S> {
    fn stream(&self, namespace: &Namespace, name: &StreamName) -> Option<ImageStream> {
        match self.store.get(namespace, name) {
            Ok(s) => Some(s.value),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => {
                let _ = self.failure.set(e);
                None
            }
        }
    }
}

/// The requesting subject's access to other namespaces' streams, asked of
/// the authorizer as `get imagestreams/layers` (OpenShift's `TagVerifier`).
struct SubjectAccess<'a, A: ?Sized> {
    authorizer: &'a A,
    subject: &'a Subject,
}

impl<A: Authorizer + ?Sized> SourceAccess for SubjectAccess<'_, A> {
    fn may_pull(&self, namespace: &Namespace, stream: &StreamName) -> Result<(), PullDenied> {
        let attributes = Attributes::new(self.subject, Verb::Get, Resource::ImageStreamLayers)
            .in_namespace(namespace)
            .named(stream.as_str());
        match self.authorizer.check(&attributes) {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => Err(PullDenied::new(reason)),
        }
    }
}

/// Image streams as a service: the pure domain operations run against the
/// ports, each authorized, each write made with the version it read and
/// retried on conflict.
#[derive(Debug)]
pub struct ImageStreams<S = MemoryStore, R = StaticRegistry, A = Rbac, C = SystemClock> {
    store: Arc<S>,
    registry: Arc<R>,
    authorizer: Arc<A>,
    clock: Arc<C>,
    internal_registry: Option<String>,
    retry: RetryPolicy,
}

impl ImageStreams {
    /// Every default: [`MemoryStore`], [`StaticRegistry`], [`Rbac`] (with
    /// `system:admin` as cluster admin) and [`SystemClock`].
    #[must_use]
    pub fn in_memory() -> Self {
        Self::new(
            Arc::new(MemoryStore::new()),
            Arc::new(StaticRegistry::new()),
            Arc::new(Rbac::new()),
            Arc::new(SystemClock),
        )
    }
}

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// A service over these ports.
    #[must_use]
    pub fn new(store: Arc<S>, registry: Arc<R>, authorizer: Arc<A>, clock: Arc<C>) -> Self {
        Self {
            store,
            registry,
            authorizer,
            clock,
            internal_registry: None,
            retry: RetryPolicy::default(),
        }
    }

    /// With the integrated registry's `host[:port]`: streams get
    /// `status.dockerImageRepository = <host>/<namespace>/<name>`, and
    /// tags copied from other streams are pulled through this one.
    #[must_use]
    pub fn with_internal_registry(mut self, host: impl Into<String>) -> Self {
        self.internal_registry = Some(host.into());
        self
    }

    /// With another attempt budget for conflicting writes (the pauses
    /// stay as they are; see [`with_retry`](Self::with_retry)).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: usize) -> Self {
        self.retry = self.retry.max_attempts(attempts);
        self
    }

    /// With another retry policy for conflicting writes.
    #[must_use]
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The retry policy.
    #[must_use]
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    /// The registry.
    #[must_use]
    pub fn registry(&self) -> &Arc<R> {
        &self.registry
    }

    /// The authorizer.
    #[must_use]
    pub fn authorizer(&self) -> &Arc<A> {
        &self.authorizer
    }

    /// The clock.
    #[must_use]
    pub fn clock(&self) -> &Arc<C> {
        &self.clock
    }

    /// Asks the authorizer; a denial is [`ServiceError::Forbidden`].
    fn authorize(&self, attributes: &Attributes<'_>) -> Result<(), ServiceError> {
        match self.authorizer.check(attributes) {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => Err(attributes.deny(reason).into()),
        }
    }

    fn context<'a>(
        &'a self,
        lookup: &'a StoreLookup<'a, S>,
        access: &'a dyn SourceAccess,
    ) -> SpecContext<'a> {
        let ctx = SpecContext::new(self.clock.now())
            .with_lookup(lookup)
            .with_access(access);
        match &self.internal_registry {
            Some(host) => ctx.with_internal_registry(host),
            None => ctx,
        }
    }

    fn access<'a>(&'a self, subject: &'a Subject) -> SubjectAccess<'a, A> {
        SubjectAccess {
            authorizer: &*self.authorizer,
            subject,
        }
    }

    /// The one read-modify-write loop: read, apply `change`, and if its
    /// [`Changes`] say the stream changed, write with the version read. On
    /// a conflict, pause (jittered exponential backoff), read again and,
    /// while `expect` holds for what was read, retry within the budget.
    /// Returns `change`'s value, its outcome and the stored stream (`None`
    /// when nothing had to be written).
    fn write<T>(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        expect: &Expect,
        mut change: impl FnMut(&mut ImageStream, &SpecContext<'_>) -> Result<(T, Changes), ServiceError>,
    ) -> Result<(T, Changes, Option<Stored<ImageStream>>), ServiceError> {
        let lookup = StoreLookup::new(&*self.store);
        let access = self.access(subject);
        let mut jitter = Jitter::new();
        let mut last_conflict: Option<StoreError> = None;
        let mut attempt = 0;
        loop {
            if attempt > 0 {
                self.clock.sleep(self.retry.pause(attempt, &mut jitter));
            }
            attempt += 1;
            let Stored {
                mut value,
                resource_version,
                ..
            } = self.store.get(namespace, name)?;
            if let Some(last) = last_conflict.take() {
                expect.check(&value, last)?;
            }
            let ctx = self.context(&lookup, &access);
            let result = change(&mut value, &ctx);
            lookup.check()?;
            let (out, changes) = result?;
            if !changes.changed() {
                return Ok((out, changes, None));
            }
            match self.store.update(value, resource_version) {
                Ok(stored) => return Ok((out, changes, Some(stored))),
                Err(last @ StoreError::Conflict { .. }) if attempt >= self.retry.max_attempts => {
                    return Err(Conflict::Exhausted {
                        attempts: attempt,
                        last,
                    }
                    .into());
                }
                Err(e @ StoreError::Conflict { .. }) => last_conflict = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
    }
}
