//! A three-member etcd cluster on loopback: the leader killed during a
//! write storm, and the lease moving to another holder.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use imagestream::chrono::TimeDelta;
use imagestream::ports::{Lease, StoreError, StreamStore};
use imagestream::reference::{Namespace, StreamName};
use imagestream::stream::ImageStream;
use imagestream_etcd::{EtcdConfig, EtcdStore};
use support::{Etcd, unique_prefix};

fn config(test: &str) -> EtcdConfig {
    EtcdConfig::new()
        .prefix(unique_prefix(test))
        .retry_for(Duration::from_secs(30))
        .request_timeout(Duration::from_secs(1))
}

fn log_of(stream: &ImageStream) -> Vec<String> {
    stream
        .metadata()
        .annotations
        .get("log")
        .map(|l| {
            l.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Appends `token` to the stream's log, retrying conflicts; `Ok(true)` when
/// acknowledged.
fn append(
    store: &EtcdStore,
    ns: &Namespace,
    name: &StreamName,
    token: &str,
) -> Result<(), StoreError> {
    loop {
        let cur = store.get(ns, name)?;
        let mut log = log_of(&cur.value);
        log.push(token.to_owned());
        let mut next = cur.value.clone();
        next.set_annotation("log", log.join(","));
        match store.update(next, cur.resource_version) {
            Err(StoreError::Conflict { .. }) => {}
            other => return other.map(|_| ()),
        }
    }
}

#[test]
fn killing_the_leader_during_a_write_storm_loses_and_duplicates_nothing() {
    let mut etcd = Etcd::cluster(3);
    let store = etcd.store_with(config("storm"));
    let ns = Namespace::parse("ns").unwrap();
    let name = StreamName::parse("storm").unwrap();
    store
        .create(ImageStream::new(ns.clone(), name.clone()).unwrap())
        .unwrap();
    let acked = Arc::new(Mutex::new(Vec::<(String, Instant)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (store, acked, stop, ns, name) = (
                store.clone(),
                acked.clone(),
                stop.clone(),
                ns.clone(),
                name.clone(),
            );
            std::thread::spawn(move || {
                let mut unknown = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let token = format!("w{w}-{i}");
                    i += 1;
                    match append(&store, &ns, &name, &token) {
                        Ok(()) => acked.lock().unwrap().push((token, Instant::now())),
                        Err(StoreError::Unavailable(why)) => unknown.push(format!("{token} {why}")),
                        Err(e) => panic!("{e}"),
                    }
                }
                unknown
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let leader = etcd.leader().expect("a leader");
    let killed_at = Instant::now();
    etcd.kill(leader);
    std::thread::sleep(Duration::from_secs(4));
    stop.store(true, Ordering::Relaxed);
    let unknown: Vec<String> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let acked = acked.lock().unwrap().clone();
    let before = acked.iter().filter(|(_, t)| *t < killed_at).count();
    let after = acked.len() - before;
    println!(
        "leader m{leader} killed: {before} writes acknowledged before, {after} after, {} unknown",
        unknown.len()
    );
    assert!(
        unknown.is_empty(),
        "every write got a definite answer within the retry budget: {unknown:?}"
    );
    assert!(before > 0, "the storm was running");
    assert!(after > 0, "writes resumed after the election");
    let end = log_of(&store.get(&ns, &name).unwrap().value);
    let mut distinct = end.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), end.len(), "no write applied twice");
    for (token, _) in &acked {
        assert!(end.contains(token), "acknowledged {token} is there");
    }
    assert!(
        end.len() <= acked.len() + unknown.len(),
        "nothing but attempted writes"
    );
}

#[test]
fn the_lease_moves_to_another_holder_once_its_holder_stops() {
    let mut etcd = Etcd::cluster(3);
    let prefix = unique_prefix("lease");
    let a = etcd
        .store_with(config("unused").prefix(prefix.clone()))
        .lease("controller");
    let b = etcd
        .store_with(config("unused").prefix(prefix))
        .lease("controller");
    let ttl = TimeDelta::seconds(3);
    let held = a.try_acquire("replica-a", ttl).unwrap().expect("free");
    let alive = Arc::new(AtomicBool::new(true));
    let renewer = {
        let (a, held, alive) = (a.clone(), held.clone(), alive.clone());
        std::thread::spawn(move || {
            let mut renewals = 0;
            let mut last = Instant::now();
            while alive.load(Ordering::Relaxed) {
                a.renew(&held, ttl).unwrap();
                last = Instant::now();
                renewals += 1;
                std::thread::sleep(Duration::from_millis(500));
            }
            (renewals, last)
        })
    };
    // The raft leader dies; the holder keeps renewing through the election
    // and keeps the lease.
    let leader = etcd.leader().expect("a leader");
    etcd.kill(leader);
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        assert_eq!(
            b.try_acquire("replica-b", ttl).unwrap(),
            None,
            "a renewed lease is not taken"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(a.is_leader("replica-a").unwrap());
    // The holder stops (as if its process died): another replica gets the
    // lease once the ttl lapses.
    alive.store(false, Ordering::Relaxed);
    let (renewals, last_renewal) = renewer.join().unwrap();
    let stopped = Instant::now();
    let taken = loop {
        if let Some(g) = b.try_acquire("replica-b", ttl).unwrap() {
            break g;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(10),
            "the lease never moved"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let waited = last_renewal.elapsed();
    println!("renewed {renewals} times; moved {waited:?} after the last renewal (ttl {ttl})");
    // Within the ttl of the last renewal, plus etcd's revocation (the
    // leader checks expiry every 500 ms, then revokes through raft) and
    // this loop's polling.
    assert!(
        waited <= Duration::from_secs(3) + Duration::from_millis(1200),
        "moved within the ttl: {waited:?}"
    );
    assert!(
        waited >= Duration::from_millis(2900),
        "not before the ttl: {waited:?}"
    );
    assert!(taken.term > held.term);
    assert!(!a.is_leader("replica-a").unwrap());
    assert!(matches!(
        a.renew(&held, ttl),
        Err(imagestream::ports::LeaseError::Lost { .. })
    ));
}
