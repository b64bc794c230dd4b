//! Broker configs as Kafka names them: the broker-wide synonyms of topic configs (`log.retention.ms` for
//! `retention.ms`, …), which set topic defaults, and the broker's own settings.
//!
//! Three layers, highest first: dynamic configs for one broker and dynamic defaults for every broker (both set by
//! AlterConfigs or IncrementalAlterConfigs and kept in the metadata log's registry), then static configs from
//! automqd's configuration file. A broker config no layer sets has Kafka's default.
//!
//! Registry entries: `kafka/configs/broker/<node id>` and `kafka/configs/broker-default`, each
//! `{"configs": {"log.retention.ms": "3600000"}}`.

use std::collections::BTreeMap;

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_stream::meta::{ClusterState, MetaRecord};

use super::config::{
    self, DEFS, Def, Kind, SOURCE_DEFAULT, SOURCE_DYNAMIC_BROKER, SOURCE_DYNAMIC_DEFAULT_BROKER,
    SOURCE_STATIC_BROKER,
};

/// The values each layer sets, by Kafka's broker config names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrokerLayers {
    /// Dynamic configs of this broker (`kafka-configs --entity-type brokers --entity-name <id>`).
    pub dynamic: BTreeMap<String, String>,
    /// Dynamic defaults of every broker (`kafka-configs --entity-type brokers --entity-default`).
    pub cluster: BTreeMap<String, String>,
    /// From automqd's configuration file.
    pub static_: BTreeMap<String, String>,
}

impl BrokerLayers {
    /// Every layer that sets `name`, highest first: `(value, source)`.
    pub fn synonyms(&self, name: &str) -> Vec<(String, i8)> {
        [
            (&self.dynamic, SOURCE_DYNAMIC_BROKER),
            (&self.cluster, SOURCE_DYNAMIC_DEFAULT_BROKER),
            (&self.static_, SOURCE_STATIC_BROKER),
        ]
        .into_iter()
        .filter_map(|(layer, source)| layer.get(name).map(|v| (v.clone(), source)))
        .collect()
    }

    /// The value of a broker config: the highest layer's, or the default.
    pub fn value(&self, name: &str) -> Option<String> {
        self.synonyms(name)
            .into_iter()
            .next()
            .map(|(v, _)| v)
            .or_else(|| find(name).map(|b| b.def.default.to_string()))
    }

    /// A numeric broker config, or `fallback` when unset or unreadable.
    pub fn long(&self, name: &str, fallback: i64) -> i64 {
        self.value(name)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(fallback)
    }
}

/// A broker config: its definition and whether it can change while brokers run.
#[derive(Debug, Clone, Copy)]
pub struct BrokerDef {
    pub def: Def,
    pub dynamic: bool,
}

const fn own(
    name: &'static str,
    default: &'static str,
    kind: Kind,
    dynamic: bool,
    min: Option<i64>,
    doc: &'static str,
) -> BrokerDef {
    BrokerDef {
        def: Def {
            name,
            default,
            kind,
            allowed: &[],
            min,
            max: None,
            broker_synonym: None,
            doc,
        },
        dynamic,
    }
}

/// The broker's own settings (besides the synonyms of topic configs), sorted by name.
pub const OWN: &[BrokerDef] = &[
    own(
        "auto.create.topics.enable",
        "true",
        Kind::Boolean,
        false,
        None,
        "Create a topic when a client asks for its metadata (topics.auto_create).",
    ),
    own(
        "log.cleaner.backoff.ms",
        "15000",
        Kind::Long,
        true,
        Some(0),
        "How often compaction looks for partitions to compact (topics.cleaner_backoff_ms).",
    ),
    own(
        "log.cleaner.dedupe.buffer.size",
        "134217728",
        Kind::Long,
        true,
        Some(1024),
        "Bytes of keys one compaction pass may hold; a pass that would need more compacts a shorter range.",
    ),
    own(
        "log.dirs",
        "",
        Kind::String,
        false,
        None,
        "Where partitions live: the shared data location (storage.data).",
    ),
    own(
        "log.retention.check.interval.ms",
        "300000",
        Kind::Long,
        false,
        Some(1),
        "How often retention is applied (topics.retention_check_interval_ms).",
    ),
    own(
        "max.incremental.fetch.session.cache.slots",
        "1000",
        Kind::Int,
        false,
        Some(0),
        "Incremental fetch sessions the broker keeps (network.fetch_session_slots).",
    ),
    own(
        "node.id",
        "0",
        Kind::Int,
        false,
        Some(0),
        "This broker's id (node_id).",
    ),
    own(
        "num.partitions",
        "1",
        Kind::Int,
        false,
        Some(1),
        "Partitions of a topic created without a count (topics.default_partitions).",
    ),
];

/// The topic config whose broker-wide synonym is `name`.
fn synonym_of(name: &str) -> Option<&'static Def> {
    DEFS.iter().find(|d| d.broker_synonym == Some(name))
}

/// The broker config `name`: a synonym of a topic config (dynamic, like Kafka's cluster-wide log settings) or one
/// of [`OWN`].
pub fn find(name: &str) -> Option<BrokerDef> {
    if let Some(d) = synonym_of(name) {
        return Some(BrokerDef {
            def: Def {
                name: d.broker_synonym?,
                broker_synonym: None,
                ..*d
            },
            dynamic: true,
        });
    }
    OWN.iter().find(|b| b.def.name == name).copied()
}

