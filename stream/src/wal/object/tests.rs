use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::join_all;
use futures::{FutureExt, TryStreamExt};
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;

use super::failpoints::{AFTER_PUT, BEFORE_FENCE, BEFORE_PUT};
use super::*;
use crate::error::ErrorKind;
use crate::wal::{FailPoints, Replayed, Wal, WalPosition, WalRecord, WalReplay};

fn rec(i: u64) -> WalRecord {
    WalRecord::new(
        i % 4,
        3,
        i * 5,
        5,
        Bytes::from(format!("batch-{i:03}").repeat(5)),
    )
}

fn records(replayed: &[Replayed]) -> Vec<WalRecord> {
    replayed.iter().map(|r| r.record.clone()).collect()
}

/// Waits for the n-th hit of a failpoint; a hang (the code never got there) fails the test instead.
async fn reached(fp: &FailPoints, name: &'static str, n: u64) {
    let wait = fp.wait_for_hits(name, n);
    if tokio::time::timeout(std::time::Duration::from_secs(30), wait)
        .await
        .is_err()
    {
        panic!("failpoint {name} was not reached {n} times");
    }
}

fn prefix() -> Path {
    Path::from("cluster")
}

fn config(node: NodeId, epoch: Epoch, fp: Option<Arc<FailPoints>>) -> ObjectWalConfig {
    ObjectWalConfig {
        writer_id: u128::from(node) << 64 | u128::from(epoch),
        failpoints: fp,
        ..ObjectWalConfig::new(prefix(), node, epoch)
    }
}

fn takeover(node: NodeId, through_epoch: Epoch, fp: Option<Arc<FailPoints>>) -> TakeoverConfig {
    TakeoverConfig {
        prefix: prefix(),
        node,
        through_epoch,
        by_node: 9,
        by_epoch: 1,
        failpoints: fp,
    }
}

/// Every key under `<prefix>/wal/<node>/<epoch>/`, as sequence numbers.
async fn sequences(store: &Arc<dyn ObjectStore>, node: NodeId, epoch: Epoch) -> Vec<u64> {
    let dir = format::epoch_dir(&prefix(), node, epoch);
    let metas: Vec<_> = store.list(Some(&dir)).try_collect().await.unwrap();
    let mut seqs: Vec<u64> = metas
        .iter()
        .map(|m| format::parse_seq(&m.location).unwrap())
        .collect();
    seqs.sort_unstable();
    seqs
}

fn stores() -> Vec<(Arc<dyn ObjectStore>, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let local: Arc<dyn ObjectStore> =
        Arc::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap());
    vec![(Arc::new(InMemory::new()), None), (local, Some(dir))]
}

