//! IncrementalAlterConfigs: set, delete, append to or subtract from single configs of a topic or a broker, each
//! checked (unknown names and bad values are INVALID_CONFIG, naming them), written to the registry in one record
//! per resource, or with `validate_only` only checked. AlterConfigs shares [`alter`] and replaces the whole set.
//!
//! A broker resource named by a node id changes that broker's dynamic configs; an empty name changes the defaults
//! of every broker. The topic synonyms (`log.retention.ms`, …) and a few of the broker's own settings can change;
//! the others are read-only, as in Kafka.

use std::collections::BTreeSet;

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use automq_protocol::kafka_protocol::messages::{
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use tracing::info;

use super::describe_configs::{BROKER, TOPIC};
use crate::broker::Broker;
use crate::topics::broker_config::BrokerTarget;
use crate::topics::config::{Change, ConfigOp};

pub async fn handle(
    broker: &Broker,
    req: &IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let duplicates = duplicate_resources(
        req.resources
            .iter()
            .map(|r| (r.resource_type, r.resource_name.as_str())),
    );
    let mut responses = Vec::with_capacity(req.resources.len());
    for r in &req.resources {
        let result = if duplicates.contains(&(r.resource_type, r.resource_name.to_string())) {
            Err(duplicate_resource(r.resource_name.as_str()))
        } else {
            ops(r.configs.iter().map(|c| {
                (
                    c.config_operation,
                    c.name.to_string(),
                    c.value.as_ref().map(ToString::to_string),
                )
            }))
            .map(Change::Incremental)
        };
        let result = match result {
            Ok(change) => {
                alter(
                    broker,
                    r.resource_type,
                    r.resource_name.as_str(),
                    &change,
                    req.validate_only,
                )
                .await
            }
            Err(e) => Err(e),
        };
        let (code, message) = match result {
            Ok(()) => (0, None),
            Err((code, message)) => {
                info!(resource = %r.resource_name.as_str(), "config change refused: {message}");
                (code.code(), Some(StrBytes::from_string(message)))
            }
        };
        responses.push(
            AlterConfigsResourceResponse::default()
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name.clone())
                .with_error_code(code)
                .with_error_message(message),
        );
    }
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}

/// The operations of one resource; a name given twice is INVALID_REQUEST, as in Kafka.
fn ops(
    configs: impl Iterator<Item = (i8, String, Option<String>)>,
) -> Result<Vec<ConfigOp>, (ResponseError, String)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (code, name, value) in configs {
        if !seen.insert(name.clone()) {
            return Err((
                ResponseError::InvalidRequest,
                format!("config `{name}` is named more than once"),
            ));
        }
        out.push(ConfigOp::from_code(code, name, value)?);
    }
    Ok(out)
}

/// `(type, name)` pairs that occur more than once.
pub(super) fn duplicate_resources<'a>(
    all: impl Iterator<Item = (i8, &'a str)>,
) -> BTreeSet<(i8, String)> {
    let mut seen = BTreeSet::new();
    all.filter(|(t, n)| !seen.insert((*t, n.to_string())))
        .map(|(t, n)| (t, n.to_string()))
        .collect()
}

pub(super) fn duplicate_resource(name: &str) -> (ResponseError, String) {
    (
        ResponseError::InvalidRequest,
        format!("resource `{name}` is named more than once in the request"),
    )
}

