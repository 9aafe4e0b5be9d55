//! OpenShift names: tags, image streams, namespaces, `stream:tag` and
//! `stream@id`.

use std::fmt;
use std::str::FromStr;

use super::error::{DNS1123_LABEL_MSG, ErrorKind, ReferenceError};
use super::grammar::{is_lower_alnum, is_word};

/// The tag used when a tag is empty or missing: OpenShift's
/// `DefaultImageTag` and library-go's `DockerDefaultTag`, which
/// [`ImageReference::docker_client_defaults`](super::ImageReference::docker_client_defaults)
/// fills in.
pub const DEFAULT_TAG: &str = "latest";

/// Implements the string conversions every name type shares.
macro_rules! string_newtype {
    ($ty:ident) => {
        impl $ty {
            /// The name as written.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $ty {
            fn borrow(&self) -> &str {
                self.as_str()
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($ty), "({:?})"), self.as_str())
            }
        }

        super::impl_str_conversions!($ty);
        super::impl_serde_as_str!($ty, concat!("a valid ", stringify!($ty)));
    };
}

/// A tag name such as `latest` or `3.6.0`.
///
/// # Syntax
///
/// `[\w][\w.-]{0,127}` with Go's ASCII `\w` (`[A-Za-z0-9_]`): 1 to 128
/// characters, the first one not `.` or `-`. This is the rule `oc tag`
/// and every registry enforce.
///
/// ```
/// use imagestream::reference::TagName;
///
/// let t: TagName = "3.6.0".parse()?;
/// assert_eq!(t, "3.6.0");
/// assert!(TagName::parse(".hidden").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TagName(Box<str>);

impl TagName {
    /// Parses a tag name.
    ///
    /// # Errors
    ///
    /// `""`, `.tag`, `-tag`, `a/b`, `tâg` and 129 characters all fail with
    /// `invalid tag "<tag>" format, tags must start with an alphanumeric
    /// character followed by alphanumeric, '.' or '-' characters, and have a
    /// maximum of 128 characters`; the offset points at the first bad byte.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        check_tag(s).map_err(|off| ReferenceError::with_subject(ErrorKind::InvalidTag, off, s))?;
        Ok(Self(s.into()))
    }

    /// The default tag, `latest`.
    #[must_use]
    pub fn latest() -> Self {
        Self(DEFAULT_TAG.into())
    }
}

string_newtype!(TagName);

fn check_tag(s: &str) -> Result<(), usize> {
    let b = s.as_bytes();
    match b.first() {
        Some(&c) if is_word(c) => {}
        _ => return Err(0),
    }
    if let Some(bad) = b
        .iter()
        .position(|&c| !(is_word(c) || c == b'.' || c == b'-'))
    {
        return Err(bad);
    }
    if b.len() > 128 {
        return Err(128);
    }
    Ok(())
}

/// The longest image stream name: `namespace/name` may not exceed 255
/// bytes and a namespace has at least one byte.
const STREAM_NAME_MAX: usize = 253;
const STREAM_NAME_PATTERN_MSG: &str = r#"must match "[a-z0-9]+(?:[._-][a-z0-9]+)*""#;
const QUALIFIED_TOO_LONG_MSG: &str = "'namespace/name' cannot be longer than 255 characters";

/// An image stream name such as `python` or `origin-ruby-sample`.
///
/// # Syntax
///
/// `[a-z0-9]+(?:[._-][a-z0-9]+)*`, after Kubernetes' path-segment rules
/// (not `.` or `..`, no `/` or `%`). There is no limit of its own beyond
/// `namespace/name` ≤ 255 bytes: see [`StreamName::check_qualified`]; a
/// name longer than 253 bytes can never fit and is refused here.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamName(Box<str>);

