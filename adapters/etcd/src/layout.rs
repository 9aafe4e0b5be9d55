//! How streams, images and leases lie in etcd's key space.
//!
//! Under the configured prefix `P` (default `/imagestream/`):
//!
//! | key | value |
//! |---|---|
//! | `P images/<digest>` | an `api::Image`, JSON |
//! | `P leases/<name>` | the holder, attached to an etcd lease |
//! | `P revision` | empty; rewritten by every stream write (the change log's end mark) |
//! | `P streams/<ns>/<name>` | the stream's *head*: metadata, spec and status without tags, plus the manifest `tag -> [blob id, checksum]` |
//! | `P tags/<ns>/<name>/<uid>/<tag>/<blob id>` | one tag's spec and history, JSON |
//!
//! The head is the stream's guard key: the stream's resource version is
//! the head's `mod_revision`, every write of the stream rewrites the head
//! in a transaction comparing that revision, and a reader trusts only the
//! blobs the head names. Blobs are immutable (a changed tag gets a new
//! blob id), so a write larger than one etcd request stages its new blobs
//! first, invisible until the head naming them commits, and a reader at
//! any revision sees one whole version.

use std::collections::BTreeMap;
use std::hash::BuildHasher;
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

/// A stream's head: everything but its tags, and where its tags are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Head {
    /// The stream without spec tags, status tags and resource version.
    pub(crate) stream: api::ImageStream,
    /// Tag name -> `[blob id, checksum of the blob]`.
    pub(crate) tags: BTreeMap<String, (String, String)>,
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

/// One tag: its spec and its history, either may be absent.
#[derive(Debug, Default, Serialize, Deserialize)]
struct TagValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    spec: Option<api::TagReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<api::NamedTagEventList>,
}

/// A stream cut into its head stream and one JSON value per tag (`None`
/// for a tag the caller said is unchanged: not encoded at all).
pub(crate) struct Split {
    pub(crate) head: api::ImageStream,
    pub(crate) tags: BTreeMap<String, Option<Vec<u8>>>,
}

fn encode_error(what: &str, e: &serde_json::Error) -> StoreError {
    StoreError::Unavailable(format!("cannot encode {what}: {e}"))
}

/// Cuts `stream` into a head and tag values, encoding only the tags for
/// which `unchanged` is false.
pub(crate) fn split(
    stream: &ImageStream,
    unchanged: impl Fn(&str) -> bool,
) -> Result<Split, StoreError> {
    let mut wire = api::ImageStream::from(stream);
    let mut values: BTreeMap<String, TagValue> = BTreeMap::new();
    for spec in std::mem::take(&mut wire.spec.tags) {
        let tag = spec.name.clone();
        values.entry(tag).or_default().spec = Some(spec);
    }
    for status in std::mem::take(&mut wire.status.tags) {
        let tag = status.tag.clone();
        values.entry(tag).or_default().status = Some(status);
    }
    wire.metadata.resource_version.clear();
    let mut tags = BTreeMap::new();
    for (tag, value) in values {
        let json = if unchanged(&tag) {
            None
        } else {
            Some(serde_json::to_vec(&value).map_err(|e| encode_error("a tag", &e))?)
        };
        tags.insert(tag, json);
    }
    Ok(Split { head: wire, tags })
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

/// Puts a stream back together from its head (at `revision`) and the blobs
/// `blob` finds by key.
pub(crate) fn assemble<'a>(
    keys: &Keys,
    head_key: &str,
    head: Head,
    revision: u64,
    blob: impl Fn(&str) -> Option<&'a [u8]>,
) -> Result<ImageStream, StoreError> {
    let mut wire = head.stream;
    let (ns, name, uid) = (
        wire.metadata.namespace.clone(),
        wire.metadata.name.clone(),
        wire.metadata.uid.clone(),
    );
    for (tag, (id, _)) in &head.tags {
        let key = keys.blob(&ns, &name, &uid, tag, id);
        let json =
            blob(&key).ok_or_else(|| corrupt(head_key, &format!("blob {key:?} is missing")))?;
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
    ImageStream::try_from(wire).map_err(|e| corrupt(head_key, &e.to_string()))
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
    fn split_and_assemble_round_trip() {
        let keys = Keys::new("/p");
        let mut stream = imagestream::testing::store::rich_stream("ns", "app");
        stream.set_uid("u-1".into());
        let split = split(&stream, |_| false).unwrap();
        assert!(split.head.spec.tags.is_empty() && split.head.status.tags.is_empty());
        assert_eq!(
            split.tags.keys().collect::<Vec<_>>(),
            ["3.6", "latest"],
            "one value per tag name"
        );
        let mut blobs = BTreeMap::new();
        let mut manifest = BTreeMap::new();
        for (tag, json) in &split.tags {
            let json = json.as_ref().unwrap();
            let id = write_id();
            blobs.insert(keys.blob("ns", "app", "u-1", tag, &id), json.clone());
            manifest.insert(tag.clone(), (id, checksum(json)));
        }
        let head = Head {
            stream: split.head,
            tags: manifest,
            write: write_id(),
        };
        let json = encode_head(&head).unwrap();
        let back = assemble(&keys, "h", decode_head("h", &json).unwrap(), 7, |k| {
            blobs.get(k).map(Vec::as_slice)
        })
        .unwrap();
        stream.set_resource_version(7);
        assert_eq!(back, stream);
        let missing = assemble(&keys, "h", head, 7, |_| None).unwrap_err();
        assert!(missing.to_string().contains("is missing"), "{missing}");
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
