//! Secured registries: htpasswd with a namespace's pull secrets (right,
//! wrong and no credentials), TLS with a test CA, the bearer-token flow
//! with its cache, rate limits, and `Link` paging of tags.

mod support;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use imagestream::ports::{ImportRequest, MemoryPullSecrets, PullSecret, Registry, RegistryError};
use imagestream::reference::{Digest, ImageReference, Namespace};
use imagestream_registry::{ClientConfig, Credentials, DockerConfig, RegistryClient};
use support::{FakeServer, OCI_MANIFEST, Options, Pusher, TestRegistry};

/// The fake servers speak plain HTTP: an insecure import tries HTTPS
/// first, and a server that never answers a TLS hello would hold it for
/// the whole read timeout.
fn fast() -> ClientConfig {
    ClientConfig::new().timeouts(Duration::from_secs(2), Duration::from_millis(300))
}

fn secret(host: &str, user: &str, password: &str) -> String {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!(r#"{{"auths":{{"{host}":{{"auth":"{auth}"}}}}}}"#)
}

fn ns(s: &str) -> Namespace {
    Namespace::parse(s).unwrap()
}

#[test]
fn htpasswd_registry_uses_the_importing_namespaces_pull_secret() {
    let registry = TestRegistry::start_with(&Options {
        htpasswd: Some(("alice".into(), "s3cret".into())),
        ..Options::default()
    });
    let push = Pusher::with(
        format!("http://{}", registry.addr),
        None,
        Some(("alice", "s3cret")),
    );
    let pushed = push.image("team/app", Some("v1"), "amd64", OCI_MANIFEST);
    let secrets = Arc::new(MemoryPullSecrets::new());
    secrets.insert(
        &ns("team-a"),
        PullSecret::new(
            "pull",
            secret(&format!("http://{}", registry.addr), "alice", "s3cret"),
        ),
    );
    secrets.insert(
        &ns("team-b"),
        PullSecret::new("pull", secret(&registry.addr, "alice", "wrong")),
    );
    // A malformed secret is skipped, the next one is used.
    secrets.insert(&ns("team-d"), PullSecret::new("a-broken", "not json"));
    secrets.insert(
        &ns("team-d"),
        PullSecret::new("b-good", secret(&registry.addr, "alice", "s3cret")),
    );
    let client = RegistryClient::new(ClientConfig::new()).with_pull_secrets(secrets);
    let reference = format!("{}/team/app:v1", registry.addr);
    let ask = |n: &str| {
        ImportRequest::new(ImageReference::parse(&reference).unwrap())
            .insecure(true)
            .in_namespace(ns(n))
    };
    assert_eq!(
        client.resolve(&ask("team-a")).unwrap().digest,
        pushed.digest
    );
    assert_eq!(
        client.resolve(&ask("team-d")).unwrap().digest,
        pushed.digest
    );
    assert_eq!(client.list_tags(&ask("team-a"), 10).unwrap().tags, ["v1"]);
    for wrong in ["team-b", "team-c"] {
        let e = client.resolve(&ask(wrong)).unwrap_err();
        assert_eq!(
            (e.to_string(), e.reason()),
            (
                format!("you may not have access to the container image \"{reference}\""),
                "Unauthorized"
            ),
            "{wrong}"
        );
    }
    // Anonymous (no namespace) is refused too; the client's own
    // credentials are the fallback.
    let anonymous = ImportRequest::new(ImageReference::parse(&reference).unwrap()).insecure(true);
    assert!(matches!(
        client.resolve(&anonymous),
        Err(RegistryError::Unauthorized { .. })
    ));
    let mut global = DockerConfig::default();
    global.insert(&registry.addr, Credentials::basic("alice", "s3cret"));
    let with_global = RegistryClient::new(ClientConfig::new().credentials(global));
    assert_eq!(
        with_global.resolve(&anonymous).unwrap().digest,
        pushed.digest
    );
}

#[test]
fn tls_registry_with_a_test_ca() {
    let (ca, cert, key) = support::test_ca();
    let registry = TestRegistry::start_with(&Options {
        tls: Some((cert, key)),
        ..Options::default()
    });
    let push = Pusher::with(format!("https://{}", registry.addr), Some(&ca), None);
    let pushed = push.image("secure/app", Some("v1"), "amd64", OCI_MANIFEST);
    let reference = ImageReference::parse(&format!("{}/secure/app:v1", registry.addr)).unwrap();
    let trusted = RegistryClient::new(
        ClientConfig::new()
            .extra_ca(&registry.addr, ca.as_bytes())
            .unwrap(),
    );
    assert_eq!(
        trusted
            .resolve(&ImportRequest::new(reference.clone()))
            .unwrap()
            .digest,
        pushed.digest
    );
    // Without the CA the certificate is refused...
    let plain = RegistryClient::new(ClientConfig::new());
    let e = plain
        .resolve(&ImportRequest::new(reference.clone()))
        .unwrap_err();
    let RegistryError::Unreachable {
        registry: host,
        reason,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(host, &registry.addr);
    assert!(
        reason.to_lowercase().contains("certificate") || reason.contains("UnknownIssuer"),
        "{reason}"
    );
    // ... unless the import is insecure (unverified TLS, as OpenShift's flag).
    let image = plain
        .resolve(&ImportRequest::new(reference).insecure(true))
        .unwrap();
    assert_eq!(image.digest, pushed.digest);
    assert!(ClientConfig::new().extra_ca("h", b"not pem").is_err());
}

/// A token-protected registry: docker-registry 2.8's token auth needs a
/// signing setup of its own, so a small loopback server plays registry and
/// token server, checking what the client sends.
#[test]
fn bearer_tokens_are_fetched_once_per_scope_and_credentials() {
    let manifest_config = br#"{"architecture":"amd64","os":"linux"}"#.to_vec();
    let config_digest = Digest::of_sha256(&manifest_config);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[]}}"#,
        manifest_config.len()
    );
    let manifest_digest = Digest::of_sha256(manifest.as_bytes());
    let expected_digest = manifest_digest.clone();
    let good_basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("bob:pw")
    );
    let addr_cell = Arc::new(std::sync::OnceLock::<String>::new());
    let addr_for = addr_cell.clone();
    // After `rotated`, the registry only takes the second token.
    let rotated = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rotated_in = rotated.clone();
    let server = FakeServer::start(move |seen| {
        let addr = addr_for.get().cloned().unwrap_or_default();
        let current = if rotated_in.load(std::sync::atomic::Ordering::SeqCst) {
            "tok-2"
        } else {
            "tok-1"
        };
        if seen.url.starts_with("/token") {
            assert!(
                seen.url.contains("service=fake")
                    && seen.url.contains("scope=repository%3Aorg%2Fapp%3Apull"),
                "{}",
                seen.url
            );
            return if seen.authorization.as_deref() == Some(good_basic.as_str()) {
                (
                    200,
                    vec![],
                    format!(r#"{{"token":"{current}","expires_in":300}}"#).into_bytes(),
                )
            } else {
                (401, vec![], b"{}".to_vec())
            };
        }
        if seen.authorization.as_deref() != Some(format!("Bearer {current}").as_str()) {
            let challenge = format!(
                r#"Bearer realm="http://{addr}/token",service="fake",scope="repository:org/app:pull""#
            );
            return (
                401,
                vec![("WWW-Authenticate".into(), challenge)],
                b"{}".to_vec(),
            );
        }
        if seen.url.contains("/manifests/") {
            (
                200,
                vec![
                    ("Content-Type".into(), OCI_MANIFEST.into()),
                    ("Docker-Content-Digest".into(), manifest_digest.to_string()),
                ],
                manifest.clone().into_bytes(),
            )
        } else {
            (200, vec![], manifest_config.clone())
        }
    });
    addr_cell.set(server.addr.clone()).unwrap();
    let mut creds = DockerConfig::default();
    creds.insert(&server.addr, Credentials::basic("bob", "pw"));
    let client = RegistryClient::new(fast().credentials(creds));
    let ask =
        ImportRequest::new(ImageReference::parse(&format!("{}/org/app:v1", server.addr)).unwrap())
            .insecure(true);
    client.resolve(&ask).unwrap();
    let first = client.requests();
    let image = client.resolve(&ask).unwrap();
    assert_eq!(image.digest, expected_digest);
    assert_eq!(
        client.requests() - first,
        2,
        "manifest and config with the cached token"
    );
    let tokens = server
        .seen()
        .iter()
        .filter(|s| s.url.starts_with("/token"))
        .count();
    assert_eq!(tokens, 1, "one token for the scope");
    // A token the registry no longer takes is dropped and renewed once.
    rotated.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(client.resolve(&ask).unwrap().digest, expected_digest);
    let tokens = server
        .seen()
        .iter()
        .filter(|s| s.url.starts_with("/token"))
        .count();
    assert_eq!(tokens, 2);
    // Other credentials do not reuse the token, and are refused.
    let mut wrong = DockerConfig::default();
    wrong.insert(&server.addr, Credentials::basic("bob", "nope"));
    let other = RegistryClient::new(fast().credentials(wrong));
    assert_eq!(other.resolve(&ask).unwrap_err().reason(), "Unauthorized");
}

