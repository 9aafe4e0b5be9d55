//! Tracking tags: same-stream `ImageStreamTag` sources that follow another
//! tag's current image.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;

use crate::reference::TagName;

use super::{ImageStream, SpecTag, TagHistory, TagSource};

/// Why [`ImageStream::follow_tag_reference`] stopped, with what `oc`'s
/// `FollowTagReference` returns beside its error: the tag the walk had
/// reached ([`tag`](Self::tag)) and whether it had followed at least one
/// reference ([`multiple`](Self::multiple)). `Display` is `oc`'s message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{kind}")]
pub struct FollowError {
    kind: FollowErrorKind,
    tag: String,
    multiple: bool,
}

/// The cause of a [`FollowError`]: `oc`'s `Err*Reference` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum FollowErrorKind {
    /// The chain came back to a tag it had visited.
    #[error("reference tag is circular")]
    Circular,
    /// A tag on the chain has no spec tag.
    #[error("reference tag is not found")]
    NotFound,
    /// A tag on the chain follows a tag of another stream or namespace.
    #[error("reference tag points to another imagestream")]
    OtherStream,
}

impl FollowError {
    fn new(kind: FollowErrorKind, tag: &str, multiple: bool) -> Self {
        Self {
            kind,
            tag: tag.to_owned(),
            multiple,
        }
    }

    /// Which rule stopped the walk.
    #[must_use]
    pub fn kind(&self) -> FollowErrorKind {
        self.kind
    }

    /// The tag the walk had reached when it stopped (`finalTag`): the tag
    /// seen twice, the tag without a spec tag, or the tag pointing into
    /// another stream.
    #[must_use]
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// Whether at least one reference had been followed.
    #[must_use]
    pub fn multiple(&self) -> bool {
        self.multiple
    }
}

impl PartialEq<FollowErrorKind> for FollowError {
    fn eq(&self, other: &FollowErrorKind) -> bool {
        self.kind == *other
    }
}

/// The end of a reference chain (see [`ImageStream::follow_tag_reference`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Followed<'a> {
    /// The last tag of the chain.
    pub tag: TagName,
    /// Its spec tag (the one that does not follow another tag).
    pub spec: &'a SpecTag,
    /// Whether at least one hop was taken.
    pub multiple: bool,
}

/// Setting a spec tag would make tracking tags follow each other in a
/// circle.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("reference tag is circular: {}", .chain.iter().map(ToString::to_string).collect::<Vec<_>>().join(" -> "))]
pub struct CircularReference {
    /// The tags of the circle, starting and ending with the tag being set.
    pub chain: Vec<TagName>,
}

