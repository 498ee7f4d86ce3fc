//! The `floe` command line: parses arguments, calls the library, renders results and
//! maps them to exit codes (0 success, 1 errors in the input, 2 misuse).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use floe::cluster::kube::{Connect, KubeCluster};
use floe::cluster::preview::Change;
use floe::cluster::run::Input;
use floe::data::report::{self, JsonProgress, TextProgress};
use floe::data::run::{self as data_run, Progress};
use floe::data::sql::DuckDbValidator;
use floe::data::{DataError, ProcessEnv};
use floe::diagnostic::render::{RenderOptions, render_all_masked};
use floe::diagnostic::{Code, Diagnostic, json};
use floe::emit::{self, Format};
use floe::program::{self, Program, RealFs};
use floe::source::{SourceMap, Span};

mod allocator;

#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

#[derive(Parser)]
#[command(
    name = "floe",
    version,
    about = "A typed language for data-platform stacks, compiled to Kubernetes",
    long_about = "floe checks a .floe stack (services, secrets, config, hooks) and compiles \
                  it to Kubernetes manifests: deterministic, ready to check in."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to use colour in diagnostics.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

#[derive(Subcommand)]
enum Command {
    /// Type-check a stack: without --profile, with no profile and with each profile.
    Check {
        file: PathBuf,
        #[arg(long, short)]
        profile: Option<String>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
        message_format: MessageFormat,
    },
    /// Compile a stack to Kubernetes manifests.
    Compile {
        file: PathBuf,
        #[arg(long, short)]
        profile: Option<String>,
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Yaml)]
        format: OutputFormat,
        /// Write one file per object into this directory instead of printing.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// With --output: write nothing, and exit 1 when the directory differs from
        /// what would be written.
        #[arg(long, requires = "output")]
        check: bool,
        #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
        message_format: MessageFormat,
    },
    /// Print the order in which the stack's services and hooks start, as waves.
    Plan {
        file: PathBuf,
        #[arg(long, short)]
        profile: Option<String>,
        #[arg(long, short, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
    },
    /// Apply the stack to a Kubernetes cluster, wait until it is ready, seed its
    /// tables and run its checks.
    #[command(long_about = RUN_HELP)]
    Run {
        /// The stack's .floe file.
        file: PathBuf,
        /// The profile to apply (`local` for Docker Desktop in the demo).
        #[arg(long, short)]
        profile: Option<String>,
        #[command(flatten)]
        cluster: ClusterArgs,
        /// Take ownership of fields another tool (kubectl, a controller) set.
        #[arg(long, conflicts_with = "local")]
        force_conflicts: bool,
        /// Show what would change (a server-side dry run) and apply nothing.
        #[arg(long, conflicts_with = "local")]
        dry_run: bool,
        /// The longest wait for the whole run, in seconds.
        #[arg(long, default_value_t = 1200, value_name = "SECONDS")]
        timeout: u64,
        /// The longest wait for one service, hook, seed or check Job, in seconds.
        #[arg(long, default_value_t = 300, value_name = "SECONDS")]
        item_timeout: u64,
        /// No cluster: seed and check on this machine with embedded catalogs
        /// (SQLite and local files) instead of the stack's own.
        #[arg(long)]
        local: bool,
        /// With --local: where the embedded catalogs keep their files [default:
        /// .floe/warehouse next to FILE].
        #[arg(long, requires = "local")]
        warehouse: Option<PathBuf>,
        /// Progress and results as text, or as one JSON object per line.
        #[arg(long, value_enum, default_value_t = RunOutput::Text)]
        output: RunOutput,
    },
    /// Show what `floe run` would change in the cluster: a server-side dry run
    /// compared with the live objects (secret values never shown).
    Diff {
        /// The stack's .floe file.
        file: PathBuf,
        /// The profile to apply (`local` for Docker Desktop in the demo).
        #[arg(long, short)]
        profile: Option<String>,
        #[command(flatten)]
        cluster: ClusterArgs,
    },
    /// Delete everything `floe run` applied for the stack (volume claims only with
    /// --volumes).
    Down {
        /// The stack's .floe file.
        file: PathBuf,
        /// The profile to apply (`local` for Docker Desktop in the demo).
        #[arg(long, short)]
        profile: Option<String>,
        #[command(flatten)]
        cluster: ClusterArgs,
        /// Delete the stack's volume claims too, and the data on them.
        #[arg(long)]
        volumes: bool,
    },
    /// What the stack's data Jobs run in the cluster.
    Job {
        #[command(subcommand)]
        job: JobCommand,
    },
    /// Explain an error code, e.g. `floe explain E0203`.
    Explain { code: String },
    /// Run the language server on standard input and output (see docs/editors.md).
    Lsp,
    /// Format files in place: the given files and directories, or every .floe file
    /// under the current directory.
    Fmt {
        /// Write nothing; list the files that are not formatted and exit 1 if any.
        #[arg(long)]
        check: bool,
        files: Vec<PathBuf>,
    },
}

