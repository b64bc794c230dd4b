//! Moving a partition's log start: DeleteRecords, and retention (which trims at batch boundaries).
//!
//! A trim is a `StreamTrimmed` record of the stream holding the offset (the compacted head below its end, the data
//! stream above): from then on the engine serves nothing below it, the data becomes garbage once no object holds a
//! served offset, and ListOffsets earliest and Fetch see the new start at once. The engine trims only what is
//! committed to objects, so a trim beyond that uploads first. The index drops what lies below, keeping the size
//! exact by reading the one span that holds the new start; the leader-epoch history drops the epochs wholly below.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_stream::StreamId;
use tracing::info;

use super::batch;
use super::partition::{Partition, PartitionError};
use super::partition_entry::PartitionEntry;

impl Partition {
    /// DeleteRecords: serves nothing below `offset` from now on (-1: the high watermark). Returns the new log start.
    pub async fn delete_records(&self, offset: i64) -> Result<i64, PartitionError> {
        let _one = self.maintenance.lock().await;
        let (start, hw) = self.offsets();
        let offset = if offset == -1 { hw } else { offset };
        if offset < 0 || offset > hw {
            return Err(PartitionError::new(
                ResponseError::OffsetOutOfRange,
                format!(
                    "cannot delete records of {}-{} below {offset}: outside [0, {hw}]",
                    self.topic, self.index
                ),
            ));
        }
        if offset > start {
            self.trim_locked(offset as u64).await?;
            info!(topic = %self.topic, partition = self.index, offset, "records deleted");
        }
        Ok(self.offsets().0)
    }

    /// Moves the log start to `to` (above the current start, at most the high watermark). The caller holds
    /// `maintenance`.
    pub(super) async fn trim_locked(&self, to: u64) -> Result<(), PartitionError> {
        let (start, _) = self.offsets();
        if to as i64 <= start {
            return Ok(());
        }
        // Batches already handed offsets are in the index: let them land, so the span holding `to` reads whole.
        let indexed = self.lock().index.next();
        if indexed > 0 {
            tokio::time::timeout(
                std::time::Duration::from_secs(30),
                self.durable_through(indexed as i64 - 1),
            )
            .await
            .map_err(|_| {
                PartitionError::new(
                    ResponseError::KafkaStorageError,
                    format!(
                        "appends to {}-{} in flight did not complete within 30 s",
                        self.topic, self.index
                    ),
                )
            })??;
        }
        // The span holding `to`: the bytes of its batches below the one holding `to`, and the largest timestamp of
        // the records from `to` on.
        let span = {
            let s = self.lock();
            s.index
                .span_of(to)
                .and_then(|(i, end)| Some((i, end, *s.index.spans().nth(i)?)))
        };
        if let Some((i, end, span)) = span {
            let mut bytes_before = span.bytes_before;
            let mut next = (span.offset as i64).max(start);
            let mut first: Option<u64> = None;
            let mut max = None;
            'read: while (next as u64) < end {
                let batches = self.read(next, 1 << 20, true).await?;
                if batches.is_empty() {
                    break;
                }
                for b in &batches {
                    let Some(h) = batch::stored_header(b) else {
                        continue;
                    };
                    if h.base_offset as u64 >= end {
                        break 'read;
                    }
                    next = h.next_offset();
                    if (next as u64) <= to {
                        bytes_before += b.len() as u64;
                        continue;
                    }
                    first.get_or_insert(h.base_offset as u64);
                    max = super::index::later_max(max, batch::max_record_from(b, to as i64));
                }
            }
            // With no batch from `to` on in this span, the new first span starts at `to` with nothing in it until
            // the next span (or the next append).
            let base = first.unwrap_or(to);
            self.lock().index.trim(i, base, bytes_before, max);
        }
        self.trim_streams(to).await?;
        let shrank = self.lock().entry.truncate_start(to as i64);
        if shrank {
            let key = self.entry_key.clone();
            let log_start = to as i64;
            self.engine
                .meta()
                .propose_with(|st| {
                    let mut e = PartitionEntry::read(st, &key);
                    Ok(e.truncate_start(log_start).then(|| e.record(&key)))
                })
                .await
                .map_err(|e| PartitionError::from_engine(&e))?;
        }
        // The next snapshot's index and aborted list start at the new log start.
        self.request_snapshot();
        Ok(())
    }

    /// Trims the compacted head and the data stream so that nothing below `to` is served.
    async fn trim_streams(&self, to: u64) -> Result<(), PartitionError> {
        let head = self.lock().head;
        match head {
            Some(h) if to <= h.end => self.trim_stream(h.stream, to).await,
            Some(h) => {
                let head_start = self.engine.info(h.stream).map(|i| i.start).unwrap_or(h.end);
                if head_start < h.end {
                    self.trim_stream(h.stream, h.end).await?;
                }
                self.trim_stream(self.stream, to).await
            }
            None => self.trim_stream(self.stream, to).await,
        }
    }

    /// Trims one stream, uploading first when `to` lies beyond what is committed to objects.
    pub(super) async fn trim_stream(
        &self,
        stream: StreamId,
        to: u64,
    ) -> Result<(), PartitionError> {
        let committed = self
            .engine
            .meta()
            .read(|s| s.stream(stream).map(|m| (m.start, m.end)))
            .await;
        if let Some((start, _)) = committed
            && start >= to
        {
            return Ok(());
        }
        if committed.is_none_or(|(_, end)| end < to) {
            self.engine
                .flush()
                .await
                .map_err(|e| PartitionError::from_engine(&e))?;
        }
        self.engine
            .trim(stream, to)
            .await
            .map_err(|e| PartitionError::from_engine(&e))
    }
}

