//! `oc import-image` (oc `pkg/cli/importimage/importimage.go`) and the
//! server's `ImageStreamImport` (OAS `registry/imagestreamimport/rest.go`,
//! `pkg/image/importer`), sans I/O.
//!
//! The client side, [`ImportImage::request`], turns the command line and
//! the stream as read into the `ImageStreamImport` `oc` sends, or `oc`'s
//! refusal. The server side reads that request
//! ([`images_to_import`]), chooses a repository's tags
//! ([`repository_tags`]) and reports each answer
//! ([`image_import_status`]); applying the answers to the stream is
//! [`apply_import`](super::import::apply_import).
//! [`ImageStreams::import_images`](crate::service::ImageStreams::import_images)
//! runs it all against the ports.

use std::collections::BTreeMap;

use crate::api;
use crate::reference::{ImageReference, Namespace, TagName};
use crate::stream::{
    FieldError, FollowErrorKind, ImageStream, ImportMode, ImportPolicy, ReferencePolicy, TagSource,
    ValidationError, validate_image_stream_import,
};

use super::import::{INSECURE_REPOSITORY_ANNOTATION, ImportResult, TagImport};

/// `maxImagesBulkImportedPerRepository`: how many tags of a repository
/// one import brings in (OAS `openshiftcontrolplane_default.go`); the rest
/// are reported as additional tags.
pub const MAX_IMAGES_BULK_IMPORTED_PER_REPOSITORY: usize = 50;

/// `oc import-image IMAGESTREAM[:TAG]` and its flags.
///
/// ```
/// use imagestream::ops::import_image::ImportImage;
/// use imagestream::reference::Namespace;
///
/// // No stream yet: `oc` wants --confirm.
/// let cmd = ImportImage::new("python:3.6").from("docker.io/python:3.6");
/// let ns = Namespace::parse("test")?;
/// assert_eq!(
///     cmd.request(&ns, None).unwrap_err().to_string(),
///     r#"no image stream named "python" exists, pass --confirm to create and import"#
/// );
/// let isi = cmd.confirm(true).dry_run(true).request(&ns, None)?;
/// assert!(!isi.spec.import);
/// assert_eq!(isi.spec.images[0].from.name, "docker.io/python:3.6");
/// assert_eq!(isi.spec.images[0].to.as_ref().unwrap().name, "3.6");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
#[allow(clippy::struct_excessive_bools)] // one per `oc` flag
pub struct ImportImage {
    target: String,
    from: Option<String>,
    confirm: bool,
    all: bool,
    scheduled: bool,
    insecure: Option<bool>,
    reference_policy: Option<ReferencePolicy>,
    import_mode: Option<ImportMode>,
    dry_run: bool,
}

/// Why `oc import-image` refused, with `oc`'s messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportImageError {
    /// No target given.
    #[error("you must specify the name of an image stream")]
    NoTarget,
    /// The target is not a pull spec.
    #[error(
        "the image name must be a valid container image pull spec or reference to an image stream (e.g. myregistry/myteam/image:tag)"
    )]
    InvalidTarget {
        /// The target as given.
        target: String,
        /// Why it does not parse.
        #[source]
        source: crate::reference::ReferenceError,
    },
    /// The target names an image by id.
    #[error("to import images by ID, use the 'tag' command")]
    ById(String),
    /// A tag and `--all` together.
    #[error("cannot specify a tag {0:?} as well as --all")]
    TagWithAll(String),
    /// The stream does not exist and `--confirm` was not given.
    #[error("no image stream named {0:?} exists, pass --confirm to create and import")]
    NeedsConfirm(String),
    /// `--all` on a stream without a repository or external tags.
    #[error("image stream does not have tags pointing to external container images")]
    NoExternalTags,
    /// `--all --from` on a stream without a repository, unconfirmed.
    #[error(
        "the image stream does not currently import an entire Docker repository, pass --confirm to update"
    )]
    NotWholeRepository,
    /// `--all --from` with another repository than the stream's,
    /// unconfirmed.
    #[error("the image stream has a different import spec {0:?}, pass --confirm to update")]
    DifferentImportSpec(String),
    /// The tag follows a tag of another stream.
    #[error("tag {0:?} points to an imagestreamtag from another ImageStream")]
    CrossImageStream(String),
    /// The tag's references go in a circle.
    #[error("tag {0:?} on the image stream is a reference to same tag")]
    Circular(String),
    /// The tag does not exist and nothing says where to import it from.
    #[error(
        "the tag {0:?} does not exist on the image stream - choose an existing tag to import or use the 'tag' command to create a new tag"
    )]
    TagNotFound(String),
    /// The tag is not an external image.
    #[error("tag {tag:?} points to existing {kind} {name:?}, it cannot be re-imported")]
    NotReimportable {
        /// The tag.
        tag: String,
        /// Its source's kind.
        kind: &'static str,
        /// Its source's name.
        name: String,
    },
    /// The tag has no source.
    #[error(
        "tag {tag:?} already exists - you must use the 'tag' command if you want to change the source to {from:?}"
    )]
    NoSource {
        /// The tag.
        tag: String,
        /// The `--from` given.
        from: String,
    },
    /// `--from` differs from the tag's source.
    #[error(
        "the tag {tag:?} points to {source_name:?} - use the 'tag' command if you want to change the source to {from:?}"
    )]
    ChangedSource {
        /// The tag.
        tag: String,
        /// Its source.
        source_name: String,
        /// The `--from` given.
        from: String,
    },
    /// `--from` differs from the source of the tag the tag follows.
    #[error(
        "the tag {tag:?} points to the tag {final_tag:?} which points to {source_name:?} - use the 'tag' command if you want to change the source to {from:?}"
    )]
    ChangedSourceThrough {
        /// The tag.
        tag: String,
        /// The tag it follows to.
        final_tag: String,
        /// That tag's source.
        source_name: String,
        /// The `--from` given.
        from: String,
    },
}

