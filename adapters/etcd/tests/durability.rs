//! Streams beyond etcd's request limit, and etcd killed and restarted.

mod support;

#[path = "../../../tests/it/util/workloads.rs"]
mod workload;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use imagestream::chrono::DateTime;
use imagestream::ports::{StoreChange, StoreError, StreamStore};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::stream::{ImageStream, TagEvent};
use imagestream_etcd::EtcdConfig;
use support::{Etcd, unique_prefix};

#[test]
fn a_stream_of_tens_of_megabytes_round_trips_and_updates() {
    let etcd = Etcd::start();
    let prefix = unique_prefix("big");
    let store = etcd.store_with(EtcdConfig::new().prefix(prefix.clone()));
    let (tags, events) = (10_000, 10);
    let wire = workload::big_stream(tags, events);
    let json = serde_json::to_vec(&wire).unwrap();
    assert!(
        json.len() > 20 << 20,
        "tens of MB of JSON, far above etcd's 1.5 MiB request limit: {} bytes",
        json.len()
    );
    let stream = ImageStream::try_from(wire).unwrap();
    let created = store.create(stream).unwrap();
    let (ns, name) = (
        created.value.namespace().clone(),
        created.value.name().clone(),
    );
    let got = store.get(&ns, &name).unwrap();
    assert_eq!(got, created, "the whole stream comes back");
    assert_eq!(got.value.histories().len(), tags);
    assert_eq!(
        etcd.key_revisions(&format!("{prefix}tags/")).len(),
        tags + 256,
        "one key per tag, and one per manifest bucket (10,000 tags fill all 256)"
    );

    // One mapping: one tag gains an event. One transaction, one revision,
    // one new blob; the others stay where they were.
    let mut next = got.value.clone();
    let digest = Digest::of_sha256(b"pushed");
    let event = TagEvent::new(
        ImageReference::parse(&format!(
            "172.30.56.218:5000/test/origin-ruby-sample@{digest}"
        ))
        .unwrap(),
        Some(digest),
        11,
        DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
    );
    assert!(next.add_event(&TagName::parse("tag-00042").unwrap(), event));
    let before = store.revision().unwrap();
    let updated = store.update(next, got.resource_version).unwrap();
    assert_eq!(
        updated.resource_version,
        before + 1,
        "the update was one transaction"
    );
    assert_eq!(
        etcd.key_revisions(&format!("{prefix}tags/")).len(),
        tags + 256,
        "the old blob and the old bucket went"
    );
    let again = store.get(&ns, &name).unwrap();
    assert_eq!(again, updated);
    assert_eq!(again.value.history("tag-00042").unwrap().len(), events + 1);
    // A stale writer of the big stream still conflicts.
    assert!(matches!(
        store.update(got.value, got.resource_version),
        Err(StoreError::Conflict { .. })
    ));
    store.delete(&ns, &name, None).unwrap();
    assert_eq!(
        etcd.key_revisions(&prefix).len(),
        1,
        "only the revision mark is left"
    );
}

#[test]
fn nothing_acknowledged_is_lost_when_etcd_is_killed_and_restarted() {
    let mut etcd = Etcd::start();
    let store = etcd.store_with(
        EtcdConfig::new()
            .prefix(unique_prefix("kill"))
            .retry_for(Duration::from_secs(30))
            .request_timeout(Duration::from_secs(2)),
    );
    let ns = Namespace::parse("ns").unwrap();
    let name = StreamName::parse("app").unwrap();
    let created = store
        .create(ImageStream::new(ns.clone(), name.clone()).unwrap())
        .unwrap();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (store, acked, stop, ns, name) = (
            store.clone(),
            acked.clone(),
            stop.clone(),
            ns.clone(),
            name.clone(),
        );
        std::thread::spawn(move || {
            let mut i = 0;
            let mut failures = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let result = store.get(&ns, &name).and_then(|cur| {
                    let mut next = cur.value.clone();
                    next.set_annotation(&format!("w{i}"), "x".into());
                    store.update(next, cur.resource_version)
                });
                match result {
                    Ok(_) => {
                        acked.lock().unwrap().push(format!("w{i}"));
                        i += 1;
                    }
                    Err(StoreError::Unavailable(_) | StoreError::Conflict { .. }) => failures += 1,
                    Err(e) => panic!("{e}"),
                }
            }
            failures
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    etcd.kill(0);
    let during = acked.lock().unwrap().len();
    std::thread::sleep(Duration::from_secs(1));
    etcd.restart(0);
    std::thread::sleep(Duration::from_millis(800));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    let acked = acked.lock().unwrap().clone();
    assert!(during > 0, "writes were acknowledged before the kill");
    assert!(acked.len() > during, "writes resumed after the restart");
    let end = store.get(&ns, &name).unwrap();
    let stored = &end.value.metadata().annotations.clone();
    for key in &acked {
        assert!(stored.contains_key(key), "acknowledged {key} is there");
    }
    println!(
        "{} writes acknowledged, {during} before the kill",
        acked.len()
    );
    // The change log resumes across the restart: from the creation on,
    // every write in order, ending with the stored stream.
    let changes = store.changes_since(created.resource_version).unwrap();
    assert!(changes.len() >= acked.len(), "{} changes", changes.len());
    assert!(
        changes
            .windows(2)
            .all(|w| w[0].resource_version() < w[1].resource_version())
    );
    assert_eq!(changes.last(), Some(&StoreChange::Updated(end)));
}

#[test]
fn an_unreachable_etcd_is_unavailable_not_a_hang() {
    let mut etcd = Etcd::start();
    let store = etcd.store_with(
        EtcdConfig::new()
            .prefix(unique_prefix("down"))
            .retry_for(Duration::from_millis(500))
            .request_timeout(Duration::from_millis(500)),
    );
    etcd.kill(0);
    let started = std::time::Instant::now();
    let e = store
        .get(
            &Namespace::parse("ns").unwrap(),
            &StreamName::parse("a").unwrap(),
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::Unavailable(_)), "{e}");
    assert!(
        e.to_string().starts_with("storage unavailable: etcd"),
        "{e}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
