//! `floe job seed TABLE` and `floe job verify`: what the stack's data Jobs run in the
//! cluster, reading the data plan from the `STACK-plan` ConfigMap.

use std::io::Write;
use std::path::Path;

use floe::data::ProcessEnv;
use floe::data::report::{self, TextProgress};
use floe::data::run as data_run;

use super::{Error, Result, RunOutput, print_results};

/// Creates the table when it is missing and writes its seed rows.
pub fn seed(table: &str, plan: &Path) -> Result {
    let mut progress = TextProgress::new(false);
    let plan = data_run::read_plan(plan)?;
    data_run::job_seed(&plan, table, &ProcessEnv, &mut progress)?;
    Ok(())
}

/// Runs every check, prints a line of their results for the run that started the
/// Job, then the table; an error when one failed.
pub fn verify(plan: &Path) -> Result {
    let mut progress = TextProgress::new(false);
    let plan = data_run::read_plan(plan)?;
    let results = data_run::job_verify(&plan, &ProcessEnv, &mut progress).map_err(Error::from)?;
    let line = report::results_line(&plan.stack, &results);
    let _ = writeln!(std::io::stdout().lock(), "{line}");
    print_results(&results, RunOutput::Text)
}
