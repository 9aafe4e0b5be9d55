//! The core's store and lease conformance suites, on a real etcd.

mod support;

use imagestream::ports::StreamStore;
use imagestream::reference::{Namespace, StreamName};
use imagestream::stream::ImageStream;
use support::Etcd;

#[test]
fn etcd_store_passes_the_store_conformance_suite() {
    let etcd = Etcd::start();
    imagestream::testing::store::run(|| etcd.store("suite"));
}

#[test]
fn etcd_store_without_its_cache_passes_the_store_conformance_suite() {
    let etcd = Etcd::start();
    imagestream::testing::store::run(|| {
        etcd.store_with(
            imagestream_etcd::EtcdConfig::new()
                .prefix(support::unique_prefix("nocache"))
                .cached_streams(0),
        )
    });
}

#[test]
fn etcd_lease_passes_the_lease_conformance_suite() {
    let etcd = Etcd::start();
    imagestream::testing::lease::run(|| etcd.store("lease").lease("controller"));
}

#[test]
fn leases_of_different_names_are_independent() {
    use imagestream::chrono::TimeDelta;
    use imagestream::ports::Lease;
    let etcd = Etcd::start();
    let store = etcd.store("names");
    let ttl = TimeDelta::seconds(30);
    let (one, two) = (store.lease("one"), store.lease("two"));
    let a = one.try_acquire("replica-a", ttl).unwrap().unwrap();
    let b = two.try_acquire("replica-b", ttl).unwrap().unwrap();
    assert!(one.is_leader("replica-a").unwrap() && two.is_leader("replica-b").unwrap());
    one.release(&a).unwrap();
    assert!(two.is_leader("replica-b").unwrap());
    assert_eq!(one.holder().unwrap(), None);
    two.release(&b).unwrap();
}

#[test]
fn an_etcd_lease_lapses_after_its_ttl_without_renewal() {
    use imagestream::chrono::TimeDelta;
    use imagestream::ports::{Lease, LeaseError};
    let etcd = Etcd::start();
    let store = etcd.store("lapse");
    let lease = store.lease("ctl");
    let a = lease
        .try_acquire("replica-a", TimeDelta::milliseconds(1500))
        .unwrap()
        .unwrap();
    let left = a.expires_at - imagestream::chrono::Utc::now();
    assert!(
        left > TimeDelta::seconds(1) && left <= TimeDelta::seconds(3),
        "{left}"
    );
    assert_eq!(
        lease
            .try_acquire("replica-b", TimeDelta::seconds(2))
            .unwrap(),
        None
    );
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert_eq!(lease.holder().unwrap(), None, "lapsed");
    let b = lease
        .try_acquire("replica-b", TimeDelta::seconds(2))
        .unwrap()
        .expect("free after the ttl");
    assert!(b.term > a.term);
    assert_eq!(
        lease.renew(&a, TimeDelta::seconds(2)),
        Err(LeaseError::Lost {
            holder: "replica-a".into(),
            term: a.term
        })
    );
}

#[test]
fn compaction_is_reported_with_the_revision_to_resume_from() {
    let etcd = Etcd::start();
    let store = etcd.store("compaction");
    imagestream::testing::store::compaction(&store, |s| {
        let now = s.revision().unwrap();
        s.compact(now).unwrap();
    });
}

#[test]
fn works_from_inside_a_tokio_runtime() {
    let etcd = Etcd::start();
    let store = etcd.store("tokio");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let created = rt.block_on(async {
        // A blocking port called straight from async code: no nested
        // block_on panic.
        let is = ImageStream::new(
            Namespace::parse("ns").unwrap(),
            StreamName::parse("a").unwrap(),
        )
        .unwrap();
        let created = store.create(is).unwrap();
        // And the recommended way, through spawn_blocking.
        let s2 = store.clone();
        let got = tokio::task::spawn_blocking(move || {
            s2.get(
                &Namespace::parse("ns").unwrap(),
                &StreamName::parse("a").unwrap(),
            )
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(got, created);
        created
    });
    // Dropping the store inside a runtime is fine too.
    rt.block_on(async move { drop(store) });
    assert!(created.resource_version > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_from_a_tokio_test() {
    let etcd = Etcd::start();
    let store = etcd.store("tokio-test");
    let is = ImageStream::new(
        Namespace::parse("ns").unwrap(),
        StreamName::parse("b").unwrap(),
    )
    .unwrap();
    let created = store.create(is).unwrap();
    let page = store
        .list(&Namespace::parse("ns").unwrap(), None, None)
        .unwrap();
    assert_eq!(page.items, [created]);
}

#[tokio::test]
async fn works_from_a_current_thread_tokio_test() {
    let etcd = Etcd::start();
    let store = etcd.store("tokio-current");
    let is = ImageStream::new(
        Namespace::parse("ns").unwrap(),
        StreamName::parse("c").unwrap(),
    )
    .unwrap();
    let created = store.create(is).unwrap();
    let changes = store.changes_since(0).unwrap();
    assert_eq!(changes, [imagestream::ports::StoreChange::Created(created)]);
}
