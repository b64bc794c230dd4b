//! Compaction (`cleanup.policy=compact`): a pass keeps, of the records up to a point, the latest for each key,
//! writing them as a new stream (the partition's compacted head) that replaces the range it covers.
//!
//! A pass over a partition whose log starts at `S`, with a head ending at `C` (or none: `C = S`):
//!
//! 1. picks the cleanable end `E`: the last stable offset (the high watermark when no transaction is open), or
//!    earlier where batches are younger than `min.compaction.lag.ms`, or earlier still where the keys of `[C, E)`
//!    would not fit in `log.cleaner.dedupe.buffer.size`, always at a boundary of the index's spans; and runs only
//!    when the bytes of `[C, E)` (the dirty part) are at least `min.cleanable.dirty.ratio` of `[S, E)`, or when
//!    dirty data is older than `max.compaction.lag.ms`;
//! 2. maps each key of `[C, E)` to its latest offset there;
//! 3. reads `[S, E)` and keeps a record when it has a key and no later record of `[C, E)` has that key; a delete
//!    marker (null value) that already sat in the compacted head goes once `delete.retention.ms` passed since the
//!    pass that wrote that head; records without a key go (a compacted topic refuses them on produce, as Kafka
//!    does); a transaction marker stays whole and the records of a transaction this partition saw aborted go
//!    (they neither keep nor shadow a key);
//! 4. writes the kept records as a new stream `kafka/<topic id>/<p>/compacted.<E>` created at offset `S`, with the
//!    same Kafka offsets: a batch keeps its base offset, offset span, attributes, producer fields and compression,
//!    with only the kept records (copied as they were, so their offset and timestamp deltas stay right); a batch
//!    left with no record is not written and the next written batch covers its offsets in the stream (a fetch
//!    there gets the next batch, as from a compacted Kafka log); offsets at the end with no record are covered by
//!    an empty batch;
//! 5. records the new head (stream name, `E`, the time) in the partition's registry entry with one `EntryPut`,
//!    decided against the head it started from; switches reads of `[S, E)` to it; trims the data stream to `E`; the
//!    head it replaced is deleted by the next pass (a fetch may still be reading it).
//!
//! A crash before step 5 leaves a stream no entry names: the next start deletes it. A crash after it leaves the data
//! stream untrimmed below `E`, which nothing reads; the next pass trims it. Offsets, the high watermark and the log
//! start do not change; fetches and ListOffsets go on during a pass. Retention and DeleteRecords wait for a running
//! pass (one maintenance task per partition at a time).

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use automq_protocol::kafka_protocol::error::ResponseError;
use bytes::Bytes;
use tracing::{info, warn};

use super::batch;
use super::config::Effective;
use super::index::{LogIndex, Span};
use super::partition::{Head, Partition, PartitionError};
use super::partition_entry::{Compacted, PartitionEntry};

/// Bytes a key costs in the dedupe map besides its own (Kafka counts a hash and an offset per entry).
const ENTRY_OVERHEAD: usize = 24;

/// What a pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compaction {
    /// The new head covers `[log start, end)`.
    pub end: u64,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

fn engine_error(e: &automq_stream::Error) -> PartitionError {
    PartitionError::from_engine(e)
}

