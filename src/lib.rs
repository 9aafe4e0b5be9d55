#![doc = include_str!("../README.md")]
//!
//! # Crate guide
//!
//! `imagestream` models OpenShift image streams for any Rust program. This
//! release ships its foundation:
//!
//! - [`reference`](mod@reference): container image references in
//!   OpenShift's, distribution's strict and distribution's normalized
//!   semantics, digests, and OpenShift's names;
//! - [`api`]: the wire, plain serde structs of `image.openshift.io/v1`;
//! - [`stream`]: the domain image stream with its invariants, converted from
//!   the wire with OpenShift's validation and back without loss, and its
//!   behaviour: tag history, tracking, generations, resolution, rollback,
//!   pruning;
//! - [`ports`]: storage, registries, time and access control as traits,
//!   with in-memory defaults;
//! - [`service`]: every operation run against the ports, authorized and
//!   retried on conflict;
//! - [`controller`]: the runtime that imports, schedules, retries and
//!   fires triggers, as OpenShift's controller manager does.
//!
//! ```
//! use imagestream::reference::{DockerReference, ImageReference, IsTagName};
//!
//! // An OpenShift pull spec, split the way OpenShift splits it.
//! let spec = ImageReference::parse("172.30.56.218:5000/test/origin-ruby-sample:latest")?;
//! assert_eq!(spec.registry(), Some("172.30.56.218:5000"));
//! assert_eq!(spec.namespace(), Some("test"));
//! assert_eq!(spec.name(), "origin-ruby-sample");
//!
//! // What `docker pull python:3.6` means.
//! let hub = DockerReference::parse_normalized("python:3.6")?;
//! assert_eq!(hub.to_string(), "docker.io/library/python:3.6");
//!
//! // An image stream tag, as `oc` names it.
//! let istag: IsTagName = "python:3.6".parse()?;
//! assert_eq!(istag.tag(), "3.6");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## What this crate does not do
//!
//! The core (`reference`, `api`, `stream`) performs no I/O: no network, no
//! files, no clock reads; time comes in as a `now` argument. Storage,
//! registries and time are the embedding program's, reached through the
//! traits in [`ports`]; the service is the only layer that calls them.
//!
//! ## Crate features
//!
//! None yet: serde support is always on, since the API objects are serde
//! types.
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]

pub mod api;
pub mod controller;
pub mod describe;
pub mod error;
pub mod ops;
pub mod ports;
pub mod reference;
pub mod service;
pub mod stream;

pub use chrono;
pub use error::Error;
