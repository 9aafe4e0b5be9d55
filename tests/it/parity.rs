//! OpenShift parity (issue 11): each test names the Go function whose
//! behaviour it reproduces; where OpenShift's own tests have table cases
//! they are ported here (the facts, not the code).

use imagestream::api;
use imagestream::ops::import::{
    ImportScope, REPOSITORY_CHECK_ANNOTATION, needs_import, plan_import, plan_repository_import,
};
use imagestream::stream::ImageStream;
use serde_json::json;

/// A domain stream from its v1 JSON.
#[track_caller]
fn stream_from(value: serde_json::Value) -> ImageStream {
    let wire: api::ImageStream = serde_json::from_value(value).unwrap();
    ImageStream::try_from(wire).unwrap()
}

fn checked() -> serde_json::Value {
    json!({ REPOSITORY_CHECK_ANNOTATION: "2017-10-02T17:05:11Z" })
}

fn event(generation: i64) -> serde_json::Value {
    json!({
        "created": "2017-10-02T17:05:11Z",
        "dockerImageReference": "test/other@sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "image": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "generation": generation,
    })
}

fn tag(name: &str, from: &str, generation: Option<i64>) -> serde_json::Value {
    let mut t = json!({ "name": name, "from": { "kind": "DockerImage", "name": from } });
    if let Some(g) = generation {
        t["generation"] = json!(g);
    }
    t
}

/// OCM `imagestream_controller.go` :: `handleImageStream` / `needsImport`,
/// the cases of its `TestHandleImageStream` table: (stream, the images the
/// ImageStreamImport asks for as `from -> to`, whether the repository is
/// asked for).
#[test]
fn import_requests_follow_handle_image_stream() {
    let cases: Vec<(&str, serde_json::Value, Vec<&str>)> = vec![
        (
            "checked, no tags",
            json!({"metadata": {"name": "test", "namespace": "other", "annotations": checked()}}),
            vec![],
        ),
        (
            "checked, a repository",
            json!({"metadata": {"name": "test", "namespace": "other", "annotations": checked()},
                   "spec": {"dockerImageRepository": "test/other"}}),
            vec![],
        ),
        (
            "checked with an error text, a repository",
            json!({"metadata": {"name": "test", "namespace": "other",
                                "annotations": {REPOSITORY_CHECK_ANNOTATION: "a random error"}},
                   "spec": {"dockerImageRepository": "test/other"}}),
            vec![],
        ),
        (
            "references are ignored",
            json!({"metadata": {"name": "test", "namespace": "other"},
                   "spec": {"tags": [{"name": "latest", "reference": true,
                       "from": {"kind": "DockerImage", "name": "test/other:latest"}}]}}),
            vec![],
        ),
        (
            "a spec tag will be imported",
            json!({"metadata": {"name": "test", "namespace": "other"},
                   "spec": {"tags": [tag("latest", "test/other:latest", None)]}}),
            vec!["test/other:latest -> latest"],
        ),
        (
            "a generation with no status will be imported",
            json!({"metadata": {"name": "test", "namespace": "other"},
                   "spec": {"tags": [tag("latest", "test/other:latest", Some(2))]}}),
            vec!["test/other:latest -> latest"],
        ),
        (
            "an older status generation will be imported, an equal one not",
            json!({"metadata": {"name": "test", "namespace": "other"},
                   "spec": {"tags": [tag("v1", "test/other:v1", Some(1)),
                                     tag("latest", "test/other:latest", Some(2))]},
                   "status": {"tags": [{"tag": "v1", "items": [event(1)]},
                                       {"tag": "latest", "items": [event(1)]}]}}),
            vec!["test/other:latest -> latest"],
        ),
        (
            "a failed condition at an equal generation is not imported",
            json!({"metadata": {"name": "test", "namespace": "other", "annotations": checked()},
                   "spec": {"tags": [tag("latest", "test/other:latest", Some(2))]},
                   "status": {"tags": [{"tag": "latest", "conditions": [
                       {"type": "ImportSuccess", "status": "False", "generation": 2}]}]}}),
            vec![],
        ),
        (
            "a failed condition at an older generation is imported",
            json!({"metadata": {"name": "test", "namespace": "other", "annotations": checked()},
                   "spec": {"tags": [tag("latest", "test/other:latest", Some(2))]},
                   "status": {"tags": [{"tag": "latest", "conditions": [
                       {"type": "ImportSuccess", "status": "False", "generation": 1}]}]}}),
            vec!["test/other:latest -> latest"],
        ),
        (
            "checked, an older status generation is imported",
            json!({"metadata": {"name": "test", "namespace": "other", "annotations": checked()},
                   "spec": {"tags": [tag("latest", "test/other:latest", Some(2))]},
                   "status": {"tags": [{"tag": "latest", "items": [event(1)]}]}}),
            vec!["test/other:latest -> latest"],
        ),
        (
            "an external repository",
            json!({"metadata": {"name": "test", "namespace": "other"},
                   "spec": {"tags": [tag("1.1", "some/repo:mytag", None)]}}),
            vec!["some/repo:mytag -> 1.1"],
        ),
        (
            "checked, the current status generation is ignored",
            json!({"metadata": {"name": "test", "namespace": "other", "annotations": checked()},
                   "spec": {"tags": [tag("latest", "test/other:latest", Some(2))]},
                   "status": {"tags": [{"tag": "latest", "items": [event(2)]}]}}),
            vec![],
        ),
    ];
    for (name, value, want) in cases {
        let is = stream_from(value);
        let got: Vec<String> = plan_import(&is)
            .iter()
            .map(|t| format!("{} -> {}", t.from, t.tag))
            .collect();
        assert_eq!(got, want, "{name}");
        assert!(plan_repository_import(&is).is_none(), "{name}");
    }
}

