//! The read-only views the server assembles from a stream: `istag`
//! (§11.1) and `isimage` (§12.2) given a stored image, the `imagetag` view
//! (OAS `registry/imagetag/rest.go`, `newITag`) and the `istag` an
//! `ImageStreamTag` create or update starts from, all pure.

use crate::api;
use crate::reference::{IsImageName, IsTagName, join_image_stream_tag};

use super::resolve::ResolveError;
use super::{Content, ImageStream, SpecTag, ValidationError};

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

impl ImageStream {
    /// The `ImageTag` for `tag` without its image (`newITag`): the stream's
    /// metadata named `<stream>:<tag>`, the spec tag and the status tag as
    /// they are on the wire. `None` when the tag has neither (the server's
    /// not found); the caller fills [`image`](api::ImageTag::image).
    ///
    /// ```
    /// use imagestream::reference::{ImageReference, Namespace, StreamName, TagName};
    /// use imagestream::stream::{ImageStream, SpecContext, SpecTag, TagSource};
    /// use imagestream::chrono::Utc;
    ///
    /// let mut is = ImageStream::new(Namespace::parse("ns")?, StreamName::parse("py")?)?;
    /// let from = ImageReference::parse("python:3.6")?;
    /// is.set_spec_tag(TagName::parse("3.6")?, SpecTag::new(TagSource::DockerImage(from)), &SpecContext::new(Utc::now()))?;
    /// let itag = is.image_tag("3.6").unwrap();
    /// assert_eq!(itag.metadata.name, "py:3.6");
    /// assert_eq!(itag.spec.unwrap().from.unwrap().name, "python:3.6");
    /// assert!(itag.status.is_none() && itag.image.is_none());
    /// assert!(is.image_tag("nope").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn image_tag(&self, tag: &str) -> Option<api::ImageTag> {
        if self.spec_tag(tag).is_none() && self.history(tag).is_none() {
            return None;
        }
        let wire = api::ImageStream::from(self);
        let mut metadata = wire.metadata;
        metadata.name = join_image_stream_tag(self.name().as_str(), tag);
        Some(api::ImageTag {
            api_version: api::API_VERSION.into(),
            kind: "ImageTag".into(),
            metadata,
            spec: wire.spec.tags.into_iter().find(|t| t.name == tag),
            status: wire.status.tags.into_iter().find(|t| t.tag == tag),
            image: None,
        })
    }

    /// Every `ImageTag` of the stream, spec and status tags together, in
    /// tag name order (the server's list, images not filled).
    #[must_use]
    pub fn image_tags(&self) -> Vec<api::ImageTag> {
        let wire = api::ImageStream::from(self);
        let mut names: Vec<&str> = self
            .spec_tags()
            .map(|(t, _)| t.as_str())
            .chain(self.histories().map(|(t, _)| t.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|tag| {
                let mut metadata = wire.metadata.clone();
                metadata.name = join_image_stream_tag(self.name().as_str(), tag);
                api::ImageTag {
                    api_version: api::API_VERSION.into(),
                    kind: "ImageTag".into(),
                    metadata,
                    spec: wire.spec.tags.iter().find(|t| t.name == tag).cloned(),
                    status: wire.status.tags.iter().find(|t| t.tag == tag).cloned(),
                    image: None,
                }
            })
            .collect()
    }
}

/// Why an `ImageStreamTag` update cannot become a spec tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IsTagSpecError {
    /// The tag has no spec and the request carries none.
    #[error(
        "imagestreamtag {tag} is not a spec tag in imagestream {namespace}/{stream}, cannot be updated"
    )]
    NotSpecTag {
        /// The tag.
        tag: String,
        /// The stream's namespace.
        namespace: String,
        /// The stream.
        stream: String,
    },
    /// The request's spec tag is invalid.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

impl ImageStream {
    /// `newISTag` with an empty event allowed (OAS
    /// `registry/imagestreamtag/rest.go`): the `istag` of `tag` without
    /// its image, as the server builds the old object of an update and the
    /// answer of a create. Metadata: the stream's namespace, labels,
    /// resource version and uid, the name `<stream>:<tag>`, the current
    /// entry's time (the stream's when there is none) and the spec tag's
    /// annotations; the entry's generation, the tag's conditions, the
    /// stream's lookup policy; `image` holds only the entry's image name
    /// and resolved pull spec.
    #[must_use]
    pub fn image_stream_tag_without_image(&self, tag: &str) -> api::ImageStreamTag {
        let wire = api::ImageStream::from(self);
        let spec = wire.spec.tags.into_iter().find(|t| t.name == tag);
        let event = self
            .latest_tagged_image(tag)
            .filter(|e| e.image().is_some());
        let mut image = api::Image::default();
        if let Some(e) = event {
            e.image_str().clone_into(&mut image.metadata.name);
            image.docker_image_reference = self.resolve_reference_for_event(tag, e);
        }
        api::ImageStreamTag {
            api_version: api::API_VERSION.into(),
            kind: "ImageStreamTag".into(),
            metadata: api::ObjectMeta {
                name: join_image_stream_tag(self.name().as_str(), tag),
                namespace: self.namespace().to_string(),
                creation_timestamp: event
                    .and_then(super::TagEvent::created)
                    .or(wire.metadata.creation_timestamp),
                labels: wire.metadata.labels.clone(),
                annotations: spec
                    .as_ref()
                    .and_then(|s| s.annotations.clone())
                    .unwrap_or_default(),
                resource_version: wire.metadata.resource_version.clone(),
                uid: wire.metadata.uid.clone(),
                ..api::ObjectMeta::default()
            },
            tag: spec,
            generation: event.map_or(0, super::TagEvent::generation),
            lookup_policy: wire.spec.lookup_policy,
            conditions: self
                .history(tag)
                .map(|h| h.conditions().to_vec())
                .unwrap_or_default(),
            image,
        }
    }

    /// The spec tag an `ImageStreamTag` create or update writes for `tag`
    /// (`update` in OAS `registry/imagestreamtag/rest.go`): the request's
    /// `tag` (its name forced to `tag`) or else the existing spec tag,
    /// with the request's `metadata.annotations` as its annotations.
    ///
    /// # Errors
    ///
    /// `imagestreamtag <tag> is not a spec tag in imagestream <ns>/<name>,
    /// cannot be updated` when there is neither; the request's spec tag's
    /// field errors.
    pub fn istag_spec(
        &self,
        tag: &str,
        istag: &api::ImageStreamTag,
    ) -> Result<SpecTag, IsTagSpecError> {
        let existing = api::ImageStream::from(self)
            .spec
            .tags
            .into_iter()
            .find(|t| t.name == tag);
        let mut wire = match (&istag.tag, existing) {
            (Some(t), _) => t.clone(),
            (None, Some(t)) => t,
            (None, None) => {
                return Err(IsTagSpecError::NotSpecTag {
                    tag: tag.to_owned(),
                    namespace: self.namespace().to_string(),
                    stream: self.name().to_string(),
                });
            }
        };
        tag.clone_into(&mut wire.name);
        wire.annotations =
            (!istag.metadata.annotations.is_empty()).then(|| istag.metadata.annotations.clone());
        let mut errs = Vec::new();
        super::spec::validate_tag_reference(&wire, "tag", &mut errs);
        ValidationError::check(errs)?;
        super::wire::spec_tag_from_wire(&wire).ok_or_else(|| {
            IsTagSpecError::Invalid(ValidationError::internal(
                "tag",
                "the spec tag could not be read",
            ))
        })
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
