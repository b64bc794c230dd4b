//! [`MetaClient`]: what a broker or the controller uses to read and change the cluster metadata.
//!
//! A proposal is decided on the client's replica, checked against it, and appended after its tip. If another
//! writer appended first (a pure sequence race), the client catches up and decides again, up to a bound; if the
//! decision no longer holds (the stream was opened at a newer epoch, the node was fenced) it returns the
//! rejection without writing, [`Error::Fenced`] for fencing. A record that lands is applied by every replica with
//! the same verdict, so "Ok(seq)" means every reader has it and "Fenced" means no reader does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use object_store::ObjectStore;
use tokio::sync::Mutex;

use super::clock::{Clock, SystemClock};
use super::failpoint::{self, Failpoints};
use super::frame::{Seq, WriterId};
use super::log::{GcReport, LogStore, contended};
use super::records::{CommitAuthority, MetaRecord, NewObject, NodeEpoch, ObjectId};
use super::replica::{Outcome, Replica, ReplicaAppend};
use super::state::ClusterState;
use crate::error::{Error, Result};
use crate::types::{Epoch, NodeId, Offset, StreamId, StreamRange};

/// Named pause points of the client, for race tests.
pub mod points {
    /// The record is decided and checked against the replica, and not yet written.
    pub const PROPOSE_DECIDED: &str = "meta.propose.decided";
}

/// How a [`MetaClient`] runs.
#[derive(Debug, Clone)]
pub struct MetaConfig {
    /// Where the log lives in its store, e.g. `meta`.
    pub prefix: String,
    /// This process instance's writer id; unique, never reused.
    pub writer: WriterId,
    pub clock: Arc<dyn Clock>,
    /// After an append lands on a multiple of this sequence, its writer writes a snapshot and collects garbage
    /// in the background; 0 turns that off.
    pub snapshot_every: u64,
    /// Sequence races one proposal may lose before giving up with a retryable error.
    pub max_races: u32,
    pub failpoints: Option<Arc<Failpoints>>,
}

impl MetaConfig {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            writer: WriterId::random(),
            clock: Arc::new(SystemClock),
            snapshot_every: 1000,
            max_races: 100,
            failpoints: None,
        }
    }
}

/// A replica of the cluster metadata with the right to propose changes.
#[derive(Debug)]
pub struct MetaClient {
    replica: Mutex<Replica<ClusterState>>,
    clock: Arc<dyn Clock>,
    snapshot_every: u64,
    max_races: u32,
    failpoints: Option<Arc<Failpoints>>,
    races_lost: AtomicU64,
    housekeeping: Arc<AtomicBool>,
}

