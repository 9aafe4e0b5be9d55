//! The error type of the `reference` module.

use std::fmt;

/// What rule a reference, digest or name broke.
///
/// The variants mirror Go's sentinel errors (distribution/reference,
/// go-digest, library-go and `oc`); [`ReferenceError`]'s `Display` prints
/// Go's exact message for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input does not match the reference grammar
    /// (`invalid reference format`).
    InvalidFormat,
    /// The input would match the grammar once lowercased
    /// (`repository name must be lowercase`).
    NameContainsUppercase,
    /// The input is empty
    /// (`repository name must have at least one component`).
    NameEmpty,
    /// The repository name is longer than 255 bytes
    /// (`repository name must not be more than 255 characters`).
    NameTooLong,
    /// `parse_named` got a name that is not in canonical form
    /// (`repository name must be canonical`).
    NameNotCanonical,
    /// Normalized parsing refused a bare 64-hex identifier
    /// (`invalid repository name (…), cannot specify 64-byte hexadecimal strings`).
    IdentifierNotAllowed,
    /// Normalized parsing found uppercase in the remote name
    /// (`invalid reference format: repository name (…) must be lowercase`).
    RemoteNameUppercase,
    /// A digest is not `algorithm:encoded` (`invalid checksum digest format`).
    DigestInvalidFormat,
    /// A digest's encoded part has the wrong length for its algorithm
    /// (`invalid checksum digest length`).
    DigestInvalidLength,
    /// A digest names an algorithm that is not available
    /// (`unsupported digest algorithm`).
    DigestUnsupported,
    /// A tag name breaks `[\w][\w.-]{0,127}` (the `oc tag` message).
    InvalidTag,
    /// An image stream name breaks the path-segment rules or
    /// `[a-z0-9]+(?:[._-][a-z0-9]+)*`.
    InvalidStreamName,
    /// A namespace is not a DNS-1123 label.
    InvalidNamespace,
    /// An `istag` name contains `@`
    /// (`"…" is an image stream image, not an image stream tag`).
    IsTagIsImage,
    /// An `istag` name does not have exactly one `:`.
    IsTagDelimiter,
    /// An `istag` name has an empty stream or tag.
    IsTagEmptyPart,
    /// A lenient `istag` split found no `:` at all
    /// (`"…" must be of the form <stream_name>:<tag>`).
    IsTagForm,
    /// An `isimage` name does not have exactly one `@`.
    IsImageDelimiter,
    /// An `isimage` name has an empty stream or id.
    IsImageEmptyPart,
    /// An image id (a digest or a digest prefix) holds a character outside
    /// `[A-Za-z0-9+._:=-]`.
    InvalidImageId,
}

/// The error of every parser in [`crate::reference`].
///
/// `Display` prints exactly the message Go prints for the same input (so
/// logs and user-facing output match OpenShift's); [`kind`](Self::kind)
/// says which rule was broken and [`offset`](Self::offset) points at the
/// byte of the input where parsing went wrong.
///
/// ```
/// use imagestream::reference::{ErrorKind, ImageReference};
///
/// let err = ImageReference::parse("registry.io/foo/bar/:tag").unwrap_err();
/// assert_eq!(err.to_string(), "invalid reference format");
/// assert_eq!(err.kind(), ErrorKind::InvalidFormat);
/// assert_eq!(err.offset(), 20); // the empty path component after the last '/'
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReferenceError {
    kind: ErrorKind,
    offset: usize,
    /// The value quoted by the messages that quote one.
    subject: Option<Box<str>>,
    /// Extra detail for the name messages that list several violations.
    detail: Option<Box<str>>,
}

impl ReferenceError {
    pub(crate) fn new(kind: ErrorKind, offset: usize) -> Self {
        Self {
            kind,
            offset,
            subject: None,
            detail: None,
        }
    }

    pub(crate) fn with_subject(kind: ErrorKind, offset: usize, subject: &str) -> Self {
        Self {
            kind,
            offset,
            subject: Some(subject.into()),
            detail: None,
        }
    }

    pub(crate) fn with_detail(mut self, detail: String) -> Self {
        self.detail = Some(detail.into_boxed_str());
        self
    }

    pub(crate) fn relocated(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    pub(crate) fn shifted(mut self, by: usize) -> Self {
        self.offset += by;
        self
    }

    /// Which rule the input broke.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Byte offset into the input where parsing failed (the input's length
    /// when it ended too early).
    #[must_use]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The value the message quotes, if the message quotes one.
    #[must_use]
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }
}

