//! How a cluster run is reported: errors against the `.floe` item and its line with
//! their evidence, progress per wave and item (a live view on a terminal, plain
//! lines otherwise, or one JSON object per line), and the closing summary.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::json;

use super::run::{Event, Outcome, Progress};
use super::secrets::{MissingEnv, Redactor};
use super::{ApiError, Kind, ObjectRef};
use crate::plan::StepKind;
use crate::source::{SourceMap, Span};

/// A plan step as run: the `.floe` item and the object that carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRef {
    /// The item's path in the source (`metastore`, `catalog.init`).
    pub path: String,
    pub step: StepKind,
    /// The plan's name of the step (a Job's name without its content hash).
    pub step_name: String,
    pub kind: Kind,
    /// The object's name in the cluster.
    pub name: String,
    pub span: Option<Span>,
}

/// What the cluster said about an item in trouble. Every text is redacted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    pub conditions: Vec<String>,
    /// The most recent events of the object and its pod.
    pub events: Vec<String>,
    /// The last log lines: which pod and container, and the lines.
    pub log: Option<(String, Vec<String>)>,
}

/// Why a run stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// `env()` secrets whose variables are not set; nothing was applied.
    MissingEnv(Vec<MissingEnv>),
    Random(String),
    /// Another field manager owns fields floe sets.
    Conflict {
        object: ObjectRef,
        conflicts: Vec<(String, String)>,
    },
    Api {
        object: ObjectRef,
        action: String,
        error: ApiError,
    },
    /// An item that will not become ready by waiting.
    NotReady {
        item: ItemRef,
        reason: String,
        evidence: Evidence,
    },
    ItemTimeout {
        item: ItemRef,
        after: Duration,
        waiting: String,
        evidence: Evidence,
    },
    /// The whole run took too long; what each unfinished item waited for.
    Timeout {
        after: Duration,
        waiting: Vec<(String, String)>,
    },
    /// The verify Job ended without check results in its log.
    NoResults {
        item: ItemRef,
        reason: Option<String>,
        evidence: Evidence,
    },
    /// A request about the server itself, not an object, failed.
    Server {
        action: String,
        error: ApiError,
    },
    /// The cluster runs a Kubernetes older than floe supports.
    Unsupported {
        major: u32,
        minor: u32,
    },
    /// The item's object was deleted while floe waited for it.
    Deleted {
        item: ItemRef,
    },
    /// A deleted object (a namespace) was still there after `after`.
    StillTerminating {
        object: ObjectRef,
        after: Duration,
    },
    /// An object of the stack exists and belongs to another ApplySet: another
    /// stack, or another tool, manages it (KEP-3659: a tool must not take it over).
    Foreign {
        object: ObjectRef,
        /// The other ApplySet's id, from its `applyset.kubernetes.io/part-of`.
        owner: String,
    },
}

impl RunError {
    pub(crate) fn api(
        object: &ObjectRef,
        action: &str,
        mut error: ApiError,
        redactor: &Redactor,
    ) -> RunError {
        error.message = redactor.redact(&error.message);
        if error.code == 409 && !error.causes.is_empty() {
            return RunError::Conflict {
                object: object.clone(),
                conflicts: error.conflicts(),
            };
        }
        RunError::Api {
            object: object.clone(),
            action: action.to_string(),
            error,
        }
    }

    /// One line saying what went wrong.
    pub fn headline(&self) -> String {
        match self {
            RunError::MissingEnv(missing) => {
                let vars: Vec<String> = missing.iter().map(|m| format!("`{}`", m.var)).collect();
                format!("environment variables not set: {}", vars.join(", "))
            }
            RunError::Random(m) => format!("cannot generate secret values: {m}"),
            RunError::Conflict { object, .. } => {
                format!("cannot apply {object}: fields are owned by another manager")
            }
            RunError::Api {
                object,
                action,
                error,
            } => format!("cannot {action} {object}: {error}"),
            RunError::NotReady { item, reason, .. } => {
                format!("{} `{}` failed: {reason}", item.step.as_str(), item.path)
            }
            RunError::ItemTimeout {
                item,
                after,
                waiting,
                ..
            } => format!(
                "{} `{}` was not ready after {}s: {waiting}",
                item.step.as_str(),
                item.path,
                after.as_secs()
            ),
            RunError::Timeout { after, .. } => {
                format!("the run did not finish within {}s", after.as_secs())
            }
            RunError::NoResults { item, reason, .. } => {
                let why = reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                format!("the checks did not report results ({}){why}", item.name)
            }
            RunError::Server { action, error } => format!("cannot {action}: {error}"),
            RunError::Unsupported { major, minor } => format!(
                "the cluster runs Kubernetes {major}.{minor}; floe needs 1.{} or newer",
                super::OLDEST_MINOR
            ),
            RunError::Deleted { item } => format!(
                "{} `{}`: its {} {} was deleted while floe waited for it",
                item.step.as_str(),
                item.path,
                item.kind.name().to_lowercase(),
                item.name
            ),
            RunError::StillTerminating { object, after } => format!(
                "{object} was still being deleted after {}s",
                after.as_secs()
            ),
            RunError::Foreign { object, .. } => {
                format!("{object} exists and belongs to another stack or tool")
            }
        }
    }

