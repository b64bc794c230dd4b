//! A partition's companion stream, `kafka/<topic id>/<p>/state`: snapshots of what a leader keeps beside the log
//! (producer state, open and aborted transactions, the index), so that a partition opening after a restart or a
//! move reads one small snapshot and the batches after it instead of the whole log.
//!
//! A snapshot says "every batch below `offset` is in here". It is written off the acknowledgement path (every
//! [`SNAPSHOT_EVERY`] bytes appended, after a trim or a compaction pass, and at a clean close), only once the data
//! below its offset is durable, and the companion stream is then trimmed to it. Opening loads the latest snapshot
//! and replays the batch headers from its offset to the high watermark with [`Rebuilt::apply`]; with no snapshot
//! the replay starts at the log start (a full scan). The format is in docs/partitions.md.

use std::collections::{BTreeMap, VecDeque};

use automq_stream::StreamId;
use automq_stream::engine::Engine;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use tracing::warn;

use super::batch;
use super::index::{LogIndex, Span};
use super::producers::{Producer, ProducerStates, Remembered};

/// The format's version, the first byte of every snapshot.
pub const VERSION: u8 = 1;

/// Bytes appended to a partition between two snapshots.
pub const SNAPSHOT_EVERY: u64 = 8 << 20;

/// The companion stream of partition `partition` of the topic with id `topic_id`.
pub fn stream_name(topic_id: &str, partition: u32) -> String {
    format!("kafka/{topic_id}/{partition}/state")
}

/// One snapshot of a partition's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Every batch below this offset is reflected here, and none from it on.
    pub offset: u64,
    /// The log start when it was taken; the index is used only while it is still the log start.
    pub log_start: u64,
    /// The compacted head's end when it was taken (0: none); the index is used only while it is unchanged.
    pub head_end: u64,
    pub producers: Vec<(i64, Producer)>,
    /// Open transactions: (producer id, offset of its first batch here).
    pub open_txns: Vec<(i64, i64)>,
    /// Aborted transactions: (producer id, first offset, marker offset).
    pub aborted: Vec<(i64, i64, i64)>,
    /// The index's spans, bytes from its origin, bytes in its last span, and the offset after it.
    pub index: (Vec<Span>, u64, u64, u64),
}

/// Why a snapshot cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("snapshot format version {0} is unknown (this broker reads version {VERSION})")]
    Version(u8),
    #[error("snapshot ends early or holds a count that does not fit")]
    Short,
    #[error("snapshot index does not add up")]
    Index,
}

fn put_max(b: &mut BytesMut, max: Option<(i64, i64)>) {
    match max {
        None => b.put_u8(0),
        Some((ts, at)) => {
            b.put_u8(1);
            b.put_i64(ts);
            b.put_i64(at);
        }
    }
}

impl Snapshot {
    /// The binary form (big-endian), version byte first.
    pub fn encode(&self) -> Bytes {
        let (spans, end_bytes, tail, next) = &self.index;
        let mut b = BytesMut::with_capacity(64 + spans.len() * 33 + self.producers.len() * 128);
        b.put_u8(VERSION);
        b.put_u64(self.offset);
        b.put_u64(self.log_start);
        b.put_u64(self.head_end);
        b.put_u32(self.producers.len() as u32);
        for (id, p) in &self.producers {
            b.put_i64(*id);
            b.put_i16(p.epoch);
            b.put_u8(p.batches.len() as u8);
            for r in &p.batches {
                b.put_i32(r.first_seq);
                b.put_i32(r.last_seq);
                b.put_i64(r.base_offset);
                b.put_i64(r.last_offset);
            }
        }
        b.put_u32(self.open_txns.len() as u32);
        for (id, first) in &self.open_txns {
            b.put_i64(*id);
            b.put_i64(*first);
        }
        b.put_u32(self.aborted.len() as u32);
        for (id, first, last) in &self.aborted {
            b.put_i64(*id);
            b.put_i64(*first);
            b.put_i64(*last);
        }
        b.put_u64(*end_bytes);
        b.put_u64(*tail);
        b.put_u64(*next);
        b.put_u32(spans.len() as u32);
        for s in spans {
            b.put_u64(s.offset);
            b.put_u64(s.bytes_before);
            put_max(&mut b, s.max);
        }
        b.freeze()
    }

