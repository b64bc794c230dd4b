//! [`Replica`]: a deterministic state machine kept equal to the log, through a [`LogCursor`].
//!
//! Every process that applies the same entries in the same order holds the same state: [`StateMachine::apply`]
//! must depend only on the state, the record and the entry's own metadata ([`Applying`]), never on the applying
//! process's clock or configuration. A record the state machine rejects stays in the log and changes nothing, and
//! every replica rejects it alike; that is how a write decided on stale knowledge is refused after the fact.
//!
//! Besides the state, a replica keeps a bounded table of each recent writer's last entry and whether it was
//! accepted ([`WriterMark`]). Snapshots carry it, so a writer that lost track of its own append (its position was
//! collected while it checked) can still learn the outcome after restarting from a snapshot.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::clock::Clock;
use super::cursor::{Append, LogCursor, Poll};
use super::failpoint::Failpoints;
use super::frame::{Entry, EntryId, Seq, Snapshot, WriterId, WriterMark};
use super::log::{GcReport, LogStore, contended};
use crate::error::{Error, Result};

/// How many entries one poll reads before applying them.
const POLL_BATCH: usize = 1024;
/// How many writers' last entries the writer table keeps (the most recent ones).
const WRITER_TABLE_CAP: usize = 1024;
/// How many times one call restarts from a snapshot before giving up (each restart means collection overtook us).
const MAX_RELOADS: usize = 4;

/// What applying one entry knows about it.
#[derive(Debug, Clone, Copy)]
pub struct Applying {
    pub id: EntryId,
    pub at_ms: u64,
}

/// A deterministic state machine over the log's records.
pub trait StateMachine:
    Clone + Default + Serialize + DeserializeOwned + Send + Sync + 'static
{
    type Record: Clone + Serialize + DeserializeOwned + Send + Sync + fmt::Debug + 'static;
    type Rejection: Clone + Send + Sync + fmt::Debug + 'static;

    /// Applies `record`, or rejects it and changes nothing.
    fn apply(&mut self, at: &Applying, record: &Self::Record) -> Result<(), Self::Rejection>;
}

/// How an entry fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<R> {
    Accepted,
    Rejected(R),
    /// Rejected before the snapshot this replica restarted from; the reason was not kept.
    RejectedEarlier,
}

/// One entry as this replica applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied<R> {
    pub id: EntryId,
    pub outcome: Outcome<R>,
}

/// What [`Replica::append`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicaAppend<R> {
    /// The record is in the log; every replica applies it with this outcome.
    Landed(Applied<R>),
    /// The record is not in the log: another writer took the sequence (or it was lost to a collection). The
    /// replica has applied what it missed; decide again.
    Lost(Vec<Applied<R>>),
}

/// A state machine, the log position it reflects, and the right to append.
#[derive(Debug)]
pub struct Replica<M: StateMachine> {
    cursor: LogCursor,
    state: M,
    writers: BTreeMap<WriterId, WriterMark>,
    restarts: u64,
}

impl<M: StateMachine> Replica<M> {
    /// Starts from the latest snapshot (or the empty state) and catches up to the tip.
    pub async fn open(
        log: LogStore,
        writer: WriterId,
        clock: Arc<dyn Clock>,
        failpoints: Option<Arc<Failpoints>>,
    ) -> Result<Self> {
        let mut replica = Self {
            cursor: LogCursor::new(log, writer, clock, failpoints),
            state: M::default(),
            writers: BTreeMap::new(),
            restarts: 0,
        };
        replica.reload().await?;
        replica.catch_up().await?;
        Ok(replica)
    }

    pub fn state(&self) -> &M {
        &self.state
    }

    /// The last sequence applied.
    pub fn tip(&self) -> Seq {
        self.cursor.tip()
    }

    pub fn writer(&self) -> WriterId {
        self.cursor.writer()
    }

    pub fn log(&self) -> &LogStore {
        self.cursor.log()
    }

