//! The in-memory fake cluster served over HTTP as a Kubernetes API server, so that
//! the real client — kube-rs built from a kubeconfig, inside the real `floe`
//! binary — talks to it as it talks to a cluster.
//!
//! The routes are the REST paths of the API (`/api/v1/namespaces/NS/PLURAL/NAME`,
//! `/apis/GROUP/VERSION/...`, `.../pods/NAME/log`), with the query parameters the
//! API documents (`labelSelector`, `fieldSelector`, `watch`, `resourceVersion`,
//! `timeoutSeconds`, `fieldManager`, `force`, `dryRun`, `tailLines`, `previous`).
//! Lists are typed lists (`JobList`, items without kind); errors are `Status`
//! objects with their code, reason and causes, and `Retry-After` with
//! `details.retryAfterSeconds` when the error asks for a wait, as the API server's
//! max-in-flight filter sends a 429; a watch sends one event and ends, as
//! a watch whose timeout is reached does. HTTP/1.1, one request per connection.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use floe::cluster::fake::FakeCluster;
use floe::cluster::{ApiError, ApplyOptions, Cluster, Kind, ObjectRef};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A fake cluster listening on a loopback port.
pub struct Served {
    pub cluster: Arc<FakeCluster>,
    pub address: SocketAddr,
}

impl Served {
    /// Serves `cluster` until the test's runtime ends.
    pub async fn start(cluster: FakeCluster) -> Served {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("an address");
        let cluster = Arc::new(cluster);
        let served = cluster.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let cluster = served.clone();
                tokio::spawn(async move { connection(&cluster, stream).await });
            }
        });
        Served { cluster, address }
    }

    /// A kubeconfig whose current context is this server.
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        kubeconfig(dir, &format!("http://{}", self.address))
    }
}

/// A kubeconfig with one context, `fake`, for the server at `url`.
pub fn kubeconfig(dir: &Path, url: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: fake\n\
         clusters:\n- name: fake\n  cluster:\n    server: {url}\n\
         users:\n- name: fake\n  user:\n    token: not-a-secret\n\
         contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n"
    );
    std::fs::write(&path, text).expect("the kubeconfig");
    path
}

/// One HTTP request.
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one request: the head, then `Content-Length` bytes of body.
pub async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let mut lines = head.lines();
    let mut start = lines.next()?.split(' ');
    let method = start.next()?.to_string();
    let target = start.next()?.to_string();
    let length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    Some(Request {
        method,
        path: path.to_string(),
        query,
        body,
    })
}

/// Writes a response and closes the connection.
pub async fn respond(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
    content_type: &str,
    body: &[u8],
) {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
        reason_phrase(status),
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        410 => "Gone",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        _ => "Error",
    }
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

/// What a path names: `(kind, namespace, name, subresource)`.
fn route(path: &str) -> Option<(Kind, String, Option<String>, Option<String>)> {
    let rest = path
        .strip_prefix("/api/v1/")
        .or_else(|| {
            let rest = path.strip_prefix("/apis/")?;
            let mut parts = rest.splitn(3, '/');
            parts.next()?;
            parts.next()?;
            parts.next()
        })?
        .trim_end_matches('/');
    let segments: Vec<&str> = rest.split('/').collect();
    let (namespace, plural, name, sub) = match segments.as_slice() {
        ["namespaces", ns, plural, tail @ ..] => (
            ns.to_string(),
            *plural,
            tail.first().map(|s| s.to_string()),
            tail.get(1).map(|s| s.to_string()),
        ),
        [plural, tail @ ..] => (
            String::new(),
            *plural,
            tail.first().map(|s| s.to_string()),
            None,
        ),
        [] => return None,
    };
    let kind = Kind::from_plural(plural)?;
    Some((kind, namespace, name, sub))
}

fn status(error: &ApiError) -> (u16, Value) {
    let causes: Vec<Value> = error
        .causes
        .iter()
        .map(|c| json!({"reason": "FieldManagerConflict", "message": c.message, "field": c.field}))
        .collect();
    let code = if error.code == 0 { 503 } else { error.code };
    (
        code,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "code": code, "reason": error.reason, "message": error.message,
               "details": {"causes": causes,
                           "retryAfterSeconds": error.retry_after.map_or(0, |d| d.as_secs())}}),
    )
}

async fn connection(cluster: &FakeCluster, mut stream: TcpStream) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let json_type = "application/json";
    let answer = handle(cluster, &request).await;
    match answer {
        Ok(Answer::Json(code, body)) => {
            let bytes = serde_json::to_vec(&body).unwrap_or_default();
            respond(&mut stream, code, &[], json_type, &bytes).await;
        }
        Ok(Answer::Text(text)) => {
            respond(&mut stream, 200, &[], "text/plain", text.as_bytes()).await;
        }
        // A watch is a stream of JSON objects, one per line, sent as
        // `application/json` (client-go refuses another type for a watch).
        Ok(Answer::Events(events)) => {
            respond(&mut stream, 200, &[], json_type, events.as_bytes()).await;
        }
        Err(error) => {
            let (code, body) = status(&error);
            let headers: Vec<(&str, String)> = match error.retry_after {
                Some(after) => vec![("retry-after", after.as_secs().to_string())],
                None => Vec::new(),
            };
            let bytes = serde_json::to_vec(&body).unwrap_or_default();
            respond(&mut stream, code, &headers, json_type, &bytes).await;
        }
    }
}

enum Answer {
    Json(u16, Value),
    /// A pod's log.
    Text(String),
    /// The events of a watch.
    Events(String),
}

