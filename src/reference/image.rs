//! OpenShift's `DockerImageReference` (library-go `pkg/image/reference`).

use std::fmt;
use std::hash::{Hash, Hasher};

use super::digest::{Digest, validate_openshift_digest};
use super::error::{ErrorKind, ReferenceError};
use super::grammar::{self, Dialect};
use super::names::{DEFAULT_TAG, Namespace, TagName};

/// Docker Hub's registry name, filled in by
/// [`ImageReference::docker_client_defaults`].
pub const DOCKER_DEFAULT_REGISTRY: &str = "docker.io";
/// The legacy (v1) Docker Hub host.
pub const DOCKER_DEFAULT_V1_REGISTRY: &str = "index.docker.io";
/// The Docker Hub v2 API host.
pub const DOCKER_DEFAULT_V2_REGISTRY: &str = "registry-1.docker.io";
/// The namespace of official Docker Hub images.
pub const DOCKER_DEFAULT_NAMESPACE: &str = "library";

/// library-go's 2017 fork counts the whole name, registry included.
const NAME_MAX: usize = 255;

/// Whether `registry` is one of Docker Hub's names (`docker.io`,
/// `index.docker.io`, `registry-1.docker.io`).
#[must_use]
pub fn is_registry_docker_hub(registry: &str) -> bool {
    matches!(
        registry,
        DOCKER_DEFAULT_REGISTRY | DOCKER_DEFAULT_V1_REGISTRY | DOCKER_DEFAULT_V2_REGISTRY
    )
}

#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct Span {
    start: u16,
    end: u16,
}

impl Span {
    fn new(start: usize, end: usize) -> Self {
        // Valid references are at most ~520 bytes (a 255-byte name, a
        // 128-byte tag and a 135-byte digest), and derived ones add at most
        // a few defaults, so offsets always fit in u16.
        let c = |x: usize| u16::try_from(x).unwrap_or(u16::MAX);
        Self {
            start: c(start),
            end: c(end),
        }
    }
    fn get(self, s: &str) -> &str {
        s.get(self.start as usize..self.end as usize).unwrap_or("")
    }
}

/// An image reference with OpenShift's semantics: library-go's
/// `DockerImageReference` with its `Registry`, `Namespace`, `Name`, `Tag`
/// and `ID` parts.
///
/// # Syntax
///
/// The distribution grammar without IPv6 hosts (library-go's fork):
/// `[registry "/"] [namespace "/"] name [":" tag] ["@" id]`. Then, in
/// library-go's order:
/// - a single component containing `.` or starting with `localhost` is a
///   **registry only** (`quay.io`, `localhost:5000`): its whole text is the
///   registry and any tag is ignored;
/// - otherwise a first component containing `:` or `.`, or equal to
///   `localhost`, is the registry;
/// - the namespace is what precedes the **first** `/` of the rest
///   (`bar/foo/baz` → namespace `bar`, name `foo/baz`);
/// - nothing is defaulted (`docker.io/myapp` has no namespace).
///
/// # Printing
///
/// `Display` is OpenShift's `String()`: [`exact`](Self::exact) plus the
/// namespace `library` on Docker Hub registries. A reference without a name
/// prints as the empty string, as in Go. [`as_str`](Self::as_str) is the
/// lossless form (every part, the tag even next to an id); serde uses it.
///
/// One quirk carries over from library-go: an uppercase first component
/// parses as a namespace (`Foo/bar`), since the grammar reads it as a
/// syntactic domain, but once a registry is in front of it
/// ([`docker_client_defaults`](Self::docker_client_defaults) gives
/// `docker.io/Foo/bar:latest`) it is a path component, and the result no
/// longer parses. Likewise `Display` adds `library/` on Docker Hub, which
/// can take a name near the limit past 255 bytes.
///
/// ```
/// use imagestream::reference::ImageReference;
///
/// let r = ImageReference::parse("docker.io/user/project/myapp:v1")?;
/// assert_eq!(r.registry(), Some("docker.io"));
/// assert_eq!(r.namespace(), Some("user"));
/// assert_eq!(r.name(), "project/myapp");
/// assert_eq!(r.tag(), Some("v1"));
/// assert_eq!(r.to_string(), "docker.io/user/project/myapp:v1");
///
/// let hub = ImageReference::parse("mysql")?.docker_client_defaults();
/// assert_eq!(hub.to_string(), "docker.io/library/mysql:latest");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ImageReference {
    /// For parsed references the input; for derived ones the parts joined
    /// the same way. Always begins with the lossless form.
    text: Box<str>,
    registry: Span,
    namespace: Span,
    name: Span,
    tag: Span,
    id: Span,
}

