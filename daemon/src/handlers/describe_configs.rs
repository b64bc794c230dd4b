//! DescribeConfigs: every topic config with its value, where it comes from (the topic's override, a dynamic
//! broker config, the cluster's dynamic default, automqd's configuration file, or Kafka's default) and, when asked,
//! every layer that sets it (synonyms) and its documentation; and the same for this broker's configs.
//!
//! A broker resource named by this broker's id reports every broker config; an empty name reports the dynamic
//! defaults of every broker, as Kafka does.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use automq_protocol::kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use crate::broker::Broker;
use crate::topics::broker_config;
use crate::topics::config::{self, Resolved, SOURCE_DYNAMIC_DEFAULT_BROKER};

pub const TOPIC: i8 = 2;
pub const BROKER: i8 = 4;

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

fn topic(broker: &Broker, name: &str) -> Result<Vec<Resolved>, (ResponseError, String)> {
    let t = broker.topics.by_name(name).ok_or_else(|| {
        (
            ResponseError::UnknownTopicOrPartition,
            format!("topic `{name}` does not exist"),
        )
    })?;
    let layers = broker.topics.layers();
    Ok(config::resolved(&t.entry.configs, &layers).collect())
}

fn broker_entries(broker: &Broker, name: &str) -> Result<Vec<Resolved>, (ResponseError, String)> {
    let layers = broker.topics.layers();
    if name.is_empty() {
        // The dynamic defaults of every broker: only what is set at that layer.
        return Ok(broker_config::all()
            .iter()
            .filter(|b| layers.cluster.contains_key(b.def.name))
            .map(|b| {
                let mut r = broker_config::describe(b, &layers);
                r.synonyms
                    .retain(|(_, _, s)| *s >= SOURCE_DYNAMIC_DEFAULT_BROKER);
                if let Some((_, v, s)) = r.synonyms.first() {
                    r.value = v.clone();
                    r.source = *s;
                }
                r
            })
            .collect());
    }
    if name != broker.node_id.to_string() {
        return Err((
            ResponseError::InvalidRequest,
            format!(
                "broker `{name}` is not this broker ({}); ask that broker",
                broker.node_id
            ),
        ));
    }
    let mut entries: Vec<Resolved> = identity(broker);
    entries.extend(
        broker_config::all()
            .iter()
            .map(|b| broker_config::describe(b, &layers)),
    );
    Ok(entries)
}

