//! The data engine: what `floe run --local`, `floe job seed` and `floe job verify`
//! do with a [`DataPlan`](crate::plan::DataPlan).
//!
//! ```text
//! DataPlan ──catalog──▶ Iceberg catalog (REST/Polaris on S3, or embedded SQLite + files)
//!    │        seed: generated or given rows ──▶ Parquet data files ──▶ one commit per table
//!    └──────── verify: iceberg scan ──▶ Arrow ──▶ embedded DuckDB ──▶ check results
//! ```
//!
//! This is an edge of floe, like the binary's `cli/`: it does IO (files, the network, the
//! environment for credentials). The compiler core only sees [`sql::DuckDbValidator`]
//! through the checker's `SqlValidator` trait. DuckDB runs in memory with external
//! access off and extension auto-loading off: nothing is downloaded at run time.

mod batch;
pub mod catalog;
mod commit;
mod duck;
pub mod generate;
mod parquet;
pub mod report;
pub mod run;
mod scan;
pub mod schema;
pub mod seed;
pub mod sql;
mod sweep;
mod synced;
pub mod verify;

use std::fmt;

/// Why a data operation failed: one line for a person, without secret values,
/// and what to do about it when the cause is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataError {
    message: String,
    help: Option<String>,
}

impl DataError {
    pub fn new(message: impl Into<String>) -> DataError {
        DataError {
            message: message.into(),
            help: None,
        }
    }

    /// The error with what was being done in front: `seeding customers: ...`.
    pub fn context(self, what: impl fmt::Display) -> DataError {
        DataError {
            message: format!("{what}: {}", self.message),
            help: self.help,
        }
    }

    /// The error with advice for its cause.
    pub fn with_help(self, help: impl Into<String>) -> DataError {
        DataError {
            help: Some(help.into()),
            ..self
        }
    }

