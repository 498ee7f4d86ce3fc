//! Parsing: source text to [`ast::File`], plus diagnostics.
//!
//! The parser is hand-written (`lexer.rs`, `parser.rs`) and reads the language of
//! `grammar/floe.pest`, the normative grammar, which the tests hold it to. A file is
//! parsed exactly first; when it has a syntax error it is parsed again, recovering:
//! the text is cut where a line starts a new top-level item, and each piece is
//! parsed on its own, skipping a broken entry to the next one. So one run reports
//! each syntax error once, the broken item keeps its kind, its name and its other
//! entries, and the rest of the file is still checked.

pub mod ast;
mod lexer;
mod parser;
pub mod strings;
pub mod walk;

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

pub use lexer::{item_chunks, starts_item};
pub use parser::MAX_NESTING;

/// The result of parsing one file.
#[derive(Debug)]
pub struct Parsed {
    pub file: ast::File,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a plain decimal number (`-12`, `0.25`) exactly, as the language reads
/// number literals.
pub fn parse_decimal_text(text: &str) -> Option<crate::units::Decimal> {
    strings::parse_decimal(text)
}

/// Files at least this large are parsed on several threads.
const PARALLEL_BYTES: usize = 256 * 1024;

/// Parses a whole file. Never fails: syntax errors become diagnostics and what
/// could be read is returned.
pub fn parse(file: FileId, text: &str) -> Parsed {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if text.len() >= PARALLEL_BYTES
        && threads > 1
        && let Some(parsed) = parse_in_parallel(file, text, threads)
    {
        return parsed;
    }
    match parse_piece(file, text, 0, text.len()) {
        Ok(parsed) => parsed,
        Err(Stop::TooDeep(d)) => too_deep(file, text, *d),
        Err(Stop::Syntax) => recover(file, text),
    }
}

/// Parses a text exactly as the grammar reads it: `None` when it is not in the
/// language (or nests deeper than [`MAX_NESTING`]). The diagnostics are those of a
/// text that parses: unknown units and escapes, numbers too large, entries on one
/// line without a `,`.
pub fn parse_exact(file: FileId, text: &str) -> Option<Parsed> {
    parse_piece(file, text, 0, text.len()).ok()
}

/// Why an exact parse stopped.
enum Stop {
    Syntax,
    TooDeep(Box<Diagnostic>),
}

/// Parses `text[start..end]`, a sequence of whole items, exactly.
fn parse_piece(file: FileId, text: &str, start: usize, end: usize) -> Result<Parsed, Stop> {
    let piece = text.get(start..end).unwrap_or("");
    let mut parser = parser::Parser::new(file, piece, start, false);
    match parser.items() {
        Ok(items) => Ok(Parsed {
            file: ast::File {
                items,
                comments: parser.comments,
                span: Span::new(file, 0, text.len()),
            },
            diagnostics: parser.diagnostics,
        }),
        Err(_) => Err(parser
            .too_deep
            .map_or(Stop::Syntax, |d| Stop::TooDeep(Box::new(d)))),
    }
}

/// A file that nests too deep is not read further: every stage after the parser
/// is recursive.
fn too_deep(file: FileId, text: &str, d: Diagnostic) -> Parsed {
    Parsed {
        file: ast::File {
            items: Vec::new(),
            comments: Vec::new(),
            span: Span::new(file, 0, text.len()),
        },
        diagnostics: vec![d],
    }
}

/// Cuts the file between items into one piece per thread and parses the pieces at
/// once. `None` when a piece does not parse (the file has a syntax error, or a cut
/// fell inside a string that looks like an item): the caller parses it whole.
fn parse_in_parallel(file: FileId, text: &str, threads: usize) -> Option<Parsed> {
    let pieces = balanced_pieces(&item_chunks(text), text.len(), threads);
    let results: Vec<Option<Parsed>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|&(start, end)| {
                std::thread::Builder::new()
                    .stack_size(crate::par::THREAD_STACK)
                    .spawn_scoped(scope, move || parse_piece(file, text, start, end).ok())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.ok().and_then(|h| h.join().ok().flatten()))
            .collect()
    });
    let mut whole = Parsed {
        file: ast::File {
            items: Vec::new(),
            comments: Vec::new(),
            span: Span::new(file, 0, text.len()),
        },
        diagnostics: Vec::new(),
    };
    for result in results {
        let part = result?;
        whole.file.items.extend(part.file.items);
        whole.file.comments.extend(part.file.comments);
        whole.diagnostics.extend(part.diagnostics);
    }
    Some(whole)
}

/// Groups consecutive chunks into `count` pieces of about equal size.
fn balanced_pieces(chunks: &[(usize, usize)], total: usize, count: usize) -> Vec<(usize, usize)> {
    let target = total / count.max(1) + 1;
    let mut pieces = Vec::new();
    let mut start = 0;
    for &(_, end) in chunks {
        if end - start >= target {
            pieces.push((start, end));
            start = end;
        }
    }
    if start < total {
        pieces.push((start, total));
    }
    pieces
}

/// Parses each top-level piece on its own, recovering from each syntax error.
fn recover(file: FileId, text: &str) -> Parsed {
    let mut items = Vec::new();
    let mut comments = Vec::new();
    let mut diagnostics = Vec::new();
    for (start, end) in item_chunks(text) {
        let mut piece = text.get(start..end).unwrap_or("").to_string();
        // A closing bracket too many is reported and read as blank space, so that
        // the entries after it stay where they are written.
        for at in lexer::stray_closers(piece.as_bytes()) {
            let closer = piece.get(at..at + 1).unwrap_or("}").to_string();
            let span = Span::new(file, start + at, start + at + 1);
            diagnostics.push(crate::diagnostic::messages::stray_closer(span, &closer));
            piece.replace_range(at..at + 1, " ");
        }
        let mut parser = parser::Parser::new(file, &piece, start, true);
        let parsed = parser.items();
        if let Some(d) = parser.too_deep {
            return too_deep(file, text, d);
        }
        items.extend(parsed.unwrap_or_default());
        comments.extend(parser.comments);
        diagnostics.extend(parser.diagnostics);
    }
    Parsed {
        file: ast::File {
            items,
            comments,
            span: Span::new(file, 0, text.len()),
        },
        diagnostics,
    }
}
