//! OpenShift references: no panic; whatever parses re-parses from its
//! lossless form to the same value, and its accessors agree with it.
#![no_main]

use imagestream::reference::{ErrorKind, ImageReference};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(r) = ImageReference::parse(s) else {
        return;
    };
    assert_eq!(r.as_str(), s, "the parts reassemble into the input");
    let again = ImageReference::parse(r.as_str())
        .unwrap_or_else(|e| panic!("{s:?}: lossless form {:?} fails: {e}", r.as_str()));
    assert_eq!(again, r, "{s:?}");
    let shown = r.to_string();
    if !shown.is_empty() {
        match ImageReference::parse(&shown) {
            Ok(reparsed) => assert_eq!(reparsed.to_string(), shown, "{s:?}"),
            // OpenShift's String() inserts `library/` on Docker Hub, which
            // can push a name past the 255-byte limit; nothing else may fail.
            Err(e) => assert!(
                e.kind() == ErrorKind::NameTooLong && shown.len() == s.len() + "library/".len(),
                "{s:?}: Display {shown:?} fails: {e}"
            ),
        }
    }
    if let Some(id) = r.id() {
        assert!(s.ends_with(id), "{s:?}: id {id:?}");
    }
    let _ = (
        r.exact(),
        r.minimal(),
        r.daemon_minimal(),
        r.as_v2(),
        r.registry_host_port(true),
    );
});
