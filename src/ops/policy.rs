//! Tag policies, pure: which candidate tag a spec tag's
//! [`TagPolicy`] chooses, why the others lost, and the spec change that
//! pins the choice.
//!
//! A policy (the syntax is on [`TagPolicy::parse`]) orders candidate
//! tags (semver in a range, numerical, alphabetical, newest pushed), after
//! filters (a regex with an extraction template, exclusions, signature and
//! attestation tags, a platform). Candidates come from a registry's tag
//! list ([`Registry::list_tags`](crate::ports::Registry::list_tags), with
//! a cap) or from the stream's own tags ([`stream_candidates`]). The
//! controller evaluates policies on schedule and pins the choice with
//! [`pin`]; [`dry_run`] says what every policy of a stream would choose
//! now, for a CLI's `--dry-run`. A tag under an active [`Hold`] is left
//! alone.
//!
//! The choice is the maximum under the policy's order, ties broken by the
//! greater tag text, so it does not depend on the candidates' order and
//! choosing page by page ([`Selector`]) gives the same answer.
//!
//! ```
//! use imagestream::ops::policy::{Candidate, choose};
//! use imagestream::stream::TagPolicy;
//!
//! let policy: TagPolicy = "semver >=3.6 <4".parse()?;
//! let tags: Vec<Candidate> = ["3.5.0", "v3.9.2", "3.9.1", "4.0.0", "3.10.0-rc.1", "latest"]
//!     .into_iter().map(Candidate::new).collect();
//! assert_eq!(choose(&policy, &tags).map(|c| c.tag.as_str()), Some("v3.9.2"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use semver::Version;

use crate::api;
use crate::reference::{Digest, ImageReference, TagName};
use crate::stream::{
    CandidateSource, Changes, Direction, Hold, ImageStream, Platform, PolicyOrder, SpecContext,
    SpecError, TagPolicy, TagSource, is_signature_tag, parse_version,
};

pub use crate::stream::{PolicyError, SemverRange};

/// A tag a policy may choose, with what is known of its image.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Candidate {
    /// The tag.
    pub tag: String,
    /// When its image was created (registry config or history entry).
    pub created: Option<DateTime<Utc>>,
    /// Its image, when known.
    pub image: Option<Digest>,
    /// The platforms its image offers (empty: unknown).
    pub platforms: Vec<Platform>,
}

impl Candidate {
    /// A candidate known only by its tag.
    #[must_use]
    pub fn new(tag: impl Into<String>) -> Self {
        Self {
            tag: tag.into(),
            created: None,
            image: None,
            platforms: Vec::new(),
        }
    }

    /// With a creation time.
    #[must_use]
    pub fn created(mut self, at: DateTime<Utc>) -> Self {
        self.created = Some(at);
        self
    }

    /// With an image.
    #[must_use]
    pub fn image(mut self, image: Digest) -> Self {
        self.image = Some(image);
        self
    }

    /// With the platforms its image offers.
    #[must_use]
    pub fn platforms(mut self, platforms: Vec<Platform>) -> Self {
        self.platforms = platforms;
        self
    }
}

/// Why a candidate was not chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// A signature or attestation tag (`sha256-….sig`, `.att`, `.sbom`).
    Signature,
    /// Matched an `exclude` pattern.
    Excluded {
        /// The pattern.
        pattern: String,
    },
    /// Did not match the `pattern`.
    NotMatched {
        /// The pattern.
        pattern: String,
    },
    /// Not a semver version (after extraction and an optional `v`).
    NotAVersion {
        /// What was parsed.
        subject: String,
    },
    /// A version outside the range.
    OutOfRange {
        /// The version.
        version: String,
        /// The range.
        range: String,
    },
    /// Not a finite decimal number.
    NotANumber {
        /// What was parsed.
        subject: String,
    },
    /// `newest` without a creation time.
    NoCreationTime,
    /// The image does not offer the wanted platform (or is unknown).
    NoPlatform {
        /// The wanted platform.
        wanted: String,
    },
    /// Eligible, but ranked below the chosen tag.
    RanksBelow {
        /// The chosen tag.
        chosen: String,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Signature => f.write_str("a signature or attestation tag"),
            Self::Excluded { pattern } => write!(f, "excluded by {pattern:?}"),
            Self::NotMatched { pattern } => write!(f, "does not match {pattern:?}"),
            Self::NotAVersion { subject } => write!(f, "{subject:?} is not a semver version"),
            Self::OutOfRange { version, range } => write!(f, "{version} is outside {range}"),
            Self::NotANumber { subject } => write!(f, "{subject:?} is not a number"),
            Self::NoCreationTime => f.write_str("no creation time is known"),
            Self::NoPlatform { wanted } => write!(f, "no image for {wanted}"),
            Self::RanksBelow { chosen } => write!(f, "ranks below {chosen}"),
        }
    }
}