const RUN_HELP: &str = "Apply the stack to a Kubernetes cluster, wait until it is ready, seed its \
tables and run its checks.

The cluster is the current context of your kubeconfig ($KUBECONFIG or ~/.kube/config), \
or --context; inside a pod, its service account. Objects are applied with server-side \
apply (field manager `floe`) in the order `floe plan` shows: an item starts as soon as \
the items it needs are ready, items that do not depend on each other in parallel. A pod of \
the current revision that cannot start (crash loop, missing secret, invalid image) or a \
failed Job stops the run at once; what Kubernetes retries (an image pull, a pod not yet \
schedulable) stops it when it lasts a minute. The report points at the item in FILE with \
the events and last log lines. The check results \
are printed as a table; the exit code is 1 when a check fails or the run fails.

Secret values are made here: generate() once (kept while the Secret exists), env() from \
this process's environment (a missing variable stops the run before anything is \
applied). They are never printed.

Running again converges: unchanged objects stay, changed ones are updated, Jobs run \
again only when their content changed, and objects removed from FILE are deleted. \
`floe diff` previews a run; `floe down` removes the stack.

Example (Docker Desktop; the walk-through is docs/guide-docker-desktop.md):
  docker build -t ghcr.io/floe-dev/floe:0.1.0 .     # the runner image of the data Jobs
  floe run examples/demo.floe --profile local --context docker-desktop
  floe down examples/demo.floe --profile local --context docker-desktop";

/// Which cluster to talk to.
#[derive(clap::Args)]
struct ClusterArgs {
    /// The kubeconfig context [default: the current context].
    #[arg(long)]
    context: Option<String>,
    /// The kubeconfig file [default: $KUBECONFIG, else ~/.kube/config].
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
}

