//! Access control, as a port, with an in-memory RBAC default.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Mutex, PoisonError};

use crate::reference::Namespace;

/// An API verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Verb {
    /// Read one object.
    Get,
    /// Read many.
    List,
    /// Follow changes.
    Watch,
    /// Create.
    Create,
    /// Change.
    Update,
    /// Remove.
    Delete,
}

impl Verb {
    /// Every verb.
    pub const ALL: [Verb; 6] = [
        Self::Get,
        Self::List,
        Self::Watch,
        Self::Create,
        Self::Update,
        Self::Delete,
    ];

    /// The verb as Kubernetes writes it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::List => "list",
            Self::Watch => "watch",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// An image API resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Resource {
    /// `imagestreams`
    ImageStreams,
    /// `imagestreams/layers`: pulling (get) and pushing (update) blobs.
    ImageStreamLayers,
    /// `imagestreams/status`: writing a stream's status (histories and
    /// conditions) directly, as OpenShift's status strategy guards it.
    ImageStreamStatus,
    /// `imagestreamtags`
    ImageStreamTags,
    /// `imagestreamimages`
    ImageStreamImages,
    /// `imagestreammappings`
    ImageStreamMappings,
    /// `imagestreamimports`
    ImageStreamImports,
    /// `images` (cluster-scoped)
    Images,
}

impl Resource {
    /// Every resource.
    pub const ALL: [Resource; 8] = [
        Self::ImageStreams,
        Self::ImageStreamLayers,
        Self::ImageStreamStatus,
        Self::ImageStreamTags,
        Self::ImageStreamImages,
        Self::ImageStreamMappings,
        Self::ImageStreamImports,
        Self::Images,
    ];

    /// The resource as Kubernetes writes it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ImageStreams => "imagestreams",
            Self::ImageStreamLayers => "imagestreams/layers",
            Self::ImageStreamStatus => "imagestreams/status",
            Self::ImageStreamTags => "imagestreamtags",
            Self::ImageStreamImages => "imagestreamimages",
            Self::ImageStreamMappings => "imagestreammappings",
            Self::ImageStreamImports => "imagestreamimports",
            Self::Images => "images",
        }
    }

    /// Whether the resource is cluster-scoped.
    #[must_use]
    pub fn cluster_scoped(self) -> bool {
        self == Self::Images
    }
}

/// Who is asking: a user and their groups.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject {
    user: String,
    groups: Vec<String>,
}

impl Subject {
    /// A user with no groups.
    #[must_use]
    pub fn user(name: impl Into<String>) -> Self {
        Self {
            user: name.into(),
            groups: Vec::new(),
        }
    }

    /// With a group.
    #[must_use]
    pub fn in_group(mut self, group: impl Into<String>) -> Self {
        self.groups.push(group.into());
        self
    }

    /// The cluster administrator (`system:admin`), which the default
    /// [`Rbac`] binds to `cluster-admin`.
    #[must_use]
    pub fn system_admin() -> Self {
        Self::user("system:admin")
    }

    /// The user name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.user
    }

    /// The groups.
    #[must_use]
    pub fn groups(&self) -> &[String] {
        &self.groups
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.user)
    }
}

/// What an [`Authorizer`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Allowed.
    Allow,
    /// Denied, with why.
    Deny(String),
}

/// One authorization question: who wants to do what to which object, as
/// Kubernetes' `authorizer.Attributes`.
///
/// `namespace` is `None` for cluster-scoped resources (whatever was given)
/// and for cluster-wide requests; `name` is `None` for lists and creates
/// (Kubernetes asks about a create before the object has a name).
///
/// ```
/// use imagestream::ports::{Attributes, Authorizer, Decision, Rbac, Resource, Subject, Verb};
/// use imagestream::reference::Namespace;
///
/// let rbac = Rbac::new();
/// let ns = Namespace::parse("test")?;
/// let alice = Subject::user("alice");
/// rbac.bind("alice", "view", &ns);
/// let read = Attributes::new(&alice, Verb::Get, Resource::ImageStreams).in_namespace(&ns).named("app");
/// assert_eq!(rbac.check(&read), Decision::Allow);
/// let write = Attributes::new(&alice, Verb::Update, Resource::ImageStreams).in_namespace(&ns);
/// assert!(matches!(rbac.check(&write), Decision::Deny(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attributes<'a> {
    subject: &'a Subject,
    verb: Verb,
    resource: Resource,
    namespace: Option<&'a Namespace>,
    name: Option<&'a str>,
}

impl<'a> Attributes<'a> {
    /// `subject` wants to `verb` some `resource`, cluster-wide and unnamed
    /// until [`in_namespace`](Self::in_namespace) and
    /// [`named`](Self::named) say otherwise.
    #[must_use]
    pub fn new(subject: &'a Subject, verb: Verb, resource: Resource) -> Self {
        Self {
            subject,
            verb,
            resource,
            namespace: None,
            name: None,
        }
    }

