//! Secret values, made when the stack is applied and nowhere else: literals from the
//! source, `generate()` values created once and kept while the Secret exists,
//! `env()` values from the environment of `floe run`, and templates joining them.
//!
//! Values live in [`Values`], whose `Debug` shows key names only; [`Redactor`]
//! removes every value from text that leaves the process (events, logs, errors).

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use sha2::{Digest, Sha256};

use crate::data::Env;
use crate::lower::SECRET_KEYS;
use crate::model::{self, SecretSource, TemplatePart};
use crate::source::Span;

/// An `env()` secret whose variable is not set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingEnv {
    /// `secret.key`, as in the source.
    pub key: String,
    pub var: String,
    pub span: Span,
}

/// Checks that every `env()` variable is set, before anything is applied.
pub fn missing_env(stack: &model::Stack, env: &dyn Env) -> Vec<MissingEnv> {
    stack
        .env_keys()
        .filter(|(.., var)| env.var(var).is_none())
        .map(|(secret, key, var)| MissingEnv {
            key: format!("{}.{}", secret.origin.path, key.key),
            var: var.to_string(),
            span: key.span,
        })
        .collect()
}

/// The values of every Secret of a stack, by Secret name and key.
#[derive(Clone, Default)]
pub struct Values {
    secrets: BTreeMap<String, BTreeMap<String, String>>,
}

impl std::fmt::Debug for Values {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: BTreeMap<&String, Vec<&String>> = self
            .secrets
            .iter()
            .map(|(name, keys)| (name, keys.keys().collect()))
            .collect();
        f.debug_struct("Values").field("keys", &keys).finish()
    }
}

impl Values {
    /// The Secret's `data`, base64 by serialization.
    pub fn data(&self, secret: &str) -> Option<BTreeMap<String, ByteString>> {
        self.secrets.get(secret).map(|keys| {
            keys.iter()
                .map(|(k, v)| (k.clone(), ByteString(v.as_bytes().to_vec())))
                .collect()
        })
    }

    /// A fingerprint of the values of the Secrets `names`, keyed by `salt`: it
    /// changes when a value changes, and without the salt (kept in a Secret of the
    /// cluster) it tells nothing about a value, even a short one.
    pub fn fingerprint<'n>(&self, salt: &str, names: impl IntoIterator<Item = &'n str>) -> String {
        let mut hash = Sha256::new();
        hash.update(salt.as_bytes());
        let names: std::collections::BTreeSet<&str> = names.into_iter().collect();
        for name in names {
            hash.update([0]);
            hash.update(name.as_bytes());
            for (k, v) in self.secrets.get(name).into_iter().flatten() {
                hash.update([1]);
                hash.update(k.as_bytes());
                hash.update([2]);
                hash.update(v.as_bytes());
            }
        }
        hash.finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A [`Redactor`] for every value.
    pub fn redactor(&self) -> Redactor {
        let mut values: Vec<String> = self
            .secrets
            .values()
            .flat_map(|keys| keys.values().cloned())
            .filter(|v| v.len() >= 4)
            .collect();
        // Longer first, so that a value containing another is removed whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        Redactor { values }
    }
}

/// Removes secret values from text.
#[derive(Clone, Default)]
pub struct Redactor {
    values: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} values)", self.values.len())
    }
}

impl Redactor {
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), "<redacted>");
            }
        }
        out
    }
}

/// Why values could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretError {
    MissingEnv(Vec<MissingEnv>),
    /// The system's random source failed.
    Random(String),
}

