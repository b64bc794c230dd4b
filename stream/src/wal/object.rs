//! The object WAL: every stream's appends batched into one object per interval or size threshold, so a broker
//! needs no disk at all and a survivor can replay a dead broker's WAL straight from the object store.
//!
//! Why this shape: one object per batch of all partitions keeps request cost flat as partitions grow (never one
//! object per record batch), and create-if-absent at dense sequence numbers doubles as the fence: a writer can put
//! object N+1 only after N, so a marker at its next sequence stops it, and nothing it acknowledged lies above
//! the marker. One object is in flight at a time; the next batch accumulates meanwhile. Latency is the interval
//! plus one PUT: AutoMQ batches for 250 ms; the default here is 20 ms, for fast stores.
//!
//! A failed put fails its appends (never acknowledged) and the WAL goes on at the same sequence. If the put had
//! in fact landed (a lost answer), the retry finds this writer's own object there and moves past it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use self::format::{DataBody, Decoded};
use self::takeover::{fetch, list_epochs, list_objects, put_create};
use super::failpoint::{self, FailPoints};
use super::record::EncodedRecord;
use super::{AppendFuture, Replayed, Wal, WalPosition, WalRecord, WalReplay, fail_all, replicate};
use crate::error::{Error, Result};
use crate::types::{Epoch, NodeId};

mod format;
mod takeover;
#[cfg(test)]
mod tests;

pub use takeover::{ObjectWalTakeover, TakeoverConfig};

/// Failpoint names of the object WAL.
pub mod failpoints {
    /// A batch is encoded and its put is about to start. Failing it fails the put before it reaches the store.
    pub const BEFORE_PUT: &str = "object_wal.before_put";
    /// The put succeeded. Failing it drops the answer, as a timeout after the store applied the put would.
    pub const AFTER_PUT: &str = "object_wal.after_put";
    pub use super::takeover::failpoints::BEFORE_FENCE;
}

/// Puts tried for one batch: the first, plus moving past this writer's own objects from lost answers.
const PUT_ATTEMPTS: usize = 8;
/// Objects deleted concurrently by a trim.
const DELETE_CONCURRENCY: usize = 8;

#[derive(Debug, Clone)]
pub struct ObjectWalConfig {
    /// Where WAL objects live: `<prefix>/wal/<node>/<node epoch>/<sequence>`.
    pub prefix: Path,
    pub node: NodeId,
    /// This life's node epoch, from node registration: every start uses a new one.
    pub node_epoch: Epoch,
    /// A batch is written at the latest this long after its oldest append arrived.
    pub flush_interval: Duration,
    /// A batch is written as soon as this many bytes are queued; an object holds at most this much, unless one
    /// record alone is larger.
    pub flush_bytes: usize,
    /// Tells this writer's objects from anyone else's (a lost put answer, or a second process started with the
    /// same node epoch by mistake). Random by default; tests pin it.
    pub writer_id: u128,
    pub failpoints: Option<Arc<FailPoints>>,
}

impl ObjectWalConfig {
    /// Defaults: 20 ms or 8 MiB, whichever comes first.
    pub fn new(prefix: Path, node: NodeId, node_epoch: Epoch) -> Self {
        ObjectWalConfig {
            prefix,
            node,
            node_epoch,
            flush_interval: Duration::from_millis(20),
            flush_bytes: 8 << 20,
            writer_id: uuid::Uuid::new_v4().as_u128(),
            failpoints: None,
        }
    }
}

/// Counters since open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObjectWalStats {
    pub appends: u64,
    /// Objects written (one put each that succeeded).
    pub objects: u64,
    pub bytes: u64,
    /// Puts that failed; their appends were failed too.
    pub failed_puts: u64,
}

#[derive(Debug, Default)]
struct Counters {
    appends: AtomicU64,
    objects: AtomicU64,
    bytes: AtomicU64,
    failed_puts: AtomicU64,
}

#[derive(Debug)]
struct Pending {
    record: EncodedRecord,
    tx: oneshot::Sender<Result<WalPosition>>,
    arrived: Instant,
}

