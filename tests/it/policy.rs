//! Tag policies: Flux's and Argo CD Image Updater's documented examples as
//! tables, laws of the choice (maximum under the order, independent of
//! input order and of pagination), policies and holds on the wire, the dry
//! run, and the controller pinning choices and respecting holds.

use std::collections::BTreeMap;
use std::sync::Arc;

use imagestream::api;
use imagestream::chrono::{DateTime, TimeDelta, TimeZone, Utc};
use imagestream::controller::{Controller, ControllerConfig};
use imagestream::ops::policy::{Candidate, Rejection, Selector, choose, dry_run, explain};
use imagestream::ops::tag::TagCommand;
use imagestream::ports::{
    Clock, ImportedImage, ManualClock, MemoryStore, Rbac, StaticRegistry, Subject,
};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::service::ImageStreams;
use imagestream::stream::{Hold, ImageStream, RollbackTarget, TagPolicy, parse_version};
use proptest::prelude::*;

const MEDIA: &str = "application/vnd.oci.image.manifest.v1+json";

fn candidates(tags: &[&str]) -> Vec<Candidate> {
    tags.iter().map(|t| Candidate::new(*t)).collect()
}

#[track_caller]
fn pick(policy: &str, tags: &[&str]) -> Option<String> {
    let p = TagPolicy::parse(policy).unwrap_or_else(|e| panic!("{policy:?}: {e}"));
    choose(&p, &candidates(tags)).map(|c| c.tag.clone())
}

#[test]
fn flux_examples() {
    // (policy, tags, chosen): facts of Flux's ImagePolicy docs.
    let cases: &[(&str, &[&str], Option<&str>)] = &[
        // `semver: range: 5.1.x` over podinfo's tags chooses 5.1.4.
        (
            "semver 5.1.x",
            &["5.0.0", "5.0.3", "5.1.0", "5.1.4", "5.2.0", "6.0.0"],
            Some("5.1.4"),
        ),
        // `--select-semver=">=1.0.0"`: the latest stable release.
        (
            "semver >=1.0.0",
            &["0.9.0", "1.0.0", "1.4.2", "2.0.0-rc.1"],
            Some("1.4.2"),
        ),
        // `>=1.0.0-0` admits pre-releases of 1.0.0.
        (
            "semver >=1.0.0-0",
            &["0.9.0", "1.0.0-rc.1"],
            Some("1.0.0-rc.1"),
        ),
        // numerical asc with `^main-[a-f0-9]+-(?P<ts>[0-9]+)`, extract `$ts`.
        (
            "numerical asc\npattern ^main-[a-f0-9]+-(?P<ts>[0-9]+)\nextract $ts",
            &[
                "main-abc1234-1600000000",
                "main-def5678-1700000000",
                "feature-0a1b2c3-1800000000",
            ],
            Some("main-def5678-1700000000"),
        ),
        // numerical desc picks the lowest.
        ("numerical desc", &["3", "20", "100"], Some("3")),
        // "Given the letters of the alphabet as tags, ascending order would
        // select Z, and descending order would select A."
        ("alphabetical asc", &["A", "M", "Z", "B"], Some("Z")),
        ("alphabetical desc", &["A", "M", "Z", "B"], Some("A")),
        // minio's RELEASE.<timestamp>Z tags, alphabetical on the timestamp.
        (
            "alphabetical asc\npattern ^RELEASE\\.(?P<timestamp>.*)Z$\nextract $timestamp",
            &[
                "RELEASE.2020-11-25T22-36-25Z",
                "RELEASE.2021-02-14T04-01-33Z",
                "latest",
            ],
            Some("RELEASE.2021-02-14T04-01-33Z"),
        ),
    ];
    for (policy, tags, want) in cases {
        assert_eq!(pick(policy, tags).as_deref(), *want, "{policy:?}");
    }
}

