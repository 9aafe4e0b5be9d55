//! Decoding and encoding a 1,000-tag x 10-event stream (~3 MB of JSON):
//! typed decode plus domain conversion beside decoding the same bytes into
//! `serde_json::Value`, in one criterion run.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use imagestream::{api, stream};

mod support;

fn model(c: &mut Criterion) {
    let (tags, events) = (1_000, 10);
    let json = serde_json::to_vec(&support::big_stream(tags, events)).expect("serializes");
    let domain =
        stream::ImageStream::try_from(serde_json::from_slice::<api::ImageStream>(&json).unwrap())
            .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();

    let mut g = c.benchmark_group("model/decode");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.sample_size(20);
    g.bench_function("imagestream-typed+domain", |b| {
        b.iter(|| {
            let wire: api::ImageStream = serde_json::from_slice(black_box(&json)).unwrap();
            let is = stream::ImageStream::try_from(wire).unwrap();
            assert_eq!(is.histories().len(), tags);
            is
        });
    });
    g.bench_function("imagestream-typed", |b| {
        b.iter(|| {
            let wire: api::ImageStream = serde_json::from_slice(black_box(&json)).unwrap();
            assert_eq!(wire.status.tags.len(), tags);
            wire
        });
    });
    g.bench_function("serde_json-Value", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_slice(black_box(&json)).unwrap();
            assert!(v.is_object());
            v
        });
    });
    g.finish();

    let mut g = c.benchmark_group("model/encode");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.sample_size(20);
    g.bench_function("imagestream-domain+typed", |b| {
        b.iter(|| {
            let wire = api::ImageStream::from(black_box(&domain));
            let out = serde_json::to_vec(&wire).unwrap();
            assert_eq!(out.len(), json.len());
            out
        });
    });
    g.bench_function("serde_json-Value", |b| {
        b.iter(|| {
            let out = serde_json::to_vec(black_box(&value)).unwrap();
            assert!(out.len() >= json.len() - 1);
            out
        });
    });
    g.finish();
}

criterion_group!(benches, model);
criterion_main!(benches);
