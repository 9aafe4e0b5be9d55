//! `oc tag` (OC `pkg/cli/tag/tag.go`): arguments in, spec changes and the
//! exact messages out.
//!
//! Sans-I/O, in `oc`'s three steps:
//! 1. [`TagCommand::complete`] parses the arguments: the source (its kind
//!    given or detected) and the destinations.
//! 2. When the source is an image stream tag and not an alias, `oc` pins
//!    the image it points to now: [`Completed::source_stream`] says which
//!    stream to read and [`Completed::pin`] takes it.
//! 3. [`Completed::validate`] checks the flags (every message of §18.2),
//!    and [`Completed::steps`] yields one [`TagStep`] per destination, in
//!    order; `oc` stops at the first error.
//!
//! [`ImageStreams::tag`](crate::service::ImageStreams::tag) runs all of it.
//!
//! ```
//! use imagestream::ops::tag::{TagCommand, TagStep};
//! use imagestream::reference::Namespace;
//!
//! let ns = Namespace::parse("default")?;
//! let cmd = TagCommand::new(["docker.io/python:3.6.0", "python:3.6"]).scheduled(true);
//! let done = cmd.complete(&ns)?;
//! assert!(done.source_stream().is_none(), "an external image needs no pinning");
//! done.validate()?;
//! let steps: Vec<TagStep> = done.steps().collect::<Result<_, _>>()?;
//! assert_eq!(
//!     steps[0].outcome().to_string(),
//!     "Tag python:3.6 set to import docker.io/python:3.6.0 periodically."
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::reference::{
    DEFAULT_TAG, ImageReference, Namespace, ReferenceError, StreamName, TagName,
    split_image_stream_tag,
};
use crate::stream::{ImageStream, ImportMode, ImportPolicy, ReferencePolicy, SpecTag, TagSource};

/// Why `oc tag` refused, with `oc`'s exact message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TagError {
    /// No arguments and no `-d`.
    #[error("you must specify a source and at least one destination or one or more tags to delete")]
    Usage,
    /// `--source` is not one of the six spellings.
    #[error(
        "invalid source {0:?}; valid values are docker, dockerimage, imagestreamimage, imagestreamtag, isimage, istag"
    )]
    InvalidSourceKind(String),
    /// SOURCE does not parse.
    #[error("invalid SOURCE: {0}")]
    InvalidSource(ReferenceError),
    /// An image stream source with a registry.
    #[error("server in SOURCE is only allowed when providing a container image")]
    RegistryInStreamSource,
    /// `--source=ImageStreamTag` without a tag.
    #[error("--source=ImageStreamTag requires a valid <name>:<tag> in SOURCE")]
    IstagWithoutTag,
    /// `--source=ImageStreamImage` without an id.
    #[error("--source=ImageStreamImage requires a valid <name>@<id> in SOURCE")]
    IsimageWithoutId,
    /// The source tag has no image to pin.
    #[error("{0:?} is not currently pointing to an image, cannot use it as the source of a tag")]
    NothingToPin(String),
    /// A destination with more than one `/`.
    #[error("invalid image stream {0:?}")]
    InvalidDestination(String),
    /// A destination `/name` with an empty namespace.
    #[error("invalid namespace \"\" for image stream {0:?}")]
    EmptyDestinationNamespace(String),
    /// A destination `ns/` with an empty name.
    #[error("invalid name \"\" for image stream {0:?}")]
    EmptyDestinationName(String),
    /// A destination without `:`.
    #[error("{0:?} must be of the form <stream_name>:<tag>")]
    NotNameAndTag(String),
    /// A flag combination `oc` refuses (§18.2).
    #[error(transparent)]
    Invalid(#[from] FlagError),
    /// A destination's namespace, stream or tag name is not valid.
    #[error(transparent)]
    Name(ReferenceError),
}

