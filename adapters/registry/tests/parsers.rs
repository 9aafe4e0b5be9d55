//! The parsers the fuzz targets drive, as properties: no panic on any
//! input, and generated indexes and challenges read back what was written.

use imagestream::reference::Digest;
use imagestream_registry::manifest::{Manifest, OCI_INDEX, Platform};
use imagestream_registry::notify::Envelope;
use imagestream_registry::{Challenge, DockerConfig};
use proptest::prelude::*;

proptest! {
    #[test]
    fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512), text in ".{0,200}") {
        let _ = Manifest::parse(&bytes, "");
        let _ = Manifest::parse(text.as_bytes(), OCI_INDEX);
        let _ = Envelope::parse(&bytes);
        let _ = Envelope::parse(text.as_bytes());
        let _ = DockerConfig::parse(&text);
        let _ = Challenge::parse(&text);
    }

    #[test]
    fn generated_indexes_read_back(children in proptest::collection::vec(("[a-z0-9]{1,8}", "[a-z]{1,8}", 0i64..1_000_000), 0..8)) {
        let entries: Vec<String> = children
            .iter()
            .enumerate()
            .map(|(i, (arch, os, size))| {
                let d = Digest::of_sha256(format!("{i}").as_bytes());
                format!(r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{d}","size":{size},"platform":{{"architecture":"{arch}","os":"{os}"}}}}"#)
            })
            .collect();
        let json = format!(r#"{{"schemaVersion":2,"manifests":[{}]}}"#, entries.join(","));
        let m = Manifest::parse(json.as_bytes(), "").unwrap();
        let read: Vec<_> = m
            .image_manifests()
            .into_iter()
            .map(|c| (c.architecture, c.os, c.manifest_size))
            .collect();
        prop_assert_eq!(read, children.clone());
        if let Some((arch, os, _)) = children.first() {
            let first = m.child_for(&Platform::new(os.clone(), arch.clone())).unwrap();
            prop_assert_eq!(first.digest.clone(), Digest::of_sha256(b"0"));
        }
    }

    #[test]
    fn quoted_challenge_values_read_back(realm in "[ -~]{0,40}", scope in "[a-z0-9/:_.-]{0,40}") {
        let quoted = realm.replace('\\', "\\\\").replace('"', "\\\"");
        let header = format!(r#"Bearer realm="{quoted}",service="svc",scope="{scope}""#);
        let c = Challenge::parse(&header).unwrap();
        prop_assert_eq!(c.param("realm"), Some(realm.as_str()));
        prop_assert_eq!(c.param("service"), Some("svc"));
        prop_assert_eq!(c.param("scope"), Some(scope.as_str()));
    }
}