#[derive(Debug)]
enum Status {
    Open,
    Closing,
    Closed,
    /// Fenced: terminal. (Store errors are not: they fail one batch.)
    Failed(Error),
}

#[derive(Debug)]
struct State {
    queue: VecDeque<Pending>,
    queued_bytes: usize,
    status: Status,
    /// Durable objects of this epoch not yet deleted: sequence to record count.
    objects: BTreeMap<u64, u64>,
    /// The next sequence to put (one past the highest known to exist).
    next_seq: u64,
    trimmed: Option<WalPosition>,
}

#[derive(Debug)]
struct Shared {
    store: Arc<dyn ObjectStore>,
    config: ObjectWalConfig,
    state: Mutex<State>,
    wake: Notify,
    counters: Counters,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn path(&self, seq: u64) -> Path {
        format::object_path(
            &self.config.prefix,
            self.config.node,
            self.config.node_epoch,
            seq,
        )
    }
}

/// The object WAL of one node epoch, with the fenced previous epochs of the same node replayed first.
#[derive(Debug)]
pub struct ObjectWal {
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
    previous: ObjectWalTakeover,
}

impl ObjectWal {
    /// Opens this node epoch's WAL: refuses if a later epoch of this node exists (this life is stale) or if this
    /// epoch already has objects (a start must use a new node epoch); fences every earlier epoch of this node (a
    /// zombie of a previous life could still be writing), and starts the writer. [`recover`](WalReplay::recover)
    /// then returns what the earlier epochs hold.
    pub async fn open(store: Arc<dyn ObjectStore>, config: ObjectWalConfig) -> Result<ObjectWal> {
        if config.flush_bytes == 0 {
            return Err(Error::Invalid(
                "object WAL flush_bytes must be positive".to_string(),
            ));
        }
        let (prefix, node, epoch) = (config.prefix.clone(), config.node, config.node_epoch);
        let epochs = list_epochs(store.as_ref(), &prefix, node).await?;
        if let Some(&latest) = epochs.last().filter(|e| **e > epoch) {
            return Err(Error::Fenced {
                what: format!("object WAL of node {node}"),
                held: epoch,
                current: latest,
            });
        }
        if epochs.contains(&epoch) {
            let dir = format::epoch_dir(&prefix, node, epoch);
            for (seq, _) in list_objects(store.as_ref(), &dir).await? {
                let path = format::object_path(&prefix, node, epoch, seq);
                if let Some(bytes) = fetch(store.as_ref(), &path).await?
                    && let Decoded::Fence { by_epoch, .. } =
                        format::decode_object(&path, node, epoch, seq, bytes)?
                {
                    return Err(Error::Fenced {
                        what: format!("object WAL `{dir}` (a fence marker is at sequence {seq})"),
                        held: epoch,
                        current: by_epoch,
                    });
                }
            }
            return Err(Error::Invalid(format!(
                "object WAL `{dir}` already has objects: every start needs a new node epoch"
            )));
        }
        let takeover = TakeoverConfig {
            prefix,
            node,
            through_epoch: epoch,
            by_node: node,
            by_epoch: epoch,
            failpoints: config.failpoints.clone(),
        };
        let previous = ObjectWalTakeover::fence_epochs(store.clone(), &takeover, epochs).await?;
        let shared = Arc::new(Shared {
            store,
            config,
            state: Mutex::new(State {
                queue: VecDeque::new(),
                queued_bytes: 0,
                status: Status::Open,
                objects: BTreeMap::new(),
                next_seq: 0,
                trimmed: None,
            }),
            wake: Notify::new(),
            counters: Counters::default(),
        });
        let writer = tokio::spawn(run_writer(shared.clone()));
        Ok(ObjectWal {
            shared,
            writer: Mutex::new(Some(writer)),
            previous,
        })
    }

