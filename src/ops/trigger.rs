//! Image change triggers (§15.3), pure: given how each watched tag
//! resolves now, which deployments change, which builds start, and which
//! annotated workloads get new container images.
//!
//! A trigger watches `stream:tag` (an `ImageStreamTag`). Resolution is the
//! caller's, through a [`TagResolver`]: usually the tag's current pull
//! spec (`ResolveLatestTaggedImage`, [`ImageStream::resolve_pull_spec`]),
//! which [`resolver`] builds from streams at hand.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::api::ObjectReference;
use crate::reference::{IsTagName, Namespace};
use crate::stream::ImageStream;

/// Why triggers were refused or could not be applied, with OpenShift's
/// messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TriggerError {
    /// Two triggers on the same field.
    #[error("duplicate triggers are not allowed")]
    Duplicate,
    /// A field path that is not `…containers[i].image` under the pod spec.
    #[error("field path is not valid: {0}")]
    InvalidFieldPath(String),
    /// A field path naming a container that does not exist.
    #[error("no such container: {0}")]
    NoSuchContainer(String),
}

/// How a watched tag resolves now: its pull spec, or `None` when the
/// stream or the tag's entry does not exist (unresolved).
pub trait TagResolver {
    /// The pull spec `namespace/stream:tag` resolves to.
    fn resolve(&self, namespace: &Namespace, istag: &IsTagName) -> Option<String>;
}

impl<F: Fn(&Namespace, &IsTagName) -> Option<String>> TagResolver for F {
    fn resolve(&self, namespace: &Namespace, istag: &IsTagName) -> Option<String> {
        self(namespace, istag)
    }
}

/// A resolver over `streams`, with the trigger controller's rule: a stream
/// without a status repository resolves as if it were
/// `<internal_registry>/<namespace>/<name>` (so `Local` tags work).
///
/// ```
/// use imagestream::ops::trigger::{TagResolver, resolver};
/// use imagestream::reference::{Digest, ImageReference, IsTagName, Namespace, StreamName, TagName};
/// use imagestream::stream::{ImageStream, TagEvent};
/// # use imagestream::chrono::Utc;
///
/// let ns = Namespace::parse("ns")?;
/// let mut is = ImageStream::new(ns.clone(), StreamName::parse("app")?)?;
/// let d = Digest::of_sha256(b"v1");
/// let spec = ImageReference::parse(&format!("quay.io/org/app@{d}"))?;
/// is.add_event(&TagName::parse("prod")?, TagEvent::new(spec, Some(d.clone()), 1, Utc::now()));
/// let streams = [is];
/// let resolve = resolver(&streams, None);
/// let got = resolve.resolve(&ns, &IsTagName::parse("app:prod")?);
/// assert_eq!(got, Some(format!("quay.io/org/app@{d}")));
/// assert_eq!(resolve.resolve(&ns, &IsTagName::parse("app:none")?), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn resolver<'a>(
    streams: &'a [ImageStream],
    internal_registry: Option<&'a str>,
) -> impl TagResolver + 'a {
    move |namespace: &Namespace, istag: &IsTagName| {
        let stream = streams
            .iter()
            .find(|s| s.namespace() == namespace && s.name() == istag.stream_name())?;
        if stream.status_repository().is_empty()
            && let Some(host) = internal_registry
        {
            let mut with_repo = stream.clone();
            with_repo.set_repositories(
                format!("{host}/{namespace}/{}", stream.name()),
                stream.public_repository().to_owned(),
            );
            return with_repo.resolve_pull_spec(istag.tag()).ok();
        }
        stream.resolve_pull_spec(istag.tag()).ok()
    }
}

/// A `DeploymentConfig` image change trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeploymentTrigger {
    /// The watched tag.
    pub from: IsTagName,
    /// Its namespace; `None` is the deployment's.
    pub namespace: Option<Namespace>,
    /// Whether a new image is rolled out (only automatic triggers act).
    pub automatic: bool,
    /// The containers (and init containers) whose image it sets.
    pub container_names: Vec<String>,
    /// The pull spec it last set (empty before the first).
    pub last_triggered_image: String,
}

impl DeploymentTrigger {
    /// An automatic trigger on `from` for `containers`.
    #[must_use]
    pub fn new(from: IsTagName, containers: &[&str]) -> Self {
        Self {
            from,
            namespace: None,
            automatic: true,
            container_names: containers.iter().map(|c| (*c).to_owned()).collect(),
            last_triggered_image: String::new(),
        }
    }
}

