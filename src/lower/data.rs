//! The data part of a stack as Kubernetes objects: the data plan in a ConfigMap, and
//! the seed and verify Jobs that run the floe runner image on it.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, EnvVar, EnvVarSource, PodSpec, PodTemplateSpec,
    SecretKeySelector, ServiceAccount, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{Labels, Object};
use crate::model::{self, Credential};
use crate::plan::{DataPlan, StepKind};

/// Where seed and verify Jobs find the data plan.
pub const PLAN_PATH: &str = "/etc/floe/plan.json";
const PLAN_KEY: &str = "plan.json";

/// The ConfigMap, ServiceAccount and Jobs of the data plan; nothing when the stack
/// has no tables and no checks.
pub fn lower_data(stack: &model::Stack, labels: &Labels<'_>) -> Vec<Object> {
    let plan = DataPlan::new(stack);
    if plan.is_empty() {
        return Vec::new();
    }
    let base = model::kube_name(&stack.name);
    let config = format!("{base}-plan");
    let account = format!("{base}-runner");
    let json = plan.to_json();
    let mut objects = vec![
        Object::ConfigMap(ConfigMap {
            metadata: labels.meta(&config, "data"),
            data: Some(BTreeMap::from([(PLAN_KEY.to_string(), json)])),
            ..ConfigMap::default()
        }),
        Object::ServiceAccount(ServiceAccount {
            metadata: labels.meta(&account, "data"),
            automount_service_account_token: Some(false),
            ..ServiceAccount::default()
        }),
    ];
    let env = credential_env(stack);
    let job = |step: StepKind, name: String, args: Vec<String>, retries: i32| {
        Object::Job(runner_job(
            stack,
            labels,
            &JobSpecOf {
                step,
                name,
                args,
                retries,
                config: &config,
                account: &account,
                env: &env,
            },
        ))
    };
    for table in stack.tables.iter().filter(|t| t.seed.is_some()) {
        let args = vec![
            "job".into(),
            "seed".into(),
            table.name.clone(),
            "--plan".into(),
            PLAN_PATH.into(),
        ];
        objects.push(job(
            StepKind::Seed,
            DataPlan::seed_job(&table.name),
            args,
            2,
        ));
    }
    if !stack.checks.is_empty() {
        let args = vec![
            "job".into(),
            "verify".into(),
            "--plan".into(),
            PLAN_PATH.into(),
        ];
        objects.push(job(
            StepKind::Verify,
            DataPlan::verify_job(&stack.name),
            args,
            0,
        ));
    }
    objects
}

/// Every secret credential of the catalogs, as environment variables from their
/// Secret keys.
fn credential_env(stack: &model::Stack) -> Vec<EnvVar> {
    let mut keys: BTreeSet<(String, String)> = BTreeSet::new();
    for catalog in &stack.catalogs {
        let oauth = catalog
            .oauth
            .iter()
            .flat_map(|o| [Some(&o.client_id), Some(&o.client_secret)]);
        let s3 = catalog
            .s3
            .iter()
            .flat_map(|s| [s.access_key.as_ref(), s.secret_key.as_ref()]);
        for credential in oauth.chain(s3).flatten() {
            if let Credential::Secret { secret, key } = credential {
                keys.insert((secret.clone(), key.clone()));
            }
        }
    }
    keys.into_iter()
        .map(|(secret, key)| EnvVar {
            name: Credential::env_var(&secret, &key),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: secret,
                    key,
                    ..SecretKeySelector::default()
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        })
        .collect()
}

struct JobSpecOf<'a> {
    step: StepKind,
    name: String,
    args: Vec<String>,
    retries: i32,
    config: &'a str,
    account: &'a str,
    env: &'a [EnvVar],
}

fn runner_job(stack: &model::Stack, labels: &Labels<'_>, spec: &JobSpecOf<'_>) -> Job {
    let user = 1000;
    let container = Container {
        name: "runner".to_string(),
        image: Some(stack.runner_image.clone()),
        image_pull_policy: Some("IfNotPresent".to_string()),
        args: Some(spec.args.clone()),
        env: (!spec.env.is_empty()).then(|| spec.env.to_vec()),
        volume_mounts: Some(vec![VolumeMount {
            name: "plan".to_string(),
            mount_path: PLAN_PATH.to_string(),
            sub_path: Some(PLAN_KEY.to_string()),
            read_only: Some(true),
            ..VolumeMount::default()
        }]),
        security_context: Some(super::pod::container_security()),
        resources: super::pod::resources(&stack.runner_resources),
        ..Container::default()
    };
    Job {
        metadata: labels.step_meta(spec.step, &spec.name, "data"),
        spec: Some(JobSpec {
            backoff_limit: Some(spec.retries),
            active_deadline_seconds: Some(1800),
            ttl_seconds_after_finished: Some(3600),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels.item(&spec.name, "data")),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(spec.account.to_string()),
                    automount_service_account_token: Some(false),
                    enable_service_links: Some(false),
                    restart_policy: Some("Never".to_string()),
                    security_context: Some(super::pod::pod_security(user)),
                    containers: vec![container],
                    volumes: Some(vec![Volume {
                        name: "plan".to_string(),
                        config_map: Some(ConfigMapVolumeSource {
                            name: spec.config.to_string(),
                            ..ConfigMapVolumeSource::default()
                        }),
                        ..Volume::default()
                    }]),
                    ..PodSpec::default()
                }),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}