    pub fn stats(&self) -> ObjectWalStats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ObjectWalStats {
            appends: get(&c.appends),
            objects: get(&c.objects),
            bytes: get(&c.bytes),
            failed_puts: get(&c.failed_puts),
        }
    }

    /// Earlier epochs of this node fenced at open, with their markers' sequences.
    pub fn fenced_epochs(&self) -> Vec<(Epoch, u64)> {
        self.previous.fenced()
    }

    fn request_close(&self) {
        let mut st = self.shared.lock();
        if matches!(st.status, Status::Open) {
            st.status = Status::Closing;
        }
        drop(st);
        self.shared.wake.notify_one();
    }

    async fn trim_own(&self, through: WalPosition) -> Result<()> {
        let doomed: Vec<u64> = {
            let mut st = self.shared.lock();
            if st.trimmed.is_none_or(|t| through > t) {
                st.trimmed = Some(through);
            }
            // The highest object stays: a fencer finds this writer's place by it (see takeover.rs).
            let Some(&top) = st.objects.keys().next_back() else {
                return Ok(());
            };
            let doomed: Vec<u64> = st
                .objects
                .iter()
                .filter(|(seq, count)| {
                    **seq < top
                        && (**seq < through.segment
                            || (**seq == through.segment && **count == through.offset))
                })
                .map(|(seq, _)| *seq)
                .collect();
            for seq in &doomed {
                st.objects.remove(seq);
            }
            doomed
        };
        let store = self.shared.store.as_ref();
        let deletes = doomed.into_iter().map(|seq| async move {
            let path = self.shared.path(seq);
            match store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(Error::store("delete", &path, e)),
            }
        });
        futures::stream::iter(deletes)
            .buffered(DELETE_CONCURRENCY)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<Vec<()>>>()
            .map(|_| ())
    }
}

impl Drop for ObjectWal {
    fn drop(&mut self) {
        self.request_close();
    }
}

#[async_trait]
impl WalReplay for ObjectWal {
    async fn recover(&self) -> Result<Vec<Replayed>> {
        let mut out = self.previous.recover().await?;
        let (own, trimmed) = {
            let st = self.shared.lock();
            (st.objects.keys().copied().collect::<Vec<_>>(), st.trimmed)
        };
        let (store, config) = (self.shared.store.as_ref(), &self.shared.config);
        let fetches = own.into_iter().map(|seq| async move {
            let path = self.shared.path(seq);
            let Some(bytes) = fetch(store, &path).await? else {
                return Ok(Vec::new());
            };
            match format::decode_object(&path, config.node, config.node_epoch, seq, bytes)? {
                Decoded::Data { records, .. } => Ok(records
                    .into_iter()
                    .map(|(record, offset)| Replayed {
                        position: WalPosition {
                            log: config.node_epoch,
                            segment: seq,
                            offset,
                        },
                        node: config.node,
                        node_epoch: config.node_epoch,
                        record,
                    })
                    .collect()),
                Decoded::Fence { .. } => Ok(Vec::new()),
            }
        });
        let own: Vec<Vec<Replayed>> = futures::stream::iter(fetches)
            .buffered(8)
            .collect::<Vec<Result<_>>>()
            .await
            .into_iter()
            .collect::<Result<_>>()?;
        out.extend(
            own.into_iter()
                .flatten()
                .filter(|r| trimmed.is_none_or(|t| r.position > t)),
        );
        Ok(out)
    }

