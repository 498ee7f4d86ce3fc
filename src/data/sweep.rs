//! Files a seed wrote and did not commit, deleted: from a failed or conflicting
//! commit in this process, and from a run that was killed (`SIGKILL`, Ctrl-C, a full
//! disk, an evicted pod) before it could clean up.
//!
//! Every write has an id ([`uuid::Uuid`] v7) that names its files: data files
//! `data/floe-ID-…parquet`, the manifest `metadata/ID-m0.avro` and manifest lists
//! `metadata/snap-…-ID.avro` (iceberg-rust's names for a commit uuid), and the
//! snapshot that commits them carries it (`floe.write`). While it writes, a seed
//! holds an exclusive lock on `metadata/floe-ID.write` in the table's directory;
//! the operating system releases it when the process dies however it dies. A later
//! seed of the table that can take the lock knows that writer is gone, and deletes
//! the files of its id that the table does not reference.
//!
//! A metadata file no catalog entry can point at any more (its version is not newer
//! than the current one, and it is in neither the current location nor the log) is
//! deleted too: it is what a commit leaves when it loses the catalog's
//! compare-and-swap or is killed before it.
//!
//! Files are found by listing the table's directory, which a local warehouse
//! (`floe run --local`) can do. On object storage iceberg's `FileIO` can neither
//! list nor lock, so a write announces itself in the table's properties instead
//! (`floe.pending.ID` = "SECONDS PARTS", committed before the first data file) and
//! the commit that adds its rows removes the announcement. An announcement older
//! than [`DEAD_AFTER`] belongs to a writer that is gone — a seed Job is stopped by
//! Kubernetes after 30 minutes (`activeDeadlineSeconds`) — and the next seed
//! deletes the files its id names (data files `floe-ID-PART-00000.parquet`, found by
//! name, and the manifest) unless its snapshot landed, then drops the
//! announcement. A manifest list of a killed commit (its name carries a random
//! snapshot id) stays, a few kilobytes that no reader sees.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use iceberg::spec::{DataFile, DataFileFormat};
use iceberg::table::Table as IcebergTable;
use uuid::Uuid;

use std::time::{SystemTime, UNIX_EPOCH};

use iceberg::Catalog;
use iceberg::transaction::{ApplyTransactionAction, Transaction};
use iceberg::writer::file_writer::location_generator::{
    DefaultLocationGenerator, LocationGenerator,
};

use super::Result;
use super::commit::landed;

/// The lock a seed holds on its write while it runs. [`WriteLock::release`] removes
/// it once the seed has succeeded; a seed that failed or stopped (killed, or its
/// future dropped) leaves the file behind unlocked, which tells the next seed to
/// sweep.
pub struct WriteLock {
    path: PathBuf,
    _file: File,
}

