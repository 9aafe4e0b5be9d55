//! Container registries, as a port.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::api;
use crate::reference::{Digest, ImageReference, Namespace};
use crate::stream::ImportMode;

/// What to import.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportRequest {
    /// The external image.
    pub reference: ImageReference,
    /// Allow plain HTTP and unverified TLS.
    pub insecure: bool,
    /// How to import manifest lists.
    pub import_mode: ImportMode,
    /// The namespace importing: its pull secrets are the credentials
    /// (see [`PullSecrets`](super::PullSecrets)); `None` imports
    /// anonymously.
    pub namespace: Option<Namespace>,
}

impl ImportRequest {
    /// A secure, default-mode import of `reference`.
    #[must_use]
    pub fn new(reference: ImageReference) -> Self {
        Self {
            reference,
            insecure: false,
            import_mode: ImportMode::Unset,
            namespace: None,
        }
    }

    /// The same request, made on behalf of `namespace` (with its pull
    /// secrets).
    #[must_use]
    pub fn in_namespace(mut self, namespace: Namespace) -> Self {
        self.namespace = Some(namespace);
        self
    }

    /// The same request, with plain HTTP and unverified TLS allowed or not.
    #[must_use]
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// The same request, with another import mode.
    #[must_use]
    pub fn import_mode(mut self, mode: ImportMode) -> Self {
        self.import_mode = mode;
        self
    }
}

/// One page of a repository's tags, as [`Registry::list_tags`] returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TagList {
    /// The tags, in the order the registry gave them, at most the cap.
    pub tags: Vec<String>,
    /// Whether the registry had more tags than the cap allowed.
    pub truncated: bool,
}

impl TagList {
    /// A list of `tags`, `truncated` when more exist.
    #[must_use]
    pub fn new(tags: Vec<String>, truncated: bool) -> Self {
        Self { tags, truncated }
    }
}

/// An image as a registry describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportedImage {
    /// The manifest digest (the image's name).
    pub digest: Digest,
    /// The manifest media type.
    pub media_type: String,
    /// The layers, oldest first (empty for manifest lists).
    pub layers: Vec<api::ImageLayer>,
    /// The config, as Docker metadata.
    pub config: Option<api::DockerImageMetadata>,
    /// For manifest lists: the child manifests.
    pub manifests: Vec<api::ImageManifest>,
    /// The raw manifest as fetched, empty when the registry adapter did
    /// not keep it. When present it must hash to [`digest`](Self::digest):
    /// the image is then stored verified and replaces an unverified image
    /// of that name (SPEC §13, [`crate::stream::Content`]); an answer
    /// whose manifest hashes to something else is an import failure.
    pub manifest: String,
}

impl ImportedImage {
    /// An image with just a digest and a media type.
    #[must_use]
    pub fn new(digest: Digest, media_type: impl Into<String>) -> Self {
        Self {
            digest,
            media_type: media_type.into(),
            layers: Vec::new(),
            config: None,
            manifests: Vec::new(),
            manifest: String::new(),
        }
    }

    /// The image of the raw `manifest` (as fetched), named by its sha256
    /// digest: what a registry answers when the manifest is kept.
    ///
    /// ```
    /// use imagestream::ports::ImportedImage;
    ///
    /// let image = ImportedImage::of_manifest(r#"{"schemaVersion":2}"#, "application/vnd.oci.image.manifest.v1+json");
    /// assert!(image.digest.verify(image.manifest.as_bytes()));
    /// ```
    #[must_use]
    pub fn of_manifest(manifest: impl Into<String>, media_type: impl Into<String>) -> Self {
        let manifest = manifest.into();
        let mut image = Self::new(Digest::of_sha256(manifest.as_bytes()), media_type);
        image.manifest = manifest;
        image
    }
}

/// Why an import failed, with the messages OpenShift shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The repository or tag does not exist.
    #[error("dockerimage.image.openshift.io \"{reference}\" not found")]
    NotFound {
        /// The reference.
        reference: String,
    },
    /// The credentials do not allow it.
    #[error("you may not have access to the container image \"{reference}\"")]
    Unauthorized {
        /// The reference.
        reference: String,
    },
    /// The registry could not be reached.
    #[error("Get \"https://{registry}/v2/\": {reason}")]
    Unreachable {
        /// The registry host.
        registry: String,
        /// What failed.
        reason: String,
    },
    /// The registry asks to slow down.
    #[error("toomanyrequests: rate limit exceeded{}", .retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// When to retry, if the registry said.
        retry_after: Option<Duration>,
    },
    /// The registry answered with something unusable.
    #[error("invalid image \"{reference}\": {reason}")]
    Invalid {
        /// The reference.
        reference: String,
        /// What is wrong.
        reason: String,
    },
}

