//! The controller (§15): spec changes imported at the next tick, scheduled
//! re-imports every 15 minutes, failed imports retried with backoff,
//! triggers fired once per image (across restarts), the shared queue,
//! compaction, and replicas behind a lease; then a model-based proptest
//! against a scripted registry.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use imagestream::chrono::{DateTime, TimeDelta, TimeZone, Utc};
use imagestream::controller::{
    ActionKind, Backoff, Controller, ControllerConfig, IMPORT_BACKOFF, ManualWaiter,
    MemoryTriggers, TriggerSink, WatcherKind,
};
use imagestream::ops::schedule::ScheduleConfig;
use imagestream::ops::tag::TagCommand;
use imagestream::ops::trigger::{Container, DeploymentTrigger, PodImages};
use imagestream::ports::{
    Clock, ImportRequest, ImportedImage, ManualClock, MemoryLease, MemoryStore, Rbac, Registry,
    RegistryError, StaticRegistry, Subject, TagList,
};
use imagestream::reference::{Digest, ImageReference, IsTagName, Namespace, StreamName};
use imagestream::service::ImageStreams;
use imagestream::stream::ImageStream;
use proptest::prelude::*;

const MEDIA: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// A request: when, for what, whether it was answered.
type Request = (DateTime<Utc>, String, bool);

/// A registry answering from a table, logging every request with the
/// time and whether it succeeded.
#[derive(Debug)]
struct Scripted {
    table: StaticRegistry,
    clock: Arc<ManualClock>,
    log: Mutex<Vec<Request>>,
}

impl Scripted {
    fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    fn count(&self, reference: &str) -> usize {
        self.requests()
            .iter()
            .filter(|(_, r, _)| r == reference)
            .count()
    }

    fn serve(&self, reference: &str, content: &str) -> Digest {
        let d = Digest::of_sha256(content.as_bytes());
        self.table
            .insert(&r(reference), ImportedImage::new(d.clone(), MEDIA));
        d
    }

    fn fail(&self, reference: &str, error: RegistryError) {
        self.table.fail(&r(reference), error);
    }
}

impl Registry for Scripted {
    fn resolve(&self, request: &ImportRequest) -> Result<ImportedImage, RegistryError> {
        let answer = self.table.resolve(request);
        self.log.lock().unwrap().push((
            self.clock.now(),
            request.reference.as_str().to_owned(),
            answer.is_ok(),
        ));
        answer
    }

    fn list_tags(&self, request: &ImportRequest, cap: usize) -> Result<TagList, RegistryError> {
        self.table.list_tags(request, cap)
    }
}

type Service = ImageStreams<MemoryStore, Scripted, Rbac, ManualClock>;

struct World {
    clock: Arc<ManualClock>,
    service: Arc<Service>,
    sink: Arc<MemoryTriggers>,
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap()
}

fn r(s: &str) -> ImageReference {
    ImageReference::parse(s).unwrap()
}

fn ns() -> Namespace {
    Namespace::parse("default").unwrap()
}

fn admin() -> Subject {
    Subject::system_admin()
}

fn world_with(store: MemoryStore) -> World {
    let clock = Arc::new(ManualClock::new(start()));
    let registry = Arc::new(Scripted {
        table: StaticRegistry::new(),
        clock: clock.clone(),
        log: Mutex::new(Vec::new()),
    });
    let service = Arc::new(
        ImageStreams::new(
            Arc::new(store),
            registry,
            Arc::new(Rbac::new()),
            clock.clone(),
        )
        .with_internal_registry("docker-registry.default.svc:5000"),
    );
    World {
        clock,
        service,
        sink: Arc::new(MemoryTriggers::new()),
    }
}

fn world() -> World {
    world_with(MemoryStore::new())
}

impl World {
    fn controller(&self) -> Controller<MemoryStore, Scripted, Rbac, ManualClock> {
        self.controller_with(ControllerConfig::default())
    }

    fn controller_with(
        &self,
        config: ControllerConfig,
    ) -> Controller<MemoryStore, Scripted, Rbac, ManualClock> {
        Controller::with_config(self.service.clone(), config)
            .expect("the test schedules are valid")
            .triggers(self.sink.clone())
    }

    fn registry(&self) -> &Scripted {
        self.service.registry()
    }

    fn tag(&self, args: [&str; 2], scheduled: bool) {
        self.service
            .tag(&admin(), &ns(), &TagCommand::new(args).scheduled(scheduled))
            .unwrap();
    }

    fn stream(&self, name: &str) -> ImageStream {
        self.service
            .get(&admin(), &ns(), &StreamName::parse(name).unwrap())
            .unwrap()
            .value
    }

    fn current(&self, name: &str, tag: &str) -> Option<String> {
        let is = self.stream(name);
        is.history(tag)
            .and_then(|h| h.current())
            .map(|e| e.image_str().to_owned())
    }

    fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
    }

    /// Ticks every `step` for `total`, returning the number of requests.
    fn run_for(
        &self,
        c: &mut Controller<MemoryStore, Scripted, Rbac, ManualClock>,
        total: TimeDelta,
        step: TimeDelta,
    ) {
        let end = self.clock.now() + total;
        while self.clock.now() < end {
            self.advance(step);
            c.tick(self.clock.now()).unwrap();
        }
    }

    fn deployment(&self, name: &str, istag: &str) {
        let mut pod = PodImages::default();
        pod.containers.push(Container::new("app", ""));
        self.sink.add_deployment(
            &ns(),
            name,
            vec![DeploymentTrigger::new(
                IsTagName::parse(istag).unwrap(),
                &["app"],
            )],
            pod,
        );
    }

    /// The images each deployment was rolled out to, in order.
    fn rollouts(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for a in self.sink.fired() {
            if let ActionKind::Deploy { pod, .. } = &a.kind {
                out.entry(a.name.clone())
                    .or_default()
                    .push(pod.containers[0].image.clone());
            }
        }
        out
    }

    fn push(&self, stream: &str, tag: &str, content: &str) -> Digest {
        let d = Digest::of_sha256(content.as_bytes());
        let mut m = imagestream::api::ImageStreamMapping::default();
        m.metadata.namespace = "default".into();
        m.metadata.name = stream.into();
        m.tag = tag.into();
        m.image.metadata.name = d.to_string();
        self.service.create_mapping(&admin(), m).unwrap();
        d
    }
}

#[test]
fn tagging_an_external_image_imports_it_on_the_next_tick() {
    let w = world();
    let digest = w.registry().serve("docker.io/python:3.6.0", "3.6.0");
    let mut c = w.controller();
    w.tag(["docker.io/python:3.6.0", "python:3.6"], false);
    assert_eq!(w.current("python", "3.6"), None, "nothing before a tick");
    let report = c.tick(w.clock.now()).unwrap();
    assert!(report.leader);
    assert_eq!(report.requests, 1);
    assert_eq!(report.imported.len(), 1);
    assert_eq!(report.imported[0].stream.to_string(), "default/python");
    assert_eq!(w.current("python", "3.6"), Some(digest.to_string()));
    // Nothing more to do: more ticks ask nothing.
    for _ in 0..5 {
        w.advance(TimeDelta::minutes(30));
        assert_eq!(c.tick(w.clock.now()).unwrap().requests, 0);
    }
    assert_eq!(w.registry().count("docker.io/python:3.6.0"), 1);
}

#[test]
fn a_scheduled_tag_reimports_after_15_minutes_and_not_before() {
    let w = world();
    let first = w.registry().serve("docker.io/python:3.6.0", "first");
    let mut c = w.controller();
    w.tag(["docker.io/python:3.6.0", "python:3.6"], true);
    let tagged_at = w.clock.now();
    assert_eq!(c.tick(tagged_at).unwrap().requests, 1);
    assert_eq!(w.current("python", "3.6"), Some(first.to_string()));
    assert_eq!(c.scheduled(), 1);
    // The image is re-pushed upstream a minute later.
    w.advance(TimeDelta::minutes(1));
    let second = w.registry().serve("docker.io/python:3.6.0", "second");
    // Tick every 10 s for 20 minutes.
    let mut asked = Vec::new();
    while w.clock.now() < tagged_at + TimeDelta::minutes(20) {
        w.advance(TimeDelta::seconds(10));
        let report = c.tick(w.clock.now()).unwrap();
        if report.requests > 0 {
            asked.push(w.clock.now() - tagged_at);
        }
    }
    assert_eq!(asked.len(), 1, "{asked:?}");
    // One turn is 5 buckets of interval/4 away: after 15 minutes, within
    // one more bucket step.
    assert!(asked[0] > TimeDelta::minutes(15), "{:?}", asked[0]);
    assert!(
        asked[0] <= TimeDelta::minutes(15) + TimeDelta::seconds(225 + 10),
        "{:?}",
        asked[0]
    );
    assert_eq!(w.current("python", "3.6"), Some(second.to_string()));
    let history = w.stream("python");
    assert_eq!(history.history("3.6").unwrap().len(), 2);
}

#[test]
fn run_sleeps_until_the_next_wakeup_and_stops_at_the_horizon() {
    let w = world();
    w.registry().serve("docker.io/python:3.6.0", "first");
    w.tag(["docker.io/python:3.6.0", "python:3.6"], true);
    let mut c = w.controller_with(ControllerConfig::default().poll_interval(TimeDelta::minutes(1)));
    let horizon = start() + TimeDelta::minutes(40);
    let mut ticks = 0;
    let mut requests = 0;
    c.run(&ManualWaiter::new(w.clock.clone(), horizon), |r| {
        ticks += 1;
        requests += r.as_ref().unwrap().requests;
    });
    assert_eq!(w.clock.now(), horizon);
    // One import, then a scheduled turn in each 15 minutes (the image
    // unchanged: asked, nothing written).
    assert_eq!(requests, 3, "ticks {ticks}");
    // Polls once a minute plus the scheduler's bucket visits: no busy loop.
    assert!(ticks <= 40 + 12, "{ticks} ticks");
    assert!(ticks >= 40, "{ticks} ticks");
}

