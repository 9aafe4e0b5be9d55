//! distribution/reference semantics: strict and normalized parsing.

use std::fmt;

use super::digest::{Digest, validate_go_digest};
use super::error::{ErrorKind, ReferenceError};
use super::grammar::{self, Dialect, first_cased, is_lower_hex};

/// Docker Hub's canonical domain.
const DEFAULT_DOMAIN: &str = "docker.io";
/// The legacy Docker Hub domain that normalization rewrites to `docker.io`.
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// The namespace of Docker Hub's official images.
const OFFICIAL_REPO_PREFIX: &str = "library/";
/// distribution/reference's `RepositoryNameTotalLengthMax`.
const NAME_MAX: usize = 255;

/// A container image reference with the semantics of
/// `github.com/distribution/reference` (what `docker`, containerd and
/// most registries use).
///
/// # Syntax
///
/// ```text
/// reference := name [ ":" tag ] [ "@" digest ]
/// name      := [ domain "/" ] path
/// ```
///
/// See the [module documentation](crate::reference) for the full grammar.
///
/// Two entry points:
/// - [`parse`](Self::parse) is distribution's strict `Parse`: the domain is
///   purely syntactic (in `foo/bar`, `foo` *is* the domain), nothing is
///   defaulted, and only the path counts toward the 255-byte limit.
/// - [`parse_normalized`](Self::parse_normalized) is
///   `ParseNormalizedNamed`: `ubuntu` becomes `docker.io/library/ubuntu`,
///   `index.docker.io` becomes `docker.io`, a first component is a domain
///   only if it has a `.` or `:`, is `localhost`, or has an uppercase letter.
///
/// The value is one canonical string plus offsets; accessors slice it, and
/// `Display` writes it as is.
///
/// ```
/// use imagestream::reference::DockerReference;
///
/// let r = DockerReference::parse_normalized("ubuntu:22.04")?;
/// assert_eq!(r.to_string(), "docker.io/library/ubuntu:22.04");
/// assert_eq!(r.domain(), Some("docker.io"));
/// assert_eq!(r.path(), "library/ubuntu");
/// assert_eq!(r.familiar(), "ubuntu:22.04");
///
/// let strict = DockerReference::parse("foo/bar")?;
/// assert_eq!(strict.domain(), Some("foo")); // syntactic domain
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DockerReference {
    text: Box<str>,
    /// End of the domain; 0 when there is none (a domain is never empty).
    domain_end: u32,
    name_end: u32,
    /// End of the tag; equal to `name_end` when there is none.
    tag_end: u32,
    digest: Option<Digest>,
}

/// The result of [`parse_any`]: a bare digest or a named reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AnyReference {
    /// A digest-only reference (a 64-hex id becomes `sha256:<id>`).
    Digest(Digest),
    /// A normalized named reference.
    Named(DockerReference),
}

impl fmt::Display for AnyReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Digest(d) => fmt::Display::fmt(d, f),
            Self::Named(n) => fmt::Display::fmt(n, f),
        }
    }
}

/// Scans with the distribution grammar and applies `Parse`'s post-checks
/// (path length, then go-digest), in Go's order.
fn check_strict(s: &str) -> Result<(grammar::Syntax, Option<Digest>), ReferenceError> {
    if s.is_empty() {
        return Err(ReferenceError::new(ErrorKind::NameEmpty, 0));
    }
    if u32::try_from(s.len()).is_err() {
        return Err(ReferenceError::new(
            ErrorKind::InvalidFormat,
            u32::MAX as usize,
        ));
    }
    let syn = grammar::scan(s.as_bytes(), Dialect::Distribution)
        .map_err(|off| super::syntax_error(s, off, Dialect::Distribution))?;
    let path_start = syn.path_start();
    if syn.name_end - path_start > NAME_MAX {
        return Err(ReferenceError::new(
            ErrorKind::NameTooLong,
            path_start + NAME_MAX,
        ));
    }
    let digest = match syn.digest_start {
        Some(ds) => {
            let text = &s[ds..];
            let alg = validate_go_digest(text).map_err(|e| e.shifted(ds))?;
            Some(Digest::from_valid(alg, text))
        }
        None => None,
    };
    Ok((syn, digest))
}

