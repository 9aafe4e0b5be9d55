//! Content digests (`algorithm:hex`) with go-digest's rules.

use std::fmt;

use nom::Parser;
use nom::bytes::complete::{take_while_m_n, take_while1};
use nom::combinator::{all_consuming, recognize};
use nom::multi::many0;
use sha2::Digest as _;

use super::error::{ErrorKind, ReferenceError};
use super::grammar::is_lower_hex;

/// A hash algorithm a [`Digest`] may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-256: 64 hex characters. What every registry uses.
    Sha256,
    /// SHA-384: 96 hex characters.
    Sha384,
    /// SHA-512: 128 hex characters.
    Sha512,
}

impl Algorithm {
    /// The name as written before the `:`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// How many hex characters an encoded digest of this algorithm has.
    #[must_use]
    pub const fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha384 => 96,
            Self::Sha512 => 128,
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Length of `sha256:` plus 64 hex characters.
const SHA256_LEN: usize = 71;

/// A validated content digest such as `sha256:3c87c572…`.
///
/// # Syntax
///
/// `algorithm ":" hex`, where the algorithm is `sha256`, `sha384` or
/// `sha512` and `hex` is exactly 64, 96 or 128 **lowercase** hex digits
/// (go-digest v1.0.0 with sha256, sha384 and sha512 available).
///
/// # Representation
///
/// sha256 digests (the common case) are stored inline (no heap
/// allocation); the longer ones in one boxed string. The value is always
/// the canonical text, so `Display` and [`as_str`](Self::as_str) never
/// allocate and `parse(d.to_string()) == d` holds for every digest.
///
/// ```
/// use imagestream::reference::{Algorithm, Digest};
///
/// let d: Digest = "sha256:3c87c572822935df60f0f5d3665bd376841a7fcfeb806b5f212de6a00e9a7b25".parse()?;
/// assert_eq!(d.algorithm(), Algorithm::Sha256);
/// assert!(d.hex().starts_with("3c87c5"));
/// assert_eq!(Digest::of_sha256(b"hello").to_string(),
///            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(Repr);

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Repr {
    /// `sha256:<64 hex>`, always ASCII.
    Sha256([u8; SHA256_LEN]),
    /// sha384 and sha512.
    Long(Box<str>),
}

impl Digest {
    /// Parses a digest with go-digest's rules and check order.
    ///
    /// # Errors
    ///
    /// Checks run in go-digest's order, so the message matches Go's:
    /// - `sha256` (no `:`), `:abc`, `sha256:` → `invalid checksum digest format`;
    /// - `md5:d41d8cd9…`, `sha256+b64:…` → `unsupported digest algorithm`
    ///   (well-formed, but not an available algorithm);
    /// - `SHA256:…` → `invalid checksum digest format` (not even well-formed);
    /// - `sha256:abc` → `invalid checksum digest length`;
    /// - `sha256:` + 64 uppercase hex → `invalid checksum digest format`.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        let alg = validate_go_digest(s)?;
        Ok(Self::from_valid(alg, s))
    }

    /// Builds a digest from text already validated for `alg`.
    pub(crate) fn from_valid(alg: Algorithm, s: &str) -> Self {
        if alg == Algorithm::Sha256 {
            let mut buf = [0u8; SHA256_LEN];
            buf.copy_from_slice(s.as_bytes());
            Self(Repr::Sha256(buf))
        } else {
            Self(Repr::Long(s.into()))
        }
    }

    /// The sha256 digest of `bytes`.
    #[must_use]
    pub fn of_sha256(bytes: &[u8]) -> Self {
        let sum = sha2::Sha256::digest(bytes);
        let mut buf = [0u8; SHA256_LEN];
        buf[..7].copy_from_slice(b"sha256:");
        hex_encode(&sum, &mut buf[7..]);
        Self(Repr::Sha256(buf))
    }

