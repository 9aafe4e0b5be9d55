//! Property tests for references: the grammar agrees with distribution's
//! own regexps (compiled with the `regex` crate as an oracle, ASCII mode,
//! leftmost-first like Go's RE2), printing round-trips, normalizing is
//! idempotent, and nothing panics.

use std::sync::LazyLock;

use imagestream::reference::{DockerReference, ImageReference, parse_any};
use imagestream::strategy::{self, Mode};
use proptest::prelude::*;
use regex::Regex;

// The constants of distribution/reference regexp.go, verbatim in meaning.
const ALNUM: &str = "[a-z0-9]+";
const SEPARATOR: &str = "(?:[._]|__|[-]+)";
const DOMAIN_COMPONENT: &str = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const TAG: &str = r"[\w][\w.-]{0,127}";
const DIGEST: &str = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}";

fn domain_and_port(ipv6: bool) -> String {
    let name = format!(r"{DOMAIN_COMPONENT}(?:\.{DOMAIN_COMPONENT})*");
    let host = if ipv6 {
        format!(r"(?:{name}|\[(?:[a-fA-F0-9:]+)\])")
    } else {
        name
    };
    format!("{host}(?::[0-9]+)?")
}

fn remote_name() -> String {
    let component = format!("{ALNUM}(?:{SEPARATOR}{ALNUM})*");
    format!("{component}(?:/{component})*")
}

/// `ReferenceRegexp` with captures name, tag, digest.
fn reference_regex(ipv6: bool) -> Regex {
    let name = format!("(?:{}/)?{}", domain_and_port(ipv6), remote_name());
    Regex::new(&format!("(?-u)^({name})(?::({TAG}))?(?:@({DIGEST}))?$")).expect("valid regex")
}

/// `anchoredNameRegexp` with captures domain, path.
fn name_regex(ipv6: bool) -> Regex {
    Regex::new(&format!(
        "(?-u)^(?:({})/)?({})$",
        domain_and_port(ipv6),
        remote_name()
    ))
    .expect("valid regex")
}

static REF: LazyLock<Regex> = LazyLock::new(|| reference_regex(true));
static NAME: LazyLock<Regex> = LazyLock::new(|| name_regex(true));
static REF_OS: LazyLock<Regex> = LazyLock::new(|| reference_regex(false));

/// Strings built from the bytes that matter to the grammar, so that both
/// valid and barely-invalid references come up often.
fn grammar_soup() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "b",
        "z",
        "0",
        "9",
        "A",
        "Z",
        "-",
        "--",
        ".",
        "_",
        "__",
        "/",
        ":",
        "@",
        "[",
        "]",
        "::1",
        "5000",
        "sha256:",
        "docker.io",
        "localhost",
        "library/",
        "com",
        "fe",
        "%",
        " ",
        "ffffffffffffffffffffffffffffffff",
        "ffffffffffffffffffffffffffffffff",
        "\u{212a}",
        "é",
    ]);
    prop::collection::vec(pieces, 0..14).prop_map(|v| v.concat())
}

