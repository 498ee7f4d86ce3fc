//! The kube-rs client layer against a scripted API server (a `tower-test` mock
//! service): each test drives one call and asserts the HTTP request it sends —
//! method, path, query, content type, body — then answers as an API server would.
//! And the client as `floe run` builds it, from a kubeconfig, over real HTTP.

use std::time::Duration;

use floe::cluster::fake::FakeCluster;
use floe::cluster::kube::{Connect, KubeCluster};
use floe::cluster::{ApplyOptions, Cluster, Kind, ObjectRef};
use http::{Request, Response, StatusCode};
use kube::client::Body;
use serde_json::{Value, json};
use tower_test::mock::{self, Handle};

use super::http::{Served, kubeconfig};

type Server = Handle<Request<Body>, Response<Body>>;

fn cluster() -> (KubeCluster, Server) {
    let (service, handle) = mock::pair::<Request<Body>, Response<Body>>();
    (
        KubeCluster::new(kube::Client::new(service, "default")),
        handle,
    )
}

/// The next request, its body as text, and the sender of the answer.
async fn next(
    server: &mut Server,
) -> (
    http::request::Parts,
    String,
    mock::SendResponse<Response<Body>>,
) {
    let (request, send) = tokio::time::timeout(Duration::from_secs(5), server.next_request())
        .await
        .expect("a request within 5s")
        .expect("a request");
    let (parts, body) = request.into_parts();
    let bytes = body.collect_bytes().await.expect("the body");
    (parts, String::from_utf8_lossy(&bytes).to_string(), send)
}

fn answer(send: mock::SendResponse<Response<Body>>, status: StatusCode, body: &Value) {
    let response = Response::builder()
        .status(status)
        .body(Body::from(serde_json::to_vec(body).expect("json")))
        .expect("a response");
    send.send_response(response);
}

fn query(parts: &http::request::Parts) -> Vec<String> {
    let mut pairs: Vec<String> = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    pairs.sort();
    pairs
}

fn deployment() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "api", "namespace": "shop"}, "spec": {"replicas": 1}})
}

#[tokio::test]
async fn apply_is_a_server_side_apply_patch_by_floe_without_force() {
    let (cluster, mut server) = cluster();
    let object = deployment();
    let call = tokio::spawn(async move { cluster.apply(&object, ApplyOptions::default()).await });
    let (parts, body, send) = next(&mut server).await;
    assert_eq!(parts.method, http::Method::PATCH);
    assert_eq!(
        parts.uri.path(),
        "/apis/apps/v1/namespaces/shop/deployments/api"
    );
    assert_eq!(query(&parts), ["fieldManager=floe"]);
    assert_eq!(
        parts.headers["content-type"],
        "application/apply-patch+yaml"
    );
    let sent: Value = serde_json::from_str(&body).expect("a JSON body");
    assert_eq!(
        sent,
        deployment(),
        "apiVersion and kind are sent, nothing else added"
    );
    answer(send, StatusCode::OK, &deployment());
    let applied = call.await.expect("joined").expect("applied");
    assert_eq!(applied["metadata"]["name"], "api");
}

#[tokio::test]
async fn force_and_dry_run_only_when_asked() {
    let (cluster, mut server) = cluster();
    let options = ApplyOptions {
        force: true,
        dry_run: true,
    };
    let object = deployment();
    let call = tokio::spawn(async move { cluster.apply(&object, options).await });
    let (parts, _, send) = next(&mut server).await;
    assert_eq!(
        query(&parts),
        ["dryRun=All", "fieldManager=floe", "force=true"]
    );
    answer(send, StatusCode::OK, &deployment());
    call.await.expect("joined").expect("applied");
}

#[tokio::test]
async fn cluster_scoped_objects_have_no_namespace_in_the_path() {
    let (cluster, mut server) = cluster();
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}});
    let sent = ns.clone();
    let call = tokio::spawn(async move { cluster.apply(&sent, ApplyOptions::default()).await });
    let (parts, _, send) = next(&mut server).await;
    assert_eq!(parts.uri.path(), "/api/v1/namespaces/shop");
    answer(send, StatusCode::OK, &ns);
    call.await.expect("joined").expect("applied");
}

#[tokio::test]
async fn a_conflict_keeps_the_fields_and_the_other_manager() {
    let (cluster, mut server) = cluster();
    let object = deployment();
    let call = tokio::spawn(async move { cluster.apply(&object, ApplyOptions::default()).await });
    let (_, _, send) = next(&mut server).await;
    answer(
        send,
        StatusCode::CONFLICT,
        &json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 409, "reason": "Conflict",
            "message": "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: .spec.replicas",
            "details": {"name": "api", "group": "apps", "kind": "deployments", "causes": [
                {"reason": "FieldManagerConflict", "message": "conflict with \"kubectl-edit\" using apps/v1", "field": ".spec.replicas"}
            ]}
        }),
    );
    let error = call.await.expect("joined").expect_err("a conflict");
    assert_eq!(error.code, 409);
    assert_eq!(
        error.conflicts(),
        vec![("kubectl-edit".to_string(), ".spec.replicas".to_string())]
    );
}

