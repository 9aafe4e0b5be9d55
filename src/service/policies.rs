//! Tag policies: what every policy of a stream would choose now (a CLI's
//! `--dry-run`), with the registry listed on the caller's behalf.

use std::collections::BTreeMap;

use super::{ImageStreams, ServiceError};
use crate::ops::policy::{Candidate, PolicyReport, dry_run, policy_repository};
use crate::ports::{
    Attributes, Authorizer, Clock, ImageStore, ImportRequest, Registry, Resource, StreamStore,
    Subject, Verb,
};
use crate::reference::{Namespace, StreamName};
use crate::stream::CandidateSource;

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// What every tag policy of a stream would choose now, and why the
    /// other candidates lost ([`dry_run`]); registry-candidate policies
    /// list their repository (at most `cap` tags, with the namespace's pull
    /// secrets). Writes nothing. A repository that cannot be listed is
    /// reported as having no candidates.
    ///
    /// # Errors
    ///
    /// Forbidden (reading the stream, or importing for registry
    /// candidates), not found.
    pub fn policy_dry_run(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        cap: usize,
    ) -> Result<Vec<PolicyReport>, ServiceError> {
        let stream = self.get(subject, namespace, name)?.value;
        let mut listed = BTreeMap::new();
        for (tag, spec) in stream.spec_tags() {
            let Some(policy) = stream.policy(tag.as_str()) else {
                continue;
            };
            if policy.candidates() != CandidateSource::Registry {
                continue;
            }
            let Some(repo) = policy_repository(&stream, tag.as_str()) else {
                continue;
            };
            self.authorize(
                &Attributes::new(subject, Verb::Create, Resource::ImageStreamImports)
                    .in_namespace(namespace)
                    .named(name.as_str()),
            )?;
            let request = ImportRequest::new(repo)
                .in_namespace(namespace.clone())
                .insecure(spec.import_policy().insecure)
                .import_mode(spec.import_policy().import_mode);
            if let Ok(list) = self.registry.list_tags(&request, cap) {
                let candidates: Vec<Candidate> =
                    list.tags.into_iter().map(Candidate::new).collect();
                listed.insert(tag.clone(), candidates);
            }
        }
        Ok(dry_run(&stream, &listed, self.clock.now()))
    }
}
