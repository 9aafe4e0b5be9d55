//! `Arbitrary` for the public value types (feature `arbitrary`): valid by
//! construction, so a fuzz target can take them as input directly.
//!
//! Each impl builds text from the input's bytes within the type's grammar
//! and parses it; a parse failure (impossible by construction) becomes
//! `IncorrectFormat` rather than a panic.

use arbitrary::{Arbitrary, Error, Result, Unstructured};

use crate::api;
use crate::generated::{HUB_HOSTS, RefPlan, SourcePlan, StreamPlan, TagPlan};
use crate::reference::{
    Algorithm, Digest, DockerReference, ImageReference, IsImageName, IsTagName, Namespace,
    StreamName, TagName,
};
use crate::stream::ImageStream;

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const WORD: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
const TAG_REST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
const HEX: &[u8] = b"0123456789abcdef";

fn push_from(u: &mut Unstructured<'_>, s: &mut String, alphabet: &[u8], n: usize) -> Result<()> {
    for _ in 0..n {
        s.push(char::from(*u.choose(alphabet)?));
    }
    Ok(())
}

fn parsed<T, E>(r: std::result::Result<T, E>) -> Result<T> {
    r.map_err(|_| Error::IncorrectFormat)
}

impl<'a> Arbitrary<'a> for Algorithm {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(*u.choose(&[Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512])?)
    }
}

impl<'a> Arbitrary<'a> for Digest {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let algorithm = Algorithm::arbitrary(u)?;
        let mut s = format!("{algorithm}:");
        push_from(u, &mut s, HEX, algorithm.hex_len())?;
        parsed(Digest::parse(&s))
    }
}

impl<'a> Arbitrary<'a> for TagName {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut s = String::new();
        push_from(u, &mut s, WORD, 1)?;
        let rest = u.int_in_range(0..=127)?;
        push_from(u, &mut s, TAG_REST, rest)?;
        parsed(TagName::parse(&s))
    }
}

/// `[a-z0-9]+([._-][a-z0-9]+)*` with short components.
fn lower_name(
    u: &mut Unstructured<'_>,
    separators: &[u8],
    max_components: usize,
) -> Result<String> {
    let mut s = String::new();
    let components = u.int_in_range(1..=max_components)?;
    for i in 0..components {
        if i > 0 {
            s.push(char::from(*u.choose(separators)?));
        }
        let n = u.int_in_range(1..=8)?;
        push_from(u, &mut s, LOWER_ALNUM, n)?;
    }
    Ok(s)
}

impl<'a> Arbitrary<'a> for StreamName {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        parsed(StreamName::parse(&lower_name(u, b"._-", 4)?))
    }
}

impl<'a> Arbitrary<'a> for Namespace {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        // A DNS label of at most 4 * 8 + 3 = 35 bytes.
        parsed(Namespace::parse(&lower_name(u, b"-", 4)?))
    }
}

impl<'a> Arbitrary<'a> for IsTagName {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(IsTagName::new(
            StreamName::arbitrary(u)?,
            TagName::arbitrary(u)?,
        ))
    }
}

impl<'a> Arbitrary<'a> for IsImageName {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let stream = StreamName::arbitrary(u)?;
        let digest = Digest::arbitrary(u)?;
        let id = if bool::arbitrary(u)? {
            digest.to_string()
        } else {
            let n = u.int_in_range(1..=digest.hex().len())?;
            digest.hex()[..n].to_owned()
        };
        parsed(IsImageName::parse(&format!("{stream}@{id}")))
    }
}

