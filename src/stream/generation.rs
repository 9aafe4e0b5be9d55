//! Spec changes, the way OpenShift's image stream strategy applies them
//! (§8, §9): generations, `tagRefChanged`, and the events `tagsChanged`
//! writes.

use std::collections::BTreeMap;

use crate::reference::{ImageReference, TagName, go_quote};

use super::changes::{Changes, Currents};
use super::context::SpecContext;
use super::field_error::{FieldError, ValidationError};
use super::tracking::CircularReference;
use super::{ImageStream, SpecTag, TagEvent, TagSource};

/// What a spec change did: the name spec changes had before every domain
/// write returned [`Changes`].
pub type SpecChanges = Changes;

/// Why a spec change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// Tracking tags would follow each other in a circle.
    #[error(transparent)]
    Circular(#[from] CircularReference),
    /// A source could not be resolved (field errors, OpenShift's wording).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The stream's generation is at its largest and a spec change needs a
    /// new one.
    #[error(transparent)]
    Generation(#[from] GenerationOverflow),
}

/// A spec change needs a new generation, but the stream's (as read from
/// the wire) is already `i64::MAX`: rather than wrap to a negative
/// generation (release) or panic (debug), the change is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error(
    "image stream generation {generation} cannot be incremented: a spec change needs a generation above it and {generation} is the largest"
)]
pub struct GenerationOverflow {
    /// The generation that could not be incremented.
    pub generation: i64,
}

impl ImageStream {
    /// The generation a spec change gets: the current one plus one.
    ///
    /// # Errors
    ///
    /// [`GenerationOverflow`] at `i64::MAX`.
    pub(crate) fn next_generation(&self) -> Result<i64, GenerationOverflow> {
        crate::checked::next_generation(self.meta.generation).ok_or(GenerationOverflow {
            generation: self.meta.generation,
        })
    }

    /// The generation after a removal, saturated at `i64::MAX`: a removed
    /// tag has nothing left to import, so nothing needs to observe a
    /// generation above the current one.
    pub(crate) fn bump_generation_saturating(&mut self) {
        self.meta.generation = self.meta.generation.saturating_add(1);
    }
}

/// The wire's spec tag validation (§4.3) on typed spec tags, so the typed
/// and the wire path accept the same streams (OAS
/// `pkg/image/apis/image/validation/validation.go` ::
/// `ValidateImageStreamTagReference` runs on every spec tag of every create
/// and update, whoever builds the object). For example a scheduled import
/// of an `ImageStreamTag` source is refused with `spec.tags[<t>].
/// importPolicy.scheduled: Invalid value: true: only tags pointing to
/// Docker repositories may be scheduled for background import`.
fn check_spec_tags<'a>(
    tags: impl IntoIterator<Item = (&'a TagName, &'a SpecTag)>,
) -> Result<(), ValidationError> {
    let mut errs = Vec::new();
    for (t, s) in tags {
        super::spec::check_spec_tag(t, s, &mut errs);
    }
    ValidationError::check(errs)
}

impl ImageStream {
    /// `tagRefChanged` (§8): whether `next` differs from `old` in a way that
    /// re-resolves the tag. Changes of kind, `scheduled`, `insecure` and
    /// reference policy are **not** changes.
    #[must_use]
    pub fn tag_ref_changed(&self, old: &SpecTag, next: &SpecTag) -> bool {
        let Some(next_src) = next.source() else {
            return false;
        };
        let ns = |s: Option<&TagSource>| {
            s.and_then(TagSource::namespace)
                .unwrap_or(&self.namespace)
                .clone()
        };
        let name = |s: Option<&TagSource>| s.map(TagSource::name).unwrap_or_default();
        let generation_reset =
            matches!((old.generation, next.generation), (Some(a), Some(0)) if a != 0);
        ns(old.source()) != ns(Some(next_src))
            || name(old.source()) != next_src.name()
            || old.reference != next.reference
            || old.import_policy.import_mode != next.import_policy.import_mode
            || generation_reset
    }

