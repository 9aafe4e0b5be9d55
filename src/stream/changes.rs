//! What a domain operation changed: one outcome type for every write.

use std::collections::BTreeMap;

use crate::reference::{Digest, TagName};

use super::ImageStream;
use super::edit::Pruned;

/// What a domain operation did to a stream, so that the caller can write
/// it (or not), store the images it names and fire triggers.
///
/// Every write of [`ImageStream`] reports one (spec changes, rollbacks,
/// mappings, imports, pruning, history limits, tag deletion) and the
/// service returns it from its writes. `Changes::default()` is "nothing
/// changed".
///
/// ```
/// use imagestream::chrono::{TimeZone, Utc};
/// use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
/// use imagestream::stream::{ImageStream, TagEvent};
///
/// let mut is = ImageStream::new(Namespace::parse("test")?, StreamName::parse("app")?)?;
/// let latest = TagName::parse("latest")?;
/// let image = Digest::of_sha256(b"a");
/// let spec = ImageReference::parse(&format!("172.30.1.1:5000/test/app@{image}"))?;
/// let at = Utc.with_ymd_and_hms(2017, 9, 29, 13, 40, 11).unwrap();
/// let changes = is.add_tag_event(&latest, TagEvent::new(spec.clone(), Some(image.clone()), 1, at));
/// assert!(changes.changed());
/// assert_eq!(changes.moved(), [latest.clone()]); // fire triggers on `latest`
/// // The same event again changes nothing.
/// let again = is.add_tag_event(&latest, TagEvent::new(spec, Some(image), 1, at));
/// assert!(!again.changed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Changes {
    /// The stream generation after the operation.
    pub generation: i64,
    /// Whether the generation was bumped.
    pub generation_bumped: bool,
    /// Tags whose history changed (directly or by tracking), in order.
    pub histories_changed: Vec<TagName>,
    /// Tags whose current image (pull spec or image) changed, or that
    /// lost their history, sorted by name: what triggers fire on.
    pub moved: Vec<TagName>,
    /// Entries removed by pruning or a history limit.
    pub pruned: Vec<Pruned>,
    /// Images the operation stored (the service fills this in for
    /// mappings and imports; images already stored are not listed).
    pub images_created: Vec<Digest>,
    /// Human-readable messages (for `oc tag`, the per-destination lines).
    pub messages: Vec<String>,
    /// Whether the stream changed at all, so it must be written.
    pub changed: bool,
}

impl Changes {
    /// Whether the stream changed (and must be written).
    #[must_use]
    pub fn changed(&self) -> bool {
        self.changed
    }

    /// The tags whose current image changed, sorted by name.
    #[must_use]
    pub fn moved(&self) -> &[TagName] {
        &self.moved
    }

    /// Folds `other` (a later change of the same stream) into this one.
    pub fn merge(&mut self, other: Changes) {
        self.generation = other.generation;
        self.generation_bumped |= other.generation_bumped;
        for t in other.histories_changed {
            if !self.histories_changed.contains(&t) {
                self.histories_changed.push(t);
            }
        }
        self.moved.extend(other.moved);
        self.moved.sort();
        self.moved.dedup();
        self.pruned.extend(other.pruned);
        self.images_created.extend(other.images_created);
        self.messages.extend(other.messages);
        self.changed |= other.changed;
    }
}

/// The current entry of every tag (pull spec and image), to tell which
/// tags moved across an operation.
#[derive(Debug)]
pub(crate) struct Currents(BTreeMap<TagName, (String, String)>);

impl Currents {
    pub(crate) fn of(stream: &ImageStream) -> Self {
        Self(
            stream
                .histories
                .iter()
                .filter_map(|(t, h)| {
                    h.current().map(|e| {
                        (
                            t.clone(),
                            (e.pull_spec().as_str().to_owned(), e.image_str().to_owned()),
                        )
                    })
                })
                .collect(),
        )
    }

