//! The embedded DuckDB shared by SQL verification and checks: in memory, with
//! external access and extension auto-install/auto-load off, so a query can read
//! neither files nor the network and nothing is downloaded.

use duckdb::{Config, Connection};

use super::Result;
use super::schema::create_statements;
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
