//! Changing histories: add, delete, rollback, limits and pruning.

use std::num::NonZeroUsize;

use chrono::{DateTime, TimeDelta, Utc};

use crate::reference::{Digest, TagName};

use super::changes::{Changes, Currents};
use super::context::SpecContext;
use super::generation::SpecError;
use super::history::{AddOutcome, TagHistory};
use super::resolve::{ImageIndex, ResolveError};
use super::shared::TagMap;
use super::{ImageStream, ReferencePolicy, SpecTag, TagEvent, TagSource};

/// Which entry of a tag's history to roll back to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RollbackTarget {
    /// A revision: 0 is the current entry, 1 the one before, …
    Revision(usize),
    /// An image id or id prefix among the tag's entries.
    Image(String),
}

/// Why a rollback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RollbackError {
    /// The tag has no history.
    #[error("imagestreamtags.image.openshift.io \"{stream}:{tag}\" not found")]
    UnknownTag {
        /// The stream.
        stream: String,
        /// The tag.
        tag: String,
    },
    /// The revision is past the oldest entry.
    #[error("revision {revision} of tag {tag} does not exist: the history has {len} entries")]
    RevisionOutOfRange {
        /// The tag.
        tag: String,
        /// The revision asked for.
        revision: usize,
        /// How many entries there are.
        len: usize,
    },
    /// No entry, or more than one image, matches the id.
    #[error(transparent)]
    Image(#[from] ResolveError),
    /// The entry has no image to pin (a reference tag).
    #[error("revision {revision} of tag {tag} has no image to roll back to")]
    NoImage {
        /// The tag.
        tag: String,
        /// The revision.
        revision: usize,
    },
    /// Pinning the image failed.
    #[error(transparent)]
    Spec(#[from] SpecError),
}

/// Pruning settings (`oc adm prune images`, §17).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PruneOptions {
    /// Keep this many revisions of every tag (default 3).
    pub keep_tag_revisions: usize,
    /// Keep entries, and whole streams, younger than this (default 60 min).
    pub keep_younger_than: TimeDelta,
}

impl Default for PruneOptions {
    fn default() -> Self {
        Self {
            keep_tag_revisions: 3,
            keep_younger_than: TimeDelta::minutes(60),
        }
    }
}

impl PruneOptions {
    /// Keep this many revisions of every tag.
    #[must_use]
    pub fn keep_tag_revisions(mut self, n: usize) -> Self {
        self.keep_tag_revisions = n;
        self
    }

    /// Keep entries and streams younger than this.
    #[must_use]
    pub fn keep_younger_than(mut self, age: TimeDelta) -> Self {
        self.keep_younger_than = age;
        self
    }
}

/// One entry removed by pruning or a history limit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pruned {
    /// The tag it was removed from.
    pub tag: TagName,
    /// Its revision before removal (0 = current).
    pub revision: usize,
    /// The entry.
    pub event: TagEvent,
}

impl ImageStream {
    /// Adds `event` to `tag`'s history with the rules of §5, applying the
    /// history limit and keeping the id index in step; no tracking.
    pub(crate) fn add_to_history(&mut self, tag: &TagName, event: TagEvent) -> AddOutcome {
        add_to_history(
            &mut self.histories,
            &mut self.index,
            self.history_limit,
            tag,
            event,
        )
    }

