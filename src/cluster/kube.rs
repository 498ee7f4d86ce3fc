//! [`Cluster`] on a real API server, with kube-rs. A thin layer: each method is one
//! request (a watch is one request that ends at its first event), and every error
//! becomes an [`ApiError`].
//!
//! Applies are server-side applies (`PATCH` with `application/apply-patch+yaml`)
//! with field manager `floe`, `force=true` only when asked; deletes propagate in the
//! background, so a Job's pods go with it.

use std::path::Path;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, LogParams, Patch, PatchParams,
    WatchEvent, WatchParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{Discovery, Scope, verbs};
use kube::{Client, Config};
use serde_json::Value;

use super::{ApiError, ApplyOptions, Cause, Cluster, Kind, Listing, ObjectRef};

/// The field manager of every apply.
pub const FIELD_MANAGER: &str = "floe";

pub struct KubeCluster {
    client: Client,
}

/// Where the connection comes from.
#[derive(Clone, Debug, Default)]
pub struct Connect<'a> {
    /// A kubeconfig file instead of `$KUBECONFIG` or `~/.kube/config`.
    pub kubeconfig: Option<&'a Path>,
    /// A context of the kubeconfig instead of its current one.
    pub context: Option<&'a str>,
}

impl KubeCluster {
    pub fn new(client: Client) -> KubeCluster {
        KubeCluster { client }
    }

    /// Connects as kubectl would: the given kubeconfig file, else `$KUBECONFIG` or
    /// `~/.kube/config`, else the pod's service account inside a cluster.
    pub async fn connect(how: &Connect<'_>) -> Result<KubeCluster, String> {
        let options = KubeConfigOptions {
            context: how.context.map(str::to_string),
            ..KubeConfigOptions::default()
        };
        let config = match how.kubeconfig {
            Some(path) => {
                let file = Kubeconfig::read_from(path)
                    .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()))?;
                Config::from_custom_kubeconfig(file, &options)
                    .await
                    .map_err(|e| format!("kubeconfig {}: {e}", path.display()))?
            }
            None if how.context.is_some() => Config::from_kubeconfig(&options)
                .await
                .map_err(|e| format!("kubeconfig: {e}"))?,
            None => Config::infer().await.map_err(|e| {
                format!("no cluster configured (no kubeconfig, not inside a cluster): {e}")
            })?,
        };
        let client =
            Client::try_from(config).map_err(|e| format!("cannot create the client: {e}"))?;
        Ok(KubeCluster::new(client))
    }

    fn api(&self, kind: Kind, namespace: Option<&str>) -> Api<DynamicObject> {
        let version = kind.api_version().rsplit('/').next().unwrap_or("v1");
        let resource = ApiResource {
            group: kind.group().to_string(),
            version: version.to_string(),
            api_version: kind.api_version().to_string(),
            kind: kind.name().to_string(),
            plural: kind.plural().to_string(),
        };
        match namespace.filter(|_| kind.namespaced()) {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &resource),
            None => Api::all_with(self.client.clone(), &resource),
        }
    }

    fn api_of(&self, target: &ObjectRef) -> Api<DynamicObject> {
        self.api(target.kind, target.namespace.as_deref())
    }
}

