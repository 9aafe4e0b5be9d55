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

mod get;
mod import;
mod order;
mod tabwriter;
mod units;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::api;
use crate::stream::{ImageStream, SpecTag, TagEvent, TagHistory, TagSource};

pub use get::{
    ImageStreamRow, ImageStreamTagRow, ImageTagRow, TAGS_WIDTH, get_image_lookups,
    get_image_stream_tags, get_image_streams, get_image_tags, tags_up_to_width,
};
pub use import::{ImportImageOutput, import_image_output};
pub use order::{prioritize_tags, sort_status_tags};
use tabwriter::TabWriter;
pub use tabwriter::tabwrite;
pub use units::{
    BINARY_UNITS, DECIMAL_UNITS, bytes_size, custom_size, human_duration, human_duration_in,
    human_size, human_size_with_precision,
};

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

fn ago(now: DateTime<Utc>, t: DateTime<Utc>, style: Style) -> String {
    format!("{} ago", human_duration_in(now - t, style))
}

/// A fingerprint for counting distinct image ids: a word-at-a-time
/// multiply-rotate hash (the `FxHash` scheme), eight bytes per step, since
/// ids are long and a byte-wise hash was the slowest part of describing a
/// large stream. Collisions only cost a string compare.
fn fingerprint(s: &str) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let step = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let mut chunks = s.as_bytes().chunks_exact(8);
    let h = (&mut chunks).fold(s.len() as u64, |h, c| {
        let mut w = [0; 8];
        w.copy_from_slice(c);
        step(h, u64::from_le_bytes(w))
    });
    let tail = chunks.remainder();
    if tail.is_empty() {
        return h;
    }
    let mut w = [0; 8];
    w[..tail.len()].copy_from_slice(tail);
    step(h, u64::from_le_bytes(w))
}

/// OpenShift's unique-image count: distinct non-empty images, plus one for
/// all image-less entries together.
///
/// Filled while the histories are rendered, so the events are read once,
/// and counted by sorting (fingerprint, text) pairs: compact and
/// sequential, where a hash set of 100,000 ids misses the cache on every
/// insert once the stream no longer fits in it. Texts are only compared
/// when fingerprints are equal, so the count is exact.
struct DistinctImages<'a>(Vec<(u64, &'a str)>);

impl<'a> DistinctImages<'a> {
    fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    fn insert(&mut self, e: &'a TagEvent) {
        let image = e.image_str();
        if !image.is_empty() || !e.pull_spec().as_str().is_empty() {
            self.0.push((fingerprint(image), image));
        }
    }

