//! The formatter (`floe fmt`): snapshots of messy inputs (`tests/data/fmt/*.floe`),
//! and the properties every formatted file must have, checked on those inputs, on
//! small tricky cases and on every `.floe` file of the repository:
//!
//! 1. formatting is idempotent;
//! 2. the syntax tree of the output equals that of the input, spans aside;
//! 3. every comment of the input is in the output exactly once, in the same order,
//!    and each doc comment still precedes the item or parameter it documents.
//!
//! The command line is tested too: `floe fmt` rewrites, `--check` only reports.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use floe::fmt;
use floe::source::FileId;
use floe::syntax::{self, ast};

use crate::support;

// Properties.

/// Formats `input`, checks the three properties, and returns the output.
fn format_checked(name: &str, input: &str) -> String {
    let once = fmt::format(input).unwrap_or_else(|d| panic!("{name}: refused: {d:?}"));
    let twice = fmt::format(&once).unwrap_or_else(|d| panic!("{name}: output refused: {d:?}"));
    assert_eq!(once, twice, "{name}: formatting is not idempotent");
    assert_eq!(
        tree(input),
        tree(&once),
        "{name}: the tree changed:\n{once}"
    );
    assert_eq!(
        comment_texts(input),
        comment_texts(&once),
        "{name}: comments changed:\n{once}"
    );
    assert_eq!(
        doc_targets(input),
        doc_targets(&once),
        "{name}: a doc comment moved away from what it documents:\n{once}"
    );
    once
}

/// The syntax tree with every span erased.
fn tree(text: &str) -> String {
    let parsed = syntax::parse(FileId(0), text);
    erase_spans(&format!("{:?}", parsed.file.items))
}

