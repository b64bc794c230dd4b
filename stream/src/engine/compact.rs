//! Compaction: the many small objects that uploads leave behind, merged into few large ones.
//!
//! Every upload writes one stream-set object, so a node that uploads every second leaves thousands of objects of a
//! few hundred KiB a day. A round takes this node's small objects (those with less than a quarter of the target
//! size still served) and rewrites their live data: a stream with at least a quarter of the target in the round
//! gets stream objects of its own, the others share stream-set objects, all cut near the target size, trimmed
//! offsets dropped. The outputs are uploaded under fresh keys, then one metadata record (`ObjectsCompacted`)
//! swaps them in for the inputs. That record is checked against the state at its place in the log: if any input
//! was trimmed away or compacted by someone else meanwhile, or this node was fenced (taken over, restarted), it is
//! refused, and the outputs, referenced by nothing, are collected as orphans. The inputs stay readable until
//! garbage collection deletes them a grace period after they lost their last reference.
//!
//! Who compacts what: an object belongs to the node that wrote it; a node compacts its own objects and those of
//! nodes that are fenced (taken over and not back), so two live nodes do not race for the same objects. The
//! design note is docs/stream-engine.md.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use object_store::{PutMode, PutOptions, PutPayload};
use tracing::{debug, info, warn};

use super::Inner;
use crate::error::{Error, ErrorKind, Result};
use crate::meta::{ClusterState, NodeEpoch, ObjectId, ObjectMeta, failpoint_hit};
use crate::object::{ObjectWriter, object_key};
use crate::types::{Batch, NodeId, Offset, StreamId, StreamRange};

/// Named pause points of compaction, for race tests.
pub mod points {
    /// The outputs of a round are uploaded and not yet committed.
    pub const UPLOADED: &str = "engine.compact.uploaded";
}

/// The framing overhead of a batch inside a block (see the object format).
const BATCH_OVERHEAD: usize = 16;

/// What one [`Engine::compact`](super::Engine::compact) did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CompactStats {
    /// Rounds committed (one metadata record each).
    pub rounds: usize,
    /// Objects replaced, and their bytes.
    pub objects_in: usize,
    pub bytes_in: u64,
    /// Objects written in their place, and their bytes.
    pub objects_out: usize,
    pub bytes_out: u64,
    /// Rounds the metadata log refused because an input changed under them (a trim, another compaction); their
    /// uploaded outputs are left for garbage collection.
    pub rejected: usize,
}

/// One stream's run of adjacent index entries whose objects are all inputs of the round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    pub stream: StreamId,
    /// Per entry, in offset order: (object, first offset wanted, end). The first skips what is trimmed.
    pub parts: Vec<(ObjectId, Offset, Offset)>,
}

/// What a round rewrites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoundPlan {
    /// (id, key, size) of every input, ascending by id.
    pub inputs: Vec<(ObjectId, String, u64)>,
    /// Every run of every stream the inputs hold, by stream, then offset.
    pub runs: Vec<Run>,
}

/// An estimate of the bytes of `object` still served: its size times the share of its offsets still in some
/// stream's index at or above that stream's start. (Offsets count records, not bytes; close enough to choose.)
pub(crate) fn live_bytes(state: &ClusterState, id: ObjectId, object: &ObjectMeta) -> u64 {
    let total: u64 = object.ranges.iter().map(|r| r.end - r.start).sum();
    if total == 0 || object.refs == 0 {
        return 0;
    }
    let live: u64 = object
        .ranges
        .iter()
        .map(|r| {
            let Some(s) = state.stream(r.stream) else {
                return 0;
            };
            let i = s.index.partition_point(|e| e.start < r.start);
            match s.index.get(i) {
                Some(e) if e.object == id => e.end.saturating_sub(e.start.max(s.start)),
                _ => 0,
            }
        })
        .sum();
    (u128::from(object.size) * u128::from(live) / u128::from(total)) as u64
}

