//! Importing external tags, sans I/O: which tags the import controller
//! asks for (§15.1), and how the server turns the registry's answers into
//! spec tags, history entries and conditions (§14).
//!
//! [`ImageStreams::import`](crate::service::ImageStreams::import) runs it
//! against a [`Registry`](crate::ports::Registry).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::api;
use crate::ports::{ImportRequest, ImportedImage, RegistryError};
use crate::reference::{Digest, ImageReference, Namespace, TagName};
use crate::stream::{
    Changes, Content, ContentError, Currents, ImageStream, ImportPolicy, ReferencePolicy,
    SpecContext, SpecError, SpecTag, TagEvent, TagSource,
};

/// The annotation a stream gets when it is imported: the time, RFC 3339.
pub const REPOSITORY_CHECK_ANNOTATION: &str = "openshift.io/image.dockerRepositoryCheck";

/// The stream annotation that makes the whole repository insecure.
pub const INSECURE_REPOSITORY_ANNOTATION: &str = "openshift.io/image.insecureRepository";

/// The condition type an import writes.
pub const IMPORT_SUCCESS: &str = "ImportSuccess";

/// One tag to import: what the controller's `ImageStreamImport` carries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TagImport {
    /// The tag to write.
    pub tag: TagName,
    /// The external image.
    pub from: ImageReference,
    /// The tag's import policy.
    pub import_policy: ImportPolicy,
    /// The tag's reference policy.
    pub reference_policy: ReferencePolicy,
    /// The spec tag this request was planned from: [`apply_import`]
    /// applies the answer only while the tag's spec is still this one.
    /// `None` for a request that brings its own spec (`oc import-image`,
    /// a repository's tags), applied whatever the tag's spec is now, as
    /// the server applies an `ImageStreamImport`.
    pub planned_for: Option<SpecTag>,
}

impl TagImport {
    /// The request for an external spec tag (`None` for other sources).
    fn for_spec(tag: &TagName, spec: &SpecTag) -> Option<Self> {
        match spec.source() {
            Some(TagSource::DockerImage(from)) => Some(Self {
                tag: tag.clone(),
                from: from.clone(),
                import_policy: spec.import_policy(),
                reference_policy: spec.reference_policy(),
                planned_for: Some(spec.clone()),
            }),
            _ => None,
        }
    }
}

/// `tagImportable`: an external image that is not a reference.
#[must_use]
pub fn tag_importable(spec: &SpecTag) -> bool {
    matches!(spec.source(), Some(TagSource::DockerImage(_))) && !spec.reference()
}

/// `tagNeedsImport`: importable, and its generation is newer than what the
/// status has seen (`when_nil` when the spec tag has no generation).
#[must_use]
pub fn tag_needs_import(stream: &ImageStream, tag: &str, spec: &SpecTag, when_nil: bool) -> bool {
    tag_importable(spec)
        && spec
            .generation()
            .map_or(when_nil, |g| g > stream.latest_observed_generation(tag))
}

/// What `needsImport` decides for a stream (§15.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportScope {
    /// Nothing to import.
    None,
    /// Every importable spec tag, and the whole
    /// `spec.dockerImageRepository`: the stream has a repository and was
    /// never checked (no `openshift.io/image.dockerRepositoryCheck`).
    Full,
    /// Only the spec tags whose generation is unset or ahead of what their
    /// status has seen.
    Partial,
}

/// `needsImport` (OCM `imagestream_controller.go`): a stream never checked
/// imports fully when it has `spec.dockerImageRepository`, partially when
/// any spec tag is importable; a checked stream imports partially when a
/// spec tag's generation is ahead of its status (a tag without a
/// generation does not count here).
#[must_use]
pub fn needs_import(stream: &ImageStream) -> ImportScope {
    let unchecked = stream
        .metadata()
        .annotations
        .get(REPOSITORY_CHECK_ANNOTATION)
        .is_none_or(String::is_empty);
    if unchecked {
        if stream.docker_image_repository().is_some() {
            return ImportScope::Full;
        }
        if stream.spec_tags().any(|(_, spec)| tag_importable(spec)) {
            return ImportScope::Partial;
        }
    }
    if stream
        .spec_tags()
        .any(|(tag, spec)| tag_needs_import(stream, tag.as_str(), spec, false))
    {
        return ImportScope::Partial;
    }
    ImportScope::None
}

