//! ListOffsets: the earliest and latest offsets of a partition, the first offset at or after a timestamp, and the
//! offset of the largest timestamp.
//!
//! Special timestamps, as Kafka defines them: -1 latest (the high watermark, or with read_committed the last
//! stable offset), -2 earliest (the log start offset), -3 the record with the largest timestamp, -4 earliest
//! local (the same as earliest: everything is on shared storage), -5 latest tiered (none: -1).

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use automq_protocol::kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

use crate::broker::Broker;
use crate::topics::PartitionError;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;

pub async fn handle(
    broker: &Broker,
    version: i16,
    req: &ListOffsetsRequest,
) -> ListOffsetsResponse {
    // Before v4 the answer has no leader epoch (and must not carry one).
    let epoch = |e: i32| if version >= 4 { e } else { -1 };
    let mut topics = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let topic = broker.topics.by_name(t.name.as_str());
        let mut partitions = Vec::with_capacity(t.partitions.len());
        for p in &t.partitions {
            let resp =
                ListOffsetsPartitionResponse::default().with_partition_index(p.partition_index);
            let found = match &topic {
                None => Err(PartitionError::new(
                    ResponseError::UnknownTopicOrPartition,
                    format!("topic `{}` does not exist", t.name.as_str()),
                )),
                Some(topic) => {
                    lookup(
                        broker,
                        topic,
                        p.partition_index,
                        p.current_leader_epoch,
                        p.timestamp,
                        req.isolation_level == 1,
                    )
                    .await
                }
            };
            partitions.push(match found {
                Ok((timestamp, offset, leader_epoch)) => resp
                    .with_timestamp(timestamp)
                    .with_offset(offset)
                    .with_leader_epoch(epoch(leader_epoch)),
                Err(e) => resp
                    .with_error_code(e.code.code())
                    .with_timestamp(-1)
                    .with_offset(-1)
                    .with_leader_epoch(-1),
            });
        }
        topics.push(
            ListOffsetsTopicResponse::default()
                .with_name(t.name.clone())
                .with_partitions(partitions),
        );
    }
    ListOffsetsResponse::default().with_topics(topics)
}

/// `(timestamp, offset, leader epoch)`; `(-1, -1, -1)` when nothing matches.
async fn lookup(
    broker: &Broker,
    topic: &crate::topics::Topic,
    index: i32,
    current_leader_epoch: i32,
    timestamp: i64,
    committed: bool,
) -> Result<(i64, i64, i32), PartitionError> {
    let p = broker.topics.partition(topic, index).await?;
    if current_leader_epoch >= 0 && current_leader_epoch != p.leader_epoch {
        let code = if current_leader_epoch < p.leader_epoch {
            ResponseError::FencedLeaderEpoch
        } else {
            ResponseError::UnknownLeaderEpoch
        };
        return Err(PartitionError::new(code, "leader epoch mismatch"));
    }
    let (start, hw) = p.offsets();
    let none = (-1, -1, -1);
    Ok(match timestamp {
        LATEST if committed => (-1, p.last_stable_offset(), p.leader_epoch),
        LATEST => (-1, hw, p.leader_epoch),
        EARLIEST | EARLIEST_LOCAL => (-1, start, p.leader_epoch),
        LATEST_TIERED => none,
        MAX_TIMESTAMP => p
            .max_timestamp()
            .await?
            .map_or(none, |(ts, offset)| (ts, offset, p.leader_epoch)),
        t if t >= 0 => p.offset_for_time(t).await?.unwrap_or(none),
        t => {
            return Err(PartitionError::new(
                ResponseError::InvalidRequest,
                format!("timestamp {t} is not a time or one of -1 to -5"),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use crate::topics::Appended;
    use automq_protocol::batch::testing::producer_batch;
    use automq_protocol::kafka_protocol::messages::TopicName;
    use automq_protocol::kafka_protocol::messages::list_offsets_request::{
        ListOffsetsPartition, ListOffsetsTopic,
    };
    use automq_protocol::kafka_protocol::protocol::StrBytes;
    use automq_protocol::kafka_protocol::records::Compression;

    async fn ask(b: &Broker, timestamp: i64) -> (i16, i64, i64) {
        let req = ListOffsetsRequest::default().with_topics(vec![
            ListOffsetsTopic::default()
                .with_name(TopicName(StrBytes::from_static_str("t")))
                .with_partitions(vec![
                    ListOffsetsPartition::default()
                        .with_partition_index(0)
                        .with_timestamp(timestamp)
                        .with_current_leader_epoch(-1),
                ]),
        ]);
        let r = &handle(b, 9, &req).await.topics[0].partitions[0];
        (r.error_code, r.timestamp, r.offset)
    }

    async fn append(b: &Broker, n: usize, ts: i64) {
        let t = b.topics.by_name("t").unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        let batch = producer_batch(n, ts, Compression::None);
        let Appended::New { pending, .. } = p.append(&batch, &t.config, ts).unwrap() else {
            panic!("new")
        };
        p.durable(pending).await.unwrap();
    }

    #[tokio::test]
    async fn earliest_latest_by_time_and_max_time() {
        let b = testing::broker().await;
        b.topics
            .create("t", Some(1), Default::default(), false)
            .await
            .unwrap();
        assert_eq!(ask(&b, LATEST).await, (0, -1, 0));
        assert_eq!(ask(&b, MAX_TIMESTAMP).await, (0, -1, -1), "empty");
        // Timestamps 1000..1004 at offsets 0..4, 5000..5002 at 5..7, then 3000..3001 at 8..9.
        append(&b, 5, 1000).await;
        append(&b, 3, 5000).await;
        append(&b, 2, 3000).await;
        assert_eq!(ask(&b, EARLIEST).await, (0, -1, 0));
        assert_eq!(ask(&b, LATEST).await, (0, -1, 10));
        assert_eq!(ask(&b, 0).await, (0, 1000, 0));
        assert_eq!(ask(&b, 1003).await, (0, 1003, 3));
        assert_eq!(
            ask(&b, 1005).await,
            (0, 5000, 5),
            "the first record at or after the time"
        );
        assert_eq!(ask(&b, 5002).await, (0, 5002, 7));
        assert_eq!(ask(&b, 9999).await, (0, -1, -1), "nothing that late");
        assert_eq!(ask(&b, MAX_TIMESTAMP).await, (0, 5002, 7));
        assert_eq!(ask(&b, -7).await.0, ResponseError::InvalidRequest.code());
    }
}
