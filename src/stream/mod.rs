//! The domain: an image stream with typed tags, histories and invariants.
//!
//! [`ImageStream`] is built from the wire type [`crate::api::ImageStream`]
//! by `TryFrom` (in the `wire` module), which applies OpenShift's validation (§4) and reports
//! **every** field error at once in Kubernetes' format; it converts back
//! with `From<&ImageStream>` without loss. Inside, tag
//! names are [`TagName`]s, pull specs are parsed [`ImageReference`]s,
//! event images are [`Digest`](crate::reference::Digest)s and spec tag sources are typed
//! ([`TagSource`]).
//!
//! # Behaviour
//!
//! - [`ImageStream::add_event`] / [`TagHistory::add`]: OpenShift's
//!   `AddTagEventToImageStream` table; amortised O(1).
//! - Tracking tags (same-stream `ImageStreamTag` sources) follow their
//!   source after every change, transitively and in name order; a circle
//!   is refused when set and stops propagation when read from the wire.
//! - [`ImageStream::update_spec`], [`ImageStream::set_spec_tag`],
//!   [`ImageStream::prepare_for_create`]: the server strategy's generation
//!   rules and `tagsChanged` events.
//! - Resolution: [`ImageStream::latest_tagged_image`],
//!   [`ImageStream::resolve_pull_spec`] (reference policy `Local`),
//!   [`ImageStream::resolve_recent_pull_spec`] /
//!   [`ImageStream::resolve_newest_pull_spec`],
//!   [`ImageStream::image_stream_tag`], [`ImageStream::resolve_image`] (by
//!   id prefix, through an index, ambiguity always an error).
//! - [`ImageStream::rollback`], [`ImageStream::delete_tag`],
//!   [`ImageStream::remove_spec_tag`], [`ImageStream::prune`],
//!   [`ImageStream::set_history_limit`].
//!
//! Deliberately stricter than OpenShift's server (see the crate's
//! [deviations](crate#deviations-from-openshift)): tag names must
//! be valid [`TagName`]s and event images must be digests (or empty for
//! reference tags). The `api` layer still reads such objects, so a caller
//! can see and repair them.
//!
//! The seed chapter's example stream, read, converted and written back:
//!
//! ```
//! use imagestream::{api, stream};
//!
//! let yaml = include_str!("../../tests/fixtures/seed_imagestream.yaml");
//! let wire: api::ImageStream = serde_saphyr::from_str(yaml)?;
//! let is = stream::ImageStream::try_from(wire.clone())?;
//!
//! // The history is newest first: item 0 is the current image, item 1 the
//! // one it replaced (and can be rolled back to).
//! let latest = is.history("latest").expect("tagged");
//! assert_eq!(latest.len(), 2);
//! assert_eq!(latest.current().unwrap().generation(), 2);
//!
//! // OpenShift accepts the example, but its pull specs and images are
//! // swapped; the consistency report says so.
//! let report = is.consistency_report();
//! assert!(report[0].message.starts_with("dockerImageReference points at sha256:47463d94"));
//!
//! // Back to the wire without loss.
//! assert_eq!(api::ImageStream::from(&is), wire);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod changes;
mod content;
mod context;
mod edit;
mod field_error;
mod generation;
mod history;
mod hold;
mod lookup;
mod mapping;
#[cfg(feature = "policy")]
mod policy;
mod resolve;
mod shared;
mod spec;
mod tracking;
mod update;
mod validate;
mod views;
mod wire;

use std::fmt;
use std::num::NonZeroUsize;

use crate::api;
use crate::reference::{ImageReference, Namespace, StreamName, TagName};

