//! What the etcd layout promises beyond the shared suite: pages at one
//! revision, writes that touch only what changed, staged writes that no
//! reader sees half-done and no loser leaves behind.

mod support;

#[path = "../../../tests/it/util/workloads.rs"]
mod workload;

use std::collections::BTreeMap;

use imagestream::chrono::DateTime;
use imagestream::ports::{StoreError, StreamStore};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::stream::{ImageStream, TagEvent};
use imagestream_etcd::EtcdConfig;
use support::{Etcd, unique_prefix};

fn ns() -> Namespace {
    Namespace::parse("test").unwrap()
}

fn empty(name: &str) -> ImageStream {
    ImageStream::new(ns(), StreamName::parse(name).unwrap()).unwrap()
}

/// Adds event `n` to `tag` (a push of a new image).
fn push(stream: &mut ImageStream, tag: &str, n: u64) {
    let digest = Digest::of_sha256(format!("{tag}/{n}").as_bytes());
    let event = TagEvent::new(
        ImageReference::parse(&format!("172.30.56.218:5000/test/app@{digest}")).unwrap(),
        Some(digest),
        7,
        DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
    );
    assert!(stream.add_event(&TagName::parse(tag).unwrap(), event));
}

fn tagged(tags: usize) -> ImageStream {
    ImageStream::try_from(workload::big_stream(tags, 3)).unwrap()
}

#[test]
fn pages_are_read_at_the_revision_of_the_first() {
    let etcd = Etcd::start();
    let store = etcd.store("pages");
    for n in ["a", "b", "c", "d", "e"] {
        store.create(empty(n)).unwrap();
    }
    let first = store.list(&ns(), Some(2), None).unwrap();
    let token = first.continue_token.clone().unwrap();
    store.create(empty("bb")).unwrap();
    store
        .delete(&ns(), &StreamName::parse("d").unwrap(), None)
        .unwrap();
    let rest = store.list(&ns(), Some(10), Some(&token)).unwrap();
    let names: Vec<String> = rest
        .items
        .iter()
        .map(|s| s.value.name().to_string())
        .collect();
    assert_eq!(names, ["c", "d", "e"], "the snapshot of the first page");
    let now: Vec<String> = store
        .list(&ns(), None, None)
        .unwrap()
        .items
        .iter()
        .map(|s| s.value.name().to_string())
        .collect();
    assert_eq!(now, ["a", "b", "bb", "c", "e"]);
    for bad in ["Not A Token", "99999999/a", "3/Upper", "x/a", "3"] {
        assert_eq!(
            store.list(&ns(), Some(2), Some(bad)).unwrap_err(),
            StoreError::InvalidContinue(bad.into()),
            "{bad}"
        );
    }
}

/// The keys under `prefix` cut into tag blobs and manifest buckets (the
/// keys whose last-but-one segment starts with `~`).
fn blobs_and_buckets(etcd: &Etcd, prefix: &str) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    etcd.key_revisions(&format!("{prefix}tags/"))
        .into_iter()
        .partition(|(k, _)| !k.contains("/~"))
}

/// The bucket names (`~xx`) of bucket keys, once each.
fn bucket_names(buckets: &BTreeMap<String, u64>) -> Vec<String> {
    let mut names: Vec<String> = buckets
        .keys()
        .filter_map(|k| k.rsplit('/').nth(1).map(str::to_owned))
        .collect();
    names.dedup();
    names
}

