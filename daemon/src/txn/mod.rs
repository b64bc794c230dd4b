//! The transaction coordinator: transactional ids, their producer ids and epochs, the partitions of each
//! ongoing transaction, and the markers that end it. See docs/transactions.md.
//!
//! Every transactional id is coordinated by this broker. Each change of an id's state is written to the
//! coordinator's log (`log.rs`) before it is acted on or answered; a restarted broker replays the log, finishes
//! what was being committed or aborted, and aborts what was ongoing (docs/transactions.md).

pub mod log;
pub mod markers;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_stream::engine::Engine;
use futures::future::join_all;
use tokio::sync::Mutex;
use tracing::{error, info, warn};

use self::log::TxnLog;
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

    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Empty,
            Self::Ongoing,
            Self::PrepareCommit,
            Self::PrepareAbort,
            Self::CompleteCommit,
            Self::CompleteAbort,
        ]
        .into_iter()
        .find(|s| s.name() == name)
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
    /// Each partition's high watermark when it joined: the transaction's batches there lie at or after it.
    pub from: BTreeMap<(String, i32), i64>,
    pub groups: BTreeSet<String>,
    /// TxnOffsetCommit offsets, written to their groups when the transaction commits.
    pub offsets: Vec<(String, NewOffset)>,
}

impl Txn {
    pub fn new(producer_id: i64, epoch: i16, timeout_ms: i32) -> Self {
        Self {
            producer_id,
            epoch,
            state: TxnState::Empty,
            timeout_ms,
            started_ms: 0,
            partitions: BTreeSet::new(),
            from: BTreeMap::new(),
            groups: BTreeSet::new(),
            offsets: Vec::new(),
        }
    }
}

/// The largest transaction timeout accepted (Kafka's `transaction.max.timeout.ms` default).
pub const MAX_TIMEOUT_MS: i32 = 900_000;

/// This broker's coordinator epoch (written into markers).
pub const COORDINATOR_EPOCH: i32 = 0;

#[derive(Debug)]
struct Inner {
    txns: HashMap<String, Txn>,
    /// The transactional id of each producer id in `txns`, so a transactional produce finds its transaction
    /// without a walk over every id.
    by_producer: HashMap<i64, String>,
    log: TxnLog,
}

impl Inner {
    fn new(txns: HashMap<String, Txn>, log: TxnLog) -> Self {
        let by_producer = txns
            .iter()
            .map(|(id, t)| (t.producer_id, id.clone()))
            .collect();
        Self {
            txns,
            by_producer,
            log,
        }
    }
}

#[derive(Debug)]
pub struct Transactions {
    inner: Mutex<Inner>,
}

type TxnResult<T> = Result<T, (ResponseError, String)>;

