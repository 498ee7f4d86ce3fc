//! An in-memory cluster for tests and the benchmark, that behaves as the API server
//! and its controllers do wherever floe relies on them. Each behaviour names what it
//! follows:
//!
//! - **Storage** (apiserver): the server sets `uid`, `creationTimestamp` and
//!   `resourceVersion`, and `generation`, which moves only when `spec` changes; a
//!   server-side apply records its field manager in `managedFields`. A Job's
//!   `spec.template` is immutable: changing it is `422 Invalid` (batch validation).
//! - **Typed lists** leave `apiVersion` and `kind` off their items ([`Listing`]).
//! - **Deployments** (the deployment controller, RollingUpdate with the default
//!   25% maxSurge and maxUnavailable, which for the small replica counts of a stack
//!   round to one pod of surge and none unavailable): each pod-template change is a
//!   new ReplicaSet with the `pod-template-hash` label and the
//!   `deployment.kubernetes.io/revision` annotation the Deployment carries too; the
//!   old ReplicaSet's pods stay until the new ones are available, then terminate.
//! - **StatefulSets** (the StatefulSet controller, OrderedReady): pods `NAME-i` with
//!   `controller-revision-hash`, the status' `updateRevision`; on a template change
//!   the old pod terminates before the new one is made; claims from the volume
//!   claim templates, `TEMPLATE-NAME-i`, kept when the set is deleted.
//! - **Jobs**: pods labelled `batch.kubernetes.io/job-name`; the TTL-after-finished
//!   controller deletes a finished Job `ttlSecondsAfterFinished` after it finished.
//! - **Namespaces** (the namespace controller and the NamespaceLifecycle admission
//!   plugin): a deleted namespace is `Terminating` for a while, its objects are
//!   deleted, and creating an object in it is `403 Forbidden`, "being terminated".
//! - **Pods and events** (kubelet, scheduler): a workload becomes ready a set time
//!   after it was applied, or fails in a chosen way with the container states,
//!   conditions, events and logs a real cluster shows.
//!
//! API errors can be injected per operation and object, and fields can be owned by
//! another manager to provoke apply conflicts. Time is tokio's, so tests can run on
//! paused time.
//!
//! [`Listing`]: super::Listing

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::{ApiError, ApplyOptions, Cause, Cluster, Kind, Listing, ObjectRef};
use crate::data::report::results_line;
use crate::data::verify::CheckResult;

/// How a workload behaves once applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Behaviour {
    /// When it becomes ready (or, with a failure, when the failure shows).
    pub after: Duration,
    pub failure: Option<Failure>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The image cannot be pulled. A pod keeps this failure for its life: the
    /// kubelet retries the pull with a back-off up to five minutes, which the
    /// fake, whose runs take seconds of tokio's clock, does not reach.
    ImagePullBackOff,
    ErrImagePull,
    CrashLoopBackOff,
    CreateContainerConfigError,
    Unschedulable,
    /// The Deployment's ReplicaSet cannot create pods (a quota, a PodSecurity
    /// admission): `ReplicaFailure`, `FailedCreate`.
    FailedCreate,
    /// The Job's pods fail until its backoff limit.
    JobFailed,
    /// The Job's first pod fails at `after`; the Job controller replaces it
    /// (`status.failed` below `backoffLimit`: "Pod backoff failure policy" in the
    /// Job documentation) and the second pod succeeds `after` later. The first
    /// pod's log ends with [`FAILED_ATTEMPT`].
    RetriedOnce,
    /// Never ready, never failed.
    Stuck,
}

/// The operations faults can be injected into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Apply,
    Get,
    List,
    Delete,
    Watch,
}

/// A request the fake received: operation, kind and name (or label selector).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub op: Op,
    pub kind: Kind,
    pub name: String,
    pub force: bool,
    pub dry_run: bool,
}

/// One pod template of a Deployment or StatefulSet, and how its pods behave.
#[derive(Clone, Debug)]
struct Revision {
    hash: String,
    since: Instant,
    behaviour: Behaviour,
}

struct Stored {
    value: Value,
    /// When the current generation was applied.
    since: Instant,
    /// How the current generation behaves, fixed when it was applied: a failed
    /// Job stays failed when the workload's behaviour is changed later.
    behaviour: Option<Behaviour>,
    /// A Deployment's or StatefulSet's pod templates, oldest first.
    revisions: Vec<Revision>,
    /// What its pods write, fixed when the current generation was applied: a
    /// finished Job's log is that of its own run.
    log: String,
    /// How many times its pods were deleted and made again by the controller
    /// (see [`FakeCluster::recreate_pods`]): each time they get new uids.
    incarnation: u32,
}

struct Fault {
    op: Op,
    kind: Kind,
    name: String,
    remaining: usize,
    error: ApiError,
}

#[derive(Default)]
struct State {
    objects: BTreeMap<ObjectRef, Stored>,
    version: u64,
    behaviours: BTreeMap<String, Behaviour>,
    default_after: Duration,
    /// How long a deleted namespace terminates, and a pod after deletion.
    termination: Duration,
    /// Deleted namespaces still terminating, and when they are gone.
    terminating: BTreeMap<String, Instant>,
    faults: Vec<Fault>,
    owners: Vec<(Kind, String, String, String)>,
    logs: BTreeMap<String, String>,
    calls: Vec<Call>,
    epoch: Option<Instant>,
    /// The Kubernetes minor version served: 1.33 unless told.
    minor: u32,
}

pub struct FakeCluster {
    state: Mutex<State>,
    changed: Notify,
}

