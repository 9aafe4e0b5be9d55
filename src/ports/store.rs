//! Storage of streams and images, as ports.

use crate::api;
use crate::reference::{Digest, Namespace, StreamName};
use crate::stream::{ContentError, ImageStream, ImageWrite};

/// A stored value with its resource version.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stored<T> {
    /// The value (its metadata carries the same resource version and uid).
    pub value: T,
    /// The store's version of this value: strictly increasing across every
    /// write to the store.
    pub resource_version: u64,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items, sorted by name.
    pub items: Vec<T>,
    /// Pass this back to get the next page; `None` on the last page.
    pub continue_token: Option<String>,
}

/// What a write did, as [`StreamStore::changes_since`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreChange {
    /// A stream was created.
    Created(Stored<ImageStream>),
    /// A stream was updated.
    Updated(Stored<ImageStream>),
    /// A stream was deleted (at this resource version).
    Deleted {
        /// The stream's namespace.
        namespace: Namespace,
        /// The stream's name.
        name: StreamName,
        /// The version of the deletion.
        resource_version: u64,
    },
}

impl StoreChange {
    /// The resource version of this change.
    #[must_use]
    pub fn resource_version(&self) -> u64 {
        match self {
            Self::Created(s) | Self::Updated(s) => s.resource_version,
            Self::Deleted {
                resource_version, ..
            } => *resource_version,
        }
    }
}

/// Why a store operation failed. Messages follow the Kubernetes API's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such object.
    #[error("{resource}.image.openshift.io \"{name}\" not found")]
    NotFound {
        /// `imagestreams` or `images`.
        resource: &'static str,
        /// The object's name.
        name: String,
    },
    /// The object exists already.
    #[error("{resource}.image.openshift.io \"{name}\" already exists")]
    AlreadyExists {
        /// `imagestreams` or `images`.
        resource: &'static str,
        /// The object's name.
        name: String,
    },
    /// The expected resource version is not the stored one.
    #[error(
        "Operation cannot be fulfilled on {resource}.image.openshift.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
    )]
    Conflict {
        /// `imagestreams`.
        resource: &'static str,
        /// The object's name.
        name: String,
        /// The version the caller expected.
        expected: u64,
        /// The version stored.
        actual: u64,
    },
    /// A delete's uid precondition did not hold.
    #[error("Precondition failed: UID in precondition: {expected}, UID in object meta: {actual}")]
    UidMismatch {
        /// The uid the caller expected.
        expected: String,
        /// The stored uid.
        actual: String,
    },
    /// The changes after this revision are no longer kept: re-list, then
    /// resume from `current` (never a silent gap).
    #[error(
        "required revision {requested} has been compacted (oldest kept: {oldest}, current: {current})"
    )]
    Compacted {
        /// The revision asked for.
        requested: u64,
        /// The oldest revision whose successors are still kept.
        oldest: u64,
        /// The store's current revision: a re-list reflects at least this
        /// revision, so changes after it complete the picture.
        current: u64,
    },
    /// A continue token this store did not issue.
    #[error("invalid continue token {0:?}")]
    InvalidContinue(String),
    /// An image whose name is not a digest.
    #[error("images.image.openshift.io \"{0}\" is invalid: metadata.name: must be a digest")]
    InvalidImageName(String),
    /// An image whose content is not what its name says (see
    /// [`Content::check`](crate::stream::Content::check)).
    #[error("images.image.openshift.io \"{name}\" is invalid: {error}")]
    InvalidImageContent {
        /// The image's name.
        name: String,
        /// What does not match.
        error: Box<ContentError>,
    },
    /// The backend failed.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