    /// The report: the headline, where the item is declared, the evidence and what
    /// to do.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = format!("error: {}\n", self.headline());
        match self {
            RunError::MissingEnv(missing) => {
                for m in missing {
                    let _ = writeln!(
                        out,
                        "  --> {} `{}` reads `{}`",
                        location(sources, Some(m.span)),
                        m.key,
                        m.var
                    );
                }
                out.push_str("  help: set the variables in the environment of `floe run`; nothing was applied\n");
            }
            RunError::Conflict { conflicts, .. } => {
                for (manager, field) in conflicts {
                    let _ = writeln!(out, "  {field} is owned by \"{manager}\"");
                }
                out.push_str("  help: remove the other manager's change, or take the fields with `--force-conflicts`\n");
            }
            RunError::NotReady { item, evidence, .. }
            | RunError::ItemTimeout { item, evidence, .. }
            | RunError::NoResults { item, evidence, .. } => {
                item_line(&mut out, sources, item);
                render_evidence(&mut out, evidence);
                if !matches!(self, RunError::NoResults { .. }) && item.kind == Kind::Job {
                    let _ = writeln!(
                        out,
                        "  help: the failed Job is kept: `kubectl describe job {}`",
                        item.name
                    );
                }
            }
            RunError::Timeout { waiting, .. } => {
                for (item, what) in waiting {
                    let _ = writeln!(out, "  `{item}`: {what}");
                }
            }
            RunError::Api { error, .. } => {
                if error.code == 403 && error.message.contains("being terminated") {
                    out.push_str("  help: the namespace is being deleted; run again when `kubectl get namespace` no longer lists it\n");
                } else if error.code == 401 || error.code == 403 {
                    out.push_str("  help: check the kubeconfig context and its permissions\n");
                } else if error.is_client() {
                    out.push_str("  help: the request could not be made: check the kubeconfig's server, certificates and credentials\n");
                }
            }
            RunError::Deleted { item } => {
                item_line(&mut out, sources, item);
                if item.kind == Kind::Job {
                    out.push_str("  help: a Job is deleted by its `keep` (ttlSecondsAfterFinished) or by hand; floe cannot tell how it ended. With a `keep` of a few seconds, raise it; then run again\n");
                } else {
                    out.push_str("  help: something else deletes it; run again to apply it anew\n");
                }
            }
            RunError::Server { error, .. } => {
                if error.code == 0 {
                    out.push_str("  help: check the kubeconfig's server, certificates and credentials: `kubectl version` asks the same server\n");
                }
            }
            RunError::Unsupported { .. } => {
                out.push_str("  help: floe finds a Job's pods by the `batch.kubernetes.io/job-name` label, which Kubernetes sets from 1.27; floe is built against the API of 1.33. Nothing was applied\n");
            }
            RunError::StillTerminating { object, .. } => {
                let _ = writeln!(
                    out,
                    "  help: `kubectl get {} {} -o yaml` shows the finalizers and conditions that hold it",
                    object.kind.name().to_lowercase(),
                    object.name
                );
            }
            RunError::Foreign { owner, .. } => {
                let _ = writeln!(
                    out,
                    "  it is labelled applyset.kubernetes.io/part-of={owner}"
                );
                out.push_str("  help: rename the item, or run the stack in another namespace; floe does not take over another ApplySet's objects\n");
            }
            RunError::Random(_) => {}
        }
        out
    }
}

/// `  --> file:line:col (kind name)`: where the item is declared and its object.
fn item_line(out: &mut String, sources: &SourceMap, item: &ItemRef) {
    let _ = writeln!(
        out,
        "  --> {} ({} {})",
        location(sources, item.span),
        item.kind.name().to_lowercase(),
        item.name
    );
}

/// `file:line:col`, or the item's absence of a place.
fn location(sources: &SourceMap, span: Option<Span>) -> String {
    span.and_then(|s| {
        let file = sources.get(s.file)?;
        let (line, col) = file.line_col(s.start);
        Some(format!("{}:{}:{}", file.name, line + 1, col + 1))
    })
    .unwrap_or_else(|| "(no source)".to_string())
}

fn render_evidence(out: &mut String, evidence: &Evidence) {
    if !evidence.conditions.is_empty() {
        out.push_str("  conditions:\n");
        for c in &evidence.conditions {
            let _ = writeln!(out, "    {c}");
        }
    }
    if !evidence.events.is_empty() {
        out.push_str("  recent events:\n");
        for e in &evidence.events {
            let _ = writeln!(out, "    {e}");
        }
    }
    if let Some((source, lines)) = &evidence.log {
        let _ = writeln!(out, "  last log lines ({source}):");
        for l in lines {
            let _ = writeln!(out, "    | {l}");
        }
    }
}

