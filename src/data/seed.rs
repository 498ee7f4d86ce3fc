//! Creating tables and writing their seed data: namespaces and tables are created
//! when missing, and a table's seed rows are written as Parquet data files and
//! committed in one Iceberg snapshot.
//!
//! A failure before the commit leaves the table as it was (data files that no
//! snapshot references are invisible; floe deletes them when it can). With
//! `when = empty` a table that has rows is left alone, so running again adds
//! nothing; a commit lands only on the snapshot that was counted (see
//! [`commit`](super::commit)), so runs at once add the rows once.

use std::collections::HashMap;
use std::sync::Arc;

use iceberg::spec::{DataContentType, DataFile, Schema};
use iceberg::table::Table as IcebergTable;
use iceberg::writer::file_writer::location_generator::{
    DefaultLocationGenerator, LocationGenerator,
};
use iceberg::{Catalog, NamespaceIdent, TableCreation, TableIdent};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tokio::task::JoinSet;

use super::batch::SeedSource;
use super::commit::{self, Commit};
use super::generate::Resolver;
use super::schema::{arrow_schema, iceberg_schema};
use super::sweep;
use super::{DataError, Result};
use crate::model::{SeedWhen, Table};
use crate::plan::DataPlan;

/// Rows per Arrow batch handed to the Parquet writer.
const BATCH_ROWS: u64 = 64 * 1024;

/// Rows per data file. A larger seed is written as several files at once, which
/// uses every core; the split depends on the row count only, so a seed is always
/// cut the same way.
pub const FILE_ROWS: u64 = 4 * BATCH_ROWS;

/// What seeding a table did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Rows written in one snapshot.
    Written { rows: u64, files: usize },
    /// `when = empty` and the table has rows already.
    Kept { rows: u64 },
    /// The table has no seed; it exists now.
    NoSeed,
}

/// The catalog identifier of a table item.
pub fn ident(table: &Table) -> Result<TableIdent> {
    let namespace = NamespaceIdent::from_vec(table.namespace.clone())
        .map_err(|e| DataError::new(format!("invalid namespace of `{}`: {e}", table.name)))?;
    Ok(TableIdent::new(namespace, table.table.clone()))
}

/// Creates the table's namespaces (each level of `a.b`) and the table when missing,
/// and checks that an existing table has the declared columns.
pub async fn ensure_table(catalog: &dyn Catalog, table: &Table) -> Result<IcebergTable> {
    let ident = ident(table)?;
    for depth in 1..=table.namespace.len() {
        let levels = table.namespace.get(..depth).unwrap_or_default().to_vec();
        let namespace = NamespaceIdent::from_vec(levels)?;
        if !catalog.namespace_exists(&namespace).await? {
            let created = catalog.create_namespace(&namespace, HashMap::new()).await;
            // Another writer may have made it in between.
            if let Err(e) = created
                && !catalog.namespace_exists(&namespace).await?
            {
                return Err(DataError::from(e).context("creating a namespace"));
            }
        }
    }
    let declared = iceberg_schema(&table.columns)?;
    if !catalog.table_exists(&ident).await? {
        let creation = TableCreation::builder()
            .name(table.table.clone())
            .schema(declared.clone())
            .build();
        match catalog.create_table(ident.namespace(), creation).await {
            Ok(created) => return Ok(created),
            // Another writer may have made it in between: then it is checked below.
            Err(e) if !catalog.table_exists(&ident).await? => return Err(e.into()),
            Err(_) => {}
        }
    }
    let existing = catalog.load_table(&ident).await?;
    if let Some(why) = schema_difference(existing.metadata().current_schema(), &declared) {
        return Err(DataError::new(format!(
            "table `{}` exists in the catalog with other columns ({why}); floe does not change existing tables",
            dotted(table)
        ))
        .with_help(
            "declare the columns it has, or drop it and run again (a local warehouse starts from empty tables when its directory is deleted)",
        ));
    }
    Ok(existing)
}

/// How often a seed counts again after another writer committed to its table
/// between the count and the commit.
const CONFLICTS: usize = 8;

