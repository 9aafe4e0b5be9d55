//! `oc describe is` on 1,000- and 10,000-tag streams with 10 events each:
//! the time should scale linearly (10k / 1k <= 12x).
//!
//! Two memory layouts: `decoded` is a stream as read from storage (the
//! conversion allocates tag by tag), `scattered` the generator's own
//! stream, whose events were pushed round-robin across all tags, so each
//! tag's data is spread over the heap. The second shows the cost of poor
//! locality once the stream no longer fits in cache.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use imagestream::chrono::DateTime;
use imagestream::describe::{Style, describe_image_stream};
use imagestream::{api, stream::ImageStream};

mod support;

fn describe(c: &mut Criterion) {
    let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
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
        g.bench_with_input(BenchmarkId::new(layout, tags), &tags, |b, _| {
            b.iter(|| {
                let out = describe_image_stream(black_box(&is), now, Style::Current);
                assert_eq!(out.lines().count(), lines);
                out
            });
        });
    }
    g.finish();
}

criterion_group!(benches, describe);
criterion_main!(benches);
