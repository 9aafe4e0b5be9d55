//! Issue #10's scale checks, each against a baseline in the same run:
//! - tracking chains: creating and describing a stream whose spec is one
//!   chain t1 -> t0, t2 -> t1, ... of 1,000 and of 10,000 tags; ten times
//!   the tags must cost at most 15 times the time (about linear; it was
//!   cubic for describe and quadratic for create);
//! - the scheduler's first call after a 1-day gap with 100,000 streams,
//!   beside one regular interval of calls (each stream once in both);
//! - `MemoryStore` peak heap under 1,000 annotation updates of a 1,000-tag
//!   stream, with the default byte budget beside an unbounded log (the old
//!   behaviour), counted by this binary's global allocator.
//!
//! The ratios are printed (`ratio ...`) from timings taken before
//! Criterion's own runs, each the median of 21 (inputs built outside the
//! timing).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use imagestream::api;
use imagestream::chrono::{DateTime, TimeDelta, Utc};
use imagestream::describe::{Style, describe_image_stream};
use imagestream::ops::schedule::{ScheduleConfig, Scheduler};
use imagestream::ports::{MemoryStore, StreamStore};
use imagestream::stream::{ImageStream, SpecChanges, SpecContext};

mod support;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts bytes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size().cast_signed(), Ordering::Relaxed)
            + layout.size().cast_signed();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size().cast_signed(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let delta = new_size.cast_signed() - layout.size().cast_signed();
        let now = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).expect("in range")
}

/// A stream whose spec is the chain t1 -> t0, t2 -> t1, ..., t0 a
/// reference to an external image.
fn chain(n: usize) -> ImageStream {
    let mut wire = api::ImageStream::default();
    wire.metadata.name = "app".into();
    wire.metadata.namespace = "default".into();
    for i in 0..n {
        let from = if i == 0 {
            api::ObjectReference::new("DockerImage", "busybox:1")
        } else {
            api::ObjectReference::new("ImageStreamTag", format!("t{}", i - 1))
        };
        wire.spec.tags.push(api::TagReference {
            name: format!("t{i}"),
            from: Some(from),
            reference: i == 0,
            ..Default::default()
        });
    }
    ImageStream::try_from(wire).expect("a valid chain")
}

fn created(n: usize) -> ImageStream {
    let mut is = chain(n);
    is.prepare_for_create(&SpecContext::new(start()))
        .expect("no circle");
    is
}

