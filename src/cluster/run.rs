//! `floe run` on a cluster: the compiled objects applied wave by wave, each item
//! waited for until ready, failing fast with evidence; then prune and the check
//! results.
//!
//! Order: secret values are made first (a missing `env()` variable stops the run
//! before any request that changes something); the namespace, the inventory parent
//! and the objects without readiness (service accounts, config, secrets, Services)
//! are applied; then the plan's items run wave by wave, in parallel: an item starts
//! as soon as the items it depends on (`needs`, `after`) are ready, never before,
//! and without waiting for unrelated items of the wave before. After the last item,
//! objects of the inventory that the stack no longer has are deleted and the parent
//! is rewritten.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use k8s_openapi::api::core::v1::Secret;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::readiness::{self, Readiness};
use super::requests::{NAMESPACE_WAIT, Watcher, list, retry, supported, wait_gone};
use super::secrets::{self, Redactor, SecretError};
use super::{ApplyOptions, Cluster, Kind, ObjectRef, inventory, jobs};
use crate::data::Env;
use crate::data::verify::CheckResult;
use crate::lower::Object;
use crate::model;
use crate::plan::{Plan, StepKind};

pub use super::error::{Evidence, ItemRef, RunError};
pub use super::progress::{Event, Progress, Silent};

/// What to run: the checked stack, its objects and its plan.
#[derive(Clone, Copy)]
pub struct Input<'a> {
    pub stack: &'a model::Stack,
    pub objects: &'a [Object],
    pub plan: &'a Plan,
}

#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Take ownership of fields another field manager owns.
    pub force_conflicts: bool,
    /// The longest wait for one item to be ready.
    pub item_timeout: Duration,
    /// The longest wait for the whole run.
    pub timeout: Duration,
    /// The longest time between two looks at an item; a watch looks earlier when
    /// the object changes.
    pub poll: Duration,
    /// How long a failure that Kubernetes retries (an image pull, a pod that
    /// cannot be scheduled yet) may last before it fails the run.
    pub retried_for: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            force_conflicts: false,
            item_timeout: Duration::from_secs(300),
            timeout: Duration::from_secs(1200),
            poll: Duration::from_secs(2),
            retried_for: Duration::from_secs(60),
        }
    }
}

/// How a run ended: every item ready and, when the stack has checks, their results.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub items: Vec<(ItemRef, f64)>,
    pub pruned: Vec<ObjectRef>,
    pub results: Option<Vec<CheckResult>>,
    pub seconds: f64,
}

/// One plan step with the object that carries it.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub item: ItemRef,
    pub object: Value,
    /// The plan's key (`service/db`) and what must be ready first.
    pub key: String,
    pub after: Vec<String>,
    /// A service with an ephemeral volume: its data is gone when its pods are
    /// made anew.
    pub ephemeral: bool,
    /// A service without volumes.
    pub stateless: bool,
}

/// The stack as JSON objects ready to apply: labelled, Jobs renamed, Secrets filled.
pub(crate) struct Prepared {
    pub namespace: String,
    pub stack: String,
    pub id: String,
    /// The Namespace, then the objects without readiness.
    pub base: Vec<Value>,
    pub waves: Vec<Vec<Item>>,
    pub redactor: Redactor,
    /// The inventory's parent as the last run left it.
    pub previous: Option<Value>,
    /// The key of the Secrets' fingerprints, kept in the parent.
    pub salt: String,
}

impl Prepared {
    pub fn objects(&self) -> impl Iterator<Item = &Value> {
        self.base
            .iter()
            .chain(self.waves.iter().flatten().map(|i| &i.object))
    }

    fn kinds(&self) -> BTreeSet<Kind> {
        self.objects()
            .filter_map(ObjectRef::of)
            .map(|r| r.kind)
            .collect()
    }

    /// The names of the stack's Jobs, with their content hashes.
    fn job_names(&self) -> BTreeSet<String> {
        self.waves
            .iter()
            .flatten()
            .filter(|i| i.item.kind == Kind::Job)
            .map(|i| i.item.name.clone())
            .collect()
    }
}

