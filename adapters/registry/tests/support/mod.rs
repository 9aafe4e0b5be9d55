//! Shared by the integration tests: a real `docker-registry` on a free
//! loopback port with its own temporary storage and config (killed on
//! drop), and a pusher speaking the registry's HTTP API.

// Each test binary uses a different part of this module.
#![allow(dead_code, unreachable_pub)]

use std::fmt::Write as _;
use std::io::Read as _;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use imagestream::reference::Digest;

/// A free loopback port (bound, read, released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// What the registry is configured with.
#[derive(Default, Clone)]
pub struct Options {
    /// htpasswd users (user, password).
    pub htpasswd: Option<(String, String)>,
    /// TLS certificate and key, PEM.
    pub tls: Option<(String, String)>,
    /// Notification endpoint URL and the `Authorization` header value it sends.
    pub notify: Option<(String, String)>,
    /// The port to listen on (a free one when `None`).
    pub port: Option<u16>,
    /// The log level (`warn` when `None`); at `info` the registry logs one
    /// `response completed` line per request.
    pub log_level: Option<&'static str>,
}

/// A running `docker-registry serve`.
pub struct TestRegistry {
    child: Child,
    dir: tempfile::TempDir,
    /// `127.0.0.1:<port>`.
    pub addr: String,
}

impl TestRegistry {
    pub fn start() -> Self {
        Self::start_with(&Options::default())
    }

