//! Image stream mappings, as the integrated registry sends them.

use super::{BadRequest, Expect, ImageStreams, ServiceError};
use crate::api;
use crate::ports::{
    Attributes, Authorizer, Clock, ImageStore, Registry, Resource, StoreError, StreamStore,
    Subject, Verb,
};
use crate::reference::Namespace;
use crate::stream::{Changes, ImageStreamMapping, ImageWrite};

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// Records an image pushed to the integrated registry (`POST
    /// imagestreammappings`, §10): the stream must exist (the mapping does
    /// not create it); the event is added to the tag (`latest` if none) at
    /// the stream's generation, followers updated; then the image is
    /// stored by the content rule of [`ImageStore::put_image`] (an existing
    /// image keeps its content unless this one is verified and the stored
    /// one is not). On a storage conflict the stream is read again and the
    /// write retried, unless the tag has meanwhile moved to another image,
    /// which is returned as [`Conflict::Moved`](super::Conflict::Moved).
    ///
    /// **Beyond OpenShift** (SPEC §13): when the mapping carries the
    /// manifest, it must hash to the image's name with the name's algorithm
    /// (sha256, sha384, sha512; see [`ImageStreamMapping::for_create`]);
    /// otherwise nothing is written. A mapping with the manifest stores a
    /// verified image, which replaces an unverified one of that name
    /// (mapped earlier without a manifest, perhaps with a forged config);
    /// one without stays unverified and never replaces anything. The image
    /// is stored only after the stream write landed (or when the stream
    /// already had the event), so a refused or conflicting mapping leaves
    /// no image behind. If storing the image then fails, the error is
    /// returned and the registry's retry of the mapping stores it.
    ///
    /// # Errors
    ///
    /// Forbidden, field errors of the mapping, the manifest mismatch, the
    /// stream not found, a conflict, a store failure.
    pub fn create_mapping(
        &self,
        subject: &Subject,
        mapping: api::ImageStreamMapping,
    ) -> Result<Changes, ServiceError> {
        let namespace = Namespace::parse(&mapping.metadata.namespace).map_err(BadRequest::Name)?;
        self.authorize(
            &Attributes::new(subject, Verb::Create, Resource::ImageStreamMappings)
                .in_namespace(&namespace),
        )?;
        let mapping = ImageStreamMapping::for_create(mapping, self.internal_registry.as_deref())?;
        let (stream, tag) = (mapping.stream(), mapping.tag());
        // The stream must exist; after a lost race, the write is retried
        // only while the tag points where this read saw it.
        let expect = Expect::tag_unmoved(&self.read(&namespace, stream)?.value, tag);
        let existed = match self.store.get_image(mapping.image_name()) {
            Ok(_) => true,
            Err(StoreError::NotFound { .. }) => false,
            Err(e) => return Err(e.into()),
        };
        let now = self.clock.now();
        let ((), mut changes, _) = self.write(subject, &namespace, stream, &expect, |is, _| {
            Ok(((), is.apply_mapping(&mapping, existed, now)))
        })?;
        // The content rule (SPEC §13): a verified image replaces an
        // unverified one of the same name; see ImageStore::put_image.
        if self.store.put_image(mapping.image_to_store())? == ImageWrite::Created {
            changes.images_created.push(mapping.image_name().clone());
        }
        Ok(changes)
    }
}
