//! The transaction coordinator's log: each transactional id's state, written to engine streams before it is
//! acted on, so a restarted broker goes on from it (docs/transactions.md).
//!
//! Transactional ids are spread over a fixed number of shards by a stable hash of the id (the count is fixed in
//! the metadata log under [`SHARDS_KEY`] at the first start). Shard `i` is the stream `txns/<i>/log`; each record
//! is a version byte and a JSON body: either one id's whole state after a change, or a snapshot of every id of the
//! shard. Replay applies records in stream order, a snapshot replacing the shard's state. Once the records since
//! the last snapshot outweigh it (and at least [`SNAPSHOT_MIN_BYTES`]), a snapshot is appended and, once durable
//! and uploaded, the stream is trimmed to it, so replay reads a small multiple of the state.
//!
//! Every write happens under the coordinator's lock and is awaited until durable, so records land in the order
//! their decisions were taken and a client is answered only after its change is durable.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use automq_stream::engine::Engine;
use automq_stream::meta::MetaRecord;
use automq_stream::types::StreamId;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use super::{Txn, TxnState};
use crate::groups::NewOffset;
use crate::groups::records::TopicPartition;

/// The format version, the first byte of every record. A record of another version is refused, never skipped.
pub const VERSION: u8 = 1;

/// The metadata-log entry fixing the shard count.
pub const SHARDS_KEY: &str = "kafka/transaction-coordinator";

/// Shards of a new cluster.
pub const DEFAULT_SHARDS: u32 = 4;

/// Bytes of records since the last snapshot below which no snapshot is written.
pub const SNAPSHOT_MIN_BYTES: u64 = 1 << 20;

/// The stream holding shard `index`'s records. Outside `kafka/`, where every stream belongs to a topic.
pub fn stream_name(index: u32) -> String {
    format!("txns/{index}/log")
}

/// A stable hash of a transactional id (FNV-1a), so an id keeps its shard across builds and brokers.
fn hash(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// One partition of a transaction, with the high watermark it had when it joined: the transaction's batches there
/// lie at or after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPartition {
    pub topic: String,
    pub partition: i32,
    pub from: i64,
}

/// A TxnOffsetCommit offset held until the transaction ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOffset {
    pub group: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub leader_epoch: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}

/// One transactional id's state, as records carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTxn {
    pub producer_id: i64,
    pub epoch: i16,
    /// Kafka's state name (`Empty`, `Ongoing`, `PrepareCommit`, …).
    pub state: String,
    pub timeout_ms: i32,
    pub started_ms: i64,
    #[serde(default)]
    pub partitions: Vec<StoredPartition>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub offsets: Vec<StoredOffset>,
}

/// One record of a shard's stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// One id's whole state after a change.
    Txn { id: String, txn: StoredTxn },
    /// Every id of the shard as of this record; what came before it is no longer needed.
    Snapshot { txns: BTreeMap<String, StoredTxn> },
}

