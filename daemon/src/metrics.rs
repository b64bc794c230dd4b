//! The broker's Prometheus metrics and its HTTP endpoint (`/metrics`, `/health`).
//!
//! Families (as scraped):
//! - `kafka_requests_total{api}` and `kafka_request_duration_seconds{api}`: every answered request, with the time
//!   from decoded to answered (a long-polling fetch counts its wait);
//! - `kafka_request_errors_total{api, error}`: error codes in answers, per partition or topic where the answer
//!   carries them there (`UNKNOWN_TOPIC_OR_PARTITION`, `CORRUPT_MESSAGE`, …);
//! - `kafka_connections_closed_total{reason}`: connections the broker closed (`protocol`, `idle`);
//!   `kafka_connections` the ones open now;
//! - `kafka_topic_in_bytes_total{topic}` and `kafka_topic_out_bytes_total{topic}`: record-batch bytes accepted
//!   from producers and sent to fetchers (acks=0 produce requests have no answer and are not counted);
//! - `object_store_*{store}`: every storage operation, its bytes, latency and errors (backends' metrics wrapper),
//!   which covers WAL objects, uploads, compaction and metadata;
//! - `engine_block_cache_*`: the cold-read cache's hits, misses, readahead and size, read at scrape time.
//!
//! The endpoint is a deliberately small HTTP/1.1 server: GET only, one request per connection, bounded header size
//! and time. It listens on `http.listener` (default 127.0.0.1:9464; null turns it off).

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use automq_protocol::ApiKey;
use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::{RequestKind, ResponseKind};
use automq_stream::engine::Engine;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tracing::{debug, info};

use crate::broker::Broker;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApiLabels {
    api: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    api: &'static str,
    error: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TopicLabels {
    topic: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// The broker's own metric families. One per process ([`global`]), so every connection and handler counts into
/// the same families without threading them through.
#[derive(Debug)]
pub struct BrokerMetrics {
    requests: Family<ApiLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    duration: Family<ApiLabels, Histogram>,
    bytes_in: Family<TopicLabels, Counter>,
    bytes_out: Family<TopicLabels, Counter>,
    connections: Gauge,
    closed: Family<ReasonLabels, Counter>,
}

static GLOBAL: LazyLock<BrokerMetrics> = LazyLock::new(|| BrokerMetrics {
    requests: Family::default(),
    errors: Family::default(),
    // 0.1 ms to about 52 s.
    duration: Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0001, 2.0, 20))),
    bytes_in: Family::default(),
    bytes_out: Family::default(),
    connections: Gauge::default(),
    closed: Family::default(),
});

/// The process's broker metrics.
pub fn global() -> &'static BrokerMetrics {
    &GLOBAL
}

/// An API's Kafka name (Produce, Fetch, …), formatted once per process rather than on every request.
fn api_name(api: ApiKey) -> &'static str {
    static NAMES: LazyLock<std::collections::HashMap<i16, String>> = LazyLock::new(|| {
        (0..i16::MAX)
            .take_while(|k| *k < 256)
            .filter_map(|k| ApiKey::try_from(k).ok().map(|a| (k, format!("{a:?}"))))
            .collect()
    });
    NAMES.get(&(api as i16)).map_or("Unknown", String::as_str)
}

fn error_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        Some(e) => format!("{e:?}"),
        None => format!("code_{code}"),
    }
}

