//! A real registry for the `imagestream` crate: a blocking OCI
//! distribution client behind the core's
//! [`Registry`](imagestream::ports::Registry) port, and the integrated
//! registry's push notifications turned into image stream mappings.
//!
//! - [`RegistryClient`]: resolve by tag or digest (manifests, manifest
//!   lists and OCI indexes, both import modes), tag listing with `Link`
//!   paging, anonymous / basic / bearer-token authentication with
//!   credentials from the importing namespace's pull secrets, OpenShift's
//!   error conditions.
//! - [`notify`]: distribution's notification envelopes, the
//!   [`Receiver`](notify::Receiver) that maps pushes into streams, and a
//!   small authenticated HTTP [`Endpoint`](notify::Endpoint).

mod auth;
mod client;
pub mod manifest;
pub mod notify;

pub use auth::{AuthError, Challenge, Credentials, DockerConfig, Scheme};
pub use client::{
    CaError, ClientConfig, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_CONFIG_BYTES,
    DEFAULT_MAX_MANIFEST_BYTES, DEFAULT_READ_TIMEOUT, FetchedImage, RegistryClient, api_image,
};
pub use manifest::{Manifest, ManifestError, Platform};
