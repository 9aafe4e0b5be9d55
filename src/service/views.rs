//! The read-only views: `istag`, `isimage` and cluster images.

use super::{ImageStreams, ServiceError};
use crate::api;
use crate::ports::{Authorizer, Clock, ImageStore, Registry, Resource, StreamStore, Subject, Verb};
use crate::reference::{Digest, IsImageName, IsTagName, Namespace};
use crate::stream::ResolveError;

/// The views return images without their raw manifest and config, as the
/// server does (§11.1, §12.2).
fn without_raw_manifest(mut image: api::Image) -> api::Image {
    image.docker_image_manifest.clear();
    image.docker_image_config.clear();
    image
}

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
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
}
