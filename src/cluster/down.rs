//! `floe down`: deletes everything the stack's inventory lists, found by the
//! `part-of` label: workloads and Jobs first, then Services, config and accounts,
//! the parent, and the namespace last.
//!
//! Volume claims, and with them the data, are deleted only when asked. Kept claims
//! keep the stack's Secrets too: the data in a volume was written with those
//! passwords, and new ones made by the next run would be refused by it. What is kept
//! stays in the inventory (the parent lists it), so a later `floe down --volumes`
//! finds it and `floe run` takes it back.
//!
//! The namespace is deleted only when floe created it (no other field manager
//! wrote to it) and nothing but the stack was in it: deleting a namespace deletes
//! everything in it, other tools' objects included. Then `down` waits until the
//! namespace is gone: while it terminates, the API server refuses new objects in it
//! (403, "being terminated"), so a `floe run` right after would fail.

use serde_json::Value;

use super::requests::{NAMESPACE_WAIT, list, retry, wait_gone};
use super::secrets::Redactor;
use super::{Cluster, Kind, ObjectRef, RunError, inventory};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DownOutcome {
    /// False when the namespace has no floe inventory for the stack.
    pub found: bool,
    pub deleted: Vec<ObjectRef>,
    /// Volume claims left in place (without `--volumes`).
    pub kept_claims: Vec<ObjectRef>,
    /// The Secrets kept with the claims, and the parent that lists them.
    pub kept_secrets: Vec<ObjectRef>,
    /// Why the namespace was kept, when it was.
    pub namespace_kept: Option<String>,
}

/// Deletes the stack `stack` from `namespace`; `volumes` deletes its volume claims.
pub async fn down<C: Cluster>(
    cluster: &C,
    stack: &str,
    namespace: &str,
    volumes: bool,
) -> Result<DownOutcome, RunError> {
    let none = &Redactor::default();
    let parent = ObjectRef::new(Kind::Secret, namespace, &inventory::parent_name(stack));
    let Some(live) = retry(|| cluster.get(&parent))
        .await
        .map_err(|e| RunError::api(&parent, "read", e, none))?
    else {
        return Ok(DownOutcome::default());
    };
    let id = inventory::id(stack, namespace);
    let selector = inventory::selector(&id);
    let kinds = inventory::kinds_of(&live);
    let mut outcome = DownOutcome {
        found: true,
        ..DownOutcome::default()
    };
    let members = |kind: Kind| {
        let selector = selector.clone();
        async move {
            list(cluster, kind, namespace, &selector, none)
                .await
                .map(|l| l.refs(kind))
        }
    };
    let claims = members(Kind::PersistentVolumeClaim).await?;
    let keep_secrets = !volumes && !claims.is_empty();
    for kind in Kind::APPLIED
        .into_iter()
        .rev()
        .filter(|k| *k != Kind::Namespace && kinds.contains(k))
    {
        for target in members(kind).await? {
            if target == parent {
                continue;
            }
            if kind == Kind::Secret && keep_secrets {
                outcome.kept_secrets.push(target);
                continue;
            }
            delete(cluster, &target).await?;
            outcome.deleted.push(target);
        }
    }
    for claim in claims {
        if volumes {
            delete(cluster, &claim).await?;
            outcome.deleted.push(claim);
        } else {
            outcome.kept_claims.push(claim);
        }
    }
    if keep_secrets {
        let kept = [Kind::Secret].into_iter().collect();
        let completed = inventory::completed_of(&live);
        let mut rewritten = inventory::parent(stack, namespace, &kept, &completed);
        if let Some(salt) = inventory::salt_of(&live) {
            inventory::set_salt(&mut rewritten, &salt);
        }
        retry(|| cluster.apply(&rewritten, super::ApplyOptions::default()))
            .await
            .map_err(|e| RunError::api(&parent, "apply", e, none))?;
        outcome.kept_secrets.push(parent);
        outcome.namespace_kept = Some("it holds the kept volume claims".to_string());
        return Ok(outcome);
    }
    delete(cluster, &parent).await?;
    outcome.deleted.push(parent);
    let ns = ObjectRef::new(Kind::Namespace, "", namespace);
    let live = retry(|| cluster.get(&ns))
        .await
        .map_err(|e| RunError::api(&ns, "read", e, none))?;
    let Some(live) = live else {
        return Ok(outcome);
    };
    if !kinds.contains(&Kind::Namespace) || !created_by_floe(&live) {
        outcome.namespace_kept = Some("floe did not create it".to_string());
        return Ok(outcome);
    }
    let others = retry(|| cluster.namespace_contents(namespace))
        .await
        .map_err(|e| RunError::api(&ns, "list the objects of", e, none))?;
    if !others.is_empty() {
        let shown: Vec<&str> = others.iter().take(3).map(String::as_str).collect();
        let more = match others.len() {
            n if n > 3 => format!(" and {} more", n - 3),
            _ => String::new(),
        };
        outcome.namespace_kept = Some(format!(
            "it holds objects that are not the stack's: {}{more}",
            shown.join(", ")
        ));
        return Ok(outcome);
    }
    delete(cluster, &ns).await?;
    wait_gone(cluster, &ns, NAMESPACE_WAIT).await?;
    outcome.deleted.push(ns);
    Ok(outcome)
}

/// A namespace only floe has written to: deleting it deletes nothing of others'.
fn created_by_floe(namespace: &Value) -> bool {
    let name = namespace.pointer("/metadata/name").and_then(Value::as_str);
    let shared = ["default", "kube-system", "kube-public", "kube-node-lease"];
    let managers = namespace
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    !name.is_some_and(|n| shared.contains(&n))
        && managers
            .iter()
            .all(|m| m.get("manager").and_then(Value::as_str) == Some(super::kube::FIELD_MANAGER))
}

async fn delete<C: Cluster>(cluster: &C, target: &ObjectRef) -> Result<(), RunError> {
    retry(|| cluster.delete(target))
        .await
        .map_err(|e| RunError::api(target, "delete", e, &Redactor::default()))
}
