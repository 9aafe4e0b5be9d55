//! `oc describe` output for image streams, image stream tags and images,
//! byte for byte.
//!
//! Two styles: [`Style::Classic`] (the default) reproduces the samples of
//! the OpenShift documentation chapter this crate grew from (`Docker Pull
//! Spec:`, `251.2 MB (first layer 2.898 MB, last binary layer 72.26 MB)`);
//! [`Style::Current`] is today's `oc` (`Image Repository:`, `251.2MB in 7
//! layers` and a `Layers:` list). Both go through a reimplementation of
//! Go's `text/tabwriter` ([`tabwrite`]), so alignment matches exactly.
//!
//! Rendering is pure: the caller passes `now`, and ages are computed from it.

mod order;
mod tabwriter;
mod units;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::api;
use crate::stream::{ImageStream, SpecTag, TagSource};

pub use order::{prioritize_tags, sort_status_tags};
use tabwriter::TabWriter;
pub use tabwriter::tabwrite;
pub use units::{human_duration, human_size};

/// Which `oc` to look like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Style {
    /// The OpenShift 3.x `oc` of the documentation's samples: `Docker Pull
    /// Spec:`, sizes with a space, the one-line layer summary.
    #[default]
    Classic,
    /// Today's `oc`: `Image Repository:`, sizes without a space, a
    /// `Layers:` list.
    Current,
}

/// Writes into a `String`, which cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        // Writing into a String cannot fail.
        let _ = writeln!($out, $($arg)*);
    }};
}

/// Go's `time.Since(time.Time{})` saturates at the largest `Duration`
/// (about 292 years), which is what `oc` prints for a zero time.
fn go_max_duration() -> chrono::TimeDelta {
    chrono::TimeDelta::nanoseconds(i64::MAX)
}

fn ago(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    format!("{} ago", human_duration(now - t))
}

/// 64-bit FNV-1a, a fingerprint for counting distinct strings.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `formatString`: the label, then each line of the value after a tab;
/// an empty value is `<none>`.
fn format_string(out: &mut TabWriter, label: &str, value: &str) {
    out.push_str(label);
    out.push(':');
    if value.is_empty() {
        out.push_str("\t<none>\n");
        return;
    }
    for line in value.split('\n') {
        out.push('\t');
        out.push_str(line);
        out.push('\n');
    }
}

/// `formatMapStringString`: sorted `k=v`, one per line.
fn format_map(out: &mut TabWriter, label: &str, map: &BTreeMap<String, String>) {
    if map.is_empty() {
        w!(out, "{label}:\t<none>");
        return;
    }
    for (i, (k, v)) in map.iter().enumerate() {
        if i == 0 {
            w!(out, "{label}:\t{k}={v}");
        } else {
            w!(out, "\t{k}={v}");
        }
    }
}

/// `formatAnnotations`: `Description` first, the rest under `Annotations`.
fn format_annotations(out: &mut TabWriter, annotations: &BTreeMap<String, String>, always: bool) {
    let mut rest = annotations.clone();
    if let Some(d) = rest.remove("description").filter(|d| !d.is_empty()) {
        format_string(out, "Description", &d);
    }
    if always || !rest.is_empty() {
        format_map(out, "Annotations", &rest);
    }
}

/// `latestObservedTagGeneration` (§8): the newer of the current entry's
/// generation and the first `ImportSuccess` condition's.
fn latest_observed_generation(history: Option<&crate::stream::TagHistory>) -> i64 {
    let Some(h) = history else {
        return 0;
    };
    let current = h.current().map_or(0, crate::stream::TagEvent::generation);
    let condition = h
        .conditions()
        .iter()
        .find(|c| c.type_ == "ImportSuccess")
        .map_or(0, |c| c.generation);
    current.max(condition)
}

