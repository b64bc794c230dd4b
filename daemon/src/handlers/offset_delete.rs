//! OffsetDelete: removes a group's committed offsets of some partitions, refused for topics a member of the
//! group still subscribes to. Partitions of topics that do not exist are UNKNOWN_TOPIC_OR_PARTITION.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use automq_protocol::kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};

use crate::broker::Broker;
use crate::groups::records::TopicPartition;

pub async fn handle(broker: &Broker, req: &OffsetDeleteRequest) -> OffsetDeleteResponse {
    let known = |topic: &str, partition: i32| {
        broker
            .topics
            .by_name(topic)
            .is_some_and(|t| u32::try_from(partition).is_ok_and(|p| p < t.entry.partitions))
    };
    let partitions = req
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .filter(|p| known(&t.name, p.partition_index))
                .map(|p| TopicPartition {
                    topic: t.name.to_string(),
                    partition: p.partition_index,
                })
        })
        .collect();
    let results = match broker
        .groups
        .delete_offsets(&req.group_id, partitions)
        .await
    {
        Ok(r) => r,
        Err(e) => return OffsetDeleteResponse::default().with_error_code(e.code()),
    };
    let mut results = results.into_iter();
    let topics = req
        .topics
        .iter()
        .map(|t| {
            OffsetDeleteResponseTopic::default()
                .with_name(t.name.clone())
                .with_partitions(
                    t.partitions
                        .iter()
                        .map(|p| {
                            let error = if known(&t.name, p.partition_index) {
                                results.next().and_then(|(_, e)| e)
                            } else {
                                Some(ResponseError::UnknownTopicOrPartition)
                            };
                            OffsetDeleteResponsePartition::default()
                                .with_partition_index(p.partition_index)
                                .with_error_code(error.map_or(0, |e| e.code()))
                        })
                        .collect(),
                )
        })
        .collect();
    OffsetDeleteResponse::default().with_topics(topics)
}
