//! The object format: what an upload writes and what a cold read ranges over.
//!
//! An object holds batches of one or many streams (a stream-set object) or of one stream (a stream object), in
//! the same layout:
//!
//! ```text
//! [data block]*  [index: one 40-byte entry per block]  [footer: 32 bytes, ends with the magic number]
//! ```
//!
//! A data block is a run of one stream's batches, dense in offsets, each framed as
//! `base_offset u64 | count u32 | len u32 | payload`. Blocks are cut at a target size so one ranged GET of a
//! block serves a fetch; the index entry of a block names its stream, its offset range, its position and size, and
//! a CRC32C of its bytes, so a reader can find a stream's range from the index alone and detect damage before it
//! serves a byte. Entries are sorted by (stream, start offset). All integers are big-endian. The format is
//! described with its invariants in docs/object-format.md.

mod format;
mod reader;

pub use format::{
    FOOTER_LEN, Footer, INDEX_ENTRY_LEN, IndexEntry, MAGIC, ObjectWriter, VERSION, decode_block,
    decode_footer, decode_index,
};
pub use reader::ObjectReader;

pub use crate::types::ObjectId;

/// Where object `id` lives under `prefix`. The id's hex digits are reversed so consecutive ids spread over the
/// store's key space (S3 partitions by key prefix).
pub fn object_key(prefix: &str, id: ObjectId) -> object_store::path::Path {
    let hex: String = format!("{id:016x}").chars().rev().collect();
    object_store::path::Path::from(format!("{}/data/{hex}", prefix.trim_end_matches('/')))
}
