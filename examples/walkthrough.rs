//! The documentation chapter this crate grew from ("Managing
//! imagestreams", 6.1–6.7.6), end to end, through the in-memory service
//! and the controller: nothing is written by hand. External images arrive
//! through controller ticks against a registry (a static one here), the
//! integrated registry's pushes arrive as image stream mappings, a
//! scheduled tag is re-imported when the clock has moved 15 minutes, and
//! a deployment's trigger fires once per new image.
//!
//! Each section of the chapter is one function; `oc describe` follows
//! each step. Beyond the chapter: `oc get imagetag` and `oc import-image
//! --dry-run`.
//!
//! ```sh
//! cargo run --example walkthrough
//! ```

use std::error::Error;
use std::sync::Arc;

use imagestream::api;
use imagestream::chrono::{DateTime, TimeDelta, TimeZone, Utc};
use imagestream::controller::{ActionKind, Controller, ManualWaiter, MemoryTriggers, TickReport};
use imagestream::describe::{
    Style, describe_image, describe_image_stream, describe_image_stream_tag, get_image_streams,
    get_image_tags, import_image_output,
};
use imagestream::ops::import_image::ImportImage;
use imagestream::ops::tag::TagCommand;
use imagestream::ops::trigger::{Container, DeploymentTrigger, PodImages};
use imagestream::ports::{
    Clock, ImportedImage, ManualClock, MemoryStore, Rbac, StaticRegistry, Subject,
};
use imagestream::reference::{Digest, ImageReference, IsTagName, Namespace, StreamName, TagName};
use imagestream::service::ImageStreams;
use imagestream::stream::RollbackTarget;

type Service = ImageStreams<MemoryStore, StaticRegistry, Rbac, ManualClock>;

/// The cluster: a clock, the service, the controller and the objects its
/// triggers update.
struct Cluster {
    clock: Arc<ManualClock>,
    service: Arc<Service>,
    controller: Controller<MemoryStore, StaticRegistry, Rbac, ManualClock>,
    deployments: Arc<MemoryTriggers>,
    admin: Subject,
    ns: Namespace,
    python: StreamName,
}

type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;

const MANIFEST_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";

fn main() -> Result {
    let mut c = cluster()?;
    using_imagestreams(&c)?;
    configuring_imagestreams(&mut c)?;
    getting_information(&mut c)?;
    imagestream_images(&c)?;
    adding_tags(&mut c)?;
    listing_tags(&c)?;
    imagestream_mapping(&mut c)?;
    imagestreamtags_history(&mut c)?;
    external_tags(&mut c)?;
    updating_tags(&mut c)?;
    removing_tags(&mut c)?;
    periodic_import(&mut c)?;
    Ok(())
}

fn cluster() -> Result<Cluster> {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap(),
    ));
    let service = Arc::new(
        ImageStreams::new(
            Arc::new(MemoryStore::new()),
            Arc::new(StaticRegistry::new()),
            Arc::new(Rbac::new()),
            Arc::clone(&clock),
        )
        .with_internal_registry("docker-registry.default.svc:5000"),
    );
    let deployments = Arc::new(MemoryTriggers::new());
    let controller = Controller::new(service.clone()).triggers(deployments.clone());
    Ok(Cluster {
        clock,
        service,
        controller,
        deployments,
        admin: Subject::system_admin(),
        ns: Namespace::parse("default")?,
        python: StreamName::parse("python")?,
    })
}

impl Cluster {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// One controller tick, printed.
    fn tick(&mut self) -> Result<TickReport> {
        let report = self.controller.tick(self.now())?;
        print_report(&report);
        Ok(report)
    }

    fn oc_tag(&self, line: &str, command: &TagCommand) -> Result {
        println!("$ {line}");
        for done in self.service.tag(&self.admin, &self.ns, command)? {
            println!("{done}");
        }
        println!();
        Ok(())
    }

    fn describe(&self) -> Result {
        let stored = self.service.get(&self.admin, &self.ns, &self.python)?;
        println!(
            "$ oc describe is/python\n{}",
            describe_image_stream(&stored.value, self.now(), Style::Classic)
        );
        Ok(())
    }

    /// What a registry lookup of `reference` answers from now on.
    fn upstream(&self, reference: &str, content: &str, size: i64) -> Result<Digest> {
        let digest = Digest::of_sha256(content.as_bytes());
        let mut found = ImportedImage::new(digest.clone(), MANIFEST_V2);
        found.config = Some(api::DockerImageMetadata {
            created: Some(self.now() - TimeDelta::days(15)),
            architecture: "amd64".into(),
            size,
            ..Default::default()
        });
        self.service
            .registry()
            .insert(&ImageReference::parse(reference)?, found);
        Ok(digest)
    }
}