#[test]
fn argo_cd_image_updater_examples() {
    let cases: &[(&str, &[&str], Option<&str>)] = &[
        // semver strategy with constraints `1.x` and `~1.2`; `v` prefixes.
        (
            "semver 1.x",
            &["1.0.1", "1.5.0", "2.0.0", "v1.9.3"],
            Some("v1.9.3"),
        ),
        ("semver ~1.2", &["1.2.0", "1.2.7", "1.3.0"], Some("1.2.7")),
        // No constraint: the highest version.
        (
            "semver *",
            &["0.1.0", "1.0.1", "10.0.0", "9.9.9"],
            Some("10.0.0"),
        ),
        // `name` (alphabetical) sorts lexically and takes the highest, e.g.
        // calendar versions; `ignore-tags: latest, master`.
        (
            "alphabetical asc\nexclude ^(latest|master)$",
            &["2021-01-01", "2021-03-02", "latest", "master"],
            Some("2021-03-02"),
        ),
        // `allow-tags: regexp:^[0-9a-f]{7}$` keeps commit-SHA tags only.
        (
            "alphabetical asc\npattern ^[0-9a-f]{7}$",
            &["abc1234", "zzz", "v1.0.0"],
            Some("abc1234"),
        ),
    ];
    for (policy, tags, want) in cases {
        assert_eq!(pick(policy, tags).as_deref(), *want, "{policy:?}");
    }
    // `newest-build` with `allow-tags`: the most recently built tag.
    let t = |h| Utc.with_ymd_and_hms(2026, 3, 1, h, 0, 0).unwrap();
    let policy = TagPolicy::parse("newest\npattern ^[0-9a-f]{7}$").unwrap();
    let list = vec![
        Candidate::new("abc1234").created(t(9)),
        Candidate::new("def5678").created(t(11)),
        Candidate::new("latest").created(t(12)),
    ];
    assert_eq!(choose(&policy, &list).unwrap().tag, "def5678");
}

#[test]
fn signature_tags_are_excluded_unless_kept() {
    let sig = format!("sha256-{}.sig", "c".repeat(64));
    assert_eq!(pick("alphabetical asc", &["a", &sig]).as_deref(), Some("a"));
    assert_eq!(
        pick("alphabetical asc\nsignatures", &["a", &sig]).as_deref(),
        Some(sig.as_str())
    );
}

/// Tags: versions with or without `v`, pre-releases, and junk.
fn tag() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            0u64..5,
            0u64..12,
            0u64..4,
            any::<bool>(),
            proptest::option::of(0u8..3)
        )
            .prop_map(|(a, b, c, v, pre)| {
                let pre = pre.map_or(String::new(), |p| format!("-rc.{p}"));
                format!("{}{a}.{b}.{c}{pre}", if v { "v" } else { "" })
            }),
        "[a-z0-9.-]{1,8}",
    ]
}

