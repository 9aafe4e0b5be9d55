//! Model-based test: random operation sequences run against the real
//! `stream::ImageStream` and a deliberately naive model (newest-first
//! vectors with copying prepends, linear scans, followers recomputed by
//! scanning the spec), compared after every step. The stream's parts are
//! shared between copies (copy on write): a copy taken before each step
//! must come out of it unchanged.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use imagestream::chrono::{DateTime, TimeDelta, TimeZone, Utc};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::stream::{
    ImageStream, PruneOptions, RollbackTarget, SpecContext, SpecTag, TagEvent, TagSource,
};
use proptest::prelude::*;

const TAGS: [&str; 5] = ["a", "b", "c", "d", "latest"];

#[derive(Debug, Clone)]
enum Op {
    /// Push image `image` to `tag` with pull spec variant `via`.
    Add {
        tag: usize,
        image: u8,
        via: u8,
        generation: i64,
    },
    /// Make `tag` track `target` (same stream).
    Alias { tag: usize, target: usize },
    /// Point `tag` at an external image (stops tracking, no event).
    External { tag: usize, version: u8 },
    /// Roll `tag` back to a revision.
    Rollback { tag: usize, revision: usize },
    /// Delete `tag` (spec and history).
    Delete { tag: usize },
    /// Prune to `keep` revisions.
    Prune { keep: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..5usize, 1..6u8, 0..2u8, 0..3i64).prop_map(|(tag, image, via, generation)| Op::Add { tag, image, via, generation }),
        2 => (0..5usize, 0..5usize).prop_map(|(tag, target)| Op::Alias { tag, target }),
        1 => (0..5usize, 0..3u8).prop_map(|(tag, version)| Op::External { tag, version }),
        2 => (0..5usize, 0..4usize).prop_map(|(tag, revision)| Op::Rollback { tag, revision }),
        1 => (0..5usize).prop_map(|tag| Op::Delete { tag }),
        1 => (0..4usize).prop_map(|keep| Op::Prune { keep }),
    ]
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()
}

fn digest(n: u8) -> String {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
}

fn pull_spec(image: u8, via: u8) -> String {
    match via {
        0 => format!("registry.local/ns/s@{}", digest(image)),
        _ => format!("mirror.local/ns/s:v{image}"),
    }
}

/// (pull spec, image, generation), as compared.
type Entry = (String, String, i64);

#[derive(Debug, Clone, PartialEq)]
enum Spec {
    Alias(String),
    External(String),
    Pin(String),
}

/// The naive model.
#[derive(Debug, Default)]
struct Model {
    generation: i64,
    spec: BTreeMap<String, Spec>,
    /// Newest first.
    tags: BTreeMap<String, Vec<Entry>>,
}

impl Model {
    /// §5, on a newest-first vector (prepend by copying).
    fn add(&mut self, tag: &str, e: Entry) -> bool {
        let items = self.tags.entry(tag.to_owned()).or_default();
        let Some(prev) = items.first_mut() else {
            items.push(e);
            return true;
        };
        match (prev.0 == e.0, prev.1 == e.1) {
            (true, true) if prev.2 == e.2 => false,
            (true, true) => {
                prev.2 = e.2;
                true
            }
            (true, false) | (false, true) => {
                prev.0 = e.0;
                prev.1 = e.1;
                prev.2 = e.2;
                true
            }
            (false, false) => {
                let mut v = vec![e];
                v.extend(items.iter().cloned());
                *items = v;
                true
            }
        }
    }

    fn followers(&self, tag: &str) -> Vec<String> {
        self.spec
            .iter()
            .filter(|(_, s)| **s == Spec::Alias(tag.to_owned()))
            .map(|(t, _)| t.clone())
            .collect()
    }

    fn propagate(&mut self, tag: &str) {
        let mut visited = BTreeSet::from([tag.to_owned()]);
        let mut queue = VecDeque::from([tag.to_owned()]);
        while let Some(src) = queue.pop_front() {
            let Some(current) = self.tags.get(&src).and_then(|v| v.first()).cloned() else {
                continue;
            };
            for f in self.followers(&src) {
                if visited.insert(f.clone()) && self.add(&f, current.clone()) {
                    queue.push_back(f);
                }
            }
        }
    }

    fn add_and_track(&mut self, tag: &str, e: Entry) {
        if self.add(tag, e) {
            self.propagate(tag);
        }
    }

