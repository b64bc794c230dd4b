//! The engine: streams on shared storage, put together from the WAL, the log cache, objects and the metadata log.
//!
//! An append gets its offsets in memory (the stream's owner is the only writer), becomes durable in the WAL, and
//! only then is acknowledged and readable. An uploader takes everything not yet uploaded, across streams, writes
//! one stream-set object (a stream with many bytes gets a stream object of its own), commits it to the metadata
//! log at this node's and each stream's epoch, and trims the WAL behind it. Reads come from the log cache while it
//! holds the offsets, otherwise from objects. A newer epoch anywhere (the stream reopened elsewhere, this node
//! re-registered) turns this node's commits for it into `Error::Fenced`; nothing it acknowledged is lost, because
//! its WAL is replayed by whoever takes over. The design note is docs/stream-engine.md.

mod compact;
mod read;
mod stream;
mod upload;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex as SyncMutex};
use std::time::Duration;

use bytes::Bytes;
use object_store::ObjectStore;
use object_store::path::Path;
use tokio::sync::{Mutex, Notify};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::cache::{BlockCache, BlockCacheStats, LogCache};
use crate::error::{Error, Result};
use crate::meta::{Failpoints, MetaClient, MetaConfig};
use crate::types::{Batch, Epoch, NodeId, Offset, StreamId};
use crate::wal::{FileWal, FileWalConfig, ObjectWal, ObjectWalConfig, Wal, WalPosition, WalReplay};

pub use compact::{CompactStats, points as compact_points};
pub use stream::StreamInfo;
use stream::StreamState;

/// Where this node's WAL lives.
#[derive(Debug, Clone)]
pub enum WalKind {
    /// Segment files in a local (or shared) directory, group-committed with fdatasync.
    File { dir: PathBuf },
    /// Objects in the data store, one per interval or size threshold.
    Object {
        interval: Duration,
        max_bytes: usize,
    },
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub node: NodeId,
    /// How other nodes reach this one (recorded in the metadata log).
    pub address: String,
    /// The key prefix of everything the engine writes in its store: `<prefix>/data`, `<prefix>/meta`,
    /// `<prefix>/wal`.
    pub prefix: String,
    pub wal: WalKind,
    /// Upload at least this often while anything is pending.
    pub upload_interval: Duration,
    /// Upload as soon as this many bytes are pending.
    pub upload_bytes: usize,
    /// Target size of a data block inside an object.
    pub block_target: usize,
    /// A stream with at least this many pending bytes gets its own stream object.
    pub stream_object_bytes: usize,
    /// Bytes of uploaded data kept in memory for tailing readers.
    pub log_cache_bytes: usize,
    /// Bytes of object blocks (and, an eighth of it, object indexes) kept in memory for reads the log cache no
    /// longer serves.
    pub block_cache_bytes: usize,
    /// How far ahead of a sequential reader of objects the next blocks are fetched; 0 turns readahead off.
    pub readahead_bytes: usize,
    /// Compaction writes objects of about this size, and compacts objects with less than a quarter of it still
    /// served; so after a compaction, objects hold a quarter of it on average or more (64 MiB: at most 64 objects
    /// per GiB, plus fewer than `compaction_trigger_objects` small ones).
    pub compaction_target_bytes: usize,
    /// Compact once this node has this many small objects (at least 2).
    pub compaction_trigger_objects: usize,
    /// Run a compaction this often in the background; `None`: only when [`Engine::compact`] is called.
    pub compaction_interval: Option<Duration>,
    /// Named pause points (race tests); `None` in production.
    pub failpoints: Option<Arc<Failpoints>>,
}