const RANGES: &[&str] = &[
    ">=3.6 <4",
    "^2",
    "~1.2",
    "*",
    "1.x || >=4",
    ">=0.3.0-rc.0 <1",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The chosen tag is the maximum, under semver order then tag text, of
    /// the tags whose version is in the range (a naive model: sort).
    #[test]
    fn semver_choice_is_the_maximum(tags in proptest::collection::vec(tag(), 0..40), r in 0..RANGES.len(), pre in any::<bool>()) {
        let text = format!("semver {}{}", RANGES[r], if pre { "\nprerelease" } else { "" });
        let policy = TagPolicy::parse(&text).unwrap();
        let range = match policy.order() {
            imagestream::stream::PolicyOrder::Semver(r) => r.clone(),
            _ => unreachable!("a semver policy"),
        };
        let mut eligible: Vec<(_, &String)> = tags
            .iter()
            .filter_map(|t| parse_version(t).map(|v| (v, t)))
            .filter(|(v, _)| range.matches(v))
            .collect();
        eligible.sort();
        let list: Vec<Candidate> = tags.iter().map(Candidate::new).collect();
        let got = choose(&policy, &list).map(|c| c.tag.clone());
        prop_assert_eq!(got, eligible.last().map(|(_, t)| (*t).clone()));
    }

    /// Numerical and alphabetical orders, both directions: the extreme.
    #[test]
    fn numeric_and_alphabetical_choose_the_extreme(tags in proptest::collection::vec("[0-9]{1,4}|[a-c]{1,3}", 0..30), asc in any::<bool>()) {
        let dir = if asc { "asc" } else { "desc" };
        let list: Vec<Candidate> = tags.iter().map(Candidate::new).collect();
        let numeric = TagPolicy::parse(&format!("numerical {dir}")).unwrap();
        let mut nums: Vec<(u64, &String)> = tags.iter().filter_map(|t| t.parse().ok().map(|n| (n, t))).collect();
        nums.sort_by(|a, b| if asc { a.0.cmp(&b.0) } else { b.0.cmp(&a.0) }.then(a.1.cmp(b.1)));
        prop_assert_eq!(choose(&numeric, &list).map(|c| c.tag.clone()), nums.last().map(|(_, t)| (*t).clone()));
        let alpha = TagPolicy::parse(&format!("alphabetical {dir}")).unwrap();
        let mut texts: Vec<&String> = tags.iter().collect();
        texts.sort_by(|a, b| if asc { a.cmp(b) } else { b.cmp(a) });
        prop_assert_eq!(choose(&alpha, &list).map(|c| c.tag.clone()), texts.last().map(|t| (*t).clone()));
    }

    /// The same candidates in any order give the same choice.
    #[test]
    fn choice_is_independent_of_order(
        (tags, shuffled) in proptest::collection::vec(tag(), 0..40)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        r in 0..RANGES.len(),
    ) {
        let policy = TagPolicy::parse(&format!("semver {}", RANGES[r])).unwrap();
        let a: Vec<Candidate> = tags.iter().map(Candidate::new).collect();
        let b: Vec<Candidate> = shuffled.iter().map(Candidate::new).collect();
        prop_assert_eq!(choose(&policy, &a).map(|c| &c.tag), choose(&policy, &b).map(|c| &c.tag));
    }

    /// Choosing page by page (a registry's pages) gives the same choice as
    /// choosing over all at once, and so does choosing among page winners.
    #[test]
    fn choice_is_stable_under_pagination(tags in proptest::collection::vec(tag(), 0..60), page in 1usize..9, r in 0..RANGES.len()) {
        let policy = TagPolicy::parse(&format!("semver {}", RANGES[r])).unwrap();
        let all: Vec<Candidate> = tags.iter().map(Candidate::new).collect();
        let whole = choose(&policy, &all).map(|c| c.tag.clone());
        let mut selector = Selector::new(&policy);
        let mut winners = Vec::new();
        for chunk in all.chunks(page) {
            for c in chunk {
                selector.offer(c);
            }
            winners.extend(choose(&policy, chunk).cloned());
        }
        prop_assert_eq!(selector.chosen().map(|c| c.tag.clone()), whole.clone());
        prop_assert_eq!(choose(&policy, &winners).map(|c| c.tag.clone()), whole);
    }

    /// The canonical text reads back as the same policy.
    #[test]
    fn policy_text_round_trips(r in 0..RANGES.len(), pre in any::<bool>(), ex in proptest::option::of("[a-z]{1,5}")) {
        let mut text = format!("semver {}", RANGES[r]);
        if pre { text.push_str("\nprerelease"); }
        if let Some(e) = ex { text.push_str("\nexclude "); text.push_str(&e); }
        let p = TagPolicy::parse(&text).unwrap();
        prop_assert_eq!(TagPolicy::parse(&p.to_string()).unwrap(), p);
    }
}