impl ImageStream {
    /// The tag that `source` tracks in this stream, if it is a same-stream
    /// `ImageStreamTag` (namespace empty or this one, stream empty or this
    /// one).
    pub(crate) fn tracked_tag<'s>(&self, source: &'s TagSource) -> Option<&'s TagName> {
        match source {
            TagSource::ImageStreamTag {
                namespace,
                stream,
                tag,
            } if namespace.as_ref().is_none_or(|n| *n == self.namespace)
                && stream.as_ref().is_none_or(|s| *s == self.name) =>
            {
                Some(tag)
            }
            _ => None,
        }
    }

    /// Whether `source` names a tag of another stream or namespace.
    fn points_elsewhere(&self, source: &TagSource) -> bool {
        matches!(source, TagSource::ImageStreamTag { .. }) && self.tracked_tag(source).is_none()
    }

    /// One hop of a tracking chain from `tag`: where its spec tag leads.
    fn step(&self, tag: &str) -> Step<'_> {
        let Some((key, spec)) = self.spec_tags.get_key_value(tag) else {
            return Step::Missing;
        };
        match spec.source() {
            Some(src) if self.points_elsewhere(src) => Step::Elsewhere,
            Some(src) => match self.tracked_tag(src) {
                Some(next) => Step::Track(next),
                None => Step::Root(key, spec),
            },
            None => Step::Root(key, spec),
        }
    }

    /// `oc`'s `FollowTagReference` (§7.3): follows same-stream tag references
    /// from `tag` to the tag that holds a real source.
    ///
    /// One walk costs O(k log k) for a chain of k tags. To follow every
    /// tag of a stream, use [`tracking`](Self::tracking), which resolves all
    /// chains in one pass.
    ///
    /// # Errors
    ///
    /// `reference tag is circular`, `reference tag is not found` (no spec
    /// tag on the chain), `reference tag points to another imagestream`.
    pub fn follow_tag_reference(&self, tag: &str) -> Result<Followed<'_>, FollowError> {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut name = tag;
        let mut multiple = false;
        loop {
            if !seen.insert(name) {
                return Err(FollowError::new(FollowErrorKind::Circular, name, multiple));
            }
            match self.step(name) {
                Step::Missing => {
                    return Err(FollowError::new(FollowErrorKind::NotFound, name, multiple));
                }
                Step::Elsewhere => {
                    return Err(FollowError::new(
                        FollowErrorKind::OtherStream,
                        name,
                        multiple,
                    ));
                }
                Step::Root(tag, spec) => {
                    return Ok(Followed {
                        tag: tag.clone(),
                        spec,
                        multiple,
                    });
                }
                Step::Track(next) => {
                    name = next.as_str();
                    multiple = true;
                }
            }
        }
    }

    /// Resolves every spec tag's tracking chain at once, in O(n log n)
    /// for n spec tags: each tag is walked once and its result shared by
    /// every chain through it. [`Tracking::follow`] then answers as
    /// [`follow_tag_reference`](Self::follow_tag_reference) does.
    ///
    /// ```
    /// use imagestream::stream::{ImageStream, SpecContext, SpecTag, TagSource};
    ///
    /// let mut is = ImageStream::new("default".parse()?, "app".parse()?)?;
    /// let ctx = SpecContext::new(imagestream::chrono::Utc::now());
    /// let busybox = TagSource::DockerImage("busybox:1".parse()?);
    /// is.set_spec_tag("a".parse()?, SpecTag::new(busybox), &ctx)?;
    /// let track_a = TagSource::ImageStreamTag {
    ///     namespace: None,
    ///     stream: None,
    ///     tag: "a".parse()?,
    /// };
    /// is.set_spec_tag("b".parse()?, SpecTag::new(track_a), &ctx)?;
    /// let tracking = is.tracking();
    /// assert_eq!(tracking.follow("b")?.tag, "a");
    /// assert!(tracking.follow("b")?.multiple);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn tracking(&self) -> Tracking<'_> {
        // One sequential pass over the spec, then array work only: on a
        // large stream every map lookup by name is a few cache misses.
        let entries: Vec<(&TagName, &SpecTag)> = self.spec_tags.iter().collect();
        let index: HashMap<&str, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, (t, _))| (t.as_str(), i))
            .collect();
        let hops: Vec<Hop> = entries
            .iter()
            .map(|(_, spec)| match spec.source() {
                Some(src) if self.points_elsewhere(src) => Hop::Elsewhere,
                Some(src) => match self.tracked_tag(src) {
                    Some(next) => index
                        .get(next.as_str())
                        .map_or(Hop::Missing, |&j| Hop::Track(j)),
                    None => Hop::Root,
                },
                None => Hop::Root,
            })
            .collect();
        let n = entries.len();
        let mut results: Vec<Option<Result<(usize, bool), Broken>>> = vec![None; n];
        let mut on_cycle = vec![false; n];
        // Position in the current walk, for tags on it.
        let mut on_path: Vec<Option<usize>> = vec![None; n];
        let mut path: Vec<usize> = Vec::new();
        for first in 0..n {
            if results[first].is_some() {
                continue;
            }
            path.clear();
            let mut current = first;
            // The result of the tag the walk ended on; every tag on the
            // path took at least one hop to it.
            let end: Result<(usize, bool), Broken> = loop {
                if let Some(r) = &results[current] {
                    break *r;
                }
                if let Some(at) = on_path[current] {
                    for &t in &path[at..] {
                        on_cycle[t] = true;
                    }
                    // A walk from before the circle first repeats the tag
                    // where it entered the circle.
                    break Err(Broken {
                        kind: FollowErrorKind::Circular,
                        at: current,
                    });
                }
                match hops[current] {
                    Hop::Elsewhere => {
                        let broken = Broken {
                            kind: FollowErrorKind::OtherStream,
                            at: current,
                        };
                        results[current] = Some(Err(broken));
                        break Err(broken);
                    }
                    Hop::Root => {
                        results[current] = Some(Ok((current, false)));
                        break Ok((current, false));
                    }
                    Hop::Missing => {
                        on_path[current] = Some(path.len());
                        path.push(current);
                        break Err(Broken {
                            kind: FollowErrorKind::NotFound,
                            at: current,
                        });
                    }
                    Hop::Track(next) => {
                        on_path[current] = Some(path.len());
                        path.push(current);
                        current = next;
                    }
                }
            };
            let hopped = end.map(|(root, _)| (root, true));
            for &t in &path {
                on_path[t] = None;
                // A walk from a tag on a circle repeats that tag first.
                results[t] = Some(if on_cycle[t] {
                    Err(Broken {
                        kind: FollowErrorKind::Circular,
                        at: t,
                    })
                } else {
                    hopped
                });
            }
        }
        Tracking {
            entries,
            index,
            hops,
            results: results
                .into_iter()
                // Every tag was resolved by the loop above.
                .map(|r| {
                    r.unwrap_or(Err(Broken {
                        kind: FollowErrorKind::NotFound,
                        at: 0,
                    }))
                })
                .collect(),
            on_cycle,
        }
    }

    /// The spec tags that directly track `tag`, in name order.
    pub fn followers(&self, tag: &str) -> Vec<&TagName> {
        self.followers
            .get(tag)
            .map(|v| v.iter().collect())
            .unwrap_or_default()
    }

    /// Recomputes the follower map from the spec (after any spec change).
    pub(crate) fn rebuild_followers(&mut self) {
        // Sorted pairs, grouped, then built in bulk: no random inserts.
        let mut pairs: Vec<(&TagName, &TagName)> = self
            .spec_tags
            .iter()
            .filter_map(|(name, spec)| {
                let target = spec.source().and_then(|s| self.tracked_tag(s))?;
                Some((target, name))
            })
            .collect();
        // Stable: followers stay in name order.
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        let mut grouped: Vec<(TagName, Vec<TagName>)> = Vec::new();
        for (target, name) in pairs {
            match grouped.last_mut() {
                Some((t, names)) if t == target => names.push(name.clone()),
                _ => grouped.push((target.clone(), vec![name.clone()])),
            }
        }
        self.followers = grouped.into_iter().collect();
    }

    /// `tag` and every tag that tracks it, directly or through others:
    /// the tags an edit of `tag`'s history can move. O(those tags).
    pub(crate) fn tracked_by(&self, tag: &TagName) -> Vec<TagName> {
        let mut affected = vec![tag.clone()];
        let mut seen = BTreeSet::from([tag.clone()]);
        let mut next = 0;
        while let Some(t) = affected.get(next).cloned() {
            next += 1;
            for f in self.followers(t.as_str()) {
                if seen.insert(f.clone()) {
                    affected.push(f.clone());
                }
            }
        }
        affected
    }

    /// The circle of tracking tags `tag` lies on, as
    /// [`Tracking::circle`] answers, by walking `tag`'s chain only:
    /// O(k log k) for a chain of k tags.
    pub(crate) fn circle_through(&self, tag: &TagName) -> Option<CircularReference> {
        let mut chain = vec![tag.clone()];
        let mut seen: BTreeSet<&str> = BTreeSet::from([tag.as_str()]);
        let mut current = tag.as_str();
        loop {
            let Step::Track(next) = self.step(current) else {
                return None;
            };
            // A hop to a tag without a spec tag ends the chain (the
            // tracking pass calls it missing, not a circle).
            if !self.spec_tags.contains_key(next.as_str()) {
                return None;
            }
            chain.push(next.clone());
            if next == tag {
                return Some(CircularReference { chain });
            }
            if !seen.insert(next.as_str()) {
                return None;
            }
            current = next.as_str();
        }
    }

    /// Moves `tag` in the follower map from the tag `old` (its previous
    /// spec) tracked to the tag its spec tracks now: what
    /// `rebuild_followers` would change, in O(log tags + followers).
    pub(crate) fn retarget_follower(&mut self, tag: &TagName, old: Option<&SpecTag>) {
        let was = old
            .and_then(SpecTag::source)
            .and_then(|s| self.tracked_tag(s))
            .cloned();
        let now = self
            .spec_tags
            .get(tag.as_str())
            .and_then(SpecTag::source)
            .and_then(|s| self.tracked_tag(s))
            .cloned();
        if was == now {
            return;
        }
        if let Some(target) = was
            && let Some(names) = self.followers.get_mut(target.as_str())
        {
            names.retain(|n| n != tag);
            if names.is_empty() {
                self.followers.remove(target.as_str());
            }
        }
        if let Some(target) = now {
            let names = self.followers.get_or_insert_default(&target);
            if let Err(at) = names.binary_search(tag) {
                names.insert(at, tag.clone());
            }
        }
    }

    pub(crate) fn with_followers(mut self) -> Self {
        self.rebuild_followers();
        self
    }

    /// After `tag`'s current entry changed, gives every follower the same
    /// entry (§5 rules), transitively and in a fixed order (breadth first,
    /// followers by name); each tag is visited at most once, so a circle
    /// stops. Returns the followers that changed, in visiting order.
    pub(crate) fn propagate(&mut self, tag: &TagName) -> Vec<TagName> {
        // The follower map stays borrowed while histories change: no
        // clones of names to walk, one per changed tag to report.
        let Self {
            histories,
            index,
            followers,
            history_limit,
            ..
        } = self;
        let mut changed = Vec::new();
        // Looked up, never iterated.
        let mut visited: HashSet<&str> = HashSet::from([tag.as_str()]);
        let mut queue: VecDeque<&str> = VecDeque::from([tag.as_str()]);
        while let Some(source) = queue.pop_front() {
            let Some(event) = histories.get(source).and_then(TagHistory::current).cloned() else {
                continue;
            };
            let Some(next) = followers.get(source) else {
                continue;
            };
            for f in next {
                if !visited.insert(f.as_str()) {
                    continue;
                }
                let outcome =
                    super::edit::add_to_history(histories, index, *history_limit, f, event.clone());
                if outcome.changed() {
                    changed.push(f.clone());
                    queue.push_back(f.as_str());
                }
            }
        }
        changed
    }
}