/// Seeds a table: creates it when missing, and writes its seed rows as `when` says.
///
/// The rows are committed only if the table is still at the snapshot they were
/// decided on; when another writer committed in between (a second run, a retried
/// Job, another tool), the table is counted again: with `when = empty` a table that
/// has rows now is kept, and the files written for it are deleted.
pub async fn seed_table(
    catalog: &dyn Catalog,
    plan: &DataPlan,
    table: &Table,
    resolver: &mut Resolver<'_>,
) -> Result<Outcome> {
    let iceberg_table = ensure_table(catalog, table).await?;
    let schema = Arc::new(arrow_schema(iceberg_table.metadata().current_schema())?);
    let Some(source) = SeedSource::new(table, schema, resolver)?.map(Arc::new) else {
        return Ok(Outcome::NoSeed);
    };
    // Best effort: a failed sweep deletes nothing and leaves only invisible files.
    // (A local warehouse is swept once, when the seed ends.)
    let iceberg_table = match sweep::sweep_announced(catalog, iceberg_table.clone()).await {
        Ok(swept) => swept,
        Err(_) => iceberg_table,
    };
    let id = uuid::Uuid::now_v7();
    let lock = sweep::lock(&iceberg_table, id)?;
    let ident = iceberg_table.identifier().clone();
    let outcome = add_rows(catalog, plan, table, iceberg_table, source, id).await;
    // Whatever the outcome, what this write left uncommitted goes, and so does what
    // a commit that lost to this one or to another left (its metadata file is
    // written before the catalog refuses it, so only a sweep after that sees it).
    if let Ok(current) = catalog.load_table(&ident).await {
        let _ = sweep::sweep(&current, id).await;
    }
    // After a failure the lock file stays, unlocked: whatever the failure left,
    // the next seed of the table sweeps it.
    if let (Some(lock), Ok(_)) = (lock, &outcome) {
        lock.release();
    }
    outcome
}

/// Writes the seed rows with the write id `id` and commits them, counting again
/// after each conflict.
async fn add_rows(
    catalog: &dyn Catalog,
    plan: &DataPlan,
    table: &Table,
    mut iceberg_table: IcebergTable,
    source: Arc<SeedSource>,
    id: uuid::Uuid,
) -> Result<Outcome> {
    let mut written: Option<Vec<DataFile>> = None;
    let mut announced: Option<String> = None;
    for _ in 0..=CONFLICTS {
        let rows = row_count(&iceberg_table).await?;
        if table.when == SeedWhen::Empty && rows > 0 {
            if let Some(files) = &written {
                give_up(catalog, &iceberg_table, id, files, announced.as_deref()).await;
            }
            return Ok(Outcome::Kept { rows });
        }
        // No rows, no snapshot: an empty commit would only lengthen the history.
        if source.is_empty() {
            return Ok(Outcome::Written { rows: 0, files: 0 });
        }
        let files = match written.take() {
            Some(files) => files,
            None => {
                let parts = source.len().div_ceil(FILE_ROWS);
                (iceberg_table, announced) =
                    sweep::announce(catalog, &iceberg_table, id, parts).await?;
                write_files(&iceberg_table, source.clone(), id).await?
            }
        };
        let settles = announced.as_deref();
        match commit::append(catalog, &iceberg_table, &files, id, &plan.stack, settles).await {
            Commit::Done => {
                return Ok(Outcome::Written {
                    rows: source.len(),
                    files: files.len(),
                });
            }
            Commit::Conflict => {
                written = Some(files);
                iceberg_table = catalog.load_table(iceberg_table.identifier()).await?;
            }
            Commit::Failed(e) => {
                give_up(catalog, &iceberg_table, id, &files, settles).await;
                return Err(e.context("committing the seed rows (nothing was added)"));
            }
            Commit::Unknown(e) => {
                return Err(e.context(
                    "committing the seed rows (whether they were added is unknown: run again, floe counts the table first)",
                ));
            }
        }
    }
    if let Some(files) = &written {
        give_up(catalog, &iceberg_table, id, files, announced.as_deref()).await;
    }
    Err(DataError::new(format!(
        "other writers committed to the table {} times while floe was adding the seed rows (nothing was added): run again",
        CONFLICTS + 1
    )))
}

/// Deletes the files of a write that will not be committed, and its announcement.
async fn give_up(
    catalog: &dyn Catalog,
    table: &IcebergTable,
    id: uuid::Uuid,
    files: &[DataFile],
    announced: Option<&str>,
) {
    sweep::discard(table, id, files).await;
    sweep::settle(catalog, table, announced).await;
}

