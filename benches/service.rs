//! The in-memory service beside the same work done directly on the domain
//! value: the ratio is the service's overhead (authorization, locking,
//! versioning, the change log, the retry loop).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use imagestream::ports::{ManualClock, MemoryStore, Rbac, StaticRegistry, Subject};
use imagestream::reference::{Namespace, StreamName};
use imagestream::service::ImageStreams;
use imagestream::stream::ImageStream;

mod support;

fn service(c: &mut Criterion) {
    // 1,000 tags, one event each (create discards a submitted status, as
    // the server does, so the histories go in through an update).
    let populated = support::history_stream(1_000, 0, 1);
    let store = Arc::new(MemoryStore::new());
    let svc = ImageStreams::new(
        store,
        Arc::new(StaticRegistry::new()),
        Arc::new(Rbac::new()),
        Arc::new(ManualClock::new(
            imagestream::chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        )),
    );
    let admin = Subject::system_admin();
    let ns = Namespace::parse("test").unwrap();
    let name = StreamName::parse("app").unwrap();
    svc.create(&admin, ImageStream::new(ns.clone(), name.clone()).unwrap())
        .expect("creates");
    let ((), stored) = svc
        .update(&admin, &ns, &name, |is| {
            for (tag, h) in populated.histories() {
                is.add_event(tag, h.current().cloned().expect("one event"));
            }
            Ok(())
        })
        .expect("updates");
    let domain = stored.value;
    assert_eq!(domain.histories().len(), 1_000);

    let mut g = c.benchmark_group("service/get");
    g.bench_function("imagestream-service", |b| {
        b.iter(|| {
            let s = svc.get(&admin, black_box(&ns), black_box(&name)).unwrap();
            assert_eq!(s.value.histories().len(), 1_000);
            s
        });
    });
    // An owned read of the domain value: what any store must hand out.
    g.bench_function("domain-clone", |b| {
        b.iter(|| {
            let s: ImageStream = black_box(&domain).clone();
            assert_eq!(s.histories().len(), 1_000);
            s
        });
    });
    g.finish();

    let mut g = c.benchmark_group("service/update");
    g.bench_function("imagestream-service", |b| {
        let mut n = 0u64;
        b.iter(|| {
            n += 1;
            svc.update(&admin, &ns, &name, |is| {
                is.set_annotation("n", n.to_string());
                Ok(())
            })
            .unwrap()
        });
    });
    g.bench_function("domain-clone-and-change", |b| {
        let mut n = 0u64;
        b.iter(|| {
            n += 1;
            let mut s = black_box(&domain).clone();
            s.set_annotation("n", n.to_string());
            s
        });
    });
    g.finish();

    let mut g = c.benchmark_group("service/update-2-threads");
    g.sample_size(20);
    g.bench_function("imagestream-service", |b| {
        b.iter_custom(|iters| {
            let svc = &svc;
            let (ns, name, admin) = (&ns, &name, &admin);
            let start = Instant::now();
            std::thread::scope(|scope| {
                for t in 0..2 {
                    scope.spawn(move || {
                        for i in 0..iters.div_ceil(2) {
                            svc.update(admin, ns, name, |is| {
                                is.set_annotation(&format!("t{t}"), i.to_string());
                                Ok(())
                            })
                            .unwrap();
                        }
                    });
                }
            });
            start.elapsed()
        });
    });
    g.finish();
}

criterion_group!(benches, service);
criterion_main!(benches);
