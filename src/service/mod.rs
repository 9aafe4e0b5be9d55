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
//! write landed, so a refused or failed write leaves none behind. The
//! domain writes (spec tags, tag deletion, rollback, mappings, imports,
//! pruning) return a [`Changes`]: which tags' current images moved (for
//! triggers), the images stored, what was pruned; `create` and `update`
//! return the stored stream.
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
//! // Push an image into the stream (a read-modify-write, retried on
//! // conflict; a status write, which system:admin may make).
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
mod image_tags;
mod import_image;
mod imports;
mod istags;
mod lookup;
mod mappings;
#[cfg(feature = "policy")]
mod policies;
mod repositories;
mod retry;
mod streams;
mod tags;
mod views;

use std::sync::{Arc, OnceLock};

use crate::ports::{
    Attributes, Authorizer, Clock, Decision, ImageStore, MemoryStore, Rbac, Registry, Resource,
    StaticRegistry, StoreError, Stored, StreamStore, Subject, SystemClock, Verb,
};
use crate::reference::{Namespace, StreamName};
use crate::stream::{Changes, ImageStream, PullDenied, SourceAccess, SpecContext, StreamLookup};

pub use error::{BadRequest, Conflict, ServiceError, TagFailure};
pub use import_image::{ImportImageFailure, REPOSITORY_LIST_CAP};
pub use imports::Imported;
pub use lookup::ImageLookupUpdate;
pub use retry::{DEFAULT_MAX_ATTEMPTS, RetryPolicy};

use retry::{Expect, Jitter};

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
    public_registry: Option<String>,
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
            public_registry: None,
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

    /// With the integrated registry's public `host[:port]` (OpenShift's
    /// external registry hostname): streams get
    /// `status.publicDockerImageRepository = <host>/<namespace>/<name>`.
    /// Both hostnames are applied on every read and every write.
    #[must_use]
    pub fn with_public_registry(mut self, host: impl Into<String>) -> Self {
        self.public_registry = Some(host.into());
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
            } = self.read(namespace, name)?;
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
                Err(last @ StoreError::Conflict { .. }) if attempt >= self.retry.attempts() => {
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
