//! The compile benchmark: generated stacks of growing size, compiled by the release
//! `floe` binary; median wall time over several runs and peak resident memory.
//!
//! For each size, `floe compile`, `floe check` and `floe fmt --check` are timed;
//! peak memory is each child's own (`wait4`), and `/YAML` relates the compile's peak
//! to the size of the YAML it writes.
//!
//! Run with `cargo bench --bench compile` (add sizes as arguments to choose others:
//! `cargo bench --bench compile -- 10 1000`).
//!
//! Each service of a generated stack has two ports, five environment variables (one
//! a reference to another service, one a secret), resources and both probes, and its
//! own secret: four objects per service (Deployment, Service, ServiceAccount, Secret).

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;
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

/// One run of `floe ARGS`: wall time, the child's own peak resident memory, and the
/// size of what it wrote to stdout.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, for its rusage"
)]
fn run_once(floe: &Path, args: &[&OsStr]) -> (Duration, i64, usize) {
    let start = Instant::now();
    let mut child = Command::new(floe)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("floe starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut sink = Vec::new();
        stdout.read_to_end(&mut sink).map(|_| sink.len())
    });
    let (status, peak_kib) = wait_with_rusage(child.id());
    let elapsed = start.elapsed();
    let bytes = reader.join().expect("reader").expect("stdout read");
    assert!(status == 0, "floe {args:?} exited with status {status}");
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
    let mut times = Vec::new();
    let mut peak = 0;
    let mut bytes = 0;
    for _ in 0..runs {
        let (t, p, b) = run_once(floe, args);
        times.push(t);
        peak = peak.max(p);
        bytes = b;
    }
    times.sort();
    Measure {
        median: times[times.len() / 2],
        peak_kib: peak,
        output_bytes: bytes,
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
    }
}
