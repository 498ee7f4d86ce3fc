//! What the pipeline targets share: a file system with no files.

use std::io;
use std::path::{Path, PathBuf};

use floe::program::FileSystem;

/// A file system with no files: relative imports and `file()` fail as missing.
pub struct NoFiles;

impl FileSystem for NoFiles {
    fn read(&self, _path: &Path) -> io::Result<String> {
        Err(io::Error::new(io::ErrorKind::NotFound, "no files while fuzzing"))
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        Ok(path.to_path_buf())
    }
}
