//! Catalogs, tables and checks: seed rows, CSV files and generators checked against
//! the declared columns, check queries against the declared tables, and their model.
//!
//! A table is built into its model while it is checked (its rows are converted to
//! typed cells once); catalogs and checks are built with the rest of the model.
//! Queries are verified by a [`SqlValidator`] the caller provides (DuckDB, in
//! `data/`), so that the checker itself stays free of a database.

use super::Checker;
use super::cells::{self, Misfit};
use super::eval::text_of;
use super::schema::{self, Kind};
use super::value::{Entry, Gen, GenPart, InstId, V, Value};
use crate::diagnostic::{did_you_mean, messages};
use crate::model::{self, Cell, Column, ColumnType, Generator, Seed, TextPart};
use crate::program::Escape;
use crate::source::Span;
use crate::syntax::ast;

/// The longest part of a table name, in bytes: each part is a directory of the
/// warehouse (`WAREHOUSE/NAMESPACE/TABLE/`), and file systems limit a name to 255
/// bytes (`NAME_MAX` on Linux; APFS and NTFS alike).
const MAX_NAME_PART: usize = 255;

/// The most bytes of seed rows the compiled data plan may hold: it is mounted from a
/// ConfigMap, whose limit is 1 MiB, and it carries more than the rows.
pub const MAX_PLAN_SEED_BYTES: usize = 900 * 1024;

/// Verifies check queries against the declared tables.
pub trait SqlValidator {
    /// The types of the query's result columns, or why it is not valid. The tables
    /// are empty and have the declared columns.
    fn validate(&self, tables: &[model::Table], sql: &str) -> Result<Vec<SqlType>, SqlError>;
}

/// A rejected query: the database's message, and where in the query it points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlError {
    pub message: String,
    /// A byte offset into the query.
    pub offset: Option<usize>,
}

/// The kind of a query's result column, as far as a check compares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlType {
    Boolean,
    Number,
    Text,
    Other,
}

