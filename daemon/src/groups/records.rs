//! What a coordinator shard's stream holds: one record per append, each a version byte and a JSON body.
//!
//! Records are applied in stream order to a [`Stored`] state: committed offsets and the last persisted
//! generation of each group. A [`Record::Snapshot`] replaces the whole state, so everything before it may be
//! trimmed away. The format is in docs/groups.md.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The format version, the first byte of every record. A record of another version is refused, never skipped.
pub const VERSION: u8 = 1;

/// One committed offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committed {
    pub offset: i64,
    /// The leader epoch the consumer saw at that offset; -1 when unknown.
    pub leader_epoch: i32,
    pub metadata: String,
    /// When the broker took the commit, in milliseconds since the Unix epoch.
    pub commit_ms: i64,
    /// When the commit's own retention ends (OffsetCommit v2–v4 may set one), in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_ms: Option<i64>,
}

/// One member of a persisted generation, with what a restarted coordinator needs to keep serving it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMember {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    /// The member's metadata for the group's protocol (a consumer's subscription), hex.
    #[serde(with = "hex_bytes")]
    pub subscription: Bytes,
    /// What the leader assigned it, hex.
    #[serde(with = "hex_bytes")]
    pub assignment: Bytes,
}

/// A group's generation as last persisted: after the leader's assignment, after a static member took a new
/// member id, and when the group became empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredGroup {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_type: Option<String>,
    pub generation: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,
    #[serde(default)]
    pub members: Vec<StoredMember>,
}

/// A topic partition, as records name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

/// One offset of an [`Record::OffsetsCommitted`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetEntry {
    #[serde(flatten)]
    pub at: TopicPartition,
    #[serde(flatten)]
    pub committed: Committed,
}

/// What the shard keeps about one group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<StoredGroup>,
    #[serde(default, with = "offset_list")]
    pub offsets: BTreeMap<TopicPartition, Committed>,
}

/// A shard's whole state: what replaying its stream gives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    pub groups: BTreeMap<String, GroupData>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// Offsets of one group, committed together by one request.
    OffsetsCommitted {
        group: String,
        offsets: Vec<OffsetEntry>,
    },
    /// OffsetDelete: these partitions' offsets are gone.
    OffsetsDeleted {
        group: String,
        partitions: Vec<TopicPartition>,
    },
    /// A group's generation and members (replaces the previous one).
    GroupMetadata { group: String, meta: StoredGroup },
    /// DeleteGroups: the group and all its offsets are gone.
    GroupDeleted { group: String },
    /// The whole state as of this record; what came before it is no longer needed.
    Snapshot { state: Stored },
}

impl Record {
    /// The group a record is about (none for a snapshot).
    pub fn group(&self) -> Option<&str> {
        match self {
            Record::OffsetsCommitted { group, .. }
            | Record::OffsetsDeleted { group, .. }
            | Record::GroupMetadata { group, .. }
            | Record::GroupDeleted { group } => Some(group),
            Record::Snapshot { .. } => None,
        }
    }

    pub fn encode(&self) -> Bytes {
        let mut out = vec![VERSION];
        // Serializing these types cannot fail: every map key is a string or serialized as a list.
        serde_json::to_writer(&mut out, self).unwrap_or_default();
        Bytes::from(out)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        match bytes.split_first() {
            None => Err("an empty record".into()),
            Some((&VERSION, body)) => {
                serde_json::from_slice(body).map_err(|e| format!("an undecodable record: {e}"))
            }
            Some((v, _)) => Err(format!(
                "a record of format version {v}; this build reads version {VERSION} (upgrade automqd)"
            )),
        }
    }
}

impl Stored {
    /// Applies one record, as replay and the live path both do.
    pub fn apply(&mut self, record: &Record) {
        match record {
            Record::OffsetsCommitted { group, offsets } => {
                let data = self.groups.entry(group.clone()).or_default();
                for o in offsets {
                    data.offsets.insert(o.at.clone(), o.committed.clone());
                }
            }
            Record::OffsetsDeleted { group, partitions } => {
                if let Some(data) = self.groups.get_mut(group) {
                    for p in partitions {
                        data.offsets.remove(p);
                    }
                }
            }
            Record::GroupMetadata { group, meta } => {
                self.groups.entry(group.clone()).or_default().meta = Some(meta.clone());
            }
            Record::GroupDeleted { group } => {
                self.groups.remove(group);
            }
            Record::Snapshot { state } => *self = state.clone(),
        }
    }
}

/// Bytes as lowercase hex in JSON.
mod hex_bytes {
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    const DIGITS: &[u8; 16] = b"0123456789abcdef";

