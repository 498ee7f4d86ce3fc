//! Checking the instances in pieces, in parallel, gives what checking them in one
//! piece gives: the same diagnostics, model, references and secret spans, for every
//! program of the examples and the tests, with every profile.

use std::path::{Path, PathBuf};

use super::{Checked, check_in_pieces, profile_names};
use crate::diagnostic::Code;
use crate::program::{self, RealFs};

fn floe_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            floe_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "floe") {
            found.push(path);
        }
    }
}

fn assert_same(one: &Checked, cut: &Checked, what: &str) {
    assert_eq!(one.diagnostics, cut.diagnostics, "diagnostics of {what}");
    assert_eq!(one.stack, cut.stack, "model of {what}");
    assert_eq!(one.references, cut.references, "references of {what}");
    assert_eq!(one.secret_spans, cut.secret_spans, "secret spans of {what}");
}

#[test]
fn every_program_checks_in_pieces_as_in_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    floe_files(&root.join("examples"), &mut files);
    floe_files(&root.join("tests/data"), &mut files);
    assert!(files.len() > 100, "found only {} programs", files.len());
    let (mut kept, mut checked_again) = (0, 0);
    for path in files {
        let Ok(program) = program::load(&RealFs, &path) else {
            continue;
        };
        let profiles = profile_names(&program);
        for profile in std::iter::once(None).chain(profiles.iter().map(|p| Some(p.as_str()))) {
            let (one, _) = check_in_pieces(&program, &RealFs, profile, None, Some(1));
            for pieces in [2, 3, 7] {
                let (cut, split) = check_in_pieces(&program, &RealFs, profile, None, Some(pieces));
                let what = format!("{} ({profile:?}) in {pieces} pieces", path.display());
                assert_same(&one, &cut, &what);
                if split {
                    kept += 1;
                } else {
                    checked_again += 1;
                }
            }
        }
    }
    // Both ways were taken: stacks without an error keep their pieces, those with
    // one are checked again whole.
    assert!(kept > 50, "pieces kept {kept} times");
    assert!(checked_again > 50, "checked again {checked_again} times");
}

/// A reference cycle between two items in different pieces: each piece's evaluator
/// would report it where its own evaluation began, so the pieces are dropped.
#[test]
fn a_cycle_across_pieces_is_reported_once_where_one_piece_reports_it() {
    let text = "\
stack s { namespace = \"s\" }
service a {
  image = \"a:1\"
  ports = { http = b.ports.http }
}
service b {
  image = \"b:1\"
  ports = { http = a.ports.http }
}
";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("cycle.floe");
    let program = program::load_text(&RealFs, &path, text.to_string());
    let (one, _) = check_in_pieces(&program, &RealFs, None, None, Some(1));
    let (cut, split) = check_in_pieces(&program, &RealFs, None, None, Some(3));
    assert!(!split, "the pieces were kept");
    let cycles: Vec<_> = one
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::E0212)
        .collect();
    assert_eq!(cycles.len(), 1, "{:?}", one.diagnostics);
    assert_same(&one, &cut, "the cycle");
}

/// A chain of references in source order, each `let` the one before: one deep when
/// checked in order, but a piece that begins in the middle follows it back to the
/// start. The piece gives up instead of going that deep, and the stack is checked
/// in one piece.
#[test]
fn a_long_chain_across_pieces_is_checked_in_one_piece() {
    let mut text = String::from("stack s { namespace = \"s\" }\nlet v0 = \"a\"\n");
    for i in 0..2000 {
        if i > 0 {
            text.push_str(&format!("let v{i} = v{}\n", i - 1));
        }
        text.push_str(&format!(
            "service s{i} {{\n  image = \"a:1\"\n  env = {{ X = v{i} }}\n}}\n"
        ));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("chain.floe");
    let program = program::load_text(&RealFs, &path, text);
    let (one, _) = check_in_pieces(&program, &RealFs, None, None, Some(1));
    let (cut, split) = check_in_pieces(&program, &RealFs, None, None, Some(2));
    assert!(one.stack.is_some(), "{:?}", one.diagnostics);
    assert!(!split, "the pieces were kept");
    assert_same(&one, &cut, "the chain");
}
