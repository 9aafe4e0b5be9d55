//! Image change triggers at run time: the objects that watch a stream's
//! tags live with the caller (deployments, build configs, annotated
//! workloads), behind a [`TriggerSink`]; the controller evaluates their
//! triggers ([`ops::trigger`](crate::ops::trigger)) when a tag's current
//! image moves and hands the sink what to do.
//!
//! Each new image fires each trigger once, across restarts too, because
//! the object itself remembers what it last triggered, as in OpenShift:
//! a deployment's `lastTriggeredImage`, a build config's
//! `lastTriggeredImageID`, an annotated workload's container image. The
//! sink must record the action's new state before it reports success.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use crate::ops::trigger::{
    AnnotationTrigger, BuildCause, BuildTrigger, DeploymentTrigger, PodImages, TagResolver,
    TriggerError, build_causes, update_annotated_images, update_deployment_images,
};
use crate::reference::{Namespace, StreamName};

use super::StreamKey;

/// An object whose triggers watch image stream tags, as stored now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Watcher {
    /// The object's namespace.
    pub namespace: Namespace,
    /// The object's name.
    pub name: String,
    /// Its triggers and what they act on.
    pub kind: WatcherKind,
}

impl Watcher {
    /// The object `namespace/name` with these triggers.
    #[must_use]
    pub fn new(namespace: Namespace, name: impl Into<String>, kind: WatcherKind) -> Self {
        Self {
            namespace,
            name: name.into(),
            kind,
        }
    }
}

/// The kinds of objects with image change triggers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatcherKind {
    /// A `DeploymentConfig`: its image change triggers and pod template.
    Deployment {
        /// The triggers, each with its `lastTriggeredImage`.
        triggers: Vec<DeploymentTrigger>,
        /// The pod template's images.
        pod: PodImages,
    },
    /// A `BuildConfig`: its image change triggers.
    Build {
        /// The triggers, each with its `lastTriggeredImageID`.
        triggers: Vec<BuildTrigger>,
    },
    /// A `Deployment`, `DaemonSet`, `StatefulSet` or `CronJob` with the
    /// `image.openshift.io/triggers` annotation.
    Annotated {
        /// The annotation's triggers.
        triggers: Vec<AnnotationTrigger>,
        /// Where the pod spec is (`spec.template.spec` for a Deployment).
        pod_spec_path: String,
        /// The pod spec's images.
        pod: PodImages,
    },
}

/// What a trigger asks of its object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TriggerAction {
    /// The object's namespace.
    pub namespace: Namespace,
    /// The object's name.
    pub name: String,
    /// What to do.
    pub kind: ActionKind,
}

/// What to do to an object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActionKind {
    /// Update the deployment config: these triggers (with their new
    /// `lastTriggeredImage`) and pod images; a new rollout follows.
    Deploy {
        /// The triggers as they must be stored.
        triggers: Vec<DeploymentTrigger>,
        /// The pod template's new images.
        pod: PodImages,
    },
    /// Start one build for these causes, and record each cause's image as
    /// its trigger's `lastTriggeredImageID`.
    Build {
        /// Why, one cause per trigger that fired.
        causes: Vec<BuildCause>,
    },
    /// Set these images on the annotated workload's pod spec.
    SetImages {
        /// The pod spec's new images.
        pod: PodImages,
    },
}