    pub fn serialize<S: Serializer>(b: &Bytes, s: S) -> Result<S::Ok, S::Error> {
        let mut out = String::with_capacity(b.len() * 2);
        for byte in b.iter() {
            out.push(char::from(DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(DIGITS[usize::from(byte & 15)]));
        }
        s.serialize_str(&out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        let s = String::deserialize(d)?;
        let digit = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(serde::de::Error::custom(format!(
                "`{}` is not a hex digit",
                char::from(c)
            ))),
        };
        let raw = s.as_bytes();
        if raw.len() % 2 != 0 {
            return Err(serde::de::Error::custom("hex of odd length"));
        }
        raw.chunks(2)
            .map(|pair| Ok(digit(pair[0])? << 4 | digit(pair[1])?))
            .collect::<Result<Vec<u8>, _>>()
            .map(Bytes::from)
    }
}

/// A map keyed by topic partition, as a JSON list (JSON object keys must be strings).
mod offset_list {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Committed, OffsetEntry, TopicPartition};

    pub fn serialize<S: Serializer>(
        m: &BTreeMap<TopicPartition, Committed>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let list: Vec<OffsetEntry> = m
            .iter()
            .map(|(at, committed)| OffsetEntry {
                at: at.clone(),
                committed: committed.clone(),
            })
            .collect();
        list.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<TopicPartition, Committed>, D::Error> {
        Ok(Vec::<OffsetEntry>::deserialize(d)?
            .into_iter()
            .map(|e| (e.at, e.committed))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(topic: &str, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }

    fn committed(offset: i64) -> Committed {
        Committed {
            offset,
            leader_epoch: 3,
            metadata: "m".into(),
            commit_ms: 1_700_000_000_000,
            expire_ms: None,
        }
    }

    #[test]
    fn records_round_trip_and_apply_in_order() {
        let meta = StoredGroup {
            protocol_type: Some("consumer".into()),
            generation: 4,
            protocol: Some("range".into()),
            leader: Some("m-1".into()),
            members: vec![StoredMember {
                id: "m-1".into(),
                instance_id: Some("i-1".into()),
                client_id: "c".into(),
                client_host: "/127.0.0.1".into(),
                session_timeout_ms: 10_000,
                rebalance_timeout_ms: 30_000,
                subscription: Bytes::from_static(&[0, 1, 0xab, 0xff]),
                assignment: Bytes::new(),
            }],
        };
        let records = [
            Record::OffsetsCommitted {
                group: "g".into(),
                offsets: vec![
                    OffsetEntry {
                        at: tp("t", 0),
                        committed: committed(5),
                    },
                    OffsetEntry {
                        at: tp("t", 1),
                        committed: committed(7),
                    },
                ],
            },
            Record::GroupMetadata {
                group: "g".into(),
                meta: meta.clone(),
            },
            Record::OffsetsDeleted {
                group: "g".into(),
                partitions: vec![tp("t", 0)],
            },
            Record::OffsetsCommitted {
                group: "h".into(),
                offsets: vec![OffsetEntry {
                    at: tp("u", 2),
                    committed: committed(9),
                }],
            },
            Record::GroupDeleted { group: "h".into() },
        ];
        let mut state = Stored::default();
        for r in &records {
            let bytes = r.encode();
            assert_eq!(bytes[0], VERSION);
            let back = Record::decode(&bytes).unwrap();
            assert_eq!(&back, r);
            state.apply(&back);
        }
        let g = &state.groups["g"];
        assert_eq!(g.meta.as_ref(), Some(&meta));
        assert_eq!(g.offsets.len(), 1);
        assert_eq!(g.offsets[&tp("t", 1)].offset, 7);
        assert!(!state.groups.contains_key("h"));

        // A snapshot carries the whole state and replaces whatever was there.
        let snap = Record::Snapshot {
            state: state.clone(),
        };
        let mut other = Stored::default();
        other.apply(&Record::GroupDeleted { group: "x".into() });
        other.apply(&Record::decode(&snap.encode()).unwrap());
        assert_eq!(other, state);
    }

    #[test]
    fn other_versions_and_garbage_are_refused() {
        let mut bytes = Record::GroupDeleted { group: "g".into() }.encode().to_vec();
        bytes[0] = 2;
        assert!(Record::decode(&bytes).unwrap_err().contains("version 2"));
        assert!(Record::decode(&[]).is_err());
        assert!(Record::decode(&[VERSION, b'{']).is_err());
        assert!(Record::decode(b"\x01{\"type\":\"group_metadata\",\"group\":\"g\",\"meta\":{\"generation\":1,\"members\":[{\"id\":\"a\",\"client_id\":\"c\",\"client_host\":\"h\",\"session_timeout_ms\":1,\"rebalance_timeout_ms\":1,\"subscription\":\"0g\",\"assignment\":\"\"}]}}").is_err());
    }
}
