//! `floe run` on a cluster without a cluster: the orchestration against the
//! in-memory fake (waves, readiness, every failure kind, API errors, convergence,
//! prune and down, diff, secrets), on paused time so that waits are exact and
//! instant; and the kube-rs client against a scripted API server, asserting the
//! HTTP requests it sends.

mod api;
mod faults;
mod http;
mod journey;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use floe::cluster::fake::{Behaviour, Failure, FakeCluster, Op};
use floe::cluster::preview::{self, Change};
use floe::cluster::run::{self, Event, Input, Options, Outcome, Progress};
use floe::cluster::{ApiError, Kind, ObjectRef, RunError, down};
use floe::data::verify::CheckResult;
use floe::diagnostic::Code;
use floe::diagnostic::render::RenderOptions;
use floe::program::{self, RealFs};
use floe::source::SourceMap;
use serde_json::Value;

const CANARY: &str = "canary-token-5d1e77";

/// A stack with a stateful service, a service after it, a hook, a seeded table
/// and a check: four waves.
const SHOP: &str = r#"stack shop {
  namespace = "shop"
  defaults = { storage = persistent }
}

secret creds {
  password = generate(24)
  token = env("FLOE_TEST_TOKEN")
}

service db {
  image = "postgres:17"
  ports = { pg = 5432 }
  env = { POSTGRES_PASSWORD = creds.password }
  volumes = { data = { mount = "/var/lib/postgresql/data", size = 1Gi } }
}

service api {
  image = "ghcr.io/example/api:1.0"
  ports = { http = 8080 }
  needs = [db]
  env = { TOKEN = creds.token }
}

hook migrate {
  after = db
  image = "ghcr.io/example/api:1.0"
  command = ["migrate"]
}

catalog lake {
  warehouse = "shop"
  after = migrate
}

table products {
  catalog = lake
  name = "shop.products"
  columns = { sku = string required }
  rows = [{ sku = "A-1" }]
}

check products_loaded { sql = "SELECT count(*) FROM products", expect = 1 }
"#;

/// The shop with its database on no volume: nothing of it outlives `floe down`.
fn shop_without_volumes() -> String {
    SHOP.replace(
        "  volumes = { data = { mount = \"/var/lib/postgresql/data\", size = 1Gi } }\n",
        "",
    )
}

/// A compiled stack and what the orchestrator takes.
struct Compiled {
    sources: SourceMap,
    compilation: floe::Compilation,
    plan: floe::plan::Plan,
}

impl Compiled {
    fn new(text: &str) -> Compiled {
        let program = program::load_text(&RealFs, Path::new("main.floe"), text.to_string());
        let compilation = floe::compile(&program, &RealFs, None);
        let errors: Vec<String> = compilation
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.clone())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let stack = compilation.stack.as_ref().expect("a stack");
        let plan = floe::plan::plan(stack);
        Compiled {
            sources: program.sources,
            plan,
            compilation,
        }
    }

    fn input(&self) -> Input<'_> {
        Input {
            stack: self.compilation.stack.as_ref().expect("a stack"),
            objects: &self.compilation.objects,
            plan: &self.plan,
        }
    }
}

/// The line (1-based) of the first line of `text` containing `needle`.
/// A run error as a user reads it: the diagnostic, drawn on a terminal wide enough
/// not to wrap its lines, then the evidence.
pub fn rendered(error: &RunError, sources: &SourceMap) -> String {
    let wide = RenderOptions {
        color: false,
        width: 400,
    };
    error.render(sources, wide, &[])
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("the line")
        + 1
}

fn env() -> HashMap<String, String> {
    HashMap::from([("FLOE_TEST_TOKEN".to_string(), CANARY.to_string())])
}

/// Every event as text.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Progress for Recorder {
    fn event(&self, event: &Event<'_>) {
        self.0.lock().expect("lock").push(format!("{event:?}"));
    }
}

impl Recorder {
    fn text(&self) -> String {
        self.0.lock().expect("lock").join("\n")
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().expect("lock").clone()
    }
}

fn passing() -> Vec<CheckResult> {
    vec![CheckResult {
        name: "products_loaded".into(),
        description: None,
        expected: "= 1".into(),
        actual: "1".into(),
        passed: true,
        millis: 2,
    }]
}