/// What a candidate is ordered by.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Version(Version),
    Number(f64),
    Text(String),
    Time(DateTime<Utc>),
}

impl Key {
    /// The order of two keys of one policy (the better one is greater).
    fn cmp(&self, other: &Self, direction: Direction) -> Ordering {
        let o = match (self, other) {
            (Self::Version(a), Self::Version(b)) => a.cmp(b),
            (Self::Number(a), Self::Number(b)) => a.total_cmp(b),
            (Self::Text(a), Self::Text(b)) => a.cmp(b),
            (Self::Time(a), Self::Time(b)) => a.cmp(b),
            // One policy yields one kind of key.
            _ => Ordering::Equal,
        };
        match direction {
            Direction::Asc => o,
            Direction::Desc => o.reverse(),
        }
    }
}

fn direction(policy: &TagPolicy) -> Direction {
    match policy.order() {
        PolicyOrder::Numerical(d) | PolicyOrder::Alphabetical(d) => *d,
        _ => Direction::Asc,
    }
}

/// The key of `c` under `policy`, or why it is not eligible. Without
/// `detail` the reasons carry no text (no allocation on the hot path of
/// [`choose`]); [`explain`] asks for the text.
fn key(policy: &TagPolicy, c: &Candidate, detail: bool) -> Result<Key, Rejection> {
    let text = |s: &str| if detail { s.to_owned() } else { String::new() };
    if !policy.keeps_signatures() && is_signature_tag(&c.tag) {
        return Err(Rejection::Signature);
    }
    if let Some(re) = policy.excludes().iter().find(|re| re.is_match(&c.tag)) {
        return Err(Rejection::Excluded {
            pattern: text(re.as_str()),
        });
    }
    let extracted;
    let subject: &str = match policy.pattern() {
        None => &c.tag,
        Some(re) => match policy.extract() {
            None if re.is_match(&c.tag) => &c.tag,
            None => {
                return Err(Rejection::NotMatched {
                    pattern: text(re.as_str()),
                });
            }
            Some(template) => {
                let Some(caps) = re.captures(&c.tag) else {
                    return Err(Rejection::NotMatched {
                        pattern: text(re.as_str()),
                    });
                };
                let mut out = String::new();
                caps.expand(template, &mut out);
                extracted = out;
                &extracted
            }
        },
    };
    if let Some(wanted) = policy.platform()
        && !c.platforms.iter().any(|p| wanted.satisfied_by(p))
    {
        return Err(Rejection::NoPlatform {
            wanted: if detail {
                wanted.to_string()
            } else {
                String::new()
            },
        });
    }
    match policy.order() {
        PolicyOrder::Semver(range) => {
            let v = parse_version(subject).ok_or_else(|| Rejection::NotAVersion {
                subject: text(subject),
            })?;
            if range.matches(&v) {
                Ok(Key::Version(v))
            } else {
                Err(Rejection::OutOfRange {
                    version: if detail { v.to_string() } else { String::new() },
                    range: text(range.as_str()),
                })
            }
        }
        PolicyOrder::Numerical(_) => match subject.parse::<f64>() {
            Ok(n) if n.is_finite() && !subject.starts_with('+') => Ok(Key::Number(n)),
            _ => Err(Rejection::NotANumber {
                subject: text(subject),
            }),
        },
        PolicyOrder::Alphabetical(_) => Ok(Key::Text(subject.to_owned())),
        PolicyOrder::Newest => c.created.map(Key::Time).ok_or(Rejection::NoCreationTime),
        // PolicyOrder is non-exhaustive within the crate's own versions.
        #[allow(unreachable_patterns)]
        _ => Err(Rejection::NotAVersion {
            subject: text(subject),
        }),
    }
}

/// Chooses among candidates offered one by one (or page by page): keeps
/// the best so far. The same candidates in any order, in any pages, give
/// the same choice.
#[derive(Debug)]
pub struct Selector<'p, 'c> {
    policy: &'p TagPolicy,
    direction: Direction,
    best: Option<(Key, &'c Candidate)>,
}

impl<'p, 'c> Selector<'p, 'c> {
    /// A selector for `policy`, with nothing offered yet.
    #[must_use]
    pub fn new(policy: &'p TagPolicy) -> Self {
        Self {
            policy,
            direction: direction(policy),
            best: None,
        }
    }

