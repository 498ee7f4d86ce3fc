//! The data engine end to end: seeding and checking on the embedded catalog
//! (through the library and the CLI), determinism and idempotency, a failed write
//! that leaves nothing, S3 storage on a real S3-protocol server, and the REST
//! catalog client at the HTTP level.

mod rest;
mod s3;
mod writers;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use floe::data::catalog::{self, Session};
use floe::data::generate::Resolver;
use floe::data::run::{self, Event, Progress};
use floe::data::seed::{self, Outcome};
use floe::data::sql::DuckDbValidator;
use floe::data::verify;
use floe::plan::DataPlan;
use floe::program::{self, RealFs};

use crate::support;

/// The shop stack of `tests/data/data/shop`.
const SHOP: &str = "tests/data/data/shop/main.floe";

/// The data plan of a stack, compiled with SQL verification; the stack must have
/// no errors.
pub fn plan_of(main: &Path) -> DataPlan {
    let program = program::load(&RealFs, main).expect("the stack is readable");
    let sql = DuckDbValidator::new();
    let compilation = floe::compile_with(&program, &RealFs, None, Some(&sql));
    let errors: Vec<String> = compilation
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{}: {errors:?}", main.display());
    DataPlan::new(compilation.stack.as_ref().expect("a stack"))
}

/// A stack written into a temporary directory.
pub fn stack_in(dir: &Path, source: &str) -> PathBuf {
    let main = dir.join("main.floe");
    std::fs::write(&main, source).expect("write the stack");
    main
}

/// Records events as short lines.
#[derive(Default)]
pub struct Events(pub Vec<String>);

impl Progress for Events {
    fn event(&mut self, event: &Event<'_>) {
        self.0.push(match event {
            Event::Seeding { table, rows } => format!("seeding {table} {rows}"),
            Event::Seeded { table, outcome, .. } => format!("seeded {table} {outcome:?}"),
            Event::Loading { tables } => format!("loading {tables}"),
            Event::Checked(r) => format!("check {} {}", r.name, r.passed),
        });
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("a tokio runtime")
}

/// Embedded sessions for every catalog of a plan.
pub fn local_sessions(
    rt: &tokio::runtime::Runtime,
    plan: &DataPlan,
    warehouse: &Path,
) -> BTreeMap<String, Session> {
    plan.catalogs
        .iter()
        .map(|c| {
            let session = rt
                .block_on(catalog::open_local(warehouse, &c.name))
                .expect("an embedded catalog");
            (c.name.clone(), session)
        })
        .collect()
}

/// One value of a query over the tables the plan's checks use, read back from the
/// catalog.
pub fn query_i64(
    rt: &tokio::runtime::Runtime,
    plan: &DataPlan,
    sessions: &BTreeMap<String, Session>,
    sql: &str,
) -> i64 {
    let conn = rt
        .block_on(verify::load(plan, sessions))
        .expect("tables load");
    conn.query_row(sql, [], |r| r.get::<_, i64>(0))
        .expect("the query runs")
}

/// The plan's one table, as its embedded catalog in `warehouse` has it.
fn only_table(
    rt: &tokio::runtime::Runtime,
    plan: &DataPlan,
    warehouse: &Path,
) -> iceberg::table::Table {
    let table = plan.tables.first().expect("the table");
    let sessions = local_sessions(rt, plan, warehouse);
    rt.block_on(async {
        let catalog = sessions[&table.catalog].catalog().await?;
        Ok::<_, floe::data::DataError>(catalog.load_table(&seed::ident(table)?).await?)
    })
    .expect("the table exists")
}

/// The rows of a table as two readers floe did not write see them, pyiceberg and
/// DuckDB's iceberg extension (`tests/readers/read_iceberg.py`): the `columns` by
/// name, each cast to text by DuckDB, rows sorted.
pub fn independent_rows(
    warehouse: &Path,
    catalog: &str,
    table: &str,
    columns: &[&str],
) -> BTreeMap<String, Vec<Vec<Option<String>>>> {
    let python = support::python_with(
        "pyiceberg, duckdb_extension_iceberg",
        &[
            "pyiceberg[sql-sqlite,pyarrow]==0.12.0",
            "duckdb==1.5.5",
            "duckdb-extension-iceberg==1.5.5",
            "duckdb-extension-avro==1.5.5",
        ],
    );
    let output = Command::new(python)
        .arg(support::root().join("tests/readers/read_iceberg.py"))
        .arg(warehouse)
        .arg(catalog)
        .arg(table)
        .args(columns)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "the readers failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the readers print JSON")
}

