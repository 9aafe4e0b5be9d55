//! How streams, images and leases lie in etcd's key space.
//!
//! Under the configured prefix `P` (default `/imagestream/`):
//!
//! | key | value |
//! |---|---|
//! | `P images/<digest>` | an `api::Image`, JSON |
//! | `P leases/<name>` | the holder, attached to an etcd lease |
//! | `P revision` | empty; rewritten by every stream write (the change log's end mark) |
//! | `P streams/<ns>/<name>` | the stream's *head*: metadata, spec and status without tags, plus `bucket -> bucket id` |
//! | `P tags/<ns>/<name>/<uid>/~<bucket>/<bucket id>` | one bucket of the manifest: `tag -> [blob id, checksum]` for the tags whose name hashes to it |
//! | `P tags/<ns>/<name>/<uid>/<tag>/<blob id>` | one tag's spec and history, JSON |
//!
//! The head is the stream's guard key: the stream's resource version is
//! the head's `mod_revision`, every write of the stream rewrites the head
//! in a transaction comparing that revision, and a reader trusts only the
//! buckets the head names and the blobs those buckets name. Blobs and
//! buckets are immutable (a changed tag gets a new blob id, a changed
//! bucket a new bucket id), so a write larger than one etcd request stages
//! them first, invisible until the head naming them commits, and a reader
//! at any revision sees one whole version.
//!
//! The manifest is cut into at most 256 buckets by a hash of the tag
//! name so that a write's size follows what it changed: one changed tag
//! rewrites its blob, one bucket (about n / 256 entries) and the head
//! (at most 256 bucket ids), not an entry per tag of the stream. Tag names
//! start with a letter, digit or `_`, so a bucket's `~` never meets one.

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use imagestream::api;
use imagestream::ports::StoreError;
use imagestream::reference::{Namespace, StreamName};
use imagestream::stream::ImageStream;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The key names under one prefix.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
}

impl Keys {
    pub(crate) fn new(prefix: &str) -> Self {
        let mut prefix = prefix.to_owned();
        if !prefix.ends_with('/') {
            prefix.push('/');
        }
        Self { prefix }
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    pub(crate) fn head(&self, ns: &Namespace, name: &StreamName) -> String {
        format!("{}streams/{ns}/{name}", self.prefix)
    }

    pub(crate) fn heads(&self, ns: &Namespace) -> String {
        format!("{}streams/{ns}/", self.prefix)
    }

    /// Where all of a namespace's heads start.
    pub(crate) fn all_heads(&self) -> String {
        format!("{}streams/", self.prefix)
    }

    pub(crate) fn blobs(&self, ns: &str, name: &str, uid: &str) -> String {
        format!("{}tags/{ns}/{name}/{uid}/", self.prefix)
    }

    pub(crate) fn blob(&self, ns: &str, name: &str, uid: &str, tag: &str, id: &str) -> String {
        format!("{}tags/{ns}/{name}/{uid}/{tag}/{id}", self.prefix)
    }

    pub(crate) fn bucket(&self, ns: &str, name: &str, uid: &str, bucket: u8, id: &str) -> String {
        format!("{}tags/{ns}/{name}/{uid}/~{bucket:02x}/{id}", self.prefix)
    }

    pub(crate) fn image(&self, name: &str) -> String {
        format!("{}images/{name}", self.prefix)
    }

    pub(crate) fn images(&self) -> String {
        format!("{}images/", self.prefix)
    }

    pub(crate) fn marker(&self) -> String {
        format!("{}revision", self.prefix)
    }

    pub(crate) fn lease(&self, name: &str) -> String {
        format!("{}leases/{name}", self.prefix)
    }

    /// `(namespace, name)` of a head key.
    pub(crate) fn parse_head(&self, key: &[u8]) -> Option<(Namespace, StreamName)> {
        let key = std::str::from_utf8(key).ok()?;
        let rest = key.strip_prefix(&self.prefix)?.strip_prefix("streams/")?;
        let (ns, name) = rest.split_once('/')?;
        Some((Namespace::parse(ns).ok()?, StreamName::parse(name).ok()?))
    }
}

/// The first key after every key starting with `prefix` (etcd's range end
/// for a prefix).
pub(crate) fn prefix_end(prefix: &str) -> Vec<u8> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// The bucket of `tag`: the first byte of the sha256 of its name, so a
/// manifest has at most 256 buckets.
pub(crate) fn bucket_of(tag: &str) -> u8 {
    Sha256::digest(tag.as_bytes())[0]
}

/// A stream's head: everything but its tags, and where its tags are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Head {
    /// The stream without spec tags, status tags and resource version.
    pub(crate) stream: api::ImageStream,
    /// Bucket -> the id of its current value (buckets without tags are
    /// absent).
    pub(crate) buckets: BTreeMap<u8, String>,
    /// The id of the write that stored this head (recognises one's own
    /// write after an answer was lost).
    pub(crate) write: String,
}

