//! OffsetCommit (v2–v9): a group's committed offsets, acknowledged once durable. Members commit with their
//! generation; tools commit to an empty group with generation -1 (which creates the group if needed). Only
//! partitions of existing topics can be committed.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use automq_protocol::kafka_protocol::messages::{
    OffsetCommitRequest, OffsetCommitResponse, TopicName,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use crate::broker::Broker;
use crate::groups::records::TopicPartition;
use crate::groups::{Committer, NewOffset};

pub async fn handle(
    broker: &Broker,
    version: i16,
    req: &OffsetCommitRequest,
) -> OffsetCommitResponse {
    let by = Committer {
        member_id: req.member_id.to_string(),
        instance_id: req.group_instance_id.as_ref().map(|s| s.to_string()),
        generation: req.generation_id_or_member_epoch,
        retention_ms: if version <= 4 {
            req.retention_time_ms
        } else {
            -1
        },
        version,
    };
    // Partitions of topics that do not exist are refused first, as Kafka does; the rest go to the coordinator.
    let known = |topic: &str, partition: i32| {
        broker
            .topics
            .by_name(topic)
            .is_some_and(|t| u32::try_from(partition).is_ok_and(|p| p < t.entry.partitions))
    };
    let mut offsets = Vec::new();
    for t in &req.topics {
        for p in &t.partitions {
            if known(&t.name, p.partition_index) {
                offsets.push(NewOffset {
                    at: TopicPartition {
                        topic: t.name.to_string(),
                        partition: p.partition_index,
                    },
                    offset: p.committed_offset,
                    leader_epoch: p.committed_leader_epoch,
                    metadata: p.committed_metadata.as_ref().map(|m| m.to_string()),
                });
            }
        }
    }
    let results = if offsets.is_empty() {
        Vec::new()
    } else {
        broker.groups.commit(&req.group_id, &by, offsets).await
    };
    // Answer in the request's shape: its topics and partitions, in order.
    let mut results = results.into_iter();
    let topics = req
        .topics
        .iter()
        .map(|t| {
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let error = if known(&t.name, p.partition_index) {
                        results.next().and_then(|(_, e)| e)
                    } else {
                        Some(ResponseError::UnknownTopicOrPartition)
                    };
                    OffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(error.map_or(0, |e| e.code()))
                })
                .collect();
            OffsetCommitResponseTopic::default()
                .with_name(TopicName(StrBytes::from_string(t.name.to_string())))
                .with_partitions(partitions)
        })
        .collect();
    OffsetCommitResponse::default().with_topics(topics)
}
