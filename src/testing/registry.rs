//! The [`Registry`] contract, against a scripted answer set: the crate's
//! [`StaticRegistry`] and the registry adapter's client run the same
//! checks.
//!
//! A [`Script`] lists what the registry under test must serve: images by
//! tag (each also by digest), references that must fail with a given
//! [`RegistryError`], and a repository with many tags. The test loads the
//! script into its registry (for [`StaticRegistry`]:
//! [`Script::load`]; for a real registry: push the images, set up the
//! failures) and hands the registry to [`run`].
//!
//! ```
//! use imagestream::ports::StaticRegistry;
//! use imagestream::testing::registry::{Script, run};
//!
//! // Each check gets a registry loaded with the script from the closure.
//! run(&Script::new("registry.example.com"), |script| {
//!     let registry = StaticRegistry::new();
//!     script.load(&registry);
//!     registry
//! });
//! ```
//!
//! A registry that cannot script every failure (a real server rarely
//! rate-limits on request) runs the checks it can:
//! [`resolves_by_tag_and_digest`], [`missing_is_not_found`] and
//! [`lists_tags_with_a_cap`] need only the images.
//!
//! # Panics
//!
//! Every function here panics when the registry breaks the contract, with
//! a message saying which rule.

#![allow(clippy::missing_panics_doc)] // test code: panics are the point

use std::collections::BTreeSet;
use std::time::Duration;

use crate::ports::{ImportRequest, ImportedImage, Registry, RegistryError, StaticRegistry};
use crate::reference::ImageReference;

const MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// The answers a registry under test must give.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Script {
    /// Tagged references (`host/repo:tag`) and the image each serves;
    /// each image is also served by digest (`host/repo@digest`).
    pub images: Vec<(ImageReference, ImportedImage)>,
    /// References whose lookups fail, with the error (its
    /// [`reason`](RegistryError::reason) is what the check compares).
    pub failures: Vec<(ImageReference, RegistryError)>,
    /// References that exist nowhere in the script.
    pub missing: Vec<ImageReference>,
    /// A repository (without tag) holding [`Script::MANY`] tags.
    pub many_tags: ImageReference,
    /// Whether every request allows plain HTTP (a test registry on
    /// loopback); `false` in [`Script::new`].
    pub insecure: bool,
}

fn reference(s: &str) -> ImageReference {
    ImageReference::parse(s).expect("a valid reference built from a valid host")
}

fn image(text: &str) -> ImportedImage {
    ImportedImage::of_manifest(
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE}","annotations":{{"n":"{text}"}}}}"#
        ),
        MEDIA_TYPE,
    )
}

impl Script {
    /// How many tags [`many_tags`](Self::many_tags) holds.
    pub const MANY: usize = 12;

    /// The standard script, with every reference on `host` (a registry
    /// host, with a port if needed: `localhost:5000`).
    ///
    /// # Panics
    ///
    /// When `host` is not a valid registry host.
    #[must_use]
    pub fn new(host: &str) -> Self {
        let mut images = Vec::new();
        for (repo, tags) in [
            ("conformance/app", &["latest", "v1", "v1.1"][..]),
            ("conformance/other", &["3.6"][..]),
        ] {
            for tag in tags {
                images.push((
                    reference(&format!("{host}/{repo}:{tag}")),
                    image(&format!("{repo}:{tag}")),
                ));
            }
        }
        for i in 0..Self::MANY {
            images.push((
                reference(&format!("{host}/conformance/many:t{i:02}")),
                image(&format!("many:{i}")),
            ));
        }
        let failures = vec![
            (
                reference(&format!("{host}/conformance/private:latest")),
                RegistryError::Unauthorized {
                    reference: format!("{host}/conformance/private:latest"),
                },
            ),
            (
                reference(&format!("{host}/conformance/busy:latest")),
                RegistryError::RateLimited {
                    retry_after: Some(Duration::from_secs(30)),
                },
            ),
            (
                reference(&format!("{host}/conformance/broken:latest")),
                RegistryError::Invalid {
                    reference: format!("{host}/conformance/broken:latest"),
                    reason: "manifest unknown to the schema".into(),
                },
            ),
            (
                reference(&format!("{host}/conformance/down:latest")),
                RegistryError::Unreachable {
                    registry: host.into(),
                    reason: "connection refused".into(),
                },
            ),
        ];
        let missing = vec![
            reference(&format!("{host}/conformance/app:no-such-tag")),
            reference(&format!("{host}/conformance/no-such-repo:latest")),
            reference(&format!(
                "{host}/conformance/app@{}",
                crate::reference::Digest::of_sha256(b"no such manifest")
            )),
        ];
        Self {
            images,
            failures,
            missing,
            many_tags: reference(&format!("{host}/conformance/many")),
            insecure: false,
        }
    }

    /// Loads the script into a [`StaticRegistry`].
    pub fn load(&self, registry: &StaticRegistry) {
        for (r, image) in &self.images {
            registry.insert(r, image.clone());
            registry.insert(
                &r.with_id(Some(&image.digest)).with_tag(None),
                image.clone(),
            );
        }
        for (r, e) in &self.failures {
            registry.fail(r, e.clone());
        }
    }

    /// The tags of [`many_tags`](Self::many_tags).
    #[must_use]
    pub fn many_tag_names(&self) -> BTreeSet<String> {
        let repo = self.many_tags.as_str();
        self.images
            .iter()
            .filter(|(r, _)| r.as_repository().as_str() == repo)
            .filter_map(|(r, _)| r.tag().map(str::to_owned))
            .collect()
    }
}

