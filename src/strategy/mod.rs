//! [proptest](mod@proptest) strategies for every public value type (feature `proptest`).
//!
//! Every strategy here produces only valid values (they parse back equal
//! from their string form), covers the edge classes a hand-written
//! generator tends to miss (registry ports, IPv6 hosts, Docker Hub
//! shorthands, tags and digests together, every digest algorithm, every
//! spec tag source kind, tracking chains), and shrinks toward small,
//! readable values (`a`, `0`, `a:0`). [`near_miss`] produces the opposite:
//! inputs one edit away from valid, labelled with the rule they break.
//!
//! | strategy | value |
//! |---|---|
//! | [`digest`], [`any_digest`] | [`Digest`] of one algorithm, or of any |
//! | [`tag_name`], [`stream_name`], [`namespace`] | [`TagName`], [`StreamName`], [`Namespace`] |
//! | [`is_tag_name`], [`is_image_name`] | [`IsTagName`] (`stream:tag`), [`IsImageName`] (`stream@id`) |
//! | [`reference_string`] | text that parses in a [`Mode`] |
//! | [`image_reference`], [`docker_reference`], [`normalized_reference`] | [`ImageReference`], strict and normalized [`DockerReference`] |
//! | [`api_image_stream`], [`image_stream`] | [`api::ImageStream`], [`stream::ImageStream`](crate::stream::ImageStream), sized by [`StreamSize`] |
//! | [`tag_policy_text`], [`tag_policy`] | canonical policy texts and [`TagPolicy`](crate::stream::TagPolicy) (feature `policy`, on by default) |
//! | [`near_miss`] | [`NearMiss`]: invalid inputs, each with its [`ErrorKind`] |
//!
//! In `Cargo.toml`:
//!
//! ```toml
//! [dev-dependencies]
//! imagestream = { version = "0.1", features = ["proptest"] }
//! proptest = "1"
//! ```
//!
//! ```
//! use imagestream::reference::ImageReference;
//! use imagestream::strategy;
//! use proptest::prelude::*;
//!
//! proptest!(|(r in strategy::image_reference())| {
//!     // The lossless form parses back to the same reference.
//!     prop_assert_eq!(ImageReference::parse(r.as_str()).unwrap(), r);
//! });
//! ```
//!
//! The crate guide's [testing page](crate::docs::testing) shows these
//! strategies in a user's test.

mod near_miss;
#[cfg(feature = "policy")]
mod policy;
mod streams;

use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use crate::generated::{HUB_HOSTS, RefPlan};
use crate::reference::{
    Algorithm, Digest, DockerReference, ImageReference, IsImageName, IsTagName, Namespace,
    StreamName, TagName,
};

pub use near_miss::{NearMiss, Target, near_miss, near_miss_for};
#[cfg(feature = "policy")]
pub use policy::{tag_policy, tag_policy_text};
pub use streams::{StreamSize, api_image_stream, image_stream};

#[cfg(doc)]
use crate::{api, reference::ErrorKind};

/// The algorithms a [`Digest`] may name, in the order [`any_digest`] picks
/// them (sha256 most often).
pub const ALGORITHMS: [Algorithm; 3] = [Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512];

/// Digests of `algorithm`: lowercase hex of the algorithm's length,
/// shrinking toward all zeros.
pub fn digest(algorithm: Algorithm) -> BoxedStrategy<Digest> {
    // 32 hex digits per u128: cheap to generate and to shrink.
    prop::array::uniform4(any::<u128>())
        .prop_filter_map("a digest is valid by construction", move |words| {
            let mut s = String::with_capacity(algorithm.hex_len() + 8);
            s.push_str(algorithm.as_str());
            s.push(':');
            for w in &words[..algorithm.hex_len() / 32] {
                // Writing to a String cannot fail.
                let _ = write!(s, "{w:032x}");
            }
            Digest::parse(&s).ok()
        })
        .boxed()
}

/// Digests of every algorithm: sha256 in half the cases, sha384 and sha512
/// in a quarter each.
pub fn any_digest() -> BoxedStrategy<Digest> {
    prop_oneof![
        2 => digest(Algorithm::Sha256),
        1 => digest(Algorithm::Sha384),
        1 => digest(Algorithm::Sha512),
    ]
    .boxed()
}

/// Tag names (`[\w][\w.-]{0,127}`): mostly short, sometimes the full 128
/// characters; shrinks toward `0`.
///
/// A long name is a short one with an optional tail (padded to the full
/// 128 when the tail is long), not a separate alternative: shrinking drops
/// or shortens the tail one character at a time, so a failure that needs
/// a long name still shrinks to the shortest that fails.
pub fn tag_name() -> BoxedStrategy<TagName> {
    (
        "[0-9A-Za-z_][0-9A-Za-z_.-]{0,12}",
        prop::option::weighted(0.11, "[0-9A-Za-z_.-]{0,115}"),
    )
        .prop_map(|(mut s, tail)| {
            if let Some(tail) = tail {
                s.push_str(&tail);
                if tail.len() >= 100 {
                    // 13 + 115 is the grammar's 128: never beyond.
                    while s.len() < 128 {
                        s.push('0');
                    }
                }
            }
            s
        })
        .prop_filter_map("a tag name is valid by construction", |s| {
            TagName::parse(&s).ok()
        })
        .boxed()
}

/// Image stream names (`[a-z0-9]+([._-][a-z0-9]+)*`), up to 40 bytes;
/// shrinks toward `0`.
pub fn stream_name() -> BoxedStrategy<StreamName> {
    "[0-9a-z]{1,8}([._-][0-9a-z]{1,8}){0,3}"
        .prop_filter_map("a stream name is valid by construction", |s| {
            StreamName::parse(&s).ok()
        })
        .boxed()
}