#[test]
fn an_update_rewrites_only_the_tags_that_changed() {
    let etcd = Etcd::start();
    let prefix = unique_prefix("diff");
    let store = etcd.store_with(EtcdConfig::new().prefix(prefix.clone()));
    let created = store.create(tagged(10)).unwrap();
    let (before, buckets) = blobs_and_buckets(&etcd, &prefix);
    assert_eq!(before.len(), 10);
    assert_eq!(
        bucket_names(&buckets).len(),
        buckets.len(),
        "one value per bucket: {buckets:?}"
    );
    assert!((1..=10).contains(&buckets.len()), "{buckets:?}");
    let mut next = created.value.clone();
    next.set_annotation("only", "metadata".into());
    let updated = store.update(next, created.resource_version).unwrap();
    assert_eq!(
        blobs_and_buckets(&etcd, &prefix),
        (before.clone(), buckets.clone()),
        "a metadata change writes no tag and no bucket"
    );
    let mut next = updated.value.clone();
    push(&mut next, "tag-00003", 1);
    let one = store.update(next, updated.resource_version).unwrap();
    let (after_one, buckets_one) = blobs_and_buckets(&etcd, &prefix);
    let changed: Vec<_> = after_one
        .iter()
        .filter(|(k, _)| !before.contains_key(*k))
        .collect();
    assert_eq!(
        changed.len(),
        1,
        "one tag changed, one blob written: {changed:?}"
    );
    assert_eq!(*changed[0].1, one.resource_version, "in the commit");
    assert_eq!(after_one.len(), 10, "its old blob removed");
    let rewritten: Vec<_> = buckets_one
        .iter()
        .filter(|(k, _)| !buckets.contains_key(*k))
        .collect();
    assert_eq!(rewritten.len(), 1, "one bucket rewritten: {rewritten:?}");
    assert_eq!(*rewritten[0].1, one.resource_version);
    assert_eq!(
        bucket_names(&buckets_one),
        bucket_names(&buckets),
        "its old value removed"
    );
    let mut next = one.value.clone();
    for t in 0..10 {
        push(&mut next, &format!("tag-{t:05}"), 2);
    }
    let pruned = store.update(next, one.resource_version).unwrap();
    let (after, buckets_after) = blobs_and_buckets(&etcd, &prefix);
    assert_eq!(after.len(), 10, "old blobs removed with the commit");
    assert_eq!(buckets_after.len(), buckets.len());
    assert!(
        after
            .values()
            .chain(buckets_after.values())
            .all(|r| *r == pruned.resource_version),
        "every tag changed, every blob and bucket rewritten in the commit"
    );
    assert_eq!(store.get(&ns(), pruned.value.name()).unwrap(), pruned);
    // A second store has no cached version: it reads the manifest and
    // still writes only the tag that changed.
    let cold = etcd.store_with(EtcdConfig::new().prefix(prefix.clone()).cached_streams(0));
    let mut next = pruned.value.clone();
    push(&mut next, "tag-00007", 3);
    let from_cold = cold.update(next, pruned.resource_version).unwrap();
    let (blobs_cold, buckets_cold) = blobs_and_buckets(&etcd, &prefix);
    assert_eq!(
        blobs_cold
            .values()
            .filter(|r| **r == from_cold.resource_version)
            .count(),
        1,
        "one blob from a store without a cache"
    );
    assert_eq!(
        buckets_cold
            .values()
            .filter(|r| **r == from_cold.resource_version)
            .count(),
        1
    );
    assert_eq!(store.get(&ns(), pruned.value.name()).unwrap(), from_cold);
    // Removing a tag removes its blob, and its bucket when it was alone.
    let mut next = from_cold.value.clone();
    next.delete_tag("tag-00007").unwrap();
    let removed = store.update(next, from_cold.resource_version).unwrap();
    let (blobs_rm, _) = blobs_and_buckets(&etcd, &prefix);
    assert_eq!(blobs_rm.len(), 9);
    assert!(blobs_rm.keys().all(|k| !k.contains("/tag-00007/")));
    assert_eq!(cold.get(&ns(), removed.value.name()).unwrap(), removed);
}