fn print_report(report: &TickReport) {
    print!("[controller] tick at {}:", report.at.format("%H:%M:%S"));
    for i in &report.imported {
        let tags: Vec<String> = i.tags.iter().map(ToString::to_string).collect();
        print!(" imported {}:{}", i.stream, tags.join(","));
    }
    for f in &report.failed {
        print!(" failed {} ({})", f.stream, f.reason);
    }
    for a in &report.fired {
        if let ActionKind::Deploy { pod, .. } = &a.kind {
            print!(
                " deployment/{} rolls out {}",
                a.name, pod.containers[0].image
            );
        }
    }
    if report.imported.is_empty() && report.failed.is_empty() && report.fired.is_empty() {
        print!(" nothing to do");
    }
    println!();
}

/// 6.1 and 6.5: deployments watch image stream tags, not registries: the
/// `web` deployment rolls out whatever `python:latest` points at, and
/// `web-3.6` follows `python:3.6`.
fn using_imagestreams(c: &Cluster) -> Result {
    for (name, tag) in [("web", "python:latest"), ("web-3.6", "python:3.6")] {
        let mut pod = PodImages::default();
        pod.containers.push(Container::new("web", ""));
        c.deployments.add_deployment(
            &c.ns,
            name,
            vec![DeploymentTrigger::new(IsTagName::parse(tag)?, &["web"])],
            pod,
        );
        println!("deploymentconfig/{name} triggers on imagestreamtag {tag}");
    }
    println!();
    Ok(())
}

/// 6.2: an image stream whose `3.5` tag is an external image; the
/// controller imports it at its next tick.
fn configuring_imagestreams(c: &mut Cluster) -> Result {
    c.upstream(
        "centos/python-35-centos7",
        "centos/python-35-centos7 3.5",
        251_200_000,
    )?;
    c.oc_tag(
        "oc tag centos/python-35-centos7 python:3.5",
        &TagCommand::new(["centos/python-35-centos7", "python:3.5"]),
    )?;
    c.tick()?;
    println!();
    Ok(())
}

/// 6.7.1: `oc describe is/python` and `oc describe istag/python:3.5`.
fn getting_information(c: &mut Cluster) -> Result {
    c.clock.advance(TimeDelta::seconds(75));
    c.describe()?;
    let istag = c.service.image_stream_tag(&c.admin, &c.ns, "python:3.5")?;
    println!(
        "$ oc describe istag/python:3.5\n{}",
        describe_image_stream_tag(&istag, c.now(), Style::Classic)
    );
    Ok(())
}

/// 6.3: the image, as `python@<id>`; a user who may read the namespace
/// but not cluster-level images reads it this way (6.1).
fn imagestream_images(c: &Cluster) -> Result {
    let is = c.service.get(&c.admin, &c.ns, &c.python)?.value;
    let id = is
        .history("3.5")
        .and_then(|h| h.current())
        .ok_or("3.5 was imported")?
        .image_str()
        .to_owned();
    c.service.authorizer().bind("developer", "view", &c.ns);
    let developer = Subject::user("developer");
    let isimage = c
        .service
        .image_stream_image(&developer, &c.ns, &format!("python@{id}"))?;
    println!(
        "$ oc describe isimage/python@{id}   # as developer\n{}",
        describe_image(
            &isimage.image,
            &isimage.image.metadata.name,
            c.now(),
            Style::Classic
        )
    );
    match c.service.image(&developer, &Digest::parse(&id)?) {
        Ok(_) => println!("developer reads image/{id} directly"),
        Err(e) => {
            println!("$ oc get image/{id}   # as developer\nError from server (Forbidden): {e}\n");
        }
    }
    Ok(())
}

/// 6.7.2: `oc tag python:3.5 python:latest` pins `latest` to that image;
/// the `web` deployment's trigger fires for it.
fn adding_tags(c: &mut Cluster) -> Result {
    c.oc_tag(
        "oc tag python:3.5 python:latest",
        &TagCommand::new(["python:3.5", "python:latest"]),
    )?;
    c.tick()?;
    c.clock.advance(TimeDelta::minutes(4));
    c.describe()?;
    let stored = c.service.get(&c.admin, &c.ns, &c.python)?;
    println!(
        "$ oc get is\n{}",
        get_image_streams([&stored.value], c.now())
    );
    Ok(())
}

/// Each tag with its spec, status and history (`oc get imagetag`), then
/// `oc import-image python:3.5 --dry-run`: the registry asked again, the
/// answer shown, nothing written.
fn listing_tags(c: &Cluster) -> Result {
    println!(
        "$ oc get imagetag\n{}",
        get_image_tags(&c.service.image_tags(&c.admin, &c.ns)?, c.now())
    );
    let dry_run = ImportImage::new("python:3.5").dry_run(true);
    let before = c.service.get(&c.admin, &c.ns, &c.python)?.resource_version;
    let answer = c.service.import_image(&c.admin, &c.ns, &dry_run)?;
    let printed = import_image_output(&answer, dry_run.is_dry_run(), c.now(), Style::Classic);
    print!("$ oc import-image python:3.5 --dry-run\n{}", printed.stdout);
    eprint!("{}", printed.stderr);
    assert_eq!(
        c.service.get(&c.admin, &c.ns, &c.python)?.resource_version,
        before,
        "a dry run writes nothing"
    );
    println!();
    Ok(())
}

