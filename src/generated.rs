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

/// The operators a policy comparator may carry.
#[cfg(feature = "policy")]
pub(crate) const POLICY_OPS: [&str; 7] = [">=", "<", "=", ">", "<=", "~", "^"];

/// The pre-releases a policy comparator may name.
#[cfg(feature = "policy")]
pub(crate) const PRERELEASES: [&str; 4] = ["rc.1", "alpha", "beta.2", "0"];

/// One semver comparator of a policy, in the forms Flux and Argo CD write.
#[cfg(feature = "policy")]
#[derive(Debug, Clone)]
pub(crate) enum ComparatorPlan {
    /// A bare version (`M`, `M.m` or `M.m.p`: `numbers` holds 1 to 3).
    Bare(Vec<u8>),
    /// An operator (index into [`POLICY_OPS`]) and a version.
    Op(usize, Vec<u8>),
    /// `>=M.m.p-<pre>` (index into [`PRERELEASES`]).
    Pre([u8; 3], usize),
    /// `*`, `M.x` or `M.m.x` (the numbers before the wildcard).
    Wildcard(Vec<u8>),
}

#[cfg(feature = "policy")]
impl ComparatorPlan {
    fn render(&self) -> String {
        let dotted = |n: &[u8]| {
            n.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(".")
        };
        match self {
            Self::Bare(v) => dotted(v),
            Self::Op(op, v) => format!("{}{}", POLICY_OPS[op % POLICY_OPS.len()], dotted(v)),
            Self::Pre(v, pre) => {
                format!(">={}-{}", dotted(v), PRERELEASES[pre % PRERELEASES.len()])
            }
            Self::Wildcard(v) if v.is_empty() => "*".to_owned(),
            Self::Wildcard(v) => format!("{}.x", dotted(v)),
        }
    }
}

/// A policy's order line.
#[cfg(feature = "policy")]
#[derive(Debug, Clone)]
pub(crate) enum OrderPlan {
    Newest,
    /// Alternatives of comparators (each non-empty).
    Semver(Vec<Vec<ComparatorPlan>>),
    /// `true` for `asc`.
    Numerical(bool),
    /// `true` for `asc`.
    Alphabetical(bool),
}

/// The filter patterns a policy may have, by kind, around a literal
/// (`[a-z0-9][a-z0-9-]*`), each with the groups an `extract` may name.
#[cfg(feature = "policy")]
pub(crate) fn policy_pattern(kind: u8, literal: &str) -> (String, &'static [&'static str]) {
    match kind {
        0 => (format!("^{literal}"), &[]),
        1 => (format!("{literal}$"), &[]),
        2 => (r"^v?[0-9]+\.[0-9]+\.[0-9]+$".to_owned(), &[]),
        3 => (r"^([0-9]+)$".to_owned(), &["$1"]),
        4 => (
            r"^main-(?P<sha>[a-f0-9]+)-(?P<ts>[0-9]+)$".to_owned(),
            &["$ts", "${ts}", "$sha", "$2", "${ts}-$sha"],
        ),
        _ => (
            format!("^{literal}-(?P<version>.*)$"),
            &["$version", "${version}", "$1"],
        ),
    }
}

/// The kinds [`policy_pattern`] knows.
#[cfg(feature = "policy")]
pub(crate) const POLICY_PATTERN_KINDS: u8 = 6;

/// A tag policy to render as its canonical text (settings in the parser's
/// order, one per line).
#[cfg(feature = "policy")]
#[derive(Debug, Clone)]
pub(crate) struct PolicyPlan {
    pub(crate) order: OrderPlan,
    /// Only rendered with a semver order.
    pub(crate) prerelease: bool,
    /// Kind, literal, and which of its groups to extract (modulo their
    /// number; none when the pattern has no group).
    pub(crate) pattern: Option<(u8, String, Option<usize>)>,
    /// Literals; each renders as `exclude -<literal>$`.
    pub(crate) excludes: Vec<String>,
    pub(crate) signatures: bool,
    /// OS, architecture and variant, each `[a-z0-9][a-z0-9_.-]*`.
    pub(crate) platform: Option<(String, String, Option<String>)>,
    pub(crate) stream: bool,
}

#[cfg(feature = "policy")]
impl PolicyPlan {
    /// The canonical policy text.
    pub(crate) fn render(&self) -> String {
        let dir = |asc: bool| if asc { "asc" } else { "desc" };
        let mut lines = vec![match &self.order {
            OrderPlan::Newest => "newest".to_owned(),
            OrderPlan::Semver(alternatives) => {
                let alternatives: Vec<String> = alternatives
                    .iter()
                    .map(|a| {
                        a.iter()
                            .map(ComparatorPlan::render)
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect();
                format!("semver {}", alternatives.join(" || "))
            }
            OrderPlan::Numerical(asc) => format!("numerical {}", dir(*asc)),
            OrderPlan::Alphabetical(asc) => format!("alphabetical {}", dir(*asc)),
        }];
        if self.prerelease && matches!(self.order, OrderPlan::Semver(_)) {
            lines.push("prerelease".to_owned());
        }
        if let Some((kind, literal, extract)) = &self.pattern {
            let (pattern, groups) = policy_pattern(*kind, literal);
            lines.push(format!("pattern {pattern}"));
            if let Some(pick) = extract
                && !groups.is_empty()
            {
                lines.push(format!("extract {}", groups[pick % groups.len()]));
            }
        }
        lines.extend(self.excludes.iter().map(|e| format!("exclude -{e}$")));
        if self.signatures {
            lines.push("signatures".to_owned());
        }
        if let Some((os, arch, variant)) = &self.platform {
            lines.push(match variant {
                Some(v) => format!("platform {os}/{arch}/{v}"),
                None => format!("platform {os}/{arch}"),
            });
        }
        if self.stream {
            lines.push("candidates stream".to_owned());
        }
        lines.join("\n")
    }
}
