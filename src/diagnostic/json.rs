//! Machine-readable diagnostics: one JSON object per diagnostic, one per line.
//!
//! Lines and columns are one-based; columns count Unicode scalar values, as editors
//! and most CI annotators expect.

use serde::Serialize;

use super::Diagnostic;
use crate::source::{SourceMap, Span};

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: &'static str,
    message: &'a str,
    #[serde(flatten)]
    location: Option<Location>,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    primary: bool,
    #[serde(flatten)]
    location: Location,
}

#[derive(Serialize)]
struct Location {
    file: String,
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

/// One JSON line (without the newline) for a diagnostic.
pub fn to_json_line(d: &Diagnostic, sources: &SourceMap) -> String {
    let primary = d.span.and_then(|s| locate(s, sources));
    let mut labels = Vec::new();
    if let Some(location) = d.span.and_then(|s| locate(s, sources)) {
        labels.push(JsonLabel {
            message: &d.label,
            primary: true,
            location,
        });
    }
    for label in &d.secondary {
        if let Some(location) = locate(label.span, sources) {
            labels.push(JsonLabel {
                message: &label.message,
                primary: false,
                location,
            });
        }
    }
    let json = JsonDiagnostic {
        code: d.code.as_str(),
        severity: match d.severity() {
            super::Severity::Error => "error",
            super::Severity::Warning => "warning",
        },
        message: &d.message,
        location: primary,
        labels,
        help: d.help.as_deref(),
    };
    serde_json::to_string(&json).unwrap_or_default()
}

fn locate(span: Span, sources: &SourceMap) -> Option<Location> {
    let file = sources.get(span.file)?;
    let position = |offset: u32| {
        let (line, byte_col) = file.line_col(offset);
        let line_start = file.line_start(line).unwrap_or(0) as usize;
        let prefix = file
            .text
            .get(line_start..line_start + byte_col)
            .unwrap_or("");
        (line + 1, prefix.chars().count() + 1)
    };
    let (start_line, start_column) = position(span.start);
    let (end_line, end_column) = position(span.end);
    Some(Location {
        file: file.name.clone(),
        start_line,
        start_column,
        end_line,
        end_column,
    })
}