    fn cycles(&self, tag: &str, target: &str) -> bool {
        let mut seen = BTreeSet::from([tag.to_owned()]);
        let mut cur = target.to_owned();
        loop {
            if cur == tag {
                return true;
            }
            if !seen.insert(cur.clone()) {
                return false;
            }
            match self.spec.get(&cur) {
                Some(Spec::Alias(next)) => cur = next.clone(),
                _ => return false,
            }
        }
    }

    /// Sets a spec tag the way the strategy does, for these three kinds.
    fn set_spec(&mut self, tag: &str, spec: &Spec) {
        // A rollback (Pin) always re-resolves; other identical specs are no-ops.
        if self.spec.get(tag) == Some(spec) && !matches!(spec, Spec::Pin(_)) {
            return;
        }
        self.generation += 1;
        self.spec.insert(tag.to_owned(), spec.clone());
        let event = match spec {
            Spec::External(_) => None,
            Spec::Alias(target) => self
                .tags
                .get(target)
                .and_then(|v| v.first())
                .map(|e| (e.0.clone(), e.1.clone(), self.generation)),
            Spec::Pin(image) => {
                // the newest entry holding the image, in the first tag (by name) holding it
                self.tags
                    .values()
                    .find_map(|v| v.iter().find(|e| e.1 == *image))
                    .map(|e| (e.0.clone(), e.1.clone(), self.generation))
            }
        };
        if let Some(e) = event {
            self.add_and_track(tag, e);
        }
    }
}

