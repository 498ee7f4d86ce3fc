//! A user's journey with the reference stack, as a user runs it: the real `floe`
//! binary, its kube-rs client built from a kubeconfig, over HTTP to the fake
//! cluster served as an API server ([`super::http`]). The cluster is asserted after
//! every step: run → run again → change an image → break it → fix it → remove an
//! item (diff first) → down → run → down --volumes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use floe::cluster::fake::{Behaviour, Failure, FakeCluster, Op};
use floe::cluster::{Kind, ObjectRef};
use floe::data::verify::CheckResult;
use serde_json::{Value, json};

use super::http::Served;

const NS: &str = "floe-demo";

fn demo() -> String {
    std::fs::read_to_string(crate::support::root().join("examples/demo.floe")).expect("the demo")
}

/// The demo's seed files beside the stack, as in `examples/`.
fn copy_data(dir: &std::path::Path) {
    let from = crate::support::root().join("examples/data");
    std::fs::create_dir_all(dir.join("data")).expect("data/");
    for entry in std::fs::read_dir(&from).expect("examples/data") {
        let path = entry.expect("an entry").path();
        if let Some(name) = path.file_name() {
            std::fs::copy(&path, dir.join("data").join(name)).expect("copied");
        }
    }
}

/// Every check of the demo with a result, all passing unless named in `failing`.
fn results(failing: &[&str]) -> Vec<CheckResult> {
    demo()
        .lines()
        .filter_map(|l| l.strip_prefix("check "))
        .filter_map(|l| l.split_whitespace().next())
        .map(|name| CheckResult {
            name: name.to_string(),
            description: None,
            expected: "> 0".into(),
            actual: if failing.contains(&name) { "0" } else { "1" }.into(),
            passed: !failing.contains(&name),
            millis: 1,
        })
        .collect()
}

struct Journey {
    served: Served,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Journey {
    async fn start() -> Journey {
        let cluster = FakeCluster::new(Duration::from_millis(100));
        cluster.terminate_after(Duration::from_millis(300));
        cluster.checks("demo-verify", "demo", &results(&[]));
        let served = Served::start(cluster).await;
        let dir = tempfile::tempdir().expect("a directory");
        copy_data(dir.path());
        let kubeconfig = served.kubeconfig(dir.path());
        Journey {
            served,
            dir,
            kubeconfig,
        }
    }

    fn cluster(&self) -> &FakeCluster {
        &self.served.cluster
    }

    /// Writes the stack and runs `floe ARGS FILE --kubeconfig K` in a blocking task.
    async fn floe(&self, args: &[&str], stack: &str) -> Output {
        let file = self.dir.path().join("demo.floe");
        std::fs::write(&file, stack).expect("the stack");
        let mut command = Command::new(env!("CARGO_BIN_EXE_floe"));
        command
            .args(args)
            .arg(&file)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .env_remove("KUBECONFIG")
            .current_dir(self.dir.path());
        tokio::task::spawn_blocking(move || command.output().expect("floe runs"))
            .await
            .expect("joined")
    }

    fn uids(&self, kinds: &[Kind]) -> BTreeMap<String, Value> {
        self.cluster()
            .objects()
            .into_iter()
            .filter_map(|o| {
                let r = ObjectRef::of(&o)?;
                kinds
                    .contains(&r.kind)
                    .then(|| (r.to_string(), o["metadata"]["uid"].clone()))
            })
            .collect()
    }

    fn names(&self, kind: Kind) -> Vec<String> {
        self.cluster()
            .refs()
            .into_iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.name)
            .collect()
    }

    /// The data of every Secret but the inventory's parent.
    fn secret_data(&self) -> BTreeMap<String, Value> {
        self.cluster()
            .objects()
            .into_iter()
            .filter(|o| o["kind"] == "Secret" && o["metadata"]["name"] != "floe-demo")
            .map(|o| {
                (
                    o["metadata"]["name"].as_str().unwrap_or("").to_string(),
                    o["data"].clone(),
                )
            })
            .collect()
    }

