//! The comments of a file, handed out in source order as the printer walks the tree.
//!
//! The AST keeps comments apart from the nodes, so the printer asks, before each
//! node it prints, for the comments that start before the node: each comment is
//! taken exactly once, and a comment can neither be lost nor printed twice. Where a
//! taken comment goes (at the end of the line, on a line of its own) depends on
//! where it was in the source; the helpers here answer that from the source text.

use crate::source::Span;
use crate::syntax::ast::Comment;

pub(super) struct Comments<'a> {
    source: &'a str,
    /// Sorted by start.
    list: Vec<&'a Comment>,
    /// The first comment not taken yet.
    next: usize,
}

impl<'a> Comments<'a> {
    pub(super) fn new(source: &'a str, comments: &'a [Comment]) -> Comments<'a> {
        let mut list: Vec<&Comment> = comments.iter().collect();
        list.sort_by_key(|c| c.span.start);
        Comments {
            source,
            list,
            next: 0,
        }
    }

    /// Takes the comments that start before `pos`.
    pub(super) fn take_before(&mut self, pos: u32) -> Vec<&'a Comment> {
        let rest = self.list.get(self.next..).unwrap_or(&[]);
        let count = rest.partition_point(|c| c.span.start < pos);
        let taken = rest.get(..count).unwrap_or(&[]).to_vec();
        self.next += count;
        taken
    }

    /// Whether a comment, taken or not, starts inside `span`.
    pub(super) fn any_within(&self, span: Span) -> bool {
        let first = self.list.partition_point(|c| c.span.start < span.start);
        self.list
            .get(first)
            .is_some_and(|c| c.span.start < span.end)
    }

    /// Whether nothing but blanks precedes `pos` on its line.
    pub(super) fn starts_line(&self, pos: u32) -> bool {
        let before = self.source.get(..pos as usize).unwrap_or("");
        let line = before.rsplit_once('\n').map_or(before, |(_, line)| line);
        line.chars().all(char::is_whitespace)
    }

    /// Whether the source has an empty line between `from` and `to`.
    pub(super) fn blank_between(&self, from: u32, to: u32) -> bool {
        let between = self.source.get(from as usize..to as usize).unwrap_or("");
        between.matches('\n').count() >= 2
    }
}

/// A comment's text as printed: line comments lose trailing blanks (and the `\r` of
/// a CRLF file); block comments are kept exactly.
pub(super) fn text(comment: &Comment) -> &str {
    if is_line(comment) {
        comment.text.trim_end()
    } else {
        &comment.text
    }
}

/// A `//` comment, which ends its line.
pub(super) fn is_line(comment: &Comment) -> bool {
    comment.text.starts_with("//")
}
