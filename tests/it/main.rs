//! The integration tests, one binary with a module per capability (one link
//! step instead of one per file). Shared helpers live in [`util`]; the
//! binary's global allocator counts allocations per thread
//! ([`util::alloc`]).

mod util;

mod all_or_nothing;
mod alloc;
mod autotraits;
mod citations;
mod content;
mod controller;
mod describe;
mod hardening_arith;
mod hardening_describe;
mod hardening_meta;
mod hardening_names;
mod hardening_schedule;
mod hardening_store;
mod hardening_wire;
mod history;
mod history_model;
mod import;
mod mapping;
mod memory;
mod model;
mod model_properties;
mod names;
mod parity;
mod policy;
mod ports;
mod reference_properties;
mod references;
mod safety;
mod schedule;
mod service;
mod shared_writes;
mod spec_validation;
mod strategies;
mod tag;
mod tag_rules;
mod trigger;
