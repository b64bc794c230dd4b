//! A partition's sparse index: one span per `index.interval.bytes` of batches (Kafka's index interval), each with
//! its first batch's offset, the bytes of every batch before it, and its largest timestamp (with the first record
//! holding it).
//!
//! It answers, without reading data: where to start reading for the first record at or after a time (the first
//! span reaching it), the record with the largest timestamp, the partition's size in bytes, and which whole spans
//! retention may drop. Anything finer than a span is read from the stream, at most one span's worth.

use std::collections::VecDeque;

/// One run of whole batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The base offset of the span's first batch.
    pub offset: u64,
    /// Bytes of every batch before the span, counted from the index's origin.
    pub bytes_before: u64,
    /// The span's largest timestamp and the offset of the first record holding it; `None` for a span of empty
    /// batches.
    pub max: Option<(i64, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogIndex {
    spans: VecDeque<Span>,
    /// Bytes of every batch indexed, counted from the origin.
    end_bytes: u64,
    /// Bytes in the last span.
    tail: usize,
    /// The offset after the last batch indexed.
    next: u64,
}

/// The larger of two `(timestamp, offset)`; on equal timestamps the lower offset (the first record holding it).
pub fn later_max(a: Option<(i64, i64)>, b: Option<(i64, i64)>) -> Option<(i64, i64)> {
    match (a, b) {
        (Some(x), Some(y)) if y.0 > x.0 || (y.0 == x.0 && y.1 < x.1) => Some(y),
        (Some(x), _) => Some(x),
        (None, y) => y,
    }
}

impl LogIndex {
    /// An empty index whose first batch will start at `origin`.
    pub fn new(origin: u64) -> Self {
        Self {
            spans: VecDeque::new(),
            end_bytes: 0,
            tail: 0,
            next: origin,
        }
    }

    /// What a snapshot keeps: `(spans, bytes of every batch from the origin, bytes in the last span, next offset)`.
    pub fn parts(&self) -> (Vec<Span>, u64, u64, u64) {
        (
            self.spans.iter().copied().collect(),
            self.end_bytes,
            self.tail as u64,
            self.next,
        )
    }

    /// The index [`LogIndex::parts`] gave; `None` when the parts do not add up (spans out of order, or counting
    /// more bytes than the end).
    pub fn from_parts(spans: Vec<Span>, end_bytes: u64, tail: u64, next: u64) -> Option<Self> {
        let ordered = spans
            .windows(2)
            .all(|w| w[0].offset < w[1].offset && w[0].bytes_before <= w[1].bytes_before);
        let fits = spans
            .last()
            .is_none_or(|l| l.offset < next && l.bytes_before <= end_bytes);
        (ordered && fits).then(|| Self {
            spans: spans.into(),
            end_bytes,
            tail: usize::try_from(tail).unwrap_or(usize::MAX),
            next,
        })
    }

    /// The offset after the last batch indexed.
    pub fn next(&self) -> u64 {
        self.next
    }

    pub fn spans(&self) -> impl Iterator<Item = &Span> {
        self.spans.iter()
    }

    /// The span holding `offset`: its position and the offset where the next span starts (or the end).
    pub fn span_of(&self, offset: u64) -> Option<(usize, u64)> {
        let i = self
            .spans
            .partition_point(|s| s.offset <= offset)
            .checked_sub(1)?;
        let end = self.spans.get(i + 1).map_or(self.next, |s| s.offset);
        Some((i, end))
    }

    /// Adds a batch of `size` bytes covering `base..end` whose largest timestamp is `max` (None: an empty batch). A
    /// new span starts once the last one holds `interval` bytes or more.
    pub fn add(
        &mut self,
        base: u64,
        end: u64,
        size: usize,
        max: Option<(i64, i64)>,
        interval: usize,
    ) {
        if self.spans.is_empty() || self.tail >= interval {
            self.spans.push_back(Span {
                offset: base,
                bytes_before: self.end_bytes,
                max: None,
            });
            self.tail = 0;
        }
        if let Some(last) = self.spans.back_mut() {
            last.max = later_max(last.max, max);
        }
        self.tail += size;
        self.end_bytes += size as u64;
        self.next = end;
    }

    /// Appends `later`, an index that starts where this one ends (the batches appended while this one was built).
    pub fn extend(&mut self, later: LogIndex) {
        let shift = self.end_bytes;
        if !later.spans.is_empty() {
            self.tail = later.tail;
        }
        for s in later.spans {
            self.spans.push_back(Span {
                bytes_before: s.bytes_before + shift,
                ..s
            });
        }
        self.next = self.next.max(later.next);
        self.end_bytes += later.end_bytes;
    }

    /// Bytes of every batch still indexed.
    pub fn bytes(&self) -> u64 {
        self.end_bytes
            - self
                .spans
                .front()
                .map_or(self.end_bytes, |s| s.bytes_before)
    }

    /// Bytes of the batches from the start of span `i` to the end.
    pub fn bytes_from(&self, i: usize) -> u64 {
        self.end_bytes - self.spans.get(i).map_or(self.end_bytes, |s| s.bytes_before)
    }

    /// Where to start reading for the first record whose timestamp is at least `t`: the first span that reaches
    /// it. `None`: no record does.
    pub fn seek_time(&self, t: i64) -> Option<u64> {
        self.spans
            .iter()
            .find(|s| s.max.is_some_and(|(ts, _)| ts >= t))
            .map(|s| s.offset)
    }

    /// The largest timestamp and the first record holding it.
    pub fn max_timestamp(&self) -> Option<(i64, i64)> {
        self.spans.iter().fold(None, |m, s| later_max(m, s.max))
    }

    /// Drops everything before the batch at `base`, which starts the first span from now on with
    /// `bytes_before` (counted like every span's) and largest timestamp `max` (of the records still served).
    /// `base` must be a batch boundary inside span `i` (see [`LogIndex::span_of`]).
    pub fn trim(&mut self, i: usize, base: u64, bytes_before: u64, max: Option<(i64, i64)>) {
        self.spans.drain(..i.min(self.spans.len()));
        match self.spans.front_mut() {
            Some(first) => {
                *first = Span {
                    offset: base,
                    bytes_before,
                    max,
                };
                if self.spans.len() == 1 {
                    self.tail = (self.end_bytes - bytes_before) as usize;
                }
            }
            None => {
                self.end_bytes = 0;
                self.tail = 0;
                self.next = self.next.max(base);
            }
        }
    }

    /// Makes the next batch start a new span, so that the current end stays a span boundary.
    pub fn seal(&mut self) {
        self.tail = usize::MAX;
    }

    /// Replaces the spans before span `k` (which must start where `front` ends) with `front`: the index of a
    /// compacted copy of that range. `k` may be the number of spans (everything is replaced).
    pub fn splice_front(&mut self, k: usize, front: LogIndex) {
        let old_before = self.spans.get(k).map_or(self.end_bytes, |s| s.bytes_before);
        let tail_bytes = self.end_bytes - old_before;
        let rest: Vec<Span> = self.spans.drain(k..).collect();
        let was_last_tail = self.tail;
        self.spans = front.spans;
        let shift = front.end_bytes;
        for s in rest.iter() {
            self.spans.push_back(Span {
                bytes_before: s.bytes_before - old_before + shift,
                ..*s
            });
        }
        self.end_bytes = shift + tail_bytes;
        if rest.is_empty() {
            self.tail = was_last_tail;
            self.next = self.next.max(front.next);
        }
    }

    /// Drops every span: the whole indexed range is gone, and the next batch starts at `next`.
    pub fn clear(&mut self, next: u64) {
        *self = LogIndex::new(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Batches of 3 records and 3000 bytes each with the given timestamps; an interval of 4096 bytes makes a span
    /// of every two batches.
    fn index(stamps: &[i64]) -> LogIndex {
        let mut x = LogIndex::new(0);
        for (i, ts) in stamps.iter().enumerate() {
            let base = i as u64 * 3;
            x.add(base, base + 3, 3000, Some((*ts, base as i64 + 1)), 4096);
        }
        x
    }

    #[test]
    fn spans_answer_time_lookups_sizes_and_the_largest_timestamp() {
        let x = index(&[10, 20, 15, 40, 30, 50, 60]);
        let offsets: Vec<u64> = x.spans().map(|s| s.offset).collect();
        assert_eq!(offsets, [0, 6, 12, 18]);
        assert_eq!(x.seek_time(5), Some(0));
        assert_eq!(x.seek_time(21), Some(6), "the span of 15 and 40");
        assert_eq!(x.seek_time(45), Some(12));
        assert_eq!(x.seek_time(61), None);
        assert_eq!(x.max_timestamp(), Some((60, 19)));
        assert_eq!(x.bytes(), 21_000);
        assert_eq!(x.bytes_from(2), 9000);
        assert_eq!(x.span_of(7), Some((1, 12)));
        assert_eq!(x.span_of(20), Some((3, 21)));
    }

    #[test]
    fn ties_go_to_the_first_record_holding_the_timestamp() {
        let x = index(&[50, 10, 50, 50]);
        assert_eq!(x.max_timestamp(), Some((50, 1)));
    }

    #[test]
    fn a_trim_keeps_sizes_exact_and_a_later_index_extends_an_earlier_one() {
        let mut x = index(&[10, 20, 15, 40, 30, 50, 60]);
        // Drop the first span and the first batch of the second (base 9: 12000 bytes before it).
        let (i, _) = x.span_of(9).unwrap();
        x.trim(i, 9, 9000, Some((40, 10)));
        assert_eq!(x.bytes(), 12_000);
        assert_eq!(x.seek_time(0), Some(9));
        assert_eq!(x.max_timestamp(), Some((60, 19)));
        let mut earlier = LogIndex::new(0);
        earlier.add(0, 5, 100, Some((7, 0)), 4096);
        let mut later = LogIndex::new(5);
        later.add(5, 8, 50, Some((9, 6)), 4096);
        earlier.extend(later);
        assert_eq!((earlier.bytes(), earlier.next()), (150, 8));
        assert_eq!(earlier.spans().count(), 2);
        assert_eq!(earlier.max_timestamp(), Some((9, 6)));
        let mut sealed = earlier.clone();
        sealed.seal();
        sealed.add(8, 9, 10, None, 4096);
        assert_eq!(sealed.spans().count(), 3, "sealed: a new span");
        let mut compacted = LogIndex::new(0);
        compacted.add(0, 5, 40, Some((7, 0)), 4096);
        sealed.splice_front(1, compacted);
        assert_eq!(sealed.bytes(), 40 + 50 + 10);
        assert_eq!(
            sealed.spans().map(|s| s.offset).collect::<Vec<_>>(),
            [0, 5, 8]
        );
        assert_eq!(sealed.span_of(6), Some((1, 8)));
        earlier.trim(5, 8, 150, None);
        assert_eq!(
            (earlier.bytes(), earlier.next()),
            (0, 8),
            "everything trimmed"
        );
    }
}
