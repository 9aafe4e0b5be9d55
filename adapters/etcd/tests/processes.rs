//! Two OS processes contending on one stream through etcd: no lost update,
//! every acknowledged write present exactly once.
//!
//! The binary is its own child: with `IMAGESTREAM_ETCD_CHILD` set it runs
//! one contending writer and prints the writes etcd acknowledged.

mod support;

use std::process::Command;

use imagestream::ports::{StoreError, StreamStore};
use imagestream::reference::{Namespace, StreamName};
use imagestream::stream::ImageStream;
use imagestream_etcd::{EtcdConfig, EtcdStore};

const CHILD: &str = "IMAGESTREAM_ETCD_CHILD";
const EACH: usize = 25;

fn ids() -> (Namespace, StreamName) {
    (
        Namespace::parse("shared").unwrap(),
        StreamName::parse("contended").unwrap(),
    )
}

fn log_of(stream: &ImageStream) -> Vec<String> {
    stream
        .metadata()
        .annotations
        .get("log")
        .map(|l| {
            l.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// One writer: appends `EACH` tokens to the stream's `log` annotation, each
/// in a read-modify-write retried on conflict; prints each acknowledged
/// token.
fn child(spec: &str) {
    let mut parts = spec.split('|');
    let (endpoint, prefix, me) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let store = EtcdStore::connect(&[endpoint], EtcdConfig::new().prefix(prefix)).unwrap();
    let (ns, name) = ids();
    for i in 0..EACH {
        let token = format!("{me}-{i}");
        loop {
            let cur = store.get(&ns, &name).unwrap();
            let mut log = log_of(&cur.value);
            log.push(token.clone());
            let mut next = cur.value.clone();
            next.set_annotation("log", log.join(","));
            match store.update(next, cur.resource_version) {
                Ok(_) => {
                    println!("ack {token}");
                    break;
                }
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => panic!("{me}: {e}"),
            }
        }
    }
}

fn two_processes_contend_on_one_stream() {
    let etcd = support::Etcd::start();
    let prefix = support::unique_prefix("processes");
    let store = etcd.store_with(EtcdConfig::new().prefix(prefix.clone()));
    let (ns, name) = ids();
    store
        .create(ImageStream::new(ns.clone(), name.clone()).unwrap())
        .unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = ["a", "b"]
        .iter()
        .map(|me| {
            Command::new(&exe)
                .env(CHILD, format!("{}|{prefix}|{me}", etcd.endpoint()))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut acked = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        acked.extend(
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .filter_map(|l| l.strip_prefix("ack ").map(str::to_owned)),
        );
    }
    assert_eq!(acked.len(), 2 * EACH, "every write was acknowledged");
    let end = log_of(&store.get(&ns, &name).unwrap().value);
    let mut sorted = end.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), end.len(), "no write applied twice: {end:?}");
    for token in &acked {
        assert!(end.contains(token), "acknowledged {token} is there");
    }
    assert_eq!(end.len(), acked.len(), "nothing unacknowledged either");
    // Both processes' writes interleave (neither ran alone to the end).
    let first_b = end.iter().position(|t| t.starts_with("b-")).unwrap();
    let last_a = end.iter().rposition(|t| t.starts_with("a-")).unwrap();
    println!("interleaved: {}", first_b < last_a);
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
        return;
    }
    // `cargo test -- --list` and filters: this binary has one test.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("two_processes_contend_on_one_stream: test");
        return;
    }
    let filter = args.iter().find(|a| !a.starts_with('-'));
    if filter.is_some_and(|f| !"two_processes_contend_on_one_stream".contains(f.as_str())) {
        println!("running 0 tests");
        return;
    }
    println!("running 1 test");
    two_processes_contend_on_one_stream();
    println!("test two_processes_contend_on_one_stream ... ok");
}
