//! Lowering: the model to Kubernetes objects, built as k8s-openapi types.
//!
//! Nothing here writes YAML or JSON by hand: objects are k8s-openapi structs, so
//! their shape is Kubernetes' own by construction. The order of [`Object`]s is fixed
//! (namespace, service accounts, config, secrets, workloads, services, jobs; by name
//! within a kind) so that output is byte-for-byte stable.

mod data;
mod pod;
mod quantity;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, PersistentVolumeClaimSpec, Secret, Service,
    ServiceAccount, ServicePort, ServiceSpec, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use rustc_hash::FxHashMap;
use serde::{Serialize, Serializer};

use crate::model;
use crate::plan::{self, StepKind};

/// One Kubernetes object of a compiled stack.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    Namespace(Namespace),
    ServiceAccount(ServiceAccount),
    ConfigMap(ConfigMap),
    Secret(Secret),
    Deployment(Deployment),
    StatefulSet(StatefulSet),
    Service(Service),
    Job(Job),
}

impl Object {
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Namespace(_) => "Namespace",
            Object::ServiceAccount(_) => "ServiceAccount",
            Object::ConfigMap(_) => "ConfigMap",
            Object::Secret(_) => "Secret",
            Object::Deployment(_) => "Deployment",
            Object::StatefulSet(_) => "StatefulSet",
            Object::Service(_) => "Service",
            Object::Job(_) => "Job",
        }
    }

    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Object::Namespace(o) => &o.metadata,
            Object::ServiceAccount(o) => &o.metadata,
            Object::ConfigMap(o) => &o.metadata,
            Object::Secret(o) => &o.metadata,
            Object::Deployment(o) => &o.metadata,
            Object::StatefulSet(o) => &o.metadata,
            Object::Service(o) => &o.metadata,
            Object::Job(o) => &o.metadata,
        }
    }

    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or("")
    }

    /// Where the object comes in the output: the order in which it can be applied.
    pub fn rank(&self) -> u8 {
        match self {
            Object::Namespace(_) => rank::NAMESPACE,
            Object::ServiceAccount(_) => rank::SERVICE_ACCOUNT,
            Object::ConfigMap(_) => rank::CONFIG_MAP,
            Object::Secret(_) => rank::SECRET,
            Object::Deployment(_) | Object::StatefulSet(_) => rank::WORKLOAD,
            Object::Service(_) => rank::SERVICE,
            Object::Job(_) => rank::JOB,
        }
    }
}

/// Every kind of object floe makes, with its rank ([`Object::rank`],
/// [`Object::kind`]): what the file names of `floe compile -o` are made of.
pub const KINDS: &[(u8, &str)] = &[
    (rank::NAMESPACE, "Namespace"),
    (rank::SERVICE_ACCOUNT, "ServiceAccount"),
    (rank::CONFIG_MAP, "ConfigMap"),
    (rank::SECRET, "Secret"),
    (rank::WORKLOAD, "Deployment"),
    (rank::WORKLOAD, "StatefulSet"),
    (rank::SERVICE, "Service"),
    (rank::JOB, "Job"),
];

/// The rank of each kind of object ([`Object::rank`]), known to lowering before the
/// object is made.
mod rank {
    pub const NAMESPACE: u8 = 0;
    pub const SERVICE_ACCOUNT: u8 = 1;
    pub const CONFIG_MAP: u8 = 2;
    pub const SECRET: u8 = 3;
    pub const WORKLOAD: u8 = 4;
    pub const SERVICE: u8 = 5;
    pub const JOB: u8 = 6;
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Object::Namespace(o) => o.serialize(serializer),
            Object::ServiceAccount(o) => o.serialize(serializer),
            Object::ConfigMap(o) => o.serialize(serializer),
            Object::Secret(o) => o.serialize(serializer),
            Object::Deployment(o) => o.serialize(serializer),
            Object::StatefulSet(o) => o.serialize(serializer),
            Object::Service(o) => o.serialize(serializer),
            Object::Job(o) => o.serialize(serializer),
        }
    }
}

/// The labels of the stack's objects, all made here: those every object carries
/// (the stack's own, `part-of`, `managed-by`, `instance`), an item's `name` and
/// `component`, and the selector labels of an item. (`floe run` adds the ApplySet's
/// label, `cluster::inventory`.) And the annotations of the objects that carry a
/// plan step.
struct Labels<'a> {
    stack: &'a model::Stack,
    /// The stack's name as a label value.
    instance: String,
    /// The labels of every object, made once and copied into each.
    common: BTreeMap<String, String>,
    /// The plan's wave of each step after wave 0, by step key.
    waves: FxHashMap<String, usize>,
}

impl<'a> Labels<'a> {
    fn new(stack: &'a model::Stack) -> Self {
        let instance = model::kube_name(&stack.name);
        // `part-of` names the stack unless the stack's labels say otherwise; the
        // labels floe selects by are always its own.
        let mut common = BTreeMap::from([("app.kubernetes.io/part-of".into(), instance.clone())]);
        common.extend(stack.labels.clone());
        common.insert("app.kubernetes.io/managed-by".into(), "floe".into());
        common.insert("app.kubernetes.io/instance".into(), instance.clone());
        let waves = plan::later_waves(stack);
        Labels {
            stack,
            instance,
            common,
            waves,
        }
    }

