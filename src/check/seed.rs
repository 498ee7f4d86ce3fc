//! Evaluating the data functions: column types, seed generators and table columns.

use super::Checker;
use super::eval::Ctx;
use super::value::{Gen, InstId, V, Value};
use crate::diagnostic::{did_you_mean, messages};
use crate::model::ColumnType;
use crate::source::Span;
use crate::syntax::ast;

/// The most rows `generate(n, ...)` may make.
pub const MAX_GENERATED: i64 = 1_000_000_000;

impl<'a> Checker<'_, 'a> {
    /// `generate(n, { column = generator })`.
    pub(super) fn seed_rows(&mut self, count: &V, columns: &V, span: Span) -> Option<Value> {
        let count = match count.value {
            Value::Int(n) if (0..=MAX_GENERATED).contains(&n) => n,
            Value::Int(n) => {
                let what = "the number of generated rows";
                self.push(messages::out_of_range(
                    count.span,
                    &n.to_string(),
                    what,
                    0,
                    MAX_GENERATED,
                ));
                return None;
            }
            Value::Error => return None,
            _ => {
                self.push(messages::wrong_arguments(
                    span,
                    "generate",
                    "a row count and a record of generators",
                ));
                return None;
            }
        };
        match &columns.value {
            Value::Record(entries) => Some(Value::SeedRows {
                count,
                columns: entries.clone(),
            }),
            Value::Error => None,
            _ => {
                self.push(messages::wrong_arguments(
                    columns.span,
                    "generate",
                    "a record of generators: `generate(100, { id = sequence(1) })`",
                ));
                None
            }
        }
    }

    /// `sequence()`, `sequence(start)`, `sequence(start = 10, step = 5)`.
    pub(super) fn sequence(&mut self, args: &'a [ast::Arg], span: Span, ctx: Ctx) -> Option<Value> {
        let (positional, named) = self.split_args("sequence", args, &["start", "step"], ctx);
        let mut start = positional
            .first()
            .cloned()
            .unwrap_or_else(|| V::new(Value::Int(1), span));
        let mut step = 1;
        if positional.len() > 1 {
            self.push(messages::wrong_arguments(
                span,
                "sequence",
                "a start value: `sequence(1)`",
            ));
            return None;
        }
        for entry in named {
            match (entry.key.as_str(), &entry.value.value) {
                ("start", _) => start = entry.value.clone(),
                ("step", Value::Int(n)) if *n != 0 => step = *n,
                (_, Value::Error) => return None,
                ("step", _) => {
                    self.push(messages::wrong_arguments(
                        entry.value.span,
                        "sequence",
                        "a step that is a non-zero int",
                    ));
                    return None;
                }
                _ => {}
            }
        }
        Some(Value::Gen(Gen::Sequence {
            start: Box::new(start),
            step,
        }))
    }

    /// `pick([a, b, c])`.
    pub(super) fn pick(&mut self, args: &'a [ast::Arg], span: Span, ctx: Ctx) -> Option<Value> {
        let (positional, _) = self.split_args("pick", args, &[], ctx);
        match positional.as_slice() {
            [
                V {
                    value: Value::List(items),
                    ..
                },
            ] if !items.is_empty() => Some(Value::Gen(Gen::Pick(items.clone()))),
            [
                V {
                    value: Value::Error,
                    ..
                },
            ] => None,
            _ => {
                self.push(messages::wrong_arguments(
                    span,
                    "pick",
                    "a list of values to pick from: `pick([\"a\", \"b\"])`",
                ));
                None
            }
        }
    }

    /// `between(lo, hi)`: numbers, decimals, dates or timestamps.
    pub(super) fn between(&mut self, args: &'a [ast::Arg], span: Span, ctx: Ctx) -> Option<Value> {
        let (positional, _) = self.split_args("between", args, &[], ctx);
        match positional.as_slice() {
            [lo, hi] if !lo.is_error() && !hi.is_error() => Some(Value::Gen(Gen::Between(
                Box::new(lo.clone()),
                Box::new(hi.clone()),
            ))),
            [_, _] => None,
            _ => {
                self.push(messages::wrong_arguments(
                    span,
                    "between",
                    "two bounds: `between(1, 100)`",
                ));
                None
            }
        }
    }

    /// `decimal(precision, scale)`.
    pub(super) fn decimal(&mut self, args: &'a [ast::Arg], span: Span, ctx: Ctx) -> Option<Value> {
        let (positional, _) = self.split_args("decimal", args, &[], ctx);
        let expected = "a precision from 1 to 38 and a scale up to it: `decimal(10, 2)`";
        match positional.as_slice() {
            [
                V {
                    value: Value::Int(p),
                    ..
                },
                V {
                    value: Value::Int(s),
                    ..
                },
            ] if (1..=38).contains(p) && (0..=*p).contains(s) => {
                let precision = u8::try_from(*p).ok()?;
                let scale = u8::try_from(*s).ok()?;
                Some(Value::Column {
                    ty: ColumnType::Decimal { precision, scale },
                    required: false,
                })
            }
            [a, b] if a.is_error() || b.is_error() => None,
            _ => {
                self.push(messages::wrong_arguments(span, "decimal", expected));
                None
            }
        }
    }

    /// `table.column`: the column as a generator of the table's existing values.
    pub(super) fn table_column(&mut self, table: InstId, name: &ast::Ident, span: Span) -> V {
        let columns = match self.field_owned(table, "columns").map(|v| v.value) {
            Some(Value::Record(entries)) => entries,
            _ => return V::error(span),
        };
        if let Some(column) = columns.iter().find(|c| c.key == name.name) {
            self.refer(name.span, column.key_span);
            return V::new(
                Value::ColumnRef {
                    table,
                    column: name.name.clone(),
                },
                span,
            );
        }
        let names: Vec<&str> = columns.iter().map(|c| c.key.as_str()).collect();
        let suggestion = did_you_mean(&name.name, names.iter().copied());
        let owner = self.world.describe_item(table);
        self.push(messages::unknown_column(
            name.span, &name.name, &owner, suggestion,
        ));
        V::error(span)
    }
}
