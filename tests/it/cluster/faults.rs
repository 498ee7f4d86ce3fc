//! `floe run` where the real cluster is less kind than a simple fake: reruns,
//! rollouts that keep old pods, failures Kubernetes retries, the TTL controller,
//! another stack's objects, watches that fail, throttling with `Retry-After`.
//! Each test asserts the cluster after each step.

use std::time::Duration;

use floe::cluster::fake::{Behaviour, Failure, FakeCluster, Op};
use floe::cluster::run::Options;
use floe::cluster::{ApiError, Kind, ObjectRef, RunError, down};
use floe::diagnostic::Code;
use floe::source::SourceMap;
use serde_json::{Value, json};

use super::{Compiled, SHOP, applies, jobs_of, passing, run_with, shop_cluster};

fn ok(secs: u64) -> Behaviour {
    Behaviour {
        after: Duration::from_secs(secs),
        failure: None,
    }
}

fn failing(secs: u64, failure: Failure) -> Behaviour {
    Behaviour {
        after: Duration::from_secs(secs),
        failure: Some(failure),
    }
}

fn with_api_image(image: &str) -> String {
    SHOP.replace(
        "service api {\n  image = \"ghcr.io/example/api:1.0\"",
        &format!("service api {{\n  image = \"{image}\""),
    )
}

fn uid(cluster: &FakeCluster, kind: Kind, name: &str) -> Option<Value> {
    cluster
        .object(&ObjectRef::new(kind, "shop", name))
        .and_then(|o| o.pointer("/metadata/uid").cloned())
}

/// The checks run on every run, and the results printed are this run's: the verify
/// Job of the last run is found (a typed list's items have no kind) and replaced.
#[tokio::test(start_paused = true)]
async fn every_run_runs_the_checks_anew() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    let first = run_with(&cluster, &compiled, &Options::default()).await.0;
    assert_eq!(first.expect("the run").results, Some(passing()));
    let db = uid(&cluster, Kind::StatefulSet, "db");

    let mut now_failing = passing();
    now_failing[0].actual = "0".into();
    now_failing[0].passed = false;
    cluster.checks("shop-verify", "shop", &now_failing);
    let second = run_with(&cluster, &compiled, &Options::default()).await.0;
    assert_eq!(second.expect("the run").results, Some(now_failing));
    assert_eq!(jobs_of(&cluster, "shop-verify").len(), 1);
    assert_eq!(applies(&cluster, Kind::Job, "shop-verify-"), 2);
    // Nothing else was recreated, the hook not run again.
    assert_eq!(uid(&cluster, Kind::StatefulSet, "db"), db);
    assert_eq!(applies(&cluster, Kind::Job, "migrate-"), 1);
}