    pub fn start_with(options: &Options) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = options.port.unwrap_or_else(free_port);
        let addr = format!("127.0.0.1:{port}");
        let root = dir.path();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: {}\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
            options.log_level.unwrap_or("warn"),
            root.join("data").display()
        );
        if let Some((cert, key)) = &options.tls {
            std::fs::write(root.join("cert.pem"), cert).unwrap();
            std::fs::write(root.join("key.pem"), key).unwrap();
            let _ = write!(
                config,
                "  tls:\n    certificate: {}\n    key: {}\n",
                root.join("cert.pem").display(),
                root.join("key.pem").display()
            );
        }
        if let Some((user, password)) = &options.htpasswd {
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .unwrap_or_else(|e| {
                    panic!("htpasswd could not run ({e}): install it with `apt-get install apache2-utils`")
                });
            assert!(out.status.success(), "htpasswd failed: {out:?}");
            std::fs::write(root.join("htpasswd"), &out.stdout).unwrap();
            let _ = write!(
                config,
                "auth:\n  htpasswd:\n    realm: test-realm\n    path: {}\n",
                root.join("htpasswd").display()
            );
        }
        if let Some((url, header)) = &options.notify {
            let _ = write!(
                config,
                "notifications:\n  endpoints:\n    - name: receiver\n      url: {url}\n      headers:\n        Authorization: [\"{header}\"]\n      timeout: 2s\n      threshold: 3\n      backoff: 500ms\n"
            );
        }
        let config_path = root.join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(root.join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "docker-registry could not start ({e}): install it with `apt-get install docker-registry`"
                )
            });
        let mut me = Self { child, dir, addr };
        me.wait_ready();
        me
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("docker-registry exited with {status}: {}", self.log());
            }
            if TcpStream::connect(&self.addr).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "docker-registry did not listen on {} within 20 s: {}",
            self.addr,
            self.log()
        );
    }

    /// The registry's temporary directory (config, `data/` storage, log).
    pub fn root(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// How many requests the registry has answered (needs `log_level:
    /// info`); waits briefly for the log to settle.
    pub fn requests_answered(&self) -> usize {
        std::thread::sleep(Duration::from_millis(200));
        self.log().matches("response completed").count()
    }

    /// The registry's log so far.
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.path().join("registry.log")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh pseudo-random byte string (sha256 chained over a counter, the
/// process id and the time): layers and configs differ between pushes.
pub fn random_bytes(len: usize) -> Vec<u8> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut seed = format!("{n}-{}-{t}", std::process::id());
    let mut out = Vec::with_capacity(len + 64);
    while out.len() < len {
        let d = Digest::of_sha256(seed.as_bytes());
        out.extend_from_slice(d.hex().as_bytes());
        seed = d.to_string();
    }
    out.truncate(len);
    out
}

/// An image pushed by [`Pusher::image`].
#[derive(Debug, Clone)]
pub struct Pushed {
    pub digest: Digest,
    pub manifest: Vec<u8>,
    pub config_digest: Digest,
    pub layers: Vec<(Digest, usize)>,
    pub media_type: &'static str,
    pub marker: String,
}

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// Pushes with the registry HTTP API: blob upload POST/PUT, manifest PUT.
pub struct Pusher {
    agent: ureq::Agent,
    base: String,
    auth: Option<String>,
}

impl Pusher {
    pub fn new(registry: &TestRegistry) -> Self {
        Self::with(format!("http://{}", registry.addr), None, None)
    }

    /// `base` is `http(s)://host:port`; `ca` a PEM CA for HTTPS.
    pub fn with(base: String, ca: Option<&str>, basic: Option<(&str, &str)>) -> Self {
        let mut cfg = ureq::Agent::config_builder().http_status_as_error(false);
        if let Some(ca) = ca {
            let cert = ureq::tls::Certificate::from_pem(ca.as_bytes()).unwrap();
            cfg = cfg.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&[cert]))
                    .build(),
            );
        }
        let auth = basic.map(|(u, p)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        });
        Self {
            agent: cfg.build().into(),
            base,
            auth,
        }
    }

    fn authed<B>(&self, r: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.auth {
            Some(a) => r.header("Authorization", a),
            None => r,
        }
    }

    pub fn blob(&self, repo: &str, bytes: &[u8]) -> Digest {
        let digest = Digest::of_sha256(bytes);
        let start = self
            .authed(
                self.agent
                    .post(format!("{}/v2/{repo}/blobs/uploads/", self.base)),
            )
            .send_empty()
            .expect("upload start");
        assert_eq!(start.status().as_u16(), 202, "blob upload start");
        let location = start.headers()["location"].to_str().unwrap().to_owned();
        let url = if location.starts_with("http") {
            location
        } else {
            format!("{}{location}", self.base)
        };
        let sep = if url.contains('?') { '&' } else { '?' };
        let done = self
            .authed(self.agent.put(format!("{url}{sep}digest={digest}")))
            .content_type("application/octet-stream")
            .send(bytes)
            .expect("upload");
        assert_eq!(done.status().as_u16(), 201, "blob upload");
        digest
    }

    pub fn manifest(&self, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) -> Digest {
        let r = self
            .authed(
                self.agent
                    .put(format!("{}/v2/{repo}/manifests/{reference}", self.base)),
            )
            .content_type(media_type)
            .send(bytes)
            .expect("manifest put");
        assert_eq!(
            r.status().as_u16(),
            201,
            "manifest put of {repo}:{reference}"
        );
        Digest::of_sha256(bytes)
    }

    /// A generated single-platform image with two small random layers,
    /// pushed under `tag` (or by digest only).
    pub fn image(
        &self,
        repo: &str,
        tag: Option<&str>,
        arch: &str,
        media_type: &'static str,
    ) -> Pushed {
        let marker = String::from_utf8(random_bytes(12)).unwrap();
        let mut layers = Vec::new();
        for len in [300, 1200] {
            let bytes = random_bytes(len);
            layers.push((self.blob(repo, &bytes), len));
        }
        let config = format!(
            r#"{{"architecture":"{arch}","os":"linux","created":"2024-01-02T03:04:05.678Z","author":"tests","config":{{"Env":["MARKER={marker}"],"Cmd":["/bin/app"],"Labels":{{"arch":"{arch}"}}}},"rootfs":{{"type":"layers","diff_ids":["{}","{}"]}}}}"#,
            layers[0].0, layers[1].0
        );
        let config_digest = self.blob(repo, config.as_bytes());
        let (config_type, layer_type) = if media_type == DOCKER_MANIFEST {
            (
                "application/vnd.docker.container.image.v1+json",
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
            )
        } else {
            (
                "application/vnd.oci.image.config.v1+json",
                "application/vnd.oci.image.layer.v1.tar+gzip",
            )
        };
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{media_type}","config":{{"mediaType":"{config_type}","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"{layer_type}","digest":"{}","size":{}}},{{"mediaType":"{layer_type}","digest":"{}","size":{}}}]}}"#,
            config.len(),
            layers[0].0,
            layers[0].1,
            layers[1].0,
            layers[1].1
        );
        let digest = Digest::of_sha256(manifest.as_bytes());
        let reference = tag.map_or_else(|| digest.to_string(), str::to_owned);
        self.manifest(repo, &reference, media_type, manifest.as_bytes());
        Pushed {
            digest,
            manifest: manifest.into_bytes(),
            config_digest,
            layers,
            media_type,
            marker,
        }
    }

    /// A two-platform index (`linux/amd64`, `linux/arm64`): the children
    /// pushed by digest, the index under `tag`.
    pub fn index(
        &self,
        repo: &str,
        tag: &str,
        media_type: &'static str,
    ) -> (Digest, Vec<u8>, Pushed, Pushed) {
        let child_type = if media_type == DOCKER_LIST {
            DOCKER_MANIFEST
        } else {
            OCI_MANIFEST
        };
        let amd = self.image(repo, None, "amd64", child_type);
        let arm = self.image(repo, None, "arm64", child_type);
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"{media_type}","manifests":[{{"mediaType":"{child_type}","digest":"{}","size":{},"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}},{{"mediaType":"{child_type}","digest":"{}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
            arm.digest,
            arm.manifest.len(),
            amd.digest,
            amd.manifest.len()
        );
        let digest = self.manifest(repo, tag, media_type, index.as_bytes());
        (digest, index.into_bytes(), amd, arm)
    }
}

/// A test CA and a server certificate for `127.0.0.1` and `localhost`,
/// PEM: (ca, cert, key).
pub fn test_ca() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "imagestream test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    leaf.distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    (ca_cert.pem(), leaf_cert.pem(), leaf_key.serialize_pem())
}

