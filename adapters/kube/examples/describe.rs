//! `oc get is` and `oc describe is/<name>` against the cluster of your
//! kubeconfig (or the in-cluster service account), through `KubeStore`.
//!
//! ```text
//! cargo run -p imagestream-kube --example describe -- <namespace> [<stream>]
//! ```
//!
//! Lists the image streams of `<namespace>` as `oc get is` does, then
//! describes `<stream>` (default: the first one) as `oc describe is`
//! does (today's `oc`). Not run in CI (it needs a cluster); `run` is tested
//! against the mock API server in `tests/example.rs`.

use std::io::Write;

use imagestream::chrono::{DateTime, Utc};
use imagestream::describe::{Style, describe_image_stream, get_image_streams};
use imagestream::ports::StreamStore;
use imagestream::reference::{Namespace, StreamName};
use imagestream_kube::{KubeStore, KubeStoreConfig};

/// Writes the listing and the description: every page of the namespace
/// (100 streams per request), then `stream` (or the first listed).
pub fn run(
    store: &impl StreamStore,
    namespace: &str,
    stream: Option<&str>,
    now: DateTime<Utc>,
    out: &mut impl Write,
) -> Result<(), Box<dyn std::error::Error>> {
    let namespace =
        Namespace::parse(namespace).map_err(|e| format!("namespace {namespace:?}: {e}"))?;
    let mut streams = Vec::new();
    let mut token = None;
    loop {
        let page = store.list(&namespace, Some(100), token.as_deref())?;
        streams.extend(page.items.into_iter().map(|s| s.value));
        match page.continue_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    if streams.is_empty() {
        writeln!(out, "No resources found in {namespace} namespace.")?;
        return Ok(());
    }
    write!(out, "{}", get_image_streams(&streams, now))?;
    let chosen = match stream {
        Some(name) => {
            let name = StreamName::parse(name).map_err(|e| format!("stream name {name:?}: {e}"))?;
            store.get(&namespace, &name)?.value
        }
        None => streams.swap_remove(0),
    };
    writeln!(out)?;
    write!(
        out,
        "{}",
        describe_image_stream(&chosen, now, Style::Current)
    )?;
    Ok(())
}

#[allow(dead_code)] // the tests include this file for `run`
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let Some(namespace) = args.next() else {
        eprintln!("usage: describe <namespace> [<stream>]");
        std::process::exit(2);
    };
    let stream = args.next();
    let store = KubeStore::infer(KubeStoreConfig::new())?;
    run(
        &store,
        &namespace,
        stream.as_deref(),
        Utc::now(),
        &mut std::io::stdout().lock(),
    )
}
