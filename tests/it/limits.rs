//! Hostile input through the command line: deep nesting, huge files and lines, long
//! import chains and cycles, symlinks out of the project, bytes that are not UTF-8, a
//! BOM, CRLF line endings, NUL bytes and numbers past every limit. Each gives its
//! diagnostic and the exit code of a user error (or compiles, where the input is
//! valid) — never a panic, a stack overflow or a hang.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// Longer than any of these inputs needs by two orders of magnitude: a run that takes
/// it has hung.
const HANG: Duration = Duration::from_secs(60);

const STACK: &str = "stack limits {\n  namespace = \"limits\"\n}\n";

struct Run {
    code: Option<i32>,
    stderr: String,
    /// The diagnostics, from `--message-format json`.
    diagnostics: Vec<Value>,
}

/// `floe check FILE --message-format json` in `dir`, killed when it hangs.
fn check(dir: &Path, file: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_floe"))
        .args(["check", file, "--message-format", "json"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("floe starts");
    let mut pipe = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        pipe.read_to_string(&mut text).map(|_| text)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("floe can be waited for") {
            break status;
        }
        if started.elapsed() > HANG {
            child.kill().expect("a hung floe can be killed");
            panic!("`floe check {file}` hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = reader
        .join()
        .expect("stderr is read")
        .expect("stderr is text");
    for crash in ["panicked", "stack overflow", "RUST_BACKTRACE", "SIGSEGV"] {
        assert!(
            !stderr.contains(crash),
            "`floe check {file}` crashed:\n{stderr}"
        );
    }
    let diagnostics = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a diagnostic is JSON"))
        .collect();
    Run {
        code: status.code(),
        stderr,
        diagnostics,
    }
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("a directory is created");
    }
    std::fs::write(path, contents).expect("a file is written");
}

/// Asserts that the only error is `code`, in `file`, at `line` (one-based) and, when
/// given, `column`.
fn assert_error(run: &Run, code: &str, file: &str, line: u64, column: Option<u64>) {
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let errors: Vec<&Value> = run
        .diagnostics
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    let [error] = errors.as_slice() else {
        panic!("one error expected:\n{}", run.stderr);
    };
    assert_eq!(error["code"], code, "{}", run.stderr);
    assert!(
        error["file"].as_str().is_some_and(|f| f.ends_with(file)),
        "{}",
        run.stderr
    );
    assert_eq!(error["start_line"], line, "{}", run.stderr);
    if let Some(column) = column {
        assert_eq!(error["start_column"], column, "{}", run.stderr);
    }
}

/// Asserts an error about a file that could not be read, saying `why`.
fn assert_unreadable(run: &Run, why: &str) {
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let [error] = run.diagnostics.as_slice() else {
        panic!("one error expected:\n{}", run.stderr);
    };
    assert_eq!(error["code"], "E0115", "{}", run.stderr);
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains(why), "{}", run.stderr);
}

fn project() -> TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

#[test]
fn ten_thousand_nested_records_and_lists() {
    let dir = project();
    let depth = 10_000;
    for (file, open, close) in [("records.floe", "{ a = ", " }"), ("lists.floe", "[", "]")] {
        let text = format!(
            "{STACK}\nlet deep = {}1{}\n",
            open.repeat(depth),
            close.repeat(depth)
        );
        write(dir.path(), file, text);
        assert_error(&check(dir.path(), file), "E0007", file, 5, None);
    }
}

#[test]
fn long_lines_and_strings() {
    let dir = project();
    let long = "x".repeat(8 << 20);
    let valid = format!(
        "{STACK}\nservice app {{\n  image = \"nginx:1.27\"\n  env = {{ BIG = \"{long}\" }}\n}}\n"
    );
    write(dir.path(), "valid.floe", &valid);
    let run = check(dir.path(), "valid.floe");
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    let line = format!("{STACK}\nlet wide = [{}missing]\n", "1, ".repeat(200_000));
    write(dir.path(), "wide.floe", line);
    let run = check(dir.path(), "wide.floe");
    assert_error(&run, "E0101", "wide.floe", 5, Some(600_013));
    let human = Command::new(env!("CARGO_BIN_EXE_floe"))
        .args(["check", "wide.floe", "--color", "never"])
        .current_dir(dir.path())
        .output()
        .expect("floe runs");
    let human = String::from_utf8_lossy(&human.stderr);
    assert!(human.contains("at wide.floe:5:600013"), "{human}");
    assert!(
        human.len() < 2_000,
        "the long line is not printed:\n{human}"
    );
}

#[test]
fn a_file_of_a_hundred_megabytes() {
    let dir = project();
    let mut text = String::from(STACK);
    while text.len() < 100 << 20 {
        text.push_str("// padding padding padding padding padding padding padding padding\n");
    }
    write(dir.path(), "huge.floe", text);
    assert_unreadable(&check(dir.path(), "huge.floe"), "up to 64 MiB");
}

#[test]
fn deep_import_chains_and_cycles() {
    let dir = project();
    write(
        dir.path(),
        "chain.floe",
        format!("import \"./m/0.floe\"\n{STACK}"),
    );
    for i in 0..100 {
        write(
            dir.path(),
            &format!("m/{i}.floe"),
            format!("import \"./{}.floe\"\n", i + 1),
        );
    }
    write(dir.path(), "m/100.floe", "let end = 1\n");
    assert_error(
        &check(dir.path(), "chain.floe"),
        "E0116",
        "m/62.floe",
        1,
        Some(8),
    );

    write(
        dir.path(),
        "cycle.floe",
        format!("import \"./c/a.floe\"\n{STACK}"),
    );
    write(dir.path(), "c/a.floe", "import \"./b.floe\"\n");
    write(dir.path(), "c/b.floe", "import \"./a.floe\"\n");
    let run = check(dir.path(), "cycle.floe");
    assert_error(&run, "E0109", "b.floe", 1, Some(8));
    let message =
        run.diagnostics[0]["message"].to_string() + &run.diagnostics[0]["help"].to_string();
    assert!(
        message.contains("a.floe") && message.contains("b.floe"),
        "the chain is named:\n{}",
        run.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_project() {
    let outside = project();
    write(outside.path(), "secret.floe", "let stolen = 1\n");
    let dir = project();
    std::os::unix::fs::symlink(
        outside.path().join("secret.floe"),
        dir.path().join("link.floe"),
    )
    .expect("a symlink is made");
    write(
        dir.path(),
        "main.floe",
        format!("import \"./link.floe\"\n{STACK}"),
    );
    assert_error(
        &check(dir.path(), "main.floe"),
        "E0108",
        "main.floe",
        1,
        Some(8),
    );
}

#[test]
fn bytes_that_are_not_text() {
    let dir = project();
    let mut latin1 = STACK.as_bytes().to_vec();
    latin1.extend_from_slice(b"// caf\xe9\n");
    write(dir.path(), "latin1.floe", latin1);
    assert_unreadable(&check(dir.path(), "latin1.floe"), "not UTF-8");

    write(dir.path(), "nul.floe", format!("{STACK}\nlet a = 1\0\n"));
    assert_error(
        &check(dir.path(), "nul.floe"),
        "E0001",
        "nul.floe",
        5,
        Some(10),
    );

    write(
        dir.path(),
        "binary.floe",
        [0u8, 159, 146, 150, 0, 255, 254, 0],
    );
    assert_unreadable(&check(dir.path(), "binary.floe"), "not UTF-8");
}

#[test]
fn a_bom_and_crlf_line_endings_are_text() {
    let dir = project();
    let body = format!("{STACK}\nservice app {{\n  image = \"nginx:1.27\"\n}}\n");
    write(dir.path(), "bom.floe", format!("\u{feff}{body}"));
    let run = check(dir.path(), "bom.floe");
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    write(dir.path(), "crlf.floe", body.replace('\n', "\r\n"));
    let run = check(dir.path(), "crlf.floe");
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    let broken =
        format!("{STACK}\nservice app {{\n  image = \"nginx:1.27\"\n  replicas = \"two\"\n}}\n");
    write(dir.path(), "crlf-error.floe", broken.replace('\n', "\r\n"));
    assert_error(
        &check(dir.path(), "crlf-error.floe"),
        "E0201",
        "crlf-error.floe",
        7,
        Some(14),
    );
}

#[test]
fn numbers_past_every_limit() {
    let dir = project();
    let cases = [
        ("size = 99999999999999999999Gi", "E0005"),
        ("size = 18446744073709551615Ei", "E0005"),
        ("size = 9223372036854775807Gi", "E0005"),
    ];
    for (i, (field, code)) in cases.iter().enumerate() {
        let name = format!("quantity{i}.floe");
        let text = format!(
            "{STACK}\nservice minio {{\n  image = \"minio/minio:latest\"\n  volumes = {{ data = {{ mount = \"/data\", {field} }} }}\n}}\n"
        );
        write(dir.path(), &name, text);
        assert_error(&check(dir.path(), &name), code, &name, 7, None);
    }
    let mut ints = String::from(STACK);
    let _ = write!(
        ints,
        "\nservice app {{\n  image = \"nginx:1.27\"\n  replicas = 99999999999999999999999\n}}\n"
    );
    write(dir.path(), "int.floe", ints);
    assert_error(
        &check(dir.path(), "int.floe"),
        "E0005",
        "int.floe",
        7,
        Some(14),
    );

    let identifier = "a".repeat(100_000);
    write(
        dir.path(),
        "ident.floe",
        format!("{STACK}\nlet {identifier} = 1\nlet b = {identifier}x\n"),
    );
    assert_error(
        &check(dir.path(), "ident.floe"),
        "E0101",
        "ident.floe",
        6,
        Some(9),
    );
}

/// Ten thousand services whose ports each name the one before's: as many
/// instances as a stack checked in parallel pieces has, each of which would follow
/// the chain back to its start.
#[test]
fn a_chain_of_ten_thousand_references_in_source_order() {
    let dir = project();
    let mut text =
        format!("{STACK}\nservice s0 {{\n  image = \"a:1\"\n  ports = {{ http = 80 }}\n}}\n");
    for i in 1..10_000 {
        let before = i - 1;
        text.push_str(&format!(
            "service s{i} {{\n  image = \"a:1\"\n  ports = {{ http = s{before}.ports.http }}\n}}\n"
        ));
    }
    write(dir.path(), "chain.floe", text);
    let run = check(dir.path(), "chain.floe");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.diagnostics.iter().all(|d| d["code"] == "E0201"),
        "{:?}",
        run.diagnostics
    );
}

/// Ten thousand `let`s, each naming the next: the chain is too long to follow,
/// and said so.
#[test]
fn a_chain_of_ten_thousand_lets() {
    let dir = project();
    let mut text = format!("{STACK}\n");
    for i in 0..10_000 {
        let next = i + 1;
        text.push_str(&format!("let v{i} = v{next}\n"));
    }
    text.push_str("let v10000 = \"s3://lake\"\n");
    write(dir.path(), "lets.floe", text);
    let run = check(dir.path(), "lets.floe");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.diagnostics.iter().any(|d| d["code"] == "E0215"),
        "{:?}",
        run.diagnostics
    );
}