/// `needsImport`: a partial import of a checked stream asks only for tags
/// whose generation is ahead; a tag without a generation is not a reason
/// to import, but once an import happens it is asked for too
/// (`tagNeedsImport(.., true)` in `handleImageStream`). A full import
/// (repository, never checked) asks for every importable tag, whatever
/// its generation, and for the repository.
#[test]
fn full_import_needs_an_unchecked_repository() {
    let partial = stream_from(json!({
        "metadata": {"name": "test", "namespace": "other", "annotations": checked()},
        "spec": {"tags": [tag("nil", "test/other:nil", None),
                          tag("seen", "test/other:seen", Some(1)),
                          tag("ahead", "test/other:ahead", Some(2))]},
        "status": {"tags": [{"tag": "seen", "items": [event(1)]},
                            {"tag": "ahead", "items": [event(1)]}]}}));
    assert_eq!(needs_import(&partial), ImportScope::Partial);
    let tags: Vec<String> = plan_import(&partial)
        .iter()
        .map(|t| t.tag.to_string())
        .collect();
    assert_eq!(tags, ["ahead", "nil"]);

    // Only a generation-less tag: no reason to import at all.
    let idle = stream_from(json!({
        "metadata": {"name": "test", "namespace": "other", "annotations": checked()},
        "spec": {"tags": [tag("nil", "test/other:nil", None),
                          tag("seen", "test/other:seen", Some(1))]},
        "status": {"tags": [{"tag": "seen", "items": [event(1)]}]}}));
    assert_eq!(needs_import(&idle), ImportScope::None);
    assert!(plan_import(&idle).is_empty());

    let full = stream_from(json!({
        "metadata": {"name": "test", "namespace": "other",
                     "annotations": {"openshift.io/image.insecureRepository": "true"}},
        "spec": {"dockerImageRepository": "test/other",
                 "tags": [tag("seen", "test/other:seen", Some(1))]},
        "status": {"tags": [{"tag": "seen", "items": [event(1)]}]}}));
    assert_eq!(needs_import(&full), ImportScope::Full);
    let tags: Vec<String> = plan_import(&full)
        .iter()
        .map(|t| t.tag.to_string())
        .collect();
    assert_eq!(tags, ["seen"]);
    let (repo, policy) = plan_repository_import(&full).unwrap();
    assert_eq!(repo.as_str(), "test/other");
    assert!(policy.insecure);

    // Never checked, no repository: a partial import of the importable
    // tags that need it (here: seen at its generation is not asked for).
    let unchecked = stream_from(json!({
        "metadata": {"name": "test", "namespace": "other"},
        "spec": {"tags": [tag("seen", "test/other:seen", Some(1)),
                          tag("nil", "test/other:nil", None)]},
        "status": {"tags": [{"tag": "seen", "items": [event(1)]}]}}));
    assert_eq!(needs_import(&unchecked), ImportScope::Partial);
    let tags: Vec<String> = plan_import(&unchecked)
        .iter()
        .map(|t| t.tag.to_string())
        .collect();
    assert_eq!(tags, ["nil"]);
}

