//! The typed stack model: the checked program with components instantiated and the
//! profile applied. Every later stage (lowering, planning, running) reads this and
//! nothing older. Values are final (quantities in base units, references resolved to
//! Kubernetes names); spans remain so that late problems still point at the source.

use std::collections::BTreeMap;

use crate::source::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Stack {
    /// The stack item's name.
    pub name: String,
    pub namespace: String,
    /// The profile the model was built with, if any.
    pub profile: Option<String>,
    /// Labels on every object, the defaults included.
    pub labels: BTreeMap<String, String>,
    pub runner_image: String,
    pub services: Vec<Service>,
    pub hooks: Vec<Hook>,
    pub secrets: Vec<Secret>,
    pub configs: Vec<Config>,
    pub span: Span,
}

/// Where an item comes from: its path in the source (`metastore.auth`) and the span
/// of its declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub path: String,
    pub span: Span,
}

/// A reference to a workload (service or hook) by its Kubernetes name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct WorkloadRef {
    pub kind: WorkloadKind,
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkloadKind {
    Service,
    Hook,
}

/// What a service and a hook share: the container.
#[derive(Clone, Debug, PartialEq)]
pub struct Container {
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvVar>,
    pub files: Vec<FileMount>,
    pub resources: Resources,
    pub user: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    /// The Kubernetes name.
    pub name: String,
    pub origin: Origin,
    pub container: Container,
    pub ports: Vec<Port>,
    pub replicas: i32,
    pub volumes: Vec<Volume>,
    pub ready: Option<Probe>,
    pub live: Option<Probe>,
    pub needs: Vec<WorkloadRef>,
}

impl Service {
    /// A service with a persistent volume runs as a StatefulSet.
    pub fn is_stateful(&self) -> bool {
        self.volumes.iter().any(|v| v.storage.persistent)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Hook {
    pub name: String,
    pub origin: Origin,
    pub container: Container,
    pub after: Vec<WorkloadRef>,
    pub on: Vec<HookEvent>,
    pub retries: i32,
    pub timeout_seconds: i64,
    pub keep_seconds: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HookEvent {
    Install,
    Upgrade,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub number: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    pub value: EnvValue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvValue {
    Literal(String),
    /// A key of a Secret, by the Secret's Kubernetes name.
    Secret {
        secret: String,
        key: String,
    },
    /// A key of a ConfigMap, by its Kubernetes name.
    Config {
        config: String,
        key: String,
    },
}

/// A file mounted into a container from a ConfigMap or Secret key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMount {
    pub path: String,
    pub source: FileSource,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileSource {
    Config { config: String, key: String },
    Secret { secret: String, key: String },
}

/// Requests and limits; CPU in millicores, memory in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Resources {
    pub cpu: Option<Range>,
    pub memory: Option<Range>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub request: i64,
    pub limit: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    pub name: String,
    pub mount: String,
    pub size_bytes: i64,
    pub storage: Storage,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Storage {
    pub persistent: bool,
    pub class: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub action: ProbeAction,
    pub initial_delay_seconds: i32,
    pub period_seconds: i32,
    pub timeout_seconds: i32,
    pub failure_threshold: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeAction {
    /// A named port of the service, or a port number.
    Tcp {
        port: PortRef,
    },
    Http {
        port: PortRef,
        path: String,
    },
    Exec {
        command: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortRef {
    Name(String),
    Number(i32),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Secret {
    pub name: String,
    pub origin: Origin,
    pub keys: Vec<SecretKey>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SecretKey {
    pub key: String,
    pub source: SecretSource,
    pub span: Span,
}

/// How a secret value is obtained when the stack is applied. Literal values are kept
/// here in memory only: no compiled file and no message contains them.
#[derive(Clone, PartialEq)]
pub enum SecretSource {
    Literal(String),
    Generate {
        length: i64,
    },
    Env {
        var: String,
    },
    /// Text and other secret keys, joined: `"${user}:${password}"`.
    Template(Vec<TemplatePart>),
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::Literal(_) => f.write_str("Literal(<redacted>)"),
            SecretSource::Generate { length } => write!(f, "Generate({length})"),
            SecretSource::Env { var } => write!(f, "Env({var})"),
            SecretSource::Template(parts) => f.debug_list().entries(parts).finish(),
        }
    }
}

impl SecretSource {
    /// How the value is made, without the value: for annotations and plans.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Literal(_) => "literal".to_string(),
            SecretSource::Generate { length } => format!("generate({length})"),
            SecretSource::Env { var } => format!("env({var})"),
            SecretSource::Template(parts) => {
                let refs: Vec<String> = parts
                    .iter()
                    .filter_map(|p| match p {
                        TemplatePart::Secret { secret, key } => Some(format!("{secret}.{key}")),
                        TemplatePart::Text(_) => None,
                    })
                    .collect();
                format!("template({})", refs.join(", "))
            }
        }
    }
}

#[derive(Clone, PartialEq)]
pub enum TemplatePart {
    Text(String),
    Secret { secret: String, key: String },
}

impl std::fmt::Debug for TemplatePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplatePart::Text(_) => f.write_str("Text(<redacted>)"),
            TemplatePart::Secret { secret, key } => write!(f, "Secret({secret}.{key})"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub name: String,
    pub origin: Origin,
    pub data: BTreeMap<String, String>,
}
