//! Metadata: the brokers, the controller, the cluster id, and the topics asked for.

use automq_protocol::kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponseTopic,
};
use automq_protocol::kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use crate::broker::Broker;

/// Kafka's UNKNOWN_TOPIC_OR_PARTITION error code.
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;

pub fn handle(broker: &Broker, _version: i16, req: &MetadataRequest) -> MetadataResponse {
    let me = MetadataResponseBroker::default()
        .with_node_id(BrokerId(broker.node_id))
        .with_host(StrBytes::from_string(broker.advertised_host.clone()))
        .with_port(broker.advertised_port);
    // No topic exists until the storage engine serves partitions; every named topic is unknown.
    let topics = req
        .topics
        .iter()
        .flatten()
        .map(|t| {
            MetadataResponseTopic::default()
                .with_error_code(UNKNOWN_TOPIC_OR_PARTITION)
                .with_name(t.name.clone())
                .with_topic_id(t.topic_id)
        })
        .collect();
    MetadataResponse::default()
        .with_brokers(vec![me])
        .with_cluster_id(Some(StrBytes::from_string(broker.cluster_id.clone())))
        .with_controller_id(BrokerId(broker.node_id))
        .with_topics(topics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automq_protocol::kafka_protocol::messages::TopicName;
    use automq_protocol::kafka_protocol::messages::metadata_request::MetadataRequestTopic;
    use automq_protocol::kafka_protocol::protocol::{Decodable, Encodable};

    fn broker() -> Broker {
        Broker {
            node_id: 3,
            cluster_id: "abcdefghijklmnopqrstuv".into(),
            advertised_host: "127.0.0.1".into(),
            advertised_port: 9092,
        }
    }

    #[test]
    fn lists_this_broker_as_broker_and_controller() {
        let resp = handle(&broker(), 12, &MetadataRequest::default());
        assert_eq!(resp.brokers.len(), 1);
        assert_eq!(resp.brokers[0].node_id, BrokerId(3));
        assert_eq!(resp.brokers[0].host.as_str(), "127.0.0.1");
        assert_eq!(resp.brokers[0].port, 9092);
        assert_eq!(resp.controller_id, BrokerId(3));
        assert_eq!(resp.cluster_id.as_deref(), Some("abcdefghijklmnopqrstuv"));
    }

    #[test]
    fn named_topics_are_unknown_until_they_exist() {
        let req = MetadataRequest::default().with_topics(Some(vec![
            MetadataRequestTopic::default()
                .with_name(Some(TopicName(StrBytes::from_static_str("orders")))),
        ]));
        let resp = handle(&broker(), 12, &req);
        assert_eq!(resp.topics.len(), 1);
        assert_eq!(resp.topics[0].error_code, UNKNOWN_TOPIC_OR_PARTITION);
        assert_eq!(
            resp.topics[0].name.as_ref().map(|n| n.0.as_str()),
            Some("orders")
        );
    }

    #[test]
    fn every_advertised_version_encodes_and_decodes() {
        let resp = handle(&broker(), 0, &MetadataRequest::default());
        for v in 0..=13 {
            let mut buf = bytes::BytesMut::new();
            resp.encode(&mut buf, v)
                .unwrap_or_else(|e| panic!("v{v}: {e}"));
            let back = MetadataResponse::decode(&mut buf.freeze(), v).unwrap();
            assert_eq!(back.brokers[0].port, 9092, "v{v}");
        }
    }
}
