//! One analysis: a program loaded from an open document, checked in every profile,
//! with the URI of each of its files and the references the checks resolved (for
//! hover, definitions, references and rename); and views of an analysis from a
//! document.

use std::cell::OnceCell;
use std::path::Path;
use std::rc::Rc;

use lsp_types::{Location, Position, Range, Url};

use super::documents::Overlay;
use super::position::LineIndex;
use super::std_files::StdFiles;
use crate::SqlValidator;
use crate::diagnostic::Diagnostic;
use crate::program::{self, Module, Origin, Program};
use crate::source::{FileId, Span};

pub struct Analysis {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
    /// The URI of each file, by [`FileId`].
    uris: Vec<Option<Url>>,
    lines: Vec<OnceCell<LineIndex>>,
    /// Every resolved reference, of every profile: (use, definition), sorted.
    references: Vec<(Span, Span)>,
}

impl Analysis {
    /// Loads and checks the program whose main file is the document `root`.
    pub fn new(
        root: &Url,
        path: &Path,
        text: String,
        fs: &Overlay,
        std: &StdFiles,
        sql: Option<&dyn SqlValidator>,
    ) -> Analysis {
        fs.cache.next_generation();
        let program = program::load_text(fs, path, text);
        let checks = crate::check_profiles_with(&program, fs, sql);
        let uris = program
            .sources
            .files()
            .map(|(id, _)| file_uri(&program, id, root, fs, std))
            .collect();
        let lines = program.sources.files().map(|_| OnceCell::new()).collect();
        Analysis {
            program,
            diagnostics: checks.diagnostics,
            uris,
            lines,
            references: checks.references,
        }
    }

    /// Every resolved reference, of every profile: (use, definition), sorted.
    pub fn references(&self) -> &[(Span, Span)] {
        &self.references
    }

    pub fn uri(&self, file: FileId) -> Option<&Url> {
        self.uris.get(file.0 as usize)?.as_ref()
    }

    pub fn file_of(&self, uri: &Url) -> Option<FileId> {
        let index = self.uris.iter().position(|u| u.as_ref() == Some(uri))?;
        Some(FileId(u32::try_from(index).ok()?))
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &Url)> {
        self.program
            .sources
            .files()
            .filter_map(|(id, _)| Some((id, self.uri(id)?)))
    }

    pub fn text(&self, file: FileId) -> &str {
        self.program.sources.get(file).map_or("", |f| &f.text)
    }

    pub fn module(&self, file: FileId) -> Option<&Module> {
        self.program.modules.iter().find(|m| m.file == file)
    }

    fn lines(&self, file: FileId) -> Option<&LineIndex> {
        let cell = self.lines.get(file.0 as usize)?;
        Some(cell.get_or_init(|| LineIndex::new(self.text(file))))
    }

    /// The range of a span in its file as analysed.
    pub fn range(&self, span: Span) -> Option<Range> {
        let lines = self.lines(span.file)?;
        let text = self.text(span.file);
        Some(lines.range(text, span.start as usize, span.end as usize))
    }

    /// Whether a file did not parse.
    pub fn has_syntax_errors(&self, file: FileId) -> bool {
        self.program.diagnostics.iter().any(|d| {
            d.is_error()
                && d.code.as_str().starts_with("E00")
                && d.span.is_some_and(|s| s.file == file)
        })
    }

    /// Whether the main module declares a stack (a module-only file does not).
    pub fn has_stack(&self) -> bool {
        self.program.main().is_some_and(|m| {
            m.ast.items.iter().any(
                |item| matches!(item, crate::syntax::ast::Item::Block(b) if b.kind.name == "stack"),
            )
        })
    }
}

fn file_uri(
    program: &Program,
    file: FileId,
    root: &Url,
    fs: &Overlay,
    std: &StdFiles,
) -> Option<Url> {
    let module = program.modules.iter().find(|m| m.file == file)?;
    match &module.origin {
        Origin::Main(_) => Some(root.clone()),
        Origin::Local(path) => fs
            .documents
            .uri_at(path)
            .cloned()
            .or_else(|| Url::from_file_path(path).ok()),
        Origin::Std(name) => std.uri(name),
    }
}

