//! Self-checks of the public strategies (`imagestream::strategy`, feature
//! `proptest`) and of the `Arbitrary` impls (feature `arbitrary`): every
//! value is valid (it parses back equal), every near miss is refused for
//! its labelled rule, and every edge class comes up.
//!
//! The runners allow no local rejects: a strategy's "valid by
//! construction" filter that ever rejected would fail the run, so the
//! filters are proofs, not sieves.

use std::collections::BTreeMap;

use imagestream::reference::{
    Algorithm, Digest, DockerReference, ErrorKind, ImageReference, IsImageName, IsTagName,
    Namespace, StreamName, TagName, is_registry_docker_hub,
};
use imagestream::strategy::{self, Mode, StreamSize, Target};
use imagestream::{api, stream};
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, ValueTree};
use proptest::test_runner::{Config, TestCaseError, TestRunner};

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        max_local_rejects: 0,
        max_global_rejects: 0,
        failure_persistence: None,
        ..Config::default()
    })
}

fn check<T: PartialEq + std::fmt::Debug, E: std::fmt::Display>(
    what: &str,
    shown: &str,
    parsed: Result<T, E>,
    want: &T,
) -> Result<(), TestCaseError> {
    match parsed {
        Ok(v) if &v == want => Ok(()),
        Ok(v) => Err(TestCaseError::fail(format!(
            "{what} {shown:?} parsed as {v:?}, want {want:?}"
        ))),
        Err(e) => Err(TestCaseError::fail(format!(
            "{what} {shown:?} refused: {e}"
        ))),
    }
}

/// 100,000 cases of every value strategy, each parsed back from its string.
#[test]
fn every_value_strategy_yields_only_valid_values() {
    let all = (
        strategy::any_digest(),
        strategy::tag_name(),
        strategy::stream_name(),
        strategy::namespace(),
        strategy::is_tag_name(),
        strategy::is_image_name(),
        strategy::reference_string(Mode::OpenShift),
        strategy::docker_reference(),
        strategy::normalized_reference(),
    );
    runner(100_000)
        .run(&all, |(d, t, s, n, ist, isi, os, strict, normalized)| {
            check("digest", d.as_str(), Digest::parse(d.as_str()), &d)?;
            check("tag", t.as_str(), TagName::parse(t.as_str()), &t)?;
            check("stream", s.as_str(), StreamName::parse(s.as_str()), &s)?;
            check("namespace", n.as_str(), Namespace::parse(n.as_str()), &n)?;
            let shown = ist.to_string();
            check("istag", &shown, IsTagName::parse(&shown), &ist)?;
            let shown = isi.to_string();
            check("isimage", &shown, IsImageName::parse(&shown), &isi)?;
            let r = ImageReference::parse(&os)
                .map_err(|e| TestCaseError::fail(format!("{os:?}: {e}")))?;
            prop_assert_eq!(r.as_str(), os.as_str());
            check(
                "strict",
                strict.as_str(),
                DockerReference::parse(strict.as_str()),
                &strict,
            )?;
            let shown = normalized.to_string();
            check(
                "normalized",
                &shown,
                DockerReference::parse_normalized(&shown),
                &normalized,
            )?;
            Ok(())
        })
        .unwrap();
}

/// Wire streams convert to the domain and back unchanged, over 100,000
/// small streams (at most 3 tags of 2 events: every source kind, tracking
/// and history shape still comes up, see `stream_edge_classes_are_covered`)
/// and 2,000 of the default size.
#[test]
fn api_stream_strategy_yields_only_valid_streams() {
    let valid = |wire: api::ImageStream| {
        let domain = stream::ImageStream::try_from(wire.clone())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{wire:?}")))?;
        prop_assert_eq!(api::ImageStream::from(&domain), wire);
        Ok(())
    };
    runner(100_000)
        .run(&strategy::api_image_stream(StreamSize::new(3, 2)), valid)
        .unwrap();
    runner(2_000)
        .run(&strategy::api_image_stream(StreamSize::default()), valid)
        .unwrap();
}

/// Domain streams convert to the wire and back unchanged, in the same
/// numbers (a test of its own: the two run side by side).
#[test]
fn domain_stream_strategy_yields_only_valid_streams() {
    let valid = |domain: stream::ImageStream| {
        let wire = api::ImageStream::from(&domain);
        prop_assert_eq!(stream::ImageStream::try_from(wire).unwrap(), domain);
        Ok(())
    };
    runner(100_000)
        .run(&strategy::image_stream(StreamSize::new(3, 2)), valid)
        .unwrap();
    runner(2_000)
        .run(&strategy::image_stream(StreamSize::default()), valid)
        .unwrap();
}

