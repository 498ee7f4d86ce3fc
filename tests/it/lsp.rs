//! The language server through a real client: `floe lsp` is spawned and spoken to in
//! JSON-RPC over its standard input and output, as an editor does. Responses are
//! insta snapshots, with the checkout's and the cache's paths replaced by `ROOT` and
//! `CACHE` so that they do not depend on where the tests run.
//!
//! The same server under Neovim's built-in client is in the system suite
//! (`tests/system/editor.rs`).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support;

const TIMEOUT: Duration = Duration::from_secs(30);

/// A client speaking to one `floe lsp` process.
pub struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    /// Notifications received while waiting for something else.
    backlog: Vec<Value>,
    next_id: i64,
    cache: tempfile::TempDir,
}

impl Client {
    pub fn start() -> Client {
        let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_floe"))
            .arg("lsp")
            .env("XDG_CACHE_HOME", cache.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start floe lsp: {e}"));
        let stdin = child.stdin.take().unwrap_or_else(|| panic!("stdin"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
        let (sender, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            incoming,
            backlog: Vec::new(),
            next_id: 0,
            cache,
        };
        let root = uri(&support::root());
        let result = client.request(
            "initialize",
            json!({ "processId": null, "rootUri": root, "capabilities": {} }),
        );
        assert_eq!(result["capabilities"]["positionEncoding"], "utf-16");
        client.notify("initialized", json!({}));
        client
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.stdin
            .write_all(frame.as_bytes())
            .and_then(|()| self.stdin.flush())
            .unwrap_or_else(|e| panic!("cannot write to floe lsp: {e}"));
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its response: the result, or `{"error": ...}`.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let response = self.wait(|m| m["id"] == id && m.get("method").is_none());
        match response.get("error") {
            Some(error) => json!({ "error": error }),
            None => response["result"].clone(),
        }
    }

    /// The next message that `wanted` accepts; others are kept for later.
    fn wait(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&wanted) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(m) if wanted(&m) => return m,
                Ok(m) => self.backlog.push(m),
                Err(RecvTimeoutError::Timeout) => panic!(
                    "no answer from floe lsp in {TIMEOUT:?}; got {:#?}",
                    self.backlog
                ),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("floe lsp stopped; got {:#?}", self.backlog)
                }
            }
        }
    }

    /// The next diagnostics published for a document.
    pub fn diagnostics(&mut self, uri: &str) -> Value {
        let m = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"].clone()
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "floe", "version": 1, "text": text } }),
        );
    }

    /// Replaces a document's whole text.
    pub fn replace(&mut self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// A request at a position of a document.
    pub fn at(&mut self, method: &str, uri: &str, position: Value) -> Value {
        self.request(
            method,
            json!({ "textDocument": { "uri": uri }, "position": position }),
        )
    }

    /// Replaces the paths of this run by `ROOT` and `CACHE`.
    pub fn normalize(&self, value: &Value) -> String {
        let mut value = value.clone();
        sort_changes(&mut value);
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        let cache = uri(self.cache.path());
        let root = uri(&support::root());
        text.replace(&cache, "file:///CACHE")
            .replace(&root, "file:///ROOT")
    }

    pub fn shutdown(mut self) {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    assert!(status.success(), "floe lsp exited with {status}");
                    return;
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => panic!("floe lsp did not exit"),
            }
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Orders a workspace edit's files by URI (the server sends a map).
fn sort_changes(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(changes)) = map.get_mut("changes") {
                let mut sorted: Vec<(String, Value)> =
                    std::mem::take(changes).into_iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                changes.extend(sorted);
            }
            map.values_mut().for_each(sort_changes);
        }
        Value::Array(items) => items.iter_mut().for_each(sort_changes),
        _ => {}
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// The `file:` URI of a path (without a trailing slash).
pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
        .trim_end_matches('/')
        .to_string()
}

fn fixture(relative: &str) -> (String, String) {
    let path: PathBuf = support::root().join("tests/data/lsp").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (uri(&path), text)
}