/// One hop of a tracking chain.
enum Step<'a> {
    /// The tag has no spec tag.
    Missing,
    /// Its source is a tag of another stream or namespace.
    Elsewhere,
    /// Its source is not a tag of this stream: the chain ends here.
    Root(&'a TagName, &'a SpecTag),
    /// It tracks this tag of the same stream.
    Track(&'a TagName),
}

/// One hop of a tracking chain, by index into the spec tags.
#[derive(Debug, Clone, Copy)]
enum Hop {
    /// The tracked tag has no spec tag.
    Missing,
    /// The source is a tag of another stream or namespace.
    Elsewhere,
    /// The source is not a tag of this stream: the chain ends here.
    Root,
    /// It tracks this spec tag of the same stream.
    Track(usize),
}

/// Why a chain broke, by index into the spec tags: the circle's tag seen
/// twice, the tag whose tracked tag has no spec tag, or the tag pointing
/// into another stream.
#[derive(Debug, Clone, Copy)]
struct Broken {
    kind: FollowErrorKind,
    at: usize,
}

/// Every spec tag's tracking chain, resolved once (see
/// [`ImageStream::tracking`]).
#[derive(Debug, Clone)]
pub struct Tracking<'a> {
    /// The spec tags, in name order.
    entries: Vec<(&'a TagName, &'a SpecTag)>,
    /// Name -> position in `entries` (looked up, never iterated).
    index: HashMap<&'a str, usize>,
    hops: Vec<Hop>,
    /// Per spec tag: the index of its chain's last tag and whether a hop
    /// was taken, or why the chain broke.
    results: Vec<Result<(usize, bool), Broken>>,
    /// Per spec tag: whether it lies on a circle of tracking tags.
    on_cycle: Vec<bool>,
}