    /// Applies a new set of spec tags the way the server's update strategy
    /// does (§8, §9.3): generations (`updateSpecTagGenerationsForUpdate`, the
    /// stream generation bump, `ensureSpecTagGenerationsAreSet`), then the
    /// events of `tagsChanged` for new or changed tags: a reference tag gets
    /// an image-less event at once, an `ImageStreamTag` or
    /// `ImageStreamImage` source is resolved (in this stream, or through
    /// the lookup) and copied, an external image waits for import. Then
    /// tracking tags follow, transitively.
    ///
    /// Removing a spec tag this way leaves its history (§9.4).
    ///
    /// # Errors
    ///
    /// [`SpecError::Circular`] when a tracking tag would close a circle,
    /// [`SpecError::Generation`] when the stream's generation is already
    /// `i64::MAX`, [`SpecError::Invalid`] when a spec tag fails the wire's
    /// validation (§4.3, the same checks as reading a stream: e.g. a
    /// scheduled import of an `ImageStreamTag` source, an empty image id),
    /// when a source stream is missing
    /// (`spec.tags[t].from.name: Not found: "<name>"`) or an image id does
    /// not resolve (`…: error generating tag event: <err>`). Nothing is
    /// changed on error.
    pub fn update_spec(
        &mut self,
        mut next: BTreeMap<TagName, SpecTag>,
        ctx: &SpecContext<'_>,
    ) -> Result<Changes, SpecError> {
        check_spec_tags(&next)?;
        let before = Currents::of(self);
        let old = std::mem::take(&mut self.spec_tags);
        // updateSpecTagGenerationsForUpdate
        for (t, s) in &mut next {
            if s.generation != Some(0)
                && let Some(o) = old.get(t)
            {
                s.generation = o.generation;
            }
        }
        let bump = !next.iter().eq(old.iter()) || self.meta.generation == 0;
        let generation = if bump {
            match self.next_generation() {
                Ok(g) => g,
                Err(e) => {
                    self.spec_tags = old;
                    return Err(e.into());
                }
            }
        } else {
            self.meta.generation
        };
        // ensureSpecTagGenerationsAreSet
        let changed: Vec<TagName> = next
            .iter()
            .filter(|(t, s)| old.get(*t).is_none_or(|o| self.tag_ref_changed(o, s)))
            .map(|(t, _)| t.clone())
            .collect();
        for t in &changed {
            if let Some(s) = next.get_mut(t) {
                s.generation = None;
            }
        }
        for s in next.values_mut() {
            if matches!(s.generation, None | Some(0)) {
                s.generation = Some(generation);
            }
        }
        self.spec_tags = next.into();
        let resolved = self
            .check_cycles(&changed)
            .map_err(SpecError::from)
            .and_then(|()| self.events_for(&changed, ctx));
        let events = match resolved {
            Ok(events) => events,
            Err(e) => {
                self.spec_tags = old;
                return Err(e);
            }
        };
        self.meta.generation = generation;
        self.spec_clean.0 = Some(true);
        self.rebuild_followers();
        let mut histories_changed = Vec::new();
        for (t, event) in events {
            if self.add_to_history(&t, event).changed() {
                histories_changed.push(t.clone());
                histories_changed.extend(self.propagate(&t));
            }
        }
        let mut outcome = before.changes(self, bump || !histories_changed.is_empty());
        outcome.generation_bumped = bump;
        outcome.histories_changed = histories_changed;
        Ok(outcome)
    }

    /// What the server does on create (§8): generation 1, every spec tag at
    /// generation 1, the status reset, then the events of `tagsChanged` for
    /// every spec tag.
    ///
    /// # Errors
    ///
    /// As [`update_spec`](Self::update_spec).
    pub fn prepare_for_create(&mut self, ctx: &SpecContext<'_>) -> Result<Changes, SpecError> {
        check_spec_tags(&self.spec_tags)?;
        self.meta.generation = 1;
        self.spec_tags.update_where(
            |_, s| s.generation != Some(1),
            |_, s| s.generation = Some(1),
        );
        self.histories.clear();
        self.index = super::resolve::ImageIndex::default();
        let before = Currents::of(self);
        let tags: Vec<TagName> = self.spec_tags.keys().cloned().collect();
        self.check_cycles(&tags)?;
        let events = self.events_for(&tags, ctx)?;
        self.spec_clean.0 = Some(true);
        self.rebuild_followers();
        let mut histories_changed = Vec::new();
        for (t, event) in events {
            if self.add_to_history(&t, event).changed() {
                histories_changed.push(t.clone());
                histories_changed.extend(self.propagate(&t));
            }
        }
        let mut changes = before.changes(self, true);
        changes.generation_bumped = true;
        changes.histories_changed = histories_changed;
        Ok(changes)
    }

