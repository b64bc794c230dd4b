//! The Kafka client side of a run: librdkafka (through rdkafka) configured the same way against every cluster,
//! the topic's lifecycle, and partition watermarks.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::{ClientConfig, FromClientConfigAndContext};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::util::Timeout;

use super::Workload;

/// Which clients an override applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Producer,
    Consumer,
    Admin,
}

/// A librdkafka configuration for `role` against `bootstrap`: the run's settings, then `-X` overrides. An
/// override named `producer.KEY` or `consumer.KEY` applies to that role only; any other applies to every client.
pub fn config(bootstrap: &str, role: Role, w: &Workload) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("client.id", "automqctl-bench")
        // Latency is the point: no Nagle delay on small requests (the Java client sets TCP_NODELAY as well).
        .set("socket.nagle.disable", "true");
    match role {
        Role::Producer => {
            c.set("acks", w.acks.as_str())
                .set("compression.codec", &w.compression);
            if let Some(b) = w.batch_size {
                c.set("batch.size", b.to_string());
            }
            if let Some(l) = w.linger_ms {
                c.set("linger.ms", l.to_string());
            }
        }
        Role::Consumer => {
            // A group id only because librdkafka's assign() needs one: partitions are assigned by hand, nothing
            // joins a group or commits an offset.
            c.set("group.id", format!("automqctl-bench-{:08x}", w.run_id))
                .set("enable.auto.commit", "false")
                .set("enable.auto.offset.store", "false")
                .set("auto.offset.reset", "earliest");
        }
        Role::Admin => {}
    }
    for (k, v) in &w.client_overrides {
        let (applies, key) = match (k.strip_prefix("producer."), k.strip_prefix("consumer.")) {
            (Some(key), _) => (role == Role::Producer, key),
            (_, Some(key)) => (role == Role::Consumer, key),
            _ => (true, k.as_str()),
        };
        if applies {
            c.set(key, v);
        }
    }
    c
}

/// Client-level errors librdkafka reports outside any one record (a refused connection, a lost broker): counted,
/// the last one kept for the report.
#[derive(Debug, Default)]
pub struct ClientErrors {
    inner: Mutex<(u64, Option<String>)>,
}

impl ClientErrors {
    pub fn note(&self, error: &KafkaError, reason: &str) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.0 += 1;
        g.1 = Some(if reason.is_empty() {
            error.to_string()
        } else {
            reason.to_string()
        });
    }

    pub fn last(&self) -> Option<String> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }

    pub fn count(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).0
    }
}

/// A context that keeps client errors and drops librdkafka's log lines (the report carries what matters).
#[derive(Debug, Default)]
pub struct QuietContext {
    pub errors: ClientErrors,
}

impl ClientContext for QuietContext {
    fn log(&self, _level: rdkafka::config::RDKafkaLogLevel, _fac: &str, _message: &str) {}

    fn error(&self, error: KafkaError, reason: &str) {
        self.errors.note(&error, reason);
    }
}

impl rdkafka::consumer::ConsumerContext for QuietContext {}

/// Turns a client creation error into one line naming the setting.
pub fn creation_error(e: KafkaError, role: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot create the benchmark's {role}: {e}; check the -X settings and --compression"
    )
}

/// The cluster at `bootstrap`, for topics and metadata.
pub struct Cluster {
    pub bootstrap: String,
    admin: AdminClient<DefaultClientContext>,
    meta: BaseConsumer<QuietContext>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("bootstrap", &self.bootstrap)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// Connects and reads the cluster's metadata once, so an unreachable address fails here with a clear line.
    pub fn connect(bootstrap: &str, w: &Workload) -> Result<Self> {
        let cfg = config(bootstrap, Role::Admin, w);
        let admin: AdminClient<DefaultClientContext> = cfg
            .create()
            .map_err(|e| creation_error(e, "admin client"))?;
        let meta = BaseConsumer::from_config_and_context(&cfg, QuietContext::default())
            .map_err(|e| creation_error(e, "metadata client"))?;
        if let Err(e) = meta.fetch_metadata(None, Duration::from_secs(15)) {
            let last = meta
                .context()
                .errors
                .last()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            bail!(
                "cannot reach the cluster at {bootstrap}: {e}{last}; check the address and that a broker listens there"
            );
        }
        Ok(Self {
            bootstrap: bootstrap.to_string(),
            admin,
            meta,
        })
    }

