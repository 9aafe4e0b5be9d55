//! The generated workloads, shared with the tests.

#[path = "../../tests/it/util/workloads.rs"]
mod workloads;

#[allow(unused_imports)] // each bench uses a different part
pub(crate) use workloads::*;
