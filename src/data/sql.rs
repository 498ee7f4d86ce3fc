//! Compile-time verification of check queries with DuckDB: the query is prepared
//! against empty tables of the declared schemas, and run with `LIMIT 0` to learn
//! its result columns.

use std::sync::Mutex;

use arrow_schema::DataType;
use duckdb::Connection;

use super::duck;
use crate::check::data::{SqlError, SqlType, SqlValidator};
use crate::model::Table;

/// A [`SqlValidator`] over an in-memory DuckDB. The database is opened on the
/// first query and kept while the tables stay the same.
#[derive(Default)]
pub struct DuckDbValidator {
    state: Mutex<Option<(String, Connection)>>,
}

impl DuckDbValidator {
    pub fn new() -> DuckDbValidator {
        DuckDbValidator::default()
    }
}

impl SqlValidator for DuckDbValidator {
    fn validate(&self, tables: &[Table], sql: &str) -> Result<Vec<SqlType>, SqlError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let key = tables_key(tables);
        if state.as_ref().is_none_or(|(k, _)| *k != key) {
            let conn = duck::open()
                .and_then(|c| duck::create_tables(&c, tables).map(|()| c))
                .map_err(|e| SqlError {
                    message: format!("cannot start DuckDB: {e}"),
                    offset: None,
                })?;
            *state = Some((key, conn));
        }
        let Some((_, conn)) = state.as_ref() else {
            return Err(SqlError {
                message: "cannot start DuckDB".into(),
                offset: None,
            });
        };
        result_types(conn, sql)
    }
}

/// What identifies a set of tables for DuckDB: names, columns and types.
fn tables_key(tables: &[Table]) -> String {
    let parts: Vec<String> = tables
        .iter()
        .map(|t| super::schema::create_statements(t).join(";"))
        .collect();
    parts.join("\n")
}

/// The kinds of the query's result columns, or DuckDB's objection.
fn result_types(conn: &Connection, sql: &str) -> Result<Vec<SqlType>, SqlError> {
    conn.prepare(sql).map_err(|e| sql_error(sql, &e))?;
    let body = sql.trim_end().trim_end_matches(';');
    let wrapped = format!("SELECT * FROM (\n{body}\n) AS floe_check LIMIT 0");
    let mut statement = conn.prepare(&wrapped).map_err(|_| not_a_query())?;
    statement.execute([]).map_err(|e| sql_error(sql, &e))?;
    Ok((0..statement.column_count())
        .map(|i| sql_type(&statement.column_type(i)))
        .collect())
}

fn not_a_query() -> SqlError {
    SqlError {
        message: "a check is one query that gives a value (`SELECT ...`)".into(),
        offset: None,
    }
}

/// How a check compares a column of this Arrow type.
pub fn sql_type(ty: &DataType) -> SqlType {
    match ty {
        DataType::Boolean => SqlType::Boolean,
        t if t.is_numeric() => SqlType::Number,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => SqlType::Text,
        _ => SqlType::Other,
    }
}

fn sql_error(sql: &str, e: &duckdb::Error) -> SqlError {
    let text = e.to_string();
    SqlError {
        offset: error_offset(sql, &text),
        message: without_context(&text),
    }
}

/// DuckDB's message without the quoted query and caret it appends.
fn without_context(message: &str) -> String {
    let kept: Vec<&str> = message
        .lines()
        .take_while(|l| !l.starts_with("LINE "))
        .collect();
    kept.join("\n").trim_end().to_string()
}

/// The byte offset into `sql` that DuckDB points at: it appends
/// `LINE n: <part of line n>` and a line with `^` under the problem, where the part
/// may be cut at either end and marked with `...`.
pub fn error_offset(sql: &str, message: &str) -> Option<usize> {
    let lines: Vec<&str> = message.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("LINE "))?;
    let context = lines.get(at)?;
    let caret_line = lines.get(at + 1)?;
    let caret = caret_line.find('^')?;
    let (label, shown) = context.split_once(": ")?;
    let line: usize = label.strip_prefix("LINE ")?.trim().parse().ok()?;
    let mut prefix = label.len() + 2;
    let mut shown = shown;
    if let Some(rest) = shown.strip_prefix("...") {
        shown = rest;
        prefix += 3;
    }
    let shown = shown.strip_suffix("...").unwrap_or(shown);
    let line_start = line_starts(sql).get(line.checked_sub(1)?).copied()?;
    let line_text = sql.get(line_start..)?.lines().next().unwrap_or("");
    let shown_at = line_text.find(shown).or_else(|| {
        // The shown part may be cut in the middle of a long line.
        let head: String = shown.chars().take(20).collect();
        line_text.find(&head)
    })?;
    let column = caret.checked_sub(prefix)?;
    let within = line_text
        .get(shown_at..)?
        .char_indices()
        .nth(column)
        .map_or(line_text.len() - shown_at, |(i, _)| i);
    Some(line_start + shown_at + within)
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_come_from_the_caret() {
        let sql = "SELECT nme FROM customers";
        let message = "Binder Error: Referenced column \"nme\" not found\n\nLINE 1: SELECT nme FROM customers\n               ^";
        assert_eq!(error_offset(sql, message), Some(7));
        let sql = "SELECT id\nFROM customers\nWHERE nme = 1";
        let message = "Binder Error: x\n\nLINE 3: WHERE nme = 1\n              ^";
        assert_eq!(
            error_offset(sql, message),
            Some(sql.find("nme").unwrap_or(0))
        );
        let message = "Binder Error: x\n\nLINE 1: ...bc WHERE nme = 1\n                    ^";
        let sql = "SELECT a, bc WHERE nme = 1";
        assert_eq!(
            error_offset(sql, message),
            Some(sql.find("nme").unwrap_or(0))
        );
        assert_eq!(error_offset("SELECT 1", "Parser Error: no context"), None);
    }

    #[test]
    fn the_message_loses_the_quoted_query() {
        let message =
            "Binder Error: x\nCandidate bindings: \"name\"\n\nLINE 1: SELECT nme\n       ^";
        assert_eq!(
            without_context(message),
            "Binder Error: x\nCandidate bindings: \"name\""
        );
    }
}