/// The rows of a table item as floe's checks see them, in the form of
/// [`independent_rows`].
pub fn floe_rows(
    rt: &tokio::runtime::Runtime,
    plan: &DataPlan,
    sessions: &BTreeMap<String, Session>,
    item: &str,
    columns: &[&str],
) -> Vec<Vec<Option<String>>> {
    let conn = rt
        .block_on(verify::load(plan, sessions))
        .expect("tables load");
    let cast: Vec<String> = columns
        .iter()
        .map(|c| format!("CAST(\"{c}\" AS VARCHAR)"))
        .collect();
    let sql = format!("SELECT {} FROM {item} ORDER BY ALL", cast.join(", "));
    let mut statement = conn.prepare(&sql).expect("the query prepares");
    let rows = statement
        .query_map([], |row| {
            (0..columns.len())
                .map(|i| row.get::<_, Option<String>>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("the query runs");
    rows.collect::<Result<_, _>>().expect("rows")
}

fn floe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_floe"))
}

#[test]
fn local_run_seeds_then_checks_and_a_second_run_adds_nothing() {
    let plan = plan_of(Path::new(SHOP));
    let dir = tempfile::tempdir().expect("temp dir");
    let mut events = Events::default();
    let results = run::run_local(&plan, dir.path(), &mut events).expect("the run finishes");
    let failed: Vec<_> = results.iter().filter(|r| !r.passed).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(results.len(), 10);
    assert_eq!(
        events.0[..6],
        [
            "seeding customers 3",
            "seeded customers Written { rows: 3, files: 1 }",
            "seeding products 4",
            "seeded products Written { rows: 4, files: 1 }",
            "seeding orders 5000",
            "seeded orders Written { rows: 5000, files: 1 }",
        ]
    );
    assert_eq!(events.0[6], "loading 3");

    let mut again = Events::default();
    let results = run::run_local(&plan, dir.path(), &mut again).expect("the second run finishes");
    assert!(results.iter().all(|r| r.passed), "{results:#?}");
    assert_eq!(again.0[1], "seeded customers Kept { rows: 3 }");
    assert_eq!(again.0[5], "seeded orders Kept { rows: 5000 }");
}

/// Every table of the shop — rows in the source, a CSV file, generated rows that
/// pick from both — reads the same in floe's checks, pyiceberg and DuckDB's iceberg
/// extension, every column by name, row for row.
#[test]
fn the_shop_reads_the_same_in_floe_and_in_two_independent_readers() {
    let plan = plan_of(Path::new(SHOP));
    let dir = tempfile::tempdir().expect("temp dir");
    run::run_local(&plan, dir.path(), &mut Events::default()).expect("the run finishes");
    let rt = runtime();
    let sessions = local_sessions(&rt, &plan, dir.path());
    for table in &plan.tables {
        let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        let ours = floe_rows(&rt, &plan, &sessions, &table.name, &columns);
        let dotted = format!("{}.{}", table.namespace.join("."), table.table);
        let seen = independent_rows(dir.path(), &table.catalog, &dotted, &columns);
        assert!(!ours.is_empty(), "{}", table.name);
        assert_eq!(seen["pyiceberg"], ours, "{} in pyiceberg", table.name);
        assert_eq!(seen["duckdb"], ours, "{} in DuckDB", table.name);
    }
}

#[test]
fn generated_rows_are_the_same_in_every_warehouse() {
    let plan = plan_of(Path::new(SHOP));
    let rt = runtime();
    let fingerprint = |dir: &Path| {
        run::run_local(&plan, dir, &mut Events::default()).expect("the run finishes");
        let sessions = local_sessions(&rt, &plan, dir);
        query_i64(
            &rt,
            &plan,
            &sessions,
            "SELECT sum(hash(id, customer_id, sku, price, quantity, weight, \"ref\", day, \"at\") % 1000000007)::BIGINT FROM orders",
        )
    };
    let a = tempfile::tempdir().expect("temp dir");
    let b = tempfile::tempdir().expect("temp dir");
    assert_eq!(fingerprint(a.path()), fingerprint(b.path()));
}

#[test]
fn when_always_appends_on_every_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let main = stack_in(
        dir.path(),
        r#"
stack log {}
catalog lake { warehouse = "log" }
table events {
  catalog = lake
  name = "log.events"
  columns = { id = long required, kind = string }
  seed = generate(10, { id = sequence(1), kind = pick(["a", "b"]) })
  when = always
}
check has_events {
  sql = "SELECT count(*) FROM events"
  expect > 0
}
"#,
    );
    let plan = plan_of(&main);
    let warehouse = dir.path().join("wh");
    for _ in 0..3 {
        run::run_local(&plan, &warehouse, &mut Events::default()).expect("the run finishes");
    }
    let rt = runtime();
    let sessions = local_sessions(&rt, &plan, &warehouse);
    assert_eq!(
        query_i64(&rt, &plan, &sessions, "SELECT count(*) FROM events"),
        30
    );
    assert_eq!(
        query_i64(
            &rt,
            &plan,
            &sessions,
            "SELECT count(DISTINCT id) FROM events"
        ),
        10
    );
}

/// A table that exists with the declared columns in another order (made by
/// another tool, or by an older declaration) is written and read by column name:
/// floe's checks and two independent readers see the same, right rows.
#[test]
fn columns_are_matched_by_name_when_the_table_has_another_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stack = |columns: &str, seed: &str| {
        format!(
            r#"
stack people {{}}
catalog lake {{ warehouse = "people" }}
table people {{
  catalog = lake
  name = "crm.people"
  columns = {{ {columns} }}
  {seed}
}}
check ada {{
  sql = "SELECT count(*) FROM people WHERE first = 'Ada' AND last = 'Lovelace' AND born = 1815"
  expect = 1
}}
"#
        )
    };
    let warehouse = dir.path().join("wh");
    let older = tempfile::tempdir().expect("temp dir");
    let older = plan_of(&stack_in(
        older.path(),
        &stack("born = int, last = string, first = string required", ""),
    ));
    let rt = runtime();
    let sessions = local_sessions(&rt, &older, &warehouse);
    let catalog = rt.block_on(sessions["lake"].catalog()).expect("catalog");
    rt.block_on(seed::ensure_table(catalog.as_ref(), &older.tables[0]))
        .expect("the table is made with the older order");

    let plan = plan_of(&stack_in(
        dir.path(),
        &stack(
            "first = string required, last = string, born = int",
            r#"rows = [{ first = "Ada", last = "Lovelace", born = 1815 }, { first = "Alan", born = 1912 }]"#,
        ),
    ));
    let results = run::run_local(&plan, &warehouse, &mut Events::default()).expect("the run");
    assert!(results.iter().all(|r| r.passed), "{results:#?}");

    let columns = ["first", "last", "born"];
    let text = |s: &str| Some(s.to_string());
    let expected = vec![
        vec![text("Ada"), text("Lovelace"), text("1815")],
        vec![text("Alan"), None, text("1912")],
    ];
    let sessions = local_sessions(&rt, &plan, &warehouse);
    assert_eq!(
        floe_rows(&rt, &plan, &sessions, "people", &columns),
        expected
    );
    let seen = independent_rows(&warehouse, "lake", "crm.people", &columns);
    assert_eq!(seen["pyiceberg"], expected);
    assert_eq!(seen["duckdb"], expected);
}

