//! Pod templates: the container, its environment, files, volumes, probes, resources
//! and a non-root security context.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapKeySelector, ConfigMapVolumeSource, Container, ContainerPort,
    EmptyDirVolumeSource, EnvVar, EnvVarSource, ExecAction, HTTPGetAction, PodSecurityContext,
    PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, SecretKeySelector,
    SecretVolumeSource, SecurityContext, TCPSocketAction, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use sha2::{Digest, Sha256};

use super::quantity;
use crate::model::{self, EnvValue, FileSource, PortRef, ProbeAction};

pub fn service_template(
    service: &model::Service,
    stack: &model::Stack,
    labels: BTreeMap<String, String>,
) -> PodTemplateSpec {
    let mut volumes = file_volumes(&service.container);
    for volume in service.volumes.iter().filter(|v| !v.storage.persistent) {
        volumes.push(Volume {
            name: volume.name.clone(),
            empty_dir: Some(EmptyDirVolumeSource {
                size_limit: Some(quantity::bytes(volume.size_bytes)),
                ..EmptyDirVolumeSource::default()
            }),
            ..Volume::default()
        });
    }
    let mut container = container(&service.name, &service.container);
    container.ports = (!service.ports.is_empty()).then(|| {
        service
            .ports
            .iter()
            .map(|p| ContainerPort {
                name: Some(p.name.clone()),
                container_port: p.number,
                protocol: Some("TCP".to_string()),
                ..ContainerPort::default()
            })
            .collect()
    });
    let mut mounts = container.volume_mounts.take().unwrap_or_default();
    mounts.extend(service.volumes.iter().map(|v| VolumeMount {
        name: v.name.clone(),
        mount_path: v.mount.clone(),
        ..VolumeMount::default()
    }));
    mounts.sort_by(|a, b| a.mount_path.cmp(&b.mount_path));
    container.volume_mounts = (!mounts.is_empty()).then_some(mounts);
    container.readiness_probe = service.ready.as_ref().map(probe);
    container.liveness_probe = service.live.as_ref().map(probe);
    template(
        &service.name,
        &service.container,
        stack,
        labels,
        container,
        volumes,
        "Always",
    )
}

pub fn hook_template(
    hook: &model::Hook,
    stack: &model::Stack,
    labels: BTreeMap<String, String>,
) -> PodTemplateSpec {
    let volumes = file_volumes(&hook.container);
    let container = container(&hook.name, &hook.container);
    template(
        &hook.name,
        &hook.container,
        stack,
        labels,
        container,
        volumes,
        "Never",
    )
}

fn template(
    name: &str,
    spec: &model::Container,
    stack: &model::Stack,
    labels: BTreeMap<String, String>,
    container: Container,
    volumes: Vec<Volume>,
    restart_policy: &str,
) -> PodTemplateSpec {
    let annotations = config_hash(spec, stack)
        .map(|hash| BTreeMap::from([("floe.dev/config-hash".to_string(), hash)]));
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels),
            annotations,
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            service_account_name: Some(name.to_string()),
            automount_service_account_token: Some(false),
            // Kubernetes would inject `NAME_PORT=tcp://...` variables for every
            // Service, which some images read as their own settings.
            enable_service_links: Some(false),
            restart_policy: (restart_policy != "Always").then(|| restart_policy.to_string()),
            security_context: Some(pod_security(spec.user)),
            containers: vec![container],
            volumes: (!volumes.is_empty()).then_some(volumes),
            ..PodSpec::default()
        }),
    }
}

/// A hash of the config a container reads, so that a change of config rolls the
/// pods. Secrets are not included: their values are unknown at compile time.
fn config_hash(spec: &model::Container, stack: &model::Stack) -> Option<String> {
    let mut used: Vec<&str> = spec
        .env
        .iter()
        .filter_map(|e| match &e.value {
            EnvValue::Config { config, .. } => Some(config.as_str()),
            _ => None,
        })
        .chain(spec.files.iter().filter_map(|f| match &f.source {
            FileSource::Config { config, .. } => Some(config.as_str()),
            FileSource::Secret { .. } => None,
        }))
        .collect();
    used.sort_unstable();
    used.dedup();
    if used.is_empty() {
        return None;
    }
    let mut hasher = Sha256::new();
    for config in stack
        .configs
        .iter()
        .filter(|c| used.contains(&c.name.as_str()))
    {
        hasher.update(config.name.as_bytes());
        for (key, value) in &config.data {
            hasher.update([0]);
            hasher.update(key.as_bytes());
            hasher.update([0]);
            hasher.update(value.as_bytes());
        }
    }
    let digest = hasher.finalize();
    Some(digest.iter().take(8).map(|b| format!("{b:02x}")).collect())
}

/// The pod's default: non-root as `user`, RuntimeDefault seccomp.
pub(super) fn pod_security(user: i64) -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(user),
        run_as_group: Some(user),
        fs_group: Some(user),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_string(),
            ..SeccompProfile::default()
        }),
        ..PodSecurityContext::default()
    }
}

/// A container's default: no privilege escalation, every capability dropped.
pub(super) fn container_security() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_string()]),
            ..Capabilities::default()
        }),
        ..SecurityContext::default()
    }
}

