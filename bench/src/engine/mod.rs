//! Benchmarks of the stream engine, on one machine, against one storage location: what a produce waits for with
//! each WAL kind, how fast data comes back from objects, how many bytes reach the store per byte appended, and
//! how much memory an idle partition costs. `engine-bench` prints them as tables; docs/benchmarks.md keeps the
//! numbers of this machine.
//!
//! Every section starts its own engine under a fresh key prefix and a fresh scratch folder, so sections do not
//! see each other's data. The store is built as `automqd` builds it (`automq_backends::engine_store`: metrics
//! under retries), so the bytes counted are the bytes the server was sent.

pub mod load;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use automq_backend::wrappers::Op;
use automq_backends::{Backend, ObjectStoreMetrics};
use automq_stream::StreamId;
use automq_stream::engine::{Engine, EngineConfig, WalKind};
use comfy_table::Table;
use object_store::ObjectStore;

use load::{Latencies, Run, closed_loop, open_loop, payload};

/// What to run and how hard.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where data, metadata and the object WAL live.
    pub backend: Arc<dyn Backend>,
    /// A folder on the disk under test: the file WAL and the fdatasync probe go here.
    pub scratch: PathBuf,
    /// Seconds per measured step.
    pub seconds: f64,
    /// Bytes per appended batch.
    pub batch_bytes: usize,
    /// Streams the appends spread over.
    pub streams: usize,
    /// Appenders of the closed loop that finds the file WAL's maximum rate.
    pub max_workers: usize,
    /// Open-loop rates as fractions of the file WAL's maximum.
    pub fractions: Vec<f64>,
    /// Object WAL intervals to try, in milliseconds.
    pub object_intervals: Vec<u64>,
    /// Object WAL open-loop rates, appends per second.
    pub object_rates: Vec<f64>,
    /// MiB written, then read back cold.
    pub cold_mib: usize,
    /// MiB appended to count bytes written to the store.
    pub amplification_mib: usize,
    /// Idle partitions for the memory measurement.
    pub partitions: usize,
    /// Live heap bytes now, when the binary counts allocations.
    pub live_heap: Option<fn() -> usize>,
}

/// One section's result: a titled table plus notes.
#[derive(Debug)]
pub struct Section {
    pub title: String,
    pub table: Table,
    pub notes: Vec<String>,
}

impl std::fmt::Display for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "## {}\n\n{}\n", self.title, self.table)?;
        for n in &self.notes {
            writeln!(f, "{n}")?;
        }
        Ok(())
    }
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(comfy_table::presets::ASCII_MARKDOWN);
    t.set_header(header.iter().copied());
    t
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn latency_cells(l: &Latencies) -> [String; 4] {
    [
        ms(l.quantile(0.5)),
        ms(l.quantile(0.99)),
        ms(l.quantile(0.999)),
        ms(l.max()),
    ]
}

impl Options {
    fn store(&self, metrics: &ObjectStoreMetrics) -> Result<Arc<dyn ObjectStore>> {
        automq_backends::engine_store(self.backend.as_ref(), metrics, "store")
            .context("building the store")
    }

    fn step(&self) -> Duration {
        Duration::from_secs_f64(self.seconds)
    }

    fn fresh_dir(&self, what: &str) -> Result<PathBuf> {
        let dir = self
            .scratch
            .join(format!("{what}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }

    /// An engine under a fresh prefix, with its streams created and open.
    async fn engine(
        &self,
        store: Arc<dyn ObjectStore>,
        wal: WalKind,
        streams: usize,
        tune: impl FnOnce(&mut EngineConfig),
    ) -> Result<(Engine, Vec<StreamId>, String)> {
        let prefix = format!("bench-{}", uuid::Uuid::new_v4().simple());
        let mut config = EngineConfig::new(1, prefix.clone(), wal);
        tune(&mut config);
        let engine = Engine::open(store, config)
            .await
            .context("opening the engine")?;
        let ids = open_streams(&engine, streams).await?;
        Ok((engine, ids, prefix))
    }
}

async fn open_streams(engine: &Engine, n: usize) -> Result<Vec<StreamId>> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = engine.create_stream(&format!("p-{i}")).await?;
        engine.open_stream(id).await?;
        ids.push(id);
    }
    Ok(ids)
}

/// One 4 KiB write and one `fdatasync` on a file that grows, as a WAL commit does, `n` times.
pub fn fdatasync_cost(dir: &Path, n: usize) -> Result<Latencies> {
    use std::io::Write;
    let path = dir.join(format!("fdatasync-probe-{}", uuid::Uuid::new_v4().simple()));
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    let block = payload(4096);
    let mut l = Latencies::default();
    for _ in 0..n {
        let t = Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        l.record(t.elapsed());
    }
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(l)
}

/// An fdatasync probe running beside a measured step: one 4 KiB write + fdatasync every 20 ms on its own file, so
/// an append's latency can be set beside what one fdatasync costs at that very moment.
struct SyncProbe {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Result<Latencies>>,
}

impl SyncProbe {
    fn start(dir: &Path) -> Self {
        use std::io::Write;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let path = dir.join(format!(
            "fdatasync-beside-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut file = std::fs::OpenOptions::new()
                .create_new(true)
                .write(true)
                .open(&path)?;
            let block = payload(4096);
            let mut l = Latencies::default();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                file.write_all(&block)?;
                file.sync_data()?;
                l.record(t.elapsed());
                std::thread::sleep(Duration::from_millis(20));
            }
            drop(file);
            std::fs::remove_file(&path)?;
            Ok(l)
        });
        Self { stop, thread }
    }