/// Why an action could not be carried out (the caller's error), or why an
/// object's triggers are unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// The object's triggers are invalid (a duplicate or bad field path).
    #[error("triggers of {namespace}/{name}: {error}")]
    Trigger {
        /// The object's namespace.
        namespace: Namespace,
        /// The object's name.
        name: String,
        /// What is wrong.
        #[source]
        error: TriggerError,
    },
    /// The sink failed to apply an action; it is tried again later.
    #[error("applying a trigger to {namespace}/{name} failed: {source}")]
    Apply {
        /// The object's namespace.
        namespace: Namespace,
        /// The object's name.
        name: String,
        /// The sink's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Where triggered objects live: the embedding program's deployments,
/// build configs and workloads.
pub trait TriggerSink: Send + Sync {
    /// The objects with a trigger on a tag of `namespace/stream`, as stored
    /// now (with the images they last triggered).
    fn watching(&self, namespace: &Namespace, stream: &StreamName) -> Vec<Watcher>;

    /// Carries out `action`, recording its new state in the object (so the
    /// same image does not trigger it again, even after a restart).
    ///
    /// # Errors
    ///
    /// The sink's failure; the controller tries the stream's triggers again
    /// later.
    fn apply(&self, action: &TriggerAction)
    -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

/// What `watcher`'s triggers ask for now (`None`: nothing changed).
///
/// # Errors
///
/// Invalid annotation triggers.
pub fn evaluate(
    watcher: &Watcher,
    resolve: &impl TagResolver,
) -> Result<Option<TriggerAction>, SinkError> {
    let ns = &watcher.namespace;
    let kind = match &watcher.kind {
        WatcherKind::Deployment { triggers, pod } => {
            let (mut triggers, mut pod) = (triggers.clone(), pod.clone());
            update_deployment_images(ns, &mut triggers, &mut pod, resolve)
                .then_some(ActionKind::Deploy { triggers, pod })
        }
        WatcherKind::Build { triggers } => {
            let causes = build_causes(ns, triggers, resolve);
            (!causes.is_empty()).then_some(ActionKind::Build { causes })
        }
        WatcherKind::Annotated {
            triggers,
            pod_spec_path,
            pod,
        } => {
            let mut pod = pod.clone();
            update_annotated_images(ns, triggers, pod_spec_path, &mut pod, resolve)
                .map_err(|error| SinkError::Trigger {
                    namespace: ns.clone(),
                    name: watcher.name.clone(),
                    error,
                })?
                .then_some(ActionKind::SetImages { pod })
        }
    };
    Ok(kind.map(|kind| TriggerAction {
        namespace: ns.clone(),
        name: watcher.name.clone(),
        kind,
    }))
}

/// Triggered objects in memory, for tests, examples and embedders without
/// a store of their own: applying an action records it (the log) and
/// stores the object's new state (its last triggered images), as
/// OpenShift's objects do.
///
/// ```
/// use imagestream::controller::{MemoryTriggers, TriggerSink};
/// use imagestream::ops::trigger::{Container, DeploymentTrigger, PodImages};
/// use imagestream::reference::{IsTagName, Namespace, StreamName};
///
/// let sink = MemoryTriggers::new();
/// let ns = Namespace::parse("default")?;
/// let mut pod = PodImages::default();
/// pod.containers.push(Container::new("web", ""));
/// sink.add_deployment(&ns, "web", vec![DeploymentTrigger::new(IsTagName::parse("python:latest")?, &["web"])], pod);
/// assert_eq!(sink.watching(&ns, &StreamName::parse("python")?).len(), 1);
/// assert!(sink.fired().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryTriggers {
    state: Mutex<MemoryState>,
}

#[derive(Debug, Default)]
struct MemoryState {
    objects: BTreeMap<(Namespace, String), Watcher>,
    fired: Vec<TriggerAction>,
    failing: bool,
}

impl MemoryTriggers {
    /// No objects.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds (or replaces) an object.
    pub fn add(&self, watcher: Watcher) {
        self.lock()
            .objects
            .insert((watcher.namespace.clone(), watcher.name.clone()), watcher);
    }

    /// Adds a deployment config.
    pub fn add_deployment(
        &self,
        namespace: &Namespace,
        name: &str,
        triggers: Vec<DeploymentTrigger>,
        pod: PodImages,
    ) {
        self.add(Watcher {
            namespace: namespace.clone(),
            name: name.to_owned(),
            kind: WatcherKind::Deployment { triggers, pod },
        });
    }

    /// Adds a build config.
    pub fn add_build(&self, namespace: &Namespace, name: &str, triggers: Vec<BuildTrigger>) {
        self.add(Watcher {
            namespace: namespace.clone(),
            name: name.to_owned(),
            kind: WatcherKind::Build { triggers },
        });
    }

    /// Adds a workload with the `image.openshift.io/triggers` annotation,
    /// whose pod spec is at `pod_spec_path`.
    pub fn add_annotated(
        &self,
        namespace: &Namespace,
        name: &str,
        triggers: Vec<AnnotationTrigger>,
        pod_spec_path: &str,
        pod: PodImages,
    ) {
        self.add(Watcher::new(
            namespace.clone(),
            name,
            WatcherKind::Annotated {
                triggers,
                pod_spec_path: pod_spec_path.to_owned(),
                pod,
            },
        ));
    }

    /// The object `namespace/name` as stored now.
    #[must_use]
    pub fn get(&self, namespace: &Namespace, name: &str) -> Option<Watcher> {
        self.lock()
            .objects
            .get(&(namespace.clone(), name.to_owned()))
            .cloned()
    }

    /// Every action applied, in order.
    #[must_use]
    pub fn fired(&self) -> Vec<TriggerAction> {
        self.lock().fired.clone()
    }

    /// Makes every [`apply`](TriggerSink::apply) fail (`true`) or succeed
    /// again: a sink whose backend is down.
    pub fn set_failing(&self, failing: bool) {
        self.lock().failing = failing;
    }
}

fn watches(watcher: &Watcher, key: &StreamKey) -> bool {
    let on = |ns: Option<&Namespace>, stream: &StreamName| {
        ns.unwrap_or(&watcher.namespace) == &key.namespace && stream == &key.name
    };
    match &watcher.kind {
        WatcherKind::Deployment { triggers, .. } => triggers
            .iter()
            .any(|t| on(t.namespace.as_ref(), t.from.stream_name())),
        WatcherKind::Build { triggers } => triggers
            .iter()
            .any(|t| on(t.namespace.as_ref(), t.from.stream_name())),
        WatcherKind::Annotated { triggers, .. } => triggers.iter().any(|t| {
            let ns = match t.from.namespace.as_str() {
                "" => Some(watcher.namespace.clone()),
                n => Namespace::parse(n).ok(),
            };
            let stream = t.from.name.split_once(':').map(|(s, _)| s);
            ns.as_ref() == Some(&key.namespace) && stream == Some(key.name.as_str())
        }),
    }
}

impl TriggerSink for MemoryTriggers {
    fn watching(&self, namespace: &Namespace, stream: &StreamName) -> Vec<Watcher> {
        let key = StreamKey::new(namespace.clone(), stream.clone());
        self.lock()
            .objects
            .values()
            .filter(|w| watches(w, &key))
            .cloned()
            .collect()
    }

    fn apply(
        &self,
        action: &TriggerAction,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut state = self.lock();
        if state.failing {
            return Err("the trigger sink is failing".into());
        }
        let key = (action.namespace.clone(), action.name.clone());
        let object = state
            .objects
            .get_mut(&key)
            .ok_or_else(|| format!("no object {}/{}", action.namespace, action.name))?;
        match (&mut object.kind, &action.kind) {
            (
                WatcherKind::Deployment { triggers, pod },
                ActionKind::Deploy {
                    triggers: new,
                    pod: new_pod,
                },
            ) => {
                triggers.clone_from(new);
                pod.clone_from(new_pod);
            }
            (WatcherKind::Build { triggers }, ActionKind::Build { causes }) => {
                for cause in causes {
                    for t in triggers.iter_mut().filter(|t| t.from == cause.from) {
                        t.last_triggered_image_id.clone_from(&cause.image);
                    }
                }
            }
            (WatcherKind::Annotated { pod, .. }, ActionKind::SetImages { pod: new_pod }) => {
                pod.clone_from(new_pod);
            }
            _ => {
                return Err(
                    format!("action does not fit {}/{}", action.namespace, action.name).into(),
                );
            }
        }
        state.fired.push(action.clone());
        Ok(())
    }
}
