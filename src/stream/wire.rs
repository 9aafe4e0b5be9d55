//! Wire ⇄ domain: [`ImageStream`] from [`api::ImageStream`] (OpenShift's
//! validation, every field error at once) and back without loss, and the
//! same for spec tags. The only place where the lenient wire becomes the
//! domain's invariants.

use std::num::NonZeroUsize;

use crate::api;
use crate::reference::{Digest, ImageReference, Namespace, StreamName, TagName};

use super::field_error::{FieldError, ValidationError};
use super::{
    ImageStream, ImportMode, ImportPolicy, ReferencePolicy, SpecClean, SpecTag, TagEvent,
    TagHistory, TagSource, resolve, shared, spec, validate,
};

/// A tag name that must be a [`TagName`] in the domain.
fn tag_key(name: &str, path: &str, errs: &mut Vec<FieldError>) -> Option<TagName> {
    match TagName::parse(name) {
        Ok(t) => Some(t),
        Err(e) => {
            errs.push(FieldError::invalid(path, name, e.to_string()));
            None
        }
    }
}

/// The status histories, with the domain's checks on each entry. Takes
/// the wire lists by value so pull-spec buffers move into the domain, and
/// builds field paths only for errors.
fn histories_from_wire(
    lists: Vec<api::NamedTagEventList>,
    errs: &mut Vec<FieldError>,
) -> shared::TagMap<TagHistory> {
    // Collected in wire order, sorted once (a repeated tag: the last wins).
    let mut histories = Vec::with_capacity(lists.len());
    for list in lists {
        let key = tag_key(&list.tag, &format!("status.tags[{}]", list.tag), errs);
        let item_path =
            |i: usize, field: &str| format!("status.tags[{}].items[{i}].{field}", list.tag);
        let mut events = Vec::with_capacity(list.items.len());
        for (i, item) in list.items.into_iter().enumerate() {
            let pull_spec = if item.docker_image_reference.is_empty() {
                errs.push(FieldError::required(
                    item_path(i, "dockerImageReference"),
                    "",
                ));
                None
            } else {
                match ImageReference::parse_owned_or_return(item.docker_image_reference) {
                    Ok(r) => Some(r),
                    Err((e, text)) => {
                        errs.push(FieldError::invalid(
                            item_path(i, "dockerImageReference"),
                            &text,
                            e.to_string(),
                        ));
                        None
                    }
                }
            };
            let image = if item.image.is_empty() {
                Some(None)
            } else {
                match Digest::parse(&item.image) {
                    Ok(d) => Some(Some(d)),
                    Err(e) => {
                        errs.push(FieldError::invalid(
                            item_path(i, "image"),
                            &item.image,
                            e.to_string(),
                        ));
                        None
                    }
                }
            };
            if let (Some(pull_spec), Some(image)) = (pull_spec, image) {
                events.push(TagEvent::from_parts(
                    item.created,
                    pull_spec,
                    image,
                    item.generation,
                ));
            }
        }
        // The wire is newest first; the domain stores oldest first.
        events.reverse();
        if let Some(key) = key {
            histories.push((
                key,
                TagHistory {
                    events: events.into(),
                    conditions: list.conditions,
                },
            ));
        }
    }
    histories.into_iter().collect()
}

/// The history limit kept in [`api::HISTORY_LIMIT_ANNOTATION`], if any: a
/// positive decimal integer.
fn history_limit_from_wire(
    meta: &api::ObjectMeta,
    errs: &mut Vec<FieldError>,
) -> Option<NonZeroUsize> {
    let value = meta.annotations.get(api::HISTORY_LIMIT_ANNOTATION)?;
    match value.parse::<NonZeroUsize>() {
        Ok(n) if n.to_string() == *value => Some(n),
        _ => {
            errs.push(FieldError::invalid(
                format!("metadata.annotations[{}]", api::HISTORY_LIMIT_ANNOTATION),
                value,
                "a history limit must be a positive integer in decimal, without sign or leading zeros",
            ));
            None
        }
    }
}