#[tokio::test]
async fn appends_are_replayed_after_a_restart_in_append_order() {
    for (store, _dir) in stores() {
        let wal = ObjectWal::open(store.clone(), config(1, 1, None))
            .await
            .unwrap();
        let batch: Vec<_> = (0..6).map(|i| wal.append(rec(i))).collect();
        let mut positions: Vec<_> = join_all(batch)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        for i in 6..9 {
            positions.push(wal.append(rec(i)).await.unwrap());
        }
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        assert_eq!(
            records(&wal.recover().await.unwrap()),
            (0..9).map(rec).collect::<Vec<_>>()
        );
        let objects = wal.stats().objects;
        assert!(
            objects < 9,
            "the six concurrent appends share objects ({objects} objects)"
        );
        assert_eq!(
            sequences(&store, 1, 1).await,
            (0..objects).collect::<Vec<_>>(),
            "dense from 0"
        );
        wal.close().await.unwrap();
        assert_eq!(
            wal.append(rec(9)).await.unwrap_err().kind(),
            ErrorKind::Closed
        );

        // The next life fences the previous epoch and replays it first.
        let next = ObjectWal::open(store.clone(), config(1, 2, None))
            .await
            .unwrap();
        assert_eq!(next.fenced_epochs(), vec![(1, objects)]);
        let replayed = next.recover().await.unwrap();
        assert_eq!(records(&replayed), (0..9).map(rec).collect::<Vec<_>>());
        assert_eq!(
            replayed.iter().map(|r| r.position).collect::<Vec<_>>(),
            positions
        );
        assert!(replayed.iter().all(|r| r.node == 1 && r.node_epoch == 1));
        let p = next.append(rec(9)).await.unwrap();
        assert_eq!((p.log, p.segment, p.offset), (2, 0, 1));
        assert_eq!(
            records(&next.recover().await.unwrap()),
            (0..10).map(rec).collect::<Vec<_>>()
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_batch_is_written_when_its_oldest_append_is_one_interval_old() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let wal = ObjectWal::open(store.clone(), config(1, 1, None))
        .await
        .unwrap();
    let interval = Duration::from_millis(20);
    let start = tokio::time::Instant::now();
    let a = wal.append(rec(0));
    tokio::time::advance(Duration::from_millis(5)).await;
    let b = wal.append(rec(1));
    tokio::time::advance(Duration::from_millis(14)).await;
    assert!(
        sequences(&store, 1, 1).await.is_empty(),
        "nothing is written before the interval"
    );

    let (pa, pb) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!(
        tokio::time::Instant::now() - start,
        interval,
        "written exactly one interval after the first append"
    );
    assert_eq!((pa.segment, pa.offset, pb.segment, pb.offset), (0, 1, 0, 2));
    assert_eq!(sequences(&store, 1, 1).await, vec![0]);

    // The interval restarts with the next append.
    let later = tokio::time::Instant::now();
    wal.append(rec(2)).await.unwrap();
    assert_eq!(tokio::time::Instant::now() - later, interval);
    assert_eq!(sequences(&store, 1, 1).await, vec![0, 1]);
}

#[tokio::test(start_paused = true)]
async fn a_batch_is_written_as_soon_as_flush_bytes_are_queued() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let one = crate::wal::record::EncodedRecord::encode(&rec(0))
        .unwrap()
        .len();
    let cfg = ObjectWalConfig {
        flush_interval: Duration::from_secs(3600),
        flush_bytes: 2 * one,
        ..config(1, 1, None)
    };
    let wal = ObjectWal::open(store.clone(), cfg).await.unwrap();
    let start = tokio::time::Instant::now();
    let futures: Vec<_> = (0..5).map(|i| wal.append(rec(i))).collect();
    let mut futures = futures.into_iter();
    let first_four: Vec<_> = futures.by_ref().take(4).collect();
    let mut fifth = futures.next().unwrap();
    let positions: Vec<_> = join_all(first_four)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        tokio::time::Instant::now(),
        start,
        "no waiting for the interval"
    );
    let placed: Vec<_> = positions.iter().map(|p| (p.segment, p.offset)).collect();
    assert_eq!(
        placed,
        vec![(0, 1), (0, 2), (1, 1), (1, 2)],
        "two records per object"
    );
    tokio::task::yield_now().await;
    assert!(
        (&mut fifth).now_or_never().is_none(),
        "one record is under flush_bytes: it waits"
    );

    wal.close().await.unwrap();
    assert_eq!(
        fifth.await.unwrap().segment,
        2,
        "close writes what is queued"
    );
    assert_eq!(sequences(&store, 1, 1).await, vec![0, 1, 2]);
}

