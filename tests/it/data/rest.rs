//! The REST catalog client against a small Iceberg REST server written here: it
//! records every request, answers the token, config, namespace and table calls,
//! and applies commits with iceberg's own metadata builder. Table files go to a
//! local directory.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iceberg::TableCreation;
use iceberg::TableUpdate;
use iceberg::spec::{Schema, TableMetadata, TableMetadataBuilder};
use serde_json::{Value, json};

use floe::data::catalog;
use floe::data::run;
use floe::model::{Credential, OAuth};
use floe::plan::DataPlan;

use super::{Events, SHOP, plan_of};

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

#[derive(Default)]
struct State {
    requests: Vec<Request>,
    tokens: usize,
    namespaces: HashSet<String>,
    tables: HashMap<String, TableMetadata>,
}

/// The fake server: its address and what it has seen.
pub struct Server {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl Server {
    /// Starts the server; tokens live `expires_in` seconds, files go under `root`.
    pub fn start(root: &Path, expires_in: u64) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
        let base = format!(
            "http://{}/api/catalog",
            listener.local_addr().expect("addr")
        );
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                let root = root.clone();
                std::thread::spawn(move || serve(stream, &state, &root, expires_in));
            }
        });
        Server { base, state }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().expect("lock").requests.clone()
    }

    pub fn tokens(&self) -> usize {
        self.state.lock().expect("lock").tokens
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>, root: &Path, expires_in: u64) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    while let Some(request) = read_request(&mut reader) {
        let (status, body) = {
            let mut state = state.lock().expect("lock");
            state.requests.push(request.clone());
            answer(&request, &mut state, root, expires_in)
        };
        let text = body.map(|b| b.to_string()).unwrap_or_default();
        let reason = if status < 300 { "OK" } else { "Error" };
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
            if request.method == "HEAD" {
                0
            } else {
                text.len()
            }
        );
        let payload = if request.method == "HEAD" {
            response.split("\r\n\r\n").next().unwrap_or("").to_string() + "\r\n\r\n"
        } else {
            response
        };
        if writer.write_all(payload.as_bytes()).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            headers.insert(k.trim().to_lowercase(), v.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}

fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = segment.get(i + 1..i + 3).filter(|_| bytes[i] == b'%');
        if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

fn not_found(what: &str) -> (u16, Option<Value>) {
    let error = json!({"error": {"message": format!("{what} not found"), "type": "NoSuchTableException", "code": 404}});
    (404, Some(error))
}

fn answer(r: &Request, state: &mut State, root: &Path, expires_in: u64) -> (u16, Option<Value>) {
    let path = r.path.strip_prefix("/api/catalog/v1").unwrap_or(&r.path);
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(decode)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (r.method.as_str(), segments.as_slice()) {
        ("POST", ["oauth", "tokens"]) => {
            state.tokens += 1;
            let token = format!("token-{}", state.tokens);
            (
                200,
                Some(
                    json!({"access_token": token, "token_type": "bearer", "expires_in": expires_in, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}),
                ),
            )
        }
        ("GET", ["config"]) => (200, Some(json!({"defaults": {}, "overrides": {}}))),
        ("HEAD", ["namespaces", ns]) => (
            if state.namespaces.contains(*ns) {
                204
            } else {
                404
            },
            None,
        ),
        ("POST", ["namespaces"]) => {
            let body: Value = serde_json::from_str(&r.body).unwrap_or_default();
            let levels: Vec<String> =
                serde_json::from_value(body["namespace"].clone()).unwrap_or_default();
            state.namespaces.insert(levels.join("\u{1f}"));
            (200, Some(json!({"namespace": levels, "properties": {}})))
        }
        ("HEAD", ["namespaces", ns, "tables", t]) => (
            if state.tables.contains_key(&format!("{ns}/{t}")) {
                204
            } else {
                404
            },
            None,
        ),
        ("POST", ["namespaces", ns, "tables"]) => create(r, state, root, ns),
        ("GET", ["namespaces", ns, "tables", t]) => match state.tables.get(&format!("{ns}/{t}")) {
            Some(m) => (200, Some(load_result(m))),
            None => not_found("table"),
        },
        ("POST", ["namespaces", ns, "tables", t]) => commit(r, state, &format!("{ns}/{t}")),
        _ => not_found(&format!("{} {}", r.method, r.path)),
    }
}

