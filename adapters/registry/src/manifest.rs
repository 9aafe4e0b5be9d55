//! Manifests, manifest lists and image configs as registries serve them,
//! parsed into what the core stores. Pure: no I/O, every input checked.

use imagestream::api;
use imagestream::reference::Digest;
use serde::Deserialize;

/// Docker v2 schema 2 image manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker v2 schema 2 manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// The `Accept` header of a manifest `GET`: every media type this crate
/// reads, images and indexes.
pub const ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

/// Why a manifest or config could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// Not JSON of the expected shape.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// `manifest` or `image config`.
        what: &'static str,
        /// serde's message.
        reason: String,
    },
    /// A media type this crate does not read (schema 1, artifacts, …).
    #[error("unsupported manifest media type {0:?}")]
    UnsupportedMediaType(String),
    /// A descriptor's digest is not a valid digest.
    #[error("invalid digest {digest:?} in the manifest: {reason}")]
    BadDigest {
        /// The text.
        digest: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A negative size.
    #[error("invalid size {size} of {digest} in the manifest: sizes are not negative")]
    BadSize {
        /// The descriptor's digest.
        digest: String,
        /// The size given.
        size: i64,
    },
    /// An image manifest without a config.
    #[error("the image manifest has no config descriptor")]
    NoConfig,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    #[serde(default)]
    media_type: String,
    config: Option<RawDescriptor>,
    layers: Option<Vec<RawDescriptor>>,
    manifests: Option<Vec<RawDescriptor>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: i64,
    platform: Option<Platform>,
}

/// A platform as a manifest list names it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Platform {
    /// CPU architecture (`amd64`, `arm64`, …).
    pub architecture: String,
    /// Operating system (`linux`, …).
    pub os: String,
    /// CPU variant (`v8`, …).
    pub variant: String,
}

impl Platform {
    /// `os/architecture`, as OpenShift's default preference: `linux/amd64`.
    #[must_use]
    pub fn new(os: impl Into<String>, architecture: impl Into<String>) -> Self {
        Self {
            architecture: architecture.into(),
            os: os.into(),
            variant: String::new(),
        }
    }

    /// The platform OpenShift imports from a manifest list when none is
    /// configured: `linux/amd64`.
    #[must_use]
    pub fn linux_amd64() -> Self {
        Self::new("linux", "amd64")
    }

    /// Whether `other` is this platform (the variant only counts when
    /// this one names one).
    #[must_use]
    pub fn matches(&self, other: &Platform) -> bool {
        self.os == other.os
            && self.architecture == other.architecture
            && (self.variant.is_empty() || self.variant == other.variant)
    }
}

/// A content descriptor: what a manifest says about a blob or a child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// Its media type.
    pub media_type: String,
    /// Its digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: i64,
    /// For a manifest list's child: its platform.
    pub platform: Option<Platform>,
}

/// A parsed manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    /// A single-platform image.
    Image {
        /// The media type.
        media_type: String,
        /// The config blob.
        config: Descriptor,
        /// The layers, oldest first.
        layers: Vec<Descriptor>,
    },
    /// A manifest list or OCI index.
    Index {
        /// The media type.
        media_type: String,
        /// The children.
        manifests: Vec<Descriptor>,
    },
}

impl Manifest {
    /// Parses `bytes` served with `content_type` (the `Content-Type`
    /// header, possibly empty or generic). The media type is the header's
    /// when it names a manifest type, else the document's `mediaType`,
    /// else guessed from the shape (`manifests` is an index, `config` an
    /// OCI manifest), as registries serve OCI documents without one.
    pub fn parse(bytes: &[u8], content_type: &str) -> Result<Self, ManifestError> {
        let raw: RawManifest =
            serde_json::from_slice(bytes).map_err(|e| ManifestError::Malformed {
                what: "manifest",
                reason: e.to_string(),
            })?;
        let header = content_type.split(';').next().unwrap_or("").trim();
        let media_type = if is_known(header) {
            header.to_owned()
        } else if !raw.media_type.is_empty() {
            raw.media_type.clone()
        } else if raw.manifests.is_some() {
            OCI_INDEX.to_owned()
        } else if raw.config.is_some() {
            OCI_MANIFEST.to_owned()
        } else {
            header.to_owned()
        };
        match media_type.as_str() {
            DOCKER_MANIFEST | OCI_MANIFEST => {
                let config = descriptor(raw.config.ok_or(ManifestError::NoConfig)?)?;
                let layers = raw
                    .layers
                    .unwrap_or_default()
                    .into_iter()
                    .map(descriptor)
                    .collect::<Result<_, _>>()?;
                Ok(Self::Image {
                    media_type,
                    config,
                    layers,
                })
            }
            DOCKER_MANIFEST_LIST | OCI_INDEX => {
                let manifests = raw
                    .manifests
                    .unwrap_or_default()
                    .into_iter()
                    .map(descriptor)
                    .collect::<Result<_, _>>()?;
                Ok(Self::Index {
                    media_type,
                    manifests,
                })
            }
            _ => Err(ManifestError::UnsupportedMediaType(media_type)),
        }
    }

