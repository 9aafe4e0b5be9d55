//! Spec tags: where a tag's image comes from.

use std::collections::BTreeMap;

use crate::api;
use crate::reference::{ImageReference, Namespace, StreamName, TagName};

use super::field_error::FieldError;
use super::validate::import_mode;
use super::wire::{parse_stream_source, spec_tag_from_wire, spec_tag_to_wire};

/// How a spec tag is imported (`importPolicy`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ImportPolicy {
    /// Allow plain HTTP and unverified TLS.
    pub insecure: bool,
    /// Re-import periodically.
    pub scheduled: bool,
    /// How manifest lists are imported.
    pub import_mode: ImportMode,
}

impl ImportPolicy {
    /// With `insecure` set.
    #[must_use]
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// With `scheduled` set.
    #[must_use]
    pub fn scheduled(mut self, scheduled: bool) -> Self {
        self.scheduled = scheduled;
        self
    }

    /// With an import mode.
    #[must_use]
    pub fn import_mode(mut self, mode: ImportMode) -> Self {
        self.import_mode = mode;
        self
    }
}

/// `importPolicy.importMode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImportMode {
    /// Not set: the cluster default applies (`Legacy` unless configured).
    #[default]
    Unset,
    /// Import one platform's manifest of a manifest list.
    Legacy,
    /// Import the manifest list itself.
    PreserveOriginal,
}

impl ImportMode {
    /// The wire value (`""`, `Legacy`, `PreserveOriginal`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unset => "",
            Self::Legacy => "Legacy",
            Self::PreserveOriginal => "PreserveOriginal",
        }
    }

    pub(crate) fn from_wire(s: &str) -> Option<Self> {
        match s {
            "" => Some(Self::Unset),
            "Legacy" => Some(Self::Legacy),
            "PreserveOriginal" => Some(Self::PreserveOriginal),
            _ => None,
        }
    }
}

/// `referencePolicy.type`: how a tag's pull spec is given to consumers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReferencePolicy {
    /// The source pull spec (the default).
    #[default]
    Source,
    /// The integrated registry's pull spec, which proxies the source.
    Local,
}

impl ReferencePolicy {
    /// The wire value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Source => "Source",
            Self::Local => "Local",
        }
    }
}

/// Where a spec tag's image comes from (`from`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TagSource {
    /// An external image (`kind: DockerImage`), imported from a registry.
    DockerImage(ImageReference),
    /// An image of a stream, pinned by id (`kind: ImageStreamImage`,
    /// `stream@id` or just `id` for the same stream).
    ImageStreamImage {
        /// The stream's namespace; `None` means the tag's own.
        namespace: Option<Namespace>,
        /// The stream; `None` means the tag's own stream.
        stream: Option<StreamName>,
        /// The image id or a prefix of it.
        id: Box<str>,
    },
    /// A tag of a stream (`kind: ImageStreamTag`, `stream:tag` or just `tag`
    /// for the same stream); a tracking tag when it names the same stream.
    ImageStreamTag {
        /// The stream's namespace; `None` means the tag's own.
        namespace: Option<Namespace>,
        /// The stream; `None` means the tag's own stream.
        stream: Option<StreamName>,
        /// The tag.
        tag: TagName,
    },
}

impl TagSource {
    /// The wire `kind`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::DockerImage(_) => "DockerImage",
            Self::ImageStreamImage { .. } => "ImageStreamImage",
            Self::ImageStreamTag { .. } => "ImageStreamTag",
        }
    }

    /// The wire `from.name`.
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Self::DockerImage(r) => r.as_str().to_owned(),
            Self::ImageStreamImage { stream, id, .. } => match stream {
                Some(s) => format!("{s}@{id}"),
                None => id.to_string(),
            },
            Self::ImageStreamTag { stream, tag, .. } => match stream {
                Some(s) => format!("{s}:{tag}"),
                None => tag.to_string(),
            },
        }
    }

    /// The wire `from.namespace`.
    #[must_use]
    pub fn namespace(&self) -> Option<&Namespace> {
        match self {
            Self::DockerImage(_) => None,
            Self::ImageStreamImage { namespace, .. } | Self::ImageStreamTag { namespace, .. } => {
                namespace.as_ref()
            }
        }
    }
}

/// A spec tag: the source and how to import and resolve it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SpecTag {
    pub(crate) source: Option<TagSource>,
    pub(crate) reference: bool,
    pub(crate) import_policy: ImportPolicy,
    pub(crate) reference_policy: ReferencePolicy,
    pub(crate) annotations: Option<BTreeMap<String, String>>,
    pub(crate) generation: Option<i64>,
}

impl SpecTag {
    /// A spec tag with this source and every other setting at its default.
    #[must_use]
    pub fn new(source: TagSource) -> Self {
        Self {
            source: Some(source),
            ..Self::default()
        }
    }

    /// The source, if any.
    #[must_use]
    pub fn source(&self) -> Option<&TagSource> {
        self.source.as_ref()
    }

    /// Whether the source is used as given, never imported.
    #[must_use]
    pub fn reference(&self) -> bool {
        self.reference
    }

    /// The import policy.
    #[must_use]
    pub fn import_policy(&self) -> ImportPolicy {
        self.import_policy
    }

    /// The reference policy.
    #[must_use]
    pub fn reference_policy(&self) -> ReferencePolicy {
        self.reference_policy
    }