/// Image streams, by namespace and name, with Kubernetes' optimistic
/// concurrency: every write gets a new, strictly greater resource version,
/// and an update must name the version it read.
///
/// # Implementing it for another backend
///
/// A backend needs a compare-and-swap on one key and a monotonic counter;
/// etcd gives both. A minimal (single-mutex) implementation:
///
/// ```
/// use std::collections::BTreeMap;
/// use std::sync::Mutex;
///
/// use imagestream::ports::{Page, StoreChange, StoreError, Stored, StreamStore};
/// use imagestream::reference::{Namespace, StreamName};
/// use imagestream::stream::ImageStream;
///
/// #[derive(Default)]
/// struct MyStore {
///     inner: Mutex<(u64, BTreeMap<(String, String), Stored<ImageStream>>, Vec<StoreChange>)>,
/// }
///
/// impl StreamStore for MyStore {
///     fn get(&self, ns: &Namespace, name: &StreamName) -> Result<Stored<ImageStream>, StoreError> {
///         let g = self.inner.lock().unwrap();
///         g.1.get(&(ns.to_string(), name.to_string())).cloned().ok_or_else(|| StoreError::NotFound {
///             resource: "imagestreams",
///             name: name.to_string(),
///         })
///     }
///     fn list(&self, ns: &Namespace, _limit: Option<usize>, _token: Option<&str>) -> Result<Page<Stored<ImageStream>>, StoreError> {
///         let g = self.inner.lock().unwrap();
///         let items = g.1.iter().filter(|((n, _), _)| n == ns.as_str()).map(|(_, v)| v.clone()).collect();
///         Ok(Page::new(items, None))
///     }
///     fn create(&self, mut stream: ImageStream) -> Result<Stored<ImageStream>, StoreError> {
///         let mut g = self.inner.lock().unwrap();
///         let key = (stream.namespace().to_string(), stream.name().to_string());
///         if g.1.contains_key(&key) {
///             return Err(StoreError::AlreadyExists { resource: "imagestreams", name: key.1 });
///         }
///         g.0 += 1;
///         // The uid and the version are the store's, whatever the client sent.
///         stream.set_uid(format!("uid-{}", g.0));
///         stream.set_resource_version(g.0);
///         let stored = Stored::new(stream, g.0);
///         g.1.insert(key, stored.clone());
///         g.2.push(StoreChange::Created(stored.clone()));
///         Ok(stored)
///     }
///     fn update(&self, mut stream: ImageStream, expected: u64) -> Result<Stored<ImageStream>, StoreError> {
///         let mut g = self.inner.lock().unwrap();
///         let key = (stream.namespace().to_string(), stream.name().to_string());
///         let (actual, uid) = g.1.get(&key).map(|s| (s.resource_version, s.value.metadata().uid.clone()))
///             .ok_or_else(|| StoreError::NotFound { resource: "imagestreams", name: key.1.clone() })?;
///         if actual != expected {
///             return Err(StoreError::Conflict { resource: "imagestreams", name: key.1, expected, actual });
///         }
///         stream.set_uid(uid); // kept: the store's, not the client's
///         g.0 += 1;
///         stream.set_resource_version(g.0);
///         let stored = Stored::new(stream, g.0);
///         g.1.insert(key, stored.clone());
///         g.2.push(StoreChange::Updated(stored.clone()));
///         Ok(stored)
///     }
///     fn delete(&self, ns: &Namespace, name: &StreamName, _uid: Option<&str>) -> Result<(), StoreError> {
///         let mut g = self.inner.lock().unwrap();
///         g.1.remove(&(ns.to_string(), name.to_string()))
///             .ok_or_else(|| StoreError::NotFound { resource: "imagestreams", name: name.to_string() })?;
///         g.0 += 1;
///         let rv = g.0;
///         g.2.push(StoreChange::Deleted { namespace: ns.clone(), name: name.clone(), resource_version: rv });
///         Ok(())
///     }
///     fn changes_since(&self, revision: u64) -> Result<Vec<StoreChange>, StoreError> {
///         let g = self.inner.lock().unwrap();
///         Ok(g.2.iter().filter(|c| c.resource_version() > revision).cloned().collect())
///     }
/// }
///
/// let store = MyStore::default();
/// let is = ImageStream::new(Namespace::parse("test")?, StreamName::parse("app")?)?;
/// let created = store.create(is)?;
/// assert_eq!(created.resource_version, 1);
/// assert!(store.update(created.value.clone(), 0).is_err()); // stale version
/// assert_eq!(store.update(created.value, 1)?.resource_version, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait StreamStore: Send + Sync {
    /// The stream `namespace/name`.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], or a backend failure.
    fn get(
        &self,
        namespace: &Namespace,
        name: &StreamName,
    ) -> Result<Stored<ImageStream>, StoreError>;

    /// The streams of `namespace`, sorted by name, `limit` at a time.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidContinue`], or a backend failure.
    fn list(
        &self,
        namespace: &Namespace,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<Page<Stored<ImageStream>>, StoreError>;

    /// Stores a new stream. Like the API server, the store sets the
    /// server's fields whatever the caller sent: a fresh `uid`, the
    /// `resourceVersion`, and no `deletionTimestamp` or
    /// `deletionGracePeriodSeconds` (use
    /// [`ImageStream::set_system_fields`]); `creationTimestamp` is the
    /// store's clock's if it has one, else the caller's (the service stamps
    /// it from its clock).
    ///
    /// # Errors
    ///
    /// [`StoreError::AlreadyExists`], or a backend failure.
    fn create(&self, stream: ImageStream) -> Result<Stored<ImageStream>, StoreError>;

    /// Replaces a stream, if it is still at `expected_version`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Conflict`] when it is not, [`StoreError::NotFound`],
    /// or a backend failure.
    fn update(
        &self,
        stream: ImageStream,
        expected_version: u64,
    ) -> Result<Stored<ImageStream>, StoreError>;

    /// Deletes a stream, if its uid is `uid` (when given).
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], [`StoreError::UidMismatch`], or a backend
    /// failure.
    fn delete(
        &self,
        namespace: &Namespace,
        name: &StreamName,
        uid: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Every change after `revision`, in order (a watch without threads).
    ///
    /// # Errors
    ///
    /// [`StoreError::Compacted`] when changes after `revision` are no
    /// longer kept, or a backend failure.
    fn changes_since(&self, revision: u64) -> Result<Vec<StoreChange>, StoreError>;

    /// The namespaces holding streams, sorted: with [`list`](Self::list),
    /// how a watcher re-lists everything after [`StoreError::Compacted`].
    /// The default says the backend cannot enumerate namespaces.
    ///
    /// # Errors
    ///
    /// A backend failure; by default [`StoreError::Unavailable`].
    fn namespaces(&self) -> Result<Vec<Namespace>, StoreError> {
        Err(StoreError::Unavailable(
            "this store cannot list namespaces".into(),
        ))
    }
}

