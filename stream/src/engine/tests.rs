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
        let mut e = f.open(1, wal).await;
        let mut streams = Vec::new();
        for i in 0..3 {
            let s = e.create_stream(&format!("r-{i}")).await.unwrap();
            e.open_stream(s).await.unwrap();
            streams.push(s);
        }
        let mut model: Vec<Vec<Batch>> = vec![Vec::new(); 3];
        let mut trimmed: Vec<Offset> = vec![0; 3];
        for step in 0..300 {
            let i = rng.below(3) as usize;
            let s = streams[i];
            let ctx = format!("seed {seed}, {wal} WAL, step {step}");
            match rng.below(20) {
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
                    e = f.open(1, wal).await;
                    for &s in &streams {
                        e.open_stream(s).await.unwrap();
                    }
                }
                _ => {
                    std::mem::forget(e);
                    e = f.open(1, wal).await;
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
