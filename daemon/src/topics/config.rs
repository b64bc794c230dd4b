//! Topic configs: the keys Kafka documents for topics, their defaults, types and broker-wide synonyms; how a
//! topic's value is resolved through the layers Kafka defines; and the changes AlterConfigs and
//! IncrementalAlterConfigs make.
//!
//! A topic's value comes from the first layer that sets it: the topic's own override (DYNAMIC_TOPIC_CONFIG), then
//! the broker synonym set for this broker (DYNAMIC_BROKER_CONFIG), for every broker (DYNAMIC_DEFAULT_BROKER_CONFIG),
//! in automqd's configuration file (STATIC_BROKER_CONFIG), and finally Kafka's default (DEFAULT_CONFIG). The broker
//! side lives in [`super::broker_config`].
//!
//! Honoured by this broker: `max.message.bytes`, `message.timestamp.type`, `message.timestamp.before.max.ms`,
//! `message.timestamp.after.max.ms`, `index.interval.bytes`, retention (`retention.ms`, `retention.bytes`) and
//! compaction (`cleanup.policy`, `min.compaction.lag.ms`, `max.compaction.lag.ms`, `min.cleanable.dirty.ratio`,
//! `delete.retention.ms`). The others are checked, stored and reported; docs/partitions.md says why each has no
//! effect here. `compression.type` is stored, but batches are always kept as the producer compressed them.

use std::collections::BTreeMap;

use automq_protocol::kafka_protocol::error::ResponseError;

use super::broker_config::BrokerLayers;

/// A config value's type, as DescribeConfigs v3+ reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Boolean,
    String,
    Int,
    Long,
    Double,
    List,
}

impl Kind {
    /// Kafka's `ConfigType` code.
    pub fn code(self) -> i8 {
        match self {
            Kind::Boolean => 1,
            Kind::String => 2,
            Kind::Int => 3,
            Kind::Long => 5,
            Kind::Double => 6,
            Kind::List => 7,
        }
    }
}

/// One config key (a topic's, or a broker's in [`super::broker_config`]).
#[derive(Debug, Clone, Copy)]
pub struct Def {
    pub name: &'static str,
    pub default: &'static str,
    pub kind: Kind,
    /// Allowed values (strings and list items); empty: any.
    pub allowed: &'static [&'static str],
    /// Smallest allowed number.
    pub min: Option<i64>,
    /// Largest allowed number.
    pub max: Option<i64>,
    /// The broker-wide setting that sets the default, as Kafka names it.
    pub broker_synonym: Option<&'static str>,
    pub doc: &'static str,
}

const fn def(name: &'static str, default: &'static str, kind: Kind, doc: &'static str) -> Def {
    Def {
        name,
        default,
        kind,
        allowed: &[],
        min: None,
        max: None,
        broker_synonym: None,
        doc,
    }
}

impl Def {
    const fn min(mut self, min: i64) -> Self {
        self.min = Some(min);
        self
    }
    const fn max(mut self, max: i64) -> Self {
        self.max = Some(max);
        self
    }
    const fn syn(mut self, broker: &'static str) -> Self {
        self.broker_synonym = Some(broker);
        self
    }
    const fn one_of(mut self, allowed: &'static [&'static str]) -> Self {
        self.allowed = allowed;
        self
    }
}

const MAX: &str = "9223372036854775807";
const NO_FILES: &str = "Accepted for compatibility; this broker keeps no log files or segments.";
const NO_FOLLOWERS: &str = "Accepted for compatibility; partitions have no followers.";
const SHARED: &str = "Accepted for compatibility; all data lives on shared storage.";
const AS_SENT: &str = "Stored; this broker keeps batches as the producer compressed them.";
const DURABLE: &str = "Accepted for compatibility; every acknowledged batch is durable in the WAL.";

