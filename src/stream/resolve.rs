//! Resolution: the latest image of a tag, pull specs, and images by id.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::{Arc, OnceLock};

use crate::reference::{DEFAULT_TAG, Digest, ImageReference, TagName};

use super::{ImageStream, ReferencePolicy, TagEvent, TagSource};

/// Image digest → the tags whose history holds it, with how many entries.
type IndexMap = BTreeMap<Box<str>, BTreeMap<TagName, u32>>;

/// An index from image digest to the tags that hold it, so lookups by id
/// prefix cost O(log n) instead of a scan of every entry of every tag.
///
/// Built on the first id lookup, then kept in step with every change to
/// the histories (a stream that is never searched by id pays nothing).
/// Copies of a stream share the built index; an edit of a copy whose
/// index is shared drops its own reference and lets the next lookup
/// build it again, so no write ever copies the index.
#[derive(Default)]
pub(crate) struct ImageIndex(OnceLock<Arc<IndexMap>>);

impl ImageIndex {
    fn get_or_build<'a>(
        &'a self,
        histories: &super::shared::TagMap<super::TagHistory>,
    ) -> &'a IndexMap {
        self.0.get_or_init(|| {
            let mut map = IndexMap::new();
            for (tag, h) in histories {
                for e in &h.events {
                    add(&mut map, tag, e);
                }
            }
            Arc::new(map)
        })
    }

    /// The built index for writing, unless it is shared with a copy of
    /// the stream: then it is dropped here (rebuilt by the next lookup).
    fn writable(&mut self) -> Option<&mut IndexMap> {
        let shared = Arc::get_mut(self.0.get_mut()?).is_none();
        if shared {
            self.0 = OnceLock::new();
            return None;
        }
        self.0.get_mut().and_then(Arc::get_mut)
    }

    /// Records `event` under `tag`, if the index is built.
    pub(crate) fn added(&mut self, tag: &TagName, event: &TagEvent) {
        if let Some(map) = self.writable() {
            add(map, tag, event);
        }
    }

    /// Forgets one entry of `event` under `tag`, if the index is built.
    pub(crate) fn removed(&mut self, tag: &TagName, event: &TagEvent) {
        let Some(map) = self.writable() else { return };
        let image = event.image_str();
        if image.is_empty() {
            return;
        }
        if let Some(tags) = map.get_mut(image) {
            if let Some(n) = tags.get_mut(tag.as_str()) {
                *n -= 1;
                if *n == 0 {
                    tags.remove(tag.as_str());
                }
            }
            if tags.is_empty() {
                map.remove(image);
            }
        }
    }

    /// Whether the index has been built (by the first id lookup): edits
    /// keep a built index in step and leave an unbuilt one alone.
    pub(crate) fn is_built(&self) -> bool {
        self.0.get().is_some()
    }
}

fn add(map: &mut IndexMap, tag: &TagName, event: &TagEvent) {
    let image = event.image_str();
    if !image.is_empty() {
        *map.entry(image.into())
            .or_default()
            .entry(tag.clone())
            .or_insert(0) += 1;
    }
}

impl Clone for ImageIndex {
    fn clone(&self) -> Self {
        let lock = OnceLock::new();
        if let Some(map) = self.0.get() {
            let _ = lock.set(Arc::clone(map));
        }
        Self(lock)
    }
}

impl PartialEq for ImageIndex {
    /// The index is derived state: it never makes two streams differ.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ImageIndex {}

impl std::fmt::Debug for ImageIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.get() {
            Some(map) => write!(f, "ImageIndex({} images)", map.len()),
            None => f.write_str("ImageIndex(not built)"),
        }
    }
}

/// Why a lookup failed, with OpenShift's messages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// No image of the stream matches the id (prefix).
    #[error("imagestreamimage.image.openshift.io \"{id}\" not found")]
    ImageNotFound {
        /// The id as given.
        id: String,
    },
    /// More than one image matches the id prefix.
    #[error(
        "Operation cannot be fulfilled on imagestreamimage.image.openshift.io \"{id}\": multiple images match the prefix \"{id}\": {}",
        .matches.join(", ")
    )]
    Ambiguous {
        /// The id prefix as given.
        id: String,
        /// The matching images, sorted.
        matches: Vec<String>,
    },
    /// The tag has no current image (no history, or a reference tag).
    #[error("imagestreamtags.image.openshift.io \"{stream}:{tag}\" not found")]
    TagNotFound {
        /// The stream.
        stream: String,
        /// The tag.
        tag: String,
    },
    /// An import is pending and the tag's source is not an external image.
    #[error("the pull spec cannot be determined yet")]
    WaitForPullSpec,
    /// Neither an event nor a repository to build a pull spec from.
    #[error("no image repository has been set on the image stream status")]
    NoStreamRepository,
}

