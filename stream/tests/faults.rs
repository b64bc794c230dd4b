//! The engine through storage faults: every request goes through the seeded fault injector (throttling, transient
//! and permanent errors, timeouts before and after the store applied the request), under the retrying wrapper, as
//! a deployment stacks them. Several tasks append to several streams while the uploader runs; between rounds the
//! node restarts cleanly, crashes and restarts, or is taken over by another node. After every round each
//! acknowledged batch must be present exactly once, at the offset it was acknowledged at, each stream dense from
//! zero; once the faults stop, the engine must carry on (nothing stopped for good).
//!
//! Rounds alternate between retryable faults only, where the retries must absorb everything (every append is
//! acknowledged, every upload commits: a retried conditional write taken for a conflict fails here), and rounds
//! with permanent errors too, where appends may fail but nothing acknowledged may be lost. `AUTOMQ_SEED` picks the
//! fault seed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use automq_backend::wrappers::{
    FaultRule, FaultyStore, Op, PutIdCheck, RetryPolicy, RetryingStore,
};
use automq_stream::engine::{Engine, EngineConfig, WalKind};
use automq_stream::{Batch, NodeId, StreamId};
use bytes::Bytes;
use object_store::ObjectStore;

const STREAMS: usize = 4;
const TASKS: u64 = 6;
const APPENDS_PER_TASK: u64 = 40;
const ROUNDS: usize = 6;

/// One acknowledged append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ack {
    count: u32,
    crc: u32,
}

type Acked = Arc<Mutex<BTreeMap<(StreamId, u64), Ack>>>;

struct Setup {
    dir: tempfile::TempDir,
    faulty: FaultyStore,
    store: Arc<dyn ObjectStore>,
    wal: &'static str,
    label: String,
}

impl Setup {
    /// `inner`: "memory" (put ids checked through user metadata) or "local" (checked by comparing bytes).
    fn new(inner: &str, wal: &'static str, seed: u64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (raw, put_id): (Arc<dyn ObjectStore>, _) = match inner {
            "memory" => (
                Arc::new(object_store::memory::InMemory::new()),
                PutIdCheck::Metadata,
            ),
            _ => {
                std::fs::create_dir_all(dir.path().join("store")).unwrap();
                (
                    Arc::new(
                        object_store::local::LocalFileSystem::new_with_prefix(
                            dir.path().join("store"),
                        )
                        .unwrap(),
                    ),
                    PutIdCheck::Bytes,
                )
            }
        };
        let faulty = FaultyStore::new(raw, seed);
        // Retries bounded by attempts, with short sleeps so the test runs quickly; at the fault rates below, ten
        // failed attempts in a row are a one-in-billions event.
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(8),
            seed: Some(seed),
            put_id,
            ..RetryPolicy::default()
        };
        let store: Arc<dyn ObjectStore> =
            Arc::new(RetryingStore::new(Arc::new(faulty.clone()), policy));
        Setup {
            dir,
            faulty,
            store,
            wal,
            label: format!("{inner} store, {wal} WAL, seed {seed}"),
        }
    }

    fn wal_kind(&self, node: NodeId) -> WalKind {
        match self.wal {
            "file" => WalKind::File {
                dir: self.dir.path().join(format!("wal-{node}")),
            },
            _ => WalKind::Object {
                interval: Duration::from_millis(3),
                max_bytes: 64 * 1024,
            },
        }
    }

    fn config(&self, node: NodeId) -> EngineConfig {
        let mut c = EngineConfig::new(node, "faults", self.wal_kind(node));
        c.upload_interval = Duration::from_millis(25);
        c.upload_bytes = 64 * 1024;
        c.block_target = 2048;
        // A small log cache, so uploaded data is evicted and reads go to objects through the faults too.
        c.log_cache_bytes = 32 * 1024;
        c
    }

    /// Faults every retry absorbs: throttling, 503s, timeouts before and after the store applied the request.
    fn retryable_faults(&self) {
        let f = &self.faulty;
        f.set_rule(
            Op::Put,
            FaultRule::default()
                .throttle_first(3)
                .transient(0.05)
                .timeout_before_apply(0.03)
                .timeout_after_apply(0.08),
        );
        for op in [Op::Get, Op::GetRanges] {
            f.set_rule(
                op,
                FaultRule::default()
                    .transient(0.04)
                    .timeout_after_apply(0.04),
            );
        }
        f.set_rule(Op::Head, FaultRule::default().transient(0.05));
        f.set_rule(
            Op::List,
            FaultRule::default().throttle_first(2).transient(0.05),
        );
        f.set_rule(
            Op::Delete,
            FaultRule::default()
                .transient(0.03)
                .timeout_after_apply(0.08),
        );
    }

    /// The retryable faults plus permanent errors (400s), which no retry absorbs.
    fn all_faults(&self) {
        self.retryable_faults();
        let f = &self.faulty;
        f.set_rule(
            Op::Put,
            FaultRule::default()
                .transient(0.05)
                .timeout_after_apply(0.08)
                .permanent(0.03),
        );
        for op in [Op::Get, Op::GetRanges] {
            f.set_rule(
                op,
                FaultRule::default()
                    .transient(0.04)
                    .timeout_after_apply(0.04)
                    .permanent(0.02),
            );
        }
    }

    async fn open(&self, node: NodeId) -> Engine {
        Engine::open(self.store.clone(), self.config(node))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "{}: node {node} opens under retryable faults: {e}",
                    self.label
                )
            })
    }
}