/// Valid references, from the crate's public strategies (every host
/// kind, ports, IPv6 where the mode has it, shorthands, tags, digests).
fn valid_reference(ipv6: bool) -> impl Strategy<Value = String> {
    strategy::reference_string(if ipv6 { Mode::Strict } else { Mode::OpenShift })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Strict parsing accepts exactly what the upstream regexps accept
    /// (minus the post-regexp checks), with the same parts.
    #[test]
    fn strict_agrees_with_upstream_regexps(s in prop_oneof![grammar_soup(), valid_reference(true)]) {
        let parsed = DockerReference::parse(&s);
        match REF.captures(&s) {
            None => {
                // Go's error path: lowercase (per character) and re-match.
                let lowered: String = s.chars().map(|c| c.to_lowercase().next().unwrap_or(c)).collect();
                let want = if s.is_empty() {
                    "repository name must have at least one component"
                } else if lowered != s && REF.is_match(&lowered) {
                    "repository name must be lowercase"
                } else {
                    "invalid reference format"
                };
                match parsed {
                    Ok(_) => prop_assert!(false, "{s:?} parsed but the regexp fails"),
                    Err(e) => prop_assert_eq!(e.to_string(), want, "{:?}", s),
                }
            }
            Some(c) => {
                let name = &c[1];
                let path_len = NAME.captures(name).map_or(0, |n| n[2].len());
                match parsed {
                    Ok(r) => {
                        let n = NAME.captures(name).expect("a matched name matches the name regexp");
                        prop_assert_eq!(r.name(), name);
                        prop_assert_eq!(r.domain(), n.get(1).map(|m| m.as_str()));
                        prop_assert_eq!(r.path(), &n[2]);
                        prop_assert_eq!(r.tag(), c.get(2).map(|m| m.as_str()));
                        prop_assert_eq!(r.digest().map(ToString::to_string), c.get(3).map(|m| m.as_str().to_owned()));
                    }
                    Err(e) => {
                        // Only the post-regexp checks may refuse a match.
                        let msg = e.to_string();
                        prop_assert!(path_len > 255 || c.get(3).is_some(), "{s:?}: {msg}");
                    }
                }
            }
        }
    }

    /// OpenShift mode accepts a subset of the same language (no IPv6).
    #[test]
    fn openshift_agrees_with_its_regexp(s in prop_oneof![grammar_soup(), valid_reference(false)]) {
        if let Ok(r) = ImageReference::parse(&s) {
            prop_assert!(REF_OS.is_match(&s), "{s:?}");
            // The parts always reassemble into the input.
            prop_assert_eq!(r.as_str(), s.as_str());
        }
    }

    #[test]
    fn strict_display_round_trips(s in valid_reference(true)) {
        let r = DockerReference::parse(&s).unwrap();
        prop_assert_eq!(r.to_string(), s.clone());
        let shown = r.to_string();
        prop_assert_eq!(DockerReference::parse(&shown).unwrap(), r);
    }

    #[test]
    fn normalizing_is_idempotent(s in prop_oneof![grammar_soup(), valid_reference(true)]) {
        if let Ok(n) = DockerReference::parse_normalized(&s) {
            let shown = n.to_string();
            let again = DockerReference::parse_normalized(&shown).unwrap();
            prop_assert_eq!(&again, &n);
            // The canonical form also parses strictly to the same value.
            prop_assert_eq!(DockerReference::parse(n.as_str()).unwrap(), n.clone());
            // The familiar form normalizes back unless dropping `docker.io/`
            // exposed a first component that reads as a domain, or left a
            // bare 64-hex id; both are upstream behaviour.
            let name = n.familiar_name();
            let first = name.split('/').next().unwrap_or_default();
            let ambiguous = n.domain() == Some("docker.io")
                && ((name.contains('/') && (first.contains(['.', ':']) || first == "localhost"))
                    || (name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())));
            match DockerReference::parse_normalized(&n.familiar()) {
                Ok(f) if !ambiguous => prop_assert_eq!(f, n),
                Ok(_) => {}
                Err(e) => prop_assert!(ambiguous, "{:?}: {}", n.familiar(), e),
            }
        }
    }

    #[test]
    fn image_reference_lossless_form_round_trips(s in prop_oneof![grammar_soup(), valid_reference(false)]) {
        if let Ok(r) = ImageReference::parse(&s) {
            let again = ImageReference::parse(r.as_str()).unwrap();
            prop_assert_eq!(&again, &r);
            // Display (OpenShift's String()) is stable under re-parsing.
            let shown = r.to_string();
            if !shown.is_empty() {
                prop_assert_eq!(ImageReference::parse(&shown).unwrap().to_string(), shown);
            }
            // Derived references stay lossless too, except for OpenShift's
            // quirk: an uppercase first component parses as a namespace
            // (`Foo/bar`), but behind a registry it is a path component,
            // where uppercase is refused.
            for d in [r.docker_client_defaults(), r.daemon_minimal(), r.as_v2(), r.most_specific(), r.as_repository()] {
                if d.name().is_empty() {
                    continue;
                }
                match ImageReference::parse(d.as_str()) {
                    Ok(again) => prop_assert_eq!(again, d),
                    Err(e) => prop_assert!(
                        d.registry().is_some() && d.namespace().is_some_and(|n| n.bytes().any(|b| b.is_ascii_uppercase())),
                        "{:?} from {s:?}: {e}", d.as_str()
                    ),
                }
            }
        }
    }

    #[test]
    fn nothing_panics_on_any_string(s in "\\PC{0,64}|[ -~]{0,300}") {
        let _ = ImageReference::parse(&s);
        let _ = DockerReference::parse(&s);
        let _ = DockerReference::parse_normalized(&s);
        let _ = parse_any(&s);
    }
}