impl WriteLock {
    pub fn release(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The directory of a table in a local warehouse; `None` on object storage.
fn local_dir(table: &IcebergTable) -> Option<PathBuf> {
    table
        .metadata()
        .location()
        .strip_prefix("file://")
        .map(PathBuf::from)
}

fn lock_path(dir: &Path, id: Uuid) -> PathBuf {
    dir.join("metadata").join(format!("floe-{id}.write"))
}

/// Takes the lock of write `id` when the table is in a local warehouse.
pub fn lock(table: &IcebergTable, id: Uuid) -> Result<Option<WriteLock>> {
    let Some(dir) = local_dir(table) else {
        return Ok(None);
    };
    let path = lock_path(&dir, id);
    let failed =
        |e: std::io::Error| super::DataError::new(format!("cannot write {}: {e}", path.display()));
    std::fs::create_dir_all(dir.join("metadata")).map_err(failed)?;
    let file = File::create(&path).map_err(failed)?;
    file.lock().map_err(failed)?;
    Ok(Some(WriteLock { path, _file: file }))
}

/// Deletes what write `id` made for a commit that did not land and that its name
/// gives away: its data files and its manifest. (In a local warehouse the sweep at
/// the end of every seed also finds the rest by listing: a half-written file, the
/// manifest lists of attempts that conflicted.)
pub async fn discard(table: &IcebergTable, id: Uuid, files: &[DataFile]) {
    for file in files {
        let _ = table.file_io().delete(file.file_path()).await;
    }
    let manifest = format!("{}/metadata/{id}-m0.avro", table.metadata().location());
    let _ = table.file_io().delete(manifest).await;
}

/// In a local warehouse, deletes the files of writers that died (their lock can be
/// taken), those of this process's write `done` that the table does not reference
/// (a half-written file, the manifest lists of attempts that conflicted, all of it
/// when the write did not land), and the metadata files no commit
/// can use; it leaves everything the table references and every file of a live
/// writer.
pub async fn sweep(table: &IcebergTable, done: Uuid) -> Result<()> {
    let Some(dir) = local_dir(table) else {
        return Ok(());
    };
    let files = listing(&dir);
    let own = (done.to_string(), lock_path(&dir, done));
    let dead: Vec<(String, PathBuf)> = files
        .iter()
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?;
            let id = name.strip_prefix("floe-")?.strip_suffix(".write")?;
            let file = File::options().write(true).open(path).ok()?;
            file.try_lock().ok()?;
            Some((id.to_string(), path.clone()))
        })
        .chain(std::iter::once(own.clone()))
        .collect();
    let stale = stale_metadata(table, &files);
    if dead.is_empty() && stale.is_empty() {
        return Ok(());
    }
    let referenced = referenced(table).await?;
    for path in &files {
        let of_dead = dead
            .iter()
            .any(|(id, lock)| path != lock && names(path, id));
        if (of_dead || stale.contains(path)) && !referenced.contains(path) {
            let _ = std::fs::remove_file(path);
        }
    }
    for (id, lock) in dead {
        if id != own.0 {
            let _ = std::fs::remove_file(lock);
        }
    }
    Ok(())
}

/// Whether the file's name carries the write id.
fn names(path: &Path, id: &str) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.contains(id) && !n.ends_with(".write"))
}

/// The metadata files that no commit can make current: not newer than the current
/// version, not older than the log, and neither current nor in the log.
fn stale_metadata(table: &IcebergTable, files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let known = metadata_files(table);
    let versions: Vec<u64> = known.iter().filter_map(|p| version(p)).collect();
    let (Some(&oldest), Some(&newest)) = (versions.iter().min(), versions.iter().max()) else {
        return BTreeSet::new();
    };
    files
        .iter()
        .filter(|p| !known.contains(*p))
        .filter(|p| version(p).is_some_and(|v| (oldest..=newest).contains(&v)))
        .cloned()
        .collect()
}

/// The table's current metadata file and those of its log.
fn metadata_files(table: &IcebergTable) -> BTreeSet<PathBuf> {
    let log = table.metadata().metadata_log().iter();
    log.map(|m| local(&m.metadata_file))
        .chain(table.metadata_location().map(local))
        .collect()
}

/// The version of a metadata file, `00003-….metadata.json` → 3.
fn version(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?.strip_suffix(".metadata.json")?;
    name.split_once('-')?.0.parse().ok()
}

fn local(location: &str) -> PathBuf {
    PathBuf::from(location.strip_prefix("file://").unwrap_or(location))
}

/// Every file the table's metadata references: its metadata files, and every
/// snapshot's manifest list, manifests and data files.
async fn referenced(table: &IcebergTable) -> Result<BTreeSet<PathBuf>> {
    let mut files = metadata_files(table);
    for snapshot in table.metadata().snapshots() {
        files.insert(local(snapshot.manifest_list()));
        let list = table.manifest_list_reader(snapshot).load().await?;
        for manifest in list.entries() {
            files.insert(local(&manifest.manifest_path));
            let loaded = manifest.load_manifest(table.file_io()).await?;
            files.extend(loaded.entries().iter().map(|e| local(e.file_path())));
        }
    }
    Ok(files)
}

