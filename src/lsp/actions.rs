//! Code actions and formatting.
//!
//! A diagnostic with a [`Suggestion`](crate::diagnostic::Suggestion) ("did you mean
//! `replicas`?") becomes a quick fix that makes the replacement. Formatting is
//! [`crate::fmt::format`] applied to the whole buffer, as one edit; a buffer that does
//! not parse is left as it is.

use std::collections::HashMap;

use lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, Range, TextEdit, WorkspaceEdit};

use super::analysis::View;
use super::diagnostics;
use super::position::LineIndex;

pub fn code_actions(view: &View, range: Range) -> Vec<CodeActionOrCommand> {
    let analysis = &view.analysis;
    let mut out = Vec::new();
    for d in &analysis.diagnostics {
        let (Some(span), Some(suggestion)) = (d.span, &d.suggestion) else {
            continue;
        };
        if span.file != view.file || suggestion.span.file != view.file {
            continue;
        }
        let (Some(at), Some(edit_range)) = (view.range(span), view.range(suggestion.span)) else {
            continue;
        };
        if !overlaps(at, range) {
            continue;
        }
        let edit = TextEdit::new(edit_range, suggestion.replacement.clone());
        let mut diagnostic = diagnostics::convert(d, analysis);
        diagnostic.range = at;
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Replace with `{}`", suggestion.replacement),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic]),
            edit: Some(WorkspaceEdit::new(HashMap::from([(
                view.uri.clone(),
                vec![edit],
            )]))),
            is_preferred: Some(true),
            ..CodeAction::default()
        }));
    }
    out
}

fn overlaps(a: Range, b: Range) -> bool {
    let key = |p: lsp_types::Position| (p.line, p.character);
    key(a.start) <= key(b.end) && key(b.start) <= key(a.end)
}

/// The edits that format a document: none when it is formatted or does not parse.
pub fn format(text: &str) -> Vec<TextEdit> {
    match crate::fmt::format(text) {
        Ok(formatted) if formatted != text => {
            let lines = LineIndex::new(text);
            vec![TextEdit::new(lines.range(text, 0, text.len()), formatted)]
        }
        _ => Vec::new(),
    }
}
