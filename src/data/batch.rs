//! Seed values as Arrow record batches, in the Arrow schema of the Iceberg table.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, FixedSizeBinaryBuilder, Float32Builder,
    Float64Builder, Int32Builder, Int64Builder, LargeBinaryBuilder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, SchemaRef, TimeUnit};

use super::generate::{Compiled, Resolver};
use super::{DataError, Result};
use crate::model::{Cell, Seed, Table};

/// Where a table's seed rows come from.
pub struct SeedSource {
    rows: Rows,
    schema: SchemaRef,
    /// For each field of `schema`, in the table's order: its name and the index of
    /// the declared column of that name, whose values it gets. An existing table
    /// may have its columns in another order than the declaration; values go by
    /// name, never by position.
    columns: Vec<(String, usize)>,
}

enum Rows {
    Given(Vec<Vec<Cell>>),
    Generated { count: u64, columns: Vec<Compiled> },
}

impl SeedSource {
    /// The seed of `table`, or `None` when it has none.
    pub fn new(table: &Table, schema: SchemaRef, resolver: &mut Resolver) -> Result<Option<Self>> {
        let rows = match &table.seed {
            None => return Ok(None),
            Some(Seed::Rows(rows)) => Rows::Given(rows.clone()),
            Some(Seed::Generate { count, columns }) => Rows::Generated {
                count: *count,
                columns: resolver.compile_table(table, columns)?,
            },
        };
        let columns = schema
            .fields()
            .iter()
            .map(|field| {
                let declared = table.columns.iter().position(|c| &c.name == field.name());
                declared
                    .map(|index| (field.name().clone(), index))
                    .ok_or_else(|| {
                        DataError::new(format!(
                            "table `{}` has a column `{}` that is not declared",
                            table.name,
                            field.name()
                        ))
                    })
            })
            .collect::<Result<_>>()?;
        Ok(Some(SeedSource {
            rows,
            schema,
            columns,
        }))
    }

    /// How many rows the seed has.
    pub fn len(&self) -> u64 {
        match &self.rows {
            Rows::Given(rows) => rows.len() as u64,
            Rows::Generated { count, .. } => *count,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The Arrow schema of the batches.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Rows `start..start + len` as one batch, its columns in the table's order.
    pub fn batch(&self, start: u64, len: usize) -> Result<RecordBatch> {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.columns.len());
        for (field, (name, index)) in self.schema.fields().iter().zip(&self.columns) {
            let mut builder = ColumnBuilder::new(field.data_type(), len)?;
            for row in start..start + len as u64 {
                let cell = self.cell(row, *index);
                let appended = if cell == Cell::Null && !field.is_nullable() {
                    Err(DataError::new("a required column has no value"))
                } else {
                    builder.append(&cell)
                };
                appended
                    .map_err(|e| e.context(format_args!("row {}, column `{name}`", row + 1)))?;
            }
            arrays.push(builder.finish(field.data_type())?);
        }
        Ok(RecordBatch::try_new(self.schema.clone(), arrays)?)
    }

    fn cell(&self, row: u64, column: usize) -> Cell {
        match &self.rows {
            Rows::Given(rows) => usize::try_from(row)
                .ok()
                .and_then(|r| rows.get(r))
                .and_then(|r| r.get(column))
                .cloned()
                .unwrap_or(Cell::Null),
            Rows::Generated { columns, .. } => {
                columns.get(column).map_or(Cell::Null, |g| g.value(row))
            }
        }
    }
}

/// An Arrow array under construction, of one of the types Iceberg columns map to.
enum ColumnBuilder {
    Bool(BooleanBuilder),
    Int(Int32Builder),
    Long(Int64Builder),
    Float(Float32Builder),
    Double(Float64Builder),
    Decimal(Decimal128Builder),
    Text(StringBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Uuid(FixedSizeBinaryBuilder),
    Binary(LargeBinaryBuilder),
}

impl ColumnBuilder {
    fn new(ty: &DataType, len: usize) -> Result<ColumnBuilder> {
        Ok(match ty {
            DataType::Boolean => ColumnBuilder::Bool(BooleanBuilder::with_capacity(len)),
            DataType::Int32 => ColumnBuilder::Int(Int32Builder::with_capacity(len)),
            DataType::Int64 => ColumnBuilder::Long(Int64Builder::with_capacity(len)),
            DataType::Float32 => ColumnBuilder::Float(Float32Builder::with_capacity(len)),
            DataType::Float64 => ColumnBuilder::Double(Float64Builder::with_capacity(len)),
            DataType::Decimal128(..) => {
                ColumnBuilder::Decimal(Decimal128Builder::with_capacity(len))
            }
            DataType::Utf8 => ColumnBuilder::Text(StringBuilder::with_capacity(len, len * 8)),
            DataType::Date32 => ColumnBuilder::Date(Date32Builder::with_capacity(len)),
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::with_capacity(len))
            }
            DataType::FixedSizeBinary(16) => {
                ColumnBuilder::Uuid(FixedSizeBinaryBuilder::with_capacity(len, 16))
            }
            DataType::LargeBinary => {
                ColumnBuilder::Binary(LargeBinaryBuilder::with_capacity(len, len * 8))
            }
            other => {
                return Err(DataError::new(format!(
                    "floe cannot write columns of Arrow type {other}"
                )));
            }
        })
    }