/// The position of the `nth` occurrence of `needle` in `text`, plus `shift`
/// characters, in UTF-16 units as the protocol counts.
fn position(text: &str, needle: &str, nth: usize, shift: usize) -> Value {
    let offset = text
        .match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("`{needle}` #{nth} is not in the text"));
    let offset = offset
        + needle
            .chars()
            .take(shift)
            .map(char::len_utf8)
            .sum::<usize>();
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .encode_utf16()
        .count();
    json!({ "line": line, "character": column })
}

/// The answers to one request at several places, each labelled with the text there.
fn answers(
    client: &mut Client,
    method: &str,
    uri: &str,
    text: &str,
    places: &[(&str, usize, usize)],
) -> String {
    let mut out = Vec::new();
    for &(needle, nth, shift) in places {
        let answer = client.at(method, uri, position(text, needle, nth, shift));
        out.push(json!({ "at": format!("{needle} #{nth} +{shift}"), "answer": answer }));
    }
    client.normalize(&Value::Array(out))
}

#[test]
fn diagnostics_on_open_and_change_name_their_profiles() {
    let (uri, text) = fixture("main.floe");
    let mut client = Client::start();
    client.open(&uri, &text);
    assert_eq!(client.diagnostics(&uri), json!([]));
    let broken = text
        .replace("api.replicas = 3", "api.replicas = -1")
        .replace(
            "needs = [db, sessions]",
            "needs = [db, sessions]\n  replica = 2",
        )
        .replace("db.ports.pg}", "db.ports.pgg}")
        .replace(
            "let tag = \"2.1.0\"",
            "let tag = \"2.1.0\"\nlet tag = \"2.2.0\"",
        );
    client.replace(&uri, 2, &broken);
    let diagnostics = client.diagnostics(&uri);
    insta::assert_snapshot!("diagnostics", client.normalize(&diagnostics));
    client.replace(&uri, 3, &text);
    assert_eq!(client.diagnostics(&uri), json!([]));
    client.shutdown();
}

#[test]
fn diagnostics_in_an_imported_module_go_to_its_file() {
    let (main, text) = fixture("module_error/main.floe");
    let (lib, lib_text) = fixture("module_error/lib.floe");
    let mut client = Client::start();
    client.open(&main, &text);
    let for_lib = client.diagnostics(&lib);
    insta::assert_snapshot!("module_diagnostics", client.normalize(&for_lib));
    assert_eq!(client.diagnostics(&main), json!([]));
    // Opened, the module is checked through the stack; once the stack is closed,
    // on its own, with the same result.
    client.open(&lib, &lib_text);
    assert_eq!(client.diagnostics(&lib), for_lib);
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": main } }),
    );
    assert_eq!(client.diagnostics(&main), json!([]));
    assert_eq!(client.diagnostics(&lib), for_lib);
    client.shutdown();
}

#[test]
fn check_queries_are_verified_as_floe_check_does() {
    let (uri, text) = fixture("checks/main.floe");
    let mut client = Client::start();
    client.open(&uri, &text);
    assert_eq!(client.diagnostics(&uri), json!([]));
    let misspelt = text.replace("WHERE name IS NULL", "WHERE nmae IS NULL");
    client.replace(&uri, 2, &misspelt);
    let diagnostics = client.diagnostics(&uri);
    let [diagnostic] = diagnostics
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    else {
        panic!("one diagnostic expected: {diagnostics}");
    };
    assert_eq!(diagnostic["code"], "E0405");
    // The range is the misspelt column inside the SQL string, on line 12.
    let column = u64::try_from(
        misspelt
            .lines()
            .nth(11)
            .and_then(|l| l.find("nmae"))
            .unwrap_or(0),
    )
    .unwrap_or(0);
    assert_eq!(
        diagnostic["range"]["start"],
        json!({ "line": 11, "character": column })
    );
    assert_eq!(
        diagnostic["range"]["end"],
        json!({ "line": 11, "character": column + 4 })
    );
    client.shutdown();
}

