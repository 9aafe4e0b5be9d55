//! Near misses: inputs one edit away from a valid value, labelled with the
//! rule the edit breaks.

use std::fmt;

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::{Mode, any_digest, digest, namespace, reference_string, stream_name, tag_name};
use crate::reference::{
    Algorithm, Digest, DockerReference, ErrorKind, ImageReference, IsImageName, IsTagName,
    Namespace, ReferenceError, StreamName, TagName,
};

/// The parser a [`NearMiss`] is meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Target {
    /// [`Digest::parse`].
    Digest,
    /// [`TagName::parse`].
    TagName,
    /// [`StreamName::parse`].
    StreamName,
    /// [`Namespace::parse`].
    Namespace,
    /// [`IsTagName::parse`].
    IsTagName,
    /// [`IsImageName::parse`].
    IsImageName,
    /// A reference in a [`Mode`]: [`ImageReference::parse`],
    /// [`DockerReference::parse`] or [`DockerReference::parse_normalized`].
    Reference(Mode),
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 9] = [
        Target::Digest,
        Target::TagName,
        Target::StreamName,
        Target::Namespace,
        Target::IsTagName,
        Target::IsImageName,
        Target::Reference(Mode::OpenShift),
        Target::Reference(Mode::Strict),
        Target::Reference(Mode::Normalized),
    ];

    /// Runs the target's parser on `input`: the error, or `None` when it
    /// parses.
    #[must_use]
    pub fn parse_error(self, input: &str) -> Option<ReferenceError> {
        match self {
            Self::Digest => Digest::parse(input).err(),
            Self::TagName => TagName::parse(input).err(),
            Self::StreamName => StreamName::parse(input).err(),
            Self::Namespace => Namespace::parse(input).err(),
            Self::IsTagName => IsTagName::parse(input).err(),
            Self::IsImageName => IsImageName::parse(input).err(),
            Self::Reference(Mode::OpenShift) => ImageReference::parse(input).err(),
            Self::Reference(Mode::Strict) => DockerReference::parse(input).err(),
            Self::Reference(Mode::Normalized) => DockerReference::parse_normalized(input).err(),
        }
    }
}

/// An input one edit away from a valid value of its [`target`](Self::target),
/// which refuses it for [`rule`](Self::rule).
///
/// ```
/// use imagestream::strategy::near_miss;
/// use proptest::prelude::*;
///
/// proptest!(|(miss in near_miss())| {
///     let err = miss.target.parse_error(&miss.input).expect("a near miss is refused");
///     prop_assert_eq!(err.kind(), miss.rule, "{}", miss);
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NearMiss {
    /// The parser meant to refuse it.
    pub target: Target,
    /// The invalid input.
    pub input: String,
    /// The rule it breaks, as the parser reports it.
    pub rule: ErrorKind,
    /// The edit made, in words (`"a '/' inserted"`): a label for test
    /// output and for coverage counts.
    pub edit: &'static str,
}

impl fmt::Display for NearMiss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} for {:?}: {} (breaks {:?})",
            self.input, self.target, self.edit, self.rule
        )
    }
}

fn miss(target: Target, input: String, rule: ErrorKind, edit: &'static str) -> NearMiss {
    NearMiss {
        target,
        input,
        rule,
        edit,
    }
}

/// Inserts `c` at the char boundary nearest `at` (modulo the length + 1).
fn insert(s: &str, at: usize, c: char) -> String {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    let mut out = s.to_owned();
    out.insert(i, c);
    out
}

/// Near misses of every target.
pub fn near_miss() -> BoxedStrategy<NearMiss> {
    prop::sample::select(Target::ALL.to_vec())
        .prop_flat_map(near_miss_for)
        .boxed()
}

/// Near misses of one target.
pub fn near_miss_for(target: Target) -> BoxedStrategy<NearMiss> {
    match target {
        Target::Digest => digests(),
        Target::TagName => tags(),
        Target::StreamName => streams(),
        Target::Namespace => namespaces(),
        Target::IsTagName => is_tags(),
        Target::IsImageName => is_images(),
        Target::Reference(mode) => references(mode),
    }
}