impl Partition {
    /// Runs one compaction pass if the topic is compacted and the pass is due; returns what it did.
    pub async fn compact(
        &self,
        config: &Effective,
        now_ms: i64,
        key_budget: usize,
    ) -> Result<Option<Compaction>, PartitionError> {
        if !config.compact {
            return Ok(None);
        }
        let _one = self.maintenance.lock().await;
        self.interval
            .store(config.index_interval, Ordering::Relaxed);
        self.delete_retired().await;
        self.trim_below_head().await?;
        let (start, hw) = self.offsets();
        let (start, hw) = (start as u64, hw as u64);
        let (head, previous) = {
            let s = self.lock();
            (s.head, s.entry.compacted.clone())
        };
        let clean_end = head.map_or(start, |h| h.end.max(start));
        // Never into an open transaction: its outcome decides which of its records survive.
        let stable = (self.last_stable_offset() as u64).min(hw);

        // 1. The cleanable end: whole spans below the last stable offset, none younger than the lag.
        let lag_cutoff = now_ms.saturating_sub(config.min_compaction_lag_ms);
        let (spans, indexed_to, end_bytes) = {
            let mut s = self.lock();
            let spans: Vec<Span> = s.index.spans().copied().collect();
            let end_bytes = spans.first().map_or(0, |f| f.bytes_before) + s.index.bytes();
            let indexed_to = s.index.next();
            if indexed_to <= hw {
                // Nothing in flight: the end of the index stays a span boundary, for the splice below.
                s.index.seal();
            }
            (spans, indexed_to, end_bytes)
        };
        let span_end = |i: usize| spans.get(i + 1).map_or(indexed_to, |n| n.offset);
        let whole = spans
            .iter()
            .enumerate()
            .take_while(|(i, span)| {
                let young = config.min_compaction_lag_ms > 0
                    && span.max.is_some_and(|(ts, _)| ts > lag_cutoff);
                span_end(*i) <= stable && !young
            })
            .count();
        let end = if whole == 0 {
            start
        } else {
            span_end(whole - 1)
        };
        if end <= clean_end {
            return Ok(None);
        }
        let front_bytes = spans.first().map_or(0, |f| f.bytes_before);
        let bytes_at = |offset: u64| {
            spans
                .iter()
                .find(|s| s.offset >= offset)
                .map_or(end_bytes, |s| s.bytes_before)
        };
        let total = bytes_at(end).saturating_sub(front_bytes);
        let dirty = bytes_at(end).saturating_sub(bytes_at(clean_end).max(front_bytes));
        let overdue = config.max_compaction_lag_ms < i64::MAX
            && spans
                .iter()
                .find(|s| s.offset >= clean_end)
                .and_then(|s| s.max)
                .is_some_and(|(ts, _)| ts < now_ms.saturating_sub(config.max_compaction_lag_ms));
        if total == 0 || ((dirty as f64) < config.min_cleanable_ratio * total as f64 && !overdue) {
            return Ok(None);
        }

        // 2. The latest offset of each key in [clean end, end), span by span within the budget (at least one).
        let mut latest: HashMap<Bytes, i64> = HashMap::new();
        let mut used = 0usize;
        let first_dirty = spans
            .partition_point(|s| s.offset <= clean_end)
            .saturating_sub(1);
        let mut mapped_end = clean_end;
        for (i, span) in spans.iter().enumerate().take(whole).skip(first_dirty) {
            let to = span_end(i);
            let mut keys: Vec<(Bytes, i64)> = Vec::new();
            let mut at = span.offset.max(clean_end) as i64;
            'read: while (at as u64) < to {
                let batches = self.read(at, 1 << 20, true).await?;
                if batches.is_empty() {
                    break;
                }
                for b in &batches {
                    let Some(recs) = batch::stored_records(b) else {
                        return Err(corrupt(self, at));
                    };
                    if recs.header.base_offset as u64 >= to {
                        break 'read;
                    }
                    at = recs.header.next_offset();
                    if recs.header.control || self.in_aborted_txn(&recs.header) {
                        continue;
                    }
                    for r in recs.records.iter().filter(|r| r.offset >= clean_end as i64) {
                        if let Some(key) = &r.key {
                            keys.push((recs.plain.slice(key.clone()), r.offset));
                        }
                    }
                }
            }
            let cost: usize = keys.iter().map(|(k, _)| k.len() + ENTRY_OVERHEAD).sum();
            if used + cost > key_budget && mapped_end > clean_end {
                break;
            }
            used += cost;
            for (key, offset) in keys {
                latest.insert(key, offset);
            }
            mapped_end = to;
        }
        let end = mapped_end;
        let k = spans.partition_point(|s| s.offset < end);
        let drop_markers = previous
            .as_ref()
            .is_some_and(|c| now_ms.saturating_sub(c.at_ms) > config.delete_retention_ms);

