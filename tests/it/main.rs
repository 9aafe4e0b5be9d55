//! The integration tests, one binary with a module per capability (one link
//! step instead of one per file). Shared helpers live in [`util`]; the
//! binary's global allocator counts allocations per thread
//! ([`util::alloc`]).

mod util;

mod alloc;
mod autotraits;
mod controller;
mod describe;
mod history;
mod history_model;
mod import;
mod mapping;
mod memory;
mod model;
mod model_properties;
mod names;
mod ports;
mod reference_properties;
mod references;
mod schedule;
mod service;
mod tag;
mod trigger;
