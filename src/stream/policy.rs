//! Tag policies: which of many tags a spec tag follows ("the newest 3.x");
//! the syntax is on [`TagPolicy`].

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use regex::Regex;
use semver::{Comparator, Op, Prerelease, Version, VersionReq};

/// Why a policy text is not a [`TagPolicy`]: the offending text and its
/// byte position in the policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// No order line.
    #[error("a tag policy needs one order: semver, numerical, alphabetical or newest")]
    NoOrder,
    /// A key the grammar does not know.
    #[error(
        "unknown policy key {key:?} at {position}: expected semver, numerical, alphabetical, newest, prerelease, pattern, extract, exclude, signatures, platform or candidates"
    )]
    UnknownKey {
        /// The key.
        key: String,
        /// Its byte position.
        position: usize,
    },
    /// A second order, or a setting given twice.
    #[error(
        "{key:?} at {position} repeats {first:?}: a policy has one order and each setting once"
    )]
    Duplicate {
        /// The repeated key.
        key: String,
        /// The key it repeats.
        first: String,
        /// Its byte position.
        position: usize,
    },
    /// A key that needs a value has none.
    #[error("policy key {key:?} at {position} needs a value")]
    MissingValue {
        /// The key.
        key: String,
        /// Its byte position.
        position: usize,
    },
    /// A flag given a value.
    #[error("policy key {key:?} takes no value, got {value:?} at {position}")]
    UnexpectedValue {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// The value's byte position.
        position: usize,
    },
    /// A semver range that does not parse.
    #[error("invalid semver range {range:?} at {position}: {reason}")]
    Range {
        /// The comparator (or alternative) that failed.
        range: String,
        /// Its byte position.
        position: usize,
        /// The semver crate's reason.
        reason: String,
    },
    /// A direction other than `asc`/`desc`.
    #[error("invalid order {value:?} at {position}: must be asc or desc")]
    Direction {
        /// The value.
        value: String,
        /// Its byte position.
        position: usize,
    },
    /// A regex that does not compile.
    #[error("invalid regex {pattern:?} at {position}: {reason}")]
    Regex {
        /// The pattern.
        pattern: String,
        /// The byte position of the error inside the policy.
        position: usize,
        /// The regex crate's reason.
        reason: String,
    },
    /// An extract template naming a group the pattern lacks.
    #[error(
        "extract template {template:?} names group {group:?} at {position}, which the pattern lacks"
    )]
    MissingGroup {
        /// The template.
        template: String,
        /// The group named.
        group: String,
        /// The byte position of the `$`.
        position: usize,
    },
    /// An extract template without a pattern.
    #[error("extract template {template:?} at {position} needs a pattern to take groups from")]
    ExtractWithoutPattern {
        /// The template.
        template: String,
        /// Its byte position.
        position: usize,
    },
    /// `prerelease` on an order other than semver.
    #[error("prerelease at {position} applies only to a semver order")]
    PrereleaseWithoutSemver {
        /// Its byte position.
        position: usize,
    },
    /// A malformed platform.
    #[error(
        "invalid platform {value:?} at {position}: must be os/arch or os/arch/variant of lowercase letters, digits, '_', '.' or '-'"
    )]
    Platform {
        /// The value.
        value: String,
        /// Its byte position.
        position: usize,
    },
    /// A candidate source other than `registry`/`stream`.
    #[error("invalid candidates {value:?} at {position}: must be registry or stream")]
    Candidates {
        /// The value.
        value: String,
        /// Its byte position.
        position: usize,
    },
}

impl PolicyError {
    /// The byte position of the offending text in the policy (0 for
    /// [`NoOrder`](Self::NoOrder)).
    #[must_use]
    pub fn position(&self) -> usize {
        match self {
            Self::NoOrder => 0,
            Self::UnknownKey { position, .. }
            | Self::Duplicate { position, .. }
            | Self::MissingValue { position, .. }
            | Self::UnexpectedValue { position, .. }
            | Self::Range { position, .. }
            | Self::Direction { position, .. }
            | Self::Regex { position, .. }
            | Self::MissingGroup { position, .. }
            | Self::ExtractWithoutPattern { position, .. }
            | Self::PrereleaseWithoutSemver { position }
            | Self::Platform { position, .. }
            | Self::Candidates { position, .. } => *position,
        }
    }
}

