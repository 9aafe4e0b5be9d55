//! What `oc import-image` prints (oc `pkg/cli/importimage/importimage.go`,
//! `Run`).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{Style, describe_image, describe_image_stream};
use crate::api;
use crate::ops::import_image::was_error;
use crate::reference::join_image_stream_tag;
use crate::stream::ImageStream;

/// `oc import-image`'s output: what goes to stdout and to stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportImageOutput {
    /// `imagestream.image.openshift.io/<name> imported[ with errors][ (dry
    /// run)]`, a blank line, the stream described (when the import wrote
    /// it), each imported image described, and the repository's
    /// additional tags.
    pub stdout: String,
    /// One `error: tag <tag> failed: <message>` (or `error: repository tag
    /// …`) line per failed image.
    pub stderr: String,
}

/// What `oc import-image` prints for the server's answer `isi` (`Run`):
/// the stream is described from `status.import` (absent on a dry run),
/// then every repository image and every image, named `<stream>:<tag>`.
///
/// ```
/// use imagestream::api;
/// use imagestream::chrono::Utc;
/// use imagestream::describe::{Style, import_image_output};
///
/// let mut isi = api::ImageStreamImport::default();
/// isi.metadata.name = "python".into();
/// isi.status.images.push(api::ImageImportStatus {
///     status: api::Status { status: "Failure".into(), message: "not found".into(), ..Default::default() },
///     tag: "3.6".into(),
///     ..Default::default()
/// });
/// let out = import_image_output(&isi, true, Utc::now(), Style::Current);
/// assert_eq!(out.stdout, "imagestream.image.openshift.io/python imported with errors (dry run)\n\n\n");
/// assert_eq!(out.stderr, "error: tag 3.6 failed: not found\n");
/// ```
#[must_use]
pub fn import_image_output(
    isi: &api::ImageStreamImport,
    dry_run: bool,
    now: DateTime<Utc>,
    style: Style,
) -> ImportImageOutput {
    let name = &isi.metadata.name;
    let mut message = String::from(if was_error(isi) {
        "imported with errors"
    } else {
        "imported"
    });
    if dry_run {
        message.push_str(" (dry run)");
    }
    message.push_str("\n\n");
    let mut stderr = String::new();
    if let Some(stream) = &isi.status.import
        && let Ok(stream) = ImageStream::try_from(stream.clone())
    {
        message.push_str(&describe_image_stream(&stream, now, style));
        message.push('\n');
    }
    let mut images = |list: &[api::ImageImportStatus], what: &str| {
        for image in list {
            match &image.image {
                Some(i) => {
                    let title = join_image_stream_tag(name, &image.tag);
                    message.push_str(&describe_image(i, &title, now, style));
                    message.push('\n');
                }
                None => {
                    // Writing into a String cannot fail.
                    let _ = writeln!(
                        stderr,
                        "error: {what} {} failed: {}",
                        image.tag, image.status.message
                    );
                }
            }
        }
    };
    if let Some(repo) = &isi.status.repository {
        images(&repo.images, "repository tag");
    }
    images(&isi.status.images, "tag");
    if let Some(repo) = &isi.status.repository
        && !repo.additional_tags.is_empty()
    {
        // Writing into a String cannot fail.
        let _ = writeln!(
            message,
            "\ninfo: The remote repository contained {} additional tags which were not imported: {}",
            repo.additional_tags.len(),
            repo.additional_tags.join(", ")
        );
    }
    ImportImageOutput {
        stdout: format!("imagestream.image.openshift.io/{name} {message}\n"),
        stderr,
    }
}