/// A reference plan; `ipv6` allows bracketed IPv6 hosts.
fn ref_plan(u: &mut Unstructured<'_>, ipv6: bool) -> Result<RefPlan> {
    let host = match u.int_in_range(0..=5)? {
        0 | 1 => None,
        2 => Some(format!(
            "{}.{}",
            lower_name(u, b"-", 2)?,
            lower_name(u, b"-", 1)?
        )),
        3 => Some((*u.choose(&HUB_HOSTS)?).to_owned()),
        4 => Some(if bool::arbitrary(u)? {
            "localhost".to_owned()
        } else {
            let [a, b] = <[u8; 2]>::arbitrary(u)?;
            format!("172.30.{a}.{b}")
        }),
        _ if ipv6 => Some(format!(
            "[{}]",
            u.choose(&["::1", "fe80::1", "2001:db8::42"])?
        )),
        _ => Some("quay.io".to_owned()),
    };
    let port = if host.is_some() {
        Option::<u16>::arbitrary(u)?
    } else {
        None
    };
    let components = u.int_in_range(1..=3)?;
    let mut path = Vec::with_capacity(components);
    for _ in 0..components {
        let mut c = lower_name(u, b"._", 2)?;
        if bool::arbitrary(u)? {
            c.push_str(u.choose(&["__", "-", "--"])?);
            c.push_str(&lower_name(u, b".", 1)?);
        }
        path.push(c);
    }
    let tag = if bool::arbitrary(u)? {
        Some(TagName::arbitrary(u)?)
    } else {
        None
    };
    let digest = Option::<Digest>::arbitrary(u)?;
    Ok(RefPlan {
        host,
        port,
        path,
        tag,
        digest,
    })
}

impl<'a> Arbitrary<'a> for ImageReference {
    /// References as OpenShift parses them: every host kind but IPv6,
    /// ports, shorthands, tags and digests.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        parsed(ImageReference::parse_owned(ref_plan(u, false)?.render()))
    }
}

impl<'a> Arbitrary<'a> for DockerReference {
    /// Strictly parsed references (IPv6 hosts included); a shorthand is
    /// kept as written (use [`DockerReference::parse_normalized`] on its
    /// text for Docker's defaults).
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        parsed(DockerReference::parse(&ref_plan(u, true)?.render()))
    }
}

fn stream_plan(u: &mut Unstructured<'_>) -> Result<StreamPlan> {
    let namespace = Namespace::arbitrary(u)?;
    let name = StreamName::arbitrary(u)?;
    let count = u.int_in_range(0..=8)?;
    let mut tags = Vec::with_capacity(count);
    for _ in 0..count {
        let source = match u.int_in_range(0..=9)? {
            0 => SourcePlan::StatusOnly,
            1 => SourcePlan::Empty,
            2..=4 => SourcePlan::External(ref_plan(u, false)?.render()),
            5..=7 => SourcePlan::Tracking(usize::from(u8::arbitrary(u)?)),
            8 => SourcePlan::OtherStreamTag {
                namespace: Option::<Namespace>::arbitrary(u)?,
                stream: StreamName::arbitrary(u)?,
                tag: TagName::arbitrary(u)?,
            },
            _ => SourcePlan::Image {
                namespace: Option::<Namespace>::arbitrary(u)?,
                stream: Option::<StreamName>::arbitrary(u)?,
                digest: Digest::arbitrary(u)?,
                prefix: if bool::arbitrary(u)? {
                    Some(u.int_in_range(6..=19)?)
                } else {
                    None
                },
            },
        };
        let events = u.int_in_range(0..=4)?;
        let mut history = Vec::with_capacity(events);
        for _ in 0..events {
            history.push((Digest::arbitrary(u)?, u.int_in_range(0..=19)?));
        }
        tags.push(TagPlan {
            name: TagName::arbitrary(u)?,
            source,
            flags: <[bool; 4]>::arbitrary(u)?,
            import_mode: u.int_in_range(0..=2)?,
            generation: if bool::arbitrary(u)? {
                Some(u.int_in_range(0..=19)?)
            } else {
                None
            },
            events: history,
            failure: Option::<u8>::arbitrary(u)?,
        });
    }
    let mut labels = std::collections::BTreeMap::new();
    for _ in 0..u.int_in_range(0..=2)? {
        let value: String = String::arbitrary(u)?;
        labels.insert(lower_name(u, b"./", 2)?, value);
    }
    Ok(StreamPlan {
        namespace,
        name,
        lookup_local: bool::arbitrary(u)?,
        generation: u.int_in_range(0..=19)?,
        created: Option::<u32>::arbitrary(u)?,
        labels,
        tags,
    })
}

impl<'a> Arbitrary<'a> for api::ImageStream {
    /// Wire streams the domain accepts: up to 8 tags with spec tags of
    /// every source kind (tracking chains included) and histories of up
    /// to 4 entries.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(stream_plan(u)?.render())
    }
}

impl<'a> Arbitrary<'a> for ImageStream {
    /// The wire streams of `api::ImageStream`'s impl, converted.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        parsed(ImageStream::try_from(api::ImageStream::arbitrary(u)?))
    }
}