#[test]
fn rate_limits_and_forbidden() {
    let server = FakeServer::start(|seen| {
        if seen.url.contains("limited") {
            (
                429,
                vec![("Retry-After".into(), "7".into())],
                b"{}".to_vec(),
            )
        } else {
            (403, vec![], b"{}".to_vec())
        }
    });
    let client = RegistryClient::new(fast());
    let ask = |repo: &str| {
        ImportRequest::new(ImageReference::parse(&format!("{}/{repo}:v1", server.addr)).unwrap())
            .insecure(true)
    };
    let e = client.resolve(&ask("org/limited")).unwrap_err();
    assert_eq!(
        (e.to_string().as_str(), e.reason()),
        (
            "toomanyrequests: rate limit exceeded, retry after 7s",
            "TooManyRequests"
        )
    );
    assert_eq!(
        client.resolve(&ask("org/private")).unwrap_err().reason(),
        "Unauthorized"
    );
}

/// docker-registry 2.8 ignores `n`/`last` on `tags/list` (it answers every
/// tag, unsorted, in one page, though it pages `_catalog`), so `Link`
/// paging of tags is tested against a loopback server that pages.
#[test]
fn tag_listing_follows_link_pages_up_to_the_cap() {
    let all: Vec<String> = (0..12).map(|i| format!("v{i:02}")).collect();
    let tags = all.clone();
    let server = FakeServer::start(move |seen| {
        let start = seen
            .url
            .split("last=")
            .nth(1)
            .and_then(|l| tags.iter().position(|t| t == l).map(|p| p + 1))
            .unwrap_or(0);
        let end = (start + 5).min(tags.len());
        let page = &tags[start..end];
        let body = format!(
            r#"{{"name":"org/app","tags":{}}}"#,
            serde_json::to_string(page).unwrap()
        );
        let mut headers = vec![("Content-Type".into(), "application/json".into())];
        if end < tags.len() {
            headers.push((
                "Link".into(),
                format!(
                    "</v2/org/app/tags/list?n=5&last={}>; rel=\"next\"",
                    tags[end - 1]
                ),
            ));
        }
        (200, headers, body.into_bytes())
    });
    let client = RegistryClient::new(fast());
    let repo =
        ImportRequest::new(ImageReference::parse(&format!("{}/org/app", server.addr)).unwrap())
            .insecure(true);
    let full = client.list_tags(&repo, 100).unwrap();
    assert_eq!((full.tags.clone(), full.truncated), (all.clone(), false));
    let pages = server
        .seen()
        .iter()
        .filter(|s| s.url.contains("tags/list"))
        .count();
    assert_eq!(pages, 3);
    let seven = client.list_tags(&repo, 7).unwrap();
    assert_eq!((seven.tags, seven.truncated), (all[..7].to_vec(), true));
    let ten = client.list_tags(&repo, 10).unwrap();
    assert_eq!((ten.tags, ten.truncated), (all[..10].to_vec(), true));
}

