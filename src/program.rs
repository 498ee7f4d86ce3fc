//! Loading a program: the main file and every module it imports.
//!
//! Modules are `std/NAME` (embedded in the binary) or files relative to the importing
//! file (`./lib/x.floe`), which must stay inside the project root: the directory of
//! the main file. Reading goes through [`FileSystem`] so that the language server can
//! serve unsaved buffers and tests can run without a disk.

use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Diagnostic, did_you_mean, messages};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::stdlib;
use crate::syntax::{self, ast};

/// Where files come from.
pub trait FileSystem: Sync {
    fn read(&self, path: &Path) -> io::Result<String>;
    /// The absolute path with symbolic links and `..` resolved.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;
    /// Parses a file's text. The language server overrides it to reuse the items of
    /// a buffer's previous version.
    fn parse(&self, file: FileId, text: &str) -> syntax::Parsed {
        syntax::parse(file, text)
    }
}

/// The real file system.
pub struct RealFs;

/// How many modules deep imports may chain (`a` imports `b` imports `c`...).
pub const MAX_IMPORT_DEPTH: usize = 64;

/// The largest source file floe reads: a stack of 50,000 services is about 20 MiB,
/// and a larger file is more likely a mistake than a stack.
pub const MAX_SOURCE_BYTES: u64 = 64 * 1024 * 1024;

impl FileSystem for RealFs {
    fn read(&self, path: &Path) -> io::Result<String> {
        let size = std::fs::metadata(path)?.len();
        if size > MAX_SOURCE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the file is {} MiB; floe reads files of up to {} MiB",
                    size >> 20,
                    MAX_SOURCE_BYTES >> 20
                ),
            ));
        }
        let bytes = std::fs::read(path)?;
        String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the file is not UTF-8 text (invalid byte at offset {at})"),
            )
        })
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleId(pub u32);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The file given on the command line.
    Main(PathBuf),
    /// A file imported with a relative path (canonical).
    Local(PathBuf),
    /// A standard library module, by name (`postgres`).
    Std(String),
}

#[derive(Debug)]
pub struct Module {
    pub file: FileId,
    pub ast: ast::File,
    pub origin: Origin,
    /// The modules this one imports, in order, with the import's span.
    pub imports: Vec<(ModuleId, Span)>,
}

#[derive(Debug)]
pub struct Program {
    pub sources: SourceMap,
    /// The main module is first.
    pub modules: Vec<Module>,
    /// The project root: relative imports and `file()` may not leave it.
    pub root: PathBuf,
    /// The project root as the user named it (the main file's directory), for
    /// messages.
    pub root_display: String,
    /// Syntax and import errors.
    pub diagnostics: Vec<Diagnostic>,
    /// Data files named by `csv("...")`, read when the program is loaded so that
    /// diagnostics can point into them.
    pub attachments: Vec<Attachment>,
}

/// A file a module reads: `csv("data/customers.csv")`.
#[derive(Debug)]
pub struct Attachment {
    pub module: ModuleId,
    /// The path as written.
    pub path: String,
    pub file: Result<FileId, Escape>,
}

impl Program {
    /// The data file a module names with `csv(path)`.
    pub fn attachment(&self, module: ModuleId, path: &str) -> Option<&Attachment> {
        self.attachments
            .iter()
            .find(|a| a.module == module && a.path == path)
    }

    pub fn module(&self, id: ModuleId) -> Option<&Module> {
        self.modules.get(id.0 as usize)
    }

    pub fn main(&self) -> Option<&Module> {
        self.modules.first()
    }

    /// The directory a module's relative paths start from, if it is on disk.
    pub fn dir_of(&self, id: ModuleId) -> Option<PathBuf> {
        match &self.module(id)?.origin {
            Origin::Main(p) | Origin::Local(p) => p.parent().map(Path::to_path_buf),
            Origin::Std(_) => None,
        }
    }
}

/// Loads the file at `path` and its imports.
pub fn load(fs: &dyn FileSystem, path: &Path) -> Result<Program, Box<Diagnostic>> {
    let text = fs.read(path).map_err(|e| {
        Box::new(messages::cannot_read(
            &path.display().to_string(),
            &describe_io_error(&e),
        ))
    })?;
    Ok(load_text(fs, path, text))
}