        // 3 and 4. The kept records, written as a new stream with the same offsets.
        let name = format!(
            "kafka/{}/{}/compacted.{end}",
            self.topic_id.simple(),
            self.index
        );
        if let Some(stale) = self.engine.meta().read(|s| s.stream_id(&name)).await
            && head.is_none_or(|h| h.stream != stale)
        {
            self.engine
                .delete_stream(stale)
                .await
                .map_err(|e| engine_error(&e))?;
        }
        let stream = self
            .engine
            .meta()
            .create_stream(&name, start)
            .await
            .map_err(|e| engine_error(&e))?;
        self.engine
            .open_stream(stream)
            .await
            .map_err(|e| engine_error(&e))?;
        let written = self
            .write_compacted(stream, start, end, clean_end, &latest, drop_markers)
            .await;
        let (index, bytes_before) = match written {
            Ok(w) => w,
            Err(e) => {
                let _ = self.engine.delete_stream(stream).await;
                return Err(e);
            }
        };
        let bytes_after = index.bytes();

        // 5. Switch: the registry first (the decision), then reads, then the data stream's trim.
        let key = self.entry_key.clone();
        let record = Compacted {
            stream: name.clone(),
            end,
            at_ms: now_ms,
        };
        let mut moved_on = false;
        let landed = self
            .engine
            .meta()
            .propose_with(|st| {
                let mut e = PartitionEntry::read(st, &key);
                moved_on = e.compacted != previous;
                if moved_on {
                    return Ok(None);
                }
                e.compacted = Some(record.clone());
                Ok(Some(e.record(&key)))
            })
            .await;
        if moved_on || landed.is_err() {
            let _ = self.engine.delete_stream(stream).await;
            return match landed {
                Err(e) => Err(engine_error(&e)),
                Ok(_) => Err(PartitionError::new(
                    ResponseError::NotLeaderOrFollower,
                    "the partition's compacted head changed elsewhere during the pass",
                )),
            };
        }
        {
            let mut s = self.lock();
            if let Some(old) = s.head {
                s.retired.push(old.stream);
            }
            s.head = Some(Head { stream, end });
            s.entry.compacted = Some(record);
            s.index.splice_front(k, index);
        }
        self.trim_stream(self.stream, end).await?;
        // A snapshot with the new head's index, so the next open need not rebuild it.
        self.request_snapshot();
        info!(
            topic = %self.topic,
            partition = self.index,
            head = %name,
            end,
            bytes_before,
            bytes_after,
            "compacted"
        );
        Ok(Some(Compaction {
            end,
            bytes_before,
            bytes_after,
        }))
    }

    /// Writes the records of `[start, end)` that survive into `stream`; returns the new range's index and the bytes
    /// it had before.
    async fn write_compacted(
        &self,
        stream: u64,
        start: u64,
        end: u64,
        clean_end: u64,
        latest: &HashMap<Bytes, i64>,
        drop_markers: bool,
    ) -> Result<(LogIndex, u64), PartitionError> {
        let interval = self.interval.load(Ordering::Relaxed);
        let mut index = LogIndex::new(start);
        let mut pending = Vec::new();
        let mut pos = start;
        let mut before = 0u64;
        let mut at = start as i64;
        'read: while (at as u64) < end {
            let batches = self.read(at, 1 << 20, true).await?;
            if batches.is_empty() {
                break;
            }
            for b in &batches {
                let Some(recs) = batch::stored_records(b) else {
                    return Err(corrupt(self, at));
                };
                let h = recs.header;
                if h.base_offset as u64 >= end {
                    break 'read;
                }
                at = h.next_offset();
                before += b.len() as u64;
                // Markers stay whole (a read_committed consumer needs each one); aborted records go.
                let aborted = self.in_aborted_txn(&h);
                let keep: Vec<usize> = recs
                    .records
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| {
                        if r.offset < start as i64 || aborted {
                            return false;
                        }
                        if h.control {
                            return true;
                        }
                        let Some(key) = &r.key else { return false };
                        let superseded = latest
                            .get(&recs.plain[key.clone()])
                            .is_some_and(|l| *l > r.offset);
                        let expired_marker =
                            r.tombstone && drop_markers && (r.offset as u64) < clean_end;
                        !superseded && !expired_marker
                    })
                    .map(|(i, _)| i)
                    .collect();
                if keep.is_empty() {
                    continue;
                }
                let payload = if keep.len() == recs.records.len() {
                    b.clone()
                } else {
                    batch::rebuild(b, &recs, &keep).ok_or_else(|| corrupt(self, h.base_offset))?
                };
                let next = at as u64;
                let max = batch::stored_records(&payload).and_then(|r| {
                    r.records.iter().fold(None, |m, x| {
                        super::index::later_max(m, Some((x.timestamp, x.offset)))
                    })
                });
                index.add(
                    h.base_offset.max(start as i64) as u64,
                    next,
                    payload.len(),
                    max,
                    interval,
                );
                pending.push(self.append_to(stream, pos, next, payload)?);
                pos = next;
            }
        }
        if pos < end {
            let span = i32::try_from(end - pos).map_err(|_| corrupt(self, pos as i64))?;
            let payload = batch::empty(pos as i64, span, self.leader_epoch);
            index.add(pos, end, payload.len(), None, interval);
            pending.push(self.append_to(stream, pos, end, payload)?);
        }
        for p in pending {
            p.durable().await.map_err(|e| engine_error(&e))?;
        }
        Ok((index, before))
    }

    fn append_to(
        &self,
        stream: u64,
        from: u64,
        to: u64,
        payload: Bytes,
    ) -> Result<automq_stream::engine::PendingAppend, PartitionError> {
        let count = u32::try_from(to - from).map_err(|_| corrupt(self, from as i64))?;
        let pending = self
            .engine
            .start_append(stream, count, move |_| payload)
            .map_err(|e| engine_error(&e))?;
        if pending.base_offset() != from {
            return Err(PartitionError::new(
                ResponseError::UnknownServerError,
                format!(
                    "compacted copy of {}-{} out of step: offset {} where {from} was due",
                    self.topic,
                    self.index,
                    pending.base_offset()
                ),
            ));
        }
        Ok(pending)
    }

    /// Trims the data stream below the head's end, if a pass (or a crash) left it untrimmed.
    async fn trim_below_head(&self) -> Result<(), PartitionError> {
        let head = self.lock().head;
        if let Some(h) = head {
            let data_start = self
                .engine
                .info(self.stream)
                .map_err(|e| engine_error(&e))?
                .start;
            if data_start < h.end {
                self.trim_stream(self.stream, h.end).await?;
            }
        }
        Ok(())
    }

    /// Deletes compacted heads replaced by an earlier pass.
    async fn delete_retired(&self) {
        let retired = std::mem::take(&mut self.lock().retired);
        for stream in retired {
            if let Err(e) = self.engine.delete_stream(stream).await {
                warn!(topic = %self.topic, partition = self.index, stream, "deleting a replaced compacted head failed: {e}");
            }
        }
    }
}