/// The five parts of a reference, borrowed.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
struct Parts<'a> {
    registry: &'a str,
    namespace: &'a str,
    name: &'a str,
    tag: &'a str,
    id: &'a str,
}

impl ImageReference {
    /// library-go `reference.Parse`.
    ///
    /// # Errors
    ///
    /// In Go's order of precedence:
    /// - `""` → `repository name must have at least one component`;
    /// - `Foo:Bar` → `repository name must be lowercase`;
    /// - `https://bar:5000/foo`, `bar/foo/baz////biz`, `:tag`, `[::1]/foo`
    ///   (no IPv6 here) → `invalid reference format`;
    /// - registry plus path over 255 bytes → `repository name must not be more than 255 characters`;
    /// - `abc@sha256:` + 32 hex → `invalid checksum digest length`;
    ///   `abc@md5:` + 32 hex → `unsupported digest algorithm`. Uppercase hex
    ///   is accepted, as library-go does.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        Self::scan(s).map(|spans| spans.with_text(s.into()))
    }

    /// Like [`parse`](Self::parse), but keeps `s`'s buffer instead of
    /// copying it (no allocation when `s` has no spare capacity). This is
    /// what `TryFrom<String>` does.
    pub fn parse_owned(s: String) -> Result<Self, ReferenceError> {
        Self::parse_owned_or_return(s).map_err(|(e, _)| e)
    }

    /// [`parse_owned`](Self::parse_owned) that hands the input back on
    /// failure, for callers that quote it in their own error.
    pub(crate) fn parse_owned_or_return(s: String) -> Result<Self, (ReferenceError, String)> {
        match Self::scan(&s) {
            Ok(spans) => Ok(spans.with_text(s.into_boxed_str())),
            Err(e) => Err((e, s)),
        }
    }

    /// The parse proper: where each part lies in `s`.
    fn scan(s: &str) -> Result<Self, ReferenceError> {
        if s.is_empty() {
            return Err(ReferenceError::new(ErrorKind::NameEmpty, 0));
        }
        let syn = grammar::scan(s.as_bytes(), Dialect::OpenShift)
            .map_err(|off| super::syntax_error(s, off, Dialect::OpenShift))?;
        if syn.name_end > NAME_MAX {
            return Err(ReferenceError::new(ErrorKind::NameTooLong, NAME_MAX));
        }
        let id = match syn.digest_start {
            Some(ds) => {
                validate_openshift_digest(&s[ds..]).map_err(|e| e.shifted(ds))?;
                Span::new(ds, s.len())
            }
            None => Span::default(),
        };
        let name = &s.as_bytes()[..syn.name_end];
        let slash = name.iter().position(|&b| b == b'/');
        let (registry, mut rest, tag) = match slash {
            None if name.contains(&b'.') || name.starts_with(b"localhost") => {
                // registry only: the whole reference, tag and digest included
                (Span::new(0, s.len()), Span::default(), Span::default())
            }
            Some(i)
                if name[..i].contains(&b':')
                    || name[..i].contains(&b'.')
                    || &name[..i] == b"localhost" =>
            {
                (
                    Span::new(0, i),
                    Span::new(i + 1, syn.name_end),
                    tag_span(&syn),
                )
            }
            _ => (Span::default(), Span::new(0, syn.name_end), tag_span(&syn)),
        };
        let mut namespace = Span::default();
        if let Some(j) = rest.get(s).find('/') {
            let j = rest.start as usize + j;
            namespace = Span::new(rest.start as usize, j);
            rest = Span::new(j + 1, rest.end as usize);
        }
        Ok(Self {
            text: Box::default(),
            registry,
            namespace,
            name: rest,
            tag,
            id,
        })
    }

    /// Attaches the text the spans were computed on.
    fn with_text(mut self, text: Box<str>) -> Self {
        self.text = text;
        self
    }

    fn parts(&self) -> Parts<'_> {
        Parts {
            registry: self.registry.get(&self.text),
            namespace: self.namespace.get(&self.text),
            name: self.name.get(&self.text),
            tag: self.tag.get(&self.text),
            id: self.id.get(&self.text),
        }
    }

    /// Builds a reference from parts taken from valid references (never
    /// from outside input): the text is the lossless form, then, for
    /// nameless references, whatever parts that form leaves out.
    fn from_parts(p: Parts<'_>) -> Self {
        let mut text = String::with_capacity(
            p.registry.len() + p.namespace.len() + p.name.len() + p.tag.len() + p.id.len() + 4,
        );
        let registry = push(&mut text, "", p.registry);
        let sep = if text.is_empty() { "" } else { "/" };
        let namespace = push(&mut text, sep, p.namespace);
        let sep = if text.is_empty() { "" } else { "/" };
        let name = push(&mut text, sep, p.name);
        let tag = push(&mut text, ":", p.tag);
        let id = match p.registry.find('@') {
            // a registry-only reference already holds its id
            Some(at) if p.name.is_empty() && &p.registry[at + 1..] == p.id => {
                Span::new(registry.start as usize + at + 1, registry.end as usize)
            }
            _ => push(&mut text, "@", p.id),
        };
        Self {
            text: text.into_boxed_str(),
            registry,
            namespace,
            name,
            tag,
            id,
        }
    }

    fn with<'s>(&'s self, f: impl FnOnce(&mut Parts<'s>)) -> Self {
        let mut p = self.parts();
        let before = p;
        f(&mut p);
        if p == before {
            self.clone()
        } else {
            Self::from_parts(p)
        }
    }

    /// The registry (`host[:port]`), if any. For a registry-only reference
    /// this is the whole input, as in library-go.
    #[must_use]
    pub fn registry(&self) -> Option<&str> {
        non_empty(self.registry.get(&self.text))
    }

    /// The namespace (the first path component when there are several).
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        non_empty(self.namespace.get(&self.text))
    }

    /// The name (the rest of the path); empty for registry-only references.
    #[must_use]
    pub fn name(&self) -> &str {
        self.name.get(&self.text)
    }

    /// The tag, if any.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        non_empty(self.tag.get(&self.text))
    }

    /// The id (the digest text after `@`), if any.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        non_empty(self.id.get(&self.text))
    }

    /// The id as a validated [`Digest`], if it is one under go-digest's
    /// rules. library-go also accepts uppercase hex ids; for those this is
    /// `None` while [`id`](Self::id) still returns the text.
    #[must_use]
    pub fn digest(&self) -> Option<Digest> {
        self.id().and_then(|id| Digest::parse(id).ok())
    }

    /// The lossless form: `[registry/][namespace/]name[:tag][@id]`, or the
    /// registry alone for a registry-only reference. Parsing it gives back
    /// an equal reference.
    #[must_use]
    pub fn as_str(&self) -> &str {
        if self.name.start == self.name.end {
            self.registry.get(&self.text)
        } else {
            &self.text[..self.id.end.max(self.tag.end).max(self.name.end) as usize]
        }
    }

    /// `NameString`: the name with `@id`, or else `:tag`; empty when there is
    /// no name.
    #[must_use]
    pub fn name_string(&self) -> String {
        let mut out = String::new();
        let p = self.parts();
        // Writing into a String cannot fail.
        let _ = write_name_string(&mut out, &p);
        out
    }

    /// `Exact`: `[registry/][namespace/]NameString`, nothing defaulted;
    /// empty when there is no name.
    #[must_use]
    pub fn exact(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        // Writing into a String cannot fail.
        let _ = write_exact(&mut out, &self.parts());
        out
    }

    /// With the namespace replaced (`None` drops it).
    ///
    /// ```
    /// use imagestream::reference::{ImageReference, Namespace};
    ///
    /// let r = ImageReference::parse("library/python:3.5")?;
    /// let ns = Namespace::parse("myproject")?;
    /// assert_eq!(r.with_namespace(Some(&ns)).exact(), "myproject/python:3.5");
    /// assert_eq!(r.with_namespace(None).exact(), "python:3.5");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_namespace(&self, namespace: Option<&Namespace>) -> Self {
        self.with(|p| p.namespace = namespace.map_or("", Namespace::as_str))
    }

    /// With the tag replaced (`None` drops it).
    #[must_use]
    pub fn with_tag(&self, tag: Option<&TagName>) -> Self {
        self.with(|p| p.tag = tag.map_or("", TagName::as_str))
    }

    /// With the id replaced by `digest` (`None` drops it).
    ///
    /// ```
    /// use imagestream::reference::{Digest, ImageReference};
    ///
    /// let d = Digest::of_sha256(b"image");
    /// let r = ImageReference::parse("python:3.5")?.with_tag(None).with_id(Some(&d));
    /// assert_eq!(r.exact(), format!("python@{d}"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_id(&self, digest: Option<&Digest>) -> Self {
        self.with(|p| p.id = digest.map_or("", Digest::as_str))
    }

    /// `MostSpecific`: with an id, the tag is dropped.
    #[must_use]
    pub fn most_specific(&self) -> Self {
        self.with(|p| {
            if !p.id.is_empty() {
                p.tag = "";
            }
        })
    }

    /// `Minimal`: drops the tag `latest`.
    #[must_use]
    pub fn minimal(&self) -> Self {
        self.with(|p| {
            if p.tag == DEFAULT_TAG {
                p.tag = "";
            }
        })
    }

    /// `DaemonMinimal`: what the Docker daemon would print: Docker Hub
    /// aliases become `docker.io`, the hub namespace `library` and the tag
    /// `latest` are dropped.
    #[must_use]
    pub fn daemon_minimal(&self) -> Self {
        self.with(|p| {
            if matches!(
                p.registry,
                DOCKER_DEFAULT_V1_REGISTRY | DOCKER_DEFAULT_V2_REGISTRY
            ) {
                p.registry = DOCKER_DEFAULT_REGISTRY;
            }
            if is_registry_docker_hub(p.registry) && p.namespace == DOCKER_DEFAULT_NAMESPACE {
                p.namespace = "";
            }
            if p.tag == DEFAULT_TAG {
                p.tag = "";
            }
        })
    }

    /// `DockerClientDefaults`: registry `docker.io`, namespace `library` on
    /// Docker Hub, tag `latest`, where missing.
    #[must_use]
    pub fn docker_client_defaults(&self) -> Self {
        self.with(|p| {
            if p.registry.is_empty() {
                p.registry = DOCKER_DEFAULT_REGISTRY;
            }
            if p.namespace.is_empty() && is_registry_docker_hub(p.registry) {
                p.namespace = DOCKER_DEFAULT_NAMESPACE;
            }
            if p.tag.is_empty() {
                p.tag = DEFAULT_TAG;
            }
        })
    }

    /// `AsV2`: `docker.io` and `index.docker.io` become
    /// `registry-1.docker.io`.
    #[must_use]
    pub fn as_v2(&self) -> Self {
        self.with(|p| {
            if matches!(
                p.registry,
                DOCKER_DEFAULT_REGISTRY | DOCKER_DEFAULT_V1_REGISTRY
            ) {
                p.registry = DOCKER_DEFAULT_V2_REGISTRY;
            }
        })
    }

    /// `AsRepository`: drops the tag and the id.
    #[must_use]
    pub fn as_repository(&self) -> Self {
        self.with(|p| {
            p.tag = "";
            p.id = "";
        })
    }

    /// `RepositoryName`: `[namespace/]name`, without registry, tag or id.
    #[must_use]
    pub fn repository_name(&self) -> String {
        let mut p = self.parts();
        p.registry = "";
        p.tag = "";
        p.id = "";
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = write_exact(&mut out, &p);
        out
    }

    /// `RegistryHostPort`: the host and port to contact, after
    /// [`as_v2`](Self::as_v2) and [`docker_client_defaults`](Self::docker_client_defaults);
    /// the port defaults to `443`, or `80` when `insecure`. Like Go's
    /// `net.SplitHostPort`, a registry with more than one `:` gives two
    /// empty strings.
    #[must_use]
    pub fn registry_host_port(&self, insecure: bool) -> (String, String) {
        let defaulted = self.as_v2().docker_client_defaults();
        let registry = defaulted.registry().unwrap_or_default();
        match registry.rsplit_once(':') {
            Some((host, _)) if host.contains(':') => (String::new(), String::new()),
            Some((host, port)) => (host.to_owned(), port.to_owned()),
            None => (
                registry.to_owned(),
                if insecure { "80" } else { "443" }.to_owned(),
            ),
        }
    }

    /// `RegistryURL`: `https://` plus the [`as_v2`](Self::as_v2) registry.
    #[must_use]
    pub fn registry_url(&self) -> String {
        match self.as_v2().registry() {
            Some(host) => format!("https://{host}"),
            None => "https:".to_owned(),
        }
    }

    /// Whether the registry is one of Docker Hub's names.
    #[must_use]
    pub fn is_docker_hub(&self) -> bool {
        is_registry_docker_hub(self.registry.get(&self.text))
    }

    /// OpenShift's `Equal`: equality after
    /// [`docker_client_defaults`](Self::docker_client_defaults) on both sides,
    /// so `mysql` is equivalent to `docker.io/library/mysql:latest`.
    /// (`==` compares the parts as they are.)
    #[must_use]
    pub fn equivalent(&self, other: &Self) -> bool {
        self.docker_client_defaults() == other.docker_client_defaults()
    }
}

