//! The data benchmark: seed generated rows into a table of the embedded catalog and
//! run checks over them. Reports rows per second written (generation, Parquet files
//! and the commit) and the time per check (median of several runs); checks stream
//! their tables from the catalog.
//!
//! Then the large checks, side by side, each in a child process of its own so that
//! its peak memory (`VmHWM`) is its own: the checks streaming over `LARGE` rows
//! with DuckDB limited to 1 GiB, and the same checks after copying the table into
//! DuckDB first (how checks read tables before they streamed) over `COPIED` rows.
//!
//! Run with `cargo bench --bench seed` (add row counts to choose others:
//! `cargo bench --bench seed -- 5000000 100000000 1000000`: seed, large, copied).
//! Targets: at least 3,000,000 rows/s written, at most 0.2 s per check on the seed
//! rows, the large checks pass within the memory limit.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use floe::data::catalog;
use floe::data::generate::Resolver;
use floe::data::seed;
use floe::data::sql::DuckDbValidator;
use floe::data::verify;
use floe::program::{self, RealFs};

const RUNS: usize = 5;

fn stack(rows: u64) -> String {
    format!(
        r#"
stack bench {{}}
catalog lake {{ warehouse = "bench" }}

table customers {{
  catalog = lake
  name = "bench.customers"
  columns = {{ id = long required, name = string }}
  seed = generate(10000, {{ id = sequence(1), name = "customer-${{sequence(1)}}" }})
}}

table orders {{
  catalog = lake
  name = "bench.orders"
  columns = {{
    id = long required
    customer_id = long required
    amount = decimal(10, 2)
    status = string
    day = date
  }}
  seed = generate({rows}, {{
    id = sequence(1)
    customer_id = customers.id
    amount = between(1.00, 500.00)
    status = pick(["new", "paid", "shipped"])
    day = between("2024-01-01", "2024-12-31")
  }})
  when = always
}}

check orphans {{
  sql = "SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL"
  expect = 0
}}

check revenue_by_status {{
  sql = "SELECT count(DISTINCT status) FROM (SELECT status, sum(amount) FROM orders GROUP BY status)"
  expect = 3
}}

check rows {{
  sql = "SELECT count(*) FROM orders"
  expect > 0
}}
"#
    )
}

/// The large checks: a `GROUP BY` with a group per id (a hash table as large as
/// the table, which spills under the memory limit) and an anti-join against the
/// keys table.
const LARGE_CHECKS: [(&str, &str); 2] = [
    (
        "group_by",
        "SELECT count(*) FROM (SELECT id, sum(amount) FROM orders GROUP BY id)",
    ),
    (
        "anti_join",
        "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = o.customer_id)",
    ),
];

/// The peak resident memory of this process, in MiB.
fn peak_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The bench stack's data plan with `rows` orders.
fn plan(dir: &std::path::Path, rows: u64) -> floe::plan::DataPlan {
    let main = dir.join("bench.floe");
    std::fs::write(&main, stack(rows)).expect("write");
    let program = program::load(&RealFs, &main).expect("load");
    let sql = DuckDbValidator::new();
    let compilation = floe::compile_with(&program, &RealFs, None, Some(&sql));
    let stack = compilation.stack.expect("the bench stack compiles");
    floe::plan::DataPlan::new(&stack)
}

/// Seeds both tables of `plan` into `warehouse`.
fn seed_all(
    rt: &tokio::runtime::Runtime,
    plan: &floe::plan::DataPlan,
    warehouse: &std::path::Path,
) -> catalog::Session {
    let session = rt
        .block_on(catalog::open_local(warehouse, "lake"))
        .expect("catalog");
    let catalog = rt.block_on(session.catalog()).expect("catalog");
    let mut resolver = Resolver::new(plan);
    for table in &plan.tables {
        rt.block_on(seed::seed_table(
            catalog.as_ref(),
            plan,
            table,
            &mut resolver,
        ))
        .expect("seeded");
    }
    session
}

