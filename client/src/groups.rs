//! Consumer groups: listing across brokers, and describing, offset reads and writes and deletion at the group's
//! coordinator (found with FindCoordinator on every attempt, so a moved coordinator is followed).

use std::collections::BTreeMap;

use bytes::{Buf, Bytes};
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafka_protocol::messages::{
    ConsumerProtocolAssignment, DeleteGroupsRequest, DescribeGroupsRequest, FindCoordinatorRequest,
    GroupId, ListGroupsRequest, OffsetCommitRequest, OffsetFetchRequest, TopicName,
};
use kafka_protocol::protocol::{Decodable, StrBytes};
use serde::Serialize;

use crate::client::{BrokerInfo, Client, Resend, Target};
use crate::error::{Error, KafkaCode, Resource, Result};
use crate::offsets::TopicPartition;

/// A group as ListGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupListing {
    pub group_id: String,
    /// `consumer` for consumer groups, `connect` for Connect workers, empty for offsets-only groups.
    pub protocol_type: String,
    /// `Stable`, `Empty`, …; absent before ListGroups v4.
    pub state: Option<String>,
    /// `classic` or `consumer`; absent before ListGroups v5.
    pub group_type: Option<String>,
    pub coordinator: i32,
}

/// A group as its coordinator describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupDescription {
    pub group_id: String,
    pub state: String,
    pub protocol_type: String,
    /// The assignor in use (`range`, `cooperative-sticky`, …); empty when the group has no members.
    pub protocol: String,
    pub coordinator: i32,
    pub members: Vec<GroupMember>,
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMember {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub host: String,
    /// The partitions assigned to the member, by topic (consumer groups only).
    pub assignment: BTreeMap<String, Vec<i32>>,
}

fn group_id(g: &str) -> GroupId {
    GroupId(StrBytes::from_string(g.to_string()))
}

fn group_resource(g: &str) -> Resource {
    Resource::Group(g.to_string())
}

/// Reads a consumer-protocol assignment: a version, then the assignment at that version (newer versions only
/// add fields, so they are read as the newest known).
pub fn decode_assignment(mut raw: Bytes) -> Option<BTreeMap<String, Vec<i32>>> {
    if raw.remaining() < 2 {
        return None;
    }
    let version = raw.get_i16().clamp(0, 3);
    let a = std::panic::catch_unwind(move || ConsumerProtocolAssignment::decode(&mut raw, version))
        .ok()?
        .ok()?;
    let mut out: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for tp in a.assigned_partitions {
        let mut ps = tp.partitions;
        ps.sort_unstable();
        out.entry(tp.topic.0.to_string()).or_default().extend(ps);
    }
    Some(out)
}

impl Client {
    /// The coordinator of `group`, added to the known brokers.
    pub async fn find_coordinator(&self, group: &str) -> Result<i32> {
        let resp = self
            .send(Target::Any, Resend::Safe, |v| {
                let req = FindCoordinatorRequest::default().with_key_type(0);
                if v >= 4 {
                    req.with_coordinator_keys(vec![StrBytes::from_string(group.to_string())])
                } else {
                    req.with_key(StrBytes::from_string(group.to_string()))
                }
            })
            .await?;
        let (node, host, port) = match resp.coordinators.first() {
            Some(c) => {
                Error::check(
                    || group_resource(group),
                    c.error_code,
                    c.error_message.as_ref(),
                )?;
                (c.node_id.0, c.host.to_string(), c.port)
            }
            None => {
                Error::check(
                    || group_resource(group),
                    resp.error_code,
                    resp.error_message.as_ref(),
                )?;
                (resp.node_id.0, resp.host.to_string(), resp.port)
            }
        };
        self.remember(BrokerInfo {
            id: node,
            host,
            port,
            rack: None,
        })
        .await;
        Ok(node)
    }