/// A container: its name and image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Container {
    /// The container's name.
    pub name: String,
    /// Its image (a pull spec).
    pub image: String,
}

impl Container {
    /// A container named `name` running `image`.
    #[must_use]
    pub fn new(name: impl Into<String>, image: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            image: image.into(),
        }
    }
}

/// The parts of a pod template triggers touch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PodImages {
    /// `containers`.
    pub containers: Vec<Container>,
    /// `initContainers`.
    pub init_containers: Vec<Container>,
}

/// `UpdateDeploymentConfigImages`: applies `dc_triggers` to `pod` in
/// `namespace`. Unless some automatic trigger is unresolved and has never
/// fired (then the deployment waits, and nothing changes), every automatic
/// trigger records its image (the last one when unresolved) and sets it on
/// the listed containers. Returns whether anything changed.
pub fn update_deployment_images(
    namespace: &Namespace,
    dc_triggers: &mut [DeploymentTrigger],
    pod: &mut PodImages,
    resolve: &impl TagResolver,
) -> bool {
    let mut resolved = Vec::with_capacity(dc_triggers.len());
    for t in dc_triggers.iter() {
        if !t.automatic {
            resolved.push(None);
            continue;
        }
        let ns = t.namespace.as_ref().unwrap_or(namespace);
        match resolve.resolve(ns, &t.from) {
            Some(r) => resolved.push(Some(r)),
            None if t.last_triggered_image.is_empty() => return false,
            None => resolved.push(Some(t.last_triggered_image.clone())),
        }
    }
    let mut changed = false;
    for (t, image) in dc_triggers.iter_mut().zip(resolved) {
        let Some(image) = image else { continue };
        if t.last_triggered_image != image {
            t.last_triggered_image.clone_from(&image);
            changed = true;
        }
        for c in pod
            .containers
            .iter_mut()
            .chain(pod.init_containers.iter_mut())
            .filter(|c| t.container_names.contains(&c.name))
        {
            if c.image != image {
                c.image.clone_from(&image);
                changed = true;
            }
        }
    }
    changed
}

/// A `BuildConfig` image change trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BuildTrigger {
    /// The watched tag (the strategy's base image when the trigger names
    /// none).
    pub from: IsTagName,
    /// Its namespace; `None` is the build config's.
    pub namespace: Option<Namespace>,
    /// A paused trigger never fires.
    pub paused: bool,
    /// The pull spec it last started a build for (`lastTriggeredImageID`,
    /// which despite its name holds a pull spec).
    pub last_triggered_image_id: String,
}

impl BuildTrigger {
    /// A trigger on `from` that has not fired.
    #[must_use]
    pub fn new(from: IsTagName) -> Self {
        Self {
            from,
            namespace: None,
            paused: false,
            last_triggered_image_id: String::new(),
        }
    }
}

/// One reason a build starts: `Image change`, with the image and its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BuildCause {
    /// The watched tag.
    pub from: IsTagName,
    /// The pull spec it resolved to (the build's `triggeredByImage`).
    pub image: String,
}

impl BuildCause {
    /// The cause's message, as in the build's status.
    #[must_use]
    pub fn message(&self) -> &'static str {
        "Image change"
    }
}

/// The build reactor: for each trigger that is not paused, resolved, and
/// not already built for that image, a cause; all go into one build
/// request (empty: no build).
#[must_use]
pub fn build_causes(
    namespace: &Namespace,
    triggers: &[BuildTrigger],
    resolve: &impl TagResolver,
) -> Vec<BuildCause> {
    triggers
        .iter()
        .filter(|t| !t.paused)
        .filter_map(|t| {
            let ns = t.namespace.as_ref().unwrap_or(namespace);
            let image = resolve.resolve(ns, &t.from)?;
            (image != t.last_triggered_image_id).then(|| BuildCause {
                from: t.from.clone(),
                image,
            })
        })
        .collect()
}

/// An entry of the `image.openshift.io/triggers` annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AnnotationTrigger {
    /// What is watched; only `ImageStreamTag` with a `name:tag` and no
    /// API version acts.
    pub from: ObjectReference,
    /// The field to set, e.g. `spec.template.spec.containers[0].image`.
    pub field_path: String,
    /// A paused trigger never fires.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
}

/// The annotation holding the triggers of Deployments, DaemonSets,
/// StatefulSets and CronJobs: a JSON array of [`AnnotationTrigger`]s.
pub const TRIGGERS_ANNOTATION: &str = "image.openshift.io/triggers";