/// Makes secret values (reading existing Secrets for generated keys) and turns the
/// objects into what is applied.
pub(crate) async fn prepare<C: Cluster>(
    cluster: &C,
    input: Input<'_>,
    env: &dyn Env,
) -> Result<Prepared, RunError> {
    let stack = input.stack;
    let missing = secrets::missing_env(stack, env);
    if !missing.is_empty() {
        return Err(RunError::MissingEnv(missing));
    }
    let mut existing = BTreeMap::new();
    let generates = |s: &model::Secret| {
        s.keys
            .iter()
            .any(|k| matches!(k.source, model::SecretSource::Generate { .. }))
    };
    for secret in stack.secrets.iter().filter(|s| generates(s)) {
        let target = ObjectRef::new(Kind::Secret, &stack.namespace, &secret.name);
        let live = retry(|| cluster.get(&target))
            .await
            .map_err(|e| RunError::api(&target, "read", e, &Redactor::default()))?;
        if let Some(live) = live.and_then(|v| serde_json::from_value::<Secret>(v).ok()) {
            existing.insert(secret.name.clone(), live);
        }
    }
    let secret_error = |e| match e {
        SecretError::MissingEnv(m) => RunError::MissingEnv(m),
        SecretError::Random(m) => RunError::Random(m),
    };
    let values = secrets::materialise(stack, &existing, env).map_err(secret_error)?;
    let parent_ref = ObjectRef::new(
        Kind::Secret,
        &stack.namespace,
        &inventory::parent_name(&stack.name),
    );
    let previous = retry(|| cluster.get(&parent_ref))
        .await
        .map_err(|e| RunError::api(&parent_ref, "read", e, &Redactor::default()))?;
    let salt = match previous.as_ref().and_then(inventory::salt_of) {
        Some(salt) => salt,
        None => secrets::salt().map_err(secret_error)?,
    };
    let id = inventory::id(&stack.name, &stack.namespace);
    let mut base = Vec::new();
    let mut workloads: BTreeMap<String, Value> = BTreeMap::new();
    for object in input.objects {
        let mut value = serde_json::to_value(object).unwrap_or_default();
        if let Object::Secret(s) = object
            && let Some(data) = s.metadata.name.as_deref().and_then(|n| values.data(n))
        {
            let mut filled = s.clone();
            filled.data = Some(data);
            value = serde_json::to_value(&filled).unwrap_or_default();
        }
        inventory::label(&mut value, &id);
        match object {
            Object::Deployment(_) | Object::StatefulSet(_) | Object::Job(_) => {
                if !matches!(object, Object::Job(_)) {
                    mark_secrets(&mut value, &values, &salt);
                }
                let step = object
                    .metadata()
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(crate::plan::STEP))
                    .cloned()
                    .unwrap_or_default();
                workloads.insert(step, value);
            }
            _ => base.push(value),
        }
    }
    let mut waves = Vec::new();
    for wave in &input.plan.waves {
        let mut items = Vec::new();
        for step in &wave.steps {
            let key = step.key();
            let Some(mut object) = workloads.remove(&key) else {
                continue;
            };
            let kind = ObjectRef::of(&object).map_or(Kind::Job, |r| r.kind);
            if kind == Kind::Job {
                jobs::rename(&mut object);
            }
            let name = object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let service = stack
                .services
                .iter()
                .find(|s| step.kind == StepKind::Service && s.name == step.name);
            items.push(Item {
                item: ItemRef {
                    path: step.item.clone(),
                    step: step.kind,
                    step_name: step.name.clone(),
                    kind,
                    name,
                    span: step.span,
                },
                object,
                key,
                after: step.after.clone(),
                ephemeral: service.is_some_and(|s| s.volumes.iter().any(|v| !v.storage.persistent)),
                stateless: service.is_some_and(|s| s.volumes.is_empty()),
            });
        }
        waves.push(items);
    }
    Ok(Prepared {
        namespace: stack.namespace.clone(),
        stack: stack.name.clone(),
        id,
        base,
        waves,
        redactor: values.redactor(),
        previous,
        salt,
    })
}

/// The pod-template annotation that changes when a value of a Secret the pods
/// read changes, so that the pods roll (as a config's hash does for a config).
/// Services only: a Job reads its Secrets when it starts, and runs again only when
/// its definition changes.
pub const SECRET_HASH: &str = "floe.dev/secret-hash";

/// Puts the fingerprint of the values of the Secrets a workload's pods read on its
/// pod template.
fn mark_secrets(workload: &mut Value, values: &secrets::Values, salt: &str) {
    let mut names = BTreeSet::new();
    if let Some(spec) = workload.pointer("/spec/template/spec") {
        secret_names(spec, &mut names);
    }
    if names.is_empty() {
        return;
    }
    let fingerprint = values.fingerprint(salt, names.iter().map(String::as_str));
    let Some(template) = workload
        .pointer_mut("/spec/template")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let meta = template.entry("metadata").or_insert_with(|| json!({}));
    if let Some(meta) = meta.as_object_mut() {
        let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
        annotations[SECRET_HASH] = Value::String(fingerprint);
    }
}

