//! The stream storage engine: Kafka partitions as streams on shared storage.
//!
//! Its place: below the broker (`automqd`), above the backends (`automq-backend`). It will hold the WAL kinds, the
//! log and block caches, stream-set and stream objects, compaction, the metadata log and fencing by epoch. The
//! engine is written once over `object_store::ObjectStore`, as built by a backend.