impl StreamName {
    /// Parses a stream name with OpenShift's `ValidateImageStreamName`.
    ///
    /// # Errors
    ///
    /// - `.` → `may not be '.'`, `..` → `may not be '..'`;
    /// - `a/b%c` → `may not contain '/', may not contain '%'` (every
    ///   path-segment violation, and only those, as Kubernetes reports);
    /// - `Foo`, `a__b`, `-a`, `""` → `must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"`;
    /// - 254 bytes or more → `'namespace/name' cannot be longer than 255 characters`.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        if let Some((off, msgs)) = stream_name_violations(s) {
            return Err(
                ReferenceError::with_subject(ErrorKind::InvalidStreamName, off, s)
                    .with_detail(msgs.join(", ")),
            );
        }
        if s.len() > STREAM_NAME_MAX {
            return Err(ReferenceError::with_subject(
                ErrorKind::InvalidStreamName,
                STREAM_NAME_MAX,
                s,
            )
            .with_detail(QUALIFIED_TOO_LONG_MSG.to_owned()));
        }
        Ok(Self(s.into()))
    }

    /// Checks OpenShift's `len(namespace + "/" + name) <= 255` rule.
    ///
    /// # Errors
    ///
    /// `'namespace/name' cannot be longer than 255 characters` (a 63-byte
    /// namespace allows names up to 191 bytes).
    pub fn check_qualified(&self, namespace: &Namespace) -> Result<(), ReferenceError> {
        let total = namespace.as_str().len() + 1 + self.0.len();
        if total > 255 {
            return Err(ReferenceError::with_subject(
                ErrorKind::InvalidStreamName,
                255 - namespace.as_str().len() - 1,
                &self.0,
            )
            .with_detail(QUALIFIED_TOO_LONG_MSG.to_owned()));
        }
        Ok(())
    }
}

string_newtype!(StreamName);

/// OpenShift's `ValidateImageStreamName` (without the qualified length):
/// the Kubernetes path-segment messages if any apply (and only those),
/// else the pattern message; with the offset of the first bad byte.
pub(crate) fn stream_name_violations(s: &str) -> Option<(usize, Vec<String>)> {
    if s == "." || s == ".." {
        return Some((0, vec![format!("may not be '{s}'")]));
    }
    let mut path_segment = Vec::new();
    let mut first_bad = usize::MAX;
    for bad in ['/', '%'] {
        if let Some(i) = s.find(bad) {
            path_segment.push(format!("may not contain '{bad}'"));
            first_bad = first_bad.min(i);
        }
    }
    if !path_segment.is_empty() {
        return Some((first_bad, path_segment));
    }
    check_stream_name(s)
        .err()
        .map(|off| (off, vec![STREAM_NAME_PATTERN_MSG.to_owned()]))
}

/// The Kubernetes DNS-1123 label messages for a namespace, if any apply.
pub(crate) fn namespace_violations(s: &str) -> Option<(usize, Vec<&'static str>)> {
    let too_long = s.len() > 63;
    let pattern = check_dns_label(s);
    if !too_long && pattern.is_ok() {
        return None;
    }
    let mut msgs = Vec::new();
    if too_long {
        msgs.push("must be no more than 63 characters");
    }
    if pattern.is_err() {
        msgs.push(DNS1123_LABEL_MSG);
    }
    Some((pattern.err().unwrap_or(63), msgs))
}

/// The message of `'namespace/name'` being longer than 255 bytes.
pub(crate) const QUALIFIED_TOO_LONG: &str = QUALIFIED_TOO_LONG_MSG;

/// `[a-z0-9]+(?:[._-][a-z0-9]+)*`; returns the offset of the first bad byte.
fn check_stream_name(s: &str) -> Result<(), usize> {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        if i >= b.len() || !is_lower_alnum(b[i]) {
            return Err(i);
        }
        while i < b.len() && is_lower_alnum(b[i]) {
            i += 1;
        }
        if i == b.len() {
            return Ok(());
        }
        if !matches!(b[i], b'.' | b'_' | b'-') {
            return Err(i);
        }
        i += 1;
    }
}

/// A Kubernetes namespace (project) such as `openshift` or `test`.
///
/// # Syntax
///
/// A DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 bytes.
/// This is the seed chapter's "maximum name length is 63 characters".
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace(Box<str>);

