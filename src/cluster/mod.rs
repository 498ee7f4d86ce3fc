//! Running a compiled stack on a Kubernetes cluster: `floe run`, `floe diff` and
//! `floe down`.
//!
//! The orchestration ([`run`]) talks to the cluster only through the [`Cluster`]
//! trait: server-side apply, get, list, delete, watch, events and logs on objects
//! as JSON. [`kube::KubeCluster`] implements it with kube-rs; [`fake::FakeCluster`]
//! is an in-memory cluster that simulates readiness and failures, for tests and the
//! benchmark. Readiness rules are pure functions over objects ([`readiness`]).

pub mod down;
pub mod error;
pub mod fake;
pub mod inventory;
pub mod jobs;
pub mod kube;
pub mod preview;
pub mod progress;
pub mod readiness;
pub mod report;
pub mod requests;
pub mod run;
pub mod secrets;

use std::fmt;
use std::future::Future;
use std::time::Duration;

use serde_json::Value;

pub use error::RunError;

/// The kinds of object floe applies or reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Namespace,
    ServiceAccount,
    ConfigMap,
    Secret,
    Deployment,
    StatefulSet,
    Service,
    Job,
    Pod,
    Event,
    PersistentVolumeClaim,
    ReplicaSet,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
            Kind::Service => "Service",
            Kind::Job => "Job",
            Kind::Pod => "Pod",
            Kind::Event => "Event",
            Kind::PersistentVolumeClaim => "PersistentVolumeClaim",
            Kind::ReplicaSet => "ReplicaSet",
        }
    }

    /// The API group; empty for the core group.
    pub fn group(self) -> &'static str {
        match self {
            Kind::Deployment | Kind::StatefulSet | Kind::ReplicaSet => "apps",
            Kind::Job => "batch",
            _ => "",
        }
    }

    pub fn api_version(self) -> &'static str {
        match self.group() {
            "apps" => "apps/v1",
            "batch" => "batch/v1",
            _ => "v1",
        }
    }

    /// The resource's plural name in API paths.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Namespace => "namespaces",
            Kind::ServiceAccount => "serviceaccounts",
            Kind::ConfigMap => "configmaps",
            Kind::Secret => "secrets",
            Kind::Deployment => "deployments",
            Kind::StatefulSet => "statefulsets",
            Kind::Service => "services",
            Kind::Job => "jobs",
            Kind::Pod => "pods",
            Kind::Event => "events",
            Kind::PersistentVolumeClaim => "persistentvolumeclaims",
            Kind::ReplicaSet => "replicasets",
        }
    }

    pub fn namespaced(self) -> bool {
        self != Kind::Namespace
    }

    /// `Kind.group` as ApplySet annotations write it (`Deployment.apps`, `Secret`).
    pub fn group_kind(self) -> String {
        match self.group() {
            "" => self.name().to_string(),
            group => format!("{}.{group}", self.name()),
        }
    }

    /// The kinds floe applies, in the order they are deleted last to first.
    pub const APPLIED: [Kind; 8] = [
        Kind::Namespace,
        Kind::ServiceAccount,
        Kind::ConfigMap,
        Kind::Secret,
        Kind::Deployment,
        Kind::StatefulSet,
        Kind::Service,
        Kind::Job,
    ];

    pub fn from_group_kind(text: &str) -> Option<Kind> {
        Kind::APPLIED
            .into_iter()
            .chain([Kind::PersistentVolumeClaim])
            .find(|k| k.group_kind() == text)
    }

    /// The kinds floe reads but does not apply.
    pub const READ: [Kind; 4] = [
        Kind::Pod,
        Kind::Event,
        Kind::PersistentVolumeClaim,
        Kind::ReplicaSet,
    ];

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::APPLIED
            .into_iter()
            .chain(Kind::READ)
            .find(|k| k.name() == name)
    }

    pub fn from_plural(plural: &str) -> Option<Kind> {
        Kind::APPLIED
            .into_iter()
            .chain(Kind::READ)
            .find(|k| k.plural() == plural)
    }
}

