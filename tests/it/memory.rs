//! Heap bytes a domain stream holds per history event, measured with a
//! counting allocator (its own binary; counts per thread).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use imagestream::{api, stream};

#[path = "../benches/support/mod.rs"]
mod support;

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts bytes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.with(|c| c.set(c.get() + layout.size().cast_signed()));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.with(|c| c.set(c.get() - layout.size().cast_signed()));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.with(|c| c.set(c.get() + new_size.cast_signed() - layout.size().cast_signed()));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

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