impl<'a> Tracking<'a> {
    /// Where `tag`'s chain ends, as
    /// [`ImageStream::follow_tag_reference`] answers, in O(1).
    ///
    /// # Errors
    ///
    /// As [`ImageStream::follow_tag_reference`].
    pub fn follow(&self, tag: &str) -> Result<Followed<'a>, FollowError> {
        let i = *self
            .index
            .get(tag)
            .ok_or_else(|| FollowError::new(FollowErrorKind::NotFound, tag, false))?;
        let (root, multiple) = self.results[i].map_err(|b| self.error(i, b))?;
        let (tag, spec) = self.entries[root];
        Ok(Followed {
            tag: tag.clone(),
            spec,
            multiple,
        })
    }

    /// The error `follow_tag_reference` returns from the spec tag `start`
    /// for a chain broken as `broken` says.
    fn error(&self, start: usize, broken: Broken) -> FollowError {
        let name: &str = match broken.kind {
            // The tag tracked from `at`, which has no spec tag.
            FollowErrorKind::NotFound => self.entries[broken.at]
                .1
                .source()
                .and_then(|src| match src {
                    TagSource::ImageStreamTag { tag, .. } => Some(tag.as_str()),
                    _ => None,
                })
                .unwrap_or(self.entries[broken.at].0.as_str()),
            _ => self.entries[broken.at].0.as_str(),
        };
        // Only a chain that points into another stream from its first tag
        // took no hop: a missing tag is reached by a hop (the start has a
        // spec tag), a circle is found after going round it.
        let multiple = broken.at != start || broken.kind != FollowErrorKind::OtherStream;
        FollowError::new(broken.kind, name, multiple)
    }

    /// Whether any spec tag lies on a circle of tracking tags.
    #[must_use]
    pub fn has_circle(&self) -> bool {
        self.on_cycle.contains(&true)
    }

    /// The circle of tracking tags `tag` lies on, starting and ending with
    /// `tag`, or `None` when it lies on none.
    #[must_use]
    pub fn circle(&self, tag: &str) -> Option<CircularReference> {
        let start = *self.index.get(tag)?;
        if !self.on_cycle[start] {
            return None;
        }
        let mut chain = vec![self.entries[start].0.clone()];
        let mut current = start;
        // On a circle every hop leads to another tag of the circle, so the
        // walk returns to `start` within `entries.len()` hops.
        for _ in 0..self.entries.len() {
            let Hop::Track(next) = self.hops[current] else {
                return None;
            };
            chain.push(self.entries[next].0.clone());
            if next == start {
                return Some(CircularReference { chain });
            }
            current = next;
        }
        None
    }
}

impl fmt::Display for Followed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag.as_str())
    }
}
