//! Other writers: a foreign commit between a seed's count and its commit, and
//! several runs at once on one warehouse. A seed lands exactly once, and no file is
//! left that the table does not reference.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use floe::data::generate::Resolver;
use floe::data::seed::{self, Outcome};
use floe::plan::DataPlan;
use tokio::sync::Mutex;

use super::{independent_rows, local_sessions, plan_of, runtime, stack_in};
use crate::support;

/// A catalog that does something before each commit reaches the real one.
#[derive(Debug)]
pub struct Meddling {
    inner: Arc<dyn iceberg::Catalog>,
    before_commit: Before,
}

#[derive(Debug)]
enum Before {
    /// Every commit fails: the last step of a seed.
    Fail,
    /// Before the first commit, another writer seeds the plan's first table (its
    /// own seed, `when = always`) and commits.
    Foreign(Mutex<Option<DataPlan>>),
}

impl Meddling {
    pub fn failing(inner: Arc<dyn iceberg::Catalog>) -> Meddling {
        Meddling {
            inner,
            before_commit: Before::Fail,
        }
    }

    fn foreign(inner: Arc<dyn iceberg::Catalog>, writer: DataPlan) -> Meddling {
        Meddling {
            inner,
            before_commit: Before::Foreign(Mutex::new(Some(writer))),
        }
    }
}

/// The events table of a stack `name`, with `rows` generated rows and `when`.
fn events(dir: &Path, name: &str, rows: u64, when: &str) -> DataPlan {
    let dir = dir.join(name);
    std::fs::create_dir_all(&dir).expect("the stack's directory");
    plan_of(&stack_in(
        &dir,
        &format!(
            r#"
stack {name} {{}}
catalog lake {{ warehouse = "log" }}
table events {{
  catalog = lake
  name = "log.events"
  columns = {{ id = long required, source = string required }}
  seed = generate({rows}, {{ id = sequence(1), source = "{name}" }})
  when = {when}
}}
check counted {{
  sql = "SELECT count(*) FROM events"
  expect > 0
}}
"#
        ),
    ))
}

/// The files under the table's location that its metadata does not reference:
/// neither a metadata file of its log, nor a snapshot's manifest list, nor a
/// manifest of one, nor a data file of those.
fn unreferenced(rt: &tokio::runtime::Runtime, table: &iceberg::table::Table) -> Vec<PathBuf> {
    let local = |location: &str| PathBuf::from(location.trim_start_matches("file://"));
    let metadata = table.metadata();
    let mut referenced: BTreeSet<PathBuf> = metadata
        .metadata_log()
        .iter()
        .map(|m| local(&m.metadata_file))
        .collect();
    referenced.insert(local(table.metadata_location().expect("a metadata file")));
    rt.block_on(async {
        for snapshot in metadata.snapshots() {
            referenced.insert(local(snapshot.manifest_list()));
            let list = table.manifest_list_reader(snapshot).load().await?;
            for file in list.entries() {
                referenced.insert(local(&file.manifest_path));
                let manifest = file.load_manifest(table.file_io()).await?;
                for entry in manifest.entries() {
                    referenced.insert(local(entry.file_path()));
                }
            }
        }
        Ok::<_, iceberg::Error>(())
    })
    .expect("the table's manifests are readable");
    support::files_under_abs(&local(metadata.location()), "")
        .into_iter()
        .filter(|f| !referenced.contains(f))
        .collect()
}

/// The events table of `plan` in `warehouse`.
fn load(rt: &tokio::runtime::Runtime, plan: &DataPlan, warehouse: &Path) -> iceberg::table::Table {
    let sessions = local_sessions(rt, plan, warehouse);
    rt.block_on(async {
        let catalog = sessions["lake"].catalog().await?;
        let ident = seed::ident(&plan.tables[0])?;
        Ok::<_, floe::data::DataError>(catalog.load_table(&ident).await?)
    })
    .expect("the table exists")
}

/// Seeds 10 rows of ours with `when`, while a foreign writer commits 3 rows
/// between the count and the commit; then the table and who wrote its rows, as
/// DuckDB's iceberg extension and pyiceberg read them.
fn beside_a_foreign_append(when: &str) -> (Outcome, usize, Vec<PathBuf>, [usize; 2]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let warehouse = dir.path().join("wh");
    let ours = events(dir.path(), "ours", 10, when);
    let theirs = events(dir.path(), "theirs", 3, "always");
    let rt = runtime();
    let real = rt
        .block_on(local_sessions(&rt, &ours, &warehouse)["lake"].catalog())
        .expect("catalog");
    let meddling = Meddling::foreign(real, theirs);
    let mut resolver = Resolver::new(&ours);
    let outcome = rt
        .block_on(seed::seed_table(
            &meddling,
            &ours,
            &ours.tables[0],
            &mut resolver,
        ))
        .expect("the seed finishes");
    let table = load(&rt, &ours, &warehouse);
    let rows = independent_rows(&warehouse, "lake", "log.events", &["source"]);
    assert_eq!(rows["pyiceberg"], rows["duckdb"]);
    let count = |who: &str| {
        rows["duckdb"]
            .iter()
            .filter(|r| r[0].as_deref() == Some(who))
            .count()
    };
    (
        outcome,
        table.metadata().snapshots().count(),
        unreferenced(&rt, &table),
        [count("ours"), count("theirs")],
    )
}