/// 100,000 near misses, each refused by its target for its labelled rule.
#[test]
fn near_misses_are_refused_for_their_rule() {
    runner(100_000)
        .run(&strategy::near_miss(), |miss| {
            match miss.target.parse_error(&miss.input) {
                None => Err(TestCaseError::fail(format!("{miss}: parsed"))),
                Some(e) if e.kind() == miss.rule => Ok(()),
                Some(e) => Err(TestCaseError::fail(format!(
                    "{miss}: refused with {:?} ({e})",
                    e.kind()
                ))),
            }
        })
        .unwrap();
}

/// Tallies of the edge classes a strategy must produce.
#[derive(Default)]
struct Seen(BTreeMap<&'static str, usize>);

impl Seen {
    fn add(&mut self, class: &'static str, hit: bool) {
        *self.0.entry(class).or_default() += usize::from(hit);
    }

    #[track_caller]
    fn assert_all(&self) {
        let missing: Vec<_> = self
            .0
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(c, _)| *c)
            .collect();
        assert!(
            missing.is_empty(),
            "never generated: {missing:?} (tallies {:?})",
            self.0
        );
    }
}

fn sample<T: std::fmt::Debug>(s: impl Strategy<Value = T>, cases: u32, mut f: impl FnMut(&T)) {
    let mut runner = runner(cases);
    for _ in 0..cases {
        let v = s.new_tree(&mut runner).unwrap().current();
        f(&v);
    }
}

/// Each edge class of references comes up in 10,000 cases per mode.
#[test]
fn reference_edge_classes_are_covered() {
    for mode in Mode::ALL {
        let mut seen = Seen::default();
        sample(strategy::reference_string(mode), 10_000, |s| {
            let r = DockerReference::parse(s).ok();
            let domain = r.as_ref().and_then(|r| r.domain()).unwrap_or_default();
            let os = ImageReference::parse(s).ok();
            let hostless = os.as_ref().is_some_and(|r| r.registry().is_none()) || !s.contains('/');
            seen.add(
                "port",
                domain
                    .rsplit_once(':')
                    .is_some_and(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty()),
            );
            if mode != Mode::OpenShift {
                seen.add("ipv6 host", domain.starts_with('['));
            }
            seen.add("docker hub host", is_registry_docker_hub(domain));
            seen.add("localhost", domain.starts_with("localhost"));
            seen.add("shorthand (no registry)", hostless);
            seen.add(
                "several path components",
                s.split(['@', ':'])
                    .next()
                    .unwrap_or_default()
                    .matches('/')
                    .count()
                    >= 2,
            );
            seen.add("'__' separator", s.contains("__"));
            seen.add("'-' separator", s.contains('-'));
            let tag = r.as_ref().and_then(|r| r.tag()).is_some()
                || (mode == Mode::OpenShift && os.as_ref().is_some_and(|r| r.tag().is_some()));
            let digest = s.contains('@');
            seen.add("tag", tag && !digest);
            seen.add("digest", digest && !tag);
            seen.add("tag and digest", tag && digest);
            seen.add(
                "all at once (registry, port, tag, digest)",
                tag && digest && domain.contains(':') && !domain.ends_with(']'),
            );
            seen.add("neither tag nor digest", !tag && !digest);
            seen.add("sha384 digest", s.contains("@sha384:"));
            seen.add("sha512 digest", s.contains("@sha512:"));
            seen.add(
                "128-character tag",
                r.as_ref()
                    .and_then(|r| r.tag())
                    .is_some_and(|t| t.len() == 128),
            );
        });
        seen.assert_all();
    }
}

/// Each edge class of names and digests comes up in 10,000 cases.
#[test]
fn name_edge_classes_are_covered() {
    let mut seen = Seen::default();
    let all = (
        strategy::any_digest(),
        strategy::tag_name(),
        strategy::stream_name(),
        strategy::namespace(),
        strategy::is_image_name(),
    );
    sample(all, 10_000, |(d, t, s, n, isi)| {
        for alg in [Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512] {
            seen.add(alg.as_str(), d.algorithm() == alg);
        }
        seen.add("one-character tag", t.as_str().len() == 1);
        seen.add("128-character tag", t.as_str().len() == 128);
        seen.add(
            "tag with '.' and '-'",
            t.as_str().contains('.') && t.as_str().contains('-'),
        );
        seen.add("tag starting with '_'", t.as_str().starts_with('_'));
        seen.add(
            "uppercase tag",
            t.as_str().bytes().any(|b| b.is_ascii_uppercase()),
        );
        for sep in ['.', '_', '-'] {
            seen.add(
                match sep {
                    '.' => "stream with '.'",
                    '_' => "stream with '_'",
                    _ => "stream with '-'",
                },
                s.as_str().contains(sep),
            );
        }
        seen.add("63-byte namespace", n.as_str().len() == 63);
        seen.add("namespace with '-'", n.as_str().contains('-'));
        seen.add("isimage by digest", isi.id().contains(':'));
        seen.add("isimage by prefix", !isi.id().contains(':'));
    });
    seen.assert_all();
}

