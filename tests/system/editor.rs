//! The language server under a real editor: Neovim's built-in LSP client.

use std::process::{Command, Stdio};

use serde_json::Value;

/// Neovim (0.7 or newer, `apt-get install neovim`; `.ci/run` installs it) as the
/// client: its built-in LSP client must receive the diagnostics of a file with
/// errors, in the columns Neovim counts, and follow a definition into the standard
/// library. Without Neovim the test fails: it never passes without running.
#[test]
fn neovim_receives_diagnostics_and_follows_definitions() {
    let version = Command::new("nvim").arg("--version").output();
    let Ok(version) = version.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()) else {
        panic!("Neovim is not installed: `apt-get install neovim` (Debian), as .ci/run does");
    };
    assert!(
        version.starts_with("NVIM v0."),
        "unexpected `nvim --version`: {version}"
    );
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
    let file = work.path().join("main.floe");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lsp/neovim");
    std::fs::copy(fixture.join("main.floe"), &file).unwrap_or_else(|e| panic!("copy: {e}"));
    let out = work.path().join("out.json");
    let status = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {}", fixture.join("client.lua").display()))
        .env("FLOE", env!("CARGO_BIN_EXE_floe"))
        .env("FLOE_FILE", &file)
        .env("FLOE_OUT", &out)
        .env("XDG_CACHE_HOME", work.path().join("cache"))
        .env("XDG_STATE_HOME", work.path().join("state"))
        .env("XDG_DATA_HOME", work.path().join("data"))
        .env("XDG_CONFIG_HOME", work.path().join("config"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run nvim: {e}"));
    assert!(status.success(), "nvim exited with {status}");
    let text =
        std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("Neovim wrote no result: {e}"));
    let result: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    insta::assert_snapshot!(
        "neovim",
        serde_json::to_string_pretty(&result).unwrap_or_default()
    );
}