    /// The digest of `bytes` with `algorithm`.
    ///
    /// ```
    /// use imagestream::reference::{Algorithm, Digest};
    ///
    /// let d = Digest::of(Algorithm::Sha512, b"abc");
    /// assert!(d.as_str().starts_with("sha512:ddaf35a1"));
    /// assert!(d.verify(b"abc"));
    /// assert_eq!(Digest::of(Algorithm::Sha256, b"abc"), Digest::of_sha256(b"abc"));
    /// ```
    #[must_use]
    pub fn of(algorithm: Algorithm, bytes: &[u8]) -> Self {
        let mut out = [0u8; 128];
        let n = match algorithm {
            Algorithm::Sha256 => return Self::of_sha256(bytes),
            Algorithm::Sha384 => hex_encode(&sha2::Sha384::digest(bytes), &mut out),
            Algorithm::Sha512 => hex_encode(&sha2::Sha512::digest(bytes), &mut out),
        };
        let mut text = String::with_capacity(8 + n);
        text.push_str(algorithm.as_str());
        text.push(':');
        // hex_encode writes lowercase hex digits only, which are ASCII.
        text.extend(out[..n].iter().map(|&b| char::from(b)));
        Self(Repr::Long(text.into()))
    }

    /// Whether `bytes` hash to this digest (with this digest's algorithm).
    #[must_use]
    pub fn verify(&self, bytes: &[u8]) -> bool {
        let mut out = [0u8; 128];
        let n = match self.algorithm() {
            Algorithm::Sha256 => hex_encode(&sha2::Sha256::digest(bytes), &mut out),
            Algorithm::Sha384 => hex_encode(&sha2::Sha384::digest(bytes), &mut out),
            Algorithm::Sha512 => hex_encode(&sha2::Sha512::digest(bytes), &mut out),
        };
        out[..n] == *self.hex().as_bytes()
    }

    /// The whole digest, `algorithm:hex`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // The buffer is only ever filled with ASCII ("sha256:" and
            // lowercase hex), so it is always valid UTF-8.
            Repr::Sha256(buf) => std::str::from_utf8(buf).unwrap_or_default(),
            Repr::Long(s) => s,
        }
    }

    /// The algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        match &self.0 {
            Repr::Sha256(_) => Algorithm::Sha256,
            Repr::Long(s) if s.starts_with("sha384:") => Algorithm::Sha384,
            Repr::Long(_) => Algorithm::Sha512,
        }
    }

    /// The encoded part after the `:` (lowercase hex).
    #[must_use]
    pub fn hex(&self) -> &str {
        // Every algorithm name is six bytes long.
        &self.as_str()[7..]
    }

    /// Whether this digest matches an image-id query the way OpenShift's
    /// `DigestOrImageMatch` does: the query is a prefix of the hex part or of
    /// the whole digest (so `3c87c5` and `sha256:3c87` both match). The empty
    /// query matches everything.
    #[must_use]
    pub fn matches_prefix(&self, query: &str) -> bool {
        self.hex().starts_with(query) || self.as_str().starts_with(query)
    }
}

fn hex_encode(bytes: &[u8], out: &mut [u8]) -> usize {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 0xf)];
    }
    bytes.len() * 2
}

/// go-digest v1.0.0 `Digest.Validate`, in its order: format, availability,
/// length, lowercase hex.
pub(crate) fn validate_go_digest(s: &str) -> Result<Algorithm, ReferenceError> {
    let Some(colon) = s.find(':') else {
        return Err(ReferenceError::new(ErrorKind::DigestInvalidFormat, s.len()));
    };
    if colon == 0 || colon + 1 == s.len() {
        return Err(ReferenceError::new(ErrorKind::DigestInvalidFormat, colon));
    }
    let encoded = &s.as_bytes()[colon + 1..];
    let Some(alg) = Algorithm::from_name(&s[..colon]) else {
        return Err(if well_formed_unavailable(s) {
            ReferenceError::new(ErrorKind::DigestUnsupported, 0)
        } else {
            ReferenceError::new(ErrorKind::DigestInvalidFormat, 0)
        });
    };
    if encoded.len() != alg.hex_len() {
        return Err(ReferenceError::new(
            ErrorKind::DigestInvalidLength,
            colon + 1 + encoded.len().min(alg.hex_len()),
        ));
    }
    if let Some(bad) = encoded.iter().position(|&b| !is_lower_hex(b)) {
        return Err(ReferenceError::new(
            ErrorKind::DigestInvalidFormat,
            colon + 1 + bad,
        ));
    }
    Ok(alg)
}