fn digests() -> BoxedStrategy<NearMiss> {
    let t = Target::Digest;
    prop_oneof![
        (any_digest(), any::<usize>()).prop_map(move |(d, at)| {
            let mut s = d.to_string();
            let colon = d.algorithm().as_str().len();
            s.remove(colon + 1 + at % d.hex().len());
            miss(t, s, ErrorKind::DigestInvalidLength, "a hex digit deleted")
        }),
        (any_digest(), any::<usize>()).prop_map(move |(d, at)| {
            let colon = d.algorithm().as_str().len();
            let s = insert(d.as_str(), colon + 1 + at % d.hex().len(), '0');
            miss(t, s, ErrorKind::DigestInvalidLength, "a hex digit inserted")
        }),
        (
            any_digest(),
            any::<usize>(),
            prop::sample::select(vec!['A', 'F'])
        )
            .prop_map(move |(d, at, upper)| {
                let colon = d.algorithm().as_str().len();
                let mut s = d.to_string();
                let i = colon + 1 + at % d.hex().len();
                s.replace_range(i..=i, upper.encode_utf8(&mut [0; 4]));
                miss(
                    t,
                    s,
                    ErrorKind::DigestInvalidFormat,
                    "a hex digit made uppercase",
                )
            }),
        any_digest().prop_map(move |d| {
            let s = d.as_str().replacen(':', "", 1);
            miss(t, s, ErrorKind::DigestInvalidFormat, "the ':' deleted")
        }),
        digest(Algorithm::Sha256).prop_map(move |d| {
            let s = d.to_string().replacen("sha256", "sha257", 1);
            miss(
                t,
                s,
                ErrorKind::DigestUnsupported,
                "the algorithm's digit changed",
            )
        }),
    ]
    .boxed()
}

fn tags() -> BoxedStrategy<NearMiss> {
    let t = Target::TagName;
    let bad = prop::sample::select(vec!['/', ':', '@', ' ', '+', '~', 'é']);
    prop_oneof![
        (tag_name(), prop::sample::select(vec!['.', '-'])).prop_map(move |(tag, c)| {
            let s = insert(tag.as_str(), 0, c);
            miss(t, s, ErrorKind::InvalidTag, "a leading '.' or '-' inserted")
        }),
        (tag_name(), any::<usize>(), bad).prop_map(move |(tag, at, c)| {
            let s = insert(tag.as_str(), at, c);
            miss(
                t,
                s,
                ErrorKind::InvalidTag,
                "a character outside [\\w.-] inserted",
            )
        }),
        "[0-9A-Za-z_][0-9A-Za-z_.-]{127}".prop_map(move |tag| {
            let s = format!("{tag}0");
            miss(t, s, ErrorKind::InvalidTag, "a 129th character appended")
        }),
        "[0-9A-Za-z_]".prop_map(move |_| miss(
            t,
            String::new(),
            ErrorKind::InvalidTag,
            "the only character deleted"
        )),
    ]
    .boxed()
}

fn streams() -> BoxedStrategy<NearMiss> {
    let t = Target::StreamName;
    let k = ErrorKind::InvalidStreamName;
    prop_oneof![
        (
            stream_name(),
            any::<usize>(),
            prop::sample::select(vec!['/', '%'])
        )
            .prop_map(move |(n, at, c)| miss(
                t,
                insert(n.as_str(), at, c),
                k,
                "a '/' or '%' inserted"
            )),
        (
            stream_name(),
            any::<usize>(),
            prop::sample::select(vec!['A', 'Z', ' ', ':'])
        )
            .prop_map(move |(n, at, c)| miss(
                t,
                insert(n.as_str(), at, c),
                k,
                "a character outside [a-z0-9._-] inserted"
            )),
        (stream_name(), prop::sample::select(vec!['.', '_', '-'])).prop_map(move |(n, c)| {
            miss(
                t,
                insert(n.as_str(), 0, c),
                k,
                "a leading separator inserted",
            )
        }),
        (stream_name(), prop::sample::select(vec!['.', '_', '-'])).prop_map(move |(n, c)| {
            let mut s = n.to_string();
            s.push(c);
            miss(t, s, k, "a trailing separator appended")
        }),
        "[0-9a-z]".prop_map(move |_| miss(t, ".".into(), k, "the only character replaced by '.'")),
        "[0-9a-z]{253}".prop_map(move |s| miss(
            t,
            format!("{s}0"),
            k,
            "a 254th character appended"
        )),
    ]
    .boxed()
}

fn namespaces() -> BoxedStrategy<NearMiss> {
    let t = Target::Namespace;
    let k = ErrorKind::InvalidNamespace;
    prop_oneof![
        (
            namespace(),
            any::<usize>(),
            prop::sample::select(vec!['A', '.', '_', ' ', '/'])
        )
            .prop_map(move |(n, at, c)| miss(
                t,
                insert(n.as_str(), at, c),
                k,
                "a character outside [a-z0-9-] inserted"
            )),
        namespace().prop_map(move |n| miss(
            t,
            insert(n.as_str(), 0, '-'),
            k,
            "a leading '-' inserted"
        )),
        namespace().prop_map(move |n| miss(t, format!("{n}-"), k, "a trailing '-' appended")),
        "[0-9a-z][0-9a-z-]{61}[0-9a-z]".prop_map(move |n| miss(
            t,
            format!("{n}0"),
            k,
            "a 64th character appended"
        )),
    ]
    .boxed()
}