/// A flag combination `oc tag` refuses (§18.2), with `oc`'s exact message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum FlagError {
    /// `--alias` with `-d`.
    #[error("--alias and --delete may not be both specified")]
    AliasAndDelete,
    /// `--reference-policy` other than `source` or `local`.
    #[error("reference policy must be set to 'source' or 'local'")]
    ReferencePolicy,
    /// `--source` with `-d`.
    #[error("cannot specify a source kind when deleting")]
    SourceKindWhenDeleting,
    /// A SOURCE with `-d`.
    #[error("cannot specify a source when deleting")]
    SourceWhenDeleting,
    /// `--scheduled` or `--insecure` with `-d`.
    #[error("cannot set flags for importing images when deleting a tag")]
    ImportFlagsWhenDeleting,
    /// `--import-mode` with `-d`.
    #[error("cannot specify an import mode when deleting")]
    ImportModeWhenDeleting,
    /// No source kind given or detected.
    #[error("a source kind is required")]
    SourceKindRequired,
    /// No SOURCE.
    #[error("a source is required")]
    SourceRequired,
    /// No DEST.
    #[error("at least a destination is required")]
    DestinationRequired,
    /// `--scheduled` or `--insecure` on an image stream source.
    #[error("only container images can have importing flags set")]
    ImportFlagsOnStreamSource,
    /// `--alias` with `--scheduled` or `--insecure`.
    #[error("cannot set a container image tag as an alias and also set import flags")]
    AliasWithImportFlags,
    /// `--alias` to another stream or namespace.
    #[error("cannot set alias across different Image Streams")]
    AliasAcrossStreams,
    /// `--import-mode` other than `Legacy` or `PreserveOriginal`.
    #[error("valid ImportMode values are Legacy or PreserveOriginal")]
    ImportMode,
}

/// The `--source` kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceKind {
    /// `docker`, `dockerimage`: an external image.
    DockerImage,
    /// `istag`, `imagestreamtag`.
    ImageStreamTag,
    /// `isimage`, `imagestreamimage`.
    ImageStreamImage,
}

impl SourceKind {
    /// The kind a `--source` value names, in any letter case.
    ///
    /// # Errors
    ///
    /// [`TagError::InvalidSourceKind`] for anything else.
    pub fn from_flag(flag: &str) -> Result<Self, TagError> {
        match flag.to_ascii_lowercase().as_str() {
            "docker" | "dockerimage" => Ok(Self::DockerImage),
            "istag" | "imagestreamtag" => Ok(Self::ImageStreamTag),
            "isimage" | "imagestreamimage" => Ok(Self::ImageStreamImage),
            _ => Err(TagError::InvalidSourceKind(flag.to_owned())),
        }
    }
}

/// An `oc tag` invocation: the positional arguments and the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // oc's flags, one field each
pub struct TagCommand {
    args: Vec<String>,
    source_kind: Option<String>,
    alias: bool,
    reference: bool,
    scheduled: bool,
    insecure: bool,
    reference_policy: String,
    import_mode: String,
    delete: bool,
}

