//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};

/// The repository root (tests run with it as the working directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir` (recursively) whose name ends with `suffix`, sorted, as
/// paths relative to the repository root.
pub fn files_under(dir: &str, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(&root().join(dir), suffix, &mut out);
    out.sort();
    out.into_iter()
        .map(|p| p.strip_prefix(root()).map(Path::to_path_buf).unwrap_or(p))
        .collect()
}

/// Every file under the absolute directory `dir` whose name ends with `suffix`,
/// sorted.
pub fn files_under_abs(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(dir, suffix, &mut out);
    out.sort();
    out
}

fn collect(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, suffix, out);
        } else if path.to_string_lossy().ends_with(suffix) {
            out.push(path);
        }
    }
}

/// A command-line tool from PyPI: on the PATH, or installed once into the test
/// tools' virtual environment (PyPI is the only download tests make).
pub fn python_tool(command: &str, package: &str) -> PathBuf {
    use std::process::Command;
    let _guard = pip_lock();
    let on_path = Command::new(command)
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success());
    if on_path {
        return PathBuf::from(command);
    }
    let tool = venv().join("bin").join(command);
    if !tool.exists() {
        pip_install(&[package]);
    }
    tool
}

/// The Python of the test tools' virtual environment, with `packages` installed
/// once (`module` is imported to tell whether they are).
pub fn python_with(module: &str, packages: &[&str]) -> PathBuf {
    use std::process::Command;
    let _guard = pip_lock();
    let python = venv().join("bin/python");
    let imports = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !imports {
        pip_install(packages);
    }
    python
}

fn pip_lock() -> std::sync::MutexGuard<'static, ()> {
    use std::sync::Mutex;
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The virtual environment under `target/test-tools`, made when missing.
fn venv() -> PathBuf {
    let venv = root().join("target/test-tools/venv");
    if !venv.join("bin/pip").exists() {
        let status = std::process::Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "cannot create {}",
            venv.display()
        );
    }
    venv
}

fn pip_install(packages: &[&str]) {
    let venv = venv();
    let status = std::process::Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet"])
        .args(packages)
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "cannot install {packages:?} from PyPI into {}",
        venv.display()
    );
}