/// Which way a numerical or alphabetical order picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Ascending order; the last (highest) wins.
    Asc,
    /// Descending order; the last (lowest) wins.
    Desc,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// Where a policy's candidate tags come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CandidateSource {
    /// The tags of the spec tag's source repository (the registry port's
    /// paged listing, with a cap).
    #[default]
    Registry,
    /// The stream's own tags and their current images (no registry call).
    Stream,
}

/// A semver range: alternatives (`||`) of comparators that all apply.
#[derive(Debug, Clone)]
pub struct SemverRange {
    text: String,
    alternatives: Vec<VersionReq>,
    prerelease: bool,
}

impl SemverRange {
    /// The range as written (comparators joined by one space).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether pre-releases are allowed beyond the semver crate's rule.
    #[must_use]
    pub fn allows_prerelease(&self) -> bool {
        self.prerelease
    }

    /// Whether `v` is in the range.
    #[must_use]
    pub fn matches(&self, v: &Version) -> bool {
        self.alternatives.iter().any(|req| {
            if self.prerelease && !v.pre.is_empty() {
                req.comparators.iter().all(|c| within(c, v))
            } else {
                req.matches(v)
            }
        })
    }
}

/// `v` against one comparator by plain semver precedence, without the
/// crate's pre-release rule (for the `prerelease` opt-in). Partial upper
/// bounds are exclusive at `-0`, so `<4` keeps out `4.0.0-rc.1`.
fn within(c: &Comparator, v: &Version) -> bool {
    let at = |major: u64, minor: u64, patch: u64, pre: &Prerelease| Version {
        major,
        minor,
        patch,
        pre: pre.clone(),
        build: semver::BuildMetadata::EMPTY,
    };
    let none = Prerelease::EMPTY;
    // "0" always parses as a pre-release identifier.
    let zero = Prerelease::new("0").unwrap_or(Prerelease::EMPTY);
    let ge = |b: &Version| v.cmp_precedence(b) != Ordering::Less;
    let lt = |b: &Version| v.cmp_precedence(b) == Ordering::Less;
    let (maj, pre) = (c.major, &c.pre);
    // Upper bounds past u64::MAX do not exist: everything is below them.
    let below = |b: Option<Version>| b.is_none_or(|b| lt(&b));
    let next_major = || maj.checked_add(1).map(|m| at(m, 0, 0, &zero));
    match (c.op, c.minor, c.patch) {
        (Op::Exact | Op::Wildcard, Some(mi), Some(p)) => {
            v.cmp_precedence(&at(maj, mi, p, pre)) == Ordering::Equal
        }
        (Op::Exact | Op::Wildcard | Op::Tilde, Some(mi), None) => {
            ge(&at(maj, mi, 0, &none)) && below(mi.checked_add(1).map(|m| at(maj, m, 0, &zero)))
        }
        (Op::Exact | Op::Wildcard | Op::Tilde | Op::Caret, None, _) => {
            ge(&at(maj, 0, 0, &none)) && below(next_major())
        }
        (Op::Tilde, Some(mi), Some(p)) => {
            ge(&at(maj, mi, p, pre)) && below(mi.checked_add(1).map(|m| at(maj, m, 0, &zero)))
        }
        (Op::Caret, Some(mi), p) => {
            let lower = at(
                maj,
                mi,
                p.unwrap_or(0),
                if p.is_some() { pre } else { &none },
            );
            let upper = if maj > 0 {
                next_major()
            } else if mi > 0 || p.is_none() {
                mi.checked_add(1).map(|m| at(0, m, 0, &zero))
            } else {
                p.and_then(|p| p.checked_add(1)).map(|q| at(0, 0, q, &zero))
            };
            ge(&lower) && below(upper)
        }
        (Op::Greater, Some(mi), Some(p)) => {
            v.cmp_precedence(&at(maj, mi, p, pre)) == Ordering::Greater
        }
        (Op::Greater, Some(mi), None) => {
            mi.checked_add(1).is_some_and(|m| ge(&at(maj, m, 0, &none)))
        }
        (Op::Greater, None, _) => maj.checked_add(1).is_some_and(|m| ge(&at(m, 0, 0, &none))),
        (Op::GreaterEq, mi, p) => ge(&at(
            maj,
            mi.unwrap_or(0),
            p.unwrap_or(0),
            if p.is_some() { pre } else { &none },
        )),
        (Op::Less, Some(mi), Some(p)) => lt(&at(maj, mi, p, pre)),
        (Op::Less, mi, _) => lt(&at(maj, mi.unwrap_or(0), 0, &zero)),
        (Op::LessEq, Some(mi), Some(p)) => {
            v.cmp_precedence(&at(maj, mi, p, pre)) != Ordering::Greater
        }
        (Op::LessEq, Some(mi), None) => below(mi.checked_add(1).map(|m| at(maj, m, 0, &zero))),
        (Op::LessEq, None, _) => below(next_major()),
        // Op is non-exhaustive: a future operator keeps the crate's rule.
        _ => c.matches(v),
    }
}

