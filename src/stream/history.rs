//! Tag history: the stack of images a tag has pointed to, newest first.

use std::collections::VecDeque;

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

    /// The image when the pull spec does not carry it as its id, as after
    /// a pull-through or a mirror (`oc describe` then shows it beside the
    /// entry); `None` when the pull spec ends in it, or for reference tags.
    ///
    /// ```
    /// use imagestream::reference::{Digest, ImageReference};
    /// use imagestream::stream::TagEvent;
    /// # use imagestream::chrono::DateTime;
    /// # let now = DateTime::from_timestamp(0, 0).unwrap();
    /// let d = Digest::of_sha256(b"layer");
    /// let by_digest = ImageReference::parse(&format!("quay.io/app@{d}"))?;
    /// assert_eq!(TagEvent::new(by_digest, Some(d.clone()), 1, now).image_not_in_pull_spec(), None);
    /// let by_tag = ImageReference::parse("quay.io/app:v1")?;
    /// let e = TagEvent::new(by_tag, Some(d.clone()), 1, now);
    /// assert_eq!(e.image_not_in_pull_spec(), Some(d.as_str()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn image_not_in_pull_spec(&self) -> Option<&str> {
        match &self.image {
            EventImage::Other(d) => Some(d.as_str()),
            EventImage::None | EventImage::PullSpecId => None,
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
///
/// The seed chapter's section 6.4, "Imagestreamtag with two images in its
/// history": the first entry is what the tag points at, the second what it
/// pointed at before, and rolling back puts that one on top again.
///
/// ```
/// use imagestream::chrono::{TimeZone, Utc};
/// use imagestream::reference::TagName;
/// use imagestream::stream::{ImageStream, RollbackTarget};
///
/// let yaml = r#"
/// metadata: {name: origin-ruby-sample, namespace: test}
/// status:
///   tags:
///   - items:
///     - created: 2017-09-02T10:15:09Z
///       dockerImageReference: 172.30.56.218:5000/test/origin-ruby-sample@sha256:47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d
///       generation: 2
///       image: sha256:909de62d1f609a717ec433cc25ca5cf00941545c83a01fb31527771e1fab3fc5
///     - created: 2017-09-29T13:40:11Z
///       dockerImageReference: 172.30.56.218:5000/test/origin-ruby-sample@sha256:909de62d1f609a717ec433cc25ca5cf00941545c83a01fb31527771e1fab3fc5
///       generation: 1
///       image: sha256:47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d
///     tag: latest
/// "#;
/// let wire: imagestream::api::ImageStream = serde_saphyr::from_str(yaml)?;
/// let mut is = ImageStream::try_from(wire)?;
///
/// let history = is.history("latest").expect("tagged");
/// let images: Vec<&str> = history.iter().map(|e| &e.image_str()[7..15]).collect();
/// assert_eq!(images, ["909de62d", "47463d94"]); // current, then previous
///
/// // Roll back to the previous image: it is pinned and pushed on top.
/// let now = Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap();
/// is.rollback(&TagName::parse("latest")?, &RollbackTarget::Revision(1), now)?;
/// let history = is.history("latest").unwrap();
/// assert_eq!(&history.current().unwrap().image_str()[7..15], "47463d94");
/// assert_eq!(history.len(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagHistory {
    /// Oldest first (a ring buffer, so capped histories drop their oldest
    /// entry in O(1)).
    pub(crate) events: VecDeque<TagEvent>,
    pub(crate) conditions: Vec<api::TagEventCondition>,
}

impl TagHistory {
    /// The current entry (item 0 on the wire), if any.
    #[must_use]
    pub fn current(&self) -> Option<&TagEvent> {
        self.events.back()
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
            .checked_sub(revision.checked_add(1)?)
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
    type IntoIter = std::iter::Rev<std::collections::vec_deque::Iter<'a, TagEvent>>;
    fn into_iter(self) -> Self::IntoIter {
        self.events.iter().rev()
    }
}

/// What [`TagHistory::add`] did (the §5 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddOutcome {
    /// Pull spec, image and generation all matched: nothing changed.
    Unchanged,
    /// Only the generation of the current entry changed.
    GenerationUpdated,
    /// The current entry was rewritten in place (same pull spec or same
    /// image); its `created` is kept.
    Rewritten,
    /// A new current entry was pushed on top.
    Pushed,
}

impl AddOutcome {
    /// Whether anything changed (the Go helper's `bool`).
    #[must_use]
    pub fn changed(self) -> bool {
        self != Self::Unchanged
    }
}

impl TagHistory {
    /// OpenShift's `AddTagEventToImageStream` for this tag (§5): push `next`
    /// only when both its pull spec and its image differ from the current
    /// entry's; otherwise rewrite the current entry in place (keeping its
    /// `created`). Any change clears the conditions; an empty history
    /// becomes `[next]` and loses its conditions. Amortised O(1).
    pub fn add(&mut self, next: TagEvent) -> AddOutcome {
        let Some(prev) = self.events.back_mut() else {
            self.events.push_back(next);
            self.conditions.clear();
            return AddOutcome::Pushed;
        };
        let same_ref = prev.pull_spec.as_str() == next.pull_spec.as_str();
        let same_image = prev.image_str() == next.image_str();
        let outcome = match (same_ref, same_image) {
            (true, true) if prev.generation == next.generation => return AddOutcome::Unchanged,
            (true, true) => {
                prev.generation = next.generation;
                AddOutcome::GenerationUpdated
            }
            (true, false) | (false, true) => {
                *prev = TagEvent::from_parts(
                    prev.created,
                    next.pull_spec.clone(),
                    next.image(),
                    next.generation,
                );
                AddOutcome::Rewritten
            }
            (false, false) => {
                self.events.push_back(next);
                AddOutcome::Pushed
            }
        };
        self.conditions.clear();
        outcome
    }

    /// Drops the oldest entries beyond `max` (never the current one).
    /// Returns what was dropped, oldest first.
    pub(crate) fn truncate_to(&mut self, max: usize) -> Vec<TagEvent> {
        let max = max.max(1);
        if self.events.len() <= max {
            return Vec::new();
        }
        let excess = self.events.len() - max;
        self.events.drain(..excess).collect()
    }

    /// Keeps the entries for which `keep(revision, event)` holds (revision 0
    /// = current); returns the removed ones with their revisions, newest
    /// first.
    pub(crate) fn retain_revisions(
        &mut self,
        mut keep: impl FnMut(usize, &TagEvent) -> bool,
    ) -> Vec<(usize, TagEvent)> {
        let n = self.events.len();
        let mut removed = Vec::new();
        let mut kept = VecDeque::with_capacity(n);
        for (i, e) in std::mem::take(&mut self.events).into_iter().enumerate() {
            let revision = n - 1 - i;
            if keep(revision, &e) {
                kept.push_back(e);
            } else {
                removed.push((revision, e));
            }
        }
        self.events = kept;
        removed.reverse();
        removed
    }
}
