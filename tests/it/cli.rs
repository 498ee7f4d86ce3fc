//! The command line, end to end: exit codes, `compile -o DIR [--check]`, `plan` in
//! every format, `explain`, and that no secret value ever reaches an output.

use std::process::{Command, Output};

use serde::Deserialize;

use crate::support;

fn floe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_floe"))
        .args(args)
        .current_dir(support::root())
        .output()
        .expect("floe runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn exit_codes_say_what_happened() {
    assert_eq!(
        floe(&["check", "examples/demo.floe"]).status.code(),
        Some(0)
    );
    let broken = floe(&["check", "tests/data/ui/e0102_unknown_field.floe"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(text(&broken.stderr).contains("E0102"));
    let missing = floe(&["compile", "no/such/file.floe"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("E0115"),
        "{}",
        text(&missing.stderr)
    );
    let misuse = floe(&["compile"]);
    assert_eq!(misuse.status.code(), Some(2));
    let unknown_profile = floe(&["compile", "examples/demo.floe", "--profile", "prod"]);
    assert_eq!(unknown_profile.status.code(), Some(1));
    let stderr = text(&unknown_profile.stderr);
    assert!(
        stderr.contains("E0110") && stderr.contains("did you mean `production`?"),
        "{stderr}"
    );
}

/// A temporary directory, and the `deploy` directory in it as a path and as an
/// argument.
fn deploy_dir() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("deploy");
    let arg = out.to_string_lossy().to_string();
    (dir, out, arg)
}

/// `floe compile` of the demo's local profile into `out`.
fn compile_demo_into(out: &str) -> [&str; 6] {
    ["compile", "examples/demo.floe", "-p", "local", "-o", out]
}

/// The names of the files in a directory, sorted.
fn file_names(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("written")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    files.sort();
    files
}

#[test]
fn compile_writes_a_directory_and_check_detects_drift() {
    let (_dir, out, out_arg) = deploy_dir();
    let args = compile_demo_into(&out_arg);
    assert_eq!(floe(&args).status.code(), Some(0));
    let files = file_names(&out);
    assert!(
        files.first().is_some_and(|f| f.starts_with("0-namespace-")),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("4-statefulset-") || f.starts_with("4-deployment-"))
    );

    // Up to date.
    let check = floe(&[&args[..], &["--check"]].concat());
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));

    // A changed, a missing and a stale file are all reported, and nothing is written.
    let first = out.join(&files[0]);
    std::fs::write(&first, "changed").expect("write");
    std::fs::remove_file(out.join(&files[1])).expect("remove");
    std::fs::write(out.join("6-job-gone.yaml"), "stale").expect("write");
    let check = floe(&[&args[..], &["--check"]].concat());
    assert_eq!(check.status.code(), Some(1));
    let report = text(&check.stderr);
    assert!(
        report.contains(&format!("changed: {}", files[0])),
        "{report}"
    );
    assert!(
        report.contains(&format!("missing: {}", files[1])),
        "{report}"
    );
    assert!(report.contains("stale:   6-job-gone.yaml"), "{report}");
    assert_eq!(std::fs::read_to_string(&first).expect("read"), "changed");

    // Writing again repairs the directory and removes the stale file, and only files
    // named as floe names its objects: the user's own stay, and --check ignores them.
    for own in ["README.md", "10-values-prod.yaml", "0-notes.yaml"] {
        std::fs::write(out.join(own), "mine").expect("write");
    }
    assert_eq!(floe(&args).status.code(), Some(0));
    assert!(!out.join("6-job-gone.yaml").exists());
    for own in ["README.md", "10-values-prod.yaml", "0-notes.yaml"] {
        assert_eq!(
            std::fs::read_to_string(out.join(own)).expect("kept"),
            "mine"
        );
    }
    assert_eq!(
        floe(&[&args[..], &["--check"]].concat()).status.code(),
        Some(0)
    );
}