#[test]
fn hover_shows_types_and_docs() {
    let (uri, text) = fixture("main.floe");
    let mut client = Client::start();
    client.open(&uri, &text);
    client.diagnostics(&uri);
    let places = [
        ("db.host", 0, 0),          // a reference to an instance of a std component
        ("db.ports.pg", 0, 9),      // a port of the instance's main service
        ("db.auth.password", 0, 3), // an item of the instance
        ("db.auth.password", 0, 9), // a secret key
        ("sessions.url", 0, 0),     // an instance of a local component
        ("(redis)", 0, 1),          // a port named in url()
        ("${tag}", 0, 2),           // a let
        ("api_keys.token", 0, 10),  // after non-ASCII text on the line
        ("image =", 0, 1),          // a field
        ("postgres db", 0, 2),      // a std component used as a kind
        ("memory = 512Mi", 0, 1),   // a component parameter set by an instance
        ("service api", 0, 2),      // a built-in kind
        ("http(", 0, 1),            // a built-in function
        ("\"std/postgres\"", 0, 3), // an import
        ("api.replicas", 0, 0),     // a profile path
        ("// The", 0, 3),           // a comment: nothing
    ];
    insta::assert_snapshot!(
        "hover",
        answers(&mut client, "textDocument/hover", &uri, &text, &places)
    );
    client.shutdown();
}

#[test]
fn definitions_lead_across_imports_and_into_the_stdlib() {
    let (uri, text) = fixture("main.floe");
    let mut client = Client::start();
    client.open(&uri, &text);
    client.diagnostics(&uri);
    let places = [
        ("postgres db", 0, 1),
        ("db.auth", 0, 4),
        ("cache sessions", 0, 1),
        ("(redis)", 0, 1),
        ("sessions.url", 0, 1),
        ("${tag}", 0, 3),
        ("\"./lib/common.floe\"", 0, 3),
        ("\"std/postgres\"", 0, 3),
    ];
    insta::assert_snapshot!(
        "definition",
        answers(&mut client, "textDocument/definition", &uri, &text, &places)
    );
    // The standard module the definition leads to is a read-only file in the cache,
    // and a definition inside it works too.
    let found = client.at(
        "textDocument/definition",
        &uri,
        position(&text, "postgres db", 0, 1),
    );
    let std_uri = found["uri"].as_str().unwrap_or_default().to_string();
    let path = std_uri.trim_start_matches("file://");
    let std_text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(Some(std_text.as_str()), floe::stdlib::source("postgres"));
    assert!(std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly()));
    client.open(&std_uri, &std_text);
    let inner = client.at(
        "textDocument/definition",
        &std_uri,
        position(&std_text, "= auth.password", 0, 3),
    );
    assert_eq!(inner["uri"], std_uri);
    assert_eq!(inner["range"]["start"], position(&std_text, "auth {", 0, 0));
    let renamed = client.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": std_uri }, "position": position(&std_text, "auth {", 0, 1), "newName": "credentials" }),
    );
    insta::assert_snapshot!("rename_in_stdlib", client.normalize(&renamed));
    client.shutdown();
}

