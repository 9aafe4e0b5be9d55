//! What an import or a write did, read back from the stream. These are the
//! controller's only guesses about the service's results, kept small so
//! they can give way to the service's own outcome types.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::api::TagEventCondition;
use crate::ops::import::{IMPORT_SUCCESS, TagImport, tag_importable};
use crate::reference::TagName;
use crate::stream::ImageStream;
use crate::stream::TagSource;

/// The condition type the controller writes on a tag whose import is
/// waiting for a retry.
pub const IMPORT_BACKOFF: &str = "ImportBackoff";

/// A fingerprint of every tag's current image: two versions of a stream
/// with the same fingerprint have the same tags on the same images, so no
/// trigger can fire between them.
pub(crate) fn current_images(stream: &ImageStream) -> u64 {
    let mut h = DefaultHasher::new();
    for (tag, history) in stream.histories() {
        if let Some(current) = history.current() {
            tag.as_str().hash(&mut h);
            current.pull_spec().as_str().hash(&mut h);
            current.image_str().hash(&mut h);
        }
    }
    h.finish()
}

/// One tag whose last import failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) tag: TagName,
    pub(crate) reason: String,
    pub(crate) message: String,
    pub(crate) retry_after: Option<Duration>,
}

/// The importable tags of `stream` whose `ImportSuccess` is `False`.
pub(crate) fn failures(stream: &ImageStream) -> Vec<Failure> {
    stream
        .spec_tags()
        .filter(|(_, spec)| tag_importable(spec))
        .filter_map(|(tag, _)| {
            let c = stream
                .history(tag.as_str())?
                .conditions()
                .iter()
                .find(|c| c.type_ == IMPORT_SUCCESS && c.status == "False")?;
            Some(Failure {
                tag: tag.clone(),
                reason: c.reason.clone(),
                message: c.message.clone(),
                retry_after: retry_after(&c.reason, &c.message),
            })
        })
        .collect()
}

/// The retry's request: every importable tag whose last import failed.
pub(crate) fn plan_retry(stream: &ImageStream) -> Vec<TagImport> {
    let failed: Vec<TagName> = failures(stream).into_iter().map(|f| f.tag).collect();
    stream
        .spec_tags()
        .filter(|(tag, _)| failed.contains(tag))
        .filter_map(|(tag, spec)| match spec.source() {
            Some(TagSource::DockerImage(from)) => Some(TagImport {
                tag: tag.clone(),
                from: from.clone(),
                import_policy: spec.import_policy(),
                reference_policy: spec.reference_policy(),
                planned_for: Some(spec.clone()),
            }),
            _ => None,
        })
        .collect()
}

/// The `Retry-After` a rate-limited registry gave, as the condition's
/// message carries it (`…, retry after 30s`).
pub(crate) fn retry_after(reason: &str, message: &str) -> Option<Duration> {
    if reason != "TooManyRequests" {
        return None;
    }
    let (_, secs) = message.rsplit_once("retry after ")?;
    secs.strip_suffix('s')?
        .parse()
        .ok()
        .map(Duration::from_secs)
}

/// Records on each failed tag when it is asked for again, beside its
/// `ImportSuccess=False` (same generation, so `needsImport` is unmoved).
/// Returns whether anything changed.
pub(crate) fn mark_backoff(
    stream: &mut ImageStream,
    failed: &[Failure],
    failures_in_a_row: u32,
    retry_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    let mut changed = false;
    for f in failed {
        let history = stream.history_or_default(&f.tag);
        let generation = history
            .conditions
            .iter()
            .find(|c| c.type_ == IMPORT_SUCCESS)
            .map_or(0, |c| c.generation);
        let condition = TagEventCondition {
            type_: IMPORT_BACKOFF.into(),
            status: "True".into(),
            last_transition_time: Some(now),
            reason: if f.retry_after.is_some() {
                "RetryAfter".into()
            } else {
                "Backoff".into()
            },
            message: format!(
                "import failed {failures_in_a_row} time(s) in a row; next attempt at {}",
                retry_at.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
            generation,
        };
        history.conditions.retain(|c| c.type_ != IMPORT_BACKOFF);
        history.conditions.push(condition);
        changed = true;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_from_rate_limit_messages_only() {
        let e = crate::ports::RegistryError::RateLimited {
            retry_after: Some(Duration::from_secs(30)),
        };
        assert_eq!(
            retry_after(e.reason(), &e.to_string()),
            Some(Duration::from_secs(30))
        );
        let e = crate::ports::RegistryError::RateLimited { retry_after: None };
        assert_eq!(retry_after(e.reason(), &e.to_string()), None);
        assert_eq!(retry_after("NotFound", "retry after 3s"), None);
        assert_eq!(retry_after("TooManyRequests", "retry after xs"), None);
    }
}
