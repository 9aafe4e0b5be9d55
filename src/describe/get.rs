//! `oc get is` and `oc get istag`: the table rows the server-side printers
//! build (OpenShift's `pkg/image/printers/internalversion/printer.go`),
//! and kubectl's table layout for them.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::order::sort_status_tags;
use super::tabwriter::{Layout, TabWriter};
use super::units::human_duration;
use crate::api;
use crate::stream::{ImageStream, TagEvent};

/// The width `oc get is` budgets for its TAGS column.
pub const TAGS_WIDTH: usize = 40;

/// `printTagsUpToWidth`: the stream's status tags, newest first
/// ([`sort_status_tags`](super::sort_status_tags)), joined with `,`, as
/// many as fit in `width` columns (each tag costs its length plus one).
///
/// At least one tag is always shown. When a tag overflows, it is still
/// taken while more than a quarter of the width was left before it and
/// the line stays within 125% of `width`, so edges are less ragged. Hidden
/// tags are summarized as ` + N more...`.
///
/// ```
/// use imagestream::chrono::DateTime;
/// use imagestream::describe::tags_up_to_width;
/// use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
/// use imagestream::stream::{ImageStream, TagEvent};
///
/// let mut is = ImageStream::new(Namespace::parse("ns")?, StreamName::parse("app")?)?;
/// for (i, tag) in ["v1.0.0-alpha", "v1.0.0-beta", "v1.0.0-rc1", "v1.0.0"].iter().enumerate() {
///     let d = Digest::of_sha256(tag.as_bytes());
///     let spec = ImageReference::parse(&format!("quay.io/app@{d}"))?;
///     let created = DateTime::from_timestamp(1_700_000_000 + i as i64, 0).unwrap();
///     is.add_event(&TagName::parse(tag)?, TagEvent::new(spec, Some(d), 1, created));
/// }
/// assert_eq!(tags_up_to_width(&is, 40), "v1.0.0,v1.0.0-rc1,v1.0.0-beta + 1 more...");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn tags_up_to_width(stream: &ImageStream, width: usize) -> String {
    let mut tags: Vec<(&str, Option<DateTime<Utc>>)> = stream
        .histories()
        .map(|(tag, h)| (tag.as_str(), h.current().and_then(TagEvent::created)))
        .collect();
    sort_status_tags(&mut tags);
    // Go works in signed ints; widths here are far below isize::MAX.
    let budget = isize::try_from(width).unwrap_or(isize::MAX);
    let len = |t: &str| isize::try_from(t.len()).unwrap_or(isize::MAX);
    let mut remaining = budget;
    let mut shown = tags.len();
    for (i, (tag, _)) in tags.iter().enumerate() {
        remaining = remaining.saturating_sub(len(tag).saturating_add(1));
        if remaining >= 0 {
            continue;
        }
        if i == 0 {
            shown = 1;
            break;
        }
        let margin = budget / 4;
        if margin < remaining.saturating_add(len(tag)) && margin >= -remaining {
            continue;
        }
        shown = i;
        break;
    }
    let joined = tags[..shown]
        .iter()
        .map(|(t, _)| *t)
        .collect::<Vec<_>>()
        .join(",");
    match tags.len() - shown {
        0 => joined,
        hidden => format!("{joined} + {hidden} more..."),
    }
}

/// A row of `oc get is`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImageStreamRow {
    /// NAME.
    pub name: String,
    /// IMAGE REPOSITORY: the public repository when the stream has one,
    /// else the integrated registry's.
    pub image_repository: String,
    /// TAGS: [`tags_up_to_width`] with [`TAGS_WIDTH`].
    pub tags: String,
    /// UPDATED: `<age> ago` of the newest current entry; empty when no tag
    /// has one.
    pub updated: String,
}

impl ImageStreamRow {
    /// The row `oc get is` prints for `stream` at `now`.
    #[must_use]
    pub fn new(stream: &ImageStream, now: DateTime<Utc>) -> Self {
        let latest = stream
            .histories()
            .filter_map(|(_, h)| h.current().and_then(TagEvent::created))
            .max();
        let image_repository = [stream.public_repository(), stream.status_repository()]
            .into_iter()
            .find(|r| !r.is_empty())
            .unwrap_or_default();
        Self {
            name: stream.name().to_string(),
            image_repository: image_repository.to_owned(),
            tags: tags_up_to_width(stream, TAGS_WIDTH),
            updated: latest
                .map_or_else(String::new, |t| format!("{} ago", human_duration(now - t))),
        }
    }
}

/// A row of `oc get istag` (`-o wide` adds IMAGE NAME).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImageStreamTagRow {
    /// NAME: `stream:tag`.
    pub name: String,
    /// IMAGE REFERENCE: the image's `dockerImageReference`.
    pub image_reference: String,
    /// UPDATED: `<age> ago` of the tag's creation (its current entry's).
    pub updated: String,
    /// IMAGE NAME (wide only): the image's name, its digest.
    pub image_name: String,
}

