//! How runs are shown: progress on a terminal (indicatif), plain lines otherwise,
//! or JSON lines; and the results table that ends with "N passed, N failed".

use std::io::Write;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::run::{Event, Progress};
use super::seed::Outcome;
use super::verify::CheckResult;

/// The prefix of the line in which `floe job verify` writes its results as JSON, so
/// that whoever reads the Job's log can find them.
pub const RESULTS_MARKER: &str = "floe-results: ";

/// Progress as plain lines on stderr, or as a spinner when `terminal`.
pub struct TextProgress {
    spinner: Option<ProgressBar>,
    terminal: bool,
}

impl TextProgress {
    pub fn new(terminal: bool) -> TextProgress {
        TextProgress {
            spinner: None,
            terminal,
        }
    }

    fn start(&mut self, message: String) {
        if !self.terminal {
            eprintln!("{message}");
            return;
        }
        let spinner = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
            spinner.set_style(style);
        }
        spinner.set_message(message);
        spinner.enable_steady_tick(Duration::from_millis(100));
        self.spinner = Some(spinner);
    }

    fn done(&mut self, message: String) {
        match self.spinner.take() {
            Some(spinner) => spinner.finish_with_message(message),
            None => eprintln!("{message}"),
        }
    }
}

impl Progress for TextProgress {
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::Seeding { table, rows } => self.start(format!("seeding {table} ({rows} rows)")),
            Event::Seeded {
                table,
                outcome,
                millis,
            } => self.done(seeded_line(table, outcome, *millis)),
            Event::Loading { tables } => {
                self.start(format!("reading {tables} tables for the checks"))
            }
            Event::Checked(_) => {
                if let Some(spinner) = self.spinner.take() {
                    spinner.finish_and_clear();
                }
            }
        }
    }
}

fn seeded_line(table: &str, outcome: &Outcome, millis: u64) -> String {
    match outcome {
        Outcome::Written { rows, files } => {
            format!("seeded {table}: {rows} rows in {files} files, {millis} ms")
        }
        Outcome::Kept { rows } => {
            format!("kept {table}: it has {rows} rows already (when = empty)")
        }
        Outcome::NoSeed => format!("ready {table}: no seed"),
    }
}

/// Progress as one JSON object per line on stdout.
pub struct JsonProgress;

impl Progress for JsonProgress {
    fn event(&mut self, event: &Event<'_>) {
        let value = match event {
            Event::Seeding { table, rows } => {
                json!({"event": "seeding", "table": table, "rows": rows})
            }
            Event::Seeded {
                table,
                outcome,
                millis,
            } => {
                let mut v = json!({"event": "seeded", "table": table});
                merge(&mut v, outcome_json(outcome));
                v["millis"] = json!(millis);
                v
            }
            Event::Loading { tables } => json!({"event": "loading", "tables": tables}),
            Event::Checked(result) => {
                let mut v = json!({"event": "check"});
                merge(&mut v, serde_json::to_value(result).unwrap_or_default());
                v
            }
        };
        let _ = writeln!(std::io::stdout().lock(), "{value}");
    }
}

/// Adds the fields of `more` to the object `into`, in order.
fn merge(into: &mut serde_json::Value, more: serde_json::Value) {
    if let (Some(into), serde_json::Value::Object(more)) = (into.as_object_mut(), more) {
        into.extend(more);
    }
}

fn outcome_json(outcome: &Outcome) -> serde_json::Value {
    match outcome {
        Outcome::Written { rows, files } => {
            json!({"outcome": "written", "rows": rows, "files": files})
        }
        Outcome::Kept { rows } => json!({"outcome": "kept", "rows": rows}),
        Outcome::NoSeed => json!({"outcome": "no_seed"}),
    }
}

/// The closing JSON line of `--output json`.
pub fn summary_json(results: &[CheckResult]) -> String {
    let (passed, failed) = counts(results);
    json!({"event": "summary", "passed": passed, "failed": failed}).to_string()
}

/// The line `floe job verify` writes for readers of its log: the marker, then the
/// results as JSON.
pub fn results_line(stack: &str, results: &[CheckResult]) -> String {
    let (passed, failed) = counts(results);
    let value = json!({"stack": stack, "passed": passed, "failed": failed, "checks": results});
    format!("{RESULTS_MARKER}{value}")
}

/// How many checks passed and failed.
pub fn counts(results: &[CheckResult]) -> (usize, usize) {
    let passed = results.iter().filter(|r| r.passed).count();
    (passed, results.len() - passed)
}

/// The results as a table (none when there are no checks), the descriptions of
/// failed checks, and the line "N passed, N failed".
pub fn results_table(results: &[CheckResult]) -> String {
    let header = ["check", "expected", "actual", "result"].map(String::from);
    let mut rows = if results.is_empty() {
        Vec::new()
    } else {
        vec![header]
    };
    for r in results {
        let verdict = if r.passed { "ok" } else { "FAILED" };
        rows.push([
            r.name.clone(),
            r.expected.clone(),
            shorten(&r.actual, 60),
            verdict.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..4)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    for r in results.iter().filter(|r| !r.passed) {
        if let Some(d) = &r.description {
            out.push_str(&format!("{}: {d}\n", r.name));
        }
        if r.actual.chars().count() > 60 {
            out.push_str(&format!("{}: {}\n", r.name, r.actual));
        }
    }
    let (passed, failed) = counts(results);
    out.push_str(&format!("{passed} passed, {failed} failed\n"));
    out
}

fn shorten(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() <= max && !text.contains('\n') {
        return line.to_string();
    }
    let cut: String = line.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, passed: bool) -> CheckResult {
        CheckResult {
            name: name.into(),
            description: Some("why it matters".into()),
            expected: "= 0".into(),
            actual: if passed { "0" } else { "3" }.into(),
            passed,
            millis: 1,
        }
    }

    #[test]
    fn the_table_ends_with_the_counts() {
        let text = results_table(&[result("a", true), result("orphans", false)]);
        assert_eq!(
            text,
            "check    expected  actual  result\n\
             a        = 0       0       ok\n\
             orphans  = 0       3       FAILED\n\
             orphans: why it matters\n\
             1 passed, 1 failed\n"
        );
        assert_eq!(results_table(&[]), "0 passed, 0 failed\n");
        assert!(results_line("demo", &[]).starts_with(RESULTS_MARKER));
    }
}
