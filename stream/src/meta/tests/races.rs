//! Races written as "pause A here, run B, release A": fencing by epoch, and a writer or reader stalled while
//! garbage collection went past it.

use std::sync::Arc;

use object_store::ObjectStore;

use super::{PREFIX, TestStore, client, config, memory, replay};
use crate::meta::{
    ClusterState, CommitAuthority, Failpoints, LogStore, ManualClock, MetaClient, MetaRecord,
    NewObject, Outcome, Replica, ReplicaAppend, StreamEpoch, WriterId, client_points,
    cursor_points,
};
use crate::types::StreamRange;
use crate::{Error, ErrorKind};

const A: u32 = 1;
const B: u32 = 2;

struct Setup {
    test: Arc<TestStore>,
    store: Arc<dyn ObjectStore>,
    clock: Arc<ManualClock>,
    fp: Arc<Failpoints>,
    a: Arc<MetaClient>,
    b: MetaClient,
    stream: u64,
}

/// Node A (writer 1, with pause points) owns stream 1 at epoch 1 and has committed offsets 0..10; node B
/// (writer 2) is registered.
async fn setup() -> Setup {
    let test = TestStore::new(memory());
    let store: Arc<dyn ObjectStore> = test.clone();
    let clock = ManualClock::new(1_000);
    let fp = Failpoints::new();
    let a = MetaClient::open(
        store.clone(),
        crate::meta::MetaConfig {
            failpoints: Some(fp.clone()),
            ..config(1, &clock)
        },
    )
    .await
    .unwrap();
    let b = client(&store, 2, &clock).await;
    assert_eq!(a.register_node(A, "a:9092").await.unwrap(), 1);
    b.register_node(B, "b:9092").await.unwrap();
    let stream = a.create_stream("orders-0", 0).await.unwrap();
    assert_eq!(a.open_stream(stream, A).await.unwrap(), 1);
    a.commit_object(
        "obj/a1",
        100,
        vec![range(stream, 0, 10)],
        by_a(stream, 1, 1),
    )
    .await
    .unwrap();
    Setup {
        test,
        store,
        clock,
        fp,
        a: Arc::new(a),
        b,
        stream,
    }
}

fn range(stream: u64, start: u64, end: u64) -> StreamRange {
    StreamRange { stream, start, end }
}

fn by_a(stream: u64, node_epoch: u64, epoch: u64) -> CommitAuthority {
    CommitAuthority {
        node: A,
        node_epoch,
        stream_epochs: vec![StreamEpoch { stream, epoch }],
    }
}

fn keys(state: &ClusterState) -> Vec<String> {
    state.objects().map(|(_, o)| o.key.clone()).collect()
}

/// A's second commit (offsets 10..20 at node epoch 1, stream epoch 1), run in a task.
fn spawn_commit_a2(s: &Setup) -> tokio::task::JoinHandle<crate::Result<u64>> {
    let (a, stream) = (s.a.clone(), s.stream);
    tokio::spawn(async move {
        a.commit_object(
            "obj/a2",
            100,
            vec![range(stream, 10, 20)],
            by_a(stream, 1, 1),
        )
        .await
    })
}

