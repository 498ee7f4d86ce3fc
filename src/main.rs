//! The `floe` command line: its arguments, and which command of [`cli`] each one
//! runs. A command's error is printed here, and mapped to the exit code (0 success,
//! 1 failure, 2 misuse).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use cli::cluster::ClusterArgs;
use cli::compile::Target;
use cli::plan::PlanFormat;
use cli::{MessageFormat, Reporter, RunOutput};
use floe::emit::Format;

mod allocator;
mod cli;

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
        /// Write one file per object, and a kustomization.yaml listing them, into this
        /// directory instead of printing.
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

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Yaml,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let reporter = Reporter { color };
    match dispatch(cli.command, &reporter) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            reporter.error(&error);
            error.status()
        }
    }
}

fn dispatch(command: Command, reporter: &Reporter) -> cli::Result {
    match command {
        Command::Check {
            file,
            profile,
            message_format,
        } => cli::check::run(&file, profile.as_deref(), message_format, reporter),
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
            cli::compile::run(
                &file,
                profile.as_deref(),
                format,
                &target,
                message_format,
                reporter,
            )
        }
        Command::Plan {
            file,
            profile,
            format,
        } => cli::plan::run(&file, profile.as_deref(), format, reporter),
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
                let warehouse = warehouse.unwrap_or_else(|| cli::local::default_warehouse(&file));
                return cli::local::run(&file, &warehouse, profile.as_deref(), output, reporter);
            }
            let options = floe::cluster::run::Options {
                force_conflicts,
                item_timeout: Duration::from_secs(item_timeout),
                timeout: Duration::from_secs(timeout),
                ..floe::cluster::run::Options::default()
            };
            let command = match dry_run {
                true => cli::cluster::Command::Diff { full: false },
                false => cli::cluster::Command::Run { options, output },
            };
            cli::cluster::run(&file, profile.as_deref(), &cluster, reporter, command)
        }
        Command::Diff {
            file,
            profile,
            cluster,
        } => cli::cluster::run(
            &file,
            profile.as_deref(),
            &cluster,
            reporter,
            cli::cluster::Command::Diff { full: true },
        ),
        Command::Down {
            file,
            profile,
            cluster,
            volumes,
        } => cli::cluster::run(
            &file,
            profile.as_deref(),
            &cluster,
            reporter,
            cli::cluster::Command::Down { volumes },
        ),
        Command::Job { job } => match job {
            JobCommand::Seed { table, plan } => cli::job::seed(&table, &plan),
            JobCommand::Verify { plan } => cli::job::verify(&plan),
        },
        Command::Explain { code } => cli::explain::run(&code),
        Command::Fmt { check, files } => cli::fmt::run(&files, check, reporter),
        Command::Lsp => cli::lsp::run(),
    }
}
