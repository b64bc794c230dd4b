//! Broker configuration: one YAML file, then `AUTOMQD_*` environment variables, then `--set key=value`, each
//! layer overriding the one before. Every key is known: an unknown key or a bad value is refused with where it
//! came from (file and line, variable, or flag) and what is expected.

use std::net::SocketAddr;
use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// This broker's id in the cluster.
    pub node_id: i32,
    /// The cluster id; when absent, the one stored with the data is used, or a new one is made on first start.
    pub cluster_id: Option<String>,
    /// Addresses to accept Kafka clients on (`host:port`, IPv6 in brackets).
    pub listeners: Vec<String>,
    /// The `host:port` clients are told to connect to; the first listener when absent.
    pub advertised_listener: Option<String>,
    pub storage: StorageConfig,
    pub wal: WalConfig,
    pub network: NetworkConfig,
    pub topics: TopicsConfig,
    pub groups: GroupsConfig,
    pub http: HttpConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Where `/metrics` (Prometheus) and `/health` are served; null turns the endpoint off.
    pub listener: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listener: Some("127.0.0.1:9464".into()),
        }
    }
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per event, for log shippers.
    Json,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
}

/// Which write-ahead log makes appends durable before they are acknowledged.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum WalKind {
    /// Segment files in a local (or shared) directory, group-committed with fdatasync.
    File,
    /// Objects in the data store, one per interval or size threshold.
    Object,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WalConfig {
    pub kind: WalKind,
    /// The file WAL's directory.
    pub path: String,
    /// The object WAL writes an object at least this often while appends wait.
    pub interval_ms: u64,
    /// The object WAL writes an object as soon as this many bytes wait.
    pub max_bytes: usize,
    /// Pending data is uploaded into stream objects at least this often.
    pub upload_interval_ms: u64,
}

impl Default for WalConfig {
    fn default() -> Self {
        Self {
            kind: WalKind::File,
            path: "./wal".into(),
            interval_ms: 20,
            max_bytes: 8 * 1024 * 1024,
            upload_interval_ms: 1000,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Where data lives: a directory path, `file:///…`, `s3://…`, `hdfs://…`.
    pub data: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// The largest request accepted (Kafka's `socket.request.max.bytes`).
    pub request_max_bytes: usize,
    /// Connections idle this long are closed (Kafka's `connections.max.idle.ms`).
    pub idle_timeout_ms: u64,
    /// Incremental fetch sessions the broker keeps (Kafka's `max.incremental.fetch.session.cache.slots`; 0: none).
    pub fetch_session_slots: usize,
    /// Requests of one connection handled at once; their responses still leave in order (compare Kafka's
    /// `queued.max.requests`, which bounds them across connections).
    pub pipeline_depth: usize,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TopicsConfig {
    /// Create a topic when a client asks for its metadata (Kafka's `auto.create.topics.enable`).
    pub auto_create: bool,
    /// Partitions of an auto-created topic (Kafka's `num.partitions`).
    pub default_partitions: i32,
    /// Age after which a topic's batches are deleted, unless the topic says otherwise (Kafka's
    /// `log.retention.ms`; -1: no limit). Kafka's default, 7 days, when absent.
    pub retention_ms: Option<i64>,
    /// Bytes a partition keeps, unless its topic says otherwise (Kafka's `log.retention.bytes`; -1: no limit).
    pub retention_bytes: Option<i64>,
    /// `delete`, `compact` or `delete,compact` for topics that do not say (Kafka's `log.cleanup.policy`).
    pub cleanup_policy: Option<String>,
    /// How often retention is applied (Kafka's `log.retention.check.interval.ms`, 5 minutes when absent).
    pub retention_check_interval_ms: Option<i64>,
    /// How often compaction looks for work (Kafka's `log.cleaner.backoff.ms`, 15 seconds when absent).
    pub cleaner_backoff_ms: Option<i64>,
}

impl TopicsConfig {
    /// The settings above that Kafka knows as broker configs, by Kafka's names (DescribeConfigs reports them as
    /// STATIC_BROKER_CONFIG).
    pub fn kafka_configs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut put = |name, value: Option<String>| {
            if let Some(v) = value {
                out.push((name, v));
            }
        };
        put("log.retention.ms", self.retention_ms.map(|v| v.to_string()));
        put(
            "log.retention.bytes",
            self.retention_bytes.map(|v| v.to_string()),
        );
        put("log.cleanup.policy", self.cleanup_policy.clone());
        put(
            "log.retention.check.interval.ms",
            self.retention_check_interval_ms.map(|v| v.to_string()),
        );
        put(
            "log.cleaner.backoff.ms",
            self.cleaner_backoff_ms.map(|v| v.to_string()),
        );
        out
    }
}

/// The group coordinator's settings (see docs/groups.md).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GroupsConfig {
    /// How long an empty group's first rebalance waits for more members (Kafka's
    /// `group.initial.rebalance.delay.ms`).
    pub initial_rebalance_delay_ms: u64,
    /// The shortest session timeout a member may ask for (Kafka's `group.min.session.timeout.ms`).
    pub min_session_timeout_ms: u64,
    /// The longest session timeout a member may ask for (Kafka's `group.max.session.timeout.ms`).
    pub max_session_timeout_ms: u64,
}

impl Default for GroupsConfig {
    fn default() -> Self {
        Self {
            initial_rebalance_delay_ms: 3000,
            min_session_timeout_ms: 6000,
            max_session_timeout_ms: 1_800_000,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            node_id: 0,
            cluster_id: None,
            listeners: vec!["127.0.0.1:9092".into(), "[::1]:9092".into()],
            advertised_listener: None,
            storage: StorageConfig::default(),
            wal: WalConfig::default(),
            network: NetworkConfig::default(),
            topics: TopicsConfig::default(),
            http: HttpConfig::default(),
            log: LogConfig::default(),
            groups: GroupsConfig::default(),
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data: "./data".into(),
        }
    }
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            request_max_bytes: 100 * 1024 * 1024,
            idle_timeout_ms: 600_000,
            fetch_session_slots: 1000,
            pipeline_depth: 16,
        }
    }
}