/// library-go's `ParseDigest`: only the algorithm and the length are
/// checked, so uppercase hex passes. Used by [`ImageReference`]
/// (`crate::reference::ImageReference`) parsing.
pub(crate) fn validate_openshift_digest(s: &str) -> Result<Algorithm, ReferenceError> {
    let colon = s.find(':').unwrap_or(s.len());
    let Some(alg) = Algorithm::from_name(&s[..colon]) else {
        return Err(ReferenceError::new(ErrorKind::DigestUnsupported, 0));
    };
    let encoded = s.len().saturating_sub(colon + 1);
    if encoded != alg.hex_len() {
        return Err(ReferenceError::new(
            ErrorKind::DigestInvalidLength,
            colon + 1 + encoded.min(alg.hex_len()),
        ));
    }
    Ok(alg)
}

/// go-digest's `DigestRegexp`:
/// `[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`, anchored.
fn well_formed_unavailable(s: &str) -> bool {
    let component = || take_while1(|c: u8| c.is_ascii_lowercase() || c.is_ascii_digit());
    let separator = take_while_m_n(1, 1, |c: u8| matches!(c, b'.' | b'+' | b'_' | b'-'));
    let algorithm = recognize((component(), many0((separator, component()))));
    let encoded = take_while1(|c: u8| c.is_ascii_alphanumeric() || matches!(c, b'=' | b'_' | b'-'));
    let mut digest = all_consuming((algorithm, nom::bytes::complete::tag(&b":"[..]), encoded));
    digest
        .parse(s.as_bytes())
        .map_err(|_: nom::Err<nom::error::Error<&[u8]>>| ())
        .is_ok()
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.as_str())
    }
}

super::impl_str_conversions!(Digest);
super::impl_serde_as_str!(Digest, "a digest such as sha256:<64 hex>");

#[cfg(test)]
mod tests {
    use super::*;

    const HEX64: &str = "3c87c572822935df60f0f5d3665bd376841a7fcfeb806b5f212de6a00e9a7b25";

    fn err(s: &str) -> String {
        Digest::parse(s).unwrap_err().to_string()
    }

    #[test]
    fn go_digest_check_order() {
        assert_eq!(err("sha256"), "invalid checksum digest format");
        assert_eq!(err(":abc"), "invalid checksum digest format");
        assert_eq!(err("sha256:"), "invalid checksum digest format");
        assert_eq!(err(&format!("md5:{HEX64}")), "unsupported digest algorithm");
        assert_eq!(
            err(&format!("sha256+b64:{HEX64}")),
            "unsupported digest algorithm"
        );
        assert_eq!(
            err(&format!("SHA256:{HEX64}")),
            "invalid checksum digest format"
        );
        assert_eq!(err("sha256:abc"), "invalid checksum digest length");
        assert_eq!(
            err(&format!("sha256:{}", HEX64.to_uppercase())),
            "invalid checksum digest format"
        );
        assert_eq!(
            err(&format!("sha384:{HEX64}")),
            "invalid checksum digest length"
        );
    }

    #[test]
    fn long_algorithms() {
        let d = Digest::parse(&format!("sha512:{HEX64}{HEX64}")).unwrap();
        assert_eq!(d.algorithm(), Algorithm::Sha512);
        assert_eq!(d.hex().len(), 128);
        let d = Digest::parse(&format!("sha384:{}", &(HEX64.repeat(2))[..96])).unwrap();
        assert_eq!(d.algorithm(), Algorithm::Sha384);
    }

    #[test]
    fn verify_and_hash() {
        let d = Digest::of_sha256(b"abc");
        assert!(d.verify(b"abc"));
        assert!(!d.verify(b"abd"));
        assert_eq!(
            d,
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn prefix_matching_like_openshift() {
        let d = Digest::parse(&format!("sha256:{HEX64}")).unwrap();
        assert!(d.matches_prefix("3c87c5"));
        assert!(d.matches_prefix("sha256:3c87"));
        assert!(d.matches_prefix(""));
        assert!(!d.matches_prefix("sha512:3c87"));
    }
}
