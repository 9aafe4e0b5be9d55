//! The documentation chapter this crate grew from, end to end, against the
//! in-memory service: create the `python` stream, import an image into
//! `python:3.5`, describe it, tag it as `latest`, list its tags (`oc get
//! imagetag`), ask the registry again without writing (`oc import-image
//! --dry-run`), roll back, delete a tag.
//!
//! ```sh
//! cargo run --example walkthrough
//! ```

use std::error::Error;
use std::sync::Arc;

use imagestream::api;
use imagestream::chrono::{TimeDelta, TimeZone, Utc};
use imagestream::describe::{
    Style, describe_image_stream, describe_image_stream_tag, get_image_streams, get_image_tags,
    import_image_output,
};
use imagestream::ops::import_image::ImportImage;
use imagestream::ops::tag::TagCommand;
use imagestream::ports::{
    Clock, ImportedImage, ManualClock, MemoryStore, Rbac, StaticRegistry, Subject,
};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::service::ImageStreams;
use imagestream::stream::{ImageStream, RollbackTarget, SpecTag, TagEvent, TagSource};

#[allow(clippy::too_many_lines)] // a script: the chapter's steps, top to bottom
fn main() -> Result<(), Box<dyn Error>> {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2017, 10, 2, 17, 5, 11).unwrap(),
    ));
    let service = ImageStreams::new(
        Arc::new(MemoryStore::new()),
        Arc::new(StaticRegistry::new()),
        Arc::new(Rbac::new()),
        Arc::clone(&clock),
    )
    .with_internal_registry("docker-registry.default.svc:5000");
    let admin = Subject::system_admin();
    let ns = Namespace::parse("default")?;
    let python = StreamName::parse("python")?;

    // 6.2: an image stream, with a spec tag for an external image.
    service.create(&admin, ImageStream::new(ns.clone(), python.clone())?)?;
    let source = ImageReference::parse("centos/python-35-centos7")?;
    service.set_spec_tag(
        &admin,
        &ns,
        &python,
        &TagName::parse("3.5")?,
        &SpecTag::new(TagSource::DockerImage(source.clone())),
    )?;

    // The import controller resolves the tag through the registry (here a
    // static one that knows the image) and records `repo@digest`.
    let digest =
        Digest::parse("sha256:49c18358df82f4577386404991c51a9559f243e0b1bdc366df250123456789ab")?;
    let mut found = ImportedImage::new(
        digest.clone(),
        "application/vnd.docker.distribution.manifest.v2+json",
    );
    found.config = Some(api::DockerImageMetadata {
        created: Some(clock.now() - TimeDelta::days(15)),
        architecture: "amd64".into(),
        size: 251_200_000,
        ..Default::default()
    });
    service.registry().insert(&source, found);
    for imported in service.import(&admin, &ns, &python)?.asked {
        println!("imported {} from {}", imported.tag, imported.from);
    }

    // 6.7.1: describe the stream and the tag.
    clock.advance(TimeDelta::seconds(75));
    let stored = service.get(&admin, &ns, &python)?;
    println!(
        "$ oc describe is/python\n{}",
        describe_image_stream(&stored.value, clock.now(), Style::Classic)
    );
    let istag = service.image_stream_tag(&admin, &ns, "python:3.5")?;
    println!(
        "$ oc describe istag/python:3.5\n{}",
        describe_image_stream_tag(&istag, clock.now(), Style::Classic)
    );

    // 6.7.2: `oc tag python:3.5 python:latest` pins latest to that image.
    for done in service.tag(
        &admin,
        &ns,
        &TagCommand::new(["python:3.5", "python:latest"]),
    )? {
        println!("$ oc tag python:3.5 python:latest\n{done}\n");
    }
    clock.advance(TimeDelta::minutes(4));
    let stored = service.get(&admin, &ns, &python)?;
    println!(
        "$ oc describe is/python\n{}",
        describe_image_stream(&stored.value, clock.now(), Style::Classic)
    );
    println!(
        "$ oc get is\n{}",
        get_image_streams([&stored.value], clock.now())
    );

    // Each tag with its spec, status and history: `oc get imagetag`.
    println!(
        "$ oc get imagetag\n{}",
        get_image_tags(&service.image_tags(&admin, &ns)?, clock.now())
    );

    // `oc import-image python:3.5 --dry-run`: ask the registry again and
    // show what an import would bring, writing nothing.
    let dry_run = ImportImage::new("python:3.5").dry_run(true);
    let before = service.get(&admin, &ns, &python)?.resource_version;
    let answer = service.import_image(&admin, &ns, &dry_run)?;
    let printed = import_image_output(&answer, dry_run.is_dry_run(), clock.now(), Style::Classic);
    print!("$ oc import-image python:3.5 --dry-run\n{}", printed.stdout);
    eprint!("{}", printed.stderr);
    assert_eq!(
        service.get(&admin, &ns, &python)?.resource_version,
        before,
        "a dry run writes nothing"
    );

    // 6.4: a second image on latest, then a rollback to the first.
    let newer = Digest::of_sha256(b"python 3.6");
    let newer_spec = ImageReference::parse(&format!(
        "docker-registry.default.svc:5000/default/python@{newer}"
    ))?;
    let now = clock.now();
    service.update(&admin, &ns, &python, |is| {
        is.add_event(
            &TagName::parse("latest")?,
            TagEvent::new(newer_spec.clone(), Some(newer.clone()), 3, now),
        );
        Ok(())
    })?;
    service.rollback(
        &admin,
        &ns,
        &python,
        &TagName::parse("latest")?,
        &RollbackTarget::Revision(1),
    )?;
    let stored = service.get(&admin, &ns, &python)?;
    let history = stored
        .value
        .history("latest")
        .ok_or("latest has a history")?;
    println!("latest, newest first:");
    for e in history {
        println!("  {}", e.pull_spec());
    }

    // 6.7.5: `oc tag -d python:3.5`.
    for done in service.tag(&admin, &ns, &TagCommand::new(["python:3.5"]).delete(true))? {
        println!("\n$ oc tag -d python:3.5\n{done}");
    }
    println!(
        "tags left: {:?}",
        service
            .get(&admin, &ns, &python)?
            .value
            .histories()
            .map(|(t, _)| t.to_string())
            .collect::<Vec<_>>()
    );
    Ok(())
}