/// A log write that failed: the client retries (the coordinator is not available until it succeeds).
fn unavailable(why: String) -> (ResponseError, String) {
    (ResponseError::CoordinatorNotAvailable, why)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Transactions {
    /// Replays the coordinator's log, then finishes what the previous run left unfinished: a transaction being
    /// committed is committed, one being aborted is aborted, and an ongoing one is aborted with its epoch bumped
    /// (its producer is fenced, as after a timeout). The partitions learn of the aborted transaction first, so its
    /// marker lists it and the last stable offset moves past it.
    ///
    /// A log that cannot be loaded is named in the broker's log; every transaction request is then answered
    /// COORDINATOR_NOT_AVAILABLE (as a group coordinator shard that cannot load), and the rest of the broker serves.
    pub async fn open(engine: Engine, topics: &Topics, groups: &Groups) -> Self {
        Self::open_with(engine, topics, groups, log::SNAPSHOT_MIN_BYTES).await
    }

    pub async fn open_with(
        engine: Engine,
        topics: &Topics,
        groups: &Groups,
        snapshot_min_bytes: u64,
    ) -> Self {
        let (mut log, mut txns) = match TxnLog::open(engine.clone(), snapshot_min_bytes).await {
            Ok(loaded) => loaded,
            Err(why) => {
                error!("{why}; transactions are not served until the broker restarts");
                let log = TxnLog::unavailable(engine, why);
                return Self {
                    inner: Mutex::new(Inner::new(HashMap::new(), log)),
                };
            }
        };
        let mut unfinished: Vec<String> = txns
            .iter()
            .filter(|(_, t)| {
                matches!(
                    t.state,
                    TxnState::Ongoing | TxnState::PrepareCommit | TxnState::PrepareAbort
                )
            })
            .map(|(id, _)| id.clone())
            .collect();
        unfinished.sort();
        for id in unfinished {
            let Some(t) = txns.get_mut(&id) else {
                continue;
            };
            let commit = t.state == TxnState::PrepareCommit;
            if t.state == TxnState::Ongoing && t.epoch < i16::MAX - 1 {
                t.epoch += 1;
            }
            if !commit {
                recover_open(topics, t).await;
            }
            info!(
                transactional_id = %id,
                producer_id = t.producer_id,
                commit,
                "finishing a transaction the previous run left unfinished"
            );
            if let Err((_, m)) = end(topics, groups, &mut log, &id, t, commit).await {
                warn!(transactional_id = %id, "cannot finish the transaction yet: {m}");
            }
        }
        log.maybe_snapshot(&txns).await;
        Self {
            inner: Mutex::new(Inner::new(txns, log)),
        }
    }

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
        let mut inner = self.inner.lock().await;
        let Inner {
            txns,
            by_producer,
            log,
        } = &mut *inner;
        let known = txns.get(transactional_id).cloned();
        let (producer_id, epoch) = match known {
            None => (new_id(topics).await?, 0),
            Some(mut t) => {
                match t.state {
                    TxnState::Ongoing | TxnState::PrepareAbort => {
                        end(topics, groups, log, transactional_id, &mut t, false).await?;
                    }
                    TxnState::PrepareCommit => {
                        end(topics, groups, log, transactional_id, &mut t, true).await?;
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
        let t = Txn::new(producer_id, epoch, timeout_ms);
        log.write(transactional_id, &t).await.map_err(unavailable)?;
        if let Some(old) = txns.insert(transactional_id.to_string(), t) {
            by_producer.remove(&old.producer_id);
        }
        by_producer.insert(producer_id, transactional_id.to_string());
        log.maybe_snapshot(txns).await;
        info!(
            transactional_id,
            producer_id, epoch, "transactional producer initialized"
        );
        Ok((producer_id, epoch))
    }

    /// Adds partitions (or, with `group`, a group's offsets) to the transaction, starting it if needed.
    pub async fn add(
        &self,
        topics: &Topics,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        partitions: &[(String, i32)],
        group: Option<&str>,
    ) -> TxnResult<()> {
        let mut inner = self.inner.lock().await;
        let Inner { txns, log, .. } = &mut *inner;
        let live = current(txns, transactional_id, producer_id, epoch)?;
        let mut t = live.clone();
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
                t.from.clear();
                t.groups.clear();
                t.offsets.clear();
            }
        }
        for (topic, index) in partitions {
            if t.partitions.insert((topic.clone(), *index)) {
                let hw = high_watermark(topics, topic, *index).await?;
                t.from.insert((topic.clone(), *index), hw);
            }
        }
        if let Some(g) = group {
            t.groups.insert(g.to_string());
        }
        if log::StoredTxn::from_txn(&t) != log::StoredTxn::from_txn(live) {
            log.write(transactional_id, &t).await.map_err(unavailable)?;
            *live = t;
            log.maybe_snapshot(txns).await;
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
        let inner = self.inner.lock().await;
        let Some((id, t)) = inner
            .by_producer
            .get(&producer_id)
            .and_then(|id| inner.txns.get_key_value(id))
        else {
            return Err((
                ResponseError::InvalidProducerIdMapping,
                format!("producer {producer_id} has no transactional id here"),
            ));
        };
        // A produce from a fenced producer is answered as Kafka's partitions answer it: INVALID_PRODUCER_EPOCH,
        // which clients take as fatal for a transactional producer (PRODUCER_FENCED is the coordinator's).
        if epoch < t.epoch {
            return Err((
                ResponseError::InvalidProducerEpoch,
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
        let mut inner = self.inner.lock().await;
        let Inner { txns, log, .. } = &mut *inner;
        let t = current(txns, transactional_id, producer_id, epoch)?;
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
        let ended = end(topics, groups, log, transactional_id, t, commit).await;
        log.maybe_snapshot(txns).await;
        ended
    }

    /// Aborts ongoing transactions older than their timeout, bumping the epoch so the producer is fenced.
    pub async fn expire(&self, topics: &Topics, groups: &Groups) {
        let now = now_ms();
        let mut inner = self.inner.lock().await;
        let Inner { txns, log, .. } = &mut *inner;
        let mut expired = false;
        for (id, t) in txns.iter_mut() {
            if t.state == TxnState::Ongoing && now - t.started_ms > i64::from(t.timeout_ms) {
                warn!(transactional_id = %id, producer_id = t.producer_id, "transaction timed out: aborting");
                if t.epoch < i16::MAX - 1 {
                    t.epoch += 1;
                }
                expired = true;
                if let Err((_, m)) = end(topics, groups, log, id, t, false).await {
                    warn!(transactional_id = %id, "cannot abort the timed-out transaction: {m}");
                }
            }
        }
        if expired {
            log.maybe_snapshot(txns).await;
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
        let mut inner = self.inner.lock().await;
        let Inner { txns, log, .. } = &mut *inner;
        let live = current(txns, transactional_id, producer_id, epoch)?;
        if live.state != TxnState::Ongoing || !live.groups.contains(group) {
            return Err((
                ResponseError::InvalidTxnState,
                format!(
                    "group `{group}` is not in the ongoing transaction of `{transactional_id}`"
                ),
            ));
        }
        let mut t = live.clone();
        t.offsets
            .extend(offsets.into_iter().map(|o| (group.to_string(), o)));
        log.write(transactional_id, &t).await.map_err(unavailable)?;
        *live = t;
        log.maybe_snapshot(txns).await;
        Ok(())
    }

    /// A copy of every transactional id's state.
    pub async fn list(&self) -> Vec<(String, Txn)> {
        let inner = self.inner.lock().await;
        let mut all: Vec<_> = inner
            .txns
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }
}

/// A partition's high watermark, opening it here if needed.
async fn high_watermark(topics: &Topics, topic: &str, index: i32) -> TxnResult<i64> {
    let Some(t) = topics.by_name(topic) else {
        return Err((
            ResponseError::UnknownTopicOrPartition,
            format!("topic `{topic}` does not exist"),
        ));
    };
    let p = topics
        .partition(&t, index)
        .await
        .map_err(|e| (e.code, e.message))?;
    Ok(p.offsets().1)
}

/// After a restart, tells each partition of an unfinished transaction where the transaction's first batch there
/// is, so its abort marker lists it. A partition that cannot be read is named in the log and skipped.
async fn recover_open(topics: &Topics, t: &Txn) {
    for (topic, index) in &t.partitions {
        let Some(tp) = topics.by_name(topic) else {
            continue;
        };
        let from = t.from.get(&(topic.clone(), *index)).copied().unwrap_or(0);
        let found = match topics.partition(&tp, *index).await {
            Ok(p) => p.recover_open_txn(t.producer_id, from).await,
            Err(e) => Err(e),
        };
        if let Err(e) = found {
            warn!(
                topic,
                partition = index,
                producer_id = t.producer_id,
                "cannot find the unfinished transaction's batches: {}",
                e.message
            );
        }
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

/// Prepare (logged), write a marker into every partition of the transaction (and on commit its offsets into
/// their groups), complete (logged).
async fn end(
    topics: &Topics,
    groups: &Groups,
    log: &mut TxnLog,
    transactional_id: &str,
    t: &mut Txn,
    commit: bool,
) -> TxnResult<()> {
    t.state = if commit {
        TxnState::PrepareCommit
    } else {
        TxnState::PrepareAbort
    };
    log.write(transactional_id, t).await.map_err(unavailable)?;
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
    log.write(transactional_id, t).await.map_err(unavailable)?;
    info!(
        transactional_id,
        producer_id = t.producer_id,
        commit,
        partitions = t.partitions.len(),
        "transaction ended"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;

    #[tokio::test]
    async fn a_log_that_cannot_load_refuses_transactions_as_unavailable() {
        let b = testing::broker().await;
        let store: std::sync::Arc<dyn object_store::ObjectStore> =
            std::sync::Arc::new(object_store::memory::InMemory::new());
        let engine = testing::engine_on(store).await;
        let txn = Transactions {
            inner: Mutex::new(Inner::new(
                HashMap::new(),
                TxnLog::unavailable(engine, "shard 0 cannot be read".into()),
            )),
        };
        let (code, why) = txn
            .init(&b.topics, &b.groups, "tx", 60_000)
            .await
            .unwrap_err();
        assert_eq!(code, ResponseError::CoordinatorNotAvailable);
        assert_eq!(why, "shard 0 cannot be read");
        assert!(txn.list().await.is_empty(), "nothing was remembered");
    }
}