impl TagCommand {
    /// `oc tag ARGS...`: the first argument is the source, the rest are
    /// destinations (with [`delete`](Self::delete), all are destinations).
    pub fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            args: args.into_iter().map(Into::into).collect(),
            source_kind: None,
            alias: false,
            reference: false,
            scheduled: false,
            insecure: false,
            reference_policy: "source".into(),
            import_mode: String::new(),
            delete: false,
        }
    }

    /// `--source=KIND` (checked in [`complete`](Self::complete)).
    #[must_use]
    pub fn source_kind(mut self, kind: impl Into<String>) -> Self {
        self.source_kind = Some(kind.into());
        self
    }

    /// `-d`: delete the destination tags.
    #[must_use]
    pub fn delete(mut self, yes: bool) -> Self {
        self.delete = yes;
        self
    }

    /// `--alias`: track the source tag instead of pinning its image. The
    /// source must be a tag of the destination stream; a source in another
    /// stream or namespace is refused with `cannot set alias across
    /// different Image Streams` (stricter than `oc`, which lets a source
    /// namespace through and gets a one-time copy; SPEC §4).
    #[must_use]
    pub fn alias(mut self, yes: bool) -> Self {
        self.alias = yes;
        self
    }

    /// `--reference`: point at the source without importing it.
    #[must_use]
    pub fn reference(mut self, yes: bool) -> Self {
        self.reference = yes;
        self
    }

    /// `--scheduled`: re-import the external image periodically. Without
    /// it, tagging again removes the periodic check.
    #[must_use]
    pub fn scheduled(mut self, yes: bool) -> Self {
        self.scheduled = yes;
        self
    }

    /// `--insecure`: allow HTTP and unverified HTTPS for the import.
    #[must_use]
    pub fn insecure(mut self, yes: bool) -> Self {
        self.insecure = yes;
        self
    }

    /// `--reference-policy`: `source` (the default) or `local`, lower case.
    #[must_use]
    pub fn reference_policy(mut self, policy: impl Into<String>) -> Self {
        self.reference_policy = policy.into();
        self
    }

    /// `--import-mode`: `Legacy` or `PreserveOriginal` (empty means
    /// `Legacy`).
    #[must_use]
    pub fn import_mode(mut self, mode: impl Into<String>) -> Self {
        self.import_mode = mode.into();
        self
    }

    /// `Complete`: parses the source and the destinations, with
    /// `namespace` as the current namespace.
    ///
    /// # Errors
    ///
    /// The usage error, a bad `--source`, an unparsable SOURCE, an image
    /// stream source with a registry or without its tag or id, and bad
    /// destinations (§18.1), each with `oc`'s message.
    pub fn complete(&self, namespace: &Namespace) -> Result<Completed, TagError> {
        if self.args.is_empty() && !self.delete {
            return Err(TagError::Usage);
        }
        let mut args = self.args.as_slice();
        let mut source = None;
        let mut kind = None;
        if !self.delete && !args.is_empty() {
            let given = self
                .source_kind
                .as_deref()
                .filter(|k| !k.is_empty())
                .map(SourceKind::from_flag)
                .transpose()?;
            let raw = &args[0];
            let mut r = ImageReference::parse(raw).map_err(TagError::InvalidSource)?;
            let detected = match given {
                Some(k @ (SourceKind::ImageStreamTag | SourceKind::ImageStreamImage)) => {
                    if r.registry().is_some() {
                        return Err(TagError::RegistryInStreamSource);
                    }
                    if r.namespace() == Some("library") {
                        r = r.with_namespace(Some(namespace));
                    }
                    match k {
                        SourceKind::ImageStreamTag if r.tag().is_none() => {
                            return Err(TagError::IstagWithoutTag);
                        }
                        SourceKind::ImageStreamImage if r.id().is_none() => {
                            return Err(TagError::IsimageWithoutId);
                        }
                        _ => k,
                    }
                }
                // Detection: a registry means an external image, then an id
                // an image stream image, a tag an image stream tag, and a
                // bare name an external image (`python` is Docker Hub's).
                None if r.registry().is_none() && r.id().is_some() => SourceKind::ImageStreamImage,
                None if r.registry().is_none() && r.tag().is_some() => SourceKind::ImageStreamTag,
                Some(SourceKind::DockerImage) | None => SourceKind::DockerImage,
            };
            if detected != SourceKind::DockerImage {
                check_source_qualified(namespace, &r)?;
            }
            source = Some((raw.clone(), r));
            kind = Some(detected);
            args = &args[1..];
        }
        let destinations = args
            .iter()
            .map(|arg| parse_destination(namespace, arg))
            .collect::<Result<_, _>>()?;
        Ok(Completed {
            namespace: namespace.clone(),
            source,
            kind,
            pinned: false,
            destinations,
            command: self.clone(),
        })
    }
}

/// A stream source's `namespace/name` must fit OpenShift's 255 characters
/// (each part may be valid alone and the pair not): such a stream can never
/// exist, so the command is refused here rather than later.
fn check_source_qualified(current: &Namespace, r: &ImageReference) -> Result<(), TagError> {
    // A part invalid alone is reported where it is used, as before.
    let namespace = match r.namespace().map(Namespace::parse) {
        Some(Ok(n)) => n,
        Some(Err(_)) => return Ok(()),
        None => current.clone(),
    };
    let Ok(name) = StreamName::parse(r.name()) else {
        return Ok(());
    };
    name.check_qualified(&namespace).map_err(TagError::Name)
}