/// Every column type, with nulls, read back by floe's checks and by two readers
/// floe did not write: the same values, row for row, by column name.
#[test]
fn every_column_type_reads_the_same_in_floe_pyiceberg_and_duckdb() {
    let dir = tempfile::tempdir().expect("temp dir");
    let main = stack_in(
        dir.path(),
        r#"
stack kinds {}
catalog lake { warehouse = "kinds" }
table kinds {
  catalog = lake
  name = "all.kinds"
  columns = {
    id = long required, flag = boolean, small = int, ratio = float, score = double
    price = decimal(12, 3), name = string, day = date, at = timestamp
    instant = timestamptz, key = uuid, raw = binary
  }
  rows = [
    { id = 1, flag = true, small = -7, ratio = 0.5, score = 2.25, price = "12345.678",
      name = "Ada", day = "2024-02-29", at = "2024-02-29 13:45:00",
      instant = "2024-02-29 13:45:00+01:00", key = "0190f1b6-2c8e-7d3a-9f00-5a1b2c3d4e5f",
      raw = "bytes" },
    { id = 2 },
  ]
}
check has_key {
  sql = "SELECT count(*) FROM kinds WHERE key = '0190f1b6-2c8e-7d3a-9f00-5a1b2c3d4e5f'"
  expect = 1
}
"#,
    );
    let plan = plan_of(&main);
    let warehouse = dir.path().join("wh");
    let results = run::run_local(&plan, &warehouse, &mut Events::default()).expect("the run");
    assert!(results.iter().all(|r| r.passed), "{results:#?}");
    let columns = [
        "id", "flag", "small", "ratio", "score", "price", "name", "day", "at", "instant", "key",
        "raw",
    ];
    let rt = runtime();
    let sessions = local_sessions(&rt, &plan, &warehouse);
    let ours = floe_rows(&rt, &plan, &sessions, "kinds", &columns);
    let text = |s: &str| Some(s.to_string());
    assert_eq!(
        ours[0],
        [
            text("1"),
            text("true"),
            text("-7"),
            text("0.5"),
            text("2.25"),
            text("12345.678"),
            text("Ada"),
            text("2024-02-29"),
            text("2024-02-29 13:45:00"),
            text("2024-02-29 12:45:00+00"),
            text("0190f1b6-2c8e-7d3a-9f00-5a1b2c3d4e5f"),
            text("bytes"),
        ]
    );
    let mut second = vec![None; columns.len()];
    second[0] = text("2");
    assert_eq!(ours[1], second);
    let seen = independent_rows(&warehouse, "lake", "all.kinds", &columns);
    assert_eq!(seen["pyiceberg"], ours);
    assert_eq!(seen["duckdb"], ours);
}