    /// Adds `event` to `tag`'s history (OpenShift's
    /// `AddTagEventToImageStream`, §5), then updates every tag that tracks
    /// it, transitively and in a fixed order. Returns whether `tag`'s
    /// history changed.
    ///
    /// ```
    /// use imagestream::chrono::{TimeZone, Utc};
    /// use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
    /// use imagestream::stream::{ImageStream, TagEvent};
    ///
    /// let mut is = ImageStream::new(Namespace::parse("test")?, StreamName::parse("app")?)?;
    /// let latest = TagName::parse("latest")?;
    /// let at = Utc.with_ymd_and_hms(2017, 9, 29, 13, 40, 11).unwrap();
    /// let push = |hex: &str| -> Result<TagEvent, Box<dyn std::error::Error>> {
    ///     let image = Digest::parse(&format!("sha256:{}", hex.repeat(64)))?;
    ///     let spec = ImageReference::parse(&format!("172.30.56.218:5000/test/app@{image}"))?;
    ///     Ok(TagEvent::new(spec, Some(image), 1, at))
    /// };
    /// assert!(is.add_event(&latest, push("a")?));
    /// assert!(is.add_event(&latest, push("b")?));
    /// assert!(!is.add_event(&latest, push("b")?)); // nothing new
    /// let history = is.history("latest").unwrap();
    /// assert_eq!(history.len(), 2); // newest first: b, then a
    /// assert!(history.current().unwrap().image().unwrap().hex().starts_with("bbbb"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_event(&mut self, tag: &TagName, event: TagEvent) -> bool {
        let changed = self.add_to_history(tag, event).changed();
        if changed {
            self.propagate(tag);
        }
        changed
    }

    /// [`add_event`](Self::add_event), saying what changed: the tags whose
    /// history changed (`tag`, then its followers) and the tags whose
    /// current image moved.
    ///
    /// Costs what [`add_event`](Self::add_event) costs plus the tag's
    /// followers, whatever the size of the stream.
    pub fn add_tag_event(&mut self, tag: &TagName, event: TagEvent) -> Changes {
        // Only `tag` and the tags that follow it, transitively, can move.
        let affected = self.tracked_by(tag);
        let before = Currents::of_tags(self, &affected);
        let histories_changed = self.add_event_tracked(tag, event);
        Changes {
            generation: self.generation(),
            moved: before.moved_among(self, &histories_changed),
            changed: !histories_changed.is_empty(),
            histories_changed,
            ..Changes::default()
        }
    }

    /// [`add_event`](Self::add_event), returning the tags whose history
    /// changed (`tag` first, then its followers; empty when nothing did),
    /// in O(1) plus the followers: for callers that add many events and
    /// diff the current entries once.
    pub(crate) fn add_event_tracked(&mut self, tag: &TagName, event: TagEvent) -> Vec<TagName> {
        if !self.add_to_history(tag, event).changed() {
            return Vec::new();
        }
        let mut changed = vec![tag.clone()];
        changed.extend(self.propagate(tag));
        changed
    }

    /// Deletes a tag (`oc tag -d`, §11.4): its spec and its whole history go;
    /// images stay, and tags that tracked it keep their histories. When a
    /// spec tag goes the generation goes up by one, saturating at
    /// `i64::MAX`.
    ///
    /// The outcome lists the tag as moved when it had a current image.
    ///
    /// # Errors
    ///
    /// `imagestreamtags.image.openshift.io "<stream>:<tag>" not found` when
    /// the tag has neither a spec nor a history.
    pub fn delete_tag(&mut self, tag: &str) -> Result<Changes, ResolveError> {
        // Only the deleted tag can move: the tags that tracked it keep
        // their histories.
        let Some(name) = self
            .spec_tags
            .get_key_value(tag)
            .map(|(k, _)| k)
            .or_else(|| self.histories.get_key_value(tag).map(|(k, _)| k))
            .cloned()
        else {
            return Err(ResolveError::TagNotFound {
                stream: self.name.to_string(),
                tag: tag.to_owned(),
            });
        };
        let affected = [name];
        let before = Currents::of_tags(self, &affected);
        let spec = self.spec_tags.remove(tag);
        if let Some(h) = self.histories.remove(tag) {
            for e in &h.events {
                self.index.removed(&affected[0], e);
            }
        }
        let bumped = spec.is_some();
        if bumped {
            self.bump_generation_saturating();
            self.retarget_follower(&affected[0], spec.as_ref());
        }
        Ok(Changes {
            generation: self.generation(),
            generation_bumped: bumped,
            moved: before.moved_among(self, &affected),
            changed: true,
            ..Changes::default()
        })
    }

    /// Points `tag` back at an older entry of its history: the spec tag
    /// becomes a pin on that image (`ImageStreamImage <stream>@<image>`, so
    /// no scheduled import can undo it) and the image is pushed on top of
    /// the history with the rules of §5; tracking tags follow. This is
    /// `oc tag <stream>@<old image> <stream>:<tag>`, except that it also
    /// works when the tag is already pinned to that image (the server
    /// would see no spec change and do nothing).
    ///
    /// # Errors
    ///
    /// Unknown tag, revision out of range, an id that matches no entry or
    /// several images, or an entry without an image.
    pub fn rollback(
        &mut self,
        tag: &TagName,
        target: &RollbackTarget,
        now: DateTime<Utc>,
    ) -> Result<Changes, RollbackError> {
        let history =
            self.histories
                .get(tag.as_str())
                .ok_or_else(|| RollbackError::UnknownTag {
                    stream: self.name.to_string(),
                    tag: tag.to_string(),
                })?;
        let (revision, image): (usize, Option<Digest>) = match target {
            RollbackTarget::Revision(r) => {
                let e = history.get(*r).ok_or(RollbackError::RevisionOutOfRange {
                    tag: tag.to_string(),
                    revision: *r,
                    len: history.len(),
                })?;
                (*r, e.image())
            }
            RollbackTarget::Image(id) => {
                let mut matches: Vec<(usize, Digest)> = history
                    .iter()
                    .enumerate()
                    .filter_map(|(i, e)| e.image().filter(|d| d.matches_prefix(id)).map(|d| (i, d)))
                    .collect();
                matches.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
                matches.dedup_by(|a, b| a.1 == b.1);
                match matches.as_slice() {
                    [] => return Err(ResolveError::ImageNotFound { id: id.clone() }.into()),
                    [(i, d)] => (*i, Some(d.clone())),
                    many => {
                        return Err(ResolveError::Ambiguous {
                            id: id.clone(),
                            matches: many.iter().map(|(_, d)| d.to_string()).collect(),
                        }
                        .into());
                    }
                }
            }
        };
        let image = image.ok_or_else(|| RollbackError::NoImage {
            tag: tag.to_string(),
            revision,
        })?;
        let mut spec = self
            .spec_tags
            .get(tag.as_str())
            .cloned()
            .unwrap_or_default();
        spec.source = Some(TagSource::ImageStreamImage {
            namespace: None,
            stream: Some(self.name.clone()),
            id: image.as_str().into(),
        });
        spec.reference = false;
        spec.import_policy.scheduled = false;
        // Generation 0 makes the strategy re-resolve the tag even when it is
        // already pinned to this image (after newer pushes), so a rollback
        // always makes its target current.
        spec.generation = Some(0);
        if spec.reference_policy != ReferencePolicy::Local {
            spec.reference_policy = ReferencePolicy::Source;
        }
        Ok(self.set_spec_tag(tag.clone(), spec, &SpecContext::new(now))?)
    }

    /// Caps every tag's history at `limit` revisions from now on (the
    /// current entry is never dropped); `None` lifts the cap. Beyond
    /// OpenShift, which never trims history by itself. The outcome lists
    /// the entries dropped in [`Changes::pruned`].
    ///
    /// The limit is kept in the annotation
    /// [`HISTORY_LIMIT_ANNOTATION`](crate::api::HISTORY_LIMIT_ANNOTATION),
    /// so it survives a wire round trip (and OpenShift keeps it untouched).
    pub fn set_history_limit(&mut self, limit: Option<NonZeroUsize>) -> Changes {
        let changed = self.history_limit != limit;
        self.history_limit = limit;
        match limit {
            Some(n) => {
                self.meta.annotations.insert(
                    crate::api::HISTORY_LIMIT_ANNOTATION.to_owned(),
                    n.to_string(),
                );
            }
            None => {
                self.meta
                    .annotations
                    .remove(crate::api::HISTORY_LIMIT_ANNOTATION);
            }
        }
        let Some(limit) = limit else {
            return Changes {
                generation: self.generation(),
                changed,
                ..Changes::default()
            };
        };
        let mut out = Vec::new();
        let index = &mut self.index;
        // Only the histories over the limit are unshared.
        self.histories.update_where(
            |_, h| h.len() > limit.get(),
            |tag, h| {
                let len = h.len();
                let dropped = h.truncate_to(limit.get());
                let kept = len - dropped.len();
                for (i, e) in dropped.into_iter().enumerate() {
                    index.removed(tag, &e);
                    out.push(Pruned {
                        tag: tag.clone(),
                        revision: len - 1 - i,
                        event: e,
                    });
                }
                debug_assert!(kept >= 1 || len == 0);
            },
        );
        Changes {
            generation: self.generation(),
            changed: changed || !out.is_empty(),
            pruned: out,
            ..Changes::default()
        }
    }

    /// The history limit, if any.
    #[must_use]
    pub fn history_limit(&self) -> Option<NonZeroUsize> {
        self.history_limit
    }

    /// `oc adm prune images` on this stream's history (§17), as a pure
    /// function: a stream younger than `keep_younger_than` is left alone;
    /// otherwise an entry stays if it is younger than that, if it is the
    /// current entry of a tag in use, if its revision is below
    /// `keep_tag_revisions`, or if its image is in use. Tags left empty are
    /// removed. The outcome lists what was removed in [`Changes::pruned`],
    /// and as moved the tags whose current entry went.
    pub fn prune(
        &mut self,
        options: &PruneOptions,
        now: DateTime<Utc>,
        tag_in_use: impl Fn(&TagName) -> bool,
        image_in_use: impl Fn(&Digest) -> bool,
    ) -> Changes {
        let before = Currents::of(self);
        if self
            .meta
            .creation_timestamp
            .is_some_and(|c| now - c < options.keep_younger_than)
        {
            return before.changes(self, false);
        }
        let mut out = Vec::new();
        let mut emptied = Vec::new();
        let keep = |in_use: bool, rev: usize, e: &TagEvent| {
            e.created
                .is_some_and(|c| now - c < options.keep_younger_than)
                || (rev == 0 && in_use)
                || rev < options.keep_tag_revisions
                || e.image().is_some_and(|d| image_in_use(&d))
        };
        let index = &mut self.index;
        // Only the histories that lose entries are unshared.
        self.histories.update_where(
            |tag, h| {
                let in_use = tag_in_use(tag);
                h.iter().enumerate().any(|(rev, e)| !keep(in_use, rev, e))
            },
            |tag, h| {
                let in_use = tag_in_use(tag);
                let was_empty = h.is_empty();
                let removed = h.retain_revisions(|rev, e| keep(in_use, rev, e));
                for (revision, event) in removed {
                    index.removed(tag, &event);
                    out.push(Pruned {
                        tag: tag.clone(),
                        revision,
                        event,
                    });
                }
                if h.is_empty() && !was_empty {
                    emptied.push(tag.clone());
                }
            },
        );
        for t in emptied {
            self.histories.remove(t.as_str());
        }
        let mut changes = before.changes(self, !out.is_empty());
        changes.pruned = out;
        changes
    }
}