#[test]
fn a_failing_registry_costs_one_request_per_backoff_period() {
    let w = world();
    let reference = "quay.io/org/app:1";
    w.registry().fail(
        reference,
        RegistryError::Unreachable {
            registry: "quay.io".into(),
            reason: "connection refused".into(),
        },
    );
    let mut c = w.controller();
    w.tag([reference, "app:1"], false);
    let report = c.tick(w.clock.now()).unwrap();
    assert_eq!(report.failed.len(), 1);
    let retry_at = report.failed[0].retry_at.unwrap();
    assert!(retry_at >= w.clock.now() + TimeDelta::seconds(5));
    assert_eq!(report.next_wake, Some(retry_at));
    // Ticking ten times a second for a minute asks only when backoffs run out.
    for _ in 0..600 {
        w.advance(TimeDelta::milliseconds(100));
        c.tick(w.clock.now()).unwrap();
    }
    let in_a_minute = w.registry().count(reference);
    assert!((3..=5).contains(&in_a_minute), "{in_a_minute}");
    // An hour: the delays double up to 15 minutes.
    w.run_for(&mut c, TimeDelta::hours(1), TimeDelta::seconds(1));
    let in_an_hour = w.registry().count(reference);
    assert!((8..=14).contains(&in_an_hour), "{in_an_hour}");
    let times: Vec<_> = w.registry().requests().iter().map(|(t, _, _)| *t).collect();
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= TimeDelta::seconds(5), "{pair:?}");
    }
    // The backoff is in the tag's conditions.
    let is = w.stream("app");
    let conditions = is.history("1").unwrap().conditions();
    assert_eq!(conditions[0].type_, "ImportSuccess");
    assert_eq!(conditions[0].status, "False");
    assert_eq!(conditions[1].type_, IMPORT_BACKOFF);
    assert!(
        conditions[1].message.contains("next attempt at"),
        "{}",
        conditions[1].message
    );
    // The registry recovers: the next retry imports, conditions clear.
    let d = w.registry().serve(reference, "v1");
    w.run_for(&mut c, TimeDelta::minutes(16), TimeDelta::seconds(30));
    assert_eq!(w.current("app", "1"), Some(d.to_string()));
    assert!(
        w.stream("app")
            .history("1")
            .unwrap()
            .conditions()
            .is_empty()
    );
    let after = w.registry().count(reference);
    w.run_for(&mut c, TimeDelta::hours(2), TimeDelta::minutes(1));
    assert_eq!(
        w.registry().count(reference),
        after,
        "no retries after success"
    );
}

#[test]
fn retry_after_is_honoured() {
    let w = world();
    let reference = "docker.io/library/busy:1";
    w.registry().fail(
        reference,
        RegistryError::RateLimited {
            retry_after: Some(Duration::from_secs(600)),
        },
    );
    let mut c = w.controller();
    w.tag([reference, "busy:1"], false);
    let report = c.tick(w.clock.now()).unwrap();
    assert_eq!(report.failed[0].reason, "TooManyRequests");
    assert!(report.failed[0].retry_at.unwrap() >= w.clock.now() + TimeDelta::minutes(10));
    w.run_for(&mut c, TimeDelta::seconds(599), TimeDelta::seconds(1));
    assert_eq!(w.registry().count(reference), 1);
    let conditions = w.stream("busy").history("1").unwrap().conditions().to_vec();
    assert_eq!(conditions[1].reason, "RetryAfter");
    w.run_for(&mut c, TimeDelta::seconds(30), TimeDelta::seconds(1));
    assert_eq!(w.registry().count(reference), 2);
}

#[test]
fn a_spec_change_is_imported_at_once_even_while_backing_off() {
    let w = world();
    w.registry().fail(
        "quay.io/org/app:1",
        RegistryError::NotFound {
            reference: "quay.io/org/app:1".into(),
        },
    );
    let good = w.registry().serve("quay.io/org/app:2", "two");
    let mut c = w.controller();
    w.tag(["quay.io/org/app:1", "app:v"], false);
    c.tick(w.clock.now()).unwrap();
    w.tag(["quay.io/org/app:2", "app:v"], false);
    let report = c.tick(w.clock.now()).unwrap();
    assert_eq!(report.requests, 1);
    assert_eq!(w.current("app", "v"), Some(good.to_string()));
    assert_eq!(c.tick(w.clock.now()).unwrap().next_wake, None);
}

#[test]
fn a_deployment_trigger_fires_once_per_new_image_also_across_restarts() {
    let w = world();
    w.service
        .create(
            &admin(),
            ImageStream::new(ns(), StreamName::parse("app").unwrap()).unwrap(),
        )
        .unwrap();
    w.deployment("web", "app:latest");
    let mut c = w.controller();
    assert!(
        c.tick(w.clock.now()).unwrap().fired.is_empty(),
        "no image yet"
    );
    let one = w.push("app", "latest", "one");
    let report = c.tick(w.clock.now()).unwrap();
    assert_eq!(report.fired.len(), 1);
    for _ in 0..3 {
        w.advance(TimeDelta::minutes(5));
        assert!(c.tick(w.clock.now()).unwrap().fired.is_empty());
    }
    // A restart: a new controller, the same objects.
    drop(c);
    let mut c = w.controller();
    assert!(c.tick(w.clock.now()).unwrap().fired.is_empty());
    let two = w.push("app", "latest", "two");
    assert_eq!(c.tick(w.clock.now()).unwrap().fired.len(), 1);
    let spec = |d: &Digest| format!("docker-registry.default.svc:5000/default/app@{d}");
    assert_eq!(
        w.rollouts()["web"],
        vec![spec(&one), spec(&two)],
        "each image once"
    );
    let Some(WatcherKind::Deployment { triggers, .. }) = w.sink.get(&ns(), "web").map(|o| o.kind)
    else {
        panic!("web is a deployment");
    };
    assert_eq!(triggers[0].last_triggered_image, spec(&two));
}

