//! Ports: storage, registries, time and access control behind small,
//! object-safe, `Send + Sync` traits taking `&self`, with in-memory
//! defaults.
//!
//! | port | default | for |
//! |---|---|---|
//! | [`StreamStore`] | [`MemoryStore`] | image streams, with optimistic concurrency and a change log |
//! | [`ImageStore`] | [`MemoryStore`] | images (cluster-scoped; content is what the digest says) |
//! | [`Registry`] | [`StaticRegistry`] | resolving external references at import |
//! | [`Clock`] | [`SystemClock`], [`ManualClock`] | now |
//! | [`Authorizer`] | [`Rbac`], [`AllowAll`] | who may do what |
//! | [`PullSecrets`] | [`MemoryPullSecrets`] | a namespace's registry credentials |
//! | [`Lease`] | [`MemoryLease`] | which replica of a controller works |
//!
//! The traits are not sealed: implement them for etcd, a database, a real
//! registry client or your cluster's authorizer (see [`StreamStore`] for a
//! worked example).

mod authz;
mod clock;
mod lease;
mod memory;
mod registry;
mod secrets;
mod store;

pub use authz::{
    AllowAll, Attributes, Authorizer, Decision, Forbidden, Rbac, Resource, Subject, Verb,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use lease::{Held, Lease, LeaseError, MemoryLease};
pub use memory::{DEFAULT_LOG_BYTES, DEFAULT_LOG_CAPACITY, MemoryStore};
pub use registry::{
    ImportRequest, ImportedImage, Registry, RegistryError, StaticRegistry, TagList,
};
pub use secrets::{MemoryPullSecrets, PullSecret, PullSecrets};
pub use store::{ImageStore, Page, StoreChange, StoreError, Stored, StreamStore};