/// An analysis seen from a document whose text may have changed since: positions in
/// the document are moved to the analysed text and back. Only the part of the text
/// that changed is unknown to the analysis; positions in it move to its start.
pub struct View {
    pub analysis: Rc<Analysis>,
    pub file: FileId,
    pub uri: Url,
    /// The document's text now.
    pub current: String,
    lines: LineIndex,
    map: OffsetMap,
}

impl View {
    pub fn new(analysis: Rc<Analysis>, file: FileId, uri: Url, current: String) -> View {
        let map = OffsetMap::new(analysis.text(file), &current);
        View {
            analysis,
            file,
            uri,
            lines: LineIndex::new(&current),
            current,
            map,
        }
    }

    /// The analysed offset of a position in the document.
    pub fn offset(&self, position: Position) -> usize {
        self.map.to_old(self.current_offset(position))
    }

    /// The offset of a position in the document's current text.
    pub fn current_offset(&self, position: Position) -> usize {
        self.lines.offset(&self.current, position)
    }

    /// The range of a span, in the document's current text when it is in the
    /// document.
    pub fn range(&self, span: Span) -> Option<Range> {
        if span.file != self.file {
            return self.analysis.range(span);
        }
        let start = self.map.to_new(span.start as usize);
        let end = self.map.to_new(span.end as usize).max(start);
        Some(self.lines.range(&self.current, start, end))
    }

    pub fn location(&self, span: Span) -> Option<Location> {
        let uri = self.analysis.uri(span.file)?.clone();
        Some(Location::new(uri, self.range(span)?))
    }
}

/// The common start and end of two versions of a text.
struct OffsetMap {
    prefix: usize,
    old_suffix: usize,
    new_suffix: usize,
}

impl OffsetMap {
    fn new(old: &str, new: &str) -> OffsetMap {
        let (a, b) = (old.as_bytes(), new.as_bytes());
        let mut prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        while !(old.is_char_boundary(prefix) && new.is_char_boundary(prefix)) {
            prefix -= 1;
        }
        let most = a.len().min(b.len()) - prefix;
        let mut suffix = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take(most)
            .take_while(|(x, y)| x == y)
            .count();
        while !(old.is_char_boundary(a.len() - suffix) && new.is_char_boundary(b.len() - suffix)) {
            suffix -= 1;
        }
        OffsetMap {
            prefix,
            old_suffix: a.len() - suffix,
            new_suffix: b.len() - suffix,
        }
    }

    fn to_old(&self, offset: usize) -> usize {
        Self::translate(offset, self.prefix, self.new_suffix, self.old_suffix)
    }

    fn to_new(&self, offset: usize) -> usize {
        Self::translate(offset, self.prefix, self.old_suffix, self.new_suffix)
    }

    fn translate(offset: usize, prefix: usize, from_suffix: usize, to_suffix: usize) -> usize {
        if offset <= prefix {
            offset
        } else if offset >= from_suffix {
            offset - from_suffix + to_suffix
        } else {
            prefix
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OffsetMap;

    #[test]
    fn offsets_move_around_an_edit() {
        let old = "service a {\n  image = \"x\"\n}\nlet b = 1\n";
        let new = "service a {\n  image = \"x\" +\n}\nlet b = 1\n";
        let map = OffsetMap::new(old, new);
        assert_eq!(map.to_new(4), 4);
        let b_old = old.find("b =").unwrap_or_default();
        let b_new = new.find("b =").unwrap_or_default();
        assert_eq!(map.to_new(b_old), b_new);
        assert_eq!(map.to_old(b_new), b_old);
        // Inside the edit: its start.
        assert_eq!(map.to_old(new.find('+').unwrap_or_default()), map.prefix);
    }

    #[test]
    fn identical_texts_map_to_themselves() {
        let map = OffsetMap::new("é", "é");
        assert_eq!((map.to_old(2), map.to_new(0)), (2, 0));
    }
}