/// oc `pkg/helpers/image/helpers.go` :: `FollowTagReference`, the cases of
/// its `TestFollowTagReference` table (`oc describe` helpers): the final
/// tag and the `multiple` flag come back with every outcome, errors
/// included.
#[test]
fn follow_tag_reference_reports_final_tag_and_multiple() {
    use imagestream::stream::FollowErrorKind as K;
    let ist = |name: &str, from: &str| json!({"name": name, "from": {"kind": "ImageStreamTag", "name": from}});
    let cases: Vec<(&str, &str, serde_json::Value, (&str, bool, Option<K>))> = vec![
        (
            "follow tag reference",
            "testis",
            json!([
                ist("mytag", "sometag"),
                tag("sometag", "repo.com/somens/someimage:sometag", None)
            ]),
            ("sometag", true, None),
        ),
        (
            "follow tag reference with istag:mytag format",
            "testis",
            json!([
                ist("mytag", "testis:sometag"),
                tag("sometag", "repo.com/somens/someimage:sometag", None)
            ]),
            ("sometag", true, None),
        ),
        (
            "no tag reference error",
            "testis",
            json!([
                ist("mytag", "correcttag"),
                tag("wrongtag", "repo.com/somens/someimage:mytag", None)
            ]),
            ("correcttag", true, Some(K::NotFound)),
        ),
        (
            "cross image tag reference error",
            "testis",
            json!([ist("mytag", "another:sometag")]),
            ("mytag", false, Some(K::OtherStream)),
        ),
        (
            "cross namespace tag reference error",
            "thisis",
            json!([{"name": "mytag", "from": {"kind": "ImageStreamTag", "namespace": "anotherns", "name": "thisis:sometag"}}]),
            ("mytag", false, Some(K::OtherStream)),
        ),
        (
            "circular tag reference error",
            "testis",
            json!([ist("mytag", "sometag"), ist("sometag", "mytag")]),
            ("mytag", true, Some(K::Circular)),
        ),
    ];
    for (name, stream, tags, (final_tag, multiple, err)) in cases {
        let is = stream_from(json!({
            "metadata": {"name": stream, "namespace": "thisns"},
            "spec": {"tags": tags}}));
        match (is.follow_tag_reference("mytag"), err) {
            (Ok(f), None) => {
                assert_eq!(
                    (f.tag.as_str(), f.multiple),
                    (final_tag, multiple),
                    "{name}"
                );
            }
            (Err(e), Some(kind)) => {
                assert_eq!(
                    (e.kind(), e.tag(), e.multiple()),
                    (kind, final_tag, multiple),
                    "{name}"
                );
                assert_eq!(e.to_string(), kind.to_string(), "{name}: oc's message");
            }
            (got, _) => panic!("{name}: {got:?}"),
        }
    }
}