/// Every topic config key, sorted by name.
pub const DEFS: &[Def] = &[
    def(
        "cleanup.policy",
        "delete",
        Kind::List,
        "How old data goes: `delete` by retention.ms and retention.bytes, `compact` keeps the latest record per key, \
         or both.",
    )
    .one_of(&["delete", "compact"])
    .syn("log.cleanup.policy"),
    def("compression.gzip.level", "-1", Kind::Int, AS_SENT)
        .min(-1)
        .max(9)
        .syn("compression.gzip.level"),
    def("compression.lz4.level", "9", Kind::Int, AS_SENT)
        .min(1)
        .max(17)
        .syn("compression.lz4.level"),
    def("compression.type", "producer", Kind::String, AS_SENT)
        .one_of(&["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"])
        .syn("compression.type"),
    def("compression.zstd.level", "3", Kind::Int, AS_SENT)
        .min(-131_072)
        .max(22)
        .syn("compression.zstd.level"),
    def(
        "delete.retention.ms",
        "86400000",
        Kind::Long,
        "How long a compacted topic keeps a delete marker (a record with a null value) after compaction reached it.",
    )
    .min(0)
    .syn("log.cleaner.delete.retention.ms"),
    def("file.delete.delay.ms", "60000", Kind::Long, NO_FILES)
        .min(0)
        .syn("log.segment.delete.delay.ms"),
    def("flush.messages", MAX, Kind::Long, DURABLE)
        .min(1)
        .syn("log.flush.interval.messages"),
    def("flush.ms", MAX, Kind::Long, DURABLE)
        .min(0)
        .syn("log.flush.interval.ms"),
    def(
        "follower.replication.throttled.replicas",
        "",
        Kind::List,
        NO_FOLLOWERS,
    ),
    def(
        "index.interval.bytes",
        "4096",
        Kind::Int,
        "Bytes of batches between two entries of a partition's index (lookups by time, retention, sizes).",
    )
    .min(0)
    .syn("log.index.interval.bytes"),
    def(
        "leader.replication.throttled.replicas",
        "",
        Kind::List,
        NO_FOLLOWERS,
    ),
    def("local.retention.bytes", "-2", Kind::Long, SHARED)
        .min(-2)
        .syn("log.local.retention.bytes"),
    def("local.retention.ms", "-2", Kind::Long, SHARED)
        .min(-2)
        .syn("log.local.retention.ms"),
    def(
        "max.compaction.lag.ms",
        MAX,
        Kind::Long,
        "Longest time a record stays uncompacted: older dirty data makes a compaction pass run whatever the dirty ratio.",
    )
    .min(1)
    .syn("log.cleaner.max.compaction.lag.ms"),
    def(
        "max.message.bytes",
        "1048588",
        Kind::Int,
        "The largest record batch the partition accepts, header included.",
    )
    .min(0)
    .syn("message.max.bytes"),
    def(
        "message.timestamp.after.max.ms",
        "3600000",
        Kind::Long,
        "How far in the future a CreateTime timestamp may lie.",
    )
    .min(0)
    .syn("log.message.timestamp.after.max.ms"),
    def(
        "message.timestamp.before.max.ms",
        MAX,
        Kind::Long,
        "How far in the past a CreateTime timestamp may lie.",
    )
    .min(0)
    .syn("log.message.timestamp.before.max.ms"),
    def(
        "message.timestamp.type",
        "CreateTime",
        Kind::String,
        "Whether records keep the producer's timestamp or get the broker's time at append.",
    )
    .one_of(&["CreateTime", "LogAppendTime"])
    .syn("log.message.timestamp.type"),
    def(
        "min.cleanable.dirty.ratio",
        "0.5",
        Kind::Double,
        "A compaction pass runs once the part not yet compacted is at least this share of the partition's bytes.",
    )
    .min(0)
    .max(1)
    .syn("log.cleaner.min.cleanable.ratio"),
    def(
        "min.compaction.lag.ms",
        "0",
        Kind::Long,
        "Shortest time a record stays uncompacted.",
    )
    .min(0)
    .syn("log.cleaner.min.compaction.lag.ms"),
    def(
        "min.insync.replicas",
        "1",
        Kind::Int,
        "Accepted for compatibility; durability comes from shared storage.",
    )
    .min(1)
    .syn("min.insync.replicas"),
    def("preallocate", "false", Kind::Boolean, NO_FILES).syn("log.preallocate"),
    def("remote.storage.enable", "false", Kind::Boolean, SHARED),
    def(
        "retention.bytes",
        "-1",
        Kind::Long,
        "Bytes a partition keeps (-1: no limit): the oldest batches go while the newer ones hold at least this many.",
    )
    .syn("log.retention.bytes"),
    def(
        "retention.ms",
        "604800000",
        Kind::Long,
        "Age after which batches go (-1: no limit), judged by each batch's largest timestamp.",
    )
    .min(-1)
    .syn("log.retention.ms"),
    def("segment.bytes", "1073741824", Kind::Int, NO_FILES)
        .min(14)
        .syn("log.segment.bytes"),
    def("segment.index.bytes", "10485760", Kind::Int, NO_FILES)
        .min(4)
        .syn("log.index.size.max.bytes"),
    def("segment.jitter.ms", "0", Kind::Long, NO_FILES)
        .min(0)
        .syn("log.roll.jitter.ms"),
    def("segment.ms", "604800000", Kind::Long, NO_FILES)
        .min(1)
        .syn("log.roll.ms"),
    def(
        "unclean.leader.election.enable",
        "false",
        Kind::Boolean,
        NO_FOLLOWERS,
    )
    .syn("unclean.leader.election.enable"),
];