impl Default for FakeCluster {
    fn default() -> FakeCluster {
        FakeCluster::new(Duration::ZERO)
    }
}

/// How long pods and namespaces take to terminate unless told otherwise: a pod's
/// default `terminationGracePeriodSeconds` is 30; the fake is quicker.
const TERMINATION: Duration = Duration::from_secs(2);

impl FakeCluster {
    /// A cluster where every workload is ready `after` it is applied.
    pub fn new(after: Duration) -> FakeCluster {
        let state = State {
            default_after: after,
            termination: TERMINATION,
            epoch: Some(Instant::now()),
            minor: 33,
            ..State::default()
        };
        FakeCluster {
            state: Mutex::new(state),
            changed: Notify::new(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        guard.expire(Instant::now());
        f(&mut guard)
    }

    /// How the workload named `name` behaves (for Jobs, the plan's step name).
    pub fn behave(&self, name: &str, behaviour: Behaviour) {
        self.with(|s| s.behaviours.insert(name.to_string(), behaviour));
    }

    /// Serves Kubernetes 1.`minor`.
    pub fn serve_version(&self, minor: u32) {
        self.with(|s| s.minor = minor);
    }

    /// The pods of the workload `name` are deleted (an eviction, a node restart)
    /// and its controller makes them again, with new uids: their emptyDir
    /// volumes start empty ("emptyDir" in the Kubernetes volumes documentation:
    /// its data is deleted for good when the pod is removed from the node).
    pub fn recreate_pods(&self, name: &str) {
        self.with(|s| {
            for (r, stored) in &mut s.objects {
                if r.name == name && matches!(r.kind, Kind::Deployment | Kind::StatefulSet) {
                    stored.incarnation += 1;
                }
            }
        });
    }

    /// How long deleted namespaces, and pods, take to terminate.
    pub fn terminate_after(&self, duration: Duration) {
        self.with(|s| s.termination = duration);
    }

    /// The next `times` requests of `op` on the object `kind`/`name` fail with
    /// `error` (for lists, `name` is the label selector).
    pub fn fail(&self, op: Op, kind: Kind, name: &str, times: usize, error: ApiError) {
        self.with(|s| {
            s.faults.push(Fault {
                op,
                kind,
                name: name.to_string(),
                remaining: times,
                error,
            })
        });
    }

    /// `manager` owns `field` of the object `kind`/`name`: a plain apply conflicts.
    pub fn own(&self, kind: Kind, name: &str, field: &str, manager: &str) {
        self.with(|s| {
            s.owners.push((
                kind,
                name.to_string(),
                field.to_string(),
                manager.to_string(),
            ))
        });
    }

    /// What the pods of the workload `name` (a step name for Jobs) write.
    pub fn log(&self, name: &str, text: &str) {
        self.with(|s| s.logs.insert(name.to_string(), text.to_string()));
    }

    /// The verify Job named `step` writes these results.
    pub fn checks(&self, step: &str, stack: &str, results: &[CheckResult]) {
        self.log(
            step,
            &format!("reading tables\n{}\n", results_line(stack, results)),
        );
    }

    pub fn calls(&self) -> Vec<Call> {
        self.with(|s| s.calls.clone())
    }

    /// Every stored object, as the API would serve it.
    pub fn objects(&self) -> Vec<Value> {
        let now = Instant::now();
        self.with(|s| s.objects.values().map(|o| s.view(o, now)).collect())
    }

    /// The pods as they are now.
    pub fn pods(&self) -> Vec<Value> {
        let now = Instant::now();
        self.with(|s| s.pods(now).into_iter().map(|p| p.value).collect())
    }

    /// Adds an object as another tool would (no status simulation beyond storage).
    pub fn insert(&self, object: Value) {
        if let Some(r) = ObjectRef::of(&object) {
            self.with(|s| {
                s.version += 1;
                let mut value = object;
                value["metadata"]["resourceVersion"] = json!(s.version.to_string());
                let since = Instant::now();
                s.objects.insert(
                    r,
                    Stored {
                        value,
                        since,
                        behaviour: None,
                        revisions: Vec::new(),
                        log: String::new(),
                        incarnation: 0,
                    },
                );
            });
        }
    }

    /// The object, if stored, as the API would serve it.
    pub fn object(&self, target: &ObjectRef) -> Option<Value> {
        let now = Instant::now();
        self.with(|s| s.objects.get(target).map(|o| s.view(o, now)))
    }

    /// The refs of every stored object.
    pub fn refs(&self) -> Vec<ObjectRef> {
        self.with(|s| s.objects.keys().cloned().collect())
    }

    fn record(
        &self,
        op: Op,
        kind: Kind,
        name: &str,
        options: ApplyOptions,
    ) -> Result<(), ApiError> {
        self.with(|s| {
            s.calls.push(Call {
                op,
                kind,
                name: name.to_string(),
                force: options.force,
                dry_run: options.dry_run,
            });
            let fault = s
                .faults
                .iter_mut()
                .find(|f| f.op == op && f.kind == kind && f.name == name && f.remaining > 0)?;
            fault.remaining -= 1;
            Some(fault.error.clone())
        })
        .map_or(Ok(()), Err)
    }
}

/// A pod as the fake makes it up, with the workload it belongs to.
struct FakePod {
    owner: ObjectRef,
    value: Value,
    /// The failure its containers show, if any.
    failure: Option<Failure>,
}

impl State {
    /// What the controllers have done by `now`: terminated namespaces are gone,
    /// finished Jobs past their TTL deleted.
    fn expire(&mut self, now: Instant) {
        let gone: Vec<String> = self
            .terminating
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(ns, _)| ns.clone())
            .collect();
        for ns in gone {
            self.terminating.remove(&ns);
            self.objects
                .remove(&ObjectRef::new(Kind::Namespace, "", &ns));
        }
        let expired: Vec<ObjectRef> = self
            .objects
            .iter()
            .filter(|(r, o)| r.kind == Kind::Job && self.ttl_expired(o, now))
            .map(|(r, _)| r.clone())
            .collect();
        for r in expired {
            self.objects.remove(&r);
        }
    }

    /// A Job finished more than `ttlSecondsAfterFinished` ago.
    fn ttl_expired(&self, stored: &Stored, now: Instant) -> bool {
        let Some(ttl) = stored
            .value
            .pointer("/spec/ttlSecondsAfterFinished")
            .and_then(Value::as_u64)
        else {
            return false;
        };
        let b = self.behaviour_of(stored);
        let finishes = !matches!(b.failure, Some(Failure::Stuck));
        finishes && now >= stored.since + b.after + Duration::from_secs(ttl)
    }

    fn behaviour_of(&self, stored: &Stored) -> Behaviour {
        stored
            .behaviour
            .clone()
            .unwrap_or_else(|| self.behaviour(&stored.value))
    }

    fn behaviour(&self, object: &Value) -> Behaviour {
        let name = step_name(object);
        self.behaviours.get(&name).cloned().unwrap_or(Behaviour {
            after: self.default_after,
            failure: None,
        })
    }

    /// `2026-01-01T…Z`, the fake's wall clock at `at`.
    fn timestamp(&self, at: Instant) -> String {
        let secs = self
            .epoch
            .map_or(0, |e| at.saturating_duration_since(e).as_secs());
        let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
        format!("2026-01-{:02}T{h:02}:{m:02}:{s:02}Z", 1 + d.min(27))
    }

    /// The stored object with the status it has `now`.
    fn view(&self, stored: &Stored, now: Instant) -> Value {
        let mut v = stored.value.clone();
        let Some(kind) = ObjectRef::of(&v).map(|r| r.kind) else {
            return v;
        };
        let generation = v
            .pointer("/metadata/generation")
            .cloned()
            .unwrap_or(json!(1));
        let replicas = super::readiness::wanted_replicas(&v);
        let status = match kind {
            Kind::Deployment => self.deployment_status(stored, now, &generation, replicas),
            Kind::StatefulSet => {
                let (current, old) = rollout(stored, now);
                let ready = current.is_some_and(|c| revision_ready(c, now));
                let up = if ready { replicas } else { 0 };
                let name = stored.value["metadata"]["name"].as_str().unwrap_or("");
                let update = current.map_or(String::new(), |c| format!("{name}-{}", c.hash));
                let previous = old.map_or(update.clone(), |o| format!("{name}-{}", o.hash));
                json!({
                    "observedGeneration": generation, "replicas": replicas, "readyReplicas": up,
                    "updatedReplicas": if ready { replicas } else { 0 },
                    "currentRevision": if ready { update.clone() } else { previous },
                    "updateRevision": update
                })
            }
            Kind::Job => {
                let b = self.behaviour_of(stored);
                job_status(&b, stored.since, now)
            }
            Kind::PersistentVolumeClaim => json!({"phase": "Bound"}),
            Kind::Namespace => {
                let name = v["metadata"]["name"].as_str().unwrap_or("");
                match self.terminating.contains_key(name) {
                    true => json!({"phase": "Terminating"}),
                    false => json!({"phase": "Active"}),
                }
            }
            _ => return v,
        };
        if kind == Kind::Deployment
            && let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut)
        {
            let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
            annotations["deployment.kubernetes.io/revision"] =
                json!(stored.revisions.len().to_string());
        }
        v["status"] = status;
        v
    }

