//! One coordinator shard: an engine stream of group records, the state replayed from it, and the live groups it
//! serves.
//!
//! **Writing.** A record is started under the shard's log lock (so records land in the stream in the order their
//! decisions were taken), becomes durable in the engine's WAL, and is then applied to the served state in stream
//! order: a record is applied only after every record before it, whatever order the WAL acknowledges them in. Its
//! writer is answered once it is applied, so a client that was told "committed" reads its commit back. A failed
//! append fails the shard: everything after it is refused until the broker restarts and replays.
//!
//! **Snapshots.** Once the records since the last snapshot outweigh it (and at least `snapshot_min_bytes`), a
//! snapshot of the state as of the stream's tip is appended; when it is durable and uploaded, the stream is
//! trimmed to it. Replay then starts at the snapshot, so a shard's stream stays within a small multiple of its
//! state.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_stream::engine::Engine;
use automq_stream::types::StreamId;
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;
use tracing::{error, info, warn};

use super::GroupConfig;
use super::group::{After, Group};
use super::records::{Record, Stored};

/// A shard's outcome for one record: applied, or why not.
pub type Written = Result<(), String>;

#[derive(Debug)]
struct PendingRecord {
    offset: u64,
    record: Arc<Record>,
    outcome: Option<Written>,
    waiter: Option<oneshot::Sender<Written>>,
}

#[derive(Debug, Default)]
struct Log {
    /// The state as of every record applied.
    applied: Stored,
    /// Records started and not yet applied, in stream order.
    pending: VecDeque<PendingRecord>,
    failed: Option<String>,
    /// Bytes appended since the last snapshot, and that snapshot's size.
    since_snapshot: u64,
    snapshot_bytes: u64,
    snapshotting: bool,
}

pub type GroupRef = Arc<Mutex<Group>>;

