//! Caches: recent appends for tailing readers ([`LogCache`]).

mod log_cache;

pub use log_cache::LogCache;
