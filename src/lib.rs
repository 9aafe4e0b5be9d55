//! OpenShift image streams for Rust programs: image references, tags with
//! history, tracking tags, imports and triggers, with OpenShift's semantics
//! and its exact messages, and no I/O in the core.
//!
//! ```
//! use imagestream::chrono::{TimeZone, Utc};
//! use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
//! use imagestream::stream::{ImageStream, SpecContext, SpecTag, TagEvent, TagSource};
//!
//! let now = Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap();
//! let mut python = ImageStream::new(Namespace::parse("default")?, StreamName::parse("python")?)?;
//! let (latest, v35) = (TagName::parse("latest")?, TagName::parse("3.5")?);
//!
//! // `latest` tracks `3.5`: whatever 3.5 points to, latest points to.
//! let track = TagSource::ImageStreamTag { namespace: None, stream: None, tag: v35.clone() };
//! python.set_spec_tag(latest.clone(), SpecTag::new(track), &SpecContext::new(now))?;
//!
//! // An image arrives in 3.5 (pushed, or imported from a registry).
//! let image = Digest::of_sha256(b"the image manifest");
//! let pull_spec = ImageReference::parse(&format!("docker.io/centos/python-35-centos7@{image}"))?;
//! python.add_event(&v35, TagEvent::new(pull_spec, Some(image.clone()), 1, now));
//!
//! assert_eq!(python.history("latest").unwrap().current().unwrap().image(), Some(image.clone()));
//! // `python@<id prefix>` finds the image, as `oc` and the server do.
//! assert_eq!(python.resolve_image_id(&image.hex()[..12])?, image);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What an image stream is
//!
//! An image stream is a namespaced object, `namespace/name`, that gives
//! stable names (*tags*) to container images stored elsewhere: in an
//! external registry, or in the cluster's integrated registry. It has two
//! halves:
//!
//! - the **spec**: which tags exist and where each one's image comes from.
//!   A *permanent* tag names an external image (`docker.io/python:3.6`,
//!   imported once or on a schedule) or pins an image by digest
//!   (`python@sha256:…`); a *tracking* tag names another tag of the same
//!   stream and follows it;
//! - the **status**: for each tag, a **history**, newest first. Entry 0 is
//!   the image the tag points to now; older entries are what it pointed to
//!   before, and what a rollback can return to. Every entry records a pull
//!   spec (`repo@sha256:…`), the image's digest, and the generation of the
//!   spec that produced it.
//!
//! A tag of a stream is written `stream:tag` (an *image stream tag*), an
//! image of a stream `stream@sha256:…` or `stream@<id prefix>` (an *image
//! stream image*). Images arrive by a push to the integrated registry
//! (an *image stream mapping*) or by an import; the spec's generation says
//! when an import is due. The behaviour notes ([`docs`]) say exactly what
//! OpenShift does at each step and where in its source.
//!
//! # The modules, in reading order
//!
//! | module | what it holds |
//! |---|---|
//! | [`reference`](mod@reference) | image references in three semantics (OpenShift's, distribution's strict and normalized), digests, and OpenShift's names: [`TagName`](reference::TagName), [`StreamName`](reference::StreamName), [`Namespace`](reference::Namespace), `stream:tag`, `stream@id` |
//! | [`api`] | the wire: plain serde structs of `image.openshift.io/v1`, exactly as OpenShift writes them |
//! | [`stream`] | the domain: [`stream::ImageStream`], valid by construction, with history, tracking, generations, resolution, rollback and pruning |
//! | [`ops`] | use cases as pure functions: `oc tag`, import planning and applying, the import scheduler, change triggers |
//! | [`describe`] | `oc describe` and `oc get` output, byte for byte |
//! | [`ports`] | storage, registries, time and access control as traits, with in-memory defaults |
//! | [`service`] | every operation run against the ports: authorized, read, changed by the pure layers, written, retried on conflict |
//! | [`controller`] | the runtime that imports, schedules, retries and fires triggers on a clock, as OpenShift's controller manager does, one object to start |
//! | [`docs`] | the notes the code cites: OpenShift's behaviour (`§N`), reference grammars (`R§N`), the project's decisions (`SPEC §N`) |
//!
//! Each module uses only those above it in this table: nothing imports
//! upward, and the pure layers never reach the ports. The adapters to real
//! registries and etcd are workspace crates (`imagestream-registry`,
//! `imagestream-etcd`) implementing the [`ports`]; see the README.
//!
//! # One example per layer
//!
//! **[`reference`](mod@reference)**: parse once, at the boundary, with
//! Go's messages.
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
//! // An image stream tag, as `oc` names it; errors are Go's, word for word.
//! let istag: IsTagName = "python:3.6".parse()?;
//! assert_eq!(istag.tag(), "3.6");
//! let err = ImageReference::parse("Python:3.6").unwrap_err();
//! assert_eq!(err.to_string(), "repository name must be lowercase");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **[`api`]** and **[`stream`]**: the wire is lenient, the domain holds
//! the invariants, and the conversion between them is OpenShift's
//! validation.
//!
//! ```
//! use imagestream::{api, stream};
//!
//! let json = r#"{"metadata": {"name": "python", "namespace": "default"},
//!                "spec": {"tags": [{"name": "3.6", "from": {"kind": "DockerImage", "name": "python:3.6"}}]}}"#;
//! let wire: api::ImageStream = serde_json::from_str(json)?; // any serde format
//! let domain = stream::ImageStream::try_from(wire)?;         // every field error at once
//! assert!(domain.spec_tag("3.6").is_some());
//! let back = api::ImageStream::from(&domain);                // lossless, tags sorted
//! assert_eq!(back.spec.tags[0].reference_policy.type_, "Source"); // the server's default
//!
//! let bad = r#"{"metadata": {"name": "python", "namespace": "default"},
//!               "spec": {"tags": [{"name": "t", "from": {"name": "x"}}]}}"#;
//! let err = stream::ImageStream::try_from(serde_json::from_str::<api::ImageStream>(bad)?).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "spec.tags[t].from.kind: Required value: valid values are 'DockerImage', 'ImageStreamImage', 'ImageStreamTag'"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **[`ops`]**: `oc tag` without the I/O; the outcome prints what `oc`
//! prints.
//!
//! ```
//! use imagestream::ops::tag::{TagCommand, TagStep};
//! use imagestream::reference::Namespace;
//!
//! let cmd = TagCommand::new(["docker.io/python:3.6.0", "python:3.6"]).scheduled(true);
//! let done = cmd.complete(&Namespace::parse("default")?)?;
//! done.validate()?;
//! let steps: Vec<TagStep> = done.steps().collect::<Result<_, _>>()?;
//! assert_eq!(
//!     steps[0].outcome().to_string(),
//!     "Tag python:3.6 set to import docker.io/python:3.6.0 periodically."
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **[`describe`]**: `oc describe`, given `now`.
//!
//! ```
//! use imagestream::chrono::{TimeDelta, TimeZone, Utc};
//! use imagestream::describe::{Style, describe_image_stream};
//! use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
//! use imagestream::stream::{ImageStream, TagEvent};
//!
//! let at = Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap();
//! let mut is = ImageStream::new(Namespace::parse("default")?, StreamName::parse("python")?)?;
//! let image = Digest::of_sha256(b"manifest");
//! let pull_spec = ImageReference::parse(&format!("docker.io/library/python@{image}"))?;
//! is.add_event(&TagName::parse("3.6")?, TagEvent::new(pull_spec.clone(), Some(image), 1, at));
//!
//! let out = describe_image_stream(&is, at + TimeDelta::minutes(5), Style::Current);
//! let current = format!("  * {pull_spec}");
//! assert_eq!(out.lines().collect::<Vec<_>>(), [
//!     "Name:\t\t\tpython",
//!     "Namespace:\t\tdefault",
//!     "Labels:\t\t\t<none>",
//!     "Annotations:\t\t<none>",
//!     "Image Repository:\t<none>",
//!     "Image Lookup:\t\tlocal=false",
//!     "Unique Images:\t\t1",
//!     "Tags:\t\t\t1",
//!     "",
//!     "3.6",
//!     "  no spec tag",
//!     "",
//!     &current,
//!     "      5 minutes ago",
//! ]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **[`ports`]**: the in-memory store is linearizable and refuses a write
//! made from a stale read.
//!
//! ```
//! use imagestream::ports::{MemoryStore, StoreError, StreamStore};
//! use imagestream::reference::{Namespace, StreamName};
//! use imagestream::stream::ImageStream;
//!
//! let store = MemoryStore::new();
//! let stored = store.create(ImageStream::new(Namespace::parse("ns")?, StreamName::parse("app")?)?)?;
//! let read = stored.resource_version;
//! store.update(stored.value.clone(), read)?; // the first writer wins
//! let late = store.update(stored.value, read).unwrap_err();
//! assert!(matches!(late, StoreError::Conflict { .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **[`service`]**: the same operations as a user of the cluster would run
//! them, authorized and retried on conflict.
//!
//! ```
//! use imagestream::ops::tag::TagCommand;
//! use imagestream::ports::Subject;
//! use imagestream::reference::Namespace;
//! use imagestream::service::ImageStreams;
//!
//! let service = ImageStreams::in_memory();
//! let ns = Namespace::parse("default")?;
//! let cmd = TagCommand::new(["docker.io/python:3.6.0", "python:3.6"]);
//! let done = service.tag(&Subject::system_admin(), &ns, &cmd)?;
//! assert_eq!(done[0].to_string(), "Tag python:3.6 set to docker.io/python:3.6.0.");
//!
//! // Alice may view `default`, nothing more.
//! service.authorizer().bind("alice", "view", &ns);
//! let err = service.tag(&Subject::user("alice"), &ns, &cmd).unwrap_err();
//! assert!(err.to_string().contains(r#"User "alice" cannot"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Scope
//!
//! The core ([`reference`](mod@reference), [`api`], [`stream`], [`ops`],
//! [`describe`]) performs no I/O: no network, no files, no clock reads, no environment;
//! time comes in as a `now` argument and results come out as values.
//! Storage, registries, time and access control are the embedding
//! program's, reached through the traits in [`ports`]; [`service`] and
//! the [`controller`] built on it are the only layers that call them.
//!
//! This crate does **not**:
//!
//! - talk to a registry, etcd or a Kubernetes API server (implement the
//!   [`ports`] for them, or use the adapter crates);
//! - serve an HTTP API, or read kubeconfig files;
//! - pull, push or store image content: images are metadata here, named
//!   by their digest;
//! - pick a JSON or YAML library: the [`api`] types are plain serde types;
//! - start threads behind the caller's back: [`ops`] decides what an
//!   import, a schedule or a trigger does, and the [`controller`] runs
//!   them when the caller starts it (on its thread, or ticked by hand).
//!
//! # Deviations from OpenShift
//!
//! The rule is to reproduce OpenShift exactly, messages included. Where
//! OpenShift's behaviour depends on Go's map order, or accepts what its own
//! tools would never write, this crate decides differently, on purpose:
//!
//! - **Tracking is transitive and deterministic** (§7.2): a change reaches
//!   followers of followers, breadth first and in name order, on every
//!   path; setting an alias that would close a cycle is refused
//!   (`reference tag is circular`), and a cycle read from the wire stops
//!   propagation instead of looping
//!   ([`add_event`](stream::ImageStream::add_event),
//!   [`CircularReference`](stream::CircularReference)).
//! - **An ambiguous id prefix is always an error** (§12): `stream@3c87`
//!   matching two images is the conflict of `ResolveImageID`, never "the
//!   last in map order wins", and lookups use an index
//!   ([`resolve_image`](stream::ImageStream::resolve_image)).
//! - **Stricter names and digests in the domain** (§4.3, §4.9): tag names
//!   must be valid [`TagName`](reference::TagName)s (the server accepts any
//!   key; its tools never write others) and event images must be digests.
//!   The [`api`] layer still reads such objects, so they can be repaired.
//! - **Content is what the digest says** (§10, §13): a mapping that
//!   carries its manifest must hash to the image's name (sha256, sha384 or
//!   sha512), or nothing is written
//!   ([`create_mapping`](service::ImageStreams::create_mapping)); an
//!   import answered with another digest than a pinned tag asked for is a
//!   failure ([`check_imported_image`](ops::import::check_imported_image));
//!   stored images are marked verified or unverified, and only verified
//!   content replaces unverified content of the same name
//!   ([`put_image`](ports::ImageStore::put_image)). Images are stored
//!   after the stream write lands, so a refused write leaves none behind.
//! - **An import never reverts a user's change** (§13): an answer whose
//!   tag's spec changed while the registry was asked is dropped
//!   ([`apply_import`](ops::import::apply_import)); the next import plans
//!   again.
//! - **No arithmetic surprises** (§8, §15): a stream at generation
//!   `i64::MAX` refuses a spec change instead of wrapping
//!   ([`SpecError::Generation`](stream::SpecError::Generation)); after a
//!   clock gap the scheduler visits each stream once, not once per missed
//!   interval ([`Scheduler`](ops::schedule::Scheduler)).
//! - **An alias stays in its stream** (§4): `oc tag --alias` with a source
//!   in another namespace is refused, where `oc` lets the server turn it
//!   into a one-time copy.
//! - **Refusals reveal nothing** (§4.3): a cross-namespace tag source is
//!   authorized before it is looked up, so a denial does not tell whether
//!   the source exists.
//! - **Deterministic order** (§21.1): ties that Go's unstable sort leaves
//!   open are broken by name
//!   ([`prioritize_tags`](describe::prioritize_tags)).
//! - **History limits** (§5): beyond OpenShift, a stream may cap every
//!   tag's history
//!   ([`set_history_limit`](stream::ImageStream::set_history_limit)),
//!   kept on the wire in the annotation
//!   [`HISTORY_LIMIT_ANNOTATION`](api::HISTORY_LIMIT_ANNOTATION) (the
//!   crate's own annotations are under
//!   [`ANNOTATION_PREFIX`](api::ANNOTATION_PREFIX), which OpenShift keeps
//!   untouched).
//! - **Tag policies and holds**: beyond OpenShift, a spec tag may follow
//!   the tag a policy chooses ("the newest 3.x", Flux's and Argo CD Image
//!   Updater's orders; [`TagPolicy`](stream::TagPolicy), feature `policy`),
//!   and a rollback may hold a tag against policies and scheduled imports
//!   ([`Hold`](stream::Hold)); both live in spec tag annotations under
//!   [`ANNOTATION_PREFIX`](api::ANNOTATION_PREFIX). An import keeps a spec
//!   tag's annotations under that prefix where OpenShift would rewrite them.
//!
//! Each is documented on the item that implements it and covered by tests;
//! the decisions behind them are [`docs::spec`].
//!
//! # Crate features
//!
//! - `testing`: the `testing` module, the
//!   conformance suites any implementation of the ports can run in its own
//!   tests (the crate's in-memory defaults and the etcd adapter run the
//!   same ones): stores, leases, registries.
//! - `policy` (on by default): tag policies, which of many tags a spec tag
//!   follows ("the newest 3.x"): `stream::TagPolicy`, `ops::policy` and
//!   their evaluation by the controller. It brings `semver`, `regex` and
//!   `regex-syntax`; turned off, policy annotations are kept untouched on
//!   the wire but neither checked nor evaluated (holds still apply).
//! - `proptest`: the `strategy` module, proptest strategies for every
//!   public value type (references in each parse mode, digests, names,
//!   near misses, whole streams).
//! - `arbitrary`: `arbitrary::Arbitrary` for the same types, valid by
//!   construction, for `cargo fuzz` targets.
//!
//! The guide page [Testing your code with imagestream](docs::testing)
//! shows the test features in a user's tests.
//!
//! serde support is always on, since the API objects are serde
//! types. The core depends on `serde`, `thiserror`, `chrono` (re-exported
//! as [`chrono`], its types being part of the API), `sha2` and `nom`, plus
//! the `policy` feature's crates; `proptest` and `arbitrary` only with the
//! features of the same names.
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]
// Without the `policy` feature the policy items do not exist, and the
// docs that mention them (the crate map, the stream's method families)
// keep their links for the default build: there, and only there, a link
// to a policy item has no target.
#![cfg_attr(not(feature = "policy"), allow(rustdoc::broken_intra_doc_links))]

pub mod api;
mod checked;
pub mod controller;
pub mod describe;
pub mod docs;
pub mod error;
pub mod ops;
pub mod ports;
pub mod reference;
pub mod service;
#[cfg(feature = "proptest")]
pub mod strategy;
pub mod stream;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(feature = "arbitrary")]
mod fuzzing;
#[cfg(any(feature = "proptest", feature = "arbitrary"))]
mod generated;

pub use chrono;
pub use error::Error;

/// The README's Rust examples, run as doctests. The README is the
/// repository's page, not the crate guide, so it is compiled only when
/// doctests are collected and never rendered.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