/// A rollout keeps the old ReplicaSet's pods until the new ones are available:
/// only the current revision's pods decide, in both directions.
#[tokio::test(start_paused = true)]
async fn rollouts_are_judged_by_the_pods_of_the_new_revision() {
    let cluster = shop_cluster();
    run_with(&cluster, &Compiled::new(SHOP), &Options::default())
        .await
        .0
        .expect("the first run");
    let api = uid(&cluster, Kind::Deployment, "api");

    // A changed image rolls the pods; the old pod does not fail the run.
    let v2 = Compiled::new(&with_api_image("ghcr.io/example/api:2.0"));
    let (outcome, progress) = run_with(&cluster, &v2, &Options::default()).await;
    outcome.expect("the rollout");
    assert!(
        progress.text().contains("1 old replicas terminating"),
        "{}",
        progress.text()
    );
    assert_eq!(
        uid(&cluster, Kind::Deployment, "api"),
        api,
        "updated, not recreated"
    );

    // A crashing image fails at once, on the new pod.
    cluster.behave("api", failing(3, Failure::CrashLoopBackOff));
    let broken = Compiled::new(&with_api_image("ghcr.io/example/api:2.1"));
    let started = tokio::time::Instant::now();
    let error = run_with(&cluster, &broken, &Options::default())
        .await
        .0
        .expect_err("the new pods crash");
    assert_eq!(error.code(), Code::R0201);
    assert!(
        started.elapsed() <= Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    let report = super::rendered(&error, &broken.sources);
    assert!(report.contains("CrashLoopBackOff"), "{report}");
    let crashing: Vec<String> = cluster
        .pods()
        .iter()
        .filter(|p| p.to_string().contains("CrashLoopBackOff"))
        .map(|p| p["metadata"]["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(crashing.len(), 1, "{:?}", cluster.pods());
    assert!(
        report.contains(&crashing[0]),
        "the new pod is named: {report}"
    );

    // Changed to an image the registry does not have yet: the crashing pod of the
    // revision before stays during the rollout and does not fail the run; the new
    // pod's pull errors are waited out while the kubelet retries, and fail the run
    // only when they last, naming the new pod.
    cluster.behave("api", failing(2, Failure::ImagePullBackOff));
    let pulling = Compiled::new(&with_api_image("ghcr.io/example/api:2.2"));
    let started = tokio::time::Instant::now();
    let (outcome, progress) = run_with(&cluster, &pulling, &Options::default()).await;
    assert!(
        started.elapsed() >= Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    match outcome {
        Err(RunError::NotReady { reason, .. }) => {
            assert!(reason.contains("ImagePullBackOff"), "{reason}");
            assert!(reason.contains("still after 60s of retries"), "{reason}");
            assert!(!reason.contains(&crashing[0]), "{reason}");
        }
        other => panic!("{other:?}\n{}", progress.text()),
    }
    assert!(
        cluster
            .pods()
            .iter()
            .any(|p| p.to_string().contains("CrashLoopBackOff")),
        "the old revision's pod is still there"
    );

    cluster.behave("api", ok(4));
    let good = Compiled::new(&with_api_image("ghcr.io/example/api:2.3"));
    run_with(&cluster, &good, &Options::default())
        .await
        .0
        .expect("fixed, the rollout completes while the old pods crash");
}

/// A ReplicaSet that cannot create pods (quota, PodSecurity) fails the run at
/// once, with the ReplicaSet's event as evidence.
#[tokio::test(start_paused = true)]
async fn pods_that_cannot_be_created_fail_with_the_replica_set_event() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    cluster.behave("api", failing(2, Failure::FailedCreate));
    let started = tokio::time::Instant::now();
    let error = run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect_err("no pods");
    assert_eq!(error.code(), Code::R0201);
    assert!(started.elapsed() <= Duration::from_secs(14));
    let report = super::rendered(&error, &compiled.sources);
    assert!(
        report.contains("pods cannot be created: FailedCreate"),
        "{report}"
    );
    assert!(
        report.contains("Warning FailedCreate (api-") && report.contains("exceeded quota"),
        "{report}"
    );
}

/// A hook whose Job the TTL controller removed after it completed is not run
/// again; one removed before floe saw it finish is an error that says why, not a
/// wait until the timeout.
#[tokio::test(start_paused = true)]
async fn completed_hooks_outlive_their_jobs() {
    let short = SHOP.replace(
        "command = [\"migrate\"]",
        "command = [\"migrate\"]\n  keep = 30s",
    );
    let compiled = Compiled::new(&short);
    let cluster = shop_cluster();
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("the run");
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(
        jobs_of(&cluster, "migrate").is_empty(),
        "the TTL removed it"
    );
    let (outcome, progress) = run_with(&cluster, &compiled, &Options::default()).await;
    outcome.expect("the second run");
    assert_eq!(applies(&cluster, Kind::Job, "migrate-"), 1, "not run again");
    assert!(
        progress
            .text()
            .contains("completed earlier with the same content"),
        "{}",
        progress.text()
    );

    let instant = SHOP.replace(
        "command = [\"migrate\"]",
        "command = [\"migrate\"]\n  keep = 0s",
    );
    let compiled = Compiled::new(&instant);
    let cluster = shop_cluster();
    let options = Options {
        item_timeout: Duration::from_secs(120),
        ..Options::default()
    };
    let started = tokio::time::Instant::now();
    let error = run_with(&cluster, &compiled, &options)
        .await
        .0
        .expect_err("the Job is gone before floe sees it finish");
    assert_eq!(error.code(), Code::R0205);
    assert!(matches!(error, RunError::Deleted { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(60));
    let report = super::rendered(&error, &compiled.sources);
    assert!(
        report.contains("was deleted while floe waited for it"),
        "{report}"
    );
    assert!(report.contains("`keep`"), "{report}");
}

/// KEP-3659: an object of the stack that belongs to another ApplySet (another
/// stack with an item of the same name in the namespace) is refused before
/// anything changes.
#[tokio::test(start_paused = true)]
async fn another_stacks_objects_are_not_taken_over() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    cluster.insert(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop",
                     "labels": {"applyset.kubernetes.io/part-of": "applyset-other-v1"}},
        "spec": {"replicas": 3}}));
    let error = run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect_err("refused");
    assert_eq!(error.code(), Code::R0004);
    let report = super::rendered(&error, &compiled.sources);
    assert!(
        report.contains("deployment/api exists and belongs to another stack or tool"),
        "{report}"
    );
    assert!(report.contains("part-of=applyset-other-v1"), "{report}");
    let live = cluster
        .object(&ObjectRef::new(Kind::Deployment, "shop", "api"))
        .expect("still there");
    assert_eq!(live["spec"]["replicas"], 3, "untouched");
    assert_eq!(applies(&cluster, Kind::Deployment, ""), 0);
}

/// A changed definition of a generated key makes a new value; an `env()` value
/// that changed rolls the pods that read it (their template carries a keyed
/// fingerprint of the values, never a value).
#[tokio::test(start_paused = true)]
async fn secret_changes_reach_the_pods() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("the run");
    let secret = ObjectRef::new(Kind::Secret, "shop", "creds");
    let password = |c: &FakeCluster| {
        c.object(&secret)
            .and_then(|s| {
                s.pointer("/data/password")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_default()
    };
    let hash = |c: &FakeCluster| {
        c.object(&ObjectRef::new(Kind::Deployment, "shop", "api"))
            .and_then(|d| {
                d.pointer("/spec/template/metadata/annotations/floe.dev~1secret-hash")
                    .cloned()
            })
    };
    let first = password(&cluster);
    let first_hash = hash(&cluster).expect("a fingerprint");
    assert!(!first_hash.to_string().contains(super::CANARY));

    let longer = Compiled::new(&SHOP.replace("generate(24)", "generate(32)"));
    run_with(&cluster, &longer, &Options::default())
        .await
        .0
        .expect("the run");
    let second = password(&cluster);
    assert_ne!(second, first);
    assert_eq!(second.len(), 44, "32 bytes in base64");

    let progress = super::Recorder::default();
    let env = std::collections::HashMap::from([(
        "FLOE_TEST_TOKEN".to_string(),
        "another-token-value".to_string(),
    )]);
    floe::cluster::run::run(
        &cluster,
        longer.input(),
        &env,
        &Options::default(),
        &progress,
    )
    .await
    .expect("the run");
    let third_hash = hash(&cluster).expect("a fingerprint");
    assert_ne!(third_hash, first_hash, "a changed token rolls api");
    assert_eq!(password(&cluster), second, "the generated value is kept");
}

/// A watch that fails at once is not asked again in a tight loop.
#[tokio::test(start_paused = true)]
async fn failing_watches_back_off() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    cluster.fail(
        Op::Watch,
        Kind::StatefulSet,
        "db",
        usize::MAX,
        ApiError::new(500, "InternalError", "watch refused"),
    );
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("the run succeeds by looking");
    let watches = cluster
        .calls()
        .iter()
        .filter(|c| c.op == Op::Watch && c.name == "db")
        .count();
    // 10 s until db is ready: 250 ms doubling to the 2 s poll, about 8 watches.
    assert!((3..=12).contains(&watches), "{watches} watches");
}

/// Throttling waits as long as the server asks; an error of the client itself
/// (credentials, TLS, a response it cannot read) is not asked again.
#[tokio::test(start_paused = true)]
async fn retries_follow_the_server_and_not_the_client() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    let mut throttled = ApiError::new(
        429,
        "TooManyRequests",
        "too many requests, please try again later",
    );
    throttled.retry_after = Some(Duration::from_secs(7));
    cluster.fail(Op::Apply, Kind::Deployment, "api", 1, throttled);
    let started = tokio::time::Instant::now();
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("the run");
    // db is ready at 10 s, api 5 s after its apply, the seed and checks after the
    // hook: 16 s without the wait, 7 s more with it.
    assert!(
        started.elapsed() >= Duration::from_secs(22),
        "{:?}",
        started.elapsed()
    );

    let cluster = shop_cluster();
    cluster.fail(
        Op::Get,
        Kind::Secret,
        "creds",
        usize::MAX,
        ApiError::client("auth error: exec plugin: command not found: aws"),
    );
    let error = run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect_err("the credentials fail");
    assert_eq!(error.code(), Code::R0101);
    let gets = cluster
        .calls()
        .iter()
        .filter(|c| c.op == Op::Get && c.name == "creds")
        .count();
    assert_eq!(gets, 1, "not retried");
    let report = super::rendered(&error, &compiled.sources);
    assert!(report.contains("exec plugin"), "{report}");
    assert!(report.contains("credentials"), "{report}");
}