    /// In `namespace` (ignored for cluster-scoped resources).
    #[must_use]
    pub fn in_namespace(mut self, namespace: &'a Namespace) -> Self {
        if !self.resource.cluster_scoped() {
            self.namespace = Some(namespace);
        }
        self
    }

    /// On the object `name` (ignored for creates, which Kubernetes
    /// authorizes before the object exists, so a denial never names it).
    #[must_use]
    pub fn named(mut self, name: &'a str) -> Self {
        if self.verb != Verb::Create {
            self.name = Some(name);
        }
        self
    }

    /// Who asks.
    #[must_use]
    pub fn subject(&self) -> &'a Subject {
        self.subject
    }

    /// The verb.
    #[must_use]
    pub fn verb(&self) -> Verb {
        self.verb
    }

    /// The resource.
    #[must_use]
    pub fn resource(&self) -> Resource {
        self.resource
    }

    /// The namespace; `None` when cluster-scoped or cluster-wide.
    #[must_use]
    pub fn namespace(&self) -> Option<&'a Namespace> {
        self.namespace
    }

    /// The object's name, if one is named.
    #[must_use]
    pub fn name(&self) -> Option<&'a str> {
        self.name
    }

    /// The denial of this request, for `reason`.
    #[must_use]
    pub fn deny(&self, reason: impl Into<String>) -> Forbidden {
        Forbidden {
            subject: self.subject.name().to_owned(),
            verb: self.verb,
            resource: self.resource,
            namespace: self.namespace.cloned(),
            name: self.name.map(str::to_owned),
            reason: reason.into(),
        }
    }
}

/// Decides whether a request ([`Attributes`]) is allowed.
pub trait Authorizer: Send + Sync {
    /// The decision.
    fn check(&self, attributes: &Attributes<'_>) -> Decision;
}

/// A denial, as the service reports it: Kubernetes' message, which names
/// the object except for creates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{} is forbidden: User \"{subject}\" cannot {} resource \"{}\" in API group \"image.openshift.io\" {}",
    .resource.as_str().split('/').next().unwrap_or_default(),
    .name.as_ref().map_or_else(|| ".image.openshift.io".to_owned(), |n| format!(".image.openshift.io \"{n}\"")),
    .verb.as_str(),
    .resource.as_str(),
    .namespace.as_ref().map_or_else(|| "at the cluster scope".to_owned(), |n| format!("in the namespace \"{n}\"")))]
#[non_exhaustive]
pub struct Forbidden {
    /// Who asked.
    pub subject: String,
    /// The verb.
    pub verb: Verb,
    /// The resource.
    pub resource: Resource,
    /// The namespace, if namespaced.
    pub namespace: Option<Namespace>,
    /// The object's name, if one was named (never for creates).
    pub name: Option<String>,
    /// The authorizer's reason.
    pub reason: String,
}

type Rules = BTreeSet<(Verb, Resource)>;

/// (subject, namespace or `None` for cluster-wide) -> role names.
type Bindings = BTreeMap<(String, Option<Namespace>), BTreeSet<String>>;

fn rules(verbs: &[Verb], resources: &[Resource]) -> Rules {
    verbs
        .iter()
        .flat_map(|v| resources.iter().map(move |r| (*v, *r)))
        .collect()
}

const READ: [Verb; 3] = [Verb::Get, Verb::List, Verb::Watch];
const WRITE: [Verb; 3] = [Verb::Create, Verb::Update, Verb::Delete];
const NAMESPACED: [Resource; 4] = [
    Resource::ImageStreams,
    Resource::ImageStreamTags,
    Resource::ImageStreamImages,
    Resource::ImageStreamMappings,
];

/// Role-based access control in memory: roles (sets of verb × resource)
/// bound to users or groups in a namespace or cluster-wide.
///
/// Built-in roles: `view` (read streams, tags, images of streams,
/// mappings), `edit` and `admin` (that plus writes, imports, layer pull and
/// push), `system:image-puller` (get `imagestreams/layers`),
/// `system:image-pusher` (get and update `imagestreams/layers`),
/// `system:image-pruner` (read streams, `update imagestreams/status`,
/// read and delete images: what pruning needs, as OpenShift's role),
/// `cluster-reader` (read everything, images included) and
/// `cluster-admin` (everything; bound to `system:admin`).
///
/// No namespaced role writes `imagestreams/status`: `edit` and `admin`
/// change status only through the operations that compute it (mappings,
/// imports, tags, rollbacks), as in OpenShift.
///
/// A namespaced binding grants its role in that namespace only, and never
/// on cluster-scoped `images`: a `view` user reads the images tagged in
/// their namespace through `imagestreamtags` and `imagestreamimages`.
#[derive(Debug)]
pub struct Rbac {
    roles: BTreeMap<String, Rules>,
    /// (subject, namespace or None for cluster-wide) -> roles
    bindings: Mutex<Bindings>,
}