#[test]
fn a_failing_sink_is_tried_again_without_refiring_what_landed() {
    let w = world();
    w.service
        .create(
            &admin(),
            ImageStream::new(ns(), StreamName::parse("app").unwrap()).unwrap(),
        )
        .unwrap();
    w.deployment("web", "app:latest");
    let mut c = w.controller();
    w.push("app", "latest", "one");
    w.sink.set_failing(true);
    let report = c.tick(w.clock.now()).unwrap();
    assert!(report.fired.is_empty());
    assert_eq!(
        report.trigger_errors.len(),
        1,
        "{:?}",
        report.trigger_errors
    );
    assert!(report.next_wake.unwrap() <= w.clock.now() + TimeDelta::seconds(5));
    w.sink.set_failing(false);
    w.advance(TimeDelta::seconds(5));
    assert_eq!(c.tick(w.clock.now()).unwrap().fired.len(), 1);
    w.advance(TimeDelta::seconds(5));
    assert!(c.tick(w.clock.now()).unwrap().fired.is_empty());
}

#[test]
fn nothing_is_lost_across_a_restart() {
    let w = world();
    let d = w.registry().serve("quay.io/org/app:1", "one");
    w.registry().fail(
        "quay.io/org/lib:1",
        RegistryError::NotFound {
            reference: "quay.io/org/lib:1".into(),
        },
    );
    let mut c = w.controller();
    w.tag(["quay.io/org/lib:1", "lib:1"], false);
    c.tick(w.clock.now()).unwrap();
    assert_eq!(w.registry().count("quay.io/org/lib:1"), 1);
    drop(c);
    // Tagged while no controller runs.
    w.tag(["quay.io/org/app:1", "app:1"], false);
    let lib = w.registry().serve("quay.io/org/lib:1", "lib");
    let mut c = w.controller();
    c.tick(w.clock.now()).unwrap();
    assert_eq!(w.current("app", "1"), Some(d.to_string()));
    // The failure from before the restart is retried after a backoff.
    w.run_for(&mut c, TimeDelta::seconds(30), TimeDelta::seconds(1));
    assert_eq!(w.current("lib", "1"), Some(lib.to_string()));
    assert_eq!(w.registry().count("quay.io/org/lib:1"), 2);
}

