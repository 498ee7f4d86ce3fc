//! Parsing: source text to [`ast::File`], plus diagnostics.
//!
//! pest does the parsing (`grammar/floe.pest`); its types never leave this module. When
//! the file does not parse, the parser recovers item by item: the text is cut where a
//! line starts a new top-level item, every piece is parsed on its own, and the items
//! that parse are kept. So one run reports a syntax error in each broken item, and the
//! rest of the file is still checked.

pub mod ast;
mod build;
mod errors;
mod scan;
mod strings;
pub mod walk;

use pest::Parser;

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/floe.pest"]
struct FloeParser;

/// The result of parsing one file.
#[derive(Debug)]
pub struct Parsed {
    pub file: ast::File,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a plain decimal number (`-12`, `0.25`) exactly, as the language reads
/// number literals.
pub fn parse_decimal_text(text: &str) -> Option<ast::Decimal> {
    strings::parse_decimal(text)
}

/// Files at least this large are parsed on several threads.
const PARALLEL_BYTES: usize = 256 * 1024;
/// The stack of a parsing thread: as deep as the main thread's, so that nesting
/// limits do not depend on the file's size.
const THREAD_STACK: usize = 8 * 1024 * 1024;

/// Parses a whole file. Never fails: syntax errors become diagnostics and the items
/// that could be parsed are returned.
pub fn parse(file: FileId, text: &str) -> Parsed {
    let scanned = scan::scan(file, text);
    if let Some(at) = scanned.too_deep {
        return Parsed {
            file: ast::File {
                items: Vec::new(),
                comments: scanned.comments,
                span: Span::new(file, 0, text.len()),
            },
            diagnostics: vec![crate::diagnostic::messages::too_deep(
                Span::new(file, at, at + 1),
                scan::MAX_NESTING,
            )],
        };
    }
    let mut parsed = parse_items(file, text, scanned.unclosed_string);
    parsed.file.comments = scanned.comments;
    parsed
}

/// Parses the items of a file whose nesting is within limits.
fn parse_items(file: FileId, text: &str, unclosed_string: Option<usize>) -> Parsed {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if text.len() >= PARALLEL_BYTES
        && threads > 1
        && let Some(parsed) = parse_in_parallel(file, text, threads)
    {
        return parsed;
    }
    match parse_piece(file, text, 0, text.len()) {
        Ok(parsed) => parsed,
        Err(error) => {
            let mut parsed = recover(file, text);
            if !parsed.diagnostics.iter().any(Diagnostic::is_error) {
                let d = match unclosed_string {
                    Some(at) => crate::diagnostic::messages::unterminated_string(Span::new(
                        file,
                        at,
                        at + 1,
                    )),
                    None => errors::syntax_error(file, text, text, 0, &error),
                };
                parsed.diagnostics.push(d);
            }
            parsed
        }
    }
}

/// Parses `text[start..end]`, a sequence of whole items.
fn parse_piece(
    file: FileId,
    text: &str,
    start: usize,
    end: usize,
) -> Result<Parsed, Box<pest::error::Error<Rule>>> {
    let piece = text.get(start..end).unwrap_or("");
    let pairs = FloeParser::parse(Rule::file, piece).map_err(Box::new)?;
    let mut builder = build::Builder::new(file, piece, start);
    let items = builder.items(pairs);
    Ok(Parsed {
        file: ast::File {
            items,
            comments: Vec::new(),
            span: Span::new(file, 0, text.len()),
        },
        diagnostics: builder.diagnostics,
    })
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
                    .stack_size(THREAD_STACK)
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

/// Parses each top-level item on its own, keeping those that parse.
fn recover(file: FileId, text: &str) -> Parsed {
    let mut items = Vec::new();
    let mut diagnostics = Vec::new();
    for (start, end) in item_chunks(text) {
        let chunk = text.get(start..end).unwrap_or("");
        if chunk.trim().is_empty() {
            continue;
        }
        match FloeParser::parse(Rule::file, chunk) {
            Ok(pairs) => {
                let mut builder = build::Builder::new(file, chunk, start);
                items.extend(builder.items(pairs));
                diagnostics.extend(builder.diagnostics);
            }
            Err(error) => diagnostics.push(errors::syntax_error(file, text, chunk, start, &error)),
        }
    }
    Parsed {
        file: ast::File {
            items,
            comments: Vec::new(),
            span: Span::new(file, 0, text.len()),
        },
        diagnostics,
    }
}

/// Byte ranges of the text, cut before each line that starts a top-level item.
fn item_chunks(text: &str) -> Vec<(usize, usize)> {
    let mut cuts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > 0 && starts_item(line) {
            cuts.push(offset);
        }
        offset += line.len();
    }
    cuts.push(text.len());
    cuts.windows(2)
        .filter_map(|w| match w {
            [a, b] => Some((*a, *b)),
            _ => None,
        })
        .collect()
}

/// Whether a line looks like the start of a top-level item, at the first column:
/// `import "..."`, `let name`, or `kind name {`.
fn starts_item(line: &str) -> bool {
    fn name(s: &str) -> Option<(&str, &str)> {
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        let (word, rest) = s.split_at(end);
        let starts_right = word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
        starts_right.then_some((word, rest))
    }
    let Some((first, rest)) = name(line) else {
        return false;
    };
    let rest = rest.trim_start_matches([' ', '\t']);
    match first {
        "import" => rest.starts_with('"'),
        "let" => name(rest).is_some(),
        _ => name(rest)
            .is_some_and(|(_, after)| after.trim_start_matches([' ', '\t']).starts_with('{')),
    }
}