impl Default for Rbac {
    fn default() -> Self {
        Self::new()
    }
}

impl Rbac {
    /// The built-in roles; `system:admin` is `cluster-admin`.
    #[must_use]
    pub fn new() -> Self {
        let view = rules(&READ, &NAMESPACED);
        let mut edit = view.clone();
        edit.extend(rules(
            &WRITE,
            &[
                Resource::ImageStreams,
                Resource::ImageStreamTags,
                Resource::ImageStreamMappings,
            ],
        ));
        edit.extend(rules(&[Verb::Create], &[Resource::ImageStreamImports]));
        edit.extend(rules(
            &[Verb::Get, Verb::Update],
            &[Resource::ImageStreamLayers],
        ));
        let admin = edit.clone();
        let mut roles = BTreeMap::new();
        roles.insert("view".to_owned(), view);
        roles.insert("edit".to_owned(), edit);
        roles.insert("admin".to_owned(), admin);
        roles.insert(
            "system:image-puller".to_owned(),
            rules(&[Verb::Get], &[Resource::ImageStreamLayers]),
        );
        roles.insert(
            "system:image-pusher".to_owned(),
            rules(&[Verb::Get, Verb::Update], &[Resource::ImageStreamLayers]),
        );
        let mut pruner = rules(&READ, &[Resource::ImageStreams, Resource::Images]);
        pruner.extend(rules(&[Verb::Update], &[Resource::ImageStreamStatus]));
        pruner.extend(rules(&[Verb::Delete], &[Resource::Images]));
        roles.insert("system:image-pruner".to_owned(), pruner);
        roles.insert("cluster-reader".to_owned(), rules(&READ, &Resource::ALL));
        roles.insert(
            "cluster-admin".to_owned(),
            rules(&Verb::ALL, &Resource::ALL),
        );
        let rbac = Self {
            roles,
            bindings: Mutex::new(BTreeMap::new()),
        };
        rbac.bind_cluster("system:admin", "cluster-admin");
        rbac
    }

    /// The names of the roles.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.roles.keys().map(String::as_str)
    }

    /// Adds (or replaces) a role.
    pub fn define_role(
        &mut self,
        name: impl Into<String>,
        grants: impl IntoIterator<Item = (Verb, Resource)>,
    ) {
        self.roles.insert(name.into(), grants.into_iter().collect());
    }

    /// Binds `role` to `subject` (a user or group name) in `namespace`.
    pub fn bind(&self, subject: &str, role: &str, namespace: &Namespace) {
        self.bindings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((subject.to_owned(), Some(namespace.clone())))
            .or_default()
            .insert(role.to_owned());
    }

    /// Binds `role` to `subject` cluster-wide.
    pub fn bind_cluster(&self, subject: &str, role: &str) {
        self.bindings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((subject.to_owned(), None))
            .or_default()
            .insert(role.to_owned());
    }

    fn grants(&self, who: &str, scope: Option<&Namespace>, verb: Verb, resource: Resource) -> bool {
        let bindings = self.bindings.lock().unwrap_or_else(PoisonError::into_inner);
        bindings
            .get(&(who.to_owned(), scope.cloned()))
            .is_some_and(|roles| {
                roles.iter().any(|r| {
                    self.roles
                        .get(r)
                        .is_some_and(|rules| rules.contains(&(verb, resource)))
                })
            })
    }
}

impl Authorizer for Rbac {
    fn check(&self, attributes: &Attributes<'_>) -> Decision {
        let subject = attributes.subject();
        let (verb, resource) = (attributes.verb(), attributes.resource());
        let names =
            std::iter::once(subject.name()).chain(subject.groups().iter().map(String::as_str));
        for who in names {
            // Cluster-wide bindings apply everywhere; namespaced ones only in
            // their namespace, and never to cluster-scoped resources.
            if self.grants(who, None, verb, resource)
                || (!resource.cluster_scoped()
                    && attributes
                        .namespace()
                        .is_some_and(|ns| self.grants(who, Some(ns), verb, resource)))
            {
                return Decision::Allow;
            }
        }
        Decision::Deny(format!(
            "no role bound to {subject} grants {} on {}",
            verb.as_str(),
            resource.as_str()
        ))
    }
}

/// Allows everything: for embedders that authorize elsewhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn check(&self, _: &Attributes<'_>) -> Decision {
        Decision::Allow
    }
}