/// `M`, `M.m` or `M.m.p` (numbers below 30).
#[cfg(feature = "policy")]
fn policy_version(u: &mut Unstructured<'_>) -> Result<String> {
    let mut v = u.int_in_range(0u8..=29)?.to_string();
    for _ in 0..u.int_in_range(0u8..=2)? {
        v.push('.');
        v.push_str(&u.int_in_range(0u8..=29)?.to_string());
    }
    Ok(v)
}

/// One comparator in each form the policy grammar reads.
#[cfg(feature = "policy")]
fn policy_comparator(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0u8..=4)? {
        0 => policy_version(u)?,
        1 => {
            let op = *u.choose(&[">=", "<", "=", ">", "<=", "~", "^"])?;
            format!("{op}{}", policy_version(u)?)
        }
        2 => {
            let (a, b, c) = (
                u.int_in_range(0u8..=29)?,
                u.int_in_range(0u8..=29)?,
                u.int_in_range(0u8..=29)?,
            );
            format!(
                ">={a}.{b}.{c}-{}",
                u.choose(&["rc.1", "alpha", "beta.2", "0"])?
            )
        }
        3 => format!("{}.x", u.int_in_range(0u8..=29)?),
        _ => "*".to_owned(),
    })
}

#[cfg(feature = "policy")]
impl<'a> Arbitrary<'a> for crate::stream::TagPolicy {
    /// Policies of every order (`semver` ranges with alternatives, wildcards
    /// and pre-release comparators; `numerical`, `alphabetical`, `newest`)
    /// and every setting, written canonically and parsed.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let dir = |u: &mut Unstructured<'a>| u.choose(&["asc", "desc"]).copied();
        let mut lines = Vec::new();
        let semver = match u.int_in_range(0u8..=3)? {
            0 => {
                let mut alternatives = Vec::new();
                for _ in 0..u.int_in_range(1u8..=2)? {
                    let mut comparators = Vec::new();
                    for _ in 0..u.int_in_range(1u8..=3)? {
                        comparators.push(policy_comparator(u)?);
                    }
                    alternatives.push(comparators.join(" "));
                }
                lines.push(format!("semver {}", alternatives.join(" || ")));
                true
            }
            1 => {
                lines.push(format!("numerical {}", dir(u)?));
                false
            }
            2 => {
                lines.push(format!("alphabetical {}", dir(u)?));
                false
            }
            _ => {
                lines.push("newest".to_owned());
                false
            }
        };
        if semver && bool::arbitrary(u)? {
            lines.push("prerelease".to_owned());
        }
        let literal = |u: &mut Unstructured<'a>| -> Result<String> {
            let mut s = String::new();
            push_from(u, &mut s, LOWER_ALNUM, 1)?;
            let n = u.int_in_range(0..=7)?;
            push_from(u, &mut s, LOWER_ALNUM, n)?;
            Ok(s)
        };
        match u.int_in_range(0u8..=3)? {
            0 => {}
            1 => lines.push(format!("pattern ^{}", literal(u)?)),
            2 => {
                lines.push(format!("pattern ^{}-(?P<version>.*)$", literal(u)?));
                if bool::arbitrary(u)? {
                    lines.push(format!(
                        "extract {}",
                        u.choose(&["$version", "${version}", "$1"])?
                    ));
                }
            }
            _ => {
                lines.push(r"pattern ^main-(?P<sha>[a-f0-9]+)-(?P<ts>[0-9]+)$".to_owned());
                if bool::arbitrary(u)? {
                    lines.push(format!(
                        "extract {}",
                        u.choose(&["$ts", "${ts}-$sha", "$2"])?
                    ));
                }
            }
        }
        for _ in 0..u.int_in_range(0u8..=2)? {
            lines.push(format!("exclude -{}$", literal(u)?));
        }
        if bool::arbitrary(u)? {
            lines.push("signatures".to_owned());
        }
        if bool::arbitrary(u)? {
            let (os, arch) = (literal(u)?, literal(u)?);
            lines.push(if bool::arbitrary(u)? {
                format!("platform {os}/{arch}/{}", literal(u)?)
            } else {
                format!("platform {os}/{arch}")
            });
        }
        if bool::arbitrary(u)? {
            lines.push("candidates stream".to_owned());
        }
        parsed(Self::parse(&lines.join("\n")))
    }
}
