//! A namespace's pull secrets, as a port.
//!
//! OpenShift's importer reads the `kubernetes.io/dockerconfigjson` (and
//! legacy `kubernetes.io/dockercfg`) secrets of the namespace that imports
//! and offers their credentials to the registry. The core does not parse
//! them (that is a registry client's business): a [`PullSecret`] carries the
//! secret's data as the cluster stores it.

use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock};

use crate::reference::Namespace;

/// One pull secret: its name and its `.dockerconfigjson` document
/// (`{"auths": {"<registry>": {"auth": "<base64 user:password>"}}}`).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PullSecret {
    /// The secret's name.
    pub name: String,
    /// The docker config JSON, unparsed.
    pub docker_config_json: String,
}

impl PullSecret {
    /// A secret named `name` holding `docker_config_json`.
    #[must_use]
    pub fn new(name: impl Into<String>, docker_config_json: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            docker_config_json: docker_config_json.into(),
        }
    }
}

/// Never prints the secret's content.
impl std::fmt::Debug for PullSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PullSecret")
            .field("name", &self.name)
            .field("docker_config_json", &"<redacted>")
            .finish()
    }
}

/// The pull secrets of a namespace.
pub trait PullSecrets: Send + Sync {
    /// The secrets of `namespace`, in name order (empty when it has none).
    fn pull_secrets(&self, namespace: &Namespace) -> Vec<PullSecret>;
}

/// Pull secrets held in memory, per namespace.
///
/// ```
/// use imagestream::ports::{MemoryPullSecrets, PullSecret, PullSecrets};
/// use imagestream::reference::Namespace;
///
/// let secrets = MemoryPullSecrets::new();
/// let ns = Namespace::parse("team-a")?;
/// secrets.insert(&ns, PullSecret::new("quay", r#"{"auths":{}}"#));
/// assert_eq!(secrets.pull_secrets(&ns)[0].name, "quay");
/// assert!(secrets.pull_secrets(&Namespace::parse("team-b")?).is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryPullSecrets {
    secrets: RwLock<BTreeMap<Namespace, BTreeMap<String, PullSecret>>>,
}

impl MemoryPullSecrets {
    /// No secrets anywhere.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `secret` to `namespace`, replacing one of the same name.
    pub fn insert(&self, namespace: &Namespace, secret: PullSecret) {
        self.secrets
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(namespace.clone())
            .or_default()
            .insert(secret.name.clone(), secret);
    }

    /// Removes the secret `name` of `namespace`; whether it was there.
    pub fn remove(&self, namespace: &Namespace, name: &str) -> bool {
        self.secrets
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(namespace)
            .is_some_and(|m| m.remove(name).is_some())
    }
}

impl PullSecrets for MemoryPullSecrets {
    fn pull_secrets(&self, namespace: &Namespace) -> Vec<PullSecret> {
        self.secrets
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(namespace)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_in_their_namespace_and_in_name_order() {
        let s = MemoryPullSecrets::new();
        let a = Namespace::parse("a").unwrap();
        let b = Namespace::parse("b").unwrap();
        s.insert(&a, PullSecret::new("z", "{}"));
        s.insert(&a, PullSecret::new("m", "{}"));
        s.insert(&a, PullSecret::new("z", r#"{"auths":{}}"#));
        let names: Vec<_> = s.pull_secrets(&a).into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["m", "z"]);
        assert_eq!(s.pull_secrets(&a)[1].docker_config_json, r#"{"auths":{}}"#);
        assert!(s.pull_secrets(&b).is_empty());
        assert!(s.remove(&a, "m"));
        assert!(!s.remove(&b, "m"));
        assert_eq!(s.pull_secrets(&a).len(), 1);
    }

    #[test]
    fn debug_hides_the_content() {
        let p = PullSecret::new("n", "password-here");
        assert!(!format!("{p:?}").contains("password-here"));
    }
}