#[test]
fn staged_writes_leave_nothing_behind_and_read_whole() {
    let etcd = Etcd::start();
    let prefix = unique_prefix("staged");
    // Tiny transactions: a 40-tag stream takes several to stage.
    let store = etcd.store_with(
        EtcdConfig::new()
            .prefix(prefix.clone())
            .max_txn_ops(8)
            .max_txn_bytes(64 << 10),
    );
    let created = store.create(tagged(40)).unwrap();
    assert_eq!(store.get(&ns(), created.value.name()).unwrap(), created);
    // Writers racing with staged writes: each loser removes what it staged.
    let name = created.value.name().clone();
    std::thread::scope(|s| {
        for w in 0u8..3 {
            let (store, name) = (&store, &name);
            s.spawn(move || {
                for i in 0u8..4 {
                    loop {
                        let cur = store.get(&ns(), name).unwrap();
                        let mut next = cur.value.clone();
                        push(
                            &mut next,
                            &format!("tag-{:05}", (w * 7 + i) % 40),
                            u64::from(w * 10 + i),
                        );
                        next.set_annotation(&format!("w{w}-{i}"), "x".into());
                        match store.update(next, cur.resource_version) {
                            Ok(_) => break,
                            Err(StoreError::Conflict { .. }) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            });
        }
    });
    let end = store.get(&ns(), &name).unwrap();
    assert_eq!(
        end.value
            .metadata()
            .annotations
            .keys()
            .filter(|k| k.starts_with('w'))
            .count(),
        12,
        "no lost update"
    );
    let (blobs, buckets) = blobs_and_buckets(&etcd, &prefix);
    assert_eq!(blobs.len(), 40, "exactly the blobs the head names");
    assert_eq!(
        bucket_names(&buckets).len(),
        buckets.len(),
        "exactly the buckets the head names: {buckets:?}"
    );
    store.delete(&ns(), &name, None).unwrap();
    assert!(etcd.key_revisions(&format!("{prefix}tags/")).is_empty());
}

#[test]
fn a_cached_stream_is_never_served_once_another_store_changed_it() {
    let etcd = Etcd::start();
    let prefix = unique_prefix("cache");
    let a = etcd.store_with(EtcdConfig::new().prefix(prefix.clone()));
    let b = etcd.store_with(EtcdConfig::new().prefix(prefix));
    let created = a.create(tagged(5)).unwrap();
    let name = created.value.name().clone();
    assert_eq!(a.get(&ns(), &name).unwrap(), created, "a hit");
    // Another process changes one tag.
    let mut next = b.get(&ns(), &name).unwrap().value;
    push(&mut next, "tag-00002", 9);
    let theirs = b.update(next, created.resource_version).unwrap();
    assert_eq!(a.get(&ns(), &name).unwrap(), theirs, "a miss: re-read");
    // An update from a stale cached read conflicts; one from a fresh read
    // writes exactly what was given.
    assert!(matches!(
        a.update(created.value.clone(), created.resource_version),
        Err(StoreError::Conflict { .. })
    ));
    let mut mine = a.get(&ns(), &name).unwrap().value;
    push(&mut mine, "tag-00004", 10);
    let ours = a.update(mine, theirs.resource_version).unwrap();
    assert_eq!(b.get(&ns(), &name).unwrap(), ours);
    // Deleted elsewhere: gone here too, and re-created elsewhere: the new one.
    b.delete(&ns(), &name, None).unwrap();
    assert!(matches!(
        a.get(&ns(), &name),
        Err(StoreError::NotFound { .. })
    ));
    let again = b.create(tagged(5)).unwrap();
    assert_eq!(a.get(&ns(), &name).unwrap(), again);
}

#[test]
fn a_tag_larger_than_one_request_is_refused_whole() {
    let etcd = Etcd::start();
    let store = etcd.store_with(
        EtcdConfig::new()
            .prefix(unique_prefix("huge"))
            .max_txn_bytes(64 << 10),
    );
    // One tag whose history alone is ~300 KB of JSON.
    let huge = ImageStream::try_from(workload::big_stream(1, 1_000)).unwrap();
    let name = huge.name().clone();
    let e = store.create(huge).unwrap_err();
    assert!(matches!(e, StoreError::Unavailable(_)), "{e}");
    assert!(
        e.to_string()
            .contains(r#"tag "tag-00000" of test/origin-ruby-sample is"#)
            && e.to_string()
                .contains("more than one etcd request may carry (65536 bytes)"),
        "{e}"
    );
    assert!(matches!(
        store.get(&ns(), &name),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn a_malformed_endpoint_is_a_connect_error() {
    let e = imagestream_etcd::EtcdStore::connect(&["not a url"], EtcdConfig::new()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(r#"cannot connect to etcd at ["not a url"]: "#),
        "{e}"
    );
}