#[test]
fn references_and_rename_cover_every_file() {
    let (uri, text) = fixture("main.floe");
    let (lib, lib_text) = fixture("lib/common.floe");
    let mut client = Client::start();
    client.open(&uri, &text);
    client.open(&lib, &lib_text);
    client.diagnostics(&uri);
    let references = client.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": position(&text, "db.host", 0, 0), "context": { "includeDeclaration": true } }),
    );
    insta::assert_snapshot!("references", client.normalize(&references));
    let rename = |client: &mut Client, uri: &str, at: Value, name: &str| {
        client.request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri }, "position": at, "newName": name }),
        )
    };
    let item = rename(
        &mut client,
        &uri,
        position(&text, "db.host", 0, 0),
        "database",
    );
    let parameter = rename(
        &mut client,
        &lib,
        position(&lib_text, "memory: bytes", 0, 0),
        "mem",
    );
    let component = rename(
        &mut client,
        &uri,
        position(&text, "cache sessions", 0, 0),
        "redis",
    );
    let port = rename(
        &mut client,
        &uri,
        position(&text, "http = 8080", 0, 0),
        "web",
    );
    let bad = rename(&mut client, &uri, position(&text, "db.host", 0, 0), "2db");
    let all = json!({ "item": item, "parameter": parameter, "component": component, "port": port, "bad name": bad });
    insta::assert_snapshot!("rename", client.normalize(&all));
    let prepared = client.request(
        "textDocument/prepareRename",
        json!({ "textDocument": { "uri": uri }, "position": position(&text, "${tag}", 0, 3) }),
    );
    assert_eq!(prepared["placeholder"], "tag");
    client.shutdown();
}

/// A fixture with the text at `|` removed: the text and the cursor's position.
fn with_cursor(text: &str, after: &str, insert: &str) -> (String, Value) {
    let at = text
        .find(after)
        .unwrap_or_else(|| panic!("`{after}` not in the text"))
        + after.len();
    let edited = format!("{}{insert}|{}", &text[..at], &text[at..]);
    let cursor = position(&edited, "|", 0, 0);
    (edited.replacen('|', "", 1), cursor)
}

#[test]
fn completion_offers_what_fits_the_cursor() {
    let (uri, text) = fixture("main.floe");
    let mut client = Client::start();
    client.open(&uri, &text);
    client.diagnostics(&uri);
    let cases = [
        ("top level", "}\n\n", "ser"),
        ("service fields", "ports = { http = 8080 }\n", "  rep"),
        (
            "stack defaults",
            "namespace = \"shop\"\n",
            "  defaults = { resources = { ",
        ),
        ("instance parameters", "database = \"shop\"\n", "  "),
        ("value", "needs = [db, sessions", ", "),
        (
            "ports of a service",
            "TOKEN = api_keys.token\n",
            "    PORT = db.ports.",
        ),
        (
            "url port",
            "TOKEN = api_keys.token\n",
            "    URL = sessions.url(",
        ),
        (
            "secret keys",
            "TOKEN = api_keys.token\n",
            "    KEY = api_keys.",
        ),
        (
            "instance members",
            "TOKEN = api_keys.token\n",
            "    X = sessions.",
        ),
        ("import path", "import \"std/postgres\"\n", "import \"std/"),
    ];
    let mut version = 1;
    let mut out = Vec::new();
    for (name, after, insert) in cases {
        let (edited, cursor) = with_cursor(&text, after, insert);
        version += 1;
        client.replace(&uri, version, &edited);
        let answer = client.at("textDocument/completion", &uri, cursor);
        let labels: Vec<Value> = answer
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| {
                json!(format!(
                    "{} — {}",
                    item["label"].as_str().unwrap_or(""),
                    item["detail"].as_str().unwrap_or("")
                ))
            })
            .collect();
        out.push(json!({ "case": name, "items": labels }));
    }
    insta::assert_snapshot!("completion", client.normalize(&Value::Array(out)));
    client.shutdown();
}

#[test]
fn a_broken_buffer_keeps_hover_and_definition_from_its_last_parse() {
    let (uri, text) = fixture("main.floe");
    let mut client = Client::start();
    client.open(&uri, &text);
    client.diagnostics(&uri);
    // Typing a new entry: the item does not parse any more.
    let (broken, cursor) = with_cursor(&text, "TOKEN = api_keys.token\n", "    PORT = db.ports.");
    client.replace(&uri, 2, &broken);
    let diagnostics = client.diagnostics(&uri);
    assert!(
        diagnostics
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["code"] == "E0001")),
        "a syntax error: {diagnostics:#}"
    );
    let hover = client.at(
        "textDocument/hover",
        &uri,
        position(&broken, "db.host", 0, 0),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("postgres db")),
        "{hover:#}"
    );
    let definition = client.at(
        "textDocument/definition",
        &uri,
        position(&broken, "${tag}", 0, 3),
    );
    assert_eq!(
        definition["range"]["start"],
        position(&broken, "tag = ", 0, 0)
    );
    let completion = client.at("textDocument/completion", &uri, cursor);
    assert_eq!(completion[0]["label"], "pg", "{completion:#}");
    client.shutdown();
}