impl<'a> Checker<'_, 'a> {
    pub(super) fn check_table(&mut self, id: InstId, block: &'a ast::Block) {
        self.check_fields(id, block, schema::TABLE);
        let built = self.build_table(id);
        self.tables_built.push((id, built));
    }

    /// Whether a table's columns, or one of them, is a value in error.
    pub(super) fn columns_in_error(&mut self, id: InstId) -> bool {
        match self.field(id, "columns").as_deref().map(|v| &v.value) {
            Some(Value::Record(entries)) => entries.iter().any(|e| e.value.is_error()),
            Some(Value::Error) => true,
            _ => false,
        }
    }

    /// The declared columns, with their names and types checked.
    pub(super) fn columns(&mut self, id: InstId) -> Vec<Column> {
        let Some(v) = self.field_owned(id, "columns") else {
            return Vec::new();
        };
        let Value::Record(entries) = v.value else {
            if !v.is_error() {
                self.push(messages::mismatched(
                    v.span,
                    "{column = type}",
                    v.value.type_name(),
                    None,
                ));
            }
            return Vec::new();
        };
        if entries.is_empty() {
            self.push(messages::missing_field(v.span, "a column", "`columns`"));
        }
        let mut columns = Vec::new();
        for entry in entries {
            if !is_column_name(&entry.key) {
                self.push(messages::invalid_table_name(
                    entry.key_span,
                    &entry.key,
                    "a column name is letters, digits and `_`, not starting with a digit",
                ));
            }
            let column = match &entry.value.value {
                Value::Column { ty, required } => Some((*ty, *required)),
                Value::Word(w) => ColumnType::from_word(w).map(|ty| (ty, false)),
                Value::Error => continue,
                _ => None,
            };
            match column {
                Some((ty, required)) => columns.push(Column {
                    name: entry.key,
                    ty,
                    required,
                }),
                None if let Value::Str(quoted) = &entry.value.value
                    && ColumnType::from_word(quoted).is_some() =>
                {
                    self.push(messages::quoted_value(
                        entry.value.span,
                        "a column type",
                        quoted,
                    ));
                }
                None => {
                    let types: Vec<String> = model::COLUMN_TYPE_WORDS
                        .iter()
                        .map(|t| format!("`{}`", t.word))
                        .collect();
                    let found = match &entry.value.value {
                        Value::Word(w) => format!("`{w}`"),
                        other => other.type_name().to_string(),
                    };
                    let word = match &entry.value.value {
                        Value::Word(w) => Some(w.as_str()),
                        _ => None,
                    };
                    let suggestion = word.and_then(|w| did_you_mean(w, column_type_words()));
                    let d = messages::mismatched(entry.value.span, "a column type", &found, None)
                        .with_help(format!(
                            "the column types are {} and `decimal(p, s)`",
                            types.join(", ")
                        ));
                    self.push(match suggestion {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d,
                    });
                }
            }
        }
        columns
    }

    /// `"demo.bronze.customers"` as namespace path and table name.
    pub(super) fn table_name(&mut self, id: InstId) -> (Vec<String>, String) {
        let Some(v) = self.field(id, "name") else {
            return (Vec::new(), String::new());
        };
        let Value::Str(name) = &v.value else {
            return (Vec::new(), String::new());
        };
        let mut parts: Vec<String> = name.split('.').map(str::to_string).collect();
        let why = if parts.len() < 2 {
            Some("a table lives in a namespace: `namespace.table`")
        } else if parts.iter().any(|p| !is_column_name(p)) {
            Some("each part is letters, digits and `_`, not starting with a digit")
        } else if parts.iter().any(|p| p.len() > MAX_NAME_PART) {
            Some("each part names a directory of the warehouse: at most 255 bytes")
        } else {
            None
        };
        if let Some(why) = why {
            self.push(messages::invalid_table_name(v.span, name, why));
        }
        let table = parts.pop().unwrap_or_default();
        (parts, table)
    }

    pub(super) fn table_seed(&mut self, id: InstId, columns: &[Column]) -> Option<Seed> {
        let rows = self.field_owned(id, "rows");
        let seed = self.field_owned(id, "seed");
        if let (Some(r), Some(s)) = (&rows, &seed) {
            self.push(messages::two_seeds(s.span, r.span));
            return None;
        }
        let table = self.world.describe_item(id);
        if let Some(rows) = rows {
            return self.inline_rows(&rows, columns, &table).map(Seed::Rows);
        }
        let seed = seed?;
        match seed.value {
            Value::Csv(path) => self
                .csv_rows(id, &path, seed.span, columns, &table)
                .map(Seed::Rows),
            Value::SeedRows {
                count,
                columns: generators,
            } => self.generated(id, count, &generators, columns, &table, seed.span),
            Value::Error => None,
            other => {
                self.push(messages::mismatched(
                    seed.span,
                    "`csv(\"file\")` or `generate(n, {...})`",
                    other.type_name(),
                    None,
                ));
                None
            }
        }
    }

    /// `rows = [{ id = 1, ... }, ...]`.
    fn inline_rows(&mut self, rows: &V, columns: &[Column], table: &str) -> Option<Vec<Vec<Cell>>> {
        let Value::List(items) = &rows.value else {
            if !rows.is_error() {
                self.push(messages::mismatched(
                    rows.span,
                    "[{column = value}]",
                    rows.value.type_name(),
                    None,
                ));
            }
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            let Value::Record(entries) = &item.value else {
                self.push(messages::mismatched(
                    item.span,
                    "a record of column values",
                    item.value.type_name(),
                    None,
                ));
                ok = false;
                continue;
            };
            match self.row_cells(entries, item.span, columns, table) {
                Some(row) => out.push(row),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// Reports every entry that names no column of `table`; whether all do.
    fn known_columns(&mut self, entries: &[Entry], columns: &[Column], table: &str) -> bool {
        let mut ok = true;
        for entry in entries {
            if !columns.iter().any(|c| c.name == entry.key) {
                let names = columns.iter().map(|c| c.name.as_str());
                let suggestion = did_you_mean(&entry.key, names);
                self.push(messages::unknown_column(
                    entry.key_span,
                    &entry.key,
                    table,
                    suggestion,
                ));
                ok = false;
            }
        }
        ok
    }

    fn row_cells(
        &mut self,
        entries: &[Entry],
        span: Span,
        columns: &[Column],
        table: &str,
    ) -> Option<Vec<Cell>> {
        let mut ok = self.known_columns(entries, columns, table);
        let mut row = Vec::with_capacity(columns.len());
        for column in columns {
            let cell = match entries.iter().find(|e| e.key == column.name) {
                Some(entry) => match value_cell(&entry.value.value, column.ty) {
                    Ok(cell) => cell,
                    Err(why) => {
                        if !entry.value.is_error() {
                            let ty = column.ty.name();
                            self.push(messages::cell_mismatch(
                                entry.value.span,
                                &column.name,
                                &ty,
                                &why,
                            ));
                        }
                        ok = false;
                        continue;
                    }
                },
                None => Cell::Null,
            };
            if cell == Cell::Null && column.required {
                self.push(messages::missing_column(
                    span,
                    &column.name,
                    "this row has no value for it",
                ));
                ok = false;
            }
            row.push(cell);
        }
        ok.then_some(row)
    }

    /// `csv("file.csv")`: a header naming columns, then one row per line; an empty
    /// field is null. Problems point into the CSV file.
    fn csv_rows(
        &mut self,
        id: InstId,
        path: &str,
        at: Span,
        columns: &[Column],
        table: &str,
    ) -> Option<Vec<Vec<Cell>>> {
        let module = self.world.inst(id).map(|i| self.world.module_of(i.scope))?;
        let file = match self.world.program.attachment(module, path).map(|a| &a.file) {
            Some(Ok(file)) => *file,
            Some(Err(Escape::Outside)) => {
                let root = self.world.program.root_display.clone();
                self.push(messages::path_escapes(at, path, &root));
                return None;
            }
            Some(Err(Escape::Missing(reason))) => {
                let reason = reason.clone();
                self.push(messages::file_not_found(at, path, &reason));
                return None;
            }
            None => {
                self.push(messages::wrong_arguments(
                    at,
                    "csv",
                    "a path written as a string: `csv(\"data/x.csv\")`",
                ));
                return None;
            }
        };
        let text = self
            .world
            .program
            .sources
            .get(file)
            .map(|f| f.text.clone())?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let span_of = |pos: Option<&csv::Position>, len: usize| {
            let start = pos.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0));
            Span::new(file, start, start + len)
        };
        let header = match records.next() {
            Some(Ok(header)) => header,
            Some(Err(e)) => {
                self.push(messages::malformed_csv(
                    span_of(e.position(), 1),
                    &e.to_string(),
                ));
                return None;
            }
            None => {
                self.push(messages::malformed_csv(
                    Span::new(file, 0, 0),
                    "the file is empty: it needs a header line",
                ));
                return None;
            }
        };
        let mapping = self.csv_header(&header, columns, table, file)?;
        let mut out = Vec::new();
        let mut ok = true;
        for record in records {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    self.push(messages::malformed_csv(
                        span_of(e.position(), 1),
                        &csv_error(&e),
                    ));
                    return None;
                }
            };
            let line_start = record
                .position()
                .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0));
            let line_len = record.as_slice().len() + record.len().saturating_sub(1);
            if record.len() != header.len() {
                let why = format!(
                    "{} fields where the header has {}",
                    record.len(),
                    header.len()
                );
                self.push(messages::malformed_csv(
                    Span::new(file, line_start, line_start + line_len),
                    &why,
                ));
                ok = false;
                continue;
            }
            match self.csv_row(&record, &mapping, columns, file, line_start) {
                Some(row) => out.push(row),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// Which column each CSV field is: every header name must be a column, and
    /// every required column must be in the header.
    fn csv_header(
        &mut self,
        header: &csv::StringRecord,
        columns: &[Column],
        table: &str,
        file: crate::source::FileId,
    ) -> Option<Vec<usize>> {
        let start = header
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0));
        let mut offset = start;
        let mut mapping = Vec::new();
        let mut ok = true;
        for name in header.iter() {
            let span = Span::new(file, offset, offset + name.len());
            offset += name.len() + 1;
            match columns.iter().position(|c| c.name == name.trim()) {
                Some(i) => mapping.push(i),
                None => {
                    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                    let suggestion = did_you_mean(name.trim(), names.iter().copied());
                    self.push(messages::unknown_column(
                        span,
                        name.trim(),
                        table,
                        suggestion,
                    ));
                    ok = false;
                }
            }
        }
        let line = Span::new(file, start, offset.saturating_sub(1).max(start));
        for (i, column) in columns.iter().enumerate() {
            if column.required && !mapping.contains(&i) {
                self.push(messages::missing_column(
                    line,
                    &column.name,
                    "the header has no such column",
                ));
                ok = false;
            }
        }
        ok.then_some(mapping)
    }

    fn csv_row(
        &mut self,
        record: &csv::StringRecord,
        mapping: &[usize],
        columns: &[Column],
        file: crate::source::FileId,
        line_start: usize,
    ) -> Option<Vec<Cell>> {
        let mut row = vec![Cell::Null; columns.len()];
        let mut ok = true;
        // Field offsets: the record's raw fields joined by one separator each. Quoted
        // fields shift this by their quotes; the span stays on the right line.
        let mut offset = line_start;
        for (field, &column_index) in record.iter().zip(mapping) {
            let span = Span::new(file, offset, offset + field.len().max(1));
            offset += field.len() + 1;
            let Some(column) = columns.get(column_index) else {
                continue;
            };
            if field.is_empty() {
                if column.required {
                    self.push(messages::missing_column(
                        span,
                        &column.name,
                        "an empty field is null",
                    ));
                    ok = false;
                }
                continue;
            }
            match cells::text_cell(field, column.ty) {
                Ok(cell) => {
                    if let Some(slot) = row.get_mut(column_index) {
                        *slot = cell;
                    }
                }
                Err(why) => {
                    self.push(messages::cell_mismatch(
                        span,
                        &column.name,
                        &column.ty.name(),
                        &why,
                    ));
                    ok = false;
                }
            }
        }
        ok.then_some(row)
    }

    /// `generate(n, { column = generator })`.
    fn generated(
        &mut self,
        id: InstId,
        count: i64,
        generators: &[Entry],
        columns: &[Column],
        table: &str,
        at: Span,
    ) -> Option<Seed> {
        let mut ok = self.known_columns(generators, columns, table);
        let mut out = Vec::new();
        for column in columns {
            match generators.iter().find(|e| e.key == column.name) {
                Some(entry) => match self.generator(id, &entry.value, column) {
                    Some(g) if self.sequence_fits(&g, count, column, entry.value.span) => {
                        out.push(g);
                    }
                    _ => ok = false,
                },
                None if column.required => {
                    self.push(messages::missing_column(
                        at,
                        &column.name,
                        "no generator for it",
                    ));
                    ok = false;
                }
                None => out.push(Generator::Constant(Cell::Null)),
            }
        }
        ok.then(|| Seed::Generate {
            count: u64::try_from(count).unwrap_or(0),
            columns: out,
        })
    }

    /// Whether a sequence's last value, after `count` rows, is still a value of its
    /// column: an int column holds 32 bits, dates and timestamps the years 1 to 9999
    /// (what the Iceberg spec's readers and Parquet's date and timestamp types
    /// take). Other generators fit by construction.
    fn sequence_fits(&mut self, g: &Generator, count: i64, column: &Column, span: Span) -> bool {
        let Generator::Sequence { start, step } = g else {
            return true;
        };
        const MICROS: i128 = 1_000_000;
        // 0001-01-01 and 9999-12-31 as days since 1970-01-01.
        const FIRST_DAY: i128 = -719_162;
        const LAST_DAY: i128 = 2_932_896;
        let steps = i128::from(count.max(1) - 1) * i128::from(*step);
        let (last, range) = match (start, column.ty) {
            (Cell::Int(n), ColumnType::Int) => (
                i128::from(*n) + steps,
                i128::from(i32::MIN)..=i128::from(i32::MAX),
            ),
            (Cell::Int(n), _) => (
                i128::from(*n) + steps,
                i128::from(i64::MIN)..=i128::from(i64::MAX),
            ),
            (Cell::Date(d), _) => (i128::from(*d) + steps, FIRST_DAY..=LAST_DAY),
            (Cell::Timestamp(t), _) => (
                i128::from(*t) + steps * MICROS,
                FIRST_DAY * 86_400 * MICROS..=(LAST_DAY + 1) * 86_400 * MICROS - 1,
            ),
            _ => return true,
        };
        if range.contains(&last) {
            return true;
        }
        let ty = column.ty.name();
        let why = format!(
            "after {count} rows this sequence is past what {} {ty} column holds",
            messages::article(&ty)
        );
        self.push(
            messages::generator_mismatch(span, &column.name, &ty, &why).with_help(
                "start the sequence lower, generate fewer rows, or use a wider column (`long` for ints)",
            ),
        );
        false
    }

    /// A generator for a column: a constant, `sequence`, `pick`, `between`, another
    /// table's column, or generated text.
    fn generator(&mut self, id: InstId, v: &V, column: &Column) -> Option<Generator> {
        let ty = column.ty;
        let misfit = |checker: &mut Self, span: Span, why: &str| {
            checker.push(messages::generator_mismatch(
                span,
                &column.name,
                &ty.name(),
                why,
            ));
            None
        };
        match &v.value {
            Value::Error => None,
            Value::Gen(Gen::Sequence { start, step }) => {
                if !matches!(
                    ty,
                    ColumnType::Int
                        | ColumnType::Long
                        | ColumnType::Date
                        | ColumnType::Timestamp
                        | ColumnType::Timestamptz
                ) {
                    return misfit(
                        self,
                        v.span,
                        "a sequence counts ints, longs, dates or timestamps",
                    );
                }
                let start = self.generator_cell(start, column)?;
                Some(Generator::Sequence { start, step: *step })
            }
            Value::Gen(Gen::Pick(items)) => {
                let cells: Vec<Cell> = items
                    .iter()
                    .filter_map(|i| self.generator_cell(i, column))
                    .collect();
                (cells.len() == items.len()).then_some(Generator::Pick(cells))
            }
            Value::Gen(Gen::Between(lo, hi)) => {
                if !matches!(
                    ty,
                    ColumnType::Int
                        | ColumnType::Long
                        | ColumnType::Float
                        | ColumnType::Double
                        | ColumnType::Decimal { .. }
                        | ColumnType::Date
                        | ColumnType::Timestamp
                        | ColumnType::Timestamptz
                ) {
                    return misfit(self, v.span, "`between` makes numbers, dates or timestamps");
                }
                let (lo_cell, hi_cell) = (
                    self.generator_cell(lo, column)?,
                    self.generator_cell(hi, column)?,
                );
                if cell_order(&lo_cell, &hi_cell) == Some(std::cmp::Ordering::Greater) {
                    self.push(messages::reversed_range(lo.span, hi.span));
                    return None;
                }
                Some(Generator::Between {
                    lo: lo_cell,
                    hi: hi_cell,
                })
            }
            Value::ColumnRef {
                table,
                column: other,
            } => self.column_ref(id, *table, other, v.span, column),
            Value::GenText(parts) => {
                if ty != ColumnType::String {
                    return misfit(self, v.span, "generated text fills string columns");
                }
                let text_column = Column {
                    name: column.name.clone(),
                    ty: ColumnType::Long,
                    required: false,
                };
                let mut out = Vec::new();
                for part in parts {
                    match part {
                        GenPart::Text(t) => out.push(TextPart::Text(t.clone())),
                        GenPart::Gen(g) => {
                            let inner = match &g.value {
                                Value::ColumnRef { .. } => self.generator(
                                    id,
                                    g,
                                    &Column {
                                        ty: ColumnType::String,
                                        ..text_column.clone()
                                    },
                                ),
                                _ => self.generator(id, g, &text_column),
                            };
                            out.push(TextPart::Generator(inner?));
                        }
                    }
                }
                Some(Generator::Text(out))
            }
            _ => self.generator_cell(v, column).map(Generator::Constant),
        }
    }

    fn generator_cell(&mut self, v: &V, column: &Column) -> Option<Cell> {
        match value_cell(&v.value, column.ty) {
            Ok(cell) => Some(cell),
            Err(why) => {
                if !v.is_error() {
                    self.push(messages::generator_mismatch(
                        v.span,
                        &column.name,
                        &column.ty.name(),
                        &why,
                    ));
                }
                None
            }
        }
    }

    /// `customers.id`: values of another table's column, which must be seeded and of
    /// the same type.
    fn column_ref(
        &mut self,
        id: InstId,
        table: InstId,
        other: &str,
        span: Span,
        column: &Column,
    ) -> Option<Generator> {
        if table == id {
            self.push(messages::generator_mismatch(
                span,
                &column.name,
                &column.ty.name(),
                "a table cannot pick keys from itself",
            ));
            return None;
        }
        let other_columns = self.columns_of(table);
        let other_ty = other_columns.iter().find(|c| c.name == other).map(|c| c.ty);
        let seeded = self.field(table, "rows").is_some() || self.field(table, "seed").is_some();
        let why = if !seeded {
            Some("that table has no seed data to pick from".to_string())
        } else if other_ty.is_some_and(|t| t != column.ty) {
            Some(format!(
                "that column is {}",
                other_ty.map(|t| t.name()).unwrap_or_default()
            ))
        } else {
            None
        };
        if let Some(why) = why {
            self.push(messages::generator_mismatch(
                span,
                &column.name,
                &column.ty.name(),
                &why,
            ));
            return None;
        }
        Some(Generator::Ref {
            table: self.world.path(table),
            column: other.to_string(),
        })
    }

    /// The columns of another table, without reporting its problems again.
    fn columns_of(&mut self, table: InstId) -> Vec<Column> {
        let Some(Value::Record(entries)) = self.field_owned(table, "columns").map(|v| v.value)
        else {
            return Vec::new();
        };
        entries
            .into_iter()
            .filter_map(|e| {
                let (ty, required) = match e.value.value {
                    Value::Column { ty, required } => (ty, required),
                    Value::Word(w) => (ColumnType::from_word(&w)?, false),
                    _ => return None,
                };
                Some(Column {
                    name: e.key,
                    ty,
                    required,
                })
            })
            .collect()
    }

    /// Checks every query once all tables are known, and the size of the seed data.
    pub(super) fn check_data(&mut self) {
        self.check_seed_size();
        let checks: Vec<InstId> = (0..self.world.insts.len())
            .map(|i| InstId(u32::try_from(i).unwrap_or(u32::MAX)))
            .filter(|&id| self.world.kind_of(id) == Some(Kind::Check))
            .collect();
        for id in checks {
            self.check_query(id);
        }
    }

    fn check_seed_size(&mut self) {
        let mut sizes: Vec<(usize, Span)> = Vec::new();
        for (id, table) in &self.tables_built {
            if let Some(Seed::Rows(rows)) = &table.seed {
                let bytes = crate::plan::wire::rows_len(rows);
                let span = self
                    .world
                    .inst(*id)
                    .map_or_else(Span::default, |i| i.block.name.span);
                sizes.push((bytes, span));
            }
        }
        let total: usize = sizes.iter().map(|(b, _)| b).sum();
        if total > MAX_PLAN_SEED_BYTES
            && let Some((_, span)) = sizes.iter().max_by_key(|(b, _)| *b)
        {
            self.push(messages::seed_too_large(*span, total, MAX_PLAN_SEED_BYTES));
        }
    }

    fn check_query(&mut self, id: InstId) {
        let Some(expect) = self.expectation(id) else {
            return;
        };
        let Some(sql) = self.field(id, "sql") else {
            return;
        };
        let Value::Str(text) = &sql.value else { return };
        let Some(validator) = self.sql else { return };
        let tables: Vec<model::Table> = self.tables_built.iter().map(|(_, t)| t.clone()).collect();
        let ids: Vec<InstId> = self.tables_built.iter().map(|(id, _)| *id).collect();
        match validator.validate(&tables, text) {
            Ok(types) => self.check_result_shape(&types, &expect, sql.span),
            // A table with a column in error is not what the query was written for.
            Err(_) if ids.into_iter().any(|t| self.columns_in_error(t)) => {}
            Err(e) => {
                let span = self.sql_span(sql.span, text, e.offset);
                self.push(messages::sql_error(span, &e.message));
            }
        }
    }

    /// The expected value and comparison of a check.
    pub(super) fn expectation(&mut self, id: InstId) -> Option<(model::Expect, Span)> {
        let op = self
            .world
            .inst(id)?
            .block
            .fields()
            .find(|f| f.key.name == "expect")
            .map_or(ast::FieldOp::Assign, |f| f.op);
        let v = self.field(id, "expect")?;
        let value = match &v.value {
            Value::Int(n) => Cell::Int(*n),
            Value::Float(d) => Cell::Float(d.to_f64()),
            Value::Bool(b) => Cell::Bool(*b),
            Value::Str(s) => Cell::String(s.clone()),
            Value::Error => return None,
            other => {
                let found = other.type_name();
                self.push(messages::mismatched(
                    v.span,
                    "a number, string or bool",
                    found,
                    None,
                ));
                return None;
            }
        };
        let op = match op {
            ast::FieldOp::Assign | ast::FieldOp::Eq => model::Comparison::Eq,
            ast::FieldOp::Ne => model::Comparison::Ne,
            ast::FieldOp::Lt => model::Comparison::Lt,
            ast::FieldOp::Le => model::Comparison::Le,
            ast::FieldOp::Gt => model::Comparison::Gt,
            ast::FieldOp::Ge => model::Comparison::Ge,
        };
        Some((model::Expect { op, value }, v.span))
    }

    fn check_result_shape(
        &mut self,
        types: &[SqlType],
        expect: &(model::Expect, Span),
        query: Span,
    ) {
        let (expect, at) = expect;
        let why = match types {
            [one] => match (one, &expect.value) {
                (SqlType::Number, Cell::Int(_) | Cell::Float(_))
                | (SqlType::Boolean, Cell::Bool(_))
                | (SqlType::Text | SqlType::Other, Cell::String(_)) => None,
                (SqlType::Number, _) => Some("the query gives a number".to_string()),
                (SqlType::Boolean, _) => Some("the query gives a bool".to_string()),
                (SqlType::Text, _) => Some("the query gives text".to_string()),
                (SqlType::Other, _) => {
                    Some("the query gives a value that is compared as text".to_string())
                }
            },
            many => Some(format!(
                "the query gives {} columns; a check compares one value",
                many.len()
            )),
        };
        if let Some(why) = why {
            self.push(messages::expect_mismatch(*at, &why, query));
        }
    }

    /// Where in the source an offset into a query is: exact for a one-line string
    /// without escapes, by line and indentation for a `"""` string, the whole
    /// literal otherwise.
    fn sql_span(&self, literal: Span, sql: &str, offset: Option<usize>) -> Span {
        let Some(offset) = offset.filter(|&o| o <= sql.len()) else {
            return literal;
        };
        let raw = self.world.program.sources.slice(literal);
        let word_len = sql.get(offset..).map_or(1, |rest| {
            rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(rest.len())
                .max(1)
        });
        let at = |start: usize| Span::new(literal.file, start, start + word_len);
        if let Some(inner) = raw.strip_prefix("\"\"\"") {
            let before = sql.get(..offset).unwrap_or("");
            let line = before.matches('\n').count();
            let column = before
                .rfind('\n')
                .map_or(before.len(), |i| before.len() - i - 1);
            let indent = inner
                .lines()
                .skip(1)
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            let skip_first = usize::from(inner.starts_with('\n') || inner.starts_with("\r\n"));
            let mut start = literal.start as usize + 3;
            for l in inner.split_inclusive('\n').take(line + skip_first) {
                start += l.len();
            }
            return at(start + indent + column);
        }
        if raw.contains('\\') || raw.contains("${") {
            return literal;
        }
        at(literal.start as usize + 1 + offset)
    }
}