pub fn find(name: &str) -> Option<&'static Def> {
    DEFS.iter().find(|d| d.name == name)
}

/// Checks a value against a definition; the error names `what`, the value and what is expected.
pub fn check_value(d: &Def, what: &str, value: &str) -> Result<(), String> {
    let bad = |expected: String| format!("`{what}` = `{value}` is not valid: expected {expected}");
    let range = |n: f64| -> Result<(), String> {
        match (d.min, d.max) {
            (Some(min), Some(max)) if n < min as f64 || n > max as f64 => {
                Err(bad(format!("a value from {min} to {max}")))
            }
            (Some(min), _) if n < min as f64 => Err(bad(format!("at least {min}"))),
            (_, Some(max)) if n > max as f64 => Err(bad(format!("at most {max}"))),
            _ => Ok(()),
        }
    };
    match d.kind {
        Kind::Boolean => match value.trim().to_ascii_lowercase().as_str() {
            "true" | "false" => Ok(()),
            _ => Err(bad("true or false".into())),
        },
        Kind::Int => match value.trim().parse::<i32>() {
            Ok(n) => range(f64::from(n)),
            Err(_) => Err(bad("an int".into())),
        },
        Kind::Long => match value.trim().parse::<i64>() {
            Ok(n) => range(n as f64),
            Err(_) => Err(bad("a long".into())),
        },
        Kind::Double => match value.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => range(n),
            _ => Err(bad("a number".into())),
        },
        Kind::String if !d.allowed.is_empty() => {
            if d.allowed.contains(&value.trim()) {
                Ok(())
            } else {
                Err(bad(format!("one of {}", d.allowed.join(", "))))
            }
        }
        Kind::String => Ok(()),
        Kind::List => {
            for item in list_items(value) {
                if !d.allowed.is_empty() && !d.allowed.contains(&item) {
                    return Err(bad(format!("a list of {}", d.allowed.join(", "))));
                }
            }
            Ok(())
        }
    }
}

/// The items of a list value.
pub fn list_items(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// Checks one topic override: the key is known and the value fits its type. The error names the key, the value
/// and what is expected.
pub fn check(name: &str, value: &str) -> Result<(), String> {
    let d = find(name).ok_or_else(|| format!("unknown topic config `{name}`"))?;
    check_value(d, name, value)
}

/// Where a reported value comes from (Kafka's `ConfigSource`).
pub const SOURCE_DYNAMIC_TOPIC: i8 = 1;
pub const SOURCE_DYNAMIC_BROKER: i8 = 2;
pub const SOURCE_DYNAMIC_DEFAULT_BROKER: i8 = 3;
pub const SOURCE_STATIC_BROKER: i8 = 4;
pub const SOURCE_DEFAULT: i8 = 5;

/// A config as reported: its value, where it comes from, and every layer that sets it (highest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub name: &'static str,
    pub kind: Kind,
    pub doc: &'static str,
    pub read_only: bool,
    pub value: String,
    pub source: i8,
    /// `(name, value, source)`: the topic override, then the broker synonym at each layer that sets it, then the
    /// synonym's default.
    pub synonyms: Vec<(String, String, i8)>,
}

/// One topic config's value for a topic with `overrides` on a broker with `layers`.
pub fn resolve(
    d: &'static Def,
    overrides: &BTreeMap<String, String>,
    layers: &BrokerLayers,
) -> Resolved {
    let mut synonyms = Vec::new();
    if let Some(v) = overrides.get(d.name) {
        synonyms.push((d.name.to_string(), v.clone(), SOURCE_DYNAMIC_TOPIC));
    }
    if let Some(b) = d.broker_synonym {
        synonyms.extend(
            layers
                .synonyms(b)
                .into_iter()
                .map(|(v, source)| (b.to_string(), v, source)),
        );
        synonyms.push((b.to_string(), d.default.to_string(), SOURCE_DEFAULT));
    }
    let (value, source) = synonyms
        .first()
        .map_or((d.default.to_string(), SOURCE_DEFAULT), |(_, v, s)| {
            (v.clone(), *s)
        });
    Resolved {
        name: d.name,
        kind: d.kind,
        doc: d.doc,
        read_only: false,
        value,
        source,
        synonyms,
    }
}