/// `parseStreamName`: `[namespace/]name:tag`.
fn parse_destination(current: &Namespace, arg: &str) -> Result<(String, String), TagError> {
    let Some((ns, rest)) = arg.split_once('/') else {
        return Ok((current.to_string(), arg.to_owned()));
    };
    if rest.contains('/') {
        return Err(TagError::InvalidDestination(arg.to_owned()));
    }
    if ns.is_empty() {
        return Err(TagError::EmptyDestinationNamespace(arg.to_owned()));
    }
    if rest.is_empty() {
        return Err(TagError::EmptyDestinationName(arg.to_owned()));
    }
    Ok((ns.to_owned(), rest.to_owned()))
}

/// `SplitImageStreamTag`: `name:tag`, an empty tag meaning `latest`;
/// `None` without a `:`.
fn split_name_and_tag(s: &str) -> Option<(&str, &str)> {
    let (name, tag, colon) = split_image_stream_tag(s);
    colon.then_some((name, tag))
}

/// A parsed `oc tag`: the resolved source and the destinations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    namespace: Namespace,
    /// The SOURCE argument as given, and the reference it became.
    source: Option<(String, ImageReference)>,
    kind: Option<SourceKind>,
    pinned: bool,
    /// `(namespace, name:tag)` per destination.
    destinations: Vec<(String, String)>,
    command: TagCommand,
}

impl Completed {
    /// The source's kind, once known (none when deleting).
    #[must_use]
    pub fn kind(&self) -> Option<SourceKind> {
        self.kind
    }

    /// The source as it will be tagged (after pinning, `name@id` or the
    /// pull spec).
    #[must_use]
    pub fn source(&self) -> Option<&ImageReference> {
        self.source.as_ref().map(|(_, r)| r)
    }

    /// The stream `oc` reads to pin the source's current image: set for an
    /// image stream tag source that is not an alias and not yet pinned.
    #[must_use]
    pub fn source_stream(&self) -> Option<(Namespace, StreamName)> {
        if self.pinned || self.command.alias || self.kind != Some(SourceKind::ImageStreamTag) {
            return None;
        }
        let (_, r) = self.source.as_ref()?;
        let ns = r
            .namespace()
            .and_then(|n| Namespace::parse(n).ok())
            .unwrap_or_else(|| self.namespace.clone());
        StreamName::parse(r.name()).ok().map(|name| (ns, name))
    }

    /// Pins the source to what its tag points to in `stream` (read as
    /// [`source_stream`](Self::source_stream) says): an image stream image
    /// `name@image` (the namespace kept), or for an image-less entry the
    /// entry's pull spec as an external image.
    ///
    /// # Errors
    ///
    /// `"<SOURCE>" is not currently pointing to an image, cannot use it as
    /// the source of a tag` when the tag has no entry.
    pub fn pin(&mut self, stream: &ImageStream) -> Result<(), TagError> {
        let Some((raw, r)) = &self.source else {
            return Ok(());
        };
        let Some(event) = stream.latest_tagged_image(r.tag().unwrap_or_default()) else {
            return Err(TagError::NothingToPin(raw.clone()));
        };
        let (kind, pinned) = match event.image() {
            None => (SourceKind::DockerImage, event.pull_spec().clone()),
            Some(image) => (
                SourceKind::ImageStreamImage,
                r.with_tag(None).with_id(Some(&image)),
            ),
        };
        self.source = Some((raw.clone(), pinned));
        self.kind = Some(kind);
        self.pinned = true;
        Ok(())
    }