fn load_result(metadata: &TableMetadata) -> Value {
    let location = format!(
        "{}/metadata/{:05}.metadata.json",
        metadata.location(),
        metadata.last_sequence_number()
    );
    json!({"metadata-location": location, "metadata": metadata, "config": {}})
}

fn create(r: &Request, state: &mut State, root: &Path, ns: &str) -> (u16, Option<Value>) {
    let body: Value = serde_json::from_str(&r.body).unwrap_or_default();
    let name = body["name"].as_str().unwrap_or("t").to_string();
    let schema: Schema = serde_json::from_value(body["schema"].clone()).expect("a schema");
    let location = format!(
        "file://{}/{}/{name}",
        root.display(),
        ns.replace('\u{1f}', "/")
    );
    let creation = TableCreation::builder()
        .name(name.clone())
        .location(location)
        .schema(schema)
        .build();
    let metadata = TableMetadataBuilder::from_table_creation(creation)
        .and_then(|b| b.build())
        .expect("metadata")
        .metadata;
    let result = load_result(&metadata);
    state.tables.insert(format!("{ns}/{name}"), metadata);
    (200, Some(result))
}

fn commit(r: &Request, state: &mut State, key: &str) -> (u16, Option<Value>) {
    let body: Value = serde_json::from_str(&r.body).unwrap_or_default();
    let updates: Vec<TableUpdate> =
        serde_json::from_value(body["updates"].clone()).expect("updates");
    let Some(current) = state.tables.get(key).cloned() else {
        return not_found("table");
    };
    let mut builder = TableMetadataBuilder::new_from_metadata(current, None);
    for update in updates {
        builder = update.apply(builder).expect("the update applies");
    }
    let metadata = builder.build().expect("metadata").metadata;
    let result = load_result(&metadata);
    state.tables.insert(key.to_string(), metadata);
    (200, Some(result))
}

/// The shop plan with its catalog pointed at the fake server, and the environment
/// that holds the client secret.
fn rest_plan(server: &Server) -> (DataPlan, HashMap<String, String>) {
    let mut plan = plan_of(Path::new(SHOP));
    let catalog = plan
        .catalogs
        .iter_mut()
        .find(|c| c.name == "lake")
        .expect("lake");
    catalog.uri = Some(server.base.clone());
    catalog.warehouse = "shop_catalog".into();
    catalog.oauth = Some(OAuth {
        client_id: Credential::Plain("floe-client".into()),
        client_secret: Credential::Secret {
            secret: "catalog-root".into(),
            key: "client_secret".into(),
        },
        scope: "PRINCIPAL_ROLE:ALL".into(),
        server_uri: None,
    });
    let env = HashMap::from([(
        Credential::env_var("catalog-root", "client_secret"),
        "s3cr3t-value".to_string(),
    )]);
    (plan, env)
}

fn form(body: &str) -> BTreeMap<String, String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(&v.replace('+', " "))))
        .collect()
}