/// Namespaces (DNS-1123 labels), sometimes the full 63 bytes; shrinks
/// toward `0`.
pub fn namespace() -> BoxedStrategy<Namespace> {
    prop_oneof![
        8 => "[0-9a-z]([0-9a-z-]{0,10}[0-9a-z])?",
        1 => "[0-9a-z][0-9a-z-]{61}[0-9a-z]",
    ]
    .prop_filter_map("a namespace is valid by construction", |s| {
        Namespace::parse(&s).ok()
    })
    .boxed()
}

/// `stream:tag` names.
pub fn is_tag_name() -> BoxedStrategy<IsTagName> {
    (stream_name(), tag_name())
        .prop_map(|(s, t)| IsTagName::new(s, t))
        .boxed()
}

/// `stream@id` names: the id is a whole digest or a prefix of its hex.
pub fn is_image_name() -> BoxedStrategy<IsImageName> {
    (stream_name(), any_digest(), prop::option::of(1usize..64))
        .prop_filter_map(
            "a stream@id name is valid by construction",
            |(s, d, prefix)| {
                let id = match prefix {
                    Some(n) => d.hex()[..n].to_owned(),
                    None => d.to_string(),
                };
                IsImageName::parse(&format!("{s}@{id}")).ok()
            },
        )
        .boxed()
}

/// A reference parser: which rules a generated reference must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Mode {
    /// [`ImageReference::parse`] (library-go): no IPv6 hosts.
    OpenShift,
    /// [`DockerReference::parse`] (distribution's `Parse`).
    Strict,
    /// [`DockerReference::parse_normalized`] (`ParseNormalizedNamed`).
    Normalized,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 3] = [Mode::OpenShift, Mode::Strict, Mode::Normalized];

    /// Whether `text` parses in this mode.
    #[must_use]
    pub fn accepts(self, text: &str) -> bool {
        match self {
            Self::OpenShift => ImageReference::parse(text).is_ok(),
            Self::Strict => DockerReference::parse(text).is_ok(),
            Self::Normalized => DockerReference::parse_normalized(text).is_ok(),
        }
    }
}

fn path_component() -> impl Strategy<Value = String> {
    "[0-9a-z]{1,6}(([._]|__|-{1,2})[0-9a-z]{1,6}){0,2}"
}

fn host(ipv6: bool) -> BoxedStrategy<String> {
    let names = prop_oneof![
        "[0-9a-z]{1,8}(-[0-9a-z]{1,4})?\\.[a-z]{2,4}",
        "[0-9a-z]{1,6}\\.[0-9a-z]{1,6}\\.[a-z]{2,3}",
        // Domains may hold uppercase; paths may not.
        "[A-Z][0-9A-Za-z]{0,5}\\.[A-Za-z]{2,3}",
        Just("localhost".to_owned()),
        (0u8..=255, 0u8..=255).prop_map(|(a, b)| format!("172.30.{a}.{b}")),
        prop::sample::select(HUB_HOSTS.to_vec()).prop_map(str::to_owned),
    ];
    if ipv6 {
        prop_oneof![
            4 => names,
            1 => prop::sample::select(vec!["::1", "fe80::1", "2001:db8::42", "::"])
                .prop_map(|h| format!("[{h}]")),
        ]
        .boxed()
    } else {
        names.boxed()
    }
}

/// Text that parses in `mode`: `[host[:port]/]path[:tag][@digest]` with
/// hosts of every kind (domain names, `localhost`, IPv4, Docker Hub's
/// names, IPv6 where the mode allows it), ports, Docker Hub shorthands
/// (no host), multi-component paths with every separator, tags, digests
/// of every algorithm, and all of them at once. Shrinks toward `0`.
pub fn reference_string(mode: Mode) -> BoxedStrategy<String> {
    let ipv6 = mode != Mode::OpenShift;
    (
        prop::option::weighted(0.6, (host(ipv6), prop::option::of(any::<u16>()))),
        prop::collection::vec(path_component(), 1..4),
        prop::option::of(tag_name()),
        prop::option::of(any_digest()),
    )
        .prop_map(|(host, path, tag, digest)| {
            let (host, port) = match host {
                Some((h, p)) => (Some(h), p),
                None => (None, None),
            };
            RefPlan {
                host,
                port,
                path,
                tag,
                digest,
            }
            .render()
        })
        .prop_filter("valid by construction", move |s| mode.accepts(s))
        .boxed()
}

/// References as OpenShift parses them ([`ImageReference::parse`]).
pub fn image_reference() -> BoxedStrategy<ImageReference> {
    reference_string(Mode::OpenShift)
        .prop_filter_map("valid by construction", |s| {
            ImageReference::parse_owned(s).ok()
        })
        .boxed()
}

/// References as distribution parses them strictly
/// ([`DockerReference::parse`]), IPv6 hosts included.
pub fn docker_reference() -> BoxedStrategy<DockerReference> {
    reference_string(Mode::Strict)
        .prop_filter_map("valid by construction", |s| DockerReference::parse(&s).ok())
        .boxed()
}

/// References normalized as `docker pull` does
/// ([`DockerReference::parse_normalized`]), from inputs that are often
/// Docker Hub shorthands (`python:3.6` → `docker.io/library/python:3.6`).
pub fn normalized_reference() -> BoxedStrategy<DockerReference> {
    reference_string(Mode::Normalized)
        .prop_filter_map("valid by construction", |s| {
            DockerReference::parse_normalized(&s).ok()
        })
        .boxed()
}