fn container(name: &str, spec: &model::Container) -> Container {
    let mounts: Vec<VolumeMount> = spec
        .files
        .iter()
        .map(|f| {
            let (volume, key) = file_volume(f);
            VolumeMount {
                name: volume,
                mount_path: f.path.clone(),
                sub_path: Some(key),
                read_only: Some(true),
                ..VolumeMount::default()
            }
        })
        .collect();
    Container {
        name: name.to_string(),
        image: Some(spec.image.clone()),
        image_pull_policy: Some("IfNotPresent".to_string()),
        command: (!spec.command.is_empty()).then(|| spec.command.clone()),
        args: (!spec.args.is_empty()).then(|| spec.args.clone()),
        env: (!spec.env.is_empty()).then(|| spec.env.iter().map(env_var).collect()),
        resources: resources(&spec.resources),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        security_context: Some(container_security()),
        ..Container::default()
    }
}

fn env_var(var: &model::EnvVar) -> EnvVar {
    match &var.value {
        EnvValue::Literal(value) => EnvVar {
            name: var.name.clone(),
            value: Some(value.clone()),
            ..EnvVar::default()
        },
        EnvValue::Secret { secret, key } => EnvVar {
            name: var.name.clone(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: secret.clone(),
                    key: key.clone(),
                    ..SecretKeySelector::default()
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        },
        EnvValue::Config { config, key } => EnvVar {
            name: var.name.clone(),
            value_from: Some(EnvVarSource {
                config_map_key_ref: Some(ConfigMapKeySelector {
                    name: config.clone(),
                    key: key.clone(),
                    ..ConfigMapKeySelector::default()
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        },
    }
}

pub(super) fn resources(r: &model::Resources) -> Option<ResourceRequirements> {
    if r.cpu.is_none() && r.memory.is_none() {
        return None;
    }
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    if let Some(cpu) = r.cpu {
        requests.insert("cpu".to_string(), quantity::cpu(cpu.request));
        limits.insert("cpu".to_string(), quantity::cpu(cpu.limit));
    }
    if let Some(memory) = r.memory {
        requests.insert("memory".to_string(), quantity::bytes(memory.request));
        limits.insert("memory".to_string(), quantity::bytes(memory.limit));
    }
    Some(ResourceRequirements {
        requests: Some(requests),
        limits: Some(limits),
        ..ResourceRequirements::default()
    })
}

fn probe(p: &model::Probe) -> Probe {
    let port = |port: &PortRef| match port {
        PortRef::Name(name) => IntOrString::String(name.clone()),
        PortRef::Number(n) => IntOrString::Int(*n),
    };
    let mut probe = Probe {
        initial_delay_seconds: Some(p.initial_delay_seconds),
        period_seconds: Some(p.period_seconds),
        timeout_seconds: Some(p.timeout_seconds),
        failure_threshold: Some(p.failure_threshold),
        ..Probe::default()
    };
    match &p.action {
        ProbeAction::Tcp { port: at } => {
            probe.tcp_socket = Some(TCPSocketAction {
                port: port(at),
                ..TCPSocketAction::default()
            });
        }
        ProbeAction::Http { port: at, path } => {
            probe.http_get = Some(HTTPGetAction {
                port: port(at),
                path: Some(path.clone()),
                ..HTTPGetAction::default()
            });
        }
        ProbeAction::Exec { command } => {
            probe.exec = Some(ExecAction {
                command: Some(command.clone()),
            });
        }
    }
    probe
}

/// The volume a mounted file comes from, and the key inside it.
fn file_volume(file: &model::FileMount) -> (String, String) {
    match &file.source {
        FileSource::Config { config, key } => (volume_name("config", config), key.clone()),
        FileSource::Secret { secret, key } => (volume_name("secret", secret), key.clone()),
    }
}

/// One volume per ConfigMap or Secret a container mounts files from.
fn file_volumes(spec: &model::Container) -> Vec<Volume> {
    let mut volumes: BTreeMap<String, Volume> = BTreeMap::new();
    for file in &spec.files {
        let (name, _) = file_volume(file);
        volumes
            .entry(name.clone())
            .or_insert_with(|| match &file.source {
                FileSource::Config { config, .. } => Volume {
                    name,
                    config_map: Some(ConfigMapVolumeSource {
                        name: config.clone(),
                        ..ConfigMapVolumeSource::default()
                    }),
                    ..Volume::default()
                },
                FileSource::Secret { secret, .. } => Volume {
                    name,
                    secret: Some(SecretVolumeSource {
                        secret_name: Some(secret.clone()),
                        ..SecretVolumeSource::default()
                    }),
                    ..Volume::default()
                },
            });
    }
    volumes.into_values().collect()
}

/// `config-NAME`, shortened with a hash when it would pass Kubernetes' 63 characters.
fn volume_name(prefix: &str, name: &str) -> String {
    let full = format!("{prefix}-{name}");
    if full.len() <= 63 {
        return full;
    }
    let digest = Sha256::digest(full.as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let keep: String = full.chars().take(54).collect();
    format!("{}-{hash}", keep.trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_volume_names_are_shortened_stably() {
        let long = "a".repeat(70);
        let name = volume_name("config", &long);
        assert!(name.len() <= 63, "{name}");
        assert_eq!(name, volume_name("config", &long));
        assert_eq!(volume_name("config", "app"), "config-app");
    }
}
