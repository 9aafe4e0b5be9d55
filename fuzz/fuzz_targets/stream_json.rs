//! Arbitrary bytes as JSON: never panic; whatever converts to the domain
//! round-trips through the wire unchanged, and describes (`oc describe`,
//! `oc get`) without panicking. An input starting with `#` instead shapes a
//! hostile stream from its next bytes (a label of up to 200,000 tabs, a
//! tracking chain of up to 4,096 tags, in any order on the wire) that must
//! describe on a 256 KiB thread stack (issue #10, points 1 and 2).
//!
//! The `unwrap_or_else(panic!)` calls below are the laws the target checks
//! (our own output reads back), each with the input in its message; no
//! value the input can make invalid is unwrapped.
#![no_main]

use imagestream::chrono::{DateTime, Utc};
use imagestream::describe::{Style, describe_image_stream, get_image_streams};
use imagestream::{api, stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(shape) = data.strip_prefix(b"#") {
        hostile(shape);
        return;
    }
    let Ok(wire) = serde_json::from_slice::<api::ImageStream>(data) else {
        return;
    };
    if let Err(e) = serde_json::to_vec(&wire) {
        panic!("law: a read object writes: {e}: {wire:?}");
    }
    let Ok(domain) = stream::ImageStream::try_from(wire) else {
        return;
    };
    let back = api::ImageStream::from(&domain);
    let text = serde_json::to_vec(&back)
        .unwrap_or_else(|e| panic!("law: our output writes: {e}: {back:?}"));
    let again: api::ImageStream = serde_json::from_slice(&text).unwrap_or_else(|e| {
        panic!(
            "law: our output {:?} reads: {e}",
            String::from_utf8_lossy(&text)
        )
    });
    assert_eq!(again, back);
    let converted = stream::ImageStream::try_from(again)
        .unwrap_or_else(|e| panic!("law: our output converts: {e}: {back:?}"));
    assert_eq!(converted, domain);
    let _ = domain.consistency_report();
    let now = now();
    for style in [Style::Classic, Style::Current] {
        let text = describe_image_stream(&domain, now, style);
        assert!(text.starts_with("Name:") && text.ends_with('\n'), "{text}");
    }
    let table = get_image_streams([&domain], now);
    assert!(
        table.starts_with("NAME ") && table.ends_with('\n'),
        "{table}"
    );
});

fn now() -> DateTime<Utc> {
    // A constant in range.
    DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
}

/// A stream shaped by the input's first bytes: `tabs` tabs in a label and
/// a chain of `chain` tracking tags (t1 -> t0, t2 -> t1, ...), in random
/// order on the wire, described on a small stack.
fn hostile(data: &[u8]) {
    let [a, b, c, ..] = *data else { return };
    let tabs = (usize::from(a) << 10 | usize::from(b) << 2) % 200_001;
    let chain = (usize::from(b) << 8 | usize::from(c)) % 4097;
    let mut tags: Vec<serde_json::Value> = (0..chain)
        .map(|i| {
            let from = if i == 0 {
                serde_json::json!({"kind": "DockerImage", "name": "busybox:1"})
            } else {
                serde_json::json!({"kind": "ImageStreamTag", "name": format!("t{}", i - 1)})
            };
            serde_json::json!({"name": format!("t{i}"), "from": from})
        })
        .collect();
    // The order on the wire does not matter; rotate by the input.
    if !tags.is_empty() {
        let by = usize::from(c) % tags.len();
        tags.rotate_left(by);
    }
    let json = serde_json::json!({
        "metadata": {"name": "deep", "namespace": "fuzz",
                     "labels": {"deep": "\t".repeat(tabs)}},
        "spec": {"tags": tags},
    });
    let Ok(wire) = serde_json::from_value::<api::ImageStream>(json) else {
        panic!("law: a stream of valid tags and a tab label reads");
    };
    let domain = stream::ImageStream::try_from(wire)
        .unwrap_or_else(|e| panic!("law: a chain of valid tags converts: {e}"));
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let text = describe_image_stream(&domain, now(), Style::Classic);
            assert!(text.len() >= tabs, "every tab is written");
            if chain > 1 {
                // Every tag of the chain is an alias of its root `t0`.
                assert!(text.contains("t0 (t1"), "aliases of t0 listed");
            }
        });
    match worker.map(std::thread::JoinHandle::join) {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        // No thread to run on: nothing about the crate to check.
        Err(_) => {}
    }
}