impl RegistryError {
    /// The Kubernetes status reason OpenShift records for this failure (the
    /// `reason` of an `ImportSuccess=False` condition).
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "NotFound",
            Self::Unauthorized { .. } => "Unauthorized",
            Self::Unreachable { .. } => "InternalError",
            Self::RateLimited { .. } => "TooManyRequests",
            Self::Invalid { .. } => "BadRequest",
        }
    }
}

/// Resolves external references to images.
pub trait Registry: Send + Sync {
    /// Looks up `request.reference`.
    ///
    /// # Errors
    ///
    /// A [`RegistryError`] for every failure a real registry can give.
    fn resolve(&self, request: &ImportRequest) -> Result<ImportedImage, RegistryError>;

    /// Lists the tags of the repository of `request.reference` (its tag
    /// and id are ignored), following the registry's pages until `cap`
    /// tags are read; more than `cap` sets [`TagList::truncated`]. This is
    /// what a repository import (`oc import-image --all`) asks for.
    ///
    /// # Errors
    ///
    /// As [`resolve`](Self::resolve); a missing repository is `NotFound`.
    fn list_tags(&self, request: &ImportRequest, cap: usize) -> Result<TagList, RegistryError>;
}

/// A registry answering from a table, with scripted failures: for tests,
/// examples and dry runs. References match after Docker defaults
/// (`python:3.6` is `docker.io/library/python:3.6`).
#[derive(Debug, Default)]
pub struct StaticRegistry {
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    answers: BTreeMap<String, Result<ImportedImage, RegistryError>>,
    /// Repository (after Docker defaults) to the tags served in it.
    tags: BTreeMap<String, BTreeSet<String>>,
}

fn key(r: &ImageReference) -> String {
    r.docker_client_defaults().as_str().to_owned()
}

/// The repository of `r` after Docker defaults, without tag or id.
fn repository_key(r: &ImageReference) -> String {
    r.docker_client_defaults()
        .as_repository()
        .as_str()
        .to_owned()
}

impl StaticRegistry {
    /// An empty registry: every lookup is `NotFound`.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `image` for `reference`; a tagged reference (without an id)
    /// also lists its tag in [`list_tags`](Registry::list_tags).
    pub fn insert(&self, reference: &ImageReference, image: ImportedImage) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if reference.id().is_none() {
            let tag = reference.docker_client_defaults();
            if let Some(tag) = tag.tag() {
                table
                    .tags
                    .entry(repository_key(reference))
                    .or_default()
                    .insert(tag.to_owned());
            }
        }
        table.answers.insert(key(reference), Ok(image));
    }

    /// Fails lookups of `reference` with `error` (tag listings of its
    /// repository too, when the reference has neither tag nor id).
    pub fn fail(&self, reference: &ImageReference, error: RegistryError) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if reference.tag().is_none() && reference.id().is_none() {
            table
                .answers
                .insert(repository_key(reference), Err(error.clone()));
        }
        table.answers.insert(key(reference), Err(error));
    }
}

impl Registry for StaticRegistry {
    fn resolve(&self, request: &ImportRequest) -> Result<ImportedImage, RegistryError> {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .answers
            .get(&key(&request.reference))
            .cloned()
            .unwrap_or_else(|| {
                Err(RegistryError::NotFound {
                    reference: request.reference.as_str().to_owned(),
                })
            })
    }

    /// The tags inserted for the repository, in byte order.
    fn list_tags(&self, request: &ImportRequest, cap: usize) -> Result<TagList, RegistryError> {
        let repository = repository_key(&request.reference);
        let table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(Err(e)) = table.answers.get(&repository) {
            return Err(e.clone());
        }
        let Some(tags) = table.tags.get(&repository) else {
            return Err(RegistryError::NotFound {
                reference: request.reference.as_repository().as_str().to_owned(),
            });
        };
        Ok(TagList::new(
            tags.iter().take(cap).cloned().collect(),
            tags.len() > cap,
        ))
    }
}