impl Default for TopicsConfig {
    fn default() -> Self {
        Self {
            auto_create: true,
            default_partitions: 1,
            retention_ms: None,
            retention_bytes: None,
            cleanup_policy: None,
            retention_check_interval_ms: None,
            cleaner_backoff_ms: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path}: {message}")]
    File { path: String, message: String },
    #[error("{source_name}: unknown key `{key}`; known keys: {known}")]
    UnknownKey {
        source_name: String,
        key: String,
        known: String,
    },
    #[error("{source_name}: `{key}` = `{value}` is not valid: {message}")]
    BadValue {
        source_name: String,
        key: String,
        value: String,
        message: String,
    },
    #[error("--set `{0}`: expected key=value, for example --set node_id=1")]
    BadSet(String),
}

/// Defines, once, every key that `--set` and `AUTOMQD_*` can reach, with the field it sets.
macro_rules! keys {
    ($($key:literal => $($field:ident).+),* $(,)?) => {
        /// Every settable key, dotted.
        pub const KEYS: &[&str] = &[$($key),*];

        impl Config {
            /// Sets one key from its YAML text (so `--set listeners=[a, b]` reads as YAML would).
            fn set_key(&mut self, source_name: &str, key: &str, value: &str) -> Result<(), ConfigError> {
                match key {
                    $($key => {
                        self.$($field).+ = parse_value(source_name, key, value)?;
                    })*
                    _ => {
                        return Err(ConfigError::UnknownKey {
                            source_name: source_name.to_string(),
                            key: key.to_string(),
                            known: KEYS.join(", "),
                        })
                    }
                }
                Ok(())
            }
        }
    };
}

keys! {
    "node_id" => node_id,
    "cluster_id" => cluster_id,
    "listeners" => listeners,
    "advertised_listener" => advertised_listener,
    "storage.data" => storage.data,
    "wal.kind" => wal.kind,
    "wal.path" => wal.path,
    "wal.interval_ms" => wal.interval_ms,
    "wal.max_bytes" => wal.max_bytes,
    "wal.upload_interval_ms" => wal.upload_interval_ms,
    "network.request_max_bytes" => network.request_max_bytes,
    "network.idle_timeout_ms" => network.idle_timeout_ms,
    "network.fetch_session_slots" => network.fetch_session_slots,
    "network.pipeline_depth" => network.pipeline_depth,
    "topics.auto_create" => topics.auto_create,
    "topics.default_partitions" => topics.default_partitions,
    "http.listener" => http.listener,
    "log.format" => log.format,
    "groups.initial_rebalance_delay_ms" => groups.initial_rebalance_delay_ms,
    "groups.min_session_timeout_ms" => groups.min_session_timeout_ms,
    "groups.max_session_timeout_ms" => groups.max_session_timeout_ms,
    "topics.retention_ms" => topics.retention_ms,
    "topics.retention_bytes" => topics.retention_bytes,
    "topics.cleanup_policy" => topics.cleanup_policy,
    "topics.retention_check_interval_ms" => topics.retention_check_interval_ms,
    "topics.cleaner_backoff_ms" => topics.cleaner_backoff_ms,
}

fn parse_value<T: for<'de> Deserialize<'de>>(
    source_name: &str,
    key: &str,
    value: &str,
) -> Result<T, ConfigError> {
    serde_saphyr::from_str::<T>(value).map_err(|e| ConfigError::BadValue {
        source_name: source_name.to_string(),
        key: key.to_string(),
        value: value.to_string(),
        message: first_line(&e.to_string()),
    })
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or(s);
    line.trim_start_matches("error: ")
        .trim_start_matches("line 1 column 1: ")
        .to_string()
}

/// Our keys for the topic settings Kafka knows as broker configs.
const TOPICS_KEYS: &[(&str, &str)] = &[
    ("topics.retention_ms", "log.retention.ms"),
    ("topics.retention_bytes", "log.retention.bytes"),
    ("topics.cleanup_policy", "log.cleanup.policy"),
    (
        "topics.retention_check_interval_ms",
        "log.retention.check.interval.ms",
    ),
    ("topics.cleaner_backoff_ms", "log.cleaner.backoff.ms"),
];

/// The environment variable prefix for configuration: `AUTOMQD_NODE_ID`, `AUTOMQD_STORAGE__DATA` (`__` between
/// a section and its key).
pub const ENV_PREFIX: &str = "AUTOMQD_";

impl Config {
    /// Reads a YAML document. `origin` names it in errors (the file path).
    pub fn from_yaml(origin: &str, text: &str) -> Result<Self, ConfigError> {
        let config: Config = serde_saphyr::from_str(text).map_err(|e| ConfigError::File {
            path: origin.to_string(),
            message: e
                .to_string()
                .trim_start_matches("error: ")
                .replace("<input>", origin),
        })?;
        config.validate(&format!("config file {origin}"))?;
        Ok(config)
    }

