//! The controller: what OpenShift's controller manager does for image
//! streams, run on the crate's ports. One object, driven by a clock:
//!
//! - it **watches** the store ([`StreamStore::changes_since`], re-listing
//!   after [`StoreError::Compacted`]) and imports every spec tag whose
//!   generation moved (`needsImport`, §15.1): `oc tag docker.io/python:3.6.0
//!   python:3.6` is imported at the next tick;
//! - it **schedules** tags imported with `--scheduled` through the
//!   [`Scheduler`] (every 15 minutes by default, 60 imports a minute,
//!   §15.2);
//! - it **retries** failed imports with exponential [`Backoff`] and
//!   jitter, honouring a registry's `Retry-After`, and writes the next
//!   attempt into the tag's conditions ([`IMPORT_BACKOFF`]); a registry
//!   that keeps failing is asked once per backoff period, never per tick
//!   (beyond OpenShift, which waits for the next spec change);
//! - it **fires triggers** when a tag's current image moves: deployment,
//!   build and annotation triggers of the objects a [`TriggerSink`] holds,
//!   each new image once per trigger, across restarts too (§15.3);
//! - it takes **registry notifications** through its [`Queue`], the same
//!   queue scheduled turns use, one entry per stream;
//! - with a [`Lease`], only the replica holding it works; the others take
//!   over when it lapses.
//!
//! [`Controller::tick`] does the work due at a time and says when more is
//! due; [`Controller::run`] loops on it until stopped, sleeping through a
//! [`Waiter`] ([`SystemWaiter`] in production, [`ManualWaiter`] with a
//! [`ManualClock`](crate::ports::ManualClock) in tests).
//!
//! ```
//! use std::sync::Arc;
//! use imagestream::chrono::{TimeZone, Utc};
//! use imagestream::controller::Controller;
//! use imagestream::ops::tag::TagCommand;
//! use imagestream::ports::{Clock, ImportedImage, ManualClock, MemoryStore, Rbac, StaticRegistry, Subject};
//! use imagestream::reference::{Digest, ImageReference, Namespace};
//! use imagestream::service::ImageStreams;
//!
//! let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap()));
//! let registry = Arc::new(StaticRegistry::new());
//! let python = ImageReference::parse("docker.io/python:3.6.0")?;
//! registry.insert(&python, ImportedImage::new(Digest::of_sha256(b"3.6.0"), "application/vnd.oci.image.manifest.v1+json"));
//! let service = Arc::new(ImageStreams::new(Arc::new(MemoryStore::new()), registry, Arc::new(Rbac::new()), clock.clone()));
//! let mut controller = Controller::new(service.clone());
//!
//! let (admin, ns) = (Subject::system_admin(), Namespace::parse("default")?);
//! service.tag(&admin, &ns, &TagCommand::new(["docker.io/python:3.6.0", "python:3.6"]))?;
//! let report = controller.tick(clock.now())?;
//! assert_eq!(report.requests, 1);
//! let istag = service.image_stream_tag(&admin, &ns, "python:3.6")?;
//! assert_eq!(istag.image.metadata.name, Digest::of_sha256(b"3.6.0").to_string());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod backoff;
mod outcome;
#[cfg(feature = "policy")]
mod policies;
mod queue;
mod triggers;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use crate::ops::import::{TagImport, is_scheduled, plan_import, plan_scheduled_import};
use crate::ops::schedule::{ScheduleConfig, ScheduleError, Scheduler};
use crate::ports::{
    Authorizer, Clock, Held, ImageStore, Lease, LeaseError, MemoryStore, Rbac, Registry,
    StaticRegistry, StoreChange, StoreError, StreamStore, Subject, SystemClock,
};
use crate::reference::{IsTagName, Namespace, TagName};
use crate::service::{ImageStreams, ServiceError};
use crate::stream::ImageStream;

pub use backoff::{Backoff, Jitter};
pub use outcome::IMPORT_BACKOFF;
pub use queue::{ManualWaiter, Queue, Stop, StreamKey, SystemWaiter, Waiter, Wake};
pub use triggers::{
    ActionKind, MemoryTriggers, SinkError, TriggerAction, TriggerSink, Watcher, WatcherKind,
    evaluate,
};

