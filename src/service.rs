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

use std::cell::RefCell;
use std::sync::Arc;

use crate::api;
use crate::ops::import::{
    ImportResult, TagImport, apply_import, imported_image, plan_import, plan_scheduled_import,
};
use crate::ops::tag::{TagCommand, TagError, TagOutcome, TagStep};
use crate::ports::{
    Authorizer, Clock, Decision, Forbidden, ImageStore, ImportRequest, MemoryStore, Page, Rbac,
    Registry, Resource, StaticRegistry, StoreError, Stored, StreamStore, Subject, SystemClock,
    Verb,
};
use crate::reference::{Digest, IsImageName, IsTagName, Namespace, StreamName, TagName};
use crate::stream::{
    FieldError, ImageStream, ImageStreamMapping, PruneOptions, Pruned, PullDenied, ResolveError,
    RollbackError, RollbackTarget, SourceAccess, SpecChanges, SpecContext, SpecError, StreamLookup,
    TagEvent, ValidationError,
};

/// How many times a read-modify-write is retried on a version conflict.
pub const DEFAULT_MAX_ATTEMPTS: usize = 10;

/// Why a service operation failed, with OpenShift's messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// No such object.
    #[error("{resource}.image.openshift.io \"{name}\" not found")]
    NotFound {
        /// The resource (`imagestreams`, `imagestreamtags`, …).
        resource: &'static str,
        /// The object's name as asked for.
        name: String,
    },
    /// The object exists already.
    #[error("{resource}.image.openshift.io \"{name}\" already exists")]
    AlreadyExists {
        /// The resource.
        resource: &'static str,
        /// The object's name.
        name: String,
    },
    /// A version conflict that retries did not resolve, or an ambiguous id.
    #[error("{0}")]
    Conflict(String),
    /// The subject may not do this (boxed: it names everything).
    #[error(transparent)]
    Forbidden(Box<Forbidden>),
    /// Field errors.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A malformed request (a bad `istag` or `isimage` name).
    #[error("{0}")]
    BadRequest(String),
    /// A spec change refused (a tracking circle).
    #[error(transparent)]
    Spec(SpecError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// `oc tag` refused its arguments.
    #[error(transparent)]
    Tag(#[from] TagError),
}

/// `oc tag` stopped at an error; what it did before is kept, as `oc`
/// prints each destination's message as it goes.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
#[non_exhaustive]
pub struct TagFailure {
    /// The destinations done before the error, in order.
    pub done: Vec<TagOutcome>,
    /// The error.
    #[source]
    pub error: ServiceError,
}

impl From<Forbidden> for ServiceError {
    fn from(e: Forbidden) -> Self {
        Self::Forbidden(Box::new(e))
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { resource, name } => Self::NotFound { resource, name },
            StoreError::AlreadyExists { resource, name } => Self::AlreadyExists { resource, name },
            c @ StoreError::Conflict { .. } => Self::Conflict(c.to_string()),
            other => Self::Store(other),
        }
    }
}

impl From<SpecError> for ServiceError {
    fn from(e: SpecError) -> Self {
        match e {
            SpecError::Invalid(v) => Self::Invalid(v),
            other => Self::Spec(other),
        }
    }
}

impl From<RollbackError> for ServiceError {
    fn from(e: RollbackError) -> Self {
        match e {
            RollbackError::UnknownTag { stream, tag } => Self::NotFound {
                resource: "imagestreamtags",
                name: format!("{stream}:{tag}"),
            },
            RollbackError::Image(ResolveError::Ambiguous { .. }) => Self::Conflict(e.to_string()),
            RollbackError::Spec(s) => s.into(),
            other => Self::BadRequest(other.to_string()),
        }
    }
}

/// The views return images without their raw manifest and config, as the
/// server does (§11.1, §12.2).
fn without_raw_manifest(mut image: api::Image) -> api::Image {
    image.docker_image_manifest.clear();
    image.docker_image_config.clear();
    image
}

