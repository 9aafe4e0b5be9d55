//! The service: every operation run against the ports, with authorization
//! and conflict retries. This is what embedders and the examples use.
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

use std::sync::Arc;

use crate::ports::{
    Authorizer, Clock, Decision, Forbidden, ImageStore, MemoryStore, Rbac, Registry, Resource,
    StaticRegistry, StoreError, Stored, StreamStore, Subject, SystemClock, Verb,
};
use crate::reference::{Namespace, StreamName};
use crate::stream::{ImageStream, PullDenied, SourceAccess, SpecContext, StreamLookup};

pub use error::{ServiceError, TagFailure};

/// How many times a read-modify-write is retried on a version conflict.
pub const DEFAULT_MAX_ATTEMPTS: usize = 10;
/// Reads other streams from the store, for spec tags that reference them.
struct StoreLookup<'a, S>(&'a S);

/// The requesting subject's access to other namespaces' streams, asked of
/// the authorizer as `get imagestreams/layers` (OpenShift's `TagVerifier`).
struct SubjectAccess<'a, A: ?Sized> {
    authorizer: &'a A,
    subject: &'a Subject,
}

impl<A: Authorizer + ?Sized> SourceAccess for SubjectAccess<'_, A> {
    fn may_pull(&self, namespace: &Namespace, stream: &StreamName) -> Result<(), PullDenied> {
        match self.authorizer.check(
            self.subject,
            Verb::Get,
            Resource::ImageStreamLayers,
            Some(namespace),
            Some(stream.as_str()),
        ) {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => Err(PullDenied::new(reason)),
        }
    }
}

impl<S: StreamStore> StreamLookup for StoreLookup<'_, S> {
    fn stream(&self, namespace: &Namespace, name: &StreamName) -> Option<ImageStream> {
        self.0.get(namespace, name).ok().map(|s| s.value)
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
    max_attempts: usize,
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
            max_attempts: DEFAULT_MAX_ATTEMPTS,
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

    /// With another retry bound for conflicting writes.
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: usize) -> Self {
        self.max_attempts = attempts.max(1);
        self
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

    fn authorize(
        &self,
        subject: &Subject,
        verb: Verb,
        resource: Resource,
        namespace: Option<&Namespace>,
        name: Option<&str>,
    ) -> Result<(), ServiceError> {
        let namespace = if resource.cluster_scoped() {
            None
        } else {
            namespace
        };
        match self
            .authorizer
            .check(subject, verb, resource, namespace, name)
        {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => Err(Forbidden {
                subject: subject.name().to_owned(),
                verb: verb.as_str(),
                resource: resource.as_str(),
                namespace: namespace.map(ToString::to_string),
                name: name.map(str::to_owned),
                reason,
            }
            .into()),
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

    /// The read-modify-write loop for changes that always write.
    fn modify<T>(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        mut change: impl FnMut(&mut ImageStream, &SpecContext<'_>) -> Result<T, ServiceError>,
    ) -> Result<(T, Stored<ImageStream>), ServiceError> {
        let (out, stored) = self.modify_if(subject, namespace, name, |is, ctx| {
            change(is, ctx).map(|out| (out, true))
        })?;
        // Every attempt asked to write, so a success stored something.
        stored
            .map(|s| (out, s))
            .ok_or_else(|| ServiceError::Conflict("no write was made".into()))
    }

    /// [`modify_with`](Self::modify_with), retrying every conflict.
    fn modify_if<T>(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        change: impl FnMut(&mut ImageStream, &SpecContext<'_>) -> Result<(T, bool), ServiceError>,
    ) -> Result<(T, Option<Stored<ImageStream>>), ServiceError> {
        self.modify_with(subject, namespace, name, change, |_| true)
    }

    /// The one read-modify-write loop: read, apply `change`, and if it asks
    /// for a write, write with the version read; on a conflict, read again
    /// and, if `retry` accepts what was read, retry, up to the bound.
    /// `None` when `change` wrote nothing.
    fn modify_with<T>(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        mut change: impl FnMut(&mut ImageStream, &SpecContext<'_>) -> Result<(T, bool), ServiceError>,
        mut retry: impl FnMut(&ImageStream) -> bool,
    ) -> Result<(T, Option<Stored<ImageStream>>), ServiceError> {
        let lookup = StoreLookup(&*self.store);
        let access = self.access(subject);
        let mut last_conflict: Option<StoreError> = None;
        for _ in 0..self.max_attempts {
            let Stored {
                mut value,
                resource_version,
                ..
            } = self.store.get(namespace, name)?;
            if let Some(e) = last_conflict.take_if(|_| !retry(&value)) {
                return Err(e.into());
            }
            let ctx = self.context(&lookup, &access);
            let (out, write) = change(&mut value, &ctx)?;
            if !write {
                return Ok((out, None));
            }
            match self.store.update(value, resource_version) {
                Ok(stored) => return Ok((out, Some(stored))),
                Err(e @ StoreError::Conflict { .. }) => last_conflict = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last_conflict.map_or_else(
            || ServiceError::Conflict("no attempt was made".into()),
            Into::into,
        ))
    }
}