impl ImportImage {
    /// `oc import-image <target>` with no flags.
    pub fn new(target: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            ..Self::default()
        }
    }

    /// `--from`: the repository or image to import from.
    pub fn from(mut self, from: impl Into<String>) -> Self {
        self.from = Some(from.into());
        self
    }

    /// `--confirm`: create the stream, or change what it imports.
    pub fn confirm(mut self, confirm: bool) -> Self {
        self.confirm = confirm;
        self
    }

    /// `--all`: import every tag of the repository.
    pub fn all(mut self, all: bool) -> Self {
        self.all = all;
        self
    }

    /// `--scheduled`: import the tags periodically.
    pub fn scheduled(mut self, scheduled: bool) -> Self {
        self.scheduled = scheduled;
        self
    }

    /// `--insecure`: given, it takes precedence over the stream's
    /// insecure-repository annotation.
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = Some(insecure);
        self
    }

    /// `--reference-policy`.
    pub fn reference_policy(mut self, policy: ReferencePolicy) -> Self {
        self.reference_policy = Some(policy);
        self
    }

    /// `--import-mode` (`Legacy` when not given, as `oc` sends).
    pub fn import_mode(mut self, mode: ImportMode) -> Self {
        self.import_mode = Some(mode);
        self
    }

    /// `--dry-run`: ask with `import: false`, so nothing is written.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Whether this is a dry run.
    #[must_use]
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// The stream name and tag `oc` reads from the target
    /// (`parseImageReference`): the reference's name (its registry and
    /// namespace are dropped), and its tag, `latest` unless `--all`.
    ///
    /// # Errors
    ///
    /// No target, a target that is no pull spec, an id, a tag with `--all`.
    pub fn target(&self) -> Result<(String, Option<String>), ImportImageError> {
        if self.target.is_empty() {
            return Err(ImportImageError::NoTarget);
        }
        let r = ImageReference::parse(&self.target).map_err(|source| {
            ImportImageError::InvalidTarget {
                target: self.target.clone(),
                source,
            }
        })?;
        if r.id().is_some() {
            return Err(ImportImageError::ById(self.target.clone()));
        }
        let tag = match (r.tag(), self.all) {
            (Some(_), true) => return Err(ImportImageError::TagWithAll(self.target.clone())),
            (Some(t), false) => Some(t.to_owned()),
            (None, false) => Some(crate::reference::DEFAULT_TAG.to_owned()),
            (None, true) => None,
        };
        Ok((r.name().to_owned(), tag))
    }

    /// The `ImageStreamImport` `oc` sends (`createImageImport`), given the
    /// stream as read (`None` when it does not exist).
    ///
    /// Images of `--all` over a stream's spec tags are listed in tag order
    /// (`oc` walks a Go map, so its order varies).
    ///
    /// # Errors
    ///
    /// `oc`'s refusals ([`ImportImageError`]).
    pub fn request(
        &self,
        namespace: &Namespace,
        existing: Option<&ImageStream>,
    ) -> Result<api::ImageStreamImport, ImportImageError> {
        let (name, tag) = self.target()?;
        let Some(stream) = existing else {
            if !self.confirm {
                return Err(ImportImageError::NeedsConfirm(name));
            }
            return Ok(self.new_stream_import(namespace, &name, tag));
        };
        match tag {
            None => self.import_all(namespace, stream),
            Some(tag) => self.import_tag(namespace, stream, tag),
        }
    }

    fn new_stream_import(
        &self,
        namespace: &Namespace,
        name: &str,
        tag: Option<String>,
    ) -> api::ImageStreamImport {
        let from = self.from.clone().unwrap_or_else(|| self.target.clone());
        let mut isi = self.base(namespace, name, "");
        let insecure = self.insecure.unwrap_or(false);
        match tag {
            None => isi.spec.repository = Some(self.repository_spec(from, insecure)),
            Some(tag) => isi
                .spec
                .images
                .push(self.image_spec(from, tag, insecure, self.scheduled)),
        }
        isi
    }

    fn import_all(
        &self,
        namespace: &Namespace,
        stream: &ImageStream,
    ) -> Result<api::ImageStreamImport, ImportImageError> {
        let current = stream
            .docker_image_repository()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default();
        let from = match &self.from {
            Some(f) => f.clone(),
            None if !current.is_empty() => current.clone(),
            None => {
                let tags: BTreeMap<String, String> = stream
                    .spec_tags()
                    .filter_map(|(t, s)| match s.source() {
                        Some(TagSource::DockerImage(r)) => {
                            Some((t.to_string(), r.as_str().to_owned()))
                        }
                        _ => None,
                    })
                    .collect();
                if tags.is_empty() {
                    return Err(ImportImageError::NoExternalTags);
                }
                return Ok(self.import_tags(namespace, stream, tags));
            }
        };
        if from != current && !self.confirm {
            return Err(if current.is_empty() {
                ImportImageError::NotWholeRepository
            } else {
                ImportImageError::DifferentImportSpec(current)
            });
        }
        let mut isi = self.base(
            namespace,
            stream.name().as_str(),
            &stream.metadata().resource_version,
        );
        let insecure = self.stream_insecure(stream);
        isi.spec.repository = Some(self.repository_spec(from, insecure));
        Ok(isi)
    }

    fn import_tag(
        &self,
        namespace: &Namespace,
        stream: &ImageStream,
        tag: String,
    ) -> Result<api::ImageStreamImport, ImportImageError> {
        let given = self.from.clone().unwrap_or_default();
        let (target_tag, from) = match stream.follow_tag_reference(&tag) {
            Err(e) => match e.kind() {
                FollowErrorKind::OtherStream => {
                    return Err(ImportImageError::CrossImageStream(tag));
                }
                FollowErrorKind::Circular => return Err(ImportImageError::Circular(tag)),
                // NotFound, and anything a later version adds: a new tag.
                _ => {
                    let mut from = given;
                    if from.is_empty() && tag == crate::reference::DEFAULT_TAG {
                        from = stream
                            .docker_image_repository()
                            .map(|r| r.as_str().to_owned())
                            .unwrap_or_default();
                    }
                    if from.is_empty() {
                        return Err(ImportImageError::TagNotFound(tag));
                    }
                    (tag, from)
                }
            },
            Ok(followed) => {
                let source = match followed.spec.source() {
                    None => {
                        return Err(ImportImageError::NoSource { tag, from: given });
                    }
                    Some(TagSource::DockerImage(r)) => r.as_str().to_owned(),
                    Some(other) => {
                        return Err(ImportImageError::NotReimportable {
                            tag,
                            kind: other.kind(),
                            name: other.name(),
                        });
                    }
                };
                if !given.is_empty() && given != source {
                    return Err(if followed.multiple {
                        ImportImageError::ChangedSourceThrough {
                            tag,
                            final_tag: followed.tag.to_string(),
                            source_name: source,
                            from: given,
                        }
                    } else {
                        ImportImageError::ChangedSource {
                            tag,
                            source_name: source,
                            from: given,
                        }
                    });
                }
                let target = if followed.multiple {
                    followed.tag.to_string()
                } else {
                    tag
                };
                (target, source)
            }
        };
        Ok(self.import_tags(namespace, stream, BTreeMap::from([(target_tag, from)])))
    }

    /// `newImageStreamImportTags`: each tag's insecure and scheduled flags
    /// are the command's, or its spec tag's.
    fn import_tags(
        &self,
        namespace: &Namespace,
        stream: &ImageStream,
        tags: BTreeMap<String, String>,
    ) -> api::ImageStreamImport {
        let mut isi = self.base(
            namespace,
            stream.name().as_str(),
            &stream.metadata().resource_version,
        );
        let stream_insecure = self.stream_insecure(stream);
        for (tag, from) in tags {
            let old = stream
                .spec_tag(&tag)
                .map(crate::stream::SpecTag::import_policy);
            let insecure = stream_insecure || old.is_some_and(|p| p.insecure);
            let scheduled = self.scheduled || old.is_some_and(|p| p.scheduled);
            isi.spec
                .images
                .push(self.image_spec(from, tag, insecure, scheduled));
        }
        isi
    }

    fn stream_insecure(&self, stream: &ImageStream) -> bool {
        self.insecure.unwrap_or_else(|| {
            stream
                .metadata()
                .annotations
                .get(INSECURE_REPOSITORY_ANNOTATION)
                .is_some_and(|v| v == "true")
        })
    }

    fn base(&self, namespace: &Namespace, name: &str, version: &str) -> api::ImageStreamImport {
        let mut isi = api::ImageStreamImport {
            api_version: api::API_VERSION.into(),
            kind: "ImageStreamImport".into(),
            ..Default::default()
        };
        name.clone_into(&mut isi.metadata.name);
        isi.metadata.namespace = namespace.to_string();
        version.clone_into(&mut isi.metadata.resource_version);
        isi.spec.import = !self.dry_run;
        isi
    }

    /// The reference policy sent: the flag's, else `Source` (what the
    /// server defaults an empty one to).
    fn policy(&self) -> api::TagReferencePolicy {
        api::TagReferencePolicy {
            type_: self
                .reference_policy
                .unwrap_or_default()
                .as_str()
                .to_owned(),
        }
    }

    fn mode(&self) -> String {
        self.import_mode
            .unwrap_or(ImportMode::Legacy)
            .as_str()
            .to_owned()
    }

    fn image_spec(
        &self,
        from: String,
        tag: String,
        insecure: bool,
        scheduled: bool,
    ) -> api::ImageImportSpec {
        api::ImageImportSpec {
            from: api::ObjectReference::new("DockerImage", from),
            to: Some(api::LocalObjectReference { name: tag }),
            import_policy: api::TagImportPolicy {
                insecure,
                scheduled,
                import_mode: self.mode(),
            },
            reference_policy: self.policy(),
            include_manifest: false,
        }
    }

    fn repository_spec(&self, from: String, insecure: bool) -> api::RepositoryImportSpec {
        api::RepositoryImportSpec {
            from: api::ObjectReference::new("DockerImage", from),
            import_policy: api::TagImportPolicy {
                insecure,
                scheduled: self.scheduled,
                import_mode: self.mode(),
            },
            reference_policy: self.policy(),
            include_manifest: false,
        }
    }
}