    /// Offers a candidate; says whether it was eligible.
    pub fn offer(&mut self, c: &'c Candidate) -> bool {
        self.offer_with(c, false).is_ok()
    }

    fn offer_with(&mut self, c: &'c Candidate, detail: bool) -> Result<(), Rejection> {
        let k = key(self.policy, c, detail)?;
        let better = match &self.best {
            None => true,
            Some((bk, bc)) => match k.cmp(bk, self.direction) {
                Ordering::Greater => true,
                Ordering::Less => false,
                Ordering::Equal => c.tag > bc.tag,
            },
        };
        if better {
            self.best = Some((k, c));
        }
        Ok(())
    }

    /// The best candidate offered, if any was eligible.
    #[must_use]
    pub fn chosen(&self) -> Option<&'c Candidate> {
        self.best.as_ref().map(|(_, c)| *c)
    }
}

/// The candidate `policy` chooses, if any is eligible: one pass, no sort.
#[must_use]
pub fn choose<'c>(policy: &TagPolicy, candidates: &'c [Candidate]) -> Option<&'c Candidate> {
    let mut s = Selector::new(policy);
    for c in candidates {
        s.offer(c);
    }
    s.chosen()
}

/// The choice and, for every other candidate, why it lost.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explanation {
    /// The chosen candidate.
    pub chosen: Option<Candidate>,
    /// Every other candidate with its reason, in the order given.
    pub rejected: Vec<(String, Rejection)>,
}

/// [`choose`], saying why each other candidate lost.
#[must_use]
pub fn explain(policy: &TagPolicy, candidates: &[Candidate]) -> Explanation {
    let mut s = Selector::new(policy);
    let mut reasons: Vec<Option<Rejection>> = candidates
        .iter()
        .map(|c| s.offer_with(c, true).err())
        .collect();
    let chosen = s.chosen().cloned();
    let mut rejected = Vec::new();
    for (c, reason) in candidates.iter().zip(reasons.iter_mut()) {
        let reason = match (reason.take(), &chosen) {
            (Some(r), _) => r,
            (None, Some(ch)) if ch == c => continue,
            (None, Some(ch)) => Rejection::RanksBelow {
                chosen: ch.tag.clone(),
            },
            // Eligible candidates make a choice.
            (None, None) => continue,
        };
        rejected.push((c.tag.clone(), reason));
    }
    Explanation { chosen, rejected }
}

/// The candidates a stream offers itself: every other tag with a current
/// image, with its creation time (no registry call).
#[must_use]
pub fn stream_candidates(stream: &ImageStream, except: &str) -> Vec<Candidate> {
    stream
        .histories()
        .filter(|(t, _)| t.as_str() != except)
        .filter_map(|(t, h)| {
            let e = h.current()?;
            let mut c = Candidate::new(t.as_str());
            c.created = e.created();
            c.image = e.image();
            Some(c)
        })
        .collect()
}

/// The repository a registry-candidate policy lists: its spec tag's
/// `DockerImage` source without tag or id, or, when the tag was rolled
/// back (pinned to an image of the stream), the repository of the last
/// choice recorded.
#[must_use]
pub fn policy_repository(stream: &ImageStream, tag: &str) -> Option<ImageReference> {
    if let TagSource::DockerImage(r) = stream.spec_tag(tag)?.source()? {
        return Some(r.as_repository());
    }
    let (_, pinned) = stream.policy_choice(tag)?.split_once(' ')?;
    Some(ImageReference::parse(pinned).ok()?.as_repository())
}

/// What one policy of a stream would do now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyReport {
    /// The spec tag.
    pub tag: TagName,
    /// Its policy.
    pub policy: TagPolicy,
    /// An active hold, which keeps the tag where it is.
    pub hold: Option<Hold>,
    /// The last choice recorded, if any.
    pub last_choice: Option<String>,
    /// Whether candidates were missing (registry candidates not given).
    pub no_candidates: bool,
    /// The choice and the reasons of the others.
    pub explanation: Explanation,
}

impl fmt::Display for PolicyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: policy {}", self.tag, self.policy.order_text())?;
        match &self.explanation.chosen {
            Some(c) => write!(f, " would choose {}", c.tag)?,
            None if self.no_candidates => f.write_str(" has no candidates listed")?,
            None => f.write_str(" would choose nothing")?,
        }
        if let Some(h) = &self.hold {
            write!(f, ", but the tag is held by {}", h.by())?;
            if let Some(u) = h.expires() {
                write!(f, " until {}", u.to_rfc3339_opts(SecondsFormat::Secs, true))?;
            }
            if !h.reason().is_empty() {
                write!(f, " ({})", h.reason())?;
            }
        }
        f.write_str("\n")?;
        for (tag, why) in &self.explanation.rejected {
            writeln!(f, "  {tag}: {why}")?;
        }
        Ok(())
    }
}