impl MetaClient {
    /// Loads the latest snapshot and catches up.
    pub async fn open(store: Arc<dyn ObjectStore>, config: MetaConfig) -> Result<Self> {
        let log = LogStore::new(store, &config.prefix)?;
        let replica = Replica::open(
            log,
            config.writer,
            config.clock.clone(),
            config.failpoints.clone(),
        )
        .await?;
        Ok(Self {
            replica: Mutex::new(replica),
            clock: config.clock,
            snapshot_every: config.snapshot_every,
            max_races: config.max_races,
            failpoints: config.failpoints,
            races_lost: AtomicU64::new(0),
            housekeeping: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Applies what others appended. Returns the new tip.
    pub async fn catch_up(&self) -> Result<Seq> {
        let mut replica = self.replica.lock().await;
        replica.catch_up().await?;
        Ok(replica.tip())
    }

    /// Reads the state as of the last catch-up.
    pub async fn read<R>(&self, f: impl FnOnce(&ClusterState) -> R) -> R {
        f(self.replica.lock().await.state())
    }

    pub async fn state(&self) -> ClusterState {
        self.read(ClusterState::clone).await
    }

    pub async fn tip(&self) -> Seq {
        self.replica.lock().await.tip()
    }

    /// Catches up, then decides with `build` and appends, deciding again after each lost sequence race.
    /// `build` returns `None` when there is nothing to write (then so does this). `Ok` means the record is in the
    /// log at that sequence and was accepted.
    pub async fn propose_with<F>(&self, mut build: F) -> Result<Option<(Seq, MetaRecord)>>
    where
        F: FnMut(&ClusterState) -> Result<Option<MetaRecord>>,
    {
        let mut replica = self.replica.lock().await;
        replica.catch_up().await?;
        for _ in 0..self.max_races {
            let Some(record) = build(replica.state())? else {
                return Ok(None);
            };
            replica.state().validate(&record)?;
            failpoint::hit(&self.failpoints, points::PROPOSE_DECIDED).await;
            let applied = match replica.append(&record).await? {
                ReplicaAppend::Landed(applied) => applied,
                ReplicaAppend::Lost(_) => {
                    self.races_lost.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            let seq = applied.id.seq;
            match applied.outcome {
                Outcome::Accepted => {}
                Outcome::Rejected(rejection) => return Err(rejection.into()),
                Outcome::RejectedEarlier => {
                    return Err(Error::Invalid(format!(
                        "{} at {seq} was rejected",
                        record.kind()
                    )));
                }
            }
            if self.snapshot_every > 0 && seq % self.snapshot_every == 0 {
                self.snapshot_and_collect_in_background(&replica);
            }
            return Ok(Some((seq, record)));
        }
        Err(contended(
            "append",
            replica.log().entry_key(replica.tip() + 1),
            format!("lost the sequence race {} times in a row", self.max_races),
        ))
    }

    /// Appends `record` as is (deciding it is the caller's business), retrying only lost sequence races.
    pub async fn propose(&self, record: MetaRecord) -> Result<Seq> {
        let landed = self.propose_with(|_| Ok(Some(record.clone()))).await?;
        landed
            .map(|(seq, _)| seq)
            .ok_or_else(|| Error::Invalid("nothing proposed".into()))
    }

    /// Writes a snapshot as of `replica`'s tip and collects garbage, in a background task so that proposals do
    /// not wait for the deletes (collection deletes one entry at a time, in order). One such task at a time.
    fn snapshot_and_collect_in_background(&self, replica: &Replica<ClusterState>) {
        if self.housekeeping.swap(true, Ordering::AcqRel) {
            tracing::debug!("previous snapshot and collection still running; skipping this one");
            return;
        }
        let Some(snapshot) = replica.snapshot(self.clock.now_ms()) else {
            self.housekeeping.store(false, Ordering::Release);
            return;
        };
        let (log, running) = (replica.log().clone(), self.housekeeping.clone());
        tokio::spawn(async move {
            match log.write_snapshot(&snapshot).await {
                Ok(_) => match log.collect_garbage().await {
                    Ok(report) => tracing::debug!(
                        seq = snapshot.seq,
                        ?report,
                        "metadata snapshot and collection"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "metadata log collection failed; the next one finishes it")
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "metadata snapshot failed; the next one covers it")
                }
            }
            running.store(false, Ordering::Release);
        });
    }

    /// How many sequence races this client's proposals lost (each cost a catch-up and a new decision): the
    /// metadata log's contention, as seen from here.
    pub fn races_lost(&self) -> u64 {
        self.races_lost.load(Ordering::Relaxed)
    }

    /// How many times garbage collection overtook this client and it restarted from a snapshot.
    pub async fn restarts(&self) -> u64 {
        self.replica.lock().await.restarts()
    }

    /// Writes a snapshot as of the tip now.
    pub async fn write_snapshot(&self) -> Result<Option<Seq>> {
        let replica = self.replica.lock().await;
        replica.write_snapshot(self.clock.now_ms()).await
    }

    /// Deletes what the two newest snapshots make unnecessary.
    pub async fn collect_garbage(&self) -> Result<GcReport> {
        self.replica.lock().await.collect_garbage().await
    }

    // ---- the records, decided on the current state -------------------------------------------------------

    /// Registers `node` at the next epoch; its earlier epochs can no longer commit.
    pub async fn register_node(&self, node: NodeId, address: &str) -> Result<Epoch> {
        let landed = self
            .propose_with(|s| {
                let epoch = s.node_fence(node).next_epoch();
                Ok(Some(MetaRecord::NodeRegistered {
                    node,
                    epoch,
                    address: address.to_string(),
                }))
            })
            .await?;
        match landed {
            Some((_, MetaRecord::NodeRegistered { epoch, .. })) => Ok(epoch),
            _ => Err(Error::Invalid(format!(
                "registering node {node} wrote nothing"
            ))),
        }
    }

    /// Fences every epoch of `node` up to `epoch`.
    pub async fn fence_node(&self, node: NodeId, epoch: Epoch) -> Result<Seq> {
        self.propose(MetaRecord::NodeFenced { node, epoch }).await
    }

    /// Creates a stream named `name`, or returns the one that already has that name.
    pub async fn create_stream(&self, name: &str, start: Offset) -> Result<StreamId> {
        let landed = self
            .propose_with(|s| {
                if s.stream_id(name).is_some() {
                    return Ok(None);
                }
                Ok(Some(MetaRecord::StreamCreated {
                    stream: s.next_stream_id(),
                    name: name.to_string(),
                    start,
                }))
            })
            .await?;
        match landed {
            Some((_, MetaRecord::StreamCreated { stream, .. })) => Ok(stream),
            _ => self
                .read(|s| s.stream_id(name))
                .await
                .ok_or_else(|| Error::Invalid(format!("stream `{name}` vanished"))),
        }
    }

    /// Opens `stream` for `node` at the next epoch, fencing the current owner. Returns the new epoch.
    pub async fn open_stream(&self, stream: StreamId, node: NodeId) -> Result<Epoch> {
        let landed = self
            .propose_with(|s| {
                let meta = s
                    .stream(stream)
                    .ok_or_else(|| Error::Invalid(format!("stream {stream} does not exist")))?;
                Ok(Some(MetaRecord::StreamOpened {
                    stream,
                    epoch: meta.fence.next_epoch(),
                    node,
                }))
            })
            .await?;
        match landed {
            Some((_, MetaRecord::StreamOpened { epoch, .. })) => Ok(epoch),
            _ => Err(Error::Invalid(format!(
                "opening stream {stream} wrote nothing"
            ))),
        }
    }

    /// Closes `stream`, held at `epoch`, with everything below `end_offset` committed.
    pub async fn close_stream(
        &self,
        stream: StreamId,
        epoch: Epoch,
        end_offset: Offset,
    ) -> Result<Seq> {
        self.propose(MetaRecord::StreamClosed {
            stream,
            epoch,
            end_offset,
        })
        .await
    }

    /// Commits an uploaded object covering `ranges`, as `by`. Returns the object's id.
    pub async fn commit_object(
        &self,
        key: &str,
        size: u64,
        ranges: Vec<StreamRange>,
        by: CommitAuthority,
    ) -> Result<ObjectId> {
        let landed = self
            .propose_with(|s| {
                let object = NewObject {
                    id: s.next_object_id(),
                    key: key.to_string(),
                    size,
                    ranges: ranges.clone(),
                };
                Ok(Some(MetaRecord::ObjectCommitted {
                    object,
                    by: by.clone(),
                }))
            })
            .await?;
        match landed {
            Some((_, MetaRecord::ObjectCommitted { object, .. })) => Ok(object.id),
            _ => Err(Error::Invalid(format!("committing `{key}` wrote nothing"))),
        }
    }

    /// Stops serving offsets of `stream` below `start`.
    pub async fn trim_stream(&self, stream: StreamId, start: Offset) -> Result<Seq> {
        self.propose(MetaRecord::StreamTrimmed { stream, start })
            .await
    }

    /// Replaces `removed` by new objects, each given as (key, size, ranges), as node `by` (refused once that
    /// node is fenced). Returns the new ids. Inputs that changed since they were chosen (trimmed away, compacted
    /// by someone else) make it `Error::Invalid` without writing anything.
    pub async fn compact(
        &self,
        removed: Vec<ObjectId>,
        outputs: Vec<(String, u64, Vec<StreamRange>)>,
        by: Option<NodeEpoch>,
    ) -> Result<Vec<ObjectId>> {
        let landed = self
            .propose_with(|s| {
                let first = s.next_object_id();
                let added = outputs
                    .iter()
                    .enumerate()
                    .map(|(i, (key, size, ranges))| NewObject {
                        id: first + i as ObjectId,
                        key: key.clone(),
                        size: *size,
                        ranges: ranges.clone(),
                    })
                    .collect();
                Ok(Some(MetaRecord::ObjectsCompacted {
                    removed: removed.clone(),
                    added,
                    by,
                }))
            })
            .await?;
        match landed {
            Some((_, MetaRecord::ObjectsCompacted { added, .. })) => {
                Ok(added.iter().map(|o| o.id).collect())
            }
            _ => Err(Error::Invalid("compaction wrote nothing".into())),
        }
    }

    /// Deletes `stream`: its objects lose their references and are collected later.
    pub async fn delete_stream(&self, stream: StreamId) -> Result<Seq> {
        self.propose(MetaRecord::StreamDeleted { stream }).await
    }

    /// Forgets an unreferenced object after it was deleted from the data store.
    pub async fn delete_object(&self, object: ObjectId) -> Result<Seq> {
        self.propose(MetaRecord::ObjectDeleted { object }).await
    }
}
