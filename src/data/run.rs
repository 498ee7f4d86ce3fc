//! Running a data plan: every seed in dependency order, then every check. The same
//! steps serve `floe run --local` (embedded catalogs, in-process) and the
//! in-cluster Jobs `floe job seed` and `floe job verify` (the plan's catalogs).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use super::catalog::{self, Session};
use super::generate::Resolver;
use super::seed::{self, Outcome};
use super::verify::{self, CheckResult};
use super::{DataError, Env, Result};
use crate::model::{Seed, Table};
use crate::plan::wire::FormatError;
use crate::plan::{DataPlan, referenced_tables};

/// What happens during a run, as it happens.
#[derive(Clone, Debug)]
pub enum Event<'a> {
    /// A table is being created or seeded.
    Seeding {
        table: &'a str,
        rows: u64,
    },
    Seeded {
        table: &'a str,
        outcome: &'a Outcome,
        millis: u64,
    },
    /// The tables the checks use are being read.
    Loading {
        tables: usize,
    },
    Checked(&'a CheckResult),
}

/// Receives the events of a run (a progress bar, plain lines, JSON lines).
pub trait Progress {
    fn event(&mut self, event: &Event<'_>);
}

/// Reads a data plan written by `floe compile` (the `STACK-plan` ConfigMap).
pub fn read_plan(path: &Path) -> Result<DataPlan> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| DataError::new(format!("cannot read {}: {e}", path.display())))?;
    DataPlan::from_json(&text).map_err(|e| match e {
        FormatError::Invalid(e) => {
            DataError::new(format!("{} is not a floe data plan: {e}", path.display()))
        }
        newer @ FormatError::Newer(_) => DataError::new(format!("{} is {newer}", path.display()))
        .with_help(
            "run the data Jobs with the runner image of the floe that compiled the stack: compile and apply it again with this floe, or upgrade the image",
        ),
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    crate::par::runtime()
        .map_err(|e| DataError::new(format!("cannot start the async runtime: {e}")))
}

/// `floe run --local`: every catalog is an embedded one under `warehouse`; seeds
/// and checks run in this process.
pub fn run_local(
    plan: &DataPlan,
    warehouse: &Path,
    progress: &mut dyn Progress,
) -> Result<Vec<CheckResult>> {
    runtime()?.block_on(async {
        let mut sessions = BTreeMap::new();
        for name in catalog_names(plan) {
            sessions.insert(name.clone(), catalog::open_local(warehouse, &name).await?);
        }
        run_all(plan, &sessions, progress).await
    })
}

/// Every seed in dependency order, then every check.
pub async fn run_all(
    plan: &DataPlan,
    sessions: &BTreeMap<String, Session>,
    progress: &mut dyn Progress,
) -> Result<Vec<CheckResult>> {
    let mut resolver = Resolver::new(plan);
    for table in seed_order(plan)? {
        seed_one(plan, sessions, table, &mut resolver, progress).await?;
    }
    verify_all(plan, sessions, progress).await
}

async fn seed_one(
    plan: &DataPlan,
    sessions: &BTreeMap<String, Session>,
    table: &Table,
    resolver: &mut Resolver<'_>,
    progress: &mut dyn Progress,
) -> Result<Outcome> {
    let session = session_of(sessions, table)?;
    let rows = match &table.seed {
        Some(Seed::Rows(rows)) => rows.len() as u64,
        Some(Seed::Generate { count, .. }) => *count,
        None => 0,
    };
    progress.event(&Event::Seeding {
        table: &table.name,
        rows,
    });
    let start = Instant::now();
    let catalog = session.catalog().await?;
    let outcome = seed::seed_table(catalog.as_ref(), plan, table, resolver)
        .await
        .map_err(|e| e.context(format!("table `{}`", table.name)))?;
    progress.event(&Event::Seeded {
        table: &table.name,
        outcome: &outcome,
        millis: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
    Ok(outcome)
}

async fn verify_all(
    plan: &DataPlan,
    sessions: &BTreeMap<String, Session>,
    progress: &mut dyn Progress,
) -> Result<Vec<CheckResult>> {
    if plan.checks.is_empty() {
        return Ok(Vec::new());
    }
    progress.event(&Event::Loading {
        tables: verify::tables_used(plan).len(),
    });
    let conn = verify::load(plan, sessions).await?;
    // The queries pull their tables from scans on this runtime's workers, so they
    // run on a thread of their own, one at a time, reporting as each finishes.
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let checks = plan.checks.clone();
    let queries = tokio::task::spawn_blocking(move || {
        for check in &checks {
            for result in verify::run_checks(&conn, std::slice::from_ref(check)) {
                if sender.send(result).is_err() {
                    return;
                }
            }
        }
    });
    let mut results = Vec::new();
    while let Some(result) = receiver.recv().await {
        progress.event(&Event::Checked(&result));
        results.push(result);
    }
    queries
        .await
        .map_err(|e| DataError::new(format!("the checks stopped: {e}")))?;
    Ok(results)
}

/// `floe job seed TABLE`: creates and seeds one table in its catalog.
pub fn job_seed(
    plan: &DataPlan,
    table: &str,
    env: &dyn Env,
    progress: &mut dyn Progress,
) -> Result<Outcome> {
    let t = plan
        .tables
        .iter()
        .find(|t| t.name == table)
        .ok_or_else(|| DataError::new(format!("the plan has no table `{table}`")))?;
    let sessions = connect_all(plan, [t.catalog.as_str()], env)?;
    runtime()?.block_on(async {
        let mut resolver = Resolver::new(plan);
        seed_one(plan, &sessions, t, &mut resolver, progress).await
    })
}

/// `floe job verify`: runs every check against the plan's catalogs.
pub fn job_verify(
    plan: &DataPlan,
    env: &dyn Env,
    progress: &mut dyn Progress,
) -> Result<Vec<CheckResult>> {
    let used = verify::tables_used(plan);
    let sessions = connect_all(plan, used.iter().map(|t| t.catalog.as_str()), env)?;
    runtime()?.block_on(verify_all(plan, &sessions, progress))
}

fn connect_all<'a>(
    plan: &DataPlan,
    names: impl IntoIterator<Item = &'a str>,
    env: &dyn Env,
) -> Result<BTreeMap<String, Session>> {
    let mut sessions = BTreeMap::new();
    for name in names {
        if sessions.contains_key(name) {
            continue;
        }
        let catalog = plan
            .catalogs
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| DataError::new(format!("the plan has no catalog `{name}`")))?;
        sessions.insert(name.to_string(), catalog::connect(catalog, env)?);
    }
    Ok(sessions)
}

fn session_of<'s>(sessions: &'s BTreeMap<String, Session>, table: &Table) -> Result<&'s Session> {
    sessions.get(&table.catalog).ok_or_else(|| {
        DataError::new(format!(
            "table `{}` names catalog `{}`, which the plan does not have",
            table.name, table.catalog
        ))
    })
}

