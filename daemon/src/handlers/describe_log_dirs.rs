//! DescribeLogDirs: one logical log directory, the shared data location, holding every partition of the topics
//! asked for (all topics when none are named) with its size in bytes: the batches it serves, from its index
//! (docs/partitions.md). Partitions are opened here to answer, as for Metadata; a partition opened for the first
//! time since the broker started reads its earlier batches once to count them. Total and usable bytes of shared
//! storage are unknown: -1.

use automq_protocol::kafka_protocol::messages::describe_log_dirs_response::{
    DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
};
use automq_protocol::kafka_protocol::messages::{DescribeLogDirsRequest, DescribeLogDirsResponse};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use tracing::warn;

use crate::broker::Broker;
use crate::topics::registry;

pub async fn handle(broker: &Broker, req: &DescribeLogDirsRequest) -> DescribeLogDirsResponse {
    let wanted: Vec<(std::sync::Arc<crate::topics::Topic>, Vec<i32>)> = match &req.topics {
        None => broker
            .topics
            .all()
            .into_iter()
            .map(|t| {
                let all = (0..t.entry.partitions as i32).collect();
                (t, all)
            })
            .collect(),
        Some(list) => list
            .iter()
            .filter_map(|t| {
                Some((
                    broker.topics.by_name(t.topic.as_str())?,
                    t.partitions.clone(),
                ))
            })
            .collect(),
    };
    let mut topics = Vec::with_capacity(wanted.len());
    for (topic, partitions) in wanted {
        let mut out = Vec::with_capacity(partitions.len());
        for index in partitions {
            let size = match broker.topics.partition(&topic, index).await {
                Ok(p) => p.size().await,
                Err(e) => Err(e),
            };
            match size {
                Ok(size) => out.push(
                    DescribeLogDirsPartition::default()
                        .with_partition_index(index)
                        .with_partition_size(i64::try_from(size).unwrap_or(i64::MAX))
                        .with_offset_lag(0)
                        .with_is_future_key(false),
                ),
                // A partition that does not exist or cannot be read is left out, as Kafka leaves out what a
                // directory does not hold.
                Err(e) => {
                    warn!(topic = %topic.entry.name, partition = index, "not described: {}", e.message)
                }
            }
        }
        topics.push(
            DescribeLogDirsTopic::default()
                .with_name(automq_protocol::kafka_protocol::messages::TopicName(
                    registry::str_bytes(&topic.entry.name),
                ))
                .with_partitions(out),
        );
    }
    let dir = if broker.topics.settings.log_dir.is_empty() {
        "shared".to_string()
    } else {
        broker.topics.settings.log_dir.clone()
    };
    DescribeLogDirsResponse::default().with_results(vec![
        DescribeLogDirsResult::default()
            .with_log_dir(StrBytes::from_string(dir))
            .with_topics(topics)
            .with_total_bytes(-1)
            .with_usable_bytes(-1),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use crate::topics::Appended;
    use automq_protocol::batch::testing::producer_batch;
    use automq_protocol::kafka_protocol::messages::TopicName;
    use automq_protocol::kafka_protocol::messages::describe_log_dirs_request::DescribableLogDirTopic;
    use automq_protocol::kafka_protocol::records::Compression;

    #[tokio::test]
    async fn one_directory_with_every_partition_and_its_size() {
        let b = testing::broker().await;
        for t in ["a", "b"] {
            b.topics
                .create(t, Some(2), Default::default(), false)
                .await
                .unwrap();
        }
        let t = b.topics.by_name("a").unwrap();
        let p = b.topics.partition(&t, 1).await.unwrap();
        let batch = producer_batch(3, 0, Compression::None);
        for _ in 0..2 {
            let Appended::New { pending, .. } = p.append(&batch, &t.config, 0).unwrap() else {
                panic!("new")
            };
            p.durable(pending).await.unwrap();
        }
        let resp = handle(&b, &DescribeLogDirsRequest::default().with_topics(None)).await;
        assert_eq!(resp.results.len(), 1);
        let dir = &resp.results[0];
        assert_eq!(dir.topics.len(), 2);
        let a = &dir.topics[0];
        assert_eq!(a.name.as_str(), "a");
        let sizes: Vec<i64> = a.partitions.iter().map(|p| p.partition_size).collect();
        assert_eq!(sizes, [0, 2 * batch.len() as i64]);
        let some = DescribeLogDirsRequest::default().with_topics(Some(vec![
            DescribableLogDirTopic::default()
                .with_topic(TopicName(StrBytes::from_static_str("a")))
                .with_partitions(vec![1, 9]),
            DescribableLogDirTopic::default()
                .with_topic(TopicName(StrBytes::from_static_str("nope")))
                .with_partitions(vec![0]),
        ]));
        let resp = handle(&b, &some).await;
        let topics = &resp.results[0].topics;
        assert_eq!(topics.len(), 1, "unknown topics are left out");
        assert_eq!(topics[0].partitions.len(), 1, "and unknown partitions");
        assert_eq!(
            topics[0].partitions[0].partition_size,
            2 * batch.len() as i64
        );
    }
}
