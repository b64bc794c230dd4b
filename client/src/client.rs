//! The cluster as a whole: bootstrap, the metadata cache, connections by broker address, routing and retries.
//!
//! Routing: topic administration goes to the controller the metadata names, partition calls to each partition's
//! leader, group calls to the group's coordinator (found with FindCoordinator), everything else to any broker.
//! Every admin call runs under one deadline (`default.api.timeout.ms`); within it, retriable Kafka errors and
//! lost connections are retried after a growing pause, refreshing metadata first. A request that may have
//! reached the broker is resent only when sending it twice is harmless.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{ApiKey, MetadataRequest, TopicName};
use kafka_protocol::protocol::{Request, StrBytes};
use serde::Serialize;
use tokio::sync::Mutex;

use crate::config::ClientConfig;
use crate::connection::Connection;
use crate::error::{Error, KafkaCode, Resource, Result};

/// Which broker a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Any live broker.
    Any,
    /// The controller named in the metadata (topic administration).
    Controller,
    /// One broker by id.
    Node(i32),
}

/// Whether a request may be sent again after its connection closed with the request possibly delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// Reads, and writes whose repetition has the same effect.
    Safe,
    /// Writes that must not be applied twice unknowingly.
    Never,
}

/// A broker as the metadata lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokerInfo {
    pub id: i32,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
}

impl BrokerInfo {
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One partition as the metadata lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionInfo {
    pub partition: i32,
    /// -1 when the partition has no leader.
    pub leader: i32,
    pub leader_epoch: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub offline: Vec<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One topic as the metadata lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicInfo {
    pub name: String,
    /// The topic id, as Kafka prints it (URL-safe base64); absent before Metadata v10.
    pub id: Option<String>,
    pub internal: bool,
    pub partitions: Vec<PartitionInfo>,
}

impl TopicInfo {
    /// The replication factor: the largest replica set among the partitions.
    pub fn replication_factor(&self) -> usize {
        self.partitions
            .iter()
            .map(|p| p.replicas.len())
            .max()
            .unwrap_or(0)
    }
}

/// A Metadata answer in our own types.
#[derive(Debug, Clone, Serialize)]
pub struct Metadata {
    pub cluster_id: Option<String>,
    pub controller_id: i32,
    pub brokers: Vec<BrokerInfo>,
    pub topics: Vec<TopicInfo>,
    /// Topics the broker answered with an error for (unknown, unauthorized), with that error.
    #[serde(skip)]
    pub topic_errors: Vec<(String, KafkaCode)>,
}

#[derive(Debug, Default)]
struct State {
    brokers: BTreeMap<i32, BrokerInfo>,
    controller: Option<i32>,
    conns: HashMap<String, Arc<Connection>>,
}

/// A client of one Kafka cluster (Apache Kafka or automq).
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    state: Mutex<State>,
}

impl Client {
    /// Connects to the first bootstrap server that answers and reads the cluster's brokers.
    pub async fn connect(config: ClientConfig) -> Result<Client> {
        if config.bootstrap_servers.is_empty() {
            return Err(crate::config::ConfigError::NoBootstrap.into());
        }
        let client = Client {
            config,
            state: Mutex::new(State::default()),
        };
        let mut tried = Vec::new();
        for addr in &client.config.bootstrap_servers {
            match client.conn_to(addr).await {
                Ok(_) => {
                    client.metadata(Some(&[])).await?;
                    return Ok(client);
                }
                Err(e) => tried.push(e),
            }
        }
        Err(Error::Bootstrap { tried })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// An open connection to `addr`, reusing a pooled one unless it closed.
    pub(crate) async fn conn_to(&self, addr: &str) -> Result<Arc<Connection>> {
        if let Some(c) = self.state.lock().await.conns.get(addr)
            && !c.is_closed()
        {
            return Ok(c.clone());
        }
        let fresh = Arc::new(Connection::open(addr, &self.config).await?);
        let mut state = self.state.lock().await;
        match state.conns.get(addr) {
            Some(c) if !c.is_closed() => Ok(c.clone()),
            _ => {
                state.conns.insert(addr.to_string(), fresh.clone());
                Ok(fresh)
            }
        }
    }

    /// The pooled connection a request to `target` would use, opened if needed.
    pub async fn connection(&self, target: Target) -> Result<Arc<Connection>> {
        self.conn_for(target).await
    }

    async fn conn_for(&self, target: Target) -> Result<Arc<Connection>> {
        match target {
            Target::Node(id) => {
                let addr = {
                    let state = self.state.lock().await;
                    match state.brokers.get(&id) {
                        Some(b) => b.addr(),
                        None => {
                            return Err(Error::UnknownBroker {
                                id,
                                known: known_ids(&state.brokers),
                            });
                        }
                    }
                };
                self.conn_to(&addr).await
            }
            Target::Controller => {
                let controller = self.state.lock().await.controller;
                match controller {
                    Some(id) if id >= 0 => Box::pin(self.conn_for(Target::Node(id))).await,
                    _ => self.any_conn().await,
                }
            }
            Target::Any => self.any_conn().await,
        }
    }

    /// A pooled open connection, else the first known broker or bootstrap server that answers.
    async fn any_conn(&self) -> Result<Arc<Connection>> {
        let (open, mut addrs) = {
            let state = self.state.lock().await;
            let open = state.conns.values().find(|c| !c.is_closed()).cloned();
            let addrs: Vec<String> = state.brokers.values().map(BrokerInfo::addr).collect();
            (open, addrs)
        };
        if let Some(c) = open {
            return Ok(c);
        }
        addrs.extend(self.config.bootstrap_servers.iter().cloned());
        let mut tried = Vec::new();
        for addr in addrs {
            match self.conn_to(&addr).await {
                Ok(c) => return Ok(c),
                Err(e) => tried.push(e),
            }
        }
        Err(Error::Bootstrap { tried })
    }

    /// Sends one request, built for the version negotiated with the target broker. Reconnects when the pooled
    /// connection turns out closed; resends after a lost answer only when `resend` allows it.
    pub async fn send<R: Request>(
        &self,
        target: Target,
        resend: Resend,
        build: impl Fn(i16) -> R,
    ) -> Result<R::Response> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let conn = self.conn_for(target).await?;
            let api = ApiKey::try_from(R::KEY)
                .map_err(|_| Error::Invalid(format!("unknown API key {}", R::KEY)))?;
            let version = conn.version(api)?;
            match conn.call(&build(version), version).await {
                Err(Error::Disconnected { sent, .. })
                    if attempts < 3 && (!sent || resend == Resend::Safe) =>
                {
                    continue;
                }
                other => return other,
            }
        }
    }