/// The median of 21 runs of `f`, each on a fresh input from `setup`
/// (made outside the timing, and its output dropped outside it, as
/// Criterion's `iter_batched` does): on a shared machine the median is
/// steadier than the best run.
fn median_of<T, U>(setup: impl Fn() -> T, f: impl Fn(T) -> U) -> Duration {
    let mut times: Vec<Duration> = (0..21)
        .map(|_| {
            let input = setup();
            let t = Instant::now();
            let out = f(input);
            let elapsed = t.elapsed();
            drop(black_box(out));
            elapsed
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Creates `is`; returns it with what changed, to be dropped untimed.
fn create(mut is: ImageStream) -> (ImageStream, SpecChanges) {
    let changes = is
        .prepare_for_create(&SpecContext::new(start()))
        .expect("no circle");
    (is, changes)
}

fn describe(is: &ImageStream) -> String {
    describe_image_stream(is, start(), Style::Classic)
}

fn tracking(c: &mut Criterion) {
    let (bare_small, bare_large) = (chain(1_000), chain(10_000));
    // A 1,000-tag stream fits a core's cache and a 10,000-tag one does
    // not, so the 1,000 -> 10,000 ratio holds a memory-hierarchy step as
    // well as the algorithm's growth; 10,000 -> 100,000 shows the growth
    // alone.
    let bare_huge = chain(100_000);
    let times: Vec<Duration> = [&bare_small, &bare_large, &bare_huge]
        .into_iter()
        .map(|bare| median_of(|| bare.clone(), create))
        .collect();
    println!(
        "ratio tracking/create 10,000 vs 1,000 tags: {:.1}; 100,000 vs 10,000: {:.1} ({times:?})",
        times[1].as_secs_f64() / times[0].as_secs_f64(),
        times[2].as_secs_f64() / times[1].as_secs_f64(),
    );
    let (small, large, huge) = (created(1_000), created(10_000), created(100_000));
    let times: Vec<Duration> = [&small, &large, &huge]
        .into_iter()
        .map(|is| median_of(|| is, describe))
        .collect();
    println!(
        "ratio tracking/describe 10,000 vs 1,000 tags: {:.1}; 100,000 vs 10,000: {:.1} ({times:?})",
        times[1].as_secs_f64() / times[0].as_secs_f64(),
        times[2].as_secs_f64() / times[1].as_secs_f64(),
    );
    drop((bare_huge, huge));
    let mut g = c.benchmark_group("hardening/tracking");
    g.sample_size(10);
    for (n, bare, is) in [(1_000, &bare_small, &small), (10_000, &bare_large, &large)] {
        g.bench_function(format!("create, chain of {n}"), |b| {
            b.iter_batched(|| bare.clone(), create, criterion::BatchSize::LargeInput);
        });
        g.bench_function(format!("describe, chain of {n}"), |b| {
            b.iter(|| describe(is));
        });
    }
    g.finish();
}

const STREAMS: u32 = 100_000;

fn scheduler() -> Scheduler<u32, u32> {
    let mut s = Scheduler::new(ScheduleConfig::default(), start()).expect("a valid interval");
    for k in 0..STREAMS {
        s.add(k, 0);
    }
    s
}

/// The first call after a day without calls: one visit of every bucket.
fn after_gap(mut s: Scheduler<u32, u32>) -> usize {
    let due = s.due(start() + TimeDelta::days(1));
    assert_eq!(due.import.len() + due.skipped.len(), STREAMS as usize);
    due.import.len()
}

/// One interval of regular calls, one per bucket visit.
fn regular(mut s: Scheduler<u32, u32>) -> usize {
    (0..=4)
        .map(|i| {
            let due = s.due(start() + TimeDelta::seconds(225 * i));
            due.import.len() + due.skipped.len()
        })
        .sum()
}

fn schedule(c: &mut Criterion) {
    let timed = |f: fn(Scheduler<u32, u32>) -> usize| {
        (0..5)
            .map(|_| {
                let s = scheduler();
                let t = Instant::now();
                black_box(f(s));
                t.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    let (g1, r1) = (timed(after_gap), timed(regular));
    println!(
        "ratio schedule/1-day gap vs one regular interval, 100k streams: {:.2} ({g1:?} / {r1:?})",
        g1.as_secs_f64() / r1.as_secs_f64()
    );
    let mut g = c.benchmark_group("hardening/schedule");
    g.sample_size(10);
    g.bench_function("100k streams, first call after a 1-day gap", |b| {
        b.iter_batched(scheduler, after_gap, criterion::BatchSize::LargeInput);
    });
    g.bench_function("100k streams, one regular interval", |b| {
        b.iter_batched(scheduler, regular, criterion::BatchSize::LargeInput);
    });
    g.finish();
}

/// Peak heap above the start while 1,000 annotation updates go into
/// `store`, and the time they took.
fn updates(store: &MemoryStore) -> (isize, Duration) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let t = Instant::now();
    let is = ImageStream::try_from(support::big_stream(1_000, 2)).expect("valid");
    let mut current = store.create(is).expect("created");
    for i in 0..1_000 {
        let mut next = current.value.clone();
        next.set_annotation("example.com/counter", i.to_string());
        current = store
            .update(next, current.resource_version)
            .expect("no contention");
    }
    (PEAK.load(Ordering::Relaxed) - base, t.elapsed())
}

#[allow(clippy::cast_precision_loss)] // byte counts far below 2^52
fn memory(c: &mut Criterion) {
    let (bounded, tb) = updates(&MemoryStore::new());
    let (unbounded, tu) = updates(&MemoryStore::new().with_log_bytes(usize::MAX));
    println!(
        "peak bytes, 1,000 updates of a 1,000-tag stream: {bounded} with the default budget, {unbounded} unbounded; ratio {:.3} ({tb:?} vs {tu:?})",
        bounded as f64 / unbounded as f64
    );
    let mut g = c.benchmark_group("hardening/memory");
    g.sample_size(10);
    g.bench_function("1,000 updates of a 1,000-tag stream, default budget", |b| {
        b.iter(|| black_box(updates(&MemoryStore::new())));
    });
    g.finish();
}

criterion_group!(benches, tracking, schedule, memory);
criterion_main!(benches);