/// Progress as lines on stderr, or a live view when `terminal`.
pub struct TextProgress {
    terminal: bool,
    bars: MultiProgress,
    items: Mutex<Vec<(String, ProgressBar)>>,
}

impl TextProgress {
    pub fn new(terminal: bool) -> TextProgress {
        TextProgress {
            terminal,
            bars: MultiProgress::new(),
            items: Mutex::new(Vec::new()),
        }
    }

    fn bar(&self, path: &str) -> Option<ProgressBar> {
        let items = self.items.lock().ok()?;
        items
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, b)| b.clone())
    }

    fn line(&self, text: String) {
        if self.terminal {
            let _ = self.bars.println(text);
        } else {
            eprintln!("{text}");
        }
    }
}

impl Progress for TextProgress {
    fn event(&self, event: &Event<'_>) {
        match event {
            Event::Applied { objects } => self.line(format!("applied {objects} objects")),
            Event::Wave { index, items } => {
                self.line(format!("wave {}: {}", index + 1, items.join(", ")))
            }
            Event::Started { item } => {
                if !self.terminal {
                    return;
                }
                let bar = self.bars.add(ProgressBar::new_spinner());
                if let Ok(style) =
                    ProgressStyle::with_template("  {spinner} {prefix} {msg} {elapsed}")
                {
                    bar.set_style(style);
                }
                bar.set_prefix(item.path.clone());
                bar.enable_steady_tick(Duration::from_millis(100));
                if let Ok(mut items) = self.items.lock() {
                    items.push((item.path.clone(), bar));
                }
            }
            Event::Waiting { item, message } => match self.bar(&item.path) {
                Some(bar) => bar.set_message(message.to_string()),
                None => self.line(format!("  {}: {message}", item.path)),
            },
            Event::Ready {
                item,
                seconds,
                note,
            } => {
                let text = match note {
                    Some(n) => format!("  ready {} ({n})", item.path),
                    None => format!("  ready {} in {seconds:.1}s", item.path),
                };
                match self.bar(&item.path) {
                    Some(bar) => bar.finish_with_message(text),
                    None => self.line(text),
                }
            }
            Event::Failed { item, reason } => {
                let text = format!("  FAILED {}: {reason}", item.path);
                match self.bar(&item.path) {
                    Some(bar) => bar.abandon_with_message(text),
                    None => self.line(text),
                }
            }
            Event::Log { item, line } => self.line(format!("  {} | {line}", item.path)),
            Event::Pruned { object } => self.line(format!("pruned {object}")),
        }
    }
}

/// Progress as one JSON object per line on stdout.
pub struct JsonProgress;

impl Progress for JsonProgress {
    fn event(&self, event: &Event<'_>) {
        let item = |i: &ItemRef| json!({"item": i.path, "step": i.step.as_str(), "object": format!("{}/{}", i.kind.name().to_lowercase(), i.name)});
        let value = match event {
            Event::Applied { objects } => json!({"event": "applied", "objects": objects}),
            Event::Wave { index, items } => {
                json!({"event": "wave", "wave": index + 1, "items": items})
            }
            Event::Started { item: i } => with(item(i), json!({"event": "started"})),
            Event::Waiting { item: i, message } => {
                with(item(i), json!({"event": "waiting", "message": message}))
            }
            Event::Ready {
                item: i,
                seconds,
                note,
            } => with(
                item(i),
                json!({"event": "ready", "seconds": seconds, "note": note}),
            ),
            Event::Failed { item: i, reason } => {
                with(item(i), json!({"event": "failed", "reason": reason}))
            }
            Event::Log { item: i, line } => with(item(i), json!({"event": "log", "line": line})),
            Event::Pruned { object } => json!({"event": "pruned", "object": object.to_string()}),
        };
        let _ = writeln!(std::io::stdout().lock(), "{value}");
    }
}

/// `{"event": ..}` first, then the item's fields.
fn with(item: serde_json::Value, event: serde_json::Value) -> serde_json::Value {
    let mut out = event;
    if let (Some(out), serde_json::Value::Object(more)) = (out.as_object_mut(), item) {
        out.extend(more);
    }
    out
}

/// The closing lines of a run: items by time taken, what was pruned.
pub fn summary(outcome: &Outcome) -> String {
    let mut out = format!(
        "{} items ready in {:.1}s",
        outcome.items.len(),
        outcome.seconds
    );
    if !outcome.pruned.is_empty() {
        let _ = write!(out, ", {} objects pruned", outcome.pruned.len());
    }
    out.push('\n');
    out
}

/// The error of a run as a JSON line.
pub fn error_json(error: &RunError, sources: &SourceMap) -> String {
    json!({"event": "error", "message": error.headline(), "report": error.render(sources)})
        .to_string()
}