/// What a policy orders candidates by.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PolicyOrder {
    /// The highest version in a range.
    Semver(SemverRange),
    /// Numbers (decimal, possibly fractional; Flux's `numerical`).
    Numerical(Direction),
    /// Byte order of the text (Flux's `alphabetical`).
    Alphabetical(Direction),
    /// The newest creation time (registry or history).
    Newest,
}

impl fmt::Display for PolicyOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Semver(r) => write!(f, "semver {}", r.text),
            Self::Numerical(d) => write!(f, "numerical {}", d.as_str()),
            Self::Alphabetical(d) => write!(f, "alphabetical {}", d.as_str()),
            Self::Newest => f.write_str("newest"),
        }
    }
}

/// An OS and architecture (and optional variant) an image must offer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    os: String,
    architecture: String,
    variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch` or `os/arch/variant`.
    ///
    /// # Errors
    ///
    /// A part that is empty or holds something other than lowercase
    /// letters, digits, `_`, `.` or `-`; fewer than two or more than three
    /// parts.
    pub fn parse(s: &str) -> Result<Self, PolicyError> {
        let bad = || PolicyError::Platform {
            value: s.to_owned(),
            position: 0,
        };
        let ok = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
        };
        let parts: Vec<&str> = s.split('/').collect();
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| ok(p)) {
            return Err(bad());
        }
        Ok(Self {
            os: parts[0].to_owned(),
            architecture: parts[1].to_owned(),
            variant: parts.get(2).map(|v| (*v).to_owned()),
        })
    }

    /// Whether an image offering `offered` satisfies this platform: same
    /// OS and architecture, and the same variant when one is wanted.
    #[must_use]
    pub fn satisfied_by(&self, offered: &Platform) -> bool {
        self.os == offered.os
            && self.architecture == offered.architecture
            && (self.variant.is_none() || self.variant == offered.variant)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A spec tag's policy: which of many tags it follows ("the newest 3.x"):
/// an order, filters and where candidates come from. Equal when their
/// canonical texts are equal.
///
/// A [`TagPolicy`] is kept on a spec tag in the annotation
/// [`POLICY_ANNOTATION`](crate::api::POLICY_ANNOTATION) (so OpenShift
/// round-trips it untouched) and checked when a stream is read: an invalid
/// policy is a field error on `spec.tags[<tag>].annotations[…]`. Choosing
/// among candidates is [`ops::policy`](crate::ops::policy).
///
/// # Syntax
///
/// One setting a line, `key value`; blank lines are ignored, each line is
/// trimmed, and positions in errors are byte offsets in the whole text.
///
/// ```text
/// policy   = order-line *( "\n" setting )
/// order    = "semver" SP range          ; highest version in the range
///          / "numerical" SP dir         ; Flux's numerical
///          / "alphabetical" SP dir      ; Flux's alphabetical
///          / "newest"                   ; last pushed (creation time)
/// dir      = "asc" / "desc"             ; asc picks the highest, desc the lowest
/// setting  = "prerelease"               ; semver: pre-releases may be chosen
///          / "pattern" SP regex         ; only tags matching it
///          / "extract" SP template      ; what is ordered: `$name`, `${name}`, `$1`
///          / "exclude" SP regex         ; never these tags (may repeat)
///          / "signatures"               ; keep `sha256-….sig/.att/.sbom` tags
///          / "platform" SP os "/" arch [ "/" variant ]
///          / "candidates" SP ( "registry" / "stream" )
/// range    = alternative *( "||" alternative )
/// alternative = comparator *( ( SP / "," ) comparator )
/// ```
///
/// Ranges read as Flux and Argo CD Image Updater read them (Masterminds'
/// syntax): comparators separated by spaces all apply (`>=3.6 <4`), `||`
/// separates alternatives, a bare version is exact (`1.2.3` is `=1.2.3`),
/// `x`, `X` and `*` are wildcards (`5.1.x`), `~1.2` and `^2` as in Cargo.
/// Versions are ordered by the `semver` crate, with an optional `v`
/// prefix on tags. Pre-releases are chosen only when the range names one
/// of the same `major.minor.patch` (the semver crate's rule) or with the
/// `prerelease` setting.
///
/// ```
/// use imagestream::stream::TagPolicy;
///
/// let p: TagPolicy = "semver >=3.6 <4\nexclude -debug$".parse()?;
/// assert_eq!(p.order_text(), "semver >=3.6 <4");
/// assert_eq!(p.to_string(), "semver >=3.6 <4\nexclude -debug$");
///
/// let e = "semver >=3.6 <4\npattern ^(?P<ts>[0-9]+\n".parse::<TagPolicy>().unwrap_err();
/// assert_eq!(e.position(), 25); // the unclosed group
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TagPolicy {
    text: String,
    order: PolicyOrder,
    pattern: Option<Regex>,
    extract: Option<String>,
    excludes: Vec<Regex>,
    signatures: bool,
    platform: Option<Platform>,
    candidates: CandidateSource,
}

