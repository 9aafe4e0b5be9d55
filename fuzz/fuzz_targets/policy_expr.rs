//! Tag policy and hold texts: no panic; whatever parses re-parses from its
//! Display as the same value; error positions lie inside the text; and a
//! policy chooses over tags made of the same bytes without panicking, the
//! choice one of them and the same as the explained one.
#![no_main]

use imagestream::ops::policy::{Candidate, choose, explain};
use imagestream::stream::{Hold, TagPolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    // The policy is the text up to a NUL; the tags follow, one per line.
    let (policy_text, tags) = s.split_once('\0').unwrap_or((s, "1.0.0\nv2.3.4\nlatest"));
    match TagPolicy::parse(policy_text) {
        Err(e) => assert!(e.position() <= policy_text.len(), "{policy_text:?}: {e}"),
        Ok(p) => {
            let shown = p.to_string();
            let again = TagPolicy::parse(&shown)
                .unwrap_or_else(|e| panic!("{policy_text:?} shows as {shown:?}, which fails: {e}"));
            assert_eq!(again, p);
            let candidates: Vec<Candidate> = tags.lines().map(Candidate::new).collect();
            let chosen = choose(&p, &candidates);
            if let Some(c) = chosen {
                assert!(candidates.contains(c));
            }
            assert_eq!(explain(&p, &candidates).chosen.as_ref(), chosen);
        }
    }
    if let Ok(h) = Hold::parse(s) {
        let shown = h.to_string();
        assert_eq!(Hold::parse(&shown).unwrap_or_else(|e| panic!("{shown:?}: {e}")), h);
    }
});
