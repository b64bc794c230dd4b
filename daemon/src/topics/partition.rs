//! One open partition: its record batches in an engine stream, its producers' sequence state and its time index.
//!
//! Offsets are the stream's offsets: the engine counts records, so a batch of `n` records at base offset `b`
//! covers Kafka offsets `b..b+n`, and the stream's confirmed end is the partition's high watermark (and, with no
//! transactions, its last stable offset). An append is checked outside any lock; then, under the partition's lock,
//! the producer's sequence is checked, offsets are handed out and the batch, stamped with its base offset and the
//! leader epoch, is queued in the WAL, so batches land in the order their sequences were checked.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_stream::engine::{Engine, PendingAppend};
use automq_stream::{ErrorKind, StreamId};
use bytes::{Bytes, BytesMut};
use tokio::sync::watch;
use tracing::warn;

use super::batch::{self, BatchError, BatchInfo};
use super::config::Effective;
use super::producers::{ProducerStates, SequenceCheck};

/// A refusal of a produce or a fetch for one partition: the Kafka error code and one line saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionError {
    pub code: ResponseError,
    pub message: String,
}

impl PartitionError {
    pub fn new(code: ResponseError, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
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

/// Bytes of batches between two time index entries (Kafka's `index.interval.bytes`).
const INDEX_INTERVAL: usize = 4096;

/// A sparse time index: `(largest timestamp before the batch, the batch's base offset)` at least every
/// [`INDEX_INTERVAL`] bytes. The first batch whose largest timestamp reaches `t` lies at or after the last entry
/// whose timestamp is below `t`, so a lookup reads from there.
#[derive(Debug, Default)]
struct TimeIndex {
    entries: Vec<(i64, u64)>,
    running_max: Option<i64>,
    since_entry: usize,
    /// The first record holding the largest timestamp: `(timestamp, offset)`.
    max: Option<(i64, i64)>,
}

impl TimeIndex {
    fn add(&mut self, base_offset: u64, size: usize, max_ts: i64, max_ts_offset: i64) {
        if self.entries.is_empty() || self.since_entry >= INDEX_INTERVAL {
            self.entries
                .push((self.running_max.unwrap_or(i64::MIN), base_offset));
            self.since_entry = 0;
        }
        self.since_entry += size;
        self.running_max = Some(self.running_max.map_or(max_ts, |m| m.max(max_ts)));
        if self.max.is_none_or(|(ts, _)| max_ts > ts) {
            self.max = Some((max_ts, max_ts_offset));
        }
    }
}

/// Where to start reading for the first record at or after `t`, given index entries in offset order.
fn start_for(entries: impl Iterator<Item = (i64, u64)>, t: i64) -> Option<u64> {
    entries.take_while(|(ts, _)| *ts < t).last().map(|(_, o)| o)
}

#[derive(Debug, Default)]
struct State {
    producers: ProducerStates,
    /// Batches appended since this partition was opened here.
    recent: TimeIndex,
    /// Batches that were in the stream before it was opened here, once a lookup scanned them.
    earlier: Option<TimeIndex>,
    /// Open transactions here: producer id to the offset of its first transactional batch.
    open_txns: BTreeMap<i64, i64>,
    /// Aborted transactions since the partition was opened here: (producer id, first offset, marker offset).
    aborted: Vec<(i64, i64, i64)>,
}

#[derive(Debug)]
pub struct Partition {
    pub topic: String,
    pub topic_id: uuid::Uuid,
    pub index: u32,
    pub stream: StreamId,
    pub leader_epoch: i32,
    engine: Engine,
    /// Offsets below this were in the stream when it was opened here.
    opened_at: u64,
    state: Mutex<State>,
    scan: tokio::sync::Mutex<()>,
    appended: Arc<watch::Sender<u64>>,
}

impl Partition {
    /// Opens the partition's stream on this node (a new leader epoch).
    pub async fn open(
        engine: Engine,
        topic: &str,
        topic_id: uuid::Uuid,
        index: u32,
        stream: StreamId,
        appended: Arc<watch::Sender<u64>>,
    ) -> automq_stream::Result<Self> {
        let info = engine.open_stream(stream).await?;
        Ok(Self {
            topic: topic.to_string(),
            topic_id,
            index,
            stream,
            leader_epoch: i32::try_from(info.epoch).unwrap_or(i32::MAX),
            engine,
            opened_at: info.confirmed,
            state: Mutex::new(State::default()),
            scan: tokio::sync::Mutex::new(()),
            appended,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `(log start offset, high watermark)`.
    pub fn offsets(&self) -> (i64, i64) {
        match self.engine.info(self.stream) {
            Ok(i) => (i.start as i64, i.confirmed as i64),
            Err(_) => (0, 0),
        }
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
        state.recent.add(
            base,
            info.size,
            max_ts,
            (base + u64::from(max_delta)) as i64,
        );
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
        state.recent.add(base as u64, size, now_ms, base);
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
        let batches = self
            .engine
            .read(self.stream, offset as u64, max_bytes.max(1))
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
        self.index_earlier().await?;
        let (start, hw) = self.offsets();
        let from = {
            // One index over the whole stream: the earlier part, then the recent part, whose "largest timestamp
            // before" also counts every earlier batch.
            let s = self.lock();
            let earlier: &[(i64, u64)] = s.earlier.as_ref().map_or(&[], |e| &e.entries);
            let earlier_max = s
                .earlier
                .as_ref()
                .and_then(|e| e.running_max)
                .unwrap_or(i64::MIN);
            let all = earlier.iter().copied().chain(
                s.recent
                    .entries
                    .iter()
                    .map(|(ts, o)| ((*ts).max(earlier_max), *o)),
            );
            start_for(all, t)
        };
        let mut next = from.map_or(start, |o| (o as i64).max(start));
        while next < hw {
            let batches = self.read(next, 1 << 20, true).await?;
            if batches.is_empty() {
                break;
            }
            for b in &batches {
                let Some(h) = batch::stored_header(b) else {
                    continue;
                };
                next = h.base_offset + i64::from(h.last_offset_delta) + 1;
                if h.max_timestamp < t {
                    continue;
                }
                let stamps = batch::record_timestamps(b).unwrap_or_default();
                if let Some((i, ts)) = stamps.iter().enumerate().find(|(_, ts)| **ts >= t) {
                    let offset = h.base_offset + i as i64;
                    if offset >= start {
                        return Ok(Some((*ts, offset, h.leader_epoch)));
                    }
                }
            }
        }
        Ok(None)
    }

    /// The first record holding the largest timestamp: `(timestamp, offset)`.
    pub async fn max_timestamp(&self) -> Result<Option<(i64, i64)>, PartitionError> {
        self.index_earlier().await?;
        let s = self.lock();
        let earlier = s.earlier.as_ref().and_then(|e| e.max);
        Ok(match (earlier, s.recent.max) {
            (Some(a), Some(b)) if b.0 > a.0 => Some(b),
            (Some(a), _) => Some(a),
            (None, b) => b,
        })
    }

    /// Builds the time index of the batches that were in the stream before it was opened here, by reading them
    /// once. (A new leader rebuilds this way today; docs/partitions.md has the time-index stream that will spare
    /// the read.)
    async fn index_earlier(&self) -> Result<(), PartitionError> {
        if self.lock().earlier.is_some() {
            return Ok(());
        }
        let _one = self.scan.lock().await;
        if self.lock().earlier.is_some() {
            return Ok(());
        }
        let (start, _) = self.offsets();
        let mut index = TimeIndex::default();
        let mut next = start;
        while next < self.opened_at as i64 {
            let batches = self.read(next, 1 << 20, true).await?;
            if batches.is_empty() {
                break;
            }
            for b in &batches {
                let Some(h) = batch::stored_header(b) else {
                    continue;
                };
                if h.base_offset >= self.opened_at as i64 {
                    break;
                }
                next = h.base_offset + i64::from(h.last_offset_delta) + 1;
                let delta = if index.max.is_none_or(|(ts, _)| h.max_timestamp > ts) {
                    batch::record_timestamps(b)
                        .and_then(|s| s.iter().position(|ts| *ts == h.max_timestamp))
                        .unwrap_or(0)
                } else {
                    0
                };
                index.add(
                    h.base_offset as u64,
                    b.len(),
                    h.max_timestamp,
                    h.base_offset + delta as i64,
                );
            }
        }
        self.lock().earlier = Some(index);
        Ok(())
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

    #[test]
    fn the_time_index_points_at_or_before_the_first_batch_reaching_a_time() {
        let mut t = TimeIndex::default();
        // Batches of 3000 bytes: an entry every second batch.
        for (i, ts) in [10, 20, 15, 40, 30, 50, 60].into_iter().enumerate() {
            t.add(i as u64 * 10, 3000, ts, i as i64 * 10);
        }
        assert_eq!(t.entries, vec![(i64::MIN, 0), (20, 20), (40, 40), (50, 60)]);
        let at = |ts| start_for(t.entries.iter().copied(), ts);
        assert_eq!(at(5), Some(0));
        assert_eq!(at(21), Some(20), "the batch at 30 reaches 40");
        assert_eq!(at(45), Some(40));
        assert_eq!(at(100), Some(60));
        assert_eq!(t.max, Some((60, 60)));
    }
}