impl DockerReference {
    /// distribution/reference `Parse`: strict, nothing defaulted.
    ///
    /// # Errors
    ///
    /// In Go's order of precedence:
    /// - `""` → `repository name must have at least one component`;
    /// - `Foo` → `repository name must be lowercase` (the input would match
    ///   once lowercased with Go's Unicode rules, so `\u{212A}ubuntu` too);
    /// - `a//b`, `foo:`, `http://x/y`, `[::1]` → `invalid reference format`;
    /// - a path of 256 bytes → `repository name must not be more than 255 characters`;
    /// - `foo@sha256:abc…` (32+ hex, wrong length) → `invalid checksum digest length`,
    ///   `foo@md5:…` → `unsupported digest algorithm`.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        let (syn, digest) = check_strict(s)?;
        Ok(Self::from_syntax(s.into(), syn, digest))
    }

    /// distribution/reference `ParseNormalizedNamed`.
    ///
    /// # Errors
    ///
    /// Every error of [`parse`](Self::parse) (offsets refer to `s`), plus:
    /// - a bare 64-hex string → `invalid repository name (<s>), cannot specify 64-byte hexadecimal strings`;
    /// - `Foo`, `foo/Bar` → `invalid reference format: repository name (library/Foo) must be lowercase`
    ///   (the quoted name is the remote up to the first `:`);
    /// - `""` → `invalid reference format` (it becomes `docker.io/library/`).
    pub fn parse_normalized(s: &str) -> Result<Self, ReferenceError> {
        if s.len() == 64 && s.bytes().all(is_lower_hex) {
            return Err(ReferenceError::with_subject(
                ErrorKind::IdentifierNotAllowed,
                0,
                s,
            ));
        }
        // splitDockerDomain
        let (mut domain, remainder, rem_offset) = match s.find('/') {
            Some(i)
                if {
                    let p = &s[..i];
                    p.contains(['.', ':']) || p == "localhost" || first_cased(p).is_some()
                } =>
            {
                (&s[..i], &s[i + 1..], i + 1)
            }
            _ => (DEFAULT_DOMAIN, s, 0),
        };
        if domain == LEGACY_DEFAULT_DOMAIN {
            domain = DEFAULT_DOMAIN;
        }
        let library = domain == DEFAULT_DOMAIN && !remainder.contains('/');
        let remote = &remainder[..remainder.find(':').unwrap_or(remainder.len())];
        if let Some(off) = first_cased(remote) {
            let quoted = if library {
                format!("{OFFICIAL_REPO_PREFIX}{remote}")
            } else {
                remote.to_owned()
            };
            return Err(ReferenceError::with_subject(
                ErrorKind::RemoteNameUppercase,
                rem_offset + off,
                &quoted,
            ));
        }
        let prefix = if library { OFFICIAL_REPO_PREFIX } else { "" };
        let mut text = String::with_capacity(domain.len() + 1 + prefix.len() + remainder.len());
        text.push_str(domain);
        text.push('/');
        text.push_str(prefix);
        text.push_str(remainder);
        let prefix_len = text.len() - remainder.len();
        match check_strict(&text) {
            Ok((syn, digest)) => Ok(Self::from_syntax(text.into_boxed_str(), syn, digest)),
            Err(e) => {
                // Point into the caller's input, not our rebuilt string.
                let offset = rem_offset + e.offset().saturating_sub(prefix_len);
                Err(e.relocated(offset))
            }
        }
    }

    fn from_syntax(text: Box<str>, syn: grammar::Syntax, digest: Option<Digest>) -> Self {
        // check_strict refused inputs longer than u32::MAX, so every offset fits.
        let to_u32 = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        Self {
            domain_end: to_u32(syn.domain_end.unwrap_or(0)),
            name_end: to_u32(syn.name_end),
            tag_end: to_u32(syn.tag.map_or(syn.name_end, |(_, e)| e)),
            digest,
            text,
        }
    }

    /// The domain (`host[:port]`), if the reference has one.
    #[must_use]
    pub fn domain(&self) -> Option<&str> {
        (self.domain_end > 0).then(|| &self.text[..self.domain_end as usize])
    }

    /// The path (remote name) after the domain.
    #[must_use]
    pub fn path(&self) -> &str {
        let start = if self.domain_end > 0 {
            self.domain_end as usize + 1
        } else {
            0
        };
        &self.text[start..self.name_end as usize]
    }

    /// The full name: `[domain/]path`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.text[..self.name_end as usize]
    }

    /// The tag, if any.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        (self.tag_end > self.name_end)
            .then(|| &self.text[self.name_end as usize + 1..self.tag_end as usize])
    }

    /// The digest, if any.
    #[must_use]
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The canonical string, as `Display` writes it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `FamiliarName`: the name as a user types it (`docker.io` dropped,
    /// and `library/` dropped for single-component official images).
    #[must_use]
    pub fn familiar_name(&self) -> &str {
        &self.text[self.familiar_start()..self.name_end as usize]
    }

    /// `FamiliarString`: the familiar name with the tag and digest.
    #[must_use]
    pub fn familiar(&self) -> String {
        self.text[self.familiar_start()..].to_owned()
    }

    fn familiar_start(&self) -> usize {
        if self.domain() != Some(DEFAULT_DOMAIN) {
            return 0;
        }
        let path_start = self.domain_end as usize + 1;
        let path = self.path();
        match path.strip_prefix(OFFICIAL_REPO_PREFIX) {
            Some(rest) if !rest.contains('/') => path_start + OFFICIAL_REPO_PREFIX.len(),
            _ => path_start,
        }
    }

    /// `TrimNamed`: the name without tag and digest.
    #[must_use]
    pub fn trim_named(&self) -> Self {
        Self {
            text: self.name().into(),
            domain_end: self.domain_end,
            name_end: self.name_end,
            tag_end: self.name_end,
            digest: None,
        }
    }

    /// `TagNameOnly`: adds the tag `latest` when there is neither a tag nor a
    /// digest.
    #[must_use]
    pub fn tag_name_only(&self) -> Self {
        if self.tag().is_some() || self.digest.is_some() {
            return self.clone();
        }
        let mut text = String::with_capacity(self.text.len() + 7);
        text.push_str(&self.text);
        text.push_str(":latest");
        Self {
            text: text.into_boxed_str(),
            tag_end: self.name_end + 7,
            ..self.clone()
        }
    }

    /// The same name with only the digest (drops the tag).
    fn digested_only(&self) -> Self {
        let mut text = String::with_capacity(self.text.len());
        text.push_str(self.name());
        text.push_str(&self.text[self.tag_end as usize..]);
        Self {
            text: text.into_boxed_str(),
            tag_end: self.name_end,
            ..self.clone()
        }
    }
}

