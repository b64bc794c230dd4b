//! CreateTopics: new topics in the registry, each checked (name, partitions, replication, assignment, configs)
//! and, with `validate_only`, only checked.
//!
//! Durability comes from shared storage, not from replicas: any replication factor of 1 or more is accepted and
//! reported as 1, and a manual assignment may name only this broker.

use std::collections::{BTreeMap, BTreeSet};

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::create_topics_request::CreatableTopic;
use automq_protocol::kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use automq_protocol::kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use tracing::info;

use crate::broker::Broker;
use crate::topics::{TopicError, config};

pub async fn handle(broker: &Broker, req: &CreateTopicsRequest) -> CreateTopicsResponse {
    let mut seen = BTreeSet::new();
    let duplicates: BTreeSet<&str> = req
        .topics
        .iter()
        .filter(|t| !seen.insert(t.name.as_str()))
        .map(|t| t.name.as_str())
        .collect();
    let mut results = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let result = if duplicates.contains(t.name.as_str()) {
            Err(TopicError::new(
                ResponseError::InvalidRequest,
                format!(
                    "topic `{}` is named more than once in the request",
                    t.name.as_str()
                ),
            ))
        } else {
            create(broker, t, req.validate_only).await
        };
        results.push(match result {
            Ok(r) => r,
            Err(e) => {
                info!(topic = %t.name.as_str(), "create refused: {}", e.message);
                CreatableTopicResult::default()
                    .with_name(t.name.clone())
                    .with_error_code(e.code.code())
                    .with_error_message(Some(StrBytes::from_string(e.message)))
                    .with_num_partitions(-1)
                    .with_replication_factor(-1)
            }
        });
    }
    CreateTopicsResponse::default().with_topics(results)
}

