//! The blocking OCI distribution client behind the core's [`Registry`] port.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use imagestream::api;
use imagestream::ports::{
    ImportRequest, ImportedImage, PullSecrets, Registry, RegistryError, TagList,
};
use imagestream::reference::{Digest, ImageReference};
use imagestream::stream::ImportMode;
use serde::Deserialize;
use ureq::Agent;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

use crate::auth::{Challenge, Credentials, DockerConfig, Scheme};
use crate::manifest::{self, Manifest, Platform};

/// The most manifest bytes read (4 MiB, the limit containerd and
/// distribution put on manifests); a larger manifest is `Invalid`.
pub const DEFAULT_MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// The most config-blob bytes read (8 MiB).
pub const DEFAULT_MAX_CONFIG_BYTES: u64 = 8 * 1024 * 1024;
/// How long connecting may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one read or write may wait.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a bearer token is kept when the token server does not say
/// (`expires_in` absent): the distribution spec's default, 60 s.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// The largest token or tag-list response read.
const MAX_SMALL_BODY: u64 = 16 * 1024 * 1024;

/// How the client talks to registries.
#[derive(Clone)]
pub struct ClientConfig {
    connect_timeout: Duration,
    read_timeout: Duration,
    max_manifest_bytes: u64,
    max_config_bytes: u64,
    preferred_platform: Platform,
    cas: BTreeMap<String, Vec<Certificate<'static>>>,
    credentials: DockerConfig,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("max_manifest_bytes", &self.max_manifest_bytes)
            .field("max_config_bytes", &self.max_config_bytes)
            .field("preferred_platform", &self.preferred_platform)
            .field("cas", &self.cas.keys().collect::<Vec<_>>())
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_manifest_bytes: DEFAULT_MAX_MANIFEST_BYTES,
            max_config_bytes: DEFAULT_MAX_CONFIG_BYTES,
            preferred_platform: Platform::linux_amd64(),
            cas: BTreeMap::new(),
            credentials: DockerConfig::default(),
        }
    }
}

/// A CA that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("invalid CA certificate for {host:?}: {reason}")]
pub struct CaError {
    host: String,
    reason: String,
}

impl ClientConfig {
    /// The defaults: HTTPS with the webpki roots, 10 s connect and 30 s
    /// read timeouts, manifests up to [`DEFAULT_MAX_MANIFEST_BYTES`],
    /// `linux/amd64` from manifest lists, no credentials.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// With other timeouts.
    #[must_use]
    pub fn timeouts(mut self, connect: Duration, read: Duration) -> Self {
        self.connect_timeout = connect;
        self.read_timeout = read;
        self
    }

    /// With another manifest size cap.
    #[must_use]
    pub fn max_manifest_bytes(mut self, bytes: u64) -> Self {
        self.max_manifest_bytes = bytes;
        self
    }

    /// With the platform `Legacy` imports pick from a manifest list
    /// (OpenShift's configured preferred platform).
    #[must_use]
    pub fn preferred_platform(mut self, platform: Platform) -> Self {
        self.preferred_platform = platform;
        self
    }

    /// Trusts the CA certificates in `pem` for registry `host` (as
    /// OpenShift's `additionalTrustedCA`, keyed by host): that host is
    /// verified against them instead of the webpki roots.
    pub fn extra_ca(mut self, host: &str, pem: &[u8]) -> Result<Self, CaError> {
        let certs = ureq::tls::parse_pem(pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CaError {
                host: host.to_owned(),
                reason: e.to_string(),
            })?;
        if certs.is_empty() {
            return Err(CaError {
                host: host.to_owned(),
                reason: "no PEM certificate found".into(),
            });
        }
        self.cas.insert(host.to_owned(), certs);
        Ok(self)
    }

    /// With credentials used when the importing namespace's pull secrets
    /// have none for the registry (the cluster's global pull secret).
    #[must_use]
    pub fn credentials(mut self, credentials: DockerConfig) -> Self {
        self.credentials = credentials;
        self
    }
}

