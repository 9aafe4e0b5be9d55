//! Image content: an image's content is what its digest says (SPEC §13).
//!
//!
//! See [`Content`] for the rule.

use std::fmt;

use crate::api::{self, CONTENT_VERIFIED_ANNOTATION};
use crate::reference::{Digest, ReferenceError};

/// Whether an image's content was checked against its name: the content
/// rule of SPEC §13.
///
/// OpenShift trusts the first writer: an image (cluster-scoped, named by
/// its manifest digest) is created once, and a later create of the same
/// name is ignored without comparing contents (OAS
/// `registry/imagestreammapping/rest.go` :: Create ignores `AlreadyExists`;
/// OAS `registry/image/strategy.go` :: `PrepareForUpdate` keeps the old
/// metadata). So a user allowed to map images in one namespace can store
/// a forged config under a digest before the genuine push of that digest
/// in another namespace, and everyone then sees the forgery.
///
/// This crate does better. Every image a store holds is either
/// **verified**, its raw manifest (`dockerImageManifest`) hashes to its
/// name with the name's algorithm (sha256, sha384 or sha512, see
/// [`Digest::verify`]), or **unverified**, it came without a manifest.
/// A manifest that does not hash to the name is refused outright. Then:
///
/// | stored \ incoming | unverified | verified |
/// |---|---|---|
/// | none | stored ([`ImageWrite::Created`]) | stored ([`ImageWrite::Created`]) |
/// | unverified | kept ([`ImageWrite::Kept`]) | **replaced** ([`ImageWrite::Replaced`]) |
/// | verified | kept | kept |
///
/// Verified content always replaces unverified content of the same name;
/// unverified content never replaces anything. The state is stamped on the
/// stored image as the annotation [`CONTENT_VERIFIED_ANNOTATION`] (`"true"`
/// or `"false"`, under the crate's own [`ANNOTATION_PREFIX`]), which the
/// store writes itself: a value sent by a client is overwritten. The
/// `istag`/`isimage` views carry it and `describe` shows it as a
/// `Content:` line.
///
/// What is verified is the manifest and, when the image carries its raw
/// config (`dockerImageConfig`), that the manifest names the config's
/// digest. The parsed `dockerImageMetadata` is kept as sent; a store or
/// registry adapter that derives it from the verified manifest and config
/// closes that last gap.
///
/// [`ANNOTATION_PREFIX`]: crate::api::ANNOTATION_PREFIX
/// [`CONTENT_VERIFIED_ANNOTATION`]: crate::api::CONTENT_VERIFIED_ANNOTATION
///
/// Ordered: [`Content::Verified`] is greater, so "the better of two" is
/// `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Content {
    /// The image came without a manifest: nothing says its metadata is
    /// that of the digest it is named by.
    Unverified,
    /// The image's manifest hashes to its name.
    Verified,
}

impl Content {
    /// Checks `image`: [`Content::Verified`] when its manifest hashes to
    /// its name (any algorithm the crate knows), [`Content::Unverified`]
    /// when it has no manifest. Any annotation on `image` is ignored.
    ///
    /// ```
    /// use imagestream::api;
    /// use imagestream::reference::{Algorithm, Digest};
    /// use imagestream::stream::Content;
    ///
    /// let manifest = r#"{"schemaVersion":2}"#;
    /// let mut image = api::Image::default();
    /// image.metadata.name = Digest::of(Algorithm::Sha512, manifest.as_bytes()).to_string();
    /// assert_eq!(Content::check(&image)?, Content::Unverified);
    /// image.docker_image_manifest = manifest.into();
    /// assert_eq!(Content::check(&image)?, Content::Verified);
    /// image.docker_image_manifest.push(' ');
    /// assert!(Content::check(&image).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ContentError::NotADigest`] when the name is not a digest,
    /// [`ContentError::ManifestMismatch`] when the manifest hashes to
    /// something else, [`ContentError::ConfigNotInManifest`] when a raw
    /// config is present and the manifest does not name its digest.
    pub fn check(image: &api::Image) -> Result<Self, ContentError> {
        let name = Digest::parse(&image.metadata.name).map_err(|e| ContentError::NotADigest {
            name: image.metadata.name.clone(),
            source: e,
        })?;
        let manifest = image.docker_image_manifest.as_bytes();
        if manifest.is_empty() {
            return Ok(Self::Unverified);
        }
        if !name.verify(manifest) {
            return Err(ContentError::ManifestMismatch {
                actual: Box::new(Digest::of(name.algorithm(), manifest)),
                name,
            });
        }
        let config = image.docker_image_config.as_bytes();
        if !config.is_empty() {
            // A manifest names its config by digest (`config.digest`); the
            // algorithm is the registry's, sha256 everywhere today.
            let config_digest = Digest::of_sha256(config);
            if !image
                .docker_image_manifest
                .contains(&format!("\"{config_digest}\""))
            {
                return Err(ContentError::ConfigNotInManifest {
                    name,
                    config: Box::new(config_digest),
                });
            }
        }
        Ok(Self::Verified)
    }