/// Only the write id of a head (cheap to compare after an ambiguous
/// commit).
#[derive(Debug, Deserialize)]
pub(crate) struct HeadWrite {
    pub(crate) write: String,
}

/// One bucket's entries: tag name -> `[blob id, checksum of the blob]`.
pub(crate) type Bucket = BTreeMap<String, (String, String)>;

/// A stream's whole manifest, decoded: bucket -> its entries, each shared
/// between the versions that did not change it.
pub(crate) type Manifest = BTreeMap<u8, Arc<Bucket>>;

/// One tag: its spec and its history, either may be absent.
#[derive(Debug, Default, Serialize, Deserialize)]
struct TagValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    spec: Option<api::TagReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<api::NamedTagEventList>,
}

fn encode_error(what: &str, e: &serde_json::Error) -> StoreError {
    StoreError::Unavailable(format!("cannot encode {what}: {e}"))
}

/// The wire form of `stream` without its tags and resource version: what
/// a head keeps.
pub(crate) fn head_stream(stream: &ImageStream) -> api::ImageStream {
    let mut wire = stream.to_wire_without_tags();
    wire.metadata.resource_version.clear();
    wire
}

/// The JSON of one tag of `stream`; `None` when the stream has no spec
/// tag and no history under `tag`.
pub(crate) fn encode_tag(stream: &ImageStream, tag: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let (spec, status) = stream.tag_to_wire(tag);
    if spec.is_none() && status.is_none() {
        return Ok(None);
    }
    serde_json::to_vec(&TagValue { spec, status })
        .map(Some)
        .map_err(|e| encode_error("a tag", &e))
}

/// Encodes a bucket.
pub(crate) fn encode_bucket(bucket: &Bucket) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(bucket).map_err(|e| encode_error("a manifest bucket", &e))
}

/// The checksum the manifest keeps for a blob (64 bits of its sha256, hex).
pub(crate) fn checksum(json: &[u8]) -> String {
    hex(&Sha256::digest(json)[..8])
}

/// Encodes a head.
pub(crate) fn encode_head(head: &Head) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(head).map_err(|e| encode_error("a stream head", &e))
}

fn corrupt(key: &str, detail: &str) -> StoreError {
    StoreError::Unavailable(format!("stored value at {key:?} is unreadable: {detail}"))
}

/// Decodes a head.
pub(crate) fn decode_head(key: &str, json: &[u8]) -> Result<Head, StoreError> {
    serde_json::from_slice(json).map_err(|e| corrupt(key, &e.to_string()))
}

/// Decodes a bucket.
pub(crate) fn decode_bucket(key: &str, json: &[u8]) -> Result<Bucket, StoreError> {
    serde_json::from_slice(json).map_err(|e| corrupt(key, &e.to_string()))
}