/// An identity token (`identitytoken` in a pull secret) is exchanged with
/// an `OAuth2` refresh-token `POST`, as docker clients do.
#[test]
fn identity_tokens_use_the_oauth2_refresh_grant() {
    let addr_cell = Arc::new(std::sync::OnceLock::<String>::new());
    let addr_for = addr_cell.clone();
    let server = FakeServer::start(move |seen| {
        let addr = addr_for.get().cloned().unwrap_or_default();
        if seen.url.starts_with("/token") {
            let ok = seen.method == "POST"
                && seen.body.contains("grant_type=refresh_token")
                && seen.body.contains("refresh_token=refresh-me");
            return if ok {
                (200, vec![], br#"{"access_token":"at-1"}"#.to_vec())
            } else {
                (400, vec![], b"{}".to_vec())
            };
        }
        if seen.authorization.as_deref() == Some("Bearer at-1") {
            return (404, vec![], b"{}".to_vec());
        }
        let challenge = format!(r#"Bearer realm="http://{addr}/token",service="fake""#);
        (
            401,
            vec![("WWW-Authenticate".into(), challenge)],
            b"{}".to_vec(),
        )
    });
    addr_cell.set(server.addr.clone()).unwrap();
    let config = DockerConfig::parse(&format!(
        r#"{{"auths":{{"{}":{{"identitytoken":"refresh-me"}}}}}}"#,
        server.addr
    ))
    .unwrap();
    let client = RegistryClient::new(fast().credentials(config));
    let ask =
        ImportRequest::new(ImageReference::parse(&format!("{}/org/app:v1", server.addr)).unwrap())
            .insecure(true);
    // Authenticated with the access token, the registry says 404: NotFound,
    // not Unauthorized.
    assert_eq!(client.resolve(&ask).unwrap_err().reason(), "NotFound");
    let posts = server
        .seen()
        .iter()
        .filter(|s| s.url.starts_with("/token") && s.method == "POST")
        .count();
    assert_eq!(posts, 1);
}

/// A registry that accepts connections and never answers: the read
/// timeout turns it into `Unreachable`, quickly.
#[test]
fn a_silent_registry_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let held = Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten().take(4) {
            keep.lock().unwrap().push(stream);
        }
    });
    let client = RegistryClient::new(fast());
    let started = std::time::Instant::now();
    let e = client
        .resolve(
            &ImportRequest::new(ImageReference::parse(&format!("{addr}/a/b:c")).unwrap())
                .insecure(true),
        )
        .unwrap_err();
    assert!(matches!(e, RegistryError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().to_lowercase().contains("timeout"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

fn sha512(bytes: &[u8]) -> Digest {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    let mut hex = String::new();
    for b in sha2::Sha512::digest(bytes) {
        let _ = write!(hex, "{b:02x}");
    }
    Digest::parse(&format!("sha512:{hex}")).unwrap()
}

/// Registries may name manifests by sha512: the digest the registry sends
/// and a pinned sha512 digest are both verified.
#[test]
fn sha512_digests_are_verified() {
    let config = br#"{"architecture":"amd64","os":"linux"}"#.to_vec();
    let config_digest = Digest::of_sha256(&config);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[]}}"#,
        config.len()
    );
    let good = sha512(manifest.as_bytes());
    let wrong = sha512(b"something else");
    let (header_good, body) = (good.clone(), manifest.clone());
    let server = FakeServer::start(move |seen| {
        if seen.url.contains("/manifests/") {
            let said = if seen.url.contains("liar") {
                wrong.to_string()
            } else {
                header_good.to_string()
            };
            (
                200,
                vec![
                    ("Content-Type".into(), OCI_MANIFEST.into()),
                    ("Docker-Content-Digest".into(), said),
                ],
                body.clone().into_bytes(),
            )
        } else {
            (200, vec![], config.clone())
        }
    });
    let client = RegistryClient::new(fast());
    let ask = |r: String| ImportRequest::new(ImageReference::parse(&r).unwrap()).insecure(true);
    let image = client
        .resolve(&ask(format!("{}/org/app:v1", server.addr)))
        .unwrap();
    assert_eq!(image.digest, good);
    let pinned = client
        .resolve(&ask(format!("{}/org/app@{good}", server.addr)))
        .unwrap();
    assert_eq!(pinned.digest, good);
    let e = client
        .resolve(&ask(format!("{}/org/liar:v1", server.addr)))
        .unwrap_err();
    assert_eq!(e.reason(), "BadRequest");
    assert!(
        e.to_string().contains("does not match the digest sha512:"),
        "{e}"
    );
    let other = sha512(b"pinned elsewhere");
    let e = client
        .resolve(&ask(format!("{}/org/app@{other}", server.addr)))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("does not match the digest {other}")),
        "{e}"
    );
}
