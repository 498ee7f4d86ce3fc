//! Writes one test per UI case (`tests/data/ui`) for the integration tests, so that
//! each case runs, passes and fails by its own name:
//! `cargo test --test it ui::case::e0102_unknown_field`.
//!
//! A case is a `.floe` file directly in `tests/data/ui`, or a directory there
//! holding a `main.floe`; the test is named after the file's stem or the directory.

use std::fmt::Write as _;
use std::path::Path;

const UI: &str = "tests/data/ui";

fn main() {
    println!("cargo::rerun-if-changed={UI}");
    let mut cases: Vec<(String, String)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(UI) {
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = path.file_stem().and_then(|n| n.to_str()) else {
                continue;
            };
            let main = if path.is_dir() {
                path.join("main.floe")
            } else if path.extension().is_some_and(|e| e == "floe") {
                path.clone()
            } else {
                continue;
            };
            if main.is_file() {
                cases.push((test_name(name), relative(&main)));
            }
        }
    }
    // In the order of their paths, as the cases on disk are listed.
    cases.sort_by(|a, b| a.1.cmp(&b.1));
    let mut out = String::from(
        "/// The main file of every case, one test each below.\npub const CASES: &[&str] = &[\n",
    );
    for (_, main) in &cases {
        let _ = writeln!(out, "    {main:?},");
    }
    out.push_str("];\n");
    for (name, main) in &cases {
        let _ = writeln!(
            out,
            "#[test]\nfn {name}() {{\n    super::run_case({main:?});\n}}"
        );
    }
    let dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    std::fs::write(Path::new(&dir).join("ui_cases.rs"), out).expect("OUT_DIR is writable");
}

/// A Rust identifier for a case's name: `e0102_unknown_field` stays as it is.
fn test_name(name: &str) -> String {
    let mut id: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id.insert(0, 'c');
    }
    id.to_ascii_lowercase()
}

fn relative(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
