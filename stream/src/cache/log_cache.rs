//! The log cache: every append, from the moment it is durable in the WAL until it has been uploaded and memory is
//! needed for newer data. Tailing consumers read here and never touch the object store.
//!
//! Two kinds of bytes live here. Batches not yet uploaded are pinned: they are the only readable copy besides the
//! WAL, and an upload takes them from here. Uploaded batches stay as long as the cache has room, oldest evicted
//! first, so a consumer a little behind still reads from memory.

use std::collections::{BTreeMap, VecDeque};

use crate::types::{Batch, Offset, StreamId};

#[derive(Debug, Default)]
struct StreamEntries {
    batches: VecDeque<Batch>,
    /// Batches before this offset have been uploaded and may be evicted.
    uploaded_to: Offset,
}

#[derive(Debug)]
pub struct LogCache {
    streams: BTreeMap<StreamId, StreamEntries>,
    capacity: usize,
    bytes: usize,
    pinned: usize,
}

impl LogCache {
    /// A cache that keeps uploaded batches while it holds fewer than `capacity` bytes. Batches not yet uploaded
    /// are kept regardless: the WAL's size bound is what limits them.
    pub fn new(capacity: usize) -> Self {
        Self {
            streams: BTreeMap::new(),
            capacity,
            bytes: 0,
            pinned: 0,
        }
    }

    /// Bytes held, and of those, bytes not yet uploaded.
    pub fn usage(&self) -> (usize, usize) {
        (self.bytes, self.pinned)
    }

    /// Adds a durable batch. It must follow the stream's last cached batch; a gap (after a trim or an open at a
    /// new offset) drops the stream's older entries, which are then read from objects.
    pub fn insert(&mut self, batch: Batch) {
        let size = batch.payload.len();
        let entries = self.streams.entry(batch.stream).or_default();
        if entries
            .batches
            .back()
            .is_some_and(|last| last.end_offset() != batch.base_offset)
        {
            for old in entries.batches.drain(..) {
                self.bytes -= old.payload.len();
                if old.base_offset >= entries.uploaded_to {
                    self.pinned -= old.payload.len();
                }
            }
        }
        if entries.batches.is_empty() {
            entries.uploaded_to = batch.base_offset;
        }
        entries.batches.push_back(batch);
        self.bytes += size;
        self.pinned += size;
    }

    /// Whole batches of `stream` overlapping `[start, end)`, up to about `max_bytes` (at least one batch), or
    /// `None` when the cache does not hold `start` (the caller reads objects instead).
    pub fn read(
        &self,
        stream: StreamId,
        start: Offset,
        end: Offset,
        max_bytes: usize,
    ) -> Option<Vec<Batch>> {
        let entries = self.streams.get(&stream)?;
        let first = entries.batches.front()?;
        if start < first.base_offset {
            return None;
        }
        let from = entries.batches.partition_point(|b| b.end_offset() <= start);
        let mut out = Vec::new();
        let mut bytes = 0;
        for b in entries.batches.iter().skip(from) {
            if b.base_offset >= end || (!out.is_empty() && bytes + b.payload.len() > max_bytes) {
                break;
            }
            bytes += b.payload.len();
            out.push(b.clone());
        }
        Some(out)
    }

    /// Every batch not yet uploaded, in (stream, offset) order: what the next upload writes.
    pub fn pending_upload(&self) -> Vec<Batch> {
        let mut out = Vec::new();
        for e in self.streams.values() {
            out.extend(
                e.batches
                    .iter()
                    .filter(|b| b.base_offset >= e.uploaded_to)
                    .cloned(),
            );
        }
        out
    }

    /// Records that `stream` is uploaded up to `end`, then evicts uploaded batches (oldest stream data first)
    /// while the cache is over capacity.
    pub fn mark_uploaded(&mut self, stream: StreamId, end: Offset) {
        if let Some(e) = self.streams.get_mut(&stream) {
            for b in e
                .batches
                .iter()
                .filter(|b| b.base_offset >= e.uploaded_to && b.end_offset() <= end)
            {
                self.pinned -= b.payload.len();
            }
            e.uploaded_to = e.uploaded_to.max(end);
        }
        self.evict();
    }