#[tokio::test]
async fn deletes_propagate_in_the_background_and_gone_is_fine() {
    let (cluster, mut server) = cluster();
    let call = tokio::spawn(async move {
        let job = ObjectRef::new(Kind::Job, "shop", "migrate-1a2b3c4d");
        let first = cluster.delete(&job).await;
        let second = cluster.delete(&job).await;
        (first, second)
    });
    let (parts, body, send) = next(&mut server).await;
    assert_eq!(parts.method, http::Method::DELETE);
    assert_eq!(
        parts.uri.path(),
        "/apis/batch/v1/namespaces/shop/jobs/migrate-1a2b3c4d"
    );
    let options: Value = serde_json::from_str(&body).expect("DeleteOptions");
    assert_eq!(options["propagationPolicy"], "Background");
    answer(
        send,
        StatusCode::OK,
        &json!({"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200}),
    );
    let (_, _, send) = next(&mut server).await;
    answer(
        send,
        StatusCode::NOT_FOUND,
        &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
        "code": 404, "reason": "NotFound", "message": "jobs.batch \"migrate-1a2b3c4d\" not found"}),
    );
    let (first, second) = call.await.expect("joined");
    assert_eq!(first, Ok(()));
    assert_eq!(second, Ok(()));
}

#[tokio::test]
async fn a_watch_follows_one_object_from_a_resource_version() {
    let (cluster, mut server) = cluster();
    let call = tokio::spawn(async move {
        let target = ObjectRef::new(Kind::Deployment, "shop", "api");
        cluster.watch(&target, "4711", Duration::from_secs(2)).await
    });
    let (parts, _, send) = next(&mut server).await;
    assert_eq!(parts.method, http::Method::GET);
    assert_eq!(
        parts.uri.path(),
        "/apis/apps/v1/namespaces/shop/deployments"
    );
    assert_eq!(
        query(&parts),
        [
            "allowWatchBookmarks=true",
            "fieldSelector=metadata.name%3Dapi",
            "resourceVersion=4711",
            "timeoutSeconds=2",
            "watch=true"
        ]
    );
    let mut event = json!({"type": "MODIFIED", "object": deployment()}).to_string();
    event.push('\n');
    send.send_response(
        Response::builder()
            .body(Body::from(event.into_bytes()))
            .expect("a response"),
    );
    call.await
        .expect("joined")
        .expect("the watch ends at the first event");
}

#[tokio::test]
async fn lists_select_by_label_and_logs_take_the_tail() {
    let (cluster, mut server) = cluster();
    let call = tokio::spawn(async move {
        let pods = cluster
            .list(Kind::Pod, "shop", "batch.kubernetes.io/job-name=migrate-1")
            .await;
        let log = cluster.logs("shop", "migrate-1-x", "main", 20, true).await;
        let events = cluster.events("shop", "migrate-1-x").await;
        (pods, log, events)
    });
    let (parts, _, send) = next(&mut server).await;
    assert_eq!(parts.uri.path(), "/api/v1/namespaces/shop/pods");
    assert_eq!(
        query(&parts),
        ["labelSelector=batch.kubernetes.io%2Fjob-name%3Dmigrate-1"]
    );
    answer(
        send,
        StatusCode::OK,
        &json!({"kind": "PodList", "apiVersion": "v1",
        "metadata": {"resourceVersion": "99"}, "items": [{"metadata": {"name": "migrate-1-x"}}]}),
    );
    let (parts, _, send) = next(&mut server).await;
    assert_eq!(
        parts.uri.path(),
        "/api/v1/namespaces/shop/pods/migrate-1-x/log"
    );
    assert_eq!(
        query(&parts),
        ["container=main", "previous=true", "tailLines=20"]
    );
    send.send_response(
        Response::builder()
            .body(Body::from(b"line 1\nline 2\n".to_vec()))
            .expect("a response"),
    );
    let (parts, _, send) = next(&mut server).await;
    assert_eq!(parts.uri.path(), "/api/v1/namespaces/shop/events");
    assert_eq!(
        query(&parts),
        ["fieldSelector=involvedObject.name%3Dmigrate-1-x"]
    );
    answer(
        send,
        StatusCode::OK,
        &json!({"kind": "EventList", "apiVersion": "v1", "metadata": {}, "items": []}),
    );
    let (pods, log, events) = call.await.expect("joined");
    let pods = pods.expect("pods");
    assert_eq!(pods.resource_version, "99");
    assert_eq!(pods.items.len(), 1);
    assert_eq!(log.expect("log"), "line 1\nline 2\n");
    assert!(events.expect("events").is_empty());
}

