//! An in-memory cluster for tests and the benchmark.
//!
//! It keeps applied objects (with generations, resource versions and uids) and makes
//! their status up when they are read: a workload becomes ready a set time after it
//! was applied, or fails in a chosen way (an image that cannot be pulled, a crash
//! loop, a pod that cannot be scheduled, a failed Job), with the pods, events and
//! logs a real cluster would show. API errors can be injected per operation and
//! object, and fields can be owned by another manager to provoke apply conflicts. A
//! Job's spec is immutable as on a real API server. Time is tokio's, so tests can
//! run on paused time.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
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
    ImagePullBackOff,
    ErrImagePull,
    CrashLoopBackOff,
    CreateContainerConfigError,
    Unschedulable,
    /// The Job's pods fail until its backoff limit.
    JobFailed,
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

struct Stored {
    value: Value,
    /// When the current generation was applied.
    since: Instant,
    /// How the current generation behaves, fixed when it was applied: a failed
    /// Job stays failed when the workload's behaviour is changed later.
    behaviour: Option<Behaviour>,
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
    faults: Vec<Fault>,
    owners: Vec<(Kind, String, String, String)>,
    logs: BTreeMap<String, String>,
    calls: Vec<Call>,
}

#[derive(Default)]
pub struct FakeCluster {
    state: Mutex<State>,
    changed: Notify,
}

impl FakeCluster {
    /// A cluster where every workload is ready `after` it is applied.
    pub fn new(after: Duration) -> FakeCluster {
        let cluster = FakeCluster::default();
        cluster.with(|s| s.default_after = after);
        cluster
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// How the workload named `name` behaves (for Jobs, the plan's step name).
    pub fn behave(&self, name: &str, behaviour: Behaviour) {
        self.with(|s| s.behaviours.insert(name.to_string(), behaviour));
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
                    },
                );
            });
        }
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

impl State {
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

    /// The stored object with the status it has `now`.
    fn view(&self, stored: &Stored, now: Instant) -> Value {
        let mut v = stored.value.clone();
        let Some(kind) = ObjectRef::of(&v).map(|r| r.kind) else {
            return v;
        };
        let b = self.behaviour_of(stored);
        let due = now >= stored.since + b.after;
        let ready = due && b.failure.is_none();
        let generation = v
            .pointer("/metadata/generation")
            .cloned()
            .unwrap_or(json!(1));
        let replicas = super::readiness::wanted_replicas(&v);
        let up = if ready { replicas } else { 0 };
        let status = match kind {
            Kind::Deployment => json!({
                "observedGeneration": generation, "replicas": replicas,
                "updatedReplicas": replicas, "availableReplicas": up, "readyReplicas": up,
                "conditions": [{"type": "Available", "status": if ready {"True"} else {"False"},
                                "reason": if ready {"MinimumReplicasAvailable"} else {"MinimumReplicasUnavailable"}}]
            }),
            Kind::StatefulSet => json!({
                "observedGeneration": generation, "replicas": replicas, "readyReplicas": up,
                "updatedReplicas": replicas, "currentRevision": format!("r{generation}"),
                "updateRevision": format!("r{generation}")
            }),
            Kind::Job => job_status(&b, due),
            Kind::PersistentVolumeClaim => json!({"phase": "Bound"}),
            _ => return v,
        };
        v["status"] = status;
        v
    }

    /// The pods of every workload, as they are `now`.
    fn pods(&self, now: Instant) -> Vec<Value> {
        let mut pods = Vec::new();
        for (r, stored) in &self.objects {
            let labels = match r.kind {
                Kind::Deployment | Kind::StatefulSet => stored
                    .value
                    .pointer("/spec/template/metadata/labels")
                    .cloned()
                    .unwrap_or(json!({})),
                Kind::Job => json!({"batch.kubernetes.io/job-name": r.name}),
                _ => continue,
            };
            let b = self.behaviour_of(stored);
            let due = now >= stored.since + b.after;
            let container = stored
                .value
                .pointer("/spec/template/spec/containers/0/name")
                .cloned()
                .unwrap_or(json!("main"));
            let mut pod = json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("{}-0", r.name), "namespace": r.namespace, "labels": labels,
                             "creationTimestamp": "2026-01-01T00:00:00Z"},
                "spec": {"containers": [{"name": container}]},
                "status": {"phase": "Pending", "containerStatuses": [{"name": container, "state": {"waiting": {"reason": "ContainerCreating"}}}]}
            });
            if due && let Some((reason, message)) = b.failure.and_then(pod_failure) {
                if reason == "Unschedulable" {
                    pod["status"] = json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": reason, "message": message}]});
                } else {
                    pod["status"]["containerStatuses"][0]["state"] =
                        json!({"waiting": {"reason": reason, "message": message}});
                }
            }
            pods.push(pod);
        }
        pods
    }

    fn events(&self, name: &str, now: Instant) -> Vec<Value> {
        let mut events = Vec::new();
        for (r, stored) in &self.objects {
            if !matches!(r.kind, Kind::Deployment | Kind::StatefulSet | Kind::Job) {
                continue;
            }
            let b = self.behaviour_of(stored);
            let pod = format!("{}-0", r.name);
            if now < stored.since + b.after || (name != r.name && name != pod) {
                continue;
            }
            let Some(failure) = b.failure else {
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
                Failure::JobFailed => (
                    "BackoffLimitExceeded",
                    "Job has reached the specified backoff limit",
                ),
                Failure::Stuck => continue,
            };
            let object = if failure == Failure::JobFailed {
                &r.name
            } else {
                &pod
            };
            if name == object.as_str() {
                events.push(
                    json!({"type": "Warning", "reason": reason, "message": message,
                                   "involvedObject": {"name": object}}),
                );
            }
        }
        events
    }
}