fn wire_stream(annotations: &[(&str, &str)]) -> api::ImageStream {
    let mut wire = api::ImageStream::default();
    wire.metadata.name = "app".into();
    wire.metadata.namespace = "ns".into();
    wire.spec.tags.push(api::TagReference {
        name: "stable".into(),
        from: Some(api::ObjectReference::new(
            "DockerImage",
            "docker.io/library/app:latest",
        )),
        annotations: Some(
            annotations
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ),
        ..api::TagReference::default()
    });
    wire
}

#[test]
fn policies_and_holds_live_on_spec_tags_on_the_wire() {
    let wire = wire_stream(&[
        (api::POLICY_ANNOTATION, "semver >=3.6 <4"),
        (api::HOLD_ANNOTATION, "by alice\nreason bad build"),
        ("team", "web"),
    ]);
    let is = ImageStream::try_from(wire.clone()).unwrap();
    assert_eq!(is.policy("stable").unwrap().order_text(), "semver >=3.6 <4");
    assert_eq!(is.hold("stable").unwrap().by(), "alice");
    // Round-trips untouched.
    assert_eq!(
        api::ImageStream::from(&is).spec.tags[0].annotations,
        wire.spec.tags[0].annotations
    );
}

#[test]
fn invalid_policies_are_field_errors_on_the_spec_tag() {
    let cases = [
        (
            "semver >=3.6 <<4",
            r#"spec.tags[stable].annotations[imagestream.rs/policy]: Invalid value: "semver >=3.6 <<4": invalid semver range "<<4" at 13: "#,
        ),
        (
            "numerical asc\npattern ^main-(?P<n>[0-9]+\nextract $n",
            r#"spec.tags[stable].annotations[imagestream.rs/policy]: Invalid value: "numerical asc\npattern ^main-(?P<n>[0-9]+\nextract $n": invalid regex "^main-(?P<n>[0-9]+" at 28: unclosed group"#,
        ),
        (
            "numerical asc\npattern ^main-(?P<n>[0-9]+)\nextract $ts",
            r#"spec.tags[stable].annotations[imagestream.rs/policy]: Invalid value: "numerical asc\npattern ^main-(?P<n>[0-9]+)\nextract $ts": extract template "$ts" names group "ts" at 50, which the pattern lacks"#,
        ),
    ];
    for (policy, message) in cases {
        let e =
            ImageStream::try_from(wire_stream(&[(api::POLICY_ANNOTATION, policy)])).unwrap_err();
        assert_eq!(e.errors().len(), 1, "{e}");
        assert!(
            e.to_string().starts_with(message),
            "{policy:?}:\n{e}\n{message}"
        );
    }
    let e = ImageStream::try_from(wire_stream(&[(api::HOLD_ANNOTATION, "who cares")])).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"spec.tags[stable].annotations[imagestream.rs/hold]: Invalid value: "who cares": unknown hold key "who" at 0: expected by, reason or until"#
    );
}

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, h, 0, 0).unwrap()
}

#[test]
fn dry_run_says_what_each_policy_would_choose_and_why_others_lost() {
    let is =
        ImageStream::try_from(wire_stream(&[(api::POLICY_ANNOTATION, "semver >=3.6 <4")])).unwrap();
    let stable = TagName::parse("stable").unwrap();
    let mut listed = BTreeMap::new();
    listed.insert(
        stable.clone(),
        candidates(&["3.5.0", "3.9.2", "3.9.1", "4.0.0", "latest"]),
    );
    let reports = dry_run(&is, &listed, at(1));
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].to_string(),
        "stable: policy semver >=3.6 <4 would choose 3.9.2\n  3.5.0: 3.5.0 is outside >=3.6 <4\n  3.9.1: ranks below 3.9.2\n  4.0.0: 4.0.0 is outside >=3.6 <4\n  latest: \"latest\" is not a semver version\n"
    );
    // Without a listing, it says so; a hold is reported.
    let mut held = is.clone();
    held.set_hold(
        "stable",
        Some(&Hold::new("bob", "incident 42").until(at(5))),
    )
    .unwrap();
    let reports = dry_run(&held, &BTreeMap::new(), at(1));
    assert_eq!(
        reports[0].to_string(),
        "stable: policy semver >=3.6 <4 has no candidates listed, but the tag is held by bob until 2026-12-03T05:00:00Z (incident 42)\n"
    );
    assert!(
        dry_run(&held, &BTreeMap::new(), at(5))[0].hold.is_none(),
        "expired"
    );
    let e = explain(&is.policy("stable").unwrap(), &candidates(&["x"]));
    assert_eq!(
        e.rejected,
        [(
            "x".to_owned(),
            Rejection::NotAVersion {
                subject: "x".into()
            }
        )]
    );
}

