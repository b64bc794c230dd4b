//! `engine-bench`: the stream engine's benchmarks, printed as tables (see docs/benchmarks.md, "Stream engine").
//!
//! ```text
//! cargo run --release -p automq-bench --bin engine-bench -- --backend file:///tmp/automq-bench
//! cargo run --release -p automq-bench --bin engine-bench -- --backend minio --only object-wal
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use automq_bench::engine::{self, Options};
use clap::Parser;

/// Counts live heap bytes, so the memory section can tell what the engine keeps per partition.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// The only unsafe code of the project: a global allocator must implement an unsafe trait. It forwards every call
// to the system allocator unchanged and counts sizes beside it.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is; `ptr` came from this allocator with `layout`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_heap() -> usize {
    LIVE.load(Ordering::Relaxed)
}

const SECTIONS: [&str; 5] = [
    "file-wal",
    "object-wal",
    "cold-read",
    "amplification",
    "memory",
];

/// The stream engine's benchmarks: file WAL and object WAL append latency, cold reads, bytes written per byte
/// appended, memory per idle partition.
#[derive(Debug, Parser)]
#[command(name = "engine-bench", version)]
struct Args {
    /// Where data, metadata and the object WAL live: a path, file:///…, s3://…, or `minio` / `ceph` for a
    /// running dev/peers peer (a fresh bucket).
    #[arg(long, default_value = "file:///tmp/automq-bench/store")]
    backend: String,
    /// A folder on the disk under test, for the file WAL and the fdatasync probe.
    #[arg(long, default_value = "/tmp/automq-bench/scratch")]
    scratch: PathBuf,
    /// Sections to run, comma-separated: file-wal, object-wal, cold-read, amplification, memory.
    #[arg(long, value_delimiter = ',', default_values_t = SECTIONS.map(String::from))]
    only: Vec<String>,
    /// Seconds per measured step.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Bytes per appended batch.
    #[arg(long, default_value_t = 4096)]
    batch_bytes: usize,
    /// Streams (partitions) the appends spread over.
    #[arg(long, default_value_t = 64)]
    streams: usize,
    /// Appenders of the closed loop that finds the file WAL's maximum rate.
    #[arg(long, default_value_t = 256)]
    max_workers: usize,
    /// File WAL open-loop rates, as fractions of its maximum.
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.1, 0.25, 0.5, 0.75, 0.9])]
    fractions: Vec<f64>,
    /// Object WAL intervals, in milliseconds.
    #[arg(long, value_delimiter = ',', default_values_t = vec![2, 5, 10, 20])]
    object_intervals: Vec<u64>,
    /// Object WAL rates, appends per second.
    #[arg(long, value_delimiter = ',', default_values_t = vec![500.0, 5000.0])]
    object_rates: Vec<f64>,
    /// MiB written and read back cold.
    #[arg(long, default_value_t = 256)]
    cold_mib: usize,
    /// MiB appended to count the bytes written to the store.
    #[arg(long, default_value_t = 64)]
    amplification_mib: usize,
    /// Idle partitions for the memory section.
    #[arg(long, default_value_t = 1000)]
    partitions: usize,
}

fn peer_location(peer: &str) -> String {
    let env = automq_testkit::peers::env(peer);
    let bucket = format!(
        "automq-bench-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    format!(
        "s3://{bucket}?profile={peer}&endpoint={}&region={}&access_key_id={}&secret_access_key={}",
        env["ENDPOINT"], env["REGION"], env["ACCESS_KEY"], env["SECRET_KEY"]
    )
}

async fn run(args: Args) -> Result<()> {
    for s in &args.only {
        anyhow::ensure!(
            SECTIONS.contains(&s.as_str()),
            "unknown section `{s}`: pick from {}",
            SECTIONS.join(", ")
        );
    }
    let uri = match args.backend.as_str() {
        "minio" | "ceph" => peer_location(&args.backend),
        other => other.to_string(),
    };
    let backend = automq_backends::open(&uri).context("opening the backend")?;
    backend
        .provision()
        .await
        .context("provisioning the backend")?;
    std::fs::create_dir_all(&args.scratch)
        .with_context(|| format!("creating {}", args.scratch.display()))?;
    let opts = Options {
        backend,
        scratch: args.scratch,
        seconds: args.seconds,
        batch_bytes: args.batch_bytes,
        streams: args.streams,
        max_workers: args.max_workers,
        fractions: args.fractions,
        object_intervals: args.object_intervals,
        object_rates: args.object_rates,
        cold_mib: args.cold_mib,
        amplification_mib: args.amplification_mib,
        partitions: args.partitions,
        live_heap: Some(live_heap),
    };
    let want = |s: &str| args.only.iter().any(|o| o == s);
    println!("{}\n", machine());
    // Memory first, before the other sections leave allocator state behind.
    if want("memory") {
        println!("{}", engine::memory(&opts).await?);
    }
    if want("file-wal") {
        for s in engine::file_wal(&opts).await? {
            println!("{s}");
        }
    }
    if want("object-wal") {
        println!("{}", engine::object_wal(&opts).await?);
    }
    if want("cold-read") {
        println!("{}", engine::cold_read(&opts).await?);
    }
    if want("amplification") {
        println!("{}", engine::amplification(&opts).await?);
    }
    println!("{}", machine());
    Ok(())
}

/// Cores and load average, printed before and after: latencies mean little on a busy machine.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into());
    // The share of time some task waited for a CPU, over the last 10 s (Linux pressure stall information).
    let cpu_wait = std::fs::read_to_string("/proc/pressure/cpu")
        .ok()
        .and_then(|p| {
            p.lines()
                .next()?
                .split_whitespace()
                .find_map(|f| f.strip_prefix("avg10=").map(str::to_string))
        })
        .map(|v| format!(", tasks waiting for a CPU {v} % of the time"))
        .unwrap_or_default();
    format!("machine: {cores} cores, load average {load}{cpu_wait}")
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("engine-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("engine-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
