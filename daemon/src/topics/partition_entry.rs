//! What a partition keeps in the registry besides its stream: its leader-epoch history and, on a compacted topic,
//! the stream holding its compacted head. One entry per partition, `kafka/partitions/<topic id>/<partition>`:
//!
//! ```text
//! {"epochs": [[1, 0], [3, 120]], "compacted": {"stream": "kafka/<id>/0/compacted.2", "end": 100, "at_ms": …}}
//! ```
//!
//! The history follows Kafka's leader-epoch cache: each time the partition opens at a new leader epoch (its
//! stream's epoch) the pair `(epoch, first offset of that epoch)` is recorded; an epoch that appended nothing is
//! replaced by the next one opened at the same offset; entries wholly below the log start offset go (the one
//! holding it moves up to it). OffsetForLeaderEpoch answers from it.

use automq_stream::meta::{ClusterState, MetaRecord};
use serde::{Deserialize, Serialize};

pub const PREFIX: &str = "kafka/partitions/";

pub fn key(topic_id: &str, partition: u32) -> String {
    format!("{PREFIX}{topic_id}/{partition}")
}

/// The topic id an entry key belongs to.
pub fn topic_id_of_key(key: &str) -> Option<&str> {
    key.strip_prefix(PREFIX)?.split('/').next()
}

/// Where a compacted head lives: offsets `[log start, end)` are read from `stream`, the rest from the data
/// stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compacted {
    pub stream: String,
    pub end: u64,
    /// When the pass that wrote it ran (delete markers older than `delete.retention.ms` after this go next time).
    pub at_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionEntry {
    /// `(leader epoch, first offset written at it)`, both ascending.
    #[serde(default)]
    pub epochs: Vec<(i32, i64)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compacted: Option<Compacted>,
}

/// Kafka's "no epoch" and "no offset" answers.
pub const UNDEFINED: (i32, i64) = (-1, -1);

impl PartitionEntry {
    pub fn read(state: &ClusterState, key: &str) -> Self {
        state
            .entry(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    pub fn record(&self, key: &str) -> MetaRecord {
        MetaRecord::EntryPut {
            key: key.to_string(),
            value: serde_json::to_value(self).unwrap_or_default(),
        }
    }

    /// Records that `epoch` starts at `start`. Entries at or after either are replaced (an epoch that appended
    /// nothing, or a history that a new leader's log no longer holds). Returns whether anything changed.
    pub fn assign(&mut self, epoch: i32, start: i64) -> bool {
        if self
            .epochs
            .last()
            .is_some_and(|(e, s)| *e == epoch && *s <= start)
        {
            return false;
        }
        self.epochs.retain(|(e, s)| *e < epoch && *s < start);
        self.epochs.push((epoch, start));
        true
    }

    /// The log now starts at `log_start`: entries wholly below it go, the one holding it moves up to it. Returns
    /// whether entries were dropped (the stored history is then worth rewriting).
    pub fn truncate_start(&mut self, log_start: i64) -> bool {
        let below = self.epochs.partition_point(|(_, s)| *s <= log_start);
        if below == 0 {
            return false;
        }
        let (epoch, _) = self.epochs[below - 1];
        self.epochs.drain(..below);
        self.epochs.insert(0, (epoch, log_start));
        below > 1
    }

    /// Kafka's end offset for `requested`: the current epoch ends at the log end; an earlier one where the next
    /// known epoch starts, reported with the largest known epoch not above it (or the one asked for, when it
    /// predates the history); an epoch after every known one is undefined.
    pub fn end_offset_for(&self, requested: i32, log_end: i64) -> (i32, i64) {
        if requested < 0 {
            return UNDEFINED;
        }
        match self.epochs.last() {
            Some((latest, _)) if *latest == requested => return (requested, log_end),
            None => return UNDEFINED,
            _ => {}
        }
        let Some(&(_, higher_start)) = self.epochs.iter().find(|(e, _)| *e > requested) else {
            return UNDEFINED;
        };
        match self.epochs.iter().rev().find(|(e, _)| *e <= requested) {
            Some(&(floor, _)) => (floor, higher_start),
            None => (requested, higher_start),
        }
    }
}

/// Every partition entry's key, with the topic id it belongs to (for cleaning up after deleted topics).
pub fn keys(state: &ClusterState) -> Vec<String> {
    state
        .entries_under(PREFIX)
        .map(|(k, _)| k.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_follows_kafkas_leader_epoch_cache() {
        let mut h = PartitionEntry::default();
        assert!(h.assign(1, 0));
        assert!(!h.assign(1, 5), "the same epoch again");
        assert!(h.assign(2, 0), "epoch 1 wrote nothing: replaced");
        assert_eq!(h.epochs, [(2, 0)]);
        h.assign(4, 10);
        h.assign(7, 25);
        assert_eq!(h.epochs, [(2, 0), (4, 10), (7, 25)]);
        assert_eq!(
            h.end_offset_for(7, 40),
            (7, 40),
            "the current epoch: the log end"
        );
        assert_eq!(h.end_offset_for(4, 40), (4, 25));
        assert_eq!(
            h.end_offset_for(5, 40),
            (4, 25),
            "unknown, between: the one below it"
        );
        assert_eq!(h.end_offset_for(1, 40), (1, 0), "before the history");
        assert_eq!(
            h.end_offset_for(9, 40),
            UNDEFINED,
            "after every known epoch"
        );
        assert_eq!(h.end_offset_for(-1, 40), UNDEFINED);
        assert_eq!(PartitionEntry::default().end_offset_for(0, 0), UNDEFINED);
        // A new leader whose log ends before what the history says replaces the later entries.
        let mut t = h.clone();
        t.assign(8, 20);
        assert_eq!(t.epochs, [(2, 0), (4, 10), (8, 20)]);
    }

    #[test]
    fn a_moving_log_start_drops_what_lies_below_it() {
        let mut h = PartitionEntry {
            epochs: vec![(2, 0), (4, 10), (7, 25)],
            compacted: None,
        };
        assert!(!h.truncate_start(5), "only the first entry moves");
        assert_eq!(h.epochs, [(2, 5), (4, 10), (7, 25)]);
        assert!(h.truncate_start(30));
        assert_eq!(h.epochs, [(7, 30)]);
        assert_eq!(h.end_offset_for(4, 40), (4, 30));
        let key = key("abc", 3);
        assert_eq!(topic_id_of_key(&key), Some("abc"));
        let MetaRecord::EntryPut { value, .. } = h.record(&key) else {
            panic!("a put")
        };
        assert_eq!(serde_json::from_value::<PartitionEntry>(value).unwrap(), h);
    }
}