    fn append(&mut self, cell: &Cell) -> Result<()> {
        if *cell == Cell::Null {
            self.append_null();
            return Ok(());
        }
        match (self, cell) {
            (ColumnBuilder::Bool(b), Cell::Bool(v)) => b.append_value(*v),
            (ColumnBuilder::Int(b), Cell::Int(v)) => b.append_value(
                i32::try_from(*v).map_err(|_| DataError::new(format!("{v} is not an int")))?,
            ),
            (ColumnBuilder::Long(b), Cell::Int(v)) => b.append_value(*v),
            (ColumnBuilder::Float(b), Cell::Float(v)) => b.append_value(*v as f32),
            (ColumnBuilder::Float(b), Cell::Int(v)) => b.append_value(*v as f32),
            (ColumnBuilder::Double(b), Cell::Float(v)) => b.append_value(*v),
            (ColumnBuilder::Double(b), Cell::Int(v)) => b.append_value(*v as f64),
            (ColumnBuilder::Decimal(b), Cell::Decimal(v)) => b.append_value(*v),
            (ColumnBuilder::Text(b), Cell::String(v)) => b.append_value(v),
            (ColumnBuilder::Date(b), Cell::Date(v)) => b.append_value(*v),
            (ColumnBuilder::Timestamp(b), Cell::Timestamp(v)) => b.append_value(*v),
            (ColumnBuilder::Uuid(b), Cell::Uuid(v)) => b.append_value(v.to_be_bytes())?,
            (ColumnBuilder::Binary(b), Cell::Binary(v)) => b.append_value(v),
            (_, other) => {
                return Err(DataError::new(format!(
                    "value {other:?} does not fit the column"
                )));
            }
        }
        Ok(())
    }

    fn append_null(&mut self) {
        match self {
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::Int(b) => b.append_null(),
            ColumnBuilder::Long(b) => b.append_null(),
            ColumnBuilder::Float(b) => b.append_null(),
            ColumnBuilder::Double(b) => b.append_null(),
            ColumnBuilder::Decimal(b) => b.append_null(),
            ColumnBuilder::Text(b) => b.append_null(),
            ColumnBuilder::Date(b) => b.append_null(),
            ColumnBuilder::Timestamp(b) => b.append_null(),
            ColumnBuilder::Uuid(b) => b.append_null(),
            ColumnBuilder::Binary(b) => b.append_null(),
        }
    }

    fn finish(self, ty: &DataType) -> Result<ArrayRef> {
        Ok(match (self, ty) {
            (ColumnBuilder::Bool(mut b), _) => Arc::new(b.finish()),
            (ColumnBuilder::Int(mut b), _) => Arc::new(b.finish()),
            (ColumnBuilder::Long(mut b), _) => Arc::new(b.finish()),
            (ColumnBuilder::Float(mut b), _) => Arc::new(b.finish()),
            (ColumnBuilder::Double(mut b), _) => Arc::new(b.finish()),
            (ColumnBuilder::Decimal(mut b), DataType::Decimal128(p, s)) => {
                Arc::new(b.finish().with_precision_and_scale(*p, *s)?)
            }
            (ColumnBuilder::Decimal(mut b), _) => Arc::new(b.finish()),
            (ColumnBuilder::Text(mut b), _) => Arc::new(b.finish()),
            (ColumnBuilder::Date(mut b), _) => Arc::new(b.finish()),
            (ColumnBuilder::Timestamp(mut b), DataType::Timestamp(_, tz)) => {
                Arc::new(b.finish().with_timezone_opt(tz.clone()))
            }
            (ColumnBuilder::Timestamp(mut b), _) => Arc::new(b.finish()),
            (ColumnBuilder::Uuid(mut b), _) => Arc::new(b.finish()),
            (ColumnBuilder::Binary(mut b), _) => Arc::new(b.finish()),
        })
    }
}