#[allow(clippy::too_many_lines)] // one dispatcher for every operation, then the checks
fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut real = ImageStream::new(
        Namespace::parse("ns").unwrap(),
        StreamName::parse("s").unwrap(),
    )
    .unwrap();
    let mut model = Model::default();
    let ctx = SpecContext::new(t0());
    let later = t0() + TimeDelta::days(400);
    for (step, op) in ops.iter().enumerate() {
        let lens_before: BTreeMap<String, usize> = model
            .tags
            .iter()
            .map(|(t, v)| (t.clone(), v.len()))
            .collect();
        let currents_before = currents(&model);
        // A copy taken before the step shares the stream's parts; the
        // step must leave it as it was (copy on write).
        let copy = real.clone();
        let copy_wire = imagestream::api::ImageStream::from(&copy);
        // What the real operation says moved (`None` when it failed).
        let mut moved: Option<Vec<TagName>> = None;
        match *op {
            Op::Add {
                tag,
                image,
                via,
                generation,
            } => {
                let spec = pull_spec(image, via);
                let d = Digest::parse(&digest(image)).unwrap();
                let changes = real.add_tag_event(
                    &TagName::parse(TAGS[tag]).unwrap(),
                    TagEvent::new(
                        ImageReference::parse(&spec).unwrap(),
                        Some(d),
                        generation,
                        t0(),
                    ),
                );
                moved = Some(changes.moved);
                model.add_and_track(TAGS[tag], (spec, digest(image), generation));
            }
            Op::Alias { tag, target } => {
                let spec = SpecTag::new(TagSource::ImageStreamTag {
                    namespace: None,
                    stream: None,
                    tag: TagName::parse(TAGS[target]).unwrap(),
                });
                let got = real.set_spec_tag(TagName::parse(TAGS[tag]).unwrap(), spec, &ctx);
                if model.cycles(TAGS[tag], TAGS[target]) {
                    prop_assert!(got.is_err(), "step {step}: a circle must be refused");
                } else {
                    prop_assert!(got.is_ok(), "step {step}: {got:?}");
                    moved = got.ok().map(|c| c.moved);
                    model.set_spec(TAGS[tag], &Spec::Alias(TAGS[target].to_owned()));
                }
            }
            Op::External { tag, version } => {
                let r = ImageReference::parse(&format!("quay.io/x/y:{version}")).unwrap();
                let changes = real
                    .set_spec_tag(
                        TagName::parse(TAGS[tag]).unwrap(),
                        SpecTag::new(TagSource::DockerImage(r)),
                        &ctx,
                    )
                    .unwrap();
                moved = Some(changes.moved);
                model.set_spec(TAGS[tag], &Spec::External(format!("quay.io/x/y:{version}")));
            }
            Op::Rollback { tag, revision } => {
                let got = real.rollback(
                    &TagName::parse(TAGS[tag]).unwrap(),
                    &RollbackTarget::Revision(revision),
                    t0(),
                );
                match model
                    .tags
                    .get(TAGS[tag])
                    .and_then(|v| v.get(revision))
                    .cloned()
                {
                    None => prop_assert!(got.is_err(), "step {step}: {got:?}"),
                    Some(target) => {
                        prop_assert!(got.is_ok(), "step {step}: {got:?}");
                        moved = got.ok().map(|c| c.moved);
                        model.set_spec(TAGS[tag], &Spec::Pin(target.1.clone()));
                        // rollback then resolve returns the target image
                        let current = real.latest_tagged_image(TAGS[tag]).unwrap();
                        prop_assert_eq!(current.image_str(), target.1.as_str(), "step {}", step);
                    }
                }
            }
            Op::Delete { tag } => {
                let got = real.delete_tag(TAGS[tag]);
                // The spec changes, so the stream generation moves (§11.4, §8).
                let had_spec = model.spec.remove(TAGS[tag]).is_some();
                if had_spec {
                    model.generation += 1;
                }
                let existed = had_spec | model.tags.remove(TAGS[tag]).is_some();
                prop_assert_eq!(got.is_ok(), existed, "step {}", step);
                moved = got.ok().map(|c| c.moved);
            }
            Op::Prune { keep } => {
                let changes = real.prune(
                    &PruneOptions::default().keep_tag_revisions(keep),
                    later,
                    |_| false,
                    |_| false,
                );
                moved = Some(changes.moved);
                for v in model.tags.values_mut() {
                    v.truncate(keep);
                }
                model.tags.retain(|_, v| !v.is_empty());
            }
        }
        prop_assert_eq!(
            imagestream::api::ImageStream::from(&copy),
            copy_wire,
            "step {} {:?} changed a copy",
            step,
            op
        );
        // Compare every history.
        let got: BTreeMap<String, Vec<Entry>> = real
            .histories()
            .map(|(t, h)| {
                (
                    t.to_string(),
                    h.iter()
                        .map(|e| {
                            (
                                e.pull_spec().as_str().to_owned(),
                                e.image_str().to_owned(),
                                e.generation(),
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        prop_assert_eq!(&got, &model.tags, "step {} {:?}", step, op);
        // The outcome names exactly the tags whose current entry moved.
        if let Some(moved) = moved {
            let after = currents(&model);
            let expected: Vec<String> = after
                .keys()
                .chain(currents_before.keys())
                .filter(|t| after.get(*t) != currents_before.get(*t))
                .cloned()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let moved: Vec<String> = moved.iter().map(ToString::to_string).collect();
            prop_assert_eq!(moved, expected, "step {} {:?}", step, op);
        }
        // A history never loses entries except by delete or prune.
        if !matches!(op, Op::Delete { .. } | Op::Prune { .. }) {
            for (t, n) in &lens_before {
                prop_assert!(
                    model.tags.get(t).map_or(0, Vec::len) >= *n,
                    "step {step}: {t} shrank"
                );
            }
        }
        // Resolution by id prefix agrees with a linear scan.
        for prefix in ["0", "01", "0202", &digest(3)[..10], "ff"] {
            let mut matches: BTreeSet<&str> = BTreeSet::new();
            for v in model.tags.values() {
                for e in v {
                    if e.1.starts_with(prefix) || e.1[7..].starts_with(prefix) {
                        matches.insert(&e.1);
                    }
                }
            }
            let res = real.resolve_image(prefix);
            match matches.len() {
                0 => prop_assert!(res.is_err()),
                1 => prop_assert_eq!(res.unwrap().image_str(), *matches.first().unwrap()),
                _ => prop_assert!(
                    res.unwrap_err()
                        .to_string()
                        .contains("multiple images match the prefix")
                ),
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn stream_matches_the_naive_model(ops in prop::collection::vec(op(), 1..40)) {
        run(&ops)?;
    }
}

/// Each tag's current entry in the model (pull spec and image).
fn currents(model: &Model) -> BTreeMap<String, (String, String)> {
    model
        .tags
        .iter()
        .filter_map(|(t, v)| v.first().map(|e| (t.clone(), (e.0.clone(), e.1.clone()))))
        .collect()
}
