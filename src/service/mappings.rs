//! Image stream mappings, as the integrated registry sends them.

use std::cell::RefCell;

use super::{ImageStreams, ServiceError};
use crate::api;
use crate::ports::{Authorizer, Clock, ImageStore, Registry, Resource, StreamStore, Subject, Verb};
use crate::reference::{Digest, Namespace};
use crate::stream::{FieldError, ImageStreamMapping, TagEvent, ValidationError};

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

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
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
}