struct World {
    clock: Arc<ManualClock>,
    registry: Arc<StaticRegistry>,
    service: Arc<ImageStreams<MemoryStore, StaticRegistry, Rbac, ManualClock>>,
    ns: Namespace,
    admin: Subject,
}

fn world() -> World {
    let clock = Arc::new(ManualClock::new(at(1)));
    let registry = Arc::new(StaticRegistry::new());
    let service = Arc::new(ImageStreams::new(
        Arc::new(MemoryStore::new()),
        registry.clone(),
        Arc::new(Rbac::new()),
        clock.clone(),
    ));
    World {
        clock,
        registry,
        service,
        ns: Namespace::parse("ns").unwrap(),
        admin: Subject::system_admin(),
    }
}

impl World {
    fn serve(&self, tag: &str) -> Digest {
        self.serve_as(tag, tag)
    }

    fn stream(&self) -> ImageStream {
        self.service
            .get(&self.admin, &self.ns, &StreamName::parse("app").unwrap())
            .unwrap()
            .value
    }

    fn set_policy(&self, tag: &str, policy: &str) {
        let policy = TagPolicy::parse(policy).unwrap();
        self.service
            .update(
                &self.admin,
                &self.ns,
                &StreamName::parse("app").unwrap(),
                |is| Ok(is.set_policy(tag, Some(&policy))?),
            )
            .unwrap();
    }
}

#[test]
fn the_controller_pins_the_registry_choice_and_imports_it() {
    let w = world();
    for t in ["3.5.0", "3.9.1", "4.0.0", "latest"] {
        w.serve(t);
    }
    let chosen = w.serve("3.9.2");
    w.service
        .tag(
            &w.admin,
            &w.ns,
            &TagCommand::new(["docker.io/library/app:latest", "app:stable"]),
        )
        .unwrap();
    w.set_policy("stable", "semver >=3.6 <4");
    let mut controller =
        Controller::with_config(w.service.clone(), ControllerConfig::default()).unwrap();
    let report = controller.tick(w.clock.now()).unwrap();
    assert_eq!(
        report.pinned,
        [format!(
            "Tag app:stable set to docker.io/library/app@{chosen} (policy semver >=3.6 <4 chose 3.9.2)."
        )]
    );
    let is = w.stream();
    assert_eq!(
        is.history("stable").unwrap().current().unwrap().image(),
        Some(chosen.clone())
    );
    assert_eq!(
        is.policy_choice("stable"),
        Some(format!("3.9.2 docker.io/library/app@{chosen}").as_str()),
        "{:?}",
        is.spec_tag("stable")
    );

    // A newer release is chosen at the next scheduled turn.
    let newer = w.serve("3.10.0");
    w.clock.advance(TimeDelta::minutes(16));
    let report = controller.tick(w.clock.now()).unwrap();
    assert_eq!(report.pinned.len(), 1, "{report:?}");
    assert!(report.pinned[0].ends_with("(policy semver >=3.6 <4 chose 3.10.0)."));
    assert_eq!(
        w.stream()
            .history("stable")
            .unwrap()
            .current()
            .unwrap()
            .image(),
        Some(newer)
    );

    // Nothing new: nothing pinned.
    w.clock.advance(TimeDelta::minutes(16));
    assert!(controller.tick(w.clock.now()).unwrap().pinned.is_empty());
}

