//! Storage of streams and images, as ports.

use crate::api;
use crate::reference::{Digest, Namespace, StreamName};
use crate::stream::ImageStream;

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
    /// The changes after this revision are no longer kept; re-list instead.
    #[error("required revision {requested} has been compacted (oldest kept: {oldest})")]
    Compacted {
        /// The revision asked for.
        requested: u64,
        /// The oldest revision whose successors are still kept.
        oldest: u64,
    },
    /// A continue token this store did not issue.
    #[error("invalid continue token {0:?}")]
    InvalidContinue(String),
    /// An image whose name is not a digest.
    #[error("images.image.openshift.io \"{0}\" is invalid: metadata.name: must be a digest")]
    InvalidImageName(String),
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
///         stream.set_resource_version(g.0);
///         let stored = Stored::new(stream, g.0);
///         g.1.insert(key, stored.clone());
///         g.2.push(StoreChange::Created(stored.clone()));
///         Ok(stored)
///     }
///     fn update(&self, mut stream: ImageStream, expected: u64) -> Result<Stored<ImageStream>, StoreError> {
///         let mut g = self.inner.lock().unwrap();
///         let key = (stream.namespace().to_string(), stream.name().to_string());
///         let actual = g.1.get(&key).map(|s| s.resource_version)
///             .ok_or_else(|| StoreError::NotFound { resource: "imagestreams", name: key.1.clone() })?;
///         if actual != expected {
///             return Err(StoreError::Conflict { resource: "imagestreams", name: key.1, expected, actual });
///         }
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

    /// Stores a new stream.
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

/// Images (cluster-scoped), by name (their digest). Images are immutable:
/// creating an existing one leaves the stored one untouched.
pub trait ImageStore: Send + Sync {
    /// The image `name`.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], or a backend failure.
    fn get_image(&self, name: &Digest) -> Result<api::Image, StoreError>;

    /// Stores `image` unless an image of that name exists; returns whether
    /// it was created.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidImageName`] when its name is not a digest, or a
    /// backend failure.
    fn create_image_if_absent(&self, image: api::Image) -> Result<bool, StoreError>;

    /// Every image, sorted by name.
    ///
    /// # Errors
    ///
    /// A backend failure.
    fn list_images(&self) -> Result<Vec<api::Image>, StoreError>;
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
