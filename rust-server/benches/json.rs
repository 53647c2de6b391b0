//! JSON microbenchmarks (contract/README.md, "JSON microbenchmarks"): for each payload of
//! contract/payloads, `parse` (its bytes into the server's structs, as the server does it) and
//! `serialise` (those structs back into compact JSON bytes, with `serde_json::to_vec` as the
//! server does), timed by criterion.
//!
//! Allocations are counted by the counting global allocator below, over a separate fixed run of
//! `ALLOC_ITERATIONS`, outside criterion's timing (the counters are off while criterion runs:
//! then the allocator costs one relaxed atomic load more than the system allocator).
//!
//! With `HELLOBENCH_MICROBENCH_OUT=FILE` the run also writes FILE (atomically: a temporary file
//! in the same folder, then a rename) in the `hellobench-microbench/1` shape: `samples_ns_per_op`
//! is the ns/op of each of criterion's samples (its `new/sample.json`: each sample's time over
//! its iterations), `ns_per_op` their median (criterion's own median estimate).
//!
//!     HELLOBENCH_MICROBENCH_OUT=/tmp/rust.json cargo bench --locked --bench json
//!     cargo bench --locked --bench json -- --warm-up-time 1 --measurement-time 2   # quicker

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::SystemTime;

use criterion::Criterion;
use rust_server::{from_json, Message, Order};
use serde::Serialize;

// ---- the counting allocator (this benchmark binary only) ----

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);

fn count(bytes: usize) {
    if COUNTING.load(Relaxed) {
        ALLOCATIONS.fetch_add(1, Relaxed);
        ALLOCATED_BYTES.fetch_add(bytes as u64, Relaxed);
    }
}

// SAFETY: every call is passed on to the system allocator unchanged; counting touches only
// atomics and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        System.alloc_zeroed(layout)
    }

    /// A growth counts as one allocation of the new size, as a move to a new block would.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Iterations of the allocation count of each benchmark.
const ALLOC_ITERATIONS: u64 = 10_000;

/// Allocations and bytes per call of `op` (after one call that is not counted).
fn allocations_per_op<O>(mut op: impl FnMut() -> O) -> (f64, f64) {
    black_box(op());
    ALLOCATIONS.store(0, Relaxed);
    ALLOCATED_BYTES.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    for _ in 0..ALLOC_ITERATIONS {
        black_box(op());
    }
    COUNTING.store(false, Relaxed);
    let per_op = |total: u64| total as f64 / ALLOC_ITERATIONS as f64;
    (
        per_op(ALLOCATIONS.load(Relaxed)),
        per_op(ALLOCATED_BYTES.load(Relaxed)),
    )
}

// ---- the benchmarks ----

const PAYLOADS: [(&str, &[u8]); 3] = [
    (
        "message",
        include_bytes!("../../contract/payloads/message.json"),
    ),
    (
        "order-10",
        include_bytes!("../../contract/payloads/order-10.json"),
    ),
    (
        "order-100",
        include_bytes!("../../contract/payloads/order-100.json"),
    ),
];

/// One payload and operation: its criterion id is `<operation>/<payload>`.
struct Case {
    payload: &'static str,
    operation: &'static str,
    allocs_per_op: f64,
    bytes_per_op: f64,
}

fn parse(bytes: &[u8], payload: &str) -> Parsed {
    if payload == "message" {
        Parsed::Message(from_json(bytes).expect("message.json"))
    } else {
        Parsed::Order(from_json(bytes).expect("order payload"))
    }
}

enum Parsed {
    Message(Message),
    Order(Order),
}

/// Runs criterion on both operations of every payload and counts their allocations.
fn run_benchmarks(criterion: &mut Criterion) -> Vec<Case> {
    let mut cases = Vec::new();
    for (payload, bytes) in PAYLOADS {
        // Parse and serialise are generic over the struct: one helper per struct type.
        match parse(bytes, payload) {
            Parsed::Message(value) => bench_type(criterion, payload, bytes, &value, &mut cases),
            Parsed::Order(value) => bench_type(criterion, payload, bytes, &value, &mut cases),
        }
    }
    cases
}