impl TryFrom<api::ImageStream> for ImageStream {
    type Error = ValidationError;

    /// Validates with OpenShift's rules (`ValidateImageStream` and the
    /// strategy's name-form checks) plus the domain's stricter tag names and
    /// event images, after the server's normalization (duplicates: the last
    /// one wins; an empty reference policy is `Source`).
    fn try_from(mut wire: api::ImageStream) -> Result<Self, Self::Error> {
        wire.normalize();
        let mut errs = Vec::new();
        let typed = validate::stream_meta(&wire.metadata, &mut errs);

        let repo = &wire.spec.docker_image_repository;
        let mut docker_image_repository = None;
        if !repo.is_empty() {
            match ImageReference::parse(repo) {
                Err(e) => errs.push(FieldError::invalid(
                    "spec.dockerImageRepository",
                    repo,
                    e.to_string(),
                )),
                Ok(r) if r.tag().is_some() => errs.push(FieldError::invalid(
                    "spec.dockerImageRepository",
                    repo,
                    "the repository name may not contain a tag",
                )),
                Ok(r) if r.id().is_some() => errs.push(FieldError::invalid(
                    "spec.dockerImageRepository",
                    repo,
                    "the repository name may not contain an ID",
                )),
                Ok(r) => docker_image_repository = Some(r),
            }
        }

        // Collected in wire order, sorted once (a repeated tag: the last wins).
        let mut spec_tags = Vec::with_capacity(wire.spec.tags.len());
        for t in &wire.spec.tags {
            let path = format!("spec.tags[{}]", t.name);
            let key = tag_key(&t.name, &path, &mut errs);
            let before = errs.len();
            spec::validate_tag_reference(t, &path, &mut errs);
            if let (Some(key), true) = (key, errs.len() == before)
                && let Some(spec) = spec_tag_from_wire(t)
            {
                spec_tags.push((key, spec));
            }
        }

        let histories = histories_from_wire(std::mem::take(&mut wire.status.tags), &mut errs);
        let history_limit = history_limit_from_wire(&wire.metadata, &mut errs);

        ValidationError::check(errs)?;
        let Some((name, namespace)) = typed else {
            // stream_meta reports an error whenever it returns None.
            return Err(ValidationError::internal(
                "metadata",
                "name and namespace were not checked",
            ));
        };
        Ok(Self {
            api_version: wire.api_version,
            meta: wire.metadata,
            name,
            namespace,
            lookup_local: wire.spec.lookup_policy.local,
            docker_image_repository,
            spec_tags: spec_tags.into_iter().collect(),
            status_repository: wire.status.docker_image_repository,
            public_repository: wire.status.public_docker_image_repository,
            histories,
            index: resolve::ImageIndex::default(),
            history_limit,
            followers: shared::TagMap::new(),
            spec_clean: SpecClean(None),
        }
        .with_followers())
    }
}

fn history_to_wire(tag: &TagName, h: &TagHistory) -> api::NamedTagEventList {
    api::NamedTagEventList {
        tag: tag.to_string(),
        items: h.iter().map(TagEvent::to_wire).collect(),
        conditions: h.conditions.clone(),
    }
}

