//! Changes to what the registry holds besides creating and deleting topics: a topic's config overrides, the
//! dynamic broker configs, and more partitions. Each is one registry record decided against the state the broker
//! caught up to (read, change and write inside one `propose_with`), so two brokers changing one topic at once
//! both land, one after the other, neither losing the other's change.

use std::collections::BTreeMap;

use automq_protocol::kafka_protocol::error::ResponseError;
use tracing::info;

use super::broker_config::{self, BrokerTarget};
use super::config::{self, Change};
use super::registry::{self, TopicEntry};
use super::{TopicError, Topics, meta_error};

impl Topics {
    /// Changes a topic's config overrides; with `validate_only`, checks everything and writes nothing.
    pub async fn alter_topic_configs(
        &self,
        name: &str,
        change: &Change,
        validate_only: bool,
    ) -> Result<BTreeMap<String, String>, TopicError> {
        let key = registry::key(name);
        let mut refused: Option<TopicError> = None;
        let mut result = BTreeMap::new();
        let landed = self
            .engine
            .meta()
            .propose_with(|s| {
                refused = None;
                let Some(entry) = s
                    .entry(&key)
                    .and_then(|v| serde_json::from_value::<TopicEntry>(v.clone()).ok())
                else {
                    refused = Some(TopicError::new(
                        ResponseError::UnknownTopicOrPartition,
                        format!("topic `{name}` does not exist"),
                    ));
                    return Ok(None);
                };
                match config::apply(&entry.configs, change, config::topic_def) {
                    Err((code, message)) => {
                        refused = Some(TopicError::new(code, message));
                        Ok(None)
                    }
                    Ok(configs) => {
                        result = configs.clone();
                        if validate_only || configs == entry.configs {
                            return Ok(None);
                        }
                        Ok(Some(registry::create_record(&TopicEntry {
                            configs,
                            ..entry
                        })))
                    }
                }
            })
            .await
            .map_err(|e| meta_error(&e))?;
        if let Some(e) = refused {
            return Err(e);
        }
        if landed.is_some() {
            self.refresh().await;
            info!(topic = name, configs = ?result, "topic configs changed");
        }
        Ok(result)
    }

    /// Changes the dynamic configs of one broker or the defaults of every broker.
    pub async fn alter_broker_configs(
        &self,
        target: BrokerTarget,
        change: &Change,
        validate_only: bool,
    ) -> Result<BTreeMap<String, String>, TopicError> {
        let mut refused: Option<TopicError> = None;
        let mut result = BTreeMap::new();
        let landed = self
            .engine
            .meta()
            .propose_with(|s| {
                refused = None;
                let current = broker_config::stored(s, target);
                match config::apply(&current, change, broker_config::dynamic_def) {
                    Err((code, message)) => {
                        refused = Some(TopicError::new(code, message));
                        Ok(None)
                    }
                    Ok(configs) => {
                        result = configs.clone();
                        if validate_only || configs == current {
                            return Ok(None);
                        }
                        Ok(Some(broker_config::put_record(target, &configs)))
                    }
                }
            })
            .await
            .map_err(|e| meta_error(&e))?;
        if let Some(e) = refused {
            return Err(e);
        }
        if landed.is_some() {
            self.refresh().await;
            info!(?target, configs = ?result, "broker configs changed");
        }
        Ok(result)
    }

