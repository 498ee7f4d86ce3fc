//! The commands on a cluster: `floe run` (and `--dry-run`), `floe diff` and
//! `floe down`. Each connects with the kubeconfig, on one async runtime.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use floe::cluster::RunError;
use floe::cluster::kube::{Connect, KubeCluster};
use floe::cluster::preview::Change;
use floe::cluster::report as cluster_report;
use floe::cluster::run::{Input, Options};
use floe::data::ProcessEnv;
use floe::source::{SourceMap, Span};

use super::{Compiled, Error, MessageFormat, Reporter, Result, RunOutput, compiled, print_results};

/// Which cluster to talk to.
#[derive(clap::Args)]
pub struct ClusterArgs {
    /// The kubeconfig context [default: the current context].
    #[arg(long)]
    context: Option<String>,
    /// The kubeconfig file [default: $KUBECONFIG, else ~/.kube/config].
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
}

/// What to do on the cluster.
pub enum Command {
    Run {
        options: Options,
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

/// Where a command's run errors are drawn from: the source they quote, with its
/// secret values hidden.
struct Shown<'a> {
    reporter: &'a Reporter,
    sources: &'a SourceMap,
    mask: &'a [Span],
}

impl Shown<'_> {
    /// A run error, drawn as the compile errors are.
    fn error(&self, error: &RunError) -> Error {
        Error::Drawn(error.render(self.sources, self.reporter.options(), self.mask))
    }
}

pub fn run(
    path: &Path,
    profile: Option<&str>,
    args: &ClusterArgs,
    reporter: &Reporter,
    command: Command,
) -> Result {
    let Compiled {
        program,
        stack,
        secret_spans,
    } = compiled(path, profile, reporter, MessageFormat::Human)?;
    let stack = &stack;
    let objects = floe::lower::lower(stack);
    let shown = Shown {
        reporter,
        sources: &program.sources,
        mask: &secret_spans,
    };
    if !matches!(command, Command::Down { .. }) {
        let missing = floe::cluster::secrets::missing_env(stack, &ProcessEnv);
        if !missing.is_empty() {
            return Err(shown.error(&RunError::MissingEnv(missing)));
        }
    }
    let plan = floe::plan::plan(stack);
    let input = Input {
        stack,
        objects: &objects,
        plan: &plan,
    };
    let runtime = floe::par::runtime()
        .map_err(|e| Error::new(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let how = Connect {
            kubeconfig: args.kubeconfig.as_deref(),
            context: args.context.as_deref(),
        };
        let cluster = KubeCluster::connect(&how).await.map_err(|message| {
            Error::new(message)
                .help("`kubectl config get-contexts` lists the contexts; pick one with --context")
        })?;
        match command {
            Command::Run { options, output } => {
                apply(&cluster, input, &options, output, &shown).await
            }
            Command::Diff { full } => diff(&cluster, input, full, &shown).await,
            Command::Down { volumes } => {
                down(&cluster, &stack.name, &stack.namespace, volumes, &shown).await
            }
        }
    })
}

/// `floe run`: applies the stack, waits for it, seeds and checks it.
async fn apply(
    cluster: &KubeCluster,
    input: Input<'_>,
    options: &Options,
    output: RunOutput,
    shown: &Shown<'_>,
) -> Result {
    let progress: Box<dyn floe::cluster::run::Progress> = match output {
        RunOutput::Text => Box::new(cluster_report::TextProgress::new(
            std::io::stderr().is_terminal(),
        )),
        RunOutput::Json => Box::new(cluster_report::JsonProgress),
    };
    let outcome = floe::cluster::run::run(cluster, input, &ProcessEnv, options, progress.as_ref())
        .await
        .map_err(|e| match output {
            RunOutput::Text => shown.error(&e),
            RunOutput::Json => Error::Json(e.to_json(shown.sources)),
        })?;
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
        Some(results) => print_results(&results, output),
        None => Ok(()),
    }
}

/// `floe diff` and `floe run --dry-run`: what a run would change.
async fn diff(cluster: &KubeCluster, input: Input<'_>, full: bool, shown: &Shown<'_>) -> Result {
    let changes = floe::cluster::preview::diff(cluster, input, &ProcessEnv, false)
        .await
        .map_err(|e| shown.error(&e))?;
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
    Ok(())
}

/// `floe down`: deletes what runs applied.
async fn down(
    cluster: &KubeCluster,
    stack: &str,
    namespace: &str,
    volumes: bool,
    shown: &Shown<'_>,
) -> Result {
    let outcome = floe::cluster::down::down(cluster, stack, namespace, volumes)
        .await
        .map_err(|e| shown.error(&e))?;
    if !outcome.found {
        eprintln!(
            "nothing to delete: no floe inventory for stack `{stack}` in namespace `{namespace}`"
        );
        return Ok(());
    }
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
    Ok(())
}