/// `""` means `latest`, everywhere a tag is taken.
fn tag_or_default(tag: &str) -> &str {
    if tag.is_empty() { DEFAULT_TAG } else { tag }
}

impl ImageStream {
    /// `LatestTaggedImage` (§6.1): the current entry of `tag` (`""` means
    /// `latest`). Does not follow spec references.
    #[must_use]
    pub fn latest_tagged_image(&self, tag: &str) -> Option<&TagEvent> {
        self.histories
            .get(tag_or_default(tag))
            .and_then(|h| h.current())
    }

    /// The `istag` view (§11.1): the current entry of `tag`, which must have
    /// an image (reference tags and pending imports are not found).
    ///
    /// # Errors
    ///
    /// `imagestreamtags.image.openshift.io "<stream>:<tag>" not found`.
    pub fn image_stream_tag(&self, tag: &str) -> Result<&TagEvent, ResolveError> {
        let tag = tag_or_default(tag);
        self.latest_tagged_image(tag)
            .filter(|e| !e.image_str().is_empty())
            .ok_or_else(|| ResolveError::TagNotFound {
                stream: self.name.to_string(),
                tag: tag.to_owned(),
            })
    }

    /// `ResolveReferenceForTagEvent` (§6.2): the pull spec consumers should
    /// use for `event` of `tag`: with `referencePolicy: Local`, the stream's
    /// own repository by digest; otherwise the event's pull spec.
    #[must_use]
    pub fn resolve_reference_for_event(&self, tag: &str, event: &TagEvent) -> String {
        let local = self
            .spec_tags
            .get(tag_or_default(tag))
            .is_some_and(|s| s.reference_policy() == ReferencePolicy::Local);
        if local
            && !event.image_str().is_empty()
            && let Ok(repo) = ImageReference::parse(&self.status_repository)
        {
            let repo = repo.as_repository();
            let mut out = repo.exact();
            if !out.is_empty() {
                out.push('@');
                out.push_str(event.image_str());
                return out;
            }
        }
        event.pull_spec().as_str().to_owned()
    }

    /// `ResolveLatestTaggedImage` (§6.2): the pull spec of `tag`'s current
    /// entry.
    ///
    /// # Errors
    ///
    /// `imagestreamtags.image.openshift.io "<stream>:<tag>" not found` when
    /// the tag has no entry.
    pub fn resolve_pull_spec(&self, tag: &str) -> Result<String, ResolveError> {
        let tag = tag_or_default(tag);
        let event = self
            .latest_tagged_image(tag)
            .ok_or_else(|| ResolveError::TagNotFound {
                stream: self.name.to_string(),
                tag: tag.to_owned(),
            })?;
        Ok(self.resolve_reference_for_event(tag, event))
    }

    /// `ResolveNewestPullSpecForTag` (§6.3): like
    /// [`resolve_recent_pull_spec`](Self::resolve_recent_pull_spec), but
    /// while an import is pending the pull spec is the spec tag's external
    /// image, or an error.
    ///
    /// # Errors
    ///
    /// `the pull spec cannot be determined yet`; `no image repository has
    /// been set on the image stream status`.
    pub fn resolve_newest_pull_spec(
        &self,
        tag: &str,
        default_external: bool,
    ) -> Result<(String, bool), ResolveError> {
        self.resolve_pull_spec_for_tag(tag, default_external, true)
    }

    /// `ResolveRecentPullSpecForTag` (§6.3): the best pull spec known now,
    /// and whether a newer image is pending import.
    ///
    /// # Errors
    ///
    /// `no image repository has been set on the image stream status`.
    pub fn resolve_recent_pull_spec(
        &self,
        tag: &str,
        default_external: bool,
    ) -> Result<(String, bool), ResolveError> {
        self.resolve_pull_spec_for_tag(tag, default_external, false)
    }

    fn resolve_pull_spec_for_tag(
        &self,
        tag: &str,
        default_external: bool,
        require_latest: bool,
    ) -> Result<(String, bool), ResolveError> {
        let tag = tag_or_default(tag);
        let spec = self.spec_tags.get(tag);
        let spec_ref = spec.and_then(|s| match s.source() {
            Some(TagSource::DockerImage(r)) if s.reference_policy() == ReferencePolicy::Source => {
                Some(r)
            }
            _ => None,
        });
        let current = self.latest_tagged_image(tag);
        let mut has_newer = false;
        let event = match (current, spec.and_then(super::spec::SpecTag::generation)) {
            (None, _) => None,
            (Some(e), Some(g)) if g > e.generation() => {
                if require_latest {
                    if spec_ref.is_none() {
                        return Err(ResolveError::WaitForPullSpec);
                    }
                    None
                } else {
                    has_newer = true;
                    Some(e)
                }
            }
            (Some(e), _) => Some(e),
        };
        if let Some(e) = event {
            return Ok((self.resolve_reference_for_event(tag, e), has_newer));
        }
        if let Some(r) = spec_ref {
            return Ok((r.as_str().to_owned(), has_newer));
        }
        let repo = if default_external && !self.public_repository.is_empty() {
            &self.public_repository
        } else {
            &self.status_repository
        };
        if repo.is_empty() {
            return Err(ResolveError::NoStreamRepository);
        }
        Ok((format!("{repo}:{tag}"), has_newer))
    }

