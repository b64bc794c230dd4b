//! One open stream's in-memory state: the offsets handed out, the offsets acknowledged, and the durable batches
//! waiting for an earlier one (WAL acknowledgements for one stream can wake up out of order).
//!
//! An append is acknowledged only once it and every batch before it are durable: a batch that is durable while
//! an earlier one failed is never acknowledged (replay stops at that gap, so it would be lost).

use std::collections::BTreeMap;
use std::sync::Mutex;

use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::types::{Batch, Epoch, Offset, StreamId};

/// What a caller can see of an open stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamInfo {
    pub stream: StreamId,
    pub epoch: Epoch,
    /// The first offset served.
    pub start: Offset,
    /// Every offset below this is durable and readable (Kafka's log end offset and high watermark).
    pub confirmed: Offset,
    /// The next offset an append gets.
    pub next: Offset,
}

#[derive(Debug)]
struct Offsets {
    start: Offset,
    next: Offset,
    confirmed: Offset,
    waiting: BTreeMap<Offset, Batch>,
    poisoned: Option<String>,
    closed: bool,
    /// Appends whose WAL write has not been settled yet (confirmed or failed).
    in_flight: usize,
}

#[derive(Debug)]
pub(crate) struct StreamState {
    pub stream: StreamId,
    pub epoch: Epoch,
    offsets: Mutex<Offsets>,
    /// Woken whenever `confirmed`, `in_flight` or `poisoned` changes.
    changed: Notify,
}

impl StreamState {
    pub fn new(stream: StreamId, epoch: Epoch, start: Offset, end: Offset) -> Self {
        Self {
            stream,
            epoch,
            offsets: Mutex::new(Offsets {
                start,
                next: end,
                confirmed: end,
                waiting: BTreeMap::new(),
                poisoned: None,
                closed: false,
                in_flight: 0,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Offsets> {
        self.offsets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn info(&self) -> StreamInfo {
        let o = self.lock();
        StreamInfo {
            stream: self.stream,
            epoch: self.epoch,
            start: o.start,
            confirmed: o.confirmed,
            next: o.next,
        }
    }

    /// Hands out `count` offsets and, under the same lock, starts the append with `start` (so the WAL receives a
    /// stream's records in offset order). The append is in flight until [`StreamState::settle`].
    pub fn reserve<T>(&self, count: u32, start: impl FnOnce(Offset) -> T) -> Result<(Offset, T)> {
        if count == 0 {
            return Err(Error::Invalid(format!(
                "an append to stream {} holds no records",
                self.stream
            )));
        }
        let mut o = self.lock();
        if o.closed {
            return Err(Error::Closed(format!("stream {}", self.stream)));
        }
        if let Some(why) = &o.poisoned {
            return Err(Error::Closed(format!(
                "stream {} after a failed append ({why}); reopen it",
                self.stream
            )));
        }
        let base = o.next;
        o.next += Offset::from(count);
        o.in_flight += 1;
        Ok((base, start(base)))
    }

    /// The WAL answered an append reserved earlier (after `confirm` or `poison`).
    pub fn settle(&self) {
        let mut o = self.lock();
        o.in_flight = o.in_flight.saturating_sub(1);
        drop(o);
        self.changed.notify_waiters();
    }

    /// Waits until every offset below `end` is durable (the append ending there may be acknowledged), or fails
    /// when an earlier append failed first (it must not be).
    pub async fn acknowledged(&self, end: Offset) -> Result<()> {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let o = self.lock();
                if o.confirmed >= end {
                    return Ok(());
                }
                if let Some(why) = &o.poisoned {
                    return Err(Error::Closed(format!(
                        "stream {}: an earlier append failed ({why}); this one is not acknowledged",
                        self.stream
                    )));
                }
            }
            changed.await;
        }
    }

    /// Waits until no append is in flight: everything reserved so far is confirmed or failed.
    pub async fn drained(&self) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.lock().in_flight == 0 {
                return;
            }
            changed.await;
        }
    }

    /// Records a durable batch; returns the batches that became readable, in offset order.
    pub fn confirm(&self, batch: Batch) -> Vec<Batch> {
        self.confirm_then(batch, |ready| ready)
    }

    /// Records a durable batch and hands the batches that became readable to `deliver` while still holding the
    /// stream's lock, so two appenders deliver a stream's batches in offset order (the log cache needs them so).
    pub fn confirm_then<R>(&self, batch: Batch, deliver: impl FnOnce(Vec<Batch>) -> R) -> R {
        let mut o = self.lock();
        o.waiting.insert(batch.base_offset, batch);
        let mut ready = Vec::new();
        loop {
            let confirmed = o.confirmed;
            let Some(b) = o.waiting.remove(&confirmed) else {
                break;
            };
            o.confirmed = b.end_offset();
            ready.push(b);
        }
        let advanced = !ready.is_empty();
        let delivered = deliver(ready);
        drop(o);
        if advanced {
            self.changed.notify_waiters();
        }
        delivered
    }

    /// Takes a replayed batch as if it had been appended and acknowledged.
    pub fn restore(&self, batch: Batch) -> Vec<Batch> {
        {
            let mut o = self.lock();
            o.next = o.next.max(batch.end_offset());
        }
        self.confirm(batch)
    }

    /// After a failed append nothing later may be acknowledged: the stream refuses appends until reopened.
    pub fn poison(&self, error: &Error) {
        self.lock()
            .poisoned
            .get_or_insert_with(|| error.to_string());
        self.changed.notify_waiters();
    }

    pub fn close(&self) {
        self.lock().closed = true;
    }

    pub fn trim_to(&self, start: Offset) {
        let mut o = self.lock();
        o.start = o.start.max(start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn b(base: Offset, count: u32) -> Batch {
        Batch {
            stream: 1,
            base_offset: base,
            count,
            payload: Bytes::from_static(b"x"),
        }
    }

    #[test]
    fn out_of_order_acknowledgements_become_readable_in_order() {
        let s = StreamState::new(1, 1, 0, 10);
        let (a, ()) = s.reserve(2, |_| ()).unwrap();
        let (c, ()) = s.reserve(3, |_| ()).unwrap();
        assert_eq!((a, c), (10, 12));
        assert!(s.confirm(b(12, 3)).is_empty(), "12 waits for 10");
        let ready = s.confirm(b(10, 2));
        assert_eq!(
            ready.iter().map(|b| b.base_offset).collect::<Vec<_>>(),
            [10, 12]
        );
        assert_eq!(s.info().confirmed, 15);
    }

    #[test]
    fn a_failed_append_stops_the_stream_until_reopened() {
        let s = StreamState::new(1, 1, 0, 0);
        s.poison(&Error::Invalid("disk full".into()));
        assert!(matches!(s.reserve(1, |_| ()), Err(Error::Closed(_))));
        let s = StreamState::new(1, 1, 0, 0);
        s.close();
        assert!(s.reserve(1, |_| ()).is_err());
        let s = StreamState::new(1, 1, 0, 0);
        assert!(s.reserve(0, |_| ()).is_err(), "an append holds records");
    }

    #[tokio::test]
    async fn drained_waits_for_every_append_in_flight() {
        let s = std::sync::Arc::new(StreamState::new(1, 1, 0, 0));
        s.drained().await;
        s.reserve(1, |_| ()).unwrap();
        s.reserve(1, |_| ()).unwrap();
        s.close();
        let waiter = tokio::spawn({
            let s = s.clone();
            async move { s.drained().await }
        });
        s.settle();
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "one append is still in flight");
        s.settle();
        waiter.await.unwrap();
    }
}
