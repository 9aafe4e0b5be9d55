//! The read-only views: `istag`, `isimage` and cluster images.

use super::{BadRequest, Conflict, ImageStreams, ServiceError};
use crate::api;
use crate::ports::{
    Attributes, Authorizer, Clock, ImageStore, Registry, Resource, StreamStore, Subject, Verb,
};
use crate::reference::{Digest, IsImageName, IsTagName, Namespace};
use crate::stream::ResolveError;

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// The `istag` view (§11.1, assembled by
    /// [`ImageStream::image_stream_tag_view`](crate::stream::ImageStream::image_stream_tag_view)):
    /// the tag's spec, current image (from the image store, with the pull
    /// spec resolved for the reference policy), conditions and generation.
    /// The image carries the store's content
    /// state ([`CONTENT_VERIFIED_ANNOTATION`](api::CONTENT_VERIFIED_ANNOTATION),
    /// SPEC §13), which a spec tag annotation cannot override.
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
        let parsed = IsTagName::parse(istag).map_err(BadRequest::IsTagName)?;
        self.authorize(
            &Attributes::new(subject, Verb::Get, Resource::ImageStreamTags)
                .in_namespace(namespace)
                .named(istag),
        )?;
        let not_found = || ServiceError::NotFound {
            resource: "imagestreamtags",
            name: istag.to_owned(),
        };
        let is = self.read(namespace, parsed.stream_name())?.value;
        let digest = is
            .image_stream_tag(parsed.tag())
            .ok()
            .and_then(crate::stream::TagEvent::image)
            .ok_or_else(not_found)?;
        let image = self.store.get_image(&digest)?;
        is.image_stream_tag_view(&parsed, image)
            .map_err(|_| not_found())
    }

    /// The `isimage` view (§12): an image of the stream, by id or id prefix,
    /// carrying the store's content state
    /// ([`CONTENT_VERIFIED_ANNOTATION`](api::CONTENT_VERIFIED_ANNOTATION)).
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
        let parsed = IsImageName::parse(isimage).map_err(BadRequest::IsImageName)?;
        self.authorize(
            &Attributes::new(subject, Verb::Get, Resource::ImageStreamImages)
                .in_namespace(namespace)
                .named(isimage),
        )?;
        let is = self.read(namespace, parsed.stream_name())?.value;
        let digest = match is.resolve_image_id(parsed.id()) {
            Ok(d) => d,
            Err(e @ ResolveError::Ambiguous { .. }) => {
                return Err(Conflict::Ambiguous(e).into());
            }
            Err(_) => {
                return Err(ServiceError::NotFound {
                    resource: "imagestreamimages",
                    name: isimage.to_owned(),
                });
            }
        };
        let image = self.store.get_image(&digest)?;
        Ok(is.image_stream_image_view(&parsed, image))
    }

    /// A cluster-scoped image.
    ///
    /// # Errors
    ///
    /// Forbidden (it needs a cluster-wide grant), not found.
    pub fn image(&self, subject: &Subject, name: &Digest) -> Result<api::Image, ServiceError> {
        self.authorize(
            &Attributes::new(subject, Verb::Get, Resource::Images).named(name.as_str()),
        )?;
        Ok(self.store.get_image(name)?)
    }
}
