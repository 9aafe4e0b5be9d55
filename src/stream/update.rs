//! A plain stream update by a user who may not write status (OpenShift's
//! status strategy, SPEC §13).

use super::ImageStream;
use super::changes::Changes;
use super::context::SpecContext;
use super::generation::SpecError;

impl ImageStream {
    /// Whether `other` has another status than this stream: tag histories
    /// (entries and conditions) or status repositories.
    #[must_use]
    pub fn status_differs(&self, other: &ImageStream) -> bool {
        self.histories != other.histories
            || self.status_repository != other.status_repository
            || self.public_repository != other.public_repository
    }

    /// OpenShift's update strategy for `PUT imagestreams` without the
    /// `imagestreams/status` subresource: `self` is the stored stream and
    /// `next` what the caller wants. `next`'s metadata (its generation
    /// aside), lookup policy, repository and history limit are taken; its
    /// spec tags go through [`update_spec`](Self::update_spec), which
    /// writes the events the spec change itself implies; every other
    /// status change in `next` (history entries, conditions, status
    /// repositories) is dropped.
    ///
    /// ```
    /// use imagestream::chrono::{TimeZone, Utc};
    /// use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
    /// use imagestream::stream::{ImageStream, SpecContext, TagEvent};
    ///
    /// let stored = ImageStream::new(Namespace::parse("test")?, StreamName::parse("app")?)?;
    /// let mut next = stored.clone();
    /// let image = Digest::of_sha256(b"elsewhere");
    /// let spec = ImageReference::parse(&format!("quay.io/other/app@{image}"))?;
    /// let at = Utc.with_ymd_and_hms(2017, 9, 29, 13, 40, 11).unwrap();
    /// next.add_event(&TagName::parse("latest")?, TagEvent::new(spec, Some(image), 1, at));
    /// next.set_annotation("note", "kept".into());
    ///
    /// let mut updated = stored.clone();
    /// updated.update_keeping_status(next, &SpecContext::new(at))?;
    /// assert!(updated.history("latest").is_none(), "the status change is dropped");
    /// assert_eq!(updated.metadata().annotations["note"], "kept");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`update_spec`](Self::update_spec); nothing is changed on error.
    pub fn update_keeping_status(
        &mut self,
        next: ImageStream,
        ctx: &SpecContext<'_>,
    ) -> Result<Changes, SpecError> {
        let mut out = self.clone();
        let generation = out.meta.generation;
        out.meta = next.meta;
        out.meta.generation = generation;
        out.api_version = next.api_version;
        out.lookup_local = next.lookup_local;
        out.docker_image_repository = next.docker_image_repository;
        out.history_limit = next.history_limit;
        let spec = next
            .spec_tags
            .iter()
            .map(|(t, s)| (t.clone(), s.clone()))
            .collect();
        let mut changes = out.update_spec(spec, ctx)?;
        changes.changed |= out != *self;
        *self = out;
        Ok(changes)
    }
}