fn job_status(b: &Behaviour, due: bool) -> Value {
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
        Failure::JobFailed | Failure::Stuck => return None,
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

fn matches(object: &Value, selector: &str) -> bool {
    selector.split(',').filter(|s| !s.is_empty()).all(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = k.replace('~', "~0").replace('/', "~1");
        object
            .pointer(&format!("/metadata/labels/{key}"))
            .and_then(Value::as_str)
            == Some(v)
    })
}

impl FakeCluster {
    fn apply_now(&self, object: &Value, options: ApplyOptions) -> Result<Value, ApiError> {
        let target = ObjectRef::of(object)
            .ok_or_else(|| ApiError::new(400, "BadRequest", "no kind or name"))?;
        self.record(Op::Apply, target.kind, &target.name, options)?;
        self.with(|s| {
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
            let (generation, uid, since, kept) = match s.objects.get(&target) {
                Some(old) => {
                    let spec_changed = old.value.get("spec") != object.get("spec");
                    if spec_changed && target.kind == Kind::Job {
                        return Err(ApiError::new(
                            422,
                            "Invalid",
                            format!(
                                "Job.batch \"{}\" is invalid: spec.template: field is immutable",
                                target.name
                            ),
                        ));
                    }
                    let generation = old
                        .value
                        .pointer("/metadata/generation")
                        .and_then(Value::as_i64)
                        .unwrap_or(1);
                    let uid = old
                        .value
                        .pointer("/metadata/uid")
                        .cloned()
                        .unwrap_or(json!(""));
                    if spec_changed {
                        (generation + 1, uid, now, None)
                    } else {
                        (generation, uid, old.since, old.behaviour.clone())
                    }
                }
                None => (1, json!(format!("uid-{}", s.version + 1)), now, None),
            };
            let behaviour = Some(kept.unwrap_or_else(|| s.behaviour(&value)));
            value["metadata"]["generation"] = json!(generation);
            value["metadata"]["uid"] = uid;
            if options.dry_run {
                return Ok(s.view(
                    &Stored {
                        value,
                        since,
                        behaviour,
                    },
                    now,
                ));
            }
            if options.force {
                s.owners
                    .retain(|(kind, name, _, _)| *kind != target.kind || *name != target.name);
            }
            s.version += 1;
            value["metadata"]["resourceVersion"] = json!(s.version.to_string());
            if target.kind == Kind::StatefulSet {
                s.claims(&value, now);
            }
            let stored = Stored {
                value,
                since,
                behaviour,
            };
            let view = s.view(&stored, now);
            s.objects.insert(target, stored);
            Ok(view)
        })
    }
}

impl State {
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
        for t in templates {
            let claim = t
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("data");
            let mut value = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": format!("{claim}-{name}-0"), "namespace": ns,
                             "labels": t.pointer("/metadata/labels").cloned().unwrap_or(json!({}))}});
            self.version += 1;
            value["metadata"]["resourceVersion"] = json!(self.version.to_string());
            if let Some(r) = ObjectRef::of(&value) {
                self.objects.entry(r).or_insert(Stored {
                    value,
                    since: now,
                    behaviour: None,
                });
            }
        }
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
        let in_namespace = |v: &Value| {
            !kind.namespaced()
                || v.pointer("/metadata/namespace").and_then(Value::as_str) == Some(namespace)
        };
        self.with(|s| {
            let items: Vec<Value> = if kind == Kind::Pod {
                s.pods(now)
            } else {
                s.objects
                    .iter()
                    .filter(|(r, _)| r.kind == kind)
                    .map(|(_, o)| s.view(o, now))
                    .collect()
            };
            let items = items
                .into_iter()
                .filter(|v| in_namespace(v) && matches(v, labels))
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
            s.objects.remove(target);
            if target.kind == Kind::Namespace {
                s.objects
                    .retain(|r, _| r.namespace.as_deref() != Some(target.name.as_str()));
            }
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
                let due = o.since + s.behaviour_of(o).after;
                let version = o
                    .value
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                (version, (due > now).then_some(due))
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

    async fn logs(
        &self,
        _namespace: &str,
        pod: &str,
        _container: &str,
        lines: i64,
        _previous: bool,
    ) -> Result<String, ApiError> {
        self.with(|s| {
            let owner = s
                .objects
                .iter()
                .find(|(r, _)| format!("{}-0", r.name) == pod)
                .map(|(_, o)| step_name(&o.value))
                .ok_or_else(|| {
                    ApiError::new(404, "NotFound", format!("pods \"{pod}\" not found"))
                })?;
            let text = s.logs.get(&owner).cloned().unwrap_or_default();
            let all: Vec<&str> = text.lines().collect();
            let skip = all
                .len()
                .saturating_sub(usize::try_from(lines).unwrap_or(0));
            Ok(all.get(skip..).unwrap_or_default().join("\n"))
        })
    }
}

impl FakeCluster {
    /// The object, if stored, as the API would serve it.
    pub fn object(&self, target: &ObjectRef) -> Option<Value> {
        let now = Instant::now();
        self.with(|s| s.objects.get(target).map(|o| s.view(o, now)))
    }

    /// The refs of every stored object.
    pub fn refs(&self) -> Vec<ObjectRef> {
        self.with(|s| s.objects.keys().cloned().collect())
    }
}