    pub fn decode(mut b: &[u8]) -> Result<Self, DecodeError> {
        let r = &mut b;
        let version = get_u8(r)?;
        if version != VERSION {
            return Err(DecodeError::Version(version));
        }
        let offset = get_u64(r)?;
        let log_start = get_u64(r)?;
        let head_end = get_u64(r)?;
        let n = count(r, 11)?;
        let mut producers = Vec::with_capacity(n);
        for _ in 0..n {
            let id = get_i64(r)?;
            let epoch = get_i16(r)?;
            let k = usize::from(get_u8(r)?);
            let mut batches = VecDeque::with_capacity(k);
            for _ in 0..k {
                batches.push_back(Remembered {
                    first_seq: get_i32(r)?,
                    last_seq: get_i32(r)?,
                    base_offset: get_i64(r)?,
                    last_offset: get_i64(r)?,
                });
            }
            producers.push((id, Producer { epoch, batches }));
        }
        let n = count(r, 16)?;
        let mut open_txns = Vec::with_capacity(n);
        for _ in 0..n {
            open_txns.push((get_i64(r)?, get_i64(r)?));
        }
        let n = count(r, 24)?;
        let mut aborted = Vec::with_capacity(n);
        for _ in 0..n {
            aborted.push((get_i64(r)?, get_i64(r)?, get_i64(r)?));
        }
        let end_bytes = get_u64(r)?;
        let tail = get_u64(r)?;
        let next = get_u64(r)?;
        let n = count(r, 17)?;
        let mut spans = Vec::with_capacity(n);
        for _ in 0..n {
            let offset = get_u64(r)?;
            let bytes_before = get_u64(r)?;
            let max = match get_u8(r)? {
                0 => None,
                _ => Some((get_i64(r)?, get_i64(r)?)),
            };
            spans.push(Span {
                offset,
                bytes_before,
                max,
            });
        }
        if LogIndex::from_parts(spans.clone(), end_bytes, tail, next).is_none() || next != offset {
            return Err(DecodeError::Index);
        }
        Ok(Self {
            offset,
            log_start,
            head_end,
            producers,
            open_txns,
            aborted,
            index: (spans, end_bytes, tail, next),
        })
    }
}

fn need(r: &[u8], n: usize) -> Result<(), DecodeError> {
    if r.remaining() < n {
        Err(DecodeError::Short)
    } else {
        Ok(())
    }
}
fn get_u8(r: &mut &[u8]) -> Result<u8, DecodeError> {
    need(r, 1)?;
    Ok(r.get_u8())
}
fn get_i16(r: &mut &[u8]) -> Result<i16, DecodeError> {
    need(r, 2)?;
    Ok(r.get_i16())
}
fn get_i32(r: &mut &[u8]) -> Result<i32, DecodeError> {
    need(r, 4)?;
    Ok(r.get_i32())
}
fn get_i64(r: &mut &[u8]) -> Result<i64, DecodeError> {
    need(r, 8)?;
    Ok(r.get_i64())
}
fn get_u64(r: &mut &[u8]) -> Result<u64, DecodeError> {
    need(r, 8)?;
    Ok(r.get_u64())
}
/// A count of items of at least `min` bytes each: never more than the bytes left could hold.
fn count(r: &mut &[u8], min: usize) -> Result<usize, DecodeError> {
    need(r, 4)?;
    let n = r.get_u32() as usize;
    if n.saturating_mul(min) > r.remaining() {
        return Err(DecodeError::Short);
    }
    Ok(n)
}

/// The latest snapshot in the companion stream `stream` (offsets `start..end`). A snapshot that does not decode
/// (a newer format, say) is skipped with a warning; with none left the caller rebuilds from the log.
pub async fn latest(
    engine: &Engine,
    stream: StreamId,
    start: u64,
    end: u64,
) -> automq_stream::Result<Option<Snapshot>> {
    let mut latest = None;
    let mut at = start;
    while at < end {
        let batches = engine.read(stream, at, 1 << 20).await?;
        if batches.is_empty() {
            break;
        }
        for b in batches {
            if b.end_offset() <= at {
                continue;
            }
            match Snapshot::decode(&b.payload) {
                Ok(s) => latest = Some(s),
                Err(e) => warn!(
                    stream,
                    offset = b.base_offset,
                    "skipping a partition snapshot: {e}"
                ),
            }
            at = b.end_offset();
        }
    }
    Ok(latest)
}

/// A partition's state as rebuilt at open: a snapshot's (or nothing), then every batch after it, in order.
#[derive(Debug)]
pub struct Rebuilt {
    pub producers: ProducerStates,
    pub open_txns: BTreeMap<i64, i64>,
    pub aborted: Vec<(i64, i64, i64)>,
    pub index: LogIndex,
    /// Batches below this offset are already in the producer and transaction state (the index may start lower).
    pub state_from: u64,
}

impl Rebuilt {
    /// Nothing known: batches from `log_start` on rebuild everything.
    pub fn empty(log_start: u64) -> Self {
        Self {
            producers: ProducerStates::default(),
            open_txns: BTreeMap::new(),
            aborted: Vec::new(),
            index: LogIndex::new(log_start),
            state_from: log_start,
        }
    }