/// `oc describe is/NAME` for `stream`, as of `now`.
///
/// ```
/// use imagestream::chrono::{TimeDelta, TimeZone, Utc};
/// use imagestream::describe::{describe_image_stream, Style};
/// use imagestream::reference::{Namespace, StreamName};
/// use imagestream::stream::ImageStream;
///
/// let now = Utc.with_ymd_and_hms(2017, 10, 2, 17, 6, 30).unwrap();
/// let mut is = ImageStream::new(Namespace::parse("default")?, StreamName::parse("python")?)?;
/// is.set_creation_timestamp(now - TimeDelta::seconds(75));
/// is.set_repositories("docker-registry.default.svc:5000/default/python".into(), String::new());
/// let text = describe_image_stream(&is, now, Style::Classic);
/// assert_eq!(text, "\
/// Name:\t\t\tpython
/// Namespace:\t\tdefault
/// Created:\t\tAbout a minute ago
/// Labels:\t\t\t<none>
/// Annotations:\t\t<none>
/// Docker Pull Spec:\tdocker-registry.default.svc:5000/default/python
/// Image Lookup:\t\tlocal=false
/// Tags:\t\t\t<none>
/// ");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn describe_image_stream(stream: &ImageStream, now: DateTime<Utc>, style: Style) -> String {
    let events: usize = stream.histories().map(|(_, h)| h.len()).sum();
    let mut out = TabWriter::with_capacity(1024 + 64 * stream.spec_tags().len() + 128 * events);
    let meta = stream.metadata();
    format_string(&mut out, "Name", stream.name().as_str());
    format_string(&mut out, "Namespace", stream.namespace().as_str());
    if let Some(created) = meta.creation_timestamp {
        format_string(&mut out, "Created", &ago(now, created));
    }
    format_map(&mut out, "Labels", &meta.labels);
    format_annotations(&mut out, &meta.annotations, true);
    let repo = if stream.public_repository().is_empty() {
        stream.status_repository()
    } else {
        stream.public_repository()
    };
    let repo_label = match style {
        Style::Classic => "Docker Pull Spec",
        Style::Current => "Image Repository",
    };
    format_string(&mut out, repo_label, repo);
    format_string(
        &mut out,
        "Image Lookup",
        &format!("local={}", stream.lookup_local()),
    );

    let mut entries = stream_entries(stream);
    if entries.is_empty() {
        format_string(&mut out, "Tags", "");
        return out.finish();
    }
    prioritize_tags(&mut entries);
    format_string(
        &mut out,
        "Unique Images",
        &unique_images(stream).to_string(),
    );
    format_string(&mut out, "Tags", &entries.len().to_string());
    out.push('\n');

    // Aliases are listed in their target's header, not as blocks.
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut is_alias = BTreeSet::new();
    for e in &entries {
        let tracks = e
            .spec
            .and_then(SpecTag::source)
            .is_some_and(|s| matches!(s, TagSource::ImageStreamTag { .. }));
        if !tracks {
            continue;
        }
        if let Ok(f) = stream.follow_tag_reference(e.name)
            && f.multiple
        {
            aliases
                .entry(f.tag.to_string())
                .or_default()
                .push(e.name.to_owned());
            is_alias.insert(e.name);
        }
    }
    let mut first = true;
    for e in entries.iter().filter(|e| !is_alias.contains(e.name)) {
        if !first {
            out.push('\n');
        }
        first = false;
        tag_block(&mut out, stream, e, aliases.get_mut(e.name), now);
    }
    out.finish()
}

/// Every tag of `stream`, with its spec and history: one linear merge of
/// the spec and status maps (both in name order), so rendering needs no
/// lookups.
fn stream_entries(stream: &ImageStream) -> Vec<Entry<'_>> {
    let mut entries: Vec<Entry<'_>> =
        Vec::with_capacity(stream.histories().len() + stream.spec_tags().len());
    let mut specs = stream.spec_tags().peekable();
    let mut histories = stream.histories().peekable();
    loop {
        let take_spec = match (specs.peek(), histories.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((s, _)), Some((h, _))) => s <= h,
        };
        let entry = if take_spec {
            specs.next().map(|(name, spec)| {
                // A tag with both a spec and a history takes both.
                let history = histories.next_if(|(h, _)| *h == name).map(|(_, h)| h);
                Entry {
                    name: name.as_str(),
                    spec: Some(spec),
                    history,
                }
            })
        } else {
            histories.next().map(|(name, h)| Entry {
                name: name.as_str(),
                spec: None,
                history: Some(h),
            })
        };
        entries.extend(entry);
    }
    entries
}

/// OpenShift's unique-image count: distinct non-empty images, plus one for
/// all image-less entries together.
fn unique_images(stream: &ImageStream) -> usize {
    // Distinct images, counted by sorting (fingerprint, text) pairs: cheap
    // compares and a compact, cache-friendly buffer (a hash set of 100,000
    // digests was the slowest part at scale). Equal texts have equal
    // fingerprints, so they end up adjacent and `dedup` makes it exact.
    let mut images: Vec<(u64, &str)> = Vec::new();
    for (_, h) in stream.histories() {
        for e in h.iter() {
            if !e.image_str().is_empty() || !e.pull_spec().as_str().is_empty() {
                images.push((fnv1a(e.image_str()), e.image_str()));
            }
        }
    }
    images.sort_unstable();
    images.dedup_by(|a, b| a.1 == b.1);
    images.len()
}

