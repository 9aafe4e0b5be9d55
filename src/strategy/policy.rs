//! Tag policies ([`TagPolicy`]), as canonical texts and parsed.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use crate::stream::TagPolicy;

/// `M`, `M.m` or `M.m.p`, small numbers first.
fn version() -> BoxedStrategy<String> {
    (
        0u64..30,
        prop::option::of((0u64..30, prop::option::of(0u64..30))),
    )
        .prop_map(|(major, rest)| match rest {
            None => major.to_string(),
            Some((minor, None)) => format!("{major}.{minor}"),
            Some((minor, Some(patch))) => format!("{major}.{minor}.{patch}"),
        })
        .boxed()
}

/// One comparator as Flux and Argo CD write them: a bare version, an
/// operator and a version (a full one possibly with a pre-release), or a
/// wildcard.
fn comparator() -> BoxedStrategy<String> {
    let op = prop::sample::select(vec![">=", "<", "=", ">", "<=", "~", "^"]);
    prop_oneof![
        3 => version(),
        4 => (op, version()).prop_map(|(op, v)| format!("{op}{v}")),
        1 => (0u64..30, 0u64..30, 0u64..30, prop::sample::select(vec!["rc.1", "alpha", "beta.2", "0"]))
            .prop_map(|(a, b, c, pre)| format!(">={a}.{b}.{c}-{pre}")),
        1 => prop_oneof![
            Just("*".to_owned()),
            (0u64..30).prop_map(|m| format!("{m}.x")),
            (0u64..30, 0u64..30).prop_map(|(m, n)| format!("{m}.{n}.x")),
        ],
    ]
    .boxed()
}

/// A range in canonical form: comparators joined by one space,
/// alternatives by ` || `.
fn range() -> BoxedStrategy<String> {
    prop::collection::vec(prop::collection::vec(comparator(), 1..=3), 1..=2)
        .prop_map(|alternatives| {
            alternatives
                .iter()
                .map(|a| a.join(" "))
                .collect::<Vec<_>>()
                .join(" || ")
        })
        .boxed()
}

/// Text a regex reads literally.
fn literal() -> BoxedStrategy<String> {
    "[a-z0-9][a-z0-9-]{0,7}".boxed()
}

/// A filter pattern with the capture groups an `extract` may name.
fn pattern() -> BoxedStrategy<(String, Vec<&'static str>)> {
    prop_oneof![
        literal().prop_map(|l| (format!("^{l}"), vec![])),
        literal().prop_map(|l| (format!("{l}$"), vec![])),
        Just((r"^v?[0-9]+\.[0-9]+\.[0-9]+$".to_owned(), vec![])),
        Just((r"^([0-9]+)$".to_owned(), vec!["$1"])),
        Just((
            r"^main-(?P<sha>[a-f0-9]+)-(?P<ts>[0-9]+)$".to_owned(),
            vec!["$ts", "${ts}", "$sha", "$1", "${ts}-$sha"],
        )),
        literal().prop_map(|l| (
            format!("^{l}-(?P<version>.*)$"),
            vec!["$version", "${version}"]
        )),
    ]
    .boxed()
}

/// The order line.
fn order() -> BoxedStrategy<(String, bool)> {
    let dir = prop::sample::select(vec!["asc", "desc"]);
    prop_oneof![
        Just(("newest".to_owned(), false)),
        range().prop_map(|r| (format!("semver {r}"), true)),
        dir.clone().prop_map(|d| (format!("numerical {d}"), false)),
        dir.prop_map(|d| (format!("alphabetical {d}"), false)),
    ]
    .boxed()
}

/// A platform: `os/arch` or `os/arch/variant`.
fn platform() -> BoxedStrategy<String> {
    let part = "[a-z0-9][a-z0-9_.-]{0,7}";
    (
        prop_oneof![Just("linux".to_owned()), part.boxed()],
        prop_oneof![Just("amd64".to_owned()), part.boxed()],
        prop::option::of(part),
    )
        .prop_map(|(os, arch, variant)| match variant {
            Some(v) => format!("{os}/{arch}/{v}"),
            None => format!("{os}/{arch}"),
        })
        .boxed()
}

/// The canonical text of a valid [`TagPolicy`]: an order (`newest`,
/// `semver` with a range of every comparator form, `numerical`,
/// `alphabetical`) and any of the settings in their canonical order
/// (`prerelease` with semver, `pattern` and an `extract` naming one of its
/// groups, `exclude`s, `signatures`, `platform`, `candidates stream`).
/// Parsing it gives a policy whose [`Display`](std::fmt::Display) is the
/// same text. Shrinks toward `newest`.
pub fn tag_policy_text() -> BoxedStrategy<String> {
    (
        order(),
        any::<bool>(),
        prop::option::of((pattern(), any::<prop::sample::Index>(), any::<bool>())),
        prop::collection::vec(literal(), 0..=2),
        any::<bool>(),
        prop::option::of(platform()),
        any::<bool>(),
    )
        .prop_map(
            |((order, semver), prerelease, pattern, excludes, signatures, platform, stream)| {
                let mut lines = vec![order];
                if semver && prerelease {
                    lines.push("prerelease".to_owned());
                }
                if let Some(((pattern, groups), pick, extract)) = pattern {
                    lines.push(format!("pattern {pattern}"));
                    if extract && !groups.is_empty() {
                        lines.push(format!("extract {}", pick.get(&groups)));
                    }
                }
                lines.extend(excludes.iter().map(|e| format!("exclude -{e}$")));
                if signatures {
                    lines.push("signatures".to_owned());
                }
                if let Some(p) = platform {
                    lines.push(format!("platform {p}"));
                }
                if stream {
                    lines.push("candidates stream".to_owned());
                }
                lines.join("\n")
            },
        )
        .boxed()
}

/// Valid [`TagPolicy`] values, parsed from [`tag_policy_text`].
pub fn tag_policy() -> BoxedStrategy<TagPolicy> {
    tag_policy_text()
        .prop_filter_map("valid by construction", |text| TagPolicy::parse(&text).ok())
        .boxed()
}