pub use changes::Changes;
pub(crate) use changes::Currents;
pub use content::{Content, ContentError, ImageWrite, seal_image};
pub use context::{AnySource, NoLookup, PullDenied, SourceAccess, SpecContext, StreamLookup};
#[cfg(feature = "policy")]
pub(crate) use edit::set_tag_annotation;
pub use edit::{NoSpecTag, PruneOptions, Pruned, RollbackError, RollbackTarget};
pub use field_error::{FieldError, FieldErrorType, ValidationError};
pub use generation::{GenerationOverflow, SpecChanges, SpecError};
pub use history::{AddOutcome, TagEvent, TagHistory};
pub use hold::{Hold, HoldError};
pub use lookup::{LocalNameError, RESOLVE_NAMES_ANNOTATION, local_name};
pub use mapping::{ImageStreamMapping, MANAGED_IMAGE_ANNOTATION};
#[cfg(feature = "policy")]
pub use policy::{
    CandidateSource, Direction, Platform, PolicyError, PolicyOrder, SemverRange, TagPolicy,
    is_signature_tag, parse_version,
};
pub use resolve::ResolveError;
pub use spec::{ImportMode, ImportPolicy, ReferencePolicy, SpecTag, TagSource};
pub use tracking::{CircularReference, FollowError, FollowErrorKind, Followed, Tracking};
pub use validate::{
    validate_image, validate_image_stream_import, validate_image_stream_mapping,
    validate_image_stream_tag,
};
pub use views::IsTagSpecError;