    /// Every group on every broker, sorted by id.
    pub async fn list_groups(&self) -> Result<Vec<GroupListing>> {
        self.retrying(|| async move {
            let md = self.metadata(Some(&[])).await?;
            let mut groups = Vec::new();
            for b in &md.brokers {
                let resp = self
                    .send(Target::Node(b.id), Resend::Safe, |_| {
                        ListGroupsRequest::default()
                    })
                    .await?;
                Error::check(|| Resource::Broker(b.id), resp.error_code, None)?;
                let version_has_state = resp.groups.iter().any(|g| !g.group_state.is_empty());
                let version_has_type = resp.groups.iter().any(|g| !g.group_type.is_empty());
                groups.extend(resp.groups.into_iter().map(|g| GroupListing {
                    group_id: g.group_id.0.to_string(),
                    protocol_type: g.protocol_type.to_string(),
                    state: version_has_state.then(|| g.group_state.to_string()),
                    group_type: version_has_type.then(|| g.group_type.to_string()),
                    coordinator: b.id,
                }));
            }
            groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
            Ok(groups)
        })
        .await
    }

    /// One group's state and members. A group that does not exist is GROUP_ID_NOT_FOUND.
    pub async fn describe_group(&self, group: &str) -> Result<GroupDescription> {
        self.retrying(|| async move {
            let coordinator = self.find_coordinator(group).await?;
            let resp = self
                .send(Target::Node(coordinator), Resend::Safe, |_| {
                    DescribeGroupsRequest::default().with_groups(vec![group_id(group)])
                })
                .await?;
            let g = resp
                .groups
                .into_iter()
                .find(|g| g.group_id.0.as_str() == group)
                .ok_or_else(|| {
                    Error::Invalid(format!("group `{group}`: the answer does not mention it"))
                })?;
            Error::check(
                || group_resource(group),
                g.error_code,
                g.error_message.as_ref(),
            )?;
            // Before DescribeGroups v6 a missing group is described as Dead instead of GROUP_ID_NOT_FOUND.
            if g.group_state.as_str() == "Dead" && g.members.is_empty() {
                return Err(Error::kafka(group_resource(group), KafkaCode(69), None));
            }
            let consumer = g.protocol_type.as_str() == "consumer";
            let members = g
                .members
                .into_iter()
                .map(|m| GroupMember {
                    member_id: m.member_id.to_string(),
                    instance_id: m.group_instance_id.map(|i| i.to_string()),
                    client_id: m.client_id.to_string(),
                    host: m.client_host.to_string(),
                    assignment: if consumer {
                        decode_assignment(m.member_assignment).unwrap_or_default()
                    } else {
                        BTreeMap::new()
                    },
                })
                .collect();
            Ok(GroupDescription {
                group_id: group.to_string(),
                state: g.group_state.to_string(),
                protocol_type: g.protocol_type.to_string(),
                protocol: g.protocol_data.to_string(),
                coordinator,
                members,
            })
        })
        .await
    }

    /// The group's committed offsets for every partition it has one for.
    pub async fn committed_offsets(&self, group: &str) -> Result<BTreeMap<TopicPartition, i64>> {
        self.retrying(|| async move {
            let coordinator = self.find_coordinator(group).await?;
            let resp = self
                .send(Target::Node(coordinator), Resend::Safe, |v| {
                    if v >= 8 {
                        OffsetFetchRequest::default().with_groups(vec![
                            OffsetFetchRequestGroup::default()
                                .with_group_id(group_id(group))
                                .with_topics(None),
                        ])
                    } else {
                        OffsetFetchRequest::default()
                            .with_group_id(group_id(group))
                            .with_topics(None)
                    }
                })
                .await?;
            let mut out = BTreeMap::new();
            let mut keep = |topic: &TopicName, partition: i32, offset: i64, code: i16| {
                let tp = (topic.0.to_string(), partition);
                Error::check(
                    || Resource::Partition {
                        topic: tp.0.clone(),
                        partition,
                    },
                    code,
                    None,
                )?;
                if offset >= 0 {
                    out.insert(tp, offset);
                }
                Ok::<_, Error>(())
            };
            if let Some(g) = resp.groups.into_iter().next() {
                Error::check(|| group_resource(group), g.error_code, None)?;
                for t in g.topics {
                    for p in t.partitions {
                        keep(&t.name, p.partition_index, p.committed_offset, p.error_code)?;
                    }
                }
            } else {
                Error::check(|| group_resource(group), resp.error_code, None)?;
                for t in resp.topics {
                    for p in t.partitions {
                        keep(&t.name, p.partition_index, p.committed_offset, p.error_code)?;
                    }
                }
            }
            Ok(out)
        })
        .await
    }

