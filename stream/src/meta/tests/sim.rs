//! Seeded randomized runs: several nodes propose concurrently (open streams away from each other, commit, close,
//! trim, compact, delete, fence each other) on one log, with or without snapshots and garbage collection, on
//! memory and on a local directory. Afterwards the genuine log (the first object created at each key) is replayed
//! from scratch and checked against everything the nodes saw and were told:
//!
//! - every state a client held at tip T equals the replay up to T, and keeps the state's invariants;
//! - every `Ok(seq)` a node got names an accepted entry of its own at `seq`, and every accepted entry of a node
//!   was answered `Ok` (nothing happened that its writer believes failed, nothing failed that it believes
//!   happened);
//! - ownership never overlaps: per stream, the span of log positions from a node's acknowledged open at epoch e to
//!   its last acknowledged commit or close at e ends before the next epoch's open, and each commit at e comes
//!   from the node that opened e.
//!
//! `META_SEED` changes the seed; a failure prints the one to rerun with.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use object_store::ObjectStore;

use super::{Rng, SeedGuard, TestStore, config, local, memory, replay, seed};
use crate::ErrorKind;
use crate::meta::{
    ClusterState, CommitAuthority, ManualClock, MetaClient, MetaRecord, NewObject, StreamEpoch,
};
use crate::types::{Epoch, NodeId, StreamId, StreamRange};

const STREAMS: u64 = 4;

/// What a node was told, in log positions.
#[derive(Debug, Default)]
struct Report {
    node: NodeId,
    /// (sequence, record) of every `Ok`.
    acks: Vec<(u64, MetaRecord)>,
    /// (tip, state) after each step.
    observed: Vec<(u64, ClusterState)>,
    fenced: u32,
    races_lost: u64,
    restarts: u64,
}

fn writer_of(node: NodeId) -> u128 {
    100 + u128::from(node)
}

/// Runs one proposal and files its outcome. `Fenced` is expected (someone took the stream or fenced the node);
/// anything else is a bug in the rules or in the test's planning, and fails the run.
async fn propose<F>(client: &MetaClient, report: &mut Report, what: &str, build: F) -> bool
where
    F: FnMut(&ClusterState) -> crate::Result<Option<MetaRecord>>,
{
    match client.propose_with(build).await {
        Ok(Some((seq, record))) => {
            report.acks.push((seq, record));
            true
        }
        Ok(None) => false,
        Err(e) if e.kind() == ErrorKind::Fenced => {
            report.fenced += 1;
            false
        }
        Err(e) => panic!("node {} {what}: unexpected {e}", report.node),
    }
}

/// Plans merging the objects at positions `i` and `i + 1` of `stream` into one, if their offsets in every
/// stream they touch are adjacent.
fn plan_compaction(s: &ClusterState, stream: StreamId, i: usize, key: &str) -> Option<MetaRecord> {
    let index = &s.stream(stream)?.index;
    let removed: BTreeSet<u64> = [index.get(i)?.object, index.get(i + 1)?.object].into();
    let mut ranges = Vec::new();
    let touched: BTreeSet<StreamId> = removed
        .iter()
        .flat_map(|o| s.object(*o).map(|m| m.ranges.clone()).unwrap_or_default())
        .map(|r| r.stream)
        .collect();
    for t in touched {
        let meta = s.stream(t)?;
        let pos: Vec<usize> = (0..meta.index.len())
            .filter(|&p| removed.contains(&meta.index[p].object))
            .collect();
        let (first, last) = (*pos.first()?, *pos.last()?);
        if last - first + 1 != pos.len() {
            return None;
        }
        let (a, b) = (meta.index[first].start, meta.index[last].end);
        ranges.push(StreamRange {
            stream: t,
            start: a.max(meta.start),
            end: b,
        });
    }
    let added = vec![NewObject {
        id: s.next_object_id(),
        key: key.into(),
        size: 1,
        ranges,
    }];
    Some(MetaRecord::ObjectsCompacted {
        removed: removed.into_iter().collect(),
        added,
        by: None,
    })
}

