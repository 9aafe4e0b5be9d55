//! Image references, digests and OpenShift names.
//!
//! Three ways to read a container image reference, over one hand-written
//! grammar (a single forward scan over bytes; no regex):
//!
//! | entry point | semantics | use it for |
//! |---|---|---|
//! | [`ImageReference::parse`] | OpenShift (library-go `reference.Parse`) | pull specs in image streams |
//! | [`DockerReference::parse`] | distribution/reference `Parse` (strict) | exact registry names |
//! | [`DockerReference::parse_normalized`] | `ParseNormalizedNamed` | what a user types to `docker pull` |
//!
//! plus [`parse_docker_ref`], [`parse_any`] and [`parse_named`], the
//! remaining distribution helpers.
//!
//! # Grammar
//!
//! From distribution/reference's regexp constants (the package's doc comment
//! is out of date on the separator):
//!
//! ```text
//! reference          := name [ ":" tag ] [ "@" digest ]
//! name               := [ domain "/" ] remote-name
//! domain             := host [ ":" port-number ]
//! host               := domain-name | "[" IPv6address "]"   ; IPv6: distribution only
//! domain-name        := domain-component ( "." domain-component )*
//! domain-component   := [a-zA-Z0-9] | [a-zA-Z0-9] [a-zA-Z0-9-]* [a-zA-Z0-9]
//! port-number        := [0-9]+
//! IPv6address        := [a-fA-F0-9:]+                        ; loose, as distribution
//! remote-name        := path-component ( "/" path-component )*
//! path-component     := alpha-numeric ( separator alpha-numeric )*
//! alpha-numeric      := [a-z0-9]+
//! separator          := [_.] | "__" | "-"+
//! tag                := [\w] [\w.-]{0,127}                   ; \w is ASCII [A-Za-z0-9_]
//! digest             := algorithm ":" hex
//! algorithm          := component ( [-_+.] component )*
//! component          := [A-Za-z] [A-Za-z0-9]*
//! hex                := [0-9a-fA-F]{32,}
//! ```
//!
//! The domain group is greedy: in strict mode, a first component that is a
//! valid domain *is* the domain whenever a path follows. A domain is only
//! recognised when a `/` follows it, so `test.com:5000` is the name
//! `test.com` with the tag `5000`.
//!
//! After the grammar, each mode applies its own checks, in Go's order:
//! distribution limits the **path** to 255 bytes and validates the digest
//! with go-digest (sha256, sha384, sha512; lowercase hex); library-go limits
//! the **whole name** to 255 bytes and only checks the digest's algorithm
//! and length.
//!
//! # Errors
//!
//! Every parser returns [`ReferenceError`], whose `Display` is Go's exact
//! message (including `repository name must be lowercase` for inputs that
//! only fail because of case, with Go's Unicode lowercasing on that error
//! path), and which also carries an [`ErrorKind`] and the byte offset where
//! the input went wrong.
//!
//! # Names
//!
//! [`TagName`], [`StreamName`], [`Namespace`], [`IsTagName`] (`stream:tag`)
//! and [`IsImageName`] (`stream@id`) follow OpenShift's validation rules and
//! messages. Every type here is valid by construction, converts from and
//! to strings (`FromStr`, `TryFrom<&str>`, `TryFrom<String>`, `Display`,
//! `AsRef<str>` or `as_string`, `From<T> for String`) and serializes as a
//! string through the same parser.

mod digest;
mod docker;
mod error;
mod grammar;
mod image;
mod names;

pub use digest::{Algorithm, Digest};
pub use docker::{AnyReference, DockerReference, parse_any, parse_docker_ref, parse_named};
pub use error::{ErrorKind, ReferenceError};
pub use image::{
    DOCKER_DEFAULT_NAMESPACE, DOCKER_DEFAULT_REGISTRY, DOCKER_DEFAULT_V1_REGISTRY,
    DOCKER_DEFAULT_V2_REGISTRY, ImageReference, is_registry_docker_hub,
};
pub use names::{
    DEFAULT_TAG, IsImageName, IsTagName, Namespace, StreamName, TagName, join_image_stream_tag,
    split_image_stream_tag,
};
pub(crate) use names::{QUALIFIED_TOO_LONG, namespace_violations, stream_name_violations};

/// A string quoted the way Go's `%q` quotes it.
pub(crate) fn go_quote(s: &str) -> String {
    error::GoQuoted(s).to_string()
}

/// Whether `s` matches distribution's digest pattern
/// (`[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[[:xdigit:]]{32,}`).
pub(crate) fn check_digest_syntax(s: &str) -> Result<(), usize> {
    grammar::digest_pattern(s.as_bytes(), 0)
        .and_then(|end| if end == s.len() { Ok(()) } else { Err(end) })
}

/// The error for input that left the grammar at `offset`: Go lowercases
/// the whole input (Unicode-aware) and, if that would match, reports
/// uppercase instead of a bad format.
fn syntax_error(s: &str, offset: usize, dialect: grammar::Dialect) -> ReferenceError {
    if let Some(first) = grammar::first_cased(s) {
        let lowered = grammar::go_to_lower(s);
        if grammar::scan(lowered.as_bytes(), dialect).is_ok() {
            return ReferenceError::new(ErrorKind::NameContainsUppercase, first);
        }
    }
    ReferenceError::new(ErrorKind::InvalidFormat, offset)
}

/// The string conversions every value type here shares: `FromStr`,
/// `TryFrom<&str>`, `TryFrom<String>` (all through `parse`), `AsRef<str>`,
/// `From<T> for String` and comparisons with string literals (all through
/// `as_str`).
macro_rules! impl_str_conversions {
    ($ty:ident) => {
        $crate::reference::impl_str_conversions!($ty, |s: String| Self::parse(&s));
    };
    ($ty:ident, $from_string:expr) => {
        impl std::str::FromStr for $ty {
            type Err = $crate::reference::ReferenceError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = $crate::reference::ReferenceError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = $crate::reference::ReferenceError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                ($from_string)(s)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl From<$ty> for String {
            fn from(v: $ty) -> Self {
                v.as_str().to_owned()
            }
        }

        impl PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}
pub(crate) use impl_str_conversions;

/// Serializes a value as its string form and deserializes it through its
/// validating parser, quoting the bad input in the error.
macro_rules! impl_serde_as_str {
    ($ty:ident, $expecting:expr) => {
        $crate::reference::impl_serde_as_str!($ty, $expecting, as_str);
    };
    ($ty:ident, $expecting:expr, $to_str:ident) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.$to_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        $ty::parse(v)
                            .map_err(|e| E::custom(format_args!("invalid value {v:?}: {e}")))
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}
pub(crate) use impl_serde_as_str;