impl ImageStream {
    /// The wire form of everything but the tags: `spec.tags` and
    /// `status.tags` are empty. With [`tag_to_wire`](Self::tag_to_wire)
    /// per tag, it is the [`api::ImageStream`] this stream converts to, in
    /// pieces: a store that keeps tags apart encodes only the tags a write
    /// changed (see [`tags_changed_since`](Self::tags_changed_since)).
    ///
    /// ```
    /// use imagestream::api;
    /// use imagestream::stream::ImageStream;
    ///
    /// let is: ImageStream = serde_json::from_str::<api::ImageStream>(r#"{
    ///   "metadata": {"name": "app", "namespace": "test"},
    ///   "spec": {"tags": [{"name": "v1", "from": {"kind": "DockerImage", "name": "quay.io/a/b:1"}}]}
    /// }"#)?.try_into()?;
    /// let mut pieces = is.to_wire_without_tags();
    /// assert!(pieces.spec.tags.is_empty());
    /// for tag in is.tag_names() {
    ///     let (spec, status) = is.tag_to_wire(tag.as_str());
    ///     pieces.spec.tags.extend(spec);
    ///     pieces.status.tags.extend(status);
    /// }
    /// assert_eq!(pieces, api::ImageStream::from(&is));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn to_wire_without_tags(&self) -> api::ImageStream {
        let mut wire = api::ImageStream {
            api_version: self.api_version.clone(),
            kind: "ImageStream".to_owned(),
            metadata: self.meta.clone(),
            ..api::ImageStream::default()
        };
        wire.spec.lookup_policy.local = self.lookup_local;
        wire.spec.docker_image_repository = self
            .docker_image_repository
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default();
        wire.status
            .docker_image_repository
            .clone_from(&self.status_repository);
        wire.status
            .public_docker_image_repository
            .clone_from(&self.public_repository);
        wire
    }

    /// One tag's wire form: its spec tag and its history, each `None` when
    /// the stream has none under `tag`.
    #[must_use]
    pub fn tag_to_wire(
        &self,
        tag: &str,
    ) -> (Option<api::TagReference>, Option<api::NamedTagEventList>) {
        (
            self.spec_tags
                .get_key_value(tag)
                .map(|(n, t)| spec_tag_to_wire(n, t)),
            self.histories
                .get_key_value(tag)
                .map(|(n, h)| history_to_wire(n, h)),
        )
    }

    /// Every tag name with a spec tag or a history, sorted, once each.
    #[must_use]
    pub fn tag_names(&self) -> Vec<&TagName> {
        let mut names: Vec<&TagName> = self.spec_tags.keys().chain(self.histories.keys()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The tags whose spec tag or history is not shared with `previous`
    /// (added, changed or removed since), sorted, once each.
    ///
    /// A version made from `previous` by the crate's writes shares every
    /// part it did not change, so this costs what differs, not the size of
    /// the stream: a store uses it to write only those tags. A tag rebuilt
    /// to an equal value may be listed (the answer is a superset, never
    /// missing a change); two unrelated streams list every tag.
    ///
    /// ```
    /// # use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
    /// # use imagestream::stream::{ImageStream, TagEvent};
    /// # use imagestream::chrono::{TimeZone, Utc};
    /// let mut is = ImageStream::new(Namespace::parse("test")?, StreamName::parse("app")?)?;
    /// # let push = |n: u32| -> Result<TagEvent, Box<dyn std::error::Error>> {
    /// #     let d = Digest::of_sha256(&n.to_be_bytes());
    /// #     let spec = ImageReference::parse(&format!("172.30.1.1:5000/test/app@{d}"))?;
    /// #     Ok(TagEvent::new(spec, Some(d), 1, Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()))
    /// # };
    /// for n in 0..1_000 {
    ///     is.add_event(&TagName::parse(&format!("t{n}"))?, push(n)?);
    /// }
    /// let mut next = is.clone();
    /// next.add_event(&TagName::parse("t7")?, push(1_000)?);
    /// let changed: Vec<String> = next.tags_changed_since(&is).iter().map(|t| t.to_string()).collect();
    /// assert_eq!(changed, ["t7"]);
    /// assert!(is.tags_changed_since(&is).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn tags_changed_since<'a>(&'a self, previous: &'a ImageStream) -> Vec<&'a TagName> {
        let mut names: Vec<&TagName> = Vec::new();
        names.extend(
            self.spec_tags
                .unshared_with(&previous.spec_tags)
                .into_iter()
                .map(|(n, _)| n),
        );
        names.extend(
            previous
                .spec_tags
                .unshared_with(&self.spec_tags)
                .into_iter()
                .map(|(n, _)| n),
        );
        names.extend(
            self.histories
                .unshared_with(&previous.histories)
                .into_iter()
                .map(|(n, _)| n),
        );
        names.extend(
            previous
                .histories
                .unshared_with(&self.histories)
                .into_iter()
                .map(|(n, _)| n),
        );
        names.sort_unstable();
        names.dedup();
        names
    }
}