/// `handleImageStream` (OCM `imagestream_controller.go`, §15.1): the tags
/// the import controller asks for now. Nothing unless [`needs_import`]
/// says so; a [`Full`](ImportScope::Full) import asks for every importable
/// spec tag; a [`Partial`](ImportScope::Partial) one only for those whose
/// generation is unset or ahead of the generation their status has seen.
///
/// A full import also asks for the whole repository; that request is
/// [`plan_repository_import`].
///
/// ```
/// use imagestream::chrono::Utc;
/// use imagestream::ops::import::plan_import;
/// use imagestream::reference::{ImageReference, Namespace, StreamName, TagName};
/// use imagestream::stream::{ImageStream, SpecContext, SpecTag, TagSource};
///
/// let mut is = ImageStream::new(Namespace::parse("ns")?, StreamName::parse("py")?)?;
/// let from = ImageReference::parse("docker.io/python:3.6")?;
/// let ctx = SpecContext::new(Utc::now());
/// is.set_spec_tag(TagName::parse("3.6")?, SpecTag::new(TagSource::DockerImage(from)), &ctx)?;
/// let plan = plan_import(&is);
/// assert_eq!(plan.len(), 1);
/// assert_eq!(plan[0].from.as_str(), "docker.io/python:3.6");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn plan_import(stream: &ImageStream) -> Vec<TagImport> {
    let scope = needs_import(stream);
    if scope == ImportScope::None {
        return Vec::new();
    }
    let full = scope == ImportScope::Full;
    stream
        .spec_tags()
        .filter(|(tag, spec)| {
            tag_importable(spec) && (full || tag_needs_import(stream, tag.as_str(), spec, true))
        })
        .filter_map(|(tag, spec)| TagImport::for_spec(tag, spec))
        .collect()
}

/// The repository part of a [`Full`](ImportScope::Full) import
/// (`handleImageStream`): `spec.dockerImageRepository`, insecure when the
/// stream carries `openshift.io/image.insecureRepository: "true"`. `None`
/// for any other scope.
#[must_use]
pub fn plan_repository_import(stream: &ImageStream) -> Option<(ImageReference, ImportPolicy)> {
    if needs_import(stream) != ImportScope::Full {
        return None;
    }
    let repository = stream.docker_image_repository()?.clone();
    let insecure = stream
        .metadata()
        .annotations
        .get(INSECURE_REPOSITORY_ANNOTATION)
        .is_some_and(|v| v == "true");
    Some((repository, ImportPolicy::default().insecure(insecure)))
}

/// Whether the scheduled import controller keeps `stream` (§15.2): it has
/// an importable, scheduled tag that is not a digest reference already
/// imported at its generation ("only until it succeeds once").
#[must_use]
pub fn is_scheduled(stream: &ImageStream) -> bool {
    stream.spec_tags().any(|(tag, spec)| {
        tag_importable(spec)
            && spec.import_policy().scheduled
            && !(matches!(spec.source(), Some(TagSource::DockerImage(r)) if r.id().is_some())
                && spec
                    .generation()
                    .is_some_and(|g| g <= stream.latest_observed_generation(tag.as_str())))
    })
}

/// The scheduled import's request (§15.2 `resetScheduledTags`): every
/// scheduled tag as if its generation were ahead, so each is asked for
/// again; the registry's answer decides whether anything changes.
#[must_use]
pub fn plan_scheduled_import(stream: &ImageStream) -> Vec<TagImport> {
    stream
        .spec_tags()
        .filter(|(_, spec)| tag_importable(spec) && spec.import_policy().scheduled)
        .filter_map(|(tag, spec)| TagImport::for_spec(tag, spec))
        .collect()
}

/// What the registry answered for one tag.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportResult {
    /// The image, as it will be stored (named by its digest).
    Imported(Box<api::Image>),
    /// The failure's reason (`NotFound`, `Unauthorized`, …) and message.
    Failed {
        /// A short machine-readable reason.
        reason: String,
        /// The message (empty becomes `unknown error prevented import`).
        message: String,
    },
}