/// The directory is a kustomization: kubectl's own kustomize builds it into exactly
/// the objects of the files, and a changed kustomization.yaml is drift like any file.
#[test]
fn the_directory_is_a_kustomization_kubectl_builds() {
    let (_dir, out, out_arg) = deploy_dir();
    let args = compile_demo_into(&out_arg);
    let wrote = floe(&args);
    assert_eq!(wrote.status.code(), Some(0), "{}", text(&wrote.stderr));
    let mut files = file_names(&out);
    files.retain(|f| f != "kustomization.yaml");
    let kustomization = std::fs::read_to_string(out.join("kustomization.yaml")).expect("written");
    let listed: Vec<&str> = kustomization
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .collect();
    assert_eq!(listed, files, "{kustomization}");
    assert!(
        text(&wrote.stderr).contains(&format!("wrote {} objects", files.len())),
        "{}",
        text(&wrote.stderr)
    );

    let built = Command::new("kubectl")
        .args(["kustomize", &out_arg])
        .output()
        .expect("kubectl runs");
    assert!(built.status.success(), "{}", text(&built.stderr));
    let names = |yaml: &str| -> Vec<String> {
        let mut names: Vec<String> = serde_yaml_ng::Deserializer::from_str(yaml)
            .map(|doc| {
                let value = serde_yaml_ng::Value::deserialize(doc).expect("a YAML document");
                format!(
                    "{}/{}",
                    value["kind"].as_str().unwrap_or(""),
                    value["metadata"]["name"].as_str().unwrap_or("")
                )
            })
            .filter(|n| n != "/")
            .collect();
        names.sort();
        names
    };
    let compiled = floe(&["compile", "examples/demo.floe", "-p", "local"]);
    assert_eq!(names(&text(&built.stdout)), names(&text(&compiled.stdout)));

    std::fs::write(out.join("kustomization.yaml"), "resources: []\n").expect("write");
    let check = floe(&[&args[..], &["--check"]].concat());
    assert_eq!(check.status.code(), Some(1));
    assert!(text(&check.stderr).contains("changed: kustomization.yaml"));
}

/// `floe check --profile P` lists the Secret keys a run fills from its environment,
/// which must exist in the cluster when the files are applied without `floe run`;
/// without a profile, or with errors, it lists nothing.
#[test]
fn check_with_a_profile_lists_the_secret_keys_from_the_environment() {
    let dir = tempfile::tempdir().expect("temp dir");
    let main = dir.path().join("main.floe");
    std::fs::write(
        &main,
        r#"stack shop { namespace = "shop" }
secret db_auth {
  password = env("DB_PASSWORD")
  salt = generate(16)
}
secret api_keys { stripe = env("STRIPE_KEY") }
profile prod {}
"#,
    )
    .expect("write");
    let path = main.to_string_lossy().to_string();
    let listed = floe(&["check", &path, "--profile", "prod"]);
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let stdout = text(&listed.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].contains("namespace `shop`"), "{stdout}");
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["db-auth", "password", "from", "$DB_PASSWORD"]
    );
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["api-keys", "stripe", "from", "$STRIPE_KEY"]
    );
    assert!(!stdout.contains("salt"), "{stdout}");
    assert_eq!(text(&floe(&["check", &path]).stdout), "");
    let json = floe(&["check", &path, "-p", "prod", "--message-format", "json"]);
    assert_eq!(text(&json.stdout), "");
}