/// [`ImageStream::add_to_history`] on the fields it touches, so a caller
/// can hold other fields (the follower map) borrowed meanwhile.
pub(crate) fn add_to_history(
    histories: &mut TagMap<TagHistory>,
    index: &mut ImageIndex,
    history_limit: Option<NonZeroUsize>,
    tag: &TagName,
    event: TagEvent,
) -> AddOutcome {
    if !histories.contains_key(tag.as_str()) {
        histories.insert(tag.clone(), TagHistory::default());
    }
    let Some(history) = histories.get_mut(tag.as_str()) else {
        // Inserted just above.
        return AddOutcome::Unchanged;
    };
    // The entries before and after matter only to a built id index.
    let indexed = index.is_built();
    let before = indexed.then(|| history.current().cloned()).flatten();
    let outcome = history.add(event);
    let dropped = match history_limit {
        Some(limit) if outcome == AddOutcome::Pushed => history.truncate_to(limit.get()),
        _ => Vec::new(),
    };
    let current = indexed.then(|| history.current().cloned()).flatten();
    match (outcome, before, current) {
        (AddOutcome::Pushed, _, Some(now)) => index.added(tag, &now),
        (AddOutcome::Rewritten, Some(was), Some(now)) => {
            index.removed(tag, &was);
            index.added(tag, &now);
        }
        _ => {}
    }
    for e in &dropped {
        index.removed(tag, e);
    }
    outcome
}