/// Applies `change` to a topic's overrides or a broker's dynamic configs.
pub(super) async fn alter(
    broker: &Broker,
    resource_type: i8,
    name: &str,
    change: &Change,
    validate_only: bool,
) -> Result<(), (ResponseError, String)> {
    let done = match resource_type {
        TOPIC => {
            broker
                .topics
                .alter_topic_configs(name, change, validate_only)
                .await
        }
        BROKER => {
            let target = if name.is_empty() {
                BrokerTarget::Default
            } else {
                match name.parse::<i32>() {
                    Ok(id) if id >= 0 => BrokerTarget::Node(id),
                    _ => {
                        return Err((
                            ResponseError::InvalidRequest,
                            format!(
                                "broker `{name}` is not a node id; name a broker by its id, or leave it empty for every broker"
                            ),
                        ));
                    }
                }
            };
            broker
                .topics
                .alter_broker_configs(target, change, validate_only)
                .await
        }
        other => {
            return Err((
                ResponseError::InvalidRequest,
                format!(
                    "resource type {other} is not supported; change a topic (2) or a broker (4)"
                ),
            ));
        }
    };
    done.map(|_| ()).map_err(|e| (e.code, e.message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use automq_protocol::kafka_protocol::messages::incremental_alter_configs_request::{
        AlterConfigsResource, AlterableConfig,
    };

    fn op(name: &str, code: i8, value: Option<&str>) -> AlterableConfig {
        AlterableConfig::default()
            .with_name(StrBytes::from_string(name.into()))
            .with_config_operation(code)
            .with_value(value.map(|v| StrBytes::from_string(v.into())))
    }

    fn resource(kind: i8, name: &str, configs: Vec<AlterableConfig>) -> AlterConfigsResource {
        AlterConfigsResource::default()
            .with_resource_type(kind)
            .with_resource_name(StrBytes::from_string(name.into()))
            .with_configs(configs)
    }

    fn code(r: &AlterConfigsResourceResponse) -> ResponseError {
        ResponseError::try_from_code(r.error_code).unwrap_or(ResponseError::Unknown(0))
    }

    #[tokio::test]
    async fn operations_apply_in_order_and_refusals_name_the_config() {
        let b = testing::broker().await;
        b.topics
            .create("t", Some(1), Default::default(), false)
            .await
            .unwrap();
        let req = IncrementalAlterConfigsRequest::default().with_resources(vec![
            resource(
                TOPIC,
                "t",
                vec![
                    op("retention.ms", 0, Some("1000")),
                    op("cleanup.policy", 2, Some("compact")),
                ],
            ),
            resource(TOPIC, "nope", vec![op("retention.ms", 0, Some("1"))]),
            resource(BROKER, "", vec![op("log.retention.bytes", 0, Some("5000"))]),
            resource(BROKER, "3", vec![op("log.retention.hourz", 0, Some("1"))]),
            resource(BROKER, "x", vec![]),
            resource(8, "3", vec![]),
        ]);
        let resp = handle(&b, &req).await;
        let r = &resp.responses;
        assert_eq!(r[0].error_code, 0, "{:?}", r[0].error_message);
        assert_eq!(code(&r[1]), ResponseError::UnknownTopicOrPartition);
        assert_eq!(r[2].error_code, 0);
        assert_eq!(code(&r[3]), ResponseError::InvalidConfig);
        assert!(
            r[3].error_message
                .as_deref()
                .unwrap()
                .contains("log.retention.hourz")
        );
        assert_eq!(code(&r[4]), ResponseError::InvalidRequest);
        assert_eq!(code(&r[5]), ResponseError::InvalidRequest);
        let t = b.topics.by_name("t").unwrap();
        assert_eq!(t.entry.configs["cleanup.policy"], "delete,compact");
        assert!(t.config.compact && t.config.delete);
        assert_eq!(t.config.retention_ms, 1000);
        assert_eq!(t.config.retention_bytes, 5000, "the broker default");

        let req = IncrementalAlterConfigsRequest::default()
            .with_validate_only(true)
            .with_resources(vec![resource(
                TOPIC,
                "t",
                vec![
                    op("retention.ms", 1, None),
                    op("cleanup.policy", 3, Some("delete")),
                ],
            )]);
        assert_eq!(handle(&b, &req).await.responses[0].error_code, 0);
        assert_eq!(
            b.topics.by_name("t").unwrap().config.retention_ms,
            1000,
            "validate_only"
        );

        let req = IncrementalAlterConfigsRequest::default().with_resources(vec![
            resource(TOPIC, "t", vec![op("retention.ms", 0, Some("-7"))]),
            resource(TOPIC, "t", vec![]),
        ]);
        let resp = handle(&b, &req).await;
        assert_eq!(
            code(&resp.responses[0]),
            ResponseError::InvalidRequest,
            "t twice"
        );
        let req = IncrementalAlterConfigsRequest::default().with_resources(vec![resource(
            TOPIC,
            "t",
            vec![op("retention.ms", 0, Some("-7"))],
        )]);
        let resp = handle(&b, &req).await;
        assert_eq!(code(&resp.responses[0]), ResponseError::InvalidConfig);
        let req = IncrementalAlterConfigsRequest::default().with_resources(vec![resource(
            TOPIC,
            "t",
            vec![
                op("retention.ms", 0, Some("1")),
                op("retention.ms", 1, None),
            ],
        )]);
        let resp = handle(&b, &req).await;
        assert_eq!(
            code(&resp.responses[0]),
            ResponseError::InvalidRequest,
            "a name twice"
        );
        let req = IncrementalAlterConfigsRequest::default().with_resources(vec![resource(
            TOPIC,
            "t",
            vec![op("retention.ms", 2, Some("1"))],
        )]);
        let resp = handle(&b, &req).await;
        assert_eq!(
            code(&resp.responses[0]),
            ResponseError::InvalidRequest,
            "append to a long"
        );
    }
}
