//! The generic log: appends and their races, probing, lost answers, snapshots, garbage collection and restarts.

use std::sync::Arc;

use object_store::ObjectStore;

use super::{Fault, PREFIX, TestStore, client, memory, replay};
use crate::ErrorKind;
use crate::meta::{
    Append, ClusterState, LogCursor, LogStore, ManualClock, Poll, Replica, WriterId,
};

fn cursor(store: &Arc<dyn ObjectStore>, writer: u128) -> LogCursor {
    LogCursor::new(
        LogStore::new(store.clone(), PREFIX).unwrap(),
        WriterId(writer),
        ManualClock::new(7),
        None,
    )
}

async fn written(c: &mut LogCursor, record: &str) -> u64 {
    match c.append(record.to_string()).await.unwrap() {
        Append::Written { id, .. } => id.seq,
        other => panic!("expected written, got {other:?}"),
    }
}

#[tokio::test]
async fn the_loser_of_a_sequence_race_learns_what_it_missed() {
    let store = memory();
    let (mut a, mut b) = (cursor(&store, 1), cursor(&store, 2));
    assert_eq!(written(&mut a, "a1").await, 1);
    assert_eq!(written(&mut a, "a2").await, 2);
    match b.append("b1".to_string()).await.unwrap() {
        Append::Conflict { missed } => {
            let got: Vec<_> = missed
                .iter()
                .map(|e| (e.id.seq, e.id.writer, e.record.as_str()))
                .collect();
            assert_eq!(got, vec![(1, WriterId(1), "a1"), (2, WriterId(1), "a2")]);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(b.tip(), 2);
    assert_eq!(written(&mut b, "b1").await, 3);
    match a.poll::<String>(10).await.unwrap() {
        Poll::Entries(e) => assert_eq!(
            e.iter().map(|e| e.record.as_str()).collect::<Vec<_>>(),
            vec!["b1"]
        ),
        Poll::Stale => panic!("not stale"),
    }
    // The key layout is the documented one.
    let key = LogStore::new(store.clone(), PREFIX).unwrap().entry_key(3);
    assert_eq!(key.as_ref(), "meta/log/00000000000000000003");
}

#[tokio::test]
async fn probing_reads_the_dense_run_and_stops_at_the_first_missing_key() {
    let store = memory();
    let mut w = cursor(&store, 1);
    for i in 1..=40 {
        written(&mut w, &format!("r{i}")).await;
    }
    let log = LogStore::new(store.clone(), PREFIX).unwrap();
    let all = log.read_from::<String>(1, 1000).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.id.seq).collect::<Vec<_>>(),
        (1..=40).collect::<Vec<_>>()
    );
    let some = log.read_from::<String>(5, 10).await.unwrap();
    assert_eq!(
        some.iter().map(|e| e.id.seq).collect::<Vec<_>>(),
        (5..15).collect::<Vec<_>>()
    );
    // A key after a hole is not read: the reader stops at the hole.
    let stray = crate::meta::encode_entry(&crate::meta::Entry {
        id: crate::meta::EntryId {
            writer: WriterId(9),
            seq: 42,
            put: 0,
        },
        at_ms: 0,
        record: "stray".to_string(),
    })
    .unwrap();
    assert!(log.create_entry(42, stray).await.unwrap());
    assert_eq!(log.read_from::<String>(1, 1000).await.unwrap().len(), 40);
    assert!(log.read_from::<String>(41, 1000).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_lost_answer_after_the_store_applied_the_write_is_resolved_by_reading_back() {
    let test = TestStore::new(memory());
    let store: Arc<dyn ObjectStore> = test.clone();
    let clock = ManualClock::new(1_000);
    let a = client(&store, 1, &clock).await;
    // Registering is not idempotent (a second try would take epoch 2): the answer must be "yours, epoch 1".
    test.script("put", "log/00000000000000000001", Fault::LoseAnswer, 1);
    assert_eq!(a.register_node(1, "a:9092").await.unwrap(), 1);
    assert_eq!(a.tip().await, 1);
    test.script("put", "log/00000000000000000002", Fault::LoseAnswer, 1);
    let stream = a.create_stream("s", 0).await.unwrap();
    assert_eq!(
        (stream, a.tip().await),
        (1, 2),
        "resolved as ours, exactly once"
    );
    // Nothing was written twice: the next sequence is free.
    let log = LogStore::new(store.clone(), PREFIX).unwrap();
    assert!(
        log.read_entry::<serde_json::Value>(3)
            .await
            .unwrap()
            .is_none()
    );
    let entry = log
        .read_entry::<serde_json::Value>(2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.id.writer, WriterId(1));
    // Every reader agrees.
    let b = client(&store, 2, &clock).await;
    assert_eq!(b.state().await, a.state().await);
}

#[tokio::test]
async fn a_write_lost_before_it_was_applied_is_put_again() {
    let test = TestStore::new(memory());
    let store: Arc<dyn ObjectStore> = test.clone();
    let clock = ManualClock::new(1_000);
    let a = client(&store, 1, &clock).await;
    test.script("put", "log/00000000000000000001", Fault::FailBefore, 2);
    assert_eq!(a.register_node(1, "a:9092").await.unwrap(), 1);
    assert_eq!(a.tip().await, 1);
    let b = client(&store, 2, &clock).await;
    assert_eq!(b.read(|s| s.node_epoch(1)).await, Some(1));
}

#[tokio::test]
async fn a_lost_answer_while_another_writer_won_is_a_conflict_then_a_retry() {
    let test = TestStore::new(memory());
    let store: Arc<dyn ObjectStore> = test.clone();
    let clock = ManualClock::new(1_000);
    let a = client(&store, 1, &clock).await;
    let b = client(&store, 2, &clock).await;
    b.register_node(2, "b:9092").await.unwrap();
    // A cursor behind the tip writes at 1; the store reports a timeout without applying it, and the read-back
    // finds b's entry there: a plain conflict.
    let mut c = LogCursor::new(
        LogStore::new(store.clone(), PREFIX).unwrap(),
        WriterId(3),
        clock.clone(),
        None,
    );
    test.script("put", "log/00000000000000000001", Fault::FailBefore, 1);
    let record = crate::meta::MetaRecord::NodeFenced { node: 2, epoch: 0 };
    match c.append(record.clone()).await.unwrap() {
        Append::Conflict { missed } => assert_eq!(missed.len(), 1),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(matches!(c.append(record).await.unwrap(), Append::Written { id, .. } if id.seq == 2));
    assert_eq!(a.catch_up().await.unwrap(), 2);
}

#[tokio::test]
async fn an_unresolvable_outcome_is_a_retryable_error_and_the_entry_shows_up_later() {
    tokio::time::pause();
    let test = TestStore::new(memory());
    let store: Arc<dyn ObjectStore> = test.clone();
    let clock = ManualClock::new(1_000);
    let mut c = LogCursor::new(
        LogStore::new(store.clone(), PREFIX).unwrap(),
        WriterId(1),
        clock.clone(),
        None,
    );
    // The put is applied but its answer lost, and every read-back fails too.
    test.script("put", "log/00000000000000000001", Fault::LoseAnswer, 1);
    test.script("get", "log/00000000000000000001", Fault::FailBefore, 100);
    let record = crate::meta::MetaRecord::NodeRegistered {
        node: 1,
        epoch: 1,
        address: "a:9092".into(),
    };
    let err = c.append(record).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Retry, "{err}");
    assert!(err.to_string().contains("injected timeout"), "{err}");
    assert_eq!(c.tip(), 0, "nothing confirmed");
    test.clear_script();
    // The entry did land: the cursor's next poll and every new reader see it.
    match c.poll::<crate::meta::MetaRecord>(10).await.unwrap() {
        Poll::Entries(e) => assert_eq!((e.len(), e[0].id.writer), (1, WriterId(1))),
        Poll::Stale => panic!("not stale"),
    }
    let b = client(&store, 2, &clock).await;
    assert_eq!(b.read(|s| s.node_epoch(1)).await, Some(1));
}

#[tokio::test]
async fn snapshots_collection_and_restart_give_the_same_state() {
    let test = TestStore::new(memory());
    let store: Arc<dyn ObjectStore> = test.clone();
    let clock = ManualClock::new(1_000);
    let a = client(&store, 1, &clock).await;
    a.register_node(1, "a:9092").await.unwrap();
    let mut snapshots = Vec::new();
    for round in 0..3 {
        for i in 0..7 {
            a.create_stream(&format!("s{round}-{i}"), 0).await.unwrap();
        }
        snapshots.push(a.write_snapshot().await.unwrap().unwrap());
    }
    for i in 0..3 {
        a.create_stream(&format!("tail-{i}"), 0).await.unwrap();
    }
    let tip = a.tip().await;
    assert_eq!(snapshots, vec![8, 15, 22]);
    let report = a.collect_garbage().await.unwrap();
    assert_eq!(
        (
            report.entries_below,
            report.entries_deleted,
            report.snapshots_deleted
        ),
        (15, 14, 1)
    );
    let log = LogStore::new(store.clone(), PREFIX).unwrap();
    assert_eq!(
        log.list_snapshots().await.unwrap(),
        vec![15, 22],
        "the newest two are kept"
    );
    for seq in 1..15 {
        assert!(
            log.read_entry::<serde_json::Value>(seq)
                .await
                .unwrap()
                .is_none(),
            "entry {seq} collected"
        );
    }
    for seq in 15..=tip {
        assert!(
            log.read_entry::<serde_json::Value>(seq)
                .await
                .unwrap()
                .is_some(),
            "entry {seq} kept"
        );
    }
    // A second pass finds nothing more to do.
    assert_eq!(a.collect_garbage().await.unwrap().entries_deleted, 0);

    // A restart loads snapshot 22 and replays the rest; its state equals the writer's and a full replay.
    let b = client(&store, 2, &clock).await;
    assert_eq!((b.tip().await, b.state().await), (tip, a.state().await));
    let (states, _, _) = replay(&test.archive(), tip);
    assert_eq!(states[tip as usize], b.state().await);

    // A reader that loaded the older kept snapshot (it listed before snapshot 22 existed) still finds its anchor
    // and the entries after it.
    let older = log
        .read_snapshot::<ClusterState>(15)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(older.state, states[15]);
    let mut c = LogCursor::new(log.clone(), WriterId(3), clock.clone(), None);
    c.reset(older.last);
    match c.poll::<crate::meta::MetaRecord>(1000).await.unwrap() {
        Poll::Entries(e) => assert_eq!(e.len() as u64, tip - 15),
        Poll::Stale => panic!("the older kept snapshot must stay usable"),
    }
}

#[tokio::test]
async fn collection_finds_the_lowest_entry_even_when_the_listing_misses_it() {
    let test = TestStore::new(memory());
    let store: Arc<dyn ObjectStore> = test.clone();
    let clock = ManualClock::new(1_000);
    let a = client(&store, 1, &clock).await;
    for i in 0..12 {
        a.create_stream(&format!("s{i}"), 0).await.unwrap();
    }
    a.write_snapshot().await.unwrap();
    a.create_stream("last", 0).await.unwrap();
    a.write_snapshot().await.unwrap();
    let log = LogStore::new(store.clone(), PREFIX).unwrap();
    // A collection that crashed after deleting 1..=4 left 5..; the listing lags and misses 5 and 6.
    for seq in 1..=4 {
        object_store::ObjectStoreExt::delete(store.as_ref(), &log.entry_key(seq))
            .await
            .unwrap();
    }
    for seq in [5, 6] {
        test.hide_from_listing(log.entry_key(seq).as_ref());
    }
    let report = log.collect_garbage().await.unwrap();
    assert_eq!(report.entries_below, 12);
    for seq in 1..12 {
        assert!(
            log.read_entry::<serde_json::Value>(seq)
                .await
                .unwrap()
                .is_none(),
            "entry {seq} must be gone"
        );
    }
    assert!(
        log.read_entry::<serde_json::Value>(12)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_replica_reports_each_entrys_verdict_the_same_way_everywhere() {
    let store = memory();
    let clock = ManualClock::new(5);
    let log = LogStore::new(store.clone(), PREFIX).unwrap();
    let mut r1 = Replica::<ClusterState>::open(log.clone(), WriterId(1), clock.clone(), None)
        .await
        .unwrap();
    let bad = crate::meta::MetaRecord::ObjectDeleted { object: 3 };
    let landed = r1.append(&bad).await.unwrap();
    let crate::meta::ReplicaAppend::Landed(applied) = landed else {
        panic!("{landed:?}")
    };
    assert!(matches!(applied.outcome, crate::meta::Outcome::Rejected(_)));
    let mut r2 = Replica::<ClusterState>::open(log, WriterId(2), clock.clone(), None)
        .await
        .unwrap();
    assert_eq!(r2.tip(), 1);
    assert_eq!(r2.state(), r1.state());
    let mark = r2
        .writer_marks()
        .find(|m| m.writer == WriterId(1))
        .copied()
        .unwrap();
    assert_eq!((mark.seq, mark.accepted), (1, false));
    assert!(r2.catch_up().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_uncontended_proposal_costs_three_gets_and_one_put() {
    let test = TestStore::new(memory());
    let store: Arc<dyn ObjectStore> = test.clone();
    let clock = ManualClock::new(1_000);
    let a = client(&store, 1, &clock).await;
    a.register_node(1, "a:9092").await.unwrap();
    let before = test.counts();
    a.create_stream("s", 0).await.unwrap();
    let after = test.counts();
    let delta =
        |op: &str| after.get(op).copied().unwrap_or(0) - before.get(op).copied().unwrap_or(0);
    // Catch up (probe the next key, re-read the anchor), create, re-read the anchor.
    assert_eq!(
        (delta("get"), delta("put"), delta("list"), delta("delete")),
        (3, 1, 0, 0)
    );
    // An idle poll: one probe and one anchor read.
    let before = test.counts();
    a.catch_up().await.unwrap();
    let after = test.counts();
    assert_eq!(after["get"] - before["get"], 2);
}