/// kube-rs errors as [`ApiError`]s; a Status keeps its code, reason and causes.
pub fn api_error(error: kube::Error) -> ApiError {
    match error {
        kube::Error::Api(status) => {
            let details = status.details.clone();
            ApiError {
                code: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
                retry_after: details
                    .as_ref()
                    .map(|d| d.retry_after_seconds)
                    .filter(|s| *s > 0)
                    .map(|s| Duration::from_secs(s.into())),
                causes: details
                    .map(|d| {
                        d.causes
                            .into_iter()
                            .map(|c| Cause {
                                field: c.field,
                                message: c.message,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        }
        // No answer: the connection failed or timed out, or the answer broke off;
        // unless the connection was refused for its content, as a TLS handshake is
        // (tokio-rustls reports TLS errors as `InvalidData`).
        e @ (kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_))
            if !invalid_data(&e) =>
        {
            ApiError::unreachable(e.to_string())
        }
        // The request could not be made or its answer read (credentials, TLS,
        // decoding): the same again next time.
        other => ApiError::client(other.to_string()),
    }
}

/// An I/O error of kind `InvalidData` anywhere in the error's sources.
fn invalid_data(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut at = Some(error);
    while let Some(e) = at {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
        {
            return true;
        }
        at = e.source();
    }
    false
}

fn to_value<T: serde::Serialize>(object: T) -> Result<Value, ApiError> {
    serde_json::to_value(object).map_err(|e| ApiError::new(0, "BadResponse", e.to_string()))
}

/// The seconds of a watch: at least 1, below the server's limit.
fn watch_seconds(timeout: Duration) -> u32 {
    u32::try_from(timeout.as_secs().clamp(1, 290)).unwrap_or(290)
}

impl Cluster for KubeCluster {
    async fn apply(&self, object: &Value, options: ApplyOptions) -> Result<Value, ApiError> {
        let target = ObjectRef::of(object)
            .ok_or_else(|| ApiError::new(400, "BadRequest", "an object without kind or name"))?;
        let mut params = PatchParams::apply(FIELD_MANAGER);
        params.force = options.force;
        params.dry_run = options.dry_run;
        let applied = self
            .api_of(&target)
            .patch(&target.name, &params, &Patch::Apply(object))
            .await
            .map_err(api_error)?;
        to_value(applied)
    }

    async fn get(&self, target: &ObjectRef) -> Result<Option<Value>, ApiError> {
        let object = self
            .api_of(target)
            .get_opt(&target.name)
            .await
            .map_err(api_error)?;
        object.map(to_value).transpose()
    }

    async fn list(&self, kind: Kind, namespace: &str, labels: &str) -> Result<Listing, ApiError> {
        let params = ListParams::default().labels(labels);
        let list = self
            .api(kind, Some(namespace))
            .list(&params)
            .await
            .map_err(api_error)?;
        Ok(Listing {
            resource_version: list.metadata.resource_version.clone().unwrap_or_default(),
            items: list
                .items
                .into_iter()
                .map(to_value)
                .collect::<Result<_, _>>()?,
        })
    }

    async fn delete(&self, target: &ObjectRef) -> Result<(), ApiError> {
        match self
            .api_of(target)
            .delete(&target.name, &DeleteParams::background())
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match api_error(e) {
                e if e.is_not_found() => Ok(()),
                e => Err(e),
            },
        }
    }

    async fn watch(
        &self,
        target: &ObjectRef,
        resource_version: &str,
        timeout: Duration,
    ) -> Result<(), ApiError> {
        let params = WatchParams::default()
            .fields(&format!("metadata.name={}", target.name))
            .timeout(watch_seconds(timeout));
        let stream = self
            .api_of(target)
            .watch(&params, resource_version)
            .await
            .map_err(api_error)?;
        let mut stream = Box::pin(stream);
        // The server ends the watch after its timeout; the client bounds it too.
        let first = tokio::time::timeout(timeout + Duration::from_secs(5), stream.next()).await;
        match first {
            Ok(Some(Ok(WatchEvent::Error(status)))) if status.code != 410 => {
                Err(api_error(kube::Error::Api(status)))
            }
            Ok(Some(Err(e))) => Err(api_error(e)),
            _ => Ok(()),
        }
    }

    async fn events(&self, namespace: &str, name: &str) -> Result<Vec<Value>, ApiError> {
        let api: Api<Event> = Api::namespaced(self.client.clone(), namespace);
        let params = ListParams::default().fields(&format!("involvedObject.name={name}"));
        let list = api.list(&params).await.map_err(api_error)?;
        list.items.into_iter().map(to_value).collect()
    }

    /// Discovery, then one list per namespaced kind the server lists: the
    /// server's own kinds and every custom resource it serves.
    async fn namespace_contents(&self, namespace: &str) -> Result<Vec<String>, ApiError> {
        let discovery = Discovery::new(self.client.clone())
            .run()
            .await
            .map_err(api_error)?;
        let mut out = Vec::new();
        for group in discovery.groups() {
            for (resource, caps) in group.recommended_resources() {
                if caps.scope != Scope::Namespaced || !caps.supports_operation(verbs::LIST) {
                    continue;
                }
                let api: Api<DynamicObject> =
                    Api::namespaced_with(self.client.clone(), namespace, &resource);
                let list = api.list(&ListParams::default()).await.map_err(api_error)?;
                for item in list.items {
                    let item = to_value(item)?;
                    if let Some(name) = super::foreign(&resource.kind, &item) {
                        out.push(format!("{}/{name}", resource.kind.to_lowercase()));
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    async fn server_version(&self) -> Result<(u32, u32), ApiError> {
        let info = self.client.apiserver_version().await.map_err(api_error)?;
        let number = |s: &str| super::parse_minor(s).unwrap_or(0);
        Ok((number(&info.major), number(&info.minor)))
    }

    async fn logs(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        lines: i64,
        previous: bool,
    ) -> Result<String, ApiError> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let params = LogParams {
            container: Some(container.to_string()),
            tail_lines: Some(lines),
            previous,
            ..LogParams::default()
        };
        api.logs(pod, &params).await.map_err(api_error)
    }
}