impl ImportResult {
    /// The registry's answer to a request for `from`, as an import
    /// records it at `now`: the image to store ([`imported_image`], with
    /// the fetched manifest, which makes it verified, SPEC §13), unless it
    /// fails [`check_imported_answer`] (another digest than a pinned
    /// reference asked for, a manifest hashing elsewhere: reason
    /// [`ImportError::REASON`]); a registry failure keeps its reason
    /// ([`RegistryError::reason`]) and message.
    #[must_use]
    pub fn from_registry(
        from: &ImageReference,
        answer: Result<ImportedImage, RegistryError>,
        now: DateTime<Utc>,
    ) -> Self {
        match answer {
            Ok(found) => {
                let mut image = imported_image(
                    from,
                    &found.digest,
                    &found.media_type,
                    found.layers,
                    found.config,
                    found.manifests,
                    now,
                );
                image.docker_image_manifest = found.manifest;
                match check_imported_answer(from, &image) {
                    Ok(_) => Self::Imported(Box::new(image)),
                    Err(e) => Self::Failed {
                        reason: ImportError::REASON.to_owned(),
                        message: e.to_string(),
                    },
                }
            }
            Err(e) => Self::Failed {
                reason: e.reason().to_owned(),
                message: e.to_string(),
            },
        }
    }
}

impl TagImport {
    /// What the registry is asked for this tag, on behalf of `namespace`
    /// (whose pull secrets a registry client may use).
    #[must_use]
    pub fn registry_request(&self, namespace: &Namespace) -> ImportRequest {
        ImportRequest::new(self.from.clone())
            .in_namespace(namespace.clone())
            .insecure(self.import_policy.insecure)
            .import_mode(self.import_policy.import_mode)
    }
}

/// Why a registry's answer cannot be recorded for a tag: the answer
/// itself is wrong. Recorded like a registry failure, as an
/// `ImportSuccess=False` condition with reason [`ImportError::REASON`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The answer's name is not a digest.
    #[error("invalid image \"{reference}\": the registry's answer is named {name:?}, not a digest")]
    NotADigest {
        /// The reference imported.
        reference: String,
        /// The answer's name.
        name: String,
    },
    /// A digest-pinned reference answered with another digest.
    #[error(
        "invalid image \"{reference}\": the registry answered with {answered}, not the requested digest {requested}"
    )]
    PinnedDigestMismatch {
        /// The reference imported.
        reference: String,
        /// The digest it pins.
        requested: String,
        /// The digest the registry answered with.
        answered: Digest,
    },
    /// The answer's manifest is not what its digest says.
    #[error("invalid image \"{reference}\": {error}")]
    Content {
        /// The reference imported.
        reference: String,
        /// What does not match.
        error: Box<ContentError>,
    },
}

impl ImportError {
    /// The condition reason of every [`ImportError`]: the registry's answer
    /// was a bad one (as [`RegistryError::Invalid`]).
    pub const REASON: &'static str = "BadRequest";
}

/// Checks a registry's answer for `request` before it is stored or
/// recorded, and returns its digest:
/// - the image must be named by a digest;
/// - a digest-pinned request (`repo@sha256:A`) must be answered with that
///   digest. OpenShift's importer fetches a pinned reference by its digest
///   and names the image after the digest it asked for (OAS
///   `pkg/image/importer/importer.go` :: importRepositoryFromDocker,
///   `getManifestFromSource` with the reference's digest, then
///   `importManifest(…, d, …)`), so another digest never becomes the tag's
///   image; here such an answer is a failure condition, never the image;
/// - a manifest, when the answer carries one, must hash to the name
///   ([`Content::check`], SPEC §13).
///
/// # Errors
///
/// The [`ImportError`] to record as the tag's failure.
pub fn check_imported_image(
    request: &TagImport,
    image: &api::Image,
) -> Result<Digest, ImportError> {
    check_imported_answer(&request.from, image)
}