use outcome::Failure;
use queue::Work;

/// The tag policies and holds of a stream, as written (empty without
/// any, or without the `policy` feature).
fn policy_fingerprint(stream: &ImageStream) -> String {
    use crate::api::{HOLD_ANNOTATION, POLICY_ANNOTATION};
    let mut out = String::new();
    if !cfg!(feature = "policy") {
        return out;
    }
    for (tag, spec) in stream.spec_tags() {
        let Some(a) = spec.annotations() else {
            continue;
        };
        if let Some(p) = a.get(POLICY_ANNOTATION) {
            for part in [
                tag.as_str(),
                p,
                a.get(HOLD_ANNOTATION).map_or("", String::as_str),
            ] {
                out.push_str(part);
                out.push('\0');
            }
        }
    }
    out
}

/// Whether a stream has tag policies to evaluate on schedule.
fn has_policies(stream: &ImageStream) -> bool {
    cfg!(feature = "policy")
        && stream.spec_tags().any(|(_, spec)| {
            spec.annotations()
                .is_some_and(|a| a.contains_key(crate::api::POLICY_ANNOTATION))
        })
}

/// `t + d`, saturating at the ends of time (a clock or a setting at the
/// edge never panics).
fn later(t: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(if d < TimeDelta::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// The controller's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ControllerConfig {
    /// The scheduled import settings (15 minutes, 60 a minute).
    pub schedule: ScheduleConfig,
    /// Whether scheduled imports are off (`disableScheduledImport`).
    pub disable_scheduled: bool,
    /// The backoff of failed imports.
    pub backoff: Backoff,
    /// How long [`run`](Controller::run) sleeps at most between looks at
    /// the store (its watch is a poll: the store port has no push).
    pub poll_interval: TimeDelta,
    /// How long a failed trigger waits before it is tried again.
    pub trigger_retry: TimeDelta,
    /// This replica's name, for the lease.
    pub identity: String,
    /// How long the lease lasts unless renewed.
    pub lease_ttl: TimeDelta,
    /// The seed of the backoff jitter.
    pub seed: u64,
    /// How many tags of a repository a tag policy reads at most (the
    /// registry's pages are followed up to this cap).
    pub policy_tags: usize,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        Self {
            schedule: ScheduleConfig::default(),
            disable_scheduled: false,
            backoff: Backoff::default(),
            poll_interval: TimeDelta::seconds(1),
            trigger_retry: TimeDelta::seconds(5),
            identity: "imagestream-controller".into(),
            lease_ttl: TimeDelta::seconds(15),
            seed: 0x1d2c_3b4a,
            policy_tags: 1000,
        }
    }
}

impl ControllerConfig {
    /// With another cap on the tags a policy reads from a registry.
    #[must_use]
    pub fn policy_tags(mut self, cap: usize) -> Self {
        self.policy_tags = cap;
        self
    }

    /// With other schedule settings.
    #[must_use]
    pub fn schedule(mut self, schedule: ScheduleConfig) -> Self {
        self.schedule = schedule;
        self
    }

    /// With scheduled imports off (`true`) or on.
    #[must_use]
    pub fn disable_scheduled(mut self, disable: bool) -> Self {
        self.disable_scheduled = disable;
        self
    }

    /// With another backoff.
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// With another poll interval.
    #[must_use]
    pub fn poll_interval(mut self, every: TimeDelta) -> Self {
        self.poll_interval = every;
        self
    }

    /// With this replica's name (and a jitter seed derived from it).
    #[must_use]
    pub fn identity(mut self, identity: impl Into<String>) -> Self {
        self.identity = identity.into();
        self.seed = self.identity.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        self
    }

