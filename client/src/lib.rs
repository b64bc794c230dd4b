//! A Kafka client for automq's own tools (`automqctl`, the benchmark, the migrator), speaking to Apache Kafka and
//! to automq alike.
//!
//! It sits on `protocol/` (framing) and the kafka-protocol crate (message types). [`Connection`] is one
//! pipelined broker connection that negotiates API versions on open; [`Client`] bootstraps from a list of
//! servers, keeps the brokers from Metadata, routes each call (controller, partition leader, group coordinator)
//! and retries what Kafka calls retriable within one deadline. The admin calls live one area per module and
//! answer in this crate's own types. Errors name the resource and the Kafka error code ([`Error`]) and map to
//! what a caller should do ([`ErrorKind`]).

mod client;
mod cluster;
mod config;
mod configs;
mod connection;
mod error;
mod groups;
mod offsets;
mod topics;
mod versions;

pub use client::{BrokerInfo, Client, Metadata, PartitionInfo, Resend, Target, TopicInfo};
pub use cluster::{ClusterBroker, ClusterInfo};
pub use config::{ClientConfig, ConfigError, KNOWN_KEYS, split_host_port};
pub use configs::{AlterConfigOp, ConfigEntry, ConfigResource, ConfigSynonym};
pub use connection::Connection;
pub use error::{Error, ErrorKind, KafkaCode, Resource, Result};
pub use groups::{GroupDescription, GroupListing, GroupMember, decode_assignment};
pub use offsets::{ListedOffset, OffsetSpec, TopicPartition};
pub use topics::{CreatedTopic, NewTopic};
pub use versions::{BrokerVersions, NoCommonVersion, client_range, negotiate};

pub use kafka_protocol;