/// Makes every value. `existing` gives the data of a Secret already in the cluster:
/// its generated keys are kept.
pub fn materialise(
    stack: &model::Stack,
    existing: &BTreeMap<String, Secret>,
    env: &dyn Env,
) -> Result<Values, SecretError> {
    let missing = missing_env(stack, env);
    if !missing.is_empty() {
        return Err(SecretError::MissingEnv(missing));
    }
    let mut values = Values::default();
    for secret in &stack.secrets {
        let mut keys = BTreeMap::new();
        for key in &secret.keys {
            let value = match &key.source {
                SecretSource::Literal(v) => v.clone(),
                SecretSource::Env { var } => env.var(var).unwrap_or_default(),
                SecretSource::Generate { length } => match kept(existing.get(&secret.name), key) {
                    Some(v) => v,
                    None => generate(*length)?,
                },
                SecretSource::Template(_) => continue,
            };
            keys.insert(key.key.clone(), value);
        }
        values.secrets.insert(secret.name.clone(), keys);
    }
    fill_templates(stack, &mut values);
    Ok(values)
}

/// The live value of a generated key, when the live Secret was made from the same
/// definition: a changed length, or a key that was a literal or `env()` before,
/// gets a new value. The compiled Secret's annotation records each key's source.
fn kept(secret: Option<&Secret>, key: &model::SecretKey) -> Option<String> {
    let secret = secret?;
    let sources = secret.metadata.annotations.as_ref()?.get(SECRET_KEYS)?;
    let sources: BTreeMap<String, String> = serde_json::from_str(sources).ok()?;
    if sources.get(&key.key) != Some(&key.source.describe()) {
        return None;
    }
    let bytes = secret.data.as_ref()?.get(&key.key)?;
    String::from_utf8(bytes.0.clone()).ok()
}

/// Templates refer to other keys, templates included: filled in rounds until none
/// is left (the checker has rejected cycles; the bound keeps a bug from looping).
fn fill_templates(stack: &model::Stack, values: &mut Values) {
    let templates: Vec<(&str, &str, &[TemplatePart])> = stack
        .secrets
        .iter()
        .flat_map(|s| {
            s.keys.iter().filter_map(|k| match &k.source {
                SecretSource::Template(parts) => {
                    Some((s.name.as_str(), k.key.as_str(), parts.as_slice()))
                }
                _ => None,
            })
        })
        .collect();
    for _ in 0..=templates.len() {
        for (secret, key, parts) in &templates {
            let mut text = String::new();
            let mut complete = true;
            for part in *parts {
                match part {
                    TemplatePart::Text(t) => text.push_str(t),
                    TemplatePart::Secret { secret, key } => {
                        match values.secrets.get(secret).and_then(|k| k.get(key)) {
                            Some(v) => text.push_str(v),
                            None => complete = false,
                        }
                    }
                }
            }
            if complete {
                values
                    .secrets
                    .entry(secret.to_string())
                    .or_default()
                    .insert(key.to_string(), text);
            }
        }
    }
}

/// A new salt for [`Values::fingerprint`].
pub fn salt() -> Result<String, SecretError> {
    generate(43)
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `length` random letters and digits from the system's random source.
fn generate(length: i64) -> Result<String, SecretError> {
    let length = usize::try_from(length).unwrap_or(0);
    let mut out = String::with_capacity(length);
    let mut buf = [0u8; 64];
    while out.len() < length {
        getrandom::fill(&mut buf).map_err(|e| SecretError::Random(e.to_string()))?;
        // 62 letters and digits: bytes of 248 and above are dropped so that each
        // character is equally likely.
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == length {
                break;
            }
            if let Some(c) = ALPHABET.get(usize::from(*b) % ALPHABET.len()) {
                out.push(char::from(*c));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_have_the_length_and_alphabet() {
        let v = generate(40).unwrap_or_default();
        assert_eq!(v.len(), 40);
        assert!(v.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(v, generate(40).unwrap_or_default());
    }

    #[test]
    fn the_redactor_removes_longer_values_first() {
        let mut values = Values::default();
        values.secrets.insert(
            "s".into(),
            BTreeMap::from([
                ("a".into(), "hunter2".into()),
                ("b".into(), "user:hunter2".into()),
            ]),
        );
        let r = values.redactor();
        assert_eq!(
            r.redact("login user:hunter2 or hunter2"),
            "login <redacted> or <redacted>"
        );
        assert!(!format!("{values:?}").contains("hunter2"));
    }
}
