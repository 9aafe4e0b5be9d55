//! Streams as a whole: create, read, list, delete, update, spec tags, prune.

use super::{ImageStreams, ServiceError, StoreLookup};
use crate::ports::{
    Authorizer, Clock, ImageStore, Page, Registry, Resource, Stored, StreamStore, Subject, Verb,
};
use crate::reference::{Digest, Namespace, StreamName, TagName};
use crate::stream::{ImageStream, PruneOptions, Pruned, SpecChanges};

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
