//! Diagnostics: what every stage reports instead of failing.
//!
//! A [`Diagnostic`] is plain data: a stable [`Code`], a one-line message, a primary
//! span with a label, secondary labels pointing at causes elsewhere, a help line and,
//! where the fix is mechanical, a [`Suggestion`] the editor can apply. The wording of
//! every diagnostic lives in [`messages`], one constructor per code; rendering lives in
//! [`render`] (terminal) and [`json`] (machine-readable).

mod codes;
pub mod json;
pub mod messages;
pub mod render;

pub use codes::{Code, Severity};

use crate::source::Span;

/// A secondary label: a span and what it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A replacement that fixes a diagnostic, offered by the language server as a quick fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub span: Span,
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    /// The primary span. Only diagnostics about the command line itself (an unknown
    /// profile, say) have none.
    pub span: Option<Span>,
    pub label: String,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub suggestion: Option<Suggestion>,
}

impl Diagnostic {
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            span: None,
            label: String::new(),
            secondary: Vec::new(),
            help: None,
            suggestion: None,
        }
    }

    pub fn at(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.span = Some(span);
        self.label = label.into();
        self
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_suggestion(mut self, span: Span, replacement: impl Into<String>) -> Diagnostic {
        self.suggestion = Some(Suggestion {
            span,
            replacement: replacement.into(),
        });
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

/// Diagnostics collected by a stage, in the order they were found.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    /// How many of them are errors.
    errors: usize,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.errors += usize::from(diagnostic.is_error());
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        for diagnostic in diagnostics {
            self.push(diagnostic);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// Sorts by position and drops exact duplicates: a `let` checked at several uses,
    /// say, reports its problem once.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            (a.span.map(|s| (s.file, s.start, s.end)), a.code, &a.message).cmp(&(
                b.span.map(|s| (s.file, s.start, s.end)),
                b.code,
                &b.message,
            ))
        });
        self.items.dedup();
        self.items
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Names longer than this get no suggestion and are never suggested: the edit
/// distance costs the product of the two lengths in time and memory.
const MAX_COMPARED: usize = 128;

/// The closest of `candidates` to `name`, if it is close enough to be a likely typo
/// (a few letters off, or one is the start of the other: `mem` for `memory`).
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    if name.len() > MAX_COMPARED {
        return None;
    }
    let limit = (name.chars().count() / 3).max(1);
    let prefix = |a: &str, b: &str| a.len() >= 3 && b.starts_with(a);
    candidates
        .into_iter()
        .filter(|c| *c != name && c.len() <= MAX_COMPARED)
        .filter_map(|c| {
            let distance = strsim::damerau_levenshtein(name, c);
            let close = distance <= limit
                || c.eq_ignore_ascii_case(name)
                || prefix(name, c)
                || prefix(c, name);
            close.then_some((distance, c))
        })
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggestions_catch_typos_and_prefixes() {
        assert_eq!(
            did_you_mean("replica", ["replicas", "ports"]),
            Some("replicas")
        );
        assert_eq!(did_you_mean("mem", ["cpu", "memory"]), Some("memory"));
        assert_eq!(
            did_you_mean("hostname", ["host", "ports", "url"]),
            Some("host")
        );
        assert_eq!(
            did_you_mean("prod", ["local", "production"]),
            Some("production")
        );
        assert_eq!(did_you_mean("zzz", ["cpu", "memory"]), None);
        let long = "a".repeat(100_000);
        assert_eq!(did_you_mean(&format!("{long}x"), [long.as_str()]), None);
    }
}