#[test]
fn notifications_share_the_queue_one_sync_per_stream() {
    let w = world();
    w.registry().serve("quay.io/org/app:1", "one");
    let mut c = w.controller();
    w.tag(["quay.io/org/app:1", "app:1"], true);
    c.tick(w.clock.now()).unwrap();
    let two = w.registry().serve("quay.io/org/app:1", "two");
    let queue = c.queue();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let q = queue.clone();
            std::thread::spawn(move || {
                q.enqueue(ns(), StreamName::parse("app").unwrap());
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(queue.len(), 1, "one entry per stream");
    let report = c.tick(w.clock.now()).unwrap();
    assert_eq!(report.requests, 1);
    assert_eq!(w.current("app", "1"), Some(two.to_string()));
    assert!(queue.is_empty());
}

#[test]
fn a_compacted_watch_resyncs_by_listing() {
    let w = world_with(MemoryStore::with_log_capacity(3));
    let mut c = w.controller();
    c.tick(w.clock.now()).unwrap();
    for i in 0..10 {
        let from = format!("quay.io/org/app{i}:1");
        w.registry().serve(&from, &from);
        w.tag([from.as_str(), &format!("app{i}:1")], false);
    }
    let report = c.tick(w.clock.now()).unwrap();
    assert_eq!(report.requests, 10);
    assert_eq!(c.watched(), 10);
    for i in 0..10 {
        assert!(w.current(&format!("app{i}"), "1").is_some());
    }
    // Deletions during a gap are noticed too.
    for i in 0..5 {
        w.service
            .delete(
                &admin(),
                &ns(),
                &StreamName::parse(&format!("app{i}")).unwrap(),
                None,
            )
            .unwrap();
    }
    c.tick(w.clock.now()).unwrap();
    assert_eq!(c.watched(), 5);
}

#[test]
fn replicas_take_turns_through_the_lease() {
    let w = world();
    let lease = Arc::new(MemoryLease::new(w.clock.clone()));
    let config = |id: &str| ControllerConfig::default().identity(id);
    let mut a = w.controller_with(config("a")).lease(lease.clone());
    let mut b = w.controller_with(config("b")).lease(lease.clone());
    w.registry().serve("quay.io/org/app:1", "one");
    w.tag(["quay.io/org/app:1", "app:1"], false);
    let ra = a.tick(w.clock.now()).unwrap();
    let rb = b.tick(w.clock.now()).unwrap();
    assert!(ra.leader && !rb.leader);
    assert_eq!(ra.requests + rb.requests, 1);
    // a keeps the lease while it ticks; b waits.
    for _ in 0..10 {
        w.advance(TimeDelta::seconds(5));
        assert!(a.tick(w.clock.now()).unwrap().leader);
        assert!(!b.tick(w.clock.now()).unwrap().leader);
    }
    // a stops (crashed); b takes over once the lease lapses.
    w.registry().serve("quay.io/org/app:2", "two");
    w.tag(["quay.io/org/app:2", "app:2"], false);
    w.advance(TimeDelta::seconds(16));
    let rb = b.tick(w.clock.now()).unwrap();
    assert!(rb.leader);
    assert_eq!(rb.requests, 1, "only the new tag");
    assert!(w.current("app", "2").is_some());
    // a comes back and finds it lost the lease.
    let ra = a.tick(w.clock.now()).unwrap();
    assert!(!ra.leader);
    assert_eq!(w.registry().requests().len(), 2);
}

// ---------------------------------------------------------------------
// The model-based proptest.

#[derive(Debug, Clone)]
enum Op {
    /// `oc tag quay.io/s{stream}/t{tag}:v{version} s{stream}:t{tag}`.
    Tag {
        stream: u8,
        tag: u8,
        version: u8,
        scheduled: bool,
    },
    /// The registry's answer for a reference from now on.
    Answer {
        stream: u8,
        tag: u8,
        version: u8,
        answer: Answer,
    },
    Advance(u32),
    Tick,
    Restart,
    Notify(u8),
}

#[derive(Debug, Clone, Copy)]
enum Answer {
    Image(u8),
    NotFound,
    RateLimited(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..2u8, 0..2u8, 0..2u8, any::<bool>()).prop_map(|(stream, tag, version, scheduled)| Op::Tag { stream, tag, version, scheduled }),
        3 => (0..2u8, 0..2u8, 0..2u8, prop_oneof![
            3 => (0..3u8).prop_map(Answer::Image),
            1 => Just(Answer::NotFound),
            1 => (0..900u16).prop_map(Answer::RateLimited),
        ]).prop_map(|(stream, tag, version, answer)| Op::Answer { stream, tag, version, answer }),
        3 => prop_oneof![0..30u32, 0..1200u32, Just(6 * 3600u32)].prop_map(Op::Advance),
        5 => Just(Op::Tick),
        1 => Just(Op::Restart),
        1 => (0..2u8).prop_map(Op::Notify),
    ]
}

fn reference(stream: u8, tag: u8, version: u8) -> String {
    format!("quay.io/s{stream}/t{tag}:v{version}")
}

fn spec_generation(w: &World, stream: u8, tag: u8) -> Option<i64> {
    let name = StreamName::parse(&format!("s{stream}")).unwrap();
    let is = w.service.get(&admin(), &ns(), &name).ok()?.value;
    is.spec_tag(&format!("t{tag}"))?.generation()
}

/// What happened to one tag, in order: spec changes and the events that
/// exempt a request from the backoff spacing (restarts, notifications).
#[derive(Debug, Clone)]
enum Mark {
    /// At request number, the new source, scheduled.
    Spec(usize, String, bool),
    /// At request number.
    Exempt(usize),
}

#[allow(clippy::too_many_lines)] // one run: the ops, the laws, then the settle
fn check(ops: &[Op]) -> Result<(), TestCaseError> {
    let w = world();
    let config = || ControllerConfig::default().backoff(Backoff::default());
    let mut c = w.controller_with(config());
    let mut marks: BTreeMap<(u8, u8), Vec<Mark>> = BTreeMap::new();
    for s in 0..2u8 {
        for t in 0..2u8 {
            w.deployment(&format!("d{s}{t}"), &format!("s{s}:t{t}"));
            // The registry knows every source until told otherwise.
            for v in 0..2u8 {
                let from = reference(s, t, v);
                w.registry().serve(&from, &format!("{from}#0"));
            }
        }
    }
    for op in ops {
        match *op {
            Op::Tag {
                stream,
                tag,
                version,
                scheduled,
            } => {
                let before = spec_generation(&w, stream, tag);
                let from = reference(stream, tag, version);
                w.tag([from.as_str(), &format!("s{stream}:t{tag}")], scheduled);
                if spec_generation(&w, stream, tag) != before {
                    marks.entry((stream, tag)).or_default().push(Mark::Spec(
                        w.registry().requests().len(),
                        from,
                        scheduled,
                    ));
                    // A spec change syncs the whole stream: tags still
                    // needing import (a failure at an older generation)
                    // are asked again.
                    let seq = w.registry().requests().len();
                    for other in 0..2u8 {
                        if other != tag {
                            marks
                                .entry((stream, other))
                                .or_default()
                                .push(Mark::Exempt(seq));
                        }
                    }
                }
            }
            Op::Answer {
                stream,
                tag,
                version,
                answer,
            } => {
                let from = reference(stream, tag, version);
                match answer {
                    Answer::Image(n) => {
                        w.registry().serve(&from, &format!("{from}#{n}"));
                    }
                    Answer::NotFound => w.registry().fail(
                        &from,
                        RegistryError::NotFound {
                            reference: from.clone(),
                        },
                    ),
                    Answer::RateLimited(secs) => w.registry().fail(
                        &from,
                        RegistryError::RateLimited {
                            retry_after: Some(Duration::from_secs(secs.into())),
                        },
                    ),
                }
            }
            Op::Advance(secs) => w.advance(TimeDelta::seconds(secs.into())),
            Op::Tick => {
                c.tick(w.clock.now()).unwrap();
            }
            Op::Restart => {
                c = w.controller_with(config());
                let seq = w.registry().requests().len();
                for m in marks.values_mut() {
                    m.push(Mark::Exempt(seq));
                }
            }
            Op::Notify(stream) => {
                c.queue()
                    .enqueue(ns(), StreamName::parse(&format!("s{stream}")).unwrap());
                let seq = w.registry().requests().len();
                for ((s, _), m) in &mut marks {
                    if *s == stream {
                        m.push(Mark::Exempt(seq));
                    }
                }
            }
        }
    }
    let requests = w.registry().requests();
    // Per tag: requests between spec changes.
    for ((s, t), tag_marks) in &marks {
        let prefix = format!("quay.io/s{s}/t{t}:");
        let mine: Vec<(usize, &Request)> = requests
            .iter()
            .enumerate()
            .filter(|(_, (_, r, _))| r.starts_with(&prefix))
            .collect();
        let specs: Vec<(usize, &String, bool)> = tag_marks
            .iter()
            .filter_map(|m| match m {
                Mark::Spec(at, from, sch) => Some((*at, from, *sch)),
                Mark::Exempt(_) => None,
            })
            .collect();
        for (i, (at, from, scheduled)) in specs.iter().enumerate() {
            let until = specs.get(i + 1).map(|(t, _, _)| *t);
            let window: Vec<_> = mine
                .iter()
                .filter(|(seq, (_, r, _))| {
                    r == *from && *seq >= *at && until.is_none_or(|u| *seq < u)
                })
                .collect();
            // A spec generation that the registry answered was imported
            // exactly once, unless scheduled (then its turns add more).
            if let Some((_, first)) = window.first()
                && first.2
                && !scheduled
            {
                prop_assert_eq!(window.len(), 1, "{} {:?}", from, window);
            }
        }
        // Requests of the same tag without a spec change, restart or
        // notification in between are a backoff (or a schedule) apart:
        // never twice in a tick, never per tick.
        for pair in mine.windows(2) {
            let ((ia, a), (ib, b)) = (pair[0], pair[1]);
            let exempt = tag_marks.iter().any(|m| match m {
                Mark::Spec(at, _, _) | Mark::Exempt(at) => *at > ia && *at <= ib,
            });
            if !exempt {
                prop_assert!(
                    b.0 - a.0 >= TimeDelta::seconds(5),
                    "{}: requests {:?} and {:?}",
                    prefix,
                    a,
                    b
                );
            }
        }
    }
    // Triggers fire once per image: no deployment rolled out to the same
    // image twice in a row.
    for (name, images) in w.rollouts() {
        for pair in images.windows(2) {
            prop_assert_ne!(&pair[0], &pair[1], "{} refired", name);
        }
    }
    // Settle: the registry answers everything; within two hours every
    // spec tag is imported, without failure, and every deployment runs its
    // tag's current image. A restart on the way loses nothing.
    for s in 0..2u8 {
        for t in 0..2u8 {
            for v in 0..2u8 {
                let from = reference(s, t, v);
                w.registry().serve(&from, &format!("{from}#settled"));
            }
        }
    }
    c = w.controller_with(config());
    w.run_for(&mut c, TimeDelta::hours(2), TimeDelta::seconds(20));
    let tagged = marks
        .iter()
        .filter(|(_, m)| m.iter().any(|m| matches!(m, Mark::Spec(..))))
        .map(|(k, _)| k);
    for (s, t) in tagged {
        let is = w.stream(&format!("s{s}"));
        let tag = format!("t{t}");
        let history = is.history(&tag);
        prop_assert!(
            history.and_then(|h| h.current()).is_some(),
            "s{}:{} never imported",
            s,
            t
        );
        prop_assert!(
            history.unwrap().conditions().is_empty(),
            "s{}:{} {:?}",
            s,
            t,
            history.unwrap().conditions()
        );
        let resolved = is.resolve_pull_spec(&tag).unwrap();
        let Some(WatcherKind::Deployment { triggers, .. }) =
            w.sink.get(&ns(), &format!("d{s}{t}")).map(|o| o.kind)
        else {
            panic!("a deployment");
        };
        prop_assert_eq!(&triggers[0].last_triggered_image, &resolved);
    }
    for (name, images) in w.rollouts() {
        for pair in images.windows(2) {
            prop_assert_ne!(&pair[0], &pair[1], "{} refired", name);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_controller_follows_its_model(ops in prop::collection::vec(op(), 1..40)) {
        check(&ops)?;
    }
}

#[test]
fn the_sink_is_object_safe_and_the_handles_are_send_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<imagestream::controller::Queue>();
    send_sync::<imagestream::controller::Stop>();
    send_sync::<MemoryTriggers>();
    send_sync::<Controller>();
    let _: &dyn TriggerSink = &MemoryTriggers::new();
    let _ = ScheduleConfig::default();
}

#[test]
fn run_on_the_system_clock_wakes_for_a_stop_without_waiting_out_its_sleep() {
    let service = Arc::new(ImageStreams::in_memory());
    let mut c = Controller::with_config(
        service,
        ControllerConfig::default().poll_interval(TimeDelta::seconds(30)),
    )
    .unwrap();
    let stop = c.stop_handle();
    let queue = c.queue();
    let started = std::time::Instant::now();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        // A notification wakes the loop for one more tick...
        queue.enqueue(ns(), StreamName::parse("nothing").unwrap());
        std::thread::sleep(Duration::from_millis(50));
        // ...and the stop ends it.
        stop.stop();
    });
    let mut ticks = 0;
    c.run(&imagestream::controller::SystemWaiter, |r| {
        assert!(r.is_ok());
        ticks += 1;
    });
    stopper.join().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(ticks, 2, "one at the start, one for the notification");
}