#[test]
fn symbols_formatting_and_quick_fixes() {
    let (uri, text) = fixture("main.floe");
    let (lib, lib_text) = fixture("lib/common.floe");
    let mut client = Client::start();
    client.open(&uri, &text);
    client.open(&lib, &lib_text);
    client.diagnostics(&uri);
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": lib } }),
    );
    let formatting = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let misspelt = text.replace(
        "needs = [db, sessions]",
        "needs = [db, sessions]\n  replica = 2",
    );
    client.replace(&uri, 2, &misspelt);
    client.diagnostics(&uri);
    let at = position(&misspelt, "replica = 2", 0, 2);
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": { "start": at, "end": at }, "context": { "diagnostics": [] } }),
    );
    let Ok(formatted) = floe::fmt::format(&text) else {
        panic!("the fixture formats");
    };
    assert_ne!(
        formatted, text,
        "the fixture is not formatted, so formatting has an edit"
    );
    assert_eq!(formatting[0]["newText"], formatted.as_str());
    assert_eq!(
        formatting[0]["range"]["start"],
        json!({ "line": 0, "character": 0 })
    );
    let all = json!({ "symbols": symbols, "code actions": actions });
    insta::assert_snapshot!("symbols_formatting_actions", client.normalize(&all));
    client.shutdown();
}

#[test]
fn bad_requests_get_answers_not_crashes() {
    let (uri, text) = fixture("main.floe");
    let mut client = Client::start();
    client.open(&uri, &text);
    client.diagnostics(&uri);
    let far = json!({ "line": 9999, "character": 9999 });
    let unknown = "file:///nowhere/else.floe";
    let answers = json!({
        "hover past the end": client.at("textDocument/hover", &uri, far.clone()),
        "definition past the end": client.at("textDocument/definition", &uri, far.clone()),
        "completion past the end": client.at("textDocument/completion", &uri, far.clone()),
        "hover in an unknown document": client.at("textDocument/hover", unknown, far.clone()),
        "rename in an unknown document": client.request("textDocument/rename", json!({ "textDocument": { "uri": unknown }, "position": far, "newName": "x" })),
        "malformed parameters": client.request("textDocument/hover", json!({ "nonsense": true })),
        "unknown method": client.request("floe/nothing", json!({})),
    });
    // A change to a document that is not open, and an edit far outside the text.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": unknown, "version": 2 }, "contentChanges": [{ "text": "x" }] }),
    );
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "range": { "start": { "line": 500, "character": 3 }, "end": { "line": 2, "character": 0 } }, "text": "" }] }),
    );
    client.diagnostics(&uri);
    insta::assert_snapshot!("bad_requests", client.normalize(&answers));
    client.shutdown();
}