#[test]
fn a_held_rollback_stays_until_the_hold_is_released() {
    let w = world();
    let old = w.serve("3.9.1");
    w.service
        .tag(
            &w.admin,
            &w.ns,
            &TagCommand::new(["docker.io/library/app:3.9.1", "app:stable"]),
        )
        .unwrap();
    w.set_policy("stable", "semver >=3.6 <4");
    let mut controller = Controller::new(w.service.clone());
    controller.tick(w.clock.now()).unwrap();
    let new = w.serve("3.9.2");
    w.clock.advance(TimeDelta::minutes(16));
    let report = controller.tick(w.clock.now()).unwrap();
    assert_eq!(report.pinned.len(), 1);
    assert_eq!(
        w.stream()
            .history("stable")
            .unwrap()
            .current()
            .unwrap()
            .image(),
        Some(new.clone())
    );

    // Roll back to 3.9.1 with a hold: the policy leaves it alone.
    let name = StreamName::parse("app").unwrap();
    let stable = TagName::parse("stable").unwrap();
    let hold = Hold::new("alice", "3.9.2 leaks memory").until(w.clock.now() + TimeDelta::hours(2));
    w.service
        .rollback_and_hold(
            &w.admin,
            &w.ns,
            &name,
            &stable,
            &RollbackTarget::Image(old.to_string()),
            &hold,
        )
        .unwrap();
    for _ in 0..3 {
        w.clock.advance(TimeDelta::minutes(16));
        let report = controller.tick(w.clock.now()).unwrap();
        assert!(report.pinned.is_empty(), "{report:?}");
        assert_eq!(
            w.stream()
                .history("stable")
                .unwrap()
                .current()
                .unwrap()
                .image(),
            Some(old.clone())
        );
    }
    assert_eq!(w.stream().hold("stable"), Some(hold));

    // Released: the policy takes over again at the next turn.
    w.service
        .set_hold(&w.admin, &w.ns, &name, &stable, None)
        .unwrap();
    w.clock.advance(TimeDelta::minutes(16));
    let report = controller.tick(w.clock.now()).unwrap();
    assert_eq!(report.pinned.len(), 1, "{report:?}");
    assert_eq!(
        w.stream()
            .history("stable")
            .unwrap()
            .current()
            .unwrap()
            .image(),
        Some(new)
    );
}

#[test]
fn stream_candidates_pin_an_image_of_the_stream() {
    let w = world();
    let a = w.serve("3.9.1");
    let b = w.serve("3.9.2");
    for t in ["3.9.1", "3.9.2"] {
        w.service
            .tag(
                &w.admin,
                &w.ns,
                &TagCommand::new([format!("docker.io/library/app:{t}"), format!("app:{t}")]),
            )
            .unwrap();
    }
    w.service
        .tag(
            &w.admin,
            &w.ns,
            &TagCommand::new(["app:3.9.1", "app:stable"]).alias(true),
        )
        .unwrap();
    let mut controller = Controller::new(w.service.clone());
    controller.tick(w.clock.now()).unwrap();
    assert_eq!(
        w.stream()
            .history("stable")
            .unwrap()
            .current()
            .unwrap()
            .image(),
        Some(a)
    );
    w.set_policy("stable", "semver >=3.6 <4\ncandidates stream");
    w.clock.advance(TimeDelta::minutes(16));
    let report = controller.tick(w.clock.now()).unwrap();
    assert_eq!(
        report.pinned,
        [format!(
            "Tag app:stable set to app@{b} (policy semver >=3.6 <4 chose 3.9.2)."
        )]
    );
    assert_eq!(
        w.stream()
            .history("stable")
            .unwrap()
            .current()
            .unwrap()
            .image(),
        Some(b)
    );
}