impl Namespace {
    /// Parses a namespace.
    ///
    /// # Errors
    ///
    /// - 64 bytes or more → `must be no more than 63 characters`;
    /// - `""`, `My-ns`, `-a`, `a-`, `a.b` → the Kubernetes DNS-1123 label
    ///   message `a lowercase RFC 1123 label must consist of …`.
    ///
    /// Both messages appear, joined by `; `, when both rules are broken.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        match namespace_violations(s) {
            None => Ok(Self(s.into())),
            Some((off, msgs)) => {
                Err(
                    ReferenceError::with_subject(ErrorKind::InvalidNamespace, off, s)
                        .with_detail(msgs.join("; ")),
                )
            }
        }
    }
}

string_newtype!(Namespace);

fn check_dns_label(s: &str) -> Result<(), usize> {
    let b = s.as_bytes();
    if b.is_empty() || !is_lower_alnum(b[0]) {
        return Err(0);
    }
    if let Some(bad) = b.iter().position(|&c| !(is_lower_alnum(c) || c == b'-')) {
        return Err(bad);
    }
    if b[b.len() - 1] == b'-' {
        return Err(b.len() - 1);
    }
    Ok(())
}

/// `SplitImageStreamTag`: splits at the first `:`; an empty or missing tag
/// is `latest`; the flag says whether a `:` was present.
///
/// ```
/// use imagestream::reference::split_image_stream_tag;
///
/// assert_eq!(split_image_stream_tag("foo"), ("foo", "latest", false));
/// assert_eq!(split_image_stream_tag("foo:"), ("foo", "latest", true));
/// assert_eq!(split_image_stream_tag("a:b:c"), ("a", "b:c", true));
/// ```
#[must_use]
pub fn split_image_stream_tag(s: &str) -> (&str, &str, bool) {
    match s.split_once(':') {
        Some((name, "")) => (name, DEFAULT_TAG, true),
        Some((name, tag)) => (name, tag, true),
        None => (s, DEFAULT_TAG, false),
    }
}

/// `JoinImageStreamTag` (library-go `pkg/image/imageutil/helpers.go`):
/// `name:tag`, where an empty tag is `latest`. Nothing is checked, as in Go;
/// for checked names use [`IsTagName::join`].
///
/// ```
/// use imagestream::reference::join_image_stream_tag;
///
/// assert_eq!(join_image_stream_tag("python", "3.6"), "python:3.6");
/// assert_eq!(join_image_stream_tag("python", ""), "python:latest");
/// ```
#[must_use]
pub fn join_image_stream_tag(name: &str, tag: &str) -> String {
    let tag = if tag.is_empty() { DEFAULT_TAG } else { tag };
    let mut out = String::with_capacity(name.len() + 1 + tag.len());
    out.push_str(name);
    out.push(':');
    out.push_str(tag);
    out
}

/// An image stream tag name, `stream:tag` (an `istag`).
///
/// ```
/// use imagestream::reference::IsTagName;
///
/// let t: IsTagName = "python:3.6".parse()?;
/// assert_eq!((t.name(), t.tag()), ("python", "3.6"));
/// assert_eq!(IsTagName::parse("python").unwrap_err().to_string(),
///            r#"expected exactly one : delimiter in the istag "python""#);
/// assert_eq!(IsTagName::parse_lenient("python")?.to_string(), "python:latest");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IsTagName {
    stream: StreamName,
    tag: TagName,
}