    /// The manifest's media type.
    #[must_use]
    pub fn media_type(&self) -> &str {
        match self {
            Self::Image { media_type, .. } | Self::Index { media_type, .. } => media_type,
        }
    }

    /// The layers as the core stores them (empty for an index).
    #[must_use]
    pub fn image_layers(&self) -> Vec<api::ImageLayer> {
        match self {
            Self::Image { layers, .. } => layers
                .iter()
                .map(|l| api::ImageLayer {
                    name: l.digest.to_string(),
                    size: l.size,
                    media_type: l.media_type.clone(),
                })
                .collect(),
            Self::Index { .. } => Vec::new(),
        }
    }

    /// An index's children as the core stores them (empty for an image).
    #[must_use]
    pub fn image_manifests(&self) -> Vec<api::ImageManifest> {
        match self {
            Self::Index { manifests, .. } => manifests
                .iter()
                .map(|m| {
                    let p = m.platform.clone().unwrap_or_default();
                    api::ImageManifest {
                        digest: m.digest.to_string(),
                        media_type: m.media_type.clone(),
                        manifest_size: m.size,
                        architecture: p.architecture,
                        os: p.os,
                        variant: p.variant,
                    }
                })
                .collect(),
            Self::Image { .. } => Vec::new(),
        }
    }

    /// For an index: the child for `platform` (OpenShift's `Legacy` rule:
    /// the first child whose platform matches).
    #[must_use]
    pub fn child_for(&self, platform: &Platform) -> Option<&Descriptor> {
        match self {
            Self::Index { manifests, .. } => manifests
                .iter()
                .find(|m| m.platform.as_ref().is_some_and(|p| platform.matches(p))),
            Self::Image { .. } => None,
        }
    }
}

fn is_known(media_type: &str) -> bool {
    matches!(
        media_type,
        DOCKER_MANIFEST | DOCKER_MANIFEST_LIST | OCI_MANIFEST | OCI_INDEX
    )
}

fn descriptor(raw: RawDescriptor) -> Result<Descriptor, ManifestError> {
    let digest = Digest::parse(&raw.digest).map_err(|e| ManifestError::BadDigest {
        digest: raw.digest.clone(),
        reason: e.to_string(),
    })?;
    if raw.size < 0 {
        return Err(ManifestError::BadSize {
            digest: raw.digest,
            size: raw.size,
        });
    }
    Ok(Descriptor {
        media_type: raw.media_type,
        digest,
        size: raw.size,
        platform: raw.platform,
    })
}