    /// The state stamped on a stored image (its
    /// [`CONTENT_VERIFIED_ANNOTATION`]); an image without the annotation
    /// (one written by OpenShift, say) is unverified.
    #[must_use]
    pub fn of_stored(image: &api::Image) -> Self {
        match image
            .metadata
            .annotations
            .get(CONTENT_VERIFIED_ANNOTATION)
            .map(String::as_str)
        {
            Some("true") => Self::Verified,
            _ => Self::Unverified,
        }
    }

    /// Stamps this state on `image`, replacing whatever it carried.
    pub fn stamp(self, image: &mut api::Image) {
        image.metadata.annotations.insert(
            CONTENT_VERIFIED_ANNOTATION.to_owned(),
            self.annotation_value().to_owned(),
        );
    }

    /// The annotation's value: `"true"` or `"false"`.
    #[must_use]
    pub fn annotation_value(self) -> &'static str {
        match self {
            Self::Verified => "true",
            Self::Unverified => "false",
        }
    }

    /// What a store does with an incoming image of this state when
    /// `stored` (of the same name) is what it holds: see the table in the
    /// [type docs](Content).
    #[must_use]
    pub fn write_over(self, stored: Option<&api::Image>) -> ImageWrite {
        match stored {
            None => ImageWrite::Created,
            Some(s) if self == Self::Verified && Self::of_stored(s) == Self::Unverified => {
                ImageWrite::Replaced
            }
            Some(_) => ImageWrite::Kept,
        }
    }
}

impl fmt::Display for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Verified => "verified",
            Self::Unverified => "unverified",
        })
    }
}

/// What storing an image did (see [`Content::write_over`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImageWrite {
    /// No image of that name existed; this one is stored.
    Created,
    /// A verified image replaced the unverified one of the same name.
    Replaced,
    /// An image of that name was kept: the incoming one was unverified, or
    /// the stored one verified.
    Kept,
}

impl ImageWrite {
    /// Whether an image of that name was stored before (OpenShift's
    /// "already exists", which selects the mapping's pull spec, §10).
    #[must_use]
    pub fn existed(self) -> bool {
        self != Self::Created
    }
}

/// Why an image's content cannot be stored under its name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContentError {
    /// The name is not a digest.
    #[error("image name {name:?} is not a digest: {source}")]
    NotADigest {
        /// The name.
        name: String,
        /// Why it does not parse.
        source: ReferenceError,
    },
    /// The manifest hashes to another digest than the image's name.
    #[error(
        "the manifest of image {name} hashes to {actual}: an image's content must be what its digest says"
    )]
    ManifestMismatch {
        /// The image's name.
        name: Digest,
        /// The manifest's digest, with the name's algorithm.
        actual: Box<Digest>,
    },
    /// The raw config's digest does not appear in the manifest.
    #[error("the manifest of image {name} does not name its config {config}")]
    ConfigNotInManifest {
        /// The image's name.
        name: Digest,
        /// The config's sha256 digest.
        config: Box<Digest>,
    },
}