/// One object: kind, namespace (none for cluster-scoped kinds) and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    pub kind: Kind,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    pub fn new(kind: Kind, namespace: &str, name: &str) -> ObjectRef {
        ObjectRef {
            kind,
            namespace: kind.namespaced().then(|| namespace.to_string()),
            name: name.to_string(),
        }
    }

    /// The reference of an object given as JSON, when it has a known kind and a name.
    pub fn of(object: &Value) -> Option<ObjectRef> {
        let kind = Kind::from_name(object.get("kind")?.as_str()?)?;
        let meta = object.get("metadata")?;
        let name = meta.get("name")?.as_str()?;
        let namespace = meta.get("namespace").and_then(Value::as_str).unwrap_or("");
        Some(ObjectRef::new(kind, namespace, name))
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.name().to_lowercase(), self.name)
    }
}

/// An error from the API server, or from reaching it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status; 0 when the server was not reached or did not answer in time.
    pub code: u16,
    /// The `reason` of the Status (`Conflict`, `NotFound`, `TooManyRequests`).
    pub reason: String,
    pub message: String,
    /// The causes of a Status: for an apply conflict, one per field.
    pub causes: Vec<Cause>,
    /// How long the server asks the client to wait before trying again (a 429's
    /// `Retry-After`, which the API server also puts in `details.retryAfterSeconds`).
    pub retry_after: Option<Duration>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// The field path (`.spec.replicas`).
    pub field: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason: reason.to_string(),
            message: message.into(),
            causes: Vec::new(),
            retry_after: None,
        }
    }

    /// The request did not complete: no answer in time, or no connection.
    pub fn unreachable(message: impl Into<String>) -> ApiError {
        ApiError::new(0, UNREACHABLE, message)
    }

    /// The client could not make the request or read its answer: a kubeconfig or
    /// credential plugin that fails, a TLS handshake refused, a response it cannot
    /// decode. Asking again gives the same answer.
    pub fn client(message: impl Into<String>) -> ApiError {
        ApiError::new(0, CLIENT_ERROR, message)
    }

    /// The client could not make the request: see [`ApiError::client`].
    pub fn is_client(&self) -> bool {
        self.code == 0 && self.reason == CLIENT_ERROR
    }

    pub fn is_not_found(&self) -> bool {
        self.code == 404
    }

    /// Worth trying again: throttled, a server error, or no answer.
    pub fn is_transient(&self) -> bool {
        match self.code {
            0 => self.reason == UNREACHABLE,
            code => matches!(code, 429 | 500 | 502 | 503 | 504),
        }
    }

    /// For an apply conflict, the other field managers and the fields each owns, from
    /// causes like `conflict with "kubectl" using apps/v1: .spec.replicas`.
    pub fn conflicts(&self) -> Vec<(String, String)> {
        self.causes
            .iter()
            .map(|c| {
                let manager = c
                    .message
                    .split('"')
                    .nth(1)
                    .unwrap_or("another manager")
                    .to_string();
                (manager, c.field.clone())
            })
            .collect()
    }
}

/// The reason of an [`ApiError`] for a request that got no answer.
const UNREACHABLE: &str = "Unreachable";

/// The reason of an [`ApiError`] for a request the client could not make.
const CLIENT_ERROR: &str = "ClientError";

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            0 if self.reason == UNREACHABLE => {
                write!(f, "the API server did not answer: {}", self.message)
            }
            0 => write!(f, "{}", self.message),
            code => write!(f, "{} ({code} {})", self.message, self.reason),
        }
    }
}

