//! S3 storage on a real S3-protocol server: moto, started here on a free port of
//! 127.0.0.1 (installed from PyPI into `target/test-tools` when it is not on the
//! `PATH`). The embedded SQL catalog keeps its table files in a bucket, reached
//! with an endpoint, path-style requests and static credentials from the
//! environment.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use floe::data::catalog;
use floe::data::run;
use floe::model::{Credential, S3};

use super::{Events, SHOP, plan_of};
use crate::support;

/// A running moto server; stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("addr").port()
}

fn start_moto() -> Moto {
    let tool = support::python_tool("moto_server", "moto[server]");
    let port = free_port();
    let child = Command::new(&tool)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let moto = Moto { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    moto
}

/// One plain HTTP/1.1 request to the server; the status code and body.
fn http(port: u16, method: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("receive");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

/// The embedded catalog `lake` in `dir`, its table files in `bucket` on moto.
fn open_on(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    bucket: &str,
    s3: &S3,
    env: &HashMap<String, String>,
) -> Result<catalog::Session, floe::data::DataError> {
    rt.block_on(catalog::open_embedded(
        "lake",
        &dir.join("catalog.db"),
        &format!("s3://{bucket}/warehouse"),
        Some(s3),
        env,
    ))
}

#[test]
fn tables_live_in_an_s3_bucket() {
    let moto = start_moto();
    let (s3, env) = bucket(&moto, "floe-test");
    let plan = plan_of(Path::new(SHOP));
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let session = open_on(&rt, dir.path(), "floe-test", &s3, &env).expect("the catalog opens");
    let sessions = BTreeMap::from([("lake".to_string(), session)]);
    let results = rt
        .block_on(run::run_all(&plan, &sessions, &mut Events::default()))
        .expect("the run finishes");
    assert!(results.iter().all(|r| r.passed), "{results:#?}");

    let (status, listing) = http(
        moto.port,
        "GET",
        "/floe-test?list-type=2&prefix=warehouse/shop/raw/orders/data/",
    );
    assert_eq!(status, 200);
    assert_eq!(listing.matches(".parquet</Key>").count(), 1, "{listing}");

    // Without the secret in the environment, nothing is reached.
    let other = dir.path().join("other");
    let missing = open_on(&rt, &other, "floe-test", &s3, &HashMap::new());
    let error = missing.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("FLOE_SECRET_LAKE_ROOT_USER"), "{error}");
}

/// The moto server with a bucket, the S3 settings that reach it, and their secret
/// values.
fn bucket(moto: &Moto, name: &str) -> (S3, HashMap<String, String>) {
    let (status, _) = http(moto.port, "PUT", &format!("/{name}"));
    assert_eq!(status, 200, "the bucket is created");
    let secret = |key: &str| Credential::Secret {
        secret: "lake-root".into(),
        key: key.into(),
    };
    let s3 = S3 {
        endpoint: Some(format!("http://127.0.0.1:{}", moto.port)),
        region: "us-east-1".into(),
        path_style: true,
        access_key: Some(secret("user")),
        secret_key: Some(secret("password")),
    };
    let env = ["user", "password"]
        .map(|k| (Credential::env_var("lake-root", k), "testing".to_string()))
        .into_iter()
        .collect();
    (s3, env)
}

/// The keys under `prefix` in the bucket that end with `suffix`.
fn keys(moto: &Moto, bucket: &str, prefix: &str, suffix: &str) -> Vec<String> {
    let (status, listing) = http(
        moto.port,
        "GET",
        &format!("/{bucket}?list-type=2&prefix={prefix}"),
    );
    assert_eq!(status, 200);
    listing
        .split("<Key>")
        .skip(1)
        .filter_map(|k| k.split("</Key>").next())
        .filter(|k| k.ends_with(suffix))
        .map(str::to_string)
        .collect()
}

/// On object storage a seed killed midway (its future dropped: no cleanup runs)
/// leaves data files and its announcement in the table's properties. A seed soon
/// after leaves them alone — their writer may still be running — and adds the rows
/// once; once the announcement is older than any seed Job can run, the next seed
/// deletes them, and the bucket holds exactly the files the table references.
#[test]
fn a_killed_seed_on_s3_is_swept_once_its_writer_must_be_gone() {
    use floe::data::generate::Resolver;
    use floe::data::seed;
    use iceberg::transaction::{ApplyTransactionAction, Transaction};

    let moto = start_moto();
    let (s3, env) = bucket(&moto, "swept");
    let dir = tempfile::tempdir().expect("temp dir");
    let main = super::stack_in(
        dir.path(),
        r#"
stack log {}
catalog lake { warehouse = "log" }
table events {
  catalog = lake
  name = "log.events"
  columns = { id = long required, kind = string }
  seed = generate(2000000, { id = sequence(1), kind = pick(["a", "b", "c"]) })
}
"#,
    );
    let plan = plan_of(&main);
    let table = plan.tables[0].clone();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let session = open_on(&rt, dir.path(), "swept", &s3, &env).expect("the catalog opens");
    let catalog = rt.block_on(session.catalog()).expect("catalog");
    let data = "warehouse/log/events/data/";
    let seed_once = || {
        rt.block_on(seed::seed_table(
            catalog.as_ref(),
            &plan,
            &table,
            &mut Resolver::new(&plan),
        ))
        .expect("the seed finishes")
    };

    // Killed after its first data file.
    let killed = {
        let (catalog, plan, table) = (catalog.clone(), plan.clone(), table.clone());
        rt.spawn(async move {
            let mut resolver = Resolver::new(&plan);
            seed::seed_table(catalog.as_ref(), &plan, &table, &mut resolver).await
        })
    };
    while keys(&moto, "swept", data, ".parquet").is_empty() {
        assert!(
            !killed.is_finished(),
            "the seed ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    killed.abort();
    let _ = rt.block_on(killed);
    let ident = seed::ident(&table).expect("ident");
    let loaded = rt.block_on(catalog.load_table(&ident)).expect("the table");
    let pending: Vec<String> = loaded
        .metadata()
        .properties()
        .keys()
        .filter(|k| k.starts_with("floe.pending."))
        .cloned()
        .collect();
    assert_eq!(pending.len(), 1, "the killed write is announced");
    assert!(loaded.metadata().current_snapshot().is_none());
    let left = keys(&moto, "swept", data, ".parquet");

    // Soon after: the rows are added once, the other writer's files are kept.
    assert_eq!(
        seed_once(),
        seed::Outcome::Written {
            rows: 2_000_000,
            files: 8
        }
    );
    let now = keys(&moto, "swept", data, ".parquet");
    assert!(
        left.iter().all(|k| now.contains(k)),
        "a live writer's files stay"
    );
    assert_eq!(now.len(), 8 + left.len());

    // Three hours later (the announcement aged so), the next seed sweeps them.
    let loaded = rt.block_on(catalog.load_table(&ident)).expect("the table");
    let value = &loaded.metadata().properties()[&pending[0]];
    let (at, parts) = value.split_once(' ').expect("SECONDS PARTS");
    let aged = at.parse::<u64>().expect("seconds") - 3 * 60 * 60;
    let tx = Transaction::new(&loaded);
    let tx = tx
        .update_table_properties()
        .set(pending[0].clone(), format!("{aged} {parts}"))
        .apply(tx)
        .expect("the property");
    rt.block_on(tx.commit(catalog.as_ref())).expect("aged");
    assert_eq!(seed_once(), seed::Outcome::Kept { rows: 2_000_000 });
    let swept = rt.block_on(catalog.load_table(&ident)).expect("the table");
    assert!(
        !swept
            .metadata()
            .properties()
            .keys()
            .any(|k| k.starts_with("floe.pending.")),
        "no announcement is left"
    );
    let mut referenced: Vec<String> = rt.block_on(async {
        let snapshot = swept.metadata().current_snapshot().expect("a snapshot");
        let list = swept
            .manifest_list_reader(snapshot)
            .load()
            .await
            .expect("list");
        let mut paths = Vec::new();
        for manifest in list.entries() {
            let manifest = manifest
                .load_manifest(swept.file_io())
                .await
                .expect("manifest");
            paths.extend(
                manifest
                    .entries()
                    .iter()
                    .map(|e| e.file_path().trim_start_matches("s3://swept/").to_string()),
            );
        }
        paths
    });
    referenced.sort();
    let mut on_s3 = keys(&moto, "swept", data, ".parquet");
    on_s3.sort();
    assert_eq!(on_s3, referenced);
}
