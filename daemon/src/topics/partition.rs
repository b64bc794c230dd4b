//! One open partition: its record batches in an engine stream, its producers' sequence state, its index, its
//! leader-epoch history and, on a compacted topic, the stream holding its compacted head.
//!
//! Offsets are the stream's offsets: the engine counts records, so a batch of `n` records at base offset `b`
//! covers Kafka offsets `b..b+n`, and the stream's confirmed end is the partition's high watermark (and, with no
//! transactions, its last stable offset). An append is checked outside any lock; then, under the partition's lock,
//! the producer's sequence is checked, offsets are handed out and the batch, stamped with its base offset and the
//! leader epoch, is queued in the WAL, so batches land in the order their sequences were checked.
//!
//! After a compaction pass, offsets `[log start, head end)` are read from the compacted head's stream and the rest
//! from the data stream (docs/partitions.md). Moving the log start (DeleteRecords, retention) is in `trim.rs`,
//! compaction in `compaction.rs`.
//!
//! Beside the data stream each partition has a companion stream of snapshots (`state.rs`): opening loads the
//! latest and replays the batches after it, so producer state, transactions and the index survive restarts and
//! moves; snapshots are written by a task of their own, never on the acknowledgement path.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_stream::engine::{Engine, PendingAppend};
use automq_stream::{ErrorKind, StreamId};
use bytes::{Bytes, BytesMut};
use tokio::sync::{Notify, watch};
use tracing::{debug, info, warn};

use super::batch::{self, BatchError, BatchInfo};
use super::config::Effective;
use super::index::LogIndex;
use super::partition_entry::{self, PartitionEntry};
use super::producers::{ProducerStates, SequenceCheck};
use super::state::{self, Rebuilt, Snapshot};

/// A refusal of a produce or a fetch for one partition: the Kafka error code and one line saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionError {
    pub code: ResponseError,
    pub message: String,
    /// The records of the batch at fault, by position, with why (Produce v8+ `record_errors`, KIP-467).
    pub records: Vec<(u32, String)>,
}

impl PartitionError {
    pub fn new(code: ResponseError, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            records: Vec::new(),
        }
    }

    /// The one place engine errors become Kafka error codes.
    pub fn from_engine(e: &automq_stream::Error) -> Self {
        let code = match e {
            automq_stream::Error::OutOfRange { .. } => ResponseError::OffsetOutOfRange,
            _ => match e.kind() {
                ErrorKind::Fenced | ErrorKind::Closed => ResponseError::NotLeaderOrFollower,
                ErrorKind::Retry | ErrorKind::Corrupt => ResponseError::KafkaStorageError,
                ErrorKind::Invalid => ResponseError::UnknownServerError,
            },
        };
        Self::new(code, e.to_string())
    }
}