/// A manifest fetched, verified and parsed, with the raw documents.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FetchedImage {
    /// What the core stores.
    pub image: ImportedImage,
    /// The manifest as served (its digest is `image.digest`).
    pub manifest: Vec<u8>,
    /// The config blob as served (empty for an index).
    pub config: Vec<u8>,
}

type TokenKey = (String, String, String);

/// A blocking registry client (`ureq`, no async runtime: callable from any
/// thread, including a tokio runtime's `spawn_blocking`).
///
/// One import by tag of a single-platform image costs two requests
/// (manifest, config), as `oc import-image`; the first request to a
/// token-protected registry adds the challenge and the token request,
/// and tokens are cached per registry, scope and credentials.
///
/// ```no_run
/// use imagestream::ports::{ImportRequest, Registry};
/// use imagestream::reference::ImageReference;
/// use imagestream_registry::{ClientConfig, RegistryClient};
///
/// let client = RegistryClient::new(ClientConfig::new());
/// let image = client.resolve(&ImportRequest::new(ImageReference::parse("quay.io/openshift/origin-cli:4.15")?))?;
/// println!("{} with {} layers", image.digest, image.layers.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RegistryClient {
    config: ClientConfig,
    secure: Agent,
    insecure: Agent,
    per_host: BTreeMap<String, Agent>,
    secrets: Option<Arc<dyn PullSecrets>>,
    tokens: Mutex<BTreeMap<TokenKey, (String, Instant)>>,
    basic_hosts: Mutex<BTreeSet<String>>,
    schemes: Mutex<BTreeMap<String, &'static str>>,
    requests: AtomicU64,
}

impl fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryClient")
            .field("config", &self.config)
            .field("requests", &self.requests())
            .finish_non_exhaustive()
    }
}