#[tokio::test]
async fn a_survivor_fences_the_writer_and_replays_everything_it_acknowledged() {
    for (store, _dir) in stores() {
        let fp = FailPoints::new();
        let a = ObjectWal::open(store.clone(), config(1, 1, Some(fp.clone())))
            .await
            .unwrap();
        let acked = vec![
            a.append(rec(0)).await.unwrap(),
            a.append(rec(1)).await.unwrap(),
        ];

        // A's next put is about to start when B takes over.
        fp.pause(BEFORE_PUT);
        let in_flight = a.append(rec(2));
        reached(&fp, BEFORE_PUT, 3).await;
        let b = ObjectWalTakeover::fence(store.clone(), takeover(1, 1, None))
            .await
            .unwrap();
        assert_eq!(
            b.fenced(),
            vec![(1, 2)],
            "the marker sits right after A's last object"
        );
        let replayed = b.recover().await.unwrap();
        assert_eq!(
            replayed.iter().map(|r| r.position).collect::<Vec<_>>(),
            acked
        );
        assert_eq!(records(&replayed), vec![rec(0), rec(1)]);

        fp.release(BEFORE_PUT);
        let err = in_flight.await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Fenced, "{err}");
        assert!(err.to_string().contains("by node 9"), "{err}");
        assert_eq!(
            a.append(rec(3)).await.unwrap_err().kind(),
            ErrorKind::Fenced
        );

        // B uploads, then trims everything away; the marker stays.
        b.trim(acked[1]).await.unwrap();
        assert_eq!(sequences(&store, 1, 1).await, vec![2]);
        assert!(b.recover().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_put_that_lands_before_the_fence_is_acknowledged_and_replayed() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let fp = FailPoints::new();
    let a = ObjectWal::open(store.clone(), config(1, 1, Some(fp.clone())))
        .await
        .unwrap();
    a.append(rec(0)).await.unwrap();
    // A's put of rec(1) is done; its answer has not reached the appender when B fences.
    fp.pause(AFTER_PUT);
    let landing = a.append(rec(1));
    reached(&fp, AFTER_PUT, 2).await;
    let b = ObjectWalTakeover::fence(store.clone(), takeover(1, 1, None))
        .await
        .unwrap();
    assert_eq!(b.fenced(), vec![(1, 2)]);
    fp.release(AFTER_PUT);
    let p = landing.await.unwrap();
    let replayed = b.recover().await.unwrap();
    assert_eq!(
        replayed.last().map(|r| (r.position, r.record.clone())),
        Some((p, rec(1)))
    );
    assert_eq!(
        a.append(rec(2)).await.unwrap_err().kind(),
        ErrorKind::Fenced
    );
}

#[tokio::test]
async fn a_marker_that_lands_behind_a_trimming_writer_is_placed_again() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let fp = FailPoints::new();
    let a = ObjectWal::open(store.clone(), config(1, 1, Some(fp.clone())))
        .await
        .unwrap();
    a.append(rec(0)).await.unwrap();
    a.append(rec(1)).await.unwrap();

    // B lists (A's top is 1) and is about to put its marker at 2 ...
    fp.pause(BEFORE_FENCE);
    let fencing = tokio::spawn(ObjectWalTakeover::fence(
        store.clone(),
        takeover(1, 1, Some(fp.clone())),
    ));
    reached(&fp, BEFORE_FENCE, 1).await;
    // ... while A writes objects 2 and 3, and trims through 2 after uploading: sequence 2 is free again.
    let p2 = a.append(rec(2)).await.unwrap();
    let p3 = a.append(rec(3)).await.unwrap();
    a.trim(p2).await.unwrap();
    assert_eq!(
        sequences(&store, 1, 1).await,
        vec![3],
        "A keeps its highest object"
    );

    fp.release(BEFORE_FENCE);
    let b = fencing.await.unwrap().unwrap();
    assert_eq!(
        b.fenced(),
        vec![(1, 4)],
        "the stray marker at 2 is behind A; the real one is at 4"
    );
    assert_eq!(sequences(&store, 1, 1).await, vec![2, 3, 4]);
    assert_eq!(
        a.append(rec(4)).await.unwrap_err().kind(),
        ErrorKind::Fenced
    );
    let replayed = b.recover().await.unwrap();
    assert_eq!(
        replayed
            .iter()
            .map(|r| (r.position, r.record.clone()))
            .collect::<Vec<_>>(),
        vec![(p3, rec(3))]
    );
}