/// Data files carry what other engines need of them: `uuid` columns have Parquet's
/// UUID logical type (the Iceberg spec's Parquet mapping), and each file's bounds
/// are the true minimum and maximum of its columns, which readers prune files by.
#[test]
fn data_files_have_uuid_logical_types_and_true_bounds() {
    use iceberg::spec::{Datum, PrimitiveType};
    use parquet::basic::LogicalType;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    let dir = tempfile::tempdir().expect("temp dir");
    let main = stack_in(
        dir.path(),
        r#"
stack keys {}
catalog lake { warehouse = "keys" }
table keys {
  catalog = lake
  name = "k.keys"
  columns = { id = long required, key = uuid, name = string, price = decimal(6, 2), day = date }
  rows = [
    { id = 7, key = "0190f1b6-2c8e-7d3a-9f00-5a1b2c3d4e5f", name = "b", price = "-3.50", day = "2024-03-01" },
    { id = -2, key = "ffffffff-0000-0000-0000-000000000001", name = "a", price = "120.25" },
    { id = 40, name = "c", day = "1999-12-31" },
  ]
}
"#,
    );
    let plan = plan_of(&main);
    let warehouse = dir.path().join("wh");
    run::run_local(&plan, &warehouse, &mut Events::default()).expect("the run");
    let files = parquet_files(&warehouse);
    assert_eq!(files.len(), 1);
    let reader = SerializedFileReader::new(std::fs::File::open(&files[0]).expect("the file"))
        .expect("a Parquet file");
    let schema = reader.metadata().file_metadata().schema_descr();
    let key = (0..schema.num_columns())
        .map(|i| schema.column(i))
        .find(|c| c.name() == "key")
        .expect("the key column");
    assert_eq!(key.logical_type_ref(), Some(&LogicalType::Uuid));

    let rt = runtime();
    let table = only_table(&rt, &plan, &warehouse);
    let entries = rt.block_on(async {
        let snapshot = table.metadata().current_snapshot().expect("a snapshot");
        let list = table.manifest_list_reader(snapshot).load().await?;
        let manifest = list.entries()[0].load_manifest(table.file_io()).await?;
        Ok::<_, iceberg::Error>(manifest.entries().to_vec())
    });
    let entries = entries.expect("the manifest");
    let file = entries[0].data_file();
    let schema = table.metadata().current_schema();
    let id = |name: &str| schema.field_by_name(name).expect("a column").id;
    let bounds = |name: &str| {
        (
            file.lower_bounds().get(&id(name)).cloned(),
            file.upper_bounds().get(&id(name)).cloned(),
        )
    };
    assert_eq!(bounds("id"), (Some(Datum::long(-2)), Some(Datum::long(40))));
    assert_eq!(
        bounds("name"),
        (Some(Datum::string("a")), Some(Datum::string("c")))
    );
    let uuid = |text: &str| Datum::uuid(text.parse().expect("a uuid"));
    assert_eq!(
        bounds("key"),
        (
            Some(uuid("0190f1b6-2c8e-7d3a-9f00-5a1b2c3d4e5f")),
            Some(uuid("ffffffff-0000-0000-0000-000000000001"))
        )
    );
    let decimal = |unscaled: i128| {
        Datum::try_from_bytes(
            &unscaled.to_be_bytes(),
            PrimitiveType::Decimal {
                precision: 6,
                scale: 2,
            },
        )
        .expect("a decimal")
    };
    assert_eq!(bounds("price"), (Some(decimal(-350)), Some(decimal(12025))));
    // 1999-12-31 and 2024-03-01 as days since 1970-01-01.
    assert_eq!(
        bounds("day"),
        (Some(Datum::date(10_956)), Some(Datum::date(19_783)))
    );
    assert_eq!(file.record_count(), 3);
    assert_eq!(file.null_value_counts().get(&id("key")), Some(&1));
    assert_eq!(file.value_counts().get(&id("day")), Some(&3));

    // Pruning by those bounds keeps the right rows in both independent readers.
    let seen = independent_rows(&warehouse, "lake", "k.keys", &["id", "key"]);
    assert_eq!(seen["pyiceberg"].len(), 3);
    assert_eq!(seen["pyiceberg"], seen["duckdb"]);
}