/// One tag of a stream, with its spec and history when it has them.
struct Entry<'a> {
    name: &'a str,
    spec: Option<&'a SpecTag>,
    history: Option<&'a crate::stream::TagHistory>,
}

impl AsRef<str> for Entry<'_> {
    fn as_ref(&self) -> &str {
        self.name
    }
}

fn tag_block(
    out: &mut TabWriter,
    stream: &ImageStream,
    entry: &Entry<'_>,
    aliases: Option<&mut Vec<String>>,
    now: DateTime<Utc>,
) {
    let tag = entry.name;
    match aliases {
        Some(a) if !a.is_empty() => {
            prioritize_tags(a);
            w!(out, "{tag} ({})", a.join(", "));
        }
        _ => w!(out, "{tag}"),
    }
    let spec = entry.spec;
    match spec {
        None => w!(out, "  no spec tag"),
        Some(s) => source_lines(out, stream, s),
    }
    out.push('\n');
    if let Some(a) = spec.and_then(SpecTag::annotations) {
        let mut any = false;
        if let Some(d) = a.get("description").filter(|d| !d.is_empty()) {
            w!(out, "  {d}");
            any = true;
        }
        for (key, label) in [("tags", "Tags"), ("supports", "Supports")] {
            if let Some(v) = a.get(key).filter(|v| !v.is_empty()) {
                let parts: Vec<&str> = v.split(',').collect();
                w!(out, "  {label}: {}", parts.join(", "));
                any = true;
            }
        }
        if let Some(v) = a.get("sampleRepo").filter(|v| !v.is_empty()) {
            w!(out, "  Example Repo: {v}");
            any = true;
        }
        if any {
            out.push('\n');
        }
    }
    if let Some(s) = spec
        && !s.reference()
        && s.generation()
            .is_some_and(|g| g > latest_observed_generation(entry.history))
    {
        w!(out, "  ~ importing latest image ...");
    }
    if let Some(h) = entry.history {
        for c in h
            .conditions()
            .iter()
            .filter(|c| c.type_ == "ImportSuccess" && c.status == "False")
        {
            w!(
                out,
                "  ! error: Import failed ({}): {}",
                c.reason,
                c.message
            );
            match c.last_transition_time {
                Some(t) => w!(out, "      {}", ago(now, t)),
                None => w!(out, "      {} ago", human_duration(go_max_duration())),
            }
        }
        for (i, e) in h.iter().enumerate() {
            out.push_str(if i == 0 { "  * " } else { "    " });
            // oc prints the event's dockerImageReference as stored.
            out.push_str(e.pull_spec().as_str());
            out.push('\n');
            out.push_str("      ");
            match e.created() {
                Some(c) => {
                    units::write_human_duration(out, now - c);
                    out.push_str(" ago");
                }
                None => out.push_str("<unknown>"),
            }
            let image = e.image_str();
            if !image.is_empty() && e.pull_spec().id() != Some(image) {
                out.push('\t');
                out.push_str(image);
            }
            out.push('\n');
        }
    }
}

fn source_lines(out: &mut TabWriter, stream: &ImageStream, spec: &SpecTag) {
    let Some(source) = spec.source() else {
        w!(out, "  tag without source image");
        return;
    };
    let mut name = source.name();
    if let Some(ns) = source.namespace().filter(|ns| *ns != stream.namespace()) {
        name = format!("{ns}/{name}");
    }
    let scheduled = spec.import_policy().scheduled;
    let line = match source {
        TagSource::ImageStreamTag { .. } if spec.reference() => format!("reference to {name}"),
        TagSource::ImageStreamTag { .. } if scheduled => {
            format!("updates automatically from {name}")
        }
        TagSource::DockerImage(_) if spec.reference() => format!("reference to registry {name}"),
        TagSource::DockerImage(_) if scheduled => {
            format!("updates automatically from registry {name}")
        }
        TagSource::ImageStreamImage { .. } if spec.reference() => {
            format!("reference to image {name}")
        }
        _ => format!("tagged from {name}"),
    };
    w!(out, "  {line}");
    if spec.import_policy().insecure {
        w!(out, "    will use insecure HTTPS or HTTP connections");
    }
    if spec.reference_policy() == crate::stream::ReferencePolicy::Local {
        w!(
            out,
            "    prefer registry pullthrough when referencing this tag"
        );
    }
}

