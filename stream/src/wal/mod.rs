//! The write-ahead log kinds (see the crate docs).