async fn run_node(node: NodeId, client: MetaClient, nodes: u32, steps: usize, seed: u64) -> Report {
    let mut rng = Rng::new(seed);
    let mut report = Report {
        node,
        ..Report::default()
    };
    let mut node_epoch = register(&client, &mut report).await;
    let mut owned: BTreeMap<StreamId, Epoch> = BTreeMap::new();
    let mut keys = 0u64;
    for _ in 0..steps {
        let stream = 1 + rng.below(STREAMS);
        let roll = rng.below(100);
        if roll < 14 {
            let opened = propose(&client, &mut report, "open", |s| {
                Ok(s.stream(stream).map(|m| MetaRecord::StreamOpened {
                    stream,
                    epoch: m.fence.next_epoch(),
                    node,
                }))
            })
            .await;
            if let (true, Some((_, MetaRecord::StreamOpened { epoch, .. }))) =
                (opened, report.acks.last())
            {
                owned.insert(stream, *epoch);
            }
        } else if roll < 55 {
            let mine: Vec<(StreamId, Epoch)> = owned.iter().map(|(&s, &e)| (s, e)).collect();
            if mine.is_empty() {
                continue;
            }
            let first = rng.below(mine.len() as u64) as usize;
            let picked: Vec<(StreamId, Epoch)> = if rng.chance(30) && mine.len() > 1 {
                vec![mine[first], mine[(first + 1) % mine.len()]]
            } else {
                vec![mine[first]]
            };
            keys += 1;
            let key = format!("data/{node}/{keys}");
            let len = 1 + rng.below(20);
            let by = CommitAuthority {
                node,
                node_epoch,
                stream_epochs: picked
                    .iter()
                    .map(|&(stream, epoch)| StreamEpoch { stream, epoch })
                    .collect(),
            };
            propose(&client, &mut report, "commit", |s| {
                // The owner knows where its stream ends; the range starts there.
                let ranges = picked
                    .iter()
                    .map(|&(st, _)| {
                        s.stream(st).map(|m| StreamRange {
                            stream: st,
                            start: m.end,
                            end: m.end + len,
                        })
                    })
                    .collect::<Option<Vec<_>>>();
                Ok(ranges.map(|ranges| MetaRecord::ObjectCommitted {
                    object: NewObject {
                        id: s.next_object_id(),
                        key: key.clone(),
                        size: len * 100,
                        ranges,
                    },
                    by: by.clone(),
                }))
            })
            .await;
        } else if roll < 62 {
            let Some((&stream, &epoch)) = owned
                .iter()
                .nth(rng.below(owned.len().max(1) as u64) as usize)
            else {
                continue;
            };
            if propose(&client, &mut report, "close", |s| {
                Ok(s.stream(stream).map(|m| MetaRecord::StreamClosed {
                    stream,
                    epoch,
                    end_offset: m.end,
                }))
            })
            .await
            {
                owned.remove(&stream);
            }
        } else if roll < 70 {
            let pick = rng.next_u64();
            propose(&client, &mut report, "trim", |s| {
                Ok(s.stream(stream).map(|m| MetaRecord::StreamTrimmed {
                    stream,
                    start: m.start + pick % (m.end - m.start + 1),
                }))
            })
            .await;
        } else if roll < 80 {
            let pick = rng.next_u64() as usize;
            keys += 1;
            let key = format!("compacted/{node}/{keys}");
            propose(&client, &mut report, "compact", |s| {
                let len = s.stream(stream).map_or(0, |m| m.index.len());
                Ok(if len < 2 {
                    None
                } else {
                    plan_compaction(s, stream, pick % (len - 1), &key)
                })
            })
            .await;
        } else if roll < 87 {
            propose(&client, &mut report, "delete", |s| {
                Ok(s.unreferenced_objects(u64::MAX)
                    .first()
                    .map(|(object, _)| MetaRecord::ObjectDeleted { object: *object }))
            })
            .await;
        } else if roll < 90 {
            let other = 1 + rng.below(u64::from(nodes)) as NodeId;
            if other != node {
                propose(&client, &mut report, "fence", |s| {
                    let epoch = s.node_fence(other).epoch;
                    Ok((epoch > 0).then_some(MetaRecord::NodeFenced { node: other, epoch }))
                })
                .await;
            }
        } else if roll < 96 {
            client.catch_up().await.unwrap();
        } else {
            tokio::task::yield_now().await;
        }
        // Learn what the log says about us: a fenced node registers again and forgets its streams; a stream
        // opened elsewhere is no longer ours.
        if client.read(|s| s.node_epoch(node)).await != Some(node_epoch) {
            node_epoch = register(&client, &mut report).await;
            owned.clear();
        }
        let state = client.state().await;
        owned.retain(|&st, &mut e| state.owner(st) == Some((node, e)));
        report.observed.push((client.tip().await, state));
    }
    report.races_lost = client.races_lost();
    report.restarts = client.restarts().await;
    report
}

