//! Tag history operations beside naive baselines that do what OpenShift's
//! helpers do (scan every entry of every tag; prepend by copying), on a
//! stream of 10,000 tags x 50 events with 20 % of tags tracking others in
//! chains up to depth 5.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use imagestream::reference::TagName;
use imagestream::stream::{ImageStream, RollbackTarget};

mod support;

fn add_event(c: &mut Criterion) {
    let mut g = c.benchmark_group("history/add-event");
    g.sample_size(20);
    for n in [10usize, 1_000, 100_000] {
        // One tag holding n events; each iteration pushes a new image.
        let base = support::history_stream(1, 0, n);
        let tag = TagName::parse("p00000").unwrap();
        g.bench_with_input(BenchmarkId::new("imagestream", n), &n, |b, _| {
            b.iter_custom(|iters| {
                let mut is = base.clone();
                let events: Vec<_> = (0..iters)
                    .map(|i| support::push_event(1_000_000 + i))
                    .collect();
                let start = Instant::now();
                for e in events {
                    assert!(is.add_event(&tag, black_box(e)));
                }
                start.elapsed()
            });
        });
        let naive = support::naive_histories(&base);
        g.bench_with_input(BenchmarkId::new("naive-prepend", n), &n, |b, _| {
            b.iter_custom(|iters| {
                let mut h = naive["p00000"].clone();
                let events: Vec<_> = (0..iters)
                    .map(|i| {
                        let e = support::push_event(1_000_000 + i);
                        (
                            e.pull_spec().as_str().to_owned(),
                            e.image_str().to_owned(),
                            1,
                        )
                    })
                    .collect();
                let start = Instant::now();
                for e in events {
                    assert!(support::naive_add(&mut h, black_box(e)));
                }
                start.elapsed()
            });
        });
    }
    g.finish();
}

fn big() -> ImageStream {
    support::history_stream(8_000, 2_000, 50)
}

fn lookup_and_rollback(c: &mut Criterion) {
    let is = big();
    let total: usize = is.histories().map(|(_, h)| h.len()).sum();
    assert_eq!(total, 10_000 * 50);
    let target = support::digest_n(123_457);
    let prefix = target.hex()[..12].to_owned();
    assert_eq!(
        is.resolve_image(&prefix).unwrap().image(),
        Some(target.clone())
    );

    let mut g = c.benchmark_group("history/id-prefix-lookup");
    g.sample_size(20);
    g.bench_function("imagestream-index", |b| {
        b.iter(|| {
            let e = is.resolve_image(black_box(&prefix)).unwrap();
            assert!(e.has_image(&target));
        });
    });
    g.bench_function("naive-scan", |b| {
        b.iter(|| {
            let found = support::naive_resolve(&is, black_box(&prefix));
            assert_eq!(found, [target.as_str()]);
        });
    });
    g.finish();

    let mut g = c.benchmark_group("history/rollback");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(4));
    let tag = TagName::parse("p00007").unwrap();
    g.bench_function("imagestream", |b| {
        b.iter_custom(|iters| {
            let mut is = is.clone();
            let start = Instant::now();
            for i in 0..iters {
                let r = RollbackTarget::Revision(1 + (i as usize % 40));
                is.rollback(&tag, black_box(&r), chrono_now()).unwrap();
            }
            start.elapsed()
        });
    });
    let naive = support::naive_histories(&is);
    g.bench_function("naive", |b| {
        b.iter_custom(|iters| {
            let mut h = naive.clone();
            let start = Instant::now();
            for i in 0..iters {
                // OpenShift: resolve the id by scanning every tag, then
                // prepend by copying, then find followers by scanning.
                let items = &h["p00007"];
                let target = items[1 + (i as usize % 40)].1.clone();
                let mut found = None;
                for v in h.values() {
                    if let Some(e) = v.iter().find(|e| e.1 == target) {
                        found = Some(e.clone());
                    }
                }
                let e = found.unwrap();
                support::naive_add(h.get_mut("p00007").unwrap(), black_box(e));
            }
            start.elapsed()
        });
    });
    g.finish();
}

fn chrono_now() -> imagestream::chrono::DateTime<imagestream::chrono::Utc> {
    imagestream::chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

criterion_group!(benches, add_event, lookup_and_rollback);
criterion_main!(benches);
