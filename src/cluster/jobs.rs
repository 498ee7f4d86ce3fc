//! Jobs on a cluster: names with a content hash, and the check results the verify
//! Job writes to its log.
//!
//! A Job's pod template cannot change once created. `floe run` names each Job
//! `NAME-HASH`, the hash taken over its spec: the same Job content has the same name
//! on every run, and a changed Job is a new object (the old one is deleted first).
//! The plan's step name stays in the label `app.kubernetes.io/name`.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::data::report::RESULTS_MARKER;
use crate::data::verify::CheckResult;

/// Kubernetes limits a Job's name to 63 characters (it becomes a pod label).
const MAX_NAME: usize = 63;

/// The first 8 hex digits of the SHA-256 of the Job's spec.
pub fn content_hash(job: &Value) -> String {
    let spec = job.get("spec").map(Value::to_string).unwrap_or_default();
    let hash = Sha256::digest(spec.as_bytes());
    hash.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

/// `NAME-HASH`, the name cut so that the whole fits in 63 characters.
pub fn hashed_name(name: &str, hash: &str) -> String {
    let room = MAX_NAME.saturating_sub(hash.len() + 1);
    let base: String = name.chars().take(room).collect();
    format!("{}-{hash}", base.trim_end_matches('-'))
}

/// Renames a Job to its hashed name; returns the new name.
pub fn rename(job: &mut Value) -> String {
    let hash = content_hash(job);
    let name = job
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let hashed = hashed_name(&name, &hash);
    if let Some(meta) = job.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("name".into(), Value::String(hashed.clone()));
    }
    hashed
}

/// The check results in a verify Job's log, from the line `floe job verify` writes.
pub fn results_in_log(log: &str) -> Option<Vec<CheckResult>> {
    let line = log
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix(RESULTS_MARKER))?;
    let value: Value = serde_json::from_str(line).ok()?;
    serde_json::from_value(value.get("checks")?.clone()).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::data::report::results_line;

    #[test]
    fn names_change_with_the_spec_only() {
        let a = json!({"metadata": {"name": "seed-orders"}, "spec": {"x": 1}});
        let mut b = a.clone();
        b["metadata"]["labels"] = json!({"a": "b"});
        assert_eq!(content_hash(&a), content_hash(&b));
        b["spec"]["x"] = json!(2);
        assert_ne!(content_hash(&a), content_hash(&b));
        let long = "x".repeat(80);
        assert_eq!(hashed_name(&long, "0123abcd").len(), 63);
    }

    #[test]
    fn results_are_read_back_from_the_log() {
        let results = vec![CheckResult {
            name: "orders_loaded".into(),
            description: None,
            expected: "> 0".into(),
            actual: "12".into(),
            passed: true,
            millis: 3,
        }];
        let log = format!("reading 3 tables\n{}\n", results_line("demo", &results));
        assert_eq!(results_in_log(&log), Some(results));
        assert_eq!(results_in_log("no results"), None);
    }
}