impl From<BatchError> for PartitionError {
    fn from(e: BatchError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

/// A produce accepted for one partition.
#[derive(Debug)]
pub enum Appended {
    /// Queued in the WAL; acknowledged once durable.
    New {
        pending: PendingAppend,
        /// The broker's timestamp for a LogAppendTime topic, else -1.
        log_append_time: i64,
    },
    /// A retry of a batch already appended at these offsets.
    Duplicate { base_offset: i64, last_offset: i64 },
}

/// The stream holding a compacted head: offsets below `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Head {
    pub stream: StreamId,
    pub end: u64,
}

#[derive(Debug)]
pub(super) struct State {
    pub producers: ProducerStates,
    /// Every batch from the log start on.
    pub index: LogIndex,
    /// As stored in the registry, except that its start follows the log start at once.
    pub entry: PartitionEntry,
    pub head: Option<Head>,
    /// Compacted heads replaced by a later pass, deleted by the pass after (a read may still be on one).
    pub retired: Vec<StreamId>,
    /// Open transactions here: producer id to the offset of its first transactional batch.
    pub open_txns: BTreeMap<i64, i64>,
    /// Aborted transactions whose marker is at or above the log start (as of the last snapshot): (producer id,
    /// first offset, marker offset).
    pub aborted: Vec<(i64, i64, i64)>,
    /// Bytes appended since the last snapshot was taken, and whether the snapshot task was asked for one.
    pub since_snapshot: u64,
    pub snapshot_asked: bool,
    /// The offset of the snapshot the open loaded, if any.
    pub loaded_snapshot: Option<u64>,
}

#[derive(Debug)]
pub struct Partition {
    pub topic: String,
    pub topic_id: uuid::Uuid,
    pub index: u32,
    pub stream: StreamId,
    pub leader_epoch: i32,
    pub(super) engine: Engine,
    /// The registry key of this partition's entry.
    pub(super) entry_key: String,
    /// The companion stream holding the partition's snapshots.
    pub companion: StreamId,
    /// The topic's `index.interval.bytes`, as of the last append or background pass.
    pub(super) interval: AtomicUsize,
    state: Mutex<State>,
    /// Companion offsets of the snapshots written and not trimmed yet; one snapshot is written at a time.
    snapshots: tokio::sync::Mutex<Vec<u64>>,
    /// Wakes the snapshot task.
    snapshot_due: Arc<Notify>,
    /// Bytes appended between two snapshots.
    pub(super) snapshot_every: AtomicU64,
    /// One trim or compaction pass at a time.
    pub(super) maintenance: tokio::sync::Mutex<()>,
    appended: Arc<watch::Sender<u64>>,
}

impl Drop for Partition {
    fn drop(&mut self) {
        // Lets the snapshot task see that the partition is gone.
        self.snapshot_due.notify_one();
    }
}

impl Partition {
    /// Opens the partition's streams on this node (a new leader epoch, recorded in its history) and rebuilds its
    /// state from the latest snapshot and the batches after it.
    pub async fn open(
        engine: Engine,
        topic: &str,
        topic_id: uuid::Uuid,
        index: u32,
        stream: StreamId,
        appended: Arc<watch::Sender<u64>>,
        interval: usize,
    ) -> automq_stream::Result<Self> {
        let info = engine.open_stream(stream).await?;
        let companion = engine
            .create_stream(&state::stream_name(&topic_id.simple().to_string(), index))
            .await?;
        let companion_info = engine.open_stream(companion).await?;
        let snapshot = state::latest(
            &engine,
            companion,
            companion_info.start,
            companion_info.confirmed,
        )
        .await?;
        let leader_epoch = i32::try_from(info.epoch).unwrap_or(i32::MAX);
        let entry_key = partition_entry::key(&topic_id.simple().to_string(), index);
        let mut entry = PartitionEntry::default();
        engine
            .meta()
            .propose_with(|s| {
                entry = PartitionEntry::read(s, &entry_key);
                Ok(entry
                    .assign(leader_epoch, info.confirmed as i64)
                    .then(|| entry.record(&entry_key)))
            })
            .await?;
        let head = match &entry.compacted {
            None => None,
            Some(c) => match engine.meta().read(|s| s.stream_id(&c.stream)).await {
                Some(id) => {
                    engine.open_stream(id).await?;
                    Some(Head {
                        stream: id,
                        end: c.end,
                    })
                }
                None => {
                    warn!(topic, partition = index, head = %c.stream, "compacted head stream missing; serving the data stream only");
                    None
                }
            },
        };
        let p = Self {
            topic: topic.to_string(),
            topic_id,
            index,
            stream,
            leader_epoch,
            engine,
            entry_key,
            companion,
            interval: AtomicUsize::new(interval),
            state: Mutex::new(State {
                producers: ProducerStates::default(),
                index: LogIndex::new(info.confirmed),
                entry,
                head,
                retired: Vec::new(),
                open_txns: BTreeMap::new(),
                aborted: Vec::new(),
                since_snapshot: 0,
                snapshot_asked: false,
                loaded_snapshot: None,
            }),
            snapshots: tokio::sync::Mutex::new(Vec::new()),
            snapshot_due: Arc::new(Notify::new()),
            snapshot_every: AtomicU64::new(state::SNAPSHOT_EVERY),
            maintenance: tokio::sync::Mutex::new(()),
            appended,
        };
        let (start, _) = p.offsets();
        p.lock().entry.truncate_start(start);
        p.load(snapshot).await?;
        Ok(p)
    }