/// One image of an `ImageStreamImport`, as the server reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImageToImport {
    /// The tag to write: `to`, else the source's tag
    /// (`SetDefaults_ImageImportSpec`); `None` imports without tagging.
    pub to: Option<TagName>,
    /// The source.
    pub from: ImageReference,
    /// How to import.
    pub import_policy: ImportPolicy,
    /// How to resolve the result.
    pub reference_policy: ReferencePolicy,
}

impl ImageToImport {
    /// The request [`apply_import`](super::import::apply_import) takes,
    /// for an image that is tagged.
    #[must_use]
    pub fn tag_import(&self) -> Option<TagImport> {
        self.to.as_ref().map(|tag| TagImport {
            tag: tag.clone(),
            from: self.from.clone(),
            import_policy: self.import_policy,
            reference_policy: self.reference_policy,
            planned_for: None,
        })
    }
}

fn policies(
    import: &api::TagImportPolicy,
    reference: &api::TagReferencePolicy,
) -> (ImportPolicy, ReferencePolicy) {
    let import_policy = ImportPolicy {
        insecure: import.insecure,
        scheduled: import.scheduled,
        // Validation has checked the mode.
        import_mode: ImportMode::from_wire(&import.import_mode).unwrap_or_default(),
    };
    let reference_policy = if reference.type_ == "Local" {
        ReferencePolicy::Local
    } else {
        ReferencePolicy::Source
    };
    (import_policy, reference_policy)
}

