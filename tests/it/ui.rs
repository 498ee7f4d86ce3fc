//! Diagnostic (UI) tests: every `tests/data/ui/*.floe` file, and every
//! `tests/data/ui/*/main.floe` of a multi-file case, is a test of its own, named
//! after the case (`cargo test --test it ui::case::e0102_unknown_field`); its
//! header says which diagnostics must come out, and the rendered output is
//! snapshotted.
//!
//! Header lines, at the top of the main file:
//!
//! ```text
//! // test: check --profile production   (optional; default: every profile)
//! // expect: E0203 @ 7:22                (code, line and column of the primary span)
//! // expect: E0109 @ a.floe:1:8          (a span in another file of the case)
//! // expect: E0110                       (a diagnostic without a span)
//! ```
//!
//! The expectations must match the diagnostics exactly: nothing missing, nothing
//! more. Check queries are verified with DuckDB, as the CLI does.

use std::path::{Path, PathBuf};

use floe::data::sql::DuckDbValidator;
use floe::diagnostic::Diagnostic;
use floe::diagnostic::render::{RenderOptions, render_all};
use floe::program::{self, Program, RealFs};

use crate::support;

struct Case {
    main: PathBuf,
    profile: Option<String>,
    expected: Vec<String>,
}

/// One test per case, named after it (written by `build.rs`).
mod case {
    include!(concat!(env!("OUT_DIR"), "/ui_cases.rs"));
}

/// No `.floe` file is left out: each is a case's main file, or lies in the
/// directory of one.
#[test]
fn every_case_file_is_under_a_test() {
    assert!(!case::CASES.is_empty(), "no UI cases found");
    for file in support::files_under("tests/data/ui", ".floe") {
        let file = file.to_string_lossy().replace('\\', "/");
        let covered = case::CASES.iter().any(|main| {
            *main == file
                || main
                    .strip_suffix("main.floe")
                    .is_some_and(|dir| file.starts_with(dir))
        });
        assert!(covered, "{file} is in no UI case");
    }
}

fn parse_header(main: &Path) -> Case {
    let text = std::fs::read_to_string(support::root().join(main)).unwrap_or_default();
    let mut case = Case {
        main: main.to_path_buf(),
        profile: None,
        expected: Vec::new(),
    };
    for line in text.lines().take_while(|l| l.starts_with("//")) {
        if let Some(test) = line.strip_prefix("// test:") {
            let words: Vec<&str> = test.split_whitespace().collect();
            if let ["check", "--profile", name] = words.as_slice() {
                case.profile = Some(name.to_string());
            }
        } else if let Some(expect) = line.strip_prefix("// expect:") {
            case.expected.push(expect.trim().to_string());
        }
    }
    case
}

/// How a diagnostic is written in an `expect:` line.
fn describe(d: &Diagnostic, program: &Program, main: &Path) -> String {
    let Some(span) = d.span else {
        return d.code.to_string();
    };
    let Some(file) = program.sources.get(span.file) else {
        return d.code.to_string();
    };
    let (line, col) = file.line_col(span.start);
    let line_start = file.line_start(line).unwrap_or(0) as usize;
    let col = file
        .text
        .get(line_start..line_start + col)
        .map_or(col, |p| p.chars().count());
    let name = Path::new(&file.name);
    if name == main {
        format!("{} @ {}:{}", d.code, line + 1, col + 1)
    } else {
        let short = name
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        format!("{} @ {short}:{}:{}", d.code, line + 1, col + 1)
    }
}

fn run(case: &Case) -> (Vec<Diagnostic>, Program) {
    let program = program::load(&RealFs, &case.main).expect("the case's main file is readable");
    let sql = DuckDbValidator::new();
    let diagnostics = match &case.profile {
        Some(p) => floe::check::check_with(&program, &RealFs, Some(p), Some(&sql)).diagnostics,
        None => floe::check_every_profile_with(&program, &RealFs, Some(&sql)),
    };
    (diagnostics, program)
}

/// Checks one case: its diagnostics are exactly its `expect:` lines, and its
/// rendered output matches its snapshot.
fn run_case(main: &str) {
    let main = Path::new(main);
    let case = parse_header(main);
    assert!(
        !case.expected.is_empty(),
        "{}: no `// expect:` line",
        main.display()
    );
    let (diagnostics, program) = run(&case);
    let mut found: Vec<String> = diagnostics
        .iter()
        .map(|d| describe(d, &program, main))
        .collect();
    let mut expected = case.expected;
    found.sort();
    expected.sort();
    assert_eq!(found, expected, "{}: diagnostics", main.display());
    let rendered = render_all(&diagnostics, &program.sources, RenderOptions::plain());
    let name = main
        .strip_prefix("tests/data/ui")
        .unwrap_or(main)
        .with_extension("")
        .to_string_lossy()
        .replace(['/', '\\'], "__");
    insta::with_settings!({
        snapshot_path => "../data/ui/snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, rendered);
    });
}