impl EngineConfig {
    pub fn new(node: NodeId, prefix: impl Into<String>, wal: WalKind) -> Self {
        Self {
            node,
            address: String::new(),
            prefix: prefix.into(),
            wal,
            upload_interval: Duration::from_secs(1),
            upload_bytes: 32 * 1024 * 1024,
            block_target: 512 * 1024,
            stream_object_bytes: 8 * 1024 * 1024,
            log_cache_bytes: 256 * 1024 * 1024,
            block_cache_bytes: 64 * 1024 * 1024,
            readahead_bytes: 4 * 1024 * 1024,
            compaction_target_bytes: 64 * 1024 * 1024,
            compaction_trigger_objects: 8,
            compaction_interval: Some(Duration::from_secs(300)),
            failpoints: None,
        }
    }
}

/// What one garbage collection deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GcStats {
    /// Committed objects that nothing referenced any more.
    pub objects: usize,
    /// Uploaded objects that were never committed.
    pub orphans: usize,
}

/// Appended but not yet uploaded: which WAL position holds which stream's data up to which offset.
#[derive(Debug, Default)]
struct Unuploaded {
    by_position: BTreeMap<WalPosition, (StreamId, Offset)>,
    /// Uploaded, not yet trimmed (a record before them is still pending).
    uploaded: std::collections::BTreeSet<WalPosition>,
}

#[derive(Debug)]
struct Inner {
    config: EngineConfig,
    store: Arc<dyn ObjectStore>,
    meta: MetaClient,
    wal: Arc<dyn Wal>,
    node_epoch: Epoch,
    streams: SyncMutex<HashMap<StreamId, Arc<StreamState>>>,
    cache: SyncMutex<LogCache>,
    unuploaded: SyncMutex<Unuploaded>,
    blocks: SyncMutex<BlockCache>,
    /// Woken when a block fetched ahead arrives (or its fetch ends), for reads waiting for it.
    block_arrived: Notify,
    upload_lock: Mutex<()>,
    upload_wanted: Notify,
    shutdown: Notify,
    compact_lock: Mutex<()>,
    compactor_stop: Notify,
}

/// A node's storage engine. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
    uploader: Arc<SyncMutex<Option<JoinHandle<()>>>>,
    compactor: Arc<SyncMutex<Option<JoinHandle<()>>>>,
}

