//! The write-ahead log: where an append becomes durable before the broker acknowledges it.
//!
//! Two kinds sit behind one small trait, chosen per broker:
//! - [`FileWal`]: segment files in a local, EBS or shared directory; one writer thread does group commit (every
//!   append queued while the previous `fdatasync` ran goes into the next single write and sync).
//! - [`ObjectWal`]: every stream's appends batched into one object per interval or size threshold, written with
//!   create-if-absent at dense sequence numbers, so a survivor can fence a dead node's WAL and replay it.
//!
//! The engine appends a record, awaits its durability, uploads what it appended to stream objects, and trims the
//! WAL behind the upload. After a crash the WAL is replayed, by the same node on restart or by a survivor that
//! fenced it first ([`ObjectWalTakeover`]; for a shared directory, [`FileWal::open`] by the survivor). Formats,
//! invariants and the limits of fencing are in `docs/wal.md`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::types::{Batch, Epoch, NodeId, Offset, StreamId};

#[cfg(test)]
mod contract_tests;
pub mod failpoint;
pub mod file;
pub mod object;
mod record;

pub use failpoint::FailPoints;
pub use file::{FileWal, FileWalConfig, FileWalStats};
pub use object::{ObjectWal, ObjectWalConfig, ObjectWalStats, ObjectWalTakeover, TakeoverConfig};

/// One append: a batch of a stream, written at the stream's epoch (its partition leader epoch), so that replay can
/// tell records of an old owner from records of the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalRecord {
    pub stream_epoch: Epoch,
    pub batch: Batch,
}

impl WalRecord {
    pub fn new(
        stream: StreamId,
        stream_epoch: Epoch,
        base_offset: Offset,
        count: u32,
        payload: Bytes,
    ) -> Self {
        WalRecord {
            stream_epoch,
            batch: Batch {
                stream,
                base_offset,
                count,
                payload,
            },
        }
    }
}

/// Where a record sits in a WAL. Positions are totally ordered in append order, across restarts and takeovers, so
/// the engine can trim "everything up to here" with one value.
///
/// - `log`: the writer incarnation: the node epoch for the object WAL, the ownership generation for the file WAL
///   (each open of a directory starts a new generation).
/// - `segment`: the object sequence number, or the segment file's index within its generation.
/// - `offset`: where the record ends within its segment: records up to and including it (object WAL), or the byte
///   offset just past it (file WAL). A segment is wholly covered by a trim once `offset` reaches its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WalPosition {
    pub log: u64,
    pub segment: u64,
    pub offset: u64,
}

impl fmt::Display for WalPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.log, self.segment, self.offset)
    }
}

/// A record found by replay, with where it is and which node (at which node epoch) wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    pub position: WalPosition,
    pub node: NodeId,
    pub node_epoch: Epoch,
    pub record: WalRecord,
}

/// Reading a WAL back and dropping what is no longer needed. Implemented by both live WALs and by
/// [`ObjectWalTakeover`], the handle a survivor holds on a dead node's fenced object WAL.
#[async_trait]
pub trait WalReplay: Send + Sync + fmt::Debug {
    /// Every durable record not yet trimmed, in append order, with its position.
    ///
    /// It may also return records trimmed before a restart: trims are not logged, only whole segments and objects
    /// are deleted, so a partly trimmed segment is replayed whole. It may return records that were never
    /// acknowledged (written, then the writer crashed or was fenced before the sync or the answer). The engine
    /// filters both by the offsets its metadata says are already committed.
    async fn recover(&self) -> Result<Vec<Replayed>>;

    /// Drops every record at or before `through`, once the engine has uploaded them. Segments and objects wholly
    /// covered are deleted; trimming backwards is a no-op.
    async fn trim(&self, through: WalPosition) -> Result<()>;
}

/// A live WAL owned by this node.
///
/// Contract: a record is acknowledged (its [`AppendFuture`] resolves `Ok`) only once it is durable, and records
/// land in the WAL in the order `append` was called. A failed append was not acknowledged, but it may still be
/// replayed later (the failure can come after the write). After `Error::Fenced` the WAL accepts nothing more.
#[async_trait]
pub trait Wal: WalReplay {
    /// Queues `record` behind every record queued before it and returns a future that resolves with its position
    /// once it is durable. Queuing never waits; durability waits for the group commit or the next object, and for
    /// space when the WAL is full (backpressure).
    fn append(&self, record: WalRecord) -> AppendFuture;