/// Every near-miss rule of every target comes up in 10,000 cases.
#[test]
fn near_miss_classes_are_covered() {
    let mut seen: BTreeMap<(Target, &str), usize> = BTreeMap::new();
    let mut rules: BTreeMap<Target, Vec<ErrorKind>> = BTreeMap::new();
    sample(strategy::near_miss(), 10_000, |m| {
        *seen.entry((m.target, m.edit)).or_default() += 1;
        let r = rules.entry(m.target).or_default();
        if !r.contains(&m.rule) {
            r.push(m.rule);
        }
    });
    // Every target, and each of its edits (counted per target).
    for t in Target::ALL {
        assert!(rules.contains_key(&t), "no near miss for {t:?}");
    }
    let per_target = |t: Target| seen.keys().filter(|(x, _)| *x == t).count();
    for (t, want) in [
        (Target::Digest, 5),
        (Target::TagName, 4),
        (Target::StreamName, 6),
        (Target::Namespace, 4),
        (Target::IsTagName, 7),
        (Target::IsImageName, 4),
        (Target::Reference(Mode::OpenShift), 5),
        (Target::Reference(Mode::Strict), 5),
        (Target::Reference(Mode::Normalized), 5),
    ] {
        assert_eq!(per_target(t), want, "edits of {t:?}: {seen:?}");
    }
    // The rules labelled are the parsers' own kinds.
    assert!(rules[&Target::Reference(Mode::Normalized)].contains(&ErrorKind::RemoteNameUppercase));
    assert!(rules[&Target::Reference(Mode::Strict)].contains(&ErrorKind::NameContainsUppercase));
    assert!(rules[&Target::Digest].contains(&ErrorKind::DigestUnsupported));
}

/// Each edge class of streams comes up in 10,000 cases.
#[test]
fn stream_edge_classes_are_covered() {
    let mut seen = Seen::default();
    sample(
        strategy::api_image_stream(StreamSize::default()),
        10_000,
        |w| {
            let kind = |k: &str| {
                w.spec
                    .tags
                    .iter()
                    .any(|t| t.from.as_ref().is_some_and(|f| f.kind == k))
            };
            seen.add("DockerImage source", kind("DockerImage"));
            seen.add("ImageStreamImage source", kind("ImageStreamImage"));
            seen.add(
                "spec tag without from",
                w.spec.tags.iter().any(|t| t.from.is_none()),
            );
            let same_stream = |t: &api::TagReference| {
                t.from
                    .as_ref()
                    .is_some_and(|f| f.kind == "ImageStreamTag" && !f.name.contains(':'))
            };
            seen.add("tracking tag", w.spec.tags.iter().any(same_stream));
            seen.add(
                "other stream's tag",
                w.spec.tags.iter().any(|t| {
                    t.from
                        .as_ref()
                        .is_some_and(|f| f.kind == "ImageStreamTag" && f.name.contains(':'))
                }),
            );
            // A chain: a tracking tag whose target is itself tracking.
            let tracking: Vec<(&str, &str)> = w
                .spec
                .tags
                .iter()
                .filter(|t| same_stream(t))
                .map(|t| {
                    (
                        t.name.as_str(),
                        t.from.as_ref().map_or("", |f| f.name.as_str()),
                    )
                })
                .collect();
            seen.add(
                "tracking chain",
                tracking
                    .iter()
                    .any(|(_, to)| tracking.iter().any(|(n, _)| n == to)),
            );
            seen.add(
                "scheduled import",
                w.spec.tags.iter().any(|t| t.import_policy.scheduled),
            );
            seen.add(
                "Local reference policy",
                w.spec
                    .tags
                    .iter()
                    .any(|t| t.reference_policy.type_ == "Local"),
            );
            seen.add(
                "PreserveOriginal",
                w.spec
                    .tags
                    .iter()
                    .any(|t| t.import_policy.import_mode == "PreserveOriginal"),
            );
            seen.add(
                "history of several entries",
                w.status.tags.iter().any(|t| t.items.len() >= 2),
            );
            seen.add(
                "failed import condition",
                w.status.tags.iter().any(|t| !t.conditions.is_empty()),
            );
            seen.add(
                "status-only tag",
                w.status
                    .tags
                    .iter()
                    .any(|s| !w.spec.tags.iter().any(|t| t.name == s.tag)),
            );
            seen.add(
                "empty stream",
                w.spec.tags.is_empty() && w.status.tags.is_empty(),
            );
            seen.add("full size", w.spec.tags.len() + w.status.tags.len() >= 8);
        },
    );
    seen.assert_all();
}

