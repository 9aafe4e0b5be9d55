//! The reference grammar as one forward scan over bytes (private).
//!
//! This reproduces distribution/reference's `ReferenceRegexp` and
//! `anchoredNameRegexp` (and library-go's 2017 fork of them, which lacks
//! IPv6 hosts) without a regex engine: every production is a loop over a
//! byte-class table, and no byte is looked at more than twice (the first
//! path component is checked against both the domain and the path
//! productions, because the regexp's greedy optional domain group prefers a
//! domain whenever one fits).
//!
//! The scan only decides *syntax*. Length limits and digest validation are
//! the callers' business, because Go applies them after the regexp and in a
//! fixed order that the callers reproduce.

/// `[a-z0-9]`
const LOWER_ALNUM: u8 = 1;
/// `[A-Za-z0-9]`
const ALNUM: u8 = 2;
/// `\w` in Go (ASCII): `[A-Za-z0-9_]`
const WORD: u8 = 4;
/// `[[:xdigit:]]`
const HEX: u8 = 8;
/// `[0-9]`
const DIGIT: u8 = 16;
/// `[A-Za-z]`
const ALPHA: u8 = 32;
/// `[a-f0-9]`
const LOWER_HEX: u8 = 64;

static CLASS: [u8; 256] = build_classes();

const fn build_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        let mut v = 0;
        let lower = c.is_ascii_lowercase();
        let upper = c.is_ascii_uppercase();
        let digit = c.is_ascii_digit();
        if lower || digit {
            v |= LOWER_ALNUM;
        }
        if lower || upper || digit {
            v |= ALNUM;
        }
        if lower || upper || digit || c == b'_' {
            v |= WORD;
        }
        if c.is_ascii_hexdigit() {
            v |= HEX;
        }
        if digit {
            v |= DIGIT;
        }
        if lower || upper {
            v |= ALPHA;
        }
        if digit || (c >= b'a' && c <= b'f') {
            v |= LOWER_HEX;
        }
        t[b] = v;
        b += 1;
    }
    t
}

#[inline]
fn is(b: u8, class: u8) -> bool {
    CLASS[b as usize] & class != 0
}

/// `[a-f0-9]`
#[inline]
pub(crate) fn is_lower_hex(b: u8) -> bool {
    is(b, LOWER_HEX)
}

/// `[a-z0-9]`
#[inline]
pub(crate) fn is_lower_alnum(b: u8) -> bool {
    is(b, LOWER_ALNUM)
}

/// Go's ASCII `\w`.
#[inline]
pub(crate) fn is_word(b: u8) -> bool {
    is(b, WORD)
}

/// Where each part of a syntactically valid reference lies in the input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syntax {
    /// End of the name (`[domain '/'] path`).
    pub(crate) name_end: usize,
    /// End of the domain, when the greedy domain group matched; the path
    /// then starts one byte later.
    pub(crate) domain_end: Option<usize>,
    /// The tag, without its `:`.
    pub(crate) tag: Option<(usize, usize)>,
    /// The digest, without its `@`; it always runs to the end of the input.
    pub(crate) digest_start: Option<usize>,
}

impl Syntax {
    /// Start of the path (the remote name).
    pub(crate) fn path_start(&self) -> usize {
        self.domain_end.map_or(0, |d| d + 1)
    }
}

/// Which dialect of the grammar to scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// distribution/reference today: IPv6 literal hosts allowed.
    Distribution,
    /// library-go's 2017 fork: no IPv6 hosts.
    OpenShift,
}