/// The Secrets a pod spec reads: `secretKeyRef`, `secretRef` and secret volumes.
fn secret_names(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(fields) => {
            for (key, v) in fields {
                let name = match key.as_str() {
                    "secretKeyRef" | "secretRef" => v.get("name"),
                    "secret" => v.get("secretName"),
                    _ => None,
                };
                if let Some(name) = name.and_then(Value::as_str) {
                    out.insert(name.to_string());
                }
                secret_names(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| secret_names(v, out)),
        _ => {}
    }
}

/// Applies the stack and waits for it, within `options.timeout`.
pub async fn run<C: Cluster>(
    cluster: &C,
    input: Input<'_>,
    env: &dyn Env,
    options: &Options,
    progress: &dyn Progress,
) -> Result<Outcome, RunError> {
    supported(cluster).await?;
    let prepared = prepare(cluster, input, env).await?;
    let runner = Runner {
        cluster,
        options,
        progress,
        prepared: &prepared,
        waiting: Mutex::new(BTreeMap::new()),
        ledger: tokio::sync::Mutex::new(Ledger::default()),
        renewed: Mutex::new(BTreeSet::new()),
        seen_pods: Mutex::new(BTreeMap::new()),
    };
    match tokio::time::timeout(options.timeout, runner.run()).await {
        Ok(outcome) => outcome,
        Err(_) => {
            let waiting: Vec<(String, String)> = runner
                .waiting
                .lock()
                .map(|w| w.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            Err(RunError::Timeout {
                after: options.timeout,
                waiting,
            })
        }
    }
}

struct Runner<'a, C> {
    cluster: &'a C,
    options: &'a Options,
    progress: &'a dyn Progress,
    prepared: &'a Prepared,
    /// What each unfinished item waits for, for the report of a global timeout.
    waiting: Mutex<BTreeMap<String, String>>,
    /// What the parent records; locked while the parent is applied, so that the
    /// last write has everything.
    ledger: tokio::sync::Mutex<Ledger>,
    /// The items whose state was made anew in this run, by key: a service with
    /// ephemeral data whose pods are not those the last finished run saw (a
    /// restart, an eviction, a rollout: an emptyDir starts empty), a Job that
    /// ran, and everything that depends on one of them. A completed hook or seed
    /// after a renewed item runs again: what it prepared (a schema, a bucket, a
    /// table) was in the data that is gone.
    renewed: Mutex<BTreeSet<String>>,
    /// The pods of the services with ephemeral data, seen in this run; recorded
    /// when the run finishes, so that a run stopped midway is renewed again.
    seen_pods: Mutex<BTreeMap<String, String>>,
}

/// What the inventory's parent records: the kinds of its members and the Jobs that
/// completed.
#[derive(Default)]
struct Ledger {
    kinds: BTreeSet<Kind>,
    completed: BTreeSet<String>,
    /// The pods of each service with ephemeral data, as the last run that
    /// finished saw them (see [`Runner::renewed`]).
    data_pods: BTreeMap<String, String>,
}

impl Ledger {
    fn parent(&self, p: &Prepared) -> Value {
        let mut parent = inventory::parent(&p.stack, &p.namespace, &self.kinds, &self.completed);
        inventory::set_data_pods(&mut parent, &self.data_pods);
        inventory::set_salt(&mut parent, &p.salt);
        parent
    }
}

/// How one item ended well.
enum Done {
    Ready,
    /// A Job that completed earlier with the same content.
    Kept,
    Results(Vec<CheckResult>),
}

impl<C: Cluster> Runner<'_, C> {
    async fn run(&self) -> Result<Outcome, RunError> {
        let started = Instant::now();
        let p = self.prepared;
        let mut previous = p.previous.as_ref();
        let mut namespace_first = p.base.iter().filter(|o| o["kind"] == "Namespace");
        if let Some(ns) = namespace_first.next() {
            let applied = self.apply(ns).await?;
            // A namespace being deleted (a `floe down` just before) takes no new
            // objects: wait until it is gone, then make it again.
            if applied.pointer("/status/phase").and_then(Value::as_str) == Some("Terminating") {
                let target = ObjectRef::new(Kind::Namespace, "", &p.namespace);
                wait_gone(self.cluster, &target, NAMESPACE_WAIT).await?;
                self.apply(ns).await?;
                // What the namespace held is gone with it, the parent's record too.
                previous = None;
            }
        }
        self.refuse_foreign().await?;
        // The parent lists the kinds of the last run too until prune has run, so that
        // a run stopped midway still leaves everything findable.
        let jobs = p.job_names();
        {
            let mut ledger = self.ledger.lock().await;
            ledger.kinds = p.kinds();
            if let Some(previous) = previous {
                ledger.kinds.extend(inventory::kinds_of(previous));
                ledger.completed = inventory::completed_of(previous)
                    .into_iter()
                    .filter(|j| jobs.contains(j))
                    .collect();
                ledger.data_pods = inventory::data_pods_of(previous);
            }
            self.apply(&ledger.parent(p)).await?;
        }
        let kinds = self.ledger.lock().await.kinds.clone();
        let rest: Vec<&Value> = p.base.iter().filter(|o| o["kind"] != "Namespace").collect();
        let applies: FuturesUnordered<_> = rest.iter().map(|o| self.apply(o)).collect();
        applies
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        self.progress.event(&Event::Applied {
            objects: p.base.len(),
        });
        let (items, results) = self.items().await?;
        let pruned = self.prune(&kinds).await?;
        {
            let mut ledger = self.ledger.lock().await;
            ledger.kinds = p.kinds();
            ledger.data_pods = self.seen_pods.lock().map(|s| s.clone()).unwrap_or_default();
            self.apply(&ledger.parent(p)).await?;
        }
        Ok(Outcome {
            items,
            pruned,
            results,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Runs the items in plan order: an item starts as soon as every item it
    /// depends on is ready, so a wave's items run in parallel and a slow item
    /// holds back only what depends on it.
    async fn items(&self) -> Result<(Vec<(ItemRef, f64)>, Option<Vec<CheckResult>>), RunError> {
        let waves = &self.prepared.waves;
        let planned: BTreeSet<&str> = waves.iter().flatten().map(|i| i.key.as_str()).collect();
        let mut pending: Vec<(usize, &Item)> = waves
            .iter()
            .enumerate()
            .flat_map(|(w, items)| items.iter().map(move |i| (w, i)))
            .collect();
        let mut ready: BTreeSet<&str> = BTreeSet::new();
        let mut announced = None;
        let mut running = FuturesUnordered::new();
        let mut done_items = Vec::new();
        let mut results = None;
        loop {
            let (startable, waiting): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(_, i)| {
                i.after
                    .iter()
                    .all(|d| ready.contains(d.as_str()) || !planned.contains(d.as_str()))
            });
            pending = waiting;
            for (wave, item) in startable {
                if announced.is_none_or(|a| wave > a) {
                    announced = Some(wave);
                    let names: Vec<&str> = waves
                        .get(wave)
                        .map(|w| w.iter().map(|i| i.item.path.as_str()).collect())
                        .unwrap_or_default();
                    self.progress.event(&Event::Wave {
                        index: wave,
                        items: names,
                    });
                }
                running.push(async move { (item, self.item(item).await) });
            }
            let Some((item, outcome)) = running.next().await else {
                break;
            };
            let (item_ref, seconds, done) = outcome?;
            if item_ref.kind == Kind::Job
                && item_ref.step != StepKind::Verify
                && matches!(done, Done::Ready)
            {
                let mut ledger = self.ledger.lock().await;
                ledger.completed.insert(item_ref.name.clone());
                self.apply(&ledger.parent(self.prepared)).await?;
            }
            if let Done::Results(r) = done {
                results = Some(r);
            }
            ready.insert(item.key.as_str());
            done_items.push((item_ref.clone(), seconds));
        }
        Ok((done_items, results))
    }

    async fn apply(&self, object: &Value) -> Result<Value, RunError> {
        let options = ApplyOptions {
            force: self.options.force_conflicts,
            dry_run: false,
        };
        retry(|| self.cluster.apply(object, options))
            .await
            .map_err(|e| {
                let target =
                    ObjectRef::of(object).unwrap_or_else(|| ObjectRef::new(Kind::Secret, "", ""));
                RunError::api(&target, "apply", e, &self.prepared.redactor)
            })
    }

    async fn get(&self, target: &ObjectRef) -> Result<Option<Value>, RunError> {
        retry(|| self.cluster.get(target))
            .await
            .map_err(|e| RunError::api(target, "read", e, &self.prepared.redactor))
    }

    async fn delete(&self, target: &ObjectRef) -> Result<(), RunError> {
        retry(|| self.cluster.delete(target))
            .await
            .map_err(|e| RunError::api(target, "delete", e, &self.prepared.redactor))
    }

    fn target(&self, item: &ItemRef) -> ObjectRef {
        ObjectRef::new(item.kind, &self.prepared.namespace, &item.name)
    }

    /// Runs one item within the item timeout.
    async fn item<'i>(&self, item: &'i Item) -> Result<(&'i ItemRef, f64, Done), RunError> {
        let started = Instant::now();
        self.progress.event(&Event::Started { item: &item.item });
        let outcome = tokio::time::timeout(self.options.item_timeout, self.item_inner(item)).await;
        let seconds = started.elapsed().as_secs_f64();
        let done = match outcome {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => {
                self.progress.event(&Event::Failed {
                    item: &item.item,
                    reason: &e.headline(),
                });
                return Err(e);
            }
            Err(_) => {
                let waiting = self.waiting_for(&item.item);
                let evidence = self.evidence(&item.item, None).await;
                let e = RunError::ItemTimeout {
                    item: item.item.clone(),
                    after: self.options.item_timeout,
                    waiting,
                    evidence,
                };
                self.progress.event(&Event::Failed {
                    item: &item.item,
                    reason: &e.headline(),
                });
                return Err(e);
            }
        };
        if let Ok(mut w) = self.waiting.lock() {
            w.remove(&item.item.path);
        }
        let note = matches!(done, Done::Kept).then_some("completed earlier with the same content");
        self.progress.event(&Event::Ready {
            item: &item.item,
            seconds,
            note,
        });
        Ok((&item.item, seconds, done))
    }

    fn waiting_for(&self, item: &ItemRef) -> String {
        self.waiting
            .lock()
            .ok()
            .and_then(|w| w.get(&item.path).cloned())
            .unwrap_or_else(|| "not started".to_string())
    }

    async fn item_inner(&self, item: &Item) -> Result<Done, RunError> {
        let renewed_before = self.renewed(item);
        if item.item.kind == Kind::Job {
            let done = self.job(item, renewed_before).await?;
            if !matches!(done, Done::Kept) {
                self.renew(&item.key);
            }
            return Ok(done);
        }
        // Only pods that ran before this run can hold old state: a service made
        // in this run (the first run of a stack) is not restarted.
        let running =
            renewed_before && item.stateless && self.get(&self.target(&item.item)).await?.is_some();
        let applied = self.apply(&item.object).await?;
        if running {
            self.restart(&item.item, &applied).await?;
        }
        let done = self.wait(&item.item).await?;
        if renewed_before || (item.ephemeral && self.pods_renewed(item).await?) {
            self.renew(&item.key);
        }
        Ok(done)
    }

    /// Deletes the pods of a service without volumes, which its controller makes
    /// again: what it needs was made anew, and nothing it cached of the old state
    /// (a catalog's entity cache, a connection to a database that is gone) should
    /// outlive it. A service with volumes is not restarted: its data is its own.
    async fn restart(&self, item: &ItemRef, object: &Value) -> Result<(), RunError> {
        for pod in self.pods(item, object).await? {
            let name = text_at(&pod, "/metadata/name");
            self.delete(&ObjectRef::new(Kind::Pod, &self.prepared.namespace, &name))
                .await?;
        }
        Ok(())
    }

    /// Whether an item this one depends on was made anew in this run.
    fn renewed(&self, item: &Item) -> bool {
        self.renewed
            .lock()
            .is_ok_and(|r| item.after.iter().any(|d| r.contains(d)))
    }

    fn renew(&self, key: &str) {
        if let Ok(mut r) = self.renewed.lock() {
            r.insert(key.to_string());
        }
    }

    /// Whether a ready service's pods differ from those the last finished run saw
    /// (never on the first run); they are kept for the record.
    async fn pods_renewed(&self, item: &Item) -> Result<bool, RunError> {
        let Some(object) = self.get(&self.target(&item.item)).await? else {
            return Ok(false);
        };
        let mut uids: Vec<String> = self
            .pods(&item.item, &object)
            .await?
            .iter()
            .map(|p| text_at(p, "/metadata/uid"))
            .collect();
        uids.sort();
        let uids = uids.join(",");
        let before = self.ledger.lock().await.data_pods.get(&item.key).cloned();
        if let Ok(mut seen) = self.seen_pods.lock() {
            seen.insert(item.key.clone(), uids.clone());
        }
        Ok(before.is_some_and(|b| b != uids))
    }

    /// Deletes older Jobs of the step, keeps one that completed with the same
    /// content (unless what it comes after was `renewed`), reruns a failed one (or
    /// one stuck on an image pull), and waits for it.
    async fn job(&self, item: &Item, renewed: bool) -> Result<Done, RunError> {
        let p = self.prepared;
        let selector = format!(
            "app.kubernetes.io/name={},{}",
            item.item.step_name,
            inventory::selector(&p.id)
        );
        let listing = retry(|| self.cluster.list(Kind::Job, &p.namespace, &selector))
            .await
            .map_err(|e| RunError::api(&self.target(&item.item), "list", e, &p.redactor))?;
        let mut current = None;
        for (r, job) in listing.with_refs(Kind::Job) {
            if r.name == item.item.name {
                current = Some(job);
            } else {
                self.delete(&r).await?;
            }
        }
        let target = self.target(&item.item);
        let verify = item.item.step == StepKind::Verify;
        let completed = self.ledger.lock().await.completed.contains(&item.item.name);
        if current.is_none() && completed && !verify && !renewed {
            return Ok(Done::Kept);
        }
        if let Some(job) = current {
            let pulling = self.waits_on_image(&item.item, job).await?;
            match readiness::job(job) {
                Readiness::Ready if !verify && !renewed => return Ok(Done::Kept),
                Readiness::Waiting(_) if !verify && !pulling => return self.wait(&item.item).await,
                _ => {
                    self.delete(&target).await?;
                    wait_gone(self.cluster, &target, self.options.item_timeout).await?;
                }
            }
        }
        self.apply(&item.object).await?;
        self.wait(&item.item).await
    }

    /// Whether a running Job's pod waits on an image its node could not pull. Such
    /// a Job, left by an earlier run, is replaced rather than waited for: the
    /// kubelet retries a failed pull with a back-off that doubles up to five
    /// minutes (kubelet's `MaxImageBackOff`), so the old pod would go on waiting
    /// long after the image was built or pushed, while a new pod pulls at once.
    async fn waits_on_image(&self, item: &ItemRef, job: &Value) -> Result<bool, RunError> {
        let pods = self.pods(item, job).await?;
        Ok(readiness::pod_failure(&pods).is_some_and(|f| readiness::is_image_pull(&f.reason)))
    }

    /// Looks at the item until it is ready or failed; between looks, watches it.
    /// The item exists: floe applied it, or found it running.
    async fn wait(&self, item: &ItemRef) -> Result<Done, RunError> {
        let target = self.target(item);
        let mut last = String::new();
        let follow = matches!(item.step, StepKind::Hook | StepKind::Seed);
        let mut followed = Followed::default();
        let mut retried = None;
        let mut watcher = Watcher::new(self.options.poll);
        loop {
            let Some(object) = self.get(&target).await? else {
                return Err(RunError::Deleted { item: item.clone() });
            };
            let state = self.look(item, &object, &mut retried).await?;
            if follow {
                self.follow(item, &object, &mut followed).await;
            }
            match state {
                Readiness::Ready => return self.finish(item, &object, None).await,
                Readiness::Failed(reason) => return self.finish(item, &object, Some(reason)).await,
                Readiness::Waiting(message) => self.note(item, &mut last, &message),
            }
            watcher
                .watch(self.cluster, &target, &resource_version(&object))
                .await;
        }
    }

    fn note(&self, item: &ItemRef, last: &mut String, message: &str) {
        if last != message {
            message.clone_into(last);
            if let Ok(mut w) = self.waiting.lock() {
                w.insert(item.path.clone(), message.to_string());
            }
            self.progress.event(&Event::Waiting { item, message });
        }
    }

    /// The object's readiness, made worse by a pod of its current revision that
    /// cannot start: at once when waiting will not help, after
    /// `options.retried_for` when Kubernetes retries it (`retried` keeps the
    /// failure and when it was first seen).
    async fn look(
        &self,
        item: &ItemRef,
        object: &Value,
        retried: &mut Option<(String, Instant)>,
    ) -> Result<Readiness, RunError> {
        let state = readiness::object(item.kind, object);
        if !matches!(state, Readiness::Waiting(_)) {
            return Ok(state);
        }
        let Some(failure) = readiness::pod_failure(&self.pods(item, object).await?) else {
            *retried = None;
            return match item.kind {
                Kind::StatefulSet => self.claims(item, object, state).await,
                _ => Ok(state),
            };
        };
        let what = match failure.container.as_str() {
            "" => format!("pod {}", failure.pod),
            c => format!("container `{c}` of pod {}", failure.pod),
        };
        let message = self.prepared.redactor.redact(&failure.message);
        let text = format!("{what}: {} {message}", failure.reason)
            .trim_end()
            .to_string();
        if !failure.retried {
            return Ok(Readiness::Failed(text));
        }
        let now = Instant::now();
        let since = match retried {
            Some((reason, since)) if *reason == failure.reason => *since,
            _ => {
                *retried = Some((failure.reason.clone(), now));
                now
            }
        };
        let lasted = now - since;
        let limit = self.options.retried_for;
        if lasted >= limit {
            return Ok(Readiness::Failed(format!(
                "{text} (still after {}s of retries)",
                lasted.as_secs()
            )));
        }
        Ok(Readiness::Waiting(format!(
            "{text} (Kubernetes retries; failing if it lasts {}s)",
            limit.as_secs()
        )))
    }

    /// A StatefulSet's volume claims: a lost one fails it; one not bound (unless
    /// waiting for its first consumer) is said while waiting.
    async fn claims(
        &self,
        item: &ItemRef,
        set: &Value,
        state: Readiness,
    ) -> Result<Readiness, RunError> {
        let p = self.prepared;
        let selector = inventory::selector(&p.id);
        let listing = retry(|| {
            self.cluster
                .list(Kind::PersistentVolumeClaim, &p.namespace, &selector)
        })
        .await
        .map_err(|e| RunError::api(&self.target(item), "list volume claims of", e, &p.redactor))?;
        let names = claim_names(set);
        for claim in &listing.items {
            let name = claim
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !names.iter().any(|n| n == name) {
                continue;
            }
            let events = self
                .cluster
                .events(&p.namespace, name)
                .await
                .unwrap_or_default();
            let first_consumer = events.iter().any(|e| e["reason"] == "WaitForFirstConsumer");
            match readiness::claim(claim, first_consumer) {
                Readiness::Ready => {}
                Readiness::Failed(m) => {
                    return Ok(Readiness::Failed(format!("volume claim {name}: {m}")));
                }
                Readiness::Waiting(m) => {
                    if let Readiness::Waiting(s) = &state {
                        return Ok(Readiness::Waiting(format!("{s}; volume claim {name}: {m}")));
                    }
                }
            }
        }
        Ok(state)
    }

    /// The pods of the workload's current revision; none while the controller has
    /// not yet seen the current spec.
    async fn pods(&self, item: &ItemRef, object: &Value) -> Result<Vec<Value>, RunError> {
        let Some(revision) = self.revision(item, object).await? else {
            return Ok(Vec::new());
        };
        let p = self.prepared;
        retry(|| {
            self.cluster
                .list(Kind::Pod, &p.namespace, &revision.selector)
        })
        .await
        .map(|l| l.items)
        .map_err(|e| RunError::api(&self.target(item), "list pods of", e, &p.redactor))
    }

    /// How the pods of the workload's current revision are found:
    /// - a Job's pods carry `batch.kubernetes.io/job-name` (a Job has one
    ///   template: floe names Jobs by content);
    /// - a StatefulSet's, `controller-revision-hash` = its `status.updateRevision`;
    /// - a Deployment's, the `pod-template-hash` of its new ReplicaSet: the one it
    ///   controls (owner uid) whose `deployment.kubernetes.io/revision` is the
    ///   Deployment's own, as `kubectl rollout status` finds it.
    async fn revision(&self, item: &ItemRef, object: &Value) -> Result<Option<Revision>, RunError> {
        let base = pod_selector(item.kind, object);
        let rolled = matches!(item.kind, Kind::Deployment | Kind::StatefulSet);
        if base.is_empty() || (rolled && !readiness::observed(object)) {
            return Ok(None);
        }
        let text = |v: &Value, path: &str| {
            v.pointer(path)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        match item.kind {
            Kind::StatefulSet => {
                let update = text(object, "/status/updateRevision");
                Ok((!update.is_empty()).then(|| Revision {
                    selector: format!("{base},controller-revision-hash={update}"),
                    replica_set: None,
                }))
            }
            Kind::Deployment => {
                let wanted = text(object, REVISION);
                let uid = text(object, "/metadata/uid");
                if wanted.is_empty() {
                    return Ok(None);
                }
                let p = self.prepared;
                let sets = retry(|| self.cluster.list(Kind::ReplicaSet, &p.namespace, &base))
                    .await
                    .map_err(|e| {
                        RunError::api(&self.target(item), "list replica sets of", e, &p.redactor)
                    })?;
                let owned = |rs: &Value| {
                    rs.pointer("/metadata/ownerReferences")
                        .and_then(Value::as_array)
                        .is_some_and(|o| o.iter().any(|r| r["uid"] == uid.as_str()))
                };
                let new = sets
                    .items
                    .iter()
                    .find(|rs| owned(rs) && text(rs, REVISION) == wanted);
                Ok(new.map(|rs| Revision {
                    selector: format!(
                        "{base},pod-template-hash={}",
                        text(rs, "/metadata/labels/pod-template-hash")
                    ),
                    replica_set: Some(text(rs, "/metadata/name")),
                }))
            }
            _ => Ok(Some(Revision {
                selector: base,
                replica_set: None,
            })),
        }
    }

    /// Ready, or the failure with evidence; for the verify Job, the check results.
    async fn finish(
        &self,
        item: &ItemRef,
        object: &Value,
        failure: Option<String>,
    ) -> Result<Done, RunError> {
        let data = matches!(item.step, StepKind::Seed | StepKind::Verify);
        if let Some(reason) = failure
            .as_deref()
            .filter(|r| data && readiness::is_image_pull(r))
        {
            let image = object
                .pointer("/spec/template/spec/containers/0/image")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Err(RunError::RunnerImage {
                item: item.clone(),
                image: image.to_string(),
                reason: reason.to_string(),
                evidence: self.evidence(item, Some(object)).await,
            });
        }
        if item.step == StepKind::Verify {
            let log = self.job_log(item, object, 200).await;
            if let Some(results) = log.and_then(|(_, log)| jobs::results_in_log(&log)) {
                return Ok(Done::Results(results));
            }
            let evidence = self.evidence(item, Some(object)).await;
            return Err(RunError::NoResults {
                item: item.clone(),
                reason: failure,
                evidence,
            });
        }
        match failure {
            None => Ok(Done::Ready),
            Some(reason) => {
                let evidence = self.evidence(item, Some(object)).await;
                Err(RunError::NotReady {
                    item: item.clone(),
                    reason,
                    evidence,
                })
            }
        }
    }

    /// Shows the lines of a Job's logs not shown yet, of every pod of the Job,
    /// oldest first. Called at every look, so lines appear at most one poll
    /// interval late; counted per pod, so both a failed attempt's last lines and
    /// the first lines of the pod that retries it are shown. A pod that had ended
    /// is not read again.
    async fn follow(&self, item: &ItemRef, object: &Value, followed: &mut Followed) {
        let Ok(pods) = self.job_pods(item, object).await else {
            return;
        };
        for pod in &pods {
            let name = text_at(pod, "/metadata/name");
            if followed.finished.contains(&name) {
                continue;
            }
            let ended = matches!(
                text_at(pod, "/status/phase").as_str(),
                "Failed" | "Succeeded"
            );
            let Some(log) = self.pod_log(pod, FOLLOWED_LINES).await else {
                continue;
            };
            let count = followed.lines.entry(name.clone()).or_default();
            let lines: Vec<&str> = log.lines().collect();
            for line in lines.iter().skip(*count) {
                let line = self.prepared.redactor.redact(line);
                self.progress.event(&Event::Log { item, line: &line });
            }
            *count = lines.len().max(*count);
            if ended {
                followed.finished.insert(name);
            }
        }
    }

    /// The pods of a Job, oldest first (by creation, then name).
    async fn job_pods(&self, item: &ItemRef, object: &Value) -> Result<Vec<Value>, RunError> {
        let mut pods = self.pods(item, object).await?;
        pods.sort_by_key(|p| {
            (
                text_at(p, "/metadata/creationTimestamp"),
                text_at(p, "/metadata/name"),
            )
        });
        Ok(pods)
    }

    /// The last `lines` lines of the log of a pod's first container.
    async fn pod_log(&self, pod: &Value, lines: i64) -> Option<String> {
        let name = text_at(pod, "/metadata/name");
        let container = text_at(pod, "/spec/containers/0/name");
        self.cluster
            .logs(&self.prepared.namespace, &name, &container, lines, false)
            .await
            .ok()
    }

    /// The last `lines` lines of the log of a Job's most recent pod, and its name.
    async fn job_log(
        &self,
        item: &ItemRef,
        object: &Value,
        lines: i64,
    ) -> Option<(String, String)> {
        let pods = self.job_pods(item, object).await.ok()?;
        let pod = pods.last()?;
        let log = self.pod_log(pod, lines).await?;
        Some((text_at(pod, "/metadata/name"), log))
    }

    /// Conditions, recent events of the object and its pods, and the last log lines
    /// of the pod in trouble; every text redacted.
    async fn evidence(&self, item: &ItemRef, object: Option<&Value>) -> Evidence {
        let p = self.prepared;
        let fetched;
        let object = match object {
            Some(o) => Some(o),
            None => {
                fetched = self.cluster.get(&self.target(item)).await.ok().flatten();
                fetched.as_ref()
            }
        };
        let Some(object) = object else {
            return Evidence::default();
        };
        let redact = |s: &str| p.redactor.redact(s);
        let conditions = readiness::describe_conditions(object)
            .iter()
            .map(|c| redact(c))
            .collect();
        let mut events = self
            .cluster
            .events(&p.namespace, &item.name)
            .await
            .unwrap_or_default();
        // A ReplicaSet that cannot create pods says why in its own events.
        if let Ok(Some(Revision {
            replica_set: Some(rs),
            ..
        })) = self.revision(item, object).await
        {
            events.extend(
                self.cluster
                    .events(&p.namespace, &rs)
                    .await
                    .unwrap_or_default(),
            );
        }
        let pods = self.pods(item, object).await.unwrap_or_default();
        let failure = readiness::pod_failure(&pods);
        let troubled = failure.as_ref().map(|f| f.pod.clone()).or_else(|| {
            pods.last()
                .and_then(|x| x.pointer("/metadata/name")?.as_str().map(str::to_string))
        });
        let mut log = None;
        if let Some(pod) = &troubled {
            events.extend(
                self.cluster
                    .events(&p.namespace, pod)
                    .await
                    .unwrap_or_default(),
            );
            let container = failure
                .as_ref()
                .map(|f| f.container.clone())
                .filter(|c| !c.is_empty())
                .or_else(|| {
                    pods.iter()
                        .find(|x| x.pointer("/metadata/name").and_then(Value::as_str) == Some(pod))
                        .and_then(|x| {
                            x.pointer("/spec/containers/0/name")?
                                .as_str()
                                .map(str::to_string)
                        })
                });
            if let Some(container) = container {
                let previous = failure
                    .as_ref()
                    .is_some_and(|f| f.reason == "CrashLoopBackOff");
                if let Ok(text) = self
                    .cluster
                    .logs(&p.namespace, pod, &container, 20, previous)
                    .await
                {
                    let lines = text.lines().map(&redact).collect();
                    log = Some((format!("pod {pod}, container {container}"), lines));
                }
            }
        }
        let events = events
            .iter()
            .rev()
            .take(10)
            .rev()
            .map(|e| redact(&describe_event(e)))
            .collect();
        Evidence {
            conditions,
            events,
            log,
        }
    }

    /// Stops before any change when an object of the stack exists and belongs to
    /// another ApplySet (KEP-3659: a tool must not adopt another set's members).
    async fn refuse_foreign(&self) -> Result<(), RunError> {
        let p = self.prepared;
        let ours = inventory::names(&p.objects().cloned().collect::<Vec<_>>());
        let selector = inventory::others(&p.id);
        for (kind, names) in ours.iter().filter(|(k, _)| k.namespaced()) {
            let listing = list(self.cluster, *kind, &p.namespace, &selector, &p.redactor).await?;
            if let Some((object, item)) = listing
                .with_refs(*kind)
                .find(|(r, _)| names.contains(&r.name))
            {
                let owner = item
                    .pointer("/metadata/labels")
                    .and_then(|l| l.get(inventory::PART_OF))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                return Err(RunError::Foreign { object, owner });
            }
        }
        Ok(())
    }

    /// Deletes members of the inventory the stack no longer has.
    async fn prune(&self, kinds: &BTreeSet<Kind>) -> Result<Vec<ObjectRef>, RunError> {
        let p = self.prepared;
        let keep = inventory::names(&p.objects().cloned().collect::<Vec<_>>());
        let selector = inventory::selector(&p.id);
        let mut pruned = Vec::new();
        for kind in kinds.iter().rev() {
            let listing = list(self.cluster, *kind, &p.namespace, &selector, &p.redactor).await?;
            for target in listing.refs(*kind) {
                if keep
                    .get(kind)
                    .is_some_and(|names| names.contains(&target.name))
                {
                    continue;
                }
                self.delete(&target).await?;
                self.progress.event(&Event::Pruned { object: &target });
                pruned.push(target);
            }
        }
        Ok(pruned)
    }
}

/// The revision a Deployment and its ReplicaSets carry (the deployment controller's
/// `deployment.kubernetes.io/revision`), as a JSON pointer below an object.
pub const REVISION: &str = "/metadata/annotations/deployment.kubernetes.io~1revision";

/// How much of a Job's log is followed.
const FOLLOWED_LINES: i64 = 10_000;

/// The string at `path` in an object, or nothing.
fn text_at(object: &Value, path: &str) -> String {
    object
        .pointer(path)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// What of a Job's logs was shown: the lines so far, per pod, and the pods that
/// had ended when their log was read (nothing more will come).
#[derive(Default)]
struct Followed {
    lines: BTreeMap<String, usize>,
    finished: BTreeSet<String>,
}

/// The pods of a workload's current revision: their label selector, and for a
/// Deployment the ReplicaSet that makes them.
struct Revision {
    selector: String,
    replica_set: Option<String>,
}

/// The claims a StatefulSet's controller makes: `TEMPLATE-SET-ORDINAL`.
fn claim_names(set: &Value) -> Vec<String> {
    let name = set
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let replicas = readiness::wanted_replicas(set);
    set.pointer("/spec/volumeClaimTemplates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.pointer("/metadata/name").and_then(Value::as_str))
        .flat_map(|t| (0..replicas).map(move |i| format!("{t}-{name}-{i}")))
        .collect()
}

fn resource_version(object: &Value) -> String {
    text_at(object, "/metadata/resourceVersion")
}

/// The label selector of a workload's pods.
fn pod_selector(kind: Kind, object: &Value) -> String {
    match kind {
        Kind::Job => {
            let name = object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            format!("batch.kubernetes.io/job-name={name}")
        }
        _ => object
            .pointer("/spec/selector/matchLabels")
            .and_then(Value::as_object)
            .map(|labels| {
                labels
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default(),
    }
}

/// `Warning FailedScheduling: 0/1 nodes are available ...`
fn describe_event(event: &Value) -> String {
    let field = |k: &str| event.get(k).and_then(Value::as_str).unwrap_or("");
    let object = event
        .pointer("/involvedObject/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    format!(
        "{} {} ({object}): {}",
        field("type"),
        field("reason"),
        field("message")
    )
}
