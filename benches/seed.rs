//! The data benchmark: seed generated rows into a table of the embedded catalog and
//! run checks over them. Reports rows per second written (generation, Parquet files
//! and the commit) and the time per check (median of several runs), separately from
//! the time it takes to read the table into DuckDB.
//!
//! Run with `cargo bench --bench seed` (add a row count to choose another:
//! `cargo bench --bench seed -- 5000000`). Targets: at least 1,000,000 rows/s
//! written, at most 0.2 s per check.

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

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let rows: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let main = dir.path().join("bench.floe");
    std::fs::write(&main, stack(rows)).expect("write");
    let program = program::load(&RealFs, &main).expect("load");
    let sql = DuckDbValidator::new();
    let compilation = floe::compile_with(&program, &RealFs, None, Some(&sql));
    let stack = compilation.stack.expect("the bench stack compiles");
    let plan = floe::plan::DataPlan::new(&stack);
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
    let start = Instant::now();
    let conn = rt.block_on(verify::load(&plan, &sessions)).expect("load");
    println!(
        "load into DuckDB: {:.3} s for {} tables",
        start.elapsed().as_secs_f64(),
        verify::tables_used(&plan).len()
    );
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
}
