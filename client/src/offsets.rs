//! Partition offsets: ListOffsets (earliest, latest, by time) and DeleteRecords, each sent to the partition's
//! leader. A partition whose leader moved is retried after a metadata refresh.

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{BrokerId, DeleteRecordsRequest, ListOffsetsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use serde::Serialize;

use crate::client::{Client, Resend, Target};
use crate::error::{Error, KafkaCode, Resource, Result};

/// A topic and partition.
pub type TopicPartition = (String, i32);

/// Which offset to look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The first offset still kept (the log start).
    Earliest,
    /// The offset the next record will get (the high watermark).
    Latest,
    /// The first offset whose record timestamp is at or after this many milliseconds since the epoch.
    Timestamp(i64),
}

impl OffsetSpec {
    fn kafka(self) -> i64 {
        match self {
            OffsetSpec::Earliest => -2,
            OffsetSpec::Latest => -1,
            OffsetSpec::Timestamp(ms) => ms,
        }
    }
}

/// One answer to a ListOffsets lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ListedOffset {
    /// -1 when looking up by time and no record is that recent.
    pub offset: i64,
    /// The found record's timestamp when looking up by time, else -1.
    pub timestamp: i64,
}

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

fn partition_resource((topic, partition): &TopicPartition) -> Resource {
    Resource::Partition {
        topic: topic.clone(),
        partition: *partition,
    }
}

impl Client {
    /// Groups partitions by their current leader. An unknown partition is an error; a leaderless one is
    /// retriable.
    async fn by_leader(
        &self,
        partitions: impl Iterator<Item = &TopicPartition>,
    ) -> Result<BTreeMap<i32, Vec<TopicPartition>>> {
        let wanted: Vec<TopicPartition> = partitions.cloned().collect();
        let topics: Vec<String> = wanted
            .iter()
            .map(|(t, _)| t.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let md = self.topics(&topics).await?;
        let mut out: BTreeMap<i32, Vec<TopicPartition>> = BTreeMap::new();
        for tp in wanted {
            let leader = md
                .iter()
                .find(|t| t.name == tp.0)
                .and_then(|t| t.partitions.iter().find(|p| p.partition == tp.1))
                .map(|p| p.leader)
                .ok_or_else(|| Error::kafka(partition_resource(&tp), KafkaCode(3), None))?;
            if leader < 0 {
                return Err(Error::kafka(partition_resource(&tp), KafkaCode(5), None));
            }
            out.entry(leader).or_default().push(tp);
        }
        Ok(out)
    }

    /// Looks up one offset per partition.
    pub async fn list_offsets(
        &self,
        partitions: &[TopicPartition],
        spec: OffsetSpec,
    ) -> Result<BTreeMap<TopicPartition, ListedOffset>> {
        self.retrying(|| async move {
            let mut found = BTreeMap::new();
            for (leader, tps) in self.by_leader(partitions.iter()).await? {
                let mut topics: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
                for (t, p) in &tps {
                    topics.entry(t).or_default().push(*p);
                }
                let resp = self
                    .send(Target::Node(leader), Resend::Safe, |_| {
                        ListOffsetsRequest::default()
                            .with_replica_id(BrokerId(-1))
                            .with_topics(
                                topics
                                    .iter()
                                    .map(|(t, ps)| {
                                        ListOffsetsTopic::default()
                                            .with_name(name(t))
                                            .with_partitions(
                                                ps.iter()
                                                    .map(|p| {
                                                        ListOffsetsPartition::default()
                                                            .with_partition_index(*p)
                                                            .with_timestamp(spec.kafka())
                                                    })
                                                    .collect(),
                                            )
                                    })
                                    .collect(),
                            )
                    })
                    .await?;
                for t in resp.topics {
                    for p in t.partitions {
                        let tp = (t.name.0.to_string(), p.partition_index);
                        Error::check(|| partition_resource(&tp), p.error_code, None)?;
                        found.insert(
                            tp,
                            ListedOffset {
                                offset: p.offset,
                                timestamp: p.timestamp,
                            },
                        );
                    }
                }
            }
            for tp in partitions {
                if !found.contains_key(tp) {
                    return Err(Error::Invalid(format!(
                        "{}: the leader's ListOffsets answer does not mention it",
                        partition_resource(tp)
                    )));
                }
            }
            Ok(found)
        })
        .await
    }

    /// Deletes every record before the given offset of each partition (-1: before the high watermark, so all).
    /// Returns each partition's new log start offset.
    pub async fn delete_records(
        &self,
        before: &BTreeMap<TopicPartition, i64>,
    ) -> Result<BTreeMap<TopicPartition, i64>> {
        let timeout_ms =
            i32::try_from(self.config().request_timeout.as_millis()).unwrap_or(i32::MAX);
        self.retrying(|| async move {
            let mut low = BTreeMap::new();
            for (leader, tps) in self.by_leader(before.keys()).await? {
                let mut topics: BTreeMap<&str, Vec<(i32, i64)>> = BTreeMap::new();
                for tp in &tps {
                    topics.entry(&tp.0).or_default().push((tp.1, before[tp]));
                }
                let resp = self
                    .send(Target::Node(leader), Resend::Safe, |_| {
                        DeleteRecordsRequest::default()
                            .with_timeout_ms(timeout_ms)
                            .with_topics(
                                topics
                                    .iter()
                                    .map(|(t, ps)| {
                                        DeleteRecordsTopic::default()
                                            .with_name(name(t))
                                            .with_partitions(
                                                ps.iter()
                                                    .map(|(p, o)| {
                                                        DeleteRecordsPartition::default()
                                                            .with_partition_index(*p)
                                                            .with_offset(*o)
                                                    })
                                                    .collect(),
                                            )
                                    })
                                    .collect(),
                            )
                    })
                    .await?;
                for t in resp.topics {
                    for p in t.partitions {
                        let tp = (t.name.0.to_string(), p.partition_index);
                        Error::check(|| partition_resource(&tp), p.error_code, None)?;
                        low.insert(tp, p.low_watermark);
                    }
                }
            }
            Ok(low)
        })
        .await
    }
}