/// `ParseDockerRef`: normalizes; a reference with a digest loses its tag,
/// one without either gets `latest`.
///
/// ```
/// use imagestream::reference::parse_docker_ref;
///
/// assert_eq!(parse_docker_ref("busybox")?.to_string(), "docker.io/library/busybox:latest");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// Those of [`DockerReference::parse_normalized`].
pub fn parse_docker_ref(s: &str) -> Result<DockerReference, ReferenceError> {
    let named = DockerReference::parse_normalized(s)?;
    Ok(if named.digest.is_some() {
        named.digested_only()
    } else {
        named.tag_name_only()
    })
}

/// `ParseAnyReference`: a 64-hex id becomes the digest `sha256:<id>`, a
/// valid digest stays a digest, anything else is parsed normalized.
///
/// ```
/// use imagestream::reference::{parse_any, AnyReference};
///
/// assert!(matches!(parse_any(&"a".repeat(64))?, AnyReference::Digest(_)));
/// assert!(matches!(parse_any("redis")?, AnyReference::Named(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// Those of [`DockerReference::parse_normalized`].
pub fn parse_any(s: &str) -> Result<AnyReference, ReferenceError> {
    if s.len() == 64 && s.bytes().all(is_lower_hex) {
        let mut text = String::with_capacity(71);
        text.push_str("sha256:");
        text.push_str(s);
        return Digest::parse(&text).map(AnyReference::Digest);
    }
    if let Ok(d) = Digest::parse(s) {
        return Ok(AnyReference::Digest(d));
    }
    DockerReference::parse_normalized(s).map(AnyReference::Named)
}

/// `ParseNamed`: normalized parsing that also requires the input to be
/// canonical already (`docker.io/library/foo`, not `foo`).
///
/// # Errors
///
/// Those of [`DockerReference::parse_normalized`], and
/// `repository name must be canonical` when normalizing changed the input.
pub fn parse_named(s: &str) -> Result<DockerReference, ReferenceError> {
    let named = DockerReference::parse_normalized(s)?;
    if named.as_str() != s {
        return Err(ReferenceError::new(ErrorKind::NameNotCanonical, 0));
    }
    Ok(named)
}

impl fmt::Display for DockerReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.text)
    }
}

impl fmt::Debug for DockerReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DockerReference({})", self.text)
    }
}

super::impl_str_conversions!(DockerReference);
super::impl_serde_as_str!(DockerReference, "a container image reference");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_offsets_point_into_the_input() {
        let e = DockerReference::parse_normalized("foo//bar").unwrap_err();
        assert_eq!(e.to_string(), "invalid reference format");
        assert_eq!(e.offset(), 4);
        let e = DockerReference::parse_normalized("example.com/a//b").unwrap_err();
        assert_eq!(e.offset(), 14);
    }

    #[test]
    fn trim_and_tag_only() {
        let r = DockerReference::parse_normalized("busybox:1@sha256:".to_owned().as_str());
        assert!(r.is_err());
        let r = DockerReference::parse_normalized("busybox").unwrap();
        assert_eq!(
            r.tag_name_only().to_string(),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(r.tag_name_only().tag(), Some("latest"));
        let t = DockerReference::parse("a.io/x:1").unwrap();
        assert_eq!(t.trim_named().to_string(), "a.io/x");
        assert_eq!(t.trim_named().tag(), None);
    }
}
