//! The topic registry: one entry per topic in the engine's metadata log, under `kafka/topics/<name>`.
//!
//! An entry holds what every broker must agree on: the topic's id, its partition count and its config overrides.
//! Creating and deleting a topic is one record each, decided against the state the writer caught up to, so two
//! brokers creating the same name at once see one win and one `TOPIC_ALREADY_EXISTS`. Partition `p` of a topic
//! is the engine stream named `kafka/<topic id>/<p>/data` (see docs/partitions.md); streams are created when a
//! partition is first opened, and deleted after the topic's entry is gone.

use std::collections::BTreeMap;

use automq_protocol::kafka_protocol::protocol::StrBytes;
use automq_stream::meta::{ClusterState, MetaRecord};
use serde::{Deserialize, Serialize};

/// Where topic entries live in the metadata log.
pub const TOPICS_PREFIX: &str = "kafka/topics/";
/// The producer id allocator's entry.
pub const PRODUCER_IDS_KEY: &str = "kafka/producer-ids";

/// A topic as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicEntry {
    pub name: String,
    /// Kafka's topic id, 16 bytes as 32 hex digits.
    pub id: String,
    pub partitions: u32,
    /// Config overrides (only what was set; defaults are not stored).
    #[serde(default)]
    pub configs: BTreeMap<String, String>,
}

impl TopicEntry {
    pub fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::parse_str(&self.id).unwrap_or_default()
    }

    /// The engine stream holding partition `p`'s record batches.
    pub fn data_stream_name(&self, partition: u32) -> String {
        data_stream_name(&self.id, partition)
    }
}

pub fn data_stream_name(topic_id: &str, partition: u32) -> String {
    format!("kafka/{topic_id}/{partition}/data")
}

/// Whether a stream name is a partition's compacted head (`kafka/<topic id>/<p>/compacted.<end>`).
pub fn is_compacted_head(name: &str) -> bool {
    name.starts_with("kafka/")
        && name
            .rsplit('/')
            .next()
            .is_some_and(|last| last.starts_with("compacted."))
}

/// The topic id a stream name belongs to, if it is a partition stream.
pub fn topic_id_of_stream(name: &str) -> Option<&str> {
    name.strip_prefix("kafka/")?.split('/').next()
}

pub fn key(name: &str) -> String {
    format!("{TOPICS_PREFIX}{name}")
}

/// Every topic in the state, by name.
pub fn topics(state: &ClusterState) -> BTreeMap<String, TopicEntry> {
    state
        .entries_under(TOPICS_PREFIX)
        .filter_map(|(_, v)| serde_json::from_value::<TopicEntry>(v.clone()).ok())
        .map(|t| (t.name.clone(), t))
        .collect()
}

/// The record that creates `entry`.
pub fn create_record(entry: &TopicEntry) -> MetaRecord {
    MetaRecord::EntryPut {
        key: key(&entry.name),
        value: serde_json::to_value(entry).unwrap_or_default(),
    }
}

pub fn delete_record(name: &str) -> MetaRecord {
    MetaRecord::EntryDeleted { key: key(name) }
}

/// A new random topic id. Like Kafka, never the zero id, and never one whose base64 form starts with `-` (command
/// lines would read it as an option).
pub fn new_topic_id() -> uuid::Uuid {
    loop {
        let id = uuid::Uuid::new_v4();
        // Base64 of the first byte's top six bits: 62 is `-` in the URL-safe alphabet.
        if !id.is_nil() && id.as_bytes()[0] >> 2 != 62 {
            return id;
        }
    }
}

/// Kafka's rule for topic names: 1 to 249 characters of `[a-zA-Z0-9._-]`, not `.` or `..`.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a topic name cannot be empty".into());
    }
    if name == "." || name == ".." {
        return Err(format!("topic name `{name}` is not allowed"));
    }
    if name.len() > 249 {
        return Err(format!(
            "topic name is {} characters long; at most 249 are allowed",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "topic name `{name}` contains `{c}`; only ASCII letters, digits, '.', '_' and '-' are allowed"
        ));
    }
    Ok(())
}

/// A topic name as the protocol carries it.
pub fn str_bytes(name: &str) -> StrBytes {
    StrBytes::from_string(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_kafkas_rules() {
        assert!(check_name("orders.v1_eu-west").is_ok());
        for bad in ["", ".", "..", "a b", "ü", &"x".repeat(250)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"x".repeat(249)).is_ok());
    }

    #[test]
    fn topic_ids_never_print_with_a_leading_dash() {
        for _ in 0..2000 {
            let id = new_topic_id();
            assert_ne!(id.as_bytes()[0] >> 2, 62);
        }
    }

    #[test]
    fn entries_round_trip_and_streams_name_their_topic() {
        let e = TopicEntry {
            name: "orders".into(),
            id: uuid::Uuid::from_u128(7).simple().to_string(),
            partitions: 3,
            configs: [("retention.ms".to_string(), "1000".to_string())].into(),
        };
        let MetaRecord::EntryPut { key, value } = create_record(&e) else {
            panic!("an entry put")
        };
        assert_eq!(key, "kafka/topics/orders");
        assert_eq!(serde_json::from_value::<TopicEntry>(value).unwrap(), e);
        assert_eq!(e.uuid(), uuid::Uuid::from_u128(7));
        let stream = e.data_stream_name(2);
        assert_eq!(topic_id_of_stream(&stream), Some(e.id.as_str()));
        assert_eq!(topic_id_of_stream("other/x"), None);
        assert!(!is_compacted_head(&stream));
        assert!(is_compacted_head(&format!(
            "kafka/{}/2/compacted.100",
            e.id
        )));
    }
}
