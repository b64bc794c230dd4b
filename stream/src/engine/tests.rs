//! The engine end to end on a real local directory: appends, reads from the cache and from objects, restarts
//! with and without a clean shutdown, moving a stream between nodes, and a seeded randomized run against a model.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;

use super::{Engine, EngineConfig, WalKind};
use crate::types::{Batch, Offset, StreamId};

struct Fixture {
    dir: tempfile::TempDir,
    store: Arc<dyn ObjectStore>,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("store")).unwrap();
        let store = Arc::new(LocalFileSystem::new_with_prefix(dir.path().join("store")).unwrap());
        Self { dir, store }
    }

    fn config(&self, node: u32, wal: &str) -> EngineConfig {
        let wal = match wal {
            "file" => WalKind::File {
                dir: self.dir.path().join(format!("wal-{node}")),
            },
            _ => WalKind::Object {
                interval: Duration::from_millis(5),
                max_bytes: 1 << 20,
            },
        };
        let mut c = EngineConfig::new(node, "cluster", wal);
        // Uploads only when a test asks, so tests decide what is in objects and what is only in the WAL.
        c.upload_interval = Duration::from_secs(3600);
        c.upload_bytes = usize::MAX;
        c.block_target = 256;
        // Compactions too.
        c.compaction_interval = None;
        c
    }

    async fn open(&self, node: u32, wal: &str) -> Engine {
        Engine::open(self.store.clone(), self.config(node, wal))
            .await
            .unwrap()
    }
}

fn payload(stream: StreamId, base: Offset, len: usize) -> Bytes {
    Bytes::from(
        (0..len)
            .map(|i| (stream as usize * 31 + base as usize * 7 + i) as u8)
            .collect::<Vec<_>>(),
    )
}