/// A seed of no rows (`generate(0, …)`, an empty CSV) changes nothing: no empty
/// snapshot is committed, on the first run or any later one.
#[test]
fn an_empty_seed_commits_no_snapshot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let main = stack_in(
        dir.path(),
        r#"
stack log {}
catalog lake { warehouse = "log" }
table events {
  catalog = lake
  name = "log.events"
  columns = { id = long required }
  seed = generate(0, { id = sequence(1) })
  when = always
}
"#,
    );
    let plan = plan_of(&main);
    let warehouse = dir.path().join("wh");
    for _ in 0..3 {
        run::run_local(&plan, &warehouse, &mut Events::default()).expect("the run finishes");
    }
    let rt = runtime();
    let loaded = only_table(&rt, &plan, &warehouse);
    assert_eq!(loaded.metadata().snapshots().count(), 0);
}

/// `total-records` is optional in a snapshot's summary (Iceberg spec, "Snapshot
/// Summary"): a table another writer committed without it is still seen to have
/// rows, counted from its manifests, and `when = empty` keeps it.
#[test]
fn emptiness_is_counted_from_the_manifests_without_a_summary_total() {
    let dir = tempfile::tempdir().expect("temp dir");
    let main = stack_in(
        dir.path(),
        r#"
stack log {}
catalog lake { warehouse = "log" }
table events {
  catalog = lake
  name = "log.events"
  columns = { id = long required }
  seed = generate(8, { id = sequence(1) })
}
"#,
    );
    let plan = plan_of(&main);
    let warehouse = dir.path().join("wh");
    run::run_local(&plan, &warehouse, &mut Events::default()).expect("the first run");
    let mut stripped = 0;
    for path in support::files_under_abs(&warehouse, ".metadata.json") {
        let text = std::fs::read_to_string(&path).expect("metadata");
        let mut metadata: serde_json::Value = serde_json::from_str(&text).expect("json");
        for snapshot in metadata["snapshots"].as_array_mut().into_iter().flatten() {
            if let Some(summary) = snapshot["summary"].as_object_mut() {
                stripped += usize::from(summary.remove("total-records").is_some());
            }
        }
        std::fs::write(&path, metadata.to_string()).expect("rewritten");
    }
    assert!(stripped > 0, "a summary had the total");
    let mut again = Events::default();
    run::run_local(&plan, &warehouse, &mut again).expect("the second run");
    assert!(
        again
            .0
            .contains(&"seeded events Kept { rows: 8 }".to_string()),
        "{:?}",
        again.0
    );
    let rt = runtime();
    let loaded = only_table(&rt, &plan, &warehouse);
    assert_eq!(loaded.metadata().snapshots().count(), 1, "not seeded again");
    let counted = rt.block_on(seed::row_count(&loaded)).expect("counted");
    assert_eq!(counted, 8);
}

/// Every `.parquet` file under `dir`.
pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    support::files_under_abs(dir, ".parquet")
}

