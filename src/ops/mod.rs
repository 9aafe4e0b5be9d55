//! Client-side operations, pure: what `oc` commands decide before they
//! talk to the server. The [`service`](crate::service) runs them against
//! the ports.
//!
//! - [`tag`]: `oc tag`, from arguments to per-destination spec changes and
//!   the exact messages `oc` prints.

pub mod tag;
