//! AlterConfigs (the older API): the configs given replace every override of the topic, or every dynamic config
//! of the broker; anything not named goes back to its default. Checked like IncrementalAlterConfigs; a config
//! without a value is INVALID_REQUEST, as in Kafka.

use std::collections::BTreeMap;

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use automq_protocol::kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use tracing::info;

use super::incremental_alter_configs::{alter, duplicate_resource, duplicate_resources};
use crate::broker::Broker;
use crate::topics::config::Change;

pub async fn handle(broker: &Broker, req: &AlterConfigsRequest) -> AlterConfigsResponse {
    let duplicates = duplicate_resources(
        req.resources
            .iter()
            .map(|r| (r.resource_type, r.resource_name.as_str())),
    );
    let mut responses = Vec::with_capacity(req.resources.len());
    for r in &req.resources {
        let name = r.resource_name.as_str();
        let result = if duplicates.contains(&(r.resource_type, name.to_string())) {
            Err(duplicate_resource(name))
        } else {
            let mut all = BTreeMap::new();
            let mut bad = None;
            for c in &r.configs {
                match &c.value {
                    None => {
                        bad = Some((
                            ResponseError::InvalidRequest,
                            format!("config `{}` has no value", c.name.as_str()),
                        ));
                    }
                    Some(v) => {
                        if all.insert(c.name.to_string(), v.to_string()).is_some() {
                            bad = Some((
                                ResponseError::InvalidRequest,
                                format!("config `{}` is named more than once", c.name.as_str()),
                            ));
                        }
                    }
                }
            }
            match bad {
                Some(e) => Err(e),
                None => {
                    alter(
                        broker,
                        r.resource_type,
                        name,
                        &Change::Replace(all),
                        req.validate_only,
                    )
                    .await
                }
            }
        };
        let (code, message) = match result {
            Ok(()) => (0, None),
            Err((code, message)) => {
                info!(resource = name, "config change refused: {message}");
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
    AlterConfigsResponse::default().with_responses(responses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use crate::handlers::describe_configs::{BROKER, TOPIC};
    use automq_protocol::kafka_protocol::messages::alter_configs_request::{
        AlterConfigsResource, AlterableConfig,
    };

    fn config(name: &str, value: Option<&str>) -> AlterableConfig {
        AlterableConfig::default()
            .with_name(StrBytes::from_string(name.into()))
            .with_value(value.map(|v| StrBytes::from_string(v.into())))
    }

    fn resource(kind: i8, name: &str, configs: Vec<AlterableConfig>) -> AlterConfigsResource {
        AlterConfigsResource::default()
            .with_resource_type(kind)
            .with_resource_name(StrBytes::from_string(name.into()))
            .with_configs(configs)
    }

    #[tokio::test]
    async fn the_given_set_replaces_every_override() {
        let b = testing::broker().await;
        let overrides = [
            ("retention.ms".to_string(), "1000".to_string()),
            ("segment.ms".to_string(), "1000".to_string()),
        ]
        .into();
        b.topics
            .create("t", Some(1), overrides, false)
            .await
            .unwrap();
        let req = AlterConfigsRequest::default().with_resources(vec![
            resource(TOPIC, "t", vec![config("max.message.bytes", Some("500"))]),
            resource(BROKER, "3", vec![config("log.retention.ms", Some("60000"))]),
        ]);
        let resp = handle(&b, &req).await;
        assert!(resp.responses.iter().all(|r| r.error_code == 0), "{resp:?}");
        let t = b.topics.by_name("t").unwrap();
        assert_eq!(
            t.entry.configs,
            BTreeMap::from([("max.message.bytes".to_string(), "500".to_string())])
        );
        assert_eq!(t.config.retention_ms, 60000, "now from the broker");

        let req = AlterConfigsRequest::default().with_resources(vec![
            resource(TOPIC, "t", vec![config("retention.ms", None)]),
            resource(TOPIC, "u", vec![]),
            resource(TOPIC, "t2", vec![config("bogus", Some("1"))]),
        ]);
        b.topics
            .create("t2", Some(1), BTreeMap::new(), false)
            .await
            .unwrap();
        let resp = handle(&b, &req).await;
        let codes: Vec<i16> = resp.responses.iter().map(|r| r.error_code).collect();
        assert_eq!(
            codes,
            [
                ResponseError::InvalidRequest.code(),
                ResponseError::UnknownTopicOrPartition.code(),
                ResponseError::InvalidConfig.code()
            ]
        );
        assert!(
            resp.responses[2]
                .error_message
                .as_deref()
                .unwrap()
                .contains("bogus")
        );

        let req = AlterConfigsRequest::default()
            .with_validate_only(true)
            .with_resources(vec![resource(TOPIC, "t", vec![])]);
        assert_eq!(handle(&b, &req).await.responses[0].error_code, 0);
        assert_eq!(
            b.topics.by_name("t").unwrap().entry.configs.len(),
            1,
            "validate_only"
        );
    }
}