async fn create(
    broker: &Broker,
    t: &CreatableTopic,
    validate_only: bool,
) -> Result<CreatableTopicResult, TopicError> {
    let err = |code: ResponseError, message: String| TopicError::new(code, message);
    let partitions = if t.assignments.is_empty() {
        match t.num_partitions {
            -1 => None,
            n if n >= 1 => Some(n as u32),
            n => {
                return Err(err(
                    ResponseError::InvalidPartitions,
                    format!("{n} partitions: expected at least 1, or -1 for the default"),
                ));
            }
        }
    } else {
        if t.num_partitions != -1 || t.replication_factor != -1 {
            return Err(err(
                ResponseError::InvalidRequest,
                "a manual assignment comes without a partition count or replication factor".into(),
            ));
        }
        let mut indexes: Vec<i32> = t.assignments.iter().map(|a| a.partition_index).collect();
        indexes.sort_unstable();
        if indexes.iter().enumerate().any(|(i, p)| *p != i as i32) {
            return Err(err(
                ResponseError::InvalidReplicaAssignment,
                "assigned partitions must be numbered 0, 1, 2, … without gaps".into(),
            ));
        }
        if let Some(other) = t
            .assignments
            .iter()
            .flat_map(|a| a.broker_ids.iter())
            .find(|b| b.0 != broker.node_id)
        {
            return Err(err(
                ResponseError::InvalidReplicaAssignment,
                format!(
                    "broker {} is not in this cluster; partitions live on shared storage, assign them to broker {}",
                    other.0, broker.node_id
                ),
            ));
        }
        Some(t.assignments.len() as u32)
    };
    if t.replication_factor == 0 || t.replication_factor < -1 {
        return Err(err(
            ResponseError::InvalidReplicationFactor,
            format!(
                "replication factor {}: expected 1 or more, or -1 for the default",
                t.replication_factor
            ),
        ));
    }
    let mut configs = BTreeMap::new();
    for c in &t.configs {
        let value = c.value.as_ref().ok_or_else(|| {
            err(
                ResponseError::InvalidConfig,
                format!("config `{}` has no value", c.name.as_str()),
            )
        })?;
        configs.insert(c.name.to_string(), value.to_string());
    }
    let topic = broker
        .topics
        .create(t.name.as_str(), partitions, configs, validate_only)
        .await?;
    let layers = broker.topics.layers();
    let configs = config::resolved(&topic.entry.configs, &layers)
        .map(|r| {
            CreatableTopicConfigs::default()
                .with_name(StrBytes::from_static_str(r.name))
                .with_value(Some(StrBytes::from_string(r.value)))
                .with_config_source(r.source)
        })
        .collect();
    Ok(CreatableTopicResult::default()
        .with_name(t.name.clone())
        .with_topic_id(topic.id)
        .with_num_partitions(topic.entry.partitions as i32)
        .with_replication_factor(1)
        .with_configs(Some(configs)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use automq_protocol::kafka_protocol::messages::BrokerId;
    use automq_protocol::kafka_protocol::messages::TopicName;
    use automq_protocol::kafka_protocol::messages::create_topics_request::{
        CreatableReplicaAssignment, CreatableTopicConfig,
    };

    fn topic(name: &str, partitions: i32) -> CreatableTopic {
        CreatableTopic::default()
            .with_name(TopicName(StrBytes::from_string(name.into())))
            .with_num_partitions(partitions)
            .with_replication_factor(-1)
    }

    fn code(r: &CreatableTopicResult) -> ResponseError {
        ResponseError::try_from_code(r.error_code).unwrap_or(ResponseError::Unknown(0))
    }

    #[tokio::test]
    async fn creates_checks_and_refuses_with_kafkas_codes() {
        let b = testing::broker().await;
        let retention = CreatableTopicConfig::default()
            .with_name(StrBytes::from_static_str("retention.ms"))
            .with_value(Some(StrBytes::from_static_str("1000")));
        let req = CreateTopicsRequest::default().with_topics(vec![
            topic("a", 3).with_configs(vec![retention]),
            topic("b", -1).with_replication_factor(3),
            topic("c", 0),
            topic("bad/name", 1),
            topic("d", 1).with_configs(vec![
                CreatableTopicConfig::default()
                    .with_name(StrBytes::from_static_str("retention.msec"))
                    .with_value(Some(StrBytes::from_static_str("1"))),
            ]),
            topic("e", 1).with_replication_factor(0),
            topic("f", -1)
                .with_replication_factor(-1)
                .with_assignments(vec![
                    CreatableReplicaAssignment::default()
                        .with_partition_index(0)
                        .with_broker_ids(vec![BrokerId(7)]),
                ]),
            topic("dup", 1),
            topic("dup", 1),
        ]);
        let resp = handle(&b, &req).await;
        let r = &resp.topics;
        assert_eq!(r[0].error_code, 0);
        assert_eq!((r[0].num_partitions, r[0].replication_factor), (3, 1));
        let configs = r[0].configs.as_ref().unwrap();
        let retention = configs
            .iter()
            .find(|c| c.name.as_str() == "retention.ms")
            .unwrap();
        assert_eq!(
            (retention.value.as_deref(), retention.config_source),
            (Some("1000"), config::SOURCE_DYNAMIC_TOPIC)
        );
        assert_eq!(r[1].error_code, 0, "any replication factor is fine");
        assert_eq!(r[1].num_partitions, 2, "the default partition count");
        assert_eq!(code(&r[2]), ResponseError::InvalidPartitions);
        assert_eq!(code(&r[3]), ResponseError::InvalidTopicException);
        assert_eq!(code(&r[4]), ResponseError::InvalidConfig);
        assert!(
            r[4].error_message
                .as_deref()
                .unwrap()
                .contains("retention.msec")
        );
        assert_eq!(code(&r[5]), ResponseError::InvalidReplicationFactor);
        assert_eq!(code(&r[6]), ResponseError::InvalidReplicaAssignment);
        assert_eq!(code(&r[7]), ResponseError::InvalidRequest);
        assert_eq!(code(&r[8]), ResponseError::InvalidRequest);
        let again = handle(
            &b,
            &CreateTopicsRequest::default().with_topics(vec![topic("a", 1)]),
        )
        .await;
        assert_eq!(code(&again.topics[0]), ResponseError::TopicAlreadyExists);
        assert_eq!(b.topics.all().len(), 2);
    }

    #[tokio::test]
    async fn validate_only_writes_nothing() {
        let b = testing::broker().await;
        let req = CreateTopicsRequest::default()
            .with_topics(vec![topic("checked", 4)])
            .with_validate_only(true);
        let resp = handle(&b, &req).await;
        assert_eq!(resp.topics[0].error_code, 0);
        assert_eq!(resp.topics[0].num_partitions, 4);
        assert!(b.topics.by_name("checked").is_none());
    }
}