/// A child process: seeds `rows` orders, runs the large checks (`stream`, or
/// `copy` into DuckDB first) and prints their times and its peak memory.
fn large(mode: &str, rows: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = plan(dir.path(), rows);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let start = Instant::now();
    let session = seed_all(&rt, &plan, &dir.path().join("wh"));
    let seeded = start.elapsed();
    let sessions = BTreeMap::from([("lake".to_string(), session)]);
    let conn = rt.block_on(verify::load(&plan, &sessions)).expect("load");
    let start = Instant::now();
    if mode == "copy" {
        conn.execute_batch(
            "CREATE TABLE orders_copy AS SELECT * FROM orders; CREATE TABLE customers_copy AS SELECT * FROM customers; DROP VIEW orders; DROP VIEW customers; ALTER TABLE orders_copy RENAME TO orders; ALTER TABLE customers_copy RENAME TO customers;",
        )
        .expect("copied");
    }
    let copied = start.elapsed();
    let mut line = format!(
        "{mode} {rows} rows (seeded in {:.1} s): ",
        seeded.as_secs_f64()
    );
    if mode == "copy" {
        line.push_str(&format!("copy {:.2} s, ", copied.as_secs_f64()));
    }
    for (name, sql) in LARGE_CHECKS {
        let start = Instant::now();
        let count: i64 = conn
            .query_row(sql, [], |r| r.get(0))
            .expect("the check runs");
        let expected = if name == "group_by" { rows as i64 } else { 0 };
        assert_eq!(count, expected, "{name}");
        line.push_str(&format!("{name} {:.2} s, ", start.elapsed().as_secs_f64()));
    }
    println!("{line}peak {} MiB", peak_mib());
}

/// Runs [`large`] in a child process with `memory` as DuckDB's limit (none: its
/// default) and prints what it printed.
fn child(mode: &str, rows: u64, memory: Option<&str>) {
    let mut command = std::process::Command::new(std::env::current_exe().expect("this bench"));
    command.args(["--large", mode, &rows.to_string()]);
    match memory {
        Some(m) => command.env(verify::MEMORY, m),
        None => command.env_remove(verify::MEMORY),
    };
    let output = command.output().expect("the child runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let limit = memory.unwrap_or("DuckDB's default");
    print!(
        "memory limit {limit}: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, mode, rows] = args.as_slice()
        && flag == "--large"
    {
        large(mode, rows.parse().expect("a row count"));
        return;
    }
    let counts: Vec<u64> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let rows = counts.first().copied().unwrap_or(1_000_000);
    let large_rows = counts.get(1).copied().unwrap_or(100_000_000);
    let copied_rows = counts.get(2).copied().unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = plan(dir.path(), rows);
    let rt = tokio::runtime::Runtime::new().expect("runtime");

    // Seed into a fresh table each run: the orders table of a new warehouse.
    let mut seeding = Vec::new();
    let mut last_warehouse = None;
    for _ in 0..RUNS {
        let warehouse = tempfile::tempdir().expect("temp dir");
        let session = rt
            .block_on(catalog::open_local(warehouse.path(), "lake"))
            .expect("catalog");
        let catalog = rt.block_on(session.catalog()).expect("catalog");
        let mut resolver = Resolver::new(&plan);
        let customers = &plan.tables[0];
        rt.block_on(seed::seed_table(
            catalog.as_ref(),
            &plan,
            customers,
            &mut resolver,
        ))
        .expect("customers");
        let orders = &plan.tables[1];
        let start = Instant::now();
        rt.block_on(seed::seed_table(
            catalog.as_ref(),
            &plan,
            orders,
            &mut resolver,
        ))
        .expect("orders");
        seeding.push(start.elapsed());
        last_warehouse = Some((warehouse, session));
    }
    let seed_time = median(seeding);
    let rate = rows as f64 / seed_time.as_secs_f64();
    println!(
        "seed: {rows} rows in {:.3} s (median of {RUNS}): {:.0} rows/s",
        seed_time.as_secs_f64(),
        rate
    );

    let (warehouse, session) = last_warehouse.expect("a warehouse");
    let sessions = BTreeMap::from([("lake".to_string(), session)]);
    let conn = rt.block_on(verify::load(&plan, &sessions)).expect("load");
    for check in &plan.checks {
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let results = verify::run_checks(&conn, std::slice::from_ref(check));
            times.push(start.elapsed());
            assert!(results.iter().all(|r| r.passed), "{results:?}");
        }
        println!(
            "check {}: {:.4} s (median of {RUNS})",
            check.name,
            median(times).as_secs_f64()
        );
    }
    drop(warehouse);

    child("copy", copied_rows, None);
    child("stream", copied_rows, Some("1GiB"));
    child("stream", large_rows, Some("1GiB"));
}
