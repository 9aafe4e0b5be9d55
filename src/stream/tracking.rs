//! Tracking tags: same-stream `ImageStreamTag` sources that follow another
//! tag's current image.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use crate::reference::TagName;

use super::{ImageStream, SpecTag, TagSource};

/// Why [`ImageStream::follow_tag_reference`] stopped: `oc`'s messages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum FollowError {
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
                return Err(FollowError::Circular);
            }
            match self.step(name) {
                Step::Missing => return Err(FollowError::NotFound),
                Step::Elsewhere => return Err(FollowError::OtherStream),
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
        let keys: Vec<&TagName> = self.spec_tags.keys().collect();
        let index = |name: &str| keys.binary_search_by(|k| k.as_str().cmp(name)).ok();
        let mut results: Vec<Option<Result<(usize, bool), FollowError>>> = vec![None; keys.len()];
        let mut on_cycle = vec![false; keys.len()];
        // Position in the current walk, for tags on it.
        let mut on_path: Vec<Option<usize>> = vec![None; keys.len()];
        let mut path: Vec<usize> = Vec::new();
        for first in 0..keys.len() {
            if results[first].is_some() {
                continue;
            }
            path.clear();
            let mut current = first;
            // The result of the tag the walk ended on; every tag on the
            // path took at least one hop to it.
            let end: Result<(usize, bool), FollowError> = loop {
                if let Some(r) = &results[current] {
                    break r.clone();
                }
                if let Some(at) = on_path[current] {
                    for &t in &path[at..] {
                        on_cycle[t] = true;
                    }
                    break Err(FollowError::Circular);
                }
                on_path[current] = Some(path.len());
                path.push(current);
                match self.step(keys[current].as_str()) {
                    Step::Missing => break Err(FollowError::NotFound),
                    Step::Elsewhere => {
                        path.pop();
                        on_path[current] = None;
                        results[current] = Some(Err(FollowError::OtherStream));
                        break Err(FollowError::OtherStream);
                    }
                    Step::Root(..) => {
                        path.pop();
                        on_path[current] = None;
                        results[current] = Some(Ok((current, false)));
                        break Ok((current, false));
                    }
                    Step::Track(next) => match index(next.as_str()) {
                        Some(next) => current = next,
                        None => break Err(FollowError::NotFound),
                    },
                }
            };
            let hopped = end.map(|(root, _)| (root, true));
            for &t in &path {
                on_path[t] = None;
                results[t] = Some(hopped.clone());
            }
        }
        Tracking {
            stream: self,
            keys,
            results: results
                .into_iter()
                // Every tag was resolved by the loop above.
                .map(|r| r.unwrap_or(Err(FollowError::NotFound)))
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
        let mut map: BTreeMap<TagName, Vec<TagName>> = BTreeMap::new();
        for (name, spec) in &self.spec_tags {
            if let Some(target) = spec.source().and_then(|s| self.tracked_tag(s)) {
                map.entry(target.clone()).or_default().push(name.clone());
            }
        }
        self.followers = map;
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
        let mut changed = Vec::new();
        let mut visited = BTreeSet::from([tag.clone()]);
        let mut queue = VecDeque::from([tag.clone()]);
        while let Some(source) = queue.pop_front() {
            let Some(event) = self
                .histories
                .get(source.as_str())
                .and_then(|h| h.current())
                .cloned()
            else {
                continue;
            };
            let followers: Vec<TagName> = self
                .followers(source.as_str())
                .into_iter()
                .cloned()
                .collect();
            for f in followers {
                if !visited.insert(f.clone()) {
                    continue;
                }
                if self.add_to_history(&f, event.clone()).changed() {
                    changed.push(f.clone());
                    queue.push_back(f);
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

/// Every spec tag's tracking chain, resolved once (see
/// [`ImageStream::tracking`]).
#[derive(Debug, Clone)]
pub struct Tracking<'a> {
    stream: &'a ImageStream,
    /// The spec tags, in name order.
    keys: Vec<&'a TagName>,
    /// Per spec tag: the index of its chain's last tag and whether a hop
    /// was taken, or why the chain broke.
    results: Vec<Result<(usize, bool), FollowError>>,
    /// Per spec tag: whether it lies on a circle of tracking tags.
    on_cycle: Vec<bool>,
}

impl<'a> Tracking<'a> {
    fn index(&self, tag: &str) -> Option<usize> {
        self.keys.binary_search_by(|k| k.as_str().cmp(tag)).ok()
    }

    /// Where `tag`'s chain ends, as
    /// [`ImageStream::follow_tag_reference`] answers, in O(log n).
    ///
    /// # Errors
    ///
    /// As [`ImageStream::follow_tag_reference`].
    pub fn follow(&self, tag: &str) -> Result<Followed<'a>, FollowError> {
        let i = self.index(tag).ok_or(FollowError::NotFound)?;
        let (root, multiple) = self.results[i].clone()?;
        let tag = self.keys[root];
        let spec = self
            .stream
            .spec_tags
            .get(tag.as_str())
            .ok_or(FollowError::NotFound)?;
        Ok(Followed {
            tag: tag.clone(),
            spec,
            multiple,
        })
    }

    /// The circle of tracking tags `tag` lies on, starting and ending with
    /// `tag`, or `None` when it lies on none.
    #[must_use]
    pub fn circle(&self, tag: &str) -> Option<CircularReference> {
        let i = self.index(tag)?;
        if !self.on_cycle[i] {
            return None;
        }
        let start = self.keys[i];
        let mut chain = vec![start.clone()];
        let mut current = start;
        // On a circle every hop leads to another tag of the circle, so the
        // walk returns to `start` within `keys.len()` hops.
        for _ in 0..self.keys.len() {
            let Step::Track(next) = self.stream.step(current.as_str()) else {
                return None;
            };
            chain.push(next.clone());
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
