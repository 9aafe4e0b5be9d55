//! Whole image streams, on the wire and in the domain.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::{Mode, any_digest, namespace, reference_string, stream_name, tag_name};
use crate::api;
use crate::generated::{SourcePlan, StreamPlan, TagPlan};
use crate::stream::ImageStream;

/// How big generated streams get: at most [`tags`](Self::tags) tags, each
/// with at most [`events`](Self::events) history entries. Shrinking goes
/// toward an empty stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamSize {
    /// The most tags (spec or status) a stream has.
    pub tags: usize,
    /// The most history entries a tag has.
    pub events: usize,
}

impl StreamSize {
    /// At most `tags` tags with at most `events` entries each.
    #[must_use]
    pub const fn new(tags: usize, events: usize) -> Self {
        Self { tags, events }
    }
}

impl Default for StreamSize {
    /// 8 tags, 4 entries each: big enough for tracking chains and
    /// rollbacks, small enough for thousands of cases a second.
    fn default() -> Self {
        Self::new(8, 4)
    }
}

fn source() -> BoxedStrategy<SourcePlan> {
    prop_oneof![
        1 => Just(SourcePlan::StatusOnly),
        1 => Just(SourcePlan::Empty),
        3 => reference_string(Mode::OpenShift).prop_map(SourcePlan::External),
        3 => any::<usize>().prop_map(SourcePlan::Tracking),
        1 => (prop::option::of(namespace()), stream_name(), tag_name()).prop_map(
            |(namespace, stream, tag)| SourcePlan::OtherStreamTag { namespace, stream, tag }
        ),
        1 => (
            prop::option::of(namespace()),
            prop::option::of(stream_name()),
            any_digest(),
            prop::option::of(6usize..20),
        )
            .prop_map(|(namespace, stream, digest, prefix)| SourcePlan::Image {
                namespace,
                stream,
                digest,
                prefix,
            }),
    ]
    .boxed()
}

fn tag(events: usize) -> BoxedStrategy<TagPlan> {
    (
        tag_name(),
        source(),
        any::<[bool; 4]>(),
        0u8..3,
        prop::option::of(0u8..20),
        prop::collection::vec((any_digest(), 0u8..20), 0..=events),
        prop::option::weighted(0.2, any::<u8>()),
    )
        .prop_map(
            |(name, source, flags, import_mode, generation, events, failure)| TagPlan {
                name,
                source,
                flags,
                import_mode,
                generation,
                events,
                failure,
            },
        )
        .boxed()
}

fn plan(size: StreamSize) -> BoxedStrategy<StreamPlan> {
    (
        namespace(),
        stream_name(),
        any::<bool>(),
        0u8..20,
        prop::option::weighted(0.9, any::<u32>()),
        prop::collection::btree_map("[a-z]{1,6}(/[a-z]{1,6})?", "[ -~]{0,10}", 0..3),
        prop::collection::vec(tag(size.events), 0..=size.tags),
    )
        .prop_map(
            |(namespace, name, lookup_local, generation, created, labels, tags)| StreamPlan {
                namespace,
                name,
                lookup_local,
                generation,
                created,
                labels,
                tags,
            },
        )
        .boxed()
}

/// Wire image streams that [`stream::ImageStream`](ImageStream) accepts:
/// spec tags of every source kind (external images with every reference
/// shape, tracking tags forming chains, other streams' tags, images pinned
/// by digest or id prefix, none), every import and reference policy,
/// histories of several entries, failed-import conditions, and tags that
/// only have a status.
///
/// ```
/// use imagestream::strategy::{StreamSize, api_image_stream};
/// use imagestream::{api, stream};
/// use proptest::prelude::*;
///
/// proptest!(|(wire in api_image_stream(StreamSize::new(4, 2)))| {
///     let domain = stream::ImageStream::try_from(wire.clone()).unwrap();
///     prop_assert_eq!(api::ImageStream::from(&domain), wire);
/// });
/// ```
pub fn api_image_stream(size: StreamSize) -> BoxedStrategy<api::ImageStream> {
    plan(size).prop_map(|p| p.render()).boxed()
}

/// Domain image streams: [`api_image_stream`] converted.
pub fn image_stream(size: StreamSize) -> BoxedStrategy<ImageStream> {
    api_image_stream(size)
        .prop_filter_map("valid by construction", |w| ImageStream::try_from(w).ok())
        .boxed()
}
