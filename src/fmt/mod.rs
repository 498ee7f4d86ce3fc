//! The formatter: one canonical layout for `.floe` files (`floe fmt`).
//!
//! [`format`] parses a file and prints its tree back in the canonical style; a file
//! with syntax errors is refused, never half-formatted. Formatting never changes
//! meaning (the tree of the output is the tree of the input), keeps every comment
//! exactly once and in order, and is idempotent.
//!
//! The style, which has no options:
//!
//! - Indentation is 2 spaces; lines are at most 100 columns where a record or a list
//!   can break (a long string or call is not split).
//! - Items are separated by one empty line. Consecutive imports, and consecutive
//!   `let`s that are one line each, may stand on consecutive lines: the source's choice
//!   (no empty line, or one) is kept there.
//! - An item body (`KIND NAME { ... }`) has one entry per line and no commas; an empty
//!   body is `{}`.
//! - A record is `{ a = 1, b = 2 }` and a list `[a, b]` when it fits on the line and
//!   holds no comment and no multi-line string. Otherwise it is broken, one entry per
//!   line: a record's fields without commas (like a body), a list's elements each
//!   followed by a comma (the last one too).
//! - In bodies, broken records and broken lists, an empty line between two entries is
//!   kept (runs of them become one); none is kept after the opening bracket or before
//!   the closing one.
//! - Spaces: `a = b`, `{ a = 1 }`, `[a, b]`, `f(a, b)`, `f(name = a)`, `a..b`,
//!   `a + b`, `name: type = default`, `let x: type = v`.
//! - Strings, numbers, quantities and names are printed as written. A `"""` string
//!   whose opening quotes end their line is re-indented as a block: its content lines
//!   and closing quotes one level deeper than the line the string starts on, which
//!   keeps its value (the common indentation is stripped). Any other `"""` string is
//!   printed exactly as written.
//! - Comments are kept, in order: one at the end of a line stays there, after one
//!   space; one on its own line stays on its own line, at the indentation of what
//!   follows. A doc comment (`///`) always goes on its own line, above what it
//!   documents. A comment inside an expression stays inline. Line comments lose their
//!   trailing blanks; block comments are printed exactly as written.
//! - Items are never reordered.

mod comments;
mod doc;
pub mod files;
mod print;
mod strings;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;
use crate::syntax;

/// The canonical text of a file, or the diagnostics of its syntax errors. The
/// diagnostics' spans are in [`FileId`] 0.
pub fn format(text: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = syntax::parse(FileId(0), text);
    if parsed.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(parsed.diagnostics);
    }
    let doc = print::Printer::new(text, &parsed.file.comments).file(&parsed.file);
    let mut out = doc::render(&doc);
    if !out.is_empty() {
        out.push('\n');
    }
    Ok(out)
}
