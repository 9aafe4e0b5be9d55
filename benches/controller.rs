//! One controller tick over many watched streams, of which a few changed:
//! its cost follows the changed streams, not the watched ones. Three
//! workloads in one run, so the ratios compare like with like:
//! 1 % vs 10 % of 100,000 streams changed (≈ 10×), and 1 % of 100,000 vs
//! 1 % of 10,000 (≈ 10×). Each changed stream is one spec change, one
//! registry request, one import written and seen again. Also prints the
//! controller's memory per watched stream.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use imagestream::chrono::{DateTime, TimeDelta};
use imagestream::controller::Controller;
use imagestream::ports::{
    Clock, ImportedImage, ManualClock, MemoryStore, Rbac, StaticRegistry, Subject,
};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::service::ImageStreams;
use imagestream::stream::{ImageStream, SpecTag, TagSource};

/// Counts the bytes live, to report the controller's memory.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size().cast_signed(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size().cast_signed(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size.cast_signed() - layout.size().cast_signed(),
            Ordering::Relaxed,
        );
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

type Service = ImageStreams<MemoryStore, StaticRegistry, Rbac, ManualClock>;

/// `n` streams with one imported external tag each, and a controller that
/// has seen them all.
struct Fleet {
    service: Arc<Service>,
    clock: Arc<ManualClock>,
    controller: Controller<MemoryStore, StaticRegistry, Rbac, ManualClock>,
    names: Vec<StreamName>,
    sources: [ImageReference; 2],
    /// The next stream to change, and which source each stream has.
    cursor: usize,
    flipped: Vec<bool>,
}

fn ns() -> Namespace {
    Namespace::parse("bench").unwrap()
}

impl Fleet {
    fn new(n: usize) -> Self {
        let clock = Arc::new(ManualClock::new(
            DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        ));
        let registry = StaticRegistry::new();
        let sources = [
            ImageReference::parse("quay.io/org/app:a").unwrap(),
            ImageReference::parse("quay.io/org/app:b").unwrap(),
        ];
        for (i, s) in sources.iter().enumerate() {
            let d = Digest::of_sha256(format!("image {i}").as_bytes());
            registry.insert(
                s,
                ImportedImage::new(d, "application/vnd.oci.image.manifest.v1+json"),
            );
        }
        let service = Arc::new(ImageStreams::new(
            // Room for one round of the largest batch's changes.
            Arc::new(MemoryStore::with_log_capacity(4 * n.max(1_000))),
            Arc::new(registry),
            Arc::new(Rbac::new()),
            clock.clone(),
        ));
        let admin = Subject::system_admin();
        let names: Vec<StreamName> = (0..n)
            .map(|i| StreamName::parse(&format!("app-{i:06}")).unwrap())
            .collect();
        let mut controller = Controller::new(service.clone());
        for name in &names {
            service
                .create(&admin, ImageStream::new(ns(), name.clone()).unwrap())
                .unwrap();
            set(&service, &sources[0], name);
            // Sync as we go, so the change log never overflows.
            if service.store().revision() % 1_000 < 2 {
                controller.tick(clock.now()).unwrap();
            }
        }
        controller.tick(clock.now()).unwrap();
        assert_eq!(controller.watched(), n);
        Self {
            service,
            clock,
            controller,
            names,
            sources,
            cursor: 0,
            flipped: vec![false; n],
        }
    }

    /// Changes the next `k` streams' source (not timed).
    fn change(&mut self, k: usize) {
        for _ in 0..k {
            let i = self.cursor % self.names.len();
            self.cursor += 1;
            self.flipped[i] = !self.flipped[i];
            set(
                &self.service,
                &self.sources[usize::from(self.flipped[i])],
                &self.names[i],
            );
        }
        self.clock.advance(TimeDelta::seconds(1));
    }

    /// One tick; asserts it imported exactly the changed streams.
    fn tick(&mut self, k: usize) {
        let report = self.controller.tick(self.clock.now()).unwrap();
        assert_eq!(report.requests, k);
        black_box(report);
    }
}

fn set(service: &Service, source: &ImageReference, name: &StreamName) {
    let spec = SpecTag::new(TagSource::DockerImage(source.clone()));
    service
        .set_spec_tag(
            &Subject::system_admin(),
            &ns(),
            name,
            &TagName::parse("t").unwrap(),
            &spec,
        )
        .unwrap();
}

fn tick(c: &mut Criterion) {
    let mut group = c.benchmark_group("controller/tick");
    group.sample_size(10);
    let mut large = Fleet::new(100_000);
    let mut small = Fleet::new(10_000);
    for (label, use_large, k) in [
        ("100000 streams, 1% changed", true, 1_000),
        ("100000 streams, 10% changed", true, 10_000),
        ("10000 streams, 1% changed", false, 100),
    ] {
        let fleet = if use_large { &mut large } else { &mut small };
        group.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    fleet.change(k);
                    let start = Instant::now();
                    fleet.tick(k);
                    total += start.elapsed();
                }
                total
            });
        });
    }
    group.finish();
    ratios(&mut large, &mut small);
    memory(large);
}

/// The ratios, measured in this run on the same fleets (median of 9).
fn ratios(large: &mut Fleet, small: &mut Fleet) {
    let time = |fleet: &mut Fleet, k: usize| {
        let mut runs: Vec<f64> = (0..9)
            .map(|_| {
                fleet.change(k);
                let start = Instant::now();
                fleet.tick(k);
                start.elapsed().as_secs_f64()
            })
            .collect();
        runs.sort_by(f64::total_cmp);
        runs[4]
    };
    let one = time(large, 1_000);
    let ten = time(large, 10_000);
    let small_one = time(small, 100);
    println!(
        "controller/tick ratios: 10% vs 1% of 100,000 = {:.1}x (expect ~10); \
         1% of 100,000 vs 1% of 10,000 = {:.1}x (expect ~10); \
         per changed stream {:.1} us",
        ten / one,
        one / small_one,
        one / 1_000.0 * 1e6
    );
}

/// The controller's memory per watched stream: the bytes its drop frees.
fn memory(fleet: Fleet) {
    let n = fleet.names.len();
    let Fleet { controller, .. } = fleet;
    let before = LIVE.load(Ordering::Relaxed);
    drop(controller);
    let freed = before - LIVE.load(Ordering::Relaxed);
    println!(
        "controller memory: {freed} bytes for {n} watched streams = {} bytes per stream",
        freed / isize::try_from(n.max(1)).unwrap_or(isize::MAX)
    );
}

criterion_group!(benches, tick);
criterion_main!(benches);
