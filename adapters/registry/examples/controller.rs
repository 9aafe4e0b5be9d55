//! The controller against a real registry: a `docker-registry` started on
//! a free loopback port (its own temporary storage, stopped at the end),
//! an image pushed to it with the registry's HTTP API, and the chapter's
//! scheduled-import step (6.7.6) run for real: `oc tag --scheduled`, a
//! controller tick imports the tag through [`RegistryClient`], the image
//! is re-pushed upstream, and the controller, left to run for 20 minutes
//! of a manual clock, picks the new image up at its scheduled turn; the
//! deployment watching the tag rolls out each image once.
//!
//! ```sh
//! apt-get install docker-registry     # the server this example starts
//! cargo run -p imagestream-registry --example controller
//! ```

#[path = "../tests/support/mod.rs"]
mod support;

use std::error::Error;
use std::sync::Arc;

use imagestream::chrono::{TimeDelta, Utc};
use imagestream::controller::{ActionKind, Controller, ManualWaiter, MemoryTriggers, TickReport};
use imagestream::describe::{Style, describe_image_stream};
use imagestream::ops::tag::TagCommand;
use imagestream::ops::trigger::{Container, DeploymentTrigger, PodImages};
use imagestream::ports::{Clock, ManualClock, MemoryStore, Rbac, Subject};
use imagestream::reference::{IsTagName, Namespace, StreamName};
use imagestream::service::ImageStreams;
use imagestream_registry::{ClientConfig, RegistryClient};
use support::{OCI_MANIFEST, Pusher, TestRegistry};

fn print_report(report: &TickReport) {
    print!("[controller] tick at {}:", report.at.format("%H:%M:%S"));
    for i in &report.imported {
        let tags: Vec<String> = i.tags.iter().map(ToString::to_string).collect();
        print!(" imported {}:{}", i.stream, tags.join(","));
    }
    for f in &report.failed {
        print!(" failed {} ({}: {})", f.stream, f.reason, f.message);
    }
    for a in &report.fired {
        if let ActionKind::Deploy { pod, .. } = &a.kind {
            print!(
                " deployment/{} rolls out {}",
                a.name, pod.containers[0].image
            );
        }
    }
    println!();
}

fn main() -> Result<(), Box<dyn Error>> {
    let registry = TestRegistry::start();
    let push = Pusher::new(&registry);
    let upstream = format!("{}/team/app:v1", registry.addr);
    let first = push.image("team/app", Some("v1"), "amd64", OCI_MANIFEST);
    println!("(upstream: {upstream} pushed as {})", first.digest);

    let clock = Arc::new(ManualClock::new(Utc::now()));
    let service = Arc::new(ImageStreams::new(
        Arc::new(MemoryStore::new()),
        Arc::new(RegistryClient::new(ClientConfig::new())),
        Arc::new(Rbac::new()),
        Arc::clone(&clock),
    ));
    let admin = Subject::system_admin();
    let ns = Namespace::parse("default")?;
    let app = StreamName::parse("app")?;

    // A deployment that rolls out whatever `app:v1` points at.
    let deployments = Arc::new(MemoryTriggers::new());
    let mut pod = PodImages::default();
    pod.containers.push(Container::new("web", ""));
    deployments.add_deployment(
        &ns,
        "web",
        vec![DeploymentTrigger::new(
            IsTagName::parse("app:v1")?,
            &["web"],
        )],
        pod,
    );
    let mut controller = Controller::new(Arc::clone(&service)).triggers(deployments.clone());

    // `oc tag <registry>/team/app:v1 app:v1 --scheduled --insecure` (the
    // loopback registry speaks plain HTTP), imported at the next tick.
    println!("$ oc tag {upstream} app:v1 --scheduled --insecure");
    let command = TagCommand::new([upstream.as_str(), "app:v1"])
        .scheduled(true)
        .insecure(true);
    for done in service.tag(&admin, &ns, &command)? {
        println!("{done}");
    }
    let report = controller.tick(clock.now())?;
    print_report(&report);
    let current = |service: &ImageStreams<_, _, _, _>| -> Result<String, Box<dyn Error>> {
        Ok(service
            .image_stream_tag(&admin, &ns, "app:v1")?
            .image
            .metadata
            .name)
    };
    assert_eq!(current(&service)?, first.digest.to_string());

    // Upstream moves; the controller, left to run for 20 minutes (the
    // manual clock jumps to each wake-up), re-imports at the stream's
    // scheduled turn: its bucket's visit, at least 15 minutes after the
    // first import (OpenShift's rotating buckets, §15.2).
    let second = push.image("team/app", Some("v1"), "amd64", OCI_MANIFEST);
    println!("(upstream: {upstream} re-pushed as {})", second.digest);
    let start = clock.now();
    controller.run(
        &ManualWaiter::new(Arc::clone(&clock), start + TimeDelta::minutes(20)),
        |r| {
            if let Ok(r) = r
                && (!r.imported.is_empty() || !r.fired.is_empty() || !r.failed.is_empty())
            {
                print!("(+{} min) ", (r.at - start).num_minutes());
                print_report(r);
            }
        },
    );
    assert_eq!(current(&service)?, second.digest.to_string());

    let stored = service.get(&admin, &ns, &app)?;
    println!(
        "\n$ oc describe is/app\n{}",
        describe_image_stream(&stored.value, clock.now(), Style::Current)
    );
    let rollouts: Vec<String> = deployments
        .fired()
        .iter()
        .filter_map(|a| match &a.kind {
            ActionKind::Deploy { pod, .. } => Some(pod.containers[0].image.clone()),
            _ => None,
        })
        .collect();
    println!("deployment/web rollouts: {}", rollouts.len());
    assert_eq!(rollouts.len(), 2, "one rollout per new image: {rollouts:?}");
    Ok(())
}
