//! The language server benchmark: the time from a `didChange` to the
//! `publishDiagnostics` that answers it, on a generated stack of 5,000 lines (or as
//! many as given: `cargo bench --bench lsp -- 20000`), through the release `floe lsp`
//! over stdio as an editor drives it.
//!
//! Three series of 25 changes each, with their median, 90th percentile and maximum:
//!
//! - a keystroke: one character of one service's value changes (an incremental edit,
//!   as Neovim and VS Code send them);
//! - the whole text sent again (clients that sync documents in full);
//! - a keystroke that breaks the syntax, so that the whole file is parsed again.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CHANGES: usize = 25;

/// A stack of `services` services, as `benches/compile.rs` generates them.
fn generate(services: usize) -> String {
    let mut out = String::from(
        "stack bench {\n  namespace = \"bench\"\n  defaults = {\n    resources = { cpu = 100m..500m, memory = 256Mi..512Mi }\n  }\n}\n\n",
    );
    for i in 0..services {
        let peer = (i + 1) % services;
        let _ = write!(
            out,
            "secret s{i}_auth {{ password = generate(24) }}\n\n\
             service s{i} {{\n\
             \x20 image = \"ghcr.io/example/app:1.{i}.0\"\n\
             \x20 ports = {{ http = 8080, metrics = 9090 }}\n\
             \x20 env = {{\n\
             \x20   MODE = \"production\"\n\
             \x20   LOG_LEVEL = \"info\"\n\
             \x20   REPLICA = {i}\n\
             \x20   PEER_URL = s{peer}.url(http)\n\
             \x20   PASSWORD = s{i}_auth.password\n\
             \x20 }}\n\
             \x20 resources = {{ cpu = 250m..1, memory = 512Mi..1Gi }}\n\
             \x20 ready = http(ports.http, \"/ready\")\n\
             \x20 live = tcp(ports.metrics)\n\
             }}\n\n"
        );
    }
    out
}

/// The smallest generated stack with at least `lines` lines.
fn stack_of(lines: usize) -> String {
    let mut services = lines / 18 + 1;
    loop {
        let text = generate(services);
        if text.lines().count() >= lines {
            return text;
        }
        services += 10;
    }
}

struct Server {
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
}

impl Server {
    fn start() -> (Server, std::process::Child) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_floe"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("floe lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            stdin,
            incoming,
            next_id: 0,
        };
        server.request(
            "initialize",
            json!({ "processId": null, "capabilities": {} }),
        );
        server.notify("initialized", json!({}));
        (server, child)
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait(|m| m["id"] == id)
    }

    fn wait(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let m = self
                .incoming
                .recv_timeout(Duration::from_secs(60))
                .expect("an answer within a minute");
            if wanted(&m) {
                return m;
            }
        }
    }

    /// Waits for the diagnostics of a version of a document: how many there are.
    fn diagnostics(&mut self, uri: &str, version: i64) -> usize {
        let m = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        m["params"]["diagnostics"].as_array().map_or(0, Vec::len)
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

/// The position (line, UTF-16 column) of a byte offset; the text is ASCII.
fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": column })
}

struct Series {
    name: &'static str,
    times: Vec<Duration>,
    diagnostics: usize,
}

/// Sends `CHANGES` changes made by `edit` and times each until its diagnostics.
fn series(
    server: &mut Server,
    uri: &str,
    version: &mut i64,
    name: &'static str,
    edit: impl Fn(usize) -> Value,
) -> Series {
    let mut times = Vec::new();
    let mut diagnostics = 0;
    for i in 0..CHANGES {
        *version += 1;
        let change = edit(i);
        let start = Instant::now();
        server.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": *version }, "contentChanges": change }),
        );
        diagnostics = server.diagnostics(uri, *version);
        times.push(start.elapsed());
    }
    times.sort();
    Series {
        name,
        times,
        diagnostics,
    }
}

fn main() {
    let lines: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5_000);
    let text = stack_of(lines);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.floe");
    std::fs::write(&path, &text).expect("write");
    let uri = format!("file://{}", path.display());
    let (mut server, mut child) = Server::start();

    let start = Instant::now();
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "floe", "version": 0, "text": text } }),
    );
    let found = server.diagnostics(&uri, 0);
    println!(
        "{} lines, {:.1} KB; didOpen to diagnostics {:.1} ms ({found} diagnostics)",
        text.lines().count(),
        text.len() as f64 / 1e3,
        start.elapsed().as_secs_f64() * 1e3
    );

    // Each keystroke changes the last digit of `REPLICA = i` of a service near the
    // middle, and changes it back on the next.
    let middle = text.len() / 2;
    let replica = middle + text[middle..].find("REPLICA = ").expect("a replica") + 10;
    let digit = replica + text[replica..].find('\n').expect("end of line") - 1;
    let old = text[digit..digit + 1].to_string();
    let mut version = 0;
    let range = json!({ "start": position(&text, digit), "end": position(&text, digit + 1) });
    let keystroke = series(&mut server, &uri, &mut version, "keystroke", |i| {
        let new = if i % 2 == 0 { "7" } else { old.as_str() };
        json!([{ "range": range, "text": new }])
    });
    let full = series(&mut server, &uri, &mut version, "whole text", |i| {
        let mut edited = text.clone();
        edited.replace_range(digit..digit + 1, if i % 2 == 0 { "7" } else { &old });
        json!([{ "text": edited }])
    });
    let at = json!({ "start": position(&text, replica), "end": position(&text, replica) });
    let broken = series(&mut server, &uri, &mut version, "syntax error", |i| {
        // Type `=`, making `REPLICA = =i`, then delete it.
        if i % 2 == 0 {
            json!([{ "range": at, "text": "=" }])
        } else {
            let end = json!({ "line": at["start"]["line"], "character": at["start"]["character"].as_u64().unwrap_or(0) + 1 });
            json!([{ "range": { "start": at["start"], "end": end }, "text": "" }])
        }
    });

    println!(
        "\n{:<14} {:>9} {:>9} {:>9} {:>9}  (ms, {CHANGES} changes each)",
        "change", "median", "p90", "min", "max"
    );
    for s in [keystroke, full, broken] {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let t = &s.times;
        println!(
            "{:<14} {:>9.1} {:>9.1} {:>9.1} {:>9.1}  last had {} diagnostics",
            s.name,
            ms(t[t.len() / 2]),
            ms(t[t.len() * 9 / 10]),
            ms(t[0]),
            ms(t[t.len() - 1]),
            s.diagnostics
        );
    }
    server.request("shutdown", Value::Null);
    server.notify("exit", Value::Null);
    let _ = child.wait();
}
