//! DescribeConfigs: every topic config with its value and where it comes from (the topic's override or the
//! default), and the broker settings clients look at.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use automq_protocol::kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use crate::broker::Broker;
use crate::topics::config::{self, Kind, SOURCE_DEFAULT, SOURCE_STATIC_BROKER, SOURCE_TOPIC};

const TOPIC: i8 = 2;
const BROKER: i8 = 4;

/// One reported config before filtering.
struct Entry {
    name: &'static str,
    value: String,
    source: i8,
    kind: Kind,
    read_only: bool,
    synonyms: Vec<(String, String, i8)>,
    doc: &'static str,
}

pub fn handle(
    broker: &Broker,
    version: i16,
    req: &DescribeConfigsRequest,
) -> DescribeConfigsResponse {
    let results = req
        .resources
        .iter()
        .map(|r| {
            let result = DescribeConfigsResult::default()
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name.clone());
            let entries = match r.resource_type {
                TOPIC => topic(broker, r.resource_name.as_str()),
                BROKER => broker_entries(broker, r.resource_name.as_str()),
                other => Err((
                    ResponseError::InvalidRequest,
                    format!("resource type {other} is not supported; ask for a topic (2) or a broker (4)"),
                )),
            };
            let entries = match entries {
                Ok(e) => e,
                Err((code, message)) => {
                    return result
                        .with_error_code(code.code())
                        .with_error_message(Some(StrBytes::from_string(message)));
                }
            };
            let wanted = |name: &str| {
                r.configuration_keys
                    .as_ref()
                    .is_none_or(|keys| keys.is_empty() || keys.iter().any(|k| k.as_str() == name))
            };
            let configs = entries
                .into_iter()
                .filter(|e| wanted(e.name))
                .map(|e| {
                    let synonyms = if req.include_synonyms {
                        e.synonyms
                            .into_iter()
                            .map(|(name, value, source)| {
                                DescribeConfigsSynonym::default()
                                    .with_name(StrBytes::from_string(name))
                                    .with_value(Some(StrBytes::from_string(value)))
                                    .with_source(source)
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    let mut c = DescribeConfigsResourceResult::default()
                        .with_name(StrBytes::from_static_str(e.name))
                        .with_value(Some(StrBytes::from_string(e.value)))
                        .with_read_only(e.read_only)
                        .with_config_source(e.source)
                        .with_synonyms(synonyms);
                    if version >= 3 {
                        c = c.with_config_type(e.kind.code());
                        if req.include_documentation {
                            c = c.with_documentation(Some(StrBytes::from_static_str(e.doc)));
                        }
                    }
                    c
                })
                .collect();
            result.with_configs(configs)
        })
        .collect();
    DescribeConfigsResponse::default().with_results(results)
}

fn topic(broker: &Broker, name: &str) -> Result<Vec<Entry>, (ResponseError, String)> {
    let t = broker.topics.by_name(name).ok_or_else(|| {
        (
            ResponseError::UnknownTopicOrPartition,
            format!("topic `{name}` does not exist"),
        )
    })?;
    Ok(config::resolved(&t.entry.configs)
        .map(|(d, value, source)| {
            let mut synonyms = Vec::new();
            if source == SOURCE_TOPIC {
                synonyms.push((d.name.to_string(), value.clone(), SOURCE_TOPIC));
            }
            if let Some(b) = d.broker_synonym {
                synonyms.push((b.to_string(), d.default.to_string(), SOURCE_DEFAULT));
            }
            Entry {
                name: d.name,
                value,
                source,
                kind: d.kind,
                read_only: false,
                synonyms,
                doc: d.doc,
            }
        })
        .collect())
}

fn broker_entries(broker: &Broker, name: &str) -> Result<Vec<Entry>, (ResponseError, String)> {
    if !name.is_empty() && name != broker.node_id.to_string() {
        return Err((
            ResponseError::InvalidRequest,
            format!(
                "broker `{name}` is not this broker ({}); ask that broker",
                broker.node_id
            ),
        ));
    }
    let d = broker.topics.defaults;
    let fixed = |name, value: String, kind, doc| Entry {
        name,
        value,
        source: SOURCE_STATIC_BROKER,
        kind,
        read_only: true,
        synonyms: Vec::new(),
        doc,
    };
    Ok(vec![
        fixed(
            "auto.create.topics.enable",
            d.auto_create.to_string(),
            Kind::Boolean,
            "Create a topic when a client asks for its metadata (topics.auto_create).",
        ),
        fixed(
            "node.id",
            broker.node_id.to_string(),
            Kind::Int,
            "This broker's id (node_id).",
        ),
        fixed(
            "num.partitions",
            d.partitions.to_string(),
            Kind::Int,
            "Partitions of a topic created without a count (topics.default_partitions).",
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use automq_protocol::kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;

    #[tokio::test]
    async fn topic_configs_show_overrides_and_defaults_with_their_sources() {
        let b = testing::broker().await;
        let overrides = [("retention.ms".to_string(), "1000".to_string())].into();
        b.topics
            .create("t", Some(1), overrides, false)
            .await
            .unwrap();
        let req = DescribeConfigsRequest::default()
            .with_include_synonyms(true)
            .with_resources(vec![
                DescribeConfigsResource::default()
                    .with_resource_type(TOPIC)
                    .with_resource_name(StrBytes::from_static_str("t")),
                DescribeConfigsResource::default()
                    .with_resource_type(TOPIC)
                    .with_resource_name(StrBytes::from_static_str("nope")),
                DescribeConfigsResource::default()
                    .with_resource_type(BROKER)
                    .with_resource_name(StrBytes::from_static_str("3"))
                    .with_configuration_keys(Some(vec![StrBytes::from_static_str(
                        "num.partitions",
                    )])),
            ]);
        let resp = handle(&b, 4, &req);
        let t = &resp.results[0];
        assert_eq!(t.error_code, 0);
        assert_eq!(t.configs.len(), config::DEFS.len());
        let get = |n: &str| t.configs.iter().find(|c| c.name.as_str() == n).unwrap();
        let r = get("retention.ms");
        assert_eq!(
            (r.value.as_deref(), r.config_source),
            (Some("1000"), SOURCE_TOPIC)
        );
        assert_eq!(r.synonyms.len(), 2, "the override and the broker default");
        let m = get("max.message.bytes");
        assert_eq!(
            (m.value.as_deref(), m.config_source),
            (Some("1048588"), SOURCE_DEFAULT)
        );
        assert_eq!(m.config_type, Kind::Int.code());
        assert_eq!(
            resp.results[1].error_code,
            ResponseError::UnknownTopicOrPartition.code()
        );
        let broker = &resp.results[2];
        assert_eq!(broker.configs.len(), 1);
        assert_eq!(broker.configs[0].value.as_deref(), Some("2"));
    }
}