/// An image stream: spec tags and their histories, valid by construction.
///
/// # Methods, by family and in the order a caller uses them
///
/// A stream comes from the wire or is made new, its spec is edited, its
/// status (the tag histories) moves as images arrive, and it is read,
/// resolved and written back. Every method that changes the stream keeps
/// its invariants (tracking followers, the id index, generations); a
/// method that returns an error has changed nothing.
///
/// 1. **Building.** [`new`](Self::new) (generation 0: not yet created),
///    then [`prepare_for_create`](Self::prepare_for_create) as the server
///    does on create (§8); or `TryFrom<api::ImageStream>`, OpenShift's
///    validation (§4). Storage sets what the server owns:
///    [`set_resource_version`](Self::set_resource_version),
///    [`set_uid`](Self::set_uid),
///    [`set_creation_timestamp`](Self::set_creation_timestamp),
///    [`set_repositories`](Self::set_repositories) or
///    [`decorate`](Self::decorate) from the registry hostnames (§9.1),
///    [`set_annotation`](Self::set_annotation), or all the server's
///    fields at once with [`set_system_fields`](Self::set_system_fields).
/// 2. **Reading.** [`name`](Self::name), [`namespace`](Self::namespace),
///    [`metadata`](Self::metadata), [`generation`](Self::generation),
///    [`lookup_local`](Self::lookup_local),
///    [`docker_image_repository`](Self::docker_image_repository),
///    [`status_repository`](Self::status_repository),
///    [`public_repository`](Self::public_repository),
///    [`spec_tag`](Self::spec_tag), [`spec_tags`](Self::spec_tags),
///    [`history`](Self::history), [`histories`](Self::histories),
///    [`latest_observed_generation`](Self::latest_observed_generation),
///    [`consistency_report`](Self::consistency_report),
///    [`approximate_size`](Self::approximate_size) (for memory budgets)
///    and [`approximate_size_beyond`](Self::approximate_size_beyond) (what
///    a new version costs beyond the one it was copied from),
///    [`status_differs`](Self::status_differs),
///    [`tag_names`](Self::tag_names); for stores that keep tags apart,
///    the wire form in pieces,
///    [`to_wire_without_tags`](Self::to_wire_without_tags) and
///    [`tag_to_wire`](Self::tag_to_wire), and the tags a new version
///    changed, [`tags_changed_since`](Self::tags_changed_since).
/// 3. **Spec edits**, with the server strategy's generation rules and the
///    events `tagsChanged` writes (§8, §9), given a [`SpecContext`]:
///    [`update_spec`](Self::update_spec) (the whole spec),
///    [`set_spec_tag`](Self::set_spec_tag) (one tag),
///    [`remove_spec_tag`](Self::remove_spec_tag) (history kept, §9.4);
///    [`tag_ref_changed`](Self::tag_ref_changed) says whether an edit
///    counts as a change;
///    [`update_keeping_status`](Self::update_keeping_status) is the
///    `update` verb, which keeps the stored status (§9);
///    [`istag_spec`](Self::istag_spec) is the spec tag an `ImageStreamTag`
///    create or update writes; [`set_lookup_local`](Self::set_lookup_local)
///    is `oc set image-lookup`.
/// 4. **Status edits**: images arriving, by the history rules of §5, with
///    followers updated: [`add_event`](Self::add_event),
///    [`add_tag_event`](Self::add_tag_event) (saying what moved),
///    [`apply_mapping`](Self::apply_mapping) (a push, §10); imports are
///    applied by [`ops::import::apply_import`](crate::ops::import::apply_import)
///    (§14).
/// 5. **History**: [`rollback`](Self::rollback) (pins an older image and
///    pushes it on top), [`delete_tag`](Self::delete_tag) (spec and
///    history, §11.4), [`prune`](Self::prune) (§17),
///    [`set_history_limit`](Self::set_history_limit) and
///    [`history_limit`](Self::history_limit); holds that keep policies and
///    scheduled imports off a tag: [`rollback_and_hold`](Self::rollback_and_hold),
///    [`hold`](Self::hold), [`set_hold`](Self::set_hold).
/// 6. **Policies** (feature `policy`): which of many tags a spec tag
///    follows, applied by the controller through
///    [`ops::policy`](crate::ops::policy): [`policy`](Self::policy),
///    [`set_policy`](Self::set_policy) and
///    [`policy_choice`](Self::policy_choice) (the last choice).
/// 7. **Resolution**: what a tag or an id points to (§6, §12):
///    [`latest_tagged_image`](Self::latest_tagged_image),
///    [`image_stream_tag`](Self::image_stream_tag),
///    [`resolve_reference_for_event`](Self::resolve_reference_for_event),
///    [`resolve_pull_spec`](Self::resolve_pull_spec),
///    [`resolve_newest_pull_spec`](Self::resolve_newest_pull_spec),
///    [`resolve_recent_pull_spec`](Self::resolve_recent_pull_spec),
///    [`resolve_image`](Self::resolve_image),
///    [`resolve_image_id`](Self::resolve_image_id); and tracking (§7):
///    [`follow_tag_reference`](Self::follow_tag_reference),
///    [`followers`](Self::followers), and every tag's chain at once with
///    [`tracking`](Self::tracking). The `istag` and `isimage` views
///    (§11.1, §12.2) are assembled by
///    [`image_stream_tag_view`](Self::image_stream_tag_view) and
///    [`image_stream_image_view`](Self::image_stream_image_view), the
///    `istag` a create or update starts from by
///    [`image_stream_tag_without_image`](Self::image_stream_tag_without_image),
///    and the `imagetag` views by [`image_tag`](Self::image_tag) and
///    [`image_tags`](Self::image_tags); a pod's local image name resolves
///    through [`resolve_local_name`](Self::resolve_local_name).
/// 8. **Back to the wire**: `From<&ImageStream> for api::ImageStream`,
///    without loss.
///
/// # Copies share what they do not change
///
/// The spec tags, the tag histories and the follower map are kept in
/// sorted chunks of shared entries (copy on write): cloning a stream
/// costs a few reference counts and its metadata, whatever its size, and
/// an edit copies only the entries it changes (plus one chunk of
/// pointers). Comparing two versions checks shared parts by pointer. So
/// a write through the service (read a copy, change one tag, store it)
/// costs what it changes, and a store that keeps many versions keeps one
/// stream plus their changes
/// ([`approximate_size_beyond`](Self::approximate_size_beyond) estimates
/// what a version adds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageStream {
    api_version: String,
    /// Metadata; `name` and `namespace` always equal the typed fields.
    meta: api::ObjectMeta,
    name: StreamName,
    namespace: Namespace,
    lookup_local: bool,
    docker_image_repository: Option<ImageReference>,
    spec_tags: shared::TagMap<SpecTag>,
    status_repository: String,
    public_repository: String,
    histories: shared::TagMap<TagHistory>,
    /// Image id index, built by the first id lookup, then kept in step.
    index: resolve::ImageIndex,
    /// Optional cap on every tag's history length.
    history_limit: Option<NonZeroUsize>,
    /// Derived from the spec: tag -> the tags that track it, by name.
    followers: shared::TagMap<Vec<TagName>>,
    /// Whether every spec tag is known to pass the typed checks and to
    /// have its generation set (`None`: not yet known, as after reading
    /// the wire), so one tag can be set without touching the others.
    spec_clean: SpecClean,
}

/// Derived knowledge about the spec: never makes two streams differ.
#[derive(Debug, Clone, Copy, Default)]
struct SpecClean(Option<bool>);

