//! `automqd`, the broker: Apache Kafka's wire protocol over streams on shared storage.
//!
//! Its place: the top of the broker side. It owns configuration ([`config`]), the listener ([`server`]) and one
//! handler per Kafka API ([`handlers`]); topics and partitions live on the stream engine ([`topics`]), and so do
//! consumer groups ([`groups`]); the store comes from the backend trait ([`storage`]); [`metrics`] counts
//! requests, bytes and errors and serves them with a health check over HTTP. The binary
//! (`main.rs`) parses flags, binds listeners and runs [`server::run`] until SIGINT or SIGTERM.

pub mod broker;
pub mod config;
pub mod groups;
pub mod handlers;
pub mod metrics;
pub mod server;
pub mod storage;
pub mod topics;
pub mod txn;