/// Registers the node at its next epoch, through [`propose`] so the answer is filed like any other.
async fn register(client: &MetaClient, report: &mut Report) -> Epoch {
    let node = report.node;
    let address = format!("n{node}:9092");
    let registered = propose(client, report, "register", |s| {
        Ok(Some(MetaRecord::NodeRegistered {
            node,
            epoch: s.node_fence(node).next_epoch(),
            address: address.clone(),
        }))
    })
    .await;
    match (registered, report.acks.last()) {
        (true, Some((_, MetaRecord::NodeRegistered { epoch, .. }))) => *epoch,
        _ => panic!("node {node} could not register"),
    }
}

/// A reader that lags by `lag` log positions: it catches up only once the entry `lag` past its tip exists (or
/// the writers are done), so with snapshots and collection on, the log is collected past its position and it
/// must restart from a snapshot.
async fn run_reader(
    client: MetaClient,
    store: Arc<dyn ObjectStore>,
    lag: u64,
    writers_done: Arc<AtomicBool>,
) -> Report {
    let log = crate::meta::LogStore::new(store, super::PREFIX).unwrap();
    let mut report = Report::default();
    loop {
        let done = writers_done.load(Ordering::SeqCst);
        let ahead = log
            .read_entry::<serde::de::IgnoredAny>(client.tip().await + lag)
            .await
            .unwrap()
            .is_some();
        if ahead || done {
            client.catch_up().await.unwrap();
            report
                .observed
                .push((client.tip().await, client.state().await));
        }
        if done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    report.restarts = client.restarts().await;
    report
}

async fn simulate(
    name: &'static str,
    store: Arc<dyn ObjectStore>,
    nodes: u32,
    steps: usize,
    snapshot_every: u64,
) {
    let seed = seed();
    let _guard = SeedGuard { name, seed };
    let test = TestStore::with_jitter(store, seed);
    let store: Arc<dyn ObjectStore> = test.clone();
    let clock = ManualClock::new(1_000_000);
    let open = |writer: u128| {
        let cfg = crate::meta::MetaConfig {
            snapshot_every,
            ..config(writer, &clock)
        };
        MetaClient::open(store.clone(), cfg)
    };
    let setup = open(1).await.unwrap();
    for i in 0..STREAMS {
        setup
            .create_stream(&format!("stream-{i}"), 0)
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for node in 1..=nodes {
        let client = open(writer_of(node)).await.unwrap();
        let node_seed = seed ^ (u64::from(node) * 0x9e37_79b9);
        tasks.push(tokio::spawn(run_node(
            node, client, nodes, steps, node_seed,
        )));
    }
    let writers_done = Arc::new(AtomicBool::new(false));
    let lag = if snapshot_every > 0 {
        3 * snapshot_every
    } else {
        5
    };
    let reader = tokio::spawn(run_reader(
        open(999).await.unwrap(),
        store.clone(),
        lag,
        writers_done.clone(),
    ));
    let mut reports = Vec::new();
    for t in tasks {
        reports.push(t.await.unwrap());
    }
    writers_done.store(true, Ordering::SeqCst);
    reports.push(reader.await.unwrap());

    let last = open(1000).await.unwrap();
    let tip = last.tip().await;
    let (states, entries, accepted) = replay(&test.archive(), tip);
    let final_state = &states[tip as usize];
    let reader_tip = reports
        .last()
        .and_then(|r| r.observed.last())
        .map(|(t, _)| *t);
    assert_eq!(
        reader_tip,
        Some(tip),
        "the lagging reader's last catch-up must reach the tip"
    );
    assert_eq!(
        &last.state().await,
        final_state,
        "a fresh client equals the replay"
    );
    final_state.check_invariants().unwrap();

    for report in &reports {
        for (t, state) in &report.observed {
            assert_eq!(
                state, &states[*t as usize],
                "node {} at tip {t} differs from the replay",
                report.node
            );
            state.check_invariants().unwrap();
        }
    }

    // Acknowledged exactly when accepted.
    for report in reports.iter().filter(|r| r.node > 0) {
        let writer = crate::meta::WriterId(writer_of(report.node));
        let mut acked = BTreeSet::new();
        for (seq, record) in &report.acks {
            let entry = &entries[*seq as usize - 1];
            assert_eq!(
                (entry.id.writer, &entry.record),
                (writer, record),
                "node {} ack at {seq}",
                report.node
            );
            assert!(
                accepted[*seq as usize - 1],
                "node {} was told Ok for rejected entry {seq}",
                report.node
            );
            acked.insert(*seq);
        }
        let landed: BTreeSet<u64> = entries
            .iter()
            .zip(&accepted)
            .filter(|(e, ok)| **ok && e.id.writer == writer)
            .map(|(e, _)| e.id.seq)
            .collect();
        assert_eq!(
            landed, acked,
            "node {}: accepted entries and Ok answers differ",
            report.node
        );
    }

    // Ownership spans never overlap.
    let mut spans: BTreeMap<(StreamId, Epoch), (NodeId, u64, u64)> = BTreeMap::new();
    for report in &reports {
        for (seq, record) in &report.acks {
            match record {
                MetaRecord::StreamOpened {
                    stream,
                    epoch,
                    node,
                } => {
                    assert_eq!(*node, report.node);
                    assert!(
                        spans
                            .insert((*stream, *epoch), (*node, *seq, *seq))
                            .is_none(),
                        "epoch {epoch} opened twice"
                    );
                }
                MetaRecord::ObjectCommitted { by, .. } => {
                    for se in &by.stream_epochs {
                        let owner = states[*seq as usize - 1].owner(se.stream);
                        assert_eq!(
                            owner,
                            Some((report.node, se.epoch)),
                            "commit at {seq} by a non-owner"
                        );
                        let span = spans
                            .get_mut(&(se.stream, se.epoch))
                            .expect("a commit before its open");
                        assert_eq!(span.0, report.node);
                        span.2 = span.2.max(*seq);
                    }
                }
                MetaRecord::StreamClosed { stream, epoch, .. } => {
                    let span = spans
                        .get_mut(&(*stream, *epoch))
                        .expect("a close before its open");
                    span.2 = span.2.max(*seq);
                }
                _ => {}
            }
        }
    }
    for stream in 1..=STREAMS {
        let per: Vec<_> = spans.range((stream, 0)..=(stream, Epoch::MAX)).collect();
        for w in per.windows(2) {
            let ((_, e1), (n1, _, end1)) = w[0];
            let ((_, e2), (n2, start2, _)) = w[1];
            assert!(
                end1 < start2,
                "stream {stream}: node {n1} acted at epoch {e1} until {end1}, node {n2} opened {e2} at {start2}"
            );
        }
    }
    let acks: usize = reports.iter().map(|r| r.acks.len()).sum();
    let fenced: u32 = reports.iter().map(|r| r.fenced).sum();
    let races: u64 = reports.iter().map(|r| r.races_lost).sum();
    let restarts: u64 = reports.iter().map(|r| r.restarts).sum();
    assert!(
        acks > (nodes as usize) * steps / 4,
        "too little happened: {acks} acks"
    );
    assert!(
        fenced > 0,
        "no writer was ever fenced: the run tested nothing interesting"
    );
    assert!(
        races > 0,
        "no sequence race was ever lost: the writers did not really run concurrently"
    );
    if snapshot_every > 0 {
        assert!(
            restarts > 0,
            "collection never overtook the lagging reader: the restart path went untested"
        );
    }
    eprintln!(
        "{name}: seed {seed:#x}, {tip} entries, {acks} acknowledged, {fenced} fenced, {races} races lost, {restarts} restarts from a snapshot"
    );
}

#[tokio::test]
async fn concurrent_writers_on_memory_agree_with_the_replay() {
    simulate("concurrent_writers_on_memory", memory(), 4, 150, 0).await;
}

#[tokio::test]
async fn concurrent_writers_on_memory_with_snapshots_and_collection() {
    simulate(
        "concurrent_writers_on_memory_with_snapshots",
        memory(),
        4,
        150,
        7,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_a_local_directory_agree_with_the_replay() {
    let (_dir, store) = local();
    simulate("concurrent_writers_on_local", store, 4, 60, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_a_local_directory_with_snapshots_and_collection() {
    let (_dir, store) = local();
    simulate(
        "concurrent_writers_on_local_with_snapshots",
        store,
        4,
        60,
        5,
    )
    .await;
}
