//! `POST imagestreamimports` (OAS `registry/imagestreamimport/rest.go`)
//! and `oc import-image` on top of it.

use chrono::SecondsFormat;

use super::{BadRequest, Conflict, Expect, ImageStreams, ServiceError};
use crate::api;
use crate::ops::import::{ImportResult, REPOSITORY_CHECK_ANNOTATION, TagImport, apply_import};
use crate::ops::import_image::{
    ImportImage, ImportImageError, MAX_IMAGES_BULK_IMPORTED_PER_REPOSITORY, image_import_status,
    images_to_import, repository_tags, repository_to_import,
};
use crate::ports::{
    Attributes, Authorizer, Clock, ImageStore, ImportRequest, Registry, Resource, StoreError,
    StreamStore, Subject, Verb,
};
use crate::reference::{ImageReference, Namespace, StreamName, TagName};
use crate::stream::{ImageStream, ImportPolicy};

/// At most this many tags are read from a repository before choosing the
/// ones to import (OpenShift reads them all; the bound keeps a hostile
/// registry from exhausting memory).
pub const REPOSITORY_LIST_CAP: usize = 10_000;

/// Why `oc import-image` failed: `oc` refused before sending, or the
/// server did.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ImportImageFailure {
    /// `oc`'s own refusal, with its message.
    #[error(transparent)]
    Refused(#[from] ImportImageError),
    /// The server's error.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// The registry request for `from`, made on behalf of `namespace` (whose
/// pull secrets the registry may use).
fn ask(namespace: &Namespace, from: &ImageReference, policy: ImportPolicy) -> ImportRequest {
    ImportRequest::new(from.clone())
        .in_namespace(namespace.clone())
        .insecure(policy.insecure)
        .import_mode(policy.import_mode)
}

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// `POST imagestreamimports` (§14): resolves every image of the
    /// request and, for a repository, up to
    /// [`MAX_IMAGES_BULK_IMPORTED_PER_REPOSITORY`] of its tags (in
    /// [`repository_tags`] order; the rest come back as
    /// `additionalTags`), and fills `status.images` /
    /// `status.repository` with each answer in request order.
    ///
    /// With `spec.import: false` that is all: a dry run writes nothing,
    /// not even the images. Otherwise the images are stored and the
    /// answers applied to the stream as the server does
    /// ([`apply_import`]); a missing stream is created (when the request
    /// carries no resource version), and `status.import` is the stream
    /// as stored.
    ///
    /// # Errors
    ///
    /// A bad namespace, Forbidden (`create imagestreamimports`), the
    /// request's field errors, the stream not found (when a resource
    /// version was given), `the image stream was updated from "<a>" to
    /// "<b>"`, a refused spec change, a store failure. Registry failures
    /// are not errors: they are the images' statuses.
    pub fn import_images(
        &self,
        subject: &Subject,
        mut isi: api::ImageStreamImport,
    ) -> Result<api::ImageStreamImport, ServiceError> {
        let namespace = Namespace::parse(&isi.metadata.namespace).map_err(BadRequest::Name)?;
        self.authorize(
            &Attributes::new(subject, Verb::Create, Resource::ImageStreamImports)
                .in_namespace(&namespace)
                .named(&isi.metadata.name),
        )?;
        let images = images_to_import(&isi)?;
        let name = StreamName::parse(&isi.metadata.name).map_err(BadRequest::Name)?;
        let existing = match self.read(&namespace, &name) {
            Ok(stored) => Some(stored),
            Err(StoreError::NotFound { .. }) if isi.metadata.resource_version.is_empty() => None,
            Err(e) => return Err(e.into()),
        };
        if let Some(stored) = &existing {
            let asked = &isi.metadata.resource_version;
            let current = stored.resource_version.to_string();
            if !asked.is_empty() && *asked != current {
                return Err(Conflict::ResourceVersion {
                    asked: asked.clone(),
                    current,
                }
                .into());
            }
        }
        let now = self.clock.now();

        let mut results: Vec<(TagImport, ImportResult)> = Vec::new();
        isi.status = api::ImageStreamImportStatus::default();
        for image in &images {
            let answer = self
                .registry
                .resolve(&ask(&namespace, &image.from, image.import_policy));
            let result = ImportResult::from_registry(&image.from, answer, now);
            isi.status
                .images
                .push(image_import_status(image.to.as_ref(), &result));
            if let Some(request) = image.tag_import() {
                results.push((request, result));
            }
        }
        if let Some((repo, import_policy, reference_policy)) = repository_to_import(&isi) {
            isi.status.repository = Some(self.import_repository(
                &namespace,
                &repo,
                import_policy,
                reference_policy,
                now,
                &mut results,
            ));
        }
        if !isi.spec.import {
            return Ok(isi);
        }

        let stored = if existing.is_some() {
            let ((), _, written) =
                self.write(subject, &namespace, &name, &Expect::Anything, |is, ctx| {
                    Ok(((), apply_import(is, &results, ctx)?))
                })?;
            match written {
                Some(s) => s,
                None => self.read(&namespace, &name)?,
            }
        } else {
            let lookup = super::StoreLookup::new(&*self.store);
            let access = self.access(subject);
            let ctx = self.context(&lookup, &access);
            let mut stream =
                ImageStream::new(namespace.clone(), name.clone()).map_err(BadRequest::Name)?;
            stream.set_creation_timestamp(now);
            self.decorate(&mut stream);
            let applied = apply_import(&mut stream, &results, &ctx);
            lookup.check()?;
            applied?;
            stream.set_annotation(
                REPOSITORY_CHECK_ANNOTATION,
                now.to_rfc3339_opts(SecondsFormat::Secs, true),
            );
            self.store.create(stream)?
        };
        // The images of the answers the stream kept, only now that its
        // write landed.
        self.store_kept_images(&stored.value, &results)?;
        isi.status.import = Some(api::ImageStream::from(&stored.value));
        Ok(isi)
    }

    /// The repository part of an import: list, choose, resolve each tag.
    pub(super) fn import_repository(
        &self,
        namespace: &Namespace,
        repo: &ImageReference,
        import_policy: ImportPolicy,
        reference_policy: crate::stream::ReferencePolicy,
        now: chrono::DateTime<chrono::Utc>,
        results: &mut Vec<(TagImport, ImportResult)>,
    ) -> api::RepositoryImportStatus {
        let listed = match self
            .registry
            .list_tags(&ask(namespace, repo, import_policy), REPOSITORY_LIST_CAP)
        {
            Ok(list) => list,
            Err(e) => {
                return api::RepositoryImportStatus {
                    status: image_import_status(
                        None,
                        &ImportResult::Failed {
                            reason: e.reason().to_owned(),
                            message: e.to_string(),
                        },
                    )
                    .status,
                    ..api::RepositoryImportStatus::default()
                };
            }
        };
        let (tags, additional_tags) =
            repository_tags(listed.tags, MAX_IMAGES_BULK_IMPORTED_PER_REPOSITORY);
        let mut status = api::RepositoryImportStatus {
            status: api::Status {
                status: "Success".into(),
                ..api::Status::default()
            },
            images: Vec::with_capacity(tags.len()),
            additional_tags,
        };
        let base = repo.with_tag(None).with_id(None);
        for tag in tags {
            let (Ok(tag_name), Some(from)) = (
                TagName::parse(&tag),
                ImageReference::parse(&format!("{}:{tag}", base.as_str())).ok(),
            ) else {
                status.images.push(image_import_status(
                    None,
                    &ImportResult::Failed {
                        reason: "BadRequest".into(),
                        message: format!("invalid tag {tag:?} in repository {repo}"),
                    },
                ));
                continue;
            };
            let answer = self.registry.resolve(&ask(namespace, &from, import_policy));
            let result = ImportResult::from_registry(&from, answer, now);
            status
                .images
                .push(image_import_status(Some(&tag_name), &result));
            results.push((
                TagImport {
                    tag: tag_name,
                    from,
                    import_policy,
                    reference_policy,
                    planned_for: None,
                },
                result,
            ));
        }
        status
    }

    /// `oc import-image`: reads the stream, builds `oc`'s request
    /// ([`ImportImage::request`]) and sends it
    /// ([`import_images`](Self::import_images)). The answer's
    /// [`describe::import_image_output`](crate::describe::import_image_output)
    /// is what `oc` prints.
    ///
    /// ```
    /// use imagestream::ops::import_image::ImportImage;
    /// use imagestream::ports::{ImportedImage, Subject};
    /// use imagestream::reference::{Digest, ImageReference, Namespace, StreamName};
    /// use imagestream::service::ImageStreams;
    ///
    /// let service = ImageStreams::in_memory();
    /// let admin = Subject::system_admin();
    /// let ns = Namespace::parse("test")?;
    /// let d = Digest::of_sha256(b"python 3.6");
    /// service.registry().insert(
    ///     &ImageReference::parse("docker.io/python:3.6")?,
    ///     ImportedImage::new(d.clone(), "application/vnd.docker.distribution.manifest.v2+json"),
    /// );
    /// let cmd = ImportImage::new("python:3.6").from("docker.io/python:3.6").confirm(true);
    /// // A dry run answers and writes nothing.
    /// let isi = service.import_image(&admin, &ns, &cmd.clone().dry_run(true))?;
    /// assert_eq!(isi.status.images[0].status.status, "Success");
    /// assert!(service.get(&admin, &ns, &StreamName::parse("python")?).is_err());
    /// // --confirm creates the stream.
    /// service.import_image(&admin, &ns, &cmd)?;
    /// let is = service.get(&admin, &ns, &StreamName::parse("python")?)?.value;
    /// assert_eq!(is.history("3.6").unwrap().current().unwrap().image(), Some(d));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `oc`'s refusals ([`ImportImageError`]), and those of
    /// [`import_images`](Self::import_images) and of reading the stream.
    pub fn import_image(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        command: &ImportImage,
    ) -> Result<api::ImageStreamImport, ImportImageFailure> {
        let (name, _) = command.target()?;
        let name = StreamName::parse(&name).map_err(|e| ServiceError::from(BadRequest::Name(e)))?;
        self.authorize(
            &Attributes::new(subject, Verb::Get, Resource::ImageStreams)
                .in_namespace(namespace)
                .named(name.as_str()),
        )?;
        let existing = match self.read(namespace, &name) {
            Ok(stored) => {
                let mut value = stored.value;
                value.set_resource_version(stored.resource_version);
                Some(value)
            }
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(ServiceError::from(e).into()),
        };
        let isi = command.request(namespace, existing.as_ref())?;
        Ok(self.import_images(subject, isi)?)
    }
}
