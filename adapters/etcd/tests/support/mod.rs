//! etcd servers for the tests: started from `PATH` on free loopback ports
//! with a temporary data directory, killed on drop.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use imagestream_etcd::{EtcdConfig, EtcdStore};

const INSTALL: &str = "apt-get install etcd-server etcd-client protobuf-compiler";

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("a bound address").port()
}

/// Decodes standard base64 (with padding), as etcdctl prints keys.
fn base64_decode(s: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64");
        bits = (bits << 6) | u32::try_from(v).expect("below 64");
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push(u8::try_from(bits >> n).expect("8 bits"));
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).expect("utf-8 key")
}

/// A unique key prefix, so tests sharing one etcd never see each other.
pub fn unique_prefix(test: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "/t/{test}-{}-{}/",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// One member's fixed addresses and data.
#[derive(Debug)]
struct Member {
    name: String,
    client: u16,
    peer: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Member {
    fn client_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.client)
    }
    fn peer_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.peer)
    }
}

/// An etcd cluster of one or more members on loopback.
#[derive(Debug)]
pub struct Etcd {
    members: Vec<Member>,
    initial_cluster: String,
    token: String,
    _tmp: tempfile::TempDir,
}

impl Etcd {
    /// One member.
    pub fn start() -> Self {
        Self::cluster(1)
    }

    /// `n` members, started together; returns once every one is healthy.
    pub fn cluster(n: usize) -> Self {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let members: Vec<Member> = (0..n)
            .map(|i| Member {
                name: format!("m{i}"),
                client: free_port(),
                peer: free_port(),
                dir: tmp.path().join(format!("m{i}")),
                child: None,
            })
            .collect();
        let initial_cluster = members
            .iter()
            .map(|m| format!("{}={}", m.name, m.peer_url()))
            .collect::<Vec<_>>()
            .join(",");
        let mut etcd = Self {
            members,
            initial_cluster,
            token: format!("t{}-{}", std::process::id(), free_port()),
            _tmp: tmp,
        };
        for i in 0..n {
            etcd.spawn(i);
        }
        for i in 0..n {
            etcd.wait_healthy(i);
        }
        etcd
    }

    fn spawn(&mut self, i: usize) {
        let m = &self.members[i];
        let log = std::fs::File::create(m.dir.with_extension("log")).expect("a log file");
        let child = Command::new("etcd")
            .args(["--name", &m.name])
            .arg("--data-dir")
            .arg(&m.dir)
            .args(["--listen-client-urls", &m.client_url()])
            .args(["--advertise-client-urls", &m.client_url()])
            .args(["--listen-peer-urls", &m.peer_url()])
            .args(["--initial-advertise-peer-urls", &m.peer_url()])
            .args(["--initial-cluster", &self.initial_cluster])
            .args(["--initial-cluster-token", &self.token])
            .args(["--initial-cluster-state", "new"])
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start `etcd` from PATH ({e}); install it: {INSTALL}")
            });
        self.members[i].child = Some(child);
    }

    fn wait_healthy(&mut self, i: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(child) = self.members[i].child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                let log = std::fs::read_to_string(self.members[i].dir.with_extension("log"))
                    .unwrap_or_default();
                panic!("etcd {} exited with {status}:\n{log}", self.members[i].name);
            }
            if healthy(self.members[i].client) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "etcd {} did not become healthy in 30 s",
            self.members[i].name
        );
    }

    /// Every member's client URL.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(Member::client_url).collect()
    }

    /// The first member's client URL.
    pub fn endpoint(&self) -> String {
        self.members[0].client_url()
    }

    /// Key -> `mod_revision` of every key under `prefix`, read through
    /// etcdctl (independent of the adapter).
    pub fn key_revisions(&self, prefix: &str) -> BTreeMap<String, u64> {
        let out = Command::new("etcdctl")
            .args([
                "--endpoints",
                &self.endpoint(),
                "get",
                prefix,
                "--prefix",
                "--keys-only",
                "-w",
                "json",
            ])
            .output()
            .unwrap_or_else(|e| panic!("etcdctl: {e} (install: {INSTALL})"));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("etcdctl json");
        v["kvs"]
            .as_array()
            .map(|kvs| {
                kvs.iter()
                    .map(|kv| {
                        // etcdctl prints keys base64-encoded in JSON.
                        let key = base64_decode(kv["key"].as_str().expect("a key"));
                        (key, kv["mod_revision"].as_u64().expect("a revision"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A store on every member under a fresh prefix.
    pub fn store(&self, test: &str) -> EtcdStore {
        self.store_with(EtcdConfig::new().prefix(unique_prefix(test)))
    }

    /// A store on every member with `config`.
    pub fn store_with(&self, config: EtcdConfig) -> EtcdStore {
        EtcdStore::connect(&self.endpoints(), config).expect("connect")
    }

    /// Kills member `i` with SIGKILL (no clean shutdown).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.members[i].child.take() {
            child.kill().expect("SIGKILL etcd");
            child.wait().expect("reap etcd");
        }
    }

    /// Starts member `i` again on its data directory.
    pub fn restart(&mut self, i: usize) {
        self.spawn(i);
        self.wait_healthy(i);
    }

    /// The index of the member that is the raft leader now.
    pub fn leader(&self) -> Option<usize> {
        for (i, m) in self.members.iter().enumerate() {
            if m.child.is_none() {
                continue;
            }
            let out = Command::new("etcdctl")
                .args([
                    "--endpoints",
                    &m.client_url(),
                    "endpoint",
                    "status",
                    "-w",
                    "json",
                ])
                .output()
                .unwrap_or_else(|e| panic!("cannot run `etcdctl` ({e}); install it: {INSTALL}"));
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
            let status = &v[0]["Status"];
            let (member, leader) = (&status["header"]["member_id"], &status["leader"]);
            if !member.is_null() && member == leader {
                return Some(i);
            }
        }
        None
    }
}

fn healthy(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(
        &format!("127.0.0.1:{port}").parse().expect("an address"),
        Duration::from_millis(200),
    ) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    body.contains("\"health\":\"true\"")
}

impl Drop for Etcd {
    fn drop(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
        }
    }
}