#[derive(Subcommand)]
enum JobCommand {
    /// Create a table when missing and write its seed rows (the `seed-TABLE` Job).
    Seed {
        table: String,
        /// The data plan (mounted from the `STACK-plan` ConfigMap).
        #[arg(long)]
        plan: PathBuf,
    },
    /// Run every check (the `STACK-verify` Job); exit 1 when one fails.
    Verify {
        #[arg(long)]
        plan: PathBuf,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RunOutput {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Yaml,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum PlanFormat {
    Text,
    Json,
    Dot,
    Mermaid,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let reporter = Reporter { color };
    match cli.command {
        Command::Check {
            file,
            profile,
            message_format,
        } => check(&file, profile.as_deref(), message_format, &reporter),
        Command::Compile {
            file,
            profile,
            format,
            output,
            check,
            message_format,
        } => {
            let format = match format {
                OutputFormat::Yaml => Format::Yaml,
                OutputFormat::Json => Format::Json,
            };
            let target = Target { output, check };
            compile(
                &file,
                profile.as_deref(),
                format,
                &target,
                message_format,
                &reporter,
            )
        }
        Command::Plan {
            file,
            profile,
            format,
        } => plan(&file, profile.as_deref(), format, &reporter),
        Command::Run {
            file,
            profile,
            cluster,
            force_conflicts,
            dry_run,
            timeout,
            item_timeout,
            local,
            warehouse,
            output,
        } => {
            if local {
                let warehouse = warehouse.unwrap_or_else(|| default_warehouse(&file));
                return run_local(&file, &warehouse, profile.as_deref(), output, &reporter);
            }
            let options = floe::cluster::run::Options {
                force_conflicts,
                item_timeout: Duration::from_secs(item_timeout),
                timeout: Duration::from_secs(timeout),
                ..floe::cluster::run::Options::default()
            };
            let command = match dry_run {
                true => ClusterCommand::Diff { full: false },
                false => ClusterCommand::Run { options, output },
            };
            on_cluster(&file, profile.as_deref(), &cluster, &reporter, command)
        }
        Command::Diff {
            file,
            profile,
            cluster,
        } => on_cluster(
            &file,
            profile.as_deref(),
            &cluster,
            &reporter,
            ClusterCommand::Diff { full: true },
        ),
        Command::Down {
            file,
            profile,
            cluster,
            volumes,
        } => on_cluster(
            &file,
            profile.as_deref(),
            &cluster,
            &reporter,
            ClusterCommand::Down { volumes },
        ),
        Command::Job { job } => match job {
            JobCommand::Seed { table, plan } => job_seed(&table, &plan),
            JobCommand::Verify { plan } => job_verify(&plan),
        },
        Command::Explain { code } => explain(&code),
        Command::Fmt { check, files } => fmt(&files, check, &reporter),
        Command::Lsp => lsp(),
    }
}

/// Prints diagnostics to stderr.
struct Reporter {
    color: bool,
}

impl Reporter {
    fn options(&self) -> RenderOptions {
        RenderOptions {
            color: self.color,
            width: 100,
        }
    }

    fn report(
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
}

fn load(path: &Path, reporter: &Reporter, format: MessageFormat) -> Option<Program> {
    match program::load(&RealFs, path) {
        Ok(program) => Some(program),
        Err(d) => {
            reporter.report(&[*d], &SourceMap::new(), format, &[]);
            None
        }
    }
}

fn exit_for(diagnostics: &[Diagnostic]) -> ExitCode {
    if diagnostics.iter().any(Diagnostic::is_error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn check(
    path: &Path,
    profile: Option<&str>,
    format: MessageFormat,
    reporter: &Reporter,
) -> ExitCode {
    let Some(program) = load(path, reporter, format) else {
        return ExitCode::from(1);
    };
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
    reporter.report(&diagnostics, &program.sources, format, &mask);
    exit_for(&diagnostics)
}

/// Where compiled output goes.
struct Target {
    output: Option<PathBuf>,
    check: bool,
}

fn compile(
    path: &Path,
    profile: Option<&str>,
    format: Format,
    target: &Target,
    message_format: MessageFormat,
    reporter: &Reporter,
) -> ExitCode {
    let Some(program) = load(path, reporter, message_format) else {
        return ExitCode::from(1);
    };
    let checked = check_verified(&program, profile);
    reporter.report(
        &checked.diagnostics,
        &program.sources,
        message_format,
        &checked.secret_spans,
    );
    let stack = match checked.stack {
        Some(stack) if !checked.has_errors() => stack,
        _ => return ExitCode::from(1),
    };
    match &target.output {
        None => {
            let mut stdout = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            let written = match format {
                Format::Yaml => emit::write_yaml_stream(&stack, &mut stdout),
                Format::Json => {
                    stdout.write_all(emit::to_json(&floe::lower::lower(&stack)).as_bytes())
                }
            };
            let _ = written.and_then(|()| stdout.flush());
            // The process ends here: freeing a large stack's trees one by one would
            // only delay the exit.
            std::mem::forget((program, stack));
            ExitCode::SUCCESS
        }
        Some(dir) => {
            let files = emit::to_files(&floe::lower::lower(&stack), format);
            if target.check {
                check_dir(dir, &files, format)
            } else {
                write_dir(dir, &files, format)
            }
        }
    }
}

/// Writes the files and removes stale manifests of the same format from `dir`.
fn write_dir(
    dir: &Path,
    files: &std::collections::BTreeMap<String, String>,
    format: Format,
) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("error: cannot create {}: {e}", dir.display());
        return ExitCode::from(1);
    }
    for stale in existing_manifests(dir, format) {
        if !files.contains_key(&stale)
            && let Err(e) = std::fs::remove_file(dir.join(&stale))
        {
            eprintln!("error: cannot remove {}: {e}", dir.join(&stale).display());
            return ExitCode::from(1);
        }
    }
    for (name, text) in files {
        let path = dir.join(name);
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == *text);
        if !unchanged && let Err(e) = std::fs::write(&path, text) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    eprintln!("wrote {} objects to {}", files.len(), dir.display());
    ExitCode::SUCCESS
}

fn check_dir(
    dir: &Path,
    files: &std::collections::BTreeMap<String, String>,
    format: Format,
) -> ExitCode {
    let mut differences = Vec::new();
    for (name, text) in files {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(old) if old == *text => {}
            Ok(_) => differences.push(format!("changed: {name}")),
            Err(_) => differences.push(format!("missing: {name}")),
        }
    }
    for stale in existing_manifests(dir, format) {
        if !files.contains_key(&stale) {
            differences.push(format!("stale:   {stale}"));
        }
    }
    if differences.is_empty() {
        eprintln!("{} is up to date ({} objects)", dir.display(), files.len());
        return ExitCode::SUCCESS;
    }
    eprintln!("{} is out of date:", dir.display());
    for d in &differences {
        eprintln!("  {d}");
    }
    eprintln!("run the same command without --check to update it");
    ExitCode::from(1)
}

/// Files in `dir` that look like manifests floe writes (`RANK-KIND-NAME.EXT`).
fn existing_manifests(dir: &Path, format: Format) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let suffix = format!(".{}", format.extension());
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            n.ends_with(&suffix)
                && n.starts_with(|c: char| c.is_ascii_digit())
                && n.get(1..2) == Some("-")
        })
        .collect();
    names.sort();
    names
}