fn bench_type<T>(
    criterion: &mut Criterion,
    payload: &'static str,
    bytes: &'static [u8],
    value: &T,
    cases: &mut Vec<Case>,
) where
    T: Serialize + serde::de::DeserializeOwned,
{
    // Checked once, so the benchmarks measure working code: serialising gives the payload back.
    assert_eq!(serde_json::to_vec(value).unwrap(), bytes, "{payload}");

    let parse_op = || from_json::<T>(black_box(bytes)).unwrap();
    let serialise_op = || serde_json::to_vec(black_box(value)).unwrap();

    criterion
        .benchmark_group("parse")
        .bench_function(payload, |b| b.iter(parse_op));
    let (allocs_per_op, bytes_per_op) = allocations_per_op(parse_op);
    cases.push(Case {
        payload,
        operation: "parse",
        allocs_per_op,
        bytes_per_op,
    });

    criterion
        .benchmark_group("serialise")
        .bench_function(payload, |b| b.iter(serialise_op));
    let (allocs_per_op, bytes_per_op) = allocations_per_op(serialise_op);
    cases.push(Case {
        payload,
        operation: "serialise",
        allocs_per_op,
        bytes_per_op,
    });
}

// ---- the hellobench-microbench/1 file ----

#[derive(Serialize)]
struct Report {
    schema: &'static str,
    language: &'static str,
    harness: &'static str,
    toolchain: String,
    json_library: String,
    rows: Vec<Row>,
}

#[derive(Serialize)]
struct Row {
    payload: &'static str,
    operation: &'static str,
    ns_per_op: f64,
    samples_ns_per_op: Vec<f64>,
    bytes_per_op: u64,
    allocs_per_op: u64,
    iterations: u64,
}

/// Where criterion keeps its results, found as criterion finds it: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else the target directory `cargo metadata` reports.
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    #[derive(serde::Deserialize)]
    struct Metadata {
        target_directory: PathBuf,
    }
    std::env::var_os("CARGO")
        .and_then(|cargo| {
            let output = std::process::Command::new(cargo)
                .args(["metadata", "--format-version", "1", "--no-deps"])
                .output()
                .ok()?;
            serde_json::from_slice::<Metadata>(&output.stdout).ok()
        })
        .map(|metadata| metadata.target_directory.join("criterion"))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// One benchmark's figures from criterion's `new/sample.json`.
struct Measured {
    /// ns/op of each sample (its time over its iterations), to 0.1 ns, in criterion's order.
    samples_ns_per_op: Vec<f64>,
    /// The median of the samples (of criterion's per-sample averages, as its median estimate).
    ns_per_op: f64,
    /// The iterations of all samples together.
    iterations: u64,
}

fn round_tenth(ns: f64) -> f64 {
    (ns * 10.0).round() / 10.0
}

/// The middle sample, or the mean of the middle two (as the orchestrator computes a median).
fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// ns/op of each sample of a criterion `sample.json` (`iters` and `times` side by side, times in
/// ns); None when the two do not match up or a sample has no iterations.
fn samples_from(sample: &serde_json::Value) -> Option<(Vec<f64>, u64)> {
    let numbers = |key: &str| -> Option<Vec<f64>> {
        sample[key]
            .as_array()?
            .iter()
            .map(serde_json::Value::as_f64)
            .collect()
    };
    let (iters, times) = (numbers("iters")?, numbers("times")?);
    if iters.is_empty()
        || iters.len() != times.len()
        || iters.iter().any(|&i| i.is_nan() || i <= 0.0)
    {
        return None;
    }
    let samples = iters
        .iter()
        .zip(&times)
        .map(|(i, t)| round_tenth(t / i))
        .collect();
    Some((samples, iters.iter().sum::<f64>() as u64))
}