#[derive(Debug)]
pub struct Shard {
    pub index: u32,
    engine: Engine,
    stream: StreamId,
    config: GroupConfig,
    log: Mutex<Log>,
    groups: Mutex<HashMap<String, GroupRef>>,
    /// Woken when a deadline may have moved earlier.
    timers: Arc<Notify>,
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The stream holding shard `index`'s records. Outside `kafka/`, where every stream belongs to a topic.
pub fn stream_name(index: u32) -> String {
    format!("groups/{index}/log")
}

impl Shard {
    /// Opens the shard's stream here, replays it, and starts serving its groups.
    pub async fn load(
        engine: Engine,
        index: u32,
        config: GroupConfig,
    ) -> Result<Arc<Self>, String> {
        let name = stream_name(index);
        let failed = |e: automq_stream::Error| {
            format!("group coordinator shard {index} (stream `{name}`): {e}")
        };
        let stream = engine.create_stream(&name).await.map_err(failed)?;
        let info = engine.open_stream(stream).await.map_err(failed)?;
        let mut log = Log::default();
        let mut at = info.start;
        let mut records = 0u64;
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
                        "group coordinator shard {index} (stream `{name}`) offset {}: {e}; the shard is not served",
                        b.base_offset
                    )
                })?;
                let size = b.payload.len() as u64;
                if matches!(record, Record::Snapshot { .. }) {
                    log.since_snapshot = 0;
                    log.snapshot_bytes = size;
                } else {
                    log.since_snapshot += size;
                }
                log.applied.apply(&record);
                records += 1;
                at = b.end_offset();
            }
        }
        let now = Instant::now();
        let groups: HashMap<String, GroupRef> = log
            .applied
            .groups
            .iter()
            .map(|(id, data)| {
                (
                    id.clone(),
                    Arc::new(Mutex::new(Group::from_stored(id, data.meta.as_ref(), now))),
                )
            })
            .collect();
        info!(
            shard = index,
            stream,
            epoch = info.epoch,
            records,
            groups = groups.len(),
            "group coordinator shard loaded"
        );
        let shard = Arc::new(Self {
            index,
            engine,
            stream,
            config,
            log: Mutex::new(log),
            groups: Mutex::new(groups),
            timers: Arc::new(Notify::new()),
        });
        tokio::spawn(run_timers(Arc::downgrade(&shard), shard.timers.clone()));
        Ok(shard)
    }

    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    /// Why the shard serves nothing, if it does not.
    pub fn failure(&self) -> Option<String> {
        lock(&self.log).failed.clone()
    }

    pub fn group(&self, id: &str) -> Option<GroupRef> {
        lock(&self.groups).get(id).cloned()
    }

    pub fn group_or_create(&self, id: &str) -> GroupRef {
        lock(&self.groups)
            .entry(id.to_string())
            .or_insert_with(|| Arc::new(Mutex::new(Group::new(id))))
            .clone()
    }

    /// Forgets a group (deleted). Called with the group's lock held.
    pub fn forget(&self, id: &str) {
        lock(&self.groups).remove(id);
    }

    pub fn groups(&self) -> Vec<GroupRef> {
        lock(&self.groups).values().cloned().collect()
    }

    /// Reads the applied state.
    pub fn read<T>(&self, f: impl FnOnce(&Stored) -> T) -> T {
        f(&lock(&self.log).applied)
    }

    /// Deadlines may have moved earlier: the timer looks again.
    pub fn wake_timers(&self) {
        self.timers.notify_one();
    }

    /// Starts writing `record`; the channel says when it is applied (or why not). Call it under the lock of the
    /// group the record is about, so the group's records land in the order its decisions were taken.
    pub fn write(self: &Arc<Self>, record: Record) -> oneshot::Receiver<Written> {
        let (tx, rx) = oneshot::channel();
        let mut log = lock(&self.log);
        if let Some(why) = &log.failed {
            let _ = tx.send(Err(why.clone()));
            return rx;
        }
        self.start(&mut log, Arc::new(record), Some(tx));
        self.maybe_snapshot(&mut log);
        rx
    }

    fn start(
        self: &Arc<Self>,
        log: &mut Log,
        record: Arc<Record>,
        waiter: Option<oneshot::Sender<Written>>,
    ) {
        let payload = record.encode();
        let size = payload.len() as u64;
        match self.engine.start_append(self.stream, 1, |_| payload) {
            Ok(append) => {
                let offset = append.base_offset();
                log.pending.push_back(PendingRecord {
                    offset,
                    record,
                    outcome: None,
                    waiter,
                });
                log.since_snapshot += size;
                let shard = self.clone();
                tokio::spawn(async move {
                    let outcome = append.durable().await.map(drop).map_err(|e| e.to_string());
                    shard.complete(offset, outcome, size);
                });
            }
            Err(e) => {
                let why = format!(
                    "group coordinator shard {} cannot append: {e}; restart the broker",
                    self.index
                );
                error!("{why}");
                log.failed = Some(why.clone());
                if let Some(w) = waiter {
                    let _ = w.send(Err(why));
                }
            }
        }
    }

    /// One record's append finished: apply every record at the front that has finished, in stream order.
    fn complete(self: &Arc<Self>, offset: u64, outcome: Written, size: u64) {
        let mut log = lock(&self.log);
        if let Some(p) = log.pending.iter_mut().find(|p| p.offset == offset) {
            p.outcome = Some(outcome);
        }
        while log.pending.front().is_some_and(|p| p.outcome.is_some()) {
            let Some(mut p) = log.pending.pop_front() else {
                break;
            };
            let mut outcome = p.outcome.take().unwrap_or(Ok(()));
            if let Some(why) = &log.failed {
                // Nothing after a failed append may count: a replay would stop at the gap.
                outcome = Err(why.clone());
            }
            match &outcome {
                Ok(()) => match p.record.as_ref() {
                    Record::Snapshot { .. } => {
                        // The applied state already is the snapshot's: it was built from it.
                        log.snapshotting = false;
                        log.snapshot_bytes = size;
                        self.trim_to(p.offset);
                    }
                    record => log.applied.apply(record),
                },
                Err(e) => {
                    if log.failed.is_none() {
                        let why = format!(
                            "group coordinator shard {}: an append failed ({e}); restart the broker",
                            self.index
                        );
                        error!("{why}");
                        log.failed = Some(why);
                    }
                }
            }
            if let Some(w) = p.waiter.take() {
                let _ = w.send(outcome);
            }
        }
    }

    fn maybe_snapshot(self: &Arc<Self>, log: &mut Log) {
        let due = log.since_snapshot >= self.config.snapshot_min_bytes.max(log.snapshot_bytes);
        if !due || log.snapshotting || log.failed.is_some() {
            return;
        }
        // The state as of the stream's tip: what is applied, then what is started, in order.
        let mut state = log.applied.clone();
        for p in &log.pending {
            state.apply(&p.record);
        }
        log.snapshotting = true;
        log.since_snapshot = 0;
        info!(
            shard = self.index,
            groups = state.groups.len(),
            "writing a snapshot of the group coordinator shard"
        );
        self.start(log, Arc::new(Record::Snapshot { state }), None);
        // The snapshot's own bytes are not "since" it.
        log.since_snapshot = 0;
    }

    /// Drops the records before a durable snapshot: uploads what is pending (a trim may not pass the committed
    /// end), then trims. Failures only leave more to replay.
    fn trim_to(&self, offset: u64) {
        let engine = self.engine.clone();
        let (stream, index) = (self.stream, self.index);
        tokio::spawn(async move {
            let done = async {
                engine.flush().await?;
                engine.trim(stream, offset).await
            };
            match done.await {
                Ok(()) => info!(
                    shard = index,
                    offset, "group coordinator shard trimmed to its snapshot"
                ),
                Err(e) => warn!(
                    shard = index,
                    offset, "trimming to the snapshot failed: {e}; the next snapshot retries"
                ),
            }
        });
    }

    /// Writes what `group` asked to be made durable (its generation), and arranges what follows each write.
    /// Called with the group's lock held.
    pub fn persist(self: &Arc<Self>, group_ref: &GroupRef, group: &mut Group) {
        for after in group.take_writes() {
            let rx = self.write(Record::GroupMetadata {
                group: group.id.clone(),
                meta: group.stored(),
            });
            match after {
                After::Nothing => {}
                After::Stabilize { generation } => {
                    let (shard, group_ref) = (self.clone(), group_ref.clone());
                    tokio::spawn(async move {
                        let written = written(rx.await);
                        let mut g = lock(&group_ref);
                        g.stabilize(generation, written, Instant::now(), &shard.config);
                        shard.persist(&group_ref, &mut g);
                        drop(g);
                        shard.wake_timers();
                    });
                }
                After::AnswerJoin { to, reply } => {
                    tokio::spawn(async move {
                        let reply = match written(rx.await) {
                            Ok(()) => reply,
                            Err(e) => super::group::JoinReply::error(e, &reply.member_id),
                        };
                        let _ = to.send(reply);
                    });
                }
            }
        }
    }

    /// Acts on every deadline that passed; forgets idle groups that hold nothing. Returns the next deadline.
    fn tick(self: &Arc<Self>, now: Instant) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        for group_ref in self.groups() {
            let mut g = lock(&group_ref);
            if g.next_deadline().is_some_and(|d| d <= now) {
                g.tick(now, &self.config);
                self.persist(&group_ref, &mut g);
            }
            if g.is_idle() && !self.holds_anything(&g.id) {
                // Forgotten only when seen idle twice, `idle_check` apart: a group just created for a request
                // is not idle for long.
                match g.idle_mark {
                    Some(mark) if now.duration_since(mark) >= self.config.idle_check => {
                        g.kill();
                        self.forget(&g.id);
                        continue;
                    }
                    Some(_) => {}
                    None => g.idle_mark = Some(now),
                }
            } else {
                g.idle_mark = None;
            }
            if let Some(d) = g.next_deadline() {
                next = Some(next.map_or(d, |n| n.min(d)));
            }
        }
        next
    }

    /// Whether the shard keeps anything of `group`: stored data, or a record on its way.
    fn holds_anything(&self, group: &str) -> bool {
        let log = lock(&self.log);
        log.applied.groups.contains_key(group)
            || log.pending.iter().any(|p| p.record.group() == Some(group))
    }
}

/// The shard's timer: sleeps until the earliest deadline of its groups (or until woken), then acts on what is due.
/// Idle groups are also forgotten at least every `idle_check`.
async fn run_timers(shard: Weak<Shard>, wake: Arc<Notify>) {
    loop {
        let notified = wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (next, idle_check) = {
            let Some(s) = shard.upgrade() else {
                return;
            };
            let now = Instant::now();
            (s.tick(now), now + s.config.idle_check)
        };
        let until = next.map_or(idle_check, |n| n.min(idle_check));
        tokio::select! {
            _ = tokio::time::sleep_until(until) => {}
            _ = &mut notified => {}
        }
    }
}

fn written(r: Result<Written, oneshot::error::RecvError>) -> Result<(), ResponseError> {
    match r {
        Ok(Ok(())) => Ok(()),
        Ok(Err(why)) => {
            warn!("group record not written: {why}");
            Err(ResponseError::CoordinatorNotAvailable)
        }
        Err(_) => Err(ResponseError::CoordinatorNotAvailable),
    }
}

/// The outcome of a write as a Kafka error.
pub async fn outcome(rx: oneshot::Receiver<Written>) -> Result<(), ResponseError> {
    written(rx.await)
}
