//! When an applied object is ready, still coming, or has failed: pure functions over
//! objects as the API serves them.
//!
//! The rules are generation-aware (a status older than the spec says nothing) and
//! follow `kubectl rollout status` for Deployments and StatefulSets. Pods are read
//! for the failures that do not resolve by waiting: a container that keeps crashing
//! or cannot be created, an image name that is invalid; and for the ones Kubernetes
//! retries, which fail a run only when they last ([`PodFailure::retried`]). The
//! caller gives only the pods of the workload's current revision that are not
//! terminating: an old ReplicaSet's pod, kept by a rollout until the new one is
//! available, says nothing about the new one.

use serde_json::Value;

use super::Kind;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Not yet, and why.
    Waiting(String),
    /// Waiting longer will not help.
    Failed(String),
}

/// Container waiting reasons that mean the pod will not start by itself. The
/// kubelet retries all of them, but none comes right without a change: a container
/// that crashed and is backing off (it ran, so its image and config are there and
/// what it needs, floe started first); a missing Secret or ConfigMap key (floe
/// applies them before the workloads); a container the runtime cannot create (a
/// bad command or mount); an image name that cannot be parsed; an image that is not
/// on the node with `imagePullPolicy: Never`, which only loading it fixes.
const FINAL_WAITING: [&str; 5] = [
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "InvalidImageName",
    "ErrImageNeverPull",
];

/// Container waiting reasons that can come right by themselves: the kubelet retries
/// a pull with a back-off (10 s doubling to 5 min), so an image pushed after the
/// first attempt, or a registry that was briefly down, is pulled later.
const RETRIED_WAITING: [&str; 2] = ["ImagePullBackOff", "ErrImagePull"];

/// Whether a failure (as [`pod_failure`] words it) is an image the node could not
/// pull or, with `imagePullPolicy: Never`, does not have.
pub fn is_image_pull(failure: &str) -> bool {
    RETRIED_WAITING
        .iter()
        .chain(&["ErrImageNeverPull"])
        .any(|reason| failure.contains(reason))
}

/// The replicas a workload's spec asks for; Kubernetes' default is one.
pub fn wanted_replicas(workload: &Value) -> i64 {
    workload
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

fn int(v: &Value, path: &[&str]) -> i64 {
    let mut at = v;
    for key in path {
        match at.get(key) {
            Some(next) => at = next,
            None => return 0,
        }
    }
    at.as_i64().unwrap_or(0)
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The status conditions of an object.
pub fn conditions(object: &Value) -> Vec<&Value> {
    object
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .map(|c| c.iter().collect())
        .unwrap_or_default()
}

fn condition<'a>(object: &'a Value, kind: &str) -> Option<&'a Value> {
    conditions(object)
        .into_iter()
        .find(|c| text(c, "type") == kind)
}

fn is_true(object: &Value, kind: &str) -> bool {
    condition(object, kind).is_some_and(|c| text(c, "status") == "True")
}

/// The readiness of an applied object by its own status.
pub fn object(kind: Kind, object: &Value) -> Readiness {
    match kind {
        Kind::Deployment => deployment(object),
        Kind::StatefulSet => stateful_set(object),
        Kind::Job => job(object),
        Kind::PersistentVolumeClaim => claim(object, false),
        _ => Readiness::Ready,
    }
}

/// The controller has seen the object's current spec: its status speaks of it.
pub fn observed(object: &Value) -> bool {
    let generation = int(object, &["metadata", "generation"]);
    int(object, &["status", "observedGeneration"]) >= generation
}

/// As `kubectl rollout status`: the new spec observed, every replica updated, old
/// replicas gone, and the updated ones available.
pub fn deployment(d: &Value) -> Readiness {
    if !observed(d) {
        return Readiness::Waiting("waiting for the new spec to be observed".into());
    }
    if let Some(c) = condition(d, "Progressing")
        && text(c, "reason") == "ProgressDeadlineExceeded"
    {
        return Readiness::Failed(format!(
            "rollout exceeded its progress deadline: {}",
            text(c, "message")
        ));
    }
    // The ReplicaSet cannot create pods: a quota, a PodSecurity or other admission
    // refusal. The controller retries, but only a change of the policy or of the
    // pod helps.
    if let Some(c) = condition(d, "ReplicaFailure").filter(|c| text(c, "status") == "True") {
        return Readiness::Failed(
            format!(
                "pods cannot be created: {} {}",
                text(c, "reason"),
                text(c, "message")
            )
            .trim_end()
            .to_string(),
        );
    }
    let wanted = wanted_replicas(d);
    let updated = int(d, &["status", "updatedReplicas"]);
    let replicas = int(d, &["status", "replicas"]);
    let available = int(d, &["status", "availableReplicas"]);
    if updated < wanted {
        return Readiness::Waiting(format!("{updated} of {wanted} replicas updated"));
    }
    if replicas > updated {
        return Readiness::Waiting(format!("{} old replicas terminating", replicas - updated));
    }
    if available < updated {
        return Readiness::Waiting(format!(
            "{available} of {updated} updated replicas available"
        ));
    }
    Readiness::Ready
}

