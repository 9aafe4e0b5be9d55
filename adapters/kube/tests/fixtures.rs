//! Real OpenShift output, from public sources, decodes into [`Object`] and
//! encodes back to the same JSON, metadata included.
//!
//! Each fixture in `tests/fixtures/` is what an OpenShift API server wrote
//! (`oc get -o json`/`-o yaml`, or a create's response), or, for the
//! create-only `ImageStreamMapping`, a request body from OpenShift's own
//! tests; `tests/fixtures/SOURCES.md` says where each comes from and what,
//! if anything, was changed. Every test checks three things:
//!
//! - decode then encode gives the fixture's JSON (as values: key order and
//!   whitespace aside);
//! - the same through the `api` type: `into_inner`, then `Object::new`;
//! - concrete facts, through k8s-openapi's metadata and through `Deref` to
//!   the `api` object, so a decoder that dropped fields would fail even if
//!   the encoder dropped them too.

use std::fmt::Write as _;

use imagestream::api;
use imagestream_kube::{
    ApiObject, Image, ImageStream, ImageStreamImage, ImageStreamImport, ImageStreamMapping,
    ImageStreamTag, ImageTag, Object,
};
use serde_json::Value;

/// Decodes `text`, checks both round trips, and returns the object.
fn round_trip<T: ApiObject + PartialEq>(fixture: &str, text: &str) -> Object<T> {
    let want: Value = serde_json::from_str(text).expect("the fixture is JSON");
    let obj: Object<T> = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{fixture}: does not decode as {}: {e}", T::KIND));

    let got = serde_json::to_value(&obj).expect("encodes");
    assert_same(fixture, "decode → encode", &got, &want);

    let inner: T = obj.clone().into_inner();
    let again = Object::new(inner);
    let got = serde_json::to_value(&again).expect("encodes");
    assert_same(fixture, "into_inner → Object::new → encode", &got, &want);
    assert_eq!(
        again, obj,
        "{fixture}: into_inner → Object::new changed the object"
    );
    obj
}

/// Value equality, with every differing path listed on failure.
fn assert_same(fixture: &str, how: &str, got: &Value, want: &Value) {
    if got == want {
        return;
    }
    let mut out = String::new();
    diff("", got, want, &mut out);
    panic!("{fixture}: {how} does not give the fixture back:\n{out}");
}

fn diff(path: &str, got: &Value, want: &Value, out: &mut String) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                let p = format!("{path}.{k}");
                match g.get(k) {
                    Some(gv) => diff(&p, gv, wv, out),
                    None => {
                        let _ = writeln!(out, "  {p}: missing (fixture has {wv})");
                    }
                }
            }
            for (k, gv) in g {
                if !w.contains_key(k) {
                    let _ = writeln!(out, "  {path}.{k}: added {gv} (not in the fixture)");
                }
            }
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                diff(&format!("{path}[{i}]"), gv, wv, out);
            }
        }
        _ if got != want => {
            let _ = writeln!(out, "  {path}: {got} (fixture has {want})");
        }
        _ => {}
    }
}

/// A k8s-openapi time as RFC 3339 text.
fn time(
    t: Option<&imagestream_kube::k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
) -> String {
    t.map(|t| t.0.to_string()).unwrap_or_default()
}

#[test]
fn image_stream_ci_tools() {
    let is: ImageStream = round_trip(
        "imagestream-ci-tools.json",
        include_str!("fixtures/imagestream-ci-tools.json"),
    );
    assert_eq!(is.api_version, "image.openshift.io/v1");
    assert_eq!(is.metadata.name.as_deref(), Some("pipeline"));
    assert_eq!(is.metadata.namespace.as_deref(), Some("ci-op-jpdy23wx"));
    assert_eq!(is.metadata.resource_version.as_deref(), Some("632136220"));
    assert_eq!(
        is.metadata.uid.as_deref(),
        Some("7df88811-8103-11ea-99ef-42010a8e0002")
    );
    assert_eq!(is.metadata.generation, Some(3));
    assert_eq!(
        is.metadata.self_link.as_deref(),
        Some("/apis/image.openshift.io/v1/namespaces/ci-op-jpdy23wx/imagestreams/pipeline")
    );
    assert_eq!(
        time(is.metadata.creation_timestamp.as_ref()),
        "2020-04-17T23:30:58Z"
    );
    assert!(is.spec.lookup_policy.local);
    assert_eq!(is.spec.tags.len(), 2);
    assert_eq!(is.spec.tags[0].name, "base");
    assert_eq!(is.spec.tags[0].annotations, None, "written as null");
    assert_eq!(is.spec.tags[0].generation, Some(3));
    let from = is.spec.tags[0].from.as_ref().expect("from");
    assert_eq!(from.kind, "ImageStreamImage");
    assert_eq!(from.namespace, "ocp");
    assert_eq!(is.spec.tags[1].reference_policy.type_, "Local");
    assert_eq!(
        is.status.public_docker_image_repository,
        "registry.svc.ci.openshift.org/ci-op-jpdy23wx/pipeline"
    );
    assert_eq!(is.status.tags.len(), 5);
    assert_eq!(is.status.tags[4].tag, "src");
    assert_eq!(is.status.tags[3].items[0].generation, 2);
    assert_eq!(
        is.status.tags[3].items[0].image,
        "sha256:fd41b8b3efb8db1187ac231ca84863a8106880d049123d6eddfe21d7f751c627"
    );

    let stream = imagestream::stream::ImageStream::try_from(is.into_inner())
        .unwrap_or_else(|e| panic!("the domain rejects a real stream: {e}"));
    drop(stream);
}