/// The fake with the shop's timings: db 10s, api 5s, migrate 3s, seed 2s, checks 1s.
fn shop_cluster() -> FakeCluster {
    let cluster = FakeCluster::new(Duration::from_secs(1));
    let ok = |secs| Behaviour {
        after: Duration::from_secs(secs),
        failure: None,
    };
    cluster.behave("db", ok(10));
    cluster.behave("api", ok(5));
    cluster.behave("migrate", ok(3));
    cluster.behave("seed-products", ok(2));
    cluster.behave("shop-verify", ok(1));
    cluster.checks("shop-verify", "shop", &passing());
    cluster
}

async fn run_with(
    cluster: &FakeCluster,
    compiled: &Compiled,
    options: &Options,
) -> (Result<Outcome, RunError>, Recorder) {
    let progress = Recorder::default();
    let outcome = run::run(cluster, compiled.input(), &env(), options, &progress).await;
    (outcome, progress)
}

fn applies(cluster: &FakeCluster, kind: Kind, prefix: &str) -> usize {
    cluster
        .calls()
        .iter()
        .filter(|c| c.op == Op::Apply && c.kind == kind && c.name.starts_with(prefix) && !c.dry_run)
        .count()
}

fn jobs_of(cluster: &FakeCluster, step: &str) -> Vec<String> {
    cluster
        .refs()
        .into_iter()
        .filter(|r| r.kind == Kind::Job && r.name.starts_with(&format!("{step}-")))
        .map(|r| r.name)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn items_run_in_plan_order_in_parallel_on_the_critical_path() {
    let compiled = Compiled::new(SHOP);
    let waves: Vec<Vec<&str>> = compiled
        .plan
        .waves
        .iter()
        .map(|w| w.steps.iter().map(|s| s.name.as_str()).collect())
        .collect();
    assert_eq!(
        waves,
        [
            vec!["db"],
            vec!["api", "migrate"],
            vec!["seed-products"],
            vec!["shop-verify"]
        ]
    );
    let cluster = shop_cluster();
    let (outcome, progress) = run_with(&cluster, &compiled, &Options::default()).await;
    let outcome = outcome.expect("the run succeeds");
    // db (10s), then api (5s) and migrate (3s) together; the seed (2s) starts when
    // migrate is ready, without waiting for api, then the checks (1s): 16s, the
    // critical path.
    assert!(
        (outcome.seconds - 16.0).abs() < 0.01,
        "{} {}",
        outcome.seconds,
        progress.text()
    );
    assert_eq!(outcome.results, Some(passing()));
    assert_eq!(outcome.items.len(), 5);
    // Applies follow the waves: api only after db is ready.
    let order: Vec<String> = cluster
        .calls()
        .iter()
        .filter(|c| {
            c.op == Op::Apply && matches!(c.kind, Kind::Deployment | Kind::StatefulSet | Kind::Job)
        })
        .map(|c| c.name.split('-').next().unwrap_or("").to_string())
        .collect();
    assert_eq!(order, ["db", "api", "migrate", "seed", "shop"]);
    // Every object carries the inventory label, Jobs included.
    for object in cluster.objects() {
        let labels = object
            .pointer("/metadata/labels")
            .cloned()
            .unwrap_or(Value::Null);
        let r = ObjectRef::of(&object).expect("a ref");
        if r.name == "floe-shop" {
            assert!(labels.get("applyset.kubernetes.io/id").is_some());
        } else {
            assert!(
                labels.get("applyset.kubernetes.io/part-of").is_some(),
                "{r} has no part-of label"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn each_failure_kind_fails_fast_with_evidence_against_the_item() {
    let compiled = Compiled::new(SHOP);
    let api_line = line_of(SHOP, "service api");
    let cases = [
        (
            Failure::ImagePullBackOff,
            "ImagePullBackOff",
            "Failed to pull image",
        ),
        (
            Failure::ErrImagePull,
            "ErrImagePull",
            "Failed to pull image",
        ),
        (
            Failure::CrashLoopBackOff,
            "CrashLoopBackOff",
            "Back-off restarting failed container",
        ),
        (
            Failure::CreateContainerConfigError,
            "CreateContainerConfigError",
            "secret \"db\" not found",
        ),
        (
            Failure::Unschedulable,
            "Unschedulable",
            "Insufficient memory",
        ),
    ];
    for (failure, reason, event) in cases {
        let cluster = shop_cluster();
        cluster.behave(
            "api",
            Behaviour {
                after: Duration::from_secs(4),
                failure: Some(failure),
            },
        );
        cluster.log("api", "starting api\nlistening on :8080");
        let started = tokio::time::Instant::now();
        let (outcome, progress) = run_with(&cluster, &compiled, &Options::default()).await;
        let error = outcome.expect_err("the run fails");
        // db is ready at 10s, api fails 4s later: seconds, not the 300s timeout. An
        // image pull and scheduling are retried by Kubernetes: they fail the run
        // once they have lasted a minute, and say so while waiting.
        let retried = matches!(
            failure,
            Failure::ImagePullBackOff | Failure::ErrImagePull | Failure::Unschedulable
        );
        let (from, to) = match retried {
            true => (74, 77),
            false => (14, 16),
        };
        let took = started.elapsed();
        assert!(
            took >= Duration::from_secs(from) && took <= Duration::from_secs(to),
            "{reason}: {took:?}"
        );
        assert_eq!(
            progress
                .text()
                .contains("Kubernetes retries; failing if it lasts 60s"),
            retried,
            "{reason}: {}",
            progress.text()
        );
        assert_eq!(error.code(), Code::R0201);
        let report = rendered(&error, &compiled.sources);
        assert!(
            report.contains("error[R0201]: service `api` failed: "),
            "{report}"
        );
        assert!(report.contains(reason), "{report}");
        assert!(
            report.contains(&format!("[main.floe:{api_line}:9]"))
                && report.contains("╰── deployment api"),
            "{report}"
        );
        assert!(
            report.contains("recent events:") && report.contains(event),
            "{report}"
        );
        assert!(
            report.contains("conditions:\n    Available=False"),
            "{report}"
        );
        if failure != Failure::Unschedulable {
            assert!(report.contains("| listening on :8080"), "{report}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_job_is_reported_kept_and_run_again_next_time() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    cluster.behave(
        "migrate",
        Behaviour {
            after: Duration::from_secs(3),
            failure: Some(Failure::JobFailed),
        },
    );
    cluster.log(
        "migrate",
        "applying 0003_orders.sql\nERROR: relation \"orders\" already exists",
    );
    let (outcome, _) = run_with(&cluster, &compiled, &Options::default()).await;
    let error = outcome.expect_err("the hook fails");
    assert_eq!(error.code(), Code::R0201);
    let report = rendered(&error, &compiled.sources);
    let line = line_of(SHOP, "hook migrate");
    assert!(
        report
            .contains("error[R0201]: hook `migrate` failed: the Job failed: BackoffLimitExceeded"),
        "{report}"
    );
    assert!(
        report.contains(&format!("[main.floe:{line}:6]")) && report.contains("╰── job migrate-"),
        "{report}"
    );
    assert!(
        report.contains("| ERROR: relation \"orders\" already exists"),
        "{report}"
    );
    assert!(report.contains("help: the failed Job is kept"), "{report}");
    let kept = jobs_of(&cluster, "migrate");
    assert_eq!(kept.len(), 1, "the failed Job stays for inspection");
    // Fixed, the next run deletes the failed Job and runs it again.
    cluster.behave(
        "migrate",
        Behaviour {
            after: Duration::from_secs(3),
            failure: None,
        },
    );
    let (outcome, _) = run_with(&cluster, &compiled, &Options::default()).await;
    outcome.expect("the second run succeeds");
    assert_eq!(jobs_of(&cluster, "migrate"), kept);
    assert_eq!(applies(&cluster, Kind::Job, "migrate-"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_failing_check_comes_back_as_results() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    let mut failed = passing();
    failed[0].actual = "0".into();
    failed[0].passed = false;
    cluster.checks("shop-verify", "shop", &failed);
    // `floe job verify` exits 1 when a check fails: the Job fails, the results stand.
    cluster.behave(
        "shop-verify",
        Behaviour {
            after: Duration::from_secs(1),
            failure: Some(Failure::JobFailed),
        },
    );
    let (outcome, _) = run_with(&cluster, &compiled, &Options::default()).await;
    assert_eq!(outcome.expect("the run completes").results, Some(failed));
}

#[tokio::test(start_paused = true)]
async fn api_errors_are_retried_when_transient_and_reported_otherwise() {
    let compiled = Compiled::new(SHOP);
    // Throttling and timeouts pass after retries.
    let cluster = shop_cluster();
    cluster.fail(
        Op::Apply,
        Kind::Deployment,
        "api",
        2,
        ApiError::new(429, "TooManyRequests", "slow down"),
    );
    cluster.fail(
        Op::Get,
        Kind::StatefulSet,
        "db",
        2,
        ApiError::unreachable("operation timed out"),
    );
    cluster.fail(
        Op::Apply,
        Kind::Secret,
        "creds",
        1,
        ApiError::new(503, "ServiceUnavailable", "etcd leader changed"),
    );
    let (outcome, _) = run_with(&cluster, &compiled, &Options::default()).await;
    outcome.expect("transient errors are retried");
    assert_eq!(applies(&cluster, Kind::Deployment, "api"), 3);

    // A server error that stays is reported with the object.
    let cluster = shop_cluster();
    cluster.fail(
        Op::Get,
        Kind::Deployment,
        "api",
        100,
        ApiError::new(500, "InternalError", "etcdserver: request timed out"),
    );
    let (outcome, _) = run_with(&cluster, &compiled, &Options::default()).await;
    let error = outcome.expect_err("a lasting 500 stops the run");
    assert_eq!(error.code(), Code::R0101);
    let report = rendered(&error, &compiled.sources);
    assert!(
        report.contains(
            "error[R0101]: cannot read deployment/api: etcdserver: request timed out (500 InternalError)"
        ),
        "{report}"
    );

    // A conflict names the fields and the other manager; --force-conflicts takes them.
    let cluster = shop_cluster();
    cluster.own(Kind::Deployment, "api", ".spec.replicas", "kubectl-edit");
    let (outcome, _) = run_with(&cluster, &compiled, &Options::default()).await;
    let error = outcome.expect_err("a conflict stops the run");
    assert_eq!(error.code(), Code::R0003);
    let report = rendered(&error, &compiled.sources);
    assert!(
        report.contains("cannot apply deployment/api: fields are owned by another manager"),
        "{report}"
    );
    assert!(
        report.contains(".spec.replicas is owned by \"kubectl-edit\""),
        "{report}"
    );
    assert!(report.contains("--force-conflicts"), "{report}");
    assert!(
        cluster.calls().iter().all(|c| !c.force),
        "no force without the flag"
    );
    let before = cluster.calls().len();
    let forced = Options {
        force_conflicts: true,
        ..Options::default()
    };
    let (outcome, _) = run_with(&cluster, &compiled, &forced).await;
    outcome.expect("forced, the apply takes the fields");
    assert!(
        cluster.calls()[before..]
            .iter()
            .filter(|c| c.op == Op::Apply)
            .all(|c| c.force)
    );
}

#[tokio::test(start_paused = true)]
async fn timeouts_name_what_was_awaited() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    cluster.behave(
        "api",
        Behaviour {
            after: Duration::ZERO,
            failure: Some(Failure::Stuck),
        },
    );
    let options = Options {
        item_timeout: Duration::from_secs(30),
        ..Options::default()
    };
    let (outcome, _) = run_with(&cluster, &compiled, &options).await;
    let error = outcome.expect_err("api never becomes ready");
    assert_eq!(error.code(), Code::R0202);
    let report = rendered(&error, &compiled.sources);
    assert!(
        report.contains(
            "error[R0202]: service `api` was not ready after 30s: 0 of 1 updated replicas available"
        ),
        "{report}"
    );

    let cluster = shop_cluster();
    let options = Options {
        timeout: Duration::from_secs(12),
        ..Options::default()
    };
    let (outcome, _) = run_with(&cluster, &compiled, &options).await;
    let error = outcome.expect_err("the run is too slow");
    assert_eq!(error.code(), Code::R0203);
    let report = rendered(&error, &compiled.sources);
    assert!(
        report.contains("error[R0203]: the run did not finish within 12s"),
        "{report}"
    );
    assert!(
        report.contains("`api`: 0 of 1 updated replicas available"),
        "{report}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_run_stopped_midway_converges_without_duplicates() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    // Stopped at 14s: db ready, migrate done (13s), api (15s) and the seed (15s)
    // not yet.
    let options = Options {
        timeout: Duration::from_secs(14),
        ..Options::default()
    };
    let (outcome, _) = run_with(&cluster, &compiled, &options).await;
    assert!(matches!(outcome, Err(RunError::Timeout { .. })));
    let (outcome, progress) = run_with(&cluster, &compiled, &Options::default()).await;
    let outcome = outcome.expect("the second run finishes");
    assert!(
        progress
            .text()
            .contains("completed earlier with the same content"),
        "{}",
        progress.text()
    );
    assert_eq!(outcome.results, Some(passing()));
    // One Job per step, the hook run once.
    for step in ["migrate", "seed-products", "shop-verify"] {
        assert_eq!(jobs_of(&cluster, step).len(), 1, "{step}");
    }
    assert_eq!(applies(&cluster, Kind::Job, "migrate-"), 1);
    // The same objects as one uninterrupted run.
    let clean = shop_cluster();
    run_with(&clean, &compiled, &Options::default())
        .await
        .0
        .expect("a clean run");
    assert_eq!(cluster.refs(), clean.refs());
}

#[tokio::test(start_paused = true)]
async fn secrets_are_made_at_apply_time_and_never_shown() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    // api crashes and prints its environment: the report quotes its log.
    cluster.behave(
        "api",
        Behaviour {
            after: Duration::from_secs(1),
            failure: Some(Failure::CrashLoopBackOff),
        },
    );
    cluster.log("api", &format!("TOKEN={CANARY}\npanic: cannot connect"));
    let (outcome, progress) = run_with(&cluster, &compiled, &Options::default()).await;
    let error = outcome.expect_err("api crashes");
    let report = rendered(&error, &compiled.sources);
    assert!(report.contains("| TOKEN=<redacted>"), "{report}");
    let json = error.to_json(&compiled.sources);
    for text in [&report, &json, &format!("{error:?}"), &progress.text()] {
        assert!(!text.contains(CANARY), "a secret value leaked:\n{text}");
    }
    // The value reached the cluster, in the Secret only.
    let secret = cluster
        .object(&ObjectRef::new(Kind::Secret, "shop", "creds"))
        .expect("the Secret");
    let stored: k8s_openapi::api::core::v1::Secret =
        serde_json::from_value(secret).expect("a Secret");
    let data = stored.data.expect("data");
    assert_eq!(data["token"].0, CANARY.as_bytes());
    let password = data["password"].clone();
    assert_eq!(password.0.len(), 24);
    // A generated value is kept on the next run (which fails the same way: nothing
    // changed); a diff shows no value.
    let (again, _) = run_with(&cluster, &compiled, &Options::default()).await;
    assert_eq!(
        again.expect_err("api still crashes").headline(),
        error.headline()
    );
    let secret = cluster
        .object(&ObjectRef::new(Kind::Secret, "shop", "creds"))
        .expect("the Secret");
    let stored: k8s_openapi::api::core::v1::Secret =
        serde_json::from_value(secret).expect("a Secret");
    assert_eq!(stored.data.expect("data")["password"], password);
    let changes = preview::diff(&cluster, compiled.input(), &env(), false)
        .await
        .expect("a diff");
    assert!(!format!("{changes:?}").contains(CANARY));
}

#[tokio::test(start_paused = true)]
async fn a_missing_env_variable_stops_the_run_before_any_change() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    let progress = Recorder::default();
    let empty: HashMap<String, String> = HashMap::new();
    let outcome = run::run(
        &cluster,
        compiled.input(),
        &empty,
        &Options::default(),
        &progress,
    )
    .await;
    let error = outcome.expect_err("the variable is missing");
    assert_eq!(error.code(), Code::R0001);
    let report = rendered(&error, &compiled.sources);
    let line = line_of(SHOP, "FLOE_TEST_TOKEN");
    assert!(
        report.contains("error[R0001]: environment variables not set: `FLOE_TEST_TOKEN`"),
        "{report}"
    );
    assert!(
        report.contains(&format!("[main.floe:{line}:11]"))
            && report.contains("╰── `creds.token` reads `FLOE_TEST_TOKEN`"),
        "{report}"
    );
    assert!(cluster.calls().is_empty(), "{:?}", cluster.calls());
}

#[tokio::test(start_paused = true)]
async fn changed_jobs_are_replaced_and_removed_items_pruned() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("first run");
    let before = jobs_of(&cluster, "migrate");
    // The hook changes and api is gone.
    let changed = SHOP
        .replace("command = [\"migrate\"]", "command = [\"migrate\", \"--all\"]")
        .replace(
            "service api {\n  image = \"ghcr.io/example/api:1.0\"\n  ports = { http = 8080 }\n  needs = [db]\n  env = { TOKEN = creds.token }\n}\n",
            "",
        );
    let compiled = Compiled::new(&changed);
    let changes = preview::diff(&cluster, compiled.input(), &env(), false)
        .await
        .expect("a diff");
    let of = |change: &Change| {
        let mut names: Vec<String> = changes
            .iter()
            .filter(|c| &c.change == change)
            .map(|c| c.object.to_string())
            .collect();
        names.sort();
        names
    };
    assert!(
        of(&Change::Delete).contains(&"deployment/api".to_string()),
        "{changes:?}"
    );
    assert!(
        of(&Change::Create)
            .iter()
            .any(|n| n.starts_with("job/migrate-")),
        "{changes:?}"
    );
    assert!(
        of(&Change::Unchanged).contains(&"secret/creds".to_string()),
        "{changes:?}"
    );
    let (outcome, _) = run_with(&cluster, &compiled, &Options::default()).await;
    let outcome = outcome.expect("the second run succeeds");
    let after = jobs_of(&cluster, "migrate");
    assert_eq!(after.len(), 1);
    assert_ne!(after, before, "a changed Job gets a new name");
    let pruned: Vec<String> = outcome.pruned.iter().map(ToString::to_string).collect();
    for gone in ["deployment/api", "service/api", "serviceaccount/api"] {
        assert!(pruned.contains(&gone.to_string()), "{pruned:?}");
    }
    assert!(
        cluster
            .object(&ObjectRef::new(Kind::Deployment, "shop", "api"))
            .is_none()
    );
}

#[tokio::test(start_paused = true)]
async fn down_deletes_the_inventory_and_volumes_only_when_asked() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    // Another tool's object in the namespace is not floe's to delete.
    cluster.insert(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "not-ours", "namespace": "shop"}}));
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("the run");
    let claim = ObjectRef::new(Kind::PersistentVolumeClaim, "shop", "data-db-0");
    assert!(cluster.object(&claim).is_some(), "{:?}", cluster.refs());

    let password = |cluster: &FakeCluster| {
        cluster
            .object(&ObjectRef::new(Kind::Secret, "shop", "creds"))
            .and_then(|s| s.pointer("/data/password").cloned())
    };
    let before = password(&cluster).expect("a generated password");

    // Without --volumes: the claim stays, and so do the Secrets its data was
    // written with, listed by the parent.
    let outcome = down::down(&cluster, "shop", "shop", false)
        .await
        .expect("down");
    assert!(outcome.found);
    assert_eq!(outcome.kept_claims, vec![claim.clone()]);
    let left: Vec<String> = cluster.refs().iter().map(ToString::to_string).collect();
    assert_eq!(
        left,
        [
            "namespace/shop",
            "configmap/not-ours",
            "secret/creds",
            "secret/floe-shop",
            "persistentvolumeclaim/data-db-0"
        ]
    );
    assert!(outcome.namespace_kept.is_some());

    // The next run takes them back: the same password for the kept database.
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("the run again");
    assert_eq!(password(&cluster), Some(before));

    // With --volumes everything of the stack goes; the namespace stays for the
    // other tool's ConfigMap in it.
    let outcome = down::down(&cluster, "shop", "shop", true)
        .await
        .expect("down --volumes");
    assert!(outcome.kept_claims.is_empty());
    let left: Vec<String> = cluster.refs().iter().map(ToString::to_string).collect();
    assert_eq!(left, ["namespace/shop", "configmap/not-ours"]);
    let why = outcome.namespace_kept.expect("the namespace is kept");
    assert!(why.contains("configmap/not-ours"), "{why}");
    let again = down::down(&cluster, "shop", "shop", true)
        .await
        .expect("down again");
    assert!(!again.found);
}

/// A namespace floe made and only the stack used is deleted, and `down` returns
/// once it is gone: a run right after does not meet "being terminated".
#[tokio::test(start_paused = true)]
async fn down_deletes_an_empty_namespace_of_its_own_and_waits_for_it() {
    let compiled = Compiled::new(&shop_without_volumes());
    let cluster = shop_cluster();
    cluster.terminate_after(Duration::from_secs(20));
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("the run");
    let started = tokio::time::Instant::now();
    let outcome = down::down(&cluster, "shop", "shop", false)
        .await
        .expect("down");
    assert!(outcome.kept_claims.is_empty() && outcome.kept_secrets.is_empty());
    assert!(outcome.namespace_kept.is_none(), "{outcome:?}");
    assert!(started.elapsed() >= Duration::from_secs(20), "down waited");
    assert!(cluster.refs().is_empty(), "{:?}", cluster.refs());
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("a run right after");

    // A namespace another tool made is never deleted.
    let cluster = shop_cluster();
    cluster.insert(serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "shop", "managedFields": [{"manager": "kubectl-create", "operation": "Update"}]}}));
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("the run");
    let outcome = down::down(&cluster, "shop", "shop", true)
        .await
        .expect("down");
    assert_eq!(
        outcome.namespace_kept.as_deref(),
        Some("floe did not create it")
    );
    let left: Vec<String> = cluster.refs().iter().map(ToString::to_string).collect();
    assert_eq!(left, ["namespace/shop"]);
}

