//! Caches: recent appends for tailing readers ([`LogCache`]), and blocks and indexes of objects for reads that
//! go to the store ([`BlockCache`]).

mod block_cache;
mod log_cache;

pub use block_cache::{BlockCache, BlockCacheStats, BlockKey};
pub use log_cache::LogCache;
