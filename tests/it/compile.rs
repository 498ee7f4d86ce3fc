//! Golden compile tests: every case under `tests/data/compile/*/main.floe` and the
//! reference stack `examples/demo.floe` compile without errors, to the snapshotted
//! manifests, byte for byte the same on every run, and every object passes the
//! Kubernetes JSON schemas (strict) of the oldest and newest supported versions.
//!
//! A case lists the profiles to compile in a header line: `// profiles: local, production`
//! (`-` is the base stack without a profile). Without the line, the base stack.

use std::path::{Path, PathBuf};
use std::process::Command;

use floe::program::{self, RealFs};

use crate::support;

/// Kubernetes versions the output must be valid for.
const KUBERNETES: &[&str] = &["1.33.0", "1.37.0"];

fn cases() -> Vec<PathBuf> {
    let mut cases = support::files_under("tests/data/compile", "main.floe");
    cases.push(PathBuf::from("examples/demo.floe"));
    cases
}

fn profiles(main: &Path) -> Vec<Option<String>> {
    if main == Path::new("examples/demo.floe") {
        return vec![None, Some("local".into()), Some("production".into())];
    }
    let text = std::fs::read_to_string(support::root().join(main)).unwrap_or_default();
    let line = text
        .lines()
        .take_while(|l| l.starts_with("//"))
        .find_map(|l| l.strip_prefix("// profiles:"));
    match line {
        None => vec![None],
        Some(list) => list
            .split(',')
            .map(str::trim)
            .map(|p| (p != "-").then(|| p.to_string()))
            .collect(),
    }
}

/// Compiles a case with a profile to YAML, check queries verified with DuckDB;
/// panics with the rendered diagnostics on errors, or when the stream `floe compile`
/// writes differs from the YAML of the lowered objects.
fn compile_yaml(main: &Path, profile: Option<&str>) -> String {
    let program = program::load(&RealFs, main).expect("readable");
    let sql = floe::data::sql::DuckDbValidator::new();
    let compilation = floe::compile_with(&program, &RealFs, profile, Some(&sql));
    if compilation.has_errors() {
        let rendered = floe::diagnostic::render::render_all(
            &compilation.diagnostics,
            &program.sources,
            floe::diagnostic::render::RenderOptions::plain(),
        );
        panic!(
            "{} ({profile:?}) does not compile:\n{rendered}",
            main.display()
        );
    }
    let yaml = floe::emit::to_yaml(&compilation.objects);
    let stack = compilation.stack.as_ref().expect("a stack without errors");
    let mut streamed = Vec::new();
    floe::emit::write_yaml_stream(stack, &mut streamed).expect("written to memory");
    assert!(
        streamed == yaml.as_bytes(),
        "{} ({profile:?}): the YAML stream, lowered as it is written, differs from the YAML of the objects",
        main.display()
    );
    yaml
}

fn snapshot_name(main: &Path, profile: Option<&str>) -> String {
    let case = if main.starts_with("examples") {
        main.file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default()
    } else {
        main.parent()
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default()
    };
    format!("{case}@{}", profile.unwrap_or("base"))
}

#[test]
fn cases_compile_to_their_snapshots() {
    for main in cases() {
        for profile in profiles(&main) {
            let yaml = compile_yaml(&main, profile.as_deref());
            insta::with_settings!({
                snapshot_path => "../data/compile/snapshots",
                prepend_module_to_snapshot => false,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(snapshot_name(&main, profile.as_deref()), yaml);
            });
        }
    }
}

#[test]
fn output_is_byte_identical_across_runs_and_path_spellings() {
    let demo = Path::new("examples/demo.floe");
    for profile in [Some("local"), Some("production")] {
        let first = compile_yaml(demo, profile);
        let second = compile_yaml(demo, profile);
        let other_spelling = compile_yaml(Path::new("./examples/../examples/demo.floe"), profile);
        assert_eq!(first, second, "two compiles differ ({profile:?})");
        assert_eq!(
            first, other_spelling,
            "the path spelling changes the output ({profile:?})"
        );
    }
}

#[test]
fn every_object_passes_the_kubernetes_schemas() {
    let validator = support::python_tool("kubernetes-validate", "kubernetes-validate");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for main in cases() {
        for profile in profiles(&main) {
            let path = dir
                .path()
                .join(format!("{}.yaml", snapshot_name(&main, profile.as_deref())));
            std::fs::write(&path, compile_yaml(&main, profile.as_deref())).expect("write");
            files.push(path);
        }
    }
    for version in KUBERNETES {
        let output = Command::new(&validator)
            .args(["--strict", "--quiet", "-k", version])
            .args(&files)
            .output()
            .expect("kubernetes-validate runs");
        assert!(
            output.status.success(),
            "objects fail the Kubernetes {version} schemas:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Applied by Argo CD, the objects come in the plan's order: every object of a plan
/// step has the sync wave one after its plan wave, so each comes in a later wave
/// than every step it waits for, and all other objects are in wave 0, before them.
#[test]
fn argo_cd_sync_waves_follow_the_plan() {
    for main in cases() {
        for profile in profiles(&main) {
            let program = program::load(&RealFs, &main).expect("readable");
            let compilation = floe::compile_with(&program, &RealFs, profile.as_deref(), None);
            let stack = compilation.stack.as_ref().expect("a stack without errors");
            let plan = floe::plan::plan(stack);
            let mut wave_of = std::collections::BTreeMap::new();
            for object in &compilation.objects {
                let annotations = object.metadata().annotations.clone().unwrap_or_default();
                let wave = annotations
                    .get(floe::plan::SYNC_WAVE)
                    .map(|w| w.parse::<usize>().expect("a number"));
                match annotations.get(floe::plan::STEP) {
                    Some(step) => {
                        let wave = wave.expect("a step's object has a sync wave");
                        wave_of.insert(step.clone(), wave);
                    }
                    None => assert_eq!(wave, None, "{} {}", object.kind(), object.name()),
                }
            }
            for step in plan.waves.iter().flat_map(|w| &w.steps) {
                let wave = wave_of[&step.key()];
                assert!(wave >= 1, "{}", step.key());
                for before in &step.after {
                    assert!(
                        wave_of[before] < wave,
                        "{} ({profile:?}): {} in wave {wave}, {before} in wave {}",
                        main.display(),
                        step.key(),
                        wave_of[before]
                    );
                }
            }
        }
    }
}
