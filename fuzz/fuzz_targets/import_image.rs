//! Arbitrary `oc import-image` arguments against no stream and a fixed one,
//! the server reading the request, local names and go-units values: none
//! of it panics, and every request `oc` would send names something to
//! import.
#![no_main]

use imagestream::chrono::TimeDelta;
use imagestream::describe::{BINARY_UNITS, Style, custom_size, human_duration_in};
use imagestream::ops::import_image::{ImportImage, images_to_import};
use imagestream::reference::Namespace;
use imagestream::stream::{ImageStream, local_name};
use libfuzzer_sys::fuzz_target;

const STREAM: &str = r#"{"metadata":{"name":"testis","namespace":"other",
  "annotations":{"openshift.io/image.insecureRepository":"true"}},
  "spec":{"dockerImageRepository":"repo.com/somens/someimage","tags":[
    {"name":"ext","from":{"kind":"DockerImage","name":"repo.com/somens/someimage:ext"}},
    {"name":"alias","from":{"kind":"ImageStreamTag","name":"ext"}},
    {"name":"loop","from":{"kind":"ImageStreamTag","name":"loop"}},
    {"name":"other","from":{"kind":"ImageStreamTag","name":"otheris:x"}}]}}"#;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let (target, from) = text.split_once('\0').unwrap_or((&text, ""));
    let mut cmd = ImportImage::new(target)
        .confirm(flags & 1 != 0)
        .all(flags & 2 != 0)
        .scheduled(flags & 4 != 0)
        .dry_run(flags & 8 != 0);
    if flags & 16 != 0 {
        cmd = cmd.insecure(flags & 32 != 0);
    }
    if !from.is_empty() {
        cmd = cmd.from(from);
    }
    let ns = Namespace::parse("other").expect("valid");
    let wire: imagestream::api::ImageStream = serde_json::from_str(STREAM).expect("valid json");
    let stream = ImageStream::try_from(wire).expect("valid stream");
    for existing in [None, Some(&stream)] {
        if let Ok(isi) = cmd.request(&ns, existing) {
            assert!(!isi.spec.images.is_empty() || isi.spec.repository.is_some());
            assert_eq!(isi.spec.import, flags & 8 == 0);
            let _ = images_to_import(&isi);
        }
    }
    let _ = local_name(target, flags & 64 != 0);
    if rest.len() >= 8 {
        let mut b = [0; 8];
        b.copy_from_slice(&rest[..8]);
        let style = if flags & 128 != 0 {
            Style::Classic
        } else {
            Style::Current
        };
        let f = f64::from_le_bytes(b);
        assert!(!custom_size(f, usize::from(flags), 1024.0, &BINARY_UNITS, style).is_empty());
        let nanos = i64::from_le_bytes(b);
        assert!(!human_duration_in(TimeDelta::nanoseconds(nanos), style).is_empty());
    }
});