fn payload(seed: u64, len: usize) -> Bytes {
    let mut x = seed | 1;
    Bytes::from(
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect::<Vec<_>>(),
    )
}

async fn open_streams(engine: &Engine) -> Vec<StreamId> {
    let mut ids = Vec::new();
    for i in 0..STREAMS {
        let id = engine.create_stream(&format!("s{i}")).await.unwrap();
        engine.open_stream(id).await.unwrap();
        ids.push(id);
    }
    ids
}

/// Appends from several tasks to random streams, reading now and then; one task also uploads every few appends.
/// `retryable`: only retryable faults are on, so every upload must commit. Returns how many appends failed.
async fn load(
    engine: &Engine,
    streams: &[StreamId],
    acked: &Acked,
    seed: u64,
    retryable: bool,
) -> u64 {
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let (engine, streams, acked) = (engine.clone(), streams.to_vec(), acked.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = seed.wrapping_mul(0x9E37_79B9).wrapping_add(t * 7919) | 1;
            let mut failed = 0;
            for i in 0..APPENDS_PER_TASK {
                if t == 0 && i % 4 == 3 {
                    let uploaded = engine.flush().await;
                    assert!(
                        uploaded.is_ok() || !retryable,
                        "retryable faults fail no upload: {uploaded:?}"
                    );
                }
                n ^= n << 13;
                n ^= n >> 7;
                n ^= n << 17;
                let stream = streams[(n % STREAMS as u64) as usize];
                if n.is_multiple_of(7) {
                    // A read of some earlier offset; under permanent faults it may fail, but never wrongly.
                    let known: Option<u64> = acked
                        .lock()
                        .unwrap()
                        .range((stream, 0)..=(stream, u64::MAX))
                        .map(|(&(_, base), _)| base)
                        .nth((n >> 20) as usize % 8);
                    if let Some(base) = known
                        && let Ok(got) = engine.read(stream, base, 4096).await
                    {
                        let ack = acked.lock().unwrap()[&(stream, base)];
                        let b = &got[0];
                        assert_eq!(b.base_offset, base);
                        assert_eq!((b.count, crc32c::crc32c(&b.payload)), (ack.count, ack.crc));
                    }
                }
                let count = 1 + (n >> 8) as u32 % 4;
                let body = payload(n, 1 + (n >> 16) as usize % 1500);
                let crc = crc32c::crc32c(&body);
                match engine.append(stream, count, body).await {
                    Ok(base) => {
                        let prev = acked
                            .lock()
                            .unwrap()
                            .insert((stream, base), Ack { count, crc });
                        assert!(
                            prev.is_none(),
                            "offset {base} of stream {stream} acknowledged twice"
                        );
                    }
                    Err(_) => failed += 1,
                }
            }
            failed
        }));
    }
    let mut failed = 0;
    for t in tasks {
        failed += t.await.unwrap();
    }
    failed
}

async fn read_all(engine: &Engine, stream: StreamId) -> Vec<Batch> {
    let mut out: Vec<Batch> = Vec::new();
    let mut next = 0;
    loop {
        let got = engine.read(stream, next, 16 * 1024).await.unwrap();
        if got.is_empty() {
            return out;
        }
        for b in got {
            if b.end_offset() > next {
                next = b.end_offset();
                out.push(b);
            }
        }
    }
}

