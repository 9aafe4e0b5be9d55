//! distribution references, strict and normalized: no panic; Display
//! re-parses to the same value; normalizing is idempotent.
#![no_main]

use imagestream::reference::{DockerReference, parse_any, parse_docker_ref};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = DockerReference::parse(s) {
        assert_eq!(r.to_string(), s);
        let shown = r.to_string();
        let again = DockerReference::parse(&shown)
            .unwrap_or_else(|e| panic!("law: {s:?} displays as {shown:?}, which re-parses: {e}"));
        assert_eq!(again, r);
        assert_eq!(
            r.name().len()
                + r.tag().map_or(0, |t| t.len() + 1)
                + r.digest().map_or(0, |d| d.as_str().len() + 1),
            s.len()
        );
    }
    if let Ok(n) = DockerReference::parse_normalized(s) {
        let shown = n.to_string();
        let again = DockerReference::parse_normalized(&shown)
            .unwrap_or_else(|e| panic!("{s:?}: {shown:?} fails to re-normalize: {e}"));
        assert_eq!(again, n, "{s:?}");
        // The familiar form normalizes back unless dropping `docker.io/`
        // exposed a first component that reads as a domain (`er.io/x`), or
        // left a bare 64-hex id; both are upstream behaviour.
        if !familiar_is_ambiguous(&n) {
            let familiar = DockerReference::parse_normalized(&n.familiar())
                .unwrap_or_else(|e| panic!("{s:?}: familiar {:?} fails: {e}", n.familiar()));
            assert_eq!(familiar, n, "{s:?}");
        }
    }
    let _ = (parse_any(s), parse_docker_ref(s));
});

fn familiar_is_ambiguous(n: &DockerReference) -> bool {
    let name = n.familiar_name();
    let first = name.split('/').next().unwrap_or_default();
    n.domain() == Some("docker.io")
        && ((name.contains('/')
            && (first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(char::is_uppercase)))
            || (name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())))
}