    async fn trim(&self, through: WalPosition) -> Result<()> {
        let epoch = self.shared.config.node_epoch;
        if through.log > epoch {
            return Err(Error::Invalid(format!(
                "{through} is past this object WAL (node epoch {epoch})"
            )));
        }
        self.previous.trim(through).await?;
        if through.log == epoch {
            self.trim_own(through).await
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl Wal for ObjectWal {
    fn append(&self, record: WalRecord) -> AppendFuture {
        let record = match EncodedRecord::encode(&record) {
            Ok(r) => r,
            Err(e) => return AppendFuture::failed(e),
        };
        let (tx, future) = AppendFuture::pending();
        let len = record.len();
        let mut st = self.shared.lock();
        match &st.status {
            Status::Open => {}
            Status::Closing | Status::Closed => {
                return AppendFuture::failed(Error::Closed(format!(
                    "object WAL of node {} at epoch {}",
                    self.shared.config.node, self.shared.config.node_epoch
                )));
            }
            Status::Failed(e) => return AppendFuture::failed(replicate(e)),
        }
        let was_empty = st.queue.is_empty();
        let threshold = self.shared.config.flush_bytes;
        let crossed = st.queued_bytes < threshold && st.queued_bytes + len >= threshold;
        st.queue.push_back(Pending {
            record,
            tx,
            arrived: Instant::now(),
        });
        st.queued_bytes += len;
        drop(st);
        self.shared.counters.appends.fetch_add(1, Ordering::Relaxed);
        // The writer needs to hear of the first append (to start the interval) and of the size threshold.
        if was_empty || crossed {
            self.shared.wake.notify_one();
        }
        future
    }

    async fn close(&self) -> Result<()> {
        self.request_close();
        let handle = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            handle
                .await
                .map_err(|e| Error::Closed(format!("object WAL writer: {e}")))?;
        }
        match &self.shared.lock().status {
            Status::Failed(e) => Err(replicate(e)),
            _ => Ok(()),
        }
    }
}

async fn run_writer(shared: Arc<Shared>) {
    while let Some(batch) = next_batch(&shared).await {
        write_batch(&shared, batch).await;
    }
}

/// Waits until a batch is due (the oldest append is `flush_interval` old, `flush_bytes` are queued, or the WAL is
/// closing) and takes it. `None` when the writer must stop.
async fn next_batch(shared: &Shared) -> Option<Vec<Pending>> {
    let config = &shared.config;
    loop {
        let notified = shared.wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let deadline = {
            let mut st = shared.lock();
            if let Status::Failed(e) = &st.status {
                let e = replicate(e);
                fail_all(st.queue.drain(..).map(|p| p.tx), &e);
                st.queued_bytes = 0;
                return None;
            }
            let closing = matches!(st.status, Status::Closing | Status::Closed);
            match st.queue.front() {
                None if closing => {
                    st.status = Status::Closed;
                    return None;
                }
                None => None,
                Some(head) => {
                    let due = head.arrived + config.flush_interval;
                    if closing || st.queued_bytes >= config.flush_bytes || Instant::now() >= due {
                        return Some(take_batch(&mut st, config.flush_bytes));
                    }
                    Some(due)
                }
            }
        };
        match deadline {
            Some(due) => {
                tokio::select! {
                    () = &mut notified => {}
                    () = tokio::time::sleep_until(due) => {}
                }
            }
            None => notified.await,
        }
    }
}

/// Takes appends from the front while they fit `limit` bytes (at least one).
fn take_batch(st: &mut State, limit: usize) -> Vec<Pending> {
    let mut bytes = 0;
    let mut take = 0;
    for p in &st.queue {
        if take > 0 && bytes + p.record.len() > limit {
            break;
        }
        bytes += p.record.len();
        take += 1;
    }
    st.queued_bytes -= bytes;
    st.queue.drain(..take).collect()
}

enum Put {
    Done,
    /// Something is at this sequence already.
    Taken,
    Failed(Error),
}

async fn put(shared: &Shared, seq: u64, body: &DataBody) -> Put {
    let config = &shared.config;
    let path = shared.path(seq);
    if failpoint::hit(&config.failpoints, failpoints::BEFORE_PUT).await {
        let source = object_store::Error::Generic {
            store: "failpoint",
            source: "injected put failure".into(),
        };
        return Put::Failed(Error::store("put", &path, source));
    }
    let payload = body.payload(config.node, config.node_epoch, seq, config.writer_id);
    match shared.store.put_opts(&path, payload, put_create()).await {
        Ok(_) if failpoint::hit(&config.failpoints, failpoints::AFTER_PUT).await => {
            let source = object_store::Error::Generic {
                store: "failpoint",
                source: "injected lost answer".into(),
            };
            Put::Failed(Error::store("put", &path, source))
        }
        Ok(_) => Put::Done,
        Err(object_store::Error::AlreadyExists { .. }) => Put::Taken,
        Err(e) => Put::Failed(Error::store("put", &path, e)),
    }
}

/// What occupies a sequence this writer tried to take.
enum Occupant {
    /// This writer's own object, from a put whose answer was lost: it exists, so move past it.
    Ours(u64),
    /// A fence marker or someone else's data: this writer is done.
    Fence(Error),
    /// Deleted since: try the same sequence again.
    Gone,
}

async fn inspect(shared: &Shared, seq: u64) -> Result<Occupant> {
    let config = &shared.config;
    let path = shared.path(seq);
    let Some(bytes) = fetch(shared.store.as_ref(), &path).await? else {
        return Ok(Occupant::Gone);
    };
    let fenced = |detail: String, current| Error::Fenced {
        what: format!(
            "object WAL `{}` ({detail})",
            format::epoch_dir(&config.prefix, config.node, config.node_epoch)
        ),
        held: config.node_epoch,
        current,
    };
    Ok(
        match format::decode_object(&path, config.node, config.node_epoch, seq, bytes)? {
            Decoded::Data { writer, records } if writer == config.writer_id => {
                Occupant::Ours(records.len() as u64)
            }
            Decoded::Data { writer, .. } => Occupant::Fence(fenced(
                format!(
                    "sequence {seq} was written by another writer {writer:032x}: two processes share this node epoch"
                ),
                config.node_epoch,
            )),
            Decoded::Fence { by_node, by_epoch } => Occupant::Fence(fenced(
                format!("fenced at sequence {seq} by node {by_node} at epoch {by_epoch}"),
                by_epoch,
            )),
        },
    )
}

async fn write_batch(shared: &Shared, batch: Vec<Pending>) {
    let config = &shared.config;
    let body = match DataBody::new(batch.iter().map(|p| &p.record)) {
        Ok(body) => body,
        Err(e) => return fail_all(batch.into_iter().map(|p| p.tx), &e),
    };
    let mut seq = shared.lock().next_seq;
    let mut last_error = None;
    for _ in 0..PUT_ATTEMPTS {
        let outcome = match put(shared, seq, &body).await {
            Put::Done => None,
            Put::Failed(e) => Some(e),
            Put::Taken => match inspect(shared, seq).await {
                Ok(Occupant::Ours(count)) => {
                    let mut st = shared.lock();
                    st.objects.insert(seq, count);
                    seq += 1;
                    st.next_seq = seq;
                    continue;
                }
                Ok(Occupant::Gone) => continue,
                Ok(Occupant::Fence(e)) => {
                    tracing::warn!(error = %e, "object WAL fenced");
                    fail_all(batch.into_iter().map(|p| p.tx), &e);
                    shared.lock().status = Status::Failed(e);
                    return;
                }
                Err(e) => Some(e),
            },
        };
        match outcome {
            None => {
                {
                    let mut st = shared.lock();
                    st.objects.insert(seq, u64::from(body.count()));
                    st.next_seq = seq + 1;
                }
                shared.counters.objects.fetch_add(1, Ordering::Relaxed);
                shared
                    .counters
                    .bytes
                    .fetch_add(body.len() as u64, Ordering::Relaxed);
                for (i, p) in batch.into_iter().enumerate() {
                    let position = WalPosition {
                        log: config.node_epoch,
                        segment: seq,
                        offset: i as u64 + 1,
                    };
                    let _ = p.tx.send(Ok(position));
                }
                return;
            }
            Some(e) => {
                last_error = Some(e);
                break;
            }
        }
    }
    let e = last_error.unwrap_or_else(|| {
        Error::store(
            "put",
            shared.path(seq),
            object_store::Error::Generic {
                store: "wal",
                source: "sequence kept moving".into(),
            },
        )
    });
    // Not durable as far as anyone knows: fail the batch, keep the sequence (a lost answer is found on the retry).
    tracing::warn!(error = %e, seq, "object WAL put failed");
    shared.counters.failed_puts.fetch_add(1, Ordering::Relaxed);
    fail_all(batch.into_iter().map(|p| p.tx), &e);
}
