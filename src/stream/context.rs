//! What a spec change needs from outside the stream ([`SpecContext`]):
//! the time, the integrated registry's host, a [`StreamLookup`] for other
//! streams and the user's [`SourceAccess`] to them.

use chrono::{DateTime, Utc};

use crate::reference::{Namespace, StreamName};

use super::ImageStream;

/// Finds other streams, for spec tags whose source is a tag or image of
/// another stream. Implemented for closures.
pub trait StreamLookup {
    /// The stream `namespace/name`, if it exists.
    fn stream(&self, namespace: &Namespace, name: &StreamName) -> Option<ImageStream>;
}

impl<F: Fn(&Namespace, &StreamName) -> Option<ImageStream>> StreamLookup for F {
    fn stream(&self, namespace: &Namespace, name: &StreamName) -> Option<ImageStream> {
        self(namespace, name)
    }
}

/// A lookup that knows no other stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLookup;

impl StreamLookup for NoLookup {
    fn stream(&self, _: &Namespace, _: &StreamName) -> Option<ImageStream> {
        None
    }
}

/// Why the user making a spec change may not pull from another
/// namespace's stream: the access review's reason and evaluation error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PullDenied {
    /// Why (the review's `reason`).
    pub reason: String,
    /// What went wrong evaluating the rules (`evaluationError`), if anything.
    pub evaluation_error: String,
}

impl PullDenied {
    /// A denial for `reason`, without an evaluation error.
    #[must_use]
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            evaluation_error: String::new(),
        }
    }
}

/// Whether the user making a spec change may pull from a stream in another
/// namespace: OpenShift's `TagVerifier` asks for `get imagestreams/layers`
/// on it before a new or changed tag may take it as a source. The service
/// asks its [`Authorizer`](crate::ports::Authorizer); a closure works too.
///
/// ```
/// use imagestream::chrono::Utc;
/// use imagestream::reference::{Namespace, StreamName, TagName};
/// use imagestream::stream::{ImageStream, PullDenied, SpecContext, SpecTag, TagSource};
///
/// let mut is = ImageStream::new(Namespace::parse("mine")?, StreamName::parse("app")?)?;
/// let deny = |ns: &Namespace, _: &StreamName| Err(PullDenied::new(format!("not in {ns}")));
/// let ctx = SpecContext::new(Utc::now()).with_access(&deny);
/// let from = SpecTag::new(TagSource::ImageStreamTag {
///     namespace: Some(Namespace::parse("shared")?),
///     stream: Some(StreamName::parse("base")?),
///     tag: TagName::parse("latest")?,
/// });
/// let err = is.set_spec_tag(TagName::parse("base")?, from, &ctx).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"spec.tags[base].from: Forbidden: shared/base: "not in shared" """#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait SourceAccess {
    /// `Ok` when the user may pull from `namespace/stream`.
    ///
    /// # Errors
    ///
    /// The denial, which the spec change reports as a `Forbidden` field
    /// error.
    fn may_pull(&self, namespace: &Namespace, stream: &StreamName) -> Result<(), PullDenied>;
}

impl<F: Fn(&Namespace, &StreamName) -> Result<(), PullDenied>> SourceAccess for F {
    fn may_pull(&self, namespace: &Namespace, stream: &StreamName) -> Result<(), PullDenied> {
        self(namespace, stream)
    }
}

/// Access for a caller that has already authorized everything: every
/// cross-namespace source is allowed.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnySource;

impl SourceAccess for AnySource {
    fn may_pull(&self, _: &Namespace, _: &StreamName) -> Result<(), PullDenied> {
        Ok(())
    }
}

/// What a spec change needs from outside: the time, the integrated
/// registry's host (for the pull-through rewrite of §9.3 step 8), a way
/// to read other streams, and whether the user may pull from them.
#[derive(Clone, Copy)]
pub struct SpecContext<'a> {
    /// Now: the `created` of events written.
    pub now: DateTime<Utc>,
    /// The integrated registry's `host[:port]`, if there is one.
    pub internal_registry: Option<&'a str>,
    /// Other streams.
    pub lookup: &'a dyn StreamLookup,
    /// Whether the user may pull from other namespaces' streams.
    pub access: &'a dyn SourceAccess,
}

impl std::fmt::Debug for SpecContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpecContext")
            .field("now", &self.now)
            .field("internal_registry", &self.internal_registry)
            .finish_non_exhaustive()
    }
}

impl<'a> SpecContext<'a> {
    /// A context at `now`, with no integrated registry, no other streams
    /// and every source allowed ([`AnySource`]).
    #[must_use]
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now,
            internal_registry: None,
            lookup: &NoLookup,
            access: &AnySource,
        }
    }

    /// With the integrated registry's host.
    #[must_use]
    pub fn with_internal_registry(mut self, host: &'a str) -> Self {
        self.internal_registry = Some(host);
        self
    }

    /// With a way to read other streams.
    #[must_use]
    pub fn with_lookup(mut self, lookup: &'a dyn StreamLookup) -> Self {
        self.lookup = lookup;
        self
    }

    /// With the user's access to other namespaces' streams.
    #[must_use]
    pub fn with_access(mut self, access: &'a dyn SourceAccess) -> Self {
        self.access = access;
        self
    }
}
