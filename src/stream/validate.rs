//! OpenShift's validation of the API objects that do not become domain
//! values (images, mappings, istag updates, imports), and the checks the
//! wire conversions share. The errors are [`FieldError`]s.

use super::field_error::{FieldError, ValidationError};
use crate::api;
use crate::reference::{
    ImageReference, Namespace, QUALIFIED_TOO_LONG, StreamName, namespace_violations,
    stream_name_violations,
};

/// Validates `metadata.name` as an image stream name and `metadata.namespace`
/// as a namespace, then their combined length (§4.1); returns both, typed,
/// when every rule holds (and reports at least one error otherwise).
pub(crate) fn stream_meta(
    meta: &api::ObjectMeta,
    errs: &mut Vec<FieldError>,
) -> Option<(StreamName, Namespace)> {
    let name_ok = if meta.name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
        false
    } else if let Some((_, msgs)) = stream_name_violations(&meta.name) {
        errs.extend(
            msgs.into_iter()
                .map(|m| FieldError::invalid("metadata.name", &meta.name, m)),
        );
        false
    } else {
        true
    };
    let ns_ok = namespace_field(&meta.namespace, "metadata.namespace", errs);
    if name_ok && ns_ok && meta.namespace.len() + 1 + meta.name.len() > 255 {
        errs.push(FieldError::invalid(
            "metadata.name",
            &meta.name,
            QUALIFIED_TOO_LONG,
        ));
        return None;
    }
    if !(name_ok && ns_ok) {
        return None;
    }
    match (
        StreamName::parse(&meta.name),
        Namespace::parse(&meta.namespace),
    ) {
        (Ok(n), Ok(ns)) => Some((n, ns)),
        (Err(e), _) | (_, Err(e)) => {
            errs.push(FieldError::invalid(
                "metadata.name",
                &meta.name,
                e.to_string(),
            ));
            None
        }
    }
}

/// A required namespace field; returns whether it is valid.
pub(crate) fn namespace_field(ns: &str, path: &str, errs: &mut Vec<FieldError>) -> bool {
    if ns.is_empty() {
        errs.push(FieldError::required(path, ""));
        return false;
    }
    match namespace_violations(ns) {
        None => true,
        Some((_, msgs)) => {
            errs.extend(msgs.into_iter().map(|m| FieldError::invalid(path, ns, m)));
            false
        }
    }
}

/// The Kubernetes path-segment name rules alone (image and istag names).
fn path_segment_name(name: &str, path: &str, errs: &mut Vec<FieldError>) {
    if name.is_empty() {
        errs.push(FieldError::required(
            path,
            "name or generateName is required",
        ));
        return;
    }
    if name == "." || name == ".." {
        errs.push(FieldError::invalid(
            path,
            name,
            format!("may not be '{name}'"),
        ));
        return;
    }
    for bad in ['/', '%'] {
        if name.contains(bad) {
            errs.push(FieldError::invalid(
                path,
                name,
                format!("may not contain '{bad}'"),
            ));
        }
    }
}

/// A pull spec that must be present and parse.
pub(crate) fn pull_spec(
    value: &str,
    path: &str,
    errs: &mut Vec<FieldError>,
) -> Option<ImageReference> {
    if value.is_empty() {
        errs.push(FieldError::required(path, ""));
        return None;
    }
    match ImageReference::parse(value) {
        Ok(r) => Some(r),
        Err(e) => {
            errs.push(FieldError::invalid(path, value, e.to_string()));
            None
        }
    }
}

/// The import-mode rule (§4.3).
pub(crate) fn import_mode(mode: &str, path: &str, errs: &mut Vec<FieldError>) {
    if !matches!(mode, "" | "Legacy" | "PreserveOriginal") {
        errs.push(FieldError::invalid(
            path,
            mode,
            "invalid import mode, valid modes are '', 'Legacy', 'PreserveOriginal'",
        ));
    }
}

