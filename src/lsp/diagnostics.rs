//! floe's diagnostics as the protocol's, grouped by the file they are in.
//!
//! The message is floe's, followed by the primary label and the help line; each
//! secondary label is a related location. The code links to the code's page at
//! [`CODE_PAGES`], a stable public address (a `file:` link into a checkout would
//! work on one machine only).

use std::collections::HashMap;

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Url,
};

use super::analysis::Analysis;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::Span;

/// Where the page of each code is: `CODE_PAGES` + `E0203`.
pub const CODE_PAGES: &str = "https://floe.dev/errors/";

/// The diagnostics of an analysis by file, leaving out the standard library's files
/// (`is_std`) and, for a file that is only a module, the missing stack.
pub fn by_file(
    analysis: &Analysis,
    root: &Url,
    is_std: &dyn Fn(&Url) -> bool,
) -> HashMap<Url, Vec<lsp_types::Diagnostic>> {
    let mut out: HashMap<Url, Vec<lsp_types::Diagnostic>> = HashMap::new();
    for (_, uri) in analysis.files() {
        if !is_std(uri) {
            out.entry(uri.clone()).or_default();
        }
    }
    let module_only = !analysis.has_stack() && only_declarations(analysis);
    for d in &analysis.diagnostics {
        if module_only && d.code.as_str() == "E0111" {
            continue;
        }
        let uri = match d.span {
            Some(span) => analysis.uri(span.file),
            None => Some(root),
        };
        let Some(uri) = uri.filter(|u| !is_std(u)) else {
            continue;
        };
        out.entry(uri.clone())
            .or_default()
            .push(convert(d, analysis));
    }
    out
}

/// Whether the main file holds only components, lets and imports: a module opened
/// on its own, not a stack missing its `stack`.
fn only_declarations(analysis: &Analysis) -> bool {
    analysis.program.main().is_some_and(|m| {
        m.ast.items.iter().all(|item| match item {
            crate::syntax::ast::Item::Block(b) => b.kind.name == "component",
            _ => true,
        }) && !m.ast.items.is_empty()
    })
}

pub fn convert(d: &Diagnostic, analysis: &Analysis) -> lsp_types::Diagnostic {
    let range = d.span.and_then(|s| analysis.range(s)).unwrap_or_default();
    let mut message = d.message.clone();
    if !d.label.is_empty() {
        message.push('\n');
        message.push_str(&d.label);
    }
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|label| {
            Some(DiagnosticRelatedInformation {
                location: location(analysis, label.span)?,
                message: label.message.clone(),
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity() {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        code_description: Url::parse(&format!("{CODE_PAGES}{}", d.code.as_str()))
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some("floe".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

fn location(analysis: &Analysis, span: Span) -> Option<Location> {
    Some(Location::new(
        analysis.uri(span.file)?.clone(),
        analysis.range(span)?,
    ))
}
