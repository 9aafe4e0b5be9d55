//! Tag policies ([`TagPolicy`]), as canonical texts and parsed.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use crate::generated::{
    ComparatorPlan, OrderPlan, POLICY_OPS, POLICY_PATTERN_KINDS, PRERELEASES, PolicyPlan,
};
use crate::stream::TagPolicy;

/// 1 to 3 version numbers (below 30), fewest and smallest first.
fn numbers() -> BoxedStrategy<Vec<u8>> {
    prop::collection::vec(0u8..30, 1..=3).boxed()
}

/// One comparator of each form, bare versions first.
fn comparator() -> BoxedStrategy<ComparatorPlan> {
    prop_oneof![
        3 => numbers().prop_map(ComparatorPlan::Bare),
        4 => (0..POLICY_OPS.len(), numbers()).prop_map(|(op, v)| ComparatorPlan::Op(op, v)),
        1 => (any::<[u8; 3]>(), 0..PRERELEASES.len())
            .prop_map(|(v, pre)| ComparatorPlan::Pre(v.map(|n| n % 30), pre)),
        1 => prop::collection::vec(0u8..30, 0..=2).prop_map(ComparatorPlan::Wildcard),
    ]
    .boxed()
}

/// Text a regex reads literally.
fn literal() -> BoxedStrategy<String> {
    "[a-z0-9][a-z0-9-]{0,7}".boxed()
}

/// A platform part.
fn part() -> BoxedStrategy<String> {
    "[a-z0-9][a-z0-9_.-]{0,7}".boxed()
}

fn plan() -> BoxedStrategy<PolicyPlan> {
    let order = prop_oneof![
        Just(OrderPlan::Newest),
        prop::collection::vec(prop::collection::vec(comparator(), 1..=3), 1..=2)
            .prop_map(OrderPlan::Semver),
        any::<bool>().prop_map(OrderPlan::Numerical),
        any::<bool>().prop_map(OrderPlan::Alphabetical),
    ];
    (
        order,
        any::<bool>(),
        prop::option::of((
            0..POLICY_PATTERN_KINDS,
            literal(),
            prop::option::of(0usize..8),
        )),
        prop::collection::vec(literal(), 0..=2),
        any::<bool>(),
        prop::option::of((part(), part(), prop::option::of(part()))),
        any::<bool>(),
    )
        .prop_map(
            |(order, prerelease, pattern, excludes, signatures, platform, stream)| PolicyPlan {
                order,
                prerelease,
                pattern,
                excludes,
                signatures,
                platform,
                stream,
            },
        )
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
    plan().prop_map(|p| p.render()).boxed()
}

/// Valid [`TagPolicy`] values, parsed from [`tag_policy_text`].
pub fn tag_policy() -> BoxedStrategy<TagPolicy> {
    tag_policy_text()
        .prop_filter_map("valid by construction", |text| TagPolicy::parse(&text).ok())
        .boxed()
}