fn corrupt(p: &Partition, offset: i64) -> PartitionError {
    PartitionError::new(
        ResponseError::CorruptMessage,
        format!(
            "a stored batch of {}-{} near offset {offset} does not read back; compaction stopped",
            p.topic, p.index
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use automq_protocol::kafka_protocol::records::{
        Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions,
        TimestampType,
    };
    use bytes::BytesMut;

    use super::*;
    use crate::broker::testing;
    use crate::topics::{Appended, TopicDefaults};

    /// A producer's batch of `(key, value)` records (value None: a delete marker).
    fn keyed(records: &[(Option<&str>, Option<&str>)], compression: Compression) -> BytesMut {
        let records: Vec<Record> = records
            .iter()
            .enumerate()
            .map(|(i, (k, v))| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                sequence: i as i32 - 1,
                timestamp: 1_000 + i as i64,
                key: k.map(|k| Bytes::from(k.to_string())),
                value: v.map(|v| Bytes::from(v.to_string())),
                headers: Default::default(),
            })
            .collect();
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            &records,
            &RecordEncodeOptions {
                version: 2,
                compression,
            },
        )
        .unwrap();
        buf
    }

    /// A transactional batch of `(key, value)` records from producer `pid`, sequences from `seq`.
    fn keyed_txn(records: &[(&str, &str)], pid: i64, seq: i32) -> BytesMut {
        let records: Vec<Record> = records
            .iter()
            .enumerate()
            .map(|(i, (k, v))| Record {
                transactional: true,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id: pid,
                producer_epoch: 0,
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                sequence: seq + i as i32,
                timestamp: 1_000 + i as i64,
                key: Some(Bytes::from(k.to_string())),
                value: Some(Bytes::from(v.to_string())),
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

    async fn marker(p: &Partition, pid: i64, commit: bool) {
        let pending = p.append_marker(pid, 0, commit, 0, 1_000).unwrap();
        p.durable(pending).await.unwrap();
    }

    async fn append(p: &Partition, config: &Effective, batch: &[u8]) {
        let Appended::New { pending, .. } = p.append(batch, config, 1_000).unwrap() else {
            panic!("new")
        };
        p.durable(pending).await.unwrap();
    }

    /// Every record served, as a consumer reads it: `(offset, key, value)`.
    async fn consume(p: &Partition) -> Vec<(i64, String, Option<String>)> {
        let (start, hw) = p.offsets();
        let mut out = Vec::new();
        let mut next = start;
        while next < hw {
            let batches = p.read(next, 1 << 20, true).await.unwrap();
            for b in batches {
                let mut bytes = b.clone();
                for set in RecordBatchDecoder::decode_all(&mut bytes).unwrap() {
                    for r in set.records {
                        if r.offset >= next {
                            out.push((
                                r.offset,
                                String::from_utf8(r.key.unwrap().to_vec()).unwrap(),
                                r.value.map(|v| String::from_utf8(v.to_vec()).unwrap()),
                            ));
                        }
                    }
                }
                next = batch::stored_header(&b).unwrap().next_offset();
            }
        }
        out
    }

    fn rec(offset: i64, key: &str, value: Option<&str>) -> (i64, String, Option<String>) {
        (offset, key.to_string(), value.map(str::to_string))
    }

    #[tokio::test]
    async fn the_latest_record_per_key_stays_at_its_offset_across_passes_and_a_restart() {
        let store: Arc<dyn object_store::ObjectStore> =
            Arc::new(object_store::memory::InMemory::new());
        let defaults = TopicDefaults {
            auto_create: false,
            partitions: 1,
        };
        let b = testing::broker_on(store.clone(), defaults).await;
        let configs: BTreeMap<String, String> = [
            ("cleanup.policy", "compact"),
            ("index.interval.bytes", "0"),
            ("min.cleanable.dirty.ratio", "0.01"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        b.topics.create("c", Some(1), configs, false).await.unwrap();
        let t = b.topics.by_name("c").unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        let e = p
            .append(
                &keyed(&[(None, Some("x"))], Compression::None),
                &t.config,
                0,
            )
            .unwrap_err();
        assert_eq!(
            e.code,
            ResponseError::InvalidRecord,
            "a compacted topic needs keys"
        );
        append(
            &p,
            &t.config,
            &keyed(
                &[(Some("a"), Some("1")), (Some("b"), Some("1"))],
                Compression::Gzip,
            ),
        )
        .await;
        append(
            &p,
            &t.config,
            &keyed(
                &[(Some("a"), Some("2")), (Some("c"), Some("1"))],
                Compression::Lz4,
            ),
        )
        .await;
        append(
            &p,
            &t.config,
            &keyed(&[(Some("b"), None)], Compression::None),
        )
        .await;
        append(
            &p,
            &t.config,
            &keyed(&[(Some("d"), Some("1"))], Compression::Zstd),
        )
        .await;
        let before = p.size().await.unwrap();

        let done = p.compact(&t.config, 5_000, 1 << 20).await.unwrap().unwrap();
        assert_eq!(done.end, 6);
        assert_eq!(done.bytes_before, before);
        assert!(done.bytes_after < before);
        assert_eq!(p.size().await.unwrap(), done.bytes_after);
        assert_eq!(p.offsets(), (0, 6), "offsets do not move");
        let want = vec![
            rec(2, "a", Some("2")),
            rec(3, "c", Some("1")),
            rec(4, "b", None),
            rec(5, "d", Some("1")),
        ];
        assert_eq!(consume(&p).await, want);
        let first = p.read(0, 1, true).await.unwrap();
        assert_eq!(
            batch::stored_header(&first[0]).unwrap().base_offset,
            2,
            "a fetch at a removed offset gets the next batch"
        );
        assert_eq!(
            p.compact(&t.config, 5_000, 1 << 20).await.unwrap(),
            None,
            "nothing dirty"
        );

        // A newer `a`, then a pass a day later: `a@2` goes, and so does the delete marker of `b`.
        append(
            &p,
            &t.config,
            &keyed(&[(Some("a"), Some("3"))], Compression::None),
        )
        .await;
        let done = p
            .compact(&t.config, 5_000 + 86_400_001, 1 << 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.end, 7);
        let want = vec![
            rec(3, "c", Some("1")),
            rec(5, "d", Some("1")),
            rec(6, "a", Some("3")),
        ];
        assert_eq!(consume(&p).await, want);
        assert_eq!(
            p.offset_for_time(0).await.unwrap().map(|(_, o, _)| o),
            Some(3)
        );
        append(
            &p,
            &t.config,
            &keyed(&[(Some("e"), Some("1"))], Compression::None),
        )
        .await;

        b.topics.shutdown().await.unwrap();
        drop((p, t, b));
        let b = testing::broker_on(store, defaults).await;
        let names = b.topics.stream_names().await;
        assert!(
            names.iter().any(|n| n.ends_with("/compacted.7")),
            "{names:?}"
        );
        assert!(
            !names.iter().any(|n| n.ends_with("/compacted.6")),
            "the replaced head is deleted: {names:?}"
        );
        let t = b.topics.by_name("c").unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        let mut want = want;
        want.push(rec(7, "e", Some("1")));
        assert_eq!(consume(&p).await, want);
        assert_eq!(p.offsets(), (0, 8));
        // Records deleted inside the compacted head, to its end, then past it.
        let size = p.size().await.unwrap();
        assert_eq!(p.delete_records(4).await.unwrap(), 4);
        assert_eq!(consume(&p).await, want[1..]);
        assert!(p.size().await.unwrap() < size);
        assert_eq!(p.delete_records(7).await.unwrap(), 7);
        assert_eq!(consume(&p).await, want[3..]);
        assert_eq!(p.delete_records(8).await.unwrap(), 8);
        assert_eq!((p.offsets(), p.size().await.unwrap()), ((8, 8), 0));
        // Deleting the topic deletes its head too, and its partition entry.
        let id = t.entry.id.clone();
        drop(p);
        b.topics.delete("c").await.unwrap();
        let names = b.topics.stream_names().await;
        assert!(!names.iter().any(|n| n.contains(&id)), "{names:?}");
        let entries = b
            .topics
            .engine
            .meta()
            .read(crate::topics::partition_entry::keys)
            .await;
        assert!(entries.is_empty(), "{entries:?}");
    }

    #[tokio::test]
    async fn markers_stay_aborted_records_go_and_open_transactions_wait() {
        let b = testing::broker().await;
        let configs: BTreeMap<String, String> = [
            ("cleanup.policy", "compact"),
            ("index.interval.bytes", "0"),
            ("min.cleanable.dirty.ratio", "0.01"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        b.topics.create("c", Some(1), configs, false).await.unwrap();
        let t = b.topics.by_name("c").unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        // 0-1 committed (marker 2); 3 aborted (marker 4); 5 open; 6 plain.
        append(&p, &t.config, &keyed_txn(&[("a", "1"), ("b", "1")], 7, 0)).await;
        marker(&p, 7, true).await;
        append(&p, &t.config, &keyed_txn(&[("a", "2")], 7, 2)).await;
        marker(&p, 7, false).await;
        append(&p, &t.config, &keyed_txn(&[("b", "2")], 8, 0)).await;
        append(
            &p,
            &t.config,
            &keyed(&[(Some("c"), Some("1"))], Compression::None),
        )
        .await;
        assert_eq!(p.last_stable_offset(), 5);
        let done = p.compact(&t.config, 5_000, 1 << 20).await.unwrap().unwrap();
        assert_eq!(done.end, 5, "the pass stops at the open transaction");
        let (start, hw) = p.offsets();
        let mut kept = Vec::new();
        let mut next = start;
        while next < hw {
            for batch in p.read(next, 1 << 20, true).await.unwrap() {
                let h = batch::stored_header(&batch).unwrap();
                let mut bytes = batch.clone();
                for set in RecordBatchDecoder::decode_all(&mut bytes).unwrap() {
                    kept.extend(set.records.iter().map(|r| (r.offset, r.control)));
                }
                next = h.next_offset();
            }
        }
        assert_eq!(
            kept,
            [
                (0, false),
                (1, false),
                (2, true),
                (4, true),
                (5, false),
                (6, false)
            ],
            "the aborted `a` neither stays nor hides the committed one; both markers stay"
        );
    }
}