/// The manifest a mapping carries must hash to the image's name (sha256
/// names only; other algorithms are not checked).
fn check_manifest_digest(mapping: &ImageStreamMapping) -> Result<(), ValidationError> {
    let manifest = &mapping.image().docker_image_manifest;
    let name = mapping.image_name();
    if manifest.is_empty() || !name.as_str().starts_with("sha256:") {
        return Ok(());
    }
    let actual = Digest::of_sha256(manifest.as_bytes());
    if actual == *name {
        return Ok(());
    }
    ValidationError::check(vec![FieldError::invalid(
        "image.dockerImageManifest",
        actual.as_str(),
        format!("the manifest's digest does not match the image name {name}"),
    )])
}

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

    /// Creates a stream the way the server does (§8): generation 1, spec
    /// tags resolved, status repository set.
    ///
    /// # Errors
    ///
    /// Forbidden, `already exists`, field errors of unresolvable sources.
    pub fn create(
        &self,
        subject: &Subject,
        mut stream: ImageStream,
    ) -> Result<Stored<ImageStream>, ServiceError> {
        let namespace = stream.namespace().clone();
        self.authorize(
            subject,
            Verb::Create,
            Resource::ImageStreams,
            Some(&namespace),
            Some(stream.name().as_str()),
        )?;
        let lookup = StoreLookup(&*self.store);
        let access = self.access(subject);
        let ctx = self.context(&lookup, &access);
        stream.set_creation_timestamp(ctx.now);
        if let Some(host) = &self.internal_registry {
            stream.set_repositories(
                format!("{host}/{}/{}", stream.namespace(), stream.name()),
                String::new(),
            );
        }
        stream.prepare_for_create(&ctx)?;
        Ok(self.store.create(stream)?)
    }

    /// Reads a stream.
    ///
    /// # Errors
    ///
    /// Forbidden, not found.
    pub fn get(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
    ) -> Result<Stored<ImageStream>, ServiceError> {
        self.authorize(
            subject,
            Verb::Get,
            Resource::ImageStreams,
            Some(namespace),
            Some(name.as_str()),
        )?;
        Ok(self.store.get(namespace, name)?)
    }

    /// Lists a namespace's streams, `limit` at a time.
    ///
    /// # Errors
    ///
    /// Forbidden, a bad continue token.
    pub fn list(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<Page<Stored<ImageStream>>, ServiceError> {
        self.authorize(
            subject,
            Verb::List,
            Resource::ImageStreams,
            Some(namespace),
            None,
        )?;
        Ok(self.store.list(namespace, limit, continue_token)?)
    }

    /// Deletes a stream (its images stay).
    ///
    /// # Errors
    ///
    /// Forbidden, not found, a uid mismatch.
    pub fn delete(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        uid: Option<&str>,
    ) -> Result<(), ServiceError> {
        self.authorize(
            subject,
            Verb::Delete,
            Resource::ImageStreams,
            Some(namespace),
            Some(name.as_str()),
        )?;
        Ok(self.store.delete(namespace, name, uid)?)
    }

    /// Any change to a stream, as a read-modify-write retried on conflict
    /// (`change` may run more than once).
    ///
    /// # Errors
    ///
    /// Forbidden, not found, `change`'s own error, a conflict that outlived
    /// the retries.
    pub fn update<T>(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        mut change: impl FnMut(&mut ImageStream) -> Result<T, Box<dyn std::error::Error + Send + Sync>>,
    ) -> Result<(T, Stored<ImageStream>), ServiceError> {
        self.authorize(
            subject,
            Verb::Update,
            Resource::ImageStreams,
            Some(namespace),
            Some(name.as_str()),
        )?;
        self.modify(subject, namespace, name, |is, _| {
            change(is).map_err(|e| ServiceError::BadRequest(e.to_string()))
        })
    }

    /// Sets a spec tag through the server's strategy (generations,
    /// `tagsChanged`, tracking).
    ///
    /// # Errors
    ///
    /// Forbidden, not found, field errors, a tracking circle.
    pub fn set_spec_tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        tag: &TagName,
        spec: &crate::stream::SpecTag,
    ) -> Result<SpecChanges, ServiceError> {
        self.authorize(
            subject,
            Verb::Update,
            Resource::ImageStreamTags,
            Some(namespace),
            Some(&format!("{name}:{tag}")),
        )?;
        let (changes, _) = self.modify(subject, namespace, name, |is, ctx| {
            Ok(is.set_spec_tag(tag.clone(), spec.clone(), ctx)?)
        })?;
        Ok(changes)
    }

    /// The `istag` view (§11.1): the tag's spec, current image (from the
    /// image store, with the pull spec resolved for the reference policy),
    /// conditions and generation.
    ///
    /// # Errors
    ///
    /// `ImageStreamTags must be retrieved with <name>:<tag>`, Forbidden,
    /// `imagestreamtags.image.openshift.io "<stream>:<tag>" not found`, or
    /// the image's not found.
    pub fn image_stream_tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        istag: &str,
    ) -> Result<api::ImageStreamTag, ServiceError> {
        let parsed = IsTagName::parse(istag).map_err(|_| {
            ServiceError::BadRequest("ImageStreamTags must be retrieved with <name>:<tag>".into())
        })?;
        self.authorize(
            subject,
            Verb::Get,
            Resource::ImageStreamTags,
            Some(namespace),
            Some(istag),
        )?;
        let stored = self.store.get(namespace, parsed.stream_name())?;
        let is = &stored.value;
        let event = is
            .image_stream_tag(parsed.tag())
            .map_err(|_| ServiceError::NotFound {
                resource: "imagestreamtags",
                name: istag.to_owned(),
            })?;
        let digest = event.image().ok_or_else(|| ServiceError::NotFound {
            resource: "imagestreamtags",
            name: istag.to_owned(),
        })?;
        let mut image = without_raw_manifest(self.store.get_image(&digest)?);
        let spec = is.spec_tag(parsed.tag());
        let annotations = spec
            .and_then(|s| s.annotations().cloned())
            .unwrap_or_default();
        image.metadata.annotations.extend(annotations.clone());
        image.docker_image_reference = is.resolve_reference_for_event(parsed.tag(), event);
        let wire = api::ImageStream::from(is);
        Ok(api::ImageStreamTag {
            api_version: api::API_VERSION.into(),
            kind: "ImageStreamTag".into(),
            metadata: api::ObjectMeta {
                name: parsed.to_string(),
                namespace: namespace.to_string(),
                uid: is.metadata().uid.clone(),
                resource_version: is.metadata().resource_version.clone(),
                creation_timestamp: event.created(),
                labels: is.metadata().labels.clone(),
                annotations,
                ..api::ObjectMeta::default()
            },
            tag: wire.spec.tags.into_iter().find(|t| t.name == parsed.tag()),
            generation: event.generation(),
            lookup_policy: wire.spec.lookup_policy,
            conditions: is
                .history(parsed.tag())
                .map(|h| h.conditions().to_vec())
                .unwrap_or_default(),
            image,
        })
    }

    /// The `isimage` view (§12): an image of the stream, by id or id prefix.
    /// An ambiguous prefix is always an error (better than the server,
    /// where the last match in map order wins).
    ///
    /// # Errors
    ///
    /// `ImageStreamImages must be retrieved with <name>@<id>`, Forbidden,
    /// `imagestreamimages.image.openshift.io "<stream>@<id>" not found`, the
    /// ambiguity conflict.
    pub fn image_stream_image(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        isimage: &str,
    ) -> Result<api::ImageStreamImage, ServiceError> {
        let parsed = IsImageName::parse(isimage).map_err(|_| {
            ServiceError::BadRequest("ImageStreamImages must be retrieved with <name>@<id>".into())
        })?;
        self.authorize(
            subject,
            Verb::Get,
            Resource::ImageStreamImages,
            Some(namespace),
            Some(isimage),
        )?;
        let stored = self.store.get(namespace, parsed.stream_name())?;
        let digest = match stored.value.resolve_image_id(parsed.id()) {
            Ok(d) => d,
            Err(e @ ResolveError::Ambiguous { .. }) => {
                return Err(ServiceError::Conflict(e.to_string()));
            }
            Err(_) => {
                return Err(ServiceError::NotFound {
                    resource: "imagestreamimages",
                    name: isimage.to_owned(),
                });
            }
        };
        let image = without_raw_manifest(self.store.get_image(&digest)?);
        Ok(api::ImageStreamImage {
            api_version: api::API_VERSION.into(),
            kind: "ImageStreamImage".into(),
            metadata: api::ObjectMeta {
                name: isimage.to_owned(),
                namespace: namespace.to_string(),
                creation_timestamp: image.metadata.creation_timestamp,
                annotations: stored.value.metadata().annotations.clone(),
                ..api::ObjectMeta::default()
            },
            image,
        })
    }

    /// A cluster-scoped image.
    ///
    /// # Errors
    ///
    /// Forbidden (it needs a cluster-wide grant), not found.
    pub fn image(&self, subject: &Subject, name: &Digest) -> Result<api::Image, ServiceError> {
        self.authorize(
            subject,
            Verb::Get,
            Resource::Images,
            None,
            Some(name.as_str()),
        )?;
        Ok(self.store.get_image(name)?)
    }

    /// Rolls a tag back to an older entry of its history (see
    /// [`ImageStream::rollback`]).
    ///
    /// # Errors
    ///
    /// Forbidden, not found, the rollback's errors.
    pub fn rollback(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        tag: &TagName,
        target: &RollbackTarget,
    ) -> Result<SpecChanges, ServiceError> {
        self.authorize(
            subject,
            Verb::Update,
            Resource::ImageStreamTags,
            Some(namespace),
            Some(&format!("{name}:{tag}")),
        )?;
        let (changes, _) = self.modify(subject, namespace, name, |is, ctx| {
            Ok(is.rollback(tag, target, ctx.now)?)
        })?;
        Ok(changes)
    }

    /// Deletes a tag (`oc tag -d`): spec and history; followers keep theirs.
    ///
    /// # Errors
    ///
    /// Forbidden, `imagestreamtags.image.openshift.io "<stream>:<tag>" not found`.
    pub fn delete_tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        istag: &str,
    ) -> Result<(), ServiceError> {
        let parsed =
            IsTagName::parse_lenient(istag).map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        self.authorize(
            subject,
            Verb::Delete,
            Resource::ImageStreamTags,
            Some(namespace),
            Some(istag),
        )?;
        self.modify(subject, namespace, parsed.stream_name(), |is, _| {
            is.delete_tag(parsed.tag())
                .map_err(|_| ServiceError::NotFound {
                    resource: "imagestreamtags",
                    name: parsed.to_string(),
                })
        })?;
        Ok(())
    }

    /// Records an image pushed to the integrated registry (`POST
    /// imagestreammappings`, §10): the stream must exist (the mapping does
    /// not create it); the image is stored unless one of that name exists
    /// (an existing image keeps its content); the event is added to the
    /// tag (`latest` if none) at the stream's generation, followers
    /// updated. On a storage conflict the stream is read again and the
    /// write retried, unless the tag has meanwhile moved to another image,
    /// which is returned as the conflict.
    ///
    /// **Beyond OpenShift:** when the mapping carries the manifest, its
    /// sha256 must be the image's name; otherwise nothing is written.
    ///
    /// # Errors
    ///
    /// Forbidden, field errors of the mapping, the manifest mismatch, the
    /// stream not found, a conflict, a store failure.
    pub fn create_mapping(
        &self,
        subject: &Subject,
        mut mapping: api::ImageStreamMapping,
    ) -> Result<(), ServiceError> {
        let namespace = Namespace::parse(&mapping.metadata.namespace)
            .map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        self.authorize(
            subject,
            Verb::Create,
            Resource::ImageStreamMappings,
            Some(&namespace),
            Some(&mapping.metadata.name),
        )?;
        // PrepareForCreate (§10 step 1).
        if mapping.image.docker_image_reference.is_empty()
            && let Some(host) = &self.internal_registry
        {
            mapping.image.docker_image_reference = format!(
                "{host}/{namespace}/{}@{}",
                mapping.metadata.name, mapping.image.metadata.name
            );
        }
        mapping.image.signatures.clear();
        let mapping = ImageStreamMapping::try_from(mapping)?;
        check_manifest_digest(&mapping)?;
        let (stream, tag) = (mapping.stream(), mapping.tag());
        // The stream must exist before the image is stored.
        self.store.get(&namespace, stream)?;
        let existed = !self
            .store
            .create_image_if_absent(mapping.image_to_store())?;
        let now = self.clock.now();
        // The tag's entry as last read: after a conflict, retry only if the
        // tag still points where it did (generation and time aside).
        let last: RefCell<Option<TagEvent>> = RefCell::new(None);
        self.modify_with(
            subject,
            &namespace,
            stream,
            |is, _| {
                *last.borrow_mut() = is.latest_tagged_image(tag.as_str()).cloned();
                Ok(((), is.apply_mapping(&mapping, existed, now)))
            },
            |reread| {
                let latest = reread.latest_tagged_image(tag.as_str());
                last.borrow().as_ref().is_none_or(|a| {
                    latest.is_some_and(|b| {
                        a.pull_spec() == b.pull_spec() && a.image_str() == b.image_str()
                    })
                })
            },
        )?;
        Ok(())
    }

    /// Imports the tags the import controller would ask for now
    /// ([`plan_import`]): each is resolved through the [`Registry`], the
    /// images are stored, and the answers applied as the server does
    /// ([`apply_import`]). Returns the tags imported or failed; writes
    /// nothing when nothing changed.
    ///
    /// # Errors
    ///
    /// Forbidden (`create imagestreamimports`), not found, a refused spec
    /// change, a conflict the retries did not resolve, a store failure.
    /// Registry failures are not errors: they become conditions.
    pub fn import(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
    ) -> Result<Vec<TagImport>, ServiceError> {
        self.run_import(subject, namespace, name, plan_import)
    }

    /// The scheduled import of a stream (§15.2): every scheduled tag is
    /// asked for again; an unchanged answer writes nothing.
    ///
    /// # Errors
    ///
    /// As [`import`](Self::import).
    pub fn import_scheduled(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
    ) -> Result<Vec<TagImport>, ServiceError> {
        self.run_import(subject, namespace, name, plan_scheduled_import)
    }

    fn run_import(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        plan: fn(&ImageStream) -> Vec<TagImport>,
    ) -> Result<Vec<TagImport>, ServiceError> {
        self.authorize(
            subject,
            Verb::Create,
            Resource::ImageStreamImports,
            Some(namespace),
            Some(name.as_str()),
        )?;
        let requests = plan(&self.store.get(namespace, name)?.value);
        if requests.is_empty() {
            return Ok(requests);
        }
        let now = self.clock.now();
        let mut results = Vec::with_capacity(requests.len());
        for request in requests {
            let ask = ImportRequest {
                reference: request.from.clone(),
                insecure: request.import_policy.insecure,
                import_mode: request.import_policy.import_mode,
                namespace: Some(namespace.clone()),
            };
            let result = match self.registry.resolve(&ask) {
                Ok(found) => {
                    let image = imported_image(
                        &request.from,
                        &found.digest,
                        &found.media_type,
                        found.layers,
                        found.config,
                        found.manifests,
                        now,
                    );
                    self.store.create_image_if_absent(image.clone())?;
                    ImportResult::Imported(Box::new(image))
                }
                Err(e) => ImportResult::Failed {
                    reason: e.reason().to_owned(),
                    message: e.to_string(),
                },
            };
            results.push((request, result));
        }
        self.modify_if(subject, namespace, name, |is, ctx| {
            Ok(((), apply_import(is, &results, ctx)?))
        })?;
        Ok(results.into_iter().map(|(r, _)| r).collect())
    }

    /// `oc tag` (§18): completes `command` in the current `namespace`,
    /// pins an image stream tag source to its current image (reading the
    /// source stream as `subject`), validates, then sets or deletes each
    /// destination in order, creating a destination stream that does not
    /// exist. Returns what `oc` prints, one message per destination.
    ///
    /// ```
    /// use imagestream::ops::tag::TagCommand;
    /// use imagestream::ports::Subject;
    /// use imagestream::reference::Namespace;
    /// use imagestream::service::ImageStreams;
    ///
    /// let service = ImageStreams::in_memory();
    /// let admin = Subject::system_admin();
    /// let ns = Namespace::parse("default")?;
    /// let done = service.tag(&admin, &ns, &TagCommand::new(["docker.io/python:3.6.0", "python:3.6"]))?;
    /// assert_eq!(done[0].to_string(), "Tag python:3.6 set to docker.io/python:3.6.0.");
    /// let done = service.tag(&admin, &ns, &TagCommand::new(["python:3.6"]).delete(true))?;
    /// assert_eq!(done[0].to_string(), "Deleted tag default/python:3.6.");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The first error, with the messages of the destinations done before
    /// it: `oc`'s argument and flag errors ([`TagError`]), Forbidden, not
    /// found, field errors.
    pub fn tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        command: &TagCommand,
    ) -> Result<Vec<TagOutcome>, TagFailure> {
        let mut done = Vec::new();
        match self.run_tag(subject, namespace, command, &mut done) {
            Ok(()) => Ok(done),
            Err(error) => Err(TagFailure { done, error }),
        }
    }

    fn run_tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        command: &TagCommand,
        done: &mut Vec<TagOutcome>,
    ) -> Result<(), ServiceError> {
        let mut completed = command.complete(namespace)?;
        if let Some((ns, name)) = completed.source_stream() {
            let source = self.get(subject, &ns, &name)?;
            completed.pin(&source.value)?;
        }
        completed.validate()?;
        for step in completed.steps() {
            match step? {
                TagStep::Set {
                    namespace,
                    stream,
                    tag,
                    spec,
                    outcome,
                } => {
                    if let Err(StoreError::NotFound { .. }) = self.store.get(&namespace, &stream) {
                        let new = ImageStream::new(namespace.clone(), stream.clone())
                            .map_err(|e| ServiceError::BadRequest(e.to_string()))?;
                        match self.create(subject, new) {
                            Ok(_) | Err(ServiceError::AlreadyExists { .. }) => {}
                            Err(e) => return Err(e),
                        }
                    }
                    self.set_spec_tag(subject, &namespace, &stream, &tag, &spec)?;
                    done.push(outcome);
                }
                TagStep::Delete {
                    namespace,
                    stream,
                    tag,
                    outcome,
                } => {
                    self.delete_tag(subject, &namespace, &format!("{stream}:{tag}"))?;
                    done.push(outcome);
                }
            }
        }
        Ok(())
    }

    /// Prunes a stream's history (see [`ImageStream::prune`]).
    ///
    /// # Errors
    ///
    /// Forbidden, not found.
    pub fn prune(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        options: &PruneOptions,
        tag_in_use: impl Fn(&TagName) -> bool,
        image_in_use: impl Fn(&Digest) -> bool,
    ) -> Result<Vec<Pruned>, ServiceError> {
        self.authorize(
            subject,
            Verb::Update,
            Resource::ImageStreams,
            Some(namespace),
            Some(name.as_str()),
        )?;
        let (pruned, _) = self.modify(subject, namespace, name, |is, ctx| {
            Ok(is.prune(options, ctx.now, &tag_in_use, &image_in_use))
        })?;
        Ok(pruned)
    }
}