    fn common(&self) -> BTreeMap<String, String> {
        self.common.clone()
    }

    fn selector(&self, name: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("app.kubernetes.io/name".to_string(), name.to_string()),
            (
                "app.kubernetes.io/instance".to_string(),
                self.instance.clone(),
            ),
        ])
    }

    fn item(&self, name: &str, component: &str) -> BTreeMap<String, String> {
        let mut labels = self.common();
        labels.insert("app.kubernetes.io/name".into(), name.into());
        labels.insert("app.kubernetes.io/component".into(), component.into());
        labels
    }

    fn meta(&self, name: &str, component: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(self.stack.namespace.clone()),
            labels: Some(self.item(name, component)),
            ..ObjectMeta::default()
        }
    }

    /// The metadata of the object that carries a plan step: tagged with the
    /// step's key, which is how `floe run` finds the step's object, and with its
    /// wave as Argo CD's sync wave, one after the plan's (wave 0, Argo CD's default,
    /// is everything else: the namespace, accounts, configuration, Services), so
    /// that Argo CD applies a workload or Job only when what it waits for is healthy.
    fn step_meta(&self, step: StepKind, name: &str, component: &str) -> ObjectMeta {
        let mut meta = self.meta(name, component);
        let key = plan::step_key(step, name);
        let mut annotations = BTreeMap::new();
        let wave = self.waves.get(&key).copied().unwrap_or(0);
        annotations.insert(plan::SYNC_WAVE.to_string(), (wave + 1).to_string());
        annotations.insert(plan::STEP.to_string(), key);
        meta.annotations = Some(annotations);
        meta
    }
}

/// Stacks with at least this many objects are lowered on several threads.
const PARALLEL_OBJECTS: usize = 1024;
/// Objects are made this many at a time: what was made of a batch is passed on
/// before the next but one is made.
const BATCH: usize = 4096;

/// Lowers a stack to its objects, in output order.
pub fn lower(stack: &model::Stack) -> Vec<Object> {
    let mut objects = Vec::new();
    let done: Result<(), std::convert::Infallible> = lower_in_order(
        stack,
        |object| object,
        |object| {
            objects.push(object);
            Ok(())
        },
    );
    let Ok(()) = done;
    objects
}

/// Lowers a stack and passes what `each` makes of each object to `take`, in
/// output order, stopping at `take`'s first error. Objects are many times the size
/// of their YAML and are made in batches: a caller that writes them as they come
/// holds neither all objects nor all they were made into.
pub fn lower_in_order<T: Send, E>(
    stack: &model::Stack,
    each: impl Fn(Object) -> T + Sync,
    take: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    let labels = Labels::new(stack);
    let mut parts = Vec::with_capacity(
        1 + stack.configs.len()
            + stack.secrets.len()
            + 3 * stack.services.len()
            + 2 * stack.hooks.len(),
    );
    parts.push(Part::Namespace);
    parts.extend(stack.configs.iter().map(Part::Config));
    parts.extend(stack.secrets.iter().map(Part::Secret));
    for service in &stack.services {
        parts.push(Part::Account(&service.name, "service"));
        parts.push(Part::Workload(service));
        if !service.ports.is_empty() {
            parts.push(Part::Service(service));
        }
    }
    for hook in &stack.hooks {
        parts.push(Part::Account(&hook.name, "hook"));
        parts.push(Part::Hook(hook));
    }
    parts.extend(
        data::lower_data(stack, &labels)
            .into_iter()
            .map(|o| Part::Made(Box::new(o))),
    );
    // Stable: objects of one rank and name keep the order they are listed in.
    parts.sort_by(|a, b| a.key(stack).cmp(&b.key(stack)));
    crate::par::map_in_batches(
        parts,
        PARALLEL_OBJECTS,
        BATCH,
        |part| each(part.make(stack, &labels)),
        take,
    )
}