#[test]
fn image_stream_tag_ci_tools() {
    let ist: ImageStreamTag = round_trip(
        "imagestreamtag-ci-tools.json",
        include_str!("fixtures/imagestreamtag-ci-tools.json"),
    );
    assert_eq!(ist.kind, "ImageStreamTag");
    assert_eq!(
        ist.metadata.name.as_deref(),
        Some("4.5:cluster-openshift-apiserver-operator")
    );
    assert_eq!(ist.metadata.namespace.as_deref(), Some("ocp"));
    assert_eq!(ist.metadata.resource_version.as_deref(), Some("648362424"));
    assert_eq!(
        ist.metadata.uid.as_deref(),
        Some("b0a8b6e6-16df-11ea-a519-42010a8e0003")
    );
    assert_eq!(
        time(ist.metadata.creation_timestamp.as_ref()),
        "2020-04-15T21:42:25Z"
    );
    assert_eq!(ist.generation, 4638);
    assert!(!ist.lookup_policy.local);
    let tag = ist.tag.as_ref().expect("spec tag");
    assert_eq!(tag.name, "cluster-openshift-apiserver-operator");
    assert_eq!(tag.generation, Some(4638));
    assert_eq!(tag.reference_policy.type_, "Source");
    // The embedded image keeps its own metadata in the api type.
    assert_eq!(
        ist.image.metadata.name,
        "sha256:afb7f3a8d0918dd655ffd808186ece1e49e236e8645dbbff934e83c0b146f1d6"
    );
    assert_eq!(ist.image.metadata.resource_version, "626750246");
    assert_eq!(ist.image.metadata.annotations.len(), 3);
    assert_eq!(ist.image.docker_image_layers.len(), 5);
    assert_eq!(ist.image.docker_image_layers[0].size, 76_252_616);
    let meta = ist.image.docker_image_metadata.as_ref().expect("metadata");
    assert_eq!(meta.size, 113_678_077);
    assert_eq!(meta.docker_version, "1.13.1");
    let config = meta.config.as_ref().expect("config");
    assert_eq!(config.labels["build-date"], "2020-03-10T10:38:13.657446");
    assert_eq!(config.cmd, ["/bin/bash"]);
    assert_eq!(
        meta.container_config.entrypoint,
        ["/bin/sh", "-c", "#(imagebuilder)"]
    );
}

#[test]
fn image_stream_tag_manifest_list_ci_tools() {
    let ist: ImageStreamTag = round_trip(
        "imagestreamtag-ci-tools-manifest-list.json",
        include_str!("fixtures/imagestreamtag-ci-tools-manifest-list.json"),
    );
    assert_eq!(
        ist.metadata.name.as_deref(),
        Some("redhat-operator-index:v4.10")
    );
    assert_eq!(ist.metadata.resource_version.as_deref(), Some("1354079801"));
    assert_eq!(
        ist.metadata.uid.as_deref(),
        Some("af5e61f5-e753-4df4-a7fa-9f2d05ede694")
    );
    assert_eq!(
        time(ist.metadata.creation_timestamp.as_ref()),
        "2023-06-28T18:01:36Z"
    );
    assert!(ist.lookup_policy.local);
    let tag = ist.tag.as_ref().expect("spec tag");
    assert_eq!(tag.import_policy.import_mode, "PreserveOriginal");
    assert_eq!(tag.reference_policy.type_, "Local");
    assert_eq!(
        ist.image.docker_image_manifest_media_type,
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );
    assert!(ist.image.docker_image_layers.is_empty());
    assert_eq!(ist.image.docker_image_manifests.len(), 4);
    assert_eq!(ist.image.docker_image_manifests[3].architecture, "s390x");
    assert_eq!(ist.image.docker_image_manifests[1].manifest_size, 1251);
    let meta = ist.image.docker_image_metadata.as_ref().expect("metadata");
    assert_eq!(meta.api_version, "image.openshift.io/1.0");
    assert!(meta.config.is_none());
}