    /// With another lease time to live.
    #[must_use]
    pub fn lease_ttl(mut self, ttl: TimeDelta) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// With another jitter seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// Why a tick failed as a whole (per-stream failures are in the report).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControllerError {
    /// The store's watch or list failed.
    #[error("watching image streams failed: {0}")]
    Store(#[from] StoreError),
    /// The lease could not be asked.
    #[error("the controller lease failed: {0}")]
    Lease(#[from] LeaseError),
}

/// Tags imported in one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Imported {
    /// The stream.
    pub stream: StreamKey,
    /// The tags asked of the registry.
    pub tags: Vec<TagName>,
}

/// An import that failed, and when it is tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportFailure {
    /// The stream.
    pub stream: StreamKey,
    /// The tag (`None` when the stream as a whole failed, e.g. forbidden).
    pub tag: Option<TagName>,
    /// Why, in one word (`NotFound`, `TooManyRequests`, …).
    pub reason: String,
    /// Why, for a human.
    pub message: String,
    /// The next attempt (`None`: not retried, e.g. the stream is gone).
    pub retry_at: Option<DateTime<Utc>>,
}

/// What one [`tick`](Controller::tick) did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TickReport {
    /// When the tick ran.
    pub at: DateTime<Utc>,
    /// Whether this replica held the lease (always, without a lease).
    pub leader: bool,
    /// Streams synced, with the tags asked for.
    pub imported: Vec<Imported>,
    /// Imports that failed.
    pub failed: Vec<ImportFailure>,
    /// Registry requests made (one per tag asked for).
    pub requests: usize,
    /// Trigger actions handed to the sink.
    pub fired: Vec<TriggerAction>,
    /// Triggers that could not be evaluated or applied (tried again).
    pub trigger_errors: Vec<String>,
    /// Tag policies' choices pinned, as `oc tag`-style messages
    /// (`Tag app:stable set to app@sha256:… (policy semver >=3.6 <4 chose
    /// 3.9.2).`).
    pub pinned: Vec<String>,
    /// Tag policies that could not be evaluated, or only in part (a
    /// registry failure, a tag list longer than
    /// [`ControllerConfig::policy_tags`]), tried again at the stream's next
    /// turn.
    pub policy_errors: Vec<String>,
    /// When work is next due without anything new happening (`None`:
    /// nothing is; the controller still polls the store).
    pub next_wake: Option<DateTime<Utc>>,
}

impl TickReport {
    fn new(at: DateTime<Utc>) -> Self {
        Self {
            at,
            leader: true,
            imported: Vec::new(),
            failed: Vec::new(),
            requests: 0,
            fired: Vec::new(),
            trigger_errors: Vec::new(),
            pinned: Vec::new(),
            policy_errors: Vec::new(),
            next_wake: None,
        }
    }
}

/// What the controller keeps per watched stream.
#[derive(Debug, Clone)]
struct Watched {
    /// The newest version seen.
    resource_version: u64,
    /// [`outcome::current_images`] of that version.
    images: u64,
    /// Failed imports in a row (0: none pending).
    failures: u32,
    /// The stream's generation after the last failed import was recorded:
    /// a newer one is a spec change, imported at once.
    failed_generation: i64,
    /// The stream's tag policies and holds, as written: a change is
    /// evaluated at once, not at the next scheduled turn.
    policies: String,
}

/// The controller's state, dropped when leadership is lost.
#[derive(Debug)]
struct State {
    revision: u64,
    watched: BTreeMap<StreamKey, Watched>,
    scheduler: Scheduler<StreamKey, ()>,
    /// Work waiting for its time (backoffs), by time.
    delayed: BTreeSet<(DateTime<Utc>, StreamKey)>,
    /// The work of each delayed stream, and its time.
    delayed_work: BTreeMap<StreamKey, (DateTime<Utc>, Work)>,
    /// Streams whose triggers must be evaluated, not before a time.
    triggers: BTreeMap<StreamKey, DateTime<Utc>>,
}

impl State {
    fn new(scheduler: Scheduler<StreamKey, ()>) -> Self {
        Self {
            revision: 0,
            watched: BTreeMap::new(),
            scheduler,
            delayed: BTreeSet::new(),
            delayed_work: BTreeMap::new(),
            triggers: BTreeMap::new(),
        }
    }