    /// A snapshot's state. Its index counts only while the log start and the compacted head are what they were
    /// when it was taken; otherwise the index starts over at `log_start` (the caller replays from there).
    pub fn from_snapshot(s: Snapshot, log_start: u64, head_end: u64) -> Self {
        let (spans, end_bytes, tail, next) = s.index;
        let index = (s.log_start == log_start && s.head_end == head_end)
            .then(|| LogIndex::from_parts(spans, end_bytes, tail, next))
            .flatten()
            .unwrap_or_else(|| LogIndex::new(log_start));
        Self {
            producers: ProducerStates::import(s.producers),
            open_txns: s.open_txns.into_iter().collect(),
            aborted: s
                .aborted
                .into_iter()
                .filter(|(_, _, last)| *last >= log_start as i64)
                .collect(),
            index,
            state_from: s.offset,
        }
    }

    /// Where the replay starts: the lower of where the index and the state end, at least the log start.
    pub fn replay_from(&self, log_start: u64) -> u64 {
        self.index.next().min(self.state_from).max(log_start)
    }

    /// Takes one stored batch (batches come in offset order from [`Rebuilt::replay_from`]); `log_start` is the
    /// partition's, `interval` its `index.interval.bytes`. A batch that does not parse is skipped.
    pub fn apply(&mut self, b: &[u8], log_start: i64, interval: usize) {
        let Some(h) = batch::stored_header(b) else {
            return;
        };
        let next = h.next_offset();
        if next as u64 > self.index.next() {
            // The batch's largest timestamp, placed at its base offset (the record is found when asked for); only
            // a batch straddling the log start is read record by record.
            let max = if h.record_count == 0 {
                None
            } else if h.base_offset < log_start {
                batch::max_record_from(b, log_start)
            } else {
                Some((h.max_timestamp, h.base_offset))
            };
            self.index
                .add(h.base_offset as u64, next as u64, b.len(), max, interval);
        }
        if (h.base_offset as u64) < self.state_from || h.producer_id < 0 {
            return;
        }
        if h.control {
            if let Some(first) = self.open_txns.remove(&h.producer_id)
                && marker_is_abort(b)
            {
                self.aborted.push((h.producer_id, first, h.base_offset));
            }
            return;
        }
        if h.transactional {
            self.open_txns.entry(h.producer_id).or_insert(h.base_offset);
        }
        if h.base_sequence >= 0 {
            self.producers.record(
                h.producer_id,
                h.producer_epoch,
                h.base_sequence,
                h.last_sequence(),
                h.base_offset,
                next - 1,
            );
        }
    }
}

