//! CreatePartitions: more partitions for existing topics (never fewer), or with `validate_only` only the checks.
//! A new partition is a new stream, created when it is first used, like every partition.
//!
//! As in CreateTopics, a manual assignment may name only this broker, one list per new partition.

use std::collections::BTreeSet;

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use automq_protocol::kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use automq_protocol::kafka_protocol::messages::{
    CreatePartitionsRequest, CreatePartitionsResponse,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use tracing::info;

use crate::broker::Broker;
use crate::topics::TopicError;

pub async fn handle(broker: &Broker, req: &CreatePartitionsRequest) -> CreatePartitionsResponse {
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
            grow(broker, t, req.validate_only).await
        };
        let r = CreatePartitionsTopicResult::default().with_name(t.name.clone());
        results.push(match result {
            Ok(()) => r,
            Err(e) => {
                info!(topic = %t.name.as_str(), "adding partitions refused: {}", e.message);
                r.with_error_code(e.code.code())
                    .with_error_message(Some(StrBytes::from_string(e.message)))
            }
        });
    }
    CreatePartitionsResponse::default().with_results(results)
}

async fn grow(
    broker: &Broker,
    t: &CreatePartitionsTopic,
    validate_only: bool,
) -> Result<(), TopicError> {
    let name = t.name.as_str();
    let count = u32::try_from(t.count)
        .ok()
        .filter(|c| *c >= 1)
        .ok_or_else(|| {
            TopicError::new(
                ResponseError::InvalidPartitions,
                format!("{} partitions: expected at least 1", t.count),
            )
        })?;
    let current = broker.topics.by_name(name).ok_or_else(|| {
        TopicError::new(
            ResponseError::UnknownTopicOrPartition,
            format!("topic `{name}` does not exist"),
        )
    })?;
    if let Some(assignments) = t.assignments.as_ref().filter(|a| !a.is_empty()) {
        let added = count.saturating_sub(current.entry.partitions) as usize;
        if assignments.len() != added {
            return Err(TopicError::new(
                ResponseError::InvalidReplicaAssignment,
                format!(
                    "{} assignments for {added} new partitions; give one per new partition",
                    assignments.len()
                ),
            ));
        }
        if let Some(other) = assignments
            .iter()
            .flat_map(|a| a.broker_ids.iter())
            .find(|b| b.0 != broker.node_id)
        {
            return Err(TopicError::new(
                ResponseError::InvalidReplicaAssignment,
                format!(
                    "broker {} is not in this cluster; partitions live on shared storage, assign them to broker {}",
                    other.0, broker.node_id
                ),
            ));
        }
    }
    broker
        .topics
        .add_partitions(name, count, validate_only)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use automq_protocol::kafka_protocol::messages::create_partitions_request::CreatePartitionsAssignment;
    use automq_protocol::kafka_protocol::messages::{BrokerId, TopicName};

    fn topic(name: &str, count: i32) -> CreatePartitionsTopic {
        CreatePartitionsTopic::default()
            .with_name(TopicName(StrBytes::from_string(name.into())))
            .with_count(count)
    }

    fn code(r: &CreatePartitionsTopicResult) -> ResponseError {
        ResponseError::try_from_code(r.error_code).unwrap_or(ResponseError::Unknown(0))
    }

    #[tokio::test]
    async fn grows_checks_and_validates() {
        let b = testing::broker().await;
        for t in ["a", "b", "c"] {
            b.topics
                .create(t, Some(2), Default::default(), false)
                .await
                .unwrap();
        }
        let assign = |ids: &[i32]| {
            Some(
                ids.iter()
                    .map(|i| {
                        CreatePartitionsAssignment::default().with_broker_ids(vec![BrokerId(*i)])
                    })
                    .collect(),
            )
        };
        let req = CreatePartitionsRequest::default().with_topics(vec![
            topic("a", 4),
            topic("b", 2),
            topic("nope", 3),
            topic("c", 3).with_assignments(assign(&[7])),
            topic("c", 4),
        ]);
        let resp = handle(&b, &req).await;
        let r = &resp.results;
        assert_eq!(r[0].error_code, 0);
        assert_eq!(code(&r[1]), ResponseError::InvalidPartitions);
        assert!(
            r[1].error_message
                .as_deref()
                .unwrap()
                .contains("already has 2")
        );
        assert_eq!(code(&r[2]), ResponseError::UnknownTopicOrPartition);
        assert_eq!(code(&r[3]), ResponseError::InvalidRequest, "c twice");
        assert_eq!(b.topics.by_name("a").unwrap().entry.partitions, 4);

        let req = CreatePartitionsRequest::default().with_topics(vec![
            topic("c", 3).with_assignments(assign(&[7])),
            topic("b", 5).with_assignments(assign(&[3])),
        ]);
        let resp = handle(&b, &req).await;
        assert_eq!(
            code(&resp.results[0]),
            ResponseError::InvalidReplicaAssignment
        );
        assert_eq!(
            code(&resp.results[1]),
            ResponseError::InvalidReplicaAssignment,
            "one list per new partition"
        );

        let req = CreatePartitionsRequest::default()
            .with_validate_only(true)
            .with_topics(vec![topic("c", 3).with_assignments(assign(&[3]))]);
        assert_eq!(handle(&b, &req).await.results[0].error_code, 0);
        assert_eq!(
            b.topics.by_name("c").unwrap().entry.partitions,
            2,
            "validate_only"
        );
    }
}
