//! Parsing that reuses the items of earlier versions of a buffer.
//!
//! A keystroke changes one item of a file, yet pest parses the whole text again: on a
//! 5,000-line file that is most of the time from a change to its diagnostics. The
//! cache cuts a text before each line that starts a top-level item (as the parser's
//! own recovery does), parses each piece on its own, and remembers the result by the
//! piece's text; a later version reuses every piece that did not change, its spans
//! moved to where the piece now starts. A piece with a syntax error is kept when the
//! parser would report the same error for it (see [`stands_alone`]); otherwise the
//! whole text is parsed as usual. Either way the result is exactly the parser's.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use crate::syntax::{self, Parsed, ast};

/// Pieces not used by this many analyses are forgotten.
const KEEP_GENERATIONS: u64 = 8;

#[derive(Default)]
pub struct ParseCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    /// Each piece's parse, with spans as if the piece started the file, and the
    /// generation that last used it.
    pieces: HashMap<String, (Parsed, u64)>,
}

impl ParseCache {
    /// Starts an analysis: pieces unused for a while are dropped.
    pub fn next_generation(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.generation += 1;
        let oldest = inner.generation.saturating_sub(KEEP_GENERATIONS);
        inner.pieces.retain(|_, (_, used)| *used >= oldest);
    }

    pub fn parse(&self, file: FileId, text: &str) -> Parsed {
        self.parse_pieces(file, text)
            .unwrap_or_else(|| syntax::parse(file, text))
    }

    fn parse_pieces(&self, file: FileId, text: &str) -> Option<Parsed> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let generation = inner.generation;
        let ranges = syntax::item_chunks(text);
        let mut missing: Vec<&str> = Vec::new();
        for &(start, end) in &ranges {
            let piece = text.get(start..end)?;
            if !inner.pieces.contains_key(piece) && !missing.contains(&piece) {
                missing.push(piece);
            }
        }
        for (piece, parsed) in missing.iter().zip(parse_all(&missing)) {
            if !stands_alone(piece, &parsed) {
                return None;
            }
            inner.pieces.insert(piece.to_string(), (parsed, generation));
        }
        let mut whole = Parsed {
            file: ast::File {
                items: Vec::new(),
                comments: Vec::new(),
                span: Span::new(file, 0, text.len()),
            },
            diagnostics: Vec::new(),
        };
        for (start, end) in ranges {
            let entry = inner.pieces.get_mut(text.get(start..end)?)?;
            entry.1 = generation;
            append(&mut whole, &entry.0, Shift { file, by: start });
        }
        Some(whole)
    }
}

/// Above this many bytes to parse, pieces are parsed on several threads (a file
/// being opened).
const PARALLEL_BYTES: usize = 64 * 1024;

/// Parses pieces, on several threads when there is much to parse.
fn parse_all(pieces: &[&str]) -> Vec<Parsed> {
    let parse = |piece: &&str| syntax::parse(FileId(0), piece);
    let bytes: usize = pieces.iter().map(|p| p.len()).sum();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if bytes < PARALLEL_BYTES || threads < 2 {
        return pieces.iter().map(parse).collect();
    }
    let per_thread = pieces.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .chunks(per_thread)
            .map(|group| {
                let handle = std::thread::Builder::new()
                    .stack_size(crate::par::THREAD_STACK)
                    .spawn_scoped(scope, move || group.iter().map(parse).collect::<Vec<_>>());
                (group, handle)
            })
            .collect();
        handles
            .into_iter()
            .flat_map(
                |(group, handle)| match handle.ok().and_then(|h| h.join().ok()) {
                    Some(parsed) => parsed,
                    None => group.iter().map(parse).collect(),
                },
            )
            .collect()
    })
}

