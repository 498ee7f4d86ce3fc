//! The manual is tested: every ```floe block of the documentation is checked.
//!
//! - In `docs/errors/CODE.md`, the first block (the erroneous example) must produce
//!   `CODE`; the others (the fixes) must not. A run error's page (`R0xxx`) has
//!   no erroneous source: its blocks must check without errors.
//! - Elsewhere, a block must check without errors; ```floe,expect=CODE must produce
//!   `CODE`.
//! - ```floe,ignore blocks (fragments that cannot stand alone) are skipped.
//!
//! A block without a `stack` item is checked with `stack docs {}` added, so that
//! examples can leave it out. Check queries are verified with DuckDB.

use std::path::{Path, PathBuf};

use floe::diagnostic::Code;
use floe::program::{self, RealFs};

use crate::support;

struct Block {
    file: PathBuf,
    line: usize,
    info: String,
    code: String,
}

fn blocks(file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(support::root().join(file)).unwrap_or_default();
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match current.as_mut() {
            None => {
                if let Some(info) = line.trim_start().strip_prefix("```floe") {
                    current = Some(Block {
                        file: file.to_path_buf(),
                        line: i + 1,
                        info: info.trim().trim_start_matches(',').to_string(),
                        code: String::new(),
                    });
                }
            }
            Some(block) => {
                if line.trim_start().starts_with("```") {
                    blocks.extend(current.take());
                } else {
                    block.code.push_str(line);
                    block.code.push('\n');
                }
            }
        }
    }
    blocks
}

/// The codes of the diagnostics a block produces.
fn check_block(block: &Block) -> Vec<Code> {
    let has_stack = block
        .code
        .lines()
        .any(|l| l.trim_start().starts_with("stack "));
    let code = if has_stack {
        block.code.clone()
    } else {
        format!("stack docs {{}}\n{}", block.code)
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let main = dir.path().join("main.floe");
    std::fs::write(&main, code).expect("write");
    let program = program::load(&RealFs, &main).expect("readable");
    let sql = floe::data::sql::DuckDbValidator::new();
    floe::check_every_profile_with(&program, &RealFs, Some(&sql))
        .into_iter()
        .map(|d| d.code)
        .collect()
}

fn describe(block: &Block, found: &[Code]) -> String {
    let codes: Vec<&str> = found.iter().map(|c| c.as_str()).collect();
    format!("{}:{} gives {codes:?}", block.file.display(), block.line)
}

#[test]
fn every_floe_block_in_the_docs_checks_as_it_says() {
    let mut files = support::files_under("docs", ".md");
    files.push(PathBuf::from("README.md"));
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in &files {
        let page_code = file
            .parent()
            .filter(|p| p.ends_with("errors"))
            .and_then(|_| file.file_stem())
            .and_then(|s| Code::parse(&s.to_string_lossy()))
            .filter(|code| !code.is_run());
        for (index, block) in blocks(file).iter().enumerate() {
            if block.info.split(',').any(|w| w == "ignore") {
                continue;
            }
            checked += 1;
            let found = check_block(block);
            let expected = block
                .info
                .split(',')
                .find_map(|w| w.strip_prefix("expect="))
                .and_then(Code::parse)
                .or(page_code.filter(|_| index == 0));
            let ok = match expected {
                Some(code) => found.contains(&code),
                None => {
                    found
                        .iter()
                        .all(|c| !c.severity().eq(&floe::diagnostic::Severity::Error))
                        && page_code.is_none_or(|code| !found.contains(&code))
                }
            };
            if !ok {
                failures.push(format!(
                    "{} (expected {expected:?})",
                    describe(block, &found)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "doc examples fail:\n{}",
        failures.join("\n")
    );
    assert!(checked > 20, "only {checked} blocks found");
}
