//! Imports from external registries.

use super::{ImageStreams, ServiceError};
use crate::ops::import::{
    ImportResult, TagImport, apply_import, imported_image, plan_import, plan_repository_import,
    plan_scheduled_import,
};
use crate::ports::{
    Authorizer, Clock, ImageStore, ImportRequest, Registry, Resource, StreamStore, Subject, Verb,
};
use crate::reference::{Namespace, StreamName};
use crate::stream::ImageStream;

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// Imports the tags the import controller would ask for now
    /// ([`plan_import`]): each is resolved through the [`Registry`], the
    /// images are stored, and the answers applied as the server does
    /// ([`apply_import`]). A full import (a never-checked stream with
    /// `spec.dockerImageRepository`, [`plan_repository_import`]) also
    /// imports the repository's tags, as `oc import-image --all` does.
    /// Returns the tags imported or failed; writes nothing when nothing
    /// changed.
    ///
    /// # Errors
    ///
    /// Forbidden (`create imagestreamimports`), not found, a refused spec
    /// change, a conflict the retries did not resolve, a store failure.
    /// Registry failures are not errors: they become conditions.
    pub fn import(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
    ) -> Result<Vec<TagImport>, ServiceError> {
        self.run_import(subject, namespace, name, plan_import, true)
    }

    /// The scheduled import of a stream (§15.2): every scheduled tag is
    /// asked for again; an unchanged answer writes nothing.
    ///
    /// # Errors
    ///
    /// As [`import`](Self::import).
    pub fn import_scheduled(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
    ) -> Result<Vec<TagImport>, ServiceError> {
        self.run_import(subject, namespace, name, plan_scheduled_import, false)
    }

    fn run_import(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        plan: fn(&ImageStream) -> Vec<TagImport>,
        with_repository: bool,
    ) -> Result<Vec<TagImport>, ServiceError> {
        self.authorize(
            subject,
            Verb::Create,
            Resource::ImageStreamImports,
            Some(namespace),
            Some(name.as_str()),
        )?;
        let stream = self.read(namespace, name)?.value;
        let requests = plan(&stream);
        let repository = if with_repository {
            plan_repository_import(&stream)
        } else {
            None
        };
        if requests.is_empty() && repository.is_none() {
            return Ok(requests);
        }
        let now = self.clock.now();
        let mut results = Vec::with_capacity(requests.len());
        if let Some((repo, policy)) = repository {
            // A failed listing leaves nothing to apply for the repository.
            let _ = self.import_repository(
                &repo,
                policy,
                crate::stream::ReferencePolicy::Source,
                now,
                &mut results,
            );
            for (_, result) in &results {
                if let ImportResult::Imported(image) = result {
                    self.store.create_image_if_absent((**image).clone())?;
                }
            }
        }
        for request in requests {
            let ask = ImportRequest {
                reference: request.from.clone(),
                insecure: request.import_policy.insecure,
                import_mode: request.import_policy.import_mode,
            };
            let result = match self.registry.resolve(&ask) {
                Ok(found) => {
                    let image = imported_image(
                        &request.from,
                        &found.digest,
                        &found.media_type,
                        found.layers,
                        found.config,
                        found.manifests,
                        now,
                    );
                    self.store.create_image_if_absent(image.clone())?;
                    ImportResult::Imported(Box::new(image))
                }
                Err(e) => ImportResult::Failed {
                    reason: e.reason().to_owned(),
                    message: e.to_string(),
                },
            };
            results.push((request, result));
        }
        self.modify_if(subject, namespace, name, |is, ctx| {
            Ok(((), apply_import(is, &results, ctx)?))
        })?;
        Ok(results.into_iter().map(|(r, _)| r).collect())
    }
}