    /// Sets one spec tag: what [`update_spec`](Self::update_spec) does
    /// with the spec and this one tag changed, at the cost of that tag
    /// (its validation, its tracking chain, its followers), not of the
    /// whole spec.
    ///
    /// # Errors
    ///
    /// As [`update_spec`](Self::update_spec).
    pub fn set_spec_tag(
        &mut self,
        tag: TagName,
        spec: SpecTag,
        ctx: &SpecContext<'_>,
    ) -> Result<Changes, SpecError> {
        if !self.spec_is_clean() {
            // Spec tags read from the wire without generations, or that
            // fail the typed checks: the whole spec goes through the
            // strategy, as the server would put it.
            let mut next: BTreeMap<TagName, SpecTag> = self
                .spec_tags
                .iter()
                .map(|(t, s)| (t.clone(), s.clone()))
                .collect();
            next.insert(tag, spec);
            return self.update_spec(next, ctx);
        }
        self.set_one_spec_tag(tag, spec, ctx)
    }

    /// Whether every spec tag passes the typed checks and has its
    /// generation set, so that `update_spec` with one tag changed touches
    /// only that tag. Known after any spec write; checked once (O(tags))
    /// for a stream read from the wire.
    fn spec_is_clean(&mut self) -> bool {
        if let Some(clean) = self.spec_clean.0 {
            return clean;
        }
        let clean = self
            .spec_tags
            .values()
            .all(|s| !matches!(s.generation, None | Some(0)))
            && check_spec_tags(&self.spec_tags).is_ok();
        self.spec_clean.0 = Some(clean);
        clean
    }

    /// Records that a spec tag may fail the typed checks (after an edit
    /// outside the strategy), so `set_spec_tag` takes the whole-spec path.
    pub(crate) fn mark_spec_unclean(&mut self) {
        self.spec_clean.0 = Some(false);
    }

    /// `update_spec` with every spec tag as it is but `tag`, on a clean
    /// spec (see `spec_is_clean`): every step of the strategy, restricted
    /// to the one tag it can touch.
    fn set_one_spec_tag(
        &mut self,
        tag: TagName,
        mut spec: SpecTag,
        ctx: &SpecContext<'_>,
    ) -> Result<Changes, SpecError> {
        check_spec_tags([(&tag, &spec)])?;
        // Only `tag` and the tags that track it, transitively, can move.
        let affected = self.tracked_by(&tag);
        let before = Currents::of_tags(self, &affected);
        let old = self.spec_tags.get(tag.as_str()).cloned();
        // updateSpecTagGenerationsForUpdate
        if spec.generation != Some(0)
            && let Some(o) = &old
        {
            spec.generation = o.generation;
        }
        let bump = old.as_ref() != Some(&spec) || self.meta.generation == 0;
        let generation = if bump {
            self.next_generation()?
        } else {
            self.meta.generation
        };
        // ensureSpecTagGenerationsAreSet (every other tag has its own).
        let changed: Vec<TagName> = if old.as_ref().is_none_or(|o| self.tag_ref_changed(o, &spec)) {
            spec.generation = None;
            vec![tag.clone()]
        } else {
            Vec::new()
        };
        if matches!(spec.generation, None | Some(0)) {
            spec.generation = Some(generation);
        }
        self.spec_tags.insert(tag.clone(), spec);
        let resolved = match changed.first().and_then(|t| self.circle_through(t)) {
            Some(circle) => Err(SpecError::from(circle)),
            None => self.events_for(&changed, ctx),
        };
        let events = match resolved {
            Ok(events) => events,
            Err(e) => {
                match old {
                    Some(o) => self.spec_tags.insert(tag, o),
                    None => self.spec_tags.remove(tag.as_str()),
                };
                return Err(e);
            }
        };
        self.meta.generation = generation;
        self.retarget_follower(&tag, old.as_ref());
        let mut histories_changed = Vec::new();
        for (t, event) in events {
            if self.add_to_history(&t, event).changed() {
                histories_changed.push(t.clone());
                histories_changed.extend(self.propagate(&t));
            }
        }
        let changed_at_all = bump || !histories_changed.is_empty();
        Ok(Changes {
            generation: self.generation(),
            generation_bumped: bump,
            moved: before.moved_among(self, &affected),
            histories_changed,
            changed: changed_at_all,
            ..Changes::default()
        })
    }

    /// Removes one spec tag, leaving its history (§9.4). The generation
    /// goes up by one, saturating at `i64::MAX`.
    pub fn remove_spec_tag(&mut self, tag: &str) -> Option<SpecTag> {
        let (name, removed) = self.spec_tags.remove_entry(tag)?;
        self.bump_generation_saturating();
        self.retarget_follower(&name, Some(&removed));
        Some(removed)
    }

    /// The first of `tags` that lies on a circle of tracking tags. All
    /// chains are resolved once ([`ImageStream::tracking`]), so checking a
    /// whole spec is O(n log n), not a walk per tag.
    fn check_cycles(&self, tags: &[TagName]) -> Result<(), CircularReference> {
        let tracking = self.tracking();
        if !tracking.has_circle() {
            return Ok(());
        }
        match tags.iter().find_map(|t| tracking.circle(t.as_str())) {
            Some(c) => Err(c),
            None => Ok(()),
        }
    }