    /// What to do about it, when the cause is known.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// An error whose chain of causes is `error`'s: the message names the cause in
    /// plain words (no library's internal kinds), and the help fits the cause.
    fn caused(message: String, error: &(dyn std::error::Error + 'static)) -> DataError {
        let mut chain = Vec::new();
        let mut io = None;
        let mut current = Some(error);
        while let Some(e) = current {
            if io.is_none() {
                io = e.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
            }
            chain.push(e.to_string().to_lowercase());
            current = e.source();
        }
        let text = chain.join(" ");
        let (cause, help) = match cause(io, &text) {
            Some((cause, help)) => (cause, Some(help.to_string())),
            None => (String::new(), None),
        };
        DataError {
            message: if cause.is_empty() {
                message
            } else {
                format!("{message}: {cause}")
            },
            help,
        }
    }
}

/// The cause of a failure and its remedy, from the kind of its IO error or the text
/// of its chain (SQLite reports its failures as text: sqlite3.c's `sqlite3ErrStr`).
fn cause(io: Option<std::io::ErrorKind>, text: &str) -> Option<(String, &'static str)> {
    use std::io::ErrorKind;
    // The kinds, or the operating system's words for them (strerror), which some
    // errors carry only as text.
    let found = |words: &str| text.contains(words);
    let cause = if io == Some(ErrorKind::StorageFull)
        || found("disk is full")
        || found("no space left on device")
    {
        (
            "the disk is full",
            "free space and run again: nothing was added, and the files of the failed write are deleted",
        )
    } else if io == Some(ErrorKind::ReadOnlyFilesystem)
        || found("readonly database")
        || found("read-only file system")
    {
        (
            "the file system is read-only",
            "put the warehouse on a writable file system (`--warehouse DIR`)",
        )
    } else if io == Some(ErrorKind::PermissionDenied) || found("permission denied") {
        (
            "permission denied",
            "give this user write access to the warehouse, or choose another with `--warehouse DIR`",
        )
    } else if io == Some(ErrorKind::NotADirectory)
        || io == Some(ErrorKind::AlreadyExists)
        || found("not a directory")
    {
        (
            "a file is where a directory belongs",
            "`--warehouse` needs a directory: move the file away or choose another path",
        )
    } else if found("database is locked") {
        (
            "the catalog database is locked by another process",
            "wait until the other run finishes, then run again",
        )
    } else if io == Some(ErrorKind::NotFound) || found("no such file or directory") {
        (
            "a file the catalog refers to is gone",
            "the table's files were removed outside floe: restore them, or drop the table from its catalog (a new local warehouse starts from empty tables)",
        )
    } else {
        return None;
    };
    Some((cause.0.to_string(), cause.1))
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DataError {}

impl From<iceberg::Error> for DataError {
    fn from(e: iceberg::Error) -> DataError {
        DataError::caused(e.message().to_string(), &e)
    }
}

impl From<std::io::Error> for DataError {
    fn from(e: std::io::Error) -> DataError {
        DataError::caused(e.to_string(), &e)
    }
}

impl From<duckdb::Error> for DataError {
    fn from(e: duckdb::Error) -> DataError {
        DataError::new(e.to_string())
    }
}

impl From<arrow_schema::ArrowError> for DataError {
    fn from(e: arrow_schema::ArrowError) -> DataError {
        DataError::new(e.to_string())
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
                DataError::new(format!(
                    "environment variable `{name}` is not set (it holds key `{key}` of secret `{secret}`)"
                ))
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;

    fn failed_write(kind: ErrorKind) -> DataError {
        let io = std::io::Error::from(kind);
        iceberg::Error::new(iceberg::ErrorKind::Unexpected, "Failed to write file")
            .with_source(io)
            .into()
    }

    #[test]
    fn each_cause_gets_its_own_words_and_remedy_without_library_internals() {
        let cases = [
            (ErrorKind::StorageFull, "the disk is full", "free space"),
            (
                ErrorKind::ReadOnlyFilesystem,
                "read-only",
                "writable file system",
            ),
            (
                ErrorKind::PermissionDenied,
                "permission denied",
                "write access",
            ),
            (
                ErrorKind::NotADirectory,
                "a file is where a directory belongs",
                "needs a directory",
            ),
            (ErrorKind::NotFound, "is gone", "removed outside floe"),
        ];
        let mut helps = std::collections::BTreeSet::new();
        for (kind, cause, remedy) in cases {
            let e = failed_write(kind);
            let text = e.to_string();
            assert!(text.starts_with("Failed to write file: "), "{text}");
            assert!(text.contains(cause), "{kind:?}: {text}");
            assert!(
                !text.contains("Unexpected") && !text.contains("source"),
                "{text}"
            );
            let help = e.help().unwrap_or_default();
            assert!(help.contains(remedy), "{kind:?}: {help:?}");
            helps.insert(help.to_string());
        }
        assert_eq!(helps.len(), cases.len(), "every cause has its own remedy");
    }

    #[test]
    fn sqlite_failures_are_told_by_their_text() {
        let locked =
            std::io::Error::other("error returned from database: (code: 5) database is locked");
        let e = DataError::from(
            iceberg::Error::new(iceberg::ErrorKind::Unexpected, "operation failed")
                .with_source(locked),
        );
        assert!(e.to_string().contains("locked by another process"), "{e}");
        assert!(e.help().is_some_and(|h| h.contains("wait")));
    }

    #[test]
    fn an_unknown_cause_gets_no_advice_and_context_keeps_the_help() {
        let e = DataError::from(iceberg::Error::new(
            iceberg::ErrorKind::DataInvalid,
            "bad manifest",
        ));
        assert_eq!(e.to_string(), "bad manifest");
        assert_eq!(e.help(), None);
        let full = failed_write(ErrorKind::StorageFull).context("table `t`");
        assert!(full.to_string().starts_with("table `t`: "));
        assert!(full.help().is_some());
    }
}