/// Loads a program whose main file's text is given (an editor buffer, say).
pub fn load_text(fs: &dyn FileSystem, path: &Path, text: String) -> Program {
    let canonical = fs.canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let root = canonical
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut loader = Loader {
        fs,
        program: Program {
            sources: SourceMap::new(),
            modules: Vec::new(),
            root,
            root_display: match path.parent().map(|p| p.display().to_string()) {
                Some(dir) if !dir.is_empty() => dir,
                _ => ".".to_string(),
            },
            diagnostics: Vec::new(),
            attachments: Vec::new(),
        },
        by_origin: HashMap::new(),
        stack: Vec::new(),
        display_dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let display = path.display().to_string();
    loader.add_module(Origin::Main(canonical), display, text);
    loader.program
}

struct Loader<'a> {
    fs: &'a dyn FileSystem,
    program: Program,
    by_origin: HashMap<Origin, ModuleId>,
    /// Modules being loaded, for import cycles.
    stack: Vec<ModuleId>,
    /// The main file's directory as the user wrote it, to name other files.
    display_dir: PathBuf,
}

impl Loader<'_> {
    fn add_module(&mut self, origin: Origin, display: String, text: String) -> ModuleId {
        let file = self.program.sources.add(SourceFile::new(display, text));
        let text = self
            .program
            .sources
            .get(file)
            .map(|f| f.text.clone())
            .unwrap_or_default();
        let parsed = self.fs.parse(file, &text);
        self.program.diagnostics.extend(parsed.diagnostics);
        let id = ModuleId(u32::try_from(self.program.modules.len()).unwrap_or(u32::MAX));
        let imports: Vec<(String, Span)> = parsed
            .file
            .items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Import(i) => Some((i.path.clone(), i.path_span)),
                _ => None,
            })
            .collect();
        self.by_origin.insert(origin.clone(), id);
        self.program.modules.push(Module {
            file,
            ast: parsed.file,
            origin,
            imports: Vec::new(),
        });
        self.attach_data_files(id);
        self.stack.push(id);
        for (path, span) in imports {
            if let Some(target) = self.import(id, &path, span)
                && let Some(module) = self.program.modules.get_mut(id.0 as usize)
            {
                module.imports.push((target, span));
            }
        }
        self.stack.pop();
        id
    }

    fn import(&mut self, from: ModuleId, path: &str, span: Span) -> Option<ModuleId> {
        let origin = self.resolve(from, path, span)?;
        if let Some(&existing) = self.by_origin.get(&origin) {
            if let Some(pos) = self.stack.iter().position(|m| *m == existing) {
                let chain = self.cycle_names(pos, existing);
                self.program
                    .diagnostics
                    .push(messages::import_cycle(span, &chain));
                return None;
            }
            return Some(existing);
        }
        if self.stack.len() >= MAX_IMPORT_DEPTH {
            self.program
                .diagnostics
                .push(messages::imports_too_deep(span, MAX_IMPORT_DEPTH));
            return None;
        }
        let (display, text) = match &origin {
            Origin::Std(name) => (
                format!("std/{name}.floe"),
                stdlib::source(name).unwrap_or_default().to_string(),
            ),
            Origin::Local(p) | Origin::Main(p) => {
                let display = self.display_name(p);
                match self.fs.read(p) {
                    Ok(text) => (display, text),
                    Err(e) => {
                        self.program.diagnostics.push(messages::module_not_found(
                            span,
                            path,
                            &describe_io_error(&e),
                            None,
                        ));
                        return None;
                    }
                }
            }
        };
        Some(self.add_module(origin, display, text))
    }

    /// Reads the files a module names with `csv("...")` into the source map.
    fn attach_data_files(&mut self, id: ModuleId) {
        let Some(module) = self.program.module(id) else {
            return;
        };
        let mut paths = Vec::new();
        for item in &module.ast.items {
            crate::syntax::walk::calls_of(item, "csv", &mut paths);
        }
        for path in paths {
            if self.program.attachment(id, &path).is_some() {
                continue;
            }
            let file = match self.program.dir_of(id) {
                None => Err(Escape::Missing(
                    "the standard library reads no files".to_string(),
                )),
                Some(dir) => resolve_inside(self.fs, &self.program.root, &dir.join(&path))
                    .and_then(|canonical| {
                        let text = self
                            .fs
                            .read(&canonical)
                            .map_err(|e| Escape::Missing(describe_io_error(&e)))?;
                        let display = self.display_name(&canonical);
                        Ok(self.program.sources.add(SourceFile::new(display, text)))
                    }),
            };
            self.program.attachments.push(Attachment {
                module: id,
                path,
                file,
            });
        }
    }

    fn cycle_names(&self, from: usize, again: ModuleId) -> Vec<String> {
        let name = |id: ModuleId| {
            self.program
                .module(id)
                .and_then(|m| self.program.sources.get(m.file))
                .map(|f| f.name.clone())
                .unwrap_or_default()
        };
        let mut chain: Vec<String> = self.stack.iter().skip(from).map(|m| name(*m)).collect();
        chain.push(name(again));
        chain
    }

    /// Turns an import path into a module origin, or reports why it cannot.
    fn resolve(&mut self, from: ModuleId, path: &str, span: Span) -> Option<Origin> {
        if let Some(name) = path.strip_prefix("std/") {
            return self.resolve_std(name, path, span);
        }
        if !(path.starts_with("./") || path.starts_with("../")) {
            self.program.diagnostics.push(messages::module_not_found(
                span,
                path,
                "import paths start with `std/`, `./` or `../`",
                None,
            ));
            return None;
        }
        let Some(dir) = self.program.dir_of(from) else {
            // A relative import inside the standard library names another std module.
            let name = path.trim_start_matches("./").trim_end_matches(".floe");
            return self.resolve_std(name, path, span);
        };
        let mut target = dir.join(path);
        if target.extension().is_none() {
            target.set_extension("floe");
        }
        match resolve_inside(self.fs, &self.program.root, &target) {
            Ok(canonical) => Some(Origin::Local(canonical)),
            Err(Escape::Outside) => {
                let root = self.program.root_display.clone();
                self.program
                    .diagnostics
                    .push(messages::path_escapes(span, path, &root));
                None
            }
            Err(Escape::Missing(reason)) => {
                self.program
                    .diagnostics
                    .push(messages::module_not_found(span, path, &reason, None));
                None
            }
        }
    }

    fn resolve_std(&mut self, name: &str, path: &str, span: Span) -> Option<Origin> {
        if stdlib::source(name).is_some() {
            return Some(Origin::Std(name.to_string()));
        }
        let suggestion =
            did_you_mean(name, stdlib::NAMES.iter().copied()).map(|n| format!("std/{n}"));
        self.program.diagnostics.push(messages::module_not_found(
            span,
            path,
            "there is no such module in the standard library",
            suggestion.as_deref(),
        ));
        None
    }

    fn display_name(&self, canonical: &Path) -> String {
        let relative = canonical
            .strip_prefix(&self.program.root)
            .unwrap_or(canonical);
        self.display_dir.join(relative).display().to_string()
    }
}

/// An IO error in words that do not depend on the platform.
pub fn describe_io_error(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::IsADirectory => "it is a directory".to_string(),
        io::ErrorKind::InvalidData => error.to_string(),
        other => other.to_string(),
    }
}

#[derive(Debug)]
pub enum Escape {
    /// The path leaves the project root.
    Outside,
    /// The path cannot be read: why.
    Missing(String),
}

/// The canonical form of `path`, if it exists and lies inside `root`. Symbolic links
/// are followed before the check, so a link cannot lead out of the project.
pub fn resolve_inside(fs: &dyn FileSystem, root: &Path, path: &Path) -> Result<PathBuf, Escape> {
    if !lexically_inside(root, path) {
        return Err(Escape::Outside);
    }
    let canonical = fs
        .canonicalize(path)
        .map_err(|e| Escape::Missing(describe_io_error(&e)))?;
    if canonical.starts_with(root) {
        Ok(canonical)
    } else {
        Err(Escape::Outside)
    }
}

/// Whether a path stays inside `root` when its `..` are applied, before touching the
/// disk: a missing file outside the project is reported as outside, not as missing.
fn lexically_inside(root: &Path, path: &Path) -> bool {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                if !normal.pop() {
                    return false;
                }
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    normal.starts_with(root)
}