/// What every policy of `stream` would choose at `now`, and why the
/// others lost: stream-candidate policies from the stream's own tags,
/// registry-candidate policies from `listed` (by spec tag; the caller
/// lists the registry, or leaves the entry out to report no candidates).
/// In spec tag order.
#[must_use]
pub fn dry_run(
    stream: &ImageStream,
    listed: &BTreeMap<TagName, Vec<Candidate>>,
    now: DateTime<Utc>,
) -> Vec<PolicyReport> {
    let mut out = Vec::new();
    for (tag, _) in stream.spec_tags() {
        let Some(policy) = stream.policy(tag.as_str()) else {
            continue;
        };
        let own;
        let candidates: Option<&[Candidate]> = match policy.candidates() {
            CandidateSource::Stream => {
                own = stream_candidates(stream, tag.as_str());
                Some(&own)
            }
            CandidateSource::Registry => listed.get(tag).map(Vec::as_slice),
        };
        let explanation = explain(&policy, candidates.unwrap_or_default());
        out.push(PolicyReport {
            tag: tag.clone(),
            hold: stream.hold(tag.as_str()).filter(|h| h.is_active(now)),
            last_choice: stream.policy_choice(tag.as_str()).map(str::to_owned),
            no_candidates: candidates.is_none(),
            policy,
            explanation,
        });
    }
    out
}

/// A policy's choice pinned on its spec tag; `Display` is the message in
/// `oc tag`'s style, e.g.
///
/// ```text
/// Tag app:stable set to app@sha256:… (policy semver >=3.6 <4 chose 3.9.2).
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pinned {
    /// `stream:tag`.
    pub name_and_tag: String,
    /// The pinned source (`stream@sha256:…` or `repo@sha256:…`).
    pub source: String,
    /// The policy's order, as written.
    pub order: String,
    /// The chosen tag.
    pub chosen: String,
}

impl fmt::Display for Pinned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Tag {} set to {} (policy {} chose {}).",
            self.name_and_tag, self.source, self.order, self.chosen
        )
    }
}

/// Why a choice could not be pinned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    /// The tag has no policy.
    #[error("spec tag {tag:?} has no policy")]
    NoPolicy {
        /// The tag.
        tag: String,
    },
    /// The chosen candidate's image is not known.
    #[error("the chosen tag {chosen:?} has no known image")]
    NoImage {
        /// The chosen tag.
        chosen: String,
    },
    /// A registry-candidate policy whose spec tag has no `DockerImage`
    /// source to pin in.
    #[error("spec tag {tag:?} has no DockerImage source to choose tags of")]
    NoRepository {
        /// The tag.
        tag: String,
    },
    /// The spec change was refused.
    #[error(transparent)]
    Spec(#[from] SpecError),
}

