//! The run benchmark: `floe run` of `examples/demo.floe` on the in-memory fake
//! cluster, with simulated readiness times per item, on tokio's paused clock (so
//! simulated seconds are exact and cost no real time).
//!
//! Reports the run's simulated time against the plan's critical path (the longest
//! chain of readiness times through the dependencies; target: within 5%), against
//! waves separated by barriers (computed), and against applying one item at a time
//! (the same items, each after the one before), and the real time the orchestration
//! itself took. Run with `cargo bench --bench run`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use floe::cluster::fake::{Behaviour, FakeCluster};
use floe::cluster::run::{self, Input, Options, Silent};
use floe::plan::{Plan, Step, StepKind, Wave};
use floe::program::{self, RealFs};

/// Simulated readiness time of a step, in seconds: databases and the catalog are
/// slow to start, stateless services quick, Jobs short.
fn seconds(step: &Step) -> u64 {
    match step.kind {
        StepKind::Service if step.name.contains("postgres") || step.name.contains("db") => 12,
        StepKind::Service if step.name.contains("catalog") => 20,
        StepKind::Service if step.name.contains("lake") => 8,
        StepKind::Service => 6,
        StepKind::Hook => 5,
        StepKind::Seed => 4,
        StepKind::Verify => 3,
    }
}

fn key(step: &Step) -> String {
    format!("{}/{}", step.kind.as_str(), step.name)
}

/// The longest chain of readiness times through the plan's dependencies.
fn critical_path(plan: &Plan) -> u64 {
    let mut finish: BTreeMap<String, u64> = BTreeMap::new();
    for wave in &plan.waves {
        for step in &wave.steps {
            let start = step
                .after
                .iter()
                .filter_map(|d| finish.get(d))
                .max()
                .copied()
                .unwrap_or(0);
            finish.insert(key(step), start + seconds(step));
        }
    }
    finish.values().copied().max().unwrap_or(0)
}

/// The same steps one per wave, in wave order, each after the one before.
fn one_at_a_time(plan: &Plan) -> Plan {
    let mut previous: Option<String> = None;
    let mut waves = Vec::new();
    for step in plan.waves.iter().flat_map(|w| &w.steps) {
        let mut step = step.clone();
        step.after.extend(previous.replace(key(&step)));
        waves.push(Wave { steps: vec![step] });
    }
    Plan {
        waves,
        ..plan.clone()
    }
}

fn cluster_for(plan: &Plan) -> FakeCluster {
    let cluster = FakeCluster::new(Duration::from_secs(1));
    for step in plan.waves.iter().flat_map(|w| &w.steps) {
        let after = Duration::from_secs(seconds(step));
        cluster.behave(
            &step.name,
            Behaviour {
                after,
                failure: None,
            },
        );
        if step.kind == StepKind::Verify {
            cluster.checks(&step.name, &plan.stack, &[]);
        }
    }
    cluster
}

/// Runs the plan on a fresh fake; simulated seconds and real time.
fn measure(
    compilation: &floe::Compilation,
    plan: &Plan,
    env: &HashMap<String, String>,
) -> (f64, Duration) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    let stack = compilation.stack.as_ref().expect("the demo compiles");
    let input = Input {
        stack,
        objects: &compilation.objects,
        plan,
    };
    let cluster = cluster_for(plan);
    let started = Instant::now();
    let outcome = runtime
        .block_on(run::run(&cluster, input, env, &Options::default(), &Silent))
        .unwrap_or_else(|e| panic!("the run fails: {}", e.headline()));
    (outcome.seconds, started.elapsed())
}

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo.floe");
    let program = program::load(&RealFs, &path).expect("the demo loads");
    let compilation = floe::compile(&program, &RealFs, None);
    let stack = compilation.stack.as_ref().expect("the demo compiles");
    let env: HashMap<String, String> = floe::cluster::secrets::missing_env(stack, &HashMap::new())
        .into_iter()
        .map(|m| (m.var, "bench-value".to_string()))
        .collect();
    let plan = floe::plan::plan(stack);
    let steps: usize = plan.waves.iter().map(|w| w.steps.len()).sum();
    let critical = critical_path(&plan);
    let sequential_sum: u64 = plan.waves.iter().flat_map(|w| &w.steps).map(seconds).sum();
    let barriers: u64 = plan
        .waves
        .iter()
        .map(|w| w.steps.iter().map(seconds).max().unwrap_or(0))
        .sum();
    let (parallel, real) = measure(&compilation, &plan, &env);
    let (sequential, _) = measure(&compilation, &one_at_a_time(&plan), &env);
    let over = (parallel / critical as f64 - 1.0) * 100.0;
    println!(
        "demo: {steps} items in {} waves, {} objects",
        plan.waves.len(),
        compilation.objects.len()
    );
    println!("critical path           {critical:>6} s (simulated)");
    println!(
        "floe run                {parallel:>6.1} s ({over:+.1}% of the critical path; target within 5%)"
    );
    println!(
        "waves with a barrier    {barriers:>6} s (computed: each wave waits for the slowest of the one before)"
    );
    println!(
        "one item at a time      {sequential:>6.1} s (sum of readiness times {sequential_sum} s)"
    );
    println!("speed-up                {:>6.2}x", sequential / parallel);
    println!(
        "orchestration real time {:>6.1} ms",
        real.as_secs_f64() * 1000.0
    );
}
