//! The document store: the text of every open buffer, and a [`FileSystem`] in which
//! those buffers stand in for the files on disk.
//!
//! An import of a file that is open in the editor reads the buffer, saved or not; any
//! other file is read from disk. Parsing goes through the [`ParseCache`], so that an
//! analysis after a keystroke parses only the item that changed.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use lsp_types::{TextDocumentContentChangeEvent, Url};

use super::parse_cache::ParseCache;
use super::position::LineIndex;
use crate::program::{FileSystem, RealFs};
use crate::source::FileId;
use crate::syntax::Parsed;

/// One open buffer.
#[derive(Debug)]
pub struct Document {
    pub text: String,
    pub version: i32,
    /// The file it is, when its URI is a `file:` URI.
    pub path: Option<PathBuf>,
    /// The path with symbolic links resolved, when the file exists on disk.
    pub canonical: Option<PathBuf>,
}

#[derive(Default)]
pub struct Documents {
    docs: HashMap<Url, Document>,
}

impl Documents {
    pub fn open(&mut self, uri: Url, text: String, version: i32) {
        let path = uri.to_file_path().ok();
        let canonical = path.as_deref().and_then(|p| std::fs::canonicalize(p).ok());
        let doc = Document {
            text,
            version,
            path,
            canonical,
        };
        self.docs.insert(uri, doc);
    }

    pub fn close(&mut self, uri: &Url) {
        self.docs.remove(uri);
    }

    pub fn get(&self, uri: &Url) -> Option<&Document> {
        self.docs.get(uri)
    }

    /// Applies edits in order. An edit without a range replaces the whole text.
    pub fn change(
        &mut self,
        uri: &Url,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) {
        let Some(doc) = self.docs.get_mut(uri) else {
            return;
        };
        for change in changes {
            apply(&mut doc.text, change);
        }
        doc.version = version;
    }

    /// The open document at a path (as named, or once symbolic links are resolved).
    fn at_path(&self, path: &Path) -> Option<&Document> {
        self.docs
            .values()
            .find(|d| d.path.as_deref() == Some(path) || d.canonical.as_deref() == Some(path))
    }

    /// The URI of the open document at a path, if any.
    pub fn uri_at(&self, path: &Path) -> Option<&Url> {
        self.docs.iter().find_map(|(uri, d)| {
            (d.path.as_deref() == Some(path) || d.canonical.as_deref() == Some(path)).then_some(uri)
        })
    }
}

fn apply(text: &mut String, change: TextDocumentContentChangeEvent) {
    let Some(range) = change.range else {
        *text = change.text;
        return;
    };
    let index = LineIndex::new(text);
    let start = index.offset(text, range.start);
    let end = index.offset(text, range.end).max(start);
    text.replace_range(start..end, &change.text);
}

/// The disk, with open buffers in place of their files.
pub struct Overlay<'a> {
    pub documents: &'a Documents,
    pub cache: &'a ParseCache,
}

impl FileSystem for Overlay<'_> {
    fn read(&self, path: &Path) -> io::Result<String> {
        if let Some(doc) = self.documents.at_path(path) {
            return Ok(doc.text.clone());
        }
        RealFs.read(path)
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        match RealFs.canonicalize(path) {
            Ok(p) => Ok(p),
            // A new buffer not saved yet is a file all the same.
            Err(_) if self.documents.at_path(path).is_some() => Ok(path.to_path_buf()),
            Err(e) => Err(e),
        }
    }

    fn parse(&self, file: FileId, text: &str) -> Parsed {
        self.cache.parse(file, text)
    }
}

#[cfg(test)]
mod tests {
    use lsp_types::{Position, Range};

    use super::*;

    fn edit(range: Option<(u32, u32, u32, u32)>, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|(a, b, c, d)| Range::new(Position::new(a, b), Position::new(c, d))),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn edits_count_utf16_units() {
        let mut docs = Documents::default();
        let Ok(uri) = Url::parse("file:///p/main.floe") else {
            panic!("a valid URI");
        };
        docs.open(uri.clone(), "let a = \"é𝄞\"\nlet b = 1\n".into(), 1);
        // Replace the `1` on line 1 and insert after `𝄞` (unit 12 of line 0).
        docs.change(
            &uri,
            2,
            vec![
                edit(Some((1, 8, 1, 9)), "2"),
                edit(Some((0, 12, 0, 12)), "!"),
            ],
        );
        let doc = docs.get(&uri).map(|d| d.text.as_str());
        assert_eq!(doc, Some("let a = \"é𝄞!\"\nlet b = 2\n"));
        docs.change(&uri, 3, vec![edit(None, "whole")]);
        assert_eq!(docs.get(&uri).map(|d| d.text.as_str()), Some("whole"));
    }
}