/// Every batch of `stream` from `from` to its end, read in pieces as a consumer would.
async fn read_all(engine: &Engine, stream: StreamId, from: Offset) -> Vec<Batch> {
    let mut out: Vec<Batch> = Vec::new();
    let mut next = from;
    loop {
        let got = engine.read(stream, next, 300).await.unwrap();
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

async fn append_some(engine: &Engine, stream: StreamId, n: u64, first: Offset) -> Vec<Batch> {
    let mut batches = Vec::new();
    for i in 0..n {
        let base = first + i * 3;
        let p = payload(stream, base, 50 + (i as usize % 7) * 20);
        assert_eq!(engine.append(stream, 3, p.clone()).await.unwrap(), base);
        batches.push(Batch {
            stream,
            base_offset: base,
            count: 3,
            payload: p,
        });
    }
    batches
}

#[tokio::test]
async fn appends_read_back_from_the_cache_and_from_objects() {
    for wal in ["file", "object"] {
        let f = Fixture::new();
        let e = f.open(1, wal).await;
        let s = e.create_stream("orders-0").await.unwrap();
        e.open_stream(s).await.unwrap();
        let want = append_some(&e, s, 20, 0).await;
        assert_eq!(read_all(&e, s, 0).await, want, "{wal}: from the cache");
        assert_eq!(
            e.read(s, 4, 1).await.unwrap()[0].base_offset,
            3,
            "{wal}: an offset inside a batch"
        );
        assert!(
            e.read(s, 60, 100).await.unwrap().is_empty(),
            "{wal}: at the end"
        );
        assert!(e.read(s, 61, 100).await.is_err(), "{wal}: past the end");
        e.flush().await.unwrap();
        let objects = e
            .meta()
            .read(|st| st.stream(s).map(|m| (m.end, m.index.len())))
            .await
            .unwrap();
        assert_eq!(objects.0, 60, "{wal}: everything committed");
        e.shutdown().await.unwrap();
        // A second node that never had the data in its cache reads it from objects.
        let other = f.open(2, wal).await;
        assert_eq!(read_all(&other, s, 0).await, want, "{wal}: from objects");
        assert_eq!(
            read_all(&other, s, 31).await,
            want[10..].to_vec(),
            "{wal}: from objects, mid-batch"
        );
        other.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn acknowledged_appends_survive_a_crash_exactly_once() {
    for wal in ["file", "object"] {
        let f = Fixture::new();
        let s;
        let mut want;
        {
            let e = f.open(1, wal).await;
            s = e.create_stream("t-0").await.unwrap();
            e.open_stream(s).await.unwrap();
            want = append_some(&e, s, 10, 0).await;
            e.flush().await.unwrap();
            want.extend(append_some(&e, s, 7, 30).await);
            // A crash: no shutdown, nothing uploaded after the flush. The engine is simply abandoned.
            std::mem::forget(e);
        }
        let e = f.open(1, wal).await;
        assert_eq!(
            read_all(&e, s, 0).await,
            want,
            "{wal}: every acknowledged batch, once, dense"
        );
        let end = e.meta().read(|st| st.stream(s).unwrap().end).await;
        assert_eq!(
            end, 51,
            "{wal}: the replayed tail was uploaded and committed on restart"
        );
        // The stream keeps going at the right offset after reopening.
        e.open_stream(s).await.unwrap();
        assert_eq!(
            e.append(s, 1, Bytes::from_static(b"next")).await.unwrap(),
            51
        );
        e.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn a_stream_moves_to_another_node_with_every_record() {
    let f = Fixture::new();
    let a = f.open(1, "file").await;
    let b = f.open(2, "file").await;
    let s = a.create_stream("moving-0").await.unwrap();
    a.open_stream(s).await.unwrap();
    let mut want = append_some(&a, s, 12, 0).await;
    let refused = b.open_stream(s).await.unwrap_err();
    assert!(refused.to_string().contains("open on node 1"), "{refused}");
    a.close_stream(s).await.unwrap();
    assert!(
        a.append(s, 1, Bytes::from_static(b"late")).await.is_err(),
        "the old owner no longer appends"
    );
    let info = b.open_stream(s).await.unwrap();
    assert_eq!((info.confirmed, info.epoch), (36, 2));
    want.extend(append_some(&b, s, 3, 36).await);
    assert_eq!(read_all(&b, s, 0).await, want);
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_started_append_knows_its_base_offset_and_appends_land_in_start_order() {
    for wal in ["file", "object"] {
        let f = Fixture::new();
        let e = f.open(1, wal).await;
        let s = e.create_stream("patched-0").await.unwrap();
        e.open_stream(s).await.unwrap();
        let mut pending = Vec::new();
        for i in 0..10u32 {
            let count = 1 + i % 3;
            let p = e
                .start_append(s, count, |base| {
                    Bytes::from(format!("batch at {base} of {count}").into_bytes())
                })
                .unwrap();
            pending.push(p);
        }
        let bases: Vec<Offset> = pending.iter().map(|p| p.base_offset()).collect();
        assert_eq!(bases, [0, 1, 3, 6, 7, 9, 12, 13, 15, 18], "{wal}");
        // Awaited in reverse, and one handle dropped: every append still completes, in order.
        let dropped = pending.remove(4);
        drop(dropped);
        for p in pending.into_iter().rev() {
            let base = p.base_offset();
            assert_eq!(p.durable().await.unwrap(), base, "{wal}");
        }
        let got = read_all(&e, s, 0).await;
        assert_eq!(
            got.len(),
            10,
            "{wal}: the dropped handle's append landed too"
        );
        for b in got {
            let text = String::from_utf8(b.payload.to_vec()).unwrap();
            assert_eq!(
                text,
                format!("batch at {} of {}", b.base_offset, b.count),
                "{wal}"
            );
        }
        e.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn closing_a_stream_waits_for_its_appends_in_flight() {
    let f = Fixture::new();
    let mut config = f.config(1, "object");
    // A slow object WAL keeps appends in flight while the close starts.
    config.wal = WalKind::Object {
        interval: Duration::from_millis(200),
        max_bytes: 1 << 30,
    };
    let a = Engine::open(f.store.clone(), config).await.unwrap();
    let s = a.create_stream("closing-0").await.unwrap();
    a.open_stream(s).await.unwrap();
    let pending: Vec<_> = (0..5)
        .map(|i| {
            a.start_append(s, 2, |_| Bytes::from(vec![i as u8; 10]))
                .unwrap()
        })
        .collect();
    a.close_stream(s).await.unwrap();
    let mut acknowledged = 0;
    for p in pending {
        if p.durable().await.is_ok() {
            acknowledged += 1;
        }
    }
    assert_eq!(acknowledged, 5, "appends started before the close finish");
    let b = f.open(2, "file").await;
    let info = b.open_stream(s).await.unwrap();
    assert_eq!(
        info.confirmed, 10,
        "every acknowledged record moved with the stream"
    );
    assert_eq!(read_all(&b, s, 0).await.len(), 5);
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_deleted_stream_is_gone_and_the_others_keep_uploading() {
    for wal in ["file", "object"] {
        let f = Fixture::new();
        let e = f.open(1, wal).await;
        let gone = e.create_stream("gone-0").await.unwrap();
        let kept = e.create_stream("kept-0").await.unwrap();
        for s in [gone, kept] {
            e.open_stream(s).await.unwrap();
        }
        append_some(&e, gone, 4, 0).await;
        e.flush().await.unwrap();
        append_some(&e, gone, 3, 12).await;
        let want = append_some(&e, kept, 5, 0).await;
        e.delete_stream(gone).await.unwrap();
        e.flush().await.unwrap();
        assert!(e.read(gone, 0, 100).await.is_err(), "{wal}");
        assert!(
            e.append(gone, 1, Bytes::from_static(b"x")).await.is_err(),
            "{wal}"
        );
        assert_eq!(read_all(&e, kept, 0).await, want, "{wal}");
        let (kept_end, unreferenced) = e
            .meta()
            .read(|st| {
                (
                    st.stream(kept).unwrap().end,
                    st.unreferenced_objects(u64::MAX).len(),
                )
            })
            .await;
        assert_eq!(kept_end, 15, "{wal}: the other stream's data was committed");
        assert_eq!(
            unreferenced, 1,
            "{wal}: the deleted stream's object is garbage"
        );
        let again = e.create_stream("gone-0").await.unwrap();
        assert!(again > kept, "{wal}: a new stream under the old name");
        e.shutdown().await.unwrap();
        // A restart replays nothing of the deleted stream.
        let e = f.open(1, wal).await;
        assert!(e.read(gone, 0, 100).await.is_err(), "{wal}");
        e.shutdown().await.unwrap();
    }
}

/// A tiny deterministic generator, so a failing seed replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[tokio::test]
async fn randomized_operations_match_a_model() {
    let seed: u64 = std::env::var("AUTOMQ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00c0_ffee);
    for wal in ["file", "object"] {
        let mut rng = Rng(seed);
        let f = Fixture::new();
        let config = || {
            let mut c = f.config(1, wal);
            // Small enough that every upload is a small object and compactions happen often.
            c.compaction_target_bytes = 4096;
            c.compaction_trigger_objects = 2;
            // And uploaded data leaves memory soon, so reads go to (compacted) objects, through a block cache
            // too small to hold much, with readahead.
            c.log_cache_bytes = 2048;
            c.block_cache_bytes = 8192;
            c.readahead_bytes = 2048;
            c
        };
        let open = || Engine::open(f.store.clone(), config());
        let mut e = open().await.unwrap();
        let mut streams = Vec::new();
        for i in 0..3 {
            let s = e.create_stream(&format!("r-{i}")).await.unwrap();
            e.open_stream(s).await.unwrap();
            streams.push(s);
        }
        let mut model: Vec<Vec<Batch>> = vec![Vec::new(); 3];
        let mut trimmed: Vec<Offset> = vec![0; 3];
        let mut compacted = 0;
        for step in 0..300 {
            let i = rng.below(3) as usize;
            let s = streams[i];
            let ctx = format!("seed {seed}, {wal} WAL, step {step}");
            match rng.below(21) {
                0..=11 => {
                    let count = 1 + rng.below(5) as u32;
                    let base = model[i].last().map_or(0, Batch::end_offset);
                    let p = payload(s, base, 1 + rng.below(400) as usize);
                    assert_eq!(e.append(s, count, p.clone()).await.unwrap(), base, "{ctx}");
                    model[i].push(Batch {
                        stream: s,
                        base_offset: base,
                        count,
                        payload: p,
                    });
                }
                12..=14 => {
                    let end = model[i].last().map_or(0, Batch::end_offset);
                    let from = trimmed[i] + rng.below(end - trimmed[i] + 1);
                    let want: Vec<Batch> = model[i]
                        .iter()
                        .filter(|b| b.end_offset() > from)
                        .cloned()
                        .collect();
                    assert_eq!(read_all(&e, s, from).await, want, "{ctx}: read from {from}");
                }
                15..=16 => e.flush().await.unwrap(),
                17 => {
                    let end = model[i].last().map_or(0, Batch::end_offset);
                    // Trim at a batch boundary at most halfway.
                    if let Some(b) = model[i]
                        .iter()
                        .find(|b| b.base_offset >= end / 2 && b.base_offset > trimmed[i])
                    {
                        e.flush().await.unwrap();
                        e.trim(s, b.base_offset).await.unwrap();
                        trimmed[i] = b.base_offset;
                        model[i].retain(|x| x.base_offset >= trimmed[i]);
                    }
                }
                18 => {
                    e.shutdown().await.unwrap();
                    e = open().await.unwrap();
                    for &s in &streams {
                        e.open_stream(s).await.unwrap();
                    }
                }
                19 => {
                    let stats = e.compact().await.unwrap();
                    assert_eq!(stats.rejected, 0, "{ctx}");
                    compacted += stats.objects_in;
                    // Replaced objects go at once: every later read must come from the outputs.
                    e.collect_garbage(Duration::ZERO).await.unwrap();
                    e.meta()
                        .read(|st| st.check_invariants())
                        .await
                        .unwrap_or_else(|why| panic!("{ctx}: {why}"));
                }
                _ => {
                    std::mem::forget(e);
                    e = open().await.unwrap();
                    for &s in &streams {
                        e.open_stream(s).await.unwrap();
                    }
                }
            }
        }
        for (i, &s) in streams.iter().enumerate() {
            assert_eq!(
                read_all(&e, s, trimmed[i]).await,
                model[i],
                "seed {seed}, {wal} WAL: final state of {s}"
            );
        }
        assert!(
            compacted > 0,
            "seed {seed}, {wal} WAL: no compaction replaced anything"
        );
        e.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn a_survivor_takes_over_a_dead_nodes_streams_with_every_acknowledged_record() {
    for wal in ["object", "file"] {
        let f = Fixture::new();
        let a = f.open(1, wal).await;
        let s1 = a.create_stream("fo-0").await.unwrap();
        let s2 = a.create_stream("fo-1").await.unwrap();
        a.open_stream(s1).await.unwrap();
        a.open_stream(s2).await.unwrap();
        let mut want1 = append_some(&a, s1, 4, 0).await;
        a.flush().await.unwrap();
        want1.extend(append_some(&a, s1, 4, 12).await);
        let want2 = append_some(&a, s2, 5, 0).await;
        // Node 1 stops answering; node 2 takes over without any help from it.
        let b = f.open(2, wal).await;
        let dead_wal = match wal {
            "file" => WalKind::File {
                dir: f.dir.path().join("wal-1"),
            },
            _ => WalKind::Object {
                interval: Duration::from_millis(5),
                max_bytes: 1 << 20,
            },
        };
        let mut taken = b.take_over(1, dead_wal).await.unwrap();
        taken.sort();
        assert_eq!(taken, [s1, s2], "{wal}");
        assert_eq!(
            read_all(&b, s1, 0).await,
            want1,
            "{wal}: committed and WAL-only records of s1"
        );
        assert_eq!(
            read_all(&b, s2, 0).await,
            want2,
            "{wal}: WAL-only records of s2"
        );
        let late = a.append(s1, 1, Bytes::from_static(b"zombie")).await;
        assert!(
            late.is_err(),
            "{wal}: the fenced node acknowledges nothing more: {late:?}"
        );
        assert_eq!(
            b.append(s1, 1, Bytes::from_static(b"next")).await.unwrap(),
            24,
            "{wal}"
        );
        assert_eq!(
            read_all(&b, s1, 24).await.len(),
            1,
            "{wal}: no zombie record in the stream"
        );
        b.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn garbage_collection_deletes_only_what_nothing_references() {
    use object_store::{ObjectStoreExt, PutPayload, path::Path};
    let f = Fixture::new();
    let e = f.open(1, "file").await;
    let s = e.create_stream("gc-0").await.unwrap();
    e.open_stream(s).await.unwrap();
    let _first = append_some(&e, s, 5, 0).await;
    e.flush().await.unwrap();
    let second = append_some(&e, s, 5, 15).await;
    e.flush().await.unwrap();
    let keys = |e: Engine| async move {
        e.meta()
            .read(|st| st.objects().map(|(_, o)| o.key.clone()).collect::<Vec<_>>())
            .await
    };
    let before = keys(e.clone()).await;
    assert_eq!(before.len(), 2);
    // An upload whose commit never happened (its node was fenced in between).
    let orphan = Path::from("cluster/data/0rphan");
    f.store
        .put(&orphan, PutPayload::from_static(b"never committed"))
        .await
        .unwrap();

    // Nothing is unreferenced yet: a collection deletes only the orphan, and only once it is old enough.
    assert_eq!(
        e.collect_garbage(Duration::from_secs(3600)).await.unwrap(),
        super::GcStats::default()
    );
    // Trimming past the first object leaves it unreferenced.
    e.trim(s, 15).await.unwrap();
    let stats = e.collect_garbage(Duration::ZERO).await.unwrap();
    assert_eq!((stats.objects, stats.orphans), (1, 1));
    let after = keys(e.clone()).await;
    assert_eq!(after.len(), 1);
    assert!(
        f.store.head(&Path::from(before[0].as_str())).await.is_err(),
        "the trimmed object is gone"
    );
    assert!(
        f.store.head(&Path::from(after[0].as_str())).await.is_ok(),
        "the referenced object stays"
    );
    assert!(f.store.head(&orphan).await.is_err(), "the orphan is gone");
    assert_eq!(
        read_all(&e, s, 15).await,
        second,
        "what is still served reads back"
    );
    assert_eq!(
        e.collect_garbage(Duration::ZERO).await.unwrap(),
        super::GcStats::default(),
        "idempotent"
    );
    e.shutdown().await.unwrap();
}

/// Referenced objects as (id, size, live bytes estimate).
async fn live_objects(e: &Engine) -> Vec<(u64, u64, u64)> {
    e.meta().catch_up().await.unwrap();
    e.meta()
        .read(|st| {
            st.objects()
                .filter(|(_, o)| o.refs > 0)
                .map(|(id, o)| (id, o.size, super::compact::live_bytes(st, id, o)))
                .collect()
        })
        .await
}

/// Every object key under `<prefix>/data` in the store.
async fn stored_objects(store: &Arc<dyn ObjectStore>) -> usize {
    use futures::TryStreamExt;
    store
        .list(Some(&object_store::path::Path::from("cluster/data")))
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .len()
}

/// Checks that a read from inside each of a sample of batches returns that batch first.
async fn check_mid_batch_reads(e: &Engine, want: &[Batch], ctx: &str) {
    for b in want.iter().step_by(7).filter(|b| b.count > 1) {
        let got = e.read(b.stream, b.base_offset + 1, 1).await.unwrap();
        assert_eq!(
            got.first(),
            Some(b),
            "{ctx}: read from inside the batch at {}",
            b.base_offset
        );
    }
}

/// Many small uploads of one heavy and five light streams, then compaction at a 256 KiB target (a quarter of it,
/// 64 KiB, is the smallest object it leaves besides a few small ones: the 64 MiB default's 64 objects per GiB,
/// scaled down 256 times).
#[tokio::test]
async fn compaction_bounds_the_object_count_and_every_record_reads_back() {
    let f = Fixture::new();
    const TARGET: usize = 256 * 1024;
    const TRIGGER: usize = 4;
    let config = |node| {
        let mut c = f.config(node, "file");
        c.block_target = 4096;
        c.compaction_target_bytes = TARGET;
        c.compaction_trigger_objects = TRIGGER;
        c
    };
    let e = Engine::open(f.store.clone(), config(1)).await.unwrap();
    let mut streams = Vec::new();
    for i in 0..6 {
        let s = e.create_stream(&format!("c-{i}")).await.unwrap();
        e.open_stream(s).await.unwrap();
        streams.push(s);
    }
    let mut want: Vec<Vec<Batch>> = vec![Vec::new(); streams.len()];
    for round in 0..150u64 {
        for (i, &s) in streams.iter().enumerate() {
            let (n, len) = if i == 0 { (3, 2000) } else { (2, 150) };
            for k in 0..n {
                let base = want[i].last().map_or(0, Batch::end_offset);
                let count = 1 + ((round + k) % 4) as u32;
                let p = payload(s, base, len + (k as usize * 13));
                assert_eq!(e.append(s, count, p.clone()).await.unwrap(), base);
                want[i].push(Batch {
                    stream: s,
                    base_offset: base,
                    count,
                    payload: p,
                });
            }
        }
        e.flush().await.unwrap();
    }
    // Stream 1 is trimmed a third of the way: compaction drops what is no longer served.
    let cut = want[1][want[1].len() / 3].base_offset;
    e.trim(streams[1], cut).await.unwrap();
    want[1].retain(|b| b.base_offset >= cut);

    let before = live_objects(&e).await;
    assert_eq!(before.len(), 150, "one stream-set object per upload");
    let stats = e.compact().await.unwrap();
    let after = live_objects(&e).await;
    let live: u64 = after.iter().map(|(_, _, l)| l).sum();
    let small = after
        .iter()
        .filter(|(_, _, l)| *l < TARGET as u64 / 4)
        .count();
    // Objects per GiB at the default target: this run's count per live byte, scaled by 64 MiB / TARGET.
    let per_gib = after.len() as f64 * (1u64 << 30) as f64 / live as f64 * TARGET as f64
        / (64u64 << 20) as f64;
    eprintln!(
        "compaction: {} objects ({} KiB) -> {} objects ({} KiB live) in {} rounds, {small} small; \
         {per_gib:.1} objects per GiB at the 64 MiB default's scale; {stats:?}",
        before.len(),
        before.iter().map(|(_, s, _)| s).sum::<u64>() / 1024,
        after.len(),
        live / 1024,
        stats.rounds
    );
    assert!(stats.rounds > 0 && stats.rejected == 0, "{stats:?}");
    assert_eq!(
        stats.objects_in,
        before.len() + stats.objects_out - after.len()
    );
    assert!(
        small < TRIGGER,
        "at most {} small objects stay: {after:?}",
        TRIGGER - 1
    );
    assert!(
        (after.len() as u64) < live / (TARGET as u64 / 4) + TRIGGER as u64,
        "{} objects for {live} live bytes",
        after.len()
    );
    assert!(per_gib <= 64.0 + 1.0, "{per_gib} objects per GiB");
    assert_eq!(
        e.compact().await.unwrap(),
        super::CompactStats::default(),
        "nothing left to do"
    );

    // Another node, with nothing cached, reads every record from the compacted objects, in small pieces and
    // from inside batches.
    let check = |ctx: &'static str| {
        let (store, want, streams) = (f.store.clone(), want.clone(), streams.clone());
        let config = config(2);
        async move {
            let other = Engine::open(store, config).await.unwrap();
            for (i, &s) in streams.iter().enumerate() {
                let from = want[i][0].base_offset;
                assert_eq!(
                    read_all(&other, s, from).await,
                    want[i],
                    "{ctx}: stream {s}"
                );
                check_mid_batch_reads(&other, &want[i], ctx).await;
            }
            other.shutdown().await.unwrap();
        }
    };
    check("after compaction").await;
    // The replaced objects stay for the grace period, so readers that located them can finish.
    let stored = stored_objects(&f.store).await;
    assert_eq!(
        e.collect_garbage(Duration::from_secs(3600)).await.unwrap(),
        super::GcStats::default()
    );
    assert_eq!(stored_objects(&f.store).await, stored);
    let gc = e.collect_garbage(Duration::ZERO).await.unwrap();
    assert_eq!(
        gc.objects, stats.objects_in,
        "every replaced object (the trimmed ones held other streams too)"
    );
    assert_eq!(stored_objects(&f.store).await, after.len());
    check("after garbage collection").await;
    e.shutdown().await.unwrap();
}

/// The default 64 MiB target on about 100 MiB: four heavy streams and eight light ones, uploaded about 1 MiB at a
/// time.
#[tokio::test]
async fn compaction_at_the_default_target_keeps_64_objects_per_gib() {
    let f = Fixture::new();
    let mut c = f.config(1, "file");
    c.block_target = 512 * 1024;
    c.log_cache_bytes = 1 << 20;
    c.compaction_target_bytes = EngineConfig::new(1, "x", c.wal.clone()).compaction_target_bytes;
    let target = c.compaction_target_bytes;
    let e = Engine::open(f.store.clone(), c).await.unwrap();
    let mut streams = Vec::new();
    for i in 0..12 {
        let s = e.create_stream(&format!("d-{i}")).await.unwrap();
        e.open_stream(s).await.unwrap();
        streams.push(s);
    }
    let mut want: Vec<Vec<Batch>> = vec![Vec::new(); streams.len()];
    let mut pending = 0;
    for round in 0..80u64 {
        let mut appends = Vec::new();
        for (i, &s) in streams.iter().enumerate() {
            let len = if i < 4 {
                256 * 1024
            } else {
                16 * 1024 + round as usize
            };
            let base = want[i].last().map_or(0, Batch::end_offset);
            let p = payload(s, base, len);
            want[i].push(Batch {
                stream: s,
                base_offset: base,
                count: 10,
                payload: p.clone(),
            });
            appends.push(e.append(s, 10, p));
            pending += len;
        }
        for a in futures::future::join_all(appends).await {
            a.unwrap();
        }
        if pending >= 1 << 20 {
            e.flush().await.unwrap();
            pending = 0;
        }
    }
    e.flush().await.unwrap();
    let before = live_objects(&e).await;
    let stats = e.compact().await.unwrap();
    let after = live_objects(&e).await;
    let live: u64 = after.iter().map(|(_, _, l)| l).sum();
    let per_gib = after.len() as f64 * (1u64 << 30) as f64 / live as f64;
    eprintln!(
        "default target: {} objects -> {} objects for {} MiB live: {per_gib:.1} objects per GiB; {stats:?}",
        before.len(),
        after.len(),
        live >> 20
    );
    assert!(before.len() >= 80, "{}", before.len());
    assert!(
        after.iter().all(|(_, _, l)| *l >= target as u64 / 4),
        "{after:?}"
    );
    assert!(per_gib <= 64.0, "{per_gib} objects per GiB");
    let other = f.open(2, "file").await;
    for (i, &s) in streams.iter().enumerate() {
        assert_eq!(read_all(&other, s, 0).await, want[i], "stream {s}");
    }
    other.shutdown().await.unwrap();
    e.shutdown().await.unwrap();
}

/// Small uploads of two streams, each object holding both.
async fn small_uploads(e: &Engine, streams: &[StreamId], rounds: u64) -> Vec<Vec<Batch>> {
    let mut want: Vec<Vec<Batch>> = vec![Vec::new(); streams.len()];
    for _ in 0..rounds {
        for (i, &s) in streams.iter().enumerate() {
            let first = want[i].last().map_or(0, Batch::end_offset);
            want[i].extend(append_some(e, s, 3, first).await);
        }
        e.flush().await.unwrap();
    }
    want
}

#[tokio::test]
async fn a_trim_racing_a_compaction_loses_nothing_and_the_stale_compaction_is_refused() {
    let f = Fixture::new();
    let failpoints = crate::meta::Failpoints::new();
    let mut c = f.config(1, "file");
    c.compaction_target_bytes = 64 * 1024;
    c.compaction_trigger_objects = 2;
    c.failpoints = Some(failpoints.clone());
    let e = Engine::open(f.store.clone(), c).await.unwrap();
    let s1 = e.create_stream("tr-0").await.unwrap();
    let s2 = e.create_stream("tr-1").await.unwrap();
    e.open_stream(s1).await.unwrap();
    e.open_stream(s2).await.unwrap();
    let mut want = small_uploads(&e, &[s1, s2], 10).await;
    let ids =
        |objects: Vec<(u64, u64, u64)>| objects.into_iter().map(|(id, ..)| id).collect::<Vec<_>>();
    let before = ids(live_objects(&e).await);

    // The compaction has planned and uploaded its outputs; then stream 1 is trimmed past its first three
    // objects, which changes the inputs' runs.
    let mut paused = failpoints.pause(super::compact_points::UPLOADED);
    let compaction = tokio::spawn({
        let e = e.clone();
        async move { e.compact().await }
    });
    paused.reached().await;
    let cut = want[0][9].base_offset;
    e.trim(s1, cut).await.unwrap();
    want[0].retain(|b| b.base_offset >= cut);
    drop(paused);
    let stats = compaction.await.unwrap().unwrap();
    assert_eq!((stats.rounds, stats.rejected), (0, 1), "{stats:?}");
    assert_eq!(
        ids(live_objects(&e).await),
        before,
        "the refused compaction changed nothing"
    );

    let other = f.open(2, "file").await;
    assert_eq!(read_all(&other, s1, cut).await, want[0]);
    assert_eq!(read_all(&other, s2, 0).await, want[1]);
    // Its outputs are referenced by nothing: orphans for garbage collection.
    let gc = e.collect_garbage(Duration::ZERO).await.unwrap();
    assert!(gc.orphans >= 1, "{gc:?}");
    assert_eq!(stored_objects(&f.store).await, before.len());

    // Planned again on the new state, it goes through.
    let stats = e.compact().await.unwrap();
    assert_eq!((stats.rounds, stats.rejected), (1, 0), "{stats:?}");
    assert_eq!(live_objects(&e).await.len(), 1);
    e.collect_garbage(Duration::ZERO).await.unwrap();
    assert_eq!(read_all(&other, s1, cut).await, want[0]);
    assert_eq!(read_all(&other, s2, 0).await, want[1]);
    other.shutdown().await.unwrap();
    e.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_takeover_racing_a_compaction_fences_it_and_the_survivor_compacts_instead() {
    for wal in ["object", "file"] {
        let f = Fixture::new();
        let failpoints = crate::meta::Failpoints::new();
        let config = |node| {
            let mut c = f.config(node, wal);
            c.compaction_target_bytes = 64 * 1024;
            c.compaction_trigger_objects = 2;
            c.failpoints = Some(failpoints.clone());
            c
        };
        let a = Engine::open(f.store.clone(), config(1)).await.unwrap();
        let s1 = a.create_stream("to-0").await.unwrap();
        let s2 = a.create_stream("to-1").await.unwrap();
        a.open_stream(s1).await.unwrap();
        a.open_stream(s2).await.unwrap();
        let mut want = small_uploads(&a, &[s1, s2], 8).await;
        // And some acknowledged records only in the WAL.
        let first = want[0].last().map_or(0, Batch::end_offset);
        want[0].extend(append_some(&a, s1, 2, first).await);

        let mut paused = failpoints.pause(super::compact_points::UPLOADED);
        let compaction = tokio::spawn({
            let a = a.clone();
            async move { a.compact().await }
        });
        paused.reached().await;
        // Node 1 stops answering; node 2 takes over its streams.
        let b = Engine::open(f.store.clone(), config(2)).await.unwrap();
        let dead_wal = match wal {
            "file" => WalKind::File {
                dir: f.dir.path().join("wal-1"),
            },
            _ => WalKind::Object {
                interval: Duration::from_millis(5),
                max_bytes: 1 << 20,
            },
        };
        b.take_over(1, dead_wal).await.unwrap();
        drop(paused);
        let refused = compaction.await.unwrap().unwrap_err();
        assert_eq!(refused.kind(), crate::ErrorKind::Fenced, "{wal}: {refused}");
        assert_eq!(read_all(&b, s1, 0).await, want[0], "{wal}");
        assert_eq!(read_all(&b, s2, 0).await, want[1], "{wal}");

        // Node 1's objects now belong to nobody alive: the survivor compacts them.
        let before = live_objects(&b).await.len();
        let stats = b.compact().await.unwrap();
        assert!(
            stats.rounds >= 1 && stats.objects_in >= before - 1,
            "{wal}: {stats:?}"
        );
        b.collect_garbage(Duration::ZERO).await.unwrap();
        assert_eq!(
            live_objects(&b).await.len(),
            1,
            "{wal}: one object holds everything"
        );
        let other = f.open(3, wal).await;
        assert_eq!(read_all(&other, s1, 0).await, want[0], "{wal}: cold");
        assert_eq!(read_all(&other, s2, 0).await, want[1], "{wal}: cold");
        other.shutdown().await.unwrap();
        b.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn an_owner_with_a_stale_view_reads_through_a_compaction_done_elsewhere() {
    let f = Fixture::new();
    let config = |node| {
        let mut c = f.config(node, "file");
        c.compaction_target_bytes = 64 * 1024;
        c.compaction_trigger_objects = 2;
        c
    };
    let a = Engine::open(f.store.clone(), config(1)).await.unwrap();
    let s = a.create_stream("st-0").await.unwrap();
    a.open_stream(s).await.unwrap();
    let want = small_uploads(&a, &[s], 6).await.remove(0);
    a.close_stream(s).await.unwrap();
    // The stream moves to node 2; node 1 still compacts the objects it wrote, and collects the old ones.
    let b = Engine::open(f.store.clone(), config(2)).await.unwrap();
    b.open_stream(s).await.unwrap();
    assert_eq!(a.compact().await.unwrap().rounds, 1);
    assert_eq!(a.collect_garbage(Duration::ZERO).await.unwrap().objects, 6);
    // Node 2's view still names the deleted objects: it finds them gone, catches up and reads the new one.
    assert_eq!(read_all(&b, s, 0).await, want);
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

/// Node 1 writes `batches` batches of about 1000 bytes to one stream in four uploads and closes it; each engine
/// of `readers` (node 2, 3, …) then opens it in turn (so reads need no metadata requests) and reads it from the
/// start, `max_bytes` at a time, with its own configuration. Returns the data GETs of each reader, as the
/// store's metrics count them, and its block cache counters.
async fn cold_reads(
    readers: &[(usize, usize)],
    batches: u64,
    max_bytes: usize,
) -> Vec<(u64, super::BlockCacheStats)> {
    use automq_backend::wrappers::Op;
    let f = Fixture::new();
    let mut registry = prometheus_client::registry::Registry::default();
    let metrics = automq_backends::ObjectStoreMetrics::register(&mut registry);
    let backend = automq_backends::LocalBackend::new(f.dir.path().join("store"));
    let store = automq_backends::engine_store(&backend, &metrics, "data").unwrap();
    let gets = || metrics.operations("data", Op::Get) + metrics.operations("data", Op::GetRanges);
    let config = |node: u32| {
        let mut c = f.config(node, "file");
        c.block_target = 4096;
        c.log_cache_bytes = 0;
        c
    };
    let writer = Engine::open(store.clone(), config(1)).await.unwrap();
    let s = writer.create_stream("cold-0").await.unwrap();
    writer.open_stream(s).await.unwrap();
    let mut want = Vec::new();
    for i in 0..batches {
        let p = payload(s, i * 2, 1000 + (i as usize % 5));
        writer.append(s, 2, p.clone()).await.unwrap();
        want.push(Batch {
            stream: s,
            base_offset: i * 2,
            count: 2,
            payload: p,
        });
        if (i + 1) % (batches / 4) == 0 {
            writer.flush().await.unwrap();
        }
    }
    writer.close_stream(s).await.unwrap();
    writer.shutdown().await.unwrap();
    let mut out = Vec::new();
    for (i, &(block_cache_bytes, readahead_bytes)) in readers.iter().enumerate() {
        let mut c = config(2 + i as u32);
        c.block_cache_bytes = block_cache_bytes;
        c.readahead_bytes = readahead_bytes;
        let e = Engine::open(store.clone(), c).await.unwrap();
        e.open_stream(s).await.unwrap();
        let before = gets();
        let mut got: Vec<Batch> = Vec::new();
        loop {
            let next = got.last().map_or(0, Batch::end_offset);
            let batch = e.read(s, next, max_bytes).await.unwrap();
            if batch.is_empty() {
                break;
            }
            got.extend(batch);
        }
        assert_eq!(got, want, "reader {i}: every batch, in order, once");
        out.push((gets() - before, e.block_cache_stats()));
        e.close_stream(s).await.unwrap();
        e.shutdown().await.unwrap();
    }
    out
}

#[tokio::test]
async fn a_consumer_catching_up_is_served_by_readahead_with_few_gets() {
    // 256 batches of about 1 KiB in 4 objects: about 52 blocks of about 5 KiB. The reader takes about one block
    // per read. With readahead (64 KiB, about 13 blocks), against the same reader without it.
    let runs = cold_reads(&[(1 << 20, 64 * 1024), (1 << 20, 0)], 256, 5000).await;
    let (with, stats) = runs[0];
    let (without, plain) = runs[1];
    let blocks = plain.misses;
    eprintln!(
        "cold sequential read of {blocks} blocks: {with} GETs with readahead ({stats:?}), {without} without ({plain:?})"
    );
    assert!(blocks >= 40, "{plain:?}");
    assert_eq!(
        without,
        blocks + 4,
        "without readahead: one GET per block, and one per object for its index"
    );
    assert!(
        stats.readahead_blocks + stats.misses == blocks && stats.readahead_hits >= blocks - 4,
        "with readahead nearly every block was fetched ahead and then used: {stats:?}"
    );
    // Each readahead GET takes what half a window lacks (about 6 blocks), one GET per object it spans.
    assert!(
        with * 3 <= without,
        "{with} GETs with readahead, {without} without"
    );
    assert_eq!(stats.index_misses, 4, "each index is read once: {stats:?}");
}

#[tokio::test]
async fn the_second_sequential_cold_read_is_served_by_readahead() {
    // Two reads only: the first fetches its block itself, the second finds the next one fetched ahead.
    let f = Fixture::new();
    let mut c = f.config(1, "file");
    c.block_target = 4096;
    c.log_cache_bytes = 0;
    c.readahead_bytes = 64 * 1024;
    let e = Engine::open(f.store.clone(), c).await.unwrap();
    let s = e.create_stream("rh-0").await.unwrap();
    e.open_stream(s).await.unwrap();
    let want = append_some(&e, s, 200, 0).await;
    e.flush().await.unwrap();
    let first = e.read(s, 0, 1).await.unwrap();
    assert_eq!(first[..], want[..1]);
    let after_first = e.block_cache_stats();
    assert_eq!((after_first.misses, after_first.readahead_hits), (1, 0));
    let next = first[0].end_offset();
    // (Reads run on any task.)
    let second = tokio::spawn({
        let e = e.clone();
        async move { e.read(s, next, 1).await }
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(second[..], want[1..2]);
    let mut rest = e.read(s, second[0].end_offset(), 4000).await.unwrap();
    assert_eq!(rest[..], want[2..2 + rest.len()]);
    // The second read is in the first read's block (blocks hold several batches); what follows was fetched ahead.
    let stats = e.block_cache_stats();
    assert_eq!(stats.misses, 1, "{stats:?}");
    assert!(stats.readahead_hits >= 1, "{stats:?}");
    rest.clear();
    e.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_block_cache_stays_within_its_bound() {
    // A 24 KiB cache (21 KiB of it for blocks) while about 260 KiB stream through it, with readahead.
    let runs = cold_reads(&[(24 * 1024, 8 * 1024)], 256, 3000).await;
    let (_, stats) = runs[0];
    eprintln!("small block cache: {stats:?}");
    assert!(stats.bytes <= 24 * 1024 - 24 * 1024 / 8, "{stats:?}");
    assert!(stats.evictions > 0 && stats.blocks > 0, "{stats:?}");
    assert!(
        stats.readahead_hits > stats.misses * 10,
        "readahead still serves the reader in a small cache: {stats:?}"
    );
}
