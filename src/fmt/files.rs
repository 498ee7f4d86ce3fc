//! `floe fmt` on the file system: which files to format, and formatting each in
//! place or checking it.
//!
//! Directories are searched for `*.floe` files recursively, skipping `target`
//! directories, hidden directories, symbolic links to directories and directories
//! that hold a file named `.floefmtignore` (test inputs whose layout matters, say);
//! files named explicitly are formatted whatever their name. A file is written only when its
//! text changes, so formatting a formatted tree touches nothing.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::program::describe_io_error;
use crate::source::{SourceFile, SourceMap};

/// A directory holding a file of this name is not searched.
pub const IGNORE_FILE: &str = ".floefmtignore";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Rewrite files that are not formatted.
    Write,
    /// Write nothing; report files that are not formatted.
    Check,
}

#[derive(Debug)]
pub enum Outcome {
    /// Already formatted.
    Unchanged,
    /// Not formatted: rewritten with [`Mode::Write`], left alone with [`Mode::Check`].
    Changed,
    /// Not formatted because of syntax errors. `sources` holds the file, for rendering
    /// the diagnostics.
    Invalid {
        sources: SourceMap,
        diagnostics: Vec<Diagnostic>,
    },
    /// A file or directory that cannot be read or written, and why.
    Failed(String),
}

#[derive(Debug)]
pub struct FileOutcome {
    pub path: PathBuf,
    pub outcome: Outcome,
}

/// Formats the files in `paths` and the `.floe` files under its directories; with no
/// paths, the `.floe` files under the current directory. Outcomes are in the order
/// of `paths`, each directory's files sorted.
pub fn format_paths(paths: &[PathBuf], mode: Mode) -> Vec<FileOutcome> {
    let roots = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let mut outcomes = Vec::new();
    for root in roots {
        if root.is_dir() {
            let mut files = Vec::new();
            find_floe_files(&root, &mut files, &mut outcomes);
            files.sort();
            outcomes.extend(files.into_iter().map(|f| format_file(f, mode)));
        } else {
            outcomes.push(format_file(root, mode));
        }
    }
    outcomes
}

/// Adds the `.floe` files under `dir` to `files`, and a failure for each directory
/// that cannot be read to `failures`.
fn find_floe_files(dir: &Path, files: &mut Vec<PathBuf>, failures: &mut Vec<FileOutcome>) {
    if dir.join(IGNORE_FILE).exists() {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            let message = format!("cannot read {}: {}", dir.display(), describe_io_error(&e));
            failures.push(FileOutcome {
                path: dir.to_path_buf(),
                outcome: Outcome::Failed(message),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let path = if dir == Path::new(".") {
            PathBuf::from(&name)
        } else {
            dir.join(&name)
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && name != "target" && !name.starts_with('.') {
            find_floe_files(&path, files, failures);
        } else if !is_dir && name.ends_with(".floe") && path.is_file() {
            files.push(path);
        }
    }
}

/// Formats one file.
pub fn format_file(path: PathBuf, mode: Mode) -> FileOutcome {
    let outcome = match std::fs::read_to_string(&path) {
        Ok(text) => format_text(&path, text, mode),
        Err(e) => Outcome::Failed(format!(
            "cannot read {}: {}",
            path.display(),
            describe_io_error(&e)
        )),
    };
    FileOutcome { path, outcome }
}

fn format_text(path: &Path, text: String, mode: Mode) -> Outcome {
    let formatted = match super::format(&text) {
        Ok(formatted) => formatted,
        Err(diagnostics) => {
            let mut sources = SourceMap::new();
            sources.add(SourceFile::new(path.display().to_string(), text));
            return Outcome::Invalid {
                sources,
                diagnostics,
            };
        }
    };
    if formatted == text {
        return Outcome::Unchanged;
    }
    if mode == Mode::Write
        && let Err(e) = std::fs::write(path, formatted)
    {
        return Outcome::Failed(format!(
            "cannot write {}: {}",
            path.display(),
            describe_io_error(&e)
        ));
    }
    Outcome::Changed
}
