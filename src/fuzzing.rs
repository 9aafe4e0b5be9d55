//! `Arbitrary` for the public value types (feature `arbitrary`): valid by
//! construction, so a fuzz target can take them as input directly.
//!
//! Each impl builds text from the input's bytes within the type's grammar
//! and parses it; a parse failure (impossible by construction) becomes
//! `IncorrectFormat` rather than a panic.

use arbitrary::{Arbitrary, Error, Result, Unstructured};

use crate::api;
#[cfg(feature = "policy")]
use crate::generated::{
    ComparatorPlan, OrderPlan, POLICY_OPS, POLICY_PATTERN_KINDS, PRERELEASES, PolicyPlan,
};
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

/// 1 to 3 version numbers below 30.
#[cfg(feature = "policy")]
fn policy_numbers(u: &mut Unstructured<'_>, most: u8) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    for _ in 0..u.int_in_range(1..=most)? {
        v.push(u.int_in_range(0u8..=29)?);
    }
    Ok(v)
}

/// One comparator in each form the policy grammar reads.
#[cfg(feature = "policy")]
fn policy_comparator(u: &mut Unstructured<'_>) -> Result<ComparatorPlan> {
    Ok(match u.int_in_range(0u8..=3)? {
        0 => ComparatorPlan::Bare(policy_numbers(u, 3)?),
        1 => ComparatorPlan::Op(u.choose_index(POLICY_OPS.len())?, policy_numbers(u, 3)?),
        2 => {
            let mut v = [0u8; 3];
            for n in &mut v {
                *n = u.int_in_range(0u8..=29)?;
            }
            ComparatorPlan::Pre(v, u.choose_index(PRERELEASES.len())?)
        }
        _ => {
            let mut v = policy_numbers(u, 2)?;
            v.truncate(usize::from(u.int_in_range(0u8..=2)?));
            ComparatorPlan::Wildcard(v)
        }
    })
}

/// `[a-z0-9]{1,8}`: text a regex reads literally, and a platform part.
#[cfg(feature = "policy")]
fn policy_literal(u: &mut Unstructured<'_>) -> Result<String> {
    let mut s = String::new();
    let n = u.int_in_range(1..=8)?;
    push_from(u, &mut s, LOWER_ALNUM, n)?;
    Ok(s)
}

#[cfg(feature = "policy")]
impl<'a> Arbitrary<'a> for crate::stream::TagPolicy {
    /// Policies of every order (`semver` ranges with alternatives, wildcards
    /// and pre-release comparators; `numerical`, `alphabetical`, `newest`)
    /// and every setting, written canonically and parsed (the plan the
    /// `proptest` strategy fills too).
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let order = match u.int_in_range(0u8..=3)? {
            0 => {
                let mut alternatives = Vec::new();
                for _ in 0..u.int_in_range(1u8..=2)? {
                    let mut comparators = Vec::new();
                    for _ in 0..u.int_in_range(1u8..=3)? {
                        comparators.push(policy_comparator(u)?);
                    }
                    alternatives.push(comparators);
                }
                OrderPlan::Semver(alternatives)
            }
            1 => OrderPlan::Numerical(bool::arbitrary(u)?),
            2 => OrderPlan::Alphabetical(bool::arbitrary(u)?),
            _ => OrderPlan::Newest,
        };
        let prerelease = bool::arbitrary(u)?;
        let pattern = if bool::arbitrary(u)? {
            Some((
                u.int_in_range(0..=POLICY_PATTERN_KINDS - 1)?,
                policy_literal(u)?,
                Option::<u8>::arbitrary(u)?.map(usize::from),
            ))
        } else {
            None
        };
        let mut excludes = Vec::new();
        for _ in 0..u.int_in_range(0u8..=2)? {
            excludes.push(policy_literal(u)?);
        }
        let signatures = bool::arbitrary(u)?;
        let platform = if bool::arbitrary(u)? {
            let (os, arch) = (policy_literal(u)?, policy_literal(u)?);
            let variant = if bool::arbitrary(u)? {
                Some(policy_literal(u)?)
            } else {
                None
            };
            Some((os, arch, variant))
        } else {
            None
        };
        let plan = PolicyPlan {
            order,
            prerelease,
            pattern,
            excludes,
            signatures,
            platform,
            stream: bool::arbitrary(u)?,
        };
        parsed(Self::parse(&plan.render()))
    }
}
