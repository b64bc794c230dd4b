//! One handler per Kafka API, and the one table saying which APIs and versions are implemented.
//!
//! Handlers take a decoded request and return a typed response: no sockets, so each is tested directly.

mod alter_configs;
mod api_versions;
mod create_partitions;
mod create_topics;
mod delete_records;
mod delete_topics;
mod describe_cluster;
mod describe_configs;
mod describe_log_dirs;
mod fetch;
pub mod fetch_session;
mod incremental_alter_configs;
mod init_producer_id;
mod list_offsets;
mod metadata;
mod offset_for_leader_epoch;
mod produce;

// The classic consumer-group protocol (the coordinator is in crate::groups).
mod delete_groups;
mod describe_groups;
mod find_coordinator;
#[cfg(test)]
mod groups_tests;
mod heartbeat;
mod join_group;
mod leave_group;
mod list_groups;
mod offset_commit;
mod offset_delete;
mod offset_fetch;
mod sync_group;

// Transactions (the coordinator is in crate::txn).
mod add_offsets_to_txn;
mod add_partitions_to_txn;
mod describe_producers;
mod end_txn;
mod list_transactions;
mod txn_offset_commit;
#[cfg(test)]
mod txn_tests;

use automq_protocol::kafka_protocol::messages::{RequestKind, ResponseKind};
use automq_protocol::{ApiKey, VersionRange};

use crate::broker::Broker;

/// The APIs this broker implements, with the versions it implements and tests. ApiVersions advertises exactly
/// this table; a request outside it is refused before decoding.
pub const SUPPORTED: &[(ApiKey, VersionRange)] = &[
    (ApiKey::Produce, VersionRange { min: 3, max: 13 }),
    (ApiKey::Fetch, VersionRange { min: 4, max: 18 }),
    (ApiKey::ListOffsets, VersionRange { min: 1, max: 10 }),
    (ApiKey::Metadata, VersionRange { min: 0, max: 13 }),
    (ApiKey::ApiVersions, VersionRange { min: 0, max: 4 }),
    (ApiKey::CreateTopics, VersionRange { min: 2, max: 7 }),
    (ApiKey::DeleteTopics, VersionRange { min: 1, max: 6 }),
    (ApiKey::InitProducerId, VersionRange { min: 0, max: 5 }),
    (ApiKey::DescribeConfigs, VersionRange { min: 1, max: 4 }),
    (ApiKey::DescribeCluster, VersionRange { min: 0, max: 2 }),
    // Consumer groups.
    (ApiKey::FindCoordinator, VersionRange { min: 0, max: 6 }),
    (ApiKey::JoinGroup, VersionRange { min: 0, max: 9 }),
    (ApiKey::SyncGroup, VersionRange { min: 0, max: 5 }),
    (ApiKey::Heartbeat, VersionRange { min: 0, max: 4 }),
    (ApiKey::LeaveGroup, VersionRange { min: 0, max: 5 }),
    (ApiKey::OffsetCommit, VersionRange { min: 2, max: 9 }),
    (ApiKey::OffsetFetch, VersionRange { min: 1, max: 9 }),
    (ApiKey::OffsetDelete, VersionRange { min: 0, max: 0 }),
    (ApiKey::ListGroups, VersionRange { min: 0, max: 5 }),
    (ApiKey::DescribeGroups, VersionRange { min: 0, max: 6 }),
    (ApiKey::DeleteGroups, VersionRange { min: 0, max: 2 }),
    // Transactions.
    (ApiKey::AddPartitionsToTxn, VersionRange { min: 0, max: 3 }),
    (ApiKey::AddOffsetsToTxn, VersionRange { min: 0, max: 4 }),
    (ApiKey::EndTxn, VersionRange { min: 0, max: 4 }),
    (ApiKey::TxnOffsetCommit, VersionRange { min: 0, max: 3 }),
    (ApiKey::ListTransactions, VersionRange { min: 0, max: 1 }),
    (
        ApiKey::DescribeTransactions,
        VersionRange { min: 0, max: 0 },
    ),
    (ApiKey::DescribeProducers, VersionRange { min: 0, max: 0 }),
    // Topic and broker administration beyond create and delete.
    (ApiKey::CreatePartitions, VersionRange { min: 0, max: 3 }),
    (ApiKey::AlterConfigs, VersionRange { min: 0, max: 2 }),
    (
        ApiKey::IncrementalAlterConfigs,
        VersionRange { min: 0, max: 1 },
    ),
    // Log start, leader epochs and sizes.
    (ApiKey::DeleteRecords, VersionRange { min: 0, max: 2 }),
    (
        ApiKey::OffsetForLeaderEpoch,
        VersionRange { min: 2, max: 4 },
    ),
    (ApiKey::DescribeLogDirs, VersionRange { min: 1, max: 4 }),
];

pub fn supported(api_key: ApiKey) -> Option<VersionRange> {
    SUPPORTED
        .iter()
        .find(|(k, _)| *k == api_key)
        .map(|(_, r)| *r)
}

/// Who sent a request: the client id of its header and the address it came from (as Kafka shows it, `/ip`).
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub id: String,
    pub host: String,
}

/// What to do after a request.
#[derive(Debug)]
pub enum Reply {
    Respond(Box<ResponseKind>),
    /// Nothing is sent back (a produce with `acks=0`).
    Nothing,
    /// Close the connection, with the reason for the log (a failed `acks=0` produce, as Kafka does).
    Close(String),
}