#[test]
fn build_and_annotation_triggers_fire_once_per_image() {
    use imagestream::ops::trigger::{AnnotationTrigger, BuildTrigger};
    let w = world();
    w.service
        .create(
            &admin(),
            ImageStream::new(ns(), StreamName::parse("base").unwrap()).unwrap(),
        )
        .unwrap();
    w.sink.add_build(
        &ns(),
        "app-build",
        vec![BuildTrigger::new(IsTagName::parse("base:latest").unwrap())],
    );
    let triggers: Vec<AnnotationTrigger> = serde_json::from_str(
        r#"[{"from":{"kind":"ImageStreamTag","name":"base:latest"},"fieldPath":"spec.template.spec.containers[?(@.name==\"web\")].image"}]"#,
    )
    .unwrap();
    let mut pod = PodImages::default();
    pod.containers.push(Container::new("web", "old"));
    w.sink
        .add_annotated(&ns(), "web", triggers, "spec.template.spec", pod);
    // A broken object is reported, not retried forever.
    let broken: Vec<AnnotationTrigger> = serde_json::from_str(
        r#"[{"from":{"kind":"ImageStreamTag","name":"base:latest"},"fieldPath":"spec.template.spec.containers[x].image"}]"#,
    )
    .unwrap();
    w.sink.add_annotated(
        &ns(),
        "broken",
        broken,
        "spec.template.spec",
        PodImages::default(),
    );
    let mut c = w.controller();
    c.tick(w.clock.now()).unwrap();
    let one = w.push("base", "latest", "one");
    let report = c.tick(w.clock.now()).unwrap();
    assert_eq!(report.fired.len(), 2, "{:?}", report.fired);
    assert_eq!(
        report.trigger_errors,
        [
            "triggers of default/broken: field path is not valid: spec.template.spec.containers[x].image"
        ]
    );
    let spec = format!("docker-registry.default.svc:5000/default/base@{one}");
    let Some(WatcherKind::Build { triggers }) = w.sink.get(&ns(), "app-build").map(|o| o.kind)
    else {
        panic!("a build config");
    };
    assert_eq!(triggers[0].last_triggered_image_id, spec);
    let Some(WatcherKind::Annotated { pod, .. }) = w.sink.get(&ns(), "web").map(|o| o.kind) else {
        panic!("an annotated workload");
    };
    assert_eq!(pod.containers[0].image, spec);
    // Restarted: nothing fires again.
    let mut c = w.controller();
    assert!(c.tick(w.clock.now()).unwrap().fired.is_empty());
    w.push("base", "latest", "two");
    let kinds: Vec<_> = c
        .tick(w.clock.now())
        .unwrap()
        .fired
        .iter()
        .map(|a| a.name.clone())
        .collect();
    assert_eq!(kinds, ["app-build", "web"]);
}