    fn delay(&mut self, key: StreamKey, at: DateTime<Utc>, work: Work) {
        let mut work = work;
        if let Some((old_at, old)) = self.delayed_work.remove(&key) {
            self.delayed.remove(&(old_at, key.clone()));
            work.merge(old);
        }
        self.delayed.insert((at, key.clone()));
        self.delayed_work.insert(key, (at, work));
    }

    fn undelay(&mut self, key: &StreamKey) -> Option<Work> {
        let (at, work) = self.delayed_work.remove(key)?;
        self.delayed.remove(&(at, key.clone()));
        Some(work)
    }
}

/// Image streams' controller over a service (see the [module](self)).
pub struct Controller<S = MemoryStore, R = StaticRegistry, A = Rbac, C = SystemClock> {
    service: Arc<ImageStreams<S, R, A, C>>,
    subject: Subject,
    config: ControllerConfig,
    sink: Option<Arc<dyn TriggerSink>>,
    lease: Option<Arc<dyn Lease>>,
    held: Option<Held>,
    /// The lease term this replica last worked in.
    led_term: Option<u64>,
    wake: Arc<Wake>,
    queue: Queue,
    jitter: Jitter,
    state: State,
}

impl<S, R, A, C> std::fmt::Debug for Controller<S, R, A, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("subject", &self.subject)
            .field("config", &self.config)
            .field("triggers", &self.sink.is_some())
            .field("lease", &self.held)
            .field("watched", &self.state.watched.len())
            .field("scheduled", &self.state.scheduler.len())
            .field("revision", &self.state.revision)
            .finish_non_exhaustive()
    }
}