    /// Creates `topic`; an existing topic is used as it is when `may_exist`. Returns its partition count once
    /// every partition has a leader.
    pub fn create_topic(
        &self,
        topic: &str,
        partitions: i32,
        replication: i32,
        may_exist: bool,
    ) -> Result<i32> {
        let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(replication));
        let opts =
            AdminOptions::new().operation_timeout(Some(Timeout::After(Duration::from_secs(30))));
        let results = futures::executor::block_on(self.admin.create_topics([&new], &opts))
            .with_context(|| format!("creating topic `{topic}` at {}", self.bootstrap))?;
        for r in results {
            match r {
                Ok(_) => {}
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) if may_exist => {}
                Err((_, code)) => bail!(
                    "cannot create topic `{topic}` with {partitions} partitions at {}: {code}",
                    self.bootstrap
                ),
            }
        }
        self.wait_for_topic(topic)
    }

    fn wait_for_topic(&self, topic: &str) -> Result<i32> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let md = self
                .meta
                .fetch_metadata(Some(topic), Duration::from_secs(10))
                .with_context(|| format!("reading metadata of topic `{topic}`"))?;
            if let Some(t) = md.topics().iter().find(|t| t.name() == topic)
                && t.error().is_none()
                && !t.partitions().is_empty()
                && t.partitions().iter().all(|p| p.leader() >= 0)
            {
                return i32::try_from(t.partitions().len()).context("partition count");
            }
            if Instant::now() > deadline {
                bail!("topic `{topic}` has no leader for every partition after 30 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Deletes `topic`, reporting but not failing on an error (a cluster without DeleteTopics keeps it).
    pub fn delete_topic(&self, topic: &str) -> Option<String> {
        let opts =
            AdminOptions::new().operation_timeout(Some(Timeout::After(Duration::from_secs(30))));
        match futures::executor::block_on(self.admin.delete_topics(&[topic], &opts)) {
            Ok(rs) => rs
                .into_iter()
                .find_map(|r| r.err())
                .map(|(_, code)| format!("topic `{topic}` was not deleted: {code}")),
            Err(e) => Some(format!("topic `{topic}` was not deleted: {e}")),
        }
    }

    /// The high watermark (the offset after the last record) of each partition, in partition order.
    pub fn high_watermarks(&self, topic: &str, partitions: i32) -> Result<Vec<i64>> {
        (0..partitions)
            .map(|p| {
                // A topic created a moment ago may not have its leaders everywhere yet (Apache Kafka answers
                // NOT_LEADER or UNKNOWN_TOPIC for a while): retry those for up to 15 s; anything else fails now.
                let deadline = std::time::Instant::now() + Duration::from_secs(15);
                loop {
                    match self
                        .meta
                        .fetch_watermarks(topic, p, Duration::from_secs(15))
                    {
                        Ok((_, high)) => break Ok(high),
                        Err(KafkaError::MetadataFetch(
                            RDKafkaErrorCode::NotLeaderForPartition
                            | RDKafkaErrorCode::LeaderNotAvailable
                            | RDKafkaErrorCode::UnknownTopicOrPartition
                            | RDKafkaErrorCode::UnknownPartition,
                        )) if std::time::Instant::now() < deadline => {
                            std::thread::sleep(Duration::from_millis(200));
                        }
                        Err(e) => {
                            break Err(anyhow::Error::new(e).context(format!(
                                "reading the end offset of `{topic}` partition {p}"
                            )));
                        }
                    }
                }
            })
            .collect()
    }
}
