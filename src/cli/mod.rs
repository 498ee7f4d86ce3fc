//! The commands of the `floe` binary, one module each, and what they share: the one
//! error type of a command ([`Error`]), how diagnostics and errors are printed
//! ([`Reporter`]), and loading and checking a stack.

pub mod check;
pub mod cluster;
pub mod compile;
pub mod explain;
pub mod fmt;
pub mod job;
pub mod local;
pub mod lsp;
pub mod plan;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::ValueEnum;

use floe::data::DataError;
use floe::data::report;
use floe::data::sql::DuckDbValidator;
use floe::data::verify::CheckResult;
use floe::diagnostic::render::{RenderOptions, render_all_masked};
use floe::diagnostic::{Diagnostic, json};
use floe::program::{self, Program, RealFs};
use floe::source::{SourceMap, Span};

/// What a command ends with: success, or why not.
pub type Result = std::result::Result<(), Error>;

/// Why a command failed. `main` prints it, through [`Reporter::error`].
#[derive(Debug)]
pub enum Error {
    /// What failed is printed already: the diagnostics of the input, the table of
    /// the checks, the files that are not formatted.
    Reported,
    /// What failed, and what to do about it.
    Message {
        message: String,
        help: Option<String>,
        /// The exit status: 1 when the command failed, 2 when it was misused.
        status: u8,
    },
    /// An error drawn with the source it points at (a failed run on a cluster).
    Drawn(String),
    /// An error as the JSON line of a command whose output is JSON lines.
    Json(String),
}

impl Error {
    /// A command that failed: exit status 1.
    pub fn new(message: impl Into<String>) -> Error {
        Error::Message {
            message: message.into(),
            help: None,
            status: 1,
        }
    }

    /// A command used wrongly: exit status 2.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Message {
            message: message.into(),
            help: None,
            status: 2,
        }
    }

    /// The same error with what to do about it.
    pub fn help(self, text: impl Into<String>) -> Error {
        match self {
            Error::Message {
                message, status, ..
            } => Error::Message {
                message,
                help: Some(text.into()),
                status,
            },
            other => other,
        }
    }

    pub fn status(&self) -> ExitCode {
        match self {
            Error::Message { status, .. } => ExitCode::from(*status),
            _ => ExitCode::from(1),
        }
    }
}

impl From<DataError> for Error {
    fn from(e: DataError) -> Error {
        let error = Error::new(e.to_string());
        match e.help() {
            Some(help) => error.help(help),
            None => error,
        }
    }
}

impl From<floe::emit::dir::Error> for Error {
    fn from(e: floe::emit::dir::Error) -> Error {
        Error::new(e.to_string())
    }
}

/// How diagnostics are printed.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

/// How `floe run` and the data Jobs print progress and results.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunOutput {
    Text,
    Json,
}

/// Prints diagnostics and errors to stderr (an error of JSON output to stdout, with
/// the rest of that output).
pub struct Reporter {
    pub color: bool,
}

impl Reporter {
    pub fn options(&self) -> RenderOptions {
        RenderOptions {
            color: self.color,
            width: 100,
        }
    }

    /// Diagnostics, with the secret values in `mask` hidden where one quotes them.
    pub fn diagnostics(
        &self,
        diagnostics: &[Diagnostic],
        sources: &SourceMap,
        format: MessageFormat,
        mask: &[Span],
    ) {
        let mut err = std::io::stderr().lock();
        match format {
            MessageFormat::Json => {
                for d in diagnostics {
                    let _ = writeln!(err, "{}", json::to_json_line(d, sources));
                }
            }
            MessageFormat::Human => {
                let text = render_all_masked(diagnostics, sources, self.options(), mask);
                let _ = err.write_all(text.as_bytes());
            }
        }
    }

    /// An error: `error: …` and `help: …` lines, as a diagnostic's heading is drawn.
    pub fn error(&self, error: &Error) {
        match error {
            Error::Reported => {}
            Error::Message { message, help, .. } => {
                let (red, bold, reset) = match self.color {
                    true => ("\x1b[1;31m", "\x1b[1m", "\x1b[0m"),
                    false => ("", "", ""),
                };
                let mut text = format!("{red}error{reset}{bold}: {message}{reset}\n");
                if let Some(help) = help {
                    text.push_str(&format!("{bold}help{reset}: {help}\n"));
                }
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            }
            Error::Drawn(text) => {
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            }
            Error::Json(line) => {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
        }
    }
}

/// Reads FILE and its imports; a file that cannot be read is reported.
fn load(
    path: &Path,
    reporter: &Reporter,
    format: MessageFormat,
) -> std::result::Result<Program, Error> {
    program::load(&RealFs, path).map_err(|d| {
        reporter.diagnostics(&[*d], &SourceMap::new(), format, &[]);
        Error::Reported
    })
}

/// Checks with check queries verified by DuckDB.
fn check_verified(program: &Program, profile: Option<&str>) -> floe::check::Checked {
    let sql = DuckDbValidator::new();
    floe::check::check_with(program, &RealFs, profile, Some(&sql))
}

/// A stack that checked without errors, not yet lowered: only `floe run` on a
/// cluster needs its objects.
pub struct Compiled {
    pub program: Program,
    /// Where secret values are in the source, hidden when an error quotes it.
    pub secret_spans: Vec<Span>,
    pub stack: floe::model::Stack,
}

/// Loads and checks FILE with check queries verified by DuckDB, and reports the
/// diagnostics; an error when there are errors among them.
fn compiled(
    path: &Path,
    profile: Option<&str>,
    reporter: &Reporter,
    format: MessageFormat,
) -> std::result::Result<Compiled, Error> {
    let program = load(path, reporter, format)?;
    let checked = check_verified(&program, profile);
    reporter.diagnostics(
        &checked.diagnostics,
        &program.sources,
        format,
        &checked.secret_spans,
    );
    match checked.stack {
        Some(stack) if !checked.has_errors() => Ok(Compiled {
            stack,
            secret_spans: checked.secret_spans,
            program,
        }),
        _ => Err(Error::Reported),
    }
}

/// Prints the results of the checks, as a table or a JSON summary line; an error
/// when one failed.
fn print_results(results: &[CheckResult], output: RunOutput) -> Result {
    let text = match output {
        RunOutput::Text => report::results_table(results),
        RunOutput::Json => format!("{}\n", report::summary_json(results)),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    match results.iter().all(|r| r.passed) {
        true => Ok(()),
        false => Err(Error::Reported),
    }
}

/// A data error as a run prints it: with its help, or as an `error` event.
fn data_error(e: DataError, output: RunOutput) -> Error {
    match output {
        RunOutput::Text => Error::from(e),
        RunOutput::Json => Error::Json(
            serde_json::json!({
                "event": "error",
                "message": e.to_string(),
                "help": e.help(),
            })
            .to_string(),
        ),
    }
}
