//! Decoding and encoding `oc get is -o json` output, in one run: this
//! crate's `ImageStream` (a kube resource) against the peer typed binding
//! (`openshift-openapi`'s, on k8s-openapi), kube's untyped
//! `DynamicObject` and `serde_json::Value`. Streams of 10 and 1,000 tags,
//! 5 history entries each, with managed fields as a server writes them.
//!
//! `cargo bench -p imagestream-kube --bench decode`

#![allow(missing_docs)] // bench harness

#[path = "../../../tests/it/util/workloads.rs"]
mod workload;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use imagestream::api;
use imagestream_kube::ImageStream;
use imagestream_kube::kube::core::DynamicObject;
use openshift_openapi::api::image::v1::ImageStream as PeerImageStream;

fn server_output(tags: usize) -> String {
    let mut wire = workload::big_stream(tags, 5);
    wire.metadata.name = "python".into();
    wire.metadata.namespace = "ci".into();
    wire.metadata.uid = "8f0e4e8c-9a3f-4c77-a5a5-5a3e8fe0b0a1".into();
    wire.metadata.resource_version = "104503".into();
    wire.metadata.generation = 7;
    wire.metadata.creation_timestamp =
        imagestream::chrono::DateTime::from_timestamp(1_700_000_000, 0);
    wire.metadata.annotations.insert(
        "openshift.io/image.dockerRepositoryCheck".into(),
        "2023-11-14T22:13:20Z".into(),
    );
    let entry: api::ManagedFieldsEntry = serde_json::from_str(
        r#"{"manager":"openshift-apiserver","operation":"Update","apiVersion":"image.openshift.io/v1",
            "time":"2023-11-14T22:13:20Z","fieldsType":"FieldsV1",
            "fieldsV1":{"f:spec":{"f:lookupPolicy":{".":{},"f:local":{}},"f:tags":{}}}}"#,
    )
    .expect("a managed fields entry");
    wire.metadata.managed_fields = vec![entry.clone(), entry];
    serde_json::to_string(&wire).expect("JSON")
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    for tags in [10, 1_000] {
        let text = server_output(tags);
        // Every contender reads the same document completely.
        let ours: ImageStream = serde_json::from_str(&text).unwrap();
        let peer: PeerImageStream = serde_json::from_str(&text).unwrap();
        assert_eq!(
            ours.status.tags.len(),
            peer.status
                .as_ref()
                .map_or(0, |s| s.tags.as_ref().map_or(0, Vec::len))
        );
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::new("imagestream-kube", tags), &text, |b, t| {
            b.iter(|| black_box(serde_json::from_str::<ImageStream>(t).unwrap()));
        });
        g.bench_with_input(
            BenchmarkId::new("openshift-openapi", tags),
            &text,
            |b, t| {
                b.iter(|| black_box(serde_json::from_str::<PeerImageStream>(t).unwrap()));
            },
        );
        g.bench_with_input(
            BenchmarkId::new("kube-DynamicObject", tags),
            &text,
            |b, t| {
                b.iter(|| black_box(serde_json::from_str::<DynamicObject>(t).unwrap()));
            },
        );
        g.bench_with_input(BenchmarkId::new("serde_json-Value", tags), &text, |b, t| {
            b.iter(|| black_box(serde_json::from_str::<serde_json::Value>(t).unwrap()));
        });
    }
    g.finish();
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    for tags in [10, 1_000] {
        let text = server_output(tags);
        let ours: ImageStream = serde_json::from_str(&text).unwrap();
        let peer: PeerImageStream = serde_json::from_str(&text).unwrap();
        let dynamic: DynamicObject = serde_json::from_str(&text).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let api = ours.to_inner();
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(BenchmarkId::new("imagestream-kube", tags), |b| {
            b.iter(|| black_box(serde_json::to_vec(&ours).unwrap()));
        });
        // The api type alone: what the kube resource adds is the difference.
        g.bench_function(BenchmarkId::new("imagestream-api", tags), |b| {
            b.iter(|| black_box(serde_json::to_vec(&api).unwrap()));
        });
        g.bench_function(BenchmarkId::new("openshift-openapi", tags), |b| {
            b.iter(|| black_box(serde_json::to_vec(&peer).unwrap()));
        });
        g.bench_function(BenchmarkId::new("kube-DynamicObject", tags), |b| {
            b.iter(|| black_box(serde_json::to_vec(&dynamic).unwrap()));
        });
        g.bench_function(BenchmarkId::new("serde_json-Value", tags), |b| {
            b.iter(|| black_box(serde_json::to_vec(&value).unwrap()));
        });
    }
    g.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