fn lock<T>(m: &SyncMutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these locks is a bug elsewhere; the data (caches, maps) stays usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An append with its offsets handed out and its record queued in the WAL (see [`Engine::start_append`]).
#[derive(Debug)]
#[must_use = "an append is acknowledged only once `durable` resolves"]
pub struct PendingAppend {
    base: Offset,
    task: JoinHandle<Result<Offset>>,
}

impl PendingAppend {
    /// The batch's base offset, known before it is durable.
    pub fn base_offset(&self) -> Offset {
        self.base
    }

    /// Resolves with the base offset once the batch is durable and readable, or with why it failed.
    pub async fn durable(self) -> Result<Offset> {
        self.task
            .await
            .unwrap_or_else(|e| Err(Error::Closed(format!("the append task ({e})"))))
    }
}

/// After the WAL answered an append: on success the batch becomes readable (in offset order) and pending upload;
/// on failure the stream refuses further appends until reopened.
async fn complete_append(
    inner: &Inner,
    state: &StreamState,
    batch: Batch,
    written: Result<WalPosition>,
) -> Result<Offset> {
    let position = match written {
        Ok(p) => p,
        Err(e) => {
            // Offsets after this one may already be queued; none of them can be acknowledged in order now.
            state.poison(&e);
            state.settle();
            return Err(e);
        }
    };
    let (stream, base, end) = (batch.stream, batch.base_offset, batch.end_offset());
    lock(&inner.unuploaded)
        .by_position
        .insert(position, (stream, end));
    // Into the cache under the stream's lock: another appender's later batch must not get there first.
    let pinned = state.confirm_then(batch, |ready| {
        let mut cache = lock(&inner.cache);
        for b in ready {
            cache.insert(b);
        }
        cache.usage().1
    });
    if pinned >= inner.config.upload_bytes {
        inner.upload_wanted.notify_one();
    }
    state.settle();
    if let Err(e) = state.acknowledged(end).await {
        // Durable, but an earlier append failed: not acknowledged, and replay stops at that gap.
        lock(&inner.unuploaded).by_position.remove(&position);
        return Err(e);
    }
    Ok(base)
}

impl Engine {
    /// Registers this node at a new node epoch (fencing its earlier incarnations), opens its WAL, replays what
    /// the WAL holds beyond the committed offsets of streams this node still owns, uploads it, and starts the
    /// uploader.
    pub async fn open(store: Arc<dyn ObjectStore>, config: EngineConfig) -> Result<Self> {
        let meta = MetaClient::open(
            store.clone(),
            MetaConfig::new(format!("{}/meta", config.prefix)),
        )
        .await?;
        let node_epoch = meta.register_node(config.node, &config.address).await?;
        let wal: Arc<dyn Wal> = match &config.wal {
            WalKind::File { dir } => Arc::new(
                FileWal::open(FileWalConfig::new(dir.clone(), config.node, node_epoch)).await?,
            ),
            WalKind::Object {
                interval,
                max_bytes,
            } => {
                let mut c = ObjectWalConfig::new(
                    Path::from(format!("{}/wal", config.prefix)),
                    config.node,
                    node_epoch,
                );
                c.flush_interval = *interval;
                c.flush_bytes = *max_bytes;
                Arc::new(ObjectWal::open(store.clone(), c).await?)
            }
        };
        let inner = Arc::new(Inner {
            cache: SyncMutex::new(LogCache::new(config.log_cache_bytes)),
            blocks: SyncMutex::new(BlockCache::new(config.block_cache_bytes)),
            config,
            store,
            meta,
            wal,
            node_epoch,
            streams: SyncMutex::new(HashMap::new()),
            unuploaded: SyncMutex::new(Unuploaded::default()),
            block_arrived: Notify::new(),
            upload_lock: Mutex::new(()),
            upload_wanted: Notify::new(),
            shutdown: Notify::new(),
            compact_lock: Mutex::new(()),
            compactor_stop: Notify::new(),
        });
        let engine = Engine {
            inner,
            uploader: Arc::new(SyncMutex::new(None)),
            compactor: Arc::new(SyncMutex::new(None)),
        };
        engine.recover().await?;
        let task = tokio::spawn(upload::run(engine.inner.clone()));
        *lock(&engine.uploader) = Some(task);
        if let Some(every) = engine.inner.config.compaction_interval {
            let task = tokio::spawn(compact::run(engine.inner.clone(), every));
            *lock(&engine.compactor) = Some(task);
        }
        Ok(engine)
    }

    pub fn node(&self) -> NodeId {
        self.inner.config.node
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The data store everything lives in.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.inner.store
    }

    pub fn node_epoch(&self) -> Epoch {
        self.inner.node_epoch
    }

    /// The metadata client, for callers that need the cluster view (owners, nodes).
    pub fn meta(&self) -> &MetaClient {
        &self.inner.meta
    }

    /// Creates a stream named `name` (or returns the existing one of that name).
    pub async fn create_stream(&self, name: &str) -> Result<StreamId> {
        self.inner.meta.create_stream(name, 0).await
    }

    /// Opens `stream` on this node at a new epoch, fencing any other owner. Appends continue from the committed
    /// end: a previous owner must have closed it (uploading its WAL data) or been taken over.
    pub async fn open_stream(&self, stream: StreamId) -> Result<StreamInfo> {
        self.inner.meta.catch_up().await?;
        let owner = self.inner.meta.read(|s| s.owner(stream)).await;
        if let Some((other, epoch)) = owner.filter(|(n, _)| *n != self.inner.config.node) {
            return Err(Error::Invalid(format!(
                "stream {stream} is open on node {other} at epoch {epoch}: close it there first (or take over that node)"
            )));
        }
        // Reopened where it is open (after a failed append, say): what it acknowledged is committed first, so the
        // new epoch starts from an end that holds it.
        let held = lock(&self.inner.streams).get(&stream).cloned();
        if let Some(old) = held {
            old.close();
            old.drained().await;
            upload::upload_once(&self.inner).await?;
        }
        let epoch = self
            .inner
            .meta
            .open_stream(stream, self.inner.config.node)
            .await?;
        let (start, end) = self
            .inner
            .meta
            .read(|s| s.stream(stream).map(|m| (m.start, m.end)))
            .await
            .ok_or_else(|| Error::Invalid(format!("stream {stream} does not exist")))?;
        let state = Arc::new(StreamState::new(stream, epoch, start, end));
        lock(&self.inner.streams).insert(stream, state.clone());
        lock(&self.inner.cache).remove(stream);
        Ok(state.info())
    }

    fn open_state(&self, stream: StreamId) -> Result<Arc<StreamState>> {
        lock(&self.inner.streams)
            .get(&stream)
            .cloned()
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "stream {stream} is not open on node {}",
                    self.inner.config.node
                ))
            })
    }

    /// Offsets and epoch of an open stream.
    pub fn info(&self, stream: StreamId) -> Result<StreamInfo> {
        Ok(self.open_state(stream)?.info())
    }

    /// Appends `count` records as one batch; returns the batch's base offset once it is durable.
    pub async fn append(&self, stream: StreamId, count: u32, payload: Bytes) -> Result<Offset> {
        self.start_append(stream, count, |_| payload)?
            .durable()
            .await
    }

    /// Starts an append and returns at once: hands out `count` offsets, lets `build` make the payload knowing its
    /// base offset (a caller that writes offsets into its payload patches them here), and queues it in the WAL.
    /// Appends started one after another on a stream land in that order. The returned handle resolves once the
    /// batch is durable and readable; the completion runs in a task of its own, so dropping the handle neither
    /// loses the append nor stalls the stream.
    pub fn start_append(
        &self,
        stream: StreamId,
        count: u32,
        build: impl FnOnce(Offset) -> Bytes,
    ) -> Result<PendingAppend> {
        let state = self.open_state(stream)?;
        let (base, (payload, pending)) = state.reserve(count, |base| {
            let payload = build(base);
            let pending = self.inner.wal.append(crate::wal::WalRecord::new(
                stream,
                state.epoch,
                base,
                count,
                payload.clone(),
            ));
            (payload, pending)
        })?;
        let inner = self.inner.clone();
        let task = tokio::spawn(async move {
            let batch = Batch {
                stream,
                base_offset: base,
                count,
                payload,
            };
            complete_append(&inner, &state, batch, pending.await).await
        });
        Ok(PendingAppend { base, task })
    }

    /// Whole batches of `stream` from `start` on, up to about `max_bytes` (at least one batch when any is there).
    /// A `start` inside a batch returns that batch whole. At the end of the stream: an empty list.
    pub async fn read(
        &self,
        stream: StreamId,
        start: Offset,
        max_bytes: usize,
    ) -> Result<Vec<Batch>> {
        let local = lock(&self.inner.streams).get(&stream).map(|s| s.info());
        let (first, end) = match local {
            Some(i) => (i.start, i.confirmed),
            None => {
                self.inner.meta.catch_up().await?;
                self.inner
                    .meta
                    .read(|s| s.stream(stream).map(|m| (m.start, m.end)))
                    .await
                    .ok_or_else(|| Error::Invalid(format!("stream {stream} does not exist")))?
            }
        };
        if start < first || start > end {
            return Err(Error::OutOfRange {
                stream,
                offset: start,
                start: first,
                end,
            });
        }
        if start == end {
            return Ok(Vec::new());
        }
        if let Some(batches) = lock(&self.inner.cache).read(stream, start, end, max_bytes) {
            return Ok(batches);
        }
        match read::read_objects(&self.inner, stream, start, end, max_bytes).await {
            // An object this node's view still names was replaced (compaction) or trimmed away, and collected
            // after its grace period: the view is stale. Catch up and read what names the offsets now.
            Err(Error::Store {
                source: object_store::Error::NotFound { .. },
                ..
            }) => {
                self.inner.meta.catch_up().await?;
                read::read_objects(&self.inner, stream, start, end, max_bytes).await
            }
            other => other,
        }
    }

    /// What the block cache did so far, and holds now.
    pub fn block_cache_stats(&self) -> BlockCacheStats {
        lock(&self.inner.blocks).stats()
    }

    /// Stops serving offsets below `start`.
    pub async fn trim(&self, stream: StreamId, start: Offset) -> Result<()> {
        self.inner.meta.trim_stream(stream, start).await?;
        if let Some(s) = lock(&self.inner.streams).get(&stream) {
            s.trim_to(start);
        }
        Ok(())
    }

    /// Compacts this node's small objects (and those of fenced nodes) into few large ones, in rounds, each
    /// committed with one metadata record, until fewer than `compaction_trigger_objects` small ones are left.
    /// A round whose inputs changed meanwhile is refused by the metadata log and counted in
    /// [`CompactStats::rejected`]; `Error::Fenced` means this node was fenced. See the module `compact`.
    pub async fn compact(&self) -> Result<CompactStats> {
        compact::compact(&self.inner).await
    }

    /// Uploads and commits everything pending now (what the uploader does on its own every interval).
    pub async fn flush(&self) -> Result<()> {
        upload::upload_once(&self.inner).await
    }

    /// Closes `stream` here for a move to another node: uploads and commits its pending data, then records the
    /// close at its epoch so the next owner opens at the committed end with nothing to replay.
    pub async fn close_stream(&self, stream: StreamId) -> Result<()> {
        let state = self.open_state(stream)?;
        state.close();
        // Appends already handed offsets finish first: each is either durable (and uploaded below) or failed.
        state.drained().await;
        upload::upload_once(&self.inner).await?;
        let info = state.info();
        self.inner
            .meta
            .close_stream(stream, state.epoch, info.confirmed)
            .await?;
        lock(&self.inner.streams).remove(&stream);
        lock(&self.inner.cache).remove(stream);
        Ok(())
    }

    /// Deletes `stream` and everything in it: appends in flight here finish first, its local state and pending
    /// data are dropped, and the metadata log forgets it (its objects become unreferenced and are collected). Its
    /// name can then be used again; its id never is.
    pub async fn delete_stream(&self, stream: StreamId) -> Result<()> {
        let state = lock(&self.inner.streams).get(&stream).cloned();
        if let Some(state) = state {
            state.close();
            state.drained().await;
        }
        {
            // No upload round is running while the stream's pending data goes away.
            let _round = self.inner.upload_lock.lock().await;
            lock(&self.inner.streams).remove(&stream);
            lock(&self.inner.cache).remove(stream);
            lock(&self.inner.unuploaded)
                .by_position
                .retain(|_, (s, _)| *s != stream);
        }
        self.inner.meta.delete_stream(stream).await?;
        Ok(())
    }

    /// Failover: takes over every stream of `dead`, a node that stopped heartbeating. Fences the node in the
    /// metadata log (its commits fail from now on), fences its object WAL (its next WAL write fails, so it can
    /// acknowledge nothing more), replays that WAL, opens each of its streams here at a new epoch with the replayed
    /// records beyond the committed end, and uploads and commits them. Returns the streams taken over.
    ///
    /// `wal` says where the dead node's WAL is: its objects in the shared store, or a file WAL directory this
    /// node can open (a shared path); opening it fences the old writer.
    pub async fn take_over(&self, dead: NodeId, wal: WalKind) -> Result<Vec<StreamId>> {
        let me = self.inner.config.node;
        if dead == me {
            return Err(Error::Invalid(format!("node {me} cannot take over itself")));
        }
        self.inner.meta.catch_up().await?;
        let dead_epoch = self
            .inner
            .meta
            .read(|s| s.node_epoch(dead))
            .await
            .ok_or_else(|| Error::Invalid(format!("node {dead} never registered")))?;
        self.inner.meta.fence_node(dead, dead_epoch).await?;
        let takeover: Box<dyn WalReplay> = match wal {
            WalKind::Object { .. } => Box::new(
                crate::wal::ObjectWalTakeover::fence(
                    self.inner.store.clone(),
                    crate::wal::TakeoverConfig {
                        prefix: Path::from(format!("{}/wal", self.inner.config.prefix)),
                        node: dead,
                        through_epoch: dead_epoch,
                        by_node: me,
                        by_epoch: self.inner.node_epoch,
                        failpoints: None,
                    },
                )
                .await?,
            ),
            WalKind::File { dir } => {
                Box::new(FileWal::open(FileWalConfig::new(dir, me, self.inner.node_epoch)).await?)
            }
        };
        let replayed = takeover.recover().await?;
        let owned: Vec<(StreamId, Epoch)> = self
            .inner
            .meta
            .read(|s| {
                s.streams()
                    .filter(|(_, m)| m.owner == Some(dead))
                    .map(|(id, m)| (id, m.epoch()))
                    .collect()
            })
            .await;
        let mut taken = Vec::new();
        for (stream, old_epoch) in owned {
            let epoch = self.inner.meta.open_stream(stream, me).await?;
            let (start, end) = self
                .inner
                .meta
                .read(|s| s.stream(stream).map(|m| (m.start, m.end)))
                .await
                .ok_or_else(|| Error::Invalid(format!("stream {stream} vanished")))?;
            let state = Arc::new(StreamState::new(stream, epoch, start, end));
            let records: Vec<(WalPosition, crate::wal::WalRecord)> = replayed
                .iter()
                .filter(|r| r.record.batch.stream == stream && r.record.stream_epoch == old_epoch)
                .map(|r| (r.position, r.record.clone()))
                .collect();
            self.restore_replayed(&state, records, end);
            lock(&self.inner.streams).insert(stream, state);
            taken.push(stream);
        }
        upload::upload_once(&self.inner).await?;
        if let Some(last) = replayed.iter().map(|r| r.position).max() {
            takeover.trim(last).await?;
        }
        info!(
            dead,
            streams = taken.len(),
            records = replayed.len(),
            "took over"
        );
        Ok(taken)
    }

    /// Deletes objects nothing references any more: those the metadata log marked unreferenced (trimmed away or
    /// replaced) at least `grace` ago, and orphans (uploaded under `<prefix>/data` but never committed, e.g. by a
    /// node fenced between its PUT and its commit) older than `grace`. The grace period lets a reader that
    /// located an object before it lost its last reference finish reading it. The object is deleted from the
    /// store first and from the metadata log second, so a crash in between only repeats the deletion.
    pub async fn collect_garbage(&self, grace: Duration) -> Result<GcStats> {
        use futures::TryStreamExt;
        use object_store::ObjectStoreExt;
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let cutoff = now_ms.saturating_sub(grace.as_millis() as u64);
        self.inner.meta.catch_up().await?;
        let (unreferenced, known): (Vec<(u64, String)>, std::collections::HashSet<String>) = self
            .inner
            .meta
            .read(|s| {
                let dead = s
                    .unreferenced_objects(cutoff)
                    .into_iter()
                    .map(|(id, o)| (id, o.key.clone()))
                    .collect();
                let known = s.objects().map(|(_, o)| o.key.clone()).collect();
                (dead, known)
            })
            .await;
        let mut stats = GcStats::default();
        for (id, key) in unreferenced {
            let path = Path::from(key.as_str());
            match self.inner.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(Error::store("delete", &path, e)),
            }
            self.inner.meta.delete_object(id).await?;
            lock(&self.inner.blocks).forget_object(id);
            stats.objects += 1;
        }
        let data = Path::from(format!("{}/data", self.inner.config.prefix));
        let listed: Vec<object_store::ObjectMeta> = self
            .inner
            .store
            .list(Some(&data))
            .try_collect()
            .await
            .map_err(|e| Error::store("list", &data, e))?;
        let cutoff_time = std::time::SystemTime::now() - grace;
        for meta in listed {
            let old = std::time::SystemTime::from(meta.last_modified) <= cutoff_time;
            if old && !known.contains(meta.location.as_ref()) {
                match self.inner.store.delete(&meta.location).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => stats.orphans += 1,
                    Err(e) => return Err(Error::store("delete", &meta.location, e)),
                }
            }
        }
        Ok(stats)
    }

    /// Uploads what is pending and stops the uploader and the WAL. Streams stay owned by this node: a restart
    /// replays nothing, because everything was committed.
    pub async fn shutdown(&self) -> Result<()> {
        self.inner.compactor_stop.notify_one();
        let task = lock(&self.compactor).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        let result = upload::upload_once(&self.inner).await;
        self.inner.shutdown.notify_one();
        let task = lock(&self.uploader).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        self.inner.wal.close().await?;
        result
    }

    /// Takes one stream's replayed records into `state`: in offset order, from the committed `end`, skipping what
    /// is committed already (trims are not logged, so replay can repeat records) and stopping at the first gap (a
    /// record after a gap was never acknowledged). Returns each restored record's WAL position and end offset.
    fn restore_replayed(
        &self,
        state: &StreamState,
        mut records: Vec<(WalPosition, crate::wal::WalRecord)>,
        end: Offset,
    ) -> Vec<(WalPosition, Offset)> {
        records.sort_by_key(|(_, r)| r.batch.base_offset);
        let mut next = end;
        let mut restored = Vec::new();
        for (position, r) in records {
            if r.batch.base_offset < next {
                continue;
            }
            if r.batch.base_offset > next {
                warn!(
                    stream = state.stream,
                    expected = next,
                    found = r.batch.base_offset,
                    "replay stops at a gap"
                );
                break;
            }
            next = r.batch.end_offset();
            for b in state.restore(r.batch) {
                lock(&self.inner.cache).insert(b);
            }
            restored.push((position, next));
        }
        restored
    }

    /// Replays this node's WAL: records of streams this node still owns at the record's epoch, beyond the
    /// committed end, dense from it, become pending data again and are uploaded before anything else happens.
    async fn recover(&self) -> Result<()> {
        let replayed = self.inner.wal.recover().await?;
        if replayed.is_empty() {
            return Ok(());
        }
        let node = self.inner.config.node;
        let mut per_stream: BTreeMap<StreamId, Vec<(WalPosition, crate::wal::WalRecord)>> =
            BTreeMap::new();
        let mut last = None;
        for r in replayed {
            last = Some(r.position);
            per_stream
                .entry(r.record.batch.stream)
                .or_default()
                .push((r.position, r.record));
        }
        let mut recovered = 0usize;
        for (stream, mut records) in per_stream {
            let Some((owner, epoch, start, end)) = self
                .inner
                .meta
                .read(|s| {
                    s.stream(stream)
                        .map(|m| (m.owner, m.epoch(), m.start, m.end))
                })
                .await
            else {
                continue;
            };
            records.retain(|(_, r)| owner == Some(node) && r.stream_epoch == epoch);
            let state = Arc::new(StreamState::new(stream, epoch, start, end));
            let restored = self.restore_replayed(&state, records, end);
            let next = restored.last().map_or(end, |(_, e)| *e);
            let mut unuploaded = lock(&self.inner.unuploaded);
            for (position, end_offset) in &restored {
                unuploaded
                    .by_position
                    .insert(*position, (stream, *end_offset));
            }
            drop(unuploaded);
            recovered += restored.len();
            if next > end {
                lock(&self.inner.streams).insert(stream, state);
            }
        }
        info!(node, records = recovered, "WAL replayed");
        upload::upload_once(&self.inner).await?;
        if let Some(last) = last {
            self.inner.wal.trim(last).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