    fn finish(self) -> Result<Latencies> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the fdatasync probe thread panicked"))?
    }
}

/// The cost of one fdatasync on the scratch disk, and the file WAL's appends: the maximum rate (a closed loop of
/// many appenders), then fixed rates as fractions of it, p99 next to the fdatasync.
pub async fn file_wal(opts: &Options) -> Result<Vec<Section>> {
    let probe_dir = opts.fresh_dir("fsync")?;
    let fsync = tokio::task::spawn_blocking(move || fdatasync_cost(&probe_dir, 300)).await??;
    let mut t = table(&[
        "what", "count", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "mean ms",
    ]);
    let [p50, p99, p999, max] = latency_cells(&fsync);
    t.add_row([
        "4 KiB write + fdatasync".to_string(),
        fsync.count().to_string(),
        p50,
        p99,
        p999,
        max,
        ms(fsync.mean()),
    ]);
    let fsync_section = Section {
        title: "One fdatasync on the scratch disk".into(),
        table: t,
        notes: vec![],
    };

    let metrics = ObjectStoreMetrics::register(&mut Default::default());
    let body = payload(opts.batch_bytes);
    let wal_dir = opts.fresh_dir("file-wal")?;
    let (engine, streams, _) = opts
        .engine(
            opts.store(&metrics)?,
            WalKind::File {
                dir: wal_dir.clone(),
            },
            opts.streams,
            |_| {},
        )
        .await?;
    // Warm up: segment files created, caches and connections in use.
    closed_loop(
        &engine,
        &streams,
        opts.max_workers,
        body.clone(),
        Duration::from_secs(1),
    )
    .await;
    let probe = SyncProbe::start(&wal_dir);
    let cpu = cpu_time();
    let max = closed_loop(
        &engine,
        &streams,
        opts.max_workers,
        body.clone(),
        opts.step(),
    )
    .await;
    let max_cpu = cpu_per_append(cpu, max.appends);
    let beside = probe.finish()?;
    let mut t = table(&[
        "load",
        "target /s",
        "achieved /s",
        "MiB/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "fdatasync beside p50 / p99 ms",
        "p99 / fdatasync p50",
        "CPU µs / append",
        "failed",
    ]);
    let row = |load: String, target: String, run: &Run, beside: &Latencies, cpu: String| {
        let [p50, p99, p999, mx] = latency_cells(&run.latencies);
        [
            load,
            target,
            format!("{:.0}", run.per_second()),
            format!("{:.1}", run.mib_per_second()),
            p50,
            p99,
            p999,
            mx,
            format!(
                "{} / {}",
                ms(beside.quantile(0.5)),
                ms(beside.quantile(0.99))
            ),
            format!(
                "{:.2}",
                run.latencies.quantile(0.99).as_secs_f64() / fsync.quantile(0.5).as_secs_f64()
            ),
            cpu,
            run.failed.to_string(),
        ]
    };
    t.add_row(row(
        format!("closed loop, {} appenders", opts.max_workers),
        "-".into(),
        &max,
        &beside,
        max_cpu,
    ));
    for &f in &opts.fractions {
        let rate = max.per_second() * f;
        let probe = SyncProbe::start(&wal_dir);
        let cpu = cpu_time();
        let run = open_loop(&engine, &streams, rate, body.clone(), opts.step()).await;
        let cpu = cpu_per_append(cpu, run.appends);
        let beside = probe.finish()?;
        t.add_row(row(
            format!("{:.0} % of max", f * 100.0),
            format!("{rate:.0}"),
            &run,
            &beside,
            cpu,
        ));
    }
    engine.shutdown().await?;
    let _ = std::fs::remove_dir_all(&wal_dir);
    Ok(vec![
        fsync_section,
        Section {
            title: format!(
                "File WAL appends ({} B batches over {} streams; data store {})",
                opts.batch_bytes,
                opts.streams,
                opts.backend.display_uri()
            ),
            table: t,
            notes: vec![format!(
                "Target: p99 at half the maximum rate within 3x one fdatasync (p50 {} ms before the steps; \
                 \"fdatasync beside\" is a probe on the same disk every 20 ms during each step).",
                ms(fsync.quantile(0.5))
            )],
        },
    ])
}

