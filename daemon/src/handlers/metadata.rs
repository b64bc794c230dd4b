//! Metadata: the brokers, the controller, the cluster id, and the topics asked for (created on first mention when
//! `topics.auto_create` is on and the client allows it).
//!
//! This broker leads every partition it serves. A topic named in the request has its partitions opened here, so
//! their leader epochs are real; in a listing of all topics a partition not opened yet reports epoch -1
//! (unknown), which clients accept.

use std::sync::Arc;

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use automq_protocol::kafka_protocol::messages::{
    BrokerId, MetadataRequest, MetadataResponse, TopicName,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use tracing::warn;

use crate::broker::Broker;
use crate::topics::{Topic, registry};

/// `topic_authorized_operations` when the client did not ask for them.
const NOT_REQUESTED: i32 = i32::MIN;

pub async fn handle(broker: &Broker, version: i16, req: &MetadataRequest) -> MetadataResponse {
    let me = MetadataResponseBroker::default()
        .with_node_id(BrokerId(broker.node_id))
        .with_host(StrBytes::from_string(broker.advertised_host.clone()))
        .with_port(broker.advertised_port);
    let topics = match &req.topics {
        None => listing(broker),
        Some(list) if list.is_empty() && version == 0 => listing(broker),
        Some(list) => {
            let allow_create = broker.topics.defaults.auto_create
                && (version < 4 || req.allow_auto_topic_creation);
            let mut out = Vec::with_capacity(list.len());
            for t in list {
                // A topic asked for by id has no name (v10+).
                let name = t
                    .name
                    .as_ref()
                    .filter(|n| !n.is_empty() || t.topic_id.is_nil());
                out.push(named(broker, name, t.topic_id, allow_create).await);
            }
            out
        }
    };
    MetadataResponse::default()
        .with_brokers(vec![me])
        .with_cluster_id(Some(StrBytes::from_string(broker.cluster_id.clone())))
        .with_controller_id(BrokerId(broker.node_id))
        .with_topics(topics)
}

/// Every topic, partitions reported as they stand.
fn listing(broker: &Broker) -> Vec<MetadataResponseTopic> {
    broker
        .topics
        .all()
        .iter()
        .map(|t| {
            let partitions = (0..t.entry.partitions)
                .map(|p| {
                    let epoch = broker
                        .topics
                        .open_partition(t, p)
                        .map_or(-1, |p| p.leader_epoch);
                    partition(broker, p, epoch, None)
                })
                .collect();
            topic(t, partitions)
        })
        .collect()
}

async fn named(
    broker: &Broker,
    name: Option<&TopicName>,
    id: uuid::Uuid,
    allow_create: bool,
) -> MetadataResponseTopic {
    let failed = |code: ResponseError| {
        MetadataResponseTopic::default()
            .with_error_code(code.code())
            .with_name(name.cloned())
            .with_topic_id(id)
            .with_topic_authorized_operations(NOT_REQUESTED)
    };
    let found: Option<Arc<Topic>> = match name {
        Some(n) => match broker.topics.by_name(n.as_str()) {
            Some(t) => Some(t),
            None if allow_create => {
                match broker
                    .topics
                    .create(n.as_str(), None, Default::default(), false)
                    .await
                {
                    Ok(t) => Some(t),
                    Err(e) if e.code == ResponseError::TopicAlreadyExists => {
                        broker.topics.by_name(n.as_str())
                    }
                    Err(e) => {
                        if e.code != ResponseError::InvalidTopicException {
                            warn!(topic = %n.as_str(), "auto-creation failed: {}", e.message);
                        }
                        return failed(e.code);
                    }
                }
            }
            None if registry::check_name(n.as_str()).is_err() => {
                return failed(ResponseError::InvalidTopicException);
            }
            None => None,
        },
        None => broker.topics.by_id(id),
    };
    let Some(t) = found else {
        return failed(if name.is_some() {
            ResponseError::UnknownTopicOrPartition
        } else {
            ResponseError::UnknownTopicId
        });
    };
    let opened = futures::future::join_all(
        (0..t.entry.partitions).map(|p| broker.topics.partition(&t, p as i32)),
    )
    .await;
    let partitions = opened
        .into_iter()
        .enumerate()
        .map(|(p, r)| match r {
            Ok(open) => partition(broker, p as u32, open.leader_epoch, None),
            Err(_) => partition(
                broker,
                p as u32,
                -1,
                Some(ResponseError::LeaderNotAvailable),
            ),
        })
        .collect();
    topic(&t, partitions)
}

fn topic(t: &Topic, partitions: Vec<MetadataResponsePartition>) -> MetadataResponseTopic {
    MetadataResponseTopic::default()
        .with_name(Some(TopicName(registry::str_bytes(&t.entry.name))))
        .with_topic_id(t.id)
        .with_partitions(partitions)
        .with_topic_authorized_operations(NOT_REQUESTED)
}

fn partition(
    broker: &Broker,
    index: u32,
    leader_epoch: i32,
    error: Option<ResponseError>,
) -> MetadataResponsePartition {
    let me = BrokerId(broker.node_id);
    let leader = if error.is_some() { BrokerId(-1) } else { me };
    MetadataResponsePartition::default()
        .with_error_code(error.map_or(0, |e| e.code()))
        .with_partition_index(index as i32)
        .with_leader_id(leader)
        .with_leader_epoch(leader_epoch)
        .with_replica_nodes(vec![me])
        .with_isr_nodes(vec![me])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use automq_protocol::kafka_protocol::messages::metadata_request::MetadataRequestTopic;
    use automq_protocol::kafka_protocol::protocol::{Decodable, Encodable};

    fn ask(names: &[&str]) -> MetadataRequest {
        MetadataRequest::default().with_topics(Some(
            names
                .iter()
                .map(|n| {
                    MetadataRequestTopic::default()
                        .with_name(Some(TopicName(StrBytes::from_string(n.to_string()))))
                })
                .collect(),
        ))
    }

    #[tokio::test]
    async fn lists_this_broker_as_broker_and_controller() {
        let b = testing::broker().await;
        let resp = handle(&b, 12, &MetadataRequest::default()).await;
        assert_eq!(resp.brokers.len(), 1);
        assert_eq!(resp.brokers[0].node_id, BrokerId(3));
        assert_eq!(resp.brokers[0].host.as_str(), "127.0.0.1");
        assert_eq!(resp.brokers[0].port, 9092);
        assert_eq!(resp.controller_id, BrokerId(3));
        assert_eq!(resp.cluster_id.as_deref(), Some("abcdefghijklmnopqrstuv"));
        assert!(resp.topics.is_empty());
    }

    #[tokio::test]
    async fn a_named_topic_is_created_when_allowed_and_unknown_otherwise() {
        let b = testing::broker().await;
        let resp = handle(
            &b,
            12,
            &ask(&["orders"]).with_allow_auto_topic_creation(false),
        )
        .await;
        assert_eq!(
            resp.topics[0].error_code,
            ResponseError::UnknownTopicOrPartition.code()
        );
        let resp = handle(&b, 12, &ask(&["orders", "bad name"])).await;
        let t = &resp.topics[0];
        assert_eq!(t.error_code, 0);
        assert_eq!(t.partitions.len(), 2, "the default partition count");
        assert!(!t.topic_id.is_nil());
        for p in &t.partitions {
            assert_eq!(p.leader_id, BrokerId(3));
            assert!(p.leader_epoch >= 1, "opened, so the epoch is known");
        }
        assert_eq!(
            resp.topics[1].error_code,
            ResponseError::InvalidTopicException.code()
        );
        // The topic is in a listing now, and by id.
        let all = handle(&b, 12, &MetadataRequest::default().with_topics(None)).await;
        assert_eq!(all.topics.len(), 1);
        let by_id = MetadataRequest::default().with_topics(Some(vec![
            MetadataRequestTopic::default()
                .with_name(None)
                .with_topic_id(t.topic_id),
        ]));
        let resp = handle(&b, 12, &by_id).await;
        assert_eq!(
            resp.topics[0].name.as_ref().map(|n| n.as_str()),
            Some("orders")
        );
    }

    #[tokio::test]
    async fn every_advertised_version_encodes_and_decodes() {
        let b = testing::broker().await;
        let resp = handle(&b, 0, &ask(&["t"])).await;
        for v in 0..=13 {
            let mut buf = bytes::BytesMut::new();
            resp.encode(&mut buf, v)
                .unwrap_or_else(|e| panic!("v{v}: {e}"));
            let back = MetadataResponse::decode(&mut buf.freeze(), v).unwrap();
            assert_eq!(back.brokers[0].port, 9092, "v{v}");
            assert_eq!(back.topics[0].partitions.len(), 2, "v{v}");
        }
    }
}