/// A spec tag a hold or policy was asked for does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("image stream {stream} has no spec tag {tag:?}")]
pub struct NoSpecTag {
    /// The stream.
    pub stream: String,
    /// The tag asked for.
    pub tag: String,
}

impl ImageStream {
    /// The hold on `tag`'s spec tag
    /// ([`HOLD_ANNOTATION`](crate::api::HOLD_ANNOTATION)), if any and
    /// readable, whether or not it has expired.
    #[must_use]
    pub fn hold(&self, tag: &str) -> Option<super::Hold> {
        let text = self.spec_tags.get(tag)?.annotations.as_ref()?;
        text.get(crate::api::HOLD_ANNOTATION)?.parse().ok()
    }

    /// Sets (or with `None` releases) the hold on `tag`'s spec tag. Not a
    /// spec change: the generation stays, and nothing is imported; the
    /// outcome says whether the stream changed (must be written).
    ///
    /// # Errors
    ///
    /// [`NoSpecTag`] when `tag` has no spec tag.
    pub fn set_hold(
        &mut self,
        tag: &str,
        hold: Option<&super::Hold>,
    ) -> Result<Changes, NoSpecTag> {
        self.set_own_annotation(
            tag,
            crate::api::HOLD_ANNOTATION,
            hold.map(ToString::to_string),
        )
    }