/// Criterion's samples of one benchmark, if it ran in this process (its `sample.json` was
/// written after `started`).
fn criterion_result(home: &Path, case: &Case, started: SystemTime) -> Option<Measured> {
    let sample_path = home
        .join(case.operation)
        .join(case.payload)
        .join("new")
        .join("sample.json");
    let fresh = std::fs::metadata(&sample_path)
        .and_then(|m| m.modified())
        .is_ok_and(|modified| modified >= started);
    if !fresh {
        return None;
    }
    let sample: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sample_path).ok()?).ok()?;
    let (samples_ns_per_op, iterations) = samples_from(&sample)?;
    Some(Measured {
        ns_per_op: round_tenth(median(&samples_ns_per_op)),
        samples_ns_per_op,
        iterations,
    })
}

/// `rustc --version` of the toolchain cargo runs: `$RUSTC`, else the `rustc` beside `$CARGO`
/// (rustup's toolchain folder), else the one on `PATH`.
fn toolchain() -> String {
    let beside_cargo = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .map(|cargo| cargo.with_file_name("rustc"))
        .filter(|rustc| rustc.exists());
    let rustc = std::env::var_os("RUSTC")
        .map(PathBuf::from)
        .or(beside_cargo)
        .unwrap_or_else(|| PathBuf::from("rustc"));
    std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|version| version.trim().to_string())
        .unwrap_or_else(|| "rustc (unknown version)".to_string())
}

/// The serde_json version this benchmark was built with, from the committed Cargo.lock (builds
/// are `--locked`, so it is the one compiled in).
fn serde_json_version() -> String {
    const LOCK: &str = include_str!("../Cargo.lock");
    LOCK.split("[[package]]")
        .find(|package| package.contains("\nname = \"serde_json\"\n"))
        .and_then(|package| {
            package
                .lines()
                .find_map(|line| line.strip_prefix("version = \""))
                .and_then(|rest| rest.strip_suffix('"'))
        })
        .map(|version| format!("serde_json {version}"))
        .unwrap_or_else(|| "serde_json".to_string())
}

/// Writes `report` to `path` atomically.
fn write_report(path: &Path, report: &Report) -> std::io::Result<()> {
    let mut text = serde_json::to_vec_pretty(report).map_err(std::io::Error::other)?;
    text.push(b'\n');
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("HELLOBENCH_MICROBENCH_OUT names no file"))?;
    let mut temporary_name = name.to_os_string();
    temporary_name.push(format!(".tmp{}", std::process::id()));
    let temporary = path.with_file_name(temporary_name);
    std::fs::write(&temporary, &text)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

fn main() -> ExitCode {
    let started = SystemTime::now();
    let mut criterion = Criterion::default().configure_from_args();
    let cases = run_benchmarks(&mut criterion);
    criterion.final_summary();

    let Some(out) = std::env::var_os("HELLOBENCH_MICROBENCH_OUT").map(PathBuf::from) else {
        return ExitCode::SUCCESS;
    };
    let home = criterion_home();
    let mut rows = Vec::new();
    for case in &cases {
        match criterion_result(&home, case, started) {
            Some(measured) => rows.push(Row {
                payload: case.payload,
                operation: case.operation,
                ns_per_op: measured.ns_per_op,
                samples_ns_per_op: measured.samples_ns_per_op,
                bytes_per_op: case.bytes_per_op.round() as u64,
                allocs_per_op: case.allocs_per_op.round() as u64,
                iterations: measured.iterations,
            }),
            None => eprintln!(
                "json bench: no criterion samples of {}/{} from this run in {} (filtered out, \
                 or not run in benchmark mode): left out of {}",
                case.operation,
                case.payload,
                home.display(),
                out.display()
            ),
        }
    }
    if rows.is_empty() {
        eprintln!("json bench: no results to write to {}", out.display());
        return ExitCode::FAILURE;
    }
    let report = Report {
        schema: "hellobench-microbench/1",
        language: "rust",
        harness: "criterion",
        toolchain: toolchain(),
        json_library: serde_json_version(),
        rows,
    };
    match write_report(&out, &report) {
        Ok(()) => {
            eprintln!("json bench: wrote {}", out.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("json bench: writing {}: {error}", out.display());
            ExitCode::FAILURE
        }
    }
}