/// Every topic config of a topic, in name order.
pub fn resolved<'a>(
    overrides: &'a BTreeMap<String, String>,
    layers: &'a BrokerLayers,
) -> impl Iterator<Item = Resolved> + 'a {
    DEFS.iter().map(move |d| resolve(d, overrides, layers))
}

/// The settings the data path and the background passes read, resolved through the layers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effective {
    pub max_message_bytes: usize,
    pub log_append_time: bool,
    pub timestamp_before_max_ms: i64,
    pub timestamp_after_max_ms: i64,
    /// Bytes of batches between two index entries.
    pub index_interval: usize,
    /// `cleanup.policy` holds `delete`: retention applies.
    pub delete: bool,
    /// `cleanup.policy` holds `compact`.
    pub compact: bool,
    /// -1: no limit.
    pub retention_ms: i64,
    /// -1 (any negative): no limit.
    pub retention_bytes: i64,
    pub delete_retention_ms: i64,
    pub min_compaction_lag_ms: i64,
    pub max_compaction_lag_ms: i64,
    pub min_cleanable_ratio: f64,
}

impl Effective {
    pub fn resolve(overrides: &BTreeMap<String, String>, layers: &BrokerLayers) -> Self {
        let get = |name: &str| {
            find(name).map_or_else(String::new, |d| {
                resolve(d, overrides, layers).value.trim().to_string()
            })
        };
        let long = |name: &str, default: i64| get(name).parse::<i64>().unwrap_or(default);
        let policy = get("cleanup.policy");
        Self {
            max_message_bytes: get("max.message.bytes").parse().unwrap_or(1_048_588),
            log_append_time: get("message.timestamp.type") == "LogAppendTime",
            timestamp_before_max_ms: long("message.timestamp.before.max.ms", i64::MAX),
            timestamp_after_max_ms: long("message.timestamp.after.max.ms", 3_600_000),
            index_interval: get("index.interval.bytes").parse().unwrap_or(4096),
            delete: list_items(&policy).any(|p| p == "delete"),
            compact: list_items(&policy).any(|p| p == "compact"),
            retention_ms: long("retention.ms", 604_800_000),
            retention_bytes: long("retention.bytes", -1),
            delete_retention_ms: long("delete.retention.ms", 86_400_000),
            min_compaction_lag_ms: long("min.compaction.lag.ms", 0),
            max_compaction_lag_ms: long("max.compaction.lag.ms", i64::MAX),
            min_cleanable_ratio: get("min.cleanable.dirty.ratio").parse().unwrap_or(0.5),
        }
    }
}

/// One change IncrementalAlterConfigs asks for (AlterConfigs replaces the whole set instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOp {
    Set(String, String),
    Delete(String),
    /// Adds list items not there yet.
    Append(String, String),
    /// Removes list items.
    Subtract(String, String),
}

impl ConfigOp {
    pub fn name(&self) -> &str {
        match self {
            ConfigOp::Set(n, _)
            | ConfigOp::Delete(n)
            | ConfigOp::Append(n, _)
            | ConfigOp::Subtract(n, _) => n,
        }
    }

    /// Kafka's operation codes: 0 set, 1 delete, 2 append, 3 subtract.
    pub fn from_code(
        code: i8,
        name: String,
        value: Option<String>,
    ) -> Result<Self, (ResponseError, String)> {
        let needs_value = |name: &str| {
            (
                ResponseError::InvalidRequest,
                format!("config `{name}`: this operation needs a value"),
            )
        };
        Ok(match (code, value) {
            (1, _) => ConfigOp::Delete(name),
            (0 | 2 | 3, None) => return Err(needs_value(&name)),
            (0, Some(v)) => ConfigOp::Set(name, v),
            (2, Some(v)) => ConfigOp::Append(name, v),
            (3, Some(v)) => ConfigOp::Subtract(name, v),
            (other, _) => {
                return Err((
                    ResponseError::InvalidRequest,
                    format!(
                        "config `{name}`: operation {other} is not one of 0 (set), 1 (delete), 2 (append), 3 (subtract)"
                    ),
                ));
            }
        })
    }
}

/// A change to a set of overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// AlterConfigs: the given set replaces every override.
    Replace(BTreeMap<String, String>),
    /// IncrementalAlterConfigs: each operation in turn.
    Incremental(Vec<ConfigOp>),
}

