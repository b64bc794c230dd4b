//! Topic configs: the keys Kafka documents for topics, their defaults and types, checked on create and reported
//! by DescribeConfigs.
//!
//! Honoured by this broker today: `max.message.bytes`, `message.timestamp.type`,
//! `message.timestamp.before.max.ms` and `message.timestamp.after.max.ms`. The others are checked, stored and
//! reported, and take effect as the features behind them land (retention, compaction); docs/partitions.md lists
//! them. `compression.type` is stored, but batches are always kept as the producer compressed them.

use std::collections::BTreeMap;

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

/// One topic config key.
#[derive(Debug, Clone, Copy)]
pub struct Def {
    pub name: &'static str,
    pub default: &'static str,
    pub kind: Kind,
    /// Allowed values (strings and list items); empty: any.
    pub allowed: &'static [&'static str],
    /// Smallest allowed number.
    pub min: Option<i64>,
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
        broker_synonym: None,
        doc,
    }
}

const MAX: &str = "9223372036854775807";

/// Every topic config key, sorted by name.
pub const DEFS: &[Def] = &[
    Def {
        allowed: &["delete", "compact"],
        broker_synonym: Some("log.cleanup.policy"),
        ..def(
            "cleanup.policy",
            "delete",
            Kind::List,
            "How old data is dropped: delete by retention, or compact by key (not yet honoured).",
        )
    },
    def(
        "compression.gzip.level",
        "-1",
        Kind::Int,
        "Stored; this broker keeps batches as the producer compressed them.",
    ),
    def(
        "compression.lz4.level",
        "9",
        Kind::Int,
        "Stored; this broker keeps batches as the producer compressed them.",
    ),
    Def {
        allowed: &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"],
        broker_synonym: Some("compression.type"),
        ..def(
            "compression.type",
            "producer",
            Kind::String,
            "Stored; this broker keeps batches as the producer compressed them.",
        )
    },
    def(
        "compression.zstd.level",
        "3",
        Kind::Int,
        "Stored; this broker keeps batches as the producer compressed them.",
    ),
    Def {
        min: Some(0),
        ..def(
            "delete.retention.ms",
            "86400000",
            Kind::Long,
            "How long delete markers are kept on compacted topics (not yet honoured).",
        )
    },
    Def {
        min: Some(0),
        ..def(
            "file.delete.delay.ms",
            "60000",
            Kind::Long,
            "Accepted for compatibility; this broker keeps no log files.",
        )
    },
    Def {
        min: Some(1),
        ..def(
            "flush.messages",
            MAX,
            Kind::Long,
            "Accepted for compatibility; every acknowledged batch is durable in the WAL.",
        )
    },
    Def {
        min: Some(0),
        ..def(
            "flush.ms",
            MAX,
            Kind::Long,
            "Accepted for compatibility; every acknowledged batch is durable in the WAL.",
        )
    },
    def(
        "follower.replication.throttled.replicas",
        "",
        Kind::List,
        "Accepted for compatibility; partitions have no followers.",
    ),
    Def {
        min: Some(0),
        ..def(
            "index.interval.bytes",
            "4096",
            Kind::Int,
            "Bytes of batches between two time index entries.",
        )
    },
    def(
        "leader.replication.throttled.replicas",
        "",
        Kind::List,
        "Accepted for compatibility; partitions have no followers.",
    ),
    def(
        "local.retention.bytes",
        "-2",
        Kind::Long,
        "Accepted for compatibility; all data lives on shared storage.",
    ),
    def(
        "local.retention.ms",
        "-2",
        Kind::Long,
        "Accepted for compatibility; all data lives on shared storage.",
    ),
    Def {
        min: Some(1),
        ..def(
            "max.compaction.lag.ms",
            MAX,
            Kind::Long,
            "Longest time a record stays uncompacted (not yet honoured).",
        )
    },
    Def {
        min: Some(0),
        broker_synonym: Some("message.max.bytes"),
        ..def(
            "max.message.bytes",
            "1048588",
            Kind::Int,
            "The largest record batch the partition accepts, header included.",
        )
    },
    Def {
        min: Some(0),
        broker_synonym: Some("log.message.timestamp.after.max.ms"),
        ..def(
            "message.timestamp.after.max.ms",
            "3600000",
            Kind::Long,
            "How far in the future a CreateTime timestamp may lie.",
        )
    },
    Def {
        min: Some(0),
        broker_synonym: Some("log.message.timestamp.before.max.ms"),
        ..def(
            "message.timestamp.before.max.ms",
            MAX,
            Kind::Long,
            "How far in the past a CreateTime timestamp may lie.",
        )
    },
    Def {
        allowed: &["CreateTime", "LogAppendTime"],
        broker_synonym: Some("log.message.timestamp.type"),
        ..def(
            "message.timestamp.type",
            "CreateTime",
            Kind::String,
            "Whether records keep the producer's timestamp or get the broker's time at append.",
        )
    },
    def(
        "min.cleanable.dirty.ratio",
        "0.5",
        Kind::Double,
        "When compaction runs (not yet honoured).",
    ),
    Def {
        min: Some(0),
        ..def(
            "min.compaction.lag.ms",
            "0",
            Kind::Long,
            "Shortest time a record stays uncompacted (not yet honoured).",
        )
    },
    Def {
        min: Some(1),
        ..def(
            "min.insync.replicas",
            "1",
            Kind::Int,
            "Accepted for compatibility; durability comes from shared storage.",
        )
    },
    def(
        "preallocate",
        "false",
        Kind::Boolean,
        "Accepted for compatibility; this broker keeps no log files.",
    ),
    def(
        "remote.storage.enable",
        "false",
        Kind::Boolean,
        "Accepted for compatibility; all data lives on shared storage.",
    ),
    Def {
        broker_synonym: Some("log.retention.bytes"),
        ..def(
            "retention.bytes",
            "-1",
            Kind::Long,
            "Size above which the oldest data is deleted (not yet honoured).",
        )
    },
    Def {
        min: Some(-1),
        broker_synonym: Some("log.retention.ms"),
        ..def(
            "retention.ms",
            "604800000",
            Kind::Long,
            "Age after which data is deleted (not yet honoured).",
        )
    },
    Def {
        min: Some(14),
        ..def(
            "segment.bytes",
            "1073741824",
            Kind::Int,
            "Accepted for compatibility; this broker keeps no log segments.",
        )
    },
    Def {
        min: Some(4),
        ..def(
            "segment.index.bytes",
            "10485760",
            Kind::Int,
            "Accepted for compatibility; this broker keeps no log segments.",
        )
    },
    Def {
        min: Some(0),
        ..def(
            "segment.jitter.ms",
            "0",
            Kind::Long,
            "Accepted for compatibility; this broker keeps no log segments.",
        )
    },
    Def {
        min: Some(1),
        ..def(
            "segment.ms",
            "604800000",
            Kind::Long,
            "Accepted for compatibility; this broker keeps no log segments.",
        )
    },
    def(
        "unclean.leader.election.enable",
        "false",
        Kind::Boolean,
        "Accepted for compatibility; partitions have no followers.",
    ),
];

