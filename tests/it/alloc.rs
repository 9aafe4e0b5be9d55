//! One heap allocation per successful owned parse, counted by a global
//! allocator (per thread, so tests running in parallel do not count each other).

use imagestream::reference::{Digest, DockerReference, ImageReference};

use crate::util::alloc::allocations;

const SHA: &str = "sha256:3c87c572822935df60f0f5d3665bd376841a7fcfeb806b5f212de6a00e9a7b25";

fn inputs() -> Vec<String> {
    vec![
        "ubuntu:22.04".into(),
        "ghcr.io/owner/repo:v1.2.3".into(),
        format!("quay.io/org/repo@{SHA}"),
        format!("registry.example.com:5000/a/b/c:tag@{SHA}"),
        "localhost:5000".into(),
        format!("quay.io@{SHA}"),
        "172.30.56.218:5000/test/origin-ruby-sample:latest".into(),
        "nginx".into(),
    ]
}

#[test]
fn image_reference_parse_allocates_once() {
    for s in inputs() {
        let (n, r) = allocations(|| ImageReference::parse(&s));
        assert!(r.is_ok(), "{s}");
        assert!(n <= 1, "{s}: {n} allocations");
        drop(r);
    }
}

#[test]
fn docker_reference_parse_allocates_once() {
    for s in inputs().iter().chain(&["[::1]:5000/foo:tag".to_owned()]) {
        if s.contains("quay.io@") {
            continue; // a registry-only input is a plain name in distribution
        }
        let (n, r) = allocations(|| DockerReference::parse(s));
        assert!(r.is_ok(), "{s}");
        assert!(n <= 1, "{s}: {n} allocations");
        let (n, r) = allocations(|| DockerReference::parse_normalized(s));
        assert!(r.is_ok(), "{s}");
        assert!(n <= 1, "normalized {s}: {n} allocations");
    }
}

#[test]
fn sha256_digests_do_not_allocate() {
    let (n, d) = allocations(|| Digest::parse(SHA));
    assert!(d.is_ok());
    assert_eq!(n, 0);
    let (n, text) = allocations(|| d.as_ref().map(Digest::as_str).unwrap_or_default().len());
    assert_eq!((n, text), (0, 71));
}