    /// Raises a topic's partition count to `count`; the new partitions become new streams when first used. With
    /// `validate_only`, checks and writes nothing.
    pub async fn add_partitions(
        &self,
        name: &str,
        count: u32,
        validate_only: bool,
    ) -> Result<(), TopicError> {
        let key = registry::key(name);
        let mut refused: Option<TopicError> = None;
        let landed = self
            .engine
            .meta()
            .propose_with(|s| {
                refused = None;
                let Some(entry) = s
                    .entry(&key)
                    .and_then(|v| serde_json::from_value::<TopicEntry>(v.clone()).ok())
                else {
                    refused = Some(TopicError::new(
                        ResponseError::UnknownTopicOrPartition,
                        format!("topic `{name}` does not exist"),
                    ));
                    return Ok(None);
                };
                let now = entry.partitions;
                if count <= now {
                    refused = Some(TopicError::new(
                        ResponseError::InvalidPartitions,
                        if count == now {
                            format!("topic `{name}` already has {now} partitions")
                        } else {
                            format!(
                                "topic `{name}` has {now} partitions, more than the {count} asked for; partitions cannot be removed"
                            )
                        },
                    ));
                    return Ok(None);
                }
                if validate_only {
                    return Ok(None);
                }
                Ok(Some(registry::create_record(&TopicEntry {
                    partitions: count,
                    ..entry
                })))
            })
            .await
            .map_err(|e| meta_error(&e))?;
        if let Some(e) = refused {
            return Err(e);
        }
        if landed.is_some() {
            self.refresh().await;
            info!(topic = name, partitions = count, "partitions added");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use crate::topics::config::ConfigOp;

    #[tokio::test]
    async fn topic_overrides_change_and_take_effect() {
        let b = testing::broker().await;
        b.topics
            .create("t", Some(1), BTreeMap::new(), false)
            .await
            .unwrap();
        let set = Change::Incremental(vec![ConfigOp::Set(
            "max.message.bytes".into(),
            "100".into(),
        )]);
        b.topics.alter_topic_configs("t", &set, true).await.unwrap();
        assert_eq!(
            b.topics.by_name("t").unwrap().config.max_message_bytes,
            1_048_588,
            "validate_only writes nothing"
        );
        b.topics
            .alter_topic_configs("t", &set, false)
            .await
            .unwrap();
        let t = b.topics.by_name("t").unwrap();
        assert_eq!(t.config.max_message_bytes, 100);
        assert_eq!(t.entry.configs["max.message.bytes"], "100");
        let e = b
            .topics
            .alter_topic_configs("nope", &set, false)
            .await
            .unwrap_err();
        assert_eq!(e.code, ResponseError::UnknownTopicOrPartition);
        b.topics
            .alter_topic_configs("t", &Change::Replace(BTreeMap::new()), false)
            .await
            .unwrap();
        assert!(b.topics.by_name("t").unwrap().entry.configs.is_empty());
    }

    #[tokio::test]
    async fn broker_defaults_reach_topics_without_an_override() {
        let b = testing::broker().await;
        b.topics
            .create("t", Some(1), BTreeMap::new(), false)
            .await
            .unwrap();
        let set = Change::Incremental(vec![ConfigOp::Set(
            "log.retention.ms".into(),
            "1234".into(),
        )]);
        b.topics
            .alter_broker_configs(BrokerTarget::Default, &set, false)
            .await
            .unwrap();
        assert_eq!(b.topics.by_name("t").unwrap().config.retention_ms, 1234);
        let node = BrokerTarget::Node(b.topics.node_id());
        let set = Change::Incremental(vec![ConfigOp::Set("log.retention.ms".into(), "99".into())]);
        b.topics
            .alter_broker_configs(node, &set, false)
            .await
            .unwrap();
        assert_eq!(b.topics.by_name("t").unwrap().config.retention_ms, 99);
        let bad = Change::Incremental(vec![ConfigOp::Set("num.partitions".into(), "3".into())]);
        let e = b
            .topics
            .alter_broker_configs(node, &bad, false)
            .await
            .unwrap_err();
        assert_eq!(e.code, ResponseError::InvalidConfig);
        let del = Change::Incremental(vec![ConfigOp::Delete("log.retention.ms".into())]);
        b.topics
            .alter_broker_configs(node, &del, false)
            .await
            .unwrap();
        assert_eq!(b.topics.by_name("t").unwrap().config.retention_ms, 1234);
    }

    #[tokio::test]
    async fn partitions_only_grow() {
        let b = testing::broker().await;
        b.topics
            .create("t", Some(2), BTreeMap::new(), false)
            .await
            .unwrap();
        assert_eq!(
            b.topics
                .add_partitions("t", 2, false)
                .await
                .unwrap_err()
                .code,
            ResponseError::InvalidPartitions
        );
        assert_eq!(
            b.topics
                .add_partitions("t", 1, false)
                .await
                .unwrap_err()
                .code,
            ResponseError::InvalidPartitions
        );
        b.topics.add_partitions("t", 5, true).await.unwrap();
        assert_eq!(b.topics.by_name("t").unwrap().entry.partitions, 2);
        b.topics.add_partitions("t", 5, false).await.unwrap();
        let t = b.topics.by_name("t").unwrap();
        assert_eq!(t.entry.partitions, 5);
        let p = b.topics.partition(&t, 4).await.unwrap();
        assert_eq!(
            p.offsets(),
            (0, 0),
            "a new partition is a new, empty stream"
        );
    }
}