/// Applies `change` to `current`, checking each key with `lookup` (which returns the definition, or an error naming
/// the key) and each resulting value. APPEND and SUBTRACT start from the current override, or the default when
/// there is none, and only apply to lists.
pub fn apply(
    current: &BTreeMap<String, String>,
    change: &Change,
    lookup: impl Fn(&str) -> Result<&'static Def, (ResponseError, String)>,
) -> Result<BTreeMap<String, String>, (ResponseError, String)> {
    let invalid = |m: String| (ResponseError::InvalidConfig, m);
    let out = match change {
        Change::Replace(all) => {
            for name in all.keys() {
                lookup(name)?;
            }
            all.clone()
        }
        Change::Incremental(ops) => {
            let mut out = current.clone();
            for op in ops {
                let d = lookup(op.name())?;
                let list = |name: &str| {
                    if d.kind == Kind::List {
                        Ok(())
                    } else {
                        Err((
                            ResponseError::InvalidRequest,
                            format!(
                                "config `{name}` is not a list; append and subtract apply to lists only"
                            ),
                        ))
                    }
                };
                match op {
                    ConfigOp::Set(n, v) => {
                        out.insert(n.clone(), v.clone());
                    }
                    ConfigOp::Delete(n) => {
                        out.remove(n);
                    }
                    ConfigOp::Append(n, v) => {
                        list(n)?;
                        let base = out.get(n).map_or(d.default, String::as_str);
                        let mut items: Vec<String> = list_items(base).map(str::to_string).collect();
                        for item in list_items(v) {
                            if !items.iter().any(|i| i == item) {
                                items.push(item.to_string());
                            }
                        }
                        out.insert(n.clone(), items.join(","));
                    }
                    ConfigOp::Subtract(n, v) => {
                        list(n)?;
                        let base = out.get(n).map_or(d.default, String::as_str);
                        let gone: Vec<&str> = list_items(v).collect();
                        let items: Vec<&str> =
                            list_items(base).filter(|i| !gone.contains(i)).collect();
                        out.insert(n.clone(), items.join(","));
                    }
                }
            }
            out
        }
    };
    for (name, value) in &out {
        let d = lookup(name)?;
        check_value(d, name, value).map_err(invalid)?;
    }
    Ok(out)
}

