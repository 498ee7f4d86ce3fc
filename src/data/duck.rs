//! The embedded DuckDB shared by SQL verification and checks: in memory, with
//! external access and extension auto-install/auto-load off, so a query can read
//! neither files nor the network and nothing is downloaded.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema};
use duckdb::{Config, Connection};

use super::Result;
use super::schema::{DuckName, create_statements};
use crate::model::Table;

/// A fresh in-memory database.
pub fn open() -> Result<Connection> {
    let config = Config::default()
        .enable_autoload_extension(false)?
        .with("autoinstall_known_extensions", "false")?
        .enable_external_access(false)?;
    Ok(Connection::open_in_memory_with_flags(config)?)
}

/// Creates the empty tables of the declared schemas.
pub fn create_tables(conn: &Connection, tables: &[Table]) -> Result<()> {
    for table in tables {
        for statement in create_statements(table) {
            conn.execute_batch(&statement)?;
        }
    }
    Ok(())
}

/// Appends Arrow batches to a table item's DuckDB table.
pub fn append(conn: &Connection, item: &str, batches: Vec<RecordBatch>) -> Result<()> {
    let name = DuckName::of(item);
    let mut appender = match &name.schema {
        Some(schema) => conn.appender_to_db(&name.table, schema)?,
        None => conn.appender(&name.table)?,
    };
    for batch in batches {
        appender.append_record_batch(with_uuid_extension(batch)?)?;
    }
    appender.flush()?;
    Ok(())
}

/// Marks 16-byte binary columns as Arrow UUIDs, which is how Iceberg scans return
/// `uuid` columns, so that DuckDB appends them to UUID columns.
fn with_uuid_extension(batch: RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    if !schema
        .fields()
        .iter()
        .any(|f| f.data_type() == &DataType::FixedSizeBinary(16))
    {
        return Ok(batch);
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let field = f.as_ref().clone();
            if f.data_type() == &DataType::FixedSizeBinary(16) {
                let mut metadata = field.metadata().clone();
                metadata.insert("ARROW:extension:name".into(), "arrow.uuid".into());
                field.with_metadata(metadata)
            } else {
                field
            }
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    Ok(RecordBatch::try_new(schema, batch.columns().to_vec())?)
}
