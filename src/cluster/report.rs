//! How a cluster run is shown: progress per wave and item (a live view on a
//! terminal, plain lines otherwise, or one JSON object per line) and the closing
//! summary. Errors render themselves ([`super::error`]).

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::json;

use super::error::ItemRef;
use super::progress::{Event, Progress};
use super::run::Outcome;

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
