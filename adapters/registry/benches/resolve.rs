//! Resolving a tag against a local docker-registry: this crate's blocking
//! client vs `oci-client` (async, on its own current-thread runtime), in
//! one run, plus the HTTP requests each makes per import (counted from the
//! registry's own log).
//!
//! `cargo bench -p imagestream-registry --bench resolve`

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use imagestream::ports::{ImportRequest, Registry};
use imagestream::reference::ImageReference;
use imagestream_registry::{ClientConfig, RegistryClient};
use oci_client::client::{ClientConfig as PeerConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use support::{OCI_MANIFEST, Options, Pusher, TestRegistry};

fn resolve(c: &mut Criterion) {
    let registry = TestRegistry::start_with(&Options {
        log_level: Some("info"),
        ..Options::default()
    });
    let push = Pusher::new(&registry);
    let image = push.image("bench/app", Some("v1"), "amd64", OCI_MANIFEST);
    let name = format!("{}/bench/app:v1", registry.addr);
    let ours = RegistryClient::new(ClientConfig::new());
    let request = ImportRequest::new(ImageReference::parse(&name).unwrap()).insecure(true);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let peer = oci_client::Client::new(PeerConfig {
        protocol: ClientProtocol::Http,
        ..PeerConfig::default()
    });
    let reference: oci_client::Reference = name.parse().unwrap();
    let peer_pull = || {
        runtime
            .block_on(peer.pull_manifest_and_config(&reference, &RegistryAuth::Anonymous))
            .unwrap()
    };

    // Requests per import: the first (cold) and a later (warm) one.
    for (label, run) in [
        (
            "imagestream-registry",
            &(|| assert_eq!(ours.resolve(&request).unwrap().digest, image.digest)) as &dyn Fn(),
        ),
        (
            "oci-client",
            &(|| assert_eq!(peer_pull().1, image.digest.to_string())) as &dyn Fn(),
        ),
    ] {
        let before = registry.requests_answered();
        run();
        let cold = registry.requests_answered() - before;
        let before = registry.requests_answered();
        run();
        let warm = registry.requests_answered() - before;
        eprintln!("requests per import, {label}: first {cold}, then {warm}");
    }

    let mut group = c.benchmark_group("resolve_tag");
    group.bench_function("imagestream-registry", |b| {
        b.iter(|| ours.resolve(&request).unwrap());
    });
    group.bench_function("oci-client", |b| b.iter(peer_pull));
    group.finish();
}

criterion_group!(benches, resolve);
criterion_main!(benches);