#[test]
fn a_hold_stops_scheduled_imports() {
    let w = world();
    w.serve("latest");
    w.service
        .tag(
            &w.admin,
            &w.ns,
            &TagCommand::new(["docker.io/library/app:latest", "app:edge"]).scheduled(true),
        )
        .unwrap();
    let mut controller = Controller::new(w.service.clone());
    controller.tick(w.clock.now()).unwrap();
    let name = StreamName::parse("app").unwrap();
    let edge = TagName::parse("edge").unwrap();
    w.service
        .set_hold(
            &w.admin,
            &w.ns,
            &name,
            &edge,
            Some(&Hold::new("ops", "freeze").until(w.clock.now() + TimeDelta::minutes(40))),
        )
        .unwrap();
    let moved = w.serve_as("latest", "latest-2");
    w.clock.advance(TimeDelta::minutes(16));
    let report = controller.tick(w.clock.now()).unwrap();
    assert!(report.imported.is_empty(), "held: {report:?}");
    assert_ne!(
        w.stream()
            .history("edge")
            .unwrap()
            .current()
            .unwrap()
            .image(),
        Some(moved.clone())
    );
    // Expired: imported again.
    w.clock.advance(TimeDelta::minutes(30));
    controller.tick(w.clock.now()).unwrap();
    assert_eq!(
        w.stream()
            .history("edge")
            .unwrap()
            .current()
            .unwrap()
            .image(),
        Some(moved)
    );
}

impl World {
    /// Serves `content` as `app:<tag>` and by its digest, as a registry
    /// does.
    fn serve_as(&self, tag: &str, content: &str) -> Digest {
        let d = Digest::of_sha256(content.as_bytes());
        for r in [
            format!("docker.io/library/app:{tag}"),
            format!("docker.io/library/app@{d}"),
        ] {
            let r = ImageReference::parse(&r).unwrap();
            self.registry
                .insert(&r, ImportedImage::new(d.clone(), MEDIA));
        }
        d
    }
}

#[test]
fn describe_shows_policy_last_choice_and_hold() {
    use imagestream::describe::{Style, describe_image_stream};
    let w = world();
    w.serve("3.9.1");
    w.serve("3.9.2");
    w.service
        .tag(
            &w.admin,
            &w.ns,
            &TagCommand::new(["docker.io/library/app:3.9.1", "app:stable"]),
        )
        .unwrap();
    w.set_policy("stable", "semver >=3.6 <4\nexclude -debug$");
    let mut controller = Controller::new(w.service.clone());
    controller.tick(w.clock.now()).unwrap();
    let name = StreamName::parse("app").unwrap();
    let stable = TagName::parse("stable").unwrap();
    let hold = Hold::new("alice", "incident 42").until(w.clock.now() + TimeDelta::hours(2));
    w.service
        .set_hold(&w.admin, &w.ns, &name, &stable, Some(&hold))
        .unwrap();
    let text = describe_image_stream(
        &w.stream(),
        w.clock.now() + TimeDelta::minutes(5),
        Style::Classic,
    );
    insta::assert_snapshot!(text);
    // Expired holds say so.
    let later = describe_image_stream(
        &w.stream(),
        w.clock.now() + TimeDelta::hours(3),
        Style::Classic,
    );
    assert!(
        later.contains("    held by alice (expired 2026-12-03T03:00:00Z): incident 42\n"),
        "{later}"
    );
}