/// `n` create-if-absent PUTs of `size` bytes, one after another, then deleted: what one object WAL write costs.
pub async fn put_cost(store: &dyn ObjectStore, n: usize, size: usize) -> Result<Latencies> {
    use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload, path::Path};
    let prefix = format!("bench-put-{}", uuid::Uuid::new_v4().simple());
    let body = payload(size);
    let mut l = Latencies::default();
    for i in 0..n {
        let key = Path::from(format!("{prefix}/{i:08}"));
        let create = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        let t = Instant::now();
        store
            .put_opts(&key, PutPayload::from(body.clone()), create)
            .await
            .with_context(|| format!("put {key}"))?;
        l.record(t.elapsed());
    }
    for i in 0..n {
        let _ = store.delete(&Path::from(format!("{prefix}/{i:08}"))).await;
    }
    Ok(l)
}

/// The object WAL's append latency at fixed rates, for each interval, after the cost of one PUT on the store.
pub async fn object_wal(opts: &Options) -> Result<Section> {
    let body = payload(opts.batch_bytes);
    let probe_metrics = ObjectStoreMetrics::register(&mut Default::default());
    let probe_size = 64 * 1024;
    let put = put_cost(opts.store(&probe_metrics)?.as_ref(), 200, probe_size).await?;
    let mut t = table(&[
        "interval ms",
        "target /s",
        "achieved /s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "WAL PUTs /s",
        "failed",
    ]);
    for &interval in &opts.object_intervals {
        for &rate in &opts.object_rates {
            let mut registry = Default::default();
            let metrics = ObjectStoreMetrics::register(&mut registry);
            let (engine, streams, _) = opts
                .engine(
                    opts.store(&metrics)?,
                    WalKind::Object {
                        interval: Duration::from_millis(interval),
                        max_bytes: 8 << 20,
                    },
                    opts.streams,
                    |_| {},
                )
                .await?;
            open_loop(
                &engine,
                &streams,
                rate,
                body.clone(),
                Duration::from_secs(1),
            )
            .await;
            let puts_before = metrics.operations("store", Op::Put);
            let run = open_loop(&engine, &streams, rate, body.clone(), opts.step()).await;
            let puts = metrics.operations("store", Op::Put) - puts_before;
            let [p50, p99, p999, mx] = latency_cells(&run.latencies);
            t.add_row([
                interval.to_string(),
                format!("{rate:.0}"),
                format!("{:.0}", run.per_second()),
                p50,
                p99,
                p999,
                mx,
                format!("{:.0}", puts as f64 / run.elapsed.as_secs_f64()),
                run.failed.to_string(),
            ]);
            engine.shutdown().await?;
        }
    }
    Ok(Section {
        title: format!(
            "Object WAL appends ({} B batches over {} streams; store {})",
            opts.batch_bytes,
            opts.streams,
            opts.backend.display_uri()
        ),
        table: t,
        notes: vec![
            format!(
                "One create-if-absent PUT of {} KiB on this store, 200 in a row: p50 {} ms, p99 {} ms, max {} ms.",
                probe_size / 1024,
                ms(put.quantile(0.5)),
                ms(put.quantile(0.99)),
                ms(put.max())
            ),
            "Target: p99 within 50 ms on a local S3 server with a tuned interval. WAL PUTs /s counts every PUT \
             (WAL objects, uploads and metadata) while the step ran."
                .into(),
        ],
    })
}