/// Data files are compressed with zstd, the Iceberg default codec
/// (`write.parquet.compression-codec`, "zstd" since Iceberg 1.4), in every column
/// chunk, as pyiceberg and Spark write them.
#[test]
fn data_files_are_zstd_compressed() {
    use parquet::basic::Compression;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    let plan = plan_of(Path::new(SHOP));
    let dir = tempfile::tempdir().expect("temp dir");
    run::run_local(&plan, dir.path(), &mut Events::default()).expect("the run finishes");
    let files = parquet_files(dir.path());
    assert!(!files.is_empty());
    for path in &files {
        let file = std::fs::File::open(path).expect("a data file");
        let reader = SerializedFileReader::new(file).expect("a Parquet file");
        for group in reader.metadata().row_groups() {
            for chunk in group.columns() {
                assert!(
                    matches!(chunk.compression(), Compression::ZSTD(_)),
                    "{}: {:?} in {}",
                    chunk.column_path(),
                    chunk.compression(),
                    path.display()
                );
            }
        }
    }
}

#[test]
fn a_failed_commit_leaves_no_rows_and_no_files() {
    let plan = plan_of(Path::new(SHOP));
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = runtime();
    let sessions = local_sessions(&rt, &plan, dir.path());
    let real = rt.block_on(sessions["lake"].catalog()).expect("catalog");
    let failing = writers::Meddling::failing(real.clone());
    let table = plan
        .tables
        .iter()
        .find(|t| t.name == "orders")
        .expect("orders");
    let mut resolver = Resolver::new(&plan);
    let error = rt
        .block_on(seed::seed_table(&failing, &plan, table, &mut resolver))
        .expect_err("the commit fails");
    assert!(error.to_string().contains("nothing was added"), "{error}");
    let ident = seed::ident(table).expect("ident");
    let loaded = rt
        .block_on(real.load_table(&ident))
        .expect("the table was created");
    assert!(loaded.metadata().current_snapshot().is_none());
    assert_eq!(rt.block_on(seed::row_count(&loaded)).expect("counted"), 0);
    assert_eq!(parquet_files(dir.path()), Vec::<PathBuf>::new());

    // The same seed on the working catalog then writes every row, once.
    let outcome = rt
        .block_on(seed::seed_table(real.as_ref(), &plan, table, &mut resolver))
        .expect("the seed succeeds");
    assert_eq!(
        outcome,
        Outcome::Written {
            rows: 5000,
            files: 1
        }
    );
}

/// Customers rows `0..count`, the row `bad` without its required name.
fn customer_rows(count: u64, bad: Option<u64>) -> Vec<Vec<floe::model::Cell>> {
    use floe::model::Cell;
    (0..count)
        .map(|i| {
            let name = if Some(i) == bad {
                Cell::Null
            } else {
                Cell::String(format!("c{i}"))
            };
            vec![Cell::Int(i as i64), name, Cell::Null, Cell::Null]
        })
        .collect()
}

/// Seeds the shop's customers with `rows` into the warehouse `dir`.
fn seed_customers(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    rows: Vec<Vec<floe::model::Cell>>,
) -> (DataPlan, Result<Outcome, floe::data::DataError>) {
    let mut plan = plan_of(Path::new(SHOP));
    let table = plan
        .tables
        .iter_mut()
        .find(|t| t.name == "customers")
        .expect("customers");
    table.seed = Some(floe::model::Seed::Rows(rows));
    let table = table.clone();
    let sessions = local_sessions(rt, &plan, dir);
    let catalog = rt.block_on(sessions["lake"].catalog()).expect("catalog");
    let outcome = rt.block_on(seed::seed_table(
        catalog.as_ref(),
        &plan,
        &table,
        &mut Resolver::new(&plan),
    ));
    (plan, outcome)
}

/// The customers table exists and has no snapshot, and no row can be read.
fn assert_customers_empty(rt: &tokio::runtime::Runtime, plan: &DataPlan, dir: &Path) {
    let sessions = local_sessions(rt, plan, dir);
    let catalog = rt.block_on(sessions["lake"].catalog()).expect("catalog");
    let table = plan
        .tables
        .iter()
        .find(|t| t.name == "customers")
        .expect("customers");
    let loaded = rt
        .block_on(catalog.load_table(&seed::ident(table).expect("ident")))
        .expect("the table was created");
    assert!(loaded.metadata().current_snapshot().is_none());
    assert_eq!(
        query_i64(rt, plan, &sessions, "SELECT count(*) FROM customers"),
        0
    );
}

