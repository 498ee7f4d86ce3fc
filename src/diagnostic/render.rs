//! Terminal rendering of diagnostics through miette.
//!
//! This is the only place that knows miette. Labels in the primary span's file are
//! drawn together; a label in another file (a declaration in an imported module, say)
//! is drawn as a related note with its own source excerpt.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode, SourceSpan,
};

use super::{Diagnostic, Label, Severity};
use crate::source::{SourceMap, Span};

/// How to draw diagnostics.
#[derive(Clone, Copy, Debug)]
pub struct RenderOptions {
    pub color: bool,
    pub width: usize,
}

impl RenderOptions {
    /// Stable output for tests and logs: no colour, unicode frames, 100 columns.
    pub fn plain() -> RenderOptions {
        RenderOptions {
            color: false,
            width: 100,
        }
    }
}

/// Renders one diagnostic to text, ending with a newline.
pub fn render(diagnostic: &Diagnostic, sources: &SourceMap, options: RenderOptions) -> String {
    render_masked(diagnostic, sources, options, &[])
}

/// Renders one diagnostic, with the source inside `mask` shown as `*`: the quoted
/// source lines never show a secret value.
pub fn render_masked(
    diagnostic: &Diagnostic,
    sources: &SourceMap,
    options: RenderOptions,
    mask: &[Span],
) -> String {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false)
        .with_urls(false);
    let mut report = Report::new(diagnostic, sources, mask);
    let mut out = heading(&report, options.color);
    // miette writes the message under a `×` mark, after the code on a line of its
    // own; the heading above is written as rustc writes it instead. Drawn with no
    // code and an empty message, miette's report starts with the message's line,
    // which is left out.
    report.code.clear();
    report.message.clear();
    let mut drawn = String::new();
    if handler.render_report(&mut drawn, &report).is_ok() {
        out.push_str(drawn.split_once('\n').map_or("", |(_, rest)| rest));
    }
    out
}

/// `error[E0101]: message`, on a line of its own (more lines when the message has
/// them), so that a diagnostic can be found by its code.
fn heading(report: &Report, color: bool) -> String {
    let (word, style) = match report.severity {
        Severity::Error => ("error", "\x1b[1;31m"),
        Severity::Warning => ("warning", "\x1b[1;33m"),
    };
    let (bold, reset) = if color { (style, "\x1b[0m") } else { ("", "") };
    let message_style = if color { "\x1b[1m" } else { "" };
    format!(
        "{bold}{word}[{}]{reset}{message_style}: {}{reset}\n",
        report.code, report.message
    )
}

/// Renders a list of diagnostics followed by a one-line summary.
pub fn render_all(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    options: RenderOptions,
) -> String {
    render_all_masked(diagnostics, sources, options, &[])
}

/// [`render_all`] with secret values masked (see [`render_masked`]).
pub fn render_all_masked(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    options: RenderOptions,
    mask: &[Span],
) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&render_masked(d, sources, options, mask));
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if errors + warnings > 0 {
        out.push_str(&summary(errors, warnings));
        out.push('\n');
    }
    out
}

fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

/// A diagnostic seen through miette's eyes.
struct Report {
    code: String,
    message: String,
    severity: Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(d: &Diagnostic, sources: &SourceMap, mask: &[Span]) -> Report {
        let mut report = Report {
            code: d.code.as_str().to_string(),
            message: d.message.clone(),
            severity: d.severity(),
            help: d.help.clone(),
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        };
        let Some(primary) = d.span else {
            return report;
        };
        let same_file = d.secondary.iter().filter(|l| l.span.file == primary.file);
        if !shows_whole(primary, sources)
            || same_file.clone().any(|l| !shows_whole(l.span, sources))
        {
            // A snippet of a line this long is no help to read (and past miette's
            // limits): the places are written out instead.
            let places = std::iter::once((primary, d.label.as_str()))
                .chain(d.secondary.iter().map(|l| (l.span, l.message.as_str())));
            for (span, label) in places {
                report.message.push_str(&place(span, label, sources));
            }
            return report;
        }
        report.source = named_source(primary, sources, mask);
        report.labels.push(LabeledSpan::new_primary_with_span(
            non_empty(&d.label),
            source_span(primary),
        ));
        for Label { span, message } in &d.secondary {
            if span.file == primary.file {
                report.labels.push(LabeledSpan::new_with_span(
                    non_empty(message),
                    source_span(*span),
                ));
            } else {
                report
                    .related
                    .push(Report::note(*span, message, sources, mask));
            }
        }
        report
    }

    fn note(span: Span, message: &str, sources: &SourceMap, mask: &[Span]) -> Report {
        Report {
            code: String::new(),
            message: message.to_string(),
            severity: Severity::Warning,
            help: None,
            source: named_source(span, sources, mask),
            labels: vec![LabeledSpan::new_primary_with_span(None, source_span(span))],
            related: Vec::new(),
        }
    }
}

fn named_source(span: Span, sources: &SourceMap, mask: &[Span]) -> Option<NamedSource<String>> {
    let file = sources.get(span.file)?;
    let mut bytes = file.text.as_bytes().to_vec();
    for hidden in mask.iter().filter(|m| m.file == span.file) {
        if let Some(range) = bytes.get_mut(hidden.range()) {
            range.fill(b'*');
        }
    }
    // Whole UTF-8 sequences are replaced, byte for byte, so the text stays valid.
    let text = String::from_utf8(bytes).unwrap_or_else(|_| file.text.to_string());
    Some(NamedSource::new(file.name.clone(), text))
}

/// The longest line shown as a snippet, in bytes.
const MAX_SHOWN_LINE: u32 = 2_000;

/// Whether the lines `span` starts and ends on are short enough to show.
fn shows_whole(span: Span, sources: &SourceMap) -> bool {
    let Some(file) = sources.get(span.file) else {
        return true;
    };
    let fits = |offset: u32| {
        let (line, _) = file.line_col(offset);
        let start = file.line_start(line).unwrap_or(0);
        let end = file.line_start(line + 1).unwrap_or(file.text.len() as u32);
        end - start.min(end) <= MAX_SHOWN_LINE
    };
    fits(span.start) && fits(span.end)
}

/// `\n  at FILE:LINE:COLUMN: label`, the column counted in characters.
fn place(span: Span, label: &str, sources: &SourceMap) -> String {
    let Some(file) = sources.get(span.file) else {
        return String::new();
    };
    let (line, byte_column) = file.line_col(span.start);
    let start = file.line_start(line).unwrap_or(0) as usize;
    let column = file
        .text
        .get(start..start + byte_column)
        .map_or(byte_column, |s| s.chars().count());
    let label = if label.is_empty() {
        String::new()
    } else {
        format!(": {label}")
    };
    format!("\n  at {}:{}:{}{label}", file.name, line + 1, column + 1)
}

fn source_span(span: Span) -> SourceSpan {
    SourceSpan::new((span.start as usize).into(), span.len())
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning if self.code.is_empty() => miette::Severity::Advice,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as Box<_>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        (!self.related.is_empty())
            .then(|| Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)) as Box<_>)
    }
}