fn plan(path: &Path, profile: Option<&str>, format: PlanFormat, reporter: &Reporter) -> ExitCode {
    let Some(Compiled { stack, .. }) = compiled(path, profile, reporter) else {
        return ExitCode::from(1);
    };
    let plan = floe::plan::plan(&stack);
    let text = match format {
        PlanFormat::Text => plan.to_text(),
        PlanFormat::Json => plan.to_json(),
        PlanFormat::Dot => plan.to_dot(),
        PlanFormat::Mermaid => plan.to_mermaid(),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    ExitCode::SUCCESS
}

/// Formats files, or with `check` lists those that are not formatted; exits 1 when
/// one is not (with `check`) or cannot be formatted.
fn fmt(paths: &[PathBuf], check: bool, reporter: &Reporter) -> ExitCode {
    use floe::fmt::files::{Mode, Outcome, format_paths};
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
                reporter.report(&diagnostics, &sources, MessageFormat::Human, &[]);
                failed = true;
            }
            Outcome::Failed(message) => {
                eprintln!("error: {message}");
                failed = true;
            }
        }
    }
    ExitCode::from(u8::from(failed))
}

/// Checks with check queries verified by DuckDB.
fn check_verified(program: &Program, profile: Option<&str>) -> floe::check::Checked {
    let sql = DuckDbValidator::new();
    floe::check::check_with(program, &RealFs, profile, Some(&sql))
}

/// A stack that checked without errors, not yet lowered: only `floe run` on a
/// cluster needs its objects.
struct Compiled {
    program: Program,
    /// Where secret values are in the source, hidden when an error quotes it.
    secret_spans: Vec<Span>,
    stack: floe::model::Stack,
}

/// Loads and checks FILE with check queries verified by DuckDB, and reports the
/// diagnostics; `None` when there are errors.
fn compiled(path: &Path, profile: Option<&str>, reporter: &Reporter) -> Option<Compiled> {
    let program = load(path, reporter, MessageFormat::Human)?;
    let checked = check_verified(&program, profile);
    reporter.report(
        &checked.diagnostics,
        &program.sources,
        MessageFormat::Human,
        &checked.secret_spans,
    );
    Some(Compiled {
        stack: checked.stack?,
        secret_spans: checked.secret_spans,
        program,
    })
}

/// `.floe/warehouse` next to the stack's file.
fn default_warehouse(file: &Path) -> PathBuf {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty());
    dir.unwrap_or(Path::new(".")).join(".floe/warehouse")
}

fn run_local(
    path: &Path,
    warehouse: &Path,
    profile: Option<&str>,
    output: RunOutput,
    reporter: &Reporter,
) -> ExitCode {
    let Some(Compiled { stack, .. }) = compiled(path, profile, reporter) else {
        return ExitCode::from(1);
    };
    let plan = floe::plan::DataPlan::new(&stack);
    if plan.tables.is_empty() && plan.checks.is_empty() && output == RunOutput::Text {
        eprintln!(
            "note: {} declares no tables and no checks: nothing to seed or check",
            path.display()
        );
    }
    let mut progress = progress_for(output);
    let results = data_run::run_local(&plan, warehouse, progress.as_mut());
    finish(results, output)
}

fn progress_for(output: RunOutput) -> Box<dyn Progress> {
    match output {
        RunOutput::Text => Box::new(TextProgress::new(std::io::stderr().is_terminal())),
        RunOutput::Json => Box::new(JsonProgress),
    }
}

