//! Retrying conflicting writes: the budget, the jittered backoff, and
//! what a retried write expects of the stream it reads again.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

use super::Conflict;
use crate::ports::StoreError;
use crate::reference::TagName;
use crate::stream::{ImageStream, TagEvent};

/// How many times a read-modify-write is tried by default on version
/// conflicts (see [`RetryPolicy`]).
pub const DEFAULT_MAX_ATTEMPTS: usize = 60;

/// How conflicting writes are retried: up to `max_attempts` writes, the
/// n-th retry after a random pause in `[0, min(max_delay, base_delay ×
/// 2ⁿ)]` ("full jitter"), taken through [`Clock::sleep`](crate::ports::Clock::sleep).
///
/// The default (60 attempts, 100 µs doubling up to 5 ms, so at most about
/// 0.3 s of pauses) lets 8 writers contending on one stream land 500
/// updates each.
///
/// ```
/// use std::time::Duration;
/// use imagestream::service::{ImageStreams, RetryPolicy};
///
/// let patient = RetryPolicy::default()
///     .max_attempts(200)
///     .delays(Duration::from_micros(50), Duration::from_millis(20));
/// let service = ImageStreams::in_memory().with_retry(patient);
/// assert_eq!(service.retry_policy().attempts(), 200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: usize,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_delay: Duration::from_micros(100),
            max_delay: Duration::from_millis(5),
        }
    }
}

impl RetryPolicy {
    /// At most `attempts` writes (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: usize) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first retry's pause bound and the cap (`max` is raised to
    /// `base` if lower). Zero delays retry at once.
    #[must_use]
    pub fn delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// The attempt budget.
    #[must_use]
    pub fn attempts(&self) -> usize {
        self.max_attempts
    }

    /// The pause before retry `n` (1-based), drawn from `jitter`.
    pub(super) fn pause(&self, n: usize, jitter: &mut Jitter) -> Duration {
        let shift = u32::try_from(n.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(20);
        let bound = self
            .base_delay
            .saturating_mul(1 << shift)
            .min(self.max_delay);
        let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(jitter.next() % nanos.saturating_add(1))
    }
}

/// A xorshift64 generator seeded per write from the standard library's
/// per-process random hasher keys: jitter without a `rand` dependency.
pub(super) struct Jitter(u64);

impl Jitter {
    pub(super) fn new() -> Self {
        Self(RandomState::new().hash_one(0x5eed_u64) | 1)
    }

    pub(super) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// What a write expects of the stream when it reads it again after losing
/// a race (as a ref edit carries its expected previous value): the retry
/// is made only while the expectation holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Retry over whatever the winner wrote.
    Anything,
    /// Never retry: the caller named the version it wrote against, so a
    /// lost race is the caller's conflict ([`Conflict::Stale`]).
    Unchanged,
    /// Retry only while `tag`'s current entry has this pull spec and image
    /// (generation and time aside); `None`: the tag had no entry, and any
    /// state is retried over.
    TagAt {
        tag: TagName,
        current: Option<(String, String)>,
    },
}

impl Expect {
    /// `tag` must stay where `stream` has it now.
    pub(crate) fn tag_unmoved(stream: &ImageStream, tag: &TagName) -> Self {
        Self::TagAt {
            tag: tag.clone(),
            current: stream
                .latest_tagged_image(tag.as_str())
                .map(|e| (e.pull_spec().as_str().to_owned(), e.image_str().to_owned())),
        }
    }

    /// `Err` (the conflict to return) when `stream`, read again after
    /// `last`, no longer meets the expectation.
    pub(super) fn check(
        &self,
        stream: &ImageStream,
        last: StoreError,
    ) -> Result<StoreError, Conflict> {
        match self {
            Self::TagAt {
                tag,
                current: Some((pull_spec, image)),
            } => {
                let now = stream.latest_tagged_image(tag.as_str());
                if now.is_some_and(|e: &TagEvent| {
                    e.pull_spec().as_str() == pull_spec && e.image_str() == image
                }) {
                    Ok(last)
                } else {
                    Err(Conflict::Moved {
                        tag: tag.clone(),
                        last,
                    })
                }
            }
            Self::Unchanged => Err(Conflict::Stale { last }),
            _ => Ok(last),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::reference::{Digest, ImageReference, Namespace, StreamName};

    fn conflict() -> StoreError {
        StoreError::Conflict {
            resource: "imagestreams",
            name: "app".into(),
            expected: 1,
            actual: 2,
        }
    }

    fn stream_at(content: &[u8]) -> ImageStream {
        let mut is = ImageStream::new(
            Namespace::parse("test").unwrap(),
            StreamName::parse("app").unwrap(),
        )
        .unwrap();
        let d = Digest::of_sha256(content);
        let spec = ImageReference::parse(&format!("172.30.1.1:5000/test/app@{d}")).unwrap();
        let at = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        is.add_event(
            &TagName::parse("latest").unwrap(),
            TagEvent::new(spec, Some(d), 1, at),
        );
        is
    }

    #[test]
    fn pauses_grow_up_to_the_cap_and_stay_within_it() {
        let policy =
            RetryPolicy::default().delays(Duration::from_micros(100), Duration::from_millis(5));
        let mut jitter = Jitter::new();
        for n in 1..200 {
            let bound = Duration::from_micros(100)
                .saturating_mul(1 << (n - 1).min(20))
                .min(Duration::from_millis(5));
            let pause = policy.pause(n, &mut jitter);
            assert!(pause <= bound, "retry {n}: {pause:?} > {bound:?}");
        }
        let zero = RetryPolicy::default().delays(Duration::ZERO, Duration::ZERO);
        assert_eq!(zero.pause(7, &mut jitter), Duration::ZERO);
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }

    #[test]
    fn jitter_is_spread() {
        let mut jitter = Jitter::new();
        let draws: Vec<u64> = (0..64).map(|_| jitter.next() % 1000).collect();
        let mut distinct = draws.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() > 32, "{draws:?}");
    }

    #[test]
    fn a_tag_expectation_holds_until_the_tag_moves() {
        let read = stream_at(b"a");
        let expect = Expect::tag_unmoved(&read, &TagName::parse("latest").unwrap());
        assert!(expect.check(&read, conflict()).is_ok());
        let moved = stream_at(b"b");
        let err = expect.check(&moved, conflict()).unwrap_err();
        assert!(matches!(err, Conflict::Moved { ref tag, .. } if tag.as_str() == "latest"));
        // A tag with no entry when read expects nothing of it.
        let fresh = Expect::tag_unmoved(&read, &TagName::parse("other").unwrap());
        assert!(fresh.check(&moved, conflict()).is_ok());
        assert!(Expect::Anything.check(&moved, conflict()).is_ok());
    }
}