    /// The events `tagsChanged` writes for `tags` (§9.3 steps 4-8).
    fn events_for(
        &self,
        tags: &[TagName],
        ctx: &SpecContext<'_>,
    ) -> Result<Vec<(TagName, TagEvent)>, SpecError> {
        let mut out = Vec::new();
        let mut errs = Vec::new();
        for t in tags {
            let Some(spec) = self.spec_tags.get(t.as_str()) else {
                continue;
            };
            let Some(source) = spec.source() else {
                continue;
            };
            let generation = spec.generation.unwrap_or(self.meta.generation);
            let path = || format!("spec.tags[{t}].from.name");
            let (namespace, stream) = match source {
                TagSource::DockerImage(r) => {
                    if spec.reference {
                        out.push((
                            t.clone(),
                            TagEvent::from_parts(Some(ctx.now), r.clone(), None, generation),
                        ));
                    }
                    continue;
                }
                TagSource::ImageStreamTag {
                    namespace, stream, ..
                }
                | TagSource::ImageStreamImage {
                    namespace, stream, ..
                } => (namespace, stream),
            };
            let same = namespace.as_ref().is_none_or(|n| *n == self.namespace)
                && stream.as_ref().is_none_or(|s| *s == self.name);
            let fetched;
            let ref_stream = if same {
                self
            } else {
                let ns = namespace.as_ref().unwrap_or(&self.namespace);
                let name = stream.as_ref().unwrap_or(&self.name);
                // TagVerifier: another namespace's stream needs `get
                // imagestreams/layers` there, checked before the lookup so
                // a denial does not tell whether the stream exists.
                if *ns != self.namespace
                    && let Err(denied) = ctx.access.may_pull(ns, name)
                {
                    errs.push(FieldError::forbidden(
                        format!("spec.tags[{t}].from"),
                        format!(
                            "{ns}/{name}: {} {}",
                            go_quote(&denied.reason),
                            go_quote(&denied.evaluation_error)
                        ),
                    ));
                    continue;
                }
                if let Some(s) = ctx.lookup.stream(ns, name) {
                    fetched = s;
                    &fetched
                } else {
                    errs.push(FieldError::not_found(path(), &source.name()));
                    continue;
                }
            };
            let event = match source {
                TagSource::ImageStreamTag { tag, .. } => match ref_stream
                    .latest_tagged_image(tag.as_str())
                {
                    // "referenced tag or ID doesn't exist, which is ok"
                    None => continue,
                    Some(e) => {
                        TagEvent::from_parts(e.created, e.pull_spec.clone(), e.image(), generation)
                    }
                },
                TagSource::ImageStreamImage { id, .. } => match ref_stream.resolve_image(id) {
                    Ok(e) => TagEvent::from_parts(
                        Some(ctx.now),
                        e.pull_spec.clone(),
                        e.image(),
                        generation,
                    ),
                    Err(e) => {
                        errs.push(FieldError::invalid(
                            path(),
                            &source.name(),
                            format!("error generating tag event: {e}"),
                        ));
                        continue;
                    }
                },
                TagSource::DockerImage(_) => continue,
            };
            let event = if spec.reference {
                event
            } else {
                self.pull_through(event, ref_stream, ctx)
            };
            out.push((t.clone(), event));
        }
        ValidationError::check(errs)?;
        Ok(out)
    }

    /// §9.3 step 8: an image in the integrated registry under the referenced
    /// stream's name is pulled through this stream instead.
    fn pull_through(
        &self,
        event: TagEvent,
        ref_stream: &ImageStream,
        ctx: &SpecContext<'_>,
    ) -> TagEvent {
        let r = &event.pull_spec;
        let internal = ctx
            .internal_registry
            .is_some_and(|h| r.registry() == Some(h));
        if !internal
            || r.namespace() != Some(ref_stream.namespace.as_str())
            || r.name() != ref_stream.name.as_str()
        {
            return event;
        }
        let mut text = format!(
            "{}/{}/{}",
            r.registry().unwrap_or_default(),
            self.namespace,
            self.name
        );
        if let Some(id) = r.id() {
            text.push('@');
            text.push_str(id);
        } else if let Some(tag) = r.tag() {
            text.push(':');
            text.push_str(tag);
        }
        match ImageReference::parse_owned(text) {
            Ok(pull_spec) => {
                TagEvent::from_parts(event.created, pull_spec, event.image(), event.generation)
            }
            Err(_) => event,
        }
    }
}
