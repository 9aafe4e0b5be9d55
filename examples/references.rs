//! Parses image references from the command line (or a built-in list) in
//! each of the three modes and prints their parts.
//!
//! ```sh
//! cargo run --example references
//! cargo run --example references -- quay.io/org/app:v1 Foo/bar localhost:5000
//! ```

use imagestream::reference::{DockerReference, ImageReference};

const BUILT_IN: &[&str] = &[
    "python:3.6",
    "172.30.56.218:5000/test/origin-ruby-sample@sha256:47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d",
    "docker.io/user/project/myapp:v1",
    "quay.io",
    "[::1]:5000/foo:tag",
    "Foo/bar",
    "a//b",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let inputs: Vec<&str> = if args.is_empty() {
        BUILT_IN.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    for input in inputs {
        println!("{input}");
        match ImageReference::parse(input) {
            Ok(r) => {
                let part = |p: Option<&str>| p.map_or_else(|| "-".to_owned(), str::to_owned);
                println!(
                    "  openshift:  registry={} namespace={} name={} tag={} id={}",
                    part(r.registry()),
                    part(r.namespace()),
                    if r.name().is_empty() { "-" } else { r.name() },
                    part(r.tag()),
                    part(r.id()),
                );
                println!(
                    "              exact={:?} string={:?}",
                    r.exact(),
                    r.to_string()
                );
            }
            Err(e) => println!("  openshift:  error: {e} (at byte {})", e.offset()),
        }
        match DockerReference::parse(input) {
            Ok(r) => println!(
                "  strict:     domain={} path={} tag={}",
                r.domain().unwrap_or("-"),
                r.path(),
                r.tag().unwrap_or("-")
            ),
            Err(e) => println!("  strict:     error: {e} (at byte {})", e.offset()),
        }
        match DockerReference::parse_normalized(input) {
            Ok(r) => println!("  normalized: {r} (familiar {})", r.familiar()),
            Err(e) => println!("  normalized: error: {e} (at byte {})", e.offset()),
        }
    }
}
