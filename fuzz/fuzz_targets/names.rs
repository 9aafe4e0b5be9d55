//! OpenShift names: no panic; whatever parses re-parses from its Display.
#![no_main]

use imagestream::reference::{Digest, IsImageName, IsTagName, Namespace, StreamName, TagName};
use libfuzzer_sys::fuzz_target;

macro_rules! round_trip {
    ($ty:ty, $s:expr) => {
        if let Ok(v) = <$ty>::parse($s) {
            let shown = v.to_string();
            let again =
                <$ty>::parse(&shown).unwrap_or_else(|e| panic!("{:?}: {shown:?} fails: {e}", $s));
            assert_eq!(again, v);
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    round_trip!(TagName, s);
    round_trip!(StreamName, s);
    round_trip!(Namespace, s);
    round_trip!(IsTagName, s);
    round_trip!(IsImageName, s);
    round_trip!(Digest, s);
    if let Ok(v) = IsTagName::parse_lenient(s) {
        assert_eq!(
            IsTagName::parse(&v.to_string())
                .unwrap_or_else(|e| panic!("law: {v} (joined form) parses strictly: {e}")),
            v
        );
    }
    let _ = IsTagName::parse_destination(s);
});