/// Appends `sep` and `part` (nothing when `part` is empty); returns the
/// span of `part`.
fn push(text: &mut String, sep: &str, part: &str) -> Span {
    if part.is_empty() {
        return Span::new(text.len(), text.len());
    }
    text.push_str(sep);
    let start = text.len();
    text.push_str(part);
    Span::new(start, text.len())
}

fn tag_span(syn: &grammar::Syntax) -> Span {
    syn.tag.map_or_else(Span::default, |(a, b)| Span::new(a, b))
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn write_name_string<W: fmt::Write>(out: &mut W, p: &Parts<'_>) -> fmt::Result {
    if p.name.is_empty() {
        return Ok(());
    }
    out.write_str(p.name)?;
    if !p.id.is_empty() {
        // Every id comes from the digest grammar, so it is always a digest
        // under library-go's ParseDigest, hence "@" (never the v1 ":id").
        out.write_char('@')?;
        out.write_str(p.id)
    } else if !p.tag.is_empty() {
        out.write_char(':')?;
        out.write_str(p.tag)
    } else {
        Ok(())
    }
}

fn write_exact<W: fmt::Write>(out: &mut W, p: &Parts<'_>) -> fmt::Result {
    if p.name.is_empty() {
        return Ok(());
    }
    for part in [p.registry, p.namespace] {
        if !part.is_empty() {
            out.write_str(part)?;
            out.write_char('/')?;
        }
    }
    write_name_string(out, p)
}

impl PartialEq for ImageReference {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for ImageReference {}

impl Hash for ImageReference {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl PartialOrd for ImageReference {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ImageReference {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let (a, b) = (self.parts(), other.parts());
        (a.registry, a.namespace, a.name, a.tag, a.id).cmp(&(
            b.registry,
            b.namespace,
            b.name,
            b.tag,
            b.id,
        ))
    }
}

impl fmt::Display for ImageReference {
    /// OpenShift's `String()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut p = self.parts();
        if p.namespace.is_empty() && is_registry_docker_hub(p.registry) {
            p.namespace = DOCKER_DEFAULT_NAMESPACE;
        }
        if f.width().is_some() {
            let mut s = String::new();
            write_exact(&mut s, &p)?;
            f.pad(&s)
        } else {
            write_exact(f, &p)
        }
    }
}

impl fmt::Debug for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.parts();
        let mut d = f.debug_struct("ImageReference");
        for (k, v) in [
            ("registry", p.registry),
            ("namespace", p.namespace),
            ("name", p.name),
            ("tag", p.tag),
            ("id", p.id),
        ] {
            if !v.is_empty() {
                d.field(k, &v);
            }
        }
        d.finish()
    }
}