/// [`check_imported_image`] for an answer to `from`, whether or not it
/// is to be tagged (`oc import-image` reports every answer).
///
/// # Errors
///
/// As [`check_imported_image`].
pub fn check_imported_answer(
    from: &ImageReference,
    image: &api::Image,
) -> Result<Digest, ImportError> {
    let reference = || from.as_str().to_owned();
    let digest = Digest::parse(&image.metadata.name).map_err(|_| ImportError::NotADigest {
        reference: reference(),
        name: image.metadata.name.clone(),
    })?;
    if let Some(requested) = from.id()
        && requested != digest.as_str()
    {
        return Err(ImportError::PinnedDigestMismatch {
            reference: reference(),
            requested: requested.to_owned(),
            answered: digest,
        });
    }
    Content::check(image).map_err(|error| ImportError::Content {
        reference: reference(),
        error: Box::new(error),
    })?;
    Ok(digest)
}

/// `MostAccuratePullSpec`: the source with the digest as its id and no tag.
#[must_use]
pub fn most_accurate_pull_spec(from: &ImageReference, digest: &Digest) -> ImageReference {
    from.with_tag(None).with_id(Some(digest))
}

/// Applies import results to `stream` as the server does (§14 steps 5 to
/// 8) at `ctx.now`, each only to the spec it was planned for, after
/// [`check_imported_image`] (an answer that fails it, such as another
/// digest for a digest-pinned tag, is recorded as a failure with reason
/// [`ImportError::REASON`]):
/// - **beyond OpenShift:** an answer whose tag's spec is no longer the one
///   it was planned from ([`TagImport::planned_for`]: the user changed or
///   removed the tag while the registry was asked) is dropped, so an
///   import never reverts a user's change; the next import plans again
///   (SPEC §13);
/// - a failure records an `ImportSuccess=False` condition at the next
///   generation (unless the same failure is already recorded) and keeps
///   the entries; a missing spec tag is created;
/// - a success adds `repo@digest` at the next generation when the tag
///   changed (resetting the spec tag to generation 0, which the update
///   turns into the new generation), sets the import policy and clears
///   the conditions;
/// - the spec change goes through the update strategy (generation bump,
///   followers).
///
/// The outcome's [`messages`](Changes::messages) hold each newly recorded
/// failure as `<tag>: <message>`; its [`changed`](Changes::changed) says whether the stream
/// must be written: not when it was imported before and nothing changed
/// (a scheduled re-import of an unchanged image writes nothing), nor when
/// every answer was dropped. When it must, the repository-check annotation
/// is set to now.
///
/// # Errors
///
/// A refused spec change (see [`ImageStream::update_spec`]).
#[allow(clippy::too_many_lines)] // one match over the two answers, as §14
pub fn apply_import(
    stream: &mut ImageStream,
    results: &[(TagImport, ImportResult)],
    ctx: &SpecContext<'_>,
) -> Result<Changes, SpecError> {
    let results: Vec<&(TagImport, ImportResult)> = results
        .iter()
        .filter(|(request, _)| {
            request
                .planned_for
                .as_ref()
                .is_none_or(|p| stream.spec_tag(request.tag.as_str()) == Some(p))
        })
        .collect();
    let unchanged = |stream: &ImageStream| Changes {
        generation: stream.generation(),
        ..Changes::default()
    };
    if results.is_empty() {
        return Ok(unchanged(stream));
    }
    let original = stream.clone();
    let now = ctx.now;
    let next_generation = stream.next_generation()?;
    let mut spec: BTreeMap<TagName, SpecTag> = stream
        .spec_tags()
        .map(|(t, s)| (t.clone(), s.clone()))
        .collect();
    let mut histories_changed = Vec::new();
    let mut messages = Vec::new();
    for (request, result) in results {
        let tag = &request.tag;
        // An answer that is not what was asked for is a failure (see
        // check_imported_image).
        let checked = match result {
            ImportResult::Imported(image) => match check_imported_image(request, image) {
                Ok(digest) => Ok(digest),
                Err(e) => Err((ImportError::REASON.to_owned(), e.to_string())),
            },
            ImportResult::Failed { reason, message } => Err((reason.clone(), message.clone())),
        };
        match checked {
            Err((reason, message)) => {
                let condition = api::TagEventCondition {
                    type_: IMPORT_SUCCESS.into(),
                    status: "False".into(),
                    last_transition_time: Some(now),
                    reason,
                    message: if message.is_empty() {
                        "unknown error prevented import".into()
                    } else {
                        message
                    },
                    generation: next_generation,
                };
                let history = stream.history_or_default(tag);
                let known = history.conditions.iter().any(|c| {
                    c.type_ == condition.type_
                        && c.status == condition.status
                        && c.reason == condition.reason
                        && c.message == condition.message
                });
                if !known {
                    messages.push(format!("{tag}: {}", condition.message));
                    history.conditions = vec![condition];
                    let reset = match spec.remove(tag) {
                        Some(s) => s.with_generation(Some(0)),
                        None => SpecTag::new(TagSource::DockerImage(request.from.clone()))
                            .with_generation(Some(0))
                            .with_import_policy(request.import_policy)
                            .with_reference_policy(request.reference_policy),
                    };
                    spec.insert(tag.clone(), reset);
                }
            }
            Ok(digest) => {
                let pull_spec = most_accurate_pull_spec(&request.from, &digest);
                let current = stream.history(tag.as_str()).and_then(|h| h.current());
                let spec_generation = spec.get(tag).and_then(SpecTag::generation);
                let changed = match (current, spec_generation) {
                    (Some(c), Some(g)) => {
                        *c.pull_spec() != pull_spec
                            || c.image_str() != digest.as_str()
                            || g > c.generation()
                    }
                    _ => true,
                };
                let policy = spec
                    .get(tag)
                    .map_or(request.reference_policy, SpecTag::reference_policy);
                let mut next = match spec.remove(tag) {
                    Some(s) if !changed => s,
                    old => {
                        let mut fresh = SpecTag::new(TagSource::DockerImage(request.from.clone()))
                            .with_generation(Some(0))
                            .with_reference_policy(policy);
                        // The crate's own state (policies, holds) is not
                        // OpenShift's to reset: it stays on the tag.
                        fresh.annotations = old.and_then(|o| o.annotations).and_then(|a| {
                            let own: std::collections::BTreeMap<String, String> = a
                                .into_iter()
                                .filter(|(k, _)| k.starts_with(crate::api::ANNOTATION_PREFIX))
                                .collect();
                            (!own.is_empty()).then_some(own)
                        });
                        fresh
                    }
                };
                next = next.with_import_policy(request.import_policy);
                spec.insert(tag.clone(), next);
                if changed {
                    let event = TagEvent::new(pull_spec, Some(digest), next_generation, now);
                    histories_changed.extend(stream.add_event_tracked(tag, event));
                }
                stream.history_or_default(tag).conditions.clear();
            }
        }
    }
    let mut bumped = false;
    if spec.iter().ne(original.spec_tags()) {
        let updated = stream.update_spec(spec, ctx)?;
        bumped = updated.generation_bumped;
        histories_changed.extend(updated.histories_changed);
    }
    let checked = original
        .metadata()
        .annotations
        .get(REPOSITORY_CHECK_ANNOTATION)
        .is_some_and(|v| !v.is_empty());
    if checked && *stream == original {
        return Ok(unchanged(stream));
    }
    stream.set_annotation(
        REPOSITORY_CHECK_ANNOTATION,
        now.to_rfc3339_opts(SecondsFormat::Secs, true),
    );
    let mut changes = Currents::of(&original).changes(stream, true);
    changes.generation_bumped = bumped;
    changes.histories_changed = histories_changed;
    changes.messages = messages;
    Ok(changes)
}