/// What identifies this broker, read-only and from its configuration, as Kafka reports it: the node id and the
/// address clients are told to use.
fn identity(broker: &Broker) -> Vec<Resolved> {
    let fixed = |name: &'static str, kind, doc: &'static str, value: String| Resolved {
        name,
        kind,
        doc,
        read_only: true,
        value,
        source: config::SOURCE_STATIC_BROKER,
        synonyms: Vec::new(),
    };
    vec![
        fixed(
            "node.id",
            config::Kind::Int,
            "The id of this broker (automqd's node_id).",
            broker.node_id.to_string(),
        ),
        fixed(
            "advertised.listeners",
            config::Kind::List,
            "The address clients are told to connect to (automqd's advertised_listener, or its first listener).",
            if broker.advertised_host.contains(':') {
                format!(
                    "PLAINTEXT://[{}]:{}",
                    broker.advertised_host, broker.advertised_port
                )
            } else {
                format!(
                    "PLAINTEXT://{}:{}",
                    broker.advertised_host, broker.advertised_port
                )
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use crate::topics::broker_config::BrokerTarget;
    use crate::topics::config::{
        Change, ConfigOp, Kind, SOURCE_DEFAULT, SOURCE_DYNAMIC_BROKER, SOURCE_DYNAMIC_TOPIC,
        SOURCE_STATIC_BROKER,
    };
    use automq_protocol::kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;

    fn resource(kind: i8, name: &'static str) -> DescribeConfigsResource {
        DescribeConfigsResource::default()
            .with_resource_type(kind)
            .with_resource_name(StrBytes::from_static_str(name))
    }

    #[tokio::test]
    async fn topic_configs_show_every_layer_with_its_source() {
        let b = testing::broker().await;
        let overrides = [("retention.ms".to_string(), "1000".to_string())].into();
        b.topics
            .create("t", Some(1), overrides, false)
            .await
            .unwrap();
        let set = |k: &str, v: &str| Change::Incremental(vec![ConfigOp::Set(k.into(), v.into())]);
        b.topics
            .alter_broker_configs(
                BrokerTarget::Node(3),
                &set("log.retention.bytes", "77"),
                false,
            )
            .await
            .unwrap();
        b.topics
            .alter_broker_configs(BrokerTarget::Default, &set("log.retention.ms", "5"), false)
            .await
            .unwrap();
        let req = DescribeConfigsRequest::default()
            .with_include_synonyms(true)
            .with_include_documentation(true)
            .with_resources(vec![
                resource(TOPIC, "t"),
                resource(TOPIC, "nope"),
                resource(BROKER, "3").with_configuration_keys(Some(vec![
                    StrBytes::from_static_str("num.partitions"),
                    StrBytes::from_static_str("advertised.listeners"),
                    StrBytes::from_static_str("log.retention.bytes"),
                ])),
                resource(BROKER, ""),
            ]);
        let resp = handle(&b, 4, &req);
        let t = &resp.results[0];
        assert_eq!(t.error_code, 0);
        assert_eq!(t.configs.len(), config::DEFS.len());
        let get = |n: &str| t.configs.iter().find(|c| c.name.as_str() == n).unwrap();
        let r = get("retention.ms");
        assert_eq!(
            (r.value.as_deref(), r.config_source),
            (Some("1000"), SOURCE_DYNAMIC_TOPIC)
        );
        let sources: Vec<(&str, i8)> = r
            .synonyms
            .iter()
            .map(|s| (s.name.as_str(), s.source))
            .collect();
        assert_eq!(
            sources,
            [
                ("retention.ms", SOURCE_DYNAMIC_TOPIC),
                ("log.retention.ms", SOURCE_DYNAMIC_DEFAULT_BROKER),
                ("log.retention.ms", SOURCE_DEFAULT)
            ]
        );
        let rb = get("retention.bytes");
        assert_eq!(
            (rb.value.as_deref(), rb.config_source),
            (Some("77"), SOURCE_DYNAMIC_BROKER)
        );
        let m = get("max.message.bytes");
        assert_eq!(
            (m.value.as_deref(), m.config_source),
            (Some("1048588"), SOURCE_DEFAULT)
        );
        assert_eq!(m.config_type, Kind::Int.code());
        assert!(
            m.documentation
                .as_deref()
                .unwrap()
                .contains("largest record batch")
        );
        assert_eq!(
            resp.results[1].error_code,
            ResponseError::UnknownTopicOrPartition.code()
        );
        let broker = &resp.results[2];
        assert_eq!(broker.configs.len(), 3);
        let bget = |n: &str| {
            broker
                .configs
                .iter()
                .find(|c| c.name.as_str() == n)
                .unwrap()
        };
        let np = bget("num.partitions");
        assert_eq!(
            (np.value.as_deref(), np.config_source, np.read_only),
            (Some("2"), SOURCE_STATIC_BROKER, true)
        );
        let al = bget("advertised.listeners");
        assert_eq!(
            (al.config_source, al.read_only, al.config_type),
            (SOURCE_STATIC_BROKER, true, Kind::List.code())
        );
        assert!(
            al.value.as_deref().unwrap().starts_with("PLAINTEXT://"),
            "{:?}",
            al.value
        );
        let lrb = bget("log.retention.bytes");
        assert_eq!(
            (lrb.value.as_deref(), lrb.config_source, lrb.read_only),
            (Some("77"), SOURCE_DYNAMIC_BROKER, false)
        );
        let defaults = &resp.results[3];
        assert_eq!(
            defaults.configs.len(),
            1,
            "only what is set for every broker"
        );
        assert_eq!(defaults.configs[0].name.as_str(), "log.retention.ms");
        assert_eq!(
            defaults.configs[0].config_source,
            SOURCE_DYNAMIC_DEFAULT_BROKER
        );
        // Without synonyms asked for, none are sent; before v3, no types or documentation.
        let plain = handle(&b, 2, &req.clone().with_include_synonyms(false));
        assert!(
            plain.results[0]
                .configs
                .iter()
                .all(|c| c.synonyms.is_empty())
        );
        assert!(
            plain.results[0]
                .configs
                .iter()
                .all(|c| c.documentation.as_deref().is_none_or(str::is_empty))
        );
    }
}
