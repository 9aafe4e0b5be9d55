//! Imports from external registries.

use super::{Expect, ImageStreams, ServiceError};
use crate::ops::import::{
    ImportResult, TagImport, apply_import, plan_import, plan_repository_import,
    plan_scheduled_import,
};
use crate::ports::{
    Attributes, Authorizer, Clock, ImageStore, Registry, Resource, StreamStore, Subject, Verb,
};
use crate::reference::{Digest, Namespace, StreamName};
use crate::stream::{Changes, ImageStream, ImageWrite};

/// What an import asked and what it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Imported {
    /// The tags asked of the registry, imported or failed.
    pub asked: Vec<TagImport>,
    /// What the stream write changed (nothing when every answer matched
    /// what the stream had, or every answer was dropped because its tag's
    /// spec moved meanwhile), and the images stored.
    pub changes: Changes,
}

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// Imports the tags the import controller would ask for now
    /// ([`plan_import`]): each is resolved through the [`Registry`], and
    /// the answers applied as the server does ([`apply_import`]); the
    /// images are stored once the stream write landed (none when it
    /// failed). A full import (a never-checked stream with
    /// `spec.dockerImageRepository`, [`plan_repository_import`]) also
    /// imports the repository's tags, as `oc import-image --all` does.
    /// Writes nothing when nothing changed.
    ///
    /// **Beyond OpenShift:** an answer is applied only to the spec it was
    /// planned for; when a user changed or removed the tag while the
    /// registry was asked, that answer is dropped (the next import plans
    /// again), never reverting the user's change (SPEC §13).
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
    ) -> Result<Imported, ServiceError> {
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
    ) -> Result<Imported, ServiceError> {
        self.run_import(subject, namespace, name, plan_scheduled_import, false)
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
    ) -> Result<Imported, ServiceError> {
        self.run_import(subject, namespace, name, plan, false)
    }

    fn run_import(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        plan: impl FnOnce(&ImageStream) -> Vec<TagImport>,
        with_repository: bool,
    ) -> Result<Imported, ServiceError> {
        self.authorize(
            &Attributes::new(subject, Verb::Create, Resource::ImageStreamImports)
                .in_namespace(namespace),
        )?;
        let stream = self.read(namespace, name)?.value;
        let requests = plan(&stream);
        let repository = if with_repository {
            plan_repository_import(&stream)
        } else {
            None
        };
        if requests.is_empty() && repository.is_none() {
            return Ok(Imported {
                asked: requests,
                changes: Changes::default(),
            });
        }
        let now = self.clock.now();
        let mut results = Vec::with_capacity(requests.len());
        if let Some((repo, policy)) = repository {
            // A failed listing leaves nothing to apply for the repository.
            let _ = self.import_repository(
                namespace,
                &repo,
                policy,
                crate::stream::ReferencePolicy::Source,
                now,
                &mut results,
            );
        }
        for request in requests {
            let answer = self.registry.resolve(&request.registry_request(namespace));
            let result = ImportResult::from_registry(&request.from, answer, now);
            results.push((request, result));
        }
        let ((), mut changes, _) =
            self.write(subject, namespace, name, &Expect::Anything, |is, ctx| {
                Ok(((), apply_import(is, &results, ctx)?))
            })?;
        // Store the images of the answers the stream kept, only now that
        // its write landed (or was not needed).
        let kept = self.store.get(namespace, name)?.value;
        changes
            .images_created
            .extend(self.store_kept_images(&kept, &results)?);
        Ok(Imported {
            asked: results.into_iter().map(|(r, _)| r).collect(),
            changes,
        })
    }

    /// Stores the images of the imported answers that `kept` (the stream
    /// as written) records in the answer's tag, by the content rule of
    /// [`ImageStore::put_image`]; returns the images created.
    pub(super) fn store_kept_images(
        &self,
        kept: &ImageStream,
        results: &[(TagImport, ImportResult)],
    ) -> Result<Vec<Digest>, ServiceError> {
        let mut created = Vec::new();
        for (request, result) in results {
            let ImportResult::Imported(image) = result else {
                continue;
            };
            let Ok(digest) = Digest::parse(&image.metadata.name) else {
                continue;
            };
            let tagged = kept
                .history(request.tag.as_str())
                .is_some_and(|h| h.iter().any(|e| e.has_image(&digest)));
            // The content rule (SPEC §13): a verified image replaces an
            // unverified one of the same name; see ImageStore::put_image.
            if tagged && self.store.put_image((**image).clone())? == ImageWrite::Created {
                created.push(digest);
            }
        }
        Ok(created)
    }
}