    /// The current entries of `tags` only (for an operation that can touch
    /// no other tag).
    pub(crate) fn of_tags(stream: &ImageStream, tags: &[TagName]) -> Self {
        Self(
            tags.iter()
                .filter_map(|t| {
                    stream
                        .histories
                        .get(t.as_str())
                        .and_then(|h| h.current())
                        .map(|e| {
                            (
                                t.clone(),
                                (e.pull_spec().as_str().to_owned(), e.image_str().to_owned()),
                            )
                        })
                })
                .collect(),
        )
    }

    /// Which of `tags` have another current entry in `stream` than in this
    /// snapshot, sorted by name.
    pub(crate) fn moved_among(&self, stream: &ImageStream, tags: &[TagName]) -> Vec<TagName> {
        let mut moved: Vec<TagName> = tags
            .iter()
            .filter(|t| {
                let now = stream
                    .histories
                    .get(t.as_str())
                    .and_then(|h| h.current())
                    .map(|e| (e.pull_spec().as_str(), e.image_str()));
                now != self.0.get(*t).map(|(p, i)| (p.as_str(), i.as_str()))
            })
            .cloned()
            .collect();
        moved.sort();
        moved.dedup();
        moved
    }

    /// The outcome for `stream` after the operation: tags whose current
    /// entry differs from this snapshot, and whether anything differs
    /// from `before` at all.
    pub(crate) fn changes(&self, stream: &ImageStream, changed: bool) -> Changes {
        let after = Self::of(stream);
        let mut moved: Vec<TagName> = after
            .0
            .iter()
            .filter(|(t, now)| self.0.get(*t) != Some(*now))
            .map(|(t, _)| t.clone())
            .collect();
        moved.extend(self.0.keys().filter(|t| !after.0.contains_key(*t)).cloned());
        moved.sort();
        Changes {
            generation: stream.generation(),
            moved,
            changed,
            ..Changes::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::reference::{ImageReference, Namespace, StreamName};
    use crate::stream::{SpecContext, SpecTag, TagEvent, TagSource};

    fn tag(s: &str) -> TagName {
        TagName::parse(s).unwrap()
    }

    fn push(content: &[u8]) -> TagEvent {
        let d = Digest::of_sha256(content);
        let spec = ImageReference::parse(&format!("172.30.1.1:5000/test/app@{d}")).unwrap();
        TagEvent::new(
            spec,
            Some(d),
            1,
            Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap(),
        )
    }

    #[test]
    fn followers_move_with_their_target_and_repeats_change_nothing() {
        let mut is = ImageStream::new(
            Namespace::parse("test").unwrap(),
            StreamName::parse("app").unwrap(),
        )
        .unwrap();
        let ctx = SpecContext::new(Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap());
        let alias = SpecTag::new(TagSource::ImageStreamTag {
            namespace: None,
            stream: None,
            tag: tag("latest"),
        });
        is.set_spec_tag(tag("stable"), alias, &ctx).unwrap();
        let changes = is.add_tag_event(&tag("latest"), push(b"a"));
        assert!(changes.changed());
        assert_eq!(changes.moved(), [tag("latest"), tag("stable")]);
        assert_eq!(changes.histories_changed, [tag("latest"), tag("stable")]);
        let again = is.add_tag_event(&tag("latest"), push(b"a"));
        assert_eq!(
            again,
            Changes {
                generation: is.generation(),
                ..Changes::default()
            }
        );
        // Deleting a tag with a current image moves it (to nothing).
        let deleted = is.delete_tag("stable").unwrap();
        assert_eq!(deleted.moved(), [tag("stable")]);
        assert!(deleted.generation_bumped);
    }

    #[test]
    fn merge_keeps_order_and_unions() {
        let mut a = Changes {
            histories_changed: vec![tag("b")],
            moved: vec![tag("b")],
            changed: true,
            ..Changes::default()
        };
        a.merge(Changes {
            generation: 3,
            histories_changed: vec![tag("a"), tag("b")],
            moved: vec![tag("a")],
            ..Changes::default()
        });
        assert_eq!(a.generation, 3);
        assert_eq!(a.histories_changed, [tag("b"), tag("a")]);
        assert_eq!(a.moved, [tag("a"), tag("b")]);
        assert!(a.changed());
    }
}