#[tokio::test]
async fn a_store_error_fails_its_batch_and_the_wal_goes_on() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let fp = FailPoints::new();
    let a = ObjectWal::open(store.clone(), config(1, 1, Some(fp.clone())))
        .await
        .unwrap();

    fp.fail(BEFORE_PUT, 1);
    let err = a.append(rec(0)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Retry, "{err}");
    assert_eq!(
        a.append(rec(1)).await.unwrap(),
        WalPosition {
            log: 1,
            segment: 0,
            offset: 1
        }
    );

    // The put lands but its answer is lost: the append fails; the next batch finds A's own object and moves on.
    fp.fail(AFTER_PUT, 1);
    assert_eq!(a.append(rec(2)).await.unwrap_err().kind(), ErrorKind::Retry);
    assert_eq!(
        a.append(rec(3)).await.unwrap(),
        WalPosition {
            log: 1,
            segment: 2,
            offset: 1
        }
    );
    assert_eq!(a.stats().failed_puts, 2);
    assert_eq!(sequences(&store, 1, 1).await, vec![0, 1, 2], "still dense");
    a.close().await.unwrap();

    // The failed-but-landed record comes back on replay (never acknowledged, yet durable); the other does not.
    let next = ObjectWal::open(store.clone(), config(1, 2, None))
        .await
        .unwrap();
    assert_eq!(
        records(&next.recover().await.unwrap()),
        vec![rec(1), rec(2), rec(3)]
    );
}

#[tokio::test]
async fn a_stale_life_cannot_open_and_an_epoch_is_used_once() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let first = ObjectWal::open(store.clone(), config(1, 1, None))
        .await
        .unwrap();
    first.append(rec(0)).await.unwrap();
    let second = ObjectWal::open(store.clone(), config(1, 2, None))
        .await
        .unwrap();
    second.append(rec(1)).await.unwrap();

    let stale = ObjectWal::open(store.clone(), config(1, 1, None))
        .await
        .unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::Fenced, "{stale}");
    let reused = ObjectWal::open(store.clone(), config(1, 2, None))
        .await
        .unwrap_err();
    assert_eq!(reused.kind(), ErrorKind::Invalid, "{reused}");
    // Another node's WAL is its own.
    ObjectWal::open(store.clone(), config(2, 1, None))
        .await
        .unwrap();
}

#[tokio::test]
async fn trims_delete_wholly_covered_objects_and_drain_old_epochs() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let wal = ObjectWal::open(store.clone(), config(1, 1, None))
        .await
        .unwrap();
    let mut p = Vec::new();
    for i in 0..4 {
        p.push(wal.append(rec(i)).await.unwrap());
    }
    wal.trim(p[3]).await.unwrap();
    assert_eq!(
        sequences(&store, 1, 1).await,
        vec![3],
        "the highest object stays"
    );
    assert!(wal.recover().await.unwrap().is_empty());
    wal.close().await.unwrap();

    // After a restart the kept object is replayed again (trims are not logged); trimming it drains epoch 1.
    let next = ObjectWal::open(store.clone(), config(1, 2, None))
        .await
        .unwrap();
    let replayed = next.recover().await.unwrap();
    assert_eq!(records(&replayed), vec![rec(3)]);
    let q = next.append(rec(4)).await.unwrap();
    next.trim(replayed[0].position).await.unwrap();
    assert_eq!(
        sequences(&store, 1, 1).await,
        vec![4],
        "only the marker is left of epoch 1"
    );
    assert_eq!(records(&next.recover().await.unwrap()), vec![rec(4)]);
    next.close().await.unwrap();

    // A drained epoch is not fenced again; the third life replays epoch 2 only.
    let third = ObjectWal::open(store.clone(), config(1, 3, None))
        .await
        .unwrap();
    assert_eq!(third.fenced_epochs(), vec![(2, 1)]);
    let replayed = third.recover().await.unwrap();
    assert_eq!(
        replayed.iter().map(|r| r.position).collect::<Vec<_>>(),
        vec![q]
    );
}