impl PartialEq for SpecClean {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for SpecClean {}

impl ImageStream {
    /// An empty stream `namespace/name` (generation 0: not yet created).
    ///
    /// # Errors
    ///
    /// `'namespace/name' cannot be longer than 255 characters`.
    pub fn new(
        namespace: Namespace,
        name: StreamName,
    ) -> Result<Self, crate::reference::ReferenceError> {
        name.check_qualified(&namespace)?;
        Ok(Self {
            api_version: api::API_VERSION.to_owned(),
            meta: api::ObjectMeta {
                name: name.to_string(),
                namespace: namespace.to_string(),
                ..api::ObjectMeta::default()
            },
            name,
            namespace,
            lookup_local: false,
            docker_image_repository: None,
            spec_tags: shared::TagMap::new(),
            status_repository: String::new(),
            public_repository: String::new(),
            histories: shared::TagMap::new(),
            index: resolve::ImageIndex::default(),
            history_limit: None,
            followers: shared::TagMap::new(),
            spec_clean: SpecClean(Some(true)),
        })
    }

    /// The stream's name.
    #[must_use]
    pub fn name(&self) -> &StreamName {
        &self.name
    }

    /// The stream's namespace.
    #[must_use]
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// The object metadata (labels, annotations, generation, …).
    #[must_use]
    pub fn metadata(&self) -> &api::ObjectMeta {
        &self.meta
    }

    /// Records the store's resource version in the metadata (for
    /// [`StreamStore`](crate::ports::StreamStore) implementations).
    pub fn set_resource_version(&mut self, version: u64) {
        self.meta.resource_version = version.to_string();
    }

    /// Records the store-assigned uid in the metadata.
    pub fn set_uid(&mut self, uid: String) {
        self.meta.uid = uid;
    }

    /// Sets the fields only a server sets, for
    /// [`StreamStore`](crate::ports::StreamStore) implementations: the uid,
    /// the resource version, the creation time, and the deletion request
    /// (`deletionTimestamp`, `deletionGracePeriodSeconds`; `None` clears
    /// both, as a create does).
    pub fn set_system_fields(
        &mut self,
        uid: String,
        resource_version: u64,
        created: Option<chrono::DateTime<chrono::Utc>>,
        deletion: Option<(Option<chrono::DateTime<chrono::Utc>>, Option<i64>)>,
    ) {
        self.meta.uid = uid;
        self.meta.resource_version = resource_version.to_string();
        self.meta.creation_timestamp = created;
        let (at, grace) = deletion.unwrap_or_default();
        self.meta.deletion_timestamp = at;
        self.meta.deletion_grace_period_seconds = grace;
    }

    /// A rough count of the bytes the stream holds, inline and on the
    /// heap (for memory budgets such as
    /// [`MemoryStore`](crate::ports::MemoryStore)'s change log): O(tags +
    /// entries).
    #[must_use]
    pub fn approximate_size(&self) -> usize {
        let spec: usize = self.spec_tags.iter().map(spec_size).sum();
        let status: usize = self.histories.iter().map(history_size).sum();
        self.own_size()
            + spec
            + status
            + self.followers.len() * std::mem::size_of::<(TagName, Vec<TagName>)>()
    }

    /// A rough count of the bytes this stream holds that `previous` (an
    /// earlier version of it, which it was copied from) does not share
    /// with it: the metadata, the spec tags and histories changed since,
    /// and the follower map when it changed. Copies of a stream share
    /// every tag they do not change, so this is what keeping both costs
    /// beyond `previous`, in O(tags changed + tags / 64).
    ///
    /// ```
    /// use imagestream::reference::{Namespace, StreamName, TagName};
    /// use imagestream::stream::{ImageStream, TagEvent};
    /// # use imagestream::reference::{Digest, ImageReference};
    /// # use imagestream::chrono::{TimeZone, Utc};
    ///
    /// let mut is = ImageStream::new(Namespace::parse("test")?, StreamName::parse("app")?)?;
    /// # let push = |n: u32| -> Result<TagEvent, Box<dyn std::error::Error>> {
    /// #     let d = Digest::of_sha256(&n.to_be_bytes());
    /// #     let spec = ImageReference::parse(&format!("172.30.1.1:5000/test/app@{d}"))?;
    /// #     Ok(TagEvent::new(spec, Some(d), 1, Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()))
    /// # };
    /// for n in 0..100 {
    ///     is.add_event(&TagName::parse(&format!("t{n}"))?, push(n)?);
    /// }
    /// let mut next = is.clone();
    /// next.add_event(&TagName::parse("t7")?, push(1_000)?);
    /// assert!(next.approximate_size_beyond(&is) * 10 < next.approximate_size());
    /// assert!(is.approximate_size_beyond(&is) < is.approximate_size() / 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn approximate_size_beyond(&self, previous: &ImageStream) -> usize {
        let spec: usize = self
            .spec_tags
            .unshared_with(&previous.spec_tags)
            .into_iter()
            .map(spec_size)
            .sum();
        let status: usize = self
            .histories
            .unshared_with(&previous.histories)
            .into_iter()
            .map(history_size)
            .sum();
        let followers = if self.followers.unshared_with(&previous.followers).is_empty() {
            0
        } else {
            self.followers.len() * std::mem::size_of::<(TagName, Vec<TagName>)>()
        };
        self.own_size() + spec + status + followers
    }