    /// The annotations, if set.
    #[must_use]
    pub fn annotations(&self) -> Option<&BTreeMap<String, String>> {
        self.annotations.as_ref()
    }

    /// The stream generation this tag last changed at.
    #[must_use]
    pub fn generation(&self) -> Option<i64> {
        self.generation
    }

    /// This spec tag with another source.
    #[must_use]
    pub fn with_source(mut self, source: TagSource) -> Self {
        self.source = Some(source);
        self
    }

    /// This spec tag as a reference tag (never imported).
    #[must_use]
    pub fn with_reference(mut self, reference: bool) -> Self {
        self.reference = reference;
        self
    }

    /// This spec tag with another reference policy.
    #[must_use]
    pub fn with_reference_policy(mut self, policy: ReferencePolicy) -> Self {
        self.reference_policy = policy;
        self
    }

    /// This spec tag with another import policy.
    #[must_use]
    pub fn with_import_policy(mut self, policy: super::ImportPolicy) -> Self {
        self.import_policy = policy;
        self
    }

    /// This spec tag with a generation (0 asks for a re-import).
    #[must_use]
    pub fn with_generation(mut self, generation: Option<i64>) -> Self {
        self.generation = generation;
        self
    }
}

/// The checks of `ValidateImageStreamTagReference` (§4.3) plus the
/// strategy's name-form check, on a wire spec tag at `path`.
pub(crate) fn validate_tag_reference(
    t: &api::TagReference,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    if let Some(from) = &t.from {
        let name_path = format!("{path}.from.name");
        if from.name.is_empty() {
            errs.push(FieldError::required(name_path, ""));
        } else {
            match from.kind.as_str() {
                "DockerImage" => {
                    if let Err(e) = ImageReference::parse(&from.name) {
                        errs.push(FieldError::invalid(name_path, &from.name, e.to_string()));
                    }
                }
                "ImageStreamImage" | "ImageStreamTag" => {
                    if t.import_policy.scheduled {
                        errs.push(FieldError::invalid_plain(
                            format!("{path}.importPolicy.scheduled"),
                            true,
                            "only tags pointing to Docker repositories may be scheduled for background import",
                        ));
                    }
                    if parse_stream_source(&from.kind, &from.name).is_none() {
                        errs.push(FieldError::invalid(
                            name_path,
                            &from.name,
                            "must be of the form <tag>, <repo>:<tag>, <id>, or <repo>@<id>",
                        ));
                    }
                    if !from.namespace.is_empty()
                        && let Err(e) = Namespace::parse(&from.namespace)
                    {
                        errs.push(FieldError::invalid(
                            format!("{path}.from.namespace"),
                            &from.namespace,
                            e.to_string(),
                        ));
                    }
                }
                _ => errs.push(FieldError::required(
                    format!("{path}.from.kind"),
                    "valid values are 'DockerImage', 'ImageStreamImage', 'ImageStreamTag'",
                )),
            }
        }
    }
    if !matches!(t.reference_policy.type_.as_str(), "" | "Source" | "Local") {
        errs.push(FieldError::invalid(
            format!("{path}.referencePolicy.type"),
            &t.reference_policy.type_,
            r#"valid values are "Source", "Local""#,
        ));
    }
    import_mode(
        &t.import_policy.import_mode,
        &format!("{path}.importPolicy.importMode"),
        errs,
    );
    validate_own_annotations(t, path, errs);
}

/// The crate's own annotations on a spec tag: a policy (with the `policy`
/// feature; without it the text is kept untouched) and a hold.
fn validate_own_annotations(t: &api::TagReference, path: &str, errs: &mut Vec<FieldError>) {
    let Some(annotations) = &t.annotations else {
        return;
    };
    #[cfg(feature = "policy")]
    if let Some(text) = annotations.get(api::POLICY_ANNOTATION)
        && let Err(e) = text.parse::<super::TagPolicy>()
    {
        errs.push(FieldError::invalid(
            format!("{path}.annotations[{}]", api::POLICY_ANNOTATION),
            text,
            e.to_string(),
        ));
    }
    if let Some(text) = annotations.get(api::HOLD_ANNOTATION)
        && let Err(e) = text.parse::<super::Hold>()
    {
        errs.push(FieldError::invalid(
            format!("{path}.annotations[{}]", api::HOLD_ANNOTATION),
            text,
            e.to_string(),
        ));
    }
}

/// One validation path for typed and wire spec tags: a typed spec tag is
/// checked as its wire form (`ValidateImageStreamTagReference`, §4.3, the
/// checks [`validate_tag_reference`] runs when a stream is read), and that
/// form must convert back to the same typed tag, so whatever the domain
/// accepts survives the wire. Errors are reported at `spec.tags[<name>]`.
pub(crate) fn check_spec_tag(name: &TagName, t: &SpecTag, errs: &mut Vec<FieldError>) {
    let wire = spec_tag_to_wire(name, t);
    let path = format!("spec.tags[{name}]");
    let before = errs.len();
    validate_tag_reference(&wire, &path, errs);
    if errs.len() == before && spec_tag_from_wire(&wire).as_ref() != Some(t) {
        let value = wire.from.as_ref().map_or("", |f| f.name.as_str());
        errs.push(FieldError::invalid(
            format!("{path}.from.name"),
            value,
            "does not read back as the same source from the wire",
        ));
    }
}