fn assert_fenced(result: crate::Result<u64>, held: u64, current: u64) {
    match result {
        Err(Error::Fenced {
            held: h,
            current: c,
            ..
        }) => assert_eq!((h, c), (held, current)),
        other => panic!("expected Fenced {{ held: {held}, current: {current} }}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_commit_decided_before_a_newer_open_loses_the_race_and_is_fenced() {
    let s = setup().await;
    let mut paused = s.fp.pause(client_points::PROPOSE_DECIDED);
    let commit = spawn_commit_a2(&s);
    paused.reached().await;
    assert_eq!(s.b.open_stream(s.stream, B).await.unwrap(), 2);
    paused.release();
    assert_fenced(commit.await.unwrap(), 1, 2);

    // B, a fresh reader and a replay of the log agree: A's commit did not happen, and was never even written.
    s.b.catch_up().await.unwrap();
    let view = s.b.state().await;
    assert_eq!(keys(&view), vec!["obj/a1"]);
    assert_eq!(view.owner(s.stream), Some((B, 2)));
    assert_eq!(view.stream(s.stream).unwrap().end, 10);
    let fresh = client(&s.store, 3, &s.clock).await;
    assert_eq!(fresh.state().await, view);
    let tip = fresh.tip().await;
    let (states, entries, _) = replay(&s.test.archive(), tip);
    assert_eq!(states[tip as usize], view);
    assert_eq!(
        entries.last().unwrap().record.kind(),
        "stream_opened",
        "A wrote nothing after B's open"
    );
}

#[tokio::test]
async fn a_stale_commit_that_lands_after_the_open_is_rejected_by_every_reader() {
    let s = setup().await;
    // A writer that, unlike MetaClient, retries a lost race with the same record instead of deciding again.
    let log = LogStore::new(s.store.clone(), PREFIX).unwrap();
    let mut zombie = Replica::<ClusterState>::open(log, WriterId(11), s.clock.clone(), None)
        .await
        .unwrap();
    let next = zombie.state().next_object_id();
    let record = MetaRecord::ObjectCommitted {
        object: NewObject {
            id: next,
            key: "obj/a2".into(),
            size: 100,
            ranges: vec![range(s.stream, 10, 20)],
        },
        by: by_a(s.stream, 1, 1),
    };
    zombie.state().validate(&record).unwrap();
    s.b.open_stream(s.stream, B).await.unwrap();
    assert!(
        matches!(zombie.append(&record).await.unwrap(), ReplicaAppend::Lost(missed) if missed.len() == 1)
    );
    let ReplicaAppend::Landed(applied) = zombie.append(&record).await.unwrap() else {
        panic!("the retry lands after B's open");
    };
    let Outcome::Rejected(rejection) = applied.outcome else {
        panic!("{:?}", applied.outcome)
    };
    let err = Error::from(rejection);
    assert_eq!(err.kind(), ErrorKind::Fenced, "{err}");
    assert!(
        matches!(
            err,
            Error::Fenced {
                held: 1,
                current: 2,
                ..
            }
        ),
        "{err}"
    );

    s.b.catch_up().await.unwrap();
    let view = s.b.state().await;
    assert_eq!(s.b.tip().await, applied.id.seq, "the record is in the log");
    assert_eq!(keys(&view), vec!["obj/a1"], "and every reader rejected it");
    assert_eq!(&view, zombie.state());
    let (states, _, accepted) = replay(&s.test.archive(), applied.id.seq);
    assert_eq!(states.last().unwrap(), &view);
    assert!(!accepted.last().unwrap());
}

#[tokio::test]
async fn a_node_fenced_while_its_commit_is_in_flight_is_fenced() {
    let s = setup().await;
    let controller = client(&s.store, 3, &s.clock).await;
    let mut paused = s.fp.pause(client_points::PROPOSE_DECIDED);
    let commit = spawn_commit_a2(&s);
    paused.reached().await;
    controller.fence_node(A, 1).await.unwrap();
    paused.release();
    assert_fenced(commit.await.unwrap(), 1, 1);
    assert_eq!(controller.read(|st| st.node_epoch(A)).await, None);
    // Registered again, A commits with its new node epoch; the old one stays fenced.
    assert_eq!(s.a.register_node(A, "a:9092").await.unwrap(), 2);
    assert_fenced(
        s.a.commit_object(
            "obj/a2",
            100,
            vec![range(s.stream, 10, 20)],
            by_a(s.stream, 1, 1),
        )
        .await,
        1,
        1,
    );
    s.a.commit_object(
        "obj/a2",
        100,
        vec![range(s.stream, 10, 20)],
        by_a(s.stream, 2, 1),
    )
    .await
    .unwrap();
    controller.catch_up().await.unwrap();
    assert_eq!(keys(&controller.state().await), vec!["obj/a1", "obj/a2"]);
}

#[tokio::test]
async fn reopening_on_the_same_node_fences_a_commit_of_the_previous_epoch() {
    let s = setup().await;
    // A restarted process of node A (another writer) reopens the stream for A at the next epoch while the old
    // process's commit is in flight: same owner, newer epoch, the old commit is fenced.
    let restarted = client(&s.store, 3, &s.clock).await;
    let mut paused = s.fp.pause(client_points::PROPOSE_DECIDED);
    let commit = spawn_commit_a2(&s);
    paused.reached().await;
    assert_eq!(restarted.open_stream(s.stream, A).await.unwrap(), 2);
    paused.release();
    assert_fenced(commit.await.unwrap(), 1, 2);
    restarted.catch_up().await.unwrap();
    assert_eq!(keys(&restarted.state().await), vec!["obj/a1"]);
    assert_eq!(restarted.read(|st| st.owner(s.stream)).await, Some((A, 2)));
}

/// B moves the log on by `n` records (streams created under fresh names).
async fn churn(b: &MetaClient, tag: &str, n: usize) {
    for i in 0..n {
        b.create_stream(&format!("{tag}-{i}"), 0).await.unwrap();
    }
}

/// B writes two snapshots (with records in between) and collects: every entry below the first is deleted.
async fn two_snapshots_and_collect(b: &MetaClient, tag: &str) -> u64 {
    churn(b, &format!("{tag}-x"), 3).await;
    let first = b.write_snapshot().await.unwrap().unwrap();
    churn(b, &format!("{tag}-y"), 2).await;
    b.write_snapshot().await.unwrap().unwrap();
    let report = b.collect_garbage().await.unwrap();
    assert_eq!(report.entries_below, first);
    first
}

#[tokio::test]
async fn a_writer_stalled_past_a_collection_cannot_append_into_the_hole() {
    let s = setup().await;
    let a_tip = s.a.tip().await;
    let mut paused = s.fp.pause(client_points::PROPOSE_DECIDED);
    let commit = spawn_commit_a2(&s);
    paused.reached().await;
    s.b.open_stream(s.stream, B).await.unwrap();
    let collected_below = two_snapshots_and_collect(&s.b, "b").await;
    assert!(
        collected_below > a_tip + 1,
        "A's anchor and its next sequence are both collected"
    );
    paused.release();
    assert_fenced(commit.await.unwrap(), 1, 2);

    // A's create did succeed, in the hole at its old next sequence; no reader counts it.
    let log = LogStore::new(s.store.clone(), PREFIX).unwrap();
    let hole = log
        .read_entry::<MetaRecord>(a_tip + 1)
        .await
        .unwrap()
        .expect("A's create filled the hole");
    assert_eq!(hole.id.writer, WriterId(1));
    s.b.catch_up().await.unwrap();
    let view = s.b.state().await;
    assert_eq!(keys(&view), vec!["obj/a1"]);
    let fresh = client(&s.store, 3, &s.clock).await;
    assert_eq!(fresh.state().await, view);
    assert_eq!(
        s.a.state().await,
        view,
        "A restarted from the snapshot and agrees"
    );
    // The next collection removes the stray entry.
    two_snapshots_and_collect(&s.b, "c").await;
    assert!(
        log.read_entry::<MetaRecord>(a_tip + 1)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_writer_stalled_past_a_collection_decides_again_and_lands_at_the_real_tip() {
    let s = setup().await;
    let mut paused = s.fp.pause(client_points::PROPOSE_DECIDED);
    let a = s.a.clone();
    let create = tokio::spawn(async move { a.create_stream("from-a", 0).await });
    paused.reached().await;
    two_snapshots_and_collect(&s.b, "b").await;
    paused.release();
    let id = create.await.unwrap().unwrap();
    s.b.catch_up().await.unwrap();
    let view = s.b.state().await;
    assert_eq!(view.stream_id("from-a"), Some(id));
    assert_eq!(
        view.streams().filter(|(_, m)| m.name == "from-a").count(),
        1
    );
    assert_eq!(s.a.state().await, view);
    assert_eq!(s.a.tip().await, s.b.tip().await);
}

#[tokio::test]
async fn a_reader_stalled_before_verifying_what_it_read_restarts_from_the_snapshot() {
    let s = setup().await;
    let fp = Failpoints::new();
    let log = LogStore::new(s.store.clone(), PREFIX).unwrap();
    let mut reader =
        Replica::<ClusterState>::open(log, WriterId(21), s.clock.clone(), Some(fp.clone()))
            .await
            .unwrap();
    churn(&s.b, "before", 3).await;
    let mut paused = fp.pause(cursor_points::POLL_BEFORE_VERIFY);
    let task = tokio::spawn(async move {
        reader.catch_up().await.unwrap();
        reader
    });
    paused.reached().await;
    two_snapshots_and_collect(&s.b, "b").await;
    paused.release();
    let reader = task.await.unwrap();
    s.b.catch_up().await.unwrap();
    assert_eq!(
        (reader.tip(), reader.state()),
        (s.b.tip().await, &s.b.state().await)
    );
}

#[tokio::test]
async fn an_idle_reader_whose_next_entry_was_collected_does_not_think_it_is_at_the_tip() {
    let s = setup().await;
    let reader = client(&s.store, 21, &s.clock).await;
    let before = reader.tip().await;
    two_snapshots_and_collect(&s.b, "b").await;
    churn(&s.b, "after", 2).await;
    let log = LogStore::new(s.store.clone(), PREFIX).unwrap();
    assert!(
        log.read_entry::<MetaRecord>(before + 1)
            .await
            .unwrap()
            .is_none(),
        "the reader's next entry is gone"
    );
    assert_eq!(reader.catch_up().await.unwrap(), s.b.tip().await);
    assert_eq!(reader.state().await, s.b.state().await);
}
