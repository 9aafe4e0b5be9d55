//! Issue 15: a write costs what it changes, not what the stream holds.
//!
//! - One mapping, one `set_spec_tag` and one `oc tag` through the
//!   in-memory service into streams of 10, 1,000 and 10,000 tags × 5
//!   events (built by decoding the wire JSON, stored directly): the
//!   10,000-tag time beside the 10-tag time is the ratio (goal ≤ 3×).
//! - 8 writers mapping into one 10,000-tag stream beside 8 writers on a
//!   10-tag stream (time per write; throughput is its inverse).
//! - Memory: 1,000 versions of a 10,000-tag stream in `MemoryStore`, one
//!   tag changed per version; the peak heap beside one stream's heap is
//!   printed (goal: under 2× one stream plus the changes).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering};
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use imagestream::api;
use imagestream::chrono::DateTime;
use imagestream::ops::tag::TagCommand;
use imagestream::ports::{ManualClock, MemoryStore, Rbac, StaticRegistry, StreamStore, Subject};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::service::ImageStreams;
use imagestream::stream::{ImageStream, SpecTag, TagEvent, TagSource};

mod support;

/// Counts the bytes live on the heap and their peak, for the memory
/// measurement (two relaxed atomics per allocation; the same for every
/// stream size, so the time ratios are unaffected).
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn record(bytes: isize) {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: forwards to the system allocator unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size().cast_signed());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        record(-layout.size().cast_signed());
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size.cast_signed() - layout.size().cast_signed());
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SIZES: [usize; 3] = [10, 1_000, 10_000];
const EVENTS: usize = 5;
const REGISTRY: &str = "172.30.56.218:5000";

type Service = ImageStreams<MemoryStore, StaticRegistry, Rbac, ManualClock>;

/// A `tags` × 5 stream decoded from its wire JSON (capped at 5 entries a
/// tag, so repeated pushes keep every history the same length).
fn decoded(tags: usize) -> ImageStream {
    let mut wire = support::big_stream(tags, EVENTS);
    wire.metadata
        .annotations
        .insert(api::HISTORY_LIMIT_ANNOTATION.into(), EVENTS.to_string());
    let json = serde_json::to_vec(&wire).expect("serializes");
    let wire: api::ImageStream = serde_json::from_slice(&json).expect("decodes");
    ImageStream::try_from(wire).expect("valid")
}

/// The service over a store holding one decoded stream of `tags` tags.
fn service(tags: usize) -> Service {
    let store = Arc::new(MemoryStore::new());
    store.create(decoded(tags)).expect("creates");
    ImageStreams::new(
        store,
        Arc::new(StaticRegistry::new()),
        Arc::new(Rbac::new()),
        Arc::new(ManualClock::new(
            DateTime::from_timestamp(1_700_000_000, 0).expect("in range"),
        )),
    )
    .with_internal_registry(REGISTRY)
    .with_max_attempts(1_000)
}

/// Image numbers never repeat within the run.
static NEXT_IMAGE: AtomicU64 = AtomicU64::new(0);

fn mapping(tag: &str) -> api::ImageStreamMapping {
    let n = NEXT_IMAGE.fetch_add(1, Ordering::Relaxed);
    let d = Digest::of_sha256(&n.to_be_bytes());
    let mut m = api::ImageStreamMapping::default();
    m.metadata.name = "origin-ruby-sample".into();
    m.metadata.namespace = "test".into();
    m.tag = tag.into();
    m.image.metadata.name = d.to_string();
    m.image.docker_image_reference = format!("{REGISTRY}/test/origin-ruby-sample@{d}");
    m
}

