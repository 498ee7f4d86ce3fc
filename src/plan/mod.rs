//! The run plan: the stack's workloads in waves, each wave depending only on earlier
//! ones. `floe plan` prints it; `floe run` follows it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::model::{self, WorkloadKind, WorkloadRef};
use crate::source::Span;

pub mod wire;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub stack: String,
    pub namespace: String,
    pub waves: Vec<Wave>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Wave {
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub kind: StepKind,
    /// The Kubernetes name.
    pub name: String,
    /// The item's path in the source (`metastore.auth`).
    pub item: String,
    /// What must be ready first, as `kind/name`.
    pub after: Vec<String>,
    /// Where the item is declared (the verify step: the first check).
    #[serde(skip)]
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    Service,
    Hook,
    /// The Job that writes a table's seed data.
    Seed,
    /// The Job that runs the checks.
    Verify,
}

impl Step {
    pub fn key(&self) -> String {
        step_key(self.kind, &self.name)
    }
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Service => "service",
            StepKind::Hook => "hook",
            StepKind::Seed => "seed",
            StepKind::Verify => "verify",
        }
    }
}

/// What the runner needs to seed and verify: the data part of the stack. It is put
/// in a ConfigMap that seed and verify Jobs mount, in the versioned format of
/// [`wire`]; it holds no secret value (credentials name Secret keys, read from the
/// Job's environment).
#[derive(Clone, Debug, PartialEq)]
pub struct DataPlan {
    pub stack: String,
    pub catalogs: Vec<model::Catalog>,
    pub tables: Vec<model::Table>,
    pub checks: Vec<model::Check>,
}

impl DataPlan {
    pub fn new(stack: &model::Stack) -> DataPlan {
        DataPlan {
            stack: stack.name.clone(),
            catalogs: stack.catalogs.clone(),
            tables: stack.tables.clone(),
            checks: stack.checks.clone(),
        }
    }

    /// The plan as the data Jobs read it ([`wire::VERSION`]).
    pub fn to_json(&self) -> String {
        wire::to_json(self)
    }

    /// A plan written by this floe or an earlier one.
    pub fn from_json(text: &str) -> Result<DataPlan, wire::FormatError> {
        wire::from_json(text)
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.checks.is_empty()
    }

    /// The Kubernetes name of a table's seed Job.
    pub fn seed_job(table: &str) -> String {
        format!("seed-{}", table.replace(['_', '.'], "-"))
    }

    /// The Kubernetes name of the verify Job.
    pub fn verify_job(stack: &str) -> String {
        format!("{}-verify", model::kube_name(stack))
    }
}

impl From<WorkloadKind> for StepKind {
    fn from(kind: WorkloadKind) -> StepKind {
        match kind {
            WorkloadKind::Service => StepKind::Service,
            WorkloadKind::Hook => StepKind::Hook,
        }
    }
}

fn key(r: &WorkloadRef) -> String {
    step_key(StepKind::from(r.kind), &r.name)
}

/// A step's key in the plan, `kind/name` (`service/db`, `hook/catalog-init`): what
/// `after` lists, and what lowering puts on the step's object (see [`STEP`]).
pub fn step_key(kind: StepKind, name: &str) -> String {
    format!("{}/{name}", kind.as_str())
}

/// The annotation of a workload object that names its plan step by key.
pub const STEP: &str = "floe.dev/step";

/// Argo CD's sync wave annotation (argo-cd docs, user-guide/sync-waves.md): Argo CD
/// applies the objects of a wave only when every object of the waves before is
/// healthy (a Deployment rolled out, a Job complete).
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// The wave of every step after wave 0, by step key: the steps that wait for
/// something. A stack in which nothing waits has none, and no plan is made for it.
pub fn later_waves(stack: &model::Stack) -> FxHashMap<String, usize> {
    let waits = stack.services.iter().any(|s| !s.needs.is_empty())
        || stack.hooks.iter().any(|h| !h.after.is_empty())
        || !stack.tables.is_empty()
        || !stack.checks.is_empty();
    if !waits {
        return FxHashMap::default();
    }
    plan(stack)
        .waves
        .iter()
        .enumerate()
        .skip(1)
        .flat_map(|(wave, w)| w.steps.iter().map(move |step| (step.key(), wave)))
        .collect()
}

/// Places every workload in the earliest wave after all it depends on. The checker
/// has rejected cycles, so every workload gets a wave.
pub fn plan(stack: &model::Stack) -> Plan {
    let mut nodes: BTreeMap<String, Step> = BTreeMap::new();
    for s in &stack.services {
        let step = Step {
            kind: StepKind::Service,
            name: s.name.clone(),
            item: s.origin.path.clone(),
            after: s.needs.iter().map(key).collect(),
            span: s.origin.span,
        };
        nodes.insert(step.key(), step);
    }
    for h in &stack.hooks {
        let step = Step {
            kind: StepKind::Hook,
            name: h.name.clone(),
            item: h.origin.path.clone(),
            after: h.after.iter().map(key).collect(),
            span: h.origin.span,
        };
        nodes.insert(step.key(), step);
    }
    add_data_steps(stack, &mut nodes);
    let mut depth: BTreeMap<String, usize> = BTreeMap::new();
    let keys: Vec<String> = nodes.keys().cloned().collect();
    for k in &keys {
        wave_of(k, &nodes, &mut depth, 0);
    }
    let count = depth.values().copied().max().map_or(0, |d| d + 1);
    let mut waves = vec![Wave { steps: Vec::new() }; count];
    for (k, step) in nodes {
        if let Some(wave) = depth.get(&k).and_then(|d| waves.get_mut(*d)) {
            wave.steps.push(step);
        }
    }
    for wave in &mut waves {
        wave.steps
            .sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    }
    Plan {
        stack: stack.name.clone(),
        namespace: stack.namespace.clone(),
        waves,
    }
}