impl Record {
    pub fn encode(&self) -> Bytes {
        let mut out = vec![VERSION];
        // Serializing these types cannot fail: every map key is a string.
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

impl StoredTxn {
    pub fn from_txn(t: &Txn) -> Self {
        Self {
            producer_id: t.producer_id,
            epoch: t.epoch,
            state: t.state.name().to_string(),
            timeout_ms: t.timeout_ms,
            started_ms: t.started_ms,
            partitions: t
                .partitions
                .iter()
                .map(|(topic, partition)| StoredPartition {
                    topic: topic.clone(),
                    partition: *partition,
                    from: t
                        .from
                        .get(&(topic.clone(), *partition))
                        .copied()
                        .unwrap_or(0),
                })
                .collect(),
            groups: t.groups.iter().cloned().collect(),
            offsets: t
                .offsets
                .iter()
                .map(|(group, o)| StoredOffset {
                    group: group.clone(),
                    topic: o.at.topic.clone(),
                    partition: o.at.partition,
                    offset: o.offset,
                    leader_epoch: o.leader_epoch,
                    metadata: o.metadata.clone(),
                })
                .collect(),
        }
    }

    pub fn to_txn(&self) -> Result<Txn, String> {
        let state = TxnState::from_name(&self.state)
            .ok_or_else(|| format!("an unknown transaction state `{}`", self.state))?;
        Ok(Txn {
            producer_id: self.producer_id,
            epoch: self.epoch,
            state,
            timeout_ms: self.timeout_ms,
            started_ms: self.started_ms,
            partitions: self
                .partitions
                .iter()
                .map(|p| (p.topic.clone(), p.partition))
                .collect::<BTreeSet<_>>(),
            from: self
                .partitions
                .iter()
                .map(|p| ((p.topic.clone(), p.partition), p.from))
                .collect(),
            groups: self.groups.iter().cloned().collect(),
            offsets: self
                .offsets
                .iter()
                .map(|o| {
                    (
                        o.group.clone(),
                        NewOffset {
                            at: TopicPartition {
                                topic: o.topic.clone(),
                                partition: o.partition,
                            },
                            offset: o.offset,
                            leader_epoch: o.leader_epoch,
                            metadata: o.metadata.clone(),
                        },
                    )
                })
                .collect(),
        })
    }
}

#[derive(Debug)]
struct ShardLog {
    stream: StreamId,
    /// Bytes appended since the last snapshot, and that snapshot's size.
    since_snapshot: u64,
    snapshot_bytes: u64,
}

/// The shards' streams, opened here. Used under the coordinator's lock.
#[derive(Debug)]
pub struct TxnLog {
    engine: Engine,
    shards: Vec<ShardLog>,
    snapshot_min_bytes: u64,
    /// Why the log could not be loaded: every write is refused with this.
    failed: Option<String>,
}

impl TxnLog {
    /// A log that refuses every write (its load failed): transactions are not served.
    pub fn unavailable(engine: Engine, why: String) -> Self {
        Self {
            engine,
            shards: Vec::new(),
            snapshot_min_bytes: SNAPSHOT_MIN_BYTES,
            failed: Some(why),
        }
    }

    /// Fixes the shard count (first start), opens every shard's stream here and replays it: the log and every
    /// transactional id's state.
    pub async fn open(
        engine: Engine,
        snapshot_min_bytes: u64,
    ) -> Result<(Self, HashMap<String, Txn>), String> {
        let count = shard_count(&engine)
            .await
            .map_err(|e| format!("transaction coordinator: reading {SHARDS_KEY}: {e}"))?;
        let mut shards = Vec::with_capacity(count as usize);
        let mut txns = HashMap::new();
        for index in 0..count {
            let (shard, state) = replay(&engine, index).await?;
            shards.push(shard);
            for (id, stored) in state {
                let txn = stored.to_txn().map_err(|e| {
                    format!("transaction coordinator shard {index}: transactional id `{id}`: {e}")
                })?;
                txns.insert(id, txn);
            }
        }
        info!(
            shards = count,
            transactional_ids = txns.len(),
            "transaction coordinator loaded"
        );
        Ok((
            Self {
                engine,
                shards,
                snapshot_min_bytes,
                failed: None,
            },
            txns,
        ))
    }

    fn shard_of(&self, id: &str) -> usize {
        (hash(id) % self.shards.len().max(1) as u64) as usize
    }

    /// Writes one id's state and waits until it is durable.
    pub async fn write(&mut self, id: &str, txn: &Txn) -> Result<(), String> {
        if let Some(why) = &self.failed {
            return Err(why.clone());
        }
        let shard = self.shard_of(id);
        let record = Record::Txn {
            id: id.to_string(),
            txn: StoredTxn::from_txn(txn),
        };
        self.append(shard, &record).await?;
        Ok(())
    }

    async fn append(&mut self, shard: usize, record: &Record) -> Result<u64, String> {
        let payload = record.encode();
        let size = payload.len() as u64;
        let Some(s) = self.shards.get_mut(shard) else {
            return Err(format!("transaction coordinator: no shard {shard}"));
        };
        let failed = |e: automq_stream::Error| {
            format!("transaction coordinator shard {shard} cannot write its log: {e}")
        };
        let pending = self
            .engine
            .start_append(s.stream, 1, |_| payload)
            .map_err(failed)?;
        let offset = pending.durable().await.map_err(failed)?;
        s.since_snapshot += size;
        Ok(offset)
    }

    /// Writes a snapshot of every shard whose records since the last one outweigh it, then trims those shards to
    /// their snapshot in the background. A failure only leaves more to replay.
    pub async fn maybe_snapshot(&mut self, txns: &HashMap<String, Txn>) {
        for shard in 0..self.shards.len() {
            let s = &self.shards[shard];
            if s.since_snapshot < self.snapshot_min_bytes.max(s.snapshot_bytes) {
                continue;
            }
            let state: BTreeMap<String, StoredTxn> = txns
                .iter()
                .filter(|(id, _)| self.shard_of(id) == shard)
                .map(|(id, t)| (id.clone(), StoredTxn::from_txn(t)))
                .collect();
            let record = Record::Snapshot { txns: state };
            let size = record.encode().len() as u64;
            match self.append(shard, &record).await {
                Ok(offset) => {
                    let s = &mut self.shards[shard];
                    s.since_snapshot = 0;
                    s.snapshot_bytes = size;
                    let (engine, stream) = (self.engine.clone(), s.stream);
                    tokio::spawn(async move {
                        let done = async {
                            // A trim may not pass the uploaded end.
                            engine.flush().await?;
                            engine.trim(stream, offset).await
                        };
                        match done.await {
                            Ok(()) => info!(
                                shard,
                                offset, "transaction coordinator shard trimmed to its snapshot"
                            ),
                            Err(e) => warn!(
                                shard,
                                offset,
                                "trimming to the snapshot failed: {e}; the next snapshot retries"
                            ),
                        }
                    });
                }
                Err(e) => warn!("{e}; the snapshot is retried after the next change"),
            }
        }
    }
}

/// The shard count fixed in the metadata log, fixing [`DEFAULT_SHARDS`] there at the first start.
async fn shard_count(engine: &Engine) -> automq_stream::Result<u32> {
    let meta = engine.meta();
    meta.catch_up().await?;
    let read = |s: &automq_stream::meta::ClusterState| {
        s.entry(SHARDS_KEY)
            .and_then(|v| v.get("shards"))
            .and_then(serde_json::Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0)
    };
    if let Some(n) = meta.read(read).await {
        return Ok(n);
    }
    meta.propose_with(|s| {
        Ok(read(s).is_none().then(|| MetaRecord::EntryPut {
            key: SHARDS_KEY.to_string(),
            value: serde_json::json!({ "shards": DEFAULT_SHARDS }),
        }))
    })
    .await?;
    Ok(meta.read(read).await.unwrap_or(DEFAULT_SHARDS))
}

/// Opens shard `index`'s stream here and replays it.
async fn replay(
    engine: &Engine,
    index: u32,
) -> Result<(ShardLog, BTreeMap<String, StoredTxn>), String> {
    let name = stream_name(index);
    let failed = |e: automq_stream::Error| {
        format!("transaction coordinator shard {index} (stream `{name}`): {e}")
    };
    let stream = engine.create_stream(&name).await.map_err(failed)?;
    let info = engine.open_stream(stream).await.map_err(failed)?;
    let mut shard = ShardLog {
        stream,
        since_snapshot: 0,
        snapshot_bytes: 0,
    };
    let mut state = BTreeMap::new();
    let mut at = info.start;
    while at < info.confirmed {
        let batches = engine.read(stream, at, 1 << 20).await.map_err(failed)?;
        if batches.is_empty() {
            break;
        }
        for b in batches {
            if b.end_offset() <= at {
                continue;
            }
            let record = Record::decode(&b.payload).map_err(|e| {
                format!(
                    "transaction coordinator shard {index} (stream `{name}`) offset {}: {e}; transactions are not served",
                    b.base_offset
                )
            })?;
            let size = b.payload.len() as u64;
            match record {
                Record::Txn { id, txn } => {
                    shard.since_snapshot += size;
                    state.insert(id, txn);
                }
                Record::Snapshot { txns } => {
                    shard.since_snapshot = 0;
                    shard.snapshot_bytes = size;
                    state = txns;
                }
            }
            at = b.end_offset();
        }
    }
    Ok((shard, state))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txn(epoch: i16, state: TxnState) -> Txn {
        let mut t = Txn::new(42, epoch, 60_000);
        t.state = state;
        t.started_ms = 1_000;
        t.partitions.insert(("t".into(), 1));
        t.from.insert(("t".into(), 1), 17);
        t.groups.insert("g".into());
        t.offsets.push((
            "g".into(),
            NewOffset {
                at: TopicPartition {
                    topic: "t".into(),
                    partition: 1,
                },
                offset: 5,
                leader_epoch: -1,
                metadata: Some("m".into()),
            },
        ));
        t
    }

    #[test]
    fn records_round_trip_and_other_versions_are_refused() {
        let r = Record::Txn {
            id: "a".into(),
            txn: StoredTxn::from_txn(&txn(3, TxnState::Ongoing)),
        };
        assert_eq!(Record::decode(&r.encode()).unwrap(), r);
        let back = StoredTxn::from_txn(&txn(3, TxnState::Ongoing))
            .to_txn()
            .unwrap();
        assert_eq!(back.from.get(&("t".into(), 1)), Some(&17));
        assert_eq!(back.offsets.len(), 1);
        let mut other = r.encode().to_vec();
        other[0] = 9;
        assert!(Record::decode(&other).unwrap_err().contains("version 9"));
        assert!(Record::decode(b"").is_err());
    }

    #[tokio::test]
    async fn a_reopened_log_replays_records_and_snapshots() {
        let store: std::sync::Arc<dyn object_store::ObjectStore> =
            std::sync::Arc::new(object_store::memory::InMemory::new());
        let engine = crate::broker::testing::engine_on(store.clone()).await;
        let (mut log, txns) = TxnLog::open(engine.clone(), 200).await.unwrap();
        assert!(txns.is_empty());
        let mut all = HashMap::new();
        // Enough changes to pass the snapshot threshold several times over.
        for epoch in 0..20 {
            for id in ["a", "b", "c"] {
                let t = txn(epoch, TxnState::Ongoing);
                log.write(id, &t).await.unwrap();
                all.insert(id.to_string(), t);
                log.maybe_snapshot(&all).await;
            }
        }
        let c = txn(20, TxnState::CompleteCommit);
        log.write("c", &c).await.unwrap();
        all.insert("c".into(), c);
        assert!(
            log.shards.iter().any(|s| s.snapshot_bytes > 0),
            "a snapshot was written"
        );
        engine.shutdown().await.unwrap();
        drop(log);
        let engine = crate::broker::testing::engine_on(store).await;
        let (_, back) = TxnLog::open(engine, 200).await.unwrap();
        assert_eq!(back.len(), 3);
        for (id, t) in &all {
            assert_eq!(
                StoredTxn::from_txn(&back[id]),
                StoredTxn::from_txn(t),
                "{id}"
            );
        }
    }
}