/// The `Arbitrary` impls, fed 100,000 pseudo-random inputs: never an
/// error on a long enough input, and every value parses back equal.
#[test]
fn arbitrary_values_are_valid() {
    use arbitrary::{Arbitrary, Unstructured};

    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut bytes = vec![0u8; 4096];
    let mut classes = Seen::default();
    for case in 0..100_000 {
        for b in &mut bytes {
            // xorshift64: a fixed, cheap stream of bytes.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state.to_le_bytes()[0];
        }
        let mut u = Unstructured::new(&bytes);
        let digest = Digest::arbitrary(&mut u).unwrap();
        assert_eq!(Digest::parse(digest.as_str()).unwrap(), digest);
        let tag = TagName::arbitrary(&mut u).unwrap();
        assert_eq!(TagName::parse(tag.as_str()).unwrap(), tag);
        let name = StreamName::arbitrary(&mut u).unwrap();
        assert_eq!(StreamName::parse(name.as_str()).unwrap(), name);
        let ns = Namespace::arbitrary(&mut u).unwrap();
        assert_eq!(Namespace::parse(ns.as_str()).unwrap(), ns);
        let ist = IsTagName::arbitrary(&mut u).unwrap();
        assert_eq!(IsTagName::parse(&ist.to_string()).unwrap(), ist);
        let isi = IsImageName::arbitrary(&mut u).unwrap();
        assert_eq!(IsImageName::parse(&isi.to_string()).unwrap(), isi);
        let reference = ImageReference::arbitrary(&mut u).unwrap();
        assert_eq!(
            ImageReference::parse(reference.as_str()).unwrap(),
            reference
        );
        let strict = DockerReference::arbitrary(&mut u).unwrap();
        assert_eq!(DockerReference::parse(strict.as_str()).unwrap(), strict);
        classes.add(
            "ipv6 host",
            strict.domain().is_some_and(|h| h.starts_with('[')),
        );
        classes.add(
            "tag and digest",
            strict.tag().is_some() && strict.digest().is_some(),
        );
        classes.add("shorthand", reference.registry().is_none());
        classes.add("sha512", digest.algorithm() == Algorithm::Sha512);
        // Policies compile regexes: one in ten cases, from bytes of their own.
        if case % 10 == 5 {
            let mut own = Unstructured::new(&bytes[2048..]);
            let policy = stream::TagPolicy::arbitrary(&mut own).unwrap();
            assert_eq!(stream::TagPolicy::parse(policy.as_str()).unwrap(), policy);
            let order = policy.order_text();
            classes.add("policy alternatives", order.contains(" || "));
            classes.add("policy newest", order == "newest");
            classes.add("policy extract", policy.extract().is_some());
            classes.add("policy platform", policy.platform().is_some());
        }
        // Whole streams are dearer: one in ten cases.
        if case % 10 == 0 {
            let wire = api::ImageStream::arbitrary(&mut u).unwrap();
            let domain = stream::ImageStream::try_from(wire.clone())
                .unwrap_or_else(|e| panic!("{e}\n{wire:?}"));
            assert_eq!(api::ImageStream::from(&domain), wire);
            classes.add(
                "tracking tag",
                wire.spec.tags.iter().any(|t| {
                    t.from
                        .as_ref()
                        .is_some_and(|f| f.kind == "ImageStreamTag" && !f.name.contains(':'))
                }),
            );
            classes.add(
                "ImageStreamImage",
                wire.spec.tags.iter().any(|t| {
                    t.from
                        .as_ref()
                        .is_some_and(|f| f.kind == "ImageStreamImage")
                }),
            );
        }
    }
    classes.assert_all();
    // Too little input is an error, never a panic or an invalid value.
    let mut u = Unstructured::new(&[]);
    let _ = stream::ImageStream::arbitrary(&mut u);
}