#[test]
fn a_bad_lease_setting_is_a_typed_error_not_a_panic() {
    let w = world();
    let lease = Arc::new(MemoryLease::new(w.clock.clone()));
    let mut c = w
        .controller_with(ControllerConfig::default().lease_ttl(TimeDelta::zero()))
        .lease(lease);
    let err = c.tick(w.clock.now()).unwrap_err();
    assert_eq!(
        err,
        imagestream::controller::ControllerError::Lease(
            imagestream::ports::LeaseError::InvalidTtl {
                ttl: TimeDelta::zero()
            }
        )
    );
    assert_eq!(
        err.to_string(),
        "the controller lease failed: invalid lease time to live TimeDelta { secs: 0, nanos: 0 }: it must be positive and representable"
    );
}

#[test]
fn a_new_object_is_evaluated_when_the_queue_says_its_triggers_changed() {
    let w = world();
    w.service
        .create(
            &admin(),
            ImageStream::new(ns(), StreamName::parse("app").unwrap()).unwrap(),
        )
        .unwrap();
    let mut c = w.controller();
    w.push("app", "latest", "one");
    c.tick(w.clock.now()).unwrap();
    // Created after the image arrived: nothing moves in the stream...
    w.deployment("late", "app:latest");
    assert!(c.tick(w.clock.now()).unwrap().fired.is_empty());
    // ...so its owner says so, and it rolls out the current image, once.
    c.queue()
        .triggers_changed(ns(), StreamName::parse("app").unwrap());
    let report = c.tick(w.clock.now()).unwrap();
    assert_eq!(report.fired.len(), 1);
    assert_eq!(report.requests, 0);
    c.queue()
        .triggers_changed(ns(), StreamName::parse("app").unwrap());
    assert!(c.tick(w.clock.now()).unwrap().fired.is_empty());
}

/// A `MemoryStore` with quirks of other backends: it may be unable to list
/// namespaces (the port's default), and its change window may slide (an
/// API server's watch cache: once armed, every revision before the current
/// one is compacted, with `oldest` just after the one asked for).
struct Quirky {
    inner: MemoryStore,
    lists_namespaces: bool,
    sliding: std::sync::atomic::AtomicBool,
}

