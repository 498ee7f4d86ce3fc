//! Declared columns as Iceberg schemas and DuckDB tables.

use iceberg::spec::{NestedField, PrimitiveType, Schema, Type};

use super::{DataError, Result};
use crate::model::{Column, ColumnType, Table};

/// The Iceberg type of a column type.
pub fn iceberg_type(ty: ColumnType) -> PrimitiveType {
    match ty {
        ColumnType::Boolean => PrimitiveType::Boolean,
        ColumnType::Int => PrimitiveType::Int,
        ColumnType::Long => PrimitiveType::Long,
        ColumnType::Float => PrimitiveType::Float,
        ColumnType::Double => PrimitiveType::Double,
        ColumnType::Decimal { precision, scale } => PrimitiveType::Decimal {
            precision: u32::from(precision),
            scale: u32::from(scale),
        },
        ColumnType::String => PrimitiveType::String,
        ColumnType::Date => PrimitiveType::Date,
        ColumnType::Timestamp => PrimitiveType::Timestamp,
        ColumnType::Timestamptz => PrimitiveType::Timestamptz,
        ColumnType::Uuid => PrimitiveType::Uuid,
        ColumnType::Binary => PrimitiveType::Binary,
    }
}

/// The Iceberg schema of a table's columns; field ids count from 1 in column order,
/// `required` columns are required fields.
pub fn iceberg_schema(columns: &[Column]) -> Result<Schema> {
    let fields = columns.iter().zip(1..).map(|(c, id)| {
        let ty = Type::Primitive(iceberg_type(c.ty));
        let field = if c.required {
            NestedField::required(id, &c.name, ty)
        } else {
            NestedField::optional(id, &c.name, ty)
        };
        field.into()
    });
    Schema::builder()
        .with_fields(fields)
        .build()
        .map_err(|e| DataError::new(format!("invalid schema: {e}")))
}

/// The DuckDB type of a column type.
pub fn duckdb_type(ty: ColumnType) -> String {
    match ty {
        ColumnType::Boolean => "BOOLEAN".into(),
        ColumnType::Int => "INTEGER".into(),
        ColumnType::Long => "BIGINT".into(),
        ColumnType::Float => "FLOAT".into(),
        ColumnType::Double => "DOUBLE".into(),
        ColumnType::Decimal { precision, scale } => format!("DECIMAL({precision}, {scale})"),
        ColumnType::String => "VARCHAR".into(),
        ColumnType::Date => "DATE".into(),
        ColumnType::Timestamp => "TIMESTAMP".into(),
        ColumnType::Timestamptz => "TIMESTAMPTZ".into(),
        ColumnType::Uuid => "UUID".into(),
        ColumnType::Binary => "BLOB".into(),
    }
}

/// The Arrow schema of an Iceberg schema, with its field ids, and with Arrow's
/// canonical `arrow.uuid` extension on `uuid` fields (16-byte binary in Arrow):
/// Parquet files then have the `UUID` logical type, and DuckDB gives the column
/// its UUID type.
pub fn arrow_schema(schema: &Schema) -> Result<arrow_schema::Schema> {
    let arrow = iceberg::arrow::schema_to_arrow_schema(schema)?;
    let fields: Vec<arrow_schema::Field> = arrow
        .fields()
        .iter()
        .map(|f| {
            let field = f.as_ref().clone();
            if field.data_type() != &arrow_schema::DataType::FixedSizeBinary(16) {
                return field;
            }
            let mut metadata = field.metadata().clone();
            metadata.insert("ARROW:extension:name".into(), "arrow.uuid".into());
            field.with_metadata(metadata)
        })
        .collect();
    Ok(arrow_schema::Schema::new_with_metadata(
        fields,
        arrow.metadata().clone(),
    ))
}

/// `"name"` with inner quotes doubled.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Where a table item lives in DuckDB: checks name tables by their item names, and
/// an item inside a component instance (`shop.orders`) is table `orders` in schema
/// `shop`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuckName {
    pub schema: Option<String>,
    pub table: String,
}

impl DuckName {
    pub fn of(item: &str) -> DuckName {
        match item.split_once('.') {
            Some((schema, table)) if !table.contains('.') => DuckName {
                schema: Some(schema.to_string()),
                table: table.to_string(),
            },
            _ => DuckName {
                schema: None,
                table: item.to_string(),
            },
        }
    }

    /// The name as SQL: `"shop"."orders"`.
    pub fn sql(&self) -> String {
        match &self.schema {
            Some(s) => format!("{}.{}", quote(s), quote(&self.table)),
            None => quote(&self.table),
        }
    }
}

/// The statements that create a table item's empty DuckDB table; nothing for a
/// table without columns (the checker reports it).
pub fn create_statements(table: &Table) -> Vec<String> {
    if table.columns.is_empty() {
        return Vec::new();
    }
    let name = DuckName::of(&table.name);
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let not_null = if c.required { " NOT NULL" } else { "" };
            format!("{} {}{not_null}", quote(&c.name), duckdb_type(c.ty))
        })
        .collect();
    let mut out = Vec::new();
    if let Some(schema) = &name.schema {
        out.push(format!("CREATE SCHEMA IF NOT EXISTS {}", quote(schema)));
    }
    out.push(format!(
        "CREATE OR REPLACE TABLE {} ({})",
        name.sql(),
        columns.join(", ")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_names_map_to_duckdb_schemas() {
        assert_eq!(DuckName::of("orders").sql(), "\"orders\"");
        assert_eq!(DuckName::of("shop.orders").sql(), "\"shop\".\"orders\"");
        assert_eq!(DuckName::of("a.b.c").sql(), "\"a.b.c\"");
    }
}