#[cfg(test)]
mod tests {
    use crate::broker::testing;
    use crate::topics::Appended;
    use automq_protocol::batch::testing::producer_batch;
    use automq_protocol::kafka_protocol::error::ResponseError;
    use automq_protocol::kafka_protocol::records::Compression;

    #[tokio::test]
    async fn deleting_records_moves_the_start_and_keeps_the_size_exact() {
        let b = testing::broker().await;
        let configs = [("index.interval.bytes".to_string(), "0".to_string())].into();
        b.topics.create("t", Some(1), configs, false).await.unwrap();
        let t = b.topics.by_name("t").unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        let mut sizes = Vec::new();
        for i in 0..5 {
            let batch = producer_batch(4, 100 * i, Compression::None);
            sizes.push(batch.len() as u64);
            let Appended::New { pending, .. } = p.append(&batch, &t.config, 0).unwrap() else {
                panic!("new")
            };
            p.durable(pending).await.unwrap();
        }
        let total: u64 = sizes.iter().sum();
        assert_eq!(p.size().await.unwrap(), total);
        assert_eq!(
            p.delete_records(21).await.unwrap_err().code,
            ResponseError::OffsetOutOfRange
        );
        assert_eq!(
            p.delete_records(-2).await.unwrap_err().code,
            ResponseError::OffsetOutOfRange
        );
        // Inside the second batch: it stays (whole), the first goes.
        assert_eq!(p.delete_records(6).await.unwrap(), 6);
        assert_eq!(p.offsets(), (6, 20));
        assert_eq!(p.size().await.unwrap(), total - sizes[0]);
        assert_eq!(
            p.read(5, 1 << 20, true).await.unwrap_err().code,
            ResponseError::OffsetOutOfRange
        );
        let first = p.read(6, 1, true).await.unwrap();
        assert_eq!(
            crate::topics::batch::stored_header(&first[0])
                .unwrap()
                .base_offset,
            4
        );
        assert_eq!(
            p.offset_for_time(0).await.unwrap().map(|(_, o, _)| o),
            Some(6)
        );
        assert_eq!(
            p.delete_records(3).await.unwrap(),
            6,
            "below the start: nothing changes"
        );
        assert_eq!(p.delete_records(12).await.unwrap(), 12);
        assert_eq!(p.size().await.unwrap(), sizes[3] + sizes[4]);
        assert_eq!(p.max_timestamp().await.unwrap(), Some((403, 19)));
        assert_eq!(
            p.delete_records(-1).await.unwrap(),
            20,
            "-1: the high watermark"
        );
        assert_eq!(p.size().await.unwrap(), 0);
        assert_eq!(p.max_timestamp().await.unwrap(), None);
        // Appends go on after everything was deleted.
        let Appended::New { pending, .. } = p
            .append(&producer_batch(2, 0, Compression::None), &t.config, 0)
            .unwrap()
        else {
            panic!("new")
        };
        assert_eq!(p.durable(pending).await.unwrap(), 20);
        assert_eq!(
            p.size().await.unwrap(),
            producer_batch(2, 0, Compression::None).len() as u64
        );
    }
}
