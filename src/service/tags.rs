//! Tags: `oc tag`, tag deletion and rollback.

use super::{BadRequest, Expect, ImageStreams, ServiceError, TagFailure};
use crate::ops::tag::{TagCommand, TagOutcome, TagStep};
use crate::ports::{
    Attributes, Authorizer, Clock, ImageStore, Registry, Resource, StoreError, StreamStore,
    Subject, Verb,
};
use crate::reference::{IsTagName, Namespace, StreamName, TagName};
use crate::stream::{Changes, Hold, ImageStream, RollbackTarget, SpecContext, SpecTag};

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// Authorizes `update` on `imagestreamtags/<istag>`: what every verb
    /// that edits one tag asks first.
    pub(super) fn authorize_tag_update(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        istag: &str,
    ) -> Result<(), ServiceError> {
        self.authorize(
            &Attributes::new(subject, Verb::Update, Resource::ImageStreamTags)
                .in_namespace(namespace)
                .named(istag),
        )
    }

    /// One tag's edit: authorized as an update of `<name>:<tag>`, then
    /// written with the service's retries.
    pub(super) fn edit_tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        tag: &TagName,
        mut change: impl FnMut(&mut ImageStream, &SpecContext<'_>) -> Result<Changes, ServiceError>,
    ) -> Result<Changes, ServiceError> {
        self.authorize_tag_update(subject, namespace, &format!("{name}:{tag}"))?;
        let ((), changes, _) =
            self.write(subject, namespace, name, &Expect::Anything, |is, ctx| {
                Ok(((), change(is, ctx)?))
            })?;
        Ok(changes)
    }

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
    ) -> Result<Changes, ServiceError> {
        self.edit_tag(subject, namespace, name, tag, |is, ctx| {
            Ok(is.rollback(tag, target, ctx.now)?)
        })
    }

    /// [`rollback`](Self::rollback) and a hold on the tag in one write (see
    /// [`ImageStream::rollback_and_hold`]): the tag's policy and scheduled
    /// imports leave it alone until the hold is released or expires.
    ///
    /// # Errors
    ///
    /// As [`rollback`](Self::rollback).
    pub fn rollback_and_hold(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        tag: &TagName,
        target: &RollbackTarget,
        hold: &Hold,
    ) -> Result<Changes, ServiceError> {
        self.edit_tag(subject, namespace, name, tag, |is, ctx| {
            Ok(is.rollback_and_hold(tag, target, hold, ctx.now)?)
        })
    }

    /// Sets or (with `None`) releases the hold on a spec tag (see
    /// [`ImageStream::set_hold`]).
    ///
    /// # Errors
    ///
    /// Forbidden; not found (the stream, or a tag without spec tag).
    pub fn set_hold(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        tag: &TagName,
        hold: Option<&Hold>,
    ) -> Result<Changes, ServiceError> {
        self.edit_tag(subject, namespace, name, tag, |is, _| {
            is.set_hold(tag.as_str(), hold)
                .map_err(|e| ServiceError::NotFound {
                    resource: "imagestreamtags",
                    name: format!("{}:{}", e.stream, e.tag),
                })
        })
    }

    /// Deletes a tag (`oc tag -d`): spec and history; followers keep theirs.
    /// `istag` is strictly `<stream>:<tag>`, as the server's `DELETE
    /// imagestreamtags/<stream>:<tag>`: `app` and `app:` are refused, not
    /// read as `app:latest` (`oc tag -d app` sends `app:latest` itself).
    ///
    /// # Errors
    ///
    /// `ImageStreamTags must be retrieved with <name>:<tag>` (`BadRequest`),
    /// Forbidden, `imagestreamtags.image.openshift.io "<stream>:<tag>" not found`.
    pub fn delete_tag(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        istag: &str,
    ) -> Result<Changes, ServiceError> {
        // OAS `registry/imagestreamtag/rest.go` :: nameAndTag: the strict
        // `ParseImageStreamTagName`, any failure the one BadRequest below;
        // `app` and `app:` do not default to `app:latest` here.
        let parsed = IsTagName::parse(istag).map_err(BadRequest::IsTagName)?;
        self.authorize(
            &Attributes::new(subject, Verb::Delete, Resource::ImageStreamTags)
                .in_namespace(namespace)
                .named(istag),
        )?;
        let ((), changes, _) = self.write(
            subject,
            namespace,
            parsed.stream_name(),
            &Expect::Anything,
            |is, _| {
                let changes = is
                    .delete_tag(parsed.tag())
                    .map_err(|_| ServiceError::NotFound {
                        resource: "imagestreamtags",
                        name: parsed.to_string(),
                    })?;
                Ok(((), changes))
            },
        )?;
        Ok(changes)
    }

    /// `oc tag` (§18): completes `command` in the current `namespace`,
    /// pins an image stream tag source to its current image (reading the
    /// source stream as `subject`), validates, then sets or deletes each
    /// destination in order, creating a destination stream that does not
    /// exist. Returns what `oc` prints, one message per destination.
    ///
    /// Each destination is authorized (`update imagestreamtags`, and
    /// `create imagestreams` for a stream to create) before it is read, so
    /// a refusal never says whether the stream exists; a stream to create
    /// is created with its tag set in one write, so a refused tag (a
    /// tracking circle, an unresolvable source) leaves no stream behind.
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
                    self.set_or_create(subject, &namespace, &stream, &tag, &spec)?;
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

    /// One `oc tag` destination: authorized before anything is read; a
    /// missing stream is created with the tag already set, in one write.
    fn set_or_create(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        stream: &StreamName,
        tag: &TagName,
        spec: &SpecTag,
    ) -> Result<(), ServiceError> {
        self.authorize_tag_update(subject, namespace, &format!("{stream}:{tag}"))?;
        match self.store.get(namespace, stream) {
            Err(StoreError::NotFound { .. }) => {}
            Ok(_) => {
                return self
                    .set_spec_tag(subject, namespace, stream, tag, spec)
                    .map(drop);
            }
            Err(e) => return Err(e.into()),
        }
        self.authorize(
            &Attributes::new(subject, Verb::Create, Resource::ImageStreams).in_namespace(namespace),
        )?;
        let new = ImageStream::new(namespace.clone(), stream.clone()).map_err(BadRequest::Name)?;
        let new = self.prepared(subject, new, |is, ctx| {
            Ok(is.set_spec_tag(tag.clone(), spec.clone(), ctx)?)
        })?;
        match self.store.create(new) {
            Ok(_) => Ok(()),
            // Created meanwhile: set the tag on the stream that won.
            Err(StoreError::AlreadyExists { .. }) => self
                .set_spec_tag(subject, namespace, stream, tag, spec)
                .map(drop),
            Err(e) => Err(e.into()),
        }
    }
}
