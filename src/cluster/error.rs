//! Why a cluster run stopped, reported as every other diagnostic is: a stable code
//! (`R0xxx`, explained by `floe explain`), the `.floe` item it concerns with its
//! source line, a help line; then what the cluster said about it (conditions,
//! events, the last log lines), which no source span can hold.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

use super::secrets::{MissingEnv, Redactor};
use super::{ApiError, Kind, ObjectRef};
use crate::diagnostic::render::{RenderOptions, render_masked};
use crate::diagnostic::{Code, Diagnostic, json as diagnostic_json};
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
    /// Where the item is declared.
    pub span: Span,
}

impl ItemRef {
    /// `job catalog-init-1a2b3c4d`: the object that carries the item.
    fn object(&self) -> String {
        format!("{} {}", self.kind.name().to_lowercase(), self.name)
    }
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
    /// A seed or verify Job's pod cannot get floe's runner image.
    RunnerImage {
        item: ItemRef,
        image: String,
        reason: String,
        evidence: Evidence,
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

    pub fn code(&self) -> Code {
        match self {
            RunError::MissingEnv(_) => Code::R0001,
            RunError::Random(_) => Code::R0002,
            RunError::Conflict { .. } => Code::R0003,
            RunError::Foreign { .. } => Code::R0004,
            RunError::Api { .. } => Code::R0101,
            RunError::Server { .. } => Code::R0102,
            RunError::Unsupported { .. } => Code::R0103,
            RunError::NotReady { .. } => Code::R0201,
            RunError::ItemTimeout { .. } => Code::R0202,
            RunError::Timeout { .. } => Code::R0203,
            RunError::NoResults { .. } => Code::R0204,
            RunError::Deleted { .. } => Code::R0205,
            RunError::StillTerminating { .. } => Code::R0206,
            RunError::RunnerImage { .. } => Code::R0207,
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
            RunError::RunnerImage {
                item,
                image,
                reason,
                ..
            } => format!(
                "{} `{}` cannot start: the cluster cannot get the runner image `{image}`: {reason}",
                item.step.as_str(),
                item.path
            ),
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

    /// The error as a diagnostic: code, headline, the item in the source and the
    /// help. What the cluster said is in [`RunError::details`].
    pub fn diagnostic(&self) -> Diagnostic {
        let mut d = Diagnostic::new(self.code(), self.headline());
        match self {
            RunError::MissingEnv(missing) => {
                for (i, m) in missing.iter().enumerate() {
                    let label = format!("`{}` reads `{}`", m.key, m.var);
                    d = if i == 0 {
                        d.at(m.span, label)
                    } else {
                        d.with_label(m.span, label)
                    };
                }
            }
            _ => {
                if let Some(item) = self.item() {
                    d = d.at(item.span, item.object());
                }
            }
        }
        match self.help() {
            Some(help) => d.with_help(help),
            None => d,
        }
    }

    fn help(&self) -> Option<String> {
        Some(match self {
            RunError::MissingEnv(_) => {
                "set the variables in the environment of `floe run`; nothing was applied".into()
            }
            RunError::Random(_) => {
                "the operating system's random source failed; nothing was applied. Run floe where it works".into()
            }
            RunError::Conflict { .. } => {
                "remove the other manager's change, or take the fields with `--force-conflicts`"
                    .into()
            }
            RunError::NotReady { item, .. } | RunError::ItemTimeout { item, .. }
                if item.kind == Kind::Job =>
            {
                format!(
                    "the failed Job is kept: `kubectl describe job {}`",
                    item.name
                )
            }
            RunError::RunnerImage { .. } => {
                "seed and verify Jobs run floe's runner image (the stack's `runner` field): put it where the cluster finds it, as below, then run again".into()
            }
            RunError::Api { error, .. } => {
                if error.code == 403 && error.message.contains("being terminated") {
                    "the namespace is being deleted; run again when `kubectl get namespace` no longer lists it".into()
                } else if error.code == 401 || error.code == 403 {
                    "check the kubeconfig context and its permissions".into()
                } else if error.is_client() {
                    "the request could not be made: check the kubeconfig's server, certificates and credentials".into()
                } else if error.code == 0 {
                    "the API server did not answer: `kubectl version` asks the same server; check the kubeconfig's server and the network".into()
                } else {
                    return None;
                }
            }
            RunError::Deleted { item } if item.kind == Kind::Job => {
                "a Job is deleted by its `keep` (ttlSecondsAfterFinished) or by hand; floe cannot tell how it ended. With a `keep` of a few seconds, raise it; then run again".into()
            }
            RunError::Deleted { .. } => {
                "something else deletes it; run again to apply it anew".into()
            }
            RunError::Server { error, .. } if error.code == 0 => {
                "check the kubeconfig's server, certificates and credentials: `kubectl version` asks the same server".into()
            }
            RunError::Unsupported { .. } => {
                "floe finds a Job's pods by the `batch.kubernetes.io/job-name` label, which Kubernetes sets from 1.27; floe is built against the API of 1.33. Nothing was applied".into()
            }
            RunError::StillTerminating { object, .. } => format!(
                "`kubectl get {} {} -o yaml` shows the finalizers and conditions that hold it",
                object.kind.name().to_lowercase(),
                object.name
            ),
            RunError::Foreign { .. } => {
                "rename the item, or run the stack in another namespace; floe does not take over another ApplySet's objects".into()
            }
            _ => return None,
        })
    }

    /// The plan step the error is about, if it is about one.
    fn item(&self) -> Option<&ItemRef> {
        match self {
            RunError::NotReady { item, .. }
            | RunError::ItemTimeout { item, .. }
            | RunError::NoResults { item, .. }
            | RunError::RunnerImage { item, .. }
            | RunError::Deleted { item } => Some(item),
            _ => None,
        }
    }

    /// What the cluster said about the item in trouble.
    fn evidence(&self) -> Option<&Evidence> {
        match self {
            RunError::NotReady { evidence, .. }
            | RunError::ItemTimeout { evidence, .. }
            | RunError::NoResults { evidence, .. }
            | RunError::RunnerImage { evidence, .. } => Some(evidence),
            _ => None,
        }
    }

    /// What no source span can hold, as lines: fields in conflict, what each item
    /// waited for, the commands that fix a missing runner image, the evidence.
    pub fn details(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match self {
            RunError::Conflict { conflicts, .. } => {
                for (manager, field) in conflicts {
                    lines.push(format!("{field} is owned by \"{manager}\""));
                }
            }
            RunError::RunnerImage { image, .. } => {
                lines.extend([
                    format!("build it, in floe's source tree:   docker build -t {image} ."),
                    "Docker Desktop, kubeadm cluster:   nothing more (it uses Docker's images)".into(),
                    format!("Docker Desktop, kind cluster:      docker save {image} | docker exec -i desktop-control-plane ctr -n k8s.io images import -"),
                    format!("a cluster of the kind CLI:         kind load docker-image {image}"),
                    "any other cluster:                 push it to a registry the cluster pulls from, and name it in `runner`".into(),
                ]);
            }
            RunError::Timeout { waiting, .. } => {
                for (item, what) in waiting {
                    lines.push(format!("`{item}`: {what}"));
                }
            }
            RunError::Foreign { owner, .. } => {
                lines.push(format!(
                    "it is labelled applyset.kubernetes.io/part-of={owner}"
                ));
            }
            _ => {}
        }
        if let Some(evidence) = self.evidence() {
            evidence_lines(&mut lines, evidence);
        }
        lines
    }

    /// The report for a terminal: the diagnostic, then the details. `mask` hides
    /// secret values in the quoted source, as in compile errors.
    pub fn render(&self, sources: &SourceMap, options: RenderOptions, mask: &[Span]) -> String {
        let mut out = render_masked(&self.diagnostic(), sources, options, mask);
        for line in self.details() {
            let _ = writeln!(out, "  {line}");
        }
        out
    }

    /// The error as one JSON line: the diagnostic's fields (as `floe check
    /// --message-format json` writes them), `"event": "error"` and the details.
    pub fn to_json(&self, sources: &SourceMap) -> String {
        let line = diagnostic_json::to_json_line(&self.diagnostic(), sources);
        let mut value: Value = serde_json::from_str(&line).unwrap_or_else(|_| json!({}));
        if let Some(fields) = value.as_object_mut() {
            fields.insert("event".into(), json!("error"));
            fields.insert("details".into(), json!(self.details()));
        }
        value.to_string()
    }
}

fn evidence_lines(lines: &mut Vec<String>, evidence: &Evidence) {
    if !evidence.conditions.is_empty() {
        lines.push("conditions:".into());
        lines.extend(evidence.conditions.iter().map(|c| format!("  {c}")));
    }
    if !evidence.events.is_empty() {
        lines.push("recent events:".into());
        lines.extend(evidence.events.iter().map(|e| format!("  {e}")));
    }
    if let Some((source, log)) = &evidence.log {
        lines.push(format!("last log lines ({source}):"));
        lines.extend(log.iter().map(|l| format!("  | {l}")));
    }
}
