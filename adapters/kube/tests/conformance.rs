//! The core's store conformance suite, on a mock API server.

mod support;

use imagestream::ports::{StoreChange, StreamStore};
use imagestream::testing::store as suite;
use support::{Behaviour, Served};

#[test]
fn kube_store_passes_the_store_conformance_suite() {
    imagestream::testing::store::run(Served::new);
}

#[test]
fn kube_store_reports_compaction_from_a_watch_error_event() {
    let one = Served::new();
    imagestream::testing::store::compaction(&one, |s| s.server.compact());
}

#[test]
fn kube_store_reports_compaction_from_a_410_response() {
    let served = Served::on(Behaviour {
        gone_as_http_status: true,
        ..Behaviour::default()
    });
    imagestream::testing::store::compaction(&served, |s| s.server.compact());
}

#[test]
fn on_openshifts_status_subresource_every_check_but_one_write_one_change_holds() {
    // OpenShift's API server keeps its own status on a create or update
    // of the stream and takes one only through `imagestreams/status`: the
    // store then writes the status there, at the version the first write
    // returned. What is stored is what was sent (every check below), but
    // such a write is two versions, and a watch sees both: the suite's
    // `changes_since` check (one change per write) cannot hold there.
    let make = || {
        Served::on(Behaviour {
            status_subresource: true,
            ..Behaviour::default()
        })
    };
    suite::create_get_update_conflict(&make());
    suite::server_set_fields(&make());
    suite::round_trip(&make());
    suite::contending_writers(&make());
    suite::delete_with_uid(&make());
    suite::paging(&make());
    suite::images(&make());
    suite::image_content(&make());
    suite::namespaces(&make());

    let one = make();
    let created = one.create(suite::rich_stream("w", "b")).unwrap();
    let changes = one.changes_since(0).unwrap();
    assert_eq!(changes.len(), 2, "the stream, then its status: {changes:?}");
    assert_eq!(changes[1], StoreChange::Updated(created));
}