/// Failures shrink to small, readable values.
#[test]
fn values_shrink_toward_small_readable_ones() {
    let minimal = |s: BoxedStrategy<String>, fails: fn(&str) -> bool| {
        let mut runner = TestRunner::new(Config {
            failure_persistence: None,
            ..Config::default()
        });
        match runner.run(&s, |v| {
            prop_assert!(!fails(&v));
            Ok(())
        }) {
            Err(proptest::test_runner::TestError::Fail(_, v)) => v,
            other => panic!("the property must fail: {other:?}"),
        }
    };
    // The name part shrinks to single characters, a digest (when one
    // stays) to all zeros.
    let readable = |v: &str, longest: usize| {
        let (name, digest) = v.split_once('@').unwrap_or((v, ""));
        let hex = digest.split_once(':').map_or("", |(_, h)| h);
        name.len() <= longest && hex.bytes().all(|b| b == b'0')
    };
    let tagged = minimal(strategy::reference_string(Mode::Strict), |s| {
        DockerReference::parse(s).is_ok_and(|r| r.tag().is_some())
    });
    assert!(readable(&tagged, 3) && tagged.contains(':'), "{tagged:?}");
    let long_tag = minimal(strategy::tag_name().prop_map(String::from).boxed(), |s| {
        s.len() > 3
    });
    assert_eq!(long_tag.len(), 4, "{long_tag:?}");
    let with_port = minimal(strategy::reference_string(Mode::OpenShift), |s| {
        ImageReference::parse(s).is_ok_and(|r| r.registry().is_some_and(|h| h.contains(':')))
    });
    // `a.aa:0/a`: the shortest host of its pattern, port 0, one character.
    assert!(readable(&with_port, "a.aa:0/a".len()), "{with_port:?}");
}

/// 100,000 policy texts: each parses, and writes back as the same
/// (canonical) text, which parses to an equal policy.
#[test]
fn policy_texts_are_valid_and_canonical() {
    runner(100_000)
        .run(&strategy::tag_policy_text(), |text| {
            let policy = stream::TagPolicy::parse(&text)
                .map_err(|e| TestCaseError::fail(format!("{text:?} refused: {e}")))?;
            prop_assert_eq!(policy.to_string(), text.clone());
            let again = stream::TagPolicy::parse(&policy.to_string()).unwrap();
            prop_assert_eq!(again, policy);
            Ok(())
        })
        .unwrap();
}

/// Each edge class of policies comes up in 10,000 cases, and a policy
/// shrinks toward the shortest of its kind.
#[test]
fn policy_edge_classes_are_covered_and_shrink() {
    let mut classes = Seen::default();
    sample(strategy::tag_policy(), 10_000, |p| {
        let text = p.to_string();
        let order = p.order_text();
        for kind in ["newest", "semver", "numerical", "alphabetical"] {
            classes.add(kind, order.starts_with(kind));
        }
        classes.add("alternatives", order.contains(" || "));
        classes.add(
            "several comparators",
            order.starts_with("semver") && order.split(' ').count() > 2,
        );
        classes.add("wildcard", order.contains(".x") || order.contains('*'));
        classes.add("pre-release comparator", order.contains('-'));
        classes.add(
            "prerelease",
            p.order_text().starts_with("semver") && text.contains("\nprerelease"),
        );
        classes.add(
            "named extract",
            p.extract()
                .is_some_and(|e| e.contains("$t") || e.contains("${")),
        );
        classes.add("numbered extract", p.extract() == Some("$1"));
        classes.add("two excludes", p.excludes().len() == 2);
        classes.add("signatures", p.keeps_signatures());
        classes.add(
            "platform variant",
            p.platform()
                .is_some_and(|pl| pl.to_string().matches('/').count() == 2),
        );
        classes.add(
            "candidates stream",
            p.candidates() == stream::CandidateSource::Stream,
        );
    });
    classes.assert_all();

    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    });
    let shrunk = match runner.run(&strategy::tag_policy(), |p| {
        prop_assert!(p.pattern().is_none());
        Ok(())
    }) {
        Err(proptest::test_runner::TestError::Fail(_, p)) => p.to_string(),
        other => panic!("the property must fail: {other:?}"),
    };
    // The first order, the shortest pattern of the first kind (one
    // character, `a` or `0` by where shrinking started), nothing else.
    let literal = shrunk.strip_prefix("newest\npattern ^");
    assert!(literal.is_some_and(|l| l == "a" || l == "0"), "{shrunk:?}");
}
