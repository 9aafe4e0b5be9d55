//! Operations over streams, pure: what `oc` commands, the server's
//! handlers and the controllers decide, without their I/O. The
//! [`service`](crate::service) runs them against the ports.
//!
//! - [`tag`]: `oc tag`, from arguments to per-destination spec changes and
//!   the exact messages `oc` prints.
//! - [`import`]: which tags to import, and how registry answers become
//!   entries and conditions.
//! - [`import_image`]: `oc import-image` and the server's
//!   `ImageStreamImport`.
//! - [`schedule`]: when each scheduled stream is imported again.
//! - [`trigger`]: which deployments, builds and annotated workloads a tag's
//!   new image changes.
//! - `policy` (feature `policy`, on by default): which of many tags a spec
//!   tag follows ("the newest 3.x"), dry runs, and pinning the choice.

pub mod import;
pub mod import_image;
#[cfg(feature = "policy")]
pub mod policy;
pub mod schedule;
pub mod tag;
pub mod trigger;
