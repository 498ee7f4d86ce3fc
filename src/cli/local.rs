//! `floe run --local`: the stack's seeds and checks on this machine, with embedded
//! catalogs instead of the stack's own.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use floe::data::report::{JsonProgress, TextProgress};
use floe::data::run::{self as data_run, Progress};

use super::{
    Compiled, MessageFormat, Reporter, Result, RunOutput, compiled, data_error, print_results,
};

/// `.floe/warehouse` next to the stack's file: where the embedded catalogs keep
/// their files unless `--warehouse` says.
pub fn default_warehouse(file: &Path) -> PathBuf {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty());
    dir.unwrap_or(Path::new(".")).join(".floe/warehouse")
}

pub fn run(
    path: &Path,
    warehouse: &Path,
    profile: Option<&str>,
    output: RunOutput,
    reporter: &Reporter,
) -> Result {
    let Compiled { stack, .. } = compiled(path, profile, reporter, MessageFormat::Human)?;
    let plan = floe::plan::DataPlan::new(&stack);
    if plan.tables.is_empty() && plan.checks.is_empty() && output == RunOutput::Text {
        eprintln!(
            "note: {} declares no tables and no checks: nothing to seed or check",
            path.display()
        );
    }
    let mut progress: Box<dyn Progress> = match output {
        RunOutput::Text => Box::new(TextProgress::new(std::io::stderr().is_terminal())),
        RunOutput::Json => Box::new(JsonProgress),
    };
    let results = data_run::run_local(&plan, warehouse, progress.as_mut())
        .map_err(|e| data_error(e, output))?;
    print_results(&results, output)
}
