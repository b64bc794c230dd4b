//! [`ClusterState`]: the cluster metadata as the log's records build it, and the rules that accept or reject each
//! record.
//!
//! Applying is deterministic: it reads only the state, the record and the entry's sequence and writer time. A
//! record is first planned against the state ([`ClusterState::validate`] runs just that, so a proposer can refuse
//! without writing), then carried out; a rejected record changes nothing.
//!
//! What the rules keep true:
//! - a stream's index lists the objects holding `[start, end)` in offset order, densely: each entry begins where
//!   the previous one ends and the last ends at `end` (the first may begin below `start` after a trim);
//! - a compaction replaces runs of adjacent index entries by entries covering the same offsets (less what was
//!   trimmed), naming only inputs that are still referenced, and only from a node at its current epoch;
//! - a commit is accepted only from the stream's owner at the stream's current epoch, by a node at its current,
//!   unfenced registration epoch, and only if each range begins exactly at its stream's end (no gap, no overlap);
//! - an object's reference count is the number of index entries naming it; at zero it is unreferenced, recorded
//!   with the sequence and writer time at which that happened, and may be deleted after a grace period;
//! - stream and object ids are allocated as one more than the largest ever used, so they are never reused.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::fence::{EpochFence, FenceError, FenceState};
use super::frame::Seq;
use super::records::{CommitAuthority, MetaRecord, NewObject, ObjectId};
use super::replica::{Applying, StateMachine};
use crate::error::Error;
use crate::types::{Epoch, NodeId, Offset, StreamId};

/// Why a record was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The writer's epoch is no longer good: stop acting for `what`.
    Fenced {
        what: String,
        held: Epoch,
        current: Epoch,
    },
    /// The record does not fit the state (a gap, an unknown stream, an id already taken).
    Invalid(String),
}

impl From<Rejection> for Error {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::Fenced {
                what,
                held,
                current,
            } => Error::Fenced {
                what,
                held,
                current,
            },
            Rejection::Invalid(detail) => Error::Invalid(detail),
        }
    }
}

fn fenced(what: String, e: FenceError) -> Rejection {
    let (held, current) = e.epochs();
    let what = match e {
        FenceError::Fenced { .. } => format!("{what} (fenced)"),
        FenceError::Unclaimed => format!("{what} (never claimed)"),
        FenceError::Superseded { .. } => what,
    };
    Rejection::Fenced {
        what,
        held,
        current,
    }
}

fn invalid(detail: String) -> Rejection {
    Rejection::Invalid(detail)
}

/// A registered node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub address: String,
}

/// One run of a stream's offsets and the object holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub start: Offset,
    pub end: Offset,
    pub object: ObjectId,
}

/// A stream's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamMeta {
    pub name: String,
    /// The first offset served.
    pub start: Offset,
    /// The offset after the last committed one.
    pub end: Offset,
    /// The owner, while open.
    pub owner: Option<NodeId>,
    /// The epoch of the latest open (0: never opened) and any explicit fence.
    pub fence: FenceState,
    /// Objects holding `[start, end)`, in offset order, dense.
    pub index: Vec<IndexEntry>,
}

impl StreamMeta {
    pub fn epoch(&self) -> Epoch {
        self.fence.epoch
    }
}

/// When an object lost its last reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreferenced {
    pub seq: Seq,
    pub at_ms: u64,
}

/// A committed object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    pub ranges: Vec<crate::types::StreamRange>,
    pub committed_seq: Seq,
    /// The node that wrote it (by an upload or a compaction); it is the one that compacts it while it lives.
    /// `None` for objects recorded before writers were.
    #[serde(default)]
    pub writer: Option<NodeId>,
    /// Index entries naming this object.
    pub refs: u32,
    pub unreferenced: Option<Unreferenced>,
}

/// The cluster metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterState {
    nodes: BTreeMap<NodeId, NodeInfo>,
    node_fence: EpochFence<NodeId>,
    streams: BTreeMap<StreamId, StreamMeta>,
    names: BTreeMap<String, StreamId>,
    objects: BTreeMap<ObjectId, ObjectMeta>,
    keys: BTreeSet<String>,
    max_stream: StreamId,
    max_object: ObjectId,
    /// Upper layers' registry entries (`EntryPut`), by key.
    #[serde(default)]
    entries: BTreeMap<String, serde_json::Value>,
}