    /// Rebuilds producer state, transactions and the index: the snapshot's, then every batch after it to the high
    /// watermark (with no snapshot, every batch from the log start).
    async fn load(&self, snapshot: Option<Snapshot>) -> automq_stream::Result<()> {
        let (start, hw) = self.offsets();
        let (start, hw) = (start as u64, hw as u64);
        let head = self.lock().head;
        let head_end = head.map_or(0, |h| h.end);
        let snapshot = snapshot.filter(|s| {
            let fits = s.offset <= hw;
            if !fits {
                warn!(topic = %self.topic, partition = self.index, snapshot = s.offset, hw, "snapshot beyond the high watermark; rebuilding from the log");
            }
            fits
        });
        let loaded = snapshot.as_ref().map(|s| s.offset);
        let mut r = match snapshot {
            Some(s) => Rebuilt::from_snapshot(s, start, head_end),
            None => Rebuilt::empty(start),
        };
        let interval = self.interval.load(Ordering::Relaxed);
        let from = r.replay_from(start);
        let mut at = from;
        let mut replayed = 0u64;
        while at < hw {
            let stream = match head {
                Some(h) if at < h.end => h.stream,
                _ => self.stream,
            };
            let batches = self.engine.read(stream, at, 1 << 20).await?;
            if batches.is_empty() {
                break;
            }
            for b in batches {
                if b.end_offset() <= at {
                    continue;
                }
                r.apply(&b.payload, start as i64, interval);
                replayed += b.payload.len() as u64;
                at = b.end_offset();
            }
        }
        info!(
            topic = %self.topic,
            partition = self.index,
            snapshot = ?loaded,
            from,
            to = hw,
            replayed_bytes = replayed,
            producers = r.producers.all().len(),
            "partition state loaded"
        );
        let mut s = self.lock();
        s.producers = r.producers;
        s.open_txns = r.open_txns;
        s.aborted = r.aborted;
        s.index = r.index;
        s.since_snapshot = replayed;
        s.loaded_snapshot = loaded;
        Ok(())
    }

    /// Runs the partition's snapshot task: a snapshot each time one is asked for, until the partition is dropped.
    pub fn spawn_snapshots(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let due = self.snapshot_due.clone();
        tokio::spawn(async move {
            loop {
                due.notified().await;
                let Some(p) = weak.upgrade() else {
                    return;
                };
                if let Err(e) = p.write_snapshot().await {
                    warn!(topic = %p.topic, partition = p.index, "writing a snapshot failed: {}; the next one retries", e.message);
                }
            }
        });
        let replayed = self.lock().since_snapshot;
        if replayed >= self.snapshot_every.load(Ordering::Relaxed) {
            self.request_snapshot();
        }
    }

    /// Asks the snapshot task for a snapshot (after a trim or a compaction pass, or once enough was appended).
    pub(super) fn request_snapshot(&self) {
        self.snapshot_due.notify_one();
    }

    /// Counts appended bytes towards the next snapshot.
    fn count_appended(&self, state: &mut State, bytes: usize) {
        state.since_snapshot += bytes as u64;
        if state.since_snapshot >= self.snapshot_every.load(Ordering::Relaxed)
            && !state.snapshot_asked
        {
            state.snapshot_asked = true;
            self.request_snapshot();
        }
    }

    /// Writes a snapshot of the state as of the last batch handed an offset, once everything below it is
    /// durable, then trims the companion stream to the latest snapshot committed to objects. Returns the
    /// snapshot's offset.
    pub async fn write_snapshot(&self) -> Result<u64, PartitionError> {
        let mut written = self.snapshots.lock().await;
        let (start, _) = self.offsets();
        let snapshot = {
            let mut s = self.lock();
            s.since_snapshot = 0;
            s.snapshot_asked = false;
            let index = s.index.parts();
            Snapshot {
                offset: index.3,
                log_start: start as u64,
                head_end: s.head.map_or(0, |h| h.end),
                producers: s.producers.export(),
                open_txns: s.open_txns.iter().map(|(p, f)| (*p, *f)).collect(),
                aborted: s
                    .aborted
                    .iter()
                    .filter(|(_, _, last)| *last >= start)
                    .copied()
                    .collect(),
                index,
            }
        };
        let offset = snapshot.offset;
        if offset > 0 {
            tokio::time::timeout(
                std::time::Duration::from_secs(30),
                self.durable_through(offset as i64 - 1),
            )
            .await
            .map_err(|_| {
                PartitionError::new(
                    ResponseError::KafkaStorageError,
                    format!(
                        "appends to {}-{} below {offset} did not complete within 30 s; no snapshot taken",
                        self.topic, self.index
                    ),
                )
            })??;
        }
        let bytes = snapshot.encode();
        let size = bytes.len();
        let at = self
            .engine
            .append(self.companion, 1, bytes)
            .await
            .map_err(|e| PartitionError::from_engine(&e))?;
        written.push(at);
        debug!(topic = %self.topic, partition = self.index, offset, size, "snapshot written");
        self.trim_companion(&mut written).await;
        Ok(offset)
    }

