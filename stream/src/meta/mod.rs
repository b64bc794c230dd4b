//! The metadata log (see the crate docs).