/// `oc describe istag/NAME:TAG`: the tag's current image, described.
#[must_use]
pub fn describe_image_stream_tag(
    istag: &api::ImageStreamTag,
    now: DateTime<Utc>,
    style: Style,
) -> String {
    describe_image(&istag.image, &istag.image.metadata.name, now, style)
}

/// `oc describe isimage/NAME@ID` and `oc describe image/ID`: `image_name`
/// is what the first line shows (the image's name).
#[must_use]
pub fn describe_image(
    image: &api::Image,
    image_name: &str,
    now: DateTime<Utc>,
    style: Style,
) -> String {
    let mut out = TabWriter::with_capacity(2048);
    format_string(&mut out, "Image Name", image_name);
    format_string(&mut out, "Docker Image", &image.docker_image_reference);
    format_string(&mut out, "Name", &image.metadata.name);
    if let Some(c) = image.metadata.creation_timestamp {
        format_string(&mut out, "Created", &ago(now, c));
    }
    if !image.metadata.labels.is_empty() {
        format_map(&mut out, "Labels", &image.metadata.labels);
    }
    format_annotations(&mut out, &image.metadata.annotations, false);
    let meta = image.docker_image_metadata.clone().unwrap_or_default();
    #[allow(clippy::cast_precision_loss)] // sizes are far below 2^52 bytes
    let size = |n: i64| human_size(n as f64, style);
    let layers = &image.docker_image_layers;
    match style {
        Style::Classic => {
            let mut parts = Vec::new();
            if layers.len() >= 2 {
                if layers[0].size > 0 {
                    parts.push(format!("first layer {}", size(layers[0].size)));
                }
                if let Some(last) = layers[1..].iter().rev().find(|l| l.size > 0) {
                    parts.push(format!("last binary layer {}", size(last.size)));
                }
            }
            if parts.is_empty() {
                format_string(&mut out, "Image Size", &size(meta.size));
            } else {
                format_string(
                    &mut out,
                    "Image Size",
                    &format!("{} ({})", size(meta.size), parts.join(", ")),
                );
            }
        }
        Style::Current => {
            if layers.is_empty() {
                format_string(&mut out, "Layer Size", &size(meta.size));
            } else {
                format_string(
                    &mut out,
                    "Image Size",
                    &format!("{} in {} layers", size(meta.size), layers.len()),
                );
                for (i, l) in layers.iter().enumerate() {
                    let label = if i == 0 { "Layers:" } else { "" };
                    w!(out, "{label}\t{}\t{}", size(l.size), l.name);
                }
            }
        }
    }
    for (i, s) in image.signatures.iter().enumerate() {
        if i == 0 {
            w!(out, "Image Signatures:");
        }
        w!(out, "\tName:\t{}", s.metadata.name);
        w!(out, "\tType:\t{}", s.type_);
        w!(out, "\tStatus:\tUnverified");
    }
    let created = meta.created.map_or_else(
        || format!("{} ago", human_duration(go_max_duration())),
        |c| ago(now, c),
    );
    format_string(&mut out, "Image Created", &created);
    format_string(&mut out, "Author", &meta.author);
    format_string(&mut out, "Arch", &meta.architecture);
    for (i, m) in image.docker_image_manifests.iter().enumerate() {
        let label = if i == 0 { "Manifests:" } else { "" };
        w!(out, "{label}\t{}/{}\t{}", m.os, m.architecture, m.digest);
    }
    if let Some(config) = &meta.config {
        describe_config(&mut out, config);
    }
    out.finish()
}

fn describe_config(out: &mut TabWriter, c: &api::DockerConfig) {
    let mut has_command = false;
    if !c.entrypoint.is_empty() {
        has_command = true;
        format_string(out, "Entrypoint", &c.entrypoint.join(" "));
    }
    if !c.cmd.is_empty() {
        has_command = true;
        format_string(out, "Command", &c.cmd.join(" "));
    }
    if !has_command {
        format_string(out, "Command", "");
    }
    format_string(out, "Working Dir", &c.working_dir);
    format_string(out, "User", &c.user);
    let ports: Vec<&str> = c.exposed_ports.keys().map(String::as_str).collect();
    format_string(out, "Exposes Ports", &ports.join(", "));
    format_map(out, "Docker Labels", &c.labels);
    for (i, env) in c.env.iter().enumerate() {
        if i == 0 {
            format_string(out, "Environment", env);
        } else {
            w!(out, "\t{env}");
        }
    }
    for (i, v) in c.volumes.keys().enumerate() {
        if i == 0 {
            format_string(out, "Volumes", v);
        } else {
            w!(out, "\t{v}");
        }
    }
}
