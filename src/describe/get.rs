//! `oc get is` and `oc get istag`: the table rows the server-side printers
//! build (OpenShift's `pkg/image/printers/internalversion/printer.go`),
//! and kubectl's table layout for them.

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
