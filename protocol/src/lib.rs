//! Kafka wire framing for automq: the layer between a socket's bytes and typed requests.
//!
//! This crate is sans-I/O. [`frame`] finds complete size-prefixed frames in a buffer and refuses oversized or
//! negative lengths before any allocation; [`request`] turns one frame into a header and a typed body, telling an
//! unknown API key or an unsupported version apart from a malformed body so the broker can answer each correctly;
//! [`response`] encodes a typed response with the header version its API and version require.
//!
//! Which APIs and versions the broker *implements* is not decided here: the broker passes its own table.
//!
//! [`alloc::ReserveLazily`] is the global allocator every binary that decodes untrusted requests installs: it keeps
//! a decoder's oversized up-front allocation from aborting the process.

pub mod alloc;
pub mod batch;
pub mod frame;
pub mod request;
pub mod response;

pub use kafka_protocol;
pub use kafka_protocol::messages::ApiKey;
pub use kafka_protocol::protocol::VersionRange;
