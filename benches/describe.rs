//! `oc describe is` on 1,000- and 10,000-tag streams with 10 events each:
//! the time should scale linearly (10k / 1k <= 12x).
//!
//! Measured twice:
//! - `cold`: every iteration starts with the caches flushed (a 64 MiB
//!   sweep, not timed), as when a server describes a stream it has not
//!   touched lately. Both sizes then read their stream from memory, so the
//!   ratio shows how the work scales.
//! - `hot`: the same stream described over and over. A 1k-tag stream
//!   (about 4 MB with its output) then stays in the last-level cache while a
//!   10k-tag one (about 40 MB) cannot, so this ratio also contains the
//!   machine's cache cliff.
//!
//! Two memory layouts: `decoded` is a stream as read from storage (the
//! conversion allocates tag by tag), `scattered` the generator's own
//! stream, whose events were pushed round-robin across all tags, so each
//! tag's data is spread over the heap.

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use imagestream::chrono::DateTime;
use imagestream::describe::{Style, describe_image_stream};
use imagestream::{api, stream::ImageStream};

mod support;

/// Larger than any last-level cache on the machines we measure on.
const SWEEP: usize = 64 << 20;

/// Evicts the caches by writing one byte in every line of `buf`.
fn flush(buf: &mut [u8]) {
    for line in buf.chunks_mut(64) {
        line[0] = line[0].wrapping_add(1);
    }
    black_box(buf);
}

fn describe(c: &mut Criterion) {
    let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let mut sweep = vec![0u8; SWEEP];
    let mut g = c.benchmark_group("describe/is");
    g.sample_size(10);
    for (layout, tags) in [
        ("decoded", 1_000usize),
        ("decoded", 10_000),
        ("scattered", 1_000),
        ("scattered", 10_000),
    ] {
        let scattered = support::history_stream(tags, 0, 10);
        let is = if layout == "decoded" {
            ImageStream::try_from(api::ImageStream::from(&scattered)).expect("round trips")
        } else {
            scattered
        };
        let lines = describe_image_stream(&is, now, Style::Current)
            .lines()
            .count();
        assert!(lines > tags * 10);
        let run = || describe_image_stream(black_box(&is), now, Style::Current);
        g.bench_with_input(
            BenchmarkId::new(format!("cold/{layout}"), tags),
            &tags,
            |b, _| {
                b.iter_batched(|| flush(&mut sweep), |()| run(), BatchSize::PerIteration);
            },
        );
        g.bench_with_input(
            BenchmarkId::new(format!("hot/{layout}"), tags),
            &tags,
            |b, _| {
                b.iter(run);
            },
        );
    }
    g.finish();
}

criterion_group!(benches, describe);
criterion_main!(benches);