#[test]
fn a_write_that_fails_midway_leaves_no_rows() {
    // 70,000 rows whose last one breaks the `required` rule: the first batch of
    // 65,536 rows is written before the writer fails.
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = runtime();
    let (plan, outcome) = seed_customers(&rt, dir.path(), customer_rows(70_000, Some(69_999)));
    let error = outcome.expect_err("the write fails");
    assert!(
        error.to_string().contains("row 70000, column `name`"),
        "{error}"
    );
    assert_customers_empty(&rt, &plan, dir.path());
    // The failing part's file, half written, is deleted too (as after a full disk).
    assert_eq!(parquet_files(dir.path()), Vec::<PathBuf>::new());
}

#[test]
fn a_seed_larger_than_a_file_is_several_files_in_one_commit_or_nothing() {
    let count = 2 * seed::FILE_ROWS + 10;
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = runtime();
    // The last row breaks the `required` rule: the first two files are complete
    // when the third fails, and are deleted.
    let (plan, outcome) = seed_customers(&rt, dir.path(), customer_rows(count, Some(count - 1)));
    let error = outcome.expect_err("the write fails");
    assert!(
        error
            .to_string()
            .contains(&format!("row {count}, column `name`")),
        "{error}"
    );
    assert_customers_empty(&rt, &plan, dir.path());
    assert_eq!(parquet_files(dir.path()), Vec::<PathBuf>::new());

    let (plan, outcome) = seed_customers(&rt, dir.path(), customer_rows(count, None));
    assert_eq!(
        outcome.expect("the seed succeeds"),
        Outcome::Written {
            rows: count,
            files: 3
        }
    );
    assert_eq!(parquet_files(dir.path()).len(), 3);
    let sessions = local_sessions(&rt, &plan, dir.path());
    assert_eq!(
        query_i64(
            &rt,
            &plan,
            &sessions,
            "SELECT count(DISTINCT id) FROM customers"
        ),
        count as i64
    );
}

#[test]
fn floe_run_local_says_when_there_is_nothing_to_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let main = stack_in(
        dir.path(),
        "stack web {}\nservice app {\n  image = \"nginx:1.27\"\n  ports = { http = 80 }\n}\n",
    );
    let out = floe()
        .args(["run", "--local"])
        .arg(&main)
        .output()
        .expect("floe runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout, "0 passed, 0 failed\n");
    assert!(
        stderr.contains("declares no tables and no checks: nothing to seed or check"),
        "{stderr}"
    );
}

#[test]
fn floe_run_local_refuses_a_table_whose_columns_changed_and_says_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stack = |column: &str| {
        format!(
            "stack shop {{}}\ncatalog lake {{ warehouse = \"lake\" }}\n\
             table customers {{\n  catalog = lake\n  name = \"shop.customers\"\n  \
             columns = {{ id = long required, {column} = string }}\n  \
             rows = [{{ id = 1, {column} = \"GB\" }}]\n}}\n"
        )
    };
    let main = stack_in(dir.path(), &stack("country"));
    let run = || {
        floe()
            .args(["run", "--local"])
            .arg(&main)
            .output()
            .expect("floe runs")
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    std::fs::write(&main, stack("region")).expect("write the stack");
    let second = run();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "table `shop.customers` exists in the catalog with other columns (no column `region`)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: declare the columns it has, or drop it"),
        "{stderr}"
    );
    let warehouse = dir.path().join(".floe/warehouse");
    std::fs::remove_dir_all(&warehouse).expect("delete the warehouse");
    assert!(
        run().status.success(),
        "a fresh warehouse takes the new columns"
    );
}

