//! Streams as a whole: create, read, list, delete, update, spec tags, prune.

use super::{Expect, ImageStreams, ServiceError, StoreLookup};
use crate::ports::{
    Attributes, Authorizer, Clock, Decision, ImageStore, Page, Registry, Resource, Stored,
    StreamStore, Subject, Verb,
};
use crate::reference::{Digest, Namespace, StreamName, TagName};
use crate::stream::{Changes, ImageStream, PruneOptions, SpecTag};

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// Creates a stream the way the server does (§8): generation 1, spec
    /// tags resolved, status repository set.
    ///
    /// A denial does not name the stream (Kubernetes authorizes a create
    /// before the object has a name): `imagestreams.image.openshift.io is
    /// forbidden: User "u" cannot create resource "imagestreams" …`.
    ///
    /// # Errors
    ///
    /// Forbidden, `already exists`, field errors of unresolvable sources, a
    /// store failure (also one met while reading a source stream).
    pub fn create(
        &self,
        subject: &Subject,
        stream: ImageStream,
    ) -> Result<Stored<ImageStream>, ServiceError> {
        self.authorize(
            &Attributes::new(subject, Verb::Create, Resource::ImageStreams)
                .in_namespace(stream.namespace()),
        )?;
        let stream = self.prepared(subject, stream, |_, _| Ok(Changes::default()))?;
        Ok(self.store.create(stream)?)
    }

    /// The server's create strategy on `stream`, then `then` (for `oc tag`
    /// on a stream that does not exist yet), all before anything is
    /// stored, so a refusal writes nothing.
    pub(super) fn prepared(
        &self,
        subject: &Subject,
        mut stream: ImageStream,
        then: impl FnOnce(
            &mut ImageStream,
            &crate::stream::SpecContext<'_>,
        ) -> Result<Changes, ServiceError>,
    ) -> Result<ImageStream, ServiceError> {
        let lookup = StoreLookup::new(&*self.store);
        let access = self.access(subject);
        let ctx = self.context(&lookup, &access);
        stream.set_creation_timestamp(ctx.now);
        self.decorate(&mut stream);
        let result = stream
            .prepare_for_create(&ctx)
            .map_err(ServiceError::from)
            .and_then(|_| then(&mut stream, &ctx));
        lookup.check()?;
        result?;
        Ok(stream)
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
            &Attributes::new(subject, Verb::Get, Resource::ImageStreams)
                .in_namespace(namespace)
                .named(name.as_str()),
        )?;
        Ok(self.read(namespace, name)?)
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
            &Attributes::new(subject, Verb::List, Resource::ImageStreams).in_namespace(namespace),
        )?;
        Ok(self.read_list(namespace, limit, continue_token)?)
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
            &Attributes::new(subject, Verb::Delete, Resource::ImageStreams)
                .in_namespace(namespace)
                .named(name.as_str()),
        )?;
        Ok(self.store.delete(namespace, name, uid)?)
    }

    /// Any change to a stream, as a read-modify-write retried on conflict
    /// (`change` may run more than once).
    ///
    /// **Status writes need `update imagestreams/status`** (SPEC §13, as
    /// OpenShift's status strategy): for a subject without it, whatever
    /// `change` did to the status (history entries, conditions, status
    /// repositories) is dropped, and its spec change goes through the
    /// server's strategy instead, which writes the events the spec change
    /// itself implies ([`ImageStream::update_keeping_status`]). The escape
    /// hatch for embedders that write status themselves (a controller, a
    /// migration) is to grant that subresource: `cluster-admin` and
    /// `system:image-pruner` have it, or define a role with
    /// `(Verb::Update, Resource::ImageStreamStatus)`. Everyone else writes
    /// status through the operations that compute it: mappings, imports,
    /// `tag`, rollback.
    ///
    /// # Panics
    ///
    /// Never: a plain update always writes, and the loop returns only
    /// after a write landed or with an error.
    ///
    /// # Errors
    ///
    /// Forbidden, not found, `change`'s own error
    /// ([`ServiceError::Rejected`]), a refused spec change, a conflict that
    /// outlived the retries.
    pub fn update<T>(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        mut change: impl FnMut(&mut ImageStream) -> Result<T, Box<dyn std::error::Error + Send + Sync>>,
    ) -> Result<(T, Stored<ImageStream>), ServiceError> {
        self.authorize(
            &Attributes::new(subject, Verb::Update, Resource::ImageStreams)
                .in_namespace(namespace)
                .named(name.as_str()),
        )?;
        let status = Attributes::new(subject, Verb::Update, Resource::ImageStreamStatus)
            .in_namespace(namespace)
            .named(name.as_str());
        let may_write_status = self.authorizer.check(&status) == Decision::Allow;
        let (out, _, stored) =
            self.write(subject, namespace, name, &Expect::Anything, |is, ctx| {
                // Only a subject that may not write status pays for a copy.
                let stored = (!may_write_status).then(|| is.clone());
                let out = change(is).map_err(|e| ServiceError::Rejected(e.into()))?;
                if let Some(stored) = stored
                    && is.status_differs(&stored)
                {
                    let next = std::mem::replace(is, stored);
                    is.update_keeping_status(next, ctx)?;
                }
                // A plain update always writes, as a PUT does.
                let changes = Changes {
                    changed: true,
                    ..Changes::default()
                };
                Ok((out, changes))
            })?;
        // Invariant: the change above always reports a change, and the loop
        // returns Ok only after writing one.
        let stored = stored.expect("a plain update always writes");
        Ok((out, stored))
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
        spec: &SpecTag,
    ) -> Result<Changes, ServiceError> {
        self.edit_tag(subject, namespace, name, tag, |is, ctx| {
            Ok(is.set_spec_tag(tag.clone(), spec.clone(), ctx)?)
        })
    }

    /// Prunes a stream's history (see [`ImageStream::prune`]). Pruning
    /// writes status, so it needs `update imagestreams/status`
    /// (`system:image-pruner`'s, as in OpenShift), not `update
    /// imagestreams`.
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
    ) -> Result<Changes, ServiceError> {
        self.authorize(
            &Attributes::new(subject, Verb::Update, Resource::ImageStreamStatus)
                .in_namespace(namespace)
                .named(name.as_str()),
        )?;
        let ((), changes, _) =
            self.write(subject, namespace, name, &Expect::Anything, |is, ctx| {
                Ok(((), is.prune(options, ctx.now, &tag_in_use, &image_in_use)))
            })?;
        Ok(changes)
    }
}
