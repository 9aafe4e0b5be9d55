//! `ImageStreamTag` create, update and delete (OAS
//! `registry/imagestreamtag/rest.go` and `strategy.go`, §11.3, §11.4).

use super::{BadRequest, Conflict, Expect, ImageStreams, ServiceError};
use crate::api;
use crate::ports::{
    Attributes, Authorizer, Clock, ImageStore, Registry, Resource, StoreError, StreamStore,
    Subject, Verb,
};
use crate::reference::{IsTagName, Namespace};
use crate::stream::{ImageStream, IsTagSpecError, validate_image_stream_tag};

fn spec_error(e: IsTagSpecError) -> ServiceError {
    match e {
        IsTagSpecError::Invalid(v) => ServiceError::Invalid(v),
        other => BadRequest::IsTagSpec(other).into(),
    }
}

/// `nameAndTag`: the strict `<stream>:<tag>` of the REST handlers.
fn name_and_tag(name: &str) -> Result<IsTagName, ServiceError> {
    Ok(IsTagName::parse(name).map_err(BadRequest::IsTagName)?)
}

/// `Operation cannot be fulfilled on imagestreamtags.image.openshift.io
/// "<name>": <why>` (Kubernetes' `NewConflict`).
fn conflict(name: &str, why: &str) -> ServiceError {
    Conflict::Precondition {
        resource: "imagestreamtags",
        name: name.to_owned(),
        reason: why.to_owned(),
    }
    .into()
}

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// `POST imagestreamtags` (§11.3): sets a new spec tag `<stream>:<tag>`
    /// from `istag.tag` (its annotations from the object's), creating the
    /// stream when it does not exist. The strategy first defaults the
    /// tag's name and clears the conditions and image; the result is the
    /// `istag` as stored (its image may be empty).
    ///
    /// # Errors
    ///
    /// A name without `:` (`"<name>" must be of the form
    /// <stream_name>:<tag>`), Forbidden (`create imagestreamtags`), field
    /// errors, `imagestreamtag.image.openshift.io "<name>" already exists`
    /// when the spec tag exists, a refused spec change, a store failure.
    pub fn create_image_stream_tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        mut istag: api::ImageStreamTag,
    ) -> Result<api::ImageStreamTag, ServiceError> {
        let name = istag.metadata.name.clone();
        self.authorize(
            &Attributes::new(subject, Verb::Create, Resource::ImageStreamTags)
                .in_namespace(namespace)
                .named(&name),
        )?;
        let parsed = IsTagName::parse_destination(&name).map_err(BadRequest::Name)?;
        // PrepareForCreate.
        if let Some(t) = &mut istag.tag
            && t.name.is_empty()
        {
            parsed.tag().clone_into(&mut t.name);
        }
        istag.conditions.clear();
        istag.image = api::Image::default();
        validate_image_stream_tag(&istag, None)?;
        let (stream, tag) = (parsed.stream_name(), parsed.tag_name());
        let stored = match self.read(namespace, stream) {
            Err(StoreError::NotFound { .. }) => {
                let mut is = ImageStream::new(namespace.clone(), stream.clone())
                    .map_err(BadRequest::Name)?;
                if istag.tag.is_some() {
                    let spec = is.istag_spec(tag.as_str(), &istag).map_err(spec_error)?;
                    let lookup = super::StoreLookup::new(&*self.store);
                    let access = self.access(subject);
                    let ctx = self.context(&lookup, &access);
                    let set = is.set_spec_tag(tag.clone(), spec, &ctx);
                    lookup.check()?;
                    set?;
                    is.set_creation_timestamp(ctx.now);
                    self.decorate(&mut is);
                    is.prepare_for_create(&ctx)?;
                } else {
                    let now = self.clock.now();
                    is.set_creation_timestamp(now);
                    self.decorate(&mut is);
                }
                self.store.create(is)?
            }
            Err(e) => return Err(e.into()),
            Ok(_) => {
                let ((), _, written) =
                    self.write(subject, namespace, stream, &Expect::Anything, |is, ctx| {
                        if is.spec_tag(tag.as_str()).is_some() {
                            return Err(ServiceError::AlreadyExists {
                                resource: "imagestreamtag",
                                name: name.clone(),
                            });
                        }
                        let mut changes = crate::stream::Changes::default();
                        if istag.tag.is_some() {
                            let spec = is.istag_spec(tag.as_str(), &istag).map_err(spec_error)?;
                            changes = is.set_spec_tag(tag.clone(), spec, ctx)?;
                        }
                        Ok(((), changes))
                    })?;
                match written {
                    Some(s) => s,
                    None => self.read(namespace, stream)?,
                }
            }
        };
        Ok(self.istag_answer(&stored.value, tag.as_str(), stored.resource_version))
    }

    /// `PUT imagestreamtags/<stream>:<tag>` (§11.3): the spec tag becomes
    /// `istag.tag` (or stays, when the request carries none) with the
    /// object's annotations, through the update strategy (generation,
    /// `tagsChanged`, followers). A missing stream is created.
    ///
    /// The request is checked against the tag as stored
    /// (`ValidateImageStreamTagUpdate`): only the tag and the annotations
    /// may change; the uid, creation time and (when omitted) labels are
    /// taken from the stored object and the conditions and image are kept,
    /// as the strategy does. Without a resource version the write is
    /// unconditional (retried on conflict); with one, it must be the
    /// stream's.
    ///
    /// # Errors
    ///
    /// `ImageStreamTags must be retrieved with <name>:<tag>`, Forbidden
    /// (`update imagestreamtags`), `Operation cannot be fulfilled on
    /// imagestreamtags.image.openshift.io "<name>": another caller has
    /// updated the resource version to <rv>`, a not-found tag when a
    /// resource version names a missing stream, `imagestreamtag <tag> is
    /// not a spec tag in imagestream <ns>/<name>, cannot be updated`, field
    /// errors, a refused spec change, a store failure.
    pub fn update_image_stream_tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        mut istag: api::ImageStreamTag,
    ) -> Result<api::ImageStreamTag, ServiceError> {
        let name = istag.metadata.name.clone();
        let parsed = name_and_tag(&name)?;
        self.authorize_tag_update(subject, namespace, &name)?;
        let (stream, tag) = (parsed.stream_name(), parsed.tag_name());
        let asked = istag.metadata.resource_version.clone();
        let current = match self.read(namespace, stream) {
            Ok(stored) => Some(stored),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let Some(stored) = current else {
            if !asked.is_empty() {
                return Err(ServiceError::NotFound {
                    resource: "imagestreamtags",
                    name,
                });
            }
            // The create path: a new stream holding the spec tag.
            istag.conditions.clear();
            istag.image = api::Image::default();
            validate_image_stream_tag(&istag, None)?;
            let mut is =
                ImageStream::new(namespace.clone(), stream.clone()).map_err(BadRequest::Name)?;
            let spec = is.istag_spec(tag.as_str(), &istag).map_err(spec_error)?;
            let lookup = super::StoreLookup::new(&*self.store);
            let access = self.access(subject);
            let ctx = self.context(&lookup, &access);
            let set = is.set_spec_tag(tag.clone(), spec, &ctx);
            lookup.check()?;
            set?;
            is.set_creation_timestamp(ctx.now);
            self.decorate(&mut is);
            is.prepare_for_create(&ctx)?;
            let created = self.store.create(is)?;
            return Ok(self.istag_answer(&created.value, tag.as_str(), created.resource_version));
        };
        let version = stored.resource_version.to_string();
        if !asked.is_empty() && asked != version {
            return Err(conflict(
                &name,
                &format!("another caller has updated the resource version to {version}"),
            ));
        }
        let mut old_stream = stored.value;
        old_stream.set_resource_version(stored.resource_version);
        let old = old_stream.image_stream_tag_without_image(tag.as_str());
        // BeforeUpdate and the istag strategy's PrepareForUpdate (the type
        // fields are the wire's, not part of the object compared).
        istag.api_version.clone_from(&old.api_version);
        istag.kind.clone_from(&old.kind);
        if istag.metadata.namespace.is_empty() {
            istag.metadata.namespace.clone_from(&old.metadata.namespace);
        }
        if istag.metadata.uid.is_empty() {
            istag.metadata.uid.clone_from(&old.metadata.uid);
        }
        istag.metadata.creation_timestamp = old.metadata.creation_timestamp;
        if istag.metadata.labels.is_empty() {
            istag.metadata.labels.clone_from(&old.metadata.labels);
        }
        if let Some(t) = &mut istag.tag {
            t.annotations = (!istag.metadata.annotations.is_empty())
                .then(|| istag.metadata.annotations.clone());
        }
        istag.conditions.clone_from(&old.conditions);
        istag.image.clone_from(&old.image);
        validate_image_stream_tag(&istag, Some(&old))?;

        // With a resource version, a conflict is the caller's.
        let expect = if asked.is_empty() {
            Expect::Anything
        } else {
            Expect::Unchanged
        };
        let ((), _, written) = self.write(subject, namespace, stream, &expect, |is, ctx| {
            let spec = is.istag_spec(tag.as_str(), &istag).map_err(spec_error)?;
            Ok(((), is.set_spec_tag(tag.clone(), spec, ctx)?))
        })?;
        let stored = match written {
            Some(s) => s,
            None => self.read(namespace, stream)?,
        };
        Ok(self.istag_answer(&stored.value, tag.as_str(), stored.resource_version))
    }

    /// `DELETE imagestreamtags/<stream>:<tag>` (§11.4): removes the spec
    /// tag and the status tag in one write; the image stays, followers
    /// keep their histories. With `uid`, the stream's uid must match.
    ///
    /// # Errors
    ///
    /// `ImageStreamTags must be retrieved with <name>:<tag>`, Forbidden
    /// (`delete imagestreamtags`), the stream not found,
    /// `Operation cannot be fulfilled on imagestreamtags.image.openshift.io
    /// "<name>": the UID precondition was not met`,
    /// `imagestreamtags.image.openshift.io "<name>" not found` (neither spec
    /// nor status), a conflict the retries did not resolve.
    pub fn delete_image_stream_tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &str,
        uid: Option<&str>,
    ) -> Result<api::Status, ServiceError> {
        let parsed = name_and_tag(name)?;
        self.authorize(
            &Attributes::new(subject, Verb::Delete, Resource::ImageStreamTags)
                .in_namespace(namespace)
                .named(name),
        )?;
        self.write(
            subject,
            namespace,
            parsed.stream_name(),
            &Expect::Anything,
            |is, _| {
                if let Some(uid) = uid
                    && is.metadata().uid != uid
                {
                    return Err(conflict(name, "the UID precondition was not met"));
                }
                let changes = is
                    .delete_tag(parsed.tag())
                    .map_err(|_| ServiceError::NotFound {
                        resource: "imagestreamtags",
                        name: name.to_owned(),
                    })?;
                Ok(((), changes))
            },
        )?;
        Ok(api::Status {
            status: "Success".into(),
            ..api::Status::default()
        })
    }

    /// The istag the handlers answer with (`newISTag`, empty event
    /// allowed), its image filled from the store when there is one.
    fn istag_answer(&self, stream: &ImageStream, tag: &str, version: u64) -> api::ImageStreamTag {
        let mut stream = stream.clone();
        stream.set_resource_version(version);
        let mut view = stream.image_stream_tag_without_image(tag);
        if let Ok(digest) = crate::reference::Digest::parse(&view.image.metadata.name)
            && let Ok(mut image) = self.store.get_image(&digest)
        {
            image.docker_image_manifest.clear();
            image.docker_image_config.clear();
            image
                .metadata
                .annotations
                .extend(view.metadata.annotations.clone());
            image.docker_image_reference = std::mem::take(&mut view.image.docker_image_reference);
            view.image = image;
        }
        view
    }
}