/// A floe value as a cell of a column.
fn value_cell(value: &Value, ty: ColumnType) -> Result<Cell, Misfit> {
    match (value, ty) {
        (Value::Bool(b), ColumnType::Boolean) => Ok(Cell::Bool(*b)),
        (Value::Int(n), _) => cells::int_cell(*n, ty),
        (Value::Float(d), ColumnType::Float | ColumnType::Double) => Ok(Cell::Float(d.to_f64())),
        (Value::Float(d), ColumnType::Decimal { precision, scale }) => {
            cells::decimal_cell(*d, precision, scale)
        }
        (Value::Str(s), _) => cells::text_cell(s, ty),
        (Value::Error, _) => Err(String::new()),
        (other, _) => Err(format!(
            "{} where {} is expected",
            text_of(other).map_or_else(|| format!("a {}", other.type_name()), |t| format!("`{t}`")),
            article_for(ty)
        )),
    }
}

fn article_for(ty: ColumnType) -> String {
    let name = ty.name();
    format!("{} {name}", messages::article(&name))
}

/// The order of two cells of one type, for `between`.
fn cell_order(a: &Cell, b: &Cell) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Cell::Int(x), Cell::Int(y)) => Some(x.cmp(y)),
        (Cell::Float(x), Cell::Float(y)) => x.partial_cmp(y),
        (Cell::Decimal(x), Cell::Decimal(y)) => Some(x.cmp(y)),
        (Cell::Date(x), Cell::Date(y)) => Some(x.cmp(y)),
        (Cell::Timestamp(x), Cell::Timestamp(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn is_column_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "the file is not UTF-8 text".to_string(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("{len} fields where the header has {expected_len}")
        }
        _ => e.to_string(),
    }
}

/// Every word that starts a column type, for "did you mean".
fn column_type_words() -> impl Iterator<Item = &'static str> {
    model::COLUMN_TYPE_WORDS
        .iter()
        .map(|t| t.word)
        .chain(["decimal"])
}