    fn applies(&self, kind: Kind, prefix: &str) -> usize {
        self.cluster()
            .calls()
            .iter()
            .filter(|c| {
                c.op == Op::Apply && c.kind == kind && c.name.starts_with(prefix) && !c.dry_run
            })
            .count()
    }
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn succeeds(output: &Output) -> String {
    let all = text(output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    all
}

fn exists(j: &Journey, kind: Kind, name: &str) -> bool {
    j.cluster()
        .object(&ObjectRef::new(kind, NS, name))
        .is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_from_first_run_to_down() {
    let j = Journey::start().await;
    let stack = demo();

    // Run: everything is made and the checks pass.
    let all = succeeds(&j.floe(&["run"], &stack).await);
    assert!(all.contains("orders_loaded"), "{all}");
    let workloads = j.uids(&[Kind::Deployment, Kind::StatefulSet]);
    assert!(
        workloads.contains_key("deployment/tracing"),
        "{workloads:?}"
    );
    assert!(workloads.len() >= 6, "{workloads:?}");
    let secrets = j.secret_data();
    assert!(!secrets.is_empty());
    let hooks = j.applies(Kind::Job, "catalog-init-");
    assert_eq!(hooks, 1);

    // Run again: nothing recreated, no hook again; the checks run anew and the
    // results printed are this run's.
    j.cluster()
        .checks("demo-verify", "demo", &results(&["revenue"]));
    let output = j.floe(&["run"], &stack).await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "a check fails now: {all}");
    assert!(all.contains("revenue"), "{all}");
    assert_eq!(j.uids(&[Kind::Deployment, Kind::StatefulSet]), workloads);
    assert_eq!(j.applies(Kind::Job, "catalog-init-"), hooks);
    assert_eq!(j.applies(Kind::Job, "demo-verify-"), 2);
    assert_eq!(j.secret_data(), secrets, "the same secret values");
    j.cluster().checks("demo-verify", "demo", &results(&[]));

    // Change an image: the Deployment rolls, the same object.
    let v2 = stack.replace(
        "jaeger tracing {}",
        "jaeger tracing { version = \"2.12.0\" }",
    );
    succeeds(&j.floe(&["run"], &v2).await);
    let tracing = j
        .cluster()
        .object(&ObjectRef::new(Kind::Deployment, NS, "tracing"))
        .expect("tracing");
    assert_eq!(tracing["metadata"]["uid"], workloads["deployment/tracing"]);
    assert!(tracing.to_string().contains("jaegertracing/jaeger:2.12.0"));

    // Break it: the run fails at once on the new pod, with its reason.
    j.cluster().behave(
        "tracing",
        Behaviour {
            after: Duration::from_millis(100),
            failure: Some(Failure::CrashLoopBackOff),
        },
    );
    let broken = stack.replace(
        "jaeger tracing {}",
        "jaeger tracing { version = \"2.99.0\" }",
    );
    let output = j.floe(&["run"], &broken).await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(all.contains("service `tracing` failed"), "{all}");
    assert!(all.contains("CrashLoopBackOff"), "{all}");
    let new_pod = j
        .cluster()
        .pods()
        .into_iter()
        .find(|p| p.to_string().contains("CrashLoopBackOff"))
        .and_then(|p| p["metadata"]["name"].as_str().map(str::to_string))
        .expect("the crashing pod");
    assert!(all.contains(&new_pod), "the new pod is named: {all}");
    assert!(!all.contains("panicked"), "{all}");

    // Fix it: the crashing pod of the last revision stays during the rollout and
    // does not fail the run.
    j.cluster().behave(
        "tracing",
        Behaviour {
            after: Duration::from_millis(300),
            failure: None,
        },
    );
    let fixed = stack.replace(
        "jaeger tracing {}",
        "jaeger tracing { version = \"2.13.0\" }",
    );
    succeeds(&j.floe(&["run"], &fixed).await);

    // Remove an item: diff shows the deletion, the run prunes it.
    let removed = fixed
        .replace("jaeger tracing { version = \"2.13.0\" }", "")
        .replace("  otlp_endpoint = tracing.url(otlp_grpc)\n", "");
    let diff = succeeds(&j.floe(&["diff"], &removed).await);
    assert!(diff.contains("delete    deployment/tracing"), "{diff}");
    assert!(
        exists(&j, Kind::Deployment, "tracing"),
        "diff changes nothing"
    );
    succeeds(&j.floe(&["run"], &removed).await);
    assert!(!exists(&j, Kind::Deployment, "tracing"));
    assert!(!exists(&j, Kind::Service, "tracing"));

    // Down: another tool's object in the namespace is untouched; the claims stay,
    // and the Secrets their data needs.
    j.cluster()
        .insert(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "not-ours", "namespace": NS}}));
    let claims = j.names(Kind::PersistentVolumeClaim);
    assert!(!claims.is_empty());
    let secrets = j.secret_data();
    let all = succeeds(&j.floe(&["down"], &removed).await);
    assert!(all.contains("kept"), "{all}");
    assert!(j.names(Kind::Deployment).is_empty() && j.names(Kind::StatefulSet).is_empty());
    assert!(j.names(Kind::Job).is_empty());
    assert_eq!(j.names(Kind::PersistentVolumeClaim), claims);
    assert_eq!(j.secret_data(), secrets);
    assert!(exists(&j, Kind::ConfigMap, "not-ours"));
    assert!(
        j.cluster()
            .object(&ObjectRef::new(Kind::Namespace, "", NS))
            .is_some()
    );

    // Run: the same passwords for the kept data.
    succeeds(&j.floe(&["run"], &removed).await);
    assert_eq!(
        j.secret_data(),
        secrets,
        "the kept database gets its own passwords"
    );
    assert_eq!(
        j.applies(Kind::Job, "catalog-init-"),
        hooks,
        "completed hooks stay done"
    );

    // Down with the volumes: the stack is gone, the other tool's object stays, and
    // with it the namespace.
    let all = succeeds(&j.floe(&["down", "--volumes"], &removed).await);
    assert!(all.contains("kept namespace `floe-demo`"), "{all}");
    let left: Vec<String> = j.cluster().refs().iter().map(ToString::to_string).collect();
    assert_eq!(left, ["namespace/floe-demo", "configmap/not-ours"]);
}