/// A cluster older than floe supports is said so before anything is applied.
#[tokio::test(start_paused = true)]
async fn an_old_kubernetes_is_refused_before_any_change() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    cluster.serve_version(26);
    let error = run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect_err("too old");
    assert_eq!(error.code(), Code::R0103);
    let report = super::rendered(&error, &compiled.sources);
    assert!(
        report.contains("the cluster runs Kubernetes 1.26; floe needs 1.27 or newer"),
        "{report}"
    );
    assert!(report.contains("batch.kubernetes.io/job-name"), "{report}");
    assert!(cluster.calls().is_empty(), "{:?}", cluster.calls());
    cluster.serve_version(27);
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("1.27 is supported");
}

/// `floe diff` dry-runs every object, new ones included, and one object's
/// conflict or refusal is that object's line, not the end of the diff.
#[tokio::test(start_paused = true)]
async fn diff_shows_conflicts_and_refusals_per_object() {
    use floe::cluster::preview::{self, Change};
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    cluster.fail(
        Op::Apply,
        Kind::Service,
        "api",
        1,
        ApiError::new(
            422,
            "Invalid",
            "Service \"api\" is invalid: spec.ports[0].port: Invalid value: 0",
        ),
    );
    let changes = preview::diff(&cluster, compiled.input(), &super::env(), false)
        .await
        .expect("a diff of a new stack");
    let change = |name: &str, kind: Kind| {
        changes
            .iter()
            .find(|c| c.object == ObjectRef::new(kind, "shop", name))
            .map(|c| c.change.clone())
    };
    assert!(
        matches!(change("api", Kind::Service), Some(Change::Refused(m)) if m.contains("Invalid value")),
        "{changes:?}"
    );
    assert_eq!(change("api", Kind::Deployment), Some(Change::Create));
    assert!(
        cluster
            .calls()
            .iter()
            .filter(|c| c.op == Op::Apply)
            .all(|c| c.dry_run)
    );

    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("the run");
    cluster.own(Kind::Deployment, "api", ".spec.replicas", "kubectl-edit");
    let changes = preview::diff(&cluster, compiled.input(), &super::env(), false)
        .await
        .expect("the diff goes on past the conflict");
    let api = changes
        .iter()
        .find(|c| c.object == ObjectRef::new(Kind::Deployment, "shop", "api"))
        .map(|c| c.change.clone());
    assert_eq!(
        api,
        Some(Change::Conflict(vec![(
            "kubectl-edit".to_string(),
            ".spec.replicas".to_string()
        )]))
    );
    assert!(changes.iter().any(|c| c.change == Change::Unchanged));
}

