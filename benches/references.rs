//! Reference parsing beside its peers, in one criterion run.
//!
//! Groups: `parse/typical/*` (12 typical references, all valid) and
//! `parse/mixed/*` (valid and invalid inputs mixed). Each peer parses the
//! same inputs; the result is checked inside the loop so a broken fast path
//! cannot win.

use std::hint::black_box;
use std::str::FromStr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use imagestream::reference::{DockerReference, ImageReference};

const SHA: &str = "sha256:3c87c572822935df60f0f5d3665bd376841a7fcfeb806b5f212de6a00e9a7b25";

fn typical() -> Vec<String> {
    vec![
        "ubuntu:22.04".into(),
        "ghcr.io/owner/repo:v1.2.3".into(),
        format!("quay.io/org/repo@{SHA}"),
        "[::1]:5000/foo:tag".into(),
        format!("registry.example.com:5000/a/b/c:tag@{SHA}"),
        "nginx".into(),
        "library/redis:7-alpine".into(),
        "docker.io/bitnami/postgresql:16.1.0-debian-11-r15".into(),
        "localhost:5000/team/app:latest".into(),
        "172.30.56.218:5000/test/origin-ruby-sample:latest".into(),
        format!("centos/python-35-centos7@{SHA}"),
        "gcr.io/distroless/static-debian12:nonroot".into(),
    ]
}

fn mixed() -> Vec<String> {
    let mut v = typical();
    v.extend(
        [
            "Foo/bar",
            "a//b",
            "http://registry/x",
            "UPPER:tag",
            "foo:",
            "foo@sha256:abc",
            "-bad",
            "",
            "a___b",
            "ok-name:ok.tag",
        ]
        .map(String::from),
    );
    v
}

fn bench_set(c: &mut Criterion, group: &str, inputs: &[String], expect_all_ok: bool) {
    let mut g = c.benchmark_group(group);
    let bytes: usize = inputs.iter().map(String::len).sum();
    g.throughput(Throughput::Bytes(bytes as u64));
    let count = |oks: usize| {
        if expect_all_ok {
            // IPv6 hosts are outside OpenShift's and oci-spec's grammar.
            assert!(oks + 1 >= inputs.len(), "{oks} of {}", inputs.len());
        }
        oks
    };
    g.bench_function("imagestream-openshift", |b| {
        b.iter(|| {
            let oks = inputs
                .iter()
                .filter(|s| ImageReference::parse(black_box(s)).is_ok())
                .count();
            black_box(count(oks))
        });
    });
    g.bench_function("imagestream-strict", |b| {
        b.iter(|| {
            let oks = inputs
                .iter()
                .filter(|s| DockerReference::parse(black_box(s)).is_ok())
                .count();
            black_box(count(oks))
        });
    });
    g.bench_function("imagestream-normalized", |b| {
        b.iter(|| {
            let oks = inputs
                .iter()
                .filter(|s| DockerReference::parse_normalized(black_box(s)).is_ok())
                .count();
            black_box(count(oks))
        });
    });
    g.bench_function("container_image_dist_ref", |b| {
        b.iter(|| {
            let oks = inputs
                .iter()
                .filter(|s| container_image_dist_ref::ImgRef::new(black_box(s)).is_ok())
                .count();
            black_box(count(oks))
        });
    });
    g.bench_function("oci-spec", |b| {
        b.iter(|| {
            let oks = inputs
                .iter()
                .filter(|s| oci_spec::distribution::Reference::from_str(black_box(s)).is_ok())
                .count();
            black_box(count(oks))
        });
    });
    g.finish();
}

fn references(c: &mut Criterion) {
    bench_set(c, "parse/typical", &typical(), true);
    bench_set(c, "parse/mixed", &mixed(), false);
}

criterion_group!(benches, references);
criterion_main!(benches);