/// `floe run --local` with a warehouse it cannot use says why and what to do, for
/// each cause its own way, without library internals and without advising to delete
/// anything.
#[test]
fn floe_run_local_names_the_cause_of_a_warehouse_failure_and_its_remedy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let main = stack_in(
        dir.path(),
        "stack s {}\ncatalog lake { warehouse = \"lake\" }\n\
         table t {\n  catalog = lake\n  name = \"a.t\"\n  columns = { id = long }\n  \
         rows = [{ id = 1 }]\n}\n",
    );
    let run = |warehouse: &Path| {
        let out = floe()
            .args(["run", "--local", "--warehouse"])
            .arg(warehouse)
            .arg(&main)
            .output()
            .expect("floe runs");
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").expect("a file");
    let stderr = run(&file);
    assert!(
        stderr.contains("a file is where a directory belongs"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: `--warehouse` needs a directory"),
        "{stderr}"
    );

    for name in ["wh#1", "wh?x", "100%"] {
        let warehouse = dir.path().join(name);
        let stderr = run(&warehouse);
        assert!(stderr.contains("its path has `"), "{name}: {stderr}");
        assert!(
            stderr.contains("help: choose a warehouse path without"),
            "{stderr}"
        );
        assert!(!warehouse.exists(), "{name}: nothing is made");
    }

    // A table whose files were removed outside floe.
    let warehouse = dir.path().join("wh");
    assert!(
        floe()
            .args(["run", "--local", "--warehouse"])
            .arg(&warehouse)
            .arg(&main)
            .status()
            .expect("floe runs")
            .success()
    );
    std::fs::remove_dir_all(warehouse.join("lake/a/t/metadata")).expect("remove the metadata");
    let stderr = run(&warehouse);
    assert!(
        stderr.contains("a file the catalog refers to is gone"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: the table's files were removed outside floe"),
        "{stderr}"
    );

    assert!(
        !stderr.contains("Unexpected =>") && !stderr.contains("sqlx"),
        "{stderr}"
    );
}

#[test]
fn floe_run_local_prints_results_and_counts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = floe()
        .args(["run", SHOP, "--local", "--warehouse"])
        .arg(dir.path())
        .current_dir(support::root())
        .output()
        .expect("floe runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        stdout.lines().last(),
        Some("10 passed, 0 failed"),
        "{stdout}"
    );
    assert!(stdout.starts_with("check "), "{stdout}");
    assert!(stderr.contains("seeded orders: 5000 rows"), "{stderr}");

    let out = floe()
        .args(["run", SHOP, "--local", "--output", "json", "--warehouse"])
        .arg(dir.path())
        .current_dir(support::root())
        .output()
        .expect("floe runs");
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    assert_eq!(lines[1]["event"], "seeded");
    assert_eq!(lines[1]["outcome"], "kept");
    let last = lines.last().expect("a summary");
    assert_eq!(last["event"], "summary");
    assert_eq!(last["passed"], 10);
    assert_eq!(last["failed"], 0);
}

#[test]
fn floe_run_exits_1_when_a_check_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let main = stack_in(
        dir.path(),
        r#"
stack tiny {}
catalog lake { warehouse = "tiny" }
table t {
  catalog = lake
  name = "tiny.t"
  columns = { id = long required }
  rows = [{ id = 1 }, { id = 2 }]
}
check two_rows {
  sql = "SELECT count(*) FROM t"
  expect = 2
}
check three_rows {
  sql = "SELECT count(*) FROM t"
  expect = 3
  description = "there should be three"
}
"#,
    );
    let out = floe()
        .args(["run"])
        .arg(&main)
        .arg("--local")
        .output()
        .expect("floe runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("three_rows  = 3       2       FAILED"),
        "{stdout}"
    );
    assert!(
        stdout.contains("three_rows: there should be three"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("1 passed, 1 failed"));
    // The default warehouse is next to the stack.
    assert!(dir.path().join(".floe/warehouse/catalog.db").exists());
}

#[test]
fn floe_run_without_a_cluster_says_how_to_pick_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = floe()
        .args(["run", SHOP])
        .current_dir(support::root())
        .env("KUBECONFIG", dir.path().join("missing-kubeconfig"))
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .expect("floe runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: no cluster configured"), "{stderr}");
    assert!(stderr.contains("--context"), "{stderr}");
}

#[test]
fn floe_job_reports_a_bad_plan_clearly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.json");
    let out = floe()
        .args(["job", "verify", "--plan"])
        .arg(&missing)
        .output()
        .expect("floe runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: cannot read "), "{stderr}");

    let path = dir.path().join("plan.json");
    let plan = plan_of(Path::new(SHOP));
    std::fs::write(&path, plan.to_json()).expect("write");
    let out = floe()
        .args(["job", "seed", "nope", "--plan"])
        .arg(&path)
        .output()
        .expect("floe runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the plan has no table `nope`"), "{stderr}");

    // A plan of a newer floe is refused by its version, with what to do.
    let newer = plan.to_json().replacen(
        &format!("\"format\":{}", floe::plan::wire::VERSION),
        &format!("\"format\":{}", floe::plan::wire::VERSION + 1),
        1,
    );
    std::fs::write(&path, newer).expect("write");
    let out = floe()
        .args(["job", "verify", "--plan"])
        .arg(&path)
        .output()
        .expect("floe runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "is a data plan of format {}, from a newer floe (this floe reads formats 0 to",
            floe::plan::wire::VERSION + 1
        )) && stderr.contains("help: run the data Jobs with the runner image"),
        "{stderr}"
    );
}