/// Whether a control batch is an abort marker (its record's key is `(version, type)`, type 0 abort).
fn marker_is_abort(b: &[u8]) -> bool {
    let Some(records) = batch::stored_records(b) else {
        return false;
    };
    records
        .records
        .first()
        .and_then(|r| r.key.clone())
        .and_then(|k| records.plain.get(k))
        .and_then(|k| k.get(2..4))
        .is_some_and(|t| i16::from_be_bytes([t[0], t[1]]) == crate::txn::markers::ABORT)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use automq_protocol::kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    /// A batch of `n` records of `producer_id` (-1: none) from `sequence`, transactional or not.
    pub fn producer_batch(
        n: usize,
        producer_id: i64,
        sequence: i32,
        transactional: bool,
    ) -> BytesMut {
        let records: Vec<Record> = (0..n)
            .map(|i| Record {
                transactional,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id,
                producer_epoch: if producer_id < 0 { -1 } else { 2 },
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                // The encoder keeps records in one batch while offset minus sequence stays the same.
                sequence: if producer_id < 0 {
                    i as i32 - 1
                } else {
                    sequence + i as i32
                },
                timestamp: 1_000 + i as i64,
                key: Some(Bytes::from(format!("k{i}"))),
                value: Some(Bytes::from(format!("v{i}"))),
                headers: Default::default(),
            })
            .collect();
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            &records,
            &RecordEncodeOptions {
                version: 2,
                compression: Compression::None,
            },
        )
        .unwrap();
        buf
    }

    /// A log: batches stamped with their base offsets, as a partition stores them.
    fn log() -> Vec<Bytes> {
        let mut batches = vec![
            producer_batch(3, 7, 0, false),
            producer_batch(2, -1, 0, false),
            producer_batch(1, 9, 0, true),
            crate::txn::markers::control_batch(9, 2, false, 1, 1_000),
            producer_batch(2, 7, 3, false),
            producer_batch(1, 11, 0, true),
            producer_batch(1, 9, 1, true),
            crate::txn::markers::control_batch(9, 2, true, 1, 1_000),
            producer_batch(4, 7, 5, false),
        ];
        let mut base = 0i64;
        batches
            .iter_mut()
            .map(|b| {
                batch::stamp(b, base, 1);
                base = batch::stored_header(b).unwrap().next_offset();
                b.clone().freeze()
            })
            .collect()
    }

    fn snapshot_of(r: &Rebuilt, offset: u64) -> Snapshot {
        Snapshot {
            offset,
            log_start: 0,
            head_end: 0,
            producers: r.producers.export(),
            open_txns: r.open_txns.iter().map(|(p, f)| (*p, *f)).collect(),
            aborted: r.aborted.clone(),
            index: r.index.parts(),
        }
    }

    #[test]
    fn a_replay_rebuilds_producers_transactions_and_the_index() {
        let mut r = Rebuilt::empty(0);
        for b in log() {
            r.apply(&b, 0, 100);
        }
        assert_eq!(r.producers.all(), [(7, 2, 8), (9, 2, 1), (11, 2, 0)]);
        assert_eq!(
            r.producers.check(7, 2, 5, 8),
            Ok(crate::topics::producers::SequenceCheck::Duplicate {
                base_offset: 12,
                last_offset: 15
            }),
            "the last batch of producer 7 is a duplicate"
        );
        assert_eq!(
            r.aborted,
            [(9, 5, 6)],
            "the aborted transaction, its marker at 6"
        );
        assert_eq!(r.open_txns.into_iter().collect::<Vec<_>>(), [(11, 9)]);
        assert_eq!(r.index.next(), 16);
        let sizes: u64 = log().iter().map(|b| b.len() as u64).sum();
        assert_eq!(r.index.bytes(), sizes);
    }

    #[test]
    fn a_snapshot_plus_the_batches_after_it_equals_a_full_replay() {
        let batches = log();
        let mut full = Rebuilt::empty(0);
        for b in &batches {
            full.apply(b, 0, 100);
        }
        for cut in 0..=batches.len() {
            let mut before = Rebuilt::empty(0);
            for b in &batches[..cut] {
                before.apply(b, 0, 100);
            }
            let offset = before.index.next();
            let bytes = snapshot_of(&before, offset).encode();
            let decoded = Snapshot::decode(&bytes).unwrap();
            assert_eq!(decoded, snapshot_of(&before, offset), "cut {cut}");
            let mut r = Rebuilt::from_snapshot(decoded, 0, 0);
            assert_eq!(r.replay_from(0), offset);
            for b in &batches[cut..] {
                r.apply(b, 0, 100);
            }
            assert_eq!(r.producers, full.producers, "cut {cut}");
            assert_eq!(r.open_txns, full.open_txns, "cut {cut}");
            assert_eq!(r.aborted, full.aborted, "cut {cut}");
            assert_eq!(r.index, full.index, "cut {cut}");
        }
    }

    #[test]
    fn a_moved_log_start_or_head_drops_the_index_but_keeps_the_state() {
        let batches = log();
        let mut before = Rebuilt::empty(0);
        for b in &batches[..5] {
            before.apply(b, 0, 100);
        }
        let s = snapshot_of(&before, before.index.next());
        let r = Rebuilt::from_snapshot(s.clone(), 0, 3);
        assert_eq!(
            r.replay_from(0),
            0,
            "another compacted head: the index is rebuilt"
        );
        assert_eq!(r.producers, before.producers);
        let r = Rebuilt::from_snapshot(s, 7, 0);
        assert_eq!(
            r.replay_from(7),
            7,
            "a new log start: the index is rebuilt from it"
        );
        assert!(
            r.aborted.is_empty(),
            "the abort marked at 6 is below the log start"
        );
    }

    #[test]
    fn decoding_refuses_other_versions_and_never_panics_on_short_input() {
        let mut r = Rebuilt::empty(0);
        for b in log() {
            r.apply(&b, 0, 100);
        }
        let bytes = snapshot_of(&r, 16).encode();
        assert_eq!(bytes[0], VERSION);
        let mut other = bytes.to_vec();
        other[0] = VERSION + 1;
        assert_eq!(
            Snapshot::decode(&other),
            Err(DecodeError::Version(VERSION + 1))
        );
        for len in 0..bytes.len() {
            assert!(Snapshot::decode(&bytes[..len]).is_err(), "{len} bytes");
        }
        let wrong_offset = snapshot_of(&r, 15).encode();
        assert_eq!(Snapshot::decode(&wrong_offset), Err(DecodeError::Index));
    }
}
