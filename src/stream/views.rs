//! The `imagetag` view of a stream (OAS `registry/imagetag/rest.go`,
//! `newITag`), built from the domain without the image store.

use crate::api;
use crate::reference::join_image_stream_tag;

use super::ImageStream;

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