    /// Forgets a stream (closed, moved to another node, or deleted).
    pub fn remove(&mut self, stream: StreamId) {
        if let Some(e) = self.streams.remove(&stream) {
            for b in e.batches {
                self.bytes -= b.payload.len();
                if b.base_offset >= e.uploaded_to {
                    self.pinned -= b.payload.len();
                }
            }
        }
    }

    fn evict(&mut self) {
        while self.bytes > self.capacity {
            // The uploaded batch with the lowest offset in the stream holding the most uploaded bytes goes first:
            // cheap, and keeps every stream's recent tail.
            let victim = self
                .streams
                .iter()
                .filter(|(_, e)| {
                    e.batches
                        .front()
                        .is_some_and(|b| b.end_offset() <= e.uploaded_to)
                })
                .max_by_key(|(_, e)| {
                    e.batches
                        .iter()
                        .take_while(|b| b.end_offset() <= e.uploaded_to)
                        .count()
                })
                .map(|(s, _)| *s);
            let Some(stream) = victim else { break };
            if let Some(e) = self.streams.get_mut(&stream) {
                if let Some(b) = e.batches.pop_front() {
                    self.bytes -= b.payload.len();
                }
                if e.batches.is_empty() {
                    self.streams.remove(&stream);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn b(stream: StreamId, base: Offset, count: u32, len: usize) -> Batch {
        Batch {
            stream,
            base_offset: base,
            count,
            payload: Bytes::from(vec![0u8; len]),
        }
    }

    #[test]
    fn tailing_reads_return_whole_batches_from_inside_one() {
        let mut c = LogCache::new(1 << 20);
        for i in 0..10 {
            c.insert(b(1, i * 10, 10, 100));
        }
        let got = c.read(1, 35, 60, usize::MAX).unwrap();
        assert_eq!(
            got.iter().map(|b| b.base_offset).collect::<Vec<_>>(),
            [30, 40, 50]
        );
        assert_eq!(
            c.read(1, 35, 100, 150).unwrap().len(),
            1,
            "max_bytes caps after the first batch"
        );
        assert_eq!(
            c.read(1, 100, 200, usize::MAX).unwrap(),
            vec![],
            "at the end: nothing yet"
        );
        assert!(
            c.read(2, 0, 10, usize::MAX).is_none(),
            "unknown stream: read objects"
        );
    }

    #[test]
    fn only_uploaded_batches_are_evicted() {
        let mut c = LogCache::new(250);
        for i in 0..5 {
            c.insert(b(1, i, 1, 100));
        }
        assert_eq!(
            c.usage(),
            (500, 500),
            "over capacity, but nothing is uploaded yet"
        );
        assert_eq!(c.pending_upload().len(), 5);
        c.mark_uploaded(1, 3);
        assert_eq!(
            c.usage(),
            (200, 200),
            "three uploaded batches evicted down to capacity"
        );
        assert!(
            c.read(1, 0, 5, usize::MAX).is_none(),
            "evicted offsets come from objects"
        );
        assert_eq!(c.read(1, 3, 5, usize::MAX).unwrap().len(), 2);
        assert_eq!(
            c.pending_upload()
                .iter()
                .map(|b| b.base_offset)
                .collect::<Vec<_>>(),
            [3, 4]
        );
    }

    #[test]
    fn pending_upload_is_sorted_by_stream_then_offset() {
        let mut c = LogCache::new(1 << 20);
        c.insert(b(9, 0, 1, 1));
        c.insert(b(2, 5, 1, 1));
        c.insert(b(9, 1, 1, 1));
        c.insert(b(2, 6, 2, 1));
        let order: Vec<_> = c
            .pending_upload()
            .iter()
            .map(|b| (b.stream, b.base_offset))
            .collect();
        assert_eq!(order, [(2, 5), (2, 6), (9, 0), (9, 1)]);
    }

    #[test]
    fn a_gap_drops_the_older_entries_and_remove_forgets_a_stream() {
        let mut c = LogCache::new(1 << 20);
        c.insert(b(1, 0, 1, 10));
        c.insert(b(1, 50, 1, 10));
        assert!(c.read(1, 0, 1, usize::MAX).is_none());
        assert_eq!(c.usage(), (10, 10));
        c.remove(1);
        assert_eq!(c.usage(), (0, 0));
    }
}
