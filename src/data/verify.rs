//! Running checks: the tables the checks name are views in an embedded DuckDB,
//! under their item names, that stream each table from its catalog as a query
//! reads it; each check's query gives one value that is compared with its
//! expectation.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use duckdb::Connection;
use duckdb::types::Value;
use serde::Serialize;

use super::catalog::Session;
use super::generate::format_date;
use super::scan::{self, Source, Sources};
use super::schema::{DuckName, quote};
use super::seed::ident;
use super::{DataError, Result, duck};
use crate::model::{Cell, Check, Comparison, Table};
use crate::plan::DataPlan;

/// The environment variable that limits the memory of the checks' DuckDB
/// (`1GiB`, `512MB`); beyond it a query spills to disk.
pub const MEMORY: &str = "FLOE_CHECK_MEMORY";

/// The outcome of one check.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct CheckResult {
    pub name: String,
    pub description: Option<String>,
    /// The comparison and value: `> 0`.
    pub expected: String,
    /// The value the query gave, or why there is none.
    pub actual: String,
    pub passed: bool,
    /// How long the query took.
    pub millis: u64,
}

/// A new DuckDB database in which every table the checks use is a view that
/// streams the table from its catalog ([`scan`](super::scan)); the environment
/// variable [`MEMORY`] limits DuckDB's memory (see [`duck::open_for_checks`]).
pub async fn load(plan: &DataPlan, sessions: &BTreeMap<String, Session>) -> Result<Connection> {
    let memory = std::env::var(MEMORY).ok().filter(|m| !m.is_empty());
    let conn = duck::open_for_checks(memory.as_deref())
        .map_err(|e| e.context(format!("opening DuckDB for the checks ({MEMORY})")))?;
    let mut by_item = HashMap::new();
    let used = tables_used(plan);
    for table in &used {
        let session = sessions.get(&table.catalog).ok_or_else(|| {
            DataError::new(format!(
                "no catalog `{}` for table `{}`",
                table.catalog, table.name
            ))
        })?;
        let loaded = current(session, table)
            .await
            .map_err(|e| e.context(format!("reading table `{}`", table.name)))?;
        by_item.insert(table.name.clone(), Arc::new(Source::new(table, loaded)?));
    }
    let sources = Sources {
        by_item: Arc::new(by_item),
        runtime: tokio::runtime::Handle::current(),
    };
    scan::register(&conn, &sources)?;
    for table in used {
        let name = DuckName::of(&table.name);
        if let Some(schema) = &name.schema {
            conn.execute_batch(&format!("CREATE SCHEMA IF NOT EXISTS {}", quote(schema)))?;
        }
        conn.execute_batch(&format!(
            "CREATE VIEW {} AS SELECT * FROM {}({})",
            name.sql(),
            scan::FUNCTION,
            literal(&table.name)
        ))?;
    }
    Ok(conn)
}

/// A SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The tables whose item names occur as words in some check's query.
pub fn tables_used(plan: &DataPlan) -> Vec<&Table> {
    let words: std::collections::HashSet<String> = plan
        .checks
        .iter()
        .flat_map(|c| {
            c.sql
                .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .collect();
    plan.tables
        .iter()
        .filter(|t| {
            let last = t.name.rsplit('.').next().unwrap_or(&t.name);
            words.contains(&last.to_lowercase())
        })
        .collect()
}

/// The table as its catalog has it now; none when it does not exist.
async fn current(session: &Session, table: &Table) -> Result<Option<iceberg::table::Table>> {
    let catalog = session.catalog().await?;
    let ident = ident(table)?;
    if !catalog.table_exists(&ident).await? {
        return Ok(None);
    }
    Ok(Some(catalog.load_table(&ident).await?))
}

/// Runs every check of the plan on the loaded tables.
pub fn run_checks(conn: &Connection, checks: &[Check]) -> Vec<CheckResult> {
    checks.iter().map(|c| run_check(conn, c)).collect()
}

fn run_check(conn: &Connection, check: &Check) -> CheckResult {
    let start = Instant::now();
    let value = query_value(conn, &check.sql);
    let millis = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    let expected = format!(
        "{} {}",
        check.expect.op.symbol(),
        cell_text(&check.expect.value)
    );
    let (actual, passed) = match value {
        Ok(v) => {
            let passed =
                compare(&v, &check.expect.value).is_some_and(|o| holds(check.expect.op, o));
            (v.to_string(), passed)
        }
        Err(e) => (format!("error: {e}"), false),
    };
    CheckResult {
        name: check.name.clone(),
        description: check.description.clone(),
        expected,
        actual,
        passed,
        millis,
    }
}

/// A query's single value.
#[derive(Clone, Debug, PartialEq)]
pub enum Actual {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Text(String),
}

impl std::fmt::Display for Actual {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actual::Null => f.write_str("null"),
            Actual::Bool(b) => write!(f, "{b}"),
            Actual::Int(n) => write!(f, "{n}"),
            Actual::Float(x) => write!(f, "{x}"),
            Actual::Text(s) => write!(f, "{s:?}"),
        }
    }
}