#[test]
fn image_ocp4_ci_tools() {
    let image: Image = round_trip(
        "image-ci-tools-ocp4.json",
        include_str!("fixtures/image-ci-tools-ocp4.json"),
    );
    assert_eq!(
        image.metadata.name.as_deref(),
        Some("sha256:59c70bff3ab1a065bd6e577d7bbf42f52765eb22a04e4b0ec615b9960d0c913a")
    );
    assert_eq!(image.metadata.namespace, None, "cluster-scoped");
    assert_eq!(
        image.metadata.resource_version.as_deref(),
        Some("1354079335")
    );
    assert_eq!(
        image.metadata.uid.as_deref(),
        Some("ab04dff3-0655-432c-b5f3-1cc6bb32e4e8")
    );
    assert_eq!(
        time(image.metadata.creation_timestamp.as_ref()),
        "2023-06-28T18:01:36Z"
    );
    assert_eq!(
        image.metadata.annotations.as_ref().expect("annotations")["image.openshift.io/dockerLayersOrder"],
        "ascending"
    );
    assert_eq!(image.docker_image_layers.len(), 6);
    assert_eq!(image.docker_image_layers[4].size, 139_492_272);
    assert_eq!(
        image.docker_image_manifest_media_type,
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    let meta = image.docker_image_metadata.as_ref().expect("metadata");
    assert_eq!(meta.api_version, "image.openshift.io/1.0");
    assert_eq!(meta.parent, "sha256:p");
    assert_eq!(meta.size, 308_487_321);
    let config = meta.config.as_ref().expect("config");
    assert_eq!(config.user, "1001");
    assert_eq!(config.working_dir, "/registry");
    assert!(config.exposed_ports.contains_key("50051/tcp"));
    assert_eq!(config.env.len(), 17);
}

#[test]
fn image_ocp3_ci_tools() {
    let image: Image = round_trip(
        "image-ci-tools-ocp3.json",
        include_str!("fixtures/image-ci-tools-ocp3.json"),
    );
    assert_eq!(
        image.metadata.name.as_deref(),
        Some("sha256:3823c45b9feec9e861d1fd7ef268e38717b3b94adae26dd76eba3ac5f8b8cab9")
    );
    assert_eq!(
        image.metadata.resource_version.as_deref(),
        Some("573523026")
    );
    assert_eq!(
        image.metadata.uid.as_deref(),
        Some("ef4c7cb1-6d3b-11ea-8a30-42010a8e0004")
    );
    assert_eq!(
        time(image.metadata.creation_timestamp.as_ref()),
        "2020-03-23T19:24:37Z"
    );
    assert_eq!(
        image
            .metadata
            .annotations
            .as_ref()
            .map(std::collections::BTreeMap::len),
        Some(3)
    );
    assert_eq!(image.docker_image_layers.len(), 4);
    let meta = image.docker_image_metadata.as_ref().expect("metadata");
    assert_eq!(meta.api_version, "1.0");
    assert_eq!(meta.size, 84_491_022);
}

#[test]
fn image_stream_import_osbs_client() {
    let isi: ImageStreamImport = round_trip(
        "imagestreamimport-osbs-client.json",
        include_str!("fixtures/imagestreamimport-osbs-client.json"),
    );
    assert_eq!(isi.api_version, "v1");
    assert_eq!(isi.metadata.name.as_deref(), Some("test_imagestream"));
    assert_eq!(isi.metadata.namespace.as_deref(), Some("osbs-stage"));
    assert_eq!(
        isi.metadata.uid.as_deref(),
        Some("1ddd01bc-ec3d-11e9-9f3e-fa163e98c891")
    );
    assert_eq!(isi.metadata.resource_version, None, "an import has none");
    assert_eq!(
        time(isi.metadata.creation_timestamp.as_ref()),
        "2019-10-11T15:38:04Z"
    );
    assert!(isi.spec.import);
    assert_eq!(isi.spec.images.len(), 3);
    assert_eq!(
        isi.spec.images[0].from.name,
        "example.com/prometheus/prometheus:v2.13.0"
    );
    assert_eq!(
        isi.spec.images[0].to.as_ref().map(|t| t.name.as_str()),
        Some("v2.13.0")
    );
    assert_eq!(isi.spec.images[0].reference_policy.type_, "Source");
    let stream = isi
        .status
        .import
        .as_ref()
        .expect("the stream after the import");
    assert_eq!(stream.metadata.resource_version, "59465552");
    assert_eq!(stream.metadata.generation, 2);
    assert_eq!(stream.spec.tags.len(), 3);
    assert_eq!(stream.status.tags[2].tag, "7.2.username-68");
    assert_eq!(isi.status.images.len(), 3);
    let first = &isi.status.images[0];
    assert_eq!(first.status.status, "Success");
    assert_eq!(first.tag, "7.2.username-66");
    let image = first.image.as_ref().expect("image");
    assert_eq!(image.docker_image_layers.len(), 9);
    assert_eq!(
        image.docker_image_metadata.as_ref().map(|m| m.size),
        Some(51_719_262)
    );
}

#[test]
fn image_stream_mapping_origin() {
    let ism: ImageStreamMapping = round_trip(
        "imagestreammapping-origin.json",
        include_str!("fixtures/imagestreammapping-origin.json"),
    );
    assert_eq!(ism.api_version, "v1");
    assert_eq!(ism.metadata.name.as_deref(), Some("test"));
    assert_eq!(ism.metadata.creation_timestamp, None, "written as null");
    assert_eq!(ism.tag, "sometag");
    assert_eq!(
        ism.image.metadata.name,
        "sha256:4986bf8c15363d1c5d15512d5266f8777bfba4974ac56e3270e7760f6f0a8125"
    );
    assert_eq!(
        ism.image.docker_image_reference,
        "openshift/ruby-19-centos:latest"
    );
    assert!(
        ism.image
            .docker_image_manifest
            .contains("\"name\": \"library/busybox\"")
    );
    let meta = ism.image.docker_image_metadata.as_ref().expect("metadata");
    assert_eq!(meta.id, "");
    assert_eq!(meta.created, None);
    assert_eq!(meta.config, Some(api::DockerConfig::default()));
}

// No public source has `oc get isimage`/`oc get imagetag` output; these two
// are composed from the real objects above the way OpenShift's REST
// storage composes them (openshift-apiserver's `imagestreamimage` and
// `imagetag` registries: the stream's namespace, `<stream>@<id>` or
// `<stream>:<tag>` as the name, the image embedded whole, its manifest
// and config cleared).

fn real_image() -> Value {
    let mut image: Value =
        serde_json::from_str(include_str!("fixtures/image-ci-tools-ocp4.json")).unwrap();
    let object = image.as_object_mut().unwrap();
    object.remove("dockerImageManifest");
    object.remove("dockerImageConfig");
    image
}

#[test]
fn image_stream_image_composed_of_a_real_image() {
    let image = real_image();
    let id = image["metadata"]["name"].as_str().unwrap().to_owned();
    let composed = serde_json::json!({
        "kind": "ImageStreamImage",
        "apiVersion": "image.openshift.io/v1",
        "metadata": {
            "name": format!("pipeline@{id}"),
            "namespace": "ci-op-jpdy23wx",
            "uid": image["metadata"]["uid"],
            "resourceVersion": image["metadata"]["resourceVersion"],
            "creationTimestamp": image["metadata"]["creationTimestamp"],
        },
        "image": image,
    });
    let text = composed.to_string();
    let isi: ImageStreamImage = round_trip("(composed) ImageStreamImage", &text);
    assert_eq!(
        isi.metadata.name.as_deref(),
        Some(format!("pipeline@{id}").as_str())
    );
    assert_eq!(isi.image.metadata.name, id);
    assert!(!isi.image.docker_image_layers.is_empty());
}

#[test]
fn image_tag_composed_of_a_real_stream_and_image() {
    let stream: Value =
        serde_json::from_str(include_str!("fixtures/imagestream-ci-tools.json")).unwrap();
    let composed = serde_json::json!({
        "kind": "ImageTag",
        "apiVersion": "image.openshift.io/v1",
        "metadata": {
            "name": "pipeline:src",
            "namespace": stream["metadata"]["namespace"],
            "uid": stream["metadata"]["uid"],
            "resourceVersion": stream["metadata"]["resourceVersion"],
            "creationTimestamp": stream["metadata"]["creationTimestamp"],
        },
        "spec": null,
        "status": stream["status"]["tags"][4],
        "image": real_image(),
    });
    let text = composed.to_string();
    let tag: ImageTag = round_trip("(composed) ImageTag", &text);
    assert_eq!(tag.metadata.name.as_deref(), Some("pipeline:src"));
    assert!(tag.spec.is_none(), "a status-only tag has no spec");
    assert_eq!(tag.status.as_ref().map(|s| s.tag.as_str()), Some("src"));
    assert!(tag.image.is_some());
}