    fn deployment_status(
        &self,
        stored: &Stored,
        now: Instant,
        generation: &Value,
        replicas: i64,
    ) -> Value {
        let (current, old) = rollout(stored, now);
        let ready = current.is_some_and(|c| revision_ready(c, now));
        let old_up = old.is_some_and(|o| revision_ready(o, now));
        let created = current.is_some_and(|c| c.behaviour.failure != Some(Failure::FailedCreate));
        let available = if ready { replicas } else { 0 } + if old_up { replicas } else { 0 };
        let total = if created { replicas } else { 0 } + if old.is_some() { replicas } else { 0 };
        let mut conditions = vec![json!({
            "type": "Available",
            "status": if available >= replicas { "True" } else { "False" },
            "reason": if available >= replicas { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" }
        })];
        if let Some(c) = current.filter(|c| {
            c.behaviour.failure == Some(Failure::FailedCreate) && now >= c.since + c.behaviour.after
        }) {
            let rs = format!(
                "{}-{}",
                stored.value["metadata"]["name"].as_str().unwrap_or(""),
                c.hash
            );
            conditions.push(json!({
                "type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                "message": format!("pods \"{rs}-x0\" is forbidden: exceeded quota: compute, requested: limits.memory=512Mi, used: limits.memory=2Gi, limited: limits.memory=2Gi")
            }));
        }
        json!({
            "observedGeneration": generation, "replicas": total,
            "updatedReplicas": if created { replicas } else { 0 },
            "availableReplicas": available, "readyReplicas": available,
            "conditions": conditions
        })
    }