    /// Loads the layers: `file` (if any), then `env` (`AUTOMQD_*` pairs), then `sets` (`key=value`).
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        sets: &[String],
    ) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let origin = path.display().to_string();
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                    path: origin.clone(),
                    message: e.to_string(),
                })?;
                Self::from_yaml(&origin, &text)?
            }
            None => Self::default(),
        };
        let mut env: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX))
            .collect();
        env.sort();
        for (var, value) in env {
            let key = var[ENV_PREFIX.len()..].to_lowercase().replace("__", ".");
            config.set_key(&format!("environment variable {var}"), &key, &value)?;
        }
        for set in sets {
            let (key, value) = set
                .split_once('=')
                .ok_or_else(|| ConfigError::BadSet(set.clone()))?;
            config.set_key(&format!("--set {key}"), key.trim(), value)?;
        }
        config.validate("configuration")?;
        Ok(config)
    }

    /// Checks what types alone cannot.
    fn validate(&self, source_name: &str) -> Result<(), ConfigError> {
        let bad = |key: &str, value: String, message: &str| ConfigError::BadValue {
            source_name: source_name.to_string(),
            key: key.to_string(),
            value,
            message: message.to_string(),
        };
        if self.node_id < 0 {
            return Err(bad(
                "node_id",
                self.node_id.to_string(),
                "expected a node id of 0 or more",
            ));
        }
        if self.listeners.is_empty() {
            return Err(bad(
                "listeners",
                "[]".into(),
                "expected at least one host:port",
            ));
        }
        for l in &self.listeners {
            l.parse::<SocketAddr>().map_err(|_| {
                bad(
                    "listeners",
                    l.clone(),
                    "expected an IP address and port, e.g. 127.0.0.1:9092 or [::1]:9092",
                )
            })?;
        }
        if let Some(h) = &self.http.listener
            && h.parse::<SocketAddr>().is_err()
        {
            return Err(bad(
                "http.listener",
                h.clone(),
                "expected an IP address and port, e.g. 127.0.0.1:9464, or null to turn it off",
            ));
        }
        if let Some(a) = &self.advertised_listener {
            let ok = a
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
            if !ok {
                return Err(bad(
                    "advertised_listener",
                    a.clone(),
                    "expected host:port, e.g. broker1.example:9092",
                ));
            }
        }
        if self.topics.default_partitions < 1 {
            return Err(bad(
                "topics.default_partitions",
                self.topics.default_partitions.to_string(),
                "expected 1 or more",
            ));
        }
        if self.groups.min_session_timeout_ms > self.groups.max_session_timeout_ms {
            return Err(bad(
                "groups.min_session_timeout_ms",
                self.groups.min_session_timeout_ms.to_string(),
                "must not exceed groups.max_session_timeout_ms",
            ));
        }
        for (kafka_name, value) in self.topics.kafka_configs() {
            let key = TOPICS_KEYS
                .iter()
                .find(|(_, k)| *k == kafka_name)
                .map_or(kafka_name, |(ours, _)| *ours);
            let def = crate::topics::broker_config::find(kafka_name)
                .map(|b| b.def)
                .ok_or_else(|| bad(key, value.clone(), "unknown setting"))?;
            crate::topics::config::check_value(&def, key, &value).map_err(|m| {
                let expected = m.split("expected ").nth(1).unwrap_or(&m).to_string();
                bad(key, value.clone(), &format!("expected {expected}"))
            })?;
        }
        if self.wal.interval_ms == 0 || self.wal.upload_interval_ms == 0 {
            return Err(bad(
                "wal.interval_ms",
                format!("{}/{}", self.wal.interval_ms, self.wal.upload_interval_ms),
                "wal.interval_ms and wal.upload_interval_ms must be at least 1",
            ));
        }
        if self.network.request_max_bytes < 1024 {
            return Err(bad(
                "network.request_max_bytes",
                self.network.request_max_bytes.to_string(),
                "expected at least 1024 bytes",
            ));
        }
        if self.network.pipeline_depth == 0 {
            return Err(bad(
                "network.pipeline_depth",
                "0".to_string(),
                "expected at least 1 (1: one request of a connection at a time)",
            ));
        }
        automq_backend::StorageUri::parse(&self.storage.data)
            .map_err(|e| bad("storage.data", self.storage.data.clone(), &e.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(
        yaml: Option<&str>,
        env: &[(&str, &str)],
        sets: &[&str],
    ) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("automq.yaml");
        if let Some(y) = yaml {
            std::fs::write(&path, y).unwrap();
        }
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        Config::load(yaml.map(|_| path.as_path()), env, &sets)
    }

    #[test]
    fn defaults_serve_loopback_on_9092_with_data_in_a_local_directory() {
        let c = load(None, &[], &[]).unwrap();
        assert_eq!(c.listeners, ["127.0.0.1:9092", "[::1]:9092"]);
        assert_eq!(c.storage.data, "./data");
        assert!(c.topics.auto_create);
        assert_eq!((c.wal.kind, c.wal.path.as_str()), (WalKind::File, "./wal"));
    }

    #[test]
    fn the_wal_kind_is_file_or_object() {
        let c = load(
            None,
            &[("AUTOMQD_WAL__KIND", "object")],
            &["wal.interval_ms=5"],
        )
        .unwrap();
        assert_eq!((c.wal.kind, c.wal.interval_ms), (WalKind::Object, 5));
        let e = load(None, &[], &["wal.kind=disk"]).unwrap_err().to_string();
        assert!(e.contains("wal.kind") && e.contains("disk"), "{e}");
    }

    #[test]
    fn layers_override_in_order_file_env_set() {
        let yaml = "node_id: 1\nstorage:\n  data: /srv/a\ntopics:\n  default_partitions: 3\n";
        let c = load(
            Some(yaml),
            &[
                ("AUTOMQD_NODE_ID", "2"),
                ("AUTOMQD_STORAGE__DATA", "/srv/b"),
                ("AUTOMQ_CACHE", "/ignored"),
            ],
            &["node_id=7", "listeners=[127.0.0.1:0]"],
        )
        .unwrap();
        assert_eq!(c.node_id, 7, "--set wins over the environment");
        assert_eq!(
            c.storage.data, "/srv/b",
            "the environment wins over the file"
        );
        assert_eq!(
            c.topics.default_partitions, 3,
            "the file wins over defaults"
        );
        assert_eq!(c.listeners, ["127.0.0.1:0"]);
    }

    #[test]
    fn an_unknown_key_in_the_file_names_file_line_key_and_the_known_keys() {
        let e = load(Some("node_id: 1\nstorage:\n  dta: /x\n"), &[], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("automq.yaml"), "{e}");
        assert!(e.contains("line 3"), "{e}");
        assert!(
            e.contains("unknown field `dta`") && e.contains("expected one of data"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_value_in_the_file_names_its_line_and_the_expected_type() {
        let e = load(
            Some("node_id: 1\ntopics:\n  auto_create: perhaps\n"),
            &[],
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 3") && e.contains("bool"), "{e}");
        let e = load(Some("listeners: [localhost]\n"), &[], &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`listeners` = `localhost`") && e.contains("127.0.0.1:9092"),
            "{e}"
        );
    }

    #[test]
    fn overrides_are_checked_like_the_file() {
        let e = load(None, &[], &["node_idd=1"]).unwrap_err().to_string();
        assert!(
            e.contains("--set node_idd: unknown key `node_idd`") && e.contains("node_id"),
            "{e}"
        );
        let e = load(None, &[("AUTOMQD_TOPICS__DEFAULT_PARTITIONS", "many")], &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("AUTOMQD_TOPICS__DEFAULT_PARTITIONS") && e.contains("many"),
            "{e}"
        );
        let e = load(None, &[("AUTOMQD_LISTENERZ", "x")], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown key `listenerz`"), "{e}");
        let e = load(None, &[], &["node_id"]).unwrap_err().to_string();
        assert!(e.contains("expected key=value"), "{e}");
        let e = load(None, &[], &["storage.data=gcs://b"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown scheme `gcs`"), "{e}");
    }

    #[test]
    fn retention_and_cleanup_defaults_are_checked_like_kafkas() {
        let c = load(
            Some("topics:\n  retention_ms: 60000\n  cleanup_policy: compact\n"),
            &[],
            &["topics.retention_bytes=1000"],
        )
        .unwrap();
        assert_eq!(
            c.topics.kafka_configs(),
            [
                ("log.retention.ms", "60000".to_string()),
                ("log.retention.bytes", "1000".to_string()),
                ("log.cleanup.policy", "compact".to_string()),
            ]
        );
        let e = load(None, &[], &["topics.cleanup_policy=shred"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`topics.cleanup_policy` = `shred`") && e.contains("delete, compact"),
            "{e}"
        );
        let e = load(None, &[], &["topics.retention_ms=-5"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("topics.retention_ms") && e.contains("at least -1"),
            "{e}"
        );
        assert!(
            load(None, &[], &[])
                .unwrap()
                .topics
                .kafka_configs()
                .is_empty()
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = Config::load(Some(Path::new("/nonexistent/automq.yaml")), [], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/automq.yaml"), "{e}");
    }
}