/// Another writer appends after floe counted the table empty and before it
/// commits: the commit conflicts (the table is no longer at the counted snapshot),
/// floe counts again and keeps the table, and deletes the files it had written.
#[test]
fn a_foreign_append_before_the_commit_keeps_an_empty_seed_from_landing() {
    let (outcome, snapshots, left, rows) = beside_a_foreign_append("empty");
    assert_eq!(outcome, Outcome::Kept { rows: 3 });
    assert_eq!(snapshots, 1);
    assert_eq!(left, Vec::<PathBuf>::new());
    assert_eq!(rows, [0, 3]);
}

/// With `when = always` the seed is added on top of the foreign rows: both land,
/// once each.
#[test]
fn a_foreign_append_before_the_commit_does_not_stop_an_always_seed() {
    let (outcome, snapshots, left, rows) = beside_a_foreign_append("always");
    assert_eq!(outcome, Outcome::Written { rows: 10, files: 1 });
    assert_eq!(snapshots, 2);
    assert_eq!(left, Vec::<PathBuf>::new());
    assert_eq!(rows, [10, 3]);
}

/// Four `floe run --local` at once on a fresh warehouse, with a seed of several
/// data files: every run exits 0, the rows land once, and every file on disk is
/// one the table references.
#[test]
fn runs_at_once_on_one_warehouse_seed_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let warehouse = dir.path().join("wh");
    let plan = events(dir.path(), "ours", 600_000, "empty");
    let main = dir.path().join("ours/main.floe");
    let runs: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_floe"))
                .args(["run", "--local", "--warehouse"])
                .arg(&warehouse)
                .arg(&main)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("floe starts")
        })
        .collect();
    for run in runs {
        let output = run.wait_with_output().expect("floe ends");
        assert!(
            output.status.success(),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let rt = runtime();
    let table = load(&rt, &plan, &warehouse);
    assert_eq!(table.metadata().snapshots().count(), 1);
    assert_eq!(
        rt.block_on(seed::row_count(&table)).expect("counted"),
        600_000
    );
    assert_eq!(unreferenced(&rt, &table), Vec::<PathBuf>::new());
}
#[async_trait::async_trait]
impl iceberg::Catalog for Meddling {
    async fn list_namespaces(
        &self,
        parent: Option<&iceberg::NamespaceIdent>,
    ) -> iceberg::Result<Vec<iceberg::NamespaceIdent>> {
        self.inner.list_namespaces(parent).await
    }
    async fn create_namespace(
        &self,
        namespace: &iceberg::NamespaceIdent,
        properties: std::collections::HashMap<String, String>,
    ) -> iceberg::Result<iceberg::Namespace> {
        self.inner.create_namespace(namespace, properties).await
    }
    async fn get_namespace(
        &self,
        namespace: &iceberg::NamespaceIdent,
    ) -> iceberg::Result<iceberg::Namespace> {
        self.inner.get_namespace(namespace).await
    }
    async fn namespace_exists(&self, namespace: &iceberg::NamespaceIdent) -> iceberg::Result<bool> {
        self.inner.namespace_exists(namespace).await
    }
    async fn update_namespace(
        &self,
        namespace: &iceberg::NamespaceIdent,
        properties: std::collections::HashMap<String, String>,
    ) -> iceberg::Result<()> {
        self.inner.update_namespace(namespace, properties).await
    }
    async fn drop_namespace(&self, namespace: &iceberg::NamespaceIdent) -> iceberg::Result<()> {
        self.inner.drop_namespace(namespace).await
    }
    async fn list_tables(
        &self,
        namespace: &iceberg::NamespaceIdent,
    ) -> iceberg::Result<Vec<iceberg::TableIdent>> {
        self.inner.list_tables(namespace).await
    }
    async fn create_table(
        &self,
        namespace: &iceberg::NamespaceIdent,
        creation: iceberg::TableCreation,
    ) -> iceberg::Result<iceberg::table::Table> {
        self.inner.create_table(namespace, creation).await
    }
    async fn load_table(
        &self,
        table: &iceberg::TableIdent,
    ) -> iceberg::Result<iceberg::table::Table> {
        self.inner.load_table(table).await
    }
    async fn drop_table(&self, table: &iceberg::TableIdent) -> iceberg::Result<()> {
        self.inner.drop_table(table).await
    }
    async fn purge_table(&self, table: &iceberg::TableIdent) -> iceberg::Result<()> {
        self.inner.purge_table(table).await
    }
    async fn table_exists(&self, table: &iceberg::TableIdent) -> iceberg::Result<bool> {
        self.inner.table_exists(table).await
    }
    async fn rename_table(
        &self,
        src: &iceberg::TableIdent,
        dest: &iceberg::TableIdent,
    ) -> iceberg::Result<()> {
        self.inner.rename_table(src, dest).await
    }
    async fn register_table(
        &self,
        table: &iceberg::TableIdent,
        metadata_location: String,
    ) -> iceberg::Result<iceberg::table::Table> {
        self.inner.register_table(table, metadata_location).await
    }
    async fn update_table(
        &self,
        commit: iceberg::TableCommit,
    ) -> iceberg::Result<iceberg::table::Table> {
        match &self.before_commit {
            Before::Fail => Err(iceberg::Error::new(
                iceberg::ErrorKind::Unexpected,
                "the test's catalog refuses every commit",
            )),
            Before::Foreign(plan) => {
                if let Some(plan) = plan.lock().await.take() {
                    let table = plan.tables.first().expect("the foreign table");
                    let mut resolver = Resolver::new(&plan);
                    seed::seed_table(self.inner.as_ref(), &plan, table, &mut resolver)
                        .await
                        .expect("the foreign append");
                }
                self.inner.update_table(commit).await
            }
        }
    }
}

/// The files of a directory whose names end with `suffix`.
fn count(dir: &Path, suffix: &str) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
            .count()
    })
}