/// A verify Job that ends without results (the runner could not reach the catalog)
/// is reported with its own log, not as a failed check.
#[tokio::test(start_paused = true)]
async fn checks_without_results_say_what_the_runner_said() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    cluster.behave("shop-verify", failing(1, Failure::JobFailed));
    cluster.log(
        "shop-verify",
        "reading tables\nerror: the catalog refused the credentials (401)",
    );
    let error = run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect_err("no results");
    assert_eq!(error.code(), Code::R0204);
    let report = super::rendered(&error, &compiled.sources);
    assert!(
        report.contains("error[R0204]: the checks did not report results (shop-verify-"),
        "{report}"
    );
    assert!(
        report.contains("| error: the catalog refused the credentials (401)"),
        "{report}"
    );
}

/// A namespace held by a finalizer: `floe down` gives up after its wait and says
/// what holds it, instead of waiting for ever or claiming it is gone.
#[tokio::test(start_paused = true)]
async fn a_namespace_that_stays_terminating_is_reported() {
    let compiled = Compiled::new(&super::shop_without_volumes());
    let cluster = shop_cluster();
    cluster.terminate_after(Duration::from_secs(3600));
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("the run");
    let started = tokio::time::Instant::now();
    let error = down::down(&cluster, "shop", "shop", false)
        .await
        .expect_err("still terminating");
    assert_eq!(error.code(), Code::R0206);
    assert!(started.elapsed() >= Duration::from_secs(300));
    assert!(started.elapsed() < Duration::from_secs(3600));
    let report = super::rendered(&error, &SourceMap::new());
    assert!(
        report.contains("error[R0206]: namespace/shop was still being deleted after 300s"),
        "{report}"
    );
    assert!(
        report.contains("`kubectl get namespace shop -o yaml`"),
        "{report}"
    );
}