    /// The writer table, most recent writers only.
    /// How many times collection overtook this replica and it restarted from a snapshot.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    pub fn writer_marks(&self) -> impl Iterator<Item = &WriterMark> {
        self.writers.values()
    }

    /// Replaces state and position with the latest snapshot's, if there is one newer than the tip.
    async fn reload(&mut self) -> Result<()> {
        let Some(snapshot) = self.log().latest_snapshot::<M>().await? else {
            if self.cursor.tip() == 0 {
                return Ok(());
            }
            return Err(contended(
                "restart from a snapshot",
                self.log().entry_key(self.cursor.tip()),
                "this position was collected but no snapshot is listed yet (a lagging listing?)"
                    .into(),
            ));
        };
        if snapshot.seq < self.cursor.tip() && self.cursor.anchor().is_some() {
            // Our position is newer than the latest snapshot yet was found stale: the listing lags. Using an
            // older snapshot is still correct, it only costs a longer replay.
            tracing::debug!(
                snapshot = snapshot.seq,
                tip = self.cursor.tip(),
                "restarting from an older snapshot"
            );
        }
        self.state = snapshot.state;
        self.writers = snapshot
            .writers
            .into_iter()
            .map(|m| (m.writer, m))
            .collect();
        self.cursor.reset(snapshot.last);
        Ok(())
    }

    fn apply_entry(
        &mut self,
        id: EntryId,
        at_ms: u64,
        record: &M::Record,
    ) -> Applied<M::Rejection> {
        let outcome = match self.state.apply(&Applying { id, at_ms }, record) {
            Ok(()) => Outcome::Accepted,
            Err(rejection) => Outcome::Rejected(rejection),
        };
        let accepted = matches!(outcome, Outcome::Accepted);
        self.writers.insert(
            id.writer,
            WriterMark {
                writer: id.writer,
                seq: id.seq,
                put: id.put,
                accepted,
            },
        );
        if self.writers.len() > WRITER_TABLE_CAP {
            let oldest = self
                .writers
                .values()
                .min_by_key(|m| (m.seq, m.writer))
                .map(|m| m.writer);
            if let Some(oldest) = oldest {
                self.writers.remove(&oldest);
            }
        }
        Applied { id, outcome }
    }

    fn apply_all(&mut self, entries: Vec<Entry<M::Record>>) -> Vec<Applied<M::Rejection>> {
        entries
            .into_iter()
            .map(|e| self.apply_entry(e.id, e.at_ms, &e.record))
            .collect()
    }

    /// Applies everything up to the tip. Returns what was applied (after a restart from a snapshot, only what
    /// was applied after it).
    pub async fn catch_up(&mut self) -> Result<Vec<Applied<M::Rejection>>> {
        let mut applied = Vec::new();
        let mut reloads = 0;
        loop {
            match self.cursor.poll::<M::Record>(POLL_BATCH).await? {
                Poll::Entries(entries) => {
                    let full = entries.len() == POLL_BATCH;
                    applied.extend(self.apply_all(entries));
                    if !full {
                        return Ok(applied);
                    }
                }
                Poll::Stale => {
                    reloads += 1;
                    if reloads > MAX_RELOADS {
                        return Err(self.overtaken());
                    }
                    tracing::info!(
                        tip = self.tip(),
                        "metadata log position collected; restarting from the latest snapshot"
                    );
                    self.restarts += 1;
                    self.reload().await?;
                    applied.clear();
                }
            }
        }
    }

    fn overtaken(&self) -> Error {
        contended(
            "catch up",
            self.log().entry_key(self.tip() + 1),
            format!("garbage collection overtook this reader {MAX_RELOADS} times"),
        )
    }

    /// Appends `record` after the tip. The caller decided it on this replica's state; if someone else appended
    /// first, the replica catches up and returns [`ReplicaAppend::Lost`] so the caller can decide again.
    pub async fn append(&mut self, record: &M::Record) -> Result<ReplicaAppend<M::Rejection>> {
        match self.cursor.append(record.clone()).await? {
            Append::Written { id, at_ms } => {
                Ok(ReplicaAppend::Landed(self.apply_entry(id, at_ms, record)))
            }
            Append::Conflict { missed } => Ok(ReplicaAppend::Lost(self.apply_all(missed))),
            Append::Stale { unresolved } => {
                self.restarts += 1;
                self.reload().await?;
                let applied = self.catch_up().await?;
                let Some(id) = unresolved else {
                    return Ok(ReplicaAppend::Lost(applied));
                };
                if let Some(ours) = applied.iter().find(|a| a.id == id) {
                    return Ok(ReplicaAppend::Landed(ours.clone()));
                }
                match self.writers.get(&id.writer) {
                    Some(mark) if mark.seq == id.seq && mark.put == id.put => {
                        let outcome = if mark.accepted {
                            Outcome::Accepted
                        } else {
                            Outcome::RejectedEarlier
                        };
                        Ok(ReplicaAppend::Landed(Applied { id, outcome }))
                    }
                    // Our create filled a collected hole: it is not part of the log.
                    _ => {
                        tracing::warn!(%id, "an append landed in a collected part of the log and does not count");
                        Ok(ReplicaAppend::Lost(applied))
                    }
                }
            }
        }
    }

    /// The state as of the tip, as a snapshot; `None` before the first entry.
    pub fn snapshot(&self, at_ms: u64) -> Option<Snapshot<M>> {
        let last = self.cursor.anchor()?;
        Some(Snapshot {
            seq: last.seq,
            last,
            at_ms,
            writers: self.writers.values().copied().collect(),
            state: self.state.clone(),
        })
    }

    /// Writes a snapshot as of the tip (if none exists there yet). Returns its sequence.
    pub async fn write_snapshot(&self, at_ms: u64) -> Result<Option<Seq>> {
        let Some(snapshot) = self.snapshot(at_ms) else {
            return Ok(None);
        };
        self.log().write_snapshot(&snapshot).await?;
        Ok(Some(snapshot.seq))
    }

    /// Deletes snapshots and entries the two newest snapshots make unnecessary.
    pub async fn collect_garbage(&self) -> Result<GcReport> {
        self.log().collect_garbage().await
    }
}
