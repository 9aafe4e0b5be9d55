//! Heap bytes a domain stream holds per history event, measured with a
//! counting allocator (counted per thread, so parallel tests do not disturb it).

use imagestream::{api, stream};

use crate::util::alloc::live;
use crate::util::workloads as support;

#[test]
#[allow(clippy::cast_precision_loss)] // byte counts far below 2^52
fn domain_stream_holds_at_most_256_bytes_per_event() {
    let (tags, events) = (1_000, 10);
    let json = serde_json::to_vec(&support::big_stream(tags, events)).unwrap();
    let before = live();
    let wire: api::ImageStream = serde_json::from_slice(&json).unwrap();
    let domain = stream::ImageStream::try_from(wire).unwrap();
    let held = live() - before;
    let per_event = held as f64 / (tags * events) as f64;
    println!(
        "domain stream: {held} heap bytes for {} events = {per_event:.1} bytes/event (JSON: {} bytes)",
        tags * events,
        json.len()
    );
    assert!(per_event <= 256.0, "{per_event:.1} bytes per event");
    assert_eq!(domain.histories().len(), tags);
    drop(domain);
    assert!(live() - before < 1024, "everything freed");
}