    /// The ReplicaSets of every Deployment: one per revision, scaled to zero once
    /// replaced.
    fn replica_sets(&self, now: Instant) -> Vec<Value> {
        let mut sets = Vec::new();
        for (r, stored) in &self.objects {
            if r.kind != Kind::Deployment {
                continue;
            }
            let (_, old) = rollout(stored, now);
            let replicas = super::readiness::wanted_replicas(&stored.value);
            let last = stored.revisions.len();
            for (i, revision) in stored.revisions.iter().enumerate() {
                let live = i + 1 == last || old.is_some_and(|o| o.hash == revision.hash);
                let mut labels = template_labels(&stored.value);
                labels["pod-template-hash"] = json!(revision.hash);
                sets.push(json!({
                    "apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {
                        "name": format!("{}-{}", r.name, revision.hash),
                        "namespace": r.namespace, "labels": labels,
                        "annotations": {"deployment.kubernetes.io/revision": (i + 1).to_string()},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": r.name,
                                             "uid": stored.value["metadata"]["uid"], "controller": true}]
                    },
                    "spec": {"replicas": if live { replicas } else { 0 }},
                }));
            }
        }
        sets
    }

    /// The pods of every workload, as they are `now`.
    fn pods(&self, now: Instant) -> Vec<FakePod> {
        let mut pods = Vec::new();
        for (r, stored) in &self.objects {
            let container = stored
                .value
                .pointer("/spec/template/spec/containers/0/name")
                .cloned()
                .unwrap_or(json!("main"));
            let ns = r.namespace.clone().unwrap_or_default();
            let owner_uid = stored.value["metadata"]["uid"].to_string();
            let controller = json!([{"kind": r.kind.name(), "name": r.name, "controller": true}]);
            let mut add = |name: String,
                           labels: Value,
                           b: &Behaviour,
                           since: Instant,
                           deleting: Option<Instant>| {
                let due = now >= since + b.after;
                let uid = pod_uid(
                    &owner_uid,
                    &name,
                    &self.timestamp(since),
                    stored.incarnation,
                );
                let mut pod = json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": name, "namespace": ns, "labels": labels, "uid": uid,
                                 "creationTimestamp": self.timestamp(since),
                                 "ownerReferences": controller},
                    "spec": {"containers": [{"name": container}]},
                    "status": {"phase": "Pending", "containerStatuses": [{"name": container, "ready": false,
                               "state": {"waiting": {"reason": "ContainerCreating"}}}]}
                });
                if let Some(at) = deleting {
                    pod["metadata"]["deletionTimestamp"] = json!(self.timestamp(at));
                }
                let failure = b.failure.filter(|_| due);
                match failure.and_then(pod_failure) {
                    Some(("Unschedulable", message)) => {
                        pod["status"] = json!({"phase": "Pending", "conditions": [
                            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}]});
                    }
                    Some((reason, message)) => {
                        pod["status"]["containerStatuses"][0]["state"] =
                            json!({"waiting": {"reason": reason, "message": message}});
                    }
                    None if due && failure.is_none() => {
                        pod["status"] = json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                            "containerStatuses": [{"name": container, "ready": true, "state": {"running": {}}}]});
                    }
                    None => {}
                }
                pods.push(FakePod {
                    owner: r.clone(),
                    value: pod,
                    failure,
                });
            };
            match r.kind {
                Kind::Deployment => {
                    let (current, old) = rollout(stored, now);
                    let replicas = super::readiness::wanted_replicas(&stored.value);
                    for revision in [old, current].into_iter().flatten() {
                        if revision.behaviour.failure == Some(Failure::FailedCreate) {
                            continue;
                        }
                        let mut labels = template_labels(&stored.value);
                        labels["pod-template-hash"] = json!(revision.hash);
                        for i in 0..replicas {
                            let name = format!("{}-{}-x{i}", r.name, revision.hash);
                            add(
                                name,
                                labels.clone(),
                                &revision.behaviour,
                                revision.since,
                                None,
                            );
                        }
                    }
                    // The replaced revision's pods, terminating after the rollout.
                    if let Some(gone) = self.replaced(stored, now) {
                        let mut labels = template_labels(&stored.value);
                        labels["pod-template-hash"] = json!(gone.0.hash);
                        let name = format!("{}-{}-x0", r.name, gone.0.hash);
                        add(name, labels, &gone.0.behaviour, gone.0.since, Some(gone.1));
                    }
                }
                Kind::StatefulSet => {
                    let Some(current) = stored.revisions.last() else {
                        continue;
                    };
                    let previous = stored.revisions.iter().rev().nth(1);
                    let replicas = super::readiness::wanted_replicas(&stored.value);
                    // OrderedReady: the old pod terminates before the new one exists.
                    let (revision, deleting) = match previous {
                        Some(p) if now < current.since + self.termination => {
                            (p, Some(current.since))
                        }
                        _ => (current, None),
                    };
                    let mut labels = template_labels(&stored.value);
                    labels["controller-revision-hash"] =
                        json!(format!("{}-{}", r.name, revision.hash));
                    for i in 0..replicas {
                        add(
                            format!("{}-{i}", r.name),
                            labels.clone(),
                            &revision.behaviour,
                            revision.since,
                            deleting,
                        );
                    }
                }
                Kind::Job => {
                    let b = self.behaviour_of(stored);
                    let labels =
                        json!({"batch.kubernetes.io/job-name": r.name, "job-name": r.name});
                    if b.failure != Some(Failure::RetriedOnce) {
                        add(format!("{}-x0", r.name), labels, &b, stored.since, None);
                        continue;
                    }
                    let running = Behaviour {
                        after: Duration::ZERO,
                        failure: None,
                    };
                    let retried = stored.since + b.after;
                    add(
                        format!("{}-x0", r.name),
                        labels.clone(),
                        &running,
                        stored.since,
                        None,
                    );
                    if now >= retried {
                        add(format!("{}-x1", r.name), labels, &running, retried, None);
                    }
                    // The first pod failed at `after`, the second succeeded `after`
                    // later: their containers terminated.
                    let ended = [(retried, "Failed", 1), (retried + b.after, "Succeeded", 0)];
                    let attempts = pods
                        .iter_mut()
                        .rev()
                        .take(usize::from(now >= retried) + 1)
                        .rev();
                    for (pod, (at, phase, code)) in attempts.zip(ended) {
                        if now >= at {
                            pod.value["status"] = json!({"phase": phase, "containerStatuses": [
                                {"name": container, "ready": false,
                                 "state": {"terminated": {"exitCode": code}}}]});
                        }
                    }
                }
                _ => {}
            }
        }
        pods
    }

    /// A Deployment's revision replaced by a finished rollout, while its pods
    /// terminate: the revision and when they were deleted.
    fn replaced<'s>(&self, stored: &'s Stored, now: Instant) -> Option<(&'s Revision, Instant)> {
        let current = stored.revisions.last()?;
        let previous = stored.revisions.iter().rev().nth(1)?;
        let done = current.since + current.behaviour.after;
        let ready = current.behaviour.failure.is_none() && now >= done;
        (ready && now < done + self.termination).then_some((previous, done))
    }

    fn events(&self, name: &str, now: Instant) -> Vec<Value> {
        let mut events = Vec::new();
        for pod in self.pods(now) {
            let pod_name = pod.value["metadata"]["name"].as_str().unwrap_or("");
            let Some(failure) = pod.failure.filter(|_| pod_name == name) else {
                continue;
            };
            let (reason, message) = match failure {
                Failure::Unschedulable => (
                    "FailedScheduling",
                    "0/1 nodes are available: 1 Insufficient memory.",
                ),
                Failure::ImagePullBackOff | Failure::ErrImagePull => {
                    ("Failed", "Failed to pull image: not found")
                }
                Failure::CrashLoopBackOff => ("BackOff", "Back-off restarting failed container"),
                Failure::CreateContainerConfigError => ("Failed", "Error: secret \"db\" not found"),
                _ => continue,
            };
            events.push(
                json!({"type": "Warning", "reason": reason, "message": message,
                               "involvedObject": {"kind": "Pod", "name": name}}),
            );
        }
        for (r, stored) in &self.objects {
            let b = self.behaviour_of(stored);
            match (r.kind, b.failure) {
                (Kind::Job, Some(Failure::JobFailed))
                    if r.name == name && now >= stored.since + b.after =>
                {
                    events.push(json!({"type": "Warning", "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "involvedObject": {"kind": "Job", "name": name}}));
                }
                (Kind::Deployment, _) => {
                    let (current, _) = rollout(stored, now);
                    let Some(c) = current.filter(|c| {
                        c.behaviour.failure == Some(Failure::FailedCreate)
                            && now >= c.since + c.behaviour.after
                    }) else {
                        continue;
                    };
                    let rs = format!("{}-{}", r.name, c.hash);
                    if rs == name {
                        events.push(json!({"type": "Warning", "reason": "FailedCreate",
                            "message": format!("Error creating: pods \"{rs}-x0\" is forbidden: exceeded quota: compute"),
                            "involvedObject": {"kind": "ReplicaSet", "name": rs}}));
                    }
                }
                _ => {}
            }
        }
        events
    }

    /// When the object's simulated state next moves on by itself.
    fn next_change(&self, stored: &Stored, now: Instant) -> Option<Instant> {
        let b = self.behaviour_of(stored);
        let mut times = vec![stored.since + b.after];
        for r in &stored.revisions {
            times.push(r.since + r.behaviour.after);
            times.push(r.since + r.behaviour.after + self.termination);
            times.push(r.since + self.termination);
        }
        let name = stored.value["metadata"]["name"].as_str().unwrap_or("");
        times.extend(self.terminating.get(name).copied());
        if let Some(ttl) = stored
            .value
            .pointer("/spec/ttlSecondsAfterFinished")
            .and_then(Value::as_u64)
        {
            times.push(stored.since + b.after + Duration::from_secs(ttl));
        }
        times.into_iter().filter(|t| *t > now).min()
    }

    /// The volume claims a StatefulSet's controller makes, bound at once.
    fn claims(&mut self, set: &Value, now: Instant) {
        let name = set
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let ns = set
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("");
        let templates = set
            .pointer("/spec/volumeClaimTemplates")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let replicas = super::readiness::wanted_replicas(set);
        for t in templates {
            let claim = t
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("data");
            for i in 0..replicas {
                let mut value = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": {"name": format!("{claim}-{name}-{i}"), "namespace": ns,
                                 "labels": t.pointer("/metadata/labels").cloned().unwrap_or(json!({}))}});
                self.version += 1;
                value["metadata"]["resourceVersion"] = json!(self.version.to_string());
                if let Some(r) = ObjectRef::of(&value) {
                    self.objects.entry(r).or_insert(Stored {
                        value,
                        since: now,
                        behaviour: None,
                        revisions: Vec::new(),
                        log: String::new(),
                        incarnation: 0,
                    });
                }
            }
        }
    }
}