super::impl_str_conversions!(ImageReference, Self::parse_owned);
super::impl_serde_as_str!(ImageReference, "an image reference");

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "sha256:3c87c572822935df60f0f5d3665bd376841a7fcfeb806b5f212de6a00e9a7b25";

    #[test]
    fn registry_only_keeps_everything_in_the_registry() {
        let r = ImageReference::parse(&format!("quay.io@{ID}")).unwrap();
        assert_eq!(r.registry(), Some(format!("quay.io@{ID}").as_str()));
        assert_eq!(r.id(), Some(ID));
        assert_eq!(r.name(), "");
        assert_eq!(r.exact(), "");
        assert_eq!(r.as_str(), format!("quay.io@{ID}"));
        assert_eq!(ImageReference::parse(r.as_str()).unwrap(), r);
        let r = ImageReference::parse("localhost:5000").unwrap();
        assert_eq!(r.tag(), None);
        assert_eq!(r.registry(), Some("localhost:5000"));
    }

    #[test]
    fn derived_references_are_lossless() {
        let r = ImageReference::parse("mysql")
            .unwrap()
            .docker_client_defaults();
        assert_eq!(r.as_str(), "docker.io/library/mysql:latest");
        assert_eq!(ImageReference::parse(r.as_str()).unwrap(), r);
        let d = r.daemon_minimal();
        assert_eq!(d.as_str(), "docker.io/mysql");
        assert_eq!(d.to_string(), "docker.io/library/mysql");
    }

    #[test]
    fn host_port() {
        // Go applies AsV2 before the defaults, so a missing registry ends
        // as docker.io, while an explicit docker.io becomes the v2 host.
        let r = ImageReference::parse("foo").unwrap();
        assert_eq!(
            r.registry_host_port(false),
            ("docker.io".into(), "443".into())
        );
        let r = ImageReference::parse("docker.io/foo").unwrap();
        assert_eq!(
            r.registry_host_port(false),
            ("registry-1.docker.io".into(), "443".into())
        );
        assert_eq!(r.registry_host_port(true).1, "80");
        let r = ImageReference::parse("bar:5000/a").unwrap();
        assert_eq!(r.registry_host_port(false), ("bar".into(), "5000".into()));
        let r = ImageReference::parse(&format!("localhost:5000@{ID}")).unwrap();
        assert_eq!(r.registry_host_port(false), (String::new(), String::new()));
        assert_eq!(
            ImageReference::parse("quay.io/a").unwrap().registry_url(),
            "https://quay.io"
        );
    }
}