/// The catalogs of the plan and those its tables name.
fn catalog_names(plan: &DataPlan) -> Vec<String> {
    let mut names: Vec<String> = plan.catalogs.iter().map(|c| c.name.clone()).collect();
    names.extend(plan.tables.iter().map(|t| t.catalog.clone()));
    names.sort();
    names.dedup();
    names
}

/// Every table, each after the tables it picks keys from.
pub fn seed_order(plan: &DataPlan) -> Result<Vec<&Table>> {
    fn visit<'p>(
        plan: &'p DataPlan,
        table: &'p Table,
        path: &mut Vec<String>,
        out: &mut Vec<&'p Table>,
    ) -> Result<()> {
        if out.iter().any(|t| t.name == table.name) {
            return Ok(());
        }
        if path.contains(&table.name) {
            path.push(table.name.clone());
            return Err(DataError::new(format!(
                "tables pick keys from each other in a cycle: {}",
                path.join(" → ")
            )));
        }
        path.push(table.name.clone());
        if let Some(Seed::Generate { columns, .. }) = &table.seed {
            for name in referenced_tables(columns) {
                if let Some(other) = plan.tables.iter().find(|t| t.name == name) {
                    visit(plan, other, path, out)?;
                }
            }
        }
        path.pop();
        out.push(table);
        Ok(())
    }
    let mut out = Vec::new();
    for table in &plan.tables {
        visit(plan, table, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}
