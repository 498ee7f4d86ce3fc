//! floe: a typed language for data-platform stacks, compiled to Kubernetes.
//!
//! ```text
//! source ──parse──▶ AST ──check──▶ model ──lower──▶ objects ──emit──▶ YAML / JSON
//!   syntax            check          model    lower      emit
//!                                      └──plan──▶ waves (what `floe run` follows)
//! ```
//!
//! Every stage returns its result together with diagnostics and never stops at the
//! first problem; a stage after `check` runs only on a program without errors. The
//! compiler core does no IO of its own: files are read through
//! [`program::FileSystem`], and check queries are verified by a
//! [`SqlValidator`] the caller passes (`data::sql::DuckDbValidator` in the CLI).
//! `data` is the data engine behind `floe run --local` and the data Jobs, `cluster`
//! the client and orchestrator of `floe run` on a cluster (both in the default
//! feature `run`; without it, the crate is the compiler alone).

#![deny(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod check;
#[cfg(feature = "run")]
pub mod cluster;
#[cfg(feature = "run")]
pub mod data;
pub mod diagnostic;
pub mod emit;
pub mod fmt;
pub mod lower;
pub mod lsp;
pub mod model;
pub mod par;
pub mod plan;
pub mod program;
pub mod source;
pub mod stdlib;
pub mod syntax;
pub mod units;

pub use check::data::SqlValidator;
use diagnostic::Diagnostic;
use program::{FileSystem, Program};

/// The result of compiling a program with one profile.
pub struct Compilation {
    pub stack: Option<model::Stack>,
    /// Empty when there are errors.
    pub objects: Vec<lower::Object>,
    pub diagnostics: Vec<Diagnostic>,
    /// Literal secret values in the source, to mask when quoting it.
    pub secret_spans: Vec<source::Span>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks and lowers a program with `profile` applied. Check queries are not
/// verified: see [`compile_with`].
pub fn compile(program: &Program, fs: &dyn FileSystem, profile: Option<&str>) -> Compilation {
    compile_with(program, fs, profile, None)
}

/// [`compile`], with check queries verified by `sql`.
pub fn compile_with(
    program: &Program,
    fs: &dyn FileSystem,
    profile: Option<&str>,
    sql: Option<&dyn SqlValidator>,
) -> Compilation {
    let checked = check::check_with(program, fs, profile, sql);
    let objects = checked.stack.as_ref().map(lower::lower).unwrap_or_default();
    Compilation {
        stack: checked.stack,
        objects,
        diagnostics: checked.diagnostics,
        secret_spans: checked.secret_spans,
    }
}

/// Checks a program without a profile and with each of its profiles. A diagnostic
/// that only some of them have says which.
pub fn check_every_profile(program: &Program, fs: &dyn FileSystem) -> Vec<Diagnostic> {
    check_profiles(program, fs).diagnostics
}

/// [`check_every_profile`], with check queries verified by `sql`.
pub fn check_every_profile_with(
    program: &Program,
    fs: &dyn FileSystem,
    sql: Option<&dyn SqlValidator>,
) -> Vec<Diagnostic> {
    check_profiles_with(program, fs, sql).diagnostics
}

/// The diagnostics of every profile, the literal secret values of any of them, and
/// the references every profile resolved.
pub struct ProfileChecks {
    pub diagnostics: Vec<Diagnostic>,
    pub secret_spans: Vec<source::Span>,
    /// (use, definition), of every profile: sorted, each once.
    pub references: Vec<(source::Span, source::Span)>,
}

/// [`check_every_profile`], with the secret spans to mask when rendering.
pub fn check_profiles(program: &Program, fs: &dyn FileSystem) -> ProfileChecks {
    check_profiles_with(program, fs, None)
}

/// [`check_profiles`], with check queries verified by `sql`.
pub fn check_profiles_with(
    program: &Program,
    fs: &dyn FileSystem,
    sql: Option<&dyn SqlValidator>,
) -> ProfileChecks {
    let profiles = check::profile_names(program);
    let mut secret_spans = Vec::new();
    let mut references = Vec::new();
    let mut run = |profile: Option<&str>| {
        let checked = check::check_with(program, fs, profile, sql);
        secret_spans.extend(checked.secret_spans);
        references.extend(checked.references);
        checked.diagnostics
    };
    let mut runs: Vec<(Option<&str>, Vec<Diagnostic>)> = vec![(None, run(None))];
    for name in &profiles {
        runs.push((Some(name.as_str()), run(Some(name))));
    }
    let mut seen: Vec<&Diagnostic> = Vec::new();
    let mut merged: Vec<Diagnostic> = Vec::new();
    for (_, diagnostics) in &runs {
        for d in diagnostics {
            if seen.contains(&d) {
                continue;
            }
            seen.push(d);
            let present: Vec<Option<&str>> = runs
                .iter()
                .filter(|(_, ds)| ds.contains(d))
                .map(|(p, _)| *p)
                .collect();
            let mut d = d.clone();
            if present.len() < runs.len() {
                let names: Vec<String> = present
                    .iter()
                    .map(|p| p.map_or("no profile".to_string(), |p| format!("profile `{p}`")))
                    .collect();
                d.message = format!("{} (with {})", d.message, names.join(", "));
            }
            merged.push(d);
        }
    }
    let mut sorted = diagnostic::Diagnostics::default();
    sorted.extend(merged);
    secret_spans.sort();
    secret_spans.dedup();
    references.sort();
    references.dedup();
    ProfileChecks {
        diagnostics: sorted.into_sorted(),
        secret_spans,
        references,
    }
}