/// `--message-format json`, for editors and CI annotators without a language
/// server: every line of `check` and `compile` output is a JSON object with the
/// documented fields; columns count characters, one-based.
#[test]
fn message_format_json_is_one_object_per_line() {
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_floe"))
            .args(args)
            .args(["--message-format", "json"])
            .current_dir(support::root())
            .output()
            .unwrap_or_else(|e| panic!("cannot run floe: {e}"));
        assert_eq!(output.status.code(), Some(1), "{args:?} finds errors");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let mut lines: Vec<Value> = Vec::new();
    for args in [
        ["check", "tests/data/lsp/neovim/main.floe"],
        ["compile", "tests/data/lsp/neovim/main.floe"],
        ["check", "tests/data/ui/e0001_missing_equals.floe"],
        ["check", "tests/data/ui/e0104_duplicate_let.floe"],
    ] {
        for line in run(&args).lines() {
            lines.push(
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")),
            );
        }
    }
    assert!(lines.len() >= 6, "{lines:#?}");
    for d in &lines {
        assert!(d["code"].as_str().is_some_and(|c| c.len() == 5), "{d}");
        assert!(
            matches!(d["severity"].as_str(), Some("error" | "warning")),
            "{d}"
        );
        assert!(d["message"].is_string() && d["file"].is_string(), "{d}");
        assert!(d["help"].is_string() || d["help"].is_null(), "{d}");
        assert_location(d);
        let labels = d["labels"]
            .as_array()
            .unwrap_or_else(|| panic!("labels: {d}"));
        assert!(
            labels.iter().filter(|l| l["primary"] == true).count() == 1,
            "{d}"
        );
        for label in labels {
            assert!(label["message"].is_string(), "{label}");
            assert_location(label);
        }
    }
    // `hots` comes after seven non-ASCII letters on its line: columns are characters.
    let member = lines
        .iter()
        .find(|d| d["code"] == "E0106")
        .unwrap_or_else(|| panic!("E0106"));
    assert_eq!(
        (&member["start_line"], &member["start_column"]),
        (&json!(11), &json!(39))
    );
    assert!(
        lines
            .iter()
            .any(|d| d["labels"].as_array().is_some_and(|l| l.len() > 1)),
        "secondary labels"
    );
}

fn assert_location(value: &Value) {
    for field in ["start_line", "start_column", "end_line", "end_column"] {
        assert!(
            value[field].as_u64().is_some_and(|n| n >= 1),
            "{field} in {value}"
        );
    }
    assert!(
        value["file"].as_str().is_some_and(|f| f.ends_with(".floe")),
        "{value}"
    );
}

#[test]
fn a_module_opened_alone_is_checked_without_a_stack() {
    let (lib, text) = fixture("lib/common.floe");
    let mut client = Client::start();
    client.open(&lib, &text);
    assert_eq!(
        client.diagnostics(&lib),
        json!([]),
        "no `missing stack` for a module"
    );
    let hover = client.at(
        "textDocument/hover",
        &lib,
        position(&text, "memory = memory", 0, 10),
    );
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        shown.contains("parameter memory: bytes = 256Mi"),
        "{hover:#}"
    );
    let broken = text.replace("memory = memory", "memory = memroy");
    client.replace(&lib, 2, &broken);
    let diagnostics = client.diagnostics(&lib);
    assert_eq!(
        diagnostics,
        json!([]),
        "uses inside a component are checked where it is used"
    );
    client.shutdown();
}

/// Every request at every third position of the fixture, whole and cut in half (a
/// buffer that does not parse): answers, never an internal error or a crash.
#[test]
fn every_position_gets_an_answer() {
    let (uri, text) = fixture("main.floe");
    let mut client = Client::start();
    client.open(&uri, &text);
    client.diagnostics(&uri);
    let half = &text[..text.len() / 2];
    for (version, version_text) in [(1, text.as_str()), (2, half)] {
        client.replace(&uri, version, version_text);
        client.diagnostics(&uri);
        for (line, content) in version_text.lines().enumerate() {
            let units = content.encode_utf16().count();
            for character in (0..=units + 1).step_by(3) {
                let at = json!({ "line": line, "character": character });
                for method in [
                    "textDocument/hover",
                    "textDocument/definition",
                    "textDocument/completion",
                    "textDocument/prepareRename",
                ] {
                    let answer = client.at(method, &uri, at.clone());
                    let code = answer["error"]["code"].as_i64();
                    assert!(
                        code.is_none() || code == Some(-32803),
                        "{method} at {at}: {answer}"
                    );
                }
                let references = client.request(
                    "textDocument/references",
                    json!({ "textDocument": { "uri": uri }, "position": at, "context": { "includeDeclaration": false } }),
                );
                assert!(references.is_array(), "references at {at}: {references}");
            }
        }
    }
    client.shutdown();
}