/// One request a [`FakeServer`] saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub url: String,
    pub authorization: Option<String>,
    pub body: String,
}

/// What a [`FakeServer`] answers: status, headers, body.
pub type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// A small loopback HTTP server answering from a closure: for behaviour
/// docker-registry 2.8 does not have (paged tags, token servers, 429).
pub struct FakeServer {
    server: std::sync::Arc<tiny_http::Server>,
    thread: Option<std::thread::JoinHandle<()>>,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
    /// `127.0.0.1:<port>`.
    pub addr: String,
}

impl FakeServer {
    pub fn start(answer: impl Fn(&Seen) -> Answer + Send + 'static) -> Self {
        let server = std::sync::Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let addr = server.server_addr().to_ip().unwrap().to_string();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (s, log) = (server.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            for mut request in s.incoming_requests() {
                let mut body = String::new();
                let _ = request.as_reader().read_to_string(&mut body);
                let one = Seen {
                    method: request.method().to_string(),
                    url: request.url().to_owned(),
                    authorization: request
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv("Authorization"))
                        .map(|h| h.value.to_string()),
                    body,
                };
                let (status, headers, bytes) = answer(&one);
                log.lock().unwrap().push(one);
                let mut response = tiny_http::Response::from_data(bytes).with_status_code(status);
                for (k, v) in headers {
                    response.add_header(
                        tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap(),
                    );
                }
                let _ = request.respond(response);
            }
        });
        Self {
            server,
            thread: Some(thread),
            seen,
            addr,
        }
    }

    /// The requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