/// The name of an object of `kind` found in a namespace, when it is one that keeps
/// the namespace from being deleted: see [`Cluster::namespace_contents`].
pub fn foreign(kind: &str, object: &Value) -> Option<String> {
    let meta = object.get("metadata")?;
    let name = meta.get("name")?.as_str()?;
    let owned = meta
        .get("ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|o| !o.is_empty());
    let deleting = meta.get("deletionTimestamp").is_some();
    let always = matches!(
        (kind, name),
        ("ServiceAccount", "default") | ("ConfigMap", "kube-root-ca.crt")
    );
    let record = matches!(kind, "Event" | "Endpoints" | "EndpointSlice");
    (!owned && !deleting && !always && !record).then(|| name.to_string())
}

/// The oldest Kubernetes floe runs on: 1.27 is the first to label a Job's pods
/// `batch.kubernetes.io/job-name`, which floe finds them by.
pub const OLDEST_MINOR: u32 = 27;

/// `27` of `"27"`, and of `"27+"` as some providers write it.
pub fn parse_minor(minor: &str) -> Option<u32> {
    let digits: String = minor.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// How an apply is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Take ownership of fields another manager owns.
    pub force: bool,
    /// Run admission and defaulting without persisting (`dryRun=All`).
    pub dry_run: bool,
}

/// A list of objects and the resource version to watch from.
///
/// The items are as the API server sends them in a typed list (`JobList`,
/// `PodList`): without `apiVersion` and `kind`, which only the list carries
/// (apimachinery encodes list items without their TypeMeta; kubernetes#3030,
/// kube-rs#946). What an item is comes from the kind that was listed: [`Listing::refs`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Listing {
    pub items: Vec<Value>,
    pub resource_version: String,
}

impl Listing {
    /// Each item with its reference, the kind being the one listed.
    pub fn with_refs(&self, kind: Kind) -> impl Iterator<Item = (ObjectRef, &Value)> {
        self.items.iter().filter_map(move |item| {
            let meta = item.get("metadata")?;
            let name = meta.get("name")?.as_str()?;
            let namespace = meta.get("namespace").and_then(Value::as_str).unwrap_or("");
            Some((ObjectRef::new(kind, namespace, name), item))
        })
    }

    /// The references of the items, the kind being the one listed.
    pub fn refs(&self, kind: Kind) -> Vec<ObjectRef> {
        self.with_refs(kind).map(|(r, _)| r).collect()
    }
}

/// What floe needs from a cluster. Objects are JSON as the API serves them.
pub trait Cluster: Sync {
    /// Server-side apply with field manager `floe`; the object as stored (or as it
    /// would be, with `dry_run`).
    fn apply(
        &self,
        object: &Value,
        options: ApplyOptions,
    ) -> impl Future<Output = Result<Value, ApiError>> + Send;

    /// The object, or `None` when it does not exist.
    fn get(
        &self,
        target: &ObjectRef,
    ) -> impl Future<Output = Result<Option<Value>, ApiError>> + Send;

    /// Objects of a kind in a namespace matching a label selector (`a=b,c=d`).
    fn list(
        &self,
        kind: Kind,
        namespace: &str,
        labels: &str,
    ) -> impl Future<Output = Result<Listing, ApiError>> + Send;

    /// Deletes with background propagation; deleting what is gone is not an error.
    fn delete(&self, target: &ObjectRef) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// Returns when the object changes after `resource_version`, or after `timeout`.
    fn watch(
        &self,
        target: &ObjectRef,
        resource_version: &str,
        timeout: Duration,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// The events about one object, oldest first.
    fn events(
        &self,
        namespace: &str,
        name: &str,
    ) -> impl Future<Output = Result<Vec<Value>, ApiError>> + Send;

    /// Every object in the namespace, as `kind/name`, of every kind the server lists,
    /// but for what the namespace always has (its `default` service account and
    /// root CA ConfigMap), records (Events, Endpoints), objects owned by another
    /// (pods, ReplicaSets: they go with their owner) and objects being deleted.
    fn namespace_contents(
        &self,
        namespace: &str,
    ) -> impl Future<Output = Result<Vec<String>, ApiError>> + Send;

    /// The server's Kubernetes version, `(major, minor)`.
    fn server_version(&self) -> impl Future<Output = Result<(u32, u32), ApiError>> + Send;

    /// The last `lines` lines of a container's log; of its previous run with
    /// `previous` (after a crash).
    fn logs(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        lines: i64,
        previous: bool,
    ) -> impl Future<Output = Result<String, ApiError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_versions_read_as_providers_write_them() {
        assert_eq!(parse_minor("33"), Some(33));
        assert_eq!(parse_minor("27+"), Some(27));
        assert_eq!(parse_minor(""), None);
    }
}