    /// The number of distinct images, in linear time: fingerprints are
    /// uniform, so one counting pass on their top bits spreads the entries
    /// over about n/8 buckets, and each bucket is sorted on its own, in
    /// cache. (Sorting all 100,000 entries of a 10k-tag stream at once cost
    /// a tenth of the describe.)
    fn count(self) -> usize {
        let entries = self.0;
        let bits = (entries.len() / 8)
            .max(1)
            .next_power_of_two()
            .trailing_zeros();
        // `bits` is at most 61, so the shift is in range and the result
        // below 2^61 fits in usize on 64-bit targets; on smaller ones the
        // bucket count (n/8) is smaller still.
        let bucket = |fp: u64| usize::try_from(fp.checked_shr(64 - bits).unwrap_or(0)).unwrap_or(0);
        let mut starts = vec![0usize; (1 << bits) + 1];
        for &(fp, _) in &entries {
            starts[bucket(fp) + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut spread = vec![(0, ""); entries.len()];
        for e in entries {
            let b = bucket(e.0);
            spread[next[b]] = e;
            next[b] += 1;
        }
        starts
            .windows(2)
            .map(|w| {
                let bucket = &mut spread[w[0]..w[1]];
                bucket.sort_unstable();
                // Texts are compared only when fingerprints are equal.
                let firsts = bucket
                    .windows(2)
                    .filter(|p| p[0].0 != p[1].0 || p[0].1 != p[1].1);
                usize::from(!bucket.is_empty()) + firsts.count()
            })
            .sum()
    }
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
    let mut entries = stream_entries(stream);
    if entries.is_empty() {
        let mut out = TabWriter::with_capacity(1024);
        write_stream_meta(&mut out, stream, now, style);
        format_string(&mut out, "Tags", "");
        return out.finish();
    }
    prioritize_tags(&mut entries);

    // Aliases are listed in their target's header, not as blocks.
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Every chain resolved once: a walk per tag is quadratic on long
    // chains (issue #10, point 2).
    let tracking = stream.tracking();
    for e in &mut entries {
        let tracks = e
            .spec
            .and_then(SpecTag::source)
            .is_some_and(|s| matches!(s, TagSource::ImageStreamTag { .. }));
        if !tracks {
            continue;
        }
        if let Ok(f) = tracking.follow(e.name)
            && f.multiple
        {
            aliases
                .entry(f.tag.to_string())
                .or_default()
                .push(e.name.to_owned());
            e.alias = true;
        }
    }

    // The tag blocks come first: the header's unique-image count is
    // gathered while the histories are rendered, so a large stream's events
    // are read once, and the header is put in front at the end.
    let events: usize = entries
        .iter()
        .filter_map(|e| e.history)
        .map(TagHistory::len)
        .sum();
    let mut out = TabWriter::with_capacity(2048 + 64 * entries.len() + 128 * events);
    let mut images = DistinctImages::with_capacity(events);
    let mut first = true;
    for e in &entries {
        if e.alias {
            // Not shown, but still counted.
            e.history
                .into_iter()
                .flatten()
                .for_each(|ev| images.insert(ev));
            continue;
        }
        if !first {
            out.push('\n');
        }
        first = false;
        let aliases = aliases.get_mut(e.name);
        tag_block(&mut out, stream, e, aliases, now, style, &mut images);
    }
    let mut text = out.finish();

    let mut head = TabWriter::with_capacity(1024);
    write_stream_meta(&mut head, stream, now, style);
    format_string(&mut head, "Unique Images", &images.count().to_string());
    format_string(&mut head, "Tags", &entries.len().to_string());
    head.push('\n');
    text.insert_str(0, &head.finish());
    text
}

/// The stream's metadata lines, down to `Image Lookup`.
fn write_stream_meta(out: &mut TabWriter, stream: &ImageStream, now: DateTime<Utc>, style: Style) {
    let meta = stream.metadata();
    format_string(out, "Name", stream.name().as_str());
    format_string(out, "Namespace", stream.namespace().as_str());
    if let Some(created) = meta.creation_timestamp {
        format_string(out, "Created", &ago(now, created, style));
    }
    format_map(out, "Labels", &meta.labels);
    format_annotations(out, &meta.annotations, true);
    let repo = if stream.public_repository().is_empty() {
        stream.status_repository()
    } else {
        stream.public_repository()
    };
    let repo_label = match style {
        Style::Classic => "Docker Pull Spec",
        Style::Current => "Image Repository",
    };
    format_string(out, repo_label, repo);
    format_string(
        out,
        "Image Lookup",
        &format!("local={}", stream.lookup_local()),
    );
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
                    alias: false,
                }
            })
        } else {
            histories.next().map(|(name, h)| Entry {
                name: name.as_str(),
                spec: None,
                history: Some(h),
                alias: false,
            })
        };
        entries.extend(entry);
    }
    entries
}

/// One tag of a stream, with its spec and history when it has them.
struct Entry<'a> {
    name: &'a str,
    spec: Option<&'a SpecTag>,
    history: Option<&'a TagHistory>,
    /// Listed in the header of the tag it tracks, not as a block.
    alias: bool,
}

impl AsRef<str> for Entry<'_> {
    fn as_ref(&self) -> &str {
        self.name
    }
}

