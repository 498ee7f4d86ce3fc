//! How floe asks the API server: calls retried on throttling, server errors and
//! no answer; lists whose errors name the kind; watches that back off when the
//! server refuses them; waiting for a deleted object to be gone; the version check.
//! The orchestration (`run`, `diff`, `down`) goes through these, never round them.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::secrets::Redactor;
use super::{ApiError, Cluster, Kind, Listing, ObjectRef, RunError};

/// Calls `f` again after throttling, server errors and timeouts: up to five
/// attempts, 250 ms apart and doubling, or after the time the server asks for
/// (`Retry-After`, at most [`MAX_RETRY_AFTER`]) when it is longer.
pub(crate) async fn retry<T, F, Fut>(mut f: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut delay = Duration::from_millis(250);
    for _ in 0..4 {
        match f().await {
            Err(e) if e.is_transient() => {
                let asked = e.retry_after.unwrap_or_default().min(MAX_RETRY_AFTER);
                tokio::time::sleep(delay.max(asked)).await;
                delay *= 2;
            }
            other => return other,
        }
    }
    f().await
}

/// The objects of `kind` in `namespace` that match `selector`, retried as
/// [`retry`] does; an error names the kind.
pub(crate) async fn list<C: Cluster>(
    cluster: &C,
    kind: Kind,
    namespace: &str,
    selector: &str,
    redactor: &Redactor,
) -> Result<Listing, RunError> {
    retry(|| cluster.list(kind, namespace, selector))
        .await
        .map_err(|e| RunError::api(&ObjectRef::new(kind, namespace, ""), "list", e, redactor))
}

/// The longest `Retry-After` that is honoured; a longer one is cut to this.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Stops before anything else on a Kubernetes older than floe supports.
pub(crate) async fn supported<C: Cluster>(cluster: &C) -> Result<(), RunError> {
    let (major, minor) =
        retry(|| cluster.server_version())
            .await
            .map_err(|error| RunError::Server {
                action: "read the Kubernetes version of the cluster".to_string(),
                error,
            })?;
    if major == 1 && minor < super::OLDEST_MINOR {
        return Err(RunError::Unsupported { major, minor });
    }
    Ok(())
}

/// Watches between looks. A watch that fails, or ends at once (the server closed
/// it, or answered 410 Gone for an old resource version), is not a failed run: the
/// next look decides. But the next watch waits first, from 250 ms doubling up to
/// the poll interval, so that a server that refuses watches is not asked in a tight
/// loop; a watch that lasted resets the wait.
pub(crate) struct Watcher {
    poll: Duration,
    backoff: Duration,
}

impl Watcher {
    const FIRST: Duration = Duration::from_millis(250);

    pub(crate) fn new(poll: Duration) -> Watcher {
        Watcher {
            poll,
            backoff: Duration::ZERO,
        }
    }

    pub(crate) async fn watch<C: Cluster>(
        &mut self,
        cluster: &C,
        target: &ObjectRef,
        version: &str,
    ) {
        if !self.backoff.is_zero() {
            tokio::time::sleep(self.backoff).await;
        }
        let started = Instant::now();
        let outcome = cluster.watch(target, version, self.poll).await;
        let lasted = started.elapsed() >= Self::FIRST;
        self.backoff = match outcome {
            Ok(()) if lasted => Duration::ZERO,
            _ => (self.backoff * 2).clamp(Self::FIRST, self.poll.max(Self::FIRST)),
        };
    }
}

/// How long `down` waits for a deleted namespace to be gone.
pub const NAMESPACE_WAIT: Duration = Duration::from_secs(300);

/// Waits until `target` is gone, watching it between looks.
pub(crate) async fn wait_gone<C: Cluster>(
    cluster: &C,
    target: &ObjectRef,
    limit: Duration,
) -> Result<(), RunError> {
    let none = &Redactor::default();
    let until = Instant::now() + limit;
    let mut watcher = Watcher::new(Duration::from_secs(10).min(limit));
    loop {
        let live = retry(|| cluster.get(target))
            .await
            .map_err(|e| RunError::api(target, "read", e, none))?;
        let Some(live) = live else {
            return Ok(());
        };
        let now = Instant::now();
        if now >= until {
            return Err(RunError::StillTerminating {
                object: target.clone(),
                after: limit,
            });
        }
        let version = live
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        watcher.watch(cluster, target, version).await;
    }
}