impl ImageStreamTagRow {
    /// The row `oc get istag` prints for `istag` at `now`.
    #[must_use]
    pub fn new(istag: &api::ImageStreamTag, now: DateTime<Utc>) -> Self {
        // Go's zero time is 0001-01-01; its age saturates (see describe).
        let updated = istag
            .metadata
            .creation_timestamp
            .map_or_else(super::go_max_duration, |t| now - t);
        Self {
            name: istag.metadata.name.clone(),
            image_reference: istag.image.docker_image_reference.clone(),
            updated: format!("{} ago", human_duration(updated)),
            image_name: istag.image.metadata.name.clone(),
        }
    }
}

/// Lays out a table the way kubectl does: upper-case headers, columns
/// separated by at least three spaces, the last column unpadded.
fn table<'a>(headers: &[&str], rows: impl IntoIterator<Item = Vec<&'a str>>) -> String {
    let mut out = TabWriter::with_layout(Layout::TABLE, 256);
    out.push_str(&headers.join("\t"));
    out.push('\n');
    for row in rows {
        out.push_str(&row.join("\t"));
        out.push('\n');
    }
    out.finish()
}

/// `oc get is` for `streams`, in the order given.
///
/// ```
/// use imagestream::chrono::Utc;
/// use imagestream::describe::get_image_streams;
/// use imagestream::reference::{Namespace, StreamName};
/// use imagestream::stream::ImageStream;
///
/// let mut is = ImageStream::new(Namespace::parse("ns")?, StreamName::parse("python")?)?;
/// is.set_repositories("172.30.1.1:5000/ns/python".into(), String::new());
/// assert_eq!(
///     get_image_streams([&is], Utc::now()),
///     "NAME     IMAGE REPOSITORY            TAGS   UPDATED\n\
///      python   172.30.1.1:5000/ns/python          \n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn get_image_streams<'a>(
    streams: impl IntoIterator<Item = &'a ImageStream>,
    now: DateTime<Utc>,
) -> String {
    let rows: Vec<ImageStreamRow> = streams
        .into_iter()
        .map(|s| ImageStreamRow::new(s, now))
        .collect();
    table(
        &["NAME", "IMAGE REPOSITORY", "TAGS", "UPDATED"],
        rows.iter()
            .map(|r| vec![r.name.as_str(), &r.image_repository, &r.tags, &r.updated]),
    )
}

/// `oc get istag` (with `wide`, `oc get istag -o wide`) for `istags`, in
/// the order given.
#[must_use]
pub fn get_image_stream_tags<'a>(
    istags: impl IntoIterator<Item = &'a api::ImageStreamTag>,
    now: DateTime<Utc>,
    wide: bool,
) -> String {
    let rows: Vec<ImageStreamTagRow> = istags
        .into_iter()
        .map(|t| ImageStreamTagRow::new(t, now))
        .collect();
    let mut headers = vec!["NAME", "IMAGE REFERENCE", "UPDATED"];
    if wide {
        headers.push("IMAGE NAME");
    }
    table(
        &headers,
        rows.iter().map(|r| {
            let mut cells = vec![r.name.as_str(), &r.image_reference, &r.updated];
            if wide {
                cells.push(&r.image_name);
            }
            cells
        }),
    )
}

/// A row of `oc get imagetag` (`printImageTag`, OAS
/// `pkg/image/printers/internalversion/printer.go`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImageTagRow {
    /// NAME: `stream:tag`.
    pub name: String,
    /// SPEC: `Tag` (an external or pinned source), `Ref` (a reference),
    /// `Scheduled`, `Track` (follows a tag of this stream, a name without
    /// `:`), `Push` (a status without a spec, or a status newer than the
    /// spec), or empty (a spec tag without a source).
    pub spec: String,
    /// STATUS: `Importing` (the current entry is older than the spec),
    /// `ImportFailed (<reason>)`, `InvalidRefKind`, `InvalidRefName`, or
    /// else the source: `image/<id>` of the current entry, its pull spec
    /// when it has no image, or the spec's source (`istag/<name>`,
    /// `istag <ns>/<name>`, `image/<id>`, a pull spec).
    pub status: String,
    /// HISTORY: the number of history entries; empty when there are none.
    pub history: String,
    /// UPDATED: `<age> ago` of the current entry or of the newest
    /// condition change, whichever is later; empty when neither exists.
    pub updated: String,
}