/// Pins `chosen` (with its image) on `tag`, the spec tag carrying a policy,
/// unless the tag is already pinned there as the recorded choice (then
/// `Ok(None)`) or is held at `now` (also `Ok(None)`). A stream candidate becomes an
/// `ImageStreamImage` pin on this stream (`app@sha256:…`, its image pushed
/// on the history at once); a registry candidate a `DockerImage` pin on
/// the repository by digest, which the next import fetches. The choice is
/// recorded in [`POLICY_CHOICE_ANNOTATION`](api::POLICY_CHOICE_ANNOTATION).
///
/// # Errors
///
/// No policy, a candidate without image, a registry policy without a
/// `DockerImage` source, or a refused spec change.
pub fn pin(
    stream: &mut ImageStream,
    tag: &TagName,
    chosen: &Candidate,
    ctx: &SpecContext<'_>,
    now: DateTime<Utc>,
) -> Result<Option<(Pinned, Changes)>, PinError> {
    let policy = stream
        .policy(tag.as_str())
        .ok_or_else(|| PinError::NoPolicy {
            tag: tag.to_string(),
        })?;
    if stream.hold(tag.as_str()).is_some_and(|h| h.is_active(now)) {
        return Ok(None);
    }
    let image = chosen.image.clone().ok_or_else(|| PinError::NoImage {
        chosen: chosen.tag.clone(),
    })?;
    // The tag has a policy, so it has a spec tag.
    let mut spec = stream.spec_tag(tag.as_str()).cloned().unwrap_or_default();
    let source = match policy.candidates() {
        CandidateSource::Stream => TagSource::ImageStreamImage {
            namespace: None,
            stream: Some(stream.name().clone()),
            id: image.as_str().into(),
        },
        CandidateSource::Registry => {
            let repo =
                policy_repository(stream, tag.as_str()).ok_or_else(|| PinError::NoRepository {
                    tag: tag.to_string(),
                })?;
            let pinned =
                ImageReference::parse(&format!("{}@{image}", repo.as_str())).map_err(|_| {
                    PinError::NoRepository {
                        tag: tag.to_string(),
                    }
                })?;
            TagSource::DockerImage(pinned)
        }
    };
    let shown = source.name();
    let record = format!("{} {shown}", chosen.tag);
    // Already pinned there (a rollback since moves the source away).
    if spec.source.as_ref() == Some(&source)
        && stream.policy_choice(tag.as_str()) == Some(record.as_str())
    {
        return Ok(None);
    }
    spec.source = Some(source);
    spec.reference = false;
    crate::stream::set_tag_annotation(&mut spec, api::POLICY_CHOICE_ANNOTATION, Some(record));
    let changes = stream.set_spec_tag(tag.clone(), spec, ctx)?;
    Ok(Some((
        Pinned {
            name_and_tag: format!("{}:{tag}", stream.name()),
            source: shown,
            order: policy.order_text(),
            chosen: chosen.tag.clone(),
        },
        changes,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<Candidate> {
        list.iter().map(|t| Candidate::new(*t)).collect()
    }

    #[track_caller]
    fn chosen(policy: &str, list: &[&str]) -> Option<String> {
        let p = TagPolicy::parse(policy).unwrap();
        choose(&p, &tags(list)).map(|c| c.tag.clone())
    }

    #[test]
    fn ties_break_on_the_tag_text() {
        assert_eq!(
            chosen("semver ^1", &["1.0.0", "v1.0.0"]).as_deref(),
            Some("v1.0.0")
        );
        assert_eq!(
            chosen("semver ^1", &["v1.0.0", "1.0.0"]).as_deref(),
            Some("v1.0.0")
        );
        assert_eq!(
            chosen("numerical desc", &["01", "1", "2"]).as_deref(),
            Some("1")
        );
    }

    #[test]
    fn explain_gives_every_loser_a_reason() {
        let p = TagPolicy::parse("semver >=3.6 <4\nexclude -debug$").unwrap();
        let hex = "b".repeat(64);
        let sig = format!("sha256-{hex}.sig");
        let e = explain(
            &p,
            &tags(&["3.5.0", "3.9.2", "3.9.2-debug", "latest", "3.7.0", &sig]),
        );
        assert_eq!(e.chosen.map(|c| c.tag).as_deref(), Some("3.9.2"));
        let lines: Vec<String> = e
            .rejected
            .iter()
            .map(|(t, r)| format!("{t}: {r}"))
            .collect();
        assert_eq!(
            lines,
            [
                "3.5.0: 3.5.0 is outside >=3.6 <4",
                "3.9.2-debug: excluded by \"-debug$\"",
                "latest: \"latest\" is not a semver version",
                "3.7.0: ranks below 3.9.2",
                &format!("{sig}: a signature or attestation tag"),
            ]
        );
    }

    #[test]
    fn newest_and_platform() {
        use chrono::TimeZone;
        let t = |h| Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0).unwrap();
        let arm = Platform::parse("linux/arm64").unwrap();
        let amd = Platform::parse("linux/amd64").unwrap();
        let list = vec![
            Candidate::new("a")
                .created(t(3))
                .platforms(vec![amd.clone()]),
            Candidate::new("b")
                .created(t(2))
                .platforms(vec![amd, arm.clone()]),
            Candidate::new("c"),
        ];
        let newest = TagPolicy::parse("newest").unwrap();
        assert_eq!(choose(&newest, &list).unwrap().tag, "a");
        let on_arm = TagPolicy::parse("newest\nplatform linux/arm64").unwrap();
        assert_eq!(choose(&on_arm, &list).unwrap().tag, "b");
        let e = explain(&on_arm, &list);
        assert_eq!(e.rejected[0].1.to_string(), "no image for linux/arm64");
        assert_eq!(
            explain(&newest, &list).rejected[1].1,
            Rejection::NoCreationTime
        );
    }

    #[test]
    fn numbers_must_be_finite_decimals() {
        assert_eq!(
            chosen("numerical asc", &["NaN", "inf", "+5", "4", "1e3"]).as_deref(),
            Some("1e3")
        );
        assert_eq!(chosen("numerical asc", &["NaN", "infinity"]), None);
    }
}
