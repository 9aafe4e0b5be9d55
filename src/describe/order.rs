//! Tag ordering: `PrioritizeTags` (for `oc describe`) and `SortStatusTags`.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use crate::reference::DEFAULT_TAG;

/// A tag's class and version, as `PrioritizeTags` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Class {
    Latest,
    Minor(Semver, bool),
    Full(Semver, bool),
    Other,
}

impl Class {
    fn priority(&self) -> u8 {
        match self {
            Self::Latest => 0,
            Self::Minor(..) => 1,
            Self::Full(..) => 2,
            Self::Other => 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Semver {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<String>,
}

impl Ord for Semver {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        let ord = match (a.parse::<u64>(), b.parse::<u64>()) {
                            (Ok(x), Ok(y)) => x.cmp(&y),
                            (Ok(_), Err(_)) => Ordering::Less,
                            (Err(_), Ok(_)) => Ordering::Greater,
                            (Err(_), Err(_)) => a.cmp(b),
                        };
                        if ord != Ordering::Equal {
                            return ord;
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            })
    }
}

impl PartialOrd for Semver {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn number(s: &str, strict: bool) -> Option<u64> {
    if s.is_empty()
        || !s.bytes().all(|b| b.is_ascii_digit())
        || (strict && s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// blang/semver's strict `Parse`: `MAJOR.MINOR.PATCH[-pre][+build]`.
fn parse_semver(s: &str) -> Option<Semver> {
    let (rest, build) = match s.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    if let Some(b) = build
        && (b.is_empty()
            || !b.split('.').all(|p| {
                !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
            }))
    {
        return None;
    }
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let mut parts = core.split('.');
    let (Some(ma), Some(mi), Some(pa), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let pre = match pre {
        None => Vec::new(),
        Some(p) => {
            let ids: Vec<String> = p.split('.').map(str::to_owned).collect();
            let valid = ids.iter().all(|id| {
                !id.is_empty()
                    && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                    && (!id.bytes().all(|c| c.is_ascii_digit()) || number(id, true).is_some())
            });
            if !valid {
                return None;
            }
            ids
        }
    };
    Some(Semver {
        major: number(ma, true)?,
        minor: number(mi, true)?,
        patch: number(pa, true)?,
        pre,
    })
}

fn classify(tag: &str) -> Class {
    if tag == DEFAULT_TAG {
        return Class::Latest;
    }
    let (rest, prefixed) = match tag.strip_prefix('v') {
        Some(r) => (r, true),
        None => (tag, false),
    };
    if let Some(v) = parse_semver(rest) {
        return Class::Full(v, prefixed);
    }
    let minor = |s: &str| {
        let (a, b) = s.split_once('.')?;
        Some(Semver {
            major: number(a, false)?,
            minor: number(b, false)?,
            patch: 0,
            pre: Vec::new(),
        })
    };
    if let Some(v) = minor(rest) {
        return Class::Minor(v, prefixed);
    }
    if let Some((core, suffix)) = rest.split_once('-')
        && !suffix.is_empty()
        && suffix
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && let Some(mut v) = minor(core)
    {
        v.pre = vec![suffix.to_owned()];
        return Class::Minor(v, prefixed);
    }
    Class::Other
}

fn compare(a: &str, ca: &Class, b: &str, cb: &Class) -> Ordering {
    ca.priority()
        .cmp(&cb.priority())
        .then_with(|| match (ca, cb) {
            (Class::Minor(x, px), Class::Minor(y, py))
            | (Class::Full(x, px), Class::Full(y, py)) => {
                y.cmp(x).then(px.cmp(py)).then_with(|| a.cmp(b))
            }
            _ => a.cmp(b),
        })
}

/// `PrioritizeTags`: `latest` first, then `X.Y` tags, then full semver
/// tags (higher versions first, a tag without `v` before the same version
/// with it), then the rest in byte order.
///
/// **Deterministic where OpenShift is not:** Go sorts with an unstable
/// sort, so ties (the same version with different build metadata) come
/// out in any order; here they are ordered by the tag's bytes.
///
/// ```
/// use imagestream::describe::prioritize_tags;
///
/// let mut tags = ["other", "v3.6", "3.6.1", "latest", "3.7", "10", "9"];
/// prioritize_tags(&mut tags);
/// assert_eq!(tags, ["latest", "3.7", "v3.6", "3.6.1", "10", "9", "other"]);
/// ```
pub fn prioritize_tags<T: AsRef<str>>(tags: &mut [T]) {
    let mut keyed: Vec<(Class, usize)> = tags
        .iter()
        .enumerate()
        .map(|(i, t)| (classify(t.as_ref()), i))
        .collect();
    keyed.sort_by(|(ca, ia), (cb, ib)| compare(tags[*ia].as_ref(), ca, tags[*ib].as_ref(), cb));
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    apply_permutation(tags, &order);
}

fn apply_permutation<T>(items: &mut [T], order: &[usize]) {
    // order[k] = index of the item that goes to position k.
    let mut pos: Vec<usize> = (0..items.len()).collect(); // where original i is now
    let mut at: Vec<usize> = (0..items.len()).collect(); // which original is at position p
    for (k, &orig) in order.iter().enumerate() {
        let p = pos[orig];
        if p != k {
            items.swap(k, p);
            let displaced = at[k];
            at.swap(k, p);
            pos[displaced] = p;
            pos[orig] = k;
        }
    }
}

/// `SortStatusTags`: tags by the creation time of their current entry,
/// newest first (to the second); ties by name; tags without entries last.
///
/// ```
/// use imagestream::chrono::{TimeZone, Utc};
/// use imagestream::describe::sort_status_tags;
///
/// let t = |s| Some(Utc.timestamp_opt(s, 0).unwrap());
/// let mut tags = vec![("b", t(10)), ("a", t(10)), ("c", None), ("d", t(20))];
/// sort_status_tags(&mut tags);
/// let names: Vec<_> = tags.iter().map(|(n, _)| *n).collect();
/// assert_eq!(names, ["d", "a", "b", "c"]);
/// ```
pub fn sort_status_tags<T: AsRef<str>>(tags: &mut [(T, Option<DateTime<Utc>>)]) {
    tags.sort_by(|(a, ta), (b, tb)| {
        let key = |t: &Option<DateTime<Utc>>| t.map_or(i64::MIN, |t| t.timestamp());
        key(tb)
            .cmp(&key(ta))
            .then_with(|| a.as_ref().cmp(b.as_ref()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_rules() {
        assert!(parse_semver("1.2.3").is_some());
        assert!(parse_semver("1.2.3-rc.1+build.5").is_some());
        assert!(parse_semver("01.2.3").is_none(), "leading zero");
        assert!(parse_semver("1.2").is_none());
        assert!(
            parse_semver("1.2.3-01").is_none(),
            "numeric pre-release with a leading zero"
        );
        assert!(parse_semver("1.0.0-alpha").unwrap() < parse_semver("1.0.0").unwrap());
        assert!(parse_semver("1.0.0-alpha.1").unwrap() < parse_semver("1.0.0-alpha.beta").unwrap());
        assert!(parse_semver("1.0.0-2").unwrap() < parse_semver("1.0.0-11").unwrap());
    }

    #[test]
    fn upstream_prioritize_cases() {
        // library-go pkg/image/imageutil/helpers_test.go TestPrioritizeTags
        let cases: [(&[&str], &[&str]); 4] = [
            (
                &[
                    "other",
                    "latest",
                    "v5.5",
                    "5.2.3",
                    "5.5",
                    "v5.3.6-bother",
                    "5.3.6-abba",
                    "5.6",
                ],
                &[
                    "latest",
                    "5.6",
                    "5.5",
                    "v5.5",
                    "v5.3.6-bother",
                    "5.3.6-abba",
                    "5.2.3",
                    "other",
                ],
            ),
            (
                &[
                    "1.1-beta1",
                    "1.2-rc1",
                    "1.1-rc1",
                    "1.1-beta2",
                    "1.2-beta1",
                    "1.2-alpha1",
                    "1.2-beta4",
                    "latest",
                ],
                &[
                    "latest",
                    "1.2-rc1",
                    "1.2-beta4",
                    "1.2-beta1",
                    "1.2-alpha1",
                    "1.1-rc1",
                    "1.1-beta2",
                    "1.1-beta1",
                ],
            ),
            (&["7.1", "v7.1", "7.1.0"], &["7.1", "v7.1", "7.1.0"]),
            (&["7.1.0", "v7.1", "7.1"], &["7.1", "v7.1", "7.1.0"]),
        ];
        for (tags, expected) in cases {
            let mut tags = tags.to_vec();
            prioritize_tags(&mut tags);
            assert_eq!(tags, expected);
        }
        // Bare numbers are "other", in byte order.
        let mut tags = vec!["9", "10", "latest", "3.6"];
        prioritize_tags(&mut tags);
        assert_eq!(tags, ["latest", "3.6", "10", "9"]);
    }
}