fn query_value(conn: &Connection, sql: &str) -> Result<Actual> {
    let mut statement = conn.prepare(sql)?;
    let mut rows = statement.query([])?;
    let Some(row) = rows.next()? else {
        return Err(DataError::new("the query gave no row"));
    };
    let value: Value = row.get(0)?;
    let columns = row.as_ref().column_count();
    if columns != 1 {
        return Err(DataError::new(format!("the query gave {columns} columns")));
    }
    if rows.next()?.is_some() {
        return Err(DataError::new("the query gave more than one row"));
    }
    Ok(actual(value))
}

fn actual(value: Value) -> Actual {
    match value {
        Value::Null => Actual::Null,
        Value::Boolean(b) => Actual::Bool(b),
        Value::TinyInt(n) => Actual::Int(n.into()),
        Value::SmallInt(n) => Actual::Int(n.into()),
        Value::Int(n) => Actual::Int(n.into()),
        Value::BigInt(n) => Actual::Int(n.into()),
        Value::HugeInt(n) => Actual::Int(n),
        Value::UTinyInt(n) => Actual::Int(n.into()),
        Value::USmallInt(n) => Actual::Int(n.into()),
        Value::UInt(n) => Actual::Int(n.into()),
        Value::UBigInt(n) => Actual::Int(n.into()),
        Value::Float(x) => Actual::Float(x.into()),
        Value::Double(x) => Actual::Float(x),
        Value::Decimal(d) => {
            let text = d.to_string();
            text.parse::<i128>()
                .map(Actual::Int)
                .or_else(|_| text.parse::<f64>().map(Actual::Float))
                .unwrap_or(Actual::Text(text))
        }
        Value::Text(s) => Actual::Text(s),
        Value::Date32(d) => Actual::Text(format_date(d)),
        other => Actual::Text(format!("{other:?}")),
    }
}

/// The order of the actual value against the expected one: numbers numerically,
/// text as text, bools as bools; `None` when they cannot be compared.
pub fn compare(actual: &Actual, expected: &Cell) -> Option<Ordering> {
    match (actual, expected) {
        (Actual::Int(a), Cell::Int(e)) => Some(a.cmp(&i128::from(*e))),
        (Actual::Int(a), Cell::Float(e)) => (*a as f64).partial_cmp(e),
        (Actual::Float(a), Cell::Int(e)) => a.partial_cmp(&(*e as f64)),
        (Actual::Float(a), Cell::Float(e)) => a.partial_cmp(e),
        (Actual::Bool(a), Cell::Bool(e)) => Some(a.cmp(e)),
        (Actual::Text(a), Cell::String(e)) => Some(a.as_str().cmp(e.as_str())),
        (Actual::Int(_) | Actual::Float(_) | Actual::Bool(_), Cell::String(e)) => {
            Some(actual.to_string().as_str().cmp(e.as_str()))
        }
        _ => None,
    }
}

fn holds(op: Comparison, order: Ordering) -> bool {
    match op {
        Comparison::Eq => order == Ordering::Equal,
        Comparison::Ne => order != Ordering::Equal,
        Comparison::Lt => order == Ordering::Less,
        Comparison::Le => order != Ordering::Greater,
        Comparison::Gt => order == Ordering::Greater,
        Comparison::Ge => order != Ordering::Less,
    }
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Int(n) => n.to_string(),
        Cell::Float(x) => x.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::String(s) => format!("{s:?}"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_numerically_and_text_as_text() {
        assert_eq!(
            compare(&Actual::Int(10), &Cell::Int(9)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(&Actual::Float(2.5), &Cell::Int(2)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(&Actual::Int(2), &Cell::Float(2.0)),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare(&Actual::Text("10".into()), &Cell::String("9".into())),
            Some(Ordering::Less)
        );
        assert_eq!(compare(&Actual::Null, &Cell::Int(0)), None);
        assert!(holds(Comparison::Ge, Ordering::Equal));
        assert!(!holds(Comparison::Ne, Ordering::Equal));
    }
}
