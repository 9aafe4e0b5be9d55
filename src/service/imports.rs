//! Imports from external registries.

use super::{ImageStreams, ServiceError};
use crate::ops::import::{
    ImportResult, TagImport, apply_import, imported_image, plan_import, plan_scheduled_import,
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
    /// ([`apply_import`]). Returns the tags imported or failed; writes
    /// nothing when nothing changed.
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
        self.run_import(subject, namespace, name, plan_import)
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
        self.run_import(subject, namespace, name, plan_scheduled_import)
    }

    /// Imports the tags `plan` picks from the stream as stored: the
    /// controller's way to ask for several kinds of tags (spec changes,
    /// scheduled turns, retries) in one request per tag and one write.
    ///
    /// # Errors
    ///
    /// As [`import`](Self::import).
    pub fn import_planned(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        plan: impl FnOnce(&ImageStream) -> Vec<TagImport>,
    ) -> Result<Vec<TagImport>, ServiceError> {
        self.run_import(subject, namespace, name, plan)
    }

    fn run_import(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        plan: impl FnOnce(&ImageStream) -> Vec<TagImport>,
    ) -> Result<Vec<TagImport>, ServiceError> {
        self.authorize(
            subject,
            Verb::Create,
            Resource::ImageStreamImports,
            Some(namespace),
            Some(name.as_str()),
        )?;
        let requests = plan(&self.store.get(namespace, name)?.value);
        if requests.is_empty() {
            return Ok(requests);
        }
        let now = self.clock.now();
        let mut results = Vec::with_capacity(requests.len());
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