impl ImageTagRow {
    /// The row `oc get imagetag` prints for `itag` at `now`.
    #[must_use]
    pub fn new(itag: &api::ImageTag, now: DateTime<Utc>) -> Self {
        let mut generation = 0;
        let mut source = String::new();
        let mut status = String::new();
        let mut spec = String::new();
        if let Some(s) = &itag.spec {
            if s.import_policy.scheduled {
                "Scheduled"
            } else if s.reference {
                "Ref"
            } else {
                "Tag"
            }
            .clone_into(&mut spec);
            generation = s.generation.unwrap_or(0);
            match &s.from {
                None => spec.clear(),
                Some(from) => match from.kind.as_str() {
                    "DockerImage" => source.clone_from(&from.name),
                    "ImageStreamImage" => match from.name.split_once('@') {
                        Some((_, id)) => source = format!("image/{id}"),
                        None => "InvalidRefName".clone_into(&mut status),
                    },
                    "ImageStreamTag" => {
                        source = if from.namespace.is_empty() {
                            format!("istag/{}", from.name)
                        } else {
                            format!("istag {}/{}", from.namespace, from.name)
                        };
                        // Same-stream tags named without `:` are tracking tags.
                        if !from.name.contains(':') {
                            "Track".clone_into(&mut spec);
                        }
                    }
                    _ => "InvalidRefKind".clone_into(&mut status),
                },
            }
        }
        let mut count = 0;
        let mut updated = String::new();
        if let Some(st) = &itag.status {
            count = st.items.len();
            let mut last = None;
            if let Some(event) = st.items.first() {
                last = event.created;
                if generation > 0 && event.generation > 0 && event.generation < generation {
                    "Importing".clone_into(&mut status);
                } else if !event.image.is_empty() {
                    source = format!("image/{}", event.image);
                } else if !event.docker_image_reference.is_empty() {
                    source.clone_from(&event.docker_image_reference);
                }
                // No spec: a push. A status newer than the spec (tracking
                // tags aside, whose generations are not their own): the tag
                // was reset or pushed to.
                let pushed = (!source.is_empty() && spec.is_empty())
                    || (spec != "Track"
                        && generation > 0
                        && event.generation > 0
                        && event.generation > generation);
                if pushed {
                    "Push".clone_into(&mut spec);
                }
            }
            for c in &st.conditions {
                if c.type_ == "ImportSuccess" && c.status == "False" {
                    status = format!("ImportFailed ({})", c.reason);
                }
                if let Some(t) = c.last_transition_time
                    && last.is_none_or(|l| t > l)
                {
                    last = Some(t);
                }
            }
            if let Some(t) = last {
                updated = format!("{} ago", human_duration(now - t));
            }
        }
        if status.is_empty() {
            status = source;
        }
        Self {
            name: itag.metadata.name.clone(),
            spec,
            status,
            history: if count > 0 {
                count.to_string()
            } else {
                String::new()
            },
            updated,
        }
    }
}

/// `oc get imagetag` for `itags`, in the order given (the server lists
/// them by stream, then tag: [`ImageStream::image_tags`]).
///
/// ```
/// use imagestream::chrono::Utc;
/// use imagestream::describe::get_image_tags;
/// use imagestream::reference::{ImageReference, Namespace, StreamName, TagName};
/// use imagestream::stream::{ImageStream, SpecContext, SpecTag, TagSource};
///
/// let mut is = ImageStream::new(Namespace::parse("ns")?, StreamName::parse("python")?)?;
/// let from = ImageReference::parse("docker.io/python:3.6")?;
/// is.set_spec_tag(TagName::parse("3.6")?, SpecTag::new(TagSource::DockerImage(from)), &SpecContext::new(Utc::now()))?;
/// assert_eq!(
///     get_image_tags(&is.image_tags(), Utc::now()),
///     "NAME         SPEC   STATUS                 HISTORY   UPDATED\n\
///      python:3.6   Tag    docker.io/python:3.6             \n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn get_image_tags<'a>(
    itags: impl IntoIterator<Item = &'a api::ImageTag>,
    now: DateTime<Utc>,
) -> String {
    let rows: Vec<ImageTagRow> = itags
        .into_iter()
        .map(|t| ImageTagRow::new(t, now))
        .collect();
    table(
        &["NAME", "SPEC", "STATUS", "HISTORY", "UPDATED"],
        rows.iter()
            .map(|r| vec![r.name.as_str(), &r.spec, &r.status, &r.history, &r.updated]),
    )
}

/// `oc set image-lookup` with no names (or `--list`): a `NAME LOCAL`
/// table of `streams`, in the order given. `oc` aligns it with its own
/// tabwriter (`NewWriter(out, 0, 2, 2, ' ', 0)`): each column as wide as
/// its widest cell plus two spaces, the last unpadded.
///
/// ```
/// use imagestream::describe::get_image_lookups;
/// use imagestream::reference::{Namespace, StreamName};
/// use imagestream::stream::ImageStream;
///
/// let ns = Namespace::parse("ns")?;
/// let mut python = ImageStream::new(ns.clone(), StreamName::parse("python")?)?;
/// python.set_lookup_local(true);
/// let mysql = ImageStream::new(ns, StreamName::parse("mysql")?)?;
/// assert_eq!(get_image_lookups([&mysql, &python]), "NAME    LOCAL\nmysql   false\npython  true\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn get_image_lookups<'a>(streams: impl IntoIterator<Item = &'a ImageStream>) -> String {
    let rows: Vec<(&str, bool)> = streams
        .into_iter()
        .map(|s| (s.name().as_str(), s.lookup_local()))
        .collect();
    let width = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .chain(std::iter::once("NAME".len()))
        .max()
        .unwrap_or(0)
        + 2;
    let mut out = format!("{:<width$}LOCAL\n", "NAME");
    for (name, local) in rows {
        // Writing into a String cannot fail.
        let _ = writeln!(out, "{name:<width$}{local}");
    }
    out
}