/// Every replica ready and on the current revision.
pub fn stateful_set(s: &Value) -> Readiness {
    if !observed(s) {
        return Readiness::Waiting("waiting for the new spec to be observed".into());
    }
    let wanted = wanted_replicas(s);
    let ready = int(s, &["status", "readyReplicas"]);
    let updated = int(s, &["status", "updatedReplicas"]);
    if ready < wanted {
        return Readiness::Waiting(format!("{ready} of {wanted} replicas ready"));
    }
    if updated < wanted {
        return Readiness::Waiting(format!("{updated} of {wanted} replicas updated"));
    }
    let status = s.get("status").unwrap_or(&Value::Null);
    if text(status, "updateRevision") != text(status, "currentRevision") {
        return Readiness::Waiting("rolling to the update revision".into());
    }
    Readiness::Ready
}

/// `Complete` or `Failed`: the only terminal states of a Job.
pub fn job(j: &Value) -> Readiness {
    if is_true(j, "Complete") {
        return Readiness::Ready;
    }
    if let Some(c) = condition(j, "Failed").filter(|c| text(c, "status") == "True") {
        return Readiness::Failed(
            format!(
                "the Job failed: {} {}",
                text(c, "reason"),
                text(c, "message")
            )
            .trim_end()
            .to_string(),
        );
    }
    let active = int(j, &["status", "active"]);
    let failed = int(j, &["status", "failed"]);
    Readiness::Waiting(match failed {
        0 => format!("{active} pods running"),
        n => format!("{active} pods running, {n} failed attempts"),
    })
}

/// `Bound`, or `Pending` in a storage class that binds when the first pod is
/// scheduled (`waiting_for_consumer`: the claim's events say `WaitForFirstConsumer`).
pub fn claim(pvc: &Value, waiting_for_consumer: bool) -> Readiness {
    match pvc.pointer("/status/phase").and_then(Value::as_str) {
        Some("Bound") => Readiness::Ready,
        Some("Pending") if waiting_for_consumer => Readiness::Ready,
        Some("Lost") => Readiness::Failed("the volume claim lost its volume".into()),
        _ => Readiness::Waiting("the volume claim is not bound".into()),
    }
}

/// A pod that cannot start: `(pod, container, reason, message)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodFailure {
    pub pod: String,
    /// Empty for a pod that is not scheduled.
    pub container: String,
    pub reason: String,
    pub message: String,
    /// Kubernetes retries it and it may come right: a failure only once it has
    /// lasted. Image pulls (see [`RETRIED_WAITING`]), and a pod the scheduler cannot
    /// place yet: a volume claim that binds in a moment, an autoscaler that adds a
    /// node in a minute or two.
    pub retried: bool,
}

/// The first pod of `pods` that cannot start by itself, if any: one that will not
/// come right before one that may. Pods being deleted are skipped.
pub fn pod_failure(pods: &[Value]) -> Option<PodFailure> {
    let live = || {
        pods.iter()
            .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
            .filter_map(one_pod_failure)
    };
    live().find(|f| !f.retried).or_else(|| live().next())
}

fn one_pod_failure(pod: &Value) -> Option<PodFailure> {
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let statuses = ["initContainerStatuses", "containerStatuses"]
        .into_iter()
        .filter_map(|k| {
            pod.pointer(&format!("/status/{k}"))
                .and_then(Value::as_array)
        })
        .flatten();
    for status in statuses {
        let Some(waiting) = status.pointer("/state/waiting") else {
            continue;
        };
        let reason = text(waiting, "reason");
        let retried = RETRIED_WAITING.contains(&reason);
        if retried || FINAL_WAITING.contains(&reason) {
            return Some(PodFailure {
                pod: name,
                container: text(status, "name").to_string(),
                reason: reason.to_string(),
                message: text(waiting, "message").to_string(),
                retried,
            });
        }
    }
    let scheduled = condition(pod, "PodScheduled")?;
    (text(scheduled, "status") == "False" && text(scheduled, "reason") == "Unschedulable").then(
        || PodFailure {
            pod: name,
            container: String::new(),
            reason: "Unschedulable".to_string(),
            message: text(scheduled, "message").to_string(),
            retried: true,
        },
    )
}