#[test]
fn the_rest_client_authenticates_creates_seeds_and_checks() {
    let files = tempfile::tempdir().expect("temp dir");
    let server = Server::start(files.path(), 3600);
    let (plan, env) = rest_plan(&server);
    let lake = plan
        .catalogs
        .iter()
        .find(|c| c.name == "lake")
        .expect("lake");
    let session = catalog::connect(lake, &env).expect("the catalog connects");
    let sessions = BTreeMap::from([("lake".to_string(), session)]);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let results = rt
        .block_on(run::run_all(&plan, &sessions, &mut Events::default()))
        .expect("the run finishes");
    assert!(results.iter().all(|r| r.passed), "{results:#?}");

    let requests = server.requests();
    let token = &requests[0];
    assert_eq!(
        (token.method.as_str(), token.path.as_str()),
        ("POST", "/api/catalog/v1/oauth/tokens")
    );
    assert_eq!(
        token.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        form(&token.body),
        BTreeMap::from([
            ("client_id".to_string(), "floe-client".to_string()),
            ("client_secret".to_string(), "s3cr3t-value".to_string()),
            ("grant_type".to_string(), "client_credentials".to_string()),
            ("scope".to_string(), "PRINCIPAL_ROLE:ALL".to_string()),
        ])
    );
    assert_eq!(
        requests[1].path,
        "/api/catalog/v1/config?warehouse=shop_catalog"
    );
    for r in &requests[1..] {
        assert_eq!(
            r.headers.get("authorization").map(String::as_str),
            Some("Bearer token-1"),
            "{} {}",
            r.method,
            r.path
        );
    }
    let calls: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    for expected in [
        "POST /api/catalog/v1/namespaces",
        "HEAD /api/catalog/v1/namespaces/shop%1Fraw",
        "POST /api/catalog/v1/namespaces/shop%1Fraw/tables",
        "POST /api/catalog/v1/namespaces/shop%1Fraw/tables/orders",
        "GET /api/catalog/v1/namespaces/shop%1Fraw/tables/customers",
    ] {
        assert!(
            calls.contains(&expected.to_string()),
            "{expected} not in {calls:#?}"
        );
    }
    let creates = calls.iter().filter(|c| c.ends_with("/tables")).count();
    let commits = calls
        .iter()
        .filter(|c| c.starts_with("POST") && c.contains("/tables/"))
        .count();
    assert_eq!((creates, commits), (3, 3));
    assert_eq!(server.tokens(), 1);
}

#[test]
fn tokens_are_requested_again_before_they_expire() {
    let files = tempfile::tempdir().expect("temp dir");
    let server = Server::start(files.path(), 1);
    let (plan, env) = rest_plan(&server);
    let session = catalog::connect(&plan.catalogs[0], &env).expect("the catalog connects");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let ident = floe::data::seed::ident(&plan.tables[0]).expect("ident");
    let exists = |rt: &tokio::runtime::Runtime| {
        let catalog = rt.block_on(session.catalog()).expect("catalog");
        rt.block_on(catalog.table_exists(&ident))
            .expect("the call succeeds")
    };
    assert!(!exists(&rt));
    assert!(!exists(&rt));
    assert_eq!(server.tokens(), 1);
    // Four fifths of the token's second later, the next use gets a new one.
    std::thread::sleep(Duration::from_millis(850));
    assert!(!exists(&rt));
    assert_eq!(server.tokens(), 2);
    let last = server.requests().pop().expect("a request");
    assert_eq!(last.headers["authorization"], "Bearer token-2");
}

#[test]
fn floe_job_seed_and_verify_run_against_the_catalog() {
    let files = tempfile::tempdir().expect("temp dir");
    let server = Server::start(files.path(), 3600);
    let (plan, env) = rest_plan(&server);
    let path: PathBuf = files.path().join("plan.json");
    std::fs::write(&path, plan.to_json()).expect("write");
    let job = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_floe"));
        command
            .arg("job")
            .args(args)
            .arg("--plan")
            .arg(&path)
            .envs(&env);
        command.output().expect("floe runs")
    };
    for table in ["customers", "products", "orders"] {
        let out = job(&["seed", table]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains("s3cr3t-value"), "{stderr}");
    }
    let out = job(&["verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let marker = stdout
        .lines()
        .find_map(|l| l.strip_prefix(floe::data::report::RESULTS_MARKER))
        .expect("a results line");
    let results: Value = serde_json::from_str(marker).expect("JSON results");
    assert_eq!(results["passed"], 10);
    assert_eq!(results["checks"][0]["name"], "customer_count");
    assert_eq!(stdout.lines().last(), Some("10 passed, 0 failed"));

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_floe"))
        .args(["job", "verify", "--plan"])
        .arg(&path)
        .env_remove(Credential::env_var("catalog-root", "client_secret"))
        .output()
        .expect("floe runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("environment variable `FLOE_SECRET_CATALOG_ROOT_CLIENT_SECRET` is not set"),
        "{stderr}"
    );
}
