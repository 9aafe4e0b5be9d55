//! Credentials: docker config JSON (pull secrets) and the registry's
//! `WWW-Authenticate` challenges.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::Deserialize;

/// A username and password, or an identity (refresh) token, for one
/// registry. `Debug` never prints the secrets.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    /// The username (empty with an identity token alone).
    pub username: String,
    /// The password.
    pub password: String,
    /// An `OAuth2` refresh token (`identitytoken`), used instead of the
    /// password to obtain bearer tokens.
    pub identity_token: String,
}

impl Credentials {
    /// Basic credentials.
    #[must_use]
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            identity_token: String::new(),
        }
    }

    /// The `Authorization: Basic …` value.
    #[must_use]
    pub fn basic_header(&self) -> String {
        let pair = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    /// A stable fingerprint of these credentials (sha256 of all three
    /// fields): tokens are cached per fingerprint, so two namespaces with
    /// different passwords for one user never share a token.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        let text = format!(
            "{}\0{}\0{}",
            self.username, self.password, self.identity_token
        );
        imagestream::reference::Digest::of_sha256(text.as_bytes()).to_string()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("identity_token", &"<redacted>")
            .finish()
    }
}

/// Why a docker config could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Not JSON of the docker config shape.
    #[error("malformed docker config JSON: {0}")]
    Malformed(String),
    /// An `auth` value that is not base64 of `user:password`.
    #[error("invalid auth for registry {registry:?}: {reason}")]
    BadAuth {
        /// The `auths` key.
        registry: String,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawEntry {
    auth: String,
    username: String,
    password: String,
    identitytoken: String,
}

/// The credentials of a docker config JSON (`.dockerconfigjson`,
/// `{"auths": {...}}`) or of a legacy `.dockercfg` (the same map without
/// `auths`), keyed by registry host.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct DockerConfig {
    auths: BTreeMap<String, Credentials>,
}

impl fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.auths.keys()).finish()
    }
}

impl DockerConfig {
    /// Parses a docker config document as OpenShift reads pull secrets:
    /// each entry's `auth` (base64 `user:password`) wins over `username`
    /// and `password`; `identitytoken` is kept.
    ///
    /// ```
    /// use imagestream_registry::DockerConfig;
    ///
    /// let c = DockerConfig::parse(r#"{"auths":{"https://quay.io/v1/":{"auth":"dXNlcjpwYXNz"}}}"#)?;
    /// assert_eq!(c.credentials_for("quay.io").unwrap().username, "user");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(json: &str) -> Result<Self, AuthError> {
        #[derive(Deserialize)]
        struct WithAuths {
            auths: BTreeMap<String, RawEntry>,
        }
        let entries = match serde_json::from_str::<WithAuths>(json) {
            Ok(w) => w.auths,
            Err(_) => serde_json::from_str::<BTreeMap<String, RawEntry>>(json)
                .map_err(|e| AuthError::Malformed(e.to_string()))?,
        };
        let mut auths = BTreeMap::new();
        for (key, raw) in entries {
            let mut creds = Credentials {
                username: raw.username,
                password: raw.password,
                identity_token: raw.identitytoken,
            };
            if !raw.auth.is_empty() {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(raw.auth.trim())
                    .map_err(|e| AuthError::BadAuth {
                        registry: key.clone(),
                        reason: e.to_string(),
                    })?;
                let text = String::from_utf8(decoded).map_err(|_| AuthError::BadAuth {
                    registry: key.clone(),
                    reason: "not UTF-8".into(),
                })?;
                let (user, pass) = text.split_once(':').ok_or_else(|| AuthError::BadAuth {
                    registry: key.clone(),
                    reason: "must be base64 of user:password".into(),
                })?;
                user.clone_into(&mut creds.username);
                pass.clone_into(&mut creds.password);
            }
            auths.insert(normalize_host(&key), creds);
        }
        Ok(Self { auths })
    }

    /// Adds the credentials for `host`.
    pub fn insert(&mut self, host: &str, credentials: Credentials) {
        self.auths.insert(normalize_host(host), credentials);
    }

    /// The credentials for registry `host` (`host[:port]`), matched after
    /// dropping any scheme and path, with Docker Hub's aliases equal.
    #[must_use]
    pub fn credentials_for(&self, host: &str) -> Option<&Credentials> {
        self.auths.get(&normalize_host(host))
    }

    /// Whether there are no credentials.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.auths.is_empty()
    }
}

