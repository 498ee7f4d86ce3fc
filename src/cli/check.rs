//! `floe check FILE [--profile P]`: the diagnostics of a stack, without a profile and
//! with each of its profiles, or with one.

use std::path::Path;

use floe::data::sql::DuckDbValidator;
use floe::diagnostic::Diagnostic;
use floe::program::RealFs;

use super::{Error, MessageFormat, Reporter, Result, load};

pub fn run(
    path: &Path,
    profile: Option<&str>,
    format: MessageFormat,
    reporter: &Reporter,
) -> Result {
    let program = load(path, reporter, format)?;
    let sql = DuckDbValidator::new();
    let (diagnostics, mask) = match profile {
        Some(p) => {
            let checked = floe::check::check_with(&program, &RealFs, Some(p), Some(&sql));
            (checked.diagnostics, checked.secret_spans)
        }
        None => {
            let checks = floe::check_profiles_with(&program, &RealFs, Some(&sql));
            (checks.diagnostics, checks.secret_spans)
        }
    };
    reporter.diagnostics(&diagnostics, &program.sources, format, &mask);
    match diagnostics.iter().any(Diagnostic::is_error) {
        true => Err(Error::Reported),
        false => Ok(()),
    }
}