fn tag_block<'a>(
    out: &mut TabWriter,
    stream: &ImageStream,
    entry: &Entry<'a>,
    aliases: Option<&mut Vec<String>>,
    now: DateTime<Utc>,
    style: Style,
    images: &mut DistinctImages<'a>,
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
        Some(s) => {
            source_lines(out, stream, s);
            policy_lines(out, stream, tag, now);
        }
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
            .is_some_and(|g| g > stream.latest_observed_generation(entry.name))
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
                Some(t) => w!(out, "      {}", ago(now, t, style)),
                None => w!(
                    out,
                    "      {} ago",
                    human_duration_in(go_max_duration(), style)
                ),
            }
        }
        // Fingerprinting the whole history first reads every entry's text
        // in one tight loop, where the loads overlap, instead of one cache
        // miss at a time between formatting steps.
        h.iter().for_each(|e| images.insert(e));
        for (i, e) in h.iter().enumerate() {
            out.push_str(if i == 0 { "  * " } else { "    " });
            // oc prints the event's dockerImageReference as stored.
            out.push_str(e.pull_spec().as_str());
            out.push('\n');
            out.push_str("      ");
            match e.created() {
                Some(c) => {
                    units::write_human_duration(out, now - c, style);
                    out.push_str(" ago");
                }
                None => out.push_str("<unknown>"),
            }
            if let Some(image) = e.image_not_in_pull_spec() {
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

/// Beyond `oc`: a tag's policy, its last choice and any hold (lines only
/// when present, so streams without them describe exactly as `oc` does).
fn policy_lines(out: &mut TabWriter, stream: &ImageStream, tag: &str, now: DateTime<Utc>) {
    let Some(a) = stream.spec_tag(tag).and_then(SpecTag::annotations) else {
        return;
    };
    if let Some(p) = a.get(api::POLICY_ANNOTATION) {
        let lines: Vec<&str> = p.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        w!(out, "    policy: {}", lines.join("; "));
    }
    if let Some((chosen, pinned)) = stream.policy_choice(tag).and_then(|c| c.split_once(' ')) {
        w!(out, "    last chosen: {chosen} ({pinned})");
    }
    if let Some(h) = stream.hold(tag) {
        let mut line = format!("    held by {}", h.by());
        if let Some(u) = h.expires() {
            let at = u.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            if h.is_active(now) {
                let _ = write!(line, " until {at}");
            } else {
                let _ = write!(line, " (expired {at})");
            }
        }
        if !h.reason().is_empty() {
            let _ = write!(line, ": {}", h.reason());
        }
        w!(out, "{line}");
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
///
/// An image stamped by this crate's store shows its content state (SPEC
/// §13, [`crate::stream::Content`]) as a `Content:` line after `Name:`,
/// `verified` or `unverified (no manifest checked)`, instead of the
/// [`CONTENT_VERIFIED_ANNOTATION`](api::CONTENT_VERIFIED_ANNOTATION)
/// annotation; any other image renders exactly as `oc` renders it.
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
    // Beyond `oc` (SPEC §13): the content state the store stamped, on its
    // own line instead of among the annotations; images stored elsewhere
    // (without the annotation) render as `oc` renders them.
    let mut annotations = Cow::Borrowed(&image.metadata.annotations);
    if let Some(verified) = annotations.get(api::CONTENT_VERIFIED_ANNOTATION) {
        let state = if verified == "true" {
            "verified"
        } else {
            "unverified (no manifest checked)"
        };
        format_string(&mut out, "Content", state);
        annotations
            .to_mut()
            .remove(api::CONTENT_VERIFIED_ANNOTATION);
    }
    if let Some(c) = image.metadata.creation_timestamp {
        format_string(&mut out, "Created", &ago(now, c, style));
    }
    if !image.metadata.labels.is_empty() {
        format_map(&mut out, "Labels", &image.metadata.labels);
    }
    format_annotations(&mut out, &annotations, false);
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
        || format!("{} ago", human_duration_in(go_max_duration(), style)),
        |c| ago(now, c, style),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn count(items: &[(u64, &'static str)]) -> usize {
        DistinctImages(items.to_vec()).count()
    }

    #[test]
    fn distinct_images_are_counted_exactly() {
        assert_eq!(count(&[]), 0);
        assert_eq!(count(&[(fingerprint("a"), "a")]), 1);
        let (a, b, e) = (
            fingerprint("sha256:a"),
            fingerprint("sha256:b"),
            fingerprint(""),
        );
        assert_eq!(
            count(&[(a, "sha256:a"), (b, "sha256:b"), (a, "sha256:a"), (e, "")]),
            3
        );
        // Equal fingerprints for different texts (a collision) still count
        // twice; the same text with its fingerprint repeated counts once.
        assert_eq!(
            count(&[(7, "x"), (7, "y"), (7, "x"), (7, "y"), (7, "z")]),
            3
        );
        // Enough entries for several buckets, each image three times.
        let texts: Vec<String> = (0..500).map(|i| format!("sha256:{i:064}")).collect();
        let mut items: Vec<(u64, &str)> = Vec::new();
        for _ in 0..3 {
            items.extend(texts.iter().map(|t| (fingerprint(t), t.as_str())));
        }
        assert_eq!(DistinctImages(items).count(), 500);
    }

    #[test]
    fn fingerprints_see_every_byte_and_the_length() {
        assert_ne!(
            fingerprint("sha256:aaaaaaaa1"),
            fingerprint("sha256:aaaaaaaa2")
        );
        assert_ne!(fingerprint("a"), fingerprint("a\0"));
        assert_ne!(fingerprint(""), fingerprint("\0"));
        assert_ne!(fingerprint("12345678"), fingerprint("12345679"));
    }
}
