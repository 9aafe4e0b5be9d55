//! Manifests, image configs, docker config JSON and `WWW-Authenticate`
//! challenges as a registry or a pull secret may send them: no panic on
//! any input, and what parses is consistent.
#![no_main]

use imagestream::reference::Digest;
use imagestream_registry::manifest::{self, Manifest, Platform};
use imagestream_registry::{Challenge, DockerConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let content_types = [
        "",
        manifest::OCI_INDEX,
        manifest::DOCKER_MANIFEST,
        "application/json",
    ];
    let pick = data
        .first()
        .map_or(0, |b| usize::from(*b) % content_types.len());
    if let Ok(m) = Manifest::parse(data, content_types[pick]) {
        match &m {
            Manifest::Image { layers, .. } => {
                assert_eq!(m.image_layers().len(), layers.len());
                assert!(m.image_manifests().is_empty());
            }
            Manifest::Index { manifests, .. } => {
                assert_eq!(m.image_manifests().len(), manifests.len());
                assert!(m.image_layers().is_empty());
                let _ = m.child_for(&Platform::linux_amd64());
            }
        }
        if let Manifest::Image { config, layers, .. } = &m {
            // The config verified against its digest only when it matches.
            let _ = manifest::image_metadata(data, &config.digest, layers);
        }
    }
    let _ = manifest::image_metadata(data, &Digest::of_sha256(data), &[]);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(config) = DockerConfig::parse(text) {
            let _ = config.credentials_for("docker.io");
        }
        if let Some(c) = Challenge::parse(text) {
            let _ = c.param("realm");
        }
    }
});
