//! A `MemoryStore` with a hook that runs before each stream update, for
//! tests that lose races on purpose.

#![allow(dead_code, unreachable_pub)]

use imagestream::api;
use imagestream::ports::{
    ImageStore, MemoryStore, Page, StoreChange, StoreError, Stored, StreamStore,
};
use imagestream::reference::{Digest, Namespace, StreamName};
use imagestream::stream::ImageStream;

/// What the hook may do before an update of `stream` at `version`: write
/// to the inner store itself, and return an error to fail the update.
pub type Hook = Box<dyn Fn(&MemoryStore, &ImageStream, u64) -> Option<StoreError> + Send + Sync>;

/// The wrapped store and its hook.
pub struct Hooked {
    pub inner: MemoryStore,
    pub before_update: Hook,
}

impl Hooked {
    /// A fresh store with `hook`.
    pub fn new(hook: Hook) -> Self {
        Self {
            inner: MemoryStore::new(),
            before_update: hook,
        }
    }
}

impl StreamStore for Hooked {
    fn get(&self, n: &Namespace, s: &StreamName) -> Result<Stored<ImageStream>, StoreError> {
        self.inner.get(n, s)
    }
    fn list(
        &self,
        n: &Namespace,
        l: Option<usize>,
        t: Option<&str>,
    ) -> Result<Page<Stored<ImageStream>>, StoreError> {
        self.inner.list(n, l, t)
    }
    fn create(&self, s: ImageStream) -> Result<Stored<ImageStream>, StoreError> {
        self.inner.create(s)
    }
    fn update(&self, s: ImageStream, v: u64) -> Result<Stored<ImageStream>, StoreError> {
        if let Some(e) = (self.before_update)(&self.inner, &s, v) {
            return Err(e);
        }
        self.inner.update(s, v)
    }
    fn delete(&self, n: &Namespace, s: &StreamName, u: Option<&str>) -> Result<(), StoreError> {
        self.inner.delete(n, s, u)
    }
    fn changes_since(&self, r: u64) -> Result<Vec<StoreChange>, StoreError> {
        self.inner.changes_since(r)
    }
}

impl ImageStore for Hooked {
    fn get_image(&self, d: &Digest) -> Result<api::Image, StoreError> {
        self.inner.get_image(d)
    }
    fn create_image_if_absent(&self, i: api::Image) -> Result<bool, StoreError> {
        self.inner.create_image_if_absent(i)
    }
    fn list_images(&self) -> Result<Vec<api::Image>, StoreError> {
        self.inner.list_images()
    }
}