/// The binary with a kubeconfig whose server is not there: a clear error, exit 1,
/// no panic.
#[test]
fn no_server_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("a directory");
    let kubeconfig = super::http::kubeconfig(dir.path(), "http://127.0.0.1:1");
    copy_data(dir.path());
    let file = dir.path().join("demo.floe");
    std::fs::write(&file, demo()).expect("the stack");
    for command in ["run", "diff", "down"] {
        let output = Command::new(env!("CARGO_BIN_EXE_floe"))
            .args([command, file.to_str().unwrap_or_default(), "--kubeconfig"])
            .arg(&kubeconfig)
            .output()
            .expect("floe runs");
        let all = text(&output);
        assert_eq!(output.status.code(), Some(1), "{command}: {all}");
        assert!(
            !all.contains("panicked") && !all.contains("RUST_BACKTRACE"),
            "{all}"
        );
        // run and diff ask for the server's version first (R0102), down reads the
        // inventory (R0101); both say what to try.
        assert!(
            (all.contains("R0102") || all.contains("R0101")) && all.contains("`kubectl version`"),
            "{all}"
        );
    }
}

/// The `local` profile keeps the catalog's metastore on an emptyDir. When its pod
/// is made anew (Docker Desktop restarted, the pod evicted), Polaris' schema,
/// realm and catalog are gone: the next run bootstraps and initialises Polaris
/// again, restarts the catalog server, and seeds the tables again, instead of
/// keeping the hooks as completed while Polaris answers 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_ephemeral_metastore_is_brought_back() {
    let j = Journey::start().await;
    let stack = demo();
    let local = ["run", "--profile", "local"];
    succeeds(&j.floe(&local, &stack).await);
    let jobs = |j: &Journey| {
        ["catalog-bootstrap-", "catalog-init-", "seed-orders-"]
            .map(|prefix| j.applies(Kind::Job, prefix))
    };
    assert_eq!(jobs(&j), [1, 1, 1]);
    let catalog_pods = |j: &Journey| {
        j.cluster()
            .pods()
            .iter()
            .filter(|p| {
                let owner = &p["metadata"]["ownerReferences"][0];
                owner["kind"] == "Deployment" && owner["name"] == "catalog"
            })
            .map(|p| p["metadata"]["uid"].to_string())
            .collect::<Vec<_>>()
    };
    let before = catalog_pods(&j);
    assert_eq!(before.len(), 1, "{:?}", j.cluster().pods());
    let pod_deletes = |j: &Journey| {
        j.cluster()
            .calls()
            .iter()
            .filter(|c| c.op == Op::Delete && c.kind == Kind::Pod)
            .count()
    };
    assert_eq!(pod_deletes(&j), 0, "a first run restarts nothing");

    succeeds(&j.floe(&local, &stack).await);
    assert_eq!(jobs(&j), [1, 1, 1], "nothing was lost");

    j.cluster().recreate_pods("metastore");
    succeeds(&j.floe(&local, &stack).await);
    assert_eq!(
        jobs(&j),
        [2, 2, 2],
        "bootstrapped, initialised and seeded again"
    );
    let after = catalog_pods(&j);
    assert!(
        after.len() == 1 && after != before,
        "the server restarted: {after:?}"
    );
    assert!(pod_deletes(&j) >= 1);
}

/// kubectl, a client this project did not write (client-go's discovery, its list
/// decoding), reads the fake API server floe ran the demo on, and sees the objects
/// floe made: the fake speaks the API as kubectl expects it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_reads_what_floe_made() {
    let j = Journey::start().await;
    succeeds(&j.floe(&["run"], &demo()).await);
    let mut command = Command::new("kubectl");
    command
        .args([
            "get",
            "deployments,statefulsets,jobs,services",
            "-n",
            "floe-demo",
        ])
        .args([
            "-o",
            "jsonpath={range .items[*]}{.kind}/{.metadata.name}{\"\\n\"}{end}",
        ])
        .arg("--kubeconfig")
        .arg(&j.kubeconfig)
        .env_remove("KUBECONFIG");
    let output = tokio::task::spawn_blocking(move || command.output().expect("kubectl runs"))
        .await
        .expect("joined");
    let listed = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "{}", text(&output));
    let mut seen: Vec<&str> = listed.lines().filter(|l| !l.is_empty()).collect();
    seen.sort_unstable();
    let mut made: Vec<String> = [
        Kind::Deployment,
        Kind::StatefulSet,
        Kind::Job,
        Kind::Service,
    ]
    .iter()
    .flat_map(|k| {
        j.names(*k)
            .into_iter()
            .map(move |n| format!("{}/{n}", k.name()))
    })
    .collect();
    made.sort_unstable();
    assert_eq!(seen, made, "{listed}");
    assert!(made.len() > 10, "{made:?}");
}
