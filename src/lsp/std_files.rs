//! The standard library as files an editor can open.
//!
//! `std/NAME` modules are embedded in the binary, yet "go to definition" must land
//! in them. Custom URI schemes need support in each client (Neovim 0.7 and Helix
//! cannot open them, VS Code needs an extension), so the modules are written, read
//! only, to a cache directory named after floe's version and the modules' hash
//! (`$XDG_CACHE_HOME/floe/std-VERSION-HASH/NAME.floe`), and definitions point at
//! those files with ordinary `file:` URIs. The server knows the directory: a request
//! about one of its files is answered from the embedded text, and the files are
//! never renamed into nor given diagnostics.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use lsp_types::Url;
use sha2::{Digest, Sha256};

use crate::stdlib;

pub struct StdFiles {
    dir: PathBuf,
    /// The modules known to be on disk.
    written: Mutex<HashSet<&'static str>>,
}

impl StdFiles {
    /// The directory for this build's modules under `cache` (the user's cache
    /// directory when `None`). The files are written when first needed.
    pub fn new(cache: Option<PathBuf>) -> StdFiles {
        let base = cache.unwrap_or_else(default_cache_dir);
        let mut hash = Sha256::new();
        for name in stdlib::NAMES {
            hash.update(name.as_bytes());
            hash.update(stdlib::source(name).unwrap_or_default().as_bytes());
        }
        let digest: String = hash
            .finalize()
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect();
        let version = env!("CARGO_PKG_VERSION");
        StdFiles {
            dir: base.join("floe").join(format!("std-{version}-{digest}")),
            written: Mutex::default(),
        }
    }

    /// The `file:` URI of a standard module, written to disk if it is not there.
    pub fn uri(&self, name: &str) -> Option<Url> {
        let name = stdlib::NAMES.iter().copied().find(|n| *n == name)?;
        let source = stdlib::source(name)?;
        let path = self.dir.join(format!("{name}.floe"));
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if !written.contains(name) {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(source) {
                write_read_only(&path, source).ok()?;
            }
            written.insert(name);
        }
        Url::from_file_path(&path).ok()
    }

    /// The standard module a URI is the file of.
    pub fn name_of(&self, uri: &Url) -> Option<&'static str> {
        let path = uri.to_file_path().ok()?;
        let file = path.strip_prefix(&self.dir).ok()?.to_str()?;
        let name = file.strip_suffix(".floe")?;
        stdlib::NAMES.iter().copied().find(|n| *n == name)
    }
}

fn default_cache_dir() -> PathBuf {
    let from_env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = from_env("XDG_CACHE_HOME") {
        return PathBuf::from(dir);
    }
    if let Some(home) = from_env("HOME") {
        return PathBuf::from(home).join(".cache");
    }
    std::env::temp_dir()
}

/// Writes a file through a temporary name, so that a reader never sees half of it.
fn write_read_only(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temporary, text)?;
    let mut permissions = std::fs::metadata(&temporary)?.permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&temporary, permissions)?;
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_are_written_read_only_and_recognised() {
        let Ok(dir) = tempfile::tempdir() else {
            panic!("a temporary directory");
        };
        let files = StdFiles::new(Some(dir.path().to_path_buf()));
        let Some(uri) = files.uri("postgres") else {
            panic!("std/postgres has a file");
        };
        assert_eq!(files.name_of(&uri), Some("postgres"));
        let Ok(path) = uri.to_file_path() else {
            panic!("a file URI");
        };
        let written = std::fs::read_to_string(&path).ok();
        assert_eq!(written.as_deref(), stdlib::source("postgres"));
        let readonly = std::fs::metadata(&path).map(|m| m.permissions().readonly());
        assert!(matches!(readonly, Ok(true)));
        // Asking again leaves the file as it is.
        assert_eq!(files.uri("postgres"), Some(uri));
        assert_eq!(files.uri("nope"), None);
    }
}