    /// Commits offsets for a group without members, as an administrator does: generation -1, no member id.
    /// The coordinator refuses a group with active members.
    pub async fn commit_offsets(
        &self,
        group: &str,
        offsets: &BTreeMap<TopicPartition, i64>,
    ) -> Result<()> {
        let mut by_topic: BTreeMap<&str, Vec<(i32, i64)>> = BTreeMap::new();
        for ((t, p), o) in offsets {
            by_topic.entry(t).or_default().push((*p, *o));
        }
        let by_topic = &by_topic;
        self.retrying(|| async move {
            let coordinator = self.find_coordinator(group).await?;
            let resp = self
                .send(Target::Node(coordinator), Resend::Safe, |_| {
                    OffsetCommitRequest::default()
                        .with_group_id(group_id(group))
                        .with_generation_id_or_member_epoch(-1)
                        .with_member_id(StrBytes::new())
                        .with_topics(
                            by_topic
                                .iter()
                                .map(|(t, ps)| {
                                    OffsetCommitRequestTopic::default()
                                        .with_name(TopicName(StrBytes::from_string(t.to_string())))
                                        .with_partitions(
                                            ps.iter()
                                                .map(|(p, o)| {
                                                    OffsetCommitRequestPartition::default()
                                                        .with_partition_index(*p)
                                                        .with_committed_offset(*o)
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
                    Error::check(
                        || Resource::Partition {
                            topic: t.name.0.to_string(),
                            partition: p.partition_index,
                        },
                        p.error_code,
                        None,
                    )
                    .map_err(|e| match e {
                        // A commit refused for the group's sake names the group, not the partition.
                        Error::Kafka { code, message, .. }
                            if matches!(code.0, 22 | 25 | 27 | 68 | 69 | 24) =>
                        {
                            Error::kafka(group_resource(group), code, message)
                        }
                        e => e,
                    })?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Deletes groups (they must have no members); one result per group, in the order given.
    pub async fn delete_groups(&self, groups: &[String]) -> Vec<(String, Result<()>)> {
        let mut out = Vec::new();
        for group in groups {
            let outcome = self
                .retrying(|| async move {
                    let coordinator = self.find_coordinator(group).await?;
                    let resp = self
                        .send(Target::Node(coordinator), Resend::Safe, |_| {
                            DeleteGroupsRequest::default().with_groups_names(vec![group_id(group)])
                        })
                        .await?;
                    let r = resp
                        .results
                        .iter()
                        .find(|r| r.group_id.0.as_str() == group.as_str())
                        .ok_or_else(|| {
                            Error::Invalid(format!(
                                "group `{group}`: the answer does not mention it"
                            ))
                        })?;
                    Error::check(|| group_resource(group), r.error_code, None)
                })
                .await;
            out.push((group.clone(), outcome));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::{BufMut, BytesMut};
    use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as Assigned;
    use kafka_protocol::protocol::Encodable;

    #[test]
    fn assignments_decode_by_their_own_version() {
        let a = ConsumerProtocolAssignment::default().with_assigned_partitions(vec![
            Assigned::default()
                .with_topic(TopicName(StrBytes::from_static_str("orders")))
                .with_partitions(vec![2, 0]),
        ]);
        for version in [0i16, 1, 3] {
            let mut b = BytesMut::new();
            b.put_i16(version);
            a.encode(&mut b, version).unwrap();
            let got = decode_assignment(b.freeze()).unwrap();
            assert_eq!(got.get("orders"), Some(&vec![0, 2]), "version {version}");
        }
        assert_eq!(decode_assignment(Bytes::new()), None);
        assert_eq!(decode_assignment(Bytes::from_static(&[0, 1, 0xff])), None);
    }
}
