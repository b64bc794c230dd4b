//! DeleteRecords: moves a partition's log start offset up to the offset asked for (-1: the high watermark). From
//! then on nothing below it is served: ListOffsets earliest answers the new start, a fetch below it is
//! OFFSET_OUT_OF_RANGE, and the data is garbage once no object holds a served offset. A batch holding the new start
//! stays whole (a consumer skips its earlier records), as in Kafka.
//!
//! A topic whose `cleanup.policy` lacks `delete` refuses with POLICY_VIOLATION, as Kafka does.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use automq_protocol::kafka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};
use tracing::info;

use crate::broker::Broker;
use crate::topics::PartitionError;

pub async fn handle(broker: &Broker, req: &DeleteRecordsRequest) -> DeleteRecordsResponse {
    let mut topics = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let topic = broker.topics.by_name(t.name.as_str());
        let mut partitions = Vec::with_capacity(t.partitions.len());
        for p in &t.partitions {
            let result = match &topic {
                None => Err(PartitionError::new(
                    ResponseError::UnknownTopicOrPartition,
                    format!("topic `{}` does not exist", t.name.as_str()),
                )),
                Some(topic) if !topic.config.delete => Err(PartitionError::new(
                    ResponseError::PolicyViolation,
                    format!(
                        "topic `{}` has cleanup.policy without `delete`; its records cannot be deleted",
                        t.name.as_str()
                    ),
                )),
                Some(topic) => match broker.topics.partition(topic, p.partition_index).await {
                    Ok(part) => part.delete_records(p.offset).await,
                    Err(e) => Err(e),
                },
            };
            let r = DeleteRecordsPartitionResult::default().with_partition_index(p.partition_index);
            partitions.push(match result {
                Ok(low) => r.with_low_watermark(low),
                Err(e) => {
                    info!(topic = %t.name.as_str(), partition = p.partition_index, "delete records refused: {}", e.message);
                    r.with_low_watermark(-1).with_error_code(e.code.code())
                }
            });
        }
        topics.push(
            DeleteRecordsTopicResult::default()
                .with_name(t.name.clone())
                .with_partitions(partitions),
        );
    }
    DeleteRecordsResponse::default().with_topics(topics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use crate::topics::Appended;
    use automq_protocol::batch::testing::producer_batch;
    use automq_protocol::kafka_protocol::messages::TopicName;
    use automq_protocol::kafka_protocol::messages::delete_records_request::{
        DeleteRecordsPartition, DeleteRecordsTopic,
    };
    use automq_protocol::kafka_protocol::protocol::StrBytes;
    use automq_protocol::kafka_protocol::records::Compression;

    fn ask(topic: &str, parts: &[(i32, i64)]) -> DeleteRecordsRequest {
        DeleteRecordsRequest::default().with_topics(vec![
            DeleteRecordsTopic::default()
                .with_name(TopicName(StrBytes::from_string(topic.into())))
                .with_partitions(
                    parts
                        .iter()
                        .map(|(p, o)| {
                            DeleteRecordsPartition::default()
                                .with_partition_index(*p)
                                .with_offset(*o)
                        })
                        .collect(),
                ),
        ])
    }

    #[tokio::test]
    async fn moves_the_log_start_or_says_why_not() {
        let b = testing::broker().await;
        b.topics
            .create("t", Some(2), Default::default(), false)
            .await
            .unwrap();
        let compacted = [("cleanup.policy".to_string(), "compact".to_string())].into();
        b.topics
            .create("c", Some(1), compacted, false)
            .await
            .unwrap();
        let t = b.topics.by_name("t").unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        for _ in 0..3 {
            let Appended::New { pending, .. } = p
                .append(&producer_batch(2, 0, Compression::None), &t.config, 0)
                .unwrap()
            else {
                panic!("new")
            };
            p.durable(pending).await.unwrap();
        }
        let resp = handle(&b, &ask("t", &[(0, 4), (1, 1), (7, 0)])).await;
        let r = &resp.topics[0].partitions;
        assert_eq!((r[0].error_code, r[0].low_watermark), (0, 4));
        assert_eq!(
            (r[1].error_code, r[1].low_watermark),
            (ResponseError::OffsetOutOfRange.code(), -1),
            "partition 1 is empty"
        );
        assert_eq!(
            r[2].error_code,
            ResponseError::UnknownTopicOrPartition.code()
        );
        assert_eq!(p.offsets(), (4, 6));
        let resp = handle(&b, &ask("t", &[(0, -1)])).await;
        assert_eq!(resp.topics[0].partitions[0].low_watermark, 6);
        let resp = handle(&b, &ask("c", &[(0, 0)])).await;
        assert_eq!(
            resp.topics[0].partitions[0].error_code,
            ResponseError::PolicyViolation.code()
        );
        let resp = handle(&b, &ask("nope", &[(0, 0)])).await;
        assert_eq!(
            resp.topics[0].partitions[0].error_code,
            ResponseError::UnknownTopicOrPartition.code()
        );
    }
}
