//! Rules the code base keeps, checked: every diagnostic code has a page and a UI
//! case (a run error's code: a cluster test that asserts it); every source file
//! says what it is; no test is skipped.

use floe::diagnostic::Code;

use crate::support;

#[test]
fn every_code_has_a_page_and_a_ui_case() {
    let mut expected_codes = String::new();
    for path in support::files_under("tests/data/ui", ".floe") {
        let text = std::fs::read_to_string(support::root().join(path)).unwrap_or_default();
        for line in text.lines().filter(|l| l.starts_with("// expect:")) {
            expected_codes.push_str(line);
            expected_codes.push('\n');
        }
    }
    let mut cluster_tests = String::new();
    for path in support::files_under("tests/it/cluster", ".rs")
        .into_iter()
        .chain([std::path::PathBuf::from("tests/it/cluster.rs")])
    {
        cluster_tests
            .push_str(&std::fs::read_to_string(support::root().join(path)).unwrap_or_default());
    }
    let mut missing = Vec::new();
    for code in Code::ALL {
        let page = code.explanation();
        let title = format!("# {}: {}", code.as_str(), code.title());
        if !page.starts_with(&title) {
            missing.push(format!("{code}: the page does not start with `{title}`"));
        }
        if code.is_run() {
            if !cluster_tests.contains(code.as_str()) {
                missing.push(format!("{code}: no cluster test asserts it"));
            }
        } else if !expected_codes.contains(&format!("// expect: {}", code.as_str())) {
            missing.push(format!("{code}: no UI case expects it"));
        }
    }
    for path in support::files_under("docs/errors", ".md") {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        if Code::parse(&stem).is_none() {
            missing.push(format!("{}: a page for an unknown code", path.display()));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_source_file_starts_with_a_module_comment() {
    let undocumented: Vec<String> = support::files_under("src", ".rs")
        .into_iter()
        .filter(|p| {
            let text = std::fs::read_to_string(support::root().join(p)).unwrap_or_default();
            !text.starts_with("//!")
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(undocumented.is_empty(), "no `//!` header: {undocumented:?}");
}

#[test]
fn no_test_is_skipped() {
    let markers = [concat!("#[", "ignore"), concat!("#[", "should_panic")];
    let mut found = Vec::new();
    for dir in ["src", "tests", "benches"] {
        for path in support::files_under(dir, ".rs") {
            let text = std::fs::read_to_string(support::root().join(&path)).unwrap_or_default();
            if markers.iter().any(|m| text.contains(m)) {
                found.push(path.display().to_string());
            }
        }
    }
    assert!(found.is_empty(), "skipped or panicking tests in {found:?}");
}
