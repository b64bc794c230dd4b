//! DeleteTopics: by name (v1–v5) or by name or id (v6). A topic disappears from the registry at once; its
//! partitions' streams are deleted right after (see `Topics::delete`).

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use automq_protocol::kafka_protocol::messages::{
    DeleteTopicsRequest, DeleteTopicsResponse, TopicName,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use crate::broker::Broker;
use crate::topics::registry;

pub async fn handle(
    broker: &Broker,
    version: i16,
    req: &DeleteTopicsRequest,
) -> DeleteTopicsResponse {
    let asked: Vec<(Option<TopicName>, uuid::Uuid)> = if version >= 6 {
        req.topics
            .iter()
            .map(|t| (t.name.clone(), t.topic_id))
            .collect()
    } else {
        req.topic_names
            .iter()
            .map(|n| (Some(n.clone()), uuid::Uuid::nil()))
            .collect()
    };
    let mut responses = Vec::with_capacity(asked.len());
    for (name, id) in asked {
        let found = match &name {
            Some(n) => broker.topics.by_name(n.as_str()),
            None => broker.topics.by_id(id),
        };
        let result = DeletableTopicResult::default()
            .with_name(name.clone())
            .with_topic_id(id);
        let Some(topic) = found else {
            let (code, message) = match &name {
                Some(n) => (
                    ResponseError::UnknownTopicOrPartition,
                    format!("topic `{}` does not exist", n.as_str()),
                ),
                None => (
                    ResponseError::UnknownTopicId,
                    format!("no topic has id {id}"),
                ),
            };
            responses.push(
                result
                    .with_error_code(code.code())
                    .with_error_message(Some(StrBytes::from_string(message))),
            );
            continue;
        };
        let result = result
            .with_name(Some(TopicName(registry::str_bytes(&topic.entry.name))))
            .with_topic_id(topic.id);
        responses.push(match broker.topics.delete(&topic.entry.name).await {
            Ok(()) => result,
            Err(e) => result
                .with_error_code(e.code.code())
                .with_error_message(Some(StrBytes::from_string(e.message))),
        });
    }
    DeleteTopicsResponse::default().with_responses(responses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use automq_protocol::kafka_protocol::messages::delete_topics_request::DeleteTopicState;

    #[tokio::test]
    async fn deletes_by_name_and_by_id_and_names_unknown_topics() {
        let b = testing::broker().await;
        for n in ["a", "b"] {
            b.topics
                .create(n, Some(2), Default::default(), false)
                .await
                .unwrap();
        }
        // Open a partition, so deletion has a stream to delete.
        let a = b.topics.by_name("a").unwrap();
        b.topics.partition(&a, 1).await.unwrap();
        let req = DeleteTopicsRequest::default().with_topic_names(vec![
            TopicName(StrBytes::from_static_str("a")),
            TopicName(StrBytes::from_static_str("nope")),
        ]);
        let resp = handle(&b, 5, &req).await;
        assert_eq!(resp.responses[0].error_code, 0);
        assert_eq!(
            resp.responses[1].error_code,
            ResponseError::UnknownTopicOrPartition.code()
        );
        assert!(b.topics.by_name("a").is_none());
        let streams = b.topics.stream_names().await;
        assert!(
            streams.iter().all(|s| !s.contains(&a.entry.id)),
            "{streams:?}"
        );

        let id = b.topics.by_name("b").unwrap().id;
        let req = DeleteTopicsRequest::default().with_topics(vec![
            DeleteTopicState::default().with_topic_id(id),
            DeleteTopicState::default().with_topic_id(uuid::Uuid::from_u128(5)),
        ]);
        let resp = handle(&b, 6, &req).await;
        assert_eq!(resp.responses[0].error_code, 0);
        assert_eq!(
            resp.responses[0].name.as_ref().map(|n| n.as_str()),
            Some("b")
        );
        assert_eq!(
            resp.responses[1].error_code,
            ResponseError::UnknownTopicId.code()
        );
        assert!(b.topics.all().is_empty());
        // The name can be used again, for a new topic.
        let again = b
            .topics
            .create("a", Some(1), Default::default(), false)
            .await
            .unwrap();
        assert_ne!(again.id, a.id);
    }
}