/// One typo in the demo, of each kind the parser recovers from, marks exactly one
/// place in the editor: the typo's line, and nothing else in the file.
#[test]
fn one_syntax_error_is_one_mark_in_the_editor() {
    let path = support::root().join("examples/demo.floe");
    let text = std::fs::read_to_string(&path).expect("the demo is readable");
    let uri = uri(&path);
    let typos = [
        (
            "uri = catalog.url(api) + \"/api/catalog\"",
            "uri = catalog.url(api) +",
            "E0001",
        ),
        ("region = \"us-east-1\"", "region: \"us-east-1\"", "E0001"),
        (
            "region = \"us-east-1\"",
            "region = \"us-east-1\" }",
            "E0001",
        ),
        ("region = \"us-east-1\"", "region = \"us-east-1", "E0004"),
        ("region = \"us-east-1\"", "region =", "E0001"),
        ("path_style = true", "path_style true", "E0001"),
        (
            "warehouse = catalog.catalog",
            "warehouse = catalog.catalog,,",
            "E0001",
        ),
        ("jaeger tracing {}", "jaeger tracing", "E0001"),
        ("import \"std/postgres\"", "import std/postgres", "E0001"),
        ("    id = long required", "    id = long requird", "E0001"),
        (
            "warehouse = catalog.catalog",
            "warehouse = catalog.",
            "E0001",
        ),
        (
            "status = pick([\"placed\",",
            "status = pick([\"placed\" ,,",
            "E0001",
        ),
        (
            "product_id = long required",
            "product_id = lng required",
            "E0101",
        ),
    ];
    let mut client = Client::start();
    client.open(&uri, &text);
    assert_eq!(client.diagnostics(&uri), json!([]));
    for (version, (from, to, code)) in (2..).zip(typos) {
        let at = text
            .find(from)
            .expect("the demo holds the text the typo changes");
        let line = text[..at].matches('\n').count();
        let broken = text.replacen(from, to, 1);
        client.replace(&uri, version, &broken);
        let marks = client.diagnostics(&uri);
        let lines: Vec<&Value> = marks
            .as_array()
            .expect("diagnostics are a list")
            .iter()
            .map(|d| &d["range"]["start"]["line"])
            .collect();
        assert_eq!(lines, [&json!(line)], "`{to}`: {marks}");
        assert_eq!(marks[0]["code"], code, "`{to}`: {marks}");
    }
    client.shutdown();
}

/// Hover on the words of data and the stdlib: a column type, `csv()`, and the kind
/// of a stdlib component's instance, which lists its parameters.
#[test]
fn hover_explains_column_types_csv_and_stdlib_parameters() {
    let path = support::root().join("examples/demo.floe");
    let text = std::fs::read_to_string(&path).expect("the demo is readable");
    let uri = uri(&path);
    let mut client = Client::start();
    client.open(&uri, &text);
    client.diagnostics(&uri);
    let mut shown = |needle: &str, shift: usize| {
        let hover = client.at(
            "textDocument/hover",
            &uri,
            position(&text, needle, 0, shift),
        );
        hover["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let long = shown("id = long required", 6);
    assert!(long.contains("column type long"), "{long}");
    assert!(long.contains("64-bit signed integer"), "{long}");
    let email = shown("email = string", 9);
    assert!(email.contains("column type string"), "{email}");
    let csv = shown("csv(\"data/products.csv\")", 1);
    assert!(csv.contains("csv(\"path\")"), "{csv}");
    assert!(csv.contains("header names columns"), "{csv}");
    let postgres = shown("postgres metastore", 2);
    assert!(postgres.contains("component postgres"), "{postgres}");
    assert!(postgres.contains("Parameters:"), "{postgres}");
    assert!(postgres.contains("`database: string"), "{postgres}");
    client.shutdown();
}