impl Quirky {
    fn new(inner: MemoryStore, lists_namespaces: bool) -> Self {
        Self {
            inner,
            lists_namespaces,
            sliding: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl imagestream::ports::StreamStore for Quirky {
    fn get(
        &self,
        namespace: &Namespace,
        name: &StreamName,
    ) -> Result<imagestream::ports::Stored<ImageStream>, imagestream::ports::StoreError> {
        self.inner.get(namespace, name)
    }
    fn list(
        &self,
        namespace: &Namespace,
        limit: Option<usize>,
        token: Option<&str>,
    ) -> Result<
        imagestream::ports::Page<imagestream::ports::Stored<ImageStream>>,
        imagestream::ports::StoreError,
    > {
        self.inner.list(namespace, limit, token)
    }
    fn create(
        &self,
        stream: ImageStream,
    ) -> Result<imagestream::ports::Stored<ImageStream>, imagestream::ports::StoreError> {
        self.inner.create(stream)
    }
    fn update(
        &self,
        stream: ImageStream,
        expected: u64,
    ) -> Result<imagestream::ports::Stored<ImageStream>, imagestream::ports::StoreError> {
        self.inner.update(stream, expected)
    }
    fn delete(
        &self,
        namespace: &Namespace,
        name: &StreamName,
        uid: Option<&str>,
    ) -> Result<(), imagestream::ports::StoreError> {
        self.inner.delete(namespace, name, uid)
    }
    fn changes_since(
        &self,
        revision: u64,
    ) -> Result<Vec<imagestream::ports::StoreChange>, imagestream::ports::StoreError> {
        if self.sliding.load(std::sync::atomic::Ordering::SeqCst) {
            let current = self.inner.changes_since(0).map_or(0, |c| {
                c.last()
                    .map_or(0, imagestream::ports::StoreChange::resource_version)
            });
            if revision < current {
                return Err(imagestream::ports::StoreError::Compacted {
                    requested: revision,
                    oldest: (revision + 1).min(current),
                    current,
                });
            }
        }
        self.inner.changes_since(revision)
    }
    fn namespaces(&self) -> Result<Vec<Namespace>, imagestream::ports::StoreError> {
        if self.lists_namespaces {
            self.inner.namespaces()
        } else {
            Err(imagestream::ports::StoreError::Unavailable(
                "this store cannot list namespaces".into(),
            ))
        }
    }
}

impl imagestream::ports::ImageStore for Quirky {
    fn get_image(
        &self,
        name: &Digest,
    ) -> Result<imagestream::api::Image, imagestream::ports::StoreError> {
        self.inner.get_image(name)
    }
    fn put_image(
        &self,
        image: imagestream::api::Image,
    ) -> Result<imagestream::stream::ImageWrite, imagestream::ports::StoreError> {
        self.inner.put_image(image)
    }
    fn list_images(&self) -> Result<Vec<imagestream::api::Image>, imagestream::ports::StoreError> {
        self.inner.list_images()
    }
}

#[test]
fn a_store_without_namespace_listing_is_resynced_in_the_known_namespaces() {
    use imagestream::ports::StreamStore;
    let store = Quirky::new(MemoryStore::with_log_capacity(2), false);
    assert!(matches!(
        store.namespaces(),
        Err(imagestream::ports::StoreError::Unavailable(_))
    ));
    let clock = Arc::new(ManualClock::new(start()));
    let registry = Arc::new(StaticRegistry::new());
    let service = Arc::new(ImageStreams::new(
        Arc::new(store),
        registry.clone(),
        Arc::new(Rbac::new()),
        clock.clone(),
    ));
    let mut c = Controller::new(service.clone());
    let d = Digest::of_sha256(b"one");
    registry.insert(&r("quay.io/org/a:1"), ImportedImage::new(d.clone(), MEDIA));
    service
        .tag(
            &admin(),
            &ns(),
            &TagCommand::new(["quay.io/org/a:1", "a:1"]),
        )
        .unwrap();
    c.tick(clock.now()).unwrap();
    assert_eq!(c.watched(), 1);
    // Many writes while the controller is away compact the log.
    for i in 0..5 {
        let from = format!("quay.io/org/a:{}", i + 2);
        registry.insert(&r(&from), ImportedImage::new(d.clone(), MEDIA));
        service
            .tag(
                &admin(),
                &ns(),
                &TagCommand::new([from.as_str(), &format!("a:{}", i + 2)]),
            )
            .unwrap();
    }
    let report = c.tick(clock.now()).unwrap();
    assert_eq!(report.requests, 5, "{report:?}");
}

#[test]
fn a_schedule_whose_interval_cannot_be_divided_is_refused_when_the_controller_is_built() {
    let service = Arc::new(ImageStreams::in_memory());
    let mut schedule = imagestream::ops::schedule::ScheduleConfig::default();
    schedule.interval = TimeDelta::zero();
    let Err(err) = Controller::with_config(service, ControllerConfig::default().schedule(schedule))
    else {
        panic!("a zero interval is refused");
    };
    assert!(err.to_string().contains("interval"), "{err}");
}

#[test]
fn after_a_compaction_the_controller_resumes_from_the_current_revision() {
    // A window that slides past anything older than now: resuming from
    // `oldest` would be compacted again (three times, then an error);
    // from `current`, the port's contract, it is not.
    let store = Arc::new(Quirky::new(MemoryStore::new(), true));
    let clock = Arc::new(ManualClock::new(start()));
    let registry = Arc::new(StaticRegistry::new());
    let service = Arc::new(ImageStreams::new(
        store.clone(),
        registry.clone(),
        Arc::new(Rbac::new()),
        clock.clone(),
    ));
    let mut c = Controller::new(service.clone());
    c.tick(clock.now()).unwrap();
    let d = Digest::of_sha256(b"one");
    for i in 0..5 {
        let from = format!("quay.io/org/s{i}:1");
        registry.insert(&r(&from), ImportedImage::new(d.clone(), MEDIA));
        service
            .tag(
                &admin(),
                &ns(),
                &TagCommand::new([from.as_str(), &format!("s{i}:1")]),
            )
            .unwrap();
    }
    store
        .sliding
        .store(true, std::sync::atomic::Ordering::SeqCst);
    c.tick(clock.now()).expect("resumed after the re-list");
    assert_eq!(c.watched(), 5, "the re-list found the streams");
}