impl<S, R, A, C> Controller<S, R, A, C>
where
    S: StreamStore + ImageStore,
    R: Registry,
    A: Authorizer,
    C: Clock,
{
    /// A controller over `service`, acting as `system:admin`, with the
    /// default settings, no trigger sink and no lease.
    #[must_use]
    pub fn new(service: Arc<ImageStreams<S, R, A, C>>) -> Self {
        let wake = Arc::new(Wake::default());
        let now = service.clock().now();
        let config = ControllerConfig::default();
        // The default schedule (15 minutes over 8 buckets) is valid.
        let scheduler = Scheduler::new(config.schedule, now).unwrap_or_else(|_| unreachable!());
        Self::assemble(service, config, scheduler, wake)
    }

    /// A controller with these settings.
    ///
    /// # Errors
    ///
    /// [`ScheduleError`] when the schedule's interval cannot be divided
    /// among its buckets (zero, negative, too short).
    pub fn with_config(
        service: Arc<ImageStreams<S, R, A, C>>,
        config: ControllerConfig,
    ) -> Result<Self, ScheduleError> {
        let wake = Arc::new(Wake::default());
        let now = service.clock().now();
        let scheduler = Scheduler::new(config.schedule, now)?;
        Ok(Self::assemble(service, config, scheduler, wake))
    }

    fn assemble(
        service: Arc<ImageStreams<S, R, A, C>>,
        config: ControllerConfig,
        scheduler: Scheduler<StreamKey, ()>,
        wake: Arc<Wake>,
    ) -> Self {
        Self {
            subject: Subject::system_admin(),
            sink: None,
            lease: None,
            held: None,
            led_term: None,
            queue: Queue::new(wake.clone()),
            wake,
            jitter: Jitter::new(config.seed),
            state: State::new(scheduler),
            config,
            service,
        }
    }

    /// Acting as `subject` (it needs `create imagestreamimports` and
    /// `update imagestreams`).
    #[must_use]
    pub fn subject(mut self, subject: Subject) -> Self {
        self.subject = subject;
        self
    }

    /// Firing triggers into `sink`.
    #[must_use]
    pub fn triggers(mut self, sink: Arc<dyn TriggerSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Working only while this replica holds `lease` (as
    /// [`ControllerConfig::identity`], for [`ControllerConfig::lease_ttl`]).
    #[must_use]
    pub fn lease(mut self, lease: Arc<dyn Lease>) -> Self {
        self.lease = Some(lease);
        self
    }

    /// The queue, for registry notifications from other threads.
    #[must_use]
    pub fn queue(&self) -> Queue {
        self.queue.clone()
    }

    /// The handle that stops [`run`](Self::run).
    #[must_use]
    pub fn stop_handle(&self) -> Stop {
        Stop(self.wake.clone())
    }

    /// The service.
    #[must_use]
    pub fn service(&self) -> &Arc<ImageStreams<S, R, A, C>> {
        &self.service
    }

    /// How many streams the controller watches.
    #[must_use]
    pub fn watched(&self) -> usize {
        self.state.watched.len()
    }

    /// How many streams have scheduled imports.
    #[must_use]
    pub fn scheduled(&self) -> usize {
        self.state.scheduler.len()
    }

    /// Loops on [`tick`](Self::tick) at the service clock's time until
    /// stopped, sleeping through `waiter` until the next wake-up (at most
    /// [`ControllerConfig::poll_interval`]; at once when the queue is
    /// woken). Each tick's result goes to `observe`; a failed tick is tried
    /// again after the poll interval.
    pub fn run(
        &mut self,
        waiter: &dyn Waiter,
        mut observe: impl FnMut(&Result<TickReport, ControllerError>),
    ) {
        while !self.wake.is_stopped() {
            let now = self.service.clock().now();
            let result = self.tick(now);
            observe(&result);
            let poll = later(
                now,
                self.config.poll_interval.max(TimeDelta::milliseconds(1)),
            );
            let deadline = match &result {
                Ok(r) => r.next_wake.map_or(poll, |at| at.min(poll)),
                Err(_) => poll,
            };
            waiter.wait_until(deadline, &self.wake);
        }
    }

    /// Does the work due at `now`: takes or renews the lease (a follower
    /// does nothing else), reads the store's changes, queues spec changes
    /// and scheduled turns, imports what is queued and not backing off,
    /// fires the triggers of tags whose image moved, and says when work is
    /// next due.
    ///
    /// # Errors
    ///
    /// The store's watch or the lease failed; the tick can be repeated.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Result<TickReport, ControllerError> {
        let mut report = TickReport::new(now);
        if !self.lead(now, &mut report)? {
            return Ok(report);
        }
        self.watch(now)?;
        if !self.config.disable_scheduled {
            for (key, ()) in self.state.scheduler.due(now).import {
                self.queue.push(key, Work::SCHEDULED);
            }
        }
        self.work(now, &mut report);
        // Our own writes: tags that moved fire their triggers now.
        self.watch(now)?;
        self.fire(now, &mut report);
        report.next_wake = [report.next_wake, self.next_wake(now)]
            .into_iter()
            .flatten()
            .min();
        Ok(report)
    }

    /// Takes or keeps the lease; `false` when another replica holds it.
    /// Sets the report's wake-up to when the lease needs renewing, or may
    /// be free.
    fn lead(&mut self, now: DateTime<Utc>, report: &mut TickReport) -> Result<bool, LeaseError> {
        let Some(lease) = self.lease.clone() else {
            return Ok(true);
        };
        let ttl = self.config.lease_ttl;
        let held = match self.held.take() {
            // Renew once a third of the time to live has passed.
            Some(h) if h.expires_at.signed_duration_since(now) > (ttl - ttl / 3) => Some(h),
            Some(h) => match lease.renew(&h, ttl) {
                Ok(h) => Some(h),
                Err(LeaseError::Lost { .. }) => None,
                Err(e) => return Err(e),
            },
            None => lease.try_acquire(&self.config.identity, ttl)?,
        };
        if let Some(h) = held {
            if self.led_term != Some(h.term) {
                // Newly leading: what this replica knew may be stale.
                // The schedule was checked when the controller was built
                // (`with_config`), so a scheduler of it can be made.
                if let Ok(scheduler) = Scheduler::new(self.config.schedule, now) {
                    self.state = State::new(scheduler);
                }
                self.led_term = Some(h.term);
            }
            report.next_wake = Some(later(h.expires_at, -(ttl - ttl / 3)));
            self.held = Some(h);
            return Ok(true);
        }
        report.leader = false;
        report.next_wake = Some(
            lease
                .holder()?
                .map_or(later(now, ttl / 3), |h| h.expires_at.min(later(now, ttl))),
        );
        Ok(false)
    }

    /// Reads the store's changes since the last revision seen (re-listing
    /// everything when they were compacted).
    fn watch(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let store = self.service.store().clone();
        let mut changes = store.changes_since(self.state.revision);
        // A compaction racing the re-list is retried a few times.
        for _ in 0..3 {
            let Err(StoreError::Compacted { current, .. }) = changes else {
                break;
            };
            // The re-list reflects at least `current` (the port's
            // contract): resume there. Resuming from `oldest` would replay
            // what the re-list saw, and on a store whose window slides
            // (an API server's watch cache) could be compacted again.
            self.resync(now)?;
            self.state.revision = current;
            changes = store.changes_since(current);
        }
        for change in changes? {
            let version = change.resource_version();
            match change {
                StoreChange::Created(s) | StoreChange::Updated(s) => {
                    self.observe(&s.value, s.resource_version, now);
                }
                StoreChange::Deleted {
                    namespace, name, ..
                } => self.forget(&StreamKey::new(namespace, name)),
            }
            self.state.revision = self.state.revision.max(version);
        }
        Ok(())
    }

    /// Lists every stream ([`StreamStore::namespaces`], then each
    /// namespace): those not seen are forgotten, the others observed.
    fn resync(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let store = self.service.store().clone();
        let mut seen = BTreeSet::new();
        // A store that cannot list namespaces is re-listed in the ones this
        // controller knows: a stream created in another namespace during
        // the gap is seen at its next change.
        let namespaces = store.namespaces().unwrap_or_else(|_| {
            let known: BTreeSet<Namespace> = self
                .state
                .watched
                .keys()
                .map(|k| k.namespace.clone())
                .collect();
            known.into_iter().collect()
        });
        for namespace in namespaces {
            let mut token: Option<String> = None;
            loop {
                let page = store.list(&namespace, Some(500), token.as_deref())?;
                for s in &page.items {
                    seen.insert(StreamKey::of(&s.value));
                    self.observe(&s.value, s.resource_version, now);
                }
                match page.continue_token {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
        }
        let gone: Vec<StreamKey> = self
            .state
            .watched
            .keys()
            .filter(|k| !seen.contains(*k))
            .cloned()
            .collect();
        for key in gone {
            self.forget(&key);
        }
        Ok(())
    }

    /// A version of a stream: queues its spec changes, (un)schedules it,
    /// and marks its triggers when a tag's image moved.
    fn observe(&mut self, stream: &ImageStream, version: u64, now: DateTime<Utc>) {
        let key = StreamKey::of(stream);
        let images = outcome::current_images(stream);
        let state = &mut self.state;
        let new = !state.watched.contains_key(&key);
        let known = state.watched.entry(key.clone()).or_insert(Watched {
            resource_version: 0,
            images,
            failures: 0,
            failed_generation: 0,
            policies: String::new(),
        });
        if !new && known.resource_version >= version {
            return;
        }
        known.resource_version = version;
        if new || known.images != images {
            known.images = images;
            if self.sink.is_some() {
                state.triggers.entry(key.clone()).or_insert(now);
            }
        }
        let policies = policy_fingerprint(stream);
        let policies_moved = known.policies != policies;
        known.policies = policies;
        if policies_moved {
            self.queue.push(key.clone(), Work::SPEC);
        }
        if !plan_import(stream).is_empty() {
            // A spec generation moved: imported now, even while backing
            // off (the user changed something).
            if known.failures == 0 || stream.generation() > known.failed_generation {
                self.queue.push(key.clone(), Work::SPEC);
            }
        } else if known.failures == 0 && !outcome::failures(stream).is_empty() {
            // Failures this controller did not see happen (from before it
            // started, or another replica's): retried after one backoff
            // period.
            known.failures = 1;
            known.failed_generation = stream.generation();
            let at = later(now, self.config.backoff.delay(1, None, &mut self.jitter));
            state.delay(key.clone(), at, Work::RETRY);
        }
        if is_scheduled(stream) || has_policies(stream) {
            state.scheduler.add(key, ());
        } else {
            state.scheduler.remove(&key, &());
        }
    }

    fn forget(&mut self, key: &StreamKey) {
        let state = &mut self.state;
        state.watched.remove(key);
        state.scheduler.remove(key, &());
        state.undelay(key);
        state.triggers.remove(key);
    }

    /// Runs the queued work that is due, and the backoffs that ran out.
    fn work(&mut self, now: DateTime<Utc>, report: &mut TickReport) {
        let mut ready: BTreeMap<StreamKey, Work> = BTreeMap::new();
        while let Some((at, key)) = self.state.delayed.first().cloned() {
            if at > now {
                break;
            }
            if let Some(work) = self.state.undelay(&key) {
                ready.entry(key).or_default().merge(work);
            }
        }
        for (key, mut work) in self.queue.take_all() {
            if std::mem::take(&mut work.triggers) && self.sink.is_some() {
                self.state.triggers.insert(key.clone(), now);
            }
            if !work.imports() {
                continue;
            }
            let backing_off = self.state.delayed_work.get(&key).map(|(at, _)| *at);
            match backing_off {
                // Waiting out a backoff: everything but a spec change waits
                // with it.
                Some(at) if !work.spec => self.state.delay(key, at, work),
                _ => ready.entry(key).or_default().merge(work),
            }
        }
        for (key, work) in ready {
            self.sync(&key, work, now, report);
        }
    }

    /// One stream's imports, one request per tag: failed tags again
    /// (after a backoff), scheduled tags (its turn or a notification), and
    /// tags whose spec moved.
    fn sync(&mut self, key: &StreamKey, work: Work, now: DateTime<Utc>, report: &mut TickReport) {
        #[cfg(feature = "policy")]
        if work.scheduled || work.spec {
            self.evaluate_policies(key, now, report);
        }
        let plan = |is: &ImageStream| {
            let mut tags: BTreeMap<TagName, TagImport> = BTreeMap::new();
            let mut add = |list: Vec<TagImport>| {
                for t in list {
                    tags.entry(t.tag.clone()).or_insert(t);
                }
            };
            if work.retry {
                add(outcome::plan_retry(is));
            }
            if work.scheduled {
                // A held tag keeps its image until the hold is released or
                // expires.
                add(plan_scheduled_import(is)
                    .into_iter()
                    .filter(|t| !is.hold(t.tag.as_str()).is_some_and(|h| h.is_active(now)))
                    .collect());
            }
            // A scheduled turn runs the regular import on a copy whose
            // scheduled tags look newer (§15.2): tags needing import go too.
            if work.spec || work.scheduled {
                add(plan_import(is));
            }
            tags.into_values().collect()
        };
        let result = self
            .service
            .import_planned(&self.subject, &key.namespace, &key.name, plan);
        let asked = result
            .as_ref()
            .map_or(&[][..], |i| i.asked.as_slice())
            .to_vec();
        report.requests += asked.len();
        if !asked.is_empty() {
            report.imported.push(Imported {
                stream: key.clone(),
                tags: asked.iter().map(|t| t.tag.clone()).collect(),
            });
        }
        if work.spec && !asked.is_empty() {
            // A regular import pushes the stream's scheduled turn back.
            self.state.scheduler.delay(key);
        }
        match result.map(|_| ()) {
            Err(ServiceError::NotFound { .. }) => self.forget(key),
            Err(e) => {
                // The stream as a whole failed (forbidden, conflicts, the
                // store): retried after a backoff.
                let failures = self
                    .state
                    .watched
                    .get(key)
                    .map_or(1, |w| w.failures.saturating_add(1));
                let at = later(
                    now,
                    self.config.backoff.delay(failures, None, &mut self.jitter),
                );
                if let Some(w) = self.state.watched.get_mut(key) {
                    w.failures = failures;
                }
                let mut again = work;
                again.retry = true;
                self.state.delay(key.clone(), at, again);
                report.failed.push(ImportFailure {
                    stream: key.clone(),
                    tag: None,
                    reason: "Error".into(),
                    message: e.to_string(),
                    retry_at: Some(at),
                });
            }
            Ok(()) if !asked.is_empty() => self.settle(key, &asked, now, report),
            Ok(()) => {}
        }
    }

    /// After imports of `asked`: a failure among them starts or extends the
    /// stream's backoff, written into the failed tags' conditions; no
    /// failure left ends it.
    fn settle(
        &mut self,
        key: &StreamKey,
        asked: &[TagImport],
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) {
        let Ok(stored) = self.service.store().get(&key.namespace, &key.name) else {
            return;
        };
        let failed = outcome::failures(&stored.value);
        let Some(w) = self.state.watched.get_mut(key) else {
            return;
        };
        if failed.is_empty() {
            w.failures = 0;
            self.state.undelay(key);
            return;
        }
        let failed_now: Vec<Failure> = failed
            .into_iter()
            .filter(|f| asked.iter().any(|a| a.tag == f.tag))
            .collect();
        if failed_now.is_empty() {
            return;
        }
        let failures = w.failures.saturating_add(1);
        w.failures = failures;
        let retry_after = failed_now.iter().filter_map(|f| f.retry_after).max();
        let delay = self
            .config
            .backoff
            .delay(failures, retry_after, &mut self.jitter);
        let at = later(now, delay);
        let marked = self
            .service
            .update(&self.subject, &key.namespace, &key.name, |is| {
                let still: Vec<Failure> = outcome::failures(is)
                    .into_iter()
                    .filter(|f| failed_now.iter().any(|n| n.tag == f.tag))
                    .collect();
                Ok(outcome::mark_backoff(is, &still, failures, at, now))
            });
        let generation = match marked {
            Ok((_, stored)) => stored.value.generation(),
            Err(_) => stored.value.generation(),
        };
        if let Some(w) = self.state.watched.get_mut(key) {
            w.failed_generation = generation;
        }
        self.state.delay(key.clone(), at, Work::RETRY);
        for f in failed_now {
            report.failed.push(ImportFailure {
                stream: key.clone(),
                tag: Some(f.tag),
                reason: f.reason,
                message: f.message,
                retry_at: Some(at),
            });
        }
    }

    /// Evaluates the triggers of streams whose images moved, handing the
    /// actions to the sink; a failing stream is tried again later.
    fn fire(&mut self, now: DateTime<Utc>, report: &mut TickReport) {
        let Some(sink) = self.sink.clone() else {
            self.state.triggers.clear();
            return;
        };
        let due: Vec<StreamKey> = self
            .state
            .triggers
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        let store = self.service.store().clone();
        let resolve = |ns: &Namespace, istag: &IsTagName| {
            store
                .get(ns, istag.stream_name())
                .ok()?
                .value
                .resolve_pull_spec(istag.tag())
                .ok()
        };
        for key in due {
            self.state.triggers.remove(&key);
            let mut failed = false;
            for watcher in sink.watching(&key.namespace, &key.name) {
                let action = match evaluate(&watcher, &resolve) {
                    Ok(Some(action)) => action,
                    Ok(None) => continue,
                    Err(e) => {
                        // Invalid triggers stay invalid until the object
                        // changes: reported, not retried.
                        report.trigger_errors.push(e.to_string());
                        continue;
                    }
                };
                match sink.apply(&action) {
                    Ok(()) => report.fired.push(action),
                    Err(source) => {
                        failed = true;
                        report.trigger_errors.push(
                            SinkError::Apply {
                                namespace: action.namespace,
                                name: action.name,
                                source,
                            }
                            .to_string(),
                        );
                    }
                }
            }
            if failed {
                self.state
                    .triggers
                    .insert(key, later(now, self.config.trigger_retry));
            }
        }
    }

    /// When work is next due: queued work at once, else the first backoff,
    /// trigger retry or scheduled turn.
    fn next_wake(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let queued = (!self.queue.is_empty()).then_some(now);
        let delayed = self.state.delayed.first().map(|(at, _)| *at);
        let triggers = self.state.triggers.values().min().copied();
        let scheduled = (!self.config.disable_scheduled && !self.state.scheduler.is_empty())
            .then(|| self.state.scheduler.next_visit());
        [queued, delayed, triggers, scheduled]
            .into_iter()
            .flatten()
            .min()
    }
}