/// Whether `me` compacts objects written by `writer`: its own, and those of nodes fenced and not back (or of
/// unknown writers).
fn compacts_for(state: &ClusterState, me: NodeId, writer: Option<NodeId>) -> bool {
    match writer {
        Some(w) => w == me || state.node_epoch(w).is_none(),
        None => true,
    }
}

/// The objects `me` compacts that have less than `target / 4` bytes live, ascending by id, with their live
/// estimate.
pub(crate) fn small_objects(state: &ClusterState, me: NodeId, target: u64) -> Vec<(ObjectId, u64)> {
    state
        .objects()
        .filter(|(_, o)| o.refs > 0 && compacts_for(state, me, o.writer))
        .map(|(id, o)| (id, live_bytes(state, id, o)))
        .filter(|(_, live)| *live < target / 4)
        .collect()
}

/// Plans the next round for `me`, or `None` while fewer than `trigger` small objects are there. A round takes
/// the oldest small objects up to about `target` live bytes, so its memory stays near twice the target.
pub(crate) fn plan_round(
    state: &ClusterState,
    me: NodeId,
    target: u64,
    trigger: usize,
) -> Option<RoundPlan> {
    let small = small_objects(state, me, target);
    if small.len() < trigger.max(2) {
        return None;
    }
    let mut chosen = BTreeSet::new();
    let mut budget = 0u64;
    for (id, live) in small {
        if chosen.len() >= 2 && budget + live > target {
            break;
        }
        budget += live;
        chosen.insert(id);
    }
    let mut inputs = Vec::new();
    let mut streams = BTreeSet::new();
    for &id in &chosen {
        let o = state.object(id)?;
        inputs.push((id, o.key.clone(), o.size));
        streams.extend(o.ranges.iter().map(|r| r.stream));
    }
    let mut runs = Vec::new();
    for stream in streams {
        let Some(s) = state.stream(stream) else {
            continue;
        };
        let mut current: Option<Run> = None;
        for e in &s.index {
            if chosen.contains(&e.object) {
                let part = (e.object, e.start.max(s.start), e.end);
                match current.as_mut() {
                    Some(run) => run.parts.push(part),
                    None => {
                        current = Some(Run {
                            stream,
                            parts: vec![part],
                        })
                    }
                }
            } else if let Some(run) = current.take() {
                runs.push(run);
            }
        }
        runs.extend(current);
    }
    Some(RoundPlan { inputs, runs })
}

/// Cuts runs into objects: a new object once the current one holds `piece` bytes, and before a second run of a
/// stream already in it (an object holds one range per stream).
fn pack(runs: &[&Vec<Batch>], piece: usize, block_target: usize) -> Result<Vec<ObjectWriter>> {
    let mut out = Vec::new();
    let mut w = ObjectWriter::new(block_target);
    let mut last: Option<StreamId> = None;
    for run in runs {
        let stream = run.first().map(|b| b.stream);
        if !w.is_empty() && last.is_some() && last == stream {
            out.push(std::mem::replace(&mut w, ObjectWriter::new(block_target)));
        }
        for b in run.iter() {
            if w.data_len() >= piece {
                out.push(std::mem::replace(&mut w, ObjectWriter::new(block_target)));
            }
            w.add(b)?;
        }
        last = stream;
    }
    if !w.is_empty() {
        out.push(w);
    }
    Ok(out)
}

/// `total` bytes in pieces of at most about `target`, all about equal (so none is a tiny remainder).
fn piece_size(total: usize, target: usize) -> usize {
    let n = total.div_ceil(target.max(1)).max(1);
    total.div_ceil(n)
}

/// The outputs for the runs' data: a run with at least a quarter of the target gets objects of its own, the
/// rest share stream-set objects.
pub(crate) fn build_outputs(
    data: &[Vec<Batch>],
    target: usize,
    block_target: usize,
) -> Result<Vec<(Bytes, Vec<StreamRange>)>> {
    let size = |run: &Vec<Batch>| -> usize {
        run.iter()
            .map(|b| b.payload.len() + BATCH_OVERHEAD)
            .sum::<usize>()
    };
    let mut writers = Vec::new();
    let mut shared = Vec::new();
    for run in data {
        let bytes = size(run);
        if bytes >= target / 4 {
            writers.extend(pack(&[run], piece_size(bytes, target), block_target)?);
        } else {
            shared.push(run);
        }
    }
    let shared_bytes: usize = shared.iter().map(|r| size(r)).sum();
    writers.extend(pack(
        &shared,
        piece_size(shared_bytes, target),
        block_target,
    )?);
    Ok(writers.into_iter().map(ObjectWriter::finish).collect())
}