fn agent(config: &ClientConfig, tls: TlsConfig, https_only: bool) -> Agent {
    Agent::config_builder()
        .timeout_connect(Some(config.connect_timeout))
        .timeout_per_read(Some(config.read_timeout))
        .timeout_per_write(Some(config.read_timeout))
        .http_status_as_error(false)
        .https_only(https_only)
        .user_agent(concat!("imagestream-registry/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build()
        .into()
}

/// Where a request goes and what to name in errors.
struct Target {
    host: String,
    insecure: bool,
    reference: String,
    credentials: Option<Credentials>,
}

impl Target {
    fn unreachable(&self, reason: impl fmt::Display) -> RegistryError {
        RegistryError::Unreachable {
            registry: self.host.clone(),
            reason: reason.to_string(),
        }
    }

    fn invalid(&self, reason: impl fmt::Display) -> RegistryError {
        RegistryError::Invalid {
            reference: self.reference.clone(),
            reason: reason.to_string(),
        }
    }
}

type Response = ureq::http::Response<ureq::Body>;

impl RegistryClient {
    /// A client with `config` and no pull secrets.
    #[must_use]
    pub fn new(config: ClientConfig) -> Self {
        let secure = agent(&config, TlsConfig::default(), true);
        let insecure = agent(
            &config,
            TlsConfig::builder().disable_verification(true).build(),
            false,
        );
        let per_host = config
            .cas
            .iter()
            .map(|(host, certs)| {
                let tls = TlsConfig::builder()
                    .root_certs(RootCerts::new_with_certs(certs))
                    .build();
                (host.clone(), agent(&config, tls, true))
            })
            .collect();
        Self {
            config,
            secure,
            insecure,
            per_host,
            secrets: None,
            tokens: Mutex::default(),
            basic_hosts: Mutex::default(),
            schemes: Mutex::default(),
            requests: AtomicU64::new(0),
        }
    }

    /// With the namespaces' pull secrets: an import made in namespace N
    /// ([`ImportRequest::namespace`]) uses N's secrets first.
    #[must_use]
    pub fn with_pull_secrets(mut self, secrets: Arc<dyn PullSecrets>) -> Self {
        self.secrets = Some(secrets);
        self
    }

    /// How many HTTP requests this client has sent (token requests
    /// included).
    #[must_use]
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The credentials for `host` as seen by `request`'s namespace.
    fn credentials(&self, request: &ImportRequest, host: &str) -> Option<Credentials> {
        if let (Some(ns), Some(secrets)) = (&request.namespace, &self.secrets) {
            for secret in secrets.pull_secrets(ns) {
                // A malformed secret is skipped, as OpenShift's importer
                // skips secrets it cannot read.
                if let Ok(config) = DockerConfig::parse(&secret.docker_config_json)
                    && let Some(c) = config.credentials_for(host)
                {
                    return Some(c.clone());
                }
            }
        }
        self.config.credentials.credentials_for(host).cloned()
    }

    fn target(&self, request: &ImportRequest) -> (Target, String) {
        let full = request.reference.docker_client_defaults();
        let registry = full.registry().unwrap_or("docker.io").to_owned();
        let host = full.as_v2().registry().unwrap_or(&registry).to_owned();
        let repository = full.repository_name();
        let credentials = self.credentials(request, &registry);
        (
            Target {
                host,
                insecure: request.insecure,
                reference: request.reference.as_str().to_owned(),
                credentials,
            },
            repository,
        )
    }

    fn agent_for(&self, target: &Target, scheme: &str) -> &Agent {
        if let Some(a) = self.per_host.get(&target.host) {
            return a;
        }
        if target.insecure || scheme == "http" {
            &self.insecure
        } else {
            &self.secure
        }
    }

    /// Sends a GET for `path` (absolute path or full URL), with the auth
    /// flow; plain HTTP is tried after HTTPS only for insecure targets.
    fn get(
        &self,
        target: &Target,
        path: &str,
        accept: Option<&str>,
        scope: &str,
    ) -> Result<Response, RegistryError> {
        if path.starts_with("https://") || path.starts_with("http://") {
            let scheme = if path.starts_with("https://") {
                "https"
            } else {
                "http"
            };
            return self
                .get_authorized(target, scheme, path, accept, scope)
                .map_err(|e| target.unreachable(e));
        }
        let cached = self
            .schemes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&target.host)
            .copied();
        let schemes: &[&'static str] = match (target.insecure, cached) {
            (true, Some("http")) => &["http"],
            (false, _) | (true, Some(_)) => &["https"],
            (true, None) => &["https", "http"],
        };
        let mut last = None;
        for &scheme in schemes {
            let url = format!("{scheme}://{}{path}", target.host);
            match self.get_authorized(target, scheme, &url, accept, scope) {
                Ok(r) => {
                    if target.insecure {
                        self.schemes
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(target.host.clone(), scheme);
                    }
                    return Ok(r);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(target
            .unreachable(last.map_or_else(|| "no scheme to try".to_owned(), |e| e.to_string())))
    }

    fn send(
        &self,
        agent: &Agent,
        url: &str,
        accept: Option<&str>,
        auth: Option<&str>,
    ) -> Result<Response, ureq::Error> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut req = agent.get(url);
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        req.call()
    }

    fn get_authorized(
        &self,
        target: &Target,
        scheme: &str,
        url: &str,
        accept: Option<&str>,
        scope: &str,
    ) -> Result<Response, ureq::Error> {
        let agent = self.agent_for(target, scheme);
        let fingerprint = target
            .credentials
            .as_ref()
            .map_or_else(String::new, Credentials::fingerprint);
        let key = (target.host.clone(), scope.to_owned(), fingerprint);
        let cached = {
            let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
            match tokens.get(&key) {
                Some((t, until)) if *until > Instant::now() => Some(format!("Bearer {t}")),
                Some(_) => {
                    tokens.remove(&key);
                    None
                }
                None => None,
            }
        };
        let basic = || {
            let known = self
                .basic_hosts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&target.host);
            target
                .credentials
                .as_ref()
                .filter(|c| known && !c.username.is_empty())
                .map(Credentials::basic_header)
        };
        let from_cache = cached.is_some();
        let auth = cached.or_else(basic);
        let response = self.send(agent, url, accept, auth.as_deref())?;
        if response.status().as_u16() != 401 || (auth.is_some() && !from_cache) {
            return Ok(response);
        }
        if from_cache {
            // The registry no longer takes the cached token: forget it and
            // answer the challenge once more.
            self.tokens
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&key);
        }
        let Some(challenge) = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .and_then(Challenge::parse)
        else {
            return Ok(response);
        };
        match challenge.scheme {
            Scheme::Bearer => {
                let Some((token, lifetime)) = self.fetch_token(agent, target, &challenge, scope)?
                else {
                    return Ok(response);
                };
                self.tokens
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(key, (token.clone(), Instant::now() + lifetime));
                self.send(agent, url, accept, Some(&format!("Bearer {token}")))
            }
            Scheme::Basic => match &target.credentials {
                Some(c) if !c.username.is_empty() => {
                    self.basic_hosts
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(target.host.clone());
                    self.send(agent, url, accept, Some(&c.basic_header()))
                }
                _ => Ok(response),
            },
            Scheme::Other(_) => Ok(response),
        }
    }

    /// The token flow: `None` when the token server refuses.
    fn fetch_token(
        &self,
        agent: &Agent,
        target: &Target,
        challenge: &Challenge,
        scope: &str,
    ) -> Result<Option<(String, Duration)>, ureq::Error> {
        #[derive(Deserialize)]
        struct TokenResponse {
            #[serde(default)]
            token: String,
            #[serde(default)]
            access_token: String,
            expires_in: Option<u64>,
        }
        let Some(realm) = challenge.param("realm") else {
            return Ok(None);
        };
        let service = challenge.param("service").unwrap_or("");
        let scope = challenge.param("scope").unwrap_or(scope);
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut response = match &target.credentials {
            Some(c) if !c.identity_token.is_empty() => {
                let form = [
                    ("grant_type", "refresh_token"),
                    ("refresh_token", c.identity_token.as_str()),
                    ("service", service),
                    ("scope", scope),
                    ("client_id", "imagestream"),
                ];
                agent.post(realm).send_form(form)?
            }
            creds => {
                let mut req = agent
                    .get(realm)
                    .query("service", service)
                    .query("scope", scope);
                if let Some(c) = creds.as_ref().filter(|c| !c.username.is_empty()) {
                    req = req.header("Authorization", c.basic_header());
                }
                req.call()?
            }
        };
        if !response.status().is_success() {
            return Ok(None);
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_SMALL_BODY)
            .read_to_vec()?;
        let Ok(parsed) = serde_json::from_slice::<TokenResponse>(&body) else {
            return Ok(None);
        };
        let token = if parsed.token.is_empty() {
            parsed.access_token
        } else {
            parsed.token
        };
        if token.is_empty() {
            return Ok(None);
        }
        let lifetime = parsed
            .expires_in
            .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs);
        Ok(Some((token, lifetime)))
    }

    /// An error for a response that is not a success.
    fn status_error(target: &Target, response: &Response) -> RegistryError {
        let status = response.status();
        match status.as_u16() {
            404 => RegistryError::NotFound {
                reference: target.reference.clone(),
            },
            401 | 403 => RegistryError::Unauthorized {
                reference: target.reference.clone(),
            },
            429 => RegistryError::RateLimited {
                retry_after: response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs),
            },
            _ => target.unreachable(format_args!(
                "received unexpected HTTP status: {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )),
        }
    }

    fn read_capped(
        target: &Target,
        response: &mut Response,
        cap: u64,
        what: &str,
    ) -> Result<Vec<u8>, RegistryError> {
        let declared = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > cap) {
            return Err(target.invalid(format_args!(
                "the {what} is larger than the {cap} bytes allowed"
            )));
        }
        match response.body_mut().with_config().limit(cap).read_to_vec() {
            Ok(v) => Ok(v),
            Err(ureq::Error::BodyExceedsLimit(_)) => Err(target.invalid(format_args!(
                "the {what} is larger than the {cap} bytes allowed"
            ))),
            Err(e) => Err(target.unreachable(e)),
        }
    }

    /// GETs a manifest by tag or digest, checks its digest against the
    /// registry's `Docker-Content-Digest` and against `pinned`, and parses
    /// it. Returns the bytes, the digest and the manifest.
    fn fetch_manifest(
        &self,
        target: &Target,
        repository: &str,
        reference: &str,
        pinned: Option<&Digest>,
    ) -> Result<(Vec<u8>, Digest, Manifest), RegistryError> {
        let scope = format!("repository:{repository}:pull");
        let mut response = self.get(
            target,
            &format!("/v2/{repository}/manifests/{reference}"),
            Some(manifest::ACCEPT),
            &scope,
        )?;
        if !response.status().is_success() {
            return Err(Self::status_error(target, &response));
        }
        let header_digest = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = Self::read_capped(
            target,
            &mut response,
            self.config.max_manifest_bytes,
            "manifest",
        )?;
        let said = match header_digest {
            Some(text) => {
                let d = Digest::parse(text.trim()).map_err(|e| {
                    target.invalid(format_args!("the registry sent the digest {text:?}: {e}"))
                })?;
                if !d.verify(&bytes) {
                    return Err(target.invalid(format_args!(
                        "the manifest does not match the digest {d} the registry sent"
                    )));
                }
                Some(d)
            }
            None => None,
        };
        if let Some(p) = pinned
            && !p.verify(&bytes)
        {
            return Err(target.invalid(format_args!("the manifest does not match the digest {p}")));
        }
        let digest = pinned
            .cloned()
            .or(said)
            .unwrap_or_else(|| Digest::of_sha256(&bytes));
        let parsed = Manifest::parse(&bytes, &content_type).map_err(|e| target.invalid(e))?;
        Ok((bytes, digest, parsed))
    }

    fn fetch_blob(
        &self,
        target: &Target,
        repository: &str,
        digest: &Digest,
    ) -> Result<Vec<u8>, RegistryError> {
        let scope = format!("repository:{repository}:pull");
        let mut response = self.get(
            target,
            &format!("/v2/{repository}/blobs/{digest}"),
            None,
            &scope,
        )?;
        if !response.status().is_success() {
            return Err(Self::status_error(target, &response));
        }
        let bytes = Self::read_capped(
            target,
            &mut response,
            self.config.max_config_bytes,
            "image config",
        )?;
        if !digest.verify(&bytes) {
            return Err(target.invalid(format_args!(
                "the image config does not match its digest {digest}"
            )));
        }
        Ok(bytes)
    }

    /// Resolves `request` like [`Registry::resolve`], also returning the
    /// raw manifest and config (what a mapping carries).
    pub fn fetch(&self, request: &ImportRequest) -> Result<FetchedImage, RegistryError> {
        let (target, repository) = self.target(request);
        let pinned = request.reference.digest();
        if request.reference.id().is_some() && pinned.is_none() {
            return Err(target.invalid(format_args!(
                "{:?} is not a digest this client can verify",
                request.reference.id().unwrap_or("")
            )));
        }
        let full = request.reference.docker_client_defaults();
        let by = match &pinned {
            Some(d) => d.to_string(),
            None => full.tag().unwrap_or("latest").to_owned(),
        };
        let (bytes, digest, parsed) =
            self.fetch_manifest(&target, &repository, &by, pinned.as_ref())?;
        match &parsed {
            Manifest::Index { media_type, .. } => {
                if request.import_mode == ImportMode::PreserveOriginal {
                    let mut image = ImportedImage::new(digest, media_type.clone());
                    image.manifests = parsed.image_manifests();
                    return Ok(FetchedImage {
                        image,
                        manifest: bytes,
                        config: Vec::new(),
                    });
                }
                let platform = &self.config.preferred_platform;
                let child = parsed.child_for(platform).ok_or_else(|| {
                    target.invalid(format_args!(
                        "the manifest list has no manifest for {}/{}",
                        platform.os, platform.architecture
                    ))
                })?;
                let child_digest = child.digest.clone();
                let (bytes, digest, parsed) = self.fetch_manifest(
                    &target,
                    &repository,
                    child_digest.as_str(),
                    Some(&child_digest),
                )?;
                if matches!(parsed, Manifest::Index { .. }) {
                    return Err(target.invalid("a manifest list inside a manifest list"));
                }
                self.complete_image(&target, &repository, bytes, digest, &parsed)
            }
            Manifest::Image { .. } => {
                self.complete_image(&target, &repository, bytes, digest, &parsed)
            }
        }
    }

    fn complete_image(
        &self,
        target: &Target,
        repository: &str,
        bytes: Vec<u8>,
        digest: Digest,
        parsed: &Manifest,
    ) -> Result<FetchedImage, RegistryError> {
        let Manifest::Image {
            media_type,
            config,
            layers,
        } = parsed
        else {
            return Err(target.invalid("expected an image manifest"));
        };
        let config_bytes = self.fetch_blob(target, repository, &config.digest)?;
        let metadata = manifest::image_metadata(&config_bytes, &config.digest, layers)
            .map_err(|e| target.invalid(e))?;
        let mut image = ImportedImage::new(digest, media_type.clone());
        image.layers = parsed.image_layers();
        image.config = Some(metadata);
        Ok(FetchedImage {
            image,
            manifest: bytes,
            config: config_bytes,
        })
    }
}

