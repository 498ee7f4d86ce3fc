//! Durability, watched with strace: what the data engine syncs to disk.

use std::path::Path;
use std::process::Command;

/// A stack of one table, `log.events`, with `rows` generated rows, in `dir`.
fn events(dir: &Path, rows: u64) -> std::path::PathBuf {
    let main = dir.join("main.floe");
    let source = format!(
        r#"
stack ours {{}}
catalog lake {{ warehouse = "log" }}
table events {{
  catalog = lake
  name = "log.events"
  columns = {{ id = long required, source = string required }}
  seed = generate({rows}, {{ id = sequence(1), source = "ours" }})
}}
"#
    );
    std::fs::write(&main, source).expect("write the stack");
    main
}

/// Every file a seed writes (data files, the manifest, the manifest list, the new
/// table metadata) is synced (`fsync`) after it is written, and so is its
/// directory, so that the catalog never points at a file a power loss can take
/// back. Watched with strace, on the real binary.
#[test]
fn every_file_a_seed_writes_is_synced_with_its_directory() {
    use std::collections::{BTreeMap, BTreeSet};

    let dir = tempfile::tempdir().expect("temp dir");
    let main = events(dir.path(), 300_000);
    let warehouse = dir.path().join("wh");
    let trace = dir.path().join("trace");
    let status = Command::new("strace")
        .args(["-f", "-e", "trace=openat,fsync,fdatasync", "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_floe"))
        .args(["run", "--local", "--warehouse"])
        .arg(&warehouse)
        .arg(&main)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("strace runs (the tests need it: apt-get install strace)");
    assert!(status.success());

    // `TID openat(AT_FDCWD, "PATH", FLAGS…) = FD` and `TID fsync(FD) = 0`, in the
    // order they happened. A call another thread interrupts is printed in two lines,
    // `… <unfinished ...>` and `TID <... openat resumed>…) = FD`. Threads share the
    // process's descriptors, so an FD stands for the file it was last opened on.
    let text = std::fs::read_to_string(&trace).expect("the trace");
    let mut open: BTreeMap<String, String> = BTreeMap::new();
    let mut pending: BTreeMap<String, (String, bool)> = BTreeMap::new();
    let mut written: BTreeSet<String> = BTreeSet::new();
    let mut synced: BTreeSet<String> = BTreeSet::new();
    let ours = warehouse.to_string_lossy().into_owned();
    let mut opened =
        |open: &mut BTreeMap<String, String>, path: String, writes: bool, result: &str| {
            let fd = result.trim();
            if fd.starts_with('-') {
                return;
            }
            if writes && path.starts_with(&ours) {
                written.insert(path.clone());
            }
            open.insert(fd.to_string(), path);
        };
    for line in text.lines() {
        let Some((tid, call)) = line.split_once(' ') else {
            continue;
        };
        let call = call.trim();
        if let Some(rest) = call.strip_prefix("openat(AT_FDCWD, \"") {
            let (path, rest) = rest.split_once('"').expect("a quoted path");
            let writes = rest.contains("O_WRONLY");
            match rest.rsplit_once(" = ") {
                Some((_, fd)) => opened(&mut open, path.to_string(), writes, fd),
                None => {
                    pending.insert(tid.to_string(), (path.to_string(), writes));
                }
            }
        } else if let Some(rest) = call.strip_prefix("<... openat resumed>") {
            if let (Some((path, writes)), Some((_, fd))) =
                (pending.remove(tid), rest.rsplit_once(" = "))
            {
                opened(&mut open, path, writes, fd);
            }
        } else if let Some(rest) = call
            .strip_prefix("fsync(")
            .or_else(|| call.strip_prefix("fdatasync("))
        {
            let fd: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Some(path) = open.get(&fd) {
                synced.insert(path.clone());
            }
        }
    }
    let table_files: Vec<&String> = written
        .iter()
        .filter(|p| p.contains("/lake/log/events/") && !p.ends_with(".write"))
        .collect();
    let kinds = |suffix: &str| table_files.iter().filter(|p| p.ends_with(suffix)).count();
    assert!(kinds(".parquet") >= 2 && kinds(".avro") >= 2 && kinds(".metadata.json") >= 2);
    for file in table_files {
        assert!(synced.contains(file), "{file} is not synced");
        let parent = Path::new(file).parent().expect("a directory");
        assert!(
            synced.contains(&*parent.to_string_lossy()),
            "the directory of {file} is not synced"
        );
    }
}