/// The files of the table's `data/` and `metadata/` directories.
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["data", "metadata"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        out.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
    }
    out
}

/// The table properties that announce writes on object storage.
const PENDING: &str = "floe.pending.";

/// How old an announced write is when its writer is taken to be gone: four times
/// the longest a seed Job may run.
const DEAD_AFTER: u64 = 2 * 60 * 60;

/// The property that announces write `id`.
fn pending_key(id: Uuid) -> String {
    format!("{PENDING}{id}")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// On object storage, announces write `id` of `parts` parts in the table's
/// properties before any of its files exists; the table as it is then, and the
/// property to remove when the write is settled. Nothing in a local warehouse,
/// where the write's lock does this.
pub async fn announce(
    catalog: &dyn Catalog,
    table: &IcebergTable,
    id: Uuid,
    parts: u64,
) -> Result<(IcebergTable, Option<String>)> {
    if local_dir(table).is_some() {
        return Ok((table.clone(), None));
    }
    let key = pending_key(id);
    let tx = Transaction::new(table);
    let tx = tx
        .update_table_properties()
        .set(key.clone(), format!("{} {parts}", now()))
        .apply(tx)?;
    let table = tx.commit(catalog).await.map_err(|e| {
        super::DataError::from(e).context("announcing the write in the table's properties")
    })?;
    Ok((table, Some(key)))
}

/// Removes the announcement of a write that did not land (best effort: an
/// announcement left behind is swept once it is old).
pub async fn settle(catalog: &dyn Catalog, table: &IcebergTable, key: Option<&str>) {
    let Some(key) = key else {
        return;
    };
    let Ok(table) = catalog.load_table(table.identifier()).await else {
        return;
    };
    let tx = Transaction::new(&table);
    if let Ok(tx) = tx
        .update_table_properties()
        .remove(key.to_string())
        .apply(tx)
    {
        let _ = tx.commit(catalog).await;
    }
}

/// On object storage, deletes the files of announced writes that are older than
/// [`DEAD_AFTER`] and did not land, and drops their announcements; the table as it
/// is afterwards.
pub async fn sweep_announced(catalog: &dyn Catalog, table: IcebergTable) -> Result<IcebergTable> {
    let now = now();
    let dead: Vec<(String, Uuid, u64)> = table
        .metadata()
        .properties()
        .iter()
        .filter_map(|(key, value)| {
            let id = Uuid::parse_str(key.strip_prefix(PENDING)?).ok()?;
            let (at, parts) = value.split_once(' ')?;
            let (at, parts) = (at.parse::<u64>().ok()?, parts.parse::<u64>().ok()?);
            (now.saturating_sub(at) > DEAD_AFTER).then(|| (key.clone(), id, parts))
        })
        .collect();
    if dead.is_empty() {
        return Ok(table);
    }
    let location = table
        .metadata()
        .location()
        .trim_end_matches('/')
        .to_string();
    let data = DefaultLocationGenerator::new(table.metadata())?;
    let io = table.file_io();
    for (_, id, parts) in &dead {
        if landed(&table, *id) {
            continue;
        }
        for part in 0..*parts {
            let path = data.generate_location(None, &file_name(*id, part));
            let _ = io.delete(&path).await;
        }
        let _ = io.delete(format!("{location}/metadata/{id}-m0.avro")).await;
    }
    let tx = Transaction::new(&table);
    let mut removals = tx.update_table_properties();
    for (key, _, _) in dead {
        removals = removals.remove(key);
    }
    Ok(removals.apply(tx)?.commit(catalog).await?)
}

/// The name of part `part`'s data file of write `id`: unique to the write, so that
/// the write's files can be found by name.
pub(super) fn file_name(id: uuid::Uuid, part: u64) -> String {
    format!("floe-{id}-{part}-00000.{}", DataFileFormat::Parquet)
}