/// The images of `isi`, validated (`ValidateImageStreamImport`) and
/// defaulted, in spec order.
///
/// # Errors
///
/// The field errors of the request, and a `to` that is no tag name.
pub fn images_to_import(
    isi: &api::ImageStreamImport,
) -> Result<Vec<ImageToImport>, ValidationError> {
    validate_image_stream_import(isi)?;
    let mut out = Vec::with_capacity(isi.spec.images.len());
    let mut errs = Vec::new();
    for (i, img) in isi.spec.images.iter().enumerate() {
        let Ok(from) = ImageReference::parse(&img.from.name) else {
            errs.push(FieldError::invalid(
                format!("spec.images[{i}].from.name"),
                &img.from.name,
                "invalid reference format",
            ));
            continue;
        };
        let to = match img.to.as_ref().map(|t| t.name.as_str()).or(from.tag()) {
            None => None,
            Some(t) => match TagName::parse(t) {
                Ok(t) => Some(t),
                Err(e) => {
                    errs.push(FieldError::invalid(
                        format!("spec.images[{i}].to.name"),
                        t,
                        e.to_string(),
                    ));
                    continue;
                }
            },
        };
        let (import_policy, reference_policy) = policies(&img.import_policy, &img.reference_policy);
        out.push(ImageToImport {
            to,
            from,
            import_policy,
            reference_policy,
        });
    }
    ValidationError::check(errs)?;
    Ok(out)
}