/// The k8s DNS-1123 label message, verbatim (including its double space).
pub(crate) const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subject = self.subject.as_deref().unwrap_or("");
        match self.kind {
            ErrorKind::InvalidFormat => f.write_str("invalid reference format"),
            ErrorKind::NameContainsUppercase => f.write_str("repository name must be lowercase"),
            ErrorKind::NameEmpty => f.write_str("repository name must have at least one component"),
            ErrorKind::NameTooLong => {
                f.write_str("repository name must not be more than 255 characters")
            }
            ErrorKind::NameNotCanonical => f.write_str("repository name must be canonical"),
            ErrorKind::IdentifierNotAllowed => write!(
                f,
                "invalid repository name ({subject}), cannot specify 64-byte hexadecimal strings"
            ),
            ErrorKind::RemoteNameUppercase => write!(
                f,
                "invalid reference format: repository name ({subject}) must be lowercase"
            ),
            ErrorKind::DigestInvalidFormat => f.write_str("invalid checksum digest format"),
            ErrorKind::DigestInvalidLength => f.write_str("invalid checksum digest length"),
            ErrorKind::DigestUnsupported => f.write_str("unsupported digest algorithm"),
            ErrorKind::InvalidTag => write!(
                f,
                "invalid tag {} format, tags must start with an alphanumeric character followed by alphanumeric, '.' or '-' characters, and have a maximum of 128 characters",
                GoQuoted(subject)
            ),
            ErrorKind::InvalidStreamName | ErrorKind::InvalidNamespace => {
                f.write_str(self.detail.as_deref().unwrap_or(DNS1123_LABEL_MSG))
            }
            ErrorKind::IsTagIsImage => write!(
                f,
                "{} is an image stream image, not an image stream tag",
                GoQuoted(subject)
            ),
            ErrorKind::IsTagDelimiter => write!(
                f,
                "expected exactly one : delimiter in the istag {}",
                GoQuoted(subject)
            ),
            ErrorKind::IsTagEmptyPart => write!(
                f,
                "image stream tag name {} must have a name and a tag",
                GoQuoted(subject)
            ),
            ErrorKind::IsTagForm => write!(
                f,
                "{} must be of the form <stream_name>:<tag>",
                GoQuoted(subject)
            ),
            ErrorKind::IsImageDelimiter => write!(
                f,
                "expected exactly one @ in the isimage name {}",
                GoQuoted(subject)
            ),
            ErrorKind::IsImageEmptyPart => write!(
                f,
                "image stream image name {} must have a name and ID",
                GoQuoted(subject)
            ),
            ErrorKind::InvalidImageId => write!(
                f,
                "invalid image id {}: must be a digest or a digest prefix ([A-Za-z0-9+._:=-])",
                GoQuoted(subject)
            ),
        }
    }
}

impl std::error::Error for ReferenceError {}

/// Writes a string the way Go's `%q` (`strconv.Quote`) does.
pub(crate) struct GoQuoted<'a>(pub(crate) &'a str);

impl fmt::Display for GoQuoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\u{7}' => f.write_str("\\a")?,
                '\u{8}' => f.write_str("\\b")?,
                '\u{c}' => f.write_str("\\f")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '\u{b}' => f.write_str("\\v")?,
                c if (c as u32) < 0x20 || c == '\u{7f}' => write!(f, "\\x{:02x}", c as u32)?,
                c if c.is_control() || is_go_unprintable(c) => {
                    if (c as u32) < 0x10000 {
                        write!(f, "\\u{:04x}", c as u32)?;
                    } else {
                        write!(f, "\\U{:08x}", c as u32)?;
                    }
                }
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

/// Characters Go's `strconv.IsPrint` rejects beyond the control characters:
/// the format and separator characters most likely to appear in names.
fn is_go_unprintable(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
        || (c.is_whitespace() && c != ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_quote_escapes_like_strconv_quote() {
        assert_eq!(GoQuoted("a\"b\\c").to_string(), r#""a\"b\\c""#);
        assert_eq!(GoQuoted("t\tn\n\u{1}").to_string(), r#""t\tn\n\x01""#);
        assert_eq!(GoQuoted("héllo").to_string(), "\"héllo\"");
        assert_eq!(GoQuoted("\u{200b}").to_string(), r#""\u200b""#);
    }

    #[test]
    fn messages_quote_the_subject() {
        let e = ReferenceError::with_subject(ErrorKind::IsTagDelimiter, 0, "a:b:c");
        assert_eq!(
            e.to_string(),
            r#"expected exactly one : delimiter in the istag "a:b:c""#
        );
        let e = ReferenceError::with_subject(ErrorKind::RemoteNameUppercase, 0, "library/Foo");
        assert_eq!(
            e.to_string(),
            "invalid reference format: repository name (library/Foo) must be lowercase"
        );
    }
}
