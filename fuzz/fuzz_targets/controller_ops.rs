//! Arbitrary lives of a controller: tags set and deleted, registry answers
//! and failures, clock jumps (to the ends of time), ticks, restarts,
//! notifications and sink failures. Never a panic; a tick on the in-memory
//! store never fails; and no tag is asked for twice at one instant without
//! something (a spec change, a restart, a notification) in between.
#![no_main]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arbitrary::Arbitrary;
use imagestream::chrono::{DateTime, TimeDelta, Utc};
use imagestream::controller::{Backoff, Controller, ControllerConfig, MemoryTriggers};
use imagestream::ops::tag::TagCommand;
use imagestream::ops::trigger::{Container, DeploymentTrigger, PodImages};
use imagestream::ports::{
    Clock, ImportRequest, ImportedImage, ManualClock, MemoryStore, Rbac, Registry, RegistryError,
    StaticRegistry, Subject, TagList,
};
use imagestream::reference::{Digest, ImageReference, IsTagName, Namespace, StreamName};
use imagestream::service::ImageStreams;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Op {
    Tag {
        stream: u8,
        tag: u8,
        source: u8,
        scheduled: bool,
    },
    Delete {
        stream: u8,
        tag: u8,
    },
    Serve {
        stream: u8,
        tag: u8,
        source: u8,
        image: u8,
    },
    Fail {
        stream: u8,
        tag: u8,
        source: u8,
        kind: u8,
        retry_after: u32,
    },
    Advance(i64),
    Tick,
    Restart {
        backoff_secs: i64,
    },
    Notify(u8),
    SinkFailing(bool),
}

struct Logged {
    table: StaticRegistry,
    clock: Arc<ManualClock>,
    /// Requests since the last exempting event: (time, reference).
    log: Mutex<Vec<(DateTime<Utc>, String)>>,
}

impl Registry for Logged {
    fn resolve(&self, request: &ImportRequest) -> Result<ImportedImage, RegistryError> {
        let now = self.clock.now();
        let key = request.reference.as_str().to_owned();
        let mut log = self.log.lock().unwrap();
        assert!(
            !log.iter().any(|(t, r)| *t == now && *r == key),
            "{key} asked twice at {now}"
        );
        log.push((now, key));
        self.table.resolve(request)
    }

    fn list_tags(&self, request: &ImportRequest, cap: usize) -> Result<TagList, RegistryError> {
        self.table.list_tags(request, cap)
    }
}

/// Each tag has its own sources, so a request names its tag.
fn source(stream: u8, tag: u8, n: u8) -> String {
    format!("quay.io/s{}/t{}:v{}", stream % 2, tag % 2, n % 2)
}

fuzz_target!(|ops: Vec<Op>| {
    let start = DateTime::from_timestamp(1_500_000_000, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let registry = Arc::new(Logged {
        table: StaticRegistry::new(),
        clock: clock.clone(),
        log: Mutex::new(Vec::new()),
    });
    let service = Arc::new(
        ImageStreams::new(
            Arc::new(MemoryStore::with_log_capacity(8)),
            registry.clone(),
            Arc::new(Rbac::new()),
            clock.clone(),
        )
        .with_internal_registry("registry.local:5000"),
    );
    let sink = Arc::new(MemoryTriggers::new());
    let ns = Namespace::parse("fuzz").unwrap();
    let mut pod = PodImages::default();
    pod.containers.push(Container::new("c", ""));
    sink.add_deployment(
        &ns,
        "d",
        vec![DeploymentTrigger::new(
            IsTagName::parse("s0:t0").unwrap(),
            &["c"],
        )],
        pod,
    );
    let admin = Subject::system_admin();
    let new_controller = |backoff: Backoff| {
        Controller::with_config(
            service.clone(),
            ControllerConfig::default().backoff(backoff),
        )
        .expect("the default schedule is valid")
        .triggers(sink.clone())
    };
    let mut controller = new_controller(Backoff::default());
    let exempt = || registry.log.lock().unwrap().clear();
    for op in ops.into_iter().take(64) {
        match op {
            Op::Tag {
                stream,
                tag,
                source: s,
                scheduled,
            } => {
                let cmd = TagCommand::new([
                    source(stream, tag, s),
                    format!("s{}:t{}", stream % 2, tag % 2),
                ])
                .scheduled(scheduled);
                let _ = service.tag(&admin, &ns, &cmd);
                exempt();
            }
            Op::Delete { stream, tag } => {
                let cmd = TagCommand::new([format!("s{}:t{}", stream % 2, tag % 2)]).delete(true);
                let _ = service.tag(&admin, &ns, &cmd);
                if tag % 3 == 0 {
                    let name = StreamName::parse(&format!("s{}", stream % 2)).unwrap();
                    let _ = service.delete(&admin, &ns, &name, None);
                }
                exempt();
            }
            Op::Serve {
                stream,
                tag,
                source: s,
                image,
            } => {
                let d = Digest::of_sha256(&[image]);
                registry.table.insert(
                    &ImageReference::parse(&source(stream, tag, s)).unwrap(),
                    ImportedImage::new(d, "application/vnd.oci.image.manifest.v1+json"),
                );
            }
            Op::Fail {
                stream,
                tag,
                source: s,
                kind,
                retry_after,
            } => {
                let reference = source(stream, tag, s);
                let error = match kind % 3 {
                    0 => RegistryError::NotFound {
                        reference: reference.clone(),
                    },
                    1 => RegistryError::RateLimited {
                        retry_after: (retry_after % 2 == 0)
                            .then(|| Duration::from_secs(retry_after.into())),
                    },
                    _ => RegistryError::Unreachable {
                        registry: "quay.io".into(),
                        reason: "refused".into(),
                    },
                };
                registry
                    .table
                    .fail(&ImageReference::parse(&reference).unwrap(), error);
            }
            Op::Advance(secs) => {
                // Within a month either way (the scheduler's own catch-up
                // after longer gaps is the scheduler's business).
                let by = TimeDelta::seconds(secs % (31 * 86_400));
                if let Some(t) = clock.now().checked_add_signed(by) {
                    clock.set(t);
                }
            }
            Op::Tick => {
                controller
                    .tick(clock.now())
                    .expect("in-memory ticks succeed");
            }
            Op::Restart { backoff_secs } => {
                let secs = TimeDelta::try_seconds(backoff_secs).unwrap_or(TimeDelta::MAX);
                controller = new_controller(Backoff::default().initial(secs).max(secs));
                exempt();
            }
            Op::Notify(stream) => {
                let name = StreamName::parse(&format!("s{}", stream % 2)).unwrap();
                controller.queue().enqueue(ns.clone(), name);
                exempt();
            }
            Op::SinkFailing(failing) => sink.set_failing(failing),
        }
    }
});