/// An object of the stack, known by where it comes in the output before it is
/// made.
enum Part<'s> {
    Namespace,
    Config(&'s model::Config),
    Secret(&'s model::Secret),
    /// The service account of a service or a hook, and its component.
    Account(&'s str, &'static str),
    Workload(&'s model::Service),
    Service(&'s model::Service),
    Hook(&'s model::Hook),
    /// An object made already (the data Jobs and what they read: a few), boxed:
    /// an object is many times the size of the other parts.
    Made(Box<Object>),
}

impl<'s> Part<'s> {
    /// The made object's rank and name ([`Object::rank`], [`Object::name`]).
    fn key<'a>(&'a self, stack: &'a model::Stack) -> (u8, &'a str) {
        match self {
            Part::Namespace => (rank::NAMESPACE, &stack.namespace),
            Part::Account(name, _) => (rank::SERVICE_ACCOUNT, name),
            Part::Config(config) => (rank::CONFIG_MAP, &config.name),
            Part::Secret(secret) => (rank::SECRET, &secret.name),
            Part::Workload(service) => (rank::WORKLOAD, &service.name),
            Part::Service(service) => (rank::SERVICE, &service.name),
            Part::Hook(hook) => (rank::JOB, &hook.name),
            Part::Made(object) => (object.rank(), object.name()),
        }
    }

    fn make(self, stack: &model::Stack, labels: &Labels<'_>) -> Object {
        match self {
            Part::Namespace => Object::Namespace(Namespace {
                metadata: ObjectMeta {
                    name: Some(stack.namespace.clone()),
                    labels: Some(labels.common()),
                    ..ObjectMeta::default()
                },
                ..Namespace::default()
            }),
            Part::Account(name, component) => service_account(name, component, labels),
            Part::Config(config) => Object::ConfigMap(lower_config(config, labels)),
            Part::Secret(secret) => Object::Secret(lower_secret(secret, labels)),
            Part::Workload(service) => lower_workload(service, stack, labels),
            Part::Service(service) => Object::Service(lower_service(service, labels)),
            Part::Hook(hook) => Object::Job(lower_hook(hook, stack, labels)),
            Part::Made(object) => *object,
        }
    }
}

fn service_account(name: &str, component: &str, labels: &Labels<'_>) -> Object {
    Object::ServiceAccount(ServiceAccount {
        metadata: labels.meta(name, component),
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    })
}

fn lower_config(config: &model::Config, labels: &Labels<'_>) -> ConfigMap {
    ConfigMap {
        metadata: labels.meta(&config.name, "config"),
        data: Some(config.data.clone()),
        ..ConfigMap::default()
    }
}

/// The annotation of a compiled Secret that says how each key is obtained, as
/// JSON: `{"password": "generate(24)", "token": "env(API_TOKEN)"}`.
pub const SECRET_KEYS: &str = "floe.dev/secret-keys";

/// A Secret without data: values are supplied when the stack is applied. An
/// annotation says how each key is obtained, never the value.
fn lower_secret(secret: &model::Secret, labels: &Labels<'_>) -> Secret {
    let mut metadata = labels.meta(&secret.name, "secret");
    let sources: BTreeMap<&str, String> = secret
        .keys
        .iter()
        .map(|k| (k.key.as_str(), k.source.describe()))
        .collect();
    let sources = serde_json::to_string(&sources).unwrap_or_default();
    metadata.annotations = Some(BTreeMap::from([(SECRET_KEYS.to_string(), sources)]));
    Secret {
        metadata,
        type_: Some("Opaque".to_string()),
        ..Secret::default()
    }
}

fn lower_workload(service: &model::Service, stack: &model::Stack, labels: &Labels<'_>) -> Object {
    let metadata = labels.step_meta(StepKind::Service, &service.name, "service");
    let selector = LabelSelector {
        match_labels: Some(labels.selector(&service.name)),
        ..LabelSelector::default()
    };
    let template = pod::service_template(service, stack, labels.item(&service.name, "service"));
    if service.is_stateful() {
        let claims = service
            .volumes
            .iter()
            .filter(|v| v.storage.persistent)
            .map(volume_claim)
            .collect();
        Object::StatefulSet(StatefulSet {
            metadata,
            spec: Some(StatefulSetSpec {
                replicas: Some(service.replicas),
                selector,
                service_name: Some(service.name.clone()),
                template,
                volume_claim_templates: Some(claims),
                ..StatefulSetSpec::default()
            }),
            ..StatefulSet::default()
        })
    } else {
        Object::Deployment(Deployment {
            metadata,
            spec: Some(DeploymentSpec {
                replicas: Some(service.replicas),
                selector,
                template,
                ..DeploymentSpec::default()
            }),
            ..Deployment::default()
        })
    }
}

fn volume_claim(volume: &model::Volume) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(volume.name.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_string()]),
            storage_class_name: volume.storage.class.clone(),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    quantity::bytes(volume.size_bytes),
                )])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}

fn lower_service(service: &model::Service, labels: &Labels<'_>) -> Service {
    Service {
        metadata: labels.meta(&service.name, "service"),
        spec: Some(ServiceSpec {
            selector: Some(labels.selector(&service.name)),
            ports: Some(
                service
                    .ports
                    .iter()
                    .map(|p| ServicePort {
                        name: Some(p.name.clone()),
                        port: p.number,
                        target_port: Some(IntOrString::String(p.name.clone())),
                        protocol: Some("TCP".to_string()),
                        ..ServicePort::default()
                    })
                    .collect(),
            ),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

fn lower_hook(hook: &model::Hook, stack: &model::Stack, labels: &Labels<'_>) -> Job {
    let template = pod::hook_template(hook, stack, labels.item(&hook.name, "hook"));
    Job {
        metadata: labels.step_meta(StepKind::Hook, &hook.name, "hook"),
        spec: Some(JobSpec {
            backoff_limit: Some(hook.retries),
            active_deadline_seconds: Some(hook.timeout_seconds),
            ttl_seconds_after_finished: Some(hook.keep_seconds),
            template,
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}