    /// The version this client would speak for `api` with the target broker.
    pub async fn version(&self, target: Target, api: ApiKey) -> Result<i16> {
        self.conn_for(target).await?.version(api)
    }

    /// Runs `op` until it succeeds, fails for good, or the deadline passes. Before each retry it waits a growing
    /// pause and refreshes the metadata, so a moved leader or controller is found.
    pub async fn retrying<T, F, Fut>(&self, mut op: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let start = Instant::now();
        let deadline = start + self.config.api_timeout;
        let mut pause = self.config.retry_backoff;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let outcome = match tokio::time::timeout(remaining, op()).await {
                Ok(r) => r,
                Err(_) => {
                    return Err(Error::GaveUp {
                        after: self.config.api_timeout,
                        last: Box::new(Error::Invalid("no answer".to_string())),
                    });
                }
            };
            match outcome {
                Ok(v) => return Ok(v),
                Err(e) if e.is_retriable() => {
                    if Instant::now() + pause >= deadline {
                        return Err(Error::GaveUp {
                            after: start.elapsed().max(self.config.api_timeout),
                            last: Box::new(e),
                        });
                    }
                    tracing::debug!("retrying after {pause:?}: {e}");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                    // A failed refresh is retried by the next attempt's own call.
                    let _ = self.metadata(Some(&[])).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Metadata for some topics (`Some(&[])`: brokers only) or all (`None`), refreshing the broker cache.
    pub async fn metadata(&self, topics: Option<&[String]>) -> Result<Metadata> {
        let resp = self
            .send(Target::Any, Resend::Safe, |v| {
                let mut req = MetadataRequest::default().with_topics(topics.map(|ts| {
                    ts.iter()
                        .map(|t| {
                            MetadataRequestTopic::default()
                                .with_name(Some(TopicName(StrBytes::from_string(t.clone()))))
                        })
                        .collect()
                }));
                if v >= 4 {
                    req.allow_auto_topic_creation = false;
                }
                req
            })
            .await?;
        Error::check(|| Resource::Cluster, resp.error_code, None)?;
        let brokers: Vec<BrokerInfo> = resp
            .brokers
            .iter()
            .map(|b| BrokerInfo {
                id: b.node_id.0,
                host: b.host.to_string(),
                port: b.port,
                rack: b.rack.as_ref().map(|r| r.to_string()),
            })
            .collect();
        {
            let mut state = self.state.lock().await;
            state.brokers = brokers.iter().map(|b| (b.id, b.clone())).collect();
            state.controller = Some(resp.controller_id.0);
        }
        let mut topics = Vec::new();
        let mut topic_errors = Vec::new();
        for t in resp.topics {
            let name = t.name.map(|n| n.0.to_string()).unwrap_or_default();
            if let Some(code) = KafkaCode::check(t.error_code) {
                topic_errors.push((name, code));
                continue;
            }
            let mut partitions: Vec<PartitionInfo> = t
                .partitions
                .iter()
                .map(|p| PartitionInfo {
                    partition: p.partition_index,
                    leader: p.leader_id.0,
                    leader_epoch: p.leader_epoch,
                    replicas: p.replica_nodes.iter().map(|b| b.0).collect(),
                    isr: p.isr_nodes.iter().map(|b| b.0).collect(),
                    offline: p.offline_replicas.iter().map(|b| b.0).collect(),
                    error: KafkaCode::check(p.error_code).map(|c| c.to_string()),
                })
                .collect();
            partitions.sort_by_key(|p| p.partition);
            topics.push(TopicInfo {
                name,
                id: (!t.topic_id.is_nil()).then(|| topic_id_string(&t.topic_id)),
                internal: t.is_internal,
                partitions,
            });
        }
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Metadata {
            cluster_id: resp.cluster_id.map(|c| c.to_string()),
            controller_id: resp.controller_id.0,
            brokers,
            topics,
            topic_errors,
        })
    }

    /// Metadata for exactly these topics; an unknown topic is an error naming it.
    pub async fn topics(&self, names: &[String]) -> Result<Vec<TopicInfo>> {
        let md = self
            .retrying(|| async {
                let md = self.metadata(Some(names)).await?;
                // Leaderless partitions of a fresh topic settle within moments; wait for them.
                if let Some((t, code)) = md.topic_errors.iter().find(|(_, c)| c.0 == 5) {
                    return Err(Error::kafka(Resource::Topic(t.clone()), *code, None));
                }
                Ok(md)
            })
            .await?;
        if let Some((t, code)) = md.topic_errors.first() {
            return Err(Error::kafka(Resource::Topic(t.clone()), *code, None));
        }
        Ok(md.topics)
    }

    /// Adds a broker learned outside Metadata (a coordinator) unless already known.
    pub(crate) async fn remember(&self, broker: BrokerInfo) {
        self.state
            .lock()
            .await
            .brokers
            .entry(broker.id)
            .or_insert(broker);
    }

    /// The brokers as last seen.
    pub async fn brokers(&self) -> Vec<BrokerInfo> {
        self.state.lock().await.brokers.values().cloned().collect()
    }
}

fn known_ids(brokers: &BTreeMap<i32, BrokerInfo>) -> String {
    if brokers.is_empty() {
        return "none".to_string();
    }
    brokers
        .keys()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A topic id as Kafka's tools print it: 16 bytes in URL-safe base64 without padding.
pub fn topic_id_string(id: &uuid::Uuid) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = id.as_bytes();
    let mut out = String::with_capacity(22);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_ids_print_as_kafka_prints_them() {
        let id = uuid::Uuid::from_bytes([
            0xfb, 0xff, 0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b, 0x30, 0xd3, 0x8f,
            0x41, 0x14,
        ]);
        // `base64.urlsafe_b64encode(bytes).rstrip("=")` in Python gives the same.
        assert_eq!(topic_id_string(&id), "-_8AEIMQUYcgkosw049BFA");
    }
}