    /// Writes what is queued, then stops the writer. Later appends fail with `Error::Closed`.
    async fn close(&self) -> Result<()>;
}

/// Resolves once an append is durable (`Ok(position)`) or has failed.
#[derive(Debug)]
#[must_use = "an append is acknowledged only when its future resolves"]
pub struct AppendFuture {
    rx: oneshot::Receiver<Result<WalPosition>>,
}

impl AppendFuture {
    pub(crate) fn pending() -> (oneshot::Sender<Result<WalPosition>>, Self) {
        let (tx, rx) = oneshot::channel();
        (tx, AppendFuture { rx })
    }

    pub(crate) fn failed(error: Error) -> Self {
        let (tx, future) = Self::pending();
        // The receiver is alive: it is in `future`.
        let _ = tx.send(Err(error));
        future
    }
}

impl Future for AppendFuture {
    type Output = Result<WalPosition>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.rx).poll(cx) {
            Poll::Ready(Ok(result)) => Poll::Ready(result),
            // The writer dropped the append without answering: it stopped (shutdown or a panic). Not durable.
            Poll::Ready(Err(_)) => Poll::Ready(Err(Error::Closed("WAL writer".to_string()))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A copy of `error` for each of the appends a failed commit answers (errors carry sources that are not `Clone`;
/// the copy keeps the variant, hence the kind, and the message).
pub(crate) fn replicate(error: &Error) -> Error {
    match error {
        Error::Fenced {
            what,
            held,
            current,
        } => Error::Fenced {
            what: what.clone(),
            held: *held,
            current: *current,
        },
        Error::Store { op, key, source } => Error::Store {
            op,
            key: key.clone(),
            source: object_store::Error::Generic {
                store: "wal",
                source: source.to_string().into(),
            },
        },
        Error::Io { op, path, source } => Error::Io {
            op,
            path: path.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        Error::Corrupt { what, detail } => Error::Corrupt {
            what: what.clone(),
            detail: detail.clone(),
        },
        Error::OutOfRange {
            stream,
            offset,
            start,
            end,
        } => Error::OutOfRange {
            stream: *stream,
            offset: *offset,
            start: *start,
            end: *end,
        },
        Error::Closed(what) => Error::Closed(what.clone()),
        Error::Invalid(what) => Error::Invalid(what.clone()),
    }
}

/// Answers every append of a failed commit with a copy of `error`.
pub(crate) fn fail_all<I>(senders: I, error: &Error)
where
    I: IntoIterator<Item = oneshot::Sender<Result<WalPosition>>>,
{
    for tx in senders {
        // A dropped receiver means the caller stopped waiting; nothing to tell it.
        let _ = tx.send(Err(replicate(error)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_order_by_log_then_segment_then_offset() {
        let p = |log, segment, offset| WalPosition {
            log,
            segment,
            offset,
        };
        assert!(p(1, 9, 9) < p(2, 0, 0));
        assert!(p(2, 0, 9) < p(2, 1, 0));
        assert!(p(2, 1, 3) < p(2, 1, 4));
        assert_eq!(p(2, 1, 4).to_string(), "2/1/4");
    }

    #[test]
    fn replicated_errors_keep_their_kind() {
        let errors = [
            Error::Fenced {
                what: "w".into(),
                held: 1,
                current: 2,
            },
            Error::store(
                "put",
                "k",
                object_store::Error::Generic {
                    store: "s",
                    source: "boom".into(),
                },
            ),
            Error::Io {
                op: "write",
                path: "p".into(),
                source: std::io::Error::other("disk"),
            },
            Error::Corrupt {
                what: "w".into(),
                detail: "d".into(),
            },
            Error::Closed("w".into()),
            Error::Invalid("w".into()),
        ];
        for e in &errors {
            let copy = replicate(e);
            assert_eq!(copy.kind(), e.kind());
            assert!(
                copy.to_string()
                    .contains(&e.to_string()[..e.to_string().len().min(10)])
            );
        }
    }

    #[tokio::test]
    async fn a_dropped_writer_is_an_error_not_an_acknowledgement() {
        let (tx, future) = AppendFuture::pending();
        drop(tx);
        assert!(matches!(future.await, Err(Error::Closed(_))));
    }
}
