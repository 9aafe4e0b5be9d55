//! `imagestream` on Kubernetes: the `image.openshift.io/v1` types as
//! [`kube`] resources, and the store ports on an API server.
//!
//! # The types as resources
//!
//! [`Object<T>`] carries one of `imagestream`'s `api` objects with
//! k8s-openapi's metadata, and is a [`kube::Resource`] (group
//! `image.openshift.io`, version `v1`, OpenShift's plurals and scopes), so
//! [`kube::Api`] reads and writes it. The aliases name the seven types:
//! [`ImageStream`], [`ImageStreamTag`], [`ImageStreamImage`],
//! [`ImageStreamMapping`], [`ImageStreamImport`], [`ImageTag`] and
//! [`Image`] (cluster-scoped). Their JSON is the `api` types' own, so
//! what a cluster sends comes back unchanged, metadata included (see
//! [`meta`] for the conversion; `apiVersion` and `kind` are filled in
//! where a list's items leave them out). [`create_mapping`] is the
//! registry's call after a push (OpenShift answers it with a `Status`).
//!
//! ```no_run
//! // no_run: needs a cluster in the kubeconfig.
//! use imagestream_kube::ImageStream;
//! use kube::{Api, Client};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::try_default().await?;
//! let streams: Api<ImageStream> = Api::namespaced(client, "ci");
//! let python = streams.get("python").await?;
//! for tag in &python.status.tags {
//!     println!("{}: {} images", tag.tag, tag.items.len());
//! }
//! // Into the domain model, with OpenShift's validation:
//! let stream = imagestream::stream::ImageStream::try_from(python.into_inner())?;
//! println!("{}", imagestream::describe::describe_image_stream(&stream, imagestream::chrono::Utc::now(), Default::default()));
//! # Ok(()) }
//! ```
//!
//! # The store
//!
//! [`KubeStore`] is a [`StreamStore`](imagestream::ports::StreamStore) and
//! an [`ImageStore`](imagestream::ports::ImageStore) on the API server, so
//! `imagestream`'s service and controller keep their streams in a cluster
//! (see its docs for what an OpenShift server changes in what it stores).
//! It passes the core's store conformance suite against a mock API
//! server that keeps state as the API server does (versions, 409s,
//! continue tokens, watches, 410 Gone).
//!
//! ```no_run
//! // no_run: needs a cluster in the kubeconfig.
//! use std::sync::Arc;
//!
//! use imagestream::ports::{Rbac, StaticRegistry, Subject, SystemClock};
//! use imagestream::reference::Namespace;
//! use imagestream::service::ImageStreams;
//! use imagestream_kube::{KubeStore, KubeStoreConfig};
//!
//! let store = KubeStore::infer(KubeStoreConfig::new())?;
//! let service = ImageStreams::new(
//!     Arc::new(store),
//!     Arc::new(StaticRegistry::new()),
//!     Arc::new(Rbac::new()),
//!     Arc::new(SystemClock),
//! );
//! let page = service.list(&Subject::system_admin(), &Namespace::parse("ci")?, None, None)?;
//! for stream in &page.items {
//!     println!("{}", stream.value.name());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Kubernetes version
//!
//! As k8s-openapi asks of libraries, this crate enables no Kubernetes
//! version: the program does (`k8s-openapi = { version = "0.29", features
//! = ["earliest"] }`, or `latest`), or `K8S_OPENAPI_ENABLED_VERSION=1.33`
//! in the environment of `cargo doc` and `cargo check`. The crate uses
//! only `ObjectMeta`, which every version has.

mod mapping;
mod resources;
mod store;

pub mod meta;

pub use mapping::create_mapping;
pub use resources::{
    ApiObject, GROUP, Image, ImageStream, ImageStreamImage, ImageStreamImport, ImageStreamMapping,
    ImageStreamTag, ImageTag, Object, VERSION,
};
pub use store::{KubeStore, KubeStoreConfig};

/// The crates this one's API is made of, at the versions it uses.
pub use {k8s_openapi, kube};
