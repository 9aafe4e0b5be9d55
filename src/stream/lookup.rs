//! Local name lookup (`spec.lookupPolicy.local`): `oc set image-lookup`
//! (oc `pkg/cli/set/imagelookup.go`) and the rule that uses it, the image
//! policy admission's resolution of a pod's `image: python:3.6` through
//! the stream `python` of the pod's namespace (OAS
//! `admission/imagepolicy/imagepolicy.go`, `resolveImageReference` and
//! `resolveImageStreamTag`).

use crate::reference::{DEFAULT_TAG, ImageReference};

use super::{Changes, ImageStream};

/// The workload annotation that forces local name resolution for every
/// image of the object, whatever the streams' lookup policy.
pub const RESOLVE_NAMES_ANNOTATION: &str = "alpha.image.policy.openshift.io/resolve-names";

/// Why a pod image did not resolve through a stream, with the admission
/// plugin's messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocalNameError {
    /// The image names a registry or a namespace, and resolution was not
    /// forced: it is not a local name.
    #[error("({0}) could not be resolved to an exact image reference")]
    NotLocal(String),
    /// The tag exists but the stream does not allow local references.
    #[error(
        "ImageStreamTag does not allow local references and the resource did not request image stream resolution"
    )]
    NotAllowed,
    /// Neither the tag nor a resolving stream exists.
    #[error("imagestreamtags.image.openshift.io \"{0}\" not found")]
    NotFound(String),
}

/// Which stream tag a pod's `image` would be looked up in
/// (`resolveImageReference`): `(namespace, stream, tag)`, where the
/// namespace is `None` for the pod's own. `None` when the image is by id
/// (it is exact already). A name with a registry or a namespace is a local
/// name only when resolution is `forced` (then its namespace is replaced
/// by the pod's).
///
/// ```
/// use imagestream::stream::local_name;
///
/// assert_eq!(local_name("python:3.6", false)?, Some((None, "python".into(), "3.6".into())));
/// assert_eq!(local_name("python", false)?, Some((None, "python".into(), "latest".into())));
/// assert!(local_name("docker.io/library/python:3.6", false).is_err());
/// assert_eq!(
///     local_name("docker.io/library/python:3.6", true)?,
///     Some((None, "python".into(), "3.6".into()))
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`LocalNameError::NotLocal`] for a name with a registry or namespace
/// when not forced, or an image that is no pull spec.
#[allow(clippy::type_complexity)] // the three parts are what the server keys on
pub fn local_name(
    image: &str,
    forced: bool,
) -> Result<Option<(Option<String>, String, String)>, LocalNameError> {
    let r = ImageReference::parse(image).map_err(|_| LocalNameError::NotLocal(image.to_owned()))?;
    if r.id().is_some() {
        return Ok(None);
    }
    let partial =
        forced || (r.registry().is_none() && r.namespace().is_none() && !r.name().is_empty());
    if !partial {
        return Err(LocalNameError::NotLocal(r.exact()));
    }
    let namespace = if forced {
        None
    } else {
        r.namespace().map(str::to_owned)
    };
    let tag = r.tag().unwrap_or(DEFAULT_TAG).to_owned();
    Ok(Some((namespace, r.name().to_owned(), tag)))
}

impl ImageStream {
    /// `oc set image-lookup NAME [--enabled=false]`: sets
    /// `spec.lookupPolicy.local`. A change of the spec bumps the stream's
    /// generation, as every spec change does (§8), saturating at
    /// `i64::MAX`. Says whether it changed (`oc` prints nothing for an
    /// unchanged stream); no tag moves.
    pub fn set_lookup_local(&mut self, enabled: bool) -> Changes {
        if self.lookup_local == enabled {
            return Changes {
                generation: self.generation(),
                ..Changes::default()
            };
        }
        self.lookup_local = enabled;
        self.bump_generation_saturating();
        Changes {
            generation: self.generation(),
            generation_bumped: true,
            changed: true,
            ..Changes::default()
        }
    }

    /// `resolveImageStreamTag` for a local name: the pull spec a pod's
    /// `image: <stream>:<tag>` is rewritten to. When the tag has an image:
    /// its pull spec as the `istag` view resolves it (the reference
    /// policy applies) with the image's digest as id, allowed only when
    /// the stream has local lookup on or resolution is `forced`. When the
    /// tag has none but the stream resolves local names:
    /// `<status.dockerImageRepository>:<tag>`.
    ///
    /// ```
    /// use imagestream::chrono::Utc;
    /// use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
    /// use imagestream::stream::{ImageStream, TagEvent};
    ///
    /// let mut is = ImageStream::new(Namespace::parse("ns")?, StreamName::parse("python")?)?;
    /// let d = Digest::of_sha256(b"3.6");
    /// let spec = ImageReference::parse(&format!("docker.io/library/python@{d}"))?;
    /// is.add_event(&TagName::parse("3.6")?, TagEvent::new(spec, Some(d.clone()), 1, Utc::now()));
    /// assert!(is.resolve_local_name("3.6", false).is_err());
    /// is.set_lookup_local(true);
    /// assert_eq!(is.resolve_local_name("3.6", false)?, format!("docker.io/library/python@{d}"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`LocalNameError::NotAllowed`] (lookup off, not forced),
    /// [`LocalNameError::NotFound`] (no such tag, and the stream does not
    /// resolve local names or has no repository).
    pub fn resolve_local_name(&self, tag: &str, forced: bool) -> Result<String, LocalNameError> {
        let tag = if tag.is_empty() { DEFAULT_TAG } else { tag };
        let allowed = forced || self.lookup_local;
        if let Ok(event) = self.image_stream_tag(tag)
            && let Some(image) = event.image()
        {
            if !allowed {
                return Err(LocalNameError::NotAllowed);
            }
            let pull_spec = self.resolve_reference_for_event(tag, event);
            return Ok(match ImageReference::parse(&pull_spec) {
                Ok(r) => r.with_tag(None).with_id(Some(&image)).exact(),
                Err(_) => pull_spec,
            });
        }
        if allowed
            && !self.status_repository().is_empty()
            && let Ok(repo) = ImageReference::parse(self.status_repository())
            && let Ok(tag_name) = crate::reference::TagName::parse(tag)
        {
            return Ok(repo.with_tag(Some(&tag_name)).exact());
        }
        Err(LocalNameError::NotFound(format!("{}:{tag}", self.name())))
    }
}