/// Checks an annotation's triggers: no two on the same field path.
///
/// # Errors
///
/// `duplicate triggers are not allowed`.
pub fn validate_annotation_triggers(triggers: &[AnnotationTrigger]) -> Result<(), TriggerError> {
    let mut seen = BTreeSet::new();
    if triggers.iter().all(|t| seen.insert(t.field_path.as_str())) {
        Ok(())
    } else {
        Err(TriggerError::Duplicate)
    }
}

/// `UpdateObjectFromImages`: sets the images the annotation's triggers
/// resolve to on `pod`, whose fields are under `pod_spec_path` (for a
/// Deployment `spec.template.spec`, for a CronJob
/// `spec.jobTemplate.spec.template.spec`). Paused triggers, triggers on
/// anything but an `ImageStreamTag`, field paths outside the pod spec and
/// unresolved tags are skipped. Returns whether an image changed.
///
/// Containers are named by index (`containers[0]`) or by name
/// (`containers[?(@.name=="web")]`).
///
/// All or nothing: every trigger is checked before any container is
/// written, so on an error `pod` is unchanged. (OCM
/// `pkg/image/trigger/annotations/annotations.go` :: `UpdateObjectFromImages`
/// copies the object lazily on the first change, writes into the copy and
/// returns no object with an error, so the caller never sees a
/// half-updated pod.)
///
/// # Errors
///
/// Duplicate field paths; `field path is not valid: <p>`; `no such
/// container: <p>`.
pub fn update_annotated_images(
    namespace: &Namespace,
    triggers: &[AnnotationTrigger],
    pod_spec_path: &str,
    pod: &mut PodImages,
    resolve: &impl TagResolver,
) -> Result<bool, TriggerError> {
    validate_annotation_triggers(triggers)?;
    // First every trigger is checked and resolved, then the images are set.
    let mut writes: Vec<(ContainerSlot, String)> = Vec::new();
    for t in triggers {
        if t.paused
            || t.from.kind != "ImageStreamTag"
            || !t.from.api_version.is_empty()
            || !t.from.name.contains(':')
        {
            continue;
        }
        let Some(rest) = t
            .field_path
            .strip_prefix(pod_spec_path)
            .and_then(|r| r.strip_prefix('.'))
        else {
            continue;
        };
        let Ok(istag) = IsTagName::parse(&t.from.name) else {
            continue;
        };
        let ns = match t.from.namespace.as_str() {
            "" => namespace.clone(),
            n => match Namespace::parse(n) {
                Ok(n) => n,
                Err(_) => continue,
            },
        };
        let slot = container_for(rest, pod)
            .map_err(|()| TriggerError::InvalidFieldPath(t.field_path.clone()))?
            .ok_or_else(|| TriggerError::NoSuchContainer(t.field_path.clone()))?;
        let Some(image) = resolve.resolve(&ns, &istag) else {
            continue;
        };
        writes.push((slot, image));
    }
    let mut changed = false;
    for ((init, index), image) in writes {
        let list = if init {
            &mut pod.init_containers
        } else {
            &mut pod.containers
        };
        // container_for returned an index of this list, and nothing has
        // removed containers since.
        if let Some(container) = list.get_mut(index)
            && container.image != image
        {
            container.image = image;
            changed = true;
        }
    }
    Ok(changed)
}

/// A container of a pod: `(init container?, index)`.
type ContainerSlot = (bool, usize);

/// `containers[<index>].image` or `containers[?(@.name=="x")].image` (or
/// `initContainers`): the container's slot, `Ok(None)` if there is none,
/// `Err` for any other path.
fn container_for(path: &str, pod: &PodImages) -> Result<Option<ContainerSlot>, ()> {
    let (init, list, rest) = if let Some(r) = path.strip_prefix("containers[") {
        (false, &pod.containers, r)
    } else if let Some(r) = path.strip_prefix("initContainers[") {
        (true, &pod.init_containers, r)
    } else {
        return Err(());
    };
    let selector = rest.strip_suffix("].image").ok_or(())?;
    if let Some(name) = selector
        .strip_prefix(r#"?(@.name==""#)
        .and_then(|s| s.strip_suffix(r#"")"#))
    {
        return Ok(list.iter().position(|c| c.name == name).map(|i| (init, i)));
    }
    if selector.is_empty() || !selector.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    let index: usize = selector.parse().map_err(|_| ())?;
    Ok((index < list.len()).then_some((init, index)))
}