/// A random source that fails is a fault of the machine floe runs on; the report
/// says so and that nothing changed.
#[test]
fn a_failed_random_source_is_reported_as_the_machines_fault() {
    let error = RunError::Random("getrandom: Operation not permitted".into());
    assert_eq!(error.code(), Code::R0002);
    let report = super::rendered(&error, &SourceMap::new());
    assert!(
        report.contains(
            "error[R0002]: cannot generate secret values: getrandom: Operation not permitted"
        ),
        "{report}"
    );
    assert!(report.contains("nothing was applied"), "{report}");
}

/// A seed Job whose node cannot get floe's runner image: Kubernetes retries the
/// pull for a while (an image built meanwhile is used), then the report names the
/// image and the exact commands that put it on the cluster.
#[tokio::test(start_paused = true)]
async fn a_missing_runner_image_says_how_to_get_it_there() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    cluster.behave("seed-products", failing(1, Failure::ErrImagePull));
    let started = tokio::time::Instant::now();
    let error = run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect_err("no runner image");
    assert!(
        started.elapsed() >= Duration::from_secs(60),
        "retried first"
    );
    assert_eq!(error.code(), Code::R0207);
    let report = super::rendered(&error, &compiled.sources);
    let image = "ghcr.io/floe-dev/floe:0.1.0";
    assert!(
        report.contains(&format!(
            "error[R0207]: seed `products` cannot start: the cluster cannot get the runner image `{image}`"
        )),
        "{report}"
    );
    // Each command whole on its line, to copy.
    for command in [
        format!("docker build -t {image} .\n"),
        format!(
            "docker save {image} | docker exec -i desktop-control-plane ctr -n k8s.io images import -\n"
        ),
        format!("kind load docker-image {image}\n"),
    ] {
        assert!(report.contains(&command), "{command}: {report}");
    }

    // The image imported, the next run replaces the Job whose pod waits in the
    // kubelet's pull back-off, and seeds at once.
    let job = jobs_of(&cluster, "seed-products");
    assert_eq!(job.len(), 1, "the stuck Job is there");
    let before = uid(&cluster, Kind::Job, &job[0]);
    cluster.behave("seed-products", ok(2));
    let started = tokio::time::Instant::now();
    run_with(&cluster, &compiled, &Options::default())
        .await
        .0
        .expect("the run with the image there");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "not waited out"
    );
    assert_ne!(uid(&cluster, Kind::Job, &job[0]), before, "a new Job");
}

