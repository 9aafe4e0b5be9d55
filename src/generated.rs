//! What the `proptest` strategies and the `Arbitrary` impls share: plans
//! (plain data a generator fills in) and the code that renders them into
//! valid values, so both features produce the same shapes.

use chrono::DateTime;

use crate::api;
use crate::reference::{Digest, Namespace, StreamName, TagName};

/// Docker Hub's registry names, as a user writes them.
pub(crate) const HUB_HOSTS: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/// A reference to render: every part is already valid on its own.
#[derive(Debug, Clone)]
pub(crate) struct RefPlan {
    /// The host without port: a domain name, `localhost`, an IPv4
    /// address, `[ipv6]`, or `None` for a Docker Hub shorthand.
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    /// Path components, each `[a-z0-9]+(sep[a-z0-9]+)*`.
    pub(crate) path: Vec<String>,
    pub(crate) tag: Option<TagName>,
    pub(crate) digest: Option<Digest>,
}

impl RefPlan {
    /// `[host[:port]/]path[:tag][@digest]`.
    pub(crate) fn render(&self) -> String {
        let mut s = String::new();
        if let Some(host) = &self.host {
            s.push_str(host);
            if let Some(port) = self.port {
                s.push(':');
                s.push_str(&port.to_string());
            }
            s.push('/');
        }
        s.push_str(&self.path.join("/"));
        if let Some(tag) = &self.tag {
            s.push(':');
            s.push_str(tag.as_str());
        }
        if let Some(digest) = &self.digest {
            s.push('@');
            s.push_str(digest.as_str());
        }
        s
    }
}

/// Where a planned spec tag's image comes from.
#[derive(Debug, Clone)]
pub(crate) enum SourcePlan {
    /// No spec tag: the tag only has a history.
    StatusOnly,
    /// A spec tag without `from`.
    Empty,
    /// `DockerImage` (a reference valid in OpenShift's mode).
    External(String),
    /// A same-stream `ImageStreamTag` following an earlier tag (index
    /// taken modulo the tags before it): tracking chains.
    Tracking(usize),
    /// `ImageStreamTag` of another stream.
    OtherStreamTag {
        namespace: Option<Namespace>,
        stream: StreamName,
        tag: TagName,
    },
    /// `ImageStreamImage` pinned by a digest or a prefix of its hex.
    Image {
        namespace: Option<Namespace>,
        stream: Option<StreamName>,
        digest: Digest,
        /// Hex characters kept (`None`: the whole digest).
        prefix: Option<usize>,
    },
}

/// One tag of a planned stream.
#[derive(Debug, Clone)]
pub(crate) struct TagPlan {
    pub(crate) name: TagName,
    pub(crate) source: SourcePlan,
    /// reference, insecure, scheduled (external sources only), local policy.
    pub(crate) flags: [bool; 4],
    /// 0: unset, 1: `Legacy`, 2: `PreserveOriginal`.
    pub(crate) import_mode: u8,
    pub(crate) generation: Option<u8>,
    /// Images pushed, oldest first, with their generation.
    pub(crate) events: Vec<(Digest, u8)>,
    /// A failed import condition's reason, if any.
    pub(crate) failure: Option<u8>,
}

/// A whole stream.
#[derive(Debug, Clone)]
pub(crate) struct StreamPlan {
    pub(crate) namespace: Namespace,
    pub(crate) name: StreamName,
    pub(crate) lookup_local: bool,
    pub(crate) generation: u8,
    /// `None`: a `null` creation timestamp.
    pub(crate) created: Option<u32>,
    /// Written as both labels and annotations.
    pub(crate) labels: std::collections::BTreeMap<String, String>,
    pub(crate) tags: Vec<TagPlan>,
}

const REASONS: [&str; 4] = [
    "NotFound",
    "Unauthorized",
    "InternalError",
    "TooManyRequests",
];

fn at(seconds: u32) -> Option<chrono::DateTime<chrono::Utc>> {
    DateTime::from_timestamp(1_500_000_000 + i64::from(seconds), 0)
}

