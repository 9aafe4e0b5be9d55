//! Repository fields computed on every read and write (§9.1, the
//! strategy's `Decorate`).

use super::ImageStreams;
use crate::ports::{
    Authorizer, Clock, ImageStore, Page, Registry, StoreError, Stored, StreamStore,
};
use crate::reference::{Namespace, StreamName};
use crate::stream::ImageStream;

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// Sets the repository fields from the configured hostnames.
    pub(super) fn decorate(&self, stream: &mut ImageStream) {
        stream.decorate(
            self.internal_registry.as_deref(),
            self.public_registry.as_deref(),
        );
    }

    /// Reads a stream from the store, decorated: every read and every
    /// read-modify-write goes through here, so a stream stored before a
    /// hostname change never shows (or writes into new history entries)
    /// the old hostname.
    pub(super) fn read(
        &self,
        namespace: &Namespace,
        name: &StreamName,
    ) -> Result<Stored<ImageStream>, StoreError> {
        let mut stored = self.store.get(namespace, name)?;
        self.decorate(&mut stored.value);
        Ok(stored)
    }

    /// Lists streams from the store, each decorated.
    pub(super) fn read_list(
        &self,
        namespace: &Namespace,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<Page<Stored<ImageStream>>, StoreError> {
        let mut page = self.store.list(namespace, limit, continue_token)?;
        for stored in &mut page.items {
            self.decorate(&mut stored.value);
        }
        Ok(page)
    }
}