/// A hook whose first pod fails and whose Job controller starts a second: the run
/// waits for the Job, not for its first pod, and shows each attempt's log from its
/// first line (the lines are counted per pod).
#[tokio::test(start_paused = true)]
async fn a_retried_job_shows_every_attempts_log() {
    let compiled = Compiled::new(SHOP);
    let cluster = shop_cluster();
    cluster.behave("migrate", failing(3, Failure::RetriedOnce));
    cluster.log(
        "migrate",
        "applying 0001_init.sql\napplying 0002_orders.sql",
    );
    let (outcome, progress) = run_with(&cluster, &compiled, &Options::default()).await;
    outcome.expect("the second attempt succeeds");
    let logged: Vec<String> = progress
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("Log") && l.contains("migrate"))
        .collect();
    let first = |text: &str| logged.iter().filter(|l| l.contains(text)).count();
    assert_eq!(first("applying 0001_init.sql"), 2, "{logged:#?}");
    assert_eq!(first("applying 0002_orders.sql"), 2, "{logged:#?}");
    assert_eq!(first(floe::cluster::fake::FAILED_ATTEMPT), 1, "{logged:#?}");
    let job = jobs_of(&cluster, "migrate");
    let status = cluster
        .object(&ObjectRef::new(Kind::Job, "shop", &job[0]))
        .map(|j| j["status"].clone());
    assert_eq!(
        status
            .as_ref()
            .map(|s| (s["failed"].clone(), s["succeeded"].clone())),
        Some((json!(1), json!(1)))
    );
}

/// Runs the stack and counts the applies of the Jobs of the hook and the seed.
async fn run_counting(cluster: &FakeCluster, compiled: &Compiled) -> (usize, usize) {
    run_with(cluster, compiled, &Options::default())
        .await
        .0
        .expect("the run");
    (
        applies(cluster, Kind::Job, "migrate-"),
        applies(cluster, Kind::Job, "seed-products-"),
    )
}

/// A database on an emptyDir whose pod was made anew (a restart, an eviction)
/// lost its data: the next run runs again the hook that prepared it and the seed
/// that comes after, instead of keeping them as completed, and restarts the
/// service without volumes that needs it. With its pods unchanged nothing runs
/// again, and a restart of a database on a volume claim renews nothing.
#[tokio::test(start_paused = true)]
async fn hooks_and_seeds_run_again_when_ephemeral_data_was_lost() {
    let ephemeral =
        Compiled::new(&SHOP.replace("size = 1Gi } }", "size = 1Gi, storage = ephemeral } }"));
    let cluster = shop_cluster();
    assert_eq!(run_counting(&cluster, &ephemeral).await, (1, 1));
    let parent = cluster
        .object(&ObjectRef::new(Kind::Secret, "shop", "floe-shop"))
        .expect("the parent");
    let recorded = parent["metadata"]["annotations"]["floe.dev/data-pods"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(recorded.contains("service/db"), "{recorded}");
    let api_pod = || {
        cluster
            .pods()
            .iter()
            .filter(|p| {
                p["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("api-"))
            })
            .map(|p| p["metadata"]["uid"].to_string())
            .collect::<Vec<_>>()
    };
    let first = api_pod();
    let nothing = run_counting(&cluster, &ephemeral).await;
    assert_eq!(nothing, (1, 1), "nothing lost, nothing run again");
    assert_eq!(api_pod(), first, "api kept its pod");
    cluster.recreate_pods("db");
    let again = run_counting(&cluster, &ephemeral).await;
    assert_eq!(again, (2, 2), "the hook and the seed again");
    // api needs db and has no volumes: restarted, it holds nothing of the old data.
    let restarted = api_pod();
    assert!(restarted.len() == 1 && restarted != first, "{restarted:?}");
    assert_eq!(run_counting(&cluster, &ephemeral).await, (2, 2), "once");
    assert_eq!(api_pod(), restarted);

    let persistent = Compiled::new(SHOP);
    let cluster = shop_cluster();
    assert_eq!(run_counting(&cluster, &persistent).await, (1, 1));
    cluster.recreate_pods("db");
    let kept = run_counting(&cluster, &persistent).await;
    assert_eq!(kept, (1, 1), "the claim kept the data");
}
