//! Conformance suites for the ports (feature `testing`): run them in the
//! tests of your own implementation, so it keeps the contract the service
//! relies on.
//!
//! | suite | for |
//! |---|---|
//! | [`store::run`], [`store::compaction`] | a [`StreamStore`](crate::ports::StreamStore) + [`ImageStore`](crate::ports::ImageStore) |
//! | [`lease::run`] | a [`Lease`](crate::ports::Lease) |
//! | [`registry::run`] | a [`Registry`](crate::ports::Registry), against a scripted answer set ([`registry::Script`]) |
//!
//! The suites panic (they are tests) with a message naming the broken
//! rule; everything else about them is ordinary public API. In
//! `Cargo.toml`:
//!
//! ```toml
//! [dev-dependencies]
//! imagestream = { version = "0.1", features = ["testing"] }
//! ```

pub mod lease;
pub mod registry;
pub mod store;
