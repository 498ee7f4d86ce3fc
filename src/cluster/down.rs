//! `floe down`: deletes everything the stack's inventory lists, found by the
//! `part-of` label: workloads and Jobs first, then Services, config and accounts,
//! the parent, and the namespace last. Volume claims, and with them the data, are
//! deleted only when asked; the namespace is kept while claims remain in it, and
//! when a field manager other than floe has written to it (it existed before).

use super::run::retry;
use super::secrets::Redactor;
use super::{Cluster, Kind, ObjectRef, RunError, inventory};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DownOutcome {
    /// False when the namespace has no floe inventory for the stack.
    pub found: bool,
    pub deleted: Vec<ObjectRef>,
    /// Volume claims left in place (without `--volumes`).
    pub kept_claims: Vec<ObjectRef>,
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
            retry(|| cluster.list(kind, namespace, &selector))
                .await
                .map(|l| l.items.iter().filter_map(ObjectRef::of).collect::<Vec<_>>())
                .map_err(|e| RunError::api(&ObjectRef::new(kind, namespace, ""), "list", e, none))
        }
    };
    for kind in Kind::APPLIED
        .into_iter()
        .rev()
        .filter(|k| *k != Kind::Namespace && kinds.contains(k))
    {
        for target in members(kind).await? {
            delete(cluster, &target).await?;
            outcome.deleted.push(target);
        }
    }
    for claim in members(Kind::PersistentVolumeClaim).await? {
        if volumes {
            delete(cluster, &claim).await?;
            outcome.deleted.push(claim);
        } else {
            outcome.kept_claims.push(claim);
        }
    }
    delete(cluster, &parent).await?;
    outcome.deleted.push(parent);
    let ns = ObjectRef::new(Kind::Namespace, "", namespace);
    let live = retry(|| cluster.get(&ns))
        .await
        .map_err(|e| RunError::api(&ns, "read", e, none))?;
    let ours = live.as_ref().is_some_and(created_by_floe);
    if kinds.contains(&Kind::Namespace) && outcome.kept_claims.is_empty() && ours {
        delete(cluster, &ns).await?;
        outcome.deleted.push(ns);
    }
    Ok(outcome)
}

/// A namespace only floe has written to: deleting it deletes nothing of others'.
fn created_by_floe(namespace: &serde_json::Value) -> bool {
    let name = namespace
        .pointer("/metadata/name")
        .and_then(serde_json::Value::as_str);
    let shared = ["default", "kube-system", "kube-public", "kube-node-lease"];
    let managers = namespace
        .pointer("/metadata/managedFields")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    !name.is_some_and(|n| shared.contains(&n))
        && managers.iter().all(|m| {
            m.get("manager").and_then(serde_json::Value::as_str) == Some(super::kube::FIELD_MANAGER)
        })
}

async fn delete<C: Cluster>(cluster: &C, target: &ObjectRef) -> Result<(), RunError> {
    retry(|| cluster.delete(target))
        .await
        .map_err(|e| RunError::api(target, "delete", e, &Redactor::default()))
}