/// Checks that a run's batches are dense, start at or before its first wanted offset and end at its end, so a
/// damaged or misread input never becomes a committed output.
fn check_run(run: &Run, batches: &[Batch]) -> Result<()> {
    let (Some(&(_, from, _)), Some(&(_, _, end))) = (run.parts.first(), run.parts.last()) else {
        return Ok(());
    };
    let dense = batches
        .windows(2)
        .all(|w| w[0].end_offset() == w[1].base_offset);
    let covers = batches.first().is_some_and(|b| b.base_offset <= from)
        && batches.last().is_some_and(|b| b.end_offset() == end);
    if dense && covers {
        return Ok(());
    }
    Err(Error::Corrupt {
        what: format!("objects of stream {} for {from}..{end}", run.stream),
        detail: format!(
            "read {} batches covering {:?}..{:?}{}",
            batches.len(),
            batches.first().map(|b| b.base_offset),
            batches.last().map(Batch::end_offset),
            if dense { "" } else { " with holes" }
        ),
    })
}

enum Round {
    Committed(CompactStats),
    Rejected,
}

/// Rounds until fewer than the trigger's number of small objects are left, a round stops reducing the object
/// count, or the metadata log refuses a round. One compaction at a time per engine.
pub(super) async fn compact(inner: &Inner) -> Result<CompactStats> {
    let _one = inner.compact_lock.lock().await;
    let me = inner.config.node;
    let target = inner.config.compaction_target_bytes.max(1);
    let trigger = inner.config.compaction_trigger_objects;
    let mut stats = CompactStats::default();
    loop {
        inner.meta.catch_up().await?;
        let Some(plan) = inner
            .meta
            .read(|s| plan_round(s, me, target as u64, trigger))
            .await
        else {
            break;
        };
        match round(inner, plan, target).await? {
            Round::Committed(r) => {
                stats.rounds += 1;
                stats.objects_in += r.objects_in;
                stats.objects_out += r.objects_out;
                stats.bytes_in += r.bytes_in;
                stats.bytes_out += r.bytes_out;
                if r.objects_out >= r.objects_in {
                    break;
                }
            }
            Round::Rejected => {
                stats.rejected += 1;
                break;
            }
        }
    }
    Ok(stats)
}

/// A part of a run that an input serves: (run, part, stream, from, end).
type Want = (usize, usize, StreamId, Offset, Offset);

