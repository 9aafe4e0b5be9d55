//! The domain form of an `ImageStreamMapping`.

use chrono::{DateTime, Utc};

use crate::api;
use crate::reference::{DEFAULT_TAG, Digest, ImageReference, Namespace, StreamName, TagName};

use super::field_error::{FieldError, ValidationError};
use super::validate::validate_image_stream_mapping;
use super::{Changes, Content, ContentError, ImageStream, TagEvent};

/// The annotation the integrated registry puts on the images it manages.
pub const MANAGED_IMAGE_ANNOTATION: &str = "openshift.io/image.managed";

/// A validated image stream mapping: which image to tag into which stream,
/// under which tag.
///
/// **Deliberately more lenient than OpenShift in one point:** an image
/// without `metadata.name` takes its name from the digest of its pull
/// spec. The seed chapter's own example mapping omits the name (OpenShift
/// refuses it with `image.metadata.name: Required value`, which
/// [`validate_image_stream_mapping`] still reports); the registry always
/// sends the digest it pushed, so nothing is guessed. The wire image is
/// kept as received, so converting back is lossless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageStreamMapping {
    namespace: Namespace,
    stream: StreamName,
    tag: TagName,
    image_name: Digest,
    pull_spec: ImageReference,
    wire: api::ImageStreamMapping,
}

impl ImageStreamMapping {
    /// The target stream's namespace.
    #[must_use]
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// The target stream.
    #[must_use]
    pub fn stream(&self) -> &StreamName {
        &self.stream
    }

    /// The tag to set (`latest` when the mapping has none).
    #[must_use]
    pub fn tag(&self) -> &TagName {
        &self.tag
    }

    /// The image's name: its manifest digest.
    #[must_use]
    pub fn image_name(&self) -> &Digest {
        &self.image_name
    }

    /// The image's pull spec.
    #[must_use]
    pub fn pull_spec(&self) -> &ImageReference {
        &self.pull_spec
    }

    /// The image as received.
    #[must_use]
    pub fn image(&self) -> &api::Image {
        &self.wire.image
    }

    /// The image to store: as received, named by its digest (which the
    /// domain may have taken from the pull spec).
    #[must_use]
    pub fn image_to_store(&self) -> api::Image {
        let mut image = self.wire.image.clone();
        image.metadata.name = self.image_name.to_string();
        image
    }

    /// §10 step 6: the pull spec the event records. The mapping's own,
    /// except when the image already existed and the mapping marks it as
    /// managed by the registry (`openshift.io/image.managed: "true"` on the
    /// submitted image): then `<stream repository>@<image>`, the status
    /// repository first, else the spec's; with neither, the mapping's.
    #[must_use]
    pub fn event_pull_spec(&self, stream: &ImageStream, image_existed: bool) -> ImageReference {
        let managed = self
            .wire
            .image
            .metadata
            .annotations
            .get(MANAGED_IMAGE_ANNOTATION)
            .is_some_and(|v| v == "true");
        if !(image_existed && managed) {
            return self.pull_spec.clone();
        }
        let repository = match stream.status_repository() {
            "" => stream.docker_image_repository().map(ImageReference::as_str),
            status => Some(status),
        };
        repository
            .and_then(|r| ImageReference::parse(&format!("{r}@{}", self.image_name)).ok())
            .unwrap_or_else(|| self.pull_spec.clone())
    }
}

impl ImageStreamMapping {
    /// A mapping as the server receives it for `POST imagestreammappings`:
    /// `PrepareForCreate` (§10 step 1: with an integrated registry at
    /// `internal_registry`, an empty pull spec becomes
    /// `<host>/<namespace>/<stream>@<image>`; signatures are dropped), then
    /// validation and the domain's types, then the manifest check.
    ///
    /// **Beyond OpenShift:** when the mapping carries the manifest, its
    /// sha256 must be the image's name (other algorithms are not checked).
    ///
    /// ```
    /// use imagestream::api;
    /// use imagestream::reference::Digest;
    /// use imagestream::stream::ImageStreamMapping;
    ///
    /// let image = Digest::of_sha256(b"manifest");
    /// let mut wire = api::ImageStreamMapping::default();
    /// wire.metadata.namespace = "test".into();
    /// wire.metadata.name = "app".into();
    /// wire.tag = "latest".into();
    /// wire.image.metadata.name = image.to_string();
    /// let mapping = ImageStreamMapping::for_create(wire.clone(), Some("172.30.1.1:5000"))?;
    /// assert_eq!(mapping.pull_spec().to_string(), format!("172.30.1.1:5000/test/app@{image}"));
    /// assert_eq!(mapping.tag().as_str(), "latest");
    ///
    /// wire.image.docker_image_manifest = "not the manifest".into();
    /// let err = ImageStreamMapping::for_create(wire, Some("172.30.1.1:5000")).unwrap_err();
    /// assert!(err.to_string().contains("does not match the image name"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The field errors of `ValidateImageStreamMapping` and of the domain's
    /// names, or the manifest mismatch.
    pub fn for_create(
        mut wire: api::ImageStreamMapping,
        internal_registry: Option<&str>,
    ) -> Result<Self, ValidationError> {
        if wire.image.docker_image_reference.is_empty()
            && let Some(host) = internal_registry
        {
            wire.image.docker_image_reference = format!(
                "{host}/{}/{}@{}",
                wire.metadata.namespace, wire.metadata.name, wire.image.metadata.name
            );
        }
        wire.image.signatures.clear();
        let mapping = Self::try_from(wire)?;
        mapping.check_manifest_digest()?;
        Ok(mapping)
    }