/// `ValidateImage` (§4.5), with the `prefix` used when the image is nested
/// (`image.` inside a mapping).
fn image_fields(image: &api::Image, prefix: &str, errs: &mut Vec<FieldError>) {
    path_segment_name(
        &image.metadata.name,
        &format!("{prefix}metadata.name"),
        errs,
    );
    pull_spec(
        &image.docker_image_reference,
        &format!("{prefix}dockerImageReference"),
        errs,
    );
    for (i, m) in image.docker_image_manifests.iter().enumerate() {
        let p = format!("{prefix}dockerImageManifests[{i}]");
        if crate::reference::check_digest_syntax(&m.digest).is_err() {
            errs.push(FieldError::invalid(
                format!("{p}.digest"),
                &m.digest,
                "digest does not conform with OCI image specification",
            ));
        }
        if !is_rfc6838_media_type(&m.media_type) {
            errs.push(FieldError::invalid(
                format!("{p}.mediaType"),
                &m.media_type,
                "media type does not conform to RFC6838",
            ));
        }
        if m.architecture.is_empty() {
            errs.push(FieldError::required(format!("{p}.architecture"), ""));
        }
        if m.os.is_empty() {
            errs.push(FieldError::required(format!("{p}.os"), ""));
        }
        if m.manifest_size < 0 {
            errs.push(FieldError::invalid_plain(
                format!("{p}.manifestSize"),
                m.manifest_size,
                "manifest size cannot be negative",
            ));
        }
    }
    if !image.docker_image_manifests.is_empty() && !image.docker_image_layers.is_empty() {
        errs.push(FieldError::invalid_plain(
            format!("{prefix}dockerImageLayers"),
            format!("{} layers", image.docker_image_layers.len()),
            "dockerImageLayers should not be set when dockerImageManifests is set",
        ));
    }
}

/// `type "/" subtype` with RFC 6838 restricted names
/// (`[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}`), optional parameters ignored.
fn is_rfc6838_media_type(s: &str) -> bool {
    let essence = s.split(';').next().unwrap_or_default().trim();
    let restricted = |p: &str| {
        let b = p.as_bytes();
        !b.is_empty()
            && b.len() <= 127
            && b[0].is_ascii_alphanumeric()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(c))
    };
    matches!(essence.split_once('/'), Some((t, st)) if restricted(t) && restricted(st))
}

/// OpenShift's `ValidateImage` (§4.5).
///
/// # Errors
///
/// Every field error: a missing or malformed name or pull spec, malformed
/// child manifests, layers beside manifests.
pub fn validate_image(image: &api::Image) -> Result<(), ValidationError> {
    let mut errs = Vec::new();
    image_fields(image, "", &mut errs);
    ValidationError::check(errs)
}

/// OpenShift's `ValidateImageStreamMapping` (§4.6).
///
/// # Errors
///
/// Every field error: the stream name, the namespace, a missing tag, and
/// the image's errors under `image.`.
pub fn validate_image_stream_mapping(m: &api::ImageStreamMapping) -> Result<(), ValidationError> {
    let mut errs = Vec::new();
    if m.metadata.name.is_empty() {
        errs.push(FieldError::required("name", ""));
        errs.push(FieldError::required("dockerImageRepository", ""));
    } else {
        path_segment_name(&m.metadata.name, "metadata.name", &mut errs);
    }
    namespace_field(&m.metadata.namespace, "metadata.namespace", &mut errs);
    if m.tag.is_empty() {
        errs.push(FieldError::required("tag", ""));
    }
    image_fields(&m.image, "image.", &mut errs);
    ValidationError::check(errs)
}

