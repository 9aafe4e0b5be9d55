//! Behaviour notes: what OpenShift does, where in its source, and what
//! this crate does.
//!
//! The code cites these notes as `§N` or `§N.M` (OpenShift's image stream
//! behaviour), `R§N` (container image reference grammars), `SPEC §N`
//! (the project's decisions, [`spec`]) and `seed §6.N` (the documentation
//! chapter the crate grew from, [`seed`]). Every citation in `src/`,
//! `tests/`, `benches/`, `examples/`, `fuzz/`, `adapters/` and the README
//! names a section that exists here; the integration test
//! `tests/it/citations.rs` fails, naming the file and line, when one does
//! not. To cite something new, add its section first.
//!
//! Each section says three things:
//!
//! - **OpenShift**: the behaviour, described in our own words (no
//!   upstream code is copied), with exact user-visible strings quoted;
//! - **Where**: `repository path :: Function` in the snapshots below;
//! - **This crate**: what we do, with a link to the implementing item,
//!   and whether we deviate on purpose.
//!
//! The notes are a module rather than a `docs/` folder so that docs.rs
//! renders them beside the API they describe, and so that `cargo doc`
//! (run with `-D warnings` in CI) checks every link from a note to the
//! item implementing it: a renamed function breaks the build, not the
//! notes.
//!
//! # Sections
//!
//! | sections | module |
//! |---|---|
//! | §0 sources, §1 glossary | this page |
//! | §2 API objects and serialisation | [`api_objects`] |
//! | §3 names and parsing, §4 validation | [`names`] |
//! | §5 history, §6 resolution, §7 tracking | [`history`] |
//! | §8 generations, §9 the update strategy | [`strategy`] |
//! | §10 mappings, §11 image stream tags, §12 image ids, §13 images | [`server`] |
//! | §14 imports, §15 controllers | [`imports`] |
//! | §16 `oc get`, §17 pruning, §18 `oc tag`, §19 `oc describe`, §20 go-units, §21 tag order | [`oc`] |
//! | §22 where the documentation disagrees, §23 surprises | [`surprises`] |
//! | R§1–R§8 reference grammars and their implementations | [`references`] |
//! | SPEC §1–SPEC §13: what this crate must do, decided | [`spec`] |
//! | seed §6: the documentation chapter the crate grew from | [`seed`] |
//!
//! Beside the notes, [`testing`] is the guide for users testing their own
//! code with the crate: strategies, `Arbitrary` and conformance suites.
//!
//! The deliberate deviations from OpenShift are summarised in the
//! [crate guide](crate#deviations-from-openshift) and detailed in the
//! sections they concern.
//!
//! # §0 Sources
//!
//! The facts were read from these snapshots of OpenShift's repositories;
//! a citation reads `REPO path :: Function`, with `@<commit>` for older
//! versions.
//!
//! | short name | repository | commit |
//! |---|---|---|
//! | API | openshift/api | `2a3d73913b5a` |
//! | OAS | openshift/openshift-apiserver | `56aa2d96edd7` |
//! | LGO | openshift/library-go | `93ac9206ae34` |
//! | OC | openshift/oc | `6b8e30c5b39a` |
//! | OCM | openshift/openshift-controller-manager | `26d20feae889` |
//! | UNITS | docker/go-units | `2bd057e7d15e` |
//!
//! The server-side helpers that older write-ups place in OAS
//! `pkg/image/apis/image/helper.go` moved in 2019: the ones over the
//! apiserver's internal, map-keyed types live in OAS
//! `pkg/image/apiserver/internal/imageutil/helpers.go`
//! (`AddTagEventToImageStream`, `UpdateTrackingTags`, `ResolveImageID`,
//! `LatestTaggedImage`, …), the ones over the v1, list-based types in LGO
//! `pkg/image/imageutil/helpers.go` (`SplitImageStreamTag`,
//! `PrioritizeTags`, `ResolveRecentPullSpecForTag`,
//! `DigestOrImageMatch`, …). Inside the apiserver, `spec.tags` and
//! `status.tags` are maps keyed by tag name; on the wire they are lists
//! (§2.7).
//!
//! **This crate** follows the same split: the wire is [`crate::api`]
//! (lists, exactly as OpenShift writes them), the domain is
//! [`crate::stream`] (ordered maps keyed by [`TagName`](crate::reference::TagName)).
//!
//! # §1 Glossary
//!
//! - **Tag history**: a status tag's items, newest first; item 0 is the
//!   current image. A new entry is pushed only when both its pull spec and
//!   its image differ from the current one (§5).
//! - **Permanent tag**: a spec tag whose source is an external image
//!   (`DockerImage`) or a pinned image (`ImageStreamImage name@id`); it
//!   changes only when someone edits it or an import finds a new image.
//! - **Tracking tag** (alias): a spec tag whose source is another tag of the
//!   same stream (`ImageStreamTag`); it follows that tag (§7).
//! - **Pin**: `oc tag src:tag dst:tag` without `--alias` resolves the
//!   source tag to `name@sha256:…` on the client and writes that (§18.1).
//! - **Generation**: the stream's `metadata.generation` counts spec
//!   changes; a spec tag carries the generation that last changed it and
//!   each event the generation that produced it; an import is due when a
//!   spec tag's generation is newer than what the status has seen (§8).

#[doc = include_str!("api_objects.md")]
pub mod api_objects {}

#[doc = include_str!("names.md")]
pub mod names {}

#[doc = include_str!("history.md")]
pub mod history {}

#[doc = include_str!("strategy.md")]
pub mod strategy {}

#[doc = include_str!("server.md")]
pub mod server {}

#[doc = include_str!("imports.md")]
pub mod imports {}

#[doc = include_str!("oc.md")]
pub mod oc {}

#[doc = include_str!("surprises.md")]
pub mod surprises {}

#[doc = include_str!("references.md")]
pub mod references {}

#[doc = include_str!("spec.md")]
pub mod spec {}

#[doc = include_str!("seed.md")]
pub mod seed {}

#[doc = include_str!("testing.md")]
pub mod testing {}
