//! Tag policies, on schedule: list the candidates (registry or the
//! stream's own tags), choose, and pin the choice with
//! [`ops::policy::pin`](crate::ops::policy::pin). Held tags are skipped.

use chrono::{DateTime, Utc};

use crate::ops::policy::{Candidate, choose, pin, policy_repository, stream_candidates};
use crate::ports::{
    Authorizer, Clock, ImageStore, ImportRequest, ImportedImage, Registry, StreamStore,
};
use crate::reference::{ImageReference, TagName};
use crate::stream::{CandidateSource, ImageStream, Platform, PolicyOrder, SpecContext};

use super::{Controller, StreamKey, TickReport};

/// The platforms an image offers: a manifest list's entries, or the one
/// architecture of an image's config (Docker metadata names no OS; Linux
/// is assumed, as OpenShift does).
fn platforms(image: &ImportedImage) -> Vec<Platform> {
    if !image.manifests.is_empty() {
        return image
            .manifests
            .iter()
            .filter_map(|m| {
                let text = if m.variant.is_empty() {
                    format!("{}/{}", m.os, m.architecture)
                } else {
                    format!("{}/{}/{}", m.os, m.architecture, m.variant)
                };
                Platform::parse(&text).ok()
            })
            .collect();
    }
    image
        .config
        .as_ref()
        .and_then(|c| Platform::parse(&format!("linux/{}", c.architecture)).ok())
        .into_iter()
        .collect()
}

impl<S, R, A, C> Controller<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// Evaluates every policy of a stream and pins what changed; errors
    /// go into the report (the stream's imports still run).
    pub(super) fn evaluate_policies(
        &mut self,
        key: &StreamKey,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) {
        let Ok(stored) = self.service.store().get(&key.namespace, &key.name) else {
            return;
        };
        let is = &stored.value;
        let mut choices: Vec<(TagName, Candidate)> = Vec::new();
        for (tag, _) in is.spec_tags() {
            let Some(policy) = is.policy(tag.as_str()) else {
                continue;
            };
            if is.hold(tag.as_str()).is_some_and(|h| h.is_active(now)) {
                continue;
            }
            let chosen = match policy.candidates() {
                CandidateSource::Stream => {
                    choose(&policy, &stream_candidates(is, tag.as_str())).cloned()
                }
                CandidateSource::Registry => self.registry_choice(is, tag, &policy, key, report),
            };
            if let Some(c) = chosen {
                choices.push((tag.clone(), c));
            }
        }
        if choices.is_empty() {
            return;
        }
        let pinned = self
            .service
            .update(&self.subject, &key.namespace, &key.name, |is| {
                let ctx = SpecContext::new(now);
                let mut messages = Vec::new();
                for (tag, c) in &choices {
                    if let Some((p, _)) = pin(is, tag, c, &ctx, now)? {
                        messages.push(p.to_string());
                    }
                }
                Ok(messages)
            });
        match pinned {
            Ok((messages, _)) => report.pinned.extend(messages),
            Err(e) => report
                .policy_errors
                .push(format!("{}/{}: {e}", key.namespace, key.name)),
        }
    }

    /// A registry-candidate policy's choice: list the repository's tags (up
    /// to the cap), resolve them when the order or a platform needs what
    /// only the image knows, else resolve only the winner.
    fn registry_choice(
        &self,
        is: &ImageStream,
        tag: &TagName,
        policy: &crate::stream::TagPolicy,
        key: &StreamKey,
        report: &mut TickReport,
    ) -> Option<Candidate> {
        let repo = policy_repository(is, tag.as_str())?;
        let spec = is.spec_tag(tag.as_str())?;
        let request = |r: ImageReference| {
            ImportRequest::new(r)
                .in_namespace(key.namespace.clone())
                .insecure(spec.import_policy().insecure)
                .import_mode(spec.import_policy().import_mode)
        };
        let registry = self.service.registry();
        let fail = |report: &mut TickReport, what: String| {
            report
                .policy_errors
                .push(format!("{}/{}:{tag}: {what}", key.namespace, key.name));
        };
        report.requests += 1;
        let listed = match registry.list_tags(&request(repo.clone()), self.config.policy_tags) {
            Ok(l) => l,
            Err(e) => {
                fail(report, e.to_string());
                return None;
            }
        };
        let resolve = |report: &mut TickReport, t: &str| {
            report.requests += 1;
            let r = ImageReference::parse(&format!("{}:{t}", repo.as_str())).ok()?;
            registry.resolve(&request(r)).ok()
        };
        if listed.truncated {
            fail(
                report,
                format!(
                    "{} has more than {} tags; chose among the first {}",
                    repo.as_str(),
                    self.config.policy_tags,
                    self.config.policy_tags
                ),
            );
        }
        let mut candidates: Vec<Candidate> = listed.tags.into_iter().map(Candidate::new).collect();
        let details = matches!(policy.order(), PolicyOrder::Newest) || policy.platform().is_some();
        if details {
            for c in &mut candidates {
                if let Some(image) = resolve(report, &c.tag) {
                    c.created = image.config.as_ref().and_then(|m| m.created);
                    c.platforms = platforms(&image);
                    c.image = Some(image.digest);
                }
            }
        }
        let mut best = choose(policy, &candidates).cloned()?;
        if best.image.is_none() {
            let Some(image) = resolve(report, &best.tag) else {
                fail(
                    report,
                    format!("the chosen tag {} did not resolve", best.tag),
                );
                return None;
            };
            best.image = Some(image.digest);
        }
        Some(best)
    }
}