/// The rows of the table's current snapshot: its summary's `total-records` when it
/// has one, which the Iceberg spec leaves optional; otherwise the record counts of
/// the live data files in its manifests. Rows removed by delete files are still
/// counted: a table is taken as empty only when no data file has rows.
pub async fn row_count(table: &IcebergTable) -> Result<u64> {
    let Some(snapshot) = table.metadata().current_snapshot() else {
        return Ok(0);
    };
    let summary = snapshot
        .summary()
        .additional_properties
        .get("total-records");
    if let Some(total) = summary.and_then(|t| t.parse().ok()) {
        return Ok(total);
    }
    let list = table.manifest_list_reader(snapshot).load().await?;
    let mut rows = 0u64;
    for manifest in list.entries() {
        let manifest = manifest.load_manifest(table.file_io()).await?;
        rows += manifest
            .entries()
            .iter()
            .filter(|e| e.is_alive() && e.content_type() == DataContentType::Data)
            .map(|e| e.record_count())
            .sum::<u64>();
    }
    Ok(rows)
}

/// Writes the seed rows as Parquet data files, not yet part of the table: one file
/// per [`FILE_ROWS`] rows, as many at once as the machine has cores. When a part
/// fails, the files the others wrote are deleted and the error of the first failing
/// part (in row order) is returned.
pub async fn write_files(
    table: &IcebergTable,
    source: Arc<SeedSource>,
    id: uuid::Uuid,
) -> Result<Vec<DataFile>> {
    let at_once = std::thread::available_parallelism().map_or(1, usize::from);
    let mut parts = (0..source.len().div_ceil(FILE_ROWS)).map(|part| {
        let start = part * FILE_ROWS;
        let len = FILE_ROWS.min(source.len() - start);
        (part, start, len)
    });
    let mut tasks = JoinSet::new();
    let mut written: Vec<(u64, DataFile)> = Vec::new();
    let mut failures: Vec<(u64, DataError)> = Vec::new();
    loop {
        while failures.is_empty() && tasks.len() < at_once {
            let Some((part, start, len)) = parts.next() else {
                break;
            };
            let (table, source) = (table.clone(), source.clone());
            tasks.spawn(async move {
                let file =
                    write_part(&table, &source, sweep::file_name(id, part), start, len).await;
                (part, file)
            });
        }
        let Some(done) = tasks.join_next().await else {
            break;
        };
        match done {
            Ok((part, Ok(file))) => written.push((part, file)),
            Ok((part, Err(e))) => failures.push((part, e)),
            Err(e) => failures.push((u64::MAX, DataError::new(format!("a writer stopped: {e}")))),
        }
    }
    if let Some((_, error)) = failures.into_iter().min_by_key(|(part, _)| *part) {
        let files: Vec<DataFile> = written.into_iter().map(|(_, file)| file).collect();
        sweep::discard(table, id, &files).await;
        return Err(error);
    }
    written.sort_by_key(|(part, _)| *part);
    Ok(written.into_iter().map(|(_, file)| file).collect())
}

/// How data files are written: zstd at its default level, the codec Iceberg
/// writers default to (`write.parquet.compression-codec` is "zstd" since Iceberg
/// 1.4; pyiceberg and Spark follow it).
fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build()
}

/// Writes rows `start..start + len` as the data file `name`.
async fn write_part(
    table: &IcebergTable,
    source: &SeedSource,
    name: String,
    start: u64,
    len: u64,
) -> Result<DataFile> {
    let metadata = table.metadata();
    let path = DefaultLocationGenerator::new(metadata)?.generate_location(None, &name);
    let end = start + len;
    let batches = (start..end).step_by(BATCH_ROWS as usize).map(|row| {
        let rows = BATCH_ROWS.min(end - row);
        source.batch(row, rows as usize)
    });
    super::parquet::write(
        table.file_io(),
        path,
        source.schema(),
        metadata.current_schema(),
        writer_properties(),
        batches,
    )
    .await
}

/// How an existing table's columns differ from the declared ones, if they do.
fn schema_difference(existing: &Schema, declared: &Schema) -> Option<String> {
    let have = existing.as_struct().fields();
    let want = declared.as_struct().fields();
    for w in want {
        match have.iter().find(|h| h.name == w.name) {
            None => return Some(format!("no column `{}`", w.name)),
            Some(h) if h.field_type != w.field_type => {
                return Some(format!(
                    "column `{}` is {} there, {} here",
                    w.name, h.field_type, w.field_type
                ));
            }
            Some(h) if h.required != w.required => {
                let word = |r: bool| if r { "required" } else { "optional" };
                return Some(format!(
                    "column `{}` is {} there, {} here",
                    w.name,
                    word(h.required),
                    word(w.required)
                ));
            }
            Some(_) => {}
        }
    }
    (have.len() != want.len()).then(|| format!("{} columns there, {} here", have.len(), want.len()))
}

fn dotted(table: &Table) -> String {
    let mut parts = table.namespace.clone();
    parts.push(table.table.clone());
    parts.join(".")
}