/// Puts a stream back together from its head (at `revision`) and the
/// buckets and blobs `value` finds by key; also returns the manifest.
pub(crate) fn assemble<'a>(
    keys: &Keys,
    head_key: &str,
    head: &Head,
    revision: u64,
    value: impl Fn(&str) -> Option<&'a [u8]>,
) -> Result<(ImageStream, Manifest), StoreError> {
    let mut wire = head.stream.clone();
    let meta = &head.stream.metadata;
    let (ns, name, uid) = (&meta.namespace, &meta.name, &meta.uid);
    let missing = |key: &str| corrupt(head_key, &format!("{key:?} is missing"));
    let mut manifest = Manifest::new();
    let mut tags: Vec<(&String, &String)> = Vec::new();
    for (&b, id) in &head.buckets {
        let key = keys.bucket(ns, name, uid, b, id);
        let json = value(&key).ok_or_else(|| missing(&key))?;
        manifest.insert(b, Arc::new(decode_bucket(&key, json)?));
    }
    for bucket in manifest.values() {
        tags.extend(bucket.iter().map(|(tag, (id, _))| (tag, id)));
    }
    tags.sort_unstable();
    for (tag, id) in tags {
        let key = keys.blob(ns, name, uid, tag, id);
        let json = value(&key).ok_or_else(|| missing(&key))?;
        let value: TagValue =
            serde_json::from_slice(json).map_err(|e| corrupt(&key, &e.to_string()))?;
        if let Some(spec) = value.spec {
            wire.spec.tags.push(spec);
        }
        if let Some(status) = value.status {
            wire.status.tags.push(status);
        }
    }
    wire.metadata.resource_version = revision.to_string();
    let stream = ImageStream::try_from(wire).map_err(|e| corrupt(head_key, &e.to_string()))?;
    Ok((stream, manifest))
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// 32 bytes no other call (in this process or another) returns: process
/// id, time, a counter and the OS-seeded hasher keys, through sha256.
fn unique() -> [u8; 32] {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let seeded = std::collections::hash_map::RandomState::new().hash_one(n);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut h = Sha256::new();
    h.update(std::process::id().to_le_bytes());
    h.update(nanos.to_le_bytes());
    h.update(n.to_le_bytes());
    h.update(seeded.to_le_bytes());
    h.finalize().into()
}

/// A write id / blob id: 64 random bits, hex.
pub(crate) fn write_id() -> String {
    hex(&unique()[..8])
}

/// A random (version 4) UUID, as Kubernetes uids are.
pub(crate) fn uid() -> String {
    let mut b = unique();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_the_next_key() {
        assert_eq!(prefix_end("a/"), b"a0");
        assert_eq!(prefix_end("a\u{7f}"), b"a\x80");
        assert_eq!(prefix_end(""), vec![0]);
    }

    #[test]
    fn uids_are_v4_and_distinct() {
        let (a, b) = (uid(), uid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_ne!(write_id(), write_id());
    }

    #[test]
    fn pieces_assemble_back() {
        let keys = Keys::new("/p");
        let mut stream = imagestream::testing::store::rich_stream("ns", "app");
        stream.set_uid("u-1".into());
        let wire = head_stream(&stream);
        assert!(wire.spec.tags.is_empty() && wire.status.tags.is_empty());
        let mut values = BTreeMap::new();
        let mut manifest = Manifest::new();
        for tag in stream.tag_names() {
            let json = encode_tag(&stream, tag.as_str()).unwrap().unwrap();
            let id = write_id();
            values.insert(
                keys.blob("ns", "app", "u-1", tag.as_str(), &id),
                json.clone(),
            );
            Arc::make_mut(manifest.entry(bucket_of(tag.as_str())).or_default())
                .insert(tag.to_string(), (id, checksum(&json)));
        }
        assert_eq!(encode_tag(&stream, "absent").unwrap(), None);
        let mut head = Head {
            stream: wire,
            buckets: BTreeMap::new(),
            write: write_id(),
        };
        for (b, bucket) in &manifest {
            let id = write_id();
            values.insert(
                keys.bucket("ns", "app", "u-1", *b, &id),
                encode_bucket(bucket).unwrap(),
            );
            head.buckets.insert(*b, id);
        }
        let json = encode_head(&head).unwrap();
        let decoded = decode_head("h", &json).unwrap();
        let (back, read) = assemble(&keys, "h", &decoded, 7, |k| {
            values.get(k).map(Vec::as_slice)
        })
        .unwrap();
        stream.set_resource_version(7);
        assert_eq!(back, stream);
        assert_eq!(read, manifest);
        let missing = assemble(&keys, "h", &head, 7, |_| None).unwrap_err();
        assert!(missing.to_string().contains("is missing"), "{missing}");
    }

    #[test]
    fn buckets_spread_and_never_meet_a_tag() {
        let used: std::collections::BTreeSet<u8> = (0..10_000)
            .map(|i| bucket_of(&format!("tag-{i:05}")))
            .collect();
        assert_eq!(used.len(), 256, "10,000 tags fill every bucket");
        let keys = Keys::new("/p");
        let bucket = keys.bucket("ns", "a", "u", 0xab, "id");
        assert_eq!(bucket, "/p/tags/ns/a/u/~ab/id");
        assert!(imagestream::reference::TagName::parse("~ab").is_err());
    }

    #[test]
    fn head_keys_parse_back() {
        let keys = Keys::new("/p/");
        let ns = Namespace::parse("ns").unwrap();
        let name = StreamName::parse("a.b").unwrap();
        assert_eq!(
            keys.parse_head(keys.head(&ns, &name).as_bytes()),
            Some((ns, name))
        );
        assert_eq!(keys.parse_head(b"/p/revision"), None);
        assert_eq!(keys.parse_head(b"/p/streams/NS/x"), None);
    }
}