impl PartialEq for TagPolicy {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for TagPolicy {}

impl TagPolicy {
    /// Parses a policy text.
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] naming the offending text and its position:
    /// `semver >=3.6 <<4` (bad comparator), `numerical up` (not
    /// asc/desc), `pattern (` (unclosed group), `extract $ts` with a
    /// pattern lacking `(?P<ts>…)`, two orders, an unknown key.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        parse(text)
    }

    /// The order.
    #[must_use]
    pub fn order(&self) -> &PolicyOrder {
        &self.order
    }

    /// The order line as written in messages, e.g. `semver >=3.6 <4`.
    #[must_use]
    pub fn order_text(&self) -> String {
        self.order.to_string()
    }

    /// The filter pattern, if any.
    #[must_use]
    pub fn pattern(&self) -> Option<&Regex> {
        self.pattern.as_ref()
    }

    /// The extraction template, if any.
    #[must_use]
    pub fn extract(&self) -> Option<&str> {
        self.extract.as_deref()
    }

    /// The exclusion patterns (besides the signature tags).
    #[must_use]
    pub fn excludes(&self) -> &[Regex] {
        &self.excludes
    }

    /// Whether signature and attestation tags (`sha256-<hex>.sig`, `.att`,
    /// `.sbom`) may be chosen (by default they are excluded).
    #[must_use]
    pub fn keeps_signatures(&self) -> bool {
        self.signatures
    }

    /// The platform chosen images must offer, if any.
    #[must_use]
    pub fn platform(&self) -> Option<&Platform> {
        self.platform.as_ref()
    }

    /// Where candidates come from.
    #[must_use]
    pub fn candidates(&self) -> CandidateSource {
        self.candidates
    }

    /// The canonical text (what [`Display`](fmt::Display) writes).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for TagPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for TagPolicy {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for TagPolicy {
    type Error = PolicyError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl From<TagPolicy> for String {
    fn from(p: TagPolicy) -> Self {
        p.text
    }
}

/// Whether `tag` is a signature or attestation tag by cosign's naming
/// (`sha256-<hex>.sig`, `.att`, `.sbom`).
#[must_use]
pub fn is_signature_tag(tag: &str) -> bool {
    let Some(rest) = tag.strip_prefix("sha256-") else {
        return false;
    };
    let hex = rest
        .strip_suffix(".sig")
        .or_else(|| rest.strip_suffix(".att"))
        .or_else(|| rest.strip_suffix(".sbom"));
    hex.is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// One `key value` line: the key, its position, the value and its.
struct Line<'a> {
    key: &'a str,
    key_at: usize,
    value: &'a str,
    value_at: usize,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut offset = 0;
    text.split('\n').filter_map(move |raw| {
        let start = offset;
        offset += raw.len() + 1;
        let lead = raw.len() - raw.trim_start().len();
        let line = raw.trim();
        if line.is_empty() {
            return None;
        }
        let key_at = start + lead;
        let (key, rest) = line
            .split_once(|c: char| c.is_whitespace())
            .unwrap_or((line, ""));
        let value = rest.trim_start();
        let value_at = key_at + (line.len() - value.len()).min(line.len());
        Some(Line {
            key,
            key_at,
            value,
            value_at: if value.is_empty() {
                key_at + key.len()
            } else {
                value_at
            },
        })
    })
}