/// What a planned record will do, computed while validating so carrying it out cannot fail.
enum Plan {
    Simple,
    /// Index entries to drop from the front of a stream.
    Trim {
        drop: usize,
    },
    /// Per stream and run: replace `index[run]` by `entries`. A stream's runs are listed last first, so each
    /// splice leaves the positions of the ones still to come unchanged.
    Compact(Vec<(StreamId, Range<usize>, Vec<IndexEntry>)>),
}

impl ClusterState {
    // ---- queries -------------------------------------------------------------------------------------------

    pub fn node(&self, node: NodeId) -> Option<&NodeInfo> {
        self.nodes.get(&node)
    }

    /// The node's current registration epoch and fence.
    pub fn node_fence(&self, node: NodeId) -> FenceState {
        self.node_fence.get(node)
    }

    /// The node's current epoch, if it is registered and that epoch is not fenced.
    pub fn node_epoch(&self, node: NodeId) -> Option<Epoch> {
        let f = self.node_fence.get(node);
        f.check(f.epoch).ok().map(|()| f.epoch)
    }

    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &NodeInfo)> {
        self.nodes.iter().map(|(&n, i)| (n, i))
    }

    pub fn stream(&self, stream: StreamId) -> Option<&StreamMeta> {
        self.streams.get(&stream)
    }

    pub fn stream_id(&self, name: &str) -> Option<StreamId> {
        self.names.get(name).copied()
    }

    pub fn streams(&self) -> impl Iterator<Item = (StreamId, &StreamMeta)> {
        self.streams.iter().map(|(&s, m)| (s, m))
    }

    /// The owner and epoch of an open stream.
    pub fn owner(&self, stream: StreamId) -> Option<(NodeId, Epoch)> {
        let s = self.streams.get(&stream)?;
        s.owner.map(|n| (n, s.epoch()))
    }

    /// Index entries holding any offset of `range` that is still served, in offset order.
    pub fn objects_for(&self, stream: StreamId, range: Range<Offset>) -> Vec<IndexEntry> {
        let Some(s) = self.streams.get(&stream) else {
            return Vec::new();
        };
        let from = range.start.max(s.start);
        let to = range.end.min(s.end);
        if from >= to {
            return Vec::new();
        }
        let first = s.index.partition_point(|e| e.end <= from);
        s.index[first..]
            .iter()
            .take_while(|e| e.start < to)
            .copied()
            .collect()
    }

    pub fn object(&self, object: ObjectId) -> Option<&ObjectMeta> {
        self.objects.get(&object)
    }

    pub fn objects(&self) -> impl Iterator<Item = (ObjectId, &ObjectMeta)> {
        self.objects.iter().map(|(&o, m)| (o, m))
    }

    /// Objects no stream references any more, unreferenced at or before `before_ms` (writer time): candidates
    /// for deletion once a grace period has passed, so readers that located them earlier can finish.
    pub fn unreferenced_objects(&self, before_ms: u64) -> Vec<(ObjectId, &ObjectMeta)> {
        self.objects
            .iter()
            .filter(|(_, m)| m.unreferenced.is_some_and(|u| u.at_ms <= before_ms))
            .map(|(&o, m)| (o, m))
            .collect()
    }

    /// A registry entry's value.
    pub fn entry(&self, key: &str) -> Option<&serde_json::Value> {
        self.entries.get(key)
    }

    /// Registry entries whose keys start with `prefix`, in key order.
    pub fn entries_under<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a serde_json::Value)> + 'a {
        self.entries
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v))
    }

    pub fn next_stream_id(&self) -> StreamId {
        self.max_stream + 1
    }

    pub fn next_object_id(&self) -> ObjectId {
        self.max_object + 1
    }

    // ---- rules ---------------------------------------------------------------------------------------------

    /// Whether `record` would be accepted if applied next.
    pub fn validate(&self, record: &MetaRecord) -> Result<(), Rejection> {
        self.plan(record).map(|_| ())
    }

    fn stream_ref(&self, stream: StreamId) -> Result<&StreamMeta, Rejection> {
        self.streams
            .get(&stream)
            .ok_or_else(|| invalid(format!("stream {stream} does not exist")))
    }

    fn plan(&self, record: &MetaRecord) -> Result<Plan, Rejection> {
        match record {
            MetaRecord::NodeRegistered {
                node,
                epoch,
                address: _,
            } => {
                self.node_fence
                    .can_claim(*node, *epoch)
                    .map_err(|e| fenced(format!("node {node}"), e))?;
                Ok(Plan::Simple)
            }
            MetaRecord::NodeFenced { node, epoch: _ } => {
                if !self.nodes.contains_key(node) {
                    return Err(invalid(format!("node {node} was never registered")));
                }
                Ok(Plan::Simple)
            }
            MetaRecord::StreamCreated {
                stream,
                name,
                start: _,
            } => {
                if *stream != self.next_stream_id() {
                    return Err(invalid(format!(
                        "stream id {stream} is not the next free id {}",
                        self.next_stream_id()
                    )));
                }
                if name.is_empty() {
                    return Err(invalid("a stream needs a name".into()));
                }
                if let Some(existing) = self.names.get(name) {
                    return Err(invalid(format!(
                        "stream name `{name}` is taken by stream {existing}"
                    )));
                }
                Ok(Plan::Simple)
            }
            MetaRecord::StreamOpened {
                stream,
                epoch,
                node,
            } => {
                let s = self.stream_ref(*stream)?;
                if !self.nodes.contains_key(node) {
                    return Err(invalid(format!("node {node} was never registered")));
                }
                let nf = self.node_fence.get(*node);
                nf.check(nf.epoch)
                    .map_err(|e| fenced(format!("node {node}"), e))?;
                s.fence
                    .can_claim(*epoch)
                    .map_err(|e| fenced(format!("stream {stream}"), e))?;
                Ok(Plan::Simple)
            }
            MetaRecord::StreamClosed {
                stream,
                epoch,
                end_offset,
            } => {
                let s = self.stream_ref(*stream)?;
                s.fence
                    .check(*epoch)
                    .map_err(|e| fenced(format!("stream {stream}"), e))?;
                if s.owner.is_none() {
                    return Err(invalid(format!(
                        "stream {stream} is already closed at epoch {epoch}"
                    )));
                }
                if *end_offset != s.end {
                    return Err(invalid(format!(
                        "stream {stream} closes at {end_offset} but {} is committed",
                        s.end
                    )));
                }
                Ok(Plan::Simple)
            }
            MetaRecord::ObjectCommitted { object, by } => {
                self.plan_commit(object, by)?;
                Ok(Plan::Simple)
            }
            MetaRecord::StreamTrimmed { stream, start } => {
                let s = self.stream_ref(*stream)?;
                if *start > s.end {
                    return Err(invalid(format!(
                        "stream {stream} cannot trim to {start}, past its end {}",
                        s.end
                    )));
                }
                let start = (*start).max(s.start);
                Ok(Plan::Trim {
                    drop: s.index.partition_point(|e| e.end <= start),
                })
            }
            MetaRecord::ObjectsCompacted { removed, added, by } => {
                if let Some(by) = by {
                    self.node_fence
                        .check(by.node, by.epoch)
                        .map_err(|e| fenced(format!("node {}", by.node), e))?;
                }
                self.plan_compaction(removed, added)
            }
            MetaRecord::ObjectDeleted { object } => match self.objects.get(object) {
                None => Err(invalid(format!("object {object} does not exist"))),
                Some(o) if o.refs > 0 => Err(invalid(format!(
                    "object {object} is still referenced {} times",
                    o.refs
                ))),
                Some(_) => Ok(Plan::Simple),
            },
            MetaRecord::StreamDeleted { stream } => {
                self.stream_ref(*stream)?;
                Ok(Plan::Simple)
            }
            MetaRecord::EntryPut { key, value: _ } => {
                if key.is_empty() {
                    return Err(invalid("a registry entry needs a key".into()));
                }
                Ok(Plan::Simple)
            }
            MetaRecord::EntryDeleted { key } => {
                if !self.entries.contains_key(key) {
                    return Err(invalid(format!("registry entry `{key}` does not exist")));
                }
                Ok(Plan::Simple)
            }
        }
    }

    /// Checks a new object's id, key and ranges (shape only).
    fn check_new_objects(&self, objects: &[NewObject]) -> Result<(), Rejection> {
        let mut keys = BTreeSet::new();
        for (i, o) in objects.iter().enumerate() {
            let expected = self.next_object_id() + i as ObjectId;
            if o.id != expected {
                return Err(invalid(format!(
                    "object id {} is not the next free id {expected}",
                    o.id
                )));
            }
            if o.key.is_empty() || self.keys.contains(&o.key) || !keys.insert(o.key.as_str()) {
                return Err(invalid(format!(
                    "object key `{}` is empty or already used",
                    o.key
                )));
            }
            if o.ranges.is_empty() {
                return Err(invalid(format!("object {} covers no offsets", o.id)));
            }
            let mut streams = BTreeSet::new();
            for r in &o.ranges {
                if r.start >= r.end {
                    return Err(invalid(format!(
                        "object {}: empty range {}..{} of stream {}",
                        o.id, r.start, r.end, r.stream
                    )));
                }
                if !streams.insert(r.stream) {
                    return Err(invalid(format!(
                        "object {} has two ranges of stream {}",
                        o.id, r.stream
                    )));
                }
            }
        }
        Ok(())
    }

    fn plan_commit(&self, object: &NewObject, by: &CommitAuthority) -> Result<(), Rejection> {
        // Fencing first: a fenced writer must hear "fenced", whatever else is wrong with its record.
        self.node_fence
            .check(by.node, by.node_epoch)
            .map_err(|e| fenced(format!("node {}", by.node), e))?;
        for r in &object.ranges {
            let s = self.stream_ref(r.stream)?;
            let epoch = by
                .epoch_of(r.stream)
                .ok_or_else(|| invalid(format!("commit names no epoch for stream {}", r.stream)))?;
            s.fence
                .check(epoch)
                .map_err(|e| fenced(format!("stream {}", r.stream), e))?;
            match s.owner {
                Some(owner) if owner == by.node => {}
                Some(owner) => {
                    return Err(Rejection::Fenced {
                        what: format!("stream {} (owned by node {owner})", r.stream),
                        held: epoch,
                        current: s.epoch(),
                    });
                }
                None => {
                    return Err(Rejection::Fenced {
                        what: format!("stream {} (closed)", r.stream),
                        held: epoch,
                        current: s.epoch(),
                    });
                }
            }
        }
        self.check_new_objects(std::slice::from_ref(object))?;
        for r in &object.ranges {
            let end = self.stream_ref(r.stream)?.end;
            if r.start != end {
                let what = if r.start > end {
                    "leave a gap"
                } else {
                    "overlap"
                };
                return Err(invalid(format!(
                    "object {} would {what} in stream {}: it starts at {}, the stream ends at {end}",
                    object.id, r.stream, r.start
                )));
            }
        }
        Ok(())
    }

    fn plan_compaction(
        &self,
        removed: &[ObjectId],
        added: &[NewObject],
    ) -> Result<Plan, Rejection> {
        if removed.is_empty() {
            return Err(invalid("a compaction removes no objects".into()));
        }
        let removed_set: BTreeSet<ObjectId> = removed.iter().copied().collect();
        if removed_set.len() != removed.len() {
            return Err(invalid("a compaction removes an object twice".into()));
        }
        let mut streams = BTreeSet::new();
        for id in removed {
            match self.objects.get(id) {
                Some(o) if o.refs > 0 => streams.extend(o.ranges.iter().map(|r| r.stream)),
                _ => {
                    return Err(invalid(format!(
                        "compaction input {id} is not a referenced object"
                    )));
                }
            }
        }
        self.check_new_objects(added)?;
        let mut new_by_stream: BTreeMap<StreamId, Vec<IndexEntry>> = BTreeMap::new();
        for o in added {
            for r in &o.ranges {
                new_by_stream.entry(r.stream).or_default().push(IndexEntry {
                    start: r.start,
                    end: r.end,
                    object: o.id,
                });
            }
        }
        if let Some(s) = new_by_stream.keys().find(|s| !streams.contains(s)) {
            return Err(invalid(format!(
                "compaction output covers stream {s}, which no input covers"
            )));
        }
        let mut plan = Vec::new();
        for stream in streams {
            let Some(s) = self.streams.get(&stream) else {
                continue;
            };
            // The maximal runs of adjacent index entries naming an input: each is replaced on its own.
            let mut runs: Vec<Range<usize>> = Vec::new();
            for i in (0..s.index.len()).filter(|&i| removed_set.contains(&s.index[i].object)) {
                match runs.last_mut() {
                    Some(run) if run.end == i => run.end = i + 1,
                    _ => runs.push(i..i + 1),
                }
            }
            let mut entries = new_by_stream.remove(&stream).unwrap_or_default();
            entries.sort_by_key(|e| e.start);
            if runs.is_empty() {
                if entries.is_empty() {
                    continue;
                }
                return Err(invalid(format!(
                    "compaction output covers stream {stream}, whose inputs were trimmed away"
                )));
            }
            let mut rest = entries.into_iter().peekable();
            let mut planned = Vec::new();
            for run in runs {
                let (a, b) = (s.index[run.start].start, s.index[run.end - 1].end);
                let Some(first) = rest.next() else {
                    return Err(invalid(format!(
                        "compaction drops offsets {a}..{b} of stream {stream}"
                    )));
                };
                if first.start < a || first.start > a.max(s.start) {
                    return Err(invalid(format!(
                        "compaction of stream {stream} replaces {a}..{b} with entries from {}",
                        first.start
                    )));
                }
                let mut group = vec![first];
                let mut end = first.end;
                while end < b {
                    match rest.next_if(|e| e.start == end) {
                        Some(e) => {
                            end = e.end;
                            group.push(e);
                        }
                        None => break,
                    }
                }
                if end != b {
                    return Err(invalid(format!(
                        "compaction of stream {stream} replaces {a}..{b} with {}..{end}{}",
                        first.start,
                        if end < b { " with holes" } else { "" }
                    )));
                }
                planned.push((stream, run, group));
            }
            if let Some(extra) = rest.next() {
                return Err(invalid(format!(
                    "compaction output covers {}..{} of stream {stream}, which no input covers",
                    extra.start, extra.end
                )));
            }
            plan.extend(planned.into_iter().rev());
        }
        Ok(Plan::Compact(plan))
    }

    // ---- effects -------------------------------------------------------------------------------------------

    fn unref(&mut self, object: ObjectId, at: &Applying) {
        if let Some(o) = self.objects.get_mut(&object) {
            o.refs = o.refs.saturating_sub(1);
            if o.refs == 0 && o.unreferenced.is_none() {
                o.unreferenced = Some(Unreferenced {
                    seq: at.id.seq,
                    at_ms: at.at_ms,
                });
            }
        }
    }

    fn insert_object(&mut self, o: &NewObject, writer: Option<NodeId>, at: &Applying) {
        self.max_object = self.max_object.max(o.id);
        self.keys.insert(o.key.clone());
        self.objects.insert(
            o.id,
            ObjectMeta {
                key: o.key.clone(),
                size: o.size,
                ranges: o.ranges.clone(),
                committed_seq: at.id.seq,
                writer,
                refs: o.ranges.len() as u32,
                unreferenced: None,
            },
        );
    }

    fn execute(&mut self, at: &Applying, record: &MetaRecord, plan: Plan) {
        match (record, plan) {
            (
                MetaRecord::NodeRegistered {
                    node,
                    epoch,
                    address,
                },
                _,
            ) => {
                // Planned with can_claim, so the claim holds.
                let _ = self.node_fence.claim(*node, *epoch);
                self.nodes.insert(
                    *node,
                    NodeInfo {
                        address: address.clone(),
                    },
                );
            }
            (MetaRecord::NodeFenced { node, epoch }, _) => self.node_fence.fence(*node, *epoch),
            (
                MetaRecord::StreamCreated {
                    stream,
                    name,
                    start,
                },
                _,
            ) => {
                self.max_stream = self.max_stream.max(*stream);
                self.names.insert(name.clone(), *stream);
                let meta = StreamMeta {
                    name: name.clone(),
                    start: *start,
                    end: *start,
                    owner: None,
                    fence: FenceState::default(),
                    index: Vec::new(),
                };
                self.streams.insert(*stream, meta);
            }
            (
                MetaRecord::StreamOpened {
                    stream,
                    epoch,
                    node,
                },
                _,
            ) => {
                if let Some(s) = self.streams.get_mut(stream) {
                    s.fence.epoch = *epoch;
                    s.owner = Some(*node);
                }
            }
            (MetaRecord::StreamClosed { stream, .. }, _) => {
                if let Some(s) = self.streams.get_mut(stream) {
                    s.owner = None;
                }
            }
            (MetaRecord::ObjectCommitted { object, by }, _) => {
                self.insert_object(object, Some(by.node), at);
                for r in &object.ranges {
                    if let Some(s) = self.streams.get_mut(&r.stream) {
                        s.index.push(IndexEntry {
                            start: r.start,
                            end: r.end,
                            object: object.id,
                        });
                        s.end = r.end;
                    }
                }
            }
            (MetaRecord::StreamTrimmed { stream, start }, Plan::Trim { drop }) => {
                let dropped: Vec<ObjectId> = match self.streams.get_mut(stream) {
                    Some(s) => {
                        s.start = s.start.max(*start);
                        s.index.drain(..drop).map(|e| e.object).collect()
                    }
                    None => Vec::new(),
                };
                for object in dropped {
                    self.unref(object, at);
                }
            }
            (MetaRecord::ObjectsCompacted { removed, added, by }, Plan::Compact(plan)) => {
                for o in added {
                    self.insert_object(o, by.map(|b| b.node), at);
                }
                for (stream, run, entries) in plan {
                    if let Some(s) = self.streams.get_mut(&stream) {
                        s.index.splice(run, entries);
                    }
                }
                for id in removed {
                    if let Some(o) = self.objects.get_mut(id) {
                        o.refs = 0;
                        o.unreferenced = Some(Unreferenced {
                            seq: at.id.seq,
                            at_ms: at.at_ms,
                        });
                    }
                }
            }
            (MetaRecord::ObjectDeleted { object }, _) => {
                if let Some(o) = self.objects.remove(object) {
                    self.keys.remove(&o.key);
                }
            }
            (MetaRecord::StreamDeleted { stream }, _) => {
                if let Some(s) = self.streams.remove(stream) {
                    self.names.remove(&s.name);
                    for e in s.index {
                        self.unref(e.object, at);
                    }
                }
            }
            (MetaRecord::EntryPut { key, value }, _) => {
                self.entries.insert(key.clone(), value.clone());
            }
            (MetaRecord::EntryDeleted { key }, _) => {
                self.entries.remove(key);
            }
            // plan() pairs each record with its own plan kind.
            (MetaRecord::StreamTrimmed { .. } | MetaRecord::ObjectsCompacted { .. }, _) => {}
        }
    }

    /// Checks the invariants the rules keep (module docs). For tests and debugging.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut refs: BTreeMap<ObjectId, u32> = BTreeMap::new();
        for (&id, s) in &self.streams {
            if s.start > s.end {
                return Err(format!("stream {id}: start {} > end {}", s.start, s.end));
            }
            for w in s.index.windows(2) {
                if w[0].end != w[1].start || w[0].start >= w[0].end {
                    return Err(format!(
                        "stream {id}: index not dense at {:?} {:?}",
                        w[0], w[1]
                    ));
                }
            }
            match (s.index.first(), s.index.last()) {
                (Some(f), Some(l)) if f.start > s.start || f.end <= s.start || l.end != s.end => {
                    return Err(format!(
                        "stream {id}: index {}..{} does not cover {}..{}",
                        f.start, l.end, s.start, s.end
                    ));
                }
                (None, _) if s.start != s.end => {
                    return Err(format!(
                        "stream {id}: no objects for {}..{}",
                        s.start, s.end
                    ));
                }
                _ => {}
            }
            for e in &s.index {
                *refs.entry(e.object).or_default() += 1;
                if !self.objects.contains_key(&e.object) {
                    return Err(format!(
                        "stream {id}: index names missing object {}",
                        e.object
                    ));
                }
            }
        }
        for (&id, o) in &self.objects {
            let counted = refs.get(&id).copied().unwrap_or(0);
            if counted != o.refs || (o.refs == 0) != o.unreferenced.is_some() {
                return Err(format!(
                    "object {id}: refs {} recorded, {counted} counted, {:?}",
                    o.refs, o.unreferenced
                ));
            }
        }
        Ok(())
    }
}

impl StateMachine for ClusterState {
    type Record = MetaRecord;
    type Rejection = Rejection;

    fn apply(&mut self, at: &Applying, record: &MetaRecord) -> Result<(), Rejection> {
        let plan = self.plan(record)?;
        self.execute(at, record, plan);
        Ok(())
    }
}