    /// `Validate`: the flag combinations `oc` refuses, in its order.
    ///
    /// # Errors
    ///
    /// Each with `oc`'s exact message (§18.2).
    pub fn validate(&self) -> Result<(), TagError> {
        let c = &self.command;
        if c.delete && c.alias {
            return Err(FlagError::AliasAndDelete.into());
        }
        if c.reference_policy != "source" && c.reference_policy != "local" {
            return Err(FlagError::ReferencePolicy.into());
        }
        if c.delete {
            if c.source_kind.as_deref().is_some_and(|k| !k.is_empty()) {
                return Err(FlagError::SourceKindWhenDeleting.into());
            }
            if self.source.is_some() {
                return Err(FlagError::SourceWhenDeleting.into());
            }
            if c.scheduled || c.insecure {
                return Err(FlagError::ImportFlagsWhenDeleting.into());
            }
            if !c.import_mode.is_empty() {
                return Err(FlagError::ImportModeWhenDeleting.into());
            }
        } else {
            if self.kind.is_none() {
                return Err(FlagError::SourceKindRequired.into());
            }
            if self.source.is_none() {
                return Err(FlagError::SourceRequired.into());
            }
        }
        if self.destinations.is_empty() {
            return Err(FlagError::DestinationRequired.into());
        }
        let docker = self.kind == Some(SourceKind::DockerImage);
        if !c.delete && !docker && (c.scheduled || c.insecure) {
            return Err(FlagError::ImportFlagsOnStreamSource.into());
        }
        if c.alias {
            if c.scheduled || c.insecure {
                return Err(FlagError::AliasWithImportFlags.into());
            }
            let source_name = self.source().map(ImageReference::name).unwrap_or_default();
            // OC `pkg/cli/tag/tag.go` :: Validate compares each destination
            // with the current namespace and the source's name only, so
            // `--alias other/python:3.6 python:3.6` passes there and the
            // server turns the cross-namespace `ImageStreamTag` into a
            // one-time copy (OAS `registry/imagestream/strategy.go` ::
            // tagsChanged), not a tracking tag. SPEC §4: an alias tracks its
            // own stream only, so a source in another namespace is refused
            // too, whatever namespace is current.
            let source_namespace = self.source().and_then(ImageReference::namespace);
            for (ns, name_and_tag) in &self.destinations {
                if *ns != self.namespace.as_str() || source_namespace.is_some_and(|s| s != ns) {
                    return Err(FlagError::AliasAcrossStreams.into());
                }
                let Some((name, _)) = split_name_and_tag(name_and_tag) else {
                    return Err(TagError::NotNameAndTag(name_and_tag.clone()));
                };
                if name != source_name {
                    return Err(FlagError::AliasAcrossStreams.into());
                }
            }
        }
        if !matches!(c.import_mode.as_str(), "" | "Legacy" | "PreserveOriginal") {
            return Err(FlagError::ImportMode.into());
        }
        Ok(())
    }

    /// One step per destination, in order (`oc` stops at the first error).
    pub fn steps(&self) -> impl Iterator<Item = Result<TagStep, TagError>> + '_ {
        self.destinations
            .iter()
            .map(|(ns, name_and_tag)| self.step(ns, name_and_tag))
    }

    fn step(&self, ns: &str, name_and_tag: &str) -> Result<TagStep, TagError> {
        let (name, tag) = split_name_and_tag(name_and_tag)
            .ok_or_else(|| TagError::NotNameAndTag(name_and_tag.to_owned()))?;
        let namespace = Namespace::parse(ns).map_err(TagError::Name)?;
        let stream = StreamName::parse(name).map_err(TagError::Name)?;
        stream.check_qualified(&namespace).map_err(TagError::Name)?;
        let c = &self.command;
        if c.delete {
            return Ok(TagStep::Delete {
                outcome: TagOutcome::Deleted {
                    namespace: namespace.clone(),
                    name_and_tag: name_and_tag.to_owned(),
                },
                namespace,
                stream,
                tag: tag.to_owned(),
            });
        }
        // validateTag: only when setting; existing tags with bad names may
        // still be deleted.
        let tag = TagName::parse(tag).map_err(TagError::Name)?;
        let (Some(r), Some(kind)) = (self.source(), self.kind) else {
            return Err(FlagError::SourceRequired.into());
        };
        let source = match kind {
            // The parsed reference is already `Exact` (nothing defaulted).
            SourceKind::DockerImage => TagSource::DockerImage(r.clone()),
            SourceKind::ImageStreamTag | SourceKind::ImageStreamImage => {
                let from_namespace = match r.namespace() {
                    Some(n) => Some(Namespace::parse(n).map_err(TagError::Name)?),
                    None if namespace != self.namespace => Some(self.namespace.clone()),
                    None => None,
                };
                let from_stream = Some(StreamName::parse(r.name()).map_err(TagError::Name)?);
                if kind == SourceKind::ImageStreamTag {
                    TagSource::ImageStreamTag {
                        namespace: from_namespace,
                        stream: from_stream,
                        tag: TagName::parse(r.tag().unwrap_or(DEFAULT_TAG))
                            .map_err(TagError::Name)?,
                    }
                } else {
                    TagSource::ImageStreamImage {
                        namespace: from_namespace,
                        stream: from_stream,
                        id: r.id().unwrap_or_default().into(),
                    }
                }
            }
        };
        let import_mode = match c.import_mode.as_str() {
            "PreserveOriginal" => ImportMode::PreserveOriginal,
            _ => ImportMode::Legacy,
        };
        let policy = if c.reference_policy == "local" {
            ReferencePolicy::Local
        } else {
            ReferencePolicy::Source
        };
        let mut spec = SpecTag::new(source)
            .with_reference(c.reference)
            .with_reference_policy(policy)
            .with_import_policy(
                ImportPolicy::default()
                    .insecure(c.insecure)
                    .scheduled(c.scheduled)
                    .import_mode(import_mode),
            );
        if kind == SourceKind::DockerImage {
            // Generation 0 forces an import even when the source is unchanged.
            spec = spec.with_generation(Some(0));
        }
        let how = if c.alias {
            SetMode::Track
        } else if c.scheduled {
            SetMode::Periodic
        } else {
            SetMode::Once
        };
        let outcome = TagOutcome::Set {
            namespace: (namespace != self.namespace).then(|| namespace.clone()),
            name_and_tag: name_and_tag.to_owned(),
            source: r.exact(),
            how,
        };
        Ok(TagStep::Set {
            namespace,
            stream,
            tag,
            spec: Box::new(spec),
            outcome,
        })
    }
}