impl StreamPlan {
    /// The wire stream; tags with a name already used are skipped, and a
    /// name that does not fit beside the namespace is shortened to its
    /// first component (always valid).
    #[allow(clippy::too_many_lines)] // one pass over the plan, field by field
    pub(crate) fn render(&self) -> api::ImageStream {
        let name = if self.name.check_qualified(&self.namespace).is_ok() {
            self.name.clone()
        } else {
            // 1 to 63 bytes of namespace leave at least 191 for the name;
            // a name's first character is a valid name on its own.
            StreamName::parse(&self.name.as_str()[..1]).unwrap_or_else(|_| self.name.clone())
        };
        let mut w = api::ImageStream {
            api_version: api::API_VERSION.into(),
            kind: "ImageStream".into(),
            ..api::ImageStream::default()
        };
        w.metadata.name = name.to_string();
        w.metadata.namespace = self.namespace.to_string();
        w.metadata.generation = i64::from(self.generation);
        w.metadata.creation_timestamp = self.created.and_then(at);
        w.metadata.labels.clone_from(&self.labels);
        w.metadata.annotations.clone_from(&self.labels);
        w.spec.lookup_policy.local = self.lookup_local;
        let internal = format!("172.30.1.1:5000/{}/{name}", self.namespace);
        w.status.docker_image_repository.clone_from(&internal);
        let mut seen: Vec<&TagName> = Vec::new();
        for (i, t) in self.tags.iter().enumerate() {
            if seen.contains(&&t.name) {
                continue;
            }
            let earlier: Vec<&TagName> = seen.clone();
            seen.push(&t.name);
            let from = match &t.source {
                SourcePlan::StatusOnly => None,
                SourcePlan::Empty => Some(None),
                SourcePlan::External(r) => {
                    Some(Some(api::ObjectReference::new("DockerImage", r.clone())))
                }
                SourcePlan::Tracking(j) => Some(if earlier.is_empty() {
                    None
                } else {
                    let target = earlier[j % earlier.len()];
                    Some(api::ObjectReference::new("ImageStreamTag", target.as_str()))
                }),
                SourcePlan::OtherStreamTag {
                    namespace,
                    stream,
                    tag,
                } => {
                    let mut r =
                        api::ObjectReference::new("ImageStreamTag", format!("{stream}:{tag}"));
                    r.namespace = namespace
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    Some(Some(r))
                }
                SourcePlan::Image {
                    namespace,
                    stream,
                    digest,
                    prefix,
                } => {
                    let id = match prefix {
                        Some(n) => digest.hex()[..(*n).clamp(1, digest.hex().len())].to_owned(),
                        None => digest.to_string(),
                    };
                    let stream = stream.as_ref().unwrap_or(&name);
                    let mut r =
                        api::ObjectReference::new("ImageStreamImage", format!("{stream}@{id}"));
                    r.namespace = namespace
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    Some(Some(r))
                }
            };
            if let Some(from) = from {
                let external = from.as_ref().is_some_and(|f| f.kind == "DockerImage");
                let [reference, insecure, scheduled, local] = t.flags;
                let mut spec = api::TagReference {
                    name: t.name.to_string(),
                    from,
                    reference,
                    generation: t.generation.map(i64::from),
                    ..api::TagReference::default()
                };
                spec.import_policy.insecure = insecure;
                spec.import_policy.scheduled = scheduled && external;
                spec.import_policy.import_mode =
                    ["", "Legacy", "PreserveOriginal"][usize::from(t.import_mode % 3)].into();
                spec.reference_policy.type_ = if local { "Local" } else { "Source" }.into();
                w.spec.tags.push(spec);
            }
            if t.events.is_empty() && t.failure.is_none() {
                continue;
            }
            let items = t
                .events
                .iter()
                .enumerate()
                .rev()
                .map(|(e, (digest, generation))| api::TagEvent {
                    created: at(u32::try_from(i * 64 + e).unwrap_or(0)),
                    docker_image_reference: format!("{internal}@{digest}"),
                    image: digest.to_string(),
                    generation: i64::from(*generation),
                })
                .collect();
            let conditions = t
                .failure
                .map(|r| api::TagEventCondition {
                    type_: "ImportSuccess".into(),
                    status: "False".into(),
                    last_transition_time: at(7),
                    reason: REASONS[usize::from(r) % REASONS.len()].into(),
                    message: "import failed".into(),
                    generation: i64::from(self.generation),
                })
                .into_iter()
                .collect();
            w.status.tags.push(api::NamedTagEventList {
                tag: t.name.to_string(),
                items,
                conditions,
            });
        }
        // The domain keeps tags in name order; so does the wire it writes.
        w.spec.tags.sort_by(|a, b| a.name.cmp(&b.name));
        w.status.tags.sort_by(|a, b| a.tag.cmp(&b.tag));
        w
    }
}
