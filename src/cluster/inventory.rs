//! What floe applied, recorded in the cluster as an ApplySet (KEP-3659): a parent
//! Secret `floe-STACK` in the stack's namespace with the ApplySet labels and
//! annotations, and the label `applyset.kubernetes.io/part-of` on every object,
//! Jobs and volume claim templates included. Prune and `floe down` find objects by
//! that label and touch nothing else.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Kind;

pub const PART_OF: &str = "applyset.kubernetes.io/part-of";
pub const ID: &str = "applyset.kubernetes.io/id";
pub const TOOLING: &str = "applyset.kubernetes.io/tooling";
pub const GROUP_KINDS: &str = "applyset.kubernetes.io/contains-group-kinds";
/// The Jobs (by name, which carries their content hash) that completed: a hook or
/// seed that completed is not run again when the TTL controller has deleted its
/// Job after its `keep`.
pub const COMPLETED: &str = "floe.dev/completed-jobs";
/// The pods of each service with ephemeral data when the last run finished, as a
/// JSON object from plan key to sorted pod uids: pods not in it are new, and
/// their emptyDir volumes start empty.
pub const DATA_PODS: &str = "floe.dev/data-pods";

/// The parent Secret's name.
pub fn parent_name(stack: &str) -> String {
    format!("floe-{}", crate::model::kube_name(stack))
}

/// `applyset-<base64url(sha256(NAME.NAMESPACE.Secret.))>-v1`, the id KEP-3659
/// derives from the parent's group, kind, name and namespace.
pub fn id(stack: &str, namespace: &str) -> String {
    let key = format!("{}.{namespace}.Secret.", parent_name(stack));
    let hash = Sha256::digest(key.as_bytes());
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash);
    format!("applyset-{encoded}-v1")
}

/// The parent Secret listing `kinds` and the `completed` Jobs.
pub fn parent(
    stack: &str,
    namespace: &str,
    kinds: &BTreeSet<Kind>,
    completed: &BTreeSet<String>,
) -> Value {
    let kinds: Vec<String> = kinds.iter().map(|k| k.group_kind()).collect();
    let completed: Vec<&str> = completed.iter().map(String::as_str).collect();
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": parent_name(stack),
            "namespace": namespace,
            "labels": {
                ID: id(stack, namespace),
                "app.kubernetes.io/managed-by": "floe",
            },
            "annotations": {
                TOOLING: concat!("floe/v", env!("CARGO_PKG_VERSION")),
                GROUP_KINDS: kinds.join(","),
                COMPLETED: completed.join(","),
            },
        },
        "type": "Opaque",
    })
}

/// Records the pods of the services with ephemeral data on a parent.
pub fn set_data_pods(parent: &mut Value, pods: &BTreeMap<String, String>) {
    if let Some(annotations) = parent
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        annotations.insert(DATA_PODS.into(), json!(json!(pods).to_string()));
    }
}

/// The pods of the services with ephemeral data a parent records.
pub fn data_pods_of(parent: &Value) -> BTreeMap<String, String> {
    parent
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(DATA_PODS))
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

/// The comma-separated entries of one of a parent's annotations.
fn listed<'a>(parent: &'a Value, annotation: &str) -> impl Iterator<Item = &'a str> {
    parent
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(annotation))
        .and_then(Value::as_str)
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
}

/// The kinds a parent lists.
pub fn kinds_of(parent: &Value) -> BTreeSet<Kind> {
    listed(parent, GROUP_KINDS)
        .filter_map(Kind::from_group_kind)
        .collect()
}

/// The completed Jobs a parent lists.
pub fn completed_of(parent: &Value) -> BTreeSet<String> {
    listed(parent, COMPLETED).map(str::to_string).collect()
}

/// The key of the Secrets' fingerprints on pod templates, in the parent's data.
const SALT: &str = "salt";

/// The salt a parent keeps.
pub fn salt_of(parent: &Value) -> Option<String> {
    let encoded = parent.pointer("/data")?.get(SALT)?.as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// Puts the salt in a parent's data.
pub fn set_salt(parent: &mut Value, salt: &str) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(salt);
    parent["data"] = json!({ SALT: encoded });
}

/// The label selector of objects of another ApplySet than `id`.
pub fn others(id: &str) -> String {
    format!("{PART_OF},{PART_OF}!={id}")
}

/// Adds the `part-of` label to an object, and to the claims a StatefulSet makes.
pub fn label(object: &mut Value, id: &str) {
    set_label(object, id);
    if let Some(claims) = object
        .pointer_mut("/spec/volumeClaimTemplates")
        .and_then(Value::as_array_mut)
    {
        for claim in claims {
            set_label(claim, id);
        }
    }
}

fn set_label(object: &mut Value, id: &str) {
    let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let labels = meta.entry("labels").or_insert_with(|| json!({}));
    if let Some(labels) = labels.as_object_mut() {
        labels.insert(PART_OF.to_string(), Value::String(id.to_string()));
    }
}

/// The label selector of an ApplySet's members.
pub fn selector(id: &str) -> String {
    format!("{PART_OF}={id}")
}

/// Names by kind, for the objects of one run.
pub fn names(objects: &[Value]) -> BTreeMap<Kind, BTreeSet<String>> {
    let mut out: BTreeMap<Kind, BTreeSet<String>> = BTreeMap::new();
    for o in objects {
        if let Some(r) = super::ObjectRef::of(o) {
            out.entry(r.kind).or_default().insert(r.name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_the_kep_hash_of_the_parent() {
        let id = id("demo", "demo");
        assert!(id.starts_with("applyset-") && id.ends_with("-v1"), "{id}");
        // 32 bytes of SHA-256 are 43 characters of unpadded base64url.
        assert_eq!(id.len(), "applyset-".len() + 43 + "-v1".len());
        assert!(!id.contains(['+', '/', '=']));
    }

    #[test]
    fn the_parent_lists_group_kinds_and_reads_back() {
        let kinds = BTreeSet::from([Kind::Deployment, Kind::Secret, Kind::Job]);
        let done = BTreeSet::from(["migrate-0123abcd".to_string()]);
        let p = parent("demo", "ns", &kinds, &done);
        assert_eq!(
            p["metadata"]["annotations"][GROUP_KINDS],
            "Secret,Deployment.apps,Job.batch"
        );
        assert_eq!(kinds_of(&p), kinds);
        assert_eq!(completed_of(&p), done);
    }
}
