//! The embedded DuckDB shared by SQL verification and checks: in memory, with
//! external access and extension auto-install/auto-load off, so a query can read
//! neither files nor the network and nothing is downloaded; checks can spill to a
//! temporary directory.

use duckdb::{Config, Connection};

use super::Result;
use super::schema::create_statements;
use crate::model::Table;

/// A fresh in-memory database.
pub fn open() -> Result<Connection> {
    Ok(Connection::open_in_memory_with_flags(closed(
        Config::default(),
    )?)?)
}

/// A fresh in-memory database for checks: what a query keeps beyond `memory`
/// (DuckDB's size syntax, `1GiB`) spills to a temporary directory of this
/// process. Without `memory` DuckDB takes 80% of the memory there is, or of the
/// container's cgroup limit (`memory.max`, duckdb/src/common/cgroups.cpp).
pub fn open_for_checks(memory: Option<&str>) -> Result<Connection> {
    let spill = std::env::temp_dir().join(format!("floe-checks-{}", std::process::id()));
    // Before external access is turned off, which forbids changing the directory.
    let mut config = Config::default().with("temp_directory", spill.to_string_lossy())?;
    if let Some(memory) = memory {
        config = config.max_memory(memory)?;
    }
    Ok(Connection::open_in_memory_with_flags(closed(config)?)?)
}

/// No external access, no extension installed or loaded.
fn closed(config: Config) -> Result<Config> {
    Ok(config
        .enable_autoload_extension(false)?
        .with("autoinstall_known_extensions", "false")?
        .enable_external_access(false)?)
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