/// `floe run --local` killed (SIGKILL: no cleanup runs) as soon as each write step
/// of its seed has begun — the catalog, the table, the write's lock, each data file,
/// the manifest, the manifest list, the new metadata — each on a fresh warehouse,
/// then run again: the rows are there exactly once, and no file is left that the
/// table does not reference.
#[test]
fn a_run_killed_at_any_write_step_then_run_again_seeds_once_and_leaves_no_orphans() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = events(dir.path(), "ours", 600_000, "empty");
    let main = dir.path().join("ours/main.floe");
    let floe = |warehouse: &Path| {
        Command::new(env!("CARGO_BIN_EXE_floe"))
            .args(["run", "--local", "--warehouse"])
            .arg(warehouse)
            .arg(&main)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("floe starts")
    };
    type Step = fn(&Path) -> bool;
    let steps: [(&str, Step); 9] = [
        ("the catalog", |w| w.join("catalog.db").exists()),
        ("the table", |w| {
            count(&w.join("lake/log/events/metadata"), ".metadata.json") >= 1
        }),
        ("the lock", |w| {
            count(&w.join("lake/log/events/metadata"), ".write") >= 1
        }),
        ("a data file", |w| {
            count(&w.join("lake/log/events/data"), ".parquet") >= 1
        }),
        ("a second data file", |w| {
            count(&w.join("lake/log/events/data"), ".parquet") >= 2
        }),
        ("the last data file", |w| {
            count(&w.join("lake/log/events/data"), ".parquet") >= 3
        }),
        ("the manifest", |w| {
            count(&w.join("lake/log/events/metadata"), "-m0.avro") >= 1
        }),
        ("the manifest list", |w| {
            std::fs::read_dir(w.join("lake/log/events/metadata")).is_ok_and(|entries| {
                entries
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("snap-"))
            })
        }),
        ("the new metadata", |w| {
            count(&w.join("lake/log/events/metadata"), ".metadata.json") >= 2
        }),
    ];
    let rt = runtime();
    let mut interrupted = Vec::new();
    for (index, (step, begun)) in steps.iter().enumerate() {
        let warehouse = dir.path().join(format!("wh{index}"));
        let mut run = floe(&warehouse);
        while !begun(&warehouse) && run.try_wait().expect("floe runs").is_none() {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        if run.kill().is_ok() && !run.wait().expect("floe ends").success() {
            interrupted.push(*step);
        }
        let again = floe(&warehouse).wait_with_output().expect("floe ends");
        assert!(
            again.status.success(),
            "after a kill at {step}: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        let table = load(&rt, &plan, &warehouse);
        assert_eq!(
            rt.block_on(seed::row_count(&table)).expect("counted"),
            600_000,
            "after a kill at {step}"
        );
        assert_eq!(
            table.metadata().snapshots().count(),
            1,
            "after a kill at {step}"
        );
        assert_eq!(
            unreferenced(&rt, &table),
            Vec::<PathBuf>::new(),
            "after a kill at {step}"
        );
    }
    assert!(
        interrupted.len() >= 6,
        "only these runs were killed midway: {interrupted:?}"
    );
}