    /// Sets or removes one of the crate's annotations on a spec tag.
    fn set_own_annotation(
        &mut self,
        tag: &str,
        key: &str,
        value: Option<String>,
    ) -> Result<Changes, NoSpecTag> {
        let generation = self.meta.generation;
        let spec = self.spec_tags.get_mut(tag).ok_or_else(|| NoSpecTag {
            stream: self.name.to_string(),
            tag: tag.to_owned(),
        })?;
        let before = spec.annotations.clone();
        set_tag_annotation(spec, key, value);
        let changed = before != spec.annotations;
        // `set_spec_tag` checks only the tag it sets when the rest of the
        // spec is known clean: an annotation that fails the spec checks
        // makes the spec unclean again.
        if changed && let Some((name, spec)) = self.spec_tags.get_key_value(tag) {
            let mut errs = Vec::new();
            super::spec::check_spec_tag(name, spec, &mut errs);
            if !errs.is_empty() {
                self.mark_spec_unclean();
            }
        }
        Ok(Changes {
            generation,
            changed,
            ..Changes::default()
        })
    }

    /// [`rollback`](Self::rollback), then a [`Hold`](super::Hold) on the
    /// tag so that its policy and scheduled imports leave the rolled-back
    /// image in place until the hold is released or expires.
    ///
    /// # Errors
    ///
    /// As [`rollback`](Self::rollback); nothing changes on error.
    pub fn rollback_and_hold(
        &mut self,
        tag: &TagName,
        target: &RollbackTarget,
        hold: &super::Hold,
        now: DateTime<Utc>,
    ) -> Result<Changes, RollbackError> {
        let mut changes = self.rollback(tag, target, now)?;
        // The rollback wrote the spec tag, so it exists.
        if let Ok(held) = self.set_hold(tag.as_str(), Some(hold)) {
            changes.changed |= held.changed;
        }
        Ok(changes)
    }

    /// The policy on `tag`'s spec tag
    /// ([`POLICY_ANNOTATION`](crate::api::POLICY_ANNOTATION)), if any.
    /// Streams read from the wire or edited through the spec methods only
    /// hold valid policies.
    #[cfg(feature = "policy")]
    #[must_use]
    pub fn policy(&self, tag: &str) -> Option<super::TagPolicy> {
        let text = self.spec_tags.get(tag)?.annotations.as_ref()?;
        text.get(crate::api::POLICY_ANNOTATION)?.parse().ok()
    }

    /// The last choice of `tag`'s policy
    /// ([`POLICY_CHOICE_ANNOTATION`](crate::api::POLICY_CHOICE_ANNOTATION)):
    /// the chosen tag and the source pinned, as the controller recorded them.
    #[must_use]
    pub fn policy_choice(&self, tag: &str) -> Option<&str> {
        let text = self.spec_tags.get(tag)?.annotations.as_ref()?;
        text.get(crate::api::POLICY_CHOICE_ANNOTATION)
            .map(String::as_str)
    }

    /// Sets (or with `None` removes) the policy on `tag`'s spec tag. Not a
    /// spec change by itself: the controller applies the policy at the
    /// stream's next turn.
    ///
    /// # Errors
    ///
    /// [`NoSpecTag`] when `tag` has no spec tag.
    #[cfg(feature = "policy")]
    pub fn set_policy(
        &mut self,
        tag: &str,
        policy: Option<&super::TagPolicy>,
    ) -> Result<Changes, NoSpecTag> {
        let mut changes = self.set_own_annotation(
            tag,
            crate::api::POLICY_ANNOTATION,
            policy.map(ToString::to_string),
        )?;
        if policy.is_none() {
            let choice =
                self.set_own_annotation(tag, crate::api::POLICY_CHOICE_ANNOTATION, None)?;
            changes.changed |= choice.changed;
        }
        Ok(changes)
    }
}

/// Sets or removes one annotation of a spec tag; an emptied map is `None`
/// (as the wire omits it).
pub(crate) fn set_tag_annotation(spec: &mut SpecTag, key: &str, value: Option<String>) {
    match value {
        Some(v) => {
            spec.annotations
                .get_or_insert_with(std::collections::BTreeMap::new)
                .insert(key.to_owned(), v);
        }
        None => {
            if let Some(map) = spec.annotations.as_mut() {
                map.remove(key);
                if map.is_empty() {
                    spec.annotations = None;
                }
            }
        }
    }
}
