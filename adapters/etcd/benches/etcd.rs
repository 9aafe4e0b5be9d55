//! The same store operations on `MemoryStore` and on etcd, in one run:
//! update latency and throughput with 1 and 8 writers (p50/p99 printed),
//! and one mapping (read, add an event to one tag, write) into a stream of
//! 10 vs 10,000 tags.
//!
//! `cargo bench -p imagestream-etcd --bench etcd` (starts its own etcd).

#![allow(
    missing_docs,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)] // bench harness: counts and indices far below 2^52, never negative

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "../../../tests/it/util/workloads.rs"]
mod workload;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use imagestream::chrono::DateTime;
use imagestream::ports::{MemoryStore, Stored, StreamStore};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::stream::{ImageStream, TagEvent};
use imagestream_etcd::EtcdConfig;

fn small(name: &str) -> ImageStream {
    let mut wire = workload::big_stream(10, 3);
    wire.metadata.name = name.into();
    ImageStream::try_from(wire).expect("a valid stream")
}

/// One update: an annotation changes.
fn touch(store: &dyn StreamStore, cur: &Stored<ImageStream>, i: u64) -> Stored<ImageStream> {
    let mut next = cur.value.clone();
    next.set_annotation("n", i.to_string());
    let out = store.update(next, cur.resource_version).expect("update");
    assert!(out.resource_version > cur.resource_version);
    out
}

/// `n` updates by each of `writers` threads (one stream each); every
/// latency, and the wall time.
fn run(
    store: &Arc<dyn StreamStore>,
    writers: usize,
    n: usize,
    tag: &str,
) -> (Vec<Duration>, Duration) {
    let streams: Vec<_> = (0..writers)
        .map(|w| {
            let name = format!("{tag}-{w}");
            match store.create(small(&name)) {
                Ok(s) => s,
                Err(_) => store
                    .get(
                        &Namespace::parse("test").expect("ns"),
                        &StreamName::parse(&name).expect("name"),
                    )
                    .expect("get"),
            }
        })
        .collect();
    let started = Instant::now();
    let lat: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = streams
            .into_iter()
            .map(|mut cur| {
                let store = Arc::clone(store);
                s.spawn(move || {
                    let mut lat = Vec::with_capacity(n);
                    for i in 0..n {
                        let t = Instant::now();
                        cur = touch(&*store, &cur, i as u64);
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("writer"))
            .collect()
    });
    (lat, started.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The p50/p99 table (criterion reports means only).
fn latency_table(memory: &Arc<dyn StreamStore>, etcd: &Arc<dyn StreamStore>) {
    println!("\nupdate latency and throughput (one stream per writer, 10 tags):");
    println!("| store | writers | updates | p50 | p99 | updates/s |");
    println!("|---|---|---|---|---|---|");
    for (label, store, n) in [("memory", memory, 20_000), ("etcd", etcd, 300)] {
        for writers in [1, 8] {
            let (mut lat, wall) = run(store, writers, n / writers, &format!("lat{writers}"));
            lat.sort();
            println!(
                "| {label} | {writers} | {} | {:?} | {:?} | {:.0} |",
                lat.len(),
                percentile(&lat, 0.5),
                percentile(&lat, 0.99),
                lat.len() as f64 / wall.as_secs_f64()
            );
        }
    }
    println!();
}

fn mapping_stream(tags: usize) -> ImageStream {
    let mut wire = workload::big_stream(tags, 10);
    wire.metadata.name = format!("map-{tags}");
    let mut stream = ImageStream::try_from(wire).expect("a valid stream");
    // Each mapping adds an event and drops the oldest: the stream keeps
    // its size over the run, so each sample measures the same write.
    let _ = stream.set_history_limit(std::num::NonZeroUsize::new(11));
    stream
}

/// One mapping as the service runs it: read the stream, add an event to
/// one tag, write it back.
fn mapping(store: &dyn StreamStore, ns: &Namespace, name: &StreamName, i: u64) {
    let cur = store.get(ns, name).expect("get");
    let mut next = cur.value;
    let digest = Digest::of_sha256(&i.to_le_bytes());
    let spec =
        ImageReference::parse(&format!("172.30.56.218:5000/test/app@{digest}")).expect("ref");
    let event = TagEvent::new(
        spec,
        Some(digest),
        11,
        DateTime::from_timestamp(1_700_000_000, 0).expect("time"),
    );
    assert!(next.add_event(&TagName::parse("tag-00001").expect("tag"), event));
    store.update(next, cur.resource_version).expect("update");
}

fn benches(c: &mut Criterion) {
    let etcd_server = support::Etcd::start();
    let etcd: Arc<dyn StreamStore> =
        Arc::new(etcd_server.store_with(EtcdConfig::new().prefix(support::unique_prefix("bench"))));
    let memory: Arc<dyn StreamStore> = Arc::new(MemoryStore::new());
    latency_table(&memory, &etcd);

    let mut g = c.benchmark_group("update/1-writer");
    g.throughput(Throughput::Elements(1));
    for (label, store) in [("memory", &memory), ("etcd", &etcd)] {
        let mut cur = store
            .create(small(&format!("one-{label}")))
            .expect("create");
        let mut i = 0;
        g.bench_function(label, |b| {
            b.iter(|| {
                i += 1;
                cur = touch(&**store, black_box(&cur), i);
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("update/8-writers");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    for (label, store) in [("memory", &memory), ("etcd", &etcd)] {
        g.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let per = usize::try_from(iters.div_ceil(8)).unwrap_or(1).max(1);
                let (lat, wall) = run(store, 8, per, "eight");
                // Wall time per update: the inverse of throughput.
                wall.mul_f64(iters as f64 / lat.len() as f64)
            });
        });
    }
    g.finish();

    let ns = Namespace::parse("test").expect("ns");
    let mut g = c.benchmark_group("mapping");
    g.sample_size(10);
    for tags in [10, 10_000] {
        for (label, store) in [("memory", &memory), ("etcd", &etcd)] {
            let created = store.create(mapping_stream(tags)).expect("create");
            let name = created.value.name().clone();
            let mut i = 0;
            g.bench_function(format!("{label}/{tags}-tags"), |b| {
                b.iter(|| {
                    i += 1;
                    mapping(&**store, &ns, &name, i);
                });
            });
        }
    }
    g.finish();
}

criterion_group!(etcd, benches);
criterion_main!(etcd);