impl IsTagName {
    /// Strict parsing (`ParseImageStreamTagName`), then the stream and tag
    /// rules.
    ///
    /// # Errors
    ///
    /// - `a@b` → `"a@b" is an image stream image, not an image stream tag`;
    /// - `a`, `a:b:c` → `expected exactly one : delimiter in the istag "a"`;
    /// - `:b`, `a:` → `image stream tag name ":b" must have a name and a tag`;
    /// - then the errors of [`StreamName::parse`] and [`TagName::parse`].
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        if let Some(at) = s.find('@') {
            return Err(ReferenceError::with_subject(ErrorKind::IsTagIsImage, at, s));
        }
        let mut parts = s.splitn(3, ':');
        let (Some(name), Some(tag), None) = (parts.next(), parts.next(), parts.next()) else {
            let off = s.match_indices(':').nth(1).map_or(s.len(), |(i, _)| i);
            return Err(ReferenceError::with_subject(
                ErrorKind::IsTagDelimiter,
                off,
                s,
            ));
        };
        if name.is_empty() || tag.is_empty() {
            let off = if name.is_empty() { 0 } else { s.len() };
            return Err(ReferenceError::with_subject(
                ErrorKind::IsTagEmptyPart,
                off,
                s,
            ));
        }
        Self::from_split(name, tag)
    }

    /// Lenient parsing (`SplitImageStreamTag`): a missing or empty tag is
    /// `latest`.
    ///
    /// # Errors
    ///
    /// Those of [`StreamName::parse`] and [`TagName::parse`] (so `a:b:c`
    /// fails on the tag `b:c`).
    pub fn parse_lenient(s: &str) -> Result<Self, ReferenceError> {
        let (name, tag, _) = split_image_stream_tag(s);
        Self::from_split(name, tag)
    }

    /// Parsing of an `oc tag` destination or an `ImageStreamTag` create:
    /// the `:` is required, an empty tag is `latest`.
    ///
    /// # Errors
    ///
    /// `python` → `"python" must be of the form <stream_name>:<tag>`, then
    /// those of [`parse_lenient`](Self::parse_lenient).
    pub fn parse_destination(s: &str) -> Result<Self, ReferenceError> {
        let (name, tag, colon) = split_image_stream_tag(s);
        if !colon {
            return Err(ReferenceError::with_subject(
                ErrorKind::IsTagForm,
                s.len(),
                s,
            ));
        }
        Self::from_split(name, tag)
    }

    fn from_split(name: &str, tag: &str) -> Result<Self, ReferenceError> {
        let stream = StreamName::parse(name)?;
        let tag = TagName::parse(tag).map_err(|e| e.shifted(name.len() + 1))?;
        Ok(Self { stream, tag })
    }

    /// Joins a stream and a tag (`JoinImageStreamTag`).
    #[must_use]
    pub fn new(stream: StreamName, tag: TagName) -> Self {
        Self { stream, tag }
    }

    /// `JoinImageStreamTag` on names: no tag is `latest`.
    ///
    /// ```
    /// use imagestream::reference::{IsTagName, StreamName, TagName};
    ///
    /// let python = StreamName::parse("python")?;
    /// assert_eq!(IsTagName::join(python.clone(), None).to_string(), "python:latest");
    /// assert_eq!(IsTagName::join(python, Some(TagName::parse("3.6")?)).to_string(), "python:3.6");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn join(stream: StreamName, tag: Option<TagName>) -> Self {
        Self {
            stream,
            tag: tag.unwrap_or_else(TagName::latest),
        }
    }

    /// The stream name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.stream.as_str()
    }

    /// The tag.
    #[must_use]
    pub fn tag(&self) -> &str {
        self.tag.as_str()
    }

    /// The stream name, typed.
    #[must_use]
    pub fn stream_name(&self) -> &StreamName {
        &self.stream
    }

    /// The tag, typed.
    #[must_use]
    pub fn tag_name(&self) -> &TagName {
        &self.tag
    }
}

/// An image stream image name, `stream@id` (an `isimage`), where the id is
/// a digest or a prefix of one (`sha256:3c87…` or `3c87c5…`).
///
/// ```
/// use imagestream::reference::IsImageName;
///
/// let i: IsImageName = "python@sha256:3c87c5".parse()?;
/// assert_eq!((i.name(), i.id()), ("python", "sha256:3c87c5"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IsImageName {
    stream: StreamName,
    id: Box<str>,
}