/// Answers one request. Requests of APIs not in [`SUPPORTED`] never reach here (decoding refuses them); `None`
/// means an advertised API has no handler, a bug.
pub async fn handle(
    broker: &Broker,
    client: &Client,
    version: i16,
    body: RequestKind,
) -> Option<Reply> {
    let respond = |r: ResponseKind| Some(Reply::Respond(Box::new(r)));
    match body {
        RequestKind::ApiVersions(req) => {
            respond(ResponseKind::ApiVersions(api_versions::handle(&req)))
        }
        RequestKind::Metadata(req) => respond(ResponseKind::Metadata(
            metadata::handle(broker, version, &req).await,
        )),
        RequestKind::Produce(req) => Some(produce::handle(broker, version, req).await),
        RequestKind::Fetch(req) => respond(ResponseKind::Fetch(
            fetch::handle(broker, version, &req).await,
        )),
        RequestKind::ListOffsets(req) => respond(ResponseKind::ListOffsets(
            list_offsets::handle(broker, version, &req).await,
        )),
        RequestKind::CreateTopics(req) => respond(ResponseKind::CreateTopics(
            create_topics::handle(broker, &req).await,
        )),
        RequestKind::DeleteTopics(req) => respond(ResponseKind::DeleteTopics(
            delete_topics::handle(broker, version, &req).await,
        )),
        RequestKind::InitProducerId(req) => respond(ResponseKind::InitProducerId(
            init_producer_id::handle(broker, &req).await,
        )),
        RequestKind::DescribeConfigs(req) => respond(ResponseKind::DescribeConfigs(
            describe_configs::handle(broker, version, &req),
        )),
        RequestKind::DescribeCluster(req) => respond(ResponseKind::DescribeCluster(
            describe_cluster::handle(broker, &req),
        )),
        // Consumer groups.
        RequestKind::FindCoordinator(req) => respond(ResponseKind::FindCoordinator(
            find_coordinator::handle(broker, version, &req).await,
        )),
        RequestKind::JoinGroup(req) => respond(ResponseKind::JoinGroup(
            join_group::handle(broker, client, version, &req).await,
        )),
        RequestKind::SyncGroup(req) => respond(ResponseKind::SyncGroup(
            sync_group::handle(broker, version, req).await,
        )),
        RequestKind::Heartbeat(req) => respond(ResponseKind::Heartbeat(
            heartbeat::handle(broker, &req).await,
        )),
        RequestKind::LeaveGroup(req) => respond(ResponseKind::LeaveGroup(
            leave_group::handle(broker, version, &req).await,
        )),
        RequestKind::OffsetCommit(req) => respond(ResponseKind::OffsetCommit(
            offset_commit::handle(broker, version, &req).await,
        )),
        RequestKind::OffsetFetch(req) => respond(ResponseKind::OffsetFetch(
            offset_fetch::handle(broker, version, &req).await,
        )),
        RequestKind::OffsetDelete(req) => respond(ResponseKind::OffsetDelete(
            offset_delete::handle(broker, &req).await,
        )),
        RequestKind::ListGroups(req) => respond(ResponseKind::ListGroups(
            list_groups::handle(broker, version, &req).await,
        )),
        RequestKind::DescribeGroups(req) => respond(ResponseKind::DescribeGroups(
            describe_groups::handle(broker, version, &req).await,
        )),
        RequestKind::DeleteGroups(req) => respond(ResponseKind::DeleteGroups(
            delete_groups::handle(broker, &req).await,
        )),
        // Transactions.
        RequestKind::AddPartitionsToTxn(req) => respond(ResponseKind::AddPartitionsToTxn(
            add_partitions_to_txn::handle(broker, &req).await,
        )),
        RequestKind::AddOffsetsToTxn(req) => respond(ResponseKind::AddOffsetsToTxn(
            add_offsets_to_txn::handle(broker, &req).await,
        )),
        RequestKind::EndTxn(req) => {
            respond(ResponseKind::EndTxn(end_txn::handle(broker, &req).await))
        }
        RequestKind::TxnOffsetCommit(req) => respond(ResponseKind::TxnOffsetCommit(
            txn_offset_commit::handle(broker, &req).await,
        )),
        RequestKind::ListTransactions(req) => respond(ResponseKind::ListTransactions(
            list_transactions::list(broker, &req).await,
        )),
        RequestKind::DescribeTransactions(req) => respond(ResponseKind::DescribeTransactions(
            list_transactions::describe(broker, &req).await,
        )),
        RequestKind::DescribeProducers(req) => respond(ResponseKind::DescribeProducers(
            describe_producers::handle(broker, &req).await,
        )),
        // Topic and broker administration beyond create and delete.
        RequestKind::CreatePartitions(req) => respond(ResponseKind::CreatePartitions(
            create_partitions::handle(broker, &req).await,
        )),
        RequestKind::AlterConfigs(req) => respond(ResponseKind::AlterConfigs(
            alter_configs::handle(broker, &req).await,
        )),
        RequestKind::IncrementalAlterConfigs(req) => {
            respond(ResponseKind::IncrementalAlterConfigs(
                incremental_alter_configs::handle(broker, &req).await,
            ))
        }
        // Log start, leader epochs and sizes.
        RequestKind::DeleteRecords(req) => respond(ResponseKind::DeleteRecords(
            delete_records::handle(broker, &req).await,
        )),
        RequestKind::OffsetForLeaderEpoch(req) => respond(ResponseKind::OffsetForLeaderEpoch(
            offset_for_leader_epoch::handle(broker, &req).await,
        )),
        RequestKind::DescribeLogDirs(req) => respond(ResponseKind::DescribeLogDirs(
            describe_log_dirs::handle(broker, &req).await,
        )),
        _ => None,
    }
}

pub use api_versions::unsupported_version_response;
