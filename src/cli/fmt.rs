//! `floe fmt [--check] [PATH…]`: formats files in place, or lists those that are not
//! formatted.

use std::path::PathBuf;

use floe::fmt::files::{Mode, Outcome, format_paths};

use super::{Error, MessageFormat, Reporter, Result};

/// Formats the files (every `.floe` file under a directory), or with `check` lists
/// those that are not formatted. Every file is tried: one that cannot be read or
/// parsed is reported and the others are still formatted.
pub fn run(paths: &[PathBuf], check: bool, reporter: &Reporter) -> Result {
    let mode = if check { Mode::Check } else { Mode::Write };
    let mut failed = false;
    for file in format_paths(paths, mode) {
        match file.outcome {
            Outcome::Unchanged => {}
            Outcome::Changed => {
                if check {
                    println!("{}", file.path.display());
                    failed = true;
                }
            }
            Outcome::Invalid {
                sources,
                diagnostics,
            } => {
                reporter.diagnostics(&diagnostics, &sources, MessageFormat::Human, &[]);
                failed = true;
            }
            Outcome::Failed(message) => {
                reporter.error(&Error::new(message));
                failed = true;
            }
        }
    }
    match failed {
        true => Err(Error::Reported),
        false => Ok(()),
    }
}
