//! The `imagetag` view (OAS `registry/imagetag/rest.go`): a tag's spec,
//! status and current image in one object.

use super::{BadRequest, ImageStreams, ServiceError};
use crate::api;
use crate::ports::{
    Attributes, Authorizer, Clock, ImageStore, Registry, Resource, StoreError, StreamStore,
    Subject, Verb,
};
use crate::reference::{IsTagName, Namespace};

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// `GET imagetags/<stream>:<tag>`: the tag's spec and status as stored,
    /// and its current image (manifest and config cleared, the pull spec
    /// resolved for the reference policy) when it has one. A tag with a
    /// spec and no image yet, or only a reference, is returned without an
    /// image (unlike the `istag` view, which hides it).
    ///
    /// Authorized as `get imagestreamtags`: the crate's RBAC has no
    /// separate `imagetags` resource, and OpenShift's roles grant both
    /// together.
    ///
    /// ```
    /// use imagestream::ports::Subject;
    /// use imagestream::reference::{ImageReference, Namespace, StreamName, TagName};
    /// use imagestream::service::ImageStreams;
    /// use imagestream::stream::{ImageStream, SpecTag, TagSource};
    ///
    /// let service = ImageStreams::in_memory();
    /// let admin = Subject::system_admin();
    /// let ns = Namespace::parse("test")?;
    /// let py = StreamName::parse("python")?;
    /// service.create(&admin, ImageStream::new(ns.clone(), py.clone())?)?;
    /// let spec = SpecTag::new(TagSource::DockerImage(ImageReference::parse("python:3.6")?));
    /// service.set_spec_tag(&admin, &ns, &py, &TagName::parse("3.6")?, &spec)?;
    /// let itag = service.image_tag(&admin, &ns, "python:3.6")?;
    /// assert_eq!(itag.spec.unwrap().from.unwrap().name, "python:3.6");
    /// assert!(itag.status.is_none() && itag.image.is_none());
    /// assert_eq!(
    ///     service.image_tag(&admin, &ns, "python:2.7").unwrap_err().to_string(),
    ///     r#"imagetags.image.openshift.io "python:2.7" not found"#
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `ImageTags must be retrieved with <name>:<tag>`, Forbidden, the
    /// stream not found, `imagetags.image.openshift.io "<name>" not found`
    /// (neither spec nor status), a store failure.
    pub fn image_tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &str,
    ) -> Result<api::ImageTag, ServiceError> {
        let parsed = IsTagName::parse(name).map_err(BadRequest::ImageTagName)?;
        self.authorize(
            &Attributes::new(subject, Verb::Get, Resource::ImageStreamTags)
                .in_namespace(namespace)
                .named(name),
        )?;
        let is = self.read(namespace, parsed.stream_name())?.value;
        let mut itag = is
            .image_tag(parsed.tag())
            .ok_or_else(|| ServiceError::NotFound {
                resource: "imagetags",
                name: name.to_owned(),
            })?;
        if let Some(event) = is.latest_tagged_image(parsed.tag())
            && let Some(digest) = event.image()
        {
            match self.store.get_image(&digest) {
                Ok(mut image) => {
                    image.docker_image_manifest.clear();
                    image.docker_image_config.clear();
                    image.docker_image_reference =
                        is.resolve_reference_for_event(parsed.tag(), event);
                    itag.image = Some(image);
                }
                // A missing image leaves the view without one, as the server.
                Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(itag)
    }

    /// `LIST imagetags`: every tag of every stream in the namespace, by
    /// stream name, then tag name; images are not filled.
    ///
    /// # Errors
    ///
    /// Forbidden, a store failure.
    pub fn image_tags(
        &self,
        subject: &Subject,
        namespace: &Namespace,
    ) -> Result<Vec<api::ImageTag>, ServiceError> {
        self.authorize(
            &Attributes::new(subject, Verb::List, Resource::ImageStreamTags)
                .in_namespace(namespace),
        )?;
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.read_list(namespace, None, token.as_deref())?;
            for stored in &page.items {
                out.extend(stored.value.image_tags());
            }
            match page.continue_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        Ok(out)
    }
}