/// The value of a key that needs one.
fn needs<'a>(l: &Line<'a>) -> Result<&'a str, PolicyError> {
    if l.value.is_empty() {
        Err(PolicyError::MissingValue {
            key: l.key.to_owned(),
            position: l.key_at,
        })
    } else {
        Ok(l.value)
    }
}

// One arm per key of the grammar, then the checks across keys.
#[allow(clippy::too_many_lines)]
fn parse(text: &str) -> Result<TagPolicy, PolicyError> {
    let mut order: Option<(PolicyOrder, &str)> = None;
    let mut prerelease: Option<usize> = None;
    let mut pattern: Option<(Regex, &str)> = None;
    let mut extract: Option<(&str, usize)> = None;
    let mut excludes: Vec<(Regex, &str)> = Vec::new();
    let mut signatures = false;
    let mut platform: Option<Platform> = None;
    let mut candidates: Option<CandidateSource> = None;
    let mut seen: Vec<&str> = Vec::new();

    for l in lines(text) {
        let is_order = matches!(l.key, "semver" | "numerical" | "alphabetical" | "newest");
        let first = if is_order {
            order.as_ref().map(|(_, k)| *k)
        } else if l.key == "exclude" {
            None
        } else {
            seen.iter().find(|k| **k == l.key).copied()
        };
        if let Some(first) = first {
            return Err(PolicyError::Duplicate {
                key: l.key.to_owned(),
                first: first.to_owned(),
                position: l.key_at,
            });
        }
        seen.push(l.key);
        let flag = |l: &Line<'_>| {
            if l.value.is_empty() {
                Ok(())
            } else {
                Err(PolicyError::UnexpectedValue {
                    key: l.key.to_owned(),
                    value: l.value.to_owned(),
                    position: l.value_at,
                })
            }
        };
        let direction = |l: &Line<'_>| match needs(l)? {
            "asc" => Ok(Direction::Asc),
            "desc" => Ok(Direction::Desc),
            other => Err(PolicyError::Direction {
                value: other.to_owned(),
                position: l.value_at,
            }),
        };
        match l.key {
            "semver" => {
                let range = parse_range(needs(&l)?, l.value_at)?;
                order = Some((PolicyOrder::Semver(range), l.key));
            }
            "numerical" => order = Some((PolicyOrder::Numerical(direction(&l)?), l.key)),
            "alphabetical" => order = Some((PolicyOrder::Alphabetical(direction(&l)?), l.key)),
            "newest" => {
                flag(&l)?;
                order = Some((PolicyOrder::Newest, l.key));
            }
            "prerelease" => {
                flag(&l)?;
                prerelease = Some(l.key_at);
            }
            "pattern" => pattern = Some((compile(needs(&l)?, l.value_at)?, l.value)),
            "extract" => extract = Some((needs(&l)?, l.value_at)),
            "exclude" => excludes.push((compile(needs(&l)?, l.value_at)?, l.value)),
            "signatures" => {
                flag(&l)?;
                signatures = true;
            }
            "platform" => {
                platform =
                    Some(
                        Platform::parse(needs(&l)?).map_err(|_| PolicyError::Platform {
                            value: l.value.to_owned(),
                            position: l.value_at,
                        })?,
                    );
            }
            "candidates" => {
                candidates = Some(match needs(&l)? {
                    "registry" => CandidateSource::Registry,
                    "stream" => CandidateSource::Stream,
                    other => {
                        return Err(PolicyError::Candidates {
                            value: other.to_owned(),
                            position: l.value_at,
                        });
                    }
                });
            }
            other => {
                return Err(PolicyError::UnknownKey {
                    key: other.to_owned(),
                    position: l.key_at,
                });
            }
        }
    }

    let Some((mut order, _)) = order else {
        return Err(PolicyError::NoOrder);
    };
    if let Some(position) = prerelease {
        match &mut order {
            PolicyOrder::Semver(r) => r.prerelease = true,
            _ => return Err(PolicyError::PrereleaseWithoutSemver { position }),
        }
    }
    if let Some((template, at)) = extract {
        match &pattern {
            None => {
                return Err(PolicyError::ExtractWithoutPattern {
                    template: template.to_owned(),
                    position: at,
                });
            }
            Some((re, _)) => check_template(re, template, at)?,
        }
    }

    // The canonical text: settings in a fixed order, one per line.
    let mut text = order.to_string();
    let mut push = |s: &str| {
        text.push('\n');
        text.push_str(s);
    };
    if prerelease.is_some() {
        push("prerelease");
    }
    if let Some((_, p)) = &pattern {
        push(&format!("pattern {p}"));
    }
    if let Some((t, _)) = extract {
        push(&format!("extract {t}"));
    }
    for (_, e) in &excludes {
        push(&format!("exclude {e}"));
    }
    if signatures {
        push("signatures");
    }
    if let Some(p) = &platform {
        push(&format!("platform {p}"));
    }
    if candidates == Some(CandidateSource::Stream) {
        push("candidates stream");
    }
    Ok(TagPolicy {
        text,
        order,
        pattern: pattern.map(|(r, _)| r),
        extract: extract.map(|(t, _)| t.to_owned()),
        excludes: excludes.into_iter().map(|(r, _)| r).collect(),
        signatures,
        platform,
        candidates: candidates.unwrap_or_default(),
    })
}