/// The current revision of a Deployment or StatefulSet, and the one before while
/// the rollout keeps its pods (the current one not yet available).
fn rollout(stored: &Stored, now: Instant) -> (Option<&Revision>, Option<&Revision>) {
    let current = stored.revisions.last();
    let previous = stored.revisions.iter().rev().nth(1);
    let done = current.is_some_and(|c| revision_ready(c, now));
    (current, previous.filter(|_| !done))
}

fn revision_ready(revision: &Revision, now: Instant) -> bool {
    revision.behaviour.failure.is_none() && now >= revision.since + revision.behaviour.after
}

fn template_labels(workload: &Value) -> Value {
    workload
        .pointer("/spec/template/metadata/labels")
        .cloned()
        .unwrap_or(json!({}))
}

/// The fields the API server fills in when an object leaves them out, where
/// clients read them: a Deployment's and StatefulSet's update strategy, which
/// `kubectl rollout status` requires (`SetDefaults_Deployment` and
/// `SetDefaults_StatefulSet` in Kubernetes' `pkg/apis/apps/v1/defaults.go`), and a
/// Job's `completions`, `parallelism` and `backoffLimit` (`SetDefaults_Job` in
/// `pkg/apis/batch/v1/defaults.go`).
fn defaults(kind: Kind, object: &mut Value) {
    let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let mut set = |key: &str, value: Value| {
        spec.entry(key.to_string()).or_insert(value);
    };
    match kind {
        Kind::Deployment => {
            set(
                "strategy",
                json!({"type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
            );
            set("revisionHistoryLimit", json!(10));
            set("progressDeadlineSeconds", json!(600));
        }
        Kind::StatefulSet => {
            set(
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
            );
            set("podManagementPolicy", json!("OrderedReady"));
            set("revisionHistoryLimit", json!(10));
        }
        Kind::Job => {
            set("completions", json!(1));
            set("parallelism", json!(1));
            set("backoffLimit", json!(6));
        }
        _ => {}
    }
}

/// A pod's uid: the same for the same pod, another when its controller makes it
/// again (the API server gives every object a uid "unique in time and space" when
/// it is created: `ObjectMeta.uid` in the API reference).
fn pod_uid(owner: &str, name: &str, created: &str, incarnation: u32) -> String {
    let key = format!("{owner}/{name}/{created}/{incarnation}");
    let hash = Sha256::digest(key.as_bytes());
    hash.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The first 10 hex digits of the SHA-256 of a pod template.
fn template_hash(workload: &Value) -> String {
    let template = workload
        .pointer("/spec/template")
        .map(Value::to_string)
        .unwrap_or_default();
    let hash = Sha256::digest(template.as_bytes());
    hash.iter().take(5).map(|b| format!("{b:02x}")).collect()
}

/// The last log line of the failed first pod of a [`Failure::RetriedOnce`] Job.
pub const FAILED_ATTEMPT: &str = "error: the catalog is not ready yet";

fn job_status(b: &Behaviour, since: Instant, now: Instant) -> Value {
    let due = now >= since + b.after;
    if b.failure == Some(Failure::RetriedOnce) {
        return if now >= since + b.after * 2 {
            json!({"succeeded": 1, "failed": 1, "conditions": [{"type": "Complete", "status": "True"}]})
        } else if due {
            json!({"active": 1, "failed": 1})
        } else {
            json!({"active": 1})
        };
    }
    match (due, b.failure) {
        (true, None) => {
            json!({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]})
        }
        (true, Some(Failure::JobFailed)) => json!({"failed": 3, "conditions": [
            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}),
        _ => json!({"active": 1}),
    }
}

fn pod_failure(failure: Failure) -> Option<(&'static str, &'static str)> {
    Some(match failure {
        Failure::ImagePullBackOff => ("ImagePullBackOff", "Back-off pulling image"),
        Failure::ErrImagePull => ("ErrImagePull", "manifest unknown"),
        Failure::CrashLoopBackOff => (
            "CrashLoopBackOff",
            "back-off 40s restarting failed container",
        ),
        Failure::CreateContainerConfigError => {
            ("CreateContainerConfigError", "secret \"db\" not found")
        }
        Failure::Unschedulable => (
            "Unschedulable",
            "0/1 nodes are available: 1 Insufficient memory.",
        ),
        Failure::FailedCreate | Failure::JobFailed | Failure::RetriedOnce | Failure::Stuck => {
            return None;
        }
    })
}

/// The plan's name of a workload: its `app.kubernetes.io/name` label, or its name.
fn step_name(object: &Value) -> String {
    object
        .pointer("/metadata/labels/app.kubernetes.io~1name")
        .or_else(|| object.pointer("/metadata/name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// A label selector's requirements as the API server reads them
/// (apimachinery `labels.Parse`): `key=value`, `key!=value` (true when the label
/// is missing too) and `key` (the label exists).
fn matches(object: &Value, selector: &str) -> bool {
    selector.split(',').filter(|s| !s.is_empty()).all(|req| {
        let label = |k: &str| {
            let key = k.replace('~', "~0").replace('/', "~1");
            object
                .pointer(&format!("/metadata/labels/{key}"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        if let Some((k, v)) = req.split_once("!=") {
            return label(k).as_deref() != Some(v);
        }
        match req.split_once('=') {
            Some((k, v)) => label(k).as_deref() == Some(v),
            None => label(req).is_some(),
        }
    })
}

fn namespace_of(object: &Value) -> &str {
    object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
}

impl FakeCluster {
    fn apply_now(&self, object: &Value, options: ApplyOptions) -> Result<Value, ApiError> {
        let target = ObjectRef::of(object)
            .ok_or_else(|| ApiError::new(400, "BadRequest", "no kind or name"))?;
        self.record(Op::Apply, target.kind, &target.name, options)?;
        self.with(|s| {
            let ns = namespace_of(object);
            if target.kind.namespaced() && s.terminating.contains_key(ns) {
                return Err(ApiError::new(
                    403,
                    "Forbidden",
                    format!(
                        "{} \"{}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                        target.kind.plural(),
                        target.name
                    ),
                ));
            }
            if target.kind == Kind::Namespace && s.terminating.contains_key(&target.name) {
                // An apply does not undo a deletion: the namespace stays Terminating.
                let now = Instant::now();
                return Ok(s.objects.get(&target).map(|o| s.view(o, now)).unwrap_or_default());
            }
            let conflicts: Vec<Cause> = s
                .owners
                .iter()
                .filter(|(kind, name, _, _)| *kind == target.kind && *name == target.name)
                .map(|(_, _, field, manager)| Cause {
                    field: field.clone(),
                    message: format!(
                        "conflict with \"{manager}\" using {}: {field}",
                        target.kind.api_version()
                    ),
                })
                .collect();
            if !conflicts.is_empty() && !options.force {
                let mut e = ApiError::new(
                    409,
                    "Conflict",
                    format!("Apply failed with {} conflicts", conflicts.len()),
                );
                e.causes = conflicts;
                return Err(e);
            }
            let now = Instant::now();
            let mut value = object.clone();
            defaults(target.kind, &mut value);
            let old = s.objects.get(&target);
            let spec_changed = old.is_none_or(|o| o.value.get("spec") != value.get("spec"));
            if let Some(old) = old
                && spec_changed
                && target.kind == Kind::Job
                && old.value.pointer("/spec/template") != value.pointer("/spec/template")
            {
                return Err(ApiError::new(
                    422,
                    "Invalid",
                    format!(
                        "Job.batch \"{}\" is invalid: spec.template: Invalid value: field is immutable",
                        target.name
                    ),
                ));
            }
            let log = match old {
                Some(old) if !spec_changed => old.log.clone(),
                _ => s.logs.get(&step_name(&value)).cloned().unwrap_or_default(),
            };
            let (generation, uid, created, since, kept, mut revisions, managers) = match old {
                Some(old) => {
                    let generation = old
                        .value
                        .pointer("/metadata/generation")
                        .and_then(Value::as_i64)
                        .unwrap_or(1);
                    let meta = |k: &str| old.value.pointer(&format!("/metadata/{k}")).cloned();
                    let managers = meta("managedFields").unwrap_or(json!([]));
                    let (generation, since, kept) = if spec_changed {
                        (generation + 1, now, None)
                    } else {
                        (generation, old.since, old.behaviour.clone())
                    };
                    (
                        generation,
                        meta("uid").unwrap_or(json!("")),
                        meta("creationTimestamp").unwrap_or(json!("")),
                        since,
                        kept,
                        old.revisions.clone(),
                        managers,
                    )
                }
                None => (
                    1,
                    json!(format!("uid-{}", s.version + 1)),
                    json!(s.timestamp(now)),
                    now,
                    None,
                    Vec::new(),
                    json!([]),
                ),
            };
            let behaviour = kept.unwrap_or_else(|| s.behaviour(&value));
            if matches!(target.kind, Kind::Deployment | Kind::StatefulSet) {
                let hash = template_hash(&value);
                if revisions.last().is_none_or(|r| r.hash != hash) {
                    revisions.retain(|r| r.hash != hash);
                    revisions.push(Revision {
                        hash,
                        since: now,
                        behaviour: behaviour.clone(),
                    });
                }
            }
            let mut managers = managers.as_array().cloned().unwrap_or_default();
            if !managers.iter().any(|m| m["manager"] == super::kube::FIELD_MANAGER) {
                managers.push(json!({"manager": super::kube::FIELD_MANAGER, "operation": "Apply"}));
            }
            value["metadata"]["generation"] = json!(generation);
            value["metadata"]["uid"] = uid;
            value["metadata"]["creationTimestamp"] = created;
            value["metadata"]["managedFields"] = Value::Array(managers);
            let incarnation = s.objects.get(&target).map_or(0, |o| o.incarnation);
            let stored = Stored {
                value,
                since,
                behaviour: Some(behaviour),
                revisions,
                log,
                incarnation,
            };
            if options.dry_run {
                return Ok(s.view(&stored, now));
            }
            if options.force {
                s.owners
                    .retain(|(kind, name, _, _)| *kind != target.kind || *name != target.name);
            }
            s.version += 1;
            let mut stored = stored;
            stored.value["metadata"]["resourceVersion"] = json!(s.version.to_string());
            if target.kind == Kind::StatefulSet {
                s.claims(&stored.value, now);
            }
            let view = s.view(&stored, now);
            s.objects.insert(target, stored);
            Ok(view)
        })
    }
}

impl Cluster for FakeCluster {
    async fn apply(&self, object: &Value, options: ApplyOptions) -> Result<Value, ApiError> {
        let result = self.apply_now(object, options);
        self.changed.notify_waiters();
        result
    }

    async fn get(&self, target: &ObjectRef) -> Result<Option<Value>, ApiError> {
        self.record(Op::Get, target.kind, &target.name, ApplyOptions::default())?;
        let now = Instant::now();
        Ok(self.with(|s| s.objects.get(target).map(|o| s.view(o, now))))
    }

    async fn list(&self, kind: Kind, namespace: &str, labels: &str) -> Result<Listing, ApiError> {
        self.record(Op::List, kind, labels, ApplyOptions::default())?;
        let now = Instant::now();
        let in_namespace = |v: &Value| !kind.namespaced() || namespace_of(v) == namespace;
        self.with(|s| {
            let items: Vec<Value> = match kind {
                Kind::Pod => s.pods(now).into_iter().map(|p| p.value).collect(),
                Kind::ReplicaSet => s.replica_sets(now),
                _ => s
                    .objects
                    .iter()
                    .filter(|(r, _)| r.kind == kind)
                    .map(|(_, o)| s.view(o, now))
                    .collect(),
            };
            // As the API server sends a typed list: the items without their
            // `apiVersion` and `kind` (see [`Listing`]).
            let items = items
                .into_iter()
                .filter(|v| in_namespace(v) && matches(v, labels))
                .map(|mut v| {
                    if let Some(fields) = v.as_object_mut() {
                        fields.remove("apiVersion");
                        fields.remove("kind");
                    }
                    v
                })
                .collect();
            Ok(Listing {
                items,
                resource_version: s.version.to_string(),
            })
        })
    }

    async fn delete(&self, target: &ObjectRef) -> Result<(), ApiError> {
        self.record(
            Op::Delete,
            target.kind,
            &target.name,
            ApplyOptions::default(),
        )?;
        self.with(|s| {
            if target.kind == Kind::Namespace {
                if !s.objects.contains_key(target) || s.terminating.contains_key(&target.name) {
                    return;
                }
                // The namespace controller deletes what is in it, then the namespace.
                s.objects
                    .retain(|r, _| r.namespace.as_deref() != Some(target.name.as_str()));
                let gone = Instant::now() + s.termination;
                s.terminating.insert(target.name.clone(), gone);
                s.version += 1;
                let version = s.version.to_string();
                let stamp = s.timestamp(Instant::now());
                if let Some(ns) = s.objects.get_mut(target) {
                    ns.value["metadata"]["deletionTimestamp"] = json!(stamp);
                    ns.value["metadata"]["resourceVersion"] = json!(version);
                }
                return;
            }
            if target.kind == Kind::Pod {
                // A workload's pod: its controller makes it again, with a new uid,
                // to keep the replicas it is asked for (the ReplicaSet and
                // StatefulSet controllers, as their documentation describes).
                let now = Instant::now();
                let owner = s
                    .pods(now)
                    .into_iter()
                    .find(|p| p.value["metadata"]["name"] == target.name.as_str())
                    .map(|p| p.owner);
                if let Some(stored) = owner.and_then(|o| s.objects.get_mut(&o)) {
                    stored.incarnation += 1;
                }
                s.version += 1;
                return;
            }
            s.objects.remove(target);
        });
        self.changed.notify_waiters();
        Ok(())
    }

    /// Sleeps until the object's next change: applied or deleted, or its simulated
    /// status moving on.
    async fn watch(
        &self,
        target: &ObjectRef,
        resource_version: &str,
        timeout: Duration,
    ) -> Result<(), ApiError> {
        self.record(
            Op::Watch,
            target.kind,
            &target.name,
            ApplyOptions::default(),
        )?;
        let now = Instant::now();
        let (current, next) = self.with(|s| match s.objects.get(target) {
            Some(o) => {
                let version = o
                    .value
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                (version, s.next_change(o, now))
            }
            None => (String::new(), None),
        });
        if current != resource_version {
            return Ok(());
        }
        let until = next.map_or(now + timeout, |n| n.min(now + timeout));
        tokio::select! {
            _ = tokio::time::sleep_until(until) => {}
            _ = self.changed.notified() => {}
        }
        Ok(())
    }

    async fn events(&self, _namespace: &str, name: &str) -> Result<Vec<Value>, ApiError> {
        let now = Instant::now();
        Ok(self.with(|s| s.events(name, now)))
    }

    async fn namespace_contents(&self, namespace: &str) -> Result<Vec<String>, ApiError> {
        let now = Instant::now();
        Ok(self.with(|s| {
            let stored = s
                .objects
                .iter()
                .filter(|(r, _)| r.namespace.as_deref() == Some(namespace))
                .map(|(r, o)| (r.kind.name(), s.view(o, now)));
            let pods = s
                .pods(now)
                .into_iter()
                .filter(|p| namespace_of(&p.value) == namespace)
                .map(|p| ("Pod", p.value));
            stored
                .chain(pods)
                .filter_map(|(kind, v)| {
                    super::foreign(kind, &v).map(|n| format!("{}/{n}", kind.to_lowercase()))
                })
                .collect()
        }))
    }

    async fn server_version(&self) -> Result<(u32, u32), ApiError> {
        Ok(self.with(|s| (1, s.minor)))
    }

    async fn logs(
        &self,
        _namespace: &str,
        pod: &str,
        _container: &str,
        lines: i64,
        _previous: bool,
    ) -> Result<String, ApiError> {
        let now = Instant::now();
        self.with(|s| {
            let text = s
                .pods(now)
                .into_iter()
                .find(|p| p.value["metadata"]["name"] == pod)
                .and_then(|p| {
                    Some((
                        p.value["status"]["phase"] == "Failed",
                        s.objects.get(&p.owner)?,
                    ))
                })
                .map(|(failed, o)| match failed {
                    true => format!("{}\n{FAILED_ATTEMPT}", o.log),
                    false => o.log.clone(),
                })
                .ok_or_else(|| {
                    ApiError::new(404, "NotFound", format!("pods \"{pod}\" not found"))
                })?;
            let all: Vec<&str> = text.lines().collect();
            let skip = all
                .len()
                .saturating_sub(usize::try_from(lines).unwrap_or(0));
            Ok(all.get(skip..).unwrap_or_default().join("\n"))
        })
    }
}