/// Prints the results and maps them to an exit code: 1 when a check failed or the
/// run could not finish.
fn finish(
    results: Result<Vec<floe::data::verify::CheckResult>, DataError>,
    output: RunOutput,
) -> ExitCode {
    let results = match results {
        Ok(results) => results,
        Err(e) => {
            match output {
                RunOutput::Text => data_error(&e),
                RunOutput::Json => {
                    let line = serde_json::json!({
                        "event": "error",
                        "message": e.to_string(),
                        "help": e.help(),
                    });
                    let _ = writeln!(std::io::stdout().lock(), "{line}");
                }
            }
            return ExitCode::from(1);
        }
    };
    let text = match output {
        RunOutput::Text => report::results_table(&results),
        RunOutput::Json => format!("{}\n", report::summary_json(&results)),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if results.iter().all(|r| r.passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Where a cluster command's errors are drawn from: the source they quote, with its
/// secret values hidden.
struct Shown<'a> {
    reporter: &'a Reporter,
    sources: &'a SourceMap,
    mask: &'a [Span],
}

impl Shown<'_> {
    /// A run error, drawn as the compile errors are.
    fn error(&self, error: &floe::cluster::RunError) {
        let options = self.reporter.options();
        eprint!("{}", error.render(self.sources, options, self.mask));
    }
}

/// What to do on the cluster.
enum ClusterCommand {
    Run {
        options: floe::cluster::run::Options,
        output: RunOutput,
    },
    /// `full`: every changed line (`floe diff`); else one line per object
    /// (`floe run --dry-run`).
    Diff {
        full: bool,
    },
    Down {
        volumes: bool,
    },
}

fn on_cluster(
    path: &Path,
    profile: Option<&str>,
    args: &ClusterArgs,
    reporter: &Reporter,
    command: ClusterCommand,
) -> ExitCode {
    let Some(Compiled {
        program,
        stack,
        secret_spans,
    }) = compiled(path, profile, reporter)
    else {
        return ExitCode::from(1);
    };
    let stack = &stack;
    let objects = floe::lower::lower(stack);
    let shown = Shown {
        reporter,
        sources: &program.sources,
        mask: &secret_spans,
    };
    if !matches!(command, ClusterCommand::Down { .. }) {
        let missing = floe::cluster::secrets::missing_env(stack, &ProcessEnv);
        if !missing.is_empty() {
            shown.error(&floe::cluster::RunError::MissingEnv(missing));
            return ExitCode::from(1);
        }
    }
    let plan = floe::plan::plan(stack);
    let input = Input {
        stack,
        objects: &objects,
        plan: &plan,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async {
        let how = Connect {
            kubeconfig: args.kubeconfig.as_deref(),
            context: args.context.as_deref(),
        };
        let cluster = match KubeCluster::connect(&how).await {
            Ok(cluster) => cluster,
            Err(message) => {
                eprintln!("error: {message}");
                eprintln!("help: `kubectl config get-contexts` lists the contexts; pick one with --context");
                return ExitCode::from(1);
            }
        };
        match command {
            ClusterCommand::Run { options, output } => {
                run_cluster(&cluster, input, &options, output, &shown).await
            }
            ClusterCommand::Diff { full } => diff(&cluster, input, full, &shown).await,
            ClusterCommand::Down { volumes } => {
                down(&cluster, &stack.name, &stack.namespace, volumes, &shown).await
            }
        }
    })
}

async fn run_cluster(
    cluster: &KubeCluster,
    input: Input<'_>,
    options: &floe::cluster::run::Options,
    output: RunOutput,
    shown: &Shown<'_>,
) -> ExitCode {
    use floe::cluster::report as cluster_report;
    let progress: Box<dyn floe::cluster::run::Progress> = match output {
        RunOutput::Text => Box::new(cluster_report::TextProgress::new(
            std::io::stderr().is_terminal(),
        )),
        RunOutput::Json => Box::new(cluster_report::JsonProgress),
    };
    let outcome =
        floe::cluster::run::run(cluster, input, &ProcessEnv, options, progress.as_ref()).await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            match output {
                RunOutput::Text => shown.error(&e),
                RunOutput::Json => println!("{}", e.to_json(shown.sources)),
            }
            return ExitCode::from(1);
        }
    };
    match output {
        RunOutput::Text => eprint!("{}", cluster_report::summary(&outcome)),
        RunOutput::Json => {
            for result in outcome.results.iter().flatten() {
                let mut line = serde_json::json!({"event": "check"});
                if let (Some(line), Ok(serde_json::Value::Object(more))) =
                    (line.as_object_mut(), serde_json::to_value(result))
                {
                    line.extend(more);
                }
                println!("{line}");
            }
        }
    }
    match outcome.results {
        Some(results) => finish(Ok(results), output),
        None => ExitCode::SUCCESS,
    }
}