/// An image config blob (Docker or OCI) as OpenShift's Docker metadata:
/// `Id` is the config's digest, `Size` the sum of the distinct layers'
/// sizes plus the config's own size (saturating), as the importer counts
/// it; `kind`/`apiVersion` are `DockerImage`/`1.0`.
pub fn image_metadata(
    config: &[u8],
    config_digest: &Digest,
    layers: &[Descriptor],
) -> Result<api::DockerImageMetadata, ManifestError> {
    let mut meta: api::DockerImageMetadata =
        serde_json::from_slice(config).map_err(|e| ManifestError::Malformed {
            what: "image config",
            reason: e.to_string(),
        })?;
    meta.kind = "DockerImage".into();
    meta.api_version = "1.0".into();
    meta.id = config_digest.to_string();
    let mut seen = std::collections::BTreeSet::new();
    let layer_bytes = layers
        .iter()
        .filter(|l| seen.insert(&l.digest))
        .fold(0i64, |sum, l| sum.saturating_add(l.size));
    meta.size = layer_bytes.saturating_add(i64::try_from(config.len()).unwrap_or(i64::MAX));
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &[u8]) -> String {
        Digest::of_sha256(s).to_string()
    }

    #[test]
    fn image_manifest_with_layers() {
        let json = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{}","size":7}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"{}","size":10}}]}}"#,
            d(b"c"),
            d(b"l")
        );
        let m = Manifest::parse(json.as_bytes(), "").unwrap();
        assert_eq!(m.media_type(), DOCKER_MANIFEST);
        let layers = m.image_layers();
        assert_eq!(
            (layers[0].name.as_str(), layers[0].size),
            (d(b"l").as_str(), 10)
        );
        assert!(m.image_manifests().is_empty());
    }

    #[test]
    fn oci_documents_without_media_type_are_recognised_by_shape() {
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":5,"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}},{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":6,"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
            d(b"arm"),
            d(b"amd")
        );
        let m = Manifest::parse(index.as_bytes(), "application/json").unwrap();
        assert_eq!(m.media_type(), OCI_INDEX);
        let amd = m.child_for(&Platform::linux_amd64()).unwrap();
        assert_eq!(amd.digest.to_string(), d(b"amd"));
        let arm = m.child_for(&Platform::new("linux", "arm64")).unwrap();
        assert_eq!(arm.digest.to_string(), d(b"arm"));
        assert!(m.child_for(&Platform::new("windows", "amd64")).is_none());
        let children = m.image_manifests();
        assert_eq!(
            (children[0].variant.as_str(), children[1].manifest_size),
            ("v8", 6)
        );
    }

    #[test]
    fn bad_documents_are_typed_errors() {
        assert!(matches!(
            Manifest::parse(b"{", ""),
            Err(ManifestError::Malformed { .. })
        ));
        let schema1 = br#"{"schemaVersion":1,"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws"}"#;
        assert_eq!(
            Manifest::parse(schema1, "").unwrap_err().to_string(),
            "unsupported manifest media type \"application/vnd.docker.distribution.manifest.v1+prettyjws\""
        );
        let bad_digest = format!(
            r#"{{"mediaType":"{OCI_MANIFEST}","config":{{"digest":"sha256:xyz","size":1}}}}"#
        );
        assert!(matches!(
            Manifest::parse(bad_digest.as_bytes(), ""),
            Err(ManifestError::BadDigest { .. })
        ));
        let negative = format!(
            r#"{{"mediaType":"{OCI_MANIFEST}","config":{{"digest":"{}","size":-1}}}}"#,
            d(b"c")
        );
        assert!(matches!(
            Manifest::parse(negative.as_bytes(), ""),
            Err(ManifestError::BadSize { size: -1, .. })
        ));
        let no_config = format!(r#"{{"mediaType":"{OCI_MANIFEST}"}}"#);
        assert_eq!(
            Manifest::parse(no_config.as_bytes(), ""),
            Err(ManifestError::NoConfig)
        );
    }

    #[test]
    fn config_becomes_docker_metadata() {
        let config = br#"{"architecture":"amd64","os":"linux","created":"2024-05-06T07:08:09.123456789Z","author":"me","config":{"Env":["A=1"],"Cmd":["/bin/sh"],"ExposedPorts":{"8080/tcp":{}},"Labels":{"k":"v"},"StopSignal":"SIGTERM"},"rootfs":{"type":"layers","diff_ids":[]}}"#;
        let cd = Digest::of_sha256(config);
        let layer = Descriptor {
            media_type: "x".into(),
            digest: Digest::of_sha256(b"l"),
            size: 100,
            platform: None,
        };
        let meta = image_metadata(config, &cd, &[layer.clone(), layer]).unwrap();
        assert_eq!(meta.id, cd.to_string());
        assert_eq!(meta.architecture, "amd64");
        assert_eq!(meta.author, "me");
        let c = meta.config.as_ref().unwrap();
        assert_eq!(
            (c.env.as_slice(), c.cmd.as_slice()),
            (&["A=1".to_owned()][..], &["/bin/sh".to_owned()][..])
        );
        assert!(c.exposed_ports.contains_key("8080/tcp"));
        assert_eq!(
            meta.size,
            100 + i64::try_from(config.len()).unwrap(),
            "a repeated layer counts once"
        );
        assert_eq!(
            meta.created.unwrap().to_rfc3339(),
            "2024-05-06T07:08:09+00:00"
        );
        assert!(image_metadata(b"{", &cd, &[]).is_err());
        assert!(image_metadata(b"42", &cd, &[]).is_err());
    }
}