/// Every acknowledged batch is there once, at its offset, with its data; every stream is dense from zero.
async fn check(engine: &Engine, streams: &[StreamId], acked: &Acked, ctx: &str) {
    let acked = acked.lock().unwrap().clone();
    for &stream in streams {
        let batches = read_all(engine, stream).await;
        let mut next = 0;
        for b in &batches {
            assert_eq!(
                b.base_offset, next,
                "{ctx}: stream {stream} has a gap or an overlap"
            );
            next = b.end_offset();
        }
        let by_base: BTreeMap<u64, &Batch> = batches.iter().map(|b| (b.base_offset, b)).collect();
        for ((s, base), ack) in acked.range((stream, 0)..=(stream, u64::MAX)) {
            let b = by_base.get(base).unwrap_or_else(|| {
                panic!("{ctx}: acknowledged batch at {base} of stream {s} is lost")
            });
            assert_eq!(
                (b.count, crc32c::crc32c(&b.payload)),
                (ack.count, ack.crc),
                "{ctx}: stream {s} offset {base} holds other data"
            );
        }
    }
}

async fn run(inner: &str, wal: &'static str) {
    let seed: u64 = std::env::var("AUTOMQ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0fa0_17ed);
    let setup = Setup::new(inner, wal, seed);
    let label = setup.label.clone();
    let acked: Acked = Arc::default();
    let mut node: NodeId = 1;
    setup.retryable_faults();
    let mut engine = setup.open(node).await;
    let streams = open_streams(&engine).await;
    let mut failed_appends = 0;
    for round in 0..ROUNDS {
        let ctx = format!("{label}, round {round}");
        let permanent = round % 2 == 1;
        if permanent {
            setup.all_faults();
        } else {
            setup.retryable_faults();
        }
        let failed = load(&engine, &streams, &acked, seed ^ round as u64, !permanent).await;
        failed_appends += failed;
        if !permanent {
            assert_eq!(failed, 0, "{ctx}: retryable faults fail no append");
            engine
                .flush()
                .await
                .unwrap_or_else(|e| panic!("{ctx}: retryable faults fail no upload: {e}"));
        }
        // The restart, crash or takeover runs under retryable faults: each must succeed through them.
        setup.retryable_faults();
        match round % 3 {
            0 => {
                engine
                    .shutdown()
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: clean shutdown: {e}"));
                engine = setup.open(node).await;
            }
            1 => {
                // A crash: the engine is abandoned without shutdown; its successor replays the WAL.
                std::mem::forget(engine);
                engine = setup.open(node).await;
            }
            _ => {
                // The node stops answering; the next one takes its streams over without its help.
                let dead = node;
                node += 1;
                let survivor = setup.open(node).await;
                let mut taken = survivor
                    .take_over(dead, setup.wal_kind(dead))
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: takeover of node {dead}: {e}"));
                taken.sort_unstable();
                assert_eq!(taken, streams, "{ctx}: every stream taken over");
                std::mem::forget(engine);
                engine = survivor;
            }
        }
        for &s in &streams {
            if engine.info(s).is_err() {
                engine
                    .open_stream(s)
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: reopening stream {s}: {e}"));
            }
        }
        check(
            &engine,
            &streams,
            &acked,
            &format!("{ctx}, after the restart"),
        )
        .await;
    }

    // A last round of every fault, and then the faults stop. The same engine, not restarted, takes appends on
    // every stream again (a stream stopped by a failed append is reopened, as its error says) and uploads them.
    setup.all_faults();
    failed_appends += load(&engine, &streams, &acked, seed ^ 0xffe, false).await;
    setup.faulty.clear_rules();
    let ctx = format!("{label}, after the faults");
    for &s in &streams {
        let probe = Bytes::from_static(b"probe");
        let crc = crc32c::crc32c(&probe);
        if let Ok(base) = engine.append(s, 1, probe).await {
            acked
                .lock()
                .unwrap()
                .insert((s, base), Ack { count: 1, crc });
        } else {
            engine
                .open_stream(s)
                .await
                .unwrap_or_else(|e| panic!("{ctx}: reopening stream {s}: {e}"));
        }
    }
    let failed = load(&engine, &streams, &acked, seed ^ 0xfff, true).await;
    assert_eq!(failed, 0, "{ctx}: every append succeeds");
    engine
        .flush()
        .await
        .unwrap_or_else(|e| panic!("{ctx}: upload: {e}"));
    check(&engine, &streams, &acked, &ctx).await;
    engine.shutdown().await.unwrap();
    let engine = setup.open(node).await;
    for &s in &streams {
        engine.open_stream(s).await.unwrap();
    }
    check(&engine, &streams, &acked, &format!("{ctx}, restarted")).await;
    engine.shutdown().await.unwrap();

    let injected = setup.faulty.injected_total();
    println!(
        "{label}: {} acknowledged batches checked, {injected} faults injected, {failed_appends} appends failed",
        acked.lock().unwrap().len()
    );
    assert!(
        injected > 100,
        "{label}: the faults really fired ({injected})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_lose_nothing_acknowledged_memory_store_object_wal() {
    run("memory", "object").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_lose_nothing_acknowledged_memory_store_file_wal() {
    run("memory", "file").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_lose_nothing_acknowledged_local_store_object_wal() {
    run("local", "object").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_lose_nothing_acknowledged_local_store_file_wal() {
    run("local", "file").await;
}

/// The exact sequence behind a stopped stream, scripted: five batches acknowledged and not yet uploaded; then two
/// appends in flight at once, each in its own WAL object, the first object's put failing for good and the second
/// succeeding. The second must not be acknowledged (it follows a hole, and replay stops at holes); reopening the
/// stream, as its error says, keeps the five, and the stream goes on right after them, also across a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_stopped_by_a_failed_append_reopens_with_everything_it_acknowledged() {
    use automq_backend::wrappers::Fault;
    let setup = Setup::new("memory", "object", 7);
    let mut config = setup.config(1);
    // One record per WAL object; uploads only when asked.
    config.wal = WalKind::Object {
        interval: Duration::from_millis(1),
        max_bytes: 1,
    };
    config.upload_interval = Duration::from_secs(3600);
    config.upload_bytes = usize::MAX;
    let engine = Engine::open(setup.store.clone(), config.clone())
        .await
        .unwrap();
    let s = engine.create_stream("stopped").await.unwrap();
    engine.open_stream(s).await.unwrap();
    let mut want = Vec::new();
    for i in 0..5u64 {
        let p = payload(i + 1, 100);
        assert_eq!(engine.append(s, 2, p.clone()).await.unwrap(), i * 2);
        want.push((i * 2, p));
    }
    let next_put = setup.faulty.calls(Op::Put);
    setup.faulty.set_rule(
        Op::Put,
        FaultRule::default().on_call(next_put, Fault::Permanent),
    );
    let (first, second) = tokio::join!(
        engine.append(s, 1, payload(98, 10)),
        engine.append(s, 1, payload(99, 10))
    );
    assert!(first.is_err(), "the first put fails: {first:?}");
    assert!(
        second.is_err(),
        "a batch after a failed one is never acknowledged: {second:?}"
    );
    assert!(
        engine.append(s, 1, payload(97, 10)).await.is_err(),
        "the stream is stopped"
    );
    setup.faulty.clear_rules();

    let check = |engine: Engine, want: Vec<(u64, Bytes)>, ctx: &'static str| async move {
        let got: Vec<(u64, Bytes)> = read_all(&engine, s)
            .await
            .into_iter()
            .map(|b| (b.base_offset, b.payload))
            .collect();
        assert_eq!(got, want, "{ctx}");
    };
    let info = engine.open_stream(s).await.unwrap();
    assert_eq!(
        info.confirmed, 10,
        "reopened right after what it acknowledged"
    );
    check(engine.clone(), want.clone(), "reopened").await;
    let p = payload(100, 10);
    assert_eq!(engine.append(s, 1, p.clone()).await.unwrap(), 10);
    want.push((10, p));
    check(engine.clone(), want.clone(), "appended after reopening").await;
    // A crash now: the successor replays the WAL and holds the same.
    std::mem::forget(engine);
    let engine = Engine::open(setup.store.clone(), config).await.unwrap();
    engine.open_stream(s).await.unwrap();
    check(engine.clone(), want, "after a crash").await;
    engine.shutdown().await.unwrap();
}
