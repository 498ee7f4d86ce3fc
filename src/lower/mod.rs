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
            Object::Namespace(_) => 0,
            Object::ServiceAccount(_) => 1,
            Object::ConfigMap(_) => 2,
            Object::Secret(_) => 3,
            Object::Deployment(_) | Object::StatefulSet(_) => 4,
            Object::Service(_) => 5,
            Object::Job(_) => 6,
        }
    }
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

/// Labels every object of the stack carries, and the selector labels of an item.
struct Labels<'a> {
    stack: &'a model::Stack,
    /// The stack's name as a label value.
    instance: String,
    /// The labels of every object, made once and copied into each.
    common: BTreeMap<String, String>,
}

impl<'a> Labels<'a> {
    fn new(stack: &'a model::Stack) -> Self {
        let instance = stack.name.replace('_', "-");
        let mut common = stack.labels.clone();
        common.insert("app.kubernetes.io/managed-by".into(), "floe".into());
        common.insert("app.kubernetes.io/instance".into(), instance.clone());
        Labels {
            stack,
            instance,
            common,
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
    /// step's key, which is how `floe run` finds the step's object.
    fn step_meta(&self, step: StepKind, name: &str, component: &str) -> ObjectMeta {
        let mut meta = self.meta(name, component);
        meta.annotations = Some(BTreeMap::from([(
            plan::STEP.to_string(),
            plan::step_key(step, name),
        )]));
        meta
    }
}

/// Stacks with at least this many services are lowered on several threads.
const PARALLEL_ITEMS: usize = 512;

/// Lowers a stack to its objects, in output order.
pub fn lower(stack: &model::Stack) -> Vec<Object> {
    lower_with(stack, |object| object)
}

/// Lowers a stack, passing each object to `each` as soon as it is made, and returns
/// what `each` made of them in output order. Objects are many times the size of
/// their YAML: a caller that only writes them keeps what it wrote instead.
pub fn lower_with<T: Send>(stack: &model::Stack, each: impl Fn(Object) -> T + Sync) -> Vec<T> {
    let labels = Labels::new(stack);
    let made = |object: Object| Made {
        rank: object.rank(),
        name: object.name().to_string(),
        value: each(object),
    };
    let mut objects = Vec::with_capacity(
        1 + stack.configs.len()
            + stack.secrets.len()
            + 3 * stack.services.len()
            + 2 * stack.hooks.len(),
    );
    objects.push(made(Object::Namespace(Namespace {
        metadata: ObjectMeta {
            name: Some(stack.namespace.clone()),
            labels: Some(labels.common()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    })));
    objects.extend(crate::par::map(&stack.configs, PARALLEL_ITEMS, |config| {
        made(Object::ConfigMap(lower_config(config, &labels)))
    }));
    objects.extend(crate::par::map(&stack.secrets, PARALLEL_ITEMS, |secret| {
        made(Object::Secret(lower_secret(secret, &labels)))
    }));
    let services = crate::par::map(&stack.services, PARALLEL_ITEMS, |service| {
        let mut objects = vec![
            made(service_account(&service.name, "service", &labels)),
            made(lower_workload(service, stack, &labels)),
        ];
        if !service.ports.is_empty() {
            objects.push(made(Object::Service(lower_service(service, &labels))));
        }
        objects
    });
    objects.extend(services.into_iter().flatten());
    for hook in &stack.hooks {
        objects.push(made(service_account(&hook.name, "hook", &labels)));
        objects.push(made(Object::Job(lower_hook(hook, stack, &labels))));
    }
    objects.extend(data::lower_data(stack, &labels).into_iter().map(made));
    in_output_order(objects)
}

/// What was made of an object, and where the object comes in the output.
struct Made<T> {
    rank: u8,
    name: String,
    value: T,
}

/// Sorts what was made of the objects by their rank and name. It may be large (an
/// object): the sort moves indices, and each value moves once.
fn in_output_order<T>(made: Vec<Made<T>>) -> Vec<T> {
    let mut order: Vec<usize> = (0..made.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| made.get(i).map(|m| (m.rank, m.name.as_str()));
        key(a).cmp(&key(b))
    });
    let mut slots: Vec<Option<T>> = made.into_iter().map(|m| Some(m.value)).collect();
    order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect()
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
