//! Tag history: the stack of images a tag has pointed to, newest first.

use chrono::{DateTime, Utc};

use crate::api;
use crate::reference::{Digest, ImageReference};

/// One entry of a tag's history: which image, from where, when, and at
/// which stream generation.
///
/// About 80 bytes plus the pull spec's text: the image digest is not stored
/// again when the pull spec already ends in it (the normal case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TagEvent {
    pub(crate) created: Option<DateTime<Utc>>,
    pub(crate) pull_spec: ImageReference,
    image: EventImage,
    pub(crate) generation: i64,
}

/// Where a tag event's image digest is kept. Always the canonical choice,
/// so derived equality is value equality.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum EventImage {
    /// A reference tag: no image.
    None,
    /// The pull spec's id is the image's digest.
    PullSpecId,
    /// A digest that is not the pull spec's id (boxed: rare).
    Other(Box<Digest>),
}

impl EventImage {
    fn new(pull_spec: &ImageReference, image: Option<Digest>) -> Self {
        match image {
            None => Self::None,
            Some(d) if pull_spec.id() == Some(d.as_str()) => Self::PullSpecId,
            Some(d) => Self::Other(Box::new(d)),
        }
    }
}

impl TagEvent {
    /// An event for `image` (a digest, or `None` for a reference tag) pulled
    /// from `pull_spec`.
    #[must_use]
    pub fn new(
        pull_spec: ImageReference,
        image: Option<Digest>,
        generation: i64,
        created: DateTime<Utc>,
    ) -> Self {
        Self::from_parts(Some(created), pull_spec, image, generation)
    }

    pub(crate) fn from_parts(
        created: Option<DateTime<Utc>>,
        pull_spec: ImageReference,
        image: Option<Digest>,
        generation: i64,
    ) -> Self {
        Self {
            created,
            image: EventImage::new(&pull_spec, image),
            pull_spec,
            generation,
        }
    }

    /// When the entry was created (`None` when the wire had `null`).
    #[must_use]
    pub fn created(&self) -> Option<DateTime<Utc>> {
        self.created
    }

    /// The pull spec (`dockerImageReference`).
    #[must_use]
    pub fn pull_spec(&self) -> &ImageReference {
        &self.pull_spec
    }

    /// The image (its digest); `None` for reference tags. Cheap: a sha256
    /// digest is copied inline, without allocating.
    #[must_use]
    pub fn image(&self) -> Option<Digest> {
        match &self.image {
            EventImage::None => None,
            EventImage::PullSpecId => self.pull_spec.digest(),
            EventImage::Other(d) => Some((**d).clone()),
        }
    }

    /// Whether the image is `digest`, without building a [`Digest`].
    #[must_use]
    pub fn has_image(&self, digest: &Digest) -> bool {
        match &self.image {
            EventImage::None => false,
            EventImage::PullSpecId => self.pull_spec.id() == Some(digest.as_str()),
            EventImage::Other(d) => **d == *digest,
        }
    }

    /// The image's text (`image` on the wire; empty for reference tags).
    #[must_use]
    pub fn image_str(&self) -> &str {
        match &self.image {
            EventImage::None => "",
            EventImage::PullSpecId => self.pull_spec.id().unwrap_or_default(),
            EventImage::Other(d) => d.as_str(),
        }
    }

    /// The stream generation that produced this entry.
    #[must_use]
    pub fn generation(&self) -> i64 {
        self.generation
    }

    pub(crate) fn to_wire(&self) -> api::TagEvent {
        api::TagEvent {
            created: self.created,
            docker_image_reference: self.pull_spec.as_str().to_owned(),
            image: self.image_str().to_owned(),
            generation: self.generation,
        }
    }
}

/// A tag's history, newest first: item 0 is the current image.
///
/// Stored oldest first internally, so adding a new current entry is an
/// amortised O(1) push whatever the history's length.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagHistory {
    /// Oldest first.
    pub(crate) events: Vec<TagEvent>,
    pub(crate) conditions: Vec<api::TagEventCondition>,
}

impl TagHistory {
    /// The current entry (item 0 on the wire), if any.
    #[must_use]
    pub fn current(&self) -> Option<&TagEvent> {
        self.events.last()
    }

    /// The entries, newest first.
    #[must_use]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &TagEvent> + ExactSizeIterator {
        self.events.iter().rev()
    }

    /// The entry at `revision` (0 = current), newest first.
    #[must_use]
    pub fn get(&self, revision: usize) -> Option<&TagEvent> {
        self.events
            .len()
            .checked_sub(revision + 1)
            .and_then(|i| self.events.get(i))
    }

    /// How many entries there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether there are no entries (a tag with only a condition).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The tag's conditions (`ImportSuccess`).
    #[must_use]
    pub fn conditions(&self) -> &[api::TagEventCondition] {
        &self.conditions
    }
}

impl<'a> IntoIterator for &'a TagHistory {
    type Item = &'a TagEvent;
    type IntoIter = std::iter::Rev<std::slice::Iter<'a, TagEvent>>;
    fn into_iter(self) -> Self::IntoIter {
        self.events.iter().rev()
    }
}
