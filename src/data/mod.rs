//! The data engine: what `floe run --local`, `floe job seed` and `floe job verify`
//! do with a [`DataPlan`](crate::plan::DataPlan).
//!
//! ```text
//! DataPlan ──catalog──▶ Iceberg catalog (REST/Polaris on S3, or embedded SQLite + files)
//!    │        seed: generated or given rows ──▶ Parquet data files ──▶ one commit per table
//!    └──────── verify: iceberg scan ──▶ Arrow ──▶ embedded DuckDB ──▶ check results
//! ```
//!
//! This is an edge of floe, like `main.rs`: it does IO (files, the network, the
//! environment for credentials). The compiler core only sees [`sql::DuckDbValidator`]
//! through the checker's `SqlValidator` trait. DuckDB runs in memory with external
//! access off and extension auto-loading off: nothing is downloaded at run time.

mod batch;
pub mod catalog;
mod commit;
mod duck;
pub mod generate;
pub mod report;
pub mod run;
mod scan;
pub mod schema;
pub mod seed;
pub mod sql;
mod sweep;
pub mod verify;

use std::fmt;

/// Why a data operation failed: one line for a person, without secret values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataError(pub String);

impl DataError {
    pub fn new(message: impl Into<String>) -> DataError {
        DataError(message.into())
    }

    /// The error with what was being done in front: `seeding customers: ...`.
    pub fn context(self, what: impl fmt::Display) -> DataError {
        DataError(format!("{what}: {}", self.0))
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DataError {}

impl From<iceberg::Error> for DataError {
    fn from(e: iceberg::Error) -> DataError {
        DataError(e.to_string())
    }
}

impl From<duckdb::Error> for DataError {
    fn from(e: duckdb::Error) -> DataError {
        DataError(e.to_string())
    }
}

impl From<arrow_schema::ArrowError> for DataError {
    fn from(e: arrow_schema::ArrowError) -> DataError {
        DataError(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, DataError>;

/// Where secret credentials come from: the process environment in a Job, a map in
/// tests.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Env for std::collections::HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// The value of a credential: written in the source, or read from the environment
/// variable named by [`Credential::env_var`](crate::model::Credential::env_var).
pub fn credential(c: &crate::model::Credential, env: &dyn Env) -> Result<String> {
    use crate::model::Credential;
    match c {
        Credential::Plain(value) => Ok(value.clone()),
        Credential::Secret { secret, key } => {
            let name = Credential::env_var(secret, key);
            env.var(&name).ok_or_else(|| {
                DataError(format!(
                    "environment variable `{name}` is not set (it holds key `{key}` of secret `{secret}`)"
                ))
            })
        }
    }
}
