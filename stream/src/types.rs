//! The engine's own vocabulary: streams, offsets, epochs, nodes and batches.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// Names a stream. Allocated by the metadata log; never reused.
pub type StreamId = u64;
/// A record offset within a stream. Offsets count records, not bytes, and are dense: a stream's batches cover
/// `[start_offset, next_offset)` without gaps.
pub type Offset = u64;
/// An ownership generation. Opening a stream (or registering a node) at a higher epoch fences every holder of a
/// lower one.
pub type Epoch = u64;
/// A broker's id in the cluster.
pub type NodeId = u32;
/// Names an object on the data store. Allocated by the metadata log: a new object takes the next id after the
/// largest ever committed, so ids are never reused.
pub type ObjectId = u64;

/// A batch as the engine stores it: `count` records starting at `base_offset`, the payload opaque (a Kafka record
/// batch, stored as the client sent it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub stream: StreamId,
    pub base_offset: Offset,
    pub count: u32,
    pub payload: Bytes,
}

impl Batch {
    /// The offset after this batch's last record.
    pub fn end_offset(&self) -> Offset {
        self.base_offset + Offset::from(self.count)
    }
}

/// An offset range `[start, end)` of one stream, as recorded for objects and trims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamRange {
    pub stream: StreamId,
    pub start: Offset,
    pub end: Offset,
}
