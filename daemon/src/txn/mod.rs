//! The transaction coordinator: transactional ids, their producer ids and epochs, the partitions of each
//! ongoing transaction, and the markers that end it. See docs/transactions.md.
//!
//! Every transactional id is coordinated by this broker. The state lives in memory: a broker restart forgets
//! transactions (docs/transactions.md lists this gap).

pub mod markers;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use automq_protocol::kafka_protocol::error::ResponseError;
use futures::future::join_all;
use tokio::sync::Mutex;
use tracing::{info, warn};

use crate::groups::{Groups, NewOffset};
use crate::topics::Topics;

/// Kafka's transaction states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnState {
    Empty,
    Ongoing,
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
}

impl TxnState {
    pub fn name(self) -> &'static str {
        match self {
            Self::Empty => "Empty",
            Self::Ongoing => "Ongoing",
            Self::PrepareCommit => "PrepareCommit",
            Self::PrepareAbort => "PrepareAbort",
            Self::CompleteCommit => "CompleteCommit",
            Self::CompleteAbort => "CompleteAbort",
        }
    }
}

/// One transactional id.
#[derive(Debug, Clone)]
pub struct Txn {
    pub producer_id: i64,
    pub epoch: i16,
    pub state: TxnState,
    pub timeout_ms: i32,
    /// When the ongoing transaction started (ms since the epoch).
    pub started_ms: i64,
    pub partitions: BTreeSet<(String, i32)>,
    pub groups: BTreeSet<String>,
    /// TxnOffsetCommit offsets, written to their groups when the transaction commits.
    pub offsets: Vec<(String, NewOffset)>,
}

/// The largest transaction timeout accepted (Kafka's `transaction.max.timeout.ms` default).
pub const MAX_TIMEOUT_MS: i32 = 900_000;

/// This broker's coordinator epoch (written into markers).
pub const COORDINATOR_EPOCH: i32 = 0;

#[derive(Debug, Default)]
pub struct Transactions {
    txns: Mutex<HashMap<String, Txn>>,
}