/// `kubectl delete namespace` just before a run: the run waits until the namespace
/// is gone, then makes it again, instead of failing on 403 "being terminated".
#[tokio::test(start_paused = true)]
async fn a_run_waits_for_a_terminating_namespace() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    cluster.terminate_after(Duration::from_secs(30));
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("the run");
    floe::cluster::Cluster::delete(&cluster, &ObjectRef::new(Kind::Namespace, "", "shop"))
        .await
        .expect("deleted");
    let started = tokio::time::Instant::now();
    let (outcome, _) = run_with(&cluster, &compiled, &Options::default()).await;
    outcome.expect("the run after the namespace is gone");
    assert!(started.elapsed() >= Duration::from_secs(30));
    assert_eq!(
        applies(&cluster, Kind::Job, "migrate-"),
        2,
        "the hook ran again in the new namespace"
    );
}

/// The order of events a terminal shows: waves, then each item's start and end.
#[tokio::test(start_paused = true)]
async fn progress_reports_waves_items_and_pruning() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    let (_, progress) = run_with(&cluster, &compiled, &Options::default()).await;
    let text = progress.text();
    let waves: Vec<&str> = text.lines().filter(|l| l.starts_with("Wave")).collect();
    assert_eq!(waves.len(), 4, "{text}");
    let ready = text.lines().filter(|l| l.starts_with("Ready")).count();
    assert_eq!(ready, 5, "{text}");
    let events: BTreeMap<&str, usize> = text.lines().fold(BTreeMap::new(), |mut m, l| {
        *m.entry(l.split([' ', '{']).next().unwrap_or(""))
            .or_default() += 1;
        m
    });
    assert_eq!(events.get("Started"), Some(&5), "{text}");
}

/// Hook and seed Jobs' logs are followed: each line shown once, redacted.
#[tokio::test(start_paused = true)]
async fn job_logs_are_followed_once_each_and_redacted() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    cluster.log(
        "migrate",
        &format!("applying 0001\napplying 0002 as {CANARY}"),
    );
    let (outcome, progress) = run_with(&cluster, &compiled, &Options::default()).await;
    outcome.expect("the run succeeds");
    let lines: Vec<String> = progress
        .text()
        .lines()
        .filter(|l| l.starts_with("Log") && l.contains("path: \"migrate\""))
        .map(|l| l.rsplit("line: ").next().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        lines,
        ["\"applying 0001\" }", "\"applying 0002 as <redacted>\" }"]
    );
}