/// Every broker config, by name.
pub fn all() -> Vec<BrokerDef> {
    let mut out: Vec<BrokerDef> = DEFS
        .iter()
        .filter_map(|d| d.broker_synonym)
        .filter_map(find)
        .chain(OWN.iter().copied())
        .collect();
    out.sort_by_key(|b| b.def.name);
    out.dedup_by_key(|b| b.def.name);
    out
}

/// The lookup for dynamic broker configs: unknown names and settings that cannot change while brokers run are
/// INVALID_CONFIG, naming them. (For a synonym, the topic config's definition: same type, range and default.)
pub fn dynamic_def(name: &str) -> Result<&'static Def, (ResponseError, String)> {
    if let Some(d) = synonym_of(name) {
        return Ok(d);
    }
    match OWN.iter().find(|b| b.def.name == name) {
        None => Err((
            ResponseError::InvalidConfig,
            format!("unknown broker config `{name}`"),
        )),
        Some(b) if !b.dynamic => Err((
            ResponseError::InvalidConfig,
            format!(
                "broker config `{name}` cannot change while the broker runs; set it in automqd's configuration"
            ),
        )),
        Some(b) => Ok(&b.def),
    }
}

/// Which broker's dynamic configs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerTarget {
    /// One broker, by node id.
    Node(i32),
    /// The defaults of every broker (an empty resource name).
    Default,
}

pub const BROKER_PREFIX: &str = "kafka/configs/broker/";
pub const BROKER_DEFAULT_KEY: &str = "kafka/configs/broker-default";

pub fn key(target: BrokerTarget) -> String {
    match target {
        BrokerTarget::Node(id) => format!("{BROKER_PREFIX}{id}"),
        BrokerTarget::Default => BROKER_DEFAULT_KEY.to_string(),
    }
}

/// The dynamic configs stored for `target`.
pub fn stored(state: &ClusterState, target: BrokerTarget) -> BTreeMap<String, String> {
    state
        .entry(&key(target))
        .and_then(|v| v.get("configs"))
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default()
}

/// The record that stores `configs` for `target` (deleting the entry when nothing is left).
pub fn put_record(target: BrokerTarget, configs: &BTreeMap<String, String>) -> MetaRecord {
    if configs.is_empty() {
        MetaRecord::EntryDeleted { key: key(target) }
    } else {
        MetaRecord::EntryPut {
            key: key(target),
            value: serde_json::json!({ "configs": configs }),
        }
    }
}

/// What a DescribeConfigs of this broker reports for one broker config: value, source and synonyms.
pub fn describe(b: &BrokerDef, layers: &BrokerLayers) -> config::Resolved {
    let name = b.def.name;
    let mut synonyms: Vec<(String, String, i8)> = layers
        .synonyms(name)
        .into_iter()
        .map(|(v, s)| (name.to_string(), v, s))
        .collect();
    synonyms.push((name.to_string(), b.def.default.to_string(), SOURCE_DEFAULT));
    let (value, source) = synonyms
        .first()
        .map(|(_, v, s)| (v.clone(), *s))
        .unwrap_or_default();
    config::Resolved {
        name,
        kind: b.def.kind,
        doc: b.def.doc,
        read_only: !b.dynamic,
        value,
        source,
        synonyms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms_are_dynamic_and_own_settings_mostly_static() {
        let r = find("log.retention.ms").unwrap();
        assert!(r.dynamic);
        assert_eq!(r.def.kind, Kind::Long);
        assert!(dynamic_def("log.retention.ms").is_ok());
        let (code, m) = dynamic_def("num.partitions").unwrap_err();
        assert_eq!(code, ResponseError::InvalidConfig);
        assert!(
            m.contains("num.partitions") && m.contains("automqd's configuration"),
            "{m}"
        );
        let (_, m) = dynamic_def("log.retention.msec").unwrap_err();
        assert!(
            m.contains("unknown broker config `log.retention.msec`"),
            "{m}"
        );
        assert!(dynamic_def("log.cleaner.backoff.ms").is_ok());
        let names: Vec<&str> = all().iter().map(|b| b.def.name).collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
        assert!(names.contains(&"message.max.bytes") && names.contains(&"node.id"));
        for b in all() {
            config::check_value(&b.def, b.def.name, b.def.default)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn layers_report_every_setting_highest_first() {
        let layers = BrokerLayers {
            dynamic: [("log.retention.bytes".to_string(), "1".to_string())].into(),
            cluster: [("log.retention.bytes".to_string(), "2".to_string())].into(),
            static_: [("num.partitions".to_string(), "3".to_string())].into(),
        };
        let r = describe(&find("log.retention.bytes").unwrap(), &layers);
        assert_eq!((r.value.as_str(), r.source), ("1", SOURCE_DYNAMIC_BROKER));
        assert_eq!(r.synonyms.len(), 3);
        let r = describe(&find("num.partitions").unwrap(), &layers);
        assert_eq!((r.value.as_str(), r.source), ("3", SOURCE_STATIC_BROKER));
        let r = describe(&find("log.cleaner.backoff.ms").unwrap(), &layers);
        assert_eq!((r.value.as_str(), r.source), ("15000", SOURCE_DEFAULT));
        assert_eq!(layers.long("num.partitions", 0), 3);
        assert_eq!(layers.long("log.cleaner.backoff.ms", 0), 15000);
    }
}