type TxnResult<T> = Result<T, (ResponseError, String)>;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Transactions {
    /// InitProducerId with a transactional id: a producer id for the id (new the first time), its epoch bumped,
    /// any ongoing transaction of the previous producer aborted.
    pub async fn init(
        &self,
        topics: &Topics,
        groups: &Groups,
        transactional_id: &str,
        timeout_ms: i32,
    ) -> TxnResult<(i64, i16)> {
        if timeout_ms <= 0 || timeout_ms > MAX_TIMEOUT_MS {
            return Err((
                ResponseError::InvalidTransactionTimeout,
                format!("transaction timeout {timeout_ms} ms is not in 1..={MAX_TIMEOUT_MS}"),
            ));
        }
        let mut txns = self.txns.lock().await;
        let known = txns.get(transactional_id).cloned();
        let (producer_id, epoch) = match known {
            None => (new_id(topics).await?, 0),
            Some(mut t) => {
                match t.state {
                    TxnState::Ongoing | TxnState::PrepareAbort => {
                        end(topics, groups, transactional_id, &mut t, false).await?;
                    }
                    TxnState::PrepareCommit => {
                        end(topics, groups, transactional_id, &mut t, true).await?;
                    }
                    _ => {}
                }
                if t.epoch >= i16::MAX - 1 {
                    (new_id(topics).await?, 0)
                } else {
                    (t.producer_id, t.epoch + 1)
                }
            }
        };
        txns.insert(
            transactional_id.to_string(),
            Txn {
                producer_id,
                epoch,
                state: TxnState::Empty,
                timeout_ms,
                started_ms: 0,
                partitions: BTreeSet::new(),
                groups: BTreeSet::new(),
                offsets: Vec::new(),
            },
        );
        info!(
            transactional_id,
            producer_id, epoch, "transactional producer initialized"
        );
        Ok((producer_id, epoch))
    }

    /// Adds partitions (or, with `group`, a group's offsets) to the transaction, starting it if needed.
    pub async fn add(
        &self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        partitions: &[(String, i32)],
        group: Option<&str>,
    ) -> TxnResult<()> {
        let mut txns = self.txns.lock().await;
        let t = current(&mut txns, transactional_id, producer_id, epoch)?;
        match t.state {
            TxnState::PrepareCommit | TxnState::PrepareAbort => {
                return Err((
                    ResponseError::ConcurrentTransactions,
                    format!("transaction `{transactional_id}` is still ending"),
                ));
            }
            TxnState::Ongoing => {}
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort => {
                t.state = TxnState::Ongoing;
                t.started_ms = now_ms();
                t.partitions.clear();
                t.groups.clear();
                t.offsets.clear();
            }
        }
        t.partitions.extend(partitions.iter().cloned());
        if let Some(g) = group {
            t.groups.insert(g.to_string());
        }
        Ok(())
    }

    /// Whether a transactional batch of this producer may go to this partition.
    pub async fn allows(
        &self,
        producer_id: i64,
        epoch: i16,
        topic: &str,
        partition: i32,
    ) -> TxnResult<()> {
        let txns = self.txns.lock().await;
        let Some((id, t)) = txns.iter().find(|(_, t)| t.producer_id == producer_id) else {
            return Err((
                ResponseError::InvalidProducerIdMapping,
                format!("producer {producer_id} has no transactional id here"),
            ));
        };
        if epoch < t.epoch {
            return Err((
                ResponseError::ProducerFenced,
                format!(
                    "producer {producer_id} epoch {epoch} is fenced by epoch {}",
                    t.epoch
                ),
            ));
        }
        if epoch != t.epoch
            || t.state != TxnState::Ongoing
            || !t.partitions.contains(&(topic.to_string(), partition))
        {
            return Err((
                ResponseError::InvalidTxnState,
                format!("{topic}-{partition} is not in the ongoing transaction of `{id}`"),
            ));
        }
        Ok(())
    }

    /// EndTxn: writes the markers (and on commit the transaction's group offsets), then completes.
    pub async fn end_txn(
        &self,
        topics: &Topics,
        groups: &Groups,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        commit: bool,
    ) -> TxnResult<()> {
        let mut txns = self.txns.lock().await;
        let t = current(&mut txns, transactional_id, producer_id, epoch)?;
        match (t.state, commit) {
            // A retry after markers could not be written finishes the job.
            (TxnState::Ongoing, _)
            | (TxnState::PrepareCommit, true)
            | (TxnState::PrepareAbort, false) => {}
            (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) => {
                return Ok(());
            }
            (state, _) => {
                return Err((
                    ResponseError::InvalidTxnState,
                    format!(
                        "cannot {} transaction `{transactional_id}` in state {}",
                        if commit { "commit" } else { "abort" },
                        state.name()
                    ),
                ));
            }
        }
        end(topics, groups, transactional_id, t, commit).await
    }

    /// Aborts ongoing transactions older than their timeout, bumping the epoch so the producer is fenced.
    pub async fn expire(&self, topics: &Topics, groups: &Groups) {
        let now = now_ms();
        let mut txns = self.txns.lock().await;
        for (id, t) in txns.iter_mut() {
            if t.state == TxnState::Ongoing && now - t.started_ms > i64::from(t.timeout_ms) {
                warn!(transactional_id = %id, producer_id = t.producer_id, "transaction timed out: aborting");
                if t.epoch < i16::MAX - 1 {
                    t.epoch += 1;
                }
                if let Err((_, m)) = end(topics, groups, id, t, false).await {
                    warn!(transactional_id = %id, "cannot abort the timed-out transaction: {m}");
                }
            }
        }
    }

    /// Runs [`Self::expire`] every `every` until the task is dropped.
    pub async fn expire_forever(&self, topics: &Topics, groups: &Groups, every: Duration) {
        loop {
            tokio::time::sleep(every).await;
            self.expire(topics, groups).await;
        }
    }

    /// TxnOffsetCommit: offsets held until the transaction ends.
    pub async fn add_offsets(
        &self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        group: &str,
        offsets: Vec<NewOffset>,
    ) -> TxnResult<()> {
        let mut txns = self.txns.lock().await;
        let t = current(&mut txns, transactional_id, producer_id, epoch)?;
        if t.state != TxnState::Ongoing || !t.groups.contains(group) {
            return Err((
                ResponseError::InvalidTxnState,
                format!(
                    "group `{group}` is not in the ongoing transaction of `{transactional_id}`"
                ),
            ));
        }
        t.offsets
            .extend(offsets.into_iter().map(|o| (group.to_string(), o)));
        Ok(())
    }

    /// A copy of every transactional id's state.
    pub async fn list(&self) -> Vec<(String, Txn)> {
        let txns = self.txns.lock().await;
        let mut all: Vec<_> = txns.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }
}