    /// The images whose digest matches `id` the way OpenShift's
    /// `DigestOrImageMatch` does (a prefix of the hex part or of the whole
    /// digest), through the index: O(log n + matches).
    pub(crate) fn matching_images(&self, id: &str) -> BTreeSet<&str> {
        let map = self.index.get_or_build(&self.histories);
        let mut out = BTreeSet::new();
        let mut scan = |prefix: &str| {
            for (k, _) in map
                .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
                .take_while(|(k, _)| k.starts_with(prefix))
            {
                out.insert(&**k);
            }
        };
        scan(id);
        if !id.contains(':') {
            for alg in ["sha256:", "sha384:", "sha512:"] {
                scan(&format!("{alg}{id}"));
            }
        }
        out
    }

    /// Resolves an image id or id prefix (`3c87c5`, `sha256:3c87…`) to an
    /// entry holding that image (`isimage`, and `ResolveImageID` of §12.1).
    ///
    /// **Better than OpenShift:** more than one matching image is always the
    /// ambiguity error (the server's `isimage` GET lets the last match in map
    /// order win), and the lookup uses an index, not a scan. The entry
    /// returned is deterministic: the newest entry holding the image in the
    /// first tag (by name) that holds it.
    ///
    /// # Errors
    ///
    /// `imagestreamimage.image.openshift.io "<id>" not found`;
    /// `Operation cannot be fulfilled on imagestreamimage.image.openshift.io
    /// "<id>": multiple images match the prefix "<id>": <a>, <b>`.
    pub fn resolve_image(&self, id: &str) -> Result<&TagEvent, ResolveError> {
        let matches = self.matching_images(id);
        let mut it = matches.iter();
        let (Some(image), None) = (it.next(), it.next()) else {
            return Err(if matches.is_empty() {
                ResolveError::ImageNotFound { id: id.to_owned() }
            } else {
                ResolveError::Ambiguous {
                    id: id.to_owned(),
                    matches: matches.iter().map(|m| (*m).to_owned()).collect(),
                }
            });
        };
        let map = self.index.get_or_build(&self.histories);
        map.get(*image)
            .and_then(|tags| tags.keys().next())
            .and_then(|tag| self.histories.get(tag.as_str()))
            .and_then(|h| h.iter().find(|e| e.image_str() == *image))
            .ok_or_else(|| ResolveError::ImageNotFound { id: id.to_owned() })
    }

    /// The image digest `id` resolves to (see [`resolve_image`](Self::resolve_image)).
    ///
    /// # Errors
    ///
    /// Those of [`resolve_image`](Self::resolve_image).
    pub fn resolve_image_id(&self, id: &str) -> Result<Digest, ResolveError> {
        self.resolve_image(id)?
            .image()
            .ok_or_else(|| ResolveError::ImageNotFound { id: id.to_owned() })
    }

    /// Whether the id index has been built (it is built by the first id
    /// lookup). A probe for tests, not API.
    #[cfg(test)]
    pub(crate) fn image_index_built(&self) -> bool {
        self.index.is_built()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use crate::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
    use crate::stream::{ImageStream, TagEvent};

    #[test]
    fn the_id_index_is_built_by_the_first_lookup_then_kept_in_step() {
        let mut is = ImageStream::new(
            Namespace::parse("ns").unwrap(),
            StreamName::parse("s").unwrap(),
        )
        .unwrap();
        let d = Digest::of_sha256(b"image");
        assert!(!is.image_index_built(), "no lookup, no index");
        assert!(is.resolve_image(d.hex()).is_err());
        assert!(is.image_index_built(), "built by the first lookup");
        let at = Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap();
        let pull_spec = ImageReference::parse(&format!("repo@{d}")).unwrap();
        is.add_event(
            &TagName::parse("t").unwrap(),
            TagEvent::new(pull_spec, Some(d.clone()), 1, at),
        );
        assert!(is.image_index_built(), "kept, not rebuilt");
        assert_eq!(is.resolve_image_id(&d.hex()[..12]).unwrap(), d);
    }
}