/// What one destination asks of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TagStep {
    /// Set (create or replace) a spec tag; the stream is created if absent.
    Set {
        /// The destination namespace.
        namespace: Namespace,
        /// The destination stream.
        stream: StreamName,
        /// The destination tag.
        tag: TagName,
        /// The spec tag to set.
        spec: Box<SpecTag>,
        /// What `oc` prints when it succeeds.
        outcome: TagOutcome,
    },
    /// Delete a tag (spec and history).
    Delete {
        /// The destination namespace.
        namespace: Namespace,
        /// The destination stream.
        stream: StreamName,
        /// The tag, unvalidated: tags with invalid names may be deleted.
        tag: String,
        /// What `oc` prints when it succeeds.
        outcome: TagOutcome,
    },
}

impl TagStep {
    /// What `oc` prints when the step succeeds.
    #[must_use]
    pub fn outcome(&self) -> &TagOutcome {
        match self {
            Self::Set { outcome, .. } | Self::Delete { outcome, .. } => outcome,
        }
    }
}

/// How a set tag follows its source, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SetMode {
    /// `--alias`: `set up to track`.
    Track,
    /// `--scheduled`: `set to import … periodically`.
    Periodic,
    /// Otherwise: `set to`.
    Once,
}

/// A destination done; `Display` is `oc`'s message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TagOutcome {
    /// A spec tag set.
    Set {
        /// The destination namespace when it is not the current one.
        namespace: Option<Namespace>,
        /// `name:tag` as given.
        name_and_tag: String,
        /// The source, `Exact` form (pinned sources show `name@sha256:…`).
        source: String,
        /// How the tag follows it.
        how: SetMode,
    },
    /// A tag deleted.
    Deleted {
        /// The destination namespace (always shown).
        namespace: Namespace,
        /// `name:tag` as given.
        name_and_tag: String,
    },
}

impl fmt::Display for TagOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Deleted {
                namespace,
                name_and_tag,
            } => write!(f, "Deleted tag {namespace}/{name_and_tag}."),
            Self::Set {
                namespace,
                name_and_tag,
                source,
                how,
            } => {
                f.write_str("Tag ")?;
                if let Some(ns) = namespace {
                    write!(f, "{ns}/")?;
                }
                match (how, namespace) {
                    (SetMode::Track, _) => {
                        write!(f, "{name_and_tag} set up to track {source}.")
                    }
                    (SetMode::Periodic, None) => {
                        write!(f, "{name_and_tag} set to import {source} periodically.")
                    }
                    // oc's cross-namespace wording lacks "import".
                    (SetMode::Periodic, Some(_)) => {
                        write!(f, "{name_and_tag} set to {source} periodically.")
                    }
                    (SetMode::Once, _) => write!(f, "{name_and_tag} set to {source}."),
                }
            }
        }
    }
}