/// Whether a piece's parse is what parsing the whole text gives for it. A piece
/// that parses is. One that does not is, as the parser recovers piece by piece,
/// unless the cut before or after it may be wrong — inside a `"""` string, a block
/// comment or an item, which leaves brackets unbalanced — or its error is at its
/// end, where the whole text would name the next piece's first token, or it nests
/// too deep, which stops the whole parse.
fn stands_alone(piece: &str, parsed: &Parsed) -> bool {
    let errors: Vec<&Diagnostic> = parsed.diagnostics.iter().filter(|d| d.is_error()).collect();
    if errors.is_empty() {
        return true;
    }
    let end = piece.trim_end().len();
    let at_end = errors
        .iter()
        .any(|d| d.span.is_none_or(|s| s.start as usize >= end) || d.code.as_str() == "E0007");
    let opens = piece.matches(['{', '[', '(']).count();
    let closes = piece.matches(['}', ']', ')']).count();
    !at_end && opens == closes && !piece.contains("\"\"\"") && !piece.contains("/*")
}

/// Moves spans into place: into file `file`, `by` bytes later.
#[derive(Clone, Copy)]
struct Shift {
    file: FileId,
    by: usize,
}

impl Shift {
    fn span(self, span: &mut Span) {
        *span = Span::new(
            self.file,
            span.start as usize + self.by,
            span.end as usize + self.by,
        );
    }
}

fn append(whole: &mut Parsed, part: &Parsed, shift: Shift) {
    for item in &part.file.items {
        let mut item = item.clone();
        shift_item(&mut item, shift);
        whole.file.items.push(item);
    }
    for comment in &part.file.comments {
        let mut comment = comment.clone();
        shift.span(&mut comment.span);
        whole.file.comments.push(comment);
    }
    for d in &part.diagnostics {
        let mut d = d.clone();
        if let Some(span) = d.span.as_mut() {
            shift.span(span);
        }
        for label in &mut d.secondary {
            shift.span(&mut label.span);
        }
        if let Some(s) = d.suggestion.as_mut() {
            shift.span(&mut s.span);
        }
        whole.diagnostics.push(d);
    }
}

fn shift_item(item: &mut ast::Item, s: Shift) {
    match item {
        ast::Item::Import(i) => {
            s.span(&mut i.path_span);
            s.span(&mut i.span);
        }
        ast::Item::Let(l) => shift_let(l, s),
        ast::Item::Block(b) => shift_block(b, s),
    }
}

fn shift_let(l: &mut ast::Let, s: Shift) {
    s.span(&mut l.name.span);
    if let Some(ty) = l.ty.as_mut() {
        shift_type(ty, s);
    }
    shift_expr(&mut l.value, s);
    s.span(&mut l.span);
}

fn shift_block(b: &mut ast::Block, s: Shift) {
    s.span(&mut b.kind.span);
    s.span(&mut b.name.span);
    for entry in &mut b.entries {
        match entry {
            ast::Entry::Field(f) => shift_field(f, s),
            ast::Entry::Param(p) => {
                s.span(&mut p.name.span);
                shift_type(&mut p.ty, s);
                if let Some(d) = p.default.as_mut() {
                    shift_expr(d, s);
                }
                s.span(&mut p.span);
            }
            ast::Entry::Let(l) => shift_let(l, s),
            ast::Entry::Block(inner) => shift_block(inner, s),
        }
    }
    s.span(&mut b.body_span);
    s.span(&mut b.span);
}

fn shift_field(f: &mut ast::Field, s: Shift) {
    s.span(&mut f.key.span);
    for key in &mut f.subpath {
        s.span(&mut key.span);
    }
    s.span(&mut f.op_span);
    shift_expr(&mut f.value, s);
    s.span(&mut f.span);
}

fn shift_type(t: &mut ast::TypeExpr, s: Shift) {
    match &mut t.kind {
        ast::TypeExprKind::Named(name) => s.span(&mut name.span),
        ast::TypeExprKind::List(inner) => shift_type(inner, s),
    }
    s.span(&mut t.span);
}