/// The repository of `isi`, if any, with its policies (validated by
/// [`images_to_import`]).
#[must_use]
pub fn repository_to_import(
    isi: &api::ImageStreamImport,
) -> Option<(ImageReference, ImportPolicy, ReferencePolicy)> {
    let repo = isi.spec.repository.as_ref()?;
    let from = ImageReference::parse(&repo.from.name).ok()?;
    let (import_policy, reference_policy) = policies(&repo.import_policy, &repo.reference_policy);
    Some((from, import_policy, reference_policy))
}

/// The importer's choice among a repository's tags
/// (`importRepositoryFromDocker`): duplicates removed, an empty tag read
/// as `latest`, ordered by [`prioritize_tags`](crate::describe::prioritize_tags);
/// the first `max` are imported, the rest returned as additional tags.
///
/// ```
/// use imagestream::ops::import_image::repository_tags;
///
/// let listed = ["2.7", "", "3.6", "3.6", "3.5"].map(String::from).to_vec();
/// let (import, additional) = repository_tags(listed, 2);
/// assert_eq!(import, ["latest", "3.6"]);
/// assert_eq!(additional, ["3.5", "2.7"]);
/// ```
#[must_use]
pub fn repository_tags(listed: Vec<String>, max: usize) -> (Vec<String>, Vec<String>) {
    let mut tags: Vec<String> = listed
        .into_iter()
        .map(|t| {
            if t.is_empty() {
                crate::reference::DEFAULT_TAG.to_owned()
            } else {
                t
            }
        })
        .collect();
    tags.sort_unstable();
    tags.dedup();
    crate::describe::prioritize_tags(&mut tags);
    let additional = tags.split_off(max.min(tags.len()));
    (tags, additional)
}

/// The HTTP code of a Kubernetes status reason.
fn code_of(reason: &str) -> i32 {
    match reason {
        "BadRequest" | "Invalid" => 400,
        "Unauthorized" => 401,
        "Forbidden" => 403,
        "NotFound" => 404,
        "Conflict" | "AlreadyExists" => 409,
        "TooManyRequests" => 429,
        _ => 500,
    }
}

/// One image's entry of `status.images` (or of the repository's images):
/// `Success` with the image, or `Failure` with the reason, message and
/// code, and the tag it was (or would be) written to.
#[must_use]
pub fn image_import_status(tag: Option<&TagName>, result: &ImportResult) -> api::ImageImportStatus {
    let tag = tag.map(ToString::to_string).unwrap_or_default();
    match result {
        ImportResult::Imported(image) => api::ImageImportStatus {
            status: api::Status {
                status: "Success".into(),
                ..api::Status::default()
            },
            image: Some((**image).clone()),
            tag,
            manifests: Vec::new(),
        },
        ImportResult::Failed { reason, message } => api::ImageImportStatus {
            status: api::Status {
                status: "Failure".into(),
                message: message.clone(),
                reason: reason.clone(),
                code: code_of(reason),
                ..api::Status::default()
            },
            image: None,
            tag,
            manifests: Vec::new(),
        },
    }
}

/// Whether any image, or the repository, failed (`oc`'s `wasError`,
/// which prints `imported with errors`).
#[must_use]
pub fn was_error(isi: &api::ImageStreamImport) -> bool {
    isi.status
        .images
        .iter()
        .any(|i| i.status.status == "Failure")
        || isi
            .status
            .repository
            .as_ref()
            .is_some_and(|r| r.status.status == "Failure")
}