#[test]
fn the_service_dry_run_lists_the_registry_and_writes_nothing() {
    let w = world();
    for t in ["3.5.0", "3.9.2", "4.0.0"] {
        w.serve(t);
    }
    w.service
        .tag(
            &w.admin,
            &w.ns,
            &TagCommand::new(["docker.io/library/app:3.5.0", "app:stable"]),
        )
        .unwrap();
    w.set_policy("stable", "semver >=3.6 <4");
    let before = w.stream();
    let name = StreamName::parse("app").unwrap();
    let reports = w
        .service
        .policy_dry_run(&w.admin, &w.ns, &name, 100)
        .unwrap();
    assert_eq!(
        reports.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "stable: policy semver >=3.6 <4 would choose 3.9.2\n  3.5.0: 3.5.0 is outside >=3.6 <4\n  4.0.0: 4.0.0 is outside >=3.6 <4\n"
        ]
    );
    assert_eq!(w.stream(), before);
}

#[test]
fn newest_on_a_platform_resolves_registry_candidates() {
    let w = world();
    let serve = |tag: &str, hour: u32, arch: &str| {
        let d = Digest::of_sha256(tag.as_bytes());
        let mut image = ImportedImage::new(d.clone(), MEDIA);
        let config = api::DockerImageMetadata {
            created: Some(at(hour)),
            architecture: arch.to_owned(),
            ..api::DockerImageMetadata::default()
        };
        image.config = Some(config);
        for r in [
            format!("docker.io/library/app:{tag}"),
            format!("docker.io/library/app@{d}"),
        ] {
            w.registry
                .insert(&ImageReference::parse(&r).unwrap(), image.clone());
        }
        d
    };
    serve("a", 1, "amd64");
    let arm = serve("b", 2, "arm64");
    serve("c", 3, "amd64");
    w.service
        .tag(
            &w.admin,
            &w.ns,
            &TagCommand::new(["docker.io/library/app:a", "app:edge"]),
        )
        .unwrap();
    w.set_policy("edge", "newest\nplatform linux/arm64");
    let mut controller = Controller::new(w.service.clone());
    let report = controller.tick(w.clock.now()).unwrap();
    assert_eq!(
        report.pinned,
        [format!(
            "Tag app:edge set to docker.io/library/app@{arm} (policy newest chose b)."
        )]
    );
    assert_eq!(
        w.stream()
            .history("edge")
            .unwrap()
            .current()
            .unwrap()
            .image(),
        Some(arm)
    );
}

proptest! {
    /// `newest` chooses the latest creation time (ties by tag text), and
    /// skips candidates without one.
    #[test]
    fn newest_chooses_the_latest(times in proptest::collection::vec(proptest::option::of(0i64..50), 0..30)) {
        let base = at(0);
        let list: Vec<Candidate> = times
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let c = Candidate::new(format!("t{i:02}"));
                match t {
                    Some(m) => c.created(base + TimeDelta::minutes(*m)),
                    None => c,
                }
            })
            .collect();
        let mut timed: Vec<(DateTime<Utc>, &String)> =
            list.iter().filter_map(|c| c.created.map(|t| (t, &c.tag))).collect();
        timed.sort();
        let policy = TagPolicy::parse("newest").unwrap();
        prop_assert_eq!(choose(&policy, &list).map(|c| &c.tag), timed.last().map(|(_, t)| *t));
    }
}

#[test]
fn a_capped_listing_is_reported() {
    let w = world();
    for t in ["3.7.0", "3.8.0", "3.9.0"] {
        w.serve(t);
    }
    w.service
        .tag(
            &w.admin,
            &w.ns,
            &TagCommand::new(["docker.io/library/app:3.7.0", "app:stable"]),
        )
        .unwrap();
    w.set_policy("stable", "semver >=3.6 <4");
    let mut controller = Controller::with_config(
        w.service.clone(),
        ControllerConfig::default().policy_tags(2),
    )
    .unwrap();
    let report = controller.tick(w.clock.now()).unwrap();
    assert_eq!(
        report.policy_errors,
        ["ns/app:stable: docker.io/library/app has more than 2 tags; chose among the first 2"]
    );
    assert!(
        report.pinned[0].ends_with("(policy semver >=3.6 <4 chose 3.8.0)."),
        "{report:?}"
    );
}
