//! The stream storage engine: Kafka partitions as streams on shared storage.
//!
//! Its place: below the broker (`automqd`), above the backends (`automq-backend`). The engine is written once over
//! `object_store::ObjectStore` as a backend builds it, and knows nothing of Kafka requests: a stream is a sequence
//! of opaque batches, each covering a run of record offsets, owned by one node at a time at an epoch.
//!
//! - [`wal`]: where an append becomes durable before it is acknowledged (a file WAL with group commit, or an
//!   object WAL batching every stream's appends into one object per interval).
//! - [`object`]: the self-describing object format (data blocks, an index, a footer with a magic number) that
//!   uploads write and reads range over.
//! - [`meta`]: the metadata log, built only on create-if-absent of sequenced keys; streams, their owners and
//!   epochs, objects and node registrations are records in it, and epochs fence stale owners.

pub mod cache;
pub mod engine;
pub mod error;
pub mod meta;
pub mod object;
pub mod types;
pub mod wal;

pub use error::{Error, ErrorKind, Result};
pub use types::{Batch, Epoch, NodeId, Offset, StreamId};
