//! Topic and broker configs: DescribeConfigs and IncrementalAlterConfigs.
//!
//! A broker's own configs are answered by that broker, so those requests go to it; cluster-wide broker defaults
//! (the empty resource name) and topic configs are answered by any broker.

use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::{DescribeConfigsRequest, IncrementalAlterConfigsRequest};
use kafka_protocol::protocol::StrBytes;
use serde::Serialize;

use crate::client::{Client, Resend, Target};
use crate::error::{Error, Resource, Result};

/// What a config belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigResource {
    Topic(String),
    /// One broker by id.
    Broker(i32),
    /// The dynamic defaults every broker inherits.
    BrokerDefaults,
}

impl ConfigResource {
    fn kafka_type(&self) -> i8 {
        match self {
            ConfigResource::Topic(_) => 2,
            ConfigResource::Broker(_) | ConfigResource::BrokerDefaults => 4,
        }
    }

    fn kafka_name(&self) -> String {
        match self {
            ConfigResource::Topic(t) => t.clone(),
            ConfigResource::Broker(id) => id.to_string(),
            ConfigResource::BrokerDefaults => String::new(),
        }
    }

    fn target(&self) -> Target {
        match self {
            ConfigResource::Broker(id) => Target::Node(*id),
            _ => Target::Any,
        }
    }

    fn resource(&self) -> Resource {
        match self {
            ConfigResource::Topic(t) => Resource::Topic(t.clone()),
            ConfigResource::Broker(id) => Resource::Broker(*id),
            ConfigResource::BrokerDefaults => Resource::Broker(-1),
        }
    }
}

/// One config value and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigEntry {
    pub name: String,
    /// `None` for sensitive values the broker does not reveal, and for unset ones.
    pub value: Option<String>,
    /// Kafka's name for the source: `DYNAMIC_TOPIC_CONFIG`, `STATIC_BROKER_CONFIG`, `DEFAULT_CONFIG`, …
    pub source: &'static str,
    pub read_only: bool,
    pub sensitive: bool,
    /// Every level that sets this config, the one in effect first (`STATIC_BROKER_CONFIG` under
    /// `DYNAMIC_BROKER_CONFIG`, …).
    pub synonyms: Vec<ConfigSynonym>,
}

/// One level that sets a config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigSynonym {
    pub name: String,
    pub value: Option<String>,
    pub source: &'static str,
}

impl ConfigEntry {
    /// Whether the value is Kafka's built-in default rather than something someone set.
    pub fn is_default(&self) -> bool {
        self.source == "DEFAULT_CONFIG"
    }

    /// Whether the value agrees with the level the broker says is in effect. A broker applies a dynamic change
    /// in steps, and for a moment may report the new source with the old value.
    pub fn is_consistent(&self) -> bool {
        self.synonyms
            .first()
            .is_none_or(|s| s.source == self.source && (self.sensitive || s.value == self.value))
    }
}

fn source_name(source: i8) -> &'static str {
    match source {
        1 => "DYNAMIC_TOPIC_CONFIG",
        2 => "DYNAMIC_BROKER_CONFIG",
        3 => "DYNAMIC_DEFAULT_BROKER_CONFIG",
        4 => "STATIC_BROKER_CONFIG",
        5 => "DEFAULT_CONFIG",
        6 => "DYNAMIC_BROKER_LOGGER_CONFIG",
        7 => "CLIENT_METRICS_CONFIG",
        8 => "GROUP_CONFIG",
        _ => "UNKNOWN",
    }
}

/// One change to a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterConfigOp {
    Set(String, String),
    /// Back to the inherited value.
    Delete(String),
}

impl Client {
    /// The configs of one resource, all of them or only `keys`, sorted by name.
    pub async fn describe_configs(
        &self,
        resource: &ConfigResource,
        keys: Option<&[String]>,
    ) -> Result<Vec<ConfigEntry>> {
        let resp = self
            .retrying(|| async move {
                self.send(resource.target(), Resend::Safe, |_| {
                    DescribeConfigsRequest::default()
                        .with_include_synonyms(true)
                        .with_resources(vec![
                            DescribeConfigsResource::default()
                                .with_resource_type(resource.kafka_type())
                                .with_resource_name(StrBytes::from_string(resource.kafka_name()))
                                .with_configuration_keys(keys.map(|ks| {
                                    ks.iter()
                                        .map(|k| StrBytes::from_string(k.clone()))
                                        .collect()
                                })),
                        ])
                })
                .await
            })
            .await?;
        let result = resp.results.into_iter().next().ok_or_else(|| {
            Error::Invalid(format!(
                "{}: the answer lists no resource",
                resource.resource()
            ))
        })?;
        Error::check(
            || resource.resource(),
            result.error_code,
            result.error_message.as_ref(),
        )?;
        let mut entries: Vec<ConfigEntry> = result
            .configs
            .into_iter()
            .map(|c| ConfigEntry {
                name: c.name.to_string(),
                value: c.value.map(|v| v.to_string()),
                source: source_name(c.config_source),
                read_only: c.read_only,
                sensitive: c.is_sensitive,
                synonyms: c
                    .synonyms
                    .into_iter()
                    .map(|s| ConfigSynonym {
                        name: s.name.to_string(),
                        value: s.value.map(|v| v.to_string()),
                        source: source_name(s.source),
                    })
                    .collect(),
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Applies changes to one resource's configs; `validate_only` checks them without applying.
    pub async fn alter_configs(
        &self,
        resource: &ConfigResource,
        ops: &[AlterConfigOp],
        validate_only: bool,
    ) -> Result<()> {
        let resp = self
            .retrying(|| async move {
                self.send(resource.target(), Resend::Safe, |_| {
                    IncrementalAlterConfigsRequest::default()
                        .with_resources(vec![
                            AlterConfigsResource::default()
                                .with_resource_type(resource.kafka_type())
                                .with_resource_name(StrBytes::from_string(resource.kafka_name()))
                                .with_configs(
                                    ops.iter()
                                        .map(|op| match op {
                                            AlterConfigOp::Set(k, v) => AlterableConfig::default()
                                                .with_name(StrBytes::from_string(k.clone()))
                                                .with_config_operation(0)
                                                .with_value(Some(StrBytes::from_string(v.clone()))),
                                            AlterConfigOp::Delete(k) => AlterableConfig::default()
                                                .with_name(StrBytes::from_string(k.clone()))
                                                .with_config_operation(1)
                                                .with_value(None),
                                        })
                                        .collect(),
                                ),
                        ])
                        .with_validate_only(validate_only)
                })
                .await
            })
            .await?;
        let r = resp.responses.into_iter().next().ok_or_else(|| {
            Error::Invalid(format!(
                "{}: the answer lists no resource",
                resource.resource()
            ))
        })?;
        Error::check(
            || resource.resource(),
            r.error_code,
            r.error_message.as_ref(),
        )
    }
}