async fn new_id(topics: &Topics) -> TxnResult<i64> {
    topics
        .new_producer_id()
        .await
        .map_err(|e| (e.code, e.message))
}

fn current<'a>(
    txns: &'a mut HashMap<String, Txn>,
    transactional_id: &str,
    producer_id: i64,
    epoch: i16,
) -> TxnResult<&'a mut Txn> {
    let Some(t) = txns.get_mut(transactional_id) else {
        return Err((
            ResponseError::InvalidProducerIdMapping,
            format!("transactional id `{transactional_id}` is not initialized"),
        ));
    };
    if t.producer_id != producer_id {
        return Err((
            ResponseError::InvalidProducerIdMapping,
            format!(
                "transactional id `{transactional_id}` has producer {}, not {producer_id}",
                t.producer_id
            ),
        ));
    }
    if epoch < t.epoch {
        return Err((
            ResponseError::ProducerFenced,
            format!(
                "producer {producer_id} epoch {epoch} is fenced by epoch {}",
                t.epoch
            ),
        ));
    }
    if epoch > t.epoch {
        return Err((
            ResponseError::InvalidProducerEpoch,
            format!(
                "producer {producer_id} epoch {epoch} is newer than {}",
                t.epoch
            ),
        ));
    }
    Ok(t)
}

/// Prepare, write a marker into every partition of the transaction (and on commit its offsets into their
/// groups), complete.
async fn end(
    topics: &Topics,
    groups: &Groups,
    transactional_id: &str,
    t: &mut Txn,
    commit: bool,
) -> TxnResult<()> {
    t.state = if commit {
        TxnState::PrepareCommit
    } else {
        TxnState::PrepareAbort
    };
    let now = now_ms();
    let mut pending = Vec::new();
    for (topic, index) in &t.partitions {
        let Some(tp) = topics.by_name(topic) else {
            continue;
        };
        let p = topics
            .partition(&tp, *index)
            .await
            .map_err(|e| (e.code, e.message))?;
        let a = p
            .append_marker(t.producer_id, t.epoch, commit, COORDINATOR_EPOCH, now)
            .map_err(|e| (e.code, e.message))?;
        pending.push((p, a));
    }
    for r in join_all(
        pending
            .into_iter()
            .map(|(p, a)| async move { p.durable(a).await }),
    )
    .await
    {
        r.map_err(|e| (e.code, e.message))?;
    }
    if commit {
        let mut by_group: std::collections::BTreeMap<&str, Vec<NewOffset>> = Default::default();
        for (g, o) in &t.offsets {
            by_group.entry(g).or_default().push(o.clone());
        }
        for (g, offsets) in by_group {
            for (at, e) in groups.commit_transactional(g, offsets).await {
                if let Some(e) = e {
                    return Err((
                        e,
                        format!(
                            "cannot write the offset of {}-{} for group `{g}`",
                            at.topic, at.partition
                        ),
                    ));
                }
            }
        }
    }
    t.offsets.clear();
    t.state = if commit {
        TxnState::CompleteCommit
    } else {
        TxnState::CompleteAbort
    };
    info!(
        transactional_id,
        producer_id = t.producer_id,
        commit,
        partitions = t.partitions.len(),
        "transaction ended"
    );
    Ok(())
}
