//! The local file storage of an embedded warehouse, made durable: a file is on
//! disk, with its directory entry, before the write returns.
//!
//! iceberg's `LocalFsStorage` syncs a file written through a writer when it is
//! closed (data files), but writes whole files (the table metadata, whose location
//! the catalog then records) with `fs::write` and no sync, and syncs no directory.
//! After a power loss the catalog could point at metadata that never reached the
//! disk. Here every written file and its directory are synced (`fsync(2)`: a new
//! file's name is durable only once its directory is) before the catalog is
//! updated; reads and deletes are `LocalFsStorage`'s.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use iceberg::io::{
    FileMetadata, FileRead, FileWrite, InputFile, LocalFsStorage, OutputFile, Storage,
    StorageConfig, StorageFactory,
};
use iceberg::{Error, ErrorKind};
use serde::{Deserialize, Serialize};

/// Builds [`SyncedFs`] storages.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SyncedFsFactory;

#[typetag::serde]
impl StorageFactory for SyncedFsFactory {
    fn build(&self, _: &StorageConfig) -> iceberg::Result<Arc<dyn Storage>> {
        Ok(Arc::new(SyncedFs::default()))
    }
}

/// Local files, each synced with its directory when written.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SyncedFs {
    inner: LocalFsStorage,
}

/// The local path of a `file://` location.
fn local(path: &str) -> &Path {
    Path::new(path.strip_prefix("file://").unwrap_or(path))
}

/// Syncs the file at `path` and the directory that holds it.
fn sync(path: &Path) -> iceberg::Result<()> {
    let failed = |what: &Path, e: std::io::Error| {
        Error::new(
            ErrorKind::Unexpected,
            format!("Failed to sync {}: {e}", what.display()),
        )
        .with_source(e)
    };
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| failed(path, e))?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| failed(dir, e))?;
    }
    Ok(())
}

#[async_trait]
#[typetag::serde]
impl Storage for SyncedFs {
    async fn exists(&self, path: &str) -> iceberg::Result<bool> {
        self.inner.exists(path).await
    }

    async fn metadata(&self, path: &str) -> iceberg::Result<FileMetadata> {
        self.inner.metadata(path).await
    }

    async fn read(&self, path: &str) -> iceberg::Result<Bytes> {
        self.inner.read(path).await
    }

    async fn reader(&self, path: &str) -> iceberg::Result<Box<dyn FileRead>> {
        self.inner.reader(path).await
    }

    async fn write(&self, path: &str, bs: Bytes) -> iceberg::Result<()> {
        self.inner.write(path, bs).await?;
        sync(local(path))
    }

    async fn writer(&self, path: &str) -> iceberg::Result<Box<dyn FileWrite>> {
        Ok(Box::new(SyncedWrite {
            inner: self.inner.writer(path).await?,
            path: path.to_string(),
        }))
    }

    async fn delete(&self, path: &str) -> iceberg::Result<()> {
        self.inner.delete(path).await
    }

    async fn delete_prefix(&self, path: &str) -> iceberg::Result<()> {
        self.inner.delete_prefix(path).await
    }

    async fn delete_stream(&self, paths: BoxStream<'static, String>) -> iceberg::Result<()> {
        self.inner.delete_stream(paths).await
    }

    fn new_input(&self, path: &str) -> iceberg::Result<InputFile> {
        Ok(InputFile::new(Arc::new(self.clone()), path.to_string()))
    }

    fn new_output(&self, path: &str) -> iceberg::Result<OutputFile> {
        Ok(OutputFile::new(Arc::new(self.clone()), path.to_string()))
    }
}

/// A file being written; closing it syncs it and its directory.
struct SyncedWrite {
    inner: Box<dyn FileWrite>,
    path: String,
}

#[async_trait]
impl FileWrite for SyncedWrite {
    async fn write(&mut self, bs: Bytes) -> iceberg::Result<()> {
        self.inner.write(bs).await
    }

    async fn close(&mut self) -> iceberg::Result<()> {
        self.inner.close().await?;
        sync(local(&self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn written_files_are_there_and_read_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let storage = SyncedFs::default();
        let whole = format!("file://{}/metadata/v1.json", dir.path().display());
        storage.write(&whole, Bytes::from_static(b"{}")).await.ok();
        assert_eq!(
            storage.read(&whole).await.ok(),
            Some(Bytes::from_static(b"{}"))
        );
        let streamed = format!("file://{}/data/part.bin", dir.path().display());
        let mut writer = storage
            .writer(&streamed)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        writer.write(Bytes::from_static(b"rows")).await.ok();
        writer.close().await.ok();
        assert_eq!(
            storage.read(&streamed).await.ok(),
            Some(Bytes::from_static(b"rows"))
        );
    }
}
