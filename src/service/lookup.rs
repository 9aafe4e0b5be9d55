//! `oc set image-lookup` and the local name resolution that uses it.

use std::fmt;

use super::{Expect, ImageStreams, ServiceError};
use crate::describe::get_image_lookups;
use crate::ports::{
    Attributes, Authorizer, Clock, ImageStore, Registry, Resource, StoreError, StreamStore,
    Subject, Verb,
};
use crate::reference::{Namespace, StreamName};
use crate::stream::local_name;

/// What `oc set image-lookup NAME` did to one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImageLookupUpdate {
    /// The stream.
    pub stream: StreamName,
    /// Whether `spec.lookupPolicy.local` changed (`oc` prints its line
    /// only then).
    pub changed: bool,
}

impl fmt::Display for ImageLookupUpdate {
    /// `oc`'s line: `imagestream.image.openshift.io/<name> image lookup
    /// updated`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "imagestream.image.openshift.io/{} image lookup updated",
            self.stream
        )
    }
}

impl<S, R, A, C> ImageStreams<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// `oc set image-lookup NAME` (`enabled`) and `oc set image-lookup NAME
    /// --enabled=false`: sets or clears `spec.lookupPolicy.local`. An
    /// unchanged stream is not written.
    ///
    /// ```
    /// use imagestream::ports::Subject;
    /// use imagestream::reference::{Namespace, StreamName};
    /// use imagestream::service::ImageStreams;
    /// use imagestream::stream::ImageStream;
    ///
    /// let service = ImageStreams::in_memory();
    /// let admin = Subject::system_admin();
    /// let ns = Namespace::parse("test")?;
    /// let mysql = StreamName::parse("mysql")?;
    /// service.create(&admin, ImageStream::new(ns.clone(), mysql.clone())?)?;
    /// let done = service.set_image_lookup(&admin, &ns, &mysql, true)?;
    /// assert_eq!(done.to_string(), "imagestream.image.openshift.io/mysql image lookup updated");
    /// assert!(!service.set_image_lookup(&admin, &ns, &mysql, true)?.changed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Forbidden (`update imagestreams`), not found, a conflict, a store
    /// failure.
    pub fn set_image_lookup(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        name: &StreamName,
        enabled: bool,
    ) -> Result<ImageLookupUpdate, ServiceError> {
        self.authorize(
            &Attributes::new(subject, Verb::Update, Resource::ImageStreams)
                .in_namespace(namespace)
                .named(name.as_str()),
        )?;
        let ((), changes, _) =
            self.write(subject, namespace, name, &Expect::Anything, |is, _| {
                Ok(((), is.set_lookup_local(enabled)))
            })?;
        Ok(ImageLookupUpdate {
            stream: name.clone(),
            changed: changes.changed(),
        })
    }

    /// `oc set image-lookup` with no names: the `NAME LOCAL` table of the
    /// namespace's streams ([`get_image_lookups`]).
    ///
    /// # Errors
    ///
    /// Forbidden (`list imagestreams`), a store failure.
    pub fn image_lookups(
        &self,
        subject: &Subject,
        namespace: &Namespace,
    ) -> Result<String, ServiceError> {
        self.authorize(
            &Attributes::new(subject, Verb::List, Resource::ImageStreams).in_namespace(namespace),
        )?;
        let mut streams = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.read_list(namespace, None, token.as_deref())?;
            streams.extend(page.items.into_iter().map(|s| s.value));
            match page.continue_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        Ok(get_image_lookups(&streams))
    }

    /// The image a pod in `namespace` gets for its `image` field (the
    /// image policy admission's local name resolution): a local name such
    /// as `python:3.6` resolves through the stream `python` of the
    /// namespace when its lookup policy is local, or when the workload
    /// carries [`RESOLVE_NAMES_ANNOTATION`](crate::stream::RESOLVE_NAMES_ANNOTATION)
    /// (`forced`). `None` leaves the image as written: an image by id, a
    /// name that is not local, a stream that does not resolve local names,
    /// a missing stream or tag (see
    /// [`ImageStream::resolve_local_name`](crate::stream::ImageStream::resolve_local_name)
    /// for the reasons).
    ///
    /// # Errors
    ///
    /// Forbidden (`get imagestreams`), a store failure.
    pub fn resolve_pod_image(
        &self,
        subject: &Subject,
        namespace: &Namespace,
        image: &str,
        forced: bool,
    ) -> Result<Option<String>, ServiceError> {
        let Ok(Some((ns, stream, tag))) = local_name(image, forced) else {
            return Ok(None);
        };
        let ns = match ns {
            None => namespace.clone(),
            Some(n) => match Namespace::parse(&n) {
                Ok(n) => n,
                Err(_) => return Ok(None),
            },
        };
        let Ok(stream) = StreamName::parse(&stream) else {
            return Ok(None);
        };
        self.authorize(
            &Attributes::new(subject, Verb::Get, Resource::ImageStreams)
                .in_namespace(&ns)
                .named(stream.as_str()),
        )?;
        match self.read(&ns, &stream) {
            Ok(stored) => Ok(stored.value.resolve_local_name(&tag, forced).ok()),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