/// Runs every check, each against a registry `make` builds and loads with
/// `script`.
pub fn run<R: Registry>(script: &Script, mut make: impl FnMut(&Script) -> R) {
    resolves_by_tag_and_digest(script, &make(script));
    missing_is_not_found(script, &make(script));
    failures_map_to_reasons(script, &make(script));
    lists_tags_with_a_cap(script, &make(script));
}

fn request(script: &Script, r: &ImageReference) -> ImportRequest {
    ImportRequest::new(r.clone()).insecure(script.insecure)
}

/// Every scripted image resolves by its tag and by its digest, to its
/// digest; a kept manifest hashes to the digest.
pub fn resolves_by_tag_and_digest<R: Registry>(script: &Script, registry: &R) {
    for (r, want) in &script.images {
        let by_tag = registry
            .resolve(&request(script, r))
            .unwrap_or_else(|e| panic!("resolve {r} by tag: {e}"));
        assert_eq!(
            by_tag.digest, want.digest,
            "{r} by tag resolves to its digest"
        );
        assert!(
            by_tag.manifest.is_empty() || by_tag.digest.verify(by_tag.manifest.as_bytes()),
            "{r}: a kept manifest hashes to the digest it is served under"
        );
        let pinned = r.with_tag(None).with_id(Some(&want.digest));
        let by_digest = registry
            .resolve(&request(script, &pinned))
            .unwrap_or_else(|e| panic!("resolve {pinned} by digest: {e}"));
        assert_eq!(by_digest.digest, want.digest, "{pinned} resolves to itself");
        // The request's other fields do not change the answer.
        let again = registry
            .resolve(
                &request(script, r).in_namespace(
                    crate::reference::Namespace::parse("conformance")
                        .expect("a valid namespace literal"),
                ),
            )
            .unwrap_or_else(|e| panic!("resolve {r} for a namespace: {e}"));
        assert_eq!(
            again.digest, want.digest,
            "{r}: asking for a namespace gets the same image"
        );
    }
}

/// A missing tag, repository or digest is `NotFound` (reason `NotFound`).
pub fn missing_is_not_found<R: Registry>(script: &Script, registry: &R) {
    for r in &script.missing {
        match registry.resolve(&request(script, r)) {
            Err(e) => assert_eq!(e.reason(), "NotFound", "{r}: {e}"),
            Ok(image) => panic!("{r} does not exist, yet resolved to {}", image.digest),
        }
    }
    let repo = script.missing[1].as_repository();
    match registry.list_tags(&request(script, &repo), 10) {
        Err(e) => assert_eq!(e.reason(), "NotFound", "tags of {repo}: {e}"),
        Ok(list) => panic!("{repo} does not exist, yet lists {:?}", list.tags),
    }
}

/// Each scripted failure comes back with its reason.
pub fn failures_map_to_reasons<R: Registry>(script: &Script, registry: &R) {
    for (r, want) in &script.failures {
        match registry.resolve(&request(script, r)) {
            Err(e) => assert_eq!(e.reason(), want.reason(), "{r}: got {e}, want {want}"),
            Ok(image) => panic!(
                "{r} must fail with {want}, yet resolved to {}",
                image.digest
            ),
        }
    }
}

/// `list_tags` returns every tag up to the cap, flags truncation, and
/// ignores the request's tag and id.
pub fn lists_tags_with_a_cap<R: Registry>(script: &Script, registry: &R) {
    let all = script.many_tag_names();
    let repo = &script.many_tags;
    let list = |r: &ImageReference, cap: usize| {
        registry
            .list_tags(&request(script, r), cap)
            .unwrap_or_else(|e| panic!("tags of {r} (cap {cap}): {e}"))
    };
    let full = list(repo, all.len() + 5);
    let got: BTreeSet<String> = full.tags.iter().cloned().collect();
    assert_eq!(got, all, "every tag of {repo}");
    assert_eq!(full.tags.len(), all.len(), "{repo}: no tag listed twice");
    assert!(!full.truncated, "{repo}: under the cap is not truncated");
    let exact = list(repo, all.len());
    assert_eq!(exact.tags.len(), all.len(), "{repo} at exactly its size");
    assert!(
        !exact.truncated,
        "{repo}: a cap equal to the count is not truncated"
    );
    for cap in [0, 1, 5] {
        let page = list(repo, cap);
        assert_eq!(page.tags.len(), cap, "{repo}: cap {cap} gives {cap} tags");
        assert!(
            page.truncated,
            "{repo}: cap {cap} below {} is truncated",
            all.len()
        );
        assert!(
            page.tags.iter().all(|t| all.contains(t)),
            "{repo}: cap {cap} lists only its tags: {:?}",
            page.tags
        );
    }
    let (tagged, image) = &script.images[0];
    let repo_of = tagged.as_repository();
    let own: BTreeSet<String> = script
        .images
        .iter()
        .filter(|(r, _)| r.as_repository().as_str() == repo_of.as_str())
        .filter_map(|(r, _)| r.tag().map(str::to_owned))
        .collect();
    for r in [
        tagged.clone(),
        tagged.with_tag(None).with_id(Some(&image.digest)),
    ] {
        let got: BTreeSet<String> = list(&r, 100).tags.into_iter().collect();
        assert_eq!(got, own, "tags of {r}: its tag and id are ignored");
    }
}