/// Writes `cold_mib` over the streams, uploads it, then reads it all back on a second engine that never had it
/// in memory: one reader at a time, then one reader per stream at once.
pub async fn cold_read(opts: &Options) -> Result<Section> {
    let mut registry = Default::default();
    let metrics = ObjectStoreMetrics::register(&mut registry);
    let store = opts.store(&metrics)?;
    let batch = 64 * 1024;
    let body = payload(batch);
    let total_batches = opts.cold_mib * 1024 * 1024 / batch;
    let streams_n = opts.streams.min(16);
    let writer_wal = opts.fresh_dir("cold-writer")?;
    let (writer, streams, prefix) = opts
        .engine(
            store.clone(),
            WalKind::File {
                dir: writer_wal.clone(),
            },
            streams_n,
            |_| {},
        )
        .await?;
    let per_stream = total_batches / streams_n;
    let mut set = tokio::task::JoinSet::new();
    for &s in &streams {
        let (writer, body) = (writer.clone(), body.clone());
        set.spawn(async move {
            for _ in 0..per_stream {
                writer.append(s, 1, body.clone()).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    writer.shutdown().await?;
    let objects = writer.meta().read(|s| s.objects().count()).await;

    let mut t = table(&["readers", "MiB", "seconds", "MiB/s", "GETs", "objects"]);
    for parallel in [false, true] {
        // A second node that never had this data in memory.
        let reader_wal = opts.fresh_dir("cold-reader")?;
        let mut config = EngineConfig::new(
            2,
            prefix.clone(),
            WalKind::File {
                dir: reader_wal.clone(),
            },
        );
        config.upload_interval = Duration::from_secs(3600);
        let reader = Engine::open(store.clone(), config).await?;
        let gets_before = get_count(&metrics);
        let read_before = metrics.bytes_read("store");
        let started = Instant::now();
        let mut bytes = 0u64;
        if parallel {
            let mut set = tokio::task::JoinSet::new();
            for &s in &streams {
                let reader = reader.clone();
                set.spawn(async move { read_stream(&reader, s).await });
            }
            while let Some(r) = set.join_next().await {
                bytes += r??;
            }
        } else {
            for &s in &streams {
                bytes += read_stream(&reader, s).await?;
            }
        }
        let took = started.elapsed();
        let _ = metrics.bytes_read("store") - read_before;
        t.add_row([
            if parallel {
                format!("{streams_n} at once")
            } else {
                "1".to_string()
            },
            format!("{:.0}", bytes as f64 / 1048576.0),
            format!("{:.2}", took.as_secs_f64()),
            format!("{:.0}", bytes as f64 / 1048576.0 / took.as_secs_f64()),
            (get_count(&metrics) - gets_before).to_string(),
            objects.to_string(),
        ]);
        reader.shutdown().await?;
        let _ = std::fs::remove_dir_all(&reader_wal);
    }
    let _ = std::fs::remove_dir_all(&writer_wal);
    Ok(Section {
        title: format!(
            "Cold reads from objects ({} MiB in 64 KiB batches over {streams_n} streams; store {})",
            opts.cold_mib,
            opts.backend.display_uri()
        ),
        table: t,
        notes: vec![
            "Each stream read from offset 0 to its end, 1 MiB per read, by an engine that never held the data."
                .into(),
        ],
    })
}

fn get_count(metrics: &ObjectStoreMetrics) -> u64 {
    [Op::Get, Op::GetRanges, Op::Head]
        .into_iter()
        .map(|op| metrics.operations("store", op))
        .sum()
}

async fn read_stream(engine: &Engine, stream: StreamId) -> Result<u64> {
    let mut next = 0;
    let mut bytes = 0u64;
    loop {
        let got = engine.read(stream, next, 1 << 20).await?;
        let Some(last) = got.last() else {
            return Ok(bytes);
        };
        next = last.end_offset();
        bytes += got.iter().map(|b| b.payload.len() as u64).sum::<u64>();
    }
}

/// Bytes sent to the store per byte appended, for each WAL kind, split into data objects and the rest (object
/// WAL objects and metadata).
pub async fn amplification(opts: &Options) -> Result<Section> {
    let mut t = table(&[
        "WAL",
        "appended MiB",
        "written to store MiB",
        "store bytes / appended byte",
        "of which data objects",
        "of which WAL and metadata",
        "PUTs",
    ]);
    let body = payload(opts.batch_bytes);
    for wal in ["file", "object"] {
        let mut registry = Default::default();
        let metrics = ObjectStoreMetrics::register(&mut registry);
        let dir = opts.fresh_dir("amplification")?;
        let kind = match wal {
            "file" => WalKind::File { dir: dir.clone() },
            _ => WalKind::Object {
                interval: Duration::from_millis(10),
                max_bytes: 8 << 20,
            },
        };
        let (engine, streams, _) = opts
            .engine(opts.store(&metrics)?, kind, opts.streams, |_| {})
            .await?;
        let batches = opts.amplification_mib * 1024 * 1024 / opts.batch_bytes;
        let workers = 64.min(batches.max(1));
        let mut set = tokio::task::JoinSet::new();
        for w in 0..workers {
            let (engine, body) = (engine.clone(), body.clone());
            let s = streams[w % streams.len()];
            let n = batches / workers + usize::from(w < batches % workers);
            set.spawn(async move {
                for _ in 0..n {
                    engine.append(s, 1, body.clone()).await?;
                }
                anyhow::Ok(())
            });
        }
        while let Some(r) = set.join_next().await {
            r??;
        }
        engine.shutdown().await?;
        let appended = (batches * opts.batch_bytes) as f64;
        let written = metrics.bytes_written("store") as f64;
        let data: u64 = engine
            .meta()
            .read(|s| s.objects().map(|(_, o)| o.size).sum())
            .await;
        let puts = metrics.operations("store", Op::Put);
        t.add_row([
            wal.to_string(),
            format!("{:.0}", appended / 1048576.0),
            format!("{:.1}", written / 1048576.0),
            format!("{:.3}", written / appended),
            format!("{:.3}", data as f64 / appended),
            format!("{:.3}", (written - data as f64) / appended),
            puts.to_string(),
        ]);
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(Section {
        title: format!(
            "Bytes written to the store per byte appended ({} B batches over {} streams; store {})",
            opts.batch_bytes,
            opts.streams,
            opts.backend.display_uri()
        ),
        table: t,
        notes: vec![
            "Counted by the metrics wrapper (payload bytes of every PUT the store served). The file WAL's own \
             disk writes are not store bytes."
                .into(),
        ],
    })
}

/// Memory per idle partition: `partitions` streams created, opened, each given one small batch, uploaded; heap
/// and RSS measured before and after.
pub async fn memory(opts: &Options) -> Result<Section> {
    let metrics = ObjectStoreMetrics::register(&mut Default::default());
    let dir = opts.fresh_dir("memory")?;
    let (engine, warm, _) = opts
        .engine(
            opts.store(&metrics)?,
            WalKind::File { dir: dir.clone() },
            8,
            |_| {},
        )
        .await?;
    let small = payload(100);
    for &s in &warm {
        engine.append(s, 1, small.clone()).await?;
    }
    engine.flush().await?;
    let heap0 = opts.live_heap.map(|f| f());
    let rss0 = rss_bytes();
    let mut ids = Vec::with_capacity(opts.partitions);
    for i in 0..opts.partitions {
        let id = engine.create_stream(&format!("idle-{i}")).await?;
        engine.open_stream(id).await?;
        ids.push(id);
    }
    let heap_open = opts.live_heap.map(|f| f());
    let rss_open = rss_bytes();
    for &s in &ids {
        engine.append(s, 1, small.clone()).await?;
    }
    engine.flush().await?;
    let heap1 = opts.live_heap.map(|f| f());
    let rss1 = rss_bytes();
    engine.shutdown().await?;
    let _ = std::fs::remove_dir_all(&dir);
    let per = |a: Option<usize>, b: Option<usize>| match (a, b) {
        (Some(a), Some(b)) => format!(
            "{:.1}",
            (b as f64 - a as f64) / opts.partitions as f64 / 1024.0
        ),
        _ => "-".into(),
    };
    let mut t = table(&["state", "heap KiB / partition", "RSS KiB / partition"]);
    t.add_row([
        "created and open, never written".to_string(),
        per(heap0, heap_open),
        per(rss0, rss_open),
    ]);
    t.add_row([
        "one 100 B batch each, uploaded, idle".to_string(),
        per(heap0, heap1),
        per(rss0, rss1),
    ]);
    Ok(Section {
        title: format!("Memory per idle partition ({} partitions)", opts.partitions),
        table: t,
        notes: vec![
            "Heap: live bytes counted by the benchmark's allocator (everything the engine keeps: stream state, \
             metadata replica, log cache). RSS: resident set growth, which also holds allocator slack. Target: \
             at most 64 KiB."
                .into(),
        ],
    })
}

/// CPU time this process has used (user + system), from /proc/self/stat (Linux, 100 ticks a second); `None`
/// elsewhere.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the 12th, stime the 13th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// CPU microseconds per append over a step that started at `before`.
fn cpu_per_append(before: Option<Duration>, appends: u64) -> String {
    match (before, cpu_time()) {
        (Some(a), Some(b)) if appends > 0 => {
            format!("{:.0}", (b - a).as_secs_f64() * 1e6 / appends as f64)
        }
        _ => "-".into(),
    }
}

/// Resident set size from /proc/self/statm (Linux); `None` elsewhere.
fn rss_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
