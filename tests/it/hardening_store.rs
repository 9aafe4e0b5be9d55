//! Issue #10, points 11 and 12: the in-memory store's change log is
//! bounded by bytes (1,000 annotation updates of a 1,000-tag stream used
//! to hold 1,000 full copies), and the store, not the client, sets the
//! server's fields (uid, resourceVersion, deletion request, and with a
//! clock the creation time). Heap bytes are counted by the test binary's
//! allocator (per thread).

use std::sync::Arc;

use imagestream::api;
use imagestream::chrono::{DateTime, TimeZone, Utc};
use imagestream::ports::{DEFAULT_LOG_BYTES, ManualClock, MemoryStore, StoreError, StreamStore};
use imagestream::stream::ImageStream;

use crate::util::alloc::live;
use crate::util::workloads as support;

fn big() -> ImageStream {
    ImageStream::try_from(support::big_stream(1_000, 2)).unwrap()
}

#[test]
fn the_size_estimate_is_within_a_factor_of_two_of_the_heap() {
    let json = serde_json::to_vec(&support::big_stream(1_000, 2)).unwrap();
    let before = live();
    let wire: api::ImageStream = serde_json::from_slice(&json).unwrap();
    let is = ImageStream::try_from(wire).unwrap();
    let held = usize::try_from(live() - before).unwrap();
    let estimate = is.approximate_size();
    assert!(
        estimate * 2 >= held && estimate <= held * 2,
        "estimate {estimate} vs {held} heap bytes"
    );
}

#[test]
fn a_thousand_updates_of_a_thousand_tag_stream_stay_within_the_budget() {
    let store = MemoryStore::new();
    let before = live();
    let mut current = store.create(big()).unwrap();
    let one = usize::try_from(live() - before).unwrap() / 2;
    let mut peak = 0isize;
    for i in 0..1_000 {
        let mut next = current.value.clone();
        next.set_annotation("example.com/counter", i.to_string());
        current = store.update(next, current.resource_version).unwrap();
        peak = peak.max(live() - before);
    }
    let peak = usize::try_from(peak).unwrap();
    println!(
        "one stream {one} bytes; peak {peak} bytes after 1,000 updates; log {} bytes",
        store.log_bytes()
    );
    assert!(store.log_bytes() <= DEFAULT_LOG_BYTES);
    // The log's budget, the current version, the caller's copies and
    // the snapshot being added: far below 1,000 copies.
    assert!(
        peak <= DEFAULT_LOG_BYTES * 2 + 8 * one,
        "peak {peak} bytes, one stream {one}"
    );
    assert!(peak < 300 * one, "peak {peak} = {} streams", peak / one);
    // The oldest changes were compacted away; the newest is kept.
    assert!(matches!(
        store.changes_since(0),
        Err(StoreError::Compacted { .. })
    ));
    let newest = store.changes_since(current.resource_version - 1).unwrap();
    assert_eq!(newest.len(), 1);
}

#[test]
fn the_newest_change_is_kept_whatever_the_budget() {
    let store = MemoryStore::new().with_log_bytes(1);
    let a = store.create(big()).unwrap();
    let b = store.update(a.value.clone(), a.resource_version).unwrap();
    assert_eq!(
        store.changes_since(a.resource_version).unwrap().len(),
        1,
        "the update is kept"
    );
    assert!(matches!(
        store.changes_since(a.resource_version - 1),
        Err(StoreError::Compacted { .. })
    ));
    assert_eq!(b.resource_version, a.resource_version + 1);
}

fn forged() -> ImageStream {
    let json = serde_json::json!({
        "metadata": {
            "name": "app", "namespace": "default",
            "uid": "stolen-uid",
            "resourceVersion": "99999",
            "creationTimestamp": "2001-01-01T00:00:00Z",
            "deletionTimestamp": "2001-01-02T00:00:00Z",
            "deletionGracePeriodSeconds": 30,
        },
    });
    ImageStream::try_from(serde_json::from_value::<api::ImageStream>(json).unwrap()).unwrap()
}

#[test]
fn the_store_sets_the_server_fields_on_create() {
    let now = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    let store = MemoryStore::new().with_clock(Arc::new(ManualClock::new(now)));
    let a = store.create(forged()).unwrap();
    let meta = a.value.metadata();
    assert_ne!(meta.uid, "stolen-uid");
    assert!(!meta.uid.is_empty());
    assert_eq!(meta.resource_version, a.resource_version.to_string());
    assert_eq!(meta.creation_timestamp, Some(now));
    assert_eq!(meta.deletion_timestamp, None);
    assert_eq!(meta.deletion_grace_period_seconds, None);
    // Another namespace's stream with the same client uid gets its own.
    let mut wire = api::ImageStream::from(forged());
    wire.metadata.namespace = "other".into();
    let b = store.create(ImageStream::try_from(wire).unwrap()).unwrap();
    assert_ne!(b.value.metadata().uid, meta.uid);
    assert_eq!(store.get(a.value.namespace(), a.value.name()).unwrap(), a);
}

#[test]
fn an_update_keeps_the_stored_server_fields() {
    let store = MemoryStore::new();
    let a = store
        .create(ImageStream::new("default".parse().unwrap(), "app".parse().unwrap()).unwrap())
        .unwrap();
    let mut wire = api::ImageStream::from(&a.value);
    wire.metadata.uid = "stolen-uid".into();
    wire.metadata.creation_timestamp = DateTime::from_timestamp(0, 0);
    wire.metadata.deletion_timestamp = DateTime::from_timestamp(0, 0);
    let b = store
        .update(ImageStream::try_from(wire).unwrap(), a.resource_version)
        .unwrap();
    let (old, new) = (a.value.metadata(), b.value.metadata());
    assert_eq!(new.uid, old.uid);
    assert_eq!(new.creation_timestamp, old.creation_timestamp);
    assert_eq!(new.deletion_timestamp, None);
}

#[test]
fn the_service_create_ignores_the_clients_server_fields() {
    use imagestream::ports::{Rbac, StaticRegistry, Subject};
    use imagestream::service::ImageStreams;
    let now = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    let svc = ImageStreams::new(
        Arc::new(MemoryStore::new()),
        Arc::new(StaticRegistry::new()),
        Arc::new(Rbac::new()),
        Arc::new(ManualClock::new(now)),
    );
    let admin = Subject::system_admin();
    let a = svc.create(&admin, forged()).unwrap();
    let meta = a.value.metadata();
    assert_ne!(meta.uid, "stolen-uid");
    assert_eq!(meta.resource_version, a.resource_version.to_string());
    assert_eq!(meta.creation_timestamp, Some(now), "the service's clock");
    assert_eq!(meta.deletion_timestamp, None);
    assert_eq!(meta.deletion_grace_period_seconds, None);
}
