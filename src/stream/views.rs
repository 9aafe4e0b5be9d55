//! The read-only views the server assembles from a stream and a stored
//! image: `istag` (§11.1) and `isimage` (§12.2), pure.

use crate::api;
use crate::reference::{IsImageName, IsTagName};

use super::resolve::ResolveError;
use super::{Content, ImageStream};

/// The views return images without their raw manifest and config, as the
/// server does (§11.1, §12.2).
fn without_raw_manifest(mut image: api::Image) -> api::Image {
    image.docker_image_manifest.clear();
    image.docker_image_config.clear();
    image
}

impl ImageStream {
    /// The `istag` view (§11.1) of `name`'s tag in this stream, given the
    /// stored image its current entry names ([`image_stream_tag`]'s
    /// digest): the tag's spec, the image (without its raw manifest and
    /// config, with the spec tag's annotations and the pull spec resolved
    /// for the reference policy), conditions and generation.
    ///
    /// [`image_stream_tag`]: Self::image_stream_tag
    ///
    /// # Errors
    ///
    /// [`ResolveError::TagNotFound`] when the tag has no current image.
    pub fn image_stream_tag_view(
        &self,
        name: &IsTagName,
        image: api::Image,
    ) -> Result<api::ImageStreamTag, ResolveError> {
        let tag = name.tag();
        let event = self.image_stream_tag(tag)?;
        let mut image = without_raw_manifest(image);
        let annotations = self
            .spec_tag(tag)
            .and_then(|s| s.annotations().cloned())
            .unwrap_or_default();
        // The spec tag's annotations are merged into the image's (§11.1),
        // but never over the store's content state (SPEC §13).
        let content = Content::of_stored(&image);
        image.metadata.annotations.extend(annotations.clone());
        content.stamp(&mut image);
        image.docker_image_reference = self.resolve_reference_for_event(tag, event);
        let wire = api::ImageStream::from(self);
        Ok(api::ImageStreamTag {
            api_version: api::API_VERSION.into(),
            kind: "ImageStreamTag".into(),
            metadata: api::ObjectMeta {
                name: name.to_string(),
                namespace: self.namespace.to_string(),
                uid: self.meta.uid.clone(),
                resource_version: self.meta.resource_version.clone(),
                creation_timestamp: event.created(),
                labels: self.meta.labels.clone(),
                annotations,
                ..api::ObjectMeta::default()
            },
            tag: wire.spec.tags.into_iter().find(|t| t.name == tag),
            generation: event.generation(),
            lookup_policy: wire.spec.lookup_policy,
            conditions: self
                .history(tag)
                .map(|h| h.conditions().to_vec())
                .unwrap_or_default(),
            image,
        })
    }

    /// The `isimage` view (§12.2) named `name`, given the stored image its
    /// id resolves to ([`resolve_image_id`](Self::resolve_image_id)): the
    /// image without its raw manifest and config, with the stream's
    /// annotations.
    #[must_use]
    pub fn image_stream_image_view(
        &self,
        name: &IsImageName,
        image: api::Image,
    ) -> api::ImageStreamImage {
        let image = without_raw_manifest(image);
        api::ImageStreamImage {
            api_version: api::API_VERSION.into(),
            kind: "ImageStreamImage".into(),
            metadata: api::ObjectMeta {
                name: name.to_string(),
                namespace: self.namespace.to_string(),
                creation_timestamp: image.metadata.creation_timestamp,
                annotations: self.meta.annotations.clone(),
                ..api::ObjectMeta::default()
            },
            image,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
    use crate::stream::{ReferencePolicy, SpecContext, SpecTag, TagEvent, TagSource};

    fn stream_with_image() -> (ImageStream, api::Image, Digest) {
        let mut is = ImageStream::new(
            Namespace::parse("test").unwrap(),
            StreamName::parse("app").unwrap(),
        )
        .unwrap();
        let d = Digest::of_sha256(b"app");
        let from = ImageReference::parse(&format!("quay.io/x/app@{d}")).unwrap();
        let at = Utc.with_ymd_and_hms(2020, 1, 2, 3, 4, 5).unwrap();
        let tag = TagName::parse("v1").unwrap();
        is.set_spec_tag(
            tag.clone(),
            SpecTag::new(TagSource::DockerImage(from.clone()))
                .with_reference_policy(ReferencePolicy::Source),
            &SpecContext::new(at),
        )
        .unwrap();
        is.add_event(&tag, TagEvent::new(from, Some(d.clone()), 1, at));
        let mut image = api::Image::default();
        image.metadata.name = d.to_string();
        image.docker_image_manifest = "{\"raw\":true}".into();
        image.docker_image_config = "{}".into();
        (is, image, d)
    }

    #[test]
    fn the_istag_view_drops_the_raw_manifest_and_names_the_tag() {
        let (is, image, d) = stream_with_image();
        let view = is
            .image_stream_tag_view(&IsTagName::parse("app:v1").unwrap(), image)
            .unwrap();
        assert_eq!(view.metadata.name, "app:v1");
        assert_eq!(view.metadata.namespace, "test");
        assert!(view.image.docker_image_manifest.is_empty());
        assert!(view.image.docker_image_config.is_empty());
        assert_eq!(
            view.image.docker_image_reference,
            format!("quay.io/x/app@{d}")
        );
        assert_eq!(view.tag.map(|t| t.name), Some("v1".to_owned()));
        assert_eq!(view.generation, 1);
    }

    #[test]
    fn the_istag_view_of_a_tag_without_image_is_not_found() {
        let (is, image, _) = stream_with_image();
        let err = is
            .image_stream_tag_view(&IsTagName::parse("app:nope").unwrap(), image)
            .unwrap_err();
        assert!(matches!(err, ResolveError::TagNotFound { .. }), "{err}");
    }

    #[test]
    fn the_isimage_view_keeps_the_stream_annotations() {
        let (mut is, image, d) = stream_with_image();
        is.set_annotation("note", "x".into());
        let name = IsImageName::parse(&format!("app@{d}")).unwrap();
        let view = is.image_stream_image_view(&name, image);
        assert_eq!(view.metadata.name, format!("app@{d}"));
        assert_eq!(view.metadata.annotations["note"], "x");
        assert!(view.image.docker_image_manifest.is_empty());
    }
}
