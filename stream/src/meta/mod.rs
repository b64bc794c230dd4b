//! The metadata log: cluster metadata (nodes and their epochs, streams with their owners, epochs and offset
//! ranges, the objects holding them) as a sequence of records on an object store, built only on create-if-absent
//! of sequenced keys, with periodic snapshots. Brokers tail it; epochs in its records fence stale owners. The
//! design note is docs/metadata-log.md.
//!
//! Layers, each usable without the ones above it:
//!
//! - [`LogStore`] (`log.rs`): the objects: entries at `<prefix>/log/<seq>`, snapshots at `<prefix>/snapshot/<seq>`,
//!   probing, listing, garbage collection. Framing is in `frame.rs`.
//! - [`LogCursor`] (`cursor.rs`): a position with the right to append after it; sequence races reported as
//!   conflicts; lost answers resolved by reading back; the anchor check that keeps a stalled process from
//!   appending into, or reading from, a collected part of the log.
//! - [`Replica`] (`replica.rs`): any deterministic [`StateMachine`] kept equal to the log, restarting from the
//!   latest snapshot when collection overtakes it.
//! - [`EpochFence`] (`fence.rs`): the fencing rule, free of domain.
//! - [`ClusterState`] and [`MetaRecord`] (`state.rs`, `records.rs`): the cluster's metadata and its rules.
//! - [`MetaClient`] (`client.rs`): what a broker uses: catch up, propose, get `Ok(seq)` or `Fenced`.
//!
//! Injected: the clock ([`Clock`]), the writer id, and named pause points ([`Failpoints`]) for race tests.

mod client;
mod clock;
mod cursor;
mod failpoint;
mod fence;
mod frame;
mod log;
mod records;
mod replica;
mod state;

#[cfg(test)]
mod tests;

pub use client::{MetaClient, MetaConfig, points as client_points};
pub use clock::{Clock, ManualClock, SystemClock};
pub use cursor::{Append, LogCursor, Poll, points as cursor_points};
pub use failpoint::{Failpoints, Paused, hit as failpoint_hit};
pub use fence::{EpochFence, FenceError, FenceState};
pub use frame::{
    Entry, EntryId, FRAME_VERSION, SEQ_DIGITS, Seq, Snapshot, WriterId, WriterMark, decode_entry,
    decode_snapshot, encode_entry, encode_snapshot,
};
pub use log::{GcReport, LogStore};
pub use records::{CommitAuthority, MetaRecord, NewObject, NodeEpoch, ObjectId, StreamEpoch};
pub use replica::{Applied, Applying, Outcome, Replica, ReplicaAppend, StateMachine};
pub use state::{
    ClusterState, IndexEntry, NodeInfo, ObjectMeta, Rejection, StreamMeta, Unreferenced,
};
