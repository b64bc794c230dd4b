//! The cluster metadata records: what brokers and the controller write to the metadata log.
//!
//! Each record states the epochs it assumes (a commit names its node epoch and its stream epochs, a close names
//! the stream epoch), so whether it takes effect is decided when it is applied, against the state at its place
//! in the log, identically on every replica. See [`ClusterState`](super::ClusterState) for the rules.

use serde::{Deserialize, Serialize};

use crate::types::{Epoch, NodeId, Offset, StreamId, StreamRange};

pub use crate::types::ObjectId;

/// An object as a commit or a compaction introduces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewObject {
    pub id: ObjectId,
    /// Where the object lives on the data store.
    pub key: String,
    pub size: u64,
    /// The offsets it holds, at most one range per stream.
    pub ranges: Vec<StreamRange>,
}

/// A stream epoch a commit asserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamEpoch {
    pub stream: StreamId,
    pub epoch: Epoch,
}

/// A node at the registration epoch it believes current: who carries out a compaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeEpoch {
    pub node: NodeId,
    pub epoch: Epoch,
}

/// Who commits an object, and the epochs it believes it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitAuthority {
    pub node: NodeId,
    pub node_epoch: Epoch,
    /// One entry per stream the object covers.
    pub stream_epochs: Vec<StreamEpoch>,
}

impl CommitAuthority {
    pub fn epoch_of(&self, stream: StreamId) -> Option<Epoch> {
        self.stream_epochs
            .iter()
            .find(|s| s.stream == stream)
            .map(|s| s.epoch)
    }
}

/// One change to the cluster's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MetaRecord {
    /// A node (re)starts: `epoch` exceeds every epoch it registered or was fenced at.
    NodeRegistered {
        node: NodeId,
        epoch: Epoch,
        address: String,
    },
    /// Every epoch of `node` up to `epoch` is dead: its later commits at those epochs are refused.
    NodeFenced { node: NodeId, epoch: Epoch },
    /// A new stream, empty, starting at `start`. `stream` must be the next free id; `name` must be unused.
    StreamCreated {
        stream: StreamId,
        name: String,
        start: Offset,
    },
    /// `node` owns `stream` from `epoch` on, fencing every lower epoch.
    StreamOpened {
        stream: StreamId,
        epoch: Epoch,
        node: NodeId,
    },
    /// The owner at `epoch` stops, with everything up to `end_offset` committed.
    StreamClosed {
        stream: StreamId,
        epoch: Epoch,
        end_offset: Offset,
    },
    /// An uploaded object becomes part of the streams it covers, appended at their ends.
    ObjectCommitted {
        object: NewObject,
        by: CommitAuthority,
    },
    /// Offsets below `start` are no longer served.
    StreamTrimmed { stream: StreamId, start: Offset },
    /// `added` replace `removed`, covering the same offsets (less what was trimmed). `by`, when present, is the
    /// compacting node: a compaction by a node fenced since (taken over, restarted) is refused.
    ObjectsCompacted {
        removed: Vec<ObjectId>,
        added: Vec<NewObject>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<NodeEpoch>,
    },
    /// An unreferenced object was deleted from the data store and is forgotten.
    ObjectDeleted { object: ObjectId },
    /// `stream` is gone: its objects lose their references, its name is free again, its id is never reused.
    StreamDeleted { stream: StreamId },
    /// Sets a named entry of an upper layer's registry (the broker keeps its topics here). The engine stores the
    /// value as given and never interprets it; the writer decides the value against the state it read, and the
    /// log's create-if-absent sequencing makes that decision atomic.
    EntryPut {
        key: String,
        value: serde_json::Value,
    },
    /// Removes a named entry; `key` must exist.
    EntryDeleted { key: String },
}

impl MetaRecord {
    /// A short name for logs and messages.
    pub fn kind(&self) -> &'static str {
        match self {
            MetaRecord::NodeRegistered { .. } => "node_registered",
            MetaRecord::NodeFenced { .. } => "node_fenced",
            MetaRecord::StreamCreated { .. } => "stream_created",
            MetaRecord::StreamOpened { .. } => "stream_opened",
            MetaRecord::StreamClosed { .. } => "stream_closed",
            MetaRecord::ObjectCommitted { .. } => "object_committed",
            MetaRecord::StreamTrimmed { .. } => "stream_trimmed",
            MetaRecord::ObjectsCompacted { .. } => "objects_compacted",
            MetaRecord::ObjectDeleted { .. } => "object_deleted",
            MetaRecord::StreamDeleted { .. } => "stream_deleted",
            MetaRecord::EntryPut { .. } => "entry_put",
            MetaRecord::EntryDeleted { .. } => "entry_deleted",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_tagged_json() {
        let r = MetaRecord::StreamOpened {
            stream: 3,
            epoch: 6,
            node: 2,
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"type":"stream_opened","stream":3,"epoch":6,"node":2}"#
        );
        assert_eq!(serde_json::from_str::<MetaRecord>(&json).unwrap(), r);
        assert_eq!(r.kind(), "stream_opened");
        assert!(
            serde_json::from_str::<MetaRecord>(r#"{"type":"stream_renamed","stream":3}"#).is_err()
        );
    }
}
