//! OffsetFetch: a group's committed offsets, of the partitions asked for or all of them. v1–v7 name one group;
//! v8+ name several, each answered on its own. A partition never committed answers offset -1.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use automq_protocol::kafka_protocol::messages::{
    OffsetFetchRequest, OffsetFetchResponse, TopicName,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use crate::broker::Broker;
use crate::groups::records::{Committed, TopicPartition};

/// One partition and its committed offset, if any.
type Found = (TopicPartition, Option<Committed>);
/// A topic's partitions and their committed offsets.
type TopicFound = (String, Vec<(i32, Option<Committed>)>);

/// Topic by topic, in the order first seen.
fn by_topic(found: Vec<Found>) -> Vec<TopicFound> {
    let mut topics: Vec<TopicFound> = Vec::new();
    for (tp, c) in found {
        match topics.iter_mut().find(|(t, _)| *t == tp.topic) {
            Some((_, ps)) => ps.push((tp.partition, c)),
            None => topics.push((tp.topic, vec![(tp.partition, c)])),
        }
    }
    topics
}

fn fields(c: Option<Committed>) -> (i64, i32, StrBytes) {
    match c {
        Some(c) => (c.offset, c.leader_epoch, StrBytes::from_string(c.metadata)),
        None => (-1, -1, StrBytes::default()),
    }
}

async fn fetch(
    broker: &Broker,
    group: &str,
    asked: Option<Vec<(String, Vec<i32>)>>,
) -> Result<Vec<Found>, (ResponseError, Vec<TopicPartition>)> {
    let partitions: Option<Vec<TopicPartition>> = asked.map(|topics| {
        topics
            .into_iter()
            .flat_map(|(topic, ps)| {
                ps.into_iter().map(move |partition| TopicPartition {
                    topic: topic.clone(),
                    partition,
                })
            })
            .collect()
    });
    broker
        .groups
        .committed(group, partitions.clone())
        .await
        .map_err(|e| (e, partitions.unwrap_or_default()))
}

pub async fn handle(
    broker: &Broker,
    version: i16,
    req: &OffsetFetchRequest,
) -> OffsetFetchResponse {
    if version >= 8 {
        let mut groups = Vec::with_capacity(req.groups.len());
        for g in &req.groups {
            let asked = g.topics.as_ref().map(|ts| {
                ts.iter()
                    .map(|t| (t.name.to_string(), t.partition_indexes.clone()))
                    .collect()
            });
            let group = OffsetFetchResponseGroup::default().with_group_id(g.group_id.clone());
            groups.push(match fetch(broker, &g.group_id, asked).await {
                Ok(found) => group.with_topics(
                    by_topic(found)
                        .into_iter()
                        .map(|(topic, ps)| {
                            OffsetFetchResponseTopics::default()
                                .with_name(TopicName(StrBytes::from_string(topic)))
                                .with_partitions(
                                    ps.into_iter()
                                        .map(|(p, c)| {
                                            let (offset, epoch, metadata) = fields(c);
                                            OffsetFetchResponsePartitions::default()
                                                .with_partition_index(p)
                                                .with_committed_offset(offset)
                                                .with_committed_leader_epoch(epoch)
                                                .with_metadata(Some(metadata))
                                        })
                                        .collect(),
                                )
                        })
                        .collect(),
                ),
                Err((e, _)) => group.with_error_code(e.code()),
            });
        }
        return OffsetFetchResponse::default().with_groups(groups);
    }
    let asked = req.topics.as_ref().map(|ts| {
        ts.iter()
            .map(|t| (t.name.to_string(), t.partition_indexes.clone()))
            .collect()
    });
    let (found, error) = match fetch(broker, &req.group_id, asked).await {
        Ok(found) => (found, None),
        // v1 has no group-level error: each partition carries it.
        Err((e, asked)) if version < 2 => {
            (asked.into_iter().map(|tp| (tp, None)).collect(), Some(e))
        }
        Err((e, _)) => {
            return OffsetFetchResponse::default().with_error_code(e.code());
        }
    };
    let topics = by_topic(found)
        .into_iter()
        .map(|(topic, ps)| {
            OffsetFetchResponseTopic::default()
                .with_name(TopicName(StrBytes::from_string(topic)))
                .with_partitions(
                    ps.into_iter()
                        .map(|(p, c)| {
                            let (offset, epoch, metadata) = fields(c);
                            OffsetFetchResponsePartition::default()
                                .with_partition_index(p)
                                .with_committed_offset(offset)
                                .with_committed_leader_epoch(epoch)
                                .with_metadata(Some(metadata))
                                .with_error_code(error.map_or(0, |e| e.code()))
                        })
                        .collect(),
                )
        })
        .collect();
    OffsetFetchResponse::default().with_topics(topics)
}