/// OpenShift's `ValidateImageStreamTag` and, given the old object,
/// `ValidateImageStreamTagUpdate` (§4.7).
///
/// # Errors
///
/// Every field error: the name, the spec tag (as in a stream, under
/// `tag.`), annotations that differ from the object's, and on update a
/// change outside annotations, tag, lookup policy and generation.
pub fn validate_image_stream_tag(
    istag: &api::ImageStreamTag,
    old: Option<&api::ImageStreamTag>,
) -> Result<(), ValidationError> {
    let mut errs = Vec::new();
    path_segment_name(&istag.metadata.name, "metadata.name", &mut errs);
    if let Some(tag) = &istag.tag {
        super::spec::validate_tag_reference(tag, "tag", &mut errs);
        if let Some(a) = &tag.annotations
            && *a != istag.metadata.annotations
        {
            errs.push(FieldError::invalid(
                    "tag.annotations",
                    &format!("{a:?}"),
                    "tag annotations must not be provided or must be equal to the object meta annotations",
                ));
        }
    }
    if let Some(old) = old {
        let mut a = istag.clone();
        let mut b = old.clone();
        for x in [&mut a, &mut b] {
            x.metadata.annotations.clear();
            x.metadata.resource_version.clear();
            x.tag = None;
            x.lookup_policy = api::ImageLookupPolicy::default();
            x.generation = 0;
        }
        if a != b {
            errs.push(FieldError::invalid(
                "metadata",
                "",
                "may not update fields other than metadata.annotations",
            ));
        }
    }
    ValidationError::check(errs)
}

/// OpenShift's `ValidateImageStreamImport` (§4.8).
///
/// # Errors
///
/// Every field error: the stream name rules, each image's kind, target and
/// pull spec, the repository's kind and pull spec, and an import with
/// neither images nor a repository.
pub fn validate_image_stream_import(isi: &api::ImageStreamImport) -> Result<(), ValidationError> {
    let mut errs = Vec::new();
    stream_meta(&isi.metadata, &mut errs);
    for (i, img) in isi.spec.images.iter().enumerate() {
        let p = format!("spec.images[{i}]");
        if img.from.kind != "DockerImage" {
            errs.push(FieldError::invalid(
                format!("{p}.from.kind"),
                &img.from.kind,
                "only DockerImage is supported",
            ));
        } else if img.to.as_ref().is_some_and(|t| t.name.is_empty()) {
            errs.push(FieldError::invalid(
                format!("{p}.to.name"),
                "",
                "the name of the target tag must be specified",
            ));
        } else if img.from.name.is_empty() {
            errs.push(FieldError::required(format!("{p}.from.name"), ""));
        } else if img.from.name != "*"
            && let Err(e) = ImageReference::parse(&img.from.name)
        {
            errs.push(FieldError::invalid(
                format!("{p}.from.name"),
                &img.from.name,
                e.to_string(),
            ));
        }
        import_mode(
            &img.import_policy.import_mode,
            &format!("{p}.importPolicy.importMode"),
            &mut errs,
        );
    }
    if let Some(repo) = &isi.spec.repository {
        let p = "spec.repository";
        if repo.from.kind != "DockerImage" {
            errs.push(FieldError::invalid(
                format!("{p}.from.kind"),
                &repo.from.kind,
                "only DockerImage is supported",
            ));
        } else if repo.from.name.is_empty() {
            errs.push(FieldError::required(
                format!("{p}.from.name"),
                "container image references require a name",
            ));
        } else {
            match ImageReference::parse(&repo.from.name) {
                Err(e) => errs.push(FieldError::invalid(
                    format!("{p}.from.name"),
                    &repo.from.name,
                    e.to_string(),
                )),
                Ok(r) if r.tag().is_some() || r.id().is_some() => errs.push(FieldError::invalid(
                    format!("{p}.from.name"),
                    &repo.from.name,
                    "you must specify an image repository, not a tag or ID",
                )),
                Ok(_) => {}
            }
        }
        import_mode(
            &repo.import_policy.import_mode,
            &format!("{p}.importPolicy.importMode"),
            &mut errs,
        );
    }
    if isi.spec.images.is_empty() && isi.spec.repository.is_none() {
        errs.push(FieldError::invalid_plain(
            "spec.images",
            "\"null\"",
            "you must specify at least one image or a repository import",
        ));
    }
    ValidationError::check(errs)
}