fn shift_expr(e: &mut ast::Expr, s: Shift) {
    use ast::ExprKind as K;
    s.span(&mut e.span);
    match &mut e.kind {
        K::Str(text) => {
            for part in &mut text.parts {
                if let ast::StrPart::Interp(inner) = part {
                    shift_expr(inner, s);
                }
            }
        }
        K::Quantity(q) => s.span(&mut q.unit_span),
        K::Member(target, name) => {
            shift_expr(target, s);
            s.span(&mut name.span);
        }
        K::Call(callee, args) => {
            shift_expr(callee, s);
            for arg in args {
                if let Some(name) = arg.name.as_mut() {
                    s.span(&mut name.span);
                }
                shift_expr(&mut arg.value, s);
            }
        }
        K::List(items) => items.iter_mut().for_each(|i| shift_expr(i, s)),
        K::Record(fields) => fields.iter_mut().for_each(|f| shift_field(f, s)),
        K::Range(a, b) | K::Add(a, b) => {
            shift_expr(a, s);
            shift_expr(b, s);
        }
        K::Required(inner) | K::Paren(inner) => shift_expr(inner, s),
        K::Int(_) | K::Float(_) | K::Bool(_) | K::Name(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "/// The stack.\nstack s { namespace = \"s\" }\n\nlet tag = \"1.0\"\n\
                        service api {\n  image = \"x:${tag}\"\n  ports = { http = 80 }\n  \
                        ready = http(ports.http, \"/\", after = 5s)\n}\n";

    #[test]
    fn pieces_parse_like_the_whole_text() {
        let cache = ParseCache::default();
        let whole = syntax::parse(FileId(3), TEXT);
        let cached = cache.parse(FileId(3), TEXT);
        assert_eq!(cached.file, whole.file);
        // Again, from the cache, after an edit to the first item.
        let edited = TEXT.replace("namespace = \"s\"", "namespace = \"shop\"");
        let whole = syntax::parse(FileId(3), &edited);
        assert_eq!(cache.parse(FileId(3), &edited).file, whole.file);
    }

    #[test]
    fn broken_texts_parse_as_the_parser_parses_them() {
        let texts = [
            TEXT.replace("ports = {", "ports = "),
            TEXT.replace("image = \"x:${tag}\"", "image = \"x:${tag}\" +"),
            TEXT.replace("http(ports.http,", "http(ports.,"),
            TEXT.replace("let tag = \"1.0\"", "let tag ="),
            TEXT.replace("\n}\n", "\n"),
            format!("config c {{\n  a = \"\"\"\nservice x {{\n  \"\"\"\n}}\n{TEXT}"),
            format!("component c {{\nservice main {{ image = \"x\" }}\n}}\n{TEXT}"),
        ];
        for text in &texts {
            let cache = ParseCache::default();
            cache.parse(FileId(1), TEXT);
            let whole = syntax::parse(FileId(1), text);
            let cached = cache.parse(FileId(1), text);
            assert_eq!(cached.file, whole.file, "{text}");
            assert_eq!(cached.diagnostics, whole.diagnostics, "{text}");
        }
    }

    #[test]
    fn a_large_text_parses_on_threads_as_a_whole() {
        let text: String = (0..2000)
            .map(|i| {
                format!("service s{i} {{\n  image = \"x:{i}\"\n  ports = {{ http = 80 }}\n}}\n")
            })
            .collect();
        assert!(text.len() > PARALLEL_BYTES);
        let cached = ParseCache::default().parse(FileId(2), &text);
        assert_eq!(cached.file, syntax::parse(FileId(2), &text).file);
    }

    #[test]
    fn a_piece_with_an_error_parses_the_whole_text() {
        let cache = ParseCache::default();
        let broken = TEXT.replace("ports = {", "ports = ");
        let whole = syntax::parse(FileId(0), &broken);
        let cached = cache.parse(FileId(0), &broken);
        assert_eq!(cached.file, whole.file);
        assert_eq!(cached.diagnostics, whole.diagnostics);
    }
}
