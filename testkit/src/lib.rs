//! Test support shared by automq's integration tests: real peers from `dev/peers`, the broker binary as a child
//! process, and a raw Kafka connection for requests no client library sends on demand.
//!
//! Peer tests are marked `#[ignore = "peers: …"]` and run by `dev/test` (which brings the peers up) with
//! `--include-ignored`. A peer test that runs without its peer fails: it never passes silently.

// This crate exists to fail tests loudly: panicking with the reason is its job.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

pub mod broker;
pub mod kafka;
pub mod peers;
pub mod store;

/// The workspace root (the folder holding `dev/`).
pub fn repo_root() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| here.to_path_buf())
}