async fn round(inner: &Inner, plan: RoundPlan, target: usize) -> Result<Round> {
    let mut wants: BTreeMap<ObjectId, Vec<Want>> = BTreeMap::new();
    for (r, run) in plan.runs.iter().enumerate() {
        for (p, &(object, from, end)) in run.parts.iter().enumerate() {
            wants
                .entry(object)
                .or_default()
                .push((r, p, run.stream, from, end));
        }
    }
    let mut parts: Vec<Vec<Vec<Batch>>> = plan
        .runs
        .iter()
        .map(|run| vec![Vec::new(); run.parts.len()])
        .collect();
    for (id, key, size) in &plan.inputs {
        let Some(want) = wants.get(id) else { continue };
        let reader = super::read::object_reader(inner, *id, key, *size).await?;
        let ranges: Vec<(StreamId, Offset, Offset)> =
            want.iter().map(|&(_, _, s, a, b)| (s, a, b)).collect();
        let got = reader.read_many(&ranges).await?;
        for (&(r, p, ..), batches) in want.iter().zip(got) {
            parts[r][p] = batches;
        }
    }
    let data: Vec<Vec<Batch>> = parts.into_iter().map(|p| p.concat()).collect();
    for (run, batches) in plan.runs.iter().zip(&data) {
        check_run(run, batches)?;
    }
    let outputs = build_outputs(&data, target, inner.config.block_target)?;
    let create = PutOptions {
        mode: PutMode::Create,
        ..Default::default()
    };
    let mut added = Vec::with_capacity(outputs.len());
    for (bytes, ranges) in outputs {
        let key = object_key(&inner.config.prefix, super::upload::rand_id());
        let size = bytes.len() as u64;
        inner
            .store
            .put_opts(&key, PutPayload::from(bytes), create.clone())
            .await
            .map_err(|e| Error::store("put", &key, e))?;
        added.push((key.to_string(), size, ranges));
    }
    failpoint_hit(&inner.config.failpoints, points::UPLOADED).await;
    let removed: Vec<ObjectId> = plan.inputs.iter().map(|(id, ..)| *id).collect();
    let stats = CompactStats {
        rounds: 1,
        objects_in: removed.len(),
        bytes_in: plan.inputs.iter().map(|(_, _, size)| size).sum(),
        objects_out: added.len(),
        bytes_out: added.iter().map(|(_, size, _)| size).sum(),
        rejected: 0,
    };
    let by = NodeEpoch {
        node: inner.config.node,
        epoch: inner.node_epoch,
    };
    match inner.meta.compact(removed, added, Some(by)).await {
        Ok(ids) => {
            debug!(?ids, ?stats, "compaction round committed");
            Ok(Round::Committed(stats))
        }
        Err(e) if e.kind() == ErrorKind::Invalid => {
            warn!(
                outputs = stats.objects_out,
                "compaction refused, its inputs changed meanwhile ({e}); its outputs are left for garbage collection"
            );
            Ok(Round::Rejected)
        }
        Err(e) => Err(e),
    }
}

/// Compacts every `every` until shutdown.
pub(super) async fn run(inner: Arc<Inner>, every: Duration) {
    loop {
        tokio::select! {
            _ = inner.compactor_stop.notified() => break,
            _ = tokio::time::sleep(every) => {}
        }
        match compact(&inner).await {
            Ok(stats) if stats.rounds > 0 || stats.rejected > 0 => info!(?stats, "compacted"),
            Ok(_) => {}
            Err(e) => warn!("compaction failed: {e}; the next one plans again"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batches(stream: StreamId, from: Offset, n: u64, len: usize) -> Vec<Batch> {
        (0..n)
            .map(|i| Batch {
                stream,
                base_offset: from + i * 2,
                count: 2,
                payload: Bytes::from(vec![stream as u8; len]),
            })
            .collect()
    }

    #[test]
    fn pieces_are_about_equal_and_at_most_the_target() {
        assert_eq!(piece_size(100, 64), 50);
        assert_eq!(piece_size(64, 64), 64);
        assert_eq!(piece_size(10, 64), 10);
        assert_eq!(piece_size(0, 64), 0);
        assert_eq!(piece_size(129, 64), 43);
    }

    #[test]
    fn large_runs_get_their_own_objects_and_small_ones_share() {
        // Stream 1 holds 40 KiB (a quarter of the 64 KiB target is 16 KiB): objects of its own. Streams 2 and 3
        // are small and share one; stream 3 has two runs, which land in different objects.
        let data = vec![
            batches(1, 0, 40, 1024 - 16),
            batches(2, 0, 4, 100),
            batches(3, 0, 3, 100),
            batches(3, 50, 3, 100),
        ];
        let outputs = build_outputs(&data, 64 * 1024, 4096).unwrap();
        let ranges: Vec<Vec<(StreamId, Offset, Offset)>> = outputs
            .iter()
            .map(|(_, r)| r.iter().map(|r| (r.stream, r.start, r.end)).collect())
            .collect();
        assert_eq!(
            ranges,
            [
                vec![(1, 0, 80)],
                vec![(2, 0, 8), (3, 0, 6)],
                vec![(3, 50, 56)]
            ]
        );
    }
}
