//! OffsetForLeaderEpoch: where a leader epoch of a partition ended, from the partition's leader-epoch history
//! (docs/partitions.md). Consumers ask it after a leader change to detect a truncated log; the answer is Kafka's:
//! the current epoch ends at the high watermark, an earlier one where the next recorded epoch starts (with the
//! largest recorded epoch not above it), an epoch after every recorded one is undefined (-1, -1).
//!
//! A `current_leader_epoch` below the partition's is FENCED_LEADER_EPOCH, above it UNKNOWN_LEADER_EPOCH.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderTopicResult,
};
use automq_protocol::kafka_protocol::messages::{
    OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse,
};

use crate::broker::Broker;
use crate::topics::PartitionError;

pub async fn handle(
    broker: &Broker,
    req: &OffsetForLeaderEpochRequest,
) -> OffsetForLeaderEpochResponse {
    let mut topics = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let topic = broker.topics.by_name(t.topic.as_str());
        let mut partitions = Vec::with_capacity(t.partitions.len());
        for p in &t.partitions {
            let result = match &topic {
                None => Err(PartitionError::new(
                    ResponseError::UnknownTopicOrPartition,
                    format!("topic `{}` does not exist", t.topic.as_str()),
                )),
                Some(topic) => match broker.topics.partition(topic, p.partition).await {
                    Err(e) => Err(e),
                    Ok(part)
                        if p.current_leader_epoch >= 0
                            && p.current_leader_epoch < part.leader_epoch =>
                    {
                        Err(PartitionError::new(
                            ResponseError::FencedLeaderEpoch,
                            "stale leader epoch",
                        ))
                    }
                    Ok(part) if p.current_leader_epoch > part.leader_epoch => {
                        Err(PartitionError::new(
                            ResponseError::UnknownLeaderEpoch,
                            "leader epoch from the future",
                        ))
                    }
                    Ok(part) => Ok(part.end_offset_for(p.leader_epoch)),
                },
            };
            let r = EpochEndOffset::default().with_partition(p.partition);
            partitions.push(match result {
                Ok((epoch, end)) => r.with_leader_epoch(epoch).with_end_offset(end),
                Err(e) => r
                    .with_error_code(e.code.code())
                    .with_leader_epoch(-1)
                    .with_end_offset(-1),
            });
        }
        topics.push(
            OffsetForLeaderTopicResult::default()
                .with_topic(t.topic.clone())
                .with_partitions(partitions),
        );
    }
    OffsetForLeaderEpochResponse::default().with_topics(topics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use crate::topics::Appended;
    use automq_protocol::batch::testing::producer_batch;
    use automq_protocol::kafka_protocol::messages::TopicName;
    use automq_protocol::kafka_protocol::messages::offset_for_leader_epoch_request::{
        OffsetForLeaderPartition, OffsetForLeaderTopic,
    };
    use automq_protocol::kafka_protocol::protocol::StrBytes;
    use automq_protocol::kafka_protocol::records::Compression;
    use std::sync::Arc;

    fn ask(topic: &str, current: i32, epoch: i32) -> OffsetForLeaderEpochRequest {
        OffsetForLeaderEpochRequest::default().with_topics(vec![
            OffsetForLeaderTopic::default()
                .with_topic(TopicName(StrBytes::from_string(topic.into())))
                .with_partitions(vec![
                    OffsetForLeaderPartition::default()
                        .with_partition(0)
                        .with_current_leader_epoch(current)
                        .with_leader_epoch(epoch),
                ]),
        ])
    }

    async fn answer(b: &Broker, topic: &str, current: i32, epoch: i32) -> (i16, i32, i64) {
        let r = &handle(b, &ask(topic, current, epoch)).await.topics[0].partitions[0];
        (r.error_code, r.leader_epoch, r.end_offset)
    }

    #[tokio::test]
    async fn epochs_end_where_the_next_one_began() {
        let store: Arc<dyn object_store::ObjectStore> =
            Arc::new(object_store::memory::InMemory::new());
        let defaults = crate::topics::TopicDefaults {
            auto_create: false,
            partitions: 1,
        };
        let mut epochs = Vec::new();
        for round in 0..3 {
            let b = testing::broker_on(store.clone(), defaults).await;
            if round == 0 {
                b.topics
                    .create("t", Some(1), Default::default(), false)
                    .await
                    .unwrap();
            }
            let t = b.topics.by_name("t").unwrap();
            let p = b.topics.partition(&t, 0).await.unwrap();
            epochs.push(p.leader_epoch);
            let Appended::New { pending, .. } = p
                .append(&producer_batch(5, 0, Compression::None), &t.config, 0)
                .unwrap()
            else {
                panic!("new")
            };
            p.durable(pending).await.unwrap();
            if round < 2 {
                b.topics.shutdown().await.unwrap();
                continue;
            }
            let (e0, e1, e2) = (epochs[0], epochs[1], epochs[2]);
            assert_eq!(answer(&b, "t", -1, e0).await, (0, e0, 5));
            assert_eq!(answer(&b, "t", e2, e1).await, (0, e1, 10));
            assert_eq!(
                answer(&b, "t", e2, e2).await,
                (0, e2, 15),
                "the current epoch ends at the high watermark"
            );
            assert_eq!(answer(&b, "t", -1, e2 + 5).await, (0, -1, -1));
            assert_eq!(
                answer(&b, "t", e2 - 1, e2).await.0,
                ResponseError::FencedLeaderEpoch.code()
            );
            assert_eq!(
                answer(&b, "t", e2 + 1, e2).await.0,
                ResponseError::UnknownLeaderEpoch.code()
            );
            assert_eq!(
                answer(&b, "nope", -1, 0).await.0,
                ResponseError::UnknownTopicOrPartition.code()
            );
            // Records deleted past the first epoch: it is gone from the history, and ends where the log now starts.
            p.delete_records(12).await.unwrap();
            assert_eq!(answer(&b, "t", -1, e0).await, (0, e0, 12));
            assert_eq!(answer(&b, "t", -1, e1).await, (0, e1, 12));
        }
    }
}
