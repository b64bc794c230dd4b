//! The cluster's identity and brokers: DescribeCluster, or Metadata from a broker without it.

use kafka_protocol::messages::{ApiKey, DescribeClusterRequest};
use serde::Serialize;

use crate::client::{BrokerInfo, Client, Resend, Target};
use crate::error::{Error, Resource, Result};

/// The cluster as one broker describes it.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterInfo {
    pub cluster_id: Option<String>,
    /// -1 when unknown.
    pub controller_id: i32,
    pub brokers: Vec<ClusterBroker>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterBroker {
    #[serde(flatten)]
    pub broker: BrokerInfo,
    /// Fenced brokers are registered but serve nothing; only DescribeCluster v2 reports them.
    pub fenced: bool,
}

impl Client {
    pub async fn describe_cluster(&self) -> Result<ClusterInfo> {
        let supported = self
            .version(Target::Any, ApiKey::DescribeCluster)
            .await
            .is_ok();
        if !supported {
            let md = self.metadata(Some(&[])).await?;
            return Ok(ClusterInfo {
                cluster_id: md.cluster_id,
                controller_id: md.controller_id,
                brokers: sorted(
                    md.brokers
                        .into_iter()
                        .map(|broker| ClusterBroker {
                            broker,
                            fenced: false,
                        })
                        .collect(),
                ),
            });
        }
        let resp = self
            .retrying(|| async move {
                self.send(Target::Any, Resend::Safe, |v| {
                    DescribeClusterRequest::default()
                        .with_endpoint_type(1)
                        .with_include_fenced_brokers(v >= 2)
                })
                .await
            })
            .await?;
        Error::check(
            || Resource::Cluster,
            resp.error_code,
            resp.error_message.as_ref(),
        )?;
        Ok(ClusterInfo {
            cluster_id: Some(resp.cluster_id.to_string()),
            controller_id: resp.controller_id.0,
            brokers: sorted(
                resp.brokers
                    .iter()
                    .map(|b| ClusterBroker {
                        broker: BrokerInfo {
                            id: b.broker_id.0,
                            host: b.host.to_string(),
                            port: b.port,
                            rack: b.rack.as_ref().map(|r| r.to_string()),
                        },
                        fenced: b.is_fenced,
                    })
                    .collect(),
            ),
        })
    }
}

fn sorted(mut brokers: Vec<ClusterBroker>) -> Vec<ClusterBroker> {
    brokers.sort_by_key(|b| b.broker.id);
    brokers
}