impl BrokerMetrics {
    /// Adds the families to `registry` (once per registry).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "kafka_requests",
            "Requests answered, by API",
            self.requests.clone(),
        );
        registry.register(
            "kafka_request_errors",
            "Error codes in answers, by API and error",
            self.errors.clone(),
        );
        registry.register_with_unit(
            "kafka_request_duration",
            "Time from a request decoded to its answer ready, by API",
            Unit::Seconds,
            self.duration.clone(),
        );
        registry.register_with_unit(
            "kafka_topic_in",
            "Record-batch bytes produced, by topic",
            Unit::Bytes,
            self.bytes_in.clone(),
        );
        registry.register_with_unit(
            "kafka_topic_out",
            "Record-batch bytes fetched, by topic",
            Unit::Bytes,
            self.bytes_out.clone(),
        );
        registry.register(
            "kafka_connections",
            "Client connections open now",
            self.connections.clone(),
        );
        registry.register(
            "kafka_connections_closed",
            "Connections the broker closed, by reason",
            self.closed.clone(),
        );
    }

    pub fn connection_opened(&self) {
        self.connections.inc();
    }

    pub fn connection_ended(&self, closed_by_broker: Option<&'static str>) {
        self.connections.dec();
        if let Some(reason) = closed_by_broker {
            self.closed.get_or_create(&ReasonLabels { reason }).inc();
        }
    }

    /// The record bytes a produce request carries per topic and partition, read before the body moves into its
    /// handler; [`BrokerMetrics::answered`] counts those the answer accepted.
    pub fn produced(&self, broker: &Broker, body: &RequestKind) -> Vec<(String, i32, usize)> {
        let RequestKind::Produce(req) = body else {
            return Vec::new();
        };
        req.topic_data
            .iter()
            .flat_map(|t| {
                let topic = topic_name(broker, t.name.as_str(), t.topic_id);
                t.partition_data.iter().map(move |p| {
                    (
                        topic.clone(),
                        p.index,
                        p.records.as_ref().map_or(0, |r| r.len()),
                    )
                })
            })
            .collect()
    }

    /// Counts an answered request: its API, time, error codes and fetched bytes.
    pub fn answered(
        &self,
        broker: &Broker,
        api: ApiKey,
        elapsed: Duration,
        produced: &[(String, i32, usize)],
        response: Option<&ResponseKind>,
    ) {
        let api = api_name(api);
        let labels = ApiLabels { api };
        self.requests.get_or_create(&labels).inc();
        self.duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        let Some(response) = response else {
            return;
        };
        for code in error_codes(response) {
            if code != 0 {
                self.errors
                    .get_or_create(&ErrorLabels {
                        api,
                        error: error_name(code),
                    })
                    .inc();
            }
        }
        if let ResponseKind::Produce(p) = response {
            for t in &p.responses {
                let topic = topic_name(broker, t.name.as_str(), t.topic_id);
                for part in t.partition_responses.iter().filter(|r| r.error_code == 0) {
                    let bytes = produced
                        .iter()
                        .find(|(n, i, _)| *n == topic && *i == part.index)
                        .map_or(0, |(_, _, b)| *b);
                    self.bytes_in
                        .get_or_create(&TopicLabels {
                            topic: topic.clone(),
                        })
                        .inc_by(bytes as u64);
                }
            }
        }
        if let ResponseKind::Fetch(f) = response {
            for t in &f.responses {
                let bytes: usize = t
                    .partitions
                    .iter()
                    .filter_map(|p| p.records.as_ref().map(|r| r.len()))
                    .sum();
                if bytes > 0 {
                    let topic = topic_name(broker, t.topic.as_str(), t.topic_id);
                    self.bytes_out
                        .get_or_create(&TopicLabels { topic })
                        .inc_by(bytes as u64);
                }
            }
        }
    }
}

fn topic_name(broker: &Broker, name: &str, id: uuid::Uuid) -> String {
    if !name.is_empty() {
        return name.to_string();
    }
    broker
        .topics
        .by_id(id)
        .map(|t| t.entry.name.clone())
        .unwrap_or_else(|| id.to_string())
}

/// The error codes an answer carries, wherever its API puts them.
fn error_codes(response: &ResponseKind) -> Vec<i16> {
    match response {
        ResponseKind::Produce(r) => r
            .responses
            .iter()
            .flat_map(|t| t.partition_responses.iter().map(|p| p.error_code))
            .collect(),
        ResponseKind::Fetch(r) => std::iter::once(r.error_code)
            .chain(
                r.responses
                    .iter()
                    .flat_map(|t| t.partitions.iter().map(|p| p.error_code)),
            )
            .collect(),
        ResponseKind::ListOffsets(r) => r
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
            .collect(),
        ResponseKind::Metadata(r) => r.topics.iter().map(|t| t.error_code).collect(),
        ResponseKind::CreateTopics(r) => r.topics.iter().map(|t| t.error_code).collect(),
        ResponseKind::DeleteTopics(r) => r.responses.iter().map(|t| t.error_code).collect(),
        ResponseKind::InitProducerId(r) => vec![r.error_code],
        ResponseKind::DescribeConfigs(r) => r.results.iter().map(|t| t.error_code).collect(),
        ResponseKind::DescribeCluster(r) => vec![r.error_code],
        ResponseKind::ApiVersions(r) => vec![r.error_code],
        ResponseKind::JoinGroup(r) => vec![r.error_code],
        ResponseKind::SyncGroup(r) => vec![r.error_code],
        ResponseKind::Heartbeat(r) => vec![r.error_code],
        ResponseKind::LeaveGroup(r) => vec![r.error_code],
        ResponseKind::ListGroups(r) => vec![r.error_code],
        ResponseKind::FindCoordinator(r) => std::iter::once(r.error_code)
            .chain(r.coordinators.iter().map(|c| c.error_code))
            .collect(),
        ResponseKind::OffsetCommit(r) => r
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
            .collect(),
        ResponseKind::DescribeGroups(r) => r.groups.iter().map(|g| g.error_code).collect(),
        ResponseKind::DeleteGroups(r) => r.results.iter().map(|g| g.error_code).collect(),
        ResponseKind::CreatePartitions(r) => r.results.iter().map(|t| t.error_code).collect(),
        ResponseKind::AlterConfigs(r) => r.responses.iter().map(|t| t.error_code).collect(),
        ResponseKind::IncrementalAlterConfigs(r) => {
            r.responses.iter().map(|t| t.error_code).collect()
        }
        ResponseKind::DeleteRecords(r) => r
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
            .collect(),
        ResponseKind::OffsetForLeaderEpoch(r) => r
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
            .collect(),
        ResponseKind::DescribeLogDirs(r) => vec![r.error_code],
        ResponseKind::AddPartitionsToTxn(r) => std::iter::once(r.error_code)
            .chain(r.results_by_topic_v3_and_below.iter().flat_map(|t| {
                t.results_by_partition
                    .iter()
                    .map(|p| p.partition_error_code)
            }))
            .collect(),
        ResponseKind::AddOffsetsToTxn(r) => vec![r.error_code],
        ResponseKind::EndTxn(r) => vec![r.error_code],
        ResponseKind::TxnOffsetCommit(r) => r
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
            .collect(),
        ResponseKind::ListTransactions(r) => vec![r.error_code],
        ResponseKind::DescribeTransactions(r) => {
            r.transaction_states.iter().map(|t| t.error_code).collect()
        }
        ResponseKind::DescribeProducers(r) => r
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
            .collect(),
        _ => Vec::new(),
    }
}

