//! `floe diff` and `floe run --dry-run`: what a run would change, from a
//! server-side dry-run apply (`dryRun=All`: admission and defaults, nothing stored)
//! compared with the live object, both without `managedFields`, `status` and the
//! fields the server sets. Secret values are never shown: a Secret's keys read
//! `<secret>` or `<secret, changed>`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use super::requests::{list, retry, supported};
use super::run::{Input, Prepared, prepare};
use super::secrets::Redactor;
use super::{ApplyOptions, Cluster, Kind, ObjectRef, RunError, inventory};
use crate::data::Env;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Create,
    /// The differing lines, as a diff of YAML.
    Update(String),
    Unchanged,
    /// In the inventory, not in the stack: a run prunes it.
    Delete,
    /// Another field manager owns fields floe sets: `(manager, field)`.
    Conflict(Vec<(String, String)>),
    /// The server would refuse the apply (admission, validation), and why.
    Refused(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectDiff {
    pub object: ObjectRef,
    pub change: Change,
}

/// What applying the stack would change, object by object.
pub async fn diff<C: Cluster>(
    cluster: &C,
    input: Input<'_>,
    env: &dyn Env,
    force: bool,
) -> Result<Vec<ObjectDiff>, RunError> {
    supported(cluster).await?;
    let prepared = prepare(cluster, input, env).await?;
    let r = &prepared.redactor;
    let mut out = Vec::new();
    for object in prepared.objects() {
        let Some(target) = ObjectRef::of(object) else {
            continue;
        };
        let live = retry(|| cluster.get(&target))
            .await
            .map_err(|e| RunError::api(&target, "read", e, r))?;
        // Objects to create are dry-run too, so that admission (quotas, policies,
        // validation) speaks before the run; a refusal or conflict is that object's
        // change, and the diff goes on.
        let options = ApplyOptions {
            force,
            dry_run: true,
        };
        let dry = retry(|| cluster.apply(object, options)).await;
        let change = match (live, dry) {
            (Some(live), Ok(dry)) => compare(&live, &dry, r),
            (None, Ok(_)) => Change::Create,
            // The namespace is not there yet: nothing to admit the object into.
            (None, Err(e)) if e.is_not_found() => Change::Create,
            (_, Err(e)) if e.code == 409 && !e.causes.is_empty() => Change::Conflict(e.conflicts()),
            (_, Err(e)) if matches!(e.code, 400 | 403 | 422) => {
                Change::Refused(r.redact(&e.to_string()))
            }
            (_, Err(e)) => return Err(RunError::api(&target, "dry-run apply", e, r)),
        };
        out.push(ObjectDiff {
            object: target,
            change,
        });
    }
    out.extend(removed(cluster, &prepared).await?);
    Ok(out)
}

/// Members of the inventory that the stack no longer has.
async fn removed<C: Cluster>(
    cluster: &C,
    prepared: &Prepared,
) -> Result<Vec<ObjectDiff>, RunError> {
    let r = &prepared.redactor;
    let Some(parent) = &prepared.previous else {
        return Ok(Vec::new());
    };
    let keep = inventory::names(&prepared.objects().cloned().collect::<Vec<_>>());
    let kinds: BTreeSet<Kind> = inventory::kinds_of(parent);
    let selector = inventory::selector(&prepared.id);
    let mut out = Vec::new();
    for kind in kinds {
        let listing = list(cluster, kind, &prepared.namespace, &selector, r).await?;
        for target in listing.refs(kind) {
            if !keep
                .get(&kind)
                .is_some_and(|names| names.contains(&target.name))
            {
                out.push(ObjectDiff {
                    object: target,
                    change: Change::Delete,
                });
            }
        }
    }
    Ok(out)
}

fn compare(live: &Value, dry: &Value, redactor: &Redactor) -> Change {
    let mut live = normalise(live);
    let mut dry = normalise(dry);
    if live.get("kind").and_then(Value::as_str) == Some("Secret") {
        mask_secret(&mut live, &mut dry);
    }
    let before = redactor.redact(&crate::emit::to_yaml_value(&live));
    let after = redactor.redact(&crate::emit::to_yaml_value(&dry));
    if before == after {
        Change::Unchanged
    } else {
        Change::Update(line_diff(&before, &after))
    }
}

/// Without what the server writes: status, managed fields, versions, uid, times.
fn normalise(object: &Value) -> Value {
    let mut v = object.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in [
            "managedFields",
            "resourceVersion",
            "uid",
            "generation",
            "creationTimestamp",
        ] {
            meta.remove(key);
        }
    }
    v
}

/// Replaces every value of a Secret's data with `<secret>`, or `<secret, changed>`
/// on the new side when it differs.
fn mask_secret(live: &mut Value, dry: &mut Value) {
    let old = live.get("data").cloned().unwrap_or(Value::Null);
    if let Some(data) = live.get_mut("data").and_then(Value::as_object_mut) {
        for v in data.values_mut() {
            *v = Value::String("<secret>".into());
        }
    }
    if let Some(data) = dry.get_mut("data").and_then(Value::as_object_mut) {
        for (k, v) in data.iter_mut() {
            let same = old.get(k) == Some(v);
            *v = Value::String(
                if same {
                    "<secret>"
                } else {
                    "<secret, changed>"
                }
                .into(),
            );
        }
    }
}

/// The lines that differ, `-` old and `+` new, with two lines of context.
pub fn line_diff(before: &str, after: &str) -> String {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    // Longest common subsequence table, from the end.
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    let near = |k: usize| {
        let lo = k.saturating_sub(2);
        let hi = (k + 2).min(ops.len().saturating_sub(1));
        (lo..=hi).any(|x| ops.get(x).is_some_and(|(op, _)| *op != ' '))
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (op, line)) in ops.iter().enumerate() {
        if near(k) {
            if skipped {
                out.push_str("  ...\n");
                skipped = false;
            }
            let _ = writeln!(out, "{op} {line}");
        } else {
            skipped = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_diff_shows_changed_lines_with_context() {
        let before = "a\nb\nc\nd\ne\nf\ng\n";
        let after = "a\nb\nc\nd\nE\nf\ng\n";
        assert_eq!(
            line_diff(before, after),
            "  ...\n  c\n  d\n- e\n+ E\n  f\n  g\n"
        );
    }

    #[test]
    fn server_fields_and_secret_values_are_not_compared() {
        let live = json!({"kind": "Secret", "metadata": {"name": "s", "resourceVersion": "1", "managedFields": []},
                          "data": {"a": "eA==", "b": "eQ=="}});
        let dry = json!({"kind": "Secret", "metadata": {"name": "s", "resourceVersion": "2"},
                         "data": {"a": "eA==", "b": "ej0="}});
        let Change::Update(text) = compare(&live, &dry, &Redactor::default()) else {
            panic!("a changed key is a change");
        };
        let added = text.lines().find(|l| l.starts_with("+ ")).unwrap_or("");
        assert!(
            added.contains("b: ") && added.contains("<secret, changed>"),
            "{text}"
        );
        assert!(!text.contains("ej0=") && !text.contains("eQ=="), "{text}");
        assert_eq!(
            compare(&live, &live, &Redactor::default()),
            Change::Unchanged
        );
    }
}