    /// The image a mapping carries must be what its name says: a manifest,
    /// if present, hashes to the name with the name's algorithm (sha256,
    /// sha384 or sha512; SPEC §13, [`Content::check`]).
    fn check_manifest_digest(&self) -> Result<(), ValidationError> {
        match Content::check(&self.image_to_store()) {
            Ok(_) => Ok(()),
            Err(ContentError::ManifestMismatch { name, actual }) => {
                ValidationError::check(vec![FieldError::invalid(
                    "image.dockerImageManifest",
                    actual.as_str(),
                    format!("the manifest's digest does not match the image name {name}"),
                )])
            }
            Err(e @ ContentError::ConfigNotInManifest { .. }) => {
                ValidationError::check(vec![FieldError::invalid(
                    "image.dockerImageConfig",
                    "",
                    e.to_string(),
                )])
            }
            Err(e) => ValidationError::check(vec![FieldError::invalid(
                "image.metadata.name",
                self.image_name.as_str(),
                e.to_string(),
            )]),
        }
    }
}

impl ImageStream {
    /// §10 steps 6 to 8d: records `mapping` in this stream at `now`: an
    /// event for the mapped image at the stream's generation, added to the
    /// tag by the §5 rules, followers updated. A repeated mapping changes
    /// nothing.
    ///
    /// `image_existed` says whether the image was already stored before
    /// this mapping (it selects the pull spec, see
    /// [`ImageStreamMapping::event_pull_spec`]).
    pub fn apply_mapping(
        &mut self,
        mapping: &ImageStreamMapping,
        image_existed: bool,
        now: DateTime<Utc>,
    ) -> Changes {
        let pull_spec = mapping.event_pull_spec(self, image_existed);
        let event = TagEvent::new(
            pull_spec,
            Some(mapping.image_name.clone()),
            self.generation(),
            now,
        );
        self.add_tag_event(&mapping.tag, event)
    }
}

impl TryFrom<api::ImageStreamMapping> for ImageStreamMapping {
    type Error = ValidationError;

    /// OpenShift's `ValidateImageStreamMapping`, then the domain's types:
    /// the stream name, the tag name and the image name as a digest.
    fn try_from(mut wire: api::ImageStreamMapping) -> Result<Self, Self::Error> {
        let pull_spec = ImageReference::parse(&wire.image.docker_image_reference).ok();
        let derived = pull_spec.as_ref().and_then(ImageReference::digest);
        // The server validates the image named by the pull spec's digest
        // when it has no name; the object is kept as received, so the name
        // is filled in for the checks and cleared again (no copy of the
        // image and its manifest).
        let filled = wire.image.metadata.name.is_empty() && derived.is_some();
        if filled && let Some(d) = &derived {
            wire.image.metadata.name = d.to_string();
        }
        let checked = validate_image_stream_mapping(&wire);
        let image_name = Digest::parse(&wire.image.metadata.name);
        let name = if filled {
            std::mem::take(&mut wire.image.metadata.name)
        } else {
            wire.image.metadata.name.clone()
        };
        checked?;

        let mut errs = Vec::new();
        let stream = StreamName::parse(&wire.metadata.name)
            .map_err(|e| {
                errs.push(FieldError::invalid(
                    "metadata.name",
                    &wire.metadata.name,
                    e.to_string(),
                ));
            })
            .ok();
        let tag_text = if wire.tag.is_empty() {
            DEFAULT_TAG
        } else {
            wire.tag.as_str()
        };
        let tag = TagName::parse(tag_text)
            .map_err(|e| errs.push(FieldError::invalid("tag", tag_text, e.to_string())))
            .ok();
        let image_name = image_name
            .map_err(|e| {
                errs.push(FieldError::invalid(
                    "image.metadata.name",
                    &name,
                    e.to_string(),
                ));
            })
            .ok();
        let namespace = Namespace::parse(&wire.metadata.namespace).ok();
        match (namespace, stream, tag, image_name, pull_spec) {
            (Some(namespace), Some(stream), Some(tag), Some(image_name), Some(pull_spec))
                if errs.is_empty() =>
            {
                Ok(Self {
                    namespace,
                    stream,
                    tag,
                    image_name,
                    pull_spec,
                    wire,
                })
            }
            // validate_image_stream_mapping accepted the namespace and the
            // pull spec, so any failure here was recorded in errs.
            _ => Err(ValidationError::check(errs).err().unwrap_or_else(|| {
                ValidationError::internal("metadata", "mapping was not fully checked")
            })),
        }
    }
}

impl From<&ImageStreamMapping> for api::ImageStreamMapping {
    fn from(m: &ImageStreamMapping) -> Self {
        m.wire.clone()
    }
}