impl IsImageName {
    /// Strict parsing (`ParseImageStreamImageName`), then the stream rules
    /// and the id's character set.
    ///
    /// # Errors
    ///
    /// - `a`, `a@b@c` → `expected exactly one @ in the isimage name "a"`;
    /// - `@b`, `a@` → `image stream image name "@b" must have a name and ID`;
    /// - then the errors of [`StreamName::parse`], and an id with a byte
    ///   outside `[A-Za-z0-9+._:=-]`.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        let mut parts = s.splitn(3, '@');
        let (Some(name), Some(id), None) = (parts.next(), parts.next(), parts.next()) else {
            let off = s.match_indices('@').nth(1).map_or(s.len(), |(i, _)| i);
            return Err(ReferenceError::with_subject(
                ErrorKind::IsImageDelimiter,
                off,
                s,
            ));
        };
        if name.is_empty() || id.is_empty() {
            let off = if name.is_empty() { 0 } else { s.len() };
            return Err(ReferenceError::with_subject(
                ErrorKind::IsImageEmptyPart,
                off,
                s,
            ));
        }
        let stream = StreamName::parse(name)?;
        if let Some(bad) = id.bytes().position(|c| {
            !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'_' | b':' | b'=' | b'-'))
        }) {
            return Err(ReferenceError::with_subject(
                ErrorKind::InvalidImageId,
                name.len() + 1 + bad,
                id,
            ));
        }
        Ok(Self {
            stream,
            id: id.into(),
        })
    }

    /// The stream name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.stream.as_str()
    }

    /// The image id or id prefix.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The stream name, typed.
    #[must_use]
    pub fn stream_name(&self) -> &StreamName {
        &self.stream
    }
}

macro_rules! pair_conversions {
    ($ty:ident, $sep:literal, $first:ident, $second:ident) => {
        impl FromStr for $ty {
            type Err = ReferenceError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = ReferenceError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = ReferenceError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl $ty {
            /// The joined form, as `Display` writes it.
            #[must_use]
            pub fn as_string(&self) -> String {
                format!(concat!("{}", $sep, "{}"), self.$first(), self.$second())
            }
        }

        impl From<$ty> for String {
            fn from(v: $ty) -> Self {
                v.as_string()
            }
        }

        impl PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                other
                    .split_once($sep)
                    .is_some_and(|(a, b)| a == self.$first() && b == self.$second())
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                *self == **other
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if f.width().is_some() {
                    f.pad(&self.as_string())
                } else {
                    write!(f, concat!("{}", $sep, "{}"), self.$first(), self.$second())
                }
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    concat!(stringify!($ty), "({}", $sep, "{})"),
                    self.$first(),
                    self.$second()
                )
            }
        }

        super::impl_serde_as_str!($ty, concat!("a valid ", stringify!($ty)), as_string);
    };
}

pair_conversions!(IsTagName, ":", name, tag);
pair_conversions!(IsImageName, "@", name, id);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_rules() {
        assert!(Namespace::parse(&"a".repeat(63)).is_ok());
        let e = Namespace::parse(&"a".repeat(64)).unwrap_err();
        assert_eq!(e.to_string(), "must be no more than 63 characters");
        let e = Namespace::parse("My-ns").unwrap_err();
        assert_eq!(e.to_string(), DNS1123_LABEL_MSG);
        assert_eq!(e.offset(), 0);
        assert!(Namespace::parse("a-").is_err());
    }

    #[test]
    fn qualified_length() {
        let ns = Namespace::parse(&"a".repeat(63)).unwrap();
        assert!(
            StreamName::parse(&"b".repeat(191))
                .unwrap()
                .check_qualified(&ns)
                .is_ok()
        );
        let e = StreamName::parse(&"b".repeat(192))
            .unwrap()
            .check_qualified(&ns)
            .unwrap_err();
        assert_eq!(e.to_string(), QUALIFIED_TOO_LONG_MSG);
    }

    #[test]
    fn stream_name_path_segment_rules_come_first() {
        assert_eq!(
            StreamName::parse("..").unwrap_err().to_string(),
            "may not be '..'"
        );
        assert_eq!(
            StreamName::parse("A/b%").unwrap_err().to_string(),
            "may not contain '/', may not contain '%'"
        );
        assert_eq!(
            StreamName::parse("a__b").unwrap_err().to_string(),
            STREAM_NAME_PATTERN_MSG
        );
    }
}