    /// The bytes outside the tag maps.
    fn own_size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.meta.approximate_size()
            + self.status_repository.len()
            + self.public_repository.len()
    }

    /// Records when the stream was created.
    pub fn set_creation_timestamp(&mut self, at: chrono::DateTime<chrono::Utc>) {
        self.meta.creation_timestamp = Some(at);
    }

    /// Sets the repository fields of the status (§9.1): where images are
    /// pushed, and the same from outside the cluster.
    pub fn set_repositories(&mut self, internal: String, public: String) {
        self.status_repository = internal;
        self.public_repository = public;
    }

    /// The strategy's `Decorate` (OAS `registry/imagestream/strategy.go`,
    /// §9.1): the repository fields are computed, not stored.
    /// `status.dockerImageRepository` is `<internal>/<namespace>/<name>`
    /// when the integrated registry's hostname is known, else
    /// `spec.dockerImageRepository`; `status.publicDockerImageRepository` is
    /// `<public>/<namespace>/<name>` when a public hostname is configured,
    /// else empty. The service runs it on every read and before every
    /// write, so a hostname change reaches streams stored before it.
    ///
    /// ```
    /// use imagestream::reference::{Namespace, StreamName};
    /// use imagestream::stream::ImageStream;
    ///
    /// let mut is = ImageStream::new(Namespace::parse("ns")?, StreamName::parse("py")?)?;
    /// is.decorate(Some("172.30.1.1:5000"), Some("registry.example.com"));
    /// assert_eq!(is.status_repository(), "172.30.1.1:5000/ns/py");
    /// assert_eq!(is.public_repository(), "registry.example.com/ns/py");
    /// is.decorate(None, None);
    /// assert_eq!((is.status_repository(), is.public_repository()), ("", ""));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decorate(&mut self, internal: Option<&str>, public: Option<&str>) {
        let at = |host: &str| format!("{host}/{}/{}", self.namespace, self.name);
        self.status_repository = match internal {
            Some(host) => at(host),
            None => self
                .docker_image_repository
                .as_ref()
                .map_or_else(String::new, |r| r.as_str().to_owned()),
        };
        self.public_repository = public.map_or_else(String::new, at);
    }

    /// Sets an annotation on the stream (not a spec change: the generation
    /// stays).
    pub fn set_annotation(&mut self, key: &str, value: String) {
        self.meta.annotations.insert(key.to_owned(), value);
    }

    /// A tag's history, created empty if the tag has none (for writing
    /// conditions on a tag that has no entries yet).
    pub(crate) fn history_or_default(&mut self, tag: &TagName) -> &mut TagHistory {
        self.histories.get_or_insert_default(tag)
    }

    /// `latestObservedTagGeneration` (§8): the newest generation the status
    /// has seen for `tag`: its current entry's or its first
    /// `ImportSuccess` condition's, whichever is newer; 0 without either.
    #[must_use]
    pub fn latest_observed_generation(&self, tag: &str) -> i64 {
        let Some(h) = self.histories.get(tag) else {
            return 0;
        };
        let current = h.current().map_or(0, TagEvent::generation);
        let condition = h
            .conditions()
            .iter()
            .find(|c| c.type_ == "ImportSuccess")
            .map_or(0, |c| c.generation);
        current.max(condition)
    }

    /// The stream generation (`metadata.generation`).
    #[must_use]
    pub fn generation(&self) -> i64 {
        self.meta.generation
    }

    /// Whether short references resolve through this stream
    /// (`spec.lookupPolicy.local`).
    #[must_use]
    pub fn lookup_local(&self) -> bool {
        self.lookup_local
    }

    /// The deprecated repository the whole stream is backed by.
    #[must_use]
    pub fn docker_image_repository(&self) -> Option<&ImageReference> {
        self.docker_image_repository.as_ref()
    }

    /// Where images can be pushed into this stream
    /// (`status.dockerImageRepository`).
    #[must_use]
    pub fn status_repository(&self) -> &str {
        &self.status_repository
    }

    /// The same from outside the cluster.
    #[must_use]
    pub fn public_repository(&self) -> &str {
        &self.public_repository
    }

    /// The spec tag `tag`, if any.
    #[must_use]
    pub fn spec_tag(&self, tag: &str) -> Option<&SpecTag> {
        self.spec_tags.get(tag)
    }

    /// Every spec tag, by name.
    #[must_use]
    pub fn spec_tags(&self) -> impl ExactSizeIterator<Item = (&TagName, &SpecTag)> {
        self.spec_tags.iter()
    }

    /// The history of `tag`, if it has one.
    #[must_use]
    pub fn history(&self, tag: &str) -> Option<&TagHistory> {
        self.histories.get(tag)
    }

    /// Every tag history, by name.
    #[must_use]
    pub fn histories(&self) -> impl ExactSizeIterator<Item = (&TagName, &TagHistory)> {
        self.histories.iter()
    }

    /// Things OpenShift accepts but that are probably mistakes: a pull spec
    /// whose digest is not the event's image, history entries out of time
    /// order, events from a generation the stream has not reached.
    #[must_use]
    pub fn consistency_report(&self) -> Vec<Inconsistency> {
        let mut out = Vec::new();
        for (tag, history) in &self.histories {
            let newest_first: Vec<&TagEvent> = history.iter().collect();
            for (i, e) in newest_first.iter().enumerate() {
                let path = format!("status.tags[{tag}].items[{i}]");
                if let (Some(spec_digest), Some(image)) = (e.pull_spec.digest(), e.image())
                    && spec_digest != image
                {
                    out.push(Inconsistency {
                        message: format!(
                            "dockerImageReference points at {spec_digest} but image is {image}"
                        ),
                        path: path.clone(),
                    });
                }
                if let (Some(newer), Some(older)) =
                    (e.created, newest_first.get(i + 1).and_then(|o| o.created))
                    && newer < older
                {
                    out.push(Inconsistency {
                        message: format!(
                            "created {} is older than the entry below it ({})",
                            newer.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                            older.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                        ),
                        path: path.clone(),
                    });
                }
                if e.generation > self.meta.generation && self.meta.generation > 0 {
                    out.push(Inconsistency {
                        message: format!(
                            "generation {} is newer than the stream's generation {}",
                            e.generation, self.meta.generation
                        ),
                        path,
                    });
                }
            }
        }
        out
    }
}