#[tokio::test]
async fn a_missing_object_is_none_and_server_errors_keep_their_status() {
    let (cluster, mut server) = cluster();
    let call = tokio::spawn(async move {
        let target = ObjectRef::new(Kind::Secret, "shop", "creds");
        (cluster.get(&target).await, cluster.get(&target).await)
    });
    let (parts, _, send) = next(&mut server).await;
    assert_eq!(parts.uri.path(), "/api/v1/namespaces/shop/secrets/creds");
    answer(
        send,
        StatusCode::NOT_FOUND,
        &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
        "code": 404, "reason": "NotFound", "message": "secrets \"creds\" not found"}),
    );
    let (_, _, send) = next(&mut server).await;
    answer(
        send,
        StatusCode::TOO_MANY_REQUESTS,
        &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
        "code": 429, "reason": "TooManyRequests", "message": "too many requests"}),
    );
    let (missing, throttled) = call.await.expect("joined");
    assert_eq!(missing, Ok(None));
    let throttled = throttled.expect_err("throttled");
    assert!(
        throttled.is_transient() && throttled.code == 429,
        "{throttled:?}"
    );
}

/// The client is built as `floe run` builds it: from a kubeconfig file, with TLS
/// support and its crypto provider, then real HTTP to the server the file names.
#[tokio::test]
async fn the_client_from_a_kubeconfig_talks_http_to_its_server() {
    let dir = tempfile::tempdir().expect("a directory");
    let served = Served::start(FakeCluster::new(Duration::ZERO)).await;
    served.cluster.insert(json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "migrate-1", "namespace": "shop", "labels": {"app.kubernetes.io/name": "migrate"}}}));
    let path = served.kubeconfig(dir.path());
    let how = Connect {
        kubeconfig: Some(&path),
        context: None,
    };
    let cluster = KubeCluster::connect(&how).await.expect("a client");
    let listing = cluster
        .list(Kind::Job, "shop", "app.kubernetes.io/name=migrate")
        .await
        .expect("a list");
    // A typed list's items carry no kind: what they are is what was listed.
    assert_eq!(listing.items.len(), 1);
    assert_eq!(listing.items[0].get("kind"), None);
    assert_eq!(
        listing.refs(Kind::Job),
        [ObjectRef::new(Kind::Job, "shop", "migrate-1")]
    );
    let missing = ObjectRef::new(Kind::Secret, "shop", "creds");
    assert_eq!(cluster.get(&missing).await, Ok(None));
}

/// No server at the address: an error that says so, not a panic.
#[tokio::test]
async fn a_server_that_is_not_there_is_an_error() {
    let dir = tempfile::tempdir().expect("a directory");
    let path = kubeconfig(dir.path(), "http://127.0.0.1:1");
    let how = Connect {
        kubeconfig: Some(&path),
        context: None,
    };
    let cluster = KubeCluster::connect(&how).await.expect("a client");
    let target = ObjectRef::new(Kind::Namespace, "", "shop");
    let error = cluster.get(&target).await.expect_err("no server");
    assert_eq!(error.code, 0, "{error:?}");
}

/// A watch is a stream of JSON events sent as `application/json`, as the API
/// server sends it: client-go refuses a watch of another type ("no stream
/// serializers registered for text/plain").
#[tokio::test]
async fn the_served_fake_sends_watches_as_json() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let served = Served::start(FakeCluster::new(Duration::ZERO)).await;
    served.cluster.insert(deployment());
    let mut stream = tokio::net::TcpStream::connect(served.address)
        .await
        .expect("connected");
    let request = "GET /apis/apps/v1/namespaces/shop/deployments?watch=true&fieldSelector=metadata.name%3Dapi&resourceVersion=0&timeoutSeconds=1 HTTP/1.1\r\nhost: fake\r\n\r\n";
    stream.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("an answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let event: Value = serde_json::from_str(body.trim()).expect("one JSON event");
    assert_eq!(event["object"]["metadata"]["name"], "api", "{event}");
}

/// The API server fills in the defaults of what an apply leaves out
/// (`SetDefaults_Deployment`, `SetDefaults_StatefulSet`, `SetDefaults_Job`), and
/// the same apply again changes nothing: the generation stays.
#[tokio::test]
async fn the_fake_fills_in_the_api_servers_defaults() {
    let cluster = FakeCluster::new(Duration::ZERO);
    let set = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "shop"},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "db"}]}}}});
    let job = json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "migrate-1", "namespace": "shop"},
        "spec": {"template": {"spec": {"containers": [{"name": "migrate"}]}}}});
    for object in [deployment(), set, job] {
        let first = cluster
            .apply(&object, ApplyOptions::default())
            .await
            .expect("applied");
        let again = cluster
            .apply(&object, ApplyOptions::default())
            .await
            .expect("applied again");
        let spec = &first["spec"];
        match first["kind"].as_str() {
            Some("Deployment") => assert_eq!(spec["strategy"]["type"], "RollingUpdate"),
            Some("StatefulSet") => assert_eq!(spec["updateStrategy"]["type"], "RollingUpdate"),
            _ => assert_eq!(spec["backoffLimit"], 6),
        }
        assert_eq!(first["metadata"]["generation"], 1, "{first}");
        assert_eq!(again["metadata"]["generation"], 1, "{again}");
    }
}