/// Compiles a regex, placing a syntax error at its position in the policy.
fn compile(pattern: &str, at: usize) -> Result<Regex, PolicyError> {
    if let Err(e) = regex_syntax::ast::parse::Parser::new().parse(pattern) {
        return Err(PolicyError::Regex {
            pattern: pattern.to_owned(),
            position: at + e.span().start.offset,
            reason: e.kind().to_string(),
        });
    }
    Regex::new(pattern).map_err(|e| {
        let reason = match e {
            regex::Error::CompiledTooBig(limit) => {
                format!("the compiled regex exceeds the size limit of {limit} bytes")
            }
            // Syntax errors carry a multi-line rendering; keep its last line.
            other => other
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_owned(),
        };
        PolicyError::Regex {
            pattern: pattern.to_owned(),
            position: at,
            reason,
        }
    })
}

/// Every `$name`, `${name}` and `$n` of a template names a group of `re`.
fn check_template(re: &Regex, template: &str, at: usize) -> Result<(), PolicyError> {
    let bytes = template.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        let dollar = i;
        i += 1;
        let (name, next) = if bytes.get(i) == Some(&b'$') {
            i += 1;
            continue;
        } else if bytes.get(i) == Some(&b'{') {
            match template[i + 1..].find('}') {
                Some(end) => (&template[i + 1..i + 1 + end], i + 2 + end),
                None => (&template[i + 1..], bytes.len()),
            }
        } else {
            let len = template[i..]
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count();
            (&template[i..i + len], i + len)
        };
        i = next;
        let known = match name.parse::<usize>() {
            Ok(n) => n < re.captures_len(),
            Err(_) => !name.is_empty() && re.capture_names().flatten().any(|g| g == name),
        };
        if !known {
            return Err(PolicyError::MissingGroup {
                template: template.to_owned(),
                group: name.to_owned(),
                position: at + dollar,
            });
        }
    }
    Ok(())
}

/// Parses a Masterminds-style range into semver crate requirements.
fn parse_range(text: &str, at: usize) -> Result<SemverRange, PolicyError> {
    let mut alternatives = Vec::new();
    let mut shown: Vec<String> = Vec::new();
    let mut offset = 0;
    for alt in text.split("||") {
        let alt_at = at + offset;
        offset += alt.len() + 2;
        // Tokens with their positions; an operator alone joins the next.
        let mut tokens: Vec<(String, usize)> = Vec::new();
        let mut pending: Option<(String, usize)> = None;
        let mut pos = 0;
        for piece in alt.split(|c: char| c.is_whitespace() || c == ',') {
            let piece_at = alt_at + pos;
            pos += piece.len() + 1;
            if piece.is_empty() {
                continue;
            }
            let op_only = piece.bytes().all(|b| b"<>=~^".contains(&b));
            match pending.take() {
                Some((mut op, op_at)) => {
                    op.push_str(piece);
                    if op_only {
                        pending = Some((op, op_at));
                    } else {
                        tokens.push((op, op_at));
                    }
                }
                None if op_only => pending = Some((piece.to_owned(), piece_at)),
                None => tokens.push((piece.to_owned(), piece_at)),
            }
        }
        if let Some(t) = pending {
            tokens.push(t);
        }
        if tokens.is_empty() {
            return Err(PolicyError::Range {
                range: alt.to_owned(),
                position: alt_at,
                reason: "an alternative needs at least one comparator".to_owned(),
            });
        }
        let mut comparators = Vec::with_capacity(tokens.len());
        for (token, token_at) in &tokens {
            // A lone wildcard allows any version: no comparator.
            if matches!(token.as_str(), "*" | "x" | "X") {
                continue;
            }
            let bare = token.starts_with(|c: char| c.is_ascii_digit());
            let wildcard = token.contains(['*', 'x', 'X']);
            let spelled = if bare && !wildcard {
                format!("={token}")
            } else {
                token.clone()
            };
            let c = Comparator::parse(&spelled).map_err(|e| PolicyError::Range {
                range: token.clone(),
                position: *token_at,
                reason: e.to_string(),
            })?;
            comparators.push(c);
        }
        shown.push(
            tokens
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        );
        alternatives.push(VersionReq { comparators });
    }
    Ok(SemverRange {
        text: shown.join(" || "),
        alternatives,
        prerelease: false,
    })
}