/// A seed step per seeded table, after its catalog's dependencies and the tables it
/// takes keys from; a verify step after every seed, when there are checks.
fn add_data_steps(stack: &model::Stack, nodes: &mut BTreeMap<String, Step>) {
    let catalog_after = |name: &str| -> Vec<String> {
        stack
            .catalogs
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.after.iter().map(key).collect())
            .unwrap_or_default()
    };
    let mut seeds = Vec::new();
    for table in stack.tables.iter().filter(|t| t.seed.is_some()) {
        let name = DataPlan::seed_job(&table.name);
        let mut after = catalog_after(&table.catalog);
        if let Some(model::Seed::Generate { columns, .. }) = &table.seed {
            for other in referenced_tables(columns) {
                after.push(step_key(StepKind::Seed, &DataPlan::seed_job(&other)));
            }
        }
        after.sort();
        after.dedup();
        let step = Step {
            kind: StepKind::Seed,
            name,
            item: table.origin.path.clone(),
            after,
            span: table.origin.span,
        };
        seeds.push(step.key());
        nodes.insert(step.key(), step);
    }
    if stack.checks.is_empty() {
        return;
    }
    let mut after = seeds;
    for table in &stack.tables {
        after.extend(catalog_after(&table.catalog));
    }
    after.sort();
    after.dedup();
    let step = Step {
        kind: StepKind::Verify,
        name: DataPlan::verify_job(&stack.name),
        item: "checks".to_string(),
        after,
        span: stack.checks.first().map_or(stack.span, |c| c.origin.span),
    };
    nodes.insert(step.key(), step);
}

/// The tables a table's generators take keys from.
pub fn referenced_tables(columns: &[model::Generator]) -> Vec<String> {
    fn walk(g: &model::Generator, out: &mut Vec<String>) {
        match g {
            model::Generator::Ref { table, .. } => out.push(table.clone()),
            model::Generator::Text(parts) => {
                for p in parts {
                    if let model::TextPart::Generator(inner) = p {
                        walk(inner, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for g in columns {
        walk(g, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn wave_of(
    key: &str,
    nodes: &BTreeMap<String, Step>,
    depth: &mut BTreeMap<String, usize>,
    guard: usize,
) -> usize {
    if let Some(d) = depth.get(key) {
        return *d;
    }
    // The checker rejects cycles; the guard keeps a bug from recursing forever.
    if guard > nodes.len() {
        return 0;
    }
    let d = nodes
        .get(key)
        .map(|step| {
            step.after
                .iter()
                .map(|dep| wave_of(dep, nodes, depth, guard + 1) + 1)
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    depth.insert(key.to_string(), d);
    d
}

impl Plan {
    pub fn to_text(&self) -> String {
        let mut out = format!("stack {} (namespace {})\n", self.stack, self.namespace);
        for (i, wave) in self.waves.iter().enumerate() {
            let _ = writeln!(out, "\nwave {}", i + 1);
            for step in &wave.steps {
                let _ = write!(out, "  {:<7} {}", step.kind.as_str(), step.name);
                if !step.after.is_empty() {
                    let _ = write!(out, "  after {}", step.after.join(", "));
                }
                out.push('\n');
            }
        }
        out
    }

    pub fn to_json(&self) -> String {
        let mut out = serde_json::to_string_pretty(self).unwrap_or_default();
        out.push('\n');
        out
    }

    /// Graphviz: an edge from each dependency to what waits for it.
    pub fn to_dot(&self) -> String {
        let mut out = format!("digraph \"{}\" {{\n  rankdir=LR;\n", self.stack);
        for (i, wave) in self.waves.iter().enumerate() {
            let _ = writeln!(
                out,
                "  subgraph cluster_{} {{\n    label=\"wave {}\";",
                i + 1,
                i + 1
            );
            for step in &wave.steps {
                let shape = match step.kind {
                    StepKind::Service => "box",
                    StepKind::Hook | StepKind::Seed | StepKind::Verify => "ellipse",
                };
                let _ = writeln!(
                    out,
                    "    \"{}/{}\" [label=\"{}\", shape={shape}];",
                    step.kind.as_str(),
                    step.name,
                    step.name
                );
            }
            out.push_str("  }\n");
        }
        for step in self.waves.iter().flat_map(|w| &w.steps) {
            for dep in &step.after {
                let _ = writeln!(
                    out,
                    "  \"{dep}\" -> \"{}/{}\";",
                    step.kind.as_str(),
                    step.name
                );
            }
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid flowchart, for Markdown documents.
    pub fn to_mermaid(&self) -> String {
        let id = |key: &str| key.replace(['/', '-'], "_");
        let mut out = String::from("flowchart LR\n");
        for (i, wave) in self.waves.iter().enumerate() {
            let _ = writeln!(out, "  subgraph wave{}[\"wave {}\"]", i + 1, i + 1);
            for step in &wave.steps {
                let key = step.key();
                let shape = match step.kind {
                    StepKind::Service => format!("[\"{}\"]", step.name),
                    StepKind::Hook | StepKind::Seed | StepKind::Verify => {
                        format!("([\"{}\"])", step.name)
                    }
                };
                let _ = writeln!(out, "    {}{shape}", id(&key));
            }
            out.push_str("  end\n");
        }
        for step in self.waves.iter().flat_map(|w| &w.steps) {
            let key = step.key();
            for dep in &step.after {
                let _ = writeln!(out, "  {} --> {}", id(dep), id(&key));
            }
        }
        out
    }
}