/// The `Link: <url>; rel="next"` target, if any.
fn next_link(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find(|part| part.contains("rel=\"next\"") || part.contains("rel=next"))
        .and_then(|part| {
            let start = part.find('<')? + 1;
            let end = part[start..].find('>')? + start;
            Some(part[start..end].to_owned())
        })
}

impl Registry for RegistryClient {
    fn resolve(&self, request: &ImportRequest) -> Result<ImportedImage, RegistryError> {
        self.fetch(request).map(|f| f.image)
    }

    /// `GET /v2/<name>/tags/list?n=…`, following `Link` pages until `cap`
    /// tags are read. (Registry 2.8 ignores `n` and answers in one page;
    /// registries that page are followed.)
    fn list_tags(&self, request: &ImportRequest, cap: usize) -> Result<TagList, RegistryError> {
        #[derive(Deserialize)]
        struct Tags {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let (mut target, repository) = self.target(request);
        request
            .reference
            .as_repository()
            .as_str()
            .clone_into(&mut target.reference);
        let scope = format!("repository:{repository}:pull");
        let page = cap.clamp(1, 1000);
        let mut next = Some(format!("/v2/{repository}/tags/list?n={page}"));
        let mut tags = Vec::new();
        let mut truncated = false;
        while let Some(path) = next.take() {
            let mut response = self.get(&target, &path, Some("application/json"), &scope)?;
            if !response.status().is_success() {
                return Err(Self::status_error(&target, &response));
            }
            let link = next_link(&response);
            let body = Self::read_capped(&target, &mut response, MAX_SMALL_BODY, "tag list")?;
            let parsed: Tags = serde_json::from_slice(&body)
                .map_err(|e| target.invalid(format_args!("malformed tag list: {e}")))?;
            tags.extend(parsed.tags.unwrap_or_default());
            if tags.len() > cap {
                tags.truncate(cap);
                truncated = true;
                break;
            }
            if tags.len() == cap && link.is_some() {
                truncated = true;
                break;
            }
            next = link;
        }
        Ok(TagList::new(tags, truncated))
    }
}

/// The image a fetched manifest becomes in the core, as an import stores
/// it, with the raw manifest and config kept (what a mapping carries).
#[must_use]
pub fn api_image(
    reference: &ImageReference,
    fetched: &FetchedImage,
    now: imagestream::chrono::DateTime<imagestream::chrono::Utc>,
) -> api::Image {
    let f = fetched.image.clone();
    let mut image = imagestream::ops::import::imported_image(
        reference,
        &f.digest,
        &f.media_type,
        f.layers,
        f.config,
        f.manifests,
        now,
    );
    image.docker_image_manifest = String::from_utf8_lossy(&fetched.manifest).into_owned();
    image.docker_image_config = String::from_utf8_lossy(&fetched.config).into_owned();
    image
}