#[test]
fn json_output_is_a_kubernetes_list_with_the_same_objects() {
    let yaml = floe(&["compile", "examples/demo.floe", "-p", "production"]);
    let json = floe(&[
        "compile",
        "examples/demo.floe",
        "-p",
        "production",
        "--format",
        "json",
    ]);
    assert_eq!(json.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().expect("items");
    let documents = text(&yaml.stdout).matches("\n---\n").count() + 1;
    assert_eq!(items.len(), documents);
}

#[test]
fn plan_prints_waves_in_every_format() {
    let plan = floe(&["plan", "tests/data/compile/files/main.floe"]);
    assert_eq!(plan.status.code(), Some(0));
    insta::with_settings!({
        snapshot_path => "../data/cli/snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("plan_text", text(&plan.stdout));
    });
    for (format, check) in [
        ("json", "\"waves\""),
        ("dot", "digraph"),
        ("mermaid", "flowchart LR"),
    ] {
        let out = floe(&[
            "plan",
            "tests/data/compile/files/main.floe",
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            text(&out.stdout).contains(check),
            "{format}: {}",
            text(&out.stdout)
        );
    }
    let json = floe(&["plan", "examples/demo.floe", "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let waves = plan["waves"].as_array().expect("waves");
    // Every step comes after the steps it waits for.
    let mut seen = std::collections::HashSet::new();
    for wave in waves {
        let steps = wave["steps"].as_array().expect("steps");
        for step in steps {
            for dep in step["after"].as_array().expect("after") {
                assert!(
                    seen.contains(dep.as_str().expect("text")),
                    "{dep} not before {step}"
                );
            }
        }
        for step in steps {
            seen.insert(format!(
                "{}/{}",
                step["kind"].as_str().unwrap_or(""),
                step["name"].as_str().unwrap_or("")
            ));
        }
    }
}

#[test]
fn explain_prints_the_page_of_a_code() {
    let out = floe(&["explain", "e0203"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("# E0203: secret value interpolated"));
    assert_eq!(floe(&["explain", "E9999"]).status.code(), Some(2));
}

/// Secret values — literal, generated or from the environment — appear in no
/// compiled output, plan or message.
#[test]
fn secret_values_never_leave() {
    const CANARY: &str = "canary-7f3a91c2";
    let dir = tempfile::tempdir().expect("temp dir");
    let main = dir.path().join("main.floe");
    std::fs::write(
        &main,
        format!(
            r#"stack leak {{}}
secret creds {{
  literal = "{CANARY}"
  generated = generate(32)
  from_env = env("FLOE_TEST_CANARY")
  joined = "user:${{literal}}"
}}
service app {{
  image = "ghcr.io/example/app:1.0.0"
  env = {{ A = creds.literal, B = creds.joined, C = creds.from_env }}
  files = {{ "/etc/secret" = creds.generated }}
}}
hook init {{
  image = "ghcr.io/example/app:1.0.0"
  after = app
  env = {{ TOKEN = creds.literal }}
}}
"#
        ),
    )
    .expect("write");
    let path = main.to_string_lossy().to_string();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_floe"))
            .args(args)
            .env("FLOE_TEST_CANARY", CANARY)
            .output()
            .expect("floe runs")
    };
    let outputs = [
        run(&["check", &path]),
        run(&["compile", &path]),
        run(&["compile", &path, "--format", "json"]),
        run(&["compile", &path, "--message-format", "json"]),
        run(&["plan", &path, "--format", "json"]),
    ];
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains(CANARY), "a secret value leaked:\n{all}");
    }
    // The literal is warned about, by name, without its value.
    let warning = text(&outputs[0].stderr);
    assert!(
        warning.contains("W0001") && warning.contains("creds.literal"),
        "{warning}"
    );

    // A mistake that interpolates the secret names it without showing it.
    std::fs::write(
        &main,
        format!(
            "stack leak {{}}\nsecret creds {{ literal = \"{CANARY}\" }}\nservice app {{\n  image = \"ghcr.io/example/app:1.0.0\"\n  env = {{ URL = \"http://u:${{creds.literal}}@db\" }}\n}}\n"
        ),
    )
    .expect("write");
    let out = run(&["check", &path]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("E0203") && stderr.contains("creds.literal"),
        "{stderr}"
    );
    // Quoted source lines show literal secret values masked.
    std::fs::write(
        &main,
        format!("stack leak {{}}\nsecret creds {{ literal = \"{CANARY}\", bad = 3 }}\n"),
    )
    .expect("write");
    let out = run(&["check", &path]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("E0201") && stderr.contains("W0001"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(CANARY),
        "a secret value was quoted:\n{stderr}"
    );
}

/// `floe run` on a cluster: a missing `env()` variable stops it before it connects,
/// pointing at the key; a kubeconfig that cannot be read is a clear error; neither
/// shows a secret value.
#[test]
fn run_on_a_cluster_checks_the_environment_first() {
    const CANARY: &str = "canary-0b7e4410";
    let dir = tempfile::tempdir().expect("temp dir");
    let main = dir.path().join("main.floe");
    std::fs::write(
        &main,
        "stack app {}\nsecret creds {\n  token = env(\"FLOE_TEST_TOKEN\")\n  other = env(\"FLOE_TEST_OTHER\")\n}\n\
         service app {\n  image = \"ghcr.io/example/app:1.0.0\"\n  env = { T = creds.token, O = creds.other }\n}\n",
    )
    .expect("write");
    let path = main.to_string_lossy().to_string();
    let missing = dir.path().join("no-kubeconfig");
    let run = |vars: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_floe"));
        command
            .args(["run", &path, "--kubeconfig", &missing.to_string_lossy()])
            .env_remove("FLOE_TEST_OTHER")
            .env_remove("FLOE_TEST_TOKEN");
        for (k, v) in vars {
            command.env(k, v);
        }
        command.output().expect("floe runs")
    };
    let first = run(&[("FLOE_TEST_TOKEN", CANARY)]);
    let stderr = text(&first.stderr);
    assert_eq!(first.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("R0001")
            && stderr.contains("error[R0001]: environment variables not set: `FLOE_TEST_OTHER`")
            && stderr.contains("main.floe:4:11]")
            && stderr.contains("╰── `creds.other` reads `FLOE_TEST_OTHER`")
            && stderr.contains("nothing was applied"),
        "{stderr}"
    );
    let out = run(&[("FLOE_TEST_TOKEN", CANARY), ("FLOE_TEST_OTHER", CANARY)]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: cannot read kubeconfig"), "{stderr}");
    for out in [&first, &out] {
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains(CANARY), "a secret value leaked:\n{all}");
    }
    let help = text(&floe(&["run", "--help"]).stdout);
    for words in [
        "--context",
        "--kubeconfig",
        "--force-conflicts",
        "--dry-run",
        "docs/guide-docker-desktop.md",
    ] {
        assert!(help.contains(words), "{words} is not in:\n{help}");
    }
}

/// A stack large enough that its YAML is written on several threads, in pieces:
/// the command's stream holds every object once, in order, each as it is alone.
#[test]
fn a_large_stack_is_written_whole_and_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut source = String::from("stack big { namespace = \"big\" }\n");
    for i in 0..1_500 {
        source.push_str(&format!(
            "service s{i} {{\n  image = \"example/app:1.{i}\"\n  ports = {{ http = 8080 }}\n}}\n"
        ));
    }
    let path = dir.path().join("big.floe");
    std::fs::write(&path, &source).expect("write the stack");
    let out = floe(&["compile", path.to_str().expect("a UTF-8 path")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let fs = floe::program::RealFs;
    let program = floe::program::load(&fs, &path).expect("the stack loads");
    let compilation = floe::compile(&program, &fs, None);
    assert!(compilation.objects.len() > 4_000);
    let one_by_one: String = compilation
        .objects
        .iter()
        .map(|object| {
            let value = serde_json::to_value(object).expect("an object as JSON");
            format!("---\n{}", floe::emit::to_yaml_value(&value))
        })
        .collect();
    assert!(text(&out.stdout) == one_by_one, "the stream differs");
}