    /// Trims the companion stream to its latest snapshot committed to objects (the engine trims nothing beyond
    /// what is committed).
    async fn trim_companion(&self, written: &mut Vec<u64>) {
        let committed = self
            .engine
            .meta()
            .read(|s| s.stream(self.companion).map(|m| m.end))
            .await
            .unwrap_or(0);
        let Some(to) = written.iter().copied().filter(|w| *w <= committed).max() else {
            return;
        };
        let start = self.engine.info(self.companion).map_or(0, |i| i.start);
        if to > start
            && let Err(e) = self.engine.trim(self.companion, to).await
        {
            warn!(topic = %self.topic, partition = self.index, "trimming the companion stream failed: {e}; the next snapshot retries");
            return;
        }
        written.retain(|w| *w >= to);
    }

    /// At a clean close, after the engine uploaded everything: trims the companion stream to the last snapshot.
    pub async fn trim_to_last_snapshot(&self) {
        let mut written = self.snapshots.lock().await;
        self.trim_companion(&mut written).await;
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `(log start offset, high watermark)`.
    pub fn offsets(&self) -> (i64, i64) {
        let head = self.lock().head;
        let Ok(data) = self.engine.info(self.stream) else {
            return (0, 0);
        };
        let start = match head.and_then(|h| Some((h, self.engine.info(h.stream).ok()?))) {
            Some((h, i)) if i.start < h.end => i.start,
            Some((h, _)) => data.start.max(h.end),
            None => data.start,
        };
        (start as i64, data.confirmed as i64)
    }

    /// The leader epoch that `epoch` ended in and where it ended (OffsetForLeaderEpoch).
    pub fn end_offset_for(&self, epoch: i32) -> (i32, i64) {
        let (_, hw) = self.offsets();
        self.lock().entry.end_offset_for(epoch, hw)
    }
    /// Checks and queues one produced batch. `records` is the partition's records field, exactly as received.
    pub fn append(
        &self,
        records: &[u8],
        config: &Effective,
        now_ms: i64,
    ) -> Result<Appended, PartitionError> {
        let info = batch::check(records, config.max_message_bytes).inspect_err(|e| {
            warn!(topic = %self.topic, partition = self.index, "produce refused: {e}");
        })?;
        if config.compact && !info.keyless_records.is_empty() {
            let mut e = PartitionError::new(
                ResponseError::InvalidRecord,
                format!(
                    "topic `{}` is compacted (cleanup.policy=compact): every record needs a key",
                    self.topic
                ),
            );
            e.records = info
                .keyless_records
                .iter()
                .map(|&i| {
                    (
                        i,
                        "a compacted topic needs a key on every record".to_string(),
                    )
                })
                .collect();
            return Err(e);
        }
        if info.control {
            return Err(PartitionError::new(
                ResponseError::InvalidRecord,
                "control batches come from transaction coordinators, not producers",
            ));
        }
        let mut buf = BytesMut::from(records);
        let (log_append_time, max_ts, max_delta) = if config.log_append_time {
            batch::set_max_timestamp(&mut buf, true, now_ms);
            (now_ms, now_ms, 0)
        } else {
            check_timestamps(&info, config, now_ms)?;
            if info.stated_max_timestamp != info.max_timestamp || info.log_append_time {
                batch::set_max_timestamp(&mut buf, false, info.max_timestamp);
            }
            (-1, info.max_timestamp, info.max_timestamp_delta)
        };
        let idempotent = info.producer_id >= 0;
        let mut state = self.lock();
        if idempotent {
            match state
                .producers
                .check(
                    info.producer_id,
                    info.producer_epoch,
                    info.base_sequence,
                    info.last_sequence(),
                )
                .map_err(|(code, message)| PartitionError::new(code, message))?
            {
                SequenceCheck::Append => {}
                SequenceCheck::Duplicate {
                    base_offset,
                    last_offset,
                } => {
                    return Ok(Appended::Duplicate {
                        base_offset,
                        last_offset,
                    });
                }
            }
        }
        let epoch = self.leader_epoch;
        let pending = self
            .engine
            .start_append(self.stream, info.count, move |base| {
                batch::stamp(&mut buf, base as i64, epoch);
                buf.freeze()
            })
            .map_err(|e| PartitionError::from_engine(&e))?;
        let base = pending.base_offset();
        let last = base + u64::from(info.count) - 1;
        if info.transactional {
            state
                .open_txns
                .entry(info.producer_id)
                .or_insert(base as i64);
        }
        if idempotent {
            state.producers.record(
                info.producer_id,
                info.producer_epoch,
                info.base_sequence,
                info.last_sequence(),
                base as i64,
                last as i64,
            );
        }
        self.interval
            .store(config.index_interval, Ordering::Relaxed);
        state.index.add(
            base,
            base + u64::from(info.count),
            info.size,
            Some((max_ts, (base + u64::from(max_delta)) as i64)),
            config.index_interval,
        );
        self.count_appended(&mut state, info.size);
        Ok(Appended::New {
            pending,
            log_append_time,
        })
    }

    /// Queues a transaction marker (a control batch from the transaction coordinator) and closes the producer's
    /// open transaction here.
    pub fn append_marker(
        &self,
        producer_id: i64,
        producer_epoch: i16,
        commit: bool,
        coordinator_epoch: i32,
        now_ms: i64,
    ) -> Result<PendingAppend, PartitionError> {
        let mut buf = crate::txn::markers::control_batch(
            producer_id,
            producer_epoch,
            commit,
            coordinator_epoch,
            now_ms,
        );
        let size = buf.len();
        let mut state = self.lock();
        let epoch = self.leader_epoch;
        let pending = self
            .engine
            .start_append(self.stream, 1, move |base| {
                batch::stamp(&mut buf, base as i64, epoch);
                buf.freeze()
            })
            .map_err(|e| PartitionError::from_engine(&e))?;
        let base = pending.base_offset() as i64;
        if let Some(first) = state.open_txns.remove(&producer_id)
            && !commit
        {
            state.aborted.push((producer_id, first, base));
        }
        let interval = self.interval.load(Ordering::Relaxed);
        state.index.add(
            base as u64,
            base as u64 + 1,
            size,
            Some((now_ms, base)),
            interval,
        );
        self.count_appended(&mut state, size);
        Ok(pending)
    }

    /// The producers seen since the partition was opened here: (producer id, epoch, last sequence, first
    /// offset of its open transaction or -1).
    pub fn producers(&self) -> Vec<(i64, i16, i32, i64)> {
        let state = self.lock();
        state
            .producers
            .all()
            .into_iter()
            .map(|(id, epoch, seq)| {
                (
                    id,
                    epoch,
                    seq,
                    state.open_txns.get(&id).copied().unwrap_or(-1),
                )
            })
            .collect()
    }

    /// The last stable offset: the first offset of the earliest open transaction, or the high watermark.
    pub fn last_stable_offset(&self) -> i64 {
        let hw = self.offsets().1;
        self.lock()
            .open_txns
            .values()
            .copied()
            .min()
            .map_or(hw, |first| first.min(hw))
    }

    /// Aborted transactions overlapping `[from, to)`: (producer id, first offset).
    pub fn aborted_in(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        self.lock()
            .aborted
            .iter()
            .filter(|(_, first, marker)| *first < to && *marker >= from)
            .map(|(pid, first, _)| (*pid, *first))
            .collect()
    }

    /// After a restart: counts the transaction of `producer_id` whose first batch here lies at or after `from` as
    /// open (the coordinator is about to end it), so an abort marker lists it as aborted.
    pub async fn recover_open_txn(
        &self,
        producer_id: i64,
        from: i64,
    ) -> Result<(), PartitionError> {
        if self.lock().open_txns.contains_key(&producer_id) {
            return Ok(());
        }
        let (start, hw) = self.offsets();
        let mut next = from.max(start);
        while next < hw {
            let batches = self.read(next, 1 << 20, true).await?;
            if batches.is_empty() {
                break;
            }
            for b in &batches {
                let Some(h) = batch::stored_header(b) else {
                    continue;
                };
                next = h.next_offset();
                if h.transactional
                    && !h.control
                    && h.producer_id == producer_id
                    && h.base_offset >= from
                {
                    self.lock()
                        .open_txns
                        .entry(producer_id)
                        .or_insert(h.base_offset);
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Whether a stored batch holds records of a transaction this partition saw aborted (compaction drops them).
    pub(super) fn in_aborted_txn(&self, h: &batch::StoredHeader) -> bool {
        h.transactional
            && !h.control
            && self.lock().aborted.iter().any(|(pid, first, marker)| {
                *pid == h.producer_id && *first <= h.base_offset && h.base_offset < *marker
            })
    }

    /// Waits until an append is durable, then wakes waiting fetches.
    pub async fn durable(&self, pending: PendingAppend) -> Result<i64, PartitionError> {
        let result = pending.durable().await;
        self.appended.send_modify(|n| *n += 1);
        result
            .map(|b| b as i64)
            .map_err(|e| PartitionError::from_engine(&e))
    }

    /// Waits until offsets up to `last_offset` are durable (a duplicate must not be acknowledged before its
    /// original is).
    pub async fn durable_through(&self, last_offset: i64) -> Result<(), PartitionError> {
        let mut rx = self.appended.subscribe();
        loop {
            let info = self
                .engine
                .info(self.stream)
                .map_err(|e| PartitionError::from_engine(&e))?;
            if info.confirmed as i64 > last_offset {
                return Ok(());
            }
            if rx.changed().await.is_err() {
                return Err(PartitionError::new(
                    ResponseError::NotLeaderOrFollower,
                    "the broker is shutting down",
                ));
            }
        }
    }

    /// Whole batches from the one holding `offset` on, up to about `max_bytes` (at least one batch when
    /// `at_least_one`, otherwise only what fits). An offset inside a batch returns that batch whole.
    pub async fn read(
        &self,
        offset: i64,
        max_bytes: usize,
        at_least_one: bool,
    ) -> Result<Vec<Bytes>, PartitionError> {
        let (start, hw) = self.offsets();
        if offset < start || offset > hw {
            return Err(PartitionError::new(
                ResponseError::OffsetOutOfRange,
                format!(
                    "offset {offset} of {}-{} is outside [{start}, {hw}]",
                    self.topic, self.index
                ),
            ));
        }
        let head = self.lock().head;
        let stream = match head {
            Some(h) if (offset as u64) < h.end => h.stream,
            _ => self.stream,
        };
        let batches = self
            .engine
            .read(stream, offset as u64, max_bytes.max(1))
            .await
            .map_err(|e| PartitionError::from_engine(&e))?;
        let mut out = Vec::with_capacity(batches.len());
        let mut bytes = 0;
        for b in batches {
            if bytes + b.payload.len() > max_bytes && (bytes > 0 || !at_least_one) {
                break;
            }
            bytes += b.payload.len();
            out.push(b.payload);
        }
        Ok(out)
    }

    /// The first record whose timestamp is at least `t`: `(timestamp, offset, leader epoch)`.
    pub async fn offset_for_time(&self, t: i64) -> Result<Option<(i64, i64, i32)>, PartitionError> {
        let (start, hw) = self.offsets();
        let Some(from) = self.lock().index.seek_time(t) else {
            return Ok(None);
        };
        let mut next = (from as i64).max(start);
        while next < hw {
            let batches = self.read(next, 1 << 20, true).await?;
            if batches.is_empty() {
                break;
            }
            for b in &batches {
                let Some(h) = batch::stored_header(b) else {
                    continue;
                };
                next = h.next_offset();
                if h.max_timestamp < t {
                    continue;
                }
                let stamps = batch::record_timestamps(b).unwrap_or_default();
                if let Some((offset, ts)) =
                    stamps.into_iter().find(|(o, ts)| *ts >= t && *o >= start)
                {
                    return Ok(Some((ts, offset, h.leader_epoch)));
                }
            }
        }
        Ok(None)
    }

    /// The first record holding the largest timestamp: `(timestamp, offset)`.
    pub async fn max_timestamp(&self) -> Result<Option<(i64, i64)>, PartitionError> {
        let Some((ts, at)) = self.lock().index.max_timestamp() else {
            return Ok(None);
        };
        // The index may hold the batch's base offset: find the record in the batch.
        let batches = self.read(at, 1, true).await?;
        let found = batches
            .first()
            .and_then(|b| batch::record_timestamps(b))
            .and_then(|r| r.into_iter().find(|(o, t)| *o >= at && *t == ts));
        Ok(Some(found.map_or((ts, at), |(o, t)| (t, o))))
    }

    /// Bytes of the batches the partition serves.
    pub async fn size(&self) -> Result<u64, PartitionError> {
        Ok(self.lock().index.bytes())
    }
}

/// CreateTime timestamps must lie within the topic's window around the broker's clock.
fn check_timestamps(
    info: &BatchInfo,
    config: &Effective,
    now_ms: i64,
) -> Result<(), PartitionError> {
    let before = now_ms.saturating_sub(info.min_timestamp);
    if before > config.timestamp_before_max_ms {
        return Err(BatchError::Timestamp {
            timestamp: info.min_timestamp,
            why: format!(
                "{before} ms before the broker's time, more than message.timestamp.before.max.ms {}",
                config.timestamp_before_max_ms
            ),
        }
        .into());
    }
    let after = info.max_timestamp.saturating_sub(now_ms);
    if after > config.timestamp_after_max_ms {
        return Err(BatchError::Timestamp {
            timestamp: info.max_timestamp,
            why: format!(
                "{after} ms after the broker's time, more than message.timestamp.after.max.ms {}",
                config.timestamp_after_max_ms
            ),
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use automq_protocol::batch::testing::producer_batch;
    use automq_protocol::kafka_protocol::records::Compression;

    #[tokio::test]
    async fn reopening_records_a_leader_epoch_and_scans_the_earlier_batches_once() {
        let store: Arc<dyn object_store::ObjectStore> =
            Arc::new(object_store::memory::InMemory::new());
        let defaults = crate::topics::TopicDefaults {
            auto_create: true,
            partitions: 1,
        };
        let b = testing::broker_on(store.clone(), defaults).await;
        b.topics
            .create("t", Some(1), Default::default(), false)
            .await
            .unwrap();
        let t = b.topics.by_name("t").unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        let first_epoch = p.leader_epoch;
        for ts in [10, 20] {
            let Appended::New { pending, .. } = p
                .append(&producer_batch(3, ts, Compression::None), &t.config, ts)
                .unwrap()
            else {
                panic!("new")
            };
            p.durable(pending).await.unwrap();
        }
        let size = p.size().await.unwrap();
        assert!(size > 0);
        b.topics.shutdown().await.unwrap();
        drop(p);
        drop(b);
        let b = testing::broker_on(store, defaults).await;
        let t = b.topics.by_name("t").unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        assert!(p.leader_epoch > first_epoch);
        assert_eq!(p.end_offset_for(first_epoch), (first_epoch, 6));
        assert_eq!(p.end_offset_for(p.leader_epoch), (p.leader_epoch, 6));
        assert_eq!(
            p.size().await.unwrap(),
            size,
            "the earlier batches, scanned"
        );
        assert_eq!(p.max_timestamp().await.unwrap(), Some((22, 5)));
        assert_eq!(
            p.offset_for_time(21).await.unwrap(),
            Some((21, 4, first_epoch))
        );
    }

    fn duplicate(a: Appended) -> (i64, i64) {
        match a {
            Appended::Duplicate {
                base_offset,
                last_offset,
            } => (base_offset, last_offset),
            Appended::New { .. } => panic!("appended again"),
        }
    }

    /// A snapshot mid-way, more batches (an idempotent retry's original, an aborted and an open transaction), then
    /// the engine stops without a snapshot at close: the next open loads the snapshot and replays the rest.
    #[tokio::test]
    async fn an_open_loads_the_latest_snapshot_and_replays_the_batches_after_it() {
        use crate::topics::state::tests::producer_batch as batch_of;
        let store: Arc<dyn object_store::ObjectStore> =
            Arc::new(object_store::memory::InMemory::new());
        let defaults = crate::topics::TopicDefaults {
            auto_create: true,
            partitions: 1,
        };
        let b = testing::broker_on(store.clone(), defaults).await;
        b.topics
            .create("t", Some(1), Default::default(), false)
            .await
            .unwrap();
        let t = b.topics.by_name("t").unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        let now = crate::topics::now_ms();
        let add = async |batch: &[u8]| match p.append(batch, &t.config, now).unwrap() {
            Appended::New { pending, .. } => p.durable(pending).await.unwrap(),
            Appended::Duplicate { .. } => panic!("a duplicate"),
        };
        add(&batch_of(3, 7, 0, false)).await;
        add(&batch_of(1, 9, 0, true)).await;
        let marker = p.append_marker(9, 2, false, 1, now).unwrap();
        p.durable(marker).await.unwrap();
        assert_eq!(p.write_snapshot().await.unwrap(), 5);
        add(&batch_of(2, 7, 3, false)).await;
        add(&batch_of(1, 11, 0, true)).await;
        add(&batch_of(1, 12, 0, true)).await;
        let marker = p.append_marker(12, 2, false, 1, now).unwrap();
        p.durable(marker).await.unwrap();
        let size = p.size().await.unwrap();
        let max = p.max_timestamp().await.unwrap();
        // Stops without the snapshot a clean close writes.
        b.topics.engine.shutdown().await.unwrap();
        drop(p);
        drop(b);

        let b = testing::broker_on(store, defaults).await;
        let t = b.topics.by_name("t").unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        assert_eq!(p.lock().loaded_snapshot, Some(5));
        let retry = |batch: BytesMut| duplicate(p.append(&batch, &t.config, now).unwrap());
        assert_eq!(retry(batch_of(3, 7, 0, false)), (0, 2), "from the snapshot");
        assert_eq!(
            retry(batch_of(2, 7, 3, false)),
            (5, 6),
            "from the batches after it"
        );
        assert_eq!(p.aborted_in(0, 100), [(9, 3), (12, 8)]);
        assert_eq!(
            p.last_stable_offset(),
            7,
            "producer 11's transaction is open"
        );
        assert_eq!(p.size().await.unwrap(), size);
        assert_eq!(p.max_timestamp().await.unwrap(), max);
    }

    /// Every `snapshot_every` bytes the snapshot task writes a snapshot and trims the companion stream to it.
    #[tokio::test]
    async fn appends_past_the_threshold_write_a_snapshot_and_trim_the_companion() {
        use crate::topics::state::tests::producer_batch as batch_of;
        let store: Arc<dyn object_store::ObjectStore> =
            Arc::new(object_store::memory::InMemory::new());
        let defaults = crate::topics::TopicDefaults {
            auto_create: true,
            partitions: 1,
        };
        let b = testing::broker_on(store, defaults).await;
        b.topics
            .create("t", Some(1), Default::default(), false)
            .await
            .unwrap();
        let t = b.topics.by_name("t").unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        p.snapshot_every.store(1, Ordering::Relaxed);
        let now = crate::topics::now_ms();
        for round in 0..3 {
            let Appended::New { pending, .. } = p
                .append(&batch_of(2, 7, round * 2, false), &t.config, now)
                .unwrap()
            else {
                panic!("a duplicate")
            };
            p.durable(pending).await.unwrap();
            let written = async {
                loop {
                    let latest = b.topics.engine.info(p.companion).unwrap();
                    if latest.confirmed > round as u64 {
                        return latest;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            };
            tokio::time::timeout(std::time::Duration::from_secs(20), written)
                .await
                .expect("a snapshot within 20 s");
        }
        b.topics.engine.flush().await.unwrap();
        p.write_snapshot().await.unwrap();
        let info = b.topics.engine.info(p.companion).unwrap();
        assert_eq!(info.confirmed, 4, "three snapshots by size and one more");
        assert_eq!(
            info.start, 3,
            "trimmed to the latest snapshot committed to objects"
        );
    }
}