/// The image to store for a successful import of `from`.
#[must_use]
pub fn imported_image(
    from: &ImageReference,
    digest: &Digest,
    media_type: &str,
    layers: Vec<api::ImageLayer>,
    metadata: Option<api::DockerImageMetadata>,
    manifests: Vec<api::ImageManifest>,
    now: DateTime<Utc>,
) -> api::Image {
    let mut image = api::Image {
        docker_image_reference: most_accurate_pull_spec(from, digest).exact(),
        docker_image_manifest_media_type: media_type.into(),
        docker_image_layers: layers,
        docker_image_metadata: metadata,
        docker_image_manifests: manifests,
        ..Default::default()
    };
    image.metadata.name = digest.to_string();
    image.metadata.creation_timestamp = Some(now);
    image
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::reference::{Namespace, StreamName};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn a_registry_answer_becomes_the_image_or_the_failure_to_record() {
        let manifest = r#"{"schemaVersion":2}"#;
        let d = Digest::of_sha256(manifest.as_bytes());
        let mut found = ImportedImage::new(d.clone(), "application/vnd.oci.image.manifest.v1+json");
        found.manifest = manifest.into();
        let tagged = ImageReference::parse("quay.io/a/b:1").unwrap();
        let ImportResult::Imported(image) =
            ImportResult::from_registry(&tagged, Ok(found.clone()), now())
        else {
            panic!("a good answer is the image");
        };
        assert_eq!(image.metadata.name, d.as_str());
        assert_eq!(image.docker_image_manifest, manifest, "kept: it verifies");
        assert_eq!(image.docker_image_reference, format!("quay.io/a/b@{d}"));

        let pinned =
            ImageReference::parse(&format!("quay.io/a/b@{}", Digest::of_sha256(b"x"))).unwrap();
        let ImportResult::Failed { reason, message } =
            ImportResult::from_registry(&pinned, Ok(found), now())
        else {
            panic!("another digest than the pinned one is a failure");
        };
        assert_eq!(reason, ImportError::REASON);
        assert!(message.contains(d.as_str()), "{message}");

        let missing = RegistryError::NotFound {
            reference: "quay.io/a/b:1".into(),
        };
        let failed = ImportResult::from_registry(&tagged, Err(missing.clone()), now());
        assert_eq!(
            failed,
            ImportResult::Failed {
                reason: "NotFound".into(),
                message: missing.to_string(),
            }
        );
    }

    #[test]
    fn the_registry_request_carries_the_tag_policy_and_namespace() {
        let mut is = ImageStream::new(
            Namespace::parse("ns").unwrap(),
            StreamName::parse("s").unwrap(),
        )
        .unwrap();
        let spec = external("quay.io/a/b:1").with_import_policy(ImportPolicy {
            insecure: true,
            ..ImportPolicy::default()
        });
        is.set_spec_tag(TagName::parse("t").unwrap(), spec, &SpecContext::new(now()))
            .unwrap();
        let plan = plan_import(&is);
        let ask = plan[0].registry_request(&Namespace::parse("ns").unwrap());
        assert_eq!(ask.reference.as_str(), "quay.io/a/b:1");
        assert!(ask.insecure);
        assert_eq!(ask.namespace.as_ref().map(Namespace::as_str), Some("ns"));
    }

    fn external(from: &str) -> SpecTag {
        SpecTag::new(TagSource::DockerImage(ImageReference::parse(from).unwrap()))
    }

    fn answer(request: &TagImport, content: &[u8]) -> ImportResult {
        let d = Digest::of_sha256(content);
        ImportResult::Imported(Box::new(imported_image(
            &request.from,
            &d,
            "application/vnd.oci.image.manifest.v1+json",
            Vec::new(),
            None,
            Vec::new(),
            now(),
        )))
    }

    #[test]
    fn an_answer_for_a_spec_that_moved_is_dropped() {
        let ctx = SpecContext::new(now());
        let mut is = ImageStream::new(
            Namespace::parse("ns").unwrap(),
            StreamName::parse("py").unwrap(),
        )
        .unwrap();
        let t = TagName::parse("3.6").unwrap();
        is.set_spec_tag(t.clone(), external("docker.io/python:3.6"), &ctx)
            .unwrap();
        let plan = plan_import(&is);
        let results: Vec<_> = plan.iter().map(|r| (r.clone(), answer(r, b"x"))).collect();

        // The user moves the tag before the answer arrives.
        let mut moved = is.clone();
        moved
            .set_spec_tag(t.clone(), external("quay.io/me/python:3.6"), &ctx)
            .unwrap();
        let before = moved.clone();
        let changes = apply_import(&mut moved, &results, &ctx).unwrap();
        assert!(!changes.changed());
        assert_eq!(moved, before, "nothing reverted, nothing written");

        // Unmoved, the same answer lands and says which tag moved.
        let changes = apply_import(&mut is, &results, &ctx).unwrap();
        assert!(changes.changed());
        assert_eq!(changes.moved(), std::slice::from_ref(&t));
        assert_eq!(changes.histories_changed.first(), Some(&t));
    }
}