impl From<&ImageStream> for api::ImageStream {
    fn from(is: &ImageStream) -> Self {
        let mut wire = is.to_wire_without_tags();
        wire.spec.tags = is
            .spec_tags
            .iter()
            .map(|(n, t)| spec_tag_to_wire(n, t))
            .collect();
        wire.status.tags = is
            .histories
            .iter()
            .map(|(tag, h)| history_to_wire(tag, h))
            .collect();
        wire
    }
}

impl From<ImageStream> for api::ImageStream {
    fn from(is: ImageStream) -> Self {
        Self::from(&is)
    }
}

/// `stream:tag`/`tag` or `stream@id`/`id`, with typed parts.
pub(crate) fn parse_stream_source(kind: &str, name: &str) -> Option<(Option<StreamName>, String)> {
    let sep = if kind == "ImageStreamTag" { ':' } else { '@' };
    let mut parts = name.split(sep);
    let (first, second) = (parts.next()?, parts.next());
    if parts.next().is_some() {
        return None;
    }
    let (stream, rest) = match second {
        Some(rest) => (Some(StreamName::parse(first).ok()?), rest),
        None => (None, first),
    };
    let ok = if sep == ':' {
        TagName::parse(rest).is_ok()
    } else {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"+._:=-".contains(&c))
    };
    ok.then(|| (stream, rest.to_owned()))
}

/// Converts a wire spec tag already checked by [`validate_tag_reference`].
pub(crate) fn spec_tag_from_wire(t: &api::TagReference) -> Option<SpecTag> {
    let source = match &t.from {
        None => None,
        Some(from) => Some(match from.kind.as_str() {
            "DockerImage" => TagSource::DockerImage(ImageReference::parse(&from.name).ok()?),
            kind => {
                let (stream, rest) = parse_stream_source(kind, &from.name)?;
                let namespace = if from.namespace.is_empty() {
                    None
                } else {
                    Some(Namespace::parse(&from.namespace).ok()?)
                };
                if kind == "ImageStreamTag" {
                    TagSource::ImageStreamTag {
                        namespace,
                        stream,
                        tag: TagName::parse(&rest).ok()?,
                    }
                } else {
                    TagSource::ImageStreamImage {
                        namespace,
                        stream,
                        id: rest.into(),
                    }
                }
            }
        }),
    };
    Some(SpecTag {
        source,
        reference: t.reference,
        import_policy: ImportPolicy {
            insecure: t.import_policy.insecure,
            scheduled: t.import_policy.scheduled,
            import_mode: ImportMode::from_wire(&t.import_policy.import_mode)?,
        },
        reference_policy: if t.reference_policy.type_ == "Local" {
            ReferencePolicy::Local
        } else {
            ReferencePolicy::Source
        },
        annotations: t.annotations.clone(),
        generation: t.generation,
    })
}

/// The wire form of a spec tag.
pub(crate) fn spec_tag_to_wire(name: &TagName, t: &SpecTag) -> api::TagReference {
    let mut wire = api::TagReference {
        name: name.to_string(),
        annotations: t.annotations.clone(),
        from: t.source.as_ref().map(|s| {
            let mut r = api::ObjectReference::new(s.kind(), s.name());
            if let Some(ns) = s.namespace() {
                r.namespace = ns.to_string();
            }
            r
        }),
        reference: t.reference,
        generation: t.generation,
        ..api::TagReference::default()
    };
    wire.import_policy.insecure = t.import_policy.insecure;
    wire.import_policy.scheduled = t.import_policy.scheduled;
    t.import_policy
        .import_mode
        .as_str()
        .clone_into(&mut wire.import_policy.import_mode);
    t.reference_policy
        .as_str()
        .clone_into(&mut wire.reference_policy.type_);
    wire
}