/// Conditions as `Type=Status (Reason): message`, for evidence.
pub fn describe_conditions(object: &Value) -> Vec<String> {
    conditions(object)
        .into_iter()
        .map(|c| {
            let mut line = format!("{}={}", text(c, "type"), text(c, "status"));
            if !text(c, "reason").is_empty() {
                line.push_str(&format!(" ({})", text(c, "reason")));
            }
            if !text(c, "message").is_empty() {
                line.push_str(&format!(": {}", text(c, "message")));
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_deployment_is_ready_only_for_its_current_generation() {
        let mut d = json!({
            "metadata": {"generation": 2},
            "spec": {"replicas": 2},
            "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}
        });
        assert!(matches!(deployment(&d), Readiness::Waiting(_)));
        d["status"]["observedGeneration"] = json!(2);
        assert_eq!(deployment(&d), Readiness::Ready);
        d["status"]["replicas"] = json!(3);
        assert_eq!(
            deployment(&d),
            Readiness::Waiting("1 old replicas terminating".into())
        );
        d["status"]["replicas"] = json!(2);
        d["status"]["availableReplicas"] = json!(1);
        assert!(matches!(deployment(&d), Readiness::Waiting(_)));
        d["status"]["conditions"] = json!([{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]);
        assert!(matches!(deployment(&d), Readiness::Failed(_)));
    }

    #[test]
    fn a_stateful_set_needs_ready_updated_replicas_on_one_revision() {
        let mut s = json!({
            "metadata": {"generation": 1},
            "spec": {"replicas": 1},
            "status": {"observedGeneration": 1, "readyReplicas": 1, "updatedReplicas": 1,
                       "currentRevision": "a", "updateRevision": "b"}
        });
        assert!(matches!(stateful_set(&s), Readiness::Waiting(_)));
        s["status"]["currentRevision"] = json!("b");
        assert_eq!(stateful_set(&s), Readiness::Ready);
        s["status"]["readyReplicas"] = json!(0);
        assert!(matches!(stateful_set(&s), Readiness::Waiting(_)));
    }

    #[test]
    fn jobs_end_complete_or_failed() {
        let done = json!({"status": {"conditions": [{"type": "Complete", "status": "True"}]}});
        assert_eq!(job(&done), Readiness::Ready);
        let failed = json!({"status": {"conditions": [
            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}
        ]}});
        assert_eq!(
            job(&failed),
            Readiness::Failed(
                "the Job failed: BackoffLimitExceeded Job has reached the specified backoff limit"
                    .into()
            )
        );
        assert!(matches!(
            job(&json!({"status": {"active": 1}})),
            Readiness::Waiting(_)
        ));
    }

    #[test]
    fn claims_are_ready_bound_or_waiting_for_their_first_consumer() {
        let pending = json!({"status": {"phase": "Pending"}});
        assert!(matches!(claim(&pending, false), Readiness::Waiting(_)));
        assert_eq!(claim(&pending, true), Readiness::Ready);
        assert_eq!(
            claim(&json!({"status": {"phase": "Bound"}}), false),
            Readiness::Ready
        );
    }

    #[test]
    fn pods_that_cannot_start_are_failures() {
        let pull = json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [
            {"name": "app", "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}
        ]}});
        let failure = pod_failure(&[pull]).map(|f| (f.container, f.reason));
        assert_eq!(failure, Some(("app".into(), "ImagePullBackOff".into())));
        let starting = json!({"status": {"containerStatuses": [
            {"name": "app", "state": {"waiting": {"reason": "ContainerCreating"}}}
        ]}});
        assert_eq!(pod_failure(&[starting]), None);
        let unschedulable = json!({"metadata": {"name": "q"}, "status": {"conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/1 nodes are available: insufficient memory"}
        ]}});
        assert_eq!(
            pod_failure(std::slice::from_ref(&unschedulable)).map(|f| (f.reason, f.retried)),
            Some(("Unschedulable".into(), true))
        );
        // A pod that will not come right is named before one that may.
        let crash = json!({"metadata": {"name": "c"}, "status": {"containerStatuses": [
            {"name": "app", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
        ]}});
        assert_eq!(
            pod_failure(&[unschedulable, crash.clone()]).map(|f| (f.pod, f.retried)),
            Some(("c".into(), false))
        );
        // A pod being deleted says nothing.
        let mut leaving = crash;
        leaving["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        assert_eq!(pod_failure(&[leaving]), None);
    }

    #[test]
    fn image_pulls_are_retried_and_a_replica_failure_is_final() {
        for reason in ["ImagePullBackOff", "ErrImagePull"] {
            let pod = json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [
                {"name": "app", "state": {"waiting": {"reason": reason}}}]}});
            assert_eq!(pod_failure(&[pod]).map(|f| f.retried), Some(true));
        }
        for reason in [
            "CreateContainerError",
            "ErrImageNeverPull",
            "InvalidImageName",
        ] {
            let pod = json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [
                {"name": "app", "state": {"waiting": {"reason": reason}}}]}});
            assert_eq!(
                pod_failure(&[pod]).map(|f| f.retried),
                Some(false),
                "{reason}"
            );
        }
        let d = json!({
            "metadata": {"generation": 1}, "spec": {"replicas": 1},
            "status": {"observedGeneration": 1, "replicas": 0, "updatedReplicas": 0, "conditions": [
                {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                 "message": "pods \"api-1\" is forbidden: exceeded quota: compute"}]}
        });
        assert!(
            matches!(deployment(&d), Readiness::Failed(m) if m.contains("exceeded quota")),
            "{:?}",
            deployment(&d)
        );
    }
}