/// Checks `image` and stamps its state, for a store about to write it
/// (every [`ImageStore`](crate::ports::ImageStore) does this first).
/// Returns its name, its state and the stamped image.
///
/// # Errors
///
/// As [`Content::check`].
pub fn seal_image(mut image: api::Image) -> Result<(Digest, Content, api::Image), ContentError> {
    let content = Content::check(&image)?;
    // check() parsed the name already; parse again to own it.
    let name = Digest::parse(&image.metadata.name).map_err(|e| ContentError::NotADigest {
        name: image.metadata.name.clone(),
        source: e,
    })?;
    content.stamp(&mut image);
    Ok((name, content, image))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::Algorithm;

    fn image(name: &Digest, manifest: &str) -> api::Image {
        let mut i = api::Image::default();
        i.metadata.name = name.to_string();
        i.docker_image_manifest = manifest.into();
        i
    }

    #[test]
    fn every_known_algorithm_is_checked() {
        let m = r#"{"schemaVersion":2,"config":{"digest":"x"}}"#;
        for alg in [Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512] {
            let d = Digest::of(alg, m.as_bytes());
            assert_eq!(Content::check(&image(&d, m)), Ok(Content::Verified));
            let wrong = Digest::of(alg, b"another manifest");
            let err = Content::check(&image(&wrong, m)).unwrap_err();
            assert_eq!(
                err,
                ContentError::ManifestMismatch {
                    name: wrong.clone(),
                    actual: Box::new(d.clone())
                },
                "{alg}"
            );
            assert_eq!(Content::check(&image(&wrong, "")), Ok(Content::Unverified));
        }
    }

    #[test]
    fn the_config_must_be_named_by_the_manifest() {
        let config = r#"{"architecture":"amd64"}"#;
        let cd = Digest::of_sha256(config.as_bytes());
        let m = format!(r#"{{"config":{{"digest":"{cd}"}}}}"#);
        let mut i = image(&Digest::of_sha256(m.as_bytes()), &m);
        i.docker_image_config = config.into();
        assert_eq!(Content::check(&i), Ok(Content::Verified));
        i.docker_image_config = r#"{"architecture":"evil"}"#.into();
        assert!(matches!(
            Content::check(&i),
            Err(ContentError::ConfigNotInManifest { .. })
        ));
    }

    #[test]
    fn the_write_table() {
        let d = Digest::of_sha256(b"m");
        let mut stored = image(&d, "");
        assert_eq!(Content::Verified.write_over(None), ImageWrite::Created);
        assert_eq!(Content::Unverified.write_over(None), ImageWrite::Created);
        // No annotation: unverified.
        assert_eq!(
            Content::Verified.write_over(Some(&stored)),
            ImageWrite::Replaced
        );
        Content::Unverified.stamp(&mut stored);
        assert_eq!(
            Content::Unverified.write_over(Some(&stored)),
            ImageWrite::Kept
        );
        assert_eq!(
            Content::Verified.write_over(Some(&stored)),
            ImageWrite::Replaced
        );
        Content::Verified.stamp(&mut stored);
        assert_eq!(
            Content::Verified.write_over(Some(&stored)),
            ImageWrite::Kept
        );
        assert_eq!(
            Content::Unverified.write_over(Some(&stored)),
            ImageWrite::Kept
        );
        assert!(ImageWrite::Kept.existed() && !ImageWrite::Created.existed());
    }

    #[test]
    fn a_client_cannot_claim_verification() {
        let d = Digest::of_sha256(b"m");
        let mut forged = image(&d, "");
        Content::Verified.stamp(&mut forged);
        let (_, content, sealed) = seal_image(forged).unwrap();
        assert_eq!(content, Content::Unverified);
        assert_eq!(Content::of_stored(&sealed), Content::Unverified);
    }
}
