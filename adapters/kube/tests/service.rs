//! The core's service keeping its streams in an API server: a registry's
//! mapping lands as a status tag that `kube::Api` reads, on a server that
//! stores what it is sent and on one with OpenShift's status subresource.

mod support;

use std::sync::Arc;

use imagestream::api;
use imagestream::chrono::{TimeZone, Utc};
use imagestream::ports::{ManualClock, Rbac, StaticRegistry, Subject};
use imagestream::reference::{Digest, Namespace, StreamName};
use imagestream::service::ImageStreams;
use imagestream::stream::ImageStream;
use imagestream_kube::kube;
use support::{Behaviour, Served};

fn mapping(d: &Digest) -> api::ImageStreamMapping {
    let mut m = api::ImageStreamMapping::default();
    m.metadata.name = "app".into();
    m.metadata.namespace = "prod".into();
    m.tag = "latest".into();
    m.image.metadata.name = d.to_string();
    m.image.docker_image_reference = format!("172.30.1.1:5000/prod/app@{d}");
    m
}

fn run_on(behaviour: Behaviour) -> Vec<String> {
    let served = Arc::new(Served::on(behaviour));
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap());
    let svc = ImageStreams::new(
        Arc::clone(&served),
        Arc::new(StaticRegistry::new()),
        Arc::new(Rbac::new()),
        Arc::new(clock),
    );
    let admin = Subject::system_admin();
    let ns = Namespace::parse("prod").unwrap();
    svc.create(
        &admin,
        ImageStream::new(ns.clone(), StreamName::parse("app").unwrap()).unwrap(),
    )
    .unwrap();
    let (one, two) = (Digest::of_sha256(b"one"), Digest::of_sha256(b"two"));
    svc.create_mapping(&admin, mapping(&one)).unwrap();
    svc.create_mapping(&admin, mapping(&two)).unwrap();

    // What a kube client sees: the history, newest first, and the image.
    let client = served.store.client().clone();
    let key = two.to_string();
    let (stream, image) = served
        .store
        .block_on(async move {
            let streams: kube::Api<imagestream_kube::ImageStream> =
                kube::Api::namespaced(client.clone(), "prod");
            let images: kube::Api<imagestream_kube::Image> = kube::Api::all(client);
            (streams.get("app").await, images.get(&key).await)
        })
        .unwrap();
    let stream = stream.unwrap();
    let latest = &stream.status.tags[0];
    assert_eq!(latest.tag, "latest");
    let images: Vec<&str> = latest.items.iter().map(|e| e.image.as_str()).collect();
    assert_eq!(images, [two.as_str(), one.as_str()], "newest first");
    assert_eq!(
        image.unwrap().docker_image_reference,
        format!("172.30.1.1:5000/prod/app@{two}")
    );
    served
        .server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn mappings_through_the_service_land_in_the_api_server() {
    let requests = run_on(Behaviour::default());
    assert!(
        !requests.iter().any(|r| r.ends_with("/status")),
        "a server that stores the status as sent needs no second write"
    );
}

#[test]
fn mappings_land_on_a_server_with_openshifts_status_subresource() {
    let requests = run_on(Behaviour {
        status_subresource: true,
        ..Behaviour::default()
    });
    let status_writes = requests
        .iter()
        .filter(|r| r.starts_with("PUT ") && r.ends_with("/imagestreams/app/status"))
        .count();
    // The create (the server computed a status of its own) and each mapping.
    assert_eq!(status_writes, 3, "{requests:#?}");
}