/// Scans `reference := name [":" tag] ["@" digest]` over the whole input.
///
/// On failure returns the byte offset where the input left the grammar.
#[allow(clippy::many_single_char_names)] // s, n, i, j, k: input, length, cursors
pub(crate) fn scan(s: &[u8], dialect: Dialect) -> Result<Syntax, usize> {
    let n = s.len();
    if n == 0 {
        return Err(0);
    }
    let mut domain_end = None;
    let mut i;

    if s[0] == b'[' {
        // host := '[' IPv6address ']'   (loose: [a-fA-F0-9:]+)
        if dialect == Dialect::OpenShift {
            return Err(0);
        }
        i = ipv6_domain(s)?;
        domain_end = Some(i);
        i = path_components(s, i + 1)?;
    } else {
        // The first component: either a domain (followed by an optional
        // port and a '/'), or the first path component.
        let mut j = 0;
        while j < n && (is(s[j], ALNUM) || matches!(s[j], b'.' | b'-' | b'_')) {
            j += 1;
        }
        let first_end = j;
        match s.get(j) {
            Some(b'/') => {
                if domain_name(&s[..first_end]).is_ok() {
                    domain_end = Some(first_end);
                } else {
                    first_path_component(s, first_end)?;
                }
                i = path_components(s, first_end + 1)?;
            }
            Some(b':') => {
                // Port or tag: digits followed by '/' are a port.
                let mut k = j + 1;
                while k < n && is(s[k], DIGIT) {
                    k += 1;
                }
                if k > j + 1 && k < n && s[k] == b'/' {
                    domain_name(&s[..first_end])?;
                    domain_end = Some(k);
                    i = path_components(s, k + 1)?;
                } else {
                    first_path_component(s, first_end)?;
                    i = first_end;
                }
            }
            None | Some(b'@') => {
                first_path_component(s, first_end)?;
                i = first_end;
            }
            Some(_) => {
                // An unexpected byte inside the first component: report
                // the earlier failure if the component was already bad.
                first_path_component(s, first_end)?;
                return Err(j);
            }
        }
    }
    let name_end = i;
    let (tag, digest_start) = scan_suffix(s, i)?;
    Ok(Syntax {
        name_end,
        domain_end,
        tag,
        digest_start,
    })
}

/// The tag span and the digest start.
type Suffix = (Option<(usize, usize)>, Option<usize>);

/// `[":" tag] ["@" digest]` from `i` to the end of the input.
fn scan_suffix(s: &[u8], mut i: usize) -> Result<Suffix, usize> {
    let n = s.len();
    // tag := [\w][\w.-]{0,127}
    let mut tag = None;
    if i < n && s[i] == b':' {
        i += 1;
        let start = i;
        if i >= n || !is(s[i], WORD) {
            return Err(i);
        }
        i += 1;
        while i < n && (is(s[i], WORD) || s[i] == b'.' || s[i] == b'-') {
            i += 1;
        }
        if i - start > 128 {
            return Err(start + 128);
        }
        tag = Some((start, i));
    }

    let mut digest_start = None;
    if i < n && s[i] == b'@' {
        digest_start = Some(i + 1);
        i = digest_pattern(s, i + 1)?;
    }

    if i != n {
        return Err(i);
    }
    Ok((tag, digest_start))
}

/// `digest := [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* ':' [[:xdigit:]]{32,}`
/// from `i`; returns where the hex run ends.
pub(crate) fn digest_pattern(s: &[u8], mut i: usize) -> Result<usize, usize> {
    let n = s.len();
    loop {
        if i >= n || !is(s[i], ALPHA) {
            return Err(i);
        }
        i += 1;
        while i < n && is(s[i], ALNUM) {
            i += 1;
        }
        if i < n && matches!(s[i], b'-' | b'_' | b'+' | b'.') {
            i += 1;
            continue;
        }
        break;
    }
    if i >= n || s[i] != b':' {
        return Err(i);
    }
    i += 1;
    let hex_start = i;
    while i < n && is(s[i], HEX) {
        i += 1;
    }
    if i - hex_start < 32 {
        return Err(i);
    }
    Ok(i)
}

/// `'[' [a-fA-F0-9:]+ ']' [':' [0-9]+]` followed by `/`; returns the end of
/// the domain (the position of that `/`).
fn ipv6_domain(s: &[u8]) -> Result<usize, usize> {
    let n = s.len();
    let mut i = 1;
    while i < n && (is(s[i], HEX) || s[i] == b':') {
        i += 1;
    }
    if i == 1 || i >= n || s[i] != b']' {
        return Err(i);
    }
    i += 1;
    // optionalPort := (':' [0-9]+)?
    if i < n && s[i] == b':' {
        i += 1;
        let start = i;
        while i < n && is(s[i], DIGIT) {
            i += 1;
        }
        if i == start {
            return Err(i);
        }
    }
    // a domain is only a domain when a '/' and a path follow it
    if i >= n || s[i] != b'/' {
        return Err(i);
    }
    Ok(i)
}

/// The first path component must be exactly `s[..end]`.
fn first_path_component(s: &[u8], end: usize) -> Result<(), usize> {
    let stop = path_component(s, 0)?;
    if stop != end {
        return Err(stop);
    }
    Ok(())
}

