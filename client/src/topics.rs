//! Topic administration: CreateTopics, DeleteTopics and CreatePartitions, all sent to the controller.

use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::{
    CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use serde::Serialize;

use crate::client::{Client, Resend, Target, topic_id_string};
use crate::error::{Error, Resource, Result};

/// A topic to create. `None` leaves the choice to the broker's defaults (`num.partitions`,
/// `default.replication.factor`).
#[derive(Debug, Clone, Default)]
pub struct NewTopic {
    pub name: String,
    pub partitions: Option<i32>,
    pub replication_factor: Option<i16>,
    pub configs: Vec<(String, String)>,
}

/// What the controller says it created (or would create, when only validating).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedTopic {
    pub name: String,
    pub id: Option<String>,
    pub partitions: Option<i32>,
    pub replication_factor: Option<i16>,
}

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

impl Client {
    fn timeout_ms(&self) -> i32 {
        i32::try_from(self.config().request_timeout.as_millis()).unwrap_or(i32::MAX)
    }

    /// Creates one topic; with `validate_only` the controller checks the request and creates nothing.
    pub async fn create_topic(
        &self,
        topic: &NewTopic,
        validate_only: bool,
    ) -> Result<CreatedTopic> {
        let timeout_ms = self.timeout_ms();
        self.retrying(|| async move {
            let version = self
                .version(Target::Controller, kafka_protocol::messages::ApiKey::CreateTopics)
                .await?;
            if version < 4 && (topic.partitions.is_none() || topic.replication_factor.is_none()) {
                return Err(Error::Invalid(format!(
                    "topic `{}`: this broker (CreateTopics v{version}) has no defaults for the partition \
                     count and replication factor; give both",
                    topic.name
                )));
            }
            let resp = self
                .send(Target::Controller, Resend::Never, |_| {
                    CreateTopicsRequest::default()
                        .with_topics(vec![
                            CreatableTopic::default()
                                .with_name(name(&topic.name))
                                .with_num_partitions(topic.partitions.unwrap_or(-1))
                                .with_replication_factor(topic.replication_factor.unwrap_or(-1))
                                .with_configs(
                                    topic
                                        .configs
                                        .iter()
                                        .map(|(k, v)| {
                                            CreatableTopicConfig::default()
                                                .with_name(StrBytes::from_string(k.clone()))
                                                .with_value(Some(StrBytes::from_string(
                                                    v.clone(),
                                                )))
                                        })
                                        .collect(),
                                ),
                        ])
                        .with_timeout_ms(timeout_ms)
                        .with_validate_only(validate_only)
                })
                .await?;
            let r = resp
                .topics
                .into_iter()
                .find(|t| t.name.0.as_str() == topic.name)
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "topic `{}`: the controller's answer does not mention it",
                        topic.name
                    ))
                })?;
            Error::check(
                || Resource::Topic(topic.name.clone()),
                r.error_code,
                r.error_message.as_ref(),
            )?;
            let known = version >= 5;
            Ok(CreatedTopic {
                name: topic.name.clone(),
                // A validated topic has no id yet, whatever the answer carries.
                id: (!validate_only && !r.topic_id.is_nil()).then(|| topic_id_string(&r.topic_id)),
                partitions: if known {
                    Some(r.num_partitions)
                } else {
                    topic.partitions
                },
                replication_factor: if known {
                    Some(r.replication_factor)
                } else {
                    topic.replication_factor
                },
            })
        })
        .await
    }

    /// Deletes topics by name; one result per topic, in the order given.
    pub async fn delete_topics(&self, names: &[String]) -> Result<Vec<(String, Result<()>)>> {
        let timeout_ms = self.timeout_ms();
        let resp = self
            .retrying(|| async move {
                self.send(Target::Controller, Resend::Never, |v| {
                    let req = DeleteTopicsRequest::default().with_timeout_ms(timeout_ms);
                    if v >= 6 {
                        req.with_topics(
                            names
                                .iter()
                                .map(|n| DeleteTopicState::default().with_name(Some(name(n))))
                                .collect(),
                        )
                    } else {
                        req.with_topic_names(names.iter().map(|n| name(n)).collect())
                    }
                })
                .await
            })
            .await?;
        Ok(names
            .iter()
            .map(|n| {
                let outcome = match resp
                    .responses
                    .iter()
                    .find(|r| r.name.as_ref().is_some_and(|x| x.0.as_str() == n))
                {
                    None => Err(Error::Invalid(format!(
                        "topic `{n}`: the controller's answer does not mention it"
                    ))),
                    Some(r) => Error::check(
                        || Resource::Topic(n.clone()),
                        r.error_code,
                        r.error_message.as_ref(),
                    ),
                };
                (n.clone(), outcome)
            })
            .collect())
    }

    /// Raises a topic's partition count to `total`.
    pub async fn create_partitions(
        &self,
        topic: &str,
        total: i32,
        validate_only: bool,
    ) -> Result<()> {
        let timeout_ms = self.timeout_ms();
        self.retrying(|| async move {
            let resp = self
                .send(Target::Controller, Resend::Never, |_| {
                    CreatePartitionsRequest::default()
                        .with_topics(vec![
                            CreatePartitionsTopic::default()
                                .with_name(name(topic))
                                .with_count(total)
                                .with_assignments(None),
                        ])
                        .with_timeout_ms(timeout_ms)
                        .with_validate_only(validate_only)
                })
                .await?;
            let r = resp
                .results
                .iter()
                .find(|r| r.name.0.as_str() == topic)
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "topic `{topic}`: the controller's answer does not mention it"
                    ))
                })?;
            Error::check(
                || Resource::Topic(topic.to_string()),
                r.error_code,
                r.error_message.as_ref(),
            )
        })
        .await
    }
}