/// `https://index.docker.io/v1/` → `docker.io`; `http://h:5000/x` → `h:5000`.
fn normalize_host(key: &str) -> String {
    let rest = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = rest.split('/').next().unwrap_or(rest).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_owned()
        }
        _ => host,
    }
}

/// An authentication scheme a registry asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    /// `Basic`.
    Basic,
    /// `Bearer` (the token flow).
    Bearer,
    /// Anything else.
    Other(String),
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme.
    pub scheme: Scheme,
    /// Its parameters (`realm`, `service`, `scope`, …), names lowercased.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// Parses one challenge: `Bearer realm="…",service="…",scope="…"`.
    /// Values may be quoted (with `\` escapes) or bare tokens. `None` when
    /// there is no scheme.
    #[must_use]
    pub fn parse(header: &str) -> Option<Self> {
        let header = header.trim();
        let (scheme, mut rest) = header
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((header, ""));
        if scheme.is_empty() {
            return None;
        }
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "basic" => Scheme::Basic,
            "bearer" => Scheme::Bearer,
            other => Scheme::Other(other.to_owned()),
        };
        let mut params = BTreeMap::new();
        loop {
            rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
            let Some((name, after)) = rest.split_once('=') else {
                break;
            };
            let name = name.trim().to_ascii_lowercase();
            let after = after.trim_start();
            let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
                let mut value = String::new();
                let mut chars = quoted.char_indices();
                let mut end = quoted.len();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, n)) = chars.next() {
                                value.push(n);
                            }
                        }
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        c => value.push(c),
                    }
                }
                (value, quoted.get(end..).unwrap_or(""))
            } else {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim().to_owned(), &after[end..])
            };
            params.insert(name, value);
            rest = remaining;
        }
        Some(Self { scheme, params })
    }

    /// A parameter's value.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config_reads_auth_username_and_identity_token() {
        let json = r#"{"auths":{
            "https://index.docker.io/v1/":{"auth":"dXNlcjpwYTpzcw=="},
            "quay.io":{"username":"u2","password":"p2"},
            "http://127.0.0.1:5000":{"identitytoken":"tok"}}}"#;
        let c = DockerConfig::parse(json).unwrap();
        let hub = c.credentials_for("registry-1.docker.io").unwrap();
        assert_eq!(
            (hub.username.as_str(), hub.password.as_str()),
            ("user", "pa:ss")
        );
        assert_eq!(c.credentials_for("QUAY.io").unwrap().password, "p2");
        assert_eq!(
            c.credentials_for("127.0.0.1:5000").unwrap().identity_token,
            "tok"
        );
        assert!(c.credentials_for("ghcr.io").is_none());
        assert!(!format!("{c:?}{hub:?}").contains("pa:ss"));
    }

    #[test]
    fn legacy_dockercfg_and_errors() {
        let c = DockerConfig::parse(r#"{"r.example":{"auth":"YTpi"}}"#).unwrap();
        assert_eq!(c.credentials_for("r.example").unwrap().password, "b");
        assert!(matches!(
            DockerConfig::parse("[1]"),
            Err(AuthError::Malformed(_))
        ));
        let e = DockerConfig::parse(r#"{"auths":{"r":{"auth":"!!"}}}"#).unwrap_err();
        assert!(
            e.to_string().starts_with("invalid auth for registry \"r\""),
            "{e}"
        );
        let e = DockerConfig::parse(r#"{"auths":{"r":{"auth":"bm9jb2xvbg=="}}}"#).unwrap_err();
        assert!(e.to_string().contains("user:password"), "{e}");
    }

    #[test]
    fn challenges() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
        )
        .unwrap();
        assert_eq!(c.scheme, Scheme::Bearer);
        assert_eq!(c.param("realm"), Some("https://auth.example/token"));
        assert_eq!(c.param("scope"), Some("repository:a/b:pull"));
        let b = Challenge::parse(r#"Basic realm="a \"quoted\" realm", charset=UTF-8"#).unwrap();
        assert_eq!(b.scheme, Scheme::Basic);
        assert_eq!(b.param("realm"), Some(r#"a "quoted" realm"#));
        assert_eq!(b.param("charset"), Some("UTF-8"));
        assert_eq!(Challenge::parse("  "), None);
        assert_eq!(
            Challenge::parse("Negotiate").unwrap().scheme,
            Scheme::Other("negotiate".into())
        );
        // Unterminated quotes and stray text do not panic.
        assert!(Challenge::parse("Bearer realm=\"abc").is_some());
        assert!(Challenge::parse("Bearer =,=,\"").is_some());
    }
}