/// `path := path-component ('/' path-component)*`, from `i`; returns the
/// end of the path.
fn path_components(s: &[u8], mut i: usize) -> Result<usize, usize> {
    loop {
        i = path_component(s, i)?;
        if i < s.len() && s[i] == b'/' {
            i += 1;
        } else {
            return Ok(i);
        }
    }
}

/// `path-component := [a-z0-9]+ (separator [a-z0-9]+)*` where
/// `separator := [._] | '__' | '-'+`; returns where the component ends.
#[inline]
fn path_component(s: &[u8], mut i: usize) -> Result<usize, usize> {
    let n = s.len();
    if i >= n || !is(s[i], LOWER_ALNUM) {
        return Err(i);
    }
    loop {
        while i < n && is(s[i], LOWER_ALNUM) {
            i += 1;
        }
        if i >= n {
            return Ok(i);
        }
        match s[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if i < n && s[i] == b'_' {
                    i += 1;
                }
            }
            b'-' => {
                while i < n && s[i] == b'-' {
                    i += 1;
                }
            }
            _ => return Ok(i),
        }
        if i >= n || !is(s[i], LOWER_ALNUM) {
            return Err(i);
        }
    }
}

/// `domain-name := domain-component ('.' domain-component)*` where
/// `domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
pub(crate) fn domain_name(s: &[u8]) -> Result<(), usize> {
    let n = s.len();
    let mut i = 0;
    loop {
        if i >= n || !is(s[i], ALNUM) {
            return Err(i);
        }
        i += 1;
        while i < n && (is(s[i], ALNUM) || s[i] == b'-') {
            i += 1;
        }
        if s[i - 1] == b'-' {
            return Err(i - 1);
        }
        if i >= n {
            return Ok(());
        }
        if s[i] != b'.' {
            return Err(i);
        }
        i += 1;
    }
}

/// Go's `strings.ToLower` applied per character (simple case mapping):
/// unlike Rust's `str::to_lowercase`, U+0130 becomes a plain `i` and final
/// sigma gets no special context.
pub(crate) fn go_to_lower(s: &str) -> String {
    s.chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}

/// Byte offset of the first character that Go's lowercasing changes.
pub(crate) fn first_cased(s: &str) -> Option<usize> {
    // ASCII fast path: only A-Z change; the first non-ASCII byte hands over
    // to the Unicode check.
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if b.is_ascii_uppercase() {
            return Some(i);
        }
        if b >= 0x80 {
            return s[i..]
                .char_indices()
                .find(|&(_, c)| c.to_lowercase().next() != Some(c))
                .map(|(j, _)| i + j);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Syntax {
        scan(s.as_bytes(), Dialect::Distribution).unwrap_or_else(|e| panic!("{s}: error at {e}"))
    }

    #[test]
    fn domain_is_greedy() {
        assert_eq!(ok("foo/bar").domain_end, Some(3));
        assert_eq!(ok("Foo/bar").domain_end, Some(3));
        assert_eq!(ok("test_com/foo").domain_end, None);
        assert_eq!(ok("foo").domain_end, None);
        assert_eq!(ok("foo:5000/bar").domain_end, Some(8));
    }

    #[test]
    fn port_or_tag() {
        let s = ok("test.com:5000");
        assert_eq!(s.name_end, 8);
        assert_eq!(s.tag, Some((9, 13)));
        assert!(scan(b"a:b/c", Dialect::Distribution).is_err());
    }

    #[test]
    fn separators() {
        for good in ["a__b", "a-----b", "a.b", "a_b"] {
            ok(good);
        }
        for bad in ["a___b", "a..b", "a._b", "a.-b", "-a", "a-", "a//b", "a/"] {
            assert!(
                scan(bad.as_bytes(), Dialect::Distribution).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn ipv6_only_in_distribution() {
        ok("[::1]:5000/foo");
        assert_eq!(scan(b"[::1]/foo", Dialect::OpenShift).unwrap_err(), 0);
        assert!(scan(b"[::1]", Dialect::Distribution).is_err());
        assert!(scan(b"[fe80::1%25eth0]/a", Dialect::Distribution).is_err());
    }

    #[test]
    fn lowercasing_is_per_character() {
        assert_eq!(go_to_lower("\u{130}stanbul"), "istanbul");
        assert_eq!(go_to_lower("\u{212a}"), "k");
        assert_eq!(first_cased("abC"), Some(2));
        assert_eq!(first_cased("abc"), None);
    }
}