/// The lookup for topic configs: an unknown key is INVALID_CONFIG naming it.
pub fn topic_def(name: &str) -> Result<&'static Def, (ResponseError, String)> {
    find(name).ok_or_else(|| {
        (
            ResponseError::InvalidConfig,
            format!("unknown topic config `{name}`"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> BrokerLayers {
        BrokerLayers::default()
    }

    #[test]
    fn the_table_is_sorted_unique_and_its_defaults_pass_their_own_checks() {
        for w in DEFS.windows(2) {
            assert!(w[0].name < w[1].name, "{} before {}", w[0].name, w[1].name);
        }
        for d in DEFS {
            check(d.name, d.default).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn overrides_are_checked_by_type_range_and_allowed_values() {
        assert!(check("retention.ms", "1000").is_ok());
        assert!(check("retention.ms", "-1").is_ok());
        assert!(
            check("retention.ms", "soon")
                .unwrap_err()
                .contains("a long")
        );
        assert!(
            check("max.message.bytes", "-5")
                .unwrap_err()
                .contains("at least 0")
        );
        assert!(check("max.message.bytes", "3000000000").is_err(), "an int");
        assert!(check("cleanup.policy", "compact,delete").is_ok());
        assert!(check("cleanup.policy", "shred").is_err());
        assert!(check("message.timestamp.type", "LogAppendTime").is_ok());
        assert!(check("message.timestamp.type", "Now").is_err());
        assert!(check("preallocate", "yes").is_err());
        assert!(check("min.cleanable.dirty.ratio", "0.1").is_ok());
        let e = check("min.cleanable.dirty.ratio", "1.5").unwrap_err();
        assert!(e.contains("from 0 to 1"), "{e}");
        assert!(check("min.cleanable.dirty.ratio", "NaN").is_err());
        let e = check("retention.msec", "1").unwrap_err();
        assert!(e.contains("unknown topic config `retention.msec`"), "{e}");
    }

    #[test]
    fn effective_settings_take_overrides_over_broker_layers_over_defaults() {
        let d = Effective::resolve(&BTreeMap::new(), &none());
        assert_eq!(d.max_message_bytes, 1_048_588);
        assert!(!d.log_append_time);
        assert_eq!(d.timestamp_after_max_ms, 3_600_000);
        assert!(d.delete && !d.compact);
        assert_eq!((d.retention_ms, d.retention_bytes), (604_800_000, -1));
        let o = Effective::resolve(
            &BTreeMap::from([
                ("max.message.bytes".to_string(), "100".to_string()),
                (
                    "message.timestamp.type".to_string(),
                    "LogAppendTime".to_string(),
                ),
                ("cleanup.policy".to_string(), "compact".to_string()),
            ]),
            &none(),
        );
        assert_eq!(o.max_message_bytes, 100);
        assert!(o.log_append_time);
        assert!(o.compact && !o.delete);
        let layers = BrokerLayers {
            static_: [("log.retention.ms".to_string(), "1000".to_string())].into(),
            cluster: [("log.retention.bytes".to_string(), "50".to_string())].into(),
            dynamic: [("log.retention.ms".to_string(), "2000".to_string())].into(),
        };
        let e = Effective::resolve(&BTreeMap::new(), &layers);
        assert_eq!((e.retention_ms, e.retention_bytes), (2000, 50));
        let r = resolve(find("retention.ms").unwrap(), &BTreeMap::new(), &layers);
        assert_eq!(r.source, SOURCE_DYNAMIC_BROKER);
        assert_eq!(
            r.synonyms,
            vec![
                (
                    "log.retention.ms".into(),
                    "2000".into(),
                    SOURCE_DYNAMIC_BROKER
                ),
                (
                    "log.retention.ms".into(),
                    "1000".into(),
                    SOURCE_STATIC_BROKER
                ),
                (
                    "log.retention.ms".into(),
                    "604800000".into(),
                    SOURCE_DEFAULT
                ),
            ]
        );
        let over = BTreeMap::from([("retention.ms".to_string(), "5".to_string())]);
        let r = resolve(find("retention.ms").unwrap(), &over, &layers);
        assert_eq!((r.value.as_str(), r.source), ("5", SOURCE_DYNAMIC_TOPIC));
        assert_eq!(r.synonyms.len(), 4);
    }

    #[test]
    fn changes_set_delete_append_and_subtract_and_are_checked() {
        let current = BTreeMap::from([("retention.ms".to_string(), "1000".to_string())]);
        let ops = |ops: Vec<ConfigOp>| apply(&current, &Change::Incremental(ops), topic_def);
        let out = ops(vec![
            ConfigOp::Set("retention.bytes".into(), "10".into()),
            ConfigOp::Delete("retention.ms".into()),
            ConfigOp::Append("cleanup.policy".into(), "compact".into()),
        ])
        .unwrap();
        assert_eq!(
            out,
            BTreeMap::from([
                ("cleanup.policy".to_string(), "delete,compact".to_string()),
                ("retention.bytes".to_string(), "10".to_string()),
            ])
        );
        let out = apply(
            &out,
            &Change::Incremental(vec![ConfigOp::Subtract(
                "cleanup.policy".into(),
                "delete".into(),
            )]),
            topic_def,
        )
        .unwrap();
        assert_eq!(out["cleanup.policy"], "compact");
        let (code, m) = ops(vec![ConfigOp::Set("retention.msec".into(), "1".into())]).unwrap_err();
        assert_eq!(code, ResponseError::InvalidConfig);
        assert!(m.contains("retention.msec"), "{m}");
        let (code, _) = ops(vec![ConfigOp::Delete("nope.nope".into())]).unwrap_err();
        assert_eq!(
            code,
            ResponseError::InvalidConfig,
            "deleting an unknown key names it too"
        );
        let (code, m) = ops(vec![ConfigOp::Set("retention.ms".into(), "soon".into())]).unwrap_err();
        assert_eq!(code, ResponseError::InvalidConfig);
        assert!(m.contains("`retention.ms` = `soon`"), "{m}");
        let (code, _) = ops(vec![ConfigOp::Append("retention.ms".into(), "1".into())]).unwrap_err();
        assert_eq!(
            code,
            ResponseError::InvalidRequest,
            "append applies to lists only"
        );
        let replaced = apply(
            &current,
            &Change::Replace(BTreeMap::from([(
                "segment.ms".to_string(),
                "100".to_string(),
            )])),
            topic_def,
        )
        .unwrap();
        assert_eq!(
            replaced.len(),
            1,
            "AlterConfigs drops what it does not name"
        );
        assert_eq!(
            ConfigOp::from_code(9, "x".into(), None).unwrap_err().0,
            ResponseError::InvalidRequest
        );
    }
}
