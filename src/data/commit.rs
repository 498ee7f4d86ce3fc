//! Committing a seed: its data files are appended in one snapshot, on the condition
//! that the table is still at the snapshot the seed was decided on.
//!
//! iceberg-rust's `Transaction::commit` rebases: on a conflict it reloads the table
//! and appends again on top of whatever another writer committed. That is right for
//! a plain append and wrong for "seed only when empty": two runs that both found
//! the table empty would both add their rows. So a commit here goes through
//! [`Pinned`], a view of the catalog in which the table stays at the snapshot the
//! seed counted. The append then carries the requirement that the main branch is
//! still at that snapshot (the REST spec's `assert-ref-snapshot-id`, which the SQL
//! catalog checks under its compare-and-swap of the metadata location), a conflict
//! comes back to the caller, and the caller counts again.
//!
//! Every commit carries its write id in the snapshot summary (`floe.write`), and its
//! files are named by it: when a commit fails in a way that leaves its outcome
//! unknown (a REST catalog's 5xx), the table is read again and the id tells whether
//! the snapshot landed.

use std::collections::HashMap;

use async_trait::async_trait;
use iceberg::spec::DataFile;
use iceberg::table::Table as IcebergTable;
use iceberg::transaction::{ApplyTransactionAction, Transaction};
use iceberg::{
    Catalog, Error, ErrorKind, Namespace, NamespaceIdent, TableCommit, TableCreation, TableIdent,
};
use uuid::Uuid;

use super::DataError;

/// The snapshot-summary property that holds a commit's write id.
const WRITE_ID: &str = "floe.write";

/// How a commit ended.
pub enum Commit {
    /// The snapshot is the table's current one.
    Done,
    /// Another writer committed since the base snapshot; nothing was added.
    Conflict,
    /// The commit was refused or failed before it landed; nothing was added.
    Failed(DataError),
    /// Whether the commit landed cannot be told (the catalog could not be read
    /// after the failure): the files must stay.
    Unknown(DataError),
}

/// Appends `files` to `base` in one snapshot with the write id `id`, only if the
/// table is still at `base`'s current snapshot; the same commit removes the table
/// property `settles` (the write's announcement, see [`sweep`](super::sweep)).
pub async fn append(
    catalog: &dyn Catalog,
    base: &IcebergTable,
    files: &[DataFile],
    id: Uuid,
    stack: &str,
    settles: Option<&str>,
) -> Commit {
    let properties = HashMap::from([
        ("floe.stack".to_string(), stack.to_string()),
        (WRITE_ID.to_string(), id.to_string()),
    ]);
    let tx = Transaction::new(base);
    let action = tx
        .fast_append()
        .set_commit_uuid(id)
        .set_snapshot_properties(properties)
        .add_data_files(files.iter().cloned());
    let tx = match action.apply(tx) {
        Ok(tx) => tx,
        Err(e) => return Commit::Failed(e.into()),
    };
    let tx = match settles {
        Some(key) => match tx
            .update_table_properties()
            .remove(key.to_string())
            .apply(tx)
        {
            Ok(tx) => tx,
            Err(e) => return Commit::Failed(e.into()),
        },
        None => tx,
    };
    let pinned = Pinned { catalog, base };
    let result = tx.commit(&pinned).await;
    let error = match result {
        Ok(_) => return Commit::Done,
        Err(e) if e.kind() == ErrorKind::CatalogCommitConflicts => return Commit::Conflict,
        Err(e) => DataError::from(e),
    };
    match catalog.load_table(base.identifier()).await {
        Ok(table) if landed(&table, id) => Commit::Done,
        Ok(_) => Commit::Failed(error),
        Err(_) => Commit::Unknown(error),
    }
}

/// Whether a snapshot of `table` carries the write id `id`.
pub fn landed(table: &IcebergTable, id: Uuid) -> bool {
    let id = id.to_string();
    table
        .metadata()
        .snapshots()
        .any(|s| s.summary().additional_properties.get(WRITE_ID) == Some(&id))
}

/// The catalog as one commit sees it: the table stays at its base, and a conflict is
/// final (the caller decides what to do about it, not the transaction's retries).
/// Nothing else of the catalog is used by a commit.
#[derive(Debug)]
struct Pinned<'a> {
    catalog: &'a dyn Catalog,
    base: &'a IcebergTable,
}

impl Pinned<'_> {
    fn unused() -> Error {
        Error::new(
            ErrorKind::FeatureUnsupported,
            "a commit's view of the catalog only loads and updates its table",
        )
    }
}

#[async_trait]
impl Catalog for Pinned<'_> {
    async fn list_namespaces(
        &self,
        _: Option<&NamespaceIdent>,
    ) -> iceberg::Result<Vec<NamespaceIdent>> {
        Err(Self::unused())
    }

    async fn create_namespace(
        &self,
        _: &NamespaceIdent,
        _: HashMap<String, String>,
    ) -> iceberg::Result<Namespace> {
        Err(Self::unused())
    }

    async fn get_namespace(&self, _: &NamespaceIdent) -> iceberg::Result<Namespace> {
        Err(Self::unused())
    }

    async fn namespace_exists(&self, _: &NamespaceIdent) -> iceberg::Result<bool> {
        Err(Self::unused())
    }

    async fn update_namespace(
        &self,
        _: &NamespaceIdent,
        _: HashMap<String, String>,
    ) -> iceberg::Result<()> {
        Err(Self::unused())
    }

    async fn drop_namespace(&self, _: &NamespaceIdent) -> iceberg::Result<()> {
        Err(Self::unused())
    }

    async fn list_tables(&self, _: &NamespaceIdent) -> iceberg::Result<Vec<TableIdent>> {
        Err(Self::unused())
    }

    async fn create_table(
        &self,
        _: &NamespaceIdent,
        _: TableCreation,
    ) -> iceberg::Result<IcebergTable> {
        Err(Self::unused())
    }

    async fn load_table(&self, table: &TableIdent) -> iceberg::Result<IcebergTable> {
        if table == self.base.identifier() {
            Ok(self.base.clone())
        } else {
            Err(Self::unused())
        }
    }

    async fn drop_table(&self, _: &TableIdent) -> iceberg::Result<()> {
        Err(Self::unused())
    }

    async fn purge_table(&self, _: &TableIdent) -> iceberg::Result<()> {
        Err(Self::unused())
    }

    async fn table_exists(&self, _: &TableIdent) -> iceberg::Result<bool> {
        Err(Self::unused())
    }

    async fn rename_table(&self, _: &TableIdent, _: &TableIdent) -> iceberg::Result<()> {
        Err(Self::unused())
    }

    async fn register_table(&self, _: &TableIdent, _: String) -> iceberg::Result<IcebergTable> {
        Err(Self::unused())
    }

    async fn update_table(&self, commit: TableCommit) -> iceberg::Result<IcebergTable> {
        self.catalog.update_table(commit).await.map_err(|e| {
            if e.kind() == ErrorKind::CatalogCommitConflicts {
                e.with_retryable(false)
            } else {
                e
            }
        })
    }
}