/// Parses a tag as a version: an optional `v`/`V` prefix, then semver.
#[must_use]
pub fn parse_version(tag: &str) -> Option<Version> {
    let s = tag
        .strip_prefix('v')
        .or_else(|| tag.strip_prefix('V'))
        .unwrap_or(tag);
    Version::parse(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn err(text: &str) -> PolicyError {
        TagPolicy::parse(text).unwrap_err()
    }

    #[test]
    fn canonical_text_round_trips() {
        for (text, canonical) in [
            ("semver >=3.6 <4", "semver >=3.6 <4"),
            ("semver  >= 3.6,  <4 ", "semver >=3.6 <4"),
            ("  numerical   asc\n\n", "numerical asc"),
            (
                "candidates stream\nextract $ts\npattern ^main-[a-f0-9]+-(?P<ts>[0-9]+)\nnumerical asc",
                "numerical asc\npattern ^main-[a-f0-9]+-(?P<ts>[0-9]+)\nextract $ts\ncandidates stream",
            ),
            (
                "newest\nplatform linux/arm64/v8",
                "newest\nplatform linux/arm64/v8",
            ),
            (
                "semver ^2 || ~1.2\nprerelease",
                "semver ^2 || ~1.2\nprerelease",
            ),
            (
                "alphabetical desc\nsignatures\nexclude a\nexclude b",
                "alphabetical desc\nexclude a\nexclude b\nsignatures",
            ),
        ] {
            let p = TagPolicy::parse(text).unwrap();
            assert_eq!(p.to_string(), canonical, "{text:?}");
            assert_eq!(TagPolicy::parse(canonical).unwrap(), p);
        }
    }

    #[test]
    fn errors_name_the_text_and_position() {
        let e = err("semver >=3.6 <<4");
        assert_eq!(e.position(), 13);
        assert!(
            matches!(&e, PolicyError::Range { range, .. } if range == "<<4"),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with("invalid semver range \"<<4\" at 13: "),
            "{e}"
        );

        let e = err("numerical up");
        assert_eq!(
            e.to_string(),
            "invalid order \"up\" at 10: must be asc or desc"
        );

        let e = err("newest\npattern ab(c");
        assert_eq!(e.position(), 17);
        assert_eq!(
            e.to_string(),
            "invalid regex \"ab(c\" at 17: unclosed group"
        );

        let e = err("numerical asc\npattern ^(?P<n>[0-9]+)$\nextract v$ts");
        assert_eq!(
            e.to_string(),
            "extract template \"v$ts\" names group \"ts\" at 47, which the pattern lacks"
        );
        assert_eq!(err("numerical asc\nextract $1").position(), 22);
        assert_eq!(
            err("").to_string(),
            "a tag policy needs one order: semver, numerical, alphabetical or newest"
        );
        assert_eq!(
            err("newest\nsemver 1").to_string(),
            "\"semver\" at 7 repeats \"newest\": a policy has one order and each setting once"
        );
        assert!(matches!(
            err("newest\nfoo bar"),
            PolicyError::UnknownKey { position: 7, .. }
        ));
        assert!(matches!(
            err("newest now"),
            PolicyError::UnexpectedValue { position: 7, .. }
        ));
        assert!(matches!(
            err("semver"),
            PolicyError::MissingValue { position: 0, .. }
        ));
        assert!(matches!(
            err("numerical asc\nprerelease"),
            PolicyError::PrereleaseWithoutSemver { position: 14 }
        ));
        assert!(matches!(
            err("newest\nplatform Linux/amd64"),
            PolicyError::Platform { position: 16, .. }
        ));
        assert!(matches!(
            err("newest\ncandidates cache"),
            PolicyError::Candidates { position: 18, .. }
        ));
        assert!(matches!(
            err("semver >=1 ||"),
            PolicyError::Range { position: 13, .. }
        ));
        // Templates: `$$` is a literal dollar, `${n}` and numbers check too.
        assert!(
            TagPolicy::parse("numerical asc\npattern ^(?P<n>[0-9]+)$\nextract $$${n}$1").is_ok()
        );
        assert!(matches!(
            err("numerical asc\npattern ^([0-9]+)$\nextract $2"),
            PolicyError::MissingGroup { group, .. } if group == "2"
        ));
    }

    #[test]
    fn ranges_read_as_masterminds() {
        let range = |text: &str| match TagPolicy::parse(&format!("semver {text}")).unwrap().order {
            PolicyOrder::Semver(r) => r,
            _ => unreachable!("a semver order"),
        };
        let v = |s: &str| Version::parse(s).unwrap();
        // A bare version is exact, not Cargo's caret.
        assert!(range("1.2.3").matches(&v("1.2.3")));
        assert!(!range("1.2.3").matches(&v("1.2.4")));
        assert!(range("5.1.x").matches(&v("5.1.4")));
        assert!(!range("5.1.x").matches(&v("5.2.0")));
        assert!(range(">=3.6 <4").matches(&v("3.9.2")));
        assert!(!range(">=3.6 <4").matches(&v("4.0.0")));
        assert!(!range(">=3.6 <4").matches(&v("3.10.0-rc.1")));
        assert!(range("^2 || ~1.2").matches(&v("1.2.9")));
        assert!(range("^2 || ~1.2").matches(&v("2.9.0")));
        assert!(!range("^2 || ~1.2").matches(&v("1.3.0")));
    }

    #[test]
    fn prerelease_opt_in_uses_plain_precedence() {
        let pre = |text: &str| match TagPolicy::parse(&format!("semver {text}\nprerelease"))
            .unwrap()
            .order
        {
            PolicyOrder::Semver(r) => r,
            _ => unreachable!("a semver order"),
        };
        let v = |s: &str| Version::parse(s).unwrap();
        assert!(pre(">=3.6 <4").matches(&v("3.10.0-rc.1")));
        assert!(!pre(">=3.6 <4").matches(&v("4.0.0-rc.1")));
        assert!(!pre(">=3.6 <4").matches(&v("3.6.0-rc.1")));
        assert!(pre("~1.2").matches(&v("1.2.5-beta")));
        assert!(pre("^0.3.1").matches(&v("0.3.2-alpha")));
        assert!(!pre("^0.3.1").matches(&v("0.4.0-alpha")));
        assert!(pre(">1.2").matches(&v("1.3.1-x")));
        assert!(pre("<=1.2").matches(&v("1.2.9-x")));
        assert!(!pre(format!(">{}", u64::MAX).as_str()).matches(&v("1.0.0-a")));
        // Without the opt-in, the semver crate's rule.
        let plain = range_plain(">=3.6 <4");
        assert!(!plain.matches(&v("3.10.0-rc.1")));
    }

    fn range_plain(text: &str) -> SemverRange {
        match TagPolicy::parse(&format!("semver {text}")).unwrap().order {
            PolicyOrder::Semver(r) => r,
            _ => unreachable!("a semver order"),
        }
    }

    #[test]
    fn signature_tags() {
        let hex = "a".repeat(64);
        for suffix in ["sig", "att", "sbom"] {
            assert!(is_signature_tag(&format!("sha256-{hex}.{suffix}")));
        }
        assert!(!is_signature_tag("sha256-.sig"));
        assert!(!is_signature_tag("v1.sig"));
        assert!(!is_signature_tag(&format!("sha256-{hex}.tar")));
    }

    #[test]
    fn versions_take_a_v_prefix() {
        assert_eq!(parse_version("v1.2.3"), Some(Version::new(1, 2, 3)));
        assert_eq!(parse_version("V1.2.3"), Some(Version::new(1, 2, 3)));
        assert_eq!(parse_version("1.2"), None);
        assert_eq!(parse_version("vv1.2.3"), None);
    }

    #[test]
    fn platforms() {
        let p = Platform::parse("linux/arm64").unwrap();
        assert!(p.satisfied_by(&Platform::parse("linux/arm64/v8").unwrap()));
        assert!(!Platform::parse("linux/arm64/v8").unwrap().satisfied_by(&p));
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux/amd64/v1/x").is_err());
        assert!(Platform::parse("linux//v1").is_err());
    }
}
