//! Tracking tags: same-stream `ImageStreamTag` sources that follow another
//! tag's current image.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use crate::reference::TagName;

use super::{ImageStream, SpecTag, TagSource};

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

    /// `oc`'s `FollowTagReference` (§7.3): follows same-stream tag references
    /// from `tag` to the tag that holds a real source.
    ///
    /// # Errors
    ///
    /// `reference tag is circular`, `reference tag is not found` (no spec
    /// tag on the chain), `reference tag points to another imagestream`.
    pub fn follow_tag_reference(&self, tag: &str) -> Result<Followed<'_>, FollowError> {
        // Chains are short: a vector beats a set.
        let mut seen: Vec<&str> = Vec::new();
        let mut current = self.spec_tags.get_key_value(tag).map(|(k, _)| k);
        let mut name: &str = tag;
        let mut multiple = false;
        loop {
            if seen.contains(&name) {
                return Err(FollowError::new(FollowErrorKind::Circular, name, multiple));
            }
            seen.push(name);
            let Some((key, spec)) = current.and_then(|k| self.spec_tags.get_key_value(k)) else {
                return Err(FollowError::new(FollowErrorKind::NotFound, name, multiple));
            };
            let next = match spec.source() {
                Some(src) if self.points_elsewhere(src) => {
                    return Err(FollowError::new(
                        FollowErrorKind::OtherStream,
                        name,
                        multiple,
                    ));
                }
                Some(src) => self.tracked_tag(src),
                None => None,
            };
            match next {
                None => {
                    return Ok(Followed {
                        tag: key.clone(),
                        spec,
                        multiple,
                    });
                }
                Some(next) => {
                    name = next.as_str();
                    current = self.spec_tags.get_key_value(next.as_str()).map(|(k, _)| k);
                    if current.is_none() && seen.contains(&name) {
                        // A hop was taken: `oc` has set `multiple` by now.
                        return Err(FollowError::new(FollowErrorKind::Circular, name, true));
                    }
                    multiple = true;
                }
            }
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

    /// Whether tracking `target` from `tag` would close a circle; returns the
    /// circle.
    pub(crate) fn would_cycle(&self, tag: &TagName, target: &TagName) -> Option<CircularReference> {
        let mut chain = vec![tag.clone(), target.clone()];
        if target == tag {
            return Some(CircularReference { chain });
        }
        let mut seen = BTreeSet::from([tag.clone()]);
        let mut current = target.clone();
        while seen.insert(current.clone()) {
            let next = self
                .spec_tags
                .get(current.as_str())
                .and_then(|s| s.source())
                .and_then(|s| self.tracked_tag(s))?
                .clone();
            chain.push(next.clone());
            if next == *tag {
                return Some(CircularReference { chain });
            }
            current = next;
        }
        None
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

impl fmt::Display for Followed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag.as_str())
    }
}
