//! The pure operations at scale:
//! - the scheduled-import scheduler over one 15-minute cycle of 100,000
//!   streams, polled every second, beside a naive scheduler that scans
//!   every stream's last import time on each poll;
//! - planning and applying a scheduled import of a 1,000-tag stream.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use imagestream::chrono::{DateTime, TimeDelta, Utc};
use imagestream::ops::import::{
    ImportResult, TagImport, apply_import, imported_image, plan_scheduled_import,
};
use imagestream::ops::schedule::{ScheduleConfig, Scheduler};
use imagestream::reference::{Digest, ImageReference, Namespace, StreamName, TagName};
use imagestream::stream::{ImageStream, ImportPolicy, SpecContext, SpecTag, TagSource};

const STREAMS: u32 = 100_000;
const CYCLE: i64 = 900;

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).expect("in range")
}

/// Polls `s` every second for one cycle; returns the imports.
fn one_cycle(s: &mut Scheduler<u32, u32>) -> usize {
    (1..=CYCLE)
        .map(|t| s.due(start() + TimeDelta::seconds(t)).import.len())
        .sum()
}

/// The naive way: every poll scans all streams for those due.
fn naive_cycle(last: &mut [i64]) -> usize {
    let mut n = 0;
    for t in 1..=CYCLE {
        for l in last.iter_mut() {
            if t - *l >= CYCLE {
                *l = t;
                n += 1;
            }
        }
    }
    n
}

fn schedule(c: &mut Criterion) {
    let mut g = c.benchmark_group("ops/schedule");
    g.sample_size(10);
    g.bench_function("scheduler, 100k streams, one cycle", |b| {
        b.iter_batched(
            || {
                let mut s = Scheduler::new(ScheduleConfig::default().max_per_minute(0), start())
                    .expect("900 s is a valid interval");
                for k in 0..STREAMS {
                    s.add(k, 0);
                }
                s
            },
            |mut s| {
                let n = one_cycle(&mut s);
                assert_eq!(n, STREAMS as usize);
                n
            },
            criterion::BatchSize::LargeInput,
        );
    });
    g.bench_function("naive scan, 100k streams, one cycle", |b| {
        b.iter_batched(
            || {
                (0..i64::from(STREAMS))
                    .map(|k| -(k % CYCLE))
                    .collect::<Vec<_>>()
            },
            |mut last| black_box(naive_cycle(&mut last)),
            criterion::BatchSize::LargeInput,
        );
    });
    g.finish();
}

fn import(c: &mut Criterion) {
    let ctx = SpecContext::new(start());
    let mut is = ImageStream::new(
        Namespace::parse("ns").expect("valid"),
        StreamName::parse("app").expect("valid"),
    )
    .expect("valid");
    let mut spec = std::collections::BTreeMap::new();
    for t in 0..1_000 {
        let from = ImageReference::parse(&format!("quay.io/org/app:t{t}")).expect("valid");
        spec.insert(
            TagName::parse(&format!("t{t:04}")).expect("valid"),
            SpecTag::new(TagSource::DockerImage(from))
                .with_import_policy(ImportPolicy::default().scheduled(true)),
        );
    }
    is.update_spec(spec, &ctx).expect("no cycles");
    let answers = |is: &ImageStream, round: u8| -> Vec<(TagImport, ImportResult)> {
        plan_scheduled_import(is)
            .into_iter()
            .map(|r| {
                let d = Digest::of_sha256(format!("{}{round}", r.tag).as_bytes());
                let image = imported_image(&r.from, &d, "", Vec::new(), None, Vec::new(), start());
                (r, ImportResult::Imported(Box::new(image)))
            })
            .collect()
    };
    let first = answers(&is, 0);
    apply_import(&mut is, &first, &ctx).expect("applies");
    let unchanged = answers(&is, 0);
    let moved = answers(&is, 1);
    let mut g = c.benchmark_group("ops/import");
    g.bench_function("plan, 1k scheduled tags", |b| {
        b.iter(|| plan_scheduled_import(black_box(&is)));
    });
    g.bench_function("apply, 1k tags unchanged (no write)", |b| {
        b.iter_batched(
            || is.clone(),
            |mut s| {
                assert!(
                    !apply_import(&mut s, &unchanged, &ctx)
                        .expect("applies")
                        .changed()
                );
                s
            },
            criterion::BatchSize::LargeInput,
        );
    });
    g.bench_function("apply, 1k tags moved", |b| {
        b.iter_batched(
            || is.clone(),
            |mut s| {
                assert!(
                    apply_import(&mut s, &moved, &ctx)
                        .expect("applies")
                        .changed()
                );
                s
            },
            criterion::BatchSize::LargeInput,
        );
    });
    g.finish();
}

criterion_group!(benches, schedule, import);
criterion_main!(benches);
