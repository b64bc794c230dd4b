//! TxnOffsetCommit: a consumer group's offsets as part of a transaction. They are held by the transaction
//! coordinator and written to the group (visible to OffsetFetch) only when the transaction commits; an abort
//! drops them. The group must have been added with AddOffsetsToTxn; partitions of topics that do not exist are
//! refused.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use automq_protocol::kafka_protocol::messages::{TxnOffsetCommitRequest, TxnOffsetCommitResponse};
use tracing::warn;

use crate::broker::Broker;
use crate::groups::NewOffset;
use crate::groups::records::TopicPartition;

pub async fn handle(broker: &Broker, req: &TxnOffsetCommitRequest) -> TxnOffsetCommitResponse {
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
    let outcome = broker
        .txn
        .add_offsets(
            &req.transactional_id,
            req.producer_id.0,
            req.producer_epoch,
            &req.group_id,
            offsets,
        )
        .await;
    if let Err((_, m)) = &outcome {
        warn!("TxnOffsetCommit refused: {m}");
    }
    let topics = req
        .topics
        .iter()
        .map(|t| {
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let code = match &outcome {
                        Err((e, _)) => e.code(),
                        Ok(()) if !known(&t.name, p.partition_index) => {
                            ResponseError::UnknownTopicOrPartition.code()
                        }
                        Ok(()) => 0,
                    };
                    TxnOffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(code)
                })
                .collect();
            TxnOffsetCommitResponseTopic::default()
                .with_name(t.name.clone())
                .with_partitions(partitions)
        })
        .collect();
    TxnOffsetCommitResponse::default().with_topics(topics)
}
