//! The compile benchmark: generated stacks of growing size, compiled by the release
//! `floe` binary; median wall time over several runs and peak resident memory.
//!
//! Run with `cargo bench --bench compile` (add sizes as arguments to choose others:
//! `cargo bench --bench compile -- 10 1000 10000 50000`).
//!
//! Each service of a generated stack has two ports, five environment variables (one
//! a reference to another service, one a secret), resources and both probes, and its
//! own secret: four objects per service (Deployment, Service, ServiceAccount, Secret).

use std::fmt::Write as _;
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

fn run_once(floe: &Path, file: &Path) -> (Duration, i64, usize) {
    let start = Instant::now();
    let child = Command::new(floe)
        .arg("compile")
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("floe starts");
    let pid = child.id();
    let output = child.wait_with_output().expect("floe runs");
    let elapsed = start.elapsed();
    assert!(output.status.success(), "floe failed on {}", file.display());
    (elapsed, peak_rss_kib(pid), output.stdout.len())
}

/// Peak resident memory of the children reaped so far (the largest of them).
fn peak_rss_kib(_pid: u32) -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given.
    let ok = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) } == 0;
    if !ok {
        return -1;
    }
    // SAFETY: getrusage succeeded, so the struct is initialised.
    unsafe { usage.assume_init() }.ru_maxrss
}

fn measure(floe: &Path, file: &Path, runs: usize) -> Measure {
    let mut times = Vec::new();
    let mut peak = 0;
    let mut bytes = 0;
    for _ in 0..runs {
        let (t, p, b) = run_once(floe, file);
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

fn main() {
    let floe = Path::new(env!("CARGO_BIN_EXE_floe"));
    let mut sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = vec![10, 1_000, 10_000];
    }
    sizes.sort();
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "{:>8} {:>9} {:>11} {:>11} {:>10} {:>12}",
        "services", "objects", "input", "output", "median", "peak memory"
    );
    for n in sizes {
        let file = dir.path().join(format!("stack-{n}.floe"));
        let source = generate(n);
        std::fs::write(&file, &source).expect("write");
        let runs = if n >= 10_000 { 5 } else { 11 };
        let m = measure(floe, &file, runs);
        println!(
            "{:>8} {:>9} {:>9.1}MB {:>9.1}MB {:>8.3}s {:>10.1}MB",
            n,
            n * 4 + 1,
            source.len() as f64 / 1e6,
            m.output_bytes as f64 / 1e6,
            m.median.as_secs_f64(),
            m.peak_kib as f64 / 1024.0
        );
    }
}
