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

#[test]
fn tables_live_in_an_s3_bucket() {
    let moto = start_moto();
    let (status, _) = http(moto.port, "PUT", "/floe-test");
    assert_eq!(status, 200, "the bucket is created");

    let plan = plan_of(Path::new(SHOP));
    let s3 = S3 {
        endpoint: Some(format!("http://127.0.0.1:{}", moto.port)),
        region: "us-east-1".into(),
        path_style: true,
        access_key: Some(Credential::Secret {
            secret: "lake-root".into(),
            key: "user".into(),
        }),
        secret_key: Some(Credential::Secret {
            secret: "lake-root".into(),
            key: "password".into(),
        }),
    };
    let env = HashMap::from([
        (
            Credential::env_var("lake-root", "user"),
            "testing".to_string(),
        ),
        (
            Credential::env_var("lake-root", "password"),
            "testing".to_string(),
        ),
    ]);
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let session = rt
        .block_on(catalog::open_embedded(
            "lake",
            &dir.path().join("catalog.db"),
            "s3://floe-test/warehouse",
            Some(&s3),
            &env,
        ))
        .expect("the catalog opens");
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
    let missing = rt.block_on(catalog::open_embedded(
        "lake",
        &dir.path().join("other.db"),
        "s3://floe-test/warehouse",
        Some(&s3),
        &HashMap::<String, String>::new(),
    ));
    let error = missing.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("FLOE_SECRET_LAKE_ROOT_USER"), "{error}");
}