/// The engine's block cache, read at each scrape.
#[derive(Debug)]
struct EngineCollector(Engine);

impl Collector for EngineCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = self.0.block_cache_stats();
        let counters = [
            (
                "engine_block_cache_hits",
                "Blocks a cold read found in memory",
                s.hits,
            ),
            (
                "engine_block_cache_misses",
                "Blocks a cold read fetched itself",
                s.misses,
            ),
            (
                "engine_block_cache_readahead_blocks",
                "Blocks fetched ahead of sequential readers",
                s.readahead_blocks,
            ),
            (
                "engine_block_cache_readahead_hits",
                "Blocks fetched ahead that a read then used",
                s.readahead_hits,
            ),
            (
                "engine_block_cache_evictions",
                "Blocks and indexes evicted",
                s.evictions,
            ),
        ];
        for (name, help, value) in counters {
            let c = ConstCounter::new(value);
            c.encode(encoder.encode_descriptor(name, help, None, c.metric_type())?)?;
        }
        let g = ConstGauge::new(s.bytes as i64);
        g.encode(encoder.encode_descriptor(
            "engine_block_cache_bytes",
            "Bytes of blocks held now",
            None,
            g.metric_type(),
        )?)?;
        Ok(())
    }
}

/// Registers the engine's scrape-time metrics.
pub fn register_engine(registry: &mut Registry, engine: Engine) {
    registry.register_collector(Box::new(EngineCollector(engine)));
}

/// What `/health` reports.
#[derive(Debug, Clone)]
pub struct Health {
    pub node_id: i32,
    pub cluster_id: String,
    pub node_epoch: u64,
}

/// Serves `/metrics` and `/health` on `listener` until the task is dropped.
pub async fn serve_http(listener: TcpListener, registry: Arc<Registry>, health: Health) {
    loop {
        let Ok((mut socket, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let registry = Arc::clone(&registry);
        let health = health.clone();
        tokio::spawn(async move {
            let answer = tokio::time::timeout(Duration::from_secs(10), async {
                let path = read_request_path(&mut socket).await?;
                let (status, kind, body) = route(&path, &registry, &health);
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                socket.write_all(head.as_bytes()).await.ok()?;
                socket.write_all(body.as_bytes()).await.ok()?;
                Some(())
            })
            .await;
            if !matches!(answer, Ok(Some(()))) {
                debug!(%peer, "metrics endpoint: request dropped (malformed, too large or too slow)");
            }
        });
    }
}

/// The path of a GET request; `None` for anything else or a header over 16 KiB.
async fn read_request_path(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() + n > 16 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let line = std::str::from_utf8(&buf).ok()?.lines().next()?.to_string();
    let mut parts = line.split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(path)) => Some(path.to_string()),
        _ => Some(String::new()),
    }
}

fn route(path: &str, registry: &Registry, health: &Health) -> (&'static str, &'static str, String) {
    match path.split('?').next().unwrap_or_default() {
        "/metrics" => {
            let mut text = String::new();
            match prometheus_client::encoding::text::encode(&mut text, registry) {
                Ok(()) => (
                    "200 OK",
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    text,
                ),
                Err(e) => ("500 Internal Server Error", "text/plain", e.to_string()),
            }
        }
        "/health" | "/healthz" => (
            "200 OK",
            "application/json",
            format!(
                r#"{{"status":"ok","node_id":{},"cluster_id":"{}","node_epoch":{}}}"#,
                health.node_id, health.cluster_id, health.node_epoch
            ),
        ),
        "" => (
            "405 Method Not Allowed",
            "text/plain",
            "only GET /metrics and GET /health\n".into(),
        ),
        _ => (
            "404 Not Found",
            "text/plain",
            "not found: try /metrics or /health\n".into(),
        ),
    }
}

/// Binds the metrics endpoint, naming the address and the fix when it cannot.
pub async fn bind_http(addr: &str) -> anyhow::Result<TcpListener> {
    let parsed: SocketAddr = addr.parse().map_err(|_| {
        anyhow::anyhow!("http.listener `{addr}`: expected host:port such as 127.0.0.1:9464")
    })?;
    let l = TcpListener::bind(parsed).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot serve metrics on {parsed}: {e}; stop whatever uses it, change `http.listener`, or set it to null"
        )
    })?;
    info!("metrics and health on http://{}", l.local_addr()?);
    Ok(l)
}
