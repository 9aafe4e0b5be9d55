//! Tag policies at scale: choosing among 100,000 candidate tags with a
//! semver range, beside a naive baseline that parses every tag, keeps
//! those in the range, sorts them and takes the last. Throughput is per
//! candidate; the ratio of the two is the point (goal: at most 1).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use imagestream::ops::policy::{Candidate, choose};
use imagestream::stream::{PolicyOrder, TagPolicy, parse_version};

const CANDIDATES: usize = 100_000;

/// Deterministic tags: versions with and without `v`, some pre-releases,
/// some junk, in a scrambled order.
fn tags() -> Vec<Candidate> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..CANDIDATES)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (a, b, c) = (x % 6, (x >> 8) % 40, (x >> 16) % 30);
            let tag = match i % 10 {
                0 => format!("build-{x:x}"),
                1 => format!("{a}.{b}.{c}-rc.{}", (x >> 24) % 5),
                2 | 3 => format!("v{a}.{b}.{c}"),
                _ => format!("{a}.{b}.{c}"),
            };
            Candidate::new(tag)
        })
        .collect()
}

/// The baseline: parse all, filter, sort, take the last (ties by tag).
fn naive<'c>(policy: &TagPolicy, candidates: &'c [Candidate]) -> Option<&'c Candidate> {
    let PolicyOrder::Semver(range) = policy.order() else {
        return None;
    };
    let mut parsed: Vec<_> = candidates
        .iter()
        .filter_map(|c| parse_version(&c.tag).map(|v| (v, &c.tag, c)))
        .filter(|(v, _, _)| range.matches(v))
        .collect();
    parsed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    parsed.last().map(|(_, _, c)| *c)
}

fn bench(c: &mut Criterion) {
    let candidates = tags();
    let policy: TagPolicy = "semver >=3.6 <4".parse().expect("valid policy");
    let expected = naive(&policy, &candidates).map(|c| c.tag.clone());
    assert!(expected.is_some());
    assert_eq!(
        choose(&policy, &candidates).map(|c| c.tag.clone()),
        expected
    );

    let mut group = c.benchmark_group("policy/choose_100k");
    group.throughput(Throughput::Elements(CANDIDATES as u64));
    group.bench_function("imagestream", |b| {
        b.iter(|| {
            let chosen = choose(black_box(&policy), black_box(&candidates));
            assert_eq!(chosen.map(|c| &c.tag), expected.as_ref());
        });
    });
    group.bench_function("naive_sort", |b| {
        b.iter(|| {
            let chosen = naive(black_box(&policy), black_box(&candidates));
            assert_eq!(chosen.map(|c| &c.tag), expected.as_ref());
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