fn erase_spans(debug: &str) -> String {
    let mut out = String::new();
    let mut rest = debug;
    while let Some(start) = rest.find("Span { ") {
        out.push_str(&rest[..start]);
        out.push_str("Span");
        let after = &rest[start..];
        let end = after.find(" }").map_or(after.len(), |e| e + 2);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Comments as the formatter prints them: line comments without trailing blanks.
fn comment_texts(text: &str) -> Vec<String> {
    syntax::parse(FileId(0), text)
        .file
        .comments
        .iter()
        .map(|c| c.text.trim_end().to_string())
        .collect()
}

/// For each doc comment, the path of the item or entry that follows it (item and
/// entry indexes down the tree).
fn doc_targets(text: &str) -> Vec<Vec<usize>> {
    let parsed = syntax::parse(FileId(0), text);
    let mut starts = Vec::new();
    for (i, item) in parsed.file.items.iter().enumerate() {
        starts.push((item.span().start, vec![i]));
        if let ast::Item::Block(block) = item {
            entry_starts(block, vec![i], &mut starts);
        }
    }
    starts.sort();
    syntax::parse(FileId(0), text)
        .file
        .comments
        .iter()
        .filter(|c| c.is_doc())
        .map(|c| {
            starts
                .iter()
                .find(|(start, _)| *start >= c.span.end)
                .map(|(_, path)| path.clone())
                .unwrap_or_default()
        })
        .collect()
}

fn entry_starts(block: &ast::Block, path: Vec<usize>, out: &mut Vec<(u32, Vec<usize>)>) {
    for (i, entry) in block.entries.iter().enumerate() {
        let mut entry_path = path.clone();
        entry_path.push(i);
        out.push((entry.span().start, entry_path.clone()));
        if let ast::Entry::Block(inner) = entry {
            entry_starts(inner, entry_path, out);
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(support::root().join(path)).expect("readable")
}

// Snapshots.

#[test]
fn messy_inputs_format_to_their_snapshots() {
    let cases = support::files_under("tests/data/fmt", ".floe");
    assert!(cases.len() >= 6, "missing fmt cases: {cases:?}");
    for case in cases {
        let name = case.file_stem().map(|s| s.to_string_lossy().to_string());
        let name = name.unwrap_or_default();
        let output = format_checked(&name, &read(&case));
        assert_ne!(output, read(&case), "{name}: a messy input should change");
        insta::with_settings!({
            snapshot_path => "../data/fmt/snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, output);
        });
    }
}

// The repository.

/// Every `.floe` file of the repository that parses.
fn repository_files() -> Vec<(PathBuf, String)> {
    ["stdlib", "examples", "tests/data"]
        .iter()
        .flat_map(|dir| support::files_under(dir, ".floe"))
        .map(|path| {
            let text = read(&path);
            (path, text)
        })
        .filter(|(_, text)| fmt::format(text).is_ok())
        .collect()
}

#[test]
fn every_repository_file_keeps_its_meaning_and_comments() {
    let files = repository_files();
    assert!(files.len() > 50, "only {} files", files.len());
    for (path, text) in files {
        let name = path.display().to_string();
        assert_comments_are_comments(&name, &text);
        format_checked(&name, &text);
    }
}

/// The parser finds comments with a lexical scan beside pest: blanking out what it
/// found must leave the very same tree, spans included, so that nothing it takes for
/// a comment is code or string text.
fn assert_comments_are_comments(name: &str, text: &str) {
    let mut blanked = text.to_string();
    for comment in syntax::parse(FileId(0), text).file.comments {
        let blank: String = comment
            .text
            .bytes()
            .map(|b| if b == b'\n' { '\n' } else { ' ' })
            .collect();
        blanked.replace_range(comment.span.range(), &blank);
    }
    let items = |t: &str| syntax::parse(FileId(0), t).file.items;
    assert_eq!(
        items(text),
        items(&blanked),
        "{name}: a comment was not one"
    );
}

/// `floe fmt --check` passes on the repository: the standard library, the example
/// and the compile cases are in canonical form. (Test inputs laid out as their tests
/// need — UI and editor cases point at lines and columns, the formatter's inputs are
/// messy on purpose — sit in directories marked with `.floefmtignore`.)
#[test]
fn repository_stacks_are_formatted() {
    let out = Command::new(env!("CARGO_BIN_EXE_floe"))
        .args(["fmt", "--check"])
        .current_dir(support::root())
        .output()
        .expect("floe runs");
    assert!(
        out.status.success(),
        "`floe fmt --check` fails at the repository root (run `floe fmt`):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A comment inserted at any blank of a file (where the file still parses to the
/// same tree: not inside a string) keeps the three properties.
#[test]
fn comments_inserted_at_every_blank_survive() {
    let files = [
        "tests/data/fmt/comments_everywhere.floe",
        "tests/data/fmt/multiline_strings.floe",
        "tests/data/fmt/component_docs.floe",
    ];
    for file in files {
        let text = read(Path::new(file));
        let original = tree(&text);
        let blanks = text.char_indices().filter(|(_, c)| *c == ' ' || *c == '\n');
        // One kind of comment at each blank, in turn, to keep the test quick.
        let kinds = ["/* c */", "// c\n", "/// d\n"].into_iter().cycle();
        for ((at, _), comment) in blanks.zip(kinds) {
            let input = format!("{}{comment}{}", &text[..at], &text[at..]);
            if fmt::format(&input).is_ok() && tree(&input) == original {
                format_checked(&format!("{file} with {comment:?} at {at}"), &input);
            }
        }
    }
}

// Small cases.

#[test]
fn a_file_with_syntax_errors_is_refused() {
    let refused = fmt::format("service api {\n  image = \n}\n").expect_err("refused");
    assert!(
        refused.iter().any(|d| d.code.as_str() == "E0001"),
        "{refused:?}"
    );
    let two_on_a_line = fmt::format("service api { image = \"a\" replicas = 1 }\n");
    assert!(two_on_a_line.is_err());
}

#[test]
fn empty_files_and_bodies() {
    assert_eq!(format_checked("empty", ""), "");
    assert_eq!(format_checked("blank", "\n\n  \n"), "");
    assert_eq!(
        format_checked("body", "jaeger  tracing {\n\n}"),
        "jaeger tracing {}\n"
    );
    assert_eq!(
        format_checked("commented body", "jaeger tracing { /* nothing yet */ }"),
        "jaeger tracing { /* nothing yet */\n}\n"
    );
}

#[test]
fn comments_are_kept_wherever_they_are() {
    let cases = [
        "// only a comment",
        "/* a */ /* b */\nstack s {}",
        "stack s { // after the brace\n  namespace = \"x\" // after a field\n  // before the end\n}",
        "let x = [1, // one\n  2 /* two */, 3]",
        "let x = { a = 1 /* a */, b = 2 }",
        "let x = f(/* a */ 1, 2 // two\n)",
        "let x = a + // plus\n  b",
        "let x /* name */ : /* type */ int /* value */ = /* here */ 1",
        "service s { image /* key */ = \"x\" }",
        "let x = a./* member */b",
        "let x = (1 /* in parens */)",
        "let x = \"${a /* inside */}\"",
        "let x = 1 /// a doc comment at the end of a line\nlet y = 2",
        "component c {\n  /// the size\n  size: [bytes /* each */]? /* optional */\n}",
        "profile p { a.b /* path */ . c = 1 }",
        "let x = 1\n// at the end",
        "service s // before the brace\n{ image = \"x\" }",
        "service s\n// before the brace\n{}",
        "let x = [\n  // only a comment\n]",
        "let x = {\n  // only a comment\n}",
        "let x = 1 required // r\nlet y = 2",
        "let x = a required /* c */",
        "let x = a /* before */ required",
        "/* a\n   multi-line\n block */\nlet x = 1",
    ];
    for (i, case) in cases.iter().enumerate() {
        format_checked(&format!("comment case {i}: {case:?}"), case);
    }
}

#[test]
fn trailing_and_own_line_comments_keep_their_place() {
    let input =
        "stack s {\n    namespace = \"x\"   // trailing\n        // own line\n    labels = {}\n}\n";
    assert_eq!(
        format_checked("places", input),
        "stack s {\n  namespace = \"x\" // trailing\n  // own line\n  labels = {}\n}\n"
    );
}

#[test]
fn records_and_lists_break_only_past_the_width() {
    // `  x = [` is 7 columns, `]` one: 92 columns of elements fit exactly.
    let fits = format!(
        "stack s {{\n  x = [\"{}\", \"{}\"]\n}}\n",
        "a".repeat(43),
        "b".repeat(43)
    );
    assert_eq!(fits.lines().map(str::len).max(), Some(100));
    assert_eq!(format_checked("fits", &fits), fits);
    let over = fits.replace("bbb", "bbbb");
    let broken = format_checked("over", &over);
    assert!(broken.contains("x = [\n    \"aaa"), "{broken}");
    assert!(broken.contains("bbbb\",\n  ]\n"), "{broken}");
}

#[test]
fn broken_records_have_no_commas_and_keep_single_blank_lines() {
    let input = "let r = {\n\n  a = 1,\n\n\n  b = 2, // two\n\n}\n";
    assert_eq!(
        format_checked("record", input),
        "let r = {\n  a = 1\n\n  b = 2 // two\n}\n"
    );
}

#[test]
fn items_are_separated_by_one_blank_line_except_imports_and_short_lets() {
    let input = "import \"std/minio\"\nimport \"std/cube\"\n\n\n\nlet a = 1\nlet b = 2\nstack s {}\nservice t { image = \"x\" }\n// about u\nlet u = 1\n";
    let expected = "import \"std/minio\"\nimport \"std/cube\"\n\nlet a = 1\nlet b = 2\n\nstack s {}\n\nservice t {\n  image = \"x\"\n}\n\n// about u\nlet u = 1\n";
    assert_eq!(format_checked("items", input), expected);
}

#[test]
fn multi_line_strings_move_as_a_block() {
    let input = "config c {\n        script = \"\"\"\n            #!/bin/sh\n              echo ${x}\n\n            \"\"\"\n}\n";
    let expected =
        "config c {\n  script = \"\"\"\n    #!/bin/sh\n      echo ${x}\n\n    \"\"\"\n}\n";
    assert_eq!(format_checked("ml", input), expected);
    // Text on the opening line takes part in the indentation: kept as written.
    let kept = "let x = \"\"\"a\n        b\n  \"\"\"\n";
    assert_eq!(format_checked("kept", kept), kept);
    let one_line = "let x = \"\"\"{\"a\": 1}\"\"\"\n";
    assert_eq!(format_checked("one line", one_line), one_line);
}

#[test]
fn windows_line_endings_are_normalised() {
    let input = "// a comment\r\nstack s {\r\n  namespace = \"x\"\r\n  script = \"\"\"\r\n    a\r\n    \"\"\"\r\n}\r\n";
    let output = format_checked("crlf", input);
    assert!(!output.contains('\r'), "{output:?}");
}

/// A long sum formats on one line; one too long to check is refused, not a crash.
#[test]
fn long_sums_format_or_are_refused() {
    let text = format!("let x = {}\n", vec!["a"; 256].join(" + "));
    assert_eq!(format_checked("long sum", &text), text);
    let text = format!("let x = {}\n", vec!["a"; 20_000].join(" + "));
    let refused = fmt::format(&text).err().unwrap_or_default();
    assert!(
        refused.iter().any(|d| d.code.as_str() == "E0007"),
        "{refused:?}"
    );
}

// The command line.

fn floe_fmt(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_floe"))
        .arg("fmt")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("floe runs")
}

const MESSY: &str = "stack s {namespace = \"x\", labels = {a = \"b\"}}\n";
const FORMATTED: &str = "stack s {\n  namespace = \"x\"\n  labels = { a = \"b\" }\n}\n";

#[test]
fn check_reports_files_that_would_change_and_fmt_rewrites_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("main.floe");
    std::fs::write(&file, MESSY).expect("write");

    let check = floe_fmt(dir.path(), &["--check", "main.floe"]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&check.stdout), "main.floe\n");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), MESSY);

    let write = floe_fmt(dir.path(), &["main.floe"]);
    assert_eq!(write.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), FORMATTED);

    let check = floe_fmt(dir.path(), &["--check", "main.floe"]);
    assert_eq!(check.status.code(), Some(0));
    assert!(check.stdout.is_empty());
}

#[test]
fn without_files_every_floe_file_below_is_formatted_but_target_and_hidden_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in [
        "a.floe",
        "sub/b.floe",
        "target/c.floe",
        ".hidden/d.floe",
        "e.txt",
    ] {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, MESSY).expect("write");
    }
    let check = floe_fmt(dir.path(), &["--check"]);
    assert_eq!(check.status.code(), Some(1));
    let listed = String::from_utf8_lossy(&check.stdout).replace('\\', "/");
    assert_eq!(listed, "a.floe\nsub/b.floe\n");

    assert_eq!(floe_fmt(dir.path(), &[]).status.code(), Some(0));
    assert_eq!(floe_fmt(dir.path(), &["--check"]).status.code(), Some(0));
    let untouched = std::fs::read_to_string(dir.path().join("target/c.floe")).expect("read");
    assert_eq!(untouched, MESSY);
}

#[test]
fn syntax_errors_are_reported_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = "service api {\n  image = \n}\n";
    std::fs::write(dir.path().join("broken.floe"), broken).expect("write");
    let out = floe_fmt(dir.path(), &["broken.floe"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("E0001") && stderr.contains("broken.floe"),
        "{stderr}"
    );
    let after = std::fs::read_to_string(dir.path().join("broken.floe")).expect("read");
    assert_eq!(after, broken);

    let missing = floe_fmt(dir.path(), &["missing.floe"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read missing.floe"));
}