/// The estimated bytes of one spec tag, with its name (and its share of
/// the map's pointers).
fn spec_size((t, s): (&TagName, &SpecTag)) -> usize {
    use std::mem::size_of;
    size_of::<(TagName, SpecTag)>()
        + 3 * size_of::<usize>()
        + t.as_str().len()
        + s.source().map_or(0, |src| src.name().len())
        + s.annotations().map_or(0, |a| {
            a.iter()
                .map(|(k, v)| k.len() + v.len() + 2 * size_of::<String>())
                .sum()
        })
}

/// The estimated bytes of one tag history, with its name (and its share
/// of the map's pointers).
fn history_size((t, h): (&TagName, &TagHistory)) -> usize {
    use std::mem::size_of;
    size_of::<(TagName, TagHistory)>()
        + 3 * size_of::<usize>()
        + t.as_str().len()
        + h.iter()
            .map(|e| size_of::<TagEvent>() + e.pull_spec().as_str().len())
            .sum::<usize>()
        + h.conditions
            .iter()
            .map(|c| size_of::<api::TagEventCondition>() + c.message.len() + c.reason.len())
            .sum::<usize>()
}

/// A suspicious but accepted detail of a stream: `path: message`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Inconsistency {
    /// Where, e.g. `status.tags[latest].items[0]`.
    pub path: String,
    /// What looks wrong.
    pub message: String,
}

impl fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}