/// 6.6: the integrated registry receives a push of `python:latest` and
/// sends an image stream mapping; the tag moves and `web` rolls out the
/// new image, once.
fn imagestream_mapping(c: &mut Cluster) -> Result {
    let newer = Digest::of_sha256(b"python 3.5, rebuilt");
    let mut mapping = api::ImageStreamMapping::default();
    mapping.metadata.namespace = c.ns.to_string();
    mapping.metadata.name = c.python.to_string();
    mapping.tag = "latest".into();
    mapping.image.metadata.name = newer.to_string();
    mapping.image.docker_image_metadata = Some(api::DockerImageMetadata {
        architecture: "amd64".into(),
        size: 251_300_000,
        ..Default::default()
    });
    c.clock.advance(TimeDelta::minutes(2));
    println!("$ docker push docker-registry.default.svc:5000/default/python:latest");
    c.service.create_mapping(&c.admin, mapping)?;
    c.tick()?;
    c.tick()?; // nothing new: nothing fires again
    println!();
    c.describe()
}

/// 6.4: `latest` has two images in its history; roll back to the first
/// (the deployment follows).
fn imagestreamtags_history(c: &mut Cluster) -> Result {
    let stored = c.service.get(&c.admin, &c.ns, &c.python)?;
    println!("latest, newest first:");
    for e in stored
        .value
        .history("latest")
        .ok_or("latest has a history")?
    {
        println!("  {}", e.pull_spec());
    }
    c.service.rollback(
        &c.admin,
        &c.ns,
        &c.python,
        &TagName::parse("latest")?,
        &RollbackTarget::Revision(1),
    )?;
    println!("$ oc rollback python:latest --to-revision=1");
    c.tick()?;
    println!();
    Ok(())
}

/// 6.7.3: `oc tag docker.io/python:3.6.0 python:3.6`, imported by the
/// next tick (and `web-3.6` deploys it).
fn external_tags(c: &mut Cluster) -> Result {
    c.clock.advance(TimeDelta::minutes(3));
    c.upstream(
        "docker.io/python:3.6.0",
        "docker.io/python:3.6.0 #1",
        265_000_000,
    )?;
    c.oc_tag(
        "oc tag docker.io/python:3.6.0 python:3.6",
        &TagCommand::new(["docker.io/python:3.6.0", "python:3.6"]),
    )?;
    c.tick()?;
    println!();
    c.describe()
}

/// 6.7.4: `oc tag python:3.6 python:latest`; `web` rolls out 3.6.
fn updating_tags(c: &mut Cluster) -> Result {
    c.clock.advance(TimeDelta::minutes(1));
    c.oc_tag(
        "oc tag python:3.6 python:latest",
        &TagCommand::new(["python:3.6", "python:latest"]),
    )?;
    c.tick()?;
    println!();
    c.describe()
}

/// 6.7.5: `oc tag -d python:3.5`.
fn removing_tags(c: &mut Cluster) -> Result {
    c.clock.advance(TimeDelta::minutes(1));
    c.oc_tag(
        "oc tag -d python:3.5",
        &TagCommand::new(["python:3.5"]).delete(true),
    )?;
    c.tick()?;
    println!();
    c.describe()
}

/// 6.7.6: `--scheduled`: the controller asks the registry again every 15
/// minutes; when `python:3.6.0` is re-pushed upstream, `3.6` moves and
/// `web-3.6` rolls out the new image, once. Without the flag, the checks
/// stop.
fn periodic_import(c: &mut Cluster) -> Result {
    c.oc_tag(
        "oc tag docker.io/python:3.6.0 python:3.6 --scheduled",
        &TagCommand::new(["docker.io/python:3.6.0", "python:3.6"]).scheduled(true),
    )?;
    c.tick()?;
    let repushed = c.upstream(
        "docker.io/python:3.6.0",
        "docker.io/python:3.6.0 #2 (security update)",
        265_100_000,
    )?;
    println!("(upstream: docker.io/python:3.6.0 re-pushed as {repushed})");
    // The controller runs on its own for 20 minutes, sleeping until each
    // wake-up (the manual clock jumps there).
    let start = c.now();
    let horizon = start + TimeDelta::minutes(20);
    c.controller
        .run(&ManualWaiter::new(c.clock.clone(), horizon), |r| {
            if let Ok(r) = r
                && (!r.imported.is_empty() || !r.fired.is_empty())
            {
                print!("(+{} min) ", (r.at - start).num_minutes());
                print_report(r);
            }
        });
    println!();
    c.describe()?;
    c.oc_tag(
        "oc tag docker.io/python:3.6.0 python:3.6",
        &TagCommand::new(["docker.io/python:3.6.0", "python:3.6"]),
    )?;
    c.tick()?;
    println!(
        "scheduled streams after removing --scheduled: {}",
        c.controller.scheduled()
    );
    let rollouts = c
        .deployments
        .fired()
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Deploy { .. }))
        .count();
    println!("deployment rollouts in all: {rollouts}");
    Ok(())
}
