//! `floe plan FILE [--profile P]`: the order in which the stack's services and hooks
//! start, as waves, in text, JSON, Graphviz or Mermaid.

use std::io::Write;
use std::path::Path;

use clap::ValueEnum;

use super::{Compiled, MessageFormat, Reporter, Result, compiled};

#[derive(Clone, Copy, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Dot,
    Mermaid,
}

pub fn run(path: &Path, profile: Option<&str>, format: PlanFormat, reporter: &Reporter) -> Result {
    let Compiled { stack, .. } = compiled(path, profile, reporter, MessageFormat::Human)?;
    let plan = floe::plan::plan(&stack);
    let text = match format {
        PlanFormat::Text => plan.to_text(),
        PlanFormat::Json => plan.to_json(),
        PlanFormat::Dot => plan.to_dot(),
        PlanFormat::Mermaid => plan.to_mermaid(),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(())
}