fn one_write(c: &mut Criterion) {
    let admin = Subject::system_admin();
    let ns = Namespace::parse("test").expect("valid");
    let name = StreamName::parse("origin-ruby-sample").expect("valid");

    let mut g = c.benchmark_group("write_cost/mapping");
    for tags in SIZES {
        let svc = service(tags);
        g.bench_with_input(BenchmarkId::from_parameter(tags), &tags, |b, _| {
            b.iter(|| {
                let changes = svc.create_mapping(&admin, mapping("tag-00000")).unwrap();
                assert!(changes.changed());
                changes
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("write_cost/set_spec_tag");
    let tag = TagName::parse("tag-00000").expect("valid");
    let specs: Vec<SpecTag> = (0..2)
        .map(|n| {
            let source = ImageReference::parse(&format!("quay.io/org/app:v{n}")).expect("valid");
            SpecTag::new(TagSource::DockerImage(source))
        })
        .collect();
    for tags in SIZES {
        let svc = service(tags);
        // Kept across criterion's calls, so every write changes the tag.
        let mut n = 0;
        g.bench_with_input(BenchmarkId::from_parameter(tags), &tags, |b, _| {
            b.iter(|| {
                n += 1;
                let changes = svc
                    .set_spec_tag(&admin, &ns, &name, &tag, &specs[n % 2])
                    .unwrap();
                assert!(changes.generation_bumped, "{changes:?} {n}");
                changes
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("write_cost/oc_tag");
    let commands: Vec<TagCommand> = (0..2)
        .map(|n| {
            TagCommand::new([
                format!("quay.io/org/app:w{n}"),
                "origin-ruby-sample:tag-00001".to_owned(),
            ])
        })
        .collect();
    for tags in SIZES {
        let svc = service(tags);
        // Kept across criterion's calls, so every write changes the tag.
        let mut n = 0;
        g.bench_with_input(BenchmarkId::from_parameter(tags), &tags, |b, _| {
            b.iter(|| {
                n += 1;
                let done = svc.tag(&admin, &ns, &commands[n % 2]).unwrap();
                assert_eq!(done.len(), 1);
                done
            });
        });
    }
    g.finish();
}

/// 8 threads mapping into 8 tags of one stream: the time per write of
/// all of them together (throughput is its inverse).
fn eight_writers(c: &mut Criterion) {
    let admin = Subject::system_admin();
    let mut g = c.benchmark_group("write_cost/8-writers-mapping");
    g.sample_size(10);
    for tags in [10, 10_000] {
        let svc = service(tags);
        g.bench_with_input(BenchmarkId::from_parameter(tags), &tags, |b, _| {
            b.iter_custom(|iters| {
                let (svc, admin) = (&svc, &admin);
                let start = Instant::now();
                std::thread::scope(|scope| {
                    for t in 0..8 {
                        scope.spawn(move || {
                            let tag = format!("tag-{t:05}");
                            for _ in 0..iters.div_ceil(8) {
                                svc.create_mapping(admin, mapping(&tag)).unwrap();
                            }
                        });
                    }
                });
                start.elapsed()
            });
        });
    }
    g.finish();
}

/// 1,000 versions of a 10,000-tag stream, one tag changed in each, in a
/// `MemoryStore` that keeps them all in its change log.
fn memory(c: &mut Criterion) {
    let base = LIVE.load(Ordering::Relaxed);
    let store = MemoryStore::new();
    let mut current = store.create(decoded(10_000)).expect("creates");
    let first = current.resource_version;
    // The store's snapshot and the caller's copy share everything.
    let one = LIVE.load(Ordering::Relaxed) - base;
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let at = DateTime::from_timestamp(1_700_000_000, 0).expect("in range");
    for i in 0..1_000u64 {
        let mut next = current.value.clone();
        let tag = TagName::parse(&format!("tag-{:05}", (i * 7) % 10_000)).expect("valid");
        let d = Digest::of_sha256(&i.to_be_bytes());
        let pull_spec = ImageReference::parse(&format!("{REGISTRY}/test/origin-ruby-sample@{d}"))
            .expect("valid");
        assert!(next.add_event(&tag, TagEvent::new(pull_spec, Some(d), 1, at)));
        current = store
            .update(next, current.resource_version)
            .expect("updates");
    }
    let peak = PEAK.load(Ordering::Relaxed) - base;
    let held = LIVE.load(Ordering::Relaxed) - base;
    let kept = store.changes_since(first).expect("all kept").len();
    println!(
        "write_cost/memory: one 10,000-tag stream {one} B; after 1,000 one-tag versions \
         ({kept} kept in the log) {held} B held, peak {peak} B = {}% of one stream, \
         {} B a version beyond it",
        peak * 100 / one,
        (peak - one) / 1_000
    );
    drop(store);
    // A criterion entry, so the group shows in the report: one clone of
    // the stored stream (what every read hands out).
    c.bench_function("write_cost/memory/clone-10000", |b| {
        b.iter(|| black_box(&current).clone());
    });
}

criterion_group!(benches, one_write, eight_writers, memory);
criterion_main!(benches);