fn not_found(kind: Kind, name: &str) -> ApiError {
    ApiError::new(
        404,
        "NotFound",
        format!("{} \"{name}\" not found", kind.plural()),
    )
}

fn selector_name(request: &Request, field: &str) -> Option<String> {
    request
        .param("fieldSelector")?
        .split(',')
        .find_map(|p| p.strip_prefix(&format!("{field}=")))
        .map(str::to_string)
}

/// Discovery, as `kubectl api-resources` reads it: `/api`, `/apis` and each group
/// version's resource list, for the kinds the fake serves.
fn discovery(path: &str) -> Option<Value> {
    let resources = |group: &str| {
        let list: Vec<Value> = Kind::APPLIED
            .into_iter()
            .chain(Kind::READ)
            .filter(|k| k.group() == group)
            .map(|k| {
                json!({"name": k.plural(), "singularName": k.name().to_lowercase(),
                       "namespaced": k.namespaced(), "kind": k.name(),
                       "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]})
            })
            .collect();
        let version = match group {
            "" => "v1".to_string(),
            g => format!("{g}/v1"),
        };
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": version, "resources": list})
    };
    let group = |g: &str| {
        json!({"name": g, "versions": [{"groupVersion": format!("{g}/v1"), "version": "v1"}],
               "preferredVersion": {"groupVersion": format!("{g}/v1"), "version": "v1"}})
    };
    Some(match path.trim_end_matches('/') {
        "/api" => {
            json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
        }
        "/apis" => {
            json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [group("apps"), group("batch")]})
        }
        "/api/v1" => resources(""),
        "/apis/apps/v1" => resources("apps"),
        "/apis/batch/v1" => resources("batch"),
        _ => return None,
    })
}

async fn handle(cluster: &FakeCluster, request: &Request) -> Result<Answer, ApiError> {
    if request.method == "GET"
        && let Some(answer) = discovery(&request.path)
    {
        return Ok(Answer::Json(200, answer));
    }
    if request.method == "GET" && request.path == "/version" {
        let (major, minor) = cluster.server_version().await?;
        return Ok(Answer::Json(
            200,
            json!({"major": major.to_string(), "minor": minor.to_string(),
                   "gitVersion": format!("v{major}.{minor}.0")}),
        ));
    }
    let Some((kind, namespace, name, sub)) = route(&request.path) else {
        return Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    };
    let target = |name: &str| ObjectRef::new(kind, &namespace, name);
    match (request.method.as_str(), name.as_deref(), sub.as_deref()) {
        ("GET", Some(pod), Some("log")) => {
            let lines = request
                .param("tailLines")
                .and_then(|l| l.parse().ok())
                .unwrap_or(i64::MAX);
            let previous = request.param("previous") == Some("true");
            let container = request.param("container").unwrap_or("");
            let text = cluster
                .logs(&namespace, pod, container, lines, previous)
                .await?;
            Ok(Answer::Text(text))
        }
        ("GET", Some(name), None) => match cluster.get(&target(name)).await? {
            Some(object) => Ok(Answer::Json(200, object)),
            None => Err(not_found(kind, name)),
        },
        ("GET", None, None) if request.param("watch") == Some("true") => {
            let name = selector_name(request, "metadata.name").unwrap_or_default();
            let seconds = request
                .param("timeoutSeconds")
                .and_then(|s| s.parse().ok())
                .unwrap_or(290);
            let version = request.param("resourceVersion").unwrap_or("");
            let target = target(&name);
            cluster
                .watch(&target, version, Duration::from_secs(seconds))
                .await?;
            let event = match cluster.get(&target).await? {
                Some(object) => json!({"type": "MODIFIED", "object": object}),
                None => json!({"type": "DELETED", "object": {
                    "apiVersion": kind.api_version(), "kind": kind.name(),
                    "metadata": {"name": name, "namespace": namespace}}}),
            };
            Ok(Answer::Events(format!("{event}\n")))
        }
        ("GET", None, None) if kind == Kind::Event => {
            let about = selector_name(request, "involvedObject.name").unwrap_or_default();
            let items = cluster.events(&namespace, &about).await?;
            Ok(Answer::Json(
                200,
                json!({"apiVersion": "v1", "kind": "EventList", "metadata": {}, "items": items}),
            ))
        }
        ("GET", None, None) => {
            let labels = request.param("labelSelector").unwrap_or("");
            let listing = cluster.list(kind, &namespace, labels).await?;
            Ok(Answer::Json(
                200,
                json!({"apiVersion": kind.api_version(), "kind": format!("{}List", kind.name()),
                       "metadata": {"resourceVersion": listing.resource_version},
                       "items": listing.items}),
            ))
        }
        ("PATCH", Some(_), None) => {
            let object: Value = serde_json::from_slice(&request.body)
                .map_err(|e| ApiError::new(400, "BadRequest", e.to_string()))?;
            let options = ApplyOptions {
                force: request.param("force") == Some("true"),
                dry_run: request.param("dryRun") == Some("All"),
            };
            let applied = cluster.apply(&object, options).await?;
            Ok(Answer::Json(200, applied))
        }
        ("DELETE", Some(name), None) => {
            cluster.delete(&target(name)).await?;
            Ok(Answer::Json(
                200,
                json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}),
            ))
        }
        _ => Err(ApiError::new(
            405,
            "MethodNotAllowed",
            format!("{} {} is not served", request.method, request.path),
        )),
    }
}
