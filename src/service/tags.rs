//! Tags: `oc tag`, tag deletion and rollback.

use super::{ImageStreams, ServiceError, TagFailure};
use crate::ops::tag::{TagCommand, TagOutcome, TagStep};
use crate::ports::{
    Authorizer, Clock, ImageStore, Registry, Resource, StoreError, StreamStore, Subject, Verb,
};
use crate::reference::{IsTagName, Namespace, StreamName, TagName};
use crate::stream::{ImageStream, RollbackTarget, SpecChanges};

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// Rolls a tag back to an older entry of its history (see
    /// [`ImageStream::rollback`]).
    ///
    /// # Errors
    ///
    /// Forbidden, not found, the rollback's errors.
    pub fn rollback(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        tag: &TagName,
        target: &RollbackTarget,
    ) -> Result<SpecChanges, ServiceError> {
        self.authorize(
            subject,
            Verb::Update,
            Resource::ImageStreamTags,
            Some(namespace),
            Some(&format!("{name}:{tag}")),
        )?;
        let (changes, _) = self.modify(subject, namespace, name, |is, ctx| {
            Ok(is.rollback(tag, target, ctx.now)?)
        })?;
        Ok(changes)
    }

    /// Deletes a tag (`oc tag -d`): spec and history; followers keep theirs.
    ///
    /// # Errors
    ///
    /// Forbidden, `imagestreamtags.image.openshift.io "<stream>:<tag>" not found`.
    pub fn delete_tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        istag: &str,
    ) -> Result<(), ServiceError> {
        let parsed =
            IsTagName::parse_lenient(istag).map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        self.authorize(
            subject,
            Verb::Delete,
            Resource::ImageStreamTags,
            Some(namespace),
            Some(istag),
        )?;
        self.modify(subject, namespace, parsed.stream_name(), |is, _| {
            is.delete_tag(parsed.tag())
                .map_err(|_| ServiceError::NotFound {
                    resource: "imagestreamtags",
                    name: parsed.to_string(),
                })
        })?;
        Ok(())
    }

    /// `oc tag` (§18): completes `command` in the current `namespace`,
    /// pins an image stream tag source to its current image (reading the
    /// source stream as `subject`), validates, then sets or deletes each
    /// destination in order, creating a destination stream that does not
    /// exist. Returns what `oc` prints, one message per destination.
    ///
    /// ```
    /// use imagestream::ops::tag::TagCommand;
    /// use imagestream::ports::Subject;
    /// use imagestream::reference::Namespace;
    /// use imagestream::service::ImageStreams;
    ///
    /// let service = ImageStreams::in_memory();
    /// let admin = Subject::system_admin();
    /// let ns = Namespace::parse("default")?;
    /// let done = service.tag(&admin, &ns, &TagCommand::new(["docker.io/python:3.6.0", "python:3.6"]))?;
    /// assert_eq!(done[0].to_string(), "Tag python:3.6 set to docker.io/python:3.6.0.");
    /// let done = service.tag(&admin, &ns, &TagCommand::new(["python:3.6"]).delete(true))?;
    /// assert_eq!(done[0].to_string(), "Deleted tag default/python:3.6.");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The first error, with the messages of the destinations done before
    /// it: `oc`'s argument and flag errors ([`TagError`](crate::ops::tag::TagError)), Forbidden, not
    /// found, field errors.
    pub fn tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        command: &TagCommand,
    ) -> Result<Vec<TagOutcome>, TagFailure> {
        let mut done = Vec::new();
        match self.run_tag(subject, namespace, command, &mut done) {
            Ok(()) => Ok(done),
            Err(error) => Err(TagFailure { done, error }),
        }
    }

    fn run_tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        command: &TagCommand,
        done: &mut Vec<TagOutcome>,
    ) -> Result<(), ServiceError> {
        let mut completed = command.complete(namespace)?;
        if let Some((ns, name)) = completed.source_stream() {
            let source = self.get(subject, &ns, &name)?;
            completed.pin(&source.value)?;
        }
        completed.validate()?;
        for step in completed.steps() {
            match step? {
                TagStep::Set {
                    namespace,
                    stream,
                    tag,
                    spec,
                    outcome,
                } => {
                    if let Err(StoreError::NotFound { .. }) = self.store.get(&namespace, &stream) {
                        let new = ImageStream::new(namespace.clone(), stream.clone())
                            .map_err(|e| ServiceError::BadRequest(e.to_string()))?;
                        match self.create(subject, new) {
                            Ok(_) | Err(ServiceError::AlreadyExists { .. }) => {}
                            Err(e) => return Err(e),
                        }
                    }
                    self.set_spec_tag(subject, &namespace, &stream, &tag, &spec)?;
                    done.push(outcome);
                }
                TagStep::Delete {
                    namespace,
                    stream,
                    tag,
                    outcome,
                } => {
                    self.delete_tag(subject, &namespace, &format!("{stream}:{tag}"))?;
                    done.push(outcome);
                }
            }
        }
        Ok(())
    }
}