pub fn find(name: &str) -> Option<&'static Def> {
    DEFS.iter().find(|d| d.name == name)
}

/// Checks one override: the key is known and the value fits its type. The error names the key, the value and
/// what is expected.
pub fn check(name: &str, value: &str) -> Result<(), String> {
    let d = find(name).ok_or_else(|| format!("unknown topic config `{name}`"))?;
    let bad = |expected: String| format!("`{name}` = `{value}` is not valid: expected {expected}");
    let number = |v: &str| -> Result<(), String> {
        let n = match d.kind {
            Kind::Int => v.trim().parse::<i32>().map(i64::from).ok(),
            _ => v.trim().parse::<i64>().ok(),
        };
        let kind = if d.kind == Kind::Int {
            "an int"
        } else {
            "a long"
        };
        let n = n.ok_or_else(|| bad(kind.to_string()))?;
        match d.min {
            Some(min) if n < min => Err(bad(format!("at least {min}"))),
            _ => Ok(()),
        }
    };
    match d.kind {
        Kind::Boolean => match value.trim().to_ascii_lowercase().as_str() {
            "true" | "false" => Ok(()),
            _ => Err(bad("true or false".into())),
        },
        Kind::Int | Kind::Long => number(value),
        Kind::Double => value
            .trim()
            .parse::<f64>()
            .map(|_| ())
            .map_err(|_| bad("a number".into())),
        Kind::String if !d.allowed.is_empty() => {
            if d.allowed.contains(&value.trim()) {
                Ok(())
            } else {
                Err(bad(format!("one of {}", d.allowed.join(", "))))
            }
        }
        Kind::String => Ok(()),
        Kind::List => {
            for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                if !d.allowed.is_empty() && !d.allowed.contains(&item) {
                    return Err(bad(format!("a list of {}", d.allowed.join(", "))));
                }
            }
            Ok(())
        }
    }
}

/// Where a reported value comes from (Kafka's `ConfigSource`).
pub const SOURCE_TOPIC: i8 = 1;
pub const SOURCE_STATIC_BROKER: i8 = 4;
pub const SOURCE_DEFAULT: i8 = 5;

/// Every topic config with its value for a topic with `overrides`: `(definition, value, source)`.
pub fn resolved(
    overrides: &BTreeMap<String, String>,
) -> impl Iterator<Item = (&'static Def, String, i8)> + '_ {
    DEFS.iter().map(move |d| match overrides.get(d.name) {
        Some(v) => (d, v.clone(), SOURCE_TOPIC),
        None => (d, d.default.to_string(), SOURCE_DEFAULT),
    })
}

/// The settings the data path reads, resolved from a topic's overrides over the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effective {
    pub max_message_bytes: usize,
    pub log_append_time: bool,
    pub timestamp_before_max_ms: i64,
    pub timestamp_after_max_ms: i64,
}

impl Effective {
    pub fn resolve(overrides: &BTreeMap<String, String>) -> Self {
        let get = |name: &str| {
            overrides
                .get(name)
                .map(String::as_str)
                .or_else(|| find(name).map(|d| d.default))
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        Self {
            max_message_bytes: get("max.message.bytes").parse().unwrap_or(1_048_588),
            log_append_time: get("message.timestamp.type") == "LogAppendTime",
            timestamp_before_max_ms: get("message.timestamp.before.max.ms")
                .parse()
                .unwrap_or(i64::MAX),
            timestamp_after_max_ms: get("message.timestamp.after.max.ms")
                .parse()
                .unwrap_or(3_600_000),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let e = check("retention.msec", "1").unwrap_err();
        assert!(e.contains("unknown topic config `retention.msec`"), "{e}");
    }

    #[test]
    fn effective_settings_take_overrides_over_defaults() {
        let d = Effective::resolve(&BTreeMap::new());
        assert_eq!(d.max_message_bytes, 1_048_588);
        assert!(!d.log_append_time);
        assert_eq!(d.timestamp_after_max_ms, 3_600_000);
        let o = Effective::resolve(&BTreeMap::from([
            ("max.message.bytes".to_string(), "100".to_string()),
            (
                "message.timestamp.type".to_string(),
                "LogAppendTime".to_string(),
            ),
        ]));
        assert_eq!(o.max_message_bytes, 100);
        assert!(o.log_append_time);
    }
}