async fn diff(cluster: &KubeCluster, input: Input<'_>, full: bool, shown: &Shown<'_>) -> ExitCode {
    let changes = match floe::cluster::preview::diff(cluster, input, &ProcessEnv, false).await {
        Ok(changes) => changes,
        Err(e) => {
            shown.error(&e);
            return ExitCode::from(1);
        }
    };
    let mut out = String::new();
    let mut changed = 0;
    for c in &changes {
        let word = match &c.change {
            Change::Create => "create",
            Change::Update(_) => "update",
            Change::Unchanged => "unchanged",
            Change::Delete => "delete",
            Change::Conflict(_) => "conflict",
            Change::Refused(_) => "refused",
        };
        if !matches!(c.change, Change::Unchanged) {
            changed += 1;
        }
        if full && matches!(c.change, Change::Unchanged) {
            continue;
        }
        out.push_str(&format!("{word:<9} {}\n", c.object));
        match (&c.change, full) {
            (Change::Update(text), true) => out.push_str(text),
            (Change::Conflict(fields), _) => {
                for (manager, field) in fields {
                    out.push_str(&format!("          {field} is owned by \"{manager}\"\n"));
                }
            }
            (Change::Refused(why), _) => out.push_str(&format!("          {why}\n")),
            _ => {}
        }
    }
    out.push_str(&format!(
        "{changed} of {} objects would change\n",
        changes.len()
    ));
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    ExitCode::SUCCESS
}

async fn down(
    cluster: &KubeCluster,
    stack: &str,
    namespace: &str,
    volumes: bool,
    shown: &Shown<'_>,
) -> ExitCode {
    match floe::cluster::down::down(cluster, stack, namespace, volumes).await {
        Ok(outcome) if !outcome.found => {
            eprintln!(
                "nothing to delete: no floe inventory for stack `{stack}` in namespace `{namespace}`"
            );
            ExitCode::SUCCESS
        }
        Ok(outcome) => {
            for object in &outcome.deleted {
                eprintln!("deleted {object}");
            }
            if !outcome.kept_claims.is_empty() {
                eprintln!(
                    "kept {} volume claims and the {} Secrets their data was written with; `floe run` uses them again, `floe down --volumes` deletes them and the data",
                    outcome.kept_claims.len(),
                    outcome.kept_secrets.len().saturating_sub(1)
                );
            }
            if let Some(why) = &outcome.namespace_kept {
                eprintln!("kept namespace `{namespace}`: {why}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            shown.error(&e);
            ExitCode::from(1)
        }
    }
}

fn job_seed(table: &str, plan: &Path) -> ExitCode {
    let mut progress = TextProgress::new(false);
    let outcome = data_run::read_plan(plan)
        .and_then(|plan| data_run::job_seed(&plan, table, &ProcessEnv, &mut progress));
    match outcome {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            data_error(&e);
            ExitCode::from(1)
        }
    }
}

/// A data error on stderr, with its help when it has one.
fn data_error(e: &DataError) {
    eprintln!("error: {e}");
    if let Some(help) = e.help() {
        eprintln!("help: {help}");
    }
}

fn job_verify(plan: &Path) -> ExitCode {
    let mut progress = TextProgress::new(false);
    let plan = match data_run::read_plan(plan) {
        Ok(plan) => plan,
        Err(e) => {
            data_error(&e);
            return ExitCode::from(1);
        }
    };
    let results = data_run::job_verify(&plan, &ProcessEnv, &mut progress);
    if let Ok(results) = &results {
        let line = report::results_line(&plan.stack, results);
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
    finish(results, RunOutput::Text)
}

fn explain(code: &str) -> ExitCode {
    match Code::parse(code) {
        Some(code) => {
            print!("{}", code.explanation());
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("error: `{code}` is not a floe error code");
            eprintln!("codes look like `E0201` or `W0001`; they are printed with every diagnostic");
            ExitCode::from(2)
        }
    }
}

fn lsp() -> ExitCode {
    match floe::lsp::run_stdio() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the language server stopped: {e}");
            ExitCode::from(1)
        }
    }
}