fn is_tags() -> BoxedStrategy<NearMiss> {
    let t = Target::IsTagName;
    prop_oneof![
        (stream_name(), tag_name()).prop_map(move |(s, tag)| miss(
            t,
            format!("{s}{tag}"),
            ErrorKind::IsTagDelimiter,
            "the ':' deleted"
        )),
        (stream_name(), tag_name()).prop_map(move |(s, tag)| miss(
            t,
            format!("{s}:{tag}:"),
            ErrorKind::IsTagDelimiter,
            "a second ':' appended"
        )),
        (stream_name(), tag_name()).prop_map(move |(s, tag)| miss(
            t,
            format!("{s}@{tag}"),
            ErrorKind::IsTagIsImage,
            "the ':' replaced by '@'"
        )),
        tag_name().prop_map(move |tag| miss(
            t,
            format!(":{tag}"),
            ErrorKind::IsTagEmptyPart,
            "the stream's only character deleted"
        )),
        stream_name().prop_map(move |s| miss(
            t,
            format!("{s}:"),
            ErrorKind::IsTagEmptyPart,
            "the tag's only character deleted"
        )),
        (stream_name(), tag_name()).prop_map(move |(s, tag)| miss(
            t,
            format!("{s}:.{tag}"),
            ErrorKind::InvalidTag,
            "a leading '.' inserted in the tag"
        )),
        (stream_name(), tag_name()).prop_map(move |(s, tag)| miss(
            t,
            format!("{}:{tag}", insert(s.as_str(), 0, 'A')),
            ErrorKind::InvalidStreamName,
            "an uppercase letter inserted in the stream"
        )),
    ]
    .boxed()
}

fn is_images() -> BoxedStrategy<NearMiss> {
    let t = Target::IsImageName;
    prop_oneof![
        (stream_name(), any_digest()).prop_map(move |(s, d)| miss(
            t,
            format!("{s}@{d}@"),
            ErrorKind::IsImageDelimiter,
            "a second '@' appended"
        )),
        stream_name().prop_map(move |s| miss(
            t,
            format!("{s}@"),
            ErrorKind::IsImageEmptyPart,
            "the id's only character deleted"
        )),
        (
            stream_name(),
            any_digest(),
            any::<usize>(),
            prop::sample::select(vec!['/', ' ', '!', '#'])
        )
            .prop_map(move |(s, d, at, c)| miss(
                t,
                format!("{s}@{}", insert(d.as_str(), at, c)),
                ErrorKind::InvalidImageId,
                "a character outside [A-Za-z0-9+._:=-] inserted in the id"
            )),
        (stream_name(), any_digest()).prop_map(move |(s, d)| miss(
            t,
            format!("{}@{d}", insert(s.as_str(), 0, '-')),
            ErrorKind::InvalidStreamName,
            "a leading '-' inserted in the stream"
        )),
    ]
    .boxed()
}

/// The index where the last path component of a valid reference ends
/// (before `:tag` and `@digest`), by distribution's grammar (which reads
/// every generated reference the same way, IPv6 hosts aside).
fn name_end(s: &str) -> usize {
    DockerReference::parse(s).map_or(s.len(), |r| r.name().len())
}

fn references(mode: Mode) -> BoxedStrategy<NearMiss> {
    let t = Target::Reference(mode);
    let upper = if mode == Mode::Normalized {
        ErrorKind::RemoteNameUppercase
    } else {
        ErrorKind::NameContainsUppercase
    };
    prop_oneof![
        // An uppercase letter at the end of the last path component (never
        // a domain, which may hold uppercase).
        reference_string(mode).prop_map(move |s| {
            let end = name_end(&s);
            miss(
                t,
                insert(&s, end, 'A'),
                upper,
                "an uppercase letter appended to the path",
            )
        }),
        reference_string(mode).prop_map(move |s| {
            let end = name_end(&s);
            let mut out = s.clone();
            out.insert(end, '/');
            miss(
                t,
                out,
                ErrorKind::InvalidFormat,
                "an empty path component ('/' appended to the path)",
            )
        }),
        reference_string(mode).prop_map(move |s| {
            let end = name_end(&s);
            let mut out = s.clone();
            out.insert(end, ':');
            // `name:` followed by nothing or `@digest` or `:tag`.
            miss(
                t,
                out,
                ErrorKind::InvalidFormat,
                "a ':' with nothing after it",
            )
        }),
        (reference_string(mode), digest(Algorithm::Sha256)).prop_map(move |(s, d)| {
            // Any digest of the reference is replaced.
            let name = s.split('@').next().unwrap_or_default();
            let mut digest = d.to_string();
            digest.pop();
            miss(
                t,
                format!("{name}@{digest}"),
                ErrorKind::DigestInvalidLength,
                "the digest's last hex digit deleted",
            )
        }),
        // distribution's normalizing parser reports the empty name as a
        // bad format; the others say it has no component.
        Just(miss(
            t,
            String::new(),
            if mode == Mode::Normalized {
                ErrorKind::InvalidFormat
            } else {
                ErrorKind::NameEmpty
            },
            "the only character deleted"
        )),
    ]
    .boxed()
}