/// Images (cluster-scoped), by name (their digest). Content is what the
/// digest says (SPEC §13, see [`crate::stream::Content`]): every stored
/// image is verified (its manifest hashes to its name) or unverified (it
/// came without a manifest), stamped as such by the store; verified
/// content replaces unverified content of the same name, unverified
/// content never replaces anything, a manifest that does not hash to the
/// name is refused.
///
/// # Implementing it
///
/// [`seal_image`] does the checking and the stamping, and
/// [`Content::write_over`] decides; a store only has to make the decision
/// and the write one atomic step (a compare-and-swap on the name):
///
/// ```
/// use std::collections::BTreeMap;
/// use std::sync::Mutex;
///
/// use imagestream::api;
/// use imagestream::ports::{ImageStore, StoreError};
/// use imagestream::reference::Digest;
/// use imagestream::stream::{ImageWrite, seal_image};
///
/// #[derive(Default)]
/// struct MyImages(Mutex<BTreeMap<String, api::Image>>);
///
/// impl ImageStore for MyImages {
///     fn get_image(&self, name: &Digest) -> Result<api::Image, StoreError> {
///         self.0.lock().unwrap().get(name.as_str()).cloned().ok_or_else(|| {
///             StoreError::NotFound { resource: "images", name: name.to_string() }
///         })
///     }
///     fn put_image(&self, image: api::Image) -> Result<ImageWrite, StoreError> {
///         let (name, content, image) = seal_image(image).map_err(StoreError::from)?;
///         let mut images = self.0.lock().unwrap();
///         let write = content.write_over(images.get(name.as_str()));
///         if write != ImageWrite::Kept {
///             images.insert(name.to_string(), image);
///         }
///         Ok(write)
///     }
///     fn list_images(&self) -> Result<Vec<api::Image>, StoreError> {
///         Ok(self.0.lock().unwrap().values().cloned().collect())
///     }
/// }
///
/// let images = MyImages::default();
/// let mut unverified = api::Image::default();
/// unverified.metadata.name = Digest::of_sha256(b"{}").to_string();
/// let mut verified = unverified.clone();
/// verified.docker_image_manifest = "{}".into();
/// assert_eq!(images.put_image(unverified.clone())?, ImageWrite::Created);
/// assert_eq!(images.put_image(unverified)?, ImageWrite::Kept);
/// assert_eq!(images.put_image(verified)?, ImageWrite::Replaced);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`seal_image`]: crate::stream::seal_image
/// [`Content::write_over`]: crate::stream::Content::write_over
pub trait ImageStore: Send + Sync {
    /// The image `name`.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], or a backend failure.
    fn get_image(&self, name: &Digest) -> Result<api::Image, StoreError>;

    /// Stores `image` by the content rule: checks it and stamps its state
    /// ([`seal_image`](crate::stream::seal_image), which overwrites any
    /// state a client sent), then stores it when no image of that name
    /// exists ([`ImageWrite::Created`]) or when it is verified and the
    /// stored one is not ([`ImageWrite::Replaced`]); otherwise the stored
    /// image stays ([`ImageWrite::Kept`]). Decision and write are atomic.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidImageName`] when its name is not a digest,
    /// [`StoreError::InvalidImageContent`] when its manifest does not hash
    /// to its name, or a backend failure.
    fn put_image(&self, image: api::Image) -> Result<ImageWrite, StoreError>;

    /// Every image, sorted by name.
    ///
    /// # Errors
    ///
    /// A backend failure.
    fn list_images(&self) -> Result<Vec<api::Image>, StoreError>;
}

impl From<ContentError> for StoreError {
    fn from(error: ContentError) -> Self {
        match error {
            ContentError::NotADigest { name, .. } => Self::InvalidImageName(name),
            ContentError::ManifestMismatch { ref name, .. }
            | ContentError::ConfigNotInManifest { ref name, .. } => Self::InvalidImageContent {
                name: name.to_string(),
                error: Box::new(error),
            },
        }
    }
}

impl<T> Stored<T> {
    /// A value at a resource version.
    #[must_use]
    pub fn new(value: T, resource_version: u64) -> Self {
        Self {
            value,
            resource_version,
        }
    }
}

impl<T> Page<T> {
    /// A page.
    #[must_use]
    pub fn new(items: Vec<T>, continue_token: Option<String>) -> Self {
        Self {
            items,
            continue_token,
        }
    }
}
